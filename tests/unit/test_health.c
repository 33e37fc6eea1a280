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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_from_result_and_replicas),
        cmocka_unit_test(test_retries_from_unknown),
        cmocka_unit_test(test_healthy_survives_fewer_than_retries),
        cmocka_unit_test(test_start_period),
        cmocka_unit_test(test_state_names_and_severity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
