/* The celery probe's rounds: one ping per broker serves every probe in
 * the round; its replies are counted by ticket, and each member's result
 * is the pongs whose worker names match its glob (celery.c, "Rounds" and
 * "Result of a member"). */
#include "celery_probe.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"

static void on_round_timer(uv_timer_t *t);

static void on_round_closed(uv_handle_t *h)
{
    struct celery_round *r = h->data;
    struct celery_env *env = r->env;

    free(r->names);
    free(r->probes);
    free(r);
    env->alive--;
    celery_env_maybe_free(env);
}

static void round_maybe_free(struct celery_round *r)
{
    if (!r->ended || r->pending > 0 || r->freeing)
        return;
    r->freeing = true;
    uv_close((uv_handle_t *)&r->timer, on_round_closed);
}

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
void celery_round_end(struct celery_round *r)
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

void celery_round_fail(struct celery_round *r, const char *why)
{
    if (r->ended || r->error[0])
        return;
    ht_strlcpy(r->error, why, sizeof(r->error));
    celery_round_end(r);
}

/* Ends r with why on the next loop turn: for failures found inside
 * start(), which must not call back. */
void celery_round_fail_soon(struct celery_round *r, const char *why)
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
    celery_round_end(r);
    /* A broker that left PUBLISH unanswered until the deadline is hung:
     * its connections are no use to the next round. */
    if (hung)
        celery_session_fail(b, r->error);
}

static void maybe_complete(struct celery_round *r)
{
    if (r->listening >= 0 && r->replies >= r->listening)
        celery_round_end(r);
}

static void on_publish(redisAsyncContext *ac, void *reply, void *priv)
{
    struct celery_round *r = priv;
    struct celery_broker *b = r->b;
    const redisReply *rep = reply;

    r->pending--;
    if (celery_reply_ok(b, ac, rep)) {
        if (rep->type != REDIS_REPLY_INTEGER) {
            celery_session_fail(b, "unexpected reply to PUBLISH");
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
void celery_take_reply(struct celery_broker *b, const char *data, size_t len)
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

/* PUBLISH the one envelope celery_envelope_build makes, for round r. */
void celery_round_publish(struct celery_round *r)
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
        rc = celery_command(&b->cmd, on_publish, r, 3, pub);
    }
    buf_free(&env);
    if (rc == 0)
        r->pending++;
    else
        celery_round_fail_soon(r, "cannot queue PUBLISH");
}

struct celery_round *celery_round_new(struct celery_broker *b, struct probe *p, int64_t deadline)
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
