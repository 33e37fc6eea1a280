/* The alert engine: which service's alert fires, is held back by its
 * root cause, repeats or resolves, for every route of alerts:.
 *
 * The scheduler's observer only notes a change and arms a timer; the
 * routes are judged in that timer's callback, at most every
 * PASS_MIN_GAP_MS however many changes came meanwhile (an alert storm of
 * a thousand changes in a second is ten passes, not a thousand), and
 * again on a tick while a `for:` is running out or a repeat is due. A pass is a walk of
 * the services per route, with the blocked flags of deps.h computed once.
 *
 * What a route remembers per service is a slot: since when the service
 * has been in one of the route's states, whether its alert was sent
 * (firing) or is held back by a root cause, and when it was last sent.
 * The deliveries themselves (queue, retries, drops) are in deliver.c. */
#include "healthtop/alerts.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/deps.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "healthtop/text.h"
#include "alerts/engine.h"

/* A pass while a for: runs out, and while repeats may come due. */
#define TICK_PENDING_MS 200
#define TICK_FIRING_MS  1000
/* Passes after changes are this far apart at least: a storm of a
 * thousand changes in a second is ten passes, each seeing a hundred
 * changes at once (which also lets a root cause and what it blocks be
 * judged together). */
#define PASS_MIN_GAP_MS 100

static const struct alert_receiver_ops *const receivers[ALERT_KIND_COUNT] = {
    [ALERT_ALERTMANAGER] = &alert_alertmanager_ops,
    [ALERT_WEBHOOK] = &alert_webhook_ops,
    [ALERT_EXEC] = &alert_exec_ops,
};

/* Where k stands in alerts: (1-based pos) and the route it follows. */
static void sink_place(struct alert_sink *k, const struct alert_route *r, size_t pos)
{
    k->route = r;
    k->pos = pos;
    ht_snprintf(k->name, sizeof(k->name), "%s #%zu", alert_kind_name(r->kind), pos);
}

/* A route's sink, 1-based pos in alerts:, its queue empty. */
static struct alert_sink *sink_new(struct alerts *al, const struct alert_route *r, size_t pos)
{
    struct alert_sink *k = xcalloc(1, sizeof(*k));

    k->al = al;
    k->q = xcalloc(ALERTS_QUEUE_MAX, sizeof(*k->q));
    k->ops = receivers[r->kind];
    sink_place(k, r, pos);
    if (r->kind == ALERT_EXEC) {
        text_safe_str(k->shown, sizeof(k->shown), r->argv && r->argv[0] ? r->argv[0] : "");
    } else {
        char red[1024];
        secret_redact_url(r->url ? r->url : "", red, sizeof(red));
        text_safe_str(k->shown, sizeof(k->shown), red);
    }
    return k;
}

/* Its timer, on the engine's loop (once the engine has one). */
static void sink_open(struct alerts *al, struct alert_sink *k)
{
    uv_timer_init(al->loop, &k->retry);
    k->retry.data = k;
    k->retry_open = true;
}

struct alerts *alerts_new(const struct ht_config *cfg)
{
    struct alerts *al;

    if (cfg == NULL || cfg->nalerts == 0)
        return NULL;
    al = xcalloc(1, sizeof(*al));
    al->cfg = cfg;
    al->nsinks = cfg->nalerts;
    al->sinks = xcalloc(al->nsinks, sizeof(*al->sinks));
    for (size_t i = 0; i < al->nsinks; i++)
        al->sinks[i] = sink_new(al, &cfg->alerts[i], i + 1);
    return al;
}

void alerts_set_log(struct alerts *al, alerts_log_fn fn, void *ud)
{
    if (al == NULL)
        return;
    al->log = fn;
    al->log_ud = ud;
}

void alerts_logf(struct alerts *al, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (al->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    secret_scrub(line, sizeof(line));
    al->log(line, al->log_ud);
}

static bool glob_any(char *const *globs, size_t n, const char *s)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], s ? s : "", 0) == 0)
            return true;
    return false;
}

/* The route's services: and groups: (each, when given, must match). */
static bool route_selects(const struct alert_route *r, const struct svc_config *c)
{
    return glob_any(r->services, r->nservices, c->name) &&
           glob_any(r->groups, r->ngroups, c->group);
}

