/* URLs and network addresses (url.h): libcurl's URL API does the
 * parsing; this file finds the credentials, checks the host and port
 * with plain messages, and %-decodes user and password. */
#include "healthtop/url.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool host_char(int c)
{
    return isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* The host of [s, s+n) in brackets: "[v6addr]". Sets *hs, *hl and *rest
 * (what follows the ']'), or *why. */
static int bracketed_host(const char *s, size_t n, const char **hs, size_t *hl, const char **rest,
                          const char **why)
{
    const char *close = memchr(s, ']', n);

    if (close == NULL || close == s + 1) {
        *why = "an IPv6 address goes in brackets: [::1]:5000";
        return -1;
    }
    for (const char *p = s + 1; p < close; p++)
        if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
            *why = "bad character in an IPv6 address";
            return -1;
        }
    *hs = s + 1;
    *hl = (size_t)(close - s - 1);
    *rest = close + 1;
    return 0;
}

/* A host name or IPv4 address at the start of [s, s+n), up to a ':'. */
static int plain_host(const char *s, size_t n, const char **hs, size_t *hl, const char **rest,
                      const char **why)
{
    const char *end = s + n, *colon = memchr(s, ':', n);

    if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
        *why = "an IPv6 address goes in brackets: [::1]:5000";
        return -1;
    }
    if (colon == NULL)
        colon = end;
    if (colon == s) {
        *why = "no host: write host:port";
        return -1;
    }
    for (const char *c = s; c < colon; c++)
        if (!host_char((unsigned char)*c)) {
            *why = "bad character in the host name";
            return -1;
        }
    *hs = s;
    *hl = (size_t)(colon - s);
    *rest = colon;
    return 0;
}

/* ":port" in [p, end): 1..65535, or nothing when port_opt. */
static int port_part(const char *p, const char *end, bool port_opt, int *port, const char **why)
{
    long v = 0;

    *port = 0;
    if (p == end) {
        *why = "missing port: write host:port";
        return port_opt ? 0 : -1;
    }
    if (*p != ':' || p + 1 == end || !isdigit((unsigned char)p[1])) {
        *why = "the port must be a number: host:port";
        return -1;
    }
    for (p++; p < end && isdigit((unsigned char)*p) && v <= 65535; p++)
        v = v * 10 + (*p - '0');
    if (p != end || v < 1 || v > 65535) {
        *why = "the port must be a number from 1 to 65535";
        return -1;
    }
    *port = (int)v;
    return 0;
}

/* "host:port" or "[v6]:port" in [s, s+n): the host as the span [*hs,
 * *hs + *hl), and the port (0 when left out, which port_opt allows). */
static int hostport_span(const char *s, size_t n, bool port_opt, const char **hs, size_t *hl,
                         int *port, const char **why)
{
    const char *rest;
    int rc = n > 0 && s[0] == '[' ? bracketed_host(s, n, hs, hl, &rest, why)
                                  : plain_host(s, n, hs, hl, &rest, why);

    if (rc != 0)
        return -1;
    if (*hl > URL_HOST_MAX) {
        *why = "the host name is longer than 255 bytes";
        return -1;
    }
    return port_part(rest, s + n, port_opt, port, why);
}

int url_hostport(const char *s, bool port_opt, char *host, size_t hn, int *port, const char **why)
{
    const char *hs;
    size_t hl;

    if (hostport_span(s, strlen(s), port_opt, &hs, &hl, port, why) != 0)
        return -1;
    if (hl >= hn) {
        *why = "the host name is too long";
        return -1;
    }
    memcpy(host, hs, hl);
    host[hl] = '\0';
    return 0;
}

char *url_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = ht_hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = ht_hexval((unsigned char)s[i + 2])) >= 0 && hi * 16 + lo != 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

bool url_has_scheme(const char *s, const char *scheme)
{
    size_t n = strlen(scheme);

    return strncasecmp(s, scheme, n) == 0 && strncmp(s + n, "://", 3) == 0;
}

/* What follows "scheme://", or s itself when it has no "://". */
static const char *authority(const char *s)
{
    const char *sep = strstr(s, "://");

    return sep ? sep + 3 : s;
}

bool url_userinfo(const char *s, bool to_last_at, const char **start, size_t *len)
{
    const char *auth = authority(s);
    const char *end = to_last_at ? auth + strlen(auth) : auth + strcspn(auth, "/?#");
    const char *at = NULL;

    for (const char *c = auth; c < end; c++)
        if (*c == '@')
            at = c;
    if (at == NULL)
        return false;
    *start = auth;
    *len = (size_t)(at - auth);
    return true;
}

void url_userinfo_password(const char *ui, size_t len, const char **pw, size_t *pwlen)
{
    const char *colon = memchr(ui, ':', len);

    *pw = colon ? colon + 1 : NULL;
    *pwlen = colon ? len - (size_t)(colon - ui) - 1 : 0;
}

/* A scheme is a letter, then letters, digits, '+', '-' or '.'. */
static bool scheme_ok(const char *s, const char *end)
{
    if (s == end || !isalpha((unsigned char)*s))
        return false;
    for (; s < end; s++)
        if (!isalnum((unsigned char)*s) && *s != '+' && *s != '-' && *s != '.')
            return false;
    return true;
}

