/* The prometheus kind's own config and its result mapping, private to its
 * files: the parser (prometheus_config.c) fills the config, the probe
 * (prometheus.c) runs the query, and prometheus_map.c turns the answer
 * into a result. A service holds the config in s->u.priv. */
#ifndef HEALTHTOP_PROBES_PROMETHEUS_H
#define HEALTHTOP_PROBES_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"
#include "yaml_doc.h"

#define PROM_DEFAULT_REPLICAS_BY "instance"
/* The label a row's group comes from when rows_by is given (healthtop's
 * own metrics carry it); a series without it is in the source's group. */
#define PROM_DEFAULT_GROUP_BY "group"
/* The most rows one rows_by source makes unless max_rows says otherwise. */
#define PROM_DEFAULT_MAX_ROWS 10000
/* The longest row name (a label value made safe), in bytes. */
#define PROM_ROW_KEY_MAX 96

/* What a sample's value must be for its series to count as up. */
enum prom_op {
    PROM_NONZERO, /* the default: anything but 0 (NaN is never up) */
    PROM_LT,
    PROM_LE,
    PROM_GT,
    PROM_GE,
    PROM_EQ,
    PROM_NE,
    PROM_RANGE, /* min: and/or max:, both inclusive */
};

struct prom_cond {
    enum prom_op op;
    double value;          /* for PROM_LT .. PROM_NE */
    bool has_min, has_max; /* for PROM_RANGE */
    double min, max;
};

struct prometheus_config {
    char *url;         /* the server's base URL, no trailing slash; may hold
                        * a password (describe redacts it) */
    char *query;       /* PromQL, sent as is */
    char *replicas_by; /* the label naming each series */
    char *rows_by;     /* one row per value of this label, or NULL: one row */
    char *group_by;    /* with rows_by: the label naming a row's group */
    size_t max_rows;   /* with rows_by: the most rows made */
    char **instances;  /* one row: the replicas_by values expected, or NULL */
    size_t ninstances;
    struct prom_cond cond;
    bool empty_scaled;         /* empty: scaled_to_zero (else an empty result is down) */
    struct config_kv *headers; /* values are secrets */
    size_t nheaders;
    char *bearer;          /* auth: {bearer: ...}, a secret */
    char *user, *password; /* auth: {user: ..., password: ...}, a secret */
    bool insecure;         /* TLS not verified */
    size_t max_body;       /* default CONFIG_DEFAULT_MAX_BODY */
};

/* s->u.priv, typed. */
static inline const struct prometheus_config *prom_config(const struct svc_config *s)
{
    return s->u.priv;
}

/* The kind's probe_ops parts that concern the config (prometheus_config.c). */
extern const char *const prom_config_keys[];
void prom_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s);
void prom_config_free(struct svc_config *s);
void prom_config_describe(const struct svc_config *s, FILE *f);

/* A number as text, the whole of s (spaces around allowed): "1", "0.5",
 * "1e3", "NaN", "+Inf", "-Inf". Returns 0 or -1. */
int prom_number_parse(const char *s, double *out);
/* Parses a condition, "< 0.5", ">= 1", "!= 0", "== 1" (a bare number means
 * "== number"). Returns 0, or -1 with *why a static phrase. */
int prom_cond_parse(const char *text, struct prom_cond *c, const char **why);
/* Whether value v passes c. NaN passes nothing; +Inf and -Inf compare as
 * the infinities they are. */
bool prom_cond_pass(const struct prom_cond *c, double v);
/* A value as Prometheus writes it: NaN, +Inf, -Inf or a number (%.6g). */
void prom_value_format(double v, char *out, size_t n);
/* "non-zero", "< 0.5", "from 1 to 5", for messages. */
void prom_cond_format(const struct prom_cond *c, char *out, size_t n);

/* Turns an answer of GET /api/v1/query (body[0..len), the HTTP status it
 * came with) into r: up, found, ok, message and detail. Every series is a
 * replica, named by its replicas_by label; one is up when its value passes
 * the condition. ok when every series found is up and at least replicas
 * are, and every name of c->instances has a series (an empty result: when
 * c->empty_scaled); those without one are named as missing. Every text from the server
 * goes through text_safe before it reaches r. Pure: no I/O, no state. */
void prom_map(const char *body, size_t len, long http_status, const struct prometheus_config *c,
              int replicas, struct probe_result *r);

/* The first step of both mappings: parses an answer. Returns its root
 * (for json_decref; NULL when it is no JSON) and sets *data to the "data"
 * of a success; for anything else *data is NULL and r says what came
 * (the error type in words, or what the answer was not). */
struct json_t;
struct json_t *prom_answer(const char *body, size_t len, long http_status, struct probe_result *r,
                           struct json_t **data);

/* A success answer whose result is a vector, read without a tree
 * (prometheus_scan.c): of each series the labels rows_by, group_by and
 * replicas_by name (decoded, not yet made safe, cut to
 * PROM_SCAN_LABEL_MAX - 1 bytes) and its value as text. */
#define PROM_SCAN_LABEL_MAX 128
struct prom_series {
    char key[PROM_SCAN_LABEL_MAX];   /* rows_by */
    char group[PROM_SCAN_LABEL_MAX]; /* group_by */
    char name[PROM_SCAN_LABEL_MAX];  /* replicas_by */
    char value[40];
    bool has_key, has_group, has_name, has_value;
};
struct prom_scan {
    struct prom_series *v; /* room for cap, grown by XGROW */
    size_t n, cap;
};
/* Returns 0 with out filled, or -1 when body is not such an answer
 * (anything else: read it with prom_answer). out is zeroed or holds an
 * earlier scan, whose room is used again; prom_scan_free frees it. */
int prom_scan(const char *body, size_t len, const struct prometheus_config *c,
              struct prom_scan *out);
void prom_scan_free(struct prom_scan *sc);

/* The tables an answer is made into rows with, kept from one answer to
 * the next (the kind keeps one per loop: answers are mapped one at a
 * time): 10,000 series need 6 MB of them, and allocated for each answer
 * their pages were faulted in anew every time, or not, as glibc's
 * sliding mmap threshold had it. */
struct prom_room;
struct prom_room *prom_room_new(void);
void prom_room_free(struct prom_room *room);

/* The same answer made into rows (c->rows_by set): one row per value of
 * the rows_by label (made safe; values that read the same once made safe
 * are one row), sorted, at most c->max_rows; each row's series are its
 * replicas, judged as prom_map judges them. r is the source's own result:
 * ok with one replica per row when the answer had rows (an empty answer as
 * prom_map says it), not ok when rows were cut at max_rows; rows->answered
 * says whether there was an answer to make rows from. rows is zeroed or
 * holds an earlier answer, whose room is used again; the tables are
 * room's. Pure but for the room. */
void prom_map_rows(const char *body, size_t len, long http_status,
                   const struct prometheus_config *c, struct probe_result *r,
                   struct probe_rows *rows, struct prom_room *room);

#endif
