/* The http probe: libcurl transfers run on the libuv loop by curl_uv.
 *
 * One curl_uv per loop (struct http_env) holds the connection cache, so
 * a probe that does not ask for a fresh connection reuses the previous
 * one. A probe runs one transfer per URL (replica) at once and completes
 * when the last ends. The multi_socket traps (doc/libraries.md) are handled
 * in curl_uv.c. */
#include "healthtop/probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"
#include "healthtop/secret.h"
#include "healthtop/text.h"
#include "probes/curl_uv.h"
#include "probes/http_config.h"
#include "probes/http_check.h"

#define HEAD_KEEP 200 /* body bytes shown in the detail pane */
/* Kept past HEAD_KEEP, so that a secret the cut would split is masked
 * whole (secret_cut) rather than shown up to the cut. */
#define HEAD_SLACK    256
#define MAX_REDIRECTS 5

/* Easy handles kept between probes, reset, up to this many. */
#define EASY_POOL_MAX 64

struct http_env {
    struct curl_uv *cu;
    struct http_probe *probes; /* in flight */
    CURL *pool[EASY_POOL_MAX]; /* ended transfers' handles, reset for reuse */
    int npool;
    /* Ended one-URL probes' memory, for the next: at over 1 KiB, each
     * fresh one made malloc merge its small free chunks first
     * (malloc_consolidate, 3% of the CPU at 10,000 services). */
    struct http_probe *spare[EASY_POOL_MAX];
    int nspare;
};

/* A handle for a new transfer: one an ended transfer left, or a new one.
 * Reuse skips curl's allocation and set-up of a handle (5 KB) on every
 * probe: 9% fewer instructions per probe (callgrind, 3,000 probes).
 * set_options sets every option it uses on every transfer, so what a
 * handle keeps from its last one is overwritten; it is not reset, since
 * curl refuses CURLOPT_BUFFERSIZE once a handle has its buffer, and a
 * reset would put the size back to 16 KB. */
static CURL *easy_get(struct http_env *env)
{
    CURL *e;

    if (env->npool > 0)
        return env->pool[--env->npool];
    e = curl_easy_init();
    /* curl's smallest receive buffer: health answers are small (the body
     * is capped anyway), and at the default 16 KB per transfer 5,000
     * probes in flight held 80 MB of buffers. */
    if (e != NULL && curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 1024L) != CURLE_OK) {
        curl_easy_cleanup(e);
        e = NULL;
    }
    return e;
}

static void easy_put(struct http_env *env, CURL *easy)
{
    if (env->npool < EASY_POOL_MAX)
        env->pool[env->npool++] = easy;
    else
        curl_easy_cleanup(easy);
}

struct http_target {
    struct http_probe *hp;
    struct curl_uv_xfer x; /* x.easy is NULL once the transfer ended */
    char errbuf[CURL_ERROR_SIZE];
    char status_line[96]; /* the last "HTTP/1.1 200 OK" received */
    struct buf body;      /* kept only when a body or JSON check needs it */
    char head[HEAD_KEEP + HEAD_SLACK];
    size_t head_len;
    uint64_t received; /* body bytes so far */
    bool over;         /* the body passed max_body: transfer aborted */
    bool pass;
    int redirects;      /* followed so far */
    bool foreign;       /* a redirect left the origin: headers dropped */
    int64_t started_us; /* the first transfer's start */
    int64_t before_us;  /* time spent in the transfers redirected from */
    char *url;          /* the URL of the current transfer */
    int64_t total_us, connect_us;
    char msg[PROBE_MSG_MAX];
};

struct http_probe {
    struct probe *p;
    struct http_env *env;
    struct http_probe *prev, *next;
    struct curl_slist *headers;
    size_t n, pending;
    struct http_target t[];
};

static const struct http_config *cfg_of(const struct http_probe *hp)
{
    return &hp->p->svc->u.http;
}

static size_t max_body(const struct http_config *h)
{
    return h->max_body ? h->max_body : CONFIG_DEFAULT_MAX_BODY;
}

