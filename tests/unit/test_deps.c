/* Dependency insight on hand-built models: blocked-by and root causes,
 * the header summary, race detection and the tree order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "healthtop/deps.h"
#include "unit/test_deps_model.h"

/* redis is down; everything healthy but the services below it. */
static void seed_redis_down(struct model *m)
{
    model_seed(m);
    for (size_t i = 0; i < m->sched.nsvcs; i++)
        m->sched.svcs[i].health.state = HEALTH_HEALTHY;
    model_state(m, "worker_heavy", HEALTH_SKIPPED);
    model_state(m, "redis", HEALTH_UNHEALTHY);
    model_state(m, "falkordb", HEALTH_STARTING);
    model_state(m, "api", HEALTH_UNHEALTHY);
    model_state(m, "frontend", HEALTH_UNHEALTHY);
}

static void test_blocked_by_root(void **state)
{
    (void)state;
    struct model m;
    size_t roots[4];
    char buf[128];

    seed_redis_down(&m);
    /* frontend -> api -> (feast healthy, falkordb down -> redis down). */
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "frontend"), roots, 4), 1);
    assert_int_equal(roots[0], model_idx(&m, "redis"));
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "api"), roots, 4), 1);
    assert_int_equal(roots[0], model_idx(&m, "redis"));
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "falkordb"), roots, 4), 1);
    /* The root itself, and healthy services, are not blocked. */
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "redis"), roots, 4), 0);
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "feast"), roots, 4), 0);
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "worker_light"), roots, 4), 0);

    assert_int_equal(deps_blocked_text(&m.sched, model_idx(&m, "frontend"), buf, sizeof(buf)), 1);
    assert_string_equal(buf, "blocked by redis");
    assert_int_equal(deps_blocked_text(&m.sched, model_idx(&m, "feast"), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    assert_true(deps_is_root(&m.sched, model_idx(&m, "redis")));
    assert_false(deps_is_root(&m.sched, model_idx(&m, "api")));
    assert_false(deps_is_root(&m.sched, model_idx(&m, "mlflow")));

    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "root cause: redis, 3 services blocked");
    model_free(&m);
}

/* A healthy service in the middle of a chain cuts it: its dependants'
 * trouble is their own. */
static void test_healthy_middle_cuts_chain(void **state)
{
    (void)state;
    static const char *const names[] = {"db", "cache", "web"};
    static const char *const deps[] = {"", "db", "cache"};
    struct model m;
    size_t roots[4];
    char buf[64];

    model_init(&m, 3, names, deps);
    model_state(&m, "db", HEALTH_UNHEALTHY);
    model_state(&m, "cache", HEALTH_HEALTHY);
    model_state(&m, "web", HEALTH_UNHEALTHY);
    assert_int_equal(deps_blocked_by(&m.sched, 2, roots, 4), 0);
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_false(deps_is_root(&m.sched, 0));
    /* A lone failure is not a root cause of anything. */
    model_free(&m);
}

/* Starting services pass trouble on but are never the cause of it. */
static void test_starting_is_not_a_cause(void **state)
{
    (void)state;
    static const char *const names[] = {"db", "cache", "web", "cron"};
    static const char *const deps[] = {"", "db", "cache", "cache"};
    struct model m;
    size_t roots[4];
    char buf[96];

    model_init(&m, 4, names, deps);
    /* A cold start: everything starting, nothing to blame. */
    for (size_t i = 0; i < 4; i++)
        m.sched.svcs[i].health.state = HEALTH_STARTING;
    assert_int_equal(deps_blocked_by(&m.sched, 2, roots, 4), 0);
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 0);
    /* db fails: web and cron, two levels up through a starting cache,
     * are blocked by db; so is cache. */
    model_state(&m, "db", HEALTH_UNHEALTHY);
    assert_int_equal(deps_blocked_by(&m.sched, 2, roots, 4), 1);
    assert_int_equal(roots[0], 0);
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "root cause: db, 3 services blocked");
    /* cache fails too, above db: still blocked by db, the deepest. */
    model_state(&m, "cache", HEALTH_UNHEALTHY);
    assert_int_equal(deps_blocked_by(&m.sched, 3, roots, 4), 1);
    assert_int_equal(roots[0], 0);
    assert_false(deps_is_root(&m.sched, 1));
    /* db only starting again: cache is now the root cause. */
    model_state(&m, "db", HEALTH_STARTING);
    assert_int_equal(deps_blocked_by(&m.sched, 2, roots, 4), 1);
    assert_int_equal(roots[0], 1);
    assert_true(deps_is_root(&m.sched, 1));
    assert_false(deps_is_root(&m.sched, 0));
    model_free(&m);
}

