/* Per-service history in fixed-size rings. */
#include "healthtop/history.h"

#include <string.h>
#include "healthtop/util.h"

/* A sample or a bucket is 16 bits: the state in the top 3, whether the
 * probe passed (for a bucket: whether one failed) in the next, and the
 * latency as a 12-bit code in the low 12. */
#define STATE_SHIFT  13
#define OK_BIT       (1u << 12)
#define LAT_MASK     0xfffu
#define LAT_NONE     LAT_MASK
#define BUCKET_EMPTY (7u << STATE_SHIFT) /* no state is 7: a gap */

/* The latency code is a small float: 5 bits of exponent, 7 of mantissa.
 * Exponent 0 holds 0..127 µs exactly; exponent e >= 1 holds
 * (128 + m) << (e - 1), rounded to nearest, so the error is at most 1/256
 * of the value. All ones means "no latency". */
static uint32_t lat_encode(int64_t us)
{
    uint32_t v, e = 1, q;

    if (us < 0)
        return LAT_NONE;
    v = us >= HISTORY_LATENCY_MAX ? HISTORY_LATENCY_MAX - 1 : (uint32_t)us;
    if (v < 128)
        return v;
    while ((v >> (e - 1)) > 255)
        e++;
    q = e > 1 ? (v + (1u << (e - 2))) >> (e - 1) : v;
    if (q > 255) { /* rounding carried into the next exponent */
        e++;
        q >>= 1;
    }
    return e << 7 | (q - 128);
}

static int64_t lat_decode(uint32_t code)
{
    uint32_t e = code >> 7, m = code & 127;

    if (code == LAT_NONE)
        return -1;
    return e == 0 ? (int64_t)m : (int64_t)(128 + m) << (e - 1);
}

static uint16_t pack(enum health_state state, bool bit, uint32_t lat)
{
    return (uint16_t)((uint32_t)state << STATE_SHIFT | (bit ? OK_BIT : 0) | lat);
}

/* Lengths a bucket may take: each divides the next minute or hour, so
 * buckets start on round clock times. */
static const int64_t bucket_steps[] = {100,    200,    250,    500,    1000,    2000,
                                       5000,   10000,  15000,  20000,  30000,   60000,
                                       120000, 300000, 600000, 900000, 1800000, 3600000};

static int64_t bucket_len(int64_t interval_ms)
{
    int64_t most = interval_ms > 30000 ? interval_ms : 30000;
    int64_t want = interval_ms * 15 < most ? interval_ms * 15 : most;

    for (size_t i = 0; i < HT_ARRAY_LEN(bucket_steps); i++)
        if (bucket_steps[i] >= want)
            return bucket_steps[i];
    return bucket_steps[HT_ARRAY_LEN(bucket_steps) - 1];
}

void history_init(struct history *h, int64_t history_ms, int64_t interval_ms)
{
    int64_t n = interval_ms > 0 ? history_ms / interval_ms : 0;

    if (n < 16)
        n = 16;
    if (n > (1 << 22))
        n = 1 << 22;
    ring_init(&h->samples, sizeof(uint16_t), (uint32_t)n);
    ring_init(&h->recent, sizeof(struct history_recent), HISTORY_RECENT);
    ring_init(&h->transitions, sizeof(struct history_transition), HISTORY_TRANSITIONS);
    ring_init(&h->buckets, sizeof(uint16_t), HISTORY_BUCKETS);
    h->bucket_ms = bucket_len(interval_ms);
    h->bucket_last = -1;
    h->total = 0;
    h->good = 0;
    h->failed = 0;
}

void history_free(struct history *h)
{
    ring_free(&h->samples);
    ring_free(&h->recent);
    ring_free(&h->transitions);
    ring_free(&h->buckets);
}

static bool state_good(enum health_state s)
{
    return health_is_up(s);
}

int64_t history_bucket_ms(const struct history *h)
{
    return h->bucket_ms;
}

