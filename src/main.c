/* healthtop: argument parsing and mode dispatch, nothing else. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthtop/config.h"
#include "healthtop/alerts.h"
#include "healthtop/listen.h"
#include "healthtop/record.h"
#include "healthtop/replay.h"
#include "healthtop/report.h"
#include "healthtop/run.h"
#include "healthtop/secret.h"
#include "healthtop/serve.h"
#include "compose/compose.h"
#include "compose/lint.h"
#include "demo/stack.h"
#include "healthtop/tui.h"
#include "healthtop/util.h"

/* --help: the synopsis, then the options (from the table below), then this. */
static const char usage_head[] =
    "usage: healthtop [-c FILE] [--theme NAME] [--ascii]   live dashboard\n"
    "       healthtop --once [-c FILE] [--json]            probe once, report\n"
    "       healthtop --wait [--timeout 180s] [-c FILE] [--json]\n"
    "                                                      wait until all healthy\n"
    "       healthtop --demo [--demo-speed N] [--once|--wait] a simulated stack\n"
    "       healthtop --replay FILE [--speed N] [--once [--json]]\n"
    "                                                      play a recording back\n"
    "       healthtop --serve --listen [ADDR:]PORT [-c FILE]  headless, for servers\n"
    "       healthtop --compose [-f FILE]... [--profile NAME]...\n"
    "                                                      watch a compose project\n"
    "       healthtop lint [-f FILE]...                    check a compose project's\n"
    "                                                      health wiring (lint -h)\n"
    "\n";
static const char usage_tail[] =
    "\n"
    "In the dashboard, ? lists every key: t shows the start-up timeline; K stops\n"
    "or revives the selected service (--demo); . step, [ ] seek 10 s, + - speed\n"
    "(--replay).\n"
    "\n"
    "Exit status: 0 all healthy (skipped allowed), 1 something unhealthy,\n"
    "degraded, not healthy by the --wait deadline or hopeless before it (a\n"
    "container its restart policy will not start again, a failed job, a\n"
    "dependency unhealthy after its retries), 2 usage or config error,\n"
    "130 interrupted (SIGINT or SIGTERM) in --once or --wait; --serve exits 0 on\n"
    "SIGTERM or SIGINT and reloads its config on SIGHUP.\n"
    "\n"
    "--listen serves /metrics (Prometheus), /healthz, /readyz (200 when the stack\n"
    "is healthy or degraded, else 503), /api/v1/state (the --json document), and\n"
    "/ a live status page (the dashboard in a browser, kept up to date by the\n"
    "Server-Sent Events of /api/v1/events); only GET and HEAD are allowed.\n"
    "auth: {bearer: TOKEN} (or {user:, password:}) in the config makes all but\n"
    "/healthz ask for it.\n";

/* No config anywhere: say where we looked, with the real paths. */
static void print_start_text(const char *tried)
{
    fprintf(stderr,
            "healthtop: no config file found (looked for ./healthtop.yml%s%s).\n"
            "Start from an example:\n"
            "  cp examples/minimal.yml healthtop.yml && healthtop --once\n"
            "or pass one with -c FILE, or a compose file with -f FILE (none was found\n"
            "here or above either). See `healthtop --help`.\n",
            tried[0] ? " and " : "", tried);
}

enum mode { MODE_TUI, MODE_ONCE, MODE_WAIT, MODE_SERVE };

#define COMPOSE_ARGS_MAX 32 /* -f files, --profile names */

struct args {
    enum mode mode;
    const char *config;
    const char *theme;
    enum report_format format; /* --once, --wait, --replay --once */
    bool ascii, allow_insecure_config;
    int64_t wait_timeout_ms;
    bool demo;
    double demo_speed;
    const char *record, *replay;
    double replay_speed;
    const char *listen; /* --listen [ADDR:]PORT */
    bool listen_public;
    bool log_format_set;
    enum log_format log_format;
    bool compose; /* --compose, or -f */
    const char *compose_files[COMPOSE_ARGS_MAX];
    size_t ncompose_files;
    const char *profiles[COMPOSE_ARGS_MAX];
    size_t nprofiles;
    enum compose_probes compose_probes;
    bool compose_probes_set;
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("healthtop: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry `healthtop --help`.\n", stderr);
    return 2;
}

