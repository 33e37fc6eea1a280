#!/bin/bash
# --serve and --listen end to end: the real binary against the HTTP
# fixture, scraped by a real Prometheus, its exposition checked by
# promtool, its bounds and auth tried with raw sockets, SIGHUP and SIGTERM.
. "$(dirname "$0")/../lib.sh"

for tool in prometheus promtool; do
	command -v "$tool" >/dev/null || {
		echo "FAIL - $tool is missing: scripts/deps.sh --test installs Debian's prometheus"
		exit 1
	}
done

TOKEN=correct-horse-battery-staple
export TOKEN
t_fixture_http || exit 1
B=http://127.0.0.1:$FIX_PORT

write_config() { # extra service lines
	cat >"$T_DIR/stack.yml" <<YML
title: Serve Test
auth: {bearer: "\${TOKEN}"}
defaults:
  interval: 200ms
  timeout: 5s
  retries: 1
services:
  api:
    group: "Web \"front\" \\\\ end"
    http: $B/toggle
  worker:
    group: "Workers ${TOKEN}\nline two"
    http: $B/ok
    depends_on: [api]
$1
YML
	chmod 600 "$T_DIR/stack.yml"
}
write_config ""

t_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$T_DIR/stack.yml" \
	>"$T_DIR/serve.out" 2>"$T_DIR/serve.err"
SERVE_PID=$T_LAST_PID
t_wait_grep "--serve says where it listens" "$T_DIR/serve.err" 'endpoints on port [0-9]+' || exit 1
LP=$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/serve.err" | grep -oE '[0-9]+$')
U=http://127.0.0.1:$LP
AUTH="Authorization: Bearer $TOKEN"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# Auth: /healthz is open, the rest wants the token, compared whole.
t_is "/healthz needs no token" 200 "$(code "$U/healthz")"
t_is "/metrics without a token is 401" 401 "$(code "$U/metrics")"
t_is "/metrics with a wrong token of the same length is 401" 401 \
	"$(code -H "Authorization: Bearer ${TOKEN%?}X" "$U/metrics")"
t_is "/metrics with a prefix of the token is 401" 401 \
	"$(code -H "Authorization: Bearer ${TOKEN:0:8}" "$U/metrics")"
t_is "/metrics with the token is 200" 200 "$(code -H "$AUTH" "$U/metrics")"
t_is "an unknown path is 404" 404 "$(code -H "$AUTH" "$U/nope")"
t_is "POST is 405" 405 "$(code -X POST -H "$AUTH" "$U/metrics")"

# Everything healthy first.
ready() { [ "$(code -H "$AUTH" "$U/readyz")" = "$1" ]; }
if t_until "$T_DEADLINE_S" ready 200; then t_ok "/readyz is 200 once all is healthy"; else
	t_fail "/readyz: expected 200, saw $(code -H "$AUTH" "$U/readyz")"
fi
t_wait_grep "a state change is logged as one text line" "$T_DIR/serve.out" \
	'^[0-9T:.-]+Z api healthy \(was (unknown|starting)\): HTTP 200$'

# The exposition: promtool finds nothing to say about it.
curl -s -H "$AUTH" "$U/metrics" >"$T_DIR/metrics.txt"
promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promtool.out" 2>&1
t_is "promtool check metrics exits 0" 0 $?
t_is "promtool check metrics reports nothing" "" "$(cat "$T_DIR/promtool.out")"
t_contains "label values are escaped" "$T_DIR/metrics.txt" \
	'healthtop_service_up{service="api",group="Web \"front\" \\ end",kind="http"} 1'
t_contains "secrets in labels are masked, controls escaped" "$T_DIR/metrics.txt" \
	'healthtop_service_up{service="worker",group="Workers ***\\nline two",kind="http"} 1'
