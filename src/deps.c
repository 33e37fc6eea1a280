/* Dependency insight: blocked-by and root causes, races, tree order. */
#include "healthtop/deps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/util.h"

#define NO_PARENT ((size_t)-1)

bool deps_is_down(enum health_state s)
{
    return s == HEALTH_UNHEALTHY || s == HEALTH_STARTING;
}

/* The index of dependency i of svc, or NO_PARENT when the model does not
 * resolve it (a hand-built model, or a replay of another config). */
static size_t dep_at(const struct scheduler *s, const struct svc_config *c, size_t i)
{
    if (c->dep_idx == NULL || c->dep_idx[i] >= s->nsvcs)
        return NO_PARENT;
    return c->dep_idx[i];
}

/* Pushes the dependencies of v that are down and not yet seen in this
 * walk (seen[d] == gen: a walk needs no clearing of the marks). */
static void push_down_deps(const struct scheduler *s, size_t v, size_t *stack, size_t *top,
                           unsigned *seen, unsigned gen)
{
    const struct svc_config *c = s->svcs[v].cfg;

    /* In reverse, so that the first named dependency is met first. */
    for (size_t i = c->ndeps; i-- > 0;) {
        size_t d = dep_at(s, c, i);
        if (d == NO_PARENT || seen[d] == gen || !deps_is_down(s->svcs[d].health.state))
            continue;
        seen[d] = gen;
        stack[(*top)++] = d;
    }
}

enum { BELOW_UNSEEN, BELOW_WALKING, BELOW_NO, BELOW_YES };

/* Whether an unhealthy service lies below v through services that are
 * down (a starting one on the way passes the trouble on), memoised in
 * below[] so that a whole model costs one pass. A service met again while
 * its own walk is open (a cycle) counts as nothing below. */
static bool unhealthy_below(const struct scheduler *s, size_t v, unsigned char *below)
{
    const struct svc_config *c = s->svcs[v].cfg;
    bool yes = false;

    if (below[v] != BELOW_UNSEEN)
        return below[v] == BELOW_YES;
    below[v] = BELOW_WALKING;
    for (size_t i = 0; i < c->ndeps; i++) {
        size_t d = dep_at(s, c, i);
        if (d == NO_PARENT || !deps_is_down(s->svcs[d].health.state))
            continue;
        if (s->svcs[d].health.state == HEALTH_UNHEALTHY || unhealthy_below(s, d, below))
            yes = true;
    }
    below[v] = yes ? BELOW_YES : BELOW_NO;
    return yes;
}

static unsigned char *below_all(const struct scheduler *s)
{
    unsigned char *below = xcalloc(s->nsvcs ? s->nsvcs : 1, 1);

    for (size_t i = 0; i < s->nsvcs; i++)
        (void)unhealthy_below(s, i, below);
    return below;
}

static bool blocked(const struct scheduler *s, size_t v, unsigned char *below)
{
    return deps_is_down(s->svcs[v].health.state) && unhealthy_below(s, v, below);
}

void deps_blocked_all(const struct scheduler *s, bool *out)
{
    unsigned char *below = below_all(s);

    for (size_t i = 0; i < s->nsvcs; i++)
        out[i] = deps_is_down(s->svcs[i].health.state) && below[i] == BELOW_YES;
    free(below);
}

/* What one look at the whole model needs, made once: below[] for every
 * service, the root causes, and a stack and marks for the walks. */
struct deps_walk {
    const struct scheduler *s;
    unsigned char *below;
    bool *is_root;
    size_t *stack;
    unsigned *seen;
    unsigned gen; /* the current walk's mark in seen[] */
};

static int mark_roots(const struct scheduler *s, const unsigned char *below, bool *is_root);

struct deps_walk *deps_walk_new(const struct scheduler *s)
{
    struct deps_walk *w = xcalloc(1, sizeof(*w));
    size_t n = s->nsvcs ? s->nsvcs : 1;

    w->s = s;
    w->below = below_all(s);
    w->is_root = xcalloc(n, sizeof(*w->is_root));
    w->stack = xmalloc(n * sizeof(*w->stack));
    w->seen = xcalloc(n, sizeof(*w->seen));
    mark_roots(s, w->below, w->is_root);
    return w;
}

