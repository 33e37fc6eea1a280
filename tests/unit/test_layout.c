/* The pure parts of the dashboard: column layout at every width, text
 * fitting with an ellipsis, and the sparkline's sample mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "ui/ui.h"
#include "support/check.h"

static void test_layout_fits_every_width(void **state)
{
    (void)state;
    for (int cols = UI_MIN_COLS; cols <= 300; cols++) {
        struct layout l;
        int end = 0;
        layout_columns(cols, 20, &l);
        for (int c = 0; c < UI_COL_COUNT; c++) {
            if (!l.col[c].shown)
                continue;
            CHECK_GE("l.col[c].x", l.col[c].x, end); /* in order, no overlap */
            CHECK_GT("l.col[c].w", l.col[c].w, 0);
            end = l.col[c].x + l.col[c].w;
        }
        CHECK_LE("end", end, cols);
        assert_true(l.col[UI_COL_MARK].shown && l.col[UI_COL_LABEL].shown &&
                    l.col[UI_COL_STATE].shown);
    }
}

/* Narrowing never brings back a column hidden at a wider size. */
static void test_layout_hides_in_priority_order(void **state)
{
    struct layout wide, narrow;

    (void)state;
    for (int cols = 300; cols > 20; cols--) {
        layout_columns(cols, 16, &wide);
        layout_columns(cols - 1, 16, &narrow);
        for (int c = 0; c < UI_COL_COUNT; c++)
            if (!wide.col[c].shown)
                assert_false(narrow.col[c].shown);
    }
    layout_columns(300, 16, &wide);
    for (int c = 0; c < UI_COL_COUNT; c++)
        assert_true(wide.col[c].shown);
    /* At the minimum width: kind, uptime and time in state go first. */
    layout_columns(60, 16, &narrow);
    assert_false(narrow.col[UI_COL_KIND].shown);
    assert_false(narrow.col[UI_COL_UPTIME].shown);
    assert_false(narrow.col[UI_COL_SINCE].shown);
    assert_true(narrow.col[UI_COL_SPARK].shown);
    assert_true(narrow.col[UI_COL_MESSAGE].shown);
    assert_true(narrow.col[UI_COL_LATENCY].shown);
    assert_true(narrow.col[UI_COL_REPLICAS].shown);
    /* Far below it only the essentials remain. */
    layout_columns(20, 16, &narrow);
    for (int c = 0; c < UI_COL_COUNT; c++)
        assert_int_equal(narrow.col[c].shown,
                         c == UI_COL_MARK || c == UI_COL_LABEL || c == UI_COL_STATE);
}

static void test_layout_widths(void **state)
{
    struct layout l;

    (void)state;
    layout_columns(200, 12, &l);
    assert_int_equal(l.col[UI_COL_LABEL].w, 12); /* no wider than the longest label */
    assert_int_equal(l.col[UI_COL_SPARK].w, 60); /* grown to its maximum */
    assert_int_equal(l.col[UI_COL_MESSAGE].x + l.col[UI_COL_MESSAGE].w, 200); /* takes the rest */
    layout_columns(200, 100, &l);
    assert_int_equal(l.col[UI_COL_LABEL].w, 32); /* capped: longer labels get an ellipsis */
    layout_columns(80, 3, &l);
    assert_int_equal(l.col[UI_COL_LABEL].w, 8); /* never below the minimum */
    /* Spare width goes to the label first: at 120 columns a 30-column
     * label shows whole (it was cut at 16 while the message had room). */
    layout_columns(120, 30, &l);
    assert_int_equal(l.col[UI_COL_LABEL].w, 30);
    layout_columns(100, 30, &l);
    assert_int_equal(l.col[UI_COL_LABEL].w, 30);
}

