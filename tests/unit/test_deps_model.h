/* Hand-built scheduler models for the deps, timeline and replay tests:
 * services with names, depends_on and health, no loop and no probing. */
#ifndef TEST_DEPS_MODEL_H
#define TEST_DEPS_MODEL_H

#include <stdlib.h>
#include <string.h>
#include "healthtop/scheduler.h"
#include "healthtop/util.h"

struct model {
    struct ht_config cfg;
    struct scheduler sched;
};

/* deps[i] is a comma-separated list of names ("" for none). Every
 * service: interval 1000 ms, one replica, state unknown, t0 = 0. */
static inline void model_init(struct model *m, size_t n, const char *const *names,
                              const char *const *deps)
{
    memset(m, 0, sizeof(*m));
    m->cfg.title = xstrdup("model");
    m->cfg.nsvcs = n;
    m->cfg.svcs = xcalloc(n, sizeof(*m->cfg.svcs));
    m->sched.cfg = &m->cfg;
    m->sched.nsvcs = n;
    m->sched.svcs = xcalloc(n, sizeof(*m->sched.svcs));
    for (size_t i = 0; i < n; i++) {
        struct svc_config *c = &m->cfg.svcs[i];
        c->name = xstrdup(names[i]);
        c->label = xstrdup(names[i]);
        c->group = xstrdup("Services");
        c->interval_ms = 1000;
        c->timeout_ms = 1000;
        c->retries = 3;
        c->replicas = 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct svc_config *c = &m->cfg.svcs[i];
        char *list = xstrdup(deps[i]), *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            c->depends_on = xrealloc(c->depends_on, (c->ndeps + 1) * sizeof(char *));
            c->dep_idx = xrealloc(c->dep_idx, (c->ndeps + 1) * sizeof(size_t));
            c->depends_on[c->ndeps] = xstrdup(t);
            c->dep_idx[c->ndeps] = (size_t)-1;
            for (size_t j = 0; j < n; j++)
                if (strcmp(names[j], t) == 0)
                    c->dep_idx[c->ndeps] = j;
            c->ndeps++;
        }
        free(list);
        struct service *svc = &m->sched.svcs[i];
        svc->cfg = c;
        svc->idx = i;
        svc->sched = &m->sched;
        health_init(&svc->health, 0);
    }
}

static inline void model_free(struct model *m)
{
    for (size_t i = 0; i < m->cfg.nsvcs; i++) {
        struct svc_config *c = &m->cfg.svcs[i];
        for (size_t j = 0; j < c->ndeps; j++)
            free(c->depends_on[j]);
        free(c->depends_on);
        free(c->dep_idx);
        free(c->name);
        free(c->label);
        free(c->group);
        history_free(&m->sched.svcs[i].history);
    }
    free(m->cfg.svcs);
    free(m->cfg.title);
    free(m->sched.svcs);
}

static inline size_t model_idx(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->cfg.nsvcs; i++)
        if (strcmp(m->cfg.svcs[i].name, name) == 0)
            return i;
    abort();
}

static inline void model_state(struct model *m, const char *name, enum health_state st)
{
    m->sched.svcs[model_idx(m, name)].health.state = st;
}

/* First seen and first healthy (-1: never), in ms after T+0. */
static inline void model_times(struct model *m, const char *name, int64_t seen, int64_t healthy)
{
    struct health *h = &m->sched.svcs[model_idx(m, name)].health;
    h->first_seen_ms = seen;
    h->first_healthy_ms = healthy;
    /* Probed every second: the last probe that found it down began one
     * second before it was healthy (or when it was seen, if never). */
    h->down_began_ms = healthy >= 0 ? healthy - 1000 : seen;
    h->since_ms = healthy >= 0 ? healthy : seen;
    if (seen >= 0)
        h->state = healthy >= 0 ? HEALTH_HEALTHY : HEALTH_STARTING;
}

/* The seed's stack (PRIORITY_3_COMPLETION_SUMMARY.md) as the demo serves it. */
static const char *const seed_names[] = {
    "redis", "falkordb", "feast",        "mlflow",        "opik",         "bentoml",
    "api",   "frontend", "worker_light", "worker_medium", "worker_heavy", "scheduler"};
static const char *const seed_deps[] = {"",
                                        "redis",
                                        "redis",
                                        "",
                                        "",
                                        "mlflow",
                                        "redis,feast,falkordb",
                                        "api",
                                        "redis,api",
                                        "redis,api",
                                        "redis,api",
                                        "redis,worker_light"};

static inline void model_seed(struct model *m)
{
    model_init(m, HT_ARRAY_LEN(seed_names), seed_names, seed_deps);
    m->cfg.svcs[model_idx(m, "worker_heavy")].replicas = 0;
    m->cfg.svcs[model_idx(m, "worker_light")].replicas = 2;
}

#endif
