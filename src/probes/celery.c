/* The celery probe: Celery's `inspect ping` through the Redis broker
 * (kombu pidbox, doc/celery.md), on the loop with hiredis async.
 *
 * Rounds. A broker usually serves several celery services (light, medium
 * and heavy workers), told apart only by a glob on the worker name. Every
 * worker on the broker answers a ping whatever its name, so one ping per
 * broker serves them all: a probe joins a round of its broker (same host,
 * port, db, user and password), and each member filters the round's
 * answers by its own glob when the round ends.
 *
 *   join       a probe joins any round of its broker that has not ended
 *              and whose deadline is no later than the probe's own
 *              (start + timeout), even one whose ping is in flight:
 *              replies already in count for it too. Otherwise it opens a
 *              new round, with its deadline. So every probe keeps its
 *              timeout, and probes due together share one ping.
 *   resolve    uv_getaddrinfo (hiredis would block in getaddrinfo).
 *   connect    two connections, each with AUTH and SELECT queued first:
 *              cmd for SADD, PUBLISH, SREM and DEL; pop for BRPOP, which
 *              blocks its connection.
 *   ping       SADD the reply binding, PUBLISH the envelope (its integer
 *              reply is the number of workers listening), BRPOP the
 *              reply list until as many replies came as PUBLISH counted.
 *   end        at that point or at the deadline: every member gets its
 *              result (the pongs whose names match its glob).
 *   clean-up   always, also after a timeout, an error or a cancel: SREM
 *              the binding and DEL the reply list on cmd, then a graceful
 *              disconnect; pop is freed at once. CLEANUP_MS bounds it.
 *              Skipped when PUBLISH never answered (a hung broker would
 *              not answer these either): both connections close at once.
 *
 * Result of a member (the health module maps it): up = found = distinct
 * workers matching the glob that answered pong, listening = PUBLISH's
 * count, detail = their names. ok = up >= replicas and up > 0, so
 * replicas 0 with none answering is "not ok, up 0": skipped. Message:
 * "2 workers answering"; "1 answering; 2 of 4 on the broker silent" when
 * PUBLISH reached more workers than answered by the end (the first count
 * is this glob's, the others the whole broker's: a silent worker's name
 * is unknown, so it may be this glob's or another service's); "no workers
 * answering"; or the broker's
 * error ("connection refused", "NOAUTH ...", "timeout after 1.0s" when
 * PUBLISH itself did not answer in time).
 *
 * Who owns what: the env lists rounds that can still be joined; a round
 * that ended is off the list but lives on until its name lookup has
 * called back and both hiredis contexts are gone (hiredis frees a context
 * itself on a failed connect and on a broken connection; we free it on a
 * timeout). Its memory is freed from the timer's close callback, never
 * under a hiredis callback that may still look at it. Members are taken
 * off the round one at a time before their callback runs, so a callback
 * may cancel or start probes. */
#include "healthtop/probe.h"

#include <fnmatch.h>
#include <limits.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include "celery_wire.h"
#include "redis_config.h"
#include "redis_uv.h"
#include "targets.h"

#define CLEANUP_MS 1000
#define PIDBOX_SEP "\x06\x16"
#define BINDINGS   "_kombu.binding.reply.celery.pidbox"

struct celery_env {
    uv_loop_t *loop;
    struct celery_round *rounds; /* those that can still be joined */
    int alive;                   /* rounds not yet freed */
    bool closed;                 /* env_close ran: the last round frees env */
};

/* One hiredis connection of a round. */
struct celery_conn {
    struct celery_round *r;
    redisAsyncContext *ac; /* NULL once gone (or certain to go) */
    bool connected;
};

