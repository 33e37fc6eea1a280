/* A fixed-capacity ring of fixed-size items: the newest push overwrites
 * the oldest item once full. Written once, used for history samples,
 * recent results and state transitions. */
#ifndef HEALTHTOP_RING_H
#define HEALTHTOP_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    unsigned char *items;
    uint32_t size;  /* bytes per item */
    uint32_t cap;   /* items */
    uint32_t alloc; /* items allocated so far, <= cap (grows on push) */
    uint32_t head;  /* index of the next slot to write */
    uint32_t len;   /* items held, <= cap */
};

void ring_init(struct ring *r, uint32_t item_size, uint32_t cap);
void ring_free(struct ring *r);
/* Returns the slot for a new item (zeroed), evicting the oldest if full. */
void *ring_push(struct ring *r);
/* Item i, where 0 is the oldest and len-1 the newest; NULL when out of range. */
void *ring_at(const struct ring *r, uint32_t i);
/* The newest item, or NULL when empty. */
void *ring_last(const struct ring *r);
void ring_clear(struct ring *r);

#endif
