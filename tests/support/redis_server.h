/* Starting and stopping a real redis-server (Debian's /usr/bin/redis-server)
 * for integration tests, on a free loopback port, with no persistence.
 *
 * Used by the redis and celery tests. Part of the htsupport
 * library (tests/CMakeLists.txt). Every server
 * started is also killed at exit (atexit) and when the test process dies
 * (PR_SET_PDEATHSIG), so a failing test never leaves one behind. */
#ifndef HT_TEST_REDIS_SERVER_H
#define HT_TEST_REDIS_SERVER_H

#include <sys/types.h>
#include "ports.h"

struct redis_server {
    pid_t pid; /* 0 when not running */
    int port;
    char dir[64];      /* its working directory (a mkdtemp under /tmp) */
    char password[64]; /* --requirepass value, or "" */
};

/* Starts redis-server on port (0 = a free one), with --requirepass when
 * password is not NULL, plus extra arguments (NULL-terminated list, or
 * NULL), and waits until it answers (up to 10 s). Returns 0 or -1. */
int redis_server_start(struct redis_server *s, int port, const char *password,
                       const char *const *extra);
/* Kills it (SIGKILL) and reaps it; removes its directory. Safe to call
 * twice or on a server that was never started. */
void redis_server_stop(struct redis_server *s);
/* Kills it and reaps it but keeps port, password and directory, for a
 * restart with redis_server_start(s, s->port, ...). */
void redis_server_kill(struct redis_server *s);

#endif
