/* healthtop: argument parsing and mode dispatch, nothing else. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthtop/config.h"
#include "healthtop/record.h"
#include "healthtop/replay.h"
#include "healthtop/report.h"
#include "healthtop/run.h"
#include "healthtop/secret.h"
#include "healthtop/stack.h"
#include "healthtop/tui.h"
#include "healthtop/util.h"

static const char usage_text[] =
    "usage: healthtop [-c FILE] [--theme NAME] [--ascii]   live dashboard\n"
    "       healthtop --once [-c FILE] [--json]            probe once, report\n"
    "       healthtop --wait [--timeout 180s] [-c FILE] [--json]\n"
    "                                                      wait until all healthy\n"
    "       healthtop --demo [--demo-speed N] [--once|--wait] a simulated stack\n"
    "       healthtop --replay FILE [--speed N] [--once [--json]]\n"
    "                                                      play a recording back\n"
    "\n"
    "  -c, --config FILE        the services to watch (default: ./healthtop.yml,\n"
    "                           then $XDG_CONFIG_HOME/healthtop/config.yml)\n"
    "      --once               probe every service once, all at the same time\n"
    "      --wait               probe until every service is healthy or skipped\n"
    "      --timeout DURATION   --wait deadline (default 180s)\n"
    "      --json               print one JSON document on stdout\n"
    "      --ascii              ASCII marks and sparklines\n"
    "      --theme NAME         dashboard colour theme (default: default)\n"
    "      --demo               watch a simulated copy of the E2I stack cold-start\n"
    "                           (12 services on loopback ports, in this process;\n"
    "                           its Celery workers are simulated HTTP endpoints)\n"
    "      --demo-speed N       the demo's time compression (default 4: the\n"
    "                           120 s cold start in 30 s)\n"
    "      --record FILE        write every result and state change to FILE as\n"
    "                           JSON lines (replaced; secrets never written)\n"
    "      --replay FILE        show a recording without probing anything; with\n"
    "                           --once, print its state changes, timeline, report\n"
    "      --speed N            replay speed (default 1; 10 = ten times faster)\n"
    "      --allow-insecure-config\n"
    "                           accept a config file that others can write\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version\n"
    "\n"
    "In the dashboard, ? lists every key: t shows the start-up timeline; K stops\n"
    "or revives the selected service (--demo); . step, [ ] seek 10 s, + - speed\n"
    "(--replay).\n"
    "\n"
    "Exit status: 0 all healthy (skipped allowed), 1 something unhealthy,\n"
    "degraded or not healthy by the --wait deadline, 2 usage or config error,\n"
    "130 interrupted (SIGINT or SIGTERM) in --once or --wait.\n";

/* No config anywhere: say where we looked, with the real paths. */
static void print_start_text(const char *tried)
{
    fprintf(stderr,
            "healthtop: no config file found (looked for ./healthtop.yml%s%s).\n"
            "Start from an example:\n"
            "  cp examples/minimal.yml healthtop.yml && healthtop --once\n"
            "or pass one with -c FILE. See `healthtop --help`.\n",
            tried[0] ? " and " : "", tried);
}

