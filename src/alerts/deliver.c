/* Deliveries: each route's bounded queue, one delivery at a time per
 * route, retries with backoff, drops, and the counters /metrics shows.
 *
 * A delivery takes up to the receiver's batch from the head of the
 * queue; while it is under way (or waiting for its retry) new
 * notifications queue behind it. When the queue is full, the oldest
 * notification not under way is dropped and counted: the newest say
 * most about the stack now. A failed delivery is retried after
 * ALERTS_BACKOFF_MIN_MS, doubling up to ALERTS_BACKOFF_MAX_MS, for as
 * long as healthtop runs; after ALERTS_FAILING_AFTER failures in a row
 * the receiver is "failing" (the header, the log) until one succeeds. */
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"
#include "alerts/engine.h"

void alert_event_free(struct alert_event *ev)
{
    if (ev == NULL)
        return;
    free(ev->service);
    free(ev->group);
    free(ev->kind);
    free(ev->message);
    for (size_t i = 0; i < ev->nblocked; i++)
        free(ev->blocked[i]);
    free(ev->blocked);
    free(ev);
}

static struct alert_event **at(struct alert_sink *k, size_t i)
{
    return &k->q[(k->qhead + i) % ALERTS_QUEUE_MAX];
}

void alert_sink_push(struct alert_sink *k, struct alert_event *ev)
{
    if (k->al->closed) {
        alert_event_free(ev);
        return;
    }
    if (k->qlen == ALERTS_QUEUE_MAX) {
        k->dropped++;
        if (!k->drop_told) {
            k->drop_told = true;
            alerts_logf(k->al, "alerts: %s %s: %d notifications queued, dropping the oldest",
                        k->name, k->shown, ALERTS_QUEUE_MAX);
        }
        if (k->inflight == k->qlen) { /* all under way: the new one goes */
            alert_event_free(ev);
            return;
        }
        /* The oldest waiting one leaves; the rest close up behind it. */
        alert_event_free(*at(k, k->inflight));
        for (size_t i = k->inflight; i + 1 < k->qlen; i++)
            *at(k, i) = *at(k, i + 1);
        k->qlen--;
    }
    *at(k, k->qlen) = ev;
    k->qlen++;
}

void alert_sink_kick(struct alert_sink *k)
{
    struct alert_event *batch[ALERTS_BATCH_MAX];
    size_t n;

    if (k->inflight > 0 || k->qlen == 0 || k->al->closed ||
        (k->retry_open && uv_is_active((uv_handle_t *)&k->retry)))
        return;
    n = k->qlen < k->ops->batch ? k->qlen : k->ops->batch;
    if (n > ALERTS_BATCH_MAX)
        n = ALERTS_BATCH_MAX;
    for (size_t i = 0; i < n; i++)
        batch[i] = *at(k, i);
    k->inflight = n;
    k->ops->send(k, batch, n);
}

static void on_retry(uv_timer_t *t)
{
    alert_sink_kick(t->data);
}

void alert_sink_done(struct alert_sink *k, bool ok, const char *why)
{
    size_t n = k->inflight;

    k->inflight = 0;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            alert_event_free(*at(k, i));
        k->qhead = (k->qhead + n) % ALERTS_QUEUE_MAX;
        k->qlen -= n;
        k->ok++;
        if (k->failing)
            alerts_logf(k->al, "alerts: %s %s: delivering again", k->name, k->shown);
        k->failures = 0;
        k->backoff_ms = 0;
        k->failing = false;
        k->drop_told = false;
        k->why[0] = '\0';
        alert_sink_kick(k);
        if (k->retiring && k->inflight == 0 && k->qlen == 0)
            alert_sink_retire_end(k);
        return;
    }
    k->failed++;
    k->failures++;
    text_safe_str(k->why, sizeof(k->why), why ? why : "failed");
    k->backoff_ms = k->backoff_ms == 0 ? ALERTS_BACKOFF_MIN_MS : k->backoff_ms * 2;
    if (k->backoff_ms > ALERTS_BACKOFF_MAX_MS)
        k->backoff_ms = ALERTS_BACKOFF_MAX_MS;
    if (k->retiring && k->failures >= ALERTS_RETIRE_TRIES) {
        alert_sink_retire_end(k);
        return;
    }
    if (k->failures == ALERTS_FAILING_AFTER) {
        k->failing = true;
        alerts_logf(k->al, "alerts: %s %s: failing: %s (%d deliveries in a row; retrying)", k->name,
                    k->shown, k->why, k->failures);
    }
    if (k->retry_open && !k->al->closed)
        uv_timer_start(&k->retry, on_retry, (uint64_t)k->backoff_ms, 0);
}

