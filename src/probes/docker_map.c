/* Docker Engine API answers -> container states -> a probe result. */
#include "docker_map.h"

#include "healthtop/text.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_SERVICE "com.docker.compose.service"
#define LABEL_PROJECT "com.docker.compose.project"
#define LABEL_ONEOFF  "com.docker.compose.oneoff"

/* Copies a string member of o into dst, "" when absent or not a string. */
/* A string field of the engine's JSON, made safe to print (text.h). */
static bool copy_str(json_t *o, const char *key, char *dst, size_t n)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);

    text_safe(dst, n, s, s ? json_string_length(v) : 0);
    return s != NULL;
}

/* The number in "Exited (3) 2 hours ago" or "Restarting (1) 5 seconds
 * ago", or -1. */
static int status_code(const char *status)
{
    const char *open = strchr(status, '(');
    char *end;

    if (open == NULL || !isdigit((unsigned char)open[1]))
        return -1;
    long v = strtol(open + 1, &end, 10);
    if (*end != ')' || v > 255)
        return -1;
    return (int)v;
}

/* Docker appends the health to Status; Podman's compatible listing never does. */
static enum docker_health status_health(const char *status)
{
    size_t n = strlen(status);
    static const struct {
        const char *suffix;
        enum docker_health h;
    } map[] = {
        {"(healthy)", DOCKER_HEALTH_HEALTHY},
        {"(unhealthy)", DOCKER_HEALTH_UNHEALTHY},
        {"(health: starting)", DOCKER_HEALTH_STARTING},
    };

    for (size_t i = 0; i < HT_ARRAY_LEN(map); i++) {
        size_t k = strlen(map[i].suffix);
        if (n >= k && strcmp(status + n - k, map[i].suffix) == 0)
            return map[i].h;
    }
    return DOCKER_HEALTH_UNKNOWN;
}

/* Old engines may lack State: take it from the first word of Status. */
static void state_from_status(const char *status, char *state, size_t n)
{
    static const char *const words[][2] = {
        {"Up", "running"},       {"Exited", "exited"},
        {"Created", "created"},  {"Restarting", "restarting"},
        {"Removal", "removing"}, {"Dead", "dead"},
    };
    for (size_t i = 0; i < HT_ARRAY_LEN(words); i++)
        if (strncmp(status, words[i][0], strlen(words[i][0])) == 0) {
            ht_strlcpy(state, words[i][1], n);
            return;
        }
    ht_strlcpy(state, "unknown", n);
}

/* Podman's own listing gives the health alone in Status: the word, or
 * "" for a container without a healthcheck. */
static enum docker_health libpod_health(const char *status)
{
    if (status[0] == '\0')
        return DOCKER_HEALTH_NONE;
    if (strcmp(status, "healthy") == 0)
        return DOCKER_HEALTH_HEALTHY;
    if (strcmp(status, "unhealthy") == 0)
        return DOCKER_HEALTH_UNHEALTHY;
    if (strcmp(status, "starting") == 0)
        return DOCKER_HEALTH_STARTING;
    return DOCKER_HEALTH_UNKNOWN;
}

/* Podman's states in Docker's words: configured is created, stopped is
 * exited (Podman's own compatible listing says the same). */
static void libpod_state(char *state)
{
    if (strcmp(state, "configured") == 0)
        ht_strlcpy(state, "created", sizeof(((struct docker_ctr *)0)->state));
    else if (strcmp(state, "stopped") == 0)
        ht_strlcpy(state, "exited", sizeof(((struct docker_ctr *)0)->state));
}

/* The same container from Podman's listing (/libpod/containers/json):
 * Status is the health, ExitCode a field, Created an RFC 3339 time. */
