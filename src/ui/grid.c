/* The grid: one row per service under its group's heading, in the sort
 * order chosen, filtered by name; the selection, scrolling and the row
 * drawing with every column the layout keeps. */
#include "ui/ui.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "healthtop/deps.h"
#include "healthtop/report.h"

static const char *const sort_names[UI_SORT_COUNT] = {
    [UI_SORT_CONFIG] = "config",
    [UI_SORT_SEVERITY] = "severity",
    [UI_SORT_NAME] = "name",
    [UI_SORT_LATENCY] = "latency",
};

const char *grid_sort_name(enum ui_sort s)
{
    return (unsigned)s < UI_SORT_COUNT ? sort_names[s] : "?";
}

static const char *svc_label(const struct service *svc)
{
    return svc->cfg->label ? svc->cfg->label : svc->cfg->name;
}

/* Case-insensitive substring, ASCII letters only: names are ASCII in
 * practice and a byte-wise match never splits UTF-8 wrongly. */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

bool grid_matches(const struct ui *u, const struct service *svc)
{
    return u->filter[0] == '\0' || contains(svc_label(svc), u->filter) ||
           contains(svc->cfg->name, u->filter);
}

struct sortkey {
    size_t grank;
    int64_t key; /* smaller first */
    const char *name;
    size_t idx;
};

static int cmp_keys(const void *pa, const void *pb)
{
    const struct sortkey *a = pa, *b = pb;
    int c;

    if (a->grank != b->grank)
        return a->grank < b->grank ? -1 : 1;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->name != NULL && (c = strcasecmp(a->name, b->name)) != 0)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Groups show in the order they first appear in the config, then the
 * rows made from answers (whose groups come with them): each service's
 * rank is the index of the first service of its group
 * (report_group_order). Computed again when rows come or go
 * (s->rows_gen). */
static void rank_groups(struct ui *u)
{
    struct scheduler *s = u->s;

    u->grank = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*u->grank));
    free(report_group_order(s, u->grank));
}

static int64_t shown_latency(struct ui *u, const struct service *svc);

static void make_key(struct ui *u, struct service *svc, struct sortkey *k)
{
    int64_t lat;

    k->grank = u->grank[svc->idx];
    k->idx = svc->idx;
    k->name = NULL;
    k->key = 0;
    switch (u->sort) {
    case UI_SORT_SEVERITY:
        k->key = -health_severity(svc->health.state);
        break;
    case UI_SORT_NAME:
        k->name = svc_label(svc);
        break;
    case UI_SORT_LATENCY: /* slowest first, as the column shows it; none last */
        lat = shown_latency(u, svc);
        k->key = lat >= 0 ? -lat : 1;
        break;
    default:
        break;
    }
}

void grid_forget(struct ui *u)
{
    free(u->grank);
    free(u->list);
    free(u->lat_held);
    u->grank = NULL;
    u->list = NULL;
    u->lat_held = NULL;
    u->nlist = 0;
}

void grid_rebuild(struct ui *u)
{
    struct scheduler *s = u->s;
    struct sortkey *keys;
    size_t n = 0;
    bool sel_shown = false;

    if (u->rows_gen != s->rows_gen) { /* rows came or went: indexes moved */
        grid_forget(u);
        u->rows_gen = s->rows_gen;

        /* The selected service, found again by its name; when it was a
         * row that went, its neighbour (most often a row of the same
         * source) takes the selection. */
        long was = u->sel;
        u->sel = was >= (long)s->nsvcs ? (long)s->nsvcs - 1 : was;
        for (size_t i = 0; i < s->nsvcs && u->sel_name[0]; i++)
            if (strcmp(s->svcs[i].cfg->name, u->sel_name) == 0)
                u->sel = (long)i;
    }
    if (u->grank == NULL)
        rank_groups(u);
    if (u->list == NULL) {
        u->list = xcalloc(2 * s->nsvcs + 1, sizeof(*u->list));
        u->lat_held = xcalloc(s->nsvcs + 1, sizeof(*u->lat_held));
        for (size_t i = 0; i < s->nsvcs; i++)
            u->lat_held[i] = -1;
    }
    keys = xcalloc(s->nsvcs + 1, sizeof(*keys));
    for (size_t i = 0; i < s->nsvcs; i++)
        if (grid_matches(u, &s->svcs[i]))
            make_key(u, &s->svcs[i], &keys[n++]);
    qsort(keys, n, sizeof(*keys), cmp_keys);
    u->nlist = 0;
    for (size_t i = 0; i < n; i++) {
        struct service *svc = &s->svcs[keys[i].idx];
        if (i == 0 || keys[i].grank != keys[i - 1].grank)
            u->list[u->nlist++] = (struct ui_row){report_group(svc), NULL};
        u->list[u->nlist++] = (struct ui_row){NULL, svc};
        sel_shown |= (long)svc->idx == u->sel;
    }
    free(keys);
    if (!sel_shown)
        u->sel = n > 0 ? (long)u->list[1].svc->idx : -1; /* list[0] is a heading */
    ht_strlcpy(u->sel_name, u->sel >= 0 ? s->svcs[u->sel].cfg->name : "", sizeof(u->sel_name));
}