t_lacks "the token never shows in /metrics" "$T_DIR/metrics.txt" "$TOKEN"
for m in healthtop_service_state healthtop_service_replicas_expected healthtop_probes_total \
	healthtop_probe_duration_seconds_bucket healthtop_service_first_healthy_seconds \
	healthtop_service_blocked healthtop_build_info; do
	t_contains "/metrics has $m" "$T_DIR/metrics.txt" "$m{"
done
curl -s -D "$T_DIR/om.head" -H "$AUTH" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"$U/metrics" >"$T_DIR/om.txt"
t_contains "OpenMetrics when asked" "$T_DIR/om.head" "application/openmetrics-text; version=1.0.0"
t_is "OpenMetrics ends with # EOF" "# EOF" "$(tail -n 1 "$T_DIR/om.txt")"
t_contains "OpenMetrics names the counter family without _total" "$T_DIR/om.txt" \
	"# TYPE healthtop_probes counter"
grep '^# HELP' "$T_DIR/om.txt" | grep -F '"' >"$T_DIR/om.quotes"
t_is "no double quote in a HELP text (OpenMetrics forbids a bare one)" "" "$(cat "$T_DIR/om.quotes")"

# /api/v1/state is the --once --json document.
curl -s -H "$AUTH" "$U/api/v1/state" >"$T_DIR/state.json"
"$HEALTHTOP" --once --json -c "$T_DIR/stack.yml" >"$T_DIR/once.json" 2>/dev/null
keys() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(d), [s["name"] for s in d["services"]], sorted(d["services"][0]))' "$1"; }
t_is "/api/v1/state has the --once --json shape" "$(keys "$T_DIR/once.json")" "$(keys "$T_DIR/state.json")"

# A real Prometheus scrapes it, with the token.
PP=$(t_free_port)
cat >"$T_DIR/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: healthtop
    authorization: {credentials: $TOKEN}
    static_configs: [{targets: ["127.0.0.1:$LP"]}]
YML
t_bg prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="127.0.0.1:$PP" >"$T_DIR/prometheus.log" 2>&1
query() { # PromQL -> the values, one "service value" a line
	curl -s "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		$PY -c 'import json,sys
d=json.load(sys.stdin)
for r in sorted(d["data"]["result"], key=lambda r: r["metric"].get("service", "")):
    print(r["metric"].get("service", ""), r["value"][1])' 2>/dev/null
}
prom_sees() { [ "$(query "$1" | tr '\n' ' ')" = "$2" ]; }
if t_until "$T_DEADLINE_S" prom_sees healthtop_service_up "api 1 worker 1 "; then
	t_ok "Prometheus' query API shows healthtop_service_up for both services"
else
	t_fail "Prometheus: expected 'api 1 worker 1', saw '$(query healthtop_service_up | tr '\n' ' ')'"
	tail -5 "$T_DIR/prometheus.log"
fi

# api goes down: /readyz flips to 503, the worker is blocked by it, and
# Prometheus sees it.
curl -s "$B/control/down" >/dev/null
if t_until "$T_DEADLINE_S" ready 503; then t_ok "/readyz flips to 503 when api goes down"; else
	t_fail "/readyz: expected 503 after /control/down, saw $(code -H "$AUTH" "$U/readyz")"
fi
t_wait_grep "the change is logged" "$T_DIR/serve.out" '^[0-9T:.-]+Z api unhealthy \(was healthy\): HTTP 503'
if t_until "$T_DEADLINE_S" prom_sees 'healthtop_service_up{service="api"}' "api 0 "; then
	t_ok "Prometheus sees api down"
else t_fail "Prometheus: expected api 0, saw '$(query 'healthtop_service_up{service="api"}')'"; fi
curl -s "$B/control/up" >/dev/null
if t_until "$T_DEADLINE_S" ready 200; then t_ok "/readyz is 200 again when api is back"; else
	t_fail "/readyz: expected 200 after /control/up"
fi

