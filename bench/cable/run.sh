#!/bin/sh
# bench/cable/run.sh — cable throughput (`make bench-cable`; never part of
# `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/cable/run.sh
#
# Builds bench/cable/cable_bench.msn (1,000 cells x 200 compartments, HH
# everywhere, f64, one thread, 800 steps) and the same cell alone
# (`instances 1`, 160,000 steps: a fifth of the work, long enough for a
# CPU time that /usr/bin/time resolves to 1 %; no
# interleaving across cells), checks that the cell fires and that the
# action potential reaches the dendrite's end, then runs both in turn
# BENCH_ROUNDS (5) times.  Per round it reads run.json: the time loop's
# two phases (channels: current kernels, their sum and the state updates;
# Hines: assembly, tree solve, V update), each summed over steps by the
# program's own monotonic clock, and the whole wall time; and the process's
# CPU time (user + system, /usr/bin/time) to show how much of the wall time
# the shared machine took away.  All per compartment-step:
# time / (cells x 200 x steps).  Prints medians [min, max] with the load
# average, and the ratio one cell / 1000 cells computed per round, and
# writes a copy to $BUILDDIR/bench-cable-results.txt.
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
ROUNDS=${BENCH_ROUNDS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-bench-cable.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$BUILDDIR/bench-cable-results.txt"
export MSN_STDLIB="$SRCDIR/stdlib"
SRC="$SRCDIR/bench/cable/cable_bench.msn"

die() { echo "bench-cable: $*" >&2; exit 1; }
json() { sed -n "s/^ *\"$1\": *\([-0-9.eE+]*\),*\$/\1/p" "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s\n", lo, hi }'; }

echo "bench-cable: building in $WORK" >&2
"$MSNC" build "$SRC" -o "$WORK/many" || die "msnc build cable_bench.msn failed"
sed -e 's/^  instances 1000$/  instances 1/' -e 's/^  duration 20 ms$/  duration 4000 ms/' "$SRC" > "$WORK/one.msn"
grep -q 'instances 1$' "$WORK/one.msn" && grep -q 'duration 4000 ms' "$WORK/one.msn" || die "cannot make the one-cell model"
"$MSNC" build "$WORK/one.msn" -o "$WORK/one" || die "msnc build of the one-cell model failed"
# the check model: one cell recording the soma and the dendrite's end
sed -e 's/^  instances 1000$/  instances 1/' \
    -e 's/^  dt 0.025 ms$/  dt 0.025 ms\n  record V@soma(0.5), V@dend(1) every 0.025 ms/' "$SRC" > "$WORK/check.msn"
"$MSNC" run "$WORK/check.msn" --out "$WORK/check" --quiet || die "the check model failed"
set -- $(awk -F, 'NR > 2 && p < 0 && $2 >= 0 { s++ } NR > 2 && q < 0 && $3 >= 0 { d++ }
                  NR > 1 { p = $2; q = $3 } END { print s + 0, d + 0 }' "$WORK/check/trace.csv")
[ "$1" -ge 1 ] && [ "$2" -ge 1 ] || die "the cell does not fire (soma $1, dendrite end $2 spikes): the benchmark would be idle"
echo "bench-cable: in 20 ms the soma fires $1 times, the dendrite's end sees $2 spikes" >&2

# run NAME CELLS STEPS: one timed run, appends "loop channels hines wall cpu" (ns per compartment-step)
run() {
  /usr/bin/time -f '%U %S' -o "$WORK/time_$1" "$WORK/$1" --quiet --out "$WORK/out_$1" || die "$1 failed"
  work=$(($2 * 200 * $3))
  tc=$(json time_channels_s "$WORK/out_$1/run.json")
  th=$(json time_hines_s "$WORK/out_$1/run.json")
  wall=$(json wall_time_s "$WORK/out_$1/run.json")
  awk -v w="$work" -v c="$tc" -v h="$th" -v a="$wall" '{ printf "%.4g %.4g %.4g %.4g %.4g\n",
      (c + h) / w * 1e9, c / w * 1e9, h / w * 1e9, a / w * 1e9, ($1 + $2) / w * 1e9 }' "$WORK/time_$1" >> "$WORK/$1.rounds"
}
load0=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
  echo "bench-cable: round $r of $ROUNDS" >&2
  run many 1000 800
  run one 1 160000
done
load1=$(cut -d' ' -f1 /proc/loadavg)
# per round: one cell / 1000 cells (the two ran back to back), CPU time and time loop
paste -d' ' "$WORK/one.rounds" "$WORK/many.rounds" |
  awk '{ printf "%.4g %.4g\n", $5 / $10, $1 / $6 }' > "$WORK/ratio.rounds"

# cell COLUMN FILE: "median [min, max]"
cell() {
  m=$(cut -d' ' -f"$1" "$2" | median)
  set -- $(cut -d' ' -f"$1" "$2" | minmax)
  printf "%.3g [%.3g, %.3g]" "$m" "$1" "$2"
}
{
  echo "cable throughput, ns per compartment-step, median [min, max] of $ROUNDS rounds"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $load0 before, $load1 after;" \
       "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs"
  echo ""
  echo "| | 1000 cells x 200 (interleaved) | 1 cell x 200 |"
  echo "|---|---|---|"
  echo "| time loop (channels + Hines) | $(cell 1 "$WORK/many.rounds") | $(cell 1 "$WORK/one.rounds") |"
  echo "| channels (currents + states) | $(cell 2 "$WORK/many.rounds") | $(cell 2 "$WORK/one.rounds") |"
  echo "| Hines (assemble, solve, update V) | $(cell 3 "$WORK/many.rounds") | $(cell 3 "$WORK/one.rounds") |"
  echo "| wall time of the run | $(cell 4 "$WORK/many.rounds") | $(cell 4 "$WORK/one.rounds") |"
  echo "| CPU time of the process | $(cell 5 "$WORK/many.rounds") | $(cell 5 "$WORK/one.rounds") |"
  echo ""
  echo "1 cell / 1000 cells per round, CPU time: $(cell 1 "$WORK/ratio.rounds"); time loop: $(cell 2 "$WORK/ratio.rounds")"
  echo ""
  echo "goal: <= 30 ns per compartment-step (CoreNEURON ~49 ns, NEURON ~65 ns on one core)"
} | tee "$OUT"
