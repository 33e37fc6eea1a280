/* A prometheus answer made into rows (rows_by): the series are grouped by
 * the value of one label, each group a row whose series are its
 * replicas. The scheduler (sched_rows.c) keeps the rows from one answer
 * to the next. Pure, like prometheus_map.c, for the unit test, the fuzz
 * target and the benchmark.
 *
 * Speed matters here: an answer of 10,000 series is read and grouped
 * every interval. It is read by prom_scan (prometheus_scan.c), without a
 * tree; only an answer that is not a success with a vector goes to
 * jansson, to say what it is. Each series then costs one made-safe label
 * value and one judged value. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"
#include "probes/prometheus.h"

/* One series, as the grouping needs it. */
struct rseries {
    char key[PROM_ROW_KEY_MAX];   /* the rows_by value, made safe */
    const struct prom_series *ps; /* as read */
    size_t i;                     /* its place in the answer: ties keep order */
    bool number;                  /* its value is a number (read once: strtod is dear) */
    bool up;
};

static int cmp_series(const void *pa, const void *pb)
{
    const struct rseries *a = *(const struct rseries *const *)pa;
    const struct rseries *b = *(const struct rseries *const *)pb;
    int c = strcmp(a->key, b->key);

    return c != 0 ? c : a->i < b->i ? -1 : a->i > b->i;
}

static void series_of(const struct prom_series *ps, size_t i, const struct prometheus_config *c,
                      struct rseries *s)
{
    double v;

    s->ps = ps;
    s->i = i;
    s->number = ps->has_value && prom_number_parse(ps->value, &v) == 0;
    s->up = s->number && prom_cond_pass(&c->cond, v);
    if (ps->has_key && ps->key[0] != '\0')
        text_safe_str(s->key, sizeof(s->key), ps->key);
    else
        ht_snprintf(s->key, sizeof(s->key), "(no %s)", c->rows_by);
}

/* A series' replica name and value, made safe, for messages. */
static void series_names(const struct rseries *s, const char *by, char *name, size_t nn,
                         char *value, size_t nv)
{
    if (s->ps->has_name)
        text_safe_str(name, nn, s->ps->name);
    else
        ht_snprintf(name, nn, "(no %s)", by);
    /* The value as Prometheus wrote it ("1", "NaN"), when it is a number. */
    if (s->number)
        text_safe_str(value, nv, s->ps->value);
    else
        ht_strlcpy(value, "bad value", nv);
}

/* One row from its series s[0..n): up, found, ok, the words after the
 * count (which series are down) and the detail (every replica). */
static void row_of(struct rseries *const *s, size_t n, const struct prometheus_config *c,
                   struct probe_row *row)
{
    struct probe_result *r = &row->result;
    size_t mlen = 0, dlen = 0, named = 0;
    char name[64], value[32], part[128];

    row->key = xstrdup(s[0]->key);
    if (s[0]->ps->has_group && s[0]->ps->group[0] != '\0') {
        char g[PROM_ROW_KEY_MAX];
        text_safe_str(g, sizeof(g), s[0]->ps->group);
        row->group = xstrdup(g);
    }
    r->latency_us = r->connect_us = -1;
    r->listening = -1;
    r->found = (int)n;
    /* Pieces put one after the other: this runs for every series. */
    r->detail[0] = '\0';
    ht_put(r->detail, sizeof(r->detail), &dlen, c->rows_by);
    ht_put(r->detail, sizeof(r->detail), &dlen, " = ");
    ht_put(r->detail, sizeof(r->detail), &dlen, row->key);
    ht_put(r->detail, sizeof(r->detail), &dlen, "; replicas by ");
    ht_put(r->detail, sizeof(r->detail), &dlen, c->replicas_by);
    ht_put(r->detail, sizeof(r->detail), &dlen, ":");
    for (size_t i = 0; i < n; i++) {
        r->up += s[i]->up;
        if (dlen + 1 >= sizeof(r->detail) && (s[i]->up || named >= 4))
            continue;
        series_names(s[i], c->replicas_by, name, sizeof(name), value, sizeof(value));
        ht_put(r->detail, sizeof(r->detail), &dlen, "\n  ");
        ht_put(r->detail, sizeof(r->detail), &dlen, name);
        ht_put(r->detail, sizeof(r->detail), &dlen, " = ");
        ht_put(r->detail, sizeof(r->detail), &dlen, value);
        ht_put(r->detail, sizeof(r->detail), &dlen, s[i]->up ? "" : " (down)");
        if (!s[i]->up && named < 4) {
            ht_snprintf(part, sizeof(part), "%s%s", named ? ", " : "down: ", name);
            ht_put(r->message, sizeof(r->message), &mlen, part);
            named++;
        }
    }
    if (n - (size_t)r->up > named) {
        ht_snprintf(part, sizeof(part), " (+%zu more)", n - (size_t)r->up - named);
        ht_put(r->message, sizeof(r->message), &mlen, part);
    }
    r->ok = (size_t)r->up == n;
}

