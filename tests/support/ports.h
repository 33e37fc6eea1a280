/* Loopback ports for integration tests. Part of the
 * htsupport library (tests/CMakeLists.txt). */
#ifndef HT_TEST_PORTS_H
#define HT_TEST_PORTS_H

/* A loopback TCP port that was free a moment ago. */
int test_free_port(void);
/* A socket listening on 127.0.0.1 (AF_INET) or ::1 (AF_INET6) on a free
 * port, that nobody accepts from; -1 when that family is unavailable. */
int test_listen(int family, int backlog, int *port);

/* A non-blocking connect to 127.0.0.1:port, left in flight: a few of them
 * fill the backlog of a test_listen(AF_INET, 0, ...) socket, after which
 * the kernel drops new SYNs and a connect there hangs. Close it after. */
int test_fill_backlog(int port);

#endif
