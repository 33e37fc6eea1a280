/* The config loader on wrong configs: every mistake is reported, with
 * file:line:column, a hint where one fits, and no secret in the text. */
#include "test_config.h"

#define SVC "services:\n  a:\n"

static void test_unknown_keys_hint(void **state)
{
    (void)state;
    parse_fails_with("defaults:\n  intervall: 2s\nservices: {a: {tcp: 'h:1'}}\n",
                     "t.yml:2:3: unknown key 'intervall' in defaults (did you mean 'interval'?)");
    parse_fails_with(SVC "    tcp: h:1\n    timout: 1s\n",
                     "t.yml:4:5: unknown key 'timout' in a service (did you mean 'timeout'?)");
    parse_fails_with("titel: x\nservices: {a: {tcp: 'h:1'}}\n",
                     "t.yml:1:1: unknown key 'titel' in the config (did you mean 'title'?)");
    parse_fails_with(SVC "    http: {url: 'http://h/', stauts: 200}\n",
                     "t.yml:3:30: unknown key 'stauts' in http (did you mean 'status'?)");
    /* No near miss: the valid keys are listed instead. */
    parse_fails_with(SVC "    tcp: h:1\n    zzzzzz: 1\n",
                     "unknown key 'zzzzzz' in a service (valid keys: label, group");
    parse_fails_with(SVC "    docker: {service: s, host: x}\n", "unknown key 'host' in docker");
    parse_fails_with(SVC "    redis: {url: 'redis://h', pasword: x}\n", "did you mean 'password'?");
    parse_fails_with(SVC "    celery: {broker: 'redis://h', worker: x}\n",
                     "did you mean 'workers'?");
    parse_fails_with(SVC "    tcp: {adress: 'h:1'}\n", "did you mean 'address'?");
}

static void test_wrong_types(void **state)
{
    (void)state;
    parse_fails_with("services: [a, b]\n",
                     "t.yml:1:11: services must be a mapping of service names, not a list");
    parse_fails_with("- a\n", "t.yml:1:1: the config must be a mapping");
    parse_fails_with(SVC "    tcp: h:1\n    label: [x]\n",
                     "t.yml:4:12: label must be a string, not a list");
    parse_fails_with(SVC "    tcp: h:1\n    retries: {n: 1}\n",
                     "retries must be a whole number, not a mapping");
    parse_fails_with(SVC "    http: {url: 'http://h/', insecure: 1}\n",
                     "insecure must be true or false, not '1'");
    parse_fails_with(SVC "    http: {url: {x: 1}}\n",
                     "URL must be a string or a list of strings, not a mapping");
    parse_fails_with(SVC "    http: {url: 'http://h/', json: [a]}\n", "json must be a mapping");
    parse_fails_with(SVC "    http: {url: 'http://h/', json: {a: [1]}}\n",
                     "json: 'a' must be a single value");
    parse_fails_with(SVC "    http: {url: 'http://h/', headers: x}\n", "headers must be a mapping");
    parse_fails_with(SVC "    http: {url: 'http://h/', headers: {'a b': x}}\n",
                     "bad header name 'a b'");
    parse_fails_with("defaults: 5\nservices: {a: {tcp: 'h:1'}}\n",
                     "defaults must be a mapping, not a string");
    parse_fails_with(SVC "    tcp:\n", "t.yml:3:5: tcp needs a value: host:port or a list of them");
    parse_fails_with("services:\n  a: 5\n",
                     "t.yml:2:6: service 'a' must be a mapping with a probe");
    parse_fails_with("services:\n  a:\n", "t.yml:2:3: service 'a' must be a mapping with a probe");
    parse_fails_with(SVC "    tcp: h:1\n    depends_on: 5\n",
                     "depends_on must be a list of service names or a mapping");
    parse_fails_with(SVC "    tcp: h:1\n    depends_on: {b: 5}\n",
                     "depends_on: 'b' takes a mapping like {condition: service_healthy}");
    parse_fails_with("services:\n  b: {tcp: 'h:1'}\n  a:\n    tcp: h:1\n    depends_on: {b: "
                     "{condition: service_healty}}\n",
                     "unknown condition 'service_healty' (did you mean 'service_healthy'?)");
    parse_fails_with("? [a]\n: 1\nservices: {a: {tcp: 'h:1'}}\n",
                     "t.yml:1:3: keys must be names, not a list");
}

