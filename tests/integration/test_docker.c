/* The docker probe against an engine on a unix socket:
 *
 *   - a real one when this machine can run containers: Podman's API
 *     service (`podman system service`), containers made from a local
 *     busybox image (doc/docker.md), running, exited, created, healthy and
 *     unhealthy. Where it cannot, the test says why and skips that part.
 *   - always, tests/fixtures/fixture_docker.py replaying recorded Docker
 *     and Podman answers (Docker's "(healthy)" suffix forms included), which
 *     logs every request: the probe must only ever send GET.
 *   - failures: a missing socket, a socket whose server went away, one that
 *     closes on every request, one that never answers, a permission error.
 *
 * Every process started here is killed at exit, even when a check fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "support/check.h"
#include "support/probe_run.h"
#include "healthtop/scheduler.h"

#define PY "/usr/bin/python3"

static char dir[64];
#define MAX_CHILDREN 16
static pid_t children[MAX_CHILDREN];
static int nchildren;

static void children_kill(void)
{
    for (int i = 0; i < nchildren; i++)
        if (children[i] > 0) {
            kill(-children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
}

static void child_stop(pid_t pid)
{
    for (int i = 0; i < nchildren; i++)
        if (children[i] == pid) {
            kill(-pid, SIGKILL);
            waitpid(pid, NULL, 0);
            children[i] = 0;
        }
}

static bool socket_answers(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    bool ok;

    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* Starts argv in its own process group; waits up to 30 s for sock. */
