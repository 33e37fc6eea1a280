/* The lint rules, each with a compose file that must trip it (the whole
 * diagnostic line it must print, place and all) and one that must not.
 * Adding a case is adding a row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compose/compose.h"
#include "compose/lint.h"
#include "healthtop/secret.h"

/* A service with a quick healthcheck, to depend on. */
#define HC "    healthcheck: {test: [CMD, true], interval: 5s, timeout: 2s, retries: 3}\n"

static const struct lint_case {
    const char *rule;
    const char *text;
    const char *want; /* a whole line of the text output; NULL: rule silent */
    const char *took; /* --from-recording: "service=ms" measured, or NULL */
} cases[] = {
    /* missing-dependency, with did-you-mean */
    {"missing-dependency",
     "services:\n  api:\n    image: x\n" HC "  web:\n    image: x\n    depends_on: [apii]\n",
     "a.yml:7:18: error: web depends on 'apii', which is not a service of this project (did you "
     "mean 'api'?) [missing-dependency]",
     NULL},
    {"missing-dependency",
     "services:\n  worker_light: {image: x}\n  worker_heavy: {image: x}\n"
     "  beat:\n    depends_on:\n      worker: {condition: service_started}\n",
     "a.yml:6:7: error: beat depends on 'worker', which is not a service of this project (did "
     "you mean 'worker_light' or 'worker_heavy'?) [missing-dependency]",
     NULL},
    {"missing-dependency",
     "services:\n  db: {image: x, profiles: [full]}\n  web: {image: x, depends_on: [db]}\n",
     "a.yml:3:32: error: web depends on db, which is not in the active profiles: compose "
     "refuses to start web [missing-dependency]",
     NULL},
    {"missing-dependency",
     "services:\n  api:\n    image: x\n" HC "  web:\n    image: x\n    depends_on:\n"
     "      api: {condition: service_healthy}\n",
     NULL, NULL},
    /* depends-started */
    {"depends-started",
     "services:\n  api:\n    image: x\n" HC "  worker:\n    depends_on:\n      api:\n"
     "        condition: service_started\n",
     "a.yml:8:20: warning: worker waits for api with condition service_started, but api has a "
     "healthcheck: it can start before api is ready [depends-started]",
     NULL},
    {"depends-started", "services:\n  api:\n    image: x\n" HC "  worker:\n    depends_on: [api]\n",
     "a.yml:6:18: warning: worker waits for api with condition service_started, but api has a "
     "healthcheck: it can start before api is ready [depends-started]",
     NULL},
    {"depends-started",
     "services:\n  api:\n    image: x\n" HC "  worker:\n    depends_on:\n      api:\n"
     "        condition: service_healthy\n",
     NULL, NULL},
    /* depends-healthy-no-healthcheck */
    {"depends-healthy-no-healthcheck",
     "services:\n  api: {image: x, healthcheck: {disable: true}}\n  worker:\n    depends_on:\n"
     "      api: {condition: service_healthy}\n",
     "a.yml:5:24: error: worker waits for api to be healthy, but api's healthcheck is disabled: "
     "compose fails to start worker [depends-healthy-no-healthcheck]",
     NULL},
    {"depends-healthy-no-healthcheck",
     "services:\n  api: {image: x}\n  worker:\n    depends_on:\n"
     "      api: {condition: service_healthy}\n",
     "a.yml:5:24: warning: worker waits for api to be healthy, but api has no healthcheck in the "
     "compose file: unless its image defines one, compose fails to start worker "
     "[depends-healthy-no-healthcheck]",
     NULL},
    {"depends-healthy-no-healthcheck",
     "services:\n  api:\n    image: x\n" HC "  worker:\n    depends_on:\n"
     "      api: {condition: service_healthy}\n",
     NULL, NULL},
    /* dependency-no-healthcheck */
    {"dependency-no-healthcheck",
     "services:\n  cache: {image: x}\n  a: {image: x, depends_on: [cache]}\n"
     "  b: {image: x, depends_on: [cache]}\n",
     "a.yml:2:3: warning: cache is a dependency of a, b but has no healthcheck: they can only "
     "wait for it to start, not to be ready [dependency-no-healthcheck]",
     NULL},
    {"dependency-no-healthcheck",
     "services:\n  cache:\n    image: x\n" HC "  a: {image: x, depends_on: {cache: {condition: "
     "service_healthy}}}\n",
     NULL, NULL},
    /* depends-scaled-to-zero */
    {"depends-scaled-to-zero",
     "services:\n  heavy:\n    image: x\n    deploy: {replicas: 0}\n" HC
     "  beat:\n    depends_on:\n      heavy: {condition: service_healthy}\n",
     "a.yml:8:7: warning: beat waits for heavy (service_healthy), but heavy is scaled to 0: the "
     "condition can never be met, and compose starts beat without it [depends-scaled-to-zero]",
     NULL},
    {"depends-scaled-to-zero",
     "services:\n  heavy:\n    image: x\n    scale: 0\n" HC
     "  beat:\n    depends_on:\n      heavy: {condition: service_healthy, required: false}\n",
     NULL, NULL},
    /* depends-cycle */
    {"depends-cycle",
     "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
     "    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n",
     "a.yml:10:18: error: depends_on cycle: a -> b -> c -> a: compose cannot start any of them "
     "[depends-cycle]",
     NULL},
    {"depends-cycle",
     "services:\n  a:\n    image: x\n    depends_on: [b, c]\n  b:\n    image: x\n"
     "    depends_on: [c]\n  c:\n    image: x\n",
     NULL, NULL},
    /* healthcheck-port */
    {"healthcheck-port",
     "services:\n  opik:\n    image: x\n    ports: ['5174:5174']\n    healthcheck:\n"
     "      test: [CMD, curl, -f, 'http://localhost:5173/health']\n",
     "a.yml:6:13: warning: opik's healthcheck checks port 5173 (http://localhost:5173/health), "
     "but opik listens on 5174 (its ports and expose): the check tests the wrong endpoint "
     "[healthcheck-port]",
     NULL},
    {"healthcheck-port",
     "services:\n  opik:\n    image: x\n    ports: ['5174:5174']\n    healthcheck:\n"
     "      test: [CMD, curl, -f, 'http://localhost:5173/health']\n",
     "  fix: test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:5174/health\"]", NULL},
    {"healthcheck-port",
     "services:\n  r:\n    image: x\n    expose: ['6380']\n    healthcheck:\n"
     "      test: redis-cli ping || exit 1\n",
     "a.yml:6:13: warning: r's healthcheck checks port 6379 (redis-cli's default), but r "
     "listens on 6380 (its ports and expose): the check tests the wrong endpoint "
     "[healthcheck-port]",
     NULL},
    {"healthcheck-port",
     "services:\n  p:\n    image: x\n    expose: [5432]\n    healthcheck:\n"
     "      test: nc -z localhost 5433\n",
     "a.yml:6:13: warning: p's healthcheck checks port 5433 (5433), but p listens on 5432 (its "
     "ports and expose): the check tests the wrong endpoint [healthcheck-port]",
     NULL},
    {"healthcheck-port",
     "services:\n  opik:\n    image: x\n    ports: ['8080:5173', '5174']\n    healthcheck:\n"
     "      test: curl -f http://localhost:5173/health || exit 1\n"
     "  other:\n    image: x\n    expose: [80]\n    healthcheck:\n"
     "      test: curl -f http://api:8000/health\n",
     NULL, NULL},
    /* slow-detection */
    {"slow-detection", "services:\n  a:\n    image: x\n    healthcheck:\n      test: [CMD, true]\n",
     "a.yml:4:5: warning: a's failure is seen only after 2m00s (interval 30.0s x retries 3 + "
     "timeout 30.0s; the engine's defaults for what is not given), more than 1m00s "
     "[slow-detection]",
     NULL},
    {"slow-detection",
     "services:\n  a:\n    image: x\n    healthcheck:\n      test: [CMD, true]\n"
     "      interval: 1m30s\n      timeout: 10s\n      retries: 3\n",
     "  fix: interval: 16s, timeout: 10s, retries: 3 (detects in 58.0s)", NULL},
    {"slow-detection", "services:\n  a:\n    image: x\n" HC, NULL, NULL},
    /* restart-unhealthy */
    {"restart-unhealthy", "services:\n  a:\n    image: x\n    restart: unless-stopped\n" HC,
     "a.yml:4:14: note: restart: unless-stopped restarts a container when its process exits, "
     "not when its healthcheck fails: outside Swarm the engine leaves an unhealthy container "
     "running (service a) [restart-unhealthy]",
     NULL},
    {"restart-unhealthy", "services:\n  a:\n    image: x\n    restart: always\n", NULL, NULL},
    /* start-period, from a recorded run */
    {"start-period",
     "services:\n  api:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n"
     "      interval: 5s\n      start_period: 30s\n",
     "a.yml:4:5: warning: api took 47.5s to become healthy in rec.jsonl, but its start_period is "
     "30.0s: the checks that fail while it starts count against its retries [start-period]",
     "api=47500"},
    {"start-period",
     "services:\n  api:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n"
     "      interval: 5s\n",
     "  fix: start_period: 15s", "api=12000"},
    {"start-period",
     "services:\n  api:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n"
     "      interval: 5s\n      start_period: 1m\n",
     NULL, "api=47500"},
};

