/* The celery probe against a real redis-server and real Celery 5.2
 * workers (Debian's python3-celery, tests/integration/celery_app.py):
 *
 *   db 0: worker_light1, worker_light2, worker_medium1 (threads pool), no
 *         heavy worker;
 *   db 1: worker_idle1 (threads) and worker_busy1 (solo pool), which is
 *         then kept busy in a long task and stops answering.
 *
 * Every process started here is killed at exit, even when a check fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "support/check.h"
#include "support/probe_run.h"
#include "support/redis_server.h"

#define PY          "/usr/bin/python3"
#define MAX_WORKERS 8
#define BINDINGS    "_kombu.binding.reply.celery.pidbox"

static struct redis_server srv;
static pid_t workers[MAX_WORKERS];
static int nworkers;
static char logdir[64];
static char host[256];

static void workers_kill(void)
{
    for (int i = 0; i < nworkers; i++)
        if (workers[i] > 0) {
            kill(-workers[i], SIGKILL);
            kill(workers[i], SIGKILL);
            waitpid(workers[i], NULL, 0);
            workers[i] = 0;
        }
}

static void broker_url(char *buf, size_t n, int db)
{
    snprintf(buf, n, "redis://127.0.0.1:%d/%d", srv.port, db);
}

/* Runs python with the test app importable and the broker of db set. */
static void exec_python(int db, const char *const *args)
{
    char broker[128], path[1024];
    const char *argv[32];
    int n = 0;

    broker_url(broker, sizeof(broker), db);
    snprintf(path, sizeof(path), "%s/tests/integration", getenv("HT_SOURCE_DIR"));
    setenv("HT_CELERY_BROKER", broker, 1);
    setenv("PYTHONPATH", path, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    argv[n++] = PY;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execv(PY, (char *const *)argv);
    _exit(127);
}

static void worker_start(int db, const char *name, const char *pool, const char *queue)
{
    char nodename[128], log[128];
    pid_t pid;

    snprintf(nodename, sizeof(nodename), "%s@%%h", name);
    snprintf(log, sizeof(log), "%s/%s.log", logdir, name);
    pid = fork();
    CHECK_GE("pid", pid, 0);
    if (pid == 0) {
        const char *args[] = {"-m",
                              "celery",
                              "-A",
                              "celery_app",
                              "worker",
                              "-n",
                              nodename,
                              "-P",
                              pool,
                              "-c",
                              "1",
                              "-Q",
                              queue,
                              "--without-gossip",
                              "--without-mingle",
                              "--without-heartbeat",
                              "-l",
                              "WARNING",
                              "-f",
                              log,
                              NULL};
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        freopen("/dev/null", "r", stdin);
        freopen(log, "a", stdout);
        freopen(log, "a", stderr);
        exec_python(db, args);
    }
    workers[nworkers++] = pid;
}

static void svc_celery(struct svc_config *s, const char *name, int db, const char *glob,
                       int replicas, int64_t timeout_ms)
{
    test_svc_init(s, name, PROBE_CELERY, timeout_ms);
    s->u.celery.broker.host = (char *)"127.0.0.1";
    s->u.celery.broker.port = srv.port;
    s->u.celery.broker.db = db;
    s->u.celery.workers = (char *)glob;
    s->replicas = replicas;
}

static struct probe_run ping(int db, const char *glob, int replicas, int64_t timeout_ms)
{
    struct svc_config s;
    svc_celery(&s, "ping", db, glob, replicas, timeout_ms);
    return probe_run_one(&s);
}

/* Waits (generously: worker start-up takes seconds, more on a busy
 * machine) until n workers of db answer. */
static int wait_workers(int db, int n)
{
    int64_t deadline = test_deadline() + TEST_PATIENCE_MS;

    do {
        struct probe_run r = ping(db, NULL, n, 1000);
        if (r.p.result.up >= n)
            return 0;
    } while (test_nap_before(deadline));
    return -1;
}

static redisReply *redis_cmd(const char *fmt, ...)
{
    redisContext *c = redisConnect("127.0.0.1", srv.port);
    va_list ap;
    redisReply *r;

    assert_non_null(c);
    assert_int_equal(c->err, 0);
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    assert_non_null(r);
    return r;
}

static long publish_calls(void)
{
    redisReply *r = redis_cmd("INFO commandstats");
    const char *at = strstr(r->str, "cmdstat_publish:calls=");
    long n = at ? atol(at + strlen("cmdstat_publish:calls=")) : 0;
    freeReplyObject(r);
    return n;
}

/* No binding member and no reply list is left in either db. (Celery's own
 * CLI leaves bindings of its own, so its test runs last.) */
static void assert_clean(void)
{
    redisReply *r = redis_cmd("EVAL %s 0", "local n = 0 "
                                           "for _, db in ipairs({0, 1}) do "
                                           "  redis.call('SELECT', db) "
                                           "  n = n + #redis.call('KEYS', '*.reply.celery.pidbox') "
                                           "  n = n + redis.call('SCARD', '" BINDINGS "') "
                                           "end return n");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (gethostname(host, sizeof(host)) != 0)
        return -1;
    strcpy(logdir, "/tmp/ht-celery-XXXXXX");
    if (mkdtemp(logdir) == NULL || redis_server_start(&srv, 0, NULL, NULL) != 0)
        return -1;
    atexit(workers_kill);
    worker_start(0, "worker_light1", "threads", "celery");
    worker_start(0, "worker_light2", "threads", "celery");
    worker_start(0, "worker_medium1", "threads", "celery");
    worker_start(1, "worker_idle1", "threads", "idle");
    worker_start(1, "worker_busy1", "solo", "busy");
    if (wait_workers(0, 3) != 0 || wait_workers(1, 2) != 0) {
        fprintf(stderr, "celery workers did not come up; logs in %s\n", logdir);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    workers_kill();
    redis_server_stop(&srv);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", logdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void assert_names(const char *detail, const char *const *want, size_t n)
{
    char name[300];
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s@%s", want[i], host);
        CHECK_CONTAINS("detail", detail, name);
    }
    for (const char *at = detail; (at = strchr(at, '@')) != NULL; at++)
        count++;
    assert_int_equal(count, n);
}

/* One ping serves every service of the broker; each takes its glob. */
static void test_counts_and_names(void **state)
{
    struct svc_config s[4];
    const struct svc_config *sp[4] = {&s[0], &s[1], &s[2], &s[3]};
    struct probe_run runs[4];
    long before = publish_calls();
    int fds = test_count_fds();

    (void)state;
    svc_celery(&s[0], "worker_light", 0, "worker_light*", 2, TEST_PATIENCE_MS);
    svc_celery(&s[1], "worker_medium", 0, "worker_medium*", 1, TEST_PATIENCE_MS);
    svc_celery(&s[2], "worker_heavy", 0, "worker_heavy*", 0, TEST_PATIENCE_MS);
    svc_celery(&s[3], "all", 0, NULL, 3, TEST_PATIENCE_MS);
    int64_t ms = probe_run_batch(runs, sp, 4, 0);
    CHECK_GE("ms", ms, 0);
    CHECK_LT("ms", ms, 2500); /* ends on the PUBLISH count, not the timeout */
    assert_int_equal(publish_calls() - before, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(runs[i].start_rc, 0);
        assert_int_equal(runs[i].calls, 1);
        assert_int_equal(runs[i].p.result.listening, 3);
    }
    struct probe_result *light = &runs[0].p.result, *medium = &runs[1].p.result;
    struct probe_result *heavy = &runs[2].p.result, *all = &runs[3].p.result;
    assert_true(light->ok);
    assert_int_equal(light->up, 2);
    assert_int_equal(light->found, 2);
    assert_string_equal(light->message, "2 workers answering");
    assert_names(light->detail, (const char *[]){"worker_light1", "worker_light2"}, 2);
    assert_true(medium->ok);
    assert_int_equal(medium->up, 1);
    assert_string_equal(medium->message, "1 worker answering");
    assert_names(medium->detail, (const char *[]){"worker_medium1"}, 1);
    assert_false(heavy->ok); /* replicas 0, none: health shows skipped */
    assert_int_equal(heavy->up, 0);
    assert_string_equal(heavy->message, "no workers answering");
    assert_string_equal(heavy->detail, "");
    assert_true(all->ok);
    assert_int_equal(all->up, 3);
    CHECK_GT("all->latency_us", all->latency_us, 0);
    CHECK_GE("all->connect_us", all->connect_us, 0);
    assert_clean();
    assert_int_equal(test_count_fds(), fds);
}

/* Replicas expected above those answering: not ok, counts still right. */
static void test_fewer_workers_than_expected_fails(void **state)
{
    struct probe_run r = ping(0, "worker_light*", 3, TEST_PATIENCE_MS);

    (void)state;
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_int_equal(r.p.result.up, 2);
    assert_string_equal(r.p.result.message, "2 workers answering");
    assert_clean();
}

/* The worker set equals what `celery inspect ping` finds. */
static void test_matches_celery_cli(void **state)
{
    int fd[2];
    char out[8192];
    size_t len = 0;
    ssize_t got;
    const char *args[] = {"-m",   "celery", "-A", "celery_app", "inspect",
                          "ping", "--json", "-t", "2",          NULL};

    (void)state;
    struct probe_run r = ping(0, NULL, 3, TEST_PATIENCE_MS);
    assert_int_equal(r.p.result.up, 3);
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    CHECK_GE("pid", pid, 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        exec_python(0, args);
    }
    close(fd[1]);
    while ((got = read(fd[0], out + len, sizeof(out) - 1 - len)) > 0)
        len += (size_t)got;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    out[len] = '\0';
    json_t *j = json_loads(out, 0, NULL);
    if (j == NULL)
        fail_msg("celery inspect ping --json gave: %s", out);
    assert_int_equal(json_object_size(j), 3);
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val)
    {
        assert_string_equal(json_string_value(json_object_get(val, "ok")), "pong");
        CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, key);
    }
    json_decref(j);
}

