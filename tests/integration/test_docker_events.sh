#!/bin/bash
# The docker rows follow the engine's event stream, against Podman's real
# Docker-compatible API service. Every docker row here is probed every
# 10 minutes only, far past this test's deadlines, so a row that changes
# within the test was changed by an event (or by the full listing a
# stream makes when it connects), never by the interval:
#   - a container killed: its row unhealthy;
#   - a container whose healthcheck fails: its row unhealthy;
#   - the API service stopped: the rows say "engine unreachable"; a
#     container started meanwhile is seen once the service is back (the
#     listing on reconnect), and a kill after that comes by the new stream;
#   - DOCKER_HOST=tcp:// against `podman system service tcp:...`, and
#     with DOCKER_TLS_VERIFY through a TLS front wanting a client cert;
#   - the current docker context (a config.json and meta.json in a
#     temporary HOME), and DOCKER_CONTEXT;
#   - an engine nobody serves: "engine unreachable".
. "$(dirname "$0")/../lib.sh"

P=htev$$
IMG=localhost/healthtop-events-busybox:latest
PLOG=$T_DIR/podman.log
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG DOCKER_TLS_VERIFY DOCKER_CERT_PATH

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
	echo "no real engine here: podman, runc or busybox-static missing; skipped"
	exit 0
fi
cat >"$T_DIR/containers.conf" <<'EOF2'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF2
export CONTAINERS_CONF=$T_DIR/containers.conf

cleanup() {
	podman ps -aq --filter "label=com.docker.compose.project=$P" | xargs -r podman rm -f -t 0 >>"$PLOG" 2>&1
	podman rmi "$IMG" >>"$PLOG" 2>&1
	t_cleanup
}
trap cleanup EXIT

L="--label com.docker.compose.project=$P --label com.docker.compose.oneoff=False --label com.docker.compose.service"
mkdir -p "$T_DIR/rootfs/bin" && cp /bin/busybox "$T_DIR/rootfs/bin/" &&
	for c in sh sleep true test; do ln -sf busybox "$T_DIR/rootfs/bin/$c"; done &&
	tar -C "$T_DIR/rootfs" -cf "$T_DIR/rootfs.tar" . && podman import "$T_DIR/rootfs.tar" "$IMG" >>"$PLOG" 2>&1
if ! podman run -d --name "$P-a-1" $L=a --health-retries 1 \
	--health-cmd '/bin/sh -c "test ! -e /bad"' "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1; then
	echo "no real engine here: podman cannot run a container (see $PLOG); skipped"
	sed 's/^/    | /' "$PLOG" | tail -5
	exit 0
fi
podman run -d --name "$P-b-1" $L=b "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1
t_is "b runs" 0 $?
podman healthcheck run "$P-a-1" >>"$PLOG" 2>&1
t_is "a's healthcheck passes" 0 $?

SOCK=$T_DIR/podman.sock
start_service() {
	# (debug: its access log counts the listings)
	podman --log-level=debug system service --time=0 "$1" >>"$T_DIR/api.log" 2>&1 &
	SVC_PID=$!
	T_PIDS="$T_PIDS $SVC_PID"
}
start_service "unix://$SOCK"
t_until "$T_DEADLINE_S" t_unix_up "$SOCK" ||
	{ echo "FAIL - podman system service did not listen on $SOCK"; exit 1; }

# The config: both rows probed every 10 minutes.
config() { # file socket-line
	cat >"$1" <<YML
services:
  a:
    docker: {service: a, project: $P$2}
    interval: 10m
    retries: 1
  b:
    docker: {service: b, project: $P$2}
    interval: 10m
    retries: 1
YML
}
config "$T_DIR/ht.yml" ", socket: $SOCK"

serve() { # config: healthtop --serve with /api/v1/state on a free port
	PORT=$(t_free_port)
	t_bg "$HEALTHTOP" --serve --listen "127.0.0.1:$PORT" -c "$1" >>"$T_DIR/serve.log" 2>&1
	HT_PID=$T_LAST_PID
}

# state NAME FIELD: one field of a row of /api/v1/state
state() {
	curl -s "http://127.0.0.1:$PORT/api/v1/state" | $PY -c '
import json, sys
d = json.load(sys.stdin)
print({s["name"]: s for s in d["services"]}[sys.argv[1]][sys.argv[2]])' "$1" "$2" 2>/dev/null
}
is() { [ "$(state "$1" "$2")" = "$3" ]; }
probed() { [ "$(state "$1" probes)" -ge "$2" ] 2>/dev/null; } # NAME N: probed N times or more

