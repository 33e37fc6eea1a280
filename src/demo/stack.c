/* The --demo stack: the seed's 12 services simulated on loopback. */
#include "demo/stack.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"
#include "httpd.h"
#include "demo/respd.h"
#include "healthtop/scheduler.h"
#include "healthtop/util.h"

#define STACK_MAX_REPLICAS 2
#define TICK_MS            25
#define REPLICA_STAGGER_MS 2000 /* worker replicas come up this far apart */

/* One simulated service, as the seed describes it. */
struct sim_def {
    const char *name, *label, *group;
    bool resp;         /* RESP (Redis, FalkorDB) rather than HTTP */
    const char *path;  /* HTTP path probed */
    const char *check; /* extra YAML under http: for one replica, or NULL */
    const char *body;  /* answered when healthy */
    int replicas;      /* expected; 0 = scaled to zero */
    int boot_s;        /* from its dependencies' health to its own */
    const char *deps;  /* YAML flow list */
};

static const struct sim_def defs[] = {
    {"redis", "Redis (Working Memory)", "Memory Systems", true, NULL, NULL, NULL, 1, 10, "[]"},
    {"falkordb", "FalkorDB (Semantic Memory)", "Memory Systems", true, NULL, NULL, NULL, 1, 5,
     "[redis]"},
    {"mlflow", "MLflow", "HTTP Services", false, "/health", NULL, "OK", 1, 30, "[]"},
    {"bentoml", "BentoML", "HTTP Services", false, "/healthz", NULL, "OK", 1, 30,
     "[mlflow, feast]"},
    {"feast", "Feast", "HTTP Services", false, "/health", NULL, "OK", 1, 20, "[redis]"},
    {"opik", "Opik (UI)", "HTTP Services", false, "/health", NULL, "OK", 1, 45, "[]"},
    {"api", "API (FastAPI)", "HTTP Services", false, "/health", "json: {status: healthy}",
     "{\"status\": \"healthy\", \"service\": \"e2i-causal-analytics-api\"}", 1, 60, "[redis]"},
    {"frontend", "Frontend", "HTTP Services", false, "/health", "body: OK", "OK", 1, 15, "[api]"},
    {"worker_light", "Worker Light (simulated)", "Celery Workers", false, "/ping", NULL,
     "{\"ok\": \"pong\"}", 2, 20, "[redis, api]"},
    {"worker_medium", "Worker Medium (simulated)", "Celery Workers", false, "/ping", NULL,
     "{\"ok\": \"pong\"}", 1, 30, "[redis, api]"},
    {"worker_heavy", "Worker Heavy (simulated)", "Celery Workers", false, "/ping", NULL,
     "{\"ok\": \"pong\"}", 0, 30, "[redis, api]"},
    {"scheduler", "Celery Beat (simulated)", "Celery Workers", false, "/health", NULL, "OK", 1, 40,
     "[redis, worker_light]"},
};

#define NSIMS HT_ARRAY_LEN(defs)

struct sim;

/* One listening server: a replica of a service. */
struct replica {
    struct sim *sim;
    int index;
    int port;     /* kept across stop and revive */
    bool open;    /* listening, or closing */
    bool closing; /* a close is in flight */
    union {
        struct httpd http;
        struct respd resp;
    } u;
};

struct sim {
    const struct sim_def *def;
    struct stack *st;
    size_t idx;
    bool stopped;
    bool booted;
    int64_t boot_start_ms; /* when its dependencies were all up; -1 before */
    int ready;             /* replicas answering healthy */
    const char *waiting;   /* the first dependency down, or NULL */
    int nservers;          /* replicas, and at least one */
    struct replica servers[STACK_MAX_REPLICAS];
};

struct stack {
    struct ht_config cfg;
    uv_loop_t *loop;
    uv_timer_t tick;
    double speed;
    int64_t t0_ms;
    bool listening, closing;
    bool ticking; /* the tick timer is initialised */
    struct sim sims[NSIMS];
};

/* ------------------------------------------------------------------ */
/* The config                                                          */

