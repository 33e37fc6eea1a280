/* The lint rules: one function per rule over the project's services,
 * each finding placed at the line it is about. */
#include "compose/lint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "compose/hcport.h"
#include "healthtop/text.h"
#include "yaml_doc.h"

enum {
    R_MISSING,
    R_STARTED,
    R_HEALTHY_NO_HC,
    R_DEP_NO_HC,
    R_SCALED_ZERO,
    R_CYCLE,
    R_HC_PORT,
    R_SLOW,
    R_RESTART,
    R_START_PERIOD,
    R_LIVE,
};

const struct lint_rule lint_rules[] = {
    [R_MISSING] = {"missing-dependency", LINT_ERROR,
                   "depends_on names a service that does not exist or is not in the active "
                   "profiles"},
    [R_STARTED] = {"depends-started", LINT_WARNING,
                   "condition service_started on a dependency that has a healthcheck: the "
                   "service can start before its dependency is ready"},
    [R_HEALTHY_NO_HC] = {"depends-healthy-no-healthcheck", LINT_ERROR,
                         "condition service_healthy on a dependency without a healthcheck: "
                         "compose fails at start"},
    [R_DEP_NO_HC] = {"dependency-no-healthcheck", LINT_WARNING,
                     "a service others depend on has no healthcheck, so they can only wait "
                     "for it to start"},
    [R_SCALED_ZERO] = {"depends-scaled-to-zero", LINT_WARNING,
                       "a dependency on a service scaled to 0: its condition can never be met"},
    [R_CYCLE] = {"depends-cycle", LINT_ERROR, "a cycle in depends_on"},
    [R_HC_PORT] = {"healthcheck-port", LINT_WARNING,
                   "the healthcheck checks a port the service neither exposes nor publishes"},
    [R_SLOW] = {"slow-detection", LINT_WARNING,
                "interval x retries + timeout is longer than the bound: a failure is seen "
                "late"},
    [R_RESTART] = {"restart-unhealthy", LINT_NOTE,
                   "restart: does not restart unhealthy containers outside Swarm"},
    [R_START_PERIOD] = {"start-period", LINT_WARNING,
                        "start_period shorter than the time the service took to become healthy "
                        "in a recorded run (--from-recording)"},
    [R_LIVE] = {"live-check", LINT_WARNING,
                "the healthcheck, run from the host against the published port, does not pass "
                "(--live)"},
};
const size_t lint_nrules = HT_ARRAY_LEN(lint_rules);

static const char *const cond_names[] = {"service_started", "service_healthy",
                                         "service_completed_successfully"};

static HT_PRINTF(5, 6) void add(struct lint_result *r, size_t rule, enum lint_severity sev,
                                const struct compose_pos *at, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    XGROW(r->v, r->cap, r->n + 1);
    r->v[r->n] = (struct lint_finding){*at, sev, rule, text_safe_dup(buf), NULL};
    r->count[sev]++;
    r->n++;
}

/* The fix of the finding just added. */
static HT_PRINTF(2, 3) void fix(struct lint_result *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->v[r->n - 1].fix = text_safe_dup(buf);
}

static bool has_check(const struct compose_service *s)
{
    return s->hc.present && !s->hc.disabled && s->hc.kind != COMPOSE_TEST_NONE_GIVEN;
}

/* ------------------------------------------------------------------ */
/* Dependencies                                                         */

/* "did you mean": the nearest name, else the names that begin with the
 * missing one ("worker" -> worker_light, worker_medium). */
static void did_you_mean(const struct compose_project *p, const char *name, char *out, size_t n)
{
    const char **names = xcalloc(p->nsvcs + 1, sizeof(*names));
    const char *near;
    size_t used = 0, k = 0;

    out[0] = '\0';
    for (size_t i = 0; i < p->nsvcs; i++)
        names[i] = p->svcs[i].name;
    if ((near = ydoc_nearest(name, names, p->nsvcs)) != NULL) {
        ht_snprintf(out, n, " (did you mean '%s'?)", near);
        free(names);
        return;
    }
    for (size_t i = 0; i < p->nsvcs; i++)
        if (strncmp(names[i], name, strlen(name)) == 0 && used + 1 < n) {
            ht_snprintf(out + used, n - used, "%s'%s'", k++ == 0 ? " (did you mean " : ", ",
                        names[i]);
            used = strlen(out);
        }
    if (k > 0 && used + 3 < n)
        ht_snprintf(out + used, n - used, "?)");
    /* "a, b, c" reads "a, b or c". */
    if (k > 1) {
        char *last = strrchr(out, ',');
        if (last != NULL && used + 3 < n) {
            memmove(last + 3, last + 1, strlen(last + 1) + 1);
            memcpy(last, " or", 3);
        }
    }
    free(names);
}

