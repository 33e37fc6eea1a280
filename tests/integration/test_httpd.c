/* httpd from the client's side: a real server on a loop in a thread of
 * its own, spoken to over loopback with plain blocking sockets. (The
 * request parser has its unit test in tests/unit/test_httpd.c.) */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "httpd.h"
#include "support/check.h"

/* ---- a server in a thread -------------------------------------------------- */

static uv_loop_t loop;
static struct httpd srv;
static uv_async_t stop;
static pthread_t thread;
static int closed_calls;
static int hanging[10]; /* client sockets the teardown's close must end */
static bool peer_gone(int fd);

/* Answers held back by ?delay= right now, as the server thread sees it:
 * their due loop times. max_held is the most held at one moment. */
enum { HELD_MAX = 512 };
static uint64_t held_due[HELD_MAX];
static size_t nheld;
static atomic_size_t max_held;

static void held_note(uint64_t delay_ms)
{
    uint64_t now = uv_now(&loop);
    size_t j = 0;

    for (size_t i = 0; i < nheld; i++)
        if (held_due[i] > now)
            held_due[j++] = held_due[i];
    nheld = j;
    if (nheld < HELD_MAX)
        held_due[nheld++] = now + delay_ms;
    if (nheld > atomic_load(&max_held))
        atomic_store(&max_held, nheld);
}

static void handle(struct httpd *s, struct httpd_req *req, void *ud)
{
    struct httpd_resp r = {.body = "hello", .body_len = (size_t)-1};
    char v[32];

    (void)s;
    (void)ud;
    if (strcmp(req->path, "/hang") == 0)
        r.mode = HTTPD_HANG;
    else if (strcmp(req->path, "/drip") == 0)
        r = (struct httpd_resp){.mode = HTTPD_DRIP, .drip_bps = 20, .body = "hello", .body_len = 5};
    else if (strcmp(req->path, "/204") == 0)
        r.status = 204;
    else if (strcmp(req->path, "/silent") == 0)
        return; /* the server answers 500 for it */
    if (httpd_query(req, "delay", v, sizeof(v))) {
        r.delay_ms = strtoull(v, NULL, 10);
        held_note(r.delay_ms);
    }
    httpd_reply(req, &r);
}

static void on_closed(struct httpd *s)
{
    (void)s;
    closed_calls++;
}

