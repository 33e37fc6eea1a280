/* The redis probe against real redis-server processes started here (one
 * open, one with --requirepass), plus stand-ins for states a real server
 * cannot be held in reliably: a listener that never answers, and a tiny
 * RESP server in a thread answering -LOADING (a real Redis says that only
 * while it loads a large dataset, for a time we cannot control). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "healthtop/secret.h"
#include "probes/redis_uv.h"
#include "support/check.h"
#include "support/probe_run.h"
#include "support/redis_server.h"

#define PASSWORD "s3cret-pass-42"

static struct redis_server plain, locked;

static int setup(void **state)
{
    if (redis_server_start(&plain, 0, NULL, NULL) != 0 ||
        redis_server_start(&locked, 0, PASSWORD, NULL) != 0) {
        fprintf(stderr, "cannot start redis-server\n");
        return -1;
    }
    secret_add(PASSWORD);
    return probe_run_warmup(state);
}

static int teardown(void **state)
{
    (void)state;
    redis_server_stop(&plain);
    redis_server_stop(&locked);
    return 0;
}

struct target_spec {
    const char *host;
    int port;
    int db;
    const char *user;
    const char *password;
};

#define MAX_TARGETS 4

/* A service built by hand (no config parsing in these tests). */
struct redis_svc {
    struct svc_config svc;
    struct redis_target targets[MAX_TARGETS];
};

static void redis_svc_init(struct redis_svc *rs, const struct target_spec *specs, size_t n,
                           int64_t timeout_ms)
{
    memset(rs, 0, sizeof(*rs));
    test_svc_init(&rs->svc, "redis", PROBE_REDIS, timeout_ms);
    for (size_t i = 0; i < n; i++) {
        rs->targets[i].host = (char *)specs[i].host;
        rs->targets[i].port = specs[i].port;
        rs->targets[i].db = specs[i].db;
        rs->targets[i].user = (char *)specs[i].user;
        rs->targets[i].password = (char *)specs[i].password;
        rs->targets[i].url = (char *)"redis://test";
    }
    rs->svc.u.redis.targets = rs->targets;
    rs->svc.u.redis.ntargets = n;
    rs->svc.replicas = (int)n;
}

static struct probe_run run1(struct target_spec spec, int64_t timeout_ms)
{
    struct redis_svc rs;
    redis_svc_init(&rs, &spec, 1, timeout_ms);
    return probe_run_one(&rs.svc);
}

static void assert_msg(const struct probe_run *r, bool ok, const char *msg)
{
    assert_int_equal(r->start_rc, 0);
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->p.result.ok, ok);
    assert_int_equal(r->p.result.up, ok ? 1 : 0);
    assert_int_equal(r->p.result.found, 1);
    assert_string_equal(r->p.result.message, msg);
}

