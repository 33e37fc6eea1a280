#!/bin/bash
# Scenario 3, Redis and Celery: CPU and wall time per Redis probe and per
# Celery ping round (2 workers), healthtop against the usual CLIs.
#
#   bench/redis_celery.sh [--smoke] [--runs N] [--out DIR]
#
#   healthtop-redis   bench_probes on 100 redis services at interval 100ms
#                     against one private redis-server: 10,000 probes,
#                     CPU per probe (getrusage) and median probe latency.
#   redis-cli         `redis-cli ping` processes in a shell loop (1,000).
#   healthtop-celery  bench_probes on one celery service (replicas: 2) at
#                     interval 100ms: 200 ping rounds. Only when the celery
#                     probe answers healthy against the two workers first;
#                     otherwise skipped, with the probe's message.
#   celery-inspect    `python3 -m celery inspect ping` (Debian's Celery),
#                     which waits its whole --timeout (1 s) for replies.
#   healthtop-celery-stack
#                     bench_probes on a stack of 4 celery rows on the one
#                     broker (w1, w2, all, and a glob nobody matches) at
#                     interval 2s, as a dashboard watches them: the
#                     process's CPU time (getrusage) over 40 results
#                     (~20 s) after a warm-up of 8, as % of one core.
#                     Robust to other load: it counts this process's CPU
#                     time, not the time it waited.
# The 2 workers: Debian's Celery 5.2, solo pool, on the same redis. The
# Celery part takes ~10 s to start; --smoke leaves it out unless
# HT_BENCH_CELERY=1.
# Output: $OUT/redis_celery.tsv (contender, CPU µs per probe, wall µs per
# probe, probes per run, runs, failed in the last run), and
# $OUT/redis_celery_stack.tsv (CPU % of a core of the 2 s stack, CPU µs per
# probe, probes per run, runs).
set -u
. "$(dirname "$0")/lib.sh"

PROBES=10000 NSVC=100 CLI=1000 ROUNDS=200 INSPECT=3 STACK=40
if [ "$B_SMOKE" = 1 ]; then PROBES=100 NSVC=20 CLI=10 ROUNDS=10 INSPECT=1 STACK=8; fi
OUT=$B_OUT/redis_celery.tsv
STACK_OUT=$B_OUT/redis_celery_stack.tsv
RAW=$B_OUT/redis_celery.raw
rm -f "$OUT" "$STACK_OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"
b_have redis-server redis-server redis-cli || { b_log "nothing to measure without redis"; exit 0; }
b_redis || exit 1
BROKER=redis://127.0.0.1:$REDIS_PORT/0

for i in $(seq 1 $NSVC); do echo "r$i: {redis: \"redis://127.0.0.1:$REDIS_PORT/0\"}"; done |
	b_config "$B_TMP/redis.yml" "defaults: {interval: 100ms, timeout: 2s}"
contenders="healthtop-redis redis-cli"

celery_up() {
	export BENCH_BROKER=$BROKER PYTHONPATH=$B_ROOT/bench
	for w in w1 w2; do
		b_bg $PY -m celery -A celery_app worker -n "$w@%h" --pool solo -c 1 -l info \
			--without-heartbeat --without-mingle --without-gossip >"$B_TMP/$w.log" 2>&1
	done
	echo "w: {celery: {broker: \"$BROKER\", workers: \"w*\"}, replicas: 2}" |
		b_config "$B_TMP/celery.yml" "defaults: {interval: 100ms, timeout: 2s}"
	{
		echo "w1: {celery: {broker: \"$BROKER\", workers: \"w1\"}}"
		echo "w2: {celery: {broker: \"$BROKER\", workers: \"w2\"}}"
		echo "all: {celery: {broker: \"$BROKER\"}, replicas: 2}"
		echo "none: {celery: {broker: \"$BROKER\", workers: \"x*\"}, replicas: 0}"
	} | b_config "$B_TMP/stack.yml" "defaults: {interval: 2s, timeout: 2s}"
	local n=0
	until grep -q "ready\." "$B_TMP/w1.log" && grep -q "ready\." "$B_TMP/w2.log"; do
		n=$((n + 1))
		[ $n -gt 300 ] && { b_log "skip celery: the workers did not start (see $B_TMP/w1.log)"; return 1; }
		sleep 0.1
	done
	contenders="$contenders celery-inspect"
	if "$HEALTHTOP" --once --allow-insecure-config -c "$B_TMP/celery.yml" >"$B_TMP/celery.once" 2>&1; then
		contenders="$contenders healthtop-celery healthtop-celery-stack"
	else
		b_log "skip healthtop-celery: the probe is not healthy against 2 live workers:"
		sed 's/^/    /' "$B_TMP/celery.once" >&2
		echo "healthtop-celery skipped: $(grep -m1 -i celery "$B_TMP/celery.once")" >>"$RAW"
	fi
}
if [ "$B_SMOKE" = 1 ] && [ "${HT_BENCH_CELERY:-0}" != 1 ]; then
	b_log "smoke: the celery part is left out (HT_BENCH_CELERY=1 runs it)"
