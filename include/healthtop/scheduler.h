/* The scheduler: owns the runtime state of every service, starts each
 * probe `interval` (plus a small jitter) after the previous one ended,
 * keeps at most max_inflight probes in flight, feeds every result through
 * the health state machine into the history, and tells observers.
 *
 * Data flows one way: config -> scheduler -> probe -> health -> history
 * -> observers (views, reports, the recorder). Observers never start
 * probes themselves; they ask the scheduler (sched_probe_now, pause).
 *
 * Errors, for the code that sets up the loop and its handles (this
 * header, probe_env_init, curl_uv.h, redis_uv.h, the demo's servers):
 * return 0 or a negative number. Where a libuv call failed, it is that
 * libuv code, passed up unchanged for uv_strerror (httpd_listen,
 * respd_listen, listen_tcp); otherwise -1, with nothing more to say than
 * that the loop could not be set up (sched_init, probe_env_init,
 * curl_uv_add, redis_uv_attach), and the caller must not uv_strerror it.
 * Once running, nothing here fails: a probe's failure is its result. */
#ifndef HEALTHTOP_SCHEDULER_H
#define HEALTHTOP_SCHEDULER_H

#include <stdbool.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/health.h"
#include "healthtop/history.h"
#include "healthtop/probe.h"

struct scheduler;

struct service {
    const struct svc_config *cfg;
    size_t idx;
    struct scheduler *sched;
    struct health health;
    struct history history;
    struct probe probe;       /* the probe in flight, if any */
    struct probe_result last; /* the last finished result */
    bool has_result;
    uv_timer_t timer; /* next probe */
    bool queued;      /* waiting for an in-flight slot */
    struct service *next_queued;
    bool due;        /* its timer fired: waiting for its turn to start */
    bool due_manual; /* made due by sched_probe_all: starts even when paused */
    struct service *due_prev, *due_next;
    uint64_t probes; /* probes finished */
    /* Woken (probe_env.wake) while its probe was in flight or queued:
     * probed again once it ends, since that probe may have looked before
     * the news. */
    bool rewake;
    /* A row made from its source's answer (rows_by; sched_rows.c): the
     * source, a service of the config; NULL for a service of the config.
     * A row has no timer and no probe: its results come with its
     * source's, and it is moved in s->svcs as rows come and go. */
    struct service *source;
    /* A source: the most rows it may make (probe_max_rows), and where
     * they are: s->svcs[rows_at .. rows_at + nrows), sorted by name. */
    size_t max_rows, rows_at, nrows;
};

/* Called after every result; changed says the state changed, from old. */
typedef void (*sched_observer_cb)(struct scheduler *s, struct service *svc, bool changed,
                                  enum health_state old, void *ud);

#define SCHED_MAX_OBSERVERS 4
/* How far before healthtop's start a container creation may move the
 * timeline's T+0: a stack that has run for days keeps T+0 at our start. */
#define SCHED_ORIGIN_WINDOW_MS (15 * 60 * 1000)

struct scheduler {
    uv_loop_t *loop;
    const struct ht_config *cfg;
    /* Every service shown: those of the config first, in file order and
     * at fixed places (s->svcs[0 .. nconfig)), then the rows made from
     * the sources' answers, source by source. The array is allocated
     * once with room for every source's max_rows, so a service of the
     * config never moves; rows do, and a row's idx is its place now. */
    struct service *svcs;
    size_t nsvcs;
    size_t nconfig;
    size_t cap; /* the services s->svcs has room for (ht_table_alloc) */
    /* Changes whenever rows are added or removed: a view that keeps
     * something per service index rebuilds it. */
    uint64_t rows_gen;
    struct probe_env env;
    int inflight;
    int max_inflight;
    struct service *queue_head, *queue_tail;
    bool paused;
    bool once; /* probe each service once, no rescheduling, no retries */
    bool closing;
    int64_t t0_ms; /* monotonic start: T+0 */
    /* T+0 of the start-up timeline: t0_ms, or earlier when a docker probe
     * saw a container created at most SCHED_ORIGIN_WINDOW_MS before
     * healthtop started (a `docker compose up` being watched). */
    int64_t origin_ms;
    int64_t t0_wall_ms;
    size_t done_once; /* services with a result (once mode) */
    struct {
        sched_observer_cb cb;
        void *ud;
    } observers[SCHED_MAX_OBSERVERS];
    int nobservers;
    /* Starts probes SCHED_START_BATCH a loop turn: the services whose
     * timer fired (due, oldest first), and in once mode every service. */
    uv_idle_t starter;
    struct service *due_head, *due_tail;
    size_t start_next; /* once mode: the next service the starter starts */
    int open_handles;  /* timers still closing */
    void (*close_cb)(struct scheduler *s);
};

int sched_init(struct scheduler *s, uv_loop_t *loop, const struct ht_config *cfg) HT_WUR;
void sched_observe(struct scheduler *s, sched_observer_cb cb, void *ud);
/* At most this many probes start per loop turn from timers and from
 * sched_start; the rest start on the next turns, after the loop has
 * polled its other handles (a key press) again. */
#define SCHED_START_BATCH 32
/* Timers expire on ticks of interval / SCHED_TICK_DIV, at most
 * SCHED_TICK_MAX_MS: probes due within a tick start together. */
#define SCHED_TICK_DIV    40
#define SCHED_TICK_MAX_MS 250

/* Starts probing. In once mode every service is probed exactly once,
 * all at the same time (started SCHED_START_BATCH a loop turn, so that
 * the first requests go out while later probes are still being set up),
 * and one failed result is final (no retries). Otherwise each service's
 * timer makes it due and the due start SCHED_START_BATCH a turn. */
void sched_start(struct scheduler *s, bool once);
/* Probes svc now (or as soon as a slot frees), unless one is in flight. */
void sched_probe_now(struct scheduler *s, struct service *svc);
/* Every service not in flight, through the same per-turn bound as the
 * timers (SCHED_START_BATCH a turn). */
void sched_probe_all(struct scheduler *s);
/* Paused: no new probes start; those in flight finish. */
void sched_pause(struct scheduler *s, bool paused);
/* Cancels what is in flight, stops the timers and closes the probe
 * environment; cb runs when all the scheduler's handles are closed. Call
 * it from a handle callback of your own (a key, a timer, a signal), never
 * from inside an observer: observers run inside the probe kinds'
 * callbacks, where their libraries cannot be torn down. */
void sched_close(struct scheduler *s, void (*cb)(struct scheduler *s));
/* Frees memory once closed. */
void sched_free(struct scheduler *s);

/* Rows made from the answer of source src (src/sched_rows.c), called
 * with src's result: rows not in the answer go (their history with
 * them), new ones come with a history of their own, and each row takes
 * its result through the health state machine into its history and to
 * the observers. When rows->answered is false (the query failed), every
 * row stays and fails with src's message. Empties rows and leaves their
 * room for the next answer (probe_rows_clear). */
void sched_rows_apply(struct scheduler *s, struct service *src, struct probe_rows *rows,
                      int64_t now_ms, int64_t wall_ms);
/* Frees every row (their configs and histories), at sched_free. */
void sched_rows_free(struct scheduler *s);

/* Counts per state, for headers and summaries; counts has HEALTH_STATE_COUNT. */
void sched_counts(const struct scheduler *s, int *counts);
/* The overall state: unhealthy if any is, else degraded, else starting/unknown,
 * else healthy. */
enum health_state sched_overall(const struct scheduler *s);

#endif
