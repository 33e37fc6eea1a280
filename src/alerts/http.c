/* The HTTP receivers' one transfer: a JSON POST on the engine's curl
 * multi handle, driven by the loop (curl_uv.h), so that a receiver that
 * is down, hangs or answers slowly costs a socket and a timer, never a
 * wait. The answer is kept up to ALERTS_REPLY_MAX bytes (the rest is read
 * and dropped) for the message of a failure. Redirects are not
 * followed: they would carry the route's headers (a token) elsewhere. */
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"
#include "alerts/engine.h"
#include "probes/curl_uv.h"

struct alert_http {
    struct curl_uv_xfer x;
    struct curl_slist *headers;
    char *body;
    struct buf reply;
    char errbuf[CURL_ERROR_SIZE];
    struct alert_sink *k;
};

uv_loop_t *alert_sink_loop(struct alert_sink *k)
{
    return k->al->loop;
}

struct curl_uv *alert_sink_curl(struct alert_sink *k)
{
    if (k->al->cu == NULL && !k->al->closed)
        k->al->cu = curl_uv_new(k->al->loop);
    return k->al->cu;
}

void alert_http_shutdown(struct alerts *al)
{
    if (al->cu)
        curl_uv_close(al->cu);
    al->cu = NULL;
}

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
    struct alert_http *h = ud;

    if (buf_append(&h->reply, p, size * n) != 0) {
        /* Past the limit: the rest is read and dropped. */
    }
    return size * n;
}

static void http_end(struct alert_http *h)
{
    curl_easy_cleanup(h->x.easy);
    curl_slist_free_all(h->headers);
    free(h->body);
    buf_free(&h->reply);
    free(h);
}

static void on_done(struct curl_uv_xfer *x, CURLcode rc)
{
    struct alert_http *h = x->data;
    struct alert_sink *k = h->k;
    char why[512];
    long status = 0;
    bool ok = false;

    k->priv = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        ht_snprintf(why, sizeof(why), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
    } else if (status < 200 || status > 299) {
        const char *body = h->reply.data ? h->reply.data : "";
        size_t line = strcspn(body, "\r\n");
        ht_snprintf(why, sizeof(why), "HTTP %ld%s%.*s", status, line ? ": " : "",
                    (int)(line > 200 ? 200 : line), body);
    } else {
        ok = true;
        why[0] = '\0';
    }
    http_end(h);
    alert_sink_done(k, ok, why);
}

static int set_options(struct alert_http *h, const char *url, int64_t timeout_ms)
{
    CURL *e = h->x.easy;
    CURLcode rc = CURLE_OK;

#define SET(opt, val) rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, opt, val)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_USERAGENT, "healthtop/" HT_VERSION);
    SET(CURLOPT_HTTPHEADER, h->headers);
    SET(CURLOPT_POSTFIELDS, h->body);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(h->body));
    SET(CURLOPT_WRITEFUNCTION, on_reply);
    SET(CURLOPT_WRITEDATA, (void *)h);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* Ending a transfer still resolving a name must not join the
     * resolver thread (the loop would wait for DNS). */
    SET(CURLOPT_QUICK_EXIT, 1L);
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

void alert_http_post(struct alert_sink *k, const char *url, char *body)
{
    const struct alert_route *r = k->route;
    struct curl_uv *cu = alert_sink_curl(k);
    struct alert_http *h = xcalloc(1, sizeof(*h));

    h->k = k;
    h->body = body;
    buf_init(&h->reply, ALERTS_REPLY_MAX);
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    h->headers = curl_slist_append(h->headers, "Expect:"); /* no 100-continue round trip */
    for (size_t i = 0; i < r->nheaders; i++) {
        size_t n = strlen(r->headers[i].key) + strlen(r->headers[i].value) + 3;
        char *line = xmalloc(n);
        ht_snprintf(line, n, "%s: %s", r->headers[i].key, r->headers[i].value);
        h->headers = curl_slist_append(h->headers, line);
        memset(line, 0, n); /* it holds a secret */
        free(line);
    }
    h->x.easy = curl_easy_init();
    h->x.done = on_done;
    h->x.data = h;
    if (cu == NULL || h->x.easy == NULL || h->headers == NULL ||
        set_options(h, url, r->timeout_ms) != 0 || curl_uv_add(cu, &h->x) != 0) {
        http_end(h);
        alert_sink_done(k, false, "cannot start an HTTP transfer");
        return;
    }
    k->priv = h;
}

void alert_http_cancel(struct alert_sink *k)
{
    struct alert_http *h = k->priv;

    if (h == NULL)
        return;
    k->priv = NULL;
    if (k->al->cu)
        curl_uv_remove(k->al->cu, &h->x);
    http_end(h);
}
