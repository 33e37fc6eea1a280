/* The probe interface: one file per kind under src/probes/, each behind
 * this small vtable, all running on the one libuv loop.
 *
 * Life of a probe: the scheduler fills a struct probe and calls
 * probe_start(). The kind either returns -1 at once with p->result filled
 * (and never calls back), or returns 0 and later calls probe_done(p)
 * exactly once, from a loop callback, never from inside start. Every kind
 * enforces svc->timeout_ms itself. probe_cancel() aborts a probe in
 * flight; probe_done() is still called once, possibly from inside cancel.
 *
 * Errors: a probe's failure is its result, not a return value. What went
 * wrong is p->result.message (probe_msg, target_fail), for the person
 * looking at the dashboard; -1 from start only says "already done". */
#ifndef HEALTHTOP_PROBE_H
#define HEALTHTOP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>
#include "healthtop/config.h"

#define PROBE_MSG_MAX    160
#define PROBE_DETAIL_MAX 512

struct probe_result {
    bool ok;             /* every check passed on at least the expected replicas */
    bool slow;           /* correct, but slower than max_latency */
    bool starting;       /* the target says it is still starting (docker
                          * "health: starting"): not a failure yet */
    bool engine_verdict; /* the verdict is the engine's own healthcheck,
                          * which applied its retries already (docker
                          * containers with a healthcheck): taken as is */
    /* The target can no longer get healthy by itself (docker: a container
     * exited that its restart policy will not start again); message says
     * why. --wait stops at once on it. */
    bool hopeless;
    int up;             /* targets (replicas) that answered correctly */
    int found;          /* targets probed or replicas found (celery, docker) */
    int listening;      /* celery: workers PUBLISH reached; -1 otherwise */
    int64_t latency_us; /* total time of the slowest target; -1 if none */
    int64_t connect_us; /* connect time, -1 when not measured */
    /* When what was probed began, wall clock ms: the docker probe's
     * earliest container creation. 0 when unknown. */
    int64_t since_wall_ms;
    /* What the target itself says, wall clock ms, 0 when it does not: when
     * it started (docker: the containers' StartedAt) and when it became
     * healthy (docker: the engine's health log). The health module takes
     * them for the first result instead of the moment healthtop looked,
     * so a stack that was already up shows its own start-up. */
    int64_t began_wall_ms;
    int64_t healthy_wall_ms;
    /* Short and human: "HTTP 200", "PONG", "connection refused",
     * "timeout after 1.0s", "body lacks 'healthy'". Secrets scrubbed. */
    char message[PROBE_MSG_MAX];
    /* More for the detail pane: HTTP status line and first bytes of the
     * body, celery worker names, docker container states. */
    char detail[PROBE_DETAIL_MAX];
};

/* One row a probe made from its answer (a prometheus query with
 * rows_by: one row per label value), which the scheduler shows as a
 * service of its own. Its result is judged like any other, except that
 * result.message holds only what follows the count: the scheduler writes
 * "up/expected up" in front, where expected is the most replicas the row
 * has had while it existed. */
struct probe_row {
    char *key;   /* made safe; unique among the rows of one answer */
    char *group; /* made safe; NULL: the source's group */
    struct probe_result result;
};

/* The rows of one answer, sorted by key (strcmp). answered: the probe got
 * an answer to make rows from (perhaps none); when false the query
 * failed, and the rows there were stay, each failing with the source's
 * message. A zeroed struct is empty. Its room (v, cap) is kept from one
 * answer to the next: an answer of 10,000 rows is 7.5 MB, and allocated
 * anew each time the kernel faulted in its 1,840 pages on every answer. */
struct probe_rows {
    bool answered;
    struct probe_row *v;
    size_t n;
    size_t cap; /* rows v has room for */
};

/* Empties rows (n = 0, each row's strings freed, answered false) and
 * returns v with room for n zeroed rows, grown when needed. */
struct probe_row *probe_rows_reserve(struct probe_rows *rows, size_t n);
/* Empties rows and keeps the room for the next answer. */
void probe_rows_clear(struct probe_rows *rows);
/* Empties rows and frees the room too. */
void probe_rows_free(struct probe_rows *rows);

struct probe;
typedef void (*probe_cb)(struct probe *p);

/* State shared by all probes of one loop: the curl multi handle, the
 * celery and docker round coordinators. Each kind owns its pointer. */
struct probe_env {
    uv_loop_t *loop;
    struct http_env *http;
    struct celery_env *celery;
    struct docker_env *docker;
    struct prom_env *prometheus;
    /* Set by the scheduler while it runs (not in once mode): a kind that
     * learns between rounds that a service has news (the docker event
     * stream: a container died, turned unhealthy, started) asks for that
     * service to be probed now. NULL: nobody listens. */
    void (*wake)(void *ud, const struct svc_config *svc);
    void *wake_ud;
};