void ui_select(struct ui *u, const struct service *svc)
{
    u->sel = (long)svc->idx;
    ht_strlcpy(u->sel_name, svc->cfg->name, sizeof(u->sel_name));
}

struct service *ui_selected(const struct ui *u)
{
    return u->sel >= 0 && (size_t)u->sel < u->s->nsvcs ? &u->s->svcs[u->sel] : NULL;
}

int grid_page(const struct ui *u)
{
    int h = u->body ? getmaxy(u->body) - 1 : u->rows - 3;
    return h > 1 ? h : 1;
}

/* Position of the selection in the list, or -1. */
static long sel_pos(const struct ui *u)
{
    for (size_t i = 0; i < u->nlist; i++)
        if (u->list[i].svc != NULL && (long)u->list[i].svc->idx == u->sel)
            return (long)i;
    return -1;
}

void grid_move(struct ui *u, int delta)
{
    long pos = sel_pos(u), step = delta < 0 ? -1 : 1;

    if (pos < 0)
        return;
    for (int moved = 0; moved != abs(delta);) {
        long next = pos + step;
        while (next >= 0 && (size_t)next < u->nlist && u->list[next].svc == NULL)
            next += step;
        if (next < 0 || (size_t)next >= u->nlist)
            break;
        pos = next;
        moved++;
    }
    ui_select(u, u->list[pos].svc);
    u->dirty = true;
}

void grid_move_to(struct ui *u, bool last)
{
    grid_move(u, last ? (int)u->nlist : -(int)u->nlist);
}

bool grid_next_match(struct ui *u)
{
    long pos = sel_pos(u);

    if (u->filter[0] == '\0' || u->nlist == 0)
        return false;
    for (size_t k = 1; k <= u->nlist; k++) {
        size_t i = ((size_t)(pos < 0 ? 0 : pos) + k) % u->nlist;
        if (u->list[i].svc != NULL && grid_matches(u, u->list[i].svc)) {
            ui_select(u, u->list[i].svc);
            u->dirty = true;
            return true;
        }
    }
    return false;
}

struct service *grid_service_at(struct ui *u, int y)
{
    long i = (long)u->scroll + y - 1;

    if (y < 1 || i < 0 || (size_t)i >= u->nlist)
        return NULL;
    return u->list[i].svc;
}

/* Keeps the selection on screen, with its heading when it is the first
 * of its group, and the list as full as it can be. */
static void scroll_to_selection(struct ui *u)
{
    int page = grid_page(u);
    long pos = sel_pos(u), max = (long)u->nlist - page;

    if (pos >= 0) {
        long top = pos > 0 && u->list[pos - 1].svc == NULL ? pos - 1 : pos;
        if (top < u->scroll)
            u->scroll = (int)top;
        if (pos >= u->scroll + page)
            u->scroll = (int)(pos - page + 1);
    }
    if (u->scroll > max)
        u->scroll = max > 0 ? (int)max : 0;
    if (u->scroll < 0)
        u->scroll = 0;
}

