#!/bin/bash
# A healthtop.yml that names its compose file (compose:), found by plain
# `healthtop` in the working directory: the compose services are rows,
# the file's services override and add to them, and its mistakes are
# reported at file:line:column. The engine is a socket nobody listens on,
# so the docker rows say so; the file's own probes run against a real
# HTTP server of the test's.
. "$(dirname "$0")/../lib.sh"

t_fixture_http
mkdir -p "$T_DIR/proj" && cd "$T_DIR/proj" || exit 1
export DOCKER_HOST=unix://$T_DIR/nobody.sock
cat >docker-compose.yml <<'YML'
name: shop
services:
  api:
    image: x
    healthcheck: {test: [CMD, curl, -f, http://localhost:8000/health], interval: 5s}
  worker:
    image: x
    deploy: {replicas: 2}
    depends_on:
      api: {condition: service_healthy}
YML
cat >healthtop.yml <<YML
title: Shop
compose: {files: [docker-compose.yml], project: shop-prod}
services:
  api:
    label: Shop API
    http: http://127.0.0.1:$FIX_PORT/ok
  worker:
    group: Workers
  web:
    http: http://127.0.0.1:$FIX_PORT/ok
    depends_on: [api]
YML
chmod 600 healthtop.yml

"$HEALTHTOP" --once --json >"$T_DIR/a.json" 2>"$T_DIR/a.err"
t_is "--once: the docker rows cannot reach the engine" 1 $?
t_check "the rows" $PY - "$T_DIR/a.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert d["title"] == "Shop", d["title"]
assert [x["name"] for x in d["services"]] == ["api", "worker", "api/http", "web"], list(s)
assert s["api"]["kind"] == "docker" and s["api"]["label"] == "Shop API", s["api"]
assert s["worker"]["group"] == "Workers" and s["worker"]["replicas"]["expected"] == 2, s["worker"]
assert s["worker"]["depends_on"] == ["api"], s["worker"]
assert s["api/http"]["kind"] == "http" and s["api/http"]["status"] == "healthy", s["api/http"]
assert s["api/http"]["label"] == "Shop API (http)", s["api/http"]
assert s["web"]["status"] == "healthy" and s["web"]["depends_on"] == ["api"], s["web"]
assert s["api"]["message"] == "engine unreachable", s["api"]["message"]
PYEOF

printf 'compose: [docker-compose.yml]\nservices:\n  wroker:\n    group: W\n' >bad.yml
chmod 600 bad.yml
"$HEALTHTOP" -c bad.yml --once >"$T_DIR/b.txt" 2>&1
t_is "a service that overrides nothing is a config error" 2 $?
t_contains "at its place" "$T_DIR/b.txt" \
	"bad.yml:3:3: service 'wroker' has no probe, and the compose project has no service of that name"
t_done
