/* The header line: title, overall status, root causes, counts per state
 * (mark and number), PAUSED, time since start and the local clock at the
 * right. When the width runs short, the title gives way first, then the
 * clock, then the root causes: never the state or the counts. */
#include "ui/ui.h"

#include <ctype.h>
#include <string.h>
#include "healthtop/alerts.h"

/* States counted in the header, in the order shown; unknown (no result
 * yet) counts as starting. */
static const enum health_state shown[] = {
    HEALTH_HEALTHY, HEALTH_DEGRADED, HEALTH_UNHEALTHY, HEALTH_STARTING, HEALTH_SKIPPED,
};

/* Writes the count of shown[i] into part; returns the count. One form at
 * every width: the state's mark and the number ("✗1 "). */
static int format_count(const struct ui *u, size_t i, const int *counts, char *part, size_t n)
{
    enum health_state st = shown[i];
    int c = counts[st] + (st == HEALTH_STARTING ? counts[HEALTH_UNKNOWN] : 0);

    ht_snprintf(part, n, "%s%d ", u->g->mark[st], c);
    return c;
}

static int counts_width(const struct ui *u, const int *counts)
{
    char part[48];
    int w = 0;

    for (size_t i = 0; i < HT_ARRAY_LEN(shown); i++) {
        format_count(u, i, counts, part, sizeof(part));
        w += layout_text_width(part);
    }
    return w;
}

static void put_counts(struct ui *u, int x, int room, const int *counts)
{
    char part[48];
    int used = 0;

    for (size_t i = 0; i < HT_ARRAY_LEN(shown); i++) {
        int c = format_count(u, i, counts, part, sizeof(part));
        if (used + layout_text_width(part) > room)
            break;
        used += ui_put(u, u->header, 0, x + used, room - used, part,
                       c > 0 ? ui_state_role(shown[i]) : THEME_ROLE_HEADER);
    }
}

/* A receiver that keeps failing: after the root causes, in the same
 * place, so that nobody trusts a page that is not going out. */
static void header_alerts_note(const struct ui *u, char *note, size_t n)
{
    char failing[160];
    size_t len = strlen(note);

    if (alerts_status(u->ext.alerts, failing, sizeof(failing)) > 0)
        ht_snprintf(note + len, n - len, "%s%s", len ? "; " : "", failing);
}

/* "engine unreachable: cannot reach /var/run/docker.sock: connection
 * refused" once, when a docker row could not reach its engine (the rows
 * themselves say only "engine unreachable"); else nothing. */
static void engine_note(const struct scheduler *s, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->nsvcs; i++) {
        const struct service *svc = &s->svcs[i];
        if (svc->has_result && svc->cfg->kind == PROBE_DOCKER &&
            strcmp(svc->last.message, "engine unreachable") == 0 && svc->last.detail[0]) {
            ht_strlcpy(buf, svc->last.detail, n);
            return;
        }
    }
}

/* Room is given by rank, not by position: the overall state whole, then
 * the counts, then what is failing (root causes), then the time and the
 * clock, and the title gets what is left. At 80 columns the root cause
 * used to be cut to "root cause:..." while the title and clock stayed
 * whole, and at 60 the state itself read "HE...". */
void header_draw(struct ui *u)
{
    const struct scheduler *s = u->s;
    const char *title = s->cfg && s->cfg->title ? s->cfg->title : "healthtop";
    int counts[HEALTH_STATE_COUNT] = {0};
    enum health_state overall = sched_overall(s);
    char right[64], up[32], clock[16], state[64], note[256], part[256], name[128];
    int cols = u->cols, state_w, counts_w, note_w, right_w, title_w, left, x = 0;

    werase(u->header);
    u->base = UI_BASE_HEADER;
    ui_fill(u, u->header, 0, 0, cols, THEME_ROLE_HEADER);
    sched_counts(s, counts);

    ht_snprintf(state, sizeof(state), "%s %s", u->g->mark[overall], health_state_shout(overall));
    for (char *p = state; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    engine_note(s, note, sizeof(note));
    timeline_header_note(u, part, sizeof(part)); /* root causes */
    if (part[0] != '\0') {
        size_t used = strlen(note);
        ht_snprintf(note + used, sizeof(note) - used, "%s%s", used ? "  " : "", part);
    }
    header_alerts_note(u, note, sizeof(note));
    ui_age_format(u->now_ms - s->t0_ms, up, sizeof(up));
    /* Hours and minutes: a clock ticking every second was a third of
     * what an idle dashboard sent to its terminal. */
    ui_clock(u->wall_ms, clock, sizeof(clock));
    clock[5] = '\0';
    ht_snprintf(right, sizeof(right), "%sup %s  %s ", s->paused ? " PAUSED  " : "", up, clock);
    ht_snprintf(name, sizeof(name), " %s ", title);

    state_w = layout_text_width(state) + 2;
    counts_w = counts_width(u, counts);
    left = cols - 1 - state_w - counts_w;
    note_w = note[0] ? layout_text_width(note) + 2 : 0;
    if (note_w > left)
        note_w = left > 0 ? left : 0;
    left -= note_w;
    right_w = layout_text_width(right);
    if (right_w > left)
        right_w = 0;
    left -= right_w;
    title_w = layout_text_width(name) + 1;
    if (title_w > left)
        title_w = left >= 6 ? left : 0;

    if (title_w > 0)
        x += ui_put(u, u->header, 0, x, title_w - 1, name, THEME_ROLE_TITLE) + 1;
    x += ui_put(u, u->header, 0, x, state_w - 2, state, ui_state_role(overall)) + 2;
    if (note_w > 2)
        x += ui_put(u, u->header, 0, x, note_w - 2, note, THEME_ROLE_UNHEALTHY) + 2;
    put_counts(u, x, cols - x - right_w, counts);
    if (right_w > 0) {
        if (s->paused)
            ui_put(u, u->header, 0, cols - right_w, 8, " PAUSED ", THEME_ROLE_PAUSED);
        ui_put_right(u, u->header, 0, cols - right_w, right_w, right + (s->paused ? 9 : 0),
                     THEME_ROLE_HEADER);
    }
    u->base = UI_BASE_NORMAL;
    wnoutrefresh(u->header);
}
