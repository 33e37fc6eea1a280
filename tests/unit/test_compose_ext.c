/* x-healthtop: in a compose file (src/compose/ext.c): a service's read as
 * a healthtop.yml service (label, group, timings, a probe as an extra row
 * NAME/KIND), the top-level one's title: and defaults:, interpolated by
 * the compose rules, and the errors at the compose file's positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compose/compose.h"
#include "healthtop/config.h"

/* Loads text as compose.yml (and over as compose.override.yml when not
 * NULL) and makes it a config; returns compose_to_config's result. */
static int load2(const char *text, const char *over, enum compose_probes probes,
                 struct ht_config *c, char *err, size_t n)
{
    const char *names[] = {"compose.yml", "compose.override.yml"};
    const char *texts[] = {text, over};
    struct compose_opts o = {0};
    struct compose_project p;
    int rc;

    setenv("DOCKER_HOST", "unix:///run/test-ext.sock", 1);
    memset(c, 0, sizeof(*c));
    rc = compose_load_texts(names, texts, over ? 2 : 1, "/p", &o, &p, err, n);
    if (rc == 0)
        rc = compose_to_config(&p, probes, c, err, n);
    else
        rc = -2;
    compose_project_free(&p);
    return rc;
}

static int load(const char *text, struct ht_config *c, char *err, size_t n)
{
    return load2(text, NULL, COMPOSE_PROBES_ENGINE, c, err, n);
}

static const struct svc_config *row(const struct ht_config *c, const char *name)
{
    long i = config_find(c, name);

    if (i < 0)
        fail_msg("no row %s", name);
    return &c->svcs[i];
}

static const char stack[] = "name: st\n"
                            "x-healthtop:\n"
                            "  title: Shop\n"
                            "  defaults: {interval: 7s, timeout: 2s, retries: 4}\n"
                            "services:\n"
                            "  api:\n"
                            "    image: x\n"
                            "    healthcheck:\n"
                            "      test: [CMD, 'true']\n"
                            "      interval: 5s\n"
                            "      retries: 2\n"
                            "      start_period: 30s\n"
                            "      start_interval: 1s\n"
                            "    x-healthtop:\n"
                            "      label: The API\n"
                            "      group: Front\n"
                            "      http:\n"
                            "        url: http://127.0.0.1:${API_PORT:-8080}/health\n"
                            "        status: [200, 204]\n"
                            "  cache:\n"
                            "    image: redis\n"
                            "    x-healthtop:\n"
                            "      interval: 3s\n"
                            "      redis: redis://127.0.0.1:6379\n"
                            "  db:\n"
                            "    image: pg\n"
                            "    x-healthtop: {label: Database}\n"
                            "  gone:\n"
                            "    image: x\n"
                            "    profiles: [debug]\n"
                            "    x-healthtop: {tcp: 127.0.0.1:9}\n";