static void test_bad_values(void **state)
{
    (void)state;
    parse_fails_with(SVC "    tcp: h:1\n    interval: 2x\n",
                     "t.yml:4:15: bad duration '2x' for interval: unknown unit");
    parse_fails_with(SVC "    tcp: h:1\n    interval: 50ms\n",
                     "interval must be at least 100ms, not 50ms");
    parse_fails_with(SVC "    tcp: h:1\n    timeout: 0s\n", "timeout must be at least 1ms");
    parse_fails_with(SVC "    tcp: h:1\n    timeout: -1s\n", "bad duration '-1s' for timeout");
    parse_fails_with(SVC "    tcp: h:1\n    retries: 0\n",
                     "retries must be between 1 and 1000, not 0");
    parse_fails_with(SVC "    tcp: h:1\n    retries: 2.5\n",
                     "retries must be a whole number, not '2.5'");
    parse_fails_with(SVC "    tcp: h:1\n    replicas: -1\n",
                     "replicas must be between 0 and 10000, not -1");
    parse_fails_with(SVC "    tcp: h:1\n    replicas: 99999999999999999999\n",
                     "replicas must be between 0 and 10000");
    parse_fails_with("max_inflight: 0\nservices: {a: {tcp: 'h:1'}}\n",
                     "max_inflight must be between 1 and 65536");
    parse_fails_with("history: soon\nservices: {a: {tcp: 'h:1'}}\n",
                     "bad duration 'soon' for history");
    parse_fails_with(SVC "    http: {url: 'http://h/', max_body: 64KB}\n",
                     "bad size '64KB' for max_body: unknown size unit");
    parse_fails_with(SVC "    http: {url: 'http://h/', max_body: 1GiB}\n",
                     "bad size '1GiB' for max_body");
    parse_fails_with(SVC "    http: {url: 'http://h/', max_body: 100MiB}\n",
                     "a size must be from 1 byte to 64MiB");
    parse_fails_with(SVC "    http: {url: 'http://h/', max_body: 0}\n",
                     "a size must be from 1 byte to 64MiB");
    parse_fails_with(SVC "    http: {url: 'http://h/', status: 700}\n",
                     "status must be between 100 and 599, not 700");
    parse_fails_with(SVC "    http: {url: 'http://h/', status: [200, x]}\n",
                     "status must be a whole number, not 'x'");
    parse_fails_with(SVC "    http: {url: 'http://h/', max_latency: 0ms}\n",
                     "max_latency must be at least 1ms");
    parse_fails_with(
        SVC "    tcp: [a:1]\n    replicas: 2\n",
        "replicas: 2 but service 'a' has 1 target; a tcp probe needs one target per replica");
    parse_fails_with(SVC "    exec: [x]\n    replicas: 3\n",
                     "a exec probe needs one target per replica");
    parse_fails_with(
        "services:\n  'bad name':\n    tcp: h:1\n",
        "t.yml:2:3: bad service name 'bad name': use letters, digits, '_', '.' and '-'");
    parse_fails_with(SVC "    celery: {broker: 'redis://h', workers: ''}\n",
                     "workers is an empty pattern");
    parse_fails_with(SVC "    docker: {service: s, socket: run/docker.sock}\n",
                     "socket must be an absolute path");
    parse_fails_with(SVC "    docker: {socket: /x.sock}\n", "docker needs a service:");
}

