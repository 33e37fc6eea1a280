/* bench_scale: the dashboard's model at scale, headless.
 *
 *   bench_scale -c FILE [-f FRAMES] [-x COLS] [-y ROWS]
 *
 * Loads FILE and sets the scheduler up exactly as the binary does (no
 * probe is started), then fills every service's history as a full
 * `history:` window of results would (its interval's worth of samples,
 * a full recent-results ring and a full transitions ring), and measures:
 *
 *   base_kb         resident memory with the config loaded and the
 *                   scheduler set up, before any history
 *   rss_kb          resident memory once the history is full
 *   fill_ms         time to push all that history
 *   full_us         one frame drawn from scratch (ui_draw after
 *                   clearok(curscr): every cell written), median
 *   sweep_us        one frame after a new result for every service (what
 *                   the dashboard draws after a sweep lands), median
 *   sorted_us       the same sorted by severity, median
 *
 * The frames go through the dashboard's own drawing code (src/ui) on an
 * ncurses screen writing to /dev/null at COLSxROWS (default 200x60);
 * the time of pushing the results is not counted. Prints one line:
 *
 *   base_kb rss_kb fill_ms full_us sweep_us sorted_us */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include "healthtop/config.h"
#include "healthtop/scheduler.h"
#include "healthtop/secret.h"
#include "ui/ui.h"

static int64_t now_us(void)
{
    return (int64_t)(uv_hrtime() / 1000);
}

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        sscanf(line, "VmRSS: %ld", &kb);
    fclose(f);
    return kb;
}

/* One result as the scheduler would record it: a slow wave of latencies,
 * every 97th sample of every 7th service failing. */
static void push_result(struct service *svc, uint64_t i, int64_t t_ms, int64_t wall_ms)
{
    bool ok = !(svc->idx % 7 == 0 && i % 97 == 0);
    int64_t lat = ok ? 800 + (int64_t)((i * 37 + svc->idx) % 400) : -1;
    enum health_state st = ok ? HEALTH_HEALTHY : HEALTH_UNHEALTHY;

    history_push(&svc->history, st, ok, lat, ok ? "HTTP 200" : "connection refused", t_ms, wall_ms);
    svc->health.state = st;
    svc->health.up = ok;
    svc->health.expected = 1;
    svc->has_result = true;
    svc->last.ok = ok;
    svc->last.latency_us = lat;
    snprintf(svc->last.message, sizeof(svc->last.message), "%s",
             ok ? "HTTP 200" : "connection refused");
}

static void fill(struct scheduler *s, int64_t now, int64_t wall)
{
    for (size_t k = 0; k < s->nsvcs; k++) {
        struct service *svc = &s->svcs[k];
        int64_t iv = svc->cfg->interval_ms;
        uint64_t n = (uint64_t)(s->cfg->history_ms / iv);

        for (uint64_t i = 0; i < n; i++)
            push_result(svc, i, now - (int64_t)(n - i) * iv, wall - (int64_t)(n - i) * iv);
        for (int i = 0; i < HISTORY_TRANSITIONS; i++)
            history_transition(&svc->history, i % 2 ? HEALTH_UNHEALTHY : HEALTH_HEALTHY,
                               i % 2 ? HEALTH_HEALTHY : HEALTH_UNHEALTHY, "connection refused",
                               now - (HISTORY_TRANSITIONS - i) * 60000,
                               wall - (HISTORY_TRANSITIONS - i) * 60000);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

enum frame_kind { FRAME_FULL, FRAME_SWEEP };

/* Median time of frames frames of this kind. */
static int64_t time_frames(struct ui *u, int frames, enum frame_kind kind, uint64_t *seq)
{
    int64_t *t = xcalloc((size_t)frames, sizeof(*t)), m;

    for (int f = 0; f < frames; f++) {
        int64_t t0;
        u->now_ms = ht_now_ms();
        u->wall_ms = ht_wall_ms();
        if (kind == FRAME_SWEEP) {
            (*seq)++;
            for (size_t k = 0; k < u->s->nsvcs; k++)
                push_result(&u->s->svcs[k], *seq, u->now_ms, u->wall_ms);
        } else {
            clearok(curscr, TRUE);
        }
        t0 = now_us();
        ui_draw(u);
        t[f] = now_us() - t0;
    }
    qsort(t, (size_t)frames, sizeof(*t), cmp_i64);
    m = t[frames / 2];
    free(t);
    return m;
}

static void act_probe_now(struct ui *u, struct service *svc)
{
    (void)u, (void)svc;
}
static void act_probe_all(struct ui *u)
{
    (void)u;
}
static void act_pause(struct ui *u, bool paused)
{
    (void)u, (void)paused;
}
static void act_quit(struct ui *u)
{
    (void)u;
}

int main(int argc, char **argv)
{
    static struct ui u;
    struct ht_config cfg;
    struct scheduler s;
    uv_loop_t loop;
    const char *path = NULL;
    char err[8192];
    int frames = 30, cols = 200, rows = 60, c;
    int64_t t0, fill_ms, full, sweep, sorted;
    uint64_t seq = 100000;
    long rss, base;
    FILE *out, *in;
    SCREEN *scr;

    while ((c = getopt(argc, argv, "c:f:x:y:")) != -1) {
        if (c == 'c')
            path = optarg;
        else if (c == 'f')
            frames = atoi(optarg);
        else if (c == 'x')
            cols = atoi(optarg);
        else if (c == 'y')
            rows = atoi(optarg);
        else
            return 2;
    }
    if (!path || frames < 1) {
        fprintf(stderr, "usage: bench_scale -c FILE [-f FRAMES] [-x COLS] [-y ROWS]\n");
        return 2;
    }
    if (config_load(path, &cfg, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        return 2;
    }
    if (uv_loop_init(&loop) != 0 || sched_init(&s, &loop, &cfg) != 0) {
        fprintf(stderr, "bench_scale: cannot set up the scheduler\n");
        return 2;
    }
    base = rss_kb();
    t0 = now_us();
    fill(&s, ht_now_ms(), ht_wall_ms());
    fill_ms = (now_us() - t0) / 1000;
    rss = rss_kb();

    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    scr = out && in ? newterm("xterm-256color", out, in) : NULL;
    if (!scr) {
        fprintf(stderr, "bench_scale: no headless terminal\n");
        return 2;
    }
    start_color();
    use_default_colors();
    resizeterm(rows, cols);
    ui_init(&u, &s, false);
    u.color = true;
    u.act = (struct ui_actions){act_probe_now, act_probe_all, act_pause, act_quit};
    u.now_ms = ht_now_ms();
    if (ui_load_theme(&u, "default") != 0)
        fprintf(stderr, "bench_scale: default theme not found, drawing without\n");
    ui_resize(&u);
    ui_draw(&u);
    full = time_frames(&u, frames, FRAME_FULL, &seq);
    sweep = time_frames(&u, frames, FRAME_SWEEP, &seq);
    u.sort = UI_SORT_SEVERITY;
    sorted = time_frames(&u, frames, FRAME_SWEEP, &seq);
    printf("%ld %ld %lld %lld %lld %lld\n", base, rss, (long long)fill_ms, (long long)full,
           (long long)sweep, (long long)sorted);

    ui_free(&u);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
    sched_close(&s, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    sched_free(&s);
    config_free(&cfg);
    secret_clear();
    return 0;
}
