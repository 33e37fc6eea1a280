/* The prometheus kind's mapping (prometheus_map.c) on answers written as
 * Prometheus 2 sends them: vectors and scalars, each error type, values
 * NaN and +Inf, empty results, and hostile label values; and its
 * conditions. The probe against a real server is
 * tests/integration/test_prometheus.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/prometheus.h"
#include "support/check.h"

static struct prometheus_config cfg(void)
{
    struct prometheus_config c;

    memset(&c, 0, sizeof(c));
    c.replicas_by = (char *)"instance";
    c.cond.op = PROM_NONZERO;
    return c;
}

static struct probe_result map(const char *body, long status, const struct prometheus_config *c,
                               int replicas)
{
    struct probe_result r;

    memset(&r, 0x55, sizeof(r));
    prom_map(body, strlen(body), status, c, replicas, &r);
    return r;
}

/* A vector of n series "host-<i>:9100" whose values are vals[i]. */
static char *vector(int n, const char *const *vals)
{
    size_t cap = 128 + (size_t)n * 160, len = 0;
    char *s = malloc(cap);

    len += (size_t)snprintf(
        s + len, cap - len,
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"metric\":{\"__name__\":\"up\",\"job\":\"api\",\"instance\":"
                                "\"host-%c%c:9100\"},\"value\":[1700000000.5,\"%s\"]}",
                                i ? "," : "", 'a' + i / 26, 'a' + i % 26, vals[i]);
    snprintf(s + len, cap - len, "]}}");
    return s;
}

static void test_thirty_targets_two_down(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    const char *vals[30];
    char *body;
    struct probe_result r;

    for (int i = 0; i < 30; i++)
        vals[i] = i == 3 || i == 17 ? "0" : "1";
    body = vector(30, vals);
    r = map(body, 200, &c, 1);
    CHECK_EQ("up", r.up, 28);
    CHECK_EQ("found", r.found, 30);
    CHECK_FALSE("ok with two down", r.ok);
    CHECK_STR("message", r.message, "28/30 up; down: host-ad:9100, host-ar:9100");
    CHECK_CONTAINS("detail names the down ones with their values", r.detail,
                   "down: host-ad:9100 = 0, host-ar:9100 = 0");
    CHECK_CONTAINS("detail says the condition", r.detail, "up when non-zero");
    /* All up: ok, with replicas up to the number found. */
    for (int i = 0; i < 30; i++)
        vals[i] = "1";
    free(body);
    body = vector(30, vals);
    r = map(body, 200, &c, 30);
    CHECK_TRUE("all 30 up: ok", r.ok);
    CHECK_STR("message", r.message, "30/30 up");
    r = map(body, 200, &c, 31);
    CHECK_FALSE("30 up of 31 expected: not ok", r.ok);
    free(body);
    /* 28 series where 30 are expected (replicas: 30): "28/30", degraded
     * by the health verdict (up < expected), the missing counted. */
    body = vector(28, vals);
    r = map(body, 200, &c, 30);
    CHECK_STR("fewer series than replicas", r.message, "28/30 up, 2 missing");
    CHECK_CONTAINS("the detail says how many are missing", r.detail,
                   "missing: 2 of the 30 replicas expected");
    /* With the 30 listed (instances:), the two without a series are named. */
    {
        char *names[30], buf[30][16];
        for (int i = 0; i < 30; i++) {
            snprintf(buf[i], sizeof(buf[i]), "host-%c%c:9100", 'a' + i / 26, 'a' + i % 26);
            names[i] = buf[i];
        }
        c.instances = names;
        c.ninstances = 30;
        r = map(body, 200, &c, 1);
        CHECK_STR("the missing named", r.message,
                  "28/30 up, 2 missing: host-bc:9100, host-bd:9100");
        CHECK_FALSE("missing instances: not ok", r.ok);
        CHECK_CONTAINS("and in the detail", r.detail,
                       "missing (instances:): host-bc:9100, host-bd:9100");
        free(body);
        body = vector(30, vals);
        r = map(body, 200, &c, 1);
        CHECK_STR("all 30 listed there", r.message, "30/30 up");
        CHECK_TRUE("ok", r.ok);
        c.instances = NULL;
        c.ninstances = 0;
    }
    free(body);
}

/* What healthtop_service_up looks like scraped from two healthtop
 * instances: series {service, group, instance}, value 1 or 0. */