/* ---- receiving ---------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct http_target *t = ud;
    const struct http_config *h = cfg_of(t->hp);
    size_t n = size * nmemb;

    /* CURLOPT_MAXFILESIZE only sees Content-Length: an endless or
     * close-delimited body is capped here (a short count aborts). */
    if (t->received + n > max_body(h)) {
        t->over = true;
        return 0;
    }
    if (t->head_len < sizeof(t->head)) {
        size_t k = sizeof(t->head) - t->head_len < n ? sizeof(t->head) - t->head_len : n;
        memcpy(t->head + t->head_len, data, k);
        t->head_len += k;
    }
    if (http_check_needs_body(h) && buf_append(&t->body, data, n) != 0) {
        t->over = true;
        return 0;
    }
    t->received += n;
    return n;
}

/* Keeps the status line; a new one (after a redirect or a 100 Continue)
 * starts the body afresh. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct http_target *t = ud;
    size_t n = size * nmemb;

    if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
        size_t k = n;
        while (k > 0 && (data[k - 1] == '\r' || data[k - 1] == '\n'))
            k--;
        text_safe(t->status_line, sizeof(t->status_line), data, k);
        t->head_len = 0;
        t->received = 0;
        buf_reset(&t->body);
    }
    return n;
}

/* ---- messages ----------------------------------------------------------- */

/* The host of the URL the transfer last used, for "cannot resolve HOST". */
static void effective_host(CURL *e, char *out, size_t n)
{
    char *url = NULL, *host = NULL;
    CURLU *u = curl_url();

    out[0] = '\0';
    if (u && curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url &&
        curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ht_strlcpy(out, host, n);
    curl_free(host);
    curl_url_cleanup(u);
}

static void tls_message(struct http_target *t, char *msg, size_t n)
{
    long verify = 0;
    const char *why = NULL;

    curl_easy_getinfo(t->x.easy, CURLINFO_SSL_VERIFYRESULT, &verify);
    /* X509_V_ERR_* codes, stable across OpenSSL versions. */
    if (verify == 18 || strstr(t->errbuf, "self-signed") || strstr(t->errbuf, "self signed"))
        why = verify == 19 ? "self-signed in chain" : "self-signed";
    else if (verify == 19)
        why = "self-signed in chain";
    else if (verify == 10)
        why = "expired";
    else if (verify == 20 || verify == 21)
        why = "unknown issuer";
    if (why)
        ht_snprintf(msg, n, "TLS: certificate verify failed (%s)", why);
    else if (strstr(t->errbuf, "subject name") || strstr(t->errbuf, "does not match"))
        ht_snprintf(msg, n, "TLS: certificate name mismatch");
    else
        ht_snprintf(msg, n, "TLS: certificate verify failed");
}

static const char *connect_error(long oserr)
{
    switch (oserr) {
    case ECONNREFUSED:
        return "connection refused";
    case EHOSTUNREACH:
        return "host unreachable";
    case ENETUNREACH:
        return "network unreachable";
    default:
        return "cannot connect";
    }
}

/* Turns a failed transfer into a short human message. */
static void error_message(struct http_target *t, CURLcode code)
{
    struct probe *p = t->hp->p;
    long oserr = 0;
    char host[256], size[32];

    /* Easy handles come from a pool and are not reset between probes, and
     * curl only sets CURLINFO_OS_ERRNO on some failures: it can be a stale
     * errno of an earlier probe. The socket's own error, read when the
     * poll failed, is the one to trust. */
    curl_easy_getinfo(t->x.easy, CURLINFO_OS_ERRNO, &oserr);
    if (t->x.sock_errno != 0)
        oserr = t->x.sock_errno;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        probe_msg_timeout(p);
        ht_strlcpy(t->msg, p->result.message, sizeof(t->msg));
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        effective_host(t->x.easy, host, sizeof(host));
        ht_snprintf(t->msg, sizeof(t->msg), "cannot resolve %s", host);
        return;
    case CURLE_COULDNT_CONNECT:
        ht_strlcpy(t->msg, connect_error(oserr), sizeof(t->msg));
        return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        http_size_format(max_body(cfg_of(t->hp)), size, sizeof(size));
        ht_snprintf(t->msg, sizeof(t->msg), "body over %s", size);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
        tls_message(t, t->msg, sizeof(t->msg));
        return;
    default:
        break;
    }
    const char *m = curl_easy_strerror(code);
    /* A reset shows as ECONNRESET, or, when it arrives while curl waits on
     * the socket, as the poll's error (CURL_CSELECT_ERR: errbuf "select/poll
     * returned error"); a send fails only when the peer reset or closed the
     * connection under it, and curl keeps no errno for it. */
    if ((code == CURLE_RECV_ERROR &&
         (oserr == ECONNRESET || strstr(t->errbuf, "select/poll") != NULL)) ||
        code == CURLE_SEND_ERROR)
        m = "connection reset";
    else if (code == CURLE_GOT_NOTHING)
        m = "empty reply (connection closed)";
    else if (code == CURLE_PARTIAL_FILE)
        m = "body cut short";
    else if (code == CURLE_WEIRD_SERVER_REPLY ||
             (code == CURLE_UNSUPPORTED_PROTOCOL && strstr(t->errbuf, "HTTP/0.9")))
        m = "bad HTTP response";
    else if (code == CURLE_SSL_CONNECT_ERROR)
        m = "TLS handshake failed";
    else if (code == CURLE_URL_MALFORMAT)
        m = "bad URL";
    else if (code == CURLE_OUT_OF_MEMORY && t->status_line[0] != '\0')
        /* After the status line, this is curl refusing a header past its
         * own cap (100 KiB), not the process running out of memory. */
        m = "response headers too large (over curl's 100 KiB)";
    ht_strlcpy(t->msg, m, sizeof(t->msg));
}

