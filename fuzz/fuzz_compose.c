/* libFuzzer target for the compose reader: the input is one or two
 * compose files (split at a "#--8<--" line, so that merges are fuzzed
 * too), loaded, interpolated, merged and read into services; the same
 * bytes also go through the .env parser. A project that loads is also
 * made a config (its x-healthtop: extensions read by the config loader).
 * Built by fuzz/CMakeLists.txt. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "compose/compose.h"
#include "compose/lint.h"
#include "healthtop/config.h"
#include "healthtop/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"a.yml", "b.yml"};
    static char err[16384];
    static const char cut[] = "#--8<--\n";
    struct compose_opts o = {0};
    struct compose_project p;
    struct compose_env e = {0};
    char *text = malloc(size + 1), *second;
    const char *texts[2];
    size_t n = 1;

    /* A fixed environment, so that ${VAR} takes both of its paths. */
    setenv("HT_FUZZ_SET", "fuzz-value", 0);
    unsetenv("HT_FUZZ_UNSET");
    setenv("DOCKER_HOST", "unix:///fuzz/docker.sock", 1);
    memcpy(text, data, size);
    text[size] = '\0';
    texts[0] = text;
    if ((second = strstr(text, cut)) != NULL) {
        *second = '\0';
        texts[1] = second + sizeof(cut) - 1;
        n = 2;
    }
    if (compose_load_texts(names, texts, n, "/fuzz", &o, &p, err, sizeof(err)) == 0) {
        struct lint_opts lo = {.max_detection_ms = 60000};
        struct lint_result r;
        struct ht_config c;
        lint_run(&p, &lo, &r);
        lint_result_free(&r);
        if (compose_to_config(&p, COMPOSE_PROBES_ENGINE, &c, err, sizeof(err)) == 0)
            config_free(&c);
    }
    compose_project_free(&p);
    (void)compose_env_parse(&e, ".env", (const char *)data, size, err, sizeof(err));
    compose_env_free(&e);
    free(text);
    /* Secrets accumulate across runs otherwise. */
    secret_clear();
    return 0;
}