struct probe {
    struct probe_env *env;
    const struct svc_config *svc;
    probe_cb cb;        /* the caller's completion */
    void *data;         /* the caller's */
    void *priv;         /* the kind's state while in flight */
    int64_t started_us; /* ht_now_us() at start */
    bool inflight;
    struct probe_result result;
    /* Rows made from the answer, for a kind whose max_rows is not 0: the
     * kind fills them before probe_done, the scheduler takes them. */
    struct probe_rows rows;
};

struct ydoc;
struct ypair;

/* Flags of a kind (struct probe_ops.flags). */
enum {
    /* The probe finds its replicas itself (celery workers, docker
     * containers) instead of probing one target per replica: replicas:
     * defaults to 1 and may exceed the number of targets. */
    PROBE_F_FINDS_REPLICAS = 1 << 0,
    /* Probes of one target due together share one round (a Celery ping
     * of a broker, a listing of a Docker engine): the scheduler starts
     * the kind's services together and without jitter, so that the rows
     * of one target stay in one round instead of each opening its own. */
    PROBE_F_SHARES_ROUNDS = 1 << 1,
};

/* One probe kind, whole: what it is called in the config, how its config
 * is parsed, described and freed, and how it runs. Every kind defines one
 * (src/probes/http.c: probe_http_ops) and the table in probe.c lists them
 * all; the rest of the program asks the table (probe_ops_get,
 * probe_ops_find) and never names a kind. doc/probe-kinds.md says how to
 * add one. */
struct probe_ops {
    enum probe_kind kind; /* its index in the table */
    const char *name;     /* the service key that selects it: "http" */
    /* What the key takes, for "http needs a value: <form>". */
    const char *form;
    /* The keys of its mapping form, NULL-terminated; NULL when it has
     * none. What its parser accepts, and what it lists in "valid keys". */
    const char *const *keys;
    unsigned flags; /* PROBE_F_* */

    /* Required. Fills s->u from p (the kind's key and its value, never
     * null); records every problem in d with its position, never stops at
     * the first. Whatever was allocated is owned by s, also on error, and
     * freed by free_config (optional when nothing is allocated). */
    void (*parse)(struct ydoc *d, const struct ypair *p, struct svc_config *s);
    void (*free_config)(struct svc_config *s);
    /* The most rows a service of this kind makes from one answer
     * (struct probe_rows); NULL or 0: it makes none, its service is one
     * row. The scheduler sets their room aside at start. */
    size_t (*max_rows)(const struct svc_config *s);
    /* Targets probed (one per replica); NULL means one. */
    size_t (*targets)(const struct svc_config *s);
    /* Required. Prints what is probed on one line: "GET http://...".
     * URLs with credentials go through config_redact_url; config_describe
     * scrubs the secrets of the whole line afterwards. */
    void (*describe)(const struct svc_config *s, FILE *f);

    /* Optional per-loop set-up and tear-down of the kind's probe_env part.
     * env_close may leave handles closing: the loop must run until it
     * has no more handles. */
    int (*env_init)(struct probe_env *env);
    void (*env_close)(struct probe_env *env);
    /* Required: the life of a probe, as said at the top of this file. */
    int (*start)(struct probe *p);
    void (*cancel)(struct probe *p);
};

/* The kind with index k, or NULL when k is out of range. */
const struct probe_ops *probe_ops_get(enum probe_kind k);
/* The kind called name in the config, or NULL. */
const struct probe_ops *probe_ops_find(const char *name);
/* The most rows service s makes from one answer; 0 for a plain service. */
size_t probe_max_rows(const struct svc_config *s);

int probe_env_init(struct probe_env *env, uv_loop_t *loop) HT_WUR;
void probe_env_close(struct probe_env *env);

/* Resets p->result, then starts the probe of svc. Returns 0 and calls cb
 * later exactly once; or returns -1 with p->result filled (no callback).
 * A service scaled to zero (replicas: 0) of a kind without
 * PROBE_F_FINDS_REPLICAS is never probed: -1, "not running (scaled to 0)". */
int probe_start(struct probe *p, struct probe_env *env, const struct svc_config *svc,
                probe_cb cb) HT_WUR;
void probe_cancel(struct probe *p);

/* For the kinds: finish p (scrubs secrets from the texts, calls cb). */
void probe_done(struct probe *p);
/* For the kinds: set the message (printf-style, truncated). */
void probe_msg(struct probe *p, const char *fmt, ...) HT_PRINTF(2, 3);
/* "timeout after 1.0s" for this probe's timeout. */
void probe_msg_timeout(struct probe *p);
/* Microseconds since p started. */
int64_t probe_elapsed_us(const struct probe *p);

#endif
