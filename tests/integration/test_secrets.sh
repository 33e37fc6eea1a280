#!/bin/bash
# Secrets never reach any output. A secret is planted through ${VAR} in
# every place the config takes one -- a Redis password, URL credentials
# (Redis and HTTP, some with a raw '@'), a header value, an exec argument --
# and the probes are made to fail in ways that tempt each into a message:
# a server echoing the header back in the body, a command printing its
# argument, config errors quoting the value. Then every output of every
# mode is searched for every secret (and for its longer pieces).
# Also: TLS is verified by default, exec takes an argv and never a shell.
. "$(dirname "$0")/../lib.sh"

HAVE_HTTP=""
[ -x "$HT_FIXTURE_DIR/fixture_http" ] && HAVE_HTTP=1

export HT_S_REDIS=Redis-Secret-4a7f
export HT_S_URL=Url-Secret-93bc
export HT_S_AT=pa@ss-Secret-5e1d
export HT_S_HEADER=Header-Secret-0d62
export HT_S_ARGV=Argv-Secret-c8e1
export HT_S_ADDR=Addr-Secret-77aa
# Echoed in encoded form only: the Basic credentials of a URL (base64),
# and a non-ASCII token (JSON \u escapes, %-encoding).
export HT_S_BASIC=Basic-Secret-2b9d
export HT_S_UTF8=Ünïcødé-Sécret-ß31
SECRETS="$HT_S_REDIS $HT_S_URL $HT_S_AT $HT_S_HEADER $HT_S_ARGV $HT_S_ADDR $HT_S_BASIC $HT_S_UTF8"

REDIS_AUTH=$HT_S_URL t_redis --requirepass "$HT_S_URL" || exit 1
REDIS_URL_PORT=$REDIS_PORT
REDIS_AUTH=$HT_S_REDIS t_redis --requirepass "$HT_S_REDIS" || exit 1
REFUSED=$(t_refused_port)

cat >"$T_DIR/secrets.yml" <<YML
title: Secrets
defaults: {interval: 300ms, timeout: 30s, retries: 1}
services:
  redis_pw: {redis: {url: "redis://127.0.0.1:$REDIS_PORT", password: "\${HT_S_REDIS}"}}
  redis_url: {redis: "redis://:\${HT_S_URL}@127.0.0.1:$REDIS_URL_PORT/0"}
  redis_url_down: {redis: "redis://user:\${HT_S_URL}@127.0.0.1:$REFUSED/0"}
  redis_at_down: {redis: "redis://:\${HT_S_AT}@127.0.0.1:$REFUSED/0"}
  exec_echo: {exec: [sh, -c, 'echo "token is \$1"; exit 1', sh, "\${HT_S_ARGV}"]}
  exec_ok: {exec: [sh, -c, 'echo "ok with \$1"', sh, "\${HT_S_ARGV}"]}
YML
if [ -n "$HAVE_HTTP" ]; then
	t_fixture_http || exit 1
	B=127.0.0.1:$FIX_PORT
	cat >>"$T_DIR/secrets.yml" <<YML
  http_header:
    http:
      url: "http://$B/header?name=Authorization"
      headers: {Authorization: "Bearer \${HT_S_HEADER}"}
      body: never-there
  http_header_ok:
    http:
      url: "http://$B/header?name=Authorization"
      headers: {Authorization: "Bearer \${HT_S_HEADER}"}
  http_cred: {http: "http://user:\${HT_S_URL}@$B/status/500"}
  http_cred_down: {http: "http://user:\${HT_S_URL}@127.0.0.1:$REFUSED/"}
YML
fi
# An echo server as httpbin's /anything is: the request's headers back as
# JSON (ASCII only, so the non-ASCII token comes back in \u escapes) and
# the token once more %-encoded, the secrets first so that they fall in
# the part of the body the detail pane shows.
t_bg "$PY" -c '
import http.server, json, sys, urllib.parse
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        tok = self.headers.get("X-Tok", "").encode("latin-1").decode("utf-8")
        body = json.dumps({"authorization": self.headers.get("Authorization", ""), "x-tok": tok,
                           "x-tok-url": urllib.parse.quote(tok, safe="")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), Echo)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
