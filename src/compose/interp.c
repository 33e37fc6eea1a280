/* Compose interpolation ($VAR, ${VAR:-default}, ...), the .env file,
 * durations in Go's syntax and project names. */
#include "compose/compose.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "healthtop/secret.h"

struct sbuf {
    char *s;
    size_t n, cap;
};

static void sbuf_add(struct sbuf *b, const char *p, size_t len)
{
    XGROW(b->s, b->cap, b->n + len + 1);
    memcpy(b->s + b->n, p, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static bool name_start(int c)
{
    return isalpha(c) || c == '_';
}

static bool name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* Nesting bound for ${A:-${B:-${C...}}}: deeper input is refused rather
 * than recursed into. */
#define INTERP_DEPTH_MAX 32

static int interp_rec(struct compose_interp *it, const char *s, size_t len, struct sbuf *b,
                      int depth);

/* The value of name, registered as a secret when asked. */
static const char *lookup(struct compose_interp *it, const char *name)
{
    const char *v = it->lookup ? it->lookup(name, it->ud) : NULL;

    if (v != NULL && it->secrets)
        secret_add(v);
    return v;
}

static void note_unset(struct compose_interp *it, const char *name)
{
    if (it->unset[0] == '\0')
        ht_strlcpy(it->unset, name, sizeof(it->unset));
}

/* The body of one ${...} (without the braces). */
static int braced(struct compose_interp *it, const char *body, size_t len, struct sbuf *b,
                  int depth)
{
    char name[128];
    size_t i = 0;
    const char *val, *word;
    size_t wlen;
    bool colon = false;
    char op = 0;

    if (len == 0 || !name_start((unsigned char)body[0])) {
        ht_snprintf(it->err, sizeof(it->err), "invalid interpolation format for '${%.*s}'",
                    (int)(len > 60 ? 60 : len), body);
        return -1;
    }
    while (i < len && name_char((unsigned char)body[i]))
        i++;
    if (i >= sizeof(name)) {
        ht_snprintf(it->err, sizeof(it->err), "variable name too long in '${%.20s...}'", body);
        return -1;
    }
    memcpy(name, body, i);
    name[i] = '\0';
    if (i < len && body[i] == ':') {
        colon = true;
        i++;
    }
    if (i < len && (body[i] == '-' || body[i] == '?' || body[i] == '+'))
        op = body[i++];
    if ((colon && op == 0) || (op == 0 && i != len)) {
        ht_snprintf(it->err, sizeof(it->err), "invalid interpolation format for '${%.*s}'",
                    (int)(len > 60 ? 60 : len), body);
        return -1;
    }
    word = body + i;
    wlen = len - i;
    val = lookup(it, name);
    /* "set" for the colon forms means set and not empty. */
    bool set = val != NULL && (!colon || val[0] != '\0');
    switch (op) {
    case 0:
        if (val == NULL)
            note_unset(it, name);
        else
            sbuf_add(b, val, strlen(val));
        return 0;
    case '-':
        if (set) {
            sbuf_add(b, val, strlen(val));
            return 0;
        }
        return interp_rec(it, word, wlen, b, depth + 1);
    case '+':
        return set ? interp_rec(it, word, wlen, b, depth + 1) : 0;
    default: { /* '?' */
        struct sbuf msg = {0};
        if (set) {
            sbuf_add(b, val, strlen(val));
            return 0;
        }
        sbuf_add(&msg, "", 0);
        if (interp_rec(it, word, wlen, &msg, depth + 1) != 0) {
            free(msg.s);
            return -1;
        }
        ht_snprintf(it->err, sizeof(it->err), "required variable %s is missing a value%s%s", name,
                    msg.n ? ": " : "", msg.s);
        free(msg.s);
        return -1;
    }
    }
}

/* The closing brace of a ${ that opens at s[0..], nesting counted:
 * its index, or len when there is none. */
static size_t close_brace(const char *s, size_t from, size_t len)
{
    int depth = 1;

    for (size_t i = from; i < len; i++) {
        if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
            depth++;
            i++;
        } else if (s[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return len;
}

static int interp_rec(struct compose_interp *it, const char *s, size_t len, struct sbuf *b,
                      int depth)
{
    if (depth > INTERP_DEPTH_MAX) {
        ht_snprintf(it->err, sizeof(it->err), "interpolation nested more than %d deep",
                    INTERP_DEPTH_MAX);
        return -1;
    }
    for (size_t i = 0; i < len;) {
        int next = s[i] == '$' && i + 1 < len ? (unsigned char)s[i + 1] : -1;
        if (next == '$') {
            sbuf_add(b, "$", 1);
            i += 2;
        } else if (next == '{') {
            size_t end = close_brace(s, i + 2, len);
            if (end == len) {
                ht_snprintf(it->err, sizeof(it->err),
                            "invalid interpolation format: '${' without its '}' (write $$ for "
                            "a literal $)");
                return -1;
            }
            if (braced(it, s + i + 2, end - i - 2, b, depth) != 0)
                return -1;
            i = end + 1;
        } else if (next >= 0 && name_start(next)) {
            char name[128];
            size_t j = i + 1;
            const char *val;
            while (j < len && name_char((unsigned char)s[j]))
                j++;
            if (j - i - 1 >= sizeof(name)) {
                ht_snprintf(it->err, sizeof(it->err), "variable name too long");
                return -1;
            }
            memcpy(name, s + i + 1, j - i - 1);
            name[j - i - 1] = '\0';
            if ((val = lookup(it, name)) != NULL)
                sbuf_add(b, val, strlen(val));
            else
                note_unset(it, name);
            i = j;
        } else {
            sbuf_add(b, s + i++, 1);
        }
    }
    return 0;
}

int compose_interp(struct compose_interp *it, const char *s, size_t len, char **out)
{
    struct sbuf b = {0};

    it->err[0] = '\0';
    *out = NULL;
    sbuf_add(&b, "", 0);
    if (memchr(s, '$', len) == NULL) {
        sbuf_add(&b, s, len);
    } else if (interp_rec(it, s, len, &b, 0) != 0) {
        free(b.s);
        return -1;
    }
    *out = b.s;
    return 0;
}

/* ------------------------------------------------------------------ */
/* .env                                                                 */

static void env_set(struct compose_env *e, const char *name, size_t nlen, char *value)
{
    for (size_t i = 0; i < e->n; i++)
        if (strlen(e->names[i]) == nlen && memcmp(e->names[i], name, nlen) == 0) {
            free(e->values[i]);
            e->values[i] = value;
            return;
        }
    size_t cap = e->cap;
    XGROW(e->names, cap, e->n + 1);
    XGROW(e->values, e->cap, e->n + 1);
    e->names[e->n] = xstrndup(name, nlen);
    e->values[e->n++] = value;
}

const char *compose_env_get(const struct compose_env *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0)
            return e->values[i];
    return NULL;
}

void compose_env_free(struct compose_env *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->names[i]);
        free(e->values[i]);
    }
    free(e->names);
    free(e->values);
    memset(e, 0, sizeof(*e));
}

/* In a .env file, a variable refers to those above it, then to the
 * process environment. */
static const char *env_lookup(const char *name, void *ud)
{
    const char *v = getenv(name);

    return v != NULL ? v : compose_env_get(ud, name);
}

/* A quoted value starting at s[0] (the quote): its text with escapes
 * resolved in *out; returns the index past the closing quote, or 0 when
 * the quote is not closed on this line. */
static size_t env_quoted(const char *s, size_t len, struct sbuf *out)
{
    char q = s[0];

    sbuf_add(out, "", 0);
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (c == q)
            return i + 1;
        if (c == '\\' && i + 1 < len) {
            char e = s[i + 1];
            if (e == q || e == '\\') {
                sbuf_add(out, &e, 1);
                i++;
                continue;
            }
            if (q == '"' && (e == 'n' || e == 't' || e == 'r')) {
                char r = e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
                sbuf_add(out, &r, 1);
                i++;
                continue;
            }
        }
        sbuf_add(out, &c, 1);
    }
    return 0;
}

