/* --replay FILE: a recording (record.h) played back into a model shaped
 * like the scheduler's, without probing anything, so that the dashboard,
 * the reports and the timeline show it as they show a live run.
 *
 * The whole recording is read and checked first. A corrupt or truncated
 * line ends it there: what came before replays, and `stopped` says where
 * and why ("rec.jsonl:42: truncated line"); nothing in a recording can
 * crash the reader. Times are replayed from the recorded offsets (t_ms),
 * so the model's first_seen/first_healthy and the timeline match the
 * original run's.
 *
 * Playing: replay_start drives the events from a timer on a loop at a
 * speed (2 = twice as fast); replay_pause, replay_step and replay_seek
 * move by hand. Every applied event reaches the scheduler's observers
 * exactly as a live result would. */
#ifndef HEALTHTOP_REPLAY_H
#define HEALTHTOP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"

#define REPLAY_MAX_BYTES (512u * 1024 * 1024) /* a bigger file is refused */
#define REPLAY_MAX_LINE  (64 * 1024)          /* a longer line is corrupt */
#define REPLAY_STOP_MAX  320

struct replay_event {
    int64_t t_ms;    /* offset from T+0 */
    int64_t wall_ms; /* 0 when not recorded */
    uint32_t svc;    /* index into the model */
    uint8_t state;   /* enum health_state */
    bool ok;
    int up, found;
    int64_t latency_us; /* -1 when none */
    char message[PROBE_MSG_MAX];
};

struct replay {
    char *name;              /* the file, for messages */
    struct ht_config cfg;    /* from the recording's first line */
    struct scheduler sched;  /* the model: never probed, no handles */
    struct replay_event *ev; /* every event read, in order */
    size_t nev;
    size_t next;    /* events applied so far: ev[0..next) */
    int64_t pos_ms; /* the replay clock, T+ */
    double speed;
    bool paused;
    /* Where and why the file stopped early, "FILE:LINE: reason"; "" when
     * it was read to the end. */
    char stopped[REPLAY_STOP_MAX];
    /* Driving on a loop. */
    uv_timer_t timer;
    bool timer_on, timer_closing;
    int64_t anchor_real_ms, anchor_pos_ms; /* pos = anchor_pos + (now - anchor_real) * speed */
};

/* Reads and checks path. Returns 0 (r->stopped may say the end was cut
 * short), or -1 with err set when nothing is replayable (no such file, no
 * valid first line). Free with replay_free either way. */
int replay_load(struct replay *r, const char *path, char *err, size_t n) HT_WUR;
/* The same on text in memory; name is used in messages. */
int replay_parse(struct replay *r, const char *name, const char *text, size_t len, char *err,
                 size_t n) HT_WUR;
void replay_free(struct replay *r);

/* Applies the next event. Returns false at the end. */
bool replay_step(struct replay *r);
/* Makes the model what it was at T+t_ms (back or forward). */
void replay_seek(struct replay *r, int64_t t_ms);
/* T+ of the last event (0 when none). */
int64_t replay_end_ms(const struct replay *r);
bool replay_done(const struct replay *r);

/* Plays from the current position on loop at speed (> 0). */
void replay_start(struct replay *r, uv_loop_t *loop, double speed);
void replay_pause(struct replay *r, bool paused);
void replay_set_speed(struct replay *r, double speed);
/* Closes the timer (the loop then drains). */
void replay_stop(struct replay *r);

struct tui_opts;
/* The dashboard on the recording, on a loop of its own, played at speed
 * (> 0; else 1). The recording is the dashboard's source (tui.h): o->source
 * is set for the run. Returns tui_run's code. */
int replay_run_tui(struct replay *r, struct tui_opts *o, double speed);

/* Non-interactive: replays everything at once and writes the report in
 * fmt. REPORT_TEXT first prints each state change as --wait does
 * ("T+10.2s redis healthy") and the start-up timeline; a document format
 * is the document alone. Returns the report's exit code (0 healthy, 1
 * not), or 1 when the recording stopped early. */
int replay_report(struct replay *r, FILE *out, enum report_format fmt, bool ascii);

#endif