static char *fleet(int n, const char *const *svc, const char *const *grp, const char *const *inst,
                   const char *const *vals)
{
    size_t cap = 128 + (size_t)n * 256, len = 0;
    char *s = malloc(cap);

    len += (size_t)snprintf(
        s + len, cap - len,
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s{\"metric\":{\"service\":\"%s\",",
                                i ? "," : "", svc[i]);
        if (grp[i])
            len += (size_t)snprintf(s + len, cap - len, "\"group\":\"%s\",", grp[i]);
        len += (size_t)snprintf(s + len, cap - len,
                                "\"instance\":\"%s\"},\"value\":[1700000000.5,\"%s\"]}", inst[i],
                                vals[i]);
    }
    snprintf(s + len, cap - len, "]}}");
    return s;
}

static struct prometheus_config rows_cfg(void)
{
    struct prometheus_config c = cfg();

    c.rows_by = (char *)"service";
    c.group_by = (char *)"group";
    c.max_rows = 100;
    return c;
}

static void test_rows_by_service(void **state)
{
    static const char *const svc[] = {"web", "api", "api", "db", "web"};
    static const char *const grp[] = {"Front", "Back", "Back", NULL, "Front"};
    static const char *const inst[] = {"h1:9", "h1:9", "h2:9", "h1:9", "h2:9"};
    static const char *const vals[] = {"1", "1", "0", "1", "1"};
    struct prometheus_config c = rows_cfg();
    char *body = fleet(5, svc, grp, inst, vals);
    struct probe_result r;
    struct probe_rows rows = {0};
    struct prom_room *room = prom_room_new();

    (void)state;
    memset(&r, 0, sizeof(r));
    prom_map_rows(body, strlen(body), 200, &c, &r, &rows, room);
    CHECK_TRUE("answered", rows.answered);
    CHECK_EQ("one row per service", rows.n, 3);
    CHECK_STR("sorted: api", rows.v[0].key, "api");
    CHECK_STR("sorted: db", rows.v[1].key, "db");
    CHECK_STR("sorted: web", rows.v[2].key, "web");
    CHECK_STR("group from the group label", rows.v[0].group, "Back");
    CHECK_TRUE("no group label: the source's group", rows.v[1].group == NULL);
    CHECK_EQ("api: found on two hosts", rows.v[0].result.found, 2);
    CHECK_EQ("api: one up", rows.v[0].result.up, 1);
    CHECK_FALSE("api: not ok", rows.v[0].result.ok);
    CHECK_STR("api: the down replica named", rows.v[0].result.message, "down: h2:9");
    CHECK_CONTAINS("api: the detail lists each replica", rows.v[0].result.detail,
                   "h1:9 = 1\n  h2:9 = 0 (down)");
    CHECK_EQ("web: two up", rows.v[2].result.up, 2);
    CHECK_TRUE("web: ok", rows.v[2].result.ok);
    CHECK_STR("web: nothing after the count", rows.v[2].result.message, "");
    CHECK_TRUE("the source: ok", r.ok);
    CHECK_EQ("the source: one replica, the query", r.up, 1);
    CHECK_STR("the source says what it made", r.message, "3 rows from 5 series, 4 up");
    /* The next answer reuses the room, and nothing of the last is left:
     * api had a group, two replicas, one down. */
    {
        static const char *const svc1[] = {"api"}, *const grp1[] = {NULL};
        static const char *const inst1[] = {"h3:9"}, *const vals1[] = {"1"};
        char *body1 = fleet(1, svc1, grp1, inst1, vals1);
        const struct probe_row *was = rows.v;

        prom_map_rows(body1, strlen(body1), 200, &c, &r, &rows, room);
        CHECK_TRUE("the room is used again", rows.v == was && rows.cap == 3);
        CHECK_EQ("one row", rows.n, 1);
        CHECK_TRUE("no group left from the last answer", rows.v[0].group == NULL);
        CHECK_EQ("one replica", rows.v[0].result.found, 1);
        CHECK_EQ("up", rows.v[0].result.up, 1);
        CHECK_STR("nothing after the count", rows.v[0].result.message, "");
        CHECK_LACKS("no replica of the last answer", rows.v[0].result.detail, "h2:9");
        free(body1);
    }
    probe_rows_free(&rows);
    /* Cut at max_rows: the first rows by name, and the source not ok. */
    c.max_rows = 2;
    prom_map_rows(body, strlen(body), 200, &c, &r, &rows, room);
    CHECK_EQ("max_rows", rows.n, 2);
    CHECK_FALSE("cut: the source is not ok", r.ok);
    CHECK_STR("cut: said", r.message, "2 of 3 rows shown (max_rows), from 5 series, 4 up");
    probe_rows_free(&rows);
    prom_room_free(room);
    free(body);
}

