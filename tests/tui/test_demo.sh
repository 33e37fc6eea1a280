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
run() { # command line, in the session "main"; its exit code lands in main.rc
	rm -f "$T_DIR/main.rc"
	tm new-session -d -s main -x 120 -y 32 "env TERM=screen-256color $*; echo \$? >$T_DIR/main.rc; sleep 60"
}

wait_exit() {
	t_wait_file "$T_DIR/main.rc"
	t_is "$1" 0 "$(cat "$T_DIR/main.rc" 2>/dev/null)"
	tm kill-session -t main 2>/dev/null
}
screen_line() { # description ERE: the last captured screen has such a line
	if grep -qE -- "$2" "$SCREEN"; then t_ok "$1"; else
		t_fail "$1: expected /$2/ on screen; it shows:"
		sed 's/^/    | /' "$SCREEN"
	fi
}

# Speed 20: the 120 s cold start in 6 s.
run "$HEALTHTOP" --demo --demo-speed 20 --record "$T_DIR/rec.jsonl"
wait_screen "the demo starts, simulated" "E2I Causal Analytics \(demo, simulated\)"
wait_screen "cold start: redis loading first" "LOADING|loading|starting"
wait_screen "all healthy, worker_heavy skipped" "● HEALTHY"
screen_line "worker_heavy row skipped" "Worker Heavy.*skipped"

# The timeline view.
keys t
wait_screen "timeline view" "Start-up timeline"
wait_screen "timeline total" "all healthy at T\+[0-9.]+s \(1 skipped\)"
screen_line "timeline tree drawn" "├─> falkordb"
screen_line "scheduler's T+ shown" "scheduler +T\+[0-9.]+s"
keys t
wait_screen "back to the grid" "SERVICE"

# K on redis (the first service): redis down, its dependants blocked.
keys g K
wait_screen "K says what it did" "stopped redis"
wait_screen "redis unhealthy" "✗ Redis .*unhealthy"
wait_screen "falkordb blocked by redis" "FalkorDB .*unhealthy.*blocked by redis"
wait_screen "api blocked by redis" "API \(FastAPI\) .*unhealthy.*blocked by redis"
wait_screen "frontend blocked by redis, through api" "Frontend .*unhealthy.*blocked by redis"
wait_screen "header names the root cause first" "UNHEALTHY +root cause: redis, [0-9]+ services blocked"
screen_line "mlflow (no redis dependency) stays healthy" "MLflow .* healthy"
# K again: redis boots again, everything recovers.
keys K
wait_screen "K revives" "revived redis"
wait_screen "all healthy again" "● HEALTHY"
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
wait_screen "replay shows the stack" "E2I Causal Analytics"
wait_screen "replay position in the header" "replay T\+[0-9.]+s/T\+[0-9.]+s x50"
keys ' '
wait_screen "replay pauses" "PAUSED"
keys '['
wait_screen "seek back" "replay T\+[0-9.]+s/"
keys .
wait_screen "step" "replay T\+[0-9.]+s/"
keys ' ' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']'
wait_screen "replay reaches the end" "replay .* end"
# Sparkline cells are slices of the recording's clock, not today's.
wait_screen "replay draws the sparklines" "(▁|▂|▃|▄|▅|▆|▇|█|×){3} +[0-9.]+%"
keys q
wait_exit "q quits the replay"

for f in "$T_DIR"/asan* "$T_DIR"/ubsan*; do
	[ -e "$f" ] && { t_fail "expected no sanitizer report; saw $f:"; sed 's/^/    | /' "$f"; }
done
t_done
