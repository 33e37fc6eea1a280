/* --replay's reader on good, corrupt and truncated recordings; seeking,
 * stepping, the report, and playing on a loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/replay.h"
#include "support/check.h"

#define HEAD                                                                                       \
    "{\"healthtop_recording\":1,\"title\":\"T\",\"t0_wall_ms\":5,\"services\":["                   \
    "{\"name\":\"redis\",\"kind\":\"redis\",\"replicas\":{\"up\":0,\"expected\":1}},"              \
    "{\"name\":\"api\",\"label\":\"API\",\"kind\":\"http\",\"depends_on\":[\"redis\",\"gone\"],"   \
    "\"interval_ms\":500}]}\n"
#define EV(t, svc, st, msg)                                                                        \
    "{\"t_ms\":" #t ",\"service\":\"" svc "\",\"state\":\"" st "\",\"ok\":false,"                  \
    "\"latency_ms\":1.5,\"replicas\":{\"up\":0,\"expected\":1,\"found\":0},\"message\":\"" msg     \
    "\"}\n"
#define GOOD                                                                                       \
    HEAD EV(100, "redis", "starting", "LOADING") EV(150, "api", "starting", "HTTP 503")            \
        EV(10000, "redis", "healthy", "PONG") EV(12000, "api", "healthy", "HTTP 200")

static int load(struct replay *r, const char *text, char *err)
{
    return replay_parse(r, "rec", text, strlen(text), err, 256);
}

static void test_good_recording_loads(void **state)
{
    (void)state;
    struct replay r;
    char err[256];

    assert_int_equal(load(&r, GOOD, err), 0);
    assert_string_equal(r.stopped, "");
    assert_int_equal(r.nev, 4);
    assert_int_equal(r.cfg.nsvcs, 2);
    assert_string_equal(r.cfg.svcs[1].label, "API");
    assert_string_equal(r.cfg.svcs[0].label, "redis");
    assert_int_equal(r.cfg.svcs[1].interval_ms, 500);
    assert_int_equal(r.cfg.svcs[1].dep_idx[0], 0);
    assert_int_equal(r.cfg.svcs[1].dep_idx[1], SIZE_MAX); /* unknown: unresolved */
    assert_int_equal(r.ev[2].latency_us, 1500);
    assert_int_equal(replay_end_ms(&r), 12000);
    replay_free(&r);
    /* Without the final newline, a complete last line still counts. */
    char text[2048];
    strcpy(text, GOOD);
    text[strlen(text) - 1] = '\0';
    assert_int_equal(load(&r, text, err), 0);
    assert_int_equal(r.nev, 4);
    assert_string_equal(r.stopped, "");
    replay_free(&r);
}

