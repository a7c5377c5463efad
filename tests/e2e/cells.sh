#!/bin/sh
# tests/e2e/cells.sh — populations of different cells in one network
# (docs/language.md 5.9, "Populations of different cells").
#
# tests/e2e/models/cells_mixed.msn: 3 LIF neurons (reset, refractory,
# exact threshold crossings) drive 2 HH neurons (threshold 0 mV, no reset)
# through AMPA point synapses.  Each population must behave exactly as
# its cell run alone:
#  - the LIF population alone (cells_lif_alone.msn): the same spike times
#    (to 1e-9 ms) and the same V traces (to 1e-9 relative);
#  - the HH population alone (cells_hh_alone.msn), driven by spike-time
#    sources that fire at the mixed run's LIF spike times: the same spike
#    times and the same V and m traces;
#  - the LIF neurons, which have no gate m, record m = 0;
#  - --threads 2 gives the same spikes; `msnc info` lists both cells;
#  - --set of a parameter the cells share with the same value (Cm) sets
#    it for both; the stimulus I, 2.5 uA/cm^2 in LIF and 2 uA/cm^2 in
#    HHsyn, is two parameters LIF.I and HHsyn.I: setting HHsyn.I changes
#    the HH spikes only;
#  - examples/cobahh.msn (HH) and cuba.msn (LIF: reset, refractory period,
#    voltage jumps) with the inhibitory population of a copy of the cell
#    under another name (so two cells: dispatched kernels, per-population
#    spike settings) give the same spikes, bit for bit, as the originals
#    on 200 ms (the copy on 2 threads, whose parts split a population).
. "$SRCDIR/tests/e2e/lib.sh"
M="$SRCDIR/tests/e2e/models"

# spike lists "id time" of population POP, sorted
spikes_pop() { awk -F, -v pop="$2" 'NR > 1 && $2 == pop { printf "%d %.12f\n", $3, $1 }' "$1/spikes.csv" | sort -k1,1n -k2,2n; }
# compare two "id time" lists: same count and ids, times to 1e-9 ms
same_spikes() {
  awk 'NR == FNR { id[FNR] = $1; t[FNR] = $2; n = FNR; next }
       { m = FNR; d = $2 - t[FNR]; if (d < 0) d = -d; if ($1 != id[FNR] || d > 1e-9) bad++ }
       END { print (m == n && n > 0 && !bad) ? "ok" : "differ (" m " vs " n " spikes, " bad + 0 " mismatches)" }' "$1" "$2"
}
# columns of a trace (1-based, after t), one row per line
cols() { f=$1; shift; awk -F, -v c="$*" 'BEGIN { k = split(c, w, " ") } NR > 1 { s = $1; for (i = 1; i <= k; i++) s = s " " $(w[i] + 1); print s }' "$f"; }
# max relative difference of two equally shaped tables (1e9 if not)
max_rel() {
  awk 'NR == FNR { r[FNR] = $0; n = FNR; next }
       { m = FNR; k = split(r[FNR], a, " "); if (k != NF) bad = 1
         for (i = 1; i <= NF; i++) { d = $i - a[i]; if (d < 0) d = -d; s = a[i] < 0 ? -a[i] : a[i]; if (s < 1) s = 1
                                     if (d / s > mx) mx = d / s } }
       END { if (bad || m != n || n == 0) print 1e9; else printf "%.3g\n", mx + 0 }' "$1" "$2"
}

"$MSNC" build "$M/cells_mixed.msn" -o "$WORK/mixed" 2>/dev/null
"$WORK/mixed" --quiet --out "$WORK/mx"
"$MSNC" build "$M/cells_lif_alone.msn" -o "$WORK/lif" 2>/dev/null
"$WORK/lif" --quiet --out "$WORK/la"
# the LIF spikes of the mixed run as the HH population's input
awk -F, 'NR > 1 && $2 == "lif" { printf "%d,%.17g\n", $3, $1 }' "$WORK/mx/spikes.csv" > "$WORK/cells_lif_spikes.csv"
cp "$M/cells_hh_alone.msn" "$WORK/"
"$MSNC" build "$WORK/cells_hh_alone.msn" -o "$WORK/hh" 2>/dev/null
"$WORK/hh" --quiet --out "$WORK/ha"

spikes_pop "$WORK/mx" lif > "$WORK/mx.lif"; spikes_pop "$WORK/la" lif > "$WORK/la.lif"
spikes_pop "$WORK/mx" hh > "$WORK/mx.hh"; spikes_pop "$WORK/ha" hh > "$WORK/ha.hh"
n=$(wc -l < "$WORK/mx.lif"); check "LIF spikes in the mixed run" "$n" ">=" 30
n=$(wc -l < "$WORK/mx.hh"); check "HH spikes in the mixed run" "$n" ">=" 20
r=$(same_spikes "$WORK/mx.lif" "$WORK/la.lif")
if [ "$r" = ok ]; then pass "LIF population: spike times as the cell alone (1e-9 ms)"; else fail "LIF spikes: $r"; fi
r=$(same_spikes "$WORK/mx.hh" "$WORK/ha.hh")
if [ "$r" = ok ]; then pass "HH population: spike times as the cell alone (1e-9 ms)"; else fail "HH spikes: $r"; fi

