/* /metrics' exposition (metrics.c) and --listen's address parser
 * (listen.c): the model of a parsed config, set by hand, written in both
 * formats and read back line by line. No network. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/listen.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "metrics.h"
#include "support/check.h"

static const char yml[] = "services:\n"
                          "  redis:\n"
                          "    group: \"Cache \\\"hot\\\" \\\\ \\e[31m\\u202e ${HT_T_SECRET}\"\n"
                          "    tcp: 127.0.0.1:1\n"
                          "  api:\n"
                          "    http: http://127.0.0.1:1/\n"
                          "    depends_on: [redis]\n";

struct model {
    uv_loop_t loop;
    struct ht_config cfg;
    struct scheduler s;
    struct metrics m;
};

static void model_open(struct model *md)
{
    char err[1024];

    setenv("HT_T_SECRET", "s3cr3t-value", 1);
    assert_int_equal(uv_loop_init(&md->loop), 0);
    assert_int_equal(config_parse("t.yml", yml, strlen(yml), &md->cfg, err, sizeof(err)), 0);
    assert_int_equal(sched_init(&md->s, &md->loop, &md->cfg), 0);
    memset(&md->m, 0, sizeof(md->m));
    metrics_reset(&md->m, md->s.nsvcs);
}

static void model_close(struct model *md)
{
    sched_close(&md->s, NULL);
    uv_run(&md->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&md->loop), 0);
    sched_free(&md->s);
    metrics_free(&md->m);
    config_free(&md->cfg);
    secret_clear();
}

static char *expose(struct model *md, bool om)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    assert_int_equal(metrics_write(&b, &md->s, &md->m, om), 0);
    return b.data;
}

static void test_labels_are_safe_and_escaped(void **state)
{
    struct model md;
    char *text;

    (void)state;
    model_open(&md);
    text = expose(&md, false);
    /* The quote and backslash escaped, the ESC and the bidi override
     * shown as text.h's escapes (their backslashes escaped in turn), the
     * secret masked. */
    CHECK_CONTAINS("escaped label", text,
                   "healthtop_service_up{service=\"redis\",group=\"Cache \\\"hot\\\" \\\\ "
                   "\\\\x1b[31m\\\\u202e ***\",kind=\"tcp\"} 0\n");
    CHECK_LACKS("no secret", text, "s3cr3t-value");
    CHECK_LACKS("no raw ESC", text, "\x1b");
    free(text);
    model_close(&md);
}

static void test_states_blocked_and_histogram(void **state)
{
    struct model md;
    struct probe_result ok = {.ok = true, .latency_us = 30000};
    struct probe_result slow = {.ok = false, .latency_us = 45 * 1000000LL};
    char *text;

    (void)state;
    model_open(&md);
    md.s.svcs[0].health.state = HEALTH_UNHEALTHY;
    md.s.svcs[1].health.state = HEALTH_STARTING;
    metrics_observe(&md.m, 1, &ok);
    metrics_observe(&md.m, 1, &ok);
    metrics_observe(&md.m, 1, &slow);
    text = expose(&md, false);
    CHECK_CONTAINS("one-hot: unhealthy", text,
                   "healthtop_service_state{service=\"api\",group=\"Services\",kind=\"http\","
                   "state=\"starting\"} 1\n");
    CHECK_CONTAINS("one-hot: others 0", text,
                   "healthtop_service_state{service=\"api\",group=\"Services\",kind=\"http\","
                   "state=\"healthy\"} 0\n");
    CHECK_CONTAINS(
        "api is blocked by redis", text,
        "healthtop_service_blocked{service=\"api\",group=\"Services\",kind=\"http\"} 1\n");
    CHECK_CONTAINS("30 ms lands in le=0.05", text,
                   "healthtop_probe_duration_seconds_bucket{service=\"api\",group=\"Services\","
                   "kind=\"http\",le=\"0.05\"} 2\n");
    CHECK_CONTAINS("not below 0.025", text,
                   "healthtop_probe_duration_seconds_bucket{service=\"api\",group=\"Services\","
                   "kind=\"http\",le=\"0.025\"} 0\n");
    CHECK_CONTAINS("45 s only in +Inf", text,
                   "healthtop_probe_duration_seconds_bucket{service=\"api\",group=\"Services\","
                   "kind=\"http\",le=\"+Inf\"} 3\n");
    CHECK_CONTAINS("sum", text,
                   "healthtop_probe_duration_seconds_sum{service=\"api\",group=\"Services\","
                   "kind=\"http\"} 45.060000\n");
    CHECK_CONTAINS("failures counted", text,
                   "healthtop_probes_total{service=\"api\",group=\"Services\",kind=\"http\","
                   "result=\"failure\"} 1\n");
    CHECK_LACKS("no first_healthy sample before healthy", text,
                "healthtop_service_first_healthy_seconds{");
    CHECK_CONTAINS("text format: counter named with _total", text,
                   "# TYPE healthtop_probes_total counter\n");
    CHECK_LACKS("text format: no # EOF", text, "# EOF");
    free(text);
    text = expose(&md, true);
    CHECK_CONTAINS("OpenMetrics: counter family without _total", text,
                   "# TYPE healthtop_probes counter\n");
    CHECK_CONTAINS("OpenMetrics: info family", text, "# TYPE healthtop_build info\n");
    assert_true(strlen(text) > 6 && strcmp(text + strlen(text) - 6, "# EOF\n") == 0);
    free(text);
    model_close(&md);
}

