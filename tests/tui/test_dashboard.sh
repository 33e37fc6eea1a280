#!/bin/bash
# The live dashboard end to end: the real binary in a detached tmux
# session against real services (an HTTP server, a real redis-server, a
# refused port, a command), driven with send-keys and read back with
# capture-pane, the way a person would see it.
#
# HEALTHTOP may be an ASan build: sanitizer reports go to files under the
# test's directory and fail the test.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/tmux.sh" tui
stop_tmux() { tm kill-server 2>/dev/null; }
trap 'stop_tmux; t_cleanup' EXIT

fits_in() { # columns file: no line wider (in characters)
	local line
	while IFS= read -r line; do [ ${#line} -le "$1" ] || return 1; done <"$2"
}

# An HTTP server: the project's fixture when built, else Python's (which
# answers 200 on / only). HTTP_PATH is a path that answers 200.
if [ -x "$HT_FIXTURE_DIR/fixture_http" ]; then
	HTTP_PATH=/ok
else
	HTTP_PATH=/
fi
start_http() { # port
	if [ -x "$HT_FIXTURE_DIR/fixture_http" ]; then
		t_bg "$HT_FIXTURE_DIR/fixture_http" --port "$1"
	else
		t_bg $PY -m http.server "$1" --bind 127.0.0.1
	fi
	HTTP_PID=$T_LAST_PID
	t_until "$T_DEADLINE_S" $PY -c "import socket; socket.create_connection(('127.0.0.1', $1), 5)" \
		2>/dev/null && return 0
	echo "expected an HTTP server listening on $1; none did" >&2
	return 1
}

HTTP_PORT=$(t_free_port)
FLAKY_PORT=$(t_free_port)
REFUSED=$(t_refused_port)
start_http "$HTTP_PORT" || exit 1
start_http "$FLAKY_PORT" || exit 1
FLAKY_PID=$HTTP_PID
t_redis || exit 1

cat >"$T_DIR/stack.yml" <<YML
title: TUI Stack
defaults:
  interval: 300ms
  timeout: 30s
  retries: 2
services:
  api:
    group: HTTP Services
    http: http://127.0.0.1:$HTTP_PORT$HTTP_PATH
  web:
    group: HTTP Services
    tcp: 127.0.0.1:$HTTP_PORT
  pair:
    group: HTTP Services
    tcp: [127.0.0.1:$HTTP_PORT, 127.0.0.1:$REFUSED]
  flaky:
    group: HTTP Services
    tcp: 127.0.0.1:$FLAKY_PORT
  down:
    group: HTTP Services
    tcp: 127.0.0.1:$REFUSED
  redis:
    label: Redis (Working Memory)
    group: Memory Systems
    redis: redis://127.0.0.1:$REDIS_PORT/0
  cache:
    group: Memory Systems
    tcp: 127.0.0.1:$REFUSED
  heavy:
    group: Background Jobs
    tcp: 127.0.0.1:$REFUSED
    replicas: 0
  check:
    group: Background Jobs
    exec: [sh, -c, "echo ready"]
YML
chmod 600 "$T_DIR/stack.yml"

# Not a terminal: a refusal that points at --once and --wait.
"$HEALTHTOP" -c "$T_DIR/stack.yml" >"$T_DIR/notty.out" 2>"$T_DIR/notty.err"
t_is "stdout not a tty: exit 2" 2 "$?"
t_contains "stdout not a tty: points at --once" "$T_DIR/notty.err" "--once"
t_contains "stdout not a tty: points at --wait" "$T_DIR/notty.err" "--wait"

# Is the http probe built in this tree? (It lands from its own branch.)
HTTP_BUILT=1
"$HEALTHTOP" --once -c "$T_DIR/stack.yml" >"$T_DIR/once.txt" 2>&1
grep -q "not built" "$T_DIR/once.txt" && HTTP_BUILT=0

# The session runs with colour allowed (NO_COLOR empty) so T has themes
# to cycle through; the exit code lands in a file.
run_dashboard() { # session, extra arguments...
	local s=$1
	shift
	tm new-session -d -s "$s" -x 100 -y 30 \
		"env NO_COLOR= TERM=screen-256color $HEALTHTOP -c $T_DIR/stack.yml $*; echo \$? >$T_DIR/$s.rc; sleep 60"
}
run_dashboard main

wait_screen "title and overall status" "TUI Stack .*UNHEALTHY"
wait_screen "group headings" "^Memory Systems"
wait_screen "tcp service healthy 1/1" "^. web +tcp +healthy +1/1"
wait_screen "two targets, one refused: degraded 1/2" "^. pair +tcp +degraded +1/2"
wait_screen "refused port: unhealthy 0/1" "^. cache +tcp +unhealthy +0/1 .*refused"
wait_screen "real redis: healthy" "^. Redis \(Working.* +redis +healthy +1/1 +.*PONG"
wait_screen "replicas: 0 and nothing answers: skipped" "^. heavy +tcp +skipped"
wait_screen "exec: healthy" "^. check +exec +healthy +1/1 .*ready"
if [ $HTTP_BUILT = 1 ]; then
	wait_screen "http service healthy" "^. api +http +healthy +1/1"
	keys Enter
	wait_screen "detail pane: the HTTP status line" "HTTP/1\.[01] 200"
	keys Escape
else
	echo "skip - http probe not built in this tree"
fi
wait_screen "sparklines fill" "^. web .*[▁▂▃▄▅▆▇█]{3}"
wait_screen "footer key hints" "q quit .*\? help"

# Moving and the detail pane.
keys j
wait_screen "j moves the selection" "sort:config +2/9"
keys Enter
wait_screen "Enter opens the detail pane" "─ web .*"
wait_screen "detail pane: probe description" "Probe +tcp 127.0.0.1:$HTTP_PORT"
wait_screen "detail pane: recent results" "Last [0-9]+ results, newest first"
keys Escape
wait_screen "Esc goes back to the grid" "SERVICE +KIND +STATE"

# Incremental filter, then clear it.
keys / r e d
wait_screen "filter narrows as it is typed" "/red_"
screen_lacks "filter hides the rest" "^. web "
wait_screen "filter keeps the match" "^. Redis"
keys Enter
wait_screen "Enter keeps the filter" "/red +sort:config +1/1"
keys Escape
wait_screen "Esc clears the filter" "sort:config +[0-9]/9"

# Sort by severity: the unhealthy come first in their group.
keys s
wait_screen "s sorts by severity" "sort:severity"
capture
first=$(grep -A1 "^HTTP Services" "$SCREEN" | tail -1)
t_check "severity: first HTTP row is unhealthy ($first)" grep -q "unhealthy" <<<"$first"
keys s s s
wait_screen "s cycles back to config order" "sort:config"

# Pause and resume.
keys Space
wait_screen "space pauses" "PAUSED"
keys Space
wait_screen "space resumes" "probing resumed"
screen_lacks "no longer paused" "PAUSED"

# Probe now, themes, help.
keys r
wait_screen "r probes the selection" "probing .* now"
keys T
wait_screen "T cycles the theme" "theme: [a-z-]+"
keys '?'
wait_screen "? opens the help" "─ Keys ─"
wait_screen "help lists the keys" "cycle themes"
keys x
wait_screen "any key closes the help" "SERVICE +KIND +STATE"

# Resizes: minimum, wide, too small, back.
tm resize-window -t main -x 60 -y 15
wait_screen "60x15: compact grid" "^  SERVICE .*STATE"
capture
t_check "60x15: nothing beyond 60 columns" fits_in 60 "$SCREEN"
tm resize-window -t main -x 200 -y 50
wait_screen "200x50: every column" "KIND +STATE +UP +LAT +HISTORY +UPTIME +FOR +MESSAGE"
tm resize-window -t main -x 20 -y 5
wait_screen "20x5: too small message" "too small 20x5"
tm resize-window -t main -x 100 -y 30
wait_screen "100x30: grid again" "SERVICE +KIND +STATE"

# A service that stops: unhealthy within retries x interval (+ timeout),
# then healthy again once it is back.
wait_screen "flaky starts healthy" "^. flaky +tcp +healthy"
kill "$FLAKY_PID"
wait "$FLAKY_PID" 2>/dev/null
wait_screen "stopped service turns unhealthy" "^. flaky +tcp +unhealthy +0/1 .*refused"
start_http "$FLAKY_PORT" || t_fail "expected the flaky server to listen again on $FLAKY_PORT; it did not"
wait_screen "restarted service recovers" "^. flaky +tcp +healthy +1/1"

# q: exit code 0, terminal restored (alternate screen left, cursor back).
keys q
t_wait_file "$T_DIR/main.rc"
t_is "q exits 0" 0 "$(cat "$T_DIR/main.rc" 2>/dev/null)"
t_is "q leaves the alternate screen" 0 "$(tm display -p -t main '#{alternate_on}')"
t_is "q shows the cursor again" 1 "$(tm display -p -t main '#{cursor_flag}')"

# Ctrl-C quits like q; SIGTERM restores the terminal and says so in the
# exit code. This session runs with --ascii and a broken theme, which is
# reported with its file:line while the default theme is used.
printf 'healthy = green\nunhealthy = purple\n' >"$T_DIR/broken.theme"
run_dashboard sig --ascii --theme "$T_DIR/broken.theme"
wait_screen "malformed theme: file:line in the footer" "broken.theme:2: bad colour 'purple'" "" sig
wait_screen "--ascii: ASCII marks" "^\+ web +tcp +healthy" "" sig
tm send-keys -t sig C-c
t_wait_file "$T_DIR/sig.rc"
t_is "Ctrl-C exits 0" 0 "$(cat "$T_DIR/sig.rc" 2>/dev/null)"
t_is "Ctrl-C leaves the alternate screen" 0 "$(tm display -p -t sig '#{alternate_on}')"
tm kill-session -t sig

run_dashboard term
wait_screen "second dashboard up" "^. web +tcp +healthy" "" term
pid=$(pgrep -P "$(tm display -p -t term '#{pane_pid}')" | head -1)
kill -TERM "$pid"
t_wait_file "$T_DIR/term.rc"
t_is "SIGTERM exits 143" 143 "$(cat "$T_DIR/term.rc" 2>/dev/null)"
t_is "SIGTERM leaves the alternate screen" 0 "$(tm display -p -t term '#{alternate_on}')"

# No sanitizer report from any run.
if ls "$T_DIR"/asan.* "$T_DIR"/ubsan.* >/dev/null 2>&1; then
	t_fail "expected no sanitizer reports; saw:"
	cat "$T_DIR"/asan.* "$T_DIR"/ubsan.* 2>/dev/null | head -60
else
	t_ok "no sanitizer reports"
fi
t_done