int64_t history_bucket_of(const struct history *h, int64_t wall_ms)
{
    return wall_ms >= 0 ? wall_ms / h->bucket_ms : 0;
}

int64_t history_bucket_newest(const struct history *h)
{
    return h->buckets.len ? h->bucket_last : -1;
}

/* The slot of bucket n, opening it (and empty ones for any gap) when it
 * is newer than the newest; NULL when it is older than those kept. A
 * clock stepped back further than the ring reaches starts it afresh. */
static uint16_t *bucket_slot(struct history *h, int64_t n)
{
    int64_t back = h->bucket_last - n;
    uint16_t *slot;

    if (h->buckets.len > 0 && back >= 0) {
        if (back < (int64_t)h->buckets.len)
            return ring_at(&h->buckets, h->buckets.len - 1 - (uint32_t)back);
        if (back < HISTORY_BUCKETS)
            return NULL;
    }
    if (h->buckets.len == 0 || back < 0 - HISTORY_BUCKETS || back >= HISTORY_BUCKETS)
        ring_clear(&h->buckets);
    else
        for (int64_t gap = -back - 1; gap > 0; gap--)
            *(uint16_t *)ring_push(&h->buckets) = BUCKET_EMPTY;
    slot = ring_push(&h->buckets);
    *slot = BUCKET_EMPTY;
    h->bucket_last = n;
    return slot;
}

static void bucket_add(struct history *h, int64_t wall_ms, enum health_state state, bool ok,
                       uint32_t lat)
{
    uint16_t *slot = bucket_slot(h, history_bucket_of(h, wall_ms));
    uint32_t old_lat;
    bool failed = !ok || lat == LAT_NONE;
    enum health_state worst = state;

    if (slot == NULL)
        return;
    if (*slot == BUCKET_EMPTY) {
        *slot = pack(state, failed, failed ? LAT_NONE : lat);
        return;
    }
    old_lat = *slot & LAT_MASK;
    if (health_severity((enum health_state)(*slot >> STATE_SHIFT)) >= health_severity(state))
        worst = (enum health_state)(*slot >> STATE_SHIFT);
    if (failed || (old_lat != LAT_NONE && old_lat >= lat))
        lat = old_lat; /* codes order as the latencies do */
    *slot = pack(worst, failed || (*slot & OK_BIT), lat);
}

static bool sample_failed(uint16_t v)
{
    return !(v & OK_BIT) && (enum health_state)(v >> STATE_SHIFT) != HEALTH_SKIPPED;
}

/* Uptime counts are kept up to date as samples are evicted, so reading
 * them is O(1). */
void history_push(struct history *h, enum health_state state, bool ok, int64_t latency_us,
                  const char *msg, int64_t t_ms, int64_t wall_ms)
{
    uint32_t lat = lat_encode(latency_us);
    uint16_t *slot;
    struct history_recent *r;

    if (h->samples.len == h->samples.cap) {
        uint16_t *old = ring_at(&h->samples, 0);
        h->total--;
        if (state_good((enum health_state)(*old >> STATE_SHIFT)))
            h->good--;
        if (sample_failed(*old))
            h->failed--;
    }
    slot = ring_push(&h->samples);
    *slot = pack(state, ok, lat);
    h->total++;
    if (state_good(state))
        h->good++;
    if (sample_failed(*slot))
        h->failed++;
    bucket_add(h, wall_ms, state, ok, lat);

    r = ring_push(&h->recent);
    r->t_ms = t_ms;
    r->wall_ms = wall_ms;
    r->latency_us = latency_us < 0                      ? UINT32_MAX
                    : latency_us >= HISTORY_LATENCY_MAX ? HISTORY_LATENCY_MAX - 1
                                                        : (uint32_t)latency_us;
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
    const uint16_t *v = ring_at(&h->samples, i);
    return v ? (enum health_state)(*v >> STATE_SHIFT) : HEALTH_UNKNOWN;
}

bool history_ok_at(const struct history *h, uint32_t i)
{
    const uint16_t *v = ring_at(&h->samples, i);
    return v != NULL && (*v & OK_BIT) != 0;
}

