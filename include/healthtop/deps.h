/* Dependency insight: pure functions over the scheduler's model (live or
 * replayed) that answer "what broke first?" and "who started too early?".
 *
 * Words used here:
 *   down        unhealthy or starting: not serving, whatever the reason;
 *   blocked     down, with an unhealthy service below it (depends_on,
 *               followed only through services that are down: a starting
 *               one on the way passes the trouble on);
 *   root cause  an unhealthy service reached that way with nothing
 *               unhealthy below it: the deepest failure on the chain (a
 *               service merely starting is never a root cause);
 *   race        a service healthy while a dependency it names was not:
 *               a probe of the dependency that began after the service
 *               was first healthy still found it not healthy (the seed's
 *               P3.1 problem: condition: service_started).
 *
 * Cycles are rejected by the config loader, but every walk here marks
 * what it visited, so a hand-built model with a cycle still terminates. */
#ifndef HEALTHTOP_DEPS_H
#define HEALTHTOP_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/scheduler.h"

/* Unhealthy or starting. */
bool deps_is_down(enum health_state s);

/* The root causes blocking service idx, as service indexes in roots (at
 * most max, in dependency order as met), and their number (which may be
 * more than max). 0 when the service is not blocked. */
size_t deps_blocked_by(const struct scheduler *s, size_t idx, size_t *roots, size_t max);

/* "blocked by redis" or "blocked by redis, mlflow" into buf; returns the
 * number of root causes (buf is "" when 0). */
size_t deps_blocked_text(const struct scheduler *s, size_t idx, char *buf, size_t n);

/* Whether each service is blocked (deps_blocked_by(s, i, ...) > 0), for
 * the whole model in one pass: out has s->nsvcs entries. */
void deps_blocked_all(const struct scheduler *s, bool *out);
/* True when service idx is the root cause of at least one blocked service. */
bool deps_is_root(const struct scheduler *s, size_t idx);

/* The same for a look at every service (a report, the state document):
 * deps_blocked_by and deps_is_root each walk the whole model, so asking
 * them once per service costs the square of its size. A deps_walk makes
 * that walk once; it holds for the model as it was when made. */
struct deps_walk;
struct deps_walk *deps_walk_new(const struct scheduler *s);
size_t deps_walk_blocked_by(struct deps_walk *w, size_t idx, size_t *roots, size_t max);
bool deps_walk_is_root(const struct deps_walk *w, size_t idx);
void deps_walk_free(struct deps_walk *w);

/* The header line: "root cause: redis, 3 services blocked", or
 * "root causes: redis, mlflow; 5 services blocked", followed by
 * "; also unhealthy: opik" when services fail that block nobody and are
 * blocked by nobody. Returns the number of blocked services (buf is ""
 * when 0). */
int deps_summary(const struct scheduler *s, char *buf, size_t n);

/* A race: a probe of dep that began after svc was first healthy found dep
 * not healthy (health.down_began_ms), which is what was observed, with no
 * threshold: dep then became healthy lead_ms after svc (-1 when it never
 * has). A dependency not probed between the two moments may have been up
 * unseen, so it is not a race. Skipped dependencies never race. */
struct deps_race {
    size_t svc, dep;
    int64_t lead_ms;
};

/* The races of service idx into out (at most max); returns their number. */
size_t deps_races_of(const struct scheduler *s, size_t idx, struct deps_race *out, size_t max);
/* All races, in service order; returns their number (may exceed max). */
size_t deps_races(const struct scheduler *s, struct deps_race *out, size_t max);

/* Whether service idx can no longer get healthy by itself, with the
 * reason in why: its last result said so (a docker container exited that
 * its restart policy will not start again: probe_result.hopeless), or
 * the engine's healthcheck judged it unhealthy after its retries while
 * another service depends on it (compose then refuses to start that
 * one). --wait stops at once on the first. */
bool deps_hopeless(const struct scheduler *s, size_t idx, char *why, size_t n);

/* One row of the dependency tree. Every service appears exactly once,
 * under its deepest dependency (ties: the first named), so a DAG prints
 * as a tree; roots come in config order, children in config order. */
struct deps_row {
    size_t idx;
    int depth;     /* 0 for services with no dependency */
    size_t parent; /* the dependency it is drawn under; (size_t)-1 at depth 0 */
    bool last;     /* the last child of its parent (for tree glyphs) */
};

/* Fills rows[0..s->nsvcs). Returns 0, or -1 when a cycle was found: the
 * services on it are then placed at depth 0 after the rest. */
int deps_order(const struct scheduler *s, struct deps_row *rows);

#endif
