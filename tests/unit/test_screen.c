/* Headless screen tests: ncurses on /dev/null at fixed sizes, a model
 * filled by hand (a scheduler with services and histories, no probe
 * started), every view drawn, the cells read back from curscr and
 * compared with golden text files under tests/golden/.
 *
 * HT_UPDATE_GOLDEN=1 rewrites the golden files from what is drawn; review
 * the diff before committing them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "ui/ui.h"
#include "support/check.h"

/* ---- the model --------------------------------------------------------- */

#define NOW_MS  10000000
#define WALL_MS 1767225600000LL /* 2026-01-01 00:00:00 UTC */

struct model {
    struct ht_config cfg;
    struct scheduler s;
    char *urls[64][2];
};

struct spec {
    const char *name, *label, *group;
    enum probe_kind kind;
    enum health_state state;
    int up, expected, failures;
    int64_t latency_us; /* base latency; -1: no result yet */
    const char *message, *detail;
};

static const struct spec small[] = {
    {"api", "API gateway", "HTTP Services", PROBE_HTTP, HEALTH_HEALTHY, 2, 2, 0, 12000, "HTTP 200",
     "HTTP/1.1 200 OK\n{\"status\": \"healthy\"}"},
    {"web", NULL, "HTTP Services", PROBE_HTTP, HEALTH_DEGRADED, 1, 2, 0, 48000,
     "1 of 2 replicas up", NULL},
    {"auth", "auth-service-with-a-very-long-label", "HTTP Services", PROBE_HTTP, HEALTH_UNHEALTHY,
     0, 1, 3, 0, "connection refused", "connect to 127.0.0.1:9 failed\n\x1b[31mbody\x01"},
    {"redis", "Redis", "Memory Systems", PROBE_REDIS, HEALTH_HEALTHY, 1, 1, 0, 300, "PONG", NULL},
    {"cache", "Cache", "Memory Systems", PROBE_TCP, HEALTH_STARTING, 0, 0, 0, -1, NULL, NULL},
    {"workers", "Workers", "Celery Workers", PROBE_CELERY, HEALTH_DEGRADED, 2, 3, 0, 1500,
     "listening 3, answering 2", NULL},
    {"beat", "Beat", "Celery Workers", PROBE_EXEC, HEALTH_SKIPPED, 0, 0, 0, 2000, "scaled to zero",
     NULL},
};

/* Samples with a deterministic shape: a wave that doubles from one
 * sparkline bucket (15 samples) to the next, with a failure run for
 * unhealthy services and slow samples for degraded ones. */
static void fill_history(struct service *svc, const struct spec *sp, int n)
{
    for (int i = 0; i < n; i++) {
        enum health_state st = sp->state;
        int64_t lat = (sp->latency_us << (i / 15 % 4)) / 4 + (i % 5) * 10;
        bool ok = true;
        if (sp->state == HEALTH_UNHEALTHY && i >= n - 6) {
            lat = -1;
            ok = false;
        } else if (sp->state == HEALTH_UNHEALTHY) {
            st = HEALTH_HEALTHY;
            lat = 5000 + (i / 15 % 5) * 1000;
        }
        history_push(&svc->history, st, ok, lat, ok ? "fine" : "connection refused",
                     NOW_MS - (n - i) * 2000, WALL_MS - (n - i) * 2000);
    }
    if (sp->state != HEALTH_STARTING)
        history_transition(&svc->history, HEALTH_STARTING, sp->state, sp->message, NOW_MS - 60000,
                           WALL_MS - 60000);
}