# Bounds: a 1 MB request line is refused and the connection closed.
$PY - "$LP" >"$T_DIR/big.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    s.sendall(b"GET /" + b"a" * (1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except ConnectionResetError:
        break
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode() if data else "no answer")
print("closed")
PY
t_contains "a 1 MB request line is answered 431" "$T_DIR/big.out" "HTTP/1.1 431"
t_contains "and the connection is closed" "$T_DIR/big.out" "closed"

# Too many headers: 400, and closed.
$PY - "$LP" >"$T_DIR/headers.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(40)) + b"\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode())
PY
t_contains "40 request headers are answered 400" "$T_DIR/headers.out" "HTTP/1.1 400"

# An idle connection is closed by the server (after its 10 s).
$PY - "$LP" >"$T_DIR/idle.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
print("connected", flush=True)
print("closed" if s.recv(1) == b"" else "data", "after %.1f s" % (time.monotonic() - t0), flush=True)
PY
IDLE_PID=$!
T_PIDS="$T_PIDS $IDLE_PID"
# A request trickled a header a second (slowloris) is closed all the same.
$PY - "$LP" >"$T_DIR/trickle.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0, sent = time.monotonic(), 0
print("connected", flush=True)
try:
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    s.settimeout(1)
    while True:
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            s.sendall(b"X-Slow-%d: v\r\n" % sent)
            sent += 1
except (BrokenPipeError, ConnectionResetError):
    pass
print("closed after %.1f s, %d headers sent" % (time.monotonic() - t0, sent), flush=True)
PY
T_PIDS="$T_PIDS $!"

# Both are connected before the burst below takes every slot: a client
# that connected after it would be refused at once, not timed out.
t_wait_grep "the idle client is connected" "$T_DIR/idle.out" '^connected' || exit 1
t_wait_grep "the trickling client is connected" "$T_DIR/trickle.out" '^connected' || exit 1

# Too many connections: past the bound they are closed without an answer,
# while those within it are served (and held open by keep-alive).
$PY - "$LP" 100 >"$T_DIR/conns.out" 2>&1 <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks, served, refused = [], 0, 0
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
for s in socks:
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
    except (BrokenPipeError, ConnectionResetError):
        data = b""
    if data.startswith(b"HTTP/1.1 200"):
        served += 1
    else:
        refused += 1
print("served", served, "refused", refused)
PY
read -r _ served _ refused <"$T_DIR/conns.out"
t_check "100 connections at once: at most 64 served ($served)" [ "${served:-0}" -le 64 ]
t_check "and the rest refused ($refused)" [ "${refused:-0}" -ge 36 ]
t_is "after they leave, it serves again" 200 "$(code "$U/healthz")"

# SIGHUP with a bad config keeps the running one.
cp "$T_DIR/stack.yml" "$T_DIR/good.yml"
printf 'bogus: [\n' >>"$T_DIR/stack.yml"
kill -HUP "$SERVE_PID"
t_wait_grep "SIGHUP reports the bad config with its position" "$T_DIR/serve.err" 'stack\.yml:[0-9]+:[0-9]+: '
t_wait_grep "and keeps the running one" "$T_DIR/serve.err" 'keeping the running one'
t_is "still serving the old config" 200 "$(code -H "$AUTH" "$U/readyz")"
t_check "the process is alive" kill -0 "$SERVE_PID"
# A good one replaces it.
write_config "  extra:
    http: $B/ok"
kill -HUP "$SERVE_PID"
t_wait_grep "SIGHUP loads a good config" "$T_DIR/serve.err" 'reloaded .*stack\.yml: 3 services'
has_extra() { curl -s -H "$AUTH" "$U/metrics" | grep -q 'healthtop_service_up{service="extra"'; }
t_until "$T_DEADLINE_S" has_extra
t_check "the new service is in /metrics" has_extra
# A reload replaces the credentials too (a rotated token).
sed -i 's/^auth: .*$/auth: {bearer: "a-rotated-token-0123456789"}/' "$T_DIR/stack.yml"
kill -HUP "$SERVE_PID"
reloads() { [ "$(grep -c 'reloaded .*stack\.yml' "$T_DIR/serve.err")" -ge 2 ]; }
t_until "$T_DEADLINE_S" reloads
t_check "SIGHUP reloads the rotated token" reloads
t_is "the old token is refused after the rotation" 401 "$(code -H "$AUTH" "$U/api/v1/state")"
t_is "the rotated token is taken" 200 \
	"$(code -H "Authorization: Bearer a-rotated-token-0123456789" "$U/api/v1/state")"

