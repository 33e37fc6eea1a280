/* Listening on a numeric address with libuv. */
#include "healthtop/listen.h"

#include <netinet/in.h>
#include <sys/socket.h>

int listen_tcp(uv_loop_t *loop, uv_tcp_t *h, const char *host, int port, uv_connection_cb on_conn,
               uv_close_cb on_closed, int *bound, bool *opened)
{
    struct sockaddr_storage ss, got;
    int len = sizeof(got), rc;

    *opened = false;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return UV_EINVAL;
    if ((rc = uv_tcp_init(loop, h)) != 0)
        return rc;
    *opened = true;
    rc = uv_tcp_bind(h, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)h, SOMAXCONN, on_conn);
    if (rc == 0)
        rc = uv_tcp_getsockname(h, (struct sockaddr *)&got, &len);
    if (rc != 0) {
        uv_close((uv_handle_t *)h, on_closed);
        return rc;
    }
    *bound = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                             : ((struct sockaddr_in *)&got)->sin_port);
    return 0;
}