static void map_one_libpod(json_t *o, struct docker_ctr *c)
{
    char status[128];
    json_t *labels = json_object_get(o, "Labels");
    const char *name = json_string_value(json_array_get(json_object_get(o, "Names"), 0));
    json_t *created = json_object_get(o, "Created");
    json_t *code = json_object_get(o, "ExitCode");

    memset(c, 0, sizeof(*c));
    copy_str(o, "Id", c->id, sizeof(c->id));
    text_safe_str(c->name, sizeof(c->name), name ? name + (name[0] == '/') : c->id);
    c->has_service = copy_str(labels, LABEL_SERVICE, c->service, sizeof(c->service));
    c->has_project = copy_str(labels, LABEL_PROJECT, c->project, sizeof(c->project));
    copy_str(o, "Status", status, sizeof(status));
    if (!copy_str(o, "State", c->state, sizeof(c->state)) || c->state[0] == '\0')
        ht_strlcpy(c->state, "unknown", sizeof(c->state));
    libpod_state(c->state);
    c->exit_code = -1;
    if (strcmp(c->state, "exited") == 0 && json_is_integer(code) && json_integer_value(code) >= 0 &&
        json_integer_value(code) <= 255)
        c->exit_code = (int)json_integer_value(code);
    if (json_is_string(created))
        c->created = docker_time_ms(json_string_value(created)) / 1000;
    c->health = libpod_health(status);
    if (strcmp(c->state, "running") != 0)
        c->health = DOCKER_HEALTH_NONE;
}

static void map_one(json_t *o, struct docker_ctr *c)
{
    char status[128];
    json_t *labels = json_object_get(o, "Labels");
    json_t *names = json_object_get(o, "Names");
    const char *name = json_string_value(json_array_get(names, 0));

    memset(c, 0, sizeof(*c));
    copy_str(o, "Id", c->id, sizeof(c->id));
    text_safe_str(c->name, sizeof(c->name), name ? name + (name[0] == '/') : c->id);
    c->has_service = copy_str(labels, LABEL_SERVICE, c->service, sizeof(c->service));
    c->has_project = copy_str(labels, LABEL_PROJECT, c->project, sizeof(c->project));
    {
        char oneoff[8];
        c->oneoff =
            copy_str(labels, LABEL_ONEOFF, oneoff, sizeof(oneoff)) && strcmp(oneoff, "True") == 0;
    }
    copy_str(o, "Status", status, sizeof(status));
    if (!copy_str(o, "State", c->state, sizeof(c->state)) || c->state[0] == '\0')
        state_from_status(status, c->state, sizeof(c->state));
    c->exit_code = status_code(status);
    /* Unix seconds; past the year 3000 it is garbage, and * 1000 (to
     * milliseconds) would overflow: unknown (found by fuzz_docker_map). */
    if (json_is_integer(json_object_get(o, "Created")) &&
        json_integer_value(json_object_get(o, "Created")) > 0 &&
        json_integer_value(json_object_get(o, "Created")) < 32503680000LL)
        c->created = (int64_t)json_integer_value(json_object_get(o, "Created"));
    c->health = status_health(status);
    if (c->health == DOCKER_HEALTH_UNKNOWN && strcmp(c->state, "running") != 0)
        c->health = DOCKER_HEALTH_NONE;
}

static int map_list(const char *json, size_t len, bool libpod, struct docker_ctr **out, size_t *n,
                    char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);

    *out = NULL;
    *n = 0;
    if (root == NULL) {
        ht_snprintf(err, errlen, "bad JSON from the engine: %s", jerr.text);
        return -1;
    }
    if (!json_is_array(root)) {
        json_t *msg = json_object_get(root, "message");
        ht_snprintf(err, errlen, "engine: %s",
                    json_is_string(msg) ? json_string_value(msg) : "not a container list");
        json_decref(root);
        return -1;
    }
    size_t cnt = json_array_size(root);
    if (cnt > 0)
        *out = xcalloc(cnt, sizeof(**out));
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(root, i);
        if (json_is_object(o) && libpod)
            map_one_libpod(o, &(*out)[(*n)++]);
        else if (json_is_object(o))
            map_one(o, &(*out)[(*n)++]);
    }
    json_decref(root);
    return 0;
}

