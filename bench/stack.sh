#!/bin/bash
# Scenario 3b, a whole stack at 2 s (issue 14): what healthtop's probing
# costs, as % of one core, watching an E2I-like stack with Celery and
# Docker rows, against the same number of plain HTTP rows.
#
#   bench/stack.sh [--smoke] [--runs N] [--out DIR]
#
#   stack    bench_probes on 13 rows at interval 2s:
#            6 HTTP (mlflow, bentoml, feast, opik, api with its JSON
#            check, frontend with its body check) on one fixture_http;
#            redis and falkordb (db 0 and 1) on one redis-server; 3 celery
#            rows on that broker against 3 workers (worker_light1 and 2,
#            worker_medium1; worker_heavy at replicas: 0 as in the seed
#            stack: shown skipped, but the celery probe still looks for
#            its workers every round, so it costs like the others and each
#            of its results counts as failed); 2 docker rows (scheduler with a healthcheck,
#            made healthy; flower without one), Podman containers on a
#            private `podman system service` socket.
#   http12   bench_probes on 12 HTTP rows on fixture_http at interval 2s:
#            the reference.
# Each run measures the process's own CPU time (getrusage, user + sys)
# over ROUNDS rounds' results (20 rounds, ~40 s) after a warm-up of 2
# rounds, divided by the wall time of those results: % of one core. CPU
# time, not wall time, so other load on the machine barely counts.
# Runs interleave the contenders; the figure is the median (and range).
#
# HT_BENCH_PARTS=1 adds celery3 and docker2: the stack's 3 celery rows
# alone and its 2 docker rows alone, to see where the stack's CPU goes.
# HT_BENCH_BASE=DIR adds base-stack and base-http12: the same configs run
# by DIR/bench/bench_probes, another build (an older commit), interleaved
# with this one.
# Without Podman (podman, runc, busybox-static) or when it cannot run a
# container, the docker rows are left out and the output says so; without
# Celery (python3-celery), the celery rows are.
# Output: $OUT/stack.tsv (contender, % of a core: median, min, max; CPU µs
# per probe, rows, results per run, runs) and $OUT/stack.raw.
set -u
. "$(dirname "$0")/lib.sh"

ROUNDS=20 WARM=2
[ "$B_SMOKE" = 1 ] && ROUNDS=2 WARM=1
[ "$B_RUNS" = 5 ] && B_RUNS=3 # ~5 minutes by default; --runs overrides
OUT=$B_OUT/stack.tsv
RAW=$B_OUT/stack.raw
rm -f "$OUT"
: >"$RAW"
b_machine "$B_OUT/machine.txt"
b_have redis-server redis-server redis-cli || { b_log "nothing to measure without redis"; exit 0; }
b_fixture_http 18 0 || exit 1
mapfile -t P <"$B_TMP/ports"
b_redis || exit 1
R=$REDIS_PORT
BROKER=redis://127.0.0.1:$R/0
NOTE=""

# ---- Celery: 3 workers on the broker ----
CELERY_OK=0
if [ "$B_SMOKE" = 1 ] && [ "${HT_BENCH_CELERY:-0}" != 1 ]; then
	NOTE="$NOTE celery rows left out (smoke; HT_BENCH_CELERY=1 keeps them);"
