/* libFuzzer target: the prometheus kind's answer mapping (prom_map in
 * prometheus_map.c) and its condition parser.
 *
 * The first byte picks the condition and whether an empty result counts
 * as scaled to zero; the rest is the body of a /api/v1/query answer,
 * mapped for a few replica counts. Beyond "no crash": up never exceeds
 * found, ok means every series found is up and at least replicas are (or
 * an empty result with empty: scaled_to_zero), every result has a
 * message, and the texts stay NUL-terminated with no ESC byte in them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "probes/prometheus.h"

static const char *const conds[] = {"", "< 0.5", ">= 1", "!= 0", "== 1", "> -Inf", "<= +Inf", "1"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct prometheus_config c;
    const char *why;

    if (size == 0)
        return 0;
    memset(&c, 0, sizeof(c));
    c.replicas_by = (char *)((data[0] & 0x10) ? "name" : "instance");
    c.empty_scaled = (data[0] & 0x08) != 0;
    c.cond.op = PROM_NONZERO;
    if ((data[0] & 7) != 0 && prom_cond_parse(conds[data[0] & 7], &c.cond, &why) != 0)
        abort();
    for (int replicas = 0; replicas <= 2; replicas++) {
        struct probe_result r;
        memset(&r, 0x55, sizeof(r));
        prom_map((const char *)data + 1, size - 1, 200, &c, replicas, &r);
        if (r.up < 0 || r.up > r.found)
            abort();
        if (r.found == 0 ? (r.ok && !c.empty_scaled)
                         : r.ok != (r.up == r.found && r.up >= replicas))
            abort();
        if (r.message[0] == '\0' || !memchr(r.message, 0, sizeof(r.message)) ||
            !memchr(r.detail, 0, sizeof(r.detail)))
            abort();
        if (strchr(r.message, 0x1b) || strchr(r.detail, 0x1b))
            abort();
    }
    return 0;
}
