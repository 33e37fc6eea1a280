/* The health state machine against Docker's healthcheck semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "healthtop/health.h"
#include "support/check.h"

static struct svc_config svc(int retries, int replicas, int64_t start_period)
{
    struct svc_config c;
    memset(&c, 0, sizeof(c));
    c.retries = retries;
    c.replicas = replicas;
    c.start_period_ms = start_period;
    c.interval_ms = 1000;
    return c;
}

static struct probe_result res(int up, bool slow)
{
    struct probe_result r;
    memset(&r, 0, sizeof(r));
    r.up = up;
    r.found = up;
    r.ok = up > 0;
    r.slow = slow;
    return r;
}

static void test_verdict_from_result_and_replicas(void **state)
{
    (void)state;
    struct svc_config one = svc(3, 1, 0), two = svc(3, 2, 0), zero = svc(3, 0, 0);
    struct probe_result ok = res(1, false), slow = res(1, true), down = res(0, false);
    struct probe_result both = res(2, false), starting = res(0, false);
    starting.starting = true;

    assert_int_equal(health_verdict(&one, &ok), HEALTH_HEALTHY);
    assert_int_equal(health_verdict(&one, &slow), HEALTH_DEGRADED);
    assert_int_equal(health_verdict(&one, &down), HEALTH_UNHEALTHY);
    assert_int_equal(health_verdict(&two, &ok), HEALTH_DEGRADED);
    assert_int_equal(health_verdict(&two, &both), HEALTH_HEALTHY);
    assert_int_equal(health_verdict(&zero, &down), HEALTH_SKIPPED);
    assert_int_equal(health_verdict(&zero, &ok), HEALTH_HEALTHY);
    assert_int_equal(health_verdict(&one, &starting), HEALTH_STARTING);

    /* A probe that finds its replicas says more through ok: nothing up
     * as intended (an empty prometheus result, scaled to 0) is skipped;
     * enough up but some found down is degraded. */
    struct probe_result none_ok = res(0, false), some_down = res(2, false);
    none_ok.ok = true;
    some_down.found = 3;
    some_down.ok = false;
    assert_int_equal(health_verdict(&one, &none_ok), HEALTH_SKIPPED);
    assert_int_equal(health_verdict(&one, &some_down), HEALTH_DEGRADED);
}

static void test_retries_from_unknown(void **state)
{
    (void)state;
    struct svc_config c = svc(3, 1, 0);
    struct probe_result down = res(0, false), ok = res(1, false);
    struct health h;

    health_init(&h, 0);
    assert_int_equal(h.state, HEALTH_UNKNOWN);
    assert_true(health_apply(&h, &c, &down, 10));
    assert_int_equal(h.state, HEALTH_STARTING);
    assert_int_equal(h.first_seen_ms, 10);
    assert_false(health_apply(&h, &c, &down, 20));
    assert_int_equal(h.state, HEALTH_STARTING);
    assert_true(health_apply(&h, &c, &down, 30));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
    assert_int_equal(h.since_ms, 30);
    assert_int_equal(h.first_healthy_ms, -1);
    assert_true(health_apply(&h, &c, &ok, 40));
    assert_int_equal(h.state, HEALTH_HEALTHY);
    assert_int_equal(h.first_healthy_ms, 40);
    assert_int_equal(h.failures, 0);
}

static void test_healthy_survives_fewer_than_retries(void **state)
{
    (void)state;
    struct svc_config c = svc(3, 1, 0);
    struct probe_result down = res(0, false), ok = res(1, false);
    struct health h;

    health_init(&h, 0);
    health_apply(&h, &c, &ok, 1);
    assert_false(health_apply(&h, &c, &down, 2));
    assert_false(health_apply(&h, &c, &down, 3));
    assert_int_equal(h.state, HEALTH_HEALTHY);
    assert_false(health_apply(&h, &c, &ok, 4)); /* streak reset */
    health_apply(&h, &c, &down, 5);
    health_apply(&h, &c, &down, 6);
    assert_int_equal(h.state, HEALTH_HEALTHY);
    assert_true(health_apply(&h, &c, &down, 7));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
}

static void test_start_period(void **state)
{
    (void)state;
    struct svc_config c = svc(1, 1, 1000);
    struct probe_result down = res(0, false), ok = res(1, false);
    struct health h;

    health_init(&h, 0);
    for (int t = 100; t < 1000; t += 100)
        health_apply(&h, &c, &down, t);
    assert_int_equal(h.state, HEALTH_STARTING);
    assert_int_equal(h.failures, 0);
    assert_true(health_apply(&h, &c, &down, 1000));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
    health_apply(&h, &c, &ok, 1100);
    assert_int_equal(h.state, HEALTH_HEALTHY);
}

