/* The --demo stack: a simulated copy of the seed's E2I stack (its 12
 * services, groups, depends_on and cold-start sequence) served inside the
 * healthtop process, on the same libuv loop, on free loopback ports, and
 * probed through the normal probe code:
 *
 *   Redis, FalkorDB            respd (RESP: PING -> PONG)
 *   MLflow, BentoML, Feast,    httpd (HTTP /health, /healthz)
 *   Opik, API, frontend
 *   Celery workers, beat       httpd too: simulated. Each worker replica
 *                              is an HTTP endpoint answering as a worker
 *                              would answer `inspect ping`; worker_heavy
 *                              is scaled to 0. No Celery runs.
 *
 * Cold start (at --demo-speed 1): Redis healthy at T+10s, FalkorDB T+15s,
 * Feast and MLflow T+30s, Opik T+45s, BentoML and the API T+60s, frontend
 * T+75s, worker_light T+80s (2 replicas), worker_medium T+90s, scheduler
 * T+120s. Each service boots for its own time once its dependencies are
 * up; while a dependency is down it answers 503 "waiting for redis" (RESP:
 * -LOADING waiting for redis). The default speed, 4, plays it in 30 s.
 *
 * Life: stack_new (config only) -> the caller sets up its scheduler on
 * that config -> stack_listen on the loop (servers up, real ports written
 * into the config, the clock starts) -> stack_close -> the loop drains ->
 * stack_free. */
#ifndef HEALTHTOP_STACK_H
#define HEALTHTOP_STACK_H

#include <stdbool.h>
#include <uv.h>
#include "healthtop/config.h"

#define STACK_DEFAULT_SPEED 4.0
/* About how long the simulated cold start takes at speed 1. */
#define STACK_COLD_START_S 120.0

struct stack;
struct scheduler;

/* The stack and its config, at speed (> 0; times are divided by it), in
 * *out. Returns 0, or -1 with a message in err (and *out NULL) when the
 * config cannot be built. */
int stack_new(double speed, struct stack **out, char *err, size_t n) HT_WUR;
/* The config pointing at the stack (owned by the stack). Its ports are
 * placeholders until stack_listen. */
struct ht_config *stack_config(struct stack *st);
/* Starts every server on loop (free loopback ports), writes their ports
 * into the config, starts the cold-start clock. Returns 0 or -1 with a
 * message in err. */
int stack_listen(struct stack *st, uv_loop_t *loop, char *err, size_t n) HT_WUR;
/* Stops the named service (its ports refuse connections) or, when it is
 * stopped, revives it (it boots again). Returns 1 when it is now stopped,
 * 0 when running again, -1 for an unknown name. */
int stack_toggle(struct stack *st, const char *name);
/* stack_toggle for callbacks (tui_opts.demo_toggle): ud is the stack. */
int stack_toggle_cb(void *ud, const char *name);
/* True while the named service is not stopped. */
bool stack_running(const struct stack *st, const char *name);
/* Closes every handle; the loop then drains on its own. */
void stack_close(struct stack *st);
/* Frees it all, config included; after the loop has drained. */
void stack_free(struct stack *st);

/* For run_opts hooks (run.h): ud is the stack. */
int stack_hook_setup(struct scheduler *s, void *ud);
void stack_hook_close(struct scheduler *s, void *ud);

#endif