static void test_ping_answers_pong(void **state)
{
    (void)state;
    int fds = test_count_fds();
    struct probe_run r =
        run1((struct target_spec){"127.0.0.1", plain.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    CHECK_GT("r.p.result.latency_us", r.p.result.latency_us, 0);
    CHECK_GE("r.p.result.connect_us", r.p.result.connect_us, 0);
    CHECK_LE("r.p.result.connect_us", r.p.result.connect_us, r.p.result.latency_us);

    r = run1((struct target_spec){"localhost", plain.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    assert_int_equal(test_count_fds(), fds);
}

static void test_auth_and_its_failure(void **state)
{
    (void)state;
    int p = locked.port;
    struct probe_run r =
        run1((struct target_spec){"127.0.0.1", p, 0, NULL, PASSWORD}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    r = run1((struct target_spec){"127.0.0.1", p, 0, "default", PASSWORD}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");

    /* The AUTH failure itself, not the NOAUTH of the PING behind it. */
    r = run1((struct target_spec){"127.0.0.1", p, 0, NULL, "wrong-password"}, TEST_PATIENCE_MS);
    assert_false(r.p.result.ok);
    assert_int_equal(r.calls, 1);
    assert_true(strncmp(r.p.result.message, "WRONGPASS invalid username-password pair", 40) == 0);
    r = run1((struct target_spec){"127.0.0.1", p, 3, "default", "wrong-password"},
             TEST_PATIENCE_MS);
    assert_true(strncmp(r.p.result.message, "WRONGPASS invalid username-password pair", 40) == 0);

    r = run1((struct target_spec){"127.0.0.1", p, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "NOAUTH Authentication required.");

    /* A password for a server that has none: an error, shown as such. */
    r = run1((struct target_spec){"127.0.0.1", plain.port, 0, NULL, PASSWORD}, TEST_PATIENCE_MS);
    assert_false(r.p.result.ok);
    assert_true(strncmp(r.p.result.message, "ERR AUTH", 8) == 0);
    CHECK_LACKS("r.p.result.message", r.p.result.message, PASSWORD);
}

static void test_select_db_and_bad_index(void **state)
{
    (void)state;
    struct probe_run r =
        run1((struct target_spec){"127.0.0.1", plain.port, 3, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    r = run1((struct target_spec){"127.0.0.1", locked.port, 3, NULL, PASSWORD}, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    r = run1((struct target_spec){"127.0.0.1", plain.port, 99, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "ERR DB index is out of range");
}

static void test_refused_and_unresolvable(void **state)
{
    (void)state;
    int fds = test_count_fds();
    struct probe_run r = run1(
        (struct target_spec){"127.0.0.1", test_free_port(), 0, NULL, PASSWORD}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "connection refused");
    assert_int_equal(r.p.result.connect_us, -1);

    r = run1((struct target_spec){"nonexistent.invalid", 6379, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "cannot resolve nonexistent.invalid");
    assert_int_equal(test_count_fds(), fds);
}

/* The kernel accepts the connection into the backlog; nobody ever reads
 * the PING. */
static void test_hanging_server_times_out(void **state)
{
    (void)state;
    int port, fds = test_count_fds();
    int fd = test_listen(AF_INET, 16, &port);

    CHECK_GE("fd", fd, 0);
    struct probe_run r = run1((struct target_spec){"127.0.0.1", port, 0, NULL, NULL}, 1000);
    assert_msg(&r, false, "timeout after 1.0s");
    CHECK_GE("ms to the timeout", r.done_ms, 900);
    close(fd);

    /* A listener whose backlog is full drops the SYN: the connect itself
     * hangs, and the context is freed before it ever connected. */
    int fillers[4];
    fd = test_listen(AF_INET, 0, &port);
    CHECK_GE("fd", fd, 0);
    for (int i = 0; i < 4; i++)
        fillers[i] = test_fill_backlog(port);
    r = run1((struct target_spec){"127.0.0.1", port, 0, NULL, PASSWORD}, 1000);
    assert_msg(&r, false, "timeout after 1.0s");
    CHECK_GE("ms to the timeout", r.done_ms, 900);
    assert_int_equal(r.p.result.connect_us, -1);
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(fd);
    assert_int_equal(test_count_fds(), fds);
}

struct adapter_seen {
    int connects;
    int status;
    int replies;
    char errstr[128];
};

static void adapter_on_connect(const redisAsyncContext *ac, int status)
{
    struct adapter_seen *seen = ac->data;
    seen->connects++;
    seen->status = status;
    snprintf(seen->errstr, sizeof(seen->errstr), "%s", ac->c.errstr);
}

static void adapter_on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct adapter_seen *seen = priv;
    const redisReply *r = reply;

    seen->replies++;
    if (r != NULL && r->type == REDIS_REPLY_STATUS)
        snprintf(seen->errstr, sizeof(seen->errstr), "%s", r->str);
    if (r != NULL)
        redisAsyncDisconnect(ac);
}

/* redis_uv_attach on its own, as the celery probe uses it: a refused
 * connect reaches the connect callback (Debian's adapter never calls it),
 * a PING is answered, and the loop closes with nothing left in it. */
static void test_adapter(void **state)
{
    (void)state;
    int ports[2] = {test_free_port(), plain.port};
    static const struct redis_uv_limits limits = {.max_buffer = 4096, .max_elements = 0};

    for (int i = 0; i < 2; i++) {
        struct adapter_seen seen;
        uv_loop_t loop;
        redisAsyncContext *ac;

        memset(&seen, 0, sizeof(seen));
        assert_int_equal(uv_loop_init(&loop), 0);
        ac = redisAsyncConnect("127.0.0.1", ports[i]);
        assert_non_null(ac);
        assert_int_equal(ac->err, 0);
        ac->data = &seen;
        assert_int_equal(redis_uv_attach(ac, &loop, &limits), 0);
        assert_int_equal(redis_uv_attach(ac, &loop, &limits), -1); /* only once */
        redisAsyncSetConnectCallback(ac, adapter_on_connect);
        assert_int_equal(redisAsyncCommand(ac, adapter_on_reply, &seen, "PING"), REDIS_OK);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&loop), 0);
        assert_int_equal(seen.connects, 1);
        assert_int_equal(seen.replies, 1);
        if (i == 0) {
            assert_int_equal(seen.status, REDIS_ERR);
            assert_string_equal(seen.errstr, "Connection refused");
        } else {
            assert_int_equal(seen.status, REDIS_OK);
            assert_string_equal(seen.errstr, "PONG");
        }
    }
}

static void test_replicas_count_the_targets_that_answer(void **state)
{
    (void)state;
    struct target_spec specs[3] = {
        {"127.0.0.1", plain.port, 0, NULL, NULL},
        {"127.0.0.1", test_free_port(), 0, NULL, NULL},
        {"127.0.0.1", locked.port, 0, NULL, PASSWORD},
    };
    struct redis_svc rs;

    redis_svc_init(&rs, specs, 2, TEST_PATIENCE_MS);
    struct probe_run r = probe_run_one(&rs.svc);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_int_equal(r.p.result.up, 1);
    assert_int_equal(r.p.result.found, 2);
    assert_string_equal(r.p.result.message, "replica 2: connection refused");

    redis_svc_init(&rs, specs, 3, TEST_PATIENCE_MS);
    rs.svc.replicas = 2;
    r = probe_run_one(&rs.svc);
    assert_true(r.p.result.ok);
    assert_int_equal(r.p.result.up, 2);
    assert_int_equal(r.p.result.found, 3);

    specs[1] = specs[0];
    redis_svc_init(&rs, specs, 3, TEST_PATIENCE_MS);
    r = probe_run_one(&rs.svc);
    assert_true(r.p.result.ok);
    assert_int_equal(r.p.result.up, 3);
    assert_string_equal(r.p.result.message, "PONG");
}

/* A tiny RESP server in a thread, standing in for states of a real Redis
 * that cannot be produced on demand: it answers every command with one
 * fixed reply (e.g. -LOADING), or closes the connection unanswered when
 * reply is NULL. One client at a time is enough here. */
struct fake_redis {
    int fd;
    int port;
    const char *reply;
    volatile int stop;
    pthread_t thread;
};

static int count_commands(const char *p, ssize_t n, bool *at_line_start)
{
    int count = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (*at_line_start && p[i] == '*')
            count++;
        *at_line_start = p[i] == '\n';
    }
    return count;
}

static void fake_serve(struct fake_redis *f, int c)
{
    char buf[4096];
    bool bol = true;
    ssize_t n;

    while (!f->stop && (n = read(c, buf, sizeof(buf))) > 0) {
        if (f->reply == NULL)
            break;
        for (int k = count_commands(buf, n, &bol); k > 0; k--)
            if (write(c, f->reply, strlen(f->reply)) < 0)
                return;
    }
}

static void *fake_main(void *arg)
{
    struct fake_redis *f = arg;

    while (!f->stop) {
        struct pollfd pfd = {f->fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        fake_serve(f, c);
        close(c);
    }
    return NULL;
}

static void fake_start(struct fake_redis *f, const char *reply)
{
    memset(f, 0, sizeof(*f));
    f->reply = reply;
    f->fd = test_listen(AF_INET, 16, &f->port);
    CHECK_GE("f->fd", f->fd, 0);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake_redis *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    close(f->fd);
}

static void test_loading_and_closed(void **state)
{
    (void)state;
    struct fake_redis f;

    fake_start(&f, "-LOADING Redis is loading the dataset in memory\r\n");
    struct probe_run r =
        run1((struct target_spec){"127.0.0.1", f.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "LOADING Redis is loading the dataset in memory");
    fake_stop(&f);

    /* A server that drops the connection before answering. */
    fake_start(&f, NULL);
    r = run1((struct target_spec){"127.0.0.1", f.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "server closed the connection");
    fake_stop(&f);

    /* Something that answers, but not PONG. */
    fake_start(&f, "+HELLO\r\n");
    r = run1((struct target_spec){"127.0.0.1", f.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    assert_msg(&r, false, "unexpected reply to PING: HELLO");
    fake_stop(&f);
}

/* A Redis that goes away is reported down, and up again once back. */
static void test_killed_and_restarted(void **state)
{
    (void)state;
    struct redis_server s;
    memset(&s, 0, sizeof(s));

    assert_int_equal(redis_server_start(&s, 0, NULL, NULL), 0);
    struct target_spec spec = {"127.0.0.1", s.port, 0, NULL, NULL};
    struct probe_run r = run1(spec, TEST_PATIENCE_MS);
    assert_msg(&r, true, "PONG");
    redis_server_kill(&s);
    r = run1(spec, TEST_PATIENCE_MS);
    assert_msg(&r, false, "connection refused");
    if (redis_server_start(&s, s.port, NULL, NULL) != 0) {
        redis_server_stop(&s);
        fail_msg("cannot restart redis-server on port %d", spec.port);
    }
    r = run1(spec, TEST_PATIENCE_MS);
    redis_server_stop(&s);
    assert_msg(&r, true, "PONG");
}

/* A command spawned while a Redis connection is open must not inherit
 * its socket (hiredis opens it without close-on-exec). */
static void test_no_socket_inherited(void **state)
{
    (void)state;
    int port, fd = test_listen(AF_INET, 16, &port);
    struct redis_svc rs;
    struct svc_config ex;
    static const char *argv[] = {"/bin/sh", "-c", "ls -l /proc/$$/fd | grep -c socket", NULL};
    struct probe_run runs[2];

    CHECK_GE("fd", fd, 0);
    redis_svc_init(&rs, &(struct target_spec){"127.0.0.1", port, 0, NULL, NULL}, 1, 1000);
    test_svc_init(&ex, "exec", PROBE_EXEC, TEST_PATIENCE_MS);
    ex.u.exec.argv = (char **)argv;
    ex.u.exec.argc = 3;
    const struct svc_config *svcs[2] = {&rs.svc, &ex};
    CHECK_GE("probe_run_batch(runs, svcs, 2, 0)", probe_run_batch(runs, svcs, 2, 0), 0);
    close(fd);
    assert_int_equal(runs[0].calls, 1);
    assert_string_equal(runs[0].p.result.message, "timeout after 1.0s");
    assert_int_equal(runs[1].calls, 1);
    assert_string_equal(runs[1].p.result.message, "0");
}

/* An IPv6 literal, bare or bracketed as in a URL. */
static void test_ipv6_literal_bare_and_bracketed(void **state)
{
    (void)state;
    struct redis_server s;
    int port, fd = test_listen(AF_INET6, 1, &port);
    static const char *const bind6[] = {"--bind", "::1", NULL};

    if (fd < 0)
        skip(); /* no IPv6 loopback here */
    close(fd);
    memset(&s, 0, sizeof(s));
    assert_int_equal(redis_server_start(&s, port, NULL, bind6), 0);
    struct probe_run r = run1((struct target_spec){"::1", s.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    struct probe_run r2 =
        run1((struct target_spec){"[::1]", s.port, 0, NULL, NULL}, TEST_PATIENCE_MS);
    redis_server_stop(&s);
    assert_msg(&r, true, "PONG");
    assert_msg(&r2, true, "PONG");
}

/* Clients connected to a server, seen from one more connection (which
 * counts itself: 1 means nobody else). Polls until it drops to 1. */
static int clients_left(int port)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    int64_t deadline = test_deadline();
    int n = -1;

    while (c != NULL && c->err == 0 && n != 1) {
        redisReply *r = redisCommand(c, "INFO clients");
        const char *v =
            r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "connected_clients:") : NULL;
        n = v ? atoi(v + strlen("connected_clients:")) : -1;
        if (r)
            freeReplyObject(r);
        if (n != 1 && !test_nap_before(deadline))
            break;
    }
    if (c)
        redisFree(c);
    return n;
}

/* Many probes at once, of every outcome, some cancelled: one callback
 * each, and no descriptor left once the loop is done. */
static void test_hung_servers_never_stall_the_others(void **state)
{
    (void)state;
    enum { N = 40 };
    static struct redis_svc rs[N];
    const struct svc_config *svcs[N];
    struct probe_run runs[N];
    int hang_port, fds = test_count_fds();
    int hang = test_listen(AF_INET, 64, &hang_port);
    int down = test_free_port();

    CHECK_GE("hang", hang, 0);
    for (int i = 0; i < N; i++) {
        struct target_spec spec[4] = {
            {"127.0.0.1", plain.port, 0, NULL, NULL},
            {"127.0.0.1", locked.port, i % 3, NULL, PASSWORD},
            {"127.0.0.1", down, 0, NULL, NULL},
            {"127.0.0.1", hang_port, 0, NULL, NULL},
        };
        redis_svc_init(&rs[i], &spec[i % 4], 1, TEST_PATIENCE_MS);
        svcs[i] = &rs[i].svc;
    }
    /* The hanging ones never stall the others: those all finish while
     * the hanging ones are still connected; then the rest is cancelled. */
    CHECK_GE("probe_run_batch", probe_run_batch_then_cancel(runs, svcs, N, N - N / 4), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(runs[i].calls, 1);
        assert_int_equal(runs[i].p.result.ok, i % 4 < 2);
        if (i % 4 == 3)
            assert_string_equal(runs[i].p.result.message, "cancelled");
    }
    close(hang);
    assert_int_equal(test_count_fds(), fds);
    /* Every probe closed its connection: the servers see nobody. */
    assert_int_equal(clients_left(plain.port), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_answers_pong),
        cmocka_unit_test(test_auth_and_its_failure),
        cmocka_unit_test(test_select_db_and_bad_index),
        cmocka_unit_test(test_refused_and_unresolvable),
        cmocka_unit_test(test_hanging_server_times_out),
        cmocka_unit_test(test_adapter),
        cmocka_unit_test(test_replicas_count_the_targets_that_answer),
        cmocka_unit_test(test_loading_and_closed),
        cmocka_unit_test(test_killed_and_restarted),
        cmocka_unit_test(test_ipv6_literal_bare_and_bracketed),
        cmocka_unit_test(test_no_socket_inherited),
        cmocka_unit_test(test_hung_servers_never_stall_the_others),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
