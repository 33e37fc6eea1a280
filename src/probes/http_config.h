/* The http probe's config half (http_config.c), for its entry in the
 * table of kinds (http.c). */
#ifndef HEALTHTOP_PROBES_HTTP_CONFIG_H
#define HEALTHTOP_PROBES_HTTP_CONFIG_H

#include <stdio.h>
#include "healthtop/config.h"
#include "yaml_doc.h"

/* The keys of the mapping form, NULL-terminated. */
extern const char *const http_config_keys[];

void http_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s);
void http_config_free(struct svc_config *s);
size_t http_config_targets(const struct svc_config *s);
void http_config_describe(const struct svc_config *s, FILE *f);

/* For the other kinds that speak HTTP (prometheus): "64KiB", "1MiB" or
 * a number of bytes, 1 byte to 64MiB (0, or -1 with *why a static
 * phrase). Their URLs and headers: go through config_http_url and
 * config_headers (config_probe.h). */
int http_config_size(const char *s, size_t *out, const char **why);

#endif
