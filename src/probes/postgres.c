/* The postgres probe: connect with libpq, run the query (SELECT 1 unless
 * configured), optionally ask pg_is_in_recovery() whether the server is
 * the primary or a replica, disconnect. One connection per target per
 * probe; the target set (targets.h) runs the targets together under the
 * service's timeout and reports.
 *
 * Only libpq's non-blocking calls are made on the loop: PQconnectStartParams
 * and PQconnectPoll to connect, PQsendQuery, PQflush, PQconsumeInput and
 * PQgetResult to query, with the socket watched by a uv_poll. libpq would
 * look a host name up with a blocking getaddrinfo() inside
 * PQconnectStartParams, so the name is looked up first in libuv's thread
 * pool (target_resolve) and handed to libpq as hostaddr, the name staying
 * in host for TLS verification and messages.
 *
 * libpq may close its socket and open another while connecting (the next
 * address, or a retry without TLS under sslmode=prefer), and the new one
 * may get the same number. So the poll is stopped before each
 * PQconnectPoll, which takes the descriptor out of epoll while it is still
 * the old socket, and started again on whatever PQsocket() says after:
 * the same handle when the number is the same, a new one when not.
 *
 * Ownership: the connection and each poll handle are held on the target
 * (target_hold). pg_close() closes the poll first (uv_close takes the
 * descriptor out of epoll at once) and then PQfinish() closes the socket;
 * the poll handle's memory goes in its close callback. */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/text.h"
#include "probes/postgres.h"
#include "targets.h"

/* A poll handle of its own allocation: one may still be closing while the
 * next is watching libpq's new socket. */
struct pg_poll {
    uv_poll_t h;
    struct target *t;
};

enum pg_phase {
    PG_CONNECTING,
    PG_QUERY, /* the configured query */
    PG_ROLE,  /* SELECT pg_is_in_recovery() */
};

struct pg_probe {
    PGconn *conn; /* NULL once finished */
    struct pg_poll *poll;
    int fd; /* the socket poll watches */
    enum pg_phase phase;
    int64_t connect_start_us;
    bool result_seen; /* of the current query: the first one is kept */
    bool have_first;  /* first holds the first value of the first row */
    char status[64];  /* the query's command tag: "SELECT 1" */
    char first[64];   /* the first value of its first row, or "" */
    bool failed;      /* an error result came */
    char error[PROBE_MSG_MAX];
    char tag[64]; /* the configured query's tag, shown: the message */
};

static void on_poll_closed(uv_handle_t *h)
{
    struct pg_poll *pp = h->data;
    struct target *t = pp->t;

    free(pp);
    target_release(t);
}

static void poll_close(struct pg_probe *pg)
{
    if (pg->poll == NULL)
        return;
    uv_close((uv_handle_t *)&pg->poll->h, on_poll_closed);
    pg->poll = NULL;
}

