/* --replay: a recording read defensively and played into a model. */
#include "healthtop/replay.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/buf.h"
#include "healthtop/record.h"
#include "healthtop/report.h"
#include "healthtop/text.h"
#include "healthtop/timeline.h"
#include "healthtop/tui.h"
#include "healthtop/util.h"

#define TICK_MS   50
#define MAX_T_MS  ((int64_t)1 << 45) /* about 1,100 years: anything past is corrupt */
#define MAX_COUNT 1000000
#define MAX_SVCS  100000

/* ------------------------------------------------------------------ */
/* The first line: the run and its services                            */

static enum health_state state_of(const char *name)
{
    for (int s = 0; s < HEALTH_STATE_COUNT; s++)
        if (name && strcmp(name, health_state_name(s)) == 0)
            return (enum health_state)s;
    return HEALTH_STATE_COUNT;
}

static enum probe_kind kind_of(const char *name)
{
    for (int k = 0; k < PROBE_KIND_COUNT; k++)
        if (name && strcmp(name, probe_kind_name(k)) == 0)
            return (enum probe_kind)k;
    return PROBE_KIND_COUNT;
}

/* A recording is outside text like any other: every string in it is
 * made safe to print (text.h) as it is read. */
static char *str_or(json_t *o, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, key));
    return text_safe_dup(v ? v : dflt);
}

