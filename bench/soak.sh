#!/bin/bash
# Soak: the live dashboard (under tmux) for a long time against services
# that fail and recover on random schedules of their own, sampled every
# 10 s: RSS, open fds, CPU and probes. Not part of the default suite.
#
#   bench/soak.sh [--minutes N] [--seconds N] [--interval MS] [--out DIR]
#
# Defaults: 30 minutes, probes every 1000 ms, results in bench/results/.
# Writes soak-<stamp>.csv and prints a summary; exits 1 when RSS or fds
# grew after warm-up, a probe round was missed, or q did not quit cleanly.
#
# Probe counting works from outside, whatever the probe kind's state: every
# exec probe's command appends a line to a counter file of its own before
# deciding its verdict, and the steady Redis counts its connections
# (INFO total_connections_received). The flapping services:
#   exec_flap_N   exits 0 or 1 as a flag file says (a driver toggles it)
#   redis_flap    a real redis-server killed and restarted
#   tcp_flap      a TCP probe of that same Redis port
#   http_flap_N   fixture_http /toggle driven through /control/up|down
#                 (when fixture_http is built)
# Each driver sleeps a random 3-25 s between changes of its own service.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
minutes=30
seconds=""
interval_ms=1000
out=$root/bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) minutes=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--interval) interval_ms=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "soak: unknown argument $1" >&2; exit 2 ;;
	esac
done
run_s=${seconds:-$((minutes * 60))}
export HEALTHTOP=${HEALTHTOP:-$root/build/healthtop}
export HT_FIXTURE_DIR=${HT_FIXTURE_DIR:-$root/build/tests}
export HT_SOURCE_DIR=$root
[ -x "$HEALTHTOP" ] || { echo "soak: build first (cmake --build build): $HEALTHTOP" >&2; exit 2; }
command -v tmux >/dev/null || { echo "soak: needs tmux" >&2; exit 2; }
. "$root/tests/lib.sh"
TM=ht-soak-$$
tm() { tmux -f /dev/null -L "$TM" "$@"; }
DRIVERS=""
soak_cleanup() {
	for p in $DRIVERS; do kill "$p" 2>/dev/null; done
	tm kill-server 2>/dev/null
	t_cleanup
}
trap soak_cleanup EXIT
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=$out/soak-$stamp.csv
D=$T_DIR

# ---- the stack -------------------------------------------------------------

t_redis || exit 1
REDIS_OK=$REDIS_PORT
t_redis || exit 1
REDIS_FLAP=$REDIS_PORT
REDIS_FLAP_PID=$REDIS_PID
nhttp=0
if [ -x "$HT_FIXTURE_DIR/fixture_http" ]; then
	nhttp=2
	for i in 1 2; do
		t_fixture_http || exit 1
		eval "HTTP_$i=$FIX_PORT"
	done
fi

{
	echo "title: Soak"
	echo "defaults: {interval: ${interval_ms}ms, timeout: 1s, retries: 2}"
	echo "services:"
	echo "  exec_ok: {exec: [sh, -c, 'echo >>$D/count.exec_ok']}"
	for i in 1 2 3 4; do
		touch "$D/up.exec_flap_$i"
		echo "  exec_flap_$i: {exec: [sh, -c, 'echo >>$D/count.exec_flap_$i; test -e $D/up.exec_flap_$i']}"
	done
	echo "  redis_ok: {redis: \"redis://127.0.0.1:$REDIS_OK\"}"
	echo "  redis_flap: {redis: \"redis://127.0.0.1:$REDIS_FLAP\"}"
	echo "  tcp_flap: {tcp: \"127.0.0.1:$REDIS_FLAP\"}"
	for i in $(seq 1 $nhttp); do
		eval "p=\$HTTP_$i"
		echo "  http_flap_$i: {http: \"http://127.0.0.1:$p/toggle\"}"
	done
} >"$D/soak.yml"
chmod 600 "$D/soak.yml"

# ---- the drivers: each service on its own random schedule ------------------

flaps=$D/flaps.log
: >"$flaps"
drive() { # name up-command down-command
	local up=1
	while :; do
		sleep $((3 + RANDOM % 23))
		if [ $up = 1 ]; then eval "$3"; up=0; else eval "$2"; up=1; fi
		echo "$(date +%s) $1 $up" >>"$flaps"
	done
}
start_driver() {
	drive "$@" &
	DRIVERS="$DRIVERS $!"
}
for i in 1 2 3 4; do
	start_driver exec_flap_$i "touch $D/up.exec_flap_$i" "rm -f $D/up.exec_flap_$i"
done
for i in $(seq 1 $nhttp); do
	eval "p=\$HTTP_$i"
	start_driver http_flap_$i "curl -s http://127.0.0.1:$p/control/up >/dev/null" \
		"curl -s http://127.0.0.1:$p/control/down >/dev/null"
done
# Redis: killed and restarted on the same port, in a subshell of its own
# (the pid changes at every restart).
redis_driver() {
	local pid=$REDIS_FLAP_PID
	while :; do
		sleep $((3 + RANDOM % 23))
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "$(date +%s) redis_flap 0" >>"$flaps"
		sleep $((3 + RANDOM % 23))
		redis-server --port "$REDIS_FLAP" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$D" >>"$D/redis.flap.log" 2>&1 &
		pid=$!
		echo "$(date +%s) redis_flap 1" >>"$flaps"
	done
	trap 'kill $pid 2>/dev/null' EXIT
}
redis_driver &
DRIVERS="$DRIVERS $!"
kill "$REDIS_FLAP_PID" 2>/dev/null # the driver's own starts from now on
wait "$REDIS_FLAP_PID" 2>/dev/null
redis-server --port "$REDIS_FLAP" --bind 127.0.0.1 --save '' --appendonly no --dir "$D" \
	>>"$D/redis.flap.log" 2>&1 &
