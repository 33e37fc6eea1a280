/* The exec probe: run a command (no shell), healthy when it exits 0.
 *
 * The child gets /dev/null as stdin and one pipe as stdout and stderr;
 * the first 4 KiB of output are kept for the message and the detail pane,
 * the rest is read and dropped so that a chatty child never blocks on a
 * full pipe nor grows our memory. The child runs in a session and process
 * group of its own (UV_PROCESS_DETACHED), so a timeout kills everything it
 * started with one kill(-pid, SIGKILL).
 *
 * The probe ends when the child has exited AND its output pipe is closed.
 * A grandchild that outlives the child may hold the pipe open forever: once
 * the child has exited the pipe gets a short grace, then the group is
 * killed and the pipe closed. All the child wrote is in the pipe when it
 * exits, so the pipe is read to its current end at the exit and before
 * every close, whether or not the loop has polled it yet. A grandchild that let go of the pipe
 * (`daemon >/dev/null &`) would outlive every probe, one more per
 * interval: when the probe ends, whatever is left in the group is killed
 * too. libuv reaps the child (exit callback), so no zombie is left; killed
 * grandchildren are reaped by init, their parent's parent now. libuv
 * reaps only the children of open process handles, so the handle is
 * closed from the exit callback and nowhere else (a spawn that failed
 * aside): closed earlier, say on a timeout, the child would stay a zombie
 * for as long as healthtop runs. tests/integration/test_faults.sh checks
 * that every exited child is reaped at the next SIGCHLD. Nothing from the
 * output is ever given to a shell. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "healthtop/buf.h"
#include "config_probe.h"
#include "healthtop/text.h"
#include "healthtop/probe.h"
#include "targets.h"

#define EXEC_KEEP_BYTES 4096
#define EXEC_LINE_MAX   120
#define EXEC_GRACE_MS   200
#define EXEC_DRAIN_MAX  64 /* reads of a chunk at most, per drain */

struct exec_probe {
    uv_process_t proc;
    uv_pipe_t out;
    uv_timer_t grace;
    struct buf output; /* the first EXEC_KEEP_BYTES */
    char chunk[16384]; /* read buffer; what is past the limit is dropped */
    int pid;           /* 0 unless spawned */
    bool proc_open, out_open, grace_open;
    bool exited;
    int64_t exit_status;
    int term_signal;
};

static void on_closed(uv_handle_t *h)
{
    target_release(h->data);
}

static void close_handle(uv_handle_t *h, bool *open)
{
    if (!*open)
        return;
    *open = false;
    uv_close(h, on_closed);
}

static void kill_group(struct exec_probe *ep)
{
    if (ep->pid <= 0)
        return;
    if (kill(-ep->pid, SIGKILL) != 0 && errno == ESRCH && !ep->exited)
        (void)kill(ep->pid, SIGKILL);
}

static void exec_outcome(struct target *t)
{
    struct exec_probe *ep = t->state;
    const char *out = ep->output.data ? ep->output.data : "";
    bool ok = ep->exit_status == 0 && ep->term_signal == 0;
    char status[32], line[EXEC_LINE_MAX + 1];

    if (ep->term_signal != 0)
        ht_snprintf(status, sizeof(status), "killed by signal %d", ep->term_signal);
    else
        ht_snprintf(status, sizeof(status), "exit %d", (int)ep->exit_status);
    if (!target_first_line(line, sizeof(line), out, ep->output.len, EXEC_LINE_MAX))
        ht_strlcpy(line, status, sizeof(line));
    /* The output goes to the detail pane: masked, escaped, cut; line
     * breaks stay. */
    ht_snprintf(t->detail, sizeof(t->detail), "%s%s\n", status,
                ep->output.over ? " (output cut at 4 KiB)" : "");
    text_safe_lines(t->detail + strlen(t->detail), sizeof(t->detail) - strlen(t->detail), out,
                    ep->output.len);
    if (ok)
        target_pass(t, "%s", line);
    else
        target_fail(t, "%s", line);
}

