/* The configuration: a YAML file of services turned into struct
 * ht_config. The loader never stops at the first problem: it walks the
 * whole file, records every error with its position (yaml_doc.c), and
 * only then fails, so that one run shows everything to fix.
 *
 * The probe part of each service belongs to its kind: config_probe.c hands
 * it to the kind's parser, found in the table of kinds (probe.c), and the
 * questions below (targets, description) go to the same table. Reading
 * files and checking their permissions is in config_file.c. */
#include "healthtop/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/listen.h"
#include "healthtop/probe.h"
#include "healthtop/secret.h"
#include "healthtop/text.h"
#include "config_alerts.h"
#include "config_doc.h"
#include "yaml_doc.h"

/* The settings `defaults:` gives every service, each overridable. */
struct timing {
    int64_t interval_ms, timeout_ms, start_period_ms;
    int retries;
    int64_t start_interval_ms; /* -1: the service's interval */
};

/* What the walk needs to remember about a service until all are known. */
struct svc_tmp {
    yaml_node_t *key;        /* the service's name */
    yaml_node_t **dep_nodes; /* where each depends_on entry is written */
};

struct parse {
    struct ydoc d;
    struct ht_config *cfg;
    struct timing defaults;
    struct svc_tmp *tmp; /* one per service key */
    size_t ntmp;
};

static bool is_extension(const char *key)
{
    /* Compose's convention: x-* keys hold anchors for the rest to use. */
    return strncmp(key, "x-", 2) == 0;
}

/* A text shown as it is (title, label, group): made safe to print like any
 * outside text (text.h). A ${VAR} value in it is a secret as everywhere,
 * so it shows as "***". */
static char *display_str(struct ydoc *d, yaml_node_t *v, const char *what)
{
    char *raw = ydoc_str(d, v, what), *safe;

    if (raw == NULL)
        return NULL;
    safe = text_safe_dup(raw);
    free(raw);
    return safe;
}

/* A duration Docker also has, where Docker reads 0 as "the default":
 * refused here, saying so. */
static void docker_duration(struct ydoc *d, yaml_node_t *v, const char *what, int64_t min_ms,
                            int64_t *out)
{
    int64_t ms;
    char minbuf[32];

    if (ydoc_duration(d, v, what, 0, &ms) != 0)
        return;
    ht_duration_format(min_ms, minbuf, sizeof(minbuf));
    if (ms == 0)
        ydoc_error(d, v,
                   "%s must be at least %s, not 0 (0 is Docker's 'the default'; here, leave "
                   "the key out for the default)",
                   what, minbuf);
    else if (ms < min_ms)
        ydoc_error(d, v, "%s must be at least %s, not %s", what, minbuf,
                   (const char *)v->data.scalar.value);
    else
        *out = ms;
}

/* Returns true when p is one of the timing keys (then parsed into t). */
static bool timing_key(struct ydoc *d, const struct ypair *p, struct timing *t)
{
    int64_t v;

    if (strcmp(p->name, "interval") == 0)
        docker_duration(d, p->value, "interval", 100, &t->interval_ms);
    else if (strcmp(p->name, "timeout") == 0)
        docker_duration(d, p->value, "timeout", 1, &t->timeout_ms);
    else if (strcmp(p->name, "start_period") == 0)
        (void)ydoc_duration(d, p->value, "start_period", 0, &t->start_period_ms);
    else if (strcmp(p->name, "start_interval") == 0)
        docker_duration(d, p->value, "start_interval", 100, &t->start_interval_ms);
    else if (strcmp(p->name, "retries") == 0) {
        if (ydoc_int(d, p->value, "retries", 1, 1000, &v) == 0)
            t->retries = (int)v;
    } else
        return false;
    return true;
}

