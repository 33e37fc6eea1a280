/* Text helpers every view draws with: fitted text in a role, fills, boxes
 * made of the glyph set (not ACS, so the headless tests read back the same
 * characters a person sees). */
#include "ui/ui.h"

#include <time.h>

#define PUT_MAX 2048

int ui_put(struct ui *u, WINDOW *w, int y, int x, int width, const char *s, enum theme_role r)
{
    char buf[PUT_MAX];
    int used;

    if (width <= 0 || s == NULL)
        return 0;
    used = layout_text_fit(s, width, u->g->ellipsis, buf, sizeof(buf));
    wattrset(w, ui_attr(u, r));
    mvwaddstr(w, y, x, buf);
    return used;
}

void ui_put_right(struct ui *u, WINDOW *w, int y, int x, int width, const char *s,
                  enum theme_role r)
{
    int tw = layout_text_width(s);

    if (tw < width)
        x += width - tw;
    ui_put(u, w, y, x, width, s, r);
}

void ui_fill(struct ui *u, WINDOW *w, int y, int x, int width, enum theme_role r)
{
    wattrset(w, ui_attr(u, r));
    for (int i = 0; i < width; i++)
        mvwaddch(w, y, x + i, ' ');
}

void ui_box(struct ui *u, WINDOW *w, const char *title)
{
    int h = getmaxy(w), wd = getmaxx(w);

    wattrset(w, ui_attr(u, THEME_ROLE_BORDER));
    for (int x = 1; x < wd - 1; x++) {
        mvwaddstr(w, 0, x, u->g->hline);
        mvwaddstr(w, h - 1, x, u->g->hline);
    }
    for (int y = 1; y < h - 1; y++) {
        mvwaddstr(w, y, 0, u->g->vline);
        mvwaddstr(w, y, wd - 1, u->g->vline);
    }
    mvwaddstr(w, 0, 0, u->g->tl);
    mvwaddstr(w, 0, wd - 1, u->g->tr);
    mvwaddstr(w, h - 1, 0, u->g->bl);
    mvwaddstr(w, h - 1, wd - 1, u->g->br);
    if (title != NULL && wd > 6) {
        char t[128];
        ht_snprintf(t, sizeof(t), " %s ", title);
        ui_put(u, w, 0, 2, wd - 4, t, THEME_ROLE_TITLE);
    }
}

void ui_clock(int64_t wall_ms, char *buf, size_t n)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, n, "%H:%M:%S", &tm) == 0)
        ht_strlcpy(buf, "--:--:--", n);
}

void ui_age_format(int64_t ms, char *buf, size_t n)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;

    if (s < 60) /* seconds in the first minute, as the README says */
        ht_snprintf(buf, n, "%ds", (int)s);
    else if (s < 3600)
        ht_snprintf(buf, n, "%dm", (int)(s / 60));
    else if (s < 86400)
        ht_snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
    else
        ht_snprintf(buf, n, "%dd%02dh", (int)(s / 86400), (int)(s / 3600 % 24));
}
