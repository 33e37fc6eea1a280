/* libcurl multi_socket on libuv. The traps (doc/libraries.md) are handled
 * here once: completions are drained after every socket_action whatever
 * the running count says, a failed poll is passed on as CURL_CSELECT_ERR,
 * curl is never called from inside its own timer callback, one fd has at
 * most one poll, and the loop keeps the handles alive until
 * curl_multi_cleanup has run.
 *
 * Work per loop turn is bounded (CURL_UV_TURN_BUDGET): past the budget,
 * ready sockets wait in a queue and finished transfers in curl's message
 * list, and an idle handle takes the next batch on the next turn, after
 * the loop has polled every other handle (a key press) once more. */
#include "curl_uv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

struct curl_uv_sock;

/* Sockets are found by fd (byfd) and by transfer (each xfer's list), never
 * by walking every socket: at a thousand transfers in flight, those walks
 * on each new socket and each completion were a tenth of a sweep's CPU. */
struct curl_uv {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;           /* curl's single timeout */
    struct curl_uv_sock *socks; /* watched sockets */
    struct curl_uv_sock **byfd; /* watched socket of each fd, or NULL */
    size_t nbyfd;               /* entries in byfd */
    int depth;                  /* socket_action + drain under way */
    bool closing;               /* curl_uv_close was called */
    /* The per-turn bound: socket_action calls and completions this turn,
     * reset by the check handle after each poll phase. */
    int spent;
    uv_check_t turn;
    uv_idle_t more;                          /* runs while anything waits */
    struct curl_uv_sock *ready, *ready_tail; /* sockets waiting for curl */
    bool msgs_waiting;                       /* finished transfers not drained */
    bool timeout_now;                        /* curl asked for a call at once */
    int open_handles;                        /* timer, check, idle: still closing */
};

/* One per socket curl watches; freed from its close callback. */
struct curl_uv_sock {
    uv_poll_t poll;
    struct curl_uv *cu;
    curl_socket_t fd;
    struct curl_uv_xfer *x;           /* the transfer curl last named for it; NULL once it ended */
    struct curl_uv_sock *prev, *next; /* in cu->socks */
    struct curl_uv_sock *xprev, *xnext; /* in x->socks */
    int ready_ev;                       /* CURL_CSELECT_* waiting, 0 when not queued */
    int want;                           /* UV_READABLE | UV_WRITABLE, as curl last asked */
    struct curl_uv_sock *rprev, *rnext; /* in cu->ready */
};

static void sock_unbind(struct curl_uv_sock *s)
{
    if (s->x == NULL)
        return;
    if (s->xprev)
        s->xprev->xnext = s->xnext;
    else
        s->x->socks = s->xnext;
    if (s->xnext)
        s->xnext->xprev = s->xprev;
    s->x = NULL;
    s->xprev = s->xnext = NULL;
}

static void sock_bind(struct curl_uv_sock *s, struct curl_uv_xfer *x)
{
    if (s->x == x)
        return;
    sock_unbind(s);
    if (x == NULL)
        return;
    s->x = x;
    s->xnext = x->socks;
    if (x->socks)
        x->socks->xprev = s;
    x->socks = s;
}

static void on_more(uv_idle_t *h);

/* x has left the multi handle: no socket may point at it, or at its easy
 * handle, which its owner is about to clean up. */
static void forget_xfer(struct curl_uv_xfer *x)
{
    while (x->socks)
        sock_unbind(x->socks);
}

/* Collects every finished transfer. Called after each socket_action
 * whatever the running count says: the count drops to 0 before the
 * message of the last transfer (one ended by its timeout, say) is read. */
static void drain(struct curl_uv *cu)
{
    CURLMsg *m;
    int left = 0;

    cu->msgs_waiting = false;
    while (!cu->closing) {
        struct curl_uv_xfer *x = NULL;
        if (cu->spent >= CURL_UV_TURN_BUDGET) {
            /* The rest on a later turn: curl keeps them meanwhile. */
            cu->msgs_waiting = true;
            uv_idle_start(&cu->more, on_more);
            return;
        }
        if ((m = curl_multi_info_read(cu->multi, &left)) == NULL)
            return;
        if (m->msg != CURLMSG_DONE)
            continue;
        cu->spent++;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(cu->multi, easy);
        if (x != NULL) {
            forget_xfer(x);
            x->active = false;
            x->done(x, rc);
        }
    }
}

static void finish(struct curl_uv *cu);

static void act(struct curl_uv *cu, curl_socket_t fd, int ev)
{
    int running;

    cu->depth++;
    cu->spent++;
    curl_multi_socket_action(cu->multi, fd, ev, &running);
    drain(cu);
    cu->depth--;
    if (cu->depth == 0 && cu->closing)
        finish(cu);
}