/* Closes everything the target holds: the poll, then the socket. */
static void pg_close(struct target *t)
{
    struct pg_probe *pg = t->state;

    poll_close(pg);
    if (pg->conn != NULL) {
        PQfinish(pg->conn);
        pg->conn = NULL;
        target_release(t);
    }
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches libpq's socket for events, following it to a new descriptor.
 * Returns 0, or -1 with the target failed. */
static int pg_watch(struct target *t, int events)
{
    struct pg_probe *pg = t->state;
    int fd = PQsocket(pg->conn), rc;

    if (fd < 0) {
        target_fail(t, "connection lost");
        return -1;
    }
    if (pg->poll != NULL && pg->fd != fd)
        poll_close(pg);
    if (pg->poll == NULL) {
        pg->poll = xcalloc(1, sizeof(*pg->poll));
        pg->poll->t = t;
        pg->poll->h.data = pg->poll;
        rc = uv_poll_init_socket(t->loop, &pg->poll->h, fd);
        if (rc != 0) {
            free(pg->poll);
            pg->poll = NULL;
            target_fail(t, "%s", uv_strerror(rc));
            return -1;
        }
        target_hold(t);
        pg->fd = fd;
    }
    rc = uv_poll_start(&pg->poll->h, events, on_poll);
    if (rc != 0) {
        target_fail(t, "%s", uv_strerror(rc));
        return -1;
    }
    return 0;
}

/* ---- messages ----------------------------------------------------------- */

static bool has(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* libpq's error text as a message: "connection to server at "h", port 1
 * failed: FATAL:  password authentication failed for user "u"" becomes
 * what the server said, and the few failures people meet most get the
 * same short words whatever the server's version ("too many
 * connections"). The whole text goes to the detail. The server's words
 * are matched in English: a server with another lc_messages is quoted as
 * it speaks. */
static void fail_with(struct target *t, const char *err)
{
    const char *s = err, *f;
    char line[PROBE_MSG_MAX];

    text_safe_lines(t->detail, sizeof(t->detail), err, strlen(err));
    f = strstr(s, " failed: ");
    if (f != NULL && f < s + strcspn(s, "\n"))
        s = f + 9;
    s += strspn(s, " ");
    if (strncmp(s, "FATAL:", 6) == 0 || strncmp(s, "ERROR:", 6) == 0)
        s += 6;
    s += strspn(s, " ");
    target_errtext(line, sizeof(line), s);
    if (has(line, "the database system is starting up") ||
        has(line, "the database system is not yet accepting connections") ||
        has(line, "the database system is in recovery mode"))
        t->starting = true;
    if (has(line, "too many clients") || has(line, "connection slots are reserved"))
        target_fail(t, "too many connections");
    else if (has(line, "no password supplied"))
        target_fail(t, "password required, none given");
    else
        target_fail(t, "%s", line[0] ? line : "connection failed");
}

/* ---- the query ---------------------------------------------------------- */

/* Rows come one at a time (single-row mode), so a query that returns
 * many holds one row in memory, not all of them; the first value of the
 * first row is kept, and the command tag of the first statement. */
static void take_result(struct pg_probe *pg, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);

    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
        const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (!pg->failed)
            target_errtext(pg->error, sizeof(pg->error), m ? m : PQresStatus(st));
        pg->failed = true;
    }
    if ((st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) && !pg->have_first &&
        PQntuples(res) > 0 && PQnfields(res) > 0) {
        text_safe(pg->first, sizeof(pg->first), PQgetvalue(res, 0, 0),
                  (size_t)PQgetlength(res, 0, 0));
        pg->have_first = true;
    }
    if (st == PGRES_SINGLE_TUPLE || pg->result_seen)
        return;
    pg->result_seen = true;
    ht_strlcpy(pg->status, PQcmdStatus(res), sizeof(pg->status));
}

static void pg_send(struct target *t, const char *query);

/* The results of the current query are in: go on to the role check, or
 * end the target. */
static void query_done(struct target *t)
{
    struct pg_probe *pg = t->state;
    const struct postgres_config *c = pg_config(target_svc(t));
    const char *role = pg->first[0] == 't' ? "replica" : "primary";

    if (pg->failed) {
        target_fail(t, "%s%s", pg->phase == PG_ROLE ? "pg_is_in_recovery(): " : "", pg->error);
        pg_close(t);
        return;
    }
    if (pg->phase == PG_QUERY) {
        text_safe_str(pg->tag, sizeof(pg->tag), pg->status[0] ? pg->status : "ok");
        ht_snprintf(t->detail, sizeof(t->detail), "PostgreSQL %s, query: %s, first value: %s",
                    PQparameterStatus(pg->conn, "server_version")
                        ? PQparameterStatus(pg->conn, "server_version")
                        : "?",
                    c->query, pg->first[0] ? pg->first : "(none)");
        if (c->role != PG_ROLE_ANY) {
            pg->phase = PG_ROLE;
            pg->result_seen = false;
            pg->have_first = false;
            pg->first[0] = '\0';
            pg_send(t, "SELECT pg_is_in_recovery()");
            return;
        }
        target_pass(t, "%s", pg->tag);
    } else if (strcmp(pg->first, "t") != 0 && strcmp(pg->first, "f") != 0) {
        target_fail(t, "pg_is_in_recovery() gave no answer");
    } else if ((c->role == PG_ROLE_REPLICA) != (pg->first[0] == 't')) {
        target_fail(t, "%s, expected %s", role, c->role == PG_ROLE_PRIMARY ? "primary" : "replica");
    } else {
        target_pass(t, "%s, %s", pg->tag, role);
    }
    pg_close(t);
}

/* Flushes what libpq still has to send and watches for its answer. */
static void query_io(struct target *t)
{
    struct pg_probe *pg = t->state;
    int more = PQflush(pg->conn);

    if (more < 0) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    if (pg_watch(t, UV_READABLE | (more ? UV_WRITABLE : 0)) != 0)
        pg_close(t);
}

static void pg_send(struct target *t, const char *query)
{
    struct pg_probe *pg = t->state;

    if (!PQsendQuery(pg->conn, query) || !PQsetSingleRowMode(pg->conn)) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    query_io(t);
}

/* Reads what came and takes every complete result; a NULL result ends the
 * query. */
static void query_read(struct target *t)
{
    struct pg_probe *pg = t->state;
    PGresult *res;

    if (!PQconsumeInput(pg->conn)) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    while (!PQisBusy(pg->conn)) {
        res = PQgetResult(pg->conn);
        if (res == NULL) {
            query_done(t);
            return;
        }
        ExecStatusType st = PQresultStatus(res);
        take_result(pg, res);
        PQclear(res);
        /* libpq would hand out the same COPY result for ever. */
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            target_fail(t, "COPY cannot be a probe's query");
            pg_close(t);
            return;
        }
    }
    query_io(t);
}