struct celery_round {
    struct celery_env *env;
    struct celery_round *next;
    struct redis_target broker; /* copies, owned */
    char rk[CELERY_UUID_LEN + 1];
    char ticket[CELERY_UUID_LEN + 1];
    char queue[CELERY_UUID_LEN + 32];      /* RK.reply.celery.pidbox */
    char member[2 * CELERY_UUID_LEN + 40]; /* RK SEP SEP queue */
    int64_t deadline_ms;
    int64_t timeout_ms; /* of the member that opened it */
    int64_t connect_start_us, connect_us;
    uv_getaddrinfo_t gai;
    bool resolving;
    uv_timer_t timer; /* the deadline, then the clean-up bound */
    bool ended, cleaning, closing;
    struct celery_conn cmd, pop;
    int listening;                  /* PUBLISH's count; -1 until it answered */
    int replies;                    /* replies with our ticket */
    int ignored;                    /* replies ignored: bad, foreign, too big */
    char (*names)[CELERY_NAME_MAX]; /* distinct workers that answered pong */
    size_t nnames;
    struct probe **probes;
    size_t nprobes, cap;
    char error[PROBE_MSG_MAX];
};

static void round_cleanup(struct celery_round *r);

/* ---- life of a round ---- */

static void env_maybe_free(struct celery_env *env)
{
    if (env->closed && env->alive == 0)
        free(env);
}

static void on_round_closed(uv_handle_t *h)
{
    struct celery_round *r = h->data;
    struct celery_env *env = r->env;

    free(r->broker.host);
    free(r->broker.user);
    free(r->broker.password);
    free(r->names);
    free(r->probes);
    free(r);
    env->alive--;
    env_maybe_free(env);
}

static void round_maybe_free(struct celery_round *r)
{
    if (!r->ended || r->resolving || r->cmd.ac || r->pop.ac || r->closing)
        return;
    r->closing = true;
    uv_close((uv_handle_t *)&r->timer, on_round_closed);
}

