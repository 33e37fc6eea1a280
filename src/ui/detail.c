/* The detail pane (Enter on a service): its configuration with secrets
 * redacted, its state, the last result with the probe's detail (for HTTP
 * the status line and the first bytes of the body), the last results and
 * the state changes. Built as a list of lines, drawn from a scroll
 * offset inside a box over the grid. */
#include "ui/ui.h"

#include <stdarg.h>
#include <string.h>

#define DETAIL_LINES      128
#define DETAIL_TEXT       320
#define DETAIL_BODY_LINES 8

struct dline {
    const char *label;    /* left column, or NULL */
    int state;            /* a state mark before the text, or -1 */
    enum theme_role role; /* of the text */
    char text[DETAIL_TEXT];
};

struct dlines {
    struct dline l[DETAIL_LINES];
    int n;
};

static struct dline *add(struct dlines *d, const char *label, int state, enum theme_role role,
                         const char *fmt, ...) HT_PRINTF(5, 6);

static struct dline *add(struct dlines *d, const char *label, int state, enum theme_role role,
                         const char *fmt, ...)
{
    struct dline *l;
    va_list ap;

    if (d->n == DETAIL_LINES)
        return NULL;
    l = &d->l[d->n++];
    l->label = label;
    l->state = state;
    l->role = role;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof(l->text), fmt, ap);
    va_end(ap);
    return l;
}

static void add_config(struct dlines *d, const struct service *svc)
{
    const struct svc_config *c = svc->cfg;
    char what[256], iv[16], to[16], sp[16], deps[256] = "";

    config_describe(c, what, sizeof(what));
    ht_duration_format(c->interval_ms, iv, sizeof(iv));
    ht_duration_format(c->timeout_ms, to, sizeof(to));
    ht_duration_format(c->start_period_ms, sp, sizeof(sp));
    add(d, "Probe", -1, THEME_ROLE_NORMAL, "%s", what);
    add(d, "Service", -1, THEME_ROLE_NORMAL, "%s (%s) in %s", c->name, probe_kind_name(c->kind),
        c->group ? c->group : "Services");
    add(d, "Timing", -1, THEME_ROLE_NORMAL, "every %s, timeout %s, %d retries, start period %s", iv,
        to, c->retries, sp);
    for (size_t i = 0; i < c->ndeps; i++) {
        size_t len = strlen(deps);
        ht_snprintf(deps + len, sizeof(deps) - len, "%s%s", i ? ", " : "", c->depends_on[i]);
    }
    if (c->ndeps > 0)
        add(d, "Depends", -1, THEME_ROLE_NORMAL, "%s", deps);
}

static void add_state(struct ui *u, struct dlines *d, const struct service *svc)
{
    const struct health *h = &svc->health;
    double upt = history_uptime(&svc->history);
    char since[16], lat[16], con[16];

    ht_duration_format(u->now_ms - h->since_ms, since, sizeof(since));
    add(d, "State", h->state, ui_state_role(h->state), "%s for %s, %d failed in a row",
        health_state_name(h->state), since, h->failures);
    if (h->results > 0)
        add(d, "Replicas", -1, THEME_ROLE_NORMAL, "%d up of %d expected", h->up, h->expected);
    if (upt >= 0)
        add(d, "Uptime", -1, THEME_ROLE_NORMAL,
            "%.1f%% up (healthy or degraded) over the last %u "
            "results; %llu probes failed",
            upt, history_len(&svc->history), (unsigned long long)history_failed(&svc->history));
    if (!svc->has_result) {
        add(d, "Last", -1, THEME_ROLE_DIM, "no result yet");
        return;
    }
    ht_latency_format(svc->last.latency_us, u->ascii, lat, sizeof(lat));
    ht_latency_format(svc->last.connect_us, u->ascii, con, sizeof(con));
    if (svc->last.latency_us < 0)
        add(d, "Last", -1, THEME_ROLE_NORMAL, "%s", svc->last.message);
    else if (svc->last.connect_us >= 0)
        add(d, "Last", -1, THEME_ROLE_NORMAL, "%s in %s (connect %s)", svc->last.message, lat, con);
    else
        add(d, "Last", -1, THEME_ROLE_NORMAL, "%s in %s", svc->last.message, lat);
}