/* s with the bytes of its userinfo [ui, ui+n) that CURLU would refuse
 * (a raw '@', a space...) %-encoded, so that the userinfo reaches it
 * whole. ';' is encoded too: for some schemes libcurl reads it as the
 * start of login options. Decoding gives back what was written. */
static char *encode_userinfo(const char *s, const char *ui, size_t n)
{
    static const char keep[] = "-._~!$&'()*+,=:%";
    static const char hex[] = "0123456789ABCDEF";
    size_t head = (size_t)(ui - s), tail = strlen(ui + n);
    char *out = xmalloc(head + 3 * n + tail + 1), *o = out;

    memcpy(o, s, head);
    o += head;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ui[i];
        if (isalnum(c) || (c != '\0' && strchr(keep, c) != NULL)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    memcpy(o, ui + n, tail + 1);
    return out;
}

/* Copies part p of h into *out (NULL when the URL has none). */
static int get_part(CURLU *h, CURLUPart p, char **out, const char **why)
{
    char *v = NULL;
    CURLUcode uc = curl_url_get(h, p, &v, 0);

    *out = NULL;
    if (uc == CURLUE_OK) {
        *out = xstrdup(v);
        curl_free(v);
        return 0;
    }
    if (uc == CURLUE_NO_USER || uc == CURLUE_NO_PASSWORD || uc == CURLUE_NO_PORT ||
        uc == CURLUE_NO_QUERY || uc == CURLUE_NO_FRAGMENT)
        return 0;
    *why = curl_url_strerror(uc);
    return -1;
}

/* Fills u from the parsed h; user and password are %-decoded here, with
 * url_decode's rules (CURLU's own decoding refuses a %00 escape). */
static int take_parts(CURLU *h, struct url *u, const char **why)
{
    char *port = NULL, *user = NULL, *pw = NULL, *host = NULL;
    int rc = -1;

    if (get_part(h, CURLUPART_SCHEME, &u->scheme, why) != 0 ||
        get_part(h, CURLUPART_HOST, &host, why) != 0 ||
        get_part(h, CURLUPART_PORT, &port, why) != 0 ||
        get_part(h, CURLUPART_PATH, &u->path, why) != 0 ||
        get_part(h, CURLUPART_QUERY, &u->query, why) != 0 ||
        get_part(h, CURLUPART_FRAGMENT, &u->fragment, why) != 0 ||
        get_part(h, CURLUPART_USER, &user, why) != 0 ||
        get_part(h, CURLUPART_PASSWORD, &pw, why) != 0)
        goto out;
    if (u->scheme == NULL || host == NULL) {
        *why = "no scheme or no host";
        goto out;
    }
    for (char *c = u->scheme; *c != '\0'; c++)
        *c = (char)tolower((unsigned char)*c);
    if (host[0] == '[') {
        size_t n = strlen(host);
        u->host = xstrndup(host + 1, n >= 2 ? n - 2 : 0);
    } else {
        u->host = xstrdup(host);
    }
    u->port = port ? (int)strtol(port, NULL, 10) : 0; /* CURLU checked it: digits, 0..65535 */
    if (user != NULL && user[0] != '\0')
        u->user = url_decode(user, strlen(user));
    if (pw != NULL)
        u->password = url_decode(pw, strlen(pw));
    rc = 0;
out:
    free(host);
    free(port);
    free(user);
    free(pw);
    return rc;
}

/* The checks of url_parse that come before CURLU: its length, its
 * scheme, and its host and port, with the messages of url_hostport. */
static int precheck(const char *s, const char **why)
{
    const char *sep = strstr(s, "://"), *ui, *hp, *aend;
    const char *hs;
    size_t uilen, hl;
    int port;

    if (strlen(s) > URL_MAX_LEN) {
        *why = "the URL is longer than 64 KiB";
        return -1;
    }
    if (sep == NULL || !scheme_ok(s, sep)) {
        *why = "a URL starts with its scheme: scheme://host";
        return -1;
    }
    hp = url_userinfo(s, false, &ui, &uilen) ? ui + uilen + 1 : sep + 3;
    aend = hp + strcspn(hp, "/?#");
    if (hostport_span(hp, (size_t)(aend - hp), true, &hs, &hl, &port, why) != 0)
        return -1;
    for (const char *c = hp; *c != '\0'; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            *why = "spaces and control characters must be %-encoded";
            return -1;
        }
    return 0;
}

int url_parse(const char *s, int flags, struct url *u, const char **why)
{
    const char *ui;
    size_t uilen;
    char *text;
    CURLU *h;
    CURLUcode uc;
    int rc = -1;

    memset(u, 0, sizeof(*u));
    if (precheck(s, why) != 0)
        return -1;
    if (!(flags & URL_RAW_USERINFO) && url_userinfo(s, false, &ui, &uilen))
        text = encode_userinfo(s, ui, uilen);
    else
        text = xstrdup(s);
    h = curl_url();
    if (h == NULL) {
        *why = "out of memory";
    } else if ((uc = curl_url_set(h, CURLUPART_URL, text,
                                  CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS)) != CURLUE_OK) {
        *why = curl_url_strerror(uc);
    } else {
        rc = take_parts(h, u, why);
    }
    curl_url_cleanup(h);
    free(text);
    if (rc != 0)
        url_free(u);
    return rc;
}

void url_free(struct url *u)
{
    free(u->scheme);
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->path);
    free(u->query);
    free(u->fragment);
    memset(u, 0, sizeof(*u));
}