static void round_unlink(struct celery_round *r)
{
    for (struct celery_round **pp = &r->env->rounds; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

/* Frees c's context now, or right after the hiredis callback we are in. */
static void conn_free(struct celery_conn *c)
{
    redisAsyncContext *ac = c->ac;

    if (ac == NULL)
        return;
    c->ac = NULL;
    ac->data = NULL;
    redisAsyncFree(ac);
}

/* ---- results ---- */

static bool name_matches(const char *glob, const char *name)
{
    char base[CELERY_NAME_MAX];
    const char *at = strchr(name, '@');

    if (glob == NULL || glob[0] == '\0')
        return true;
    ht_strlcpy(base, name, sizeof(base));
    if (at != NULL)
        base[at - name] = '\0';
    return fnmatch(glob, base, 0) == 0;
}

static void round_result(struct celery_round *r, struct probe *p)
{
    struct probe_result *res = &p->result;
    const char *glob = p->svc->u.celery.workers;
    int replicas = p->svc->replicas, m = 0;
    size_t used = 0;

    res->latency_us = probe_elapsed_us(p);
    res->connect_us = r->connect_us;
    res->listening = r->listening;
    if (r->error[0]) {
        probe_msg(p, "%s", r->error);
        return;
    }
    for (size_t i = 0; i < r->nnames; i++) {
        if (!name_matches(glob, r->names[i]))
            continue;
        m++;
        ht_snprintf(res->detail + used, sizeof(res->detail) - used, "%s%s", used ? ", " : "",
                    r->names[i]);
        used = strlen(res->detail);
    }
    if (r->ignored > 0)
        ht_snprintf(res->detail + used, sizeof(res->detail) - used, "%s(%d replies ignored)",
                    used ? " " : "", r->ignored);
    res->up = res->found = m;
    res->ok = m > 0 && m >= replicas;
    if (m == 0)
        probe_msg(p, "no workers answering");
    else if (r->listening > r->replies) /* the silent ones may be anyone's */
        probe_msg(p, "%d answering; %d of %d on the broker silent", m, r->listening - r->replies,
                  r->listening);
    else
        probe_msg(p, "%d worker%s answering", m, m == 1 ? "" : "s");
}

/* The round ends: every member gets its result, then clean-up starts. */
static void round_end(struct celery_round *r)
{
    if (r->ended)
        return;
    r->ended = true;
    round_unlink(r);
    while (r->nprobes > 0) {
        struct probe *p = r->probes[0];
        memmove(&r->probes[0], &r->probes[1], --r->nprobes * sizeof(*r->probes));
        round_result(r, p);
        probe_done(p);
    }
    round_cleanup(r);
}

static void round_fail(struct celery_round *r, const char *why)
{
    if (r->ended || r->error[0])
        return;
    target_errtext(r->error, sizeof(r->error), why);
    if (r->error[0] == '\0')
        ht_strlcpy(r->error, "broker error", sizeof(r->error));
    round_end(r);
}

/* ---- hiredis callbacks ---- */

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct celery_conn *c = ac->data;

    if (c == NULL)
        return;
    if (status == REDIS_OK) {
        c->connected = true;
        if (c == &c->r->cmd)
            c->r->connect_us = ht_now_us() - c->r->connect_start_us;
        return;
    }
    /* hiredis frees the context when this returns. */
    c->ac = NULL;
    round_fail(c->r, redis_uv_errstr(ac, "cannot connect"));
    round_maybe_free(c->r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct celery_conn *c = ac->data;

    (void)status;
    if (c == NULL)
        return;
    c->ac = NULL;
    round_fail(c->r, redis_uv_errstr(ac, "connection closed"));
    round_maybe_free(c->r);
}

/* True when reply is usable; else ends the round with why it is not. A
 * NULL reply means hiredis is dropping the context. */
static bool reply_ok(struct celery_round *r, redisAsyncContext *ac, const redisReply *reply)
{
    if (reply == NULL) {
        /* hiredis is tearing ac down: it is no longer ours to free. Its
         * disconnect callback, if any, still comes and finds the round. */
        if (r->cmd.ac == ac)
            r->cmd.ac = NULL;
        if (r->pop.ac == ac)
            r->pop.ac = NULL;
        round_fail(r, redis_uv_errstr(ac, "connection closed"));
        return false;
    }
    if (r->ended)
        return false;
    if (reply->type == REDIS_REPLY_ERROR) {
        round_fail(r, reply->str);
        return false;
    }
    return true;
}

/* AUTH, SELECT, SADD, SREM, DEL: only errors matter. */
static void on_plain(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)reply_ok(priv, ac, reply);
}

static void maybe_complete(struct celery_round *r)
{
    if (r->listening >= 0 && r->replies >= r->listening)
        round_end(r);
}

static void on_publish(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_round *r = priv;
    const redisReply *rep = reply;

    if (!reply_ok(r, ac, rep))
        return;
    if (rep->type != REDIS_REPLY_INTEGER) {
        round_fail(r, "unexpected reply to PUBLISH");
        return;
    }
    r->listening = rep->integer <= 0 ? 0 : rep->integer > INT_MAX ? INT_MAX : (int)rep->integer;
    maybe_complete(r);
}

static void add_name(struct celery_round *r, const char *name)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], name) == 0)
            return;
    r->names = xrealloc(r->names, (r->nnames + 1) * sizeof(*r->names));
    ht_strlcpy(r->names[r->nnames++], name, CELERY_NAME_MAX);
}

static void queue_brpop(struct celery_round *r);

static void on_brpop(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_round *r = priv;
    const redisReply *rep = reply;
    char name[CELERY_NAME_MAX];

    if (!reply_ok(r, ac, rep))
        return;
    /* Nil: BRPOP's own timeout ran out before ours; ask again. */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_STRING) {
        const redisReply *v = rep->element[1];
        enum celery_reply d = celery_reply_decode(v->str, v->len, r->ticket, name, sizeof(name));
        if (d != CELERY_REPLY_WRONG_TICKET)
            r->replies++;
        if (d == CELERY_REPLY_PONG)
            add_name(r, name);
        else
            r->ignored++;
    }
    maybe_complete(r);
    if (!r->ended)
        queue_brpop(r);
}

