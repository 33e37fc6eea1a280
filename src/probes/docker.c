/* The docker probe: containers of a compose service, through the Docker
 * Engine API (or Podman's compatible one) over a unix socket, GET only.
 *
 * Rounds. A stack has many docker services on one engine, and they are
 * all due at about the same time. So probes do not talk to the engine
 * one by one: a probe joins a round of its socket, and one round makes
 * one listing for all of its members:
 *
 *   gather     the first probe opens the round and arms a short timer
 *              (GATHER_MS); every probe of the same socket that starts
 *              meanwhile joins. The round's deadline is its first
 *              member's start + timeout; a probe joins only a round that
 *              ends no later than its own deadline, so every probe keeps
 *              its timeout.
 *   listing    GET /containers/json?all=1 filtered by the labels every
 *              member asks for (their intersection: members of one
 *              project share the project label). A probe may still join
 *              while the listing is in flight when it asks for at least
 *              those labels.
 *   inspect    one GET /containers/{id}/json for a running container
 *              some member wants, when the listing cannot tell its
 *              health (Podman's compatible listing never adds it to
 *              Status, Docker not without a healthcheck) or it is
 *              unhealthy (for the health log):
 *              every round, at most INSPECT_PER_ROUND of them, the least
 *              recently inspected first (the others keep what their last
 *              inspect said); and once for any other, for its start and
 *              health-log times, kept in the env's cache for as long as
 *              the listing shows it in the same state. A steady stack
 *              costs one listing a round. Podman's compatible listing
 *              never has the health, its own one does: a socket whose
 *              engine sent a Libpod-Api-Version header lists through
 *              Podman's API from its next round on (doc/docker.md).
 *   finish     each member filters the containers by its own labels and
 *              maps them to its result (docker_map.h), then completes.
 *
 * A round is freed when it finishes or when its last member is
 * cancelled. Its members are completed one at a time, taken off the list
 * before their callback runs, so a callback may cancel or start probes. */
#include "healthtop/probe.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "curl_uv.h"
#include "docker_map.h"
#include "targets.h"
#include "healthtop/buf.h"
#include "config_probe.h"
#include "docker_events.h"
#include "docker_host.h"
#include <jansson.h>

#define DOCKER_API    "/v1.41"
#define LIBPOD_API    "/v4.0.0/libpod"
#define GATHER_MS     2
#define LIST_MAX      (4u << 20) /* bytes of a container listing */
#define INSPECT_MAX   (1u << 20)
#define LABEL_SERVICE "com.docker.compose.service"
#define LABEL_PROJECT "com.docker.compose.project"

#define INSPECT_PER_ROUND 16
/* The start of a round's error when the engine did not answer at all. */
#define ENGINE_UNREACHABLE "engine unreachable: cannot reach "
#define CACHE_KEEP_MS      (10 * 60 * 1000) /* unseen this long: forgotten */

/* What the last inspect of a container said, valid while the listing
 * shows it in the same state and health. */
struct docker_seen {
    struct docker_ctr listed; /* as the listing gave it then */
    struct docker_ctr got;    /* after the inspect */
    int64_t inspected_ms;
    int64_t seen_ms;
};

struct docker_env {
    uv_loop_t *loop;
    struct curl_uv *cu;
    struct docker_events *events;
    struct docker_round *rounds;
    struct docker_seen *seen;
    size_t nseen, seen_cap;
    /* Sockets whose engine said it is Podman (a Libpod-Api-Version
     * header): their rounds list through Podman's own API, whose listing
     * carries the health that its compatible one leaves out. */
    char **libpod;
    size_t nlibpod, libpod_cap;
};

/* One GET: the listing, or the inspect of ctrs[ctr]. */
struct docker_req {
    struct curl_uv_xfer x;
    struct docker_round *r;
    size_t ctr;  /* SIZE_MAX for the listing */
    bool libpod; /* the answer came with a Libpod-Api-Version header */
    struct buf body;
    char err[CURL_ERROR_SIZE];
};

enum round_phase { ROUND_GATHER, ROUND_LISTING, ROUND_INSPECT, ROUND_FINISH };

