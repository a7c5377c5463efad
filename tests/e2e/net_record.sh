#!/bin/sh
# tests/e2e/net_record.sh — `record V of exc[0, 5], inh[0, 9]`
# (docs/language.md 5.9, "Output"): the trace of
# tests/e2e/models/net_outputs.msn holds exactly the chosen neurons' columns,
# named V@exc[0] [mV], ..., and each equals, digit for digit, the column of
# the same neuron (V[i], i over all neurons in population order: inh[k] is
# V[40 + k]) in a run that records every neuron.
. "$SRCDIR/tests/e2e/lib.sh"

cp "$SRCDIR/tests/e2e/models/step_lif.msn" "$WORK/"
sed 's/^  record rates every 2 ms$/  record V of exc[0, 5], inh[0, 9] every 0.5 ms/' \
  "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/some.msn"
sed 's/^  record rates every 2 ms$/  record V every 0.5 ms/' "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/all.msn"
"$MSNC" build "$WORK/some.msn" -o "$WORK/some" 2> "$WORK/build.err"
"$MSNC" build "$WORK/all.msn" -o "$WORK/all" 2>> "$WORK/build.err"
"$WORK/some" --quiet --out "$WORK/s"
"$WORK/all" --quiet --out "$WORK/a"
hdr=$(head -1 "$WORK/s/trace.csv")
want="t [ms],V@exc[0] [mV],V@exc[5] [mV],V@inh[0] [mV],V@inh[9] [mV]"
if [ "$hdr" = "$want" ]; then pass "trace header: $hdr"; else fail "trace header: $hdr (want $want)"; fi
# columns of the full trace: t, V[0] .. V[49]; neuron i is column i + 2
awk -F, 'NR > 1 { print $1 "," $2 "," $7 "," $42 "," $51 }' "$WORK/a/trace.csv" > "$WORK/want"
tail -n +2 "$WORK/s/trace.csv" > "$WORK/got"
rows=$(wc -l < "$WORK/got")
check "rows of the trace (0 to 101 ms every 0.5 ms)" "$rows" ">=" 203
check "rows of the trace (0 to 101 ms every 0.5 ms)" "$rows" "<=" 203
bad=$(awk 'NR == FNR { w[FNR] = $0; n = FNR; next } { if ($0 != w[FNR]) b++; m = FNR }
           END { print b + (n != m) }' "$WORK/want" "$WORK/got")
check "rows that differ from the full recording's columns" "$bad" "<=" 0
moved=$(awk -F, 'NR > 1 && $2 != last { c++ } NR > 1 { last = $2 } END { print c + 0 }' "$WORK/s/trace.csv")
check "changes of V@exc[0] (the neuron must move)" "$moved" ">=" 10
if cmp -s "$WORK/s/spikes.csv" "$WORK/a/spikes.csv"; then pass "same spikes"; else fail "spikes differ"; fi
cols='"columns": ["t [ms]", "V@exc[0] [mV]", "V@exc[5] [mV]", "V@inh[0] [mV]", "V@inh[9] [mV]"],'
if grep -qF "$cols" "$WORK/s/run.json"; then pass "run.json: $cols"; else fail "run.json lacks $cols"; fi
finish
