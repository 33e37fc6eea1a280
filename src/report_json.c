/* The --json document, and the per-service object the recorder reuses. */
#include "healthtop/report.h"

#include <stdlib.h>
#include <time.h>
#include "healthtop/deps.h"

static json_t *offset_or_null(const struct scheduler *s, int64_t t_ms)
{
    return t_ms < 0 ? json_null() : json_real((double)(t_ms - s->t0_ms) / 1000.0);
}

/* The root causes blocking svc (deps.h), by name; [] when not blocked.
 * With w, from a walk made once for the whole document. */
static json_t *blocked_by_json(const struct scheduler *s, const struct service *svc,
                               struct deps_walk *w)
{
    size_t roots[16], n = w ? deps_walk_blocked_by(w, svc->idx, roots, HT_ARRAY_LEN(roots))
                            : deps_blocked_by(s, svc->idx, roots, HT_ARRAY_LEN(roots));
    json_t *a = json_array();

    for (size_t i = 0; i < n && i < HT_ARRAY_LEN(roots); i++)
        json_array_append_new(a, json_string(s->svcs[roots[i]].cfg->name));
    return a;
}

/* A probe's message may quote any bytes a server sent, and jansson
 * refuses a string that is not UTF-8: such bytes become '?'. */
json_t *report_json_text(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j != NULL)
        return j;
    copy = xstrdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *service_json(const struct scheduler *s, const struct service *svc,
                            struct deps_walk *w)
{
    const struct svc_config *c = svc->cfg;
    const struct probe_result *r = &svc->last;
    json_t *o = json_object(), *deps = json_array();

    for (size_t i = 0; i < c->ndeps; i++)
        json_array_append_new(deps, json_string(c->depends_on[i]));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "label", json_string(c->label));
    json_object_set_new(o, "group", json_string(c->group));
    json_object_set_new(o, "kind", json_string(probe_kind_name(c->kind)));
    if (svc->source != NULL) /* a row made from its source's answer (rows_by) */
        json_object_set_new(o, "source", json_string(svc->source->cfg->name));
    if (c->kind == PROBE_HTTP && c->u.http.insecure)
        json_object_set_new(o, "insecure", json_true()); /* TLS not verified */
    json_object_set_new(o, "status", json_string(health_state_name(svc->health.state)));
    json_object_set_new(
        o, "replicas",
        json_pack("{s:i, s:i}", "up", svc->has_result ? r->up : 0, "expected", c->replicas));
    json_object_set_new(o, "latency_ms",
                        svc->has_result && r->latency_us >= 0
                            ? json_real((double)r->latency_us / 1000.0)
                            : json_null());
    json_object_set_new(o, "message", report_json_text(svc->has_result ? r->message : ""));
    if (svc->has_result && r->listening >= 0)
        json_object_set_new(o, "listening", json_integer(r->listening));
    /* Probes finished so far: lets a caller see each service's cadence
     * (the fault and soak tests check that one service's trouble never
     * slows another's probing). */
    json_object_set_new(o, "probes", json_integer((json_int_t)svc->probes));
    json_object_set_new(o, "depends_on", deps);
    json_object_set_new(o, "blocked_by", blocked_by_json(s, svc, w));
    {
        char why[PROBE_MSG_MAX + 128];
        /* Why it can no longer get healthy by itself (deps.h), or null. */
        json_object_set_new(o, "hopeless",
                            deps_hopeless(s, svc->idx, why, sizeof(why)) ? report_json_text(why)
                                                                         : json_null());
    }
    json_object_set_new(o, "first_seen", offset_or_null(s, svc->health.first_seen_ms));
    json_object_set_new(o, "first_healthy", offset_or_null(s, svc->health.first_healthy_ms));
    return o;
}

json_t *report_service_json(const struct scheduler *s, const struct service *svc)
{
    return service_json(s, svc, NULL);
}

/* Linear in the services and their dependencies: one deps_walk serves
 * every service's blocked_by and the root causes (5,000 services with a
 * thousand down cost seconds when each asked deps.h afresh). */
json_t *report_json(const struct scheduler *s)
{
    struct deps_walk *w = deps_walk_new(s);
    int c[HEALTH_STATE_COUNT];
    json_t *doc = json_object(), *svcs = json_array();
    char stamp[40];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; i < s->nsvcs; i++)
        json_array_append_new(svcs, service_json(s, &s->svcs[i], w));
    sched_counts(s, c);
    json_object_set_new(doc, "title", json_string(s->cfg->title));
    json_object_set_new(doc, "timestamp", json_string(stamp));
    json_object_set_new(
        doc, "status",
        json_string(report_exit_code(s) == 0 ? "healthy" : health_state_name(sched_overall(s))));
    json_object_set_new(doc, "services", svcs);
    json_t *roots = json_array();
    for (size_t i = 0; i < s->nsvcs; i++)
        if (deps_walk_is_root(w, i))
            json_array_append_new(roots, json_string(s->svcs[i].cfg->name));
    json_object_set_new(doc, "root_causes", roots);
    json_t *gone = json_array();
    for (size_t i = 0; i < s->nsvcs; i++) {
        char why[PROBE_MSG_MAX + 128];
        if (deps_hopeless(s, i, why, sizeof(why)))
            json_array_append_new(gone, json_string(s->svcs[i].cfg->name));
    }
    json_object_set_new(doc, "hopeless", gone);
    json_t *sum = json_object();
    json_object_set_new(sum, "total", json_integer((json_int_t)s->nsvcs));
    for (int st = 0; st < HEALTH_STATE_COUNT; st++)
        json_object_set_new(sum, health_state_name(st), json_integer(c[st]));
    json_object_set_new(doc, "summary", sum);
    deps_walk_free(w);
    return doc;
}

int report_json_print(FILE *out, const struct scheduler *s)
{
    json_t *doc = report_json(s);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(doc);
    fputc('\n', out);
    return rc == 0 ? 0 : -1;
}
