/* Starting and stopping real PostgreSQL 15 servers (Debian's postgresql-15)
 * for integration tests, on free loopback ports, each in a data directory
 * of its own under /tmp. Part of the htsupport library.
 *
 * One cluster is made per process with initdb (superuser "postgres",
 * SCRAM passwords over TCP) and copied for each server, which may then be
 * held in a state of its own: a primary, a hot standby (pg_is_in_recovery()
 * is true), or a server that stays "starting up" (its archive recovery
 * waits on a restore_command that never returns).
 *
 * PostgreSQL refuses to run as root: when the tests run as root, initdb
 * and every server run as the "postgres" user, in directories it owns.
 * Every server started is also stopped at exit, and when the test process
 * dies (PR_SET_PDEATHSIG with SIGQUIT, PostgreSQL's immediate shutdown,
 * which also ends the restore_command the "starting" server waits on). */
#ifndef HT_TEST_PG_SERVER_H
#define HT_TEST_PG_SERVER_H

#include <sys/types.h>
#include "ports.h"

/* The password of the superuser "postgres" in every cluster. */
#define PG_SERVER_PASSWORD "pg-s3cret-pass-77"

enum pg_server_mode {
    PG_SERVER_PRIMARY,
    PG_SERVER_STANDBY,  /* standby.signal, hot_standby: read-only, in recovery */
    PG_SERVER_STARTING, /* says "the database system is starting up" */
    /* Offers TLS (a self-signed certificate), but its pg_hba.conf lets in
     * only connections without it: libpq's sslmode=prefer gets in on its
     * second try, on a new socket. */
    PG_SERVER_TLS_REFUSED,
};

struct pg_server {
    pid_t pid; /* the postmaster; 0 when not running */
    int port;
    char dir[64]; /* a mkdtemp under /tmp, holding data/ and server.log */
};

/* Starts a server in mode on a free port, with extra "-c name=value"
 * settings (NULL-terminated list of "name=value", or NULL), and waits
 * until it is in that state: accepting connections, or rejecting them
 * while starting. Returns 0, or -1 with a message on stderr. */
int pg_server_start(struct pg_server *s, enum pg_server_mode mode, const char *const *settings);
/* Immediate shutdown (SIGQUIT), waits for the postmaster, keeps the
 * directory and port (nothing listens there afterwards). */
void pg_server_kill(struct pg_server *s);
/* pg_server_kill, then removes the directory. Safe to call twice. */
void pg_server_stop(struct pg_server *s);

#endif
