/* A compose project as healthtop's config: each service a docker row
 * (its containers found by the project and service labels), replicas
 * from deploy.replicas or scale, the healthcheck's timings as the row's,
 * depends_on as the dependency graph. */
#include "compose/compose.h"
#include "compose/hostprobe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "docker_host.h"
#include "healthtop/config.h"
#include "healthtop/text.h"

#define GROUP_ACTIVE   "Services"
#define GROUP_INACTIVE "Not in the active profiles"

/* A string from an x-healthtop: extension (compose ignores x- keys), or
 * NULL when it is not there or not a string. */
static const char *ext_str(const struct cnode *node, const char *key)
{
    const struct cnode *v = cnode_get(cnode_get(node, "x-healthtop"), key);

    return v != NULL && v->type == CNODE_SCALAR && v->str[0] ? v->str : NULL;
}

/* compose's own rule for service names; anything else is refused rather
 * than shown. */
static bool name_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* The row's timings: the healthcheck's, where it gives them. */
static void timings(const struct compose_service *s, struct svc_config *c)
{
    const struct compose_healthcheck *hc = &s->hc;
    bool on = hc->present && !hc->disabled;

    c->interval_ms = on && hc->interval_ms > 0 ? hc->interval_ms : CONFIG_DEFAULT_INTERVAL_MS;
    c->timeout_ms = on && hc->timeout_ms > 0 ? hc->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
    if (c->timeout_ms > c->interval_ms)
        c->timeout_ms = c->interval_ms;
    c->retries = on && hc->retries > 0 ? hc->retries : CONFIG_DEFAULT_RETRIES;
    c->start_period_ms = on && hc->start_period_ms > 0 ? hc->start_period_ms : 0;
    c->start_interval_ms = on && hc->start_interval_ms > 0 ? hc->start_interval_ms : c->interval_ms;
}

/* The engine's restart policy for s: restart:, else the condition of
 * deploy.restart_policy (which compose applies when restart: is not
 * given), else compose's default, "no". */
static enum docker_restart restart_policy(const struct compose_service *s)
{
    const char *r = s->restart;

    if (r == NULL && s->restart_condition != NULL) {
        if (strcmp(s->restart_condition, "any") == 0)
            return DOCKER_RESTART_ALWAYS;
        r = strcmp(s->restart_condition, "none") == 0 ? "no" : s->restart_condition;
    }
    if (r == NULL || strcmp(r, "no") == 0)
        return DOCKER_RESTART_NO;
    if (strncmp(r, "on-failure", 10) == 0 && (r[10] == '\0' || r[10] == ':'))
        return DOCKER_RESTART_ON_FAILURE;
    if (strcmp(r, "always") == 0)
        return DOCKER_RESTART_ALWAYS;
    if (strcmp(r, "unless-stopped") == 0)
        return DOCKER_RESTART_UNLESS_STOPPED;
    return DOCKER_RESTART_UNKNOWN; /* not one the engine knows: no judgement */
}

/* Marks job[k] for each service k another active one waits for with
 * condition service_completed_successfully (one pass, by the index). */
static void mark_jobs(const struct compose_project *p, bool *job)
{
    for (size_t i = 0; i < p->nsvcs; i++)
        for (size_t j = 0; p->svcs[i].active && j < p->svcs[i].ndeps; j++) {
            const struct compose_service *t;
            if (p->svcs[i].deps[j].cond != COMPOSE_COND_COMPLETED)
                continue;
            t = compose_service_find(p, p->svcs[i].deps[j].name);
            if (t != NULL)
                job[t - p->svcs] = true;
        }
}

/* The first depends_on cycle, as an error: the config's graph must have
 * none. */
static int cycle_error(const struct compose_project *p, const size_t *path, size_t len, size_t dep,
                       void *ud)
{
    char **err = ud;
    size_t n = 512;

    (void)dep;
    *err = xmalloc(n);
    ht_snprintf(*err, n, "depends_on has a cycle through %s and %s: `healthtop lint` shows it",
                p->svcs[path[len - 1]].name, p->svcs[path[0]].name);
    return 1;
}

static void deps(const struct compose_project *p, const struct compose_service *s,
                 struct svc_config *c)
{
    c->depends_on = xcalloc(s->ndeps + 1, sizeof(char *));
    c->dep_idx = xcalloc(s->ndeps + 1, sizeof(size_t));
    for (size_t j = 0; j < s->ndeps; j++) {
        const struct compose_service *t = compose_service_find(p, s->deps[j].name);
        size_t k = t ? (size_t)(t - p->svcs) : SIZE_MAX;
        bool dup = false;
        /* A dependency that does not exist is lint's to report; the
         * dashboard shows what does. */
        if (t == NULL || t == s)
            continue;
        for (size_t m = 0; m < c->ndeps; m++)
            dup = dup || c->dep_idx[m] == k;
        if (dup)
            continue;
        c->depends_on[c->ndeps] = xstrdup(t->name);
        c->dep_idx[c->ndeps++] = k;
    }
}

/* The fields every row of service s has, whatever probes it. */
static void row_common(const struct compose_service *s, struct svc_config *c)
{
    const char *ext;

    c->name = xstrdup(s->name);
    /* Text shown as it is, made safe as the config loader makes title,
     * label and group safe (text.h). */
    c->label = text_safe_dup((ext = ext_str(s->node, "label")) ? ext : s->name);
    ext = ext_str(s->node, "group");
    c->group = text_safe_dup(!s->active ? GROUP_INACTIVE : ext ? ext : GROUP_ACTIVE);
    c->replicas = s->active ? s->replicas : 0;
    c->line = s->pos.line;
    timings(s, c);
}