static pid_t spawn_server(const char *const *argv, const char *sock, const char *log)
{
    pid_t pid = fork();

    CHECK_GE("pid", pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        freopen("/dev/null", "r", stdin);
        freopen(log, "a", stdout);
        freopen(log, "a", stderr);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int slot = 0;
    while (slot < nchildren && children[slot] > 0)
        slot++;
    CHECK_LT("slot", slot, MAX_CHILDREN);
    children[slot] = pid;
    if (slot == nchildren)
        nchildren++;
    for (int64_t end = test_deadline(); !socket_answers(sock) && test_nap_before(end);)
        ;
    if (!socket_answers(sock)) {
        child_stop(pid);
        return -1;
    }
    return pid;
}

struct fixture {
    pid_t pid;
    char sock[128];
    char log[128];
};

static void fixture_start(struct fixture *f, const char *mode)
{
    char script[1024], data[1024];
    static int seq;

    snprintf(script, sizeof(script), "%s/tests/fixtures/fixture_docker.py",
             getenv("HT_SOURCE_DIR"));
    snprintf(data, sizeof(data), "%s/tests/data/docker", getenv("HT_SOURCE_DIR"));
    snprintf(f->sock, sizeof(f->sock), "%s/%s-%d.sock", dir, mode, ++seq);
    snprintf(f->log, sizeof(f->log), "%s/%s-%d.log", dir, mode, seq);
    const char *argv[] = {PY, script, f->sock, data, mode, f->log, NULL};
    f->pid = spawn_server(argv, f->sock, f->log);
    CHECK_GT("f->pid", f->pid, 0);
}

/* The requests the fixture saw, one "METHOD PATH" per line. */
static int fixture_requests(const struct fixture *f, const char *prefix)
{
    char line[2048];
    int n = 0;
    FILE *in = fopen(f->log, "r");

    if (in == NULL)
        return 0;
    while (fgets(line, sizeof(line), in))
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            n++;
    fclose(in);
    return n;
}

static void svc_docker(struct svc_config *s, const char *sock, const char *project,
                       const char *service, int replicas, int64_t timeout_ms)
{
    test_svc_init(s, service ? service : "docker", PROBE_DOCKER, timeout_ms);
    s->u.docker.socket = (char *)sock;
    s->u.docker.project = (char *)project;
    s->u.docker.service = (char *)service;
    s->replicas = replicas;
}

struct want {
    const char *service;
    int replicas;
    bool ok;
    int up, found;
    const char *message;
};

/* Probes every service of want[] in one batch and checks each result. */
static void check_batch(const char *sock, const char *project, const struct want *w, size_t n)
{
    struct svc_config s[16];
    const struct svc_config *sp[16];
    struct probe_run runs[16];
    int fds = test_count_fds();

    CHECK_LE("n", n, 16);
    for (size_t i = 0; i < n; i++) {
        svc_docker(&s[i], sock, project, w[i].service, w[i].replicas, TEST_PATIENCE_MS);
        sp[i] = &s[i];
    }
    CHECK_GE("probe_run_batch(runs, sp, n, 0)", probe_run_batch(runs, sp, n, 0), 0);
    for (size_t i = 0; i < n; i++) {
        const struct probe_result *r = &runs[i].p.result;
        if (runs[i].calls != 1 || r->ok != w[i].ok || r->up != w[i].up || r->found != w[i].found ||
            strcmp(r->message, w[i].message) != 0)
            fail_msg("%s: calls %d ok %d up %d found %d message '%s' (detail '%s'), want ok %d "
                     "up %d found %d '%s'",
                     w[i].service, runs[i].calls, r->ok, r->up, r->found, r->message, r->detail,
                     w[i].ok, w[i].up, w[i].found, w[i].message);
        CHECK_GT("r->latency_us", r->latency_us, 0);
    }
    assert_int_equal(test_count_fds(), fds);
}

static void test_replay_docker(void **state)
{
    struct fixture f;
    const struct want w[] = {
        {"web", 2, true, 2, 2, "2 running (healthy)"},
        {"worker", 1, false, 0, 1, "health: starting"},
        {"sick", 1, false, 0, 1, "unhealthy: database is down retrying later"},
        {"flappy", 1, false, 0, 1, "restarting (1)"},
        {"job", 1, false, 0, 1, "exited (137)"},
        {"frozen", 1, false, 0, 1, "paused"},
        {"gone", 1, false, 0, 1, "dead"},
        {"new", 1, false, 0, 1, "created"},
        {"scheduler", 1, true, 1, 1, "running"},
        {"heavy", 0, false, 0, 0, "no containers"},
    };

    (void)state;
    fixture_start(&f, "docker");
    check_batch(f.sock, "e2i", w, HT_ARRAY_LEN(w));
    /* One listing for the whole batch, filtered by the shared project;
     * inspect where Status says nothing (scheduler) or unhealthy, and, for
     * their start and health times, once each running one. */
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/json?all=1&filters="), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0404"), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0909"), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0101"), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0202"), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0303"), 1);
    assert_int_equal(fixture_requests(&f, "GET "), 6);
    assert_int_equal(fixture_requests(&f, ""), 6); /* nothing but GET */
    child_stop(f.pid);
}

/* Round after round on one loop: a container whose listing says its
 * health is inspected once (for its times) and then never again while it
 * stays as it is; one that needs its inspect for its health (no health in
 * Status, or unhealthy) is inspected each round. The first result of web
 * is dated by the engine: it started, and was healthy, long before. */
static void on_round(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                     void *ud)
{
    (void)svc, (void)changed, (void)old;
    for (size_t i = 0; i < s->nsvcs; i++)
        if (s->svcs[i].probes < 4)
            return;
    *(bool *)ud = true;
}

static void on_sched_closed(struct scheduler *s)
{
    (void)s;
}

static void stop_when_done(uv_idle_t *h)
{
    struct scheduler *s = h->data;
    bool *done = s->observers[0].ud;
    if (*done && !s->closing) {
        sched_close(s, on_sched_closed);
        uv_close((uv_handle_t *)h, NULL);
    }
}

