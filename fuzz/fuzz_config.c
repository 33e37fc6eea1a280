/* libFuzzer target for the config loader: any bytes go through
 * config_parse (YAML, merges, ${VAR}, every probe kind) and config_free.
 * Built by fuzz/CMakeLists.txt with -fsanitize=fuzzer,address. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "healthtop/config.h"
#include "healthtop/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char err[16384];
    struct ht_config cfg;

    /* A fixed environment, so that ${VAR} takes both of its paths. */
    setenv("HT_FUZZ_SET", "fuzz-value", 0);
    unsetenv("HT_FUZZ_UNSET");
    if (config_parse("fuzz.yml", (const char *)data, size, &cfg, err, sizeof(err)) == 0) {
        char buf[256];
        for (size_t i = 0; i < cfg.nsvcs; i++) {
            config_describe(&cfg.svcs[i], buf, sizeof(buf));
            (void)config_targets(&cfg.svcs[i]);
        }
        config_free(&cfg);
    }
    /* Secrets accumulate across runs otherwise. */
    secret_clear();
    return 0;
}