int docker_map_list(const char *json, size_t len, struct docker_ctr **out, size_t *n, char *err,
                    size_t errlen)
{
    return map_list(json, len, false, out, n, err, errlen);
}

int docker_map_list_libpod(const char *json, size_t len, struct docker_ctr **out, size_t *n,
                           char *err, size_t errlen)
{
    return map_list(json, len, true, out, n, err, errlen);
}

/* Health-log output on one line, trimmed (checks print newlines), then
 * made safe to print: masked, escaped and cut, in that order. */
static void one_line(const char *s, char *dst, size_t n)
{
    char *line = xmalloc(strlen(s) + 1);
    size_t j = 0;
    bool space = false;

    while (*s && isspace((unsigned char)*s))
        s++;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isspace(ch)) {
            space = true;
            continue;
        }
        if (space && j > 0)
            line[j++] = ' ';
        space = false;
        line[j++] = (char)ch;
    }
    line[j] = '\0';
    text_safe_str(dst, n, line);
    free(line);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The n digits at s as a number, or -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t docker_time_ms(const char *s)
{
    int y, mo, d, h, mi, sec;
    int64_t ms = 0, t;

    /* YYYY-MM-DDTHH:MM:SS, each field at its place. */
    if (s == NULL || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return 0;
    y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 60)
        return 0;
    s += 19;
    if (*s == '.') {
        int nd = 0;
        for (s++; isdigit((unsigned char)*s); s++)
            if (nd++ < 3)
                ms = ms * 10 + (*s - '0');
        if (nd == 0)
            return 0;
        for (; nd < 3; nd++)
            ms *= 10;
    }
    t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
    if (*s == '+' || *s == '-') {
        int oh = digits(s + 1, 2), om = oh < 0 || s[3] != ':' ? -1 : digits(s + 4, 2);
        if (oh < 0 || om < 0 || s[6] != '\0' || oh > 23 || om > 59)
            return 0;
        t -= (*s == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else if (strcmp(s, "Z") != 0) {
        return 0;
    }
    return t > 0 ? t * 1000 + ms : 0;
}

/* Docker keeps the last five results of a healthcheck (moby's
 * maxLogEntries); Podman as many or more. */
#define HEALTH_LOG_KEPT 5

/* When c became healthy, from its health log: the end of the first
 * passing check since it started, when the log still holds every check
 * since then (fewer than HEALTH_LOG_KEPT entries, or an entry from before
 * that start); 0 otherwise. */
static int64_t healthy_since(json_t *log, int64_t started_ms)
{
    size_t n = json_array_size(log);
    bool whole = n < HEALTH_LOG_KEPT;

    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(log, i);
        int64_t start = docker_time_ms(json_string_value(json_object_get(e, "Start")));
        int64_t end = docker_time_ms(json_string_value(json_object_get(e, "End")));
        json_t *code = json_object_get(e, "ExitCode");
        if (start > 0 && start < started_ms) {
            whole = true; /* from before the start: what follows is all of it */
            continue;
        }
        if (whole && json_is_integer(code) && json_integer_value(code) == 0 && end >= started_ms)
            return end;
    }
    return 0;
}

int docker_map_inspect(const char *json, size_t len, struct docker_ctr *c)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *state = json_object_get(root, "State");

    if (!json_is_object(state)) {
        json_decref(root);
        return -1;
    }
    json_t *code = json_object_get(state, "ExitCode");
    if (c->exit_code < 0 && json_is_integer(code) && strcmp(c->state, "running") != 0)
        c->exit_code = (int)json_integer_value(code);

    json_t *health = json_object_get(state, "Health");
    const char *hs = json_string_value(json_object_get(health, "Status"));
    if (hs == NULL || hs[0] == '\0' || strcmp(hs, "none") == 0)
        c->health = DOCKER_HEALTH_NONE;
    else if (strcmp(hs, "healthy") == 0)
        c->health = DOCKER_HEALTH_HEALTHY;
    else if (strcmp(hs, "starting") == 0)
        c->health = DOCKER_HEALTH_STARTING;
    else
        c->health = DOCKER_HEALTH_UNHEALTHY;
    json_t *streak = json_object_get(health, "FailingStreak");
    if (json_is_integer(streak))
        c->failing_streak = (int)json_integer_value(streak);
    json_t *log = json_object_get(health, "Log");
    size_t nlog = json_array_size(log);
    const char *outp =
        nlog ? json_string_value(json_object_get(json_array_get(log, nlog - 1), "Output")) : NULL;
    one_line(outp ? outp : "", c->output, sizeof(c->output));
    if (strcmp(c->state, "running") == 0) {
        c->started_ms = docker_time_ms(json_string_value(json_object_get(state, "StartedAt")));
        if (c->started_ms > 0 && c->health == DOCKER_HEALTH_NONE)
            c->healthy_ms = c->started_ms;
        else if (c->started_ms > 0 && c->health == DOCKER_HEALTH_HEALTHY)
            c->healthy_ms = healthy_since(log, c->started_ms);
    }
    json_decref(root);
    return 0;
}

