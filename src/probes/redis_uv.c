/* A hiredis (0.14) event adapter for libuv: see redis_uv.h for why the
 * project has its own. */
#include "redis_uv.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>

struct redis_uv {
    uv_poll_t poll;
    redisAsyncContext *ac; /* NULL once hiredis called cleanup */
    int events;            /* UV_READABLE | UV_WRITABLE wanted by hiredis */
};

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
    if (e->ac != NULL && (events & UV_READABLE))
        redisAsyncHandleRead(e->ac);
    if (e->ac != NULL && (events & UV_WRITABLE))
        redisAsyncHandleWrite(e->ac);
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

static void add_write(void *data)
{
    struct redis_uv *e = data;
    update(e, e->events | UV_WRITABLE);
}

static void del_write(void *data)
{
    struct redis_uv *e = data;
    update(e, e->events & ~UV_WRITABLE);
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
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
    (void)uv_poll_stop(&e->poll);
    uv_close((uv_handle_t *)&e->poll, on_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
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
    e->poll.data = e;
    e->ac = ac;
    ac->ev.data = e;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}
