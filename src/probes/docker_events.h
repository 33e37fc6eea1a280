/* The docker probe's event streams: one long-lived GET /events per
 * engine address and compose project, on the docker probe's curl multi
 * handle, filtered by the project's label. An event about a container of
 * a watched service (it started, died, stopped, turned healthy or
 * unhealthy, was removed) asks the scheduler to probe that service now
 * (probe_env.wake), so the row shows it in the turn after the listing
 * answers instead of at the next interval; the interval's listing stays
 * as the safety net. Every time a stream connects, its services are all
 * probed again (what happened while it was down is in no event). A
 * stream that ends or cannot connect is opened again after a delay that
 * starts at EVENTS_BACKOFF_MIN_MS and doubles up to EVENTS_BACKOFF_MAX_MS.
 * Events are read as JSON objects one after another (each at most
 * EVENTS_OBJ_MAX bytes; a longer one is skipped whole). */
#ifndef HEALTHTOP_DOCKER_EVENTS_H
#define HEALTHTOP_DOCKER_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "curl_uv.h"
#include "healthtop/probe.h"

#define EVENTS_BACKOFF_MIN_MS 500
#define EVENTS_BACKOFF_MAX_MS 30000
#define EVENTS_OBJ_MAX        (64u << 10)
#define EVENTS_SETTLE_MS      200 /* a health event's rows are woken again after */
/* While its stream is up and no event came for it, a row is answered from
 * its last listing, which is made again at least this often. */
#define EVENTS_RELIST_MS 30000

struct docker_events;

struct docker_events *docker_events_new(struct probe_env *penv, struct curl_uv *cu);
/* Follows the events of svc's containers from now on (once per svc; a
 * no-op while nobody listens: penv->wake is NULL). */
void docker_events_watch(struct docker_events *ev, const struct svc_config *svc);
/* True when svc's result can be its last listing's, copied to out: its
 * stream is up, no event woke it since, and that listing is younger than
 * EVENTS_RELIST_MS. False otherwise, and the caller lists (the row is
 * then not stale until an event comes). */
bool docker_events_cached(struct docker_events *ev, const struct svc_config *svc,
                          struct probe_result *out);
/* What a listing made of svc, for docker_events_cached. started_ms: when
 * that listing was asked for. */
void docker_events_store(struct docker_events *ev, const struct svc_config *svc,
                         const struct probe_result *r, int64_t started_ms);
/* Stops every stream; the memory goes once the timers have closed. */
void docker_events_close(struct docker_events *ev);

/* For tests: the events of one stream's bytes. Feeds n bytes to the
 * scanner state st, calling cb for every whole object. */
struct events_scan {
    char *buf;
    size_t len;
    int depth;
    bool in_str, esc, skip;
};
void events_scan_feed(struct events_scan *st, const char *data, size_t n,
                      void (*cb)(void *ud, const char *obj, size_t len), void *ud);
void events_scan_free(struct events_scan *st);

#endif
