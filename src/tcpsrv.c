/* One TCP connection lifecycle on libuv: listen, accept, read into a
 * bounded buffer, idle timeout, close. */
#include "tcpsrv.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void srv_maybe_closed(struct tcpsrv *srv)
{
    if (srv->closing && srv->listener_closed && srv->nconns == 0 && srv->close_cb) {
        tcpsrv_close_cb cb = srv->close_cb;
        srv->close_cb = NULL;
        cb(srv);
    }
}

void tcpsrv_handle_closed(uv_handle_t *h)
{
    struct tcpsrv_conn *c = h->data;
    struct tcpsrv *srv = c->srv;

    if (--c->open_handles > 0)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    if (c->long_lived)
        srv->nlong--;
    if (srv->ops->on_free)
        srv->ops->on_free(c);
    buf_free(&c->in);
    free(c);
    srv_maybe_closed(srv);
}

void tcpsrv_conn_close(struct tcpsrv_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, tcpsrv_handle_closed);
    uv_close((uv_handle_t *)&c->idle, tcpsrv_handle_closed);
    if (c->srv->ops->on_close)
        c->srv->ops->on_close(c);
}

static void conn_on_idle(uv_timer_t *t)
{
    tcpsrv_conn_close(t->data);
}

void tcpsrv_conn_touch(struct tcpsrv_conn *c)
{
    if (c->srv->idle_ms > 0 && !c->closing && !c->long_lived)
        uv_timer_start(&c->idle, conn_on_idle, c->srv->idle_ms, 0);
}

void tcpsrv_conn_long_lived(struct tcpsrv_conn *c)
{
    if (c->long_lived || c->closing)
        return;
    c->long_lived = true;
    c->srv->nlong++;
    uv_timer_stop(&c->idle);
}

static void conn_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct tcpsrv_conn *c = h->data;

    (void)suggested;
    *b = uv_buf_init(c->srv->rbuf, sizeof(c->srv->rbuf));
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct tcpsrv_conn *c = s->data;

    if (c->closing)
        return;
    if (nread < 0) {
        if (nread == UV_EOF && c->srv->ops->on_eof)
            c->srv->ops->on_eof(c);
        else
            tcpsrv_conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->srv->ops->on_data(c, b->base, (size_t)nread);
}

static void srv_on_connection(uv_stream_t *server, int status)
{
    struct tcpsrv *srv = server->data;
    struct tcpsrv_conn *c;

    if (status < 0 || srv->closing)
        return;
    c = xcalloc(1, srv->ops->conn_size);
    c->srv = srv;
    c->open_handles = 2 + srv->ops->extra_handles;
    c->tcp.data = c;
    c->idle.data = c;
    buf_init(&c->in, srv->ops->max_in);
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->idle);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    if (srv->ops->on_init)
        srv->ops->on_init(c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        tcpsrv_conn_close(c);
        return;
    }
    /* Past the bound the connection is taken off the backlog and closed,
     * so that it does not wait there for a turn it will not get. */
    if (srv->max_conns > 0 && srv->nconns - srv->nlong > srv->max_conns) {
        srv->refused++;
        tcpsrv_conn_close(c);
        return;
    }
    if (srv->ops->on_open && !srv->ops->on_open(c)) {
        tcpsrv_conn_close(c);
        return;
    }
    srv->accepted++;
    uv_tcp_nodelay(&c->tcp, 1);
    tcpsrv_conn_touch(c);
    if (uv_read_start((uv_stream_t *)&c->tcp, conn_on_alloc, conn_on_read) != 0)
        tcpsrv_conn_close(c);
}

void tcpsrv_init(struct tcpsrv *srv, uv_loop_t *loop, const struct tcpsrv_ops *ops, void *owner)
{
    memset(srv, 0, sizeof(*srv));
    srv->loop = loop;
    srv->ops = ops;
    srv->owner = owner;
    srv->listener_closed = true;
    srv->listener.data = srv;
}

static void srv_on_listener_closed(uv_handle_t *h)
{
    struct tcpsrv *srv = h->data;

    srv->listener_closed = true;
    srv_maybe_closed(srv);
}

int tcpsrv_listen(struct tcpsrv *srv, const char *host, int port)
{
    struct sockaddr_storage ss, got;
    int len = sizeof(got), rc;

    if (srv->listening || srv->closing || !srv->listener_closed)
        return UV_EALREADY;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return UV_EINVAL;
    if ((rc = uv_tcp_init(srv->loop, &srv->listener)) != 0)
        return rc;
    srv->listener_closed = false;
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, SOMAXCONN, srv_on_connection);
    if (rc == 0)
        rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&got, &len);
    if (rc != 0) {
        uv_close((uv_handle_t *)&srv->listener, srv_on_listener_closed);
        return rc;
    }
    srv->port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                : ((struct sockaddr_in *)&got)->sin_port);
    srv->listening = true;
    return 0;
}

void tcpsrv_close(struct tcpsrv *srv, tcpsrv_close_cb cb)
{
    if (srv->closing)
        return;
    srv->closing = true;
    srv->close_cb = cb;
    if (srv->listening) {
        srv->listening = false;
        uv_close((uv_handle_t *)&srv->listener, srv_on_listener_closed);
    }
    for (struct tcpsrv_conn *c = srv->conns; c; c = c->next)
        tcpsrv_conn_close(c);
    srv_maybe_closed(srv);
}
