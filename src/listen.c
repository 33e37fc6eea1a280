/* --listen: the endpoints, their authentication and the probe counters,
 * on the HTTP server of httpd.c. */
#include "healthtop/listen.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "httpd.h"
#include "metrics.h"
#include "sse.h"
#include "statuspage.h"

#define MAX_EXPOSITION (256u * 1024 * 1024) /* a /metrics answer at most */
#define MAX_PAGE       (64u * 1024 * 1024)  /* a status page at most */
#define MAX_STATE      (64u * 1024 * 1024)  /* a state document at most */

struct listener {
    struct listen_spec spec;
    char *bearer; /* owned copy, or NULL */
    char *basic;  /* base64 of "user:password", unpadded, or NULL */
    struct httpd srv;
    bool started;
    struct scheduler *sched; /* the model served; NULL while reloading */
    struct metrics m;
    /* The exposition, kept from one scrape to the next: 12 MB for 5,000
     * services, whose pages a fresh buffer faulted in again on every
     * scrape (5 ms of the kernel's). */
    struct buf exposition;
    struct sse_hub events;       /* the streams of /api/v1/events, once started */
    struct statuspage_memo memo; /* what the status page showed last */
};

bool listen_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

int listen_parse(const char *s, struct listen_spec *spec, const char **why)
{
    const char *colon = strrchr(s, ':'), *port = s;
    char host[sizeof(spec->host)];
    size_t hl = 0;
    char *end;
    long p;

    ht_strlcpy(host, LISTEN_DEFAULT_HOST, sizeof(host));
    if (colon) {
        const char *h = s;
        hl = (size_t)(colon - s);
        if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
            h++;
            hl -= 2;
        } else if (memchr(s, ':', hl)) {
            *why = "write an IPv6 address in brackets: [::1]:9464";
            return -1;
        }
        if (hl == 0 || hl >= sizeof(host)) {
            *why = "the address before ':' is empty or too long";
            return -1;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
        port = colon + 1;
        if (strcmp(host, "localhost") == 0)
            ht_strlcpy(host, LISTEN_DEFAULT_HOST, sizeof(host));
    }
    p = strtol(port, &end, 10);
    if (end == port || *end != '\0' || p < 0 || p > 65535) {
        *why = "the port must be a number from 0 to 65535 ([ADDR:]PORT)";
        return -1;
    }
    {
        unsigned char tmp[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1) {
            *why = "the address must be numeric (127.0.0.1, 0.0.0.0, [::1]) or localhost";
            return -1;
        }
    }
    ht_strlcpy(spec->host, host, sizeof(spec->host));
    spec->port = (int)p;
    return 0;
}

/* Compares what the client sent with the secret in a time that depends
 * on the secret's length only, never on where the first difference is:
 * a timing probe learns nothing about the token's bytes. */
static bool equal_const_time(const char *got, size_t ngot, const char *want, size_t nwant)
{
    volatile unsigned char diff = ngot != nwant;

    for (size_t i = 0; i < nwant; i++)
        diff |= (unsigned char)((i < ngot ? got[i] : 0) ^ want[i]);
    return diff == 0;
}

/* The credentials after scheme ("Bearer", "Basic") in the Authorization
 * header, with their length (a Basic value's '=' padding left out), or
 * NULL when the header is absent or names another scheme. */
static const char *credentials(const struct httpd_req *req, const char *scheme, size_t *n)
{
    const char *v = httpd_header(req, "Authorization");
    size_t k = strlen(scheme);

    if (v == NULL || strncasecmp(v, scheme, k) != 0 || v[k] != ' ')
        return NULL;
    v += k;
    while (*v == ' ')
        v++;
    *n = strlen(v);
    while (*n > 0 && v[*n - 1] == '=')
        (*n)--;
    return v;
}

static bool authorized(const struct listener *l, const struct httpd_req *req)
{
    const char *v;
    size_t n;

    if (l->bearer)
        return (v = credentials(req, "Bearer", &n)) != NULL &&
               equal_const_time(v, strlen(v), l->bearer, strlen(l->bearer));
    if (l->basic)
        return (v = credentials(req, "Basic", &n)) != NULL &&
               equal_const_time(v, n, l->basic, strlen(l->basic));
    return true;
}

