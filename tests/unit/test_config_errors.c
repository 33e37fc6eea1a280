/* The config loader on wrong configs: every mistake is reported, with
 * file:line:column, a hint where one fits, and no secret in the text.
 *
 * Most cases are one row of config_errors: a config, and one whole line
 * its error text must hold. Adding a case is adding a row. What a row
 * cannot say (the environment, several errors at once, buffer sizes,
 * secrets, generated documents) has a test of its own below. */
#include "test_config.h"

#define SVC "services:\n  a:\n"

static const struct config_error {
    const char *text; /* the config file, as t.yml */
    const char *want; /* one whole line of the error text */
} config_errors[] = {
    /* Unknown keys: the nearest valid key, or the list of them. */
    {"defaults:\n  intervall: 2s\nservices: {a: {tcp: 'h:1'}}\n",
     "t.yml:2:3: unknown key 'intervall' in defaults (did you mean 'interval'?)"},
    {SVC "    tcp: h:1\n    timout: 1s\n",
     "t.yml:4:5: unknown key 'timout' in a service (did you mean 'timeout'?)"},
    {"titel: x\nservices: {a: {tcp: 'h:1'}}\n",
     "t.yml:1:1: unknown key 'titel' in the config (did you mean 'title'?)"},
    {SVC "    http: {url: 'http://h/', stauts: 200}\n",
     "t.yml:3:30: unknown key 'stauts' in http (did you mean 'status'?)"},
    {SVC "    tcp: h:1\n    zzzzzz: 1\n",
     "t.yml:4:5: unknown key 'zzzzzz' in a service (valid keys: label, group, depends_on, "
     "replicas, interval, timeout, retries, start_period, start_interval, http, tcp, redis, exec, "
     "celery, docker, postgres, prometheus)"},
    {SVC "    docker: {service: s, host: x}\n",
     "t.yml:3:26: unknown key 'host' in docker (valid keys: service, project, socket)"},
    {SVC "    redis: {url: 'redis://h', pasword: x}\n",
     "t.yml:3:31: unknown key 'pasword' in redis (did you mean 'password'?)"},
    {SVC "    celery: {broker: 'redis://h', worker: x}\n",
     "t.yml:3:35: unknown key 'worker' in celery (did you mean 'workers'?)"},
    {SVC "    tcp: {adress: 'h:1'}\n",
     "t.yml:3:11: unknown key 'adress' in tcp (did you mean 'address'?)"},
    /* A value of the wrong type says which type it wanted. */
    {"services: [a, b]\n", "t.yml:1:11: services must be a mapping of service names, not a list"},
    {"- a\n", "t.yml:1:1: the config must be a mapping (title:, services:, ...), not a list"},
    {SVC "    tcp: h:1\n    label: [x]\n", "t.yml:4:12: label must be a string, not a list"},
    {SVC "    tcp: h:1\n    retries: {n: 1}\n",
     "t.yml:4:14: retries must be a whole number, not a mapping"},
    {SVC "    http: {url: 'http://h/', insecure: 1}\n",
     "t.yml:3:40: insecure must be true or false, not '1'"},
    {SVC "    http: {url: {x: 1}}\n",
     "t.yml:3:17: URL must be a string or a list of strings, not a mapping"},
    {SVC "    http: {url: 'http://h/', json: [a]}\n",
     "t.yml:3:36: json must be a mapping of field paths to values, not a list"},
    {SVC "    http: {url: 'http://h/', json: {a: [1]}}\n",
     "t.yml:3:40: json: 'a' must be a single value; lists are not compared"},
    {SVC "    http: {url: 'http://h/', headers: x}\n",
     "t.yml:3:39: headers must be a mapping of names to values, not a string"},
    {SVC "    http: {url: 'http://h/', headers: {'a b': x}}\n",
     "t.yml:3:40: bad header name 'a b'"},
    {"defaults: 5\nservices: {a: {tcp: 'h:1'}}\n",
     "t.yml:1:11: defaults must be a mapping, not a string"},
    {SVC "    tcp:\n", "t.yml:3:5: tcp needs a value: host:port or a list of them"},
    {"services:\n  a: 5\n", "t.yml:2:6: service 'a' must be a mapping with a probe (http, tcp, "
                            "redis, exec, celery, docker, postgres or prometheus), not a string"},
    {"services:\n  a:\n", "t.yml:2:3: service 'a' must be a mapping with a probe (http, tcp, "
                          "redis, exec, celery, docker, postgres or prometheus), not empty"},
    {SVC "    tcp: h:1\n    depends_on: 5\n", "t.yml:4:17: depends_on must be a list of service "
                                              "names or a mapping (compose form), not a string"},
    {SVC "    tcp: h:1\n    depends_on: {b: 5}\n",
     "t.yml:4:21: depends_on: 'b' takes a mapping like {condition: service_healthy}, not a string"},
    {"services:\n  b: {tcp: 'h:1'}\n  a:\n    tcp: h:1\n    depends_on: {b: "
     "{condition: service_healty}}\n",
     "t.yml:5:33: unknown condition 'service_healty' (did you mean 'service_healthy'?)"},
    {"? [a]\n: 1\nservices: {a: {tcp: 'h:1'}}\n", "t.yml:1:3: keys must be names, not a list"},
    /* Values out of range or malformed. */
    {SVC "    tcp: h:1\n    interval: 2x\n",
     "t.yml:4:15: bad duration '2x' for interval: unknown unit: use ms, s, m or h"},
    {SVC "    tcp: h:1\n    interval: 50ms\n",
     "t.yml:4:15: interval must be at least 100ms, not 50ms"},
    {SVC "    tcp: h:1\n    timeout: 0s\n",
     "t.yml:4:14: timeout must be at least 1ms, not 0 (0 is Docker's 'the default'; here, leave "
     "the key out for the default)"},
    {SVC "    tcp: h:1\n    timeout: -1s\n", "t.yml:4:14: bad duration '-1s' for timeout: a "
                                             "duration is a number and a unit: 250ms, 2s, 1m, 1h"},
    {SVC "    tcp: h:1\n    retries: 0\n", "t.yml:4:14: retries must be between 1 and 1000, not 0"},
    {SVC "    tcp: h:1\n    retries: 2.5\n",
     "t.yml:4:14: retries must be a whole number, not '2.5'"},
    {SVC "    tcp: h:1\n    replicas: -1\n",
     "t.yml:4:15: replicas must be between 0 and 10000, not -1"},
    {SVC "    tcp: h:1\n    replicas: 99999999999999999999\n",
     "t.yml:4:15: replicas must be between 0 and 10000, not 99999999999999999999"},
    {"max_inflight: 0\nservices: {a: {tcp: 'h:1'}}\n",
     "t.yml:1:15: max_inflight must be between 1 and 65536, not 0"},
    {"history: soon\nservices: {a: {tcp: 'h:1'}}\n",
     "t.yml:1:10: bad duration 'soon' for history: a duration is a number and a unit: 250ms, 2s, "
     "1m, 1h"},
    {SVC "    http: {url: 'http://h/', max_body: 64KB}\n",
     "t.yml:3:40: bad size '64KB' for max_body: unknown size unit: use bytes, KiB or MiB (64KiB)"},
    {SVC "    http: {url: 'http://h/', max_body: 1GiB}\n",
     "t.yml:3:40: bad size '1GiB' for max_body: unknown size unit: use bytes, KiB or MiB (64KiB)"},
    {SVC "    http: {url: 'http://h/', max_body: 100MiB}\n",
     "t.yml:3:40: bad size '100MiB' for max_body: a size must be from 1 byte to 64MiB"},
    {SVC "    http: {url: 'http://h/', max_body: 0}\n",
     "t.yml:3:40: bad size '0' for max_body: a size must be from 1 byte to 64MiB"},
    {SVC "    http: {url: 'http://h/', status: 700}\n",
     "t.yml:3:38: status must be between 100 and 599, not 700"},
    {SVC "    http: {url: 'http://h/', status: [200, x]}\n",
     "t.yml:3:44: status must be a whole number, not 'x'"},
    {SVC "    http: {url: 'http://h/', max_latency: 0ms}\n",
     "t.yml:3:43: max_latency must be at least 1ms, not 0ms"},
    {SVC "    tcp: [a:1]\n    replicas: 2\n", "t.yml:4:15: replicas: 2 but service 'a' has 1 "
                                              "target; a tcp probe needs one target per replica"},
    {SVC "    exec: [x]\n    replicas: 3\n", "t.yml:4:15: replicas: 3 but service 'a' has 1 "
                                             "target; a exec probe needs one target per replica"},
    {"services:\n  'bad name':\n    tcp: h:1\n",
     "t.yml:2:3: bad service name 'bad name': use letters, digits, '_', '.' and '-'"},
    {SVC "    celery: {broker: 'redis://h', workers: ''}\n",
     "t.yml:3:44: workers is an empty pattern (leave it out to match any worker)"},
    {SVC "    docker: {service: s, socket: run/docker.sock}\n",
     "t.yml:3:34: socket must be an absolute path, unix:// or tcp://, not 'run/docker.sock'"},
    {SVC "    docker: {socket: /x.sock}\n",
     "t.yml:3:5: docker needs a service: (the compose service name)"},
    /* URLs and addresses, and exec argv. */
    {SVC "    http: ftp://h/x\n",
     "t.yml:3:11: bad URL 'ftp://h/x': the scheme must be http:// or https://"},
    {SVC "    http: 'http:///x'\n", "t.yml:3:11: bad URL 'http:///x': no host: write host:port"},
    /* A password holding '/', '#' or '?' ends what a URL parser takes as
     * the credentials: it must not show in the error saying so. */
    {SVC "    http: 'http://u:p4ss/w#rd?x@h:1/'\n",
     "t.yml:3:11: bad URL 'http://***@h:1/': the port must be a number: host:port"},
    {SVC "    redis: 'redis://:p4ss/w#rd?x@h:6379/0'\n",
     "t.yml:3:12: bad Redis URL 'redis://***@h:6379/0': query strings are not supported in Redis "
     "URLs (use the password: key)"},
    {SVC "    http: 'http://h:99999/'\n",
     "t.yml:3:11: bad URL 'http://h:99999/': the port must be a number from 1 to 65535"},
    {SVC "    http: 'http://h x/'\n",
     "t.yml:3:11: bad URL 'http://h x/': spaces and control characters must be %-encoded"},
    {SVC "    http: {status: 200}\n",
     "t.yml:3:5: http needs a url: (or a list of them, one per replica)"},
    {SVC "    http: []\n", "t.yml:3:11: URL is an empty list"},
    {SVC "    redis: 'rediss://h:6380'\n",
     "t.yml:3:12: bad Redis URL 'rediss://h:6380': TLS (rediss://) is not supported by hiredis "
     "0.14; use redis:// (or a TLS tunnel such as stunnel)"},
    {SVC "    celery: 'rediss://h:6380'\n",
     "t.yml:3:13: bad Redis URL 'rediss://h:6380': TLS (rediss://) is not supported by hiredis "
     "0.14; use redis:// (or a TLS tunnel such as stunnel)"},
    {SVC "    redis: 'http://h'\n",
     "t.yml:3:12: bad Redis URL 'http://h': a Redis URL starts with redis://"},
    {SVC "    celery: 'amqp://guest@h//'\n",
     "t.yml:3:13: bad Redis URL 'amqp://***@h//': a Redis URL starts with redis://"},
    {SVC "    redis: 'redis://h/x'\n", "t.yml:3:12: bad Redis URL 'redis://h/x': the database "
                                       "after the host is a number: redis://host:6379/0"},
    {SVC "    redis: 'redis://h?db=1'\n",
     "t.yml:3:12: bad Redis URL 'redis://h?db=1': query strings are not supported in Redis URLs "
     "(use the password: key)"},
    {SVC "    redis: {password: x}\n", "t.yml:3:5: redis needs a url: redis://host:6379/0"},
    {SVC "    celery: {workers: x}\n", "t.yml:3:5: celery needs a broker: redis://host:6379/0"},
    {SVC "    redis: {url: 'redis://:a1b2c3@h', password: x}\n",
     "t.yml:3:49: a password is given both in the URL and as password:"},
    {SVC "    tcp: h\n", "t.yml:3:10: bad address 'h': missing port: write host:port"},
    {SVC "    tcp: ':80'\n", "t.yml:3:10: bad address ':80': no host: write host:port"},
    {SVC "    tcp: 'h:http'\n",
     "t.yml:3:10: bad address 'h:http': the port must be a number: host:port"},
    {SVC "    tcp: 'h:0'\n",
     "t.yml:3:10: bad address 'h:0': the port must be a number from 1 to 65535"},
    {SVC "    tcp: '::1:80'\n",
     "t.yml:3:10: bad address '::1:80': an IPv6 address goes in brackets: [::1]:5000"},
    {SVC "    tcp: '[zz]:80'\n",
     "t.yml:3:10: bad address '[zz]:80': bad character in an IPv6 address"},
    {SVC "    tcp: 'h/x:80'\n", "t.yml:3:10: bad address 'h/x:80': bad character in the host name"},
    {SVC "    exec: pg_isready -h 127.0.0.1\n",
     "t.yml:3:11: exec takes a list (argv, run without a shell), e.g. [pg_isready, -h, 127.0.0.1], "
     "not a string"},
    {SVC "    exec: []\n", "t.yml:3:11: exec needs at least a program: [pg_isready]"},
    {SVC "    exec: ['', x]\n", "t.yml:3:11: exec: the program name is empty"},
    /* One probe per service; services present and not empty. */
    {SVC "    label: nothing\n", "t.yml:2:3: service 'a' has no probe: give it one of http, tcp, "
                                 "redis, exec, celery, docker, postgres or prometheus"},
    {SVC "    tcp: h:1\n    http: http://h/\n",
     "t.yml:4:5: service 'a' has two probes ('tcp' and 'http'): use one per service"},
    {"services: {}\n", "t.yml:1:11: services is empty: add at least one service"},
    {"services:\n", "t.yml:1:1: services must be a mapping of service names, not empty"},
    {"title: x\n", "t.yml:1:1: no services: add a services: mapping"},
    {"", "t.yml:1:1: the config is empty: it needs at least a services: mapping"},
    {"# only a comment\n", "t.yml:1:1: the config is empty: it needs at least a services: mapping"},
    /* Duplicate keys point at the first one. */
    {"services:\n  a: {tcp: 'h:1'}\n  a: {tcp: 'h:2'}\n",
     "t.yml:3:3: duplicate key 'a' (first at line 2, column 3)"},
    {SVC "    tcp: h:1\n    interval: 1s\n    interval: 2s\n",
     "t.yml:5:5: duplicate key 'interval' (first at line 4, column 5)"},
    /* depends_on: unknown names, self, twice, cycles (a long one shortened). */
    {"services:\n  redis: {tcp: 'h:1'}\n  api:\n    tcp: h:1\n    depends_on: [rediss]\n",
     "t.yml:5:18: depends_on: no service named 'rediss' (did you mean 'redis'?)"},
    {"services:\n  api:\n    tcp: h:1\n    depends_on: [nothing_like_it]\n",
     "t.yml:4:18: depends_on: no service named 'nothing_like_it'"},
    {"services:\n  api:\n    tcp: h:1\n    depends_on: [api]\n",
     "t.yml:4:18: service 'api' depends on itself"},
    {"services:\n  b: {tcp: 'h:1'}\n  a:\n    tcp: h:1\n    depends_on: [b, b]\n",
     "t.yml:5:21: depends_on: 'b' is listed twice"},
    {"services:\n"
     "  a: {tcp: 'h:1', depends_on: [b]}\n"
     "  b: {tcp: 'h:1', depends_on: [c]}\n"
     "  c: {tcp: 'h:1', depends_on: [a]}\n",
     "t.yml:4:32: dependency cycle: a -> b -> c -> a"},
    {"services:\n"
     "  a: {tcp: 'h:1', depends_on: {b: {condition: service_healthy}}}\n"
     "  b: {tcp: 'h:1', depends_on: {a: null}}\n",
     "t.yml:3:32: dependency cycle: a -> b -> a"},
    {"services:\n"
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
     "t.yml:11:33: dependency cycle: s0 -> s1 -> s2 -> s3 -> ... (3 more) -> s7 -> s8 -> s9 -> s0"},
    /* YAML syntax. */
    {"services:\n  a: {tcp: 'h:1'\n  b: 2\n",
     "t.yml:3:3: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping "
     "at line 2, column 6)"},
    {"services:\n  a:\n    tcp: h:1\n   bad: indent\n",
     "t.yml:4:4: YAML syntax error: did not find expected key (while parsing a block mapping at "
     "line 2, column 3)"},
    {"services: *nope\n", "t.yml:1:11: YAML syntax error: found undefined alias"},
    {"a: \"\\xff\"\n\x01\n", "t.yml:2:1: YAML syntax error: control characters are not allowed"},
    {"services: {a: {tcp: 'h:1'}}\n---\nb: 1\n",
     "t.yml:3:1: only one YAML document is allowed (found a second '---')"},
    {"title: \"a\\0b\"\nservices: {a: {tcp: 'h:1'}}\n", "t.yml:1:8: title holds a NUL byte"},
    /* Environment variables (HT_NOPE unset, HT_EMPTY empty). */
    {SVC "    tcp: h:1\n    label: 'x ${HT_NOPE} y'\n",
     "t.yml:4:12: environment variable HT_NOPE is not set (write ${HT_NOPE:-default} to give a "
     "default)"},
    {SVC "    tcp: h:1\n    label: '${HT_EMPTY:?must be set for the demo}'\n",
     "t.yml:4:12: environment variable HT_EMPTY: must be set for the demo"},
    {SVC "    tcp: h:1\n    label: '${HT_NOPE?}'\n",
     "t.yml:4:12: environment variable HT_NOPE is not set (write ${HT_NOPE:-default} to give a "
     "default)"},
    {SVC "    tcp: h:1\n    label: '$HT_NOPE'\n",
     "t.yml:4:12: write ${HT_NOPE} with braces (or $$ for a literal $)"},
    {SVC "    tcp: h:1\n    label: '${HT_NOPE'\n",
     "t.yml:4:12: unterminated '${' (write $$ for a literal $)"},
    {SVC "    tcp: h:1\n    label: '${1X}'\n",
     "t.yml:4:12: bad variable reference '${1X}': a name is letters, digits and '_' (write $$ for "
     "a literal $)"},
    {SVC "    tcp: h:1\n    label: '${}'\n", "t.yml:4:12: bad variable reference '${}': a name is "
                                             "letters, digits and '_' (write $$ for a literal $)"},
    {SVC "    tcp: h:1\n    label: '${A B}'\n",
     "t.yml:4:12: bad variable reference '${A B}': a name is letters, digits and '_' (write $$ for "
     "a literal $)"},
    /* An anchor merged into itself cannot loop. */
    {"services:\n  s: &s {<<: *s, tcp: 'h:1'}\n",
     "t.yml:2:6: '<<' merges nested more than 32 deep (an anchor merged into itself?)"},
    {"x: &x {json: *x}\nservices:\n  s: {http: {url: 'http://h/', json: *x}}\n",
     "t.yml:1:1: unknown key 'x' in the config (valid keys: title, history, max_inflight, "
     "defaults, services, listen, listen_public, auth, alerts, compose)"},
    {SVC "    tcp: h:1\nlisten: '::1:9464'\n", "t.yml:4:9: listen: write an IPv6 address in "
                                               "brackets: [::1]:9464"},
    {SVC "    tcp: h:1\nlisten: 'example.com:80'\n",
     "t.yml:4:9: listen: the address must be numeric (127.0.0.1, 0.0.0.0, [::1]) or localhost"},
    {SVC "    tcp: h:1\nauth: {bearer: short}\n",
     "t.yml:4:16: auth: bearer must be at least 16 characters (a guessable token protects "
     "nothing)"},
    {SVC "    tcp: h:1\nauth: {token: x}\n",
     "t.yml:4:8: unknown key 'token' in auth (valid keys: bearer, user, password)"},
    {SVC "    tcp: h:1\nauth: {user: prom}\n",
     "t.yml:4:7: auth: user and password go together (HTTP Basic)"},
    {SVC "    tcp: h:1\n    <<: 5\n",
     "t.yml:4:9: a '<<' merge takes a mapping (*alias) or a list of them, not a string"},
    /* Lists of lists of aliases where scalars are expected stay cheap. */
    {"a: &a [x, x, x, x, x, x, x, x]\n"
     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
     "services:\n  s: {exec: *d}\n",
     "t.yml:3:4: an exec argument must be a string, not a list"},
    /* prometheus: its keys, its condition, and the keys of rows_by. */
    {SVC "    prometheus: 'http://h:9090'\n",
     "t.yml:3:17: prometheus must be a mapping with url: and query:, not a string"},
    {SVC "    prometheus: {query: up}\n",
     "t.yml:3:5: prometheus needs a url: (the server, http://host:9090)"},
    {SVC "    prometheus: {url: 'http://h:9090'}\n",
     "t.yml:3:5: prometheus needs a query: (PromQL, up{job=\"api\"})"},
    {SVC "    prometheus: {url: 'ftp://h', query: up}\n",
     "t.yml:3:23: bad URL 'ftp://h': the scheme must be http:// or https://"},
    {SVC "    prometheus: {url: 'http://h/?x=1', query: up}\n",
     "t.yml:3:23: url is the server's base URL (http://host:9090), without ? or #"},
    {SVC "    prometheus: {url: 'http://h', query: ''}\n", "t.yml:3:42: query is empty"},
    {SVC "    prometheus: {url: 'http://h', query: up, condition: '~ 1'}\n",
     "t.yml:3:57: bad condition '~ 1': a condition is an operator (<, <=, >, >=, ==, !=) and a "
     "number: '< 0.5'"},
    {SVC "    prometheus: {url: 'http://h', query: up, condition: '< x'}\n",
     "t.yml:3:57: bad condition '< x': a condition is an operator (<, <=, >, >=, ==, !=) and a "
     "number: '< 0.5'"},
    {SVC "    prometheus: {url: 'http://h', query: up, condition: {min: 2, max: 1}}\n",
     "t.yml:3:57: condition: min is above max"},
    {SVC "    prometheus: {url: 'http://h', query: up, condition: {min: x}}\n",
     "t.yml:3:63: min must be a number, not 'x'"},
    {SVC "    prometheus: {url: 'http://h', query: up, condition: {mn: 1}}\n",
     "t.yml:3:58: unknown key 'mn' in condition (did you mean 'min'?)"},
    {SVC "    prometheus: {url: 'http://h', query: up, empty: zero}\n",
     "t.yml:3:53: empty must be down or scaled_to_zero, not 'zero'"},
    {SVC "    prometheus: {url: 'http://h', query: up, auth: {user: u}}\n",
     "t.yml:3:52: auth: basic authentication needs both user: and password:"},
    {SVC "    prometheus: {url: 'http://h', query: up, auth: {bearer: t, user: u, password: p}}\n",
     "t.yml:3:52: auth: give bearer: or user: and password:, not both"},
    {SVC "    prometheus: {url: 'http://h', query: up, auth: t}\n",
     "t.yml:3:52: auth must be a mapping: {bearer: ...} or {user: ..., password: ...}, not a "
     "string"},
    {SVC "    prometheus: {url: 'http://h', query: up, max_body: 0}\n",
     "t.yml:3:56: bad size '0' for max_body: a size must be from 1 byte to 64MiB"},
    {SVC "    prometheus: {url: 'http://h', query: up, replicas_by: ''}\n",
     "t.yml:3:59: replicas_by is empty: give a label name"},
    {SVC "    prometheus: {url: 'http://h', query: up, group_by: team}\n",
     "t.yml:3:46: group_by needs rows_by: (one row per value of a label)"},
    {SVC "    prometheus: {url: 'http://h', query: up, rows_by: service, max_rows: 0}\n",
     "t.yml:3:74: max_rows must be a number from 1 to 1000000, not '0'"},
    {SVC "    prometheus: {url: 'http://h', query: up, rows_by: svc, instances: [a]}\n",
     "t.yml:3:60: instances lists the replicas of one row: not with rows_by (a row expects the "
     "most replicas it has had)"},
    {SVC "    prometheus: {url: 'http://h', query: up, rows_by: instance}\n",
     "t.yml:3:5: rows_by and replicas_by name the same label 'instance'"},
    {SVC "    prometheus: {url: 'http://h', query: up, replica_by: job}\n",
     "t.yml:3:46: unknown key 'replica_by' in prometheus (did you mean 'replicas_by'?)"},
    /* postgres: its forms, its keys, and what libpq's URL parser says. */
    {SVC "    postgres:\n", "t.yml:3:5: postgres needs a value: a postgres:// URL, a list of them, "
                            "or a mapping with url: or host:"},
    {SVC "    postgres: http://h/db\n",
     "t.yml:3:15: bad PostgreSQL URL 'http://h/db': not a postgres:// or postgresql:// URL"},
    {SVC "    postgres: 'postgres://h:99999/db'\n",
     "t.yml:3:15: bad PostgreSQL URL 'postgres://h:99999/db': port must be a number from 1 to "
     "65535"},
    {SVC "    postgres: 'postgres://h1,h2/db'\n",
     "t.yml:3:15: bad PostgreSQL URL 'postgres://h1,h2/db': one host per URL: give a list of URLs "
     "for replicas"},
    {SVC "    postgres: 'postgres://h/db?bogus=1'\n",
     "t.yml:3:15: bad PostgreSQL URL 'postgres://h/db?bogus=1': invalid URI query parameter: "
     "\"bogus\""},
    {SVC "    postgres: 'postgres://h/db?sslmode=maybe'\n",
     "t.yml:3:15: bad PostgreSQL URL 'postgres://h/db?sslmode=maybe': sslmode must be one of "
     "disable, allow, prefer, require, verify-ca or verify-full"},
    {SVC "    postgres: ['postgres://h/db', 'postgres://h:0/db']\n",
     "t.yml:3:35: bad PostgreSQL URL 'postgres://h:0/db': port must be a number from 1 to 65535"},
    {SVC "    postgres: {query: SELECT 2}\n",
     "t.yml:3:5: postgres needs a url: postgres://user@host:5432/dbname, or a host:"},
    {SVC "    postgres: {url: 'postgres://h/db', host: h}\n",
     "t.yml:3:46: give either url: or host:, port:, user:, dbname:, not both"},
    {SVC "    postgres: {url: 'postgres://u:pw@h/db', password: x}\n",
     "t.yml:3:55: password is given both in the URL and as password:"},
    {SVC "    postgres: {url: 'postgres://h/db?sslmode=require', sslmode: disable}\n",
     "t.yml:3:65: sslmode is given both in the URL and as sslmode:"},
    {SVC "    postgres: {host: h, sslmode: maybe}\n",
     "t.yml:3:34: sslmode must be one of disable, allow, prefer, require, verify-ca or "
     "verify-full, not 'maybe'"},
    {SVC "    postgres: {host: h, role: master}\n",
     "t.yml:3:31: role must be primary or replica, not 'master'"},
    {SVC "    postgres: {host: h, port: 0}\n",
     "t.yml:3:31: port must be between 1 and 65535, not 0"},
    {SVC "    postgres: {host: '', user: u}\n", "t.yml:3:22: host must not be empty"},
    {SVC "    postgres: {host: h, query: ' ; '}\n", "t.yml:3:32: query must not be empty"},
    {SVC "    postgres: {host: h, qeury: x}\n",
     "t.yml:3:25: unknown key 'qeury' in postgres (did you mean 'query'?)"},
    {SVC "    postgres: {host: h, query: [x]}\n", "t.yml:3:32: query must be a string, not a list"},
    {SVC "    postgres: {url: {x: 1}}\n",
     "t.yml:3:21: PostgreSQL URL must be a string or a list of strings, not a mapping"},
};

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* Every row, all of them even when one fails, each failure shown with
 * its config, the line it wanted and the text it got. */
