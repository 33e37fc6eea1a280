/* The config of the postgres kind: a postgres:// URL, a list of them (one
 * per replica), or a mapping with url: or the connection's own keys
 * (host:, port:, user:, dbname:), plus password:, sslmode:, query: and
 * role:. URLs are read by libpq's own parser (PQconninfoParse, which does
 * no I/O), so that what is accepted here is what libpq will connect with.
 * Passwords are registered as secrets before anything can print them. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/secret.h"
#include "probes/postgres.h"

const char *const pg_config_keys[] = {"url",      "host",    "port",  "user", "dbname",
                                      "password", "sslmode", "query", "role", NULL};

static const char *const sslmodes[] = {"disable", "allow",     "prefer",
                                       "require", "verify-ca", "verify-full"};

static void target_clear(struct pg_target *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->kw[i]);
        free(t->val[i]);
    }
    free(t->kw);
    free(t->val);
    free(t->shown);
    memset(t, 0, sizeof(*t));
}

/* Appends keyword k with value v (copied) to t, keeping both arrays
 * NULL-terminated. */
static void kw_add(struct pg_target *t, const char *k, const char *v)
{
    t->kw = xrealloc(t->kw, (t->n + 2) * sizeof(*t->kw));
    t->val = xrealloc(t->val, (t->n + 2) * sizeof(*t->val));
    t->kw[t->n] = xstrdup(k);
    t->val[t->n] = xstrdup(v);
    t->n++;
    t->kw[t->n] = NULL;
    t->val[t->n] = NULL;
}

static const char *kw_get(const struct pg_target *t, const char *k)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->kw[i], k) == 0)
            return t->val[i];
    return NULL;
}

static const char *target_finish(struct pg_target *t);

static bool has_scheme(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* Reads url (written at n) into t with libpq's parser: every keyword the
 * URL sets becomes one of t's. Returns 0, or -1 with an error at n. */
static int url_parse(struct ydoc *d, yaml_node_t *n, const char *url, struct pg_target *t)
{
    PQconninfoOption *opts;
    char *err = NULL, *shown;
    const char *why = NULL;
    char line[160];

    config_url_secret(url);
    t->shown = xstrdup(url);
    if (!has_scheme(url)) {
        why = "not a postgres:// or postgresql:// URL";
    } else if ((opts = PQconninfoParse(url, &err)) == NULL) {
        /* libpq's message, first line, without its final newline. */
        ht_strlcpy(line, err ? err : "out of memory", sizeof(line));
        line[strcspn(line, "\n")] = '\0';
        why = line;
    } else {
        for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
            if (o->val == NULL)
                continue;
            if (strcmp(o->keyword, "password") == 0)
                secret_add(o->val); /* as decoded: %40 is @ */
            kw_add(t, o->keyword, o->val);
        }
        PQconninfoFree(opts);
        if (strchr(kw_get(t, "host") ? kw_get(t, "host") : "", ',') != NULL)
            why = "one host per URL: give a list of URLs for replicas";
        else
            why = target_finish(t);
    }
    PQfreemem(err);
    if (why == NULL)
        return 0;
    shown = config_redact_url(url);
    ydoc_error(d, n, "bad PostgreSQL URL '%s': %s", shown, why);
    free(shown);
    return -1;
}

static void url_targets(struct ydoc *d, yaml_node_t *n, struct postgres_config *c)
{
    char **urls = NULL;
    size_t nurls = 0;

    (void)config_str_list(d, n, "PostgreSQL URL", NULL, &urls, &nurls);
    c->targets = xcalloc(nurls ? nurls : 1, sizeof(*c->targets));
    for (size_t i = 0; i < nurls; i++) {
        yaml_node_t *item = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
        if (url_parse(d, item, urls[i], &c->targets[c->ntargets]) == 0)
            c->ntargets++;
        else
            target_clear(&c->targets[c->ntargets]);
    }
    config_free_list(urls, nurls);
}

static bool sslmode_valid(const char *v)
{
    for (size_t i = 0; i < HT_ARRAY_LEN(sslmodes); i++)
        if (strcmp(v, sslmodes[i]) == 0)
            return true;
    return false;
}

