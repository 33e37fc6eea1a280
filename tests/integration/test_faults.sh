#!/bin/bash
# The fault matrix: healthtop (--wait, then --once) against every way a
# real stack misbehaves, all at the same time, next to healthy services.
# For each fault: the right state and message; the transient ones seen
# going down after the fault and coming back after it ends; the healthy
# services keep probing while the hung probes are open (rounds counted
# against the commands' own logs); memory bounded; no fd, zombie or
# orphan process left. Nothing here is held to a stopwatch: the checks
# are states, counts and order, which hold however slow the machine is.
#
# Real servers throughout (fixture_http, redis-server, openssl s_server,
# real commands, a real Celery worker, the recorded Docker engine of
# tests/fixtures/fixture_docker.py), except Redis answering -LOADING: a
# real redis-server says that only while it loads a large dataset at
# start-up, for an unpredictable moment, so fixture_resp.py stands in.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/faults_setup.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

INTERVAL_MS=500
TIMEOUT_MS=1000 # of the hung probes only (see faults_config)
RETRIES=2
RUN_S=55 # the --wait deadline: the length of the run, ample for the
         # faults and their end on a busy machine (an ASan build too),
         # a celery ping caught by the kill waiting out its 10 s among them
FLAPS="redis_flap docker_flap celery_flap"

faults_start_servers || exit 1
[ -n "$HAVE_HTTP" ] && FLAPS="$FLAPS http_flap"
faults_config "$T_DIR/faults.yml" "$INTERVAL_MS" "$TIMEOUT_MS" "$RETRIES"

# ---- the --wait run, with faults injected and the process watched --------

samples=$T_DIR/samples.txt # ms fds rss_kb children
children=$T_DIR/children.txt # snapshots, for faults_check_zombies
sample() {                   # pid
	local fds rss kids
	local now
	now=$(t_ms)
	# what each fd is (sockets with their endpoints), kept to explain a
	# failed leak check below
	fds=$(ls -l /proc/"$1"/fd 2>/dev/null | awk 'NR > 1 {print $NF}' | sort | tee "$T_DIR/fds.$now" | wc -l)
	ss -anpe 2>/dev/null | grep "pid=$1," >"$T_DIR/ss.$now"
	rss=$(awk '/^VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null)
	faults_snap_children "$1" "$children"
	kids=$(awk -v n="$FAULTS_SNAP" '$1 == n && $2 != "-"' "$children" | wc -l)
	[ -n "$rss" ] && echo "$now $fds $rss $kids" >>"$samples"
}

launch=$(t_ms)
"$HEALTHTOP" --wait --timeout "${RUN_S}s" --json -c "$T_DIR/faults.yml" \
	>"$T_DIR/wait.json" 2>"$T_DIR/wait.events" &
hpid=$!
T_PIDS="$T_PIDS $hpid"
# The faults start once every flapping service was seen healthy, and end
# once each was seen unhealthy: the run follows what healthtop says, not
# a clock. The process is sampled all along.
sample_until() { # command...: until it succeeds or healthtop has exited
	while kill -0 "$hpid" 2>/dev/null && ! "$@"; do
		sample "$hpid"
		sleep 0.25
	done
}
flaps_seen() { # state [since-line]: each flap's latest event since that line is it
	local f
	for f in $FLAPS; do
		tail -n +"${2:-1}" "$T_DIR/wait.events" | awk -v s="$f" '$2 == s {st = $3} END {print st}' |
			grep -qx "$1:\?" || return 1
	done
}
flap_states() { # [since-line]: each flap's latest state
	local f
	for f in $FLAPS; do
		printf '%s=%s ' "$f" "$(tail -n +"${1:-1}" "$T_DIR/wait.events" |
			awk -v s="$f" '$2 == s {st = $3} END {print st}')"
	done
}
phase() { # what state [since-line]
	sample_until flaps_seen "$2" "${3:-1}"
	flaps_seen "$2" "${3:-1}" ||
		t_fail "$1: expected every flap $2 before the run's end; saw $(flap_states "${3:-1}")"
}
phase "before the faults" healthy
fault_ms=$(t_ms)
fault_line=$(($(wc -l <"$T_DIR/wait.events") + 1))
faults_inject
phase "the faults" unhealthy "$fault_line"
faults_recover || exit 1
sample_until false
wait "$hpid"
rc=$?
t_is "--wait with faults exits 1 at its deadline" 1 "$rc"
t_contains "--wait lists what is not healthy" "$T_DIR/wait.events" "not healthy after ${RUN_S}.0s:"

