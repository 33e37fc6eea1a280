/* What the celery probe's files share (celery.c, the probe interface;
 * celery_broker.c, a broker's connections; celery_round.c, the rounds and
 * their results): the state, and what each file offers the others. How
 * it all works is at the top of celery.c. */
#ifndef HEALTHTOP_CELERY_PROBE_H
#define HEALTHTOP_CELERY_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>
#include "healthtop/probe.h"
#include "celery_wire.h"
#include "redis_config.h"

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

/* celery.c: frees env once it is closed and nothing of it is alive. */
void celery_env_maybe_free(struct celery_env *env);

/* celery_broker.c: the broker of target t, made on first use. */
struct celery_broker *celery_broker_get(struct celery_env *env, const struct redis_target *t);
/* Gets r's ping going on b's session, opening one when there is none
 * and the backoff allows. Never calls back. */
void celery_broker_use(struct celery_broker *b, struct celery_round *r);
/* Ends b's rounds, cleans up on the broker (bounded) and frees b. */
void celery_broker_close(struct celery_broker *b);
/* Drops both connections and fails every open round with why. */
void celery_session_fail(struct celery_broker *b, const char *why);
/* True when a reply to one of b's commands is usable; else the session
 * has ended (or the context is no longer b's). */
bool celery_reply_ok(struct celery_broker *b, redisAsyncContext *ac, const redisReply *reply);
/* Queues argv on c; 0, or -1 when it cannot. */
int celery_command(struct celery_conn *c, redisCallbackFn *fn, void *priv, int argc,
                   const char **argv);

/* celery_round.c: a new round of b for p, ending at deadline. */
struct celery_round *celery_round_new(struct celery_broker *b, struct probe *p, int64_t deadline);
/* PUBLISHes r's ping on its broker's session. */
void celery_round_publish(struct celery_round *r);
/* Every member gets its result, now. */
void celery_round_end(struct celery_round *r);
/* Ends r with why as every member's message, now; on the next loop turn
 * with _soon (for failures found inside start, which must not call back). */
void celery_round_fail(struct celery_round *r, const char *why);
void celery_round_fail_soon(struct celery_round *r, const char *why);
/* One reply from b's reply list, given to the open round of its ticket. */
void celery_take_reply(struct celery_broker *b, const char *data, size_t len);

#endif
