/* libFuzzer target for the --replay reader: any bytes as a recording,
 * then the replayed model through seeking, the dependency insight and
 * the timeline (a recording may name cycles the config loader refuses). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "healthtop/deps.h"
#include "healthtop/replay.h"
#include "healthtop/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct replay r;
    struct timeline tl;
    char err[256], buf[256];

    if (replay_parse(&r, "fuzz", (const char *)data, size, err, sizeof(err)) == 0) {
        replay_seek(&r, replay_end_ms(&r) / 2);
        replay_seek(&r, INT64_MAX);
        (void)deps_summary(&r.sched, buf, sizeof(buf));
        for (size_t i = 0; i < r.sched.nsvcs; i++)
            (void)deps_blocked_text(&r.sched, i, buf, sizeof(buf));
        timeline_build(&tl, &r.sched, r.sched.t0_ms + replay_end_ms(&r), false);
        timeline_free(&tl);
        replay_seek(&r, 0);
    }
    replay_free(&r);
    return 0;
}