/* The port as a number, or -1 when it is not one in 1..65535. */
static int port_value(const char *v)
{
    char *end;
    long port;

    if (!isdigit((unsigned char)v[0]))
        return -1;
    port = strtol(v, &end, 10);
    return *end == '\0' && port >= 1 && port <= 65535 ? (int)port : -1;
}

/* What the probe needs besides the keywords: the host to look up and its
 * port. Returns NULL, or why the keywords cannot be used. */
static const char *target_finish(struct pg_target *t)
{
    const char *port = kw_get(t, "port"), *sslmode = kw_get(t, "sslmode");

    t->host = kw_get(t, "host");
    t->hostaddr = kw_get(t, "hostaddr");
    t->port = 5432;
    if (t->host != NULL && t->host[0] == '\0')
        t->host = NULL;
    if (port != NULL && port[0] != '\0' && (t->port = port_value(port)) < 0)
        return "port must be a number from 1 to 65535";
    if (sslmode != NULL && !sslmode_valid(sslmode))
        return "sslmode must be one of disable, allow, prefer, require, verify-ca or verify-full";
    return NULL;
}

/* The keys of the mapping form, as found. */
struct pg_keys {
    yaml_node_t *url, *host, *port, *user, *dbname, *password, *sslmode, *query, *role;
};

static void find_keys(struct ydoc *d, const struct ypair *pairs, size_t np, struct pg_keys *k)
{
    yaml_node_t **slot[] = {&k->url,      &k->host,    &k->port,  &k->user, &k->dbname,
                            &k->password, &k->sslmode, &k->query, &k->role};

    for (size_t i = 0; i < np; i++) {
        size_t j = 0;
        while (j < HT_ARRAY_LEN(slot) && strcmp(pairs[i].name, pg_config_keys[j]) != 0)
            j++;
        if (j < HT_ARRAY_LEN(slot))
            *slot[j] = pairs[i].value;
        else
            ydoc_unknown_key(d, &pairs[i], "postgres", pg_config_keys,
                             HT_ARRAY_LEN(pg_config_keys) - 1);
    }
}

/* host:, port:, user:, dbname: -> one target, shown as the URL they make. */
static void key_target(struct ydoc *d, const struct pg_keys *k, struct postgres_config *c)
{
    struct pg_target *t;
    char *host = ydoc_str(d, k->host, "host"), *user = NULL, *db = NULL;
    int64_t port = 0;
    char shown[1024];

    c->targets = xcalloc(1, sizeof(*c->targets));
    t = &c->targets[0];
    if (host != NULL && host[0] == '\0')
        ydoc_error(d, k->host, "host must not be empty");
    if (k->port != NULL)
        (void)ydoc_int(d, k->port, "port", 1, 65535, &port);
    if (k->user != NULL)
        user = ydoc_str(d, k->user, "user");
    if (k->dbname != NULL)
        db = ydoc_str(d, k->dbname, "dbname");
    if (host == NULL || host[0] == '\0') {
        free(host);
        free(user);
        free(db);
        free(c->targets);
        c->targets = NULL;
        return;
    }
    kw_add(t, "host", host);
    if (port > 0) {
        char v[16];
        ht_snprintf(v, sizeof(v), "%d", (int)port);
        kw_add(t, "port", v);
    }
    if (user != NULL)
        kw_add(t, "user", user);
    if (db != NULL)
        kw_add(t, "dbname", db);
    if (host[0] == '/')
        ht_snprintf(shown, sizeof(shown), "postgres://%s%s/%s?host=%s", user ? user : "",
                    user ? "@" : "", db ? db : "", host);
    else
        ht_snprintf(shown, sizeof(shown), "postgres://%s%s%s%s%s%s%s/%s", user ? user : "",
                    user ? "@" : "", strchr(host, ':') ? "[" : "", host,
                    strchr(host, ':') ? "]" : "", port > 0 ? ":" : "",
                    port > 0 ? kw_get(t, "port") : "", db ? db : "");
    t->shown = xstrdup(shown);
    (void)target_finish(t); /* the keys were checked already */
    c->ntargets = 1;
    free(host);
    free(user);
    free(db);
}

