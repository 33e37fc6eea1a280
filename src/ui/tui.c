/* The dashboard on the libuv loop: the terminal's set-up and restore, the
 * tty poll that feeds keys, the signals, and the paint timer.
 *
 * Order matters (doc/libraries.md, "ncurses inside the loop"): the
 * uv_signal handlers for SIGWINCH, SIGINT, SIGTERM and SIGHUP start
 * before newterm(), so ncurses leaves those signals to us and every one
 * of them ends in the same restore path. The terminal is /dev/tty opened
 * on its own, so stdin and the shell's file descriptor flags are left
 * alone. */
#include "healthtop/tui.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "healthtop/run.h"
#include "ui/ui.h"

/* At most ~15 frames a second, and only when something changed. */
#define FRAME_MS 66

struct tui {
    struct ui ui; /* first: the actions get back from ui to tui */
    struct scheduler *s;
    uv_loop_t *loop;
    FILE *tty;
    SCREEN *scr;
    bool curses_on, quitting, poll_on;
    int exit_code;
    uv_poll_t poll;
    uv_signal_t sigs[4];
    int nsigs;
    uv_timer_t paint, clock;
    int64_t last_paint;
    const struct tui_opts *opts;
    int hooks_up; /* opts->hooks set up so far, closed on quit */
};

static const int handled_signals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};

/* The one dashboard running, for the fatal-error hook. */
static struct tui *active;

static void restore_terminal(struct tui *t)
{
    if (t->curses_on) {
        t->curses_on = false;
        endwin();
    }
}

static void fatal_hook(void)
{
    if (active != NULL)
        restore_terminal(active);
}

static void paint(struct tui *t)
{
    if (!t->curses_on)
        return;
    t->ui.now_ms = ht_now_ms();
    t->ui.wall_ms = ht_wall_ms();
    ui_draw(&t->ui);
    t->last_paint = t->ui.now_ms;
}

static void on_paint(uv_timer_t *h)
{
    paint(h->data);
}

/* Coalesces every change of a frame into one paint. */
static void schedule_paint(struct tui *t)
{
    int64_t wait;

    if (t->quitting || uv_is_active((uv_handle_t *)&t->paint))
        return;
    wait = t->last_paint + FRAME_MS - ht_now_ms();
    uv_timer_start(&t->paint, on_paint, wait > 0 ? (uint64_t)wait : 0, 0);
}

static void on_clock(uv_timer_t *h)
{
    schedule_paint(h->data);
}

/* A state change, a service's first result, or a recording played back
 * paints at once (throttled to FRAME_MS); any other result waits for the
 * clock's next second, which paints anyway. Results from a dozen services
 * land at a dozen moments of each interval: painted one by one they made
 * six frames a second of a screen whose clock changes once. */
