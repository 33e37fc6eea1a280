/* Building the compose tree from one YAML file (private to src/compose/:
 * it brings in yaml_doc.h, which the rest of the subsystem need not see). */
#ifndef HEALTHTOP_COMPOSE_TREE_H
#define HEALTHTOP_COMPOSE_TREE_H

#include "compose/compose.h"
#include "yaml_doc.h"

struct cnode *cnode_new(enum cnode_type t, const char *file, unsigned line, unsigned col);
/* The document d as a tree, every scalar value interpolated through it
 * (keys are not, as in compose). Problems are recorded in d: errors, and
 * compose's warning for a variable that is not set, which starts with
 * "warning: ". Returns NULL only when the work bound was hit. */
struct cnode *cnode_from_ydoc(struct ydoc *d, struct compose_interp *it);

#endif