# mixed trace: V[0..4] are columns 1-5, m[0..4] 6-10
cols "$WORK/mx/trace.csv" 1 2 3 > "$WORK/a"; cols "$WORK/la/trace.csv" 1 2 3 > "$WORK/b"
check "LIF V traces, max relative difference to the cell alone" "$(max_rel "$WORK/a" "$WORK/b")" "<=" 1e-9
cols "$WORK/mx/trace.csv" 4 5 9 10 > "$WORK/a"; cols "$WORK/ha/trace.csv" 1 2 3 4 > "$WORK/b"
check "HH V and m traces, max relative difference to the cell alone" "$(max_rel "$WORK/a" "$WORK/b")" "<=" 1e-9
m=$(awk -F, 'NR > 1 { for (c = 7; c <= 9; c++) { v = $c < 0 ? -$c : $c; if (v > mx) mx = v } } END { print mx + 0 }' "$WORK/mx/trace.csv")
check "m of the LIF neurons (a state they do not have)" "$m" "<=" 0

"$WORK/mixed" --quiet --threads 2 --out "$WORK/t2"
if cmp -s "$WORK/mx/spikes.csv" "$WORK/t2/spikes.csv"; then pass "--threads 2: the same spikes"
else fail "--threads 2 changes the spikes"; fi

info=$("$MSNC" info "$M/cells_mixed.msn" 2>&1)
case "$info" in
  *"network LIF_HHsyn"*"2 cells, 5 neurons"*"parameters"*" Cm "*" LIF.I "*" HHsyn.I "*"cell 0: model LIF_HHsyn_cell0"*"cell 1: model LIF_HHsyn_cell1"*)
    pass "msnc info lists the network and both cells";;
  *) fail "msnc info: $info";;
esac

# Cm is shared (same value in both cells): a smaller Cm makes both fire more
"$WORK/mixed" --quiet --set Cm=0.5uF/cm^2 --out "$WORK/cm"
a=$(awk -F, 'NR > 1 && $2 == "lif"' "$WORK/cm/spikes.csv" | wc -l)
b=$(wc -l < "$WORK/mx.lif")
check "--set Cm=0.5uF/cm^2: more LIF spikes than $b" "$a" ">=" $((b + 1))
# HHsyn.I only in HH: the LIF spikes do not change
"$WORK/mixed" --quiet --set HHsyn.I=0uA/cm^2 --out "$WORK/ie"
spikes_pop "$WORK/ie" lif > "$WORK/ie.lif"
r=$(same_spikes "$WORK/ie.lif" "$WORK/la.lif")
if [ "$r" = ok ]; then pass "--set HHsyn.I leaves the LIF spikes unchanged"; else fail "--set HHsyn.I: $r"; fi
spikes_pop "$WORK/ie" hh > "$WORK/ie.hh"
if cmp -s "$WORK/ie.hh" "$WORK/mx.hh"; then fail "--set HHsyn.I=0 did not change the HH spikes"
else pass "--set HHsyn.I=0 changes the HH spikes"; fi
if "$WORK/mixed" --quiet --set I=0uA/cm^2 --out "$WORK/bad" 2>/dev/null; then fail "--set I (ambiguous) accepted"
else pass "--set I is refused: the cells' I are LIF.I and HHsyn.I"; fi

# FILE CELL: FILE with population inh of CELL2, a copy of CELL
copy_cell() {
  awk -v c="$2" '$0 == "cell " c " {" { copy = 1 }
     copy { cell = cell (cell == "" ? "" : "\n") $0; if ($0 ~ /^}/) copy = 0 }
     $0 ~ ("^population inh = [0-9]+ of " c " [{]") { sub("cell " c " [{]", "cell " c "2 {", cell); print cell; print ""
                                                    sub("of " c " [{]", "of " c "2 {") }
     { print }' "$1"
}
for ex in cobahh:COBAHH cuba:CUBA; do
  name=${ex%%:*}; cell=${ex#*:}
  copy_cell "$SRCDIR/examples/$name.msn" "$cell" > "$WORK/${name}2.msn"
  "$MSNC" build "$SRCDIR/examples/$name.msn" -o "$WORK/${name}1" 2>/dev/null
  "$MSNC" build "$WORK/${name}2.msn" -o "$WORK/${name}2" 2>/dev/null
  if "$MSNC" info "$WORK/${name}2.msn" 2>/dev/null | grep -q "^network ${cell}_${cell}2 .*: 2 cells, 4000 neurons"; then
    pass "$name with inh of a copy of the cell: a network of 2 cells"
  else fail "$name with inh of a copy of the cell: not a network of 2 cells"; fi
  "$WORK/${name}1" --quiet --duration 200ms --out "$WORK/${name}_1"
  "$WORK/${name}2" --quiet --duration 200ms --threads 2 --out "$WORK/${name}_2"
  n=$(awk 'END { print NR - 1 }' "$WORK/${name}_1/spikes.csv")
  check "$name: spikes in 200 ms" "$n" ">=" 1000
  if cmp -s "$WORK/${name}_1/spikes.csv" "$WORK/${name}_2/spikes.csv"; then
    pass "$name with inh of a copy of the cell (2 threads): the same spikes, bit for bit"
  else fail "$name with inh of a copy of the cell: other spikes"; fi
done
finish
