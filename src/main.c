/* healthtop: argument parsing and mode dispatch, nothing else. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "healthtop/config.h"
#include "healthtop/run.h"
#include "healthtop/secret.h"
#include "healthtop/tui.h"
#include "healthtop/util.h"

static const char usage_text[] =
    "usage: healthtop [-c FILE] [--theme NAME] [--ascii]   live dashboard\n"
    "       healthtop --once [-c FILE] [--json]            probe once, report\n"
    "       healthtop --wait [--timeout 180s] [-c FILE] [--json]\n"
    "                                                      wait until all healthy\n"
    "\n"
    "  -c, --config FILE        the services to watch (default: ./healthtop.yml,\n"
    "                           then $XDG_CONFIG_HOME/healthtop/config.yml)\n"
    "      --once               probe every service once, all at the same time\n"
    "      --wait               probe until every service is healthy or skipped\n"
    "      --timeout DURATION   --wait deadline (default 180s)\n"
    "      --json               print one JSON document on stdout\n"
    "      --ascii              ASCII marks and sparklines\n"
    "      --theme NAME         dashboard colour theme (default: default)\n"
    "      --allow-insecure-config\n"
    "                           accept a config file that others can write\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version\n"
    "\n"
    "Exit status: 0 all healthy (skipped allowed), 1 something unhealthy,\n"
    "degraded or not healthy by the --wait deadline, 2 usage or config error.\n";

static const char start_text[] = "healthtop: no config file found (looked for ./healthtop.yml and\n"
                                 "$XDG_CONFIG_HOME/healthtop/config.yml).\n"
                                 "Start from an example:\n"
                                 "  cp examples/minimal.yml healthtop.yml && healthtop --once\n"
                                 "or pass one with -c FILE. See `healthtop --help`.\n";

enum mode { MODE_TUI, MODE_ONCE, MODE_WAIT };

struct args {
    enum mode mode;
    const char *config;
    const char *theme;
    bool json, ascii, allow_insecure_config;
    int64_t wait_timeout_ms;
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("healthtop: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry `healthtop --help`.\n", stderr);
    return 2;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
    enum { OPT_ONCE = 256, OPT_WAIT, OPT_TIMEOUT, OPT_JSON, OPT_ASCII, OPT_THEME, OPT_INSECURE };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"wait", no_argument, NULL, OPT_WAIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"ascii", no_argument, NULL, OPT_ASCII},
        {"theme", required_argument, NULL, OPT_THEME},
        {"allow-insecure-config", no_argument, NULL, OPT_INSECURE},
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
            a->json = true;
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
    if (a->json && a->mode == MODE_TUI)
        return usage_error("%s", "--json goes with --once or --wait");
    return -1;
}

static int load_config(const struct args *a, struct ht_config *cfg)
{
    char path[4096], err[8192];

    if (a->config)
        ht_strlcpy(path, a->config, sizeof(path));
    else if (config_find_default(path, sizeof(path)) != 0) {
        fputs(start_text, stderr);
        return -1;
    }
    if (!a->allow_insecure_config && config_check_perms(path, err, sizeof(err)) != 0) {
        fprintf(stderr, "healthtop: %s\n", err);
        return -1;
    }
    if (config_load(path, cfg, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        if (err[0] && err[strlen(err) - 1] != '\n')
            fputc('\n', stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    struct ht_config cfg;
    struct run_opts ro;
    int rc;

    setlocale(LC_ALL, "");
    /* hiredis and curl write to sockets that peers may close. */
    signal(SIGPIPE, SIG_IGN);

    if ((rc = parse_args(argc, argv, &a)) >= 0)
        return rc;
    if (load_config(&a, &cfg) != 0)
        return 2;

    memset(&ro, 0, sizeof(ro));
    ro.json = a.json;
    ro.ascii = a.ascii;
    ro.wait_timeout_ms = a.wait_timeout_ms;
    switch (a.mode) {
    case MODE_ONCE:
        rc = run_once(&cfg, &ro);
        break;
    case MODE_WAIT:
        rc = run_wait(&cfg, &ro);
        break;
    default: {
        struct tui_opts to = {.theme = a.theme, .ascii = a.ascii, .mouse = true};
        rc = run_tui(&cfg, &to);
        break;
    }
    }
    config_free(&cfg);
    secret_clear();
    return rc;
}
