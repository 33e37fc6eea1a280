#!/bin/bash
# Scenario 5, scale: 5,000 HTTP services with one hour of history.
#
#   bench/scale.sh [--smoke] [--runs N] [--out DIR]
#
# Two measurements, each a median over the rounds:
#   bench_scale   the config loaded and the scheduler set up as the binary
#                 does, every service's history filled to a full hour
#                 (1,800 samples at 2 s, full recent and transition rings),
#                 then frames drawn by the dashboard's own code on a
#                 headless 200x60 ncurses screen: resident memory, and the
#                 time of a frame drawn from scratch, of a frame after a
#                 result for every service, and of the same sorted by
#                 severity.
#   bench_keylat  the real binary's dashboard on a pseudo-terminal
#                 (120x40), probing 5,000 targets that answer after 4 s
#                 (interval 1 s, timeout 6 s: about 4,000 probes in flight
#                 at any moment and 1,000 results a second landing), after
#                 a 10 s warm-up: the time from writing "?" to reading the
#                 help overlay's first bytes (20 presses), and the
#                 process's resident memory at the end.
#   bench_probes  10,000 HTTP services at interval 10 s (1,000 probes a
#                 second) on 50 ports of a second fixture_http answering
#                 at once, so that services share connections: the
#                 process's CPU time (user + sys, getrusage) over 20,000
#                 results after a warm-up of one result per service,
#                 divided by the wall time of those results, as % of a
#                 core; and its peak resident memory.
#   bench_report  one scrape of 5,000 services in 50 groups (each group's
#                 services depend on its first), 1,000 of them down (ten
#                 groups failing from their first service): the CPU time
#                 of building the state document (/api/v1/state) and the
#                 Prometheus exposition (/metrics), median of 11 each.
# Targets: 64 MB resident, 50 ms key to screen (p99); at 10,000 services
# under 5% of a core and 128 MB; a scrape of 5,000 services under 10 ms of
# CPU (issue 12).
# The targets live in one fixture_http process on 100 ports.
# Output: $OUT/scale.tsv (measure, value, unit, target).
set -u
. "$(dirname "$0")/lib.sh"

N=5000 PORTS=100 DELAY=4000 WARM=10 PRESSES=20 FRAMES=30
BIG=10000 BIG_PORTS=50 BIG_COUNT=20000 BIG_IVL=10s
if [ "$B_SMOKE" = 1 ]; then
	N=50 PORTS=5 DELAY=200 WARM=2 PRESSES=3 FRAMES=3
	BIG=100 BIG_PORTS=5 BIG_COUNT=100 BIG_IVL=1s
fi
OUT=$B_OUT/scale.tsv
RAW=$B_OUT/scale.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"

# gen NAME COUNT PER_GROUP INTERVAL TIMEOUT: COUNT services over the
# ports of the last fixture started, PER_GROUP to a group.
gen() {
	local ports
	mapfile -t ports <"$B_TMP/ports"
	for ((i = 0; i < $2; i++)); do
		printf 'svc%05d: {group: "Group %02d", http: "http://127.0.0.1:%s/ok?svc=%d"}\n' \
			"$i" $((i / $3)) "${ports[i % ${#ports[@]}]}" "$i"
	done | b_config "$B_TMP/scale.$1.yml" "title: scale $2
history: 1h
max_inflight: $2
defaults: {interval: $4, timeout: $5}"
}
b_fixture_http $PORTS $DELAY || exit 1
gen 2s $N 100 2s 1s # bench_scale: one hour at 2 s is 1,800 samples a service
gen 1s $N 100 1s 6s # the live run
# The 10,000 services share the 50 ports of a fixture that answers at once.
b_fixture_http $BIG_PORTS 0 || exit 1
gen big $BIG 200 $BIG_IVL 5s

# bench_report: groups whose services depend on the group's first.
REP=5000 REP_DOWN=1000
[ "$B_SMOKE" = 1 ] && REP=100 REP_DOWN=20
for ((i = 0; i < REP; i++)); do
	g=$((i / 100))
	if ((i % 100 == 0)); then
		printf 'g%02d_db: {group: "G%02d", tcp: "127.0.0.1:1"}\n' $g $g
	else
		printf 'g%02d_s%02d: {group: "G%02d", tcp: "127.0.0.1:1", depends_on: [g%02d_db]}\n' $g $((i % 100)) $g $g
	fi
done | b_config "$B_TMP/scale.report.yml" "title: report $REP
defaults: {interval: 1h}"

have_frames=0
if [ -x "$B_BENCH_BIN/bench_scale" ]; then
	have_frames=1
else
	b_log "skip frames and memory: bench_scale is not built (the build has no src/ui yet)"
fi

have_keys=1
b_dashboard "$B_TMP/scale.1s.yml" || have_keys=0

