/* The docker mapper on recorded Docker and Podman answers
 * (tests/data/docker/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/docker_map.h"
#include "support/check.h"

static char *slurp(const char *name, size_t *len)
{
    const char *dir = getenv("HT_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char *data;

    snprintf(path, sizeof(path), "%s/tests/data/docker/%s", dir ? dir : ".", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    data = malloc(*len + 1);
    assert_int_equal(fread(data, 1, *len, f), *len);
    data[*len] = '\0';
    fclose(f);
    return data;
}

static struct docker_ctr *load_list(const char *name, size_t *n)
{
    size_t len;
    char *json = slurp(name, &len);
    struct docker_ctr *c;
    char why[128];

    assert_int_equal(docker_map_list(json, len, &c, n, why, sizeof(why)), 0);
    free(json);
    return c;
}

static struct docker_ctr *find(struct docker_ctr *c, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return &c[i];
    fail_msg("no container %s", name);
    return NULL;
}

static void inspect(struct docker_ctr *c, const char *file)
{
    size_t len;
    char *json = slurp(file, &len);
    assert_int_equal(docker_map_inspect(json, len, c), 0);
    free(json);
}

static struct probe_result map(struct docker_ctr *c, size_t n, const char *project,
                               const char *service, int replicas)
{
    struct docker_config dc = {.service = (char *)service, .project = (char *)project};
    struct probe_result r;

    memset(&r, 0, sizeof(r));
    docker_map_result(c, n, &dc, replicas, &r);
    return r;
}

static void test_docker_list_fields(void **state)
{
    size_t n;
    struct docker_ctr *c = load_list("docker_list.json", &n);

    (void)state;
    assert_int_equal(n, 11);
    struct docker_ctr *w = find(c, n, "e2i-web-1");
    assert_string_equal(w->service, "web");
    assert_string_equal(w->project, "e2i");
    assert_string_equal(w->state, "running");
    assert_int_equal(w->health, DOCKER_HEALTH_HEALTHY);
    assert_false(docker_ctr_needs_inspect(w));
    assert_int_equal(find(c, n, "e2i-worker-1")->health, DOCKER_HEALTH_STARTING);
    assert_int_equal(find(c, n, "e2i-sick-1")->health, DOCKER_HEALTH_UNHEALTHY);
    assert_true(docker_ctr_needs_inspect(find(c, n, "e2i-sick-1")));
    assert_int_equal(find(c, n, "e2i-flappy-1")->exit_code, 1);
    assert_int_equal(find(c, n, "e2i-job-1")->exit_code, 137);
    assert_string_equal(find(c, n, "e2i-frozen-1")->state, "paused");
    struct docker_ctr *s = find(c, n, "e2i-scheduler-1");
    assert_int_equal(s->health, DOCKER_HEALTH_UNKNOWN);
    assert_true(docker_ctr_needs_inspect(s));
    assert_false(docker_ctr_needs_inspect(find(c, n, "e2i-job-1")));
    assert_int_equal(w->created, find(c, n, "e2i-web-1")->created);
    assert_true(w->created >= 1764300001 && w->created <= 1764300011);
    /* The result carries the earliest creation of the service's containers. */
    struct probe_result r = map(c, n, "e2i", NULL, 1);
    int64_t earliest = c[0].created;
    for (size_t i = 0; i < n; i++)
        if (c[i].created < earliest)
            earliest = c[i].created;
    assert_int_equal(r.since_wall_ms, earliest * 1000);
    free(c);
}

