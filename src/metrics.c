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

static void labels_free(struct metrics_labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->text[i]);
    free(l->text);
    free(l->len);
    free(l->cfg);
    memset(l, 0, sizeof(*l));
}

void metrics_reset(struct metrics *m, size_t nsvcs)
{
    labels_free(&m->labels);
    free(m->svcs);
    m->svcs = xcalloc(nsvcs ? nsvcs : 1, sizeof(*m->svcs));
    m->nsvcs = nsvcs;
}

void metrics_free(struct metrics *m)
{
    labels_free(&m->labels);
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
    for (const char *p = safe; *p;) {
        size_t run = strcspn(p, "\\\"\n"); /* what needs no escape, at once */

        rc |= buf_append(out, p, run);
        p += run;
        if (*p == '\\')
            rc |= buf_append(out, "\\\\", 2);
        else if (*p == '"')
            rc |= buf_append(out, "\\\"", 2);
        else if (*p == '\n')
            rc |= buf_append(out, "\\n", 2);
        else
            break;
        p++;
    }
    return rc;
}

/* A service's labels: service, group, kind, and the compose project of a
 * docker service that names one. */
static char *labels_of(const struct svc_config *c, size_t *len)
{
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
    *len = b.len;
    return b.data ? b.data : xstrdup("");
}

/* Every service's labels, kept across scrapes (struct metrics_labels): a
 * scrape of 5,000 services made 15,000 values safe and escaped them. */
static const struct metrics_labels *labels_update(struct metrics_labels *l,
                                                  const struct scheduler *s)
{
    if (l->s != s || l->rows_gen != s->rows_gen || l->n != s->nsvcs) {
        labels_free(l);
        l->s = s;
        l->rows_gen = s->rows_gen;
        l->n = s->nsvcs;
        l->text = xcalloc(l->n ? l->n : 1, sizeof(*l->text));
        l->len = xcalloc(l->n ? l->n : 1, sizeof(*l->len));
        l->cfg = xcalloc(l->n ? l->n : 1, sizeof(*l->cfg));
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->cfg[i] != s->svcs[i].cfg || l->text[i] == NULL) {
            free(l->text[i]);
            l->text[i] = labels_of(s->svcs[i].cfg, &l->len[i]);
            l->cfg[i] = s->svcs[i].cfg;
        }
    return l;
}

/* A label set with its length. */
struct lab {
    const char *p;
    size_t n;
};

#define LAB(lit) ((struct lab){lit, sizeof(lit) - 1})

/* Writes v in decimal ending at end; returns where it starts. */
static char *u64_text(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return end;
}

/* One sample "name{labels[,extra]} value", where value is text, written
 * in one piece: a 5,000-service scrape writes 150,000 of them. */
static int sample_text(struct buf *out, struct lab name, struct lab labels, struct lab extra,
                       const char *v, size_t vn)
{
    char *p = buf_reserve(out, name.n + labels.n + extra.n + vn + 5);

    if (p == NULL)
        return -1;
    memcpy(p, name.p, name.n);
    p += name.n;
    *p++ = '{';
    memcpy(p, labels.p, labels.n);
    p += labels.n;
    if (extra.n) {
        *p++ = ',';
        memcpy(p, extra.p, extra.n);
        p += extra.n;
    }
    *p++ = '}';
    *p++ = ' ';
    memcpy(p, v, vn);
    p += vn;
    *p++ = '\n';
    buf_commit(out, p);
    return 0;
}

/* The same with an integer value, without printf. */
static int sample(struct buf *out, struct lab name, struct lab labels, struct lab extra, uint64_t v)
{
    char num[24], *start = u64_text(num + sizeof(num), v);

    return sample_text(out, name, labels, extra, start, (size_t)(num + sizeof(num) - start));
}

/* v with `places` decimals, as printf's "%.*f" writes it, into t (48
 * bytes); returns the length. Written by hand when v * 10^places is far
 * from a half (the only place where a double rounding could differ from
 * printf's exact one), by printf otherwise. */
static size_t fixed_text(char *t, double v, int places)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double x = v * scale[places], f = x >= 0 && x < 1e12 ? (double)(uint64_t)x : -1;

    if (f >= 0 && x - f != 0.5 && (x - f < 0.49 || x - f > 0.51)) {
        uint64_t n = (uint64_t)f + (x - f > 0.5);
        char num[24], *end = num + sizeof(num), *p = end;

        for (int k = 0; k < places; k++) {
            *--p = (char)('0' + n % 10);
            n /= 10;
        }
        *--p = '.';
        p = u64_text(p, n);
        memcpy(t, p, (size_t)(end - p));
        return (size_t)(end - p);
    }
    ht_snprintf(t, 48, "%.*f", places, v);
    for (char *p = t; *p; p++)
        if (*p != '-' && (*p < '0' || *p > '9'))
            *p = '.'; /* the locale's decimal point: the formats want '.' */
    return strlen(t);
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

#define LABELS(i) ((struct lab){L->text[i], L->len[i]})
#define NONE      ((struct lab){"", 0})