static void reply(struct httpd_req *req, int status, const char *type, const char *headers,
                  const char *body, size_t len)
{
    struct httpd_resp r = {
        .status = status, .content_type = type, .headers = headers, .body = body, .body_len = len};
    httpd_reply(req, &r);
}

static void serve_metrics(struct listener *l, struct httpd_req *req)
{
    const char *accept = httpd_header(req, "Accept");
    bool om = accept && strstr(accept, "application/openmetrics-text") != NULL;
    struct buf *out = &l->exposition;

    if (out->limit == 0)
        buf_init(out, MAX_EXPOSITION);
    buf_reset(out);
    if (metrics_write(out, l->sched, &l->m, om) != 0 || sse_metrics(&l->events, out, om) != 0)
        httpd_reply_text(req, 500, "the exposition is too large\n");
    else
        reply(req, 200, om ? METRICS_TYPE_OPENMETRICS : METRICS_TYPE_TEXT, NULL,
              out->data ? out->data : "", out->len);
}

static void serve_state(struct listener *l, struct httpd_req *req)
{
    struct buf out;

    buf_init(&out, MAX_STATE);
    /* Ended by a newline, as --once --json prints it. */
    if (report_json_write(&out, l->sched, false) != 0 || buf_append(&out, "\n", 1) != 0)
        httpd_reply_text(req, 500, "the state document could not be made\n");
    else
        reply(req, 200, "application/json", NULL, out.data, out.len);
    buf_free(&out);
}

static void serve_page(struct listener *l, struct httpd_req *req)
{
    char nonce[STATUSPAGE_NONCE_MAX], headers[768];
    struct buf out;

    statuspage_nonce(nonce);
    statuspage_headers(headers, sizeof(headers), nonce);
    buf_init(&out, MAX_PAGE);
    if (statuspage_html(&out, l->sched, &l->memo, nonce) != 0)
        httpd_reply_text(req, 500, "the page is too large\n");
    else
        reply(req, 200, "text/html; charset=utf-8", headers, out.data ? out.data : "", out.len);
    buf_free(&out);
}

/* The state document of the status page's events: none while reloading. */
static int events_state(struct buf *out, void *ud)
{
    struct listener *l = ud;

    return l->sched ? statuspage_json(out, l->sched, &l->memo) : -1;
}

/* Ready while the stack serves: overall healthy or degraded (slow but
 * correct); starting, unknown and unhealthy are 503. */
static void serve_ready(struct listener *l, struct httpd_req *req)
{
    enum health_state st = sched_overall(l->sched);
    char text[64];
    bool ok = st == HEALTH_HEALTHY || st == HEALTH_DEGRADED;

    ht_snprintf(text, sizeof(text), "%s\n", health_state_name(st));
    httpd_reply_text(req, ok ? 200 : 503, text);
}

static void on_request(struct httpd *srv, struct httpd_req *req, void *ud)
{
    struct listener *l = ud;

    (void)srv;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        reply(req, 405, "text/plain", "Allow: GET, HEAD\r\n", "only GET and HEAD\n", (size_t)-1);
    } else if (strcmp(req->path, "/healthz") == 0) {
        httpd_reply_text(req, 200, "ok\n");
    } else if (!authorized(l, req)) {
        reply(req, 401, "text/plain",
              l->basic ? "WWW-Authenticate: Basic realm=\"healthtop\"\r\n"
                       : "WWW-Authenticate: Bearer realm=\"healthtop\"\r\n",
              "valid credentials are needed\n", (size_t)-1);
    } else if (strcmp(req->path, "/metrics") != 0 && strcmp(req->path, "/readyz") != 0 &&
               strcmp(req->path, "/api/v1/state") != 0 && strcmp(req->path, "/") != 0 &&
               strcmp(req->path, "/api/v1/events") != 0) {
        httpd_reply_text(req, 404,
                         "not found: try /, /metrics, /healthz, /readyz, /api/v1/state, "
                         "/api/v1/events\n");
    } else if (l->sched == NULL) {
        httpd_reply_text(req, 503, "reloading the config\n");
    } else if (strcmp(req->path, "/") == 0) {
        serve_page(l, req);
    } else if (strcmp(req->path, "/api/v1/events") == 0) {
        sse_open(&l->events, req, "X-Content-Type-Options: nosniff\r\n");
    } else if (strcmp(req->path, "/metrics") == 0) {
        serve_metrics(l, req);
    } else if (strcmp(req->path, "/readyz") == 0) {
        serve_ready(l, req);
    } else {
        serve_state(l, req);
    }
}

