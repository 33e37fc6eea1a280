/* The status page of --listen and its state document (statuspage.h).
 *
 * Both are written from one view of the model (struct row_view and struct
 * page_view: the texts as the dashboard words them), so the page a
 * browser without JavaScript reloads and the one the script keeps up to
 * date from events say the same. The texts in a view are raw: the page
 * writes each through text_html(), the document through text_safe(). */
#include "statuspage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "healthtop/deps.h"
#include "healthtop/report.h"
#include "healthtop/secret.h"
#include "healthtop/text.h"
#include "healthtop/timeline.h"

#define SPARK_W 2  /* a cell's width in the sparkline's SVG units */
#define SPARK_H 16 /* the sparkline's height */
#define BAR_W   200

struct row_view {
    const struct service *svc;
    char replicas[32];
    char latency[24];
    char message[PROBE_MSG_MAX + 160]; /* "blocked by X; " and the probe's message */
    struct history_slice spark[STATUSPAGE_SPARK];
};

struct page_view {
    enum health_state overall;
    const char *status; /* the overall state's word */
    char counts[192];
    char roots[512];
    char stamp[32];
    struct row_view *rows;
    struct timeline tl;
    char tl_total[192];
};

static const char *const marks[HEALTH_STATE_COUNT] = HEALTH_MARKS_UTF8;

static const char *mark_of(enum health_state s)
{
    return (unsigned)s < HEALTH_STATE_COUNT ? marks[s] : marks[HEALTH_UNKNOWN];
}

static void row_build(const struct scheduler *s, const struct service *svc, int64_t wall_ms,
                      struct statuspage_memo *memo, struct row_view *r)
{
    const struct probe_result *res = &svc->last;
    char blocked[160];
    int64_t none = -1, lat;

    memset(r, 0, sizeof(*r));
    r->svc = svc;
    lat = report_latency_shown(svc, memo && svc->idx < memo->n ? &memo->lat_held[svc->idx] : &none);
    if (svc->has_result)
        ht_snprintf(r->replicas, sizeof(r->replicas), "%d/%d", res->up, svc->cfg->replicas);
    if (lat >= 0)
        ht_latency_format(lat, false, r->latency, sizeof(r->latency));
    if (deps_blocked_text(s, svc->idx, blocked, sizeof(blocked)) > 0)
        ht_snprintf(r->message, sizeof(r->message), "%s%s%s", blocked,
                    svc->has_result && res->message[0] ? "; " : "",
                    svc->has_result ? res->message : "");
    else if (svc->has_result)
        ht_strlcpy(r->message, res->message, sizeof(r->message));
    else
        ht_strlcpy(r->message, "no result yet", sizeof(r->message));
    history_slices(&svc->history, wall_ms, STATUSPAGE_SPARK, r->spark);
}

static void page_build(const struct scheduler *s, struct statuspage_memo *memo, struct page_view *p)
{
    int c[HEALTH_STATE_COUNT];
    int64_t wall = ht_wall_ms();
    time_t now = time(NULL);
    struct tm tm;

    memset(p, 0, sizeof(*p));
    p->overall = sched_overall(s);
    p->status = report_exit_code(s) == 0 ? health_state_name(HEALTH_HEALTHY)
                                         : health_state_name(p->overall);
    sched_counts(s, c);
    ht_snprintf(p->counts, sizeof(p->counts),
                "%zu services: %d healthy, %d degraded, %d unhealthy, %d starting, %d skipped",
                s->nsvcs, c[HEALTH_HEALTHY], c[HEALTH_DEGRADED], c[HEALTH_UNHEALTHY],
                c[HEALTH_STARTING] + c[HEALTH_UNKNOWN], c[HEALTH_SKIPPED]);
    (void)deps_summary(s, p->roots, sizeof(p->roots));
    gmtime_r(&now, &tm);
    strftime(p->stamp, sizeof(p->stamp), "%Y-%m-%d %H:%M:%SZ", &tm);
    p->rows = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*p->rows));
    for (size_t i = 0; i < s->nsvcs; i++)
        row_build(s, &s->svcs[i], wall, memo, &p->rows[i]);
    timeline_build(&p->tl, s, ht_now_ms(), false);
    timeline_total(&p->tl, p->tl_total, sizeof(p->tl_total));
}

static void page_free(struct page_view *p)
{
    free(p->rows);
    timeline_free(&p->tl);
}

/* ---- the page ---- */

