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
