/* /metrics: the model as Prometheus text exposition 0.0.4 or OpenMetrics
 * 1.0.
 *
 * Both formats are lines of "name{label="value",...} number", grouped in
 * families introduced by "# HELP name text" and "# TYPE name type". Label
 * values escape backslash, double quote and line feed (\\ \" \n); HELP
 * text escapes backslash and line feed, and OpenMetrics allows no bare
 * double quote in it (ours are fixed and hold none). The formats differ
 * in three places handled here: OpenMetrics names a counter's family
 * without its "_total" suffix (the sample keeps it), has an "info" type
 * whose family drops the "_info" suffix, and ends with "# EOF". Every name and unit
 * follows Prometheus' conventions: base units (seconds), counters end in
 * _total. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/alerts.h"
#include "healthtop/deps.h"
#include "healthtop/health.h"
#include "healthtop/scheduler.h"
#include "healthtop/text.h"

static const double bucket_le[METRICS_NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10,  30};
/* The le label of each bucket, as written. */
static const char *const bucket_label[METRICS_NBUCKETS] = {
    "le=\"0.005\"", "le=\"0.01\"", "le=\"0.025\"", "le=\"0.05\"", "le=\"0.1\"",  "le=\"0.25\"",
    "le=\"0.5\"",   "le=\"1.0\"",  "le=\"2.5\"",   "le=\"5.0\"",  "le=\"10.0\"", "le=\"30.0\""};

void metrics_reset(struct metrics *m, size_t nsvcs)
{
    free(m->svcs);
    m->svcs = xcalloc(nsvcs ? nsvcs : 1, sizeof(*m->svcs));
    m->nsvcs = nsvcs;
}

void metrics_free(struct metrics *m)
{
    free(m->svcs);
    memset(m, 0, sizeof(*m));
}

void metrics_observe(struct metrics *m, size_t idx, const struct probe_result *r)
{
    struct metrics_svc *ms;

    if (idx >= m->nsvcs)
        return;
    ms = &m->svcs[idx];
    if (r->ok)
        ms->ok++;
    else
        ms->fail++;
    if (r->latency_us >= 0) {
        double s = (double)r->latency_us / 1e6;
        size_t b = 0;

        while (b < METRICS_NBUCKETS && s > bucket_le[b])
            b++;
        if (b < METRICS_NBUCKETS)
            ms->buckets[b]++;
        ms->count++;
        ms->sum_s += s;
    }
}

/* Outside text (a service's name, group, project) made safe like every
 * other (text.h: secrets masked, controls shown as escapes), then escaped
 * for a label value. */
static int label_value(struct buf *out, const char *raw)
{
    char safe[512];
    int rc = 0;

    text_safe_str(safe, sizeof(safe), raw);
    for (const char *p = safe; *p; p++) {
        if (*p == '\\')
            rc |= buf_append(out, "\\\\", 2);
        else if (*p == '"')
            rc |= buf_append(out, "\\\"", 2);
        else if (*p == '\n')
            rc |= buf_append(out, "\\n", 2);
        else
            rc |= buf_append(out, p, 1);
    }
    return rc;
}

/* Every service's labels, once per scrape: service, group, kind, and the
 * compose project of a docker service that names one. */
static char **labels_build(const struct scheduler *s)
{
    char **labels = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*labels));

    for (size_t i = 0; i < s->nsvcs; i++) {
        const struct svc_config *c = s->svcs[i].cfg;
        struct buf b;
        int rc;

        buf_init(&b, 4096);
        rc = buf_append(&b, "service=\"", 9);
        rc |= label_value(&b, c->name);
        rc |= buf_append(&b, "\",group=\"", 9);
        rc |= label_value(&b, c->group ? c->group : "Services");
        rc |= buf_printf(&b, "\",kind=\"%s\"", probe_kind_name(c->kind));
        if (c->kind == PROBE_DOCKER && c->u.docker.project) {
            rc |= buf_append(&b, ",project=\"", 10);
            rc |= label_value(&b, c->u.docker.project);
            rc |= buf_append(&b, "\"", 1);
        }
        (void)rc; /* 4 KiB holds three 512-byte values escaped */
        labels[i] = b.data ? b.data : xstrdup("");
    }
    return labels;
}

/* One sample with an integer value, "name{labels[,extra]} v", without
 * printf: a 5,000-service scrape writes 150,000 of them. */
