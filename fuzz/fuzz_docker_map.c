/* libFuzzer target: the Docker Engine API mapper (docker_map.h).
 *
 * The first byte picks the parser: even, the rest is a container listing
 * (GET /containers/json; with the second bit set, Podman's own listing,
 * GET /libpod/containers/json); odd, an inspect answer (GET
 * /containers/{id}/json) applied to a running container. Every parse is
 * then mapped to results for a few label filters. Beyond "no crash": up
 * never exceeds found, ok means up >= replicas and up > 0, every result
 * has a message, and the texts stay NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "probes/docker_map.h"

static void check_results(const struct docker_ctr *c, size_t n)
{
    static const struct docker_config filters[] = {
        {.service = NULL, .project = NULL},
        {.service = (char *)"web", .project = (char *)"e2i"},
        {.service = (char *)"sick", .project = NULL},
    };

    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        for (int replicas = 0; replicas <= 2; replicas++) {
            struct probe_result r;
            memset(&r, 0x55, sizeof(r));
            docker_map_result(c, n, &filters[i], replicas, &r);
            if (r.up > r.found || r.up < 0 || (size_t)r.found > n)
                abort();
            if (r.ok != (r.up > 0 && r.up >= replicas))
                abort();
            if (r.message[0] == '\0' || !memchr(r.message, 0, sizeof(r.message)) ||
                !memchr(r.detail, 0, sizeof(r.detail)))
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data + 1;
    struct docker_ctr *c = NULL, one;
    size_t n = 0;
    char why[160];

    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) {
        /* The second bit picks Podman's own listing. */
        if ((data[0] & 2 ? docker_map_list_libpod : docker_map_list)(json, size - 1, &c, &n, why,
                                                                     sizeof(why)) == 0)
            check_results(c, n);
        else if (why[0] == '\0' || c != NULL || n != 0)
            abort();
        for (size_t i = 0; i < n; i++)
            (void)docker_ctr_needs_inspect(&c[i]);
        free(c);
        return 0;
    }
    memset(&one, 0, sizeof(one));
    strcpy(one.name, "e2i-sick-1");
    strcpy(one.service, "sick");
    one.has_service = true;
    strcpy(one.state, "running");
    one.exit_code = -1;
    docker_map_inspect(json, size - 1, &one);
    if (!memchr(one.output, 0, sizeof(one.output)))
        abort();
    check_results(&one, 1);
    return 0;
}
