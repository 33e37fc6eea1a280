#!/bin/bash
# An HTTP server sending a 200 KB response header: curl refuses headers
# past its own 100 KiB cap with CURLE_OUT_OF_MEMORY, which healthtop
# reported as "Out of memory". The message must say what happened. The
# server is a few lines of Python here: fixture_http has no endpoint that
# sends broken headers on purpose.
. "$(dirname "$0")/../lib.sh"

t_bg "$PY" -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200000 + b"\r\nContent-Length: 2\r\n\r\nok")
    except OSError:
        pass
    c.close()
' "$T_DIR/big.port"
t_wait_file "$T_DIR/big.port" 30 || t_fail "the big-header server did not start"
cat >"$T_DIR/h.yml" <<EOF2
services:
  big_header: {http: "http://127.0.0.1:$(cat "$T_DIR/big.port")/", timeout: 30s}
EOF2
chmod 600 "$T_DIR/h.yml"
"$HEALTHTOP" --once -c "$T_DIR/h.yml" >"$T_DIR/once.txt" 2>&1
t_contains "a 200 KB header is named as such" "$T_DIR/once.txt" \
	"big_header - UNHEALTHY: response headers too large (over curl's 100 KiB)"
t_lacks "not as the process running out of memory" "$T_DIR/once.txt" "Out of memory"
t_done
