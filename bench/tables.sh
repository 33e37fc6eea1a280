#!/bin/sh
# Prints the result tables (bench/results/*.tsv) as Markdown, for
# BENCHMARKS.md.   bench/tables.sh [RESULTS_DIR]
set -eu
results=${1:-$(cd "$(dirname "$0")" && pwd)/results}
for t in sweep cpu_per_probe redis_celery idle_tui scale; do
	f=$results/$t.tsv
	[ -s "$f" ] || continue
	echo "### $t"
	echo
	awk -F '\t' '{
		line = "|"
		for (i = 1; i <= NF; i++) line = line " " $i " |"
		print line
		if (NR == 1) {
			line = "|"
			for (i = 1; i <= NF; i++) line = line " --- |"
			print line
		}
	}' "$f"
	echo
done
[ -s "$results/load.txt" ] && { echo '```'; cat "$results/load.txt"; echo '```'; }
exit 0
