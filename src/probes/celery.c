/* PLACEHOLDER while the celery probe is written in its own branch. */
#include "healthtop/probe.h"

static int start(struct probe *p)
{
    probe_msg(p, "celery probe not built yet");
    return -1;
}

static void cancel(struct probe *p)
{
    (void)p;
}

const struct probe_ops probe_celery_ops = {.kind = PROBE_CELERY, .start = start, .cancel = cancel};
