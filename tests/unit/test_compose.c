/* The compose reader: interpolation by the specification's examples (a
 * table), .env parsing, merge rules across files, project names,
 * profiles, file lookup and errors at file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "compose/compose.h"
#include "healthtop/secret.h"

/* A fixed set of variables: FOO=foo, EMPTY="", and UNSET never set. */
static const char *table_lookup(const char *name, void *ud)
{
    (void)ud;
    if (strcmp(name, "FOO") == 0)
        return "foo";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    if (strcmp(name, "BAR") == 0)
        return "bar";
    return NULL;
}

static const struct {
    const char *in, *want; /* want NULL: an error containing err */
    const char *err;
} interp_cases[] = {
    {"plain", "plain", NULL},
    {"${FOO}", "foo", NULL},
    {"$FOO", "foo", NULL},
    {"a-$FOO-b", "a-foo-b", NULL},
    {"$FOO.x", "foo.x", NULL},
    {"${UNSET}", "", NULL},
    {"$$FOO", "$FOO", NULL},
    {"$$VAR_NOT_INTERPOLATED_BY_COMPOSE", "$VAR_NOT_INTERPOLATED_BY_COMPOSE", NULL},
    {"${UNSET:-default}", "default", NULL},
    {"${EMPTY:-default}", "default", NULL},
    {"${FOO:-default}", "foo", NULL},
    {"${UNSET-default}", "default", NULL},
    {"${EMPTY-default}", "", NULL},
    {"${FOO:?err}", "foo", NULL},
    {"${UNSET:?err}", NULL, "required variable UNSET is missing a value: err"},
    {"${EMPTY:?err}", NULL, "required variable EMPTY is missing a value: err"},
    {"${EMPTY?err}", "", NULL},
    {"${UNSET?err}", NULL, "required variable UNSET is missing a value: err"},
    {"${FOO:+alt}", "alt", NULL},
    {"${EMPTY:+alt}", "", NULL},
    {"${EMPTY+alt}", "alt", NULL},
    {"${UNSET+alt}", "", NULL},
    /* Nested, as in the specification. */
    {"${UNSET:-${FOO}}", "foo", NULL},
    {"${UNSET?$FOO}", NULL, "required variable UNSET is missing a value: foo"},
    {"${UNSET:-${UNSET2:-default}}", "default", NULL},
    {"${FOO:-${UNSET:?never}}", "foo", NULL},
    {"${UNSET:+${UNSET2:?never}}", "", NULL},
    /* A '$' that starts nothing is kept. */
    {"cost $5", "cost $5", NULL},
    {"a$", "a$", NULL},
    {"$-x", "$-x", NULL},
    {"${}", NULL, "invalid interpolation format"},
    {"${FOO", NULL, "without its '}'"},
    {"${FOO/a/b}", NULL, "invalid interpolation format"},
    {"${FOO:x}", NULL, "invalid interpolation format"},
    {"${ FOO}", NULL, "invalid interpolation format"},
};

static void test_interp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(interp_cases) / sizeof(interp_cases[0]); i++) {
        struct compose_interp it = {.lookup = table_lookup};
        char *out = NULL;
        int rc = compose_interp(&it, interp_cases[i].in, strlen(interp_cases[i].in), &out);
        if (interp_cases[i].want != NULL) {
            if (rc != 0 || strcmp(out, interp_cases[i].want) != 0) {
                print_error("'%s': want '%s', got rc %d '%s' (%s)\n", interp_cases[i].in,
                            interp_cases[i].want, rc, out ? out : "", it.err);
                fail();
            }
        } else if (rc == 0 || strstr(it.err, interp_cases[i].err) == NULL) {
            print_error("'%s': want an error with '%s', got rc %d '%s'\n", interp_cases[i].in,
                        interp_cases[i].err, rc, it.err);
            fail();
        }
        free(out);
    }
}

static void test_interp_unset_noted(void **state)
{
    struct compose_interp it = {.lookup = table_lookup};
    char *out;

    (void)state;
    assert_int_equal(compose_interp(&it, "x${UNSET}y", 10, &out), 0);
    assert_string_equal(out, "xy");
    assert_string_equal(it.unset, "UNSET");
    free(out);
}

