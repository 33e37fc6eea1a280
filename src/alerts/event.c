/* What every receiver says about a notification: its one-line text and
 * its severity. */
#include <string.h>
#include "alerts/receiver.h"

const char *alert_severity(enum health_state fired)
{
    return fired == HEALTH_UNHEALTHY ? "critical" : "warning";
}

void alert_event_text(const struct alert_event *ev, char *buf, size_t n)
{
    size_t len;

    if (!ev->firing && ev->route_gone) {
        ht_snprintf(buf, n, "%s: this route is gone from the config (was %s)", ev->service,
                    health_state_name(ev->fired));
        return;
    }
    if (!ev->firing && ev->state == HEALTH_UNKNOWN) {
        ht_snprintf(buf, n, "%s is gone from the config (was %s)", ev->service,
                    health_state_name(ev->fired));
        return;
    }
    if (!ev->firing) {
        ht_snprintf(buf, n, "%s is %s now (was %s)", ev->service, health_state_name(ev->state),
                    health_state_name(ev->fired));
        return;
    }
    ht_snprintf(buf, n, "%s is %s (was %s)%s%s", ev->service, health_state_name(ev->state),
                health_state_name(ev->previous), ev->message[0] ? ": " : "", ev->message);
    for (size_t i = 0; i < ev->nblocked; i++) {
        len = strlen(buf);
        ht_snprintf(buf + len, n - len, "%s%s", i == 0 ? "; blocks " : ", ", ev->blocked[i]);
    }
}