T_PIDS="$T_PIDS $!"

# ---- the dashboard and the sampler -----------------------------------------

tm new-session -d -s soak -x 160 -y 40 \
	"env TERM=screen-256color $HEALTHTOP -c $D/soak.yml; echo \$? >$D/rc; sleep 600"
for _ in $(seq 100); do
	hpid=$(pgrep -P "$(tm display -p -t soak '#{pane_pid}')" healthtop 2>/dev/null | head -1)
	[ -n "$hpid" ] && break
	sleep 0.1
done
[ -n "$hpid" ] || { echo "soak: the dashboard did not start" >&2; exit 1; }
hz=$(getconf CLK_TCK)
execs="exec_ok exec_flap_1 exec_flap_2 exec_flap_3 exec_flap_4"

counts() { # the exec services' counters, then the steady Redis' connections
	for s in $execs; do
		cat "$D/count.$s" 2>/dev/null | wc -l
	done | tr '\n' ' '
	redis-cli -p "$REDIS_OK" info stats 2>/dev/null | tr -d '\r' |
		awk -F: '/^total_connections_received/ {print $2}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$hpid/stat" 2>/dev/null; }

echo "t_s,rss_kb,fds,cpu_pct,probes,min_exec_probes,redis_ok_probes,flaps" >"$csv"
echo "soak: $run_s s against $((8 + nhttp)) services (interval ${interval_ms}ms); $csv"
t0=$(t_ms)
prev_ticks=$(cpu_ticks)
prev_ms=$t0
read -r -a prev <<<"$(counts)"
while [ $(($(t_ms) - t0)) -lt $((run_s * 1000)) ]; do
	sleep 10
	kill -0 "$hpid" 2>/dev/null || { echo "soak: the dashboard died" >&2; break; }
	now=$(t_ms)
	ticks=$(cpu_ticks)
	read -r -a cur <<<"$(counts)"
	total=0
	min=""
	for i in 0 1 2 3 4; do
		d=$((cur[i] - prev[i]))
		total=$((total + d))
		[ -z "$min" ] || [ "$d" -lt "$min" ] && min=$d
	done
	# One connection per sample is the sampler's own INFO.
	rd=$((cur[5] - prev[5] - 1))
	total=$((total + rd))
	cpu=$(awk -v t=$((ticks - prev_ticks)) -v hz="$hz" -v ms=$((now - prev_ms)) \
		'BEGIN {printf "%.2f", 100 * t / hz / (ms / 1000)}')
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$hpid/status")
	fds=$(ls "/proc/$hpid/fd" | wc -l)
	nflaps=$(wc -l <"$flaps" 2>/dev/null || echo 0)
	echo "$(((now - t0) / 1000)),$rss,$fds,$cpu,$total,$min,$rd,$nflaps" | tee -a "$csv"
	prev=("${cur[@]}")
	prev_ticks=$ticks
	prev_ms=$now
done

tm send-keys -t soak q
for _ in $(seq 100); do [ -s "$D/rc" ] && break; sleep 0.1; done
rc=$(cat "$D/rc" 2>/dev/null || echo none)

# ---- the verdict ------------------------------------------------------------

$PY - "$csv" "$interval_ms" "$rc" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
iv, rc = int(sys.argv[2]), sys.argv[3]
if len(rows) < 3:
    print("soak: too short to judge (%d samples)" % len(rows)); sys.exit(1)
warm = max(1, min(6, len(rows) // 5))  # the first minute, or a fifth
after = rows[warm:]
rss = [int(r["rss_kb"]) for r in after]
fds = [int(r["fds"]) for r in after]
cpu = [float(r["cpu_pct"]) for r in rows]
# Each 10 s window should hold 10000 / (interval * ~1.05 + run time)
# probes per service; a missed round shows as far fewer.
want = 10000 / (iv * 1.1 + 50) - 1.5
low = [r for r in after if int(r["min_exec_probes"]) < want or int(r["redis_ok_probes"]) < want]
probes = sum(int(r["probes"]) for r in rows)
print("samples %d (warm-up %d), %d probes counted, %s flaps" % (len(rows), warm, probes, rows[-1]["flaps"]))
print("RSS after warm-up: %d..%d KiB (first %d, last %d)" % (min(rss), max(rss), rss[0], rss[-1]))
print("fds after warm-up: %d..%d" % (min(fds), max(fds)))
print("CPU: mean %.2f%%, max %.2f%%" % (sum(cpu) / len(cpu), max(cpu)))
print("probe rounds: %d of %d windows below %.1f probes per service" % (len(low), len(after), want))
bad = []
if max(rss) - rss[0] > 2048:
    bad.append("RSS grew by %d KiB after warm-up" % (max(rss) - rss[0]))
if max(fds) - min(fds) > 6:
    bad.append("fds ranged %d..%d" % (min(fds), max(fds)))
if low:
    bad.append("missed probe rounds at t=%s" % ",".join(r["t_s"] for r in low[:10]))
if rc != "0":
    bad.append("q did not exit 0 (%s)" % rc)
print("soak: " + ("; ".join(bad) if bad else "PASS: RSS and fds flat, no missed probe rounds"))
sys.exit(1 if bad else 0)
PY