t_wait_grep "an idle connection is closed by the server" "$T_DIR/idle.out" '^closed after'
secs=$(grep -oE '[0-9]+\.[0-9]' "$T_DIR/idle.out" | cut -d. -f1)
t_check "not before its 10 s (${secs}s)" [ "${secs:-0}" -ge 9 ]
t_wait_grep "a trickled request is closed by the server" "$T_DIR/trickle.out" '^closed after'

# SIGTERM: exit 0, port closed.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_is "SIGTERM exits 0" 0 $?
port_closed() { ! curl -s -o /dev/null "$U/healthz"; }
t_check "the port is closed" port_closed

# --log-format json: one object a line; non-loopback needs saying so.
t_bg "$HEALTHTOP" --serve --log-format json -c "$T_DIR/good.yml" >"$T_DIR/json.out" 2>/dev/null
JPID=$T_LAST_PID
t_wait_grep "--log-format json writes JSON lines" "$T_DIR/json.out" '"service":"worker"'
t_check "every line is a JSON object with the documented keys" $PY -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert set(d) == {"time", "service", "group", "kind", "state", "previous", "message"}, d
' "$T_DIR/json.out"
kill -TERM "$JPID"
"$HEALTHTOP" --serve --listen 0.0.0.0:0 -c "$T_DIR/good.yml" >/dev/null 2>"$T_DIR/public.err"
t_is "--listen 0.0.0.0 without --listen-public exits 2" 2 $?
t_contains "and says which option allows it" "$T_DIR/public.err" "--listen-public"

# HTTP Basic instead of a bearer token.
sed -e 's/^auth: .*$/auth: {user: prom, password: "${PW}"}/' "$T_DIR/good.yml" >"$T_DIR/basic.yml"
chmod 600 "$T_DIR/basic.yml"
BP=$(t_free_port)
t_bg env PW=a-long-basic-password "$HEALTHTOP" --serve \
	--listen "127.0.0.1:$BP" -c "$T_DIR/basic.yml" >/dev/null 2>"$T_DIR/basic.err"
t_wait_grep "--serve with basic auth starts" "$T_DIR/basic.err" 'endpoints on port'
t_is "basic auth: the right password is 200" 200 \
	"$(code -u prom:a-long-basic-password "http://127.0.0.1:$BP/api/v1/state")"
t_is "basic auth: a wrong password is 401" 401 "$(code -u prom:a-long-basic-passwore "http://127.0.0.1:$BP/metrics")"
t_is "basic auth: no credentials is 401" 401 "$(code "http://127.0.0.1:$BP/metrics")"

# --wait serves too, while it waits (api is down before it starts).
curl -s "$B/control/down" >/dev/null
WP=$(t_free_port)
t_bg "$HEALTHTOP" --wait --listen "127.0.0.1:$WP" -c "$T_DIR/good.yml" >"$T_DIR/wait.out" 2>&1
WPID=$T_LAST_PID
up_wait() { [ "$(code "http://127.0.0.1:$WP/healthz")" = 200 ]; }
if t_until "$T_DEADLINE_S" up_wait; then t_ok "--wait --listen serves /healthz"; else t_fail "--wait --listen: no /healthz"; fi
t_is "--wait --listen: /readyz is 503 while api is down" 503 \
	"$(code -H "$AUTH" "http://127.0.0.1:$WP/readyz")"
curl -s "$B/control/up" >/dev/null
wait "$WPID"
t_is "--wait ends 0 once api is back" 0 $?
t_done
