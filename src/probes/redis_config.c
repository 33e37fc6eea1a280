/* The config of the two kinds that speak to Redis: redis (PING each
 * target) and celery (ping the workers through a Redis broker). Both take
 * redis:// URLs (redis_url.c) and an optional password: key. The probes
 * themselves run in redis.c and celery.c. */
#include "probes/redis_config.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/config_probe.h"
#include "healthtop/secret.h"

const char *const redis_config_keys[] = {"url", "password", NULL};
const char *const celery_config_keys[] = {"broker", "password", "workers", NULL};

/* Parses the Redis URL url (written at n) into t, with an error at n when
 * it is bad. Returns 0 or -1. */
static int redis_url(struct ydoc *d, yaml_node_t *n, const char *url, struct redis_target *t)
{
    const char *why;
    char *shown;

    config_url_secret(url);
    if (redis_target_parse(url, t, &why) == 0)
        return 0;
    shown = config_redact_url(url);
    ydoc_error(d, n, "bad Redis URL '%s': %s", shown, why);
    free(shown);
    return -1;
}

/* A `password:` key at n: applied to each of the nt targets, an error if
 * one already has a password in its URL. password: ${REDIS_PASSWORD:-}
 * with the variable unset means none. */
static void redis_password(struct ydoc *d, yaml_node_t *n, struct redis_target *t, size_t nt)
{
    char *pw = ydoc_str(d, n, "password");

    if (pw == NULL)
        return;
    secret_add(pw);
    if (pw[0] == '\0') {
        free(pw);
        return;
    }
    for (size_t i = 0; i < nt; i++) {
        if (t[i].password != NULL) {
            ydoc_error(d, n, "a password is given both in the URL and as password:");
            break;
        }
        t[i].password = xstrdup(pw);
    }
    free(pw);
}

/* ------------------------------------------------------------------ */
/* redis                                                                */

static void redis_targets(struct ydoc *d, yaml_node_t *n, struct redis_config *r)
{
    char **urls = NULL;
    size_t nurls = 0;

    (void)config_str_list(d, n, "Redis URL", NULL, &urls, &nurls);
    r->targets = xcalloc(nurls, sizeof(*r->targets));
    for (size_t i = 0; i < nurls; i++) {
        yaml_node_t *item = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
        if (redis_url(d, item, urls[i], &r->targets[r->ntargets]) == 0)
            r->ntargets++;
    }
    config_free_list(urls, nurls);
}

void redis_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct redis_config *r = &s->u.redis;
    struct ypair *pairs;
    yaml_node_t *url = NULL, *pw = NULL;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        redis_targets(d, p->value, r);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "url") == 0)
            url = pairs[i].value;
        else if (strcmp(pairs[i].name, "password") == 0)
            pw = pairs[i].value;
        else
            ydoc_unknown_key(d, &pairs[i], "redis", redis_config_keys,
                             HT_ARRAY_LEN(redis_config_keys) - 1);
    }
    free(pairs);
    if (url == NULL) {
        ydoc_error(d, p->key, "redis needs a url: redis://host:6379/0");
        return;
    }
    redis_targets(d, url, r);
    if (pw != NULL)
        redis_password(d, pw, r->targets, r->ntargets);
}

void redis_config_free(struct svc_config *s)
{
    for (size_t i = 0; i < s->u.redis.ntargets; i++)
        redis_target_free(&s->u.redis.targets[i]);
    free(s->u.redis.targets);
}

size_t redis_config_targets(const struct svc_config *s)
{
    return s->u.redis.ntargets;
}

void redis_config_describe(const struct svc_config *s, FILE *f)
{
    config_describe_url(f, "redis PING", s->u.redis.ntargets ? s->u.redis.targets[0].url : "");
    config_describe_more(f, s->u.redis.ntargets);
}

/* ------------------------------------------------------------------ */
/* celery                                                               */

static void celery_broker(struct ydoc *d, yaml_node_t *n, struct celery_config *c)
{
    char *url = ydoc_str(d, n, "broker");

    if (url != NULL)
        (void)redis_url(d, n, url, &c->broker);
    free(url);
}

void celery_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct celery_config *c = &s->u.celery;
    struct ypair *pairs;
    yaml_node_t *broker = NULL, *pw = NULL;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        celery_broker(d, p->value, c);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "broker") == 0)
            broker = pairs[i].value;
        else if (strcmp(pairs[i].name, "password") == 0)
            pw = pairs[i].value;
        else if (strcmp(pairs[i].name, "workers") == 0) {
            c->workers = ydoc_str(d, pairs[i].value, "workers");
            if (c->workers != NULL && c->workers[0] == '\0')
                ydoc_error(d, pairs[i].value,
                           "workers is an empty pattern (leave it out to "
                           "match any worker)");
        } else
            ydoc_unknown_key(d, &pairs[i], "celery", celery_config_keys,
                             HT_ARRAY_LEN(celery_config_keys) - 1);
    }
    free(pairs);
    if (broker == NULL) {
        ydoc_error(d, p->key, "celery needs a broker: redis://host:6379/0");
        return;
    }
    celery_broker(d, broker, c);
    if (pw != NULL && c->broker.url != NULL)
        redis_password(d, pw, &c->broker, 1);
}

void celery_config_free(struct svc_config *s)
{
    redis_target_free(&s->u.celery.broker);
    free(s->u.celery.workers);
}

void celery_config_describe(const struct svc_config *s, FILE *f)
{
    const struct celery_config *c = &s->u.celery;

    config_describe_url(f, "celery ping", c->broker.url ? c->broker.url : "");
    fprintf(f, " workers %s", c->workers ? c->workers : "*");
}
