/* The health state machine: Docker's healthcheck semantics, per service. */
#include "healthtop/health.h"

static const char *const names[HEALTH_STATE_COUNT] = {
    [HEALTH_UNKNOWN] = "unknown",   [HEALTH_STARTING] = "starting",   [HEALTH_HEALTHY] = "healthy",
    [HEALTH_DEGRADED] = "degraded", [HEALTH_UNHEALTHY] = "unhealthy", [HEALTH_SKIPPED] = "skipped",
};

static const char *const shouts[HEALTH_STATE_COUNT] = {
    [HEALTH_UNKNOWN] = "UNKNOWN",     [HEALTH_STARTING] = "STARTING",
    [HEALTH_HEALTHY] = "HEALTHY",     [HEALTH_DEGRADED] = "DEGRADED",
    [HEALTH_UNHEALTHY] = "UNHEALTHY", [HEALTH_SKIPPED] = "NOT RUNNING",
};

const char *health_state_name(enum health_state s)
{
    return (unsigned)s < HEALTH_STATE_COUNT ? names[s] : "?";
}

const char *health_state_shout(enum health_state s)
{
    return (unsigned)s < HEALTH_STATE_COUNT ? shouts[s] : "?";
}

int health_severity(enum health_state s)
{
    static const int sev[HEALTH_STATE_COUNT] = {
        [HEALTH_UNHEALTHY] = 5, [HEALTH_DEGRADED] = 4, [HEALTH_STARTING] = 3,
        [HEALTH_UNKNOWN] = 2,   [HEALTH_HEALTHY] = 1,  [HEALTH_SKIPPED] = 0,
    };
    return (unsigned)s < HEALTH_STATE_COUNT ? sev[s] : 0;
}

bool health_is_up(enum health_state s)
{
    return s == HEALTH_HEALTHY || s == HEALTH_DEGRADED || s == HEALTH_SKIPPED;
}

/* One result judged on its own. Replicas decide first: a service scaled
 * to zero with nothing answering is skipped, none up is a failure, some
 * but fewer than expected is degraded. Only then does latency matter.
 * A probe that finds its replicas may also say, through ok, that nothing
 * running is as intended (a prometheus query with empty: scaled_to_zero:
 * ok with none up) or that some it found are down although enough are up
 * (a prometheus series at 0: not ok with up >= expected); for the other
 * kinds ok says no more than up and expected already do. */
enum health_state health_verdict(const struct svc_config *svc, const struct probe_result *r)
{
    int expected = svc->replicas;

    if ((expected == 0 || r->ok) && r->up <= 0)
        return HEALTH_SKIPPED;
    if (r->up <= 0)
        return r->starting ? HEALTH_STARTING : HEALTH_UNHEALTHY;
    if (r->up < expected || !r->ok)
        return HEALTH_DEGRADED;
    return r->slow ? HEALTH_DEGRADED : HEALTH_HEALTHY;
}

void health_init(struct health *h, int64_t now_ms)
{
    h->state = HEALTH_UNKNOWN;
    h->failures = 0;
    h->up = 0;
    h->expected = 0;
    h->started_ms = now_ms;
    h->since_ms = now_ms;
    h->first_seen_ms = -1;
    h->first_healthy_ms = -1;
    h->down_began_ms = -1;
    h->results = 0;
}

/* A wall clock time the target gave, on the monotonic clock of now_ms;
 * now_ms when it is unknown or says the future. */
static int64_t target_time(int64_t wall_ms, int64_t now_ms)
{
    int64_t ago = wall_ms > 0 ? ht_wall_ms() - wall_ms : 0;

    if (ago <= 0)
        return now_ms;
    return ago < now_ms ? now_ms - ago : 0; /* -1 would read "not yet" */
}

/* Applies state s for a result of a probe that began at began_ms. The
 * first result and the first healthy one are dated by the target's own
 * times when it gives them (a container's start, its health log): a stack
 * that was up before healthtop shows when it came up, not when we looked. */
static bool record(struct health *h, enum health_state s, const struct probe_result *r,
                   int64_t began_ms, int64_t now_ms)
{
    bool changed = s != h->state;

    h->results++;
    h->up = r->up;
    if (h->first_seen_ms < 0)
        h->first_seen_ms = target_time(r->began_wall_ms, now_ms);
    /* Degraded (too slow, or fewer replicas than expected) is not healthy:
     * not in the timeline, the JSON or --wait's verdict. */
    if (h->first_healthy_ms < 0 && s != HEALTH_HEALTHY)
        h->down_began_ms = began_ms;
    if (h->first_healthy_ms < 0 && s == HEALTH_HEALTHY) {
        h->first_healthy_ms = target_time(r->healthy_wall_ms, now_ms);
        if (h->first_healthy_ms < h->first_seen_ms)
            h->first_healthy_ms = h->first_seen_ms;
    }
    if (changed) {
        h->state = s;
        h->since_ms = now_ms;
    }
    return changed;
}

bool health_set(struct health *h, enum health_state s, const struct probe_result *r, int64_t now_ms)
{
    return record(h, s, r, now_ms, now_ms);
}

/* Docker's rules (moby's daemon/health.go): a failure of a probe that
 * began inside start_period does not count while the service is still
 * starting; once it has been up, every failure counts. Failures that
 * count make an up service unhealthy after `retries` in a row, and keep a
 * never-up one "starting" until then. */
bool health_apply_at(struct health *h, const struct svc_config *svc, const struct probe_result *r,
                     int64_t began_ms, int64_t now_ms)
{
    enum health_state v = health_verdict(svc, r);
    enum health_state next = v;

    h->expected = svc->replicas;
    if (r->engine_verdict) {
        /* Docker applied its healthcheck's retries and start period
         * already: applying ours on top kept a failed container healthy
         * for more probes. */
        h->failures = v == HEALTH_UNHEALTHY ? h->failures + 1 : 0;
    } else if (v == HEALTH_UNHEALTHY) {
        bool starting = h->state == HEALTH_UNKNOWN || h->state == HEALTH_STARTING;
        bool forgiven = starting && began_ms - h->started_ms < svc->start_period_ms;
        if (!forgiven && ++h->failures >= svc->retries)
            next = HEALTH_UNHEALTHY;
        else
            next = h->state == HEALTH_UNKNOWN ? HEALTH_STARTING : h->state;
    } else {
        h->failures = 0;
    }
    return record(h, next, r, began_ms, now_ms);
}

bool health_apply(struct health *h, const struct svc_config *svc, const struct probe_result *r,
                  int64_t now_ms)
{
    return health_apply_at(h, svc, r, now_ms, now_ms);
}
