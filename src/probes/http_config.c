/* The http probe's config: its keys, their parser, what is freed and how
 * the probe is described. The probe itself runs in http.c. */
#include "probes/http_config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config_probe.h"
#include "healthtop/secret.h"
#include "healthtop/url.h"

/* Largest accepted max_body. */
#define CONFIG_MAX_BODY_LIMIT (64 * 1024 * 1024)

/* "64KiB", "1MiB", "65536" or "65536B". */
int http_config_size(const char *s, size_t *out, const char **why)
{
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {{"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}};
    unsigned long long v = 0;
    const char *p = s;

    while (isdigit((unsigned char)*p) && v <= CONFIG_MAX_BODY_LIMIT)
        v = v * 10 + (unsigned long long)(*p++ - '0');
    if (p == s) {
        *why = "a size is a number of bytes, or a number with KiB or MiB: 64KiB";
        return -1;
    }
    for (size_t i = 0; i < HT_ARRAY_LEN(units); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            v *= units[i].mul;
            if (v < 1 || v > CONFIG_MAX_BODY_LIMIT) {
                *why = "a size must be from 1 byte to 64MiB";
                return -1;
            }
            *out = (size_t)v;
            return 0;
        }
    }
    *why = "unknown size unit: use bytes, KiB or MiB (64KiB)";
    return -1;
}

/* json: {path: value}; nested mappings become dotted paths, so that
 * {components: {api: operational}} means components.api == operational. */
static void parse_json(struct ydoc *d, yaml_node_t *n, const char *prefix, int depth,
                       struct http_config *h)
{
    struct ypair *pairs;
    size_t np;

    if (depth > 16) {
        ydoc_error(d, n, "json: nested more than 16 deep");
        return;
    }
    if (ydoc_pairs(d, n, &pairs, &np) != 0) {
        if (!ydoc_is_map(n))
            ydoc_error(d, n, "json must be a mapping of field paths to values, not %s",
                       ydoc_type_name(n));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        char path[512];
        yaml_node_t *v = pairs[i].value;
        ht_snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", pairs[i].name);
        if (ydoc_is_map(v)) {
            parse_json(d, v, path, depth + 1, h);
        } else if (ydoc_is_seq(v)) {
            ydoc_error(d, v, "json: '%s' must be a single value; lists are not compared", path);
        } else {
            char *s = ydoc_is_null(v) ? xstrdup("null") : ydoc_str(d, v, "a json value");
            if (s != NULL)
                config_kv_push(&h->json, &h->njson, path, s);
        }
    }
    free(pairs);
}

static void parse_status(struct ydoc *d, yaml_node_t *n, struct http_config *h)
{
    size_t count = ydoc_is_seq(n) ? ydoc_nitems(n) : 1;

    if (ydoc_is_map(n) || count == 0) {
        ydoc_error(d, n, "status must be an HTTP status code or a list of them");
        return;
    }
    h->status = xcalloc(count, sizeof(*h->status));
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
        int64_t v;
        if (item != NULL && ydoc_int(d, item, "status", 100, 599, &v) == 0)
            h->status[h->nstatus++] = (int)v;
    }
}

const char *const http_config_keys[] = {
    "url",      "status",           "body",          "json",     "headers",         "max_latency",
    "insecure", "follow_redirects", "fresh_connect", "max_body", "allow_downgrade", NULL};

static void http_key(struct ydoc *d, const struct ypair *p, struct http_config *h)
{
    const char *why;
    char *s;

    if (strcmp(p->name, "url") == 0)
        (void)config_str_list(d, p->value, "URL", config_http_url, &h->urls, &h->nurls);
    else if (strcmp(p->name, "status") == 0)
        parse_status(d, p->value, h);
    else if (strcmp(p->name, "body") == 0)
        h->body = ydoc_str(d, p->value, "body");
    else if (strcmp(p->name, "json") == 0)
        parse_json(d, p->value, "", 0, h);
    else if (strcmp(p->name, "headers") == 0)
        config_headers(d, p->value, &h->headers, &h->nheaders);
    else if (strcmp(p->name, "max_latency") == 0)
        (void)ydoc_duration(d, p->value, "max_latency", 1, &h->max_latency_ms);
    else if (strcmp(p->name, "insecure") == 0)
        (void)ydoc_bool(d, p->value, "insecure", &h->insecure);
    else if (strcmp(p->name, "follow_redirects") == 0)
        (void)ydoc_bool(d, p->value, "follow_redirects", &h->follow_redirects);
    else if (strcmp(p->name, "allow_downgrade") == 0)
        (void)ydoc_bool(d, p->value, "allow_downgrade", &h->allow_downgrade);
    else if (strcmp(p->name, "fresh_connect") == 0)
        (void)ydoc_bool(d, p->value, "fresh_connect", &h->fresh_connect);
    else if (strcmp(p->name, "max_body") == 0) {
        s = ydoc_str(d, p->value, "max_body");
        if (s != NULL && http_config_size(s, &h->max_body, &why) != 0)
            ydoc_error(d, p->value, "bad size '%s' for max_body: %s", s, why);
        free(s);
    } else
        ydoc_unknown_key(d, p, "http", http_config_keys, HT_ARRAY_LEN(http_config_keys) - 1);
}

void http_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct http_config *h = &s->u.http;
    struct ypair *pairs;
    size_t np;
    bool has_url = false;

    h->max_body = CONFIG_DEFAULT_MAX_BODY;
    if (!ydoc_is_map(p->value)) {
        (void)config_str_list(d, p->value, "URL", config_http_url, &h->urls, &h->nurls);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        has_url |= strcmp(pairs[i].name, "url") == 0;
        http_key(d, &pairs[i], h);
    }
    if (!has_url)
        ydoc_error(d, p->key, "http needs a url: (or a list of them, one per replica)");
    free(pairs);
}

void http_config_free(struct svc_config *s)
{
    struct http_config *h = &s->u.http;

    config_free_list(h->urls, h->nurls);
    free(h->status);
    free(h->body);
    for (size_t i = 0; i < h->njson; i++) {
        free(h->json[i].key);
        free(h->json[i].value);
    }
    free(h->json);
    for (size_t i = 0; i < h->nheaders; i++) {
        free(h->headers[i].key);
        free(h->headers[i].value);
    }
    free(h->headers);
}

size_t http_config_targets(const struct svc_config *s)
{
    return s->u.http.nurls;
}

void http_config_describe(const struct svc_config *s, FILE *f)
{
    const struct http_config *h = &s->u.http;

    config_describe_url(f, "GET", h->nurls ? h->urls[0] : "");
    config_describe_more(f, h->nurls);
    /* Said wherever the probe is described: a check that accepts any
     * certificate must not look like one that verifies. */
    if (h->insecure)
        fputs(" (insecure: TLS not verified)", f);
}
