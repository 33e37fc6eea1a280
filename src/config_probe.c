/* The probe of a service: one parser per kind, the URL and address checks
 * they share, and Redis URLs (also used for Celery brokers).
 *
 * A shorthand string (`http: URL`, `tcp: host:port`, `redis: URL`,
 * `celery: BROKER`, `docker: SERVICE`) is accepted wherever the mapping
 * form is, and a list wherever one target per replica makes sense. */
#include "healthtop/config_probe.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "healthtop/secret.h"

typedef int (*check_fn)(struct ydoc *d, yaml_node_t *n, const char *what, const char *value);

/* Scalar or list of scalars -> array of strings, each checked. Items that
 * fail the check are recorded as errors and still kept, so that one
 * owner frees everything. Returns 0, or -1 when a problem was found. */
static int str_list(struct ydoc *d, yaml_node_t *n, const char *what, check_fn check, char ***out,
                    size_t *nout)
{
    size_t count = ydoc_is_seq(n) ? ydoc_nitems(n) : 1;
    int rc = 0;

    if (ydoc_is_seq(n) && count == 0) {
        ydoc_error(d, n, "%s is an empty list", what);
        return -1;
    }
    if (ydoc_is_map(n)) {
        ydoc_error(d, n, "%s must be a string or a list of strings, not a mapping", what);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
        char *v = item ? ydoc_str(d, item, what) : NULL;
        if (v == NULL) {
            rc = -1;
            continue;
        }
        if (check && check(d, item, what, v) != 0)
            rc = -1;
        *out = xrealloc(*out, (*nout + 1) * sizeof(**out));
        (*out)[(*nout)++] = v;
    }
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ */
/* Addresses and URLs                                                   */

static bool host_char(int c)
{
    return isalnum(c) || c == '.' || c == '-' || c == '_';
}

int config_hostport(const char *s, bool port_opt, char *host, size_t hn, int *port,
                    const char **why)
{
    const char *hend, *p;
    char *end;
    long v;

    *port = 0;
    if (s[0] == '[') {
        hend = strchr(s, ']');
        if (hend == NULL || hend == s + 1) {
            *why = "an IPv6 address goes in brackets: [::1]:5000";
            return -1;
        }
        for (p = s + 1; p < hend; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
                *why = "bad character in an IPv6 address";
                return -1;
            }
        ht_snprintf(host, hn, "%.*s", (int)(hend - s - 1), s + 1);
        p = hend + 1;
    } else {
        p = strchr(s, ':');
        if (p != NULL && strchr(p + 1, ':') != NULL) {
            *why = "an IPv6 address goes in brackets: [::1]:5000";
            return -1;
        }
        hend = p ? p : s + strlen(s);
        if (hend == s) {
            *why = "no host: write host:port";
            return -1;
        }
        for (const char *c = s; c < hend; c++)
            if (!host_char((unsigned char)*c)) {
                *why = "bad character in the host name";
                return -1;
            }
        ht_snprintf(host, hn, "%.*s", (int)(hend - s), s);
        p = hend;
    }
    if (*p == '\0') {
        *why = "missing port: write host:port";
        return port_opt ? 0 : -1;
    }
    if (*p != ':' || !isdigit((unsigned char)p[1])) {
        *why = "the port must be a number: host:port";
        return -1;
    }
    v = strtol(p + 1, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535) {
        *why = "the port must be a number from 1 to 65535";
        return -1;
    }
    *port = (int)v;
    return 0;
}

static int check_addr(struct ydoc *d, yaml_node_t *n, const char *what, const char *v)
{
    char host[256];
    const char *why;
    int port;

    if (config_hostport(v, false, host, sizeof(host), &port, &why) != 0) {
        ydoc_error(d, n, "bad %s '%s': %s", what, v, why);
        return -1;
    }
    return 0;
}

/* The password of scheme://user:password@host..., registered as a
 * secret before anything can print the URL. */
static void register_url_password(const char *url)
{
    const char *auth = strstr(url, "://");
    const char *end, *at = NULL, *colon;

    auth = auth ? auth + 3 : url;
    end = auth + strcspn(auth, "/?#");
    for (const char *c = auth; c < end; c++)
        if (*c == '@')
            at = c;
    if (at == NULL)
        return;
    colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon != NULL) {
        char *pw = xstrndup(colon + 1, (size_t)(at - colon - 1));
        secret_add(pw);
        free(pw);
    }
}

char *config_redact_url(const char *url)
{
    size_t n = strlen(url) + sizeof(SECRET_MASK) + 2;
    char *out = xmalloc(n);

    secret_redact_url(url, out, n);
    return out;
}