static void test_env_file(void **state)
{
    static const char text[] = "# comment\n"
                               "\n"
                               "RACK_ENV=development\n"
                               "VAR=\"quoted\"\n"
                               "A=VAL # comment\n"
                               "B=VAL# not a comment\n"
                               "C=\"VAL # not a comment\"\n"
                               "D=\"VAL\" # comment\n"
                               "E='$OTHER'\n"
                               "F='Let\\'s go!'\n"
                               "G=\"{\\\"hello\\\": \\\"json\\\"}\"\n"
                               "H=\"some\\tvalue\"\n"
                               "I='some\\tvalue'\n"
                               "J=some\\tvalue\n"
                               "K=${RACK_ENV}-x\n"
                               "export L=exported\n"
                               "M=\n"
                               "UNSETME\n";
    struct compose_env e = {0};
    char err[256];

    (void)state;
    unsetenv("RACK_ENV");
    assert_int_equal(compose_env_parse(&e, ".env", text, strlen(text), err, sizeof(err)), 0);
    assert_string_equal(compose_env_get(&e, "RACK_ENV"), "development");
    assert_string_equal(compose_env_get(&e, "VAR"), "quoted");
    assert_string_equal(compose_env_get(&e, "A"), "VAL");
    assert_string_equal(compose_env_get(&e, "B"), "VAL# not a comment");
    assert_string_equal(compose_env_get(&e, "C"), "VAL # not a comment");
    assert_string_equal(compose_env_get(&e, "D"), "VAL");
    assert_string_equal(compose_env_get(&e, "E"), "$OTHER");
    assert_string_equal(compose_env_get(&e, "F"), "Let's go!");
    assert_string_equal(compose_env_get(&e, "G"), "{\"hello\": \"json\"}");
    assert_string_equal(compose_env_get(&e, "H"), "some\tvalue");
    assert_string_equal(compose_env_get(&e, "I"), "some\\tvalue");
    assert_string_equal(compose_env_get(&e, "J"), "some\\tvalue");
    assert_string_equal(compose_env_get(&e, "K"), "development-x");
    assert_string_equal(compose_env_get(&e, "L"), "exported");
    assert_string_equal(compose_env_get(&e, "M"), "");
    assert_null(compose_env_get(&e, "UNSETME"));
    compose_env_free(&e);

    assert_int_equal(compose_env_parse(&e, ".env", "A=1\nB='x\n", 8, err, sizeof(err)), -1);
    assert_string_equal(err, ".env:2: unterminated quoted value of B");
    compose_env_free(&e);
}