void listener_set_auth(struct listener *l, const char *bearer, const char *user,
                       const char *password)
{
    free(l->bearer);
    free(l->basic);
    l->bearer = bearer && bearer[0] ? xstrdup(bearer) : NULL;
    l->basic = NULL;
    if (user && password) {
        size_t n = strlen(user) + strlen(password) + 2;
        char *pair = xmalloc(n);

        ht_snprintf(pair, n, "%s:%s", user, password);
        l->basic = secret_base64(pair, strlen(pair));
        free(pair);
    }
}

struct listener *listener_new(const struct listen_spec *spec)
{
    struct listener *l = xcalloc(1, sizeof(*l));

    l->spec = *spec;
    listener_set_auth(l, spec->bearer, spec->user, spec->password);
    l->spec.bearer = l->spec.user = l->spec.password = NULL; /* kept in l's own copies */
    return l;
}

void listener_set_alerts(struct listener *l, const struct alerts *al)
{
    l->m.alerts = al;
}

int listener_start(struct listener *l, void *uv_loop, char *err, size_t n)
{
    int rc;

    if (l->started)
        return 0;
    if (!l->spec.public && !listen_is_loopback(l->spec.host)) {
        ht_snprintf(err, n,
                    "--listen %s: not a loopback address; serving other hosts needs "
                    "--listen-public (or listen_public: true in the config)",
                    l->spec.host);
        return -1;
    }
    httpd_init(&l->srv, uv_loop, on_request, l);
    l->srv.net.max_conns = LISTEN_MAX_CONNS;
    l->srv.net.idle_ms = LISTEN_IDLE_MS;
    if ((rc = httpd_listen(&l->srv, l->spec.host, l->spec.port)) != 0) {
        ht_snprintf(err, n, "--listen %s:%d: %s", l->spec.host, l->spec.port, uv_strerror(rc));
        httpd_close(&l->srv, NULL);
        return -1;
    }
    sse_init(&l->events, uv_loop, events_state, l);
    l->started = true;
    return 0;
}

int listener_port(const struct listener *l)
{
    return httpd_port(&l->srv);
}

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct listener *l = ud;

    if (l->sched != s)
        return;
    metrics_observe(&l->m, svc->idx, &svc->last);
    if (changed)
        sse_change(&l->events, svc->cfg->name, health_state_name(old),
                   health_state_name(svc->health.state));
    else
        sse_moved(&l->events);
}

void listener_attach(struct listener *l, struct scheduler *s)
{
    l->sched = s;
    if (s) {
        metrics_reset(&l->m, s->nsvcs);
        statuspage_memo_reset(&l->memo, s->nsvcs);
        sched_observe(s, on_result, l);
        if (l->started)
            sse_reset(&l->events); /* the pages learn the new config's services */
    }
}

void listener_stop(struct listener *l)
{
    l->sched = NULL;
    if (l->started) {
        sse_close(&l->events);
        httpd_close(&l->srv, NULL);
    }
    l->started = false;
}

void listener_free(struct listener *l)
{
    if (l == NULL)
        return;
    metrics_free(&l->m);
    buf_free(&l->exposition);
    statuspage_memo_free(&l->memo);
    free(l->bearer);
    free(l->basic);
    free(l);
}

int listener_hook_setup(struct scheduler *s, void *ud)
{
    struct listener *l = ud;
    char err[256];

    if (listener_start(l, s->loop, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop: %s\n", err);
        return -1;
    }
    listener_attach(l, s);
    return 0;
}

void listener_hook_close(struct scheduler *s, void *ud)
{
    (void)s;
    listener_stop(ud);
}
