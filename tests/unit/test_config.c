/* The config loader on valid configs: defaults, every probe kind in its
 * shorthand, list and mapping forms, anchors and merge keys, ${VAR}. */
#include "test_config.h"

static void test_minimal_defaults(void **state)
{
    struct ht_config cfg;
    const struct svc_config *s;

    (void)state;
    parse_ok("services:\n  web:\n    http: http://127.0.0.1:8080/health\n", &cfg);
    assert_string_equal(cfg.path, "t.yml");
    assert_string_equal(cfg.title, "healthtop");
    assert_int_equal(cfg.history_ms, CONFIG_DEFAULT_HISTORY_MS);
    assert_int_equal(cfg.max_inflight, CONFIG_DEFAULT_MAX_INFLIGHT);
    assert_int_equal(cfg.nsvcs, 1);
    s = &cfg.svcs[0];
    assert_string_equal(s->name, "web");
    assert_string_equal(s->label, "web");
    assert_string_equal(s->group, "Services");
    assert_int_equal(s->kind, PROBE_HTTP);
    assert_int_equal(s->interval_ms, 2000);
    assert_int_equal(s->timeout_ms, 1000);
    assert_int_equal(s->retries, 3);
    assert_int_equal(s->start_period_ms, 0);
    assert_int_equal(s->replicas, 1);
    assert_int_equal(s->line, 2);
    assert_int_equal(s->u.http.nurls, 1);
    assert_string_equal(s->u.http.urls[0], "http://127.0.0.1:8080/health");
    assert_int_equal(s->u.http.nstatus, 0);
    assert_int_equal(s->u.http.max_body, CONFIG_DEFAULT_MAX_BODY);
    assert_false(s->u.http.insecure);
    assert_int_equal(s->ndeps, 0);
    config_free(&cfg);
}

/* The example from the issue, nearly word for word. */
static const char issue_example[] =
    "title: E2I Causal Analytics\n"
    "history: 1h           # how much history to keep\n"
    "max_inflight: 512\n"
    "defaults:\n"
    "  interval: 2s\n"
    "  timeout: 1s\n"
    "  retries: 3\n"
    "  start_period: 0s\n"
    "services:\n"
    "  redis:\n"
    "    label: Redis (Working Memory)\n"
    "    group: Memory Systems\n"
    "    redis: redis://127.0.0.1:6379/0\n"
    "  api:\n"
    "    group: HTTP Services\n"
    "    http:\n"
    "      url: http://127.0.0.1:8000/health\n"
    "      status: 200\n"
    "      body: healthy\n"
    "      json: {status: healthy}\n"
    "      headers: {Authorization: \"Bearer ${API_TOKEN}\"}\n"
    "      max_latency: 500ms\n"
    "      insecure: false\n"
    "      follow_redirects: false\n"
    "      fresh_connect: false\n"
    "      max_body: 64KiB\n"
    "    depends_on: [redis]\n"
    "  mlflow:\n"
    "    tcp: 127.0.0.1:5000\n"
    "  pg:\n"
    "    exec: [pg_isready, -h, 127.0.0.1]\n"
    "  bentoml:\n"
    "    http: [http://127.0.0.1:3001/healthz, http://127.0.0.1:3002/healthz]\n"
    "    replicas: 2\n"
    "  worker_light:\n"
    "    celery:\n"
    "      broker: redis://127.0.0.1:6379/0\n"
    "      workers: \"worker_light*\"\n"
    "    replicas: 2\n"
    "  scheduler:\n"
    "    docker:\n"
    "      service: scheduler\n"
    "      project: e2i\n"
    "      socket: /var/run/docker.sock\n"
    "    replicas: 1\n";