/* Why url is no good http(s) URL, or NULL when it is. */
static const char *http_url_problem(const char *url)
{
    const char *auth, *why = NULL;
    char host[256], *hp, *at;
    int port;
    CURLU *h;
    CURLUcode uc;

    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return "the scheme must be http:// or https://";
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return "spaces and control characters must be %-encoded";
    auth = strstr(url, "://") + 3;
    hp = xstrndup(auth, strcspn(auth, "/?#"));
    at = strrchr(hp, '@');
    if (config_hostport(at ? at + 1 : hp, true, host, sizeof(host), &port, &why) == 0)
        why = NULL;
    free(hp);
    if (why != NULL)
        return why;
    /* What is accepted here must also be what libcurl accepts. */
    h = curl_url();
    if (h != NULL) {
        uc = curl_url_set(h, CURLUPART_URL, url, 0);
        if (uc != CURLUE_OK)
            why = curl_url_strerror(uc);
        curl_url_cleanup(h);
    }
    return why;
}

static int check_http_url(struct ydoc *d, yaml_node_t *n, const char *what, const char *url)
{
    const char *why;
    char *shown;

    register_url_password(url);
    why = http_url_problem(url);
    if (why == NULL)
        return 0;
    shown = config_redact_url(url);
    ydoc_error(d, n, "bad %s '%s': %s", what, shown, why);
    free(shown);
    return -1;
}

/* ------------------------------------------------------------------ */
/* http                                                                 */

/* "64KiB", "1MiB", "65536" or "65536B". */
static int parse_size(const char *s, size_t *out, const char **why)
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

static void kv_push(struct kv **v, size_t *n, const char *key, char *value)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].key = xstrdup(key);
    (*v)[*n].value = value;
    (*n)++;
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
                kv_push(&h->json, &h->njson, path, s);
        }
    }
    free(pairs);
}

static void parse_headers(struct ydoc *d, yaml_node_t *n, struct http_config *h)
{
    struct ypair *pairs;
    size_t np;

    if (ydoc_pairs(d, n, &pairs, &np) != 0) {
        if (!ydoc_is_map(n))
            ydoc_error(d, n, "headers must be a mapping of names to values, not %s",
                       ydoc_type_name(n));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        const char *name = pairs[i].name;
        char *v;
        if (name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              "!#$%&'*+-.^_`|~")] != '\0') {
            ydoc_error(d, pairs[i].key, "bad header name '%s'", name);
            continue;
        }
        v = ydoc_str(d, pairs[i].value, "a header value");
        if (v == NULL)
            continue;
        /* Header values are credentials often enough to treat all as such. */
        secret_add(v);
        if (strpbrk(v, "\r\n") != NULL)
            ydoc_error(d, pairs[i].value, "the value of header '%s' holds a line break", name);
        kv_push(&h->headers, &h->nheaders, name, v);
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

static const char *const http_keys[] = {
    "url",      "status",           "body",          "json",    "headers", "max_latency",
    "insecure", "follow_redirects", "fresh_connect", "max_body"};

static void http_key(struct ydoc *d, const struct ypair *p, struct http_config *h)
{
    const char *why;
    char *s;

    if (strcmp(p->name, "url") == 0)
        (void)str_list(d, p->value, "URL", check_http_url, &h->urls, &h->nurls);
    else if (strcmp(p->name, "status") == 0)
        parse_status(d, p->value, h);
    else if (strcmp(p->name, "body") == 0)
        h->body = ydoc_str(d, p->value, "body");
    else if (strcmp(p->name, "json") == 0)
        parse_json(d, p->value, "", 0, h);
    else if (strcmp(p->name, "headers") == 0)
        parse_headers(d, p->value, h);
    else if (strcmp(p->name, "max_latency") == 0)
        (void)ydoc_duration(d, p->value, "max_latency", 1, &h->max_latency_ms);
    else if (strcmp(p->name, "insecure") == 0)
        (void)ydoc_bool(d, p->value, "insecure", &h->insecure);
    else if (strcmp(p->name, "follow_redirects") == 0)
        (void)ydoc_bool(d, p->value, "follow_redirects", &h->follow_redirects);
    else if (strcmp(p->name, "fresh_connect") == 0)
        (void)ydoc_bool(d, p->value, "fresh_connect", &h->fresh_connect);
    else if (strcmp(p->name, "max_body") == 0) {
        s = ydoc_str(d, p->value, "max_body");
        if (s != NULL && parse_size(s, &h->max_body, &why) != 0)
            ydoc_error(d, p->value, "bad size '%s' for max_body: %s", s, why);
        free(s);
    } else
        ydoc_unknown_key(d, p, "http", http_keys, HT_ARRAY_LEN(http_keys));
}