static void test_durations(void **state)
{
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {{"30s", 30000}, {"1m30s", 90000}, {"500ms", 500}, {"1h", 3600000},
              {"1.5s", 1500}, {"0", 0},         {"2m", 120000}, {"1h2m3s", 3723000}};
    const char *why;
    int64_t ms;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(compose_duration_parse(ok[i].s, &ms, &why), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    assert_int_equal(compose_duration_parse("30", &ms, &why), -1);
    assert_int_equal(compose_duration_parse("", &ms, &why), -1);
    assert_int_equal(compose_duration_parse("1x", &ms, &why), -1);
    assert_int_equal(compose_duration_parse("s", &ms, &why), -1);
}

static void test_names(void **state)
{
    char out[64];

    (void)state;
    compose_name_normalize("My Project.v2", out, sizeof(out));
    assert_string_equal(out, "myprojectv2");
    compose_name_normalize("_-E2I_stack", out, sizeof(out));
    assert_string_equal(out, "e2i_stack");
    compose_name_normalize("...", out, sizeof(out));
    assert_string_equal(out, "");
    assert_true(compose_name_valid("e2i-stack_1"));
    assert_false(compose_name_valid("E2I"));
    assert_false(compose_name_valid("-x"));
    assert_false(compose_name_valid(""));
}

/* Loads texts as files a.yml, b.yml, ... in project directory /p/dir. */
static int load(struct compose_project *p, const struct compose_opts *o, char *err, size_t n,
                size_t nfiles, ...)
{
    static const char *const names[] = {"a.yml", "b.yml", "c.yml"};
    const char *texts[3];
    struct compose_opts none = {0};
    va_list ap;

    va_start(ap, nfiles);
    for (size_t i = 0; i < nfiles; i++)
        texts[i] = va_arg(ap, const char *);
    va_end(ap);
    return compose_load_texts(names, texts, nfiles, "/p/My_Dir", o ? o : &none, p, err, n);
}

/* The specification's merge examples, and the exceptions. */
static void test_merge_rules(void **state)
{
    struct compose_project p;
    char err[2048];
    const struct cnode *foo;

    (void)state;
    assert_int_equal(load(&p, NULL, err, sizeof(err), 2,
                          "services:\n  foo:\n    key1: value1\n    key2: value2\n"
                          "    DNS: [1.1.1.1]\n    command: [echo, foo]\n"
                          "    volumes: ['foo:/work']\n    ports: ['8080:80', '9000:90']\n"
                          "    healthcheck: {test: [CMD, a], interval: 5s}\n"
                          "    environment: {FOO: BAR, KEEP: x}\n",
                          "services:\n  foo:\n    key2: VALUE\n    key3: value3\n"
                          "    DNS: [8.8.8.8]\n    command: [echo, bar]\n"
                          "    volumes: ['bar:/work']\n    ports: ['8080:80', '8443:443']\n"
                          "    healthcheck: {test: [CMD, b]}\n"
                          "    environment: {FOO: !reset null}\n"),
                     0);
    foo = cnode_get(cnode_get(p.root, "services"), "foo");
    assert_string_equal(cnode_get(foo, "key1")->str, "value1");
    assert_string_equal(cnode_get(foo, "key2")->str, "VALUE");
    assert_string_equal(cnode_get(foo, "key3")->str, "value3");
    /* Sequences append... */
    assert_int_equal(cnode_get(foo, "DNS")->n, 2);
    assert_string_equal(cnode_get(foo, "DNS")->ents[1].val->str, "8.8.8.8");
    /* ... but commands and healthcheck tests are replaced, */
    assert_int_equal(cnode_get(foo, "command")->n, 2);
    assert_string_equal(cnode_get(foo, "command")->ents[1].val->str, "bar");
    assert_int_equal(p.svcs[0].hc.argc, 1);
    assert_string_equal(p.svcs[0].hc.argv[0], "b");
    assert_int_equal(p.svcs[0].hc.interval_ms, 5000);
    /* volumes are unique by target, ports by ip/target/published/protocol, */
    assert_int_equal(cnode_get(foo, "volumes")->n, 1);
    assert_string_equal(cnode_get(foo, "volumes")->ents[0].val->str, "bar:/work");
    assert_int_equal(p.svcs[0].nports, 3);
    /* and !reset removes. */
    assert_null(cnode_get(cnode_get(foo, "environment"), "FOO"));
    assert_non_null(cnode_get(cnode_get(foo, "environment"), "KEEP"));
    /* Positions stay with the file a value came from. */
    assert_string_equal(cnode_get(foo, "key2")->file, "b.yml");
    assert_int_equal(cnode_get(foo, "key2")->line, 3);
    assert_string_equal(cnode_get(foo, "key1")->file, "a.yml");
    assert_string_equal(p.name, "my_dir");
    compose_project_free(&p);

    /* !override replaces a list; depends_on's two forms merge. */
    assert_int_equal(load(&p, NULL, err, sizeof(err), 2,
                          "services:\n  app:\n    ports: ['8080:80']\n    depends_on: [db]\n"
                          "  db: {image: x}\n  cache: {image: y}\n",
                          "services:\n  app:\n    ports: !override ['8443:443']\n"
                          "    depends_on:\n      db: {condition: service_healthy}\n"
                          "      cache: {condition: service_started}\n"),
                     0);
    assert_int_equal(p.svcs[0].nports, 1);
    assert_int_equal(p.svcs[0].ports[0].target, 443);
    assert_int_equal(p.svcs[0].ports[0].published, 8443);
    assert_int_equal(p.svcs[0].ndeps, 2);
    assert_string_equal(p.svcs[0].deps[0].name, "db");
    assert_int_equal(p.svcs[0].deps[0].cond, COMPOSE_COND_HEALTHY);
    assert_string_equal(p.svcs[0].deps[0].cond_pos.file, "b.yml");
    assert_string_equal(p.svcs[0].deps[1].name, "cache");
    compose_project_free(&p);
}

static void test_model(void **state)
{
    struct compose_project p;
    char err[2048];
    const struct compose_service *s;

    (void)state;
    setenv("HT_COMPOSE_TEST_PORT", "5174", 1);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1,
                          "name: e2i\n"
                          "services:\n"
                          "  web:\n"
                          "    image: nginx\n"
                          "    ports: ['127.0.0.1:8080:80', '[::1]:6001:6001', '3000-3005', "
                          "{target: 443, published: '8443'}, '${HT_COMPOSE_TEST_PORT}:5174/tcp']\n"
                          "    expose: ['9000', 9100, '8080-8085/tcp']\n"
                          "    restart: unless-stopped\n"
                          "    healthcheck:\n"
                          "      test: curl -f http://localhost || exit 1\n"
                          "      interval: 1m30s\n"
                          "      timeout: 10s\n"
                          "      retries: 3\n"
                          "      start_period: 40s\n"
                          "  worker:\n"
                          "    scale: 2\n"
                          "    deploy: {replicas: 0, restart_policy: {condition: on-failure}}\n"
                          "    healthcheck: {test: [NONE]}\n"
                          "  debug:\n"
                          "    profiles: [debug]\n"
                          "    healthcheck: {disable: true}\n"),
                     0);
    assert_string_equal(p.name, "e2i");
    assert_int_equal(p.nsvcs, 3);
    s = compose_service_find(&p, "web");
    assert_int_equal(s->nports, 5);
    assert_int_equal(s->ports[0].target, 80);
    assert_int_equal(s->ports[0].published, 8080);
    assert_int_equal(s->ports[1].published, 6001);
    assert_int_equal(s->ports[2].target, 3000);
    assert_int_equal(s->ports[2].target_end, 3005);
    assert_int_equal(s->ports[2].published, 0);
    assert_int_equal(s->ports[3].target, 443);
    assert_int_equal(s->ports[3].published, 8443);
    assert_int_equal(s->ports[4].published, 5174);
    assert_int_equal(s->nexpose, 3);
    assert_int_equal(s->expose[1].target, 9100);
    assert_int_equal(s->expose[2].target_end, 8085);
    assert_string_equal(s->restart, "unless-stopped");
    assert_true(s->hc.present);
    assert_int_equal(s->hc.kind, COMPOSE_TEST_SHELL);
    assert_int_equal(s->hc.interval_ms, 90000);
    assert_int_equal(s->hc.timeout_ms, 10000);
    assert_int_equal(s->hc.retries, 3);
    assert_int_equal(s->hc.start_period_ms, 40000);
    assert_int_equal(s->hc.pos.line, 8);
    assert_int_equal(s->hc.pos.col, 5);
    assert_true(s->active);
    s = compose_service_find(&p, "worker");
    assert_int_equal(s->replicas, 0); /* deploy.replicas over scale */
    assert_string_equal(s->restart_condition, "on-failure");
    assert_true(s->hc.disabled);
    s = compose_service_find(&p, "debug");
    assert_false(s->active);
    assert_true(s->hc.disabled);
    compose_project_free(&p);
    unsetenv("HT_COMPOSE_TEST_PORT");
}

