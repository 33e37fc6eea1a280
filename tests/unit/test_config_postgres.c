/* The postgres kind's config: its forms (a URL, a list of URLs, a
 * mapping with url: or host:), what it describes, its secrets, and every
 * error it reports, each with its position. */
#include "test_config.h"

#define SVC "services:\n  a:\n"

/* Its errors are rows of test_config_errors.c. */

static void describe(const char *text, const char *want, size_t targets)
{
    struct ht_config cfg;
    char out[256];

    parse_ok(text, &cfg);
    config_describe(&cfg.svcs[0], out, sizeof(out));
    assert_string_equal(out, want);
    assert_int_equal(config_targets(&cfg.svcs[0]), targets);
    assert_string_equal(probe_kind_name(cfg.svcs[0].kind), "postgres");
    config_free(&cfg);
}

static void test_forms_and_descriptions(void **state)
{
    (void)state;
    describe(SVC "    postgres: 'postgresql://h:5433/app?sslmode=require'\n",
             "postgres postgresql://h:5433/app?sslmode=require", 1);
    describe(SVC "    postgres: ['postgres://h1/app', 'postgres://h2/app']\n"
                 "    replicas: 1\n",
             "postgres postgres://h1/app (+1 more)", 2);
    describe(SVC "    postgres:\n      host: db.example\n      port: 6432\n      user: app\n"
                 "      dbname: app\n      query: SELECT count(*) FROM jobs\n"
                 "      role: primary\n",
             "postgres postgres://***@db.example:6432/app query: SELECT count(*) FROM jobs role: "
             "primary",
             1);
    describe(SVC "    postgres: {host: '::1', role: replica}\n",
             "postgres postgres://[::1]/ role: replica", 1);
    describe(SVC "    postgres: {host: /run/postgresql, user: app}\n",
             "postgres postgres://***@/?host=/run/postgresql", 1);
}

/* Passwords, in the URL (also %-encoded), as password: or from ${VAR},
 * are secrets before anything prints them, and never described. */
static void test_passwords_are_secrets(void **state)
{
    struct ht_config cfg;
    char out[256], text[128];

    (void)state;
    describe(SVC "    postgres: 'postgres://app:p%40ss-in-url@h/app'\n",
             "postgres postgres://***@h/app", 1);
    snprintf(text, sizeof(text), "x p@ss-in-url y");
    secret_scrub(text, sizeof(text));
    assert_null(strstr(text, "p@ss-in-url"));

    setenv("HT_PG_PW", "pw-from-env-77", 1);
    parse_ok(SVC "    postgres: {url: 'postgres://app@h/app', password: '${HT_PG_PW}'}\n", &cfg);
    config_describe(&cfg.svcs[0], out, sizeof(out));
    assert_null(strstr(out, "pw-from-env-77"));
    snprintf(text, sizeof(text), "x pw-from-env-77 y");
    secret_scrub(text, sizeof(text));
    assert_null(strstr(text, "pw-from-env-77"));
    config_free(&cfg);
    unsetenv("HT_PG_PW");

    /* password: ${VAR:-} with the variable unset: no password. */
    parse_ok(SVC "    postgres: {url: 'postgres://app:inurl@h/app', password: '${HT_PG_NONE:-}'}\n",
             &cfg);
    config_free(&cfg);

    /* An error that quotes the URL shows no password. */
    assert_int_equal(parse_text(SVC "    postgres: 'postgres://u:hunter22pg@h:x/db'\n", &cfg), -1);
    assert_null(strstr(test_err, "hunter22pg"));
    assert_non_null(strstr(test_err, "bad PostgreSQL URL 'postgres://***@h:x/db'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_forms_and_descriptions, teardown_secrets),
        cmocka_unit_test_teardown(test_passwords_are_secrets, teardown_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
