/* The services of a merged compose tree: the keys healthtop reads
 * (profiles, deploy.replicas / scale, restart, depends_on, healthcheck,
 * ports, expose), checked for their types with file:line:column. Keys
 * healthtop does not use are left to compose. */
#include "compose/service.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct compose_pos pos_of(const struct cnode *n)
{
    return (struct compose_pos){n->file, n->line, n->col};
}

static struct compose_pos pos_of_key(const struct cnode *parent, const struct centry *e)
{
    return (struct compose_pos){e->val->file ? e->val->file : parent->file, e->line, e->col};
}

static const char *type_name(const struct cnode *n)
{
    return n->type == CNODE_MAP    ? "a mapping"
           : n->type == CNODE_SEQ  ? "a list"
           : n->type == CNODE_NULL ? "empty"
                                   : "a string";
}

/* A whole number in [min, max] from a scalar: 0, or -1 (recorded). */
static int int_of(const struct cnode *n, const char *what, long min, long max, long *out,
                  struct cerrs *errs)
{
    struct compose_pos at = pos_of(n);
    char *end;
    long v;

    if (n->type != CNODE_SCALAR) {
        cerrs_add(errs, &at, "%s must be a whole number, not %s", what, type_name(n));
        return -1;
    }
    errno = 0;
    v = strtol(n->str, &end, 10);
    if (end == n->str || *end != '\0' || errno != 0 || v < min || v > max) {
        cerrs_add(errs, &at, "%s must be a whole number from %ld to %ld, not '%s'", what, min, max,
                  n->str);
        return -1;
    }
    *out = v;
    return 0;
}

static int dur_of(const struct cnode *n, const char *what, int64_t *out, struct cerrs *errs)
{
    struct compose_pos at = pos_of(n);
    const char *why;

    if (n->type != CNODE_SCALAR) {
        cerrs_add(errs, &at, "%s must be a duration, not %s", what, type_name(n));
        return -1;
    }
    if (compose_duration_parse(n->str, out, &why) != 0) {
        cerrs_add(errs, &at, "bad duration '%s' for %s: %s", n->str, what, why);
        return -1;
    }
    return 0;
}

