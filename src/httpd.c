/* A small HTTP/1.1 server on libuv: requests, answers and their
 * deliberate misbehaviours, on the connection lifecycle of tcpsrv.c. The
 * request parser is in httpd_parse.c. */
#include "httpd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "healthtop/buf.h"

#define STREAM_CHUNK     (64 * 1024)
#define FOREVER_CHUNK    8192
#define RESET_AFTER_MS   50   /* let the client read the head before the RST */
#define DRAIN_MS         1000 /* lingering close: wait this long for the client's EOF */
#define DEFAULT_DRIP_BPS 10

enum conn_state {
    CONN_READING,   /* waiting for (the rest of) a request */
    CONN_WAITING,   /* an answer is delayed by the timer */
    CONN_WRITING,   /* an answer is being written */
    CONN_HANGING,   /* never answering: only the client's leaving ends it */
    CONN_DRAINING,  /* answered, our side shut down, waiting for the client's EOF */
    CONN_STREAMING, /* a long-lived answer: httpd_stream_send writes its body */
    CONN_CLOSING,
};

struct httpd_conn {
    struct tcpsrv_conn base; /* the socket, idle timer and bounded input buffer */
    uv_timer_t timer;        /* delays, drips, resets, lingering close */
    uv_write_t wreq;         /* one write in flight at a time */
    uv_shutdown_t sreq;
    struct httpd *srv;
    uint64_t skip; /* request body bytes still to discard */
    enum conn_state state;
    bool keep_alive; /* after the answer in progress */
    bool peer_eof;   /* the client shut down its side; close after the answer */
    bool replied;    /* the handler has called httpd_reply */
    /* The answer in progress. */
    enum httpd_mode mode;
    char *out; /* head, plus the body for HTTPD_NORMAL; owned */
    size_t out_len;
    char *body; /* HTTPD_DRIP: the body; STREAM/CHUNKED_FOREVER: filler; owned */
    size_t body_len, body_off;
    uint64_t remaining;                    /* HTTPD_STREAM: filler bytes still to send */
    unsigned drip_ms;                      /* HTTPD_DRIP: one byte every drip_ms */
    httpd_stream_close_cb on_stream_close; /* CONN_STREAMING */
    void *stream_ud;
};

/* One write of a stream; several may be in flight. */
struct stream_write {
    uv_write_t req;
    struct httpd_conn *c;
    char data[];
};

static void conn_process(struct httpd_conn *c);

static void conn_close(struct httpd_conn *c)
{
    tcpsrv_conn_close(&c->base);
}

static void conn_on_init(struct tcpsrv_conn *b)
{
    struct httpd_conn *c = (struct httpd_conn *)b;

    c->srv = b->srv->owner;
    uv_timer_init(b->srv->loop, &c->timer);
    c->timer.data = c;
    c->wreq.data = c;
}

static void conn_on_close(struct tcpsrv_conn *b)
{
    struct httpd_conn *c = (struct httpd_conn *)b;

    httpd_stream_close_cb cb = c->on_stream_close;

    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->timer, tcpsrv_handle_closed);
    c->on_stream_close = NULL;
    if (cb)
        cb(c, c->stream_ud);
}

static void conn_on_free(struct tcpsrv_conn *b)
{
    struct httpd_conn *c = (struct httpd_conn *)b;

    free(c->out);
    free(c->body);
}

/* SO_LINGER with a zero timeout turns close() into a reset (RST): the
 * client sees "connection reset by peer" instead of an orderly end. */
