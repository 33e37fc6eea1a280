/* libFuzzer target: the prometheus kind's answer mappings (prom_map in
 * prometheus_map.c, prom_map_rows in prometheus_rows.c with its one-pass
 * reader prom_scan) and its condition parser.
 *
 * The first byte picks the condition and whether an empty result counts
 * as scaled to zero; the rest is the body of a /api/v1/query answer,
 * mapped for a few replica counts. Beyond "no crash": up never exceeds
 * found, ok means every series found is up and at least replicas are (or
 * an empty result with empty: scaled_to_zero; with instances: listed,
 * ok only when every series is up and there is one), every result has a
 * message, and the texts stay NUL-terminated with no ESC byte in them.
 * Made into rows: names strictly sorted (unique), at most max_rows, each
 * row with 1 to its series' count found and no more up than found, no
 * ESC byte in any text; and where both prom_scan and jansson read the
 * body as a success with a vector, they count the same series (prom_scan
 * may accept more: it skips numbers and literals loosely and keeps bytes
 * that are not UTF-8 for text_safe to escape). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "probes/prometheus.h"

/* Where jansson reads body as a success with a vector: its series count;
 * else -1. */
static long jansson_count(const char *body, size_t len)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, 0, &e), *data = json_object_get(root, "data");
    const char *status = json_string_value(json_object_get(root, "status"));
    const char *type = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result");
    long n = -1;

    if (status && strcmp(status, "success") == 0 && type && strcmp(type, "vector") == 0 &&
        json_is_array(result))
        n = (long)json_array_size(result);
    json_decref(root);
    return n;
}

static void check_rows(const char *body, size_t len, struct prometheus_config *c)
{
    static struct prom_room *room; /* kept across inputs, as the kind keeps it */
    struct probe_result r;
    struct probe_rows rows = {0};
    struct prom_scan sc = {0};
    long found = 0;

    c->rows_by = (char *)"service";
    c->group_by = (char *)"group";
    c->max_rows = 8;
    if (room == NULL)
        room = prom_room_new();
    memset(&r, 0x55, sizeof(r));
    prom_map_rows(body, len, 200, c, &r, &rows, room);
    if (rows.n > c->max_rows || (!rows.answered && rows.n != 0) || r.message[0] == '\0' ||
        strchr(r.message, 0x1b) || strchr(r.detail, 0x1b))
        abort();
    for (size_t i = 0; i < rows.n; i++) {
        const struct probe_row *w = &rows.v[i];
        if ((i > 0 && strcmp(rows.v[i - 1].key, w->key) >= 0) || w->result.found < 1 ||
            w->result.up < 0 || w->result.up > w->result.found || strchr(w->key, 0x1b) ||
            (w->group && strchr(w->group, 0x1b)) || strchr(w->result.message, 0x1b) ||
            strchr(w->result.detail, 0x1b) ||
            !memchr(w->result.detail, 0, sizeof(w->result.detail)))
            abort();
        found += w->result.found;
    }
    probe_rows_free(&rows);
    if (prom_scan(body, len, c, &sc) == 0) {
        long jn = jansson_count(body, len);
        if ((size_t)found > sc.n || (jn >= 0 && (size_t)jn != sc.n))
            abort();
    }
    prom_scan_free(&sc);
    c->rows_by = NULL;
}

static const char *const conds[] = {"", "< 0.5", ">= 1", "!= 0", "== 1", "> -Inf", "<= +Inf", "1"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *listed[] = {(char *)"a", (char *)"h1:9100", (char *)"evil\x1b[2J"};
    struct prometheus_config c;
    const char *why;

    if (size == 0)
        return 0;
    memset(&c, 0, sizeof(c));
    c.replicas_by = (char *)((data[0] & 0x10) ? "name" : "instance");
    c.empty_scaled = (data[0] & 0x08) != 0;
    c.cond.op = PROM_NONZERO;
    if (data[0] & 0x20) { /* instances: names expected, one hostile */
        c.instances = listed;
        c.ninstances = HT_ARRAY_LEN(listed);
    }
    if ((data[0] & 7) != 0 && prom_cond_parse(conds[data[0] & 7], &c.cond, &why) != 0)
        abort();
    for (int replicas = 0; replicas <= 2; replicas++) {
        struct probe_result r;
        memset(&r, 0x55, sizeof(r));
        prom_map((const char *)data + 1, size - 1, 200, &c, replicas, &r);
        if (r.up < 0 || r.up > r.found)
            abort();
        if (c.instances != NULL ? r.ok && (r.up != r.found || r.found < 1)
            : r.found == 0      ? (r.ok && !c.empty_scaled)
                                : r.ok != (r.up == r.found && r.up >= replicas))
            abort();
        if (r.message[0] == '\0' || !memchr(r.message, 0, sizeof(r.message)) ||
            !memchr(r.detail, 0, sizeof(r.detail)))
            abort();
        if (strchr(r.message, 0x1b) || strchr(r.detail, 0x1b))
            abort();
    }
    c.instances = NULL;
    c.ninstances = 0;
    check_rows((const char *)data + 1, size - 1, &c);
    return 0;
}