static void test_profiles_and_names(void **state)
{
    static const char text[] = "services:\n  foo: {image: foo}\n  bar: {image: bar, profiles: "
                               "[test]}\n  zot: {image: zot, profiles: [debug]}\n";
    const char *prof[] = {"test"};
    struct compose_opts o = {.profiles = prof, .nprofiles = 1};
    struct compose_project p;
    char err[1024];

    (void)state;
    assert_int_equal(load(&p, &o, err, sizeof(err), 1, text), 0);
    assert_true(compose_service_find(&p, "foo")->active);
    assert_true(compose_service_find(&p, "bar")->active);
    assert_false(compose_service_find(&p, "zot")->active);
    compose_project_free(&p);

    setenv("COMPOSE_PROFILES", "debug,test", 1);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1, text), 0);
    assert_true(compose_service_find(&p, "zot")->active);
    assert_true(compose_service_find(&p, "bar")->active);
    compose_project_free(&p);
    setenv("COMPOSE_PROFILES", "*", 1);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1, text), 0);
    assert_true(compose_service_find(&p, "zot")->active);
    compose_project_free(&p);
    unsetenv("COMPOSE_PROFILES");

    /* The name is COMPOSE_PROJECT_NAME for interpolation (spec, "Name
     * top-level element"): from name:, else the directory. */
    unsetenv("COMPOSE_PROJECT_NAME");
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1,
                          "name: stack\nservices:\n  a: {image: \"x:${COMPOSE_PROJECT_NAME}\"}\n"),
                     0);
    assert_string_equal(cnode_get(p.svcs[0].node, "image")->str, "x:stack");
    {
        /* The project's own name is no secret: it is shown. */
        char shown[] = "compose project stack";
        secret_scrub(shown, sizeof(shown));
        assert_string_equal(shown, "compose project stack");
    }
    compose_project_free(&p);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1,
                          "services:\n  a: {image: \"x:$COMPOSE_PROJECT_NAME\"}\n"),
                     0);
    assert_string_equal(cnode_get(p.svcs[0].node, "image")->str, "x:my_dir");
    compose_project_free(&p);

    /* COMPOSE_PROJECT_NAME wins over name:, which wins over the dir. */
    setenv("COMPOSE_PROJECT_NAME", "fromenv", 1);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1, "name: fromfile\nservices: {}\n"), 0);
    assert_string_equal(p.name, "fromenv");
    compose_project_free(&p);
    unsetenv("COMPOSE_PROJECT_NAME");
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1, "name: Bad Name\nservices: {}\n"), -1);
    assert_non_null(strstr(err, "a.yml:1:7: name 'Bad Name' is not a valid project name"));
    compose_project_free(&p);
}