static int int_in(json_t *j, json_int_t lo, json_int_t hi, json_int_t dflt, json_int_t *out)
{
    if (j == NULL || json_is_null(j)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
        return -1;
    *out = json_integer_value(j);
    return 0;
}

/* One service of the header into c; returns NULL or why it is refused. */
static const char *header_service(struct ht_config *cfg, size_t i, json_t *o)
{
    struct svc_config *c = &cfg->svcs[i];
    json_t *deps = json_object_get(o, "depends_on"), *d;
    const char *name = json_string_value(json_object_get(o, "name"));
    json_int_t replicas, interval;
    size_t k;

    if (!json_is_object(o) || name == NULL || name[0] == '\0')
        return "a service without a name";
    for (size_t j = 0; j < i; j++)
        if (strcmp(cfg->svcs[j].name, name) == 0)
            return "a service named twice";
    c->name = text_safe_dup(name);
    c->label = str_or(o, "label", name);
    c->group = str_or(o, "group", "Services");
    c->kind = kind_of(json_string_value(json_object_get(o, "kind")));
    if (c->kind == PROBE_KIND_COUNT)
        c->kind = PROBE_EXEC; /* never probed: the kind is only shown */
    if (int_in(json_object_get(json_object_get(o, "replicas"), "expected"), 0, MAX_COUNT, 1,
               &replicas) != 0 ||
        int_in(json_object_get(o, "interval_ms"), 1, MAX_T_MS, CONFIG_DEFAULT_INTERVAL_MS,
               &interval) != 0)
        return "a service with bad replicas or interval_ms";
    c->replicas = (int)replicas;
    c->interval_ms = interval;
    c->timeout_ms = CONFIG_DEFAULT_TIMEOUT_MS;
    c->retries = CONFIG_DEFAULT_RETRIES;
    if (deps != NULL && !json_is_array(deps))
        return "depends_on is not a list";
    c->ndeps = json_array_size(deps);
    c->depends_on = xcalloc(c->ndeps ? c->ndeps : 1, sizeof(char *));
    c->dep_idx = xcalloc(c->ndeps ? c->ndeps : 1, sizeof(size_t));
    json_array_foreach(deps, k, d)
    {
        if (!json_is_string(d))
            return "depends_on holds a non-name";
        c->depends_on[k] = text_safe_dup(json_string_value(d));
    }
    return NULL;
}

/* Resolves depends_on once every name is known; an unknown name stays
 * unresolved (SIZE_MAX), as deps.h expects. */
static void header_resolve(struct ht_config *cfg)
{
    for (size_t i = 0; i < cfg->nsvcs; i++) {
        struct svc_config *c = &cfg->svcs[i];
        for (size_t k = 0; k < c->ndeps; k++) {
            long at = config_find(cfg, c->depends_on[k]);
            c->dep_idx[k] = at < 0 || (size_t)at == i ? SIZE_MAX : (size_t)at;
        }
    }
}

static void model_init(struct replay *r, int64_t t0_wall)
{
    struct scheduler *s = &r->sched;

    memset(s, 0, sizeof(*s));
    s->cfg = &r->cfg;
    s->nsvcs = r->cfg.nsvcs;
    s->svcs = xcalloc(s->nsvcs ? s->nsvcs : 1, sizeof(*s->svcs));
    s->t0_ms = ht_now_ms();
    s->origin_ms = s->t0_ms;
    s->t0_wall_ms = t0_wall;
    s->max_inflight = 1;
    for (size_t i = 0; i < s->nsvcs; i++) {
        struct service *svc = &s->svcs[i];
        svc->cfg = &r->cfg.svcs[i];
        svc->idx = i;
        svc->sched = s;
        health_init(&svc->health, s->t0_ms);
        history_init(&svc->history, r->cfg.history_ms, svc->cfg->interval_ms);
    }
}

static const char *parse_header(struct replay *r, json_t *h)
{
    json_t *svcs = json_object_get(h, "services");
    json_int_t fmt, t0_wall;
    const char *why = NULL;

    if (!json_is_object(h) || json_object_get(h, "healthtop_recording") == NULL)
        return "not a healthtop recording (no healthtop_recording header)";
    if (int_in(json_object_get(h, "healthtop_recording"), 1, RECORD_FORMAT, 0, &fmt) != 0)
        return "a recording format this healthtop does not read";
    if (int_in(json_object_get(h, "t0_wall_ms"), 0, MAX_T_MS, 0, &t0_wall) != 0)
        return "bad t0_wall_ms";
    if (!json_is_array(svcs) || json_array_size(svcs) > MAX_SVCS)
        return "no services list";
    r->cfg.title = str_or(h, "title", "healthtop");
    r->cfg.history_ms = CONFIG_DEFAULT_HISTORY_MS;
    r->cfg.max_inflight = 1;
    r->cfg.svcs = xcalloc(json_array_size(svcs) + 1, sizeof(*r->cfg.svcs));
    for (size_t i = 0; i < json_array_size(svcs) && why == NULL; i++) {
        r->cfg.nsvcs = i + 1;
        why = header_service(&r->cfg, i, json_array_get(svcs, i));
    }
    if (why)
        return why;
    header_resolve(&r->cfg);
    model_init(r, t0_wall);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Result lines                                                        */

static const char *parse_event(struct replay *r, json_t *o, struct replay_event *e)
{
    json_t *lat = json_object_get(o, "latency_ms"), *reps = json_object_get(o, "replicas");
    json_t *ok = json_object_get(o, "ok"), *msg = json_object_get(o, "message");
    json_int_t t, wall, up, found;
    long at;

    if (!json_is_object(o))
        return "not a JSON object";
    if (json_object_get(o, "healthtop_recording"))
        return "a second recording starts here";
    if (json_object_get(o, "t_ms") == NULL ||
        int_in(json_object_get(o, "t_ms"), 0, MAX_T_MS, 0, &t))
        return "no valid t_ms";
    if (r->nev > 0 && t < r->ev[r->nev - 1].t_ms)
        return "t_ms goes backwards";
    if (!json_is_string(json_object_get(o, "service")))
        return "unknown service";
    char *svc = text_safe_dup(json_string_value(json_object_get(o, "service")));
    at = config_find(&r->cfg, svc);
    free(svc);
    if (at < 0)
        return "unknown service";
    e->state = (uint8_t)state_of(json_string_value(json_object_get(o, "state")));
    if (e->state >= HEALTH_STATE_COUNT)
        return "unknown state";
    if (int_in(json_object_get(o, "wall_ms"), 0, MAX_T_MS, 0, &wall) != 0 ||
        (reps != NULL && !json_is_object(reps)) ||
        int_in(json_object_get(reps, "up"), 0, MAX_COUNT, 0, &up) != 0 ||
        int_in(json_object_get(reps, "found"), 0, MAX_COUNT, up, &found) != 0)
        return "bad wall_ms or replicas";
    if (lat != NULL && !json_is_null(lat) &&
        (!json_is_number(lat) || !(json_number_value(lat) >= 0) || json_number_value(lat) > 1e9))
        return "bad latency_ms";
    if ((ok != NULL && !json_is_boolean(ok)) || (msg != NULL && !json_is_string(msg)))
        return "bad ok or message";
    e->t_ms = t;
    e->wall_ms = wall;
    e->svc = (uint32_t)at;
    e->ok = ok ? json_is_true(ok) : health_is_up(e->state);
    e->up = (int)up;
    e->found = (int)found;
    e->latency_us = lat && json_is_number(lat) ? (int64_t)(json_number_value(lat) * 1000.0) : -1;
    text_safe_str(e->message, sizeof(e->message), msg ? json_string_value(msg) : "");
    return NULL;
}

static void stop_at(struct replay *r, unsigned line, const char *why)
{
    ht_snprintf(r->stopped, sizeof(r->stopped), "%s:%u: %s", r->name, line, why);
}

/* Line by line: the first is the header, the rest events, until the end
 * or the first bad line. */
int replay_parse(struct replay *r, const char *name, const char *text, size_t len, char *err,
                 size_t n)
{
    size_t cap = 0, off = 0;
    unsigned line = 0;

    memset(r, 0, sizeof(*r));
    r->name = xstrdup(name);
    r->speed = 1;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *why = NULL;
        json_error_t jerr;
        json_t *j;

        line++;
        if (end - off > REPLAY_MAX_LINE)
            why = "line too long";
        else if ((j = json_loadb(text + off, end - off, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
            why = nl ? "not valid JSON" : "truncated line";
        else {
            if (line == 1)
                why = parse_header(r, j);
            else {
                XGROW(r->ev, cap, r->nev + 1);
                if ((why = parse_event(r, j, &r->ev[r->nev])) == NULL)
                    r->nev++;
            }
            json_decref(j);
        }
        if (why && line == 1) {
            ht_snprintf(err, n, "%s:1: %s", name, why);
            return -1;
        }
        if (why) {
            stop_at(r, line, why);
            break;
        }
        off = end + 1;
    }
    if (line == 0) {
        ht_snprintf(err, n, "%s: empty recording", name);
        return -1;
    }
    return 0;
}

int replay_load(struct replay *r, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[65536];
    size_t k;
    int rc;

    memset(r, 0, sizeof(*r));
    if (f == NULL) {
        ht_snprintf(err, n, "%s: %s", path, strerror(errno));
        return -1;
    }
    buf_init(&b, REPLAY_MAX_BYTES);
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, k) != 0)
            break;
    if (ferror(f) || b.over) {
        ht_snprintf(err, n, "%s: %s", path, b.over ? "too big to replay" : strerror(errno));
        fclose(f);
        buf_free(&b);
        return -1;
    }
    fclose(f);
    rc = replay_parse(r, path, b.data ? b.data : "", b.len, err, n);
    buf_free(&b);
    return rc;
}

void replay_free(struct replay *r)
{
    for (size_t i = 0; i < r->sched.nsvcs; i++)
        history_free(&r->sched.svcs[i].history);
    free(r->sched.svcs);
    config_free(&r->cfg);
    free(r->ev);
    free(r->name);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Playing                                                             */

static void apply(struct replay *r, const struct replay_event *e)
{
    struct scheduler *s = &r->sched;
    struct service *svc = &s->svcs[e->svc];
    enum health_state old = svc->health.state;
    int64_t now = s->t0_ms + e->t_ms;
    struct probe_result res;
    bool changed;

    memset(&res, 0, sizeof(res));
    res.ok = e->ok;
    res.up = e->up;
    res.found = e->found;
    res.listening = -1;
    res.latency_us = e->latency_us;
    res.connect_us = -1;
    ht_strlcpy(res.message, e->message, sizeof(res.message));
    svc->last = res;
    svc->has_result = true;
    svc->probes++;
    svc->health.expected = svc->cfg->replicas;
    changed = health_set(&svc->health, (enum health_state)e->state, &res, now);
    history_push(&svc->history, svc->health.state, e->ok, e->latency_us, e->message, now,
                 e->wall_ms);
    if (changed)
        history_transition(&svc->history, old, svc->health.state, e->message, now, e->wall_ms);
    for (int i = 0; i < s->nobservers; i++)
        s->observers[i].cb(s, svc, changed, old, s->observers[i].ud);
}

bool replay_step(struct replay *r)
{
    if (r->next >= r->nev)
        return false;
    apply(r, &r->ev[r->next]);
    r->pos_ms = r->ev[r->next].t_ms;
    r->next++;
    return true;
}

int64_t replay_end_ms(const struct replay *r)
{
    return r->nev ? r->ev[r->nev - 1].t_ms : 0;
}

bool replay_done(const struct replay *r)
{
    return r->next >= r->nev;
}

/* Going back means starting over: the model is rebuilt from T+0. */
void replay_seek(struct replay *r, int64_t t_ms)
{
    struct scheduler *s = &r->sched;

    if (t_ms < 0)
        t_ms = 0;
    if (t_ms > replay_end_ms(r))
        t_ms = replay_end_ms(r);
    if (t_ms < r->pos_ms) {
        for (size_t i = 0; i < s->nsvcs; i++) {
            struct service *svc = &s->svcs[i];
            health_init(&svc->health, s->t0_ms);
            history_free(&svc->history);
            history_init(&svc->history, r->cfg.history_ms, svc->cfg->interval_ms);
            memset(&svc->last, 0, sizeof(svc->last));
            svc->has_result = false;
            svc->probes = 0;
        }
        r->next = 0;
    }
    while (r->next < r->nev && r->ev[r->next].t_ms <= t_ms)
        replay_step(r);
    r->pos_ms = t_ms;
    r->anchor_pos_ms = t_ms;
    r->anchor_real_ms = ht_now_ms();
}

static void on_tick(uv_timer_t *t)
{
    struct replay *r = t->data;
    int64_t target;

    if (r->paused)
        return;
    target = r->anchor_pos_ms + (int64_t)((double)(ht_now_ms() - r->anchor_real_ms) * r->speed);
    while (r->next < r->nev && r->ev[r->next].t_ms <= target)
        replay_step(r);
    r->pos_ms = target < replay_end_ms(r) ? target : replay_end_ms(r);
}

void replay_start(struct replay *r, uv_loop_t *loop, double speed)
{
    r->speed = speed > 0 ? speed : 1;
    r->anchor_pos_ms = r->pos_ms;
    r->anchor_real_ms = ht_now_ms();
    r->sched.loop = loop;
    if (!r->timer_on) {
        uv_timer_init(loop, &r->timer);
        r->timer.data = r;
        r->timer_on = true;
    }
    uv_timer_start(&r->timer, on_tick, 0, TICK_MS);
}

void replay_pause(struct replay *r, bool paused)
{
    if (r->paused == paused)
        return;
    r->paused = paused;
    r->anchor_pos_ms = r->pos_ms;
    r->anchor_real_ms = ht_now_ms();
}

void replay_set_speed(struct replay *r, double speed)
{
    if (!(speed > 0))
        return;
    r->anchor_pos_ms = r->pos_ms;
    r->anchor_real_ms = ht_now_ms();
    r->speed = speed;
}

void replay_stop(struct replay *r)
{
    if (r->timer_on && !r->timer_closing) {
        r->timer_closing = true;
        uv_close((uv_handle_t *)&r->timer, NULL);
    }
}

/* The dashboard's source (tui.h) in a replay: the recording played on
 * the dashboard's loop, which probes nothing. */
static int source_start(struct scheduler *s, void *ud)
{
    struct replay *r = ud;
    replay_start(r, s->loop, r->speed);
    return 0;
}

/* The model has no handles: only the replay's timer closes. */
static void source_stop(struct scheduler *s, void *ud)
{
    (void)s;
    replay_stop(ud);
}

static void source_pause(struct scheduler *s, void *ud, bool paused)
{
    replay_pause(ud, paused);
    s->paused = paused; /* the model shows PAUSED like a live run */
}

static int64_t source_position(void *ud)
{
    return ((const struct replay *)ud)->pos_ms;
}

static bool source_step(void *ud)
{
    return replay_step(ud);
}

static void source_seek(void *ud, int64_t delta_ms)
{
    struct replay *r = ud;
    replay_seek(r, r->pos_ms + delta_ms);
}

static void source_speed(void *ud, double factor)
{
    struct replay *r = ud;
    replay_set_speed(r, r->speed * factor);
}

static void source_where(void *ud, char *buf, size_t n)
{
    const struct replay *r = ud;
    char at[32], end[32];

    timeline_offset(r->pos_ms, at, sizeof(at));
    timeline_offset(replay_end_ms(r), end, sizeof(end));
    ht_snprintf(buf, n, "replay %s/%s x%g%s%s", at, end, r->speed, replay_done(r) ? " end" : "",
                replay_done(r) && r->stopped[0] ? " (recording cut short)" : "");
}

int replay_run_tui(struct replay *r, struct tui_opts *o, double speed)
{
    struct tui_source src = {
        .start = source_start,
        .stop = source_stop,
        .pause = source_pause,
        .position = source_position,
        .step = source_step,
        .seek = source_seek,
        .speed = source_speed,
        .where = source_where,
        .ud = r,
    };
    uv_loop_t loop;
    int rc;

    if (uv_loop_init(&loop) != 0)
        return 2;
    r->sched.loop = &loop;
    r->speed = speed > 0 ? speed : 1;
    o->source = &src;
    rc = tui_run(&r->sched, o);
    o->source = NULL;
    r->sched.loop = NULL;
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "healthtop: internal error: handles left open at exit\n");
    return rc;
}

/* ------------------------------------------------------------------ */
/* Non-interactive                                                     */

static void print_change(struct scheduler *s, struct service *svc, bool changed,
                         enum health_state old, void *ud)
{
    FILE *out = ud;
    enum health_state st = svc->health.state;
    char at[32];

    (void)old;
    if (!changed)
        return;
    timeline_offset(svc->health.since_ms - s->t0_ms, at, sizeof(at));
    fprintf(out, "%s %s %s", at, svc->cfg->name, health_state_name(st));
    if (st != HEALTH_HEALTHY && svc->last.message[0])
        fprintf(out, ": %s", svc->last.message);
    fputc('\n', out);
}

int replay_report(struct replay *r, FILE *out, enum report_format fmt, bool ascii)
{
    bool document = report_format_is_document(fmt);
    int code;

    if (!document)
        sched_observe(&r->sched, print_change, out);
    replay_seek(r, INT64_MAX);
    if (!document) {
        struct report_style st;
        report_style_detect(&st, out, ascii);
        timeline_text(out, &r->sched, r->sched.t0_ms + replay_end_ms(r), 80, &st);
        fputc('\n', out);
    }
    report_write(out, fmt, &r->sched, ascii);
    code = report_exit_code(&r->sched);
    if (r->stopped[0]) {
        fprintf(stderr, "healthtop: replay stopped at %s\n", r->stopped);
        code = 1;
    }
    return code;
}