static int yaml_service(struct buf *y, const struct sim_def *d, int nservers)
{
    int rc = buf_printf(y, "  %s:\n    label: %s\n    group: %s\n    depends_on: %s\n", d->name,
                        d->label, d->group, d->deps);
    if (d->resp)
        return rc | buf_printf(y, "    redis: redis://127.0.0.1:1/0\n");
    rc |= buf_printf(y, "    replicas: %d\n", d->replicas);
    if (d->check)
        return rc | buf_printf(y, "    http:\n      url: http://127.0.0.1:1%s\n      %s\n", d->path,
                               d->check);
    rc |= buf_printf(y, "    http: [");
    for (int r = 0; r < nservers; r++)
        rc |= buf_printf(y, "%shttp://127.0.0.1:1%s", r ? ", " : "", d->path);
    return rc | buf_printf(y, "]\n");
}

/* The demo's config is YAML text parsed by the normal loader, so that it
 * is exactly what a user's file would give; the placeholder port 1 is
 * replaced by the real ones once the servers listen. Probe intervals
 * shrink with the speed so the compressed cold start is still seen in
 * detail; start_period covers the whole cold start, as compose's would. */
static int build_config(struct stack *st, char *err, size_t n)
{
    struct buf y;
    int64_t interval = (int64_t)(2000.0 / st->speed), period = (int64_t)(130000.0 / st->speed);
    int rc;

    if (interval < 100)
        interval = 100;
    buf_init(&y, 64 * 1024);
    rc = buf_printf(&y,
                    "title: E2I Causal Analytics (demo, simulated)\nhistory: 1h\n"
                    "defaults:\n  interval: %dms\n  timeout: 1s\n  retries: 3\n"
                    "  start_period: %dms\nservices:\n",
                    (int)interval, (int)period);
    for (size_t i = 0; i < NSIMS; i++)
        rc |= yaml_service(&y, &defs[i], st->sims[i].nservers);
    if (rc == 0)
        rc = config_parse("(demo)", y.data, y.len, &st->cfg, err, n);
    else
        ht_strlcpy(err, "demo config too big", n);
    buf_free(&y);
    return rc;
}

/* Writes the real ports into the config, before any probe starts. */
static void config_set_ports(struct stack *st)
{
    char url[128];

    for (size_t i = 0; i < NSIMS; i++) {
        struct sim *sim = &st->sims[i];
        struct svc_config *c = &st->cfg.svcs[i];

        if (sim->def->resp) {
            struct redis_target *t = &c->u.redis.targets[0];
            ht_snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", sim->servers[0].port);
            free(t->url);
            t->url = xstrdup(url);
            t->port = sim->servers[0].port;
            continue;
        }
        for (size_t r = 0; r < c->u.http.nurls && r < (size_t)sim->nservers; r++) {
            ht_snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sim->servers[r].port,
                        sim->def->path);
            free(c->u.http.urls[r]);
            c->u.http.urls[r] = xstrdup(url);
        }
    }
}

/* ------------------------------------------------------------------ */
/* The simulation                                                      */

static bool sim_up(const struct sim *sim, int depth)
{
    const struct svc_config *c = &sim->st->cfg.svcs[sim->idx];

    if (sim->stopped || !sim->booted || sim->ready == 0 || depth > (int)NSIMS)
        return false;
    for (size_t j = 0; j < c->ndeps; j++)
        if (!sim_up(&sim->st->sims[c->dep_idx[j]], depth + 1))
            return false;
    return true;
}

/* Advances one service: waits for its dependencies, boots for its own
 * time (scaled), then brings its replicas up one after another. */
