/* The config's files and outputs: config_load, the shipped examples,
 * config_find_default, config_load_file's checks, config_describe (redacted),
 * redis_target_parse. */
#include "test_config.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "support/check.h"

static char tmpdir[PATH_MAX];

static int setup_dir(void **state)
{
    (void)state;
    ht_strlcpy(tmpdir, "/tmp/ht-config-XXXXXX", sizeof(tmpdir));
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    secret_clear();
    ht_snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void load_example(const char *name, struct ht_config *cfg)
{
    const char *src = getenv("HT_SOURCE_DIR");
    char path[PATH_MAX];

    if (src != NULL)
        ht_snprintf(path, sizeof(path), "%s/examples/%s", src, name);
    else /* run by hand: find the tree from this file's own path */
        ht_snprintf(path, sizeof(path), "%.*sexamples/%s",
                    (int)(strlen(__FILE__) - strlen("tests/unit/test_config_files.c")), __FILE__,
                    name);
    if (config_load(path, cfg, test_err, sizeof(test_err)) != 0) {
        print_error("%s\n", test_err);
        fail();
    }
}

/* examples/e2i.yml: the seed's 12 services, groups and cold-start tree. */
static void test_example_e2i(void **state)
{
    static const struct {
        const char *name, *group;
        enum probe_kind kind;
        int replicas;
        const char *deps;
    } want[] = {
        {"redis", "Memory Systems", PROBE_REDIS, 1, ""},
        {"falkordb", "Memory Systems", PROBE_REDIS, 1, "redis"},
        {"mlflow", "HTTP Services", PROBE_HTTP, 1, ""},
        {"bentoml", "HTTP Services", PROBE_HTTP, 1, "mlflow feast"},
        {"feast", "HTTP Services", PROBE_HTTP, 1, "redis"},
        {"opik", "HTTP Services", PROBE_HTTP, 1, ""},
        {"api", "HTTP Services", PROBE_HTTP, 1, "redis"},
        {"frontend", "HTTP Services", PROBE_HTTP, 1, "api"},
        {"worker_light", "Celery Workers", PROBE_CELERY, 2, "redis api"},
        {"worker_medium", "Celery Workers", PROBE_CELERY, 1, "redis api"},
        {"worker_heavy", "Celery Workers", PROBE_CELERY, 0, "redis api"},
        {"scheduler", "Celery Workers", PROBE_DOCKER, 1, "redis worker_light"},
    };
    struct ht_config cfg;
    const struct svc_config *s;

    (void)state;
    unsetenv("REDIS_PASSWORD");
    unsetenv("DOCKER_HOST");
    load_example("e2i.yml", &cfg);
    assert_string_equal(cfg.title, "E2I Causal Analytics");
    assert_int_equal(cfg.nsvcs, HT_ARRAY_LEN(want));
    for (size_t i = 0; i < HT_ARRAY_LEN(want); i++) {
        char deps[128] = "";
        s = &cfg.svcs[i];
        assert_string_equal(s->name, want[i].name);
        assert_string_equal(s->group, want[i].group);
        assert_int_equal(s->kind, want[i].kind);
        assert_int_equal(s->replicas, want[i].replicas);
        for (size_t j = 0; j < s->ndeps; j++)
            ht_snprintf(deps + strlen(deps), sizeof(deps) - strlen(deps), "%s%s", j ? " " : "",
                        cfg.svcs[s->dep_idx[j]].name);
        assert_string_equal(deps, want[i].deps);
    }
    s = &cfg.svcs[config_find(&cfg, "api")];
    assert_string_equal(s->u.http.urls[0], "http://127.0.0.1:8000/health");
    assert_string_equal(s->u.http.json[0].key, "status");
    assert_string_equal(s->u.http.json[0].value, "healthy");
    s = &cfg.svcs[config_find(&cfg, "frontend")];
    assert_string_equal(s->u.http.body, "OK");
    s = &cfg.svcs[config_find(&cfg, "worker_light")];
    assert_string_equal(s->u.celery.workers, "worker_light*");
    assert_int_equal(s->u.celery.broker.port, 6379);
    assert_null(s->u.celery.broker.password); /* REDIS_PASSWORD unset */
    s = &cfg.svcs[config_find(&cfg, "scheduler")];
    assert_string_equal(s->u.docker.service, "scheduler");
    assert_string_equal(s->u.docker.project, "e2i");
    config_free(&cfg);

    /* With the password set it reaches the broker, and is a secret. */
    setenv("REDIS_PASSWORD", "e2i-redis-pw", 1);
    load_example("e2i.yml", &cfg);
    s = &cfg.svcs[config_find(&cfg, "worker_heavy")];
    assert_string_equal(s->u.celery.broker.password, "e2i-redis-pw");
    assert_string_equal(cfg.svcs[0].u.redis.targets[0].password, "e2i-redis-pw");
    config_free(&cfg);
    unsetenv("REDIS_PASSWORD");
}

static void test_example_minimal(void **state)
{
    struct ht_config cfg;

    (void)state;
    load_example("minimal.yml", &cfg);
    assert_int_equal(cfg.nsvcs, 4);
    assert_int_equal(cfg.svcs[2].kind, PROBE_EXEC);
    assert_int_equal(cfg.svcs[2].interval_ms, 10000);
    config_free(&cfg);
}

static void test_load_errors(void **state)
{
    struct ht_config cfg;
    char path[PATH_MAX];

    (void)state;
    assert_int_equal(config_load("/nonexistent/h.yml", &cfg, test_err, sizeof(test_err)), -1);
    assert_string_equal(test_err, "/nonexistent/h.yml: cannot open: No such file or directory");
    ht_snprintf(path, sizeof(path), "%s/bad.yml", tmpdir);
    write_file(path, "services:\n  a: {tcp: x}\n", 0600);
    assert_int_equal(config_load(path, &cfg, test_err, sizeof(test_err)), -1);
    CHECK_CONTAINS("test_err", test_err, "/bad.yml:2:12: bad address 'x'");
    assert_int_equal(strncmp(test_err, path, strlen(path)), 0);
}

/* Makes base/healthtop/config.yml and checks config_find_default finds it. */
static void expect_found_in(const char *base, char *path, size_t n)
{
    char out[PATH_MAX];

    assert_int_equal(mkdir(base, 0700), 0);
    ht_snprintf(path, n, "%s/healthtop", base);
    assert_int_equal(mkdir(path, 0700), 0);
    ht_snprintf(path, n, "%s/healthtop/config.yml", base);
    write_file(path, "x", 0600);
    assert_int_equal(config_find_default(out, sizeof(out)), 0);
    assert_string_equal(out, path);
}

static void test_find_default(void **state)
{
    char cwd[PATH_MAX], out[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(tmpdir), 0);
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", tmpdir, 1);
    assert_int_equal(config_find_default(out, sizeof(out)), -1);

    /* ~/.config/healthtop/config.yml when XDG_CONFIG_HOME is unset. */
    ht_snprintf(dir, sizeof(dir), "%s/.config", tmpdir);
    expect_found_in(dir, path, sizeof(path));

    /* $XDG_CONFIG_HOME/healthtop/config.yml replaces it. */
    ht_snprintf(dir, sizeof(dir), "%s/xdg", tmpdir);
    setenv("XDG_CONFIG_HOME", dir, 1);
    assert_int_equal(config_find_default(out, sizeof(out)), -1);
    expect_found_in(dir, path, sizeof(path));

    /* ./healthtop.yml comes first. */
    write_file("healthtop.yml", "x", 0600);
    assert_int_equal(config_find_default(out, sizeof(out)), 0);
    assert_string_equal(out, "healthtop.yml");

    assert_int_equal(chdir(cwd), 0);
    unsetenv("XDG_CONFIG_HOME");
    if (home != NULL)
        setenv("HOME", home, 1);
    free(home);
}

#define GOOD_CONFIG "services:\n  a: {tcp: \"127.0.0.1:1\"}\n"

/* config_load_file with the ownership and mode checks on: rc, and err. */
static int load_checked(const char *path, char *err, size_t n)
{
    struct ht_config cfg;
    int rc = config_load_file(path, true, &cfg, err, n);

    if (rc == 0)
        config_free(&cfg);
    return rc;
}

static void test_refuses_configs_others_can_write(void **state)
{
    char path[PATH_MAX], err[1024];

    (void)state;
    ht_snprintf(path, sizeof(path), "%s/config.yml", tmpdir);
    write_file(path, GOOD_CONFIG, 0644);
    assert_int_equal(load_checked(path, err, sizeof(err)), 0);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(load_checked(path, err, sizeof(err)), 0);

    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(load_checked(path, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "bad permissions: ");
    CHECK_CONTAINS("err", err, "config.yml is writable by others; run chmod go-w ");
    CHECK_CONTAINS("err", err, " or pass --allow-insecure-config");

    assert_int_equal(chmod(path, 0620), 0);
    assert_int_equal(load_checked(path, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "config.yml is writable by its group");

    assert_int_equal(chmod(path, 0644), 0);
    /* Owned by someone else (only root can arrange that). */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 4242, 4242), 0);
        assert_int_equal(load_checked(path, err, sizeof(err)), -1);
        CHECK_CONTAINS("err", err, "bad ownership: ");
        CHECK_CONTAINS("err", err, "owned by uid 4242");
        assert_int_equal(chown(path, 0, 0), 0);
        assert_int_equal(load_checked(path, err, sizeof(err)), 0);
    }
    assert_int_equal(load_checked("/nonexistent/x.yml", err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/x.yml: cannot open: No such file or directory");
}

/* Whoever may write a directory above the file may put another file in
 * its place: refused, unless the directory is sticky (as /tmp is, which
 * holds this test's own directory). The check follows the file actually
 * opened, so a symlink is judged by where it leads. */
static void test_refuses_configs_in_directories_others_can_write(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX], link[PATH_MAX], err[1024];

    (void)state;
    ht_snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    ht_snprintf(path, sizeof(path), "%s/config.yml", dir);
    write_file(path, GOOD_CONFIG, 0600);
    assert_int_equal(load_checked(path, err, sizeof(err)), 0);

    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(load_checked(path, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "bad permissions: directory ");
    CHECK_CONTAINS("err", err, "/shared is writable by others; run chmod go-w ");

    ht_snprintf(link, sizeof(link), "%s/link.yml", tmpdir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(load_checked(link, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "/shared is writable by others");

    assert_int_equal(chmod(dir, 01777), 0); /* sticky, like /tmp */
    assert_int_equal(load_checked(path, err, sizeof(err)), 0);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(load_checked(path, err, sizeof(err)), -1);
    CHECK_CONTAINS("err", err, "/shared is writable by its group");
    assert_int_equal(chmod(dir, 0700), 0);
    unlink(link);
}

/* Only a regular file is a config: a FIFO must not block the open (no one
 * writes to it here: a blocking open would hang this test), and a
 * directory or a device gets no advice to chmod it. */
static void test_refuses_what_is_not_a_regular_file(void **state)
{
    char fifo[PATH_MAX], err[1024];
    struct ht_config cfg;

    (void)state;
    ht_snprintf(fifo, sizeof(fifo), "%s/fifo.yml", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    for (int check = 0; check <= 1; check++) {
        assert_int_equal(config_load_file(fifo, check, &cfg, err, sizeof(err)), -1);
        CHECK_CONTAINS("err", err, "fifo.yml: not a regular file (a FIFO)");
        assert_int_equal(config_load_file(tmpdir, check, &cfg, err, sizeof(err)), -1);
        CHECK_CONTAINS("err", err, ": not a regular file (a directory)");
        assert_int_equal(config_load_file("/dev/null", check, &cfg, err, sizeof(err)), -1);
        assert_string_equal(err, "/dev/null: not a regular file (a character device)");
    }
    unlink(fifo);
}

static void describe(const char *yaml, const char *want)
{
    struct ht_config cfg;
    char buf[256];

    parse_ok(yaml, &cfg);
    config_describe(&cfg.svcs[0], buf, sizeof(buf));
    if (strcmp(buf, want) != 0) {
        print_error("describe gave '%s', wanted '%s'\n", buf, want);
        fail();
    }
    config_free(&cfg);
}

static void test_describe(void **state)
{
    (void)state;
    setenv("HT_TEST_SECRET_HOST", "hidden.example", 1);
    describe("services: {a: {http: 'http://127.0.0.1:8000/health'}}\n",
             "GET http://127.0.0.1:8000/health");
    describe("services: {a: {http: {url: 'https://bob:pw-bob-123@h/x', "
             "headers: {Authorization: 'Bearer abcdef'}}}}\n",
             "GET https://***@h/x");
    describe("services: {a: {http: ['http://h:1/', 'http://h:2/', 'http://h:3/']}}\n",
             "GET http://h:1/ (+2 more)");
    describe("services: {a: {http: {url: 'https://h/', insecure: true}}}\n",
             "GET https://h/ (insecure: TLS not verified)");
    describe("services: {a: {tcp: '127.0.0.1:5000'}}\n", "tcp 127.0.0.1:5000");
    describe("services: {a: {tcp: '${HT_TEST_SECRET_HOST}:5000'}}\n", "tcp ***:5000");
    describe("services: {a: {redis: 'redis://:s3cret-pw@h:6379/0'}}\n",
             "redis PING redis://***@h:6379/0");
    describe("services: {a: {redis: {url: 'redis://h:6379/0', password: 'the-password'}}}\n",
             "redis PING redis://h:6379/0");
    describe("services: {a: {exec: [pg_isready, -h, 127.0.0.1]}}\n",
             "exec pg_isready -h 127.0.0.1");
    describe("services: {a: {exec: [check, --token, '${HT_TEST_SECRET_HOST}']}}\n",
             "exec check --token ***");
    describe("services: {a: {celery: {broker: 'redis://u:celery-pw@h/1', workers: 'w*'}}}\n",
             "celery ping redis://***@h/1 workers w*");
    describe("services: {a: {celery: 'redis://h/1'}}\n", "celery ping redis://h/1 workers *");
    describe("services: {a: {docker: {service: scheduler, project: e2i}}}\n",
             "docker service scheduler project e2i");
    describe("services: {a: {docker: {project: e2i}}}\n", "docker project e2i");
    unsetenv("HT_TEST_SECRET_HOST");
}

/* A short buffer never shows the start of a secret: the description is
 * scrubbed before it is cut. */
static void test_describe_short_buffer(void **state)
{
    struct ht_config cfg;
    char buf[22];

    (void)state;
    setenv("HT_TEST_TOKEN", "tok-abcdefghijkl", 1);
    parse_ok("services: {a: {http: 'http://h/?t=${HT_TEST_TOKEN}'}}\n", &cfg);
    config_describe(&cfg.svcs[0], buf, sizeof(buf));
    assert_string_equal(buf, "GET http://h/?t=***");
    config_describe(&cfg.svcs[0], buf, 18);
    assert_string_equal(buf, "GET http://h/?t=*");
    config_free(&cfg);
    unsetenv("HT_TEST_TOKEN");
}

static void test_redis_target_parse(void **state)
{
    struct redis_target t;
    const char *why;

    (void)state;
    assert_int_equal(redis_target_parse("redis://h", &t, &why), 0);
    assert_string_equal(t.host, "h");
    assert_int_equal(t.port, 6379);
    assert_int_equal(t.db, 0);
    assert_null(t.user);
    assert_null(t.password);
    assert_string_equal(t.url, "redis://h");
    redis_target_free(&t);

    assert_int_equal(redis_target_parse("redis://alice:p%40ss%3Aw@[::1]:7000/15", &t, &why), 0);
    assert_string_equal(t.user, "alice");
    assert_string_equal(t.password, "p@ss:w");
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 7000);
    assert_int_equal(t.db, 15);
    redis_target_free(&t);

    assert_int_equal(redis_target_parse("REDIS://:pw@h/", &t, &why), 0);
    assert_null(t.user);
    assert_string_equal(t.password, "pw");
    redis_target_free(&t);

    assert_int_equal(redis_target_parse("redis://:@h/2", &t, &why), 0);
    assert_null(t.password);
    assert_int_equal(t.db, 2);
    redis_target_free(&t);

    assert_int_equal(redis_target_parse("rediss://h", &t, &why), -1);
    CHECK_CONTAINS("why", why, "not supported by hiredis 0.14");
    assert_null(t.url);
    assert_int_equal(redis_target_parse("redis://", &t, &why), -1);
    assert_int_equal(redis_target_parse("redis://h:0", &t, &why), -1);
    assert_int_equal(redis_target_parse("redis://h/-1", &t, &why), -1);
    assert_int_equal(redis_target_parse("redis://h/1x", &t, &why), -1);
    assert_int_equal(redis_target_parse("unix:///tmp/r.sock", &t, &why), -1);
    assert_null(t.host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_example_e2i, teardown_secrets),
        cmocka_unit_test_teardown(test_example_minimal, teardown_secrets),
        cmocka_unit_test_setup_teardown(test_load_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_find_default, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuses_configs_others_can_write, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuses_configs_in_directories_others_can_write,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuses_what_is_not_a_regular_file, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_teardown(test_describe, teardown_secrets),
        cmocka_unit_test_teardown(test_describe_short_buffer, teardown_secrets),
        cmocka_unit_test_teardown(test_redis_target_parse, teardown_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
