/* The postgres kind's own config, private to its two files: the parser
 * (postgres_config.c) fills it, the probe (postgres.c) reads it. A service
 * holds it in s->u.priv, so nothing outside src/probes/ knows its shape. */
#ifndef HEALTHTOP_PROBES_POSTGRES_H
#define HEALTHTOP_PROBES_POSTGRES_H

#include <stddef.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"

#define PG_DEFAULT_QUERY "SELECT 1"

/* What pg_is_in_recovery() must say, when asked. */
enum pg_role {
    PG_ROLE_ANY, /* not asked */
    PG_ROLE_PRIMARY,
    PG_ROLE_REPLICA,
};

/* One server (one replica): libpq connection keywords and their values,
 * from a postgres:// URL or the mapping's keys. */
struct pg_target {
    char *shown; /* the URL as written, or one made of the keys; may hold
                  * a password (describe redacts it) */
    char **kw;   /* keywords, NULL-terminated */
    char **val;  /* their values, same length */
    size_t n;
    const char *host;     /* points into val; NULL when libpq's default */
    const char *hostaddr; /* points into val; NULL unless given */
    int port;             /* for the lookup only; 5432 unless given */
};

struct postgres_config {
    struct pg_target *targets; /* one per replica */
    size_t ntargets;
    char *query; /* default PG_DEFAULT_QUERY */
    enum pg_role role;
};

/* s->u.priv, typed. */
static inline const struct postgres_config *pg_config(const struct svc_config *s)
{
    return s->u.priv;
}

/* The kind's probe_ops parts that concern the config (postgres_config.c). */
extern const char *const pg_config_keys[];
void pg_config_parse(struct ydoc *d, const struct ypair *p, struct svc_config *s);
void pg_config_free(struct svc_config *s);
size_t pg_config_targets(const struct svc_config *s);
void pg_config_describe(const struct svc_config *s, FILE *f);

#endif
