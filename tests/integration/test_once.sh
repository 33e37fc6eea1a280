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
  timeout: 1s
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

# --once: everything at the same moment, so one hanging endpoint with a
# 1 s timeout costs about 1 s, not the sum of timeouts.
start=$(t_ms)
"$HEALTHTOP" --once -c "$T_DIR/stack.yml" >"$T_DIR/once.txt" 2>&1
rc=$?
took=$(($(t_ms) - start))
t_check "--once exits 1 with unhealthy services (got $rc)" [ "$rc" -eq 1 ]
t_check "--once with a hung endpoint took ${took}ms (< 3000)" [ "$took" -lt 3000 ]
t_check "--once waited for the 1 s timeout (${took}ms >= 900)" [ "$took" -ge 900 ]
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

# --json: one document, parsed by a real JSON parser.
"$HEALTHTOP" --once --json -c "$T_DIR/stack.yml" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
t_check "--json exits 1" [ $? -eq 1 ]
t_check "--json is one valid document with the right fields" $PY - "$T_DIR/once.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "Test Stack" and d["status"] == "unhealthy", d["status"]
assert s["api"]["status"] == "healthy" and s["api"]["kind"] == "http"
assert s["bento"]["replicas"] == {"up": 2, "expected": 3}, s["bento"]["replicas"]
assert s["heavy"]["status"] == "skipped"
assert s["mlflow"]["message"] == "HTTP 503"
assert s["redis"]["group"] == "Memory Systems"
assert d["summary"]["total"] == 8 and d["summary"]["skipped"] == 1
assert isinstance(s["api"]["latency_ms"], float)
PY

# A message with bytes that are not UTF-8 still reaches the JSON document.
cat >"$T_DIR/bytes.yml" <<'YML'
services:
  odd: {exec: [sh, -c, "printf '\\377bad\\n'; exit 1"]}
YML
chmod 600 "$T_DIR/bytes.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/bytes.yml" >"$T_DIR/bytes.json" 2>&1
t_check "a message that is not UTF-8 is kept, with '?' for the bad byte" $PY - "$T_DIR/bytes.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["services"][0]["message"] == "?bad", d["services"][0]
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
t_check "--once exits 0 when all healthy or skipped" [ $? -eq 0 ]
t_contains "healthy status line" "$T_DIR/good.txt" "SYSTEM STATUS: HEALTHY"
LC_ALL=C "$HEALTHTOP" --once -c "$T_DIR/good.yml" >"$T_DIR/ascii.txt" 2>&1
t_contains "ASCII marks outside UTF-8" "$T_DIR/ascii.txt" "[ OK ] api - HEALTHY"

# --wait: all healthy quickly -> 0 with T+ lines.
"$HEALTHTOP" --wait --timeout 10s -c "$T_DIR/good.yml" >"$T_DIR/wait.txt" 2>&1
t_check "--wait exits 0 when everything comes up" [ $? -eq 0 ]
t_contains "--wait prints state changes" "$T_DIR/wait.txt" " api healthy"
t_contains "--wait says when all were healthy" "$T_DIR/wait.txt" "all 3 services healthy"

# --wait with a failing service: exit 1 at the deadline, listing why.
start=$(t_ms)
"$HEALTHTOP" --wait --timeout 2s -c "$T_DIR/stack.yml" >"$T_DIR/waitbad.txt" 2>&1
rc=$?
took=$(($(t_ms) - start))
t_check "--wait exits 1 at the deadline (got $rc)" [ "$rc" -eq 1 ]
t_check "--wait honours its deadline (${took}ms)" [ "$took" -ge 1900 -a "$took" -lt 5000 ]
t_contains "--wait lists what is not healthy" "$T_DIR/waitbad.txt" "not healthy after 2.0s:"
t_contains "--wait says why" "$T_DIR/waitbad.txt" "HTTP 503"
t_contains "--wait prints unhealthy transitions" "$T_DIR/waitbad.txt" "mlflow unhealthy: HTTP 503"

# A service coming up during --wait: the fixture's /toggle starts down.
curl -s "$B/control/down" >/dev/null
cat >"$T_DIR/late.yml" <<YML
defaults: {interval: 200ms, timeout: 1s, retries: 2}
services:
  late: {http: $B/toggle}
YML
chmod 600 "$T_DIR/late.yml"
"$HEALTHTOP" --wait --timeout 20s -c "$T_DIR/late.yml" >"$T_DIR/late.txt" 2>&1 &
wpid=$!
sleep 1.5
curl -s "$B/control/up" >/dev/null
wait $wpid
t_check "--wait sees a late service come up (exit $?)" grep -q "late healthy" "$T_DIR/late.txt"
t_contains "--wait saw it unhealthy first" "$T_DIR/late.txt" "late unhealthy"

# Usage errors exit 2.
"$HEALTHTOP" --once --wait -c "$T_DIR/good.yml" >/dev/null 2>&1
t_check "--once with --wait is a usage error" [ $? -eq 2 ]
"$HEALTHTOP" --bogus >/dev/null 2>&1
t_check "unknown option exits 2" [ $? -eq 2 ]
"$HEALTHTOP" --help | grep -q -- "--once"
t_check "--help describes --once" [ $? -eq 0 ]
(cd "$T_DIR" && XDG_CONFIG_HOME=$T_DIR/none "$HEALTHTOP" --once >"$T_DIR/nocfg.txt" 2>&1)
t_check "no config found exits 2" [ $? -eq 2 ]
t_contains "no config found says how to start" "$T_DIR/nocfg.txt" "examples/minimal.yml"

# A config others can write is refused unless allowed.
chmod 666 "$T_DIR/good.yml"
"$HEALTHTOP" --once -c "$T_DIR/good.yml" >"$T_DIR/perm.txt" 2>&1
t_check "world-writable config refused (exit 2)" [ $? -eq 2 ]
"$HEALTHTOP" --once --allow-insecure-config -c "$T_DIR/good.yml" >/dev/null 2>&1
t_check "--allow-insecure-config accepts it" [ $? -eq 0 ]

t_done
