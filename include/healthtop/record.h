/* --record FILE: every probe result and state change, as JSON lines, for
 * post-mortems ("what broke first?") and for --replay.
 *
 * The first line describes the run and its services (names, labels,
 * groups, kinds, replicas, depends_on, intervals: report_service_json's
 * object plus interval_ms), so that a recording replays without the
 * config that made it:
 *
 *   {"healthtop_recording": 1, "version": "0.1.0", "title": "...",
 *    "t0_wall_ms": 1795000000000, "services": [{...}, ...]}
 *
 * Then one line per result, in the order they arrived:
 *
 *   {"t_ms": 10234, "wall_ms": ..., "service": "redis", "state": "healthy",
 *    "ok": true, "latency_ms": 0.41, "replicas": {"up": 1, "expected": 1,
 *    "found": 1}, "message": "PONG", "from": "starting"}
 *
 * t_ms is the offset from T+0 (the scheduler's start); "from" is there
 * only when the state changed. Every string written passes through
 * secret_scrub: a secret never reaches the file. The file is replaced,
 * created 0600. Each line is flushed as it is written (a crash keeps what
 * came before); it is a small append to a local file, not a loop stall. */
#ifndef HEALTHTOP_RECORD_H
#define HEALTHTOP_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "healthtop/scheduler.h"

#define RECORD_FORMAT 1

struct recorder {
    FILE *f;
    char *path;
    uint64_t lines; /* written so far */
    bool failed;    /* a write failed: said once on stderr, then quiet */
};

/* Opens path for writing (replacing it). Returns 0 with *out set, or -1
 * with *out NULL and err holding "path: reason" (the loaders' convention,
 * config.h). */
int record_open(const char *path, struct recorder **out, char *err, size_t n) HT_WUR;
/* Writes the header for s and starts recording its results. */
int record_attach(struct recorder *rec, struct scheduler *s) HT_WUR;
/* The observer record_attach registers; public for tests. */
void record_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                   void *ud);
/* Flushes and closes; returns 0, or -1 when some write failed. */
int record_close(struct recorder *rec);

/* Replaces every string in j (recursively, keys excepted) by its
 * secret_scrub'bed copy. */
void record_scrub_json(json_t *j);

/* For run_opts hooks (run.h): ud is the recorder. */
int record_hook_setup(struct scheduler *s, void *ud);
void record_hook_close(struct scheduler *s, void *ud);

#endif
