/* The config of the two kinds that speak to Redis: redis (PING each
 * target) and celery (ping the workers through a Redis broker). Both take
 * redis:// URLs (redis_url.c) and an optional password: key. The probes
 * themselves run in redis.c and celery.c. */
#include "probes/redis_config.h"

#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
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

/* The keys the redis and celery forms may hold, found in one pass. */
struct redis_form {
    yaml_node_t *url;      /* url: or broker:, the first of the kind's keys */
    yaml_node_t *password; /* password:, or NULL */
    yaml_node_t *workers;  /* workers: (celery), or NULL */
};

/* The forms the redis and celery kinds share: `kind: URL` (or a list for
 * redis), or a mapping with the URL under the first of keys (a NULL-
 * terminated list), an optional password: and, for celery, workers:.
 * Unknown keys and a missing URL are recorded in d; f->url is then NULL. */
static void redis_form_parse(struct ydoc *d, const struct ypair *p, const char *kind,
                             const char *const *keys, struct redis_form *f)
{
    struct ypair *pairs;
    size_t np, nkeys = 0;

    memset(f, 0, sizeof(*f));
    if (!ydoc_is_map(p->value)) {
        f->url = p->value;
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    while (keys[nkeys] != NULL)
        nkeys++;
    for (size_t i = 0; i < np; i++) {
        const char *name = pairs[i].name;
        bool known = false;
        for (size_t k = 0; k < nkeys && !known; k++)
            known = strcmp(name, keys[k]) == 0;
        if (!known)
            ydoc_unknown_key(d, &pairs[i], kind, keys, nkeys);
        else if (strcmp(name, keys[0]) == 0)
            f->url = pairs[i].value;
        else if (strcmp(name, "password") == 0)
            f->password = pairs[i].value;
        else if (strcmp(name, "workers") == 0)
            f->workers = pairs[i].value;
    }
    free(pairs);
    if (f->url == NULL)
        ydoc_error(d, p->key, "%s needs a %s: redis://host:6379/0", kind, keys[0]);
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
    struct redis_form f;

    redis_form_parse(d, p, "redis", redis_config_keys, &f);
    if (f.url == NULL)
        return;
    redis_targets(d, f.url, r);
    if (f.password != NULL)
        redis_password(d, f.password, r->targets, r->ntargets);
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
    struct redis_form f;

    redis_form_parse(d, p, "celery", celery_config_keys, &f);
    if (f.workers != NULL) {
        c->workers = ydoc_str(d, f.workers, "workers");
        if (c->workers != NULL && c->workers[0] == '\0')
            ydoc_error(d, f.workers,
                       "workers is an empty pattern (leave it out to match any worker)");
    }
    if (f.url == NULL)
        return;
    celery_broker(d, f.url, c);
    if (f.password != NULL && c->broker.url != NULL)
        redis_password(d, f.password, &c->broker, 1);
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