/* ---- one transfer ------------------------------------------------------- */

static void target_evaluate(struct http_target *t, CURLcode code)
{
    const struct http_config *h = cfg_of(t->hp);
    curl_off_t total = -1, connect = -1;
    long status = 0;

    curl_easy_getinfo(t->x.easy, CURLINFO_RESPONSE_CODE, &status);
    if (curl_easy_getinfo(t->x.easy, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK)
        t->total_us = t->before_us + total;
    if (curl_easy_getinfo(t->x.easy, CURLINFO_CONNECT_TIME_T, &connect) == CURLE_OK)
        t->connect_us = connect;
    if (t->over || code == CURLE_FILESIZE_EXCEEDED)
        code = CURLE_WRITE_ERROR;
    t->pass = false;
    if (code != CURLE_OK) {
        error_message(t, code);
        return;
    }
    if (!http_check_status(h, status)) {
        ht_snprintf(t->msg, sizeof(t->msg), "HTTP %ld", status);
        return;
    }
    if (http_check_body(h, t->body.data ? t->body.data : "", t->body.len, t->msg, sizeof(t->msg)) !=
        0)
        return;
    ht_snprintf(t->msg, sizeof(t->msg), "HTTP %ld", status);
    t->pass = true;
}

static int set_options(struct http_target *t, const char *url, int64_t timeout_ms)
{
    const struct http_config *h = cfg_of(t->hp);
    CURL *e = t->x.easy;
    CURLcode rc = CURLE_OK;

    /* Every option, on every transfer, whatever its value: the handle may
     * come from another service's probe (easy_get). */
#define SET(opt, val) rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, opt, val)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_USERAGENT, "healthtop/" HT_VERSION);
    SET(CURLOPT_HTTPHEADER, t->foreign ? NULL : t->hp->headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)t);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body(h));
    /* Redirects are followed here, not by curl (follow_redirect), which
     * would send the configured headers to any host it is sent to. */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
    SET(CURLOPT_FRESH_CONNECT, h->fresh_connect ? 1L : 0L);
    SET(CURLOPT_FORBID_REUSE, h->fresh_connect ? 1L : 0L);
    /* Without it, ending a transfer still resolving a name joins the
     * resolver thread: the loop would block for as long as DNS takes. */
    SET(CURLOPT_QUICK_EXIT, 1L);
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

