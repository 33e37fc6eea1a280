/* The config of the prometheus kind: a mapping with url: (the server) and
 * query: (PromQL), plus replicas_by:, condition:, empty:, headers:,
 * auth:, insecure: and max_body:, and rows_by:, group_by: and max_rows:
 * for one row per label value, or instances: (the replicas expected by
 * name) for one row. Header values, the bearer token and the
 * password are registered as secrets before anything can print them. */
#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/secret.h"
#include "probes/http_config.h"
#include "probes/prometheus.h"

const char *const prom_config_keys[] = {
    "url",      "query",    "replicas_by", "condition", "empty",    "headers",   "auth",
    "insecure", "max_body", "rows_by",     "group_by",  "max_rows", "instances", NULL};

/* A label name for key what: non-empty. Replaces *to. */
static void label_key(struct ydoc *d, yaml_node_t *n, const char *what, char **to)
{
    char *s = ydoc_str(d, n, what);

    if (s != NULL && s[0] != '\0') {
        free(*to);
        *to = s;
        return;
    }
    if (s != NULL)
        ydoc_error(d, n, "%s is empty: give a label name", what);
    free(s);
}

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

static void parse_max_rows(struct ydoc *d, yaml_node_t *n, struct prometheus_config *c)
{
    char *s = ydoc_str(d, n, "max_rows"), *end;
    long v;

    if (s == NULL)
        return;
    v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > 1000000)
        ydoc_error(d, n, "max_rows must be a number from 1 to 1000000, not '%s'", s);
    else
        c->max_rows = (size_t)v;
    free(s);
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
    } else if (strcmp(p->name, "replicas_by") == 0)
        label_key(d, p->value, "replicas_by", &c->replicas_by);
    else if (strcmp(p->name, "rows_by") == 0)
        label_key(d, p->value, "rows_by", &c->rows_by);
    else if (strcmp(p->name, "group_by") == 0)
        label_key(d, p->value, "group_by", &c->group_by);
    else if (strcmp(p->name, "max_rows") == 0)
        parse_max_rows(d, p->value, c);
    else if (strcmp(p->name, "instances") == 0) {
        config_free_list(c->instances, c->ninstances);
        c->instances = NULL;
        c->ninstances = 0;
        (void)config_str_list(d, p->value, "instances", NULL, &c->instances, &c->ninstances);
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
    } else
        ydoc_unknown_key(d, p, "prometheus", prom_config_keys, HT_ARRAY_LEN(prom_config_keys) - 1);
}

void prom_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct prometheus_config *c = xcalloc(1, sizeof(*c));
    struct ypair *pairs;
    size_t np;

    s->u.priv = c;
    c->replicas_by = xstrdup(PROM_DEFAULT_REPLICAS_BY);
    c->group_by = xstrdup(PROM_DEFAULT_GROUP_BY);
    c->max_rows = PROM_DEFAULT_MAX_ROWS;
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
    if (d->over_budget) {
        free(pairs);
        return;
    }
    if (c->url == NULL)
        ydoc_error(d, p->key, "prometheus needs a url: (the server, http://host:9090)");
    if (c->query == NULL)
        ydoc_error(d, p->key, "prometheus needs a query: (PromQL, up{job=\"api\"})");
    for (size_t i = 0; c->rows_by == NULL && i < np; i++)
        if (strcmp(pairs[i].name, "group_by") == 0 || strcmp(pairs[i].name, "max_rows") == 0)
            ydoc_error(d, pairs[i].key, "%s needs rows_by: (one row per value of a label)",
                       pairs[i].name);
    for (size_t i = 0; c->rows_by != NULL && i < np; i++)
        if (strcmp(pairs[i].name, "instances") == 0)
            ydoc_error(d, pairs[i].key,
                       "instances lists the replicas of one row: not with rows_by (a row expects "
                       "the most replicas it has had)");
    if (c->rows_by && strcmp(c->rows_by, c->replicas_by) == 0)
        ydoc_error(d, p->key, "rows_by and replicas_by name the same label '%s'", c->rows_by);
    free(pairs);
}

void prom_config_free(struct svc_config *s)
{
    struct prometheus_config *c = s->u.priv;

    if (c == NULL)
        return;
    free(c->url);
    free(c->query);
    free(c->replicas_by);
    free(c->rows_by);
    free(c->group_by);
    config_free_list(c->instances, c->ninstances);
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
    fprintf(f, " query %s", c->query ? c->query : "");
    if (c->rows_by)
        fprintf(f, " rows by %s,", c->rows_by);
    fprintf(f, " replicas by %s", c->replicas_by);
    if (c->insecure)
        fputs(" (insecure: TLS not verified)", f);
}
