/* The start-up timeline: its model, and its text form for --wait. */
#include "healthtop/timeline.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/deps.h"
#include "healthtop/util.h"

/* Columns taken by UTF-8 text whose characters are all one column wide
 * (the tree glyphs, names): one per byte that does not continue a
 * character. */
static int text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The tree glyphs of row i: for each ancestor below the top a bar when
 * more siblings follow it, then the branch itself (the seed's └─>). */
static void row_prefix(struct timeline *tl, const struct deps_row *rows, const size_t *row_of,
                       size_t i, bool ascii)
{
    const char *pipe = ascii ? "|   " : "\xe2\x94\x82   ";
    const char *tee = ascii ? "|-> " : "\xe2\x94\x9c\xe2\x94\x80> ";
    const char *ell = ascii ? "`-> " : "\xe2\x94\x94\xe2\x94\x80> ";
    const char *parts[32];
    int nparts = 0;
    char *out = tl->rows[i].prefix;
    size_t len = 0;

    out[0] = '\0';
    if (rows[i].depth <= 0)
        return;
    parts[nparts++] = rows[i].last ? ell : tee;
    for (size_t p = rows[i].parent; p != (size_t)-1 && nparts < (int)HT_ARRAY_LEN(parts);) {
        const struct deps_row *pr = &rows[row_of[p]];
        if (pr->depth <= 0)
            break;
        parts[nparts++] = pr->last ? "    " : pipe;
        p = pr->parent;
    }
    while (nparts > 0 && len < TIMELINE_PREFIX_MAX)
        len += ht_strlcpy(out + len, parts[--nparts], TIMELINE_PREFIX_MAX - len);
}

static void row_fill(struct timeline *tl, const struct scheduler *s, struct timeline_row *r)
{
    const struct service *svc = &s->svcs[r->idx];
    struct deps_race race;

    r->state = svc->health.state;
    r->seen_ms = svc->health.first_seen_ms < 0 ? -1 : svc->health.first_seen_ms - s->origin_ms;
    r->healthy_ms =
        svc->health.first_healthy_ms < 0 ? -1 : svc->health.first_healthy_ms - s->origin_ms;
    /* Dated by its own start (a container's) from before T+0: the stack
     * was up before the start-up this timeline shows. */
    if (svc->health.first_seen_ms >= 0 && r->seen_ms < 0) {
        r->before_t0 = true;
        r->seen_ms = 0;
        if (svc->health.first_healthy_ms >= 0 && r->healthy_ms < 0)
            r->healthy_ms = 0;
    }
    r->skipped = r->healthy_ms < 0 && (svc->cfg->replicas == 0 || r->state == HEALTH_SKIPPED);
    if (deps_races_of(s, r->idx, &race, 1) > 0) {
        r->race = true;
        r->race_dep = race.dep;
        r->race_lead_ms = race.lead_ms;
        tl->races++;
    }
    if (r->skipped)
        tl->skipped++;
    else if (r->healthy_ms < 0) {
        tl->never++;
        tl->failing += r->state == HEALTH_UNHEALTHY;
    }
}

void timeline_build(struct timeline *tl, const struct scheduler *s, int64_t now_ms, bool ascii)
{
    size_t n = s->nsvcs;
    struct deps_row *rows = xcalloc(n ? n : 1, sizeof(*rows));
    size_t *row_of = xcalloc(n ? n : 1, sizeof(*row_of));
    int64_t last = 0;
    size_t up_at_first = 0;

    memset(tl, 0, sizeof(*tl));
    tl->nrows = n;
    tl->rows = xcalloc(n ? n : 1, sizeof(*tl->rows));
    (void)deps_order(s, rows); /* a cycle still gives every row, at depth 0 */
    for (size_t i = 0; i < n; i++)
        row_of[rows[i].idx] = i;
    for (size_t i = 0; i < n; i++) {
        struct timeline_row *r = &tl->rows[i];
        int w;

        r->idx = rows[i].idx;
        r->depth = rows[i].depth;
        row_prefix(tl, rows, row_of, i, ascii);
        row_fill(tl, s, r);
        if (r->healthy_ms > last)
            last = r->healthy_ms;
        up_at_first += !r->skipped && r->healthy_ms >= 0 &&
                       (r->healthy_ms == r->seen_ms || (r->before_t0 && r->healthy_ms == 0));
        w = text_cols(r->prefix) + (int)strlen(s->svcs[r->idx].cfg->name);
        if (w > tl->name_width)
            tl->name_width = w;
    }
    tl->all_healthy_ms = tl->never == 0 && n > tl->skipped ? last : -1;
    tl->already_up = tl->all_healthy_ms >= 0 && up_at_first == n - tl->skipped;
    tl->span_ms = tl->never > 0 && now_ms - s->origin_ms > last ? now_ms - s->origin_ms : last;
    if (tl->span_ms <= 0)
        tl->span_ms = 1;
    free(rows);
    free(row_of);
}

void timeline_free(struct timeline *tl)
{
    free(tl->rows);
    memset(tl, 0, sizeof(*tl));
}

int timeline_col(const struct timeline *tl, int64_t t_ms, int width)
{
    int64_t c;

    if (width <= 1 || t_ms <= 0)
        return 0;
    c = t_ms * (width - 1) / tl->span_ms;
    return c > width - 1 ? width - 1 : (int)c;
}

void timeline_offset(int64_t t_ms, char *buf, size_t n)
{
    if (t_ms < 0)
        ht_strlcpy(buf, "-", n);
    else
        ht_snprintf(buf, n, "T+%.1fs", (double)t_ms / 1000.0);
}

void timeline_when(const struct timeline_row *r, char *buf, size_t n)
{
    if (r->before_t0 && r->healthy_ms == 0)
        ht_strlcpy(buf, "up before", n);
    else if (r->healthy_ms >= 0)
        timeline_offset(r->healthy_ms, buf, n);
    else
        ht_strlcpy(buf, r->skipped ? "skipped" : "never", n);
}

void timeline_total(const struct timeline *tl, char *buf, size_t n)
{
    char t[32], sk[32] = "";

    if (tl->skipped)
        ht_snprintf(sk, sizeof(sk), " (%zu skipped)", tl->skipped);
    if (tl->already_up) {
        /* No start-up was seen, and what the targets said of their own
         * (containers' health logs) does not date one either: say so
         * rather than date it all to the first probe. */
        ht_snprintf(buf, n,
                    "already up when healthtop started: every service healthy on its "
                    "first probe%s",
                    sk);
    } else if (tl->all_healthy_ms >= 0) {
        timeline_offset(tl->all_healthy_ms, t, sizeof(t));
        ht_snprintf(buf, n, "all healthy at %s%s", t, sk);
    } else if (tl->failing > 0 || tl->never == 0) {
        ht_snprintf(buf, n, "not all healthy: %zu service%s never healthy%s", tl->never,
                    tl->never == 1 ? "" : "s", sk);
    } else {
        ht_snprintf(buf, n, "starting: %zu service%s not healthy yet%s", tl->never,
                    tl->never == 1 ? "" : "s", sk);
    }
}

/* One bar: blank before the first result, then the wait until the first
 * healthy result, ending in a mark at that moment; a service never
 * healthy waits to the end of the axis. */
static void print_bar(FILE *out, const struct timeline *tl, const struct timeline_row *r, int width,
                      const struct report_style *st)
{
    const char *wait = st->ascii ? "-" : "\xe2\x94\x80"; /* ─ */
    const char *mark = st->ascii ? "#" : "\xe2\x96\x88"; /* █ */
    const char *open = st->ascii ? "." : "\xe2\x96\x91"; /* ░ */
    int from = r->seen_ms < 0 ? width : timeline_col(tl, r->seen_ms, width);
    int to = r->healthy_ms >= 0 ? timeline_col(tl, r->healthy_ms, width) : width;

    fputs(report_color(st, r->skipped ? HEALTH_SKIPPED : r->state), out);
    for (int c = 0; c < width; c++) {
        if (c < from || c > to || (r->skipped && r->healthy_ms < 0))
            fputc(' ', out);
        else if (c < to)
            fputs(r->healthy_ms >= 0 ? wait : open, out);
        else
            fputs(mark, out);
    }
    fputs(report_reset(st), out);
}

static void print_row(FILE *out, const struct scheduler *s, const struct timeline *tl,
                      const struct timeline_row *r, int bar, const struct report_style *st)
{
    const char *name = s->svcs[r->idx].cfg->name;
    char t[32];
    int pad = tl->name_width - text_cols(r->prefix) - (int)strlen(name);

    timeline_when(r, t, sizeof(t));
    fprintf(out, "%s%s%*s %9s |", r->prefix, name, pad > 0 ? pad : 0, "", t);
    print_bar(out, tl, r, bar, st);
    fputc('|', out);
    if (r->skipped)
        fputs(" scaled to 0", out);
    else if (r->healthy_ms < 0)
        fprintf(out, " %sNEVER HEALTHY%s (%s)", report_color(st, HEALTH_UNHEALTHY),
                report_reset(st), health_state_name(r->state));
    if (r->race)
        fprintf(out, " %s race: before %s", st->ascii ? "!" : "\xe2\x9a\xa0",
                s->svcs[r->race_dep].cfg->name);
    fputc('\n', out);
}

static void print_races(FILE *out, const struct scheduler *s, const struct timeline *tl)
{
    char lead[32];

    for (size_t i = 0; i < tl->nrows; i++) {
        const struct timeline_row *r = &tl->rows[i];
        if (!r->race)
            continue;
        if (r->race_lead_ms >= 0) {
            ht_duration_format(r->race_lead_ms, lead, sizeof(lead));
            fprintf(out, "race: %s was healthy %s before its dependency %s\n",
                    s->svcs[r->idx].cfg->name, lead, s->svcs[r->race_dep].cfg->name);
        } else {
            fprintf(out, "race: %s was healthy while its dependency %s was not\n",
                    s->svcs[r->idx].cfg->name, s->svcs[r->race_dep].cfg->name);
        }
    }
}

void timeline_text(FILE *out, const struct scheduler *s, int64_t now_ms, int width,
                   const struct report_style *st)
{
    struct timeline tl;
    char end[32], total[96];
    int bar;

    timeline_build(&tl, s, now_ms, st->ascii);
    /* name, " T+120.4s |", bar, "|", room for the longest flag. */
    bar = (width < 40 ? 40 : width) - tl.name_width - 12 - 22;
    if (bar < 10)
        bar = 10;
    timeline_offset(tl.span_ms, end, sizeof(end));
    if (s->origin_ms < s->t0_ms)
        fprintf(out,
                "\nStart-up timeline (T+0 = first container created, %.1fs before healthtop)\n",
                (double)(s->t0_ms - s->origin_ms) / 1000.0);
    else
        fprintf(out, "\nStart-up timeline (T+0 = healthtop start)\n");
    fprintf(out, "%*s |T+0%*s|\n", tl.name_width + 10, "", bar - 3, end);
    for (size_t i = 0; i < tl.nrows; i++)
        print_row(out, s, &tl, &tl.rows[i], bar, st);
    print_races(out, s, &tl);
    timeline_total(&tl, total, sizeof(total));
    fprintf(out, "%s\n", total);
    timeline_free(&tl);
}
