/* A healthtop.yml that names compose files: the project's rows, with the
 * file's services over them (compose.h: compose_overlay). */
#include "compose/compose.h"

#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/config.h"
#include "healthtop/probe.h"
#include "healthtop/text.h"

/* The project the file names, as rows, in base. */
static int load_base(const struct ht_config *own, enum compose_probes probes,
                     struct ht_config *base, char *err, size_t n)
{
    const struct config_compose *c = &own->compose;
    char *copy = xstrdup(own->path), *dir = dirname(copy);
    char **files = xcalloc(c->nfiles + 1, sizeof(*files));
    struct compose_opts co = {.files = (const char **)files,
                              .nfiles = c->nfiles,
                              .profiles = (const char **)c->profiles,
                              .nprofiles = c->nprofiles,
                              .cwd = dir};
    struct compose_project p;
    int rc = -1;

    for (size_t i = 0; i < c->nfiles; i++) {
        size_t len = strlen(dir) + strlen(c->files[i]) + 2;
        files[i] = xmalloc(len);
        if (c->files[i][0] == '/')
            ht_strlcpy(files[i], c->files[i], len);
        else
            ht_snprintf(files[i], len, "%s/%s", dir, c->files[i]);
    }
    if (compose_load(&co, &p, err, n) == 0) {
        if (c->project != NULL) {
            char name[256];
            compose_name_normalize(c->project, name, sizeof(name));
            free(p.name);
            p.name = xstrdup(name);
        }
        rc = compose_to_config(&p, probes, base, err, n);
        if (rc == 0 && p.warnings)
            fputs(p.warnings, stderr);
    }
    compose_project_free(&p);
    for (size_t i = 0; i < c->nfiles; i++)
        free(files[i]);
    free(files);
    free(copy);
    return rc;
}

static void move_deps(struct svc_config *to, struct svc_config *from)
{
    for (size_t j = 0; j < to->ndeps; j++)
        free(to->depends_on[j]);
    free(to->depends_on);
    free(to->dep_idx);
    to->depends_on = from->depends_on;
    to->ndeps = from->ndeps;
    to->dep_idx = NULL;
    from->depends_on = NULL;
    from->ndeps = 0;
}

static void swap_str(char **to, char **from)
{
    free(*to);
    *to = *from;
    *from = NULL;
}

/* The keys o gives, over compose row b. */
static void override(struct svc_config *b, struct svc_config *o)
{
    if (o->set & CONFIG_SET_LABEL)
        swap_str(&b->label, &o->label);
    if (o->set & CONFIG_SET_GROUP)
        swap_str(&b->group, &o->group);
    if (o->set & CONFIG_SET_INTERVAL)
        b->interval_ms = o->interval_ms;
    if (o->set & CONFIG_SET_TIMEOUT)
        b->timeout_ms = o->timeout_ms;
    if (o->set & CONFIG_SET_START_PERIOD)
        b->start_period_ms = o->start_period_ms;
    if (o->set & CONFIG_SET_START_INTERVAL)
        b->start_interval_ms = o->start_interval_ms;
    else if (o->set & CONFIG_SET_INTERVAL)
        b->start_interval_ms = o->interval_ms;
    if (o->set & CONFIG_SET_RETRIES)
        b->retries = o->retries;
    if (o->set & CONFIG_SET_REPLICAS)
        b->replicas = o->replicas;
    if (o->set & CONFIG_SET_DEPENDS_ON)
        move_deps(b, o);
}

/* o's probe as a row of its own beside compose row b: NAME/KIND. */
static void extra_row(const struct svc_config *b, struct svc_config *o, struct svc_config *row)
{
    const char *kind = probe_kind_name(o->kind);
    size_t len = strlen(b->name) + strlen(kind) + 2;

    *row = *o;
    memset(o, 0, sizeof(*o));
    free(row->name);
    row->name = xmalloc(len);
    ht_snprintf(row->name, len, "%s/%s", b->name, kind);
    /* The label and group it gave went to the compose row too. */
    if (row->group == NULL || !(row->set & CONFIG_SET_GROUP)) {
        free(row->group);
        row->group = xstrdup(b->group);
    }
    if (row->label == NULL || !(row->set & CONFIG_SET_LABEL)) {
        size_t l = strlen(b->label) + strlen(kind) + 4;
        free(row->label);
        row->label = xmalloc(l);
        ht_snprintf(row->label, l, "%s (%s)", b->label, kind);
    }
}

