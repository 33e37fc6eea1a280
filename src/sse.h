/* Server-Sent Events for --listen's /api/v1/events: the long-lived
 * connections of the status page, each told the model's state as it
 * changes.
 *
 * A hub holds the open streams (at most SSE_MAX_STREAMS, bounded apart
 * from the server's ordinary connections, which they do not count
 * against) and one timer for all of them, never one per stream: an idle
 * stream costs a socket and a few KiB, and the timer runs only
 * while there is something to send or a keep-alive comment is due.
 *
 * What a stream receives, in the text/event-stream format:
 *
 *   retry: SSE_RETRY_MS       once, first: how soon the browser reconnects
 *   id: N                     every event is numbered
 *   event: state
 *   data: {"changes": [...], "state": {...}}
 *
 * at once when it opens (changes empty), SSE_CHANGE_MS after a state
 * change (the changes since the last event, each {"name", "from", "to"};
 * never sooner than SSE_GAP_MS after the last event, so that a flapping
 * fleet costs at most a few documents a second),
 * and at most every SSE_ROWS_MS while results move the rest (latency,
 * sparkline, message): only when the document differs from the last one
 * sent, so that a steady stack's streams get an event only when the
 * sparklines move on to a new slice of time. A ": ping" comment goes out after SSE_PING_MS of
 * silence, so that proxies keep the connection. Every event carries the
 * whole state: a browser that reconnects, or missed an event, is whole
 * again with the next one. */
#ifndef HEALTHTOP_SSE_H
#define HEALTHTOP_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "healthtop/buf.h"
#include "httpd.h"

#define SSE_MAX_STREAMS 256
#define SSE_RETRY_MS    2000
#define SSE_CHANGE_MS   50    /* a burst of changes goes out as one event */
#define SSE_GAP_MS      250   /* events at most this often, whatever changes */
#define SSE_ROWS_MS     5000  /* results that change no state: at most this often */
#define SSE_PING_MS     20000 /* a keep-alive comment after this much silence */
#define SSE_MAX_CHANGES 64    /* changes kept for one event; more are summed up */

struct sse_stream;

/* Writes the state document (compact JSON, one line) into out; returns 0,
 * or -1 when there is none to send (the model is being reloaded). */
typedef int (*sse_state_fn)(struct buf *out, void *ud);

struct sse_hub {
    uv_timer_t timer;
    bool timer_open;
    sse_state_fn state;
    void *ud;
    struct sse_stream *streams; /* open streams, a doubly linked list */
    size_t nstreams;
    uint64_t opened;  /* streams opened so far */
    uint64_t refused; /* streams refused: SSE_MAX_STREAMS were open */
    uint64_t events;  /* events sent (to all streams: one each) */
    uint64_t next_id;
    struct buf changes; /* the changes not yet sent, as JSON objects joined by ',' */
    size_t nchanges;
    bool changed;        /* a state changed since the last event */
    bool moved;          /* a result came since the last event */
    struct buf last_doc; /* the state document of the last event */
    uint64_t last_ms;    /* loop time of the last event or ping */
    uint64_t event_ms;   /* loop time of the last event */
};

/* Sets hub up on loop; state builds the document (with ud). */
void sse_init(struct sse_hub *hub, uv_loop_t *loop, sse_state_fn state, void *ud);
/* Answers req with a new stream and sends it the state at once, or 503
 * when SSE_MAX_STREAMS are open (and 200 headers only for HEAD). */
void sse_open(struct sse_hub *hub, struct httpd_req *req, const char *headers);
/* A service changed state (names as health_state_name gives them): an
 * event goes out SSE_CHANGE_MS from now. */
void sse_change(struct sse_hub *hub, const char *name, const char *from, const char *to);
/* A result that changed no state: an event goes out within SSE_ROWS_MS. */
void sse_moved(struct sse_hub *hub);
/* The model was replaced (a reload): an event goes out as for a change. */
void sse_reset(struct sse_hub *hub);
/* Appends the streams' families to a /metrics exposition (before its
 * "# EOF" in OpenMetrics): healthtop_event_streams (open now),
 * healthtop_event_streams_opened_total and
 * healthtop_event_streams_refused_total. Returns 0 or -1 (out's limit). */
int sse_metrics(const struct sse_hub *hub, struct buf *out, bool openmetrics) HT_WUR;
/* Closes every stream and the timer (asynchronously, with the loop). */
void sse_close(struct sse_hub *hub);

/* Appends one event to out: "id: N\nevent: NAME\ndata: DATA\n\n", DATA
 * split into one data: line per line it holds (a lone \r counts as a line
 * break, as the format has it). Returns 0, or -1 when out's limit was
 * reached. */
int sse_frame(struct buf *out, uint64_t id, const char *event, const char *data, size_t len) HT_WUR;

#endif