/* Told CURL_CSELECT_ERR, curl fails the transfer without reading the
 * socket's error ("select/poll returned error"), so read it here for the
 * message: on an established connection it is nearly always a reset.
 * Not while connecting: curl reads SO_ERROR itself then, and reading
 * clears it. */
static void sock_note_error(struct curl_uv_sock *s)
{
    struct curl_uv_xfer *x = s->x;
    curl_off_t sent = 0;
    int err = 0;
    socklen_t len = sizeof(err);

    if (x == NULL || !x->active)
        return;
    if (curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &sent) != CURLE_OK || sent <= 0)
        return;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
        x->sock_errno = err;
}

static void ready_unlink(struct curl_uv_sock *s)
{
    struct curl_uv *cu = s->cu;

    if (s->ready_ev == 0)
        return;
    if (s->rprev)
        s->rprev->rnext = s->rnext;
    else
        cu->ready = s->rnext;
    if (s->rnext)
        s->rnext->rprev = s->rprev;
    else
        cu->ready_tail = s->rprev;
    s->rprev = s->rnext = NULL;
    s->ready_ev = 0;
}

static void ready_push(struct curl_uv_sock *s, int ev)
{
    struct curl_uv *cu = s->cu;

    if (s->ready_ev != 0) {
        s->ready_ev |= ev;
        return;
    }
    /* Not watched while it waits: the poll is level-triggered, and a
     * thousand waiting sockets reported again on every turn cost more
     * than the work itself. Watched again once curl has had its turn. */
    uv_poll_stop(&s->poll);
    s->ready_ev = ev;
    s->rprev = cu->ready_tail;
    if (cu->ready_tail)
        cu->ready_tail->rnext = s;
    else
        cu->ready = s;
    cu->ready_tail = s;
    uv_idle_start(&cu->more, on_more);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curl_uv_sock *s = h->data;
    int ev = 0;

    if (status < 0) {
        sock_note_error(s);
        ev = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            ev |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            ev |= CURL_CSELECT_OUT;
    }
    /* Within the budget and with nobody waiting ahead, at once; else in
     * turn. The poll is level-triggered: a socket that waits is reported
     * again on later turns, and its events are merged, never doubled. */
    if (s->ready_ev == 0 && s->cu->ready == NULL && s->cu->spent < CURL_UV_TURN_BUDGET)
        act(s->cu, s->fd, ev);
    else
        ready_push(s, ev);
}

/* After each poll phase: a new turn, a new budget. */
static void on_turn(uv_check_t *h)
{
    struct curl_uv *cu = h->data;

    cu->spent = 0;
}

/* The next batch of what waits: finished transfers first (curl has done
 * their work), then ready sockets in the order they became ready. */
static void on_more(uv_idle_t *h)
{
    struct curl_uv *cu = h->data;

    if (cu->timeout_now && cu->spent < CURL_UV_TURN_BUDGET && !cu->closing) {
        cu->timeout_now = false;
        act(cu, CURL_SOCKET_TIMEOUT, 0);
        if (cu->depth == 0 && cu->closing)
            return; /* act() finished the handle */
    }
    if (cu->msgs_waiting && !cu->closing) {
        cu->depth++;
        drain(cu);
        cu->depth--;
        if (cu->depth == 0 && cu->closing) {
            finish(cu);
            return;
        }
    }
    while (cu->ready != NULL && cu->spent < CURL_UV_TURN_BUDGET && !cu->closing) {
        struct curl_uv_sock *s = cu->ready;
        int ev = s->ready_ev;
        ready_unlink(s);
        act(cu, s->fd, ev);
        /* Unless curl closed it or asked for new events meanwhile. */
        if (!uv_is_closing((uv_handle_t *)&s->poll) && !uv_is_active((uv_handle_t *)&s->poll) &&
            s->want != 0)
            uv_poll_start(&s->poll, s->want, on_poll);
    }
    if ((cu->ready == NULL && !cu->msgs_waiting && !cu->timeout_now) || cu->closing)
        uv_idle_stop(h);
}

