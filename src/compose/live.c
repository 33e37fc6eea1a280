/* `healthtop lint --live`: each healthcheck healthtop understands, run
 * from the host against the port the service publishes, once, with the
 * normal probes (hostprobe.c). A check that fails from the host is a
 * finding: the endpoint does not answer as the healthcheck expects (the
 * seed's /health that did not exist). */
#include "compose/lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "compose/hostprobe.h"
#include "healthtop/config.h"
#include "healthtop/scheduler.h"

struct live_run {
    uv_loop_t loop;
    struct scheduler sched;
    uv_timer_t done; /* closes the scheduler from a handle of its own */
    bool closing;
};

static void close_now(uv_timer_t *t)
{
    struct live_run *lr = t->data;

    lr->closing = true;
    uv_close((uv_handle_t *)&lr->done, NULL);
    sched_close(&lr->sched, NULL);
}

/* Every service has its one result: close (a safety net of the longest
 * timeout and a second does the same if a kind never calls back). */
static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct live_run *lr = ud;

    (void)svc, (void)changed, (void)old;
    if (s->done_once == s->nsvcs && !lr->closing) {
        lr->closing = true;
        uv_timer_start(&lr->done, close_now, 0, 0);
    }
}

/* Runs cfg's probes once; each service's last result is in lr->sched. */
static int run_probes(struct live_run *lr, const struct ht_config *cfg)
{
    memset(lr, 0, sizeof(*lr));
    if (uv_loop_init(&lr->loop) != 0)
        return -1;
    if (sched_init(&lr->sched, &lr->loop, cfg) != 0) {
        uv_loop_close(&lr->loop);
        return -1;
    }
    uv_timer_init(&lr->loop, &lr->done);
    lr->done.data = lr;
    uv_timer_start(&lr->done, close_now, 6000, 0);
    sched_observe(&lr->sched, on_result, lr);
    sched_start(&lr->sched, true);
    uv_run(&lr->loop, UV_RUN_DEFAULT);
    return 0;
}

void lint_live(const struct compose_project *p, struct lint_result *r)
{
    char err[2048];
    struct ht_config cfg;
    struct live_run lr;
    char(*what)[HOSTPROBE_WHAT_MAX] = xcalloc(p->nsvcs + 1, sizeof(*what));
    size_t *at = xcalloc(p->nsvcs + 1, sizeof(*at));

    if (hostprobe_config(p, &cfg, at, what, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop lint: --live: %s\n", err);
    } else if (cfg.nsvcs > 0) {
        if (run_probes(&lr, &cfg) != 0) {
            fprintf(stderr, "healthtop lint: --live: cannot set up the probes\n");
        } else {
            for (size_t k = 0; k < lr.sched.nsvcs; k++)
                lint_live_result(r, &p->svcs[at[k]], what[k], &lr.sched.svcs[k].last,
                                 lr.sched.svcs[k].has_result);
            sched_free(&lr.sched);
            (void)uv_loop_close(&lr.loop);
        }
    }
    config_free(&cfg);
    free(what);
    free(at);
}
