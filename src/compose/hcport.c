/* Reading the target port out of a healthcheck's command. */
#include "compose/hcport.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* One word of the test: a slice of hc->argv[arg], quotes stripped. */
struct word {
    size_t arg, off, len;
    const char *s; /* argv[arg] + off */
};

#define WORDS_MAX 64

/* The test's words: CMD's argv as it is; a CMD-SHELL string split at
 * blanks and at ;|&() (enough for "curl -f URL || exit 1"). */
static size_t split(const struct compose_healthcheck *hc, struct word *w)
{
    size_t n = 0;

    for (size_t a = 0; a < hc->argc && n < WORDS_MAX; a++) {
        const char *s = hc->argv[a];
        size_t i = 0, len = strlen(s);
        if (hc->kind == COMPOSE_TEST_CMD) {
            w[n++] = (struct word){a, 0, len, s};
            continue;
        }
        while (i < len && n < WORDS_MAX) {
            size_t start;
            while (i < len && (isspace((unsigned char)s[i]) || strchr(";|&()", s[i])))
                i++;
            start = i;
            while (i < len && !isspace((unsigned char)s[i]) && !strchr(";|&()", s[i]))
                i++;
            if (i > start)
                w[n++] = (struct word){a, start, i - start, s + start};
        }
    }
    /* Quotes around a word are not part of it. */
    for (size_t k = 0; k < n; k++)
        while (w[k].len >= 2 && (w[k].s[0] == '\'' || w[k].s[0] == '"') &&
               w[k].s[w[k].len - 1] == w[k].s[0]) {
            w[k].s++;
            w[k].off++;
            w[k].len -= 2;
        }
    return n;
}

static bool word_is(const struct word *w, const char *s)
{
    const char *base = w->s;
    size_t len = w->len;

    /* /usr/bin/curl is curl. */
    for (size_t i = 0; i < w->len; i++)
        if (w->s[i] == '/') {
            base = w->s + i + 1;
            len = w->len - i - 1;
        }
    return len == strlen(s) && memcmp(base, s, len) == 0;
}

static bool local_host(const char *h, size_t len)
{
    static const char *const locals[] = {"localhost", "127.0.0.1", "0.0.0.0", "::1",
                                         "[::1]",     "[::]",      "::"};

    if (len == 0)
        return true;
    for (size_t i = 0; i < HT_ARRAY_LEN(locals); i++)
        if (len == strlen(locals[i]) && memcmp(h, locals[i], len) == 0)
            return true;
    return false;
}

/* Digits at s[0..len): the port, or -1. */
static int digits(const char *s, size_t len)
{
    int v = 0;

    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > 0 && v <= 65535 ? v : -1;
}

static void found(struct hcport *o, const struct word *w, const char *at, size_t len, int port)
{
    o->port = port;
    o->written = at != NULL;
    o->arg = w->arg;
    o->off = at ? w->off + (size_t)(at - w->s) : 0;
    o->len = len;
    ht_snprintf(o->what, sizeof(o->what), "%.*s", (int)(w->len > 150 ? 150 : w->len), w->s);
}

/* host[:port] at s[0..len) (the authority of a URL, or a bare word):
 * 1 when it is this container (port set, or left at -1 when not
 * written), 0 when it is another host. */
static int authority(const char *s, size_t len, const char **pat, size_t *plen, int *port)
{
    const char *at = memchr(s, '@', len), *colon;
    size_t hlen;

    if (at != NULL) {
        len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return 0;
        hlen = (size_t)(close - s) + 1;
    } else {
        colon = memchr(s, ':', len);
        hlen = colon ? (size_t)(colon - s) : len;
    }
    if (!local_host(s, hlen))
        return 0;
    *port = -1;
    if (hlen < len && s[hlen] == ':') {
        *pat = s + hlen + 1;
        *plen = len - hlen - 1;
        *port = digits(*pat, *plen);
        if (*port < 0)
            return 0;
    }
    return 1;
}

static int scheme_port(const char *s, size_t len)
{
    static const struct {
        const char *scheme;
        int port;
    } schemes[] = {{"http", 80},     {"https", 443},     {"redis", 6379},
                   {"rediss", 6379}, {"postgres", 5432}, {"postgresql", 5432}};

    for (size_t i = 0; i < HT_ARRAY_LEN(schemes); i++)
        if (len == strlen(schemes[i].scheme) && memcmp(s, schemes[i].scheme, len) == 0)
            return schemes[i].port;
    return -1;
}

