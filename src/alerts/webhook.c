/* The webhook: one JSON POST per delivery, the notifications of the
 * batch in "alerts" and all of them in one "text" for chat services that
 * show a text field (Slack, Mattermost, Rocket.Chat, ...). The schema is
 * in doc/alerts.md; a change to it is a change of "version". */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "alerts/receiver.h"

#define WEBHOOK_BATCH    64
#define WEBHOOK_TEXT_MAX 16384

static json_t *alert_json(const struct alert_event *ev)
{
    json_t *a = json_object(), *blocked = json_array();
    char t[40];

    json_object_set_new(a, "status", json_string(ev->firing ? "firing" : "resolved"));
    json_object_set_new(a, "service", json_string(ev->service));
    json_object_set_new(a, "group", json_string(ev->group));
    json_object_set_new(a, "kind", json_string(ev->kind));
    json_object_set_new(a, "state", json_string(health_state_name(ev->state)));
    json_object_set_new(a, "previous", json_string(health_state_name(ev->previous)));
    json_object_set_new(a, "severity", json_string(alert_severity(ev->fired)));
    json_object_set_new(a, "message", json_string(ev->message));
    for (size_t i = 0; i < ev->nblocked; i++)
        json_array_append_new(blocked, json_string(ev->blocked[i]));
    json_object_set_new(a, "blocked", blocked);
    json_object_set_new(a, "root_cause", json_boolean(ev->root_cause));
    ht_time_rfc3339(ev->starts_wall_ms, t, sizeof(t));
    json_object_set_new(a, "starts_at", json_string(t));
    if (ev->firing) {
        json_object_set_new(a, "ends_at", json_null());
    } else {
        ht_time_rfc3339(ev->ends_wall_ms, t, sizeof(t));
        json_object_set_new(a, "ends_at", json_string(t));
    }
    return a;
}

static void webhook_send(struct alert_sink *k, struct alert_event *const *ev, size_t n)
{
    json_t *doc = json_object(), *list = json_array();
    char *text = xmalloc(WEBHOOK_TEXT_MAX), line[2048], *body;
    size_t len = 0;

    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, alert_json(ev[i]));
        alert_event_text(ev[i], line, sizeof(line));
        ht_snprintf(text + len, WEBHOOK_TEXT_MAX - len, "%s%s %s", len ? "\n" : "",
                    ev[i]->firing ? "FIRING" : "RESOLVED", line);
        len += strlen(text + len);
    }
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "source", json_string("healthtop"));
    json_object_set_new(doc, "text", json_string(text));
    json_object_set_new(doc, "alerts", list);
    body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    free(text);
    if (body == NULL)
        alert_sink_done(k, false, "cannot build the JSON");
    else
        alert_http_post(k, k->route->url, body);
}

const struct alert_receiver_ops alert_webhook_ops = {
    .batch = WEBHOOK_BATCH,
    .send = webhook_send,
    .cancel = alert_http_cancel,
};
