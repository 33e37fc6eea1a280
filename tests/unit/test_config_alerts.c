/* The alerts: section of the config: a good one read into its routes
 * (defaults included), and each mistake reported at its file:line:column
 * with no secret in the text. */
#include "test_config.h"

#include "healthtop/health.h"

#define SVCS "services: {redis: {tcp: 'h:1'}, api: {tcp: 'h:2', depends_on: [redis]}}\n"

static const struct {
    const char *text;
    const char *want; /* one whole line of the error text */
} bad[] = {
    {SVCS "alerts: {webhook: 'http://h/'}\n",
     "t.yml:2:9: alerts must be a list of routes (- alertmanager: URL, ...), not a mapping"},
    {SVCS "alerts: [x]\n",
     "t.yml:2:10: an alerts route must be a mapping that names its receiver: - alertmanager: "
     "URL, - webhook: URL or - exec: [argv], not a string"},
    {SVCS "alerts:\n  - for: 1s\n",
     "t.yml:3:5: this alerts route names no receiver: give it alertmanager: URL, webhook: URL or "
     "exec: [argv]"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    exec: [x]\n",
     "t.yml:4:5: a route has one receiver: webhook already names one here, so 'exec' goes in a "
     "route of its own"},
    {SVCS "alerts:\n  - webhook: 'ftp://h/'\n",
     "t.yml:3:14: bad URL 'ftp://h/': the scheme must be http:// or https://"},
    {SVCS "alerts:\n  - alertmanager: 'http://h/'\n    repat: 1m\n",
     "t.yml:4:5: unknown key 'repat' in an alerts route (did you mean 'repeat'?)"},
    {SVCS "alerts:\n  - exec: /bin/page\n",
     "t.yml:3:11: exec takes a list (argv, run without a shell), e.g. exec: "
     "[/usr/local/bin/page-oncall, --team, storage]"},
    {SVCS "alerts:\n  - exec: [/bin/page]\n    headers: {X: y}\n",
     "t.yml:4:5: headers go with alertmanager and webhook, not exec"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    states: [unhealthy, healthy]\n",
     "t.yml:4:25: states: 'healthy' is none of unhealthy, degraded, starting, skipped"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    states: []\n",
     "t.yml:4:13: states is an empty list"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    for: soon\n",
     "t.yml:4:10: bad duration 'soon' for for"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    timeout: 1ms\n", "t.yml:4:14: timeout"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    repeat: 10ms\n", "t.yml:4:13: repeat"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    root_cause: maybe\n",
     "t.yml:4:17: root_cause must be true or false, not 'maybe'"},
    {SVCS "alerts:\n  - webhook: 'http://h/'\n    headers: {'a b': x}\n",
     "t.yml:4:15: bad header name 'a b'"},
};

static void test_each_bad_route_gives_its_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_fails_with(bad[i].text, bad[i].want);
}

static void test_good_routes(void **state)
{
    struct ht_config cfg;

    (void)state;
    setenv("HT_TEST_HOOK_TOKEN", "s3cret-hook-token", 1);
    parse_ok(SVCS "alerts:\n"
                  "  - alertmanager: http://127.0.0.1:9093\n"
                  "    for: 30s\n"
                  "    states: [unhealthy, degraded]\n"
                  "  - webhook: https://chat.example/hooks/T0\n"
                  "    headers: {Authorization: \"Bearer ${HT_TEST_HOOK_TOKEN}\"}\n"
                  "    services: [api*]\n"
                  "    groups: [Data, Web]\n"
                  "    resolved: false\n"
                  "    root_cause: false\n"
                  "    repeat: 5m\n"
                  "  - exec: [/usr/local/bin/page-oncall, --team, storage]\n"
                  "    timeout: 3s\n",
             &cfg);
    assert_int_equal(cfg.nalerts, 3);
    assert_int_equal(cfg.alerts[0].kind, ALERT_ALERTMANAGER);
    assert_string_equal(cfg.alerts[0].url, "http://127.0.0.1:9093");
    assert_int_equal(cfg.alerts[0].for_ms, 30000);
    assert_int_equal(cfg.alerts[0].repeat_ms, ALERT_DEFAULT_RESEND_MS);
    assert_int_equal(cfg.alerts[0].states, (1u << HEALTH_UNHEALTHY) | (1u << HEALTH_DEGRADED));
    assert_true(cfg.alerts[0].resolved);
    assert_true(cfg.alerts[0].root_cause);
    assert_int_equal(cfg.alerts[0].timeout_ms, ALERT_DEFAULT_TIMEOUT_MS);
    assert_int_equal(cfg.alerts[0].line, 3);

    assert_int_equal(cfg.alerts[1].kind, ALERT_WEBHOOK);
    assert_int_equal(cfg.alerts[1].nheaders, 1);
    assert_string_equal(cfg.alerts[1].headers[0].value, "Bearer s3cret-hook-token");
    assert_int_equal(cfg.alerts[1].nservices, 1);
    assert_string_equal(cfg.alerts[1].services[0], "api*");
    assert_int_equal(cfg.alerts[1].ngroups, 2);
    assert_false(cfg.alerts[1].resolved);
    assert_false(cfg.alerts[1].root_cause);
    assert_int_equal(cfg.alerts[1].repeat_ms, 300000);
    assert_int_equal(cfg.alerts[1].states, 1u << HEALTH_UNHEALTHY);

    assert_int_equal(cfg.alerts[2].kind, ALERT_EXEC);
    assert_int_equal(cfg.alerts[2].argc, 3);
    assert_string_equal(cfg.alerts[2].argv[2], "storage");
    assert_null(cfg.alerts[2].argv[3]);
    assert_int_equal(cfg.alerts[2].repeat_ms, 0);
    assert_int_equal(cfg.alerts[2].timeout_ms, 3000);
    config_free(&cfg);
}

/* The token in a header, and a URL's password, never reach an error. */
static void test_no_secret_in_errors(void **state)
{
    struct ht_config cfg;

    (void)state;
    setenv("HT_TEST_HOOK_TOKEN", "s3cret-hook-token", 1);
    assert_int_equal(parse_text(SVCS
                                "alerts:\n"
                                "  - webhook: 'http://u:pa55word-x@h:99999/'\n"
                                "    headers: {Authorization: \"Bearer ${HT_TEST_HOOK_TOKEN}\"}\n"
                                "    bogus: 1\n",
                                &cfg),
                     -1);
    assert_null(strstr(test_err, "s3cret-hook-token"));
    assert_null(strstr(test_err, "pa55word-x"));
    assert_non_null(strstr(test_err, "t.yml:3:14: bad URL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_each_bad_route_gives_its_error, teardown_secrets),
        cmocka_unit_test_teardown(test_good_routes, teardown_secrets),
        cmocka_unit_test_teardown(test_no_secret_in_errors, teardown_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
