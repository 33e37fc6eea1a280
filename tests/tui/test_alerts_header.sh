#!/bin/bash
# alerts: in the dashboard: the real binary in tmux, one service that
# goes down, a webhook receiver that refuses every connection. Once three
# deliveries in a row have failed, the header names the receiver; the
# dashboard goes on probing meanwhile. HEALTHTOP may be an ASan build.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/tmux.sh" alerts
stop_tmux() { tm kill-server 2>/dev/null; }
trap 'stop_tmux; t_cleanup' EXIT

t_fixture_http || exit 1
DOWN=$(t_refused_port)
cat >"$T_DIR/stack.yml" <<YML
title: Alert Stack
defaults: {interval: 200ms, timeout: 5s, retries: 1}
alerts:
  - webhook: http://127.0.0.1:$DOWN/hook
services:
  api:
    http: http://127.0.0.1:$FIX_PORT/toggle
YML
chmod 600 "$T_DIR/stack.yml"
tm new-session -d -s main -x 120 -y 30 \
	"env TERM=screen-256color $HEALTHTOP -c $T_DIR/stack.yml; echo \$? >$T_DIR/main.rc; sleep 60"
wait_screen "the dashboard shows api healthy" "^. api +http +healthy"
t_check "no receiver is named while nothing was sent" eval '! screen_has "alerts failing"'
curl -s "http://127.0.0.1:$FIX_PORT/control/down" >/dev/null
wait_screen "api goes unhealthy on screen" "^. api +http +unhealthy"
# Retries come after 1 s, then 2 s: the third failure is some seconds on.
wait_screen "the header names the failing receiver" "alerts failing: webhook #1"
keys q
t_wait_file "$T_DIR/main.rc"
t_is "q exits 0" 0 "$(cat "$T_DIR/main.rc" 2>/dev/null)"
capture
t_lacks "every handle is closed at the end (deliveries under way cancelled)" "$SCREEN" \
	"handles left open"
for f in "$T_DIR"/asan* "$T_DIR"/ubsan*; do
	[ -e "$f" ] && t_fail "sanitizer report: $(head -5 "$f")"
done
t_done
