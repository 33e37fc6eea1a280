/* The view state's life and the whole-screen draw: header, grid or
 * detail pane, footer and the help overlay, each window copied with
 * wnoutrefresh and the terminal updated with one doupdate(), so ncurses
 * sends only the cells that changed. */
#include "ui/ui.h"

#include <stdlib.h>
#include <string.h>

void ui_init(struct ui *u, struct scheduler *s, bool ascii)
{
    struct theme t;

    memset(u, 0, sizeof(*u));
    u->s = s;
    u->ascii = ascii;
    u->g = glyphs_get(ascii);
    u->sel = s->nsvcs > 0 ? 0 : -1;
    u->dirty = true;
    theme_builtin(&t, false);
    ui_apply_theme(u, &t);
}

static void ui_delwins(struct ui *u)
{
    WINDOW **wins[] = {&u->header, &u->body, &u->footer};

    for (size_t i = 0; i < HT_ARRAY_LEN(wins); i++)
        if (*wins[i] != NULL) {
            delwin(*wins[i]);
            *wins[i] = NULL;
        }
}

void ui_free(struct ui *u)
{
    ui_delwins(u);
    grid_forget(u);
}

static attr_t theme_attrs(uint32_t a)
{
    attr_t out = A_NORMAL;

    if (a & THEME_BOLD)
        out |= A_BOLD;
    if (a & THEME_DIM)
        out |= A_DIM;
    if (a & THEME_UNDERLINE)
        out |= A_UNDERLINE;
    if (a & THEME_REVERSE)
        out |= A_REVERSE;
    if (a & THEME_STANDOUT)
        out |= A_STANDOUT;
    if (a & THEME_ITALIC)
        out |= A_ITALIC;
    if (a & THEME_BLINK)
        out |= A_BLINK;
    return out;
}

/* The role drawn over a base: a role with the terminal's background
 * takes the base's (so a state colour in the header or the selected row
 * does not punch a hole in the bar), and the attributes add up. */
static struct theme_style over(const struct theme *t, enum theme_role r, enum theme_role base)
{
    struct theme_style st = t->style[r];

    if (base == THEME_ROLE_NORMAL)
        return st;
    if (st.bg == THEME_DEFAULT)
        st.bg = t->style[base].bg;
    st.attrs |= t->style[base].attrs;
    return st;
}

/* Role r over base b gets colour pair b * THEME_ROLE_COUNT + r + 1.
 * Terminals with too few pairs for the header and selection variants
 * (64 pairs on 8-colour terminals) draw every role over its own
 * background. Redefining a pair in use makes ncurses repaint the cells
 * that use it, so a theme switch needs no more than a redraw. */
void ui_apply_theme(struct ui *u, const struct theme *t)
{
    static const enum theme_role bases[UI_BASE_COUNT] = {
        [UI_BASE_NORMAL] = THEME_ROLE_NORMAL,
        [UI_BASE_HEADER] = THEME_ROLE_HEADER,
        [UI_BASE_SELECTED] = THEME_ROLE_SELECTED,
    };
    bool variants = !u->color || COLOR_PAIRS > UI_BASE_COUNT * THEME_ROLE_COUNT;

    u->theme = *t;
    for (int b = 0; b < UI_BASE_COUNT; b++)
        for (int r = 0; r < THEME_ROLE_COUNT; r++) {
            struct theme_style st = over(t, r, variants ? bases[b] : THEME_ROLE_NORMAL);
            int pair = (variants ? b * THEME_ROLE_COUNT : 0) + r + 1;
            u->attr[b][r] = theme_attrs(st.attrs);
            if (u->color && pair < COLOR_PAIRS) {
                init_pair((short)pair, (short)theme_resolve_color(st.fg, COLORS),
                          (short)theme_resolve_color(st.bg, COLORS));
                u->attr[b][r] |= COLOR_PAIR(pair);
            }
        }
    u->dirty = true;
}

attr_t ui_attr(const struct ui *u, enum theme_role r)
{
    return u->attr[u->base][r];
}

void ui_resize(struct ui *u)
{
    ui_delwins(u);
    u->rows = LINES;
    u->cols = COLS;
    if (u->rows >= UI_MIN_ROWS && u->cols >= UI_MIN_COLS) {
        u->header = newwin(1, u->cols, 0, 0);
        u->body = newwin(u->rows - 2, u->cols, 1, 0);
        u->footer = newwin(1, u->cols, u->rows - 1, 0);
        if (u->header == NULL || u->body == NULL || u->footer == NULL)
            ht_fatal("cannot create the dashboard's windows (%dx%d)", u->cols, u->rows);
        leaveok(u->header, TRUE);
        leaveok(u->body, TRUE);
        leaveok(u->footer, TRUE);
    }
    u->dirty = true;
}

