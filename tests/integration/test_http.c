/* The http probe against real servers: the fixture_http program (run as
 * a child on a free port) for the endpoints, and an httpd in this process
 * where the test needs to see the server side (connections accepted,
 * requests that never get an answer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include "httpd.h"
#include "healthtop/probe.h"
#include "healthtop/secret.h"
#include "support/check.h"
#include "support/http_get.h"

extern char **environ;

static uv_loop_t loop;
static struct probe_env env;
static pid_t fixture_pid;
static int fixture_port;
static struct httpd srv; /* in-process: answers /hang by hanging, else "healthy" */

/* A service built by hand (the config parser is tested elsewhere). */
struct svc {
    struct svc_config c;
    char *urls[4];
    char url_text[4][256];
    int status[4];
    struct config_kv json[4];
    struct config_kv headers[2];
};

struct run {
    struct probe p;
    int calls;
    int64_t took_us;
};

static void svc_init(struct svc *s, int port, const char *path)
{
    memset(s, 0, sizeof(*s));
    s->c.name = s->c.label = "web";
    s->c.kind = PROBE_HTTP;
    /* Patient: a probe that should succeed never races a busy machine.
     * The tests of the timeout itself set their own. */
    s->c.timeout_ms = TEST_PATIENCE_MS;
    s->c.replicas = 1;
    s->c.u.http.urls = s->urls;
    s->c.u.http.status = s->status;
    s->c.u.http.json = s->json;
    s->c.u.http.headers = s->headers;
    s->c.u.http.max_body = CONFIG_DEFAULT_MAX_BODY;
    if (path) {
        ht_snprintf(s->url_text[0], sizeof(s->url_text[0]), "http://127.0.0.1:%d%s", port, path);
        s->urls[0] = s->url_text[0];
        s->c.u.http.nurls = 1;
    }
}

static void svc_add_url(struct svc *s, const char *path)
{
    size_t i = s->c.u.http.nurls++;
    ht_snprintf(s->url_text[i], sizeof(s->url_text[i]), "http://127.0.0.1:%d%s", fixture_port,
                path);
    s->urls[i] = s->url_text[i];
}

static void svc_add_json(struct svc *s, const char *key, const char *value)
{
    s->json[s->c.u.http.njson++] = (struct config_kv){(char *)key, (char *)value};
}