static void test_rows_empty_errors_and_hostile(void **state)
{
    static const char *const svc[] = {"a\\u001b[2J", "a\\u001b[2J", "b", ""};
    static const char *const grp[] = {NULL, NULL, NULL, NULL};
    static const char *const inst[] = {"h1", "h2", "h1", "h1"};
    static const char *const vals[] = {"1", "1", "1", "1"};
    struct prometheus_config c = rows_cfg();
    const char *empty =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
    const char *scalar =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"3\"]}}";
    const char *bad =
        "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out\"}";
    char *body = fleet(4, svc, grp, inst, vals);
    struct probe_result r;
    struct probe_rows rows = {0};
    struct prom_room *room = prom_room_new();

    (void)state;
    memset(&r, 0, sizeof(r));
    prom_map_rows(empty, strlen(empty), 200, &c, &r, &rows, room);
    CHECK_TRUE("empty: answered", rows.answered);
    CHECK_EQ("empty: no rows", rows.n, 0);
    CHECK_FALSE("empty: down by default", r.ok);
    CHECK_STR("empty: said", r.message, "no series: the result is empty");
    probe_rows_free(&rows);
    c.empty_scaled = true;
    prom_map_rows(empty, strlen(empty), 200, &c, &r, &rows, room);
    CHECK_TRUE("empty: scaled to 0", r.ok);
    probe_rows_free(&rows);
    prom_map_rows(scalar, strlen(scalar), 200, &c, &r, &rows, room);
    CHECK_FALSE("a scalar makes no rows", rows.answered);
    CHECK_STR("a scalar: said", r.message, "result is a scalar; rows_by needs an instant vector");
    probe_rows_free(&rows);
    prom_map_rows(bad, strlen(bad), 503, &c, &r, &rows, room);
    CHECK_FALSE("an error: no answer", rows.answered);
    CHECK_STR("an error: its type in words", r.message,
              "query timed out in Prometheus: query timed out");
    probe_rows_free(&rows);
    prom_map_rows(body, strlen(body), 200, &c, &r, &rows, room);
    CHECK_EQ("hostile: two rows and one without the label", rows.n, 3);
    CHECK_STR("no label: named so", rows.v[0].key, "(no service)");
    CHECK_STR("an escape is shown, not sent", rows.v[1].key, "a\\x1b[2J");
    CHECK_EQ("its two series are one row", rows.v[1].result.found, 2);
    CHECK_STR("b", rows.v[2].key, "b");
    probe_rows_free(&rows);
    prom_room_free(room);
    free(body);
}

static void test_many_down_are_cut_with_a_count(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    const char *vals[200];
    char *body;
    struct probe_result r;

    for (int i = 0; i < 200; i++)
        vals[i] = "0";
    body = vector(200, vals);
    r = map(body, 200, &c, 1);
    CHECK_EQ("up", r.up, 0);
    CHECK_EQ("found", r.found, 200);
    CHECK_CONTAINS("the message starts with the count", r.message, "0/200 up; down: host-aa:9100");
    CHECK_CONTAINS("and says how many more", r.message, " more)");
    CHECK_LT("the message fits", strlen(r.message), sizeof(r.message));
    free(body);
}

static void test_nan_inf_and_bad_values(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    const char *vals[] = {"NaN", "+Inf", "-Inf", "x1", "0.25"};
    char *body = vector(5, vals);
    struct probe_result r = map(body, 200, &c, 1);

    CHECK_EQ("NaN and the bad value are down; the infinities and 0.25 are non-zero", r.up, 3);
    CHECK_CONTAINS("NaN is named as such", r.detail, "host-aa:9100 = NaN");
    CHECK_CONTAINS("a bad value is named as such", r.detail, "host-ad:9100 = bad value");
    c.cond.op = PROM_LT;
    c.cond.value = 0.5;
    r = map(body, 200, &c, 1);
    CHECK_EQ("< 0.5: -Inf and 0.25 pass, NaN does not", r.up, 2);
    free(body);
}

static void test_scalar_is_one_replica(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    struct probe_result r;
    const char *body = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":["
                       "1700000000,\"3\"]}}";

    prom_cond_parse(">= 3", &c.cond, &(const char *){NULL});
    r = map(body, 200, &c, 1);
    CHECK_TRUE("3 >= 3", r.ok);
    CHECK_STR("message", r.message, "1/1 up, value 3");
    prom_cond_parse("> 3", &c.cond, &(const char *){NULL});
    r = map(body, 200, &c, 1);
    CHECK_FALSE("3 > 3", r.ok);
    CHECK_STR("message", r.message, "0/1 up, value 3; down: scalar");
}

