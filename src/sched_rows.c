/* Rows made from a source's answer. A prometheus query with rows_by
 * gives one row per label value, and those rows come and go with the
 * answer; doc/prometheus.md says why they are kept this way.
 *
 * The model stays one flat list: a row is a struct service in s->svcs
 * like any other, after the services of the config, so that every view,
 * report and metric that walks s->svcs shows it without knowing where it
 * came from. A source's rows sit together, sorted by name, and the array
 * has room for every source's max_rows from the start, so a service of
 * the config (its timer, its probe in flight) never moves. A row has no
 * handle of its own, only data (its config, health and history), and is
 * moved with memmove when a row before it comes or goes; its idx is
 * always its place now, and s->rows_gen tells the views that hold
 * something per index to rebuild it. */
#include "healthtop/scheduler.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/util.h"

/* A row's config: its source's (interval, retries, the kind and its
 * private part, shared and not owned, so that describe shows the
 * source's query), with a name, label and group of its own, no
 * dependencies, and the replicas it is expected to have: the most it has
 * had while it existed. One allocation holds it and its three strings:
 * a first answer makes thousands at once. */
static struct svc_config *row_config(const struct service *src, const struct probe_row *pr)
{
    const struct svc_config *sc = src->cfg;
    const char *group = pr->group ? pr->group : sc->group ? sc->group : "Services";
    size_t nsrc = strlen(sc->name), nkey = strlen(pr->key), ngroup = strlen(group);
    struct svc_config *c = xmalloc(sizeof(*c) + nsrc + 2 * nkey + ngroup + 4);
    char *p = (char *)(c + 1);

    *c = *sc;
    c->name = p;
    memcpy(p, sc->name, nsrc);
    p[nsrc] = '/';
    memcpy(p + nsrc + 1, pr->key, nkey + 1);
    p += nsrc + nkey + 2;
    c->label = memcpy(p, pr->key, nkey + 1);
    p += nkey + 1;
    c->group = memcpy(p, group, ngroup + 1);
    c->depends_on = NULL;
    c->ndeps = 0;
    c->dep_idx = NULL;
    c->replicas = 0;
    return c;
}

static void row_init(struct scheduler *s, struct service *src, struct service *row,
                     const struct probe_row *pr, int64_t now_ms)
{
    memset(row, 0, sizeof(*row));
    row->cfg = row_config(src, pr);
    row->sched = s;
    row->source = src;
    health_init(&row->health, now_ms);
    history_init(&row->history, s->cfg->history_ms, src->cfg->interval_ms);
}

static void row_free(struct service *row)
{
    struct svc_config *c = (struct svc_config *)row->cfg; /* a row's config is its own */

    history_free(&row->history);
    free(c); /* and its strings, allocated with it */
    row->cfg = NULL;
}

/* One result of a row, on the path of sched_finish: the count in front
 * of the kind's words (unless the source had no answer: nothing was
 * counted), health, history, observers. */
static void row_feed(struct scheduler *s, struct service *row, struct probe_result *r, bool counted,
                     int64_t started_ms, int64_t now_ms, int64_t wall_ms)
{
    struct svc_config *c = (struct svc_config *)row->cfg;
    enum health_state old = row->health.state;
    bool first = !row->has_result, changed;
    char tail[PROBE_MSG_MAX];
    size_t len = 0;

    if (r->found > c->replicas)
        c->replicas = r->found;
    if (counted) { /* (else the message is the source's failure) */
        /* "28/30 up, 2 missing; down: h1", in pieces: printf was a tenth
         * of an answer's cost at 10,000 rows. */
        ht_strlcpy(tail, r->message, sizeof(tail));
        r->message[0] = '\0';
        ht_put_int(r->message, sizeof(r->message), &len, r->up);
        ht_put(r->message, sizeof(r->message), &len, "/");
        ht_put_int(r->message, sizeof(r->message), &len, c->replicas); /* >= found */
        ht_put(r->message, sizeof(r->message), &len, " up");
        if (c->replicas > r->found) {
            ht_put(r->message, sizeof(r->message), &len, ", ");
            ht_put_int(r->message, sizeof(r->message), &len, c->replicas - r->found);
            ht_put(r->message, sizeof(r->message), &len, " missing");
        }
        if (tail[0] != '\0') {
            ht_put(r->message, sizeof(r->message), &len, "; ");
            ht_put(r->message, sizeof(r->message), &len, tail);
        }
    }
    row->last = *r;
    row->has_result = true;
    row->probes++;
    if (s->once)
        changed = health_set(&row->health, health_verdict(c, r), r, now_ms);
    else
        changed = health_apply_at(&row->health, c, r, started_ms, now_ms);
    history_push(&row->history, row->health.state, health_is_up(health_verdict(c, r)),
                 r->latency_us, r->message, now_ms, wall_ms);
    if (changed)
        history_transition(&row->history, old, row->health.state, r->message, now_ms, wall_ms);
    if (s->once && first)
        s->done_once++;
    for (int i = 0; i < s->nobservers; i++)
        s->observers[i].cb(s, row, changed, old, s->observers[i].ud);
}

