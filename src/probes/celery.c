/* The celery probe: Celery's `inspect ping` through the Redis broker
 * (kombu pidbox, doc/celery.md), on the loop with hiredis async.
 *
 * Brokers. A broker usually serves several celery services (light, medium
 * and heavy workers), told apart only by a glob on the worker name. The
 * env keeps one struct celery_broker per broker target (host, port, db,
 * user, password), and it keeps that broker's connections open from round
 * to round, so a stack watched every few seconds costs a PUBLISH and a
 * pop per round, not two connects, a login and a teardown:
 *
 *   cmd        AUTH, SELECT and CLIENT SETNAME queued first, then SADD
 *              of the broker's reply binding (once per session), then one
 *              PUBLISH per round.
 *   pop        the same login, then BRPOP on the broker's reply list,
 *              which blocks its connection: it is re-issued while rounds
 *              are open, and one pending BRPOP serves every round.
 *
 * The reply binding and list are the broker's for its whole life (one
 * routing key); the rounds are told apart by their tickets. A session
 * (the pair of connections) ends on any error: a refused connect, a
 * closed connection, an error reply, a reply past the bounds, or a round
 * whose PUBLISH went unanswered until its deadline (a hung broker). Every
 * open round then fails with the reason, and the next round reconnects,
 * after an exponential backoff from the second failure in a row on
 * (BACKOFF_FIRST_MS doubling up to BACKOFF_MAX_MS). A round that falls in
 * the backoff fails at once (on the next loop turn), saying so, so a down
 * broker still gives every probe a result every round.
 *
 * Rounds. Every worker on the broker answers a ping whatever its name, so
 * one ping per broker serves them all: a probe joins an open round of its
 * broker whose deadline is no later than its own (start + timeout), even
 * one whose ping is in flight (replies already in count for it too), or
 * opens a new round with its own deadline. A round ends when as many
 * replies with its ticket came as PUBLISH counted, or at its deadline;
 * each member then gets the pongs whose names match its glob.
 *
 * Result of a member (the health module maps it): up = found = distinct
 * workers matching the glob that answered pong, listening = PUBLISH's
 * count, detail = their names. ok = up >= replicas and up > 0, so
 * replicas 0 with none answering is "not ok, up 0": skipped. Message:
 * "2 workers answering"; "1 answering; 2 of 4 on the broker silent" when
 * PUBLISH reached more workers than answered by the end (the first count
 * is this glob's, the others the whole broker's: a silent worker's name
 * is unknown, so it may be this glob's or another service's); "no workers
 * answering"; or the broker's error ("connection refused", "NOAUTH ...",
 * "timeout after 1.0s" when PUBLISH itself did not answer in time,
 * "broker unreachable (connection refused), next try in 2s").
 *
 * Who owns what: a round lives until it ended and its PUBLISH callback
 * (if one was queued) came back; a broker lives until env_close, then
 * until its name lookup called back and both hiredis contexts are gone
 * (hiredis frees a context itself on a failed connect and on a broken
 * connection; we free it on errors and at close). Memory is freed from
 * the timers' close callbacks, never under a hiredis callback that may
 * still look at it. Members are taken off a round one at a time before
 * their callback runs, so a callback may cancel or start probes. */
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

#define CLEANUP_MS       1000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   16000
#define CLIENT_NAME      "healthtop"
#define PIDBOX_SEP       "\x06\x16"
#define BINDINGS         "_kombu.binding.reply.celery.pidbox"

struct celery_env {
    uv_loop_t *loop;
    struct celery_broker *brokers;
    int alive;   /* brokers and rounds not yet freed */
    bool closed; /* env_close ran: the last one freed frees env */
};

/* One hiredis connection of a broker. */
struct celery_conn {
    struct celery_broker *b;
    redisAsyncContext *ac; /* NULL once gone (or certain to go) */
};

struct celery_broker {
    struct celery_env *env;
    struct celery_broker *next;
    struct redis_target target;            /* copies, owned */
    char queue[CELERY_UUID_LEN + 32];      /* RK.reply.celery.pidbox */
    char rk[CELERY_UUID_LEN + 1];          /* the binding's routing key */
    char member[2 * CELERY_UUID_LEN + 40]; /* RK SEP SEP queue */
    uv_getaddrinfo_t gai;
    bool resolving;
    struct celery_conn cmd, pop;
    bool answered;    /* PUBLISH answered in this session: worth a clean-up */
    bool popping;     /* a BRPOP is pending on pop */
    int failures;     /* sessions failed in a row */
    int64_t retry_ms; /* no new session before this (ht_now_ms) */
    int64_t connect_start_us;
    char why[PROBE_MSG_MAX];     /* why the last session failed */
    struct celery_round *rounds; /* open rounds, oldest first */
    uv_timer_t timer;            /* bounds the clean-up at close */
    bool closing, freeing;
};