for round in $(seq 1 "$B_RUNS"); do
	if [ $have_frames = 1 ]; then
		"$B_BENCH_BIN/bench_scale" -c "$B_TMP/scale.2s.yml" -f $FRAMES >"$B_TMP/scale.out" 2>>"$B_TMP/cmd.err" &&
			echo "frames $(cat "$B_TMP/scale.out")" >>"$RAW"
	fi
	[ $have_keys = 1 ] && TERM=xterm-256color "$B_BENCH_BIN/bench_keylat" -w $WARM -n $PRESSES -x 120 -y 40 -- \
		"$HEALTHTOP" --allow-insecure-config -c "$B_TMP/scale.1s.yml" >"$B_TMP/keylat.out" 2>>"$B_TMP/cmd.err" &&
		echo "keys $(cat "$B_TMP/keylat.out")" >>"$RAW"
	"$B_BENCH_BIN/bench_probes" -c "$B_TMP/scale.big.yml" -w $BIG -n $BIG_COUNT -t 300 \
		>"$B_TMP/big.out" 2>>"$B_TMP/cmd.err" &&
		echo "big $(cat "$B_TMP/big.out")" >>"$RAW"
	[ -x "$B_BENCH_BIN/bench_report" ] &&
		"$B_BENCH_BIN/bench_report" -c "$B_TMP/scale.report.yml" -n 11 -d $REP_DOWN \
			>"$B_TMP/report.out" 2>>"$B_TMP/cmd.err" &&
		echo "report $(cat "$B_TMP/report.out")" >>"$RAW"
done
if [ $have_keys = 1 ] && ! grep -q '^keys' "$RAW"; then
	b_log "no key latency measured: does this healthtop have its dashboard?"
	cat "$B_TMP/cmd.err" >&2
fi

med() { grep "^$1 " "$RAW" | cut -d' ' -f2- >"$B_TMP/$1.col"; b_median "$2" "$B_TMP/$1.col"; }
ms() { b_div "$1" 1000 "${2:-1}"; }
mb() { b_div "$1" 1024 1; }
b_row "$OUT" measure value unit target runs
if grep -q '^frames' "$RAW"; then
	r=$(grep -c '^frames' "$RAW")
	b_row "$OUT" "model + 1h history, resident" "$(mb "$(med frames 2)")" MB 64 "$r"
	b_row "$OUT" "  of which before any history" "$(mb "$(med frames 1)")" MB - "$r"
	b_row "$OUT" "fill one hour of history" "$(med frames 3)" ms - "$r"
	b_row "$OUT" "frame from scratch (200x60)" "$(ms "$(med frames 4)" 2)" ms - "$r"
	b_row "$OUT" "frame after a full sweep" "$(ms "$(med frames 5)" 2)" ms - "$r"
	b_row "$OUT" "same, sorted by severity" "$(ms "$(med frames 6)" 2)" ms - "$r"
fi
if grep -q '^keys' "$RAW"; then
	r=$(grep -c '^keys' "$RAW")
	b_row "$OUT" "key to screen, median" "$(ms "$(med keys 1)")" ms - "$r"
	b_row "$OUT" "key to screen, p90" "$(ms "$(med keys 2)")" ms - "$r"
	b_row "$OUT" "key to screen, p99" "$(ms "$(med keys 3)")" ms 50 "$r"
	b_row "$OUT" "key to screen, max" "$(ms "$(med keys 4)")" ms - "$r"
	b_row "$OUT" "presses unanswered in 2 s" "$(med keys 5)" - 0 "$r"
	b_row "$OUT" "live binary, resident" "$(mb "$(med keys 6)")" MB 64 "$r"
	b_row "$OUT" "live binary, peak resident" "$(mb "$(med keys 7)")" MB 64 "$r"
fi
if grep -q '^big' "$RAW"; then
	r=$(grep -c '^big' "$RAW")
	# probes wall_us user_us sys_us failed maxrss_kb median_latency_us
	grep '^big ' "$RAW" | awk '{ printf "%.2f\n", 100 * ($4 + $5) / $3 }' >"$B_TMP/big.cpu"
	b_row "$OUT" "$BIG services at $BIG_IVL, CPU" "$(b_median 1 "$B_TMP/big.cpu")" "% of a core" 5 "$r"
	b_row "$OUT" "$BIG services at $BIG_IVL, peak resident" "$(mb "$(med big 6)")" MB 128 "$r"
	b_row "$OUT" "$BIG services at $BIG_IVL, failed probes" "$(med big 5)" - 0 "$r"
fi
if grep -q '^report' "$RAW"; then
	r=$(grep -c '^report' "$RAW")
	# services down state_us state_bytes metrics_us metrics_bytes
	b_row "$OUT" "scrape of $REP services ($REP_DOWN down): state document" "$(ms "$(med report 3)" 2)" ms 10 "$r"
	b_row "$OUT" "scrape of $REP services ($REP_DOWN down): /metrics" "$(ms "$(med report 5)" 2)" ms 10 "$r"
fi
b_done
