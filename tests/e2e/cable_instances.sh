#!/bin/sh
# tests/e2e/cable_instances.sh — `simulate { instances N }` on a cable cell:
# N identical copies share one discretised tree and run interleaved in
# groups of 16 (runtime/rt_cable_run.c).  tests/e2e/models/cable_instances.msn
# (a ball and stick with HH everywhere that fires) with 20 copies, a group
# of 16 and one of 4:
#   every copy's V@soma(0.5) and V@dend(1) equals the single-cell run of the
#   same model within 1e-9 mV (the same arithmetic, lane by lane);
#   the columns are named V@SEC(x)[i] [mV] (DESIGN's output contract);
#   `vary I0` gives each copy its own stimulus: copies 0, 10 and 19 equal
#   single-cell runs with their amplitudes, and they differ;
#   run.json reports the instances and the time of the channel and Hines
#   phases, both positive and together no longer than the whole run.
. "$SRCDIR/tests/e2e/lib.sh"
M="$SRCDIR/tests/e2e/models/cable_instances.msn"

"$MSNC" run "$M" --out "$WORK/many" --quiet
sed 's/^  instances 20$/  instances 1/' "$M" > "$WORK/one.msn"
"$MSNC" run "$WORK/one.msn" --out "$WORK/one" --quiet

head -1 "$WORK/many/trace.csv" | tr , '\n' > "$WORK/cols"
ncol=$(wc -l < "$WORK/cols")
check "columns: t + 2 locations x 20 cells" "$ncol" ">=" 41
check "columns: no more than 41" "$ncol" "<=" 41
sed -n 2p "$WORK/cols" | grep -qx 'V@soma(0.5)\[0\] \[mV\]' && sed -n 41p "$WORK/cols" | grep -qx 'V@dend(1)\[19\] \[mV\]' &&
  pass "column names V@soma(0.5)[0] [mV] ... V@dend(1)[19] [mV]" || fail "column names: $(head -1 "$WORK/many/trace.csv" | cut -c1-200)"

# the single cell fires (otherwise the comparison is weak)
spk=$(awk -F, 'NR > 2 && p < 0 && $2 >= 0 { n++ } NR > 1 { p = $2 } END { print n + 0 }' "$WORK/one/trace.csv")
check "spikes of the single cell at the soma" "$spk" ">=" 2
d=$(awk -F, 'NR == FNR { if (FNR > 1) { s[FNR] = $2; e[FNR] = $3 }; next }
             FNR > 1 { for (c = 0; c < 20; c++) {
                         x = $(2 + c) - s[FNR]; y = $(22 + c) - e[FNR]; if (x < 0) x = -x; if (y < 0) y = -y
                         if (x > m) m = x; if (y > m) m = y } ; rows++ }
             END { if (rows < 250) m = 1e9; printf "%.3g", m }' "$WORK/one/trace.csv" "$WORK/many/trace.csv")
check "every copy equals the single cell: max |dV|, mV" "$d" "<=" 1e-9

# vary the stimulus: copy i gets I0 = 0.1 + 0.02 i nA; copies 0, 10 and 19
# equal single-cell runs with 0.1, 0.3 and 0.48 nA (within 1e-6 mV: the
# vary values are computed, the literals parsed), and the copies differ
sed 's/^  instances 20$/  instances 20\
  vary I0 from 0.1 nA to 0.48 nA/' "$M" > "$WORK/vary.msn"
"$MSNC" run "$WORK/vary.msn" --out "$WORK/vary" --quiet
for pair in "0 0.1" "10 0.3" "19 0.48"; do
  set -- $pair
  sed -e 's/^  instances 20$/  instances 1/' -e "s/stimulus I0 = 0.3 nA/stimulus I0 = $2 nA/" "$M" > "$WORK/a$1.msn"
  "$MSNC" run "$WORK/a$1.msn" --out "$WORK/a$1" --quiet
  d=$(awk -F, -v c="$1" 'NR == FNR { if (FNR > 1) { s[FNR] = $2; e[FNR] = $3 }; next }
                         FNR > 1 { x = $(2 + c) - s[FNR]; y = $(22 + c) - e[FNR]; if (x < 0) x = -x; if (y < 0) y = -y
                                   if (x > m) m = x; if (y > m) m = y; rows++ }
                         END { if (rows < 250) m = 1e9; printf "%.3g", m }' "$WORK/a$1/trace.csv" "$WORK/vary/trace.csv")
  check "vary I0: copy $1 equals one cell with $2 nA, max |dV| in mV" "$d" "<=" 1e-6
done
s0=$(awk -F, 'NR > 2 && p < 0 && $2 >= 0 { n++ } NR > 1 { p = $2 } END { print n + 0 }' "$WORK/a0/trace.csv")
s19=$(awk -F, 'NR > 2 && p < 0 && $2 >= 0 { n++ } NR > 1 { p = $2 } END { print n + 0 }' "$WORK/a19/trace.csv")
echo "soma spikes with 0.1 nA: $s0, with 0.48 nA: $s19"
check "vary I0: the copies differ (more spikes with 0.48 nA than 0.1 nA)" "$((s19 - s0))" ">=" 1

json() { sed -n "s/^ *\"$1\": *\([-0-9.eE+]*\),*\$/\1/p" "$2"; }
inst=$(json instances "$WORK/many/run.json")
check "run.json: instances" "$inst" ">=" 20
tc=$(json time_channels_s "$WORK/many/run.json")
th=$(json time_hines_s "$WORK/many/run.json")
wall=$(json wall_time_s "$WORK/many/run.json")
check "run.json: time of the channel phase, s" "$tc" ">=" 1e-9
check "run.json: time of the Hines phase, s" "$th" ">=" 1e-9
frac=$(awk -v a="$tc" -v b="$th" -v w="$wall" 'BEGIN { printf "%.4g", (a + b) / w }')
check "phases / wall time" "$frac" "<=" 1
finish
