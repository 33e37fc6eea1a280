#!/bin/bash
# alerts: end to end: healthtop --serve with fixture services that go
# down and come back, a real Alertmanager (Debian's) on a free loopback
# port, a webhook receiver that records what it is sent, an exec hook that
# writes its environment, and receivers that answer 500, hang or refuse.
#
# The stack: redis, nine services blocked by it (directly or through
# api and frontend: transitive), and legacy, which also needs redis but
# fails first for a reason of its own. Checked: legacy's own alert;
# redis' alert, one and not ten, listing the nine; the nine do not fire;
# legacy keeps its alert and gets no fresh one when redis recovers;
# billing, one of the nine, still failing once redis is back, fires on
# its own; every firing alert is resolved; the webhook's and the exec
# hook's payloads are the documented ones; the failing receivers are
# retried, counted in /metrics and logged, and never slow the probes;
# --wait alerts too; a reload resolves the alert of a service it drops.
. "$(dirname "$0")/../lib.sh"

AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager) || {
	echo "FAIL - alertmanager is missing: scripts/deps.sh --test installs prometheus-alertmanager"
	exit 1
}

HOOK_TOKEN=hook-token-0123456789abcdef
export HOOK_TOKEN

# Three fixtures: F1 serves redis and eight services, F2 legacy, F3 billing.
t_fixture_http || exit 1
F1=$FIX_PORT
t_fixture_http || exit 1
F2=$FIX_PORT
t_fixture_http || exit 1
F3=$FIX_PORT
DOWN=$(t_refused_port)

# The receiver: /hook records each POST (its Authorization header and
# body) as one JSON line; /fail500 answers 500; /hang never answers.
# Each path's requests are counted in FILE.count.PATH.
cat >"$T_DIR/recv.py" <<'PY'
import http.server, json, os, sys, threading, time
d = sys.argv[1]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.strip("/").split("/")[0]
        with lock:
            c = os.path.join(d, "count." + name)
            n = int(open(c).read()) + 1 if os.path.exists(c) else 1
            open(c + ".tmp", "w").write(str(n))
            os.rename(c + ".tmp", c)
            if name == "hook":
                with open(os.path.join(d, "hook.jsonl"), "a") as f:
                    f.write(json.dumps({"auth": self.headers.get("Authorization"),
                                        "type": self.headers.get("Content-Type"),
                                        "body": json.loads(body)}) + "\n")
        if name == "hang":
            time.sleep(3600)
            return
        code = 200 if name == "hook" else 500
        self.send_response(code)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"boom\n" if code == 500 else b"okay\n")
    def log_message(self, *a):
        pass
class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(os.path.join(d, "recv.port.tmp"), "w").write(str(s.server_address[1]))
os.rename(os.path.join(d, "recv.port.tmp"), os.path.join(d, "recv.port"))
s.serve_forever()
PY
t_bg "$PY" "$T_DIR/recv.py" "$T_DIR"
t_wait_file "$T_DIR/recv.port" || exit 1
R=http://127.0.0.1:$(cat "$T_DIR/recv.port")

# The exec hook: its environment and arguments, one file per call.
cat >"$T_DIR/hook.sh" <<SH
#!/bin/sh
f="$T_DIR/exec.\$HEALTHTOP_SERVICE.\$HEALTHTOP_STATUS"
{ env | grep '^HEALTHTOP_' | sort; printf 'ARG=%s\n' "\$1"; } >"\$f.tmp"
mv "\$f.tmp" "\$f"
SH
chmod 755 "$T_DIR/hook.sh"

# Alertmanager, clustering off, on a free port.
AP=$(t_free_port)
cat >"$T_DIR/am.yml" <<YML
route: {receiver: nowhere, group_wait: 1s}
receivers: [{name: nowhere}]
YML
t_bg "$AM_BIN" --config.file="$T_DIR/am.yml" --storage.path="$T_DIR/am" \
	--web.listen-address="127.0.0.1:$AP" --cluster.listen-address= >"$T_DIR/am.log" 2>&1
am_up() { curl -sf "http://127.0.0.1:$AP/-/ready" >/dev/null; }
t_until "$T_DEADLINE_S" am_up || {
	t_fail "Alertmanager did not become ready"
	cat "$T_DIR/am.log"
	exit 1
}