static void test_bad_urls_and_addresses(void **state)
{
    (void)state;
    parse_fails_with(SVC "    http: ftp://h/x\n",
                     "t.yml:3:11: bad URL 'ftp://h/x': the scheme must be http:// or https://");
    parse_fails_with(SVC "    http: 'http:///x'\n", "bad URL 'http:///x': no host");
    parse_fails_with(SVC "    http: 'http://h:99999/'\n",
                     "the port must be a number from 1 to 65535");
    parse_fails_with(SVC "    http: 'http://h x/'\n",
                     "spaces and control characters must be %-encoded");
    parse_fails_with(SVC "    http: {status: 200}\n", "t.yml:3:5: http needs a url:");
    parse_fails_with(SVC "    http: []\n", "URL is an empty list");
    parse_fails_with(SVC "    redis: 'rediss://h:6380'\n",
                     "TLS (rediss://) is not supported by hiredis 0.14");
    parse_fails_with(SVC "    celery: 'rediss://h:6380'\n",
                     "TLS (rediss://) is not supported by hiredis 0.14");
    parse_fails_with(SVC "    redis: 'http://h'\n", "a Redis URL starts with redis://");
    parse_fails_with(SVC "    celery: 'amqp://guest@h//'\n",
                     "bad Redis URL 'amqp://***@h//': a Redis URL starts with redis://");
    parse_fails_with(SVC "    redis: 'redis://h/x'\n", "the database after the host is a number");
    parse_fails_with(SVC "    redis: 'redis://h?db=1'\n", "query strings are not supported");
    parse_fails_with(SVC "    redis: {password: x}\n", "redis needs a url:");
    parse_fails_with(SVC "    celery: {workers: x}\n", "celery needs a broker:");
    parse_fails_with(SVC "    redis: {url: 'redis://:a1b2c3@h', password: x}\n",
                     "a password is given both in the URL and as password:");
    parse_fails_with(SVC "    tcp: h\n", "bad address 'h': missing port: write host:port");
    parse_fails_with(SVC "    tcp: ':80'\n", "bad address ':80': no host");
    parse_fails_with(SVC "    tcp: 'h:http'\n", "the port must be a number");
    parse_fails_with(SVC "    tcp: 'h:0'\n", "the port must be a number from 1 to 65535");
    parse_fails_with(SVC "    tcp: '::1:80'\n", "an IPv6 address goes in brackets: [::1]:5000");
    parse_fails_with(SVC "    tcp: '[zz]:80'\n", "bad character in an IPv6 address");
    parse_fails_with(SVC "    tcp: 'h/x:80'\n", "bad character in the host name");
    parse_fails_with(SVC "    exec: pg_isready -h 127.0.0.1\n",
                     "t.yml:3:11: exec takes a list (argv, run without a shell)");
    parse_fails_with(SVC "    exec: []\n", "exec needs at least a program");
    parse_fails_with(SVC "    exec: ['', x]\n", "exec: the program name is empty");
}

/* DOCKER_HOST is used when it names a unix socket, refused otherwise,
 * and irrelevant when the config gives socket: itself. */
static void test_docker_host(void **state)
{
    struct ht_config cfg;

    (void)state;
    setenv("DOCKER_HOST", "tcp://10.0.0.5:2375", 1);
    parse_fails_with(SVC "    docker: scheduler\n",
                     "t.yml:3:5: DOCKER_HOST=tcp://10.0.0.5:2375 is not supported: only unix:// "
                     "sockets are (set socket: or unset DOCKER_HOST)");
    parse_ok(SVC "    docker: {service: s, socket: /run/podman/podman.sock}\n", &cfg);
    assert_string_equal(cfg.svcs[0].u.docker.socket, "/run/podman/podman.sock");
    config_free(&cfg);
    setenv("DOCKER_HOST", "unix://relative.sock", 1);
    parse_fails_with(SVC "    docker: scheduler\n",
                     "DOCKER_HOST=unix://relative.sock is not supported");
    unsetenv("DOCKER_HOST");
}

static void test_probe_count(void **state)
{
    (void)state;
    parse_fails_with(SVC "    label: nothing\n", "t.yml:2:3: service 'a' has no probe: give it one "
                                                 "of http, tcp, redis, exec, celery or docker");
    parse_fails_with(
        SVC "    tcp: h:1\n    http: http://h/\n",
        "t.yml:4:5: service 'a' has two probes ('tcp' and 'http'): use one per service");
    parse_fails_with("services: {}\n", "t.yml:1:11: services is empty: add at least one service");
    parse_fails_with("services:\n",
                     "t.yml:1:1: services must be a mapping of service names, not empty");
    parse_fails_with("title: x\n", "t.yml:1:1: no services: add a services: mapping");
    parse_fails_with("", "t.yml:1:1: the config is empty");
    parse_fails_with("# only a comment\n", "t.yml:1:1: the config is empty");
}

