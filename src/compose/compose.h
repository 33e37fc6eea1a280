/* A compose project read the way `docker compose` reads it: the files
 * found (lookup, COMPOSE_FILE, -f, the override file), each interpolated
 * on its own and then merged by the compose specification's rules, the
 * project name, the active profiles, and the services with the keys
 * healthtop uses (depends_on, healthcheck, ports, expose, replicas,
 * restart, profiles).
 *
 * Errors follow the loaders' convention (config.h): 0, or -1 with the
 * whole message in err, one "file:line:col: what" per line. Values taken
 * from the environment or the .env file are registered as secrets
 * (secret.h), as the config loader does with ${VAR}.
 *
 * Private to src/compose/ (and src/main.c, which dispatches `lint`). */
#ifndef HEALTHTOP_COMPOSE_H
#define HEALTHTOP_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/util.h"

/* ------------------------------------------------------------------ */
/* The merged YAML tree                                                 */

enum cnode_type { CNODE_NULL, CNODE_SCALAR, CNODE_SEQ, CNODE_MAP };
/* The compose tags that change how a value merges. */
enum cnode_tag { CNODE_TAG_NONE, CNODE_TAG_RESET, CNODE_TAG_OVERRIDE };

struct cnode;
struct centry {
    char *key; /* NULL for a sequence item */
    unsigned line, col;
    struct cnode *val;
};
struct cnode {
    enum cnode_type type;
    enum cnode_tag tag;
    const char *file; /* owned by the project */
    unsigned line, col;
    char *str;           /* CNODE_SCALAR: the value after interpolation */
    struct centry *ents; /* CNODE_MAP: entries; CNODE_SEQ: items */
    size_t n, cap;
};

void cnode_free(struct cnode *n);
/* The value of key in map n, or NULL (also when n is not a mapping). */
struct cnode *cnode_get(const struct cnode *n, const char *key);
/* The entry of key in map n, or NULL. */
struct centry *cnode_entry(const struct cnode *n, const char *key);
/* Merges over into *base by the compose merge rules and consumes it.
 * path is where the two nodes sit ("services", "web", "ports"...), depth
 * its length: it selects the exceptions (command, entrypoint and
 * healthcheck.test replaced; ports, volumes, secrets, configs kept
 * unique; depends_on as a mapping). */
void cnode_merge(struct cnode **base, struct cnode *over, const char **path, size_t depth);

/* ------------------------------------------------------------------ */
/* Interpolation and .env                                               */

/* Where a variable's value comes from: NULL when it is not set. */
typedef const char *(*compose_lookup_fn)(const char *name, void *ud);

struct compose_interp {
    compose_lookup_fn lookup;
    void *ud;
    bool secrets;    /* register every substituted value as a secret */
    char err[512];   /* after -1: why */
    char unset[128]; /* after 0: the first variable that was not set and
                      * had no default (compose warns; "" is used) */
};

/* Expands s[0..len) as compose does: $$, $NAME, ${NAME}, ${NAME:-d},
 * ${NAME-d}, ${NAME:?e}, ${NAME?e}, ${NAME:+a}, ${NAME+a}, nested in the
 * word after the operator; a '$' that starts none of these is kept.
 * Returns 0 with *out xmalloc'd, or -1 with it->err set. */
int compose_interp(struct compose_interp *it, const char *s, size_t len, char **out) HT_WUR;

/* A .env file's variables, in file order (later ones win on lookup). */
struct compose_env {
    char **names, **values;
    size_t n, cap;
};
/* Parses a .env text by the compose rules (comments, quotes, escapes,
 * `export`, interpolation of unquoted and double-quoted values from the
 * variables above and from the process environment). Returns 0, or -1
 * with "file:line: what" in err. */
int compose_env_parse(struct compose_env *e, const char *file, const char *text, size_t len,
                      char *err, size_t n) HT_WUR;
const char *compose_env_get(const struct compose_env *e, const char *name);
void compose_env_free(struct compose_env *e);

/* A compose duration (Go's syntax: "1m30s", "500ms", "2h", "1.5s"). */
int compose_duration_parse(const char *s, int64_t *out_ms, const char **why) HT_WUR;
/* compose's project name normalisation: lower case, only [a-z0-9_-],
 * no leading '_' or '-'. Writes into out (at most n bytes). */
