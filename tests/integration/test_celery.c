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
#include "healthtop/scheduler.h"
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

/* ---- several rounds on one loop, as the scheduler runs them ---- */

/* A loop and a probe env that live across rounds: the connections a
 * round leaves open serve the next one. */
struct session {
    uv_loop_t loop;
    struct probe_env env;
    struct redis_server *kill_on_publish; /* see kill_when_published */
    long publishes;                       /* its PUBLISH count before the round */
    uv_timer_t watch;
};

static void session_cb(struct probe *p)
{
    ((struct probe_run *)p->data)->calls++;
}

static void session_open(struct session *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(uv_loop_init(&s->loop), 0);
    assert_int_equal(probe_env_init(&s->env, &s->loop), 0);
    uv_timer_init(&s->loop, &s->watch);
    s->watch.data = s;
}

static bool any_inflight(const struct probe_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (runs[i].p.inflight)
            return true;
    return false;
}

/* One round: each svc probed once; the loop runs until all called back. */
static void session_round(struct session *s, struct probe_run *runs,
                          const struct svc_config *const *svcs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&runs[i], 0, sizeof(runs[i]));
        runs[i].p.data = &runs[i];
        runs[i].start_rc = probe_start(&runs[i].p, &s->env, svcs[i], session_cb);
        assert_int_equal(runs[i].start_rc, 0);
    }
    while (any_inflight(runs, n))
        if (uv_run(&s->loop, UV_RUN_ONCE) == 0 && any_inflight(runs, n))
            fail_msg("probes in flight with nothing left in the loop");
    for (size_t i = 0; i < n; i++)
        CHECK_EQ("callbacks of each probe in the round", runs[i].calls, 1);
}

static void session_close(struct session *s)
{
    uv_close((uv_handle_t *)&s->watch, NULL);
    probe_env_close(&s->env);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&s->loop), 0);
}

/* A connection of the test's own, kept open, so that measuring does not
 * add to the connections counted. */
static redisContext *monitor(int port)
{
    redisContext *c = redisConnect("127.0.0.1", port);

    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static long info_field(redisContext *c, const char *section, const char *field)
{
    redisReply *r = redisCommand(c, "INFO %s", section);
    const char *at;
    long n;

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    at = strstr(r->str, field);
    assert_non_null(at);
    n = atol(at + strlen(field));
    freeReplyObject(r);
    return n;
}

/* The ids of the connections named "healthtop" (CLIENT SETNAME), comma
 * separated, in ids; returns how many. */
static int healthtop_clients(redisContext *c, char *ids, size_t n)
{
    redisReply *r = redisCommand(c, "CLIENT LIST");
    int count = 0;

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    ids[0] = '\0';
    for (char *line = strtok(r->str, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " name=healthtop ") == NULL)
            continue;
        count++;
        snprintf(ids + strlen(ids), n - strlen(ids), "%s%ld", count > 1 ? "," : "",
                 atol(line + strlen("id=")));
    }
    freeReplyObject(r);
    return count;
}

/* Many rounds of four services on one broker: the broker sees two
 * connections (commands, and BRPOP's) opened once, the same two all
 * along, one PUBLISH per round; closing unbinds and disconnects. */
static void test_one_connection_across_rounds(void **state)
{
    enum { ROUNDS = 6 };
    struct svc_config s[4];
    const struct svc_config *sp[4] = {&s[0], &s[1], &s[2], &s[3]};
    struct probe_run runs[4];
    struct session ses;
    redisContext *mon = monitor(srv.port);
    char ids1[128], ids[128];
    long before, after1 = 0, pub0;

    (void)state;
    svc_celery(&s[0], "worker_light", 0, "worker_light*", 2, TEST_PATIENCE_MS);
    svc_celery(&s[1], "worker_medium", 0, "worker_medium*", 1, TEST_PATIENCE_MS);
    svc_celery(&s[2], "worker_heavy", 0, "worker_heavy*", 0, TEST_PATIENCE_MS);
    svc_celery(&s[3], "all", 0, NULL, 3, TEST_PATIENCE_MS);
    before = info_field(mon, "stats", "total_connections_received:");
    pub0 = info_field(mon, "commandstats", "cmdstat_publish:calls=");
    CHECK_EQ("healthtop connections before", healthtop_clients(mon, ids, sizeof(ids)), 0);
    session_open(&ses);
    for (int round = 1; round <= ROUNDS; round++) {
        session_round(&ses, runs, sp, 4);
        CHECK_EQ("light workers answering", runs[0].p.result.up, 2);
        CHECK_EQ("medium workers answering", runs[1].p.result.up, 1);
        CHECK_STR("heavy", runs[2].p.result.message, "no workers answering");
        CHECK_EQ("all workers answering", runs[3].p.result.up, 3);
        CHECK_TRUE("all ok", runs[3].p.result.ok);
        if (round == 1) {
            after1 = info_field(mon, "stats", "total_connections_received:");
            CHECK_EQ("connections the first round opened", after1 - before, 2);
            CHECK_EQ("connections named healthtop", healthtop_clients(mon, ids1, sizeof(ids1)), 2);
            CHECK_GE("connect time measured in the round that connected",
                     runs[0].p.result.connect_us, 0);
        } else {
            CHECK_EQ("connect time of a round on open connections", runs[0].p.result.connect_us,
                     -1);
        }
    }
    CHECK_EQ("connections opened by the later rounds",
             info_field(mon, "stats", "total_connections_received:") - after1, 0);
    CHECK_EQ("connections named healthtop", healthtop_clients(mon, ids, sizeof(ids)), 2);
    CHECK_STR("the same two connections (client ids)", ids, ids1);
    CHECK_EQ("PUBLISH, one per round",
             info_field(mon, "commandstats", "cmdstat_publish:calls=") - pub0, ROUNDS);
    session_close(&ses);
    assert_clean();
    WAIT_UNTIL("the connections are closed at env_close",
               healthtop_clients(mon, ids, sizeof(ids)) == 0);
    redisFree(mon);
}

