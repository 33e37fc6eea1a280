/* The /metrics exposition of --listen: the scheduler's model and the
 * probe counters as Prometheus text format 0.0.4 or OpenMetrics 1.0.
 * README.md ("Serving metrics") lists the metrics; what the formats require
 * is said in metrics.c, above the code that does it. */
#ifndef HEALTHTOP_METRICS_H
#define HEALTHTOP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/buf.h"
#include "healthtop/probe.h"

struct scheduler;
struct alerts;

/* healthtop_probe_duration_seconds' fixed upper bounds, in seconds. */
#define METRICS_NBUCKETS 12

/* What the model does not keep: counts since the scheduler started. */
struct metrics_svc {
    uint64_t ok, fail;                  /* results by verdict of the probe */
    uint64_t buckets[METRICS_NBUCKETS]; /* durations, per bucket (not cumulative) */
    uint64_t count;                     /* durations observed */
    double sum_s;                       /* their sum, seconds */
};

/* Every service's label set, made safe and escaped, kept from one scrape
 * to the next: rebuilt when rows come or go (the scheduler's rows_gen),
 * and a service's own when its config changed. */
struct metrics_labels {
    const struct scheduler *s; /* the scheduler and rows_gen they are for */
    uint64_t rows_gen;
    size_t n;
    const void **cfg; /* each service's config they were made from */
    char **text;      /* service="...",group="...",kind="..."[,project="..."] */
    size_t *len;
};

struct metrics {
    struct metrics_svc *svcs; /* one per service, in the scheduler's order */
    size_t nsvcs;
    const struct alerts *alerts; /* their counters too, or NULL (alerts.h) */
    struct metrics_labels labels;
    size_t last_len; /* the last exposition's size: room made at once */
};

/* Zeroes m for nsvcs services. */
void metrics_reset(struct metrics *m, size_t nsvcs);
/* Counts one finished probe of service idx. */
void metrics_observe(struct metrics *m, size_t idx, const struct probe_result *r);
/* Appends the exposition of s and m to out. Returns 0, or -1 when out's
 * limit was reached. */
int metrics_write(struct buf *out, const struct scheduler *s, struct metrics *m,
                  bool openmetrics) HT_WUR;
void metrics_free(struct metrics *m);

/* The Content-Type of each format. */
#define METRICS_TYPE_TEXT        "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
