#!/bin/sh
# tests/e2e/jansen_rit.sh — the Jansen–Rit column (stdlib/jansen_rit.msn, run
# through examples/jansen_rit.msn) against SciPy.
# Reference: tests/data/rate_models.csv, copied from the shared validation set
# (validation/populations.md): with the standard constants, v0 = 6 mV and
# p = 220 Hz, y1 - y2 oscillates at 10.938 Hz in [6.088, 9.035] mV.
# The transient is long (about 10 s to reach the cycle within 1e-3 mV), so
# we simulate 20 s and measure after 10 s.  We require, with rk4 at dt 0.1 ms
# and heun at dt 0.5 ms:
#   the frequency of y1 - y2 (upward crossings of its mean level,
#   interpolated) within 1 % of 10.938 Hz;
#   its minimum and maximum within 1 % of 6.088 and 9.035 mV.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/rates_lib.sh"

"$MSNC" build "$SRCDIR/examples/jansen_rit.msn" -o "$WORK/jr"
for run in "rk4 0.1" "heun 0.5"; do
  set -- $run
  "$WORK/jr" --quiet --out "$WORK/$1" --method "$1" --dt "$2ms" --duration 20s --record-every 1ms
  tr=$WORK/$1/trace.csv
  # columns: t, y0, y1, y2
  p=$(period "$tr" 3 4 10000)
  f=$(awk -v p="$p" 'BEGIN { printf "%.6g\n", 1000 / p }')
  echo "$1 at dt $2 ms: alpha rhythm at $f Hz (reference $(ref jr_freq) Hz)"
  check "$1: frequency of y1 - y2, relative error" "$(relerr "$f" "$(ref jr_freq)")" "<=" 0.01
  check "$1: min of y1 - y2, relative error" "$(relerr "$(extremum "$tr" 3 4 10000 min)" "$(ref jr_y12_min)")" "<=" 0.01
  check "$1: max of y1 - y2, relative error" "$(relerr "$(extremum "$tr" 3 4 10000 max)" "$(ref jr_y12_max)")" "<=" 0.01
done
if head -1 "$WORK/rk4/trace.csv" | grep -q '^t \[ms\],y0 \[mV\],y1 \[mV\],y2 \[mV\]$'; then
  pass "trace.csv columns: t [ms],y0 [mV],y1 [mV],y2 [mV]"
else
  fail "trace.csv columns: $(head -1 "$WORK/rk4/trace.csv")"
fi

finish
