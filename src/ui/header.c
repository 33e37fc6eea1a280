/* The header line: title, overall status, counts per state, time since
 * start, PAUSED, and the local clock at the right. Parts that do not fit
 * drop from the right of the left side; the counts switch to a compact
 * form (mark and number) on narrow screens. */
#include "ui/ui.h"

#include <ctype.h>

/* States counted in the header, in the order shown; unknown (no result
 * yet) counts as starting. */
static const enum health_state shown[] = {
    HEALTH_HEALTHY, HEALTH_DEGRADED, HEALTH_UNHEALTHY, HEALTH_STARTING, HEALTH_SKIPPED,
};

/* Writes the count of shown[i] into part; returns the count. */
static int format_count(const struct ui *u, size_t i, const int *counts, bool compact, char *part,
                        size_t n)
{
    enum health_state st = shown[i];
    int c = counts[st] + (st == HEALTH_STARTING ? counts[HEALTH_UNKNOWN] : 0);

    if (compact)
        ht_snprintf(part, n, "%s%d ", u->g->mark[st], c);
    else
        ht_snprintf(part, n, "%d %s  ", c, health_state_name(st));
    return c;
}

static int counts_width(const struct ui *u, const int *counts, bool compact)
{
    char part[48];
    int w = 0;

    for (size_t i = 0; i < HT_ARRAY_LEN(shown); i++) {
        format_count(u, i, counts, compact, part, sizeof(part));
        w += text_width(part);
    }
    return w;
}

static void put_counts(struct ui *u, int x, int room, const int *counts, bool compact)
{
    char part[48];
    int used = 0;

    for (size_t i = 0; i < HT_ARRAY_LEN(shown); i++) {
        int c = format_count(u, i, counts, compact, part, sizeof(part));
        if (used + text_width(part) > room)
            break;
        used += ui_put(u, u->header, 0, x + used, room - used, part,
                       c > 0 ? ui_state_role(shown[i]) : ROLE_HEADER);
    }
}

void header_draw(struct ui *u)
{
    const struct scheduler *s = u->s;
    const char *title = s->cfg && s->cfg->title ? s->cfg->title : "healthtop";
    int counts[HEALTH_STATE_COUNT] = {0};
    enum health_state overall = sched_overall(s);
    char right[64], up[32], clock[16], buf[64], note[256];
    int x = 0, cols = u->cols, rw;
    bool compact;

    werase(u->header);
    u->base = UI_BASE_HEADER;
    ui_fill(u, u->header, 0, 0, cols, ROLE_HEADER);
    sched_counts(s, counts);

    ui_age_format(u->now_ms - s->t0_ms, up, sizeof(up));
    /* Hours and minutes: a clock ticking every second was a third of
     * what an idle dashboard sent to its terminal. */
    ui_clock(u->wall_ms, clock, sizeof(clock));
    clock[5] = '\0';
    ht_snprintf(right, sizeof(right), "up %s  %s ", up, clock);
    rw = text_width(right);
    ui_put(u, u->header, 0, cols - rw, rw, right, ROLE_HEADER);
    if (s->paused) {
        rw += 9;
        ui_put(u, u->header, 0, cols - rw, 8, " PAUSED ", ROLE_PAUSED);
    }
    cols -= rw + 1;

    ht_snprintf(buf, sizeof(buf), " %s ", title);
    x += ui_put(u, u->header, 0, x, cols - x, buf, ROLE_TITLE) + 1;
    ht_snprintf(buf, sizeof(buf), "%s %s", u->g->mark[overall], health_state_shout(overall));
    for (char *p = buf; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    x += ui_put(u, u->header, 0, x, cols - x, buf, ui_state_role(overall)) + 2;
    timeline_header_note(u, note, sizeof(note)); /* root causes first */
    if (note[0] != '\0' && x < cols)
        x += ui_put(u, u->header, 0, x, cols - x, note, ROLE_UNHEALTHY) + 2;
    compact = counts_width(u, counts, false) > cols - x;
    if (x < cols)
        put_counts(u, x, cols - x, counts, compact);
    u->base = UI_BASE_NORMAL;
    wnoutrefresh(u->header);
}
