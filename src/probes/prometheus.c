/* The prometheus probe: one instant query (GET /api/v1/query) per probe,
 * a libcurl transfer run on the libuv loop by curl_uv, its answer kept in
 * a bounded buffer (max_body) and turned into a result by prom_map
 * (prometheus_map.c). The series of the result are the row's replicas;
 * with rows_by, prom_map_rows (prometheus_rows.c) makes rows of them,
 * which the scheduler shows as services of their own (sched_rows.c).
 *
 * One curl_uv per loop (struct prom_env), so that the connection to the
 * server is kept between probes. The probe enforces the service's timeout
 * through curl, and asks Prometheus to give up at the same moment
 * (&timeout=), so a slow query costs the server no more than the probe
 * waits. */
#include "healthtop/probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"
#include "healthtop/secret.h"
#include "healthtop/text.h"
#include "probes/curl_uv.h"
#include "probes/http_check.h"
#include "probes/prometheus.h"

struct prom_env {
    struct curl_uv *cu;
    struct prom_probe *probes; /* in flight */
    struct prom_room *room;    /* for rows_by answers, mapped one at a time */
};

struct prom_probe {
    struct probe *p;
    struct prom_env *env;
    struct prom_probe *prev, *next;
    struct curl_uv_xfer x;
    struct curl_slist *headers;
    struct buf body; /* the answer, up to max_body */
    char errbuf[CURL_ERROR_SIZE];
    char *url; /* the whole query URL: may hold a password */
};

static const struct prometheus_config *cfg_of(const struct prom_probe *pp)
{
    return prom_config(pp->p->svc);
}

static int64_t timeout_of(const struct probe *p)
{
    return p->svc->timeout_ms > 0 ? p->svc->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct prom_probe *pp = ud;
    size_t n = size * nmemb;

    /* A short count aborts the transfer: the answer is over max_body. */
    return buf_append(&pp->body, data, n) == 0 ? n : 0;
}

static void pp_free(struct prom_probe *pp)
{
    struct prom_env *env = pp->env;

    if (pp->x.easy) {
        curl_uv_remove(env->cu, &pp->x);
        curl_easy_cleanup(pp->x.easy);
    }
    if (pp->prev)
        pp->prev->next = pp->next;
    else if (env->probes == pp)
        env->probes = pp->next;
    if (pp->next)
        pp->next->prev = pp->prev;
    curl_slist_free_all(pp->headers);
    buf_free(&pp->body);
    free(pp->url);
    free(pp);
}

/* A transfer that failed, in a few words. */
static void transfer_error(struct prom_probe *pp, CURLcode code)
{
    struct probe *p = pp->p;
    long oserr = 0;
    char size[32];

    curl_easy_getinfo(pp->x.easy, CURLINFO_OS_ERRNO, &oserr);
    if (pp->x.sock_errno != 0)
        oserr = pp->x.sock_errno;
    if (pp->body.over || code == CURLE_FILESIZE_EXCEEDED || code == CURLE_WRITE_ERROR) {
        http_size_format(cfg_of(pp)->max_body, size, sizeof(size));
        probe_msg(p, "answer over %s (max_body): refused", size);
    } else if (code == CURLE_OPERATION_TIMEDOUT)
        probe_msg_timeout(p);
    else if (code == CURLE_COULDNT_CONNECT)
        probe_msg(p, "%s", oserr == ECONNREFUSED ? "connection refused" : "cannot connect");
    else if (code == CURLE_COULDNT_RESOLVE_HOST)
        probe_msg(p, "cannot resolve the Prometheus host");
    else if (code == CURLE_PEER_FAILED_VERIFICATION)
        probe_msg(p, "TLS: certificate verify failed");
    else
        probe_msg(p, "%s", curl_easy_strerror(code));
}

/* "GET http://host:9090/api/v1/query\nquery: ...\n" in front of what the
 * mapping put in the detail. */
static void detail_prefix(struct prom_probe *pp)
{
    const struct prometheus_config *c = cfg_of(pp);
    struct probe_result *r = &pp->p->result;
    char url[256], query[192], rest[PROBE_DETAIL_MAX];

    secret_redact_url(c->url, url, sizeof(url));
    text_safe_str(query, sizeof(query), c->query);
    ht_strlcpy(rest, r->detail, sizeof(rest));
    ht_snprintf(r->detail, sizeof(r->detail), "GET %s/api/v1/query\nquery: %s%s%s%s", url, query,
                rest[0] ? "\n" : "", rest,
                c->insecure ? "\ninsecure: TLS certificate not verified" : "");
}

static void on_done(struct curl_uv_xfer *x, CURLcode code)
{
    struct prom_probe *pp = x->data;
    struct probe *p = pp->p;
    struct probe_result *r = &p->result;
    curl_off_t total = -1, connect = -1;
    long status = 0;

    if (curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK)
        r->latency_us = total;
    if (curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect) == CURLE_OK)
        r->connect_us = connect;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || pp->body.over) {
        transfer_error(pp, code);
        text_safe_str(r->detail, sizeof(r->detail), pp->errbuf);
    } else if (cfg_of(pp)->rows_by != NULL) {
        prom_map_rows(pp->body.data ? pp->body.data : "", pp->body.len, status, cfg_of(pp), r,
                      &p->rows, pp->env->room);
    } else {
        prom_map(pp->body.data ? pp->body.data : "", pp->body.len, status, cfg_of(pp),
                 p->svc->replicas, r);
    }
    detail_prefix(pp);
    pp_free(pp);
    probe_done(p);
}

