/* The postgres probe against real PostgreSQL 15 servers started here
 * (tests/support/pg_server.h): a primary with a password, a hot standby, a
 * server held "starting up", one with a single connection slot, one
 * stopped; and a listener that never answers, for the timeout. Services
 * come from YAML through config_parse, so the config and the probe are
 * tested together as a user would write them. */
#include <errno.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "healthtop/config.h"
#include "healthtop/secret.h"
#include "support/check.h"
#include "support/pg_server.h"
#include "support/probe_run.h"

static struct pg_server primary, standby, starting, crowded, tls_refused;

static int setup(void **state)
{
    static const char *const one_slot[] = {"max_connections=2", "superuser_reserved_connections=0",
                                           NULL};

    if (pg_server_start(&primary, PG_SERVER_PRIMARY, NULL) != 0 ||
        pg_server_start(&standby, PG_SERVER_STANDBY, NULL) != 0 ||
        pg_server_start(&starting, PG_SERVER_STARTING, NULL) != 0 ||
        pg_server_start(&crowded, PG_SERVER_PRIMARY, one_slot) != 0 ||
        pg_server_start(&tls_refused, PG_SERVER_TLS_REFUSED, NULL) != 0) {
        fprintf(stderr, "cannot start PostgreSQL servers\n");
        return -1;
    }
    return probe_run_warmup(state);
}

static int teardown(void **state)
{
    (void)state;
    pg_server_stop(&primary);
    pg_server_stop(&standby);
    pg_server_stop(&starting);
    pg_server_stop(&crowded);
    pg_server_stop(&tls_refused);
    return 0;
}

/* Runs the one service that the YAML text (after "services:\n  db:\n")
 * defines, formatted with printf arguments; describe gets its one-line
 * description. */
static struct probe_run run_yaml(char *describe, size_t dn, const char *fmt, ...) HT_PRINTF(3, 4);

static struct probe_run run_yaml(char *describe, size_t dn, const char *fmt, ...)
{
    char body[1024], text[1200], err[2048];
    struct ht_config cfg;
    struct probe_run r;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    snprintf(text, sizeof(text), "services:\n  db:\n    timeout: 60s\n%s", body);
    if (config_parse("t.yml", text, strlen(text), &cfg, err, sizeof(err)) != 0) {
        print_error("config error:\n%s\nin:\n%s\n", err, text);
        fail();
    }
    if (describe != NULL)
        config_describe(&cfg.svcs[0], describe, dn);
    r = probe_run_one(&cfg.svcs[0]);
    config_free(&cfg);
    return r;
}

#define URL_FMT "postgres://postgres:%s@127.0.0.1:%d/postgres"

static void check_run(const struct probe_run *r, bool ok, const char *msg)
{
    CHECK_EQ("start_rc", r->start_rc, 0);
    CHECK_EQ("callbacks", r->calls, 1);
    CHECK_STR("message", r->p.result.message, msg);
    CHECK_EQ("ok", r->p.result.ok, ok);
    CHECK_EQ("found", r->p.result.found, 1);
    CHECK_EQ("up", r->p.result.up, ok ? 1 : 0);
}

static void test_select_one(void **state)
{
    (void)state;
    int fds = test_count_fds();
    char desc[256];
    struct probe_run r = run_yaml(desc, sizeof(desc), "    postgres: " URL_FMT "?sslmode=disable\n",
                                  PG_SERVER_PASSWORD, primary.port);
    check_run(&r, true, "SELECT 1");
    CHECK_FALSE("starting", r.p.result.starting);
    CHECK_GT("latency_us", r.p.result.latency_us, 0);
    CHECK_GE("connect_us", r.p.result.connect_us, 0);
    CHECK_LE("connect_us", r.p.result.connect_us, r.p.result.latency_us);
    CHECK_CONTAINS("detail", r.p.result.detail, "PostgreSQL 15");
    CHECK_CONTAINS("detail", r.p.result.detail, "first value: 1");
    CHECK_LACKS("description", desc, PG_SERVER_PASSWORD);
    CHECK_CONTAINS("description", desc, "postgres postgres://***@127.0.0.1:");

    /* A host name, looked up off the loop; sslmode=prefer (libpq's
     * default) asks for TLS first, and this server says no. */
    r = run_yaml(NULL, 0, "    postgres: postgres://postgres:%s@localhost:%d/postgres\n",
                 PG_SERVER_PASSWORD, primary.port);
    check_run(&r, true, "SELECT 1");
    CHECK_EQ("open descriptors", test_count_fds(), fds);
}