static void test_rows(void **state)
{
    struct ht_config c;
    char err[1024];

    (void)state;
    unsetenv("API_PORT");
    assert_int_equal(load(stack, &c, err, sizeof(err)), 0);
    assert_string_equal(c.title, "Shop (compose project st)");
    /* api, cache, db, gone, then the extra rows; none for gone (its
     * profile is not active). */
    assert_int_equal(c.nsvcs, 6);
    assert_int_equal(row(&c, "api")->kind, PROBE_DOCKER);
    assert_string_equal(row(&c, "api")->label, "The API");
    assert_string_equal(row(&c, "api")->group, "Front");
    /* The docker row keeps the healthcheck's timings, defaults or not. */
    assert_int_equal(row(&c, "api")->interval_ms, 5000);
    assert_int_equal(row(&c, "api")->retries, 2);
    assert_int_equal(row(&c, "api")->start_period_ms, 30000);
    assert_int_equal(row(&c, "api")->start_interval_ms, 1000);
    /* Without start_interval, the start period is probed at the interval. */
    assert_int_equal(row(&c, "cache")->start_interval_ms, row(&c, "cache")->interval_ms);

    assert_int_equal(row(&c, "api/http")->kind, PROBE_HTTP);
    assert_string_equal(row(&c, "api/http")->u.http.urls[0], "http://127.0.0.1:8080/health");
    assert_int_equal(row(&c, "api/http")->u.http.nstatus, 2);
    assert_string_equal(row(&c, "api/http")->label, "The API (http)");
    assert_string_equal(row(&c, "api/http")->group, "Front");
    /* The extra rows take the top-level defaults. */
    assert_int_equal(row(&c, "api/http")->interval_ms, 7000);
    assert_int_equal(row(&c, "api/http")->timeout_ms, 2000);
    assert_int_equal(row(&c, "api/http")->retries, 4);

    assert_int_equal(row(&c, "cache/redis")->kind, PROBE_REDIS);
    assert_string_equal(row(&c, "cache/redis")->label, "cache (redis)");
    assert_string_equal(row(&c, "cache/redis")->group, "Services");
    assert_int_equal(row(&c, "cache/redis")->interval_ms, 3000);
    assert_int_equal(row(&c, "cache/redis")->retries, 4);
    /* A timing the service's x-healthtop gives is its docker row's too,
     * as in a healthtop.yml's compose: overlay. */
    assert_int_equal(row(&c, "cache")->interval_ms, 3000);

    assert_string_equal(row(&c, "db")->label, "Database");
    assert_int_equal(row(&c, "db")->kind, PROBE_DOCKER);
    assert_int_equal(config_find(&c, "db/docker"), -1);
    assert_int_equal(config_find(&c, "gone/tcp"), -1);
    config_free(&c);

    /* Interpolated by the compose rules, as the rest of the file. */
    setenv("API_PORT", "9191", 1);
    assert_int_equal(load(stack, &c, err, sizeof(err)), 0);
    assert_string_equal(row(&c, "api/http")->u.http.urls[0], "http://127.0.0.1:9191/health");
    config_free(&c);
    unsetenv("API_PORT");
}

/* A '$' compose leaves ($$) is taken as it is, not expanded again; a
 * value from the environment is a secret in what is shown. */
static void test_dollars_and_secrets(void **state)
{
    const char *t = "services:\n"
                    "  api:\n"
                    "    image: x\n"
                    "    x-healthtop:\n"
                    "      label: ${EXT_LABEL_SECRET}\n"
                    "      group: cost $$5\n"
                    "      http: {url: 'http://127.0.0.1:9/', body: '$${HOME}'}\n";
    struct ht_config c;
    char err[1024];

    (void)state;
    setenv("EXT_LABEL_SECRET", "hunter2-label", 1);
    assert_int_equal(load(t, &c, err, sizeof(err)), 0);
    assert_string_equal(row(&c, "api")->group, "cost $5");
    assert_string_equal(row(&c, "api/http")->u.http.body, "${HOME}");
    assert_null(strstr(row(&c, "api")->label, "hunter2"));
    assert_null(strstr(row(&c, "api/http")->label, "hunter2"));
    config_free(&c);
    unsetenv("EXT_LABEL_SECRET");
}

/* --compose-probes both: the host row keeps its name; the x-healthtop
 * row is beside it. */
static void test_with_host_rows(void **state)
{
    const char *t = "services:\n"
                    "  api:\n"
                    "    image: x\n"
                    "    ports: ['18080:80']\n"
                    "    healthcheck: {test: [CMD, curl, -f, 'http://localhost/health']}\n"
                    "    x-healthtop: {tcp: '127.0.0.1:18080'}\n";
    struct ht_config c;
    char err[1024];

    (void)state;
    assert_int_equal(load2(t, NULL, COMPOSE_PROBES_BOTH, &c, err, sizeof(err)), 0);
    assert_int_equal(c.nsvcs, 3);
    assert_int_equal(row(&c, "api/host")->kind, PROBE_HTTP);
    assert_int_equal(row(&c, "api/tcp")->kind, PROBE_TCP);
    config_free(&c);
}