static void conn_reset(struct httpd_conn *c)
{
    uv_os_fd_t fd;
    struct linger l = {.l_onoff = 1, .l_linger = 0};

    if (uv_fileno((uv_handle_t *)&c->base.tcp, &fd) == 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    conn_close(c);
}

static void conn_on_written(uv_write_t *req, int status);
static void conn_on_timer(uv_timer_t *t);

static void conn_write(struct httpd_conn *c, char *data, size_t len)
{
    uv_buf_t b = uv_buf_init(data, (unsigned)len);

    if (uv_write(&c->wreq, (uv_stream_t *)&c->base.tcp, &b, 1, conn_on_written) != 0)
        conn_close(c);
}

static void conn_on_shutdown(uv_shutdown_t *req, int status)
{
    struct httpd_conn *c = req->data;

    if (status < 0 && c->state != CONN_CLOSING)
        conn_close(c);
}

/* Closing right after the answer would reset the connection if the client
 * still has bytes in flight, and the reset can destroy the answer before
 * the client reads it. So shut our side down and wait (a while) for the
 * client's EOF: the "lingering close" of real servers. */
static void conn_finish(struct httpd_conn *c)
{
    if (c->peer_eof) {
        conn_close(c);
        return;
    }
    c->state = CONN_DRAINING;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->base.tcp, conn_on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, conn_on_timer, DRAIN_MS, 0);
}

static void conn_answer_done(struct httpd_conn *c)
{
    free(c->out);
    c->out = NULL;
    free(c->body);
    c->body = NULL;
    c->mode = HTTPD_NORMAL;
    if (!c->keep_alive || c->peer_eof) {
        conn_finish(c);
        return;
    }
    c->state = CONN_READING;
    conn_process(c);
}

static void conn_stream_next(struct httpd_conn *c)
{
    size_t n = c->remaining < STREAM_CHUNK ? (size_t)c->remaining : STREAM_CHUNK;

    if (n == 0) {
        conn_finish(c);
        return;
    }
    c->remaining -= n;
    conn_write(c, c->body, n);
}

static void conn_on_written(uv_write_t *req, int status)
{
    struct httpd_conn *c = req->data;

    if (c->state == CONN_CLOSING)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    tcpsrv_conn_touch(&c->base);
    switch (c->mode) {
    case HTTPD_NORMAL:
        conn_answer_done(c);
        break;
    case HTTPD_GARBAGE:
        conn_finish(c);
        break;
    case HTTPD_RESET:
        uv_timer_start(&c->timer, conn_on_timer, RESET_AFTER_MS, 0);
        break;
    case HTTPD_STREAM:
        conn_stream_next(c);
        break;
    case HTTPD_CHUNKED_FOREVER:
        conn_write(c, c->body, c->body_len);
        break;
    case HTTPD_DRIP:
        if (c->body_off < c->body_len)
            uv_timer_start(&c->timer, conn_on_timer, c->drip_ms, 0);
        else
            conn_answer_done(c);
        break;
    default:
        break;
    }
}

static void conn_start_answer(struct httpd_conn *c)
{
    switch (c->mode) {
    case HTTPD_HANG:
        c->state = CONN_HANGING;
        break;
    case HTTPD_CLOSE:
        conn_close(c);
        break;
    default:
        c->state = CONN_WRITING;
        conn_write(c, c->out, c->out_len);
        break;
    }
}

static void conn_on_timer(uv_timer_t *t)
{
    struct httpd_conn *c = t->data;

    if (c->state == CONN_WAITING)
        conn_start_answer(c);
    else if (c->state == CONN_DRAINING)
        conn_close(c);
    else if (c->mode == HTTPD_RESET)
        conn_reset(c);
    else if (c->mode == HTTPD_DRIP)
        conn_write(c, c->body + c->body_off++, 1);
}

/* The client's EOF while an answer is on its way (a half-close) still
 * gets the answer; in every other state it means the client left. */
static void conn_on_eof(struct tcpsrv_conn *b)
{
    struct httpd_conn *c = (struct httpd_conn *)b;
    bool answering =
        c->state == CONN_WAITING ||
        (c->state == CONN_WRITING && (c->mode == HTTPD_NORMAL || c->mode == HTTPD_DRIP));

    if (answering) {
        c->peer_eof = true;
        uv_read_stop((uv_stream_t *)&c->base.tcp);
    } else {
        conn_close(c);
    }
}

