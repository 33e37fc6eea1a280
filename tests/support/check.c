/* Checks that say what they expected and what they saw: see check.h. */
#include "check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "healthtop/util.h"

#define TEST_POLL_MS 10

static bool holds(long double seen, const char *op, long double want)
{
    if (strcmp(op, "==") == 0)
        return seen == want;
    if (strcmp(op, "!=") == 0)
        return seen != want;
    if (strcmp(op, ">=") == 0)
        return seen >= want;
    if (strcmp(op, "<=") == 0)
        return seen <= want;
    if (strcmp(op, ">") == 0)
        return seen > want;
    return seen < want;
}

void check_cmp(const char *file, int line, const char *what, long double seen, const char *op,
               long double want)
{
    if (holds(seen, op, want))
        return;
    print_error("%s: want %s %.20Lg, saw %.20Lg\n", what, op, want, seen);
    _fail(file, line);
}

void check_bool(const char *file, int line, const char *what, bool want, bool seen)
{
    if (want == seen)
        return;
    print_error("%s: want %s, saw %s\n", what, want ? "true" : "false", seen ? "true" : "false");
    _fail(file, line);
}

void check_str(const char *file, int line, const char *what, const char *seen, const char *want,
               bool contains)
{
    const char *s = seen ? seen : "", *w = want ? want : "";

    if (contains ? strstr(s, w) != NULL : strcmp(s, w) == 0)
        return;
    print_error("%s: want %s\"%s\", saw \"%s\"\n", what, contains ? "text containing " : "", w, s);
    _fail(file, line);
}

void check_lacks(const char *file, int line, const char *what, const char *seen, const char *needle)
{
    if (seen == NULL || strstr(seen, needle) == NULL)
        return;
    print_error("%s: want text without \"%s\", saw \"%s\"\n", what, needle, seen);
    _fail(file, line);
}

int64_t test_deadline(void)
{
    return ht_now_ms() + TEST_PATIENCE_MS;
}

bool test_before(int64_t deadline)
{
    return ht_now_ms() < deadline;
}

bool test_nap_before(int64_t deadline)
{
    struct timespec nap = {0, TEST_POLL_MS * 1000 * 1000};

    if (!test_before(deadline))
        return false;
    nanosleep(&nap, NULL);
    return true;
}
