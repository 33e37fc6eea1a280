/* The pure parts of the dashboard: column layout at every width, text
 * fitting with an ellipsis, and the sparkline's sample mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "ui/ui.h"

static void test_layout_fits_every_width(void **state)
{
    (void)state;
    for (int cols = UI_MIN_COLS; cols <= 300; cols++) {
        struct layout l;
        int end = 0;
        layout_columns(cols, 20, &l);
        for (int c = 0; c < COL_COUNT; c++) {
            if (!l.col[c].shown)
                continue;
            assert_true(l.col[c].x >= end); /* in order, no overlap */
            assert_true(l.col[c].w > 0);
            end = l.col[c].x + l.col[c].w;
        }
        assert_true(end <= cols);
        assert_true(l.col[COL_MARK].shown && l.col[COL_LABEL].shown && l.col[COL_STATE].shown);
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
        for (int c = 0; c < COL_COUNT; c++)
            if (!wide.col[c].shown)
                assert_false(narrow.col[c].shown);
    }
    layout_columns(300, 16, &wide);
    for (int c = 0; c < COL_COUNT; c++)
        assert_true(wide.col[c].shown);
    /* At the minimum width: kind, uptime and time in state go first. */
    layout_columns(60, 16, &narrow);
    assert_false(narrow.col[COL_KIND].shown);
    assert_false(narrow.col[COL_UPTIME].shown);
    assert_false(narrow.col[COL_SINCE].shown);
    assert_true(narrow.col[COL_SPARK].shown);
    assert_true(narrow.col[COL_MESSAGE].shown);
    assert_true(narrow.col[COL_LATENCY].shown);
    assert_true(narrow.col[COL_REPLICAS].shown);
    /* Far below it only the essentials remain. */
    layout_columns(20, 16, &narrow);
    for (int c = 0; c < COL_COUNT; c++)
        assert_int_equal(narrow.col[c].shown, c == COL_MARK || c == COL_LABEL || c == COL_STATE);
}

static void test_layout_widths(void **state)
{
    struct layout l;

    (void)state;
    layout_columns(200, 12, &l);
    assert_int_equal(l.col[COL_LABEL].w, 12); /* no wider than the longest label */
    assert_int_equal(l.col[COL_SPARK].w, 60); /* grown to its maximum */
    assert_int_equal(l.col[COL_MESSAGE].x + l.col[COL_MESSAGE].w, 200); /* takes the rest */
    layout_columns(200, 100, &l);
    assert_int_equal(l.col[COL_LABEL].w, 32); /* capped: longer labels get an ellipsis */
    layout_columns(80, 3, &l);
    assert_int_equal(l.col[COL_LABEL].w, 8); /* never below the minimum */
}

