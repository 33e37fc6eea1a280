/* Secrets: a process-wide list of strings never to print. */
#include "healthtop/secret.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "healthtop/url.h"
#include "healthtop/util.h"

static char **secrets;
static size_t nsecrets;

static void add_one(const char *s)
{
    if (s == NULL || strlen(s) < 3)
        return;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], s) == 0)
            return;
    secrets = xrealloc(secrets, (nsecrets + 1) * sizeof(*secrets));
    secrets[nsecrets++] = xstrdup(s);
}

/* Base64 of s[0..len) without its '=' padding (the padding carries
 * nothing of the secret); url selects the URL-safe alphabet. */
static char *base64(const char *s, size_t len, bool url)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = (const unsigned char *)s;
    char *out = xmalloc(len / 3 * 4 + 5), *o = out;

    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t k = len - i < 3 ? len - i : 3;
        if (k > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (k > 2)
            v |= in[i + 2];
        for (size_t j = 0; j <= k; j++) {
            char c = std[(v >> (18 - 6 * j)) & 63];
            *o++ = url && c == '+' ? '-' : url && c == '/' ? '_' : c;
        }
    }
    *o = '\0';
    return out;
}

char *secret_base64(const char *s, size_t len)
{
    return base64(s, len, false);
}

/* s as %-encoding writes it: every byte but the unreserved ones as %XX. */
static char *percent(const char *s, const char *hex)
{
    char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("-._~", *c) != NULL) {
            *o++ = (char)*c;
            continue;
        }
        *o++ = '%';
        *o++ = hex[*c >> 4];
        *o++ = hex[*c & 15];
    }
    *o = '\0';
    return out;
}

/* The next code point of valid UTF-8 at *c, or -1 (and one byte). */
static long utf8_next(const unsigned char **c)
{
    const unsigned char *p = *c;
    int n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : p[0] >= 0xc0 ? 1 : 0;
    long cp = n == 0 ? p[0] : p[0] & (0x3f >> n);

    if (p[0] >= 0x80 && n == 0) {
        (*c)++;
        return -1;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            (*c)++;
            return -1;
        }
        cp = cp << 6 | (p[i] & 0x3f);
    }
    *c += n + 1;
    return cp;
}

/* s as a JSON encoder writes it with every non-ASCII character escaped
 * (\u00e4, surrogate pairs above U+FFFF), in lower or upper case hex. */
static char *json_ascii(const char *s, const char *fmt)
{
    char *out = xmalloc(strlen(s) * 12 + 1), *o = out;
    const unsigned char *c = (const unsigned char *)s;

    while (*c) {
        long cp = utf8_next(&c);
        if (cp < 0)
            continue; /* invalid UTF-8 has no JSON form */
        if (cp == '"' || cp == '\\') {
            *o++ = '\\';
            *o++ = (char)cp;
        } else if (cp >= 0x20 && cp < 0x7f) {
            *o++ = (char)cp;
        } else if (cp < 0x10000) {
            o += sprintf(o, fmt, (unsigned)cp);
        } else {
            cp -= 0x10000;
            o += sprintf(o, fmt, (unsigned)(0xd800 + (cp >> 10)));
            o += sprintf(o, fmt, (unsigned)(0xdc00 + (cp & 0x3ff)));
        }
    }
    *o = '\0';
    return out;
}

static void add_owned(char *s)
{
    add_one(s);
    free(s);
}

/* What a server echoing a secret may send instead of its bytes: base64
 * (an Authorization header, a token encoded once more), %-encoding (a
 * URL, a form) and JSON's \u escapes (a body echoing a header). */
void secret_add(const char *s)
{
    if (s == NULL || strlen(s) < 3)
        return;
    add_one(s);
    add_owned(base64(s, strlen(s), false));
    add_owned(base64(s, strlen(s), true));
    add_owned(percent(s, "0123456789ABCDEF"));
    add_owned(percent(s, "0123456789abcdef"));
    add_owned(json_ascii(s, "\\u%04x"));
    add_owned(json_ascii(s, "\\u%04X"));
}

void secret_add_basic(const char *user, const char *password)
{
    char *pair;

    if (password == NULL || strlen(password) < 3)
        return;
    pair = xmalloc(strlen(user ? user : "") + strlen(password) + 2);
    sprintf(pair, "%s:%s", user ? user : "", password);
    add_owned(base64(pair, strlen(pair), false));
    free(pair);
}