/* Each bad line stops the replay there, with FILE:LINE and why. */
static void test_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *stopped;
    } cases[] = {
        {"garbage\n", "rec:3: not valid JSON"},
        {"[1,2]\n", "rec:3: not a JSON object"},
        {EV(200, "nosuch", "healthy", ""), "rec:3: unknown service"},
        {EV(200, "redis", "fine", ""), "rec:3: unknown state"},
        {EV(50, "redis", "healthy", ""), "rec:3: t_ms goes backwards"},
        {EV(-5, "redis", "healthy", ""), "rec:3: no valid t_ms"},
        {"{\"service\":\"redis\",\"state\":\"healthy\"}\n", "rec:3: no valid t_ms"},
        {"{\"t_ms\":1e400,\"service\":\"redis\",\"state\":\"healthy\"}\n", "rec:3: not valid JSON"},
        {"{\"t_ms\":300,\"service\":\"redis\",\"state\":\"healthy\",\"latency_ms\":-1}\n",
         "rec:3: bad latency_ms"},
        {"{\"t_ms\":300,\"service\":\"redis\",\"state\":\"healthy\",\"replicas\":{\"up\":-1}}\n",
         "rec:3: bad wall_ms or replicas"},
        {"{\"t_ms\":300,\"service\":\"redis\",\"state\":\"healthy\",\"message\":7}\n",
         "rec:3: bad ok or message"},
        {"{\"t_ms\":300,\"t_ms\":301,\"service\":\"redis\",\"state\":\"healthy\"}\n",
         "rec:3: not valid JSON"},
        {HEAD, "rec:3: a second recording starts here"},
    };
    char text[4096], err[256];
    struct replay r;
    size_t n;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "%s%s%s%s", HEAD, EV(100, "redis", "starting", "x"),
                 cases[i].line, EV(20000, "redis", "healthy", "after"));
        assert_int_equal(load(&r, text, err), 0);
        if (strcmp(r.stopped, cases[i].stopped) != 0)
            fail_msg("case %zu: '%s' != '%s'", i, r.stopped, cases[i].stopped);
        assert_int_equal(r.nev, 1);
        while (replay_step(&r))
            ;
        assert_int_equal(r.sched.svcs[0].health.state, HEALTH_STARTING);
        replay_free(&r);
    }
    /* Cut short at the end (a run killed mid-write). */
    snprintf(text, sizeof(text), "%s%s%s", HEAD, EV(100, "redis", "starting", "x"),
             "{\"t_ms\":200,\"service\":\"redis\",\"sta");
    assert_int_equal(load(&r, text, err), 0);
    assert_string_equal(r.stopped, "rec:3: truncated line");
    assert_int_equal(r.nev, 1);
    replay_free(&r);
    /* A NUL byte inside a line. */
    n = (size_t)snprintf(text, sizeof(text), "%s{\"t_ms\":300,\"service\":\"re", HEAD);
    memcpy(text + n, "\0dis\"}\n", 7);
    assert_int_equal(replay_parse(&r, "rec", text, n + 7, err, sizeof(err)), 0);
    assert_string_equal(r.stopped, "rec:2: not valid JSON");
    replay_free(&r);
    /* A very long line. */
    char *big = malloc(REPLAY_MAX_LINE + 4096);
    n = (size_t)snprintf(big, 4096, "%s", HEAD);
    memset(big + n, ' ', REPLAY_MAX_LINE + 10);
    strcpy(big + n + REPLAY_MAX_LINE + 10, "{}\n");
    assert_int_equal(load(&r, big, err), 0);
    assert_string_equal(r.stopped, "rec:2: line too long");
    replay_free(&r);
    free(big);
}

