#!/bin/bash
# Scenario 11, scrapes under load (issue 12): 1,000 /metrics scrapes a
# second against one `healthtop --serve --listen` watching 100 HTTP
# services at a 1 s interval, and what that does to the probes' cadence.
#
#   bench/scrape_load.sh [--smoke] [--runs N] [--out DIR]
#
# Per round, over SECS s of wall time each, first without scrapes, then
# with curl scraping /metrics at RATE a second on kept connections
# (`curl --rate`, PARALLEL clients):
#   quiet_cpu_pct / load_cpu_pct   healthtop's CPU (user+sys), % of a core
#   scrapes_s      the scrapes answered per second (counted by curl)
#   probes_quiet / probes_load     the fewest probes any one service made
#                  in the window (healthtop_probes_total, read before and
#                  after): SECS at a 1 s interval is the full cadence
#   probes_med_quiet / probes_med_load   the median service's
# Target: probes_load as probes_quiet (scrapes never delay a probe).
# Output: $OUT/scrape_load.tsv (medians over the rounds).
set -u
. "$(dirname "$0")/lib.sh"

SECS=30 WARM=3 SVCS=100 RATE=1000 PARALLEL=8
[ "$B_SMOKE" = 1 ] && SECS=3 WARM=1 RATE=100 PARALLEL=1
[ "$B_RUNS" = 5 ] && B_RUNS=3 # ~4 minutes by default; --runs overrides
OUT=$B_OUT/scrape_load.tsv
RAW=$B_OUT/scrape_load.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"

b_fixture_http 1 0 || exit 1
FX=http://127.0.0.1:$FIX_PORT
{
	printf 'title: Scrape load bench\ndefaults: {interval: 1s, timeout: 5s, retries: 1}\n'
	printf 'services:\n'
	for i in $(seq 1 "$SVCS"); do printf '  svc%03d: {http: "%s/ok"}\n' "$i" "$FX"; done
} >"$B_TMP/stack.yml"
chmod 600 "$B_TMP/stack.yml"

# probes_of port: "service count" for every service, probes finished so far
probes_of() {
	curl -s "http://127.0.0.1:$1/metrics" |
		awk -F'[{},"= ]+' '/^healthtop_probes_total\{/ {
			for (i = 2; i < NF; i += 2) if ($i == "service") s = $(i + 1)
			n[s] += $NF
		} END {for (s in n) print s, n[s]}' | sort
}

# window port pid: "cpu_pct fewest median" over SECS s
window() {
	local c0 c1 t0 t1
	probes_of "$1" >"$B_TMP/p0"
	c0=$(b_pid_cpu_us "$2")
	t0=$(date +%s%6N)
	sleep "$SECS"
	c1=$(b_pid_cpu_us "$2")
	t1=$(date +%s%6N)
	probes_of "$1" >"$B_TMP/p1"
	printf '%s ' "$(b_div "$((c1 - c0))00" "$((t1 - t0))" 3)"
	join "$B_TMP/p0" "$B_TMP/p1" | awk '{print $3 - $2}' | sort -n |
		awk '{v[NR] = $1} END {print v[1], v[int((NR + 1) / 2)]}'
}

for run in $(seq 1 "$B_RUNS"); do
	rm -f "$B_TMP/serve.err"
	b_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$B_TMP/stack.yml" \
		>/dev/null 2>"$B_TMP/serve.err"
	HT=$B_LAST_PID
	b_wait_file "$B_TMP/serve.err" 60 || exit 1
	until grep -q 'endpoints on port' "$B_TMP/serve.err"; do sleep 0.05; done
	LP=$(grep -oE 'endpoints on port [0-9]+' "$B_TMP/serve.err" | grep -oE '[0-9]+$')
	sleep "$WARM"
	read -r qcpu qmin qmed <<<"$(window "$LP" "$HT")"

	# Each client a URL list long enough for the window, paced by --rate
	# on one kept connection.
	per=$((RATE / PARALLEL))
	printf 'url = "http://127.0.0.1:%s/metrics"\noutput = "/dev/null"\n' "$LP" >"$B_TMP/one"
	for _ in $(seq 1 $((per * (SECS + WARM + 5)))); do cat "$B_TMP/one"; done >"$B_TMP/urls"
	clients=""
	for c in $(seq 1 "$PARALLEL"); do
		b_bg curl -s --rate "$per/s" -K "$B_TMP/urls" \
			-w '%{stderr}%{http_code}\n' 2>"$B_TMP/codes.$c"
		clients="$clients $B_LAST_PID"
	done
	sleep "$WARM"
	n0=$(cat "$B_TMP"/codes.* | grep -c '^200$')
	t0=$(date +%s%6N)
	read -r lcpu lmin lmed <<<"$(window "$LP" "$HT")"
	n1=$(cat "$B_TMP"/codes.* | grep -c '^200$')
	t1=$(date +%s%6N)
	for c in $clients; do b_stop "$c"; done
	rate=$(b_div "$(((n1 - n0) * 1000000))" "$((t1 - t0))" 0)
	echo "$run $qcpu $lcpu $rate $qmin $lmin $qmed $lmed" >>"$RAW"
	b_log "round $run: quiet $qcpu% (probes: fewest $qmin, median $qmed)," \
		"$rate scrapes/s $lcpu% (probes: fewest $lmin, median $lmed)"
	b_stop "$HT"
done

b_row "$OUT" services secs quiet_cpu_pct load_cpu_pct scrapes_s probes_quiet probes_load \
	probes_med_quiet probes_med_load rounds
b_row "$OUT" "$SVCS" "$SECS" "$(b_median 2 "$RAW")" "$(b_median 3 "$RAW")" "$(b_median 4 "$RAW")" \
	"$(b_median 5 "$RAW")" "$(b_median 6 "$RAW")" "$(b_median 7 "$RAW")" "$(b_median 8 "$RAW")" \
	"$B_RUNS"
b_done
