#!/bin/sh
# Renders bench/plots/*.png from bench/results/*.tsv with gnuplot.
#   bench/plot.sh [RESULTS_DIR] [PLOTS_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
results=${1:-$here/results}
plots=${2:-$here/plots}
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot: gnuplot is not installed (bench/deps.sh installs gnuplot-nox); no plots" >&2
	exit 0
fi
[ -s "$results/sweep.tsv" ] || { echo "plot: no $results/sweep.tsv yet (bench/sweep.sh)" >&2; exit 0; }
mkdir -p "$plots"
gnuplot -e "results='$results'; plots='$plots'" "$here/plot.gp"
echo "plot: $(ls "$plots"/*.png | tr '\n' ' ')" >&2
