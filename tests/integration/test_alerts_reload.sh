#!/bin/bash
# alerts across a reload (SIGHUP in --serve): the routes follow the new
# config. Four webhook routes on one recorder, each on its own path:
#   keep    stays (same URL); its states:, repeat: and headers change
#   narrow  stays; its states: change from [unhealthy] to [degraded]
#   gone    is removed by the reload
#   new     is added by the reload
#   a webhook on a refused port, removed by the reload
#   an exec hook, kept (the same argv) with a new timeout
# Checked: the removed route's firing alert arrives as resolved on its
# receiver ("this route is gone"), and nothing more after; the kept
# route sends no fresh firing for the alert it had (only repeats of it,
# with its starts_at, and now with the new header); the narrowed route
# resolves it (unhealthy is no longer one of its states); the new route
# gets the next firing; the removed route that cannot deliver gives up
# after its tries and says how much it dropped; a reload to a config without alerts: ends every
# route; a reload that adds alerts: to a --serve started without any
# starts them; SIGTERM stops cleanly (an ASan build checks the rest).
. "$(dirname "$0")/../lib.sh"

t_fixture_http || exit 1
F1=$FIX_PORT
t_fixture_http || exit 1
F2=$FIX_PORT
DOWN=$(t_refused_port)

# The recorder: each POST to /NAME appends one line per alert to
# NAME.jsonl: {"service", "status", "starts_at", "text", "x"} (x: the
# X-Reload header).
cat >"$T_DIR/recv.py" <<'PY'
import http.server, json, os, sys, threading
d = sys.argv[1]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        name = self.path.strip("/")
        with lock, open(os.path.join(d, name + ".jsonl"), "a") as f:
            for a in body["alerts"]:
                f.write(json.dumps({"service": a["service"], "status": a["status"],
                                    "starts_at": a["starts_at"], "text": body["text"],
                                    "x": self.headers.get("X-Reload")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
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

# The exec hook: one line per call, "service status".
cat >"$T_DIR/hook.sh" <<'SH'
#!/bin/sh
echo "$HEALTHTOP_SERVICE $HEALTHTOP_STATUS" >>"$1"
SH
chmod 755 "$T_DIR/hook.sh"
hook_count() { grep -cx "$1" "$T_DIR/hook.log" 2>/dev/null; }
hook_has() { [ "$(hook_count "$1")" -ge 1 ]; }

# "service:status" per alert a route's receiver got, in order.
got() {
	$PY -c '
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    print(a["service"] + ":" + a["status"])' "$T_DIR/$1.jsonl" 2>/dev/null
}
got_has() { got "$1" | grep -qx "$2"; }
got_count() { got "$1" | grep -cx "$2"; }
seen() { got "$1" | tr '\n' ' '; }

SERVICES="services:
  one: {http: \"http://127.0.0.1:$F1/toggle\"}
  two: {http: \"http://127.0.0.1:$F2/toggle\"}"
cat >"$T_DIR/stack.yml" <<YML
defaults: {interval: 200ms, timeout: 2s, retries: 1}
alerts:
  - webhook: $R/keep
    states: [unhealthy]
    headers: {X-Reload: "reload-1"}
  - webhook: $R/gone
  - webhook: $R/narrow
    states: [unhealthy]
  - webhook: http://127.0.0.1:$DOWN/x
  - exec: [$T_DIR/hook.sh, $T_DIR/hook.log]
    services: [one]
$SERVICES
YML
t_bg "$HEALTHTOP" --serve -c "$T_DIR/stack.yml" >"$T_DIR/serve.out" 2>"$T_DIR/serve.err"
SERVE_PID=$T_LAST_PID
t_wait_grep "--serve starts" "$T_DIR/serve.err" 'serving 2 services' || exit 1
t_wait_grep "one is healthy" "$T_DIR/serve.out" ' one healthy' || exit 1
t_wait_grep "two is healthy" "$T_DIR/serve.out" ' two healthy' || exit 1

# 1. one goes down: every route fires.
curl -s "http://127.0.0.1:$F1/control/down" >/dev/null
for r in keep gone narrow; do
	t_until "$T_DEADLINE_S" got_has $r one:firing && t_ok "$r got one firing" ||
		t_fail "$r never got one firing: $(seen $r)"
done
t_until "$T_DEADLINE_S" hook_has "one firing" && t_ok "the exec hook ran for one" ||
	t_fail "the exec hook never ran for one"
STARTS=$($PY -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["starts_at"])' \
	"$T_DIR/keep.jsonl")

# 2. The reload: keep gets repeat: and a new header and states:, narrow
# new states:, gone goes, new comes.
cat >"$T_DIR/stack.yml" <<YML
defaults: {interval: 200ms, timeout: 2s, retries: 1}
alerts:
  - webhook: $R/new
  - webhook: $R/narrow
    states: [degraded]
  - webhook: $R/keep
    states: [unhealthy, degraded]
    repeat: 1s
    headers: {X-Reload: "reload-2"}
  - exec: [$T_DIR/hook.sh, $T_DIR/hook.log]
    services: [one]
    timeout: 30s
$SERVICES
YML
kill -HUP "$SERVE_PID"
t_wait_grep "the reload is done" "$T_DIR/serve.err" 'reloaded .*: 2 services' || exit 1
t_wait_grep "the reload's routes are logged" "$T_DIR/serve.out" \
	'Z alerts: reload: 3 routes kept, 1 new, 2 removed'
t_until "$T_DEADLINE_S" got_has gone one:resolved && t_ok "the removed route resolved its alert" ||
	t_fail "the removed route never resolved one: $(seen gone)"
t_check "saying that the route is gone" grep -q \
	'"text": "RESOLVED one: this route is gone from the config (was unhealthy)"' "$T_DIR/gone.jsonl"
t_wait_grep "the removed route that cannot deliver gives up, saying so" "$T_DIR/serve.out" \
	'Z alerts: webhook #4 http://127.0.0.1:[0-9]+/x: removed by a reload; 2 notifications not delivered'
t_until "$T_DEADLINE_S" got_has narrow one:resolved &&
	t_ok "the narrowed route resolved it (unhealthy is no longer one of its states)" ||
	t_fail "narrow never resolved one: $(seen narrow)"

# 3. two goes down: the new route gets it, and so does keep.
curl -s "http://127.0.0.1:$F2/control/down" >/dev/null
t_until "$T_DEADLINE_S" got_has new two:firing && t_ok "the new route gets the next firing" ||
	t_fail "the new route never got two firing: $(seen new)"
t_until "$T_DEADLINE_S" got_has keep two:firing && t_ok "the kept route gets it too" ||
	t_fail "keep never got two firing: $(seen keep)"
# The kept route's alert for one goes on: repeats (with the new header),
# never a fresh alert.
repeated() {
	[ "$($PY -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["service"] == "one"
          and json.loads(l)["x"] == "reload-2"))' "$T_DIR/keep.jsonl")" -ge 2 ]
}
t_until "$T_DEADLINE_S" repeated && t_ok "the kept route repeats one's alert, with its new header" ||
	t_fail "keep did not repeat one with the new header: $(seen keep)"
fresh=$($PY -c '
import json, sys
print(" ".join(sorted({a["starts_at"] for a in map(json.loads, open(sys.argv[1]))
                       if a["service"] == "one" and a["status"] == "firing"})))' "$T_DIR/keep.jsonl")
t_is "every firing of one on the kept route is the one alert (its starts_at)" "$STARTS" "$fresh"
t_is "the kept route never resolved one" 0 "$(got_count keep one:resolved)"
t_is "the kept exec route did not run again for one" 1 "$(hook_count "one firing")"
t_is "the removed route got nothing after its resolution" "one:firing one:resolved " "$(seen gone)"

# 4. A reload to a config without alerts: every route ends, resolving.
printf 'defaults: {interval: 200ms, timeout: 2s, retries: 1}\n%s\n' "$SERVICES" >"$T_DIR/stack.yml"
kill -HUP "$SERVE_PID"
t_wait_grep "the second reload is done" "$T_DIR/serve.out" \
	'Z alerts: reload: 0 routes kept, 0 new, 4 removed'
t_until "$T_DEADLINE_S" got_has new two:resolved && t_ok "alerts: removed: the routes resolve" ||
	t_fail "the new route never resolved two: $(seen new)"
t_until "$T_DEADLINE_S" got_has keep one:resolved && t_ok "and keep resolves one" ||
	t_fail "keep never resolved one: $(seen keep)"
t_until "$T_DEADLINE_S" hook_has "one resolved" && t_ok "and the exec route too" ||
	t_fail "the exec route never resolved one: $(cat "$T_DIR/hook.log")"

kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_is "--serve stops cleanly on SIGTERM after the reloads" 0 $?
t_lacks "no sanitizer report" "$T_DIR/serve.err" "Sanitizer"
t_lacks "no handle left open" "$T_DIR/serve.err" "handles left open"

# 5. --serve started without alerts:, then given some.
rm -f "$T_DIR/new.jsonl"
t_bg "$HEALTHTOP" --serve -c "$T_DIR/stack.yml" >"$T_DIR/serve2.out" 2>"$T_DIR/serve2.err"
SERVE_PID=$T_LAST_PID
t_wait_grep "--serve starts without alerts" "$T_DIR/serve2.err" 'serving 2 services' || exit 1
printf 'defaults: {interval: 200ms, timeout: 2s, retries: 1}\nalerts:\n  - webhook: %s/new\n%s\n' \
	"$R" "$SERVICES" >"$T_DIR/stack.yml"
kill -HUP "$SERVE_PID"
t_wait_grep "that reload is done" "$T_DIR/serve2.err" 'reloaded .*: 2 services' || exit 1
t_until "$T_DEADLINE_S" got_has new two:firing && t_ok "alerts: added by a reload start" ||
	t_fail "no alert after alerts: was added: $(seen new)"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_is "that --serve stops cleanly too" 0 $?
t_lacks "no sanitizer report (second run)" "$T_DIR/serve2.err" "Sanitizer"
t_lacks "no handle left open (second run)" "$T_DIR/serve2.err" "handles left open"
t_done