static void parse_http(struct ydoc *d, const struct ypair *p, struct http_config *h)
{
    struct ypair *pairs;
    size_t np;
    bool has_url = false;

    h->max_body = CONFIG_DEFAULT_MAX_BODY;
    if (!ydoc_is_map(p->value)) {
        (void)str_list(d, p->value, "URL", check_http_url, &h->urls, &h->nurls);
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

/* ------------------------------------------------------------------ */
/* tcp, exec                                                            */

static void parse_tcp(struct ydoc *d, const struct ypair *p, struct tcp_config *t)
{
    static const char *const keys[] = {"address"};
    struct ypair *pairs;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        (void)str_list(d, p->value, "address", check_addr, &t->addrs, &t->naddrs);
        return;
    }
    if (ydoc_pairs(d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "address") == 0)
            (void)str_list(d, pairs[i].value, "address", check_addr, &t->addrs, &t->naddrs);
        else
            ydoc_unknown_key(d, &pairs[i], "tcp", keys, HT_ARRAY_LEN(keys));
    }
    if (t->naddrs == 0 && np > 0 && !d->over_budget)
        ydoc_error(d, p->key, "tcp needs an address: host:port");
    free(pairs);
}

static void parse_exec(struct ydoc *d, const struct ypair *p, struct exec_config *e)
{
    if (!ydoc_is_seq(p->value)) {
        ydoc_error(d, p->value,
                   "exec takes a list (argv, run without a shell), e.g. "
                   "[pg_isready, -h, 127.0.0.1], not %s",
                   ydoc_type_name(p->value));
        return;
    }
    if (ydoc_nitems(p->value) == 0) {
        ydoc_error(d, p->value, "exec needs at least a program: [pg_isready]");
        return;
    }
    (void)str_list(d, p->value, "an exec argument", NULL, &e->argv, &e->argc);
    e->argv = xrealloc(e->argv, (e->argc + 1) * sizeof(*e->argv));
    e->argv[e->argc] = NULL;
    if (e->argc > 0 && e->argv[0][0] == '\0')
        ydoc_error(d, p->value, "exec: the program name is empty");
}

/* ------------------------------------------------------------------ */
/* redis, celery                                                        */

/* Parses one URL into t, with an error at n when it is bad. */
static int redis_url(struct ydoc *d, yaml_node_t *n, const char *url, struct redis_target *t)
{
    const char *why;
    char *shown;

    register_url_password(url);
    if (redis_target_parse(url, t, &why) == 0)
        return 0;
    shown = config_redact_url(url);
    ydoc_error(d, n, "bad Redis URL '%s': %s", shown, why);
    free(shown);
    return -1;
}

