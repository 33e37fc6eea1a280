/* A growable byte buffer with a hard limit, used wherever bytes arrive
 * from the network or from a child process. */
#ifndef HEALTHTOP_BUF_H
#define HEALTHTOP_BUF_H

#include <stddef.h>
#include "healthtop/util.h"

struct buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit; /* appends past this fail with -1 and set over */
    bool over;    /* an append was refused because of the limit */
};

void buf_init(struct buf *b, size_t limit);
/* Appends n bytes; returns 0, or -1 when the limit would be passed (the
 * bytes that fit are kept, and b->over is set). */
int buf_append(struct buf *b, const void *p, size_t n) HT_WUR;
int buf_printf(struct buf *b, const char *fmt, ...) HT_PRINTF(2, 3) HT_WUR;
/* Room for n more bytes at b->data + b->len, for a writer that writes
 * them itself and then calls buf_commit; NULL (and b->over set) when the
 * limit would be passed. Saves a call per piece where a writer knows the
 * most it will write. */
char *buf_reserve(struct buf *b, size_t n);
/* Ends what was written from buf_reserve's pointer at end. */
void buf_commit(struct buf *b, const char *end);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
