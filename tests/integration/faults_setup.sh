# The misbehaving stack of the fault tests (sourced after tests/lib.sh by
# tests/integration/test_faults.sh and tests/tui/test_faults.sh): the
# servers, the config naming one service per fault, and the checks of
# what each service must show. Not a test itself (no test_ prefix).
#
# Services named ctl_* are healthy all along; *_flap ones fail and recover
# when the test says so; every other one fails in its own way for the
# whole run.

# Markers in the orphan-forking exec probes' command lines, so that the
# test can count (and at the end kill, by pid) what they left behind;
# unique per test process, since tests may run side by side.
ORPHAN_HELD="sleep 30.${$}1"
ORPHAN_DETACHED="sleep 30.${$}2"
HANG_CMD="sleep 31.${$}3"
# Held for the whole of tui/test_faults, however slow the machine: a
# 32 s sleep ended on its own mid-test there, and came back with a new pid.
STUCK_CMD="sleep 3600.${$}4"

faults_cleanup() {
	# The orphans' parent is gone; they are ours all the same.
	for p in $(pgrep -f "^($ORPHAN_HELD|$ORPHAN_DETACHED|$HANG_CMD|$STUCK_CMD)\$" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	t_cleanup
}
trap faults_cleanup EXIT

# A free port for a server that takes a port number.

faults_wait_redis() { # port [password]
	t_until "$T_DEADLINE_S" t_redis_up "$@" ||
		{ echo "expected redis-server on $1 to answer PING; it did not" >&2; return 1; }
}

# The transient faults, all at once: Redis killed, the HTTP /toggle
# down, the Celery worker killed, the Docker socket gone.
faults_inject() {
	kill -KILL "$REDIS_FLAP_PID"
	wait "$REDIS_FLAP_PID" 2>/dev/null
	kill -KILL "$CELERY_PID"
	wait "$CELERY_PID" 2>/dev/null
	faults_docker_vanish
	[ -n "$HAVE_HTTP" ] && curl -s "$HTTP_B/control/down" >/dev/null
}
# ... and their end; sets *_BACK_MS to when each answers again.
faults_recover() {
	[ -n "$HAVE_HTTP" ] && curl -s "$HTTP_B/control/up" >/dev/null
	HTTP_BACK_MS=$(t_ms)
	faults_celery_start
	faults_docker_start || return 1
	DOCKER_BACK_MS=$(t_ms)
	faults_redis_flap_restart || return 1
	REDIS_BACK_MS=$(t_ms)
	faults_celery_ready 2 || return 1
	CELERY_BACK_MS=$(t_ms)
}

faults_redis_flap_restart() {
	t_bg redis-server --port "$REDIS_FLAP_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T_DIR" >>"$T_DIR/redis.flap.log" 2>&1
	REDIS_FLAP_PID=$T_LAST_PID
	faults_wait_redis "$REDIS_FLAP_PORT"
}

# A real Celery worker (tests/integration/celery_app.py, threads pool) on
# db 2 of the password-protected Redis. Start-up takes seconds: the
# worker logs "ready." at INFO once it listens to control messages.
faults_celery_start() {
	HT_CELERY_BROKER=redis://:right-pw@127.0.0.1:$REDIS_OK_PORT/2 \
		PYTHONPATH=$HT_SOURCE_DIR/tests/integration PYTHONDONTWRITEBYTECODE=1 \
		t_bg $PY -m celery -A celery_app worker -n ht_fault1@%h -P threads -c 1 -Q faults \
		--without-gossip --without-mingle --without-heartbeat -l INFO -f "$T_DIR/celery.log" \
		>/dev/null 2>&1 </dev/null
	CELERY_PID=$T_LAST_PID
}
faults_celery_ready() { # n: wait until the worker logged "ready." n times
	t_until "$T_DEADLINE_S" faults_celery_readied "$1" || {
		echo "expected the celery worker to log 'ready.' $1 times; it did" \
			"$(grep -c ' ready\.' "$T_DIR/celery.log" 2>/dev/null || echo 0)" >&2
		return 1
	}
}
faults_celery_readied() { # no log yet counts as 0
	local n
	n=$(grep -c ' ready\.' "$T_DIR/celery.log" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}

# The recorded Docker engine (tests/fixtures/fixture_docker.py) on a unix
# socket; "vanishing" is the engine killed and its socket file removed.
faults_docker_start() {
	DOCKER_SOCK=$T_DIR/docker.sock
	t_bg $PY "$HT_SOURCE_DIR/tests/fixtures/fixture_docker.py" "$DOCKER_SOCK" \
		"$HT_SOURCE_DIR/tests/data/docker" docker "$T_DIR/docker.log"
	DOCKER_PID=$T_LAST_PID
	t_until "$T_DEADLINE_S" curl -s --unix-socket "$DOCKER_SOCK" -o /dev/null \
		http://localhost/v1.41/_ping 2>/dev/null ||
		{ echo "expected the docker fixture to answer /_ping; it did not" >&2; return 1; }
}
faults_docker_vanish() {
	kill "$DOCKER_PID"
	wait "$DOCKER_PID" 2>/dev/null
	rm -f "$DOCKER_SOCK"
}

# A self-signed certificate for 127.0.0.1, served by openssl s_server -www
# (which answers any GET with an HTTP 200 status page).
faults_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=127.0.0.1 -keyout "$T_DIR/tls.key" -out "$T_DIR/tls.crt" >/dev/null 2>&1 ||
		return 1
	TLS_PORT=$(t_free_port)
	t_bg openssl s_server -quiet -www -accept "127.0.0.1:$TLS_PORT" -cert "$T_DIR/tls.crt" \
		-key "$T_DIR/tls.key" >"$T_DIR/tls.log" 2>&1 </dev/null
	t_until "$T_DEADLINE_S" curl -sk "https://127.0.0.1:$TLS_PORT/" -o /dev/null ||
		{ echo "expected openssl s_server to answer on $TLS_PORT; it did not" >&2; return 1; }
}

faults_start_servers() {
	HAVE_HTTP=""
	if [ -x "$HT_FIXTURE_DIR/fixture_http" ]; then
		HAVE_HTTP=1
		t_fixture_http || return 1
		HTTP_B=http://127.0.0.1:$FIX_PORT
		curl -s "$HTTP_B/control/up" >/dev/null
		faults_tls || return 1
	fi
	REDIS_AUTH=right-pw t_redis --requirepass right-pw || return 1
	REDIS_OK_PORT=$REDIS_PORT
	REDIS_FLAP_PORT=$(t_free_port)
	faults_redis_flap_restart || return 1
	t_bg "$HT_SOURCE_DIR/tests/fixtures/fixture_resp.py" --port-file "$T_DIR/resp.port"
	t_wait_file "$T_DIR/resp.port" || return 1
	RESP_PORT=$(cat "$T_DIR/resp.port")
	REFUSED=$(t_refused_port)
	faults_docker_start || return 1
	faults_celery_start
	faults_celery_ready 1 || return 1
}

# The hung services (exec_hang, http_hang, http_drip) time out after
# timeout_ms: they are about timeouts. Every other probe gets a timeout no
# machine reaches, however busy or slow (an ASan build, every core taken):
# it ends on its own, with the state the fault gives it.
# ctl_exec and exec_hang log when each of their probes starts (ms), so
# that the test can count rounds against them.
FAULTS_SLOW_TIMEOUT=30s
# Except celery_flap: a ping the worker's kill catches in flight waits for
# the pong until its timeout (PUBLISH counted the worker), and the run
# must see that ping fail and the worker come back (test_faults.sh's
# RUN_S). A ping answers in milliseconds; 10 s is still far off.
FAULTS_CELERY_TIMEOUT=10s
faults_config() { # file interval_ms timeout_ms retries
	cat >"$1" <<YML
title: Fault Matrix
defaults: {interval: ${2}ms, timeout: $FAULTS_SLOW_TIMEOUT, retries: $4}
services:
  ctl_exec: {exec: [sh, -c, "date +%s%3N >>$T_DIR/ctl_exec.log"]}
  ctl_tcp: {tcp: "127.0.0.1:$REDIS_OK_PORT"}
  ctl_redis: {redis: "redis://:right-pw@127.0.0.1:$REDIS_OK_PORT/0"}
  redis_flap: {redis: "redis://127.0.0.1:$REDIS_FLAP_PORT"}
  refused: {tcp: "127.0.0.1:$REFUSED"}
  nores: {tcp: "nothing.invalid:80"}
  redis_down: {redis: "redis://127.0.0.1:$REFUSED"}
  redis_badpw: {redis: "redis://:wrong-pw@127.0.0.1:$REDIS_OK_PORT"}
  redis_loading: {redis: "redis://127.0.0.1:$RESP_PORT"}
  exec_hang:
    exec: [sh, -c, "date +%s%3N >>$T_DIR/exec_hang.log; exec $HANG_CMD"]
    timeout: ${3}ms
  exec_mega: {exec: [sh, -c, "echo MEGA-OUTPUT; head -c 8000000 /dev/zero; exit 3"]}
  exec_held: {exec: [sh, -c, "$ORPHAN_HELD & echo held"]}
  exec_detached: {exec: [sh, -c, "$ORPHAN_DETACHED >/dev/null 2>&1 & echo detached"]}
  celery_flap:
    celery: {broker: "redis://:right-pw@127.0.0.1:$REDIS_OK_PORT/2", workers: "ht_fault*"}
    replicas: 1
    timeout: $FAULTS_CELERY_TIMEOUT
  docker_flap: {docker: {project: e2i, service: web, socket: "$DOCKER_SOCK"}, replicas: 2}
  docker_sick: {docker: {project: e2i, service: sick, socket: "$DOCKER_SOCK"}}
YML
	[ -n "$HAVE_HTTP" ] && cat >>"$1" <<YML
  ctl_http: {http: "$HTTP_B/ok"}
  http_flap: {http: "$HTTP_B/toggle"}
  http_hang: {http: "$HTTP_B/hang", timeout: ${3}ms}
  http_drip: {http: "$HTTP_B/drip", timeout: ${3}ms}
  http_reset: {http: "$HTTP_B/reset"}
  http_garbage: {http: "$HTTP_B/garbage"}
  http_big: {http: "$HTTP_B/big?bytes=104857600"}
  http_chunked: {http: "$HTTP_B/chunked-forever"}
  http_redirect: {http: {url: "$HTTP_B/redirect-loop", follow_redirects: true}}
  http_close: {http: "$HTTP_B/close"}
  http_refused: {http: "http://127.0.0.1:$REFUSED/health"}
  http_nores: {http: "http://nothing.invalid/health"}
  tls_strict: {http: "https://127.0.0.1:$TLS_PORT/"}
  tls_insecure: {http: {url: "https://127.0.0.1:$TLS_PORT/", insecure: true}}
YML
	chmod 600 "$1"
}

# What each service must show at the end of a run: status and a regular
# expression on its message. Printed as "name status regex" lines.
faults_expected() {
	cat <<'EOF'
ctl_exec healthy .
ctl_tcp healthy .
ctl_redis healthy ^PONG
redis_flap healthy ^PONG
refused unhealthy ^connection refused
nores unhealthy ^cannot resolve nothing\.invalid
redis_down unhealthy ^connection refused
redis_badpw unhealthy ^WRONGPASS
redis_loading unhealthy ^LOADING
exec_hang unhealthy ^timeout after 1\.0s
exec_mega unhealthy ^MEGA-OUTPUT$
exec_held healthy ^held$
exec_detached healthy ^detached$
celery_flap healthy ^1 worker answering
docker_flap healthy ^2 running \(healthy\)
docker_sick unhealthy ^unhealthy: database is down
EOF
	[ -n "$HAVE_HTTP" ] && cat <<'EOF'
ctl_http healthy ^HTTP 200
http_flap healthy ^HTTP 200
http_hang unhealthy ^timeout after 1\.0s
http_drip unhealthy ^timeout after 1\.0s
http_reset unhealthy ^(connection reset|empty reply|body cut short)
http_garbage unhealthy ^bad HTTP response
http_big unhealthy ^body over 64 KiB
http_chunked unhealthy ^body over 64 KiB
http_redirect unhealthy ^too many redirects
http_close unhealthy ^(empty reply|connection reset)
http_refused unhealthy ^connection refused
http_nores unhealthy ^cannot resolve nothing\.invalid
tls_strict unhealthy ^TLS: certificate verify failed \(self-signed\)
tls_insecure healthy ^HTTP 200
EOF
}

faults_check_states() { # json-file label
	faults_expected >"$T_DIR/expected.txt"
	t_check "$2: every service shows the right state and message" \
		$PY - "$1" "$T_DIR/expected.txt" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
got = {s["name"]: s for s in d["services"]}
bad = []
for line in open(sys.argv[2]):
    name, status, rx = line.rstrip("\n").split(" ", 2)
    s = got.get(name)
    if s is None:
        bad.append(f"{name}: missing")
    elif s["status"] != status or not re.search(rx, s["message"]):
        bad.append(f'{name}: {s["status"]} "{s["message"]}", want {status} /{rx}/')
if len(got) != sum(1 for _ in open(sys.argv[2])):
    bad.append(f"{len(got)} services in the report")
print("\n".join("    " + b for b in bad))
sys.exit(1 if bad else 0)
PY
}

# An exec probe whose command leaves a process behind must not leave one
# per probe: the probe's process group is killed when it ends.
faults_check_orphans() { # label
	local held detached
	held=$(pgrep -fc "^$ORPHAN_HELD\$")
	detached=$(pgrep -fc "^$ORPHAN_DETACHED\$")
	t_check "$1: no orphans pile up (${held} + ${detached} left by exec probes)" \
		[ "$held" -le 1 -a "$detached" -le 1 ]
}

# Zombies. A child of healthtop that has exited stays a zombie until the
# loop handles SIGCHLD, which on a busy machine may take any time: how
# long one lasts proves nothing. What proves a leak is order: libuv
# reaps every exited child at each SIGCHLD, so a zombie that is still
# there after a younger child (one first seen after it was a zombie) has
# been reaped was skipped, and will never be reaped.
# faults_snap_children appends one snapshot of a process's children to a
# file ("seq -", then "seq pid stat" per child); faults_check_zombies
# reads the snapshots back.
FAULTS_SNAP=0
faults_snap_children() { # pid file
	FAULTS_SNAP=$((FAULTS_SNAP + 1))
	{
		echo "$FAULTS_SNAP -"
		ps -o pid=,stat= --ppid "$1" 2>/dev/null | sed "s/^ */$FAULTS_SNAP /"
	} >>"$2"
}
faults_check_zombies() { # label file
	local out
	out=$($PY - "$2" <<'PY'
import sys
snaps = {}
for line in open(sys.argv[1]):
    f = line.split()
    kids = snaps.setdefault(int(f[0]), {})
    if f[1] != "-" and len(f) == 3:
        kids[int(f[1])] = f[2]
seqs = sorted(snaps)
first, last, zfirst = {}, {}, {}
for s in seqs:
    for pid, stat in snaps[s].items():
        first.setdefault(pid, s)
        last[pid] = s
        if stat.startswith("Z"):
            zfirst.setdefault(pid, s)
# A child is reaped at the first snapshot that lacks it.
reaped = {p: next(s for s in seqs if s > l) for p, l in last.items() if l < seqs[-1]}
nz = len(zfirst)
bad = []
for z, a in sorted(zfirst.items()):
    later = [(r, y) for y, r in reaped.items() if first[y] > a and r <= last[z]]
    if later:
        r, y = min(later)
        bad.append(f"zombie {z} (a zombie from snapshot {a}) was still unreaped at "
                   f"snapshot {last[z]}, after child {y}, started later, was reaped "
                   f"at snapshot {r}")
print(f"{len(snaps)} snapshots, {len(first)} children, {nz} seen as zombies")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	)
	if [ $? -eq 0 ]; then t_ok "$1: every exited child is reaped ($(head -1 <<<"$out"))"; else
		t_fail "$1: expected every zombie child to be reaped at the next SIGCHLD; saw:"
		sed 's/^/    | /' <<<"$out"
	fi
}