/* The override file's x-healthtop is merged as compose merges mappings. */
static void test_override_file(void **state)
{
    const char *over = "services:\n"
                       "  api:\n"
                       "    x-healthtop: {group: Edge}\n";
    const char *base = "services:\n"
                       "  api:\n"
                       "    image: x\n"
                       "    x-healthtop: {label: A, tcp: '127.0.0.1:9'}\n";
    struct ht_config c;
    char err[1024];

    (void)state;
    assert_int_equal(load2(base, over, COMPOSE_PROBES_ENGINE, &c, err, sizeof(err)), 0);
    assert_string_equal(row(&c, "api/tcp")->group, "Edge");
    assert_string_equal(row(&c, "api/tcp")->label, "A (tcp)");
    config_free(&c);
}

/* x-healthtop: in two files: both read, and a mistake names its file. */
static void test_two_files(void **state)
{
    const char *base = "services:\n"
                       "  api:\n"
                       "    image: x\n"
                       "    x-healthtop: {tcp: '127.0.0.1:9'}\n"
                       "  web: {image: x}\n";
    const char *over = "services:\n"
                       "  web:\n"
                       "    x-healthtop: {http: 'http://127.0.0.1:9/'}\n";
    const char *bad = "services:\n"
                      "  web:\n"
                      "    x-healthtop: {htp: 'http://127.0.0.1:9/'}\n";
    struct ht_config c;
    char err[1024];

    (void)state;
    assert_int_equal(load2(base, over, COMPOSE_PROBES_ENGINE, &c, err, sizeof(err)), 0);
    assert_int_equal(c.nsvcs, 4);
    assert_int_equal(row(&c, "api/tcp")->kind, PROBE_TCP);
    assert_int_equal(row(&c, "web/http")->kind, PROBE_HTTP);
    config_free(&c);
    assert_int_equal(load2(base, bad, COMPOSE_PROBES_ENGINE, &c, err, sizeof(err)), -1);
    print_message("%s\n", err);
    assert_non_null(strstr(err, "compose.override.yml:3:19: unknown key 'htp' in a service"));
}

static const struct {
    const char *text, *err;
} errors[] = {
    {"services:\n  api:\n    image: x\n    x-healthtop:\n      lable: x\n",
     "compose.yml:5:7: unknown key 'lable' in a service (did you mean 'label'?)"},
    {"services:\n  api:\n    image: x\n    x-healthtop:\n      http: {url: 'ftp://h/'}\n",
     "compose.yml:5:"},
    {"services:\n  api:\n    image: x\n    x-healthtop:\n      tcp: '127.0.0.1:9'\n"
     "      redis: 'redis://127.0.0.1:9'\n",
     "compose.yml:6:7: service 'api' has two probes ('tcp' and 'redis')"},
    {"services:\n  api:\n    image: x\n    x-healthtop:\n      interval: 0s\n",
     "compose.yml:5:17: interval must be at least"},
    {"services:\n  api:\n    image: x\n    x-healthtop: [a]\n",
     "compose.yml:4:18: service 'api' must be a mapping"},
    {"x-healthtop:\n  titel: x\nservices:\n  api: {image: x}\n",
     "compose.yml:2:3: unknown key 'titel' in the top-level x-healthtop (did you mean 'title'?)"},
    {"x-healthtop:\n  groups: [a]\nservices:\n  api: {image: x}\n",
     "compose.yml:2:3: unknown key 'groups' in the top-level x-healthtop"},
    {"x-healthtop:\n  defaults: {retries: many}\nservices:\n  api: {image: x}\n",
     "compose.yml:2:23: retries must be a whole number"},
    {"x-healthtop: [a]\nservices:\n  api: {image: x}\n",
     "compose.yml:1:14: x-healthtop must be a mapping"},
    {"services:\n  api:\n    image: x\n    x-healthtop: {depends_on: [nope]}\n",
     "compose.yml:4:5: depends_on: no service here or in the compose project is named 'nope'"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct ht_config c;
        char err[1024];
        print_message("%zu\n", i);
        assert_int_equal(load(errors[i].text, &c, err, sizeof(err)), -1);
        print_message("%s\n", err);
        assert_non_null(strstr(err, errors[i].err));
        assert_int_equal(c.nsvcs, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),           cmocka_unit_test(test_dollars_and_secrets),
        cmocka_unit_test(test_with_host_rows), cmocka_unit_test(test_override_file),
        cmocka_unit_test(test_two_files),      cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
