/* Whether a service's containers can still come up (docker_fate.c),
 * through docker_map_result on containers as the listing gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "probes/docker_map.h"

static struct docker_ctr ctr(const char *state, int code)
{
    struct docker_ctr c;

    memset(&c, 0, sizeof(c));
    strcpy(c.name, "p-s-1");
    strcpy(c.service, "s");
    c.has_service = true;
    strcpy(c.state, state);
    c.exit_code = code;
    c.health = DOCKER_HEALTH_NONE;
    return c;
}

struct fate_case {
    const char *what;
    enum docker_restart restart;
    bool completes;
    int replicas;
    const char *state[2]; /* one or two containers */
    int code[2];
    bool hopeless, ok, starting;
    const char *message; /* the whole message, or NULL */
};

static const struct fate_case cases[] = {
    {"exited 1, restart no",
     DOCKER_RESTART_NO,
     false,
     1,
     {"exited"},
     {1},
     true,
     false,
     false,
     "exited (1), and restart: no will not start it again"},
    {"exited 0, restart no",
     DOCKER_RESTART_NO,
     false,
     1,
     {"exited"},
     {0},
     true,
     false,
     false,
     "exited (0), and restart: no will not start it again"},
    {"dead, restart no", DOCKER_RESTART_NO, false, 1, {"dead"}, {-1}, true, false, false, NULL},
    {"exited 1, always",
     DOCKER_RESTART_ALWAYS,
     false,
     1,
     {"exited"},
     {1},
     false,
     false,
     false,
     "exited (1)"},
    {"exited 1, unless-stopped",
     DOCKER_RESTART_UNLESS_STOPPED,
     false,
     1,
     {"exited"},
     {1},
     false,
     false,
     false,
     NULL},
    {"exited 1, policy unknown",
     DOCKER_RESTART_UNKNOWN,
     false,
     1,
     {"exited"},
     {1},
     false,
     false,
     false,
     NULL},
    {"exited 0, on-failure",
     DOCKER_RESTART_ON_FAILURE,
     false,
     1,
     {"exited"},
     {0},
     true,
     false,
     false,
     "exited (0), and restart: on-failure will not start it again"},
    {"exited 1, on-failure gave up",
     DOCKER_RESTART_ON_FAILURE,
     false,
     1,
     {"exited"},
     {1},
     true,
     false,
     false,
     "exited (1), and restart: on-failure gave up"},
    {"restarting, on-failure",
     DOCKER_RESTART_ON_FAILURE,
     false,
     1,
     {"restarting"},
     {1},
     false,
     false,
     false,
     NULL},
    {"running, restart no",
     DOCKER_RESTART_NO,
     false,
     1,
     {"running"},
     {-1},
     false,
     true,
     false,
     NULL},
    {"1 of 2 replicas exited",
     DOCKER_RESTART_NO,
     false,
     2,
     {"running", "exited"},
     {-1, 1},
     true,
     false,
     false,
     NULL},
    {"enough replicas besides an exited one",
     DOCKER_RESTART_NO,
     false,
     1,
     {"running", "exited"},
     {-1, 1},
     false,
     true,
     false,
     NULL},
    {"job done",
     DOCKER_RESTART_NO,
     true,
     1,
     {"exited"},
     {0},
     false,
     true,
     false,
     "completed (exit 0)"},
    {"job running",
     DOCKER_RESTART_NO,
     true,
     1,
     {"running"},
     {-1},
     false,
     false,
     true,
     "running, not completed yet"},
    {"job failed",
     DOCKER_RESTART_NO,
     true,
     1,
     {"exited"},
     {3},
     true,
     false,
     false,
     "exited (3): a job that had to exit 0"},
    {"job failed, restarted always",
     DOCKER_RESTART_ALWAYS,
     true,
     1,
     {"exited"},
     {3},
     false,
     false,
     false,
     NULL},
    {"job: one done, one failed",
     DOCKER_RESTART_NO,
     true,
     1,
     {"exited", "exited"},
     {0, 1},
     true,
     false,
     false,
     NULL},
};

static void test_fates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct fate_case *k = &cases[i];
        struct docker_ctr c[2];
        struct docker_config dc = {
            .service = "s", .restart = k->restart, .completes = k->completes};
        struct probe_result r;
        size_t n = k->state[1] ? 2 : 1;

        for (size_t j = 0; j < n; j++)
            c[j] = ctr(k->state[j], k->code[j]);
        memset(&r, 0, sizeof(r));
        docker_map_result(c, n, &dc, k->replicas, &r);
        print_message("%s: %s\n", k->what, r.message);
        assert_int_equal(r.hopeless, k->hopeless);
        assert_int_equal(r.ok, k->ok);
        assert_int_equal(r.starting, k->starting);
        if (k->message)
            assert_string_equal(r.message, k->message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