serve "$T_DIR/ht.yml"
t_check "a healthy" t_until "$T_DEADLINE_S" is a status healthy
t_check "b healthy" t_until "$T_DEADLINE_S" is b status healthy
t_check "the stream is up: its connect listing probed a (the first row) a second time" \
	t_until "$T_DEADLINE_S" probed a 2

podman kill "$P-b-1" >>"$PLOG" 2>&1
t_check "b killed: unhealthy from the event" t_until "$T_DEADLINE_S" is b status unhealthy
t_check "the row says it exited, with the code (Podman's cleanup event)" \
	t_until "$T_DEADLINE_S" is b message "exited (137)"

podman exec "$P-a-1" /bin/sh -c ': > /bad' >>"$PLOG" 2>&1
podman healthcheck run "$P-a-1" >>"$PLOG" 2>&1
t_check "a's healthcheck fails" [ $? -ne 0 ]
t_check "a unhealthy from the health_status event" t_until "$T_DEADLINE_S" is a status unhealthy

# The API service goes away: the stream ends, the rows are probed and
# say so; b is started meanwhile (no stream to tell); the service comes
# back on the same socket and the stream's reconnect listing finds b.
kill "$SVC_PID"
wait "$SVC_PID" 2>/dev/null
t_check "the rows say engine unreachable" t_until "$T_DEADLINE_S" is b message "engine unreachable"
podman start "$P-b-1" >>"$PLOG" 2>&1
t_is "b started again" 0 $?
rm -f "$SOCK"
start_service "unix://$SOCK"
t_until "$T_DEADLINE_S" t_unix_up "$SOCK" || t_fail "podman system service is back"
t_check "the stream reconnects and its listing sees b running" \
	t_until "$T_DEADLINE_S" is b status healthy
podman kill "$P-b-1" >>"$PLOG" 2>&1
t_check "the new stream brings b's death" t_until "$T_DEADLINE_S" is b status unhealthy
kill "$HT_PID"

# While the stream is up and nothing happens, a row probed every second
# is answered from its last listing: the engine sees far fewer listings
# than the row has results (one at least every 30 s, the safety net).
listings() { grep -c 'GET /v1.41/containers/json?.*healthtop/' "$T_DIR/api.log"; }
cat >"$T_DIR/fast.yml" <<YML
services:
  b:
    docker: {service: b, project: $P, socket: $SOCK}
    interval: 1s
YML
before=$(listings)
serve "$T_DIR/fast.yml"
t_check "b probed ten times" t_until "$T_DEADLINE_S" probed b 10
n=$(($(listings) - before))
p=$(state b probes)
t_check "the engine saw $n listings for $p results" [ "$n" -ge 1 ] && [ $((n * 2)) -le "$p" ]
kill "$HT_PID"

# DOCKER_HOST=tcp:// against the API service on a loopback port; an
# event over it (b started) reaches the row.
TPORT=$(t_free_port)
start_service "tcp:127.0.0.1:$TPORT"
t_until "$T_DEADLINE_S" curl -sf "http://127.0.0.1:$TPORT/_ping" -o /dev/null ||
	t_fail "podman system service listens on tcp $TPORT"
config "$T_DIR/env.yml" ""
export DOCKER_HOST=tcp://127.0.0.1:$TPORT
"$HEALTHTOP" --once --json -c "$T_DIR/env.yml" >"$T_DIR/tcp.json" 2>&1
t_contains "over tcp: a found, unhealthy" "$T_DIR/tcp.json" '"status": "unhealthy"'
serve "$T_DIR/env.yml"
t_check "over tcp: b exited" t_until "$T_DEADLINE_S" is b message "exited (137)"
t_check "over tcp: the stream is up" t_until "$T_DEADLINE_S" probed a 2
podman start "$P-b-1" >>"$PLOG" 2>&1
t_check "over tcp: b's start comes by the event" t_until "$T_DEADLINE_S" is b status healthy
kill "$HT_PID"

