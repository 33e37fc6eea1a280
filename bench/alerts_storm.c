/* bench_alerts: an alert storm, headless.
 *
 *   bench_alerts -w WEBHOOK_URL -a ALERTMANAGER_URL [-n CHANGES] [-d MS]
 *
 * Builds a config of CHANGES services (default 1000) in stacks of ten: a
 * root and nine services that depend on it, so root-cause grouping has
 * work to do; two routes: a webhook (a sink that answers 200, started by
 * bench/alerts.sh), grouping by root cause, and an Alertmanager that is
 * down (a refused port, root_cause: false, so that all CHANGES queue:
 * every delivery fails and is retried, its queue fills). The scheduler
 * is set up as the binary does, but no probe runs: the storm is CHANGES
 * state changes (every service from healthy to unhealthy, roots first in
 * each stack) made over MS milliseconds (default 1000) by a timer, each
 * handed to the observers exactly as the scheduler does after a result.
 * The loop runs a second more for the deliveries to go out.
 *
 * Prints one line:
 *
 *   changes passes cpu_ms peak_queue queue_max dropped webhook_ok am_failed
 *
 * cpu_ms is healthtop's own CPU (user + system, getrusage of this
 * process) from the first change to the end; peak_queue the longest any
 * route's queue was at any pass, against queue_max (ALERTS_QUEUE_MAX). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>
#include "healthtop/alerts.h"
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "alerts/engine.h"

struct storm {
    struct scheduler s;
    struct alerts *al;
    uv_timer_t tick, end;
    size_t next, n;
    size_t per_tick;
    size_t peak;
};

static double cpu_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void note_peak(struct storm *st)
{
    for (size_t i = 0; i < st->al->nsinks; i++)
        if (st->al->sinks[i]->qlen > st->peak)
            st->peak = st->al->sinks[i]->qlen;
}

static void on_tick(uv_timer_t *t)
{
    struct storm *st = t->data;

    note_peak(st);
    for (size_t k = 0; k < st->per_tick && st->next < st->n; k++, st->next++) {
        struct service *svc = &st->s.svcs[st->next];
        struct probe_result r;
        enum health_state old = svc->health.state;

        memset(&r, 0, sizeof(r));
        ht_strlcpy(r.message, "connection refused", sizeof(r.message));
        health_set(&svc->health, HEALTH_UNHEALTHY, &r, ht_now_ms());
        svc->last = r;
        svc->has_result = true;
        for (int o = 0; o < st->s.nobservers; o++)
            st->s.observers[o].cb(&st->s, svc, true, old, st->s.observers[o].ud);
    }
    if (st->next >= st->n)
        uv_timer_stop(t);
}

static void on_end(uv_timer_t *t)
{
    struct storm *st = t->data;

    note_peak(st);
    uv_timer_stop(&st->tick);
    uv_close((uv_handle_t *)&st->tick, NULL);
    uv_close((uv_handle_t *)&st->end, NULL);
    alerts_close(st->al);
    sched_close(&st->s, NULL);
}

static char *storm_config(size_t n, const char *webhook, const char *am)
{
    size_t cap = 256 + n * 96 + strlen(webhook) + strlen(am);
    char *y = xmalloc(cap);
    size_t len;

    ht_snprintf(
        y, cap,
        "alerts:\n  - webhook: %s\n  - alertmanager: %s\n    timeout: 1s\n    root_cause: false\n"
        "defaults: {interval: 1h}\nservices:\n",
        webhook, am);
    for (size_t i = 0; i < n; i++) {
        len = strlen(y);
        if (i % 10 == 0)
            ht_snprintf(y + len, cap - len, "  s%zu: {tcp: '127.0.0.1:1'}\n", i);
        else
            ht_snprintf(y + len, cap - len, "  s%zu: {tcp: '127.0.0.1:1', depends_on: [s%zu]}\n", i,
                        i - i % 10);
    }
    return y;
}

int main(int argc, char **argv)
{
    const char *webhook = NULL, *am = NULL;
    size_t n = 1000;
    long span_ms = 1000;
    struct ht_config cfg;
    struct storm st;
    uv_loop_t loop;
    char err[4096], *text;
    double cpu0;
    int c;

    while ((c = getopt(argc, argv, "w:a:n:d:")) != -1) {
        if (c == 'w')
            webhook = optarg;
        else if (c == 'a')
            am = optarg;
        else if (c == 'n')
            n = (size_t)strtoul(optarg, NULL, 10);
        else if (c == 'd')
            span_ms = strtol(optarg, NULL, 10);
    }
    if (webhook == NULL || am == NULL || n == 0 || span_ms <= 0) {
        fprintf(stderr, "usage: bench_alerts -w WEBHOOK_URL -a ALERTMANAGER_URL [-n N] [-d MS]\n");
        return 2;
    }
    text = storm_config(n, webhook, am);
    if (config_parse("storm.yml", text, strlen(text), &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    free(text);
    memset(&st, 0, sizeof(st));
    uv_loop_init(&loop);
    if (sched_init(&st.s, &loop, &cfg) != 0)
        return 2;
    for (size_t i = 0; i < st.s.nsvcs; i++) {
        struct probe_result r;
        memset(&r, 0, sizeof(r));
        r.ok = true;
        health_set(&st.s.svcs[i].health, HEALTH_HEALTHY, &r, ht_now_ms());
    }
    st.al = alerts_new(&cfg);
    alerts_attach(st.al, &st.s);
    st.n = n;
    /* A tick a millisecond: CHANGES spread evenly over MS. */
    st.per_tick = (n + (size_t)span_ms - 1) / (size_t)span_ms;
    uv_timer_init(&loop, &st.tick);
    uv_timer_init(&loop, &st.end);
    st.tick.data = st.end.data = &st;
    cpu0 = cpu_ms();
    uv_timer_start(&st.tick, on_tick, 1, 1);
    uv_timer_start(&st.end, on_end, (uint64_t)span_ms + 1000, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("%llu %llu %.1f %zu %d %llu %llu %llu\n", (unsigned long long)st.al->changes,
           (unsigned long long)st.al->passes, cpu_ms() - cpu0, st.peak, ALERTS_QUEUE_MAX,
           (unsigned long long)st.al->sinks[0]->dropped +
               (unsigned long long)st.al->sinks[1]->dropped,
           (unsigned long long)st.al->sinks[0]->ok, (unsigned long long)st.al->sinks[1]->failed);
    uv_loop_close(&loop);
    alerts_free(st.al);
    sched_free(&st.s);
    config_free(&cfg);
    secret_clear();
    return 0;
}
