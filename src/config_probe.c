/* The probe of a service: dispatch to the kind's parser through the table
 * (probe.h), and the helpers the kinds' parsers share: lists of strings,
 * addresses, URLs and their secrets, one-line descriptions.
 *
 * Each kind accepts a shorthand string (`http: URL`, `tcp: host:port`,
 * `redis: URL`, `celery: BROKER`, `docker: SERVICE`) wherever its mapping
 * form is, and a list wherever one target per replica makes sense. */
#include "healthtop/config_probe.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/probe.h"
#include "healthtop/secret.h"

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

void config_url_secret(const char *url)
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
        /* What goes on the wire is the %-decoded pair, and for HTTP its
         * base64 in an Authorization header, which a server may echo. */
        char *user = curl_easy_unescape(NULL, auth, (int)(colon - auth), NULL);
        char *plain = curl_easy_unescape(NULL, pw, 0, NULL);
        secret_add(pw);
        if (plain != NULL) {
            secret_add(plain);
            secret_add_basic(user, plain);
        }
        curl_free(user);
        curl_free(plain);
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