/* Whether root is one of the root causes blocking j: deps_blocked_by's
 * walk (through dependencies that are down; an unhealthy one that is not
 * itself blocked is a root cause), on this pass' blocked flags, so that a
 * storm of root causes firing costs a walk per blocked service each,
 * not a walk of the whole model. */
static bool blocks(struct alerts *al, size_t j, size_t root)
{
    const struct scheduler *s = al->sched;
    size_t top = 0;

    if (++al->stamp == 0) { /* wrapped: every old mark must go */
        memset(al->seen, 0, al->nslots * sizeof(*al->seen));
        al->stamp = 1;
    }
    al->stack[top++] = j;
    al->seen[j] = al->stamp;
    while (top > 0) {
        const struct svc_config *c = s->svcs[al->stack[--top]].cfg;
        for (size_t i = 0; i < c->ndeps && c->dep_idx; i++) {
            size_t d = c->dep_idx[i];
            if (d >= al->nslots || al->seen[d] == al->stamp ||
                !deps_is_down(s->svcs[d].health.state))
                continue;
            al->seen[d] = al->stamp;
            if (s->svcs[d].health.state == HEALTH_UNHEALTHY && !al->blocked[d]) {
                if (d == root)
                    return true;
                continue;
            }
            al->stack[top++] = d;
        }
    }
    return false;
}

/* The services service idx blocks (blocked by it, directly or through
 * others down) and whose alert the route holds back, names made safe,
 * into ev. */
static void fill_blocked(struct alerts *al, const struct alert_sink *k, size_t idx,
                         struct alert_event *ev)
{
    const struct scheduler *s = al->sched;
    const struct alert_slot *slots = &al->slots[(k->pos - 1) * al->nslots];

    if (al->nblocked == 0)
        return;
    for (size_t j = 0; j < al->nslots; j++) {
        /* One that fired for its own reason first keeps its own alert. */
        if (!al->blocked[j] || slots[j].firing || !blocks(al, j, idx))
            continue;
        ev->blocked = xrealloc(ev->blocked, (ev->nblocked + 1) * sizeof(*ev->blocked));
        ev->blocked[ev->nblocked++] = text_safe_dup(s->svcs[j].cfg->name);
    }
}

static struct alert_event *make_event(struct alerts *al, struct alert_sink *k, size_t idx,
                                      const struct alert_slot *sl, bool firing)
{
    const struct service *svc = &al->sched->svcs[idx];
    struct alert_event *ev = xcalloc(1, sizeof(*ev));

    ev->firing = firing;
    ev->service = text_safe_dup(svc->cfg->name);
    ev->group = text_safe_dup(svc->cfg->group ? svc->cfg->group : "");
    ev->kind = xstrdup(probe_kind_name(svc->cfg->kind));
    ev->message = text_safe_dup(svc->has_result ? svc->last.message : "");
    ev->state = svc->health.state;
    ev->previous = al->prev[idx];
    ev->fired = sl->fired_state;
    ev->root_cause = k->route->root_cause;
    ev->starts_wall_ms = sl->starts_wall_ms;
    ev->at_wall_ms = ht_wall_ms();
    ev->ends_wall_ms = firing ? 0 : ev->at_wall_ms;
    if (firing && k->route->root_cause)
        fill_blocked(al, k, idx, ev);
    return ev;
}

/* One route, one service: returns true while the slot waits on time (a
 * for: or a held service's grace running out). */