/* One line, without its newline: 0, or -1 with err set. */
static int env_line(struct compose_env *e, const char *file, unsigned lineno, const char *s,
                    size_t len, char *err, size_t n)
{
    size_t i = 0, nstart, nlen;
    struct sbuf v = {0};
    struct compose_interp it = {.lookup = env_lookup, .ud = e};
    char *val;

    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i == len || s[i] == '#')
        return 0;
    if (len - i > 7 && memcmp(s + i, "export ", 7) == 0)
        i += 7;
    while (i < len && s[i] == ' ')
        i++;
    nstart = i;
    while (i < len && s[i] != '=' && !isspace((unsigned char)s[i]))
        i++;
    nlen = i - nstart;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (nlen == 0 || (i < len && s[i] != '=')) {
        ht_snprintf(err, n, "%s:%u: a line is VAR=VALUE, not '%.*s'", file, lineno,
                    (int)(len > 60 ? 60 : len), s);
        return -1;
    }
    if (i == len) /* VAR alone: unset */
        return 0;
    i++;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < len && (s[i] == '"' || s[i] == '\'')) {
        size_t end = env_quoted(s + i, len - i, &v);
        if (end == 0) {
            free(v.s);
            ht_snprintf(err, n, "%s:%u: unterminated quoted value of %.*s", file, lineno, (int)nlen,
                        s + nstart);
            return -1;
        }
        if (s[i] == '\'') {
            env_set(e, s + nstart, nlen, v.s);
            return 0;
        }
    } else {
        size_t end = i;
        /* An inline comment starts at a '#' after a blank. */
        while (end < len && !(s[end] == '#' && end > i && isspace((unsigned char)s[end - 1])))
            end++;
        while (end > i && isspace((unsigned char)s[end - 1]))
            end--;
        sbuf_add(&v, "", 0);
        sbuf_add(&v, s + i, end - i);
    }
    if (compose_interp(&it, v.s, v.n, &val) != 0) {
        ht_snprintf(err, n, "%s:%u: %s", file, lineno, it.err);
        free(v.s);
        return -1;
    }
    free(v.s);
    env_set(e, s + nstart, nlen, val);
    return 0;
}

