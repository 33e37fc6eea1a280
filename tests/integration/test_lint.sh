#!/bin/bash
# `healthtop lint` end to end: the E2I example before its fixes (all three
# bugs found, at their lines) and after (clean), the JSON and SARIF
# documents, --fail-on, the file lookup from a subdirectory, COMPOSE_FILE
# and the exit status on compose and usage errors.
. "$(dirname "$0")/../lib.sh"

E2I=$HT_SOURCE_DIR/examples/e2i
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME COMPOSE_PATH_SEPARATOR

# Before: lookup in the working directory finds docker-compose.yml.
(cd "$E2I/before" && "$HEALTHTOP" lint) >"$T_DIR/before.txt" 2>"$T_DIR/before.err"
t_is "lint exits 1 on findings" 1 $?
t_contains "bug 1: the workers wait for api to start, not to be ready" "$T_DIR/before.txt" \
	"docker-compose.yml:119:20: warning: worker_light waits for api with condition service_started, but api has a healthcheck: it can start before api is ready [depends-started]"
t_contains "bug 1, worker_medium" "$T_DIR/before.txt" "docker-compose.yml:131:20: warning: worker_medium waits for api"
t_contains "bug 1, worker_heavy" "$T_DIR/before.txt" "docker-compose.yml:145:20: warning: worker_heavy waits for api"
t_contains "bug 1's fix" "$T_DIR/before.txt" "  fix: condition: service_healthy"
t_contains "bug 2: scheduler depends on a service that does not exist" "$T_DIR/before.txt" \
	"docker-compose.yml:156:7: error: scheduler depends on 'worker', which is not a service of this project (did you mean 'worker_light', 'worker_medium' or 'worker_heavy'?) [missing-dependency]"
t_contains "bug 3: opik's healthcheck on the wrong port" "$T_DIR/before.txt" \
	"docker-compose.yml:84:13: warning: opik's healthcheck checks port 5173 (http://localhost:5173/health), but opik listens on 5174"
t_contains "bug 3's fix" "$T_DIR/before.txt" \
	'  fix: test: ["CMD", "curl", "-f", "http://localhost:5174/health"]'
t_contains "the summary" "$T_DIR/before.txt" "1 error, 4 warnings, 1 note in 12 services (project e2i)"
t_is "nothing on stderr" "" "$(cat "$T_DIR/before.err")"

# After: no warning or error, exit 0.
(cd "$E2I/after" && "$HEALTHTOP" lint) >"$T_DIR/after.txt"
t_is "the fixed stack lints clean" 0 $?
t_contains "after: only the note" "$T_DIR/after.txt" "0 errors, 0 warnings, 1 note in 12 services"

# --fail-on error: warnings pass, errors fail.
"$HEALTHTOP" lint -f "$E2I/before/docker-compose.yml" --fail-on error >/dev/null
t_is "--fail-on error fails on the missing dependency" 1 $?
sed 's/      worker:/      worker_light:/' "$E2I/before/docker-compose.yml" >"$T_DIR/warn.yml"
"$HEALTHTOP" lint -f "$T_DIR/warn.yml" --fail-on error >/dev/null
t_is "--fail-on error passes warnings" 0 $?
"$HEALTHTOP" lint -f "$T_DIR/warn.yml" >/dev/null
t_is "warnings fail by default" 1 $?

# JSON.
"$HEALTHTOP" lint -f "$E2I/before/docker-compose.yml" --json >"$T_DIR/lint.json"
t_check "--json is one JSON document with the findings" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"]
assert d["project"] == "e2i", d["project"]
assert d["summary"] == {"errors": 1, "warnings": 4, "notes": 1}, d["summary"]
rules = sorted({x["rule"] for x in f})
assert rules == ["depends-started", "healthcheck-port", "missing-dependency", "restart-unhealthy"], rules
m = [x for x in f if x["rule"] == "missing-dependency"][0]
assert (m["line"], m["column"], m["severity"]) == (156, 7, "error"), m
assert m["fix"], m
' "$T_DIR/lint.json"

# SARIF 2.1.0: what CI systems read to annotate lines.
"$HEALTHTOP" lint -f "$E2I/before/docker-compose.yml" --format sarif >"$T_DIR/lint.sarif"
t_check "--format sarif is SARIF 2.1.0 with a result per finding" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0"
assert "sarif-2.1.0" in d["$schema"]
run = d["runs"][0]
drv = run["tool"]["driver"]
assert drv["name"] == "healthtop"
ids = [r["id"] for r in drv["rules"]]
res = run["results"]
assert len(res) == 6, len(res)
for r in res:
    assert ids[r["ruleIndex"]] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note")
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("docker-compose.yml")
    assert loc["region"]["startLine"] > 0 and loc["region"]["startColumn"] > 0
    assert r["message"]["text"]
lines = sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in res)
assert lines == [22, 84, 119, 131, 145, 156], lines
' "$T_DIR/lint.sarif"