/* ---- the probe ---------------------------------------------------------- */

static void hp_free(struct http_probe *hp)
{
    struct http_env *env = hp->env;

    for (size_t i = 0; i < hp->n; i++) {
        struct http_target *t = &hp->t[i];
        if (t->x.easy) {
            curl_uv_remove(env->cu, &t->x);
            curl_easy_cleanup(t->x.easy);
        }
        buf_free(&t->body);
        free(t->url);
    }
    if (hp->prev)
        hp->prev->next = hp->next;
    else if (env->probes == hp)
        env->probes = hp->next;
    if (hp->next)
        hp->next->prev = hp->prev;
    curl_slist_free_all(hp->headers);
    hp->p->priv = NULL;
    if (hp->n == 1 && env->nspare < EASY_POOL_MAX)
        env->spare[env->nspare++] = hp;
    else
        free(hp);
}

static void result_detail(struct http_probe *hp, size_t i)
{
    const struct http_target *t = &hp->t[i];
    const struct http_config *h = cfg_of(hp);
    struct probe_result *r = &hp->p->result;
    char who[32] = "", url[256], body[PROBE_DETAIL_MAX];

    if (hp->n > 1)
        ht_snprintf(who, sizeof(who), "replica %zu: ", i + 1);
    secret_redact_url(h->urls[i], url, sizeof(url));
    /* Mask, then cut: the cut never splits a secret. */
    text_safe_lines(body, sizeof(body), t->head, secret_cut(t->head, t->head_len, HEAD_KEEP));
    ht_snprintf(r->detail, sizeof(r->detail), "%sGET %s\n%s%s%s%s%s%s", who, url, t->status_line,
                t->status_line[0] ? "\n" : "", body, body[0] ? "\n" : "",
                !t->pass && t->errbuf[0] ? t->errbuf : "",
                h->insecure ? "\ninsecure: TLS certificate not verified" : "");
}

static void result_message(struct http_probe *hp, int first_fail)
{
    struct probe *p = hp->p;
    struct probe_result *r = &p->result;
    const struct http_config *h = cfg_of(hp);
    char lat[32], max[32];

    /* Replica counts travel in up/found and every view shows them; the
     * message names the first failing replica, as the other kinds do. */
    if (hp->n == 1 || first_fail < 0)
        probe_msg(p, "%s", hp->t[0].msg);
    else
        probe_msg(p, "replica %d: %s", first_fail + 1, hp->t[first_fail].msg);
    if (r->slow) {
        ht_latency_format(r->latency_us, true, lat, sizeof(lat));
        ht_duration_format(h->max_latency_ms, max, sizeof(max));
        size_t len = strlen(r->message);
        ht_snprintf(r->message + len, sizeof(r->message) - len, ", slow: %s > %s", lat, max);
    }
}

/* All transfers of hp have ended: fill the result and complete. */
static void hp_finish(struct http_probe *hp)
{
    struct probe *p = hp->p;
    struct probe_result *r = &p->result;
    const struct http_config *h = cfg_of(hp);
    int up = 0, first_fail = -1;

    for (size_t i = 0; i < hp->n; i++) {
        const struct http_target *t = &hp->t[i];
        if (t->pass)
            up++;
        else if (first_fail < 0)
            first_fail = (int)i;
        if (t->total_us > r->latency_us)
            r->latency_us = t->total_us;
        if (t->connect_us > r->connect_us)
            r->connect_us = t->connect_us;
    }
    r->up = up;
    r->found = (int)hp->n;
    r->ok = (size_t)up == hp->n || (up > 0 && up >= p->svc->replicas);
    r->slow = r->ok && h->max_latency_ms > 0 && r->latency_us > h->max_latency_ms * 1000;
    result_message(hp, first_fail);
    result_detail(hp, first_fail < 0 ? 0 : (size_t)first_fail);
    hp_free(hp);
    probe_done(p);
}