void deps_walk_free(struct deps_walk *w)
{
    if (w == NULL)
        return;
    free(w->below);
    free(w->is_root);
    free(w->stack);
    free(w->seen);
    free(w);
}

bool deps_walk_is_root(const struct deps_walk *w, size_t idx)
{
    return idx < w->s->nsvcs && w->is_root[idx];
}

/* Depth-first from idx through dependencies that are down: an unhealthy
 * one with nothing unhealthy below it is a root cause; a starting one is
 * only starting, never a cause. */
size_t deps_walk_blocked_by(struct deps_walk *w, size_t idx, size_t *roots, size_t max)
{
    const struct scheduler *s = w->s;
    size_t nroots = 0, top = 0;

    if (idx >= s->nsvcs || !blocked(s, idx, w->below))
        return 0;
    if (++w->gen == 0) { /* wrapped: old marks could read as this walk's */
        memset(w->seen, 0, s->nsvcs * sizeof(*w->seen));
        w->gen = 1;
    }
    w->seen[idx] = w->gen;
    push_down_deps(s, idx, w->stack, &top, w->seen, w->gen);
    while (top > 0) {
        size_t v = w->stack[--top];

        if (s->svcs[v].health.state == HEALTH_UNHEALTHY && w->below[v] != BELOW_YES) {
            if (nroots < max)
                roots[nroots] = v;
            nroots++;
            continue;
        }
        push_down_deps(s, v, w->stack, &top, w->seen, w->gen);
    }
    return nroots;
}

size_t deps_blocked_by(const struct scheduler *s, size_t idx, size_t *roots, size_t max)
{
    struct deps_walk *w;
    size_t n;

    if (idx >= s->nsvcs || !deps_is_down(s->svcs[idx].health.state))
        return 0;
    w = deps_walk_new(s);
    n = deps_walk_blocked_by(w, idx, roots, max);
    deps_walk_free(w);
    return n;
}

size_t deps_blocked_text(const struct scheduler *s, size_t idx, char *buf, size_t n)
{
    size_t roots[8], nroots = deps_blocked_by(s, idx, roots, HT_ARRAY_LEN(roots));
    size_t len;

    if (n == 0)
        return nroots;
    buf[0] = '\0';
    if (nroots == 0)
        return 0;
    len = ht_strlcpy(buf, "blocked by ", n);
    for (size_t i = 0; i < nroots && i < HT_ARRAY_LEN(roots) && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
                                s->svcs[roots[i]].cfg->name);
    if (nroots > HT_ARRAY_LEN(roots) && len < n)
        snprintf(buf + len, n - len, ", ...");
    return nroots;
}

/* Marks in is_root every root cause of some blocked service and returns
 * how many services are blocked, in one pass: a root cause is unhealthy,
 * has nothing unhealthy below it, and some down service depends on it
 * directly (that one is blocked, and names it). */
static int mark_roots(const struct scheduler *s, const unsigned char *below, bool *is_root)
{
    int nblocked = 0;

    for (size_t i = 0; i < s->nsvcs; i++) {
        const struct svc_config *c = s->svcs[i].cfg;
        if (!deps_is_down(s->svcs[i].health.state))
            continue;
        nblocked += below[i] == BELOW_YES;
        for (size_t j = 0; j < c->ndeps; j++) {
            size_t d = dep_at(s, c, j);
            if (d != NO_PARENT && d != i && s->svcs[d].health.state == HEALTH_UNHEALTHY &&
                below[d] != BELOW_YES)
                is_root[d] = true;
        }
    }
    return nblocked;
}

bool deps_is_root(const struct scheduler *s, size_t idx)
{
    struct deps_walk *w;
    bool r;

    if (idx >= s->nsvcs || s->svcs[idx].health.state != HEALTH_UNHEALTHY)
        return false;
    w = deps_walk_new(s);
    r = deps_walk_is_root(w, idx);
    deps_walk_free(w);
    return r;
}

/* "; also unhealthy: mlflow": the failing services that block nobody and
 * are blocked by nobody, so that the root-cause line hides no failure. */