static void test_docker_states(void **state)
{
    size_t n;
    struct docker_ctr *c = load_list("docker_list.json", &n);
    struct probe_result r;

    (void)state;
    r = map(c, n, "e2i", "web", 2);
    assert_true(r.ok);
    assert_int_equal(r.up, 2);
    assert_int_equal(r.found, 2);
    assert_string_equal(r.message, "2 running (healthy)");
    assert_string_equal(r.detail, "e2i-web-1: running (healthy); e2i-web-2: running (healthy)");
    /* Without a project, other projects' web containers count too. */
    r = map(c, n, NULL, "web", 2);
    assert_int_equal(r.found, 3);
    assert_true(r.ok);
    r = map(c, n, "e2i", "web", 3);
    assert_false(r.ok);
    assert_string_equal(r.message, "2 of 3 running");

    r = map(c, n, "e2i", "worker", 1);
    assert_false(r.ok);
    assert_true(r.starting);
    assert_int_equal(r.up, 0);
    assert_string_equal(r.message, "health: starting");

    r = map(c, n, "e2i", "sick", 1);
    assert_false(r.ok);
    assert_false(r.starting);
    assert_string_equal(r.message, "unhealthy");
    inspect(find(c, n, "e2i-sick-1"), "docker_inspect_sick.json");
    r = map(c, n, "e2i", "sick", 1);
    assert_string_equal(r.message, "unhealthy: database is down retrying later");
    assert_string_equal(
        r.detail, "e2i-sick-1: unhealthy: database is down retrying later (failing streak 3)");

    r = map(c, n, "e2i", "flappy", 1);
    assert_string_equal(r.message, "restarting (1)");
    r = map(c, n, "e2i", "job", 1);
    assert_string_equal(r.message, "exited (137)");
    r = map(c, n, "e2i", "frozen", 1);
    assert_string_equal(r.message, "paused");
    r = map(c, n, "e2i", "gone", 1);
    assert_string_equal(r.message, "dead");
    r = map(c, n, "e2i", "new", 1);
    assert_string_equal(r.message, "created");

    inspect(find(c, n, "e2i-scheduler-1"), "docker_inspect_scheduler.json");
    assert_int_equal(find(c, n, "e2i-scheduler-1")->health, DOCKER_HEALTH_NONE);
    r = map(c, n, "e2i", "scheduler", 1);
    assert_true(r.ok);
    assert_int_equal(r.up, 1);
    assert_string_equal(r.message, "running");

    r = map(c, n, "e2i", "heavy", 1);
    assert_false(r.ok);
    assert_int_equal(r.found, 0);
    assert_string_equal(r.message, "no containers");
    r = map(c, n, "e2i", "heavy", 0);
    assert_false(r.ok);
    assert_int_equal(r.up, 0);
    free(c);
}

/* The engine's verdict is taken as it comes only when every container of
 * the service runs its own healthcheck (Docker applied its retries); a
 * container without one, or one not running, is judged here. */
static void test_engine_verdict_only_with_healthchecks(void **state)
{
    size_t n;
    struct docker_ctr *c = load_list("docker_list.json", &n);
    struct probe_result r;

    (void)state;
    r = map(c, n, "e2i", "web", 2); /* both (healthy) */
    assert_true(r.engine_verdict);
    r = map(c, n, "e2i", "sick", 1); /* (unhealthy) */
    assert_true(r.engine_verdict);
    r = map(c, n, "e2i", "worker", 1); /* (health: starting) */
    assert_true(r.engine_verdict);
    inspect(find(c, n, "e2i-scheduler-1"), "docker_inspect_scheduler.json");
    r = map(c, n, "e2i", "scheduler", 1); /* no healthcheck */
    assert_false(r.engine_verdict);
    r = map(c, n, "e2i", "job", 1); /* exited */
    assert_false(r.engine_verdict);
    r = map(c, n, "e2i", "heavy", 1); /* no containers */
    assert_false(r.engine_verdict);
    free(c);
}

/* The worst container names the trouble; running ones are counted. */
static void test_docker_mixed_states_count_replicas(void **state)
{
    size_t n;
    struct docker_ctr *c = load_list("docker_list.json", &n);
    struct probe_result r;

    (void)state;
    r = map(c, n, "e2i", NULL, 3);
    assert_int_equal(r.found, 10);
    assert_int_equal(r.up, 3); /* web x2, scheduler (not inspected: no health known) */
    assert_true(r.ok);
    r = map(c, n, "e2i", NULL, 5);
    assert_false(r.ok);
    assert_string_equal(r.message, "3 running, unhealthy");
    free(c);
}

