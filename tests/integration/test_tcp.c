/* The tcp probe against real sockets on loopback: accepted, refused,
 * unresolvable, hanging (a listener whose backlog is full drops SYNs),
 * IPv6 literals, several replicas; one callback each, no fd left. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/check.h"
#include "support/probe_run.h"
#include "support/ports.h"

static struct svc_config tcp_svc(const char **addrs, size_t n, int64_t timeout_ms)
{
    struct svc_config s;
    test_svc_init(&s, "tcp", PROBE_TCP, timeout_ms);
    s.u.tcp.addrs = (char **)addrs;
    s.u.tcp.naddrs = n;
    s.replicas = (int)n;
    return s;
}

static struct probe_run run_tcp(const char *addr, int64_t timeout_ms)
{
    const char *addrs[1] = {addr};
    struct svc_config s = tcp_svc(addrs, 1, timeout_ms);
    return probe_run_one(&s);
}

static void test_connected_and_refused(void **state)
{
    (void)state;
    char addr[64];
    int port, fds = test_count_fds();
    int fd = test_listen(AF_INET, 16, &port);

    CHECK_GE("fd", fd, 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    struct probe_run r = run_tcp(addr, TEST_PATIENCE_MS);
    assert_int_equal(r.start_rc, 0);
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "connected");
    CHECK_GE("r.p.result.connect_us", r.p.result.connect_us, 0);
    assert_int_equal(r.p.result.connect_us, r.p.result.latency_us);

    snprintf(addr, sizeof(addr), "localhost:%d", port);
    r = run_tcp(addr, TEST_PATIENCE_MS);
    assert_true(r.p.result.ok);
    close(fd);

    r = run_tcp(addr, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "connection refused");
    assert_int_equal(r.p.result.connect_us, -1);
    assert_int_equal(test_count_fds(), fds);
}

static void test_ipv6_literal(void **state)
{
    (void)state;
    char addr[64];
    int port;
    int fd = test_listen(AF_INET6, 16, &port);

    if (fd < 0)
        skip(); /* no IPv6 loopback here */
    snprintf(addr, sizeof(addr), "[::1]:%d", port);
    struct probe_run r = run_tcp(addr, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    close(fd);
    r = run_tcp(addr, TEST_PATIENCE_MS);
    assert_string_equal(r.p.result.message, "connection refused");
}

static void test_bad_names(void **state)
{
    (void)state;
    struct probe_run r = run_tcp("nonexistent.invalid:80", TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "cannot resolve nonexistent.invalid");

    r = run_tcp("no-port-here", 1000);
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.p.result.message, "not host:port: no-port-here");
    r = run_tcp("127.0.0.1:70000", 1000);
    assert_string_equal(r.p.result.message, "not host:port: 127.0.0.1:70000");
}

/* A listener with backlog 0 whose queue is already full drops further
 * SYNs, so a connect to it neither succeeds nor fails: a hanging host. */
static void test_dropped_syn_times_out(void **state)
{
    (void)state;
    char addr[64];
    int port, fillers[4], nfill = 4, fds = test_count_fds();
    int fd = test_listen(AF_INET, 0, &port);

    CHECK_GE("fd", fd, 0);
    for (int i = 0; i < nfill; i++)
        fillers[i] = test_fill_backlog(port);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    struct probe_run r = run_tcp(addr, 1000);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "timeout after 1.0s");
    CHECK_GE("ms to the timeout", r.done_ms, 900);
    for (int i = 0; i < nfill; i++)
        close(fillers[i]);
    close(fd);
    assert_int_equal(test_count_fds(), fds);
}