static void also_failing(const struct scheduler *s, const bool *is_root, char *buf, size_t n,
                         size_t len)
{
    unsigned char *below = below_all(s);

    for (size_t i = 0, k = 0; i < s->nsvcs && len < n; i++) {
        if (s->svcs[i].health.state != HEALTH_UNHEALTHY || is_root[i] || below[i] == BELOW_YES)
            continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%s",
                                k++ ? ", " : "; also unhealthy: ", s->svcs[i].cfg->name);
    }
    free(below);
}

int deps_summary(const struct scheduler *s, char *buf, size_t n)
{
    bool *is_root = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*is_root));
    unsigned char *below = below_all(s);
    int blocked = mark_roots(s, below, is_root), nroots = 0;
    size_t len;

    free(below);
    if (n > 0)
        buf[0] = '\0';
    if (blocked > 0 && n > 0) {
        for (size_t i = 0; i < s->nsvcs; i++)
            nroots += is_root[i];
        if (nroots == 0) { /* only a cycle of failures: nobody to name */
            snprintf(buf, n, "%d service%s blocked in a dependency cycle", blocked,
                     blocked == 1 ? "" : "s");
            free(is_root);
            return blocked;
        }
        len = ht_strlcpy(buf, nroots > 1 ? "root causes: " : "root cause: ", n);
        for (size_t i = 0, k = 0; i < s->nsvcs && len < n; i++)
            if (is_root[i])
                len += (size_t)snprintf(buf + len, n - len, "%s%s", k++ ? ", " : "",
                                        s->svcs[i].cfg->name);
        if (len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s %d service%s blocked",
                                    nroots > 1 ? ";" : ",", blocked, blocked == 1 ? "" : "s");
        also_failing(s, is_root, buf, n, len);
    }
    free(is_root);
    return blocked;
}

size_t deps_races_of(const struct scheduler *s, size_t idx, struct deps_race *out, size_t max)
{
    const struct service *svc;
    size_t n = 0;

    if (idx >= s->nsvcs)
        return 0;
    svc = &s->svcs[idx];
    if (svc->health.first_healthy_ms < 0)
        return 0;
    for (size_t i = 0; i < svc->cfg->ndeps; i++) {
        size_t di = dep_at(s, svc->cfg, i);
        const struct service *d;
        int64_t fh = svc->health.first_healthy_ms, lead;

        if (di == NO_PARENT || di == idx)
            continue;
        d = &s->svcs[di];
        if (d->cfg->replicas == 0 || d->health.state == HEALTH_SKIPPED)
            continue;
        /* The evidence: a probe of the dependency that began after this
         * service was healthy still found it not healthy. Nothing else
         * counts: a dependency merely not probed since may have been up. */
        if (d->health.down_began_ms <= fh)
            continue;
        lead = d->health.first_healthy_ms >= 0 ? d->health.first_healthy_ms - fh : -1;
        if (n < max)
            out[n] = (struct deps_race){.svc = idx, .dep = di, .lead_ms = lead};
        n++;
    }
    return n;
}

size_t deps_races(const struct scheduler *s, struct deps_race *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < s->nsvcs; i++)
        n += deps_races_of(s, i, n < max ? out + n : NULL, n < max ? max - n : 0);
    return n;
}

/* Longest path from a service without dependencies (Kahn's algorithm);
 * services on or behind a cycle keep depth -1. */
static void depths(const struct scheduler *s, int *depth)
{
    size_t n = s->nsvcs, *pending = xcalloc(n ? n : 1, sizeof(size_t));
    bool progress = true;

    for (size_t i = 0; i < n; i++) {
        depth[i] = -1;
        for (size_t j = 0; j < s->svcs[i].cfg->ndeps; j++)
            pending[i] += dep_at(s, s->svcs[i].cfg, j) != NO_PARENT;
    }
    /* Repeated passes instead of a queue: n is a few hundred at most and
     * this keeps the result independent of visiting order. */
    while (progress) {
        progress = false;
        for (size_t i = 0; i < n; i++) {
            const struct svc_config *c = s->svcs[i].cfg;
            int dmax = -1;
            size_t ready = 0;

            if (depth[i] >= 0)
                continue;
            for (size_t j = 0; j < c->ndeps; j++) {
                size_t d = dep_at(s, c, j);
                if (d != NO_PARENT && depth[d] >= 0) {
                    ready++;
                    if (depth[d] > dmax)
                        dmax = depth[d];
                }
            }
            if (ready == pending[i]) {
                depth[i] = dmax + 1;
                progress = true;
            }
        }
    }
    free(pending);
}

