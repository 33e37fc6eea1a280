/* The event stream's scanner: JSON objects found in bytes that come in
 * pieces cut anywhere, braces inside strings not counted, a too-long
 * object skipped whole. The stream itself runs against Podman in
 * tests/integration/test_docker_events.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "probes/docker_events.h"

struct got {
    char objs[8][256];
    size_t n;
};

static void on_obj(void *ud, const char *obj, size_t len)
{
    struct got *g = ud;

    assert_true(g->n < 8);
    assert_true(len < sizeof(g->objs[0]));
    memcpy(g->objs[g->n], obj, len);
    g->objs[g->n++][len] = '\0';
}

static const char STREAM[] = "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"Attributes\":"
                             "{\"name\":\"a}{\\\"b\"}}}\n"
                             "  {\"status\":\"health_status: healthy\",\"x\":[1,{\"y\":\"]\"}]}\r\n"
                             "garbage between\n{}";

/* Cut at every place: the same three objects whatever the pieces. */
static void test_every_cut(void **state)
{
    size_t n = strlen(STREAM);

    (void)state;
    for (size_t cut = 0; cut <= n; cut++) {
        struct events_scan st;
        struct got g;
        memset(&st, 0, sizeof(st));
        memset(&g, 0, sizeof(g));
        events_scan_feed(&st, STREAM, cut, on_obj, &g);
        events_scan_feed(&st, STREAM + cut, n - cut, on_obj, &g);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.objs[0], "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{"
                                       "\"Attributes\":{\"name\":\"a}{\\\"b\"}}}");
        assert_string_equal(g.objs[1],
                            "{\"status\":\"health_status: healthy\",\"x\":[1,{\"y\":\"]\"}]}");
        assert_string_equal(g.objs[2], "{}");
        events_scan_free(&st);
    }
}

/* An object over EVENTS_OBJ_MAX is skipped, and the next one is read. */
static void test_too_long_skipped(void **state)
{
    struct events_scan st;
    struct got g;
    size_t big = EVENTS_OBJ_MAX + 100;
    char *s = malloc(big + 16);

    (void)state;
    memset(&st, 0, sizeof(st));
    memset(&g, 0, sizeof(g));
    memcpy(s, "{\"a\":\"", 6);
    memset(s + 6, 'x', big - 8);
    memcpy(s + big - 2, "\"}", 2);
    memcpy(s + big, "\n{\"b\":1}", 8);
    events_scan_feed(&st, s, big + 8, on_obj, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.objs[0], "{\"b\":1}");
    events_scan_free(&st);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_too_long_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
