/* The scheduler: timers, in-flight limits, and the path of every result
 * through health and history to the observers. */
#include "healthtop/scheduler.h"

#include <stdlib.h>
#include <string.h>
#include "healthtop/util.h"

static void sched_dispatch(struct service *svc, bool manual);

/* xorshift: jitter needs spread, not quality, and must not touch rand(). */
static uint32_t jitter_state = 2463534242u;

static uint64_t jitter_ms(int64_t interval_ms)
{
    uint32_t x = jitter_state;
    int64_t span = interval_ms / 10;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    jitter_state = x;
    if (span > 1000)
        span = 1000;
    return span > 0 ? x % (uint64_t)span : 0;
}

/* Room for the rows every source may make: set aside once, so that a
 * service of the config (its timer, its probe in flight) never moves. */
static size_t rows_room(const struct ht_config *cfg)
{
    size_t n = 0;

    for (size_t i = 0; i < cfg->nsvcs; i++)
        n += probe_max_rows(&cfg->svcs[i]);
    return n;
}

int sched_init(struct scheduler *s, uv_loop_t *loop, const struct ht_config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->cfg = cfg;
    s->max_inflight = cfg->max_inflight > 0 ? cfg->max_inflight : CONFIG_DEFAULT_MAX_INFLIGHT;
    s->t0_ms = ht_now_ms();
    s->t0_wall_ms = ht_wall_ms();
    s->origin_ms = s->t0_ms;
    jitter_state ^= (uint32_t)uv_hrtime() | 1u;
    if (probe_env_init(&s->env, loop) != 0)
        return -1;
    s->nsvcs = s->nconfig = cfg->nsvcs;
    s->cap = cfg->nsvcs + rows_room(cfg);
    s->svcs = ht_table_alloc(s->cap, sizeof(*s->svcs));
    for (size_t i = 0; i < cfg->nsvcs; i++) {
        struct service *svc = &s->svcs[i];
        svc->cfg = &cfg->svcs[i];
        svc->idx = i;
        svc->sched = s;
        svc->max_rows = probe_max_rows(svc->cfg);
        svc->rows_at = cfg->nsvcs;
        health_init(&svc->health, s->t0_ms);
        history_init(&svc->history, cfg->history_ms, svc->cfg->interval_ms);
        uv_timer_init(loop, &svc->timer);
        svc->timer.data = svc;
    }
    uv_idle_init(loop, &s->starter);
    s->starter.data = s;
    return 0;
}

void sched_observe(struct scheduler *s, sched_observer_cb cb, void *ud)
{
    if (s->nobservers < SCHED_MAX_OBSERVERS) {
        s->observers[s->nobservers].cb = cb;
        s->observers[s->nobservers].ud = ud;
        s->nobservers++;
    }
}

static void on_starter(uv_idle_t *h);

static void due_unlink(struct service *svc)
{
    struct scheduler *s = svc->sched;

    if (!svc->due)
        return;
    if (svc->due_prev)
        svc->due_prev->due_next = svc->due_next;
    else
        s->due_head = svc->due_next;
    if (svc->due_next)
        svc->due_next->due_prev = svc->due_prev;
    else
        s->due_tail = svc->due_prev;
    svc->due = false;
    svc->due_manual = false;
    svc->due_prev = svc->due_next = NULL;
}

/* svc waits its turn to start (on_starter), behind those due before it. */
static void due_push(struct service *svc)
{
    struct scheduler *s = svc->sched;

    svc->due = true;
    svc->due_prev = s->due_tail;
    svc->due_next = NULL;
    if (s->due_tail)
        s->due_tail->due_next = svc;
    else
        s->due_head = svc;
    s->due_tail = svc;
    uv_idle_start(&s->starter, on_starter);
}

/* The timer does not start the probe itself: a thousand timers expiring
 * in one turn would start a thousand probes there (and curl would connect
 * them all in its next call), with a key press waiting behind them. */
static void on_timer(uv_timer_t *t)
{
    struct service *svc = t->data;
    struct scheduler *s = svc->sched;

    if (svc->due || s->closing)
        return;
    due_push(svc);
}