cat >"$T_DIR/stack.yml" <<YML
title: Alerts Test
defaults: {interval: 200ms, timeout: 2s, retries: 3}
alerts:
  - alertmanager: http://127.0.0.1:$AP/
    for: 1s
    repeat: 1s
  - webhook: $R/hook
    for: 1s
    headers: {Authorization: "Bearer \${HOOK_TOKEN}"}
  - exec: [$T_DIR/hook.sh, "\$\$(touch $T_DIR/pwned); x"]
    for: 1s
    services: [redis, leg*]
    timeout: 20s
  - alertmanager: $R/fail500
  - alertmanager: $R/hang
    timeout: 2s
  - alertmanager: http://127.0.0.1:$DOWN/
services:
  redis: {http: "http://127.0.0.1:$F1/toggle", retries: 1}
  api: {http: "http://127.0.0.1:$F1/toggle", depends_on: [redis]}
  auth: {http: "http://127.0.0.1:$F1/toggle", depends_on: [redis]}
  search: {http: "http://127.0.0.1:$F1/toggle", depends_on: [redis]}
  worker: {http: "http://127.0.0.1:$F1/toggle", depends_on: [api]}
  scheduler: {http: "http://127.0.0.1:$F1/toggle", depends_on: [api]}
  frontend: {http: "http://127.0.0.1:$F1/toggle", depends_on: [api]}
  admin: {http: "http://127.0.0.1:$F1/toggle", depends_on: [frontend]}
  cron: {http: "http://127.0.0.1:$F1/toggle", depends_on: [worker]}
  billing: {http: "http://127.0.0.1:$F3/toggle", depends_on: [frontend]}
  legacy: {http: "http://127.0.0.1:$F2/toggle", depends_on: [redis]}
YML
chmod 600 "$T_DIR/stack.yml"

t_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$T_DIR/stack.yml" \
	>"$T_DIR/serve.out" 2>"$T_DIR/serve.err"
SERVE_PID=$T_LAST_PID
t_wait_grep "--serve starts" "$T_DIR/serve.err" 'endpoints on port [0-9]+' || exit 1
LP=$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/serve.err" | grep -oE '[0-9]+$')
U=http://127.0.0.1:$LP

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/readyz")" = 200 ]; }
t_until "$T_DEADLINE_S" ready || t_fail "the stack never became healthy"

# Alertmanager's active alerts: "service:blocked" per alert, sorted.
am_alerts() {
	curl -s "http://127.0.0.1:$AP/api/v2/alerts?active=true" | $PY -c '
import json, sys
print(" ".join(sorted(a["labels"]["service"] + ":" + a["annotations"].get("blocked", "")
                      for a in json.load(sys.stdin))))' 2>/dev/null
}
am_is() { [ "$(am_alerts)" = "$1" ]; }
# The services the webhook was sent, "service:status" per alert, in order.
hooked() {
	$PY -c '
import json, sys
for line in open(sys.argv[1]):
    for a in json.loads(line)["body"]["alerts"]:
        print(a["service"] + ":" + a["status"])' "$T_DIR/hook.jsonl" 2>/dev/null
}
hooked_has() { hooked | grep -qx "$1"; }

# 1. legacy fails on its own: its alert, everywhere.
curl -s "http://127.0.0.1:$F2/control/down" >/dev/null
if t_until "$T_DEADLINE_S" am_is "legacy:"; then t_ok "Alertmanager lists legacy's alert"; else
	t_fail "Alertmanager lists '$(am_alerts)', expected 'legacy:'"
fi
t_until "$T_DEADLINE_S" hooked_has legacy:firing && t_ok "the webhook got legacy firing" ||
	t_fail "the webhook never got legacy firing: $(hooked | tr '\n' ' ')"
t_wait_file "$T_DIR/exec.legacy.firing" && t_ok "the exec hook ran for legacy"

# 2. redis goes down (and billing's own server): one alert for redis,
# listing the nine it blocks (Alertmanager's annotation is updated at
# each re-send).
NINE="admin, api, auth, billing, cron, frontend, scheduler, search, worker"
curl -s "http://127.0.0.1:$F3/control/down" >/dev/null
curl -s "http://127.0.0.1:$F1/control/down" >/dev/null
am_redis_all() {
	curl -s "http://127.0.0.1:$AP/api/v2/alerts?active=true" | $PY -c '
import json, sys
for a in json.load(sys.stdin):
    if a["labels"]["service"] == "redis":
        print(", ".join(sorted(a["annotations"]["blocked"].split(", "))))' 2>/dev/null
}
am_redis_is() { [ "$(am_redis_all)" = "$NINE" ]; }
if t_until "$T_DEADLINE_S" am_redis_is; then t_ok "redis' alert lists the nine it blocks"; else
	t_fail "redis' alert lists '$(am_redis_all)', expected '$NINE'"