static void test_rounds_inspect_only_what_changes(void **state)
{
    struct fixture f;
    struct ht_config cfg;
    struct scheduler s;
    uv_loop_t loop;
    uv_idle_t idle;
    char text[1024], err[512];
    bool done = false;

    (void)state;
    fixture_start(&f, "docker");
    snprintf(text, sizeof(text),
             "defaults: {interval: 100ms, timeout: 60s}\n"
             "services:\n"
             "  web: {docker: {project: e2i, service: web, socket: %s}, replicas: 2}\n"
             "  scheduler: {docker: {project: e2i, service: scheduler, socket: %s}}\n"
             "  sick: {docker: {project: e2i, service: sick, socket: %s}}\n",
             f.sock, f.sock, f.sock);
    if (config_parse("rounds.yml", text, strlen(text), &cfg, err, sizeof(err)) != 0)
        fail_msg("config_parse: %s", err);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sched_init(&s, &loop, &cfg), 0);
    sched_observe(&s, on_round, &done);
    uv_idle_init(&loop, &idle);
    idle.data = &s;
    uv_idle_start(&idle, stop_when_done);
    sched_start(&s, false);
    uv_run(&loop, UV_RUN_DEFAULT);

    int listings = fixture_requests(&f, "GET /v1.41/containers/json");
    CHECK_GE("listings", listings, 4);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0101"), 1);
    assert_int_equal(fixture_requests(&f, "GET /v1.41/containers/0202"), 1);
    /* Needed for their health: at least every round scheduler or sick
     * was probed in (4 each), never more than the listings. */
    CHECK_GE("inspects of 0909", fixture_requests(&f, "GET /v1.41/containers/0909"), 4);
    CHECK_LE("inspects of 0909", fixture_requests(&f, "GET /v1.41/containers/0909"), listings);
    CHECK_GE("inspects of 0404", fixture_requests(&f, "GET /v1.41/containers/0404"), 4);
    /* web healthy since 02:58:10.250 by its own health log, which is long
     * before this test: the first result dates it, not the probe. */
    const struct health *wh = &s.svcs[0].health;
    assert_int_equal(wh->state, HEALTH_HEALTHY);
    CHECK_LT("web first healthy before the first probe", wh->first_healthy_ms, s.t0_ms);
    CHECK_EQ("web healthy 10.25 s after it started", wh->first_healthy_ms - wh->first_seen_ms,
             10250);
    sched_free(&s);
    assert_int_equal(uv_loop_close(&loop), 0);
    config_free(&cfg);
    child_stop(f.pid);
}

/* The starting flag, for health's "starting". */
static void test_replay_starting(void **state)
{
    struct fixture f;
    struct svc_config s;
    struct probe_run r;

    (void)state;
    fixture_start(&f, "docker");
    svc_docker(&s, f.sock, "e2i", "worker", 1, TEST_PATIENCE_MS);
    r = probe_run_one(&s);
    assert_true(r.p.result.starting);
    svc_docker(&s, f.sock, "e2i", "sick", 1, TEST_PATIENCE_MS);
    r = probe_run_one(&s);
    assert_false(r.p.result.starting);
    assert_string_equal(
        r.p.result.detail,
        "e2i-sick-1: unhealthy: database is down retrying later (failing streak 3)");
    /* No project: the listing is filtered by service only. */
    svc_docker(&s, f.sock, NULL, "web", 2, TEST_PATIENCE_MS);
    r = probe_run_one(&s);
    assert_int_equal(r.p.result.found, 3);
    assert_true(r.p.result.ok);
    assert_int_equal(fixture_requests(&f, ""), fixture_requests(&f, "GET "));
    child_stop(f.pid);
}

/* The containers of the Podman recordings, and of the real engine below
 * (made the same way). */
static const struct want podman_want[] = {
    {"web", 1, true, 1, 1, "running"},
    {"ok", 1, true, 1, 1, "running (healthy)"},
    {"sick", 1, false, 0, 1, "unhealthy: db down"},
    {"job", 1, false, 0, 1, "exited (3)"},
    {"new", 1, false, 0, 1, "created"},
    {"heavy", 0, false, 0, 0, "no containers"},
};

