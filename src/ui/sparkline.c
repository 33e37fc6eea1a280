/* Latency sparklines: one cell per bucket of wall-clock time (history.h),
 * newest on the right, the height from the highest latency in it and the
 * colour from its worst state. A bucket in which a probe failed is drawn
 * with a glyph of its own, so failures read without colour too.
 *
 * Why buckets and a fixed scale: on a dashboard left open for hours the
 * sparkline is most of what changes on the screen. Cells that each hold
 * one sample scroll on every result, and a scale stretched between the
 * lowest and highest latency in view turns loopback jitter (150-400 µs)
 * into a different line each time: the terminal was sent most of every
 * row every two seconds. Buckets on the clock move every row at the same
 * moment and only once per bucket, and a steady service draws the same
 * glyph in every cell, so a move changes nothing on the screen. */
#include "ui/ui.h"

static enum theme_role cell_role(enum health_state s)
{
    switch (s) {
    case HEALTH_HEALTHY:
        return THEME_ROLE_SPARK_OK;
    case HEALTH_DEGRADED:
        return THEME_ROLE_SPARK_SLOW;
    case HEALTH_UNHEALTHY:
        return THEME_ROLE_SPARK_FAIL;
    case HEALTH_STARTING:
        return THEME_ROLE_SPARK_STARTING;
    default:
        return THEME_ROLE_DIM;
    }
}

/* The top of the scale: the highest latency in view rounded up to 1, 2
 * or 5 times a power of ten, and never under 1 ms, so that the scale
 * moves only when the latency changes by a real step. */
int64_t sparkline_ceiling(int64_t hi)
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
int sparkline_level(int64_t lat, int64_t ceiling)
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

int sparkline_cells(const struct history *h, int64_t wall_ms, int width, struct spark_cell *cells)
{
    int64_t newest = history_bucket_newest(h), now = history_bucket_of(h, wall_ms), hi = 0, ceil;
    struct history_cell hc;
    int used = 0;

    if (width <= 0)
        return 0;
    /* The newest bucket is the right edge while results keep coming (a
     * result lands a moment after its bucket opens); when a whole bucket
     * has passed without one, the edge is now and the gap shows. */
    if (newest < 0 || now - newest > 1)
        newest = now;
    for (int i = 0; i < width; i++)
        if (history_bucket(h, newest - i, &hc) && !hc.failed && hc.latency_us > hi)
            hi = hc.latency_us;
    ceil = sparkline_ceiling(hi);
    for (int i = 0; i < width; i++) {
        struct spark_cell *c = &cells[width - 1 - i];
        c->level = SPARK_EMPTY;
        c->role = THEME_ROLE_DIM;
        if (!history_bucket(h, newest - i, &hc))
            continue;
        used++;
        c->role = cell_role(hc.worst);
        if (hc.failed || hc.latency_us < 0) {
            c->level = SPARK_FAIL;
            c->role = THEME_ROLE_SPARK_FAIL;
        } else {
            c->level = sparkline_level(hc.latency_us, ceil);
        }
    }
    return used;
}