# A file name with a space is a %-encoded URI in SARIF.
cp "$E2I/before/docker-compose.yml" "$T_DIR/my stack.yml"
(cd "$T_DIR" && "$HEALTHTOP" lint -f "my stack.yml" --format sarif) >"$T_DIR/space.sarif"
t_check "SARIF's uri is %-encoded" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"]}
assert uris == {"my%20stack.yml"}, uris
' "$T_DIR/space.sarif"

# The lookup goes up from a subdirectory and takes the override file.
mkdir -p "$T_DIR/proj/sub/dir"
cat >"$T_DIR/proj/compose.yaml" <<'YML'
services:
  api:
    image: x
    healthcheck: {test: [CMD, "true"], interval: 5s, timeout: 2s, retries: 3}
  web:
    image: x
    depends_on: [api]
YML
cat >"$T_DIR/proj/compose.override.yaml" <<'YML'
services:
  web:
    depends_on:
      api: {condition: service_healthy}
YML
(cd "$T_DIR/proj/sub/dir" && "$HEALTHTOP" lint) >"$T_DIR/up.txt"
t_is "lookup from a subdirectory, override merged: clean" 0 $?
t_contains "the project is named after its directory" "$T_DIR/up.txt" "(project proj)"
rm "$T_DIR/proj/compose.override.yaml"
(cd "$T_DIR/proj/sub/dir" && "$HEALTHTOP" lint) >"$T_DIR/up2.txt"
t_contains "without the override the race is back, named relative to here" "$T_DIR/up2.txt" \
	"../../compose.yaml:7:18: warning: web waits for api with condition service_started"

# COMPOSE_FILE, and an interpolation error at its place: exit 2.
printf 'services:\n  a:\n    image: "${HT_LINT_UNSET:?give an image}"\n' >"$T_DIR/bad.yml"
(cd "$T_DIR" && COMPOSE_FILE=bad.yml "$HEALTHTOP" lint) >/dev/null 2>"$T_DIR/bad.err"
t_is "a compose error exits 2" 2 $?
t_contains "the error is at file:line:col" "$T_DIR/bad.err" \
	"bad.yml:3:12: required variable HT_LINT_UNSET is missing a value: give an image"

# --from-recording: a recorded run (as --record writes it) in which api
# took 47.5 s to become healthy, against the fixed stack's 30 s.
cat >"$T_DIR/rec.jsonl" <<'REC'
{"healthtop_recording": 1, "version": "0.1.0", "title": "compose project e2i", "t0_wall_ms": 1764740000000, "services": [{"name": "api", "label": "api", "group": "Services", "kind": "docker", "depends_on": [], "replicas": {"up": 0, "expected": 1}, "interval_ms": 2000}, {"name": "redis", "label": "redis", "group": "Services", "kind": "docker", "depends_on": [], "replicas": {"up": 0, "expected": 1}, "interval_ms": 2000}]}
{"t_ms": 0, "wall_ms": 1764740000000, "service": "api", "state": "starting", "ok": false, "latency_ms": 3.0, "replicas": {"up": 0, "expected": 1, "found": 1}, "message": "health: starting", "from": "unknown"}
{"t_ms": 0, "wall_ms": 1764740000000, "service": "redis", "state": "starting", "ok": false, "latency_ms": 3.0, "replicas": {"up": 0, "expected": 1, "found": 1}, "message": "health: starting", "from": "unknown"}
{"t_ms": 4000, "wall_ms": 1764740004000, "service": "redis", "state": "healthy", "ok": true, "latency_ms": 3.0, "replicas": {"up": 1, "expected": 1, "found": 1}, "message": "running (healthy)", "from": "starting"}
{"t_ms": 47500, "wall_ms": 1764740047500, "service": "api", "state": "healthy", "ok": true, "latency_ms": 3.0, "replicas": {"up": 1, "expected": 1, "found": 1}, "message": "running (healthy)", "from": "starting"}
REC
(cd "$E2I/after" && "$HEALTHTOP" lint --from-recording "$T_DIR/rec.jsonl") >"$T_DIR/rec.txt"
t_is "--from-recording: a start_period too short is a finding" 1 $?
t_contains "api's start_period, with the measured time" "$T_DIR/rec.txt" \
	"docker-compose.yml:89:5: warning: api took 47.5s to become healthy in $T_DIR/rec.jsonl, but its start_period is 30.0s"
t_contains "and a value that fits" "$T_DIR/rec.txt" "  fix: start_period: 60s"
t_lacks "redis (4 s) fits its 30 s" "$T_DIR/rec.txt" "redis took"
printf 'not json\n' >"$T_DIR/bad.jsonl"
(cd "$E2I/after" && "$HEALTHTOP" lint --from-recording "$T_DIR/bad.jsonl") >/dev/null 2>"$T_DIR/badrec.err"
t_is "an unreadable recording exits 2" 2 $?

"$HEALTHTOP" lint --format xml >/dev/null 2>"$T_DIR/usage.err"
t_is "a usage error exits 2" 2 $?
t_contains "and says why" "$T_DIR/usage.err" "--format is text, json or sarif, not xml"
(cd / && "$HEALTHTOP" lint) >/dev/null 2>"$T_DIR/none.err"
t_is "no compose file exits 2" 2 $?
t_contains "and says where it looked" "$T_DIR/none.err" "no compose file found"

t_done