static void sim_tick(struct sim *sim, int64_t now)
{
    const struct svc_config *c = &sim->st->cfg.svcs[sim->idx];
    double speed = sim->st->speed;

    sim->waiting = NULL;
    for (size_t j = 0; j < c->ndeps && !sim->waiting; j++)
        if (!sim_up(&sim->st->sims[c->dep_idx[j]], 0))
            sim->waiting = sim->st->sims[c->dep_idx[j]].def->name;
    if (sim->stopped)
        return;
    if (sim->waiting && !sim->booted) {
        sim->boot_start_ms = -1; /* a boot restarts once its dependencies are back */
        return;
    }
    if (sim->boot_start_ms < 0)
        sim->boot_start_ms = now;
    int64_t up_for = now - sim->boot_start_ms - (int64_t)(sim->def->boot_s * 1000 / speed);
    if (up_for < 0)
        return;
    sim->booted = true;
    sim->ready = 1 + (int)(up_for / (int64_t)(REPLICA_STAGGER_MS / speed));
    if (sim->ready > sim->def->replicas)
        sim->ready = sim->def->replicas;
}

static void sim_apply_resp(struct sim *sim)
{
    struct respd *r = &sim->servers[0].u.resp;
    char msg[RESPD_MSG_MAX];

    if (!sim->servers[0].open || sim->servers[0].closing)
        return;
    if (sim->waiting) {
        ht_snprintf(msg, sizeof(msg), "waiting for %s", sim->waiting);
        respd_set_mode(r, RESPD_LOADING, msg);
    } else if (!sim->booted) {
        respd_set_mode(r, RESPD_LOADING, "Redis is loading the dataset in memory");
    } else if (r->mode != RESPD_READY) {
        respd_set_mode(r, RESPD_READY, NULL);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct stack *st = t->data;
    int64_t now = ht_now_ms();

    for (size_t i = 0; i < NSIMS; i++)
        sim_tick(&st->sims[i], now);
    /* Dependencies are judged on the states before this tick; the next
     * tick, 25 ms later, sees the changes. */
    for (size_t i = 0; i < NSIMS; i++)
        if (st->sims[i].def->resp)
            sim_apply_resp(&st->sims[i]);
}

/* Every HTTP request of every simulated service: the answer follows the
 * service's state at this moment. */
static void on_http(struct httpd *srv, struct httpd_req *req, void *ud)
{
    struct replica *rep = ud;
    struct sim *sim = rep->sim;
    char text[96];

    (void)srv;
    if (sim->waiting) {
        ht_snprintf(text, sizeof(text), "waiting for %s\n", sim->waiting);
        httpd_reply_text(req, 503, text);
    } else if (sim->def->replicas == 0) {
        httpd_reply_text(req, 503, "scaled to 0: no worker running\n");
    } else if (!sim->booted || rep->index >= sim->ready) {
        httpd_reply_text(req, 503, "starting\n");
    } else {
        struct httpd_resp resp = {.status = 200,
                                  .content_type =
                                      sim->def->body[0] == '{' ? "application/json" : "text/plain",
                                  .body = sim->def->body,
                                  .body_len = (size_t)-1};
        httpd_reply(req, &resp);
    }
}

/* ------------------------------------------------------------------ */
/* Servers: open, stop, revive                                         */

static int replica_open(struct replica *rep)
{
    struct stack *st = rep->sim->st;
    int rc;

    if (rep->sim->def->resp) {
        respd_init(&rep->u.resp, st->loop);
        rc = respd_listen(&rep->u.resp, "127.0.0.1", rep->port);
        if (rc == 0)
            rep->port = rep->u.resp.net.port;
    } else {
        httpd_init(&rep->u.http, st->loop, on_http, rep);
        rc = httpd_listen(&rep->u.http, "127.0.0.1", rep->port);
        if (rc == 0)
            rep->port = httpd_port(&rep->u.http);
    }
    rep->open = rc == 0;
    return rc;
}

static void replica_closed(struct replica *rep)
{
    struct sim *sim = rep->sim;

    rep->open = false;
    rep->closing = false;
    /* Revived while it was closing: open again on the same port. */
    if (!sim->stopped && !sim->st->closing && replica_open(rep) != 0)
        fprintf(stderr, "healthtop: demo: cannot reopen %s on port %d\n", sim->def->name,
                rep->port);
}

static void on_http_closed(struct httpd *srv)
{
    replica_closed(srv->ud);
}

/* respd has no user pointer: the replica is the struct around it. */
static void on_resp_closed(struct respd *srv)
{
    replica_closed((struct replica *)((char *)srv - offsetof(struct replica, u.resp)));
}

static void replica_close(struct replica *rep)
{
    if (!rep->open || rep->closing)
        return;
    rep->closing = true;
    if (rep->sim->def->resp)
        respd_close(&rep->u.resp, on_resp_closed);
    else
        httpd_close(&rep->u.http, on_http_closed);
}

int stack_toggle(struct stack *st, const char *name)
{
    for (size_t i = 0; i < NSIMS; i++) {
        struct sim *sim = &st->sims[i];
        if (strcmp(sim->def->name, name) != 0)
            continue;
        sim->stopped = !sim->stopped;
        sim->booted = false;
        sim->ready = 0;
        sim->boot_start_ms = -1;
        for (int r = 0; r < sim->nservers; r++) {
            struct replica *rep = &sim->servers[r];
            if (sim->stopped)
                replica_close(rep);
            else if (!rep->open && st->listening && replica_open(rep) != 0)
                fprintf(stderr, "healthtop: demo: cannot reopen %s\n", name);
        }
        return sim->stopped ? 1 : 0;
    }
    return -1;
}

int stack_toggle_cb(void *ud, const char *name)
{
    return stack_toggle(ud, name);
}

bool stack_running(const struct stack *st, const char *name)
{
    for (size_t i = 0; i < NSIMS; i++)
        if (strcmp(st->sims[i].def->name, name) == 0)
            return !st->sims[i].stopped;
    return false;
}

/* ------------------------------------------------------------------ */
/* Life                                                                */

int stack_new(double speed, struct stack **out, char *err, size_t n)
{
    struct stack *st = xcalloc(1, sizeof(*st));

    *out = NULL;
    st->speed = speed > 0 ? speed : STACK_DEFAULT_SPEED;
    for (size_t i = 0; i < NSIMS; i++) {
        struct sim *sim = &st->sims[i];
        sim->def = &defs[i];
        sim->st = st;
        sim->idx = i;
        sim->boot_start_ms = -1;
        sim->nservers = defs[i].replicas > 0 ? defs[i].replicas : 1;
        for (int r = 0; r < sim->nservers; r++) {
            sim->servers[r].sim = sim;
            sim->servers[r].index = r;
        }
    }
    if (build_config(st, err, n) != 0) {
        free(st);
        return -1;
    }
    *out = st;
    return 0;
}

struct ht_config *stack_config(struct stack *st)
{
    return &st->cfg;
}

int stack_listen(struct stack *st, uv_loop_t *loop, char *err, size_t n)
{
    int rc;

    st->loop = loop;
    for (size_t i = 0; i < NSIMS; i++)
        for (int r = 0; r < st->sims[i].nservers; r++)
            if ((rc = replica_open(&st->sims[i].servers[r])) != 0) {
                ht_snprintf(err, n, "demo: %s cannot listen on 127.0.0.1: %s", defs[i].name,
                            uv_strerror(rc));
                st->listening = true;
                stack_close(st);
                return -1;
            }
    config_set_ports(st);
    st->t0_ms = ht_now_ms();
    st->listening = true;
    uv_timer_init(loop, &st->tick);
    st->tick.data = st;
    st->ticking = true;
    uv_timer_start(&st->tick, on_tick, 0, TICK_MS);
    return 0;
}

void stack_close(struct stack *st)
{
    if (st->closing || !st->listening)
        return;
    st->closing = true;
    if (st->ticking)
        uv_close((uv_handle_t *)&st->tick, NULL);
    for (size_t i = 0; i < NSIMS; i++)
        for (int r = 0; r < st->sims[i].nservers; r++)
            replica_close(&st->sims[i].servers[r]);
}

void stack_free(struct stack *st)
{
    if (st == NULL)
        return;
    config_free(&st->cfg);
    free(st);
}

int stack_hook_setup(struct scheduler *s, void *ud)
{
    char err[256];

    if (stack_listen(ud, s->loop, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop: %s\n", err);
        return -1;
    }
    return 0;
}

void stack_hook_close(struct scheduler *s, void *ud)
{
    (void)s;
    stack_close(ud);
}
