/* The status page (statuspage.c) and the framing of its event stream
 * (sse.c): a model of a parsed config with hostile text in it, set by
 * hand, written as the page and as the state document and read back. No
 * network: the browser test (integration/test_status_page.sh) runs the
 * real thing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "sse.h"
#include "statuspage.h"
#include "support/check.h"

static const char yml[] = "title: \"Ops <b>&</b> ${HT_T_SECRET}\"\n"
                          "services:\n"
                          "  redis:\n"
                          "    label: \"<img src=x onerror=alert(1)>\"\n"
                          "    group: \"Cache \\\"hot\\\" \\e[31m ${HT_T_SECRET}\"\n"
                          "    tcp: 127.0.0.1:1\n"
                          "  api:\n"
                          "    http: http://127.0.0.1:1/\n"
                          "    depends_on: [redis]\n";

struct model {
    uv_loop_t loop;
    struct ht_config cfg;
    struct scheduler s;
};

static void model_open(struct model *md)
{
    char err[1024];
    struct service *redis;

    setenv("HT_T_SECRET", "s3cr3t-value", 1);
    assert_int_equal(uv_loop_init(&md->loop), 0);
    assert_int_equal(config_parse("t.yml", yml, strlen(yml), &md->cfg, err, sizeof(err)), 0);
    assert_int_equal(sched_init(&md->s, &md->loop, &md->cfg), 0);
    /* A result as a hostile server would word it. */
    redis = &md->s.svcs[0];
    redis->has_result = true;
    redis->health.state = HEALTH_UNHEALTHY;
    redis->last.latency_us = 1500;
    redis->last.up = 0;
    ht_strlcpy(redis->last.message, "</td><script>window.pwned=1</script> s3cr3t-value",
               sizeof(redis->last.message));
    md->s.svcs[1].has_result = true;
    md->s.svcs[1].health.state = HEALTH_UNHEALTHY;
    ht_strlcpy(md->s.svcs[1].last.message, "HTTP 503", sizeof(md->s.svcs[1].last.message));
}

static void model_close(struct model *md)
{
    sched_close(&md->s, NULL);
    uv_run(&md->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&md->loop), 0);
    sched_free(&md->s);
    config_free(&md->cfg);
    secret_clear();
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Every outside text is escaped (entities), masked, and the only script
 * and style elements are the page's own, under the nonce. */
static void test_page_text_is_never_markup(void **state)
{
    struct model md;
    struct buf b;

    (void)state;
    model_open(&md);
    buf_init(&b, 1 << 20);
    assert_int_equal(statuspage_html(&b, &md.s, NULL, "N0nce"), 0);
    CHECK_CONTAINS("title escaped and masked", b.data,
                   "<h1 id=\"title\">Ops &lt;b&gt;&amp;&lt;/b&gt; ***</h1>");
    CHECK_CONTAINS("label escaped", b.data, "&lt;img src=x onerror=alert(1)&gt;");
    CHECK_CONTAINS("group escaped, controls shown, secret masked", b.data,
                   "Cache &quot;hot&quot; \\x1b[31m ***</th>");
    CHECK_CONTAINS("message escaped and masked", b.data,
                   "&lt;/td&gt;&lt;script&gt;window.pwned=1&lt;/script&gt; ***");
    CHECK_CONTAINS("state as a mark and a word", b.data,
                   "<span class=\"mark\">\xe2\x9c\x97</span> unhealthy");
    CHECK_CONTAINS("blocked by its dependency", b.data, "blocked by redis; HTTP 503");
    CHECK_CONTAINS("the root cause", b.data, "<p id=\"roots\">root cause: redis");
    CHECK_CONTAINS("a reload without JavaScript", b.data,
                   "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>");
    CHECK_CONTAINS("the timeline view", b.data, "<section id=\"timeline\">");
    assert_int_equal(count(b.data, "<script"), 1);
    assert_int_equal(count(b.data, "<script nonce=\"N0nce\">"), 1);
    assert_int_equal(count(b.data, "<style"), 1);
    assert_int_equal(count(b.data, "<style nonce=\"N0nce\">"), 1);
    assert_int_equal(count(b.data, "<img"), 0);
    assert_null(strstr(b.data, "s3cr3t-value"));
    /* Nothing to load: no src attribute, no url() in the style, and
     * every link an anchor of the page itself. */
    assert_null(strstr(b.data, "src=\""));
    assert_null(strstr(b.data, "url("));
    assert_null(strstr(b.data, "@import"));
    assert_int_equal(count(b.data, "href=\""), count(b.data, "href=\"#"));
    assert_int_equal(count(b.data, "href=\"#"), 2);
    buf_free(&b);
    model_close(&md);
}

