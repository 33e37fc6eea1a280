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

void compose_cycles(const struct compose_project *p, compose_cycle_fn fn, void *ud)
{
    size_t n = p->nsvcs;
    unsigned char *colour = xcalloc(n + 1, 1);
    size_t *stack = xcalloc(n + 1, sizeof(*stack)), *edge = xcalloc(n + 1, sizeof(*edge));

    for (size_t root = 0; root < n; root++) {
        size_t sp = 0;
        if (colour[root] != 0)
            continue;
        colour[root] = 1;
        stack[sp] = root;
        edge[sp++] = 0;
        while (sp > 0) {
            const struct compose_service *s = &p->svcs[stack[sp - 1]];
            size_t j, v;
            if (edge[sp - 1] == s->ndeps) {
                colour[stack[--sp]] = 2;
                continue;
            }
            j = edge[sp - 1]++;
            v = dep_index(p, s, j);
            if (v == SIZE_MAX || colour[v] == 2)
                continue;
            if (colour[v] == 1) {
                size_t from = sp - 1;
                while (from > 0 && stack[from] != v)
                    from--;
                if (fn(p, stack + from, sp - from, j, ud) != 0)
                    goto out;
                continue;
            }
            colour[v] = 1;
            stack[sp] = v;
            edge[sp++] = 0;
        }
    }
out:
    free(colour);
    free(stack);
    free(edge);
}
