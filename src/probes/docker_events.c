/* The docker probe's event streams (docker_events.h).
 *
 * A stream is a curl transfer without a timeout on the docker probe's
 * multi handle. Its header callback sees the end of the answer's headers:
 * a 200 means the engine now follows the project for us, so the stream's
 * services are probed once (the full listing on connect). Its body is a
 * sequence of JSON objects (the engine writes one a line, which is not
 * relied on): a small scanner finds where each object ends, outside
 * strings, and hands it to jansson. */
#include "docker_events.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "docker_host.h"
#include "healthtop/util.h"

#define LABEL_SERVICE "com.docker.compose.service"
#define LABEL_PROJECT "com.docker.compose.project"
#define LABEL_ONEOFF  "com.docker.compose.oneoff"

/* What the stream knows of one of its rows. */
struct watch {
    bool again; /* woken again when the settle timer fires */
    bool dirty; /* an event came since its last listing was asked for */
    bool has_last;
    int64_t listed_ms;
    struct probe_result last;
};

struct docker_stream {
    struct docker_events *ev;
    struct docker_stream *next;
    char *addr;
    char *project; /* NULL: every container of the engine */
    const struct svc_config **svcs;
    struct watch *w; /* [nsvcs] */
    size_t nsvcs, cap;
    uv_timer_t settle;
    int closing_timers;
    struct curl_uv_xfer x;
    uv_timer_t retry;
    int64_t backoff_ms;
    bool connected; /* the engine answered 200 and the transfer lives */
    struct events_scan scan;
    char err[CURL_ERROR_SIZE];
};

struct docker_events {
    struct probe_env *penv;
    struct curl_uv *cu;
    struct docker_stream *streams;
    int open_timers;
    bool closing;
};

/* ---- the scanner ---------------------------------------------------- */

static void scan_byte(struct events_scan *st, char c)
{
    if (!st->skip) {
        if (st->len >= EVENTS_OBJ_MAX) { /* too long: skipped to its end */
            st->skip = true;
            st->len = 0;
        } else {
            st->buf[st->len++] = c;
        }
    }
}

void events_scan_feed(struct events_scan *st, const char *data, size_t n,
                      void (*cb)(void *ud, const char *obj, size_t len), void *ud)
{
    if (st->buf == NULL)
        st->buf = xmalloc(EVENTS_OBJ_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (st->depth == 0) {
            if (c == '{') {
                st->depth = 1;
                st->len = 0;
                st->skip = false;
                st->in_str = st->esc = false;
                scan_byte(st, c);
            }
            continue; /* newlines, and anything between objects */
        }
        scan_byte(st, c);
        if (st->in_str) {
            if (st->esc)
                st->esc = false;
            else if (c == '\\')
                st->esc = true;
            else if (c == '"')
                st->in_str = false;
        } else if (c == '"') {
            st->in_str = true;
        } else if (c == '{' || c == '[') {
            st->depth++;
        } else if ((c == '}' || c == ']') && --st->depth == 0) {
            if (!st->skip)
                cb(ud, st->buf, st->len);
            st->len = 0;
        }
    }
}

void events_scan_free(struct events_scan *st)
{
    free(st->buf);
    memset(st, 0, sizeof(*st));
}

/* ---- the streams ------------------------------------------------------ */

static void wake(struct docker_stream *s, const struct svc_config *svc)
{
    struct probe_env *penv = s->ev->penv;

    for (size_t i = 0; i < s->nsvcs; i++)
        if (s->svcs[i] == svc)
            s->w[i].dirty = true;
    if (penv->wake)
        penv->wake(penv->wake_ud, svc);
}

static void wake_all(struct docker_stream *s)
{
    for (size_t i = 0; i < s->nsvcs; i++)
        wake(s, s->svcs[i]);
}

/* Whether an event's action can change what a listing says: the life of
 * a container and its health, not its execs (Docker runs each
 * healthcheck as an exec), attaches or resizes. Podman lists a container
 * that died as "stopped" until its "cleanup" event, then as "exited"
 * with its exit code. */
static bool action_matters(const char *a)
{
    static const char *const acts[] = {"create", "start",  "restart", "die",           "stop",
                                       "kill",   "pause",  "unpause", "oom",           "destroy",
                                       "remove", "rename", "update",  "health_status", "cleanup"};

    for (size_t i = 0; i < HT_ARRAY_LEN(acts); i++) {
        size_t n = strlen(acts[i]);
        /* Docker: "health_status: healthy"; Podman: "health_status". */
        if (strncmp(a, acts[i], n) == 0 && (a[n] == '\0' || a[n] == ':'))
            return true;
    }
    return false;
}

