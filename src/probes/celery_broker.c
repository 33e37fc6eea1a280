/* The celery probe's broker connections: one session (a command and a
 * BRPOP connection) per broker, kept from round to round, failed and
 * retried with backoff, and cleaned up at close (celery.c, "Brokers"). */
#include "celery_probe.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include "redis_uv.h"
#include "targets.h"

#define CLEANUP_MS       1000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   16000
#define CLIENT_NAME      "healthtop"
#define PIDBOX_SEP       "\x06\x16"
#define BINDINGS         "_kombu.binding.reply.celery.pidbox"

static void broker_pop(struct celery_broker *b);

static void on_broker_closed(uv_handle_t *h)
{
    struct celery_broker *b = h->data;
    struct celery_env *env = b->env;

    free(b->target.host);
    free(b->target.user);
    free(b->target.password);
    free(b);
    env->alive--;
    celery_env_maybe_free(env);
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
void celery_session_fail(struct celery_broker *b, const char *why)
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
        celery_round_fail(b->rounds, text);
}

static bool is_current(const struct celery_broker *b, const redisAsyncContext *ac)
{
    return ac != NULL && (ac == b->cmd.ac || ac == b->pop.ac);
}

/* True when reply is usable. A NULL reply means hiredis is dropping the
 * context: when it is one of the current session's, that ends the session
 * (the context is no longer ours to free). An error reply ends it too. */
bool celery_reply_ok(struct celery_broker *b, redisAsyncContext *ac, const redisReply *reply)
{
    if (!is_current(b, ac) || b->closing)
        return false;
    if (reply == NULL) {
        if (b->cmd.ac == ac)
            b->cmd.ac = NULL;
        else
            b->pop.ac = NULL;
        ac->data = NULL; /* its disconnect callback has nothing to add */
        celery_session_fail(b, redis_uv_errstr(ac, "connection closed"));
        return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        celery_session_fail(b, reply->str);
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
        celery_session_fail(b, redis_uv_errstr(ac, "cannot connect"));
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
        celery_session_fail(b, redis_uv_errstr(ac, "connection closed"));
    broker_maybe_free(b);
}

/* AUTH, SELECT, SADD: only errors matter. */
static void on_plain(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)celery_reply_ok(priv, ac, reply);
}

/* CLIENT SETNAME is a courtesy (the name shows in CLIENT LIST): a broker
 * whose ACL refuses it is still probed. */
static void on_ignore(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    (void)reply;
    (void)priv;
}

static void on_brpop(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_broker *b = priv;
    const redisReply *rep = reply;

    if (ac == b->pop.ac)
        b->popping = false;
    if (!celery_reply_ok(b, ac, rep))
        return;
    /* Nil: BRPOP's own timeout ran out before ours; ask again. */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_STRING)
        celery_take_reply(b, rep->element[1]->str, rep->element[1]->len);
    broker_pop(b);
}

int celery_command(struct celery_conn *c, redisCallbackFn *fn, void *priv, int argc,
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
    if (celery_command(&b->pop, on_brpop, b, 3, argv) == 0)
        b->popping = true;
    else
        celery_session_fail(b, "cannot queue BRPOP");
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
        if (celery_command(c, on_plain, c->b, argc, argv) != 0)
            return -1;
    }
    if (t->db != 0) {
        ht_snprintf(db, sizeof(db), "%d", t->db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (celery_command(c, on_plain, c->b, 2, argv) != 0)
            return -1;
    }
    argv[0] = "CLIENT";
    argv[1] = "SETNAME";
    argv[2] = CLIENT_NAME;
    return celery_command(c, on_ignore, NULL, 3, argv);
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
        celery_session_fail(b, why);
        return;
    }
    b->connect_start_us = ht_now_us();
    b->why[0] = '\0';
    if (conn_open(b, &b->cmd, ip) != 0 || conn_open(b, &b->pop, ip) != 0 ||
        celery_command(&b->cmd, on_plain, b, 3, sadd) != 0) {
        ht_strlcpy(why, b->why[0] ? b->why : "cannot queue commands", sizeof(why));
        celery_session_fail(b, why);
        return;
    }
    for (struct celery_round *r = b->rounds; r; r = r->next)
        if (r->error[0] == '\0') /* else it fails on the next turn */
            celery_round_publish(r);
    broker_pop(b);
}

/* Gets r's ping going on b's session, opening one when there is none
 * and the backoff allows. Called from start(): never calls back. */
void celery_broker_use(struct celery_broker *b, struct celery_round *r)
{
    struct addrinfo hints;
    char port[16], d[32];
    int rc;

    if (b->cmd.ac != NULL) {
        celery_round_publish(r);
        broker_pop(b);
        return;
    }
    if (b->resolving)
        return; /* on_resolved publishes it */
    if (b->failures > 0 && ht_now_ms() < b->retry_ms) {
        ht_duration_format(b->retry_ms - ht_now_ms(), d, sizeof(d));
        ht_snprintf(r->error, sizeof(r->error), "broker unreachable (%s), next try in %s", b->why,
                    d);
        celery_round_fail_soon(r, r->error);
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
        celery_round_fail_soon(r, b->why);
        return;
    }
    b->resolving = true;
}

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

struct celery_broker *celery_broker_get(struct celery_env *env, const struct redis_target *t)
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
void celery_broker_close(struct celery_broker *b)
{
    char q3[sizeof(b->queue) + 4], q6[sizeof(q3)], q9[sizeof(q3)];
    const char *srem[] = {"SREM", BINDINGS, b->member};
    const char *del[] = {"DEL", b->queue, q3, q6, q9};

    ht_snprintf(q3, sizeof(q3), "%s" PIDBOX_SEP "3", b->queue);
    ht_snprintf(q6, sizeof(q6), "%s" PIDBOX_SEP "6", b->queue);
    ht_snprintf(q9, sizeof(q9), "%s" PIDBOX_SEP "9", b->queue);
    while (b->rounds != NULL) {
        b->rounds->nprobes = 0;
        celery_round_end(b->rounds);
    }
    b->closing = true;
    if (b->resolving)
        (void)uv_cancel((uv_req_t *)&b->gai);
    conn_free(&b->pop);
    if (b->cmd.ac != NULL && b->answered && celery_command(&b->cmd, on_plain, b, 3, srem) == 0 &&
        celery_command(&b->cmd, on_plain, b, 5, del) == 0) {
        redisAsyncDisconnect(b->cmd.ac);
        uv_timer_start(&b->timer, on_cleanup_timer, CLEANUP_MS, 0);
    } else {
        conn_free(&b->cmd);
    }
    broker_maybe_free(b);
}