static void test_issue_example(void **state)
{
    struct ht_config cfg;
    const struct svc_config *s;

    (void)state;
    setenv("API_TOKEN", "tok-123456", 1);
    parse_ok(issue_example, &cfg);
    assert_string_equal(cfg.title, "E2I Causal Analytics");
    assert_int_equal(cfg.nsvcs, 7);

    s = &cfg.svcs[0];
    assert_string_equal(s->label, "Redis (Working Memory)");
    assert_string_equal(s->group, "Memory Systems");
    assert_int_equal(s->kind, PROBE_REDIS);
    assert_int_equal(s->u.redis.ntargets, 1);
    assert_string_equal(s->u.redis.targets[0].host, "127.0.0.1");
    assert_int_equal(s->u.redis.targets[0].port, 6379);
    assert_int_equal(s->u.redis.targets[0].db, 0);
    assert_null(s->u.redis.targets[0].password);

    s = &cfg.svcs[config_find(&cfg, "api")];
    assert_int_equal(s->kind, PROBE_HTTP);
    assert_int_equal(s->u.http.nstatus, 1);
    assert_int_equal(s->u.http.status[0], 200);
    assert_string_equal(s->u.http.body, "healthy");
    assert_int_equal(s->u.http.njson, 1);
    assert_string_equal(s->u.http.json[0].key, "status");
    assert_string_equal(s->u.http.json[0].value, "healthy");
    assert_int_equal(s->u.http.nheaders, 1);
    assert_string_equal(s->u.http.headers[0].key, "Authorization");
    assert_string_equal(s->u.http.headers[0].value, "Bearer tok-123456");
    assert_int_equal(s->u.http.max_latency_ms, 500);
    assert_int_equal(s->u.http.max_body, 64 * 1024);
    assert_int_equal(s->ndeps, 1);
    assert_string_equal(s->depends_on[0], "redis");
    assert_int_equal(s->dep_idx[0], 0);

    s = &cfg.svcs[config_find(&cfg, "mlflow")];
    assert_int_equal(s->kind, PROBE_TCP);
    assert_string_equal(s->u.tcp.addrs[0], "127.0.0.1:5000");

    s = &cfg.svcs[config_find(&cfg, "pg")];
    assert_int_equal(s->kind, PROBE_EXEC);
    assert_int_equal(s->u.exec.argc, 3);
    assert_string_equal(s->u.exec.argv[0], "pg_isready");
    assert_string_equal(s->u.exec.argv[2], "127.0.0.1");
    assert_null(s->u.exec.argv[3]);

    s = &cfg.svcs[config_find(&cfg, "bentoml")];
    assert_int_equal(s->u.http.nurls, 2);
    assert_int_equal(config_targets(s), 2);
    assert_int_equal(s->replicas, 2);

    s = &cfg.svcs[config_find(&cfg, "worker_light")];
    assert_int_equal(s->kind, PROBE_CELERY);
    assert_string_equal(s->u.celery.workers, "worker_light*");
    assert_string_equal(s->u.celery.broker.host, "127.0.0.1");
    assert_int_equal(s->replicas, 2);

    s = &cfg.svcs[config_find(&cfg, "scheduler")];
    assert_int_equal(s->kind, PROBE_DOCKER);
    assert_string_equal(s->u.docker.service, "scheduler");
    assert_string_equal(s->u.docker.project, "e2i");
    assert_string_equal(s->u.docker.socket, "/var/run/docker.sock");
    assert_int_equal(s->replicas, 1);
    config_free(&cfg);
    unsetenv("API_TOKEN");
}

/* Every kind's shorthand string, and the default replicas it gives. */
static void test_shorthands(void **state)
{
    struct ht_config cfg;

    (void)state;
    unsetenv("DOCKER_HOST");
    parse_ok("services:\n"
             "  a: {http: 'https://example.test/health'}\n"
             "  b: {tcp: 'localhost:5000'}\n"
             "  c: {redis: 'redis://:pw-secret@10.0.0.1:6380/3'}\n"
             "  d: {celery: 'redis://127.0.0.1/1'}\n"
             "  e: {docker: scheduler}\n"
             "  f: {tcp: '[::1]:6379'}\n",
             &cfg);
    assert_int_equal(cfg.nsvcs, 6);
    assert_int_equal(cfg.svcs[0].kind, PROBE_HTTP);
    assert_int_equal(cfg.svcs[1].kind, PROBE_TCP);
    assert_int_equal(cfg.svcs[2].kind, PROBE_REDIS);
    assert_string_equal(cfg.svcs[2].u.redis.targets[0].password, "pw-secret");
    assert_int_equal(cfg.svcs[2].u.redis.targets[0].port, 6380);
    assert_int_equal(cfg.svcs[2].u.redis.targets[0].db, 3);
    assert_int_equal(cfg.svcs[3].kind, PROBE_CELERY);
    assert_int_equal(cfg.svcs[3].u.celery.broker.db, 1);
    assert_int_equal(cfg.svcs[3].u.celery.broker.port, 6379);
    assert_null(cfg.svcs[3].u.celery.workers);
    assert_int_equal(cfg.svcs[4].kind, PROBE_DOCKER);
    assert_string_equal(cfg.svcs[4].u.docker.service, "scheduler");
    assert_null(cfg.svcs[4].u.docker.project);
    assert_string_equal(cfg.svcs[4].u.docker.socket, "/var/run/docker.sock");
    assert_string_equal(cfg.svcs[5].u.tcp.addrs[0], "[::1]:6379");
    for (size_t i = 0; i < cfg.nsvcs; i++)
        assert_int_equal(cfg.svcs[i].replicas, 1);
    config_free(&cfg);
}

