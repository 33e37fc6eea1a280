# Shared helpers for the shell tests (sourced). Every process a test
# starts is killed on exit, whatever happens; all traffic stays on
# 127.0.0.1; ports are chosen free by the servers themselves.
set -u

: "${HEALTHTOP:?HEALTHTOP must name the binary (ctest sets it)}"
: "${HT_FIXTURE_DIR:=$(dirname "$HEALTHTOP")/tests}"
: "${HT_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/healthtop-test.XXXXXX")
T_PIDS=""
T_FAILS=0
T_PASSES=0
export NO_COLOR=1

t_cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	# Whatever ignores SIGTERM for two seconds gets SIGKILL: a test must
	# never hang in its clean-up.
	n=0
	for p in $T_PIDS; do
		while kill -0 "$p" 2>/dev/null && [ $n -lt 40 ]; do
			sleep 0.05
			n=$((n + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_bg() { # run a command in the background, remember it
	"$@" &
	T_PIDS="$T_PIDS $!"
	T_LAST_PID=$!
}

# Waiting: never a fixed sleep. A test waits for the condition it needs
# (a file, a line, a counter) and gives up only at a deadline that ends a
# stuck test -- tens of seconds, never a bound the behaviour is held to.
T_DEADLINE_S=${T_DEADLINE_S:-60}

t_until() { # seconds command...: succeeds as soon as the command does
	local deadline=$(($(t_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(t_ms)" -gt "$deadline" ] && return 1
		sleep 0.05
	done
}

t_wait_file() { # file [seconds]: wait until it exists and is not empty
	t_until "${2:-$T_DEADLINE_S}" test -s "$1" || {
		echo "expected $1 to be written within ${2:-$T_DEADLINE_S}s; it is still missing or empty" >&2
		return 1
	}
}

t_wait_grep() { # description file ERE [seconds]: passes once the file matches
	if t_until "${4:-$T_DEADLINE_S}" grep -qE -- "$3" "$2"; then t_ok "$1"; else
		t_fail "$1: expected /$3/ in $2 within ${4:-$T_DEADLINE_S}s; it holds:"
		sed 's/^/    | /' "$2" 2>/dev/null
		return 1
	fi
}

# Starts tests/fixtures/fixture_http on a free port; sets FIX_PORT.
t_fixture_http() {
	pf=$T_DIR/http.$$.$RANDOM.port
	t_bg "$HT_FIXTURE_DIR/fixture_http" --port 0 --port-file "$pf" "$@"
	t_wait_file "$pf" || return 1
	FIX_PID=$T_LAST_PID
	FIX_PORT=$(cat "$pf")
}

# A unix socket accepts connections (python3, as tests/fixtures' servers).
t_unix_up() { # path
	$PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])" "$1" 2>/dev/null
}

# Starts tests/fixtures/fixture_docker.py replaying the recorded Docker
# answers of tests/data/docker on a unix socket; sets DOCKER_SOCK and
# DOCKER_LOG (every request it got, one line each).
t_fixture_docker() {
	DOCKER_SOCK=$T_DIR/docker.sock
	DOCKER_LOG=$T_DIR/docker.log
	t_bg $PY "$HT_SOURCE_DIR/tests/fixtures/fixture_docker.py" "$DOCKER_SOCK" \
		"$HT_SOURCE_DIR/tests/data/docker" docker "$DOCKER_LOG"
	t_until "$T_DEADLINE_S" t_unix_up "$DOCKER_SOCK" || {
		echo "expected fixture_docker to listen on $DOCKER_SOCK; it did not" >&2
		return 1
	}
}

# Starts a real redis-server on a free port; sets REDIS_PORT. Extra
# arguments go to redis-server (e.g. --requirepass x).
t_redis() {
	REDIS_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	t_bg redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T_DIR" "$@" >"$T_DIR/redis.$REDIS_PORT.log" 2>&1
	REDIS_PID=$T_LAST_PID
	t_until "$T_DEADLINE_S" t_redis_up "$REDIS_PORT" ${REDIS_AUTH:+"$REDIS_AUTH"} || {
		echo "expected redis-server to answer PING on $REDIS_PORT; it did not" >&2
		return 1
	}
}
t_redis_up() { # port [password]
	redis-cli -p "$1" ${2:+-a "$2"} --no-auth-warning ping 2>/dev/null | grep -q PONG
}

# A port nothing listens on (bound, then released).
# A free port for a server the test is about to start (free now: the
# server takes it at once).
t_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A port that refuses connections for as long as this test runs: a
# socket bound to it and never listening, held by a process that leaves
# once the test's shell is gone. (Freed at once, the port could be taken
# by a server of a test running beside this one, and answer.)
t_refused_port() {
	$PY - "$$" <<'PY'
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
if os.fork():
    sys.exit(0)
os.setsid()
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
while True:
    try:
        os.kill(int(sys.argv[1]), 0)
    except OSError:
        break
    time.sleep(0.5)
PY
}

t_ok() { T_PASSES=$((T_PASSES + 1)); echo "ok - $*"; }
t_fail() { T_FAILS=$((T_FAILS + 1)); echo "FAIL - $*"; }

t_check() { # description, command...: passes when the command succeeds
	d=$1
	shift
	if "$@"; then t_ok "$d"; else t_fail "$d (expected this to hold: $*)"; fi
}

t_is() { # description expected seen: passes when the two are equal
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1: expected '$2', saw '$3'"; fi
}

t_contains() { # description, file, fixed string
	if grep -qF -- "$3" "$2"; then t_ok "$1"; else
		t_fail "$1: expected '$3' in $2, which holds:"
		sed 's/^/    | /' "$2"
	fi
}

t_lacks() { # description, file, fixed string; a missing file fails too
	if [ ! -f "$2" ]; then
		t_fail "$1: expected $2 to exist (and to lack '$3'); there is no such file"
	elif grep -qF -- "$3" "$2"; then
		t_fail "$1: expected no '$3' in $2, which holds:"
		sed 's/^/    | /' "$2"
	else t_ok "$1"; fi
}

# A typo or a helper that moved must fail the test, not pass it by
# accident: bash calls this for every command it cannot find. It runs in a
# subshell, so it leaves a note that t_done counts.
command_not_found_handle() {
	echo "FAIL - no such command: $1"
	echo "$1" >>"$T_DIR/commands-not-found"
	return 127
}

t_done() {
	if [ -s "$T_DIR/commands-not-found" ]; then
		T_FAILS=$((T_FAILS + $(wc -l <"$T_DIR/commands-not-found")))
	fi
	echo "$T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ]
}

# Milliseconds since the epoch: for deadlines and lower bounds only.
t_ms() { date +%s%3N; }
