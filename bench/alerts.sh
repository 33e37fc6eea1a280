#!/bin/bash
# Alert storm: 1,000 state changes in one second through the alert engine.
#
#   bench/alerts.sh [--smoke] [--runs N] [--out DIR]
#
# bench_alerts (bench/alerts_storm.c) sets up the scheduler of a config of
# 1,000 services in stacks of ten (a root and nine services depending on
# it) as the binary does, without probing, and makes every service go
# from healthy to unhealthy over one second, handing each change to the
# observers as the scheduler does. Two routes take them: a webhook (a
# python3 sink answering 200, started here) grouping by root cause, and an
# Alertmanager that is down (a refused port, root_cause: false, so that
# all 1,000 notifications queue and are retried). Measured, median over
# the rounds: healthtop's own CPU (user + sys of the process) from the
# first change to a second after the last, the longest queue seen against
# its bound, and the drops. Target: under 50 ms of CPU, the queue bounded.
. "$(dirname "$0")/lib.sh"

BIN=$B_BENCH_BIN/bench_alerts
[ -x "$BIN" ] || { echo "alerts.sh: $BIN is not built (cmake --build build)" >&2; exit 2; }

cat >"$B_TMP/sink.py" <<'PY'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
b_bg "$PY" "$B_TMP/sink.py" "$B_TMP/sink.port"
b_wait_file "$B_TMP/sink.port" 20 || exit 1
SINK=http://127.0.0.1:$(cat "$B_TMP/sink.port")/hook
# A refused port: bound, never listening, held for the run.
b_bg "$PY" -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)' "$B_TMP/down.port"
b_wait_file "$B_TMP/down.port" 20 || exit 1
DOWN=$(cat "$B_TMP/down.port")

n=1000
[ "$B_SMOKE" = 1 ] && n=100
b_machine "$B_OUT/alerts.machine"
: >"$B_OUT/alerts.raw"
for r in $(seq "$B_RUNS"); do
	"$BIN" -w "$SINK" -a "http://127.0.0.1:$DOWN" -n "$n" -d 1000 >>"$B_OUT/alerts.raw" ||
		{ echo "alerts.sh: bench_alerts failed" >&2; exit 1; }
	b_log "round $r: $(tail -1 "$B_OUT/alerts.raw")"
done
# changes passes cpu_ms peak_queue queue_max dropped webhook_ok am_failed
{
	echo "alert storm: $n changes in 1 s, $B_RUNS rounds (median)"
	echo "changes: $(b_median 1 "$B_OUT/alerts.raw")"
	echo "passes: $(b_median 2 "$B_OUT/alerts.raw")"
	echo "cpu_ms: $(b_median 3 "$B_OUT/alerts.raw")"
	echo "peak_queue: $(b_median 4 "$B_OUT/alerts.raw") of $(b_median 5 "$B_OUT/alerts.raw")"
	echo "dropped: $(b_median 6 "$B_OUT/alerts.raw")"
	echo "webhook deliveries: $(b_median 7 "$B_OUT/alerts.raw")"
	echo "failed alertmanager deliveries: $(b_median 8 "$B_OUT/alerts.raw")"
	echo "load before: $B_LOAD0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$B_OUT/alerts.txt"
