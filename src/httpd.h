/* A small HTTP/1.1 server on libuv, embeddable in any loop: it serves
 * --listen's endpoints (listen.c), the --demo stack inside the healthtop
 * process, the test fixtures, and the benchmarks' thousands of delayed
 * targets. Connections (accept, bounds, idle timeout, close) are tcpsrv's.
 *
 * One struct httpd is one listening socket. Each request is handed to the
 * handler, which must answer it before returning, with httpd_reply() (the
 * answer itself may be delayed, dripped, streamed, or misbehave on
 * purpose: see enum httpd_mode); a handler that does not answer gets a
 * 500 sent for it. Requests on one connection are answered in order. Keep-alive is the HTTP/1.1
 * default; requests are read into a bounded buffer (431 and close when a request head does not
 * fit); request bodies are read and discarded.
 *
 * The process must ignore SIGPIPE: a client that leaves mid-response
 * would otherwise kill it. */
#ifndef HEALTHTOP_HTTPD_H
#define HEALTHTOP_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "healthtop/util.h"
#include "tcpsrv.h"

#define HTTPD_MAX_HEAD    8192          /* request line + headers */
#define HTTPD_MAX_BODY    (1024 * 1024) /* request bodies over this: 413 */
#define HTTPD_MAX_HEADERS 32
/* A stream whose client reads less than it is sent: past this many bytes
 * queued and unsent, the connection is closed. */
#define HTTPD_STREAM_MAX_QUEUED (1024 * 1024)

struct httpd;
struct httpd_conn;

struct httpd_header {
    const char *name; /* as sent; compare with strcasecmp */
    const char *value;
};

/* A parsed request. The strings live in the connection's buffer and are
 * valid only during the handler call. */
struct httpd_req {
    struct httpd_conn *conn; /* NULL when parsed by httpd_parse() alone */
    const char *method;
    const char *path;  /* the target without its query: "/slow" */
    const char *query; /* after '?', or "" */
    int minor;         /* HTTP/1.minor */
    bool keep_alive;   /* the connection stays open after the answer */
    bool head;         /* method HEAD: headers only */
    uint64_t content_length;
    struct httpd_header headers[HTTPD_MAX_HEADERS];
    size_t nheaders;
};

enum httpd_mode {
    HTTPD_NORMAL,          /* status, headers, body */
    HTTPD_HANG,            /* never answer; the connection stays until the client leaves */
    HTTPD_DRIP,            /* announce body_len, then send it drip_bps bytes a second */
    HTTPD_RESET,           /* send the head and half the body, then reset (RST) */
    HTTPD_CLOSE,           /* close without a word */
    HTTPD_GARBAGE,         /* answer bytes that are not HTTP, then close */
    HTTPD_STREAM,          /* stream_bytes of filler without Content-Length, then close */
    HTTPD_CHUNKED_FOREVER, /* an endless chunked body */
};

struct httpd_resp {
    int status;               /* default 200 */
    const char *content_type; /* default "text/plain" */
    const char *headers;      /* extra lines, each ending "\r\n", or NULL */
    const char *body;         /* copied; NULL = empty */
    size_t body_len;          /* (size_t)-1 = strlen(body) */
    enum httpd_mode mode;
    uint64_t delay_ms;     /* wait this long before answering (any mode) */
    uint64_t stream_bytes; /* HTTPD_STREAM */
    unsigned drip_bps;     /* HTTPD_DRIP; default 10 */
};

typedef void (*httpd_handler)(struct httpd *srv, struct httpd_req *req, void *ud);
typedef void (*httpd_close_cb)(struct httpd *srv);

struct httpd {
    struct tcpsrv net; /* listener and connections: net.port, net.nconns, net.accepted */
    httpd_handler handler;
    void *ud;
    uint64_t requests; /* requests handled so far */
    httpd_close_cb close_cb;
};

/* Sets srv up; nothing is open until httpd_listen. srv->net.max_conns and
 * srv->net.idle_ms may be set before it (both default to no bound). */
void httpd_init(struct httpd *srv, uv_loop_t *loop, httpd_handler handler, void *ud);
/* Listens on host, a numeric address ("127.0.0.1", "::1", "0.0.0.0"),
 * and port (0 = a free one). Returns 0 or a negative libuv error code
 * (UV_EINVAL for a host that is not an address). */
int httpd_listen(struct httpd *srv, const char *host, int port) HT_WUR;
int httpd_port(const struct httpd *srv);
/* Stops listening and closes every connection; cb (may be NULL) runs
 * once everything is closed, from a loop callback (or from inside
 * httpd_close when nothing was ever opened). srv may then be freed or
 * initialised again. */
void httpd_close(struct httpd *srv, httpd_close_cb cb);

/* Answers req (exactly once, from inside the handler). */
void httpd_reply(struct httpd_req *req, const struct httpd_resp *resp);
/* Shorthand: a text answer with this status. */
void httpd_reply_text(struct httpd_req *req, int status, const char *text);

/* Long-lived answers (the event stream of sse.c). httpd_stream_start
 * answers req (from inside the handler, instead of httpd_reply) with r's
 * status, content type and headers, without a length: the body is what
 * httpd_stream_send writes, until either side closes the connection. The
 * connection leaves the idle timeout and the max_conns bound
 * (tcpsrv_conn_long_lived: the caller bounds its streams itself), and
 * what the client sends from then on is dropped. on_close(c, ud) runs
 * once, when the connection closes for whatever reason. Returns the
 * connection, or NULL when it is already closing (on_close never runs).
 * A HEAD request is answered with httpd_reply instead. */
typedef void (*httpd_stream_close_cb)(struct httpd_conn *c, void *ud);
struct httpd_conn *httpd_stream_start(struct httpd_req *req, const struct httpd_resp *r,
                                      httpd_stream_close_cb on_close, void *ud) HT_WUR;
/* Queues len bytes of the stream (copied). A client that reads too slowly
 * is dropped: past HTTPD_STREAM_MAX_QUEUED bytes waiting, the connection
 * is closed. Returns 0, or -1 when the connection is closed or closing. */
int httpd_stream_send(struct httpd_conn *c, const char *data, size_t len);
/* Closes a stream (on_close runs). */
void httpd_stream_close(struct httpd_conn *c);

/* The value of header name (case-insensitive), or NULL. */
const char *httpd_header(const struct httpd_req *req, const char *name);
/* Copies the percent-decoded value of query parameter key to out. Returns
 * false when the parameter is absent. */
bool httpd_query(const struct httpd_req *req, const char *key, char *out, size_t n);

/* Parses a request head in data[0..len) in place (NULs are written into
 * it). Returns the length of the head including the blank line, 0 when
 * the head is not complete yet, or -1 when it is malformed. */
long httpd_parse(char *data, size_t len, struct httpd_req *req) HT_WUR;
/* "OK", "Not Found", ... ("Unknown" for codes it does not know). */
const char *httpd_reason(int status);

#endif