fi
am_services() {
	curl -s "http://127.0.0.1:$AP/api/v2/alerts?active=true" | $PY -c '
import json, sys
print(" ".join(sorted(a["labels"]["service"] for a in json.load(sys.stdin))))' 2>/dev/null
}
t_is "Alertmanager has two alerts, not eleven: legacy's and redis'" "legacy redis" "$(am_services)"
curl -s "$U/metrics" >"$T_DIR/metrics.down"
t_contains "/metrics still shows the blocked services down (only notifications are held)" \
	"$T_DIR/metrics.down" 'healthtop_service_blocked{service="cron",group="Services",kind="http"} 1'

# The labels Alertmanager got for redis.
curl -s "http://127.0.0.1:$AP/api/v2/alerts?active=true" | $PY -c '
import json, sys
for a in json.load(sys.stdin):
    if a["labels"]["service"] == "redis":
        l = a["labels"]
        print(l["alertname"], l["severity"], l["root_cause"], sorted(l))' >"$T_DIR/am.redis"
t_is "redis' labels" "HealthtopServiceUnhealthy critical true ['alertname', 'group', 'root_cause', 'service', 'severity']" \
	"$(cat "$T_DIR/am.redis")"

# The failing receivers: retried, counted, logged; the probes go on.
count() { cat "$T_DIR/count.$1" 2>/dev/null || echo 0; }
more_than() { [ "$(count "$1")" -gt "$2" ]; }
t_until "$T_DEADLINE_S" more_than fail500 2 && t_ok "the receiver answering 500 is retried" ||
	t_fail "the 500 receiver saw $(count fail500) requests"
t_until "$T_DEADLINE_S" more_than hang 1 && t_ok "the hanging receiver is given up on and retried" ||
	t_fail "the hanging receiver saw $(count hang) requests"
probes() {
	curl -s "$U/metrics" | awk '/^healthtop_probes_total\{service="redis"/ {n += $2} END {print n + 0}'
}
p0=$(probes)
grows() { [ "$(probes)" -gt $((p0 + 20)) ]; }
t_until "$T_DEADLINE_S" grows && t_ok "probes go on while receivers fail and hang" ||
	t_fail "redis' probe count stuck at $(probes) (was $p0)"
t_wait_grep "a failing receiver is logged" "$T_DIR/serve.out" \
	'Z alerts: alertmanager #4 http://127.0.0.1:[0-9]+/fail500: failing: HTTP 500: boom'
t_wait_grep "an Alertmanager that is down is logged" "$T_DIR/serve.out" \
	'Z alerts: alertmanager #6 http://127.0.0.1:[0-9]+/: failing: '
curl -s "$U/metrics" >"$T_DIR/metrics.txt"
t_contains "/metrics counts failed deliveries" "$T_DIR/metrics.txt" \
	'healthtop_alert_deliveries_total{route="4",receiver="alertmanager",result="failure"} '
t_contains "/metrics counts drops" "$T_DIR/metrics.txt" \
	'healthtop_alerts_dropped_total{route="6",receiver="alertmanager"} 0'
t_contains "/metrics shows the failing receiver" "$T_DIR/metrics.txt" \
	'healthtop_alert_receiver_failing{route="4",receiver="alertmanager"} 1'
grep -E '^healthtop_alert_deliveries_total\{route="1",receiver="alertmanager",result="success"\} [1-9]' \
	"$T_DIR/metrics.txt" >/dev/null && t_ok "/metrics counts Alertmanager's deliveries" ||
	t_fail "no successful delivery to Alertmanager counted"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promtool.out" 2>&1
	t_is "promtool check metrics reports nothing" "" "$(cat "$T_DIR/promtool.out")"
fi

# 3. redis recovers: its alert resolves; legacy keeps its own, unrenewed;
# billing, still failing, fires on its own once the grace is over.
curl -s "http://127.0.0.1:$F1/control/up" >/dev/null
no_redis() { ! am_services | grep -qw redis; }
if t_until "$T_DEADLINE_S" no_redis; then t_ok "redis' alert resolved in Alertmanager"; else
	t_fail "Alertmanager lists '$(am_alerts)', still redis"
fi
t_until "$T_DEADLINE_S" hooked_has billing:firing && t_ok "billing, still down, fires on its own" ||
	t_fail "billing never fired: $(hooked | tr '\n' ' ')"
am_services_are() { [ "$(am_services)" = "$1" ]; }
t_until "$T_DEADLINE_S" am_services_are "billing legacy" && t_ok "Alertmanager lists billing and legacy" ||
	t_fail "Alertmanager lists '$(am_services)', expected 'billing legacy'"