static void parse_defaults(struct parse *P, yaml_node_t *n)
{
    static const char *const keys[] = {"interval", "timeout", "retries", "start_period",
                                       "start_interval"};
    struct ypair *pairs;
    size_t np;

    if (n == NULL || ydoc_is_null(n))
        return;
    if (ydoc_pairs(&P->d, n, &pairs, &np) != 0) {
        if (!ydoc_is_map(n))
            ydoc_error(&P->d, n, "defaults must be a mapping, not %s", ydoc_type_name(n));
        return;
    }
    for (size_t i = 0; i < np; i++)
        if (!timing_key(&P->d, &pairs[i], &P->defaults))
            ydoc_unknown_key(&P->d, &pairs[i], "defaults", keys, HT_ARRAY_LEN(keys));
    free(pairs);
}

/* ------------------------------------------------------------------ */
/* depends_on                                                           */

static void dep_push(struct svc_config *s, struct svc_tmp *t, char *name, yaml_node_t *at)
{
    s->depends_on = xrealloc(s->depends_on, (s->ndeps + 1) * sizeof(*s->depends_on));
    t->dep_nodes = xrealloc(t->dep_nodes, (s->ndeps + 1) * sizeof(*t->dep_nodes));
    s->depends_on[s->ndeps] = name;
    t->dep_nodes[s->ndeps] = at;
    s->ndeps++;
}

/* The compose form's per-dependency options: checked, but healthtop
 * draws the same edge whatever the condition. */