int64_t history_latency_at(const struct history *h, uint32_t i)
{
    const uint16_t *v = ring_at(&h->samples, i);
    return v ? lat_decode(*v & LAT_MASK) : -1;
}

bool history_bucket(const struct history *h, int64_t n, struct history_cell *out)
{
    int64_t back = h->bucket_last - n;
    const uint16_t *v;

    if (back < 0 || back >= (int64_t)h->buckets.len)
        return false;
    v = ring_at(&h->buckets, h->buckets.len - 1 - (uint32_t)back);
    if (*v == BUCKET_EMPTY)
        return false;
    out->worst = (enum health_state)(*v >> STATE_SHIFT);
    out->failed = (*v & OK_BIT) != 0;
    out->latency_us = lat_decode(*v & LAT_MASK);
    return true;
}

int64_t history_latency_median(const struct history *h)
{
    int64_t v[HISTORY_MEDIAN_OF], t;
    int n = 0;

    for (uint32_t i = history_len(h); i-- > 0 && n < HISTORY_MEDIAN_OF;)
        if (history_ok_at(h, i) && (t = history_latency_at(h, i)) >= 0)
            v[n++] = t;
    for (int i = 1; i < n; i++) /* insertion sort of at most 5 */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--)
            t = v[j], v[j] = v[j - 1], v[j - 1] = t;
    return n ? v[n / 2] : -1;
}

double history_uptime(const struct history *h)
{
    return h->total ? 100.0 * (double)h->good / (double)h->total : -1.0;
}

uint64_t history_failed(const struct history *h)
{
    return h->failed;
}

/* ---- sparklines ---------------------------------------------------- */

/* The top of the scale: the highest latency in view rounded up to 1, 2
 * or 5 times a power of ten, and never under 1 ms, so that the scale
 * moves only when the latency changes by a real step. */
int64_t history_spark_ceiling(int64_t hi)
{
    int64_t c = 1000;

    while (c < hi) {
        if (c * 2 >= hi)
            return c * 2;
        if (c * 5 >= hi)
            return c * 5;
        c *= 10;
    }
    return c;
}

/* Each level down is half the latency of the one above it: the top level
 * is (ceiling/2, ceiling], the bottom anything at or under ceiling/128,
 * and anything under a millisecond. A doubling shows as one step wherever
 * it happens; loopback jitter (150-600 µs between buckets) would cross a
 * step at any scale finer than a millisecond, so below that is the floor:
 * a steady fast service draws a flat line, and a spike stands out of it. */
int history_spark_level(int64_t lat, int64_t ceiling)
{
    int level = 7;

    if (lat <= 1000)
        return 0;
    while (level > 0 && lat * 2 <= ceiling) {
        ceiling /= 2;
        level--;
    }
    return level;
}

int history_slices(const struct history *h, int64_t wall_ms, int width, struct history_slice *out)
{
    int64_t newest = history_bucket_newest(h), now = history_bucket_of(h, wall_ms), hi = 0, ceil;
    struct history_cell hc;
    int used = 0;

    /* A result lands a moment after its bucket opens: the newest bucket
     * is the right edge while results keep coming. */
    if (newest < 0 || now - newest > 1)
        newest = now;
    for (int i = 0; i < width; i++)
        if (history_bucket(h, newest - i, &hc) && !hc.failed && hc.latency_us > hi)
            hi = hc.latency_us;
    ceil = history_spark_ceiling(hi);
    for (int i = 0; i < width; i++) {
        struct history_slice *sl = &out[width - 1 - i];
        sl->level = HISTORY_SLICE_EMPTY;
        sl->worst = HEALTH_UNKNOWN;
        if (!history_bucket(h, newest - i, &hc))
            continue;
        used++;
        sl->worst = hc.worst;
        sl->level = hc.failed || hc.latency_us < 0 ? HISTORY_SLICE_FAIL
                                                   : history_spark_level(hc.latency_us, ceil);
    }
    return used;
}