/* As in Docker: start_period forgives failures only while the service is
 * starting. One that answered once and then fails is not kept healthy
 * for the rest of the period. */
static void test_start_period_ends_once_up(void **state)
{
    (void)state;
    struct svc_config c = svc(1, 1, 10000);
    struct probe_result down = res(0, false), ok = res(1, false);
    struct health h;

    health_init(&h, 0);
    health_apply(&h, &c, &down, 500);
    assert_int_equal(h.state, HEALTH_STARTING);
    health_apply(&h, &c, &ok, 1000);
    assert_int_equal(h.state, HEALTH_HEALTHY);
    assert_true(health_apply(&h, &c, &down, 2000));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
}

/* A probe that began inside start_period and timed out after it is judged
 * by when it began, as Docker judges it; one that began after it counts. */
static void test_start_period_judged_by_probe_start(void **state)
{
    (void)state;
    struct svc_config c = svc(1, 1, 1000);
    struct probe_result down = res(0, false);
    struct health h;

    health_init(&h, 0);
    assert_true(health_apply_at(&h, &c, &down, 900, 1900));
    assert_int_equal(h.state, HEALTH_STARTING);
    assert_int_equal(h.failures, 0);
    assert_true(health_apply_at(&h, &c, &down, 1000, 2000));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
}

/* A container with its own healthcheck: Docker applied its retries, so
 * its verdict is taken as it comes, not counted again. */
static void test_engine_verdict_is_not_retried_again(void **state)
{
    (void)state;
    struct svc_config c = svc(3, 1, 0);
    struct probe_result ok = res(1, false), down = res(0, false);
    struct health h;

    ok.engine_verdict = down.engine_verdict = true;
    health_init(&h, 0);
    health_apply(&h, &c, &ok, 100);
    assert_int_equal(h.state, HEALTH_HEALTHY);
    assert_true(health_apply(&h, &c, &down, 200));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
    assert_true(health_apply(&h, &c, &ok, 300));
    assert_int_equal(h.state, HEALTH_HEALTHY);
}

static void test_state_names_and_severity(void **state)
{
    (void)state;
    struct probe_result down = res(0, false);
    struct health h;

    health_init(&h, 0);
    assert_true(health_set(&h, HEALTH_UNHEALTHY, &down, 5));
    assert_int_equal(h.state, HEALTH_UNHEALTHY);
    assert_string_equal(health_state_name(HEALTH_DEGRADED), "degraded");
    assert_string_equal(health_state_shout(HEALTH_SKIPPED), "NOT RUNNING");
    CHECK_GT("health_severity(HEALTH_UNHEALTHY)", health_severity(HEALTH_UNHEALTHY),
             health_severity(HEALTH_DEGRADED));
    assert_true(health_is_up(HEALTH_SKIPPED));
    assert_false(health_is_up(HEALTH_STARTING));
}

/* One of two workers answering is degraded, and degraded is not healthy:
 * the first healthy moment (timeline, JSON, --wait) waits for both. */
static void test_degraded_never_counts_as_first_healthy(void **state)
{
    (void)state;
    struct svc_config two = svc(3, 2, 0), one = svc(3, 1, 0);
    struct probe_result half = res(1, false), both = res(2, false), slow = res(1, true);
    struct health h;

    health_init(&h, 0);
    assert_true(health_apply(&h, &two, &half, 10));
    assert_int_equal(h.state, HEALTH_DEGRADED);
    assert_int_equal(h.first_healthy_ms, -1);
    assert_true(health_apply(&h, &two, &both, 20));
    assert_int_equal(h.first_healthy_ms, 20);

    health_init(&h, 0);
    assert_true(health_apply(&h, &one, &slow, 10));
    assert_int_equal(h.state, HEALTH_DEGRADED);
    assert_int_equal(h.first_healthy_ms, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_from_result_and_replicas),
        cmocka_unit_test(test_degraded_never_counts_as_first_healthy),
        cmocka_unit_test(test_retries_from_unknown),
        cmocka_unit_test(test_healthy_survives_fewer_than_retries),
        cmocka_unit_test(test_start_period),
        cmocka_unit_test(test_start_period_ends_once_up),
        cmocka_unit_test(test_start_period_judged_by_probe_start),
        cmocka_unit_test(test_engine_verdict_is_not_retried_again),
        cmocka_unit_test(test_state_names_and_severity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