static void on_timer(uv_timer_t *t)
{
    act(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Stops watching s now (uv_close stops the poll at once, before curl
 * closes the fd); the memory goes when libuv is done with the handle. */
static void sock_close(struct curl_uv_sock *s)
{
    struct curl_uv *cu = s->cu;

    sock_unbind(s);
    ready_unlink(s);
    if ((size_t)s->fd < cu->nbyfd && cu->byfd[s->fd] == s)
        cu->byfd[s->fd] = NULL;
    if (s->prev)
        s->prev->next = s->next;
    else
        cu->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static struct curl_uv_sock *sock_open(struct curl_uv *cu, curl_socket_t fd)
{
    struct curl_uv_sock *s;

    if (fd < 0)
        return NULL;
    if ((size_t)fd >= cu->nbyfd) {
        size_t n = cu->nbyfd ? cu->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        cu->byfd = xrealloc(cu->byfd, n * sizeof(*cu->byfd));
        memset(cu->byfd + cu->nbyfd, 0, (n - cu->nbyfd) * sizeof(*cu->byfd));
        cu->nbyfd = n;
    }
    /* A watcher left on a number curl reused means the old socket went
     * away unannounced: drop that watcher. */
    if (cu->byfd[fd] != NULL)
        sock_close(cu->byfd[fd]);
    s = xcalloc(1, sizeof(*s));
    if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
        free(s);
        return NULL;
    }
    cu->byfd[fd] = s;
    s->cu = cu;
    s->fd = fd;
    s->poll.data = s;
    s->next = cu->socks;
    if (cu->socks)
        cu->socks->prev = s;
    cu->socks = s;
    curl_multi_assign(cu->multi, fd, s);
    return s;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    struct curl_uv *cu = userp;
    struct curl_uv_sock *s = sockp;
    struct curl_uv_xfer *x = NULL;
    int events = 0;

    if (what == CURL_POLL_REMOVE) {
        if (s != NULL)
            sock_close(s);
        return 0;
    }
    if (s == NULL && (s = sock_open(cu, fd)) == NULL)
        return -1;
    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) == CURLE_OK)
        sock_bind(s, x != NULL && x->active ? x : NULL);
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    s->want = events;
    if (s->ready_ev != 0)
        return 0; /* waiting its turn: watched again after it */
    return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

/* Curl asks for a wake-up: never call curl from here, only arm the timer.
 * "At once" (0) is the idle handle's next run, on the next loop turn
 * without sleeping: armed as a 1 ms timer, each batch of new transfers
 * cost the loop a sleep and a wake-up before its requests went out. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct curl_uv *cu = userp;

    (void)multi;
    cu->timeout_now = timeout_ms == 0;
    if (timeout_ms <= 0)
        uv_timer_stop(&cu->timer);
    else
        uv_timer_start(&cu->timer, on_timer, (uint64_t)timeout_ms, 0);
    if (timeout_ms == 0 && !cu->closing)
        uv_idle_start(&cu->more, on_more);
    return 0;
}

/* Curl's default cache holds 4 connections per transfer in flight, so it
 * shrinks between rounds and a thousand targets probed in waves lose
 * their kept-alive connections. Keep up to half the fds we may open. */
static long max_connects(void)
{
    struct rlimit rl;
    rlim_t n = 1024;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        n = rl.rlim_cur;
    n /= 2;
    return n < 64 ? 64 : n > 8192 ? 8192 : (long)n;
}

struct curl_uv *curl_uv_new(uv_loop_t *loop)
{
    struct curl_uv *cu;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    cu = xcalloc(1, sizeof(*cu));
    cu->loop = loop;
    cu->multi = curl_multi_init();
    if (cu->multi == NULL) {
        free(cu);
        curl_global_cleanup();
        return NULL;
    }
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    uv_check_init(loop, &cu->turn);
    cu->turn.data = cu;
    uv_check_start(&cu->turn, on_turn);
    uv_unref((uv_handle_t *)&cu->turn);
    uv_idle_init(loop, &cu->more);
    cu->more.data = cu;
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_MAXCONNECTS, max_connects());
    return cu;
}

int curl_uv_add(struct curl_uv *cu, struct curl_uv_xfer *x)
{
    if (cu->closing)
        return -1;
    x->sock_errno = 0;
    x->socks = NULL;
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    x->active = true; /* before: curl may name its sockets while adding */
    if (curl_multi_add_handle(cu->multi, x->easy) != CURLM_OK) {
        x->active = false;
        forget_xfer(x);
        return -1;
    }
    return 0;
}

void curl_uv_remove(struct curl_uv *cu, struct curl_uv_xfer *x)
{
    if (!x->active)
        return;
    x->active = false;
    curl_multi_remove_handle(cu->multi, x->easy);
    forget_xfer(x);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct curl_uv *cu = h->data;

    if (--cu->open_handles > 0)
        return;
    free(cu->byfd);
    free(cu);
    curl_global_cleanup();
}

/* The multi handle goes first: curl_multi_cleanup closes the cached
 * connections and tells on_socket about them, which closes their polls;
 * any poll curl did not announce is closed after it. */
static void finish(struct curl_uv *cu)
{
    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;
    while (cu->socks)
        sock_close(cu->socks);
    cu->open_handles = 3;
    uv_close((uv_handle_t *)&cu->timer, on_handle_closed);
    uv_close((uv_handle_t *)&cu->turn, on_handle_closed);
    uv_close((uv_handle_t *)&cu->more, on_handle_closed);
}

void curl_uv_close(struct curl_uv *cu)
{
    if (cu == NULL)
        return;
    /* From a completion callback we are inside act(), still reading
     * curl's messages: act() finishes once the drain is over. */
    cu->closing = true;
    if (cu->depth == 0)
        finish(cu);
}