elif b_have celery /usr/lib/python3/dist-packages/celery; then
	export BENCH_BROKER=$BROKER PYTHONPATH=$B_ROOT/bench
	for w in worker_light1 worker_light2 worker_medium1; do
		b_bg "$PY" -m celery -A celery_app worker -n "$w@%h" --pool solo -c 1 -l info \
			--without-heartbeat --without-mingle --without-gossip >"$B_TMP/$w.log" 2>&1
	done
	n=0
	while [ $n -lt 300 ] && [ "$(cat "$B_TMP"/worker_*.log | grep -c 'ready\.')" -lt 3 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	echo "w: {celery: {broker: \"$BROKER\", workers: \"worker_light*\"}, replicas: 2}" |
		b_config "$B_TMP/celery.yml" ""
	if "$HEALTHTOP" --once --allow-insecure-config -c "$B_TMP/celery.yml" >"$B_TMP/celery.once" 2>&1; then
		CELERY_OK=1
	else
		NOTE="$NOTE celery rows left out: the probe is not healthy against live workers;"
		sed 's/^/    /' "$B_TMP/celery.once" >&2
	fi
else
	NOTE="$NOTE celery rows left out: python3-celery is not installed;"
fi

# ---- Docker: Podman's API on a private socket, 2 containers ----
DOCKER_OK=0
PODMAN_PROJECT=htbench$$
PODMAN_IMAGE=localhost/healthtop-bench-busybox:latest
PODMAN_SOCK=$B_TMP/podman.sock
podman_cleanup() {
	podman ps -aq --filter "label=com.docker.compose.project=$PODMAN_PROJECT" |
		xargs -r podman rm -f -t 0 >>"$B_TMP/podman.log" 2>&1
	# Without -f: another run's containers may still use the image.
	podman rmi "$PODMAN_IMAGE" >>"$B_TMP/podman.log" 2>&1
}
podman_up() {
	local d=$B_TMP/podman L
	b_have podman podman runc /bin/busybox || return 1
	mkdir -p "$d/rootfs/bin"
	printf '[engine]\nruntime = "runc"\n[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' \
		>"$d/containers.conf"
	export CONTAINERS_CONF=$d/containers.conf
	L="--label com.docker.compose.project=$PODMAN_PROJECT --label com.docker.compose.service"
	cp /bin/busybox "$d/rootfs/bin/" &&
		for c in sh sleep true; do ln -sf busybox "$d/rootfs/bin/$c"; done &&
		tar -C "$d/rootfs" -cf "$d/rootfs.tar" . &&
		podman import "$d/rootfs.tar" "$PODMAN_IMAGE" >>"$B_TMP/podman.log" 2>&1 || return 1
	PODMAN_CLEAN=1
	# $L is split on purpose: two --label options.
	# shellcheck disable=SC2086
	podman run -d --name "$PODMAN_PROJECT-scheduler-1" $L=scheduler --health-cmd /bin/true \
		"$PODMAN_IMAGE" /bin/sleep 3600 >>"$B_TMP/podman.log" 2>&1 &&
		podman run -d --name "$PODMAN_PROJECT-flower-1" $L=flower \
			"$PODMAN_IMAGE" /bin/sleep 3600 >>"$B_TMP/podman.log" 2>&1 &&
		podman healthcheck run "$PODMAN_PROJECT-scheduler-1" >>"$B_TMP/podman.log" 2>&1 || return 1
	b_bg podman system service --time=0 "unix://$PODMAN_SOCK" >"$B_TMP/podman-service.log" 2>&1
	local n=0
	until [ -S "$PODMAN_SOCK" ]; do
		n=$((n + 1))
		[ $n -gt 200 ] && { b_log "podman system service did not come up"; return 1; }
		sleep 0.1
	done
	echo "s: {docker: {service: scheduler, project: $PODMAN_PROJECT, socket: \"$PODMAN_SOCK\"}}" |
		b_config "$B_TMP/docker.yml" ""
	"$HEALTHTOP" --once --allow-insecure-config -c "$B_TMP/docker.yml" >"$B_TMP/docker.once" 2>&1
}
PODMAN_CLEAN=0
trap '[ "$PODMAN_CLEAN" = 1 ] && podman_cleanup; b_cleanup' EXIT
if podman_up; then
	DOCKER_OK=1
else
	NOTE="$NOTE docker rows left out: Podman cannot run containers here (see podman.log);"
	[ -s "$B_TMP/podman.log" ] && cp "$B_TMP/podman.log" "$B_OUT/stack.podman.log"
	[ -s "$B_TMP/docker.once" ] && sed 's/^/    /' "$B_TMP/docker.once" >&2
fi
[ -n "$NOTE" ] && b_log "NOTE:$NOTE"

# ---- the configs ----
H=http://127.0.0.1
celery_row() { # name replicas
	printf '{<<: *worker, celery: {broker: "%s", workers: "%s*"}, replicas: %s}\n' "$BROKER" "$1" "$2"
}
{
	cat <<YML
redis: {label: Redis (Working Memory), group: Memory Systems, redis: "redis://127.0.0.1:$R/0"}
falkordb: {label: FalkorDB (Semantic Memory), group: Memory Systems, redis: "redis://127.0.0.1:$R/1", depends_on: [redis]}
mlflow: {label: MLflow, group: HTTP Services, http: "$H:${P[0]}/ok"}
bentoml: {label: BentoML, group: HTTP Services, http: "$H:${P[1]}/ok", depends_on: [mlflow, feast]}
feast: {label: Feast, group: HTTP Services, http: "$H:${P[2]}/ok", depends_on: [redis]}
opik: {label: Opik (UI), group: HTTP Services, http: "$H:${P[3]}/ok"}
api: {label: API (FastAPI), group: HTTP Services, http: {url: "$H:${P[4]}/json", status: 200, json: {status: healthy}, max_latency: 500ms}, depends_on: [redis]}
frontend: {label: Frontend, group: HTTP Services, http: {url: "$H:${P[5]}/body?text=OK", body: OK}, depends_on: [api]}
YML
	if [ "$CELERY_OK" = 1 ]; then
		echo "worker_light: $(celery_row worker_light 2)"
		echo "worker_medium: $(celery_row worker_medium 1)"
		echo "worker_heavy: $(celery_row worker_heavy 0)"
	fi
	if [ "$DOCKER_OK" = 1 ]; then
		echo "scheduler: {label: Celery Beat (Scheduler), group: Containers, docker: {service: scheduler, project: $PODMAN_PROJECT, socket: \"$PODMAN_SOCK\"}}"
		echo "flower: {label: Flower, group: Containers, docker: {service: flower, project: $PODMAN_PROJECT, socket: \"$PODMAN_SOCK\"}}"
	fi
} | b_config "$B_TMP/stack.yml" "title: E2I stack (bench)
defaults: {interval: 2s, timeout: 1s, retries: 3}
x-worker: &worker {group: Celery Workers, depends_on: [redis, api], interval: 2s, timeout: 2s}"
# The parts (HT_BENCH_PARTS): the same rows, without their depends_on.
grep -E '^  worker_' "$B_TMP/stack.yml" | sed 's/^  //' |
	b_config "$B_TMP/celery3.yml" "defaults: {interval: 2s, timeout: 1s, retries: 3}
x-worker: &worker {group: Celery Workers, interval: 2s, timeout: 2s}"
grep -E '^  (scheduler|flower):' "$B_TMP/stack.yml" | sed 's/^  //' |
	b_config "$B_TMP/docker2.yml" "defaults: {interval: 2s, timeout: 1s, retries: 3}"
for i in $(seq 6 17); do echo "h$i: {http: \"$H:${P[$i]}/ok\"}"; done |
	b_config "$B_TMP/http12.yml" "defaults: {interval: 2s, timeout: 1s, retries: 3}"

# Every row gives a result each round: celery and docker rows look for
# their replicas even at replicas: 0. The stack must be all up first, or
# the figure would be that of failing probes.
STACK_PROBED=$(grep -c '^  [a-z]' "$B_TMP/stack.yml")
if ! "$HEALTHTOP" --once --allow-insecure-config -c "$B_TMP/stack.yml" >"$B_TMP/stack.once" 2>&1; then
	b_log "the stack is not all healthy; the rows:"
	cat "$B_TMP/stack.once" >&2
	cp "$B_TMP/stack.yml" "$B_OUT/stack.yml"
	exit 1
fi
cp "$B_TMP/stack.yml" "$B_OUT/stack.yml"
cp "$B_TMP/stack.once" "$B_OUT/stack.once"

contenders="stack http12"
if [ "${HT_BENCH_PARTS:-0}" = 1 ]; then
	[ "$CELERY_OK" = 1 ] && contenders="$contenders celery3"
	[ "$DOCKER_OK" = 1 ] && contenders="$contenders docker2"
fi
if [ -n "${HT_BENCH_BASE:-}" ]; then
	if [ -x "$HT_BENCH_BASE/bench/bench_probes" ]; then
		contenders="$contenders base-stack base-http12"
	else
		b_log "HT_BENCH_BASE: $HT_BENCH_BASE/bench/bench_probes is not built"
		exit 2
	fi
fi

# Appends "probes cpu_us wall_us failed" to $B_TMP/<name>.
run_one() {
	local c=$1 bin=$B_BENCH_BIN/bench_probes cfg rows
	case $c in base-*) bin=$HT_BENCH_BASE/bench/bench_probes ;; esac
	case $c in
	*stack) cfg=$B_TMP/stack.yml rows=$STACK_PROBED ;;
	*http12) cfg=$B_TMP/http12.yml rows=12 ;;
	celery3) cfg=$B_TMP/celery3.yml rows=3 ;;
	docker2) cfg=$B_TMP/docker2.yml rows=2 ;;
	esac
	if "$bin" -c "$cfg" -n $((ROUNDS * rows)) -w $((WARM * rows)) -t 600 \
		>"$B_TMP/bp.out" 2>>"$B_TMP/cmd.err"; then
		awk '{print $1, $3 + $4, $2, $5}' "$B_TMP/bp.out" >>"$B_TMP/$c"
		echo "$c $(tail -1 "$B_TMP/$c")" >>"$RAW"
	else
		b_log "$c: bench_probes failed: $(tail -1 "$B_TMP/cmd.err")"
	fi
}

