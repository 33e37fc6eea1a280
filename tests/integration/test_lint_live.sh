#!/bin/bash
# `healthtop lint --live`: the healthchecks healthtop understands, run
# from the host against the ports the services publish, on real servers
# started here (fixture_http, redis-server) and a refused port. A check
# that passes says nothing; one that fails is a finding at its test line
# (the seed's case: a healthcheck on /health, which did not exist).
. "$(dirname "$0")/../lib.sh"

t_fixture_http || exit 1
t_redis || exit 1
PLAIN_REDIS=$REDIS_PORT
REDIS_AUTH=s3cret-pass t_redis --requirepass "s3cret-pass" || exit 1
AUTH_REDIS=$REDIS_PORT
REFUSED=$(t_refused_port)
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME COMPOSE_PATH_SEPARATOR

cat >"$T_DIR/compose.yml" <<YML
name: live
services:
  api:
    image: x
    ports: ["$FIX_PORT:8000"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/ok"]
      interval: 5s
  broken:
    image: x
    ports: ["$FIX_PORT:8000"]
    healthcheck:
      test: curl -f http://localhost:8000/status/404 || exit 1
      interval: 5s
  redis:
    image: x
    ports: ["127.0.0.1:$PLAIN_REDIS:6379"]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
  cache:
    image: x
    ports: ["$AUTH_REDIS:6379"]
    healthcheck:
      test: redis-cli -a "\${CACHE_PASSWORD}" ping | grep PONG
      interval: 5s
  db:
    image: x
    ports: ["$REFUSED:5432"]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
      interval: 5s
  worker:
    image: x
    healthcheck:
      test: celery inspect ping
      interval: 5s
YML

CACHE_PASSWORD=s3cret-pass "$HEALTHTOP" lint -f "$T_DIR/compose.yml" --live >"$T_DIR/live.txt" 2>"$T_DIR/live.err"
t_is "--live exits 1 on a failing check" 1 $?
t_contains "the 404 is a finding at its test line" "$T_DIR/live.txt" \
	"compose.yml:13:13: warning: broken's healthcheck does not pass from the host: http://127.0.0.1:$FIX_PORT/status/404 HTTP 404"
t_contains "the refused port too" "$T_DIR/live.txt" \
	"compose.yml:31:13: warning: db's healthcheck does not pass from the host: 127.0.0.1:$REFUSED"
t_lacks "api answers on /ok: nothing to say" "$T_DIR/live.txt" "api's healthcheck"
t_lacks "redis answers PING: nothing to say" "$T_DIR/live.txt" "redis's healthcheck"
t_lacks "a check healthtop cannot run is left alone" "$T_DIR/live.txt" "worker's healthcheck"
t_lacks "redis-cli -a: the password is used" "$T_DIR/live.txt" "cache's healthcheck"
CACHE_PASSWORD=wrong-password "$HEALTHTOP" lint -f "$T_DIR/compose.yml" --live >"$T_DIR/wrong.txt" 2>&1
t_contains "a wrong password is a finding" "$T_DIR/wrong.txt" "cache's healthcheck does not pass from the host"
t_lacks "and the password from the environment is never shown" "$T_DIR/wrong.txt" "wrong-password"
t_contains "the summary counts them" "$T_DIR/live.txt" "0 errors, 2 warnings"

"$HEALTHTOP" lint -f "$T_DIR/compose.yml" >"$T_DIR/static.txt" 2>&1
t_is "without --live nothing is probed and all is clean" 0 $?
t_done
