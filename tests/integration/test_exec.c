/* The exec probe against real commands: exit codes, output, timeouts that
 * kill the whole process group, chatty children, children that outlive
 * their parent, missing commands; no zombie and no fd left behind. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "support/check.h"
#include "support/probe_run.h"

#define SH(script)                                                                                 \
    (const char *[])                                                                               \
    {                                                                                              \
        "/bin/sh", "-c", script, NULL                                                              \
    }

static struct svc_config exec_svc(const char **argv, int64_t timeout_ms)
{
    struct svc_config s;
    size_t argc = 0;

    test_svc_init(&s, "exec", PROBE_EXEC, timeout_ms);
    while (argv[argc] != NULL)
        argc++;
    s.u.exec.argv = (char **)argv;
    s.u.exec.argc = argc;
    return s;
}

static struct probe_run run_exec(const char **argv, int64_t timeout_ms)
{
    struct svc_config s = exec_svc(argv, timeout_ms);
    return probe_run_one(&s);
}

/* Children of this process (zombies included), from /proc. */
static int count_children(void)
{
    char path[64], buf[4096];
    FILE *f;
    int n = 0;
    size_t len;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
        n++;
    return n;
}

static void assert_no_children(void)
{
    assert_int_equal(count_children(), 0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Gone, or a zombie waiting for init: either way no longer running. */
static bool process_dead(pid_t pid)
{
    char path[64], buf[256];
    int64_t deadline = test_deadline();

    do {
        FILE *f;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (f == NULL)
            return true;
        size_t len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *close = strrchr(buf, ')');
        if (close != NULL && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X'))
            return true;
    } while (test_nap_before(deadline));
    return false;
}

static void test_exit_status_and_signal_decide(void **state)
{
    (void)state;
    struct probe_run r = run_exec((const char *[]){"true", NULL}, TEST_PATIENCE_MS);
    assert_int_equal(r.start_rc, 0);
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    assert_int_equal(r.p.result.up, 1);
    assert_int_equal(r.p.result.found, 1);
    assert_string_equal(r.p.result.message, "exit 0");
    CHECK_GT("r.p.result.latency_us", r.p.result.latency_us, 0);

    r = run_exec((const char *[]){"false", NULL}, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_int_equal(r.p.result.up, 0);
    assert_string_equal(r.p.result.message, "exit 1");

    r = run_exec(SH("kill -TERM $$"), TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "killed by signal 15");
    assert_no_children();
}

static void test_first_output_line_is_the_message(void **state)
{
    (void)state;
    struct probe_run r = run_exec((const char *[]){"echo", "ready", NULL}, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "ready");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "exit 0\nready");

    /* The first non-empty line, trimmed, control characters blanked. */
    r = run_exec(SH("printf '\\n   \\n  up\\tand running  \\nsecond\\n'"), TEST_PATIENCE_MS);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "up and running");

    /* stderr goes to the same place; a failure shows its own words. */
    r = run_exec(SH("echo 'no response' >&2; exit 2"), TEST_PATIENCE_MS);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "no response");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "exit 2");

    /* Escape sequences never reach the screen, in the message or detail. */
    r = run_exec(SH("printf '\\033[2Jcleared\\r\\nnext\\n'"), TEST_PATIENCE_MS);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "[2Jcleared");
    assert_null(strchr(r.p.result.detail, '\033'));
    assert_null(strchr(r.p.result.detail, '\r'));
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "next");

    /* A long line is cut at 120 bytes. */
    r = run_exec(SH("printf '%0300d\\n' 7"), TEST_PATIENCE_MS);
    assert_true(r.p.result.ok);
    assert_int_equal(strlen(r.p.result.message), 120);
    assert_no_children();
}