# State and message of every service, from the --json document.
faults_check_states "$T_DIR/wait.json" wait

# Detection and recovery, from the event stream: each transient fault is
# seen (unhealthy after the fault), then its end (healthy after that);
# the final states above show they stayed so.
flap_events() { # service: its states after the fault, in order
	tail -n +"$fault_line" "$T_DIR/wait.events" | awk -v s="$1" '$2 == s {print $3}' |
		tr -d ':' | tr '\n' ' '
}
check_flap() { # service
	local seen
	seen=$(flap_events "$1")
	if grep -qE '(^| )unhealthy (.* )?healthy ' <<<"$seen"; then
		t_ok "$1 went unhealthy after the fault, then healthy after its end"
	else
		t_fail "$1: expected 'unhealthy' then 'healthy' after the fault; saw: ${seen:-nothing}"
		sed 's/^/    | /' "$T_DIR/wait.events"
	fi
}
echo "# fault at T+$(((fault_ms - launch) / 100))00ms; the flapping services' events:"
grep -E '^T\+[0-9.]+s [a-z]+_flap ' "$T_DIR/wait.events" | sed 's/^/#   /'
for f in $FLAPS; do check_flap "$f"; done

# Cadence, by order and from below, never against a window in ms:
# - a hung probe never holds the others back: between two starts of
#   exec_hang (each held until its timeout), ctl_exec started at least
#   once more (both from the commands' own logs), and every ctl_* service
#   ran at least as many probes as exec_hang did;
# - no service is probed more often than its interval allows (at most
#   one probe per interval, less 10 % jitter, over the run).
t_check "the hung command was started several times ($(wc -l <"$T_DIR/exec_hang.log" 2>/dev/null))" \
	[ "$(wc -l <"$T_DIR/exec_hang.log" 2>/dev/null || echo 0)" -ge 2 ]
t_check "healthy services keep probing while the hung ones are open" \
	$PY - "$T_DIR/wait.json" "$T_DIR/ctl_exec.log" "$T_DIR/exec_hang.log" "$RUN_S" "$INTERVAL_MS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ctl = sorted(int(x) for x in open(sys.argv[2]))
hang = sorted(int(x) for x in open(sys.argv[3]))
run_s, iv = int(sys.argv[4]), int(sys.argv[5])
bad = []
for a, b in zip(hang, hang[1:]):
    if not any(a < c < b for c in ctl):
        bad.append(f"no ctl_exec start between exec_hang starts at {a} and {b}")
n = {s["name"]: s["probes"] for s in d["services"]}
for name, count in n.items():
    if name.startswith("ctl_") and count < n["exec_hang"]:
        bad.append(f"{name}: {count} probes, expected at least exec_hang's {n['exec_hang']}")
    most = run_s * 1000 // int(iv * 0.9) + 1
    if count > most:
        bad.append(f"{name}: {count} probes in {run_s}s, expected at most {most} at {iv}ms")
if bad:
    print("    " + "\n    ".join(bad))
    sys.exit(1)
PY