static void model_init(struct model *m, const struct spec *specs, size_t n, size_t copies)
{
    size_t total = n * copies;

    memset(m, 0, sizeof(*m));
    m->cfg.title = "stack";
    m->cfg.history_ms = 3600 * 1000;
    m->cfg.svcs = calloc(total, sizeof(*m->cfg.svcs));
    m->cfg.nsvcs = total;
    m->s.cfg = &m->cfg;
    m->s.svcs = calloc(total, sizeof(*m->s.svcs));
    m->s.nsvcs = total;
    m->s.t0_ms = NOW_MS - 245000;
    m->s.origin_ms = m->s.t0_ms;
    m->s.t0_wall_ms = WALL_MS - 245000;
    for (size_t i = 0; i < total; i++) {
        const struct spec *sp = &specs[i % n];
        struct svc_config *c = &m->cfg.svcs[i];
        struct service *svc = &m->s.svcs[i];
        char name[64];

        snprintf(name, sizeof(name), copies > 1 ? "%s-%zu" : "%s", sp->name, i / n);
        c->name = strdup(name);
        c->label = sp->label ? strdup(sp->label) : NULL;
        c->group = strdup(sp->group);
        c->kind = sp->kind;
        c->interval_ms = 2000;
        c->timeout_ms = 1000;
        c->retries = 3;
        c->replicas = sp->expected;
        if (sp->kind == PROBE_HTTP) {
            m->urls[i % 64][0] = "http://user:s3cret@127.0.0.1:8000/health";
            c->u.http.urls = m->urls[i % 64];
            c->u.http.nurls = 1;
        }
        svc->cfg = c;
        svc->idx = i;
        svc->sched = &m->s;
        svc->health.state = sp->state;
        svc->health.first_seen_ms = svc->health.first_healthy_ms = -1; /* as health_init */
        svc->health.up = sp->up;
        svc->health.expected = sp->expected;
        svc->health.failures = sp->failures;
        svc->health.since_ms = NOW_MS - 65000 - (int64_t)i * 1000;
        svc->health.results = sp->latency_us >= 0 ? 40 : 0;
        history_init(&svc->history, m->cfg.history_ms, c->interval_ms);
        if (sp->latency_us < 0)
            continue;
        fill_history(svc, sp, 480);
        svc->has_result = true;
        svc->last.ok = sp->state != HEALTH_UNHEALTHY;
        svc->last.latency_us = sp->state == HEALTH_UNHEALTHY ? -1 : sp->latency_us;
        svc->last.connect_us = -1;
        snprintf(svc->last.message, sizeof(svc->last.message), "%s", sp->message);
        snprintf(svc->last.detail, sizeof(svc->last.detail), "%s", sp->detail ? sp->detail : "");
    }
}

static void model_free(struct model *m)
{
    for (size_t i = 0; i < m->cfg.nsvcs; i++) {
        free(m->cfg.svcs[i].name);
        free(m->cfg.svcs[i].label);
        free(m->cfg.svcs[i].group);
        history_free(&m->s.svcs[i].history);
    }
    free(m->cfg.svcs);
    free(m->s.svcs);
}

/* ---- the terminal ------------------------------------------------------ */

static FILE *term_out, *term_in;
static const char *term_name = "xterm-256color";
static SCREEN *scr;
static int calls_probe_now, calls_probe_all, calls_pause, calls_quit;
static struct service *probed;

static void act_probe_now(struct ui *u, struct service *svc)
{
    (void)u;
    calls_probe_now++;
    probed = svc;
}

static void act_probe_all(struct ui *u)
{
    (void)u;
    calls_probe_all++;
}

static void act_pause(struct ui *u, bool paused)
{
    calls_pause++;
    u->s->paused = paused;
}

static void act_quit(struct ui *u)
{
    (void)u;
    calls_quit++;
}

static void screen_open(struct ui *u, struct model *m, int cols, int rows, bool ascii)
{
    term_out = fopen("/dev/null", "w");
    term_in = fopen("/dev/null", "r");
    assert_non_null(term_out);
    scr = newterm(term_name, term_out, term_in);
    assert_non_null(scr);
    start_color();
    use_default_colors();
    resizeterm(rows, cols);
    ui_init(u, &m->s, ascii);
    u->color = true;
    u->act = (struct ui_actions){act_probe_now, act_probe_all, act_pause, act_quit};
    u->now_ms = NOW_MS;
    u->wall_ms = WALL_MS;
    assert_int_equal(ui_load_theme(u, "default"), 0);
    ui_resize(u);
    calls_probe_now = calls_probe_all = calls_pause = calls_quit = 0;
}

static void screen_close(struct ui *u)
{
    ui_free(u);
    endwin();
    delscreen(scr);
    fclose(term_out);
    fclose(term_in);
}

