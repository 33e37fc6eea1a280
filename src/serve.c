/* --serve: probe forever without a terminal, log state changes, reload
 * on SIGHUP, stop on SIGTERM. */
#include "healthtop/serve.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <uv.h>
#include "healthtop/alerts.h"
#include "healthtop/listen.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "healthtop/text.h"

/* One config and the scheduler probing it. A reload starts a new
 * generation once the old one's handles are closed; the old ones stay
 * allocated until the end, after the loop's last handle closed, as their
 * probe kinds' libraries may still be closing handles of their own that
 * point into them, and the alert engine's routes and slots do too: a
 * route a reload removed goes on delivering its resolutions from the old
 * config, and the engine carries alerts over from the old model. */
struct gen {
    struct scheduler sched;
    struct ht_config cfg; /* owned, except in the first generation */
    bool own_cfg;
    bool sched_up; /* sched_init succeeded: sched_free at the end */
    struct gen *older;
};

struct serve {
    uv_loop_t loop;
    const struct serve_opts *o;
    struct gen *cur;
    struct gen *pending; /* loaded by SIGHUP, waiting for cur to close */
    struct alerts *al;   /* the caller's, or ours after a reload (own_al) */
    bool own_al;
    uv_signal_t sigterm, sigint, sighup;
    bool stopping;
};

static void log_change(struct serve *sv, const struct service *svc, enum health_state old)
{
    FILE *f = sv->o->log ? sv->o->log : stdout;
    enum health_state st = svc->health.state;
    char at[40], name[256], msg[PROBE_MSG_MAX * 4];

    ht_time_rfc3339(ht_wall_ms(), at, sizeof(at));
    text_safe_str(name, sizeof(name), svc->cfg->name);
    text_safe_str(msg, sizeof(msg), svc->has_result ? svc->last.message : "");
    if (sv->o->log_format == LOG_JSON) {
        json_t *o = json_object();
        char *line;

        json_object_set_new(o, "time", json_string(at));
        json_object_set_new(o, "service", report_json_text(name));
        json_object_set_new(o, "group", report_json_text(svc->cfg->group ? svc->cfg->group : ""));
        json_object_set_new(o, "kind", json_string(probe_kind_name(svc->cfg->kind)));
        json_object_set_new(o, "state", json_string(health_state_name(st)));
        json_object_set_new(o, "previous", json_string(health_state_name(old)));
        json_object_set_new(o, "message", report_json_text(msg));
        if ((line = json_dumps(o, JSON_COMPACT)) != NULL) {
            fprintf(f, "%s\n", line);
            free(line);
        }
        json_decref(o);
    } else {
        fprintf(f, "%s %s %s (was %s)%s%s\n", at, name, health_state_name(st),
                health_state_name(old), msg[0] ? ": " : "", msg);
    }
    fflush(f);
}

/* A receiver failing or delivering again: one line in the same log. */
static void log_alerts(const char *line, void *ud)
{
    struct serve *sv = ud;
    FILE *f = sv->o->log ? sv->o->log : stdout;
    char at[40];

    ht_time_rfc3339(ht_wall_ms(), at, sizeof(at));
    if (sv->o->log_format == LOG_JSON) {
        json_t *o = json_object();
        char *text;

        json_object_set_new(o, "time", json_string(at));
        json_object_set_new(o, "alerts", report_json_text(line));
        if ((text = json_dumps(o, JSON_COMPACT)) != NULL) {
            fprintf(f, "%s\n", text);
            free(text);
        }
        json_decref(o);
    } else {
        fprintf(f, "%s %s\n", at, line);
    }
    fflush(f);
}

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    (void)s;
    if (changed)
        log_change(ud, svc, old);
}

static int gen_start(struct serve *sv, struct gen *g)
{
    if (sched_init(&g->sched, &sv->loop, &g->cfg) != 0)
        return -1;
    g->sched_up = true;
    sched_observe(&g->sched, on_result, sv);
    if (sv->o->listener)
        listener_attach(sv->o->listener, &g->sched);
    alerts_attach(sv->al, &g->sched);
    sched_start(&g->sched, false);
    return 0;
}

static void gen_free_all(struct gen *g)
{
    while (g) {
        struct gen *older = g->older;
        if (g->sched_up)
            sched_free(&g->sched);
        if (g->own_cfg)
            config_free(&g->cfg);
        free(g);
        g = older;
    }
}

static struct serve *serve_of(struct scheduler *s)
{
    return s->loop->data;
}

/* The new config's alerts: the routes follow it; the first alerts:
 * section since the start gets an engine of its own. */
static void alerts_follow(struct serve *sv, const struct ht_config *cfg)
{
    if (sv->al != NULL) {
        if (alerts_reconfigure(sv->al, cfg) != 0)
            fprintf(stderr, "healthtop: reload: the alert routes stay as they were\n");
        return;
    }
    if ((sv->al = alerts_new(cfg)) == NULL)
        return;
    sv->own_al = true;
    alerts_set_log(sv->al, log_alerts, sv);
    if (sv->o->listener)
        listener_set_alerts(sv->o->listener, sv->al);
}