static void test_errors_at_positions(void **state)
{
    struct compose_project p;
    char err[2048];

    (void)state;
    unsetenv("HT_COMPOSE_UNSET");
    setenv("HT_COMPOSE_SECRET", "hunter2-secret", 1);
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1,
                          "services:\n  a:\n    image: \"${HT_COMPOSE_UNSET:?set the image}\"\n"
                          "    healthcheck: {interval: 5x}\n"
                          "    depends_on: {b: {condition: service_ready}}\n"
                          "    ports: ['${HT_COMPOSE_SECRET}:x']\n"),
                     -1);
    assert_non_null(strstr(err, "a.yml:3:12: required variable HT_COMPOSE_UNSET is missing a "
                                "value: set the image\n"));
    assert_non_null(strstr(err, "a.yml:4:29: bad duration '5x' for interval"));
    assert_non_null(strstr(err, "a.yml:5:33: condition must be service_started"));
    assert_non_null(strstr(err, "a.yml:6:13: ports: cannot read '***:x' as a port"));
    assert_null(strstr(err, "hunter2"));
    compose_project_free(&p);

    /* include: and extends: are not read: said, at their place. */
    assert_int_equal(load(&p, NULL, err, sizeof(err), 1,
                          "include: [other.yml]\nservices:\n  a:\n    extends: {service: b}\n"),
                     0);
    assert_non_null(p.warnings);
    assert_non_null(strstr(p.warnings, "a.yml:1:1: warning: include: is not read by healthtop"));
    assert_non_null(strstr(p.warnings, "a.yml:4:5: warning: extends: is not read by healthtop: a "
                                       "has only the keys it sets itself"));
    compose_project_free(&p);

    /* An unset variable: compose's warning, an empty value, no error. */
    assert_int_equal(
        load(&p, NULL, err, sizeof(err), 1, "services:\n  a:\n    image: x${HT_COMPOSE_UNSET}\n"),
        0);
    assert_non_null(p.warnings);
    assert_non_null(
        strstr(p.warnings, "a.yml:3:12: warning: variable HT_COMPOSE_UNSET is not set"));
    compose_project_free(&p);

    /* Nesting past the bound is an error, not a silent cut. */
    {
        size_t cap = 64 * 1024, used;
        char *deep = malloc(cap);
        strcpy(deep, "services:\n  a:\n    x:");
        used = strlen(deep);
        for (int i = 0; i < 140; i++)
            used += (size_t)snprintf(deep + used, cap - used, "\n%*sk:", 6 + 2 * i, "");
        snprintf(deep + used, cap - used, " 1\n");
        assert_int_equal(load(&p, NULL, err, sizeof(err), 1, deep), -1);
        assert_non_null(strstr(err, "nested deeper than 128 levels"));
        free(deep);
        compose_project_free(&p);
    }

    assert_int_equal(load(&p, NULL, err, sizeof(err), 1, "services:\n  a: [x\n"), -1);
    assert_non_null(strstr(err, "a.yml:"));
    compose_project_free(&p);
    secret_clear();
    unsetenv("HT_COMPOSE_SECRET");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Lookup from a subdirectory, the override file, .env, COMPOSE_FILE. */