static void test_text_fit(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(text_fit("hello", 10, "~", out, sizeof(out)), 5);
    assert_string_equal(out, "hello");
    assert_int_equal(text_fit("hello world", 8, "~", out, sizeof(out)), 8);
    assert_string_equal(out, "hello w~");
    assert_int_equal(text_fit("hello", 5, "~", out, sizeof(out)), 5);
    assert_string_equal(out, "hello");
    assert_int_equal(text_fit("h\x1b[31m\tx", 20, "~", out, sizeof(out)), 8);
    assert_string_equal(out, "h?[31m x"); /* control characters never reach the terminal */
    assert_int_equal(text_fit("ab\xff\xfe", 10, "~", out, sizeof(out)), 4);
    assert_string_equal(out, "ab??");
    /* UTF-8: widths count columns, not bytes; a wide character never splits. */
    assert_int_equal(text_width("\xc2\xb5s"), 2);
    assert_int_equal(text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
    assert_int_equal(text_fit("\xe6\x97\xa5\xe6\x9c\xac", 3, "\xe2\x80\xa6", out, sizeof(out)), 3);
    assert_string_equal(out, "\xe6\x97\xa5\xe2\x80\xa6");
    assert_int_equal(text_fit("abc", 0, "~", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(text_fit("abcdef", 1, "~", out, sizeof(out)), 1);
    assert_string_equal(out, "~");
}

static void test_sparkline_cells(void **state)
{
    struct history h;
    struct spark_cell c[12];

    (void)state;
    history_init(&h, 3600 * 1000, 2000);
    assert_int_equal(sparkline_cells(&h, 12, c), 0);
    for (int i = 0; i < 12; i++)
        assert_int_equal(c[i].level, SPARK_EMPTY);
    /* 1ms .. 8ms: the full ramp, oldest on the left. */
    for (int i = 0; i < 8; i++)
        history_push(&h, HEALTH_HEALTHY, true, (i + 1) * 1000, "ok", i, i);
    history_push(&h, HEALTH_DEGRADED, true, 8000, "slow", 8, 8);
    history_push(&h, HEALTH_UNHEALTHY, false, -1, "refused", 9, 9);
    history_push(&h, HEALTH_STARTING, true, 1000, "ok", 10, 10);
    assert_int_equal(sparkline_cells(&h, 12, c), 11);
    assert_int_equal(c[0].level, SPARK_EMPTY); /* right-aligned */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(c[1 + i].level, i);
        assert_int_equal(c[1 + i].role, ROLE_SPARK_OK);
    }
    assert_int_equal(c[9].level, 7);
    assert_int_equal(c[9].role, ROLE_SPARK_SLOW);
    assert_int_equal(c[10].level, SPARK_FAIL);
    assert_int_equal(c[10].role, ROLE_SPARK_FAIL);
    assert_int_equal(c[11].role, ROLE_SPARK_STARTING);
    /* Narrower than the history: the newest samples. */
    assert_int_equal(sparkline_cells(&h, 3, c), 3);
    assert_int_equal(c[0].level, 7);
    assert_int_equal(c[1].level, SPARK_FAIL);
    /* A failure inside the retries leaves the state healthy, but the
     * probe failed and is drawn as a failure all the same. */
    history_push(&h, HEALTH_HEALTHY, false, 900000, "HTTP 503", 11, 11);
    assert_int_equal(sparkline_cells(&h, 1, c), 1);
    assert_int_equal(c[0].level, SPARK_FAIL);
    assert_int_equal(c[0].role, ROLE_SPARK_FAIL);
    history_free(&h);

    /* A flat line stays flat instead of magnifying noise. */
    history_init(&h, 3600 * 1000, 2000);
    for (int i = 0; i < 5; i++)
        history_push(&h, HEALTH_HEALTHY, true, 10000 + i * 10, "ok", i, i);
    sparkline_cells(&h, 5, c);
    for (int i = 0; i < 5; i++)
        assert_int_equal(c[i].level, 2);
    history_free(&h);
}

static void test_glyphs(void **state)
{
    const struct glyphs *sets[] = {glyphs_get(false), glyphs_get(true)};

    (void)state;
    for (size_t s = 0; s < 2; s++) {
        for (int i = 0; i < HEALTH_STATE_COUNT; i++) {
            assert_int_equal(text_width(sets[s]->mark[i]), 1);
            for (int j = 0; j < i; j++) /* a state reads by shape, without colour */
                assert_string_not_equal(sets[s]->mark[i], sets[s]->mark[j]);
        }
        for (int i = 0; i < 8; i++)
            assert_int_equal(text_width(sets[s]->ramp[i]), 1);
        assert_int_equal(text_width(sets[s]->fail), 1);
        assert_int_equal(text_width(sets[s]->ellipsis), 1);
    }
    for (int i = 0; i < HEALTH_STATE_COUNT; i++)
        for (const char *p = glyphs_get(true)->mark[i]; *p; p++)
            assert_true((unsigned char)*p < 0x80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_fits_every_width),
        cmocka_unit_test(test_layout_hides_in_priority_order),
        cmocka_unit_test(test_layout_widths),
        cmocka_unit_test(test_text_fit),
        cmocka_unit_test(test_sparkline_cells),
        cmocka_unit_test(test_glyphs),
    };

    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