int compose_env_parse(struct compose_env *e, const char *file, const char *text, size_t len,
                      char *err, size_t n)
{
    unsigned lineno = 1;

    for (size_t i = 0; i < len; lineno++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t l = end - i;
        if (l > 0 && text[i + l - 1] == '\r')
            l--;
        if (env_line(e, file, lineno, text + i, l, err, n) != 0)
            return -1;
        i = end + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Durations and names                                                  */

int compose_duration_parse(const char *s, int64_t *out_ms, const char **why)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
                 {"s", 1000},  {"m", 60000}, {"h", 3600000}};
    double total = 0;

    if (*s == '\0') {
        *why = "empty duration";
        return -1;
    }
    if (strcmp(s, "0") == 0) {
        *out_ms = 0;
        return 0;
    }
    while (*s) {
        char *end;
        double v;
        size_t best = 0, ulen = 0;
        if (!isdigit((unsigned char)*s) && *s != '.') {
            *why = "a duration is numbers with units: 30s, 1m30s, 500ms";
            return -1;
        }
        v = strtod(s, &end);
        if (end == s) {
            *why = "a duration is numbers with units: 30s, 1m30s, 500ms";
            return -1;
        }
        s = end;
        for (size_t i = 0; i < HT_ARRAY_LEN(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(s, units[i].unit, l) == 0 && l > ulen) {
                best = i;
                ulen = l;
            }
        }
        if (ulen == 0) {
            *why = "a duration needs a unit (ns, us, ms, s, m, h)";
            return -1;
        }
        total += v * units[best].ms;
        s += ulen;
        if (total > 1e13) {
            *why = "duration too long";
            return -1;
        }
    }
    *out_ms = (int64_t)total;
    return 0;
}

void compose_name_normalize(const char *s, char *out, size_t n)
{
    size_t o = 0;

    if (n == 0)
        return;
    for (; *s && o + 1 < n; s++) {
        int c = tolower((unsigned char)*s);
        if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
            continue;
        if (o == 0 && (c == '_' || c == '-'))
            continue;
        out[o++] = (char)c;
    }
    out[o] = '\0';
}

bool compose_name_valid(const char *s)
{
    char norm[256];

    if (*s == '\0' || strlen(s) >= sizeof(norm))
        return false;
    compose_name_normalize(s, norm, sizeof(norm));
    return strcmp(norm, s) == 0;
}