static void dep_options(struct ydoc *d, const struct ypair *dep)
{
    static const char *const keys[] = {"condition", "required", "restart"};
    static const char *const conds[] = {"service_started", "service_healthy",
                                        "service_completed_successfully"};
    struct ypair *pairs;
    size_t np;
    bool b;

    if (ydoc_is_null(dep->value))
        return;
    if (ydoc_pairs(d, dep->value, &pairs, &np) != 0) {
        if (!ydoc_is_map(dep->value))
            ydoc_error(d, dep->value,
                       "depends_on: '%s' takes a mapping like {condition: service_healthy}, "
                       "not %s",
                       dep->name, ydoc_type_name(dep->value));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        const struct ypair *o = &pairs[i];
        if (strcmp(o->name, "condition") == 0) {
            char *c = ydoc_str(d, o->value, "condition");
            const char *near = c ? ydoc_nearest(c, conds, HT_ARRAY_LEN(conds)) : NULL;
            if (c != NULL && (near == NULL || strcmp(near, c) != 0))
                ydoc_error(d, o->value, "unknown condition '%s'%s%s%s", c,
                           near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            free(c);
        } else if (strcmp(o->name, "required") == 0 || strcmp(o->name, "restart") == 0) {
            (void)ydoc_bool(d, o->value, o->name, &b);
        } else {
            ydoc_unknown_key(d, o, "a depends_on entry", keys, HT_ARRAY_LEN(keys));
        }
    }
    free(pairs);
}

static void parse_deps(struct ydoc *d, yaml_node_t *n, struct svc_config *s, struct svc_tmp *t)
{
    struct ypair *pairs;
    size_t np;

    if (ydoc_is_null(n))
        return;
    if (ydoc_is_seq(n)) {
        for (size_t i = 0; i < ydoc_nitems(n); i++) {
            yaml_node_t *item = ydoc_item(d, n, i);
            char *name = item ? ydoc_str(d, item, "a depends_on entry") : NULL;
            if (name != NULL)
                dep_push(s, t, name, item);
        }
        return;
    }
    if (ydoc_pairs(d, n, &pairs, &np) != 0) {
        if (!ydoc_is_map(n))
            ydoc_error(d, n,
                       "depends_on must be a list of service names or a mapping "
                       "(compose form), not %s",
                       ydoc_type_name(n));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        dep_options(d, &pairs[i]);
        dep_push(s, t, xstrdup(pairs[i].name), pairs[i].key);
    }
    free(pairs);
}

/* ------------------------------------------------------------------ */
/* Services                                                             */

static const char *const service_keys_base[] = {"label",    "group",        "depends_on",
                                                "replicas", "interval",     "timeout",
                                                "retries",  "start_period", "start_interval"};

/* The keys a service may have: the ones above, then every kind's name. */
static size_t service_keys(const char **keys)
{
    size_t n = 0;

    for (size_t i = 0; i < HT_ARRAY_LEN(service_keys_base); i++)
        keys[n++] = service_keys_base[i];
    for (int k = 0; k < PROBE_KIND_COUNT; k++)
        keys[n++] = probe_ops_get(k)->name;
    return n;
}

/* "http, tcp, ... or docker": the kinds' names for a message. */
static const char *kind_list(char *out, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (int k = 0; k < PROBE_KIND_COUNT; k++) {
        const char *sep = k == 0 ? "" : k == PROBE_KIND_COUNT - 1 ? " or " : ", ";
        ht_snprintf(out + used, n - used, "%s%s", sep, probe_ops_get(k)->name);
        used += strlen(out + used);
    }
    return out;
}

static void parse_replicas(struct ydoc *d, yaml_node_t *n, struct svc_config *s)
{
    size_t targets = config_targets(s);
    bool per_target = !(probe_ops_get(s->kind)->flags & PROBE_F_FINDS_REPLICAS);
    int64_t v;

    s->replicas = per_target ? (int)targets : 1;
    if (n == NULL || ydoc_int(d, n, "replicas", 0, 10000, &v) != 0)
        return;
    if (per_target && (size_t)v > targets && targets > 0)
        ydoc_error(d, n,
                   "replicas: %d but service '%s' has %zu target%s; a %s probe needs one "
                   "target per replica",
                   (int)v, s->name, targets, targets == 1 ? "" : "s", probe_kind_name(s->kind));
    s->replicas = (int)v;
}

/* Walks the keys of one service. The probe and replicas are parsed after
 * the loop, because replicas depends on the probe's number of targets. */
static void service_keys_walk(struct parse *P, struct svc_config *s, struct svc_tmp *t,
                              const struct ypair *pairs, size_t np, struct timing *tm,
                              const struct ypair **probe, yaml_node_t **replicas)
{
    struct ydoc *d = &P->d;

    static const struct {
        const char *key;
        unsigned bit;
    } bits[] = {
        {"label", CONFIG_SET_LABEL},
        {"group", CONFIG_SET_GROUP},
        {"interval", CONFIG_SET_INTERVAL},
        {"timeout", CONFIG_SET_TIMEOUT},
        {"start_period", CONFIG_SET_START_PERIOD},
        {"start_interval", CONFIG_SET_START_INTERVAL},
        {"retries", CONFIG_SET_RETRIES},
        {"replicas", CONFIG_SET_REPLICAS},
        {"depends_on", CONFIG_SET_DEPENDS_ON},
    };

    for (size_t i = 0; i < np; i++) {
        const struct ypair *p = &pairs[i];
        for (size_t b = 0; b < HT_ARRAY_LEN(bits); b++)
            if (strcmp(p->name, bits[b].key) == 0)
                s->set |= bits[b].bit;
        if (is_extension(p->name) || timing_key(d, p, tm))
            continue;
        if (strcmp(p->name, "label") == 0)
            s->label = display_str(d, p->value, "label");
        else if (strcmp(p->name, "group") == 0)
            s->group = display_str(d, p->value, "group");
        else if (strcmp(p->name, "depends_on") == 0)
            parse_deps(d, p->value, s, t);
        else if (strcmp(p->name, "replicas") == 0)
            *replicas = p->value;
        else if (probe_ops_find(p->name) != NULL && *probe != NULL)
            ydoc_error(d, p->key,
                       "service '%s' has two probes ('%s' and '%s'): use one per service", s->name,
                       (*probe)->name, p->name);
        else if (probe_ops_find(p->name) != NULL)
            *probe = p;
        else {
            const char *keys[HT_ARRAY_LEN(service_keys_base) + PROBE_KIND_COUNT];
            ydoc_unknown_key(d, p, "a service", keys, service_keys(keys));
        }
    }
}

static void parse_service(struct parse *P, struct svc_config *s, struct svc_tmp *t,
                          const struct ypair *sp)
{
    struct ydoc *d = &P->d;
    struct timing tm = P->defaults;
    const struct ypair *probe = NULL;
    yaml_node_t *replicas = NULL;
    struct ypair *pairs = NULL;
    size_t np = 0;
    char kinds[256];

    s->name = xstrdup(sp->name);
    s->line = (unsigned)sp->key->start_mark.line + 1;
    s->col = (unsigned)sp->key->start_mark.column + 1;
    t->key = sp->key;
    if (sp->name[strspn(sp->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789_.-")] != '\0')
        ydoc_error(d, sp->key, "bad service name '%s': use letters, digits, '_', '.' and '-'",
                   sp->name);
    if (ydoc_pairs(d, sp->value, &pairs, &np) != 0) {
        if (!ydoc_is_map(sp->value))
            ydoc_error(d, ydoc_is_null(sp->value) ? sp->key : sp->value,
                       "service '%s' must be a mapping with a probe (%s), not %s", s->name,
                       kind_list(kinds, sizeof(kinds)), ydoc_type_name(sp->value));
    } else {
        service_keys_walk(P, s, t, pairs, np, &tm, &probe, &replicas);
        /* With compose:, a service without a probe overrides the compose
         * row of its name (src/compose/overlay.c checks there is one). */
        if (probe == NULL && !d->over_budget && !P->cfg->compose.present)
            ydoc_error(d, sp->key, "service '%s' has no probe: give it one of %s", s->name,
                       kind_list(kinds, sizeof(kinds)));
        if (probe != NULL) {
            s->set |= CONFIG_SET_PROBE;
            s->kind = probe_ops_find(probe->name)->kind;
            config_probe_parse(d, s->kind, probe, s);
        }
        parse_replicas(d, replicas, s);
    }
    free(pairs);
    s->interval_ms = tm.interval_ms;
    s->timeout_ms = tm.timeout_ms;
    s->start_period_ms = tm.start_period_ms;
    s->start_interval_ms = tm.start_interval_ms >= 0 ? tm.start_interval_ms : tm.interval_ms;
    s->retries = tm.retries;
    if (s->label == NULL)
        s->label = xstrdup(s->name);
    if (s->group == NULL)
        s->group = xstrdup("Services");
}

/* ------------------------------------------------------------------ */
/* Dependencies between services                                        */

struct name_ix {
    const char *name;
    size_t idx;
};

static int name_ix_cmp(const void *a, const void *b)
{
    return strcmp(((const struct name_ix *)a)->name, ((const struct name_ix *)b)->name);
}

/* config_find by binary search in by_name (the services sorted by name),
 * so that thousands of dependencies stay cheap. */
static long find_sorted(const struct name_ix *by_name, size_t n, const char *name)
{
    struct name_ix key = {name, 0};
    const struct name_ix *hit = n ? bsearch(&key, by_name, n, sizeof(*by_name), name_ix_cmp) : NULL;

    return hit ? (long)hit->idx : -1;
}

static void resolve_deps(struct parse *P, const char **names)
{
    struct ht_config *cfg = P->cfg;
    /* seen[k] == i + 1 when service i already listed service k. */
    size_t *seen = xcalloc(cfg->nsvcs, sizeof(*seen));
    struct name_ix *by_name = xcalloc(cfg->nsvcs, sizeof(*by_name));

    for (size_t i = 0; i < cfg->nsvcs; i++)
        by_name[i] = (struct name_ix){names[i], i};
    if (cfg->nsvcs > 1)
        qsort(by_name, cfg->nsvcs, sizeof(*by_name), name_ix_cmp);

    for (size_t i = 0; i < cfg->nsvcs; i++) {
        struct svc_config *s = &cfg->svcs[i];
        s->dep_idx = xcalloc(s->ndeps, sizeof(*s->dep_idx));
        for (size_t j = 0; j < s->ndeps; j++) {
            const char *dep = s->depends_on[j];
            long k = find_sorted(by_name, cfg->nsvcs, dep);
            yaml_node_t *at = P->tmp[i].dep_nodes[j];
            s->dep_idx[j] = SIZE_MAX;
            if (k < 0 && P->cfg->compose.present) {
                continue; /* perhaps a compose service: overlay.c resolves it */
            } else if (k < 0) {
                const char *near =
                    P->d.nerrs < YDOC_ERRORS_MAX ? ydoc_nearest(dep, names, cfg->nsvcs) : NULL;
                ydoc_error(&P->d, at, "depends_on: no service named '%s'%s%s%s", dep,
                           near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            } else if ((size_t)k == i) {
                ydoc_error(&P->d, at, "service '%s' depends on itself", dep);
            } else if (seen[k] == i + 1) {
                ydoc_error(&P->d, at, "depends_on: '%s' is listed twice", dep);
            } else {
                s->dep_idx[j] = (size_t)k;
                seen[k] = i + 1;
            }
        }
    }
    free(seen);
    free(by_name);
}

static size_t dep_edges(size_t node, void *ud)
{
    const struct parse *P = ud;

    return P->cfg->svcs[node].dep_idx ? P->cfg->svcs[node].ndeps : 0;
}

static size_t dep_target(size_t node, size_t e, void *ud)
{
    const struct parse *P = ud;

    return P->cfg->svcs[node].dep_idx[e];
}

/* Reports a cycle, path[0] -> ... -> path[len - 1] -> path[0], at the
 * depends_on entry that closes it: "a -> b -> c -> a", long cycles
 * shortened in the middle. */
static int report_cycle(const size_t *cyc, size_t len, size_t e, void *ud)
{
    struct parse *P = ud;
    char path[512] = "";
    size_t used = 0;

    if (P->d.nerrs >= YDOC_ERRORS_MAX)
        return 1;
    for (size_t i = 0; i < len; i++) {
        if (len > 8 && i == 4) {
            ht_snprintf(path + used, sizeof(path) - used, "... (%zu more) -> ", len - 7);
            i = len - 3;
        }
        used += strlen(path + used);
        ht_snprintf(path + used, sizeof(path) - used, "%s -> ", P->cfg->svcs[cyc[i]].name);
        used += strlen(path + used);
    }
    ht_snprintf(path + used, sizeof(path) - used, "%s", P->cfg->svcs[cyc[0]].name);
    ydoc_error(&P->d, P->tmp[cyc[len - 1]].dep_nodes[e], "dependency cycle: %s", path);
    return 0;
}

static void find_cycles(struct parse *P)
{
    struct ht_graph g = {P->cfg->nsvcs, dep_edges, dep_target, report_cycle, P};

    ht_graph_cycles(&g);
}

/* ------------------------------------------------------------------ */
/* The document                                                         */

static void parse_services(struct parse *P, const struct ypair *sp)
{
    struct ht_config *cfg = P->cfg;
    struct ypair *pairs;
    const char **names;
    size_t np;

    if (sp == NULL) {
        if (!cfg->compose.present)
            ydoc_error_at(&P->d, 1, 1, "no services: add a services: mapping");
        return;
    }
    if (ydoc_pairs(&P->d, sp->value, &pairs, &np) != 0) {
        if (!ydoc_is_map(sp->value))
            ydoc_error(&P->d, ydoc_is_null(sp->value) ? sp->key : sp->value,
                       "services must be a mapping of service names, not %s",
                       ydoc_type_name(sp->value));
        return;
    }
    if (np == 0 && !cfg->compose.present)
        ydoc_error(&P->d, sp->value, "services is empty: add at least one service");
    cfg->svcs = xcalloc(np, sizeof(*cfg->svcs));
    P->tmp = xcalloc(np, sizeof(*P->tmp));
    P->ntmp = np;
    for (size_t i = 0; i < np && !P->d.over_budget; i++) {
        parse_service(P, &cfg->svcs[i], &P->tmp[i], &pairs[i]);
        cfg->nsvcs++;
    }
    free(pairs);
    names = xcalloc(cfg->nsvcs, sizeof(*names));
    for (size_t i = 0; i < cfg->nsvcs; i++)
        names[i] = cfg->svcs[i].name;
    resolve_deps(P, names);
    find_cycles(P);
    free(names);
}

static const char *const top_keys[] = {"title",    "history", "max_inflight",  "defaults",
                                       "services", "listen",  "listen_public", "auth",
                                       "alerts",   "compose"};

/* A list of strings (or one string) appended to *out, *n. */
static void str_list(struct ydoc *d, yaml_node_t *v, const char *what, char ***out, size_t *n)
{
    size_t ni = ydoc_is_seq(v) ? ydoc_nitems(v) : 1;

    if (!ydoc_is_seq(v) && !ydoc_is_scalar(v)) {
        ydoc_error(d, v, "%s must be a list of strings, not %s", what, ydoc_type_name(v));
        return;
    }
    *out = xrealloc(*out, (*n + ni + 1) * sizeof(char *));
    for (size_t i = 0; i < ni; i++) {
        yaml_node_t *it = ydoc_is_seq(v) ? ydoc_item(d, v, i) : v;
        char *s = it ? ydoc_str(d, it, what) : NULL;
        if (s != NULL)
            (*out)[(*n)++] = s;
    }
}

/* compose: [FILE, ...] or {files: [...], profiles: [...], project: NAME}. */
static void parse_compose(struct parse *P, const struct ypair *p)
{
    static const char *const keys[] = {"files", "profiles", "project"};
    struct config_compose *c = &P->cfg->compose;
    struct ypair *pairs;
    size_t np;

    c->present = true;
    c->line = (unsigned)p->key->start_mark.line + 1;
    c->col = (unsigned)p->key->start_mark.column + 1;
    if (!ydoc_is_map(p->value)) {
        str_list(&P->d, p->value, "compose", &c->files, &c->nfiles);
        return;
    }
    if (ydoc_pairs(&P->d, p->value, &pairs, &np) != 0)
        return;
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "files") == 0)
            str_list(&P->d, pairs[i].value, "compose: files", &c->files, &c->nfiles);
        else if (strcmp(pairs[i].name, "profiles") == 0)
            str_list(&P->d, pairs[i].value, "compose: profiles", &c->profiles, &c->nprofiles);
        else if (strcmp(pairs[i].name, "project") == 0) {
            free(c->project);
            c->project = ydoc_str(&P->d, pairs[i].value, "compose: project");
        } else
            ydoc_unknown_key(&P->d, &pairs[i], "compose", keys, HT_ARRAY_LEN(keys));
    }
    free(pairs);
}

/* listen: [ADDR:]PORT, checked here so that a bad one has its position. */
static void parse_listen(struct parse *P, yaml_node_t *v)
{
    struct listen_spec spec;
    const char *why;
    char *s = ydoc_str(&P->d, v, "listen");

    if (s == NULL)
        return;
    if (listen_parse(s, &spec, &why) != 0) {
        ydoc_error(&P->d, v, "listen: %s", why);
        free(s);
        return;
    }
    free(P->cfg->listen);
    P->cfg->listen = s;
}

/* auth: {bearer: TOKEN}: what --listen's clients must send. */
static void parse_auth(struct parse *P, const struct ypair *p)
{
    static const char *const keys[] = {"bearer", "user", "password"};
    struct ypair *pairs;
    size_t np;

    if (ydoc_pairs(&P->d, p->value, &pairs, &np) != 0) {
        ydoc_error(&P->d, p->value, "auth must be a mapping: {bearer: \"${TOKEN}\"}");
        return;
    }
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pairs[i].name, "bearer") == 0) {
            char *t = ydoc_str(&P->d, pairs[i].value, "bearer");
            if (t && strlen(t) < 16)
                ydoc_error(&P->d, pairs[i].value,
                           "auth: bearer must be at least 16 characters (a guessable token "
                           "protects nothing)");
            if (t)
                secret_add(t);
            free(P->cfg->auth_bearer);
            P->cfg->auth_bearer = t;
        } else if (strcmp(pairs[i].name, "user") == 0) {
            free(P->cfg->auth_user);
            P->cfg->auth_user = ydoc_str(&P->d, pairs[i].value, "user");
        } else if (strcmp(pairs[i].name, "password") == 0) {
            char *pw = ydoc_str(&P->d, pairs[i].value, "password");
            if (pw && strlen(pw) < 12)
                ydoc_error(&P->d, pairs[i].value, "auth: password must be at least 12 characters");
            free(P->cfg->auth_password);
            P->cfg->auth_password = pw;
        } else {
            ydoc_unknown_key(&P->d, &pairs[i], "auth", keys, HT_ARRAY_LEN(keys));
        }
    }
    if ((P->cfg->auth_user == NULL) != (P->cfg->auth_password == NULL))
        ydoc_error(&P->d, p->value, "auth: user and password go together (HTTP Basic)");
    else if (P->cfg->auth_user && P->cfg->auth_bearer)
        ydoc_error(&P->d, p->value, "auth: either bearer or user and password, not both");
    if (P->cfg->auth_user && P->cfg->auth_password)
        secret_add_basic(P->cfg->auth_user, P->cfg->auth_password);
    free(pairs);
}