static int widest_label(const struct ui *u)
{
    int w = 0;

    for (size_t i = 0; i < u->s->nsvcs; i++) {
        int lw = layout_text_width(svc_label(&u->s->svcs[i]));
        if (lw > w)
            w = lw;
    }
    return w;
}

static void draw_spark(struct ui *u, int y, int x, int w, const struct history *h)
{
    struct spark_cell cells[64];

    if (w > (int)HT_ARRAY_LEN(cells))
        w = (int)HT_ARRAY_LEN(cells);
    /* A replay's buckets hold the recording's times, so its sparklines
     * end where the replay stands. */
    sparkline_cells(h, ui_model_wall(u), w, cells);
    for (int i = 0; i < w; i++) {
        const char *glyph = cells[i].level == SPARK_FAIL    ? u->g->fail
                            : cells[i].level == SPARK_EMPTY ? " "
                                                            : u->g->ramp[cells[i].level];
        wattrset(u->body, ui_attr(u, cells[i].role));
        mvwaddstr(u->body, y, x + i, glyph);
    }
}

static enum theme_role replicas_role(const struct health *h, enum theme_role base)
{
    if (h->expected > 0 && h->up == 0)
        return THEME_ROLE_UNHEALTHY;
    if (h->up < h->expected)
        return THEME_ROLE_DEGRADED;
    return base;
}

static void put_col(struct ui *u, const struct layout *l, int y, enum ui_column c, const char *text,
                    enum theme_role role)
{
    bool right =
        c == UI_COL_REPLICAS || c == UI_COL_LATENCY || c == UI_COL_UPTIME || c == UI_COL_SINCE;

    if (!l->col[c].shown)
        return;
    if (right)
        ui_put_right(u, u->body, y, l->col[c].x, l->col[c].w, text, role);
    else
        ui_put(u, u->body, y, l->col[c].x, l->col[c].w, text, role);
}

/* The LAT column (report_latency_shown): the smoothed latency of
 * successful answers, held while it jitters. Sorting by latency sorts by
 * this. */
static int64_t shown_latency(struct ui *u, const struct service *svc)
{
    return report_latency_shown(svc, &u->lat_held[svc->idx]);
}

/* One service row; base is the role of plain text (selected or not). */
static void draw_row(struct ui *u, const struct layout *l, int y, struct service *svc,
                     enum theme_role base)
{
    const struct health *h = &svc->health;
    enum theme_role sr = ui_state_role(h->state);
    char buf[64];
    double upt = history_uptime(&svc->history);

    ui_fill(u, u->body, y, 0, u->cols, base);
    put_col(u, l, y, UI_COL_MARK, u->g->mark[h->state], sr);
    put_col(u, l, y, UI_COL_LABEL, svc_label(svc), base);
    put_col(u, l, y, UI_COL_KIND, probe_kind_name(svc->cfg->kind),
            base == THEME_ROLE_SELECTED ? base : THEME_ROLE_DIM);
    put_col(u, l, y, UI_COL_STATE, health_state_name(h->state), sr);
    if (h->results > 0 && h->expected > 0)
        ht_snprintf(buf, sizeof(buf), "%d/%d", h->up, h->expected);
    else
        ht_strlcpy(buf, "-", sizeof(buf));
    put_col(u, l, y, UI_COL_REPLICAS, buf, replicas_role(h, base));
    if (h->state == HEALTH_SKIPPED) {
        /* Scaled to zero and nothing answering, as expected: no latency,
         * uptime or failures to show, only that it is not running. */
        put_col(u, l, y, UI_COL_LATENCY, "-", base);
        put_col(u, l, y, UI_COL_UPTIME, "-", base);
        ui_age_format(u->now_ms - h->since_ms, buf, sizeof(buf));
        put_col(u, l, y, UI_COL_SINCE, buf, base);
        put_col(u, l, y, UI_COL_MESSAGE, "not running (scaled to 0)",
                base == THEME_ROLE_SELECTED ? base : THEME_ROLE_DIM);
        return;
    }
    ht_latency_format(shown_latency(u, svc), u->ascii, buf, sizeof(buf));
    put_col(u, l, y, UI_COL_LATENCY, buf, base);
    if (l->col[UI_COL_SPARK].shown)
        draw_spark(u, y, l->col[UI_COL_SPARK].x, l->col[UI_COL_SPARK].w, &svc->history);
    if (upt >= 0)
        ht_snprintf(buf, sizeof(buf), "%.1f%%", upt);
    else
        ht_strlcpy(buf, "-", sizeof(buf));
    put_col(u, l, y, UI_COL_UPTIME, buf, base);
    ui_age_format(u->now_ms - h->since_ms, buf, sizeof(buf));
    put_col(u, l, y, UI_COL_SINCE, h->results > 0 ? buf : "-", base);
    if (deps_blocked_text(u->s, svc->idx, buf, sizeof(buf)) > 0) {
        /* The root cause first, then the service's own failure: a blocked
         * service may be broken in its own right too. */
        char msg[sizeof(buf) + PROBE_MSG_MAX + 2];
        ht_snprintf(msg, sizeof(msg), "%s%s%s", buf, svc->has_result ? "; " : "",
                    svc->has_result ? svc->last.message : "");
        put_col(u, l, y, UI_COL_MESSAGE, msg, base == THEME_ROLE_SELECTED ? base : THEME_ROLE_DIM);
    } else if (svc->has_result)
        put_col(u, l, y, UI_COL_MESSAGE, svc->last.message, base);
    else
        put_col(u, l, y, UI_COL_MESSAGE, u->s->paused ? "paused" : "waiting for the first result",
                base == THEME_ROLE_SELECTED ? base : THEME_ROLE_DIM);
}

