/* Alertmanager's v2 API: POST /api/v2/alerts with a JSON list of alerts.
 *
 * An alert is its label set: alertname, service, group, severity and
 * root_cause, all fixed when it fires, so that every re-send and the
 * resolution name the same alert. Annotations (message, blocked,
 * summary) may change between sends; Alertmanager keeps the latest.
 * Alertmanager forgets an alert whose endsAt has passed, so a firing one
 * carries an endsAt three repeat intervals ahead and is re-sent every
 * interval (the route's repeat, 1m by default): if healthtop stops, its
 * alerts resolve by themselves. A resolved one carries the moment it
 * resolved as endsAt. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "alerts/receiver.h"

static json_t *alert_json(const struct alert_sink *k, const struct alert_event *ev)
{
    json_t *a = json_object(), *labels = json_object(), *ann = json_object();
    char starts[40], ends[40], text[2048], name[64], blocked[2048] = "";
    int64_t ends_ms = ev->firing ? ev->at_wall_ms + 3 * k->route->repeat_ms : ev->ends_wall_ms;
    const char *st = health_state_name(ev->fired);

    ht_snprintf(name, sizeof(name), "HealthtopService%c%s", st[0] - 'a' + 'A', st + 1);
    json_object_set_new(labels, "alertname", json_string(name));
    json_object_set_new(labels, "service", json_string(ev->service));
    if (ev->group[0])
        json_object_set_new(labels, "group", json_string(ev->group));
    json_object_set_new(labels, "severity", json_string(alert_severity(ev->fired)));
    json_object_set_new(labels, "root_cause", json_string(ev->root_cause ? "true" : "false"));
    alert_event_text(ev, text, sizeof(text));
    for (size_t i = 0; i < ev->nblocked; i++) {
        size_t len = strlen(blocked);
        ht_snprintf(blocked + len, sizeof(blocked) - len, "%s%s", i ? ", " : "", ev->blocked[i]);
    }
    json_object_set_new(ann, "summary", json_string(text));
    json_object_set_new(ann, "message", json_string(ev->message));
    json_object_set_new(ann, "blocked", json_string(blocked));
    ht_time_rfc3339(ev->starts_wall_ms, starts, sizeof(starts));
    ht_time_rfc3339(ends_ms, ends, sizeof(ends));
    json_object_set_new(a, "labels", labels);
    json_object_set_new(a, "annotations", ann);
    json_object_set_new(a, "startsAt", json_string(starts));
    json_object_set_new(a, "endsAt", json_string(ends));
    return a;
}

static void am_send(struct alert_sink *k, struct alert_event *const *ev, size_t n)
{
    json_t *list = json_array();
    size_t len = strlen(k->route->url);
    char *url = xmalloc(len + sizeof("/api/v2/alerts")), *body;

    while (len > 0 && k->route->url[len - 1] == '/')
        len--;
    memcpy(url, k->route->url, len);
    memcpy(url + len, "/api/v2/alerts", sizeof("/api/v2/alerts"));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, alert_json(k, ev[i]));
    body = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (body == NULL)
        alert_sink_done(k, false, "cannot build the JSON");
    else
        alert_http_post(k, url, body);
    free(url);
}

const struct alert_receiver_ops alert_alertmanager_ops = {
    .batch = ALERTS_BATCH_MAX,
    .send = am_send,
    .cancel = alert_http_cancel,
};
