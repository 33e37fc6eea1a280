/* --record on a hand-built model: the lines written, secrets scrubbed,
 * and a recording replayed gives the same sequence of states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthtop/record.h"
#include "healthtop/replay.h"
#include "healthtop/secret.h"
#include "unit/test_deps_model.h"
#include "support/check.h"

#define SECRET "hunter2-very-secret"

struct fed {
    const char *name;
    enum health_state state;
    int64_t t;
    const char *msg;
};

/* A cold start with a failure and a recovery, as results arrive. */
static const struct fed seq[] = {
    {"redis", HEALTH_STARTING, 100, "LOADING Redis is loading"},
    {"api", HEALTH_STARTING, 150, "HTTP 503 waiting for redis"},
    {"redis", HEALTH_STARTING, 600, "LOADING Redis is loading"},
    {"redis", HEALTH_HEALTHY, 1100, "PONG"},
    {"api", HEALTH_HEALTHY, 1600, "HTTP 200"},
    {"web", HEALTH_HEALTHY, 1700, "HTTP 200"},
    {"redis", HEALTH_UNHEALTHY, 5000, "connection refused to " SECRET},
    {"api", HEALTH_UNHEALTHY, 5100, "HTTP 503 waiting for redis"},
    {"redis", HEALTH_HEALTHY, 9000, "PONG \xff\xfe bytes"},
    {"api", HEALTH_HEALTHY, 9500, "HTTP 200"},
};

static char path[64];

static void model3(struct model *m)
{
    static const char *const names[] = {"redis", "api", "web"};
    static const char *const deps[] = {"", "redis", "api"};

    model_init(m, 3, names, deps);
    for (size_t i = 0; i < 3; i++)
        history_init(&m->sched.svcs[i].history, 60000, 1000);
    free(m->cfg.svcs[2].label);
    m->cfg.svcs[2].label = xstrdup("Web (" SECRET ")");
    m->sched.t0_wall_ms = 1795000000000;
}

/* Applies a result as the scheduler would, then tells the recorder. */
static void feed(struct model *m, struct recorder *rec, const struct fed *f)
{
    struct service *svc = &m->sched.svcs[model_idx(m, f->name)];
    enum health_state old = svc->health.state;
    struct probe_result r;
    bool changed;

    memset(&r, 0, sizeof(r));
    r.ok = health_is_up(f->state);
    r.up = r.found = r.ok;
    r.latency_us = 1234;
    ht_strlcpy(r.message, f->msg, sizeof(r.message));
    secret_scrub(r.message, sizeof(r.message)); /* as probe_done does */
    svc->last = r;
    svc->has_result = true;
    changed = health_set(&svc->health, f->state, &r, f->t);
    history_push(&svc->history, f->state, r.ok, r.latency_us, r.message, f->t, 0);
    record_result(&m->sched, svc, changed, old, rec);
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    char *text = xcalloc(1, 1 << 16);
    assert_non_null(f);
    CHECK_GT("fread(text, 1, (1 << 16) - 1, f)", fread(text, 1, (1 << 16) - 1, f), 0);
    fclose(f);
    return text;
}

static void record_seq(void)
{
    struct model m;
    struct recorder *rec;
    char err[256];

    model3(&m);
    assert_int_equal(record_open(path, &rec, err, sizeof(err)), 0);
    assert_non_null(rec);
    assert_int_equal(record_attach(rec, &m.sched), 0);
    assert_int_equal(m.sched.nobservers, 1);
    for (size_t i = 0; i < HT_ARRAY_LEN(seq); i++)
        feed(&m, rec, &seq[i]);
    assert_int_equal(rec->lines, 1 + HT_ARRAY_LEN(seq));
    assert_int_equal(record_close(rec), 0);
    model_free(&m);
}

