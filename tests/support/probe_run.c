/* Running probes for integration tests: see probe_run.h. */
#include "probe_run.h"

#include <dirent.h>
#include <string.h>

struct probe_batch {
    int64_t started_ms;
    uv_timer_t cancel;
    struct probe_run *runs;
    size_t n;
    size_t ndone;        /* callbacks so far */
    size_t cancel_after; /* > 0: cancel the rest after this many callbacks */
};

static void probe_run_cancel(uv_timer_t *t);

static void probe_run_cb(struct probe *p)
{
    struct probe_run *r = p->data;
    struct probe_batch *b = r->p.env->loop->data;

    r->calls++;
    r->done_ms = ht_now_ms() - b->started_ms;
    /* Not from inside this callback: from the next loop turn. */
    if (++b->ndone == b->cancel_after)
        uv_timer_start(&b->cancel, probe_run_cancel, 0, 0);
}

static void probe_run_cancel(uv_timer_t *t)
{
    struct probe_batch *b = t->data;

    for (size_t i = 0; i < b->n; i++)
        if (b->runs[i].p.inflight)
            probe_cancel(&b->runs[i].p);
}

static int64_t batch_run(struct probe_run *runs, const struct svc_config *const *svcs, size_t n,
                         int64_t cancel_after_ms, size_t cancel_after)
{
    uv_loop_t loop;
    struct probe_env env;
    struct probe_batch b;

    if (uv_loop_init(&loop) != 0)
        return -1;
    memset(&b, 0, sizeof(b));
    b.runs = runs;
    b.n = n;
    b.cancel_after = cancel_after;
    loop.data = &b;
    if (probe_env_init(&env, &loop) != 0)
        return -1;
    uv_timer_init(&loop, &b.cancel);
    b.cancel.data = &b;
    if (cancel_after_ms > 0)
        uv_timer_start(&b.cancel, probe_run_cancel, (uint64_t)cancel_after_ms, 0);
    b.started_ms = ht_now_ms();
    for (size_t i = 0; i < n; i++) {
        memset(&runs[i], 0, sizeof(runs[i]));
        runs[i].p.data = &runs[i];
        runs[i].done_ms = -1;
        runs[i].start_rc = probe_start(&runs[i].p, &env, svcs[i], probe_run_cb);
    }
    /* Until every probe called back; a probe in flight with nothing left
     * in the loop would be a bug, and shows as calls == 0. */
    for (;;) {
        bool busy = false;
        for (size_t i = 0; i < n; i++)
            busy = busy || runs[i].p.inflight;
        if (!busy || uv_run(&loop, UV_RUN_ONCE) == 0)
            break;
    }
    uv_close((uv_handle_t *)&b.cancel, NULL);
    probe_env_close(&env);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        return -1;
    return ht_now_ms() - b.started_ms;
}

int64_t probe_run_batch(struct probe_run *runs, const struct svc_config *const *svcs, size_t n,
                        int64_t cancel_after_ms)
{
    return batch_run(runs, svcs, n, cancel_after_ms, 0);
}

int64_t probe_run_batch_then_cancel(struct probe_run *runs, const struct svc_config *const *svcs,
                                    size_t n, size_t ndone)
{
    return batch_run(runs, svcs, n, 0, ndone);
}

struct probe_run probe_run_one(const struct svc_config *svc)
{
    struct probe_run r;
    const struct svc_config *svcs[1] = {svc};

    if (probe_run_batch(&r, svcs, 1, 0) < 0)
        r.calls = -100; /* the loop did not close: a handle was left */
    return r;
}

int probe_run_warmup(void **state)
{
    static char *addrs[] = {(char *)"localhost:1"};
    struct svc_config s;

    (void)state;
    test_svc_init(&s, "warmup", PROBE_TCP, 1000);
    s.u.tcp.addrs = addrs;
    s.u.tcp.naddrs = 1;
    return probe_run_one(&s).calls == 1 ? 0 : -1;
}

int test_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the DIR's own fd */
}

void test_svc_init(struct svc_config *s, const char *name, enum probe_kind kind, int64_t timeout_ms)
{
    memset(s, 0, sizeof(*s));
    s->name = (char *)name;
    s->label = (char *)name;
    s->group = (char *)"tests";
    s->kind = kind;
    s->timeout_ms = timeout_ms;
    s->interval_ms = 1000;
    s->replicas = 1; /* the config's default for one target; 0 is "scaled to zero" */
}