/* The mapping form, the password from the environment, and queries. */
static void test_keys_env_password_and_query(void **state)
{
    (void)state;
    char desc[256];
    struct probe_run r;

    setenv("HT_TEST_PGPASSWORD", PG_SERVER_PASSWORD, 1);
    r = run_yaml(desc, sizeof(desc),
                 "    postgres:\n      host: 127.0.0.1\n      port: %d\n      user: postgres\n"
                 "      dbname: template1\n      password: ${HT_TEST_PGPASSWORD}\n"
                 "      sslmode: disable\n"
                 "      query: SELECT datname FROM pg_database ORDER BY datname\n",
                 primary.port);
    check_run(&r, true, "SELECT 3");
    CHECK_CONTAINS("detail", r.p.result.detail, "first value: postgres");
    char want[128];
    snprintf(want, sizeof(want),
             "postgres postgres://***@127.0.0.1:%d/template1 query: "
             "SELECT datname FROM pg_database ORDER BY datname",
             primary.port);
    CHECK_STR("description", desc, want);
    CHECK_LACKS("description", desc, PG_SERVER_PASSWORD);

    r = run_yaml(NULL, 0,
                 "    postgres:\n      url: " URL_FMT
                 "\n      query: SELECT * FROM no_such_table\n",
                 PG_SERVER_PASSWORD, primary.port);
    check_run(&r, false, "relation \"no_such_table\" does not exist");

    /* A statement that is not a SELECT: its tag is the message. */
    r = run_yaml(NULL, 0,
                 "    postgres:\n      url: " URL_FMT "\n      query: SET search_path TO public\n",
                 PG_SERVER_PASSWORD, primary.port);
    check_run(&r, true, "SET");

    /* Many rows, one at a time: the tag counts them, the first is kept. */
    r = run_yaml(NULL, 0,
                 "    postgres:\n      url: " URL_FMT "\n"
                 "      query: SELECT g FROM generate_series(7, 50006) g\n",
                 PG_SERVER_PASSWORD, primary.port);
    check_run(&r, true, "SELECT 50000");
    CHECK_CONTAINS("detail", r.p.result.detail, "first value: 7");

    r = run_yaml(NULL, 0,
                 "    postgres:\n      url: " URL_FMT "\n"
                 "      query: COPY (SELECT 1) TO STDOUT\n",
                 PG_SERVER_PASSWORD, primary.port);
    check_run(&r, false, "COPY cannot be a probe's query");
}

static void test_wrong_and_missing_password(void **state)
{
    (void)state;
    secret_add("wrong-pass-12");
    struct probe_run r =
        run_yaml(NULL, 0, "    postgres: " URL_FMT "\n", "wrong-pass-12", primary.port);
    check_run(&r, false, "password authentication failed for user \"postgres\"");
    CHECK_FALSE("starting", r.p.result.starting);
    CHECK_LACKS("detail", r.p.result.detail, "wrong-pass-12");

    r = run_yaml(NULL, 0, "    postgres: postgres://postgres@127.0.0.1:%d/postgres\n",
                 primary.port);
    check_run(&r, false, "password required, none given");
}

static void test_starting_then_stopped(void **state)
{
    (void)state;
    struct probe_run r =
        run_yaml(NULL, 0, "    postgres: " URL_FMT "\n", PG_SERVER_PASSWORD, starting.port);
    check_run(&r, false, "the database system is starting up");
    CHECK_TRUE("starting", r.p.result.starting);

    /* Replicas: starting when every failing one is starting, failing when
     * one fails for another reason. */
    r = run_yaml(NULL, 0, "    postgres: ['" URL_FMT "', '" URL_FMT "']\n", PG_SERVER_PASSWORD,
                 starting.port, PG_SERVER_PASSWORD, starting.port);
    CHECK_FALSE("ok", r.p.result.ok);
    CHECK_TRUE("starting", r.p.result.starting);
    r = run_yaml(NULL, 0, "    postgres: ['" URL_FMT "', '" URL_FMT "']\n", PG_SERVER_PASSWORD,
                 starting.port, PG_SERVER_PASSWORD, test_free_port());
    CHECK_FALSE("ok", r.p.result.ok);
    CHECK_FALSE("starting", r.p.result.starting);
    CHECK_STR("message", r.p.result.message, "replica 1: the database system is starting up");

    pg_server_kill(&starting);
    r = run_yaml(NULL, 0, "    postgres: " URL_FMT "\n", PG_SERVER_PASSWORD, starting.port);
    check_run(&r, false, "connection refused");
    CHECK_FALSE("starting", r.p.result.starting);
    CHECK_CONTAINS("detail", r.p.result.detail, "Connection refused");
}

/* sslmode=prefer: libpq tries TLS, the server refuses the TLS session
 * (pg_hba.conf), and libpq tries again without TLS on a new socket, often
 * with the old one's number. The probe must follow it to get in. */
static void test_new_socket_while_connecting(void **state)
{
    (void)state;
    int fds = test_count_fds();
    struct probe_run r = run_yaml(NULL, 0, "    postgres: " URL_FMT "?sslmode=prefer\n",
                                  PG_SERVER_PASSWORD, tls_refused.port);
    check_run(&r, true, "SELECT 1");

    /* TLS was offered and taken: with sslmode=require it is all libpq
     * may try, and pg_hba.conf says no. */
    r = run_yaml(NULL, 0, "    postgres: " URL_FMT "?sslmode=require\n", PG_SERVER_PASSWORD,
                 tls_refused.port);
    CHECK_EQ("callbacks", r.calls, 1);
    CHECK_FALSE("ok", r.p.result.ok);
    CHECK_CONTAINS("message", r.p.result.message, "no pg_hba.conf entry");
    CHECK_CONTAINS("message", r.p.result.message, "SSL encryption");
    CHECK_EQ("open descriptors", test_count_fds(), fds);
}

