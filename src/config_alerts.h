/* The alerts: section of the config (config_alerts.c), for config.c. */
#ifndef HEALTHTOP_CONFIG_ALERTS_H
#define HEALTHTOP_CONFIG_ALERTS_H

#include "healthtop/config.h"
#include "yaml_doc.h"

/* Fills cfg->alerts from n, a list of routes; every problem is recorded
 * in d. What was allocated is owned by cfg, also on error. */
void config_alerts_parse(struct ydoc *d, yaml_node_t *n, struct ht_config *cfg);
void config_alerts_free(struct ht_config *cfg);

#endif
