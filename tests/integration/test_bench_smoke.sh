#!/bin/bash
# The benchmark scripts at their smallest size (--smoke), so that they
# cannot rot: each must run to the end and write its table with
# healthtop's row in it. Peers that are not installed are skipped by the
# scripts themselves (the test suite's dependencies do not include them),
# and the dashboard scenarios skip themselves while the binary has no
# dashboard. Figures are not checked: this is not the benchmark.
. "$(dirname "$0")/../lib.sh"

B=$HT_SOURCE_DIR/bench
export HT_BUILD_DIR HEALTHTOP HT_FIXTURE_DIR
: "${HT_BUILD_DIR:=$(dirname "$HEALTHTOP")}"

smoke() { # script, table, row that must be there (or "" when it may skip)
	local out=$T_DIR/$1${HT_BENCH_PEERS:+-no-peers} start=$SECONDS what="$1.sh --smoke"
	[ -n "${HT_BENCH_PEERS:-}" ] && what="$what (HT_BENCH_PEERS=$HT_BENCH_PEERS)"
	if ! "$B/$1.sh" --smoke --out "$out" >"$T_DIR/$1.log" 2>&1; then
		t_fail "$what: expected exit 0; it failed, saying:"
		sed 's/^/    /' "$T_DIR/$1.log"
		return
	fi
	t_ok "$what exits 0 ($((SECONDS - start)) s)"
	if grep -q "skip: this healthtop has no dashboard" "$T_DIR/$1.log"; then
		t_ok "$1.sh: skipped without a dashboard, as it should"
	elif [ -n "$3" ]; then
		if grep -q "$3" "$out/$2" 2>/dev/null; then t_ok "$what: $2 has '$3'"; else
			t_fail "$1.sh: expected '$3' in $2; it lacks it. The run said:"
			sed 's/^/    /' "$T_DIR/$1.log"
		fi
	fi
}

smoke sweep sweep.tsv $'10\thealthtop\t'
smoke cpu_per_probe cpu_per_probe.tsv $'healthtop-reuse\t'
smoke redis_celery redis_celery.tsv $'healthtop-redis\t'
smoke idle_tui idle_tui.tsv $'healthtop\t'
smoke scale scale.tsv "key to screen"
smoke status_page status_page.tsv $'100\t'
smoke scrape_load scrape_load.tsv $'100\t'
if command -v podman >/dev/null && command -v runc >/dev/null && [ -x /bin/busybox ]; then
	smoke docker_events docker_events.tsv "event (engine's time) to --serve line"
fi
# The paths taken on a machine without the peers (nginx, check_http,
# blackbox_exporter, wrk), whatever this one has installed.
HT_BENCH_PEERS=none smoke sweep sweep.tsv $'10\thealthtop\t'
HT_BENCH_PEERS=none smoke cpu_per_probe cpu_per_probe.tsv $'healthtop-fresh\t'
# The alert storm at 100 changes: every change reached the engine.
smoke alerts alerts.txt "^changes: 100$"
t_check "the plot script renders or says why not" "$B/plot.sh" "$T_DIR/sweep" "$T_DIR/plots"

t_done