/* The screen as text, one line per row, trailing blanks cut. */
static char *screen_text(void)
{
    size_t cap = (size_t)(LINES * (COLS * 4 + 1) + 1), len = 0;
    char *out = malloc(cap);
    cchar_t *cells = calloc((size_t)COLS + 1, sizeof(*cells));

    for (int y = 0; y < LINES; y++) {
        size_t line_start = len;
        mvwin_wchnstr(curscr, y, 0, cells, COLS);
        for (int x = 0; x < COLS; x++) {
            wchar_t wch[CCHARW_MAX + 1];
            attr_t attrs;
            short pair;
            mbstate_t st;
            memset(&st, 0, sizeof(st));
            if (getcchar(&cells[x], wch, &attrs, &pair, NULL) == ERR || wch[0] == 0)
                wch[0] = L' ';
            len += wcrtomb(out + len, wch[0], &st);
        }
        while (len > line_start && out[len - 1] == ' ')
            len--;
        out[len++] = '\n';
    }
    out[len] = '\0';
    free(cells);
    return out;
}

/* Colour pair of the cell at y,x. */
static int cell_pair(int y, int x)
{
    cchar_t c;
    wchar_t wch[CCHARW_MAX + 1];
    attr_t attrs;
    short pair;

    mvwin_wch(curscr, y, x, &c);
    getcchar(&c, wch, &attrs, &pair, NULL);
    return pair;
}

/* Role of the cell at y,x, and over what base it is drawn. */
static int cell_role(int y, int x)
{
    return (cell_pair(y, x) - 1) % THEME_ROLE_COUNT;
}

static int cell_base(int y, int x)
{
    return (cell_pair(y, x) - 1) / THEME_ROLE_COUNT;
}

static const char *source_dir(void)
{
    const char *d = getenv("HT_SOURCE_DIR");
    return d && d[0] ? d : HT_SOURCE_THEMES "/..";
}

static void check_golden(const char *name)
{
    char path[1024], *got = screen_text(), *want;
    const char *update = getenv("HT_UPDATE_GOLDEN");
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/tests/golden/%s.txt", source_dir(), name);
    if (update && update[0] == '1') {
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        free(got);
        return;
    }
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("%s missing (HT_UPDATE_GOLDEN=1 writes it)", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    want = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    if (strcmp(got, want) != 0) {
        print_error("screen differs from %s:\n--- got ---\n%s--- want ---\n%s", path, got, want);
        free(got);
        free(want);
        fail();
    }
    free(got);
    free(want);
}

static void draw_golden(struct model *m, int cols, int rows, bool ascii, const char *name)
{
    struct ui u;

    screen_open(&u, m, cols, rows, ascii);
    ui_draw(&u);
    check_golden(name);
    screen_close(&u);
}

/* ---- tests ------------------------------------------------------------- */

static void test_grid_widths(void **state)
{
    struct model m;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    draw_golden(&m, 60, 15, false, "grid_60x15");
    draw_golden(&m, 80, 24, false, "grid_80x24");
    draw_golden(&m, 120, 30, false, "grid_120x30");
    draw_golden(&m, 200, 50, false, "grid_200x50");
    draw_golden(&m, 80, 24, true, "grid_80x24_ascii");
    model_free(&m);
}

static void test_grid_colours(void **state)
{
    struct model m;
    struct ui u;
    char *text;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 120, 30, false);
    ui_draw(&u);
    text = screen_text();
    /* Rows: 0 header, 1 titles, 2 heading, 3 api, 4 web, 5 auth. */
    assert_int_equal(cell_role(3, 0), THEME_ROLE_HEALTHY);
    assert_int_equal(cell_role(4, 0), THEME_ROLE_DEGRADED);
    assert_int_equal(cell_role(5, 0), THEME_ROLE_UNHEALTHY);
    assert_int_equal(cell_role(2, 0), THEME_ROLE_GROUP);
    assert_int_equal(cell_role(3, 5), THEME_ROLE_SELECTED); /* api is selected */
    assert_int_equal(cell_base(3, 0), UI_BASE_SELECTED);    /* its mark keeps the bar */
    assert_int_equal(cell_base(4, 0), UI_BASE_NORMAL);
    assert_int_equal(cell_role(0, 1), THEME_ROLE_TITLE);
    assert_int_equal(cell_role(0, 12), THEME_ROLE_UNHEALTHY); /* the overall status... */
    assert_int_equal(cell_base(0, 12), UI_BASE_HEADER);       /* ...on the header's background */
    CHECK_CONTAINS("text", text, "API gateway");
    CHECK_CONTAINS("text", text, "auth-service-with-a-very-long-l\xe2\x80\xa6");
    free(text);
    screen_close(&u);
    model_free(&m);
}

