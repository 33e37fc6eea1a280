/* The start-up timeline view (t), and the keys of the two modes that
 * are not live probing: K in --demo (stop or revive a simulated service)
 * and the replay keys in --replay (step, seek, speed). Also the header's
 * note: root causes first, and where a replay stands. */
#include "ui/ui.h"

#include <string.h>
#include "healthtop/deps.h"
#include "healthtop/timeline.h"

#define SEEK_MS   10000
#define FLAG_COLS 22 /* room kept for "never healthy" or a race */

/* One bar: blank until the first result, the wait to the first healthy
 * result drawn in the row's state, its mark at that moment; never
 * healthy, a lighter fill to the end of the axis. */
static void draw_bar(struct ui *u, int y, int x, int width, const struct timeline *tl,
                     const struct timeline_row *r)
{
    const char *wait = u->g->hline, *mark = u->g->ramp[7];
    const char *open = u->ascii ? "." : "\xe2\x96\x91"; /* ░ */
    enum theme_role role = r->skipped           ? THEME_ROLE_SKIPPED
                           : r->healthy_ms >= 0 ? THEME_ROLE_HEALTHY
                                                : ui_state_role(r->state);
    int from = r->seen_ms < 0 || r->skipped ? width : timeline_col(tl, r->seen_ms, width);
    int to = r->healthy_ms >= 0 ? timeline_col(tl, r->healthy_ms, width) : width;

    wattrset(u->body, ui_attr(u, role));
    for (int c = from; c < width && c <= to; c++)
        mvwaddstr(u->body, y, x + c, c == to ? mark : r->healthy_ms >= 0 ? wait : open);
}

static void draw_row(struct ui *u, int y, const struct timeline *tl, const struct timeline_row *r,
                     int name_w, int bar_w)
{
    const struct service *svc = &u->s->svcs[r->idx];
    char name[160], t[32], flag[96] = "";
    int x = 0;
    enum theme_role flag_role = THEME_ROLE_UNHEALTHY;

    ht_snprintf(name, sizeof(name), " %s%s", r->prefix, svc->cfg->name);
    ui_put(u, u->body, y, x, name_w, name,
           (long)r->idx == u->sel ? THEME_ROLE_SELECTED : THEME_ROLE_NORMAL);
    x += name_w + 1;
    timeline_when(r, t, sizeof(t));
    ui_put_right(u, u->body, y, x, 9, t,
                 r->skipped ? THEME_ROLE_SKIPPED
                            : ui_state_role(r->healthy_ms >= 0 ? HEALTH_HEALTHY : r->state));
    x += 10;
    draw_bar(u, y, x, bar_w, tl, r);
    x += bar_w + 1;
    if (r->race) {
        ht_snprintf(flag, sizeof(flag), "%s race: before %s", u->ascii ? "!" : "\xe2\x9a\xa0",
                    u->s->svcs[r->race_dep].cfg->name);
        flag_role = THEME_ROLE_DEGRADED;
    } else if (r->skipped) {
        ht_strlcpy(flag, "scaled to 0", sizeof(flag));
        flag_role = THEME_ROLE_DIM;
    } else if (r->healthy_ms < 0) {
        ht_strlcpy(flag, r->state == HEALTH_UNHEALTHY ? "never healthy" : "not healthy yet",
                   sizeof(flag));
    }
    ui_put(u, u->body, y, x, u->cols - x, flag, flag_role);
}

/* The view: a title row with the axis, one row per service in
 * dependency order, and the total on the last row. */
