/* The probe interface: the table of kinds, dispatch to them, and the
 * helpers they share. */
#include "healthtop/probe.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/secret.h"

/* The table of probe kinds: the one place that lists them. Each kind's
 * file defines its probe_ops (doc/probe-kinds.md); the enum in config.h
 * gives it its index. */
extern const struct probe_ops probe_http_ops;
extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_redis_ops;
extern const struct probe_ops probe_exec_ops;
extern const struct probe_ops probe_celery_ops;
extern const struct probe_ops probe_docker_ops;
extern const struct probe_ops probe_postgres_ops;
extern const struct probe_ops probe_prometheus_ops;

/* clang-format off */
static const struct probe_ops *const kinds[PROBE_KIND_COUNT] = {
    [PROBE_HTTP] = &probe_http_ops,
    [PROBE_TCP] = &probe_tcp_ops,
    [PROBE_REDIS] = &probe_redis_ops,
    [PROBE_EXEC] = &probe_exec_ops,
    [PROBE_CELERY] = &probe_celery_ops,
    [PROBE_DOCKER] = &probe_docker_ops,
    [PROBE_POSTGRES] = &probe_postgres_ops,
    [PROBE_PROMETHEUS] = &probe_prometheus_ops,
};
/* clang-format on */

const struct probe_ops *probe_ops_get(enum probe_kind k)
{
    if ((unsigned)k >= PROBE_KIND_COUNT)
        return NULL;
    assert(kinds[k] != NULL && kinds[k]->kind == k);
    return kinds[k];
}

const struct probe_ops *probe_ops_find(const char *name)
{
    for (int k = 0; k < PROBE_KIND_COUNT; k++)
        if (strcmp(probe_ops_get(k)->name, name) == 0)
            return kinds[k];
    return NULL;
}

const char *probe_kind_name(enum probe_kind k)
{
    const struct probe_ops *ops = probe_ops_get(k);

    return ops ? ops->name : "unknown";
}

int probe_env_init(struct probe_env *env, uv_loop_t *loop)
{
    memset(env, 0, sizeof(*env));
    env->loop = loop;
    for (int k = 0; k < PROBE_KIND_COUNT; k++)
        if (kinds[k]->env_init && kinds[k]->env_init(env) != 0) {
            probe_env_close(env);
            return -1;
        }
    return 0;
}

void probe_env_close(struct probe_env *env)
{
    for (int k = 0; k < PROBE_KIND_COUNT; k++)
        if (kinds[k]->env_close)
            kinds[k]->env_close(env);
}

size_t probe_max_rows(const struct svc_config *s)
{
    const struct probe_ops *o = probe_ops_get(s->kind);

    return o && o->max_rows ? o->max_rows(s) : 0;
}

void probe_rows_clear(struct probe_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        free(rows->v[i].key);
        free(rows->v[i].group);
    }
    rows->n = 0;
    rows->answered = false;
}

struct probe_row *probe_rows_reserve(struct probe_rows *rows, size_t n)
{
    probe_rows_clear(rows);
    if (n > rows->cap) {
        /* At least double: a fleet that grows by a row an answer must not
         * have its whole room made anew on every answer. */
        size_t cap = rows->cap > 0 && n < 2 * rows->cap ? 2 * rows->cap : n;
        ht_table_free(rows->v, rows->cap, sizeof(*rows->v));
        rows->v = ht_table_alloc(cap, sizeof(*rows->v)); /* zeroed */
        rows->cap = cap;
    } else if (n > 0) {
        memset(rows->v, 0, n * sizeof(*rows->v));
    }
    return rows->v;
}

void probe_rows_free(struct probe_rows *rows)
{
    probe_rows_clear(rows);
    ht_table_free(rows->v, rows->cap, sizeof(*rows->v));
    memset(rows, 0, sizeof(*rows));
}

int probe_start(struct probe *p, struct probe_env *env, const struct svc_config *svc, probe_cb cb)
{
    probe_rows_clear(&p->rows);
    memset(&p->result, 0, sizeof(p->result));
    p->result.latency_us = -1;
    p->result.connect_us = -1;
    p->result.listening = -1;
    p->env = env;
    p->svc = svc;
    p->cb = cb;
    p->priv = NULL;
    p->started_us = ht_now_us();
    if (svc->replicas == 0 && !(kinds[svc->kind]->flags & PROBE_F_FINDS_REPLICAS)) {
        /* Scaled to zero: nothing is expected to answer, so nothing is
         * asked (a 503 or a refused port would only add a latency and
         * failures to a row that is as intended). Kinds that find their
         * replicas still look, to show any that run. */
        probe_msg(p, "not running (scaled to 0)");
        return -1;
    }
    p->inflight = true;
    if (kinds[svc->kind]->start(p) != 0) {
        /* ok stays as the kind left it: false unless it answered at once
         * from what it knew (the docker rows while their event stream is
         * up). */
        p->inflight = false;
        if (p->result.message[0] == '\0')
            probe_msg(p, "probe could not start");
        secret_scrub(p->result.message, sizeof(p->result.message));
        secret_scrub(p->result.detail, sizeof(p->result.detail));
        return -1;
    }
    return 0;
}

void probe_cancel(struct probe *p)
{
    if (p->inflight)
        kinds[p->svc->kind]->cancel(p);
}

void probe_done(struct probe *p)
{
    p->inflight = false;
    p->priv = NULL;
    secret_scrub(p->result.message, sizeof(p->result.message));
    secret_scrub(p->result.detail, sizeof(p->result.detail));
    p->cb(p);
}

void probe_msg(struct probe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(p->result.message, sizeof(p->result.message), fmt, ap) < 0)
        p->result.message[0] = '\0';
    va_end(ap);
}

void probe_msg_timeout(struct probe *p)
{
    char d[32];
    ht_duration_format(p->svc->timeout_ms, d, sizeof(d));
    probe_msg(p, "timeout after %s", d);
}

int64_t probe_elapsed_us(const struct probe *p)
{
    return ht_now_us() - p->started_us;
}
