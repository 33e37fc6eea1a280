/* The celery probe: Celery's `inspect ping` through the Redis broker
 * (kombu pidbox, doc/celery.md), on the loop with hiredis async.
 *
 * Three files, one concern each: celery_broker.c keeps a broker's
 * connections (the session), celery_round.c runs the rounds and maps
 * their replies to results, and this file is the probe interface that
 * puts a probe in a round of its broker. celery_probe.h holds what they
 * share.
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
 * opens a new round with its own deadline (the scheduler starts celery
 * rows together and without jitter, PROBE_F_SHARES_ROUNDS, so that the
 * rows of one broker are due together). A round ends when as many
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
#include "celery_probe.h"

#include <stdlib.h>
#include <string.h>

void celery_env_maybe_free(struct celery_env *env)
{
    if (env->closed && env->alive == 0)
        free(env);
}

static int start(struct probe *p)
{
    struct celery_env *env = p->env->celery;
    struct celery_broker *b = celery_broker_get(env, &p->svc->u.celery.broker);
    int64_t deadline = ht_now_ms() + p->svc->timeout_ms;
    struct celery_round *r;

    for (r = b->rounds; r; r = r->next)
        if (r->deadline_ms <= deadline)
            break;
    if (r == NULL) {
        r = celery_round_new(b, p, deadline);
        celery_broker_use(b, r);
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
            celery_round_end(r);
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
        celery_broker_close(b);
    }
    env->closed = true;
    penv->celery = NULL;
    celery_env_maybe_free(env);
}

const struct probe_ops probe_celery_ops = {
    .kind = PROBE_CELERY,
    .name = "celery",
    .form = "a broker URL or a mapping with broker:",
    .keys = celery_config_keys,
    .flags = PROBE_F_FINDS_REPLICAS | PROBE_F_SHARES_ROUNDS,
    .parse = celery_config_parse,
    .free_config = celery_config_free,
    .describe = celery_config_describe,
    .env_init = env_init,
    .env_close = env_close,
    .start = start,
    .cancel = cancel,
};
