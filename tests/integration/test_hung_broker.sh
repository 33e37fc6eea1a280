#!/bin/bash
# A Celery broker that accepts connections and answers nothing: --once
# must end with the probe's timeout, not wait a clean-up on top of it (a
# 2 s timeout took 3.05-3.16 s: after the deadline the round sent SREM
# and DEL and waited for their answers). The fixture logs the commands
# it read: PUBLISH came and went unanswered, so no clean-up is sent.
. "$(dirname "$0")/../lib.sh"

t_bg "$HT_SOURCE_DIR/tests/fixtures/fixture_resp.py" --port-file "$T_DIR/resp.port" \
	--silent --log "$T_DIR/commands.log"
t_wait_file "$T_DIR/resp.port" 30 || t_fail "fixture_resp.py did not start"
cat >"$T_DIR/c.yml" <<EOF2
services:
  workers:
    timeout: 1s
    celery: {broker: "redis://127.0.0.1:$(cat "$T_DIR/resp.port")/0"}
EOF2
chmod 600 "$T_DIR/c.yml"
start=$(t_ms)
"$HEALTHTOP" --once -c "$T_DIR/c.yml" >"$T_DIR/once.txt" 2>&1
took=$(($(t_ms) - start))
t_contains "the hung broker is a timeout" "$T_DIR/once.txt" "workers - UNHEALTHY: timeout after 1.0s"
t_check "the timeout is not declared before it elapsed (took ${took}ms)" [ "$took" -ge 1000 ]
t_contains "PUBLISH was sent" "$T_DIR/commands.log" "PUBLISH"
t_lacks "no SREM waits on a broker that answered nothing" "$T_DIR/commands.log" "SREM"
t_lacks "no DEL either" "$T_DIR/commands.log" "DEL"
t_done
