/* The demo stack's RESP server: its parser on its own, then the server on
 * a loop in a thread of its own, spoken to by a raw socket, by the real
 * redis-cli and by healthtop's own redis probe. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "demo/respd.h"
#include "support/check.h"
#include "support/probe_run.h"

static struct {
    uv_loop_t loop;
    uv_async_t wake;
    struct respd srv;
    pthread_t thread;
    pthread_mutex_t lock;
    int want_mode; /* -1 none, else the mode to set; -2 stop */
    char want_msg[RESPD_MSG_MAX];
} g;

static void on_wake(uv_async_t *a)
{
    (void)a;
    pthread_mutex_lock(&g.lock);
    if (g.want_mode == -2) {
        respd_close(&g.srv, NULL);
        uv_close((uv_handle_t *)&g.wake, NULL);
    } else if (g.want_mode >= 0) {
        respd_set_mode(&g.srv, (enum respd_mode)g.want_mode, g.want_msg);
    }
    g.want_mode = -1;
    pthread_mutex_unlock(&g.lock);
}

static void *serve(void *arg)
{
    (void)arg;
    uv_run(&g.loop, UV_RUN_DEFAULT);
    return NULL;
}

static void set_mode(int mode, const char *msg)
{
    pthread_mutex_lock(&g.lock);
    g.want_mode = mode;
    ht_strlcpy(g.want_msg, msg, sizeof(g.want_msg));
    pthread_mutex_unlock(&g.lock);
    uv_async_send(&g.wake);
    /* Applied within a loop turn; poll until it is. */
    for (int64_t deadline = test_deadline();;) {
        pthread_mutex_lock(&g.lock);
        int pending = g.want_mode != -1;
        pthread_mutex_unlock(&g.lock);
        if (!pending || !test_nap_before(deadline))
            return;
    }
}

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&g.lock, NULL);
    g.want_mode = -1;
    uv_loop_init(&g.loop);
    uv_async_init(&g.loop, &g.wake, on_wake);
    respd_init(&g.srv, &g.loop);
    if (respd_listen(&g.srv, "127.0.0.1", 0) != 0)
        return -1;
    pthread_create(&g.thread, NULL, serve, NULL);
    return probe_run_warmup(state);
}

static int teardown(void **state)
{
    (void)state;
    set_mode(-2, "");
    pthread_join(g.thread, NULL);
    return uv_loop_close(&g.loop) == 0 ? 0 : -1;
}

/* Sends req on a fresh connection, reads until want bytes came or the
 * server closed; returns what came (static). */
static const char *ask(const char *req, size_t want, bool *closed)
{
    static char out[4096];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.srv.net.port)};
    struct timeval tv = {.tv_sec = TEST_PATIENCE_MS / 1000}; /* only ends a stuck test */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;
    ssize_t k = 0;

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < want && (k = read(fd, out + got, sizeof(out) - 1 - got)) > 0)
        got += (size_t)k;
    if (closed) {
        if (k > 0)
            k = read(fd, out + got, sizeof(out) - 1 - got);
        /* An orderly close, or a reset when our request was still unread. */
        *closed = k == 0 || (k < 0 && errno == ECONNRESET);
    }
    out[got] = '\0';
    close(fd);
    return out;
}

static void test_resp_parse_prefixes_and_malformed(void **state)
{
    (void)state;
    char name[8];
    int argc = -1;
    const char *ping = "*2\r\n$4\r\nping\r\n$5\r\nhello\r\n";

    assert_int_equal(respd_parse(ping, strlen(ping), name, sizeof(name), &argc), 25);
    assert_string_equal(name, "PING");
    assert_int_equal(argc, 2);
    /* Every prefix is incomplete, never malformed. */
    for (size_t i = 0; i < strlen(ping); i++)
        assert_int_equal(respd_parse(ping, i, name, sizeof(name), &argc), 0);
    assert_int_equal(respd_parse("  select  3 \r\nx", 15, name, sizeof(name), &argc), 14);
    assert_string_equal(name, "SELECT");
    assert_int_equal(argc, 2);
    assert_int_equal(respd_parse("*0\r\n", 4, name, sizeof(name), &argc), -1);
    assert_int_equal(respd_parse("*1\r\n+PING\r\n", 11, name, sizeof(name), &argc), -1);
    assert_int_equal(respd_parse("*1\r\n$4\r\nPINGxx", 14, name, sizeof(name), &argc), -1);
    assert_int_equal(respd_parse("*99999999999\r\n", 14, name, sizeof(name), &argc), -1);
    assert_int_equal(respd_parse("*1\r\n$-1\r\n", 9, name, sizeof(name), &argc), -1);
    /* A long name is truncated, not overflowed. */
    assert_int_equal(respd_parse("configuration\n", 14, name, sizeof(name), &argc), 14);
    assert_string_equal(name, "CONFIGU");
}

