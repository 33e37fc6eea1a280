#!/bin/bash
# Docker rows from the engine's event stream, against Podman's real API
# service (`podman system service`, runc, a busybox image imported
# locally):
#
#   bench/docker_events.sh [--smoke] [--out DIR]
#
# 1. Event to state change: a project of NCTR containers (one a compose
#    service, no healthcheck), healthtop --serve --log-format json on it
#    with every row's interval at 10 minutes (only events move a row).
#    ROUNDS times: `podman kill` one container, wait for its row's
#    unhealthy line, `podman start` it, wait for healthy. A curl follows
#    the same /events stream and keeps each event's timeNano; the delay is
#    the --serve line's time (ms) minus the event's (the engine's clock,
#    the same host). Median and worst of the die and start events.
# 2. CPU of watching: healthtop --serve for SECS seconds, user+sys from
#    /proc, on NCTR docker rows at interval 1s (one listing a round for
#    all, the event stream open) and on NCTR HTTP rows at interval 1s
#    against fixture_http.
# Output: $OUT/docker_events.tsv
set -u
. "$(dirname "$0")/lib.sh"

NCTR=50 ROUNDS=21 SECS=60
if [ "$B_SMOKE" = 1 ]; then NCTR=5 ROUNDS=3 SECS=3; fi
OUT=$B_OUT/docker_events.tsv
rm -f "$OUT"
b_machine "$B_OUT/machine.txt"

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
	b_log "podman, runc or busybox-static missing: nothing measured"
	exit 0
fi
P=htbev$$
IMG=localhost/healthtop-bench-busybox:latest
PLOG=$B_TMP/podman.log
cat >"$B_TMP/containers.conf" <<'EOF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF
export CONTAINERS_CONF=$B_TMP/containers.conf
cleanup() {
	podman ps -aq --filter "label=com.docker.compose.project=$P" | xargs -r podman rm -f -t 0 >>"$PLOG" 2>&1
	podman rmi "$IMG" >>"$PLOG" 2>&1
	b_cleanup
}
trap cleanup EXIT

mkdir -p "$B_TMP/rootfs/bin" && cp /bin/busybox "$B_TMP/rootfs/bin/" &&
	for c in sh sleep; do ln -sf busybox "$B_TMP/rootfs/bin/$c"; done &&
	tar -C "$B_TMP/rootfs" -cf "$B_TMP/rootfs.tar" . && podman import "$B_TMP/rootfs.tar" "$IMG" >>"$PLOG" 2>&1 ||
	{ b_log "podman import failed (see $PLOG)"; exit 1; }
b_log "starting $NCTR containers"
for i in $(seq 1 "$NCTR"); do
	podman run -d --name "$P-s$i-1" --label "com.docker.compose.project=$P" \
		--label "com.docker.compose.service=s$i" "$IMG" /bin/sleep 36000 >>"$PLOG" 2>&1 ||
		{ b_log "podman run failed (see $PLOG)"; exit 1; }
