#!/bin/bash
# The docker and celery probes through the real binary: `healthtop --once`
# (text and --json) on a config of docker services, against the replay
# fixture (tests/fixtures/fixture_docker.py, recorded Docker answers), and
# celery services on a real redis-server with no workers. Checks the
# states the health module makes of the probe results (healthy 2/2,
# starting, unhealthy with the health log, exited, skipped at replicas 0),
# the exit status, one listing for all services, and that only GET was sent.
. "$(dirname "$0")/../lib.sh"

t_fixture_docker || exit 1
SOCK=$DOCKER_SOCK
LOG=$DOCKER_LOG
t_redis || exit 1

CFG=$T_DIR/healthtop.yml
cat >"$CFG" <<YML
title: e2i
services:
  web:
    group: Containers
    docker: {service: web, project: e2i, socket: $SOCK}
    replicas: 2
  worker:
    group: Containers
    docker: {service: worker, project: e2i, socket: $SOCK}
  sick:
    group: Containers
    docker: {service: sick, project: e2i, socket: $SOCK}
  job:
    group: Containers
    docker: {service: job, project: e2i, socket: $SOCK}
  scheduler:
    group: Containers
    docker: {service: scheduler, project: e2i, socket: $SOCK}
  heavy:
    group: Containers
    docker: {service: heavy, project: e2i, socket: $SOCK}
    replicas: 0
  worker_light:
    group: Celery Workers
    celery: {broker: "redis://127.0.0.1:$REDIS_PORT/0", workers: "worker_light*"}
    replicas: 2
  worker_heavy:
    group: Celery Workers
    celery: {broker: "redis://127.0.0.1:$REDIS_PORT/0", workers: "worker_heavy*"}
    replicas: 0
YML
chmod 600 "$CFG"

"$HEALTHTOP" --once -c "$CFG" >"$T_DIR/once.txt" 2>&1
rc=$?
t_check "--once exits 1 when something is unhealthy" [ "$rc" -eq 1 ]
t_contains "web healthy 2/2" "$T_DIR/once.txt" "web - HEALTHY (2/2 replicas"
t_contains "worker starting" "$T_DIR/once.txt" "worker - STARTING: health: starting"
t_contains "sick shows its health log" "$T_DIR/once.txt" \
	"sick - UNHEALTHY: unhealthy: database is down retrying later"
t_contains "job exited with its code" "$T_DIR/once.txt" "job - UNHEALTHY: exited (137)"
t_contains "scheduler running (inspected)" "$T_DIR/once.txt" "scheduler - HEALTHY"
t_contains "heavy scaled to 0" "$T_DIR/once.txt" "heavy - NOT RUNNING (scaled to 0)"
t_contains "celery without workers" "$T_DIR/once.txt" \
	"worker_light - UNHEALTHY: no workers answering"
t_contains "celery replicas 0 skipped" "$T_DIR/once.txt" "worker_heavy - NOT RUNNING (scaled to 0)"

"$HEALTHTOP" --once --json -c "$CFG" >"$T_DIR/once.json" 2>"$T_DIR/once.err"
t_check "--json is valid and says what the text said" $PY - "$T_DIR/once.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
want = {"web": ("healthy", 2, 2), "worker": ("starting", 0, 1), "sick": ("unhealthy", 0, 1),
        "job": ("unhealthy", 0, 1), "scheduler": ("healthy", 1, 1), "heavy": ("skipped", 0, 0),
        "worker_light": ("unhealthy", 0, 2), "worker_heavy": ("skipped", 0, 0)}
bad = [n for n, (st, up, exp) in want.items()
       if (s[n]["status"], s[n]["replicas"]["up"], s[n]["replicas"]["expected"]) != (st, up, exp)]
if bad or d["status"] != "unhealthy":
    print("mismatch:", bad, json.dumps(d, indent=1))
    sys.exit(1)
PYEOF

# Two runs: two listings (one per run, for all six services), GET only.
t_check "one listing per run" [ "$(grep -c 'containers/json?' "$LOG")" -eq 2 ]
t_check "nothing but GET" [ "$(grep -vc '^GET ' "$LOG")" -eq 0 ]
t_check "no reply keys left in redis" [ "$(redis-cli -p "$REDIS_PORT" --scan --pattern '*pidbox*' | wc -l)" -eq 0 ]
t_done