static void test_grid_scrolls(void **state)
{
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 6); /* 42 services */
    screen_open(&u, &m, 80, 24, false);
    ui_draw(&u);
    for (int i = 0; i < 30; i++)
        ui_key(&u, 'j');
    ui_draw(&u);
    assert_int_equal(u.sel, 5); /* the 31st row shown: the first of Celery Workers */
    check_golden("grid_scroll_80x24");
    ui_key(&u, 'G');
    assert_int_equal(u.sel, 41);
    ui_key(&u, KEY_PPAGE);
    ui_key(&u, 'g');
    assert_int_equal(u.sel, 0);
    ui_draw(&u);
    assert_int_equal(u.scroll, 0);
    screen_close(&u);
    model_free(&m);
}

static void test_detail_pane(void **state)
{
    struct model m;
    struct ui u;
    char *text;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 100, 30, false);
    ui_key(&u, 'j');
    ui_key(&u, 'j');
    ui_key(&u, '\n');
    assert_true(u.detail);
    ui_draw(&u);
    check_golden("detail_100x30");
    text = screen_text();
    CHECK_LACKS("text", text, "s3cret"); /* secrets redacted */
    CHECK_CONTAINS("text", text, "connection refused");
    free(text);
    ui_key(&u, 'j'); /* scrolls the pane, keeps the selection */
    assert_int_equal(u.sel, 2);
    ui_key(&u, 27);
    assert_false(u.detail);
    screen_close(&u);
    model_free(&m);
}

static int fake_toggle(void *ud, const char *name)
{
    (void)ud, (void)name;
    return 0;
}

static void test_help_overlay(void **state)
{
    struct model m;
    struct ui u;
    size_t n;
    const struct ui_key *keys = ui_keys(&n);
    char *text;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 80, 24, false);
    ui_key(&u, '?');
    assert_true(u.help);
    ui_draw(&u);
    check_golden("help_80x24");
    text = screen_text();
    for (size_t i = 0; i < n; i++)
        if (keys[i].help != NULL && ui_key_applies(&u, &keys[i]))
            CHECK_CONTAINS("text", text, keys[i].help);
    free(text);
    ui_key(&u, 'x'); /* any key closes it */
    assert_false(u.help);
    screen_close(&u);

    screen_open(&u, &m, 60, 15, false);
    ui_key(&u, '?');
    ui_draw(&u);
    check_golden("help_60x15");
    text = screen_text();
    for (size_t i = 0; i < n; i++)
        if (keys[i].help != NULL && ui_key_applies(&u, &keys[i]))
            CHECK_CONTAINS("text", text, keys[i].help);
    free(text);
    screen_close(&u);

    /* In --demo the K key joins the list, and it still fits at 60x15. */
    screen_open(&u, &m, 60, 15, false);
    u.ext.demo_toggle = fake_toggle;
    ui_key(&u, '?');
    ui_draw(&u);
    text = screen_text();
    for (size_t i = 0; i < n; i++)
        if (keys[i].help != NULL && ui_key_applies(&u, &keys[i]))
            CHECK_CONTAINS("text", text, keys[i].help);
    CHECK_CONTAINS("text", text, "stop or revive");
    free(text);
    screen_close(&u);
    model_free(&m);
}

/* The start-up timeline view: the axis's two ends never run together
 * (at 60 columns they read "T+0T+32.7s"). */
static void test_timeline_view(void **state)
{
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    for (int size = 0; size < 2; size++) {
        screen_open(&u, &m, size ? 120 : 60, size ? 30 : 15, false);
        ui_key(&u, 't');
        ui_draw(&u);
        check_golden(size ? "timeline_120x30" : "timeline_60x15");
        screen_close(&u);
    }
    model_free(&m);
}