static void parse_root(struct parse *P)
{
    struct ht_config *cfg = P->cfg;
    yaml_node_t *root = ydoc_root(&P->d), *defaults = NULL;
    const struct ypair *services = NULL;
    struct ypair *pairs;
    size_t np;
    int64_t v;

    if (root == NULL || ydoc_is_null(root)) {
        ydoc_error_at(&P->d, 1, 1, "the config is empty: it needs at least a services: mapping");
        return;
    }
    if (ydoc_pairs(&P->d, root, &pairs, &np) != 0) {
        if (!ydoc_is_map(root))
            ydoc_error(&P->d, root, "the config must be a mapping (title:, services:, ...), not %s",
                       ydoc_type_name(root));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        const struct ypair *p = &pairs[i];
        if (is_extension(p->name))
            continue;
        if (strcmp(p->name, "title") == 0) {
            free(cfg->title);
            cfg->title = display_str(&P->d, p->value, "title");
        } else if (strcmp(p->name, "history") == 0)
            (void)ydoc_duration(&P->d, p->value, "history", 1000, &cfg->history_ms);
        else if (strcmp(p->name, "max_inflight") == 0) {
            if (ydoc_int(&P->d, p->value, "max_inflight", 1, 65536, &v) == 0)
                cfg->max_inflight = (int)v;
        } else if (strcmp(p->name, "listen") == 0)
            parse_listen(P, p->value);
        else if (strcmp(p->name, "listen_public") == 0)
            (void)ydoc_bool(&P->d, p->value, "listen_public", &cfg->listen_public);
        else if (strcmp(p->name, "auth") == 0)
            parse_auth(P, p);
        else if (strcmp(p->name, "alerts") == 0)
            config_alerts_parse(&P->d, p->value, cfg);
        else if (strcmp(p->name, "defaults") == 0)
            defaults = p->value;
        else if (strcmp(p->name, "services") == 0)
            services = p;
        else if (strcmp(p->name, "compose") != 0)
            ydoc_unknown_key(&P->d, p, "the config", top_keys, HT_ARRAY_LEN(top_keys));
    }
    /* compose: first, wherever it is written: it changes what services:
     * may say. */
    for (size_t i = 0; i < np; i++)
        if (strcmp(pairs[i].name, "compose") == 0)
            parse_compose(P, &pairs[i]);
    /* defaults: may come after services: in the file, but applies to them. */
    parse_defaults(P, defaults);
    parse_services(P, services);
    free(pairs);
}