static void test_empty_result(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
    struct probe_result r = map(body, 200, &c, 1);

    CHECK_FALSE("empty is down by default", r.ok);
    CHECK_EQ("found", r.found, 0);
    CHECK_STR("message", r.message, "no series: the result is empty");
    c.empty_scaled = true;
    r = map(body, 200, &c, 1);
    CHECK_TRUE("empty: scaled_to_zero", r.ok);
    CHECK_EQ("up", r.up, 0);
    CHECK_STR("message", r.message, "no series (scaled to 0)");
}

static void test_error_types(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        long status;
        const char *want;
    } cases[] = {
        {"bad_data", 400, "bad query: parse error"},
        {"timeout", 503, "query timed out in Prometheus: parse error"},
        {"canceled", 503, "query cancelled in Prometheus: parse error"},
        {"execution", 422, "query failed: parse error"},
        {"unavailable", 503, "Prometheus unavailable: parse error"},
        {"internal", 500, "Prometheus internal error: parse error"},
        {"brand_new", 500, "Prometheus error (brand_new): parse error"},
    };
    struct prometheus_config c = cfg();
    char body[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"status\":\"error\",\"errorType\":\"%s\",\"error\":\"parse error\"}",
                 cases[i].type);
        struct probe_result r = map(body, cases[i].status, &c, 1);
        CHECK_FALSE("an error is not ok", r.ok);
        CHECK_STR(cases[i].type, r.message, cases[i].want);
    }
}

static void test_not_an_answer(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();

    CHECK_STR("HTML from a proxy", map("<html>", 502, &c, 1).message,
              "HTTP 502, not a Prometheus API answer");
    CHECK_STR("not JSON with 200", map("ok", 200, &c, 1).message,
              "bad JSON: not a Prometheus API answer");
    CHECK_STR("JSON without status", map("{}", 200, &c, 1).message,
              "not a Prometheus API answer (no status)");
    CHECK_STR("a range query's matrix",
              map("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
                  200, &c, 1)
                  .message,
              "result is a matrix; the query must give an instant vector or a scalar");
}

static void test_hostile_labels_are_escaped(void **state)
{
    (void)state;
    struct prometheus_config c = cfg();
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"instance\":\"a\\u001b[2J\\u202eb\\nc\"},\"value\":[1,\"0\"]},"
        "{\"metric\":{\"job\":\"x\"},\"value\":[1,\"0\"]}]},"
        "\"errorType\":\"\\u001b]0;x\\u0007\"}";
    struct probe_result r = map(body, 200, &c, 1);

    CHECK_STR("escapes are shown, not sent", r.message,
              "0/2 up; down: a\\x1b[2J\\u202eb\\nc, #2 (no instance)");
    CHECK_TRUE("no ESC in the detail", strchr(r.detail, 0x1b) == NULL);
    CHECK_TRUE("no line break inside a name", strstr(r.detail, "b\nc") == NULL);
    r = map("{\"status\":\"error\",\"errorType\":\"\\u001b]0;x\\u0007\",\"error\":\"\\u009b\"}",
            400, &c, 1);
    CHECK_STR("an error type from outside is escaped too", r.message,
              "Prometheus error (\\x1b]0;x\\x07): \\u009b");
}

static void test_conditions(void **state)
{
    (void)state;
    struct prom_cond k;
    const char *why = NULL;
    char out[64];

    CHECK_EQ("< 0.5", prom_cond_parse("< 0.5", &k, &why), 0);
    CHECK_TRUE("0.4 < 0.5", prom_cond_pass(&k, 0.4));
    CHECK_FALSE("0.5 < 0.5", prom_cond_pass(&k, 0.5));
    CHECK_FALSE("NaN passes nothing", prom_cond_pass(&k, NAN));
    prom_cond_format(&k, out, sizeof(out));
    CHECK_STR("formatted", out, "< 0.5");
    CHECK_EQ(">=1", prom_cond_parse(">=1", &k, &why), 0);
    CHECK_TRUE("+Inf >= 1", prom_cond_pass(&k, INFINITY));
    CHECK_EQ("a bare number is ==", prom_cond_parse("2", &k, &why), 0);
    CHECK_EQ("op", k.op, PROM_EQ);
    CHECK_EQ("!= 0", prom_cond_parse("!= 0", &k, &why), 0);
    CHECK_FALSE("NaN != 0 is still not up", prom_cond_pass(&k, NAN));
    CHECK_EQ("no number", prom_cond_parse("<", &k, &why), -1);
    CHECK_EQ("NaN is no bound", prom_cond_parse("< NaN", &k, &why), -1);
    CHECK_EQ("two operators", prom_cond_parse("<< 1", &k, &why), -1);
    k = (struct prom_cond){.op = PROM_RANGE, .has_min = true, .min = 1, .has_max = true, .max = 5};
    CHECK_TRUE("3 in 1..5", prom_cond_pass(&k, 3));
    CHECK_FALSE("6 in 1..5", prom_cond_pass(&k, 6));
    prom_cond_format(&k, out, sizeof(out));
    CHECK_STR("a range", out, "from 1 to 5");
}