static bool judge(struct alerts *al, struct alert_sink *k, size_t i, int64_t now, bool *firing)
{
    const struct alert_route *r = k->route;
    const struct service *svc = &al->sched->svcs[i];
    struct alert_slot *sl = &al->slots[(k->pos - 1) * al->nslots + i];
    enum health_state st = svc->health.state;
    int64_t grace;

    /* Carried over a reload: the restarted probes say unknown, then
     * starting, before their first verdict; the alert is not judged on
     * those (it would resolve and fire afresh). */
    if (sl->carried) {
        if (sl->firing && (st == HEALTH_UNKNOWN || st == HEALTH_STARTING)) {
            *firing = true;
            return false;
        }
        sl->carried = false;
    }
    if (!(r->states & (1u << st)) || !al->selected[(k->pos - 1) * al->nslots + i]) {
        if (sl->firing && r->resolved)
            alert_sink_push(k, make_event(al, k, i, sl, false));
        sl->firing = sl->held = false;
        sl->match_since = -1;
        return false;
    }
    if (sl->match_since < 0)
        sl->match_since = now;
    if (sl->firing) {
        *firing = true;
        if (r->repeat_ms > 0 && now - sl->last_sent_ms >= r->repeat_ms) {
            sl->last_sent_ms = now;
            alert_sink_push(k, make_event(al, k, i, sl, true));
        }
        return false;
    }
    if (now - sl->match_since < r->for_ms)
        return true;
    if (r->root_cause && al->blocked[i]) {
        sl->held = true;
        sl->unblocked_ms = -1;
        return false;
    }
    /* Held until its root cause recovered: services come back a probe or
     * two after their dependency, so it fires only if it still fails
     * after for: or two of its intervals (and a timeout), whichever is
     * longer, as failing for a reason of its own. */
    if (sl->held) {
        grace = 2 * svc->cfg->interval_ms + svc->cfg->timeout_ms;
        if (r->for_ms > grace)
            grace = r->for_ms;
        if (sl->unblocked_ms < 0)
            sl->unblocked_ms = now;
        if (now - sl->unblocked_ms < grace)
            return true;
        sl->held = false;
    }
    sl->firing = true;
    sl->fired_state = st;
    sl->starts_wall_ms = ht_wall_ms();
    sl->last_sent_ms = now;
    *firing = true;
    alert_sink_push(k, make_event(al, k, i, sl, true));
    return false;
}

static void on_pass(uv_timer_t *t)
{
    struct alerts *al = t->data;
    const struct scheduler *s = al->sched;
    int64_t now = ht_now_ms();
    bool waiting = false, repeats = false;

    if (s == NULL)
        return;
    al->passes++;
    al->last_pass_ms = now;
    if (s->nsvcs > al->blocked_cap) { /* a source's rows came */
        al->blocked_cap = s->nsvcs;
        al->blocked = xrealloc(al->blocked, al->blocked_cap * sizeof(*al->blocked));
    }
    deps_blocked_all(s, al->blocked);
    al->nblocked = 0;
    for (size_t i = 0; i < al->nslots; i++)
        al->nblocked += al->blocked[i];
    for (size_t r = 0; r < al->nsinks; r++) {
        struct alert_sink *k = al->sinks[r];
        bool route_firing = false;
        for (size_t i = 0; i < al->nslots; i++)
            waiting |= judge(al, k, i, now, &route_firing);
        repeats |= route_firing && k->route->repeat_ms > 0;
        alert_sink_kick(k);
    }
    if (waiting)
        uv_timer_start(&al->pass, on_pass, TICK_PENDING_MS, 0);
    else if (repeats)
        uv_timer_start(&al->pass, on_pass, TICK_FIRING_MS, 0);
}

static void on_pass_due(uv_timer_t *t)
{
    struct alerts *al = t->data;

    al->pass_due = false;
    on_pass(t);
}

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct alerts *al = ud;

    if (al->sched != s || !changed || svc->idx >= al->nslots)
        return;
    al->changes++;
    al->prev[svc->idx] = old;
    /* One pass for every change made meanwhile, PASS_MIN_GAP_MS after
     * the last one at the earliest. */
    if (!al->pass_due) {
        int64_t wait = al->last_pass_ms + PASS_MIN_GAP_MS - ht_now_ms();
        al->pass_due = true;
        uv_timer_start(&al->pass, on_pass_due, wait > 0 ? (uint64_t)wait : 0, 0);
    }
}

/* A reload: the slots follow their services by name; an alert sent for
 * a service that is gone is sent as resolved now (its last state, as
 * far as the old model knew it). */
