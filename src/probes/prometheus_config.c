/* The config of the prometheus kind: a mapping with url: (the server) and
 * query: (PromQL), plus replicas_by:, condition:, empty:, headers:,
 * auth:, insecure: and max_body:. Header values, the bearer token and
 * the password are registered as secrets before anything can print them.
 * rows_by: (one row per label value) is refused for now, at its place. */
#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/secret.h"
#include "probes/http_config.h"
#include "probes/prometheus.h"

const char *const prom_config_keys[] = {"url",     "query", "replicas_by", "condition", "empty",
                                        "headers", "auth",  "insecure",    "max_body",  NULL};

/* A number for min: or max: of a condition. */
static int cond_bound(struct ydoc *d, yaml_node_t *n, const char *what, double *out)
{
    char *s = ydoc_str(d, n, what);
    int rc = -1;

    if (s == NULL)
        return -1;
    if (prom_number_parse(s, out) == 0 && *out == *out)
        rc = 0;
    else
        ydoc_error(d, n, "%s must be a number, not '%s'", what, s);
    free(s);
    return rc;
}

/* condition: "< 0.5", a number (== it), or {min: x, max: y}. */
static void parse_condition(struct ydoc *d, yaml_node_t *n, struct prometheus_config *c)
{
    struct ypair *pairs;
    size_t np;
    const char *why;
    char *s;

    if (ydoc_is_map(n)) {
        if (ydoc_pairs(d, n, &pairs, &np) != 0)
            return;
        c->cond.op = PROM_RANGE;
        for (size_t i = 0; i < np; i++) {
            if (strcmp(pairs[i].name, "min") == 0)
                c->cond.has_min = cond_bound(d, pairs[i].value, "min", &c->cond.min) == 0;
            else if (strcmp(pairs[i].name, "max") == 0)
                c->cond.has_max = cond_bound(d, pairs[i].value, "max", &c->cond.max) == 0;
            else
                ydoc_unknown_key(d, &pairs[i], "condition", (const char *const[]){"min", "max"}, 2);
        }
        if (np == 0)
            ydoc_error(d, n, "condition needs min:, max: or both");
        else if (c->cond.has_min && c->cond.has_max && c->cond.min > c->cond.max)
            ydoc_error(d, n, "condition: min is above max");
        free(pairs);
        return;
    }
    s = ydoc_str(d, n, "condition");
    if (s != NULL && prom_cond_parse(s, &c->cond, &why) != 0)
        ydoc_error(d, n, "bad condition '%s': %s", s, why);
    free(s);
}

