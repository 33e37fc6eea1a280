/* The start-up timeline on hand-built models: tree order and glyphs, the
 * T+ offsets, bar scaling, the total, never-healthy and race flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "healthtop/timeline.h"
#include "unit/test_deps_model.h"
#include "support/check.h"

/* The seed's cold start: first seen at T+0.2s, healthy as the summary's
 * sequence says, worker_heavy scaled to zero. */
static void seed_cold_start(struct model *m)
{
    static const struct {
        const char *name;
        int64_t healthy;
    } seq[] = {
        {"redis", 10000},         {"falkordb", 15000},  {"feast", 30000},
        {"mlflow", 30000},        {"opik", 45000},      {"bentoml", 60000},
        {"api", 60000},           {"frontend", 75000},  {"worker_light", 80000},
        {"worker_medium", 90000}, {"worker_heavy", -1}, {"scheduler", 120000},
    };
    model_seed(m);
    for (size_t i = 0; i < HT_ARRAY_LEN(seq); i++)
        model_times(m, seq[i].name, 200, seq[i].healthy);
    model_state(m, "worker_heavy", HEALTH_SKIPPED);
}

/* The memstream's pointer and size are static, not locals: inlined at
 * -O3, gcc 12 took the address of a local given to open_memstream for
 * where the text lives and warned of a dangling pointer. */
static char *render(const struct model *m, int64_t now, int width, bool ascii)
{
    struct report_style st = {.color = false, .ascii = ascii};
    static char *text;
    static size_t len;
    FILE *f;

    text = NULL;
    len = 0;
    f = open_memstream(&text, &len);

    assert_non_null(f);
    timeline_text(f, &m->sched, now, width, &st);
    fclose(f);
    return text;
}

static const char *line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    assert_non_null(p);
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

static void test_build_seed(void **state)
{
    (void)state;
    struct model m;
    struct timeline tl;
    char total[96];

    seed_cold_start(&m);
    timeline_build(&tl, &m.sched, 130000, false);
    assert_int_equal(tl.nrows, 12);
    assert_int_equal(tl.span_ms, 120000);
    assert_int_equal(tl.all_healthy_ms, 120000);
    assert_int_equal(tl.skipped, 1);
    assert_int_equal(tl.never, 0);
    assert_int_equal(tl.races, 0);
    assert_string_equal(m.cfg.svcs[tl.rows[0].idx].name, "redis");
    assert_string_equal(tl.rows[0].prefix, "");
    assert_string_equal(tl.rows[1].prefix, "\xe2\x94\x9c\xe2\x94\x80> "); /* ├─> falkordb */
    assert_string_equal(tl.rows[2].prefix, "\xe2\x94\x94\xe2\x94\x80> "); /* └─> feast */
    /* scheduler under worker_light under api under feast (last under redis). */
    assert_string_equal(m.cfg.svcs[tl.rows[6].idx].name, "scheduler");
    assert_string_equal(tl.rows[6].prefix, "        \xe2\x94\x82   \xe2\x94\x94\xe2\x94\x80> ");
    assert_int_equal(timeline_col(&tl, 0, 61), 0);
    assert_int_equal(timeline_col(&tl, 60000, 61), 30);
    assert_int_equal(timeline_col(&tl, 120000, 61), 60);
    assert_int_equal(timeline_col(&tl, 500000, 61), 60);
    timeline_total(&tl, total, sizeof(total));
    assert_string_equal(total, "all healthy at T+120.0s (1 skipped)");
    timeline_free(&tl);
    model_free(&m);
}

static void test_text_seed_ascii(void **state)
{
    (void)state;
    struct model m;
    char *text;
    const char *l;

    seed_cold_start(&m);
    text = render(&m, 130000, 100, true);
    CHECK_CONTAINS("text", text, "Start-up timeline (T+0 = healthtop start)\n");
    l = line_of(text, "redis ");
    assert_memory_equal(l, "redis", 5);
    CHECK_CONTAINS("l", l, "T+10.0s |");
    l = line_of(text, "`-> scheduler");
    CHECK_CONTAINS("l", l, "T+120.0s |");
    /* The scheduler's bar runs to the right end: its mark ends the bar. */
    CHECK_CONTAINS("l", l, "#|\n");
    l = line_of(text, "worker_heavy");
    CHECK_CONTAINS("l", l, "skipped |");
    CHECK_CONTAINS("l", l, "| scaled to 0\n");
    CHECK_CONTAINS("text", text, "\nall healthy at T+120.0s (1 skipped)\n");
    CHECK_LACKS("text", text, "race");
    /* Every row and the axis are within the width. */
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        CHECK_LE("e - p", e - p, 100);
        p = e + 1;
    }
    free(text);
    model_free(&m);
}

