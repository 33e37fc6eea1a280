/* The non-interactive modes: --once (probe everything once, report) and
 * --wait (probe with the state machine until all is healthy or a
 * deadline passes: the stack's start-up validation). */
#ifndef HEALTHTOP_RUN_H
#define HEALTHTOP_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "healthtop/config.h"

struct run_opts {
    bool json;               /* one JSON document on stdout */
    bool ascii;              /* force ASCII marks */
    int64_t wait_timeout_ms; /* --wait deadline */
};

/* Both return the process exit code: 0 healthy (skipped allowed), 1 not. */
int run_once(const struct ht_config *cfg, const struct run_opts *o);
int run_wait(const struct ht_config *cfg, const struct run_opts *o);

struct tui_opts;
/* The live dashboard on a loop of its own; returns tui_run's exit code. */
int run_tui(const struct ht_config *cfg, const struct tui_opts *o);

#endif