/* The query URL: base + /api/v1/query?query=...&timeout=...ms. */
static char *query_url(CURL *e, const struct prometheus_config *c, int64_t timeout_ms)
{
    char *q = curl_easy_escape(e, c->query, 0);
    size_t n;
    char *url;

    if (q == NULL)
        return NULL;
    n = strlen(c->url) + strlen(q) + 64;
    url = xmalloc(n);
    ht_snprintf(url, n, "%s/api/v1/query?query=%s&timeout=%lldms", c->url, q,
                (long long)timeout_ms);
    curl_free(q);
    return url;
}

static struct curl_slist *header_list(const struct prometheus_config *c)
{
    struct curl_slist *l = NULL, *n;
    char line[1024];

    for (size_t i = 0; i <= c->nheaders; i++) {
        if (i < c->nheaders)
            ht_snprintf(line, sizeof(line), "%s: %s", c->headers[i].key, c->headers[i].value);
        else if (c->bearer && c->bearer[0] != '\0')
            ht_snprintf(line, sizeof(line), "Authorization: Bearer %s", c->bearer);
        else
            break;
        n = curl_slist_append(l, line);
        if (n)
            l = n;
    }
    return l;
}

static int set_options(struct prom_probe *pp, int64_t timeout_ms)
{
    const struct prometheus_config *c = cfg_of(pp);
    CURL *e = pp->x.easy;
    CURLcode rc = CURLE_OK;

#define SET(opt, val) rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, opt, val)
    SET(CURLOPT_URL, pp->url);
    SET(CURLOPT_ERRORBUFFER, pp->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_USERAGENT, "healthtop/" HT_VERSION);
    SET(CURLOPT_HTTPHEADER, pp->headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)pp);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
    SET(CURLOPT_QUICK_EXIT, 1L);
    if (c->user && c->password) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, c->user);
        SET(CURLOPT_PASSWORD, c->password);
    }
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

static int start(struct probe *p)
{
    struct prom_env *env = p->env->prometheus;
    const struct prometheus_config *c = prom_config(p->svc);
    int64_t timeout_ms = timeout_of(p);
    struct prom_probe *pp;

    if (env == NULL || c == NULL || c->url == NULL || c->query == NULL) {
        probe_msg(p, "prometheus probes are not set up");
        return -1;
    }
    pp = xcalloc(1, sizeof(*pp));
    pp->p = p;
    pp->env = env;
    pp->x.done = on_done;
    pp->x.data = pp;
    buf_init(&pp->body, c->max_body);
    pp->x.easy = curl_easy_init();
    pp->headers = header_list(c);
    pp->url = pp->x.easy ? query_url(pp->x.easy, c, timeout_ms) : NULL;
    if (pp->url == NULL || set_options(pp, timeout_ms) != 0 || curl_uv_add(env->cu, &pp->x) != 0) {
        probe_msg(p, "cannot start the transfer");
        pp_free(pp);
        return -1;
    }
    pp->next = env->probes;
    if (env->probes)
        env->probes->prev = pp;
    env->probes = pp;
    p->priv = pp;
    return 0;
}

static void cancel(struct probe *p)
{
    struct prom_probe *pp = p->priv;

    if (!pp)
        return;
    probe_msg(p, "cancelled");
    pp_free(pp);
    probe_done(p);
}

static int env_init(struct probe_env *penv)
{
    struct prom_env *env = xcalloc(1, sizeof(*env));

    env->cu = curl_uv_new(penv->loop);
    if (!env->cu) {
        free(env);
        return -1;
    }
    env->room = prom_room_new();
    penv->prometheus = env;
    return 0;
}

/* Cancels what is in flight, then hands the multi handle to curl_uv. */
static void env_close(struct probe_env *penv)
{
    struct prom_env *env = penv->prometheus;

    if (!env)
        return;
    penv->prometheus = NULL;
    while (env->probes)
        cancel(env->probes->p);
    curl_uv_close(env->cu);
    prom_room_free(env->room);
    free(env);
}

static size_t max_rows(const struct svc_config *s)
{
    const struct prometheus_config *c = prom_config(s);

    return c != NULL && c->rows_by != NULL ? c->max_rows : 0;
}

const struct probe_ops probe_prometheus_ops = {
    .kind = PROBE_PROMETHEUS,
    .name = "prometheus",
    .form = "a mapping with url: and query:",
    .keys = prom_config_keys,
    .flags = PROBE_F_FINDS_REPLICAS,
    .parse = prom_config_parse,
    .free_config = prom_config_free,
    .describe = prom_config_describe,
    .max_rows = max_rows,
    .env_init = env_init,
    .env_close = env_close,
    .start = start,
    .cancel = cancel,
};