/* A speed factor: a number from 0.1 to 1000. */
static int parse_speed(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= 0.1 && v <= 1000))
        return -1;
    *out = v;
    return 0;
}

enum opt_id {
    OPT_CONFIG,
    OPT_COMPOSE,
    OPT_FILE,
    OPT_PROFILE,
    OPT_COMPOSE_PROBES,
    OPT_ONCE,
    OPT_WAIT,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_ASCII,
    OPT_THEME,
    OPT_DEMO,
    OPT_DEMO_SPEED,
    OPT_RECORD,
    OPT_REPLAY,
    OPT_SPEED,
    OPT_SERVE,
    OPT_LISTEN,
    OPT_LISTEN_PUBLIC,
    OPT_LOG_FORMAT,
    OPT_INSECURE,
    OPT_HELP,
    OPT_VERSION,
    OPT_COUNT
};

/* Every option once: getopt_long's table and --help are both made from
 * it, so an option cannot be parsed without being listed or listed
 * without being parsed. In --help order. */
static const struct opt {
    const char *name; /* the long name, without "--" */
    char short_name;  /* 0: none */
    const char *arg;  /* the value's name in --help; NULL: takes none */
    const char *help; /* lines separated by '\n' */
} opts[OPT_COUNT] = {
    [OPT_CONFIG] = {"config", 'c', "FILE",
                    "the services to watch (default: ./healthtop.yml,\n"
                    "then $XDG_CONFIG_HOME/healthtop/config.yml)"},
    [OPT_COMPOSE] = {"compose", 0, NULL,
                     "watch a compose project's containers: the files\n"
                     "found as docker compose finds them"},
    [OPT_FILE] = {"file", 'f', "FILE",
                  "a compose file (repeatable, merged in order;\nimplies --compose)"},
    [OPT_PROFILE] = {"profile", 0, "NAME", "a compose profile to activate (repeatable)"},
    [OPT_COMPOSE_PROBES] = {"compose-probes", 0, "engine|host|both",
                            "where --compose looks: the engine (default), the\n"
                            "healthchecks run from the host on published ports,\n"
                            "or both"},
    [OPT_ONCE] = {"once", 0, NULL, "probe every service once, all at the same time"},
    [OPT_WAIT] = {"wait", 0, NULL, "probe until every service is healthy or skipped"},
    [OPT_TIMEOUT] = {"timeout", 0, "DURATION", "--wait deadline (default 180s)"},
    [OPT_JSON] = {"json", 0, NULL, "print one JSON document on stdout"},
    [OPT_ASCII] = {"ascii", 0, NULL, "ASCII marks and sparklines"},
    [OPT_THEME] = {"theme", 0, "NAME", "dashboard colour theme (default: default)"},
    [OPT_DEMO] = {"demo", 0, NULL,
                  "watch a simulated copy of the E2I stack cold-start\n"
                  "(12 services on loopback ports, in this process;\n"
                  "its Celery workers are simulated HTTP endpoints)"},
    [OPT_DEMO_SPEED] = {"demo-speed", 0, "N",
                        "the demo's time compression (default 4: the\n"
                        "120 s cold start in 30 s)"},
    [OPT_RECORD] = {"record", 0, "FILE",
                    "write every result and state change to FILE as\n"
                    "JSON lines (replaced; secrets never written)"},
    [OPT_REPLAY] = {"replay", 0, "FILE",
                    "show a recording without probing anything; with\n"
                    "--once, print its state changes, timeline, report"},
    [OPT_SPEED] = {"speed", 0, "N", "replay speed (default 1; 10 = ten times faster)"},
    [OPT_SERVE] = {"serve", 0, NULL,
                   "headless: probe until SIGTERM, log each state change\n"
                   "as one line on stdout, reload the config on SIGHUP"},
    [OPT_LISTEN] = {"listen", 0, "[ADDR:]PORT",
                    "serve /metrics, /healthz, /readyz, /api/v1/state\n"
                    "and the status page / on this address (default\n"
                    "127.0.0.1), in any mode; overrides listen: in the\n"
                    "config"},
    [OPT_LISTEN_PUBLIC] = {"listen-public", 0, NULL,
                           "allow --listen on a non-loopback address (or\n"
                           "listen_public: true in the config)"},
    [OPT_LOG_FORMAT] = {"log-format", 0, "text|json",
                        "--serve's state-change lines (default text;\n"
                        "json: one JSON object a line)"},
    [OPT_INSECURE] = {"allow-insecure-config", 0, NULL,
                      "accept a config file that others can write"},
    [OPT_HELP] = {"help", 'h', NULL, "this text"},
    [OPT_VERSION] = {"version", 'V', NULL, "the version"},
};

