# Renders the benchmark plots from the tables in bench/results/.
#   gnuplot -e "results='bench/results'; plots='bench/plots'" bench/plot.gp
# (bench/plot.sh does this.)
if (!exists("results")) results = "bench/results"
if (!exists("plots")) plots = "bench/plots"
set datafile separator "\t"
set terminal pngcairo size 900,560 font "sans,11" noenhanced
set grid

# Scenario 1: sweep wall time against the number of targets.
set output plots."/sweep.png"
set title "One sweep of N HTTP targets, each answering after 50 ms (median wall time)"
set xlabel "targets (N)"
set ylabel "wall time of one sweep (ms)"
set logscale xy
set xrange [7:1400]
set key top left
f = results."/sweep.tsv"
# the rows of one contender (a filter, so that the lines join up)
rows(name) = sprintf("< awk -F '\t' '$2 == \"%s\"' %s", name, f)
plot rows("healthtop") using 1:3 with linespoints lw 3 pt 7 title "healthtop --once", \
     rows("blackbox") using 1:3 with linespoints lw 2 pt 5 title "blackbox_exporter, N parallel requests", \
     rows("check_http-16") using 1:3 with linespoints lw 2 pt 9 title "check_http, xargs -P 16", \
     rows("curl-seq") using 1:3 with linespoints lw 2 pt 11 title "sequential curl (seed script)", \
     50 with lines dt 2 lc rgb "gray40" title "50 ms floor", \
     150 with lines dt 3 lc rgb "red" title "target for N = 1000: 150 ms"

# Scenario 2: CPU per probe, a bar each.
if (system("test -s ".results."/cpu_per_probe.tsv && echo y") eq "y") {
    set output plots."/cpu_per_probe.png"
    set title "User + system CPU per HTTP probe of a local nginx (median, log scale)"
    unset logscale x
    set logscale y
    set autoscale x
    set yrange [1:*]
    set xlabel ""
    set ylabel "CPU per probe (µs)"
    set style fill solid 0.7
    set boxwidth 0.6
    set xtics rotate by -25
    unset key
    plot results."/cpu_per_probe.tsv" every ::1 using 0:2:xtic(1) with boxes lc rgb "steelblue", \
         "" every ::1 using 0:2:(sprintf("%.1f", $2)) with labels offset 0,0.8
}