static void conn_on_data(struct tcpsrv_conn *b, const char *p, size_t n)
{
    struct httpd_conn *c = (struct httpd_conn *)b;

    if (c->state == CONN_DRAINING || c->state == CONN_STREAMING)
        return;
    if (c->skip > 0) {
        size_t k = c->skip < n ? (size_t)c->skip : n;
        c->skip -= k;
        p += k;
        n -= k;
    }
    if (n == 0)
        return;
    /* Past the limit the bytes are dropped and in.over is set: the
     * request is then answered 431 (or fails to parse: 400). */
    if (buf_append(&c->base.in, p, n) != 0 && c->state != CONN_READING)
        return;
    if (c->state == CONN_READING)
        conn_process(c);
}

/* Drops the head just handled and as much of its body as has arrived;
 * the rest of the body is skipped as it comes. */
static void conn_consume(struct httpd_conn *c, size_t head, uint64_t body)
{
    size_t avail = c->base.in.len - head;
    size_t take = body < avail ? (size_t)body : avail;
    size_t drop = head + take;

    memmove(c->base.in.data, c->base.in.data + drop, c->base.in.len - drop);
    c->base.in.len -= drop;
    c->base.in.data[c->base.in.len] = '\0';
    c->base.in.over = false;
    c->skip = body - take;
}

static void conn_error(struct httpd_conn *c, int status)
{
    struct httpd_req req = {.conn = c, .keep_alive = false};
    char text[64];

    ht_snprintf(text, sizeof(text), "%d %s\n", status, httpd_reason(status));
    c->replied = false;
    httpd_reply_text(&req, status, text);
    buf_reset(&c->base.in);
}

/* Handles the complete requests in the buffer, one at a time: the next
 * one waits until the answer to this one is written. */
static void conn_process(struct httpd_conn *c)
{
    struct httpd *srv = c->srv;

    while (c->state == CONN_READING && c->base.in.len > 0) {
        struct httpd_req req;
        long head = httpd_parse(c->base.in.data, c->base.in.len, &req);

        if (head == 0) {
            if (c->base.in.over || c->base.in.len >= HTTPD_MAX_HEAD)
                conn_error(c, 431);
            return;
        }
        if (head < 0) {
            conn_error(c, 400);
            return;
        }
        if (req.content_length > HTTPD_MAX_BODY) {
            conn_error(c, 413);
            return;
        }
        req.conn = c;
        c->replied = false;
        srv->requests++;
        tcpsrv_conn_touch(&c->base);
        srv->handler(srv, &req, srv->ud);
        if (!c->replied)
            httpd_reply_text(&req, 500, "the handler gave no answer\n");
        if (c->state == CONN_CLOSING)
            return;
        if (c->state == CONN_STREAMING) {
            /* Nothing more is read from a stream: its buffer goes. */
            buf_free(&c->base.in);
            return;
        }
        conn_consume(c, (size_t)head, req.content_length);
    }
}

enum framing { FRAME_LENGTH, FRAME_CLOSE, FRAME_CHUNKED };