/* Lists where one target per replica makes sense; replicas follow. */
static void test_lists_and_replicas(void **state)
{
    struct ht_config cfg;

    (void)state;
    parse_ok("services:\n"
             "  h: {http: {url: [http://a:1/, http://b:2/, http://c:3/], status: [200, 204]}}\n"
             "  t: {tcp: [a:1, b:2]}\n"
             "  r: {redis: [redis://a:1, redis://b:2]}\n"
             "  z:\n    tcp: [a:1, b:2]\n    replicas: 0\n"
             "  w:\n    celery: redis://h:1/0\n    replicas: 5\n",
             &cfg);
    assert_int_equal(cfg.svcs[0].u.http.nurls, 3);
    assert_int_equal(cfg.svcs[0].replicas, 3);
    assert_int_equal(cfg.svcs[0].u.http.nstatus, 2);
    assert_int_equal(cfg.svcs[0].u.http.status[1], 204);
    assert_int_equal(cfg.svcs[1].replicas, 2);
    assert_int_equal(cfg.svcs[2].replicas, 2);
    assert_int_equal(config_targets(&cfg.svcs[2]), 2);
    assert_string_equal(cfg.svcs[2].u.redis.targets[1].host, "b");
    assert_int_equal(cfg.svcs[3].replicas, 0);
    assert_int_equal(cfg.svcs[4].replicas, 5);
    assert_int_equal(config_targets(&cfg.svcs[4]), 1);
    config_free(&cfg);
}

static void test_mapping_forms_ok(void **state)
{
    struct ht_config cfg;
    const struct http_config *h;

    (void)state;
    setenv("DOCKER_HOST", "unix:///run/user/1000/podman.sock", 1);
    parse_ok("services:\n"
             "  t: {tcp: {address: 'db.local:5432'}}\n"
             "  r:\n    redis: {url: [redis://a:1/2, redis://b:1/2], password: s3cr3t-pw}\n"
             "  c:\n    celery: {broker: 'redis://u@h:7/4', password: brokerpw}\n"
             "  d:\n    docker: {project: e2i}\n"
             "  h:\n    http:\n      url: http://h/\n      insecure: true\n"
             "      follow_redirects: True\n      fresh_connect: false\n"
             "      max_body: 1MiB\n"
             "      json: {components: {api: operational}, version: 4.1, gone: null}\n",
             &cfg);
    assert_string_equal(cfg.svcs[0].u.tcp.addrs[0], "db.local:5432");
    assert_string_equal(cfg.svcs[1].u.redis.targets[0].password, "s3cr3t-pw");
    assert_string_equal(cfg.svcs[1].u.redis.targets[1].password, "s3cr3t-pw");
    assert_int_equal(cfg.svcs[1].u.redis.targets[1].db, 2);
    assert_string_equal(cfg.svcs[2].u.celery.broker.user, "u");
    assert_string_equal(cfg.svcs[2].u.celery.broker.password, "brokerpw");
    assert_int_equal(cfg.svcs[2].u.celery.broker.db, 4);
    assert_null(cfg.svcs[3].u.docker.service);
    assert_string_equal(cfg.svcs[3].u.docker.project, "e2i");
    assert_string_equal(cfg.svcs[3].u.docker.socket, "/run/user/1000/podman.sock");
    h = &cfg.svcs[4].u.http;
    assert_true(h->insecure);
    assert_true(h->follow_redirects);
    assert_false(h->fresh_connect);
    assert_int_equal(h->max_body, 1024 * 1024);
    assert_int_equal(h->njson, 3);
    assert_string_equal(h->json[0].key, "components.api");
    assert_string_equal(h->json[0].value, "operational");
    assert_string_equal(h->json[1].key, "version");
    assert_string_equal(h->json[1].value, "4.1");
    assert_string_equal(h->json[2].value, "null");
    config_free(&cfg);
    unsetenv("DOCKER_HOST");
}