' "$T_DIR/echo.port"
t_wait_file "$T_DIR/echo.port" 30 || t_fail "the echo server did not start"
cat >>"$T_DIR/secrets.yml" <<YML
  http_echo_encoded:
    http:
      url: "http://ops:\${HT_S_BASIC}@127.0.0.1:$(cat "$T_DIR/echo.port")/anything"
      headers: {X-Tok: "\${HT_S_UTF8}"}
      body: never-there
YML
chmod 600 "$T_DIR/secrets.yml"

# Every output, each in a file of its own.
"$HEALTHTOP" --once -c "$T_DIR/secrets.yml" >"$T_DIR/out.once" 2>&1
t_is "--once ran (exit 1: some fail on purpose)" 1 "$?"
"$HEALTHTOP" --once --json -c "$T_DIR/secrets.yml" >"$T_DIR/out.once-json" 2>&1
t_is "--once --json ran" 1 "$?"
"$HEALTHTOP" --wait --timeout 2s -c "$T_DIR/secrets.yml" >"$T_DIR/out.wait" 2>&1
t_is "--wait ran" 1 "$?"
"$HEALTHTOP" --wait --timeout 2s --json -c "$T_DIR/secrets.yml" >"$T_DIR/out.wait-json" \
	2>"$T_DIR/out.wait-events"
t_is "--wait --json ran" 1 "$?"

# --record writes every result to a file, and --replay reads it back.
if "$HEALTHTOP" --help | grep -q -- --record; then
	"$HEALTHTOP" --wait --timeout 2s --record "$T_DIR/out.record" -c "$T_DIR/secrets.yml" \
		>"$T_DIR/out.record-wait" 2>&1
	t_check "--wait --record wrote a recording" [ -s "$T_DIR/out.record" ]
	"$HEALTHTOP" --replay "$T_DIR/out.record" --once >"$T_DIR/out.replay" 2>&1
	t_contains "the replay shows the recorded results" "$T_DIR/out.replay" "exec_echo"
else
	echo "skip - --record is not built in this tree"
fi

# The probes really saw the secrets (else the greps below prove nothing).
t_contains "the redis password worked" "$T_DIR/out.once" "redis_pw - HEALTHY"
t_contains "the redis URL password worked" "$T_DIR/out.once" "redis_url - HEALTHY"
t_contains "the command printed its secret argument, masked" "$T_DIR/out.once" "token is ***"
if [ -n "$HAVE_HTTP" ]; then
	t_contains "the header was sent" "$T_DIR/out.once" "http_header_ok - HEALTHY"
fi

# The live dashboard: the grid, and the detail pane of every service
# (probe description, recent results, the output of the command), read
# back from tmux.
if command -v tmux >/dev/null; then
	# tmux.sh sends sanitizer reports to files: only for the dashboard.
	saved_asan=${ASAN_OPTIONS-} saved_ubsan=${UBSAN_OPTIONS-}
	. "$(dirname "$0")/../tui/tmux.sh" secrets
	trap 'tm kill-server 2>/dev/null; t_cleanup' EXIT
	tm new-session -d -s main -x 200 -y 50 \
		"env TERM=screen-256color $HEALTHTOP -c $T_DIR/secrets.yml; sleep 60"
	names=$(awk '/^  [a-z_]+:/ {sub(":", "", $1); print $1}' "$T_DIR/secrets.yml")
	for name in $names; do
		wait_screen "$name has a result on the grid" "^. $name +[a-z]+ +(healthy|unhealthy)"
	done
	capture
	cp "$SCREEN" "$T_DIR/out.tui-grid"
	for name in $names; do
		keys / $(echo "$name" | sed 's/./& /g') Enter
		wait_screen "filter to $name" "/$name +sort"
		keys Enter
		wait_screen "$name: the detail pane lists its results" "Last [0-9]+ results?"
		cp "$SCREEN" "$T_DIR/out.tui-$name"
		keys Escape
		wait_screen_gone "$name: Esc closes the detail pane" "─ $name"
		keys Escape
		wait_screen_gone "$name: Esc clears the filter" "/$name +sort"
	done
	t_contains "the detail pane was read (exec_echo)" "$T_DIR/out.tui-exec_echo" "─ exec_echo"
	t_contains "the detail pane shows the masked output" "$T_DIR/out.tui-exec_echo" "token is ***"
	keys q
	if ls "$T_DIR"/asan.* "$T_DIR"/ubsan.* >/dev/null 2>&1; then
		t_fail "expected no sanitizer reports from the dashboard; saw:"
		cat "$T_DIR"/asan.* "$T_DIR"/ubsan.* | head -60
	fi
	ASAN_OPTIONS=$saved_asan UBSAN_OPTIONS=$saved_ubsan
