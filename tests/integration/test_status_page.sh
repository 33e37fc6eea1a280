#!/bin/bash
# The status page of --listen (/) and its event stream (/api/v1/events):
# the framing, headers and bounds with curl and raw sockets, then the page
# in a real browser (status_page.py: headless chromium through selenium):
# rows, a stopped service turning unhealthy without a reload, injected
# markup that never runs, no request to another origin.
. "$(dirname "$0")/../lib.sh"

for tool in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$tool" ] || {
		echo "FAIL - $tool is missing: scripts/deps.sh --test installs chromium and chromium-driver"
		exit 1
	}
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || {
	echo "FAIL - python3-selenium is missing: scripts/deps.sh --test installs it"
	exit 1
}

t_fixture_http || exit 1
B=http://127.0.0.1:$FIX_PORT
# A body whose JSON check fails with the body's text in the message.
INJECT=$($PY -c 'import urllib.parse; print(urllib.parse.quote("{\"status\": \"<script>window.pwned=1</script>\"}"))')
cat >"$T_DIR/stack.yml" <<YML
title: Page Test
defaults:
  interval: 200ms
  timeout: 5s
  retries: 1
services:
  api:
    group: Web
    http: $B/toggle
  inject:
    group: Web
    http: {url: "$B/body?text=$INJECT", json: {status: healthy}}
  hostile:
    label: "<img src=x onerror=window.pwned=2>"
    group: "Workers & <b>friends</b>"
    http: $B/ok
    depends_on: [api]
YML
chmod 600 "$T_DIR/stack.yml"

t_bg "$HEALTHTOP" --serve --listen 127.0.0.1:0 -c "$T_DIR/stack.yml" \
	>"$T_DIR/serve.out" 2>"$T_DIR/serve.err"
t_wait_grep "--serve says where it listens" "$T_DIR/serve.err" 'endpoints on port [0-9]+' || exit 1
LP=$(grep -oE 'endpoints on port [0-9]+' "$T_DIR/serve.err" | grep -oE '[0-9]+$')
U=http://127.0.0.1:$LP

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# The page: its headers, no other origin, read-only.
curl -s -D "$T_DIR/page.head" -o "$T_DIR/page.html" "$U/"
t_contains "/ is HTML" "$T_DIR/page.head" "Content-Type: text/html; charset=utf-8"
t_contains "/ has a policy forbidding other origins" "$T_DIR/page.head" \
	"Content-Security-Policy: default-src 'none'; script-src 'nonce-"
NONCE=$(grep -oE "script-src 'nonce-[A-Za-z0-9+/]+'" "$T_DIR/page.head" | sed "s/.*nonce-//; s/'//")
t_contains "its script carries the policy's nonce" "$T_DIR/page.html" "<script nonce=\"$NONCE\">"
t_contains "without JavaScript it reloads" "$T_DIR/page.html" \
	'<noscript><meta http-equiv="refresh" content="10"></noscript>'
t_contains "a label is escaped" "$T_DIR/page.html" "&lt;img src=x onerror=window.pwned=2&gt;"
t_contains "a group is escaped" "$T_DIR/page.html" "Workers &amp; &lt;b&gt;friends&lt;/b&gt;"
SIZE=$(wc -c <"$T_DIR/page.html")
t_check "the page is under 50 KB ($SIZE bytes)" [ "$SIZE" -lt 51200 ]
NONCE2=$(curl -s -D - -o /dev/null "$U/" | grep -oE "script-src 'nonce-[A-Za-z0-9+/]+'")
t_check "each answer has a fresh nonce" [ "$NONCE2" != "script-src 'nonce-$NONCE'" ]
for p in / /api/v1/events /api/v1/state; do
	for m in POST PUT DELETE PATCH; do
		t_is "$m $p is 405" 405 "$(code -X "$m" "$U$p")"
	done
done