/* The line of the screen text that holds needle (a copy), or fails. */
static char *screen_line(const char *needle)
{
    char *text = screen_text(), *at = strstr(text, needle), *start, *end, *line;

    if (at == NULL)
        fail_msg("expected a line with '%s' on screen; it shows:\n%s", needle, text);
    for (start = at; start > text && start[-1] != '\n'; start--)
        ;
    end = strchr(at, '\n');
    line = strndup(start, end ? (size_t)(end - start) : strlen(start));
    free(text);
    return line;
}

/* The LAT column shows successful answers only: timeouts in the history
 * do not reach the median (a healthy row showed 999ms); a row degraded
 * for slowness shows the slow answer (it showed 2.6ms); a failed last
 * probe shows "-". Sorting by latency follows what is shown. */
static void test_latency_column_shows_successful_answers(void **state)
{
    struct model m;
    struct ui u;
    struct service *api, *web, *redis;
    char *line;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    api = &m.s.svcs[0];
    web = &m.s.svcs[1];
    redis = &m.s.svcs[3];
    /* api, healthy throughout: five answers of 2ms, then three timeouts
     * of 999ms that its retries absorbed. */
    for (int i = 0; i < 8; i++)
        history_push(&api->history, HEALTH_HEALTHY, i < 5, i < 5 ? 2000 : 999000,
                     i < 5 ? "HTTP 200" : "timeout", NOW_MS - 500 + i, WALL_MS - 500 + i);
    api->last.ok = false;
    api->last.latency_us = 999000;
    /* web: degraded because its last answer took 803ms. */
    web->health.state = HEALTH_DEGRADED;
    web->last.ok = web->last.slow = true;
    web->last.latency_us = 803000;
    /* redis: down, its last probe failed after 1s. */
    redis->health.state = HEALTH_UNHEALTHY;
    redis->last.ok = false;
    redis->last.latency_us = 1000000;

    screen_open(&u, &m, 120, 30, false);
    ui_draw(&u);
    line = screen_line("API gateway");
    CHECK_CONTAINS("the api row", line, "2.0ms");
    CHECK_LACKS("the api row", line, "999");
    free(line);
    line = screen_line("web ");
    CHECK_CONTAINS("the slow web row", line, "803ms");
    free(line);
    line = screen_line("Redis");
    CHECK_LACKS("the failed redis row", line, "1.00s");
    free(line);
    /* s cycles the sort: severity, name, latency. Slowest shown first,
     * within the group. */
    for (int i = 0; i < 3; i++)
        ui_key(&u, 's');
    assert_int_equal(u.sort, UI_SORT_LATENCY);
    ui_draw(&u);
    char *text = screen_text();
    char *first = strstr(text, "web ");
    char *second = strstr(text, "API gateway");
    if (first == NULL || second == NULL || first > second)
        fail_msg("sorted by latency: expected the 803ms web row above the 2.0ms api row; the "
                 "screen shows:\n%s",
                 text);
    free(text);
    screen_close(&u);
    model_free(&m);
}

/* A blocked row keeps its own failure after the root cause, and the
 * root-cause line names failing services that block nobody. */
