/* The redis probe: connect, AUTH and SELECT when configured, PING, expect
 * PONG, disconnect. One hiredis async context per target per probe, on
 * the loop through the project's own adapter (redis_uv.h). hiredis 0.14
 * has no timeouts: the target set's timer (targets.h) covers resolve,
 * connect and replies of all targets, which start together, and frees
 * what is still open when it fires.
 *
 * Ownership of a context: hiredis frees it by itself when the connect
 * fails and when the connection breaks; we free it on a timeout, an error
 * reply or an unexpected reply, and disconnect it cleanly after PONG. Every
 * one of those paths ends in redis_gone(), which drops our pointer and the
 * target's hold exactly once, so the target set (targets.h) knows when
 * nothing of ours is left in hiredis. */
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include "healthtop/probe.h"
#include "redis_config.h"
#include "redis_uv.h"
#include "targets.h"

struct redis_probe {
    struct target *t;
    redisAsyncContext *ac; /* NULL once freed or certain to be freed */
    int64_t connect_start_us;
    int ncommands; /* queued: [AUTH] [SELECT] PING */
    int nreplies;  /* replies (or NULL replies) seen */
};

static void redis_gone(struct redis_probe *rp)
{
    if (rp->ac == NULL)
        return;
    rp->ac->data = NULL;
    rp->ac = NULL;
    target_release(rp->t);
}

/* Frees the context now, or right after the hiredis callback we are in
 * returns (hiredis defers it): either way before the loop runs again. */
static void redis_free(struct redis_probe *rp)
{
    redisAsyncContext *ac = rp->ac;

    if (ac == NULL)
        return;
    redisAsyncFree(ac);
    redis_gone(rp);
}

static void fail_from_context(struct target *t, const redisAsyncContext *ac, const char *dflt)
{
    char m[PROBE_MSG_MAX];

    target_errtext(m, sizeof(m), redis_uv_errstr(ac, ""));
    target_fail(t, "%s", m[0] != '\0' ? m : dflt);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_probe *rp = ac->data;

    if (rp == NULL)
        return;
    if (status == REDIS_OK) {
        rp->t->connect_us = ht_now_us() - rp->connect_start_us;
        return;
    }
    /* hiredis frees the context after this returns; the error text is in
     * c.errstr (ac->err may still be 0 here). */
    fail_from_context(rp->t, ac, "connection failed");
    redis_gone(rp);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_probe *rp = ac->data;

    (void)status;
    if (rp != NULL)
        redis_gone(rp);
}

/* Replies come in the order the commands were queued. Any error reply
 * ends the target with its text, so a failed AUTH is reported as such and
 * not as the NOAUTH of the PING behind it. A NULL reply means hiredis is
 * freeing the context (connection lost, or our own free). */
static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct redis_probe *rp = priv;
    struct target *t = rp->t;
    const redisReply *reply = r;
    bool last = ++rp->nreplies == rp->ncommands;
    char m[PROBE_MSG_MAX];

    if (reply == NULL) {
        if (!t->ended)
            fail_from_context(t, ac, "connection closed");
        redis_gone(rp);
        return;
    }
    if (t->ended || rp->ac == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        if (!target_first_line(m, sizeof(m), reply->str, reply->len, sizeof(m) - 1))
            ht_strlcpy(m, "error reply", sizeof(m));
        target_fail(t, "%s", m);
        redis_free(rp);
        return;
    }
    if (!last)
        return;
    if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0) {
        target_pass(t, "PONG");
        redisAsyncDisconnect(ac);
        return;
    }
    if (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) {
        target_first_line(m, sizeof(m), reply->str, reply->len, 60);
        target_fail(t, "unexpected reply to PING: %s", m);
    } else {
        target_fail(t, "unexpected reply to PING (type %d)", reply->type);
    }
    redis_free(rp);
}

static int queue(struct redis_probe *rp, int argc, const char **argv)
{
    size_t lens[3];

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (redisAsyncCommandArgv(rp->ac, on_reply, rp, argc, argv, lens) != REDIS_OK)
        return -1;
    rp->ncommands++;
    return 0;
}

static int queue_commands(struct redis_probe *rp, const struct redis_target *cfg)
{
    char db[16];
    const char *argv[3];
    int argc = 0;

    if (cfg->password != NULL) {
        argv[argc++] = "AUTH";
        if (cfg->user != NULL)
            argv[argc++] = cfg->user;
        argv[argc++] = cfg->password;
        if (queue(rp, argc, argv) != 0)
            return -1;
    }
    if (cfg->db != 0) {
        ht_snprintf(db, sizeof(db), "%d", cfg->db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (queue(rp, 2, argv) != 0)
            return -1;
    }
    argv[0] = "PING";
    return queue(rp, 1, argv);
}

/* PING, AUTH and SELECT answer with a status line or an error of a few
 * dozen bytes, never an array. */
static const struct redis_uv_limits redis_limits = {.max_buffer = 4096, .max_elements = 0};

static void on_resolved(struct target *t, const struct sockaddr *sa, const char *ip)
{
    struct redis_probe *rp = t->state;
    const struct redis_target *cfg = &target_svc(t)->u.redis.targets[t->index];
    redisAsyncContext *ac;
    int one = 1;

    (void)sa;
    ac = redisAsyncConnect(ip, cfg->port);
    if (ac == NULL) {
        target_fail(t, "out of memory");
        return;
    }
    if (ac->err != 0) {
        fail_from_context(t, ac, "cannot connect");
        redisAsyncFree(ac);
        return;
    }
    /* Without TCP_NODELAY each command waited ~40 ms (doc/libraries.md). */
    (void)setsockopt(ac->c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (redis_uv_attach(ac, t->loop, &redis_limits) != 0) {
        target_fail(t, "cannot watch the socket");
        redisAsyncFree(ac);
        return;
    }
    rp->ac = ac;
    ac->data = rp;
    target_hold(t);
    rp->connect_start_us = ht_now_us();
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (queue_commands(rp, cfg) != 0) {
        target_fail(t, "cannot queue commands");
        redis_free(rp);
    }
}

static void start_target(struct target *t)
{
    struct redis_probe *rp = t->state;
    const struct redis_target *cfg = &target_svc(t)->u.redis.targets[t->index];

    rp->t = t;
    target_resolve(t, cfg->host, cfg->port, on_resolved);
}

static void abort_target(struct target *t)
{
    redis_free(t->state);
}

static const struct target_ops redis_target_ops = {
    .state_size = sizeof(struct redis_probe),
    .start = start_target,
    .abort = abort_target,
};

static int start(struct probe *p)
{
    return targets_start(p, p->svc->u.redis.ntargets, &redis_target_ops);
}

const struct probe_ops probe_redis_ops = {
    .kind = PROBE_REDIS,
    .name = "redis",
    .form = "a redis:// URL, a list of them or a mapping with url:",
    .keys = redis_config_keys,
    .parse = redis_config_parse,
    .free_config = redis_config_free,
    .targets = redis_config_targets,
    .describe = redis_config_describe,
    .start = start,
    .cancel = targets_cancel,
};
