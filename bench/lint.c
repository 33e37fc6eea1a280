/* bench_lint: the CPU cost of `healthtop lint`'s own work (read, parse,
 * interpolate, merge and lint a compose project, in memory), for a real
 * 12-service file and for a generated project of N services:
 *
 *   bench_lint FILE [N] [ROUNDS]
 *
 * prints, for each project, the median and the best of ROUNDS rounds of
 * CPU time (CLOCK_PROCESS_CPUTIME_ID) and the findings. bench/lint.sh
 * adds the whole process (exec and library loading included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "compose/compose.h"
#include "compose/lint.h"
#include "healthtop/secret.h"

static double cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* N services shaped like a real stack: each with a healthcheck, ports,
 * restart, an anchor merged in, and depends_on on up to three earlier
 * ones with conditions (some of them wrong, so that rules fire). */
static char *generate(int n)
{
    size_t cap = (size_t)n * 600 + 1024, used = 0;
    char *s = malloc(cap);

    used += (size_t)snprintf(s + used, cap - used,
                             "name: big\nx-hc: &hc\n  interval: 10s\n  timeout: 5s\n"
                             "  retries: 5\nservices:\n");
    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(s + used, cap - used,
                                 "  svc%d:\n    image: \"registry/svc%d:${TAG:-latest}\"\n"
                                 "    restart: unless-stopped\n    ports: [\"%d:%d\"]\n"
                                 "    healthcheck:\n      <<: *hc\n"
                                 "      test: [CMD, curl, -f, \"http://localhost:%d/health\"]\n",
                                 i, i, 10000 + i, 8000 + i % 100, 8000 + i % 100);
        if (i > 0) {
            used += (size_t)snprintf(s + used, cap - used, "    depends_on:\n");
            for (int d = 1; d <= 3 && i - d >= 0; d++)
                used +=
                    (size_t)snprintf(s + used, cap - used, "      svc%d: {condition: %s}\n", i - d,
                                     (i + d) % 7 == 0 ? "service_started" : "service_healthy");
        }
    }
    return s;
}

static void measure(const char *label, const char *name, const char *text, int rounds)
{
    double *t = calloc((size_t)rounds, sizeof(double));
    size_t findings = 0, nsvcs = 0;

    for (int r = 0; r < rounds; r++) {
        struct compose_opts o = {0};
        struct lint_opts lo = {.max_detection_ms = 60000};
        struct compose_project p;
        struct lint_result res;
        char err[4096];
        double t0 = cpu_us();
        if (compose_load_texts(&name, &text, 1, "/bench", &o, &p, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_lint: %s\n", err);
            exit(1);
        }
        lint_run(&p, &lo, &res);
        t[r] = cpu_us() - t0;
        findings = res.n;
        nsvcs = p.nsvcs;
        lint_result_free(&res);
        compose_project_free(&p);
        secret_clear();
    }
    qsort(t, (size_t)rounds, sizeof(double), cmp_double);
    printf("%-24s %5zu services %5zu findings  CPU median %8.0f us  best %8.0f us  (%d rounds)\n",
           label, nsvcs, findings, t[rounds / 2], t[0], rounds);
    free(t);
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 500, rounds = argc > 3 ? atoi(argv[3]) : 21;
    char *text, *big, label[64];
    size_t len = 0;
    FILE *f;

    if (argc < 2 || (f = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: bench_lint FILE [N] [ROUNDS]\n");
        return 2;
    }
    text = malloc(1 << 20);
    len = fread(text, 1, (1 << 20) - 1, f);
    text[len] = '\0';
    fclose(f);
    measure("file", argv[1], text, rounds);
    big = generate(n);
    snprintf(label, sizeof(label), "generated");
    measure(label, "big.yml", big, rounds);
    free(text);
    free(big);
    return 0;
}
