/* Server-Sent Events: the streams of /api/v1/events and the one timer
 * that feeds them (sse.h). */
#include "sse.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "healthtop/text.h"

#define SSE_MAX_EVENT (64u * 1024 * 1024) /* one event's bytes at most */

struct sse_stream {
    struct httpd_conn *conn;
    struct sse_hub *hub;
    struct sse_stream *prev, *next;
};

int sse_frame(struct buf *out, uint64_t id, const char *event, const char *data, size_t len)
{
    int rc = buf_printf(out, "id: %llu\nevent: %s\n", (unsigned long long)id, event);

    /* A line break inside data would end the field: each line becomes a
     * data: field of its own, and the browser joins them with \n. */
    for (size_t i = 0;;) {
        size_t j = i;
        while (j < len && data[j] != '\n' && data[j] != '\r')
            j++;
        rc |= buf_append(out, "data: ", 6);
        rc |= buf_append(out, data + i, j - i);
        rc |= buf_append(out, "\n", 1);
        if (j >= len)
            break;
        if (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    rc |= buf_append(out, "\n", 1);
    return rc;
}

static void hub_arm(struct sse_hub *hub);

/* The event every stream is sent now, into out: the changes since the
 * last one and the whole state, doc. */
static int state_event(struct sse_hub *hub, const char *changes, const struct buf *doc,
                       struct buf *out)
{
    struct buf data;
    int rc;

    buf_init(&data, SSE_MAX_EVENT);
    rc = buf_printf(&data, "{\"changes\":[%s],\"state\":", changes);
    rc |= buf_append(&data, doc->data ? doc->data : "", doc->len);
    rc |= buf_append(&data, "}", 1);
    if (rc == 0)
        rc = sse_frame(out, hub->next_id, "state", data.data, data.len);
    buf_free(&data);
    return rc;
}

static void stream_on_close(struct httpd_conn *c, void *ud)
{
    struct sse_stream *st = ud;
    struct sse_hub *hub = st->hub;

    (void)c;
    if (st->prev)
        st->prev->next = st->next;
    else
        hub->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    hub->nstreams--;
    free(st);
    if (hub->timer_open && hub->nstreams == 0)
        uv_timer_stop(&hub->timer);
}

static void broadcast(struct sse_hub *hub, const char *bytes, size_t len)
{
    for (struct sse_stream *st = hub->streams, *next; st; st = next) {
        next = st->next; /* a failed send closes st, and frees it */
        (void)httpd_stream_send(st->conn, bytes, len);
    }
    hub->last_ms = uv_now(hub->timer.loop);
}

/* Sends what is due: an event when a state changed, or when results moved
 * what the page shows (the document differs from the last one sent: a
 * steady stack's stays the same bytes, and then nothing is sent); else a
 * keep-alive comment. */
static void hub_on_timer(uv_timer_t *t)
{
    struct sse_hub *hub = t->data;
    struct buf doc, out;

    buf_init(&doc, SSE_MAX_EVENT);
    buf_init(&out, SSE_MAX_EVENT);
    if (hub->changed || hub->moved) {
        /* Without a state (a reload under way) the event is dropped:
         * sse_reset sends one once the new model is there. */
        bool same;

        if (hub->state(&doc, hub->ud) == 0) {
            same = !hub->changed && doc.len == hub->last_doc.len &&
                   memcmp(doc.data, hub->last_doc.data, doc.len) == 0;
            if (!same &&
                state_event(hub, hub->changes.data ? hub->changes.data : "", &doc, &out) == 0) {
                hub->next_id++;
                broadcast(hub, out.data, out.len);
                hub->events++;
                buf_free(&hub->last_doc);
                hub->last_doc = doc; /* kept, to compare the next one with */
                buf_init(&doc, SSE_MAX_EVENT);
            }
        }
        hub->event_ms = uv_now(hub->timer.loop);
        hub->changed = hub->moved = false;
        buf_reset(&hub->changes);
        hub->nchanges = 0;
    } else {
        broadcast(hub, ": ping\n\n", 8);
    }
    buf_free(&doc);
    buf_free(&out);
    hub_arm(hub);
}

/* Starts the timer for what is due next: a change's event (SSE_CHANGE_MS
 * from now, SSE_GAP_MS after the last event at the soonest), an event
 * for moved results (SSE_ROWS_MS after the last event), or a keep-alive
 * comment (SSE_PING_MS after the last bytes); nothing while no stream is
 * open. An event already due sooner is not put off. */
static void hub_arm(struct sse_hub *hub)
{
    uint64_t now, due;

    if (!hub->timer_open)
        return;
    if (hub->nstreams == 0) {
        uv_timer_stop(&hub->timer);
        return;
    }
    now = uv_now(hub->timer.loop);
    if (hub->changed) {
        due = now + SSE_CHANGE_MS;
        if (due < hub->event_ms + SSE_GAP_MS)
            due = hub->event_ms + SSE_GAP_MS;
    } else if (hub->moved) {
        due = hub->event_ms + SSE_ROWS_MS;
    } else {
        due = hub->last_ms + SSE_PING_MS;
    }
    if ((hub->changed || hub->moved) && uv_is_active((uv_handle_t *)&hub->timer) &&
        now + uv_timer_get_due_in(&hub->timer) <= due)
        return;
    uv_timer_start(&hub->timer, hub_on_timer, due > now ? due - now : 0, 0);
}

void sse_init(struct sse_hub *hub, uv_loop_t *loop, sse_state_fn state, void *ud)
{
    memset(hub, 0, sizeof(*hub));
    uv_timer_init(loop, &hub->timer);
    hub->timer.data = hub;
    hub->timer_open = true;
    hub->state = state;
    hub->ud = ud;
    hub->last_ms = uv_now(loop);
    buf_init(&hub->changes, SSE_MAX_CHANGES * 256);
    buf_init(&hub->last_doc, SSE_MAX_EVENT);
}

void sse_open(struct sse_hub *hub, struct httpd_req *req, const char *headers)
{
    static const char type[] = "text/event-stream; charset=utf-8";
    struct httpd_resp r = {.status = 200, .content_type = type};
    struct sse_stream *st;
    struct buf first, hdrs, doc;
    char line[32];

    if (req->head) {
        httpd_reply(req, &r);
        return;
    }
    if (!hub->timer_open || hub->nstreams >= SSE_MAX_STREAMS) {
        hub->refused++;
        r.status = 503;
        r.content_type = "text/plain";
        r.headers = "Retry-After: 5\r\n";
        r.body = "too many event streams are open\n";
        r.body_len = (size_t)-1;
        httpd_reply(req, &r);
        return;
    }
    buf_init(&first, SSE_MAX_EVENT);
    buf_init(&doc, SSE_MAX_EVENT);
    ht_snprintf(line, sizeof(line), "retry: %d\n\n", SSE_RETRY_MS);
    if (buf_append(&first, line, strlen(line)) != 0 || hub->state(&doc, hub->ud) != 0 ||
        state_event(hub, "", &doc, &first) != 0) {
        buf_free(&doc);
        buf_free(&first);
        httpd_reply_text(req, 503, "the state is not ready: try again\n");
        return;
    }
    buf_free(&doc);
    buf_init(&hdrs, 4096);
    if (buf_printf(&hdrs, "Cache-Control: no-cache\r\n%s", headers ? headers : "") != 0) {
        buf_free(&hdrs);
        buf_free(&first);
        httpd_reply_text(req, 500, "the headers are too long\n");
        return;
    }
    r.headers = hdrs.data;
    st = xcalloc(1, sizeof(*st));
    st->hub = hub;
    st->conn = httpd_stream_start(req, &r, stream_on_close, st);
    buf_free(&hdrs);
    if (st->conn == NULL) {
        free(st);
        buf_free(&first);
        return;
    }
    st->next = hub->streams;
    if (hub->streams)
        hub->streams->prev = st;
    hub->streams = st;
    hub->nstreams++;
    hub->opened++;
    (void)httpd_stream_send(st->conn, first.data, first.len); /* a failure closes it */
    buf_free(&first);
    if (hub->nstreams > 0 && !uv_is_active((uv_handle_t *)&hub->timer))
        hub_arm(hub);
}

void sse_change(struct sse_hub *hub, const char *name, const char *from, const char *to)
{
    if (hub->nstreams == 0)
        return;
    hub->changed = true;
    if (hub->nchanges < SSE_MAX_CHANGES) {
        /* A service name is config text: made safe as everywhere, and
         * JSON-escaped by jansson ('/' too, so "</script>" never shows). */
        char safe[256];
        json_t *o;

        text_safe_str(safe, sizeof(safe), name);
        o = json_pack("{s:s, s:s, s:s}", "name", safe, "from", from, "to", to);
        char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;

        /* Whole or not at all: a change cut by the limit would break the
         * JSON around it. */
        if (text && hub->changes.len + strlen(text) + 1 <= hub->changes.limit &&
            (hub->nchanges == 0 || buf_append(&hub->changes, ",", 1) == 0) &&
            buf_append(&hub->changes, text, strlen(text)) == 0)
            hub->nchanges++;
        free(text);
        json_decref(o);
    }
    hub_arm(hub);
}

void sse_moved(struct sse_hub *hub)
{
    if (hub->nstreams == 0 || hub->moved || hub->changed)
        return;
    hub->moved = true;
    hub_arm(hub);
}

void sse_reset(struct sse_hub *hub)
{
    if (hub->nstreams == 0)
        return;
    hub->changed = true;
    hub_arm(hub);
}

int sse_metrics(const struct sse_hub *hub, struct buf *out, bool openmetrics)
{
    static const char eof[] = "# EOF\n";
    bool had_eof = openmetrics && out->len >= sizeof(eof) - 1 &&
                   memcmp(out->data + out->len - (sizeof(eof) - 1), eof, sizeof(eof) - 1) == 0;
    int rc;

    if (had_eof)
        out->len -= sizeof(eof) - 1;
    rc = buf_printf(out,
                    "# HELP healthtop_event_streams Status page event streams open now.\n"
                    "# TYPE healthtop_event_streams gauge\nhealthtop_event_streams %zu\n",
                    hub->nstreams);
    /* A counter's family is named without _total in OpenMetrics. */
    rc |= buf_printf(out,
                     "# HELP healthtop_event_streams_opened%s Status page event streams opened.\n"
                     "# TYPE healthtop_event_streams_opened%s counter\n"
                     "healthtop_event_streams_opened_total %llu\n",
                     openmetrics ? "" : "_total", openmetrics ? "" : "_total",
                     (unsigned long long)hub->opened);
    rc |= buf_printf(out,
                     "# HELP healthtop_event_streams_refused%s Event streams refused: %d were "
                     "open.\n# TYPE healthtop_event_streams_refused%s counter\n"
                     "healthtop_event_streams_refused_total %llu\n",
                     openmetrics ? "" : "_total", SSE_MAX_STREAMS, openmetrics ? "" : "_total",
                     (unsigned long long)hub->refused);
    if (had_eof)
        rc |= buf_append(out, eof, sizeof(eof) - 1);
    return rc;
}

void sse_close(struct sse_hub *hub)
{
    while (hub->streams)
        httpd_stream_close(hub->streams->conn); /* unlinks it */
    if (hub->timer_open) {
        hub->timer_open = false;
        uv_close((uv_handle_t *)&hub->timer, NULL);
    }
    buf_free(&hub->changes);
    buf_free(&hub->last_doc);
}