/* Podman 4.3 may announce a health change before an inspect shows it
 * (the event is written by the process that ran the check, beside the
 * health log): rows woken by a health event are woken once more a little
 * later. */
static void on_settle(uv_timer_t *t)
{
    struct docker_stream *s = t->data;

    for (size_t i = 0; i < s->nsvcs; i++)
        if (s->w[i].again) {
            s->w[i].again = false;
            wake(s, s->svcs[i]);
        }
}

static void on_event(void *ud, const char *obj, size_t len)
{
    struct docker_stream *s = ud;
    json_t *e = json_loadb(obj, len, 0, NULL);
    const char *type = json_string_value(json_object_get(e, "Type"));
    const char *action = json_string_value(json_object_get(e, "Action"));
    json_t *attrs = json_object_get(json_object_get(e, "Actor"), "Attributes");
    const char *service = json_string_value(json_object_get(attrs, LABEL_SERVICE));
    const char *project = json_string_value(json_object_get(attrs, LABEL_PROJECT));
    const char *oneoff = json_string_value(json_object_get(attrs, LABEL_ONEOFF));

    if (action == NULL) /* older engines: status only */
        action = json_string_value(json_object_get(e, "status"));
    if (e == NULL || (type && strcmp(type, "container") != 0) || action == NULL ||
        !action_matters(action) || (oneoff && strcmp(oneoff, "True") == 0)) {
        json_decref(e);
        return;
    }
    for (size_t i = 0; i < s->nsvcs; i++) {
        const struct docker_config *dc = &s->svcs[i]->u.docker;
        if (dc->service && (service == NULL || strcmp(service, dc->service) != 0))
            continue;
        if (dc->project && (project == NULL || strcmp(project, dc->project) != 0))
            continue;
        wake(s, s->svcs[i]);
        if (strncmp(action, "health_status", 13) == 0) {
            s->w[i].again = true;
            if (!uv_is_active((uv_handle_t *)&s->settle))
                uv_timer_start(&s->settle, on_settle, EVENTS_SETTLE_MS, 0);
        }
    }
    json_decref(e);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct docker_stream *s = userp;

    if (s->connected)
        events_scan_feed(&s->scan, data, size * nmemb, on_event, s);
    return size * nmemb;
}

/* curl's header callback type takes a char *. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct docker_stream *s = userp;
    size_t n = size * nmemb;
    long code = 0;

    if (n <= 2 && (n == 0 || data[0] == '\r' || data[0] == '\n')) {
        curl_easy_getinfo(s->x.easy, CURLINFO_RESPONSE_CODE, &code);
        if (code == 200 && !s->connected) {
            s->connected = true;
            s->backoff_ms = EVENTS_BACKOFF_MIN_MS;
            wake_all(s); /* what happened while no stream was up */
        }
    }
    return n;
}

static void stream_open(struct docker_stream *s);

static void on_retry(uv_timer_t *t)
{
    stream_open(t->data);
}

static void on_done(struct curl_uv_xfer *x, CURLcode rc)
{
    struct docker_stream *s = x->data;
    bool was = s->connected;

    (void)rc;
    s->connected = false;
    events_scan_free(&s->scan);
    if (s->ev->closing)
        return;
    uv_timer_start(&s->retry, on_retry, (uint64_t)s->backoff_ms, 0);
    if (s->backoff_ms < EVENTS_BACKOFF_MAX_MS)
        s->backoff_ms =
            s->backoff_ms * 2 < EVENTS_BACKOFF_MAX_MS ? s->backoff_ms * 2 : EVENTS_BACKOFF_MAX_MS;
    if (was) /* the rows say what the listing finds now: perhaps nothing */
        wake_all(s);
}

/* /events filtered to containers, and to the project's label. */
static void events_path(const struct docker_stream *s, char *path, size_t n)
{
    json_t *f = json_pack("{s:[s]}", "type", "container");
    char label[512];

    if (s->project) {
        ht_snprintf(label, sizeof(label), "%s=%s", LABEL_PROJECT, s->project);
        json_object_set_new(f, "label", json_pack("[s]", label));
    }
    char *json = json_dumps(f, JSON_COMPACT);
    char *enc = json ? curl_easy_escape(NULL, json, 0) : NULL;
    ht_snprintf(path, n, "/v1.41/events?filters=%s", enc ? enc : "");
    curl_free(enc);
    free(json);
    json_decref(f);
}

