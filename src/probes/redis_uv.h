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
 *     if (ac->err == 0 && redis_uv_attach(ac, loop) == 0) {
 *         redisAsyncSetConnectCallback(ac, ...);
 *         redisAsyncCommand(ac, ...);
 *     }
 *
 * Attach before the first command or connect callback is set (both make
 * hiredis ask for write events). The adapter owns one uv_poll_t on the
 * context's socket; hiredis releases it through ev.cleanup when the
 * context is freed, and the poll handle's memory is freed later by
 * uv_close, so the loop must run once more after the last context goes
 * away (as for any libuv handle). Nothing else needs to be freed. */
#ifndef HEALTHTOP_REDIS_UV_H
#define HEALTHTOP_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Sets ac->ev.addRead/delRead/addWrite/delWrite/cleanup and ac->ev.data,
 * and marks the socket close-on-exec (hiredis 0.14 does not), so that
 * spawned children never inherit it.
 * Returns 0, or -1 when ac already has an event library attached or the
 * poll handle cannot be set up (ac is left untouched: free it). */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
