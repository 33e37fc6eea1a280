/* --once and --wait: the scheduler on a loop of its own, printed at the end. */
#include "healthtop/run.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>
#include "healthtop/deps.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "healthtop/timeline.h"
#include "healthtop/tui.h"

struct run {
    uv_loop_t loop;
    struct scheduler sched;
    const struct run_opts *opts;
    uv_timer_t deadline;      /* --wait deadline, or the --once safety net */
    int64_t once_patience_ms; /* --once: no result for this long ends it */
    uv_signal_t sigint, sigterm;
    bool finished;
    bool interrupted;
    bool timed_out;
    int64_t all_healthy_ms; /* T+ when --wait saw everything up; -1 before */
    /* --wait: the first service found hopeless (deps.h), SIZE_MAX before,
     * when, and why. */
    size_t hopeless;
    int64_t hopeless_ms;
    char hopeless_why[PROBE_MSG_MAX + 128];
    FILE *events; /* where --wait prints state changes: stdout,
                     unless the report there is a document */
    int hooks_up; /* run_opts hooks set up, to close at the end */
};

static void run_close(uv_timer_t *t)
{
    struct run *r = t->data;
    uv_close((uv_handle_t *)&r->deadline, NULL);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    for (int i = 0; i < r->hooks_up; i++)
        if (r->opts->hooks[i].close)
            r->opts->hooks[i].close(&r->sched, r->opts->hooks[i].ud);
    sched_close(&r->sched, NULL);
}

/* Results arrive from deep inside a probe kind's callbacks (curl's,
 * hiredis'), where tearing the probes down is not safe: the close runs
 * from a fresh timer callback instead. */