static void test_lookup(void **state)
{
    char dir[] = "/tmp/ht-compose-XXXXXX", path[512], sub[512], err[2048];
    struct compose_opts o = {0};
    struct compose_project p;

    (void)state;
    assert_non_null(mkdtemp(dir));
    ht_snprintf(path, sizeof(path), "%s/compose.yaml", dir);
    write_file(path, "services:\n  web: {image: \"${IMG}\", ports: ['${WEB_PORT:-80}:80']}\n");
    ht_snprintf(path, sizeof(path), "%s/docker-compose.yml", dir);
    write_file(path, "services:\n  other: {image: x}\n");
    ht_snprintf(path, sizeof(path), "%s/compose.override.yml", dir);
    write_file(path, "services:\n  web: {ports: ['8443:443']}\n");
    ht_snprintf(path, sizeof(path), "%s/.env", dir);
    write_file(path, "IMG=nginx:1\nWEB_PORT=8080\n");
    ht_snprintf(sub, sizeof(sub), "%s/a/b", dir);
    ht_snprintf(path, sizeof(path), "%s/a", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    unsetenv("COMPOSE_FILE");
    unsetenv("WEB_PORT");
    unsetenv("IMG");

    o.cwd = sub;
    assert_int_equal(compose_load(&o, &p, err, sizeof(err)), 0);
    assert_int_equal(p.nfiles, 2); /* compose.yaml first, then its override */
    assert_non_null(strstr(p.files[0], "/compose.yaml"));
    assert_non_null(strstr(p.files[1], "/compose.override.yml"));
    assert_int_equal(p.nsvcs, 1);
    assert_string_equal(cnode_get(p.svcs[0].node, "image")->str, "nginx:1");
    assert_int_equal(p.svcs[0].nports, 2);
    assert_int_equal(p.svcs[0].ports[0].published, 8080);
    {
        char want[64];
        compose_name_normalize(strrchr(dir, '/') + 1, want, sizeof(want));
        assert_string_equal(p.name, want);
    }
    compose_project_free(&p);

    /* COMPOSE_FILE with a separator picks the files, no override. */
    ht_snprintf(path, sizeof(path), "%s/compose.yaml;%s/docker-compose.yml", dir, dir);
    setenv("COMPOSE_FILE", path, 1);
    setenv("COMPOSE_PATH_SEPARATOR", ";", 1);
    assert_int_equal(compose_load(&o, &p, err, sizeof(err)), 0);
    assert_int_equal(p.nfiles, 2);
    assert_int_equal(p.nsvcs, 2);
    compose_project_free(&p);
    unsetenv("COMPOSE_FILE");
    unsetenv("COMPOSE_PATH_SEPARATOR");

    /* -f: exactly the files given. */
    {
        const char *files[] = {"../../docker-compose.yml"};
        o.files = files;
        o.nfiles = 1;
        assert_int_equal(compose_load(&o, &p, err, sizeof(err)), 0);
        assert_int_equal(p.nsvcs, 1);
        assert_string_equal(p.svcs[0].name, "other");
        compose_project_free(&p);
        o.nfiles = 0;
    }

    o.cwd = "/";
    assert_int_equal(compose_load(&o, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no compose file found"));
    compose_project_free(&p);
    secret_clear();
    ht_snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_table),
        cmocka_unit_test(test_interp_unset_noted),
        cmocka_unit_test(test_env_file),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_profiles_and_names),
        cmocka_unit_test(test_errors_at_positions),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