void compose_name_normalize(const char *s, char *out, size_t n);
/* True when s is a valid project name as given by name: or the
 * environment (already normal). */
bool compose_name_valid(const char *s);

/* ------------------------------------------------------------------ */
/* The model                                                            */

/* Where something is written: the file, line and column of its node. */
struct compose_pos {
    const char *file;
    unsigned line, col;
};

enum compose_cond {
    COMPOSE_COND_STARTED,
    COMPOSE_COND_HEALTHY,
    COMPOSE_COND_COMPLETED,
};

struct compose_dep {
    char *name;
    enum compose_cond cond;
    bool required;               /* required: false only warns when it is missing */
    struct compose_pos pos;      /* the name (its key, or the list item) */
    struct compose_pos cond_pos; /* the condition's value, or pos */
};

struct compose_port {
    int target; /* the container port (first of a range) */
    int target_end;
    int published; /* the host port, 0 when none or a range */
    struct compose_pos pos;
};

enum compose_test {
    COMPOSE_TEST_NONE_GIVEN,
    COMPOSE_TEST_NONE,
    COMPOSE_TEST_CMD,
    COMPOSE_TEST_SHELL
};

struct compose_healthcheck {
    bool present;  /* a healthcheck: key (merged) */
    bool disabled; /* disable: true or test: NONE */
    enum compose_test kind;
    char **argv; /* CMD: the words; CMD-SHELL: one string */
    size_t argc;
    /* Milliseconds; -1 when not given (the engine's defaults apply:
     * 30s, 30s, 3 retries, 0s). */
    int64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms;
    int retries;                 /* -1: not given */
    struct compose_pos pos;      /* the healthcheck: key */
    struct compose_pos test_pos; /* test's value, or pos */
};

/* The engine's healthcheck defaults, used when a key is not given. */
#define COMPOSE_HC_INTERVAL_MS 30000
#define COMPOSE_HC_TIMEOUT_MS  30000
#define COMPOSE_HC_RETRIES     3

struct compose_service {
    char *name;
    struct compose_pos pos; /* its key under services: */
    bool active;            /* in the active profiles (or in none) */
    char **profiles;
    size_t nprofiles;
    int replicas; /* deploy.replicas, else scale, else 1 */
    struct compose_pos replicas_pos;
    char *restart; /* restart:, NULL when not given */
    struct compose_pos restart_pos;
    char *restart_condition; /* deploy.restart_policy.condition, or NULL */
    struct compose_dep *deps;
    size_t ndeps;
    struct compose_port *ports; /* ports: (with their published side) */
    size_t nports;
    struct compose_port *expose; /* expose: */
    size_t nexpose;
    struct compose_healthcheck hc;
    struct cnode *node; /* the merged definition (owned by the tree) */
};

struct compose_project {
    char *name;
    char *dir;    /* the project directory */
    char **files; /* the files read, in merge order */
    size_t nfiles;
    char **profiles; /* the active profiles */
    size_t nprofiles;
    struct compose_service *svcs;
    size_t nsvcs;
    size_t *by_name;        /* indexes of svcs sorted by name, for lookups */
    struct cnode *root;     /* the merged tree */
    struct compose_env env; /* the project's .env */
    /* COMPOSE_PROJECT_NAME for interpolation when the environment has
     * none (the specification exposes the name so), or NULL. */
    char *interp_name;
    char *warnings; /* compose's warnings ("variable X is not set"), or NULL */
};

struct compose_opts {
    const char **files; /* -f, in order; none: COMPOSE_FILE, else lookup */
    size_t nfiles;
    const char **profiles; /* --profile */
    size_t nprofiles;
    const char *cwd; /* where lookup starts; NULL: the working directory */
};

/* Reads the project. p must be passed to compose_project_free whatever
 * the result. */
int compose_load(const struct compose_opts *o, struct compose_project *p, char *err,
                 size_t n) HT_WUR;
/* The same from texts in memory (tests, fuzzing): files[i] named
 * names[i], the project directory dir, no lookup and no .env. */
