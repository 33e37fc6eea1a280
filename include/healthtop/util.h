/* Small helpers shared by every module: time, durations, strings.
 *
 * Names: every exported name in healthtop starts with its module's prefix
 * (doc/architecture.md, "Names"); this module's is ht_, except the
 * allocators xmalloc, xcalloc, xrealloc, xstrdup, xstrndup and xgrow,
 * which keep the x prefix C programs use for "allocate or die".
 *
 * Errors, for the tools and small parsers of every layer (this header,
 * url.h, buf.h, text.h, the probes' wire formats): return 0, or -1 on
 * failure. When there is more than one reason, a `const char **why` out
 * parameter points at a static phrase ("empty duration") that the caller
 * puts into its own message; nothing is allocated or printed. */
#ifndef HEALTHTOP_UTIL_H
#define HEALTHTOP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HT_WUR          __attribute__((warn_unused_result))
#define HT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define HT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds on the monotonic clock (uv_hrtime, plus a century so that
 * times from before boot are positive too), for scheduling and offsets.
 * Wall-clock time is only ever used for display. */
int64_t ht_now_ms(void);
/* Microseconds on the same clock. */
int64_t ht_now_us(void);
/* Wall clock in milliseconds since the epoch. */
int64_t ht_wall_ms(void);
/* wall_ms as RFC 3339 in UTC with milliseconds: "2026-12-02T18:21:07.123Z". */
void ht_time_rfc3339(int64_t wall_ms, char *out, size_t n);

/* Parses "250ms", "2s", "1.5s", "1m", "1h", "90" (seconds) into
 * milliseconds. Returns 0, or -1 with *why set to a static explanation. */
int ht_duration_parse(const char *s, int64_t *out_ms, const char **why) HT_WUR;
/* Formats a duration for people: "250ms", "1.0s", "12.3s", "4m05s",
 * "2h13m", "3d04h". Always NUL-terminates. */
void ht_duration_format(int64_t ms, char *buf, size_t n);
/* Formats a latency in microseconds: "840µs" or "840us" (ascii), "12ms",
 * "1.20s". */
void ht_latency_format(int64_t us, bool ascii, char *buf, size_t n);

/* Allocation that cannot fail: on out-of-memory the process prints a
 * message and exits, after restoring the terminal (see ht_fatal). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Appends to out (capacity n, length *len) what fits of text, and keeps
 * it NUL-terminated: for messages put together in pieces on a hot path,
 * where printf costs more than the pieces (about 1,000 instructions a
 * call; a message for each of 10,000 rows on every answer).
 * ht_put_int appends v in decimal. */
void ht_put(char *out, size_t n, size_t *len, const char *text);
void ht_put_int(char *out, size_t n, size_t *len, long long v);

/* The first needle (nlen bytes, nlen > 0) in hay's hlen bytes, or NULL:
 * glibc's memmem, which it declares only with _GNU_SOURCE (util.c
 * defines it; nothing else needs it). Like strchr, it takes a const text
 * and gives a pointer into it. */
char *ht_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* A large table that is filled gradually (the scheduler's services and
 * the room set aside for the rows of its sources): zeroed, its address
 * space taken at once and its pages given on first touch. From
 * HT_TABLE_HUGE bytes on it is mapped on its own and asked for in huge
 * pages where the system offers them (transparent huge pages on
 * "madvise" or "always"): the first answer of 10,000 new rows otherwise
 * took 5,000 page faults, about a third of its CPU time. Exits like
 * xmalloc. ht_table_free takes the same n and size. */
#define HT_TABLE_HUGE ((size_t)4 << 20)
void *ht_table_alloc(size_t n, size_t size);
void ht_table_free(void *p, size_t n, size_t size);

/* The growable array: makes room for need elements of size bytes in p,
 * whose capacity is *cap, doubling it (from 8) as often as needed, and
 * returns the array, moved or not. Exits like xmalloc when the size
 * would overflow. XGROW(p, cap, need) is the usual call. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size) HT_WUR;
#define XGROW(p, cap, need) ((p) = xgrow((p), &(cap), (need), sizeof(*(p))))

/* Copies at most n-1 bytes and always NUL-terminates; returns strlen(src). */
size_t ht_strlcpy(char *dst, const char *src, size_t n);
/* The value of the hex digit c (0-9, a-f, A-F), or -1. */
int ht_hexval(int c);
/* snprintf that never fails loudly: truncates, always terminates. */
void ht_snprintf(char *dst, size_t n, const char *fmt, ...) HT_PRINTF(3, 4);

/* The cycles of a directed graph of n nodes, found by a depth-first walk
 * without recursion (a generated config may chain thousands of nodes):
 * edges(node) is how many edges leave node, target(node, e) where edge e
 * goes (SIZE_MAX: nowhere, skipped). Each edge that closes a cycle calls
 * cycle(path, len, e): path[0 .. len) is the cycle in walk order, path[0]
 * the node the closing edge e of path[len - 1] leads back to. cycle
 * returns 0 to go on, else the walk stops. */
struct ht_graph {
    size_t n;
    size_t (*edges)(size_t node, void *ud);
    size_t (*target)(size_t node, size_t e, void *ud);
    int (*cycle)(const size_t *path, size_t len, size_t e, void *ud);
    void *ud;
};
void ht_graph_cycles(const struct ht_graph *g);

/* Hooks run by ht_fatal before it exits, so the terminal is restored
 * whatever fails. At most a few are registered. */
void ht_atfatal(void (*fn)(void));
void ht_fatal(const char *fmt, ...) HT_PRINTF(1, 2) __attribute__((noreturn));

/* True when the locale's codeset is UTF-8 (call after setlocale). */
bool ht_locale_utf8(void);
/* Marks every descriptor above stderr close-on-exec: call it just before
 * uv_spawn, so that a child inherits none of the libraries' sockets. */
void ht_cloexec_all(void);

#endif
