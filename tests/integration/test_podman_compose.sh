#!/bin/bash
# A real compose tool from Debian, podman-compose, brings up a small
# project from a local busybox-static image (an init job, a service with
# a healthcheck waiting for it with service_completed_successfully, a
# replicated worker waiting with service_healthy, a service scaled to 0),
# and healthtop watches it through Podman's API service: the rows,
# replicas, scaled to 0, the job done, and the health transitions
# (starting -> healthy seen by --wait, then unhealthy and hopeless).
#
# Without systemd Podman runs no healthcheck timers, so the test runs
# each check with `podman healthcheck run`: the engine's verdicts are
# real, only their clock is the test's. podman-compose 1.0.3 starts the
# services in dependency order but does not wait for their conditions.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/podman_setup.sh"

if ! command -v podman-compose >/dev/null; then
	echo "podman-compose is not installed (scripts/deps.sh --test installs it); skipped"
	exit 0
fi
P=htpc$$
podman_setup "$P" localhost/healthtop-pc-busybox:latest
podman_can_run
podman_service

# podman-compose 1.0.3 takes the project name from the directory, not
# from name:, so the directory is named as the project.
mkdir -p "$T_DIR/$P" && cd "$T_DIR/$P" || exit 1
cat >compose.yml <<YML
name: $P
services:
  init:
    image: $PS_IMAGE
    command: ["/bin/true"]
  api:
    image: $PS_IMAGE
    command: ["/bin/sleep", "600"]
    labels: {healthtop.test: "$$"}
    healthcheck:
      test: ["CMD-SHELL", "[ -f /ready ]"]
      interval: 1s
      timeout: 1s
      retries: 2
    depends_on:
      init: {condition: service_completed_successfully}
  worker:
    image: $PS_IMAGE
    command: ["/bin/sleep", "600"]
    deploy: {replicas: 2}
    depends_on:
      api: {condition: service_healthy}
  heavy:
    image: $PS_IMAGE
    command: ["/bin/sleep", "600"]
    deploy: {replicas: 0}
YML
podman-compose up -d >>"$PLOG" 2>&1
t_is "podman-compose up" 0 $?
n=$(podman ps -aq --filter "label=com.docker.compose.project=$P" | wc -l)
t_is "init, api, 2 workers (heavy at 0)" 4 "$n"

"$HEALTHTOP" --once --json >"$T_DIR/a.json" 2>"$T_DIR/a.err"
t_check "the rows, found from the project directory" $PY - "$T_DIR/a.json" "$P" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "compose project " + sys.argv[2], d["title"]
want = {"init": ("healthy", 1, 1), "api": ("starting", 0, 1), "worker": ("healthy", 2, 2),
        "heavy": ("skipped", 0, 0)}
for n, (st, up, exp) in want.items():
    got = (s[n]["status"], s[n]["replicas"]["up"], s[n]["replicas"]["expected"])
    assert got == (st, up, exp), (n, got, s[n]["message"])
assert s["init"]["message"] == "completed (exit 0)", s["init"]["message"]
assert s["worker"]["depends_on"] == ["api"], s["worker"]
PYEOF

# --wait sees api start: it waits while the check fails, the check
# passes, it ends with 0.
t_bg bash -c '"$HEALTHTOP" --wait --timeout 1h >"$1/w.txt" 2>&1; echo $? >"$1/w.rc"' _ "$T_DIR"
t_wait_grep "--wait sees api starting" "$T_DIR/w.txt" "api starting"
podman exec "${P}_api_1" /bin/sh -c ': >/ready' >>"$PLOG" 2>&1 &&
	podman healthcheck run "${P}_api_1" >>"$PLOG" 2>&1
t_is "api's healthcheck passes" 0 $?
t_wait_file "$T_DIR/w.rc"
t_is "--wait ends with 0" 0 "$(cat "$T_DIR/w.rc")"
t_contains "the transition" "$T_DIR/w.txt" " api healthy"
t_contains "all up" "$T_DIR/w.txt" "all 3 services healthy, 1 skipped"

# api turns unhealthy after its 2 retries: worker depends on it.
podman exec "${P}_api_1" /bin/sh -c 'rm -f /ready' >>"$PLOG" 2>&1
for i in 1 2; do podman healthcheck run "${P}_api_1" >>"$PLOG" 2>&1; done
t_check "api is unhealthy" [ "$(podman inspect -f '{{.State.Health.Status}}' "${P}_api_1")" = unhealthy ]
"$HEALTHTOP" --wait --timeout 1h --json >"$T_DIR/u.json" 2>"$T_DIR/u.err"
t_is "--wait fails" 1 $?
t_contains "api is the root cause" "$T_DIR/u.err" \
	"hopeless: api: unhealthy after its retries, and worker depends on it"
t_check "the JSON names it" $PY - "$T_DIR/u.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["hopeless"] == ["api"], d["hopeless"]
PYEOF

# A worker killed: one of two.
podman kill "${P}_worker_2" >>"$PLOG" 2>&1
"$HEALTHTOP" --once >"$T_DIR/k.txt" 2>&1
t_contains "a killed replica is seen" "$T_DIR/k.txt" "(1/2 replicas"
podman-compose down >>"$PLOG" 2>&1
t_done