static void test_blocked_rows_keep_their_own_failure(void **state)
{
    struct model m;
    struct ui u;
    char *line;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    /* web depends on auth (unhealthy: the root cause) and is down too. */
    m.cfg.svcs[1].depends_on = (char *[]){"auth"};
    m.cfg.svcs[1].dep_idx = (size_t[]){2};
    m.cfg.svcs[1].ndeps = 1;
    m.s.svcs[1].health.state = HEALTH_UNHEALTHY;
    snprintf(m.s.svcs[1].last.message, sizeof(m.s.svcs[1].last.message), "HTTP 500");
    /* redis fails on its own, blocking nobody. */
    m.s.svcs[3].health.state = HEALTH_UNHEALTHY;
    snprintf(m.s.svcs[3].last.message, sizeof(m.s.svcs[3].last.message), "LOADING");

    screen_open(&u, &m, 200, 30, false);
    ui_draw(&u);
    line = screen_line("web ");
    CHECK_CONTAINS("the blocked web row", line, "blocked by auth; HTTP 500");
    free(line);
    line = screen_line("root cause");
    CHECK_CONTAINS("the header", line,
                   "root cause: auth, 1 service blocked; also unhealthy: redis");
    free(line);
    screen_close(&u);
    /* What is failing outranks the title and the clock: at 80 columns the
     * root cause and every count show whole, at 60 the state does. */
    screen_open(&u, &m, 80, 24, false);
    ui_draw(&u);
    line = screen_line("UNHEALTHY");
    CHECK_CONTAINS("the 80-column header", line, "root cause: auth, 1 service blocked");
    CHECK_CONTAINS("the 80-column header", line,
                   "\xe2\x97\x8b"
                   "1"); /* ○1: skipped */
    free(line);
    screen_close(&u);
    screen_open(&u, &m, 60, 15, false);
    ui_draw(&u);
    line = screen_line("UNHEALTHY");
    CHECK_CONTAINS("the 60-column header", line, "\xe2\x9c\x97 UNHEALTHY");
    CHECK_CONTAINS("the 60-column header", line,
                   "\xe2\x97\x8b"
                   "1");
    free(line);
    screen_close(&u);
    m.cfg.svcs[1].depends_on = NULL;
    m.cfg.svcs[1].dep_idx = NULL;
    m.cfg.svcs[1].ndeps = 0;
    model_free(&m);
}

static void test_too_small(void **state)
{
    struct model m;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    draw_golden(&m, 59, 15, false, "too_small_59x15");
    draw_golden(&m, 20, 5, false, "too_small_20x5");
    draw_golden(&m, 60, 14, false, "too_small_60x14");
    model_free(&m);
}

static void test_resize_between_sizes(void **state)
{
    static const int sizes[][2] = {{80, 24}, {20, 5}, {300, 100}, {60, 15}, {1, 1}, {100, 30}};
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 3);
    screen_open(&u, &m, 80, 24, false);
    ui_key(&u, '\n');
    for (size_t i = 0; i < HT_ARRAY_LEN(sizes); i++) {
        resizeterm(sizes[i][1], sizes[i][0]);
        ui_resize(&u);
        ui_draw(&u);
        u.detail = !u.detail;
        u.help = i % 2 == 0;
        ui_draw(&u);
    }
    screen_close(&u);
    model_free(&m);
}

/* Rows of a rows_by source (the answer given here, as the probe would):
 * drawn under their own groups after the config's, and the selection
 * follows a row by name when a row before it goes, and falls to a
 * neighbour when the row itself goes. */
static struct probe_rows rows_of(const char *const *keys, const char *const *groups, size_t n)
{
    struct probe_rows r = {0};

    probe_rows_reserve(&r, n);
    r.answered = true;
    r.n = n;
    for (size_t i = 0; i < n; i++) {
        r.v[i].key = strdup(keys[i]);
        r.v[i].group = groups[i] ? strdup(groups[i]) : NULL;
        r.v[i].result.up = r.v[i].result.found = 1;
        r.v[i].result.ok = true;
    }
    return r;
}

