/* The grid's column layout and text fitting: pure functions of widths, so
 * that every terminal size can be unit-tested without a terminal. */
#include "ui/ui.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct colspec {
    const char *title;
    int min; /* fixed columns: min == max */
    int max; /* 0: takes what is left */
};

static const struct colspec specs[UI_COL_COUNT] = {
    [UI_COL_MARK] = {"", 1, 1},          [UI_COL_LABEL] = {"SERVICE", 8, 32},
    [UI_COL_KIND] = {"KIND", 6, 6},      [UI_COL_STATE] = {"STATE", 9, 9},
    [UI_COL_REPLICAS] = {"UP", 5, 5},    [UI_COL_LATENCY] = {"LAT", 6, 6},
    [UI_COL_SPARK] = {"HISTORY", 8, 60}, [UI_COL_UPTIME] = {"UPTIME", 6, 6},
    [UI_COL_SINCE] = {"FOR", 6, 6},      [UI_COL_MESSAGE] = {"MESSAGE", 12, 0},
};

/* As the terminal narrows, columns hide in this order; mark, label and
 * state always show. */
static const enum ui_column hide_order[] = {
    UI_COL_KIND,    UI_COL_UPTIME,  UI_COL_SINCE,    UI_COL_SPARK,
    UI_COL_MESSAGE, UI_COL_LATENCY, UI_COL_REPLICAS,
};

const char *layout_column_title(enum ui_column c)
{
    return (unsigned)c < UI_COL_COUNT ? specs[c].title : "";
}

static void grow(int *w, int upto, int *spare)
{
    int add = upto - *w;

    if (add > *spare)
        add = *spare;
    if (add > 0) {
        *w += add;
        *spare -= add;
    }
}

/* What is left after the minimums goes, step by step, to the flexible
 * columns that show: each step widens one column up to a width (0: the
 * label's longest text). */
static const struct {
    enum ui_column col;
    int upto;
} grow_steps[] = {
    {UI_COL_LABEL, 0},  {UI_COL_MESSAGE, 24}, {UI_COL_SPARK, 20}, {UI_COL_MESSAGE, 40},
    {UI_COL_SPARK, 30}, {UI_COL_MESSAGE, 60}, {UI_COL_SPARK, 60}, {UI_COL_MESSAGE, 1 << 20},
};

/* Every column starts at its minimum width with one space between
 * columns; while that does not fit, columns hide in hide_order. The
 * columns that show then grow by grow_steps: the label first, to its
 * longest text (at most 32: a cut label hides which service a row is,
 * while a message has the detail pane), then the message to 24, the
 * sparkline to 20, the message to 40, the sparkline to 30, the message
 * to 60, the sparkline to 60, and the message takes the rest. The label
 * is cut with an ellipsis only below its longest text. */
void layout_columns(int cols, int label_pref, struct layout *out)
{
    int w[UI_COL_COUNT], used = 0, spare, x = 0;
    size_t hidden = 0;

    memset(out, 0, sizeof(*out));
    if (label_pref < specs[UI_COL_LABEL].min)
        label_pref = specs[UI_COL_LABEL].min;
    if (label_pref > specs[UI_COL_LABEL].max)
        label_pref = specs[UI_COL_LABEL].max;
    for (int c = 0; c < UI_COL_COUNT; c++) {
        out->col[c].shown = true;
        w[c] = specs[c].min;
        used += w[c] + (c > 0);
    }
    while (used > cols && hidden < HT_ARRAY_LEN(hide_order)) {
        enum ui_column c = hide_order[hidden++];
        out->col[c].shown = false;
        used -= w[c] + 1;
    }
    spare = cols > used ? cols - used : 0;
    for (size_t i = 0; i < HT_ARRAY_LEN(grow_steps); i++) {
        enum ui_column c = grow_steps[i].col;
        int upto = grow_steps[i].upto;
        if (c == UI_COL_LABEL && (upto == 0 || upto > label_pref))
            upto = label_pref;
        if (out->col[c].shown)
            grow(&w[c], upto, &spare);
    }
    for (int c = 0; c < UI_COL_COUNT; c++) {
        if (!out->col[c].shown)
            continue;
        out->col[c].x = x;
        out->col[c].w = w[c];
        x += w[c] + 1;
    }
}

/* Decodes one character of s: its bytes, and its width, or -1 for a
 * character drawn as '?' (control characters, invalid UTF-8). */
static size_t next_char(const char *s, mbstate_t *st, int *width)
{
    wchar_t wc;
    size_t n = mbrtowc(&wc, s, MB_CUR_MAX, st);

    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        memset(st, 0, sizeof(*st));
        *width = -1;
        return 1;
    }
    *width = wcwidth(wc);
    if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc < 0xa0))
        *width = -1;
    return n;
}

int layout_text_width(const char *s)
{
    mbstate_t st;
    int total = 0, cw;

    memset(&st, 0, sizeof(st));
    while (*s) {
        s += next_char(s, &st, &cw);
        total += cw < 0 ? 1 : cw;
    }
    return total;
}

int layout_text_fit(const char *s, int width, const char *ellipsis, char *out, size_t n)
{
    mbstate_t st;
    int total = layout_text_width(s), room = width, used = 0, cw;
    size_t len = 0;

    if (n == 0)
        return 0;
    if (width <= 0) {
        out[0] = '\0';
        return 0;
    }
    if (total > width)
        room = width - 1; /* keep a column for the ellipsis */
    memset(&st, 0, sizeof(st));
    while (*s) {
        size_t k = next_char(s, &st, &cw);
        int w = cw < 0 ? 1 : cw;
        if (used + w > room || len + k + 4 >= n)
            break;
        if (cw < 0) {
            out[len++] = *s == '\t' ? ' ' : '?';
        } else {
            memcpy(out + len, s, k);
            len += k;
        }
        used += w;
        s += k;
    }
    if (total > width || *s) {
        size_t el = strlen(ellipsis);
        if (len + el < n) {
            memcpy(out + len, ellipsis, el);
            len += el;
            used++;
        }
    }
    out[len] = '\0';
    return used;
}