static void test_each_bad_config_gives_its_error(void **state)
{
    size_t failed = 0;

    (void)state;
    unsetenv("HT_NOPE");
    setenv("HT_EMPTY", "", 1);
    for (size_t i = 0; i < sizeof(config_errors) / sizeof(config_errors[0]); i++) {
        const struct config_error *c = &config_errors[i];
        struct ht_config cfg;

        if (parse_text(c->text, &cfg) == 0) {
            config_free(&cfg);
            print_error("row %zu: config accepted:\n%s\nexpected the error line: %s\n", i, c->text,
                        c->want);
            failed++;
        } else if (!has_line(test_err, c->want)) {
            print_error("row %zu: config:\n%s\nexpected the error line: %s\nsaw:\n%s\n", i, c->text,
                        c->want, test_err);
            failed++;
        } else if (cfg.nsvcs != 0 || cfg.svcs != NULL) {
            print_error("row %zu: a failed parse left %zu services to free\n", i, cfg.nsvcs);
            failed++;
        }
        secret_clear();
    }
    unsetenv("HT_EMPTY");
    assert_int_equal(failed, 0);
}

/* DOCKER_HOST is used when it names a unix socket, refused otherwise,
 * and irrelevant when the config gives socket: itself. */
static void test_docker_host(void **state)
{
    struct ht_config cfg;

    (void)state;
    setenv("DOCKER_HOST", "ssh://10.0.0.5", 1);
    parse_fails_with(SVC "    docker: scheduler\n",
                     "t.yml:3:5: DOCKER_HOST=ssh://10.0.0.5 is not supported: only unix:// "
                     "and tcp:// are (unset it to use /var/run/docker.sock)");
    setenv("DOCKER_HOST", "tcp://10.0.0.5:2375/", 1);
    parse_ok(SVC "    docker: scheduler\n", &cfg);
    assert_string_equal(cfg.svcs[0].u.docker.socket, "tcp://10.0.0.5:2375");
    config_free(&cfg);
    parse_ok(SVC "    docker: {service: s, socket: 'unix:///run/x.sock'}\n", &cfg);
    assert_string_equal(cfg.svcs[0].u.docker.socket, "/run/x.sock");
    config_free(&cfg);
    parse_ok(SVC "    docker: {service: s, socket: /run/podman/podman.sock}\n", &cfg);
    assert_string_equal(cfg.svcs[0].u.docker.socket, "/run/podman/podman.sock");
    config_free(&cfg);
    setenv("DOCKER_HOST", "unix://relative.sock", 1);
    parse_fails_with(SVC "    docker: scheduler\n",
                     "DOCKER_HOST=unix://relative.sock is not supported");
    unsetenv("DOCKER_HOST");
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
                        "exec, celery, docker, postgres or prometheus\n"
                        "t.yml:6:14: retries must be between 1 and 1000, not 0\n"
                        "t.yml:7:18: depends_on: no service named 'zz'\n"
                        "t.yml:8:1: unknown key 'bogus' in the config (valid keys: title, "
                        "history, max_inflight, defaults, services, listen, listen_public, "
                        "auth, alerts, compose)");
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_each_bad_config_gives_its_error, teardown_secrets),
        cmocka_unit_test_teardown(test_docker_host, teardown_secrets),
        cmocka_unit_test_teardown(test_every_error_reported, teardown_secrets),
        cmocka_unit_test_teardown(test_error_buffer_small, teardown_secrets),
        cmocka_unit_test_teardown(test_many_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_no_secret_in_errors, teardown_secrets),
        cmocka_unit_test_teardown(test_alias_bomb, teardown_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