enum follow { FOLLOW_STANDS, FOLLOW_GOING, FOLLOW_REFUSED };

/* When the answer is a redirect the probe should follow, starts the next
 * transfer on the same handle (FOLLOW_GOING). FOLLOW_REFUSED, with the
 * reason in why, when it must not be followed; FOLLOW_STANDS when the
 * answer is not a redirect to follow. The configured headers go only to
 * the origin they were written for, and https never falls back to http
 * unless allow_downgrade says so. */
static enum follow follow_redirect(struct http_target *t, CURLcode code, char *why, size_t n)
{
    const struct http_config *h = cfg_of(t->hp);
    int64_t timeout_ms =
        t->hp->p->svc->timeout_ms > 0 ? t->hp->p->svc->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
    int64_t left_ms = timeout_ms - (ht_now_us() - t->started_us) / 1000;
    curl_off_t took = 0;
    char *next = NULL, d[32];
    long status = 0;

    if (!h->follow_redirects || code != CURLE_OK || t->over)
        return FOLLOW_STANDS;
    curl_easy_getinfo(t->x.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 300 || status > 399 ||
        curl_easy_getinfo(t->x.easy, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || next == NULL)
        return FOLLOW_STANDS;
    if (t->redirects >= MAX_REDIRECTS) {
        ht_strlcpy(why, "too many redirects", n);
        return FOLLOW_REFUSED;
    }
    switch (http_redirect_classify(t->url, next)) {
    case HTTP_REDIRECT_DOWNGRADE:
        if (!h->allow_downgrade) {
            ht_strlcpy(why, "redirect from https to http refused (allow_downgrade)", n);
            return FOLLOW_REFUSED;
        }
        t->foreign = true;
        break;
    case HTTP_REDIRECT_OTHER_ORIGIN:
        t->foreign = true;
        break;
    case HTTP_REDIRECT_SAME_ORIGIN:
        break;
    default:
        ht_strlcpy(why, "redirect to a URL that is not http(s)", n);
        return FOLLOW_REFUSED;
    }
    if (left_ms <= 0) {
        ht_duration_format(timeout_ms, d, sizeof(d));
        ht_snprintf(why, n, "timeout after %s", d);
        return FOLLOW_REFUSED;
    }
    if (curl_easy_getinfo(t->x.easy, CURLINFO_TOTAL_TIME_T, &took) == CURLE_OK)
        t->before_us += took;
    next = xstrdup(next); /* curl's string dies with the next transfer */
    free(t->url);
    t->url = next;
    t->redirects++;
    t->status_line[0] = '\0';
    t->head_len = 0;
    t->received = 0;
    buf_reset(&t->body);
    if (set_options(t, t->url, left_ms) != 0 || curl_uv_add(t->hp->env->cu, &t->x) != 0) {
        ht_strlcpy(why, "cannot follow the redirect", n);
        return FOLLOW_REFUSED;
    }
    return FOLLOW_GOING;
}

/* A transfer has ended (curl_uv has removed it from the multi handle). */
static void on_done(struct curl_uv_xfer *x, CURLcode code)
{
    struct http_target *t = x->data;
    struct http_probe *hp = t->hp;
    char why[PROBE_MSG_MAX];
    enum follow f = follow_redirect(t, code, why, sizeof(why));

    if (f == FOLLOW_GOING)
        return;
    target_evaluate(t, code);
    if (f == FOLLOW_REFUSED) {
        t->pass = false;
        ht_strlcpy(t->msg, why, sizeof(t->msg));
    }
    easy_put(hp->env, t->x.easy);
    t->x.easy = NULL;
    if (--hp->pending == 0)
        hp_finish(hp);
}

static struct http_probe *hp_new(struct probe *p, struct http_env *env)
{
    const struct http_config *h = &p->svc->u.http;
    size_t size = sizeof(struct http_probe) + h->nurls * sizeof(struct http_target);
    struct http_probe *hp;
    char line[1024];

