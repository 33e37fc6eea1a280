/* How much CPU an answer of many series costs a rows_by source: the
 * answer of GET /api/v1/query parsed and made into rows (prom_map_rows),
 * then taken by the scheduler (sched_rows_apply: rows matched by name,
 * health, history, observers). No network: the body is made here, as
 * Prometheus writes it, so that only healthtop's own work is measured.
 *
 *   bench_prom_rows [series] [replicas] [runs]
 *
 * series (default 10,000) split into rows of `replicas` series each
 * (default 2: healthtop_service_up scraped from two instances), runs
 * (default 30) answers of each shape. Prints the median and the worst CPU
 * time (CLOCK_PROCESS_CPUTIME_ID) of: the mapping alone; the first answer
 * (every row new); the same rows again (the usual case); and an answer
 * where one row went and another came (every row after it moves). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "probes/prometheus.h"

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* nseries series of healthtop_service_up: service svc-<row> (skip: the
 * row left out, -1 none; extra: a row added at the end), group by tens,
 * instance host-<r>:9464, every 7th down. */
static char *answer(int nseries, int replicas, int skip, bool extra, size_t *len)
{
    size_t cap = 256 + (size_t)(nseries + replicas) * 200, n = 0;
    char *s = malloc(cap);
    int rows = nseries / replicas + (extra ? 1 : 0), k = 0;

    n += (size_t)snprintf(
        s + n, cap - n, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int row = 0; row < rows; row++) {
        if (row == skip)
            continue;
        for (int r = 0; r < replicas; r++, k++)
            n += (size_t)snprintf(
                s + n, cap - n,
                "%s{\"metric\":{\"__name__\":\"healthtop_service_up\",\"group\":\"g%03d\","
                "\"instance\":\"host-%d:9464\",\"job\":\"ht\",\"kind\":\"http\",\"service\":"
                "\"svc-%06d\"},\"value\":[1764700000.123,\"%d\"]}",
                k ? "," : "", row / 10, r, row, k % 7 != 0);
    }
    n += (size_t)snprintf(s + n, cap - n, "]}}");
    *len = n;
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int runs)
{
    qsort(t, (size_t)runs, sizeof(*t), cmp_double);
    printf("%-44s median %7.2f ms   worst %7.2f ms\n", what, t[runs / 2], t[runs - 1]);
}

int main(int argc, char **argv)
{
    int nseries = argc > 1 ? atoi(argv[1]) : 10000;
    int replicas = argc > 2 ? atoi(argv[2]) : 2;
    int runs = argc > 3 ? atoi(argv[3]) : 30;
    double *t_map = calloc((size_t)runs, sizeof(double)),
           *t_new = calloc((size_t)runs, sizeof(double));
    double *t_same = calloc((size_t)runs, sizeof(double)),
           *t_move = calloc((size_t)runs, sizeof(double));
    static const char yml[] =
        "services:\n"
        "  fleet:\n"
        "    prometheus: {url: 'http://127.0.0.1:1', query: up, rows_by: service,\n"
        "                 max_rows: 1000000}\n";
    size_t len, len2;
    char *body, *body2, err[512];
    int64_t now = 1000;

    if (nseries < 1 || replicas < 1 || runs < 1) {
        fprintf(stderr, "usage: bench_prom_rows [series] [replicas] [runs]\n");
        return 2;
    }
    body = answer(nseries, replicas, -1, false, &len);
    body2 = answer(nseries, replicas, 3, true, &len2);
    printf("%d series, %d a row: %d rows; answer %zu bytes\n", nseries, replicas,
           nseries / replicas, len);
    for (int run = 0; run < runs; run++) {
        uv_loop_t loop;
        struct ht_config cfg;
        struct scheduler s;
        struct probe_result r;
        struct probe_rows rows = {0};
        struct prom_room *room;
        double t0;

        if (uv_loop_init(&loop) != 0 ||
            config_parse("b.yml", yml, strlen(yml), &cfg, err, sizeof(err)) != 0 ||
            sched_init(&s, &loop, &cfg) != 0) {
            fprintf(stderr, "set-up failed: %s\n", err);
            return 1;
        }
        /* The mapping alone, with fresh tables. */
        memset(&r, 0, sizeof(r));
        room = prom_room_new();
        t0 = cpu_ms();
        prom_map_rows(body, len, 200, prom_config(s.svcs[0].cfg), &r, &rows, room);
        t_map[run] = cpu_ms() - t0;
        probe_rows_free(&rows);
        prom_room_free(room);
        /* The first answer: every row new, the tables fresh (a new
         * process's first answer); later answers keep them, as the kind
         * does. */
        room = prom_room_new();
        t0 = cpu_ms();
        prom_map_rows(body, len, 200, prom_config(s.svcs[0].cfg), &r, &rows, room);
        sched_rows_apply(&s, &s.svcs[0], &rows, now, now);
        t_new[run] = cpu_ms() - t0;
        now += 1000;
        /* The same rows again. */
        t0 = cpu_ms();
        prom_map_rows(body, len, 200, prom_config(s.svcs[0].cfg), &r, &rows, room);
        sched_rows_apply(&s, &s.svcs[0], &rows, now, now);
        t_same[run] = cpu_ms() - t0;
        now += 1000;
        /* Row 3 went, one came at the end: all after row 3 move. */
        t0 = cpu_ms();
        prom_map_rows(body2, len2, 200, prom_config(s.svcs[0].cfg), &r, &rows, room);
        sched_rows_apply(&s, &s.svcs[0], &rows, now, now);
        t_move[run] = cpu_ms() - t0;
        now += 1000;
        if (s.svcs[0].nrows != (size_t)(nseries / replicas)) {
            fprintf(stderr, "wrong row count %zu\n", s.svcs[0].nrows);
            return 1;
        }
        probe_rows_free(&rows);
        prom_room_free(room);
        sched_close(&s, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        sched_free(&s);
        config_free(&cfg);
    }
    report("map: answer -> rows (prom_map_rows)", t_map, runs);
    report("first answer: map + every row new", t_new, runs);
    report("same rows: map + apply (the usual case)", t_same, runs);
    report("one row gone, one new: map + apply + move", t_move, runs);
    free(body);
    free(body2);
    free(t_map);
    free(t_new);
    free(t_same);
    free(t_move);
    return 0;
}