/* The probe's detail text, one line per line, at most a few. */
static void add_probe_detail(struct dlines *d, const struct service *svc)
{
    const char *p = svc->last.detail;
    int lines = 0;

    if (!svc->has_result || p[0] == '\0')
        return;
    while (*p && lines < DETAIL_BODY_LINES) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct dline *l = add(d, lines == 0 ? "Detail" : NULL, -1, THEME_ROLE_DIM, "%s", "");
        if (l == NULL)
            return;
        if (len >= sizeof(l->text))
            len = sizeof(l->text) - 1;
        memcpy(l->text, p, len);
        l->text[len] = '\0';
        lines++;
        p += nl ? (size_t)(nl - p) + 1 : len;
    }
}

static void add_recent(struct ui *u, struct dlines *d, const struct service *svc)
{
    const struct ring *r = &svc->history.recent;
    char t[16], lat[16];

    add(d, NULL, -1, THEME_ROLE_NORMAL, "%s", "");
    add(d, NULL, -1, THEME_ROLE_GROUP, "Last %u results, newest first", r->len);
    for (uint32_t i = r->len; i-- > 0;) {
        const struct history_recent *e = ring_at(r, i);
        ui_clock(e->wall_ms, t, sizeof(t));
        ht_latency_format(e->latency_us == UINT32_MAX ? -1 : (int64_t)e->latency_us, u->ascii, lat,
                          sizeof(lat));
        add(d, NULL, e->state, e->ok ? THEME_ROLE_NORMAL : THEME_ROLE_UNHEALTHY, "%s  %-9s %7s  %s",
            t, health_state_name(e->state), lat, e->msg);
    }
}

static void add_transitions(struct ui *u, struct dlines *d, const struct service *svc)
{
    const struct ring *r = &svc->history.transitions;
    char t[16];

    add(d, NULL, -1, THEME_ROLE_NORMAL, "%s", "");
    add(d, NULL, -1, THEME_ROLE_GROUP, "State changes, newest first");
    if (r->len == 0)
        add(d, NULL, -1, THEME_ROLE_DIM, "none yet");
    for (uint32_t i = r->len; i-- > 0;) {
        const struct history_transition *e = ring_at(r, i);
        ui_clock(e->wall_ms, t, sizeof(t));
        add(d, NULL, e->to, ui_state_role(e->to), "%s  %s %s %s  %s", t, health_state_name(e->from),
            u->ascii ? "->" : "\xe2\x86\x92", health_state_name(e->to), e->msg);
    }
}

static void build(struct ui *u, const struct service *svc, struct dlines *d)
{
    d->n = 0;
    add_state(u, d, svc);
    add_probe_detail(d, svc);
    add_config(d, svc);
    add_recent(u, d, svc);
    add_transitions(u, d, svc);
}

/* Static: some 40 KiB, more than a stack frame should hold, and there is
 * only one screen. */
static struct dlines lines;

int detail_lines(struct ui *u)
{
    const struct service *svc = ui_selected(u);

    if (svc == NULL)
        return 0;
    build(u, svc, &lines);
    return lines.n;
}

#define LABEL_W 10

void detail_draw(struct ui *u)
{
    const struct service *svc = ui_selected(u);
    int h = getmaxy(u->body), inner = h - 2, w = u->cols - 4, max;
    char title[160];

    werase(u->body);
    if (svc == NULL) {
        u->detail = false;
        grid_draw(u);
        return;
    }
    build(u, svc, &lines);
    max = lines.n - inner;
    if (u->detail_scroll > max)
        u->detail_scroll = max > 0 ? max : 0;
    if (u->detail_scroll < 0)
        u->detail_scroll = 0;
    ht_snprintf(title, sizeof(title), "%s%s", svc->cfg->label ? svc->cfg->label : svc->cfg->name,
                lines.n <= inner ? ""
                : u->ascii       ? " (more: Up/Down)"
                                 : " (more: \xe2\x86\x91\xe2\x86\x93)");
    ui_box(u, u->body, title);
    for (int y = 0; y < inner && u->detail_scroll + y < lines.n; y++) {
        const struct dline *l = &lines.l[u->detail_scroll + y];
        int x = 2;
        if (l->label != NULL)
            ui_put(u, u->body, y + 1, x, LABEL_W, l->label, THEME_ROLE_DIM);
        if (l->label != NULL || l->role != THEME_ROLE_GROUP)
            x += LABEL_W;
        if (l->state >= 0) {
            ui_put(u, u->body, y + 1, x, 1, u->g->mark[l->state], ui_state_role(l->state));
            x += 2;
        }
        ui_put(u, u->body, y + 1, x, w - x + 2, l->text, l->role);
    }
    wnoutrefresh(u->body);
}