/* A solo worker busy in a long task listens but does not answer. */
static void test_busy_worker_is_listening_not_answering(void **state)
{
    const char *args[] = {"-c",
                          "import celery_app; "
                          "celery_app.sleep.apply_async(args=[600], queue='busy')",
                          NULL};
    struct probe_run r;
    int status;

    (void)state;
    pid_t pid = fork();
    CHECK_GE("pid", pid, 0);
    if (pid == 0)
        exec_python(1, args);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    /* Until the busy worker has taken the task (it then stops answering). */
    int64_t deadline = test_deadline();
    do
        r = ping(1, NULL, 2, 1000);
    while (r.p.result.up != 1 && test_nap_before(deadline));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.p.result.listening, 2);
    assert_int_equal(r.p.result.up, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "1 answering; 1 of 2 on the broker silent");
    assert_names(r.p.result.detail, (const char *[]){"worker_idle1"}, 1);
    /* It waited for the busy one up to the timeout. */
    CHECK_GE("ms waited for the busy worker", r.done_ms, 900);
    /* A probe joins a round that ends no later than its own deadline... */
    struct svc_config s[2];
    const struct svc_config *sp[2] = {&s[0], &s[1]};
    struct probe_run runs[2];
    /* Seconds, not ms: the idle worker must answer within the short
     * one's round even on a busy machine. */
    svc_celery(&s[0], "short", 1, NULL, 1, 2000);
    svc_celery(&s[1], "long", 1, NULL, 1, 5000);
    long before = publish_calls();
    CHECK_GE("probe_run_batch(runs, sp, 2, 0)", probe_run_batch(runs, sp, 2, 0), 0);
    CHECK_EQ("rounds published: the long probe joined the short one's", publish_calls() - before,
             1);
    /* ...and opens its own when that round would outlast its timeout. */
    sp[0] = &s[1];
    sp[1] = &s[0];
    before = publish_calls();
    CHECK_GE("probe_run_batch(runs, sp, 2, 0)", probe_run_batch(runs, sp, 2, 0), 0);
    CHECK_EQ("rounds published: the short probe opened its own", publish_calls() - before, 2);
    CHECK_GE("ms the long probe waited (its own 5 s round)", runs[0].done_ms, 4500);
    CHECK_LT("ms to the short probe's answer, before the long one's", runs[1].done_ms,
             runs[0].done_ms);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(runs[i].calls, 1);
        assert_string_equal(runs[i].p.result.message, "1 answering; 1 of 2 on the broker silent");
    }
    /* One replica expected: the idle worker is enough. */
    r = ping(1, "worker_idle*", 1, 3000);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "1 answering; 1 of 2 on the broker silent");
    assert_clean();
}

