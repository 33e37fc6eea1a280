#!/bin/bash
# `healthtop --compose` (and -f, and plain healthtop with a compose file
# but no healthtop.yml) against the replay fixture of the Docker Engine
# API (tests/fixtures/fixture_docker.py, recorded Docker answers for a
# project "e2i"): each compose service a row found by its labels, the
# replica counts from scale and deploy.replicas, scaled to 0, profiles,
# depends_on as the graph, the header's title, one listing per run, GET
# only, and DOCKER_HOST.
. "$(dirname "$0")/../lib.sh"

t_fixture_docker || exit 1
t_fixture_http || exit 1
SOCK=$DOCKER_SOCK
LOG=$DOCKER_LOG
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME COMPOSE_PATH_SEPARATOR
export DOCKER_HOST=unix://$SOCK

# The project directory is named e2i, as the recorded containers' label.
mkdir -p "$T_DIR/e2i/sub"
cat >"$T_DIR/e2i/compose.yaml" <<YML
x-healthtop:
  title: E2I
services:
  web:
    image: x
    scale: 2
    x-healthtop: {label: Web frontend, group: Front}
    healthcheck: {test: curl -f http://localhost/, interval: 1s, timeout: 1s, retries: 2}
  worker:
    image: x
    depends_on: {web: {condition: service_healthy}}
  sick: {image: x}
  job: {image: x, x-healthtop: {label: "job\e[2J"}}
  scheduler:
    image: x
    depends_on: [worker, ghost]
  heavy:
    image: x
    deploy: {replicas: 0}
  dbg:
    image: x
    profiles: [debug]
  site:
    image: x
    ports: ["$FIX_PORT:8000"]
    healthcheck:
      test: curl -f http://localhost:8000/ok || exit 1
      interval: 2s
YML

(cd "$T_DIR/e2i/sub" && "$HEALTHTOP" --compose --once) >"$T_DIR/once.txt" 2>&1
t_is "--compose --once exits 1: something is unhealthy" 1 $?
t_contains "the header names the project, after x-healthtop's title" "$T_DIR/once.txt" \
	"E2I (compose project e2i) - Health Check"
t_contains "x-healthtop's group" "$T_DIR/once.txt" "--- Front ---"
t_contains "web: 2 replicas from scale, with x-healthtop's label" "$T_DIR/once.txt" \
	"Web frontend - HEALTHY (2/2 replicas"
t_contains "worker starting" "$T_DIR/once.txt" "worker - STARTING: health: starting"
t_contains "sick's health log" "$T_DIR/once.txt" "sick - UNHEALTHY: unhealthy: database is down"
t_contains "job exited, its label made safe to print" "$T_DIR/once.txt" \
	'job\x1b[2J - UNHEALTHY: exited (137)'
t_contains "deploy.replicas 0 is scaled to 0" "$T_DIR/once.txt" "heavy - NOT RUNNING (scaled to 0)"
t_contains "a service outside the active profiles is shown as such" "$T_DIR/once.txt" \
	"--- Not in the active profiles ---"
t_contains "and not as a failure" "$T_DIR/once.txt" "dbg - NOT RUNNING (scaled to 0)"

# Plain healthtop, no healthtop.yml here: the compose project, as JSON.
(cd "$T_DIR/e2i" && "$HEALTHTOP" --once --json) >"$T_DIR/once.json" 2>"$T_DIR/once.err"
t_check "plain healthtop opens the compose project" $PY - "$T_DIR/once.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "E2I (compose project e2i)", d["title"]
want = {"web": ("healthy", 2, 2, []), "worker": ("starting", 0, 1, ["web"]),
        "sick": ("unhealthy", 0, 1, []), "job": ("unhealthy", 0, 1, []),
        "scheduler": ("healthy", 1, 1, ["worker"]), "heavy": ("skipped", 0, 0, []),
        "dbg": ("skipped", 0, 0, [])}
for n, (st, up, exp, deps) in want.items():
    got = (s[n]["status"], s[n]["replicas"]["up"], s[n]["replicas"]["expected"], s[n]["depends_on"])
    assert got == (st, up, exp, deps), (n, got)
assert all(x["kind"] == "docker" for x in d["services"])
PYEOF

# --profile debug: dbg is expected now (and has no container).
(cd "$T_DIR/e2i" && "$HEALTHTOP" --compose --profile debug --once) >"$T_DIR/prof.txt" 2>&1
t_contains "--profile activates a service" "$T_DIR/prof.txt" "dbg - UNHEALTHY: no containers"
t_lacks "no inactive group then" "$T_DIR/prof.txt" "Not in the active profiles"

# -f with an override merged on top: web at 3 replicas.
printf 'services:\n  web:\n    scale: 3\n' >"$T_DIR/more.yml"
(cd "$T_DIR/e2i" && "$HEALTHTOP" -f compose.yaml -f ../more.yml --once) >"$T_DIR/f.txt" 2>&1
t_contains "-f merges the files in order" "$T_DIR/f.txt" "Web frontend - DEGRADED"
t_contains "with 3 expected" "$T_DIR/f.txt" "(2/3 replicas"

# Three runs above went through the engine: one listing each, GET only.
t_check "one listing per run" [ "$(grep -c 'containers/json?' "$LOG")" -eq 4 ]
t_check "nothing but GET" [ "$(grep -vc '^GET ' "$LOG")" -eq 0 ]

# --compose-probes host: site's healthcheck runs from the host on its
# published port (an HTTP GET of the fixture); the rest stay engine rows.
(cd "$T_DIR/e2i" && "$HEALTHTOP" --compose --compose-probes host --once --json) >"$T_DIR/host.json" 2>&1
t_check "host: site is an http row, healthy; the others docker rows" $PY - "$T_DIR/host.json" "$FIX_PORT" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert (s["site"]["kind"], s["site"]["status"]) == ("http", "healthy"), s["site"]
assert s["site"]["replicas"] == {"up": 1, "expected": 1}, s["site"]
assert s["web"]["kind"] == "docker" and s["web"]["status"] == "healthy", s["web"]
assert "site/host" not in s
PYEOF
(cd "$T_DIR/e2i" && "$HEALTHTOP" --compose --compose-probes both --once --json) >"$T_DIR/both.json" 2>&1
t_check "both: site from the engine (no container) and from the host (healthy)" $PY - "$T_DIR/both.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert (s["site"]["kind"], s["site"]["status"]) == ("docker", "unhealthy"), s["site"]
h = s["site/host"]
assert (h["kind"], h["status"], h["label"]) == ("http", "healthy", "site (from the host)"), h
PYEOF
"$HEALTHTOP" --compose-probes sideways --compose --once >/dev/null 2>"$T_DIR/probes.err"
t_is "--compose-probes takes engine, host or both" 2 $?

# Errors: an unsupported DOCKER_HOST, a cycle, -c with --compose.
(cd "$T_DIR/e2i" && DOCKER_HOST=ssh://127.0.0.1 "$HEALTHTOP" --compose --once) >/dev/null 2>"$T_DIR/tcp.err"
t_is "an ssh DOCKER_HOST exits 2" 2 $?
t_contains "and says so" "$T_DIR/tcp.err" "DOCKER_HOST=ssh://127.0.0.1 is not supported: only unix:// and tcp:// are"
printf 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n' >"$T_DIR/cycle.yml"
"$HEALTHTOP" -f "$T_DIR/cycle.yml" --once >/dev/null 2>"$T_DIR/cycle.err"
t_is "a depends_on cycle exits 2" 2 $?
t_contains "and points at lint" "$T_DIR/cycle.err" "depends_on has a cycle through"
"$HEALTHTOP" --compose -c x.yml --once >/dev/null 2>"$T_DIR/usage.err"
t_is "--compose with -c is a usage error" 2 $?
"$HEALTHTOP" --profile x --once >/dev/null 2>"$T_DIR/usage2.err"
t_is "--profile without --compose is a usage error" 2 $?
t_done
