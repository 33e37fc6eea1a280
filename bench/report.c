/* bench_report: what one scrape of the state costs, at scale (issue 12).
 *
 *   bench_report -c FILE [-n ROUNDS] [-d DOWN]
 *
 * Loads FILE and sets its scheduler up as the binary does (no probe
 * started), gives every service a result, and makes DOWN services down
 * the way a failing dependency does it: the first service of each group
 * (its other services depend on it) unhealthy, and then its dependants,
 * group by group, unhealthy too, until DOWN are down. Then builds ROUNDS
 * times each of the two documents the listener serves: /api/v1/state
 * (report_json_write, compact) and /metrics (metrics_write, Prometheus
 * text). Prints one line, the CPU time (CLOCK_PROCESS_CPUTIME_ID) of one
 * document, median over the rounds, and its size:
 *
 *   services down state_us state_bytes metrics_us metrics_bytes metrics_first_us
 *
 * metrics_first_us is the first round's /metrics: the label sets and the
 * exposition's size are kept from one scrape to the next (metrics.h), so
 * the first scrape after a start, a reload or rows coming and going pays
 * for making them, and for faulting in the exposition's pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/report.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "healthtop/util.h"
#include "metrics.h"

static int64_t cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A result as a probe would leave it. */
static void give_result(struct scheduler *s, struct metrics *m, struct service *svc, bool ok)
{
    struct probe_result *r = &svc->last;

    memset(r, 0, sizeof(*r));
    r->ok = ok;
    r->up = r->found = ok;
    r->latency_us = 1200 + (int64_t)svc->idx % 900;
    r->listening = -1;
    ht_snprintf(r->message, sizeof(r->message), ok ? "HTTP 200" : "connection refused");
    svc->has_result = true;
    svc->probes = 100;
    health_set(&svc->health, ok ? HEALTH_HEALTHY : HEALTH_UNHEALTHY, r, s->t0_ms);
    metrics_observe(m, svc->idx, r);
}

static int usage(void)
{
    fputs("usage: bench_report -c FILE [-n ROUNDS] [-d DOWN]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int rounds = 20, c;
    size_t down = 0, ndown = 0;
    struct ht_config cfg;
    struct scheduler sched;
    struct metrics m;
    uv_loop_t loop;
    char err[4096];

    while ((c = getopt(argc, argv, "c:n:d:")) != -1) {
        if (c == 'c')
            path = optarg;
        else if (c == 'n')
            rounds = atoi(optarg);
        else if (c == 'd')
            down = strtoul(optarg, NULL, 10);
        else
            return usage();
    }
    if (!path || rounds < 1)
        return usage();
    if (config_load(path, &cfg, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        return 2;
    }
    if (uv_loop_init(&loop) != 0 || sched_init(&sched, &loop, &cfg) != 0) {
        fprintf(stderr, "bench_report: cannot set up the scheduler\n");
        return 2;
    }
    memset(&m, 0, sizeof(m));
    metrics_reset(&m, sched.nsvcs);
    /* Whole groups go down, their first service (the one the others
     * depend on) first. */
    for (size_t i = 0; i < sched.nsvcs; i++) {
        bool fail = ndown < down;
        give_result(&sched, &m, &sched.svcs[i], !fail);
        ndown += fail;
    }

    int64_t *st = xcalloc((size_t)rounds, sizeof(*st)), *mt = xcalloc((size_t)rounds, sizeof(*mt));
    size_t st_bytes = 0, mt_bytes = 0;
    struct buf expo; /* kept across scrapes, as the listener keeps it */
    buf_init(&expo, 64u << 20);
    for (int k = 0; k < rounds; k++) {
        int64_t t0 = cpu_us();
        struct buf out;
        buf_init(&out, 64u << 20);
        if (report_json_write(&out, &sched, false) != 0)
            fprintf(stderr, "bench_report: the state document is too large\n");
        st[k] = cpu_us() - t0;
        st_bytes = out.len;
        buf_free(&out);

        t0 = cpu_us();
        buf_reset(&expo);
        if (metrics_write(&expo, &sched, &m, false) != 0)
            fprintf(stderr, "bench_report: the exposition is too large\n");
        mt[k] = cpu_us() - t0;
        mt_bytes = expo.len;
    }
    buf_free(&expo);
    int64_t first = mt[0];
    printf("%zu %zu %lld %zu %lld %zu %lld\n", sched.nsvcs, ndown, (long long)median(st, rounds),
           st_bytes, (long long)median(mt, rounds), mt_bytes, (long long)first);
    free(st);
    free(mt);
    metrics_free(&m);
    sched_close(&sched, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    sched_free(&sched);
    config_free(&cfg);
    secret_clear();
    return 0;
}