static void test_duplicates(void **state)
{
    (void)state;
    parse_fails_with("services:\n  a: {tcp: 'h:1'}\n  a: {tcp: 'h:2'}\n",
                     "t.yml:3:3: duplicate key 'a' (first at line 2, column 3)");
    parse_fails_with(SVC "    tcp: h:1\n    interval: 1s\n    interval: 2s\n",
                     "t.yml:5:5: duplicate key 'interval'");
}

static void test_depends_on(void **state)
{
    (void)state;
    parse_fails_with(
        "services:\n  redis: {tcp: 'h:1'}\n  api:\n    tcp: h:1\n    depends_on: [rediss]\n",
        "t.yml:5:18: depends_on: no service named 'rediss' (did you mean 'redis'?)");
    parse_fails_with("services:\n  api:\n    tcp: h:1\n    depends_on: [nothing_like_it]\n",
                     "t.yml:4:18: depends_on: no service named 'nothing_like_it'");
    parse_fails_with("services:\n  api:\n    tcp: h:1\n    depends_on: [api]\n",
                     "service 'api' depends on itself");
    parse_fails_with("services:\n  b: {tcp: 'h:1'}\n  a:\n    tcp: h:1\n    depends_on: [b, b]\n",
                     "depends_on: 'b' is listed twice");
    parse_fails_with("services:\n"
                     "  a: {tcp: 'h:1', depends_on: [b]}\n"
                     "  b: {tcp: 'h:1', depends_on: [c]}\n"
                     "  c: {tcp: 'h:1', depends_on: [a]}\n",
                     "t.yml:4:32: dependency cycle: a -> b -> c -> a");
    parse_fails_with("services:\n"
                     "  a: {tcp: 'h:1', depends_on: {b: {condition: service_healthy}}}\n"
                     "  b: {tcp: 'h:1', depends_on: {a: null}}\n",
                     "dependency cycle: a -> b -> a");
    /* A long cycle is shortened in the middle. */
    parse_fails_with("services:\n"
                     "  s0: {tcp: 'h:1', depends_on: [s1]}\n"
                     "  s1: {tcp: 'h:1', depends_on: [s2]}\n"
                     "  s2: {tcp: 'h:1', depends_on: [s3]}\n"
                     "  s3: {tcp: 'h:1', depends_on: [s4]}\n"
                     "  s4: {tcp: 'h:1', depends_on: [s5]}\n"
                     "  s5: {tcp: 'h:1', depends_on: [s6]}\n"
                     "  s6: {tcp: 'h:1', depends_on: [s7]}\n"
                     "  s7: {tcp: 'h:1', depends_on: [s8]}\n"
                     "  s8: {tcp: 'h:1', depends_on: [s9]}\n"
                     "  s9: {tcp: 'h:1', depends_on: [s0]}\n",
                     "t.yml:11:33: dependency cycle: s0 -> s1 -> s2 -> s3 -> ... (3 more) -> s7 -> "
                     "s8 -> s9 -> s0");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    parse_fails_with("services:\n  a: {tcp: 'h:1'\n  b: 2\n",
                     "t.yml:3:3: YAML syntax error: did not find expected ',' or '}' (while "
                     "parsing a flow mapping at line 2, column 6)");
    parse_fails_with("services:\n  a:\n    tcp: h:1\n   bad: indent\n",
                     "t.yml:4:4: YAML syntax error: did not find expected key");
    parse_fails_with("services: *nope\n", "YAML syntax error: found undefined alias");
    parse_fails_with("a: \"\\xff\"\n\x01\n",
                     "t.yml:2:1: YAML syntax error: control characters are not allowed");
    parse_fails_with("services: {a: {tcp: 'h:1'}}\n---\nb: 1\n",
                     "t.yml:3:1: only one YAML document is allowed");
    parse_fails_with("title: \"a\\0b\"\nservices: {a: {tcp: 'h:1'}}\n", "title holds a NUL byte");
}

