/* Redis URLs: redis://[user[:password]@]host[:port][/db], as kombu and
 * redis-py read them. Used by the redis and celery probes' config
 * (probes/redis_config.c, which registers the password as a secret
 * first); the URL itself is taken apart by url.c. */
#include "healthtop/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/url.h"

void redis_target_free(struct redis_target *t)
{
    free(t->url);
    free(t->host);
    free(t->user);
    free(t->password);
    memset(t, 0, sizeof(*t));
}

/* The database in the path: "" or "/" is 0, else "/N" with N <= 100000. */
static int redis_db(const char *path, int *db)
{
    long v = 0;

    *db = 0;
    if (path[0] == '\0' || strcmp(path, "/") == 0)
        return 0;
    if (!isdigit((unsigned char)path[1]))
        return -1;
    for (path++; isdigit((unsigned char)*path) && v <= 100000; path++)
        v = v * 10 + (*path - '0');
    if (*path != '\0' || v > 100000)
        return -1;
    *db = (int)v;
    return 0;
}

int redis_target_parse(const char *url, struct redis_target *t, const char **why)
{
    struct url u;

    memset(t, 0, sizeof(*t));
    *why = NULL;
    if (url_has_scheme(url, "rediss")) {
        *why = "TLS (rediss://) is not supported by hiredis 0.14; use redis:// (or a TLS "
               "tunnel such as stunnel)";
        return -1;
    }
    if (!url_has_scheme(url, "redis")) {
        *why = "a Redis URL starts with redis://";
        return -1;
    }
    if (strpbrk(url, "?#") != NULL) {
        *why = "query strings are not supported in Redis URLs (use the password: key)";
        return -1;
    }
    if (url_parse(url, 0, &u, why) != 0)
        return -1;
    if (redis_db(u.path, &t->db) != 0) {
        *why = "the database after the host is a number: redis://host:6379/0";
        url_free(&u);
        return -1;
    }
    t->url = xstrdup(url);
    t->host = u.host;
    t->port = u.port ? u.port : 6379;
    /* redis://secret@host: redis-py reads a lone userinfo as a user
     * name, which Redis 6 ACLs need a password for anyway. */
    t->user = u.user;
    t->password = u.password;
    if (t->password != NULL && t->password[0] == '\0') {
        /* redis://:@host, as ${PASSWORD:-} gives when it is unset: none. */
        free(t->password);
        t->password = NULL;
    }
    u.host = u.user = u.password = NULL;
    url_free(&u);
    return 0;
}