void timeline_view_draw(struct ui *u)
{
    struct timeline tl;
    int rows = getmaxy(u->body), name_w, bar_w, shown;
    char end[32], total[128];

    werase(u->body);
    /* A replay's "now" is where the replay stands, not the wall clock. */
    timeline_build(&tl, u->s, ui_model_now(u), u->ascii);
    name_w = tl.name_width + 2 < u->cols / 3 ? tl.name_width + 2 : u->cols / 3;
    bar_w = u->cols - name_w - 1 - 10 - 1 - FLAG_COLS;
    if (bar_w < 10)
        bar_w = 10;
    ui_fill(u, u->body, 0, 0, u->cols, THEME_ROLE_COLUMN_HEADER);
    ui_put(u, u->body, 0, 1, name_w, "Start-up timeline", THEME_ROLE_COLUMN_HEADER);
    /* The axis: its start on the left, its end on the right, with at
     * least a space between them however narrow (they ran together at
     * 60 columns); the start gives way first. */
    timeline_offset(tl.span_ms, end, sizeof(end));
    ui_put(u, u->body, 0, name_w + 11, bar_w - layout_text_width(end) - 1,
           u->s->origin_ms < u->s->t0_ms ? "T+0 first container" : "T+0", THEME_ROLE_COLUMN_HEADER);
    ui_put_right(u, u->body, 0, name_w + 11, bar_w, end, THEME_ROLE_COLUMN_HEADER);
    shown = rows - 3 < (int)tl.nrows ? rows - 3 : (int)tl.nrows;
    for (int i = 0; i < shown; i++)
        draw_row(u, 1 + i, &tl, &tl.rows[i], name_w, bar_w);
    if (shown < (int)tl.nrows) {
        ht_snprintf(total, sizeof(total), " %s %d more", u->g->more_down, (int)tl.nrows - shown);
        ui_put(u, u->body, 1 + shown, 0, u->cols, total, THEME_ROLE_DIM);
    }
    timeline_total(&tl, total, sizeof(total));
    if (tl.races)
        ht_snprintf(total + strlen(total), sizeof(total) - strlen(total), "; %zu race%s", tl.races,
                    tl.races == 1 ? "" : "s");
    /* The total first; the hint takes what is left on the right. */
    int used = ui_put(u, u->body, rows - 1, 1, u->cols - 2, total,
                      tl.all_healthy_ms >= 0 ? THEME_ROLE_HEALTHY : THEME_ROLE_UNHEALTHY);
    if (u->cols - 2 - used >= 22)
        ui_put_right(u, u->body, rows - 1, u->cols - 24, 23, "t: back to the list", THEME_ROLE_DIM);
    timeline_free(&tl);
    wnoutrefresh(u->body);
}

void timeline_key(struct ui *u, int key)
{
    (void)key;
    u->timeline = !u->timeline;
    u->detail = false;
}

void ui_demo_key(struct ui *u, int key)
{
    struct service *svc = ui_selected(u);
    char msg[160];
    int rc;

    (void)key;
    if (u->ext.demo_toggle == NULL) {
        ui_notice(u, "K stops and revives services only in --demo");
        return;
    }
    if (svc == NULL)
        return;
    rc = u->ext.demo_toggle(u->ext.demo_ud, svc->cfg->name);
    ht_snprintf(msg, sizeof(msg),
                rc == 1   ? "stopped %s (K again revives it)"
                : rc == 0 ? "revived %s: it boots again"
                          : "%s is not a simulated service",
                svc->cfg->name);
    ui_notice(u, msg);
}

void ui_replay_key(struct ui *u, int key)
{
    const struct tui_source *src = u->ext.src;
    char msg[128];

    if (!ui_playback(u)) {
        ui_notice(u, "step, seek and speed keys work in --replay");
        return;
    }
    if (key == '.') {
        u->act.pause(u, true);
        if (!src->step(src->ud))
            ui_notice(u, "end of the recording");
    } else if (key == '[' || key == ']') {
        src->seek(src->ud, key == ']' ? SEEK_MS : -SEEK_MS);
    } else if (key == '+' || key == '-') {
        src->speed(src->ud, key == '+' ? 2 : 0.5);
    }
    src->where(src->ud, msg, sizeof(msg));
    ui_notice(u, msg);
}

void timeline_header_note(const struct ui *u, char *buf, size_t n)
{
    char roots[160] = "";
    size_t len;

    (void)deps_summary(u->s, roots, sizeof(roots));
    len = ht_strlcpy(buf, roots, n);
    if (ui_playback(u) && len < n) {
        char where[96];
        u->ext.src->where(u->ext.src->ud, where, sizeof(where));
        ht_snprintf(buf + len, n - len, "%s%s", len ? "  " : "", where);
    }
}
