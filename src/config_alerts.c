/* alerts: a list of routes, each naming one receiver by its key
 * (alertmanager: URL, webhook: URL, exec: [argv]) and choosing, with
 * optional keys, which state changes reach it:
 *
 *   - alertmanager: http://127.0.0.1:9093
 *     for: 30s
 *     states: [unhealthy]
 *   - webhook: https://chat.example/hooks/T0
 *     headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
 *   - exec: [/usr/local/bin/page-oncall, --team, storage]
 *     timeout: 10s
 *
 * Every mistake is recorded with its line and column; URLs and header
 * values are registered as secrets before anything could print them. */
#include "config_alerts.h"

#include <stdlib.h>
#include <string.h>
#include "config_probe.h"
#include "healthtop/health.h"

static const char *const kind_names[ALERT_KIND_COUNT] = {
    [ALERT_ALERTMANAGER] = "alertmanager", [ALERT_WEBHOOK] = "webhook", [ALERT_EXEC] = "exec"};

static const char *const route_keys[] = {"alertmanager", "webhook",    "exec",    "for",
                                         "repeat",       "resolved",   "states",  "services",
                                         "groups",       "root_cause", "headers", "timeout"};

const char *alert_kind_name(enum alert_kind k)
{
    return (unsigned)k < ALERT_KIND_COUNT ? kind_names[k] : "unknown";
}

/* The states a route may fire on: healthy and unknown are no trouble. */
static int state_check(struct ydoc *d, yaml_node_t *n, const char *what, const char *value)
{
    for (int s = 0; s < HEALTH_STATE_COUNT; s++)
        if (s != HEALTH_HEALTHY && s != HEALTH_UNKNOWN &&
            strcmp(value, health_state_name((enum health_state)s)) == 0)
            return 0;
    (void)what;
    ydoc_error(d, n, "states: '%s' is none of unhealthy, degraded, starting, skipped", value);
    return -1;
}

static unsigned parse_states(struct ydoc *d, yaml_node_t *n)
{
    char **v = NULL;
    size_t nv = 0;
    unsigned bits = 0;

    if (config_str_list(d, n, "states", state_check, &v, &nv) == 0 && nv == 0)
        ydoc_error(d, n, "states: name at least one state");
    for (size_t i = 0; i < nv; i++)
        for (int s = 0; s < HEALTH_STATE_COUNT; s++)
            if (strcmp(v[i], health_state_name((enum health_state)s)) == 0)
                bits |= 1u << s;
    config_free_list(v, nv);
    return bits;
}

/* The receiver's key: its URL or its argv. */
static void parse_receiver(struct ydoc *d, const struct ypair *p, struct alert_route *r)
{
    if (r->kind != ALERT_KIND_COUNT) {
        ydoc_error(d, p->key,
                   "a route has one receiver: %s already names one here, so '%s' "
                   "goes in a route of its own",
                   kind_names[r->kind], p->name);
        return;
    }
    for (int k = 0; k < ALERT_KIND_COUNT; k++)
        if (strcmp(p->name, kind_names[k]) == 0)
            r->kind = (enum alert_kind)k;
    if (r->kind == ALERT_EXEC) {
        if (!ydoc_is_seq(p->value) || ydoc_nitems(p->value) == 0) {
            ydoc_error(d, p->value,
                       "exec takes a list (argv, run without a shell), e.g. "
                       "exec: [/usr/local/bin/page-oncall, --team, storage]");
            return;
        }
        (void)config_str_list(d, p->value, "an exec argument", NULL, &r->argv, &r->argc);
        r->argv = xrealloc(r->argv, (r->argc + 1) * sizeof(*r->argv));
        r->argv[r->argc] = NULL;
        return;
    }
    r->url = ydoc_str(d, p->value, p->name);
    if (r->url != NULL)
        (void)config_http_url(d, p->value, "URL", r->url);
}

