/* The non-interactive modes: --once (probe everything once, report) and
 * --wait (probe with the state machine until all is healthy or a
 * deadline passes: the stack's start-up validation). */
#ifndef HEALTHTOP_RUN_H
#define HEALTHTOP_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "healthtop/config.h"
#include "healthtop/report.h"

struct scheduler;

/* Something that lives on the run's loop beside the scheduler (the demo
 * stack, the recorder): setup runs after the scheduler is set up and
 * before probing starts (returns 0, or -1 to abort the run); close runs
 * when the run ends, and must close every handle it opened. */
struct run_hook {
    int (*setup)(struct scheduler *s, void *ud);
    void (*close)(struct scheduler *s, void *ud);
    void *ud;
};

#define RUN_MAX_HOOKS 4

struct run_opts {
    enum report_format format; /* the report on stdout (report_write) */
    bool ascii;                /* force ASCII marks */
    int64_t wait_timeout_ms;   /* --wait deadline */
    struct run_hook hooks[RUN_MAX_HOOKS];
    int nhooks;
};

/* Both return the process exit code: 0 healthy (skipped allowed), 1 not. */
int run_once(const struct ht_config *cfg, const struct run_opts *o);
int run_wait(const struct ht_config *cfg, const struct run_opts *o);

struct tui_opts;
/* The live dashboard on a loop of its own; returns tui_run's exit code. */
int run_tui(const struct ht_config *cfg, const struct tui_opts *o);

#endif
