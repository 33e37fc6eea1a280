#!/bin/bash
# A compose file's x-healthtop: extensions, read by `healthtop --compose`
# with no healthtop.yml: the top-level one's title and defaults, a
# service's label and group, and its http: probe as an extra row
# NAME/http run natively against a real HTTP server of the test's, its
# ${VAR} values interpolated by the compose rules and kept secret. The
# engine is a socket nobody listens on, so the docker rows say so.
. "$(dirname "$0")/../lib.sh"

t_fixture_http
mkdir -p "$T_DIR/proj" && cd "$T_DIR/proj" || exit 1
export DOCKER_HOST=unix://$T_DIR/nobody.sock
export FIX_PORT
export SHOP_TOKEN=tok-$RANDOM-$RANDOM-secret
cat >docker-compose.yml <<'YML'
name: shop
x-healthtop:
  title: Shop
  defaults: {interval: 2s, timeout: 1s}
services:
  api:
    image: x
    healthcheck: {test: [CMD, curl, -f, http://localhost:8000/health], interval: 5s}
    x-healthtop:
      label: Shop API
      group: Front
      http:
        url: http://127.0.0.1:${FIX_PORT}/header?name=X-Token
        headers: {X-Token: "${SHOP_TOKEN}"}
        body: tok-
  worker:
    image: x
    x-healthtop: {group: Workers}
YML

"$HEALTHTOP" --compose --once --json >"$T_DIR/a.json" 2>"$T_DIR/a.err"
t_is "--once: the docker rows cannot reach the engine" 1 $?
t_check "the rows" $PY - "$T_DIR/a.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "Shop (compose project shop)", d["title"]
assert [x["name"] for x in d["services"]] == ["api", "worker", "api/http"], list(s)
assert s["api"]["kind"] == "docker" and s["api"]["label"] == "Shop API", s["api"]
assert s["api"]["group"] == "Front" and s["worker"]["group"] == "Workers", d["services"]
assert s["api"]["message"] == "engine unreachable", s["api"]["message"]
h = s["api/http"]
assert h["kind"] == "http" and h["status"] == "healthy", h
assert h["label"] == "Shop API (http)" and h["group"] == "Front", h
PYEOF
t_lacks "the token from the environment is a secret" "$T_DIR/a.json" "$SHOP_TOKEN"

# The server echoes the header it got; with another token in the
# environment the body check fails: the value is the environment's.
SHOP_TOKEN=other "$HEALTHTOP" --compose --once --json >"$T_DIR/c.json" 2>/dev/null
t_check "a wrong token fails the http row" $PY - "$T_DIR/c.json" <<'PYEOF'
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
assert s["api/http"]["status"] != "healthy", s["api/http"]
PYEOF

sed -i 's/      group: Front/      gruop: Front/' docker-compose.yml
"$HEALTHTOP" --compose --once >"$T_DIR/b.txt" 2>&1
t_is "a mistake in x-healthtop is a config error" 2 $?
t_contains "at its place in the compose file" "$T_DIR/b.txt" \
	"docker-compose.yml:11:7: unknown key 'gruop' in a service (did you mean 'group'?)"
t_done
