/* A YAML document as the config loader needs it, on top of libyaml's
 * document API: 1-based positions, `<<` merge keys resolved, duplicate
 * keys found, ${VAR} expanded in scalar values, a bound on the work an
 * alias bomb can cause, and the list of errors found so far.
 *
 * Errors are collected, not returned one by one: the loader keeps going
 * after a problem so that the user sees every mistake in one run. */
#ifndef HEALTHTOP_YAML_DOC_H
#define HEALTHTOP_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "healthtop/util.h"

/* Node visits allowed per document. Real configs need a few thousand; an
 * alias bomb (merges of merges of ...) hits the bound and fails cleanly. */
#define YDOC_WORK_MAX 1000000
/* Nesting of `<<` merges (a self-referencing anchor would loop). */
#define YDOC_MERGE_MAX 32
/* Errors kept; more are counted and summarised. */
#define YDOC_ERRORS_MAX 100
/* Flow nesting ("[[{...") refused past this depth, before parsing. */
#define YDOC_DEPTH_MAX 64

struct ydoc_err {
    unsigned line, col; /* 1-based */
    unsigned seq;       /* order found, to keep sorting stable */
    char *msg;
};

struct ydoc {
    yaml_document_t doc;
    bool loaded;
    const char *name; /* file name for messages (not owned) */
    struct ydoc_err *errs;
    size_t nerrs;
    size_t dropped; /* errors past YDOC_ERRORS_MAX */
    size_t work;    /* node visits so far, see YDOC_WORK_MAX */
    bool over_budget;
};

/* One key/value of a mapping after merges: name is the key's text. */
struct ypair {
    yaml_node_t *key;
    yaml_node_t *value;
    const char *name;
};

/* Parses text. On a syntax error records "line:col: ..." from libyaml's
 * problem mark and returns -1; d must still be passed to ydoc_free. */
int ydoc_load(struct ydoc *d, const char *name, const char *text, size_t len) HT_WUR;
void ydoc_free(struct ydoc *d);
/* An empty document named name, for a caller that builds its nodes with
 * libyaml's yaml_document_add_* (positions set in each node's start_mark:
 * 0-based, as libyaml's). Free it with ydoc_free. */
void ydoc_init(struct ydoc *d, const char *name);
/* The root node, or NULL for an empty document. */
yaml_node_t *ydoc_root(struct ydoc *d);

/* Records an error at node n (at 1:1 when n is NULL). */
void ydoc_error(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...) HT_PRINTF(3, 4);
void ydoc_error_at(struct ydoc *d, unsigned line, unsigned col, const char *fmt, ...)
    HT_PRINTF(4, 5);
/* Writes every error, sorted by position, one "file:line:col: msg" per
 * line, duplicates removed, secrets scrubbed. */
void ydoc_errors_format(const struct ydoc *d, char *out, size_t n);

/* Counts units of work; false (with one error recorded) once over budget. */
bool ydoc_charge(struct ydoc *d, size_t units);

bool ydoc_is_null(const yaml_node_t *n);
bool ydoc_is_scalar(const yaml_node_t *n);
bool ydoc_is_seq(const yaml_node_t *n);
bool ydoc_is_map(const yaml_node_t *n);
/* "a string", "a list", "a mapping" or "empty", for type errors. */
const char *ydoc_type_name(const yaml_node_t *n);

/* The pairs of mapping map in file order, with `<<` merges spliced in at
 * their place (explicit keys win; earlier merge sources win over later
 * ones). Duplicate explicit keys and non-string keys are recorded as
 * errors and skipped. *out is xmalloc'd (free it). Returns -1 when the
 * node is not a mapping (nothing recorded) or the budget is exhausted. */
int ydoc_pairs(struct ydoc *d, yaml_node_t *map, struct ypair **out, size_t *n) HT_WUR;
/* Number of items of a sequence, and item i. */
size_t ydoc_nitems(const yaml_node_t *seq);
yaml_node_t *ydoc_item(struct ydoc *d, const yaml_node_t *seq, size_t i);

/* A scalar value with ${VAR}, ${VAR:-default}, ${VAR-default},
 * ${VAR:?message}, ${VAR?message} and $$ expanded; every value taken from
 * the environment is registered as a secret. what names the value in
 * type errors ("interval must be a string..."). Returns an xmalloc'd
 * string, or NULL with the error recorded. */
char *ydoc_str(struct ydoc *d, yaml_node_t *n, const char *what);
/* The same, then parsed: an integer in [min, max]; true/false; a
 * duration (util.h) of at least min_ms. Return 0, or -1 with the error
 * recorded (*out untouched, so callers may ignore the result and keep
 * the default). */
int ydoc_int(struct ydoc *d, yaml_node_t *n, const char *what, int64_t min, int64_t max,
             int64_t *out);
int ydoc_bool(struct ydoc *d, yaml_node_t *n, const char *what, bool *out);
int ydoc_duration(struct ydoc *d, yaml_node_t *n, const char *what, int64_t min_ms, int64_t *out);

/* The candidate closest to word by edit distance, if close enough to be
 * a likely typo; else NULL. */
const char *ydoc_nearest(const char *word, const char *const *cands, size_t n);
/* Records "unknown key 'k' in <where> (did you mean 'x'?)" at the key. */
void ydoc_unknown_key(struct ydoc *d, const struct ypair *p, const char *where,
                      const char *const *cands, size_t n);

#endif
