/* Running one probe against several targets (replicas): see targets.h. */
#include "targets.h"

#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"
#include "healthtop/util.h"

struct target_set {
    struct probe *p; /* NULL once reported */
    const struct svc_config *svc;
    const struct target_ops *ops;
    uv_timer_t timer; /* the timeout, then the report */
    size_t n;
    size_t nended;
    int holds; /* sum of the targets' holds */
    bool closing;
    struct target *targets;
};

static void set_closed(uv_handle_t *h)
{
    struct target_set *s = h->data;

    for (size_t i = 0; i < s->n; i++) {
        if (s->ops->free)
            s->ops->free(&s->targets[i]);
        free(s->targets[i].state);
    }
    free(s->targets);
    free(s);
}

/* The set goes once it has reported and nothing is held. Its memory is
 * freed from the timer's close callback, so never under a caller that
 * may still look at a target (a hiredis callback that just released). */
static void set_maybe_free(struct target_set *s)
{
    if (s->p != NULL || s->holds > 0 || s->closing)
        return;
    s->closing = true;
    uv_close((uv_handle_t *)&s->timer, set_closed);
}

/* The probe result: up, found, ok; the latency of the slowest passing
 * target (or of the slowest target when none passed); the message of the
 * only target, or of the first failing one, named, when there are several. */
static void set_fold(struct target_set *s, struct probe *p)
{
    struct probe_result *r = &p->result;
    const struct target *first_bad = NULL;
    int64_t slowest = -1, slowest_any = -1, connect = -1;
    int replicas = p->svc->replicas > 0 ? p->svc->replicas : (int)s->n;
    size_t used = 0;

    r->found = (int)s->n;
    r->up = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct target *t = &s->targets[i];
        if (t->latency_us > slowest_any)
            slowest_any = t->latency_us;
        if (t->ok) {
            r->up++;
            if (t->latency_us > slowest)
                slowest = t->latency_us;
            if (t->connect_us > connect)
                connect = t->connect_us;
        } else if (first_bad == NULL) {
            first_bad = t;
        }
    }
    r->ok = r->up == r->found || (r->up >= replicas && r->up > 0);
    r->starting = !r->ok && first_bad != NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!s->targets[i].ok && !s->targets[i].starting)
            r->starting = false;
    r->latency_us = slowest >= 0 ? slowest : slowest_any;
    r->connect_us = connect;
    if (s->n == 1) {
        ht_strlcpy(r->message, s->targets[0].message, sizeof(r->message));
        ht_strlcpy(r->detail, s->targets[0].detail, sizeof(r->detail));
        return;
    }
    if (first_bad != NULL)
        probe_msg(p, "replica %zu: %s", first_bad->index + 1, first_bad->message);
    else
        probe_msg(p, "%s", s->targets[0].message);
    for (size_t i = 0; i < s->n && used + 1 < sizeof(r->detail); i++) {
        const struct target *t = &s->targets[i];
        char lat[32];
        ht_latency_format(t->latency_us, true, lat, sizeof(lat));
        ht_snprintf(r->detail + used, sizeof(r->detail) - used, "replica %zu: %s (%s)\n", i + 1,
                    t->message, lat);
        used += strlen(r->detail + used);
    }
}

static void set_report(struct target_set *s)
{
    struct probe *p = s->p;

    if (p == NULL)
        return;
    set_fold(s, p);
    s->p = NULL;
    uv_timer_stop(&s->timer);
    probe_done(p);
    set_maybe_free(s);
}

static void on_report(uv_timer_t *timer)
{
    set_report(timer->data);
}

static void set_abort(struct target_set *s, void (*say)(struct target *t))
{
    for (size_t i = 0; i < s->n; i++) {
        struct target *t = &s->targets[i];
        if (!t->ended)
            say(t);
    }
    for (size_t i = 0; i < s->n; i++) {
        struct target *t = &s->targets[i];
        if (t->resolving)
            (void)uv_cancel((uv_req_t *)&t->gai);
        if (t->holds > 0 && s->ops->abort)
            s->ops->abort(t);
    }
}

static void say_timeout(struct target *t)
{
    struct probe *p = t->set->p;

    probe_msg_timeout(p);
    target_fail(t, "%s", p->result.message);
    p->result.message[0] = '\0';
}

static void say_cancelled(struct target *t)
{
    target_fail(t, "cancelled");
}

static void on_timeout(uv_timer_t *timer)
{
    set_abort(timer->data, say_timeout);
}

int targets_start(struct probe *p, size_t n, const struct target_ops *ops)
{
    struct target_set *s;

    if (n == 0) {
        probe_msg(p, "nothing to probe");
        return -1;
    }
    s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->svc = p->svc;
    s->ops = ops;
    s->n = n;
    s->targets = xcalloc(n, sizeof(*s->targets));
    uv_timer_init(p->env->loop, &s->timer);
    s->timer.data = s;
    p->priv = s;
    for (size_t i = 0; i < n; i++) {
        struct target *t = &s->targets[i];
        t->set = s;
        t->index = i;
        t->state = xcalloc(1, ops->state_size ? ops->state_size : 1);
        t->loop = p->env->loop;
        t->timeout_ms = p->svc->timeout_ms;
        t->latency_us = -1;
        t->connect_us = -1;
        t->gai.data = t;
    }
    uv_timer_start(&s->timer, on_timeout,
                   (uint64_t)(p->svc->timeout_ms > 0 ? p->svc->timeout_ms : 1), 0);
    for (size_t i = 0; i < n; i++) {
        struct target *t = &s->targets[i];
        t->started_us = ht_now_us();
        ops->start(t);
    }
    return 0;
}