static void parse_option(struct ydoc *d, const struct ypair *p, struct alert_route *r)
{
    const char *k = p->name;

    if (strcmp(k, "for") == 0)
        (void)ydoc_duration(d, p->value, "for", 0, &r->for_ms);
    else if (strcmp(k, "repeat") == 0)
        (void)ydoc_duration(d, p->value, "repeat", 1000, &r->repeat_ms);
    else if (strcmp(k, "timeout") == 0)
        (void)ydoc_duration(d, p->value, "timeout", 100, &r->timeout_ms);
    else if (strcmp(k, "resolved") == 0)
        (void)ydoc_bool(d, p->value, "resolved", &r->resolved);
    else if (strcmp(k, "root_cause") == 0)
        (void)ydoc_bool(d, p->value, "root_cause", &r->root_cause);
    else if (strcmp(k, "states") == 0)
        r->states = parse_states(d, p->value);
    else if (strcmp(k, "services") == 0)
        (void)config_str_list(d, p->value, "a service glob", NULL, &r->services, &r->nservices);
    else if (strcmp(k, "groups") == 0)
        (void)config_str_list(d, p->value, "a group glob", NULL, &r->groups, &r->ngroups);
    else if (strcmp(k, "headers") == 0)
        config_headers(d, p->value, &r->headers, &r->nheaders);
    else
        ydoc_unknown_key(d, p, "an alerts route", route_keys, HT_ARRAY_LEN(route_keys));
}

static void parse_route(struct ydoc *d, yaml_node_t *n, struct alert_route *r)
{
    const struct ypair *headers = NULL, *repeat = NULL;
    struct ypair *pairs;
    size_t np;

    r->kind = ALERT_KIND_COUNT;
    r->states = 1u << HEALTH_UNHEALTHY;
    r->timeout_ms = ALERT_DEFAULT_TIMEOUT_MS;
    r->resolved = r->root_cause = true;
    r->line = n->start_mark.line + 1;
    if (ydoc_pairs(d, n, &pairs, &np) != 0) {
        if (!ydoc_is_map(n))
            ydoc_error(d, n,
                       "an alerts route must be a mapping that names its receiver: "
                       "- alertmanager: URL, - webhook: URL or - exec: [argv], not %s",
                       ydoc_type_name(n));
        return;
    }
    for (size_t i = 0; i < np; i++) {
        const struct ypair *p = &pairs[i];
        if (strcmp(p->name, "alertmanager") == 0 || strcmp(p->name, "webhook") == 0 ||
            strcmp(p->name, "exec") == 0) {
            parse_receiver(d, p, r);
            continue;
        }
        if (strcmp(p->name, "headers") == 0)
            headers = p;
        else if (strcmp(p->name, "repeat") == 0)
            repeat = p;
        parse_option(d, p, r);
    }
    if (r->kind == ALERT_KIND_COUNT)
        ydoc_error(d, n,
                   "this alerts route names no receiver: give it alertmanager: URL, "
                   "webhook: URL or exec: [argv]");
    else if (r->kind == ALERT_EXEC && headers != NULL)
        ydoc_error(d, headers->key, "headers go with alertmanager and webhook, not exec");
    if (r->kind == ALERT_ALERTMANAGER && repeat == NULL)
        r->repeat_ms = ALERT_DEFAULT_RESEND_MS;
    free(pairs);
}

void config_alerts_parse(struct ydoc *d, yaml_node_t *n, struct ht_config *cfg)
{
    size_t count;

    if (ydoc_is_null(n))
        return;
    if (!ydoc_is_seq(n)) {
        ydoc_error(d, n, "alerts must be a list of routes (- alertmanager: URL, ...), not %s",
                   ydoc_type_name(n));
        return;
    }
    count = ydoc_nitems(n);
    cfg->alerts = xcalloc(count ? count : 1, sizeof(*cfg->alerts));
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = ydoc_item(d, n, i);
        if (item == NULL)
            break;
        parse_route(d, item, &cfg->alerts[cfg->nalerts++]);
    }
}

void config_alerts_free(struct ht_config *cfg)
{
    for (size_t i = 0; i < cfg->nalerts; i++) {
        struct alert_route *r = &cfg->alerts[i];
        free(r->url);
        config_free_list(r->argv, r->argc);
        for (size_t j = 0; j < r->nheaders; j++) {
            free(r->headers[j].key);
            free(r->headers[j].value);
        }
        free(r->headers);
        config_free_list(r->services, r->nservices);
        config_free_list(r->groups, r->ngroups);
    }
    free(cfg->alerts);
    cfg->alerts = NULL;
    cfg->nalerts = 0;
}