bool docker_ctr_matches(const struct docker_ctr *c, const struct docker_config *dc)
{
    /* `docker compose run` containers carry the service's labels too, but
     * they are one-off jobs, not the service's replicas. */
    if (c->oneoff)
        return false;
    if (dc->service && (!c->has_service || strcmp(c->service, dc->service) != 0))
        return false;
    if (dc->project && (!c->has_project || strcmp(c->project, dc->project) != 0))
        return false;
    return true;
}

bool docker_ctr_needs_inspect(const struct docker_ctr *c)
{
    return strcmp(c->state, "running") == 0 &&
           (c->health == DOCKER_HEALTH_UNKNOWN || c->health == DOCKER_HEALTH_UNHEALTHY);
}

static bool ctr_up(const struct docker_ctr *c)
{
    return strcmp(c->state, "running") == 0 &&
           (c->health == DOCKER_HEALTH_NONE || c->health == DOCKER_HEALTH_HEALTHY ||
            c->health == DOCKER_HEALTH_UNKNOWN);
}

/* How bad a container that is not up is: the worst one names the
 * service's trouble in the message. */
static int ctr_rank(const struct docker_ctr *c)
{
    static const char *const order[] = {"restarting", "dead",     "exited",
                                        "paused",     "removing", "created"};
    if (c->health == DOCKER_HEALTH_UNHEALTHY && strcmp(c->state, "running") == 0)
        return 0;
    for (size_t i = 0; i < HT_ARRAY_LEN(order); i++)
        if (strcmp(c->state, order[i]) == 0)
            return 1 + (int)i;
    if (c->health == DOCKER_HEALTH_STARTING)
        return 8;
    return 7;
}

/* "running (healthy)", "health: starting", "unhealthy: db down",
 * "exited (1)", "paused". */
static void ctr_word(const struct docker_ctr *c, char *dst, size_t n)
{
    if (strcmp(c->state, "running") == 0) {
        switch (c->health) {
        case DOCKER_HEALTH_HEALTHY:
            ht_strlcpy(dst, "running (healthy)", n);
            return;
        case DOCKER_HEALTH_STARTING:
            ht_strlcpy(dst, "health: starting", n);
            return;
        case DOCKER_HEALTH_UNHEALTHY:
            ht_snprintf(dst, n, "unhealthy%s%s", c->output[0] ? ": " : "", c->output);
            return;
        default:
            ht_strlcpy(dst, "running", n);
            return;
        }
    }
    if ((strcmp(c->state, "exited") == 0 || strcmp(c->state, "restarting") == 0) &&
        c->exit_code >= 0)
        ht_snprintf(dst, n, "%s (%d)", c->state, c->exit_code);
    else
        ht_strlcpy(dst, c->state, n);
}