struct celery_round {
    struct celery_env *env; /* outlives b, which may go first at close */
    struct celery_broker *b;
    struct celery_round *next;
    char ticket[CELERY_UUID_LEN + 1];
    int64_t deadline_ms;
    int64_t timeout_ms; /* of the member that opened it */
    int64_t connect_us; /* when this round's session connected, else -1 */
    uv_timer_t timer;   /* the deadline, or 0 ms to report an error */
    bool ended, freeing;
    int pending;                    /* its PUBLISH callback still to come */
    int listening;                  /* PUBLISH's count; -1 until it answered */
    int replies;                    /* replies with our ticket */
    int ignored;                    /* replies ignored: bad, too big */
    char (*names)[CELERY_NAME_MAX]; /* distinct workers that answered pong */
    size_t nnames;
    struct probe **probes;
    size_t nprobes, cap;
    char error[PROBE_MSG_MAX];
};

static void session_fail(struct celery_broker *b, const char *why);
static void broker_pop(struct celery_broker *b);

/* ---- memory ---- */

static void env_maybe_free(struct celery_env *env)
{
    if (env->closed && env->alive == 0)
        free(env);
}

static void on_round_closed(uv_handle_t *h)
{
    struct celery_round *r = h->data;
    struct celery_env *env = r->env;

    free(r->names);
    free(r->probes);
    free(r);
    env->alive--;
    env_maybe_free(env);
}

static void round_maybe_free(struct celery_round *r)
{
    if (!r->ended || r->pending > 0 || r->freeing)
        return;
    r->freeing = true;
    uv_close((uv_handle_t *)&r->timer, on_round_closed);
}

static void on_broker_closed(uv_handle_t *h)
{
    struct celery_broker *b = h->data;
    struct celery_env *env = b->env;

    free(b->target.host);
    free(b->target.user);
    free(b->target.password);
    free(b);
    env->alive--;
    env_maybe_free(env);
}

static void broker_maybe_free(struct celery_broker *b)
{
    if (!b->closing || b->resolving || b->cmd.ac || b->pop.ac || b->freeing)
        return;
    b->freeing = true;
    uv_close((uv_handle_t *)&b->timer, on_broker_closed);
}

/* Frees c's context now, or right after the hiredis callback we are in.
 * Its pending callbacks get a NULL reply and find it is no longer ours. */
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

