/* One TCP connection lifecycle on libuv, shared by the project's small
 * servers (the HTTP server in httpd.c, the demo's RESP server in
 * demo/respd.c): listening on a numeric address, accepting up to a bound
 * of open connections (those past it are accepted and closed at once), a
 * bounded input buffer per connection, an idle timeout, and an
 * asynchronous close whose callback runs once the listener and every
 * connection are gone.
 *
 * A protocol puts struct tcpsrv_conn first in its own connection struct
 * (ops->conn_size bytes are allocated and zeroed), and struct tcpsrv in
 * its server; it hears about bytes, EOF and closing through struct
 * tcpsrv_ops. Handles of its own (a timer) are closed in on_close with
 * tcpsrv_handle_closed as their close callback, so that the connection
 * is freed only when all of its handles are closed.
 *
 * The process must ignore SIGPIPE: a client that leaves mid-answer would
 * otherwise kill it. */
#ifndef HEALTHTOP_TCPSRV_H
#define HEALTHTOP_TCPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "healthtop/buf.h"
#include "healthtop/util.h"

struct tcpsrv;

struct tcpsrv_conn {
    uv_tcp_t tcp;
    uv_timer_t idle; /* closes the connection srv->idle_ms after accept or the last touch */
    struct tcpsrv *srv;
    struct tcpsrv_conn *prev, *next;
    struct buf in;    /* bytes received and not yet handled, bounded by ops->max_in */
    int open_handles; /* freed when the last one is closed */
    bool closing;
    bool long_lived; /* a stream (tcpsrv_conn_long_lived): counted apart */
};

struct tcpsrv_ops {
    size_t conn_size;  /* the protocol's connection struct, tcpsrv_conn first */
    size_t max_in;     /* the input buffer's limit */
    int extra_handles; /* handles the protocol opens in on_open and closes in on_close */
    /* Before accept (may be NULL): initialise the extra handles. */
    void (*on_init)(struct tcpsrv_conn *c);
    /* After accept (may be NULL): false closes the connection at once. */
    bool (*on_open)(struct tcpsrv_conn *c);
    /* n bytes arrived. Bytes alone do not restart the idle timer: the
     * protocol touches the connection when a request is complete, so
     * that a client trickling a request a byte at a time (slowloris)
     * still runs out of time. */
    void (*on_data)(struct tcpsrv_conn *c, const char *p, size_t n);
    /* The client shut its side down; NULL closes the connection. */
    void (*on_eof)(struct tcpsrv_conn *c);
    /* The connection is closing (may be NULL): close the extra handles. */
    void (*on_close)(struct tcpsrv_conn *c);
    /* Everything is closed (may be NULL): free what the protocol owns. */
    void (*on_free)(struct tcpsrv_conn *c);
};

typedef void (*tcpsrv_close_cb)(struct tcpsrv *srv);

struct tcpsrv {
    uv_loop_t *loop;
    uv_tcp_t listener;
    const struct tcpsrv_ops *ops;
    void *owner;               /* the protocol's server */
    int port;                  /* after tcpsrv_listen */
    size_t max_conns;          /* open connections at most; 0 = no bound */
    uint64_t idle_ms;          /* 0 = no idle timeout */
    struct tcpsrv_conn *conns; /* open connections, a doubly linked list */
    size_t nconns;
    size_t nlong;      /* of those, long-lived streams: not counted against max_conns */
    uint64_t accepted; /* connections accepted and served so far */
    uint64_t refused;  /* connections closed at once: over max_conns */
    bool listening, closing, listener_closed;
    tcpsrv_close_cb close_cb;
    char rbuf[16 * 1024]; /* read scratch, shared by the connections */
};

void tcpsrv_init(struct tcpsrv *srv, uv_loop_t *loop, const struct tcpsrv_ops *ops, void *owner);
/* Listens on host, a numeric IPv4 or IPv6 address, and port (0 = a free
 * one). Returns 0 or a negative libuv error (UV_EINVAL: not an address). */
int tcpsrv_listen(struct tcpsrv *srv, const char *host, int port) HT_WUR;
/* Stops listening and closes every connection; cb (may be NULL) runs once
 * everything is closed, from a loop callback (or from inside tcpsrv_close
 * when nothing was ever opened). */
void tcpsrv_close(struct tcpsrv *srv, tcpsrv_close_cb cb);
/* Closes one connection (idempotent). */
void tcpsrv_conn_close(struct tcpsrv_conn *c);
/* Restarts the idle timer: call it when the connection made progress (a
 * whole request arrived, an answer was written). */
void tcpsrv_conn_touch(struct tcpsrv_conn *c);
/* Makes c a long-lived stream (an event stream to a browser): its idle
 * timer stops for good, so an idle stream costs no wake-up at all, and it
 * no longer counts against max_conns (the protocol bounds streams
 * itself, with nlong). */
void tcpsrv_conn_long_lived(struct tcpsrv_conn *c);
/* The close callback of a protocol's extra handles (h->data = the conn). */
void tcpsrv_handle_closed(uv_handle_t *h);

#endif