/* The document: JSON that parses, texts masked and escaped as in the
 * page's model, '/' escaped so that "</script>" never appears in it. */
static void test_state_document(void **state)
{
    struct model md;
    struct buf b;
    json_t *doc, *svc;
    json_error_t jerr;

    (void)state;
    model_open(&md);
    buf_init(&b, 1 << 20);
    assert_int_equal(statuspage_json(&b, &md.s, NULL), 0);
    assert_null(strchr(b.data, '\n'));
    assert_null(strstr(b.data, "</"));
    assert_null(strstr(b.data, "s3cr3t-value"));
    doc = json_loads(b.data, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "Ops <b>&</b> ***");
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "unhealthy");
    svc = json_array_get(json_object_get(doc, "services"), 0);
    assert_string_equal(json_string_value(json_object_get(svc, "label")),
                        "<img src=x onerror=alert(1)>");
    assert_string_equal(json_string_value(json_object_get(svc, "group")),
                        "Cache \"hot\" \\x1b[31m ***");
    assert_string_equal(json_string_value(json_object_get(svc, "message")),
                        "</td><script>window.pwned=1</script> ***");
    assert_string_equal(json_string_value(json_object_get(svc, "replicas")), "0/1");
    assert_int_equal(json_array_size(json_object_get(svc, "spark")), STATUSPAGE_SPARK);
    assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "timeline"), "rows")), 2);
    json_decref(doc);
    buf_free(&b);
    model_close(&md);
}

static void frame(const char *data, const char *want)
{
    struct buf b;

    buf_init(&b, 4096);
    assert_int_equal(sse_frame(&b, 7, "state", data, strlen(data)), 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("sse_frame of \"%s\": expected \"%s\", saw \"%s\"", data, want, b.data);
    buf_free(&b);
}

/* Each line of the data is a data: field (a line break inside one would
 * end it early and let the rest be read as fields); the event ends with a
 * blank line. */
static void test_sse_framing(void **state)
{
    (void)state;
    frame("{\"a\":1}", "id: 7\nevent: state\ndata: {\"a\":1}\n\n");
    frame("", "id: 7\nevent: state\ndata: \n\n");
    frame("one\ntwo", "id: 7\nevent: state\ndata: one\ndata: two\n\n");
    frame("one\r\nid: 99\rretry: 1", "id: 7\nevent: state\ndata: one\ndata: id: 99\n"
                                     "data: retry: 1\n\n");
    frame("end\n", "id: 7\nevent: state\ndata: end\ndata: \n\n");
}

/* The nonce is fresh each time and fits the policy's grammar (base64). */
static void test_nonce_and_policy(void **state)
{
    char a[STATUSPAGE_NONCE_MAX], b[STATUSPAGE_NONCE_MAX], h[768], want[128];

    (void)state;
    statuspage_nonce(a);
    statuspage_nonce(b);
    assert_int_equal(strlen(a), 22);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                     22);
    assert_string_not_equal(a, b);
    statuspage_headers(h, sizeof(h), a);
    CHECK_CONTAINS("no other origin", h, "Content-Security-Policy: default-src 'none'; ");
    snprintf(want, sizeof(want), "script-src 'nonce-%s'; style-src 'nonce-%s'; ", a, a);
    CHECK_CONTAINS("inline only under the nonce", h, want);
    CHECK_CONTAINS("events from this origin only", h, "connect-src 'self'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_text_is_never_markup),
        cmocka_unit_test(test_state_document),
        cmocka_unit_test(test_sse_framing),
        cmocka_unit_test(test_nonce_and_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
