#!/bin/bash
# --listen in the dashboard: the real binary in tmux serving /metrics on
# the same loop, answering scrapes while keys still work, and closing
# the port when q ends it. HEALTHTOP may be an ASan build.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/tmux.sh" listen
stop_tmux() { tm kill-server 2>/dev/null; }
trap 'stop_tmux; t_cleanup' EXIT

t_fixture_http || exit 1
LP=$(t_free_port)
cat >"$T_DIR/stack.yml" <<YML
title: Listen Stack
defaults: {interval: 200ms, timeout: 5s, retries: 1}
services:
  api:
    http: http://127.0.0.1:$FIX_PORT/toggle
  web:
    http: http://127.0.0.1:$FIX_PORT/ok
YML
chmod 600 "$T_DIR/stack.yml"
tm new-session -d -s main -x 100 -y 30 \
	"env TERM=screen-256color $HEALTHTOP --listen 127.0.0.1:$LP -c $T_DIR/stack.yml; echo \$? >$T_DIR/main.rc; sleep 60"
wait_screen "the dashboard shows api healthy" "^. api +http +healthy"

metrics_up() { curl -s "http://127.0.0.1:$LP/metrics" | grep -q 'healthtop_service_up{service="api",group="Services",kind="http"} 1'; }
t_check "the dashboard serves /metrics" metrics_up

# Scrapes in a loop while keys are pressed: the keys still act.
(while :; do curl -s -o /dev/null "http://127.0.0.1:$LP/metrics"; done) &
T_PIDS="$T_PIDS $!"
keys '?'
wait_screen "? opens the help while /metrics is scraped" "[Kk]eys"
keys Escape
curl -s "http://127.0.0.1:$FIX_PORT/control/down" >/dev/null
wait_screen "api goes unhealthy on screen" "^. api +http +unhealthy"
t_is "and /readyz says 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LP/readyz")"

keys q
t_wait_file "$T_DIR/main.rc"
t_is "q exits 0" 0 "$(cat "$T_DIR/main.rc" 2>/dev/null)"
port_closed() { ! curl -s -o /dev/null "http://127.0.0.1:$LP/healthz"; }
t_check "the port is closed after q" port_closed
for f in "$T_DIR"/asan* "$T_DIR"/ubsan*; do
	[ -e "$f" ] && t_fail "sanitizer report: $(head -5 "$f")"
done
t_done