static void test_hang_timeout_kills_group(void **state)
{
    (void)state;
    char path[] = "/tmp/ht-exec-XXXXXX", script[256];
    int fd = mkstemp(path);
    int sh_pid = 0, sleep_pid = 0;
    FILE *f;

    CHECK_GE("fd", fd, 0);
    close(fd);
    snprintf(script, sizeof(script), "sleep 30 & echo $$ $! > %s; wait", path);
    struct probe_run r = run_exec(SH(script), 1000);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "timeout after 1.0s");
    CHECK_GE("ms to the timeout", r.done_ms, 900);
    /* It did not wait for the sleep: the whole group is gone (below). */

    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d %d", &sh_pid, &sleep_pid), 2);
    fclose(f);
    unlink(path);
    assert_true(process_dead(sh_pid));
    assert_true(process_dead(sleep_pid));
    assert_no_children();
}

static void test_megabytes_of_output_are_cut(void **state)
{
    (void)state;
    struct probe_run r = run_exec(SH("yes | head -c 5000000"), TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_true(r.p.result.ok);
    assert_string_equal(r.p.result.message, "y");
    CHECK_CONTAINS("r.p.result.detail", r.p.result.detail, "cut at 4 KiB");
    CHECK_LT("detail length", strlen(r.p.result.detail), PROBE_DETAIL_MAX);
    assert_no_children();
}

/* The child exits at once but leaves a grandchild holding the output
 * pipe: the probe must end with the child, not wait for the pipe (the
 * grandchild outlives the timeout, so waiting would fail the probe), and
 * kill the grandchild. */
static void test_orphan_grandchild_killed_without_waiting(void **state)
{
    (void)state;
    struct probe_run r = run_exec(SH("sleep 600 & echo $!"), TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    CHECK_TRUE("probe ok, ended with its child", r.p.result.ok);
    int pid = atoi(r.p.result.message);
    CHECK_GT("pid", pid, 0);
    assert_true(process_dead(pid));
    assert_no_children();
}

static void test_missing_command_is_named(void **state)
{
    (void)state;
    int fds = test_count_fds();
    struct probe_run r =
        run_exec((const char *[]){"healthtop-no-such-command", "x", NULL}, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "command not found: healthtop-no-such-command");

    r = run_exec((const char *[]){"/tmp", NULL}, TEST_PATIENCE_MS);
    assert_int_equal(r.calls, 1);
    assert_false(r.p.result.ok);
    assert_string_equal(r.p.result.message, "cannot run /tmp: permission denied");
    assert_int_equal(test_count_fds(), fds);
    assert_no_children();
}

/* Many at once, one cancelled: exactly one callback each, no fd left. */
static void test_hung_commands_never_stall_the_others(void **state)
{
    (void)state;
    enum { N = 12 };
    struct svc_config svcs[N];
    const struct svc_config *ptrs[N];
    struct probe_run runs[N];
    int fds = test_count_fds();

    for (int i = 0; i < N; i++) {
        static const char *ok_argv[] = {"/bin/sh", "-c", "echo fine", NULL};
        static const char *hang_argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
        svcs[i] = exec_svc(i % 4 == 3 ? hang_argv : ok_argv, TEST_PATIENCE_MS);
        ptrs[i] = &svcs[i];
    }
    /* The hanging ones never stall the others: those all finish while
     * the hanging ones are still running; then the rest is cancelled. */
    CHECK_GE("probe_run_batch", probe_run_batch_then_cancel(runs, ptrs, N, N - N / 4), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(runs[i].start_rc, 0);
        assert_int_equal(runs[i].calls, 1);
        if (i % 4 == 3) {
            assert_false(runs[i].p.result.ok);
            assert_string_equal(runs[i].p.result.message, "cancelled");
        } else {
            assert_true(runs[i].p.result.ok);
            assert_string_equal(runs[i].p.result.message, "fine");
        }
    }
    assert_int_equal(test_count_fds(), fds);
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_and_signal_decide),
        cmocka_unit_test(test_first_output_line_is_the_message),
        cmocka_unit_test(test_hang_timeout_kills_group),
        cmocka_unit_test(test_megabytes_of_output_are_cut),
        cmocka_unit_test(test_orphan_grandchild_killed_without_waiting),
        cmocka_unit_test(test_missing_command_is_named),
        cmocka_unit_test(test_hung_commands_never_stall_the_others),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, probe_run_warmup, NULL);
}
