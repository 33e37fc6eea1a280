/* depends_on as a graph: its cycles, found by a depth-first walk without
 * recursion (a generated project may chain thousands of services). */
#include "compose/compose.h"

#include <stdint.h>
#include <stdlib.h>

/* The index of the service depends_on entry j of s names, or SIZE_MAX. */
static size_t dep_index(const struct compose_project *p, const struct compose_service *s, size_t j)
{
    const struct compose_service *t = compose_service_find(p, s->deps[j].name);

    return t ? (size_t)(t - p->svcs) : SIZE_MAX;
}

struct walk {
    const struct compose_project *p;
    compose_cycle_fn fn;
    void *ud;
};

static size_t edges(size_t node, void *ud)
{
    const struct walk *w = ud;

    return w->p->svcs[node].ndeps;
}

static size_t target(size_t node, size_t e, void *ud)
{
    const struct walk *w = ud;

    return dep_index(w->p, &w->p->svcs[node], e);
}

static int cycle(const size_t *path, size_t len, size_t e, void *ud)
{
    const struct walk *w = ud;

    return w->fn(w->p, path, len, e, w->ud);
}

void compose_cycles(const struct compose_project *p, compose_cycle_fn fn, void *ud)
{
    struct walk w = {p, fn, ud};
    struct ht_graph g = {p->nsvcs, edges, target, cycle, &w};

    ht_graph_cycles(&g);
}
