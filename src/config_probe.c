/* The probe of a service: dispatch to the kind's parser through the table
 * (probe.h), and the helpers the kinds' parsers share: lists of strings,
 * addresses, URLs and their secrets, one-line descriptions.
 *
 * Each kind accepts a shorthand string (`http: URL`, `tcp: host:port`,
 * `redis: URL`, `celery: BROKER`, `docker: SERVICE`) wherever its mapping
 * form is, and a list wherever one target per replica makes sense. */
#include "config_probe.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/probe.h"
#include "healthtop/secret.h"
#include "healthtop/url.h"

int config_str_list(struct ydoc *d, yaml_node_t *n, const char *what, config_check_fn check,
                    char ***out, size_t *nout)
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

void config_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ */
/* Addresses and URLs                                                   */

void config_url_secret(const char *url)
{
    const char *ui, *pw;
    size_t len, pwlen;

    if (!url_userinfo(url, false, &ui, &len))
        return;
    url_userinfo_password(ui, len, &pw, &pwlen);
    if (pw != NULL) {
        /* What goes on the wire is the %-decoded pair, and for HTTP its
         * base64 in an Authorization header, which a server may echo. */
        char *raw = xstrndup(pw, pwlen), *plain = url_decode(pw, pwlen);
        char *user = url_decode(ui, (size_t)(pw - 1 - ui));
        secret_add(raw);
        secret_add(plain);
        secret_add_basic(user, plain);
        free(raw);
        free(plain);
        free(user);
    }
}

char *config_redact_url(const char *url)
{
    size_t n = strlen(url) + sizeof(SECRET_MASK) + 2;
    char *out = xmalloc(n);

    secret_redact_url(url, out, n);
    return out;
}

/* ------------------------------------------------------------------ */
/* Describing                                                           */

void config_describe_url(FILE *f, const char *verb, const char *url)
{
    char *shown = config_redact_url(url);

    fprintf(f, "%s %s", verb, shown);
    free(shown);
}

void config_describe_more(FILE *f, size_t targets)
{
    if (targets > 1)
        fprintf(f, " (+%zu more)", targets - 1);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */

void config_probe_parse(struct ydoc *d, enum probe_kind k, const struct ypair *p,
                        struct svc_config *s)
{
    const struct probe_ops *ops = probe_ops_get(k);

    if (ydoc_is_null(p->value)) {
        ydoc_error(d, p->key, "%s needs a value: %s", p->name, ops->form);
        return;
    }
    ops->parse(d, p, s);
}

void config_probe_free(struct svc_config *s)
{
    const struct probe_ops *ops = probe_ops_get(s->kind);

    if (ops != NULL && ops->free_config != NULL)
        ops->free_config(s);
    memset(&s->u, 0, sizeof(s->u));
}

/* Why url is no good http(s) URL, or NULL when it is. What is accepted
 * here is also what libcurl accepts for the transfer (URL_RAW_USERINFO). */
static const char *http_url_problem(const char *url)
{
    const char *why;
    struct url u;

    if (!url_has_scheme(url, "http") && !url_has_scheme(url, "https"))
        return "the scheme must be http:// or https://";
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return "spaces and control characters must be %-encoded";
    if (url_parse(url, URL_RAW_USERINFO, &u, &why) != 0)
        return why;
    url_free(&u);
    return NULL;
}

int config_http_url(struct ydoc *d, yaml_node_t *n, const char *what, const char *url)
{
    const char *why;
    char *shown;

    config_url_secret(url);
    why = http_url_problem(url);
    if (why == NULL)
        return 0;
    shown = config_redact_url(url);
    ydoc_error(d, n, "bad %s '%s': %s", what, shown, why);
    free(shown);
    return -1;
}

void config_kv_push(struct config_kv **v, size_t *n, const char *key, char *value)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].key = xstrdup(key);
    (*v)[*n].value = value;
    (*n)++;
}

void config_headers(struct ydoc *d, yaml_node_t *n, struct config_kv **kv, size_t *nkv)
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
        secret_add_header(v);
        if (strpbrk(v, "\r\n") != NULL)
            ydoc_error(d, pairs[i].value, "the value of header '%s' holds a line break", name);
        config_kv_push(kv, nkv, name, v);
    }
    free(pairs);
}