enum mode { MODE_TUI, MODE_ONCE, MODE_WAIT };

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

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
    enum {
        OPT_ONCE = 256,
        OPT_WAIT,
        OPT_TIMEOUT,
        OPT_JSON,
        OPT_ASCII,
        OPT_THEME,
        OPT_INSECURE,
        OPT_DEMO,
        OPT_DEMO_SPEED,
        OPT_RECORD,
        OPT_REPLAY,
        OPT_SPEED,
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"wait", no_argument, NULL, OPT_WAIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"ascii", no_argument, NULL, OPT_ASCII},
        {"theme", required_argument, NULL, OPT_THEME},
        {"allow-insecure-config", no_argument, NULL, OPT_INSECURE},
        {"demo", no_argument, NULL, OPT_DEMO},
        {"demo-speed", required_argument, NULL, OPT_DEMO_SPEED},
        {"record", required_argument, NULL, OPT_RECORD},
        {"replay", required_argument, NULL, OPT_REPLAY},
        {"speed", required_argument, NULL, OPT_SPEED},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *why;
    int c;

    memset(a, 0, sizeof(*a));
    a->wait_timeout_ms = 180000;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config = optarg;
            break;
        case OPT_ONCE:
        case OPT_WAIT:
            if (a->mode != MODE_TUI)
                return usage_error("%s", "--once and --wait exclude each other");
            a->mode = c == OPT_ONCE ? MODE_ONCE : MODE_WAIT;
            break;
        case OPT_TIMEOUT:
            if (duration_parse(optarg, &a->wait_timeout_ms, &why) != 0)
                return usage_error("--timeout: %s", why);
            break;
        case OPT_JSON:
            a->format = REPORT_JSON;
            break;
        case OPT_ASCII:
            a->ascii = true;
            break;
        case OPT_THEME:
            a->theme = optarg;
            break;
        case OPT_INSECURE:
            a->allow_insecure_config = true;
            break;
        case OPT_DEMO:
            a->demo = true;
            break;
        case OPT_DEMO_SPEED:
            if (parse_speed(optarg, &a->demo_speed) != 0)
                return usage_error("--demo-speed: '%s' is not a number from 0.1 to 1000", optarg);
            break;
        case OPT_RECORD:
            a->record = optarg;
            break;
        case OPT_REPLAY:
            a->replay = optarg;
            break;
        case OPT_SPEED:
            if (parse_speed(optarg, &a->replay_speed) != 0)
                return usage_error("--speed: '%s' is not a number from 0.1 to 1000", optarg);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            puts("healthtop " HT_VERSION);
            return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (a->format == REPORT_JSON && a->mode == MODE_TUI)
        return usage_error("%s", "--json goes with --once or --wait");
    if (a->demo && a->config)
        return usage_error("%s", "--demo brings its own services: drop -c");
    if (a->demo_speed > 0 && !a->demo)
        return usage_error("%s", "--demo-speed goes with --demo");
    if (a->replay && (a->config || a->demo || a->record || a->mode == MODE_WAIT))
        return usage_error("%s", "--replay shows a recording: no -c, --demo, --record or --wait");
    if (a->replay_speed > 0 && !a->replay)
        return usage_error("%s", "--speed goes with --replay");
    return -1;
}

static int load_config(const struct args *a, struct ht_config *cfg)
{
    char path[4096], err[8192];

    if (a->config)
        ht_strlcpy(path, a->config, sizeof(path));
    else if (config_find_default(path, sizeof(path)) != 0) {
        print_start_text(path);
        return -1;
    }
    if (config_load_file(path, !a->allow_insecure_config, cfg, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        if (err[0] && err[strlen(err) - 1] != '\n')
            fputc('\n', stderr);
        return -1;
    }
    return 0;
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
    struct run_opts ro;
    int rc;

    setlocale(LC_ALL, "");
    /* hiredis and curl write to sockets that peers may close. */
    signal(SIGPIPE, SIG_IGN);

    if ((rc = parse_args(argc, argv, &a)) >= 0)
        return rc;
    if (a.replay)
        return replay_main(&a);
    memset(&ro, 0, sizeof(ro));
    if (a.demo) {
        char err[1024];
        if ((demo = stack_new(a.demo_speed, err, sizeof(err))) == NULL) {
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
    if (a.record) {
        char err[512];
        if ((rec = record_open(a.record, err, sizeof(err))) == NULL) {
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
    default: {
        struct tui_opts to = {.theme = a.theme, .ascii = a.ascii, .mouse = true};
        to.hooks = ro.hooks;
        to.nhooks = ro.nhooks;
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
    if (demo)
        stack_free(demo);
    else
        config_free(&cfg);
    secret_clear();
    return rc;
}
