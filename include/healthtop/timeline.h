/* The start-up timeline: one row per service in dependency order, drawn
 * as a tree (the seed's `└─>`), each with the T+ offsets of its first
 * result and first healthy result, on an axis from T+0 (the scheduler's
 * start) scaled to a width. The model is built once (timeline_build) and
 * drawn either as text (the end of --wait) or by the TUI's timeline view. */
#ifndef HEALTHTOP_TIMELINE_H
#define HEALTHTOP_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "healthtop/report.h"
#include "healthtop/scheduler.h"

#define TIMELINE_PREFIX_MAX 96

struct timeline_row {
    size_t idx; /* service index */
    int depth;
    char prefix[TIMELINE_PREFIX_MAX]; /* tree glyphs before the name */
    int64_t seen_ms;                  /* offset of the first result; -1 never */
    int64_t healthy_ms;               /* offset of the first healthy result; -1 never */
    enum health_state state;          /* now */
    bool skipped;                     /* scaled to zero: never expected healthy */
    bool before_t0;                   /* its own start (a container's) was before
                                       * T+0: seen_ms, and healthy_ms when then
                                       * healthy, are held at 0 */
    bool race;                        /* healthy before a dependency (deps.h) */
    size_t race_dep;                  /* that dependency, when race */
    int64_t race_lead_ms;             /* by how much; -1 when it never was */
};

struct timeline {
    struct timeline_row *rows; /* nrows == the scheduler's nsvcs */
    size_t nrows;
    int64_t span_ms;        /* the axis: T+0 .. T+span_ms, never 0 */
    int64_t all_healthy_ms; /* last first-healthy offset when every service
                             * not skipped has been healthy; -1 otherwise */
    size_t never;           /* services not skipped and never healthy */
    size_t failing;         /* of those, unhealthy now (the rest still start) */
    size_t skipped;
    size_t races;
    bool already_up; /* every service not skipped was healthy on its first
                      * probe: the stack was up before healthtop came */
    int name_width;  /* widest prefix + name, in columns */
};

/* Builds tl from s as of now_ms (monotonic): the axis reaches the last
 * first-healthy time, or now while some service is still waiting. ascii
 * picks `-> tree glyphs instead of └─>. Free with timeline_free. */
void timeline_build(struct timeline *tl, const struct scheduler *s, int64_t now_ms, bool ascii);
void timeline_free(struct timeline *tl);

/* The column (0..width-1) of offset t_ms on an axis width columns wide. */
int timeline_col(const struct timeline *tl, int64_t t_ms, int width);
/* "T+10.1s"; "-" for -1. */
void timeline_offset(int64_t t_ms, char *buf, size_t n);
/* When r became healthy, as a row shows it: "T+10.1s", "up before" (T+0),
 * "skipped" or "never". */
void timeline_when(const struct timeline_row *r, char *buf, size_t n);
/* The closing line: "all healthy at T+92.4s (1 skipped)", "already up
 * when healthtop started: ..." when there was no start-up to see, "not all
 * healthy: 2 services never healthy" when one of them is unhealthy, or
 * "starting: 2 services not healthy yet" while they are only starting. */
void timeline_total(const struct timeline *tl, char *buf, size_t n);

/* The whole text timeline, width columns wide (at least 40 are used). */
void timeline_text(FILE *out, const struct scheduler *s, int64_t now_ms, int width,
                   const struct report_style *st);

#endif
