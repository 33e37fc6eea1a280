#!/bin/bash
# The fault matrix on the live dashboard: the real binary under tmux
# against the same misbehaving stack as tests/integration/test_faults.sh
# (see tests/integration/faults_setup.sh), all faults at once. Each row
# shows the right state; a Redis killed and restarted is seen going down
# and coming back; keys are answered while a hung probe is held open (its
# command still running, the same process before and after the redraw);
# memory and fds stay flat; q still quits cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../integration/faults_setup.sh"

# A small quarantine: ASan's default 256 MiB would hide any real growth.
HT_ASAN_EXTRA=quarantine_size_mb=16
. "$(dirname "$0")/tmux.sh" faults
trap 'tm kill-server 2>/dev/null; faults_cleanup' EXIT

INTERVAL_MS=500
TIMEOUT_MS=1000
RETRIES=2
faults_start_servers || exit 1
faults_config "$T_DIR/faults.yml" "$INTERVAL_MS" "$TIMEOUT_MS" "$RETRIES"
# One more hung command, held for the whole test: keys must be answered
# while it is open.
cat >>"$T_DIR/faults.yml" <<YML
  exec_stuck: {exec: [sleep, "${STUCK_CMD#sleep }"], timeout: 3600s}
YML

close_detail_and_filter() { # service: Esc closes its detail pane, Esc clears the filter
	keys Escape
	wait_screen_gone "Esc closes the detail pane" "─ $1"
	keys Escape
	wait_screen_gone "Esc clears the filter" "/$1 +sort"
}

tm new-session -d -s main -x 220 -y 60 \
	"env NO_COLOR=1 TERM=screen-256color $HEALTHTOP -c $T_DIR/faults.yml; echo \$? >$T_DIR/rc; sleep 60"
wait_screen "the dashboard is up" "Fault Matrix"
hpid=$(pgrep -P "$(tm display -p -t main '#{pane_pid}')" | head -1)

# Every row in its state. (Messages are checked by the --json test; the
# grid cuts them to its column.)
faults_expected >"$T_DIR/expected.txt"
while read -r name status _; do
	wait_screen "row $name: $status" "^. $name +[a-z]+ +$status" || true
done <"$T_DIR/expected.txt"
[ -n "$HAVE_HTTP" ] && wait_screen "TLS failure says why on screen" "^. tls_strict .*certificate"

# A probe that does not verify TLS says so in its detail pane.
if [ -n "$HAVE_HTTP" ]; then
	tm send-keys -t main / t l s _ i n s e c u r e Enter
	wait_screen "filter to the insecure TLS probe" "/tls_insecure +sort"
	tm send-keys -t main Enter
	wait_screen "its detail pane says TLS is not verified" "insecure: TLS not verified"
	close_detail_and_filter tls_insecure
fi

fds() { ls /proc/"$hpid"/fd 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS/ {print $2}' /proc/"$hpid"/status; }
# Hung connections, drips and probes in flight come and go, so one count
# says little: the fewest fds of twenty samples. A leak raises even the
# fewest; a probe in flight does not.
fewest_fds() {
	local min=999999 n
	for _ in $(seq 20); do
		n=$(fds)
		[ "$n" -lt "$min" ] && min=$n
		sleep 0.1
	done
	echo "$min"
}
fd_early=$(fewest_fds)
rss_early=$(rss)

# Keys under load: the help opens and closes while exec_stuck's command
# is held open (the same process before and after each redraw), with
# hung connections, drips and 100 MB bodies in flight. A loop blocked on
# a probe would not redraw until that probe ended.
stuck=$(pgrep -f "^$STUCK_CMD\$")
t_check "exec_stuck's command is running (pid ${stuck:-none})" [ -n "$stuck" ]
for i in 1 2 3 4 5; do
	keys '?'
	wait_screen "key $i: ? opens the help" "─ Keys ─"
	keys x
	wait_screen "key $i: x closes it" "SERVICE +KIND +STATE"
done
t_is "every key was answered while exec_stuck's command was still open" \
	"$stuck" "$(pgrep -f "^$STUCK_CMD\$")"

# Redis killed: unhealthy within retries x interval (+ timeout); back:
# healthy about one interval after it answers again.
kill -KILL "$REDIS_FLAP_PID"
wait "$REDIS_FLAP_PID" 2>/dev/null
wait_screen "killed redis turns unhealthy" "^. redis_flap +redis +unhealthy"
faults_redis_flap_restart || t_fail "expected redis_flap's server to answer again on $REDIS_FLAP_PORT; it did not"
wait_screen "restarted redis recovers" "^. redis_flap +redis +healthy"

# The detail pane of a hung service opens while it is hung too.
keys / e x e c _ s t u c k Enter
wait_screen "filter to the stuck service" "/exec_stuck +sort"
keys Enter
wait_screen "its detail pane opens" "─ exec_stuck"
t_is "  while its command is still open" "$stuck" "$(pgrep -f "^$STUCK_CMD\$")"
close_detail_and_filter exec_stuck
keys / e x e c _ h a n g Enter
wait_screen "filter to the hung service" "/exec_hang +sort"
keys Enter
wait_screen "its detail pane says it timed out" "timeout after 1\.0s"
close_detail_and_filter exec_hang

# fds: back to where they were once the probes in flight end. A leak
# never comes back; probes in flight (more of them on a busy machine)
# come and go. Waits for the fewest of twenty samples to be back.
fds_back() { fd_late=$(fewest_fds); [ "$fd_late" -le $((fd_early + 4)) ]; }
if t_until "$T_DEADLINE_S" fds_back; then
	t_ok "fds flat on the dashboard (fewest ${fd_early} early, ${fd_late} late)"
else
	t_fail "fds flat on the dashboard: expected the fewest open fds back to ${fd_early}+4; saw ${fd_late}:"
	ls -l /proc/"$hpid"/fd 2>/dev/null | sed 's/^/    | /'
fi
rss_late=$(rss)
slack=16384
grep -q __asan_init "$HEALTHTOP" && slack=65536 # ASan's quarantine
t_check "memory flat on the dashboard (${rss_early} -> ${rss_late} KiB)" \
	[ "$rss_late" -le $((rss_early + slack)) ]

keys q
t_wait_file "$T_DIR/rc"
t_is "q exits 0 after all that" 0 "$(cat "$T_DIR/rc" 2>/dev/null)"
faults_check_orphans "after the dashboard"

if ls "$T_DIR"/asan.* "$T_DIR"/ubsan.* >/dev/null 2>&1; then
	t_fail "expected no sanitizer reports; saw:"
	cat "$T_DIR"/asan.* "$T_DIR"/ubsan.* 2>/dev/null | head -60
else
	t_ok "no sanitizer reports"
fi
t_done