/* Called when the exit status or the end of the output arrives. */
static void exec_maybe_end(struct target *t)
{
    struct exec_probe *ep = t->state;

    if (!ep->exited || ep->out_open)
        return;
    uv_timer_stop(&ep->grace);
    close_handle((uv_handle_t *)&ep->grace, &ep->grace_open);
    /* Leftovers of the probe's process group; once only, so that a
     * group id freed and reused later is never hit. */
    kill_group(ep);
    ep->pid = 0;
    if (!t->ended)
        exec_outcome(t);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct target *t = h->data;
    struct exec_probe *ep = t->state;

    (void)hint;
    *b = uv_buf_init(ep->chunk, sizeof(ep->chunk));
}

static void exec_keep(struct exec_probe *ep, const char *data, size_t n)
{
    if (!ep->output.over && buf_append(&ep->output, data, n) != 0) {
        /* Over the limit: the first bytes are kept, the rest is
         * drained and dropped from now on. */
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct target *t = s->data;
    struct exec_probe *ep = t->state;

    if (n > 0)
        exec_keep(ep, b->base, (size_t)n);
    if (n < 0) {
        close_handle((uv_handle_t *)&ep->out, &ep->out_open);
        exec_maybe_end(t);
    }
}

/* Reads what the pipe holds now, without waiting for the loop to poll
 * it. When the child has exited, all it wrote is in the pipe already,
 * but the loop may not have read it yet: on a busy loop the exit
 * callback, and then the grace timer, can come first (the grace then
 * closed the pipe unread, and "detached" came out as "exit 0"). Closes
 * the pipe at its end (every writer gone). */
static void exec_drain(struct exec_probe *ep)
{
    uv_os_fd_t fd;

    if (!ep->out_open || uv_fileno((uv_handle_t *)&ep->out, &fd) != 0)
        return;
    for (int i = 0; i < EXEC_DRAIN_MAX; i++) {
        ssize_t n = read(fd, ep->chunk, sizeof(ep->chunk));
        if (n > 0) {
            exec_keep(ep, ep->chunk, (size_t)n);
        } else if (n == 0) {
            close_handle((uv_handle_t *)&ep->out, &ep->out_open);
            return;
        } else if (errno != EINTR) {
            return; /* EAGAIN: nothing more for now */
        }
    }
}

static void on_grace(uv_timer_t *timer)
{
    struct target *t = timer->data;
    struct exec_probe *ep = t->state;

    kill_group(ep);
    exec_drain(ep);
    close_handle((uv_handle_t *)&ep->out, &ep->out_open);
    exec_maybe_end(t);
}

static void on_child_exit(uv_process_t *proc, int64_t status, int sig)
{
    struct target *t = proc->data;
    struct exec_probe *ep = t->state;

    ep->exited = true;
    ep->exit_status = status;
    ep->term_signal = sig;
    if (!t->ended)
        t->latency_us = ht_now_us() - t->started_us;
    close_handle((uv_handle_t *)&ep->proc, &ep->proc_open);
    exec_drain(ep);
    if (ep->out_open) {
        /* The grace counts from now, not from the loop's cached time,
         * which a long callback batch may have left far behind. */
        uv_update_time(t->loop);
        uv_timer_start(&ep->grace, on_grace, EXEC_GRACE_MS, 0);
    }
    exec_maybe_end(t);
}

static int exec_spawn(struct target *t, int out_fd)
{
    struct exec_probe *ep = t->state;
    char **argv = target_svc(t)->u.exec.argv;
    uv_process_options_t opts;
    uv_stdio_container_t stdio[3];

    memset(&opts, 0, sizeof(opts));
    stdio[0].flags = UV_IGNORE; /* libuv gives the child /dev/null */
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = out_fd;
    stdio[2] = stdio[1];
    opts.file = argv[0];
    opts.args = argv;
    opts.exit_cb = on_child_exit;
    opts.flags = UV_PROCESS_DETACHED;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    /* The handle is initialised even when uv_spawn fails: close it. */
    ep->proc.data = t;
    ep->proc_open = true;
    target_hold(t);
    ht_cloexec_all();
    return uv_spawn(t->loop, &ep->proc, &opts);
}

static void start_target(struct target *t)
{
    struct exec_probe *ep = t->state;
    const struct exec_config *cfg = &target_svc(t)->u.exec;
    uv_file fds[2];
    int rc;

    buf_init(&ep->output, EXEC_KEEP_BYTES);
    if (cfg->argc == 0 || cfg->argv == NULL || cfg->argv[0] == NULL) {
        target_fail(t, "no command");
        return;
    }
    rc = uv_pipe(fds, 0, 0);
    if (rc != 0) {
        target_fail(t, "cannot create a pipe: %s", uv_strerror(rc));
        return;
    }
    uv_timer_init(t->loop, &ep->grace);
    ep->grace.data = t;
    ep->grace_open = true;
    target_hold(t);
    uv_pipe_init(t->loop, &ep->out, 0);
    ep->out.data = t;
    ep->out_open = true;
    target_hold(t);
    if (uv_pipe_open(&ep->out, fds[0]) != 0)
        close(fds[0]);
    rc = exec_spawn(t, fds[1]);
    close(fds[1]);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&ep->out, on_alloc, on_read);
    if (rc == 0) {
        ep->pid = ep->proc.pid;
        return;
    }
    if (ep->proc.pid > 0) {
        ep->pid = ep->proc.pid;
        kill_group(ep);
    }
    if (rc == UV_ENOENT)
        target_fail(t, "command not found: %s", cfg->argv[0]);
    else
        target_fail(t, "cannot run %s: %s", cfg->argv[0], uv_strerror(rc));
    if (ep->pid <= 0)
        close_handle((uv_handle_t *)&ep->proc, &ep->proc_open);
    close_handle((uv_handle_t *)&ep->out, &ep->out_open);
    close_handle((uv_handle_t *)&ep->grace, &ep->grace_open);
}

