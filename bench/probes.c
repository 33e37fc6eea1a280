/* bench_probes: what healthtop's probing costs in CPU, without a screen.
 *
 *   bench_probes -c FILE [-n COUNT] [-w WARMUP] [-t SECONDS]
 *
 * Runs the scheduler of FILE in its normal (continuous) mode, on the same
 * code the binary runs (htcore), and measures this process's user and
 * system CPU (getrusage, all threads) between result number WARMUP and
 * result number WARMUP + COUNT. The warm-up leaves out start-up: loading
 * the config, setting up curl and the first connections, which a
 * dashboard pays once. Prints one line:
 *
 *   probes wall_us user_us sys_us failed maxrss_kb median_latency_us
 *
 * -t ends the run after SECONDS whatever the count (exit 1). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "healthtop/util.h"

struct bench {
    uv_loop_t loop;
    struct scheduler sched;
    uv_timer_t stop;
    uint64_t results, warmup, count, failed;
    int64_t *lat; /* latency of each measured result, -1 when none */
    int64_t t0_us, t1_us;
    struct rusage ru0, ru1;
    bool finished, complete;
};

static int64_t tv_us(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void on_stop(uv_timer_t *t)
{
    struct bench *b = t->data;
    uv_close((uv_handle_t *)&b->stop, NULL);
    sched_close(&b->sched, NULL);
}

/* Observers run inside the probe kinds' callbacks: close from a timer. */
static void finish(struct bench *b)
{
    if (b->finished)
        return;
    b->finished = true;
    uv_timer_start(&b->stop, on_stop, 0, 0);
}

static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct bench *b = ud;

    (void)s, (void)changed, (void)old;
    if (b->finished)
        return;
    b->results++;
    if (b->results == b->warmup) {
        getrusage(RUSAGE_SELF, &b->ru0);
        b->t0_us = (int64_t)(uv_hrtime() / 1000);
    } else if (b->results > b->warmup) {
        b->lat[b->results - b->warmup - 1] = svc->last.latency_us;
        if (!svc->last.ok)
            b->failed++;
    }
    if (b->results == b->warmup + b->count) {
        getrusage(RUSAGE_SELF, &b->ru1);
        b->t1_us = (int64_t)(uv_hrtime() / 1000);
        b->complete = true;
        finish(b);
    }
}

static void on_deadline(uv_timer_t *t)
{
    finish(t->data);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median_latency(struct bench *b)
{
    qsort(b->lat, b->count, sizeof(*b->lat), cmp_i64);
    return b->lat[b->count / 2];
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_probes -c FILE [-n COUNT] [-w WARMUP] [-t SECONDS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct bench b;
    struct ht_config cfg;
    const char *path = NULL;
    char err[8192];
    long seconds = 120;
    uv_timer_t deadline;
    int c;

    b.count = 10000;
    b.warmup = 0;
    while ((c = getopt(argc, argv, "c:n:w:t:")) != -1) {
        if (c == 'c')
            path = optarg;
        else if (c == 'n')
            b.count = strtoull(optarg, NULL, 10);
        else if (c == 'w')
            b.warmup = strtoull(optarg, NULL, 10);
        else if (c == 't')
            seconds = strtol(optarg, NULL, 10);
        else
            return usage();
    }
    if (!path || b.count == 0)
        return usage();
    signal(SIGPIPE, SIG_IGN);
    if (config_load(path, &cfg, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        return 2;
    }
    b.lat = xcalloc(b.count, sizeof(*b.lat));
    if (b.warmup == 0)
        b.warmup = cfg.nsvcs; /* every service once: connections are open */
    if (uv_loop_init(&b.loop) != 0 || sched_init(&b.sched, &b.loop, &cfg) != 0) {
        fprintf(stderr, "bench_probes: cannot set up the scheduler\n");
        return 2;
    }
    uv_timer_init(&b.loop, &b.stop);
    b.stop.data = &b;
    uv_timer_init(&b.loop, &deadline);
    deadline.data = &b;
    uv_timer_start(&deadline, on_deadline, (uint64_t)seconds * 1000, 0);
    uv_unref((uv_handle_t *)&deadline);
    sched_observe(&b.sched, on_result, &b);
    sched_start(&b.sched, false);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&b.loop) != 0)
        fprintf(stderr, "bench_probes: handles left open\n");
    sched_free(&b.sched);
    config_free(&cfg);
    secret_clear();
    if (!b.complete) {
        fprintf(stderr, "bench_probes: only %llu of %llu results in %lds\n",
                (unsigned long long)b.results, (unsigned long long)(b.warmup + b.count), seconds);
        free(b.lat);
        return 1;
    }
    printf("%llu %lld %lld %lld %llu %ld %lld\n", (unsigned long long)b.count,
           (long long)(b.t1_us - b.t0_us),
           (long long)(tv_us(b.ru1.ru_utime) - tv_us(b.ru0.ru_utime)),
           (long long)(tv_us(b.ru1.ru_stime) - tv_us(b.ru0.ru_stime)), (unsigned long long)b.failed,
           b.ru1.ru_maxrss, (long long)median_latency(&b));
    free(b.lat);
    return 0;
}
