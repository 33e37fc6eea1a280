/* --serve: the headless mode for servers. No terminal: it probes until
 * SIGTERM or SIGINT (then closes everything and returns 0), logs each
 * state change as one line on stdout (text, or JSON lines for journald
 * and Loki), serves --listen's endpoints, and on SIGHUP loads the config
 * again: a config that fails to load is reported on stderr and the
 * running one kept; one that loads replaces the probes (their counters
 * restart) and the alert routes (a route to the same receiver keeps its
 * alerts and queue) while the listener stays open. */
#ifndef HEALTHTOP_SERVE_H
#define HEALTHTOP_SERVE_H

#include <stdio.h>
#include "healthtop/config.h"

struct listener;
struct alerts;

enum log_format { LOG_TEXT, LOG_JSON };

struct serve_opts {
    enum log_format log_format;
    struct listener *listener; /* --listen, or NULL */
    struct alerts *alerts;     /* the config's alerts:, or NULL; a reload's
                                  routes follow the new config
                                  (alerts_reconfigure) */
    /* SIGHUP: loads the config into *out and returns 0, or reports why
     * not on stderr and returns -1. */
    int (*reload)(struct ht_config *out, void *ud);
    void *reload_ud;
    FILE *log; /* where state changes go: stdout */
};

/* Runs until SIGTERM or SIGINT. cfg stays the caller's. Returns the
 * process exit code: 0 after a signal, 2 when it could not start. */
int run_serve(const struct ht_config *cfg, const struct serve_opts *o);

#endif
