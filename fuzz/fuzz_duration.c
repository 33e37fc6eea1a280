/* libFuzzer target: ht_duration_parse (config intervals, timeouts, --timeout)
 * and the two formatters that print durations and latencies back.
 *
 * Properties checked beyond "no crash, no sanitizer report": a parsed
 * duration is never negative and never over a year (the parser's own
 * limit), a refusal always says why, and both formatters always
 * NUL-terminate inside the buffer they are given, however small. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/util.h"

#define YEAR_MS (365LL * 24 * 3600 * 1000)

static void check_format(int64_t v)
{
    char big[64], small[4];

    ht_duration_format(v, big, sizeof(big));
    if (memchr(big, '\0', sizeof(big)) == NULL)
        abort();
    ht_duration_format(v, small, sizeof(small));
    if (memchr(small, '\0', sizeof(small)) == NULL)
        abort();
    ht_latency_format(v, v & 1, big, sizeof(big));
    if (memchr(big, '\0', sizeof(big)) == NULL)
        abort();
    ht_latency_format(v, false, small, sizeof(small));
    if (memchr(small, '\0', sizeof(small)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    const char *why = NULL;
    int64_t ms = -1;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (ht_duration_parse(s, &ms, &why) == 0) {
        if (ms < 0 || ms > YEAR_MS || why != NULL)
            abort();
        check_format(ms);
    } else if (why == NULL || why[0] == '\0') {
        abort();
    }
    /* The raw bytes as a number too: formatters take any int64_t. */
    if (size >= sizeof(int64_t)) {
        int64_t v;
        memcpy(&v, data, sizeof(v));
        check_format(v);
    }
    free(s);
    return 0;
}