static void parse_auth(struct ydoc *d, yaml_node_t *n, struct prometheus_config *c)
{
    static const char *const keys[] = {"bearer", "user", "password"};
    struct ypair *pairs;
    size_t np;

    if (!ydoc_is_map(n)) {
        ydoc_error(d, n,
                   "auth must be a mapping: {bearer: ...} or {user: ..., password: ...}, not %s",
                   ydoc_type_name(n));
        return;
    }
    if (ydoc_pairs(d, n, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        char **to = strcmp(pairs[i].name, "bearer") == 0     ? &c->bearer
                    : strcmp(pairs[i].name, "user") == 0     ? &c->user
                    : strcmp(pairs[i].name, "password") == 0 ? &c->password
                                                             : NULL;
        if (to == NULL) {
            ydoc_unknown_key(d, &pairs[i], "auth", keys, HT_ARRAY_LEN(keys));
            continue;
        }
        free(*to);
        *to = ydoc_str(d, pairs[i].value, pairs[i].name);
        if (*to != NULL && to != &c->user)
            secret_add(*to);
    }
    if (c->bearer && (c->user || c->password))
        ydoc_error(d, n, "auth: give bearer: or user: and password:, not both");
    else if ((c->user != NULL) != (c->password != NULL))
        ydoc_error(d, n, "auth: basic authentication needs both user: and password:");
    if (c->user && c->password)
        secret_add_basic(c->user, c->password);
    free(pairs);
}

static void parse_empty(struct ydoc *d, yaml_node_t *n, struct prometheus_config *c)
{
    char *s = ydoc_str(d, n, "empty");

    if (s == NULL)
        return;
    if (strcmp(s, "scaled_to_zero") == 0)
        c->empty_scaled = true;
    else if (strcmp(s, "down") == 0)
        c->empty_scaled = false;
    else
        ydoc_error(d, n, "empty must be down or scaled_to_zero, not '%s'", s);
    free(s);
}

static void parse_url(struct ydoc *d, yaml_node_t *n, struct prometheus_config *c)
{
    size_t len;

    free(c->url);
    c->url = ydoc_str(d, n, "url");
    if (c->url == NULL || config_http_url(d, n, "URL", c->url) != 0)
        return;
    len = strlen(c->url);
    while (len > 0 && c->url[len - 1] == '/')
        c->url[--len] = '\0';
    if (strchr(c->url, '?') != NULL || strchr(c->url, '#') != NULL)
        ydoc_error(d, n, "url is the server's base URL (http://host:9090), without ? or #");
}

static void prom_key(struct ydoc *d, const struct ypair *p, struct prometheus_config *c)
{
    const char *why;
    char *s;

    if (strcmp(p->name, "url") == 0)
        parse_url(d, p->value, c);
    else if (strcmp(p->name, "query") == 0) {
        free(c->query);
        c->query = ydoc_str(d, p->value, "query");
        if (c->query != NULL && c->query[0] == '\0')
            ydoc_error(d, p->value, "query is empty");
    } else if (strcmp(p->name, "replicas_by") == 0) {
        s = ydoc_str(d, p->value, "replicas_by");
        if (s != NULL && s[0] != '\0') {
            free(c->replicas_by);
            c->replicas_by = s;
        } else {
            if (s != NULL)
                ydoc_error(d, p->value, "replicas_by is empty: give a label name (instance)");
            free(s);
        }
    } else if (strcmp(p->name, "condition") == 0)
        parse_condition(d, p->value, c);
    else if (strcmp(p->name, "empty") == 0)
        parse_empty(d, p->value, c);
    else if (strcmp(p->name, "headers") == 0)
        config_headers(d, p->value, &c->headers, &c->nheaders);
    else if (strcmp(p->name, "auth") == 0)
        parse_auth(d, p->value, c);
    else if (strcmp(p->name, "insecure") == 0)
        (void)ydoc_bool(d, p->value, "insecure", &c->insecure);
    else if (strcmp(p->name, "max_body") == 0) {
        s = ydoc_str(d, p->value, "max_body");
        if (s != NULL && http_config_size(s, &c->max_body, &why) != 0)
            ydoc_error(d, p->value, "bad size '%s' for max_body: %s", s, why);
        free(s);
    } else if (strcmp(p->name, "rows_by") == 0)
        ydoc_error(d, p->key,
                   "rows_by is not supported yet: a prometheus probe gives one row, its series "
                   "are replicas (replicas_by)");
    else
        ydoc_unknown_key(d, p, "prometheus", prom_config_keys, HT_ARRAY_LEN(prom_config_keys) - 1);
}

void prom_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct prometheus_config *c = xcalloc(1, sizeof(*c));
    struct ypair *pairs;
    size_t np;

    s->u.priv = c;
    c->replicas_by = xstrdup(PROM_DEFAULT_REPLICAS_BY);
    c->max_body = CONFIG_DEFAULT_MAX_BODY;
    c->cond.op = PROM_NONZERO;
    if (!ydoc_is_map(p->value)) {
        ydoc_error(d, p->value, "prometheus must be a mapping with url: and query:, not %s",
                   ydoc_type_name(p->value));
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++)
        prom_key(d, &pairs[i], c);
    free(pairs);
    if (d->over_budget)
        return;
    if (c->url == NULL)
        ydoc_error(d, p->key, "prometheus needs a url: (the server, http://host:9090)");
    if (c->query == NULL)
        ydoc_error(d, p->key, "prometheus needs a query: (PromQL, up{job=\"api\"})");
}

void prom_config_free(struct svc_config *s)
{
    struct prometheus_config *c = s->u.priv;

    if (c == NULL)
        return;
    free(c->url);
    free(c->query);
    free(c->replicas_by);
    for (size_t i = 0; i < c->nheaders; i++) {
        free(c->headers[i].key);
        free(c->headers[i].value);
    }
    free(c->headers);
    free(c->bearer);
    free(c->user);
    free(c->password);
    free(c);
    s->u.priv = NULL;
}

void prom_config_describe(const struct svc_config *s, FILE *f)
{
    const struct prometheus_config *c = prom_config(s);

    if (c == NULL)
        return;
    config_describe_url(f, "prometheus", c->url ? c->url : "");
    fprintf(f, " query %s by %s", c->query ? c->query : "", c->replicas_by);
    if (c->insecure)
        fputs(" (insecure: TLS not verified)", f);
}
