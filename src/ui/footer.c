/* The footer line: the filter being typed, or a passing notice, or key
 * hints for the current view; at the right the filter and sort in force
 * and where the selection is. */
#include "ui/ui.h"

struct hint {
    const char *key, *what;
};

static int put_hints(struct ui *u, const struct hint *h, size_t n, int room)
{
    int x = 1;

    for (size_t i = 0; i < n; i++) {
        int need = layout_text_width(h[i].key) + 1 + layout_text_width(h[i].what) + 2;
        if (x + need > room)
            break;
        x += ui_put(u, u->footer, 0, x, room - x, h[i].key, THEME_ROLE_KEY);
        x += 1 + ui_put(u, u->footer, 0, x + 1, room - x - 1, h[i].what, THEME_ROLE_FOOTER);
        x += 2;
    }
    return x;
}

/* The selected service's place among those shown: "3/20". */
static void position(const struct ui *u, char *buf, size_t n)
{
    size_t pos = 0, total = 0;

    for (size_t i = 0; i < u->nlist; i++) {
        if (u->list[i].svc == NULL)
            continue;
        total++;
        if ((long)u->list[i].svc->idx == u->sel)
            pos = total;
    }
    ht_snprintf(buf, n, "%zu/%zu", pos, total);
}

static int draw_right(struct ui *u)
{
    char buf[128], pos[32];
    int w;

    position(u, pos, sizeof(pos));
    if (u->filter[0] != '\0' && !u->filtering)
        ht_snprintf(buf, sizeof(buf), "/%s  sort:%s  %s ", u->filter, grid_sort_name(u->sort), pos);
    else
        ht_snprintf(buf, sizeof(buf), "sort:%s  %s ", grid_sort_name(u->sort), pos);
    w = layout_text_width(buf);
    if (w > u->cols / 2)
        return u->cols;
    ui_put(u, u->footer, 0, u->cols - w, w, buf, THEME_ROLE_FOOTER);
    return u->cols - w - 1;
}

void footer_draw(struct ui *u)
{
    const struct glyphs *g = u->g;
    char arrows[16];
    int room;

    ht_snprintf(arrows, sizeof(arrows), "%s%s", g->arrow_up, g->arrow_down);
    const struct hint grid_hints[] = {
        {"q", "quit"},   {"?", "help"},     {arrows, "move"},   {g->enter, "detail"},
        {"/", "filter"}, {"s", "sort"},     {"space", "pause"}, {"r", "probe"},
        {"R", "all"},    {"t", "timeline"}, {"T", "theme"},
    };
    const struct hint detail_hints[] = {
        {"Esc", "back"}, {arrows, "scroll"}, {"r", "probe"}, {"q", "quit"}, {"?", "help"},
    };

    werase(u->footer);
    ui_fill(u, u->footer, 0, 0, u->cols, THEME_ROLE_FOOTER);
    room = draw_right(u);
    if (u->filtering) {
        char buf[96];
        ht_snprintf(buf, sizeof(buf), "/%s_", u->filter);
        int x = 1 + ui_put(u, u->footer, 0, 1, room - 1, buf, THEME_ROLE_FILTER);
        ui_put(u, u->footer, 0, x + 2, room - x - 2, "Enter keep  Esc clear", THEME_ROLE_FOOTER);
    } else if (u->notice[0] != '\0') {
        ui_put(u, u->footer, 0, 1, room - 1, u->notice, THEME_ROLE_NOTICE);
    } else if (u->detail) {
        put_hints(u, detail_hints, HT_ARRAY_LEN(detail_hints), room);
    } else {
        put_hints(u, grid_hints, HT_ARRAY_LEN(grid_hints), room);
    }
    wnoutrefresh(u->footer);
}
