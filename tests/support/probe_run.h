/* Running probes for integration tests: start a batch of probes on a fresh
 * libuv loop, run the loop until nothing is left in it, and record for
 * each probe how many times it called back and when. Also counts this
 * process's open file descriptors, to catch leaks. Part of the htsupport library. */
#ifndef HT_TEST_PROBE_RUN_H
#define HT_TEST_PROBE_RUN_H

#include <stdint.h>
#include "healthtop/probe.h"

struct probe_run {
    struct probe p;
    int start_rc;    /* probe_start's */
    int calls;       /* callbacks seen; must end at 1 (0 when start_rc < 0) */
    int64_t done_ms; /* ms from the batch start to the callback */
};

/* Starts one probe per svc (runs[i] for svcs[i]), runs the loop until it
 * has no handle left, closes it. Returns the ms the whole batch took; the
 * loop must close cleanly (-1 otherwise). cancel_after_ms > 0 cancels every
 * probe still in flight after that long. */
int64_t probe_run_batch(struct probe_run *runs, const struct svc_config *const *svcs, size_t n,
                        int64_t cancel_after_ms);
/* Like probe_run_batch, but cancels every probe still in flight as soon
 * as ndone of them have called back: "the others finished while these
 * were still hanging", without a clock. */
int64_t probe_run_batch_then_cancel(struct probe_run *runs, const struct svc_config *const *svcs,
                                    size_t n, size_t ndone);
/* One probe; returns its run by value. */
struct probe_run probe_run_one(const struct svc_config *svc);

/* Runs a throw-away tcp probe, so that libuv's and the resolver's
 * once-per-process descriptors (libuv's signal lock pipe) are open before
 * a test counts fds. For cmocka_run_group_tests' setup. */
int probe_run_warmup(void **state);

/* Entries in /proc/self/fd. */
int test_count_fds(void);

/* A svc_config with the defaults a test needs: name, kind, timeout. */
void test_svc_init(struct svc_config *s, const char *name, enum probe_kind kind,
                   int64_t timeout_ms);

#endif
