/* The --json document (and /api/v1/state), and the per-service object
 * the recorder reuses.
 *
 * The document is written straight into one growing buffer: a scrape of
 * 5,000 services built 5,000 jansson objects and printed them, a third of
 * its time in malloc and realloc. The text is the one jansson printed
 * (json_dumps with JSON_COMPACT, or JSON_INDENT(2) and
 * JSON_REAL_PRECISION(10) for --once --json), byte for byte: the same
 * separators and indentation, the same string escapes, reals printed the
 * same way. */
#include "healthtop/report.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "healthtop/buf.h"
#include "healthtop/deps.h"

/* JSON nests at most this deep here: document, services, service,
 * replicas. */
#define JW_DEPTH 8

struct jw {
    struct buf *out;
    bool pretty;          /* JSON_INDENT(2), else JSON_COMPACT */
    int depth;            /* containers open */
    bool empty[JW_DEPTH]; /* nothing yet in the container at each depth */
    int rc;               /* -1 once an append failed */
};

static void jw_put(struct jw *w, const char *p, size_t n)
{
    if (buf_append(w->out, p, n) != 0)
        w->rc = -1;
}

static char *jw_room(struct jw *w, size_t n)
{
    char *p = buf_reserve(w->out, n);

    if (p == NULL)
        w->rc = -1;
    return p;
}

/* A line break and the indentation of depth d, when pretty. */
static void jw_indent(struct jw *w, int d)
{
    char *p;

    if (!w->pretty || (p = jw_room(w, 1 + 2 * (size_t)d)) == NULL)
        return;
    *p++ = '\n';
    memset(p, ' ', 2 * (size_t)d);
    buf_commit(w->out, p + 2 * d);
}

/* Before a value in an array, or a key in an object. */
static void jw_item(struct jw *w)
{
    if (w->depth == 0)
        return;
    if (!w->empty[w->depth])
        jw_put(w, ",", 1);
    w->empty[w->depth] = false;
    jw_indent(w, w->depth);
}

static void jw_open(struct jw *w, char c)
{
    jw_put(w, &c, 1);
    w->empty[++w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
    if (!w->empty[w->depth])
        jw_indent(w, w->depth - 1);
    w->depth--;
    jw_put(w, &c, 1);
}

/* The length of the UTF-8 character at s (of the n bytes left), or 0 when
 * it is not one: jansson's rules (no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    unsigned c = s[0], len, v;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (unsigned i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (len == 3 && v < 0x800) ||
        (len == 4 && v < 0x10000))
        return 0;
    return len;
}

/* A JSON string as jansson writes it: '"' and '\' escaped, \b \f \n \r \t,
 * other controls as \u00XX, all else as it is. The text comes from the
 * one path of text.h (masked, escaped, cut) before it is kept, so it is
 * UTF-8; were it not, each byte past ASCII is written as '?' (as
 * report_json_text does), never the bytes themselves. */
static void jw_str(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    bool bad = false;
    char *o;

    for (size_t i = 0, k; i < n; i += k)
        if ((k = utf8_char(p + i, n - i)) == 0) {
            bad = true;
            break;
        }
    if ((o = jw_room(w, 6 * n + 2)) == NULL)
        return;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = bad && c >= 0x80 ? '?' : (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    *o++ = '"';
    buf_commit(w->out, o);
}

static void jw_key(struct jw *w, const char *k)
{
    jw_item(w);
    jw_str(w, k);
    jw_put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
}

static void jw_raw(struct jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

static void jw_int(struct jw *w, long long v)
{
    char t[24], *p = t + sizeof(t);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    jw_put(w, p, (size_t)(t + sizeof(t) - p));
}

/* A real as jansson prints it: "%.*g" (17 digits compact, 10 pretty), the
 * locale's decimal point as '.', ".0" added when neither '.' nor 'e' shows,
 * and the exponent without '+' or leading zeros. A whole number of
 * moderate size is written without printf (it prints as the integer and
 * ".0" at either precision). */
static void jw_real(struct jw *w, double v)
{
    char t[48], *e;
    int n;

    if (v == (double)(long long)v && v > -1e9 && v < 1e9) {
        jw_int(w, (long long)v);
        jw_put(w, ".0", 2);
        return;
    }
    n = snprintf(t, sizeof(t), "%.*g", w->pretty ? 10 : 17, v);
    if (n < 0 || (size_t)n >= sizeof(t) - 3) {
        w->rc = -1;
        return;
    }
    const char *point = localeconv()->decimal_point;
    if (point[0] != '.' && point[0] != '\0' && (e = strchr(t, point[0])) != NULL)
        *e = '.';
    if (strchr(t, '.') == NULL && strchr(t, 'e') == NULL) {
        memcpy(t + n, ".0", 3);
        n += 2;
    }
    if ((e = strchr(t, 'e')) != NULL) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(t + n - end) + 1);
            n -= (int)(end - start);
        }
    }
    jw_put(w, t, (size_t)n);
}