/* Timers expire on ticks of the loop's clock, a fortieth of the interval
 * (at most SCHED_TICK_MAX_MS): the probes due within one tick start
 * together, and their answers come back together, so the loop (and each
 * target) wakes once a tick rather than once a probe. At 10,000 services
 * at 10 s, a wake-up per probe was half of the CPU (context switches, the
 * poll's locking, the targets' wake-ups). Rounding is always up: a probe
 * never starts sooner than its interval allows. */
static uint64_t tick_align(const struct service *svc, uint64_t delay_ms, int64_t interval_ms)
{
    int64_t tick = interval_ms / SCHED_TICK_DIV;
    uint64_t now, at;

    if (tick > SCHED_TICK_MAX_MS)
        tick = SCHED_TICK_MAX_MS;
    if (tick < 2)
        return delay_ms;
    now = uv_now(svc->sched->loop);
    at = (now + delay_ms + (uint64_t)tick - 1) / (uint64_t)tick * (uint64_t)tick;
    return at - now;
}

/* The kinds whose rows of one target share a round (celery, docker). */
static bool shares_rounds(const struct service *svc)
{
    return (probe_ops_get(svc->cfg->kind)->flags & PROBE_F_SHARES_ROUNDS) != 0;
}

static void schedule_next(struct service *svc, uint64_t delay_ms, int64_t interval_ms)
{
    uv_timer_start(&svc->timer, on_timer, tick_align(svc, delay_ms, interval_ms), 0);
}

/* As in Docker: start_interval while the service is starting inside its
 * start_period, interval otherwise. */
static int64_t next_interval(const struct service *svc, int64_t now_ms)
{
    const struct health *h = &svc->health;
    bool starting = h->state == HEALTH_UNKNOWN || h->state == HEALTH_STARTING;

    if (starting && svc->cfg->start_interval_ms > 0 &&
        now_ms - h->started_ms < svc->cfg->start_period_ms)
        return svc->cfg->start_interval_ms;
    return svc->cfg->interval_ms;
}

/* Every result, whether the probe finished on the loop or failed at
 * once, comes through here exactly once. */
static void sched_finish(struct service *svc)
{
    struct scheduler *s = svc->sched;
    const struct probe_result *r = &svc->probe.result;
    int64_t now = ht_now_ms(), wall = ht_wall_ms();
    enum health_state old = svc->health.state;
    bool changed;

    s->inflight--;
    /* A probe cancelled by sched_close says "cancelled": that is not news
     * about the service, and the final report must keep the last real
     * result (a --wait ending at its deadline showed "cancelled"). */
    if (s->closing) {
        probe_rows_clear(&svc->probe.rows);
        return;
    }
    svc->last = *r;
    svc->has_result = true;
    svc->probes++;

    if (r->since_wall_ms > 0) {
        int64_t lead = s->t0_wall_ms - r->since_wall_ms;
        if (lead > 0 && lead <= SCHED_ORIGIN_WINDOW_MS && s->t0_ms - lead < s->origin_ms)
            s->origin_ms = s->t0_ms - lead;
    }
    if (s->once)
        changed = health_set(&svc->health, health_verdict(svc->cfg, r), r, now);
    else
        changed = health_apply_at(&svc->health, svc->cfg, r, svc->probe.started_us / 1000, now);
    history_push(&svc->history, svc->health.state, health_is_up(health_verdict(svc->cfg, r)),
                 r->latency_us, r->message, now, wall);
    if (changed)
        history_transition(&svc->history, old, svc->health.state, r->message, now, wall);

    if (s->once)
        s->done_once++;
    else if (!s->paused) {
        int64_t next = next_interval(svc, now);
        /* Rows that shared a round end together: unjittered, they are
         * due on the same tick and share the next round too. */
        schedule_next(svc, (uint64_t)next + (shares_rounds(svc) ? 0 : jitter_ms(next)), next);
    }

    if (svc->max_rows > 0)
        sched_rows_apply(s, svc, &svc->probe.rows, now, wall);
    for (int i = 0; i < s->nobservers; i++)
        s->observers[i].cb(s, svc, changed, old, s->observers[i].ud);

    if (svc->rewake && !s->once) {
        svc->rewake = false;
        sched_probe_now(s, svc);
    }
    /* A slot freed: start the longest-waiting probe. */
    while (s->queue_head && s->inflight < s->max_inflight && !s->closing) {
        struct service *next = s->queue_head;
        s->queue_head = next->next_queued;
        if (s->queue_head == NULL)
            s->queue_tail = NULL;
        next->queued = false;
        next->next_queued = NULL;
        sched_dispatch(next, true);
    }
}

