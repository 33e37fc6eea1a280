/* httpd's long-lived answers (httpd_stream_start, what the status page's
 * event streams run on), from the client's side: a real server on a loop
 * in a thread of its own, with a short idle timeout and a bound of two
 * ordinary connections, spoken to over loopback with blocking sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "httpd.h"
#include "support/check.h"

#define IDLE_MS   100
#define MAX_CONNS 2
#define NSTREAMS  16

static uv_loop_t loop;
static struct httpd srv;
static uv_async_t stop, push;
static pthread_t thread;
static struct httpd_conn *streams[NSTREAMS]; /* server thread only */
static atomic_int nopen, closes;

static void on_stream_close(struct httpd_conn *c, void *ud)
{
    (void)c;
    streams[(intptr_t)ud] = NULL;
    atomic_fetch_sub(&nopen, 1);
    atomic_fetch_add(&closes, 1);
}

/* /stream: a stream that says "hello"; /flood: one that is sent far more
 * than a client that does not read can take; anything else: "ok". */
static void handle(struct httpd *s, struct httpd_req *req, void *ud)
{
    struct httpd_resp r = {.content_type = "text/event-stream"};
    intptr_t slot = 0;

    (void)s, (void)ud;
    if (strcmp(req->path, "/stream") != 0 && strcmp(req->path, "/flood") != 0) {
        httpd_reply_text(req, 200, "ok\n");
        return;
    }
    while (slot < NSTREAMS && streams[slot])
        slot++;
    assert_true(slot < NSTREAMS);
    streams[slot] = httpd_stream_start(req, &r, on_stream_close, (void *)slot);
    assert_non_null(streams[slot]);
    atomic_fetch_add(&nopen, 1);
    if (httpd_stream_send(streams[slot], "hello\n", 6) != 0)
        return;
    if (strcmp(req->path, "/flood") == 0) {
        static char chunk[64 * 1024];
        memset(chunk, 'x', sizeof(chunk));
        /* 64 MiB: more than the kernel's buffers on both sides hold, so
         * the rest queues here until the bound drops the client. */
        for (int i = 0; i < 1024 && streams[slot]; i++)
            if (httpd_stream_send(streams[slot], chunk, sizeof(chunk)) != 0)
                break;
    }
}

static void on_push(uv_async_t *a)
{
    (void)a;
    for (int i = 0; i < NSTREAMS; i++)
        if (streams[i])
            (void)httpd_stream_send(streams[i], "tick\n", 5);
}

static void on_stop(uv_async_t *a)
{
    httpd_close(&srv, NULL);
    uv_close((uv_handle_t *)a, NULL);
    uv_close((uv_handle_t *)&push, NULL);
}

static void *serve(void *arg)
{
    (void)arg;
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    httpd_init(&srv, &loop, handle, NULL);
    srv.net.idle_ms = IDLE_MS;
    srv.net.max_conns = MAX_CONNS;
    if (httpd_listen(&srv, "127.0.0.1", 0) != 0)
        return -1;
    uv_async_init(&loop, &stop, on_stop);
    uv_async_init(&loop, &push, on_push);
    return pthread_create(&thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

/* Closing the server closes the streams still open, each telling its
 * owner once. */
static int teardown(void **state)
{
    (void)state;
    uv_async_send(&stop);
    pthread_join(thread, NULL);
    if (atomic_load(&nopen) != 0 || srv.net.nconns != 0 || srv.net.nlong != 0)
        return -1;
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

static int client(int rcvbuf)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)srv.net.port)};
    struct timeval tv = {.tv_sec = TEST_PATIENCE_MS / 1000}; /* only ends a stuck test */
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    CHECK_GE("fd", fd, 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_text(int fd, const char *text)
{
    size_t n = strlen(text);
    assert_int_equal(send(fd, text, n, 0), (ssize_t)n);
}

/* Reads until needle has arrived (false: the connection ended first). */
static bool read_until(int fd, const char *needle)
{
    char b[8192];
    size_t len = 0;

    b[0] = '\0';
    while (!strstr(b, needle)) {
        ssize_t n;
        if (len + 1 >= sizeof(b)) { /* keep the tail, where needle may start */
            memmove(b, b + len - 64, 64);
            len = 64;
        }
        n = recv(fd, b + len, sizeof(b) - len - 1, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        b[len] = '\0';
    }
    return true;
}

/* Closed or reset by the server. */
static bool peer_gone(int fd)
{
    char b[65536];
    ssize_t n;

    while ((n = recv(fd, b, sizeof(b), 0)) > 0)
        ;
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static int open_stream(const char *path)
{
    int fd = client(0);
    char req[64];

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", path);
    send_text(fd, req);
    CHECK_TRUE("the stream's head and first bytes", read_until(fd, "\r\n\r\nhello\n"));
    return fd;
}

/* A stream stays open past the idle timeout that closes an ordinary
 * connection opened after it, and still carries what is sent later. */
static void test_stream_outlives_the_idle_timeout(void **state)
{
    int s = open_stream("/stream"), idle = client(0);

    (void)state;
    CHECK_TRUE("the idle connection is closed", peer_gone(idle));
    close(idle);
    uv_async_send(&push);
    CHECK_TRUE("the stream still carries bytes", read_until(s, "tick\n"));
    close(s);
    WAIT_UNTIL("the stream's close is reported", atomic_load(&nopen) == 0);
}

/* Streams are not counted against max_conns: with more streams open than
 * it allows, ordinary requests are still answered. */
static void test_streams_are_bounded_apart(void **state)
{
    int s[MAX_CONNS + 2], fd;

    (void)state;
    for (int i = 0; i < MAX_CONNS + 2; i++)
        s[i] = open_stream("/stream");
    WAIT_UNTIL("every stream counted as long-lived", srv.net.nlong == MAX_CONNS + 2);
    fd = client(0);
    send_text(fd, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK_TRUE("an ordinary request is answered beside them", read_until(fd, "\r\n\r\nok\n"));
    close(fd);
    for (int i = 0; i < MAX_CONNS + 2; i++)
        close(s[i]);
    WAIT_UNTIL("every stream's close is reported", atomic_load(&nopen) == 0);
}

/* A client that does not read is dropped once the bound of queued bytes
 * is passed, and its close is reported once. */
static void test_a_client_that_does_not_read_is_dropped(void **state)
{
    int before = atomic_load(&closes), fd = client(4096);

    (void)state;
    send_text(fd, "GET /flood HTTP/1.1\r\n\r\n");
    WAIT_UNTIL("the stream that is not read is closed", atomic_load(&closes) == before + 1);
    CHECK_TRUE("the client sees the end", peer_gone(fd));
    close(fd);
    CHECK_EQ("closes reported", atomic_load(&closes), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_outlives_the_idle_timeout),
        cmocka_unit_test(test_streams_are_bounded_apart),
        cmocka_unit_test(test_a_client_that_does_not_read_is_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