int compose_load_texts(const char *const *names, const char *const *texts, size_t nfiles,
                       const char *dir, const struct compose_opts *o, struct compose_project *p,
                       char *err, size_t n) HT_WUR;
void compose_project_free(struct compose_project *p);
/* The service called name, or NULL. */
struct compose_service *compose_service_find(const struct compose_project *p, const char *name);

/* Called for each depends_on entry that closes a cycle: path[0..len) are
 * the services on it (indexes into p->svcs, path[0] the one the entry
 * leads back to), and the entry is dep of p->svcs[path[len - 1]].
 * Returns 0 to go on, else the walk stops. */
typedef int (*compose_cycle_fn)(const struct compose_project *p, const size_t *path, size_t len,
                                size_t dep, void *ud);
void compose_cycles(const struct compose_project *p, compose_cycle_fn fn, void *ud);

/* The project as healthtop's config (config.h), titled "compose project
 * NAME", or "TITLE (compose project NAME)" with a top-level
 * `x-healthtop: {title: TITLE}`; each service a docker row, labelled and
 * grouped by its own `x-healthtop: {label:, group:}` when it has one,
 * on DOCKER_HOST's socket (unix:// only)
 * or /var/run/docker.sock, found by its compose labels; replicas from
 * deploy.replicas or scale (0: scaled to 0), services outside the active
 * profiles in a group of their own at 0; the healthcheck's interval,
 * timeout, retries, start_period and start_interval as the row's (the
 * config's defaults for what it does not give, timeout at most the
 * interval); depends_on as the dependency graph (names that are no
 * service are left to lint); then the project's x-healthtop: extensions
 * over the rows (compose_ext_apply below: extra rows NAME/KIND). 0, or
 * -1 with err (a cycle, a service name compose would refuse, an
 * unsupported DOCKER_HOST, a mistake in an x-healthtop:). */
/* Where the rows' probes look (--compose-probes): the engine's view of
 * the containers; the healthchecks run from the host against the
 * published ports where healthtop can run them (hostprobe.c; the other
 * services stay engine rows); or both, the host's as extra rows
 * "NAME/host" beside the engine's. A host row expects one replica: the
 * host sees one endpoint. */
enum compose_probes { COMPOSE_PROBES_ENGINE, COMPOSE_PROBES_HOST, COMPOSE_PROBES_BOTH };

struct ht_config;
int compose_to_config(const struct compose_project *p, enum compose_probes probes,
                      struct ht_config *cfg, char *err, size_t n) HT_WUR;

/* A config file with compose: (config.h's struct config_compose) made
 * whole into out: the compose project's rows (its files relative to the
 * config file's directory, its profiles and project name), then the
 * file's services over them. A service of the file named as a compose
 * service overrides the keys it gives (label, group, the timings,
 * replicas, depends_on); with a probe it also adds a row NAME/KIND
 * beside the compose row. Any other service of the file is a row of its
 * own. The file's title (when not the default), history, max_inflight,
 * listen and auth stay. own is emptied (what it held moves to out, or is
 * freed). 0, or -1 with err ("file:line:column: ..." for the file's
 * mistakes); out is then empty. */
int compose_overlay(struct ht_config *own, enum compose_probes probes, struct ht_config *out,
                    char *err, size_t n) HT_WUR;
/* The step of compose_overlay that puts own's services over base (rows of
 * a compose project): overrides, extra rows NAME/KIND (replacing one of
 * that name already there), rows of their own, then every depends_on
 * resolved by name and checked for cycles. file names own's positions in
 * err. own's services are moved or left for the caller to free. */
/* The project's x-healthtop: extensions (ext.c) over cfg, the rows
 * compose_to_config made of p: each service's read as a healthtop.yml
 * service of its name (config_doc.h) and put over its row as
 * compose_overlay_apply does; the top-level one gives title: (the
 * title is compose_to_config's) and defaults:, which the extra rows
 * take and the docker rows do not. 0, or -1 with err
 * ("compose-file:line:column: ..."). */
int compose_ext_apply(const struct compose_project *p, struct ht_config *cfg, char *err,
                      size_t n) HT_WUR;
int compose_overlay_apply(struct ht_config *base, struct ht_config *own, const char *file,
                          char *err, size_t n) HT_WUR;

#endif
