/* Small helpers shared by every module: time, durations, strings. */
#define _GNU_SOURCE /* memmem */
#include "healthtop/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <uv.h>

/* The monotonic clock starts at boot; a century is added so that a time
 * a target gives from before that (a container started long ago, dated
 * on this clock by health.c) still has a place on it, never below 0. */
#define CLOCK_BASE_MS (100LL * 366 * 24 * 3600 * 1000)

int64_t ht_now_ms(void)
{
    return CLOCK_BASE_MS + (int64_t)(uv_hrtime() / 1000000u);
}

int64_t ht_now_us(void)
{
    return CLOCK_BASE_MS * 1000 + (int64_t)(uv_hrtime() / 1000u);
}

int64_t ht_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void ht_time_rfc3339(int64_t wall_ms, char *out, size_t n)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    char base[32];

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    ht_snprintf(out, n, "%s.%03dZ", base, (int)(wall_ms % 1000));
}

/* Durations are a decimal number and a unit. A bare number means seconds,
 * as in Docker's healthcheck options. Anything else is refused with a
 * reason, so that "2 s" or "2sec" never silently becomes something else. */
int ht_duration_parse(const char *s, int64_t *out_ms, const char **why)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
    const char *p = s;
    char *end;
    double v;

    *why = NULL;
    if (s == NULL || *s == '\0') {
        *why = "empty duration";
        return -1;
    }
    if (!isdigit((unsigned char)*p) && *p != '.') {
        *why = "a duration is a number and a unit: 250ms, 2s, 1m, 1h";
        return -1;
    }
    errno = 0;
    v = strtod(p, &end);
    if (errno != 0 || end == p || !isfinite(v) || v < 0) {
        *why = "a duration is a number and a unit: 250ms, 2s, 1m, 1h";
        return -1;
    }
    for (size_t i = 0; i < HT_ARRAY_LEN(units); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double ms = v * units[i].ms;
            if (ms > 365.0 * 24 * 3600 * 1000) {
                *why = "duration longer than a year";
                return -1;
            }
            *out_ms = (int64_t)llround(ms);
            return 0;
        }
    }
    *why = "unknown unit: use ms, s, m or h";
    return -1;
}

void ht_duration_format(int64_t ms, char *buf, size_t n)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000)
        ht_snprintf(buf, n, "%dms", (int)ms);
    else if (ms < 60000)
        ht_snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
    else if (ms < 3600000)
        ht_snprintf(buf, n, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
    else if (ms < 86400000)
        ht_snprintf(buf, n, "%dh%02dm", (int)(ms / 3600000), (int)(ms / 60000 % 60));
    else
        ht_snprintf(buf, n, "%dd%02dh", (int)(ms / 86400000), (int)(ms / 3600000 % 24));
}

void ht_latency_format(int64_t us, bool ascii, char *buf, size_t n)
{
    if (us < 0)
        ht_strlcpy(buf, "-", n);
    else if (us < 1000)
        ht_snprintf(buf, n, "%d%s", (int)us, ascii ? "us" : "\xc2\xb5s");
    else if (us < 10000)
        ht_snprintf(buf, n, "%.1fms", (double)us / 1000.0);
    else if (us < 1000000)
        ht_snprintf(buf, n, "%dms", (int)(us / 1000));
    else
        ht_snprintf(buf, n, "%.2fs", (double)us / 1e6);
}

static void (*fatal_hooks[4])(void);
static int nfatal_hooks;

void ht_atfatal(void (*fn)(void))
{
    if (nfatal_hooks < (int)HT_ARRAY_LEN(fatal_hooks))
        fatal_hooks[nfatal_hooks++] = fn;
}

