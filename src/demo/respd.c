/* A tiny RESP server on libuv: PING, AUTH, SELECT, QUIT, and errors, on
 * the connection lifecycle of tcpsrv.c. */
#include "demo/respd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "healthtop/buf.h"

#define RESPD_MAX_ARGS 64

struct respd_conn {
    struct tcpsrv_conn base; /* the socket and the bounded input buffer */
    struct respd *srv;
    int writes; /* writes in flight */
    bool close_after_write;
};

struct respd_write {
    uv_write_t req;
    struct respd_conn *conn;
    size_t len;
    char data[];
};

static void conn_close(struct respd_conn *c)
{
    tcpsrv_conn_close(&c->base);
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

    if (c->base.closing)
        return;
    w = xmalloc(sizeof(*w) + len);
    w->conn = c;
    w->len = len;
    memcpy(w->data, text, len);
    b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->base.tcp, &b, 1, conn_on_written) != 0) {
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

    while (!c->close_after_write && !c->base.closing &&
           (k = respd_parse(c->base.in.data + off, c->base.in.len - off, name, sizeof(name),
                            &argc)) != 0) {
        if (k < 0) {
            conn_send(c, "-ERR Protocol error\r\n");
            c->close_after_write = true;
            break;
        }
        off += (size_t)k;
        tcpsrv_conn_touch(&c->base);
        conn_answer(c, name, argc);
    }
    if (off > 0) {
        memmove(c->base.in.data, c->base.in.data + off, c->base.in.len - off);
        c->base.in.len -= off;
        c->base.in.data[c->base.in.len] = '\0';
    }
    if (c->close_after_write && c->writes == 0)
        conn_close(c);
}

static void conn_on_data(struct tcpsrv_conn *b, const char *p, size_t n)
{
    struct respd_conn *c = (struct respd_conn *)b;

    if (buf_append(&c->base.in, p, n) != 0) {
        conn_send(c, "-ERR Protocol error: request too big\r\n");
        c->close_after_write = true;
        if (c->writes == 0)
            conn_close(c);
        return;
    }
    conn_process(c);
}

static bool conn_on_open(struct tcpsrv_conn *b)
{
    struct respd_conn *c = (struct respd_conn *)b;

    c->srv = b->srv->owner;
    return c->srv->mode != RESPD_CLOSE;
}

static const struct tcpsrv_ops respd_ops = {
    .conn_size = sizeof(struct respd_conn),
    .max_in = RESPD_MAX_REQUEST,
    .on_open = conn_on_open,
    .on_data = conn_on_data,
};

void respd_init(struct respd *srv, uv_loop_t *loop)
{
    memset(srv, 0, sizeof(*srv));
    tcpsrv_init(&srv->net, loop, &respd_ops, srv);
}

int respd_listen(struct respd *srv, const char *host, int port)
{
    return tcpsrv_listen(&srv->net, host, port);
}

void respd_set_mode(struct respd *srv, enum respd_mode mode, const char *msg)
{
    srv->mode = mode;
    ht_strlcpy(srv->msg, msg ? msg : "", sizeof(srv->msg));
    if (mode == RESPD_CLOSE)
        for (struct tcpsrv_conn *c = srv->net.conns; c; c = c->next)
            tcpsrv_conn_close(c);
}

static void srv_on_closed(struct tcpsrv *net)
{
    struct respd *srv = net->owner;
    respd_close_cb cb = srv->close_cb;

    srv->close_cb = NULL;
    if (cb)
        cb(srv);
}

void respd_close(struct respd *srv, respd_close_cb cb)
{
    if (srv->net.closing)
        return;
    srv->close_cb = cb;
    tcpsrv_close(&srv->net, srv_on_closed);
}
