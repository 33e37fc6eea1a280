/* Per-service history, bounded whatever the run length:
 *  - samples: one packed 16-bit word per result (state, whether that one
 *    probe passed, latency to within 0.4%), as many as `history:` covers
 *    at the service's interval, for uptime and the timeline;
 *  - buckets: the last HISTORY_BUCKETS slices of wall-clock time
 *    (history_bucket_ms each, aligned on the clock so that every service
 *    at one interval moves to a new slice at the same moment), each with
 *    the worst state, whether any probe failed and the highest latency of
 *    the results in it: what the sparkline draws;
 *  - recent: the last HISTORY_RECENT results with time and message, for
 *    the detail pane;
 *  - transitions: the last HISTORY_TRANSITIONS state changes. */
#ifndef HEALTHTOP_HISTORY_H
#define HEALTHTOP_HISTORY_H

#include <stdint.h>
#include "healthtop/health.h"
#include "healthtop/ring.h"

#define HISTORY_RECENT      20
#define HISTORY_TRANSITIONS 16
#define HISTORY_BUCKETS     64
#define HISTORY_MSG_MAX     96
/* Latencies are stored in microseconds and clipped here (about 4.5 min).
 * Samples and buckets keep them as a small float (exact below 128 µs, to
 * within 0.4% above): two bytes a result instead of four, which at 5,000
 * services with an hour of history is 18 MB. */
#define HISTORY_LATENCY_MAX ((1u << 28) - 1)

struct history_recent {
    int64_t t_ms;        /* monotonic */
    int64_t wall_ms;     /* for display */
    uint32_t latency_us; /* UINT32_MAX when none */
    uint8_t state;       /* enum health_state after the result */
    uint8_t ok;          /* the result on its own passed */
    char msg[HISTORY_MSG_MAX];
};

struct history_transition {
    int64_t t_ms;
    int64_t wall_ms;
    uint8_t from, to;
    char msg[HISTORY_MSG_MAX];
};

/* One bucket of time, as history_bucket reads it. */
struct history_cell {
    enum health_state worst; /* the most severe state of its results */
    bool failed;             /* a probe in it failed, or had no latency */
    int64_t latency_us;      /* highest latency of those that passed; -1 when none */
};

struct history {
    struct ring samples; /* uint16_t: state << 13 | ok << 12 | latency code */
    struct ring recent;
    struct ring transitions;
    struct ring buckets; /* uint16_t, as samples; state 7 = no result in it */
    int64_t bucket_ms;   /* wall-clock length of a bucket */
    int64_t bucket_last; /* wall_ms / bucket_ms of the newest bucket */
    /* Counts over the samples kept: all, those whose state was up (healthy,
     * degraded or skipped: uptime), and failed probes of a service not
     * scaled to zero (a failure retries absorbed still counts here). */
    uint64_t total, good, failed;
};

/* Capacity in samples: history_ms / interval_ms, at least 16. Storage is
 * taken as results arrive (see ring.h), not up front. Buckets are
 * interval_ms long at least, up to 15 intervals when that stays within
 * 30 s, rounded up to a length that divides the clock (1, 2, 5 s...). */
void history_init(struct history *h, int64_t history_ms, int64_t interval_ms);
void history_free(struct history *h);
void history_push(struct history *h, enum health_state state, bool ok, int64_t latency_us,
                  const char *msg, int64_t t_ms, int64_t wall_ms);
void history_transition(struct history *h, enum health_state from, enum health_state to,
                        const char *msg, int64_t t_ms, int64_t wall_ms);

uint32_t history_len(const struct history *h);
/* Sample i, 0 = oldest. */
enum health_state history_state_at(const struct history *h, uint32_t i);
/* Whether the probe of sample i passed on its own: a failure inside the
 * retries leaves the state healthy but is still a failure to draw. */
bool history_ok_at(const struct history *h, uint32_t i);
/* Latency of sample i in microseconds, or -1 when the probe had none. */
int64_t history_latency_at(const struct history *h, uint32_t i);
/* The wall-clock length of one bucket, and the bucket of a wall time. */
int64_t history_bucket_ms(const struct history *h);
int64_t history_bucket_of(const struct history *h, int64_t wall_ms);
/* The newest bucket with a result in it; -1 when none. */
int64_t history_bucket_newest(const struct history *h);
/* Bucket n (history_bucket_of numbering): false when no result fell in
 * it or it is older than the HISTORY_BUCKETS kept. */
bool history_bucket(const struct history *h, int64_t n, struct history_cell *out);
/* A sparkline's slices, as every view draws them: the newest width
 * buckets up to wall_ms, newest last (the newest bucket while results
 * keep coming; when a whole bucket has passed without one, now, so the
 * gap shows). A slice is HISTORY_SLICE_EMPTY without results,
 * HISTORY_SLICE_FAIL when a probe in it failed, else a level 0..7 from
 * its highest latency: the top of the scale is history_spark_ceiling of
 * the highest latency in view, and each level down is half the one above
 * it. Returns how many slices hold results. */
#define HISTORY_SLICE_EMPTY (-1)
#define HISTORY_SLICE_FAIL  8
struct history_slice {
    int level;               /* 0..7, HISTORY_SLICE_EMPTY or HISTORY_SLICE_FAIL */
    enum health_state worst; /* the most severe state in the slice */
};
int history_slices(const struct history *h, int64_t wall_ms, int width, struct history_slice *out);
/* The top of the scale for a highest latency hi_us: 1, 2 or 5 times a
 * power of ten, never under 1 ms. */
int64_t history_spark_ceiling(int64_t hi_us);
/* The level of one latency under a ceiling, 0..7. */
int history_spark_level(int64_t lat_us, int64_t ceiling_us);
/* The median latency of the last HISTORY_MEDIAN_OF successful answers
 * (a failure's latency is how long it took to fail, not how fast the
 * service answers), in microseconds; -1 when there is none. */
#define HISTORY_MEDIAN_OF 5
int64_t history_latency_median(const struct history *h);
/* Share of kept samples in an up state (healthy, degraded, or skipped:
 * scaled to zero as intended), 0..100; -1 when empty. */
double history_uptime(const struct history *h);
/* Failed probes among the samples kept (see failed above). */
uint64_t history_failed(const struct history *h);

#endif
