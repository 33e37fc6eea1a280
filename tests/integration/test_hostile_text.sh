#!/bin/bash
# Outside text never acts on a terminal and never half shows a secret:
# masked, then escaped, then cut (include/healthtop/text.h), on every way
# out. An HTTP JSON check's "got" value carrying a window-title escape
# and OSC 52 (clipboard), a Redis error echoing the password across the
# point where the message is cut (it showed the password's first
# characters when the cut came before the mask), and a crafted recording whose title, group, label and
# message carry escapes, C1 controls and a bidi override.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C.UTF-8
PASSWORD=Zq9-hunter2-s3cret-pw

# DESCRIPTION FILE: no ESC, BEL, C1 control (U+0085) or bidi override
# (U+202E) as such in FILE.
no_raw_controls() {
	if LC_ALL=C grep -q $'\x1b\|\x07\|\xc2\x85\|\xe2\x80\xae' "$2"; then
		t_fail "$1: expected no ESC, BEL, C1 control or bidi override in the output; saw:"
		sed 's/^/    | /' "$2" | cat -v
	else
		t_ok "$1: no ESC, BEL, C1 control or bidi override reaches the output"
	fi
}

t_fixture_http
t_bg "$HT_SOURCE_DIR/tests/fixtures/fixture_resp.py" --port-file "$T_DIR/resp.port" \
	--reply "-WRONGPASS $(printf 'x%.0s' $(seq 128)) tried $PASSWORD for user default"
t_wait_file "$T_DIR/resp.port" 30 || t_fail "fixture_resp.py did not start"
RESP=$(cat "$T_DIR/resp.port")
# /body?text= answers its (percent-decoded) text: JSON whose status holds
# ESC ] 0 ; pwned BEL and ESC ] 52 ; c ; ... BEL.
json='%7B%22status%22%3A%22%5Cu001b%5D0%3Bpwned%5Cu0007%5Cu001b%5D52%3Bc%3BaGk%3D%5Cu0007%22%7D'
cat >"$T_DIR/h.yml" <<EOF2
services:
  api:
    timeout: 30s
    http: {url: "http://127.0.0.1:$FIX_PORT/body?text=$json", json: {status: healthy}}
  cache:
    timeout: 30s
    redis: {url: "redis://127.0.0.1:$RESP/0", password: "$PASSWORD"}
EOF2
chmod 600 "$T_DIR/h.yml"
for fmt in text json; do
	args=(--once)
	shown='\x1b]0;pwned\x07\x1b]52;c;aGk=\x07'
	if [ "$fmt" = json ]; then
		args+=(--json)
		shown=${shown//\\/\\\\} # JSON writes a backslash as two
	fi
	"$HEALTHTOP" "${args[@]}" -c "$T_DIR/h.yml" >"$T_DIR/once.$fmt" 2>&1
	no_raw_controls "$fmt" "$T_DIR/once.$fmt"
	t_contains "$fmt: the escape shows, visibly" "$T_DIR/once.$fmt" "$shown"
	t_contains "$fmt: the echoed password is masked" "$T_DIR/once.$fmt" "tried ***"
	t_lacks "$fmt: no part of the password shows" "$T_DIR/once.$fmt" "Zq9-hun"
done
# One rule for environment values: a ${VAR} value is a secret wherever it
# is used, title, label and group included (they printed in clear in
# --once, --json and the dashboard while recordings masked them).
export HT_STACK_NAME=acme-prod-eu1
cat >"$T_DIR/env.yml" <<'EOF2'
title: "${HT_STACK_NAME} health"
services:
  web:
    label: "${HT_STACK_NAME} web"
    group: "${HT_STACK_NAME} group"
    exec: ["true"]
EOF2
chmod 600 "$T_DIR/env.yml"
"$HEALTHTOP" --once -c "$T_DIR/env.yml" >"$T_DIR/env.txt" 2>&1
"$HEALTHTOP" --once --json -c "$T_DIR/env.yml" >"$T_DIR/env.json" 2>&1
"$HEALTHTOP" --once -c "$T_DIR/env.yml" --record "$T_DIR/env.rec" >/dev/null 2>&1
for f in env.txt env.json env.rec; do
	t_lacks "$f: no \${VAR} value in clear" "$T_DIR/$f" "acme-prod-eu1"
	t_contains "$f: the title shows it masked" "$T_DIR/$f" "*** health"
done
t_contains "env.txt: the group masked" "$T_DIR/env.txt" "--- *** group ---"
t_contains "env.json: the label masked" "$T_DIR/env.json" '"label": "*** web"'

"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_DIR/once.json" &&
	t_ok "--json is valid JSON" || t_fail "--json is valid JSON: $(cat "$T_DIR/once.json")"

# A crafted recording: every field it gives is outside text.
"$PY" - "$T_DIR/rec.jsonl" <<'PY'
import json, sys
evil = "\x1b]0;owned\x07\u0085\u202etxt"
svc = {"name": "web", "label": "L" + evil, "group": "G" + evil, "kind": "http",
       "interval_ms": 1000, "depends_on": []}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"healthtop_recording": 1, "version": "0.1.0", "title": "T" + evil,
                        "t0_wall_ms": 1700000000000, "services": [svc]}) + "\n")
    f.write(json.dumps({"t_ms": 10, "wall_ms": 1700000000010, "service": "web",
                        "state": "unhealthy", "ok": False, "latency_ms": 1.0,
                        "replicas": {"up": 0, "expected": 1, "found": 1},
                        "message": "M" + evil, "from": "unknown"}) + "\n")
PY
"$HEALTHTOP" --replay "$T_DIR/rec.jsonl" --once >"$T_DIR/replay.txt" 2>&1
no_raw_controls replay "$T_DIR/replay.txt"
t_contains "replay: the title's escapes show" "$T_DIR/replay.txt" 'T\x1b]0;owned\x07\u0085\u202etxt'
t_contains "replay: the message's escapes show" "$T_DIR/replay.txt" 'M\x1b]0;owned\x07\u0085\u202etxt'
t_done
