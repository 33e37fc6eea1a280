#!/bin/bash
# --demo without a terminal: the simulated E2I stack cold-starts in
# compressed time under --wait (all healthy, worker_heavy skipped, the
# start-up timeline at the end), --once names what blocks what, and a
# --record of the run replays (--replay --once) to the same sequence of
# state changes.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C.UTF-8

# --demo --wait: 120 s of cold start at speed 20 is 6 s of wall time, at
# least; the --wait deadline only ends a stuck run.
start=$(t_ms)
"$HEALTHTOP" --demo --demo-speed 20 --wait --timeout 300s --record "$T_DIR/rec.jsonl" \
	>"$T_DIR/wait.txt" 2>&1
rc=$?
took=$(($(t_ms) - start))
t_is "--demo --wait exits 0" 0 "$rc"
t_check "--demo --wait took ${took}ms (the cold start is not skipped, >= 4 s)" [ "$took" -ge 4000 ]
t_contains "all healthy line" "$T_DIR/wait.txt" "all 11 services healthy, 1 skipped"
t_contains "worker_heavy skipped" "$T_DIR/wait.txt" "worker_heavy skipped"
t_contains "redis waits to load" "$T_DIR/wait.txt" "LOADING Redis is loading the dataset in memory"
# The timeline: its title, the tree, the offsets in order, the total.
t_contains "timeline title" "$T_DIR/wait.txt" "Start-up timeline (T+0 = healthtop start)"
t_contains "timeline tree" "$T_DIR/wait.txt" "├─> falkordb"
t_contains "timeline last child" "$T_DIR/wait.txt" "└─> api"
t_contains "timeline nested" "$T_DIR/wait.txt" "│   └─> scheduler"
t_contains "timeline skipped row" "$T_DIR/wait.txt" "| scaled to 0"
t_contains "timeline total" "$T_DIR/wait.txt" "all healthy at T+"
t_lacks "no race in the demo" "$T_DIR/wait.txt" "race:"
t_lacks "no never-healthy row" "$T_DIR/wait.txt" "NEVER HEALTHY"

# The seed's order: redis before falkordb before api before scheduler,
# read from the timeline's T+ column (seconds).
offset() { grep -E "(^|> )$1 " "$T_DIR/wait.txt" | grep -oE 'T\+[0-9.]+s' | head -1 | tr -d 'T+s'; }
r=$(offset redis) f=$(offset falkordb) a=$(offset api) s=$(offset scheduler) w=$(offset worker_light)
echo "# redis $r falkordb $f api $a worker_light $w scheduler $s"
t_check "redis healthy before falkordb" $PY -c "import sys; sys.exit(not $r < $f)"
t_check "falkordb before api" $PY -c "import sys; sys.exit(not $f < $a)"
t_check "api before worker_light before scheduler" $PY -c "import sys; sys.exit(not $a < $w < $s)"
# At speed 20 the seed's T+10 s is T+0.5 s and T+120 s is T+6 s: none is
# healthy before its time (a busy machine may only make them later).
t_check "redis not before T+0.5s (T+${r}s >= 0.3)" $PY -c "import sys; sys.exit(not 0.3 <= $r)"
t_check "scheduler not before T+6s (T+${s}s >= 5.5)" $PY -c "import sys; sys.exit(not 5.5 <= $s)"

# --record then --replay --once: the same state changes, in the same
# order, at the same offsets.
t_check "the recording has a header and results" [ "$(wc -l <"$T_DIR/rec.jsonl")" -gt 13 ]
"$HEALTHTOP" --replay "$T_DIR/rec.jsonl" --once >"$T_DIR/replay.txt" 2>&1
rc=$?
t_check "--replay --once exits 0 (got $rc)" [ "$rc" -eq 0 ]
grep -E '^T\+[0-9.]+s [a-z_]+ [a-z]+' "$T_DIR/wait.txt" | grep -v "all 12" >"$T_DIR/wait.changes"
grep -E '^T\+[0-9.]+s [a-z_]+ [a-z]+' "$T_DIR/replay.txt" >"$T_DIR/replay.changes"
t_check "state changes recorded ($(wc -l <"$T_DIR/wait.changes"))" [ -s "$T_DIR/wait.changes" ]
if cmp -s "$T_DIR/wait.changes" "$T_DIR/replay.changes"; then
	t_ok "replay gives the same sequence of state changes"
else
	t_fail "expected the replay's state changes to equal the run's; they differ (< run, > replay):"
	diff "$T_DIR/wait.changes" "$T_DIR/replay.changes" | sed 's/^/    | /'
fi
t_contains "replay timeline total" "$T_DIR/replay.txt" "all healthy at T+"
t_contains "replay report" "$T_DIR/replay.txt" "SYSTEM STATUS: HEALTHY"

# A truncated recording replays up to the cut and says where it stopped.
head -c $(($(stat -c %s "$T_DIR/rec.jsonl") - 25)) "$T_DIR/rec.jsonl" >"$T_DIR/cut.jsonl"
lines=$(wc -l <"$T_DIR/cut.jsonl")
"$HEALTHTOP" --replay "$T_DIR/cut.jsonl" --once >"$T_DIR/cut.txt" 2>"$T_DIR/cut.err"
t_check "a cut recording exits 1" [ $? -eq 1 ]
t_contains "a cut recording says where" "$T_DIR/cut.err" "cut.jsonl:$((lines + 1)): truncated line"
t_contains "a cut recording still replays" "$T_DIR/cut.txt" "Start-up timeline"
"$HEALTHTOP" --replay "$T_DIR/nonexistent" --once >/dev/null 2>"$T_DIR/none.err"
t_check "no recording: exit 2" [ $? -eq 2 ]
t_contains "no recording: says so" "$T_DIR/none.err" "No such file or directory"

# --demo --once at T+0: everything is down at once; the report names the
# root cause, and the JSON carries blocked_by.
"$HEALTHTOP" --demo --once >"$T_DIR/once.txt" 2>&1
t_check "--demo --once exits 1" [ $? -eq 1 ]
t_contains "--demo --once says why everything is down" "$T_DIR/once.txt" \
	"--demo --once probes the simulated stack at T+0, as it starts from cold"
t_contains "--once: falkordb blocked by redis" "$T_DIR/once.txt" "UNHEALTHY: blocked by redis;"
t_contains "--once: root cause line" "$T_DIR/once.txt" "root cause"
"$HEALTHTOP" --demo --once --json >"$T_DIR/once.json" 2>/dev/null
t_check "--json blocked_by for falkordb" $PY -c "
import json,sys
d = json.load(open('$T_DIR/once.json'))
s = {x['name']: x for x in d['services']}
sys.exit(not (s['falkordb']['blocked_by'] == ['redis'] and s['redis']['blocked_by'] == []
              and 'redis' in d['root_causes']))"

# Usage errors.
"$HEALTHTOP" --demo -c /dev/null --once >/dev/null 2>&1
t_check "--demo with -c: exit 2" [ $? -eq 2 ]
"$HEALTHTOP" --demo-speed 3 --once >/dev/null 2>&1
t_check "--demo-speed without --demo: exit 2" [ $? -eq 2 ]
"$HEALTHTOP" --demo --demo-speed 0 --once >/dev/null 2>&1
t_check "--demo-speed 0: exit 2" [ $? -eq 2 ]
"$HEALTHTOP" --replay "$T_DIR/rec.jsonl" --wait >/dev/null 2>&1
t_check "--replay with --wait: exit 2" [ $? -eq 2 ]

t_done