/* Timeout or cancel: kill the whole group; the exit callback and the end
 * of the output follow. If the child is already gone and only the pipe
 * is left, close it now. */
static void abort_target(struct target *t)
{
    struct exec_probe *ep = t->state;

    kill_group(ep);
    if (ep->exited) {
        exec_drain(ep);
        close_handle((uv_handle_t *)&ep->out, &ep->out_open);
        exec_maybe_end(t);
    }
}

static void free_target(struct target *t)
{
    struct exec_probe *ep = t->state;
    buf_free(&ep->output);
}

static const struct target_ops exec_target_ops = {
    .state_size = sizeof(struct exec_probe),
    .start = start_target,
    .abort = abort_target,
    .free = free_target,
};

static int start(struct probe *p)
{
    return targets_start(p, 1, &exec_target_ops);
}

/* ---- the config: a list, the argv of a program run without a shell ---- */

static void parse(struct ydoc *d, const struct ypair *p, struct svc_config *s)
{
    struct exec_config *e = &s->u.exec;

    if (!ydoc_is_seq(p->value)) {
        ydoc_error(d, p->value,
                   "exec takes a list (argv, run without a shell), e.g. "
                   "[pg_isready, -h, 127.0.0.1], not %s",
                   ydoc_type_name(p->value));
        return;
    }
    if (ydoc_nitems(p->value) == 0) {
        ydoc_error(d, p->value, "exec needs at least a program: [pg_isready]");
        return;
    }
    (void)config_str_list(d, p->value, "an exec argument", NULL, &e->argv, &e->argc);
    e->argv = xrealloc(e->argv, (e->argc + 1) * sizeof(*e->argv));
    e->argv[e->argc] = NULL;
    if (e->argc > 0 && e->argv[0][0] == '\0')
        ydoc_error(d, p->value, "exec: the program name is empty");
}

static void free_config(struct svc_config *s)
{
    config_free_list(s->u.exec.argv, s->u.exec.argc);
}

static void describe(const struct svc_config *s, FILE *f)
{
    fputs("exec", f);
    for (size_t i = 0; i < s->u.exec.argc; i++)
        fprintf(f, " %s", s->u.exec.argv[i]);
}

const struct probe_ops probe_exec_ops = {
    .kind = PROBE_EXEC,
    .name = "exec",
    .form = "a list: [program, arg, ...]",
    .parse = parse,
    .free_config = free_config,
    .describe = describe,
    .start = start,
    .cancel = targets_cancel,
};
