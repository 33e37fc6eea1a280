#!/bin/bash
# Scenario 2, CPU per probe: user+sys CPU that each way of probing spends
# per HTTP probe of a fast local nginx (Debian nginx-light, /ok, 200).
#
#   bench/cpu_per_probe.sh [--smoke] [--runs N] [--out DIR]
#
# How each is measured (CPU of the prober only, never nginx's):
#   healthtop-reuse  bench_probes: healthtop's scheduler and HTTP probe
#                    (htcore, the code the binary runs, without a screen) on
#                    100 services at interval 100ms, 10,000 probes after a
#                    warm-up of one probe each; getrusage of the process.
#   healthtop-fresh  the same with fresh_connect: true.
#   curl             one curl process per probe (the seed's health_check.sh)
#   check_http       one check_http process per probe, from a shell loop;
#                    rusage of the loop and all it ran.
#   blackbox         blackbox_exporter's own CPU (/proc/PID/stat) while wrk
#                    asks it for probes for a few seconds, over the probes
#                    answered.
#   wrk / wrk-close  wrk's own CPU per request, keep-alive and with
#                    "Connection: close": the floor of a client on loopback.
# Process-per-probe peers run fewer probes (1,000; a probe costs them
# milliseconds, so the figure is stable long before 10,000).
# Output: $OUT/cpu_per_probe.tsv (contender, median µs per probe, probes
# per run, runs, x healthtop-reuse).
set -u
. "$(dirname "$0")/lib.sh"

PROBES=10000 NSVC=100 PROC_PROBES=1000 SECS=5
if [ "$B_SMOKE" = 1 ]; then PROBES=100 NSVC=20 PROC_PROBES=10 SECS=1; fi
OUT=$B_OUT/cpu_per_probe.tsv
RAW=$B_OUT/cpu_per_probe.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"

target() { echo "http://127.0.0.1:$TPORT/ok"; }
if b_have nginx nginx; then
	b_nginx || exit 1
	TPORT=$NGINX_PORT
else
	b_log "using fixture_http as the target instead of nginx"
	b_fixture_http 1 0 || exit 1
	TPORT=$FIX_PORT
fi

for mode in reuse fresh; do
	fresh=false
	[ $mode = fresh ] && fresh=true
	for i in $(seq 1 $NSVC); do echo "s$i: {http: {url: \"$(target)\", fresh_connect: $fresh}}"; done |
		b_config "$B_TMP/$mode.yml" "defaults: {interval: 100ms, timeout: 2s}"
done

contenders="healthtop-reuse healthtop-fresh curl"
b_have check_http "$PLUGINS/check_http" && contenders="$contenders check_http"
b_have blackbox_exporter prometheus-blackbox-exporter wrk && b_blackbox && contenders="$contenders blackbox"
b_have wrk wrk && contenders="$contenders wrk wrk-close"

# Each appends "probes cpu_us" to $B_TMP/<name>.
run_one() {
	local c=$1 f=$B_TMP/$1 n
	case $c in
	healthtop-*)
		if "$B_BENCH_BIN/bench_probes" -c "$B_TMP/${c#healthtop-}.yml" -n "$PROBES" -t 300 \
			>"$B_TMP/bp.out" 2>>"$B_TMP/cmd.err"; then
			awk '{print $1, $3 + $4, $5}' "$B_TMP/bp.out" >>"$f"
		fi ;;
	curl | check_http)
		local cmd="curl -sf --max-time 2 -o /dev/null $(target)"
		[ "$c" = check_http ] && cmd="$PLUGINS/check_http -H 127.0.0.1 -p $TPORT -u /ok -t 2 >/dev/null"
		printf 'i=0\nwhile [ $i -lt %d ]; do %s || exit 1; i=$((i + 1)); done\n' \
			"$PROC_PROBES" "$cmd" >"$B_TMP/loop.sh"
		b_cost "$B_TMP/cost.all" -- sh "$B_TMP/loop.sh"
		awk -v n="$PROC_PROBES" '{print n, $2 + $3, ($5 != 0)}' "$B_TMP/cost" >>"$f" ;;
	blackbox)
		local before after
		before=$(b_pid_cpu_us "$BB_PID")
		wrk -t1 -c4 -d${SECS}s "$(b_blackbox_url "$(target)")" >"$B_TMP/wrk.out" 2>&1
		after=$(b_pid_cpu_us "$BB_PID")
		n=$(b_wrk_requests "$B_TMP/wrk.out")
		echo "$n $(echo "$after - $before" | bc) 0" >>"$f" ;;
	wrk | wrk-close)
		local hdr=""
		[ "$c" = wrk-close ] && hdr="-H 'Connection: close'"
		b_cost "$B_TMP/cost.all" -- sh -c "wrk -t1 -c10 -d${SECS}s $hdr '$(target)' >'$B_TMP/wrk.out' 2>&1"
		n=$(b_wrk_requests "$B_TMP/wrk.out")
		awk -v n="$n" '{print n, $2 + $3, 0}' "$B_TMP/cost" >>"$f" ;;
	esac
	[ -s "$f" ] && echo "$c $(tail -1 "$f")" >>"$RAW"
}

for round in $(seq 1 "$B_RUNS"); do
	for c in $contenders; do run_one "$c"; done
done

b_row "$OUT" contender us_per_probe probes_per_run runs x_healthtop_reuse failed_last
for c in $contenders; do
	[ -s "$B_TMP/$c" ] || { b_log "$c gave no result (see $B_TMP/cmd.err)"; cat "$B_TMP/cmd.err" >&2; continue; }
	awk '{print $2 / $1}' "$B_TMP/$c" >"$B_TMP/$c.per"
	m=$(b_median 1 "$B_TMP/$c.per")
	[ "$c" = healthtop-reuse ] && ref=$m
	b_row "$OUT" "$c" "$(b_fmt "$m" 1)" "$(head -1 "$B_TMP/$c" | cut -d' ' -f1)" \
		"$(wc -l <"$B_TMP/$c")" "$(b_ratio "$m" "${ref:-0}")" "$(tail -1 "$B_TMP/$c" | cut -d' ' -f3)"
done
b_done