/* Moves host row h's probe into c (h keeps an empty one to free). */
static void take_host(struct svc_config *c, struct svc_config *h)
{
    c->kind = h->kind;
    c->u = h->u;
    memset(&h->u, 0, sizeof(h->u));
    /* The host sees one endpoint, however many containers serve it. */
    c->replicas = c->replicas > 0 ? 1 : 0;
}

static char *make_title(const struct compose_project *p)
{
    const char *ext = ext_str(p->root, "title");
    char *safe = text_safe_dup(ext ? ext : ""), *title;
    size_t len = strlen(safe) + strlen(p->name) + 32;

    title = xmalloc(len);
    /* An x-healthtop title keeps saying where the rows come from. */
    if (ext != NULL)
        ht_snprintf(title, len, "%s (compose project %s)", safe, p->name);
    else
        ht_snprintf(title, len, "compose project %s", p->name);
    free(safe);
    return title;
}

static int check_project(const struct compose_project *p, char *err, size_t n)
{
    char *cycle = NULL;

    if (p->nsvcs == 0) {
        ht_snprintf(err, n, "%s: no services", p->nfiles ? p->files[0] : "compose project");
        return -1;
    }
    for (size_t i = 0; i < p->nsvcs; i++)
        if (!name_ok(p->svcs[i].name)) {
            ht_snprintf(err, n,
                        "%s:%u:%u: a service name is letters, digits, '.', '_' and '-' (compose "
                        "refuses the others)",
                        p->svcs[i].pos.file, p->svcs[i].pos.line, p->svcs[i].pos.col);
            return -1;
        }
    compose_cycles(p, cycle_error, &cycle);
    if (cycle != NULL) {
        ht_strlcpy(err, cycle, n);
        free(cycle);
        return -1;
    }
    return 0;
}

int compose_to_config(const struct compose_project *p, enum compose_probes probes,
                      struct ht_config *cfg, char *err, size_t n)
{
    struct ht_config host;
    size_t *at = xcalloc(p->nsvcs + 1, sizeof(*at)), *hrow = xcalloc(p->nsvcs + 1, sizeof(*hrow));
    char(*what)[HOSTPROBE_WHAT_MAX] = xcalloc(p->nsvcs + 1, sizeof(*what));
    char *sock = NULL;
    bool *job = xcalloc(p->nsvcs + 1, sizeof(*job));
    size_t extra = 0;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    memset(&host, 0, sizeof(host));
    if (check_project(p, err, n) != 0 || docker_host_resolve(&sock, err, n) != 0)
        goto out;
    if (probes != COMPOSE_PROBES_ENGINE && hostprobe_config(p, &host, at, what, err, n) != 0)
        goto out;
    mark_jobs(p, job);
    for (size_t i = 0; i < p->nsvcs; i++)
        hrow[i] = SIZE_MAX;
    for (size_t k = 0; k < host.nsvcs; k++)
        hrow[at[k]] = k;
    if (probes == COMPOSE_PROBES_BOTH)
        extra = host.nsvcs;
    cfg->title = make_title(p);
    cfg->path = xstrdup(p->nfiles ? p->files[0] : "");
    cfg->history_ms = CONFIG_DEFAULT_HISTORY_MS;
    cfg->max_inflight = CONFIG_DEFAULT_MAX_INFLIGHT;
    cfg->svcs = xcalloc(p->nsvcs + extra, sizeof(*cfg->svcs));
    cfg->nsvcs = p->nsvcs + extra;
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        struct svc_config *c = &cfg->svcs[i];
        row_common(s, c);
        deps(p, s, c);
        if (probes == COMPOSE_PROBES_HOST && hrow[i] != SIZE_MAX) {
            take_host(c, &host.svcs[hrow[i]]);
            continue;
        }
        c->kind = PROBE_DOCKER;
        c->u.docker.service = xstrdup(s->name);
        c->u.docker.project = xstrdup(p->name);
        c->u.docker.socket = xstrdup(sock);
        c->u.docker.restart = restart_policy(s);
        c->u.docker.completes = job[i];
    }
    /* --compose-probes both: the host's rows after the engine's, named
     * NAME/host ('/' is in no compose service name, so no clash). */
    for (size_t k = 0; k < extra; k++) {
        const struct compose_service *s = &p->svcs[at[k]];
        struct svc_config *c = &cfg->svcs[p->nsvcs + k];
        size_t len = strlen(s->name) + 8;
        char *label;
        row_common(s, c);
        free(c->name);
        c->name = xmalloc(len);
        ht_snprintf(c->name, len, "%s/host", s->name);
        len = strlen(c->label) + sizeof(" (from the host)");
        label = xmalloc(len);
        ht_snprintf(label, len, "%s (from the host)", c->label);
        free(c->label);
        c->label = label;
        take_host(c, &host.svcs[k]);
    }
    if (compose_ext_apply(p, cfg, err, n) != 0) {
        config_free(cfg);
        goto out;
    }
    rc = 0;
out:
    config_free(&host);
    free(sock);
    free(at);
    free(hrow);
    free(job);
    free(what);
    return rc;
}
