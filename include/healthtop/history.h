/* Per-service history, bounded whatever the run length:
 *  - samples: one packed 32-bit word per result (state, whether that one
 *    probe passed, latency), as many
 *    as `history:` covers at the service's interval, for sparklines and
 *    uptime;
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
#define HISTORY_MSG_MAX     96
/* Latencies are stored in microseconds and clipped here (about 4.5 min). */
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

struct history {
    struct ring samples; /* uint32_t: state << 29 | ok << 28 | latency_us */
    struct ring recent;
    struct ring transitions;
    uint64_t total, good; /* counts over the samples kept, for uptime */
};

/* Capacity in samples: history_ms / interval_ms, at least 16. */
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
/* Share of kept samples in an up state (healthy, degraded, or skipped:
 * scaled to zero as intended), 0..100; -1 when empty. */
double history_uptime(const struct history *h);

#endif