static void rule_deps(const struct compose_project *p, struct lint_result *r)
{
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        for (size_t j = 0; j < s->ndeps; j++) {
            const struct compose_dep *d = &s->deps[j];
            const struct compose_service *t = compose_service_find(p, d->name);
            const char *cond = cond_names[d->cond];
            char dym[512];
            if (t == NULL) {
                did_you_mean(p, d->name, dym, sizeof(dym));
                add(r, R_MISSING, d->required ? LINT_ERROR : LINT_WARNING, &d->pos,
                    "%s depends on '%s', which is not a service of this project%s", s->name,
                    d->name, dym);
                fix(r, "name an existing service in depends_on, or remove '%s'", d->name);
                continue;
            }
            if (s->active && !t->active && d->required) {
                add(r, R_MISSING, LINT_ERROR, &d->pos,
                    "%s depends on %s, which is not in the active profiles: compose refuses "
                    "to start %s",
                    s->name, t->name, s->name);
                fix(r, "enable a profile of %s (--profile %s), or give %s the same profiles",
                    t->name, t->nprofiles ? t->profiles[0] : "", s->name);
                continue;
            }
            if (t->replicas == 0 && d->required && d->cond != COMPOSE_COND_COMPLETED) {
                add(r, R_SCALED_ZERO, LINT_WARNING, &d->pos,
                    "%s waits for %s (%s), but %s is scaled to 0: the condition can never be "
                    "met, and compose starts %s without it",
                    s->name, t->name, cond, t->name, s->name);
                fix(r, "scale %s up, remove the dependency, or mark it required: false", t->name);
                continue;
            }
            if (d->cond == COMPOSE_COND_STARTED && has_check(t)) {
                add(r, R_STARTED, LINT_WARNING, &d->cond_pos,
                    "%s waits for %s with condition service_started, but %s has a healthcheck: "
                    "it can start before %s is ready",
                    s->name, t->name, t->name, t->name);
                if (d->cond_pos.line == d->pos.line && d->cond_pos.col == d->pos.col)
                    fix(r, "depends_on: {%s: {condition: service_healthy}}", t->name);
                else
                    fix(r, "condition: service_healthy");
            }
            if (d->cond == COMPOSE_COND_HEALTHY && !has_check(t)) {
                bool off = t->hc.present && t->hc.disabled;
                add(r, R_HEALTHY_NO_HC, off ? LINT_ERROR : LINT_WARNING, &d->cond_pos,
                    off ? "%s waits for %s to be healthy, but %s's healthcheck is disabled: "
                          "compose fails to start %s"
                        : "%s waits for %s to be healthy, but %s has no healthcheck in the "
                          "compose file: unless its image defines one, compose fails to start %s",
                    s->name, t->name, t->name, s->name);
                fix(r, "add a healthcheck to %s, or use condition: service_started", t->name);
            }
        }
    }
}

/* A service depended on with service_started by others, without a
 * healthcheck. Those waiting with service_healthy are the rule above.
 * One pass over every dependency names each service's dependents. */
static void rule_dep_no_hc(const struct compose_project *p, struct lint_result *r)
{
    char(*who)[512] = xcalloc(p->nsvcs + 1, sizeof(*who));
    size_t *k = xcalloc(p->nsvcs + 1, sizeof(*k));

    for (size_t a = 0; a < p->nsvcs; a++)
        for (size_t j = 0; j < p->svcs[a].ndeps; j++) {
            const struct compose_dep *d = &p->svcs[a].deps[j];
            const struct compose_service *t = compose_service_find(p, d->name);
            size_t ti, used;
            if (t == NULL || d->cond != COMPOSE_COND_STARTED)
                continue;
            ti = (size_t)(t - p->svcs);
            used = strlen(who[ti]);
            if (used + 1 < sizeof(who[ti]))
                ht_snprintf(who[ti] + used, sizeof(who[ti]) - used, "%s%s", k[ti] ? ", " : "",
                            p->svcs[a].name);
            k[ti]++;
        }
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *t = &p->svcs[i];
        if (k[i] == 0 || has_check(t) || t->replicas == 0)
            continue;
        add(r, R_DEP_NO_HC, LINT_WARNING, &t->pos,
            "%s is a dependency of %s but has no healthcheck%s: %s can only wait for it to "
            "start, not to be ready",
            t->name, who[i], t->hc.present ? " (disabled)" : "", k[i] > 1 ? "they" : who[i]);
        fix(r, "give %s a healthcheck and depend on it with condition: service_healthy", t->name);
    }
    free(who);
    free(k);
}

