/* Redis URLs: redis://[user[:password]@]host[:port][/db], as kombu and
 * redis-py read them. Used by the redis and celery probes' config. */
#include "healthtop/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "healthtop/config_probe.h"
#include "healthtop/secret.h"

static int hexval(int c)
{
    if (isdigit(c))
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX-decodes [s, s+n) as kombu and redis-py do for credentials. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0 && hi * 16 + lo != 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

void redis_target_free(struct redis_target *t)
{
    free(t->url);
    free(t->host);
    free(t->user);
    free(t->password);
    memset(t, 0, sizeof(*t));
}

static int redis_userinfo(struct redis_target *t, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;

    if (colon == NULL) {
        /* redis://secret@host: redis-py reads a lone userinfo as a user
         * name, which Redis 6 ACLs need a password for anyway. */
        t->user = pct_decode(s, ulen);
        return 0;
    }
    if (ulen > 0)
        t->user = pct_decode(s, ulen);
    t->password = pct_decode(colon + 1, n - ulen - 1);
    secret_add(t->password);
    if (t->password[0] == '\0') {
        /* redis://:@host, as ${PASSWORD:-} gives when it is unset: none. */
        free(t->password);
        t->password = NULL;
    }
    {
        char *raw = xstrndup(colon + 1, n - ulen - 1);
        secret_add(raw);
        free(raw);
    }
    return 0;
}

int redis_target_parse(const char *url, struct redis_target *t, const char **why)
{
    const char *auth, *at, *path, *c;
    char host[256], *hp;
    int port;
    long db = 0;

    memset(t, 0, sizeof(*t));
    *why = NULL;
    if (strncasecmp(url, "rediss://", 9) == 0) {
        *why = "TLS (rediss://) is not supported by hiredis 0.14; use redis:// (or a TLS "
               "tunnel such as stunnel)";
        return -1;
    }
    if (strncasecmp(url, "redis://", 8) != 0) {
        *why = "a Redis URL starts with redis://";
        return -1;
    }
    auth = url + 8;
    if (strpbrk(auth, "?#") != NULL) {
        *why = "query strings are not supported in Redis URLs (use the password: key)";
        return -1;
    }
    path = auth + strcspn(auth, "/");
    at = NULL;
    for (c = auth; c < path; c++)
        if (*c == '@')
            at = c;
    t->url = xstrdup(url);
    if (at != NULL && redis_userinfo(t, auth, (size_t)(at - auth)) != 0)
        goto fail;
    hp = xstrndup(at ? at + 1 : auth, (size_t)(path - (at ? at + 1 : auth)));
    if (config_hostport(hp, true, host, sizeof(host), &port, why) != 0) {
        free(hp);
        goto fail;
    }
    free(hp);
    t->host = xstrdup(host);
    t->port = port ? port : 6379;
    if (*path == '/' && path[1] != '\0') {
        char *end = NULL;
        if (isdigit((unsigned char)path[1]))
            db = strtol(path + 1, &end, 10);
        if (end == NULL || *end != '\0' || db > 100000) {
            *why = "the database after the host is a number: redis://host:6379/0";
            goto fail;
        }
    }
    t->db = (int)db;
    *why = NULL;
    return 0;
fail:
    redis_target_free(t);
    return -1;
}
