/* A hiredis (0.14) event adapter for libuv: see redis_uv.h for why the
 * project has its own. */
#include "redis_uv.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/util.h"

struct redis_uv {
    uv_poll_t poll;
    uv_idle_t flush;       /* writes on a connected socket: see add_write */
    int handles;           /* of poll and flush, not yet closed */
    bool flushing;         /* inside a redisAsyncHandleWrite of ours */
    redisAsyncContext *ac; /* NULL once hiredis called cleanup */
    int events;            /* UV_READABLE | UV_WRITABLE wanted by hiredis */
    struct redis_uv_limits limits;
    redisReplyObjectFunctions *fn; /* the reader's own reply functions */
    char refused[96];              /* why a reply was refused, or "" */
};

/* The reader's reply functions, bounded. hiredis 0.14 allocates an
 * array's element table as soon as it reads the header "*N\r\n", so a
 * 13-byte reply would ask for 16 GiB; the array is refused before that.
 * The reader then fails the reply as "Out of memory", drops the
 * connection and calls every pending callback with a NULL reply;
 * redis_uv_errstr() gives them the real reason. */
static void *bounded_array(const redisReadTask *task, int n)
{
    struct redis_uv *e = task->privdata;

    if (task->parent != NULL) {
        ht_snprintf(e->refused, sizeof(e->refused), "reply too large (nested array)");
        return NULL;
    }
    if (n > e->limits.max_elements) {
        ht_snprintf(e->refused, sizeof(e->refused),
                    "reply too large (array of %d elements, at most %d expected)", n,
                    e->limits.max_elements);
        return NULL;
    }
    return e->fn->createArray(task, n);
}

static void *bounded_string(const redisReadTask *task, char *str, size_t len)
{
    return ((struct redis_uv *)task->privdata)->fn->createString(task, str, len);
}

static void *bounded_integer(const redisReadTask *task, long long v)
{
    return ((struct redis_uv *)task->privdata)->fn->createInteger(task, v);
}

static void *bounded_nil(const redisReadTask *task)
{
    return ((struct redis_uv *)task->privdata)->fn->createNil(task);
}

/* The default freeObject, which needs no adapter (the reader may free its
 * last reply after the adapter let go of the context). */
static redisReplyObjectFunctions bounded_fn = {
    bounded_string, bounded_array, bounded_integer, bounded_nil, freeReplyObject,
};

/* A bulk string "$N\r\n" stays in the reader's buffer until all N bytes
 * have come, and nothing in hiredis stops the buffer growing. Complete
 * replies have been taken off by the time a read returns, so what is left
 * is one reply still arriving: past the limit, drop the connection. */
static bool over_limit(struct redis_uv *e)
{
    const redisReader *r = e->ac->c.reader;

    if (r->len - r->pos <= e->limits.max_buffer)
        return false;
    ht_snprintf(e->refused, sizeof(e->refused),
                "reply too large (over %zu bytes, at most %zu expected)", r->len - r->pos,
                e->limits.max_buffer);
    return true;
}

/* libuv reports a socket error (POLLERR, as a refused connect gives) with
 * status < 0, no events, and stops the handle. hiredis finds the error
 * itself (getsockopt or read) when asked to handle the events it was
 * waiting for, so pass those on. A handler may free the context, which
 * calls cleanup and clears e->ac: check it between the two calls. */
static void on_poll(uv_poll_t *h, int status, int events)
{
    struct redis_uv *e = h->data;

    if (status < 0)
        events = e->events ? e->events : UV_READABLE;
    if (e->ac != NULL && (events & UV_READABLE)) {
        redisAsyncHandleRead(e->ac);
        if (e->ac != NULL && over_limit(e)) {
            /* Pending callbacks get a NULL reply and this reason, then
             * the owner's disconnect callback runs: the owner lets go of
             * the context the way it does when a connection breaks. */
            redisAsyncContext *ac = e->ac;
            ac->err = ac->c.err = REDIS_ERR_OTHER;
            ht_strlcpy(ac->c.errstr, e->refused, sizeof(ac->c.errstr));
            redisAsyncFree(ac);
            return;
        }
    }
    if (e->ac != NULL && (events & UV_WRITABLE)) {
        e->flushing = true; /* a write still unfinished waits for POLLOUT */
        redisAsyncHandleWrite(e->ac);
        e->flushing = false;
    }
}

