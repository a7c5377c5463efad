#!/bin/sh
# tests/e2e/net_rates_default.sh — `record rates` without `every`
# (docs/language.md 5.9, "Output") bins by 1 ms, rounded to whole steps of
# dt and at least one step: with dt = 0.1 ms, rates.csv of
# tests/e2e/models/net_outputs.msn equals, byte for byte, that of `record
# rates every 1 ms` (101 bins, rate_bin 1 ms); `--dt 0.03ms` bins by 33
# steps (0.99 ms); with dt = 2.5 ms (no delayed projections) the bin is one step,
# and the compiler accepts it without E0955.
. "$SRCDIR/tests/e2e/lib.sh"

rate_bin() { grep -o '"rate_bin": {"value": [0-9.e+-]*' "$1/run.json" | sed 's/.*: //'; }

cp "$SRCDIR/tests/e2e/models/step_lif.msn" "$WORK/"
sed 's/^  record rates every 2 ms$/  record rates/' "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/def.msn"
sed 's/^  record rates every 2 ms$/  record rates every 1 ms/' "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/one.msn"
if grep -q "every 2 ms" "$WORK/def.msn" "$WORK/one.msn"; then fail "the sed edit of the model did nothing"; fi
"$MSNC" build "$WORK/def.msn" -o "$WORK/def" 2> "$WORK/def.err"
"$MSNC" build "$WORK/one.msn" -o "$WORK/one" 2> "$WORK/one.err"
if grep -E "warning|error" "$WORK/def.err"; then fail "msnc build warned"; else pass "no warning for the default bin"; fi
"$WORK/def" --quiet --out "$WORK/d"
"$WORK/one" --quiet --out "$WORK/o"
if cmp "$WORK/d/rates.csv" "$WORK/o/rates.csv"; then pass "rates.csv equals that of every 1 ms"
else fail "rates.csv differs from that of every 1 ms"; fi
rows=$(($(wc -l < "$WORK/d/rates.csv") - 1))
check "bins of 1 ms in 101 ms" "$rows" ">=" 101
check "bins of 1 ms in 101 ms" "$rows" "<=" 101
bin=$(rate_bin "$WORK/d")
check "run.json rate_bin [ms]" "$bin" ">=" 0.9999999
check "run.json rate_bin [ms]" "$bin" "<=" 1.0000001
nz=$(awk -F, 'NR > 1 && ($2 > 0 || $3 > 0) { c++ } END { print c + 0 }' "$WORK/d/rates.csv")
check "bins with spikes (the network must fire)" "$nz" ">=" 50

"$WORK/def" --quiet --out "$WORK/t" --dt 0.03ms --duration 30ms
bin=$(rate_bin "$WORK/t")
check "rate bin with --dt 0.03 ms: 1 ms rounded to 33 steps [ms]" "$bin" ">=" 0.9899999
check "rate bin with --dt 0.03 ms: 1 ms rounded to 33 steps [ms]" "$bin" "<=" 0.9900001
rows=$(($(wc -l < "$WORK/t/rates.csv") - 1))
check "bins of 33 steps in 1000 steps (the last one shorter)" "$rows" ">=" 31
check "bins of 33 steps in 1000 steps (the last one shorter)" "$rows" "<=" 31

grep -v "delay 1 ms" "$WORK/def.msn" | sed 's/^  dt 0.1 ms$/  dt 2.5 ms/' > "$WORK/coarse.msn"
if grep -q "dt 2.5 ms" "$WORK/coarse.msn"; then pass "coarse model written"; else fail "the sed edit of dt did nothing"; fi
"$MSNC" build "$WORK/coarse.msn" -o "$WORK/coarse" 2> "$WORK/coarse.err"
if grep -E "warning|error" "$WORK/coarse.err"; then fail "msnc build warned"; else pass "a dt over 1 ms is no error"; fi
"$WORK/coarse" --quiet --out "$WORK/c"
bin=$(rate_bin "$WORK/c")
check "rate bin with dt 2.5 ms: one step [ms]" "$bin" ">=" 2.4999999
check "rate bin with dt 2.5 ms: one step [ms]" "$bin" "<=" 2.5000001
rows=$(($(wc -l < "$WORK/c/rates.csv") - 1))
check "bins of 2.5 ms in 101 ms" "$rows" ">=" 41
check "bins of 2.5 ms in 101 ms" "$rows" "<=" 41
finish