/* The base64 text s decoded, or NULL when it is not base64. */
static char *unbase64(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    uint32_t acc = 0;
    int bits = 0;

    for (; *s && *s != '='; s++) {
        const char *at =
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *s);
        if (at == NULL) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)(at - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789+/");
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(acc >> bits & 0xff);
        }
    }
    *o = '\0';
    return out;
}

void secret_add_header(const char *value)
{
    const char *cred = strchr(value, ' ');
    char *plain, *colon;

    secret_add(value);
    if (cred == NULL)
        return;
    /* "Bearer <token>", "Basic <base64>": the credentials alone, as a
     * server may echo them; for Basic also the password they encode. */
    cred += strspn(cred, " ");
    secret_add(cred);
    if (strncasecmp(value, "Basic ", 6) != 0 || (plain = unbase64(cred)) == NULL)
        return;
    colon = strchr(plain, ':');
    if (colon != NULL)
        secret_add(colon + 1);
    free(plain);
}

size_t secret_cut(const char *s, size_t len, size_t cut)
{
    bool moved = true;

    if (cut >= len)
        return len;
    /* A cut may only move back (to before a secret that runs on past
     * what is known) or forward (past a whole one it splits): repeat
     * until no secret spans it. */
    while (moved) {
        moved = false;
        for (size_t i = 0; i < nsecrets && !moved; i++) {
            size_t slen = strlen(secrets[i]);
            size_t from = cut >= slen ? cut - slen + 1 : 0;
            for (size_t at = from; at < cut && !moved; at++) {
                size_t have = len - at < slen ? len - at : slen;
                if (memcmp(s + at, secrets[i], have) != 0)
                    continue;
                cut = have == slen ? at + slen : at;
                moved = true;
            }
        }
    }
    return cut;
}

void secret_scrub(char *s, size_t cap)
{
    size_t mlen = strlen(SECRET_MASK);

    for (size_t i = 0; i < nsecrets; i++) {
        size_t slen = strlen(secrets[i]);
        char *at = s;
        while ((at = strstr(at, secrets[i])) != NULL) {
            size_t tail = strlen(at + slen);
            size_t pos = (size_t)(at - s);
            /* The mask is never longer than a secret (secrets are >= 3
             * bytes), so the string only shrinks and cap is respected. */
            memmove(at + mlen, at + slen, tail + 1);
            memcpy(at, SECRET_MASK, mlen);
            at = s + pos + mlen;
        }
    }
    (void)cap;
}

/* Everything after the scheme up to the LAST '@' is credentials: that is
 * how the config reads user:password (a password may hold a raw '@'), so
 * masking only up to the first '@' would show the rest of the password.
 * The last '@' anywhere (url_userinfo's to_last_at): a password holding
 * '/', '#' or '?' ends what a URL parser takes as the authority, and
 * would show whole in the very message that says the URL is wrong. A
 * path with an '@' is masked too: in a message, that is the safe side. */
void secret_redact_url(const char *url, char *out, size_t n)
{
    const char *ui;
    size_t len;

    if (url_userinfo(url, true, &ui, &len))
        ht_snprintf(out, n, "%.*s%s@%s", (int)(ui - url), url, SECRET_MASK, ui + len + 1);
    else
        ht_strlcpy(out, url, n);
    secret_scrub(out, n);
}

void secret_clear(void)
{
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    nsecrets = 0;
}

size_t secret_mask(char *s, size_t len)
{
    size_t mlen = strlen(SECRET_MASK);

    for (size_t i = 0; i < nsecrets; i++) {
        size_t slen = strlen(secrets[i]);
        char *at = s;
        while ((size_t)(at - s) + slen <= len &&
               (at = ht_memmem(at, len - (size_t)(at - s), secrets[i], slen)) != NULL) {
            size_t pos = (size_t)(at - s);
            /* Never longer than a secret (>= 3 bytes): len only shrinks. */
            memmove(at + mlen, at + slen, len - pos - slen);
            memcpy(at, SECRET_MASK, mlen);
            len -= slen - mlen;
            at = s + pos + mlen;
        }
    }
    s[len] = '\0';
    return len;
}