done
SOCK=$B_TMP/podman.sock
b_bg podman system service --time=0 "unix://$SOCK"
n=0
until [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://d/_ping -o /dev/null; do
	n=$((n + 1))
	[ $n -gt 600 ] && { b_log "the API service did not start"; exit 1; }
	sleep 0.05
done

config() { # file interval kind
	{
		printf 'services:\n'
		for i in $(seq 1 "$NCTR"); do
			if [ "$3" = docker ]; then
				printf '  s%d:\n    docker: {service: s%d, project: %s, socket: %s}\n' "$i" "$i" "$P" "$SOCK"
			else
				printf '  s%d:\n    http: "http://127.0.0.1:%s/ok"\n' "$i" "$FIX_PORT"
			fi
			printf '    interval: %s\n    retries: 1\n' "$2"
		done
	} >"$1"
}

# 1. Event to state change.
config "$B_TMP/ev.yml" 10m docker
# Another client of the same stream: when each event reached it.
cat >"$B_TMP/follow.py" <<'PYEOF'
import http.client, json, socket, sys, time, urllib.parse
class U(http.client.HTTPConnection):
    def __init__(s): super().__init__("d")
    def connect(s):
        s.sock = socket.socket(socket.AF_UNIX)
        s.sock.connect(sys.argv[1])
f = urllib.parse.quote(json.dumps({"label": ["com.docker.compose.project=" + sys.argv[2]]}))
c = U()
c.request("GET", "/v1.41/events?filters=" + f)
r = c.getresponse()
while True:
    l = r.readline()
    if not l:
        break
    e = json.loads(l)
    svc = e.get("Actor", {}).get("Attributes", {}).get("com.docker.compose.service")
    print("%.1f\t%.1f\t%s\t%s" % (time.time() * 1000, e["timeNano"] / 1e6, e.get("Action"), svc))
PYEOF
b_bg $PY -u "$B_TMP/follow.py" "$SOCK" "$P" >"$B_TMP/events.tsv"
LPORT=$(b_free_port)
b_bg "$HEALTHTOP" --serve --log-format json --listen "127.0.0.1:$LPORT" -c "$B_TMP/ev.yml" \
	>"$B_TMP/serve.json" 2>"$B_TMP/serve.err"
HT=$B_LAST_PID
lines() {
	local n
	n=$(grep -c "\"service\": *\"s1\"" "$B_TMP/serve.json" 2>/dev/null)
	echo "${n:-0}"
}
wait_lines() { # n: until s1 has n state lines
	local k=0
	until [ "$(lines)" -ge "$1" ]; do
		k=$((k + 1))
		[ $k -gt 1200 ] && { b_log "no state change for s1 after 60 s"; return 1; }
		sleep 0.05
	done
}
# The latency of s1's last probe: the listing that followed the event.
s1_latency() {
	curl -s "http://127.0.0.1:$LPORT/api/v1/state" | $PY -c '
import json, sys
print({s["name"]: s for s in json.load(sys.stdin)["services"]}["s1"]["latency_ms"])' >>"$B_TMP/lat"
}
wait_lines 1 || exit 1
want=1
for r in $(seq 1 "$ROUNDS"); do
	podman kill "$P-s1-1" >>"$PLOG" 2>&1
	want=$((want + 1))
	wait_lines $want || exit 1
	s1_latency
	podman start "$P-s1-1" >>"$PLOG" 2>&1
	want=$((want + 1))
	wait_lines $want || exit 1
	s1_latency
done
cpu_ev=$(b_pid_cpu_us "$HT")
b_stop "$HT"
$PY - "$B_TMP/events.tsv" "$B_TMP/serve.json" >"$B_TMP/delays" <<'PYEOF'
import json, sys, datetime
evs = []
for l in open(sys.argv[1]):
    recv, t, action, svc = l.rstrip("\n").split("\t")
    if svc == "s1" and action in ("die", "start"):
        evs.append((float(t), float(recv), action))
lines = []
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o.get("service") != "s1":
        continue
    t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    lines.append((t.timestamp() * 1000, o["state"]))
# Each die is followed by an unhealthy line, each start by a healthy one:
# from the engine's time of the event, and from when the other client
# got it (the engine's own delivery left out, roughly: each stream is
# served on its own).
for t, recv, a in evs:
    want = "unhealthy" if a == "die" else "healthy"
    after = [lt for lt, st in lines if lt >= t - 1 and st == want]
    if after:
        print("%s %.1f %.1f %.1f" % (a, min(after) - t, recv - t, min(after) - recv))
PYEOF
ndel=$(wc -l <"$B_TMP/delays")
med=$(b_median 2 "$B_TMP/delays")
worst=$(awk '{print $2}' "$B_TMP/delays" | sort -g | tail -1)
deliv=$(b_median 3 "$B_TMP/delays")
after=$(b_median 4 "$B_TMP/delays")
b_row "$OUT" measure value detail
b_row "$OUT" "event (engine's time) to --serve line, median ms" "$med" "$ndel events (die and start), worst $worst ms, $NCTR containers"
b_row "$OUT" "event (engine's time) to another client, median ms" "$deliv" "the engine's own delivery"
b_row "$OUT" "event at another client to --serve line, median ms" "$after" "each stream is served apart: not healthtop's part"
b_row "$OUT" "the listing after the event, median ms" "$(b_median 1 "$B_TMP/lat")" "s1's probe latency after each change (healthtop's part)"
cp "$B_TMP/delays" "$B_OUT/docker_events.delays"
cp "$B_TMP/events.tsv" "$B_TMP/serve.json" "$B_OUT/"

# 2. CPU of watching NCTR docker rows vs NCTR HTTP rows, interval 1s.
b_fixture_http 1 0 || exit 1
config "$B_TMP/dk.yml" 1s docker
config "$B_TMP/http.yml" 1s http
for kind in dk http; do
	"$HEALTHTOP" --serve -c "$B_TMP/$kind.yml" >"$B_TMP/$kind.out" 2>&1 &
	HT=$!
	B_PIDS="$B_PIDS $HT"
	sleep 3 # warm-up: the first rounds and the stream's connect
	c0=$(b_pid_cpu_us "$HT")
	sleep "$SECS"
	c1=$(b_pid_cpu_us "$HT")
	b_stop "$HT"
	pct=$(awk -v a="$c0" -v b="$c1" -v s="$SECS" 'BEGIN {printf "%.2f", (b - a) / (s * 10000)}')
	b_row "$OUT" "CPU, $NCTR $kind rows at 1s, % of a core" "$pct" "$SECS s, user+sys of healthtop"
done
b_log "load average before: $B_LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
