/* The probe part of a service in the config: one parser per probe kind
 * (http, tcp, redis, exec, celery, docker), used by config.c. */
#ifndef HEALTHTOP_CONFIG_PROBE_H
#define HEALTHTOP_CONFIG_PROBE_H

#include "healthtop/config.h"
#include "healthtop/yaml_doc.h"

/* Largest accepted http max_body. */
#define CONFIG_MAX_BODY_LIMIT (64 * 1024 * 1024)

/* Fills s->u for kind k from p (the probe's key and value); every problem
 * is recorded in d. Whatever was allocated is owned by s, also on error. */
void config_probe_parse(struct ydoc *d, enum probe_kind k, const struct ypair *p,
                        struct svc_config *s);
void config_probe_free(struct svc_config *s);

/* "host:port" or "[v6]:port" (the port may be left out when port_opt):
 * returns 0, or -1 with *why set. host (capacity hn) and *port get the
 * parts; *port is 0 when left out. */
int config_hostport(const char *s, bool port_opt, char *host, size_t hn, int *port,
                    const char **why) HT_WUR;

/* url with its user:password@ part masked (secret_redact_url), in a
 * buffer of its own size: a fixed one could cut a secret in two, and
 * secret_scrub would then miss the half left. The caller frees it. */
char *config_redact_url(const char *url);

#endif
