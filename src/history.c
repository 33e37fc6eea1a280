/* Per-service history in fixed-size rings. */
#include "healthtop/history.h"

#include <string.h>
#include "healthtop/util.h"

#define STATE_SHIFT 29
#define OK_BIT      (1u << 28)

void history_init(struct history *h, int64_t history_ms, int64_t interval_ms)
{
    int64_t n = interval_ms > 0 ? history_ms / interval_ms : 0;

    if (n < 16)
        n = 16;
    if (n > (1 << 22))
        n = 1 << 22;
    ring_init(&h->samples, sizeof(uint32_t), (uint32_t)n);
    ring_init(&h->recent, sizeof(struct history_recent), HISTORY_RECENT);
    ring_init(&h->transitions, sizeof(struct history_transition), HISTORY_TRANSITIONS);
    h->total = 0;
    h->good = 0;
}

void history_free(struct history *h)
{
    ring_free(&h->samples);
    ring_free(&h->recent);
    ring_free(&h->transitions);
}

static bool state_good(enum health_state s)
{
    return health_is_up(s);
}

/* A sample packs the state in the top 3 bits, whether the probe itself
 * passed in the next, and the latency in the low 28; the all-ones latency
 * means "none". Uptime counts are kept up to
 * date as samples are evicted, so reading them is O(1). */
void history_push(struct history *h, enum health_state state, bool ok, int64_t latency_us,
                  const char *msg, int64_t t_ms, int64_t wall_ms)
{
    uint32_t lat = latency_us < 0                      ? HISTORY_LATENCY_MAX
                   : latency_us >= HISTORY_LATENCY_MAX ? HISTORY_LATENCY_MAX - 1
                                                       : (uint32_t)latency_us;
    uint32_t *slot;
    struct history_recent *r;

    if (h->samples.len == h->samples.cap) {
        uint32_t *old = ring_at(&h->samples, 0);
        h->total--;
        if (state_good((enum health_state)(*old >> STATE_SHIFT)))
            h->good--;
    }
    slot = ring_push(&h->samples);
    *slot = (uint32_t)state << STATE_SHIFT | (ok ? OK_BIT : 0) | lat;
    h->total++;
    if (state_good(state))
        h->good++;

    r = ring_push(&h->recent);
    r->t_ms = t_ms;
    r->wall_ms = wall_ms;
    r->latency_us = latency_us < 0 ? UINT32_MAX : (uint32_t)(lat);
    r->state = (uint8_t)state;
    r->ok = ok;
    ht_strlcpy(r->msg, msg ? msg : "", sizeof(r->msg));
}

void history_transition(struct history *h, enum health_state from, enum health_state to,
                        const char *msg, int64_t t_ms, int64_t wall_ms)
{
    struct history_transition *t = ring_push(&h->transitions);
    t->t_ms = t_ms;
    t->wall_ms = wall_ms;
    t->from = (uint8_t)from;
    t->to = (uint8_t)to;
    ht_strlcpy(t->msg, msg ? msg : "", sizeof(t->msg));
}

uint32_t history_len(const struct history *h)
{
    return h->samples.len;
}

enum health_state history_state_at(const struct history *h, uint32_t i)
{
    const uint32_t *v = ring_at(&h->samples, i);
    return v ? (enum health_state)(*v >> STATE_SHIFT) : HEALTH_UNKNOWN;
}

bool history_ok_at(const struct history *h, uint32_t i)
{
    const uint32_t *v = ring_at(&h->samples, i);
    return v != NULL && (*v & OK_BIT) != 0;
}

int64_t history_latency_at(const struct history *h, uint32_t i)
{
    const uint32_t *v = ring_at(&h->samples, i);
    uint32_t lat;

    if (v == NULL)
        return -1;
    lat = *v & HISTORY_LATENCY_MAX;
    return lat == HISTORY_LATENCY_MAX ? -1 : (int64_t)lat;
}

double history_uptime(const struct history *h)
{
    return h->total ? 100.0 * (double)h->good / (double)h->total : -1.0;
}
