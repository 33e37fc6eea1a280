/* The demo stack's life on a loop: its config, its servers on real
 * loopback ports, stop and revive (also both at once, while the close is
 * still in flight), and a close that leaves the loop with no handle. The
 * cold start itself, through the real probes, is in test_demo.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "demo/stack.h"
#include "support/check.h"

struct check {
    uv_tcp_t tcp;
    uv_connect_t req;
    int status; /* 1 while connecting, then 0 or a libuv error */
};

static void on_connect(uv_connect_t *req, int status)
{
    struct check *c = req->data;
    c->status = status;
    uv_close((uv_handle_t *)&c->tcp, NULL);
}

/* Connects to 127.0.0.1:port on loop; returns 0 or a libuv error. */
static int try_connect(uv_loop_t *loop, int port)
{
    struct check c = {.status = 1};
    struct sockaddr_in a;

    uv_ip4_addr("127.0.0.1", port, &a);
    uv_tcp_init(loop, &c.tcp);
    c.req.data = &c;
    assert_int_equal(uv_tcp_connect(&c.req, &c.tcp, (struct sockaddr *)&a, on_connect), 0);
    while (c.status == 1 || uv_is_closing((uv_handle_t *)&c.tcp) == 0)
        uv_run(loop, UV_RUN_ONCE);
    /* Let the close callback run. */
    uv_run(loop, UV_RUN_NOWAIT);
    return c.status;
}

static int port_of(struct stack *st, const char *name)
{
    const struct ht_config *cfg = stack_config(st);
    long i = config_find(cfg, name);
    const struct svc_config *c = &cfg->svcs[i];

    CHECK_GE("i", i, 0);
    if (c->kind == PROBE_REDIS)
        return c->u.redis.targets[0].port;
    return atoi(strrchr(c->u.http.urls[0], ':') + 1);
}

/* Connects to port again and again (running the loop, so that the
 * stack's closes and opens go on) until the outcome is want; fails with
 * the last outcome after TEST_PATIENCE_MS. */
static void wait_connect(uv_loop_t *loop, int port, int want, const char *what)
{
    int64_t deadline = test_deadline();
    int got;

    while ((got = try_connect(loop, port)) != want && test_before(deadline))
        uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ(what, got, want);
}

static void test_demo_config_has_twelve_services(void **state)
{
    (void)state;
    char err[512];
    struct stack *st = NULL;
    const struct ht_config *cfg;

    assert_int_equal(stack_new(4, &st, err, sizeof(err)), 0);
    assert_non_null(st);
    cfg = stack_config(st);
    assert_int_equal(cfg->nsvcs, 12);
    assert_string_equal(cfg->svcs[0].name, "redis");
    assert_int_equal(cfg->svcs[0].kind, PROBE_REDIS);
    long wl = config_find(cfg, "worker_light"), wh = config_find(cfg, "worker_heavy");
    long sch = config_find(cfg, "scheduler");
    assert_int_equal(cfg->svcs[wl].replicas, 2);
    assert_int_equal(cfg->svcs[wl].u.http.nurls, 2);
    assert_int_equal(cfg->svcs[wh].replicas, 0);
    assert_int_equal(cfg->svcs[sch].ndeps, 2);
    assert_string_equal(cfg->svcs[sch].depends_on[1], "worker_light");
    CHECK_CONTAINS("cfg->svcs[wl].label", cfg->svcs[wl].label, "simulated");
    /* Speed 4: probes every 500 ms; start_period covers the cold start. */
    assert_int_equal(cfg->svcs[0].interval_ms, 500);
    CHECK_GE("cfg->svcs[0].start_period_ms", cfg->svcs[0].start_period_ms, 30000);
    assert_int_equal(stack_toggle(st, "nosuch"), -1);
    stack_free(st);
}

static void test_stop_revive_and_close_leave_no_handle(void **state)
{
    (void)state;
    char err[512];
    struct stack *st = NULL;
    uv_loop_t loop;
    int redis, api, wl2;

    assert_int_equal(stack_new(50, &st, err, sizeof(err)), 0);
    assert_non_null(st);
    uv_loop_init(&loop);
    assert_int_equal(stack_listen(st, &loop, err, sizeof(err)), 0);
    redis = port_of(st, "redis");
    api = port_of(st, "api");
    wl2 = atoi(
        strrchr(
            stack_config(st)->svcs[config_find(stack_config(st), "worker_light")].u.http.urls[1],
            ':') +
        1);
    assert_true(redis > 1 && api > 1 && wl2 > 1 && redis != api);
    assert_int_equal(try_connect(&loop, redis), 0);
    assert_int_equal(try_connect(&loop, api), 0);
    assert_int_equal(try_connect(&loop, wl2), 0);

    /* Stopped: the port refuses; revived: the same port answers again. */
    assert_int_equal(stack_toggle(st, "redis"), 1);
    assert_false(stack_running(st, "redis"));
    wait_connect(&loop, redis, UV_ECONNREFUSED, "connect to stopped redis");
    assert_int_equal(stack_toggle(st, "redis"), 0);
    assert_true(stack_running(st, "redis"));
    assert_int_equal(try_connect(&loop, redis), 0);

    /* Stop and revive in one turn: the close is still in flight when the
     * revive comes, and the server opens again once it is done. */
    assert_int_equal(stack_toggle(st, "worker_light"), 1);
    assert_int_equal(stack_toggle(st, "worker_light"), 0);
    wait_connect(&loop, wl2, 0, "connect to revived worker_light");
    assert_int_equal(stack_toggle(st, "api"), 1);
    wait_connect(&loop, api, UV_ECONNREFUSED, "connect to stopped api");

    /* Closing leaves nothing on the loop, a stopped service included. */
    stack_close(st);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    stack_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_config_has_twelve_services),
        cmocka_unit_test(test_stop_revive_and_close_leave_no_handle),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
