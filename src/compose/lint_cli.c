/* `healthtop lint`: its options, the project, the rules, the output and
 * the exit status. */
#include "compose/lint.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/replay.h"
#include "healthtop/secret.h"

static const char lint_usage[] =
    "usage: healthtop lint [-f FILE]... [--profile NAME]... [--json | --format text|json|sarif]\n"
    "                      [--fail-on error|warning] [--max-detection DURATION]\n"
    "\n"
    "Checks the health wiring of a compose project: depends_on and its conditions,\n"
    "healthchecks, their ports and timings, restart policies. The files are found as\n"
    "docker compose finds them: -f, else COMPOSE_FILE, else compose.yaml, compose.yml,\n"
    "docker-compose.yaml or docker-compose.yml here or in a parent directory, with its\n"
    "override file.\n"
    "\n"
    "  -f, --file FILE           a compose file (repeatable, merged in order)\n"
    "      --profile NAME        an active profile (repeatable; else COMPOSE_PROFILES)\n"
    "      --json                the findings as one JSON document\n"
    "      --format FMT          text (default), json, or sarif (SARIF 2.1.0)\n"
    "      --fail-on LEVEL       exit 1 on findings of this level or worse: warning\n"
    "                            (default) or error; notes never fail\n"
    "      --max-detection DUR   the bound for interval x retries + timeout (default 60s)\n"
    "      --live                also run each healthcheck healthtop understands (curl,\n"
    "                            wget, redis-cli, nc -z, pg_isready) from the host\n"
    "                            against the port the service publishes\n"
    "      --from-recording FILE compare start_period with how long each service took\n"
    "                            to become healthy in a recording (--record FILE)\n"
    "  -h, --help                this text\n"
    "\n"
    "Rules:\n";

static void print_usage(FILE *out)
{
    fputs(lint_usage, out);
    for (size_t i = 0; i < lint_nrules; i++)
        fprintf(out, "  %-31s %s\n", lint_rules[i].id,
                lint_rules[i].sev == LINT_ERROR     ? "error"
                : lint_rules[i].sev == LINT_WARNING ? "warning"
                                                    : "note");
    fputs("\nExit status: 0 clean, 1 findings at --fail-on or worse, 2 usage or compose error.\n",
          out);
}

static int lint_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "healthtop lint: %s%s\nTry `healthtop lint --help`.\n", what, arg);
    return 2;
}

/* How long each service of a recording took from its first result to its
 * first healthy one (the recording played to its end). The names point
 * into rp, which the caller frees after linting. */
static int measure(const char *path, struct replay *rp, struct lint_measured **out,
                   struct lint_opts *lo, char *err, size_t n)
{
    struct lint_measured *m;

    if (replay_load(rp, path, err, n) != 0) {
        replay_free(rp);
        return -1;
    }
    if (rp->stopped[0])
        fprintf(stderr, "healthtop lint: the recording stops early, at %s\n", rp->stopped);
    replay_seek(rp, INT64_MAX);
    m = xcalloc(rp->sched.nsvcs + 1, sizeof(*m));
    for (size_t i = 0; i < rp->sched.nsvcs; i++) {
        const struct service *svc = &rp->sched.svcs[i];
        if (svc->health.first_seen_ms < 0 || svc->health.first_healthy_ms < 0)
            continue;
        m[lo->nmeasured++] = (struct lint_measured){svc->cfg->name, svc->health.first_healthy_ms -
                                                                        svc->health.first_seen_ms};
    }
    lo->measured = m;
    lo->measured_from = path;
    *out = m;
    return 0;
}

