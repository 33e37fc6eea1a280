/* Docker Engine API answers -> container states -> a probe result.
 *
 * Pure functions, no I/O: the docker probe feeds them the bodies of
 * GET /v1.41/containers/json and GET /v1.41/containers/{id}/json, and the
 * unit tests and the fuzz target feed them recorded Docker and Podman
 * answers.
 *
 * How a service's containers become a result (the health module maps ok,
 * up, starting and the replica count to a state):
 *   running, healthy or without a healthcheck   counts in up
 *   running, "health: starting"                  not up; message
 *                                                "health: starting", starting
 *   running, unhealthy                           not up; "unhealthy: <last
 *                                                health-log output>"
 *   restarting, dead, paused, created            not up; that word
 *   exited                                       not up; "exited (CODE)"
 *   none found                                   "no containers"
 * ok = up >= replicas and up > 0, so replicas 0 with nothing found is
 * "not ok, up 0", which the health module shows as skipped. */
#ifndef HEALTHTOP_DOCKER_MAP_H
#define HEALTHTOP_DOCKER_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"

enum docker_health {
    DOCKER_HEALTH_UNKNOWN, /* not in Status (Podman, or no healthcheck): inspect */
    DOCKER_HEALTH_NONE,    /* no healthcheck */
    DOCKER_HEALTH_STARTING,
    DOCKER_HEALTH_HEALTHY,
    DOCKER_HEALTH_UNHEALTHY,
};

struct docker_ctr {
    char id[72];
    char name[64];    /* without the leading '/' */
    char service[64]; /* com.docker.compose.service label, or "" */
    char project[64]; /* com.docker.compose.project label, or "" */
    bool has_service; /* the labels were present */
    bool has_project;
    bool oneoff;    /* com.docker.compose.oneoff=True: `compose run`, never a replica */
    char state[16]; /* created, running, paused, restarting, exited, removing, dead */
    int exit_code;  /* from "Exited (N) ..." or State.ExitCode; -1 unknown */
    enum docker_health health;
    int failing_streak;
    char output[120]; /* last health-log output, on one line */
    int64_t created;  /* the listing's Created, unix seconds; 0 unknown */
    /* From the inspect answer, wall clock ms, 0 unknown: when the
     * container last started (State.StartedAt), and when it became
     * healthy as the engine saw it: the end of its first passing
     * healthcheck when the health log still holds the whole run since
     * that start, or the start itself when it has no healthcheck. */
    int64_t started_ms;
    int64_t healthy_ms;
};

/* An engine's RFC 3339 time ("2026-11-28T04:05:53.217279611Z", or with
 * an offset "+01:00") in unix ms; 0 for Go's zero time, before 1970 or
 * anything else. */
int64_t docker_time_ms(const char *s);

/* Parses a container listing. On success returns 0 with *out (malloc'd,
 * the caller frees; NULL when empty) and *n set; on error returns -1 with
 * err (e.g. "bad JSON at line 1") filled. */
int docker_map_list(const char *json, size_t len, struct docker_ctr **out, size_t *n, char *err,
                    size_t errlen) HT_WUR;
/* The same from Podman's own listing (GET /v4.0.0/libpod/containers/json),
 * whose Status is the health ("healthy", "unhealthy", "starting", or ""
 * without a healthcheck): Podman's compatible listing leaves the health
 * out, so this one spares an inspect per container and round. */
int docker_map_list_libpod(const char *json, size_t len, struct docker_ctr **out, size_t *n,
                           char *err, size_t errlen) HT_WUR;
/* Completes c from an inspect body: health, failing streak, the last
 * health-log output, and the exit code. Returns 0, or -1 when the body is
 * not a container object (c then keeps what it had). */
int docker_map_inspect(const char *json, size_t len, struct docker_ctr *c);
/* True when c carries every label dc names (a NULL label matches all)
 * and is not a one-off container (`docker compose run`). */
bool docker_ctr_matches(const struct docker_ctr *c, const struct docker_config *dc);
/* True when c's health is not settled by the listing and inspect must be
 * asked: running with no health suffix, or unhealthy (for the log). */
bool docker_ctr_needs_inspect(const struct docker_ctr *c);
/* Sets r's ok, up, found, starting, message and detail from the containers
 * of c[0..n) that match dc, against replicas expected; since_wall_ms from
 * the earliest creation among them; began_wall_ms from their earliest
 * start and, when ok, healthy_wall_ms from the moment the last of the
 * containers counted became healthy (0 when any of those is unknown). */
void docker_map_result(const struct docker_ctr *c, size_t n, const struct docker_config *dc,
                       int replicas, struct probe_result *r);
/* Called by docker_map_result: sets r->hopeless, with the reason in its
 * message, when a container exited that dc's restart policy will not
 * start again; for a job (dc->completes), done when all exited 0, not yet
 * while one runs (docker_fate.c). */
void docker_fate(const struct docker_ctr *c, size_t n, const struct docker_config *dc, int replicas,
                 struct probe_result *r);

#endif
