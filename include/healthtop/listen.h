/* Listening on a numeric address with libuv, for the project's small
 * servers (httpd, respd): one piece of code for bind, listen and finding
 * the port the kernel chose. */
#ifndef HEALTHTOP_LISTEN_H
#define HEALTHTOP_LISTEN_H

#include <stdbool.h>
#include <uv.h>
#include "healthtop/util.h"

/* Initialises h on loop and listens on host:port (a numeric IPv4 or IPv6
 * address; port 0 lets the kernel choose), calling on_conn for each
 * connection. Returns 0 with *bound the port listened on, or a negative
 * libuv error. *opened tells whether h was initialised: when it was and
 * listening failed, h is already closing and on_closed will run. */
int listen_tcp(uv_loop_t *loop, uv_tcp_t *h, const char *host, int port, uv_connection_cb on_conn,
               uv_close_cb on_closed, int *bound, bool *opened) HT_WUR;

#endif