static void round_unlink(struct celery_round *r)
{
    for (struct celery_round **pp = &r->b->rounds; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

/* The round ends: every member gets its result. */
static void round_end(struct celery_round *r)
{
    if (r->ended)
        return;
    r->ended = true;
    round_unlink(r);
    uv_timer_stop(&r->timer);
    while (r->nprobes > 0) {
        struct probe *p = r->probes[0];
        memmove(&r->probes[0], &r->probes[1], --r->nprobes * sizeof(*r->probes));
        round_result(r, p);
        probe_done(p);
    }
    round_maybe_free(r);
}

static void round_fail(struct celery_round *r, const char *why)
{
    if (r->ended || r->error[0])
        return;
    ht_strlcpy(r->error, why, sizeof(r->error));
    round_end(r);
}

static void on_round_timer(uv_timer_t *t);

/* Ends r with why on the next loop turn: for failures found inside
 * start(), which must not call back. */
static void round_fail_soon(struct celery_round *r, const char *why)
{
    if (r->error[0] == '\0')
        ht_strlcpy(r->error, why, sizeof(r->error));
    uv_timer_start(&r->timer, on_round_timer, 0, 0);
}

static void on_round_timer(uv_timer_t *t)
{
    struct celery_round *r = t->data;
    struct celery_broker *b = r->b;
    bool hung = false;

    if (r->ended)
        return;
    /* Before PUBLISH answered there is nothing to report but the timeout;
     * after, the workers that answered in time. */
    if (r->error[0] == '\0' && r->listening < 0) {
        char d[32];
        ht_duration_format(r->timeout_ms, d, sizeof(d));
        ht_snprintf(r->error, sizeof(r->error), "timeout after %s", d);
        hung = r->pending > 0 && b->cmd.ac != NULL;
    }
    round_end(r);
    /* A broker that left PUBLISH unanswered until the deadline is hung:
     * its connections are no use to the next round. */
    if (hung)
        session_fail(b, r->error);
}

/* ---- sessions ---- */

static int64_t backoff_ms(int failures)
{
    int64_t ms = BACKOFF_FIRST_MS;

    /* The first failure is retried by the next round; then 1 s, 2 s, ... */
    if (failures <= 1)
        return 0;
    for (int i = 2; i < failures && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* Drops both connections and fails every open round with why. Also right
 * when hiredis is already tearing one down (its conn's ac is then NULL). */
static void session_fail(struct celery_broker *b, const char *why)
{
    char text[PROBE_MSG_MAX];

    if (b->closing) /* env_close let go of everything already */
        return;
    target_errtext(text, sizeof(text), why);
    if (text[0] == '\0')
        ht_strlcpy(text, "broker error", sizeof(text));
    ht_strlcpy(b->why, text, sizeof(b->why));
    b->failures++;
    b->retry_ms = ht_now_ms() + backoff_ms(b->failures);
    b->answered = b->popping = false;
    conn_free(&b->pop);
    conn_free(&b->cmd);
    while (b->rounds != NULL)
        round_fail(b->rounds, text);
}

static bool is_current(const struct celery_broker *b, const redisAsyncContext *ac)
{
    return ac != NULL && (ac == b->cmd.ac || ac == b->pop.ac);
}

/* True when reply is usable. A NULL reply means hiredis is dropping the
 * context: when it is one of the current session's, that ends the session
 * (the context is no longer ours to free). An error reply ends it too. */
static bool reply_ok(struct celery_broker *b, redisAsyncContext *ac, const redisReply *reply)
{
    if (!is_current(b, ac) || b->closing)
        return false;
    if (reply == NULL) {
        if (b->cmd.ac == ac)
            b->cmd.ac = NULL;
        else
            b->pop.ac = NULL;
        ac->data = NULL; /* its disconnect callback has nothing to add */
        session_fail(b, redis_uv_errstr(ac, "connection closed"));
        return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        session_fail(b, reply->str);
        return false;
    }
    return true;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct celery_conn *c = ac->data;
    struct celery_broker *b = c ? c->b : NULL;

    if (c == NULL)
        return;
    if (status == REDIS_OK) {
        if (c == &b->cmd) {
            int64_t us = ht_now_us() - b->connect_start_us;
            for (struct celery_round *r = b->rounds; r; r = r->next)
                r->connect_us = us;
        }
        return;
    }
    /* hiredis frees the context when this returns. */
    c->ac = NULL;
    ((redisAsyncContext *)ac)->data = NULL;
    if (!b->closing)
        session_fail(b, redis_uv_errstr(ac, "cannot connect"));
    broker_maybe_free(b);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct celery_conn *c = ac->data;
    struct celery_broker *b = c ? c->b : NULL;

    (void)status;
    if (c == NULL)
        return;
    c->ac = NULL;
    if (!b->closing)
        session_fail(b, redis_uv_errstr(ac, "connection closed"));
    broker_maybe_free(b);
}

/* AUTH, SELECT, SADD: only errors matter. */
static void on_plain(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)reply_ok(priv, ac, reply);
}

/* CLIENT SETNAME is a courtesy (the name shows in CLIENT LIST): a broker
 * whose ACL refuses it is still probed. */
static void on_ignore(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    (void)reply;
    (void)priv;
}

static void maybe_complete(struct celery_round *r)
{
    if (r->listening >= 0 && r->replies >= r->listening)
        round_end(r);
}

static void on_publish(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_round *r = priv;
    struct celery_broker *b = r->b;
    const redisReply *rep = reply;

    r->pending--;
    if (reply_ok(b, ac, rep)) {
        if (rep->type != REDIS_REPLY_INTEGER) {
            session_fail(b, "unexpected reply to PUBLISH");
        } else {
            b->failures = 0;
            b->answered = true;
            if (!r->ended) {
                r->listening = rep->integer <= 0        ? 0
                               : rep->integer > INT_MAX ? INT_MAX
                                                        : (int)rep->integer;
                maybe_complete(r);
            }
        }
    }
    round_maybe_free(r);
}

static void add_name(struct celery_round *r, const char *name)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], name) == 0)
            return;
    r->names = xrealloc(r->names, (r->nnames + 1) * sizeof(*r->names));
    ht_strlcpy(r->names[r->nnames++], name, CELERY_NAME_MAX);
}

