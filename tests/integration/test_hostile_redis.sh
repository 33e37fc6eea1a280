#!/bin/bash
# Hostile Redis replies are refused before they are buffered. A server
# answering PING (or a Celery round's commands) with the 13-byte array
# header "*2147483647" made hiredis 0.14 allocate 16 GiB; one answering
# "$999999999" and then streaming grew the reader's buffer without end.
# Both must end in "reply too large" with the process's peak RSS under
# 64 MiB, while a real redis-server probed in the same run stays healthy.
# The hostile servers are tests/fixtures/fixture_resp.py: no real Redis
# can be made to send these replies.
. "$(dirname "$0")/../lib.sh"

t_redis
hostile() { # name, fixture arguments...: starts a hostile server; sets its port in $name
	name=$1
	shift
	t_bg "$HT_SOURCE_DIR/tests/fixtures/fixture_resp.py" --port-file "$T_DIR/$name.port" "$@"
	t_wait_file "$T_DIR/$name.port" 30 || t_fail "fixture_resp.py $* did not start"
	printf -v "$name" '%s' "$(cat "$T_DIR/$name.port")"
}
hostile ARRAY --reply '*2147483647'
hostile BULK --reply '$999999999' --then-stream

cat >"$T_DIR/hostile.yml" <<EOF
services:
  neighbour:
    redis: redis://127.0.0.1:$REDIS_PORT
    timeout: 20s
  array:
    redis: redis://127.0.0.1:$ARRAY
    timeout: 20s
  bulk:
    redis: redis://127.0.0.1:$BULK
    timeout: 20s
  celery_array:
    timeout: 20s
    celery:
      broker: redis://127.0.0.1:$ARRAY/0
      workers: "w@*"
  celery_bulk:
    timeout: 20s
    celery:
      broker: redis://127.0.0.1:$BULK/0
      workers: "w@*"
EOF
chmod 600 "$T_DIR/hostile.yml"

/usr/bin/time -f '%M' -o "$T_DIR/rss" "$HEALTHTOP" --once -c "$T_DIR/hostile.yml" >"$T_DIR/once.txt" 2>&1
rc=$?
t_check "--once exits 1 (unhealthy services), saw $rc" [ "$rc" -eq 1 ]
t_contains "the neighbour stays healthy" "$T_DIR/once.txt" "neighbour - HEALTHY"
t_contains "redis: a 2^31-element array header is refused" "$T_DIR/once.txt" \
	"array - UNHEALTHY: reply too large (array of 2147483647 elements, at most 0 expected)"
t_contains "redis: an endless bulk string is cut off" "$T_DIR/once.txt" \
	"bulk - UNHEALTHY: reply too large (over"
t_contains "celery: a 2^31-element array header is refused" "$T_DIR/once.txt" \
	"celery_array - UNHEALTHY: reply too large (array of 2147483647 elements, at most 2 expected)"
t_contains "celery: an endless bulk string is cut off" "$T_DIR/once.txt" \
	"celery_bulk - UNHEALTHY: reply too large (over"
rss_kb=$(tail -n 1 "$T_DIR/rss")
if [ "$rss_kb" -lt $((64 * 1024)) ]; then
	t_ok "peak RSS stays under 64 MiB (saw $((rss_kb / 1024)) MiB)"
else
	t_fail "peak RSS stays under 64 MiB: saw $((rss_kb / 1024)) MiB"
fi
t_done