/* A docker probe saw the stack's first container created 20 s before
 * healthtop started: the timeline counts from there. */
static void test_text_container_origin(void **state)
{
    (void)state;
    struct model m;
    char *text;

    seed_cold_start(&m);
    m.sched.origin_ms = m.sched.t0_ms - 20000;
    text = render(&m, 130000, 100, true);
    CHECK_CONTAINS("text", text,
                   "Start-up timeline (T+0 = first container created, 20.0s before healthtop)\n");
    CHECK_CONTAINS("line_of(text, \"redis \")", line_of(text, "redis "), "T+30.0s |");
    CHECK_CONTAINS("text", text, "\nall healthy at T+140.0s (1 skipped)\n");
    free(text);
    model_free(&m);
}

/* A stack that was already running: every service healthy on its first
 * probe, its containers created long before. The total says so instead of
 * "all healthy at T+472.0s". */
static void test_text_already_up(void **state)
{
    (void)state;
    struct model m;
    char *text;

    seed_cold_start(&m);
    for (size_t i = 0; i < m.sched.nsvcs; i++)
        if (m.sched.svcs[i].health.state != HEALTH_SKIPPED)
            model_times(&m, m.cfg.svcs[i].name, 24500, 24500);
    m.sched.origin_ms = m.sched.t0_ms - 471900;
    text = render(&m, 30000, 100, true);
    CHECK_CONTAINS("text", text,
                   "\nalready up when healthtop started: every service healthy on its first probe "
                   "(1 skipped)\n");
    CHECK_LACKS("text", text, "all healthy at");
    free(text);
    model_free(&m);
}

static void test_text_never_and_race(void **state)
{
    (void)state;
    struct model m;
    struct timeline tl;
    char *text;
    const char *l;

    seed_cold_start(&m);
    /* frontend never came up; worker_light came up at T+30s, before api. */
    model_times(&m, "frontend", 200, -1);
    model_state(&m, "frontend", HEALTH_UNHEALTHY);
    model_times(&m, "worker_light", 200, 30000);
    timeline_build(&tl, &m.sched, 150000, true);
    assert_int_equal(tl.never, 1);
    assert_int_equal(tl.races, 1);
    assert_int_equal(tl.all_healthy_ms, -1);
    assert_int_equal(tl.span_ms, 150000); /* waiting until now */
    timeline_free(&tl);

    text = render(&m, 150000, 90, true);
    l = line_of(text, "frontend");
    CHECK_CONTAINS("l", l, "never |");
    CHECK_CONTAINS("l", l, "NEVER HEALTHY (unhealthy)");
    l = line_of(text, "worker_light");
    CHECK_CONTAINS("l", l, "! race: before api");
    CHECK_CONTAINS("text", text,
                   "race: worker_light was healthy 30.0s before its dependency api\n");
    CHECK_CONTAINS("text", text, "not all healthy: 1 service never healthy (1 skipped)\n");
    free(text);

    /* Only starting, not failing: not blamed as never healthy. */
    struct timeline t2;
    char total[96];
    model_state(&m, "frontend", HEALTH_STARTING);
    timeline_build(&t2, &m.sched, 150000, true);
    timeline_total(&t2, total, sizeof(total));
    assert_string_equal(total, "starting: 1 service not healthy yet (1 skipped)");
    timeline_free(&t2);
    model_state(&m, "frontend", HEALTH_UNHEALTHY);

    /* The same in UTF-8 marks, and a narrow width still gives a bar. */
    text = render(&m, 150000, 20, false);
    CHECK_CONTAINS("text", text, "\xe2\x9a\xa0 race: before api");
    CHECK_CONTAINS("text", text, "\xe2\x94\x9c\xe2\x94\x80> frontend");
    free(text);
    model_free(&m);
}

static void test_empty_and_unseen(void **state)
{
    (void)state;
    static const char *const names[] = {"a"};
    static const char *const deps[] = {""};
    struct model m;
    char *text;

    model_init(&m, 1, names, deps);
    text = render(&m, 0, 80, true);
    CHECK_CONTAINS("text", text, "a ");
    CHECK_CONTAINS("text", text, "starting: 1 service not healthy yet\n");
    free(text);
    model_free(&m);
    model_init(&m, 0, names, deps);
    text = render(&m, 1000, 80, true);
    CHECK_CONTAINS("text", text, "not all healthy: 0 services never healthy\n");
    free(text);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_seed),
        cmocka_unit_test(test_text_seed_ascii),
        cmocka_unit_test(test_text_container_origin),
        cmocka_unit_test(test_text_already_up),
        cmocka_unit_test(test_text_never_and_race),
        cmocka_unit_test(test_empty_and_unseen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
