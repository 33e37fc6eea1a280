#!/bin/bash
# --demo in the dashboard, end to end under tmux: the simulated stack
# cold-starts to all healthy (worker_heavy skipped) in compressed time;
# t shows the start-up timeline and its total; K stops the selected
# service (redis), which turns it and its dependants unhealthy, blocked
# by redis, with redis named the root cause in the header; K again
# revives it and everything recovers. Then --replay of a recording of it
# in the dashboard, with the replay keys.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/tmux.sh" demo
trap 'tm kill-server 2>/dev/null; t_cleanup' EXIT
keys() { tm send-keys -t main "$@"; }

# wait_screen DESCRIPTION ERE [SECONDS]: passes once the screen matches.
wait_screen() {
	local deadline=$(($(t_ms) + ${3:-10} * 1000))
	while :; do
		tm capture-pane -p -t main >"$SCREEN" 2>/dev/null
		if grep -qE -- "$2" "$SCREEN"; then
			t_ok "$1"
			return 0
		fi
		[ "$(t_ms)" -gt "$deadline" ] && break
		sleep 0.1
	done
	t_fail "$1: /$2/ not on screen:"
	sed 's/^/    | /' "$SCREEN"
	return 1
}

run() { # command line, in the session "main"; its exit code lands in main.rc
	rm -f "$T_DIR/main.rc"
	tm new-session -d -s main -x 120 -y 32 "env TERM=screen-256color $*; echo \$? >$T_DIR/main.rc; sleep 60"
}

wait_exit() {
	for _ in $(seq 100); do [ -s "$T_DIR/main.rc" ] && break; sleep 0.1; done
	t_check "$1 (exit $(cat "$T_DIR/main.rc" 2>/dev/null))" [ "$(cat "$T_DIR/main.rc" 2>/dev/null)" = 0 ]
	tm kill-session -t main 2>/dev/null
}

# Speed 20: the 120 s cold start in 6 s.
start=$(t_ms)
run "$HEALTHTOP" --demo --demo-speed 20 --record "$T_DIR/rec.jsonl"
wait_screen "the demo starts, simulated" "E2I Causal Analytics \(demo, simulated\)" 10
wait_screen "cold start: redis loading first" "LOADING|loading|starting" 10
wait_screen "all healthy, worker_heavy skipped" "● HEALTHY" 40
took=$(($(t_ms) - start))
t_check "reached all healthy in ${took}ms (< 40 s)" [ "$took" -lt 40000 ]
grep -E "Worker Heavy" "$SCREEN" | grep -q skipped && t_ok "worker_heavy row skipped" ||
	t_fail "worker_heavy row skipped"

# The timeline view.
keys t
wait_screen "timeline view" "Start-up timeline" 5
wait_screen "timeline total" "all healthy at T\+[0-9.]+s \(1 skipped\)" 5
grep -q "├─> falkordb" "$SCREEN" && t_ok "timeline tree drawn" || t_fail "timeline tree drawn"
grep -qE "scheduler +T\+[0-9.]+s" "$SCREEN" && t_ok "scheduler's T+ shown" || t_fail "scheduler's T+ shown"
keys t
wait_screen "back to the grid" "SERVICE" 5

# K on redis (the first service): redis down, its dependants blocked.
keys g K
wait_screen "K says what it did" "stopped redis" 5
wait_screen "redis unhealthy" "✗ Redis .*unhealthy" 15
wait_screen "falkordb blocked by redis" "FalkorDB .*unhealthy.*blocked by redis" 15
wait_screen "api blocked by redis" "API \(FastAPI\) .*unhealthy.*blocked by redis" 15
wait_screen "frontend blocked by redis, through api" "Frontend .*unhealthy.*blocked by redis" 15
wait_screen "header names the root cause first" "UNHEALTHY +root cause: redis, [0-9]+ services blocked" 5
grep -qE "MLflow .*healthy" "$SCREEN" && ! grep -qE "MLflow .*unhealthy" "$SCREEN" &&
	t_ok "mlflow (no redis dependency) stays healthy" || t_fail "mlflow stays healthy"
# K again: redis boots again, everything recovers.
keys K
wait_screen "K revives" "revived redis" 5
wait_screen "all healthy again" "● HEALTHY" 30
keys q
wait_exit "q quits"

# The recording in the dashboard: paused, stepped, seeked; the end state
# is the run's. Its clock is moved a day back, as a recording replayed
# the next day would be.
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    for k in ("t0_wall_ms", "wall_ms"):
        if k in o:
            o[k] -= 86400000
    print(json.dumps(o))' "$T_DIR/rec.jsonl" >"$T_DIR/rec-old.jsonl"
run "$HEALTHTOP" --replay "$T_DIR/rec-old.jsonl" --speed 50
wait_screen "replay shows the stack" "E2I Causal Analytics" 10
wait_screen "replay position in the header" "replay T\+[0-9.]+s/T\+[0-9.]+s x50" 10
keys ' '
wait_screen "replay pauses" "PAUSED" 5
keys '['
wait_screen "seek back" "replay T\+[0-9.]+s/" 5
keys .
wait_screen "step" "replay T\+[0-9.]+s/" 5
keys ' ' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']'
wait_screen "replay reaches the end" "replay .* end" 30
# Sparkline cells are slices of the recording's clock, not today's.
wait_screen "replay draws the sparklines" "(▁|▂|▃|▄|▅|▆|▇|█|×){3} +[0-9.]+%" 5
keys q
wait_exit "q quits the replay"

for f in "$T_DIR"/asan* "$T_DIR"/ubsan*; do
	[ -e "$f" ] && { t_fail "sanitizer report $f"; sed 's/^/    | /' "$f"; }
done
t_done
