/* A hiredis (0.14) event adapter for libuv, written for healthtop.
 *
 * Debian's hiredis 0.14.1 ships adapters/libuv.h, but its poll callback
 * returns early when libuv reports an error status, so a refused connect
 * never reaches the connect callback and a Redis that is down looks like a
 * probe stuck "connecting". This adapter passes every poll event on,
 * errors included, and is used instead by every hiredis user here (the
 * redis and celery probes).
 *
 * Use:
 *     redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", 6379);
 *     if (ac->err == 0 && redis_uv_attach(ac, loop, &limits) == 0) {
 *         redisAsyncSetConnectCallback(ac, ...);
 *         redisAsyncCommand(ac, ...);
 *     }
 *
 * Attach before the first command or connect callback is set (both make
 * hiredis ask for write events). The adapter owns one uv_poll_t on the
 * context's socket, and a uv_idle_t that sends what a connected context
 * queued on the loop's next turn, without waiting for POLLOUT (which
 * costs two epoll_ctl calls a command); hiredis releases both through
 * ev.cleanup when the context is freed, and their memory is freed later
 * by uv_close, so the loop must run once more after the last context goes
 * away (as for any libuv handle). Nothing else needs to be freed.
 *
 * Every reply is bounded before it is buffered (hiredis 0.14 has no
 * limit of its own): see struct redis_uv_limits. A reply past a limit
 * drops the connection; the pending callbacks get a NULL reply, and
 * redis_uv_errstr() says "reply too large (...)". */
#ifndef HEALTHTOP_REDIS_UV_H
#define HEALTHTOP_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* What one reply may hold. Health probes expect a few bytes: PONG, OK, an
 * integer, BRPOP's two strings. Arrays nested in arrays are refused. */
struct redis_uv_limits {
    size_t max_buffer; /* bytes of a reply still arriving */
    int max_elements;  /* elements of an array */
};

/* Sets ac->ev.addRead/delRead/addWrite/delWrite/cleanup and ac->ev.data,
 * and marks the socket close-on-exec (hiredis 0.14 does not), so that
 * spawned children never inherit it.
 * Returns 0, or -1 when ac already has an event library attached or the
 * poll handle cannot be set up (ac is left untouched: free it). */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop, const struct redis_uv_limits *limits);

/* Why the connection failed or was dropped: the adapter's own reason when
 * it refused a reply, else hiredis' error text, else dflt. Valid in the
 * callbacks hiredis calls while it frees the context. */
const char *redis_uv_errstr(const redisAsyncContext *ac, const char *dflt);

#endif