void targets_cancel(struct probe *p)
{
    struct target_set *s = p->priv;

    if (s == NULL || s->p != p)
        return;
    set_abort(s, say_cancelled);
    set_report(s);
}

const struct svc_config *target_svc(const struct target *t)
{
    return t->set->svc;
}

static void target_end(struct target *t, bool ok, const char *fmt, va_list ap)
{
    struct target_set *s = t->set;

    if (t->ended)
        return;
    t->ended = true;
    t->ok = ok;
    if (vsnprintf(t->message, sizeof(t->message), fmt, ap) < 0)
        t->message[0] = '\0';
    if (t->latency_us < 0)
        t->latency_us = ht_now_us() - t->started_us;
    /* Report from a fresh timer callback: the caller may be deep inside
     * hiredis or libuv with more of its own callbacks to come. */
    if (++s->nended == s->n && s->p != NULL)
        uv_timer_start(&s->timer, on_report, 0, 0);
}

void target_pass(struct target *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    target_end(t, true, fmt, ap);
    va_end(ap);
}

void target_fail(struct target *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    target_end(t, false, fmt, ap);
    va_end(ap);
}

void target_hold(struct target *t)
{
    t->holds++;
    t->set->holds++;
}

void target_release(struct target *t)
{
    t->holds--;
    t->set->holds--;
    set_maybe_free(t->set);
}

/* One address is probed per target: the first IPv4 one when there is
 * one, as hiredis and redis-cli do. "localhost" often lists ::1 first,
 * while services (and Docker's published ports) listen on 127.0.0.1. */
static const struct addrinfo *pick_address(const struct addrinfo *res)
{
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        if (ai->ai_family == AF_INET)
            return ai;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        if (ai->ai_family == AF_INET6)
            return ai;
    return NULL;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct target *t = req->data;
    const struct addrinfo *ai = status == 0 ? pick_address(res) : NULL;
    char ip[INET6_ADDRSTRLEN] = "";

    t->resolving = false;
    if (ai != NULL && ai->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, ip, sizeof(ip));
    else if (ai != NULL)
        uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, ip, sizeof(ip));
    if (!t->ended) {
        if (ip[0] != '\0')
            t->resolved(t, ai->ai_addr, ip);
        else
            target_fail(t, "cannot resolve %s", t->host);
    }
    uv_freeaddrinfo(res);
    target_release(t);
}

void target_resolve(struct target *t, const char *host, int port,
                    void (*cb)(struct target *t, const struct sockaddr *sa, const char *ip))
{
    struct addrinfo hints;
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    char service[16];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    ht_snprintf(service, sizeof(service), "%d", port);
    ht_strlcpy(t->host, host, sizeof(t->host));
    /* "[::1]" as written in a URL: the resolver wants "::1". */
    size_t hl = strlen(t->host);
    if (hl > 2 && t->host[0] == '[' && t->host[hl - 1] == ']') {
        memmove(t->host, t->host + 1, hl - 2);
        t->host[hl - 2] = '\0';
    }
    /* A numeric address needs no lookup: keep it out of the thread pool,
     * where slow DNS lookups could otherwise hold it up. */
    if (uv_ip4_addr(t->host, port, &addr.v4) == 0 || uv_ip6_addr(t->host, port, &addr.v6) == 0) {
        cb(t, &addr.sa, t->host);
        return;
    }
    t->resolved = cb;
    target_hold(t);
    t->resolving = true;
    rc = uv_getaddrinfo(t->loop, &t->gai, on_resolved, t->host, service, &hints);
    if (rc != 0) {
        t->resolving = false;
        target_fail(t, "cannot resolve %s: %s", t->host, uv_strerror(rc));
        target_release(t);
    }
}

int target_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon, *h = s;
    size_t hl;
    char *end;
    long v;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen || !isdigit((unsigned char)colon[1]))
        return -1;
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || v < 1 || v > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

/* Spaces and control characters: trimmed from the ends of a line. */
static bool blankish(char c)
{
    return (unsigned char)c <= 0x20 || c == 0x7f;
}

bool target_first_line(char *dst, size_t n, const char *src, size_t len, size_t max)
{
    const char *p = src, *end = src + len;

    if (n == 0)
        return false;
    dst[0] = '\0';
    if (max > n - 1)
        max = n - 1;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *a = p, *b = eol ? eol : end;

        p = eol ? eol + 1 : end;
        while (a < b && blankish(*a))
            a++;
        while (b > a && blankish(b[-1]))
            b--;
        if (a == b)
            continue;
        /* Tabs read as spaces; then masked, escaped and cut (text.h), so
         * that a secret the line echoes is never half shown. */
        char *line = xmalloc((size_t)(b - a) + 1);
        for (size_t i = 0; i < (size_t)(b - a); i++)
            line[i] = a[i] == '\t' ? ' ' : a[i];
        text_safe(dst, max + 1, line, (size_t)(b - a));
        free(line);
        return true;
    }
    return false;
}

void target_errtext(char *dst, size_t n, const char *src)
{
    size_t word = 0;
    bool caps = true;

    if (!target_first_line(dst, n, src, strlen(src), n))
        return;
    while (dst[word] != '\0' && dst[word] != ' ') {
        if (islower((unsigned char)dst[word]))
            caps = false;
        word++;
    }
    if (!caps || word == 1)
        dst[0] = (char)tolower((unsigned char)dst[0]);
}
