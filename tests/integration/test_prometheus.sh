#!/bin/bash
# The prometheus probe end to end: Debian's real prometheus on a free
# loopback port scrapes three small metric servers every second, and
# healthtop --once --json reads its instant queries. Checked: the series
# counted as replicas (3/3, then 2/3 with the stopped target named once
# Prometheus marks it down), a condition, a scalar, an empty result
# (down, or scaled to 0), a bad query (bad_data), a refused connection,
# an answer over max_body, hostile label values shown escaped, and bearer
# and basic credentials sent but never shown, a second Prometheus serving
# HTTPS with a self-signed certificate (refused unless insecure: true).
# Then rows_by: Prometheus
# also scrapes two healthtop --serve instances, and a third healthtop
# (--serve, read through /api/v1/state) makes one row per service of
# their healthtop_service_up and one per fixture target; a stopped target
# and a stopped instance change those rows while it runs, and with
# Prometheus stopped the rows stay, failing. (The
# detail pane's text is not in the JSON report; the unit test of the
# mapping, test_prometheus_map.c, checks it.)
. "$(dirname "$0")/../lib.sh"

command -v prometheus >/dev/null || {
	echo "prometheus is not installed (scripts/deps.sh --test installs it)" >&2
	exit 1
}

# One metric server: serves the file $1 at /metrics on a free port, which
# it writes to $2 once it listens.
metrics_server() {
	t_bg "$PY" -c '
import http.server, os, sys
path, port_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
' "$1" "$2"
}

# Target 3 also exports a series whose label value holds an escape
# sequence, a bidi override and a line break.
printf 'svc_up 1\n' >"$T_DIR/plain.prom"
printf 'svc_up 1\nhostile_up{name="evil\033[2J\xe2\x80\xaeRLO\\nline"} 0\n' >"$T_DIR/hostile.prom"
metrics_server "$T_DIR/plain.prom" "$T_DIR/t1.port"
metrics_server "$T_DIR/plain.prom" "$T_DIR/t2.port"
T2_PID=$T_LAST_PID
metrics_server "$T_DIR/hostile.prom" "$T_DIR/t3.port"
for i in 1 2 3; do t_wait_file "$T_DIR/t$i.port" || exit 1; done
T1=127.0.0.1:$(cat "$T_DIR/t1.port")
T2=127.0.0.1:$(cat "$T_DIR/t2.port")
T3=127.0.0.1:$(cat "$T_DIR/t3.port")
REFUSED=$(t_refused_port)

# Two healthtop --serve instances, each probing the fixture targets: web
# and api on both, db (refused: unhealthy) on the first only. Prometheus
# scrapes their /metrics as job "ht".
serve_instance() { # name, extra service lines
	cat >"$T_DIR/$1.yml" <<YML
defaults: {interval: 300ms, timeout: 5s, retries: 1}
services:
  web: {group: Front, http: 'http://$T1/metrics'}
  api: {group: Back, tcp: '$T3'}
$2
YML
	chmod 600 "$T_DIR/$1.yml"
	t_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$T_DIR/$1.yml" \
		>"$T_DIR/$1.out" 2>"$T_DIR/$1.err"
	t_wait_grep "healthtop instance $1 listens" "$T_DIR/$1.err" 'endpoints on port [0-9]+' || exit 1
}
serve_instance ha "  db: {group: Back, tcp: '127.0.0.1:$REFUSED'}"
HA_PID=$T_LAST_PID
serve_instance hb ""
HA=127.0.0.1:$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/ha.err" | grep -oE '[0-9]+$')
HB=127.0.0.1:$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/hb.err" | grep -oE '[0-9]+$')

cat >"$T_DIR/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: fix
    static_configs: [{targets: ['$T1', '$T2', '$T3']}]
  - job_name: ht
    static_configs: [{targets: ['$HA', '$HB']}]
YML
# A free port: bound, released, then taken by prometheus. Should another
# program take it in between, prometheus fails to start and says so.
PROM_PORT=$(t_free_port)
PROM=http://127.0.0.1:$PROM_PORT
t_bg prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/data" \
	--web.listen-address=127.0.0.1:$PROM_PORT >"$T_DIR/prometheus.log" 2>&1
PROM_PID=$T_LAST_PID

# Waits until the instant query $1 gives the scalar $2.
query_is() {
	curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		"$PY" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; sys.exit(0 if r and r[1] == sys.argv[1] else 1)' "$2"
}
if ! t_until "$T_DEADLINE_S" query_is 'scalar(count(up{job="fix"} == 1))' 3; then
	t_fail "expected Prometheus to scrape the three targets; its log:"
	sed 's/^/    | /' "$T_DIR/prometheus.log"
	exit 1
