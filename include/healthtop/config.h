/* The configuration: a YAML file of services, parsed once at start-up
 * into plain structs that the rest of the program only reads.
 *
 * Every string in here is owned by the struct ht_config and freed by
 * config_free(). Secret values (passwords, header values, anything that
 * came from ${VAR}) are also registered with secret_add() during parsing.
 *
 * Errors, for the loaders (this header, theme.h, replay.h, record.h, the
 * demo's stack.h): return 0, or -1 with `char *err, size_t n` holding the
 * whole message for the user, with its file and line or its OS reason
 * ("config.yml:12:5: ...", "out.jsonl: Permission denied"). What a loader
 * makes comes back through a parameter, never as NULL-or-object. Inside
 * the config loader the errors are collected in the YAML document with
 * their positions (yaml_doc.h), so one run shows every mistake; only
 * config_parse turns the list into err. */
#ifndef HEALTHTOP_CONFIG_H
#define HEALTHTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "healthtop/util.h"

/* The probe kinds, each an index into the table of kinds (src/probe.c,
 * struct probe_ops in probe.h); doc/probe-kinds.md says how to add one. */
enum probe_kind {
    PROBE_HTTP,
    PROBE_TCP,
    PROBE_REDIS,
    PROBE_EXEC,
    PROBE_CELERY,
    PROBE_DOCKER,
    PROBE_POSTGRES,
    PROBE_PROMETHEUS,
    PROBE_KIND_COUNT
};

/* "http", "tcp", ... as written in the config; "unknown" out of range.
 * Answered by the table of kinds in probe.c. */
const char *probe_kind_name(enum probe_kind k);

struct config_kv {
    char *key;
    char *value;
};

/* A Redis endpoint parsed from redis://[user[:password]@]host[:port][/db]. */
struct redis_target {
    char *url; /* as written after ${VAR} expansion; may hold a secret */
    char *host;
    int port;       /* default 6379 */
    int db;         /* default 0 */
    char *user;     /* NULL unless given */
    char *password; /* NULL unless given (URL or `password:` key) */
};

struct http_config {
    char **urls; /* one per replica */
    size_t nurls;
    int *status; /* accepted codes; none = any 2xx */
    size_t nstatus;
    char *body;             /* substring the body must contain, or NULL */
    struct config_kv *json; /* dotted path -> expected scalar, as text */
    size_t njson;
    struct config_kv *headers; /* values are secrets */
    size_t nheaders;
    int64_t max_latency_ms; /* 0 = none; slower but correct -> degraded */
    size_t max_body;        /* default 64 KiB */
    bool insecure;          /* skip TLS verification */
    bool follow_redirects;  /* the probe follows them itself: see http.c */
    bool allow_downgrade;   /* a redirect from https to http is followed */
    bool fresh_connect;     /* new connection for every probe */
};

struct tcp_config {
    char **addrs; /* "host:port", one per replica */
    size_t naddrs;
};

struct redis_config {
    struct redis_target *targets; /* one per replica */
    size_t ntargets;
};

struct exec_config {
    char **argv; /* NULL-terminated */
    size_t argc;
};

struct celery_config {
    struct redis_target broker;
    char *workers; /* glob on the worker name before '@', or NULL = any */
};

/* What the engine does when a container's process exits (compose's
 * restart:), as far as healthtop knows it. */
enum docker_restart {
    DOCKER_RESTART_UNKNOWN, /* not said: an exited container may come back */
    DOCKER_RESTART_NO,
    DOCKER_RESTART_ON_FAILURE,
    DOCKER_RESTART_ALWAYS,
    DOCKER_RESTART_UNLESS_STOPPED,
};

struct docker_config {
    char *service; /* com.docker.compose.service label, or NULL */
    char *project; /* com.docker.compose.project label, or NULL */
    char *socket;  /* default /var/run/docker.sock, or DOCKER_HOST */
    enum docker_restart restart;
    /* A job expected to run to completion (a dependency with condition
     * service_completed_successfully: migrations, init jobs): done when
     * its containers exited 0, failed when one exited otherwise. */
    bool completes;
};

/* The keys a service of a config file gave itself (svc_config.set):
 * what overrides a compose row of the same name (config.compose). */
enum {
    CONFIG_SET_LABEL = 1 << 0,
    CONFIG_SET_GROUP = 1 << 1,
    CONFIG_SET_INTERVAL = 1 << 2,
    CONFIG_SET_TIMEOUT = 1 << 3,
    CONFIG_SET_START_PERIOD = 1 << 4,
    CONFIG_SET_START_INTERVAL = 1 << 5,
    CONFIG_SET_RETRIES = 1 << 6,
    CONFIG_SET_REPLICAS = 1 << 7,
    CONFIG_SET_DEPENDS_ON = 1 << 8,
    CONFIG_SET_PROBE = 1 << 9, /* without it (only with compose:), no probe */
};

struct svc_config {
    char *name;  /* the key under services: */
    char *label; /* display name; defaults to name */
    char *group; /* section; defaults to "Services" */
    enum probe_kind kind;
    union {
        struct http_config http;
        struct tcp_config tcp;
        struct redis_config redis;
        struct exec_config exec;
        struct celery_config celery;
        struct docker_config docker;
        /* A kind's private config, whose struct lives beside its
         * sources: allocated by its parse, freed by its free_config. */
        void *priv;
    } u;
    int64_t interval_ms;
    int64_t timeout_ms;
    int64_t start_period_ms;
    /* The interval while starting inside start_period (Docker's
     * start_interval); the interval itself unless set. */
    int64_t start_interval_ms;
    int retries;
    int replicas; /* expected; defaults to the number of targets */
    char **depends_on;
    size_t ndeps;
    size_t *dep_idx; /* indexes into ht_config.svcs, same order */
    unsigned line;   /* where the service is defined, for messages */
    unsigned col;
    unsigned set; /* CONFIG_SET_*: the keys given in the file */
};

