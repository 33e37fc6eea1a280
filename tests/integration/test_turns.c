/* The work of one loop turn is bounded, so that a key press is never held
 * behind a burst: many HTTP results ready at once are handed over
 * CURL_UV_TURN_BUDGET a turn (curl_uv), and many probe timers expiring at
 * once start SCHED_START_BATCH probes a turn (the scheduler). Each test
 * makes the burst, with a "key" (a pipe with a byte in it) ready at the
 * same time, and counts what happened in each turn with a check handle:
 * never more than a batch, every transfer or probe exactly once, and the
 * key handled before the burst was over. Counts, never times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "probes/curl_uv.h"
#include "support/check.h"
#include "support/ports.h"

#define NXFERS 100
#define NSVCS  200

static uv_loop_t loop;

/* What each turn did: the check handle closes a turn after its poll. */
struct turns {
    uv_check_t check;
    int count;            /* the thing counted: results, probes started */
    int last;             /* count at the end of the previous turn */
    int busiest;          /* the most in one turn */
    int busy;             /* turns in which something was counted */
    int key_count;        /* count when the key was read, -1 before */
    int (*counter)(void); /* where count comes from, when not kept by hand */
    uv_poll_t key;
    int pipe[2];
};

static void on_turn(uv_check_t *h)
{
    struct turns *t = h->data;
    int n;

    if (t->counter)
        t->count = t->counter();
    n = t->count - t->last;
    if (n > t->busiest)
        t->busiest = n;
    if (n > 0)
        t->busy++;
    t->last = t->count;
}

static void on_key(uv_poll_t *h, int status, int events)
{
    struct turns *t = h->data;
    char c;

    (void)status, (void)events;
    if (read(t->pipe[0], &c, 1) == 1 && t->key_count < 0)
        t->key_count = t->counter ? t->counter() : t->count;
}

static void turns_start(struct turns *t)
{
    memset(t, 0, sizeof(*t));
    t->key_count = -1;
    CHECK_TRUE("pipe for the key", pipe(t->pipe) == 0);
    uv_check_init(&loop, &t->check);
    t->check.data = t;
    uv_check_start(&t->check, on_turn);
    uv_poll_init(&loop, &t->key, t->pipe[0]);
    t->key.data = t;
    uv_poll_start(&t->key, UV_READABLE, on_key);
}

static void press(struct turns *t)
{
    CHECK_TRUE("a key pressed", write(t->pipe[1], "?", 1) == 1);
}

