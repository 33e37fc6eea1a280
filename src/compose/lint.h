/* `healthtop lint`: the health wiring of a compose project checked by a
 * table of rules, each finding with its place (file:line:col), a rule
 * name and a suggested fix, printed as compilers print diagnostics, as
 * JSON or as SARIF 2.1.0.
 *
 * Private to src/compose/ (and src/main.c, which dispatches `lint`). */
#ifndef HEALTHTOP_COMPOSE_LINT_H
#define HEALTHTOP_COMPOSE_LINT_H

#include <stdint.h>
#include <stdio.h>
#include "compose/compose.h"
#include "healthtop/probe.h"

/* In increasing order: --fail-on compares against it. */
enum lint_severity { LINT_NOTE, LINT_WARNING, LINT_ERROR };

struct lint_rule {
    const char *id;         /* "depends-started" */
    enum lint_severity sev; /* its usual severity */
    const char *summary;    /* one sentence, for SARIF and --help */
};
extern const struct lint_rule lint_rules[];
extern const size_t lint_nrules;

struct lint_finding {
    struct compose_pos pos; /* file owned by the project */
    enum lint_severity sev;
    size_t rule; /* index in lint_rules */
    char *msg;   /* made safe (text.h) */
    char *fix;   /* made safe; NULL when there is no one fix */
};

struct lint_result {
    struct lint_finding *v;
    size_t n, cap;
    size_t count[3]; /* per severity */
};

/* How long a service took to become healthy in a recorded run. */
struct lint_measured {
    const char *name;
    int64_t took_ms; /* from its first result to its first healthy one */
};

struct lint_opts {
    /* Failure detection (interval x retries + timeout) slower than this
     * is reported. */
    int64_t max_detection_ms;
    /* --from-recording: what the run took, and the file (for messages). */
    const struct lint_measured *measured;
    size_t nmeasured;
    const char *measured_from;
    /* --live: run the healthchecks healthtop understands from the host. */
    bool live;
};

/* Runs every rule over p. Findings come sorted by file, line, column. */
void lint_run(const struct compose_project *p, const struct lint_opts *o, struct lint_result *r);
void lint_result_free(struct lint_result *r);

/* --live (live.c): runs the checks and adds a finding per failure. */
void lint_live(const struct compose_project *p, struct lint_result *r);
/* The finding for one service's check run from the host at target. */
void lint_live_result(struct lint_result *r, const struct compose_service *s, const char *target,
                      const struct probe_result *res, bool has_result);

enum lint_format { LINT_TEXT, LINT_JSON, LINT_SARIF };
/* Writes the findings in fmt; 0, or -1 when out failed. */
int lint_write(FILE *out, enum lint_format fmt, const struct compose_project *p,
               const struct lint_result *r);

/* The `lint` subcommand: argv[0] is "lint". Returns the exit status: 0
 * clean, 1 findings at or above --fail-on, 2 usage or compose error. */
int lint_main(int argc, char **argv);

#endif