curl -s "http://127.0.0.1:$F3/control/up" >/dev/null
t_until "$T_DEADLINE_S" hooked_has billing:resolved && t_ok "the webhook got billing resolved" ||
	t_fail "no billing resolved: $(hooked | tr '\n' ' ')"
t_until "$T_DEADLINE_S" hooked_has redis:resolved && t_ok "the webhook got redis resolved" ||
	t_fail "no redis resolved: $(hooked | tr '\n' ' ')"
t_wait_file "$T_DIR/exec.redis.resolved" && t_ok "the exec hook ran for redis resolved"

# 4. legacy recovers: resolved everywhere.
curl -s "http://127.0.0.1:$F2/control/up" >/dev/null
if t_until "$T_DEADLINE_S" am_is ""; then t_ok "legacy's alert resolved in Alertmanager"; else
	t_fail "Alertmanager lists '$(am_alerts)', expected none"
fi
t_until "$T_DEADLINE_S" hooked_has legacy:resolved && t_ok "the webhook got legacy resolved" ||
	t_fail "no legacy resolved: $(hooked | tr '\n' ' ')"
t_until "$T_DEADLINE_S" ready || t_fail "the stack never became healthy again"

# What the webhook got: in order, and nothing for the eight others.
t_is "the webhook's notifications, in order" \
	"legacy:firing redis:firing redis:resolved billing:firing billing:resolved legacy:resolved" "$(hooked | tr '\n' ' ' | sed 's/ $//')"

# The documented webhook payload, exactly (doc/alerts.md).
$PY - "$T_DIR/hook.jsonl" "$HOOK_TOKEN" >"$T_DIR/hook.check" 2>&1 <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
t = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
nine = {"api", "auth", "search", "worker", "scheduler", "frontend", "admin", "cron", "billing"}
for l in lines:
    assert l["auth"] == "Bearer " + sys.argv[2], "the header is sent"
    assert l["type"] == "application/json", l["type"]
    b = l["body"]
    assert sorted(b) == ["alerts", "source", "text", "version"], sorted(b)
    assert b["version"] == 1 and b["source"] == "healthtop"
    for a in b["alerts"]:
        assert sorted(a) == sorted(["status", "service", "group", "kind", "state", "previous",
                                    "severity", "message", "blocked", "root_cause",
                                    "starts_at", "ends_at"]), sorted(a)
        assert a["group"] == "Services" and a["kind"] == "http" and a["root_cause"] is True
        assert a["severity"] == "critical"
        assert t.match(a["starts_at"]), a["starts_at"]
        if a["status"] == "firing":
            assert a["state"] == "unhealthy" and a["previous"] == "healthy", a
            assert a["message"] == "HTTP 503", a["message"]
            assert a["ends_at"] is None
            assert a["service"] + " is unhealthy (was healthy): HTTP 503" in b["text"], b["text"]
            assert set(a["blocked"]) <= (nine if a["service"] == "redis" else set()), a["blocked"]
        else:
            assert a["state"] == "healthy" and t.match(a["ends_at"]), a
            assert a["service"] + " is healthy now (was unhealthy)" in b["text"], b["text"]
        assert b["text"].startswith("FIRING " if a["status"] == "firing" else "RESOLVED "), b["text"]
print("ok")
PY
t_is "the webhook payloads are the documented ones" "ok" "$(cat "$T_DIR/hook.check")"

# A reload that drops a service whose alert fires: it is resolved.
curl -s "http://127.0.0.1:$F2/control/down" >/dev/null
legacy_fired_twice() { [ "$(hooked | grep -cx legacy:firing)" = 2 ]; }
t_until "$T_DEADLINE_S" legacy_fired_twice && t_ok "legacy fires again" ||
	t_fail "legacy did not fire again: $(hooked | tr '\n' ' ')"
sed -i '/^  legacy:/d' "$T_DIR/stack.yml"
kill -HUP "$SERVE_PID"
t_wait_grep "the reload is done" "$T_DIR/serve.err" 'reloaded .*: 10 services'
gone() { tail -n 1 "$T_DIR/hook.jsonl" | grep -q '"text": "RESOLVED legacy is gone from the config (was unhealthy)"'; }
t_until "$T_DEADLINE_S" gone && t_ok "an alert of a service dropped by a reload is resolved" ||
	t_fail "no resolution for legacy after the reload: $(tail -n 1 "$T_DIR/hook.jsonl")"
