#!/bin/bash
# healthtop lint's cost: its own work in memory (bench_lint: parse,
# interpolate, merge, lint) for examples/e2i/before (12 services) and a
# generated project of 500 services, then the whole process
# (`healthtop lint -f FILE`, exec and library loading included) through
# bench_runstat, median of 21 runs each, beside `healthtop --version`
# (the cost of starting the binary and doing nothing). Targets (issue 11): 12 services
# under 5 ms of CPU, 500 under 100 ms.
#
#   bench/lint.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:-build}
HT=$B/healthtop
E2I=examples/e2i/before/docker-compose.yml
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$B/bench/bench_lint" "$E2I" 500 21 || exit 1

# The same generated shape as bench_lint, as a file for the binary.
/usr/bin/python3 - "$T/big.yml" <<'PY'
import sys
out = ["name: big", "x-hc: &hc", "  interval: 10s", "  timeout: 5s", "  retries: 5", "services:"]
for i in range(500):
    out += [f"  svc{i}:", f'    image: "registry/svc{i}:${{TAG:-latest}}"',
            "    restart: unless-stopped", f'    ports: ["{10000 + i}:{8000 + i % 100}"]',
            "    healthcheck:", "      <<: *hc",
            f'      test: [CMD, curl, -f, "http://localhost:{8000 + i % 100}/health"]']
    if i > 0:
        out.append("    depends_on:")
        for d in range(1, 4):
            if i - d >= 0:
                c = "service_started" if (i + d) % 7 == 0 else "service_healthy"
                out.append(f"      svc{i - d}: {{condition: {c}}}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

# "--version" is the baseline: the cost of starting the binary at all.
for f in --version "$E2I" "$T/big.yml"; do
	: >"$T/runs"
	for _ in $(seq 21); do
		if [ "$f" = --version ]; then
			"$B/bench/bench_runstat" -o "$T/one" -- "$HT" --version >/dev/null
		else
			"$B/bench/bench_runstat" -o "$T/one" -- "$HT" lint -f "$f" >/dev/null
		fi
		cat "$T/one" >>"$T/runs"
	done
	# wall_us user_us sys_us maxrss_kb exit: the median of user+sys.
	awk '{print $2 + $3, $1, $4}' "$T/runs" | sort -n |
		awk -v f="$(basename -- "$f")" '{c[NR]=$1; w[NR]=$2; r[NR]=$3}
		END {m=int((NR+1)/2); printf "process  %-20s CPU median %6.0f us  wall %6.0f us  maxrss %d KiB (%d runs)\n", f, c[m], w[m], r[m], NR}'
done