/* 1xx, 204 and 304 answers have no body (RFC 9110 6.4.1). */
static bool status_no_body(int status)
{
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

static int head_build(struct buf *b, const struct httpd_resp *r, enum framing f, size_t len,
                      bool keep_alive)
{
    int status = r->status ? r->status : 200;
    const char *type = r->content_type ? r->content_type : "text/plain";
    int rc =
        buf_printf(b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", status, httpd_reason(status), type);

    if (f == FRAME_LENGTH && !status_no_body(status))
        rc |= buf_printf(b, "Content-Length: %zu\r\n", len);
    else if (f == FRAME_CHUNKED)
        rc |= buf_printf(b, "Transfer-Encoding: chunked\r\n");
    if (r->headers)
        rc |= buf_append(b, r->headers, strlen(r->headers));
    rc |= buf_printf(b, "Connection: %s\r\n\r\n", keep_alive ? "keep-alive" : "close");
    return rc;
}

static char *filler(size_t len, const char *prefix, const char *suffix)
{
    size_t np = strlen(prefix), ns = strlen(suffix);
    char *p = xmalloc(np + len + ns);

    memcpy(p, prefix, np);
    memset(p + np, 'x', len);
    memcpy(p + np + len, suffix, ns);
    return p;
}

/* Prepares c->out (and c->body) for the answer r to req in c->mode. */
static int answer_build(struct httpd_conn *c, const struct httpd_req *req,
                        const struct httpd_resp *r, const char *body, size_t len)
{
    /* An SSH banner: what an HTTP probe pointed at the wrong port reads. */
    static const char garbage[] = "SSH-2.0-OpenSSH_9.2p1\r\nProtocol mismatch.\n";
    size_t claimed = len < 2 ? 1000 : len;
    struct buf out;
    int rc = 0;

    buf_init(&out, 1024 + HTTPD_MAX_HEAD + len + (r->headers ? strlen(r->headers) : 0));
    if (status_no_body(r->status)) {
        body = "";
        len = 0;
    }
    switch (c->mode) {
    case HTTPD_NORMAL:
        rc = head_build(&out, r, FRAME_LENGTH, len, c->keep_alive);
        if (!req->head)
            rc |= buf_append(&out, body, len);
        break;
    case HTTPD_DRIP:
        rc = head_build(&out, r, FRAME_LENGTH, len, c->keep_alive);
        c->body = xmalloc(len + 1);
        memcpy(c->body, body, len);
        c->body_len = req->head ? 0 : len;
        c->drip_ms = 1000 / (r->drip_bps ? r->drip_bps : DEFAULT_DRIP_BPS);
        if (c->drip_ms == 0)
            c->drip_ms = 1;
        break;
    case HTTPD_RESET:
        rc = head_build(&out, r, FRAME_LENGTH, claimed, false);
        rc |= buf_append(&out, body, len < claimed / 2 ? len : claimed / 2);
        break;
    case HTTPD_GARBAGE:
        rc = buf_append(&out, garbage, sizeof(garbage) - 1);
        break;
    case HTTPD_STREAM:
        rc = head_build(&out, r, FRAME_CLOSE, 0, false);
        c->body = filler(STREAM_CHUNK, "", "");
        c->remaining = req->head ? 0 : r->stream_bytes;
        break;
    case HTTPD_CHUNKED_FOREVER:
        rc = head_build(&out, r, FRAME_CHUNKED, 0, false);
        c->body = filler(FOREVER_CHUNK, "2000\r\n", "\r\n");
        c->body_len = FOREVER_CHUNK + 8;
        break;
    default:
        break;
    }
    c->out = out.data;
    c->out_len = out.len;
    return rc;
}

void httpd_reply(struct httpd_req *req, const struct httpd_resp *r)
{
    struct httpd_conn *c = req->conn;
    const char *body = r->body ? r->body : "";
    size_t len = !r->body ? 0 : r->body_len == (size_t)-1 ? strlen(body) : r->body_len;

    if (!c || c->replied)
        return;
    c->replied = true;
    if (c->state == CONN_CLOSING)
        return;
    c->mode = r->mode;
    c->keep_alive = req->keep_alive && (r->mode == HTTPD_NORMAL || r->mode == HTTPD_DRIP);
    if (answer_build(c, req, r, body, len) != 0) {
        conn_close(c);
        return;
    }
    if (r->delay_ms > 0) {
        c->state = CONN_WAITING;
        /* The loop's idea of now is from the start of this turn, which on
         * a busy machine can be milliseconds old: a delay counted from it
         * answered early (a 50 ms /slow took 49.6 ms). */
        uv_update_time(c->timer.loop);
        uv_timer_start(&c->timer, conn_on_timer, r->delay_ms, 0);
    } else {
        conn_start_answer(c);
    }
}

void httpd_reply_text(struct httpd_req *req, int status, const char *text)
{
    struct httpd_resp r = {.status = status, .body = text, .body_len = (size_t)-1};

    httpd_reply(req, &r);
}

static void stream_on_written(uv_write_t *req, int status)
{
    struct stream_write *w = (struct stream_write *)req;
    struct httpd_conn *c = w->c;

    free(w);
    /* UV_ECANCELED: the connection is closing, and c may not outlive
     * this callback by much; nothing to do. */
    if (status < 0 && status != UV_ECANCELED && c->state == CONN_STREAMING)
        conn_close(c);
}

int httpd_stream_send(struct httpd_conn *c, const char *data, size_t len)
{
    uv_stream_t *tcp = (uv_stream_t *)&c->base.tcp;
    struct stream_write *w;
    uv_buf_t b;

    if (c->state != CONN_STREAMING)
        return -1;
    if (uv_stream_get_write_queue_size(tcp) + len > HTTPD_STREAM_MAX_QUEUED) {
        conn_close(c);
        return -1;
    }
    w = xmalloc(sizeof(*w) + len);
    w->c = c;
    memcpy(w->data, data, len);
    b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, tcp, &b, 1, stream_on_written) != 0) {
        free(w);
        conn_close(c);
        return -1;
    }
    return 0;
}