/* compose: in a config file: compose files whose services are rows too
 * (src/compose/overlay.c), which the file's services: override or add
 * to. Without it, present is false and the rest empty. */
struct config_compose {
    bool present;
    char **files; /* as written: relative to the config file's directory */
    size_t nfiles;
    char **profiles;
    size_t nprofiles;
    char *project;      /* the project name, or NULL: compose's own rules */
    unsigned line, col; /* the compose: key */
};

/* alerts: one route each, sending the state changes it selects to one
 * receiver (doc/alerts.md has the payloads). */
enum alert_kind { ALERT_ALERTMANAGER, ALERT_WEBHOOK, ALERT_EXEC, ALERT_KIND_COUNT };

struct alert_route {
    enum alert_kind kind;
    char *url;   /* alertmanager, webhook: may hold a secret */
    char **argv; /* exec: NULL-terminated, run without a shell */
    size_t argc;
    struct config_kv *headers; /* alertmanager, webhook: values are secrets */
    size_t nheaders;
    unsigned states;           /* 1u << enum health_state, per state that fires */
    char **services, **groups; /* globs (fnmatch); none: every service */
    size_t nservices, ngroups;
    int64_t for_ms;     /* how long a state must hold before it fires; 0 */
    int64_t repeat_ms;  /* sent again while firing; 0 = never (alertmanager: 1m) */
    int64_t timeout_ms; /* one delivery, at most */
    bool resolved;      /* send the resolution; default true */
    bool root_cause;    /* hold back what a root cause blocks; default true */
    unsigned line;      /* where the route is written, for messages */
};

/* Defaults of a route. */
#define ALERT_DEFAULT_TIMEOUT_MS 10000
#define ALERT_DEFAULT_RESEND_MS  60000

struct ht_config {
    char *path;              /* the file it came from */
    char *title;             /* default "healthtop" */
    struct svc_config *svcs; /* in file order */
    size_t nsvcs;
    int64_t history_ms;         /* how much history to keep; default 1h */
    int max_inflight;           /* probes in flight at once; default 512 */
    char *listen;               /* listen: "[ADDR:]PORT" as written, or NULL */
    bool listen_public;         /* listen_public: true allows a non-loopback address */
    char *auth_bearer;          /* auth: {bearer: ...}: a secret, or NULL */
    char *auth_user;            /* auth: {user: ..., password: ...}: HTTP Basic, or NULL */
    char *auth_password;        /* a secret, or NULL */
    struct alert_route *alerts; /* alerts:, in file order */
    size_t nalerts;
    struct config_compose compose; /* compose:, naming compose files */
};

/* Defaults, also used when a key is absent. */
#define CONFIG_DEFAULT_INTERVAL_MS  2000
#define CONFIG_DEFAULT_TIMEOUT_MS   1000
#define CONFIG_DEFAULT_RETRIES      3
#define CONFIG_DEFAULT_HISTORY_MS   (3600 * 1000)
#define CONFIG_DEFAULT_MAX_INFLIGHT 512
#define CONFIG_DEFAULT_MAX_BODY     (64 * 1024)

/* Reads and checks path. On error returns -1 and writes to err one line
 * per problem, each "file:line:column: message" (with a "did you mean"
 * hint where one fits). */
int config_load(const char *path, struct ht_config *cfg, char *err, size_t errlen) HT_WUR;
/* The same on text already in memory; name is used in messages. */
int config_parse(const char *name, const char *text, size_t len, struct ht_config *cfg, char *err,
                 size_t errlen) HT_WUR;
void config_free(struct ht_config *cfg);
/* "alertmanager", "webhook", "exec". */
const char *alert_kind_name(enum alert_kind k);

/* Number of targets (replicas probed) a service has: URLs, addresses... */
size_t config_targets(const struct svc_config *s);
/* A one-line description of what is probed, secrets redacted:
 * "GET http://127.0.0.1:8000/health", "tcp 127.0.0.1:5000", "exec pg_isready -h 127.0.0.1". */
void config_describe(const struct svc_config *s, char *out, size_t n);
/* Index of the service called name, or -1. */
long config_find(const struct ht_config *cfg, const char *name);
/* Parses a redis:// URL into t (strings owned by t); returns 0 or -1 with
 * *why set. Also used for celery brokers. It registers no secret: call
 * config_url_secret (config_probe.h) on the URL first. */
int redis_target_parse(const char *url, struct redis_target *t, const char **why) HT_WUR;
void redis_target_free(struct redis_target *t);

/* The config file to use when none is given: ./healthtop.yml, else
 * $XDG_CONFIG_HOME/healthtop/config.yml (XDG_CONFIG_HOME defaults to
 * ~/.config). Writes the path to out and returns 0 if found; else returns
 * -1 with out holding the second path it looked at ("" when neither
 * XDG_CONFIG_HOME nor HOME is set). */
int config_find_default(char *out, size_t n) HT_WUR;
/* config_load, with check_perms: opens path once and refuses (-1, message
 * in err) anything but a regular file (a FIFO or a device never blocks the
 * open), and, when check_perms is set, a file that its group or others
 * may write or that belongs to someone other than the user or root, and
 * one in a directory (up to /) that someone else could write, unless it
 * is sticky like /tmp: such a file could make the dashboard run any
 * program. The checks are made on the open file, so a file swapped in
 * after them is never the one read. */
int config_load_file(const char *path, bool check_perms, struct ht_config *cfg, char *err,
                     size_t errlen) HT_WUR;

#endif
