#!/bin/bash
# start_interval, as in Docker: while a service is starting inside its
# start_period it is probed every start_interval, not every interval. Two
# services probe the same refused port with a one-hour interval; only one
# has start_interval 100ms. It must be probed again and again while the
# other waits for its hour; the recording (--record) is what is counted.
. "$(dirname "$0")/../lib.sh"

port=$(t_refused_port)
cat >"$T_DIR/si.yml" <<EOF2
services:
  fast_start:
    tcp: "127.0.0.1:$port"
    interval: 1h
    start_period: 1h
    start_interval: 100ms
    retries: 1000
  plain:
    tcp: "127.0.0.1:$port"
    interval: 1h
    start_period: 1h
    retries: 1000
EOF2
chmod 600 "$T_DIR/si.yml"
t_bg "$HEALTHTOP" --wait --timeout 10m --record "$T_DIR/rec.jsonl" -c "$T_DIR/si.yml"
results() { grep -c "\"service\":\"$1\"" "$T_DIR/rec.jsonl" 2>/dev/null || echo 0; }
n=0
until [ "$(results fast_start)" -ge 4 ] || [ $n -ge 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
fast=$(results fast_start)
plain=$(results plain)
t_check "fast_start is probed every start_interval while starting (4 results wanted, saw $fast)" \
	[ "$fast" -ge 4 ]
t_check "plain waits for its 1h interval meanwhile (1 result wanted, saw $plain)" [ "$plain" -eq 1 ]

# A zero duration is Docker's "default"; here it is refused, saying so.
sed 's/start_interval: 100ms/start_interval: 0s/' "$T_DIR/si.yml" >"$T_DIR/zero.yml"
chmod 600 "$T_DIR/zero.yml"
"$HEALTHTOP" --once -c "$T_DIR/zero.yml" >"$T_DIR/zero.txt" 2>&1
t_contains "start_interval 0 is refused with Docker's meaning explained" "$T_DIR/zero.txt" \
	"$T_DIR/zero.yml:6:21: start_interval must be at least 100ms, not 0 (0 is Docker's 'the default'; here, leave the key out for the default)"
t_done
