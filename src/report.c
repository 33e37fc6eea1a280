/* The text report of --once and --wait, and report_write's table of
 * output formats. */
#include "healthtop/report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "healthtop/deps.h"
#include "healthtop/probe.h"
#include "healthtop/util.h"

void report_style_detect(struct report_style *st, FILE *out, bool force_ascii)
{
    const char *nc = getenv("NO_COLOR");
    st->color = isatty(fileno(out)) && (nc == NULL || nc[0] == '\0');
    st->ascii = force_ascii || !ht_locale_utf8();
}

/* The same Unicode marks as the dashboard (HEALTH_MARKS_UTF8), so a state
 * looks the same everywhere; the ASCII ones are wider here because a
 * report line has room for a word. */
const char *report_mark(enum health_state s, bool ascii)
{
    static const char *const utf8[HEALTH_STATE_COUNT] = HEALTH_MARKS_UTF8;
    static const char *const plain[HEALTH_STATE_COUNT] = {
        [HEALTH_UNKNOWN] = "[ ?? ]",  [HEALTH_STARTING] = "[....]",  [HEALTH_HEALTHY] = "[ OK ]",
        [HEALTH_DEGRADED] = "[WARN]", [HEALTH_UNHEALTHY] = "[FAIL]", [HEALTH_SKIPPED] = "[SKIP]",
    };
    if ((unsigned)s >= HEALTH_STATE_COUNT)
        s = HEALTH_UNKNOWN;
    return ascii ? plain[s] : utf8[s];
}

const char *report_color(const struct report_style *st, enum health_state s)
{
    static const char *const colors[HEALTH_STATE_COUNT] = {
        [HEALTH_UNKNOWN] = "\033[2m",      [HEALTH_STARTING] = "\033[36m",
        [HEALTH_HEALTHY] = "\033[32m",     [HEALTH_DEGRADED] = "\033[33m",
        [HEALTH_UNHEALTHY] = "\033[1;31m", [HEALTH_SKIPPED] = "\033[33m",
    };
    return st->color && (unsigned)s < HEALTH_STATE_COUNT ? colors[s] : "";
}

const char *report_reset(const struct report_style *st)
{
    return st->color ? "\033[0m" : "";
}

void report_detail(const struct service *svc, char *buf, size_t n)
{
    const struct probe_result *r = &svc->last;
    enum health_state st = svc->health.state;
    int expected = svc->cfg->replicas;
    char lat[24] = "", reps[48] = "", paren[80] = "";

    if (!svc->has_result) {
        ht_strlcpy(buf, "(no result yet)", n);
        return;
    }
    if (st == HEALTH_SKIPPED) {
        ht_strlcpy(buf, "(scaled to 0)", n);
        return;
    }
    if (r->latency_us >= 0)
        ht_latency_format(r->latency_us, true, lat, sizeof(lat));
    if (expected > 1 || r->found > 1 ||
        (probe_ops_get(svc->cfg->kind)->flags & PROBE_F_FINDS_REPLICAS))
        ht_snprintf(reps, sizeof(reps), "%d/%d %s", r->up, expected,
                    expected == 1 ? "replica" : "replicas");
    if (reps[0] || lat[0])
        ht_snprintf(paren, sizeof(paren), "(%s%s%s)", reps, reps[0] && lat[0] ? ", " : "", lat);
    if (st == HEALTH_HEALTHY || r->message[0] == '\0')
        ht_strlcpy(buf, paren, n);
    else
        ht_snprintf(buf, n, "%s%s%s", r->message, paren[0] ? " " : "", paren);
}

int64_t report_latency_shown(const struct service *svc, int64_t *held)
{
    int64_t m;

    if (!svc->has_result || !health_is_up(svc->health.state)) {
        *held = -1;
        return -1;
    }
    if (svc->last.ok && svc->last.slow) {
        *held = -1;
        return svc->last.latency_us;
    }
    if ((m = history_latency_median(&svc->history)) < 0) {
        *held = -1;
        return svc->last.ok ? svc->last.latency_us : -1;
    }
    if (*held < 0 || (m - *held) * 4 > *held + 200 || (*held - m) * 4 > *held + 200)
        *held = m < 1000 ? (m + 5) / 10 * 10 : m;
    return *held;
}

static void rule(FILE *out)
{
    fputs("==========================================\n", out);
}

static void print_service(FILE *out, const struct service *svc, const struct report_style *st)
{
    enum health_state s = svc->health.state;
    char detail[PROBE_MSG_MAX + 96], blocked[128], sep[160] = "";

    report_detail(svc, detail, sizeof(detail));
    /* "UNHEALTHY: blocked by redis; HTTP 503 (4ms)": the root cause first. */
    if (deps_blocked_text(svc->sched, svc->idx, blocked, sizeof(blocked)) > 0)
        ht_snprintf(sep, sizeof(sep), ": %s%s", blocked, detail[0] ? ";" : "");
    else if (s != HEALTH_HEALTHY && s != HEALTH_SKIPPED)
        ht_strlcpy(sep, ":", sizeof(sep));
    fprintf(out, "%s%s%s %s - %s%s%s%s %s\n", report_color(st, s), report_mark(s, st->ascii),
            report_reset(st), svc->cfg->label, report_color(st, s), health_state_shout(s),
            report_reset(st), sep, detail);
}

