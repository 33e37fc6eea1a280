/* PLACEHOLDER while the redis probe is written in its own branch. */
#include "healthtop/probe.h"

static int start(struct probe *p)
{
    probe_msg(p, "redis probe not built yet");
    return -1;
}

static void cancel(struct probe *p)
{
    (void)p;
}

const struct probe_ops probe_redis_ops = {.kind = PROBE_REDIS, .start = start, .cancel = cancel};
