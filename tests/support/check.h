/* Checks that say what they expected and what they saw, and waiting on a
 * condition with a deadline that only ends a stuck test. Part of the
 * htsupport library.
 *
 * A test never bounds how long something takes: a busy machine may be
 * arbitrarily slow. It waits for the behaviour it checks (a file, a
 * counter, a reply) and gives up only after TEST_PATIENCE_MS, which is
 * there to end a stuck test, not to measure anything. */
#ifndef HT_TEST_CHECK_H
#define HT_TEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#define TEST_PATIENCE_MS 60000

/* Comparisons of numbers, each side evaluated once and compared as a
 * long double (exact for every 64-bit integer on x86-64); on failure
 * "file:line: what: want OP W, saw S". */
#define CHECK_CMP(what, seen, op, want)                                                            \
    check_cmp(__FILE__, __LINE__, (what), (long double)(seen), #op, (long double)(want))
#define CHECK_EQ(what, seen, want) CHECK_CMP(what, seen, ==, want)
#define CHECK_NE(what, seen, want) CHECK_CMP(what, seen, !=, want)
#define CHECK_GE(what, seen, want) CHECK_CMP(what, seen, >=, want)
#define CHECK_GT(what, seen, want) CHECK_CMP(what, seen, >, want)
#define CHECK_LE(what, seen, want) CHECK_CMP(what, seen, <=, want)
#define CHECK_LT(what, seen, want) CHECK_CMP(what, seen, <, want)
/* A condition with no natural "seen" value: the text says what was wanted. */
#define CHECK_TRUE(what, cond)  check_bool(__FILE__, __LINE__, (what), true, (cond))
#define CHECK_FALSE(what, cond) check_bool(__FILE__, __LINE__, (what), false, (cond))
/* Strings: equal, or containing a needle (NULL counts as ""). */
#define CHECK_STR(what, seen, want) check_str(__FILE__, __LINE__, (what), (seen), (want), false)
#define CHECK_CONTAINS(what, seen, needle)                                                         \
    check_str(__FILE__, __LINE__, (what), (seen), (needle), true)
#define CHECK_LACKS(what, seen, needle) check_lacks(__FILE__, __LINE__, (what), (seen), (needle))

/* Polls cond every few ms until it holds; fails, naming what it waited
 * for, when TEST_PATIENCE_MS pass first. */
#define WAIT_UNTIL(what, cond)                                                                     \
    do {                                                                                           \
        int64_t wait_deadline_ = test_deadline();                                                  \
        while (!(cond))                                                                            \
            if (!test_nap_before(wait_deadline_))                                                  \
                check_bool(__FILE__, __LINE__, (what), true, false);                               \
    } while (0)

void check_cmp(const char *file, int line, const char *what, long double seen, const char *op,
               long double want);
void check_bool(const char *file, int line, const char *what, bool want, bool seen);
void check_str(const char *file, int line, const char *what, const char *seen, const char *want,
               bool contains);
void check_lacks(const char *file, int line, const char *what, const char *seen,
                 const char *needle);

/* Now plus TEST_PATIENCE_MS, on the monotonic clock (ms). */
int64_t test_deadline(void);
/* True while deadline is ahead: whether to go on waiting. */
bool test_before(int64_t deadline);
/* Sleeps a short poll interval and returns true, or returns false at
 * once when deadline has passed. */
bool test_nap_before(int64_t deadline);

#endif