/* The source's own result: how many rows from how many series; up when
 * it made rows, and not ok when max_rows cut them (degraded). */
static void source_result(size_t nrows, size_t made, size_t nseries, size_t up,
                          const struct prometheus_config *c, struct probe_result *r)
{
    /* One replica: the query, answered; the rows carry the rest. */
    r->up = r->found = made > 0 ? 1 : 0;
    r->ok = made == nrows;
    if (nseries == 0) {
        r->ok = c->empty_scaled;
        ht_strlcpy(r->message,
                   c->empty_scaled ? "no series (scaled to 0)" : "no series: the result is empty",
                   sizeof(r->message));
    } else if (made < nrows)
        ht_snprintf(r->message, sizeof(r->message),
                    "%zu of %zu rows shown (max_rows), from %zu series, %zu up", made, nrows,
                    nseries, up);
    else
        ht_snprintf(r->message, sizeof(r->message), "%zu rows from %zu series, %zu up", nrows,
                    nseries, up);
    ht_snprintf(r->detail, sizeof(r->detail), "one row per %s, grouped by %s, replicas by %s",
                c->rows_by, c->group_by, c->replicas_by);
}

struct prom_room {
    struct prom_scan scan;
    struct rseries *ser; /* the series as the grouping needs them */
    struct rseries **by; /* the same, sorted by key */
    size_t ser_cap, by_cap;
};

struct prom_room *prom_room_new(void)
{
    return xcalloc(1, sizeof(struct prom_room));
}

void prom_room_free(struct prom_room *room)
{
    if (room == NULL)
        return;
    prom_scan_free(&room->scan);
    free(room->ser);
    free(room->by);
    free(room);
}

static void map_rows(struct prom_room *room, const struct prometheus_config *c,
                     struct probe_result *r, struct probe_rows *rows)
{
    const struct prom_scan *sc = &room->scan;
    size_t n = sc->n, nrows = 0, made, up = 0;
    struct rseries *ser = XGROW(room->ser, room->ser_cap, n ? n : 1); /* never NULL: qsort */
    struct rseries **by = XGROW(room->by, room->by_cap, n ? n : 1);

    for (size_t i = 0; i < n; i++) {
        series_of(&sc->v[i], i, c, &ser[i]);
        by[i] = &ser[i];
        up += ser[i].up;
    }
    qsort(by, n, sizeof(*by), cmp_series);
    for (size_t i = 0; i < n; i++)
        nrows += i == 0 || strcmp(by[i]->key, by[i - 1]->key) != 0;
    made = nrows < c->max_rows ? nrows : c->max_rows;
    probe_rows_reserve(rows, made);
    rows->answered = true;
    rows->n = made;
    for (size_t i = 0, k = 0; i < n && k < rows->n; k++) {
        size_t j = i + 1;
        while (j < n && strcmp(by[j]->key, by[i]->key) == 0)
            j++;
        row_of(by + i, j - i, c, &rows->v[k]);
        i = j;
    }
    source_result(nrows, rows->n, n, up, c, r);
}

/* What an answer that is not a success with a vector is, in words: its
 * error, or what it is instead. */
static void not_rows(const char *body, size_t len, long http_status, struct probe_result *r)
{
    json_t *data, *root = prom_answer(body, len, http_status, r, &data);
    const char *type = json_string_value(json_object_get(data, "resultType"));
    char t[32];

    if (data == NULL && r->message[0] != '\0') {
        /* r says why: the error, or what the answer was not */
    } else if (type == NULL || !json_is_array(json_object_get(data, "result"))) {
        ht_strlcpy(r->message, "not a Prometheus query answer (no resultType or result)",
                   sizeof(r->message));
    } else if (strcmp(type, "vector") != 0) {
        text_safe_str(t, sizeof(t), type);
        ht_snprintf(r->message, sizeof(r->message),
                    "result is a %s; rows_by needs an instant vector", t);
    } else {
        ht_strlcpy(r->message, "the result's series could not be read (nested too deep?)",
                   sizeof(r->message));
    }
    json_decref(root);
}

void prom_map_rows(const char *body, size_t len, long http_status,
                   const struct prometheus_config *c, struct probe_result *r,
                   struct probe_rows *rows, struct prom_room *room)
{
    probe_rows_clear(rows);
    r->ok = false;
    r->up = r->found = 0;
    r->message[0] = r->detail[0] = '\0';
    if (prom_scan(body, len, c, &room->scan) == 0)
        map_rows(room, c, r, rows);
    else
        not_rows(body, len, http_status, r);
}