/* One reply from the list: it belongs to the open round whose ticket it
 * carries, if any (a late reply to an ended round is dropped). */
static void take_reply(struct celery_broker *b, const char *data, size_t len)
{
    char name[CELERY_NAME_MAX];

    for (struct celery_round *r = b->rounds; r; r = r->next) {
        enum celery_reply d = celery_reply_decode(data, len, r->ticket, name, sizeof(name));
        if (d == CELERY_REPLY_WRONG_TICKET)
            continue;
        r->replies++;
        if (d == CELERY_REPLY_PONG)
            add_name(r, name);
        else
            r->ignored++;
        maybe_complete(r);
        return;
    }
}

static void on_brpop(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_broker *b = priv;
    const redisReply *rep = reply;

    if (ac == b->pop.ac)
        b->popping = false;
    if (!reply_ok(b, ac, rep))
        return;
    /* Nil: BRPOP's own timeout ran out before ours; ask again. */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_STRING)
        take_reply(b, rep->element[1]->str, rep->element[1]->len);
    broker_pop(b);
}

/* ---- commands ---- */

static int command(struct celery_conn *c, redisCallbackFn *fn, void *priv, int argc,
                   const char **argv)
{
    size_t lens[8];

    if (argc > 8)
        return -1;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (c->ac == NULL || redisAsyncCommandArgv(c->ac, fn, priv, argc, argv, lens) != REDIS_OK)
        return -1;
    return 0;
}

/* BRPOP while rounds are open and none is pending. */
static void broker_pop(struct celery_broker *b)
{
    char secs[24];
    int64_t last = 0;
    const char *argv[] = {"BRPOP", b->queue, secs};

    if (b->popping || b->rounds == NULL || b->pop.ac == NULL)
        return;
    for (struct celery_round *r = b->rounds; r; r = r->next)
        if (r->deadline_ms > last)
            last = r->deadline_ms;
    last -= ht_now_ms();
    /* Whole seconds (older servers take no fractions), rounded up: the
     * rounds' own timers end them at their deadlines. */
    ht_snprintf(secs, sizeof(secs), "%lld", (long long)(last > 0 ? (last + 999) / 1000 : 1));
    if (command(&b->pop, on_brpop, b, 3, argv) == 0)
        b->popping = true;
    else
        session_fail(b, "cannot queue BRPOP");
}

