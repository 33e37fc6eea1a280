/* The port a healthcheck's test talks to, read from the commands people
 * write there: a URL (curl, wget, http://localhost:8000/health), a bare
 * localhost:PORT, /dev/tcp/localhost/PORT, nc -z HOST PORT, redis-cli
 * (-p, default 6379) and pg_isready (-p, default 5432). Only checks of
 * the container itself count (localhost, 127.0.0.1, 0.0.0.0, ::1, or no
 * host): a check against another host says nothing of this service's
 * ports. Private to src/compose/. */
#ifndef HEALTHTOP_COMPOSE_HCPORT_H
#define HEALTHTOP_COMPOSE_HCPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "compose/compose.h"

struct hcport {
    int port;
    bool written;    /* the port is in the text (not a tool's default) */
    size_t arg;      /* which word of the test holds it (hc->argv[arg]) */
    size_t off, len; /* where its digits are in that word */
    char what[160];  /* the word it came from, or "redis-cli's default" */
};

/* 0 with *out filled, or -1 when the test names no port of its own. */
int hcport_find(const struct compose_healthcheck *hc, struct hcport *out);
/* The test written back as in a compose file (a list for CMD, the string
 * for CMD-SHELL) with the port replaced by port; "" when the port was
 * not written in the test. */
void hcport_rewrite(const struct compose_healthcheck *hc, const struct hcport *hp, int port,
                    char *out, size_t n);

#endif