/* Below the minimum the screen holds one line saying so, cut to fit. */
static void draw_too_small(struct ui *u)
{
    char msg[128];
    int w;

    ht_snprintf(msg, sizeof(msg), "Terminal too small: %dx%d, need %dx%d", u->cols, u->rows,
                UI_MIN_COLS, UI_MIN_ROWS);
    if (layout_text_width(msg) > u->cols)
        ht_snprintf(msg, sizeof(msg), "too small %dx%d", u->cols, u->rows);
    werase(stdscr);
    w = layout_text_width(msg);
    ui_put(u, stdscr, u->rows / 2, w < u->cols ? (u->cols - w) / 2 : 0, u->cols, msg,
           THEME_ROLE_NORMAL);
    wnoutrefresh(stdscr);
}

void ui_draw(struct ui *u)
{
    u->dirty = false;
    if (u->notice[0] != '\0' && u->now_ms >= u->notice_until)
        u->notice[0] = '\0';
    if (u->header == NULL) {
        draw_too_small(u);
        doupdate();
        return;
    }
    grid_rebuild(u);
    header_draw(u);
    if (u->detail)
        detail_draw(u);
    else if (u->timeline)
        timeline_view_draw(u);
    else
        grid_draw(u);
    footer_draw(u);
    if (u->help)
        help_draw(u);
    doupdate();
}

#define NOTICE_MS 5000

void ui_notice(struct ui *u, const char *msg)
{
    ht_strlcpy(u->notice, msg, sizeof(u->notice));
    u->notice_until = u->now_ms + NOTICE_MS;
    u->dirty = true;
}

enum theme_role ui_state_role(enum health_state s)
{
    static const enum theme_role roles[HEALTH_STATE_COUNT] = {
        [HEALTH_UNKNOWN] = THEME_ROLE_UNKNOWN,     [HEALTH_STARTING] = THEME_ROLE_STARTING,
        [HEALTH_HEALTHY] = THEME_ROLE_HEALTHY,     [HEALTH_DEGRADED] = THEME_ROLE_DEGRADED,
        [HEALTH_UNHEALTHY] = THEME_ROLE_UNHEALTHY, [HEALTH_SKIPPED] = THEME_ROLE_SKIPPED,
    };
    return (unsigned)s < HEALTH_STATE_COUNT ? roles[s] : THEME_ROLE_UNKNOWN;
}

int ui_load_theme(struct ui *u, const char *name)
{
    struct theme t;
    char err[1024], msg[200];
    int rc;

    if (!u->color) {
        /* NO_COLOR or a terminal without colours: attributes only. */
        if (theme_open("mono", &t, err, sizeof(err)) != 0)
            theme_builtin(&t, true);
        ui_apply_theme(u, &t);
        return 0;
    }
    rc = theme_open(name, &t, err, sizeof(err));
    if (rc != 0) {
        char *nl = strchr(err, '\n');
        if (nl != NULL)
            *nl = '\0';
        ht_snprintf(msg, sizeof(msg), "%s; using the default theme", err);
        ui_notice(u, msg);
        if (strcmp(name, "default") != 0 && theme_open("default", &t, err, sizeof(err)) != 0)
            theme_builtin(&t, false);
    }
    ui_apply_theme(u, &t);
    return rc;
}

void ui_cycle_theme(struct ui *u)
{
    char **names, msg[128];
    size_t n = theme_list(&names), next = 0;

    if (!u->color) {
        ui_notice(u, "no colours here (NO_COLOR or the terminal): mono only");
    } else if (n == 0) {
        ui_notice(u, "no theme files found");
    } else {
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], u->theme.name) == 0)
                next = (i + 1) % n;
        if (ui_load_theme(u, names[next]) == 0) {
            ht_snprintf(msg, sizeof(msg), "theme: %s", names[next]);
            ui_notice(u, msg);
        }
    }
    theme_list_free(names, n);
}

bool ui_playback(const struct ui *u)
{
    return u->ext.src != NULL && u->ext.src->position != NULL;
}

int64_t ui_model_now(const struct ui *u)
{
    return ui_playback(u) ? u->s->t0_ms + u->ext.src->position(u->ext.src->ud) : u->now_ms;
}

int64_t ui_model_wall(const struct ui *u)
{
    return ui_playback(u) ? u->s->t0_wall_ms + u->ext.src->position(u->ext.src->ud) : u->wall_ms;
}
