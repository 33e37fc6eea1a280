#!/bin/bash
# Scenario 4, the idle dashboard: healthtop's dashboard on an E2I-like
# stack of 12 services (examples/e2i.yml against local fixtures), at a 2 s
# interval, in tmux, for 60 s after a 5 s warm-up; beside it, in a second
# tmux, `watch -n 2 ./health_check.sh` doing the same checks the seed's
# way (curl, redis-cli). Both run at the same time, so they see the same
# machine.
#
#   bench/idle_tui.sh [--smoke] [--runs N] [--out DIR]
#
# Measured per contender over the 60 s:
#   cpu_pct     CPU (user+sys, /proc/PID/stat, children it reaped
#               included: watch's shells, curls...) over wall time
#   rss_kb      resident memory of the pane's process at the end (for
#               watch: watch itself; its children come and go); also its
#               proportional share (pss_kb) and private part (private_kb):
#               most of the RSS is shared library pages
#   bytes_min   bytes written to the terminal per minute (tmux pipe-pane)
# Targets for healthtop: 0.3% of a core, 10 MB, 4 KiB/min.
# Fixtures: one fixture_http (6 ports), one redis-server (two services on
# db 0 and 1). The three Celery services use the celery probe against two
# workers when it works (HT_BENCH_CELERY=1 in --smoke), else a tcp check
# of the broker; the Docker one (no engine here) is a tcp check too.
# Output: $OUT/idle_tui.tsv.
set -u
. "$(dirname "$0")/lib.sh"

SECS=60 WARM=5 COLS=100 ROWS=30
[ "$B_SMOKE" = 1 ] && SECS=3 WARM=2
[ "$B_RUNS" = 5 ] && B_RUNS=3 # 3 minutes by default; --runs overrides
OUT=$B_OUT/idle_tui.tsv
RAW=$B_OUT/idle_tui.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"
b_have tmux tmux || exit 0
b_have redis-server redis-server redis-cli || exit 0

b_fixture_http 6 0 || exit 1
mapfile -t P <"$B_TMP/ports"
b_redis || exit 1
R=$REDIS_PORT

