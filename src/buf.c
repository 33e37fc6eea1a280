/* A growable byte buffer with a hard limit. */
#include "healthtop/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

static void buf_grow(struct buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->limit + 1)
        cap = b->limit + 1;
    if (cap > b->cap) {
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    size_t room = b->limit - b->len;
    size_t take = n < room ? n : room;

    buf_grow(b, b->len + take + 1);
    memcpy(b->data + b->len, p, take);
    b->len += take;
    b->data[b->len] = '\0';
    if (take < n) {
        b->over = true;
        return -1;
    }
    return 0;
}

char *buf_reserve(struct buf *b, size_t n)
{
    if (b->limit - b->len < n) {
        b->over = true;
        return NULL;
    }
    buf_grow(b, b->len + n + 1);
    return b->data + b->len;
}

void buf_commit(struct buf *b, const char *end)
{
    b->len = (size_t)(end - b->data);
    b->data[b->len] = '\0';
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);

    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->over = false;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->over = false;
}