/* Outside text into the page: the one way any of it gets there. */
static int put_html(struct buf *out, const char *raw)
{
    size_t len = raw ? strlen(raw) : 0;
    /* An entity is at most 6 bytes for 1, an escape 6 for 3. */
    size_t cap = len * 6 + 1;
    char *safe = xmalloc(cap);
    int rc = buf_append(out, safe, text_html(safe, cap, raw, len));

    free(safe);
    return rc;
}

static int put(struct buf *out, const char *s)
{
    return buf_append(out, s, strlen(s));
}

static int put_all(struct buf *out, const char *const *pieces)
{
    int rc = 0;

    while (*pieces)
        rc |= put(out, *pieces++);
    return rc;
}

static const char *spark_class(const struct history_slice *c)
{
    return c->level == HISTORY_SLICE_FAIL ? "fail" : health_state_name(c->worst);
}

/* One path per class (state, or "fail"), a vertical bar per slice: a few
 * bytes a slice, where an element each would make the rows most of the
 * page. */
static int spark_svg(struct buf *out, const struct history_slice *cells)
{
    int rc =
        buf_printf(out,
                   "<svg class=\"spark\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                   "role=\"img\" aria-label=\"latency, one bar per slice of time\">",
                   STATUSPAGE_SPARK * SPARK_W, SPARK_H, STATUSPAGE_SPARK * SPARK_W * 2, SPARK_H);

    for (int i = 0; i < STATUSPAGE_SPARK; i++) {
        const char *cls = spark_class(&cells[i]);
        bool first = cells[i].level != HISTORY_SLICE_EMPTY;

        for (int j = 0; j < i && first; j++)
            first =
                cells[j].level == HISTORY_SLICE_EMPTY || strcmp(spark_class(&cells[j]), cls) != 0;
        if (!first)
            continue;
        rc |= buf_printf(out, "<path class=\"%s\" d=\"", cls);
        for (int j = i; j < STATUSPAGE_SPARK; j++)
            if (cells[j].level != HISTORY_SLICE_EMPTY && strcmp(spark_class(&cells[j]), cls) == 0)
                rc |= buf_printf(out, "M%d.5 %dv-%d", j * SPARK_W, SPARK_H,
                                 cells[j].level == HISTORY_SLICE_FAIL ? SPARK_H
                                                                      : 2 + cells[j].level * 2);
        rc |= put(out, "\"/>");
    }
    return rc | put(out, "</svg>");
}

static int service_row(struct buf *out, const struct row_view *r)
{
    const struct service *svc = r->svc;
    enum health_state st = svc->health.state;
    int rc = buf_printf(out, "<tr class=\"svc st-%s\" data-name=\"", health_state_name(st));

    rc |= put_html(out, svc->cfg->name);
    rc |= buf_printf(out, "\"><td class=\"state\"><span class=\"mark\">%s</span> %s</td><td>",
                     mark_of(st), health_state_name(st));
    rc |= put_html(out, svc->cfg->label);
    rc |= buf_printf(out,
                     "</td><td class=\"kind\">%s</td><td class=\"num\">%s</td>"
                     "<td class=\"num\">%s</td><td>",
                     probe_kind_name(svc->cfg->kind), r->replicas, r->latency);
    rc |= spark_svg(out, r->spark);
    rc |= put(out, "</td><td class=\"msg\">");
    rc |= put_html(out, r->message);
    return rc | put(out, "</td></tr>\n");
}

/* Groups in the order they first appear, each with its services in
 * config order, as the dashboard lists them. */
static int services_html(struct buf *out, const struct scheduler *s, const struct page_view *p)
{
    int rc = put(out, "<table><thead><tr><th>state</th><th>service</th><th class=\"kind\">kind"
                      "</th><th>replicas</th><th>latency</th><th>history</th><th>message</th>"
                      "</tr></thead><tbody id=\"rows\">\n");

    size_t *order = report_group_order(s, NULL);

    for (size_t k = 0; k < s->nsvcs; k++) {
        if (report_group_starts(s, order, k)) {
            rc |= put(out, "<tr class=\"group\"><th colspan=\"7\">");
            rc |= put_html(out, s->svcs[order[k]].cfg->group);
            rc |= put(out, "</th></tr>\n");
        }
        rc |= service_row(out, &p->rows[order[k]]);
    }
    free(order);
    return rc | put(out, "</tbody></table>\n");
}