/* A socket that accepts connections (the kernel does) but never answers. */
static int hung_listener(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_broker_errors(void **state)
{
    struct redis_server locked;
    struct svc_config s;
    struct probe_run r;

    (void)state;
    memset(&locked, 0, sizeof(locked));
    svc_celery(&s, "refused", 0, NULL, 1, 1000);
    s.u.celery.broker.port = test_free_port();
    r = probe_run_one(&s);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "connection refused");

    assert_int_equal(redis_server_start(&locked, 0, "s3cret-pass", NULL), 0);
    svc_celery(&s, "noauth", 0, NULL, 1, 1000);
    s.u.celery.broker.port = locked.port;
    r = probe_run_one(&s);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "NOAUTH Authentication required.");
    s.u.celery.broker.password = (char *)"wrong-pass";
    r = probe_run_one(&s);
    CHECK_CONTAINS("r.p.result.message", r.p.result.message, "WRONGPASS");
    /* Right password, db 3, no workers: PUBLISH says 0, so no waiting
     * for the (patient) timeout. */
    s.u.celery.broker.password = (char *)"s3cret-pass";
    s.timeout_ms = TEST_PATIENCE_MS;
    s.u.celery.broker.db = 3;
    r = probe_run_one(&s);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_int_equal(r.p.result.listening, 0);
    assert_string_equal(r.p.result.message, "no workers answering");
    CHECK_LT("ms to the answer, against the timeout", r.done_ms, TEST_PATIENCE_MS);
    redis_server_stop(&locked);
}

