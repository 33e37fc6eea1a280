#!/bin/bash
# `healthtop -f compose.yml` against a real engine: Podman's
# Docker-compatible API service (`podman system service`) on a socket of
# this test's own, with containers made as compose makes them (its
# project and service labels) from a local busybox image: a healthy
# service, two replicas, an unhealthy one, a scaled-to-zero one and a
# one-off `compose run` container that must not count. Then a replica is
# killed and the next run sees it. Where this machine cannot run
# containers, the test says why and stops (the replay fixture of
# test_compose_docker.sh covers the API).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/podman_setup.sh"

P=htcompose$$
podman_setup "$P" localhost/healthtop-compose-busybox:latest
IMG=$PS_IMAGE
L="--label healthtop.test=$$ --label com.docker.compose.project=$P --label com.docker.compose.oneoff=False --label com.docker.compose.service"
if ! podman run -d --name "$P-api-1" $L=api --health-cmd /bin/true "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1; then
	echo "no real engine here: podman cannot run a container (see $PLOG); skipped"
	sed 's/^/    | /' "$PLOG" | tail -5
	exit 0
fi
podman run -d --name "$P-worker-1" $L=worker "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1 &&
	podman run -d --name "$P-worker-2" $L=worker "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1 &&
	podman run -d --name "$P-sick-1" $L=sick --health-retries 1 \
		--health-cmd '/bin/sh -c "echo db down; exit 1"' "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1 &&
	podman run --name "$P-api-run-1f2e" --label healthtop.test=$$ \
		--label com.docker.compose.project=$P --label com.docker.compose.service=api \
		--label com.docker.compose.oneoff=True "$IMG" /bin/sh -c 'exit 3' >>"$PLOG" 2>&1
t_is "the one-off job exited 3" 3 $?
podman healthcheck run "$P-api-1" >>"$PLOG" 2>&1
t_is "api's healthcheck passes" 0 $?
podman healthcheck run "$P-sick-1" >>"$PLOG" 2>&1
t_check "sick's healthcheck fails" [ $? -ne 0 ]

podman_service

cat >"$T_DIR/compose.yml" <<YML
name: $P
services:
  api:
    image: x
    healthcheck: {test: /bin/true, interval: 1s, timeout: 1s, retries: 1}
  worker:
    image: x
    deploy: {replicas: 2}
    depends_on:
      api: {condition: service_healthy}
  sick:
    image: x
  heavy:
    image: x
    scale: 0
YML

"$HEALTHTOP" -f "$T_DIR/compose.yml" --once --json >"$T_DIR/one.json" 2>"$T_DIR/one.err"
t_is "--once exits 1: sick is unhealthy" 1 $?
t_check "the rows, as the engine has them" $PY - "$T_DIR/one.json" "$P" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "compose project " + sys.argv[2], d["title"]
want = {"api": ("healthy", 1, 1), "worker": ("healthy", 2, 2), "sick": ("unhealthy", 0, 1),
        "heavy": ("skipped", 0, 0)}
for n, (st, up, exp) in want.items():
    got = (s[n]["status"], s[n]["replicas"]["up"], s[n]["replicas"]["expected"])
    assert got == (st, up, exp), (n, got, s[n]["message"])
assert "exited" not in s["api"]["message"], s["api"]["message"]
assert s["worker"]["depends_on"] == ["api"]
assert "db down" in s["sick"]["message"], s["sick"]["message"]
PYEOF

# A replica killed: the next look sees one of two.
podman kill "$P-worker-2" >>"$PLOG" 2>&1
"$HEALTHTOP" -f "$T_DIR/compose.yml" --once >"$T_DIR/two.txt" 2>&1
t_contains "a killed replica is seen" "$T_DIR/two.txt" "worker - DEGRADED"
t_contains "one of two" "$T_DIR/two.txt" "(1/2 replicas"
t_done