static void test_role(void **state)
{
    (void)state;
    struct probe_run r = run_yaml(NULL, 0, "    postgres: {url: '" URL_FMT "', role: primary}\n",
                                  PG_SERVER_PASSWORD, primary.port);
    check_run(&r, true, "SELECT 1, primary");
    r = run_yaml(NULL, 0, "    postgres: {url: '" URL_FMT "', role: replica}\n", PG_SERVER_PASSWORD,
                 primary.port);
    check_run(&r, false, "primary, expected replica");
    r = run_yaml(NULL, 0, "    postgres: {url: '" URL_FMT "', role: replica}\n", PG_SERVER_PASSWORD,
                 standby.port);
    check_run(&r, true, "SELECT 1, replica");
    r = run_yaml(NULL, 0, "    postgres: {url: '" URL_FMT "', role: primary}\n", PG_SERVER_PASSWORD,
                 standby.port);
    check_run(&r, false, "replica, expected primary");
    /* Without role:, a standby answers the query like any server. */
    r = run_yaml(NULL, 0, "    postgres: " URL_FMT "\n", PG_SERVER_PASSWORD, standby.port);
    check_run(&r, true, "SELECT 1");
}

static void test_too_many_connections(void **state)
{
    (void)state;
    char conninfo[160];
    PGconn *held[2];

    /* Take both slots with blocking libpq, as a test may. */
    for (int i = 0; i < 2; i++) {
        snprintf(conninfo, sizeof(conninfo),
                 "host=127.0.0.1 port=%d user=postgres dbname=postgres password=%s", crowded.port,
                 PG_SERVER_PASSWORD);
        held[i] = PQconnectdb(conninfo);
        CHECK_EQ("held connection status", PQstatus(held[i]), CONNECTION_OK);
    }
    struct probe_run r =
        run_yaml(NULL, 0, "    postgres: " URL_FMT "\n", PG_SERVER_PASSWORD, crowded.port);
    check_run(&r, false, "too many connections");
    CHECK_CONTAINS("detail", r.p.result.detail, "too many clients");
    for (int i = 0; i < 2; i++)
        PQfinish(held[i]);
}

static void test_replicas(void **state)
{
    (void)state;
    int refused = test_free_port();
    struct probe_run r = run_yaml(
        NULL, 0, "    replicas: 1\n    postgres:\n      - " URL_FMT "\n      - " URL_FMT "\n",
        PG_SERVER_PASSWORD, primary.port, PG_SERVER_PASSWORD, refused);
    CHECK_EQ("callbacks", r.calls, 1);
    CHECK_TRUE("ok", r.p.result.ok);
    CHECK_EQ("found", r.p.result.found, 2);
    CHECK_EQ("up", r.p.result.up, 1);
    CHECK_STR("message", r.p.result.message, "replica 2: connection refused");
}

/* A listener that accepts (the kernel does) and never answers: only the
 * timeout ends the probe. */
static void test_timeout_and_cancel(void **state)
{
    (void)state;
    int port, fd = test_listen(AF_INET, 16, &port), fds;
    char body[256], text[400], err[512];
    struct ht_config cfg;
    struct probe_run r;
    const struct svc_config *svcs[1];

    assert_true(fd >= 0);
    fds = test_count_fds();
    snprintf(body, sizeof(body), "    postgres: postgres://u:p@127.0.0.1:%d/db\n", port);
    snprintf(text, sizeof(text), "services:\n  db:\n    timeout: 300ms\n%s", body);
    assert_int_equal(config_parse("t.yml", text, strlen(text), &cfg, err, sizeof(err)), 0);
    r = probe_run_one(&cfg.svcs[0]);
    check_run(&r, false, "timeout after 300ms");
    CHECK_GE("ms to the timeout", r.done_ms, 250);

    /* Cancelled while it waits: one callback, "cancelled", nothing left. */
    cfg.svcs[0].timeout_ms = TEST_PATIENCE_MS;
    svcs[0] = &cfg.svcs[0];
    CHECK_GE("batch", probe_run_batch(&r, svcs, 1, 200), 0);
    check_run(&r, false, "cancelled");
    config_free(&cfg);
    CHECK_EQ("open descriptors", test_count_fds(), fds);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_one),
        cmocka_unit_test(test_keys_env_password_and_query),
        cmocka_unit_test(test_wrong_and_missing_password),
        cmocka_unit_test(test_new_socket_while_connecting),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_too_many_connections),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_timeout_and_cancel),
        cmocka_unit_test(test_starting_then_stopped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
