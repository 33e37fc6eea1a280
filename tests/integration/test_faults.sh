#!/bin/bash
# The fault matrix: healthtop (--wait, then --once) against every way a
# real stack misbehaves, all at the same time, next to healthy services.
# For each fault: the right state and message; detection within
# retries x interval (+ timeout) and recovery about one interval after the
# fault ends; every healthy service keeps its own cadence (the "probes"
# count of --json); memory bounded; no fd, child or orphan process left.
#
# Real servers throughout (fixture_http, redis-server, openssl s_server,
# real commands, a real Celery worker, the recorded Docker engine of
# tests/fixtures/fixture_docker.py), except Redis answering -LOADING: a
# real redis-server says that only while it loads a large dataset at
# start-up, for an unpredictable moment, so fixture_resp.py stands in.
# Margins are generous: the machine is shared.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/faults_setup.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

INTERVAL_MS=500
TIMEOUT_MS=1000
RETRIES=2
RUN_S=20       # the --wait deadline: the length of the run
FAULT_AT=4     # s after start: redis_flap killed, http_flap down
RECOVER_AT=9   # s after start: both back
MARGIN_MS=2500 # on top of every bound below

faults_start_servers || exit 1
faults_config "$T_DIR/faults.yml" "$INTERVAL_MS" "$TIMEOUT_MS" "$RETRIES"

# ---- the --wait run, with faults injected and the process watched --------

samples=$T_DIR/samples.txt # ms fds rss_kb children zombies
sample() {                 # pid
	local fds rss kids zombies
	fds=$(ls /proc/"$1"/fd 2>/dev/null | wc -l)
	rss=$(awk '/^VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null)
	kids=$(ps -o stat= --ppid "$1" 2>/dev/null | wc -l)
	zombies=$(ps -o stat= --ppid "$1" 2>/dev/null | grep -c '^Z')
	[ -n "$rss" ] && echo "$(t_ms) $fds $rss $kids $zombies" >>"$samples"
}

launch=$(t_ms)
"$HEALTHTOP" --wait --timeout "${RUN_S}s" --json -c "$T_DIR/faults.yml" \
	>"$T_DIR/wait.json" 2>"$T_DIR/wait.events" &
hpid=$!
T_PIDS="$T_PIDS $hpid"
at() { # seconds after launch: sleep until then, sampling on the way
	while [ $(($(t_ms) - launch)) -lt $(($1 * 1000)) ]; do
		sample "$hpid"
		sleep 0.25
	done
}

at "$FAULT_AT"
fault_ms=$(t_ms)
faults_inject
at "$RECOVER_AT"
faults_recover || exit 1
while kill -0 "$hpid" 2>/dev/null; do
	sample "$hpid"
	sleep 0.25
done
wait "$hpid"
rc=$?
t_check "--wait with faults exits 1 at its deadline (got $rc)" [ "$rc" -eq 1 ]
t_contains "--wait lists what is not healthy" "$T_DIR/wait.events" "not healthy after ${RUN_S}.0s:"

# State and message of every service, from the --json document.
faults_check_states "$T_DIR/wait.json" wait

# Detection and recovery times, from the T+ lines of the event stream.
event_ms() { # service state: the launch-relative ms of its first such change after the fault
	awk -v s="$1" -v st="$2" -v after="$3" '
		$2 == s && ($3 == st || $3 == st":") {
			t = substr($1, 3); sub(/s$/, "", t); ms = t * 1000
			if (ms >= after) { print int(ms); exit }
		}' "$T_DIR/wait.events"
}
check_within() { # what event-ms since-ms bound-ms
	if [ -z "$2" ]; then
		t_fail "$1: no such event"
		sed 's/^/    | /' "$T_DIR/wait.events"
		return
	fi
	local took=$((launch + $2 - $3))
	t_check "$1 after ${took}ms (<= $4ms)" [ "$took" -le "$4" ]
}
check_timing() { # service back-ms [probe-timeout-ms]
	local to=${3:-$TIMEOUT_MS}
	check_within "$1 detected" "$(event_ms "$1" unhealthy $((fault_ms - launch - 500)))" \
		"$fault_ms" $((RETRIES * (INTERVAL_MS + to) + MARGIN_MS))
	check_within "$1 recovered" "$(event_ms "$1" healthy $((fault_ms - launch)))" \
		"$2" $((INTERVAL_MS + to + MARGIN_MS))
}
echo "# fault at T+$(((fault_ms - launch) / 100))00ms; the flapping services' events:"
grep -E '^T\+[0-9.]+s [a-z]+_flap ' "$T_DIR/wait.events" | sed 's/^/#   /'
check_timing redis_flap "$REDIS_BACK_MS"
check_timing docker_flap "$DOCKER_BACK_MS"
check_timing celery_flap "$CELERY_BACK_MS"
[ -n "$HAVE_HTTP" ] && check_timing http_flap "$HTTP_BACK_MS"

# Cadence: each healthy service is probed every interval (+ up to 10 %
# jitter) whatever the others do; the slow ones keep their own pace.
t_check "healthy services kept their cadence (${RUN_S}s at ${INTERVAL_MS}ms)" \
	$PY - "$T_DIR/wait.json" "$RUN_S" "$INTERVAL_MS" "$TIMEOUT_MS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
run_ms, iv, to = (int(x) for x in sys.argv[2:5])
ideal = run_ms * 1000 // iv
bad = []
for s in d["services"]:
    n = s["probes"]
    if s["name"].startswith("ctl_"):
        lo, hi = ideal * 0.6, ideal + 3
    else:
        # A fault costs at most a timeout per probe: never slower than that.
        lo, hi = run_ms * 1000 // (iv + to + 200) * 0.6, ideal + 3
    if not lo <= n <= hi:
        bad.append(f'{s["name"]}: {n} probes, want {lo:.0f}..{hi:.0f}')
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY

# Memory, fds and children, sampled every 0.25 s: warm-up is the first
# 3 s, the rest must stay flat. Probes in flight hold fds and children,
# so compare the least seen in the first and the last 3 s.
t_check "the process was sampled" [ "$(wc -l <"$samples")" -gt 20 ]
$PY - "$samples" "$launch" <<'PY' >"$T_DIR/resources.txt"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 5]
t0 = int(sys.argv[2])
early = [r for r in rows if 2000 <= r[0] - t0 <= 5000]
late = rows[-12:]
print("fd_early", min(r[1] for r in early))
print("fd_late", min(r[1] for r in late))
print("rss_early_kb", max(r[2] for r in early))
print("rss_max_kb", max(r[2] for r in rows))
print("rss_late_kb", max(r[2] for r in late))
print("kids_max", max(r[3] for r in rows))
print("kids_late", min(r[3] for r in late))
# A child is a zombie for an instant between its exit and the loop's
# SIGCHLD handling; one that stays for three samples (0.75 s) is a leak.
print("zombies_kept", max(min(r[4] for r in rows[i:i + 3]) for i in range(len(rows) - 2)))
PY
eval "$(sed 's/ /=/' "$T_DIR/resources.txt")"
echo "# resources: $(tr '\n' ' ' <"$T_DIR/resources.txt")"
t_check "no fd leak (least open fds: ${fd_early} early, ${fd_late} late)" \
	[ "$fd_late" -le $((fd_early + 4)) ]
