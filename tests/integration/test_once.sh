#!/bin/bash
# --once and --wait end to end: the real binary against a real HTTP
# fixture server, a real redis-server, a refused port and real commands.
. "$(dirname "$0")/../lib.sh"

t_fixture_http || exit 1
t_redis || exit 1
REFUSED=$(t_refused_port)
B=http://127.0.0.1:$FIX_PORT

cat >"$T_DIR/stack.yml" <<YML
title: Test Stack
defaults:
  interval: 250ms
  timeout: 30s
  retries: 2
services:
  api:
    label: API (FastAPI)
    group: HTTP Services
    http:
      url: $B/json
      json: {status: healthy}
  mlflow:
    group: HTTP Services
    http: $B/status/503
  hung:
    group: HTTP Services
    http: $B/hang
    timeout: 1s
  bento:
    group: HTTP Services
    http: [$B/ok, $B/ok, http://127.0.0.1:$REFUSED/ok]
  redis:
    label: Redis (Working Memory)
    group: Memory Systems
    redis: redis://127.0.0.1:$REDIS_PORT/0
  nothing:
    group: Memory Systems
    tcp: 127.0.0.1:$REFUSED
  heavy:
    group: Workers
    http: http://127.0.0.1:$REFUSED/health
    replicas: 0
  check:
    group: Workers
    exec: [sh, -c, "echo all good"]
YML
chmod 600 "$T_DIR/stack.yml"

# --once: everything at the same moment. The hung endpoint times out
# after its 1 s (not before); every other probe, given a timeout no
# machine reaches, ends on its own. That they run at the same moment is
# shown below by two commands that each wait for the other to start.
start=$(t_ms)
"$HEALTHTOP" --once -c "$T_DIR/stack.yml" >"$T_DIR/once.txt" 2>&1
rc=$?
took=$(($(t_ms) - start))
t_is "--once exits 1 with unhealthy services" 1 "$rc"
t_check "--once waited for the 1 s timeout (${took}ms >= 1000)" [ "$took" -ge 1000 ]
t_contains "title" "$T_DIR/once.txt" "Test Stack - Health Check"
t_contains "group section" "$T_DIR/once.txt" "--- HTTP Services ---"
t_contains "json check passes" "$T_DIR/once.txt" "API (FastAPI) - HEALTHY"
t_contains "503 is unhealthy with its code" "$T_DIR/once.txt" "HTTP 503"
t_contains "hang times out" "$T_DIR/once.txt" "timeout after 1.0s"
t_contains "2 of 3 replicas is degraded" "$T_DIR/once.txt" "bento - DEGRADED: replica 3: connection refused (2/3 replicas"
t_contains "redis answers" "$T_DIR/once.txt" "Redis (Working Memory) - HEALTHY"
t_contains "refused tcp" "$T_DIR/once.txt" "connection refused"
t_contains "scaled to zero is skipped" "$T_DIR/once.txt" "heavy - NOT RUNNING (scaled to 0)"
t_contains "exec passes" "$T_DIR/once.txt" "check - HEALTHY"
t_contains "summary" "$T_DIR/once.txt" "Total Services: 8"
t_contains "status line" "$T_DIR/once.txt" "SYSTEM STATUS: UNHEALTHY"
t_lacks "no colour with NO_COLOR" "$T_DIR/once.txt" $'\033['

# Probes run at the same moment: each command of this pair waits for the
# other to have started, so one at a time they would both time out.
cat >"$T_DIR/pair.yml" <<YML
defaults: {timeout: 60s}
services:
  left: {exec: [sh, -c, "touch $T_DIR/left; while [ ! -e $T_DIR/right ]; do sleep 0.01; done"]}
  right: {exec: [sh, -c, "touch $T_DIR/right; while [ ! -e $T_DIR/left ]; do sleep 0.01; done"]}
  hung: {http: $B/hang, timeout: 1s}
YML
chmod 600 "$T_DIR/pair.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/pair.yml" >"$T_DIR/pair.json" 2>&1
t_check "--once runs every probe at the same moment, the hung one too" $PY - "$T_DIR/pair.json" <<'PY'
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
got = {n: (x["status"], x["message"]) for n, x in s.items()}
want = {"left": "healthy", "right": "healthy", "hung": "unhealthy"}
if any(got[n][0] != st for n, st in want.items()):
    sys.exit(f"    expected {want}; saw {got}")
PY

# --json: one document, parsed by a real JSON parser.
"$HEALTHTOP" --once --json -c "$T_DIR/stack.yml" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
t_is "--json exits 1" 1 "$?"
t_check "--json is one valid document with the right fields" $PY - "$T_DIR/once.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
bad = [f"    {what}: expected {want!r}, saw {seen!r}" for what, want, seen in [
    ("title", "Test Stack", d["title"]),
    ("status", "unhealthy", d["status"]),
    ("api status", "healthy", s["api"]["status"]),
    ("api kind", "http", s["api"]["kind"]),
    ("bento replicas", {"up": 2, "expected": 3}, s["bento"]["replicas"]),
    ("heavy status", "skipped", s["heavy"]["status"]),
    ("mlflow message", "HTTP 503", s["mlflow"]["message"]),
    ("redis group", "Memory Systems", s["redis"]["group"]),
    ("summary total", 8, d["summary"]["total"]),
    ("summary skipped", 1, d["summary"]["skipped"]),
    ("api latency_ms type", "float", type(s["api"]["latency_ms"]).__name__),
] if want != seen]
sys.exit("\n".join(bad) or None)
PY

# A message with bytes that are not UTF-8 still reaches the JSON document.
cat >"$T_DIR/bytes.yml" <<'YML'
services:
  odd: {exec: [sh, -c, "printf '\\377bad\\n'; exit 1"]}
YML
chmod 600 "$T_DIR/bytes.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/bytes.yml" >"$T_DIR/bytes.json" 2>&1
t_check "a message that is not UTF-8 is kept, the bad byte shown as \\xff" $PY - "$T_DIR/bytes.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["services"][0]["message"]
sys.exit(None if m == "\\xffbad" else f"    expected the message '\\xffbad', saw {m!r}")
PY

# All healthy -> exit 0.
cat >"$T_DIR/good.yml" <<YML
services:
  api: {http: $B/ok}
  redis: {redis: "redis://127.0.0.1:$REDIS_PORT"}
  heavy: {tcp: "127.0.0.1:$REFUSED", replicas: 0}
YML
chmod 600 "$T_DIR/good.yml"
"$HEALTHTOP" --once -c "$T_DIR/good.yml" >"$T_DIR/good.txt" 2>&1
t_is "--once exits 0 when all healthy or skipped" 0 "$?"
t_contains "healthy status line" "$T_DIR/good.txt" "SYSTEM STATUS: HEALTHY"
LC_ALL=C "$HEALTHTOP" --once -c "$T_DIR/good.yml" >"$T_DIR/ascii.txt" 2>&1
t_contains "ASCII marks outside UTF-8" "$T_DIR/ascii.txt" "[ OK ] api - HEALTHY"

# Scaled to zero is not probed as if it should answer: the fixture sees
# no request for it, and the row has no latency, though the endpoint
# would answer (before, it was asked and the row read "healthy, 1/0").
stats() { curl -s "$B/stats" | sed -n "s/^requests //p"; }
cat >"$T_DIR/zero.yml" <<YML
services:
  heavy: {http: $B/ok, replicas: 0}
  counted: {celery: "redis://127.0.0.1:$REDIS_PORT/0", replicas: 0}
YML
chmod 600 "$T_DIR/zero.yml"
before=$(stats)
"$HEALTHTOP" --once --json -c "$T_DIR/zero.yml" >"$T_DIR/zero.json" 2>&1
t_is "--once exits 0 when everything is scaled to 0" 0 "$?"
t_is "a service scaled to 0 is never asked" "$before" "$(stats)"
t_contains "it is skipped" "$T_DIR/zero.json" '"name": "heavy"'
t_is "skipped, with no latency" "skipped null" \
	"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["services"][0]; print(s["status"], json.dumps(s["latency_ms"]))' "$T_DIR/zero.json")"
t_contains "celery scaled to 0 still looks (no worker runs)" "$T_DIR/zero.json" '"status": "skipped"'

# --wait: all healthy -> 0 with T+ lines, as soon as they are.
"$HEALTHTOP" --wait --timeout 120s -c "$T_DIR/good.yml" >"$T_DIR/wait.txt" 2>&1
t_is "--wait exits 0 when everything comes up" 0 "$?"
t_contains "--wait prints state changes" "$T_DIR/wait.txt" " api healthy"
t_contains "--wait says when all were healthy" "$T_DIR/wait.txt" "all 2 services healthy, 1 skipped"

# --wait with a failing service: exit 1 at the deadline (not before),
# listing why.
start=$(t_ms)
"$HEALTHTOP" --wait --timeout 4s -c "$T_DIR/stack.yml" >"$T_DIR/waitbad.txt" 2>&1
rc=$?
took=$(($(t_ms) - start))
t_is "--wait exits 1 at the deadline" 1 "$rc"
t_check "--wait waits for its deadline (${took}ms >= 4000ms)" [ "$took" -ge 4000 ]
t_contains "--wait lists what is not healthy" "$T_DIR/waitbad.txt" "not healthy after 4.0s:"
t_contains "--wait says why" "$T_DIR/waitbad.txt" "HTTP 503"
t_contains "--wait prints unhealthy transitions" "$T_DIR/waitbad.txt" "mlflow unhealthy: HTTP 503"

# A service coming up during --wait: the fixture's /toggle starts down,
# and comes up once --wait has said it is unhealthy.
curl -s "$B/control/down" >/dev/null
cat >"$T_DIR/late.yml" <<YML
defaults: {interval: 200ms, timeout: 30s, retries: 2}
services:
  late: {http: $B/toggle}
YML
chmod 600 "$T_DIR/late.yml"
"$HEALTHTOP" --wait --timeout 120s -c "$T_DIR/late.yml" >"$T_DIR/late.txt" 2>&1 &
wpid=$!
T_PIDS="$T_PIDS $wpid"
t_wait_grep "--wait sees the service unhealthy first" "$T_DIR/late.txt" "late unhealthy"
curl -s "$B/control/up" >/dev/null
wait $wpid
t_is "--wait exits 0 once the late service is up" 0 "$?"
t_contains "--wait sees the late service come up" "$T_DIR/late.txt" "late healthy"

# Usage errors exit 2.
"$HEALTHTOP" --once --wait -c "$T_DIR/good.yml" >/dev/null 2>&1
t_is "--once with --wait is a usage error" 2 "$?"
"$HEALTHTOP" --bogus >/dev/null 2>&1
t_is "unknown option exits 2" 2 "$?"
"$HEALTHTOP" --help | grep -q -- "--once"
t_check "--help describes --once" [ $? -eq 0 ]
(cd "$T_DIR" && XDG_CONFIG_HOME=$T_DIR/none "$HEALTHTOP" --once >"$T_DIR/nocfg.txt" 2>&1)
t_is "no config found exits 2" 2 "$?"
t_contains "no config found says how to start" "$T_DIR/nocfg.txt" "examples/minimal.yml"
t_contains "no config found names the real path it looked at" "$T_DIR/nocfg.txt" \
	"looked for ./healthtop.yml and $T_DIR/none/healthtop/config.yml)"
t_lacks "no config found prints no unexpanded variable" "$T_DIR/nocfg.txt" '$XDG_CONFIG_HOME'

# A config others can write is refused unless allowed.
chmod 666 "$T_DIR/good.yml"
"$HEALTHTOP" --once -c "$T_DIR/good.yml" >"$T_DIR/perm.txt" 2>&1
t_is "world-writable config refused (exit 2)" 2 "$?"
"$HEALTHTOP" --once --allow-insecure-config -c "$T_DIR/good.yml" >/dev/null 2>&1
t_is "--allow-insecure-config accepts it (exit 0)" 0 "$?"

t_done