/* Lints text as a.yml (with "name=ms" as measured in rec.jsonl when took
 * is given); the text output in a malloc'd string. */
static char *lint_took(const char *text, const char *took, struct lint_result *r)
{
    static const char *const names[] = {"a.yml"};
    struct compose_opts o = {0};
    struct lint_opts lo = {.max_detection_ms = 60000};
    struct lint_measured m;
    char name[64];
    struct compose_project p;
    char err[4096], *out = NULL;
    size_t len = 0;
    FILE *f;

    if (compose_load_texts(names, &text, 1, "/p", &o, &p, err, sizeof(err)) != 0) {
        print_error("compose error:\n%s\n", err);
        fail();
    }
    if (took != NULL) {
        const char *eq = strchr(took, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - took), took);
        m = (struct lint_measured){name, atoll(eq + 1)};
        lo.measured = &m;
        lo.nmeasured = 1;
        lo.measured_from = "rec.jsonl";
    }
    lint_run(&p, &lo, r);
    f = open_memstream(&out, &len);
    assert_int_equal(lint_write(f, LINT_TEXT, &p, r), 0);
    fclose(f);
    compose_project_free(&p);
    return out;
}

static char *lint_text(const char *text, struct lint_result *r)
{
    return lint_took(text, NULL, r);
}

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lint_result r;
        char *out = lint_took(cases[i].text, cases[i].took, &r), tag[128];
        snprintf(tag, sizeof(tag), "[%s]", cases[i].rule);
        if (cases[i].want == NULL ? strstr(out, tag) != NULL : strstr(out, cases[i].want) == NULL) {
            print_error("case %zu (%s): want %s%s\ngot:\n%s\n", i, cases[i].rule,
                        cases[i].want ? "the line " : "no finding",
                        cases[i].want ? cases[i].want : "", out);
            fail();
        }
        lint_result_free(&r);
        free(out);
    }
}