/* "80", "8000-8005", "80/tcp": the first and last port. */
static int port_range(const char *s, int *lo, int *hi)
{
    char *end;
    long a, b;

    if (!isdigit((unsigned char)*s))
        return -1;
    a = strtol(s, &end, 10);
    b = a;
    if (*end == '-') {
        const char *r = end + 1;
        if (!isdigit((unsigned char)*r))
            return -1;
        b = strtol(r, &end, 10);
    }
    if ((*end != '\0' && *end != '/') || a < 0 || a > 65535 || b < a || b > 65535)
        return -1;
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

/* The short syntax [[IP:]HOST:]CONTAINER[/PROTOCOL]. */
static int port_short(const char *s, struct compose_port *p)
{
    const char *colon = strrchr(s, ':');
    int lo, hi;

    if (port_range(colon ? colon + 1 : s, &p->target, &p->target_end) != 0)
        return -1;
    p->published = 0;
    if (colon != NULL) {
        /* The host part's last field, after an IP (or [IPv6]). */
        const char *h = colon;
        while (h > s && h[-1] != ':' && h[-1] != ']')
            h--;
        char host[16];
        size_t len = (size_t)(colon - h);
        if (len > 0 && len < sizeof(host)) {
            memcpy(host, h, len);
            host[len] = '\0';
            if (port_range(host, &lo, &hi) == 0 && lo == hi)
                p->published = lo;
        }
    }
    return 0;
}

static void read_ports(struct compose_service *s, const struct cnode *n, bool expose,
                       struct cerrs *errs)
{
    struct compose_port **v = expose ? &s->expose : &s->ports;
    size_t *nv = expose ? &s->nexpose : &s->nports;
    const char *what = expose ? "expose" : "ports";

    if (n->type != CNODE_SEQ) {
        struct compose_pos at = pos_of(n);
        cerrs_add(errs, &at, "%s must be a list, not %s", what, type_name(n));
        return;
    }
    *v = xcalloc(n->n + 1, sizeof(**v));
    for (size_t i = 0; i < n->n; i++) {
        const struct cnode *it = n->ents[i].val;
        struct compose_port p = {.pos = pos_of(it)};
        int rc = -1;
        if (it->type == CNODE_SCALAR) {
            rc = expose ? port_range(it->str, &p.target, &p.target_end) : port_short(it->str, &p);
        } else if (it->type == CNODE_MAP && !expose) {
            const struct cnode *t = cnode_get(it, "target"), *pub = cnode_get(it, "published");
            int lo, hi;
            if (t && t->type == CNODE_SCALAR && port_range(t->str, &p.target, &p.target_end) == 0) {
                rc = 0;
                if (pub && pub->type == CNODE_SCALAR && port_range(pub->str, &lo, &hi) == 0 &&
                    lo == hi)
                    p.published = lo;
            }
        }
        if (rc != 0) {
            struct compose_pos at = pos_of(it);
            cerrs_add(errs, &at, "%s: cannot read '%s' as a port", what,
                      it->type == CNODE_SCALAR ? it->str : type_name(it));
            continue;
        }
        (*v)[(*nv)++] = p;
    }
}

static void read_deps(struct compose_service *s, const struct cnode *n, struct cerrs *errs)
{
    static const char *const conds[] = {"service_started", "service_healthy",
                                        "service_completed_successfully"};

    if (n->type != CNODE_MAP) {
        struct compose_pos at = pos_of(n);
        cerrs_add(errs, &at, "depends_on must be a list of services or a mapping, not %s",
                  type_name(n));
        return;
    }
    s->deps = xcalloc(n->n + 1, sizeof(*s->deps));
    for (size_t i = 0; i < n->n; i++) {
        const struct centry *e = &n->ents[i];
        struct compose_dep d = {.cond = COMPOSE_COND_STARTED, .required = true};
        const struct cnode *c = cnode_get(e->val, "condition");
        const struct cnode *r = cnode_get(e->val, "required");
        d.pos = pos_of_key(n, e);
        d.cond_pos = d.pos;
        if (e->val->type != CNODE_MAP && e->val->type != CNODE_NULL) {
            cerrs_add(errs, &d.pos, "depends_on: %s must be a mapping (condition:, ...)", e->key);
            continue;
        }
        if (c != NULL) {
            size_t k = 0;
            d.cond_pos = pos_of(c);
            while (k < HT_ARRAY_LEN(conds) &&
                   (c->type != CNODE_SCALAR || strcmp(c->str, conds[k]) != 0))
                k++;
            if (k == HT_ARRAY_LEN(conds)) {
                cerrs_add(errs, &d.cond_pos,
                          "condition must be service_started, service_healthy or "
                          "service_completed_successfully, not '%s'",
                          c->type == CNODE_SCALAR ? c->str : type_name(c));
                continue;
            }
            d.cond = (enum compose_cond)k;
        }
        if (r != NULL && r->type == CNODE_SCALAR)
            d.required = strcmp(r->str, "false") != 0 && strcmp(r->str, "False") != 0;
        d.name = xstrdup(e->key);
        s->deps[s->ndeps++] = d;
    }
}

static void read_test(struct compose_healthcheck *hc, const struct cnode *t, struct cerrs *errs)
{
    struct compose_pos at = pos_of(t);

    hc->test_pos = at;
    if (t->type == CNODE_SCALAR) {
        hc->kind = COMPOSE_TEST_SHELL;
        hc->argv = xcalloc(1, sizeof(char *));
        hc->argv[hc->argc++] = xstrdup(t->str);
        return;
    }
    if (t->type != CNODE_SEQ || t->n == 0 || t->ents[0].val->type != CNODE_SCALAR) {
        cerrs_add(errs, &at,
                  "healthcheck test must be a string or a list starting with CMD, "
                  "CMD-SHELL or NONE");
        return;
    }
    const char *first = t->ents[0].val->str;
    if (strcmp(first, "NONE") == 0) {
        hc->kind = COMPOSE_TEST_NONE;
        hc->disabled = true;
        return;
    }
    if (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) {
        cerrs_add(errs, &at,
                  "healthcheck test: a list starts with CMD, CMD-SHELL or NONE, not '%s'", first);
        return;
    }
    hc->kind = strcmp(first, "CMD") == 0 ? COMPOSE_TEST_CMD : COMPOSE_TEST_SHELL;
    hc->argv = xcalloc(t->n, sizeof(char *));
    for (size_t i = 1; i < t->n; i++)
        if (t->ents[i].val->type == CNODE_SCALAR)
            hc->argv[hc->argc++] = xstrdup(t->ents[i].val->str);
}

static void read_healthcheck(struct compose_service *s, const struct centry *e,
                             const struct cnode *svc, struct cerrs *errs)
{
    struct compose_healthcheck *hc = &s->hc;
    const struct cnode *n = e->val, *v;
    static const char *const durs[] = {"interval", "timeout", "start_period", "start_interval"};
    int64_t *outs[] = {&hc->interval_ms, &hc->timeout_ms, &hc->start_period_ms,
                       &hc->start_interval_ms};

    hc->pos = pos_of_key(svc, e);
    hc->test_pos = hc->pos;
    if (n->type != CNODE_MAP) {
        cerrs_add(errs, &hc->pos, "healthcheck must be a mapping, not %s", type_name(n));
        return;
    }
    hc->present = true;
    for (size_t i = 0; i < HT_ARRAY_LEN(durs); i++)
        if ((v = cnode_get(n, durs[i])) != NULL)
            (void)dur_of(v, durs[i], outs[i], errs);
    if ((v = cnode_get(n, "retries")) != NULL) {
        long r;
        if (int_of(v, "retries", 0, 1000000, &r, errs) == 0)
            hc->retries = (int)r;
    }
    if ((v = cnode_get(n, "disable")) != NULL && v->type == CNODE_SCALAR &&
        (strcmp(v->str, "true") == 0 || strcmp(v->str, "True") == 0))
        hc->disabled = true;
    if ((v = cnode_get(n, "test")) != NULL)
        read_test(hc, v, errs);
}

static void read_service(struct compose_project *p, struct compose_service *s,
                         const struct centry *e, const struct cnode *svcs, struct cerrs *errs)
{
    const struct cnode *n = e->val, *v, *deploy;
    const struct centry *he;
    long r;

    s->name = xstrdup(e->key);
    s->pos = pos_of_key(svcs, e);
    s->node = e->val;
    s->replicas = 1;
    s->replicas_pos = s->pos;
    s->hc.interval_ms = s->hc.timeout_ms = s->hc.start_period_ms = s->hc.start_interval_ms = -1;
    s->hc.retries = -1;
    s->active = true;
    if (n->type != CNODE_MAP) {
        cerrs_add(errs, &s->pos, "service '%s' must be a mapping, not %s", s->name, type_name(n));
        return;
    }
    if ((v = cnode_get(n, "profiles")) != NULL && v->type == CNODE_SEQ && v->n > 0) {
        s->active = false;
        s->profiles = xcalloc(v->n, sizeof(char *));
        for (size_t i = 0; i < v->n; i++) {
            const struct cnode *pr = v->ents[i].val;
            if (pr->type != CNODE_SCALAR)
                continue;
            s->profiles[s->nprofiles++] = xstrdup(pr->str);
            for (size_t j = 0; j < p->nprofiles; j++)
                if (strcmp(p->profiles[j], "*") == 0 || strcmp(p->profiles[j], pr->str) == 0)
                    s->active = true;
        }
    }
    if ((v = cnode_get(n, "scale")) != NULL && int_of(v, "scale", 0, 100000, &r, errs) == 0) {
        s->replicas = (int)r;
        s->replicas_pos = pos_of(v);
    }
    deploy = cnode_get(n, "deploy");
    if ((v = cnode_get(deploy, "replicas")) != NULL &&
        int_of(v, "deploy.replicas", 0, 100000, &r, errs) == 0) {
        s->replicas = (int)r;
        s->replicas_pos = pos_of(v);
    }
    if ((v = cnode_get(cnode_get(deploy, "restart_policy"), "condition")) != NULL &&
        v->type == CNODE_SCALAR)
        s->restart_condition = xstrdup(v->str);
    if ((v = cnode_get(n, "restart")) != NULL && v->type == CNODE_SCALAR) {
        s->restart = xstrdup(v->str);
        s->restart_pos = pos_of(v);
    }
    if ((v = cnode_get(n, "depends_on")) != NULL)
        read_deps(s, v, errs);
    if ((v = cnode_get(n, "ports")) != NULL)
        read_ports(s, v, false, errs);
    if ((v = cnode_get(n, "expose")) != NULL)
        read_ports(s, v, true, errs);
    if ((he = cnode_entry(n, "healthcheck")) != NULL)
        read_healthcheck(s, he, n, errs);
}

/* qsort has no context argument: the array being sorted, for the
 * comparison (sorting is not re-entered). */
static const struct compose_service *sort_svcs;

static int by_name_cmp(const void *a, const void *b)
{
    return strcmp(sort_svcs[*(const size_t *)a].name, sort_svcs[*(const size_t *)b].name);
}

struct compose_service *compose_service_find(const struct compose_project *p, const char *name)
{
    size_t lo = 0, hi = p->nsvcs;

    if (p->by_name == NULL)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->svcs[p->by_name[mid]].name, name);
        if (c == 0)
            return &p->svcs[p->by_name[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int compose_services_read(struct compose_project *p, struct cerrs *errs)
{
    const struct cnode *svcs = cnode_get(p->root, "services");
    size_t before = errs->n;

    if (svcs == NULL || svcs->type == CNODE_NULL)
        return 0;
    if (svcs->type != CNODE_MAP) {
        struct compose_pos at = pos_of(svcs);
        cerrs_add(errs, &at, "services must be a mapping of service names, not %s",
                  type_name(svcs));
        return -1;
    }
    p->svcs = xcalloc(svcs->n + 1, sizeof(*p->svcs));
    for (size_t i = 0; i < svcs->n; i++)
        read_service(p, &p->svcs[p->nsvcs++], &svcs->ents[i], svcs, errs);
    p->by_name = xcalloc(p->nsvcs + 1, sizeof(*p->by_name));
    for (size_t i = 0; i < p->nsvcs; i++)
        p->by_name[i] = i;
    sort_svcs = p->svcs;
    qsort(p->by_name, p->nsvcs, sizeof(*p->by_name), by_name_cmp);
    sort_svcs = NULL;
    return errs->n > before ? -1 : 0;
}

void compose_services_free(struct compose_project *p)
{
    for (size_t i = 0; i < p->nsvcs; i++) {
        struct compose_service *s = &p->svcs[i];
        free(s->name);
        for (size_t j = 0; j < s->nprofiles; j++)
            free(s->profiles[j]);
        free(s->profiles);
        free(s->restart);
        free(s->restart_condition);
        for (size_t j = 0; j < s->ndeps; j++)
            free(s->deps[j].name);
        free(s->deps);
        free(s->ports);
        free(s->expose);
        for (size_t j = 0; j < s->hc.argc; j++)
            free(s->hc.argv[j]);
        free(s->hc.argv);
    }
    free(p->svcs);
    free(p->by_name);
    p->svcs = NULL;
    p->by_name = NULL;
    p->nsvcs = 0;
}
