# Shared helpers for the benchmark scripts (sourced, bash).
#
# Every script takes:
#   --smoke      the smallest size, one run, peers skipped when not
#                installed: what tests/integration/test_bench_smoke.sh runs
#   --runs N     rounds to take the median of (default 5)
#   --out DIR    where results go (default bench/results; smoke: a temp dir)
# and finds the build in $HT_BUILD_DIR (default build/ at the top).
#
# Rounds interleave the contenders (healthtop, then each peer, then
# healthtop again...) instead of running all of one then all of the next,
# so that the noise of a shared machine falls on all of them alike; every
# figure is the median over the rounds, and the ratios are of medians
# taken in the same run.
set -u

B_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${HT_BUILD_DIR:=$B_ROOT/build}"
: "${HEALTHTOP:=$HT_BUILD_DIR/healthtop}"
: "${HT_FIXTURE_DIR:=$HT_BUILD_DIR/tests}"
B_BENCH_BIN=$HT_BUILD_DIR/bench
RUNSTAT=$B_BENCH_BIN/bench_runstat
PY=/usr/bin/python3
PLUGINS=/usr/lib/nagios/plugins
B_SMOKE=0
B_RUNS=5
B_OUT=""
B_PIDS=""
B_SKIPS=0

while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) B_SMOKE=1 ;;
	--runs) B_RUNS=$2; shift ;;
	--out) B_OUT=$2; shift ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed -e '/^set/d' -e 's/^# \{0,1\}//'
		exit 0 ;;
	*) echo "$(basename "$0"): unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$B_SMOKE" = 1 ] && B_RUNS=1

B_TMP=$(mktemp -d "${TMPDIR:-/tmp}/healthtop-bench.XXXXXX")
if [ -z "$B_OUT" ]; then
	if [ "$B_SMOKE" = 1 ]; then B_OUT=$B_TMP/results; else B_OUT=$B_ROOT/bench/results; fi
fi
mkdir -p "$B_OUT"

B_TMUX=""
b_cleanup() {
	for s in $B_TMUX; do tmux -L "$s" kill-server 2>/dev/null; done
	for p in $B_PIDS; do kill "$p" 2>/dev/null; done
	for p in $B_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$B_TMP"
}
trap b_cleanup EXIT
trap 'exit 130' INT TERM

for f in "$HEALTHTOP" "$RUNSTAT" "$HT_FIXTURE_DIR/fixture_http"; do
	[ -x "$f" ] || { echo "$(basename "$0"): $f is not built (cmake --build build)" >&2; exit 2; }
done

b_log() { echo "[$(basename "$0" .sh)] $*" >&2; }

# b_have NAME PATH...: true when every path (or command) exists; else
# says the peer is skipped and why.
b_have() {
	local name=$1 p
	shift
	for p in "$@"; do
		if [ ! -x "$p" ] && ! command -v "$p" >/dev/null 2>&1; then
			b_log "skip $name: $p is not installed (bench/deps.sh installs it)"
			B_SKIPS=$((B_SKIPS + 1))
			return 1
		fi
	done
}

b_bg() { # run in the background, killed at exit; sets B_LAST_PID
	"$@" &
	B_LAST_PID=$!
	B_PIDS="$B_PIDS $B_LAST_PID"
}

b_stop() { # pid: stop one background process now
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	B_PIDS=$(echo "$B_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

b_wait_file() { # file [seconds]
	local n=0
	while [ ! -s "$1" ]; do
		n=$((n + 1))
		[ "$n" -gt $((${2:-10} * 20)) ] && { b_log "timed out waiting for $1"; return 1; }
		sleep 0.05
	done
}

b_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

b_wait_port() { # port [seconds]: until something accepts on 127.0.0.1:port
	local n=0
	until $PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt $((${2:-10} * 10)) ] && { b_log "nothing listens on $1"; return 1; }
		sleep 0.1
	done
}

# b_fixture_http COUNT DELAY_MS: one fixture_http process listening on
# COUNT ports, each answering after DELAY_MS; the ports are in
# $B_TMP/ports (one a line) and $FIX_PORT is the first.
b_fixture_http() {
	rm -f "$B_TMP/ports"
	b_bg "$HT_FIXTURE_DIR/fixture_http" --ports "$1" --delay-ms "$2" \
		--port-file "$B_TMP/ports" >/dev/null 2>"$B_TMP/fixture.log"
	FIX_PID=$B_LAST_PID
	b_wait_file "$B_TMP/ports" 20 || return 1
	FIX_PORT=$(head -1 "$B_TMP/ports")
}

# b_cost FILE -- command...: runs command under bench_runstat and appends
# its line (wall_us user_us sys_us maxrss_kb exit) to FILE.
b_cost() {
	local f=$1
	shift
	[ "$1" = -- ] && shift
	"$RUNSTAT" -o "$B_TMP/cost" -- "$@" >/dev/null 2>>"$B_TMP/cmd.err" || true
	cat "$B_TMP/cost" >>"$f"
}

b_median() { # column number, file: median of that column
	awk -v c="$1" '{print $c}' "$2" | sort -g |
		awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

b_pid_cpu_us() { # pid: user+sys CPU of the process (all threads) and its reaped children
	awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%d\n", ($12+$13+$14+$15)*1000000/hz}' "/proc/$1/stat"
}

b_pid_rss_kb() { # pid: resident set now and at its peak
	awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' "/proc/$1/status"
}

# b_pid_own_kb pid: "pss uss": the proportional share of the resident
# set, and what is the process's alone (private pages). Most of a small
# program's RSS is shared library pages (libcrypto...), counted in full
# by RSS in every process that maps them.
b_pid_own_kb() {
	awk '/^Pss:/ {p=$2} /^Private_(Clean|Dirty):/ {u+=$2} END {print p, u}' "/proc/$1/smaps_rollup"
}

# b_row FILE cells...: one tab-separated row (the first call with a
# header), echoed to the terminal as it lands.
b_row() {
	local f=$1
	shift
	(IFS=$'\t'; echo "$*") >>"$f"
	(IFS=$'\t'; echo "$*") | column -t -s $'\t' >&2
}

b_ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f", a / b; else print "nan"}'; }
b_fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN {printf "%.*f", d, v}'; }

# b_machine FILE: what the figures were measured on.
b_machine() {
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "kernel: $(uname -srm)"
		lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|CPU max MHz|Hypervisor)' | sed 's/  */ /g'
		echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
		echo "healthtop: $(git -C "$B_ROOT" describe --always --dirty 2>/dev/null)"
		dpkg-query -W -f='${Package} ${Version}\n' libcurl4 libuv1 libhiredis0.14 libncursesw6 \
			nginx-light monitoring-plugins-basic prometheus-blackbox-exporter wrk curl \
			redis-tools redis-server python3-celery tmux procps 2>/dev/null
	} >"$1"
	B_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
}