static void carry_over(struct alerts *al, struct scheduler *s, struct alert_slot *slots)
{
    for (size_t r = 0; r < al->nsinks; r++) {
        for (size_t i = 0; i < al->nslots; i++) {
            struct alert_slot *old = &al->slots[r * al->nslots + i];
            long j = config_find(s->cfg, al->sched->svcs[i].cfg->name);

            if (j >= 0) {
                slots[r * s->nconfig + (size_t)j] = *old;
                slots[r * s->nconfig + (size_t)j].carried = old->firing;
            } else if (old->firing && al->sinks[r]->route->resolved) {
                struct alert_event *ev = make_event(al, al->sinks[r], i, old, false);
                ev->state = HEALTH_UNKNOWN;
                alert_sink_push(al->sinks[r], ev);
            }
        }
    }
}

/* The tables sized by the model: per route and service, per service. */
static void tables_free(struct alerts *al)
{
    free(al->slots);
    free(al->selected);
    free(al->blocked);
    free(al->prev);
    free(al->seen);
    free(al->stack);
}

static void slots_reset(struct alerts *al, struct scheduler *s)
{
    size_t n = s->nconfig ? s->nconfig : 1;
    struct alert_slot *slots = xcalloc(al->nsinks * n, sizeof(*slots));

    for (size_t i = 0; i < al->nsinks * n; i++)
        slots[i].match_since = slots[i].unblocked_ms = -1;
    if (al->slots && al->sched)
        carry_over(al, s, slots);
    tables_free(al);
    al->slots = slots;
    al->nslots = s->nconfig;
    al->selected = xcalloc(al->nsinks * n, sizeof(*al->selected));
    al->blocked_cap = s->nsvcs > n ? s->nsvcs : n;
    al->blocked = xcalloc(al->blocked_cap, sizeof(*al->blocked));
    al->prev = xcalloc(n, sizeof(*al->prev));
    al->seen = xcalloc(n, sizeof(*al->seen));
    al->stack = xcalloc(n, sizeof(*al->stack));
    al->stamp = 0;
    for (size_t r = 0; r < al->nsinks; r++)
        for (size_t i = 0; i < s->nconfig; i++)
            al->selected[r * n + i] = route_selects(al->sinks[r]->route, s->svcs[i].cfg);
    for (size_t i = 0; i < s->nconfig; i++)
        al->prev[i] = s->svcs[i].health.state;
}

void alerts_attach(struct alerts *al, struct scheduler *s)
{
    if (al == NULL)
        return;
    if (s == NULL) {
        /* Keep the slots and the old model (its memory lives until the
         * end) for the carry-over; stop judging. */
        al->detached = al->sched;
        al->sched = NULL;
        if (al->loop)
            uv_timer_stop(&al->pass);
        return;
    }
    if (al->loop == NULL) {
        al->loop = s->loop;
        uv_timer_init(al->loop, &al->pass);
        al->pass.data = al;
        for (size_t i = 0; i < al->nsinks; i++)
            sink_open(al, al->sinks[i]);
    }
    if (al->sched == NULL && al->detached)
        al->sched = al->detached;
    slots_reset(al, s);
    al->sched = s;
    al->detached = NULL;
    sched_observe(s, on_result, al);
    al->pass_due = true;
    uv_timer_start(&al->pass, on_pass_due, 0, 0);
}

/* Whether a and b send to the same place: the same kind and URL, or the
 * same argv. */
static bool same_target(const struct alert_route *a, const struct alert_route *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind != ALERT_EXEC)
        return strcmp(a->url ? a->url : "", b->url ? b->url : "") == 0;
    if (a->argc != b->argc)
        return false;
    for (size_t i = 0; i < a->argc; i++)
        if (strcmp(a->argv[i], b->argv[i]) != 0)
            return false;
    return true;
}

/* A route the reload removed: what it sent as firing is sent as
 * resolved (the service's state as the old model knew it), then it
 * delivers what it holds and ends. */
static void route_remove(struct alerts *al, struct alert_sink *k)
{
    const struct alert_slot *slots = al->slots ? &al->slots[(k->pos - 1) * al->nslots] : NULL;

    al->sched = al->detached; /* make_event's model */
    for (size_t i = 0; slots && al->sched && i < al->nslots; i++) {
        struct alert_event *ev;
        if (!slots[i].firing || !k->route->resolved)
            continue;
        ev = make_event(al, k, i, &slots[i], false);
        ev->route_gone = true;
        alert_sink_push(k, ev);
    }
    al->sched = NULL;
    alert_sink_retire(k);
}

