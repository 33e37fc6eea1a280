#!/bin/bash
# An engine that cannot be reached, on the live dashboard: every docker
# row says "engine unreachable", and where and why is said once, in the
# header. No engine is needed: the socket does not exist.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.sh" engine
trap 'tm kill-server 2>/dev/null; t_cleanup' EXIT

SOCK=$T_DIR/no-engine.sock
cat >"$T_DIR/ht.yml" <<YML
title: Engine Gone
services:
  api: {docker: {service: api, project: p, socket: $SOCK}, retries: 1}
  worker: {docker: {service: worker, project: p, socket: $SOCK}, retries: 1}
  beat: {docker: {service: beat, project: p, socket: $SOCK}, retries: 1}
YML
tm new-session -d -s main -x 200 -y 30 \
	"env NO_COLOR=1 TERM=screen-256color $HEALTHTOP -c $T_DIR/ht.yml; sleep 60"
wait_screen "the dashboard is up" "Engine Gone"
wait_screen "the rows say engine unreachable" "beat .*engine unreachable"
capture
t_is "three rows say it" 3 "$(grep -c "engine unreachable" <(tail -n +2 "$SCREEN"))"
head -1 "$SCREEN" >"$T_DIR/header.txt"
t_contains "the header says where and why" "$T_DIR/header.txt" \
	"engine unreachable: cannot reach $SOCK: no such file or directory"
t_is "and only the header names the socket" 1 "$(grep -c "cannot reach" "$SCREEN")"
keys q
t_done