/* Parses P->d (loaded or built) into P->cfg; frees P's work. */
static int parse_doc(struct parse *P, bool loaded, char *err, size_t errlen)
{
    struct ht_config *cfg = P->cfg;
    int rc = 0;

    if (loaded)
        parse_root(P);
    if (cfg->title == NULL)
        cfg->title = xstrdup("healthtop");
    if (P->d.nerrs > 0 || P->d.dropped > 0) {
        ydoc_errors_format(&P->d, err, errlen);
        config_free(cfg);
        rc = -1;
    } else if (errlen > 0) {
        err[0] = '\0';
    }
    for (size_t i = 0; i < P->ntmp; i++)
        free(P->tmp[i].dep_nodes);
    free(P->tmp);
    return rc;
}

static void parse_init(struct parse *P, struct ht_config *cfg, const char *name)
{
    memset(P, 0, sizeof(*P));
    P->cfg = cfg;
    P->defaults = (struct timing){CONFIG_DEFAULT_INTERVAL_MS, CONFIG_DEFAULT_TIMEOUT_MS, 0,
                                  CONFIG_DEFAULT_RETRIES, -1};
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = xstrdup(name);
    cfg->history_ms = CONFIG_DEFAULT_HISTORY_MS;
    cfg->max_inflight = CONFIG_DEFAULT_MAX_INFLIGHT;
}