/* A URL, /dev/tcp/HOST/PORT, or a bare localhost:PORT[/path]. */
static int from_word(const struct word *w, struct hcport *o)
{
    const char *s = w->s, *sep = NULL, *pat = NULL;
    size_t len = w->len, plen = 0, alen;
    int port, def = -1;

    for (size_t i = 0; i + 3 <= len; i++)
        if (memcmp(s + i, "://", 3) == 0) {
            sep = s + i;
            break;
        }
    if (sep != NULL) {
        def = scheme_port(s, (size_t)(sep - s));
        s = sep + 3;
        len -= (size_t)(s - w->s);
    } else if (len > 9 && memcmp(s, "/dev/tcp/", 9) == 0) {
        const char *slash = memchr(s + 9, '/', len - 9);
        if (slash == NULL || !local_host(s + 9, (size_t)(slash - s - 9)))
            return -1;
        port = digits(slash + 1, len - (size_t)(slash + 1 - s));
        if (port < 0)
            return -1;
        found(o, w, slash + 1, len - (size_t)(slash + 1 - s), port);
        return 0;
    } else if (!(len > 10 && (memcmp(s, "localhost:", 10) == 0 ||
                              (len > 10 && memcmp(s, "127.0.0.1:", 10) == 0)))) {
        return -1;
    }
    for (alen = 0; alen < len && !strchr("/?#", s[alen]); alen++)
        ;
    if (authority(s, alen, &pat, &plen, &port) != 1)
        return -1;
    if (port < 0) {
        if (def < 0)
            return -1;
        found(o, w, NULL, 0, def);
        return 0;
    }
    found(o, w, pat, plen, port);
    return 0;
}

/* A tool with -p PORT / --port=PORT / -h HOST and a default port. */
static int from_tool(const struct word *w, size_t n, size_t i, int def, struct hcport *o)
{
    for (size_t k = i + 1; k < n; k++) {
        const struct word *a = &w[k];
        if (a->len == 2 && memcmp(a->s, "-h", 2) == 0 && k + 1 < n &&
            !local_host(w[k + 1].s, w[k + 1].len))
            return -1;
        if (a->len == 2 && memcmp(a->s, "-p", 2) == 0 && k + 1 < n &&
            digits(w[k + 1].s, w[k + 1].len) > 0) {
            found(o, &w[k + 1], w[k + 1].s, w[k + 1].len, digits(w[k + 1].s, w[k + 1].len));
            return 0;
        }
        if (a->len > 7 && memcmp(a->s, "--port=", 7) == 0 && digits(a->s + 7, a->len - 7) > 0) {
            found(o, a, a->s + 7, a->len - 7, digits(a->s + 7, a->len - 7));
            return 0;
        }
    }
    found(o, &w[i], NULL, 0, def);
    ht_snprintf(o->what, sizeof(o->what), "%.*s's default", (int)(w[i].len > 60 ? 60 : w[i].len),
                w[i].s);
    return 0;
}

/* nc -z HOST PORT (options skipped). */
static int from_nc(const struct word *w, size_t n, size_t i, struct hcport *o)
{
    const struct word *host = NULL;

    for (size_t k = i + 1; k < n; k++) {
        if (w[k].len > 0 && w[k].s[0] == '-')
            continue;
        if (host == NULL) {
            host = &w[k];
            continue;
        }
        if (!local_host(host->s, host->len) || digits(w[k].s, w[k].len) < 0)
            return -1;
        found(o, &w[k], w[k].s, w[k].len, digits(w[k].s, w[k].len));
        return 0;
    }
    return -1;
}

int hcport_find(const struct compose_healthcheck *hc, struct hcport *out)
{
    struct word w[WORDS_MAX];
    size_t n = split(hc, w);

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (from_word(&w[i], out) == 0)
            return 0;
        if (word_is(&w[i], "redis-cli"))
            return from_tool(w, n, i, 6379, out);
        if (word_is(&w[i], "pg_isready"))
            return from_tool(w, n, i, 5432, out);
        if (word_is(&w[i], "nc") || word_is(&w[i], "ncat") || word_is(&w[i], "netcat"))
            return from_nc(w, n, i, out);
    }
    return -1;
}

void hcport_rewrite(const struct compose_healthcheck *hc, const struct hcport *hp, int port,
                    char *out, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    if (!hp->written || hp->arg >= hc->argc)
        return;
    if (hc->kind == COMPOSE_TEST_CMD)
        used = (size_t)snprintf(out, n, "[\"CMD\"");
    for (size_t a = 0; a < hc->argc && used < n; a++) {
        const char *s = hc->argv[a];
        const char *pre = hc->kind == COMPOSE_TEST_CMD ? ", \"" : "";
        const char *post = hc->kind == COMPOSE_TEST_CMD ? "\"" : "";
        if (a == hp->arg)
            used += (size_t)snprintf(out + used, n - used, "%s%.*s%d%s%s", pre, (int)hp->off, s,
                                     port, s + hp->off + hp->len, post);
        else
            used += (size_t)snprintf(out + used, n - used, "%s%s%s", pre, s, post);
    }
    if (hc->kind == COMPOSE_TEST_CMD && used < n)
        (void)snprintf(out + used, n - used, "]");
}