    if (h->nurls == 1 && env->nspare > 0) {
        hp = env->spare[--env->nspare];
        memset(hp, 0, size);
    } else
        hp = xcalloc(1, size);

    hp->p = p;
    hp->env = env;
    hp->n = h->nurls;
    for (size_t i = 0; i < h->nheaders; i++) {
        const struct config_kv *kv = &h->headers[i];
        /* "Name;" is curl's way to send a header with an empty value. */
        if (kv->value && kv->value[0])
            ht_snprintf(line, sizeof(line), "%s: %s", kv->key, kv->value);
        else
            ht_snprintf(line, sizeof(line), "%s;", kv->key);
        struct curl_slist *l = curl_slist_append(hp->headers, line);
        if (l)
            hp->headers = l;
    }
    for (size_t i = 0; i < hp->n; i++) {
        hp->t[i].hp = hp;
        hp->t[i].x.done = on_done;
        hp->t[i].x.data = &hp->t[i];
        hp->t[i].total_us = hp->t[i].connect_us = -1;
        buf_init(&hp->t[i].body, max_body(h));
    }
    return hp;
}

static int start(struct probe *p)
{
    struct http_env *env = p->env->http;
    const struct http_config *h = &p->svc->u.http;
    int64_t timeout_ms = p->svc->timeout_ms > 0 ? p->svc->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
    struct http_probe *hp;

    if (!env) {
        probe_msg(p, "http probes are not set up");
        return -1;
    }
    if (h->nurls == 0) {
        probe_msg(p, "no URL to probe");
        return -1;
    }
    hp = hp_new(p, env);
    for (size_t i = 0; i < hp->n; i++) {
        struct http_target *t = &hp->t[i];
        t->x.easy = easy_get(env);
        t->started_us = ht_now_us();
        t->url = xstrdup(h->urls[i]);
        if (!t->x.easy || set_options(t, h->urls[i], timeout_ms) != 0 ||
            curl_uv_add(env->cu, &t->x) != 0) {
            /* hp_free removes what was added; one not added is ignored. */
            probe_msg(p, "cannot start the transfer");
            hp_free(hp);
            return -1;
        }
    }
    hp->pending = hp->n;
    hp->next = env->probes;
    if (env->probes)
        env->probes->prev = hp;
    env->probes = hp;
    p->priv = hp;
    return 0;
}

static void cancel(struct probe *p)
{
    struct http_probe *hp = p->priv;

    if (!hp)
        return;
    p->result.found = (int)hp->n;
    probe_msg(p, "cancelled");
    hp_free(hp);
    probe_done(p);
}

/* ---- the env: one curl_uv per loop -------------------------------------- */

static int env_init(struct probe_env *penv)
{
    struct http_env *env = xcalloc(1, sizeof(*env));

    env->cu = curl_uv_new(penv->loop);
    if (!env->cu) {
        free(env);
        return -1;
    }
    penv->http = env;
    return 0;
}

/* Cancels what is in flight (each probe completes with "cancelled"),
 * then hands the multi handle to curl_uv to tear down. */
static void env_close(struct probe_env *penv)
{
    struct http_env *env = penv->http;

    if (!env)
        return;
    penv->http = NULL;
    while (env->probes)
        cancel(env->probes->p);
    while (env->npool > 0)
        curl_easy_cleanup(env->pool[--env->npool]);
    while (env->nspare > 0)
        free(env->spare[--env->nspare]);
    curl_uv_close(env->cu);
    free(env);
}

const struct probe_ops probe_http_ops = {
    .kind = PROBE_HTTP,
    .name = "http",
    .form = "a URL, a list of URLs or a mapping with url:",
    .keys = http_config_keys,
    .parse = http_config_parse,
    .free_config = http_config_free,
    .targets = http_config_targets,
    .describe = http_config_describe,
    .env_init = env_init,
    .env_close = env_close,
    .start = start,
    .cancel = cancel,
};