static void on_sched_closed(struct scheduler *s)
{
    (void)s;
}

static uint64_t fewest_probes(const struct scheduler *s)
{
    uint64_t n = UINT64_MAX;

    for (size_t i = 0; i < s->nsvcs; i++)
        if (s->svcs[i].probes < n)
            n = s->svcs[i].probes;
    return n;
}

/* Three rows of one broker under the scheduler, as the dashboard runs
 * them: they first start together and, scheduled without jitter, stay
 * together, so that one PUBLISH per interval serves the three (each row
 * opening its own round made three). */
static void test_rows_of_one_broker_share_rounds(void **state)
{
    enum { ROUNDS = 8 };
    struct svc_config s[3];
    struct ht_config cfg;
    struct scheduler sched;
    uv_loop_t loop;
    redisContext *mon = monitor(srv.port);
    uint64_t most = 0;
    long pubs;

    (void)state;
    svc_celery(&s[0], "light", 0, "worker_light*", 2, TEST_PATIENCE_MS);
    svc_celery(&s[1], "medium", 0, "worker_medium*", 1, TEST_PATIENCE_MS);
    svc_celery(&s[2], "all", 0, NULL, 3, TEST_PATIENCE_MS);
    for (int i = 0; i < 3; i++)
        s[i].interval_ms = 300;
    memset(&cfg, 0, sizeof(cfg));
    cfg.svcs = s;
    cfg.nsvcs = 3;
    cfg.history_ms = 60 * 1000;
    cfg.max_inflight = 16;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sched_init(&sched, &loop, &cfg), 0);
    long pub0 = info_field(mon, "commandstats", "cmdstat_publish:calls=");
    sched_start(&sched, false);
    int64_t deadline = test_deadline();
    while (fewest_probes(&sched) < ROUNDS) {
        CHECK_TRUE("every row has its results in time", test_before(deadline));
        uv_run(&loop, UV_RUN_ONCE);
    }
    pubs = info_field(mon, "commandstats", "cmdstat_publish:calls=") - pub0;
    for (size_t i = 0; i < sched.nsvcs; i++)
        if (sched.svcs[i].probes > most)
            most = sched.svcs[i].probes;
    CHECK_TRUE("every row answered by its workers", sched.svcs[0].last.up == 2 &&
                                                        sched.svcs[1].last.up == 1 &&
                                                        sched.svcs[2].last.up == 3);
    /* One more for a round in flight when the loop stopped. */
    CHECK_LE("PUBLISH, one per round for the three rows", pubs, (long)most + 1);
    sched_close(&sched, on_sched_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    sched_free(&sched);
    assert_int_equal(uv_loop_close(&loop), 0);
    redisFree(mon);
}

/* A broker of its own (no workers: PUBLISH reaches 0, and the answer is
 * "no workers answering", a sound broker's answer). */
static void spare_services(struct svc_config *s, int port)
{
    svc_celery(&s[0], "a", 0, "a*", 1, TEST_PATIENCE_MS / 2);
    svc_celery(&s[1], "b", 0, "b*", 1, TEST_PATIENCE_MS / 2);
    svc_celery(&s[2], "c", 0, NULL, 1, TEST_PATIENCE_MS / 2);
    for (int i = 0; i < 3; i++)
        s[i].u.celery.broker.port = port;
}

/* The broker restarted between rounds: the round that finds the old
 * connections dead fails, later rounds reconnect (after the backoff) and
 * the results come back, on one new pair of connections. */