static void on_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                      void *ud)
{
    struct tui *t = ud;

    (void)s, (void)old;
    if (changed || svc->health.results <= 1 || ui_playback(&t->ui))
        schedule_paint(t);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

/* Restores the terminal at once, then closes our handles and the
 * scheduler's; tui_run returns when the loop has nothing left. */
static void tui_quit(struct tui *t, int code)
{
    if (t->quitting)
        return;
    t->quitting = true;
    t->exit_code = code;
    restore_terminal(t);
    if (t->poll_on)
        uv_close((uv_handle_t *)&t->poll, on_closed);
    uv_close((uv_handle_t *)&t->paint, on_closed);
    uv_close((uv_handle_t *)&t->clock, on_closed);
    for (int i = 0; i < t->nsigs; i++)
        uv_close((uv_handle_t *)&t->sigs[i], on_closed);
    for (int i = 0; i < t->hooks_up; i++)
        if (t->opts->hooks[i].close)
            t->opts->hooks[i].close(t->s, t->opts->hooks[i].ud);
    t->opts->source->stop(t->s, t->opts->source->ud);
}

static void on_resize(struct tui *t)
{
    struct winsize ws;

    if (!t->curses_on || ioctl(fileno(t->tty), TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 ||
        ws.ws_col == 0)
        return;
    resizeterm(ws.ws_row, ws.ws_col);
    /* stdscr is never drawn in normal mode; left touched, the next
     * wgetch(stdscr) would paint it, blank, over the windows. */
    untouchwin(stdscr);
    ui_resize(&t->ui);
    clearok(curscr, TRUE);
    paint(t);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct tui *t = h->data;

    if (signum == SIGWINCH)
        on_resize(t);
    else
        tui_quit(t, signum == SIGINT ? 0 : 128 + signum);
}

static void on_input(uv_poll_t *h, int status, int events)
{
    struct tui *t = h->data;
    int ch;

    (void)events;
    if (status < 0) { /* the terminal went away */
        tui_quit(t, 1);
        return;
    }
    t->ui.now_ms = ht_now_ms();
    while (!t->quitting && (ch = wgetch(stdscr)) != ERR)
        ui_key(&t->ui, ch);
    /* A key paints at once: the frame throttle is for results, and a key
     * made to wait behind it feels late. */
    if (t->ui.dirty && !t->quitting) {
        uv_timer_stop(&t->paint);
        paint(t);
    }
}

/* The keys' actions go to the source: a replay probes nothing. */
static void act_probe_now(struct ui *u, struct service *svc)
{
    const struct tui_source *src = u->ext.src;
    if (src->probe_now)
        src->probe_now(u->s, src->ud, svc);
}

static void act_probe_all(struct ui *u)
{
    const struct tui_source *src = u->ext.src;
    if (src->probe_all)
        src->probe_all(u->s, src->ud);
}

static void act_pause(struct ui *u, bool paused)
{
    const struct tui_source *src = u->ext.src;
    if (src->pause)
        src->pause(u->s, src->ud, paused);
}

/* Sets up opts->hooks, then starts the source: probing, or playing the
 * recording. */
static int tui_start(struct tui *t)
{
    const struct tui_opts *o = t->opts;

    for (; t->hooks_up < o->nhooks; t->hooks_up++)
        if (o->hooks[t->hooks_up].setup &&
            o->hooks[t->hooks_up].setup(t->s, o->hooks[t->hooks_up].ud) != 0)
            return -1;
    sched_observe(t->s, on_result, t);
    return o->source->start(t->s, o->source->ud);
}

static void act_quit(struct ui *u)
{
    tui_quit((struct tui *)u, 0);
}

static int start_signals(struct tui *t)
{
    for (size_t i = 0; i < HT_ARRAY_LEN(handled_signals); i++) {
        uv_signal_t *sig = &t->sigs[t->nsigs];
        if (uv_signal_init(t->loop, sig) != 0)
            return -1;
        sig->data = t;
        t->nsigs++;
        if (uv_signal_start(sig, on_signal, handled_signals[i]) != 0)
            return -1;
    }
    return 0;
}

static void setup_curses(struct tui *t, const struct tui_opts *opts)
{
    const char *no_color = getenv("NO_COLOR");

    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    leaveok(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    wnoutrefresh(stdscr); /* so that wgetch never repaints the blank stdscr */
    t->ui.color = has_colors() && (no_color == NULL || no_color[0] == '\0');
    if (t->ui.color) {
        start_color();
        if (use_default_colors() == ERR)
            assume_default_colors(COLOR_WHITE, COLOR_BLACK);
    }
    if (opts->mouse) {
        mouseinterval(0);
        mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    }
}

/* Everything up to the first paint; on failure says why and returns -1
 * (tui_quit then closes whatever was opened). */
static int tui_open(struct tui *t, const struct tui_opts *opts)
{
    bool ascii = opts->ascii || !ht_locale_utf8();

    if (start_signals(t) != 0) {
        fprintf(stderr, "healthtop: cannot handle signals\n");
        return -1;
    }
    t->tty = fopen("/dev/tty", "r+e");
    if (t->tty == NULL) {
        perror("healthtop: /dev/tty");
        return -1;
    }
    t->scr = newterm(NULL, t->tty, t->tty);
    if (t->scr == NULL) {
        fprintf(stderr, "healthtop: cannot drive terminal type '%s'\n",
                getenv("TERM") ? getenv("TERM") : "(unset)");
        return -1;
    }
    t->curses_on = true;
    ui_init(&t->ui, t->s, ascii);
    t->ui.act = (struct ui_actions){act_probe_now, act_probe_all, act_pause, act_quit};
    t->ui.ext = (struct ui_ext){opts->demo_toggle, opts->demo_ud, opts->source, opts->alerts};
    setup_curses(t, opts);
    t->ui.now_ms = ht_now_ms();
    ui_load_theme(&t->ui, opts->theme ? opts->theme : "default");
    ui_resize(&t->ui);
    if (uv_poll_init(t->loop, &t->poll, fileno(t->tty)) == 0)
        t->poll_on = true;
    if (!t->poll_on || uv_poll_start(&t->poll, UV_READABLE, on_input) != 0) {
        restore_terminal(t);
        fprintf(stderr, "healthtop: cannot watch the terminal for keys\n");
        return -1;
    }
    return 0;
}

int tui_run(struct scheduler *s, const struct tui_opts *opts)
{
    struct tui *t;
    int code;

    if (!isatty(STDOUT_FILENO)) {
        fprintf(stderr, "healthtop: the live dashboard needs a terminal, and stdout is not one.\n"
                        "  Use --once for a one-shot report, or --wait to block until every\n"
                        "  service is healthy.\n");
        /* Every return leaves the source stopped, so the caller only frees. */
        opts->source->stop(s, opts->source->ud);
        uv_run(s->loop, UV_RUN_DEFAULT);
        return 2;
    }
    setlocale(LC_ALL, "");
    t = xcalloc(1, sizeof(*t));
    t->s = s;
    t->opts = opts;
    t->loop = s->loop;
    t->poll.data = t->paint.data = t->clock.data = t;
    uv_timer_init(t->loop, &t->paint);
    uv_timer_init(t->loop, &t->clock);
    active = t;
    ht_atfatal(fatal_hook);
    if (tui_open(t, opts) != 0 || tui_start(t) != 0) {
        tui_quit(t, 1);
    } else {
        uv_timer_start(&t->clock, on_clock, 1000 - (uint64_t)(ht_wall_ms() % 1000), 1000);
        paint(t);
    }
    uv_run(t->loop, UV_RUN_DEFAULT);
    ui_free(&t->ui); /* windows go before their screen */
    restore_terminal(t);
    if (t->scr != NULL)
        delscreen(t->scr);
    if (t->tty != NULL)
        fclose(t->tty);
    active = NULL;
    code = t->exit_code;
    free(t);
    return code;
}