struct order_ctx {
    const struct scheduler *s;
    const int *depth;
    const size_t *parent;
    struct deps_row *rows;
    size_t nrows;
};

static void emit(struct order_ctx *o, size_t v, int depth, size_t parent, bool last)
{
    size_t lastchild = NO_PARENT;

    o->rows[o->nrows++] =
        (struct deps_row){.idx = v, .depth = depth, .parent = parent, .last = last};
    for (size_t c = 0; c < o->s->nsvcs; c++)
        if (o->parent[c] == v && o->depth[c] >= 0)
            lastchild = c;
    for (size_t c = 0; c < o->s->nsvcs; c++)
        if (o->parent[c] == v && o->depth[c] >= 0)
            emit(o, c, depth + 1, v, c == lastchild);
}

int deps_order(const struct scheduler *s, struct deps_row *rows)
{
    size_t n = s->nsvcs, lastroot = NO_PARENT;
    int *depth = xcalloc(n ? n : 1, sizeof(int));
    size_t *parent = xcalloc(n ? n : 1, sizeof(size_t));
    struct order_ctx o = {.s = s, .depth = depth, .parent = parent, .rows = rows};
    int rc = 0;

    depths(s, depth);
    for (size_t i = 0; i < n; i++) {
        const struct svc_config *c = s->svcs[i].cfg;
        parent[i] = NO_PARENT;
        for (size_t j = 0; j < c->ndeps && depth[i] > 0; j++) {
            size_t d = dep_at(s, c, j);
            if (d != NO_PARENT && depth[d] == depth[i] - 1) {
                parent[i] = d;
                break;
            }
        }
        if (depth[i] == 0)
            lastroot = i;
    }
    for (size_t i = 0; i < n; i++)
        if (depth[i] == 0)
            emit(&o, i, 0, NO_PARENT, i == lastroot);
    for (size_t i = 0; i < n; i++)
        if (depth[i] < 0) {
            rows[o.nrows++] = (struct deps_row){.idx = i, .parent = NO_PARENT, .last = true};
            rc = -1;
        }
    free(depth);
    free(parent);
    return rc;
}

/* Hopeless: the probe said so (a container its restart policy will not
 * start again), or the engine judged it unhealthy after its retries
 * (FailingStreak >= retries) while others depend on it, which compose
 * reads as "dependency failed to start". */
bool deps_hopeless(const struct scheduler *s, size_t idx, char *why, size_t n)
{
    const struct service *svc = &s->svcs[idx];
    char names[96] = "";
    size_t k = 0;

    if (!svc->has_result)
        return false;
    if (svc->last.hopeless) {
        ht_strlcpy(why, svc->last.message, n);
        return true;
    }
    if (svc->health.state != HEALTH_UNHEALTHY || !svc->last.engine_verdict)
        return false;
    for (size_t i = 0; i < s->nconfig; i++) {
        const struct svc_config *c = s->svcs[i].cfg;
        for (size_t j = 0; j < c->ndeps; j++) {
            if (dep_at(s, c, j) != idx)
                continue;
            size_t l = strlen(names);
            if (k < 3)
                ht_snprintf(names + l, sizeof(names) - l, "%s%s", k ? ", " : "", c->name);
            k++;
            break;
        }
    }
    if (k == 0)
        return false;
    bool plain = strcmp(svc->last.message, "unhealthy") == 0;
    ht_snprintf(why, n, "unhealthy after its retries, and %s%s depend%s on it%s%s%s", names,
                k > 3 ? " and others" : "", k == 1 ? "s" : "", plain ? "" : " (",
                plain ? "" : svc->last.message, plain ? "" : ")");
    return true;
}
