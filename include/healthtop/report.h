/* One-shot reports of the scheduler's model: the text report of --once
 * and --wait (in the spirit of the stack's health_check.sh), and the JSON
 * document of --json.
 *
 * Every non-interactive mode (--once, --wait, --replay --once) prints its
 * report through report_write, so an output format is one enum value, one
 * writer and one line in report.c's table (doc/architecture.md). */
#ifndef HEALTHTOP_REPORT_H
#define HEALTHTOP_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "healthtop/scheduler.h"

struct buf;

/* How a report is written. */
enum report_format {
    REPORT_TEXT, /* for a person: marks, groups, summary (the default) */
    REPORT_JSON, /* one JSON document (--json) */
    REPORT_FORMAT_COUNT
};

struct report_style {
    bool color; /* ANSI colour: only on a terminal, never with NO_COLOR set */
    bool ascii; /* ASCII marks: the locale is not UTF-8, or --ascii */
};

/* Colour when out is a terminal and NO_COLOR is unset or empty; ASCII
 * when the locale is not UTF-8 (call setlocale first). */
void report_style_detect(struct report_style *st, FILE *out, bool force_ascii);

/* The status mark of a state: "✔", "✖", ... or "[ OK ]", "[FAIL]", ... */
const char *report_mark(enum health_state s, bool ascii);
/* ANSI colour sequence for a state ("" without colour), and the reset. */
const char *report_color(const struct report_style *st, enum health_state s);
const char *report_reset(const struct report_style *st);

/* The detail after a service's state word: replicas, latency, message.
 * "(2/2 replicas, 12ms)", "connection refused", "(scaled to 0)". */
void report_detail(const struct service *svc, char *buf, size_t n);

/* The latency a view shows for svc, in microseconds (-1: none), with
 * *held the figure it showed last (-1 at first; updated): "-" while the
 * service is not up; the last answer's own figure when it was too slow (a
 * row degraded for slowness shows why); else the median of the last few
 * successful answers (history_latency_median), held until it moves by
 * more than a quarter (and by more than 50 µs), under 1 ms to 10 µs.
 * Loopback latency jitters between 150 and 400 µs from one probe to the
 * next: shown raw, it changes on every result and tells nothing but the
 * noise. */
int64_t report_latency_shown(const struct service *svc, int64_t *held);

/* A service's group as lists show it ("Services" when it has none). */
const char *report_group(const struct service *svc);

/* The order of a list by group (the text report, the status page, the
 * dashboard's grid): groups in the order they first appear (the config's
 * services, then the rows made from answers), each with its services in
 * their order. Returns s->nsvcs indices (malloc'd; the caller frees).
 * When first is not NULL it gets, for each service, the index of the
 * first service of its group (s->nsvcs entries). */
size_t *report_group_order(const struct scheduler *s, size_t *first);
/* True when order[k] begins its group in that order: where a list by
 * group puts the group's heading. */
bool report_group_starts(const struct scheduler *s, const size_t *order, size_t k);

/* The whole text report: title, timestamp, sections by group, summary,
 * SYSTEM STATUS line. */
void report_text(FILE *out, const struct scheduler *s, const struct report_style *st);

/* A JSON string of s even when s is not valid UTF-8 (new reference). */
json_t *report_json_text(const char *s);

/* One service as a JSON object (new reference); used by --json and the
 * recorder. Offsets are relative to the scheduler's T+0. */
json_t *report_service_json(const struct scheduler *s, const struct service *svc);
/* Appends the --json document to out: indented by 2 when pretty (as
 * --once --json prints it), else compact (as /api/v1/state serves it).
 * Returns 0, or -1 when out's limit was reached. */
int report_json_write(struct buf *out, const struct scheduler *s, bool pretty);
/* Prints the --json document followed by a newline; returns 0 or -1. */
int report_json_print(FILE *out, const struct scheduler *s);

/* Writes the report of s to out in fmt: for REPORT_TEXT, styled for out
 * (report_style_detect, with ascii forcing ASCII marks); for a document
 * format, the document alone followed by a newline. Returns 0, or -1 when
 * it could not be written. */
int report_write(FILE *out, enum report_format fmt, const struct scheduler *s, bool ascii);
/* True when fmt is a document for a program: it owns stdout, and what a
 * mode says along the way (--wait's state changes) goes to stderr. */
bool report_format_is_document(enum report_format fmt);

/* Exit code for the model: 0 when everything is healthy or skipped, else 1. */
int report_exit_code(const struct scheduler *s);

#endif