/* All the errors of a file in one go, in file order, one per line. */
static void test_every_error_reported(void **state)
{
    struct ht_config cfg;

    (void)state;
    assert_int_equal(parse_text("services:\n"
                                "  b:\n"
                                "    tcp: nope\n"
                                "    interval: 1x\n"
                                "  a:\n"
                                "    retries: 0\n"
                                "    depends_on: [zz]\n"
                                "bogus: 1\n",
                                &cfg),
                     -1);
    assert_int_equal(count_lines(test_err), 6);
    assert_string_equal(test_err,
                        "t.yml:3:10: bad address 'nope': missing port: write host:port\n"
                        "t.yml:4:15: bad duration '1x' for interval: unknown unit: use ms, s, m "
                        "or h\n"
                        "t.yml:5:3: service 'a' has no probe: give it one of http, tcp, redis, "
                        "exec, celery or docker\n"
                        "t.yml:6:14: retries must be between 1 and 1000, not 0\n"
                        "t.yml:7:18: depends_on: no service named 'zz'\n"
                        "t.yml:8:1: unknown key 'bogus' in the config (valid keys: title, "
                        "history, max_inflight, defaults, services)");
}

/* Past 100 errors the rest are counted; a full buffer ends with the
 * count of what it could not show. */
static void test_many_errors(void **state)
{
    char text[8192];
    size_t used = 0;
    struct ht_config cfg;
    static char big[32768];
    char small[200];

    (void)state;
    used += (size_t)snprintf(text, sizeof(text), "services: {a: {tcp: 'h:1'}}\n");
    for (int i = 0; i < 150; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "k%d: 1\n", i);
    assert_int_equal(config_parse("t.yml", text, used, &cfg, big, sizeof(big)), -1);
    assert_int_equal(count_lines(big), 101);
    assert_non_null(strstr(big, "\nt.yml: ... and 50 more errors"));
    assert_int_equal(config_parse("t.yml", text, used, &cfg, small, sizeof(small)), -1);
    assert_int_equal(count_lines(small), 2);
    assert_non_null(strstr(small, "\nt.yml: ... and 149 more errors"));
}

/* A small err buffer is filled with whole lines and never overflows. */
static void test_error_buffer_small(void **state)
{
    struct ht_config cfg;
    char small[40];

    (void)state;
    assert_int_equal(config_parse("t.yml", "a: 1\nb: 2\n", 10, &cfg, small, sizeof(small)), -1);
    assert_true(strlen(small) < sizeof(small));
}

static void test_env_errors(void **state)
{
    (void)state;
    unsetenv("HT_NOPE");
    setenv("HT_EMPTY", "", 1);
    parse_fails_with(
        SVC "    tcp: h:1\n    label: 'x ${HT_NOPE} y'\n",
        "t.yml:4:12: environment variable HT_NOPE is not set (write ${HT_NOPE:-default} "
        "to give a default)");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${HT_EMPTY:?must be set for the demo}'\n",
                     "environment variable HT_EMPTY: must be set for the demo");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${HT_NOPE?}'\n",
                     "environment variable HT_NOPE is not set");
    parse_fails_with(SVC "    tcp: h:1\n    label: '$HT_NOPE'\n",
                     "write ${HT_NOPE} with braces (or $$ for a literal $)");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${HT_NOPE'\n", "unterminated '${'");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${1X}'\n", "bad variable reference '${1X}'");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${}'\n", "bad variable reference '${}'");
    parse_fails_with(SVC "    tcp: h:1\n    label: '${A B}'\n", "bad variable reference '${A B}'");
}

/* Secrets never reach an error message: not URL passwords, not values
 * from the environment, not header values, not password: keys. */