static void test_text_fit(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(layout_text_fit("hello", 10, "~", out, sizeof(out)), 5);
    assert_string_equal(out, "hello");
    assert_int_equal(layout_text_fit("hello world", 8, "~", out, sizeof(out)), 8);
    assert_string_equal(out, "hello w~");
    assert_int_equal(layout_text_fit("hello", 5, "~", out, sizeof(out)), 5);
    assert_string_equal(out, "hello");
    assert_int_equal(layout_text_fit("h\x1b[31m\tx", 20, "~", out, sizeof(out)), 8);
    assert_string_equal(out, "h?[31m x"); /* control characters never reach the terminal */
    assert_int_equal(layout_text_fit("ab\xff\xfe", 10, "~", out, sizeof(out)), 4);
    assert_string_equal(out, "ab??");
    /* UTF-8: widths count columns, not bytes; a wide character never splits. */
    assert_int_equal(layout_text_width("\xc2\xb5s"), 2);
    assert_int_equal(layout_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
    assert_int_equal(
        layout_text_fit("\xe6\x97\xa5\xe6\x9c\xac", 3, "\xe2\x80\xa6", out, sizeof(out)), 3);
    assert_string_equal(out, "\xe6\x97\xa5\xe2\x80\xa6");
    assert_int_equal(layout_text_fit("abc", 0, "~", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(layout_text_fit("abcdef", 1, "~", out, sizeof(out)), 1);
    assert_string_equal(out, "~");
}

/* Wall time of bucket b of a 2 s service (30 s buckets), plus ms. */
#define B(b, ms) ((int64_t)(b)*30000 + (ms))

static void test_sparkline_scale(void **state)
{
    (void)state;
    assert_int_equal(history_spark_ceiling(0), 1000);
    assert_int_equal(history_spark_ceiling(300), 1000);
    assert_int_equal(history_spark_ceiling(1001), 2000);
    assert_int_equal(history_spark_ceiling(4000), 5000);
    assert_int_equal(history_spark_ceiling(8000), 10000);
    assert_int_equal(history_spark_ceiling(10000), 10000);
    assert_int_equal(history_spark_ceiling(2100000), 5000000);
    /* Each level down halves: (c/2, c] is 7, ... anything <= c/128 is 0. */
    assert_int_equal(history_spark_level(10000, 10000), 7);
    assert_int_equal(history_spark_level(5001, 10000), 7);
    assert_int_equal(history_spark_level(5000, 10000), 6);
    assert_int_equal(history_spark_level(3000, 10000), 6);
    assert_int_equal(history_spark_level(1250, 10000), 4);
    assert_int_equal(history_spark_level(400000, 1000000), 6);
    assert_int_equal(history_spark_level(7812, 1000000), 0);
    /* Under a millisecond is the floor, whatever the scale. */
    assert_int_equal(history_spark_level(1000, 1000), 0);
    assert_int_equal(history_spark_level(600, 2000), 0);
    assert_int_equal(history_spark_level(0, 1000), 0);
}

static void test_sparkline_cells(void **state)
{
    struct history h;
    struct spark_cell c[12];

    (void)state;
    history_init(&h, 3600 * 1000, 2000);
    assert_int_equal(history_bucket_ms(&h), 30000);
    assert_int_equal(sparkline_cells(&h, B(100, 0), 12, c), 0);
    for (int i = 0; i < 12; i++)
        assert_int_equal(c[i].level, SPARK_EMPTY);
    /* One bucket per 30 s: 8 buckets at 1 ms .. 128 ms, a doubling each,
     * five samples in each with the highest drawn. */
    for (int b = 0; b < 8; b++)
        for (int k = 0; k < 5; k++)
            history_push(&h, HEALTH_HEALTHY, true, (k == 2 ? 1000 : 700) << b, "ok", b,
                         B(b, k * 2000));
    history_push(&h, HEALTH_DEGRADED, true, 128000, "slow", 8, B(8, 0));
    history_push(&h, HEALTH_UNHEALTHY, false, -1, "refused", 9, B(9, 0));
    history_push(&h, HEALTH_STARTING, true, 1000, "ok", 10, B(10, 500));
    assert_int_equal(sparkline_cells(&h, B(10, 900), 12, c), 11);
    assert_int_equal(c[0].level, SPARK_EMPTY); /* right-aligned */
    for (int i = 0; i < 8; i++) {              /* ceiling 200 ms */
        assert_int_equal(c[1 + i].level, i);
        assert_int_equal(c[1 + i].role, THEME_ROLE_SPARK_OK);
    }
    assert_int_equal(c[9].level, 7);
    assert_int_equal(c[9].role, THEME_ROLE_SPARK_SLOW);
    assert_int_equal(c[10].level, SPARK_FAIL);
    assert_int_equal(c[10].role, THEME_ROLE_SPARK_FAIL);
    assert_int_equal(c[11].role, THEME_ROLE_SPARK_STARTING);
    /* Narrower than the history: the newest buckets, on their own scale. */
    assert_int_equal(sparkline_cells(&h, B(10, 900), 3, c), 3);
    assert_int_equal(c[0].level, 7);
    assert_int_equal(c[1].level, SPARK_FAIL);
    assert_int_equal(c[2].level, 0);
    /* A failure inside the retries leaves the state healthy, but the
     * probe failed and its whole bucket is drawn as a failure. */
    history_push(&h, HEALTH_HEALTHY, false, 900000, "HTTP 503", 11, B(10, 3000));
    assert_int_equal(sparkline_cells(&h, B(10, 3000), 1, c), 1);
    assert_int_equal(c[0].level, SPARK_FAIL);
    assert_int_equal(c[0].role, THEME_ROLE_SPARK_FAIL);
    /* A bucket is its worst state: degraded then healthy stays degraded. */
    history_push(&h, HEALTH_DEGRADED, true, 1000, "slow", 12, B(11, 0));
    history_push(&h, HEALTH_HEALTHY, true, 1000, "ok", 13, B(11, 2000));
    assert_int_equal(sparkline_cells(&h, B(11, 3000), 1, c), 1);
    assert_int_equal(c[0].role, THEME_ROLE_SPARK_SLOW);
    /* No result for more than a bucket: the right edge is now, the gap
     * empty; a new result lands in its own bucket, the gap stays. */
    assert_int_equal(sparkline_cells(&h, B(14, 0), 4, c), 1);
    assert_int_equal(c[0].role, THEME_ROLE_SPARK_SLOW);
    for (int i = 1; i < 4; i++)
        assert_int_equal(c[i].level, SPARK_EMPTY);
    history_push(&h, HEALTH_HEALTHY, true, 1000, "ok", 14, B(14, 100));
    assert_int_equal(sparkline_cells(&h, B(14, 200), 4, c), 2);
    assert_int_equal(c[1].level, SPARK_EMPTY);
    assert_int_equal(c[3].role, THEME_ROLE_SPARK_OK);
    history_free(&h);
}

/* Jitter within a factor of two draws one glyph in every cell, so a move
 * to the next bucket changes nothing on the screen. */
static void test_sparkline_steady(void **state)
{
    static const int jitter[] = {170, 390, 150, 260, 300, 220, 400, 180, 310, 240};
    struct history h;
    struct spark_cell a[20], b[20];

    (void)state;
    history_init(&h, 3600 * 1000, 2000);
    for (int i = 0; i < 600; i++)
        history_push(&h, HEALTH_HEALTHY, true, jitter[i % 10], "ok", i, B(0, i * 2000 + 37));
    sparkline_cells(&h, B(0, 600 * 2000), 20, a);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(a[i].level, a[0].level);
        assert_int_equal(a[i].role, THEME_ROLE_SPARK_OK);
    }
    for (int i = 600; i < 615; i++)
        history_push(&h, HEALTH_HEALTHY, true, jitter[(i * 7) % 10], "ok", i, B(0, i * 2000 + 37));
    sparkline_cells(&h, B(0, 615 * 2000), 20, b);
    assert_memory_equal(a, b, sizeof(a));
    history_free(&h);
}

/* Buckets on the clock: every service at one interval opens a bucket at
 * the same wall time, whatever its phase; a clock stepped back lands in
 * the bucket it names, or starts afresh when that is too far back. */
static void test_history_buckets(void **state)
{
    struct history h, slow;
    struct history_cell hc;

    (void)state;
    history_init(&h, 3600 * 1000, 2000);
    history_init(&slow, 3600 * 1000, 30000);
    assert_int_equal(history_bucket_ms(&slow), 30000);
    assert_int_equal(history_bucket_newest(&h), -1);
    assert_false(history_bucket(&h, 0, &hc));
    history_push(&h, HEALTH_HEALTHY, true, 300, "ok", 0, B(7, 29999));
    history_push(&h, HEALTH_HEALTHY, true, 500, "ok", 0, B(8, 0));
    assert_int_equal(history_bucket_of(&h, B(8, 0)), 8);
    assert_int_equal(history_bucket_newest(&h), 8);
    assert_true(history_bucket(&h, 7, &hc));
    assert_int_equal(hc.latency_us, 300);
    assert_int_equal(hc.worst, HEALTH_HEALTHY);
    assert_false(hc.failed);
    /* Latency to within 0.4%: 0..127 µs exact, then a small float. */
    history_push(&h, HEALTH_HEALTHY, true, 123456, "ok", 0, B(8, 1));
    assert_true(history_bucket(&h, 8, &hc));
    assert_true(hc.latency_us > 123456 - 500 && hc.latency_us < 123456 + 500);
    /* Back in time, within the ring: merged into its bucket. */
    history_push(&h, HEALTH_UNHEALTHY, false, -1, "down", 0, B(7, 5));
    assert_true(history_bucket(&h, 7, &hc));
    assert_true(hc.failed);
    assert_int_equal(hc.worst, HEALTH_UNHEALTHY);
    assert_int_equal(hc.latency_us, 300);
    /* A gap of more than HISTORY_BUCKETS forgets the old ones. */
    history_push(&h, HEALTH_HEALTHY, true, 100, "ok", 0, B(8 + HISTORY_BUCKETS + 1, 0));
    assert_false(history_bucket(&h, 8, &hc));
    assert_true(history_bucket(&h, 8 + HISTORY_BUCKETS + 1, &hc));
    assert_int_equal(h.buckets.len, 1);
    /* A clock stepped back an hour starts afresh there. */
    history_push(&h, HEALTH_HEALTHY, true, 100, "ok", 0, B(2, 0));
    assert_int_equal(history_bucket_newest(&h), 2);
    assert_int_equal(h.buckets.len, 1);
    history_free(&h);
    history_free(&slow);
}

static void test_glyphs(void **state)
{
    const struct glyphs *sets[] = {glyphs_get(false), glyphs_get(true)};

    (void)state;
    for (size_t s = 0; s < 2; s++) {
        for (int i = 0; i < HEALTH_STATE_COUNT; i++) {
            assert_int_equal(layout_text_width(sets[s]->mark[i]), 1);
            for (int j = 0; j < i; j++) /* a state reads by shape, without colour */
                assert_string_not_equal(sets[s]->mark[i], sets[s]->mark[j]);
        }
        for (int i = 0; i < 8; i++)
            assert_int_equal(layout_text_width(sets[s]->ramp[i]), 1);
        assert_int_equal(layout_text_width(sets[s]->fail), 1);
        assert_int_equal(layout_text_width(sets[s]->ellipsis), 1);
    }
    for (int i = 0; i < HEALTH_STATE_COUNT; i++)
        for (const char *p = glyphs_get(true)->mark[i]; *p; p++)
            CHECK_LT("(unsigned char)*p", (unsigned char)*p, 0x80);
}

/* The up and FOR columns: seconds through the first minute (they moved in
 * 10-second steps), then minutes, hours, days. */
static void test_age_in_seconds_through_the_first_minute(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {{0, "0s"},     {9999, "9s"},     {13000, "13s"},     {59999, "59s"},
                 {60000, "1m"}, {3599999, "59m"}, {3600000, "1h00m"}, {90061000, "1d01h"}};
    char buf[16];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ui_age_format(cases[i].ms, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("age of %lld ms: expected %s, saw %s", (long long)cases[i].ms, cases[i].want,
                     buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_fits_every_width),
        cmocka_unit_test(test_layout_hides_in_priority_order),
        cmocka_unit_test(test_layout_widths),
        cmocka_unit_test(test_text_fit),
        cmocka_unit_test(test_sparkline_scale),
        cmocka_unit_test(test_sparkline_cells),
        cmocka_unit_test(test_sparkline_steady),
        cmocka_unit_test(test_history_buckets),
        cmocka_unit_test(test_glyphs),
        cmocka_unit_test(test_age_in_seconds_through_the_first_minute),
    };

    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