/* ---- commands ---- */

static int command(struct celery_conn *c, redisCallbackFn *fn, int argc, const char **argv)
{
    size_t lens[8];

    if (argc > 8)
        return -1;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (c->ac == NULL || redisAsyncCommandArgv(c->ac, fn, c->r, argc, argv, lens) != REDIS_OK)
        return -1;
    return 0;
}

static void queue_brpop(struct celery_round *r)
{
    char secs[24];
    int64_t left = r->deadline_ms - ht_now_ms();
    const char *argv[] = {"BRPOP", r->queue, secs};

    /* Whole seconds (older servers take no fractions), rounded up: our
     * own timer ends the wait at the deadline. */
    ht_snprintf(secs, sizeof(secs), "%lld", (long long)(left > 0 ? (left + 999) / 1000 : 1));
    if (command(&r->pop, on_brpop, 3, argv) != 0)
        round_fail(r, "cannot queue BRPOP");
}

/* AUTH and SELECT, queued before the connection completes. */
static int queue_login(struct celery_conn *c)
{
    const struct redis_target *b = &c->r->broker;
    const char *argv[3];
    char db[16];
    int argc = 0;

    if (b->password != NULL) {
        argv[argc++] = "AUTH";
        if (b->user != NULL)
            argv[argc++] = b->user;
        argv[argc++] = b->password;
        if (command(c, on_plain, argc, argv) != 0)
            return -1;
    }
    if (b->db == 0)
        return 0;
    ht_snprintf(db, sizeof(db), "%d", b->db);
    argv[0] = "SELECT";
    argv[1] = db;
    return command(c, on_plain, 2, argv);
}

/* A worker's reply to ping is a JSON envelope of a few hundred bytes;
 * BRPOP answers with two strings; the other commands with an integer or
 * OK. Anything much bigger is not a Celery broker talking. */
static const struct redis_uv_limits celery_limits = {.max_buffer = 64 * 1024, .max_elements = 2};

static int conn_open(struct celery_round *r, struct celery_conn *c, const char *ip)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, r->broker.port);
    int one = 1;

    c->r = r;
    if (ac == NULL)
        return -1;
    if (ac->err != 0 || redis_uv_attach(ac, r->env->loop, &celery_limits) != 0) {
        round_fail(r, ac->err ? ac->c.errstr : "cannot watch the socket");
        redisAsyncFree(ac);
        return -1;
    }
    /* Without TCP_NODELAY each command waited ~40 ms (doc/libraries.md). */
    (void)setsockopt(ac->c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->ac = ac;
    ac->data = c;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return queue_login(c);
}

/* SADD the binding, PUBLISH the one envelope celery_envelope_build makes. */
static int queue_ping(struct celery_round *r)
{
    char chan[32];
    char tag[CELERY_UUID_LEN + 1];
    struct buf env;
    int64_t expires = (ht_wall_ms() + r->timeout_ms + 999) / 1000;
    const char *sadd[] = {"SADD", BINDINGS, r->member};
    int rc = -1;

    celery_uuid(tag);
    buf_init(&env, 8192);
    ht_snprintf(chan, sizeof(chan), "/%d.celery.pidbox", r->broker.db);
    if (celery_envelope_build(r->ticket, r->rk, tag, expires, &env) == 0 &&
        command(&r->cmd, on_plain, 3, sadd) == 0) {
        const char *pub[] = {"PUBLISH", chan, env.data};
        rc = command(&r->cmd, on_publish, 3, pub);
    }
    buf_free(&env);
    return rc;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct celery_round *r = req->data;
    char ip[64] = "";

    r->resolving = false;
    if (status == 0 && res->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, ip, sizeof(ip));
    else if (status == 0)
        uv_ip4_name((const struct sockaddr_in *)res->ai_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);
    if (r->ended) {
        round_maybe_free(r);
        return;
    }
    if (status != 0) {
        ht_snprintf(r->error, sizeof(r->error), "cannot resolve %s: %s", r->broker.host,
                    uv_strerror(status));
        round_end(r);
        round_maybe_free(r);
        return;
    }
    r->connect_start_us = ht_now_us();
    if (conn_open(r, &r->cmd, ip) != 0 || conn_open(r, &r->pop, ip) != 0 || queue_ping(r) != 0)
        round_fail(r, "cannot queue commands");
    else
        queue_brpop(r);
    round_maybe_free(r);
}

