#!/bin/bash
# Scenario 7, status pages: 100 browsers' event streams (/api/v1/events,
# what each open status page holds) on one `healthtop --serve --listen`
# watching 12 services at a 2 s interval (one of them, `api`, at 500 ms
# on the fixture's /toggle).
#
#   bench/status_page.sh [--smoke] [--runs N] [--out DIR]
#
# Per round:
#   idle_cpu_pct       healthtop's CPU (user+sys, /proc/PID/stat) over
#                      SECS s of wall time with no stream open
#   streams_cpu_pct    the same with the 100 streams open (each gets an
#                      event when a state changes, one every 5 s at most
#                      while results move latencies and sparklines, and a
#                      keep-alive comment after 20 s of silence)
#   added_cpu_pct      the difference: what the 100 pages cost
#   added_rss_kb       healthtop's resident memory with the streams open,
#                      less before they opened
#   stream_b_min       bytes each stream received per minute while idle
#                      (no state change: the moved-results events of the
#                      latencies and sparklines, every 5 s)
#   page_bytes         the page itself (/) for this 12-service stack
#   change_ms          for each of CHANGES state changes of `api`
#                      (the fixture's /toggle flipped): from the moment
#                      healthtop logged the change (its stdout, ms) to the
#                      moment the last of the 100 streams had it (the
#                      clients' wall clock, same machine); the worst of them
#   trigger_ms         the same from the flip itself, which adds up to one
#                      500 ms probe interval before healthtop can know
# Target: added_cpu_pct under 1 (% of one core), change_ms under 1000.
# Output: $OUT/status_page.tsv (medians over the rounds).
set -u
. "$(dirname "$0")/lib.sh"

SECS=60 WARM=5 STREAMS=100 CHANGES=10
[ "$B_SMOKE" = 1 ] && SECS=3 WARM=1 CHANGES=2
[ "$B_RUNS" = 5 ] && B_RUNS=3 # ~7 minutes by default; --runs overrides
OUT=$B_OUT/status_page.tsv
RAW=$B_OUT/status_page.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"

b_fixture_http 1 0 || exit 1
FX=http://127.0.0.1:$FIX_PORT
{
	printf 'title: Status page bench\ndefaults: {interval: 2s, timeout: 5s, retries: 1}\n'
	printf 'services:\n  api: {http: "%s/toggle", interval: 500ms}\n' "$FX"
	for i in $(seq 1 11); do printf '  svc%02d: {http: "%s/ok", depends_on: [api]}\n' "$i" "$FX"; done
} >"$B_TMP/stack.yml"
chmod 600 "$B_TMP/stack.yml"

# cpu_pct pid secs: the process's CPU over secs of wall time, in % of a core.
cpu_pct() {
	local c0 c1 t0 t1
	c0=$(b_pid_cpu_us "$1")
	t0=$(date +%s%6N)
	sleep "$2"
	c1=$(b_pid_cpu_us "$1")
	t1=$(date +%s%6N)
	b_div "$((c1 - c0))00" "$((t1 - t0))" 3
}

