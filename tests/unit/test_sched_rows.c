/* Rows made from a source's answer (src/sched_rows.c): two rows_by
 * sources with a plain service between them get thousands of answers,
 * each a random set of rows, and after each one the scheduler's list must
 * be exactly the services of the config followed by each source's rows,
 * sorted, at their places, each row with the history it has had since it
 * last appeared (its count of results) and the most replicas it has had.
 * Run under ASan (the suite's sanitizer build), it also shows that rows
 * that go leave nothing behind. The answers are made here rather than by
 * a Prometheus server, which could not give thousands of random sets in
 * a unit test; the real server is in tests/integration/test_prometheus.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/config.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "support/check.h"

#define POOL     60 /* row names an answer picks from */
#define MAX_ROWS 50 /* the sources' max_rows: some answers are cut */

static const char yml[] = "services:\n"
                          "  first:\n"
                          "    prometheus: {url: 'http://127.0.0.1:1', query: up, rows_by: svc,\n"
                          "                 max_rows: 50}\n"
                          "  plain:\n"
                          "    prometheus: {url: 'http://127.0.0.1:1', query: up}\n"
                          "  second:\n"
                          "    group: Fleet\n"
                          "    prometheus: {url: 'http://127.0.0.1:1', query: up, rows_by: svc,\n"
                          "                 max_rows: 50}\n";

struct model {
    uv_loop_t loop;
    struct ht_config cfg;
    struct scheduler s;
    unsigned long feeds; /* observer calls for rows */
    /* Per source (0, 1) and pool name: results since it last appeared
     * (0: absent), and the most replicas it has had meanwhile. */
    uint64_t probes[2][POOL];
    int most[2][POOL];
};

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct model *m = ud;

    (void)s, (void)changed, (void)old;
    if (svc->source != NULL) {
        m->feeds++;
        /* The observer sees the row at its place. */
        CHECK_TRUE("an observed row is at its idx", &m->s.svcs[svc->idx] == svc);
    }
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* An answer of source src: each pool name with probability 1/2 (now and
 * then all of them, more than max_rows), found 1 to 3 replicas, some
 * down; kept in m's model. */
static void answer(struct model *m, int src, struct probe_rows *rows)
{
    bool all = rnd() % 10 == 0;

    probe_rows_reserve(rows, POOL);
    rows->answered = true;
    for (int k = 0; k < POOL; k++) {
        struct probe_row *r;
        if (!all && rnd() % 2) { /* gone: its history goes with it */
            m->probes[src][k] = 0, m->most[src][k] = 0;
            continue;
        }
        r = &rows->v[rows->n++];
        r->key = malloc(8);
        snprintf(r->key, 8, "k%02d", k);
        r->group = k % 3 == 0 ? strdup("Odd") : NULL;
        r->result.found = 1 + (int)(rnd() % 3);
        r->result.up = r->result.found - (int)(rnd() % 2);
        r->result.ok = r->result.up == r->result.found;
        snprintf(r->result.message, sizeof(r->result.message), "%s", r->result.ok ? "" : "down: x");
        if (rows->n > MAX_ROWS) { /* past max_rows: not made */
            m->probes[src][k] = 0, m->most[src][k] = 0;
            continue;
        }
        m->probes[src][k]++;
        if (r->result.found > m->most[src][k])
            m->most[src][k] = r->result.found;
    }
}

/* The list is the config's services, then source 0's rows, then source
 * 1's, each row as the model says. */