int config_parse(const char *name, const char *text, size_t len, struct ht_config *cfg, char *err,
                 size_t errlen)
{
    struct parse P;
    int rc;

    parse_init(&P, cfg, name);
    rc = parse_doc(&P, ydoc_load(&P.d, name, text, len) == 0, err, errlen);
    ydoc_free(&P.d);
    return rc;
}

int config_parse_overlay_doc(struct ydoc *d, struct ht_config *cfg, char *err, size_t errlen)
{
    struct parse P;
    int rc;

    parse_init(&P, cfg, d->name);
    P.d = *d;
    /* Services without a probe override compose rows (as under compose:). */
    cfg->compose.present = true;
    rc = parse_doc(&P, true, err, errlen);
    *d = P.d;
    return rc;
}

void config_free(struct ht_config *cfg)
{
    for (size_t i = 0; i < cfg->nsvcs; i++) {
        struct svc_config *s = &cfg->svcs[i];
        free(s->name);
        free(s->label);
        free(s->group);
        config_probe_free(s);
        for (size_t j = 0; j < s->ndeps; j++)
            free(s->depends_on[j]);
        free(s->depends_on);
        free(s->dep_idx);
    }
    free(cfg->svcs);
    free(cfg->path);
    free(cfg->title);
    free(cfg->listen);
    free(cfg->auth_bearer);
    free(cfg->auth_user);
    free(cfg->auth_password);
    config_alerts_free(cfg);
    for (size_t i = 0; i < cfg->compose.nfiles; i++)
        free(cfg->compose.files[i]);
    free(cfg->compose.files);
    for (size_t i = 0; i < cfg->compose.nprofiles; i++)
        free(cfg->compose.profiles[i]);
    free(cfg->compose.profiles);
    free(cfg->compose.project);
    memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------ */
/* Questions about a parsed config                                      */

size_t config_targets(const struct svc_config *s)
{
    const struct probe_ops *ops = probe_ops_get(s->kind);

    return ops != NULL && ops->targets != NULL ? ops->targets(s) : 1;
}

long config_find(const struct ht_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nsvcs; i++)
        if (strcmp(cfg->svcs[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Written in full, scrubbed, and only then cut to n: cutting first could
 * leave the start of a secret showing. */
void config_describe(const struct svc_config *s, char *out, size_t n)
{
    const struct probe_ops *ops = probe_ops_get(s->kind);
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    if (n == 0)
        return;
    out[0] = '\0';
    f = open_memstream(&text, &len);
    if (f == NULL)
        return;
    if (ops != NULL)
        ops->describe(s, f);
    if (fclose(f) != 0 || text == NULL) {
        free(text);
        return;
    }
    secret_scrub(text, len + 1);
    ht_strlcpy(out, text, n);
    free(text);
}