/* A `password:` key: applied to every target that has none in its URL. */
static void redis_password(struct ydoc *d, yaml_node_t *n, struct redis_target *t, size_t nt)
{
    char *pw = ydoc_str(d, n, "password");

    if (pw == NULL)
        return;
    secret_add(pw);
    if (pw[0] == '\0') {
        /* password: ${REDIS_PASSWORD:-} with the variable unset: none. */
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

static void redis_targets(struct ydoc *d, yaml_node_t *n, struct redis_config *r)
{
    char **urls = NULL;
    size_t nurls = 0;

    (void)str_list(d, n, "Redis URL", NULL, &urls, &nurls);
    r->targets = xcalloc(nurls, sizeof(*r->targets));
    for (size_t i = 0; i < nurls; i++) {
        yaml_node_t *item = ydoc_is_seq(n) ? ydoc_item(d, n, i) : n;
        if (redis_url(d, item, urls[i], &r->targets[r->ntargets]) == 0)
            r->ntargets++;
    }
    free_list(urls, nurls);
}

static void parse_redis(struct ydoc *d, const struct ypair *p, struct redis_config *r)
{
    static const char *const keys[] = {"url", "password"};
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
            ydoc_unknown_key(d, &pairs[i], "redis", keys, HT_ARRAY_LEN(keys));
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

static void celery_broker(struct ydoc *d, yaml_node_t *n, struct celery_config *c)
{
    char *url = ydoc_str(d, n, "broker");

    if (url != NULL)
        (void)redis_url(d, n, url, &c->broker);
    free(url);
}

static void parse_celery(struct ydoc *d, const struct ypair *p, struct celery_config *c)
{
    static const char *const keys[] = {"broker", "password", "workers"};
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
            ydoc_unknown_key(d, &pairs[i], "celery", keys, HT_ARRAY_LEN(keys));
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

/* ------------------------------------------------------------------ */
/* docker                                                               */

/* The engine's socket when the config names none: DOCKER_HOST if it is a
 * unix:// address, else the usual path. */
static void docker_default_socket(struct ydoc *d, const struct ypair *p, struct docker_config *c)
{
    const char *dh = getenv("DOCKER_HOST");

    if (dh == NULL || *dh == '\0') {
        c->socket = xstrdup("/var/run/docker.sock");
    } else if (strncmp(dh, "unix://", 7) == 0 && dh[7] == '/') {
        c->socket = xstrdup(dh + 7);
    } else {
        char *shown = config_redact_url(dh);
        ydoc_error(d, p->key,
                   "DOCKER_HOST=%s is not supported: only unix:// sockets are (set socket: "
                   "or unset DOCKER_HOST)",
                   shown);
        free(shown);
    }
}

static void parse_docker(struct ydoc *d, const struct ypair *p, struct docker_config *c)
{
    static const char *const keys[] = {"service", "project", "socket"};
    struct ypair *pairs;
    size_t np;

    if (!ydoc_is_map(p->value)) {
        c->service = ydoc_str(d, p->value, "docker service");
    } else if (ydoc_pairs(d, p->value, &pairs, &np) == 0) {
        for (size_t i = 0; i < np; i++) {
            if (strcmp(pairs[i].name, "service") == 0)
                c->service = ydoc_str(d, pairs[i].value, "service");
            else if (strcmp(pairs[i].name, "project") == 0)
                c->project = ydoc_str(d, pairs[i].value, "project");
            else if (strcmp(pairs[i].name, "socket") == 0) {
                c->socket = ydoc_str(d, pairs[i].value, "socket");
                if (c->socket != NULL && c->socket[0] != '/')
                    ydoc_error(d, pairs[i].value, "socket must be an absolute path, not '%s'",
                               c->socket);
            } else
                ydoc_unknown_key(d, &pairs[i], "docker", keys, HT_ARRAY_LEN(keys));
        }
        free(pairs);
        if (c->service == NULL && c->project == NULL && !d->over_budget)
            ydoc_error(d, p->key, "docker needs a service: (the compose service name)");
    }
    if (c->socket == NULL)
        docker_default_socket(d, p, c);
}

/* ------------------------------------------------------------------ */

void config_probe_parse(struct ydoc *d, enum probe_kind k, const struct ypair *p,
                        struct svc_config *s)
{
    static const char *const forms[PROBE_KIND_COUNT] = {
        [PROBE_HTTP] = "a URL, a list of URLs or a mapping with url:",
        [PROBE_TCP] = "host:port or a list of them",
        [PROBE_REDIS] = "a redis:// URL, a list of them or a mapping with url:",
        [PROBE_EXEC] = "a list: [program, arg, ...]",
        [PROBE_CELERY] = "a broker URL or a mapping with broker:",
        [PROBE_DOCKER] = "a compose service name or a mapping with service:",
    };

    if (ydoc_is_null(p->value)) {
        ydoc_error(d, p->key, "%s needs a value: %s", p->name, forms[k]);
        return;
    }
    switch (k) {
    case PROBE_HTTP:
        parse_http(d, p, &s->u.http);
        break;
    case PROBE_TCP:
        parse_tcp(d, p, &s->u.tcp);
        break;
    case PROBE_REDIS:
        parse_redis(d, p, &s->u.redis);
        break;
    case PROBE_EXEC:
        parse_exec(d, p, &s->u.exec);
        break;
    case PROBE_CELERY:
        parse_celery(d, p, &s->u.celery);
        break;
    case PROBE_DOCKER:
        parse_docker(d, p, &s->u.docker);
        break;
    case PROBE_KIND_COUNT:
        break;
    }
}

void config_probe_free(struct svc_config *s)
{
    switch (s->kind) {
    case PROBE_HTTP:
        free_list(s->u.http.urls, s->u.http.nurls);
        free(s->u.http.status);
        free(s->u.http.body);
        for (size_t i = 0; i < s->u.http.njson; i++) {
            free(s->u.http.json[i].key);
            free(s->u.http.json[i].value);
        }
        free(s->u.http.json);
        for (size_t i = 0; i < s->u.http.nheaders; i++) {
            free(s->u.http.headers[i].key);
            free(s->u.http.headers[i].value);
        }
        free(s->u.http.headers);
        break;
    case PROBE_TCP:
        free_list(s->u.tcp.addrs, s->u.tcp.naddrs);
        break;
    case PROBE_REDIS:
        for (size_t i = 0; i < s->u.redis.ntargets; i++)
            redis_target_free(&s->u.redis.targets[i]);
        free(s->u.redis.targets);
        break;
    case PROBE_EXEC:
        free_list(s->u.exec.argv, s->u.exec.argc);
        break;
    case PROBE_CELERY:
        redis_target_free(&s->u.celery.broker);
        free(s->u.celery.workers);
        break;
    case PROBE_DOCKER:
        free(s->u.docker.service);
        free(s->u.docker.project);
        free(s->u.docker.socket);
        break;
    case PROBE_KIND_COUNT:
        break;
    }
    memset(&s->u, 0, sizeof(s->u));
}