static void test_replay_podman(void **state)
{
    struct fixture f;

    (void)state;
    fixture_start(&f, "podman");
    check_batch(f.sock, "e2i", podman_want, HT_ARRAY_LEN(podman_want));
    /* Podman has no health suffix: every running one is inspected. */
    assert_int_equal(fixture_requests(&f, "GET "), 4);
    assert_int_equal(fixture_requests(&f, ""), 4);
    child_stop(f.pid);
}

/* The fixture's GET-only check is real: it refuses and logs a POST. */
static void test_fixture_refuses_post(void **state)
{
    struct fixture f;
    CURL *c = curl_easy_init();
    long code = 0;
    FILE *null = fopen("/dev/null", "w");

    (void)state;
    fixture_start(&f, "docker");
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, f.sock);
    curl_easy_setopt(c, CURLOPT_URL, "http://localhost/v1.41/containers/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 405);
    assert_int_equal(fixture_requests(&f, "POST "), 1);
    curl_easy_cleanup(c);
    fclose(null);
    child_stop(f.pid);
}

static struct probe_run probe_sock(const char *sock, int64_t timeout_ms)
{
    struct svc_config s;
    svc_docker(&s, sock, "e2i", "web", 1, timeout_ms);
    return probe_run_one(&s);
}

static void test_socket_missing_and_vanishing(void **state)
{
    struct fixture f;
    struct probe_run r;
    char want[256];

    (void)state;
    snprintf(want, sizeof(want), "%s/nope.sock", dir);
    r = probe_sock(want, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    snprintf(want, sizeof(want),
             "engine unreachable: cannot reach %s/nope.sock: no such file or directory", dir);
    assert_string_equal(r.p.result.message, "engine unreachable");
    assert_string_equal(r.p.result.detail, want); /* at once, not the timeout */

    fixture_start(&f, "docker");
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    assert_true(r.p.result.ok);
    /* The engine dies: its socket file stays, nobody listens. */
    child_stop(f.pid);
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    snprintf(want, sizeof(want), "engine unreachable: cannot reach %s: connection refused", f.sock);
    assert_string_equal(r.p.result.message, "engine unreachable");
    assert_string_equal(r.p.result.detail, want);
    unlink(f.sock);
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    snprintf(want, sizeof(want), "engine unreachable: cannot reach %s: no such file or directory",
             f.sock);
    assert_string_equal(r.p.result.message, "engine unreachable");
    assert_string_equal(r.p.result.detail, want);

    /* The engine dies while a request is in flight: an error at once,
     * not a wait for the (patient) timeout. The killer waits until the
     * fixture has logged the request it will never answer. */
    fixture_start(&f, "hang");
    pid_t killer = fork();
    CHECK_GE("killer", killer, 0);
    if (killer == 0) {
        int64_t end = test_deadline();
        while (fixture_requests(&f, "GET ") == 0 && test_nap_before(end))
            ;
        kill(-f.pid, SIGKILL);
        _exit(0);
    }
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    waitpid(killer, NULL, 0);
    child_stop(f.pid);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    snprintf(want, sizeof(want), "engine unreachable: cannot reach %s: ", f.sock);
    assert_string_equal(r.p.result.message, "engine unreachable");
    CHECK_CONTAINS("message when the engine dies", r.p.result.detail, want);

    /* An engine that hangs up on every request. */
    fixture_start(&f, "close");
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    snprintf(want, sizeof(want), "engine unreachable: cannot reach %s: empty reply from server",
             f.sock);
    assert_string_equal(r.p.result.message, "engine unreachable");
    assert_string_equal(r.p.result.detail, want);
    child_stop(f.pid);
}

/* Answers the probe cannot use: too big, an error status. */
static void test_bad_answers(void **state)
{
    struct fixture f;
    struct probe_run r;

    (void)state;
    fixture_start(&f, "big");
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "engine answer over 4194304 bytes");
    child_stop(f.pid);
    fixture_start(&f, "old");
    r = probe_sock(f.sock, TEST_PATIENCE_MS);
    assert_string_equal(r.p.result.message, "engine answered HTTP 400: client version 1.41 is "
                                            "too new. Maximum supported API version is 1.40");
    child_stop(f.pid);
}

