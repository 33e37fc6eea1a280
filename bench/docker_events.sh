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
b_bg curl -sN --unix-socket "$SOCK" "http://d/v1.41/events?filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3D$P%22%5D%7D" -o "$B_TMP/events.json"
b_bg "$HEALTHTOP" --serve --log-format json -c "$B_TMP/ev.yml" >"$B_TMP/serve.json" 2>"$B_TMP/serve.err"
HT=$B_LAST_PID
lines() { grep -c "\"service\": *\"s1\"" "$B_TMP/serve.json" 2>/dev/null || echo 0; }
wait_lines() { # n: until s1 has n state lines
	local k=0
	until [ "$(lines)" -ge "$1" ]; do
		k=$((k + 1))
		[ $k -gt 1200 ] && { b_log "no state change for s1 after 60 s"; return 1; }
		sleep 0.05
	done
}
wait_lines 1 || exit 1
want=1
for r in $(seq 1 "$ROUNDS"); do
	podman kill "$P-s1-1" >>"$PLOG" 2>&1
	want=$((want + 1))
	wait_lines $want || exit 1
	podman start "$P-s1-1" >>"$PLOG" 2>&1
	want=$((want + 1))
	wait_lines $want || exit 1
done
cpu_ev=$(b_pid_cpu_us "$HT")
b_stop "$HT"
$PY - "$B_TMP/events.json" "$B_TMP/serve.json" "$P" >"$B_TMP/delays" <<'PYEOF'
import json, sys, datetime
evs = []
dec = json.JSONDecoder()
text = open(sys.argv[1]).read()
i = 0
while i < len(text):
    while i < len(text) and text[i] in " \r\n":
        i += 1
    if i >= len(text):
        break
    o, i = dec.raw_decode(text, i)
    if o.get("Actor", {}).get("Attributes", {}).get("com.docker.compose.service") != "s1":
        continue
    if o.get("Action") in ("die", "start"):
        evs.append((o["timeNano"] / 1e6, o["Action"]))
lines = []
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o.get("service") != "s1":
        continue
    t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    lines.append((t.timestamp() * 1000, o["state"]))
# Each die is followed by an unhealthy line, each start by a healthy one.
for t, a in evs:
    want = "unhealthy" if a == "die" else "healthy"
    after = [lt for lt, st in lines if lt >= t - 1 and st == want]
    if after:
        print("%s %.1f" % (a, min(after) - t))
PYEOF
ndel=$(wc -l <"$B_TMP/delays")
med=$(b_median 2 "$B_TMP/delays")
worst=$(awk '{print $2}' "$B_TMP/delays" | sort -g | tail -1)
b_row "$OUT" measure value detail
b_row "$OUT" "event to --serve line, median ms" "$med" "$ndel events (die and start), worst $worst ms, $NCTR containers"

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
