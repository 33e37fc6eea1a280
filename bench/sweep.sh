#!/bin/bash
# Scenario 1, the sweep: N HTTP targets on loopback, each answering after
# 50 ms; the wall time of one full sweep of all of them.
#
#   bench/sweep.sh [--smoke] [--runs N] [--out DIR]
#
# Contenders, interleaved round by round:
#   healthtop      healthtop --once on N services (one URL each)
#   curl-seq       a seed-style script: sequential curl --max-time 2
#   check_http-16  monitoring-plugins check_http via xargs -P 16
#   blackbox       blackbox_exporter, N probe requests sent at once
# The targets: one fixture_http process listening on N ports.
# Output: $OUT/sweep.tsv (N, contender, median ms, runs, x healthtop).
# A contender whose first round takes over 15 s runs that round only.
set -u
. "$(dirname "$0")/lib.sh"

DELAY=50
SIZES="10 100 1000"
[ "$B_SMOKE" = 1 ] && SIZES=10
OUT=$B_OUT/sweep.tsv
RAW=$B_OUT/sweep.raw
: >"$RAW"
rm -f "$OUT"
b_machine "$B_OUT/machine.txt"

have_check=0 have_bb=0
b_have check_http "$PLUGINS/check_http" xargs && have_check=1
b_have blackbox_exporter prometheus-blackbox-exporter && have_bb=1 && b_blackbox

b_row "$OUT" N contender median_ms runs x_healthtop failed_last
for n in $SIZES; do
	b_fixture_http "$n" "$DELAY" || exit 1
	urls=$B_TMP/urls.$n
	sed 's|.*|http://127.0.0.1:&/ok|' "$B_TMP/ports" >"$urls"
	cfg=$B_TMP/sweep.$n.yml
	awk '{printf "t%d: {http: \"%s\"}\n", NR, $0}' "$urls" |
		b_config "$cfg" "$(printf 'max_inflight: %d\ndefaults: {timeout: 2s}' "$n")"
	cat >"$B_TMP/seq.sh" <<'SH'
#!/bin/sh
# the seed's health_check.sh, reduced to its loop: one curl per target
fail=0
while read -r url; do
	curl -sf --max-time 2 -o /dev/null "$url" || fail=$((fail + 1))
done
exit $((fail > 0))
SH
	contenders="healthtop curl-seq"
	[ "$have_check" = 1 ] && contenders="$contenders check_http-16"
	[ "$have_bb" = 1 ] && contenders="$contenders blackbox"
	declare -A slow=()
	for round in $(seq 1 "$B_RUNS"); do
		for c in $contenders; do
			[ -n "${slow[$c]:-}" ] && continue
			f=$B_TMP/$n.$c
			case $c in
			healthtop)
				b_cost "$f" -- "$HEALTHTOP" --once --allow-insecure-config -c "$cfg"
				fail=$(awk '{print $5}' "$B_TMP/cost") ;;
			curl-seq)
				b_cost "$f" -- sh "$B_TMP/seq.sh" <"$urls"
				fail=$(awk '{print $5}' "$B_TMP/cost") ;;
			check_http-16)
				b_cost "$f" -- sh -c "sed 's|.*:\\([0-9]*\\)/ok|\\1|' '$urls' |
					xargs -P 16 -I{} $PLUGINS/check_http -H 127.0.0.1 -p {} -u /ok -t 2 >/dev/null"
				fail=$(awk '{print $5}' "$B_TMP/cost") ;;
			blackbox)
				while read -r u; do b_blackbox_url "$u"; done <"$urls" >"$B_TMP/bb.urls"
				$PY "$B_ROOT/bench/pget.py" --expect "probe_success 1" <"$B_TMP/bb.urls" >"$B_TMP/bb.out"
				read -r ms ok <"$B_TMP/bb.out"
				awk -v ms="$ms" 'BEGIN {printf "%d 0 0 0 0\n", ms * 1000}' >>"$f"
				fail=$((n - ok)) ;;
			esac
			echo "$n $c $round $(tail -1 "$f") $fail" >>"$RAW"
			[ "$(tail -1 "$f" | cut -d' ' -f1)" -gt 15000000 ] && slow[$c]=1
			eval "fail_$(echo "$c" | tr -c 'a-z0-9\n' _)=$fail"
		done
	done
	ht=$(b_median 1 "$B_TMP/$n.healthtop")
	for c in $contenders; do
		m=$(b_median 1 "$B_TMP/$n.$c")
		runs=$(wc -l <"$B_TMP/$n.$c")
		v=fail_$(echo "$c" | tr -c 'a-z0-9\n' _)
		b_row "$OUT" "$n" "$c" "$(b_fmt "$(echo "$m / 1000" | bc -l)" 1)" "$runs" "$(b_ratio "$m" "$ht")" "${!v}"
	done
	unset slow
	b_stop "$FIX_PID"
done
b_done