/* The old scheduler is closed: the new config's takes over. */
static void on_old_closed(struct scheduler *s)
{
    struct serve *sv = serve_of(s);
    struct gen *g = sv->pending;

    sv->pending = NULL;
    if (sv->stopping) {
        g->older = sv->cur;
        sv->cur = g;
        return;
    }
    g->older = sv->cur;
    sv->cur = g;
    alerts_follow(sv, &g->cfg);
    if (gen_start(sv, g) != 0) {
        fprintf(stderr, "healthtop: reload: cannot set up the probes; stopping\n");
        sv->stopping = true;
        uv_close((uv_handle_t *)&sv->sigterm, NULL);
        uv_close((uv_handle_t *)&sv->sigint, NULL);
        uv_close((uv_handle_t *)&sv->sighup, NULL);
        if (sv->o->listener)
            listener_stop(sv->o->listener);
        alerts_close(sv->al);
        return;
    }
    if (sv->o->listener)
        listener_set_auth(sv->o->listener, g->cfg.auth_bearer, g->cfg.auth_user,
                          g->cfg.auth_password);
    fprintf(stderr, "healthtop: reloaded %s: %zu services\n", g->cfg.path, g->cfg.nsvcs);
}

static void on_hup(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;
    struct gen *g;

    (void)signum;
    if (sv->stopping || sv->pending) {
        fprintf(stderr, "healthtop: SIGHUP: a reload is already under way\n");
        return;
    }
    g = xcalloc(1, sizeof(*g));
    if (sv->o->reload == NULL || sv->o->reload(&g->cfg, sv->o->reload_ud) != 0) {
        fprintf(stderr, "healthtop: SIGHUP: the new config has errors (above); "
                        "keeping the running one\n");
        free(g);
        return;
    }
    g->own_cfg = true;
    sv->pending = g;
    if (sv->o->listener)
        listener_attach(sv->o->listener, NULL);
    alerts_attach(sv->al, NULL);
    sched_close(&sv->cur->sched, on_old_closed);
}

static void on_stop(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;

    (void)signum;
    if (sv->stopping)
        return;
    sv->stopping = true;
    uv_close((uv_handle_t *)&sv->sigterm, NULL);
    uv_close((uv_handle_t *)&sv->sigint, NULL);
    uv_close((uv_handle_t *)&sv->sighup, NULL);
    if (sv->o->listener)
        listener_stop(sv->o->listener);
    alerts_close(sv->al);
    if (sv->pending == NULL) /* else the reload's close is under way */
        sched_close(&sv->cur->sched, NULL);
}

static void signal_start(struct serve *sv, uv_signal_t *h, uv_signal_cb cb, int signum)
{
    uv_signal_init(&sv->loop, h);
    h->data = sv;
    uv_signal_start(h, cb, signum);
}

int run_serve(const struct ht_config *cfg, const struct serve_opts *o)
{
    struct serve sv;
    char err[256];
    int rc;

    memset(&sv, 0, sizeof(sv));
    sv.o = o;
    sv.al = o->alerts;
    if (uv_loop_init(&sv.loop) != 0)
        return 2;
    sv.loop.data = &sv;
    sv.cur = xcalloc(1, sizeof(*sv.cur));
    sv.cur->cfg = *cfg; /* a copy of the caller's, not owned */
    if (o->listener && listener_start(o->listener, &sv.loop, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop: %s\n", err);
        uv_run(&sv.loop, UV_RUN_DEFAULT);
        uv_loop_close(&sv.loop);
        gen_free_all(sv.cur);
        return 2;
    }
    alerts_set_log(sv.al, log_alerts, &sv);
    if (o->listener)
        listener_set_alerts(o->listener, sv.al);
    if (gen_start(&sv, sv.cur) != 0) {
        fprintf(stderr, "healthtop: cannot set up the probes\n");
        if (o->listener)
            listener_stop(o->listener);
        alerts_close(sv.al);
        uv_run(&sv.loop, UV_RUN_DEFAULT);
        uv_loop_close(&sv.loop);
        gen_free_all(sv.cur);
        return 2;
    }
    signal_start(&sv, &sv.sigterm, on_stop, SIGTERM);
    signal_start(&sv, &sv.sigint, on_stop, SIGINT);
    signal_start(&sv, &sv.sighup, on_hup, SIGHUP);
    if (o->listener)
        fprintf(stderr, "healthtop: serving %zu services; endpoints on port %d\n", cfg->nsvcs,
                listener_port(o->listener));
    else
        fprintf(stderr, "healthtop: serving %zu services\n", cfg->nsvcs);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&sv.loop);
    if (rc != 0)
        fprintf(stderr, "healthtop: internal error: handles left open at exit\n");
    /* Nothing may reach the engine past here: the caller's gets only its
     * alerts_free, ours goes now, before the configs its routes point
     * into. */
    if (o->listener)
        listener_set_alerts(o->listener, o->alerts);
    alerts_set_log(o->alerts, NULL, NULL);
    if (sv.own_al)
        alerts_free(sv.al);
    gen_free_all(sv.cur);
    if (sv.pending)
        gen_free_all(sv.pending);
    return 0;
}
