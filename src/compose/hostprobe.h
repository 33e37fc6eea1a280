/* Healthchecks run from the host (private to src/compose/): see
 * hostprobe.c. */
#ifndef HEALTHTOP_COMPOSE_HOSTPROBE_H
#define HEALTHTOP_COMPOSE_HOSTPROBE_H

#include "compose/compose.h"
#include "healthtop/config.h"

#define HOSTPROBE_WHAT_MAX 256

/* The checks of p's active services that healthtop can run from the
 * host, as a config of one row per such service in p's order (row k is
 * p->svcs[at[k]], what[k] its target: "http://127.0.0.1:8000/health");
 * at and what have room for p->nsvcs. Returns 0 (cfg->nsvcs may be 0:
 * free it with config_free either way), or -1 with err. */
int hostprobe_config(const struct compose_project *p, struct ht_config *cfg, size_t *at,
                     char (*what)[HOSTPROBE_WHAT_MAX], char *err, size_t n) HT_WUR;

#endif