static void update(struct redis_uv *e, int events)
{
    if (e->ac == NULL || events == e->events)
        return;
    e->events = events;
    if (events != 0)
        (void)uv_poll_start(&e->poll, events, on_poll);
    else
        (void)uv_poll_stop(&e->poll);
}

static void add_read(void *data)
{
    struct redis_uv *e = data;
    update(e, e->events | UV_READABLE);
}

static void del_read(void *data)
{
    struct redis_uv *e = data;
    update(e, e->events & ~UV_READABLE);
}

static void on_flush(uv_idle_t *h)
{
    struct redis_uv *e = h->data;

    (void)uv_idle_stop(h);
    if (e->ac == NULL)
        return;
    e->flushing = true;
    redisAsyncHandleWrite(e->ac); /* may free ac: e lives until closed */
    e->flushing = false;
}

/* hiredis asks for write events for every command it queues. Waiting for
 * POLLOUT costs two epoll_ctl calls per command (on, then off again),
 * most of what a command on a kept-open connection costs in system time;
 * and a connected socket nearly always has room. So once connected, the
 * write is tried on the loop's next turn (an idle handle, no system
 * call); only when it could not finish (the socket is full) does the
 * adapter wait for POLLOUT. A connect in progress always waits for it:
 * that is how its end is seen. */
static void add_write(void *data)
{
    struct redis_uv *e = data;

    if ((e->ac->c.flags & REDIS_CONNECTED) && !e->flushing) {
        (void)uv_idle_start(&e->flush, on_flush);
        return;
    }
    update(e, e->events | UV_WRITABLE);
}

static void del_write(void *data)
{
    struct redis_uv *e = data;

    (void)uv_idle_stop(&e->flush);
    update(e, e->events & ~UV_WRITABLE);
}

static void on_closed(uv_handle_t *h)
{
    struct redis_uv *e = h->data;

    if (--e->handles == 0)
        free(e);
}

/* Called by hiredis while it frees the context (its disconnect and free
 * paths may both clean up). Unhooking the context makes any later call a
 * no-op: hiredis checks each hook for NULL. The fd is closed by hiredis
 * right after; the stopped poll never touches it again. */
static void cleanup(void *data)
{
    struct redis_uv *e = data;
    redisAsyncContext *ac = e->ac;

    if (ac == NULL)
        return;
    ac->ev.data = NULL;
    ac->ev.addRead = ac->ev.delRead = NULL;
    ac->ev.addWrite = ac->ev.delWrite = NULL;
    ac->ev.cleanup = NULL;
    e->ac = NULL;
    if (e->refused[0] != '\0') /* for the disconnect callback, which comes next */
        ht_strlcpy(ac->c.errstr, e->refused, sizeof(ac->c.errstr));
    (void)uv_poll_stop(&e->poll);
    uv_close((uv_handle_t *)&e->poll, on_closed);
    uv_close((uv_handle_t *)&e->flush, on_closed);
}

const char *redis_uv_errstr(const redisAsyncContext *ac, const char *dflt)
{
    const struct redis_uv *e = ac->ev.cleanup == cleanup ? ac->ev.data : NULL;

    if (e != NULL && e->refused[0] != '\0')
        return e->refused;
    return ac->c.errstr[0] != '\0' ? ac->c.errstr : dflt;
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop, const struct redis_uv_limits *limits)
{
    struct redis_uv *e;
    int flags;

    if (ac->ev.data != NULL || ac->c.fd < 0)
        return -1;
    /* hiredis 0.14 opens its socket without SOCK_CLOEXEC: every child we
     * spawn (exec probes) would inherit the connection and keep it open.
     * The loop's thread is the only one that forks, so no race here. */
    flags = fcntl(ac->c.fd, F_GETFD);
    if (flags < 0 || fcntl(ac->c.fd, F_SETFD, flags | FD_CLOEXEC) != 0)
        return -1;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    if (uv_poll_init(loop, &e->poll, ac->c.fd) != 0) {
        free(e);
        return -1;
    }
    (void)uv_idle_init(loop, &e->flush); /* cannot fail */
    e->handles = 2;
    e->poll.data = e;
    e->flush.data = e;
    e->ac = ac;
    e->limits = *limits;
    e->fn = ac->c.reader->fn;
    ac->c.reader->fn = &bounded_fn;
    ac->c.reader->privdata = e;
    ac->ev.data = e;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}