/* password: or sslmode: (key, at n), added to every target; an error when
 * a URL sets it already. A password is a secret, and password: ${VAR:-}
 * with the variable unset means none. */
static void key_for_all(struct ydoc *d, yaml_node_t *n, const char *key, struct postgres_config *c)
{
    char *v = ydoc_str(d, n, key);
    bool pw = strcmp(key, "password") == 0;

    if (v == NULL)
        return;
    if (pw)
        secret_add(v);
    if (!pw && !sslmode_valid(v))
        ydoc_error(d, n,
                   "sslmode must be one of disable, allow, prefer, require, verify-ca or "
                   "verify-full, not '%s'",
                   v);
    else if (v[0] != '\0' && c->targets != NULL)
        for (size_t i = 0; i < c->ntargets; i++) {
            if (kw_get(&c->targets[i], key) != NULL) {
                ydoc_error(d, n, "%s is given both in the URL and as %s:", key, key);
                break;
            }
            kw_add(&c->targets[i], key, v);
        }
    free(v);
}

static void query_and_role(struct ydoc *d, const struct pg_keys *k, struct postgres_config *c)
{
    char *v;

    if (k->query != NULL && (v = ydoc_str(d, k->query, "query")) != NULL) {
        if (v[strspn(v, " \t\r\n;")] == '\0')
            ydoc_error(d, k->query, "query must not be empty");
        free(c->query);
        c->query = v;
    }
    if (k->role != NULL && (v = ydoc_str(d, k->role, "role")) != NULL) {
        if (strcmp(v, "primary") == 0)
            c->role = PG_ROLE_PRIMARY;
        else if (strcmp(v, "replica") == 0)
            c->role = PG_ROLE_REPLICA;
        else
            ydoc_error(d, k->role, "role must be primary or replica, not '%s'", v);
        free(v);
    }
}

void pg_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct postgres_config *c = xcalloc(1, sizeof(*c));
    struct pg_keys k = {0};
    struct ypair *pairs;
    size_t np;

    s->u.priv = c;
    c->query = xstrdup(PG_DEFAULT_QUERY);
    if (!ydoc_is_map(p->value)) {
        url_targets(d, p->value, c);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    find_keys(d, pairs, np, &k);
    free(pairs);
    if (k.url != NULL) {
        yaml_node_t *extra = k.host ? k.host : k.port ? k.port : k.user ? k.user : k.dbname;
        if (extra != NULL)
            ydoc_error(d, extra, "give either url: or host:, port:, user:, dbname:, not both");
        url_targets(d, k.url, c);
    } else if (k.host != NULL) {
        key_target(d, &k, c);
    } else if (!d->over_budget) {
        ydoc_error(d, p->key, "postgres needs a url: postgres://user@host:5432/dbname, or a host:");
    }
    if (k.password != NULL)
        key_for_all(d, k.password, "password", c);
    if (k.sslmode != NULL)
        key_for_all(d, k.sslmode, "sslmode", c);
    query_and_role(d, &k, c);
}

void pg_config_free(struct svc_config *s)
{
    struct postgres_config *c = s->u.priv;

    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ntargets; i++)
        target_clear(&c->targets[i]);
    free(c->targets);
    free(c->query);
    free(c);
    s->u.priv = NULL;
}

size_t pg_config_targets(const struct svc_config *s)
{
    return pg_config(s) ? pg_config(s)->ntargets : 0;
}

void pg_config_describe(const struct svc_config *s, FILE *f)
{
    const struct postgres_config *c = pg_config(s);

    if (c == NULL)
        return;
    config_describe_url(f, "postgres", c->ntargets ? c->targets[0].shown : "");
    if (strcmp(c->query, PG_DEFAULT_QUERY) != 0)
        fprintf(f, " query: %s", c->query);
    if (c->role != PG_ROLE_ANY)
        fprintf(f, " role: %s", c->role == PG_ROLE_PRIMARY ? "primary" : "replica");
    config_describe_more(f, c->ntargets);
}