#define HELP_COL 27 /* where an option's help text starts */

static void print_help(FILE *out)
{
    fputs(usage_head, out);
    for (size_t i = 0; i < OPT_COUNT; i++) {
        const struct opt *o = &opts[i];
        const char *line = o->help, *nl;
        int w;

        if (o->short_name)
            w = fprintf(out, "  -%c, --%s", o->short_name, o->name);
        else
            w = fprintf(out, "      --%s", o->name);
        if (o->arg)
            w += fprintf(out, " %s", o->arg);
        /* A name too long for its column gets a line of its own. */
        if (w >= HELP_COL) {
            fputc('\n', out);
            w = 0;
        }
        for (;;) {
            nl = strchr(line, '\n');
            fprintf(out, "%*s%.*s\n", HELP_COL - w, "",
                    (int)(nl ? nl - line : (ptrdiff_t)strlen(line)), line);
            if (nl == NULL)
                break;
            line = nl + 1;
            w = 0;
        }
    }
    fputs(usage_tail, out);
}

/* Sets one option in a; returns -1 to go on, or an exit code. */
static int apply_option(struct args *a, enum opt_id id, const char *val)
{
    const char *why;

    switch (id) {
    case OPT_CONFIG:
        a->config = val;
        break;
    case OPT_COMPOSE:
        a->compose = true;
        break;
    case OPT_FILE:
        if (a->ncompose_files == COMPOSE_ARGS_MAX)
            return usage_error("-f: at most %s files", "32");
        a->compose_files[a->ncompose_files++] = val;
        a->compose = true;
        break;
    case OPT_COMPOSE_PROBES:
        if (strcmp(val, "engine") == 0)
            a->compose_probes = COMPOSE_PROBES_ENGINE;
        else if (strcmp(val, "host") == 0)
            a->compose_probes = COMPOSE_PROBES_HOST;
        else if (strcmp(val, "both") == 0)
            a->compose_probes = COMPOSE_PROBES_BOTH;
        else
            return usage_error("--compose-probes: '%s' is not engine, host or both", val);
        a->compose_probes_set = true;
        break;
    case OPT_PROFILE:
        if (a->nprofiles == COMPOSE_ARGS_MAX)
            return usage_error("--profile: at most %s profiles", "32");
        a->profiles[a->nprofiles++] = val;
        break;
    case OPT_ONCE:
    case OPT_WAIT:
    case OPT_SERVE:
        if (a->mode != MODE_TUI)
            return usage_error("%s", "--once, --wait and --serve exclude each other");
        a->mode = id == OPT_ONCE ? MODE_ONCE : id == OPT_WAIT ? MODE_WAIT : MODE_SERVE;
        break;
    case OPT_LISTEN: {
        struct listen_spec spec;
        if (listen_parse(val, &spec, &why) != 0)
            return usage_error("--listen: %s", why);
        a->listen = val;
        break;
    }
    case OPT_LISTEN_PUBLIC:
        a->listen_public = true;
        break;
    case OPT_LOG_FORMAT:
        if (strcmp(val, "text") != 0 && strcmp(val, "json") != 0)
            return usage_error("--log-format: '%s' is not text or json", val);
        a->log_format = strcmp(val, "json") == 0 ? LOG_JSON : LOG_TEXT;
        a->log_format_set = true;
        break;
    case OPT_TIMEOUT:
        if (ht_duration_parse(val, &a->wait_timeout_ms, &why) != 0)
            return usage_error("--timeout: %s", why);
        break;
    case OPT_JSON:
        a->format = REPORT_JSON;
        break;
    case OPT_ASCII:
        a->ascii = true;
        break;
    case OPT_THEME:
        a->theme = val;
        break;
    case OPT_DEMO:
        a->demo = true;
        break;
    case OPT_DEMO_SPEED:
        if (parse_speed(val, &a->demo_speed) != 0)
            return usage_error("--demo-speed: '%s' is not a number from 0.1 to 1000", val);
        break;
    case OPT_RECORD:
        a->record = val;
        break;
    case OPT_REPLAY:
        a->replay = val;
        break;
    case OPT_SPEED:
        if (parse_speed(val, &a->replay_speed) != 0)
            return usage_error("--speed: '%s' is not a number from 0.1 to 1000", val);
        break;
    case OPT_INSECURE:
        a->allow_insecure_config = true;
        break;
    case OPT_HELP:
        print_help(stdout);
        return 0;
    case OPT_VERSION:
        puts("healthtop " HT_VERSION);
        return 0;
    case OPT_COUNT:
        break;
    }
    return -1;
}