static void test_hang_timeout_cancel(void **state)
{
    struct fixture f;
    struct probe_run r, runs[2];
    struct svc_config s;
    const struct svc_config *sp[2] = {&s, &s};

    (void)state;
    fixture_start(&f, "hang");
    r = probe_sock(f.sock, 500);
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.p.result.message, "timeout after 500ms");
    CHECK_GE("ms to the timeout", r.done_ms, 450);
    svc_docker(&s, f.sock, "e2i", "web", 1, TEST_PATIENCE_MS);
    CHECK_GE("probe_run_batch", probe_run_batch(runs, sp, 2, 100), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(runs[i].calls, 1);
        assert_string_equal(runs[i].p.result.message, "cancelled");
    }
    child_stop(f.pid);
}

/* As root a chmod does not deny: probe from a child that became nobody. */
static void test_permission_denied(void **state)
{
    struct fixture f;
    char want[256], got[PROBE_DETAIL_MAX] = "";
    int fd[2], status;

    (void)state;
    fixture_start(&f, "docker");
    snprintf(want, sizeof(want), "engine unreachable: cannot reach %s: permission denied", f.sock);
    assert_int_equal(chmod(f.sock, 0600), 0);
    if (geteuid() != 0) {
        assert_int_equal(chmod(f.sock, 0), 0);
        struct probe_run r = probe_sock(f.sock, TEST_PATIENCE_MS);
        assert_string_equal(r.p.result.message, "engine unreachable");
        assert_string_equal(r.p.result.detail, want);
        child_stop(f.pid);
        return;
    }
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    CHECK_GE("pid", pid, 0);
    if (pid == 0) {
        close(fd[0]);
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        struct probe_run r = probe_sock(f.sock, TEST_PATIENCE_MS);
        ssize_t w = write(fd[1], r.p.result.detail, strlen(r.p.result.detail));
        _exit(w > 0 ? 0 : 4);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], got, sizeof(got) - 1);
    close(fd[0]);
    waitpid(pid, &status, 0);
    child_stop(f.pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        print_message("cannot become nobody here: the permission part is skipped\n");
        skip();
    }
    got[n > 0 ? n : 0] = '\0';
    assert_string_equal(got, want);
}

/* ---- a real engine: Podman ---- */

static char podman_project[32];
static char podman_why[256];

static int sh(const char *fmt, ...) HT_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strncat(cmd, " >>", sizeof(cmd) - strlen(cmd) - 1);
    strncat(cmd, dir, sizeof(cmd) - strlen(cmd) - 1);
    strncat(cmd, "/podman.log 2>&1", sizeof(cmd) - strlen(cmd) - 1);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#define PODMAN_IMAGE "localhost/healthtop-test-busybox:latest"

static void podman_cleanup(void)
{
    if (podman_project[0] == '\0')
        return;
    sh("podman ps -aq --filter label=com.docker.compose.project=%s | xargs -r podman rm -f -t 0",
       podman_project);
    /* Without -f: another run's containers may still use the image. */
    sh("podman rmi %s", PODMAN_IMAGE);
    podman_project[0] = '\0';
}

/* Containers of earlier runs that died before their clean-up (a crash
 * skips atexit): every test container carries healthtop.test=PID. */
static void podman_reap_orphans(void)
{
    sh("podman ps -a --filter label=healthtop.test --format '{{.ID}} {{index .Labels "
       "\"healthtop.test\"}}' | while read id pid; do kill -0 \"$pid\" 2>/dev/null || "
       "podman rm -f -t 0 \"$id\"; done");
}

