/* libFuzzer target: the checks the http probe applies to an answer
 * (src/probes/http_check.c): accepted status codes, the body substring,
 * the JSON field checks (jansson on whatever the server sent), and the
 * two formatters of its messages.
 *
 * Input: three lines, then the body (any bytes, NULs included):
 *   line 1  the body: substring, empty for none
 *   line 2  JSON checks, "path=value;path=value" (dotted paths)
 *   line 3  accepted statuses, "200,204"; empty for any 2xx
 * Beyond "no crash": the message always fits its buffer, however small,
 * and says something on failure; the substring check agrees with a plain
 * search; statuses are accepted exactly as configured; escaped text holds
 * no control or non-ASCII byte. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probes/http_check.h"
#include "healthtop/text.h"

#define MAX_FIELD 256
#define MAX_KV    8

struct fz {
    char needle[MAX_FIELD + 1];
    char json[MAX_FIELD + 1];
    char statuses[MAX_FIELD + 1];
    struct config_kv kv[MAX_KV];
    int status[MAX_KV];
};

/* Copies the next line (up to MAX_FIELD bytes) of [*p, end) into out. */
static void take_line(const uint8_t **p, const uint8_t *end, char *out)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

    if (n > MAX_FIELD)
        n = MAX_FIELD;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = nl ? nl + 1 : end;
}

static void setup(struct fz *f, struct http_config *h)
{
    char *save = NULL;

    memset(h, 0, sizeof(*h));
    if (f->needle[0] != '\0')
        h->body = f->needle;
    for (char *tok = strtok_r(f->json, ";", &save); tok && h->njson < MAX_KV;
         tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        f->kv[h->njson].key = tok;
        f->kv[h->njson].value = eq + 1;
        h->njson++;
    }
    h->json = f->kv;
    save = NULL;
    for (char *tok = strtok_r(f->statuses, ",", &save); tok && h->nstatus < MAX_KV;
         tok = strtok_r(NULL, ",", &save))
        f->status[h->nstatus++] = (int)strtol(tok, NULL, 10);
    h->status = f->status;
}

static int fits(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

/* A plain search, to compare with (memmem is a GNU extension). */
static int contains(const char *hay, size_t len, const char *needle, size_t nl)
{
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(hay + i, needle, nl) == 0)
            return 1;
    return 0;
}

static void check_status(const struct http_config *h, long st)
{
    int want = 0;

    if (h->nstatus == 0)
        want = st >= 200 && st <= 299;
    for (size_t i = 0; i < h->nstatus; i++)
        want |= h->status[i] == st;
    if (http_check_status(h, st) != (want != 0))
        abort();
}

static void check_body(const struct http_config *h, const char *body, size_t len)
{
    static const size_t caps[] = {1, 2, 9, 64, 160};
    char msg[160];

    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        int rc;
        memset(msg, 'Z', sizeof(msg));
        rc = http_check_body(h, body, len, msg, caps[i]);
        /* msg is only written on failure. */
        if ((rc != 0 && rc != -1) ||
            (rc == -1 && (!fits(msg, caps[i]) || (caps[i] > 1 && !msg[0]))))
            abort();
        if (h->njson == 0) {
            size_t nl = h->body ? strlen(h->body) : 0;
            int found = nl == 0 || contains(body, len, h->body, nl);
            if ((rc == 0) != found)
                abort();
        }
    }
}

static void check_format(const char *body, size_t len)
{
    static const size_t caps[] = {1, 3, 7, 64, 512};
    char out[512];
    uint64_t v = 0;

    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        /* text_safe: what comes out fits, is valid UTF-8 (jansson
         * accepts it) and holds no control character. */
        text_safe(out, caps[i], body, len);
        if (!fits(out, caps[i]))
            abort();
        for (const char *c = out; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                abort();
        json_t *j = json_string(out);
        if (j == NULL)
            abort();
        json_decref(j);
    }
    memcpy(&v, body, len < sizeof(v) ? len : sizeof(v));
    http_size_format(v, out, 12);
    if (!fits(out, 12))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    struct fz f;
    struct http_config h;
    const char *body;
    size_t len;

    take_line(&p, end, f.needle);
    take_line(&p, end, f.json);
    take_line(&p, end, f.statuses);
    setup(&f, &h);
    /* The body in a buffer of its own size, so ASan sees any overread. */
    len = (size_t)(end - p);
    body = len ? memcpy(malloc(len), p, len) : "";
    check_status(&h, 200);
    check_status(&h, len > 1 ? (long)(body[0] & 0x7f) * 5 + 100 : 503);
    if (h.nstatus > 0)
        check_status(&h, h.status[0]);
    check_body(&h, body, len);
    check_format(body, len);
    if (len)
        free((void *)body);
    return 0;
}