static void turns_stop(struct turns *t)
{
    uv_close((uv_handle_t *)&t->check, NULL);
    uv_close((uv_handle_t *)&t->key, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    close(t->pipe[0]);
    close(t->pipe[1]);
}

/* Runs the loop a turn at a time until cond, for at most the patience. */
#define RUN_UNTIL(what, cond)                                                                      \
    do {                                                                                           \
        int64_t deadline_ = test_deadline();                                                       \
        while (!(cond)) {                                                                          \
            uv_run(&loop, UV_RUN_NOWAIT);                                                          \
            if (!(cond) && !test_nap_before(deadline_))                                            \
                CHECK_TRUE(what, false);                                                           \
        }                                                                                          \
    } while (0)

/* ---- curl_uv: a hundred answers ready at once ---- */

struct xfer {
    struct curl_uv_xfer x;
    struct turns *t;
    int calls;
    CURLcode rc;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

static void on_done(struct curl_uv_xfer *x, CURLcode rc)
{
    struct xfer *f = x->data;

    f->calls++;
    f->rc = rc;
    f->t->count++;
}

/* The server side, by hand: accept every connection and read each request
 * whole, so that the answers can all be written in one go. */
struct peer {
    int fd;
    char req[2048];
    size_t len;
};

static int serve_requests(int lfd, struct peer *peers, int *npeers)
{
    int complete = 0, fd;

    while (*npeers < NXFERS && (fd = accept(lfd, NULL, NULL)) >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        peers[(*npeers)++] = (struct peer){.fd = fd};
    }
    for (int i = 0; i < *npeers; i++) {
        struct peer *p = &peers[i];
        ssize_t n;
        if (p->len < sizeof(p->req) - 1 &&
            (n = read(p->fd, p->req + p->len, sizeof(p->req) - 1 - p->len)) > 0)
            p->len += (size_t)n;
        p->req[p->len] = '\0';
        complete += strstr(p->req, "\r\n\r\n") != NULL;
    }
    return complete;
}

static void test_curl_results_a_batch_a_turn(void **state)
{
    static struct xfer xs[NXFERS];
    static struct peer peers[NXFERS];
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 "Connection: close\r\n\r\nok";
    struct turns t;
    struct curl_uv *cu;
    int port, lfd, npeers = 0, complete = 0;

    (void)state;
    lfd = test_listen(AF_INET, NXFERS * 2, &port);
    CHECK_TRUE("a listening socket", lfd >= 0);
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    cu = curl_uv_new(&loop);
    CHECK_TRUE("curl_uv_new", cu != NULL);
    turns_start(&t);
    for (int i = 0; i < NXFERS; i++) {
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/%d", port, i);
        xs[i] = (struct xfer){.t = &t, .rc = CURLE_OK};
        xs[i].x.easy = curl_easy_init();
        xs[i].x.done = on_done;
        xs[i].x.data = &xs[i];
        curl_easy_setopt(xs[i].x.easy, CURLOPT_URL, url);
        curl_easy_setopt(xs[i].x.easy, CURLOPT_TIMEOUT_MS, (long)TEST_PATIENCE_MS);
        curl_easy_setopt(xs[i].x.easy, CURLOPT_WRITEFUNCTION, on_body);
        CHECK_EQ("transfer added", curl_uv_add(cu, &xs[i].x), 0);
    }
    RUN_UNTIL("every request received", (complete = serve_requests(lfd, peers, &npeers)) == NXFERS);
    CHECK_EQ("results before any answer", t.count, 0);

    /* Every answer, then the key: all ready before the loop runs again. */
    for (int i = 0; i < npeers; i++) {
        CHECK_EQ("answer written", write(peers[i].fd, answer, sizeof(answer) - 1),
                 (ssize_t)sizeof(answer) - 1);
        close(peers[i].fd);
    }
    press(&t);
    RUN_UNTIL("every transfer done", t.count == NXFERS && t.key_count >= 0);
    uv_run(&loop, UV_RUN_NOWAIT); /* closes the last turn */

    for (int i = 0; i < NXFERS; i++) {
        CHECK_EQ("done callbacks of a transfer", xs[i].calls, 1);
        CHECK_EQ("transfer result", xs[i].rc, CURLE_OK);
        curl_easy_cleanup(xs[i].x.easy);
    }
    CHECK_LE("most results in one turn", t.busiest, CURL_UV_TURN_BUDGET);
    CHECK_GE("turns with results", t.busy,
             (NXFERS + CURL_UV_TURN_BUDGET - 1) / CURL_UV_TURN_BUDGET);
    CHECK_LT("results before the key was read", t.key_count, NXFERS);
    turns_stop(&t);
    curl_uv_close(cu);
    uv_run(&loop, UV_RUN_DEFAULT);
    close(lfd);
}

/* ---- the scheduler: two hundred timers expiring at once ---- */

static struct scheduler sched;

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    (void)s, (void)svc, (void)changed, (void)old, (void)ud;
}

/* Probes started so far: those in flight and those finished. */
static int started(void)
{
    uint64_t n = (uint64_t)sched.inflight;

    for (size_t i = 0; i < sched.nsvcs; i++)
        n += sched.svcs[i].probes;
    return (int)n;
}

static bool all_probed(void)
{
    for (size_t i = 0; i < sched.nsvcs; i++)
        if (sched.svcs[i].probes == 0)
            return false;
    return true;
}

static void on_closed(struct scheduler *s)
{
    (void)s;
}

/* NSVCS tcp services on one listening socket (its fd in *lfd), probed
 * every interval. Returns 0 once the config is loaded. */
static int tcp_config(struct ht_config *cfg, int *lfd, const char *interval)
{
    char path[] = "/tmp/test_turns.XXXXXX", err[4096];
    int port, fd;
    FILE *f = NULL;

    *lfd = test_listen(AF_INET, NSVCS * 4, &port);
    CHECK_TRUE("a listening socket", *lfd >= 0);
    fd = mkstemp(path);
    if (fd >= 0)
        f = fdopen(fd, "w");
    CHECK_TRUE("config file", f != NULL);
    if (f == NULL)
        return -1;
    fprintf(f, "max_inflight: %d\ndefaults: {interval: %s, timeout: 30s}\nservices:\n", NSVCS * 2,
            interval);
    for (int i = 0; i < NSVCS; i++)
        fprintf(f, "  s%03d: {tcp: \"127.0.0.1:%d\"}\n", i, port);
    fclose(f);
    CHECK_EQ("config loads", config_load(path, cfg, err, sizeof(err)), 0);
    unlink(path);
    return 0;
}

static void test_sched_starts_a_batch_a_turn(void **state)
{
    struct ht_config cfg;
    struct turns t;
    int lfd;

    (void)state;
    if (tcp_config(&cfg, &lfd, "1s") != 0)
        return;
    /* A 5 ms interval has no jitter: once paused and resumed, every
     * timer expires at once, in the first turn's timer phase (the first
     * probes of a start are spread over a few ms). */
    for (size_t i = 0; i < cfg.nsvcs; i++)
        cfg.svcs[i].interval_ms = 5;

    CHECK_EQ("scheduler set up", sched_init(&sched, &loop, &cfg), 0);
    sched_observe(&sched, on_result, NULL);
    turns_start(&t);
    t.counter = started;
    press(&t);
    sched_start(&sched, false);
    sched_pause(&sched, true);
    sched_pause(&sched, false);
    RUN_UNTIL("every service probed", all_probed() && t.key_count >= 0);
    uv_run(&loop, UV_RUN_NOWAIT); /* closes the last turn */

    CHECK_LE("most probes started in one turn", t.busiest, SCHED_START_BATCH);
    CHECK_GE("turns that started probes", t.busy,
             (NSVCS + SCHED_START_BATCH - 1) / SCHED_START_BATCH);
    CHECK_LT("probes started before the key was read", t.key_count, NSVCS);
    sched_close(&sched, on_closed);
    turns_stop(&t);
    uv_run(&loop, UV_RUN_DEFAULT);
    sched_free(&sched);
    config_free(&cfg);
    close(lfd);
}

/* "Probe all" (the r key) goes through the same bound: two hundred
 * services made due at once, while paused (so no timer starts any), start
 * at most SCHED_START_BATCH a turn, and the key is read before the last. */
static void test_probe_all_starts_a_batch_a_turn(void **state)
{
    struct ht_config cfg;
    struct turns t;
    int lfd;

    (void)state;
    if (tcp_config(&cfg, &lfd, "1h") != 0)
        return;
    CHECK_EQ("scheduler set up", sched_init(&sched, &loop, &cfg), 0);
    sched_observe(&sched, on_result, NULL);
    sched_start(&sched, false);
    sched_pause(&sched, true);
    turns_start(&t);
    t.counter = started;
    uv_run(&loop, UV_RUN_NOWAIT); /* a turn with nothing started */
    CHECK_EQ("no probe started while paused", started(), 0);
    press(&t);
    sched_probe_all(&sched);
    RUN_UNTIL("every service probed", all_probed() && t.key_count >= 0);
    uv_run(&loop, UV_RUN_NOWAIT);

    CHECK_LE("most probes started in one turn", t.busiest, SCHED_START_BATCH);
    CHECK_GE("turns that started probes", t.busy,
             (NSVCS + SCHED_START_BATCH - 1) / SCHED_START_BATCH);
    CHECK_LT("probes started before the key was read", t.key_count, NSVCS);
    CHECK_EQ("each service probed once", started(), NSVCS);
    sched_close(&sched, on_closed);
    turns_stop(&t);
    uv_run(&loop, UV_RUN_DEFAULT);
    sched_free(&sched);
    config_free(&cfg);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_results_a_batch_a_turn),
        cmocka_unit_test(test_sched_starts_a_batch_a_turn),
        cmocka_unit_test(test_probe_all_starts_a_batch_a_turn),
    };

    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