static long find(const struct ht_config *cfg, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(cfg->svcs[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Where a row's depends_on was written in the file (line, col), or 0:
 * the compose file's, already checked by compose_to_config. */
struct dep_pos {
    unsigned line, col;
};

/* dep_idx for every row, by name, and no cycle. */
static int resolve(struct ht_config *cfg, const struct dep_pos *at, const char *file, char *err,
                   size_t n)
{
    unsigned char *colour = xcalloc(cfg->nsvcs + 1, 1);
    size_t *stack = xcalloc(cfg->nsvcs + 1, sizeof(*stack));
    size_t *edge = xcalloc(cfg->nsvcs + 1, sizeof(*edge));
    int rc = 0;

    for (size_t i = 0; i < cfg->nsvcs && rc == 0; i++) {
        struct svc_config *s = &cfg->svcs[i];
        free(s->dep_idx);
        s->dep_idx = xcalloc(s->ndeps + 1, sizeof(*s->dep_idx));
        for (size_t j = 0; j < s->ndeps && rc == 0; j++) {
            long k = find(cfg, cfg->nsvcs, s->depends_on[j]);
            if (k < 0 || (size_t)k == i) {
                ht_snprintf(err, n, "%s:%u:%u: depends_on: %s '%s'", file, at[i].line, at[i].col,
                            k < 0 ? "no service here or in the compose project is named"
                                  : "a service cannot depend on itself:",
                            s->depends_on[j]);
                rc = -1;
            }
            s->dep_idx[j] = k < 0 ? SIZE_MAX : (size_t)k;
        }
    }
    for (size_t root = 0; root < cfg->nsvcs && rc == 0; root++) {
        size_t sp = 0;
        if (colour[root])
            continue;
        colour[root] = 1, stack[sp] = root, edge[sp++] = 0;
        while (sp > 0 && rc == 0) {
            const struct svc_config *s = &cfg->svcs[stack[sp - 1]];
            size_t v;
            if (edge[sp - 1] == s->ndeps) {
                colour[stack[--sp]] = 2;
                continue;
            }
            v = s->dep_idx[edge[sp - 1]++];
            if (colour[v] == 1) {
                size_t w = at[stack[sp - 1]].line ? stack[sp - 1] : v;
                ht_snprintf(err, n, "%s:%u:%u: depends_on has a cycle through %s and %s", file,
                            at[w].line, at[w].col, s->name, cfg->svcs[v].name);
                rc = -1;
            } else if (colour[v] == 0) {
                colour[v] = 1, stack[sp] = v, edge[sp++] = 0;
            }
        }
    }
    free(colour);
    free(stack);
    free(edge);
    return rc;
}

int compose_overlay_apply(struct ht_config *base, struct ht_config *own, const char *file,
                          char *err, size_t n)
{
    struct dep_pos *at = NULL;
    size_t nbase = base->nsvcs;
    int rc = -1;

    base->svcs = xrealloc(base->svcs, (nbase + 2 * own->nsvcs + 1) * sizeof(*base->svcs));
    memset(&base->svcs[nbase], 0, (2 * own->nsvcs + 1) * sizeof(*base->svcs));
    at = xcalloc(nbase + 2 * own->nsvcs + 1, sizeof(*at));
    for (size_t i = 0; i < own->nsvcs; i++) {
        struct svc_config *o = &own->svcs[i];
        long b = find(base, nbase, o->name), had;
        if (b < 0 && !(o->set & CONFIG_SET_PROBE)) {
            ht_snprintf(err, n,
                        "%s:%u:%u: service '%s' has no probe, and the compose project has no "
                        "service of that name to override",
                        file, o->line, o->col, o->name);
            goto out;
        }
        if (b < 0) {
            at[base->nsvcs] = (struct dep_pos){o->line, o->col};
            base->svcs[base->nsvcs++] = *o;
            memset(o, 0, sizeof(*o));
            continue;
        }
        if (o->set & CONFIG_SET_DEPENDS_ON)
            at[b] = (struct dep_pos){o->line, o->col};
        override(&base->svcs[b], o);
        if (!(o->set & CONFIG_SET_PROBE))
            continue;
        extra_row(&base->svcs[b], o, &base->svcs[base->nsvcs]);
        /* A row NAME/KIND already there (an x-healthtop probe of the
         * compose file: no compose service has a '/' in its name) is
         * replaced by this one. */
        had = find(base, base->nsvcs, base->svcs[base->nsvcs].name);
        if (had >= 0) {
            struct ht_config old = {.svcs = xmalloc(sizeof(*old.svcs)), .nsvcs = 1};
            old.svcs[0] = base->svcs[had];
            base->svcs[had] = base->svcs[base->nsvcs];
            memset(&base->svcs[base->nsvcs], 0, sizeof(base->svcs[0]));
            config_free(&old);
        } else {
            base->nsvcs++;
        }
    }
    rc = resolve(base, at, file, err, n);
out:
    free(at);
    return rc;
}

int compose_overlay(struct ht_config *own, enum compose_probes probes, struct ht_config *out,
                    char *err, size_t n)
{
    struct ht_config base;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (load_base(own, probes, &base, err, n) != 0) {
        config_free(own);
        return -1;
    }
    if (compose_overlay_apply(&base, own, own->path, err, n) != 0)
        goto out;
    /* The file's own settings stay. */
    if (strcmp(own->title, "healthtop") != 0)
        swap_str(&base.title, &own->title);
    swap_str(&base.path, &own->path);
    swap_str(&base.listen, &own->listen);
    swap_str(&base.auth_bearer, &own->auth_bearer);
    swap_str(&base.auth_user, &own->auth_user);
    swap_str(&base.auth_password, &own->auth_password);
    base.listen_public = own->listen_public;
    base.history_ms = own->history_ms;
    base.max_inflight = own->max_inflight;
    *out = base;
    memset(&base, 0, sizeof(base));
    rc = 0;
out:
    config_free(&base);
    config_free(own);
    return rc;
}