fi

# Config errors quoting secret values, one file per error.
cfg_error() { # name yaml-service-line
	printf 'services:\n  bad: %s\n' "$2" >"$T_DIR/err.$1.yml"
	chmod 600 "$T_DIR/err.$1.yml"
	"$HEALTHTOP" --once -c "$T_DIR/err.$1.yml" >"$T_DIR/out.err-$1" 2>&1
	t_is "config error $1 exits 2" 2 "$?"
}
cfg_error addr '{tcp: "${HT_S_ADDR}"}'
cfg_error redis-port '{redis: "redis://:${HT_S_URL}@host:port/0"}'
cfg_error redis-scheme '{redis: "rediss://:${HT_S_URL}@host/0"}'
cfg_error http-url '{http: "http://user:${HT_S_URL}@ho st/"}'
cfg_error http-scheme '{http: "ftp://user:${HT_S_URL}@host/"}'
cfg_error http-at '{http: "http://user:${HT_S_AT}@127.0.0.1:1/ok"}'
cfg_error header '{http: {url: "http://h/", headers: {X: "${HT_S_HEADER}"}, bogus: 1}}'
cfg_error argv '{exec: ["${HT_S_ARGV}"], interval: "${HT_S_ADDR}"}'
t_contains "the bad address error says what is wrong" "$T_DIR/out.err-addr" "port"

t_contains "the echo server's body reached the detail pane" \
	"$T_DIR/out.tui-http_echo_encoded" '{"authorization": "Basic ***'

# The search: every output, every secret and the forms a server may echo
# it in (base64 of the Basic pair, JSON \u escapes, %-encoding), and every
# 8-byte piece of each (a secret cut in two is still a leak).
leaks=$($PY - "$T_DIR" $SECRETS <<'PY'
import base64, glob, json, os, sys, urllib.parse
d, plain = sys.argv[1], sys.argv[2:]
secrets = set(plain)
for s in plain:
    secrets.add(json.dumps(s)[1:-1])
    secrets.add(urllib.parse.quote(s, safe=""))
    secrets.add(base64.b64encode(s.encode()).decode().rstrip("="))
    secrets.add(base64.b64encode(("ops:" + s).encode()).decode().rstrip("="))
for path in sorted(glob.glob(os.path.join(d, "out.*"))):
    text = open(path, errors="replace").read()
    for s in sorted(secrets):
        for i in range(len(s) - 7):
            if s[i:i + 8] in text:
                print(f"{os.path.basename(path)}: '{s[i:i + 8]}' of {s}")
                break
PY
)
nout=$(ls "$T_DIR"/out.* | wc -l)
if [ -z "$leaks" ]; then t_ok "no secret in any of $nout outputs"; else
	t_fail "expected no secret in any of $nout outputs; saw:"
	echo "$leaks" | sed 's/^/    | /'
fi

# exec takes an argv: nothing is ever handed to a shell.
printf 'services:\n  s: {exec: "echo hi; touch %s/pwned"}\n' "$T_DIR" >"$T_DIR/shell.yml"
chmod 600 "$T_DIR/shell.yml"
"$HEALTHTOP" --once -c "$T_DIR/shell.yml" >"$T_DIR/shell.out" 2>&1
t_is "an exec command line as one string is refused (exit 2)" 2 "$?"
t_contains "the refusal says exec takes a list" "$T_DIR/shell.out" "exec takes a list"
cat >"$T_DIR/meta.yml" <<YML
services:
  m: {exec: [echo, "\$\$(touch $T_DIR/pwned2); touch $T_DIR/pwned3 | \`id\`"]}
YML
chmod 600 "$T_DIR/meta.yml"
"$HEALTHTOP" --once --json -c "$T_DIR/meta.yml" >"$T_DIR/meta.out" 2>&1
t_is "shell syntax in an argument is passed literally (exit 0)" 0 "$?"
t_check "no shell ran it" [ ! -e "$T_DIR/pwned" -a ! -e "$T_DIR/pwned2" -a ! -e "$T_DIR/pwned3" ]
t_contains "the argument came back as written" "$T_DIR/meta.out" "touch $T_DIR/pwned3 |"

t_done