elif b_have celery /usr/lib/python3/dist-packages/celery; then
	celery_up
fi

# Each appends "probes cpu_us wall_us_per_probe failed" to $B_TMP/<name>.
run_one() {
	local c=$1 f=$B_TMP/$1
	case $c in
	healthtop-redis | healthtop-celery)
		local cfg=$B_TMP/${c#healthtop-}.yml n=$PROBES
		[ "$c" = healthtop-celery ] && n=$ROUNDS
		if "$B_BENCH_BIN/bench_probes" -c "$cfg" -n "$n" -t 300 >"$B_TMP/bp.out" 2>>"$B_TMP/cmd.err"; then
			awk '{print $1, $3 + $4, $7, $5}' "$B_TMP/bp.out" >>"$f"
		fi ;;
	healthtop-celery-stack) # probes wall_us cpu_us: the % of a core is cpu / wall
		if "$B_BENCH_BIN/bench_probes" -c "$B_TMP/stack.yml" -n "$STACK" -w 8 -t 300 \
			>"$B_TMP/bp.out" 2>>"$B_TMP/cmd.err"; then
			awk '{print $1, $3 + $4, $2, $5}' "$B_TMP/bp.out" >>"$f"
		fi ;;
	redis-cli)
		printf 'i=0\nwhile [ $i -lt %d ]; do redis-cli -p %d ping >/dev/null || exit 1; i=$((i + 1)); done\n' \
			"$CLI" "$REDIS_PORT" >"$B_TMP/loop.sh"
		b_cost "$B_TMP/cost.all" -- sh "$B_TMP/loop.sh"
		awk -v n="$CLI" '{print n, $2 + $3, $1 / n, ($5 != 0)}' "$B_TMP/cost" >>"$f" ;;
	celery-inspect)
		local i
		for i in $(seq 1 $INSPECT); do
			b_cost "$B_TMP/cost.all" -- $PY -m celery -A celery_app inspect ping --timeout 1
			awk '{print 1, $2 + $3, $1, ($5 != 0)}' "$B_TMP/cost" >>"$f"
		done ;;
	esac
	[ -s "$f" ] && echo "$c $(tail -1 "$f")" >>"$RAW"
}

for round in $(seq 1 "$B_RUNS"); do
	for c in $contenders; do run_one "$c"; done
done

b_row "$OUT" contender cpu_us_per_probe wall_us_per_probe probes_per_run runs failed_last
for c in ${contenders/healthtop-celery-stack/}; do
	[ -s "$B_TMP/$c" ] || { b_log "$c gave no result"; cat "$B_TMP/cmd.err" >&2; continue; }
	awk '{print $2 / $1, $3}' "$B_TMP/$c" >"$B_TMP/$c.per"
	b_row "$OUT" "$c" "$(b_fmt "$(b_median 1 "$B_TMP/$c.per")" 1)" \
		"$(b_fmt "$(b_median 2 "$B_TMP/$c.per")" 1)" "$(head -1 "$B_TMP/$c" | cut -d' ' -f1)" \
		"$(wc -l <"$B_TMP/$c")" "$(tail -1 "$B_TMP/$c" | cut -d' ' -f4)"
done
c=healthtop-celery-stack
if [ -s "$B_TMP/$c" ]; then
	awk '{print 100 * $2 / $3, $2 / $1}' "$B_TMP/$c" >"$B_TMP/$c.per"
	b_row "$STACK_OUT" contender cpu_pct_of_core cpu_us_per_probe probes_per_run runs
	b_row "$STACK_OUT" "$c" "$(b_fmt "$(b_median 1 "$B_TMP/$c.per")" 3)" \
		"$(b_fmt "$(b_median 2 "$B_TMP/$c.per")" 1)" "$(head -1 "$B_TMP/$c" | cut -d' ' -f1)" \
		"$(wc -l <"$B_TMP/$c")"
fi
b_done