/* A `docker compose run` container of a service is not one of its
 * replicas: the service's one running container counts, the job's not. */
static void test_oneoff_left_out(void **state)
{
    static const char list[] =
        "[{\"Id\": \"a1\", \"Names\": [\"/e2i-api-1\"], \"State\": \"running\", "
        "\"Status\": \"Up 1 minute\", \"Labels\": {\"com.docker.compose.project\": \"e2i\", "
        "\"com.docker.compose.service\": \"api\", \"com.docker.compose.oneoff\": \"False\"}},"
        " {\"Id\": \"b2\", \"Names\": [\"/e2i-api-run-3f2a\"], \"State\": \"exited\", "
        "\"Status\": \"Exited (1) 5 seconds ago\", \"Labels\": {\"com.docker.compose.project\": "
        "\"e2i\", \"com.docker.compose.service\": \"api\", \"com.docker.compose.oneoff\": "
        "\"True\"}}]";
    struct docker_ctr *c;
    struct probe_result r;
    char why[128];
    size_t n;

    (void)state;
    assert_int_equal(docker_map_list(list, strlen(list), &c, &n, why, sizeof(why)), 0);
    assert_int_equal(n, 2);
    assert_false(c[0].oneoff);
    assert_true(c[1].oneoff);
    r = map(c, n, "e2i", "api", 1);
    assert_int_equal(r.found, 1);
    assert_true(r.ok);
    assert_string_equal(r.message, "running");
    free(c);
}

static void test_podman_list_needs_inspect(void **state)
{
    size_t n;
    struct docker_ctr *c = load_list("podman_list.json", &n);
    struct probe_result r;
    const char *names[] = {"e2i-web-1", "e2i-sick-1", "e2i-ok-1", "e2i-job-1", "e2i-new-1"};
    char file[128];

    (void)state;
    assert_int_equal(n, 5);
    /* Podman gives no health suffix: every running one needs inspect. */
    assert_true(docker_ctr_needs_inspect(find(c, n, "e2i-ok-1")));
    assert_false(docker_ctr_needs_inspect(find(c, n, "e2i-job-1")));
    assert_int_equal(find(c, n, "e2i-job-1")->exit_code, 3);
    for (size_t i = 0; i < HT_ARRAY_LEN(names); i++) {
        snprintf(file, sizeof(file), "podman_inspect_%s.json", names[i]);
        inspect(find(c, n, names[i]), file);
    }
    assert_int_equal(find(c, n, "e2i-web-1")->health, DOCKER_HEALTH_NONE);
    assert_int_equal(find(c, n, "e2i-ok-1")->health, DOCKER_HEALTH_HEALTHY);
    r = map(c, n, "e2i", "web", 1);
    assert_true(r.ok);
    assert_string_equal(r.message, "running");
    r = map(c, n, "e2i", "ok", 1);
    assert_true(r.ok);
    assert_string_equal(r.message, "running (healthy)");
    r = map(c, n, "e2i", "sick", 1);
    assert_false(r.ok);
    assert_string_equal(r.message, "unhealthy: db down");
    assert_string_equal(r.detail, "e2i-sick-1: unhealthy: db down (failing streak 1)");
    r = map(c, n, "e2i", "job", 1);
    assert_string_equal(r.message, "exited (3)");
    r = map(c, n, "e2i", "new", 1);
    assert_string_equal(r.message, "created");
    free(c);
}

/* Podman's own listing gives the health in Status: no inspect is needed
 * to know it, only for an unhealthy one's reason. */
