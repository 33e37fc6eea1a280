/* PLACEHOLDER while the tcp probe is written in its own branch. */
#include "healthtop/probe.h"

static int start(struct probe *p)
{
    probe_msg(p, "tcp probe not built yet");
    return -1;
}

static void cancel(struct probe *p)
{
    (void)p;
}

const struct probe_ops probe_tcp_ops = {.kind = PROBE_TCP, .start = start, .cancel = cancel};
