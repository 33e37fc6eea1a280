/* libcurl's multi_socket interface driven by the libuv loop: one CURLM,
 * one uv_timer_t for curl's timeouts, one uv_poll_t per socket curl asks
 * to watch. Transfers are added with a completion callback that runs
 * exactly once, from the loop, after curl is done with the easy handle.
 *
 * The multi handle keeps a connection cache, so a transfer that does not
 * ask for a fresh connection reuses an idle one to the same host. The
 * cache is sized from the open-file limit.
 *
 * Shared by the curl-based probes (http, docker); nothing in it is
 * specific to either. Each owner holds its own curl_uv. */
#ifndef HEALTHTOP_CURL_UV_H
#define HEALTHTOP_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>
#include "healthtop/util.h"

struct curl_uv;
struct curl_uv_xfer;

/* At most this many curl calls (a socket_action, or a finished transfer
 * handed to its callback) per loop turn; the rest waits for the next
 * turn, so that a burst of results never keeps the loop from the other
 * handles (a key press) for longer than one batch. */
#define CURL_UV_TURN_BUDGET 32

/* rc is the transfer's result; the easy handle has been removed from the
 * multi handle, so the callback may clean it up or add it again. It may
 * also remove other transfers, add new ones, or close the curl_uv. */
typedef void (*curl_uv_done_cb)(struct curl_uv_xfer *x, CURLcode rc);

/* One transfer, owned by the caller (embed it in your own struct). */
struct curl_uv_xfer {
    CURL *easy;
    curl_uv_done_cb done;
    void *data; /* the caller's */
    /* The socket error a failed poll on its connection found once the
     * request was under way (ECONNRESET, say), or 0. Curl's own
     * CURLINFO_OS_ERRNO stays 0 in that case; use this when it is. */
    int sock_errno;
    bool active;                /* added and not yet done or removed */
    struct curl_uv_sock *socks; /* curl_uv's: the sockets curl last named it for */
};

/* Takes a reference on curl's global state (curl_global_init) that is
 * given back once closed. Returns NULL when curl cannot start. */
struct curl_uv *curl_uv_new(uv_loop_t *loop);
/* Starts x->easy (CURLOPT_PRIVATE is taken). Returns 0 or -1. */
int curl_uv_add(struct curl_uv *cu, struct curl_uv_xfer *x) HT_WUR;
/* Stops x without calling its callback; a no-op when not active. */
void curl_uv_remove(struct curl_uv *cu, struct curl_uv_xfer *x);
/* Cleans the multi handle up and closes the handles; the struct is freed
 * from the last close callback, so run the loop until it has no handles.
 * No transfer may be active. Called from a completion callback, the
 * cleanup waits until curl has returned. */
void curl_uv_close(struct curl_uv *cu);

#endif