# ASan keeps freed memory in quarantine (256 MiB by default, filled fast
# by the HTTP faults' buffers): capped at the top of this file, and given
# more slack here.
slack=16384
grep -q __asan_init "$HEALTHTOP" && slack=65536
t_check "memory flat (RSS ${rss_early_kb} KiB early, ${rss_late_kb} KiB late)" \
	[ "$rss_late_kb" -le $((rss_early_kb + slack)) ]
t_check "memory bounded despite 100 MB bodies and MB of output (max RSS ${rss_max_kb} KiB)" \
	[ "$rss_max_kb" -le $((rss_early_kb + slack + 49152)) ]
t_check "children only while probes run (at most ${kids_max}, ${kids_late} at the end)" \
	[ "$kids_max" -le 8 -a "$kids_late" -le 4 ]
t_check "no zombie children left unreaped (${zombies_kept})" [ "$zombies_kept" -eq 0 ]
faults_check_orphans "after --wait"

# ---- --once: every fault at the same moment ------------------------------

start=$(t_ms)
"$HEALTHTOP" --once --json -c "$T_DIR/faults.yml" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
rc=$?
took=$(($(t_ms) - start))
t_check "--once with faults exits 1 (got $rc)" [ "$rc" -eq 1 ]
t_check "--once took ${took}ms: one timeout, not the sum (< $((TIMEOUT_MS + 3000)))" \
	[ "$took" -lt $((TIMEOUT_MS + 3000)) ]
faults_check_states "$T_DIR/once.json" once
"$HEALTHTOP" --once -c "$T_DIR/faults.yml" >"$T_DIR/once.txt" 2>&1
t_check "--once text report exits 1" [ $? -eq 1 ]
t_contains "--once text shows the LOADING reply" "$T_DIR/once.txt" "redis_loading - UNHEALTHY: LOADING"
t_lacks "--once text holds no raw control bytes from the garbage" "$T_DIR/once.txt" $'\x01'
faults_check_orphans "after --once"

# The Docker probe only ever reads.
t_check "the Docker engine saw only GET requests ($(wc -l <"$T_DIR/docker.log") in all)" \
	bash -c '! grep -qv "^GET " "$1"' _ "$T_DIR/docker.log"

t_done
