#!/bin/sh
# tests/e2e/network_tm.sh — Tsodyks–Markram plasticity on a projection,
# compiled (tests/e2e/models/tm_train.msn): a 20 Hz train of 10 spikes and
# a recovery spike 500 ms later, depressing (U 0.5, tau_rec 800 ms) and
# facilitating (U 0.15, tau_rec 130 ms, tau_fac 530 ms) sets.  Required:
# the spike times are exact (1e-9 ms), and every release u R (an increment
# of the target state, weight 1) equals tests/data/tsodyks_markram.csv to
# 1e-9.
. "$SRCDIR/tests/e2e/lib.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/tm_train.msn" -o "$WORK/tm"
"$WORK/tm" --quiet --out "$WORK/o"
awk -F, 'NR > 1 && $2 == "pre" { print $1 }' "$WORK/o/spikes.csv" > "$WORK/t"
awk -F, 'NR > 1 { print $2 }' "$SRCDIR/tests/data/tsodyks_markram.csv" > "$WORK/tref"
d=$(max_abs_diff "$WORK/t" "$WORK/tref")
check "presynaptic spike times vs the reference train [ms]" "$d" "<=" 1e-9
# increments of the recorded x and y of post: trace columns named x*/y* of instance 1
hdr=$(head -1 "$WORK/o/trace.csv")
echo "trace columns: $hdr"
for set in x:5 y:10; do
  name=${set%%:*} col=${set##*:}
  c=$(echo "$hdr" | tr ',' '\n' | grep -n "^$name" | sed -n 2p | cut -d: -f1)
  awk -F, -v c="$c" 'NR > 1 { if (NR > 2 && $c != last) printf "%.17g\n", $c - last; last = $c }' "$WORK/o/trace.csv" > "$WORK/$name.inc"
  awk -F, -v c="$((col + 1))" 'NR > 1 { print $c }' "$SRCDIR/tests/data/tsodyks_markram.csv" > "$WORK/$name.ref"
  n=$(wc -l < "$WORK/$name.inc")
  check "releases of set $name" "$n" ">=" 11
  e=$(max_abs_diff "$WORK/$name.inc" "$WORK/$name.ref")
  check "max |u R - reference| of set $name (column $((col + 1)))" "$e" "<=" 1e-9
done
finish