/* A depends_on cycle, reported at the entry that closes it. */
static int cycle_found(const struct compose_project *p, const size_t *path, size_t len, size_t dep,
                       void *ud)
{
    const struct compose_service *s = &p->svcs[path[len - 1]];
    const struct compose_service *t = &p->svcs[path[0]];
    struct lint_result *r = ud;
    char names[512] = "";
    size_t used = 0;

    for (size_t k = 0; k < len && used + 1 < sizeof(names); k++) {
        ht_snprintf(names + used, sizeof(names) - used, "%s -> ", p->svcs[path[k]].name);
        used = strlen(names);
    }
    ht_snprintf(names + used, sizeof(names) - used, "%s", t->name);
    add(r, R_CYCLE, LINT_ERROR, &s->deps[dep].pos,
        "depends_on cycle: %s: compose cannot start any of them", names);
    fix(r, "remove %s from %s's depends_on (or the other edge of the cycle)", t->name, s->name);
    return 0;
}

static void rule_cycles(const struct compose_project *p, struct lint_result *r)
{
    compose_cycles(p, cycle_found, r);
}

/* ------------------------------------------------------------------ */
/* Healthchecks                                                         */

static bool port_in(const struct compose_port *v, size_t n, int port)
{
    for (size_t i = 0; i < n; i++)
        if (port >= v[i].target && port <= v[i].target_end)
            return true;
    return false;
}

static void rule_hc_port(const struct compose_project *p, struct lint_result *r)
{
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        struct hcport hp;
        char known[256] = "", test[512];
        int seen[16] = {0};
        size_t used = 0, count = 0;
        if (!has_check(s) || s->nports + s->nexpose == 0 || hcport_find(&s->hc, &hp) != 0)
            continue;
        if (port_in(s->ports, s->nports, hp.port) || port_in(s->expose, s->nexpose, hp.port))
            continue;
        /* The container ports it does listen on, each once. */
        for (size_t k = 0; k < s->nports + s->nexpose; k++) {
            const struct compose_port *v = k < s->nports ? &s->ports[k] : &s->expose[k - s->nports];
            bool dup = false;
            for (size_t j = 0; j < count; j++)
                dup = dup || seen[j] == v->target;
            if (dup || count == HT_ARRAY_LEN(seen))
                continue;
            seen[count++] = v->target;
            ht_snprintf(known + used, sizeof(known) - used, "%s%d%s", count > 1 ? ", " : "",
                        v->target, v->target_end > v->target ? "-..." : "");
            used = strlen(known);
        }
        add(r, R_HC_PORT, LINT_WARNING, &s->hc.test_pos,
            "%s's healthcheck checks port %d (%s), but %s listens on %s (its ports and "
            "expose): the check tests the wrong endpoint",
            s->name, hp.port, hp.what, s->name, known);
        hcport_rewrite(&s->hc, &hp, seen[0], test, sizeof(test));
        if (count == 1 && test[0])
            fix(r, "test: %s", test);
        else if (count == 1)
            fix(r, "check port %d", seen[0]);
        else
            fix(r, "check one of the ports %s listens on, or add %d to expose", s->name, hp.port);
    }
}

static void rule_slow(const struct compose_project *p, const struct lint_opts *o,
                      struct lint_result *r)
{
    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        int64_t iv = s->hc.interval_ms >= 0 ? s->hc.interval_ms : COMPOSE_HC_INTERVAL_MS;
        int64_t to = s->hc.timeout_ms >= 0 ? s->hc.timeout_ms : COMPOSE_HC_TIMEOUT_MS;
        int64_t re = s->hc.retries >= 0 ? s->hc.retries : COMPOSE_HC_RETRIES;
        int64_t total = iv * re + to, sug_to, sug_iv;
        char a[32], b[32], c[32], d[32], e[32];
        if (!has_check(s) || total <= o->max_detection_ms)
            continue;
        ht_duration_format(total, a, sizeof(a));
        ht_duration_format(o->max_detection_ms, b, sizeof(b));
        ht_duration_format(iv, c, sizeof(c));
        ht_duration_format(to, d, sizeof(d));
        add(r, R_SLOW, LINT_WARNING, &s->hc.pos,
            "%s's failure is seen only after %s (interval %s x retries %d + timeout %s%s), "
            "more than %s",
            s->name, a, c, (int)re, d,
            s->hc.interval_ms < 0 || s->hc.timeout_ms < 0 || s->hc.retries < 0
                ? "; the engine's defaults for what is not given"
                : "",
            b);
        /* A suggestion that fits: the timeout at most a sixth of the
         * bound, the interval what is left over the retries. */
        sug_to = to < o->max_detection_ms / 6 ? to : (o->max_detection_ms / 6) / 1000 * 1000;
        if (sug_to < 1000)
            sug_to = 1000;
        sug_iv = (o->max_detection_ms - sug_to) / (re > 0 ? re : 1) / 1000 * 1000;
        if (sug_iv < 1000)
            sug_iv = 1000;
        ht_duration_format(sug_iv * re + sug_to, e, sizeof(e));
        fix(r, "interval: %llds, timeout: %llds, retries: %d (detects in %s)",
            (long long)(sug_iv / 1000), (long long)(sug_to / 1000), (int)re, e);
    }
}

