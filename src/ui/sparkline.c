/* Latency sparklines: one cell per sample, newest on the right, the
 * height from the latency and the colour from the state after the sample.
 * A failed sample (no latency, or the service unhealthy) is drawn with a
 * glyph of its own, so failures read without colour too. */
#include "ui/ui.h"

static enum theme_role sample_role(enum health_state s)
{
    switch (s) {
    case HEALTH_HEALTHY:
        return ROLE_SPARK_OK;
    case HEALTH_DEGRADED:
        return ROLE_SPARK_SLOW;
    case HEALTH_UNHEALTHY:
        return ROLE_SPARK_FAIL;
    case HEALTH_STARTING:
        return ROLE_SPARK_STARTING;
    default:
        return ROLE_DIM;
    }
}

/* Levels span the lowest to the highest latency in view. When the spread
 * is tiny (under a tenth of the highest, or 100µs) every sample sits at
 * level 2: a flat line should look flat, not like noise magnified. */
static int level_of(int64_t lat, int64_t lo, int64_t hi)
{
    int64_t spread = hi - lo, floor = hi / 10 > 100 ? hi / 10 : 100;

    if (spread < floor)
        return 2;
    return (int)((lat - lo) * 7 / spread);
}

int sparkline_cells(const struct history *h, int width, struct spark_cell *cells)
{
    uint32_t len = history_len(h), first;
    int64_t lo = -1, hi = -1;
    int n, pad;

    if (width <= 0)
        return 0;
    n = len < (uint32_t)width ? (int)len : width;
    first = len - (uint32_t)n;
    for (uint32_t i = first; i < len; i++) {
        int64_t lat = history_latency_at(h, i);
        if (lat < 0 || !history_ok_at(h, i))
            continue;
        if (lo < 0 || lat < lo)
            lo = lat;
        if (lat > hi)
            hi = lat;
    }
    pad = width - n;
    for (int i = 0; i < pad; i++) {
        cells[i].level = SPARK_EMPTY;
        cells[i].role = ROLE_DIM;
    }
    for (int i = 0; i < n; i++) {
        enum health_state st = history_state_at(h, first + (uint32_t)i);
        int64_t lat = history_latency_at(h, first + (uint32_t)i);
        struct spark_cell *c = &cells[pad + i];
        c->role = sample_role(st);
        if (lat < 0 || !history_ok_at(h, first + (uint32_t)i)) {
            c->level = SPARK_FAIL;
            c->role = ROLE_SPARK_FAIL;
        } else {
            c->level = level_of(lat, lo, hi);
        }
    }
    return n;
}