static void test_two_roots(void **state)
{
    (void)state;
    struct model m;
    size_t roots[1];
    char buf[128];

    seed_redis_down(&m);
    model_state(&m, "mlflow", HEALTH_UNHEALTHY);
    model_state(&m, "bentoml", HEALTH_STARTING);
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "root causes: redis, mlflow; 4 services blocked");
    /* More roots than room: the count is still right. */
    model_state(&m, "api", HEALTH_UNHEALTHY);
    assert_int_equal(deps_blocked_by(&m.sched, model_idx(&m, "bentoml"), roots, 1), 1);
    assert_int_equal(roots[0], model_idx(&m, "mlflow"));
    /* A service blocked through two separate roots names both. */
    static const char *const names[] = {"a", "b", "c"};
    static const char *const deps[] = {"", "", "a,b"};
    struct model m2;
    size_t r2[4];
    model_init(&m2, 3, names, deps);
    model_state(&m2, "a", HEALTH_UNHEALTHY);
    model_state(&m2, "b", HEALTH_UNHEALTHY);
    model_state(&m2, "c", HEALTH_STARTING);
    assert_int_equal(deps_blocked_by(&m2.sched, 2, r2, 4), 2);
    assert_int_equal(r2[0], 0);
    assert_int_equal(r2[1], 1);
    assert_int_equal(deps_blocked_text(&m2.sched, 2, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "blocked by a, b");
    /* Truncation never overflows. */
    char tiny[8];
    deps_blocked_text(&m2.sched, 2, tiny, sizeof(tiny));
    assert_string_equal(tiny, "blocked");
    model_free(&m2);
    model_free(&m);
}

/* One walk for the whole model answers as the per-service calls do, for
 * every service, walk after walk (its marks are reused, not cleared). */
static void test_walk_matches_per_service(void **state)
{
    (void)state;
    struct model m;
    size_t a[4], b[4];

    seed_redis_down(&m);
    model_state(&m, "mlflow", HEALTH_UNHEALTHY);
    model_state(&m, "bentoml", HEALTH_STARTING);
    struct deps_walk *w = deps_walk_new(&m.sched);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m.sched.nsvcs; i++) {
            size_t n = deps_blocked_by(&m.sched, i, a, 4);
            assert_int_equal(deps_walk_blocked_by(w, i, b, 4), n);
            for (size_t k = 0; k < n && k < 4; k++)
                assert_int_equal(b[k], a[k]);
            assert_int_equal(deps_walk_is_root(w, i), deps_is_root(&m.sched, i));
        }
    assert_true(deps_walk_is_root(w, model_idx(&m, "redis")));
    assert_true(deps_walk_is_root(w, model_idx(&m, "mlflow")));
    assert_int_equal(deps_walk_blocked_by(w, model_idx(&m, "frontend"), b, 4), 1);
    deps_walk_free(w);
    model_free(&m);
}

static void test_races(void **state)
{
    (void)state;
    struct model m;
    struct deps_race r[8];

    model_seed(&m);
    model_times(&m, "redis", 0, 10000);
    model_times(&m, "api", 0, 60000);
    /* worker_light came up at T+30s, api only at T+60s: the P3.1 race. */
    model_times(&m, "worker_light", 0, 30000);
    /* worker_medium came up at T+59.5s, and api's last failing probe began
     * at T+59s, before that: api may have been up unseen: no race. */
    model_times(&m, "worker_medium", 0, 59500);
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "worker_light"), r, 8), 1);
    assert_int_equal(r[0].dep, model_idx(&m, "api"));
    assert_int_equal(r[0].lead_ms, 30000);
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "worker_medium"), r, 8), 0);
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "redis"), r, 8), 0);

    /* scheduler is healthy, worker_light (its dependency) is seen down
     * by a probe begun after that and was never healthy. */
    model_times(&m, "worker_light", 0, -1);
    model_times(&m, "scheduler", 0, 15000);
    m.sched.svcs[model_idx(&m, "worker_light")].health.down_began_ms = 16000;
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "scheduler"), r, 8), 1);
    assert_int_equal(r[0].lead_ms, -1);
    /* Never seen at all: no evidence either way. */
    model_times(&m, "worker_light", -1, -1);
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "scheduler"), r, 8), 0);

    /* A failing probe of the dependency that began before the service was
     * healthy proves nothing: the same start gave 2.09 s (not flagged)
     * and 2.4 s (flagged) under the old threshold rule. */
    model_times(&m, "worker_light", 0, -1);
    m.sched.svcs[model_idx(&m, "worker_light")].health.down_began_ms = 14999;
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "scheduler"), r, 8), 0);
    m.sched.svcs[model_idx(&m, "worker_light")].health.down_began_ms = 15001;
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "scheduler"), r, 8), 1);

    /* A skipped dependency (worker_heavy scaled to 0) never races. */
    m.cfg.svcs[model_idx(&m, "frontend")].dep_idx[0] = model_idx(&m, "worker_heavy");
    model_times(&m, "worker_heavy", 0, -1);
    model_state(&m, "worker_heavy", HEALTH_SKIPPED);
    model_times(&m, "frontend", 0, 1000);
    assert_int_equal(deps_races_of(&m.sched, model_idx(&m, "frontend"), r, 8), 0);

    /* worker_light before api, and scheduler (T+15s) before worker_light. */
    model_times(&m, "worker_light", 0, 30000);
    assert_int_equal(deps_races(&m.sched, r, 8), 2);
    assert_int_equal(r[0].svc, model_idx(&m, "worker_light"));
    assert_int_equal(r[1].svc, model_idx(&m, "scheduler"));
    assert_int_equal(deps_races(&m.sched, r, 1), 2);
    assert_int_equal(deps_races(&m.sched, NULL, 0), 2);
    model_free(&m);
}