static void test_lines_and_secrets(void **state)
{
    (void)state;
    char *text;

    record_seq();
    text = slurp(path);
    CHECK_LACKS("text", text, SECRET);
    CHECK_CONTAINS("text", text, "connection refused to ***");
    CHECK_CONTAINS("text", text, "\"label\":\"Web (***)\"");
    assert_memory_equal(text, "{\"healthtop_recording\":1,", 25);
    CHECK_CONTAINS("text", text, "\"t0_wall_ms\":1795000000000");
    CHECK_CONTAINS("text", text, "\"interval_ms\":1000");
    CHECK_CONTAINS("text", text,
                   "{\"t_ms\":1100,\"wall_ms\":0,\"service\":\"redis\",\"state\":"
                   "\"healthy\",\"ok\":true,\"latency_ms\":1.234,\"replicas\":"
                   "{\"up\":1,\"expected\":1,\"found\":1},\"message\":\"PONG\","
                   "\"from\":\"starting\"}\n");
    /* A result without a change has no "from". */
    const char *l600 = strstr(text, "\"t_ms\":600,");
    assert_non_null(l600);
    assert_true(strstr(l600, "\"from\"") > strchr(l600, '\n')); /* pointers */
    /* Bytes that are not UTF-8 do not lose the line. */
    CHECK_CONTAINS("text", text, "\"PONG ?? bytes\"");
    free(text);
}

struct seen {
    size_t n;
    int changes;
    struct fed got[32];
};

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct seen *seen = ud;
    (void)old;
    seen->got[seen->n].name = svc->cfg->name;
    seen->got[seen->n].state = svc->health.state;
    seen->got[seen->n].t =
        svc->history.recent.len
            ? ((struct history_recent *)ring_last(&svc->history.recent))->t_ms - s->t0_ms
            : -1;
    seen->n++;
    seen->changes += changed;
}

static void test_record_then_replay(void **state)
{
    (void)state;
    struct replay r;
    struct seen seen = {0};
    char err[256];

    record_seq();
    assert_int_equal(replay_load(&r, path, err, sizeof(err)), 0);
    assert_string_equal(r.stopped, "");
    assert_int_equal(r.nev, HT_ARRAY_LEN(seq));
    assert_int_equal(r.cfg.nsvcs, 3);
    assert_string_equal(r.cfg.title, "model");
    assert_int_equal(r.cfg.svcs[2].dep_idx[0], 1);
    assert_int_equal(r.sched.t0_wall_ms, 1795000000000);
    sched_observe(&r.sched, on_result, &seen);
    while (replay_step(&r))
        ;
    assert_int_equal(seen.n, HT_ARRAY_LEN(seq));
    for (size_t i = 0; i < HT_ARRAY_LEN(seq); i++) {
        assert_string_equal(seen.got[i].name, seq[i].name);
        assert_int_equal(seen.got[i].state, seq[i].state);
        assert_int_equal(seen.got[i].t, seq[i].t);
    }
    /* To starting x2, healthy x3, unhealthy x2, healthy x2. */
    assert_int_equal(seen.changes, 9);
    /* The model as the run left it. */
    assert_int_equal(r.sched.svcs[0].health.first_healthy_ms - r.sched.t0_ms, 1100);
    assert_int_equal(r.sched.svcs[0].health.state, HEALTH_HEALTHY);
    assert_int_equal(r.sched.svcs[0].probes, 5);
    assert_string_equal(r.sched.svcs[1].last.message, "HTTP 200");
    replay_free(&r);
}

/* A file that cannot be created: -1, no recorder, and the path and the
 * reason in err (the loaders' convention). */
static void test_open_fails(void **state)
{
    struct recorder *rec = (struct recorder *)1;
    char err[256] = "";
    (void)state;

    assert_int_equal(record_open("/nonexistent-dir/x.jsonl", &rec, err, sizeof(err)), -1);
    assert_null(rec);
    CHECK_CONTAINS("the message", err, "/nonexistent-dir/x.jsonl: No such file or directory");
}

static int setup(void **state)
{
    int fd;
    (void)state;
    strcpy(path, "/tmp/healthtop-record.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    secret_add(SECRET);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    secret_clear();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_secrets),
        cmocka_unit_test(test_record_then_replay),
        cmocka_unit_test(test_open_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