/* Every rule has a case that trips it and one that does not. live-check
 * needs real servers: its cases are in tests/integration/test_lint_live.sh. */
static void test_every_rule_covered(void **state)
{
    (void)state;
    for (size_t k = 0; k < lint_nrules; k++) {
        bool bad = false, good = false;
        if (strcmp(lint_rules[k].id, "live-check") == 0)
            continue;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            if (strcmp(cases[i].rule, lint_rules[k].id) == 0) {
                bad = bad || cases[i].want != NULL;
                good = good || cases[i].want == NULL;
            }
        if (!bad || !good) {
            print_error("rule %s lacks a %s case\n", lint_rules[k].id, bad ? "passing" : "failing");
            fail();
        }
    }
}

/* Findings are sorted by place; the counts add up. */
static void test_order_and_counts(void **state)
{
    struct lint_result r;
    char *out = lint_text("services:\n  b: {image: x, depends_on: [zz]}\n"
                          "  a: {image: x, depends_on: [yy]}\n",
                          &r);

    (void)state;
    assert_int_equal(r.n, 2);
    assert_int_equal(r.v[0].pos.line, 2);
    assert_int_equal(r.v[1].pos.line, 3);
    assert_int_equal(r.count[LINT_ERROR], 2);
    assert_non_null(strstr(out, "2 errors, 0 warnings, 0 notes in 2 services (project p)"));
    lint_result_free(&r);
    free(out);
}

/* A secret from the environment never reaches a diagnostic. */
static void test_secret_masked(void **state)
{
    struct lint_result r;
    char *out;

    (void)state;
    setenv("HT_LINT_SECRET", "s3cret-service", 1);
    out = lint_text("services:\n  a: {image: x, depends_on: ['${HT_LINT_SECRET}']}\n", &r);
    assert_null(strstr(out, "s3cret"));
    assert_non_null(strstr(out, "a depends on '***'"));
    lint_result_free(&r);
    free(out);
    secret_clear();
    unsetenv("HT_LINT_SECRET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_every_rule_covered),
        cmocka_unit_test(test_order_and_counts),
        cmocka_unit_test(test_secret_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