/* The slots of the routes that stay, in their new places; a new route's
 * start empty. from[i]: the old pos of route i, 0 for a new one. */
static void slots_remap(struct alerts *al, size_t n, const size_t *from)
{
    size_t per = al->nslots ? al->nslots : 1;
    struct alert_slot *slots = xcalloc(n * per, sizeof(*slots));

    for (size_t i = 0; i < n * per; i++)
        slots[i].match_since = slots[i].unblocked_ms = -1;
    for (size_t i = 0; i < n; i++)
        if (from[i] > 0)
            memcpy(&slots[i * al->nslots], &al->slots[(from[i] - 1) * al->nslots],
                   al->nslots * sizeof(*slots));
    free(al->slots);
    al->slots = slots;
    /* Sized for the new routes; alerts_attach fills it. */
    free(al->selected);
    al->selected = xcalloc(n * per, sizeof(*al->selected));
}

int alerts_reconfigure(struct alerts *al, const struct ht_config *cfg)
{
    size_t n = cfg->nalerts, kept = 0, added = 0, removed = 0;
    struct alert_sink **sinks;
    size_t *from;

    if (al->sched || al->closed)
        return -1; /* only while detached */
    sinks = xcalloc(n, sizeof(*sinks));
    from = xcalloc(n, sizeof(*from));
    /* Each old route is taken by the first new one with its target. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < al->nsinks; j++) {
            if (al->sinks[j] && same_target(al->sinks[j]->route, &cfg->alerts[i])) {
                sinks[i] = al->sinks[j];
                from[i] = j + 1;
                al->sinks[j] = NULL;
                kept++;
                break;
            }
        }
    }
    for (size_t j = 0; j < al->nsinks; j++) {
        if (al->sinks[j]) {
            route_remove(al, al->sinks[j]);
            removed++;
        }
    }
    if (al->slots)
        slots_remap(al, n, from);
    for (size_t i = 0; i < n; i++) {
        if (sinks[i]) {
            sink_place(sinks[i], &cfg->alerts[i], i + 1);
            continue;
        }
        sinks[i] = sink_new(al, &cfg->alerts[i], i + 1);
        if (al->loop)
            sink_open(al, sinks[i]);
        added++;
    }
    free(al->sinks);
    free(from);
    al->sinks = sinks;
    al->nsinks = n;
    al->cfg = cfg;
    if (added || removed)
        alerts_logf(al, "alerts: reload: %zu routes kept, %zu new, %zu removed", kept, added,
                    removed);
    return 0;
}

void alerts_close(struct alerts *al)
{
    if (al == NULL || al->closed)
        return;
    al->closed = true;
    al->sched = NULL;
    for (size_t i = 0; i < al->nsinks; i++)
        alert_sink_close(al->sinks[i], NULL);
    while (al->retired)
        alert_sink_retire_end(al->retired); /* unlinks it */
    if (al->loop)
        uv_close((uv_handle_t *)&al->pass, NULL);
    alert_http_shutdown(al);
}

void alerts_free(struct alerts *al)
{
    if (al == NULL)
        return;
    for (size_t i = 0; i < al->nsinks; i++) {
        alert_sink_free(al->sinks[i]);
        free(al->sinks[i]);
    }
    free(al->sinks);
    while (al->retired) { /* never attached: no handle was opened */
        struct alert_sink *k = al->retired;
        al->retired = k->next;
        alert_sink_free(k);
        free(k);
    }
    tables_free(al);
    free(al);
}

size_t alerts_status(const struct alerts *al, char *buf, size_t n)
{
    size_t len = 0;

    if (n > 0)
        buf[0] = '\0';
    if (al == NULL)
        return 0;
    for (size_t i = 0; i < al->nsinks; i++) {
        if (!al->sinks[i]->failing)
            continue;
        ht_snprintf(buf + len, n - len, "%s%s",
                    len ? ", " : "alerts failing: ", al->sinks[i]->name);
        len += strlen(buf + len);
    }
    return len;
}

int alerts_hook_setup(struct scheduler *s, void *ud)
{
    alerts_attach(ud, s);
    return 0;
}

void alerts_hook_close(struct scheduler *s, void *ud)
{
    (void)s;
    alerts_close(ud);
}
