/* Inside the alert engine: its state (alerts.c judges the routes,
 * deliver.c queues and retries, http.c owns the curl multi handle).
 * Private to src/alerts/. */
#ifndef HEALTHTOP_ALERTS_ENGINE_H
#define HEALTHTOP_ALERTS_ENGINE_H

#include <stdarg.h>
#include "alerts/receiver.h"

/* One route's memory of one service. */
struct alert_slot {
    int64_t match_since;  /* monotonic ms it entered the route's states; -1: not in them */
    int64_t unblocked_ms; /* held: when its root cause went away; -1 */
    int64_t starts_wall_ms;
    int64_t last_sent_ms; /* monotonic */
    enum health_state fired_state;
    bool firing;  /* its alert was sent (queued) as firing */
    bool held;    /* in the states, held back by a root cause */
    bool carried; /* firing over a reload: the new probes have no verdict yet */
};

struct alerts {
    const struct ht_config *cfg;
    struct alert_sink **sinks; /* one per route, in alerts: order */
    size_t nsinks;
    struct alert_sink *retired; /* routes a reload removed, still delivering */
    struct scheduler *sched;    /* followed; NULL while detached */
    struct scheduler *detached; /* the model before a reload */
    uv_loop_t *loop;            /* set by the first attach */
    uv_timer_t pass;            /* judges the routes */
    bool pass_due;              /* a change armed it */
    int64_t last_pass_ms;       /* monotonic */
    bool closed;
    struct curl_uv *cu; /* http.c's, made on first use */
    /* Per route and service (route r, service i at r * nslots + i): the
     * services of the config, s->svcs[0 .. nconfig). The rows a source
     * makes from its answers come and go; their source row is alerted
     * on, they are not. */
    struct alert_slot *slots;
    bool *selected; /* the route's services:/groups: take it */
    size_t nslots;
    /* Per service. */
    bool *blocked; /* deps_blocked_all, this pass (every service, rows too) */
    size_t blocked_cap;
    size_t nblocked;         /* how many */
    enum health_state *prev; /* the state before its last change */
    uint32_t *seen, stamp;   /* blocks(): visited in the walk numbered stamp */
    size_t *stack;           /* blocks(): the walk's stack */
    alerts_log_fn log;
    void *log_ud;
    uint64_t changes, passes; /* for the benchmark */
};

/* Queues ev on k (taking it), dropping the oldest waiting one when
 * full; alert_sink_kick starts a delivery when none is under way. */
void alert_sink_push(struct alert_sink *k, struct alert_event *ev);
void alert_sink_kick(struct alert_sink *k);
/* At the end: cancels the delivery under way, closes the retry timer
 * (cb, with the timer's handle, once closed). */
void alert_sink_close(struct alert_sink *k, uv_close_cb cb);
void alert_sink_free(struct alert_sink *k);
/* A route a reload removed (its resolutions queued already): it goes on
 * delivering what it holds, and ends once its queue is empty or after
 * ALERTS_RETIRE_TRIES failed deliveries in a row; then the rest is
 * dropped, its handles close and it is freed. k joins al->retired until
 * then. */
void alert_sink_retire(struct alert_sink *k);
/* Ends a retiring route now (alerts_close: whatever it still holds is
 * dropped). */
void alert_sink_retire_end(struct alert_sink *k);
/* Closes the curl multi handle, once no transfer is left. */
void alert_http_shutdown(struct alerts *al);

/* Tells al's log one line (secrets masked). */
void alerts_logf(struct alerts *al, const char *fmt, ...) HT_PRINTF(2, 3);

#endif