static void on_stop(uv_async_t *a)
{
    httpd_close(&srv, on_closed);
    uv_close((uv_handle_t *)a, NULL);
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
    if (httpd_listen(&srv, "127.0.0.1", 0) != 0)
        return -1;
    uv_async_init(&loop, &stop, on_stop);
    return pthread_create(&thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

/* Closing the server with connections still open (hanging, half-read)
 * must close every handle: the loop ends and closes cleanly. */
static int teardown(void **state)
{
    (void)state;
    uv_async_send(&stop);
    pthread_join(thread, NULL);
    for (size_t i = 0; i < HT_ARRAY_LEN(hanging); i++)
        if (hanging[i] > 0 && (!peer_gone(hanging[i]) || close(hanging[i]) != 0))
            return -1;
    if (closed_calls != 1 || srv.net.nconns != 0)
        return -1;
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

static int client(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)srv.net.port)};
    struct timeval tv = {.tv_sec = TEST_PATIENCE_MS / 1000}; /* only ends a stuck test */
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    CHECK_GE("fd", fd, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_text(int fd, const char *text)
{
    size_t n = strlen(text);
    assert_int_equal(send(fd, text, n, 0), (ssize_t)n);
}

/* Reads one answer (its head, then as many body bytes as Content-Length
 * says) into out; returns its length, or 0 when the server closed first. */
static size_t read_answer(int fd, char *out, size_t cap)
{
    size_t len = 0, want = 0;

    out[0] = '\0';
    while (want == 0 || len < want) {
        ssize_t n = recv(fd, out + len, 1, 0); /* byte by byte: never past the answer */
        if (n <= 0)
            return 0;
        out[++len] = '\0';
        CHECK_LT("len + 1", len + 1, cap);
        const char *end = strstr(out, "\r\n\r\n");
        if (want == 0 && end) {
            const char *cl = strstr(out, "Content-Length: ");
            want = (size_t)(end - out) + 4 + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        }
    }
    return len;
}

static bool peer_closed(int fd)
{
    char c;
    return recv(fd, &c, 1, 0) == 0;
}

/* Closed or reset: a server closing a connection whose request it has
 * not read yet resets it (and one still in the backlog is reset too). */
static bool peer_gone(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void test_keep_alive_pipelined(void **state)
{
    char b[4096];
    int fd = client();

    (void)state;
    /* Three requests in one write, the first with a body to discard. */
    send_text(fd, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nxxxxx"
                  "GET /?delay=50 HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\n");
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    CHECK_CONTAINS("b", b, "HTTP/1.1 200 OK\r\n");
    CHECK_CONTAINS("b", b, "Connection: keep-alive\r\n\r\nhello");
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    CHECK_CONTAINS("b", b, "\r\n\r\nhello");
    /* HEAD: the length of the body, not the body. */
    send_text(fd, "GET /204 HTTP/1.1\r\n\r\n");
    char *head = b;
    size_t n = 0;
    while (!strstr(b, "HTTP/1.1 204")) {
        ssize_t k = recv(fd, head + n, sizeof(b) - n - 1, 0);
        CHECK_GT("k", k, 0);
        n += (size_t)k;
        b[n] = '\0';
    }
    CHECK_CONTAINS("b", b, "Content-Length: 5\r\n");
    CHECK_CONTAINS("b", b, "\r\n\r\nHTTP/1.1 204 No Content\r\n");
    CHECK_LACKS("strstr(b, \"204 No Content\")", strstr(b, "204 No Content"), "Content-Length");
    close(fd);
}

static void test_http10_closes(void **state)
{
    char b[4096];
    int fd = client();

    (void)state;
    send_text(fd, "GET / HTTP/1.0\r\n\r\n");
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    CHECK_CONTAINS("b", b, "Connection: close\r\n");
    assert_true(peer_closed(fd));
    close(fd);
}

static void error_case(const char *request, const char *status_line)
{
    char b[4096];
    int fd = client();

    send_text(fd, request);
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    if (!strstr(b, status_line))
        fail_msg("got %s, want %s", b, status_line);
    assert_true(peer_closed(fd));
    close(fd);
}

static void test_bad_requests_get_an_error_and_close(void **state)
{
    char big[HTTPD_MAX_HEAD + 100];

    (void)state;
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    big[sizeof(big) - 1] = '\0';
    error_case(big, "HTTP/1.1 431 Request Header Fields Too Large\r\n");
    error_case("SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n");
    error_case("PUT / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
               "HTTP/1.1 413 Content Too Large\r\n");
    error_case("GET /silent HTTP/1.1\r\nConnection: close\r\n\r\n",
               "HTTP/1.1 500 Internal Server Error\r\n");
}

static void test_delay_and_drip(void **state)
{
    char b[4096];
    int fd = client();
    int64_t t0 = ht_now_ms();

    (void)state;
    send_text(fd, "GET /?delay=300 HTTP/1.1\r\n\r\n");
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    CHECK_GE("ms to a 300 ms delayed answer", ht_now_ms() - t0, 290);
    /* Five bytes at 20 a second: about 250 ms. */
    t0 = ht_now_ms();
    send_text(fd, "GET /drip HTTP/1.1\r\n\r\n");
    CHECK_GT("read_answer(fd, b, sizeof(b))", read_answer(fd, b, sizeof(b)), 0);
    CHECK_CONTAINS("b", b, "\r\n\r\nhello");
    CHECK_GE("ms to drip 5 bytes at 20 a second", ht_now_ms() - t0, 200);
    close(fd);
}

/* Many connections at once, answered after a delay, plus hanging ones
 * left open for the teardown to close. */
static void test_many_connections_held_at_once(void **state)
{
    enum { N = 200 };
    int fds[N];
    char b[4096];

    (void)state;
    atomic_store(&max_held, 0);
    for (int i = 0; i < N; i++) {
        fds[i] = client();
        send_text(fds[i], "GET /?delay=2000 HTTP/1.1\r\n\r\n");
    }
    for (int i = 0; i < N; i++) {
        CHECK_GT("read_answer(fds[i], b, sizeof(b))", read_answer(fds[i], b, sizeof(b)), 0);
        CHECK_CONTAINS("b", b, "hello");
    }
    /* Not one after another: the server held all N answers at once. */
    CHECK_EQ("answers held at once", atomic_load(&max_held), N);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    for (size_t i = 0; i < HT_ARRAY_LEN(hanging); i++) {
        hanging[i] = client();
        send_text(hanging[i], "GET /hang HTTP/1.1\r\n\r\n");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_pipelined),
        cmocka_unit_test(test_http10_closes),
        cmocka_unit_test(test_bad_requests_get_an_error_and_close),
        cmocka_unit_test(test_delay_and_drip),
        cmocka_unit_test(test_many_connections_held_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