struct docker_round {
    struct docker_env *env;
    struct docker_round *next;
    char *socket;
    enum round_phase phase;
    int64_t deadline_ms;
    int64_t timeout_ms; /* for "timeout after 1.0s" */
    uv_timer_t gather;
    struct probe **probes;
    size_t nprobes, cap;
    char filter[2][160]; /* "label=value" the listing asks for */
    size_t nfilter;
    struct docker_req **reqs;
    size_t nreqs, pending;
    struct docker_ctr *ctrs;
    size_t nctrs;
    bool libpod;               /* listed through Podman's own API */
    char error[PROBE_MSG_MAX]; /* the round failed: every member's message */
};

static const char *probe_socket(const struct probe *p)
{
    const char *s = p->svc->u.docker.socket;
    return s && s[0] ? s : DOCKER_HOST_DEFAULT;
}

/* The labels p asks for, "key=value", into out[2]; returns how many. */
static size_t probe_labels(const struct probe *p, char out[2][160])
{
    const struct docker_config *dc = &p->svc->u.docker;
    size_t n = 0;

    if (dc->project)
        ht_snprintf(out[n++], 160, "%s=%s", LABEL_PROJECT, dc->project);
    if (dc->service)
        ht_snprintf(out[n++], 160, "%s=%s", LABEL_SERVICE, dc->service);
    return n;
}

static bool has_label(char set[2][160], size_t n, const char *l)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i], l) == 0)
            return true;
    return false;
}

/* True when the round's listing will hold every container p wants. */
static bool filter_covers(struct docker_round *r, const struct probe *p)
{
    char mine[2][160];
    size_t n = probe_labels(p, mine);

    for (size_t i = 0; i < r->nfilter; i++)
        if (!has_label(mine, n, r->filter[i]))
            return false;
    return true;
}

/* The labels common to every member. */
static void filter_compute(struct docker_round *r)
{
    r->nfilter = probe_labels(r->probes[0], r->filter);
    for (size_t i = 1; i < r->nprobes; i++) {
        char mine[2][160];
        size_t n = probe_labels(r->probes[i], mine), k = 0;
        for (size_t j = 0; j < r->nfilter; j++)
            if (has_label(mine, n, r->filter[j]))
                memmove(r->filter[k++], r->filter[j], 160);
        r->nfilter = k;
    }
}

static void req_free(struct docker_req *q)
{
    if (q == NULL)
        return;
    curl_uv_remove(q->r->env->cu, &q->x);
    curl_easy_cleanup(q->x.easy);
    buf_free(&q->body);
    free(q);
}

static void on_gather_closed(uv_handle_t *h)
{
    struct docker_round *r = h->data;
    free(r->socket);
    free(r->probes);
    free(r->ctrs);
    free(r);
}