static void test_order_seed_tree(void **state)
{
    (void)state;
    static const char *const want[] = {"redis",        "falkordb",     "feast",     "api",
                                       "frontend",     "worker_light", "scheduler", "worker_medium",
                                       "worker_heavy", "mlflow",       "bentoml",   "opik"};
    static const int want_depth[] = {0, 1, 1, 2, 3, 3, 4, 3, 3, 0, 1, 0};
    struct model m;
    struct deps_row rows[12];

    model_seed(&m);
    assert_int_equal(deps_order(&m.sched, rows), 0);
    for (size_t i = 0; i < 12; i++) {
        assert_string_equal(m.cfg.svcs[rows[i].idx].name, want[i]);
        assert_int_equal(rows[i].depth, want_depth[i]);
    }
    assert_int_equal(rows[0].parent, (size_t)-1);
    assert_int_equal(rows[3].parent, model_idx(&m, "feast"));
    assert_false(rows[1].last); /* falkordb, then feast under redis */
    assert_true(rows[2].last);  /* feast */
    assert_true(rows[8].last);  /* worker_heavy, last under api */
    assert_true(rows[11].last); /* opik, the last root */
    model_free(&m);
}

static void test_order_cycle(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b", "c", "d"};
    static const char *const deps[] = {"b", "a", "", "c,nosuch"};
    struct model m;
    struct deps_row rows[4];

    model_init(&m, 4, names, deps);
    assert_int_equal(deps_order(&m.sched, rows), -1);
    assert_int_equal(rows[0].idx, 2);
    assert_int_equal(rows[1].idx, 3);
    assert_int_equal(rows[1].depth, 1);
    assert_int_equal(rows[2].idx, 0);
    assert_int_equal(rows[3].idx, 1);
    /* Down services on a cycle: terminates, blames nothing. */
    model_state(&m, "a", HEALTH_UNHEALTHY);
    model_state(&m, "b", HEALTH_UNHEALTHY);
    size_t roots[4];
    char buf[96];
    assert_int_equal(deps_blocked_by(&m.sched, 0, roots, 4), 0);
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "2 services blocked in a dependency cycle");
    model_free(&m);
}

/* A long chain, all down: the root cause found and every service counted.
 * (How fast is a figure for bench/, not a test.) */
static void test_long_chain(void **state)
{
    (void)state;
    enum { N = 3000 };
    static char names[N][8], deps[N][8];
    static const char *np[N], *dp[N];
    struct model m;
    size_t roots[2];
    char buf[96];

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "s%d", i);
        if (i > 0) /* s0 depends on nothing: deps[0] stays "" */
            snprintf(deps[i], sizeof(deps[i]), "s%d", i - 1);
        np[i] = names[i];
        dp[i] = deps[i];
    }
    model_init(&m, N, np, dp);
    for (int i = 0; i < N; i++)
        m.sched.svcs[i].health.state = HEALTH_UNHEALTHY;
    assert_int_equal(deps_summary(&m.sched, buf, sizeof(buf)), N - 1);
    assert_string_equal(buf, "root cause: s0, 2999 services blocked");
    assert_int_equal(deps_blocked_by(&m.sched, N - 1, roots, 2), 1);
    assert_int_equal(roots[0], 0);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocked_by_root),
        cmocka_unit_test(test_healthy_middle_cuts_chain),
        cmocka_unit_test(test_starting_is_not_a_cause),
        cmocka_unit_test(test_two_roots),
        cmocka_unit_test(test_walk_matches_per_service),
        cmocka_unit_test(test_races),
        cmocka_unit_test(test_order_seed_tree),
        cmocka_unit_test(test_order_cycle),
        cmocka_unit_test(test_long_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
