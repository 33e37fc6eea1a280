/* A fixed-capacity ring of fixed-size items. */
#include "healthtop/ring.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/util.h"

/* Storage grows by doubling as items arrive, up to cap: a ring sized for
 * an hour of samples costs nothing until it is used (a --once run pushes
 * one result; a dashboard a few minutes old holds a few minutes). Growth
 * only happens before the ring first fills, while its items are still in
 * order from slot 0, so a realloc keeps them where they are. */
void ring_init(struct ring *r, uint32_t item_size, uint32_t cap)
{
    r->items = NULL;
    r->size = item_size;
    r->cap = cap;
    r->alloc = 0;
    r->head = 0;
    r->len = 0;
}

static void ring_grow(struct ring *r)
{
    uint32_t n = r->alloc ? r->alloc * 2 : 4;

    if (n > r->cap || n < r->alloc)
        n = r->cap;
    r->items = xrealloc(r->items, (size_t)n * r->size);
    r->alloc = n;
}

void ring_free(struct ring *r)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
}

void *ring_push(struct ring *r)
{
    void *slot;

    if (r->cap == 0)
        return NULL;
    if (r->head >= r->alloc)
        ring_grow(r);
    slot = r->items + (size_t)r->head * r->size;
    memset(slot, 0, r->size);
    r->head = (r->head + 1) % r->cap;
    if (r->len < r->cap)
        r->len++;
    return slot;
}

void *ring_at(const struct ring *r, uint32_t i)
{
    uint32_t start;

    if (i >= r->len)
        return NULL;
    start = (r->head + r->cap - r->len) % r->cap;
    return r->items + (size_t)((start + i) % r->cap) * r->size;
}

void *ring_last(const struct ring *r)
{
    return r->len ? ring_at(r, r->len - 1) : NULL;
}

void ring_clear(struct ring *r)
{
    r->head = 0;
    r->len = 0;
}
