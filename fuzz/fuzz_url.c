/* libFuzzer target: the URL and address parsers: url_parse (url.h, on
 * CURLU), redis_target_parse (redis:// URLs of the redis and celery
 * probes, on url_parse), url_hostport ("host:port", "[v6]:port") and
 * secret_redact_url.
 *
 * The first byte picks the parser (0 Redis URL, 1 host:port, 2
 * redaction, 3 all of Redis URL, redaction and url_parse, whose flags
 * come from the first byte's higher bits), the rest is the text. Beyond "no
 * crash": a parsed URL has a lower-case scheme, a host of host-name or
 * IPv6 characters, a port in 0..65535 and a path; a parsed Redis URL has
 * a host and a port in 1..65535; its password, once registered by
 * config_url_secret, never survives secret_scrub of the URL; a redacted
 * URL hides everything before the last '@' after the scheme. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthtop/config.h"
#include "config_probe.h"
#include "healthtop/secret.h"
#include "healthtop/url.h"

static void fuzz_parse(const char *s, int flags)
{
    struct url u;
    const char *why = NULL;

    if (url_parse(s, flags, &u, &why) != 0) {
        if (why == NULL || u.host != NULL || u.scheme != NULL)
            abort();
        return;
    }
    if (u.scheme == NULL || u.host == NULL || u.host[0] == '\0' || u.path == NULL || u.port < 0 ||
        u.port > 65535 || (u.user != NULL && u.user[0] == '\0'))
        abort();
    for (const char *c = u.scheme; *c != '\0'; c++)
        if (*c >= 'A' && *c <= 'Z')
            abort();
    for (const char *c = u.host; *c != '\0'; c++)
        if (strchr("@/?#[] ", *c) != NULL)
            abort();
    url_free(&u);
}

static void fuzz_redis(const char *s)
{
    struct redis_target t;
    const char *why;
    char shown[1024];

    secret_clear();
    config_url_secret(s);
    if (redis_target_parse(s, &t, &why) != 0) {
        if (why == NULL)
            abort();
        return;
    }
    if (t.host == NULL || t.host[0] == '\0' || t.port < 1 || t.port > 65535 || t.db < 0)
        abort();
    ht_strlcpy(shown, s, sizeof(shown));
    secret_scrub(shown, sizeof(shown));
    /* A password made of mask characters may legitimately still "appear". */
    if (t.password != NULL && strlen(t.password) >= 3 && strchr(t.password, '*') == NULL &&
        strlen(s) < sizeof(shown) && strstr(shown, t.password) != NULL)
        abort();
    redis_target_free(&t);
}

static void fuzz_hostport(const char *s, int opt)
{
    char host[256];
    const char *why = NULL;
    int port = -1;

    if (url_hostport(s, opt & 1, host, sizeof(host), &port, &why) == 0) {
        if (port < 0 || port > 65535 || (port == 0 && !(opt & 1)) || host[0] == '\0')
            abort();
    } else if (why == NULL) {
        abort();
    }
}

/* Everything after the scheme up to the last '@' anywhere is taken as
 * credentials (a password may hold '/', '#' or '?', which end what a URL
 * parser takes as the authority), so all of it must become the mask: the
 * redacted URL is exactly scheme:// *** @ rest. */
static void fuzz_redact(const char *s, bool with_secrets)
{
    char out[300], want[300];
    const char *scheme = strstr(s, "://"), *auth, *at = NULL;
    size_t alen;

    secret_redact_url(s, out, sizeof(out));
    if (memchr(out, '\0', sizeof(out)) == NULL)
        abort();
    if (scheme == NULL || with_secrets || strlen(s) >= sizeof(out) - 8)
        return;
    auth = scheme + 3;
    alen = strlen(auth);
    for (const char *c = auth; c < auth + alen; c++)
        if (*c == '@')
            at = c;
    if (at == NULL)
        return;
    ht_snprintf(want, sizeof(want), "%.*s%s@%s", (int)(auth - s), s, SECRET_MASK, at + 1);
    if (strcmp(out, want) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size < 1)
        return 0;
    s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 4) {
    case 0:
        fuzz_redis(s);
        break;
    case 1:
        fuzz_hostport(s, data[0] >> 2);
        break;
    case 2:
        fuzz_redact(s, false);
        break;
    default:
        fuzz_redis(s);
        fuzz_redact(s, true);
        fuzz_parse(s, (data[0] >> 2) & URL_RAW_USERINFO);
        break;
    }
    secret_clear();
    free(s);
    return 0;
}
