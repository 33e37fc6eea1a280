/* Reading the services out of the merged compose tree (private to
 * src/compose/). */
#ifndef HEALTHTOP_COMPOSE_SERVICE_H
#define HEALTHTOP_COMPOSE_SERVICE_H

#include "compose/compose.h"

/* Messages gathered while reading a project: one "file:line:col: what"
 * each (secrets masked), joined into the loader's err at the end. */
struct cerrs {
    char **lines;
    size_t n, cap;
};
void cerrs_add(struct cerrs *e, const struct compose_pos *at, const char *fmt, ...) HT_PRINTF(3, 4);

/* Fills p->svcs from p->root; 0, or -1 with the problems in errs. */
int compose_services_read(struct compose_project *p, struct cerrs *errs);
void compose_services_free(struct compose_project *p);

#endif