void ht_fatal(const char *fmt, ...)
{
    va_list ap;

    while (nfatal_hooks > 0)
        fatal_hooks[--nfatal_hooks]();
    fputs("healthtop: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        ht_fatal("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        ht_fatal("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void ht_put(char *out, size_t n, size_t *len, const char *text)
{
    size_t k = strlen(text);

    if (*len + 1 >= n)
        return;
    if (k > n - 1 - *len)
        k = n - 1 - *len;
    memcpy(out + *len, text, k);
    *len += k;
    out[*len] = '\0';
}

void ht_put_int(char *out, size_t n, size_t *len, long long v)
{
    char digits[24], *d = digits + sizeof(digits);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    *--d = '\0';
    do
        *--d = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--d = '-';
    ht_put(out, n, len, d);
}

char *ht_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return memmem(hay, hlen, needle, nlen); /* glibc's: fast, whatever the needle's first byte */
}

static size_t table_bytes(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        ht_fatal("out of memory (%zu x %zu bytes)", n, size);
    return n * size;
}

void *ht_table_alloc(size_t n, size_t size)
{
    size_t bytes = table_bytes(n, size);
    void *p;

    if (bytes < HT_TABLE_HUGE)
        return xcalloc(n, size);
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        ht_fatal("out of memory (%zu x %zu bytes)", n, size);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, small pages */
#endif
    return p;
}

void ht_table_free(void *p, size_t n, size_t size)
{
    size_t bytes = table_bytes(n, size);

    if (p == NULL)
        return;
    if (bytes < HT_TABLE_HUGE)
        free(p);
    else
        (void)munmap(p, bytes);
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        ht_fatal("out of memory (%zu bytes)", n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return p;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            ht_fatal("out of memory");
        n *= 2;
    }
    if (size != 0 && n > SIZE_MAX / size)
        ht_fatal("out of memory");
    *cap = n;
    return xrealloc(p, n * size);
}

size_t ht_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (n > 0) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return len;
}

int ht_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ht_snprintf(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (n == 0)
        return;
    va_start(ap, fmt);
    if (vsnprintf(dst, n, fmt, ap) < 0)
        dst[0] = '\0';
    va_end(ap);
}

bool ht_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

/* uv_spawn closes nothing in the child, and libraries open descriptors
 * without close-on-exec (curl's multi handle keeps a wake-up socketpair,
 * hiredis its sockets): a health-check command or an alert hook would inherit them all.
 * Marking every descriptor above stderr close-on-exec just before the
 * spawn is cheap (children are rare) and covers what any library does. */
void ht_cloexec_all(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end == '\0' && fd > 2 && fd <= INT_MAX && fd != dirfd(d))
            (void)fcntl((int)fd, F_SETFD, fcntl((int)fd, F_GETFD) | FD_CLOEXEC);
    }
    closedir(d);
}

void ht_graph_cycles(const struct ht_graph *g)
{
    size_t n = g->n;
    unsigned char *colour = xcalloc(n + 1, 1); /* 1: on the stack, 2: done */
    size_t *stack = xcalloc(n + 1, sizeof(*stack)), *edge = xcalloc(n + 1, sizeof(*edge));

    for (size_t root = 0; root < n; root++) {
        size_t sp = 0;
        if (colour[root] != 0)
            continue;
        colour[root] = 1;
        stack[sp] = root;
        edge[sp++] = 0;
        while (sp > 0) {
            size_t u = stack[sp - 1], e, v;
            if (edge[sp - 1] == g->edges(u, g->ud)) {
                colour[u] = 2;
                sp--;
                continue;
            }
            e = edge[sp - 1]++;
            v = g->target(u, e, g->ud);
            if (v >= n || colour[v] == 2)
                continue;
            if (colour[v] == 1) {
                size_t from = sp - 1;
                while (from > 0 && stack[from] != v)
                    from--;
                if (g->cycle(stack + from, sp - from, e, g->ud) != 0)
                    goto out;
                continue;
            }
            colour[v] = 1;
            stack[sp] = v;
            edge[sp++] = 0;
        }
    }
out:
    free(colour);
    free(stack);
    free(edge);
}