# wait_lines file pattern count: until count lines of file match pattern.
wait_lines() {
	local n=0
	until [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; do
		n=$((n + 1))
		[ "$n" -gt 1200 ] && { b_log "timed out waiting for $3 lines /$2/ in $1"; return 1; }
		sleep 0.05
	done
}

for run in $(seq 1 "$B_RUNS"); do
	curl -s "$FX/control/up" >/dev/null
	rm -f "$B_TMP/serve.out" "$B_TMP/serve.err" "$B_TMP/ready" "$B_TMP/events"
	b_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$B_TMP/stack.yml" \
		>"$B_TMP/serve.out" 2>"$B_TMP/serve.err"
	HT=$B_LAST_PID
	wait_lines "$B_TMP/serve.err" 'endpoints on port' 1 || exit 1
	LP=$(grep -oE 'endpoints on port [0-9]+' "$B_TMP/serve.err" | grep -oE '[0-9]+$')
	wait_lines "$B_TMP/serve.out" ' healthy ' 12 || exit 1
	sleep "$WARM"
	idle=$(cpu_pct "$HT" "$SECS")
	rss0=$(b_pid_rss_kb "$HT" | cut -d' ' -f1)
	page=$(curl -s "http://127.0.0.1:$LP/" | wc -c)

	b_bg "$PY" "$B_ROOT/bench/sse_clients.py" "$LP" "$STREAMS" "$B_TMP/ready" "$B_TMP/events"
	CL=$B_LAST_PID
	b_wait_file "$B_TMP/ready" 60 || exit 1
	open=$(curl -s "http://127.0.0.1:$LP/metrics" |
		awk '$1 == "healthtop_event_streams" {print $2}')
	sleep "$WARM"
	kill -USR1 "$CL"
	wait_lines "$B_TMP/events" '^bytes ' 1 || exit 1
	busy=$(cpu_pct "$HT" "$SECS")
	kill -USR1 "$CL"
	wait_lines "$B_TMP/events" '^bytes ' 2 || exit 1
	bytes=$(grep '^bytes ' "$B_TMP/events" | awk '{b[NR] = $2} END {print b[2] - b[1]}')
	per_min=$(awk -v b="$bytes" -v n="$STREAMS" -v s="$SECS" 'BEGIN {printf "%.0f", b / n * 60 / s}')
	rss1=$(b_pid_rss_kb "$HT" | cut -d' ' -f1)

	worst=0 worst_trig=0
	for k in $(seq 1 "$CHANGES"); do
		if [ $((k % 2)) = 1 ]; then to=unhealthy path=down; else to=healthy path=up; fi
		t0=$(date +%s%6N)
		curl -s "$FX/control/$path" >/dev/null
		wait_lines "$B_TMP/serve.out" "Z api $to " "$(((k + 1) / 2))" || exit 1
		wait_lines "$B_TMP/events" " api $to\$" "$((STREAMS * ((k + 1) / 2)))" || exit 1
		logged=$(grep "Z api $to " "$B_TMP/serve.out" | tail -1 | cut -d' ' -f1)
		logged_us=$(date -d "$logged" +%s%6N)
		last_us=$(grep " api $to\$" "$B_TMP/events" | tail -n "$STREAMS" |
			awk '{t = $1 * 1e6; if (t > m) m = t} END {printf "%.0f", m}')
		d=$(((last_us - logged_us) / 1000))
		dt=$(((last_us - t0) / 1000))
		[ "$d" -gt "$worst" ] && worst=$d
		[ "$dt" -gt "$worst_trig" ] && worst_trig=$dt
	done
	added=$(awk -v a="$busy" -v b="$idle" 'BEGIN {printf "%.3f", a - b}')
	echo "$run $idle $busy $added $worst $worst_trig $open $((rss1 - rss0)) $per_min $page" >>"$RAW"
	b_log "round $run: idle $idle%, $open streams $busy%, added $added%, +$((rss1 - rss0)) KiB," \
		"$per_min B/min a stream, change ${worst} ms (${worst_trig} ms from the flip), page $page B"
	b_stop "$CL"
	b_stop "$HT"
done

b_row "$OUT" streams idle_cpu_pct streams_cpu_pct added_cpu_pct added_rss_kb stream_b_min \
	change_ms trigger_ms page_bytes rounds
b_row "$OUT" "$STREAMS" "$(b_median 2 "$RAW")" "$(b_median 3 "$RAW")" "$(b_median 4 "$RAW")" \
	"$(b_median 8 "$RAW")" "$(b_median 9 "$RAW")" "$(b_median 5 "$RAW")" "$(b_median 6 "$RAW")" \
	"$(b_median 10 "$RAW")" "$B_RUNS"