int lint_main(int argc, char **argv)
{
    enum { O_PROFILE = 256, O_JSON, O_FORMAT, O_FAIL_ON, O_MAX_DET, O_RECORDING, O_LIVE };
    static const struct option longs[] = {
        {"file", required_argument, NULL, 'f'},
        {"profile", required_argument, NULL, O_PROFILE},
        {"json", no_argument, NULL, O_JSON},
        {"format", required_argument, NULL, O_FORMAT},
        {"fail-on", required_argument, NULL, O_FAIL_ON},
        {"max-detection", required_argument, NULL, O_MAX_DET},
        {"from-recording", required_argument, NULL, O_RECORDING},
        {"live", no_argument, NULL, O_LIVE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **files = xcalloc((size_t)argc + 1, sizeof(char *));
    const char **profiles = xcalloc((size_t)argc + 1, sizeof(char *));
    struct compose_opts co = {.files = files, .profiles = profiles};
    struct lint_opts lo = {.max_detection_ms = 60000};
    enum lint_format fmt = LINT_TEXT;
    enum lint_severity fail_on = LINT_WARNING;
    struct compose_project p;
    struct lint_result r;
    char err[16384];
    const char *why, *recording = NULL;
    struct replay rp;
    struct lint_measured *measured = NULL;
    int c, rc = -1;

    optind = 1;
    opterr = 0;
    while (rc < 0 && (c = getopt_long(argc, argv, ":f:h", longs, NULL)) != -1) {
        switch (c) {
        case 'f':
            files[co.nfiles++] = optarg;
            break;
        case O_PROFILE:
            profiles[co.nprofiles++] = optarg;
            break;
        case O_JSON:
            fmt = LINT_JSON;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "text") == 0)
                fmt = LINT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = LINT_JSON;
            else if (strcmp(optarg, "sarif") == 0)
                fmt = LINT_SARIF;
            else
                rc = lint_usage_error("--format is text, json or sarif, not ", optarg);
            break;
        case O_FAIL_ON:
            if (strcmp(optarg, "error") == 0)
                fail_on = LINT_ERROR;
            else if (strcmp(optarg, "warning") == 0)
                fail_on = LINT_WARNING;
            else
                rc = lint_usage_error("--fail-on is error or warning, not ", optarg);
            break;
        case O_MAX_DET:
            if (compose_duration_parse(optarg, &lo.max_detection_ms, &why) != 0 ||
                lo.max_detection_ms <= 0)
                rc =
                    lint_usage_error("--max-detection: a duration such as 60s or 2m, not ", optarg);
            break;
        case O_LIVE:
            lo.live = true;
            break;
        case O_RECORDING:
            recording = optarg;
            break;
        case 'h':
            print_usage(stdout);
            rc = 0;
            break;
        case ':':
            rc = lint_usage_error(argv[optind - 1], " needs a value");
            break;
        default:
            rc = lint_usage_error("unknown option ", argv[optind - 1]);
            break;
        }
    }
    if (rc < 0 && optind < argc)
        rc = lint_usage_error("unexpected argument ", argv[optind]);
    if (rc >= 0) {
        free(files);
        free(profiles);
        return rc;
    }
    if (compose_load(&co, &p, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        if (p.warnings)
            fputs(p.warnings, stderr);
        compose_project_free(&p);
        free(files);
        free(profiles);
        secret_clear();
        return 2;
    }
    if (p.warnings)
        fputs(p.warnings, stderr);
    if (recording != NULL) {
        if (measure(recording, &rp, &measured, &lo, err, sizeof(err)) != 0) {
            fprintf(stderr, "healthtop lint: --from-recording %s\n", err);
            compose_project_free(&p);
            free(files);
            free(profiles);
            secret_clear();
            return 2;
        }
    }
    lint_run(&p, &lo, &r);
    rc = lint_write(stdout, fmt, &p, &r) != 0 ? 2 : 0;
    if (rc == 0)
        for (size_t i = 0; i < r.n; i++)
            if (r.v[i].sev >= fail_on)
                rc = 1;
    lint_result_free(&r);
    if (recording != NULL) {
        free(measured);
        replay_free(&rp);
    }
    compose_project_free(&p);
    free(files);
    free(profiles);
    secret_clear();
    return rc;
}