static void check_list(struct model *m)
{
    struct scheduler *s = &m->s;
    struct service *src[2] = {&s->svcs[0], &s->svcs[2]};
    size_t at = s->nconfig;

    CHECK_EQ("services of the config", s->nconfig, 3);
    CHECK_EQ("every row is in the list", s->nsvcs, 3 + src[0]->nrows + src[1]->nrows);
    CHECK_EQ("the plain service makes no rows", s->svcs[1].nrows, 0);
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        CHECK_EQ("a source's rows start after those before it", src[i]->rows_at, at);
        for (int k = 0; k < POOL; k++) {
            char key[8], name[16];
            const struct service *row;
            if (m->probes[i][k] == 0)
                continue;
            snprintf(key, sizeof(key), "k%02d", k);
            snprintf(name, sizeof(name), "%s/%s", i ? "second" : "first", key);
            row = &s->svcs[at + n];
            CHECK_STR("rows sorted by name", row->cfg->label, key);
            CHECK_STR("a row's name", row->cfg->name, name);
            CHECK_STR("a row's group", row->cfg->group,
                      k % 3 == 0 ? "Odd"
                      : i        ? "Fleet"
                                 : "Services");
            CHECK_TRUE("a row's source", row->source == src[i]);
            CHECK_EQ("a row's idx is its place", row->idx, at + n);
            CHECK_EQ("a row keeps its results while it exists", row->probes, m->probes[i][k]);
            CHECK_EQ("history holds every result of the row", history_len(&row->history),
                     m->probes[i][k]);
            CHECK_EQ("a row expects the most replicas it had", row->cfg->replicas, m->most[i][k]);
            n++;
        }
        CHECK_EQ("a source's row count", src[i]->nrows, n);
        at += n;
    }
}

/* The config of yml, its scheduler on a loop of its own (not run). */
static struct model *model_open(void)
{
    struct model *m = calloc(1, sizeof(*m));
    char err[512];

    assert_int_equal(uv_loop_init(&m->loop), 0);
    assert_int_equal(config_parse("t.yml", yml, strlen(yml), &m->cfg, err, sizeof(err)), 0);
    assert_int_equal(sched_init(&m->s, &m->loop, &m->cfg), 0);
    return m;
}

/* Closes and frees all, rows included: under ASan, a row left behind
 * fails the test. */
static void model_close(struct model *m)
{
    sched_close(&m->s, NULL);
    uv_run(&m->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&m->loop), 0);
    sched_free(&m->s);
    config_free(&m->cfg);
    free(m);
}

/* The order of a list by group, checked against its definition: a group
 * starts where its name first appears, and lists every service of that
 * group from there on, in order. */
static void check_group_order(const struct scheduler *s)
{
    size_t n = s->nsvcs, k = 0, *first = calloc(n ? n : 1, sizeof(*first));
    size_t *order = report_group_order(s, first);

    for (size_t i = 0; i < n; i++) {
        bool starts = true;
        for (size_t j = 0; j < i && starts; j++)
            starts = strcmp(s->svcs[j].cfg->group, s->svcs[i].cfg->group) != 0;
        if (!starts)
            continue;
        CHECK_TRUE("a group starts where its name first appears", report_group_starts(s, order, k));
        for (size_t j = i; j < n; j++) {
            if (strcmp(s->svcs[j].cfg->group, s->svcs[i].cfg->group) != 0)
                continue;
            CHECK_EQ("the list by group, in order", order[k], j);
            CHECK_EQ("each service knows its group's first", first[j], i);
            CHECK_TRUE("within a group, no heading", report_group_starts(s, order, k) == (j == i));
            k++;
        }
    }
    CHECK_EQ("every service once", k, n);
    free(order);
    free(first);
}

