/* kombu pidbox envelopes: building the ping request, decoding replies. */
#include "celery_wire.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void celery_uuid(char out[CELERY_UUID_LEN + 1])
{
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    size_t j = 0;

    /* Synchronous uv_random: getrandom(2), or /dev/urandom. */
    if (uv_random(NULL, NULL, b, sizeof(b), 0, NULL) != 0) {
        /* Only without any kernel entropy source: the ids must be
         * distinct, not secret, so rand() will do (hence the NOLINTs). */
        // NOLINTNEXTLINE(cert-msc30-c,cert-msc50-cpp)
        uint64_t t = (uint64_t)uv_hrtime() ^ (uint64_t)rand();
        for (size_t i = 0; i < sizeof(b); i++)
            // NOLINTNEXTLINE(cert-msc30-c,cert-msc50-cpp)
            b[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)rand();
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (size_t i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[j++] = '-';
        out[j++] = hex[b[i] >> 4];
        out[j++] = hex[b[i] & 15];
    }
    out[j] = '\0';
}

int celery_b64_encode(const void *in, size_t n, struct buf *out)
{
    const unsigned char *s = in;
    char q[4];

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        q[0] = b64_alphabet[(v >> 18) & 63];
        q[1] = b64_alphabet[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
        if (buf_append(out, q, 4) != 0)
            return -1;
    }
    return 0;
}

static int b64_value(char c)
{
    const char *at = c ? strchr(b64_alphabet, c) : NULL;
    return at ? (int)(at - b64_alphabet) : -1;
}

int celery_b64_decode(const char *in, size_t n, struct buf *out)
{
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int pad = (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=');
        unsigned char o[3];
        uint32_t v = 0;

        if (pad && !last)
            return -1;
        for (int k = 0; k < 4 - pad; k++) {
            int d = b64_value(in[i + (size_t)k]);
            if (d < 0)
                return -1;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
        if (buf_append(out, o, (size_t)(3 - pad)) != 0)
            return -1;
    }
    return 0;
}

/* The request body, as the celery CLI's `inspect ping` sends it. */
static char *request_body(const char *ticket, const char *reply_rk)
{
    json_t *b = json_pack("{s:s, s:{}, s:n, s:n, s:n, s:s, s:{s:s, s:s}}", "method", "ping",
                          "arguments", "destination", "pattern", "matcher", "ticket", ticket,
                          "reply_to", "exchange", "reply.celery.pidbox", "routing_key", reply_rk);
    char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;

    json_decref(b);
    return text;
}

int celery_envelope_build(const char *ticket, const char *reply_rk, const char *delivery_tag,
                          int64_t expires, struct buf *out)
{
    struct buf b64;
    char *body, *text = NULL;
    json_t *env = NULL;
    int rc = -1;

    buf_reset(out);
    if (ticket == NULL || reply_rk == NULL || delivery_tag == NULL || !delivery_tag[0])
        return -1;
    body = request_body(ticket, reply_rk);
    buf_init(&b64, 4096);
    if (body == NULL || celery_b64_encode(body, strlen(body), &b64) != 0)
        goto out;
    /* Every field below is required by real workers (doc/celery.md). */
    env = json_pack("{s:s, s:s, s:s, s:{s:i, s:I}, s:{s:i, s:{s:s, s:s}, s:i, s:s, s:s}}", "body",
                    b64.data, "content-encoding", "utf-8", "content-type", "application/json",
                    "headers", "clock", 1, "expires", (json_int_t)expires, "properties",
                    "delivery_mode", 2, "delivery_info", "exchange", "celery.pidbox", "routing_key",
                    "", "priority", 0, "body_encoding", "base64", "delivery_tag", delivery_tag);
    text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    if (text != NULL && buf_append(out, text, strlen(text)) == 0)
        rc = 0;
out:
    free(text);
    free(body);
    json_decref(env);
    buf_free(&b64);
    return rc;
}

/* The body of a reply, decoded as properties.body_encoding says. */
static json_t *reply_body(json_t *env, enum celery_reply *why)
{
    json_t *props = json_object_get(env, "properties");
    const char *enc = json_string_value(json_object_get(props, "body_encoding"));
    json_t *jb = json_object_get(env, "body");
    const char *body = json_string_value(jb);
    struct buf raw;
    json_t *out = NULL;

    *why = CELERY_REPLY_BAD_JSON;
    if (body == NULL)
        return NULL;
    buf_init(&raw, CELERY_REPLY_MAX);
    if (enc != NULL && strcmp(enc, "base64") == 0) {
        if (celery_b64_decode(body, json_string_length(jb), &raw) != 0) {
            *why = CELERY_REPLY_BAD_BASE64;
            buf_free(&raw);
            return NULL;
        }
        out = json_loadb(raw.data ? raw.data : "", raw.len, 0, NULL);
    } else {
        out = json_loadb(body, json_string_length(jb), 0, NULL);
    }
    buf_free(&raw);
    return out;
}

/* {"name@host": {"ok": "pong"}}: the first member that is a pong. */
static enum celery_reply body_pong(json_t *body, char *name, size_t namelen)
{
    const char *key;
    json_t *val;

    if (!json_is_object(body))
        return CELERY_REPLY_BAD_JSON;
    json_object_foreach(body, key, val)
    {
        const char *ok = json_string_value(json_object_get(val, "ok"));
        if (ok == NULL || strcmp(ok, "pong") != 0 || key[0] == '\0')
            continue;
        if (strlen(key) >= namelen)
            return CELERY_REPLY_NOT_PONG;
        ht_strlcpy(name, key, namelen);
        return CELERY_REPLY_PONG;
    }
    return CELERY_REPLY_NOT_PONG;
}

enum celery_reply celery_reply_decode(const char *data, size_t len, const char *ticket, char *name,
                                      size_t namelen)
{
    enum celery_reply r;

    if (namelen > 0)
        name[0] = '\0';
    if (len > CELERY_REPLY_MAX)
        return CELERY_REPLY_TOO_BIG;
    json_t *env = json_loadb(data, len, 0, NULL);
    if (!json_is_object(env)) {
        json_decref(env);
        return CELERY_REPLY_BAD_JSON;
    }
    const char *t = json_string_value(json_object_get(json_object_get(env, "headers"), "ticket"));
    if (t == NULL || ticket == NULL || strcmp(t, ticket) != 0) {
        json_decref(env);
        return CELERY_REPLY_WRONG_TICKET;
    }
    json_t *body = reply_body(env, &r);
    if (body != NULL)
        r = body_pong(body, name, namelen);
    json_decref(body);
    json_decref(env);
    return r;
}

const char *celery_reply_str(enum celery_reply r)
{
    switch (r) {
    case CELERY_REPLY_PONG:
        return "pong";
    case CELERY_REPLY_NOT_PONG:
        return "not a pong";
    case CELERY_REPLY_TOO_BIG:
        return "too big";
    case CELERY_REPLY_BAD_JSON:
        return "bad JSON";
    case CELERY_REPLY_BAD_BASE64:
        return "bad base64";
    case CELERY_REPLY_WRONG_TICKET:
        return "wrong ticket";
    }
    return "?";
}