fi
cat >"$T_DIR/h.yml" <<YML
defaults: {timeout: 30s}
services:
  fleet:
    prometheus: {url: '$PROM/', query: 'up{job="fix"}'}
  fleet_low:
    prometheus: {url: '$PROM', query: 'up{job="fix"}', condition: '< 0.5'}
  count:
    prometheus: {url: '$PROM', query: 'scalar(count(up{job="fix"}))', condition: '>= 3'}
  gone:
    prometheus: {url: '$PROM', query: 'no_such_metric'}
  gone_ok:
    prometheus: {url: '$PROM', query: 'no_such_metric', empty: scaled_to_zero}
  badq:
    prometheus: {url: '$PROM', query: 'up{'}
  refused:
    prometheus: {url: 'http://127.0.0.1:$REFUSED', query: up}
  small:
    prometheus: {url: '$PROM', query: 'up{job="fix"}', max_body: 100}
  hostile:
    prometheus: {url: '$PROM', query: hostile_up, replicas_by: name}
  listed:
    prometheus: {url: '$PROM', query: 'up{job="fix"}', instances: ['$T1', '$T2', '$T3', '127.0.0.1:$REFUSED']}
YML
chmod 600 "$T_DIR/h.yml"

# "status message" of service $2 in the JSON report $1.
row() {
	"$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["services"]:
    if s["name"] == sys.argv[2]:
        print(s["status"], s["message"])
' "$1" "$2"
}
"$HEALTHTOP" --once --json -c "$T_DIR/h.yml" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
t_is "three targets up: one healthy row" "healthy 3/3 up" "$(row "$T_DIR/once.json" fleet)"
# Prometheus gives the series sorted by their labels.
ALL=$(printf '%s\n' "$T1" "$T2" "$T3" | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g')
t_is "a condition no series meets: unhealthy" "unhealthy 0/3 up; down: $ALL" \
	"$(row "$T_DIR/once.json" fleet_low)"
t_is "instances: the one listed without a series is named" \
	"degraded 3/4 up, 1 missing: 127.0.0.1:$REFUSED" "$(row "$T_DIR/once.json" listed)"
t_is "a scalar is one replica, with its value" "healthy 1/1 up, value 3" \
	"$(row "$T_DIR/once.json" count)"
t_is "an empty result is down by default" "unhealthy no series: the result is empty" \
	"$(row "$T_DIR/once.json" gone)"
t_is "an empty result with empty: scaled_to_zero" "skipped no series (scaled to 0)" \
	"$(row "$T_DIR/once.json" gone_ok)"
t_check "a bad query says bad_data in words" \
	grep -q '^unhealthy bad query: .*parse error' <(row "$T_DIR/once.json" badq)
t_is "an unreachable Prometheus" "unhealthy connection refused" \
	"$(row "$T_DIR/once.json" refused)"
t_is "an answer over max_body is refused" "unhealthy answer over 100 bytes (max_body): refused" \
	"$(row "$T_DIR/once.json" small)"
row "$T_DIR/once.json" hostile >"$T_DIR/hostile.txt"
t_contains "a hostile label value is escaped in the message" "$T_DIR/hostile.txt" \
	'unhealthy 0/1 up, value 0; down: evil\x1b[2J\u202eRLO\nline'
t_lacks "no raw escape byte reaches the report" "$T_DIR/hostile.txt" "$(printf '\033')"
t_lacks "no raw bidi override reaches the report" "$T_DIR/hostile.txt" "$(printf '\xe2\x80\xae')"

# Authentication, against a stand-in for a Prometheus behind a proxy that
# wants credentials: it answers 401 without them, and otherwise says it is
# unavailable, echoing what it was sent (as a careless proxy might). The
# credentials come from the environment and must never be printed.
t_bg "$PY" -c '
import base64, http.server, json, os, sys
port_file = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        ok = auth in ("Bearer tok-" + "s3cret", "Basic " + base64.b64encode(b"ops:pw-" + b"s3cret").decode())
        body = json.dumps({"status": "error", "errorType": "unavailable",
                           "error": "overloaded; you sent " + auth}).encode()
        self.send_response(503 if ok else 401)
        self.send_header("Content-Length", str(len(body) if ok else 0))
        self.end_headers()
        if ok:
            self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
' "$T_DIR/auth.port"
t_wait_file "$T_DIR/auth.port" || exit 1
AUTH=http://127.0.0.1:$(cat "$T_DIR/auth.port")
cat >"$T_DIR/auth.yml" <<YML
services:
  bearer:
    prometheus: {url: '$AUTH', query: up, auth: {bearer: '\${TOKEN}'}}
  basic:
    prometheus: {url: '$AUTH', query: up, auth: {user: ops, password: '\${PASS}'}}
  none:
    prometheus: {url: '$AUTH', query: up}
YML
chmod 600 "$T_DIR/auth.yml"
TOKEN=tok-s3cret PASS=pw-s3cret "$HEALTHTOP" --once --json -c "$T_DIR/auth.yml" \
	>"$T_DIR/auth.json" 2>"$T_DIR/auth.err"
t_is "a bearer token is sent; unavailable is named; the echoed token masked" \
	"unhealthy Prometheus unavailable: overloaded; you sent Bearer ***" "$(row "$T_DIR/auth.json" bearer)"
# (The mask leaves base64's "=" padding, which holds nothing.)
t_check "basic authentication is sent, and masked when echoed" \
	grep -qF "unhealthy Prometheus unavailable: overloaded; you sent Basic ***" \
	<(row "$T_DIR/auth.json" basic)
t_is "without credentials: the proxy's 401" "unhealthy HTTP 401, not a Prometheus API answer" \
	"$(row "$T_DIR/auth.json" none)"
t_lacks "no secret anywhere in the report" "$T_DIR/auth.json" "s3cret"

# rows_by, in a healthtop that runs on while targets and instances stop:
# its /api/v1/state is the --once --json document of the moment.
cat >"$T_DIR/rows.yml" <<YML
defaults: {interval: 300ms, timeout: 10s, retries: 1}
services:
  fleet:
    prometheus: {url: '$PROM', query: 'healthtop_service_up{job="ht"}', rows_by: service}
  targets:
    prometheus: {url: '$PROM', query: 'up{job="fix"}', rows_by: instance, replicas_by: job}
# Alerts follow the sources' rows coming and going: the source rows are
# alerted on, the rows they make are not.
alerts:
  - exec: [sh, -c, 'echo "\$\$HEALTHTOP_SERVICE \$\$HEALTHTOP_STATE" >>"$T_DIR/hook.txt"']
    states: [unhealthy]
YML
chmod 600 "$T_DIR/rows.yml"
t_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$T_DIR/rows.yml" \
	>"$T_DIR/rows.out" 2>"$T_DIR/rows.err"
ROWS_PID=$T_LAST_PID
t_wait_grep "the rows_by healthtop listens" "$T_DIR/rows.err" 'endpoints on port [0-9]+' || exit 1
RU=http://127.0.0.1:$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/rows.err" | grep -oE '[0-9]+$')

# Every row of the state as "name|group|status|message", sorted.
rows_now() {
	curl -sf "$RU/api/v1/state" 2>/dev/null | "$PY" -c '
import json, sys
for s in sorted(json.load(sys.stdin)["services"], key=lambda s: s["name"]):
    print("%s|%s|%s|%s" % (s["name"], s["group"], s["status"], s["message"]))
' >"$T_DIR/rows.now"
}
# Waits until the rows are exactly the lines of $2; $1 says what is checked.
rows_are() {
	printf '%s\n' "$2" | LC_ALL=C sort >"$T_DIR/rows.want"
	if t_until "$T_DEADLINE_S" eval 'rows_now && LC_ALL=C sort "$T_DIR/rows.now" | cmp -s - "$T_DIR/rows.want"'; then
		t_ok "$1"
	else
		t_fail "$1: the rows, then what was wanted:"
		sed 's/^/    | /' "$T_DIR/rows.now"
		sed 's/^/    > /' "$T_DIR/rows.want"
	fi
}
rows_are "rows_by: a row per service across both instances, a row per target" \
	"fleet|Services|healthy|3 rows from 5 series, 4 up
fleet/api|Back|healthy|2/2 up
fleet/db|Back|unhealthy|0/1 up; down: $HA
fleet/web|Front|healthy|2/2 up
targets|Services|healthy|3 rows from 3 series, 3 up
targets/$T1|Services|healthy|1/1 up
targets/$T2|Services|healthy|1/1 up
targets/$T3|Services|healthy|1/1 up"

# TLS as for http probes: a second, real Prometheus serving HTTPS with a
# self-signed certificate (its --web.config.file) is refused unless
# insecure: true, and then answers the query.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T_DIR/tls.key" -out "$T_DIR/tls.crt" >/dev/null 2>&1 || t_fail "openssl req"
printf 'tls_server_config: {cert_file: %s, key_file: %s}\n' "$T_DIR/tls.crt" "$T_DIR/tls.key" \
	>"$T_DIR/web.yml"
printf 'global: {evaluation_interval: 1s}\n' >"$T_DIR/empty.yml"
TLS_PORT=$(t_free_port)
t_bg prometheus --config.file="$T_DIR/empty.yml" --web.config.file="$T_DIR/web.yml" \
	--storage.tsdb.path="$T_DIR/tlsdata" --web.listen-address=127.0.0.1:$TLS_PORT \
	>"$T_DIR/prometheus-tls.log" 2>&1
if ! t_until "$T_DEADLINE_S" curl -sfk "https://127.0.0.1:$TLS_PORT/-/ready" -o /dev/null; then
	t_fail "expected the HTTPS Prometheus to be ready; its log:"
	sed 's/^/    | /' "$T_DIR/prometheus-tls.log"
fi
cat >"$T_DIR/tls.yml" <<YML
defaults: {timeout: 30s}
services:
  strict:
    prometheus: {url: 'https://127.0.0.1:$TLS_PORT', query: 'vector(1)'}
  lax:
    prometheus: {url: 'https://127.0.0.1:$TLS_PORT', query: 'vector(1)', insecure: true}
YML
chmod 600 "$T_DIR/tls.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/tls.yml" >"$T_DIR/tls.json" 2>"$T_DIR/tls.err"
t_is "a self-signed certificate is refused" "unhealthy TLS: certificate verify failed" \
	"$(row "$T_DIR/tls.json" strict)"
t_is "insecure: true reads it" "healthy 1/1 up, value 1" "$(row "$T_DIR/tls.json" lax)"

# One target stops: once Prometheus marks it down (up == 0), the row is
# degraded and names it.
kill "$T2_PID"
if ! t_until "$T_DEADLINE_S" query_is "scalar(up{instance=\"$T2\"})" 0; then
	t_fail "expected Prometheus to mark $T2 down"
fi
"$HEALTHTOP" --once --json -c "$T_DIR/h.yml" >"$T_DIR/once2.json" 2>"$T_DIR/once2.err"
t_is "a stopped target: degraded, and named" "degraded 2/3 up; down: $T2" \
	"$(row "$T_DIR/once2.json" fleet)"
rows_are "rows_by: the stopped target's row turns unhealthy, the others stay" \
	"fleet|Services|healthy|3 rows from 5 series, 4 up
fleet/api|Back|healthy|2/2 up
fleet/db|Back|unhealthy|0/1 up; down: $HA
fleet/web|Front|healthy|2/2 up
targets|Services|healthy|3 rows from 3 series, 2 up
targets/$T1|Services|healthy|1/1 up
targets/$T2|Services|unhealthy|0/1 up; down: fix
targets/$T3|Services|healthy|1/1 up"

# The first healthtop instance stops: Prometheus marks its series stale,
# so db (only it had one) goes, and web and api have one replica of two.
kill "$HA_PID"
rows_are "rows_by: a stopped instance: its only row goes, the others count it missing" \
	"fleet|Services|healthy|2 rows from 2 series, 2 up
fleet/api|Back|degraded|1/2 up, 1 missing
fleet/web|Front|degraded|1/2 up, 1 missing
targets|Services|healthy|3 rows from 3 series, 2 up
targets/$T1|Services|healthy|1/1 up
targets/$T2|Services|unhealthy|0/1 up; down: fix
targets/$T3|Services|healthy|1/1 up"

# Prometheus itself stops: the rows stay, each failing with why.
kill "$PROM_PID"
rows_are "rows_by: without an answer the rows stay and fail with the source's message" \
	"fleet|Services|unhealthy|connection refused
fleet/api|Back|unhealthy|no answer: connection refused
fleet/web|Front|unhealthy|no answer: connection refused
targets|Services|unhealthy|connection refused
targets/$T1|Services|unhealthy|no answer: connection refused
targets/$T2|Services|unhealthy|no answer: connection refused
targets/$T3|Services|unhealthy|no answer: connection refused"

t_wait_grep "alerts: the sources fire when Prometheus stops" "$T_DIR/hook.txt" '^targets unhealthy$'
t_wait_grep "alerts: both sources fire" "$T_DIR/hook.txt" '^fleet unhealthy$'
t_lacks "alerts: the rows a source makes are not alerted on" "$T_DIR/hook.txt" "/"

# The rows healthtop ends cleanly (under ASan: nothing leaked).
kill -TERM "$ROWS_PID"
wait "$ROWS_PID"
t_is "the rows_by healthtop exits 0 on SIGTERM" 0 "$?"
t_done