static void test_rows_of_a_source(void **state)
{
    static const char yml[] =
        "services:\n"
        "  web: {group: Front, tcp: '127.0.0.1:1'}\n"
        "  fleet:\n"
        "    group: Fleet\n"
        "    prometheus: {url: 'http://127.0.0.1:1', query: up, rows_by: svc}\n";
    static const char *const keys[] = {"api", "db", "zz"}, *const groups[] = {"Back", "Back", NULL};
    struct model m;
    struct ui u;
    struct probe_rows rows;
    uv_loop_t loop;
    char err[256], *text;
    const char *front, *fleet, *zz, *back, *db;

    (void)state;
    memset(&m, 0, sizeof(m));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(config_parse("t.yml", yml, strlen(yml), &m.cfg, err, sizeof(err)), 0);
    assert_int_equal(sched_init(&m.s, &loop, &m.cfg), 0);
    rows = rows_of(keys, groups, 3);
    sched_rows_apply(&m.s, &m.s.svcs[1], &rows, NOW_MS, WALL_MS);
    probe_rows_free(&rows);
    screen_open(&u, &m, 100, 20, false);
    ui_draw(&u);
    text = screen_text();
    front = strstr(text, "Front"), fleet = strstr(text, "Fleet"), back = strstr(text, "Back");
    zz = strstr(text, "zz"), db = strstr(text, "db");
    CHECK_TRUE("every group is drawn", front && fleet && back);
    CHECK_TRUE("groups in order: the config's, then the rows'", front < fleet && fleet < back);
    CHECK_TRUE("a row without a group label is in its source's group",
               zz && fleet < zz && zz < back);
    CHECK_TRUE("a row under its group", db && back < db);
    free(text);
    ui_select(&u, &m.s.svcs[3]);             /* fleet/db */
    rows = rows_of(keys + 1, groups + 1, 2); /* api goes: db moves up */
    sched_rows_apply(&m.s, &m.s.svcs[1], &rows, NOW_MS + 2000, WALL_MS + 2000);
    probe_rows_free(&rows);
    ui_draw(&u);
    CHECK_STR("the selection follows its row", ui_selected(&u)->cfg->name, "fleet/db");
    rows = rows_of(keys + 2, groups + 2, 1); /* db goes */
    sched_rows_apply(&m.s, &m.s.svcs[1], &rows, NOW_MS + 4000, WALL_MS + 4000);
    probe_rows_free(&rows);
    ui_draw(&u);
    CHECK_TRUE("a neighbour takes the selection", ui_selected(&u) != NULL);
    CHECK_STR("the row left", ui_selected(&u)->cfg->name, "fleet/zz");
    screen_close(&u);
    sched_close(&m.s, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    sched_free(&m.s);
    config_free(&m.cfg);
}

static void test_keys_move_and_probe(void **state)
{
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 80, 24, false);
    ui_draw(&u);
    ui_key(&u, KEY_DOWN);
    assert_int_equal(u.sel, 1);
    ui_key(&u, 'r');
    assert_int_equal(calls_probe_now, 1);
    assert_ptr_equal(probed, &m.s.svcs[1]);
    ui_key(&u, 'R');
    assert_int_equal(calls_probe_all, 1);
    ui_key(&u, ' ');
    assert_int_equal(calls_pause, 1);
    assert_true(m.s.paused);
    ui_draw(&u);
    check_golden("paused_80x24");
    ui_key(&u, ' ');
    assert_false(m.s.paused);

    /* Sort by severity: unhealthy first within its group. */
    ui_key(&u, 's');
    assert_int_equal(u.sort, UI_SORT_SEVERITY);
    grid_rebuild(&u);
    assert_ptr_equal(u.list[1].svc, &m.s.svcs[2]);
    ui_key(&u, 's');
    ui_key(&u, 's');
    assert_int_equal(u.sort, UI_SORT_LATENCY);
    ui_key(&u, 's');
    assert_int_equal(u.sort, UI_SORT_CONFIG);

    /* Incremental filter, n, Esc. */
    ui_key(&u, '/');
    assert_true(u.filtering);
    ui_key(&u, 'e');
    ui_key(&u, 'r');
    assert_int_equal(calls_probe_now, 1); /* typed, not a key command */
    assert_string_equal(u.filter, "er");
    grid_rebuild(&u);
    assert_int_equal(u.nlist, 4); /* auth-service, Workers and their headings */
    ui_draw(&u);
    check_golden("filter_80x24");
    ui_key(&u, '\n');
    assert_false(u.filtering);
    assert_int_equal(u.sel, 2);
    ui_key(&u, 'n');
    assert_int_equal(u.sel, 5);
    ui_key(&u, 'n');
    assert_int_equal(u.sel, 2);
    ui_key(&u, 27);
    assert_string_equal(u.filter, "");

    /* Reserved keys do nothing; q quits. */
    ui_key(&u, 't');
    ui_key(&u, 'K');
    assert_false(u.detail || u.help || u.filtering);
    ui_key(&u, 'q');
    assert_int_equal(calls_quit, 1);
    screen_close(&u);
    model_free(&m);
}

static void push_mouse(int y, mmask_t bstate)
{
    MEVENT ev = {.id = 0, .x = 10, .y = y, .z = 0, .bstate = bstate};
    assert_int_equal(ungetmouse(&ev), OK);
}

/* Wheel moves by three; a click selects, a click on the selection opens
 * the detail pane. */
