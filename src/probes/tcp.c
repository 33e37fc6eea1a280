/* The tcp probe: resolve, connect, close. Healthy when the connection is
 * accepted; the time to connect is both latency and connect time. */
#include <string.h>
#include "healthtop/probe.h"
#include "targets.h"

struct tcp_probe {
    uv_tcp_t tcp;
    uv_connect_t req;
    bool open; /* tcp initialised and not yet closing */
};

static void on_closed(uv_handle_t *h)
{
    target_release(h->data);
}

static void tcp_close(struct target *t)
{
    struct tcp_probe *tp = t->state;

    if (!tp->open)
        return;
    tp->open = false;
    uv_close((uv_handle_t *)&tp->tcp, on_closed);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct target *t = req->data;

    if (status == 0) {
        t->connect_us = ht_now_us() - t->started_us;
        t->latency_us = t->connect_us;
        target_pass(t, "connected");
    } else if (status != UV_ECANCELED) {
        target_fail(t, "%s", uv_strerror(status));
    }
    tcp_close(t);
}

static void on_resolved(struct target *t, const struct sockaddr *sa, const char *ip)
{
    struct tcp_probe *tp = t->state;
    int rc;

    (void)ip;
    rc = uv_tcp_init(t->loop, &tp->tcp);
    if (rc != 0) {
        target_fail(t, "%s", uv_strerror(rc));
        return;
    }
    tp->tcp.data = t;
    tp->req.data = t;
    tp->open = true;
    target_hold(t);
    rc = uv_tcp_connect(&tp->req, &tp->tcp, sa, on_connect);
    if (rc != 0) {
        target_fail(t, "%s", uv_strerror(rc));
        tcp_close(t);
    }
}

static void start_target(struct target *t)
{
    const char *addr = target_svc(t)->u.tcp.addrs[t->index];
    char host[256];
    int port;

    if (target_split_hostport(addr, host, sizeof(host), &port) != 0) {
        target_fail(t, "not host:port: %s", addr);
        return;
    }
    target_resolve(t, host, port, on_resolved);
}

static const struct target_ops tcp_target_ops = {
    .state_size = sizeof(struct tcp_probe),
    .start = start_target,
    .abort = tcp_close,
};

static int start(struct probe *p)
{
    return targets_start(p, p->svc->u.tcp.naddrs, &tcp_target_ops);
}

const struct probe_ops probe_tcp_ops = {
    .kind = PROBE_TCP,
    .start = start,
    .cancel = targets_cancel,
};
