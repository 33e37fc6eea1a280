/* A tiny RESP server on libuv: PING, AUTH, SELECT, QUIT, and errors. */
#include "healthtop/respd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "healthtop/buf.h"
#include "healthtop/listen.h"

#define RESPD_MAX_ARGS 64

struct respd_conn {
    uv_tcp_t tcp;
    struct respd *srv;
    struct respd_conn *prev, *next;
    struct buf in; /* bytes received and not yet handled, bounded */
    int writes;    /* writes in flight */
    bool close_after_write;
    bool closing;
};

struct respd_write {
    uv_write_t req;
    struct respd_conn *conn;
    size_t len;
    char data[];
};

static void srv_maybe_closed(struct respd *srv)
{
    if (srv->closing && srv->listener_closed && srv->nconns == 0 && srv->close_cb) {
        respd_close_cb cb = srv->close_cb;
        srv->close_cb = NULL;
        cb(srv);
    }
}

static void conn_on_closed(uv_handle_t *h)
{
    struct respd_conn *c = h->data;
    struct respd *srv = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    buf_free(&c->in);
    free(c);
    srv_maybe_closed(srv);
}

static void conn_close(struct respd_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, conn_on_closed);
}

static void conn_on_written(uv_write_t *req, int status)
{
    struct respd_write *w = (struct respd_write *)req;
    struct respd_conn *c = w->conn;

    free(w);
    c->writes--;
    if ((status < 0 || c->close_after_write) && c->writes == 0)
        conn_close(c);
}

static void conn_send(struct respd_conn *c, const char *text)
{
    size_t len = strlen(text);
    struct respd_write *w;
    uv_buf_t b;

    if (c->closing)
        return;
    w = xmalloc(sizeof(*w) + len);
    w->conn = c;
    w->len = len;
    memcpy(w->data, text, len);
    b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, conn_on_written) != 0) {
        free(w);
        conn_close(c);
        return;
    }
    c->writes++;
}

/* Reads "<digits>\r\n" at p; returns the bytes taken, 0 when incomplete,
 * -1 when malformed. */
static long read_int(const char *p, size_t len, long max, long *out)
{
    long v = 0;
    size_t i = 0;

    for (; i < len && isdigit((unsigned char)p[i]); i++) {
        v = v * 10 + (p[i] - '0');
        if (v > max)
            return -1;
    }
    if (i + 2 > len)
        return 0;
    if (i == 0 || p[i] != '\r' || p[i + 1] != '\n')
        return -1;
    *out = v;
    return (long)i + 2;
}

static void copy_name(char *name, size_t namelen, const char *p, size_t n)
{
    size_t i = 0;

    if (namelen == 0)
        return;
    for (; i < n && i + 1 < namelen; i++)
        name[i] = (char)toupper((unsigned char)p[i]);
    name[i] = '\0';
}

/* "*<n>\r\n" then n times "$<len>\r\n<bytes>\r\n". */
static long parse_array(const char *d, size_t len, char *name, size_t namelen, int *argc)
{
    long n, blen, k;
    size_t off = 1;

    if ((k = read_int(d + off, len - off, RESPD_MAX_ARGS, &n)) <= 0)
        return k;
    if (n < 1)
        return -1;
    off += (size_t)k;
    for (long i = 0; i < n; i++) {
        if (off >= len)
            return 0;
        if (d[off] != '$')
            return -1;
        off++;
        if ((k = read_int(d + off, len - off, RESPD_MAX_REQUEST, &blen)) <= 0)
            return k;
        off += (size_t)k;
        if (len - off < (size_t)blen + 2)
            return 0;
        if (d[off + (size_t)blen] != '\r' || d[off + (size_t)blen + 1] != '\n')
            return -1;
        if (i == 0)
            copy_name(name, namelen, d + off, (size_t)blen);
        off += (size_t)blen + 2;
    }
    *argc = (int)n;
    return (long)off;
}

/* A line of words, as typed: "PING\r\n" or "ping\n". */
static long parse_inline(const char *d, size_t len, char *name, size_t namelen, int *argc)
{
    const char *nl = memchr(d, '\n', len);
    size_t end, i = 0, start;
    int words = 0;

    if (nl == NULL)
        return 0;
    end = (size_t)(nl - d);
    if (end > 0 && d[end - 1] == '\r')
        end--;
    if (namelen)
        name[0] = '\0';
    while (i < end) {
        while (i < end && (d[i] == ' ' || d[i] == '\t'))
            i++;
        start = i;
        while (i < end && d[i] != ' ' && d[i] != '\t')
            i++;
        if (i > start && words++ == 0)
            copy_name(name, namelen, d + start, i - start);
    }
    *argc = words;
    return (long)(nl - d) + 1;
}