/* Options that make no sense together; returns -1, or an exit code. */
static int check_args(const struct args *a)
{
    if (a->format == REPORT_JSON && a->mode == MODE_TUI)
        return usage_error("%s", "--json goes with --once or --wait");
    if (a->demo && a->config)
        return usage_error("%s", "--demo brings its own services: drop -c");
    if (a->compose && (a->config || a->demo || a->replay))
        return usage_error("%s", "--compose (or -f) reads a compose project: no -c, --demo or "
                                 "--replay");
    if ((a->nprofiles > 0 || a->compose_probes_set) && !a->compose)
        return usage_error("%s", "--profile and --compose-probes go with --compose (or -f)");
    if (a->demo_speed > 0 && !a->demo)
        return usage_error("%s", "--demo-speed goes with --demo");
    if (a->replay && (a->config || a->demo || a->record || a->mode == MODE_WAIT))
        return usage_error("%s", "--replay shows a recording: no -c, --demo, --record or --wait");
    if (a->mode == MODE_SERVE && (a->demo || a->record || a->format == REPORT_JSON))
        return usage_error("%s", "--serve watches a config: no --demo, --record or --json");
    if (a->log_format_set && a->mode != MODE_SERVE)
        return usage_error("%s", "--log-format goes with --serve");
    if (a->replay && (a->listen || a->mode == MODE_SERVE))
        return usage_error("%s", "--replay probes nothing: no --listen or --serve");
    if (a->replay_speed > 0 && !a->replay)
        return usage_error("%s", "--speed goes with --replay");
    return -1;
}

/* getopt_long driven by the table: a long option's val is its index in
 * opts plus OPT_BASE; a short one is its letter. Returns -1 to go on, or
 * an exit code. */
#define OPT_BASE 256