/* AUTH, SELECT and CLIENT SETNAME, queued before the connection completes. */
static int queue_login(struct celery_conn *c)
{
    const struct redis_target *t = &c->b->target;
    const char *argv[4];
    char db[16];
    int argc = 0;

    if (t->password != NULL) {
        argv[argc++] = "AUTH";
        if (t->user != NULL)
            argv[argc++] = t->user;
        argv[argc++] = t->password;
        if (command(c, on_plain, c->b, argc, argv) != 0)
            return -1;
    }
    if (t->db != 0) {
        ht_snprintf(db, sizeof(db), "%d", t->db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (command(c, on_plain, c->b, 2, argv) != 0)
            return -1;
    }
    argv[0] = "CLIENT";
    argv[1] = "SETNAME";
    argv[2] = CLIENT_NAME;
    return command(c, on_ignore, NULL, 3, argv);
}

/* A worker's reply to ping is a JSON envelope of a few hundred bytes;
 * BRPOP answers with two strings; the other commands with an integer or
 * OK. Anything much bigger is not a Celery broker talking. */
static const struct redis_uv_limits celery_limits = {.max_buffer = 64 * 1024, .max_elements = 2};

static int conn_open(struct celery_broker *b, struct celery_conn *c, const char *ip)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, b->target.port);
    int one = 1;

    c->b = b;
    if (ac == NULL)
        return -1;
    if (ac->err != 0 || redis_uv_attach(ac, b->env->loop, &celery_limits) != 0) {
        ht_strlcpy(b->why, ac->err ? ac->c.errstr : "cannot watch the socket", sizeof(b->why));
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

/* PUBLISH the one envelope celery_envelope_build makes, for round r. */
static void round_publish(struct celery_round *r)
{
    struct celery_broker *b = r->b;
    char chan[32];
    char tag[CELERY_UUID_LEN + 1];
    struct buf env;
    int64_t expires = (ht_wall_ms() + r->timeout_ms + 999) / 1000;
    int rc = -1;

    celery_uuid(tag);
    buf_init(&env, 8192);
    ht_snprintf(chan, sizeof(chan), "/%d.celery.pidbox", b->target.db);
    if (celery_envelope_build(r->ticket, b->rk, tag, expires, &env) == 0) {
        const char *pub[] = {"PUBLISH", chan, env.data};
        rc = command(&b->cmd, on_publish, r, 3, pub);
    }
    buf_free(&env);
    if (rc == 0)
        r->pending++;
    else
        round_fail_soon(r, "cannot queue PUBLISH");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct celery_broker *b = req->data;
    const char *sadd[] = {"SADD", BINDINGS, b->member};
    char ip[64] = "", why[PROBE_MSG_MAX];

    b->resolving = false;
    if (status == 0 && res->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, ip, sizeof(ip));
    else if (status == 0)
        uv_ip4_name((const struct sockaddr_in *)res->ai_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);
    if (b->closing) {
        broker_maybe_free(b);
        return;
    }
    if (status != 0) {
        ht_snprintf(why, sizeof(why), "cannot resolve %s: %s", b->target.host, uv_strerror(status));
        session_fail(b, why);
        return;
    }
    b->connect_start_us = ht_now_us();
    b->why[0] = '\0';
    if (conn_open(b, &b->cmd, ip) != 0 || conn_open(b, &b->pop, ip) != 0 ||
        command(&b->cmd, on_plain, b, 3, sadd) != 0) {
        ht_strlcpy(why, b->why[0] ? b->why : "cannot queue commands", sizeof(why));
        session_fail(b, why);
        return;
    }
    for (struct celery_round *r = b->rounds; r; r = r->next)
        if (r->error[0] == '\0') /* else it fails on the next turn */
            round_publish(r);
    broker_pop(b);
}

/* Gets r's ping going on b's session, opening one when there is none
 * and the backoff allows. Called from start(): never calls back. */
static void broker_use(struct celery_broker *b, struct celery_round *r)
{
    struct addrinfo hints;
    char port[16], d[32];
    int rc;

    if (b->cmd.ac != NULL) {
        round_publish(r);
        broker_pop(b);
        return;
    }
    if (b->resolving)
        return; /* on_resolved publishes it */
    if (b->failures > 0 && ht_now_ms() < b->retry_ms) {
        ht_duration_format(b->retry_ms - ht_now_ms(), d, sizeof(d));
        ht_snprintf(r->error, sizeof(r->error), "broker unreachable (%s), next try in %s", b->why,
                    d);
        round_fail_soon(r, r->error);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    ht_snprintf(port, sizeof(port), "%d", b->target.port);
    rc = uv_getaddrinfo(b->env->loop, &b->gai, on_resolved, b->target.host, port, &hints);
    if (rc != 0) {
        ht_snprintf(b->why, sizeof(b->why), "cannot resolve %s: %s", b->target.host,
                    uv_strerror(rc));
        b->failures++;
        b->retry_ms = ht_now_ms() + backoff_ms(b->failures);
        round_fail_soon(r, b->why);
        return;
    }
    b->resolving = true;
}

/* ---- the probe interface ---- */

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool same_target(const struct redis_target *a, const struct redis_target *b)
{
    const char *ha = a->host ? a->host : "127.0.0.1", *hb = b->host ? b->host : "127.0.0.1";

    return a->port == b->port && a->db == b->db && strcmp(ha, hb) == 0 &&
           same_str(a->user, b->user) && same_str(a->password, b->password);
}

static struct celery_broker *broker_get(struct celery_env *env, const struct redis_target *t)
{
    struct celery_broker *b;

    for (b = env->brokers; b; b = b->next)
        if (same_target(&b->target, t))
            return b;
    b = xcalloc(1, sizeof(*b));
    b->env = env;
    b->target.host = xstrdup(t->host ? t->host : "127.0.0.1");
    b->target.port = t->port;
    b->target.db = t->db;
    b->target.user = t->user ? xstrdup(t->user) : NULL;
    b->target.password = t->password ? xstrdup(t->password) : NULL;
    celery_uuid(b->rk);
    ht_snprintf(b->queue, sizeof(b->queue), "%s.reply.celery.pidbox", b->rk);
    ht_snprintf(b->member, sizeof(b->member), "%s" PIDBOX_SEP PIDBOX_SEP "%s", b->rk, b->queue);
    b->cmd.b = b->pop.b = b;
    b->gai.data = b;
    uv_timer_init(env->loop, &b->timer);
    b->timer.data = b;
    b->next = env->brokers;
    env->brokers = b;
    env->alive++;
    return b;
}

static struct celery_round *round_new(struct celery_broker *b, struct probe *p, int64_t deadline)
{
    struct celery_round *r = xcalloc(1, sizeof(*r)), **pp;

    r->env = b->env;
    r->b = b;
    r->deadline_ms = deadline;
    r->timeout_ms = p->svc->timeout_ms;
    r->listening = -1;
    r->connect_us = -1;
    celery_uuid(r->ticket);
    uv_timer_init(b->env->loop, &r->timer);
    r->timer.data = r;
    /* From now, not from the loop's cached time: the timeout is the
     * probe's, and the loop may have been busy since it woke. */
    uv_update_time(b->env->loop);
    uv_timer_start(&r->timer, on_round_timer, (uint64_t)p->svc->timeout_ms, 0);
    for (pp = &b->rounds; *pp; pp = &(*pp)->next)
        ;
    *pp = r;
    b->env->alive++;
    return r;
}

static int start(struct probe *p)
{
    struct celery_env *env = p->env->celery;
    struct celery_broker *b = broker_get(env, &p->svc->u.celery.broker);
    int64_t deadline = ht_now_ms() + p->svc->timeout_ms;
    struct celery_round *r;

    for (r = b->rounds; r; r = r->next)
        if (r->deadline_ms <= deadline)
            break;
    if (r == NULL) {
        r = round_new(b, p, deadline);
        broker_use(b, r);
    }
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

static void on_cleanup_timer(uv_timer_t *t)
{
    struct celery_broker *b = t->data;

    conn_free(&b->cmd); /* the broker did not answer SREM/DEL in time */
    broker_maybe_free(b);
}

/* The broker's last act: SREM its binding and DEL its reply list (and
 * kombu's priority lists, Q SEP 3/6/9, as its own client does) when the
 * session is sound, then a graceful disconnect, bounded by CLEANUP_MS. A
 * session whose broker never answered closes at once (a hung broker would
 * not answer these either). */
static void broker_close(struct celery_broker *b)
{
    char q3[sizeof(b->queue) + 4], q6[sizeof(q3)], q9[sizeof(q3)];
    const char *srem[] = {"SREM", BINDINGS, b->member};
    const char *del[] = {"DEL", b->queue, q3, q6, q9};

    ht_snprintf(q3, sizeof(q3), "%s" PIDBOX_SEP "3", b->queue);
    ht_snprintf(q6, sizeof(q6), "%s" PIDBOX_SEP "6", b->queue);
    ht_snprintf(q9, sizeof(q9), "%s" PIDBOX_SEP "9", b->queue);
    while (b->rounds != NULL) {
        b->rounds->nprobes = 0;
        round_end(b->rounds);
    }
    b->closing = true;
    if (b->resolving)
        (void)uv_cancel((uv_req_t *)&b->gai);
    conn_free(&b->pop);
    if (b->cmd.ac != NULL && b->answered && command(&b->cmd, on_plain, b, 3, srem) == 0 &&
        command(&b->cmd, on_plain, b, 5, del) == 0) {
        redisAsyncDisconnect(b->cmd.ac);
        uv_timer_start(&b->timer, on_cleanup_timer, CLEANUP_MS, 0);
    } else {
        conn_free(&b->cmd);
    }
    broker_maybe_free(b);
}

/* Probes have been cancelled by now; brokers still cleaning up finish on
 * their own (bounded by CLEANUP_MS) and the last one freed frees env. */
static void env_close(struct probe_env *penv)
{
    struct celery_env *env = penv->celery;

    if (env == NULL)
        return;
    while (env->brokers) {
        struct celery_broker *b = env->brokers;
        env->brokers = b->next;
        broker_close(b);
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