long respd_parse(const char *data, size_t len, char *name, size_t namelen, int *argc)
{
    if (len == 0)
        return 0;
    if (data[0] == '*')
        return parse_array(data, len, name, namelen, argc);
    return parse_inline(data, len, name, namelen, argc);
}

static void conn_answer(struct respd_conn *c, const char *name, int argc)
{
    struct respd *srv = c->srv;
    char out[RESPD_MSG_MAX + 64];

    srv->commands++;
    if (argc == 0)
        return; /* an empty inline line: Redis says nothing either */
    if (strcmp(name, "PING") == 0) {
        if (srv->mode == RESPD_LOADING) {
            ht_snprintf(out, sizeof(out), "-LOADING %s\r\n", srv->msg);
            conn_send(c, out);
        } else {
            conn_send(c, "+PONG\r\n");
        }
    } else if (strcmp(name, "AUTH") == 0 || strcmp(name, "SELECT") == 0) {
        conn_send(c, "+OK\r\n");
    } else if (strcmp(name, "QUIT") == 0) {
        conn_send(c, "+OK\r\n");
        c->close_after_write = true;
    } else {
        ht_snprintf(out, sizeof(out), "-ERR unknown command '%.32s'\r\n", name);
        conn_send(c, out);
    }
}

static void conn_process(struct respd_conn *c)
{
    size_t off = 0;
    char name[33];
    int argc = 0;
    long k;

    while (!c->close_after_write && !c->closing &&
           (k = respd_parse(c->in.data + off, c->in.len - off, name, sizeof(name), &argc)) != 0) {
        if (k < 0) {
            conn_send(c, "-ERR Protocol error\r\n");
            c->close_after_write = true;
            break;
        }
        off += (size_t)k;
        conn_answer(c, name, argc);
    }
    if (off > 0) {
        memmove(c->in.data, c->in.data + off, c->in.len - off);
        c->in.len -= off;
        c->in.data[c->in.len] = '\0';
    }
    if (c->close_after_write && c->writes == 0)
        conn_close(c);
}

static void conn_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    static char scratch[16 * 1024];
    (void)h, (void)suggested;
    *b = uv_buf_init(scratch, sizeof(scratch));
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct respd_conn *c = s->data;

    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0 || c->closing)
        return;
    if (buf_append(&c->in, b->base, (size_t)nread) != 0) {
        conn_send(c, "-ERR Protocol error: request too big\r\n");
        c->close_after_write = true;
        if (c->writes == 0)
            conn_close(c);
        return;
    }
    conn_process(c);
}

static void srv_on_connection(uv_stream_t *server, int status)
{
    struct respd *srv = server->data;
    struct respd_conn *c;

    if (status < 0)
        return;
    c = xcalloc(1, sizeof(*c));
    c->srv = srv;
    buf_init(&c->in, RESPD_MAX_REQUEST);
    uv_tcp_init(srv->loop, &c->tcp);
    c->tcp.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || srv->mode == RESPD_CLOSE ||
        uv_read_start((uv_stream_t *)&c->tcp, conn_on_alloc, conn_on_read) != 0)
        conn_close(c);
    else
        uv_tcp_nodelay(&c->tcp, 1);
}

void respd_init(struct respd *srv, uv_loop_t *loop)
{
    memset(srv, 0, sizeof(*srv));
    srv->loop = loop;
    srv->listener_closed = true;
    srv->listener.data = srv;
}

static void srv_on_listener_closed(uv_handle_t *h)
{
    struct respd *srv = h->data;

    srv->listener_closed = true;
    srv_maybe_closed(srv);
}

int respd_listen(struct respd *srv, const char *host, int port)
{
    bool opened;
    int rc;

    if (srv->listening || srv->closing || !srv->listener_closed)
        return UV_EALREADY;
    rc = listen_tcp(srv->loop, &srv->listener, host, port, srv_on_connection,
                    srv_on_listener_closed, &srv->port, &opened);
    srv->listener_closed = !opened;
    srv->listening = rc == 0;
    return rc;
}

void respd_set_mode(struct respd *srv, enum respd_mode mode, const char *msg)
{
    srv->mode = mode;
    ht_strlcpy(srv->msg, msg ? msg : "", sizeof(srv->msg));
    if (mode == RESPD_CLOSE)
        for (struct respd_conn *c = srv->conns; c; c = c->next)
            conn_close(c);
}

void respd_close(struct respd *srv, respd_close_cb cb)
{
    if (srv->closing)
        return;
    srv->closing = true;
    srv->close_cb = cb;
    if (srv->listening) {
        srv->listening = false;
        uv_close((uv_handle_t *)&srv->listener, srv_on_listener_closed);
    }
    for (struct respd_conn *c = srv->conns; c; c = c->next)
        conn_close(c);
    srv_maybe_closed(srv);
}
