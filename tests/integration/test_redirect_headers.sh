#!/bin/bash
# follow_redirects keeps the configured headers for the origin they were
# written for: a redirect to the same scheme, host and port still carries
# X-Api-Key, one to another port does not (curl, left to follow redirects
# itself, sent it to any host). fixture_http's /header?name=H echoes the
# header back, or answers 404 when the request had none.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C.UTF-8

t_fixture_http
A=$FIX_PORT
t_fixture_http
B=$FIX_PORT
cat >"$T_DIR/r.yml" <<EOF2
services:
  same_origin:
    timeout: 30s
    http:
      url: "http://127.0.0.1:$A/redirect?to=%2Fheader%3Fname%3DX-Api-Key"
      headers: {X-Api-Key: "k3y-value-42"}
      follow_redirects: true
  other_origin:
    timeout: 30s
    http:
      url: "http://127.0.0.1:$A/redirect?to=http%3A%2F%2F127.0.0.1%3A$B%2Fheader%3Fname%3DX-Api-Key"
      headers: {X-Api-Key: "k3y-value-42"}
      follow_redirects: true
  not_followed:
    timeout: 30s
    http:
      url: "http://127.0.0.1:$A/redirect?to=http%3A%2F%2F127.0.0.1%3A$B%2Fok"
      status: [302]
EOF2
chmod 600 "$T_DIR/r.yml"
"$HEALTHTOP" --once -c "$T_DIR/r.yml" >"$T_DIR/once.txt" 2>&1
t_contains "same origin: the header goes along (HTTP 200 from /header)" "$T_DIR/once.txt" \
	"same_origin - HEALTHY"
t_contains "other origin: the header is dropped (/header answers 404)" "$T_DIR/once.txt" \
	"other_origin - UNHEALTHY: HTTP 404"
t_contains "without follow_redirects the 302 is the answer" "$T_DIR/once.txt" \
	"not_followed - HEALTHY"
t_lacks "the header's value is never printed" "$T_DIR/once.txt" "k3y-value-42"
t_done