static void run_finish(struct run *r)
{
    if (r->finished)
        return;
    r->finished = true;
    uv_timer_start(&r->deadline, run_close, 0, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct run *r = h->data;
    (void)signum;
    r->interrupted = true;
    run_finish(r);
}

static void on_deadline(uv_timer_t *t)
{
    struct run *r = t->data;
    r->timed_out = true;
    run_finish(r);
}

static bool all_up(const struct scheduler *s)
{
    for (size_t i = 0; i < s->nsvcs; i++) {
        enum health_state st = s->svcs[i].health.state;
        if (st != HEALTH_HEALTHY && st != HEALTH_SKIPPED)
            return false;
    }
    return true;
}

static void on_once_result(struct scheduler *s, struct service *svc, bool changed,
                           enum health_state old, void *ud)
{
    struct run *r = ud;

    (void)svc, (void)changed, (void)old;
    if (s->done_once == s->nsvcs)
        run_finish(r);
    else if (!r->finished) /* progress: the safety net moves on */
        uv_timer_start(&r->deadline, on_deadline, (uint64_t)r->once_patience_ms, 0);
}

static void print_offset(FILE *f, const struct scheduler *s, int64_t t_ms)
{
    char at[32];

    timeline_offset(t_ms - s->t0_ms, at, sizeof(at));
    fputs(at, f);
}

static void on_wait_result(struct scheduler *s, struct service *svc, bool changed,
                           enum health_state old, void *ud)
{
    struct run *r = ud;
    enum health_state st = svc->health.state;

    (void)old;
    if (changed) {
        print_offset(r->events, s, svc->health.since_ms);
        fprintf(r->events, " %s %s", svc->cfg->name, health_state_name(st));
        if (st != HEALTH_HEALTHY && svc->last.message[0])
            fprintf(r->events, ": %s", svc->last.message);
        fputc('\n', r->events);
        fflush(r->events);
    }
    if (r->hopeless == SIZE_MAX && !r->finished &&
        deps_hopeless(s, svc->idx, r->hopeless_why, sizeof(r->hopeless_why))) {
        /* It cannot get there any more: waiting longer only hides it. */
        r->hopeless = svc->idx;
        r->hopeless_ms = ht_now_ms();
        run_finish(r);
        return;
    }
    if (all_up(s)) {
        r->all_healthy_ms = ht_now_ms();
        run_finish(r);
    }
}

static int run_setup(struct run *r, const struct ht_config *cfg, const struct run_opts *o)
{
    memset(r, 0, sizeof(*r));
    r->opts = o;
    r->all_healthy_ms = -1;
    r->hopeless = SIZE_MAX;
    r->events = report_format_is_document(o->format) ? stderr : stdout;
    if (uv_loop_init(&r->loop) != 0)
        return -1;
    if (sched_init(&r->sched, &r->loop, cfg) != 0) {
        fprintf(stderr, "healthtop: cannot set up the probes\n");
        uv_loop_close(&r->loop);
        return -1;
    }
    uv_timer_init(&r->loop, &r->deadline);
    r->deadline.data = r;
    uv_signal_init(&r->loop, &r->sigint);
    uv_signal_init(&r->loop, &r->sigterm);
    r->sigint.data = r->sigterm.data = r;
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    for (; r->hooks_up < o->nhooks; r->hooks_up++) {
        const struct run_hook *h = &o->hooks[r->hooks_up];
        if (h->setup && h->setup(&r->sched, h->ud) != 0) {
            /* What was set up so far closes at once, as at the end of a run. */
            run_close(&r->deadline);
            uv_run(&r->loop, UV_RUN_DEFAULT);
            uv_loop_close(&r->loop);
            sched_free(&r->sched);
            return -1;
        }
    }
    return 0;
}

static int run_teardown(struct run *r)
{
    int rc = uv_loop_close(&r->loop);
    sched_free(&r->sched);
    if (rc != 0)
        fprintf(stderr, "healthtop: internal error: handles left open at exit\n");
    return r->interrupted ? 130 : 0;
}

/* --once: every probe starts at the same moment and enforces its own
 * timeout, so the run lasts as long as the slowest timeout (times the
 * number of in-flight batches when max_inflight is below the number of
 * services). A safety timer ends the run if a probe kind fails to call
 * back: the longest timeout and a second after the last result, so that
 * a run that is making progress is never cut short (2,000 commands one at
 * a time left 1,744 with "no result yet" when it was a fixed deadline). */
int run_once(const struct ht_config *cfg, const struct run_opts *o)
{
    struct run r;
    int64_t longest = 0;

    if (run_setup(&r, cfg, o) != 0)
        return 2;
    for (size_t i = 0; i < cfg->nsvcs; i++)
        if (cfg->svcs[i].timeout_ms > longest)
            longest = cfg->svcs[i].timeout_ms;
    r.once_patience_ms = longest + 1000;
    uv_timer_start(&r.deadline, on_deadline, (uint64_t)r.once_patience_ms, 0);
    sched_observe(&r.sched, on_once_result, &r);
    sched_start(&r.sched, true);
    uv_run(&r.loop, UV_RUN_DEFAULT);

    if (r.timed_out && r.sched.done_once < r.sched.nsvcs)
        fprintf(stderr,
                "healthtop: --once gave up on %zu of %zu services: no result came for %.1f s "
                "(their longest timeout and a second)\n",
                r.sched.nsvcs - r.sched.done_once, r.sched.nsvcs,
                (double)r.once_patience_ms / 1000.0);
    if (!r.interrupted)
        report_write(stdout, o->format, &r.sched, o->ascii);
    int code = report_exit_code(&r.sched);
    return run_teardown(&r) ? 130 : code;
}

static void print_not_healthy(FILE *f, const struct scheduler *s)
{
    for (size_t i = 0; i < s->nsvcs; i++) {
        const struct service *svc = &s->svcs[i];
        enum health_state st = svc->health.state;
        if (st == HEALTH_HEALTHY || st == HEALTH_SKIPPED)
            continue;
        fprintf(f, "  %-20s %-10s %s\n", svc->cfg->name, health_state_name(st),
                svc->has_result ? svc->last.message : "no result yet");
    }
}

/* The start-up timeline (timeline.h) closes the --wait output, as wide
 * as the terminal when there is one. */
static void print_timeline(FILE *f, const struct scheduler *s, bool ascii)
{
    struct report_style st;
    struct winsize ws;
    int width = 80;

    if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        width = ws.ws_col;
    report_style_detect(&st, f, ascii);
    timeline_text(f, s, ht_now_ms(), width, &st);
}

/* --wait: the start-up validation. State changes are printed as they
 * happen; the run ends when every service is healthy or skipped (0), at
 * once when a service can no longer get there (1, naming it and why:
 * deps_hopeless), or at the deadline (1, with what is not healthy and
 * why). That text and
 * the timeline are the text format's report; a document format prints
 * them on stderr and its document alone on stdout. */
int run_wait(const struct ht_config *cfg, const struct run_opts *o)
{
    struct run r;
    char d[32];

    if (run_setup(&r, cfg, o) != 0)
        return 2;
    uv_timer_start(&r.deadline, on_deadline, (uint64_t)o->wait_timeout_ms, 0);
    sched_observe(&r.sched, on_wait_result, &r);
    sched_start(&r.sched, false);
    uv_run(&r.loop, UV_RUN_DEFAULT);

    bool ok = r.all_healthy_ms >= 0;
    if (ok) {
        size_t skipped = 0;
        for (size_t i = 0; i < r.sched.nsvcs; i++)
            skipped += r.sched.svcs[i].health.state == HEALTH_SKIPPED;
        print_offset(r.events, &r.sched, r.all_healthy_ms);
        fprintf(r.events, " all %zu services healthy", r.sched.nsvcs - skipped);
        if (skipped > 0)
            fprintf(r.events, ", %zu skipped", skipped);
        fputc('\n', r.events);
    } else if (r.hopeless != SIZE_MAX && !r.interrupted) {
        print_offset(r.events, &r.sched, r.hopeless_ms);
        fprintf(r.events, " hopeless: %s: %s\n", r.sched.svcs[r.hopeless].cfg->name,
                r.hopeless_why);
        fprintf(r.events, "not healthy, and %s will not get there: stopped waiting\n",
                r.sched.svcs[r.hopeless].cfg->name);
        print_not_healthy(r.events, &r.sched);
    } else if (!r.interrupted) {
        ht_duration_format(o->wait_timeout_ms, d, sizeof(d));
        fprintf(r.events, "not healthy after %s:\n", d);
        print_not_healthy(r.events, &r.sched);
    }
    if (!r.interrupted)
        print_timeline(r.events, &r.sched, o->ascii);
    if (report_format_is_document(o->format) && !r.interrupted)
        report_write(stdout, o->format, &r.sched, o->ascii);
    return run_teardown(&r) ? 130 : ok ? 0 : 1;
}

/* The dashboard's source (tui.h) in a live run: the scheduler itself. */
static int live_start(struct scheduler *s, void *ud)
{
    (void)ud;
    sched_start(s, false);
    return 0;
}

static void live_stop(struct scheduler *s, void *ud)
{
    (void)ud;
    sched_close(s, NULL);
}

static void live_pause(struct scheduler *s, void *ud, bool paused)
{
    (void)ud;
    sched_pause(s, paused);
}

static void live_probe_now(struct scheduler *s, void *ud, struct service *svc)
{
    (void)ud;
    sched_probe_now(s, svc);
}

static void live_probe_all(struct scheduler *s, void *ud)
{
    (void)ud;
    sched_probe_all(s);
}

static const struct tui_source live_source = {
    .start = live_start,
    .stop = live_stop,
    .pause = live_pause,
    .probe_now = live_probe_now,
    .probe_all = live_probe_all,
};

int run_tui(const struct ht_config *cfg, const struct tui_opts *o)
{
    uv_loop_t loop;
    struct scheduler sched;
    struct tui_opts to = *o;
    int rc;

    if (uv_loop_init(&loop) != 0)
        return 2;
    if (sched_init(&sched, &loop, cfg) != 0) {
        fprintf(stderr, "healthtop: cannot set up the probes\n");
        uv_loop_close(&loop);
        return 2;
    }
    to.source = &live_source;
    rc = tui_run(&sched, &to);
    sched_free(&sched);
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "healthtop: internal error: handles left open at exit\n");
    return rc;
}