static void on_done(struct probe *p)
{
    struct run *r = p->data;
    r->calls++;
    r->took_us = probe_elapsed_us(p);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs l once, without blocking for ever: UV_RUN_ONCE runs due timers
 * before it polls, so a probe completing in one of them would leave it
 * waiting on the listening server with nothing else to wake it. The
 * tick repeats: fired in that first phase, it is still due after it. */
static void run_once(uv_loop_t *l)
{
    uv_timer_t tick;

    uv_timer_init(l, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    uv_run(l, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(l, UV_RUN_NOWAIT);
}

/* Starts n probes of svc and runs the loop until all have completed. */
static void run_many(struct svc *s, struct run *runs, size_t n)
{
    /* Longer than a probe's own timeout: that one ends it first. */
    int64_t deadline = test_deadline() + TEST_PATIENCE_MS;
    size_t done = 0;

    for (size_t i = 0; i < n; i++) {
        memset(&runs[i], 0, sizeof(runs[i]));
        runs[i].p.data = &runs[i];
        assert_int_equal(probe_start(&runs[i].p, &env, &s->c, on_done), 0);
        assert_int_equal(runs[i].calls, 0); /* never from inside start */
    }
    while (done < n && ht_now_ms() < deadline) {
        run_once(&loop);
        done = 0;
        for (size_t i = 0; i < n; i++)
            done += runs[i].calls > 0;
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(runs[i].calls, 1);
}

static struct probe_result *run1(struct svc *s, struct run *r)
{
    run_many(s, r, 1);
    return &r->p.result;
}

/* Probes path on the fixture; checks the outcome and the message. */
static struct probe_result *probe_path(struct svc *s, struct run *r, const char *path, bool ok,
                                       const char *msg)
{
    struct probe_result *res;

    if (path)
        svc_init(s, fixture_port, path);
    res = run1(s, r);
    if (res->ok != ok || (msg && strcmp(res->message, msg) != 0))
        fail_msg("%s: ok=%d message \"%s\", want ok=%d \"%s\"\ndetail: %s", s->urls[0], res->ok,
                 res->message, ok, msg ? msg : "(any)", res->detail);
    return res;
}

/* ---- set-up -------------------------------------------------------------- */

static pid_t spawn(char *const argv[])
{
    pid_t pid;
    posix_spawn_file_actions_t fa;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Runs fixture_http with the given extra flags ("--ports", "3", ...);
 * reads the nports ports it listens on from its port file. */
static pid_t fixture_run(char *const extra[], size_t nextra, int *ports, int nports)
{
    char bin[1024], pf[] = "/tmp/ht_test_http_XXXXXX";
    const char *dir = getenv("HT_FIXTURE_DIR");
    char *argv[16] = {bin, "--port-file", pf, "--die-with-parent", "1"};
    int fd = mkstemp(pf), got = 0;
    FILE *f = NULL;
    pid_t pid;

    if (!dir || fd < 0 || nextra > 10)
        return -1;
    close(fd);
    unlink(pf);
    ht_snprintf(bin, sizeof(bin), "%s/fixture_http", dir);
    if (nextra > 0)
        memcpy(argv + 5, extra, nextra * sizeof(*extra));
    pid = spawn(argv);
    for (int64_t end = test_deadline(); pid > 0 && !(f = fopen(pf, "r")) && test_nap_before(end);)
        ;
    while (f && got < nports && fscanf(f, "%d", &ports[got]) == 1)
        got++;
    if (f)
        fclose(f);
    unlink(pf);
    return got == nports ? pid : -1;
}

static void srv_handle(struct httpd *s, struct httpd_req *req, void *ud)
{
    struct httpd_resp r = {.body = "healthy", .body_len = (size_t)-1};

    (void)s;
    (void)ud;
    if (strcmp(req->path, "/hang") == 0)
        r.mode = HTTPD_HANG;
    httpd_reply(req, &r);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    fixture_pid = fixture_run(NULL, 0, &fixture_port, 1);
    if (fixture_pid < 0)
        return -1;
    uv_loop_init(&loop);
    httpd_init(&srv, &loop, srv_handle, NULL);
    if (httpd_listen(&srv, "127.0.0.1", 0) != 0)
        return -1;
    return probe_env_init(&env, &loop);
}

static int teardown(void **state)
{
    (void)state;
    probe_env_close(&env);
    httpd_close(&srv, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    kill(fixture_pid, SIGTERM);
    waitpid(fixture_pid, NULL, 0);
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

/* ---- status and timing ----------------------------------------------------- */

static void test_ok_answer_is_healthy_with_latency(void **state)
{
    struct svc s;
    struct run r;
    struct probe_result *res = probe_path(&s, &r, "/ok", true, "HTTP 200");

    (void)state;
    assert_int_equal(res->up, 1);
    assert_int_equal(res->found, 1);
    assert_false(res->slow);
    CHECK_GT("latency (us)", res->latency_us, 0);
    CHECK_LE("latency within the whole probe (us)", res->latency_us, r.took_us);
    CHECK_CONTAINS("res->detail", res->detail, "HTTP/1.1 200 OK\nhealthy");
}

static void test_status_codes_match_the_expected_list(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    assert_int_equal(probe_path(&s, &r, "/status/503", false, "HTTP 503")->up, 0);
    probe_path(&s, &r, "/status/204", true, "HTTP 204");
    svc_init(&s, fixture_port, "/status/503");
    s.status[0] = 200;
    s.status[1] = 503;
    s.c.u.http.nstatus = 2;
    probe_path(&s, &r, NULL, true, "HTTP 503");
    svc_init(&s, fixture_port, "/ok");
    s.status[0] = 204;
    s.c.u.http.nstatus = 1;
    probe_path(&s, &r, NULL, false, "HTTP 200");
}

static void test_slow_answer_is_flagged_over_max_latency(void **state)
{
    struct svc s;
    struct run r;
    struct probe_result *res;

    (void)state;
    svc_init(&s, fixture_port, "/slow?ms=100");
    s.c.u.http.max_latency_ms = TEST_PATIENCE_MS;
    res = probe_path(&s, &r, NULL, true, "HTTP 200");
    assert_false(res->slow);
    CHECK_GE("latency of a 100 ms answer (us)", res->latency_us, 100000);
    svc_init(&s, fixture_port, "/slow?ms=300");
    s.c.u.http.max_latency_ms = 100;
    res = probe_path(&s, &r, NULL, true, NULL);
    CHECK_TRUE("a 300 ms answer is slow over 100 ms", res->slow);
    CHECK_CONTAINS("res->message", res->message, "HTTP 200, slow: ");
}

static void test_hung_and_dripping_servers_time_out(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    svc_init(&s, fixture_port, "/hang");
    s.c.timeout_ms = 1000;
    probe_path(&s, &r, NULL, false, "timeout after 1.0s");
    CHECK_GE("time to the timeout (us)", r.took_us, 900000);
    svc_init(&s, fixture_port, "/drip");
    s.c.timeout_ms = 1000;
    probe_path(&s, &r, NULL, false, "timeout after 1.0s");
}

/* The trap of curl's own example: the last transfer, ended by its
 * timeout, must still complete (here against this process's server). */
static void test_every_hung_transfer_completes_by_timeout(void **state)
{
    struct svc s;
    struct run r[3];

    (void)state;
    svc_init(&s, srv.net.port, "/hang");
    s.c.timeout_ms = 1000;
    run_many(&s, r, 3); /* each called back once */
    for (int i = 0; i < 3; i++) {
        CHECK_STR("message of a hung transfer", r[i].p.result.message, "timeout after 1.0s");
        CHECK_GE("time to the timeout (us)", r[i].took_us, 900000);
    }
}

/* ---- bodies ------------------------------------------------------------------ */

static void test_body_must_contain_the_text(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    svc_init(&s, fixture_port, "/ok");
    s.c.u.http.body = "healthy";
    probe_path(&s, &r, NULL, true, "HTTP 200");
    svc_init(&s, fixture_port, "/body?text=degraded");
    s.c.u.http.body = "healthy";
    probe_path(&s, &r, NULL, false, "body lacks 'healthy'");
}

static void json_case(const char *key, const char *value, bool ok, const char *msg)
{
    struct svc s;
    struct run r;

    svc_init(&s, fixture_port, "/json");
    svc_add_json(&s, key, value);
    probe_path(&s, &r, NULL, ok, msg);
}

static void test_json_fields_must_match(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    svc_init(&s, fixture_port, "/json");
    svc_add_json(&s, "status", "healthy");
    svc_add_json(&s, "components.api", "operational");
    svc_add_json(&s, "count", "3");
    svc_add_json(&s, "ready", "true");
    probe_path(&s, &r, NULL, true, "HTTP 200");
    json_case("status", "degraded", false, "json status is \"healthy\", want \"degraded\"");
    json_case("components.db", "up", false, "json components.db missing");
    json_case("components", "up", false, "json components is an object, want up");
    json_case("count", "3.0", true, "HTTP 200");
    json_case("count", "4", false, "json count is 3, want 4");
    json_case("ready", "false", false, "json ready is true, want false");
    json_case("version", "4.1.0", true, "HTTP 200");
    svc_init(&s, fixture_port, "/ok");
    svc_add_json(&s, "status", "healthy");
    probe_path(&s, &r, NULL, false, "body is not JSON");
}

static void test_body_over_the_cap_is_cut_not_downloaded(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    /* Streamed without Content-Length, with and without a body check. */
    probe_path(&s, &r, "/big?bytes=100000000", false, "body over 64 KiB");
    svc_init(&s, fixture_port, "/big?bytes=100000000");
    s.c.u.http.body = "healthy";
    probe_path(&s, &r, NULL, false, "body over 64 KiB"); /* not the whole 100 MB */
    probe_path(&s, &r, "/big?bytes=1000000&length=1", false, "body over 64 KiB");
    probe_path(&s, &r, "/chunked-forever", false, "body over 64 KiB");
    svc_init(&s, fixture_port, "/big?bytes=1000");
    s.c.u.http.max_body = 1000;
    probe_path(&s, &r, NULL, true, "HTTP 200");
    svc_init(&s, fixture_port, "/big?bytes=1001");
    s.c.u.http.max_body = 1000;
    probe_path(&s, &r, NULL, false, "body over 1000 bytes");
}

/* ---- broken servers ------------------------------------------------------------- */

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    CHECK_GE("fd", fd, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_broken_servers_name_their_failure(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    probe_path(&s, &r, "/reset", false, "connection reset");
    probe_path(&s, &r, "/close", false, "empty reply (connection closed)");
    probe_path(&s, &r, "/garbage", false, "bad HTTP response");
    svc_init(&s, free_port(), "/ok");
    probe_path(&s, &r, NULL, false, "connection refused");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "Failed to connect to 127.0.0.1 port");
}

static void test_unresolvable_host_is_named(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    svc_init(&s, 0, NULL);
    s.urls[0] = "http://nothing-here.invalid/health";
    s.c.u.http.nurls = 1;
    s.c.timeout_ms = 5000;
    probe_path(&s, &r, NULL, false, "cannot resolve nothing-here.invalid");
}

static void test_redirects(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    probe_path(&s, &r, "/redirect?to=/ok", false, "HTTP 302");
    svc_init(&s, fixture_port, "/redirect?to=/ok");
    s.c.u.http.follow_redirects = true;
    s.c.u.http.body = "healthy";
    probe_path(&s, &r, NULL, true, "HTTP 200");
    svc_init(&s, fixture_port, "/redirect-loop");
    s.c.u.http.follow_redirects = true;
    probe_path(&s, &r, NULL, false, "too many redirects");
}

/* ---- replicas, reuse, load, cancel ----------------------------------------------- */

static void test_replicas_count_the_urls_that_answer(void **state)
{
    struct svc s;
    struct run r;
    struct probe_result *res;

    (void)state;
    svc_init(&s, fixture_port, "/ok");
    svc_add_url(&s, "/status/503");
    svc_add_url(&s, "/slow?ms=50");
    s.c.replicas = 3;
    res = probe_path(&s, &r, NULL, false, "replica 2: HTTP 503");
    assert_int_equal(res->up, 2);
    assert_int_equal(res->found, 3);
    CHECK_GE("latency with a 50 ms replica (us)", res->latency_us, 50000);
    CHECK_CONTAINS("res->detail", res->detail, "replica 2: GET ");
    s.c.replicas = 2;
    probe_path(&s, &r, NULL, true, "replica 2: HTTP 503");
    svc_init(&s, fixture_port, "/ok");
    svc_add_url(&s, "/json");
    s.c.replicas = 2;
    probe_path(&s, &r, NULL, true, "HTTP 200");
}

static void test_connection_reused_unless_fresh_connect(void **state)
{
    struct svc s;
    struct run r;
    uint64_t before = srv.net.accepted;

    (void)state;
    svc_init(&s, srv.net.port, "/ok");
    CHECK_TRUE("first probe ok", run1(&s, &r)->ok);
    for (int i = 0; i < 3; i++) {
        CHECK_TRUE("probe on a kept connection ok", run1(&s, &r)->ok);
        CHECK_EQ("connections accepted, one reused", srv.net.accepted - before, 1);
    }
    s.c.u.http.fresh_connect = true;
    for (int i = 0; i < 3; i++)
        assert_true(run1(&s, &r)->ok);
    assert_int_equal(srv.net.accepted - before, 4);
}

static void on_srv2_closed(struct httpd *s)
{
    *(bool *)s->ud = true;
}

/* A server restarted between probes leaves a dead connection in curl's
 * cache: the next probe must notice and connect afresh, not fail. */
static void test_restarted_server_gets_a_fresh_connection(void **state)
{
    struct httpd s2;
    struct svc s;
    struct run r;
    bool closed = false;
    int port;

    (void)state;
    for (int round = 0; round < 3; round++) {
        httpd_init(&s2, &loop, srv_handle, &closed);
        assert_int_equal(httpd_listen(&s2, "127.0.0.1", round ? port : 0), 0);
        port = s2.net.port;
        svc_init(&s, port, "/ok");
        probe_path(&s, &r, NULL, true, "HTTP 200");
        closed = false;
        httpd_close(&s2, on_srv2_closed);
        while (!closed)
            run_once(&loop);
    }
}

/* A service going down and up: /control/down, then SIGUSR1 flips it. */
static void test_service_going_down_and_up(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    probe_path(&s, &r, "/toggle", true, "HTTP 200");
    probe_path(&s, &r, "/control/down", true, "HTTP 200");
    probe_path(&s, &r, "/toggle", false, "HTTP 503");
    kill(fixture_pid, SIGUSR1); /* asynchronous: wait for it to land */
    svc_init(&s, fixture_port, "/toggle");
    WAIT_UNTIL("/toggle up again after SIGUSR1", run1(&s, &r)->ok);
    assert_string_equal(r.p.result.message, "HTTP 200");
}

/* One fixture serving three ports, each answer delayed: three replicas. */
static void test_replicas_on_three_ports_are_probed_at_once(void **state)
{
    char *extra[] = {"--ports", "3", "--delay-ms", "1000"};
    int ports[3];
    pid_t pid = fixture_run(extra, 4, ports, 3);
    struct svc s;
    struct run r;

    (void)state;
    CHECK_GT("fixture_http pid", pid, 0);
    svc_init(&s, ports[0], "/ok");
    for (int i = 1; i < 3; i++) {
        ht_snprintf(s.url_text[i], sizeof(s.url_text[i]), "http://127.0.0.1:%d/ok", ports[i]);
        s.urls[i] = s.url_text[i];
    }
    s.c.u.http.nurls = 3;
    s.c.replicas = 3;
    probe_path(&s, &r, NULL, true, "HTTP 200");
    CHECK_GE("latency with 1 s answers (us)", r.p.result.latency_us, 1000000);
    /* Concurrently, not one after another: the fixture held the three
     * answers back at the same moment. */
    CHECK_EQ("answers the fixture held at once", test_fixture_stat(ports[0], "max_held"), 3);
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_hundred_probes_are_in_the_server_at_once(void **state)
{
    enum { N = 100 };
    struct svc s;
    struct run *r = calloc(N, sizeof(*r));

    (void)state;
    CHECK_EQ("GET /stats?reset=1", test_fixture_reset(fixture_port), 0);
    svc_init(&s, fixture_port, "/slow?ms=2000");
    run_many(&s, r, N);
    for (int i = 0; i < N; i++)
        CHECK_STR("message of a slow probe", r[i].p.result.message, "HTTP 200");
    /* All N in the server at the same moment: not one after another. */
    CHECK_EQ("answers the fixture held at once", test_fixture_stat(fixture_port, "max_held"), N);
    free(r);
}

static void test_cancel_calls_back_once_at_any_stage(void **state)
{
    struct svc s;
    struct run r = {0};

    long hung;

    (void)state;
    svc_init(&s, fixture_port, "/hang");
    r.p.data = &r;
    assert_int_equal(probe_start(&r.p, &env, &s.c, on_done), 0);
    probe_cancel(&r.p);
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.p.result.message, "cancelled");
    probe_cancel(&r.p); /* no longer in flight: nothing happens */
    assert_int_equal(r.calls, 1);

    hung = test_fixture_stat(fixture_port, "hung");
    assert_int_equal(probe_start(&r.p, &env, &s.c, on_done), 0);
    /* The probe's request hangs in the fixture: in flight, not done. */
    WAIT_UNTIL("the fixture holds the probe's /hang request",
               (uv_run(&loop, UV_RUN_NOWAIT), test_fixture_stat(fixture_port, "hung") > hung));
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ("callbacks while the request hangs", r.calls, 1);
    probe_cancel(&r.p);
    assert_int_equal(r.calls, 2);
    assert_false(r.p.result.ok);

    /* While curl's resolver thread looks the name up. */
    ht_snprintf(s.url_text[0], sizeof(s.url_text[0]), "http://localhost:%d/hang", fixture_port);
    assert_int_equal(probe_start(&r.p, &env, &s.c, on_done), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    probe_cancel(&r.p);
    assert_int_equal(r.calls, 3);
}

static void test_headers_sent_and_secrets_masked(void **state)
{
    struct svc s;
    struct run r;

    (void)state;
    svc_init(&s, fixture_port, "/header?name=User-Agent");
    s.c.u.http.body = "healthtop/" HT_VERSION;
    probe_path(&s, &r, NULL, true, "HTTP 200");
    secret_add("s3cr3t-token-value");
    svc_init(&s, fixture_port, "/header?name=X-Token");
    s.headers[0] = (struct config_kv){"X-Token", "s3cr3t-token-value"};
    s.c.u.http.nheaders = 1;
    s.c.u.http.body = "s3cr3t";
    probe_path(&s, &r, NULL, true, "HTTP 200");
    CHECK_LACKS("r.p.result.detail", r.p.result.detail, "s3cr3t-token-value");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, SECRET_MASK);
}

/* ---- TLS, against openssl s_server with a self-signed certificate ------------ */

static bool port_open(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

    close(fd);
    return ok;
}

static void test_tls_self_signed_fails_unless_insecure(void **state)
{
    char dir[] = "/tmp/ht_tls_XXXXXX", key[64], crt[64], acc[32];
    int port = free_port(), status;
    pid_t pid;
    struct svc s;
    struct run r;

    (void)state;
    if (access("/usr/bin/openssl", X_OK) != 0)
        skip();
    assert_non_null(mkdtemp(dir));
    ht_snprintf(key, sizeof(key), "%s/key.pem", dir);
    ht_snprintf(crt, sizeof(crt), "%s/cert.pem", dir);
    ht_snprintf(acc, sizeof(acc), "127.0.0.1:%d", port);
    char *req[] = {"/usr/bin/openssl", "req",   "-x509",         "-newkey", "rsa:2048",
                   "-nodes",           "-subj", "/CN=localhost", "-days",   "1",
                   "-keyout",          key,     "-out",          crt,       NULL};
    pid = spawn(req);
    assert_true(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
    char *srv_argv[] = {
        "/usr/bin/openssl", "s_server", "-www", "-accept", acc, "-cert", crt, "-key", key,
        "-quiet",           NULL};
    pid = spawn(srv_argv);
    WAIT_UNTIL("openssl s_server listening", port_open(port));

    svc_init(&s, port, NULL);
    ht_snprintf(s.url_text[0], sizeof(s.url_text[0]), "https://127.0.0.1:%d/", port);
    s.urls[0] = s.url_text[0];
    s.c.u.http.nurls = 1;
    probe_path(&s, &r, NULL, false, "TLS: certificate verify failed (self-signed)");
    s.c.u.http.insecure = true;
    probe_path(&s, &r, NULL, true, "HTTP 200");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "insecure");

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(key);
    unlink(crt);
    rmdir(dir);
}

/* ---- clean-up --------------------------------------------------------------- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* A loop of its own: probes in flight when the env closes complete once
 * ("cancelled"), and afterwards no fd and no handle is left. */
static void test_env_close_no_leak(void **state)
{
    uv_loop_t l;
    struct probe_env e;
    struct svc ok, hang;
    struct run r[20];
    int before = count_fds();
    long hung = test_fixture_stat(fixture_port, "hung");
    int64_t deadline = test_deadline();
    bool oks_done = false;

    (void)state;
    assert_int_equal(uv_loop_init(&l), 0);
    assert_int_equal(probe_env_init(&e, &l), 0);
    svc_init(&ok, fixture_port, "/ok");
    svc_init(&hang, fixture_port, "/hang");
    for (int i = 0; i < 20; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].p.data = &r[i];
        assert_int_equal(probe_start(&r[i].p, &e, i % 2 ? &hang.c : &ok.c, on_done), 0);
    }
    /* Until the ten /ok probes are done and the ten /hang requests are
     * held by the fixture: then close the env with those in flight. */
    while (!oks_done || test_fixture_stat(fixture_port, "hung") < hung + 10) {
        CHECK_TRUE("/ok done and /hang held before the deadline", test_before(deadline));
        run_once(&l);
        oks_done = true;
        for (int i = 0; i < 20; i += 2)
            oks_done = oks_done && r[i].calls == 1;
    }
    for (int i = 0; i < 20; i += 2)
        CHECK_STR("message of an /ok probe", r[i].p.result.message, "HTTP 200");
    probe_env_close(&e);
    for (int i = 0; i < 20; i++)
        assert_int_equal(r[i].calls, 1);
    assert_string_equal(r[1].p.result.message, "cancelled");
    uv_run(&l, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&l), 0);
    assert_int_equal(count_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_answer_is_healthy_with_latency),
        cmocka_unit_test(test_status_codes_match_the_expected_list),
        cmocka_unit_test(test_slow_answer_is_flagged_over_max_latency),
        cmocka_unit_test(test_hung_and_dripping_servers_time_out),
        cmocka_unit_test(test_every_hung_transfer_completes_by_timeout),
        cmocka_unit_test(test_body_must_contain_the_text),
        cmocka_unit_test(test_json_fields_must_match),
        cmocka_unit_test(test_body_over_the_cap_is_cut_not_downloaded),
        cmocka_unit_test(test_broken_servers_name_their_failure),
        cmocka_unit_test(test_unresolvable_host_is_named),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_replicas_count_the_urls_that_answer),
        cmocka_unit_test(test_connection_reused_unless_fresh_connect),
        cmocka_unit_test(test_restarted_server_gets_a_fresh_connection),
        cmocka_unit_test(test_service_going_down_and_up),
        cmocka_unit_test(test_replicas_on_three_ports_are_probed_at_once),
        cmocka_unit_test(test_hundred_probes_are_in_the_server_at_once),
        cmocka_unit_test(test_cancel_calls_back_once_at_any_stage),
        cmocka_unit_test(test_headers_sent_and_secrets_masked),
        cmocka_unit_test(test_tls_self_signed_fails_unless_insecure),
        cmocka_unit_test(test_env_close_no_leak),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