for _ in $(seq 1 "$B_RUNS"); do
	for c in $contenders; do run_one "$c"; done
done

b_row "$OUT" contender cpu_pct_of_core min max cpu_us_per_probe rows results_per_run runs failed_last
for c in $contenders; do
	[ -s "$B_TMP/$c" ] || { b_log "$c gave no result"; continue; }
	awk '{print 100 * $2 / $3, $2 / $1}' "$B_TMP/$c" >"$B_TMP/$c.per"
	case $c in
	*stack) rows=$STACK_PROBED ;;
	celery3) rows=3 ;;
	docker2) rows=2 ;;
	*) rows=12 ;;
	esac
	b_row "$OUT" "$c" "$(b_fmt "$(b_median 1 "$B_TMP/$c.per")" 3)" \
		"$(sort -g "$B_TMP/$c.per" | head -1 | awk '{printf "%.3f", $1}')" \
		"$(sort -g "$B_TMP/$c.per" | tail -1 | awk '{printf "%.3f", $1}')" \
		"$(b_fmt "$(b_median 2 "$B_TMP/$c.per")" 1)" "$rows" \
		"$(head -1 "$B_TMP/$c" | cut -d' ' -f1)" "$(wc -l <"$B_TMP/$c")" \
		"$(tail -1 "$B_TMP/$c" | cut -d' ' -f4)"
done
[ -n "$NOTE" ] && echo "# NOTE:$NOTE" >>"$OUT"
b_done
