/* A reader of one shape of JSON: the success answer of an instant query
 * whose result is a vector, read in one pass without building a tree,
 * keeping of each series only the three labels rows_by needs and its
 * value.
 *
 * Why not jansson, which reads every other answer: an answer of 10,000
 * series is about 1.6 MB and 80,000 JSON values, and jansson's tree of
 * them (one allocation per value, each freed again) took about 40 ms of
 * CPU here, twice what the whole mapping may cost. This reader allocates
 * only the array of series. It accepts any key order and skips what it
 * does not need; anything else (an error answer, a scalar, bad JSON, a
 * nesting deeper than SCAN_DEPTH) makes it return -1, and the caller
 * reads the answer with jansson to say what it is. */
#include <stdlib.h>
#include <string.h>
#include "probes/prometheus.h"

#define SCAN_DEPTH 64

struct scan {
    const char *p, *end;
};

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* The next character, after blanks, is c: consumes it. */
static bool eat(struct scan *s, char c)
{
    ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static int hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Appends code point cp as UTF-8 to out (capacity n, length *k), as far
 * as it fits whole. */
static void put_cp(char *out, size_t n, size_t *k, unsigned cp)
{
    char b[4];
    size_t m;

    if (cp < 0x80)
        b[0] = (char)cp, m = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), m = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), m = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
        b[2] = (char)(0x80 | (cp >> 6 & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), m = 4;
    if (out != NULL && *k + m < n) {
        memcpy(out + *k, b, m);
        *k += m;
    }
}

/* A byte copied as it is inside a string: not '"', '\\' or a control
 * character. Most bytes of label values are above '\\' (lowercase, '_'),
 * so that is asked first: one comparison instead of three. */
static inline bool plain(unsigned char c)
{
    return c > '\\' || (c >= 0x20 && c != '"' && c != '\\');
}

/* A string: decoded into out (capacity n; NUL-terminated, cut to fit;
 * NULL to skip it). A \u0000 ends what is kept, as C strings do; a lone
 * surrogate becomes U+FFFD. Bytes are copied as they are: made safe
 * later, like any text from a server. */
static bool str(struct scan *s, char *out, size_t n)
{
    size_t k = 0;
    bool ended = false;

    if (!eat(s, '"'))
        return false;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20)
            return false;
        if (c != '\\') {
            const char *q = s->p;
            while (q < s->end && plain((unsigned char)*q))
                q++;
            if (out != NULL && !ended) {
                size_t m = (size_t)(q - s->p) < n - 1 - k ? (size_t)(q - s->p) : n - 1 - k;
                memcpy(out + k, s->p, m);
                k += m;
            }
            s->p = q;
            continue;
        }
        if (s->end - s->p < 2)
            return false;
        c = (unsigned char)s->p[1];
        s->p += 2;
        if (c == 'u') {
            int cp, lo;
            if (s->end - s->p < 4 || (cp = hex4(s->p)) < 0)
                return false;
            s->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 && s->p[0] == '\\' &&
                s->p[1] == 'u' && (lo = hex4(s->p + 2)) >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s->p += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            if (cp == 0)
                ended = true;
            else if (!ended)
                put_cp(out, n, &k, (unsigned)cp);
            continue;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = memchr(from, c, sizeof(from) - 1);
        if (e == NULL)
            return false;
        if (out != NULL && !ended && k + 1 < n)
            out[k++] = to[e - from];
    }
    if (s->p >= s->end)
        return false;
    s->p++;
    if (out != NULL)
        out[k] = '\0';
    return true;
}

static bool value(struct scan *s, int depth);

/* The members of an object or the items of an array, skipped. */
static bool skip_compound(struct scan *s, char close, int depth)
{
    if (eat(s, close))
        return true;
    do {
        if (close == '}' && (!str(s, NULL, 0) || !eat(s, ':')))
            return false;
        if (!value(s, depth + 1))
            return false;
    } while (eat(s, ','));
    return eat(s, close);
}

/* Any value, skipped. Numbers and literals are taken loosely (the
 * characters they may hold): none of them is kept. */
static bool value(struct scan *s, int depth)
{
    const char *q;

    ws(s);
    if (s->p >= s->end || depth > SCAN_DEPTH)
        return false;
    if (*s->p == '"')
        return str(s, NULL, 0);
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        s->p++;
        return skip_compound(s, close, depth);
    }
    for (q = s->p; q < s->end && strchr("+-.0123456789eEtruefalsn", *q) != NULL && *q; q++)
        ;
    if (q == s->p)
        return false;
    s->p = q;
    return true;
}

