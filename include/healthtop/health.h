/* The health state machine, one per service, with Docker's healthcheck
 * semantics:
 *
 *   unknown    until the first result;
 *   starting   until the first success or `retries` consecutive
 *              failures; while starting, a failed probe that began
 *              inside start_period does not count;
 *   healthy    the last probe passed;
 *   degraded   the last probe passed but was slower than max_latency, or
 *              0 < replicas up < replicas expected;
 *   unhealthy  `retries` consecutive failures (a healthy service stays
 *              healthy through fewer);
 *   skipped    replicas: 0 and nothing answers (scaled to zero).
 */
#ifndef HEALTHTOP_HEALTH_H
#define HEALTHTOP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"

enum health_state {
    HEALTH_UNKNOWN,
    HEALTH_STARTING,
    HEALTH_HEALTHY,
    HEALTH_DEGRADED,
    HEALTH_UNHEALTHY,
    HEALTH_SKIPPED,
    HEALTH_STATE_COUNT
};

/* Each state's one-column Unicode mark, for every view: they differ in
 * shape as well as colour, so a state reads without colour too. An
 * initializer for a const char *[HEALTH_STATE_COUNT]. */
#define HEALTH_MARKS_UTF8                                                                          \
    {                                                                                              \
        [HEALTH_UNKNOWN] = "?", [HEALTH_STARTING] = "\xe2\x97\x8c" /* ◌ */,                        \
        [HEALTH_HEALTHY] = "\xe2\x97\x8f" /* ● */, [HEALTH_DEGRADED] = "\xe2\x96\xb2" /* ▲ */,     \
        [HEALTH_UNHEALTHY] = "\xe2\x9c\x97" /* ✗ */, [HEALTH_SKIPPED] = "\xe2\x97\x8b" /* ○ */,    \
    }

/* What one result says on its own, before retries: healthy, degraded,
 * unhealthy or skipped. */
enum health_state health_verdict(const struct svc_config *svc, const struct probe_result *r);

struct health {
    enum health_state state;
    int failures;             /* consecutive failed results */
    int up, expected;         /* replicas from the last result */
    int64_t started_ms;       /* when monitoring began: start_period base */
    int64_t since_ms;         /* when the current state began */
    int64_t first_seen_ms;    /* first result of any kind; -1 before */
    int64_t first_healthy_ms; /* first healthy (not degraded); -1 before */
    /* When the last probe that found it not healthy began, before it was
     * first healthy (-1: none): the evidence a race is flagged on. */
    int64_t down_began_ms;
    uint64_t results; /* results applied */
};

void health_init(struct health *h, int64_t now_ms);
/* Applies one result at now_ms. Returns true when the state changed. */
bool health_apply(struct health *h, const struct svc_config *svc, const struct probe_result *r,
                  int64_t now_ms);
/* The same for a probe that began at began_ms: start_period is judged by
 * when the probe began, as in Docker (a probe that began inside it and
 * timed out after it is still forgiven). */
bool health_apply_at(struct health *h, const struct svc_config *svc, const struct probe_result *r,
                     int64_t began_ms, int64_t now_ms);

/* Sets the state directly (once mode, where one failed result is final).
 * Returns true when the state changed. */
bool health_set(struct health *h, enum health_state s, const struct probe_result *r,
                int64_t now_ms);

/* "healthy", "unhealthy", ... */
const char *health_state_name(enum health_state s);
/* Upper case, for reports: "HEALTHY", "NOT RUNNING" for skipped. */
const char *health_state_shout(enum health_state s);
/* Ordering for "severity" sorts and the overall status: unhealthy first. */
int health_severity(enum health_state s);
/* True for healthy, degraded and skipped: states that are up or meant to be down. */
bool health_is_up(enum health_state s);

#endif
