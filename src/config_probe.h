/* The probe part of a service in the config. config.c hands the probe's
 * key to config_probe_parse, which finds the kind in the table (probe.h)
 * and calls its parser; the parsers live with their kinds, under
 * src/probes/, and share the helpers below. */
#ifndef HEALTHTOP_CONFIG_PROBE_H
#define HEALTHTOP_CONFIG_PROBE_H

#include <stdio.h>
#include "healthtop/config.h"
#include "yaml_doc.h"

/* Fills s->u for kind k from p (the probe's key and value); every problem
 * is recorded in d. Whatever was allocated is owned by s, also on error. */
void config_probe_parse(struct ydoc *d, enum probe_kind k, const struct ypair *p,
                        struct svc_config *s);
void config_probe_free(struct svc_config *s);

/* ------------------------------------------------------------------ */
/* For the kinds' parsers                                               */

/* Checks one string of a list; records an error in d and returns -1 when
 * it is bad. */
typedef int (*config_check_fn)(struct ydoc *d, yaml_node_t *n, const char *what, const char *value);

/* Scalar or list of scalars -> array of strings appended to *out, each
 * checked with check (may be NULL). Items that fail the check are
 * recorded as errors and still kept, so that one owner frees everything.
 * Returns 0, or -1 when a problem was found. */
int config_str_list(struct ydoc *d, yaml_node_t *n, const char *what, config_check_fn check,
                    char ***out, size_t *nout);
/* Frees n strings of v, then v. */
void config_free_list(char **v, size_t n);

/* Registers the password of scheme://user:password@host... as a secret,
 * as written and %-decoded, before anything can print the URL. Addresses
 * and URLs themselves are parsed by url.h. */
void config_url_secret(const char *url);

/* url with its user:password@ part masked (secret_redact_url), in a
 * buffer of its own size: a fixed one could cut a secret in two, and
 * secret_scrub would then miss the half left. The caller frees it. */
char *config_redact_url(const char *url);

/* For the kinds' describe: prints "verb url" with url redacted, and
 * " (+N more)" when there is more than one target. */
void config_describe_url(FILE *f, const char *verb, const char *url);
void config_describe_more(FILE *f, size_t targets);

/* For whatever speaks HTTP (the http and prometheus kinds, the alert
 * receivers): an http(s) URL checked as a config_check_fn, its password
 * registered as a secret first; a headers: mapping appended to *kv, each
 * value registered as a secret, every problem recorded in d; and one
 * key/value appended to *v (key copied, value taken). */
int config_http_url(struct ydoc *d, yaml_node_t *n, const char *what, const char *url);
void config_headers(struct ydoc *d, yaml_node_t *n, struct config_kv **kv, size_t *nkv);
void config_kv_push(struct config_kv **v, size_t *n, const char *key, char *value);

#endif
