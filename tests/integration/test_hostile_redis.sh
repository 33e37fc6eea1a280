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
rss_under_64() { # description, file written by time -f %M
	rss_kb=$(tail -n 1 "$2")
	if [ "$rss_kb" -lt $((64 * 1024)) ]; then
		t_ok "$1: peak RSS stays under 64 MiB (saw $((rss_kb / 1024)) MiB)"
	else
		t_fail "$1: peak RSS stays under 64 MiB: saw $((rss_kb / 1024)) MiB"
	fi
}
rss_under_64 "--once" "$T_DIR/rss"

# Cadence: probed again and again (--wait, 200 ms apart, recorded), the
# hostile services never hold the neighbour back: it gets as many results
# as they do, less one at most for where the run ended.
sed 's/timeout: 20s/timeout: 20s\n    interval: 200ms/' "$T_DIR/hostile.yml" >"$T_DIR/cadence.yml"
chmod 600 "$T_DIR/cadence.yml"
/usr/bin/time -f '%M' -o "$T_DIR/rss2" "$HEALTHTOP" --wait --timeout 4s -c "$T_DIR/cadence.yml" \
	--record "$T_DIR/rec.jsonl" >"$T_DIR/wait.txt" 2>&1
rss_under_64 "--wait" "$T_DIR/rss2"
results() { grep -c "\"service\":\"$1\"" "$T_DIR/rec.jsonl"; }
nb=$(results neighbour)
for svc in array bulk celery_array celery_bulk; do
	n=$(results $svc)
	t_check "the neighbour kept its cadence beside $svc (neighbour $nb results, $svc $n)" \
		test "$n" -gt 1 -a "$nb" -ge $((n - 1))
done

# A PUBLISH count past INT_MAX is capped, not turned negative (--json
# leaves out a negative one).
hostile HUGE --reply ':2147483648'
cat >"$T_DIR/huge.yml" <<EOF
services:
  huge_count:
    timeout: 2s
    celery: {broker: "redis://127.0.0.1:$HUGE/0"}
EOF
chmod 600 "$T_DIR/huge.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/huge.yml" >"$T_DIR/huge.json" 2>/dev/null
t_contains "PUBLISH's count past INT_MAX is capped" "$T_DIR/huge.json" '"listening": 2147483647'
t_done