/* The label sets are kept from one scrape to the next: a service whose
 * config changed, or rows that came or went (rows_gen), are written with
 * their labels of now. */
static void test_labels_follow_the_services(void **state)
{
    struct model md;
    struct svc_config other;
    char *text, *name;

    (void)state;
    model_open(&md);
    text = expose(&md, false);
    CHECK_CONTAINS("first scrape", text,
                   "healthtop_service_up{service=\"api\",group=\"Services\",kind=\"http\"} 0\n");
    free(text);
    /* Another config for the service (a reload's, or a row's). */
    other = *md.s.svcs[1].cfg;
    other.name = "api2";
    md.s.svcs[1].cfg = &other;
    text = expose(&md, false);
    CHECK_CONTAINS("a new config, new labels", text,
                   "healthtop_service_up{service=\"api2\",group=\"Services\",kind=\"http\"} 0\n");
    CHECK_LACKS("the old ones gone", text, "service=\"api\"");
    free(text);
    /* The same config changed in place: rows_gen says so. */
    name = other.name = xstrdup("api3");
    md.s.rows_gen++;
    text = expose(&md, false);
    CHECK_CONTAINS("rows_gen moved, labels remade", text,
                   "healthtop_service_up{service=\"api3\",group=\"Services\",kind=\"http\"} 0\n");
    free(text);
    md.s.svcs[1].cfg = &md.cfg.svcs[1];
    free(name);
    model_close(&md);
}

static void test_listen_parse(void **state)
{
    struct listen_spec sp;
    const char *why;

    (void)state;
    memset(&sp, 0, sizeof(sp));
    assert_int_equal(listen_parse("9464", &sp, &why), 0);
    assert_string_equal(sp.host, "127.0.0.1");
    assert_int_equal(sp.port, 9464);
    assert_int_equal(listen_parse("[::1]:0", &sp, &why), 0);
    assert_string_equal(sp.host, "::1");
    assert_int_equal(listen_parse("localhost:80", &sp, &why), 0);
    assert_string_equal(sp.host, "127.0.0.1");
    assert_int_equal(listen_parse("0.0.0.0:9464", &sp, &why), 0);
    assert_false(listen_is_loopback(sp.host));
    assert_true(listen_is_loopback("127.8.9.1"));
    assert_true(listen_is_loopback("::1"));
    assert_false(listen_is_loopback("::"));
    assert_int_equal(listen_parse("::1:80", &sp, &why), -1);
    assert_int_equal(listen_parse("65536", &sp, &why), -1);
    assert_int_equal(listen_parse("host.example:80", &sp, &why), -1);
    assert_int_equal(listen_parse(":80", &sp, &why), -1);
    assert_int_equal(listen_parse("80x", &sp, &why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_are_safe_and_escaped),
        cmocka_unit_test(test_states_blocked_and_histogram),
        cmocka_unit_test(test_labels_follow_the_services),
        cmocka_unit_test(test_listen_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