static int timeline_html(struct buf *out, const struct scheduler *s, const struct page_view *p)
{
    int rc = put(out, "<p id=\"tl-total\">");

    rc |= put_html(out, p->tl_total);
    rc |= put(out, "</p><table><thead><tr><th>service</th><th>healthy</th><th>from first seen "
                   "to first healthy</th></tr></thead><tbody id=\"tl-rows\">\n");
    for (size_t i = 0; i < p->tl.nrows; i++) {
        const struct timeline_row *r = &p->tl.rows[i];
        const struct service *svc = &s->svcs[r->idx];
        int64_t end = r->healthy_ms >= 0 ? r->healthy_ms : p->tl.span_ms;
        int x0 = r->seen_ms >= 0 ? (int)(r->seen_ms * BAR_W / p->tl.span_ms) : 0;
        int x1 = r->seen_ms >= 0 ? (int)(end * BAR_W / p->tl.span_ms) : 0;
        char when[48];

        timeline_when(r, when, sizeof(when));
        rc |=
            buf_printf(out, "<tr class=\"st-%s\"><td class=\"tree\">", health_state_name(r->state));
        rc |= put_html(out, r->prefix);
        rc |= put_html(out, svc->cfg->name);
        rc |= buf_printf(out,
                         "</td><td>%s%s</td><td><svg class=\"bar\" viewBox=\"0 0 %d 8\" "
                         "preserveAspectRatio=\"none\">",
                         when, r->race ? " (race)" : "", BAR_W);
        if (r->seen_ms >= 0)
            rc |= buf_printf(out, "<rect x=\"%d\" y=\"1\" width=\"%d\" height=\"6\" class=\"%s\"/>",
                             x0, x1 - x0 > 1 ? x1 - x0 : 1, health_state_name(r->state));
        rc |= put(out, "</svg></td></tr>\n");
    }
    return rc | put(out, "</tbody></table>\n");
}

int statuspage_html(struct buf *out, const struct scheduler *s, struct statuspage_memo *memo,
                    const char *nonce)
{
    struct page_view p;
    int rc;

    page_build(s, memo, &p);
    rc = put(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
    rc |= put_html(out, s->cfg->title);
    rc |= buf_printf(out,
                     " - healthtop</title>\n<noscript><meta http-equiv=\"refresh\" "
                     "content=\"%d\"></noscript>\n<style nonce=\"%s\">",
                     STATUSPAGE_REFRESH_S, nonce);
    rc |= put_all(out, statuspage_css);
    rc |= put(out, "</style>\n</head>\n<body>\n");
    rc |= put(out, "<header><h1 id=\"title\">");
    rc |= put_html(out, s->cfg->title);
    rc |= buf_printf(out,
                     "</h1>\n<p id=\"overall\" class=\"st-%s\"><span class=\"mark\" "
                     "id=\"overall-mark\">%s</span> <strong id=\"overall-word\">%s</strong> "
                     "<span id=\"counts\">",
                     p.status, mark_of(p.overall), p.status);
    rc |= put_html(out, p.counts);
    rc |= put(out, "</span></p>\n<p id=\"roots\">");
    rc |= put_html(out, p.roots);
    rc |= buf_printf(out,
                     "</p>\n<p id=\"live\">as of %s<noscript>; this page reloads every %d "
                     "seconds</noscript></p>\n<nav><a href=\"#services\">services</a> "
                     "<a href=\"#timeline\">start-up timeline</a></nav></header>\n"
                     "<main><section id=\"timeline\"><h2>Start-up timeline</h2>\n",
                     p.stamp, STATUSPAGE_REFRESH_S);
    /* The timeline comes first: the style shows it in place of the
     * services when its anchor is the target (#timeline:target ~ ...). */
    rc |= timeline_html(out, s, &p);
    rc |= put(out, "</section>\n<section id=\"services\">\n");
    rc |= services_html(out, s, &p);
    rc |= buf_printf(out, "</section></main>\n<script nonce=\"%s\">", nonce);
    rc |= put_all(out, statuspage_js);
    rc |= put(out, "</script>\n</body></html>\n");
    page_free(&p);
    return rc;
}

/* ---- the state document ---- */

/* Outside text into the document: masked and escaped, then a JSON string. */
static json_t *jtext(const char *raw)
{
    char *safe = text_safe_dup(raw);
    json_t *j = json_string(safe);

    free(safe);
    return j ? j : json_string("");
}

static json_t *spark_json(const struct history_slice *cells)
{
    json_t *a = json_array();

    for (int i = 0; i < STATUSPAGE_SPARK; i++) {
        const struct history_slice *c = &cells[i];
        json_array_append_new(a, c->level == HISTORY_SLICE_EMPTY
                                     ? json_null()
                                     : json_pack("[i, s]",
                                                 c->level == HISTORY_SLICE_FAIL ? -1 : c->level,
                                                 spark_class(c)));
    }
    return a;
}

static json_t *row_json(const struct row_view *r)
{
    const struct svc_config *c = r->svc->cfg;
    enum health_state st = r->svc->health.state;

    return json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "name", jtext(c->name),
                     "label", jtext(c->label), "group", jtext(c->group), "kind",
                     probe_kind_name(c->kind), "status", health_state_name(st), "mark", mark_of(st),
                     "replicas", r->replicas, "latency", r->latency, "message", jtext(r->message),
                     "spark", spark_json(r->spark));
}