void alert_sink_close(struct alert_sink *k, uv_close_cb cb)
{
    if (k->inflight > 0)
        k->ops->cancel(k);
    k->inflight = 0;
    if (k->retry_open) {
        k->retry_open = false;
        uv_close((uv_handle_t *)&k->retry, cb);
    }
}

void alert_sink_retire(struct alert_sink *k)
{
    k->retiring = true;
    k->next = k->al->retired;
    k->al->retired = k;
    /* Its tries start afresh, now, whatever its backoff had come to. */
    k->failures = 0;
    k->backoff_ms = 0;
    if (k->retry_open)
        uv_timer_stop(&k->retry);
    alert_sink_kick(k);
    if (k->inflight == 0 && (k->qlen == 0 || k->al->closed))
        alert_sink_retire_end(k);
}

static void on_retired_closed(uv_handle_t *h)
{
    struct alert_sink *k = h->data;

    alert_sink_free(k);
    free(k);
}

void alert_sink_retire_end(struct alert_sink *k)
{
    struct alert_sink **p = &k->al->retired;

    if (k->ended)
        return;
    k->ended = true;
    while (*p && *p != k)
        p = &(*p)->next;
    if (*p)
        *p = k->next;
    if (k->qlen > 0 && !k->al->closed)
        alerts_logf(k->al, "alerts: %s %s: removed by a reload; %zu notifications not delivered",
                    k->name, k->shown, k->qlen);
    if (k->retry_open) {
        alert_sink_close(k, on_retired_closed);
    } else { /* no loop yet: no handle to close */
        alert_sink_close(k, NULL);
        alert_sink_free(k);
        free(k);
    }
}

void alert_sink_free(struct alert_sink *k)
{
    for (size_t i = 0; i < k->qlen; i++)
        alert_event_free(*at(k, i));
    k->qlen = 0;
    free(k->q);
    free(k->priv);
    k->priv = NULL;
}

/* OpenMetrics names a counter's family without "_total". */
static int family(struct buf *out, const char *name, const char *type, const char *help, bool om)
{
    size_t n = strlen(name);

    if (om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
        n -= 6;
    return buf_printf(out, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name,
                      type);
}

static uint64_t dropped(const struct alert_sink *k)
{
    return k->dropped;
}

static uint64_t queued(const struct alert_sink *k)
{
    return k->qlen;
}

static uint64_t failing(const struct alert_sink *k)
{
    return k->failing;
}

/* One family with a sample per route. */
static int per_route(struct buf *out, const struct alerts *al, const char *name, const char *type,
                     const char *help, uint64_t (*value)(const struct alert_sink *), bool om)
{
    int rc = family(out, name, type, help, om);

    for (size_t i = 0; i < al->nsinks; i++)
        rc |= buf_printf(out, "%s{route=\"%zu\",receiver=\"%s\"} %llu\n", name, al->sinks[i]->pos,
                         alert_kind_name(al->sinks[i]->route->kind),
                         (unsigned long long)value(al->sinks[i]));
    return rc;
}

int alerts_metrics_write(const struct alerts *al, struct buf *out, bool openmetrics)
{
    int rc = 0;

    if (al == NULL)
        return 0;
    rc |= family(out, "healthtop_alert_deliveries_total", "counter",
                 "Alert deliveries to each route's receiver, by result.", openmetrics);
    for (size_t i = 0; i < al->nsinks; i++) {
        const struct alert_sink *k = al->sinks[i];
        const char *kind = alert_kind_name(k->route->kind);
        rc |= buf_printf(out,
                         "healthtop_alert_deliveries_total{route=\"%zu\",receiver=\"%s\","
                         "result=\"success\"} %llu\n"
                         "healthtop_alert_deliveries_total{route=\"%zu\",receiver=\"%s\","
                         "result=\"failure\"} %llu\n",
                         k->pos, kind, (unsigned long long)k->ok, k->pos, kind,
                         (unsigned long long)k->failed);
    }
    rc |= per_route(out, al, "healthtop_alerts_dropped_total", "counter",
                    "Alert notifications dropped because their route's queue was full.", dropped,
                    openmetrics);
    rc |= per_route(out, al, "healthtop_alerts_queued", "gauge",
                    "Alert notifications waiting for their receiver.", queued, openmetrics);
    rc |= per_route(out, al, "healthtop_alert_receiver_failing", "gauge",
                    "1 while a receiver's last deliveries all failed.", failing, openmetrics);
    return rc ? -1 : 0;
}