static void test_rows_come_and_go(void **state)
{
    struct model *m = model_open();
    unsigned long want_feeds = 0;
    struct probe_rows rows;

    (void)state;
    sched_observe(&m->s, on_result, m);
    CHECK_EQ("sources' rows reserved", m->s.svcs[0].max_rows + m->s.svcs[2].max_rows, 100);
    memset(&rows, 0, sizeof(rows)); /* one room for every answer, as a probe keeps it */
    for (int round = 0; round < 3000; round++) {
        int src = (int)(rnd() % 2);
        struct service *svc = &m->s.svcs[src ? 2 : 0];
        if (round % 97 == 50) { /* the source failed: its rows stay and fail */
            probe_rows_clear(&rows);
            snprintf(svc->last.message, sizeof(svc->last.message), "connection refused");
            want_feeds += svc->nrows;
            for (int k = 0; k < POOL; k++)
                m->probes[src][k] += m->probes[src][k] > 0;
            sched_rows_apply(&m->s, svc, &rows, 1000 + round, 1000 + round);
            if (svc->nrows > 0) {
                const struct service *row = &m->s.svcs[svc->rows_at];
                CHECK_CONTAINS("a failed source's row says why", row->last.message,
                               "no answer: connection refused");
                CHECK_EQ("nothing is up", row->last.up, 0);
            }
        } else if (round % 211 == 100) { /* an empty answer: every row goes */
            probe_rows_reserve(&rows, 0);
            rows.answered = true;
            memset(m->probes[src], 0, sizeof(m->probes[src]));
            memset(m->most[src], 0, sizeof(m->most[src]));
            sched_rows_apply(&m->s, svc, &rows, 1000 + round, 1000 + round);
            CHECK_EQ("an empty answer leaves no row", svc->nrows, 0);
        } else {
            answer(m, src, &rows);
            want_feeds += rows.n < MAX_ROWS ? rows.n : MAX_ROWS;
            sched_rows_apply(&m->s, svc, &rows, 1000 + round, 1000 + round);
            CHECK_EQ("the answer is taken", rows.n, 0);
            CHECK_EQ("its room is kept for the next", rows.cap, POOL);
        }
        check_list(m);
        check_group_order(&m->s);
        CHECK_EQ("one observer call per row result", m->feeds, want_feeds);
    }
    probe_rows_free(&rows);
    model_close(m);
}

/* A row whose replica went: counted against the most it had, by name of
 * what is missing in the message, and degraded. */
static void test_missing_replica(void **state)
{
    struct model *m = model_open();
    struct probe_rows rows;
    const struct service *row;

    (void)state;
    memset(&rows, 0, sizeof(rows));
    for (int found = 2; found >= 1; found--) {
        probe_rows_reserve(&rows, 1);
        rows.answered = true;
        rows.n = 1;
        rows.v[0].key = strdup("api");
        rows.v[0].result.found = rows.v[0].result.up = found;
        rows.v[0].result.ok = true;
        sched_rows_apply(&m->s, &m->s.svcs[0], &rows, 1000, 1000);
    }
    row = &m->s.svcs[3];
    CHECK_STR("the count is of the most replicas seen", row->last.message, "1/2 up, 1 missing");
    CHECK_EQ("the row is degraded", row->health.state, HEALTH_DEGRADED);
    probe_rows_free(&rows);
    model_close(m);
}

/* The rows' room grows at least twofold: a fleet that grows by a row an
 * answer keeps its room most answers, and what it holds stays zeroed. */
static void test_room_grows_twofold(void **state)
{
    struct probe_rows rows;
    const struct probe_row *v;

    (void)state;
    memset(&rows, 0, sizeof(rows));
    probe_rows_reserve(&rows, 10);
    CHECK_EQ("the first room is what was asked", rows.cap, 10);
    rows.v[9].result.up = 7;
    probe_rows_reserve(&rows, 11);
    CHECK_EQ("one more row: twice the room", rows.cap, 20);
    v = rows.v;
    CHECK_EQ("zeroed", rows.v[9].result.up, 0);
    probe_rows_reserve(&rows, 15);
    CHECK_TRUE("still the same room", rows.v == v && rows.cap == 20);
    probe_rows_reserve(&rows, 50);
    CHECK_EQ("more than twice: what was asked", rows.cap, 50);
    probe_rows_free(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_come_and_go),
        cmocka_unit_test(test_missing_replica),
        cmocka_unit_test(test_room_grows_twofold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
