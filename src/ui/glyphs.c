/* The two glyph sets: Unicode for UTF-8 locales, ASCII for the rest and
 * for --ascii. Every glyph is one column wide, so layouts do not depend on
 * the set. Marks differ by shape as well as colour, so a state reads on a
 * terminal without colour too. */
#include "ui/ui.h"

static const struct glyphs unicode = {
    .mark = HEALTH_MARKS_UTF8,
    .ramp = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85",
             "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"}, /* ▁▂▃▄▅▆▇█ */
    .fail = "\xc3\x97",                                       /* × */
    .ellipsis = "\xe2\x80\xa6",                               /* … */
    .more_up = "\xe2\x96\xb4",                                /* ▴ */
    .more_down = "\xe2\x96\xbe",                              /* ▾ */
    .hline = "\xe2\x94\x80",                                  /* ─ */
    .vline = "\xe2\x94\x82",                                  /* │ */
    .tl = "\xe2\x94\x8c",                                     /* ┌ */
    .tr = "\xe2\x94\x90",                                     /* ┐ */
    .bl = "\xe2\x94\x94",                                     /* └ */
    .br = "\xe2\x94\x98",                                     /* ┘ */
    .arrow_up = "\xe2\x86\x91",                               /* ↑ */
    .arrow_down = "\xe2\x86\x93",                             /* ↓ */
    .enter = "\xe2\x8f\x8e",                                  /* ⏎ */
};

static const struct glyphs ascii = {
    .mark =
        {
            [HEALTH_UNKNOWN] = "?",
            [HEALTH_STARTING] = "~",
            [HEALTH_HEALTHY] = "+",
            [HEALTH_DEGRADED] = "!",
            [HEALTH_UNHEALTHY] = "X",
            [HEALTH_SKIPPED] = "-",
        },
    .ramp = {".", "_", "-", "~", "+", "=", "*", "#"},
    .fail = "x",
    .ellipsis = "~",
    .more_up = "^",
    .more_down = "v",
    .hline = "-",
    .vline = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .arrow_up = "Up",
    .arrow_down = "Dn",
    .enter = "Enter",
};

const struct glyphs *glyphs_get(bool use_ascii)
{
    return use_ascii ? &ascii : &unicode;
}