static int service_gauges(struct buf *out, const struct scheduler *s,
                          const struct metrics_labels *L, bool om)
{
    bool *blocked = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*blocked));
    char state_text[HEALTH_STATE_COUNT][32];
    struct lab state_label[HEALTH_STATE_COUNT];
    int rc = 0;

    for (int st = 0; st < HEALTH_STATE_COUNT; st++) {
        ht_snprintf(state_text[st], sizeof(state_text[st]), "state=\"%s\"",
                    health_state_name((enum health_state)st));
        state_label[st] = (struct lab){state_text[st], strlen(state_text[st])};
    }
    rc |= family(out, "healthtop_service_up", "gauge",
                 "1 when the service is healthy or degraded, else 0.", om);
    for (size_t i = 0; i < s->nsvcs; i++) {
        enum health_state st = s->svcs[i].health.state;
        rc |= sample(out, LAB("healthtop_service_up"), LABELS(i), NONE,
                     st == HEALTH_HEALTHY || st == HEALTH_DEGRADED);
    }
    rc |= family(out, "healthtop_service_state", "gauge",
                 "The service's state: 1 for the current one, 0 for the others.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        for (int st = 0; st < HEALTH_STATE_COUNT; st++)
            rc |= sample(out, LAB("healthtop_service_state"), LABELS(i), state_label[st],
                         s->svcs[i].health.state == (enum health_state)st);
    rc |= family(out, "healthtop_service_replicas", "gauge",
                 "Replicas that answered correctly in the last probe.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, LAB("healthtop_service_replicas"), LABELS(i), NONE,
                     (uint64_t)(s->svcs[i].health.up > 0 ? s->svcs[i].health.up : 0));
    rc |= family(out, "healthtop_service_replicas_expected", "gauge",
                 "Replicas the config expects.", om);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, LAB("healthtop_service_replicas_expected"), LABELS(i), NONE,
                     (uint64_t)(s->svcs[i].cfg->replicas > 0 ? s->svcs[i].cfg->replicas : 0));
    rc |= family(out, "healthtop_service_blocked", "gauge",
                 "1 when the service is down because a service it depends on is unhealthy.", om);
    deps_blocked_all(s, blocked);
    for (size_t i = 0; i < s->nsvcs; i++)
        rc |= sample(out, LAB("healthtop_service_blocked"), LABELS(i), NONE, blocked[i]);
    rc |= family(out, "healthtop_service_first_healthy_seconds", "gauge",
                 "Seconds from the start (T+0) to the first healthy result: the cold-start "
                 "time. Absent until the service is first healthy.",
                 om);
    for (size_t i = 0; i < s->nsvcs; i++) {
        int64_t t = s->svcs[i].health.first_healthy_ms;
        char v[48];

        if (t >= 0)
            rc |= sample_text(out, LAB("healthtop_service_first_healthy_seconds"), LABELS(i), NONE,
                              v, fixed_text(v, (double)(t - s->origin_ms) / 1000.0, 3));
    }
    free(blocked);
    return rc;
}

static int probe_counters(struct buf *out, const struct scheduler *s, const struct metrics *m,
                          const struct metrics_labels *L, bool om)
{
    size_t n = s->nsvcs < m->nsvcs ? s->nsvcs : m->nsvcs;
    int rc = 0;

    rc |= family(out, "healthtop_probes_total", "counter",
                 "Probes finished, by whether the probe passed (result: success) or not (failure).",
                 om);
    for (size_t i = 0; i < n; i++) {
        rc |= sample(out, LAB("healthtop_probes_total"), LABELS(i), LAB("result=\"success\""),
                     m->svcs[i].ok);
        rc |= sample(out, LAB("healthtop_probes_total"), LABELS(i), LAB("result=\"failure\""),
                     m->svcs[i].fail);
    }
    rc |= family(out, "healthtop_probe_duration_seconds", "histogram",
                 "How long probes took (the slowest replica's time).", om);
    for (size_t i = 0; i < n; i++) {
        const struct metrics_svc *ms = &m->svcs[i];
        uint64_t cum = 0;
        char v[48];

        for (size_t b = 0; b < METRICS_NBUCKETS; b++) {
            cum += ms->buckets[b];
            rc |= sample(out, LAB("healthtop_probe_duration_seconds_bucket"), LABELS(i),
                         (struct lab){bucket_label[b], strlen(bucket_label[b])}, cum);
        }
        rc |= sample(out, LAB("healthtop_probe_duration_seconds_bucket"), LABELS(i),
                     LAB("le=\"+Inf\""), ms->count);
        rc |= sample_text(out, LAB("healthtop_probe_duration_seconds_sum"), LABELS(i), NONE, v,
                          fixed_text(v, ms->sum_s, 6));
        rc |=
            sample(out, LAB("healthtop_probe_duration_seconds_count"), LABELS(i), NONE, ms->count);
    }
    return rc;
}

int metrics_write(struct buf *out, const struct scheduler *s, struct metrics *m, bool openmetrics)
{
    const struct metrics_labels *labels = labels_update(&m->labels, s);
    size_t start = out->len;
    int rc = 0;

    /* Room for what the last one took, at once: 12 MB for 5,000
     * services grew by doubling, copying. */
    if (m->last_len > 0 && buf_reserve(out, m->last_len + m->last_len / 8) == NULL)
        out->over = false; /* too much: let it grow as it goes */
    rc |= family(out, "healthtop_build_info", "info", "healthtop's version.", openmetrics);
    rc |= buf_printf(out, "healthtop_build_info{version=\"%s\"} 1\n", HT_VERSION);
    rc |= service_gauges(out, s, labels, openmetrics);
    rc |= probe_counters(out, s, m, labels, openmetrics);
    rc |= alerts_metrics_write(m->alerts, out, openmetrics);
    if (openmetrics)
        rc |= buf_append(out, "# EOF\n", 6);
    m->last_len = out->len - start;
    return rc ? -1 : 0;
}
