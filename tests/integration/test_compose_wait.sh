#!/bin/bash
# `healthtop --compose --wait` against Podman's real API service, with
# containers made as compose makes them (its labels) from a local
# busybox image: a container that exited 1 under restart: "no" ends the
# wait at once, naming it (the verdict "hopeless", not the deadline's
# "not healthy after"); an init job that exited 0 counts as done, one
# that exited 1 as failed; a dependency the engine found unhealthy after
# its retries ends it too; and the healthy stack waits out to 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/podman_setup.sh"

P=htwait$$
podman_setup "$P" localhost/healthtop-wait-busybox:latest
IMG=$PS_IMAGE
podman_can_run
L="--label healthtop.test=$$ --label com.docker.compose.project=$P --label com.docker.compose.oneoff=False --label com.docker.compose.service"

podman run --name "$P-init-1" $L=init "$IMG" /bin/true >>"$PLOG" 2>&1 &&
	podman run -d --name "$P-api-1" $L=api --health-cmd /bin/true "$IMG" /bin/sleep 600 >>"$PLOG" 2>&1 &&
	podman healthcheck run "$P-api-1" >>"$PLOG" 2>&1
t_is "init ran, api runs and is healthy" 0 $?
podman run --name "$P-broken-1" $L=broken "$IMG" /bin/sh -c 'exit 1' >>"$PLOG" 2>&1
t_is "broken exited 1" 1 $?
podman_service

cat >"$T_DIR/healthy.yml" <<YML
name: $P
services:
  init:
    image: x
    restart: "no"
  api:
    image: x
    healthcheck: {test: /bin/true, interval: 1s, timeout: 1s, retries: 1}
    depends_on:
      init: {condition: service_completed_successfully}
  heavy:
    image: x
    scale: 0
YML
{ cat "$T_DIR/healthy.yml"; printf '  broken:\n    image: x\n    restart: "no"\n'; } >"$T_DIR/broken.yml"

# A timeout no run of this test reaches: the wait must end on its own.
"$HEALTHTOP" -f "$T_DIR/broken.yml" --wait --timeout 1h --json >"$T_DIR/b.json" 2>"$T_DIR/b.err"
t_is "--wait fails: broken will not come back" 1 $?
t_contains "named, with the reason" "$T_DIR/b.err" \
	'hopeless: broken: exited (1), and restart: no will not start it again'
t_lacks "ended by the verdict, not by the deadline" "$T_DIR/b.err" "not healthy after"
t_check "the JSON says so" $PY - "$T_DIR/b.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["hopeless"] == ["broken"], d["hopeless"]
assert "restart: no" in s["broken"]["hopeless"], s["broken"]
assert s["broken"]["status"] != "healthy", s["broken"]
assert s["api"]["hopeless"] is None, s["api"]
PYEOF

"$HEALTHTOP" -f "$T_DIR/healthy.yml" --wait --timeout 1h --json >"$T_DIR/h.json" 2>"$T_DIR/h.err"
t_is "--wait succeeds on the healthy stack" 0 $?
t_contains "every service up" "$T_DIR/h.err" "all 2 services healthy, 1 skipped"
t_check "the init job is done" $PY - "$T_DIR/h.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert s["init"]["status"] == "healthy", s["init"]
assert s["init"]["message"] == "completed (exit 0)", s["init"]["message"]
assert d["hopeless"] == [], d["hopeless"]
PYEOF

# The job fails: what waits for it never starts.
podman rm -f "$P-init-1" >>"$PLOG" 2>&1
podman run --name "$P-init-1" $L=init "$IMG" /bin/sh -c 'exit 2' >>"$PLOG" 2>&1
"$HEALTHTOP" -f "$T_DIR/healthy.yml" --wait --timeout 1h >"$T_DIR/j.txt" 2>&1
t_is "--wait fails on a job that exited 2" 1 $?
t_contains "the job is named" "$T_DIR/j.txt" "hopeless: init: exited (2): a job that had to exit 0"

# A dependency unhealthy after its retries (1 here): its dependent can
# never start.
podman run -d --name "$P-db-1" $L=db --health-retries 1 --health-cmd /bin/false \
	"$IMG" /bin/sleep 600 >>"$PLOG" 2>&1
podman healthcheck run "$P-db-1" >>"$PLOG" 2>&1
t_check "db's healthcheck fails" [ $? -ne 0 ]
cat >"$T_DIR/dep.yml" <<YML
name: $P
services:
  db:
    image: x
    healthcheck: {test: /bin/false, retries: 1}
  app:
    image: x
    depends_on:
      db: {condition: service_healthy}
YML
"$HEALTHTOP" -f "$T_DIR/dep.yml" --wait --timeout 1h >"$T_DIR/d.txt" 2>&1
t_is "--wait fails on an unhealthy dependency" 1 $?
t_contains "the dependency is the root cause" "$T_DIR/d.txt" \
	"hopeless: db: unhealthy after its retries, and app depends on it"
t_done
