/* A healthtop.yml naming compose files (compose:): the config loader's
 * part (its forms, its errors at file:line:column) and compose_overlay's
 * (the compose rows, overridden and added to by the file's services). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "compose/compose.h"
#include "healthtop/config.h"

static char dir[] = "/tmp/healthtop-overlay.XXXXXX";
static char path[256];

static const char compose_yml[] = "name: proj\n"
                                  "services:\n"
                                  "  api:\n"
                                  "    image: x\n"
                                  "    healthcheck: {test: [CMD, 'true'], interval: 5s}\n"
                                  "  worker:\n"
                                  "    image: x\n"
                                  "    depends_on: [api]\n"
                                  "  extra:\n"
                                  "    image: x\n"
                                  "    profiles: [debug]\n";

static void put(const char *name, const char *text)
{
    char p[300];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    put("docker-compose.yml", compose_yml);
    snprintf(path, sizeof(path), "%s/healthtop.yml", dir);
    setenv("DOCKER_HOST", "unix:///run/test-overlay.sock", 1);
    return 0;
}

static int teardown(void **state)
{
    char p[300];

    (void)state;
    snprintf(p, sizeof(p), "%s/docker-compose.yml", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/ext.yml", dir);
    unlink(p);
    return rmdir(dir);
}

/* Parses text as path and overlays it; returns compose_overlay's result. */
static int overlay(const char *text, struct ht_config *out, char *err, size_t n)
{
    struct ht_config own;

    if (config_parse(path, text, strlen(text), &own, err, n) != 0) {
        memset(out, 0, sizeof(*out));
        return -2;
    }
    return compose_overlay(&own, COMPOSE_PROBES_ENGINE, out, err, n);
}

static const struct svc_config *row(const struct ht_config *c, const char *name)
{
    long i = config_find(c, name);
    assert_true(i >= 0);
    return &c->svcs[i];
}

static void test_forms(void **state)
{
    struct ht_config c;
    char err[1024];

    (void)state;
    assert_int_equal(config_parse("h.yml", "compose: [a.yml, b.yml]\n", 24, &c, err, sizeof(err)),
                     0);
    assert_true(c.compose.present);
    assert_int_equal(c.compose.nfiles, 2);
    assert_string_equal(c.compose.files[1], "b.yml");
    config_free(&c);
    {
        const char *t = "compose: {files: x.yml, profiles: [debug], project: p}\n";
        assert_int_equal(config_parse("h.yml", t, strlen(t), &c, err, sizeof(err)), 0);
        assert_string_equal(c.compose.files[0], "x.yml");
        assert_string_equal(c.compose.profiles[0], "debug");
        assert_string_equal(c.compose.project, "p");
        config_free(&c);
    }
}

static const struct {
    const char *text, *err;
} parse_errors[] = {
    {"compose: {files: [a.yml], profile: [x]}\n",
     "h.yml:1:27: unknown key 'profile' in compose (did you mean 'profiles'?)"},
    {"compose: {files: {a: b}}\n", "h.yml:1:18: compose: files must be a list of strings"},
    {"services:\n  api:\n    label: x\n", "h.yml:2:3: service 'api' has no probe"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        struct ht_config c;
        char err[1024];
        const char *t = parse_errors[i].text;
        assert_int_equal(config_parse("h.yml", t, strlen(t), &c, err, sizeof(err)), -1);
        print_message("%s", err);
        assert_non_null(strstr(err, parse_errors[i].err));
    }
}

static void test_overlay(void **state)
{
    struct ht_config c;
    char err[1024];
    const char *t = "title: Mine\n"
                    "compose:\n"
                    "  files: [docker-compose.yml]\n"
                    "  profiles: [debug]\n"
                    "  project: Other_Name\n"
                    "services:\n"
                    "  api:\n"
                    "    label: The API\n"
                    "    retries: 7\n"
                    "    http: http://127.0.0.1:9/health\n"
                    "  worker:\n"
                    "    group: Workers\n"
                    "    depends_on: [cache]\n"
                    "  cache:\n"
                    "    tcp: 127.0.0.1:9\n";

    (void)state;
    assert_int_equal(overlay(t, &c, err, sizeof(err)), 0);
    assert_string_equal(c.title, "Mine");
    assert_int_equal(c.nsvcs, 5); /* api, worker, extra, api/http, cache */
    assert_string_equal(c.svcs[0].name, "api");
    assert_int_equal(row(&c, "api")->kind, PROBE_DOCKER);
    assert_string_equal(row(&c, "api")->label, "The API");
    assert_int_equal(row(&c, "api")->retries, 7);
    assert_int_equal(row(&c, "api")->interval_ms, 5000); /* the healthcheck's */
    assert_string_equal(row(&c, "api")->u.docker.project, "other_name");
    assert_int_equal(row(&c, "extra")->replicas, 1); /* its profile is active */
    assert_int_equal(row(&c, "api/http")->kind, PROBE_HTTP);
    assert_string_equal(row(&c, "api/http")->label, "The API (http)");
    assert_string_equal(row(&c, "worker")->group, "Workers");
    assert_int_equal(row(&c, "worker")->ndeps, 1);
    assert_string_equal(row(&c, "worker")->depends_on[0], "cache");
    assert_int_equal(row(&c, "worker")->dep_idx[0], (size_t)config_find(&c, "cache"));
    assert_int_equal(row(&c, "cache")->kind, PROBE_TCP);
    config_free(&c);
}

