#!/bin/sh
# tests/e2e/cobahh_synapses.sh — examples/cobahh_synapses.msn, COBAHH with
# point synapses in nS (docs/language.md 5.10): the statistics required of
# examples/cobahh.msn (shared validation/networks.md: mean rate 33-42 Hz,
# mean CV of the ISIs 1.6-2.3, no ISI below the 3 ms dead time) for two
# seeds, the same spikes for the same seed, and msnc info showing the
# deliveries (ge += 1 * w) and the area in the membrane equation.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/cobahh_synapses.msn" -o "$WORK/cobahh" 2> "$WORK/err" &&
  pass "msnc build examples/cobahh_synapses.msn" || fail "msnc build: $(cat "$WORK/err")"
"$MSNC" info "$SRCDIR/examples/cobahh_synapses.msn" > "$WORK/info" 2>&1
if grep -q "exc -> inh  synapse Exc, w = 6e-09: ge += 1 \* w (\*)" "$WORK/info" &&
   grep -q "inh -> exc  synapse Inh, w = 6.7e-08: gi += 1 \* w (\*)" "$WORK/info" &&
   grep -q "I_Exc\*(1/area)" "$WORK/info"
then pass "msnc info: deliveries and the point synapses' currents over the area"
else fail "msnc info: $(grep -A5 projections "$WORK/info")"; fi

"$WORK/cobahh" --quiet --seed 12345 --out "$WORK/a"
"$WORK/cobahh" --quiet --seed 12345 --out "$WORK/b"
"$WORK/cobahh" --quiet --seed 7 --out "$WORK/c"
for run in a:12345 c:7; do
  set -- $(network_stats "$WORK/${run%%:*}/spikes.csv" 4000 0 1000)
  echo "COBAHH with synapse blocks, seed ${run#*:}: $3 spikes, $4 neurons fire, mean rate $1 Hz, mean CV of ISIs $2, shortest ISI $5 ms"
  check "seed ${run#*:}: mean rate [Hz] >= 33" "$1" ">=" 33
  check "seed ${run#*:}: mean rate [Hz] <= 42" "$1" "<=" 42
  check "seed ${run#*:}: mean CV of ISIs >= 1.6" "$2" ">=" 1.6
  check "seed ${run#*:}: mean CV of ISIs <= 2.3" "$2" "<=" 2.3
  check "seed ${run#*:}: shortest ISI [ms] >= 3 (dead time)" "$5" ">=" 3
done
if cmp -s "$WORK/a/spikes.csv" "$WORK/b/spikes.csv"; then pass "same seed, identical spikes.csv"
else fail "same seed, identical spikes.csv"; fi
finish
