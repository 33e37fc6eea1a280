#!/bin/bash
# The fault matrix on the live dashboard: the real binary under tmux
# against the same misbehaving stack as tests/integration/test_faults.sh
# (see tests/integration/faults_setup.sh), all faults at once. Each row
# shows the right state; a Redis killed and restarted is seen going down
# and coming back in time; keys are still answered quickly while every
# fault is in flight; memory and fds stay flat; q still quits cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../integration/faults_setup.sh"

# A small quarantine: ASan's default 256 MiB would hide any real growth.
HT_ASAN_EXTRA=quarantine_size_mb=16
. "$(dirname "$0")/tmux.sh" faults
trap 'tm kill-server 2>/dev/null; faults_cleanup' EXIT

INTERVAL_MS=500
TIMEOUT_MS=1000
RETRIES=2
MARGIN_MS=3000
faults_start_servers || exit 1
faults_config "$T_DIR/faults.yml" "$INTERVAL_MS" "$TIMEOUT_MS" "$RETRIES"

capture() { tm capture-pane -p -t main >"$SCREEN" 2>/dev/null; }
# wait_screen DESCRIPTION ERE [SECONDS]: ms waited in WAITED.
wait_screen() {
	local start deadline
	start=$(t_ms)
	deadline=$((start + ${3:-10} * 1000))
	while :; do
		capture
		if grep -qE -- "$2" "$SCREEN"; then
			WAITED=$(($(t_ms) - start))
			t_ok "$1"
			return 0
		fi
		[ "$(t_ms)" -gt "$deadline" ] && break
		sleep 0.05
	done
	WAITED=-1
	t_fail "$1: /$2/ not on screen:"
	sed 's/^/    | /' "$SCREEN"
	return 1
}

tm new-session -d -s main -x 220 -y 60 \
	"env NO_COLOR=1 TERM=screen-256color $HEALTHTOP -c $T_DIR/faults.yml; echo \$? >$T_DIR/rc; sleep 60"
wait_screen "the dashboard is up" "Fault Matrix" 15
hpid=$(pgrep -P "$(tm display -p -t main '#{pane_pid}')" | head -1)

# Every row in its state. (Messages are checked by the --json test; the
# grid cuts them to its column.)
faults_expected >"$T_DIR/expected.txt"
while read -r name status _; do
	wait_screen "row $name: $status" "^. $name +[a-z]+ +$status" 15 || true
done <"$T_DIR/expected.txt"
[ -n "$HAVE_HTTP" ] && wait_screen "TLS failure says why on screen" "^. tls_strict .*certificate" 2

# A probe that does not verify TLS says so in its detail pane.
if [ -n "$HAVE_HTTP" ]; then
	tm send-keys -t main / t l s _ i n s e c u r e Enter
	wait_screen "filter to the insecure TLS probe" "/tls_insecure +sort" 5
	tm send-keys -t main Enter
	wait_screen "its detail pane says TLS is not verified" "insecure: TLS not verified" 5
	tm send-keys -t main Escape
	sleep 0.2
	tm send-keys -t main Escape
	wait_screen "back to the grid" "SERVICE +KIND +STATE" 5
fi

sample_one() { # -> "fds rss_kb"
	echo "$(ls /proc/"$hpid"/fd 2>/dev/null | wc -l) $(awk '/^VmRSS/ {print $2}' /proc/"$hpid"/status)"
}
# Hung connections, drips and probes in flight come and go, so one count
# says little: take the fewest fds of ten samples over two seconds. A
# leak raises even the fewest; a probe in flight does not.
sample() { # -> "min_fds rss_kb"
	local min=999999 fds rss
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		read -r fds rss <<<"$(sample_one)"
		[ "$fds" -lt "$min" ] && min=$fds
		sleep 0.2
	done
	echo "$min $rss"
}
read -r fd_early rss_early <<<"$(sample)"

# Keys under load: the help opens and closes within a generous second,
# every time, while hung connections, drips and 100 MB bodies are in
# flight. (A blocked loop would answer only after a probe timeout.)
worst=0
for i in 1 2 3 4 5; do
	tm send-keys -t main '?'
	wait_screen "key $i: ? opens the help" "─ Keys ─" 5
	[ "$WAITED" -gt "$worst" ] && worst=$WAITED
	tm send-keys -t main x
	wait_screen "key $i: x closes it" "SERVICE +KIND +STATE" 5
	[ "$WAITED" -gt "$worst" ] && worst=$WAITED
	sleep 0.3
done
t_check "every key answered within 1000ms (worst ${worst}ms, incl. capture)" [ "$worst" -le 1000 ]

# Redis killed: unhealthy within retries x interval (+ timeout); back:
# healthy about one interval after it answers again.
kill -KILL "$REDIS_FLAP_PID"
wait "$REDIS_FLAP_PID" 2>/dev/null
wait_screen "killed redis turns unhealthy" "^. redis_flap +redis +unhealthy" \
	$(((RETRIES * (INTERVAL_MS + TIMEOUT_MS) + MARGIN_MS) / 1000))
t_check "  within the bound (${WAITED}ms)" [ "$WAITED" -ge 0 ]
faults_redis_flap_restart || t_fail "could not restart redis"
wait_screen "restarted redis recovers" "^. redis_flap +redis +healthy" \
	$(((INTERVAL_MS + TIMEOUT_MS + MARGIN_MS) / 1000))

# The detail pane of a hung service opens at once too.
tm send-keys -t main / e x e c _ h a n g Enter
wait_screen "filter to the hung service" "/exec_hang +sort" 5
tm send-keys -t main Enter
wait_screen "its detail pane opens" "─ exec_hang" 5
t_check "  within 1000ms (${WAITED}ms)" [ "$WAITED" -ge 0 -a "$WAITED" -le 1000 ]
wait_screen "the detail pane says it timed out" "timeout after 1\.0s" 5
tm send-keys -t main Escape
sleep 0.2
tm send-keys -t main Escape
wait_screen "back to the grid" "SERVICE +KIND +STATE" 5
sleep 2
read -r fd_late rss_late <<<"$(sample)"
t_check "fds flat on the dashboard (${fd_early} -> ${fd_late})" [ "$fd_late" -le $((fd_early + 4)) ]
slack=16384
grep -q __asan_init "$HEALTHTOP" && slack=65536 # ASan's quarantine
t_check "memory flat on the dashboard (${rss_early} -> ${rss_late} KiB)" \
	[ "$rss_late" -le $((rss_early + slack)) ]

tm send-keys -t main q
t_wait_file "$T_DIR/rc" 10
t_check "q exits 0 after all that (got $(cat "$T_DIR/rc" 2>/dev/null))" [ "$(cat "$T_DIR/rc" 2>/dev/null)" = 0 ]
faults_check_orphans "after the dashboard"

if ls "$T_DIR"/asan.* "$T_DIR"/ubsan.* >/dev/null 2>&1; then
	t_fail "sanitizer reports:"
	cat "$T_DIR"/asan.* "$T_DIR"/ubsan.* 2>/dev/null | head -60
else
	t_ok "no sanitizer reports"
fi
t_done