static int sample(struct buf *out, const char *name, const char *labels, const char *extra,
                  uint64_t v)
{
    char num[24];
    size_t k = sizeof(num);
    int rc;

    do {
        num[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    rc = buf_append(out, name, strlen(name));
    rc |= buf_append(out, "{", 1);
    rc |= buf_append(out, labels, strlen(labels));
    if (extra) {
        rc |= buf_append(out, ",", 1);
        rc |= buf_append(out, extra, strlen(extra));
    }
    rc |= buf_append(out, "} ", 2);
    rc |= buf_append(out, num + k, sizeof(num) - k);
    rc |= buf_append(out, "\n", 1);
    return rc;
}

static int family(struct buf *out, const char *name, const char *type, const char *help, bool om)
{
    size_t n = strlen(name);

    /* OpenMetrics names a counter's family without "_total", an info's
     * without "_info"; the text format names both after their sample. */
    if (om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
        n -= 6;
    if (om && strcmp(type, "info") == 0 && n > 5 && strcmp(name + n - 5, "_info") == 0)
        n -= 5;
    if (!om && strcmp(type, "info") == 0)
        type = "gauge";
    return buf_printf(out, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name,
                      type);
}

static int service_gauges(struct buf *out, const struct scheduler *s, char **labels, bool om)
{
    bool *blocked = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*blocked));
    char state_label[HEALTH_STATE_COUNT][32];
    int rc = 0;

    for (int st = 0; st < HEALTH_STATE_COUNT; st++)
        ht_snprintf(state_label[st], sizeof(state_label[st]), "state=\"%s\"",
                    health_state_name((enum health_state)st));
    rc |= family(out, "healthtop_service_up", "gauge",
                 "1 when the service is healthy or degraded, else 0.", om);
    for (size_t i = 0; i < s->nsvcs; i++) {
        enum health_state st = s->svcs[i].health.state;
        rc |= sample(out, "healthtop_service_up", labels[i], NULL,
                     st == HEALTH_HEALTHY || st == HEALTH_DEGRADED);
    }
    rc |= family(out, "healthtop_service_state", "gauge",
                 "The service's state: 1 for the current one, 0 for the others.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        for (int st = 0; st < HEALTH_STATE_COUNT; st++)
            rc |= sample(out, "healthtop_service_state", labels[i], state_label[st],
                         s->svcs[i].health.state == (enum health_state)st);
    rc |= family(out, "healthtop_service_replicas", "gauge",
                 "Replicas that answered correctly in the last probe.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, "healthtop_service_replicas", labels[i], NULL,
                     (uint64_t)(s->svcs[i].health.up > 0 ? s->svcs[i].health.up : 0));
    rc |= family(out, "healthtop_service_replicas_expected", "gauge",
                 "Replicas the config expects.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, "healthtop_service_replicas_expected", labels[i], NULL,
                     (uint64_t)(s->svcs[i].cfg->replicas > 0 ? s->svcs[i].cfg->replicas : 0));
    rc |= family(out, "healthtop_service_blocked", "gauge",
                 "1 when the service is down because a service it depends on is unhealthy.", om);
    deps_blocked_all(s, blocked);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, "healthtop_service_blocked", labels[i], NULL, blocked[i]);
    rc |= family(out, "healthtop_service_first_healthy_seconds", "gauge",
                 "Seconds from the start (T+0) to the first healthy result: the cold-start "
                 "time. Absent until the service is first healthy.",
                 om);
    for (size_t i = 0; i < s->nsvcs; i++) {
        int64_t t = s->svcs[i].health.first_healthy_ms;
        if (t >= 0)
            rc |= buf_printf(out, "healthtop_service_first_healthy_seconds{%s} %.3f\n", labels[i],
                             (double)(t - s->origin_ms) / 1000.0);
    }
    free(blocked);
    return rc;
}

static int probe_counters(struct buf *out, const struct scheduler *s, const struct metrics *m,
                          char **labels, bool om)
{
    size_t n = s->nsvcs < m->nsvcs ? s->nsvcs : m->nsvcs;
    int rc = 0;

    rc |= family(out, "healthtop_probes_total", "counter",
                 "Probes finished, by whether the probe passed (result: success) or not (failure).",
                 om);
    for (size_t i = 0; i < n; i++) {
        rc |= sample(out, "healthtop_probes_total", labels[i], "result=\"success\"", m->svcs[i].ok);
        rc |=
            sample(out, "healthtop_probes_total", labels[i], "result=\"failure\"", m->svcs[i].fail);
    }
    rc |= family(out, "healthtop_probe_duration_seconds", "histogram",
                 "How long probes took (the slowest replica's time).", om);
    for (size_t i = 0; i < n; i++) {
        const struct metrics_svc *ms = &m->svcs[i];
        uint64_t cum = 0;

        for (size_t b = 0; b < METRICS_NBUCKETS; b++) {
            cum += ms->buckets[b];
            rc |= sample(out, "healthtop_probe_duration_seconds_bucket", labels[i], bucket_label[b],
                         cum);
        }
        rc |= sample(out, "healthtop_probe_duration_seconds_bucket", labels[i], "le=\"+Inf\"",
                     ms->count);
        rc |= buf_printf(out, "healthtop_probe_duration_seconds_sum{%s} %.6f\n", labels[i],
                         ms->sum_s);
        rc |= sample(out, "healthtop_probe_duration_seconds_count", labels[i], NULL, ms->count);
    }
    return rc;
}

int metrics_write(struct buf *out, const struct scheduler *s, const struct metrics *m,
                  bool openmetrics)
{
    char **labels = labels_build(s);
    int rc = 0;

    rc |= family(out, "healthtop_build_info", "info", "healthtop's version.", openmetrics);
    rc |= buf_printf(out, "healthtop_build_info{version=\"%s\"} 1\n", HT_VERSION);
    rc |= service_gauges(out, s, labels, openmetrics);
    rc |= probe_counters(out, s, m, labels, openmetrics);
    rc |= alerts_metrics_write(m->alerts, out, openmetrics);
    if (openmetrics)
        rc |= buf_append(out, "# EOF\n", 6);
    for (size_t i = 0; i < s->nsvcs; i++)
        free(labels[i]);
    free(labels);
    return rc ? -1 : 0;
}
