/* --record: results and state changes as JSON lines. */
#include "healthtop/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "healthtop/report.h"
#include "healthtop/secret.h"
#include "healthtop/util.h"

int record_open(const char *path, struct recorder **out, char *err, size_t n)
{
    struct recorder *rec;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f;

    *out = NULL;
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        ht_snprintf(err, n, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rec = xcalloc(1, sizeof(*rec));
    rec->f = f;
    rec->path = xstrdup(path);
    *out = rec;
    return 0;
}

void record_scrub_json(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j)) {
        char *copy = xstrdup(json_string_value(j));
        secret_scrub(copy, strlen(copy) + 1);
        json_string_set(j, copy);
        free(copy);
    } else if (json_is_object(j)) {
        json_object_foreach(j, key, v) record_scrub_json(v);
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) record_scrub_json(v);
    }
}

/* Scrubs, writes one line, flushes; the first failure is said once. */
static void write_line(struct recorder *rec, json_t *j)
{
    record_scrub_json(j);
    if (json_dumpf(j, rec->f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', rec->f) == EOF || fflush(rec->f) != 0) {
        if (!rec->failed)
            fprintf(stderr, "healthtop: --record %s: %s\n", rec->path, strerror(errno));
        rec->failed = true;
    } else {
        rec->lines++;
    }
}

int record_attach(struct recorder *rec, struct scheduler *s)
{
    json_t *head = json_object(), *svcs = json_array();

    json_object_set_new(head, "healthtop_recording", json_integer(RECORD_FORMAT));
    json_object_set_new(head, "version", json_string(HT_VERSION));
    json_object_set_new(head, "title", json_string(s->cfg->title ? s->cfg->title : ""));
    json_object_set_new(head, "t0_wall_ms", json_integer(s->t0_wall_ms));
    for (size_t i = 0; i < s->nsvcs; i++) {
        json_t *o = report_service_json(s, &s->svcs[i]);
        json_object_set_new(o, "interval_ms", json_integer(s->svcs[i].cfg->interval_ms));
        json_array_append_new(svcs, o);
    }
    json_object_set_new(head, "services", svcs);
    write_line(rec, head);
    json_decref(head);
    sched_observe(s, record_result, rec);
    return rec->failed ? -1 : 0;
}

void record_result(struct scheduler *s, struct service *svc, bool changed, enum health_state old,
                   void *ud)
{
    struct recorder *rec = ud;
    const struct history_recent *last = ring_last(&svc->history.recent);
    const struct probe_result *r = &svc->last;
    int64_t t = last ? last->t_ms : svc->health.since_ms;
    json_t *o;

    /* A recording holds the services of the config, which its head lists;
     * rows made from a source's answer come and go and are not kept. */
    if (svc->source != NULL)
        return;
    o = json_object();
    json_object_set_new(o, "t_ms", json_integer(t - s->t0_ms));
    json_object_set_new(o, "wall_ms", json_integer(last ? last->wall_ms : ht_wall_ms()));
    json_object_set_new(o, "service", json_string(svc->cfg->name));
    json_object_set_new(o, "state", json_string(health_state_name(svc->health.state)));
    json_object_set_new(o, "ok", json_boolean(r->ok));
    json_object_set_new(o, "latency_ms",
                        r->latency_us >= 0 ? json_real((double)r->latency_us / 1000.0)
                                           : json_null());
    json_object_set_new(o, "replicas",
                        json_pack("{s:i, s:i, s:i}", "up", r->up, "expected", svc->cfg->replicas,
                                  "found", r->found));
    json_object_set_new(o, "message", report_json_text(r->message));
    if (changed)
        json_object_set_new(o, "from", json_string(health_state_name(old)));
    write_line(rec, o);
    json_decref(o);
}

int record_close(struct recorder *rec)
{
    int rc;

    if (rec == NULL)
        return 0;
    rc = fclose(rec->f) == 0 && !rec->failed ? 0 : -1;
    free(rec->path);
    free(rec);
    return rc;
}

int record_hook_setup(struct scheduler *s, void *ud)
{
    return record_attach(ud, s);
}

void record_hook_close(struct scheduler *s, void *ud)
{
    struct recorder *rec = ud;
    (void)s;
    fflush(rec->f);
}
