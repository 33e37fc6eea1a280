/* A tiny RESP (Redis protocol) server on libuv, for the --demo stack's
 * Redis and FalkorDB: it speaks just enough for a health probe.
 *
 *   PING            +PONG (or, while loading, -LOADING <message>)
 *   AUTH, SELECT    +OK
 *   QUIT            +OK, then close
 *   anything else   -ERR unknown command '<name>'
 *
 * Both request forms are read: arrays of bulk strings (what hiredis
 * sends) and inline commands (what a person types into nc). Requests are
 * read into a bounded buffer (connections are tcpsrv's); a malformed one gets -ERR Protocol error
 * and the connection is closed, as Redis does.
 *
 * The process must ignore SIGPIPE. */
#ifndef HEALTHTOP_RESPD_H
#define HEALTHTOP_RESPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "healthtop/util.h"
#include "tcpsrv.h"

#define RESPD_MAX_REQUEST (64 * 1024)
#define RESPD_MSG_MAX     96

enum respd_mode {
    RESPD_READY,   /* PING answers +PONG */
    RESPD_LOADING, /* PING answers -LOADING <msg> */
    RESPD_CLOSE,   /* connections are accepted and closed at once */
};

struct respd;
typedef void (*respd_close_cb)(struct respd *srv);

struct respd {
    struct tcpsrv net; /* listener and connections: net.port, net.nconns */
    enum respd_mode mode;
    char msg[RESPD_MSG_MAX]; /* the LOADING text */
    uint64_t commands;       /* commands answered so far */
    respd_close_cb close_cb;
};

void respd_init(struct respd *srv, uv_loop_t *loop);
/* Listens on host:port (0 = a free port). Returns 0 or a negative libuv
 * error code. */
int respd_listen(struct respd *srv, const char *host, int port) HT_WUR;
/* How PING is answered from now on; msg is the LOADING text (copied). */
void respd_set_mode(struct respd *srv, enum respd_mode mode, const char *msg);
/* Stops listening and closes every connection; cb (may be NULL) runs once
 * all is closed. respd_init again before listening again. */
void respd_close(struct respd *srv, respd_close_cb cb);

/* Reads one command from data[0..len): copies its name (upper-cased,
 * truncated) to name and its argument count to *argc. Returns the bytes
 * it took, 0 when incomplete, -1 when malformed. */
long respd_parse(const char *data, size_t len, char *name, size_t namelen, int *argc) HT_WUR;

#endif