static void test_podman_libpod_list_has_health(void **state)
{
    size_t len, n;
    char *json = slurp("podman_libpod_list.json", &len);
    struct docker_ctr *c;
    char why[128];
    struct probe_result r;

    (void)state;
    assert_int_equal(docker_map_list_libpod(json, len, &c, &n, why, sizeof(why)), 0);
    free(json);
    assert_int_equal(n, 5);
    assert_int_equal(find(c, n, "htperf-s1")->health, DOCKER_HEALTH_HEALTHY);
    assert_int_equal(find(c, n, "htperf-s2")->health, DOCKER_HEALTH_UNHEALTHY);
    assert_int_equal(find(c, n, "htperf-s3")->health, DOCKER_HEALTH_NONE);
    assert_false(docker_ctr_needs_inspect(find(c, n, "htperf-s1")));
    assert_false(docker_ctr_needs_inspect(find(c, n, "htperf-s3")));
    assert_true(docker_ctr_needs_inspect(find(c, n, "htperf-s2")));
    assert_string_equal(find(c, n, "htperf-job")->state, "exited");
    assert_int_equal(find(c, n, "htperf-job")->exit_code, 3);
    assert_string_equal(find(c, n, "htperf-new")->state, "created");
    assert_int_equal(find(c, n, "htperf-s1")->created, 1796283503); /* 2026-12-03T07:38:23Z */
    r = map(c, n, "htperf", NULL, 5);
    assert_false(r.ok); /* 2 of 5 up: the worst one names the trouble */
    assert_int_equal(r.up, 2);
    assert_int_equal(r.found, 5);
    assert_string_equal(r.message, "2 running, unhealthy");
    free(c);
}

/* The engine's own times: RFC 3339 in its forms, and a container's start
 * and the moment its health log says it became healthy. */
static void test_engine_times(void **state)
{
    const int64_t t0 = 1764298800000LL; /* 2025-11-28T03:00:00Z */
    size_t n;
    struct docker_ctr *c = load_list("docker_list.json", &n);
    struct probe_result r;
    char log[2048];
    size_t len = 0;

    (void)state;
    assert_int_equal(docker_time_ms("2025-11-28T03:00:00Z"), t0);
    assert_int_equal(docker_time_ms("2025-11-28T03:00:00.123456789Z"), t0 + 123);
    assert_int_equal(docker_time_ms("2025-11-28T04:00:00.5+01:00"), t0 + 500);
    assert_int_equal(docker_time_ms("2025-11-28T02:30:00-00:30"), t0);
    assert_int_equal(docker_time_ms("0001-01-01T00:00:00Z"), 0); /* Go's zero time */
    assert_int_equal(docker_time_ms("2025-11-28 03:00:00Z"), 0);
    assert_int_equal(docker_time_ms("2025-11-28T03:00:00"), 0);
    assert_int_equal(docker_time_ms("2025-11-28T03:00:00.Z"), 0);
    assert_int_equal(docker_time_ms("2025-11-28T03:00:00+01:00junk"), 0);
    assert_int_equal(docker_time_ms(NULL), 0);

    /* web: started 02:58:00, failed one check, passed at 02:58:10.250. */
    const int64_t web_start = docker_time_ms("2026-11-28T02:58:00Z");
    inspect(find(c, n, "e2i-web-1"), "docker_inspect_web.json");
    inspect(find(c, n, "e2i-web-2"), "docker_inspect_web.json");
    assert_int_equal(find(c, n, "e2i-web-1")->started_ms, web_start);
    assert_int_equal(find(c, n, "e2i-web-1")->healthy_ms, web_start + 10250);
    /* scheduler has no healthcheck: healthy as it started. */
    inspect(find(c, n, "e2i-scheduler-1"), "docker_inspect_scheduler.json");
    assert_int_equal(find(c, n, "e2i-scheduler-1")->healthy_ms,
                     find(c, n, "e2i-scheduler-1")->started_ms);
    r = map(c, n, "e2i", "scheduler", 1);
    assert_true(r.ok);
    assert_int_equal(r.began_wall_ms, docker_time_ms("2026-11-28T03:00:00Z"));
    assert_int_equal(r.healthy_wall_ms, r.began_wall_ms);
    /* worker is still starting: its start known, no healthy time. */
    inspect(find(c, n, "e2i-worker-1"), "docker_inspect_worker.json");
    assert_int_equal(find(c, n, "e2i-worker-1")->started_ms,
                     docker_time_ms("2026-11-28T02:04:55Z"));
    r = map(c, n, "e2i", "worker", 1);
    assert_int_equal(r.healthy_wall_ms, 0);

    /* Five checks kept, all after the start: the first may be gone, so
     * when it became healthy is not known. */
    len += (size_t)snprintf(log + len, sizeof(log) - len,
                            "{\"State\": {\"Status\": \"running\", \"StartedAt\": "
                            "\"2026-11-28T02:58:00Z\", \"Health\": {\"Status\": \"healthy\", "
                            "\"Log\": [");
    for (int i = 0; i < 5; i++)
        len += (size_t)snprintf(log + len, sizeof(log) - len,
                                "%s{\"Start\": \"2026-11-28T03:0%d:00Z\", \"End\": "
                                "\"2026-11-28T03:0%d:01Z\", \"ExitCode\": 0}",
                                i ? ", " : "", i, i);
    len += (size_t)snprintf(log + len, sizeof(log) - len, "]}}}");
    struct docker_ctr *w1 = find(c, n, "e2i-web-1");
    assert_int_equal(docker_map_inspect(log, len, w1), 0);
    assert_int_equal(w1->started_ms, web_start);
    assert_int_equal(w1->healthy_ms, 0);
    /* Both web replicas must be known for the service's time. */
    r = map(c, n, "e2i", "web", 2);
    assert_true(r.ok);
    assert_int_equal(r.healthy_wall_ms, 0);
    assert_int_equal(r.began_wall_ms, web_start);
    free(c);
}