const char *report_group(const struct service *svc)
{
    return svc->cfg->group ? svc->cfg->group : "Services";
}

/* qsort has no user data: the list being ordered, for the comparisons. */
static const struct service *order_svcs;
static const size_t *order_rank;

static int cmp_group(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(report_group(&order_svcs[a]), report_group(&order_svcs[b]));

    return c != 0 ? c : a < b ? -1 : a > b;
}

static int cmp_rank(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

    if (order_rank[a] != order_rank[b])
        return order_rank[a] < order_rank[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Sorted twice (by group, then by each group's first place), so that a
 * list of 10,000 rows is ordered in n log n: the first way, a scan back
 * over the list for each service, took n^2/2 string comparisons. */
size_t *report_group_order(const struct scheduler *s, size_t *first)
{
    size_t n = s->nsvcs, *order = xcalloc(n ? n : 1, sizeof(*order));
    size_t *rank = first ? first : xcalloc(n ? n : 1, sizeof(*rank));

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    order_svcs = s->svcs;
    qsort(order, n, sizeof(*order), cmp_group);
    for (size_t k = 0, f = 0; k < n; k++) {
        if (k == 0 || strcmp(report_group(&s->svcs[order[k]]), report_group(&s->svcs[f])) != 0)
            f = order[k];
        rank[order[k]] = f;
    }
    order_rank = rank;
    qsort(order, n, sizeof(*order), cmp_rank);
    if (first == NULL)
        free(rank);
    return order;
}

bool report_group_starts(const struct scheduler *s, const size_t *order, size_t k)
{
    return k == 0 ||
           strcmp(report_group(&s->svcs[order[k]]), report_group(&s->svcs[order[k - 1]])) != 0;
}

static void print_groups(FILE *out, const struct scheduler *s, const struct report_style *st)
{
    size_t *order = report_group_order(s, NULL);

    for (size_t k = 0; k < s->nsvcs; k++) {
        const struct service *svc = &s->svcs[order[k]];
        if (report_group_starts(s, order, k))
            fprintf(out, "\n--- %s ---\n", report_group(svc));
        print_service(out, svc, st);
    }
    free(order);
}

void report_text(FILE *out, const struct scheduler *s, const struct report_style *st)
{
    int c[HEALTH_STATE_COUNT];
    enum health_state overall = sched_overall(s);
    char stamp[32], roots[256];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    rule(out);
    fprintf(out, "%s - Health Check\n", s->cfg->title);
    rule(out);
    fprintf(out, "Timestamp: %s\n", stamp);
    print_groups(out, s, st);

    sched_counts(s, c);
    fputc('\n', out);
    rule(out);
    fputs("Summary\n", out);
    rule(out);
    fprintf(out, "Total Services: %zu\n", s->nsvcs);
    fprintf(out, "Healthy: %d\n", c[HEALTH_HEALTHY]);
    fprintf(out, "Degraded: %d\n", c[HEALTH_DEGRADED]);
    fprintf(out, "Unhealthy: %d\n", c[HEALTH_UNHEALTHY]);
    if (c[HEALTH_STARTING] + c[HEALTH_UNKNOWN])
        fprintf(out, "Starting: %d\n", c[HEALTH_STARTING] + c[HEALTH_UNKNOWN]);
    fprintf(out, "Skipped (scaled to 0): %d\n", c[HEALTH_SKIPPED]);
    if (deps_summary(s, roots, sizeof(roots)) > 0)
        fprintf(out, "%s\n", roots);
    fprintf(out, "\n%s%s SYSTEM STATUS: %s%s\n", report_color(st, overall),
            report_mark(overall, st->ascii),
            overall == HEALTH_SKIPPED ? "HEALTHY" : health_state_shout(overall), report_reset(st));
}

static int write_text(FILE *out, const struct scheduler *s, bool ascii)
{
    struct report_style st;

    report_style_detect(&st, out, ascii);
    report_text(out, s, &st);
    return ferror(out) ? -1 : 0;
}

static int write_json(FILE *out, const struct scheduler *s, bool ascii)
{
    (void)ascii; /* JSON is UTF-8 whatever the terminal */
    return report_json_print(out, s);
}

/* One line per output format: its writer, and whether it is a document
 * for a program rather than text for a person. */
static const struct {
    int (*write)(FILE *out, const struct scheduler *s, bool ascii);
    bool document;
} formats[REPORT_FORMAT_COUNT] = {
    [REPORT_TEXT] = {write_text, false},
    [REPORT_JSON] = {write_json, true},
};

int report_write(FILE *out, enum report_format fmt, const struct scheduler *s, bool ascii)
{
    if ((unsigned)fmt >= REPORT_FORMAT_COUNT)
        return -1;
    return formats[fmt].write(out, s, ascii);
}

bool report_format_is_document(enum report_format fmt)
{
    return (unsigned)fmt < REPORT_FORMAT_COUNT && formats[fmt].document;
}

int report_exit_code(const struct scheduler *s)
{
    enum health_state o = sched_overall(s);
    return o == HEALTH_HEALTHY || o == HEALTH_SKIPPED ? 0 : 1;
}
