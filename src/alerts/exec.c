/* The exec hook: the route's argv run once per notification, without a
 * shell, the notification in its environment (doc/alerts.md lists the
 * variables) on top of healthtop's own. Exit status 0 is delivered;
 * anything else, a signal or the route's timeout is a failure, retried
 * like any other.
 *
 * As for the exec probe, the child gets /dev/null for stdin, stdout and
 * stderr, inherits no descriptor of ours (ht_cloexec_all), and runs in a
 * process group of its own, so that a timeout kills everything it
 * started with one kill(-pid, SIGKILL). The process handle is closed from
 * its exit callback, where libuv has reaped the child. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "alerts/receiver.h"

extern char **environ;

#define ENV_PREFIX "HEALTHTOP_"

struct alert_exec {
    uv_process_t proc;
    uv_timer_t timer;
    struct alert_sink *k; /* NULL once cancelled */
    int pid;
    int open; /* handles still to close */
    bool timed_out;
    bool exited;
};

static void on_closed(uv_handle_t *h)
{
    struct alert_exec *x = h->data;

    if (--x->open == 0)
        free(x);
}

static void kill_group(struct alert_exec *x)
{
    if (x->pid > 0 && !x->exited && kill(-x->pid, SIGKILL) != 0 && errno == ESRCH)
        (void)kill(x->pid, SIGKILL);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct alert_exec *x = p->data;
    struct alert_sink *k = x->k;
    char why[128];

    x->exited = true;
    /* What it left running in its group goes with it. */
    if (x->pid > 0)
        (void)kill(-x->pid, SIGKILL);
    uv_close((uv_handle_t *)&x->proc, on_closed);
    uv_close((uv_handle_t *)&x->timer, on_closed);
    if (k == NULL)
        return;
    k->priv = NULL;
    if (x->timed_out)
        ht_snprintf(why, sizeof(why), "timed out after %lld ms: killed",
                    (long long)k->route->timeout_ms);
    else if (sig != 0)
        ht_snprintf(why, sizeof(why), "killed by signal %d", sig);
    else
        ht_snprintf(why, sizeof(why), "exit status %lld", (long long)status);
    alert_sink_done(k, status == 0 && sig == 0 && !x->timed_out, why);
}

static void on_timeout(uv_timer_t *t)
{
    struct alert_exec *x = t->data;

    x->timed_out = true;
    kill_group(x);
}

static void env_push(char ***env, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(ENV_PREFIX) + strlen(name) + strlen(value) + 2;
    char *v = xmalloc(len);

    ht_snprintf(v, len, ENV_PREFIX "%s=%s", name, value);
    *env = xrealloc(*env, (*n + 2) * sizeof(**env));
    (*env)[(*n)++] = v;
    (*env)[*n] = NULL;
}

/* healthtop's environment without any HEALTHTOP_ variable, then the
 * notification's. */
static char **make_env(const struct alert_sink *k, const struct alert_event *ev)
{
    char **env = NULL, text[4096], t[40], *blocked;
    size_t n = 0, blen = 1;

    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0)
            continue;
        env = xrealloc(env, (n + 2) * sizeof(*env));
        env[n++] = xstrdup(*e);
        env[n] = NULL;
    }
    for (size_t i = 0; i < ev->nblocked; i++)
        blen += strlen(ev->blocked[i]) + 1;
    blocked = xcalloc(1, blen);
    for (size_t i = 0; i < ev->nblocked; i++) {
        if (i > 0)
            strcat(blocked, ",");
        strcat(blocked, ev->blocked[i]);
    }
    env_push(&env, &n, "STATUS", ev->firing ? "firing" : "resolved");
    env_push(&env, &n, "SERVICE", ev->service);
    env_push(&env, &n, "GROUP", ev->group);
    env_push(&env, &n, "KIND", ev->kind);
    env_push(&env, &n, "STATE", health_state_name(ev->state));
    env_push(&env, &n, "PREVIOUS", health_state_name(ev->previous));
    env_push(&env, &n, "SEVERITY", alert_severity(ev->fired));
    env_push(&env, &n, "MESSAGE", ev->message);
    env_push(&env, &n, "BLOCKED", blocked);
    env_push(&env, &n, "ROOT_CAUSE", ev->root_cause ? "true" : "false");
    ht_time_rfc3339(ev->starts_wall_ms, t, sizeof(t));
    env_push(&env, &n, "STARTS_AT", t);
    if (ev->firing)
        t[0] = '\0';
    else
        ht_time_rfc3339(ev->ends_wall_ms, t, sizeof(t));
    env_push(&env, &n, "ENDS_AT", t);
    alert_event_text(ev, text, sizeof(text));
    env_push(&env, &n, "TEXT", text);
    ht_snprintf(text, sizeof(text), "%zu", k->pos);
    env_push(&env, &n, "ROUTE", text);
    free(blocked);
    return env;
}

static void exec_send(struct alert_sink *k, struct alert_event *const *ev, size_t n)
{
    struct alert_exec *x = xcalloc(1, sizeof(*x));
    uv_process_options_t opts;
    uv_stdio_container_t stdio[3];
    char **env = make_env(k, ev[0]);
    char why[256];
    int rc;

    (void)n; /* batch is 1 */
    memset(&opts, 0, sizeof(opts));
    for (int i = 0; i < 3; i++)
        stdio[i].flags = UV_IGNORE; /* libuv gives the child /dev/null */
    opts.file = k->route->argv[0];
    opts.args = k->route->argv;
    opts.env = env;
    opts.exit_cb = on_exit_cb;
    opts.flags = UV_PROCESS_DETACHED;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    x->k = k;
    x->proc.data = x->timer.data = x;
    uv_timer_init(alert_sink_loop(k), &x->timer);
    x->open = 2;
    ht_cloexec_all();
    rc = uv_spawn(alert_sink_loop(k), &x->proc, &opts);
    for (char **e = env; *e; e++)
        free(*e);
    free(env);
    if (rc != 0) {
        /* The handle is initialised even when uv_spawn fails: close it. */
        uv_close((uv_handle_t *)&x->proc, on_closed);
        uv_close((uv_handle_t *)&x->timer, on_closed);
        ht_snprintf(why, sizeof(why), "cannot run %s: %s", k->route->argv[0], uv_strerror(rc));
        alert_sink_done(k, false, why);
        return;
    }
    x->pid = x->proc.pid;
    k->priv = x;
    uv_timer_start(&x->timer, on_timeout, (uint64_t)k->route->timeout_ms, 0);
}

/* The end of the run: the child is killed; its exit callback closes the
 * handles and frees (nothing is told to the sink any more). */
static void exec_cancel(struct alert_sink *k)
{
    struct alert_exec *x = k->priv;

    if (x == NULL)
        return;
    k->priv = NULL;
    x->k = NULL;
    uv_timer_stop(&x->timer);
    kill_group(x);
}

const struct alert_receiver_ops alert_exec_ops = {
    .batch = 1,
    .send = exec_send,
    .cancel = exec_cancel,
};