static void test_broker_restart_reconnects(void **state)
{
    struct redis_server spare;
    struct svc_config s[3];
    const struct svc_config *sp[3] = {&s[0], &s[1], &s[2]};
    struct probe_run runs[3];
    struct session ses;
    redisContext *mon;
    char ids1[128], ids[128];
    int failed = 0;

    (void)state;
    memset(&spare, 0, sizeof(spare));
    assert_int_equal(redis_server_start(&spare, 0, NULL, NULL), 0);
    spare_services(s, spare.port);
    session_open(&ses);
    session_round(&ses, runs, sp, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ("listening before the restart", runs[i].p.result.listening, 0);
        CHECK_STR("message", runs[i].p.result.message, "no workers answering");
    }
    redis_server_kill(&spare);
    assert_int_equal(redis_server_start(&spare, spare.port, NULL, NULL), 0);
    /* Rounds until the broker answers again; every result of every
     * round is a failure until then, never a stall. */
    int64_t deadline = test_deadline();
    for (;;) {
        session_round(&ses, runs, sp, 3);
        if (runs[0].p.result.listening == 0)
            break;
        for (int i = 0; i < 3; i++) {
            CHECK_FALSE("a failure before the reconnect", runs[i].p.result.ok);
            CHECK_EQ("no PUBLISH count", runs[i].p.result.listening, -1);
        }
        failed++;
        if (!test_nap_before(deadline))
            fail_msg("the probe never reconnected to the restarted broker");
    }
    CHECK_GE("rounds that failed on the dead connections", failed, 1);
    for (int i = 0; i < 3; i++)
        CHECK_STR("message after the reconnect", runs[i].p.result.message, "no workers answering");
    mon = monitor(spare.port);
    CHECK_EQ("connections named healthtop", healthtop_clients(mon, ids1, sizeof(ids1)), 2);
    session_round(&ses, runs, sp, 3);
    CHECK_STR("message", runs[2].p.result.message, "no workers answering");
    healthtop_clients(mon, ids, sizeof(ids));
    CHECK_STR("the reconnected pair serves the next round", ids, ids1);
    session_close(&ses);
    redisFree(mon);
    redis_server_stop(&spare);
}

/* Kills the broker once the round's PUBLISH has reached it. */
static void kill_when_published(uv_timer_t *t)
{
    struct session *s = t->data;
    redisContext *c = redisConnect("127.0.0.1", s->kill_on_publish->port);

    if (c != NULL && c->err == 0) {
        redisReply *r = redisCommand(c, "INFO commandstats");
        const char *at = r ? strstr(r->str, "cmdstat_publish:calls=") : NULL;
        long n = at ? atol(at + strlen("cmdstat_publish:calls=")) : 0;
        freeReplyObject(r);
        if (n > s->publishes) {
            redis_server_kill(s->kill_on_publish);
            uv_timer_stop(t);
        }
    }
    redisFree(c);
}

/* The broker killed while a round waits for a silent listener: every
 * service gets a failure at once (not at its long timeout), and so does
 * every later round while the broker stays down, each with the reason. */
static void test_broker_killed_mid_round(void **state)
{
    struct redis_server spare;
    struct svc_config s[3];
    const struct svc_config *sp[3] = {&s[0], &s[1], &s[2]};
    struct probe_run runs[3];
    struct session ses;
    redisContext *listener;
    redisReply *r;

    (void)state;
    memset(&spare, 0, sizeof(spare));
    assert_int_equal(redis_server_start(&spare, 0, NULL, NULL), 0);
    spare_services(s, spare.port);
    /* A control-channel subscriber that never answers: PUBLISH counts
     * it, so the round waits for it until its (long) timeout. */
    listener = monitor(spare.port);
    r = redisCommand(listener, "SUBSCRIBE /0.celery.pidbox");
    assert_non_null(r);
    freeReplyObject(r);
    session_open(&ses);
    ses.kill_on_publish = &spare;
    ses.publishes = 0;
    uv_timer_start(&ses.watch, kill_when_published, 5, 5);
    session_round(&ses, runs, sp, 3);
    CHECK_EQ("the broker was killed mid-round", spare.pid, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_FALSE("ok", runs[i].p.result.ok);
        CHECK_EQ("up", runs[i].p.result.up, 0);
        CHECK_LACKS("not a timeout", runs[i].p.result.message, "timeout");
        CHECK_LACKS("not a count of workers", runs[i].p.result.message, "answering");
        CHECK_TRUE("a reason", runs[i].p.result.message[0] != '\0');
    }
    redisFree(listener);
    /* The next round retries at once; later ones mostly fall in the
     * backoff (1 s, then 2 s, ...) and say so. */
    bool unreachable = false;
    for (int round = 0; round < 4; round++) {
        session_round(&ses, runs, sp, 3);
        for (int i = 0; i < 3; i++) {
            CHECK_FALSE("ok while the broker is down", runs[i].p.result.ok);
            CHECK_EQ("no PUBLISH count", runs[i].p.result.listening, -1);
            CHECK_CONTAINS("the reason", runs[i].p.result.message, "connection refused");
        }
        unreachable = unreachable || strstr(runs[0].p.result.message, "broker unreachable");
    }
    CHECK_TRUE("a round in the backoff says the broker is unreachable", unreachable);
    session_close(&ses);
    redis_server_stop(&spare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_names),
        cmocka_unit_test(test_fewer_workers_than_expected_fails),
        cmocka_unit_test(test_busy_worker_is_listening_not_answering),
        cmocka_unit_test(test_broker_errors),
        cmocka_unit_test(test_hung_broker),
        cmocka_unit_test(test_one_connection_across_rounds),
        cmocka_unit_test(test_rows_of_one_broker_share_rounds),
        cmocka_unit_test(test_broker_restart_reconnects),
        cmocka_unit_test(test_broker_killed_mid_round),
        cmocka_unit_test(test_matches_celery_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