static void jw_offset(struct jw *w, const struct scheduler *s, int64_t t_ms)
{
    if (t_ms < 0)
        jw_raw(w, "null");
    else
        jw_real(w, (double)(t_ms - s->t0_ms) / 1000.0);
}

/* A text as a JSON string, NULL leaving the key out (as jansson did: its
 * json_string(NULL) made no value). */
static void jw_key_str(struct jw *w, const char *k, const char *v)
{
    if (v == NULL)
        return;
    jw_key(w, k);
    jw_str(w, v);
}

/* A probe's message may quote any bytes a server sent, and jansson
 * refuses a string that is not UTF-8: such bytes become '?'. */
json_t *report_json_text(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j != NULL)
        return j;
    copy = xstrdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* One service; blocked_by (the root causes blocking it, deps.h) from a
 * walk made once for the whole document, or without w asked afresh. */
static void service_write(struct jw *w, const struct scheduler *s, const struct service *svc,
                          struct deps_walk *dw)
{
    const struct svc_config *c = svc->cfg;
    const struct probe_result *r = &svc->last;
    char why[PROBE_MSG_MAX + 128];
    size_t roots[16], n = dw ? deps_walk_blocked_by(dw, svc->idx, roots, HT_ARRAY_LEN(roots))
                             : deps_blocked_by(s, svc->idx, roots, HT_ARRAY_LEN(roots));

    jw_open(w, '{');
    jw_key_str(w, "name", c->name);
    jw_key_str(w, "label", c->label);
    jw_key_str(w, "group", c->group);
    jw_key_str(w, "kind", probe_kind_name(c->kind));
    if (svc->source != NULL) /* a row made from its source's answer (rows_by) */
        jw_key_str(w, "source", svc->source->cfg->name);
    if (c->kind == PROBE_HTTP && c->u.http.insecure) {
        jw_key(w, "insecure"); /* TLS not verified */
        jw_raw(w, "true");
    }
    jw_key_str(w, "status", health_state_name(svc->health.state));
    jw_key(w, "replicas");
    jw_open(w, '{');
    jw_key(w, "up");
    jw_int(w, svc->has_result ? r->up : 0);
    jw_key(w, "expected");
    jw_int(w, c->replicas);
    jw_close(w, '}');
    jw_key(w, "latency_ms");
    if (svc->has_result && r->latency_us >= 0)
        jw_real(w, (double)r->latency_us / 1000.0);
    else
        jw_raw(w, "null");
    jw_key_str(w, "message", svc->has_result ? r->message : "");
    if (svc->has_result && r->listening >= 0) {
        jw_key(w, "listening");
        jw_int(w, r->listening);
    }
    /* Probes finished so far: lets a caller see each service's cadence
     * (the fault and soak tests check that one service's trouble never
     * slows another's probing). */
    jw_key(w, "probes");
    jw_int(w, (long long)svc->probes);
    jw_key(w, "depends_on");
    jw_open(w, '[');
    for (size_t i = 0; i < c->ndeps; i++)
        if (c->depends_on[i] != NULL) {
            jw_item(w);
            jw_str(w, c->depends_on[i]);
        }
    jw_close(w, ']');
    jw_key(w, "blocked_by");
    jw_open(w, '[');
    for (size_t i = 0; i < n && i < HT_ARRAY_LEN(roots); i++) {
        jw_item(w);
        jw_str(w, s->svcs[roots[i]].cfg->name);
    }
    jw_close(w, ']');
    /* Why it can no longer get healthy by itself (deps.h), or null. */
    jw_key(w, "hopeless");
    if (deps_hopeless(s, svc->idx, why, sizeof(why)))
        jw_str(w, why);
    else
        jw_raw(w, "null");
    jw_key(w, "first_seen");
    jw_offset(w, s, svc->health.first_seen_ms);
    jw_key(w, "first_healthy");
    jw_offset(w, s, svc->health.first_healthy_ms);
    jw_close(w, '}');
}