static void test_replicas_name_the_missing_one(void **state)
{
    (void)state;
    char a1[64], a2[64], a3[64];
    int port, fds = test_count_fds();
    int fd = test_listen(AF_INET, 16, &port);
    const char *addrs[3] = {a1, a2, a3};

    CHECK_GE("fd", fd, 0);
    snprintf(a1, sizeof(a1), "127.0.0.1:%d", port);
    snprintf(a2, sizeof(a2), "127.0.0.1:%d", test_free_port());
    snprintf(a3, sizeof(a3), "localhost:%d", port);

    struct svc_config s = tcp_svc(addrs, 2, TEST_PATIENCE_MS);
    struct probe_run r = probe_run_one(&s);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_int_equal(r.p.result.up, 1);
    assert_int_equal(r.p.result.found, 2);
    assert_string_equal(r.p.result.message, "replica 2: connection refused");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "replica 1: connected");

    /* Enough replicas up: healthy, the missing one still named. */
    s = tcp_svc(addrs, 3, TEST_PATIENCE_MS);
    s.replicas = 2;
    r = probe_run_one(&s);
    assert_true(r.p.result.ok);
    assert_int_equal(r.p.result.up, 2);
    assert_int_equal(r.p.result.found, 3);
    assert_string_equal(r.p.result.message, "replica 2: connection refused");

    /* All up. */
    addrs[1] = a3;
    s = tcp_svc(addrs, 2, TEST_PATIENCE_MS);
    r = probe_run_one(&s);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "connected");
    close(fd);
    assert_int_equal(test_count_fds(), fds);
}

static atomic_int pool_release; /* set: the busy work may end */
static atomic_int pool_ended;   /* busy work items that ended */

/* Holds a pool thread until the test releases it (or, stuck, until the
 * test's patience runs out). */
static void busy_work(uv_work_t *w)
{
    int64_t deadline = test_deadline();

    (void)w;
    while (!atomic_load(&pool_release) && test_nap_before(deadline))
        ;
    atomic_fetch_add(&pool_ended, 1);
}

static void busy_done(uv_work_t *w, int status)
{
    (void)w;
    (void)status;
}

/* libuv's thread pool (shared by every loop, 4 threads) busy with slow
 * work, as with hanging DNS lookups: a numeric address never waits for
 * it. */
static void test_numeric_skips_thread_pool(void **state)
{
    (void)state;
    char addr[64];
    uv_loop_t other;
    uv_work_t work[8];
    int port, fd = test_listen(AF_INET, 16, &port);

    CHECK_GE("fd", fd, 0);
    assert_int_equal(uv_loop_init(&other), 0);
    atomic_store(&pool_release, 0);
    atomic_store(&pool_ended, 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(uv_queue_work(&other, &work[i], busy_work, busy_done), 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    /* A probe that needed the pool would wait for the busy work, which
     * outlasts this timeout. */
    struct probe_run r = run_tcp(addr, TEST_PATIENCE_MS / 2);
    assert_int_equal(r.calls, 1);
    CHECK_STR("message with the pool busy", r.p.result.message, "connected");
    CHECK_EQ("busy work items ended before the probe answered", atomic_load(&pool_ended), 0);
    atomic_store(&pool_release, 1);
    uv_run(&other, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&other), 0);
    close(fd);
}

static void test_batch_one_callback_each_no_fd_left(void **state)
{
    (void)state;
    enum { N = 40 };
    char addrs[N][64];
    const char *ptr[N];
    struct svc_config svcs[N];
    const struct svc_config *sp[N];
    struct probe_run runs[N];
    int port, fds = test_count_fds();
    int fd = test_listen(AF_INET, 128, &port);
    int down = test_free_port();

    for (int i = 0; i < N; i++) {
        snprintf(addrs[i], sizeof(addrs[i]), "127.0.0.1:%d", i % 2 ? port : down);
        ptr[i] = addrs[i];
        svcs[i] = tcp_svc(&ptr[i], 1, TEST_PATIENCE_MS);
        sp[i] = &svcs[i];
    }
    CHECK_GE("probe_run_batch(runs, sp, N, 0)", probe_run_batch(runs, sp, N, 0), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(runs[i].calls, 1);
        assert_int_equal(runs[i].p.result.ok, i % 2 == 1);
    }
    close(fd);
    assert_int_equal(test_count_fds(), fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connected_and_refused),
        cmocka_unit_test(test_ipv6_literal),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_dropped_syn_times_out),
        cmocka_unit_test(test_replicas_name_the_missing_one),
        cmocka_unit_test(test_numeric_skips_thread_pool),
        cmocka_unit_test(test_batch_one_callback_each_no_fd_left),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, probe_run_warmup, NULL);
}
