#!/bin/sh
# Runs every scenario, then renders the plots.
#
#   bench/deps.sh                 # once, as root: the peers
#   cmake -S . -B build && cmake --build build -j2
#   bench/run-all.sh [--runs N]   # ~30 minutes; results in bench/results/
#
# Extra arguments go to every scenario (--smoke for a quick pass).
# BENCHMARKS.md says what each measures and what it measured here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for s in sweep cpu_per_probe redis_celery stack idle_tui scale status_page scrape_load; do
	echo "== $s" >&2
	"$here/$s.sh" "$@" || { echo "== $s failed" >&2; rc=1; }
done
case " $* " in
*" --smoke "*) ;; # smoke results live in a temp dir: nothing to plot
*) "$here/plot.sh" ;;
esac
exit $rc