/* Reads the members of an object one by one: *key gets each name (cut
 * to n); returns 1 with the ':' eaten, 0 at the end, -1 on bad JSON. */
static int member(struct scan *s, bool *first, char *key, size_t n)
{
    if (*first) {
        *first = false;
        if (eat(s, '}'))
            return 0;
    } else if (!eat(s, ','))
        return eat(s, '}') ? 0 : -1;
    return str(s, key, n) && eat(s, ':') ? 1 : -1;
}

/* {"metric": {...}, "value": [t, "v"]}: the labels rows_by, group_by and
 * replicas_by name, and the value. */
static bool series(struct scan *s, const struct prometheus_config *c, struct prom_series *ps)
{
    bool first = true, mfirst, vfirst;
    char key[64], label[128];
    int m;

    memset(ps, 0, sizeof(*ps));
    if (!eat(s, '{'))
        return false;
    while ((m = member(s, &first, key, sizeof(key))) == 1) {
        if (strcmp(key, "metric") == 0) {
            if (!eat(s, '{'))
                return false;
            mfirst = true;
            while ((m = member(s, &mfirst, label, sizeof(label))) == 1) {
                char *to = strcmp(label, c->rows_by) == 0       ? ps->key
                           : strcmp(label, c->group_by) == 0    ? ps->group
                           : strcmp(label, c->replicas_by) == 0 ? ps->name
                                                                : NULL;
                bool *has = to == ps->key     ? &ps->has_key
                            : to == ps->group ? &ps->has_group
                                              : &ps->has_name;
                if (!str(s, to, PROM_SCAN_LABEL_MAX))
                    return false;
                if (to != NULL)
                    *has = true;
            }
            if (m < 0)
                return false;
        } else if (strcmp(key, "value") == 0) {
            /* [<time>, "<value>"]: the second item, as text. */
            if (!eat(s, '['))
                return false;
            vfirst = true;
            for (int i = 0; !eat(s, ']'); i++) {
                if (!vfirst && !eat(s, ','))
                    return false;
                vfirst = false;
                if (i == 1) {
                    if (!str(s, ps->value, sizeof(ps->value)))
                        return false;
                    ps->has_value = true;
                } else if (!value(s, 2))
                    return false;
            }
        } else if (!value(s, 2))
            return false;
    }
    return m == 0;
}

/* "result": [ series, ... ] */
static bool result(struct scan *s, const struct prometheus_config *c, struct prom_scan *out)
{
    if (!eat(s, '['))
        return false;
    if (eat(s, ']'))
        return true;
    do {
        XGROW(out->v, out->cap, out->n + 1);
        if (!series(s, c, &out->v[out->n]))
            return false;
        out->n++;
    } while (eat(s, ','));
    return eat(s, ']');
}

int prom_scan(const char *body, size_t len, const struct prometheus_config *c,
              struct prom_scan *out)
{
    struct scan s = {body, body + len};
    bool first = true, dfirst, success = false, vector = false, has_result = false;
    char key[32], text[32];
    int m;

    out->n = 0; /* the room stays */
    if (!eat(&s, '{'))
        return -1;
    while ((m = member(&s, &first, key, sizeof(key))) == 1) {
        if (strcmp(key, "status") == 0) {
            if (!str(&s, text, sizeof(text)))
                break;
            success = strcmp(text, "success") == 0;
        } else if (strcmp(key, "data") == 0) {
            if (!eat(&s, '{'))
                break;
            dfirst = true;
            while ((m = member(&s, &dfirst, key, sizeof(key))) == 1) {
                if (strcmp(key, "resultType") == 0) {
                    if (!str(&s, text, sizeof(text)))
                        break;
                    vector = strcmp(text, "vector") == 0;
                } else if (strcmp(key, "result") == 0) {
                    out->n = 0; /* a repeated key: the last counts, as in jansson */
                    if (!result(&s, c, out))
                        break;
                    has_result = true;
                } else if (!value(&s, 1))
                    break;
            }
            if (m != 0)
                break;
        } else if (!value(&s, 1))
            break;
    }
    ws(&s);
    if (m != 0 || s.p != s.end || !success || !vector || !has_result) {
        out->n = 0;
        return -1;
    }
    return 0;
}

void prom_scan_free(struct prom_scan *sc)
{
    free(sc->v);
    memset(sc, 0, sizeof(*sc));
}