/* ---- deadline and clean-up ---- */

static void on_timer(uv_timer_t *t)
{
    struct celery_round *r = t->data;

    if (!r->ended) {
        /* Before PUBLISH answered there is nothing to report but the
         * timeout; after, the workers that answered in time. */
        if (r->listening < 0) {
            char d[32];
            ht_duration_format(r->timeout_ms, d, sizeof(d));
            ht_snprintf(r->error, sizeof(r->error), "timeout after %s", d);
        }
        round_end(r);
    } else {
        conn_free(&r->cmd); /* the broker did not answer SREM/DEL in time */
        conn_free(&r->pop);
    }
    round_maybe_free(r);
}

/* SREM the binding and DEL the reply list, whatever happened, so no key
 * of ours is left behind; pop's BRPOP is abandoned. */
static void round_cleanup(struct celery_round *r)
{
    const char *srem[] = {"SREM", BINDINGS, r->member};
    /* kombu's priority lists too (Q SEP 3/6/9), as its own client does. */
    char q3[sizeof(r->queue) + 4], q6[sizeof(q3)], q9[sizeof(q3)];
    const char *del[] = {"DEL", r->queue, q3, q6, q9};

    ht_snprintf(q3, sizeof(q3), "%s" PIDBOX_SEP "3", r->queue);
    ht_snprintf(q6, sizeof(q6), "%s" PIDBOX_SEP "6", r->queue);
    ht_snprintf(q9, sizeof(q9), "%s" PIDBOX_SEP "9", r->queue);

    if (r->cleaning)
        return;
    r->cleaning = true;
    if (r->resolving)
        (void)uv_cancel((uv_req_t *)&r->gai);
    conn_free(&r->pop);
    /* A broker that left PUBLISH unanswered until the deadline would leave
     * SREM and DEL unanswered too: waiting for them would only make the
     * run outlast its timeout (--once promises it does not). */
    if (r->cmd.ac != NULL && r->cmd.connected && r->listening >= 0 &&
        command(&r->cmd, on_plain, 3, srem) == 0 && command(&r->cmd, on_plain, 5, del) == 0)
        redisAsyncDisconnect(r->cmd.ac);
    else
        conn_free(&r->cmd); /* not connected: nothing was sent */
    if (r->cmd.ac != NULL)
        uv_timer_start(&r->timer, on_timer, CLEANUP_MS, 0);
    else
        uv_timer_stop(&r->timer);
    /* Safe anywhere: the memory goes in the timer's close callback. */
    round_maybe_free(r);
}

/* ---- the probe interface ---- */

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool same_broker(const struct redis_target *a, const struct redis_target *b)
{
    return a->port == b->port && a->db == b->db && same_str(a->host, b->host) &&
           same_str(a->user, b->user) && same_str(a->password, b->password);
}

