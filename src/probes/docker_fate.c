/* Whether a service's containers can still come up, from what the
 * listing says of them and the restart policy the row was given.
 *
 * An exited (or dead) container stays down unless its restart policy
 * starts it again: `always` and `unless-stopped` do; `no` never does;
 * `on-failure` does not after an exit with 0, and after a failure only
 * until its retries are spent, and Docker shows a container it is going
 * to start again as "restarting", never "exited", so an exited one is one
 * it gave up on. A row whose policy is unknown (a healthtop.yml docker
 * row) is never judged hopeless.
 *
 * A job (docker_config.completes: a dependency with condition
 * service_completed_successfully) is meant to exit: done when every
 * container found exited 0, still starting while one runs, hopeless when
 * one exited otherwise and will not run again. */
#include "docker_map.h"

#include <string.h>

static const char *restart_name(enum docker_restart p)
{
    switch (p) {
    case DOCKER_RESTART_NO:
        return "no";
    case DOCKER_RESTART_ON_FAILURE:
        return "on-failure";
    case DOCKER_RESTART_ALWAYS:
        return "always";
    case DOCKER_RESTART_UNLESS_STOPPED:
        return "unless-stopped";
    default:
        return "?";
    }
}

static bool ended(const struct docker_ctr *c)
{
    return strcmp(c->state, "exited") == 0 || strcmp(c->state, "dead") == 0;
}

/* An ended container the engine will not start again. */
static bool stays_down(const struct docker_ctr *c, enum docker_restart p)
{
    return ended(c) && (p == DOCKER_RESTART_NO || p == DOCKER_RESTART_ON_FAILURE);
}

void docker_fate(const struct docker_ctr *c, size_t n, const struct docker_config *dc, int replicas,
                 struct probe_result *r)
{
    const struct docker_ctr *gone = NULL;
    int found = 0, done = 0;
    char was[PROBE_MSG_MAX];

    r->hopeless = false;
    for (size_t i = 0; i < n; i++) {
        if (!docker_ctr_matches(&c[i], dc))
            continue;
        found++;
        if (dc->completes && ended(&c[i]) && c[i].exit_code == 0)
            done++;
        else if (gone == NULL && stays_down(&c[i], dc->restart))
            gone = &c[i];
    }
    if (dc->completes && found > 0 && done == found) {
        r->ok = true;
        r->up = done;
        r->starting = false;
        r->healthy_wall_ms = 0;
        ht_snprintf(r->message, sizeof(r->message), "completed (exit 0)");
        return;
    }
    if (dc->completes && gone == NULL && r->up > 0) {
        /* A job still running has not done its work yet. */
        r->ok = false;
        r->up = 0;
        r->starting = true;
        r->engine_verdict = false;
        ht_strlcpy(r->message, "running, not completed yet", sizeof(r->message));
        return;
    }
    if (gone == NULL || (!dc->completes && r->up >= replicas))
        return;
    r->hopeless = true;
    ht_strlcpy(was, r->message, sizeof(was));
    if (dc->completes)
        ht_snprintf(r->message, sizeof(r->message), "%s: a job that had to exit 0", was);
    else if (dc->restart == DOCKER_RESTART_ON_FAILURE && gone->exit_code != 0)
        ht_snprintf(r->message, sizeof(r->message), "%s, and restart: on-failure gave up", was);
    else
        ht_snprintf(r->message, sizeof(r->message), "%s, and restart: %s will not start it again",
                    was, restart_name(dc->restart));
}
