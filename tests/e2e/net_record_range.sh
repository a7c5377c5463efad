#!/bin/sh
# tests/e2e/net_record_range.sh — index ranges in `record X of POP[...]`
# (docs/language.md 5.9, "Output"): exc[0:3, 7], inh[8:10] of
# tests/e2e/models/net_outputs.msn are the neurons exc[0, 1, 2, 7],
# inh[8, 9] (half-open ranges): the two runs write the same trace.csv and
# run.json columns, byte for byte, and the columns are the ones named.
. "$SRCDIR/tests/e2e/lib.sh"

cp "$SRCDIR/tests/e2e/models/step_lif.msn" "$WORK/"
sed 's/^  record rates every 2 ms$/  record V of exc[0:3, 7], inh[8:10] every 0.5 ms/' \
  "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/range.msn"
sed 's/^  record rates every 2 ms$/  record V of exc[0, 1, 2, 7], inh[8, 9] every 0.5 ms/' \
  "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/list.msn"
"$MSNC" build "$WORK/range.msn" -o "$WORK/range" 2> "$WORK/build.err"
"$MSNC" build "$WORK/list.msn" -o "$WORK/list" 2>> "$WORK/build.err"
"$WORK/range" --quiet --out "$WORK/r"
"$WORK/list" --quiet --out "$WORK/l"
hdr=$(head -1 "$WORK/r/trace.csv")
want="t [ms],V@exc[0] [mV],V@exc[1] [mV],V@exc[2] [mV],V@exc[7] [mV],V@inh[8] [mV],V@inh[9] [mV]"
if [ "$hdr" = "$want" ]; then pass "trace header: $hdr"; else fail "trace header: $hdr (want $want)"; fi
if cmp "$WORK/r/trace.csv" "$WORK/l/trace.csv"; then pass "exc[0:3, 7], inh[8:10] trace equals exc[0, 1, 2, 7], inh[8, 9]"
else fail "the traces of the range and the list differ"; fi
rows=$(($(wc -l < "$WORK/r/trace.csv") - 1))
check "rows of the trace (0 to 101 ms every 0.5 ms)" "$rows" ">=" 203
check "rows of the trace (0 to 101 ms every 0.5 ms)" "$rows" "<=" 203
cr=$(grep '"columns"' "$WORK/r/run.json")
cl=$(grep '"columns"' "$WORK/l/run.json")
if [ -n "$cr" ] && [ "$cr" = "$cl" ]; then pass "run.json columns: $cr"; else fail "run.json columns: $cr / $cl"; fi
finish