/* One note for the project, at the first such restart: (the same
 * misunderstanding usually sits on every service), naming them all. */
static void rule_restart(const struct compose_project *p, struct lint_result *r)
{
    const struct compose_service *first = NULL;
    char names[512] = "";
    size_t used = 0, k = 0;

    for (size_t i = 0; i < p->nsvcs; i++) {
        const struct compose_service *s = &p->svcs[i];
        if (!has_check(s) || s->restart == NULL || strcmp(s->restart, "no") == 0)
            continue;
        if (first == NULL || s->restart_pos.line < first->restart_pos.line)
            first = s;
        if (used + 1 < sizeof(names))
            ht_snprintf(names + used, sizeof(names) - used, "%s%s", k ? ", " : "", s->name);
        used = strlen(names);
        k++;
    }
    if (first == NULL)
        return;
    add(r, R_RESTART, LINT_NOTE, &first->restart_pos,
        "restart: %s restarts a container when its process exits, not when its healthcheck "
        "fails: outside Swarm the engine leaves an unhealthy container running (%s %s)",
        first->restart, k == 1 ? "service" : "services", names);
    fix(r, "make the check stop the process when it fails (test: \"... || kill 1\"), or "
           "run a watcher that restarts unhealthy containers; only Swarm replaces "
           "unhealthy tasks");
}

/* A suggested start_period: what the run took and a quarter more, up to
 * the next 5 s. */
static int64_t suggest_start_period(int64_t took_ms)
{
    int64_t v = took_ms + took_ms / 4;

    return (v + 4999) / 5000 * 5000;
}

static void rule_start_period(const struct compose_project *p, const struct lint_opts *o,
                              struct lint_result *r)
{
    for (size_t i = 0; i < o->nmeasured; i++) {
        const struct compose_service *s = compose_service_find(p, o->measured[i].name);
        int64_t sp, took = o->measured[i].took_ms;
        char a[32], b[32], c[32];
        if (s == NULL || !has_check(s))
            continue;
        sp = s->hc.start_period_ms >= 0 ? s->hc.start_period_ms : 0;
        if (took <= sp)
            continue;
        ht_duration_format(took, a, sizeof(a));
        ht_duration_format(sp, b, sizeof(b));
        ht_snprintf(c, sizeof(c), "%llds", (long long)(suggest_start_period(took) / 1000));
        add(r, R_START_PERIOD, LINT_WARNING, &s->hc.pos,
            "%s took %s to become healthy in %s, but its start_period is %s%s: the checks that "
            "fail while it starts count against its retries",
            s->name, a, o->measured_from ? o->measured_from : "the recording", b,
            s->hc.start_period_ms < 0 ? " (not given)" : "");
        fix(r, "start_period: %s", c);
    }
}

void lint_live_result(struct lint_result *r, const struct compose_service *s, const char *target,
                      const struct probe_result *res, bool has_result)
{
    if (has_result && res->ok)
        return;
    add(r, R_LIVE, LINT_WARNING, &s->hc.test_pos,
        "%s's healthcheck does not pass from the host: %s %s", s->name, target,
        has_result ? res->message : "gave no answer in 5 s");
    fix(r, "make %s answer there, or point the healthcheck at an endpoint that does", s->name);
}

/* ------------------------------------------------------------------ */

static int finding_cmp(const void *a, const void *b)
{
    const struct lint_finding *x = a, *y = b;
    int c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");

    if (c != 0)
        return c;
    if (x->pos.line != y->pos.line)
        return x->pos.line < y->pos.line ? -1 : 1;
    if (x->pos.col != y->pos.col)
        return x->pos.col < y->pos.col ? -1 : 1;
    return x->rule < y->rule ? -1 : (x->rule > y->rule);
}

void lint_run(const struct compose_project *p, const struct lint_opts *o, struct lint_result *r)
{
    memset(r, 0, sizeof(*r));
    rule_deps(p, r);
    rule_dep_no_hc(p, r);
    rule_cycles(p, r);
    rule_hc_port(p, r);
    rule_slow(p, o, r);
    rule_restart(p, r);
    rule_start_period(p, o, r);
    if (o->live)
        lint_live(p, r);
    if (r->n > 1)
        qsort(r->v, r->n, sizeof(*r->v), finding_cmp);
}

void lint_result_free(struct lint_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].msg);
        free(r->v[i].fix);
    }
    free(r->v);
    memset(r, 0, sizeof(*r));
}
