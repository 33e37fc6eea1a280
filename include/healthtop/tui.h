/* The live dashboard: an ncurses view of the scheduler, drawn on the same
 * libuv loop the probes run on. */
#ifndef HEALTHTOP_TUI_H
#define HEALTHTOP_TUI_H

#include <stdbool.h>

struct scheduler;
struct run_hook;
struct replay;

struct tui_opts {
    const char *theme; /* theme name or path; NULL = "default" */
    bool ascii;        /* ASCII marks and sparklines even in a UTF-8 locale */
    bool mouse;        /* wheel and click select, where the terminal can */
    /* Beside the scheduler on its loop (run.h's hooks: the demo stack,
     * the recorder): set up before the first probe, closed on quit. */
    const struct run_hook *hooks;
    int nhooks;
    /* --demo: K stops or revives the selected service (stack_toggle). */
    int (*demo_toggle)(void *ud, const char *name);
    void *demo_ud;
    /* --replay: s is this recording's model, played at replay_speed and
     * never probed (s->loop must be set). */
    struct replay *replay;
    double replay_speed;
};

/* Runs the dashboard on the scheduler's loop until the user quits; restores
 * the terminal on every exit path. Starts the scheduler itself
 * (sched_start(s, false)) once the terminal is set up, and on quit calls
 * sched_close and runs the loop until every handle is closed. Every return
 * leaves the scheduler closed that way, so the caller then only frees
 * (sched_free, uv_loop_close).
 *
 * Returns the process exit code: 0 on q or Ctrl-C, 128 + signal on
 * SIGTERM or SIGHUP, 1 when the terminal cannot be set up, 2 (with a
 * message pointing at --once and --wait) when stdout is not a tty. */
int tui_run(struct scheduler *s, const struct tui_opts *opts);

#endif