static void on_probe_done(struct probe *p)
{
    sched_finish(p->data);
}

static void sched_dispatch(struct service *svc, bool manual)
{
    struct scheduler *s = svc->sched;

    if (s->closing || svc->probe.inflight || svc->queued || (s->paused && !manual))
        return;
    if (s->inflight >= s->max_inflight) {
        svc->queued = true;
        if (s->queue_tail)
            s->queue_tail->next_queued = svc;
        else
            s->queue_head = svc;
        s->queue_tail = svc;
        return;
    }
    s->inflight++;
    svc->probe.data = svc;
    if (probe_start(&svc->probe, &s->env, svc->cfg, on_probe_done) != 0)
        sched_finish(svc);
}

/* Why batches: a thousand probes started in one go make curl connect a
 * thousand sockets in one call, and no request goes out before the last
 * socket is open, so the targets' answer time only starts to run after
 * the whole set-up (about 100 ms at 1,000 HTTP targets here), and nothing
 * else on the loop (keys) runs meanwhile. Started a batch per loop turn
 * (an idle handle keeps the loop from blocking meanwhile), the first
 * requests are sent, and their answers read, while later probes are
 * still being set up. The due go first, oldest first. */
static void on_starter(uv_idle_t *h)
{
    struct scheduler *s = h->data;
    int n = 0;

    for (; s->due_head && n < SCHED_START_BATCH && !s->closing; n++) {
        struct service *svc = s->due_head;
        bool manual = svc->due_manual;
        due_unlink(svc);
        sched_dispatch(svc, manual);
    }
    for (; s->once && s->start_next < s->nconfig && n < SCHED_START_BATCH && !s->closing; n++)
        sched_dispatch(&s->svcs[s->start_next++], false);
    if ((s->due_head == NULL && (!s->once || s->start_next >= s->nconfig)) || s->closing)
        uv_idle_stop(h);
}

/* When service i of n probes first: the services are spaced evenly over
 * a window of a tenth of the interval (at most 100 ms), widened to n
 * milliseconds (at most the interval) when there are many, so that
 * 10,000 services at 10 s start 1,000 a second rather than all in the
 * first second and then come back together as one wave every interval:
 * each wave opened thousands of connections and queued its results. */
static uint64_t first_delay_ms(const struct scheduler *s, size_t i)
{
    int64_t interval = s->svcs[i].cfg->interval_ms;
    int64_t window = (interval < 1000 ? interval : 1000) / 10;
    int64_t wide = (int64_t)s->nsvcs < interval ? (int64_t)s->nsvcs : interval;

    if (wide > window)
        window = wide;
    return (uint64_t)(window * (int64_t)i / (int64_t)s->nsvcs);
}

/* probe_env.wake: a kind says svc has news (the docker event stream). */
static void sched_wake(void *ud, const struct svc_config *cfg)
{
    struct scheduler *s = ud;

    if (s->closing || s->paused)
        return;
    for (size_t i = 0; i < s->nconfig; i++) {
        struct service *svc = &s->svcs[i];
        if (svc->cfg != cfg)
            continue;
        if (svc->probe.inflight || svc->queued)
            svc->rewake = true;
        else
            sched_probe_now(s, svc);
        return;
    }
}

void sched_start(struct scheduler *s, bool once)
{
    s->once = once;
    s->env.wake = once ? NULL : sched_wake;
    s->env.wake_ud = s;
    s->t0_ms = ht_now_ms();
    s->t0_wall_ms = ht_wall_ms();
    s->origin_ms = s->t0_ms;
    for (size_t i = 0; i < s->nconfig; i++) {
        struct service *svc = &s->svcs[i];
        health_init(&svc->health, s->t0_ms);
        /* The kinds that share rounds start together, in the first tick. */
        if (!once)
            schedule_next(svc, shares_rounds(svc) ? 0 : first_delay_ms(s, i),
                          svc->cfg->interval_ms);
    }
    if (once) {
        s->start_next = 0;
        on_starter(&s->starter); /* the first batch at once */
        if (s->start_next < s->nconfig)
            uv_idle_start(&s->starter, on_starter);
    }
}