static void test_no_secret_in_errors(void **state)
{
    struct ht_config cfg;

    (void)state;
    setenv("HT_TOKEN", "tok-very-secret", 1);
    assert_int_equal(
        parse_text(SVC
                   "    http:\n"
                   "      url: 'ftp://user:hunter2pw@h/'\n"
                   "      headers: {X-Key: 'hdr-secret-value', 'bad name': 'hdr-other-secret'}\n"
                   "      body: '${HT_TOKEN}'\n"
                   "      max_body: '${HT_TOKEN}'\n"
                   "  b:\n"
                   "    redis: {url: 'redis://:pw-in-url@h/x', password: 'pw-key-value'}\n"
                   "  c:\n"
                   "    celery: 'rediss://:celerypw@h'\n"
                   "  d:\n"
                   "    tcp: 'hdr-secret-value'\n",
                   &cfg),
        -1);
    assert_null(strstr(test_err, "hunter2pw"));
    assert_null(strstr(test_err, "tok-very-secret"));
    assert_null(strstr(test_err, "hdr-secret-value"));
    assert_null(strstr(test_err, "pw-in-url"));
    assert_null(strstr(test_err, "celerypw"));
    assert_non_null(strstr(test_err, "bad URL 'ftp://***@h/'"));
    assert_non_null(strstr(test_err, "bad size '***' for max_body"));
    assert_non_null(strstr(test_err, "bad address '***'"));
    unsetenv("HT_TOKEN");

    /* A value recorded in an error before it became a secret (the header
     * comes later in the file) is still scrubbed. */
    assert_int_equal(
        parse_text("services:\n"
                   "  d: {tcp: 'late-secret-value'}\n"
                   "  a: {http: {url: 'http://h/', headers: {X: 'late-secret-value'}}}\n",
                   &cfg),
        -1);
    assert_string_equal(test_err, "t.yml:2:12: bad address '***': missing port: write host:port");
}

/* Alias bombs: merges of merges of ... stop at the work bound, fast. */
static void test_alias_bomb(void **state)
{
    char text[4096];
    size_t used = 0;

    (void)state;
    used +=
        (size_t)snprintf(text + used, sizeof(text) - used, "x0: &a0 {interval: 1s, timeout: 1s}\n");
    for (int i = 1; i < 30; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used,
                                 "x%d: &a%d {<<: [*a%d, *a%d, *a%d, *a%d], k%d: 1}\n", i, i, i - 1,
                                 i - 1, i - 1, i - 1, i);
    snprintf(text + used, sizeof(text) - used, "services:\n  s: {<<: *a29, tcp: 'h:1'}\n");
    parse_fails_with(text, "document too complex");
    /* Lists of lists of aliases where scalars are expected stay cheap. */
    parse_fails_with("a: &a [x, x, x, x, x, x, x, x]\n"
                     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
                     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "services:\n  s: {exec: *d}\n",
                     "an exec argument must be a string, not a list");
}

/* An anchor merged into itself cannot loop. */
static void test_recursive_merge(void **state)
{
    (void)state;
    parse_fails_with("services:\n  s: &s {<<: *s, tcp: 'h:1'}\n", "t.yml:");
    parse_fails_with("x: &x {json: *x}\nservices:\n  s: {http: {url: 'http://h/', json: *x}}\n",
                     "t.yml:");
    parse_fails_with(SVC "    tcp: h:1\n    <<: 5\n",
                     "a '<<' merge takes a mapping (*alias) or a list of them, not a string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_unknown_keys_hint, teardown_secrets),
        cmocka_unit_test_teardown(test_wrong_types, teardown_secrets),
        cmocka_unit_test_teardown(test_bad_values, teardown_secrets),
        cmocka_unit_test_teardown(test_bad_urls_and_addresses, teardown_secrets),
        cmocka_unit_test_teardown(test_docker_host, teardown_secrets),
        cmocka_unit_test_teardown(test_probe_count, teardown_secrets),
        cmocka_unit_test_teardown(test_duplicates, teardown_secrets),
        cmocka_unit_test_teardown(test_depends_on, teardown_secrets),
        cmocka_unit_test_teardown(test_syntax_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_every_error_reported, teardown_secrets),
        cmocka_unit_test_teardown(test_error_buffer_small, teardown_secrets),
        cmocka_unit_test_teardown(test_many_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_env_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_no_secret_in_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_alias_bomb, teardown_secrets),
        cmocka_unit_test_teardown(test_recursive_merge, teardown_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