# Memory, fds and children, sampled all along: warm-up is the first
# samples, the rest must stay flat. Probes in flight hold fds and
# children, so compare the least seen early and in the last samples.
# "Early" is the second quarter of the samples: on a busy machine the
# first seconds can find the process before its probes are set up (6 fds
# seen there, 13 from then on), which is start-up, not a leak.
# Twelve samples are what the comparison below needs (a quarter early,
# twelve late); a busy machine may take a second or more per sample.
t_check "the process was sampled ($(wc -l <"$samples") samples)" [ "$(wc -l <"$samples")" -ge 12 ]
$PY - "$samples" "$launch" <<'PY' >"$T_DIR/resources.txt"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 4]
t0 = int(sys.argv[2])
q = len(rows) // 4
early = [r for r in rows[q:2 * q] if r[0] - t0 >= 2000] or rows[q:2 * q] or rows[:12]
late = rows[-12:]
print("fd_early", min(r[1] for r in early))
print("fd_late", min(r[1] for r in late))
print("fd_early_at", min(early, key=lambda r: r[1])[0])
print("fd_late_at", min(late, key=lambda r: r[1])[0])
print("rss_early_kb", max(r[2] for r in early))
print("rss_max_kb", max(r[2] for r in rows))
print("rss_late_kb", max(r[2] for r in late))
print("kids_max", max(r[3] for r in rows))
print("kids_late", min(r[3] for r in late))
PY
eval "$(sed 's/ /=/' "$T_DIR/resources.txt")"
echo "# resources: $(tr '\n' ' ' <"$T_DIR/resources.txt")"
# The slack is what probes in flight can hold at the late minimum and not
# at the early one (a hung command's pipes, a celery ping waiting out its
# timeout, a kept connection): 8. A leak grows with the failures, and the
# hostile services fail every round for the whole run: dozens of fds.
if [ "$fd_late" -le $((fd_early + 8)) ]; then
	t_ok "no fd leak (least open fds: ${fd_early} early, ${fd_late} late)"
else
	t_fail "fd leak (least open fds: ${fd_early} early, ${fd_late} late); late and not early:"
	comm -13 "$T_DIR/fds.$fd_early_at" "$T_DIR/fds.$fd_late_at" | while read -r f; do
		ino=${f#socket:[}
		ino=${ino%]}
		echo "#   $f $(grep -h "ino:$ino " "$T_DIR/ss.$fd_late_at" | awk '{print $1, $5, $6}')"
	done
fi
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
faults_check_zombies "the --wait run" "$children"
faults_check_orphans "after --wait"

# ---- --once: every fault at the same moment ------------------------------

start=$(t_ms)
"$HEALTHTOP" --once --json -c "$T_DIR/faults.yml" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
rc=$?
took=$(($(t_ms) - start))
t_is "--once with faults exits 1" 1 "$rc"
t_check "--once waited for the hung probes' timeout (${took}ms >= ${TIMEOUT_MS}ms)" \
	[ "$took" -ge "$TIMEOUT_MS" ]
faults_check_states "$T_DIR/once.json" once
"$HEALTHTOP" --once -c "$T_DIR/faults.yml" >"$T_DIR/once.txt" 2>&1
t_is "--once text report exits 1" 1 "$?"
t_contains "--once text shows the LOADING reply" "$T_DIR/once.txt" "redis_loading - UNHEALTHY: LOADING"
t_lacks "--once text holds no raw control bytes from the garbage" "$T_DIR/once.txt" $'\x01'
faults_check_orphans "after --once"

# TLS: verified by default (tls_strict fails above), and a probe told not
# to verify says so.
if [ -n "$HAVE_HTTP" ]; then
	t_check "--json marks the insecure probe, and only it" $PY - "$T_DIR/once.json" <<'PY'
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
marked = [n for n, s in d.items() if s.get("insecure") is True]
sys.exit(None if marked == ["tls_insecure"] else
         f"    expected only tls_insecure marked insecure; saw {marked}")
PY
fi

# The Docker probe only ever reads.
t_check "the Docker engine saw only GET requests ($(wc -l <"$T_DIR/docker.log") in all)" \
	bash -c '! grep -qv "^GET " "$1"' _ "$T_DIR/docker.log"

t_done