static int parse_args(int argc, char **argv, struct args *a)
{
    struct option longs[OPT_COUNT + 1];
    char shorts[2 * OPT_COUNT + 2] = ":";
    size_t ns = 1;
    int c, rc;

    memset(a, 0, sizeof(*a));
    a->wait_timeout_ms = 180000;
    memset(longs, 0, sizeof(longs));
    for (size_t i = 0; i < OPT_COUNT; i++) {
        longs[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument,
                                   NULL, OPT_BASE + (int)i};
        if (opts[i].short_name) {
            shorts[ns++] = opts[i].short_name;
            if (opts[i].arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        enum opt_id id = OPT_COUNT;
        if (c == ':')
            return usage_error("%s needs a value", argv[optind - 1]);
        if (c >= OPT_BASE && c < OPT_BASE + OPT_COUNT)
            id = (enum opt_id)(c - OPT_BASE);
        for (size_t i = 0; i < OPT_COUNT && id == OPT_COUNT; i++)
            if (opts[i].short_name && opts[i].short_name == c)
                id = (enum opt_id)i;
        if (id == OPT_COUNT)
            return usage_error("unknown option %s", argv[optind - 1]);
        if ((rc = apply_option(a, id, optarg)) >= 0)
            return rc;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return check_args(a);
}

static void print_err(const char *err)
{
    fputs(err, stderr);
    if (err[0] && err[strlen(err) - 1] != '\n')
        fputc('\n', stderr);
}

/* The compose project as the config. With quiet_missing, finding no
 * compose file returns 1 without a word (plain healthtop then says
 * where it looked for a config). */
static int load_compose(const struct args *a, struct ht_config *cfg, bool quiet_missing)
{
    struct compose_opts co = {.files = (const char **)a->compose_files,
                              .nfiles = a->ncompose_files,
                              .profiles = (const char **)a->profiles,
                              .nprofiles = a->nprofiles};
    struct compose_project p;
    char err[8192];
    int rc = 0;

    if (compose_load(&co, &p, err, sizeof(err)) != 0) {
        if (quiet_missing && strncmp(err, "no compose file found", 21) == 0) {
            rc = 1;
        } else {
            print_err(err);
            rc = -1;
        }
    } else if (compose_to_config(&p, a->compose_probes, cfg, err, sizeof(err)) != 0) {
        print_err(err);
        rc = -1;
    }
    if (p.warnings && rc >= 0)
        fputs(p.warnings, stderr);
    compose_project_free(&p);
    return rc;
}

static int load_config(const struct args *a, struct ht_config *cfg)
{
    char path[4096], err[8192];
    int rc;

    if (a->compose)
        return load_compose(a, cfg, false) == 0 ? 0 : -1;
    if (a->config)
        ht_strlcpy(path, a->config, sizeof(path));
    else if (config_find_default(path, sizeof(path)) != 0) {
        /* No healthtop.yml: a compose project here will do. */
        if ((rc = load_compose(a, cfg, true)) <= 0)
            return rc;
        print_start_text(path);
        return -1;
    }
    if (config_load_file(path, !a->allow_insecure_config, cfg, err, sizeof(err)) != 0) {
        print_err(err);
        return -1;
    }
    if (cfg->compose.present) {
        /* compose: names compose files: their rows, with the file's over them. */
        struct ht_config own = *cfg;
        if (compose_overlay(&own, a->compose_probes, cfg, err, sizeof(err)) != 0) {
            print_err(err);
            return -1;
        }
    }
    return 0;
}

/* SIGHUP in --serve: the same file, read again. */
static int reload_config(struct ht_config *out, void *ud)
{
    return load_config(ud, out);
}

/* --listen, else the config's listen:, else none. */
static int make_listener(const struct args *a, const struct ht_config *cfg, struct listener **out)
{
    struct listen_spec spec;
    const char *why, *where = a->listen ? a->listen : cfg->listen;

    *out = NULL;
    if (where == NULL) {
        if (a->listen_public)
            return usage_error("%s", "--listen-public goes with --listen (or listen:)");
        return 0;
    }
    memset(&spec, 0, sizeof(spec));
    if (listen_parse(where, &spec, &why) != 0)
        return usage_error("--listen: %s", why);
    spec.public = a->listen_public || cfg->listen_public;
    spec.bearer = cfg->auth_bearer;
    spec.user = cfg->auth_user;
    spec.password = cfg->auth_password;
    if (!spec.public && !listen_is_loopback(spec.host)) {
        fprintf(stderr,
                "healthtop: --listen %s is not a loopback address: say --listen-public (or "
                "listen_public: true in the config) to serve other hosts\n",
                where);
        return 2;
    }
    *out = listener_new(&spec);
    return 0;
}

/* --wait: a receiver failing or delivering again, on stderr. */
static void log_alerts(const char *line, void *ud)
{
    (void)ud;
    fprintf(stderr, "healthtop: %s\n", line);
}

/* --replay: the recording instead of a config and probes. */
static int replay_main(const struct args *a)
{
    struct replay r;
    char err[512];
    int rc;

    if (replay_load(&r, a->replay, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop: --replay %s\n", err);
        replay_free(&r);
        return 2;
    }
    if (a->mode == MODE_ONCE) {
        rc = replay_report(&r, stdout, a->format, a->ascii);
    } else {
        struct tui_opts to = {.theme = a->theme, .ascii = a->ascii, .mouse = true};
        rc = replay_run_tui(&r, &to, a->replay_speed);
        if (r.stopped[0])
            fprintf(stderr, "healthtop: the recording stops early, at %s\n", r.stopped);
    }
    replay_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    struct ht_config cfg;
    const struct ht_config *cfgp = &cfg;
    struct stack *demo = NULL;
    struct recorder *rec = NULL;
    struct listener *lis = NULL;
    struct alerts *al = NULL;
    struct run_opts ro;
    int rc;

    setlocale(LC_ALL, "");
    /* hiredis and curl write to sockets that peers may close. */
    signal(SIGPIPE, SIG_IGN);

    /* A subcommand with options of its own. */
    if (argc > 1 && strcmp(argv[1], "lint") == 0)
        return lint_main(argc - 1, argv + 1);
    if ((rc = parse_args(argc, argv, &a)) >= 0)
        return rc;
    if (a.replay)
        return replay_main(&a);
    memset(&ro, 0, sizeof(ro));
    if (a.demo) {
        char err[1024];
        if (stack_new(a.demo_speed, &demo, err, sizeof(err)) != 0) {
            fprintf(stderr, "healthtop: demo: %s\n", err);
            return 2;
        }
        cfgp = stack_config(demo);
        ro.hooks[ro.nhooks++] = (struct run_hook){stack_hook_setup, stack_hook_close, demo};
        if (a.mode == MODE_ONCE) {
            double speed = a.demo_speed > 0 ? a.demo_speed : STACK_DEFAULT_SPEED;
            fprintf(stderr,
                    "healthtop: --demo --once probes the simulated stack at T+0, as it starts "
                    "from cold:\nnothing is up yet. --demo --wait watches it come up (%.0f s "
                    "at --demo-speed %g).\n",
                    STACK_COLD_START_S / speed, speed);
        }
    } else if (load_config(&a, &cfg) != 0) {
        return 2;
    }
    if ((rc = make_listener(&a, cfgp, &lis)) != 0)
        goto out;
    if (lis)
        ro.hooks[ro.nhooks++] = (struct run_hook){listener_hook_setup, listener_hook_close, lis};
    /* alerts: in the dashboard, --wait and --serve (--once ends before a
     * delivery could). */
    if (a.mode != MODE_ONCE && (al = alerts_new(cfgp)) != NULL) {
        if (lis)
            listener_set_alerts(lis, al);
        if (a.mode == MODE_WAIT)
            alerts_set_log(al, log_alerts, NULL);
        if (a.mode != MODE_SERVE)
            ro.hooks[ro.nhooks++] = (struct run_hook){alerts_hook_setup, alerts_hook_close, al};
    }
    if (a.record) {
        char err[512];
        if (record_open(a.record, &rec, err, sizeof(err)) != 0) {
            fprintf(stderr, "healthtop: --record %s\n", err);
            rc = 2;
            goto out;
        }
        ro.hooks[ro.nhooks++] = (struct run_hook){record_hook_setup, record_hook_close, rec};
    }

    ro.format = a.format;
    ro.ascii = a.ascii;
    ro.wait_timeout_ms = a.wait_timeout_ms;
    switch (a.mode) {
    case MODE_ONCE:
        rc = run_once(cfgp, &ro);
        break;
    case MODE_WAIT:
        rc = run_wait(cfgp, &ro);
        break;
    case MODE_SERVE: {
        struct serve_opts so = {.log_format = a.log_format,
                                .listener = lis,
                                .alerts = al,
                                .reload = reload_config,
                                .reload_ud = &a,
                                .log = stdout};
        rc = run_serve(cfgp, &so);
        break;
    }
    default: {
        struct tui_opts to = {.theme = a.theme, .ascii = a.ascii, .mouse = true};
        to.hooks = ro.hooks;
        to.nhooks = ro.nhooks;
        to.alerts = al;
        if (demo) {
            to.demo_toggle = stack_toggle_cb;
            to.demo_ud = demo;
        }
        rc = run_tui(cfgp, &to);
        break;
    }
    }
    if (rec && record_close(rec) != 0 && rc == 0)
        rc = 1;
out:
    listener_free(lis);
    alerts_free(al);
    if (demo)
        stack_free(demo);
    else
        config_free(&cfg);
    secret_clear();
    return rc;
}