/* Makes an image from busybox and the containers; 0, or -1 with why. */
static int podman_setup(void)
{
    const char *img = PODMAN_IMAGE;
    const char *P = podman_project;
    char conf[128], L[200];

    if (sh("(command -v podman && command -v runc && test -x /bin/busybox)") != 0) {
        snprintf(podman_why, sizeof(podman_why), "podman, runc or busybox-static missing");
        return -1;
    }
    snprintf(conf, sizeof(conf), "%s/containers.conf", dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "[engine]\nruntime = \"runc\"\n[containers]\n"
               "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n");
    fclose(f);
    setenv("CONTAINERS_CONF", conf, 1);
    podman_reap_orphans();
    snprintf(podman_project, sizeof(podman_project), "httest%d", (int)getpid());
    atexit(podman_cleanup);
    snprintf(L, sizeof(L),
             "--label healthtop.test=%d --label com.docker.compose.project=%s "
             "--label com.docker.compose.service",
             (int)getpid(), P);
    if (sh("mkdir -p %s/rootfs/bin && cp /bin/busybox %s/rootfs/bin/ && "
           "for c in sh sleep true; do ln -sf busybox %s/rootfs/bin/$c; done && "
           "tar -C %s/rootfs -cf %s/rootfs.tar . && podman import %s/rootfs.tar %s",
           dir, dir, dir, dir, dir, dir, img) != 0 ||
        sh("podman run -d --name %s-web-1 %s=web %s /bin/sleep 600", P, L, img) != 0) {
        snprintf(podman_why, sizeof(podman_why),
                 "podman cannot run a container (see %s/podman.log)", dir);
        return -1;
    }
    if (sh("podman run -d --name %s-ok-1 %s=ok --health-cmd /bin/true %s /bin/sleep 600", P, L,
           img) != 0 ||
        sh("podman run -d --name %s-sick-1 %s=sick --health-retries 1 "
           "--health-cmd '/bin/sh -c \"echo db down; exit 1\"' %s /bin/sleep 600",
           P, L, img) != 0 ||
        sh("podman run --name %s-job-1 %s=job %s /bin/sh -c 'exit 3'", P, L, img) != 3 ||
        sh("podman create --name %s-new-1 %s=new %s /bin/sleep 1", P, L, img) != 0 ||
        sh("podman healthcheck run %s-ok-1", P) != 0 ||
        sh("podman healthcheck run %s-sick-1", P) == 0) {
        snprintf(podman_why, sizeof(podman_why), "podman set-up failed (see %s/podman.log)", dir);
        return -1;
    }
    return 0;
}

static void test_podman_engine(void **state)
{
    char sock[128], url[160], log[128];

    (void)state;
    if (podman_setup() != 0) {
        print_message("no real engine here: %s; the replay fixture covers the API\n", podman_why);
        skip();
    }
    snprintf(sock, sizeof(sock), "%s/podman.sock", dir);
    snprintf(url, sizeof(url), "unix://%s", sock);
    snprintf(log, sizeof(log), "%s/podman-service.log", dir);
    const char *argv[] = {"/usr/bin/podman", "system", "service", "--time=0", url, NULL};
    pid_t pid = spawn_server(argv, sock, log);
    if (pid < 0) {
        print_message("podman system service did not come up (see %s)\n", log);
        skip();
    }
    check_batch(sock, podman_project, podman_want, HT_ARRAY_LEN(podman_want));
    child_stop(pid);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    /* libuv opens a process-wide pipe with the first loop: not a leak. */
    uv_loop_t warm;
    if (uv_loop_init(&warm) != 0 || uv_loop_close(&warm) != 0)
        return -1;
    strcpy(dir, "/tmp/ht-docker-XXXXXX");
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
        return -1;
    atexit(children_kill);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    children_kill();
    podman_cleanup();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_docker),
        cmocka_unit_test(test_rounds_inspect_only_what_changes),
        cmocka_unit_test(test_replay_starting),
        cmocka_unit_test(test_replay_podman),
        cmocka_unit_test(test_fixture_refuses_post),
        cmocka_unit_test(test_socket_missing_and_vanishing),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_hang_timeout_cancel),
        cmocka_unit_test(test_permission_denied),
        cmocka_unit_test(test_podman_engine),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