static void test_bad_header_is_named(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"", "rec: empty recording"},
        {"hello\n", "rec:1: not valid JSON"},
        {"{\"services\":[]}\n", "rec:1: not a healthtop recording (no healthtop_recording header)"},
        {"{\"healthtop_recording\":2,\"services\":[]}\n",
         "rec:1: a recording format this healthtop does not read"},
        {"{\"healthtop_recording\":1}\n", "rec:1: no services list"},
        {"{\"healthtop_recording\":1,\"services\":[{\"label\":\"x\"}]}\n",
         "rec:1: a service without a name"},
        {"{\"healthtop_recording\":1,\"services\":[{\"name\":\"a\"},{\"name\":\"a\"}]}\n",
         "rec:1: a service named twice"},
        {"{\"healthtop_recording\":1,\"services\":[{\"name\":\"a\",\"depends_on\":[1]}]}\n",
         "rec:1: depends_on holds a non-name"},
        {"{\"healthtop_recording\":1,\"services\":[{\"name\":\"a\",\"interval_ms\":0}]}\n",
         "rec:1: a service with bad replicas or interval_ms"},
        {"{\"healthtop_recording\":1,\"services\":[{\"name\":\"a\",\"depends_on\":\"b\"}]}\n",
         "rec:1: depends_on is not a list"},
        {"{\"healthtop_recording\":1,\"t0_wall_ms\":-3,\"services\":[]}\n",
         "rec:1: bad t0_wall_ms"},
    };
    struct replay r;
    char err[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load(&r, cases[i].text, err), -1);
        assert_string_equal(err, cases[i].err);
        replay_free(&r);
    }
    assert_int_equal(replay_load(&r, "/nonexistent/rec", err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/rec: No such file or directory");
    replay_free(&r);
}

static void test_seek_and_step(void **state)
{
    (void)state;
    struct replay r;
    char err[256];
    struct service *redis, *api;

    assert_int_equal(load(&r, GOOD, err), 0);
    redis = &r.sched.svcs[0];
    api = &r.sched.svcs[1];
    replay_seek(&r, 11000);
    assert_int_equal(r.next, 3);
    assert_int_equal(redis->health.state, HEALTH_HEALTHY);
    assert_int_equal(api->health.state, HEALTH_STARTING);
    replay_seek(&r, 120);
    assert_int_equal(r.next, 1);
    assert_int_equal(redis->health.state, HEALTH_STARTING);
    assert_int_equal(redis->health.first_healthy_ms, -1);
    assert_int_equal(redis->probes, 1);
    assert_int_equal(api->health.state, HEALTH_UNKNOWN);
    assert_false(api->has_result);
    assert_true(replay_step(&r));
    assert_int_equal(r.pos_ms, 150);
    replay_seek(&r, INT64_MAX);
    assert_true(replay_done(&r));
    assert_int_equal(r.pos_ms, 12000);
    assert_false(replay_step(&r));
    assert_int_equal(api->health.first_healthy_ms - r.sched.t0_ms, 12000);
    assert_int_equal(history_len(&redis->history), 2);
    replay_free(&r);
}

static void test_report_lists_changes_and_verdict(void **state)
{
    (void)state;
    struct replay r;
    char err[256], *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_int_equal(load(&r, GOOD EV(13000, "api", "garbage", ""), err), 0);
    assert_int_equal(replay_report(&r, f, REPORT_TEXT, true), 1); /* stopped early */
    fclose(f);
    CHECK_CONTAINS("text", text,
                   "T+0.1s redis starting: LOADING\n"
                   "T+0.1s api starting: HTTP 503\n"
                   "T+10.0s redis healthy\n"
                   "T+12.0s api healthy\n");
    CHECK_CONTAINS("text", text, "all healthy at T+12.0s\n");
    CHECK_CONTAINS("text", text, "SYSTEM STATUS: HEALTHY");
    free(text);
    replay_free(&r);
}

struct play {
    struct replay *r;
    uv_timer_t check;
    int results;
};

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    (void)s, (void)svc, (void)changed, (void)old;
    ((struct play *)ud)->results++;
}

static void on_check(uv_timer_t *t)
{
    struct play *p = t->data;
    if (replay_done(p->r)) {
        replay_stop(p->r);
        uv_close((uv_handle_t *)t, NULL);
    }
}

static void test_play_on_loop(void **state)
{
    (void)state;
    struct replay r;
    struct play p = {.r = &r};
    char err[256];
    uv_loop_t loop;
    int64_t start = ht_now_ms(), took;

    assert_int_equal(load(&r, GOOD, err), 0);
    sched_observe(&r.sched, on_result, &p);
    uv_loop_init(&loop);
    replay_start(&r, &loop, 40); /* 12 s of recording in 0.3 s */
    uv_timer_init(&loop, &p.check);
    p.check.data = &p;
    uv_timer_start(&p.check, on_check, 10, 10);
    uv_run(&loop, UV_RUN_DEFAULT);
    took = ht_now_ms() - start;
    assert_int_equal(p.results, 4);
    CHECK_GE("ms to play 12 s at speed 40", took, 250);
    assert_int_equal(uv_loop_close(&loop), 0);
    /* Paused, the clock does not move; resumed, it goes on from there. */
    replay_seek(&r, 0);
    replay_pause(&r, true);
    assert_true(r.paused);
    replay_set_speed(&r, 2);
    CHECK_EQ("r.speed", r.speed, 2);
    replay_set_speed(&r, -1);
    CHECK_EQ("r.speed", r.speed, 2);
    replay_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_recording_loads),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_bad_header_is_named),
        cmocka_unit_test(test_seek_and_step),
        cmocka_unit_test(test_report_lists_changes_and_verdict),
        cmocka_unit_test(test_play_on_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