void sched_probe_now(struct scheduler *s, struct service *svc)
{
    if (svc->source) /* a row is probed with its source */
        svc = svc->source;
    if (s->closing || svc->probe.inflight || svc->queued)
        return;
    uv_timer_stop(&svc->timer);
    due_unlink(svc);
    sched_dispatch(svc, true);
}

/* Not started here: a thousand services would start in this one turn. */
void sched_probe_all(struct scheduler *s)
{
    /* The config's services: a source's rows are probed by their source. */
    for (size_t i = 0; i < s->nconfig && !s->closing; i++) {
        struct service *svc = &s->svcs[i];
        if (svc->probe.inflight || svc->queued)
            continue;
        uv_timer_stop(&svc->timer);
        if (!svc->due)
            due_push(svc);
        svc->due_manual = true;
    }
}

void sched_pause(struct scheduler *s, bool paused)
{
    if (s->paused == paused || s->closing)
        return;
    s->paused = paused;
    for (size_t i = 0; i < s->nconfig; i++) {
        struct service *svc = &s->svcs[i];
        if (paused) {
            uv_timer_stop(&svc->timer);
            due_unlink(svc);
        } else if (!svc->probe.inflight && !svc->queued)
            schedule_next(svc, shares_rounds(svc) ? 0 : jitter_ms(svc->cfg->interval_ms),
                          svc->cfg->interval_ms);
    }
}

static void handle_closed(struct scheduler *s)
{
    if (--s->open_handles == 0 && s->close_cb)
        s->close_cb(s);
}

static void on_timer_closed(uv_handle_t *h)
{
    handle_closed(((struct service *)h->data)->sched);
}

static void on_starter_closed(uv_handle_t *h)
{
    handle_closed(h->data);
}

void sched_close(struct scheduler *s, void (*cb)(struct scheduler *s))
{
    if (s->closing)
        return;
    s->closing = true;
    s->close_cb = cb;
    s->queue_head = s->queue_tail = NULL;
    for (size_t i = 0; i < s->nconfig; i++) {
        struct service *svc = &s->svcs[i];
        due_unlink(svc);
        svc->queued = false;
        probe_cancel(&svc->probe);
    }
    probe_env_close(&s->env);
    s->open_handles = (int)s->nconfig + 1;
    for (size_t i = 0; i < s->nconfig; i++)
        uv_close((uv_handle_t *)&s->svcs[i].timer, on_timer_closed);
    uv_close((uv_handle_t *)&s->starter, on_starter_closed);
}

void sched_free(struct scheduler *s)
{
    sched_rows_free(s);
    for (size_t i = 0; i < s->nsvcs; i++) {
        history_free(&s->svcs[i].history);
        probe_rows_free(&s->svcs[i].probe.rows);
    }
    ht_table_free(s->svcs, s->cap, sizeof(*s->svcs));
    s->svcs = NULL;
    s->nsvcs = 0;
    s->cap = 0;
}

void sched_counts(const struct scheduler *s, int *counts)
{
    memset(counts, 0, sizeof(int) * HEALTH_STATE_COUNT);
    for (size_t i = 0; i < s->nsvcs; i++)
        counts[s->svcs[i].health.state]++;
}

enum health_state sched_overall(const struct scheduler *s)
{
    int c[HEALTH_STATE_COUNT];

    sched_counts(s, c);
    if (c[HEALTH_UNHEALTHY])
        return HEALTH_UNHEALTHY;
    if (c[HEALTH_DEGRADED])
        return HEALTH_DEGRADED;
    if (c[HEALTH_STARTING] || c[HEALTH_UNKNOWN])
        return HEALTH_STARTING;
    return s->nsvcs && c[HEALTH_SKIPPED] == (int)s->nsvcs ? HEALTH_SKIPPED : HEALTH_HEALTHY;
}
