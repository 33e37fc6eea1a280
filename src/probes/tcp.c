/* The tcp probe: resolve, connect, close. Healthy when the connection is
 * accepted; the time to connect is both latency and connect time. */
#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/url.h"
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

/* ---- the config: `tcp: host:port`, a list, or {address: ...} ---------- */

static const char *const tcp_keys[] = {"address", NULL};

static int check_addr(struct ydoc *d, yaml_node_t *n, const char *what, const char *v)
{
    char host[256];
    const char *why;
    int port;

    if (url_hostport(v, false, host, sizeof(host), &port, &why) != 0) {
        ydoc_error(d, n, "bad %s '%s': %s", what, v, why);
        return -1;
    }
    return 0;
}

static void parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct tcp_config *t = &s->u.tcp;
    struct ypair *pairs;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        (void)config_str_list(d, p->value, "address", check_addr, &t->addrs, &t->naddrs);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "address") == 0)
            (void)config_str_list(d, pairs[i].value, "address", check_addr, &t->addrs, &t->naddrs);
        else
            ydoc_unknown_key(d, &pairs[i], "tcp", tcp_keys, HT_ARRAY_LEN(tcp_keys) - 1);
    }
    if (t->naddrs == 0 && np > 0 && !d->over_budget)
        ydoc_error(d, p->key, "tcp needs an address: host:port");
    free(pairs);
}

static void free_config(struct svc_config *s)
{
    config_free_list(s->u.tcp.addrs, s->u.tcp.naddrs);
}

static size_t targets(const struct svc_config *s)
{
    return s->u.tcp.naddrs;
}

static void describe(const struct svc_config *s, FILE *f)
{
    fprintf(f, "tcp %s", s->u.tcp.naddrs ? s->u.tcp.addrs[0] : "");
    config_describe_more(f, s->u.tcp.naddrs);
}

/* ---- the probe ---------------------------------------------------------- */

static int start(struct probe *p)
{
    return targets_start(p, p->svc->u.tcp.naddrs, &tcp_target_ops);
}

const struct probe_ops probe_tcp_ops = {
    .kind = PROBE_TCP,
    .name = "tcp",
    .form = "host:port or a list of them",
    .keys = tcp_keys,
    .parse = parse,
    .free_config = free_config,
    .targets = targets,
    .describe = describe,
    .start = start,
    .cancel = targets_cancel,
};