struct httpd_conn *httpd_stream_start(struct httpd_req *req, const struct httpd_resp *r,
                                      httpd_stream_close_cb on_close, void *ud)
{
    struct httpd_conn *c = req->conn;
    struct buf head;
    int rc;

    if (!c || c->replied)
        return NULL;
    c->replied = true;
    if (c->state == CONN_CLOSING)
        return NULL;
    buf_init(&head, 1024 + (r->headers ? strlen(r->headers) : 0));
    rc = head_build(&head, r, FRAME_CLOSE, 0, false);
    c->keep_alive = false;
    c->state = CONN_STREAMING;
    tcpsrv_conn_long_lived(&c->base);
    if (rc != 0 || httpd_stream_send(c, head.data, head.len) != 0) {
        buf_free(&head);
        conn_close(c);
        return NULL;
    }
    buf_free(&head);
    c->on_stream_close = on_close;
    c->stream_ud = ud;
    return c;
}

void httpd_stream_close(struct httpd_conn *c)
{
    conn_close(c);
}

static const struct tcpsrv_ops httpd_ops = {
    .conn_size = sizeof(struct httpd_conn),
    .max_in = HTTPD_MAX_HEAD,
    .extra_handles = 1,
    .on_init = conn_on_init,
    .on_data = conn_on_data,
    .on_eof = conn_on_eof,
    .on_close = conn_on_close,
    .on_free = conn_on_free,
};

void httpd_init(struct httpd *srv, uv_loop_t *loop, httpd_handler handler, void *ud)
{
    memset(srv, 0, sizeof(*srv));
    srv->handler = handler;
    srv->ud = ud;
    tcpsrv_init(&srv->net, loop, &httpd_ops, srv);
}

int httpd_listen(struct httpd *srv, const char *host, int port)
{
    return tcpsrv_listen(&srv->net, host, port);
}

int httpd_port(const struct httpd *srv)
{
    return srv->net.port;
}

static void srv_on_closed(struct tcpsrv *net)
{
    struct httpd *srv = net->owner;
    httpd_close_cb cb = srv->close_cb;

    srv->close_cb = NULL;
    if (cb)
        cb(srv);
}

void httpd_close(struct httpd *srv, httpd_close_cb cb)
{
    if (srv->net.closing)
        return;
    srv->close_cb = cb;
    tcpsrv_close(&srv->net, srv_on_closed);
}