json_t *report_service_json(const struct scheduler *s, const struct service *svc)
{
    struct buf out;
    struct jw w = {.out = &out};
    json_t *o = NULL;

    /* Written compact, reals at 17 digits, it reads back the same. */
    buf_init(&out, SIZE_MAX / 2);
    service_write(&w, s, svc, NULL);
    if (w.rc == 0)
        o = json_loadb(out.data, out.len, 0, NULL);
    buf_free(&out);
    return o ? o : json_object();
}

/* Linear in the services and their dependencies: one deps_walk serves
 * every service's blocked_by and the root causes (5,000 services with a
 * thousand down cost seconds when each asked deps.h afresh). */
int report_json_write(struct buf *out, const struct scheduler *s, bool pretty)
{
    struct deps_walk *dw = deps_walk_new(s);
    struct jw w = {.out = out, .pretty = pretty};
    int c[HEALTH_STATE_COUNT];
    char stamp[40];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sched_counts(s, c);
    jw_open(&w, '{');
    jw_key_str(&w, "title", s->cfg->title);
    jw_key_str(&w, "timestamp", stamp);
    jw_key_str(&w, "status",
               report_exit_code(s) == 0 ? "healthy" : health_state_name(sched_overall(s)));
    jw_key(&w, "services");
    jw_open(&w, '[');
    for (size_t i = 0; i < s->nsvcs && w.rc == 0; i++) {
        jw_item(&w);
        service_write(&w, s, &s->svcs[i], dw);
    }
    jw_close(&w, ']');
    jw_key(&w, "root_causes");
    jw_open(&w, '[');
    for (size_t i = 0; i < s->nsvcs; i++)
        if (deps_walk_is_root(dw, i)) {
            jw_item(&w);
            jw_str(&w, s->svcs[i].cfg->name);
        }
    jw_close(&w, ']');
    jw_key(&w, "hopeless");
    jw_open(&w, '[');
    for (size_t i = 0; i < s->nsvcs; i++) {
        char why[PROBE_MSG_MAX + 128];
        if (deps_hopeless(s, i, why, sizeof(why))) {
            jw_item(&w);
            jw_str(&w, s->svcs[i].cfg->name);
        }
    }
    jw_close(&w, ']');
    jw_key(&w, "summary");
    jw_open(&w, '{');
    jw_key(&w, "total");
    jw_int(&w, (long long)s->nsvcs);
    for (int st = 0; st < HEALTH_STATE_COUNT; st++) {
        jw_key(&w, health_state_name(st));
        jw_int(&w, c[st]);
    }
    jw_close(&w, '}');
    jw_close(&w, '}');
    deps_walk_free(dw);
    return w.rc;
}

int report_json_print(FILE *out, const struct scheduler *s)
{
    struct buf doc;
    int rc;

    buf_init(&doc, SIZE_MAX / 2);
    rc = report_json_write(&doc, s, true);
    if (rc == 0 && fwrite(doc.data, 1, doc.len, out) != doc.len)
        rc = -1;
    buf_free(&doc);
    fputc('\n', out);
    return rc;
}