static void stream_open(struct docker_stream *s)
{
    char path[1024];

    if (s->x.easy == NULL)
        s->x.easy = curl_easy_init();
    else
        curl_easy_reset(s->x.easy);
    if (s->x.easy == NULL)
        return;
    events_path(s, path, sizeof(path));
    docker_host_setup(s->x.easy, s->addr, path);
    curl_easy_setopt(s->x.easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(s->x.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->x.easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(s->x.easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(s->x.easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(s->x.easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(s->x.easy, CURLOPT_USERAGENT, "healthtop/" HT_VERSION);
    curl_easy_setopt(s->x.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->x.easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->x.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->x.easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->x.easy, CURLOPT_ERRORBUFFER, s->err);
    s->x.done = on_done;
    s->x.data = s;
    if (curl_uv_add(s->ev->cu, &s->x) != 0)
        on_done(&s->x, CURLE_FAILED_INIT);
}

struct docker_events *docker_events_new(struct probe_env *penv, struct curl_uv *cu)
{
    struct docker_events *ev = xcalloc(1, sizeof(*ev));

    ev->penv = penv;
    ev->cu = cu;
    return ev;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

void docker_events_watch(struct docker_events *ev, const struct svc_config *svc)
{
    const struct docker_config *dc = &svc->u.docker;
    const char *addr = dc->socket && dc->socket[0] ? dc->socket : DOCKER_HOST_DEFAULT;
    struct docker_stream *s;

    if (ev->closing || ev->penv->wake == NULL)
        return;
    for (s = ev->streams; s; s = s->next)
        if (strcmp(s->addr, addr) == 0 && same(s->project, dc->project))
            break;
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->ev = ev;
        s->addr = xstrdup(addr);
        s->project = dc->project ? xstrdup(dc->project) : NULL;
        s->backoff_ms = EVENTS_BACKOFF_MIN_MS;
        uv_timer_init(ev->penv->loop, &s->retry);
        s->retry.data = s;
        uv_timer_init(ev->penv->loop, &s->settle);
        s->settle.data = s;
        ev->open_timers += 2;
        s->next = ev->streams;
        ev->streams = s;
        stream_open(s);
    }
    for (size_t i = 0; i < s->nsvcs; i++)
        if (s->svcs[i] == svc)
            return;
    size_t cap = s->cap;
    XGROW(s->svcs, s->cap, s->nsvcs + 1);
    s->w = xrealloc(s->w, s->cap * sizeof(*s->w));
    memset(s->w + cap, 0, (s->cap - cap) * sizeof(*s->w));
    s->svcs[s->nsvcs++] = svc;
}

/* Each stream has two timers; the last one closed frees it. */
static void on_timer_closed(uv_handle_t *h)
{
    struct docker_stream *s = h->data;
    struct docker_events *ev = s->ev;

    if (--s->closing_timers == 0) {
        free(s->addr);
        free(s->project);
        free(s->svcs);
        free(s->w);
        free(s);
    }
    if (--ev->open_timers == 0)
        free(ev);
}

/* The stream of svc and svc's place in it, or NULL. */
static struct docker_stream *stream_of(struct docker_events *ev, const struct svc_config *svc,
                                       size_t *at)
{
    for (struct docker_stream *s = ev ? ev->streams : NULL; s; s = s->next)
        for (size_t i = 0; i < s->nsvcs; i++)
            if (s->svcs[i] == svc) {
                *at = i;
                return s;
            }
    return NULL;
}

bool docker_events_cached(struct docker_events *ev, const struct svc_config *svc,
                          struct probe_result *out)
{
    size_t i;
    struct docker_stream *s = stream_of(ev, svc, &i);

    if (s == NULL)
        return false;
    if (s->connected && !s->w[i].dirty && s->w[i].has_last &&
        ht_now_ms() - s->w[i].listed_ms < EVENTS_RELIST_MS) {
        *out = s->w[i].last;
        return true;
    }
    s->w[i].dirty = false; /* an event from now on is after the listing */
    return false;
}

void docker_events_store(struct docker_events *ev, const struct svc_config *svc,
                         const struct probe_result *r, int64_t started_ms)
{
    size_t i;
    struct docker_stream *s = stream_of(ev, svc, &i);

    if (s == NULL)
        return;
    s->w[i].last = *r;
    s->w[i].has_last = true;
    s->w[i].listed_ms = started_ms;
}

void docker_events_close(struct docker_events *ev)
{
    if (ev == NULL)
        return;
    ev->closing = true;
    if (ev->streams == NULL) {
        free(ev);
        return;
    }
    for (struct docker_stream *s = ev->streams, *next; s; s = next) {
        next = s->next;
        curl_uv_remove(ev->cu, &s->x);
        if (s->x.easy)
            curl_easy_cleanup(s->x.easy);
        events_scan_free(&s->scan);
        s->closing_timers = 2;
        uv_close((uv_handle_t *)&s->retry, on_timer_closed);
        uv_close((uv_handle_t *)&s->settle, on_timer_closed);
    }
    ev->streams = NULL;
}
