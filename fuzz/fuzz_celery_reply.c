/* libFuzzer target: the celery reply decoder (celery_reply_decode) and its
 * base64.
 *
 * The first byte picks the mode: even, the rest is a reply envelope as a
 * worker LPUSHes it, checked against ticket TICKET; odd, the rest is the
 * decoded body, wrapped in a well-formed envelope with the right ticket so
 * that the fuzzer reaches the body parser at once. Beyond "no crash": a
 * pong names a worker in fewer than CELERY_NAME_MAX bytes, and base64
 * encoding then decoding gives the input back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "probes/celery_wire.h"

#define TICKET "6fd91391-5c1e-4e34-abc7-fa983396d0fd"

static void check(const char *data, size_t len)
{
    char name[CELERY_NAME_MAX];
    enum celery_reply r = celery_reply_decode(data, len, TICKET, name, sizeof(name));

    if (r == CELERY_REPLY_PONG && (name[0] == '\0' || strlen(name) >= sizeof(name)))
        abort();
    if (r != CELERY_REPLY_PONG && name[0] != '\0')
        abort();
    if (celery_reply_str(r)[0] == '?')
        abort();
}

static void roundtrip(const uint8_t *data, size_t len)
{
    struct buf enc, dec;

    buf_init(&enc, 4 * len + 8);
    buf_init(&dec, len + 8);
    if (celery_b64_encode(data, len, &enc) != 0 ||
        celery_b64_decode(enc.data ? enc.data : "", enc.len, &dec) != 0 || dec.len != len ||
        (len && memcmp(dec.data, data, len) != 0))
        abort();
    buf_reset(&dec);
    (void)!celery_b64_decode((const char *)data, len, &dec);
    buf_free(&enc);
    buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf b64, env;

    if (size == 0)
        return 0;
    roundtrip(data + 1, size - 1);
    if ((data[0] & 1) == 0) {
        check((const char *)data + 1, size - 1);
        return 0;
    }
    buf_init(&b64, 4 * size + 8);
    buf_init(&env, 4 * size + 512);
    if (celery_b64_encode(data + 1, size - 1, &b64) == 0 &&
        buf_printf(&env,
                   "{\"body\": \"%s\", \"headers\": {\"ticket\": \"" TICKET "\"}, "
                   "\"properties\": {\"body_encoding\": \"base64\"}}",
                   b64.data ? b64.data : "") == 0)
        check(env.data, env.len);
    buf_free(&b64);
    buf_free(&env);
    return 0;
}