# The stream: headers, retry, a first state event; then a change.
: >"$T_DIR/sse.out"
curl -sN -D "$T_DIR/sse.head" "$U/api/v1/events" >"$T_DIR/sse.out" 2>/dev/null &
T_PIDS="$T_PIDS $!"
SSE_PID=$!
t_wait_grep "the stream opens with retry:" "$T_DIR/sse.out" '^retry: [0-9]+$' || exit 1
t_contains "the stream is text/event-stream" "$T_DIR/sse.head" "Content-Type: text/event-stream"
t_contains "and not cached" "$T_DIR/sse.head" "Cache-Control: no-cache"
t_wait_grep "a first state event at once" "$T_DIR/sse.out" '^data: \{"changes":\[\],"state":\{' || exit 1
t_wait_grep "api healthy in an event" "$T_DIR/sse.out" '"name":"api","label":"api","group":"Web","kind":"http","status":"healthy"'
curl -s "$B/control/down" >/dev/null
t_wait_grep "a change event names the change" "$T_DIR/sse.out" \
	'^data: \{"changes":\[\{"name":"api","from":"healthy","to":"unhealthy"\}'
curl -s "$B/control/up" >/dev/null
t_wait_grep "and the way back" "$T_DIR/sse.out" '"name":"api","from":"unhealthy","to":"healthy"'
t_is "HEAD /api/v1/events is 200 with no stream" 200 "$(curl -s -I -o /dev/null -w '%{http_code}' "$U/api/v1/events")"

# Streams are bounded and counted apart from requests: with 100 more of
# them open (more than the 64 ordinary connections), requests are still
# served.
$PY - "$LP" "$T_DIR/streams.ready" "$T_DIR/streams.done" <<'PY' &
import os, socket, sys, time
port, ready, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
socks = []
# One after the other, as pages open: a connection counts as a stream
# once its request is read, and until then against the 64 of requests.
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while b"event: state" not in got:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("a stream closed")
        got += chunk
    socks.append(s)
open(ready, "w").write("100\n")
while not os.path.exists(done):
    time.sleep(0.05)
PY
T_PIDS="$T_PIDS $!"
t_wait_file "$T_DIR/streams.ready" || exit 1
count_streams() { curl -s "$U/metrics" | grep -E '^healthtop_event_streams [0-9]+$' | grep -oE '[0-9]+$'; }
t_is "the streams are counted (the first one's too)" 101 "$(count_streams)"
t_is "/healthz still answers beside 100 streams" 200 "$(code "$U/healthz")"
t_is "the page still answers" 200 "$(code "$U/")"
touch "$T_DIR/streams.done"
gone() { [ "$(count_streams)" = 1 ]; }
if t_until "$T_DEADLINE_S" gone; then t_ok "closed streams are forgotten"; else
	t_fail "closed streams are forgotten: $(count_streams) still counted, not 1"
fi

# The page in a real browser.
if /usr/bin/python3 "$(dirname "$0")/status_page.py" "$U/" "$B" "$T_DIR"; then
	t_ok "the browser's checks passed"
else
	t_fail "the browser's checks (above); chromedriver's log:"
	tail -20 "$T_DIR/chromedriver.log" | sed 's/^/    | /'
fi
# The stream opened first has been open all along: its events, whole.
kill "$SSE_PID" 2>/dev/null
$PY - "$T_DIR/sse.out" <<'PY' >"$T_DIR/frames.txt"
# Every event: id, event, one data line of JSON that parses, a blank line.
import json, sys
blocks = open(sys.argv[1], encoding="utf-8").read().split("\n\n")
n, prev = 0, None
for b in blocks[1:-1]:
    lines = b.split("\n")
    if lines == [": ping"]:
        continue
    assert lines[0].startswith("id: ") and lines[1] == "event: state", lines[:2]
    assert len(lines) == 3 and lines[2].startswith("data: "), lines
    data = json.loads(lines[2][6:])
    # An event without a change that repeats the state the one before it
    # carried would be bytes for nothing (the first after the opening one
    # may: the opening event is the stream's own).
    if n >= 2 and not data["changes"] and data["state"] == prev:
        sys.exit("event %d repeats the state of the one before it" % n)
    prev = data["state"]
    n += 1
print(n)
PY
t_check "every event is framed and its JSON parses ($(cat "$T_DIR/frames.txt") events)" \
	[ "$(cat "$T_DIR/frames.txt")" -ge 3 ]
t_lacks "no '</' in the JSON" "$T_DIR/sse.out" "</"
t_done
