/* Alerts: the routes of the config's alerts: section, fed by the
 * scheduler's state changes in every mode (dashboard, --wait, --serve),
 * delivered to Alertmanager, webhooks and exec hooks on the run's own
 * loop. Nothing here ever waits on a receiver: an HTTP delivery is a
 * transfer on a curl multi handle driven by the loop, a hook is a child
 * process with a timeout, and a delivery that fails is retried with
 * backoff while new notifications queue behind it, up to
 * ALERTS_QUEUE_MAX per route (past it the oldest waiting one is dropped
 * and counted).
 *
 * Only notifications are held back, never probing, the views or the
 * metrics. With root_cause on (the default), a service blocked by a
 * failing dependency (deps.h, followed transitively) does not fire: the
 * root cause's alert lists it. A service whose alert was already sent
 * keeps it whatever happens below it, and a resolution is never held
 * back: whatever was sent as firing is sent as resolved. doc/alerts.md
 * has the payloads and the rules in full. */
#ifndef HEALTHTOP_ALERTS_H
#define HEALTHTOP_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include "healthtop/buf.h"
#include "healthtop/config.h"

#define ALERTS_QUEUE_MAX      1024  /* notifications waiting, per route */
#define ALERTS_BATCH_MAX      256   /* notifications per HTTP request */
#define ALERTS_FAILING_AFTER  3     /* failed deliveries in a row: "failing" */
#define ALERTS_BACKOFF_MIN_MS 1000  /* first retry */
#define ALERTS_BACKOFF_MAX_MS 60000 /* retries double up to this */
#define ALERTS_REPLY_MAX      4096  /* bytes of a receiver's answer kept */
#define ALERTS_RETIRE_TRIES   3     /* a removed route's failed deliveries in a row, at most */

struct scheduler;
struct alerts;

/* Where the engine says that a receiver fails or delivers again: one
 * line of text, made safe, without a newline. */
typedef void (*alerts_log_fn)(const char *line, void *ud);

/* An engine for cfg's routes; cfg must outlive its use: every config
 * given to alerts_new or alerts_reconfigure stays allocated until the
 * handles alerts_close closes are closed (alerts_free reads none of it).
 * NULL when cfg has no alerts: section. */
struct alerts *alerts_new(const struct ht_config *cfg);
/* A reload (--serve's SIGHUP), between alerts_attach(al, NULL) and the
 * attach of the new model: the routes follow cfg's alerts:. A route of
 * cfg with the target of a running one (same receiver kind and URL, or
 * the same exec argv; the first such) takes over its alerts, queue and
 * counters, with cfg's options; a running route no route of cfg takes
 * sends what it sent as firing as resolved, delivers what it holds (up
 * to ALERTS_RETIRE_TRIES failures in a row) and ends; a new route starts
 * empty. cfg may have no routes. Returns -1 (nothing changed) when al is
 * attached or closed. */
int alerts_reconfigure(struct alerts *al, const struct ht_config *cfg) HT_WUR;
/* Where failures are told (NULL: nowhere, as in the dashboard, which
 * shows them in its header). */
void alerts_set_log(struct alerts *al, alerts_log_fn fn, void *ud);
/* Follows s from now on (its loop, its state changes); NULL stops
 * following (a reload is under way). Alerts already sent are carried
 * over by service name (and judged again from the service's first
 * verdict on s): one that no longer exists is sent as resolved.
 * al may be NULL (no alerts:). */
void alerts_attach(struct alerts *al, struct scheduler *s);
/* Cancels every delivery under way and closes the handles
 * (asynchronously: run the loop until they are closed), then free. */
void alerts_close(struct alerts *al);
void alerts_free(struct alerts *al);

/* "alerts failing: webhook #2" for the header, "" when every receiver
 * delivers. Returns the length. */
size_t alerts_status(const struct alerts *al, char *buf, size_t n);
/* Appends the alert metrics (deliveries, drops, queue lengths) to out.
 * Returns 0, or -1 when out's limit was reached. */
int alerts_metrics_write(const struct alerts *al, struct buf *out, bool openmetrics) HT_WUR;

/* As a run_hook (run.h) for the dashboard and --wait: ud is the engine. */
int alerts_hook_setup(struct scheduler *s, void *ud);
void alerts_hook_close(struct scheduler *s, void *ud);

#endif
