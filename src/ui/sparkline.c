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

int sparkline_cells(const struct history *h, int64_t wall_ms, int width, struct spark_cell *cells)
{
    struct history_slice sl[64];
    int used;

    if (width <= 0)
        return 0;
    if (width > (int)(sizeof(sl) / sizeof(sl[0])))
        width = (int)(sizeof(sl) / sizeof(sl[0]));
    used = history_slices(h, wall_ms, width, sl);
    for (int i = 0; i < width; i++) {
        cells[i].level = sl[i].level;
        cells[i].role = sl[i].level == HISTORY_SLICE_EMPTY  ? THEME_ROLE_DIM
                        : sl[i].level == HISTORY_SLICE_FAIL ? THEME_ROLE_SPARK_FAIL
                                                            : cell_role(sl[i].worst);
    }
    return used;
}