static void draw_titles(struct ui *u, const struct layout *l)
{
    ui_fill(u, u->body, 0, 0, u->cols, THEME_ROLE_COLUMN_HEADER);
    for (int c = 0; c < UI_COL_COUNT; c++)
        put_col(u, l, 0, (enum ui_column)c, layout_column_title(c), THEME_ROLE_COLUMN_HEADER);
}

/* "▴ 5-17/40 ▾" at the right of the titles when the list scrolls. */
static void draw_scroll_mark(struct ui *u, int page)
{
    char buf[64];
    size_t last = (size_t)u->scroll + (size_t)page;

    if (u->nlist <= (size_t)page)
        return;
    if (last > u->nlist)
        last = u->nlist;
    ht_snprintf(buf, sizeof(buf), " %s %d-%zu/%zu %s", u->scroll > 0 ? u->g->more_up : " ",
                u->scroll + 1, last, u->nlist, last < u->nlist ? u->g->more_down : " ");
    ui_put_right(u, u->body, 0, 0, u->cols, buf, THEME_ROLE_COLUMN_HEADER);
}

void grid_draw(struct ui *u)
{
    struct layout l;
    int page = grid_page(u);
    char msg[128];

    werase(u->body);
    layout_columns(u->cols, widest_label(u), &l);
    draw_titles(u, &l);
    scroll_to_selection(u);
    draw_scroll_mark(u, page);
    if (u->nlist == 0) {
        ht_snprintf(msg, sizeof(msg), u->filter[0] ? "no service matches '%s'" : "no services%s",
                    u->filter);
        ui_put(u, u->body, 2, 2, u->cols - 4, msg, THEME_ROLE_DIM);
    }
    for (int y = 1; y <= page && (size_t)(u->scroll + y - 1) < u->nlist; y++) {
        const struct ui_row *r = &u->list[u->scroll + y - 1];
        if (r->svc == NULL) {
            ui_fill(u, u->body, y, 0, u->cols, THEME_ROLE_NORMAL);
            ui_put(u, u->body, y, 0, u->cols, r->group, THEME_ROLE_GROUP);
            continue;
        }
        bool sel = (long)r->svc->idx == u->sel;
        u->base = sel ? UI_BASE_SELECTED : UI_BASE_NORMAL;
        draw_row(u, &l, y, r->svc, sel ? THEME_ROLE_SELECTED : THEME_ROLE_NORMAL);
        u->base = UI_BASE_NORMAL;
    }
    wnoutrefresh(u->body);
}