/* Whether the answer names the rows there are, in the same order: the
 * usual case, where nothing moves. */
static bool same_rows(const struct scheduler *s, const struct service *src,
                      const struct probe_rows *rows, size_t n)
{
    if (n != src->nrows)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->svcs[src->rows_at + i].cfg->label, rows->v[i].key) != 0)
            return false;
    return true;
}

/* Makes the source's rows those of the answer (both sorted by name), in
 * place: a row in both keeps its health and history, one only in the old
 * set is freed, one only in the answer is new. First the rows that stay
 * close up (in order), then the rows of later sources move by the
 * difference, then a merge from the end puts the rows that stay and the
 * new ones at their places, each row moved at most twice. */
static void reshape(struct scheduler *s, struct service *src, const struct probe_rows *rows,
                    size_t n, int64_t now_ms)
{
    struct service *base = &s->svcs[src->rows_at];
    size_t old = src->nrows, kept = 0, j = 0, total = s->nsvcs + n - old;

    for (size_t i = 0; i < old; i++) {
        int c = 1;
        while (j < n && (c = strcmp(base[i].cfg->label, rows->v[j].key)) > 0)
            j++;
        if (j >= n || c != 0) {
            row_free(&base[i]);
            continue;
        }
        if (kept != i)
            base[kept] = base[i];
        kept++, j++;
    }
    memmove(base + n, base + old, (s->nsvcs - (src->rows_at + old)) * sizeof(*base));
    for (size_t w = n, i = kept; w-- > 0;) {
        if (i > 0 && strcmp(base[i - 1].cfg->label, rows->v[w].key) == 0) {
            if (w != i - 1)
                base[w] = base[i - 1];
            i--;
        } else {
            row_init(s, src, &base[w], &rows->v[w], now_ms);
        }
    }
    if (total < s->nsvcs)
        memset(&s->svcs[total], 0, (s->nsvcs - total) * sizeof(*s->svcs));
    s->nsvcs = total;
    for (size_t x = src->rows_at; x < total; x++)
        s->svcs[x].idx = x;
    for (size_t x = src->idx + 1; x < s->nconfig; x++)
        s->svcs[x].rows_at = s->svcs[x].rows_at + n - old;
    src->nrows = n;
    s->rows_gen++;
}

void sched_rows_apply(struct scheduler *s, struct service *src, struct probe_rows *rows,
                      int64_t now_ms, int64_t wall_ms)
{
    size_t n = rows->n < src->max_rows ? rows->n : src->max_rows;
    int64_t started_ms = src->probe.started_us / 1000;
    struct probe_result fail;

    if (!rows->answered) {
        memset(&fail, 0, sizeof(fail));
        fail.latency_us = fail.connect_us = -1;
        fail.listening = -1;
        for (size_t i = 0; i < src->nrows; i++) {
            struct probe_result r = fail;
            ht_snprintf(r.message, sizeof(r.message), "no answer: %s", src->last.message);
            row_feed(s, &s->svcs[src->rows_at + i], &r, false, started_ms, now_ms, wall_ms);
        }
        probe_rows_clear(rows);
        return;
    }
    if (!same_rows(s, src, rows, n))
        reshape(s, src, rows, n, now_ms);
    for (size_t i = 0; i < n; i++) {
        struct probe_result *r = &rows->v[i].result;
        r->latency_us = src->last.latency_us;
        r->connect_us = src->last.connect_us;
        row_feed(s, &s->svcs[src->rows_at + i], r, true, started_ms, now_ms, wall_ms);
    }
    probe_rows_clear(rows);
}

void sched_rows_free(struct scheduler *s)
{
    for (size_t i = s->nconfig; i < s->nsvcs; i++)
        row_free(&s->svcs[i]);
    for (size_t i = 0; i < s->nconfig; i++) {
        s->svcs[i].nrows = 0;
        s->svcs[i].rows_at = s->nconfig;
    }
    if (s->nsvcs > s->nconfig)
        s->rows_gen++;
    s->nsvcs = s->nconfig;
}
