/* --listen: the HTTP endpoints served on the run's own loop, in every
 * mode (dashboard, --once, --wait, --serve), for Prometheus, load
 * balancers and scripts:
 *
 *   /metrics        Prometheus text 0.0.4, or OpenMetrics 1.0 when the
 *                   Accept header asks for application/openmetrics-text
 *   /healthz        200 while healthtop runs (never needs auth)
 *   /readyz         200 when the overall state is healthy, else 503
 *   /api/v1/state   the --once --json document
 *   /               the status page: the dashboard as one HTML page
 *                   (statuspage.h), kept live by
 *   /api/v1/events  Server-Sent Events of the state (sse.h), on
 *                   long-lived connections bounded apart (SSE_MAX_STREAMS)
 *
 * Each answer is built in one loop callback from the scheduler's model,
 * so a request never waits on a probe and never delays one. The server's
 * bounds: LISTEN_MAX_CONNS open connections (more are closed at once), a
 * request head of HTTPD_MAX_HEAD bytes (431) with at most
 * HTTPD_MAX_HEADERS headers (400), and LISTEN_IDLE_MS to send a whole
 * request (after connecting or after the last answer): bytes trickled
 * one at a time do not keep a connection open. Every method but GET and
 * HEAD is 405: no endpoint changes anything. */
#ifndef HEALTHTOP_LISTEN_H
#define HEALTHTOP_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include "healthtop/util.h"

#define LISTEN_MAX_CONNS    64
#define LISTEN_IDLE_MS      10000
#define LISTEN_DEFAULT_HOST "127.0.0.1"

struct scheduler;
struct listener;
struct alerts;

/* Where and how to listen: from --listen and the config's listen:. */
struct listen_spec {
    char host[64];               /* a numeric address */
    int port;                    /* 0: a free one (tests) */
    bool public;                 /* a non-loopback host was asked for explicitly */
    const char *bearer;          /* the token every request but /healthz must carry, or NULL */
    const char *user, *password; /* or HTTP Basic credentials, or NULL */
};

/* Parses "[ADDR:]PORT" ("9464", "127.0.0.1:9464", "[::1]:9464",
 * "localhost:9464") into spec->host and spec->port. Returns 0, or -1 with
 * *why set. */
int listen_parse(const char *s, struct listen_spec *spec, const char **why) HT_WUR;
/* True for 127.0.0.0/8 and ::1. */
bool listen_is_loopback(const char *host);

/* A listener, not listening yet. spec is copied (the bearer too). */
struct listener *listener_new(const struct listen_spec *spec);
/* Replaces the credentials (a config reload): bearer, or user and
 * password, or none of them. */
void listener_set_auth(struct listener *l, const char *bearer, const char *user,
                       const char *password);
/* Adds the alert engine's counters to /metrics (NULL: none). */
void listener_set_alerts(struct listener *l, const struct alerts *al);
/* Listens on loop. Returns 0, or -1 with a message in err. */
int listener_start(struct listener *l, void *uv_loop, char *err, size_t n) HT_WUR;
/* The port listened on, after listener_start. */
int listener_port(const struct listener *l);
/* Serves s's model from now on (NULL: answers 503 "reloading"); adds an
 * observer to s for the probe counters (which restart at zero). */
void listener_attach(struct listener *l, struct scheduler *s);
/* Stops listening and closes every connection (asynchronously: the loop
 * runs until they are closed). */
void listener_stop(struct listener *l);
/* Frees l once the loop has run the close. */
void listener_free(struct listener *l);

/* As a run_hook (run.h) for the dashboard, --once and --wait: ud is the
 * listener; setup starts and attaches it, close stops it. */
int listener_hook_setup(struct scheduler *s, void *ud);
void listener_hook_close(struct scheduler *s, void *ud);

#endif
