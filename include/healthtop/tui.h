/* The live dashboard: an ncurses view of the scheduler, drawn on the same
 * libuv loop the probes run on. */
#ifndef HEALTHTOP_TUI_H
#define HEALTHTOP_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scheduler;
struct service;
struct run_hook;
struct alerts;

/* What moves the model the dashboard shows: live probing (run.c's
 * run_tui) or a recording played back (replay.c's replay_run_tui). The
 * UI knows either only through this; ud is the implementation's. A NULL
 * member is something the source cannot do: a replay probes nothing, a
 * live run has no playback. */
struct tui_source {
    /* Starts moving the model on s->loop, once the terminal is up.
     * Returns 0, or -1 (the dashboard then quits). */
    int (*start)(struct scheduler *s, void *ud);
    /* Closes every handle the source has on the loop, which then drains;
     * called once, on quit, even when start was not. */
    void (*stop)(struct scheduler *s, void *ud);
    /* Stops or resumes time: the probes, or the playback. */
    void (*pause)(struct scheduler *s, void *ud, bool paused);
    /* Probes one service, or every one, at once. */
    void (*probe_now)(struct scheduler *s, void *ud, struct service *svc);
    void (*probe_all)(struct scheduler *s, void *ud);

    /* Playback. position: T+ (ms from s->t0_ms) where the model stands;
     * when NULL, it stands at the present. step applies the next event
     * and returns false at the end; seek moves by delta_ms (either way);
     * speed multiplies the playing speed; where writes, for the header
     * and notices, where playback stands ("replay 1m02s/4m10s x2"). */
    int64_t (*position)(void *ud);
    bool (*step)(void *ud);
    void (*seek)(void *ud, int64_t delta_ms);
    void (*speed)(void *ud, double factor);
    void (*where)(void *ud, char *buf, size_t n);
    void *ud;
};

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
    /* The alert engine, whose failing receivers the header names. */
    const struct alerts *alerts;
    /* What moves the model: set by run_tui and replay_run_tui. */
    const struct tui_source *source;
};

/* Runs the dashboard on the scheduler's loop until the user quits; restores
 * the terminal on every exit path. Starts opts->source once the terminal
 * is set up, and on quit stops it and runs the loop until every handle is
 * closed. Every return leaves the source stopped that way, so the caller
 * then only frees (sched_free, uv_loop_close).
 *
 * Returns the process exit code: 0 on q or Ctrl-C, 128 + signal on
 * SIGTERM or SIGHUP, 1 when the terminal cannot be set up, 2 (with a
 * message pointing at --once and --wait) when stdout is not a tty. */
int tui_run(struct scheduler *s, const struct tui_opts *opts);

#endif