static const struct {
    const char *text, *err;
} overlay_errors[] = {
    {"compose: [docker-compose.yml]\nservices:\n  apx:\n    label: x\n",
     "healthtop.yml:3:3: service 'apx' has no probe, and the compose project has no service"},
    {"compose: [docker-compose.yml]\nservices:\n  worker:\n    depends_on: [nope]\n",
     "healthtop.yml:3:3: depends_on: no service here or in the compose project is named 'nope'"},
    {"compose: [docker-compose.yml]\nservices:\n  api:\n    depends_on: [worker]\n",
     "healthtop.yml:3:3: depends_on has a cycle through worker and api"},
    {"compose: [missing.yml]\n", "missing.yml"},
};

static void test_overlay_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(overlay_errors) / sizeof(overlay_errors[0]); i++) {
        struct ht_config c;
        char err[1024];
        assert_int_equal(overlay(overlay_errors[i].text, &c, err, sizeof(err)), -1);
        print_message("%s\n", err);
        assert_non_null(strstr(err, overlay_errors[i].err));
        assert_int_equal(c.nsvcs, 0);
    }
}

/* A healthtop.yml probe of the kind a compose x-healthtop: already adds
 * replaces that row (NAME/KIND once, the file's). */
static void test_over_extension(void **state)
{
    struct ht_config c;
    char err[1024];
    const char *t = "compose: [ext.yml]\n"
                    "services:\n"
                    "  api:\n"
                    "    http: http://127.0.0.1:9/mine\n";

    (void)state;
    put("ext.yml", "services:\n"
                   "  api:\n"
                   "    image: x\n"
                   "    x-healthtop:\n"
                   "      http: http://127.0.0.1:9/theirs\n");
    assert_int_equal(overlay(t, &c, err, sizeof(err)), 0);
    assert_int_equal(c.nsvcs, 2);
    assert_string_equal(row(&c, "api/http")->u.http.urls[0], "http://127.0.0.1:9/mine");
    config_free(&c);
}

/* The rows' restart policy and whether they are jobs (docker_fate.c
 * judges by them). */
static void test_restart_and_jobs(void **state)
{
    const char *text = "services:\n"
                       "  a: {image: x}\n"
                       "  b: {image: x, restart: always}\n"
                       "  c: {image: x, restart: 'on-failure:3'}\n"
                       "  d: {image: x, restart: unless-stopped}\n"
                       "  e: {image: x, deploy: {restart_policy: {condition: any}}}\n"
                       "  f: {image: x, restart: sometimes}\n"
                       "  migrate: {image: x}\n"
                       "  app:\n"
                       "    image: x\n"
                       "    depends_on: {migrate: {condition: service_completed_successfully}}\n";
    const char *names[] = {"compose.yml"};
    static const struct {
        const char *svc;
        enum docker_restart restart;
        bool job;
    } want[] = {
        {"a", DOCKER_RESTART_NO, false},         {"b", DOCKER_RESTART_ALWAYS, false},
        {"c", DOCKER_RESTART_ON_FAILURE, false}, {"d", DOCKER_RESTART_UNLESS_STOPPED, false},
        {"e", DOCKER_RESTART_ALWAYS, false},     {"f", DOCKER_RESTART_UNKNOWN, false},
        {"migrate", DOCKER_RESTART_NO, true},    {"app", DOCKER_RESTART_NO, false},
    };
    struct compose_opts o = {0};
    struct compose_project p;
    struct ht_config c;
    char err[1024];

    (void)state;
    assert_int_equal(compose_load_texts(names, &text, 1, "/p", &o, &p, err, sizeof(err)), 0);
    assert_int_equal(compose_to_config(&p, COMPOSE_PROBES_ENGINE, &c, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        print_message("%s\n", want[i].svc);
        assert_int_equal(row(&c, want[i].svc)->u.docker.restart, want[i].restart);
        assert_int_equal(row(&c, want[i].svc)->u.docker.completes, want[i].job);
    }
    config_free(&c);
    compose_project_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_overlay_errors),
        cmocka_unit_test(test_restart_and_jobs),
        cmocka_unit_test(test_over_extension),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