/* A compose-like file: x- anchors, << with one mapping and with a list,
 * explicit keys winning, earlier sources winning over later ones. */
static void test_anchors_and_merges(void **state)
{
    struct ht_config cfg;
    const struct svc_config *s;

    (void)state;
    parse_ok("x-common: &common\n"
             "  interval: 5s\n"
             "  timeout: 3s\n"
             "  group: Workers\n"
             "x-fast: &fast\n"
             "  interval: 500ms\n"
             "  retries: 7\n"
             "x-broker: &broker redis://127.0.0.1:6379/0\n"
             "x-deps: &deps\n"
             "  redis:\n"
             "    condition: service_healthy\n"
             "services:\n"
             "  redis:\n"
             "    redis: *broker\n"
             "  w1:\n"
             "    <<: *common\n"
             "    timeout: 4s\n"
             "    celery: {broker: *broker, workers: 'w1@*'}\n"
             "    depends_on: *deps\n"
             "  w2:\n"
             "    <<: [*fast, *common]\n"
             "    celery: *broker\n"
             "  w3:\n"
             "    label: explicit\n"
             "    <<: *common\n"
             "    group: mine\n"
             "    tcp: h:1\n",
             &cfg);
    assert_int_equal(cfg.nsvcs, 4);
    s = &cfg.svcs[1];
    assert_int_equal(s->interval_ms, 5000);
    assert_int_equal(s->timeout_ms, 4000); /* explicit wins */
    assert_string_equal(s->group, "Workers");
    assert_int_equal(s->ndeps, 1);
    assert_int_equal(s->dep_idx[0], 0);
    s = &cfg.svcs[2];
    assert_int_equal(s->interval_ms, 500); /* the first source wins */
    assert_int_equal(s->retries, 7);
    assert_int_equal(s->timeout_ms, 3000);
    assert_string_equal(s->u.celery.broker.url, "redis://127.0.0.1:6379/0");
    s = &cfg.svcs[3];
    assert_string_equal(s->label, "explicit");
    assert_string_equal(s->group, "mine"); /* explicit, even after the merge */
    assert_int_equal(s->interval_ms, 5000);
    config_free(&cfg);
}

/* Compose's other habit: the first service is the anchor, the next ones
 * merge it and override what differs (the probe included). */
static void test_service_as_anchor(void **state)
{
    struct ht_config cfg;
    const struct svc_config *s;

    (void)state;
    parse_ok("services:\n"
             "  redis: {redis: 'redis://h'}\n"
             "  worker_light: &worker\n"
             "    group: Celery Workers\n"
             "    celery: {broker: 'redis://h/0', workers: 'worker_light*'}\n"
             "    depends_on: [redis]\n"
             "    replicas: 2\n"
             "  worker_medium:\n"
             "    <<: *worker\n"
             "    celery: {broker: 'redis://h/0', workers: 'worker_medium*'}\n"
             "    replicas: 1\n",
             &cfg);
    s = &cfg.svcs[2];
    assert_string_equal(s->name, "worker_medium");
    assert_string_equal(s->label, "worker_medium");
    assert_string_equal(s->group, "Celery Workers");
    assert_string_equal(s->u.celery.workers, "worker_medium*");
    assert_int_equal(s->replicas, 1);
    assert_int_equal(s->ndeps, 1);
    assert_int_equal(s->dep_idx[0], 0);
    config_free(&cfg);
}

/* Merges of merges: the result of a nested merge is merged again. */
static void test_nested_merge(void **state)
{
    struct ht_config cfg;

    (void)state;
    parse_ok("x-a: &a {interval: 9s}\n"
             "x-b: &b {<<: *a, timeout: 8s}\n"
             "services:\n"
             "  s: {<<: *b, tcp: 'h:1'}\n",
             &cfg);
    assert_int_equal(cfg.svcs[0].interval_ms, 9000);
    assert_int_equal(cfg.svcs[0].timeout_ms, 8000);
    config_free(&cfg);
}