static void test_hung_broker(void **state)
{
    struct svc_config s;
    struct probe_run r;
    int port, fd = hung_listener(&port);
    int fds = test_count_fds();

    (void)state;
    svc_celery(&s, "hung", 0, NULL, 1, 500);
    s.u.celery.broker.port = port;
    r = probe_run_one(&s);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "timeout after 500ms");
    CHECK_GE("ms to the timeout", r.done_ms, 450);

    /* Cancelled in flight: one callback, "cancelled" long before the
     * (patient) timeout. */
    const struct svc_config *sp[2] = {&s, &s};
    struct probe_run runs[2];
    s.timeout_ms = TEST_PATIENCE_MS;
    CHECK_GE("probe_run_batch", probe_run_batch(runs, sp, 2, 100), 0);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ("callbacks", runs[i].calls, 1);
        CHECK_STR("message", runs[i].p.result.message, "cancelled");
    }
    close(fd);
    assert_int_equal(test_count_fds(), fds - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_names),
        cmocka_unit_test(test_fewer_workers_than_expected_fails),
        cmocka_unit_test(test_busy_worker_is_listening_not_answering),
        cmocka_unit_test(test_broker_errors),
        cmocka_unit_test(test_hung_broker),
        cmocka_unit_test(test_matches_celery_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
