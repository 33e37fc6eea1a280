/* The config half of the redis and celery kinds (redis_config.c), for
 * their entries in the table of kinds (redis.c, celery.c). */
#ifndef HEALTHTOP_PROBES_REDIS_CONFIG_H
#define HEALTHTOP_PROBES_REDIS_CONFIG_H

#include <stdio.h>
#include "healthtop/config.h"
#include "yaml_doc.h"

/* The keys of the mapping forms, NULL-terminated. */
extern const char *const redis_config_keys[];
extern const char *const celery_config_keys[];

void redis_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s);
void redis_config_free(struct svc_config *s);
size_t redis_config_targets(const struct svc_config *s);
void redis_config_describe(const struct svc_config *s, FILE *f);

void celery_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s);
void celery_config_free(struct svc_config *s);
void celery_config_describe(const struct svc_config *s, FILE *f);

#endif
