#!/bin/sh
# tests/e2e/hh_spikes.sh — the Hodgkin–Huxley neuron against SciPy.
# Reference: tests/data/hh_single_spikes.csv (copied from the shared
# validation set, validation/hh_single_spikes.csv): LSODA at 1e-10, 7 spikes.
# Brian2's exponential Euler is 0.47 ms off at dt = 0.01 ms; we require
#   dt 0.025 ms: every spike within 0.05 ms;  dt 0.01 ms: within 0.02 ms;
#   observed order of convergence between dt 0.04 and 0.01 ms >= 1.8;
#   rk45: within 0.005 ms; rk4 at dt 0.01 ms: within 1e-4 ms (Brian2 rk4: 1.7e-5 ms).
. "$SRCDIR/tests/e2e/lib.sh"

awk -F, 'NR > 1 { print $2 }' "$SRCDIR/tests/data/hh_single_spikes.csv" > "$WORK/ref"
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"

run() { # NAME ARGS...: run and extract the spike times of instance 0
  name=$1; shift
  "$WORK/hh" --quiet --out "$WORK/$name" "$@"
  spikes_of "$WORK/$name" > "$WORK/$name.t"
}

run dt025 --dt 0.025ms
n=$(wc -l < "$WORK/dt025.t")
check "spike count at dt 0.025 ms" "$n" ">=" 7
check "spike count at dt 0.025 ms" "$n" "<=" 7
e025=$(max_abs_diff "$WORK/dt025.t" "$WORK/ref")
check "max spike-time error at dt 0.025 ms [ms]" "$e025" "<=" 0.05

run dt010 --dt 0.01ms
e010=$(max_abs_diff "$WORK/dt010.t" "$WORK/ref")
check "max spike-time error at dt 0.01 ms [ms]" "$e010" "<=" 0.02

run dt040 --dt 0.04ms
e040=$(max_abs_diff "$WORK/dt040.t" "$WORK/ref")
order=$(awk -v a="$e040" -v b="$e010" 'BEGIN { printf "%.3f\n", log(a / b) / log(4) }')
echo "errors: dt 0.04 -> $e040 ms, 0.025 -> $e025 ms, 0.01 -> $e010 ms; order $order"
check "order of convergence (dt 0.04 -> 0.01 ms)" "$order" ">=" 1.8

run rk45 --method rk45
e45=$(max_abs_diff "$WORK/rk45.t" "$WORK/ref")
check "max spike-time error with rk45 [ms]" "$e45" "<=" 0.005

run rk4 --method rk4 --dt 0.01ms
e4=$(max_abs_diff "$WORK/rk4.t" "$WORK/ref")
check "max spike-time error with rk4 at dt 0.01 ms [ms]" "$e4" "<=" 0.0001

finish
