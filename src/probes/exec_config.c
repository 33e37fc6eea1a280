/* The exec kind's entry in the table of kinds, with its config: a list,
 * the argv of a program run without a shell. The probe runs in exec.c.
 *
 * This entry belongs in exec.c, like every other kind's in its own file;
 * until it moves there, it reaches exec.c's start and cancel through
 * probe_exec_ops (doc/probe-kinds.md). */
#include <stdlib.h>
#include "healthtop/config_probe.h"
#include "healthtop/probe.h"

extern const struct probe_ops probe_exec_ops;

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

static int start(struct probe *p)
{
    return probe_exec_ops.start(p);
}

static void cancel(struct probe *p)
{
    probe_exec_ops.cancel(p);
}

const struct probe_ops probe_exec_kind = {
    .kind = PROBE_EXEC,
    .name = "exec",
    .form = "a list: [program, arg, ...]",
    .parse = parse,
    .free_config = free_config,
    .describe = describe,
    .start = start,
    .cancel = cancel,
};