workers() { # name replicas: a celery service, or its stand-in
	if [ "${CELERY_OK:-0}" = 1 ]; then
		printf '{<<: *worker, celery: {broker: "redis://127.0.0.1:%s/0", workers: "%s*"}, replicas: %s}\n' "$R" "$1" "$2"
	else
		local t="\"127.0.0.1:$R\"" ts i
		ts=$t
		for ((i = 2; i <= $2; i++)); do ts="$ts, $t"; done
		printf '{<<: *worker, tcp: [%s], replicas: %s}\n' "$ts" "$2"
	fi
}
if [ "$B_SMOKE" = 0 ] || [ "${HT_BENCH_CELERY:-0}" = 1 ]; then
	if b_have celery /usr/lib/python3/dist-packages/celery; then
		export BENCH_BROKER=redis://127.0.0.1:$R/0 PYTHONPATH=$B_ROOT/bench
		for w in worker_light1 worker_light2 worker_medium1; do
			b_bg $PY -m celery -A celery_app worker -n "$w@%h" --pool solo -c 1 -l info \
				--without-heartbeat --without-mingle --without-gossip >"$B_TMP/$w.log" 2>&1
		done
		n=0
		while [ $n -lt 300 ] && [ "$(cat "$B_TMP"/worker_*.log | grep -c 'ready\.')" -lt 3 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		echo "w: {celery: {broker: \"redis://127.0.0.1:$R/0\", workers: \"worker_light*\"}, replicas: 2}" |
			b_config "$B_TMP/celery.yml" ""
		if "$HEALTHTOP" --once --allow-insecure-config -c "$B_TMP/celery.yml" >"$B_TMP/celery.once" 2>&1; then
			CELERY_OK=1
		else
			b_log "the celery probe is not healthy against live workers: tcp checks stand in"
		fi
	fi
fi

H=http://127.0.0.1
b_config "$B_TMP/e2i.yml" "title: E2I Causal Analytics (bench)
history: 1h
defaults: {interval: 2s, timeout: 1s, retries: 3}
x-worker: &worker {group: Celery Workers, depends_on: [redis, api], interval: 2s, timeout: 1s}" <<YML
redis: {label: Redis (Working Memory), group: Memory Systems, redis: "redis://127.0.0.1:$R/0"}
falkordb: {label: FalkorDB (Semantic Memory), group: Memory Systems, redis: "redis://127.0.0.1:$R/1", depends_on: [redis]}
mlflow: {label: MLflow, group: HTTP Services, http: "$H:${P[0]}/ok"}
bentoml: {label: BentoML, group: HTTP Services, http: "$H:${P[1]}/ok", depends_on: [mlflow, feast]}
feast: {label: Feast, group: HTTP Services, http: "$H:${P[2]}/ok", depends_on: [redis]}
opik: {label: Opik (UI), group: HTTP Services, http: "$H:${P[3]}/ok"}
api: {label: API (FastAPI), group: HTTP Services, http: {url: "$H:${P[4]}/json", status: 200, json: {status: healthy}, max_latency: 500ms}, depends_on: [redis]}
frontend: {label: Frontend, group: HTTP Services, http: {url: "$H:${P[5]}/body?text=OK", body: OK}, depends_on: [api]}
worker_light: $(workers worker_light 2)
worker_medium: $(workers worker_medium 1)
worker_heavy: $(workers worker_heavy 0)
scheduler: {label: Celery Beat (Scheduler), group: Celery Workers, tcp: "127.0.0.1:$R", depends_on: [redis]}
YML

# The peer: the seed's health_check.sh, the same checks, one process each.
cat >"$B_TMP/health_check.sh" <<SH
#!/bin/sh
# E2I health check (the seed's way): one process per check.
check() { name=\$1; shift; if "\$@" >/dev/null 2>&1; then echo "  [OK]   \$name"; else echo "  [FAIL] \$name"; fi; }
echo "E2I Causal Analytics - health check"
check "Redis (Working Memory)" redis-cli -p $R -n 0 ping
check "FalkorDB (Semantic Memory)" redis-cli -p $R -n 1 ping
check "MLflow" curl -sf --max-time 1 $H:${P[0]}/ok
check "BentoML" curl -sf --max-time 1 $H:${P[1]}/ok
check "Feast" curl -sf --max-time 1 $H:${P[2]}/ok
check "Opik (UI)" curl -sf --max-time 1 $H:${P[3]}/ok
check "API (FastAPI)" sh -c 'curl -sf --max-time 1 $H:${P[4]}/json | grep -q "\"status\":\"healthy\""'
check "Frontend" sh -c 'curl -sf --max-time 1 "$H:${P[5]}/body?text=OK" | grep -q OK'
SH
if [ "${CELERY_OK:-0}" = 1 ]; then
	echo "check \"Celery workers\" $PY -m celery -A celery_app inspect ping --timeout 1" >>"$B_TMP/health_check.sh"
else
	for w in "Worker Light" "Worker Medium" "Celery Beat"; do
		echo "check \"$w\" redis-cli -p $R ping" >>"$B_TMP/health_check.sh"
	done
fi
chmod +x "$B_TMP/health_check.sh"

b_dashboard "$B_TMP/e2i.yml" || { b_done; exit 0; }
contenders=healthtop
b_have watch watch && contenders="$contenders watch"

for round in $(seq 1 "$B_RUNS"); do
	for c in $contenders; do
		case $c in
		healthtop) b_tmux "$c" $COLS $ROWS env TERM=tmux-256color "$HEALTHTOP" \
			--allow-insecure-config -c "$B_TMP/e2i.yml" ;;
		watch) b_tmux "$c" $COLS $ROWS env TERM=tmux-256color watch -n 2 "$B_TMP/health_check.sh" ;;
		esac
		eval "pid_$c=$PANE_PID"
	done
	sleep "$WARM"
	for c in $contenders; do
		b_tmux_alive "$c" || { b_log "$c exited at once:"; b_tmux_cmd "$c" capture-pane -p -t "$c" | grep . >&2; cp "$B_TMP/e2i.yml" "$B_OUT/"; exit 1; }
		pid=pid_$c
		eval "cpu0_$c=$(b_pid_cpu_us "${!pid}") bytes0_$c=$(b_size "$B_TMP/$c.tty")"
	done
	t0=$(date +%s%N)
	sleep "$SECS"
	for c in $contenders; do
		pid=pid_$c cpu0=cpu0_$c bytes0=bytes0_$c
		cpu1=$(b_pid_cpu_us "${!pid}") bytes1=$(b_size "$B_TMP/$c.tty")
		read -r rss hwm <<<"$(b_pid_rss_kb "${!pid}")"
		read -r pss uss <<<"$(b_pid_own_kb "${!pid}")"
		t1=$(date +%s%N)
		awk -v c="$c" -v cpu="$((cpu1 - ${!cpu0}))" -v wall="$(((t1 - t0) / 1000))" \
			-v b="$((bytes1 - ${!bytes0}))" -v rss="$rss" -v hwm="$hwm" -v pss="$pss" -v uss="$uss" \
			'BEGIN {printf "%s %.3f %d %d %.0f %d %d\n", c, cpu * 100 / wall, rss, hwm, b * 60e6 / wall, pss, uss}' >>"$RAW"
		if [ "$round" = "$B_RUNS" ]; then # what the screen showed, and the bytes it took
			b_tmux_cmd "$c" capture-pane -p -t "$c" >"$B_OUT/idle_tui.$c.screen"
			tail -c +$((${!bytes0} + 1)) "$B_TMP/$c.tty" | head -c $((bytes1 - ${!bytes0})) >"$B_OUT/idle_tui.$c.tty"
		fi
		b_tmux_cmd "$c" kill-server
	done
done

b_row "$OUT" contender cpu_pct rss_kb peak_rss_kb bytes_per_min pss_kb private_kb runs
for c in $contenders; do
	grep "^$c " "$RAW" | cut -d' ' -f2- >"$B_TMP/$c.idle"
	b_row "$OUT" "$c" "$(b_median 1 "$B_TMP/$c.idle")" "$(b_median 2 "$B_TMP/$c.idle")" \
		"$(b_median 3 "$B_TMP/$c.idle")" "$(b_median 4 "$B_TMP/$c.idle")" \
		"$(b_median 5 "$B_TMP/$c.idle")" "$(b_median 6 "$B_TMP/$c.idle")" "$(wc -l <"$B_TMP/$c.idle")"
done
b_done