static void test_bad_engine_answers_are_errors(void **state)
{
    struct docker_ctr *c = NULL, one;
    size_t n = 7;
    char why[128];

    (void)state;
    assert_int_equal(docker_map_list("[{", 2, &c, &n, why, sizeof(why)), -1);
    assert_null(c);
    assert_int_equal(n, 0);
    CHECK_CONTAINS("why", why, "bad JSON");
    const char *err = "{\"message\":\"client version 1.41 is too new\"}";
    assert_int_equal(docker_map_list(err, strlen(err), &c, &n, why, sizeof(why)), -1);
    assert_string_equal(why, "engine: client version 1.41 is too new");
    /* Wrong types everywhere: parsed as empty fields, never a crash. */
    const char *odd = "[1, {\"Names\": 3, \"Labels\": [], \"State\": 5, \"Status\": \"Up\"}, "
                      "{\"Status\": \"Exited (999999999999) x\"}, {\"Status\": \"(\"}]";
    assert_int_equal(docker_map_list(odd, strlen(odd), &c, &n, why, sizeof(why)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(c[0].state, "running");
    assert_string_equal(c[1].state, "exited");
    assert_int_equal(c[1].exit_code, -1);
    assert_string_equal(c[2].state, "unknown");
    free(c);
    assert_int_equal(docker_map_list("[]", 2, &c, &n, why, sizeof(why)), 0);
    assert_int_equal(n, 0);
    assert_null(c);

    memset(&one, 0, sizeof(one));
    ht_strlcpy(one.state, "running", sizeof(one.state));
    assert_int_equal(docker_map_inspect("[]", 2, &one), -1);
    const char *h = "{\"State\":{\"Health\":{\"Status\":\"unhealthy\",\"Log\":[{}]}}}";
    assert_int_equal(docker_map_inspect(h, strlen(h), &one), 0);
    assert_int_equal(one.health, DOCKER_HEALTH_UNHEALTHY);
    assert_string_equal(one.output, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker_list_fields),
        cmocka_unit_test(test_docker_states),
        cmocka_unit_test(test_engine_verdict_only_with_healthchecks),
        cmocka_unit_test(test_docker_mixed_states_count_replicas),
        cmocka_unit_test(test_oneoff_left_out),
        cmocka_unit_test(test_podman_list_needs_inspect),
        cmocka_unit_test(test_podman_libpod_list_has_health),
        cmocka_unit_test(test_engine_times),
        cmocka_unit_test(test_bad_engine_answers_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