static void test_env_expansion(void **state)
{
    struct ht_config cfg;
    char buf[128];

    (void)state;
    setenv("HT_TEST_HOST", "10.1.2.3", 1);
    setenv("HT_TEST_PW", "pa55-word", 1);
    setenv("HT_TEST_EMPTY", "", 1);
    unsetenv("HT_TEST_UNSET");
    parse_ok("title: 'cost $$5 and $ alone, $1'\n"
             "defaults: {interval: '${HT_TEST_UNSET:-3s}'}\n"
             "services:\n"
             "  a: {tcp: '${HT_TEST_HOST}:${HT_TEST_UNSET:-80}'}\n"
             "  b: {redis: {url: 'redis://${HT_TEST_HOST}', password: '${HT_TEST_PW}'}}\n"
             "  c: {tcp: '${HT_TEST_EMPTY:-h}:${HT_TEST_EMPTY-1}2'}\n",
             &cfg);
    assert_string_equal(cfg.title, "cost $5 and $ alone, $1");
    assert_int_equal(cfg.svcs[0].interval_ms, 3000);
    assert_string_equal(cfg.svcs[0].u.tcp.addrs[0], "10.1.2.3:80");
    assert_string_equal(cfg.svcs[1].u.redis.targets[0].password, "pa55-word");
    /* ':-' replaces an empty value, '-' only an unset one. */
    assert_string_equal(cfg.svcs[2].u.tcp.addrs[0], "h:2");
    /* Every value from the environment is now a secret. */
    ht_strlcpy(buf, "host 10.1.2.3 pw pa55-word", sizeof(buf));
    secret_scrub(buf, sizeof(buf));
    assert_string_equal(buf, "host *** pw ***");
    config_free(&cfg);
}

static void test_compose_depends_on(void **state)
{
    struct ht_config cfg;

    (void)state;
    parse_ok("services:\n"
             "  redis: {redis: 'redis://h'}\n"
             "  api: {http: 'http://h/'}\n"
             "  worker:\n"
             "    celery: redis://h\n"
             "    depends_on:\n"
             "      redis: {condition: service_healthy}\n"
             "      api:\n"
             "        condition: service_started\n"
             "        required: true\n"
             "        restart: false\n",
             &cfg);
    assert_int_equal(cfg.svcs[2].ndeps, 2);
    assert_int_equal(cfg.svcs[2].dep_idx[0], 0);
    assert_int_equal(cfg.svcs[2].dep_idx[1], 1);
    config_free(&cfg);
}

/* A timeout longer than the interval is allowed (the scheduler waits). */
static void test_timeout_over_interval(void **state)
{
    struct ht_config cfg;

    (void)state;
    parse_ok("defaults: {interval: 100ms, timeout: 5s, retries: 1, start_period: 1m}\n"
             "services: {a: {tcp: 'h:1'}}\n",
             &cfg);
    assert_int_equal(cfg.svcs[0].interval_ms, 100);
    assert_int_equal(cfg.svcs[0].timeout_ms, 5000);
    assert_int_equal(cfg.svcs[0].start_period_ms, 60000);
    config_free(&cfg);
}

static void test_probe_kind_name(void **state)
{
    (void)state;
    assert_string_equal(probe_kind_name(PROBE_HTTP), "http");
    assert_string_equal(probe_kind_name(PROBE_TCP), "tcp");
    assert_string_equal(probe_kind_name(PROBE_REDIS), "redis");
    assert_string_equal(probe_kind_name(PROBE_EXEC), "exec");
    assert_string_equal(probe_kind_name(PROBE_CELERY), "celery");
    assert_string_equal(probe_kind_name(PROBE_DOCKER), "docker");
    assert_string_equal(probe_kind_name(PROBE_KIND_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_minimal_defaults, teardown_secrets),
        cmocka_unit_test_teardown(test_issue_example, teardown_secrets),
        cmocka_unit_test_teardown(test_shorthands, teardown_secrets),
        cmocka_unit_test_teardown(test_lists_and_replicas, teardown_secrets),
        cmocka_unit_test_teardown(test_mapping_forms_ok, teardown_secrets),
        cmocka_unit_test_teardown(test_anchors_and_merges, teardown_secrets),
        cmocka_unit_test_teardown(test_service_as_anchor, teardown_secrets),
        cmocka_unit_test_teardown(test_nested_merge, teardown_secrets),
        cmocka_unit_test_teardown(test_env_expansion, teardown_secrets),
        cmocka_unit_test_teardown(test_compose_depends_on, teardown_secrets),
        cmocka_unit_test_teardown(test_timeout_over_interval, teardown_secrets),
        cmocka_unit_test(test_probe_kind_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
