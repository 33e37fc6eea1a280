/* libcurl multi_socket on libuv. The traps (PROTOCOLS.md) are handled
 * here once: completions are drained after every socket_action whatever
 * the running count says, a failed poll is passed on as CURL_CSELECT_ERR,
 * curl is never called from inside its own timer callback, and the loop
 * keeps the handles alive until curl_multi_cleanup has run. */
#include "curl_uv.h"

#include <stdlib.h>

struct curl_uv {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
};

/* One per socket curl watches; freed from its close callback. */
struct curl_uv_sock {
    uv_poll_t poll;
    struct curl_uv *cu;
    curl_socket_t fd;
};

static void drain(struct curl_uv *cu)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(cu->multi, &left)) != NULL) {
        struct curl_uv_xfer *x = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(cu->multi, m->easy_handle);
        if (x != NULL) {
            x->active = false;
            x->done(x, rc);
        }
    }
}

static void act(struct curl_uv *cu, curl_socket_t fd, int ev)
{
    int running;
    curl_multi_socket_action(cu->multi, fd, ev, &running);
    drain(cu);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curl_uv_sock *s = h->data;
    int ev = 0;

    if (status < 0)
        ev = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            ev |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            ev |= CURL_CSELECT_OUT;
    }
    act(s->cu, s->fd, ev);
}

static void on_timer(uv_timer_t *t)
{
    act(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    struct curl_uv *cu = userp;
    struct curl_uv_sock *s = sockp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(cu->multi, fd, NULL);
        }
        return 0;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->cu = cu;
        s->fd = fd;
        if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(cu->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct curl_uv *cu = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&cu->timer);
    else
        uv_timer_start(&cu->timer, on_timer, timeout_ms > 0 ? (uint64_t)timeout_ms : 1, 0);
    return 0;
}

struct curl_uv *curl_uv_new(uv_loop_t *loop)
{
    struct curl_uv *cu = xcalloc(1, sizeof(*cu));

    cu->loop = loop;
    cu->multi = curl_multi_init();
    if (cu->multi == NULL) {
        free(cu);
        return NULL;
    }
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    return cu;
}

int curl_uv_add(struct curl_uv *cu, struct curl_uv_xfer *x)
{
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(cu->multi, x->easy) != CURLM_OK)
        return -1;
    x->active = true;
    return 0;
}

void curl_uv_remove(struct curl_uv *cu, struct curl_uv_xfer *x)
{
    if (!x->active)
        return;
    x->active = false;
    curl_multi_remove_handle(cu->multi, x->easy);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void curl_uv_close(struct curl_uv *cu)
{
    if (cu == NULL)
        return;
    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;
    uv_close((uv_handle_t *)&cu->timer, on_timer_closed);
}