static void append(char *dst, size_t n, const char *sep, const char *s)
{
    size_t l = strlen(dst);
    if (l + 1 >= n)
        return;
    ht_snprintf(dst + l, n - l, "%s%s", l ? sep : "", s);
}

static void result_message(const struct docker_ctr *worst, int up, int replicas, bool all_healthy,
                           struct probe_result *r)
{
    char word[PROBE_MSG_MAX];

    if (r->found == 0) {
        ht_strlcpy(r->message, "no containers", sizeof(r->message));
    } else if (r->ok) {
        const char *h = all_healthy ? " (healthy)" : "";
        if (up == 1)
            ht_snprintf(r->message, sizeof(r->message), "running%s", h);
        else
            ht_snprintf(r->message, sizeof(r->message), "%d running%s", up, h);
    } else if (worst != NULL) {
        ctr_word(worst, word, sizeof(word));
        if (up > 0)
            ht_snprintf(r->message, sizeof(r->message), "%d running, %s", up, word);
        else
            ht_strlcpy(r->message, word, sizeof(r->message));
        r->starting = worst->health == DOCKER_HEALTH_STARTING && ctr_rank(worst) == 8;
    } else {
        ht_snprintf(r->message, sizeof(r->message), "%d of %d running", up, replicas);
    }
}

void docker_map_result(const struct docker_ctr *c, size_t n, const struct docker_config *dc,
                       int replicas, struct probe_result *r)
{
    const struct docker_ctr *worst = NULL;
    bool all_healthy = true, healthy_known = true;
    int up = 0, found = 0;
    int64_t healthy_ms = 0;
    char word[PROBE_MSG_MAX], line[PROBE_MSG_MAX + 80];

    r->detail[0] = '\0';
    r->starting = false;
    r->engine_verdict = true;
    for (size_t i = 0; i < n; i++) {
        if (!docker_ctr_matches(&c[i], dc))
            continue;
        found++;
        /* Docker judged it with its own retries only when it runs a
         * healthcheck; a container without one is judged here. */
        if (strcmp(c[i].state, "running") != 0 || c[i].health == DOCKER_HEALTH_NONE ||
            c[i].health == DOCKER_HEALTH_UNKNOWN)
            r->engine_verdict = false;
        if (c[i].created > 0 && (r->since_wall_ms == 0 || c[i].created * 1000 < r->since_wall_ms))
            r->since_wall_ms = c[i].created * 1000;
        if (c[i].started_ms > 0 && (r->began_wall_ms == 0 || c[i].started_ms < r->began_wall_ms))
            r->began_wall_ms = c[i].started_ms;
        if (ctr_up(&c[i])) {
            up++;
            all_healthy = all_healthy && c[i].health == DOCKER_HEALTH_HEALTHY;
            healthy_known = healthy_known && c[i].healthy_ms > 0;
            if (c[i].healthy_ms > healthy_ms)
                healthy_ms = c[i].healthy_ms;
        } else if (worst == NULL || ctr_rank(&c[i]) < ctr_rank(worst)) {
            worst = &c[i];
        }
        ctr_word(&c[i], word, sizeof(word));
        if (c[i].health == DOCKER_HEALTH_UNHEALTHY && c[i].failing_streak > 0)
            ht_snprintf(line, sizeof(line), "%s: %s (failing streak %d)", c[i].name, word,
                        c[i].failing_streak);
        else
            ht_snprintf(line, sizeof(line), "%s: %s", c[i].name, word);
        append(r->detail, sizeof(r->detail), "; ", line);
    }
    r->found = found;
    r->engine_verdict = r->engine_verdict && found > 0;
    r->up = up;
    r->ok = up > 0 && up >= replicas;
    r->healthy_wall_ms = r->ok && healthy_known ? healthy_ms : 0;
    result_message(worst, up, replicas, all_healthy, r);
    docker_fate(c, n, dc, replicas, r);
}