# DOCKER_TLS_VERIFY: the same service behind a TLS front that wants a
# client certificate signed by the CA, as dockerd --tlsverify does.
C=$T_DIR/certs
mkdir -p "$C/client" "$C/caonly"
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca-key.pem" -out "$C/ca.pem" \
		-days 2 -subj /CN=htca &&
		openssl req -newkey rsa:2048 -nodes -keyout "$C/srv-key.pem" -out "$C/srv.csr" -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1\n' >"$C/san.ext" &&
		openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca-key.pem" -CAcreateserial \
			-days 2 -extfile "$C/san.ext" -out "$C/srv.pem" &&
		openssl req -newkey rsa:2048 -nodes -keyout "$C/client/key.pem" -out "$C/cl.csr" -subj /CN=cl &&
		openssl x509 -req -in "$C/cl.csr" -CA "$C/ca.pem" -CAkey "$C/ca-key.pem" -CAcreateserial \
			-days 2 -out "$C/client/cert.pem"
} >>"$PLOG" 2>&1
t_is "certificates made" 0 $?
cp "$C/ca.pem" "$C/client/ca.pem"
cp "$C/ca.pem" "$C/caonly/ca.pem"
t_bg $PY "$HT_SOURCE_DIR/tests/fixtures/fixture_tls_proxy.py" "$C/srv.pem" "$C/srv-key.pem" \
	"$C/ca.pem" "$TPORT" "$T_DIR/tls.port"
t_wait_file "$T_DIR/tls.port"
export DOCKER_HOST=tcp://127.0.0.1:$(cat "$T_DIR/tls.port")
DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C/client "$HEALTHTOP" --once --json -c "$T_DIR/env.yml" \
	>"$T_DIR/tls.json" 2>&1
t_contains "over TLS with the client certificate: b running" "$T_DIR/tls.json" '"message": "running"'
DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C/caonly "$HEALTHTOP" --once --json -c "$T_DIR/env.yml" \
	>"$T_DIR/tls2.json" 2>&1
t_contains "without a client certificate: engine unreachable" "$T_DIR/tls2.json" \
	'"message": "engine unreachable"'
"$HEALTHTOP" --once --json -c "$T_DIR/env.yml" >"$T_DIR/tls3.json" 2>&1
t_lacks "without DOCKER_TLS_VERIFY, plain HTTP gets no answer" "$T_DIR/tls3.json" '"message": "running"'
unset DOCKER_HOST

# The current docker context, in a HOME of this test's own: config.json
# names it, its meta.json (in a folder named by the sha256 of its name)
# gives the endpoint. DOCKER_CONTEXT picks another.
context() { # name host
	local d
	d=$T_DIR/home/.docker/contexts/meta/$(printf %s "$1" | sha256sum | cut -d' ' -f1)
	mkdir -p "$d"
	printf '{"Name":"%s","Metadata":{},"Endpoints":{"docker":{"Host":"%s","SkipTLSVerify":false}}}' \
		"$1" "$2" >"$d/meta.json"
}
context viaunix "unix://$SOCK"
context viatcp "tcp://127.0.0.1:$TPORT"
context nowhere "unix://$T_DIR/nobody.sock"
printf '{"auths":{},"currentContext":"viaunix"}' >"$T_DIR/home/.docker/config.json"
HOME=$T_DIR/home "$HEALTHTOP" --once --json -c "$T_DIR/env.yml" >"$T_DIR/ctx.json" 2>&1
t_contains "the current context's socket is used" "$T_DIR/ctx.json" '"message": "running"'
HOME=$T_DIR/home DOCKER_CONTEXT=viatcp "$HEALTHTOP" --once --json -c "$T_DIR/env.yml" \
	>"$T_DIR/ctx2.json" 2>&1
t_contains "DOCKER_CONTEXT picks the tcp one" "$T_DIR/ctx2.json" '"message": "running"'
HOME=$T_DIR/home DOCKER_CONTEXT=nowhere "$HEALTHTOP" --once --json -c "$T_DIR/env.yml" \
	>"$T_DIR/ctx3.json" 2>&1
t_is "a context whose engine is gone: exit 1" 1 $?
t_contains "rows say engine unreachable" "$T_DIR/ctx3.json" '"message": "engine unreachable"'
HOME=$T_DIR/home DOCKER_CONTEXT=missing "$HEALTHTOP" --once -c "$T_DIR/env.yml" \
	>"$T_DIR/ctx4.txt" 2>&1
t_is "a context that does not exist: a config error" 2 $?
t_contains "naming it" "$T_DIR/ctx4.txt" "docker context missing: no docker endpoint found"
t_done