/* ---- connecting --------------------------------------------------------- */

static void connected(struct target *t)
{
    struct pg_probe *pg = t->state;

    t->connect_us = ht_now_us() - pg->connect_start_us;
    if (PQsetnonblocking(pg->conn, 1) != 0) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    pg->phase = PG_QUERY;
    pg_send(t, pg_config(target_svc(t))->query);
}

/* One step of PQconnectPoll, with the poll stopped around it (see the
 * top of this file). */
static void connect_step(struct target *t)
{
    struct pg_probe *pg = t->state;
    PostgresPollingStatusType st;

    if (pg->poll != NULL)
        uv_poll_stop(&pg->poll->h);
    st = PQconnectPoll(pg->conn);
    if (st == PGRES_POLLING_OK) {
        connected(t);
        return;
    }
    if (st == PGRES_POLLING_FAILED) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    if (pg_watch(t, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE) != 0)
        pg_close(t);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct pg_poll *pp = h->data;
    struct target *t = pp->t;
    struct pg_probe *pg = t->state;

    if (t->ended || pg->conn == NULL || pg->poll != pp)
        return;
    /* An error on the socket (libuv says UV_EBADF for POLLERR, as when a
     * connection is refused) is libpq's to read and word. */
    if (pg->phase == PG_CONNECTING)
        connect_step(t);
    else if (status < 0 || (events & UV_READABLE))
        query_read(t);
    else
        query_io(t);
}

/* Starts libpq on the target's keywords, plus hostaddr when the host was
 * looked up here. */
static void pg_connect(struct target *t, const char *hostaddr)
{
    struct pg_probe *pg = t->state;
    const struct pg_target *pt = &pg_config(target_svc(t))->targets[t->index];
    const char **kw = xcalloc(pt->n + 3, sizeof(*kw));
    const char **val = xcalloc(pt->n + 3, sizeof(*val));
    size_t n = 0;

    for (size_t i = 0; i < pt->n; i++, n++) {
        kw[n] = pt->kw[i];
        val[n] = pt->val[i];
    }
    if (hostaddr != NULL) {
        kw[n] = "hostaddr";
        val[n++] = hostaddr;
    }
    kw[n] = "fallback_application_name";
    val[n++] = "healthtop";
    pg->connect_start_us = ht_now_us();
    pg->conn = PQconnectStartParams(kw, val, 0);
    free(kw);
    free(val);
    if (pg->conn == NULL) {
        target_fail(t, "out of memory");
        return;
    }
    target_hold(t);
    if (PQstatus(pg->conn) == CONNECTION_BAD) {
        fail_with(t, PQerrorMessage(pg->conn));
        pg_close(t);
        return;
    }
    /* Connecting starts as if PQconnectPoll had asked to write. */
    if (pg_watch(t, UV_WRITABLE) != 0)
        pg_close(t);
}

static void on_resolved(struct target *t, const struct sockaddr *sa, const char *ip)
{
    (void)sa;
    pg_connect(t, ip);
}

static void start_target(struct target *t)
{
    const struct pg_target *pt = &pg_config(target_svc(t))->targets[t->index];

    /* A socket directory, an address given as hostaddr, or libpq's
     * defaults (PGHOST, the socket directory) need no lookup here. */
    if (pt->host == NULL || pt->host[0] == '/' || pt->hostaddr != NULL)
        pg_connect(t, NULL);
    else
        target_resolve(t, pt->host, pt->port, on_resolved);
}

/* Whatever is still open when the set ends (pg_close ran on every path
 * that ended a target, but a cancel can come between two steps). */
static void free_target(struct target *t)
{
    struct pg_probe *pg = t->state;

    if (pg->conn != NULL)
        PQfinish(pg->conn);
    pg->conn = NULL;
}

static const struct target_ops pg_target_ops = {
    .state_size = sizeof(struct pg_probe),
    .start = start_target,
    .abort = pg_close,
    .free = free_target,
};

static int start(struct probe *p)
{
    return targets_start(p, pg_config_targets(p->svc), &pg_target_ops);
}

const struct probe_ops probe_postgres_ops = {
    .kind = PROBE_POSTGRES,
    .name = "postgres",
    .form = "a postgres:// URL, a list of them, or a mapping with url: or host:",
    .keys = pg_config_keys,
    .parse = pg_config_parse,
    .free_config = pg_config_free,
    .targets = pg_config_targets,
    .describe = pg_config_describe,
    .start = start,
    .cancel = targets_cancel,
};