static void test_raw_socket_answers_by_mode(void **state)
{
    (void)state;
    bool closed;

    set_mode(RESPD_READY, "");
    assert_string_equal(ask("ping\r\n", 7, NULL), "+PONG\r\n");
    assert_string_equal(ask("*1\r\n$4\r\nPING\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n", 12, NULL),
                        "+PONG\r\n+OK\r\n");
    /* Read exactly the answer's length: never wait for bytes that do not come. */
    const char *unknown = "-ERR unknown command 'FLUSHALL'\r\n";
    CHECK_STR("answer to FLUSHALL", ask("FLUSHALL\r\n", strlen(unknown), NULL), unknown);
    assert_string_equal(ask("*x\r\n", 100, &closed), "-ERR Protocol error\r\n");
    assert_true(closed);
    assert_string_equal(ask("QUIT\r\n", 100, &closed), "+OK\r\n");
    assert_true(closed);
    set_mode(RESPD_LOADING, "waiting for redis");
    const char *loading = "-LOADING waiting for redis\r\n+OK\r\n";
    CHECK_STR("answers while loading", ask("PING\r\nAUTH x\r\n", strlen(loading), NULL), loading);
    set_mode(RESPD_CLOSE, "");
    assert_string_equal(ask("PING\r\n", 100, &closed), "");
    assert_true(closed);
    set_mode(RESPD_READY, "");
}

static void test_redis_cli_gets_pong(void **state)
{
    (void)state;
    char cmd[128], out[64] = "";
    FILE *p;

    if (access("/usr/bin/redis-cli", X_OK) != 0)
        skip();
    set_mode(RESPD_READY, "");
    snprintf(cmd, sizeof(cmd), "/usr/bin/redis-cli -p %d ping", g.srv.net.port);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    assert_string_equal(out, "PONG\n");
}

static struct probe_run probe_it(void)
{
    static struct svc_config svc;
    static struct redis_target t;

    test_svc_init(&svc, "falkordb", PROBE_REDIS, TEST_PATIENCE_MS);
    memset(&t, 0, sizeof(t));
    t.url = (char *)"redis://demo";
    t.host = (char *)"127.0.0.1";
    t.port = g.srv.net.port;
    t.db = 1;
    t.password = (char *)"pw-demo";
    svc.u.redis.targets = &t;
    svc.u.redis.ntargets = 1;
    svc.replicas = 1;
    return probe_run_one(&svc);
}

static void test_redis_probe_sees_ready_loading_closed(void **state)
{
    (void)state;
    struct probe_run r;

    set_mode(RESPD_READY, "");
    r = probe_it();
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    assert_int_equal(r.p.result.up, 1);
    set_mode(RESPD_LOADING, "waiting for redis");
    r = probe_it();
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    CHECK_CONTAINS("r.p.result.message", r.p.result.message, "LOADING waiting for redis");
    set_mode(RESPD_CLOSE, "");
    r = probe_it();
    assert_false(r.p.result.ok);
    set_mode(RESPD_READY, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_parse_prefixes_and_malformed),
        cmocka_unit_test(test_raw_socket_answers_by_mode),
        cmocka_unit_test(test_redis_cli_gets_pong),
        cmocka_unit_test(test_redis_probe_sees_ready_loading_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
