/* The engine's side of a receiver (alertmanager.c, webhook.c, exec.c):
 * what a notification holds and the one small interface each receiver
 * implements. Private to src/alerts/. */
#ifndef HEALTHTOP_ALERTS_RECEIVER_H
#define HEALTHTOP_ALERTS_RECEIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "healthtop/alerts.h"
#include "healthtop/health.h"

/* One notification: a service's alert fired, fired again (repeat) or
 * resolved. Every string is outside text already made safe (text.h),
 * owned by the event. */
struct alert_event {
    bool firing;
    char *service, *group, *kind;
    char *message;  /* the last result's message */
    char **blocked; /* what this root cause blocks (names) */
    size_t nblocked;
    enum health_state state;    /* now */
    enum health_state previous; /* before the change */
    enum health_state fired;    /* the state the alert fired on */
    bool root_cause;            /* the route groups by root cause */
    bool route_gone;            /* resolved because a reload removed the route */
    int64_t starts_wall_ms;     /* when it fired */
    int64_t ends_wall_ms;       /* resolved: when; firing: 0 */
    int64_t at_wall_ms;         /* when this notification was made */
};

struct alert_sink;

struct alert_receiver_ops {
    size_t batch; /* events per delivery, at most */
    /* Delivers ev[0..n) and calls alert_sink_done() exactly once, from
     * a loop callback or from inside send itself when it fails at once. */
    void (*send)(struct alert_sink *k, struct alert_event *const *ev, size_t n);
    /* Stops what is under way without calling done, closes handles. */
    void (*cancel)(struct alert_sink *k);
};

extern const struct alert_receiver_ops alert_alertmanager_ops, alert_webhook_ops, alert_exec_ops;

/* One route at run time. */
struct alert_sink {
    struct alerts *al;
    const struct alert_route *route;
    const struct alert_receiver_ops *ops;
    size_t pos;             /* 1-based place in alerts: */
    char name[48];          /* "webhook #2" */
    char shown[256];        /* the URL (redacted) or argv[0], made safe */
    struct alert_event **q; /* ring of ALERTS_QUEUE_MAX */
    size_t qhead, qlen;
    size_t inflight; /* events at the head being delivered */
    uv_timer_t retry;
    bool retry_open;
    int failures; /* failed deliveries in a row */
    int64_t backoff_ms;
    bool failing;   /* ALERTS_FAILING_AFTER in a row */
    bool drop_told; /* a drop was logged since the last success */
    char why[256];  /* the last failure, made safe */
    uint64_t ok, failed, dropped;
    void *priv; /* the receiver's */
    /* A route a reload removed: it delivers what it holds, then ends
     * (deliver.c). */
    bool retiring, ended;
    struct alert_sink *next; /* in alerts.retired */
};

/* The receiver's answer to send. why (outside text is fine: it is made
 * safe here) says what failed. */
void alert_sink_done(struct alert_sink *k, bool ok, const char *why);
/* The engine's loop and curl multi handle (created on first use; NULL
 * when curl cannot start). */
uv_loop_t *alert_sink_loop(struct alert_sink *k);
struct curl_uv *alert_sink_curl(struct alert_sink *k);

/* A JSON POST of body (taken) to url with the route's headers, bounded
 * by its timeout; calls alert_sink_done when it ends. For the HTTP
 * receivers (http.c). */
void alert_http_post(struct alert_sink *k, const char *url, char *body);
void alert_http_cancel(struct alert_sink *k);

/* "redis is unhealthy (was healthy): connection refused; blocks api,
 * worker" or "redis is healthy again (was unhealthy)". */
void alert_event_text(const struct alert_event *ev, char *buf, size_t n);
/* "critical" for unhealthy, else "warning". */
const char *alert_severity(enum health_state fired);
void alert_event_free(struct alert_event *ev);

#endif