/* Unlinks r from its env and frees it (the timer closes asynchronously). */
static void round_free(struct docker_round *r)
{
    for (struct docker_round **pp = &r->env->rounds; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    for (size_t i = 0; i < r->nreqs; i++)
        req_free(r->reqs[i]);
    free(r->reqs);
    r->reqs = NULL;
    r->nreqs = 0;
    uv_timer_stop(&r->gather);
    uv_close((uv_handle_t *)&r->gather, on_gather_closed);
}

static void round_add(struct docker_round *r, struct probe *p)
{
    XGROW(r->probes, r->cap, r->nprobes + 1);
    r->probes[r->nprobes++] = p;
    p->priv = r;
}

static bool round_remove(struct docker_round *r, struct probe *p)
{
    for (size_t i = 0; i < r->nprobes; i++)
        if (r->probes[i] == p) {
            memmove(&r->probes[i], &r->probes[i + 1], (r->nprobes - i - 1) * sizeof(*r->probes));
            r->nprobes--;
            return true;
        }
    return false;
}

static void round_finish(struct docker_round *r)
{
    r->phase = ROUND_FINISH;
    while (r->nprobes > 0) {
        struct probe *p = r->probes[0];
        round_remove(r, p);
        if (strncmp(r->error, ENGINE_UNREACHABLE, strlen(ENGINE_UNREACHABLE)) == 0) {
            /* The row says only that; the header says where and why,
             * once for all the rows (from the detail). */
            probe_msg(p, "engine unreachable");
            ht_strlcpy(p->result.detail, r->error, sizeof(p->result.detail));
        } else if (r->error[0]) {
            probe_msg(p, "%s", r->error);
        } else {
            docker_map_result(r->ctrs, r->nctrs, &p->svc->u.docker, p->svc->replicas, &p->result);
        }
        p->result.latency_us = probe_elapsed_us(p);
        if (!r->error[0])
            docker_events_store(r->env->events, p->svc, &p->result, p->started_us / 1000);
        probe_done(p);
    }
    round_free(r);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct docker_req *q = userp;
    if (buf_append(&q->body, data, size * nmemb) != 0)
        return 0;
    return size * nmemb;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct docker_req *q = userp;
    static const char name[] = "Libpod-Api-Version:";
    size_t n = size * nmemb;

    if (n >= sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0)
        q->libpod = true;
    return n;
}

static bool is_libpod(const struct docker_env *env, const char *socket)
{
    for (size_t i = 0; i < env->nlibpod; i++)
        if (strcmp(env->libpod[i], socket) == 0)
            return true;
    return false;
}

static void set_libpod(struct docker_env *env, const char *socket, bool on)
{
    for (size_t i = 0; i < env->nlibpod; i++)
        if (strcmp(env->libpod[i], socket) == 0) {
            if (!on) {
                free(env->libpod[i]);
                env->libpod[i] = env->libpod[--env->nlibpod];
            }
            return;
        }
    if (on) {
        XGROW(env->libpod, env->libpod_cap, env->nlibpod + 1);
        env->libpod[env->nlibpod++] = xstrdup(socket);
    }
}

/* Turns a failed transfer into the round's error. */
static void req_error(struct docker_req *q, CURLcode rc)
{
    struct docker_round *r = q->r;
    long oserr = 0;
    char why[128];

    if (rc == CURLE_OPERATION_TIMEDOUT) {
        char d[32];
        ht_duration_format(r->timeout_ms, d, sizeof(d));
        ht_snprintf(r->error, sizeof(r->error), "timeout after %s", d);
        return;
    }
    if (rc == CURLE_WRITE_ERROR && q->body.over) {
        ht_snprintf(r->error, sizeof(r->error), "engine answer over %zu bytes", q->body.limit);
        return;
    }
    curl_easy_getinfo(q->x.easy, CURLINFO_OS_ERRNO, &oserr);
    if (rc == CURLE_COULDNT_CONNECT && oserr != 0)
        target_errtext(why, sizeof(why), strerror((int)oserr));
    else
        target_errtext(why, sizeof(why), q->err[0] ? q->err : curl_easy_strerror(rc));
    ht_snprintf(r->error, sizeof(r->error), "%s%s: %s", ENGINE_UNREACHABLE, r->socket, why);
}

static struct docker_req *req_start(struct docker_round *r, const char *api, const char *path,
                                    size_t ctr, size_t limit, curl_uv_done_cb done)
{
    struct docker_req *q = xcalloc(1, sizeof(*q));
    char url[1024];
    int64_t left = r->deadline_ms - ht_now_ms();

    q->r = r;
    q->ctr = ctr;
    q->x.done = done;
    q->x.data = q;
    buf_init(&q->body, limit);
    q->x.easy = curl_easy_init();
    if (q->x.easy == NULL) {
        free(q);
        return NULL;
    }
    ht_snprintf(url, sizeof(url), "%s%s", api, path);
    docker_host_setup(q->x.easy, r->socket, url);
    curl_easy_setopt(q->x.easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(q->x.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(q->x.easy, CURLOPT_TIMEOUT_MS, (long)(left > 1 ? left : 1));
    curl_easy_setopt(q->x.easy, CURLOPT_USERAGENT, "healthtop/" HT_VERSION);
    curl_easy_setopt(q->x.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(q->x.easy, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(q->x.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(q->x.easy, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(q->x.easy, CURLOPT_ERRORBUFFER, q->err);
    r->reqs = xrealloc(r->reqs, (r->nreqs + 1) * sizeof(*r->reqs));
    r->reqs[r->nreqs++] = q;
    if (curl_uv_add(r->env->cu, &q->x) != 0)
        return NULL; /* freed with the round */
    r->pending++;
    return q;
}

/* True when the answer is a 200; else sets the round's error. */
static bool req_ok(struct docker_req *q, CURLcode rc)
{
    long code = 0;

    if (rc != CURLE_OK) {
        req_error(q, rc);
        return false;
    }
    curl_easy_getinfo(q->x.easy, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200)
        return true;
    /* An engine's error body is {"message": "..."}. */
    json_t *body = json_loadb(q->body.data ? q->body.data : "", q->body.len, 0, NULL);
    const char *why = json_string_value(json_object_get(body, "message"));
    ht_snprintf(q->r->error, sizeof(q->r->error), "engine answered HTTP %ld%s%s", code,
                why ? ": " : "", why ? why : "");
    json_decref(body);
    return false;
}

/* The cache entry of c as listed now, or NULL (also when its state or
 * listed health changed since: a restart, a new verdict). */
static struct docker_seen *seen_find(struct docker_env *env, const struct docker_ctr *c)
{
    for (size_t i = 0; i < env->nseen; i++) {
        struct docker_seen *e = &env->seen[i];
        if (strcmp(e->listed.id, c->id) == 0)
            return strcmp(e->listed.state, c->state) == 0 && e->listed.health == c->health ? e
                                                                                           : NULL;
    }
    return NULL;
}

static void seen_put(struct docker_env *env, const struct docker_ctr *listed,
                     const struct docker_ctr *got)
{
    struct docker_seen *e = NULL;

    for (size_t i = 0; i < env->nseen && e == NULL; i++)
        if (strcmp(env->seen[i].listed.id, listed->id) == 0)
            e = &env->seen[i];
    if (e == NULL) {
        XGROW(env->seen, env->seen_cap, env->nseen + 1);
        e = &env->seen[env->nseen++];
    }
    e->listed = *listed;
    e->got = *got;
    e->inspected_ms = e->seen_ms = ht_now_ms();
}

/* Forgets containers no listing showed for CACHE_KEEP_MS. */
static void seen_prune(struct docker_env *env)
{
    int64_t now = ht_now_ms();
    size_t k = 0;

    for (size_t i = 0; i < env->nseen; i++)
        if (now - env->seen[i].seen_ms < CACHE_KEEP_MS)
            env->seen[k++] = env->seen[i];
    env->nseen = k;
}

static void on_inspect(struct curl_uv_xfer *x, CURLcode rc)
{
    struct docker_req *q = x->data;
    struct docker_round *r = q->r;
    struct docker_ctr listed = r->ctrs[q->ctr];
    long code = 0;

    r->pending--;
    curl_easy_getinfo(q->x.easy, CURLINFO_RESPONSE_CODE, &code);
    /* A container that vanished meanwhile keeps what the listing said. */
    if (rc == CURLE_OK && code == 200 && q->body.data &&
        docker_map_inspect(q->body.data, q->body.len, &r->ctrs[q->ctr]) == 0)
        seen_put(r->env, &listed, &r->ctrs[q->ctr]);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        req_error(q, rc);
    if (r->pending == 0)
        round_finish(r);
}

static bool wanted(struct docker_round *r, const struct docker_ctr *c)
{
    for (size_t i = 0; i < r->nprobes; i++)
        if (docker_ctr_matches(c, &r->probes[i]->svc->u.docker))
            return true;
    return false;
}

static bool inspect_one(struct docker_round *r, size_t i)
{
    char path[256];
    char *id = curl_easy_escape(NULL, r->ctrs[i].id, 0);

    ht_snprintf(path, sizeof(path), "/containers/%s/json", id ? id : "");
    curl_free(id);
    if (req_start(r, DOCKER_API, path, i, INSPECT_MAX, on_inspect) != NULL)
        return true;
    ht_strlcpy(r->error, "cannot start a transfer", sizeof(r->error));
    return false;
}

/* Which containers to inspect this round (see the top of this file);
 * the others take what the cache knows of them. */
static void inspect_start(struct docker_round *r)
{
    struct docker_env *env = r->env;
    size_t *due = xcalloc(r->nctrs ? r->nctrs : 1, sizeof(*due)), ndue = 0, sent = 0;

    r->phase = ROUND_INSPECT;
    seen_prune(env);
    for (size_t i = 0; i < r->nctrs; i++) {
        struct docker_ctr *c = &r->ctrs[i];
        struct docker_seen *e;
        if (strcmp(c->state, "running") != 0 || !wanted(r, c))
            continue;
        e = seen_find(env, c);
        if (e != NULL)
            e->seen_ms = ht_now_ms();
        if (!docker_ctr_needs_inspect(c)) {
            if (e != NULL) {
                c->started_ms = e->got.started_ms;
                c->healthy_ms = e->got.healthy_ms;
            } else if (!inspect_one(r, i)) {
                break;
            }
            continue;
        }
        due[ndue++] = i;
    }
    /* The least recently inspected first: every container gets its turn. */
    for (size_t k = 0; k < ndue && sent < INSPECT_PER_ROUND && !r->error[0]; k++) {
        size_t best = k;
        for (size_t j = k + 1; j < ndue; j++) {
            struct docker_seen *a = seen_find(env, &r->ctrs[due[j]]);
            struct docker_seen *b = seen_find(env, &r->ctrs[due[best]]);
            if ((a ? a->inspected_ms : 0) < (b ? b->inspected_ms : 0))
                best = j;
        }
        size_t t = due[k];
        due[k] = due[best];
        due[best] = t;
        if (inspect_one(r, due[k]))
            sent++;
    }
    /* Those whose turn has not come keep what their last inspect said. */
    for (size_t k = sent; k < ndue; k++) {
        struct docker_seen *e = seen_find(env, &r->ctrs[due[k]]);
        if (e != NULL)
            r->ctrs[due[k]] = e->got;
    }
    free(due);
}

static void on_list(struct curl_uv_xfer *x, CURLcode rc)
{
    struct docker_req *q = x->data;
    struct docker_round *r = q->r;
    bool ok;

    r->pending--;
    ok = req_ok(q, rc) && (r->libpod ? docker_map_list_libpod : docker_map_list)(
                              q->body.data ? q->body.data : "", q->body.len, &r->ctrs, &r->nctrs,
                              r->error, sizeof(r->error)) == 0;
    /* Podman's own listing from the next round on when the engine said
     * it is Podman; the compatible one again when that listing failed. */
    set_libpod(r->env, r->socket, q->libpod && (ok || !r->libpod));
    if (ok)
        inspect_start(r);
    if (r->pending == 0)
        round_finish(r);
}

/* The listing's path: all=1 and the url-encoded label filter. */
static void list_path(struct docker_round *r, char *path, size_t n)
{
    json_t *labels = json_array();

    for (size_t i = 0; i < r->nfilter; i++)
        json_array_append_new(labels, json_string(r->filter[i]));
    json_t *root = json_pack("{s:o}", "label", labels);
    char *json = r->nfilter ? json_dumps(root, JSON_COMPACT) : NULL;
    char *enc = json ? curl_easy_escape(NULL, json, 0) : NULL;
    if (enc)
        ht_snprintf(path, n, "/containers/json?all=%s&filters=%s", r->libpod ? "true" : "1", enc);
    else
        ht_snprintf(path, n, "/containers/json?all=%s", r->libpod ? "true" : "1");
    curl_free(enc);
    free(json);
    json_decref(root);
}

static void on_gather(uv_timer_t *t)
{
    struct docker_round *r = t->data;
    char path[1024];

    r->phase = ROUND_LISTING;
    filter_compute(r);
    r->libpod = is_libpod(r->env, r->socket);
    list_path(r, path, sizeof(path));
    if (req_start(r, r->libpod ? LIBPOD_API : DOCKER_API, path, SIZE_MAX, LIST_MAX, on_list) ==
        NULL) {
        ht_strlcpy(r->error, "cannot start a transfer", sizeof(r->error));
        round_finish(r);
    }
}

static struct docker_round *round_find(struct docker_env *env, struct probe *p, int64_t deadline)
{
    for (struct docker_round *r = env->rounds; r; r = r->next) {
        if (strcmp(r->socket, probe_socket(p)) != 0 || r->deadline_ms > deadline)
            continue;
        if (r->phase == ROUND_GATHER || (r->phase == ROUND_LISTING && filter_covers(r, p)))
            return r;
    }
    return NULL;
}

static int start(struct probe *p)
{
    struct docker_env *env = p->env->docker;
    int64_t deadline = ht_now_ms() + p->svc->timeout_ms;
    struct docker_round *r;

    /* The event stream is up and nothing happened: the last listing. */
    if (docker_events_cached(env->events, p->svc, &p->result))
        return -1;
    r = round_find(env, p, deadline);

    if (r == NULL) {
        r = xcalloc(1, sizeof(*r));
        r->env = env;
        r->socket = xstrdup(probe_socket(p));
        r->deadline_ms = deadline;
        r->timeout_ms = p->svc->timeout_ms;
        uv_timer_init(env->loop, &r->gather);
        r->gather.data = r;
        uv_timer_start(&r->gather, on_gather, GATHER_MS, 0);
        r->next = env->rounds;
        env->rounds = r;
    }
    round_add(r, p);
    docker_events_watch(env->events, p->svc);
    return 0;
}

static void cancel(struct probe *p)
{
    struct docker_round *r = p->priv;

    if (r == NULL || !round_remove(r, p))
        return;
    probe_msg(p, "cancelled");
    p->result.latency_us = probe_elapsed_us(p);
    if (r->nprobes == 0 && r->phase != ROUND_FINISH)
        round_free(r);
    probe_done(p);
}

/* ---- the config: `docker: SERVICE` or {service, project, socket} ------- */

static const char *const docker_keys[] = {"service", "project", "socket", NULL};

/* The engine's address when the config names none (docker_host.h). */
static void docker_default_socket(struct ydoc *d, const struct ypair *p, struct docker_config *c)
{
    char err[PROBE_MSG_MAX * 2];

    if (docker_host_resolve(&c->socket, err, sizeof(err)) != 0)
        ydoc_error(d, p->key, "%s", err);
}

static void parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct docker_config *c = &s->u.docker;
    struct ypair *pairs;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        c->service = ydoc_str(d, p->value, "docker service");
    } else if (ydoc_pairs(d, p->value, &pairs, &np) == 0) {
        for (size_t i = 0; i < np; i++) {
            if (strcmp(pairs[i].name, "service") == 0)
                c->service = ydoc_str(d, pairs[i].value, "service");
            else if (strcmp(pairs[i].name, "project") == 0)
                c->project = ydoc_str(d, pairs[i].value, "project");
            else if (strcmp(pairs[i].name, "socket") == 0) {
                char *addr = NULL;
                c->socket = ydoc_str(d, pairs[i].value, "socket");
                if (c->socket != NULL && c->socket[0] != '/' &&
                    docker_host_parse(c->socket, &addr) != 0)
                    ydoc_error(d, pairs[i].value,
                               "socket must be an absolute path, unix:// or tcp://, not '%s'",
                               c->socket);
                if (addr != NULL) {
                    free(c->socket);
                    c->socket = addr;
                }
            } else
                ydoc_unknown_key(d, &pairs[i], "docker", docker_keys,
                                 HT_ARRAY_LEN(docker_keys) - 1);
        }
        free(pairs);
        if (c->service == NULL && c->project == NULL && !d->over_budget)
            ydoc_error(d, p->key, "docker needs a service: (the compose service name)");
    }
    if (c->socket == NULL)
        docker_default_socket(d, p, c);
}

static void free_config(struct svc_config *s)
{
    free(s->u.docker.service);
    free(s->u.docker.project);
    free(s->u.docker.socket);
}

static void describe(const struct svc_config *s, FILE *f)
{
    const struct docker_config *dk = &s->u.docker;

    fprintf(f, "docker%s%s%s%s", dk->service ? " service " : "", dk->service ? dk->service : "",
            dk->project ? " project " : "", dk->project ? dk->project : "");
}

/* ---- the env ------------------------------------------------------------ */

static int env_init(struct probe_env *penv)
{
    struct docker_env *env = xcalloc(1, sizeof(*env));

    env->loop = penv->loop;
    env->cu = curl_uv_new(penv->loop);
    if (env->cu == NULL) {
        free(env);
        return -1;
    }
    env->events = docker_events_new(penv, env->cu);
    penv->docker = env;
    return 0;
}

/* Probes have all been cancelled by now; rounds left are dropped. */
static void env_close(struct probe_env *penv)
{
    struct docker_env *env = penv->docker;

    if (env == NULL)
        return;
    while (env->rounds) {
        struct docker_round *r = env->rounds;
        r->nprobes = 0;
        round_free(r);
    }
    docker_events_close(env->events);
    curl_uv_close(env->cu);
    free(env->seen);
    while (env->nlibpod > 0)
        free(env->libpod[--env->nlibpod]);
    free(env->libpod);
    free(env);
    penv->docker = NULL;
}

const struct probe_ops probe_docker_ops = {
    .kind = PROBE_DOCKER,
    .name = "docker",
    .form = "a compose service name or a mapping with service:",
    .keys = docker_keys,
    .flags = PROBE_F_FINDS_REPLICAS | PROBE_F_SHARES_ROUNDS,
    .parse = parse,
    .free_config = free_config,
    .describe = describe,
    .env_init = env_init,
    .env_close = env_close,
    .start = start,
    .cancel = cancel,
};