static struct celery_round *round_new(struct celery_env *env, struct probe *p, int64_t deadline)
{
    const struct redis_target *b = &p->svc->u.celery.broker;
    struct celery_round *r = xcalloc(1, sizeof(*r));
    struct addrinfo hints;
    char port[16];

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    ht_snprintf(port, sizeof(port), "%d", b->port);
    r->env = env;
    r->broker.host = xstrdup(b->host ? b->host : "127.0.0.1");
    r->broker.port = b->port;
    r->broker.db = b->db;
    r->broker.user = b->user ? xstrdup(b->user) : NULL;
    r->broker.password = b->password ? xstrdup(b->password) : NULL;
    r->deadline_ms = deadline;
    r->timeout_ms = p->svc->timeout_ms;
    r->listening = -1;
    r->connect_us = -1;
    celery_uuid(r->rk);
    celery_uuid(r->ticket);
    ht_snprintf(r->queue, sizeof(r->queue), "%s.reply.celery.pidbox", r->rk);
    ht_snprintf(r->member, sizeof(r->member), "%s" PIDBOX_SEP PIDBOX_SEP "%s", r->rk, r->queue);
    uv_timer_init(env->loop, &r->timer);
    r->timer.data = r;
    r->gai.data = r;
    env->alive++;
    int rc = uv_getaddrinfo(env->loop, &r->gai, on_resolved, r->broker.host, port, &hints);
    if (rc != 0) {
        ht_snprintf(p->result.message, sizeof(p->result.message), "cannot resolve %s: %s",
                    r->broker.host, uv_strerror(rc));
        r->ended = r->cleaning = true;
        round_maybe_free(r);
        return NULL;
    }
    r->resolving = true;
    uv_timer_start(&r->timer, on_timer, (uint64_t)(deadline - ht_now_ms()), 0);
    r->next = env->rounds;
    env->rounds = r;
    return r;
}

static int start(struct probe *p)
{
    struct celery_env *env = p->env->celery;
    int64_t deadline = ht_now_ms() + p->svc->timeout_ms;
    struct celery_round *r;

    for (r = env->rounds; r; r = r->next)
        if (r->deadline_ms <= deadline && same_broker(&r->broker, &p->svc->u.celery.broker))
            break;
    if (r == NULL && (r = round_new(env, p, deadline)) == NULL)
        return -1;
    XGROW(r->probes, r->cap, r->nprobes + 1);
    r->probes[r->nprobes++] = p;
    p->priv = r;
    return 0;
}

static void cancel(struct probe *p)
{
    struct celery_round *r = p->priv;

    for (size_t i = 0; r && i < r->nprobes; i++) {
        if (r->probes[i] != p)
            continue;
        memmove(&r->probes[i], &r->probes[i + 1], (r->nprobes - i - 1) * sizeof(*r->probes));
        r->nprobes--;
        /* The last member gone: no one wants the round any more. */
        if (r->nprobes == 0 && !r->ended) {
            ht_strlcpy(r->error, "cancelled", sizeof(r->error));
            round_end(r);
            round_maybe_free(r);
        }
        probe_msg(p, "cancelled");
        p->result.latency_us = probe_elapsed_us(p);
        probe_done(p);
        return;
    }
}

static int env_init(struct probe_env *penv)
{
    struct celery_env *env = xcalloc(1, sizeof(*env));

    env->loop = penv->loop;
    penv->celery = env;
    return 0;
}

/* Probes have been cancelled by now; rounds still cleaning up finish on
 * their own (bounded by CLEANUP_MS) and the last one frees env. */
static void env_close(struct probe_env *penv)
{
    struct celery_env *env = penv->celery;

    if (env == NULL)
        return;
    while (env->rounds) {
        struct celery_round *r = env->rounds;
        r->nprobes = 0;
        round_end(r);
        round_maybe_free(r);
    }
    env->closed = true;
    penv->celery = NULL;
    env_maybe_free(env);
}

const struct probe_ops probe_celery_ops = {
    .kind = PROBE_CELERY,
    .name = "celery",
    .form = "a broker URL or a mapping with broker:",
    .keys = celery_config_keys,
    .flags = PROBE_F_FINDS_REPLICAS,
    .parse = celery_config_parse,
    .free_config = celery_config_free,
    .describe = celery_config_describe,
    .env_init = env_init,
    .env_close = env_close,
    .start = start,
    .cancel = cancel,
};