static json_t *timeline_json(const struct scheduler *s, const struct page_view *p)
{
    json_t *rows = json_array();

    for (size_t i = 0; i < p->tl.nrows; i++) {
        const struct timeline_row *r = &p->tl.rows[i];
        char when[48];

        timeline_when(r, when, sizeof(when));
        json_array_append_new(rows, json_pack("{s:s, s:o, s:s, s:s, s:I, s:I, s:b}", "tree",
                                              r->prefix, "name", jtext(s->svcs[r->idx].cfg->name),
                                              "status", health_state_name(r->state), "when", when,
                                              "seen", (json_int_t)r->seen_ms, "healthy",
                                              (json_int_t)r->healthy_ms, "race", r->race));
    }
    return json_pack("{s:s, s:I, s:o}", "total", p->tl_total, "span", (json_int_t)p->tl.span_ms,
                     "rows", rows);
}

int statuspage_json(struct buf *out, const struct scheduler *s, struct statuspage_memo *memo)
{
    struct page_view p;
    json_t *doc, *svcs = json_array();
    char *text;
    int rc;

    page_build(s, memo, &p);
    for (size_t i = 0; i < s->nsvcs; i++)
        json_array_append_new(svcs, row_json(&p.rows[i]));
    doc = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "title", jtext(s->cfg->title), "status",
                    p.status, "mark", mark_of(p.overall), "counts", jtext(p.counts), "roots",
                    jtext(p.roots), "services", svcs, "timeline", timeline_json(s, &p));
    text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
    rc = text ? buf_append(out, text, strlen(text)) : -1;
    free(text);
    json_decref(doc);
    page_free(&p);
    return rc;
}

void statuspage_memo_reset(struct statuspage_memo *memo, size_t nsvcs)
{
    free(memo->lat_held);
    memo->lat_held = xmalloc((nsvcs ? nsvcs : 1) * sizeof(*memo->lat_held));
    for (size_t i = 0; i < nsvcs; i++)
        memo->lat_held[i] = -1;
    memo->n = nsvcs;
}

void statuspage_memo_free(struct statuspage_memo *memo)
{
    free(memo->lat_held);
    memo->lat_held = NULL;
    memo->n = 0;
}

/* ---- headers ---- */

void statuspage_nonce(char out[STATUSPAGE_NONCE_MAX])
{
    unsigned char b[16];
    char *enc;

    /* Synchronous uv_random: getrandom(2), or /dev/urandom. Should both
     * fail, the time and the address of b still differ between answers. */
    if (uv_random(NULL, NULL, b, sizeof(b), 0, NULL) != 0) {
        int64_t t = ht_now_us();
        uintptr_t a = (uintptr_t)b;
        memcpy(b, &t, sizeof(t));
        memcpy(b + 8, &a, sizeof(a) < 8 ? sizeof(a) : 8);
    }
    enc = secret_base64((const char *)b, sizeof(b));
    ht_strlcpy(out, enc, STATUSPAGE_NONCE_MAX);
    free(enc);
}

void statuspage_headers(char *out, size_t n, const char *nonce)
{
    ht_snprintf(out, n,
                "Content-Security-Policy: default-src 'none'; script-src 'nonce-%s'; "
                "style-src 'nonce-%s'; connect-src 'self'; img-src 'self'; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'\r\n"
                "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
                "X-Frame-Options: DENY\r\nCache-Control: no-store\r\n",
                nonce, nonce);
}
