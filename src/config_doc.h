/* The config loader over a YAML document built by its caller rather than
 * read from a file: the compose reader builds one from the x-healthtop:
 * extensions of a compose project (src/compose/ext.c), so that they are
 * read by the same code as a healthtop.yml. */
#ifndef HEALTHTOP_CONFIG_DOC_H
#define HEALTHTOP_CONFIG_DOC_H

#include <stddef.h>
#include "healthtop/config.h"
#include "yaml_doc.h"

/* Parses d (title:, defaults:, services:, ... as a healthtop.yml) into
 * cfg as a file with compose: would be: a service without a probe is an
 * override of the compose service of its name, and a depends_on name
 * that is none of the document's services is left for the overlay to
 * resolve. Errors are d's, "file:line:column: ..." with d's name and the
 * positions in its nodes. 0, or -1 with err (cfg is then freed). d is
 * still the caller's to free. */
int config_parse_overlay_doc(struct ydoc *d, struct ht_config *cfg, char *err,
                             size_t errlen) HT_WUR;

#endif
