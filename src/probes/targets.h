/* What the tcp, redis and exec probes share: running one probe against
 * several targets (replicas) at once under one timeout, counting the
 * resources each target still holds, and folding the per-target outcomes
 * into one probe result.
 *
 * Life of a target set: targets_start() allocates it, arms the timeout and
 * calls ops->start for every target. A target ends with target_pass() or
 * target_fail() (the first call wins). When every target has ended, the
 * result is reported with probe_done() from a timer callback, never from
 * inside a kind's callback (hiredis, libuv). On timeout or cancel, every
 * target that has not ended fails, and ops->abort is called for each target
 * still holding a resource. The set itself outlives the report until every
 * resource is released (target_release), so a name lookup stuck in the
 * thread pool never delays the result; then it frees itself.
 *
 * Resources: every handle, request or connection a kind opens is counted
 * with target_hold() and given back with target_release() from its last
 * callback (uv_close's callback, the request's callback, ...). */
#ifndef HEALTHTOP_PROBES_TARGETS_H
#define HEALTHTOP_PROBES_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include "healthtop/probe.h"

struct target_set;

struct target {
    struct target_set *set;
    size_t index; /* 0-based; messages say "replica index+1" */
    void *state;  /* the kind's, ops->state_size bytes, zeroed */
    uv_loop_t *loop;
    int64_t timeout_ms; /* the service's */
    int64_t started_us; /* ht_now_us() when the target started */
    bool ended;         /* target_pass or target_fail was called */
    bool ok;
    int holds;          /* resources still open */
    int64_t latency_us; /* set by target_pass/fail when still -1 */
    int64_t connect_us; /* -1 unless the kind measured it */
    /* It failed only because it is still starting (a database that says
     * so): when every failing target is, the probe says `starting`. */
    bool starting;
    char message[PROBE_MSG_MAX];
    char detail[PROBE_DETAIL_MAX];
    /* Name resolution, run by target_resolve. */
    uv_getaddrinfo_t gai;
    bool resolving;
    char host[256];
    void (*resolved)(struct target *t, const struct sockaddr *sa, const char *ip);
};

struct target_ops {
    size_t state_size;
    /* Starts target t: ends it now or later, holding what it opens. */
    void (*start)(struct target *t);
    /* Timeout or cancel: t has ended (or will end with its outcome
     * ignored); close everything it holds, promptly. May be NULL when
     * target_resolve is all the kind holds. */
    void (*abort)(struct target *t);
    /* Frees what the state owns besides handles (called once, at the end). */
    void (*free)(struct target *t);
};

/* Starts n targets of p. Returns 0 (the probe then always ends through
 * probe_done), or -1 with p->result.message set when n is 0. */
int targets_start(struct probe *p, size_t n, const struct target_ops *ops) HT_WUR;
/* For probe_ops.cancel: ends every target with "cancelled" and reports
 * the probe at once (probe_done is called from inside this). */
void targets_cancel(struct probe *p);

/* The service being probed, for the kinds' start functions. */
const struct svc_config *target_svc(const struct target *t);

void target_pass(struct target *t, const char *fmt, ...) HT_PRINTF(2, 3);
void target_fail(struct target *t, const char *fmt, ...) HT_PRINTF(2, 3);
void target_hold(struct target *t);
void target_release(struct target *t);

/* Resolves host asynchronously, holding t meanwhile; on success calls
 * cb(t, address, numeric address text) unless t has ended, on failure
 * ends t with "cannot resolve HOST". port goes into the address. A numeric
 * address ("127.0.0.1", "::1", "[::1]") calls cb at once, from inside. */
void target_resolve(struct target *t, const char *host, int port,
                    void (*cb)(struct target *t, const struct sockaddr *sa, const char *ip));

/* Splits "host:port", "[v6addr]:port" into host (without brackets) and
 * port (1-65535). Returns 0 or -1. */
int target_split_hostport(const char *s, char *host, size_t hostlen, int *port) HT_WUR;

/* Copies the first non-empty line of src (len bytes) into dst, trimmed,
 * then masked, escaped and cut to max bytes (text_safe, text.h).
 * Returns false (dst empty) when src holds no such line. */
bool target_first_line(char *dst, size_t n, const char *src, size_t len, size_t max);
/* Copies an error text from a library ("Connection refused") as a
 * message ("connection refused"): first line, trimmed, first letter in
 * lower case unless the word is all capitals (Redis error codes). */
void target_errtext(char *dst, size_t n, const char *src);

#endif