# Writes a healthtop config: b_config FILE HEADER, then service lines on
# stdin ("name: {http: URL}" ...), indented under services:.
b_config() {
	{
		printf '%s\nservices:\n' "$2"
		sed 's/^/  /'
	} >"$1"
	chmod 600 "$1"
}

b_done() {
	# The load around each scenario: other builders share this machine.
	echo "$(basename "$0" .sh): load average at start ${B_LOAD0:-?}, at end $(cut -d' ' -f1-3 /proc/loadavg)" \
		>>"$B_OUT/load.txt"
	[ "$B_SKIPS" -gt 0 ] && b_log "$B_SKIPS peer(s) skipped (not installed)"
	b_log "results in $B_OUT"
}

# b_blackbox: starts a private Prometheus blackbox_exporter on a free
# loopback port with one module, http_2xx; sets BB_PORT and BB_PID.
b_blackbox() {
	cat >"$B_TMP/blackbox.yml" <<YML
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
YML
	BB_PORT=$(b_free_port)
	b_bg prometheus-blackbox-exporter --config.file="$B_TMP/blackbox.yml" \
		--web.listen-address="127.0.0.1:$BB_PORT" --log.level=error >"$B_TMP/blackbox.log" 2>&1
	BB_PID=$B_LAST_PID
	b_wait_port "$BB_PORT" 10
}

b_blackbox_url() { # target URL -> the probe request for it
	echo "http://127.0.0.1:$BB_PORT/probe?module=http_2xx&target=$1"
}

# b_nginx: a private nginx (Debian nginx-light) on a free loopback port,
# one worker, no logs, /ok answering 200 "healthy"; sets NGINX_PORT.
b_nginx() {
	local d=$B_TMP/nginx
	mkdir -p "$d"
	NGINX_PORT=$(b_free_port)
	cat >"$d/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location /ok { default_type text/plain; return 200 "healthy\n"; }
    }
}
CONF
	b_bg nginx -e stderr -p "$d" -c "$d/nginx.conf" 2>"$d/stderr"
	NGINX_PID=$B_LAST_PID
	b_wait_port "$NGINX_PORT" 10
}

# b_wrk_requests FILE: the request count in wrk's output.
b_wrk_requests() { awk '/requests in/ {print $1}' "$1"; }

# b_redis: a private redis-server on a free loopback port; sets
# REDIS_PORT and REDIS_PID.
b_redis() {
	REDIS_PORT=$(b_free_port)
	b_bg redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$B_TMP" >"$B_TMP/redis.log" 2>&1
	REDIS_PID=$B_LAST_PID
	local n=0
	until redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do
		n=$((n + 1))
		[ $n -gt 200 ] && { b_log "redis-server did not start"; return 1; }
		sleep 0.05
	done
}

# b_tmux NAME COLS ROWS command...: a detached tmux server of its own (-L)
# running command in one pane of COLSxROWS, every byte the pane receives
# appended to $B_TMP/NAME.tty (pipe-pane); sets PANE_PID.
b_tmux() {
	local name=$1 cols=$2 rows=$3 sock=bench-$$-$1
	shift 3
	B_TMUX="$B_TMUX $sock"
	: >"$B_TMP/$name.tty"
	tmux -L "$sock" -f /dev/null new-session -d -s "$name" -x "$cols" -y "$rows" \
		"$(printf '%q ' "$@")" || return 1
	tmux -L "$sock" set-option -g remain-on-exit on >/dev/null
	tmux -L "$sock" pipe-pane -t "$name" -o "cat >>'$B_TMP/$name.tty'"
	PANE_PID=$(tmux -L "$sock" list-panes -t "$name" -F '#{pane_pid}')
}
b_tmux_cmd() { local name=$1; shift; tmux -L "bench-$$-$name" "$@"; }
b_tmux_alive() { # name: the pane's program still runs
	[ "$(b_tmux_cmd "$1" list-panes -t "$1" -F '#{pane_dead}' 2>/dev/null)" = 0 ]
}
b_size() { stat -c %s "$1"; }

# b_dashboard CONFIG: true when this healthtop has its dashboard (it is
# built in a later step than --once); else says the scenario is skipped.
b_dashboard() {
	if "$HEALTHTOP" --allow-insecure-config -c "$1" </dev/null 2>&1 | grep -q "not built yet"; then
		b_log "skip: this healthtop has no dashboard yet"
		B_SKIPS=$((B_SKIPS + 1))
		return 1
	fi
}