/* The series table grows with the series read, never with what a body
 * seems to hold: a label value of 100,000 '[' is one series, not room
 * for 100,000 (a size taken from a count of '[' was tried and bounded,
 * then dropped: growing by doubling was as fast). */
static void test_scan_table_bounded_by_the_body(void **state)
{
    struct prometheus_config c = rows_cfg();
    size_t n = 100000, len = 0;
    char *body = malloc(n + 256);
    struct prom_scan sc = {0};

    (void)state;
    len += (size_t)sprintf(body, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                                 "\"result\":[{\"metric\":{\"service\":\"");
    memset(body + len, '[', n);
    len += n;
    len += (size_t)sprintf(body + len, "\"},\"value\":[1,\"1\"]}]}}");
    CHECK_EQ("read", prom_scan(body, len, &c, &sc), 0);
    CHECK_EQ("one series", sc.n, 1);
    CHECK_TRUE("room for what the body can hold, no more", sc.cap <= len / 30 + 1);
    prom_scan_free(&sc);
    free(body);
}

/* A string's escapes, and a raw control character (which JSON forbids),
 * are found at every place in a plain run, and a UTF-8 byte is plain (a
 * reader eight bytes at a time was tried against this, and dropped: label
 * values are too short for it to win). */
static void test_scan_strings_at_every_offset(void **state)
{
    static const char *const esc[] = {"\\\"", "\\\\", "\\u0041", "\xc3\xa9", "\x01"};
    static const char *const dec[] = {"\"", "\\", "A", "\xc3\xa9", NULL};
    struct prometheus_config c = rows_cfg();

    (void)state;
    for (size_t e = 0; e < sizeof(esc) / sizeof(esc[0]); e++) {
        for (int i = 0; i < 20; i++) {
            char body[256], want[64];
            struct prom_scan sc = {0};
            int len = snprintf(body, sizeof(body),
                               "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                               "\"result\":[{\"metric\":{\"service\":\"%.*s%s%.*s\"},"
                               "\"value\":[1,\"1\"]}]}}",
                               i, "aaaaaaaaaaaaaaaaaaaa", esc[e], 19 - i, "bbbbbbbbbbbbbbbbbbbb");

            if (dec[e] == NULL) {
                CHECK_EQ("a raw control character is not JSON",
                         prom_scan(body, (size_t)len, &c, &sc), -1);
                prom_scan_free(&sc);
                continue;
            }
            snprintf(want, sizeof(want), "%.*s%s%.*s", i, "aaaaaaaaaaaaaaaaaaaa", dec[e], 19 - i,
                     "bbbbbbbbbbbbbbbbbbbb");
            CHECK_EQ("read", prom_scan(body, (size_t)len, &c, &sc), 0);
            CHECK_EQ("one series", sc.n, 1);
            CHECK_STR("the value, whole", sc.v[0].key, want);
            prom_scan_free(&sc);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thirty_targets_two_down),
        cmocka_unit_test(test_many_down_are_cut_with_a_count),
        cmocka_unit_test(test_nan_inf_and_bad_values),
        cmocka_unit_test(test_scalar_is_one_replica),
        cmocka_unit_test(test_empty_result),
        cmocka_unit_test(test_error_types),
        cmocka_unit_test(test_not_an_answer),
        cmocka_unit_test(test_hostile_labels_are_escaped),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_rows_by_service),
        cmocka_unit_test(test_rows_empty_errors_and_hostile),
        cmocka_unit_test(test_scan_table_bounded_by_the_body),
        cmocka_unit_test(test_scan_strings_at_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