static void test_mouse_wheel_and_click_select(void **state)
{
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 80, 24, false);
    mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    ui_draw(&u);
    push_mouse(5, BUTTON5_PRESSED);
    ui_key(&u, KEY_MOUSE);
    assert_int_equal(u.sel, 3); /* api -> web -> auth -> Redis */
    push_mouse(5, BUTTON4_PRESSED);
    ui_key(&u, KEY_MOUSE);
    assert_int_equal(u.sel, 0);
    ui_draw(&u);
    push_mouse(5, BUTTON1_PRESSED); /* screen row 5: auth */
    ui_key(&u, KEY_MOUSE);
    assert_int_equal(u.sel, 2);
    assert_false(u.detail);
    push_mouse(5, BUTTON1_PRESSED);
    ui_key(&u, KEY_MOUSE);
    assert_true(u.detail);
    screen_close(&u);
    model_free(&m);
}

/* 8 colours and 64 pairs: too few for the header and selection variants,
 * so every role keeps its own pair, and every colour maps below 8. */
static void test_eight_colours(void **state)
{
    struct model m;
    struct ui u;

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    term_name = "xterm";
    screen_open(&u, &m, 80, 24, false);
    term_name = "xterm-256color";
    assert_int_equal(COLORS, 8);
    ui_draw(&u);
    assert_int_equal(cell_pair(3, 0), THEME_ROLE_HEALTHY + 1);
    assert_int_equal(cell_pair(3, 5), THEME_ROLE_SELECTED + 1);
    for (int p = 1; p <= THEME_ROLE_COUNT; p++) {
        short fg, bg;
        pair_content((short)p, &fg, &bg);
        assert_true(fg < 8 && bg < 8);
    }
    screen_close(&u);
    model_free(&m);
}

/* No services at all: a screen that says so, and keys that do nothing. */
static void test_no_services_keys_are_harmless(void **state)
{
    struct model m;
    struct ui u;
    char *text;
    const int keys[] = {'j', 'k', 'G', 'g', '\n', 'r', 'n', '/', 'x', 27, KEY_NPAGE};

    (void)state;
    model_init(&m, small, 0, 1);
    screen_open(&u, &m, 80, 24, false);
    for (size_t i = 0; i < HT_ARRAY_LEN(keys); i++) {
        ui_key(&u, keys[i]);
        ui_draw(&u);
    }
    assert_int_equal(u.sel, -1);
    assert_false(u.detail);
    assert_int_equal(calls_probe_now, 0);
    text = screen_text();
    CHECK_CONTAINS("text", text, "no services");
    CHECK_CONTAINS("text", text, "0/0");
    free(text);
    screen_close(&u);
    model_free(&m);
}

static void test_theme_cycle(void **state)
{
    struct model m;
    struct ui u;
    char first[THEME_NAME_MAX];

    (void)state;
    model_init(&m, small, HT_ARRAY_LEN(small), 1);
    screen_open(&u, &m, 80, 24, false);
    ht_strlcpy(first, u.theme.name, sizeof(first));
    ui_key(&u, 'T');
    assert_string_not_equal(u.theme.name, first);
    CHECK_CONTAINS("u.notice", u.notice, "theme: ");
    ui_draw(&u);
    /* Without colour only mono is used, whatever is asked. */
    u.color = false;
    assert_int_equal(ui_load_theme(&u, "solarized-dark"), 0);
    assert_string_equal(u.theme.name, "mono");
    screen_close(&u);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_widths),
        cmocka_unit_test(test_grid_colours),
        cmocka_unit_test(test_grid_scrolls),
        cmocka_unit_test(test_detail_pane),
        cmocka_unit_test(test_help_overlay),
        cmocka_unit_test(test_timeline_view),
        cmocka_unit_test(test_latency_column_shows_successful_answers),
        cmocka_unit_test(test_blocked_rows_keep_their_own_failure),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_resize_between_sizes),
        cmocka_unit_test(test_keys_move_and_probe),
        cmocka_unit_test(test_rows_of_a_source),
        cmocka_unit_test(test_theme_cycle),
        cmocka_unit_test(test_mouse_wheel_and_click_select),
        cmocka_unit_test(test_no_services_keys_are_harmless),
        cmocka_unit_test(test_eight_colours),
    };

    setenv("TZ", "UTC", 1);
    tzset();
    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
