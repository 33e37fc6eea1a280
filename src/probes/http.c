/* PLACEHOLDER while the http probe is written in its own branch. */
#include "healthtop/probe.h"

static int start(struct probe *p)
{
    probe_msg(p, "http probe not built yet");
    return -1;
}

static void cancel(struct probe *p)
{
    (void)p;
}

const struct probe_ops probe_http_ops = {.kind = PROBE_HTTP, .start = start, .cancel = cancel};