if t_until "$T_DEADLINE_S" am_is ""; then t_ok "and Alertmanager no longer lists it"; else
	t_fail "Alertmanager lists '$(am_alerts)', expected none"
fi

# The exec hook's environment.
sed -E 's/(AT=).+/\1T/' "$T_DIR/exec.redis.firing" >"$T_DIR/exec.firing.seen"
cat >"$T_DIR/exec.firing.want" <<EOF
HEALTHTOP_BLOCKED=$(sed -n 's/^HEALTHTOP_BLOCKED=//p' "$T_DIR/exec.redis.firing")
HEALTHTOP_ENDS_AT=
HEALTHTOP_GROUP=Services
HEALTHTOP_KIND=http
HEALTHTOP_MESSAGE=HTTP 503
HEALTHTOP_PREVIOUS=healthy
HEALTHTOP_ROOT_CAUSE=true
HEALTHTOP_ROUTE=3
HEALTHTOP_SERVICE=redis
HEALTHTOP_SEVERITY=critical
HEALTHTOP_STARTS_AT=T
HEALTHTOP_STATE=unhealthy
HEALTHTOP_STATUS=firing
HEALTHTOP_TEXT=$(sed -n 's/^HEALTHTOP_TEXT=//p' "$T_DIR/exec.redis.firing")
ARG=\$(touch $T_DIR/pwned); x
EOF
t_is "the exec hook's environment (firing)" "$(cat "$T_DIR/exec.firing.want")" \
	"$(cat "$T_DIR/exec.firing.seen")"
t_check "HEALTHTOP_TEXT says what happened" grep -q '^HEALTHTOP_TEXT=redis is unhealthy (was healthy): HTTP 503' "$T_DIR/exec.redis.firing"
t_check "no shell ran the argument" test ! -e "$T_DIR/pwned"
t_check "the resolution's environment" grep -qx 'HEALTHTOP_STATE=healthy' "$T_DIR/exec.redis.resolved"
t_check "the resolution has an end" grep -qE '^HEALTHTOP_ENDS_AT=[0-9]{4}-' "$T_DIR/exec.redis.resolved"
t_check "the exec route's services: glob left the others out" test ! -e "$T_DIR/exec.api.firing"

# SIGTERM with deliveries still under way (the hanging receiver, the
# retries): a clean stop, nothing left behind (an ASan build checks).
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_is "--serve stops cleanly on SIGTERM with deliveries under way" 0 $?
t_lacks "no sanitizer report" "$T_DIR/serve.err" "Sanitizer"
t_lacks "no handle left open" "$T_DIR/serve.err" "handles left open"
# --wait sends alerts too, and says on stderr when a receiver fails.
cat >"$T_DIR/wait.yml" <<YML
defaults: {interval: 200ms, timeout: 2s, retries: 1}
alerts:
  - exec: [$T_DIR/hook.sh, wait]
  - webhook: http://127.0.0.1:$DOWN/hook
  - exec: [sleep, "612"]
    timeout: 500ms
services:
  gone: {tcp: "127.0.0.1:$DOWN"}
YML
chmod 600 "$T_DIR/wait.yml"
t_bg "$HEALTHTOP" --wait --timeout 600s -c "$T_DIR/wait.yml" >"$T_DIR/wait.out" 2>"$T_DIR/wait.err"
WAIT_PID=$T_LAST_PID
t_wait_file "$T_DIR/exec.gone.firing" && t_ok "--wait runs the exec hook"
t_check "with the --wait route's argument" grep -qx 'ARG=wait' "$T_DIR/exec.gone.firing"
t_wait_grep "--wait tells a failing receiver on stderr" "$T_DIR/wait.err" \
	'^healthtop: alerts: webhook #2 http://127.0.0.1:[0-9]+/hook: failing: '
t_wait_grep "a hook past its timeout is killed and counted as failing" "$T_DIR/wait.err" \
	'^healthtop: alerts: exec #3 sleep: failing: timed out after 500 ms: killed'
kill -INT "$WAIT_PID"
wait "$WAIT_PID"
t_is "--wait interrupted exits 130" 130 $?
t_lacks "--wait: no sanitizer report" "$T_DIR/wait.err" "Sanitizer"
t_lacks "--wait: no handle left open" "$T_DIR/wait.err" "handles left open"
t_check "no hook is left running" eval '! pgrep -f "^sleep 612$" >/dev/null'

t_lacks "the hook token is never logged" "$T_DIR/serve.out" "$HOOK_TOKEN"
t_lacks "the hook token is never logged (stderr)" "$T_DIR/serve.err" "$HOOK_TOKEN"
t_done
