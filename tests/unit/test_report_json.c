/* The --json document and /api/v1/state (report_json.c), written without
 * jansson: read back by jansson and printed again with the flags each
 * used to be printed with, the text must come out byte for byte the same
 * (separators, indentation, string escapes, reals). No network: the
 * model of a parsed config, results set by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <uv.h>
#include "healthtop/buf.h"
#include "healthtop/config.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "support/check.h"

static const char yml[] = "title: \"Title \\\"q\\\" \\\\ \\t \\u00e9\"\n"
                          "services:\n"
                          "  db:\n"
                          "    label: \"DB \\\"main\\\" \\\\ \\e[31m\\u202e\"\n"
                          "    group: \"Data / Store\"\n"
                          "    tcp: 127.0.0.1:1\n"
                          "  api:\n"
                          "    http: {url: https://127.0.0.1:1/, insecure: true}\n"
                          "    depends_on: [db]\n"
                          "  web:\n"
                          "    http: [http://127.0.0.1:1/, http://127.0.0.1:2/]\n"
                          "    replicas: 2\n"
                          "    depends_on: [api, db]\n";

static void result(struct scheduler *s, size_t i, bool ok, int64_t latency_us, const char *msg)
{
    struct service *svc = &s->svcs[i];
    struct probe_result *r = &svc->last;

    memset(r, 0, sizeof(*r));
    r->ok = ok;
    r->up = r->found = ok ? 1 : 0;
    r->latency_us = latency_us;
    r->listening = i == 0 ? 7 : -1;
    ht_strlcpy(r->message, msg, sizeof(r->message));
    svc->has_result = true;
    svc->probes = 41 + i;
    health_set(&svc->health, ok ? HEALTH_HEALTHY : HEALTH_UNHEALTHY, r, s->t0_ms + 1234);
}

/* doc, read back and printed by jansson with flags, is doc. */
static void same_as_jansson(const char *what, const char *doc, size_t flags)
{
    json_error_t err;
    json_t *j = json_loads(doc, 0, &err);
    char *again;

    if (j == NULL)
        fail_msg("%s: not JSON: %s", what, err.text);
    again = json_dumps(j, flags);
    assert_non_null(again);
    if (strcmp(again, doc) != 0)
        fail_msg("%s differs from jansson's:\n%s\n%s", what, doc, again);
    free(again);
    json_decref(j);
}

static void test_document_is_janssons(void **state)
{
    uv_loop_t loop;
    struct ht_config cfg;
    struct scheduler s;
    struct buf out;
    char err[1024];

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    if (config_parse("t.yml", yml, strlen(yml), &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(sched_init(&s, &loop, &cfg), 0);
    /* Every escape jansson writes, a non-ASCII letter, and reals whose 17
     * digits show the binary's error (2.0990000000000002). */
    result(&s, 0, false, 2099,
           "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f x01 \x01 us \x1f "
           "del \x7f caf\xc3\xa9");
    result(&s, 1, false, 1200, "HTTP 503");
    s.svcs[2].has_result = false;
    s.svcs[2].health.first_seen_ms = -1;

    buf_init(&out, 1 << 20);
    assert_int_equal(report_json_write(&out, &s, false), 0);
    same_as_jansson("compact", out.data, JSON_COMPACT);
    CHECK_CONTAINS("17 digits compact", out.data, "\"latency_ms\":2.0990000000000002,");
    CHECK_CONTAINS("a control as \\u00XX", out.data,
                   "x01 \\u0001 us \\u001F del \x7f caf\xc3\xa9\"");
    CHECK_CONTAINS("insecure", out.data, "\"insecure\":true,");
    CHECK_CONTAINS("blocked", out.data, "\"blocked_by\":[\"db\"]");
    buf_free(&out);

    buf_init(&out, 1 << 20);
    assert_int_equal(report_json_write(&out, &s, true), 0);
    same_as_jansson("pretty", out.data, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    CHECK_CONTAINS("10 digits pretty", out.data, "\"latency_ms\": 2.099,");
    CHECK_CONTAINS("an empty array", out.data, "\"blocked_by\": [],");
    CHECK_CONTAINS("an offset", out.data, "\"first_seen\": 1.234,");
    buf_free(&out);

    /* Bytes that are not UTF-8 (never kept: text.h escapes them) would
     * still make JSON: each byte past ASCII as '?'. */
    result(&s, 1, false, 0, "bad \xff\xfe utf8 \xc3\xa9");
    buf_init(&out, 1 << 20);
    assert_int_equal(report_json_write(&out, &s, false), 0);
    same_as_jansson("not UTF-8", out.data, JSON_COMPACT);
    CHECK_CONTAINS("'?' for each byte", out.data, "\"message\":\"bad ?? utf8 ??\"");
    CHECK_CONTAINS("0 as 0.0", out.data, "\"latency_ms\":0.0,");
    buf_free(&out);

    /* A limit reached is an error, never a document cut short. */
    buf_init(&out, 100);
    assert_int_equal(report_json_write(&out, &s, false), -1);
    buf_free(&out);

    sched_close(&s, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    sched_free(&s);
    config_free(&cfg);
    secret_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_is_janssons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
