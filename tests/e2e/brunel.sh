#!/bin/sh
# tests/e2e/brunel.sh — examples/brunel.msn, Brunel (2000) model A in the
# asynchronous irregular state (g = 5, nu_ext/nu_thr = 2): 12,500 LIF
# neurons with delta synapses (`target V`), fixed in-degrees 1000/250,
# D 1.5 ms, external input from `source ext = 1000 poisson 20 Hz`.
# Required (shared validation/networks.md, Brian2 over 100-1000 ms: 37.1 Hz,
# CV 0.39): over 100-1000 ms mean rate 34-41 Hz, mean CV of the ISIs
# (neurons with >= 3 spikes) 0.3-0.5, every neuron active; the same --seed
# gives the same spikes, another seed other ones.  The full 1 s run takes
# about 8 s here; the seed checks use 200 ms runs.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/brunel.msn" -o "$WORK/brunel"
"$WORK/brunel" --quiet --seed 12345 --out "$WORK/a"
"$WORK/brunel" --quiet --seed 12345 --duration 200ms --out "$WORK/b"
"$WORK/brunel" --quiet --seed 12345 --duration 200ms --out "$WORK/b2"
"$WORK/brunel" --quiet --seed 7 --duration 200ms --out "$WORK/c"

# rate (all 12,500 neurons, 100-1000 ms), mean CV of ISIs, active neurons,
# rates of exc and inh
rexc=$(network_stats "$WORK/a/spikes.csv" 10000 100 1000 exc | cut -d' ' -f1)
rinh=$(network_stats "$WORK/a/spikes.csv" 2500 100 1000 inh | cut -d' ' -f1)
set -- $(network_stats "$WORK/a/spikes.csv" 12500 100 1000)
echo "Brunel A seed 12345, 100-1000 ms: mean rate $1 Hz (exc $rexc, inh $rinh), mean CV of ISIs $2, $4 active neurons" \
     "(Brian2: 37.1 Hz, 0.39; mean field 37.95 Hz)"
check "Brunel mean rate [Hz] >= 34" "$1" ">=" 34
check "Brunel mean rate [Hz] <= 41" "$1" "<=" 41
check "Brunel mean CV of ISIs >= 0.3" "$2" ">=" 0.3
check "Brunel mean CV of ISIs <= 0.5" "$2" "<=" 0.5
check "Brunel active neurons" "$4" ">=" 12500
check "Brunel inh rate [Hz] >= 34" "$rinh" ">=" 34
if cmp -s "$WORK/b/spikes.csv" "$WORK/b2/spikes.csv"; then pass "same seed, identical spikes.csv"
else fail "same seed, identical spikes.csv"; fi
if cmp -s "$WORK/b/spikes.csv" "$WORK/c/spikes.csv"; then fail "another seed gives other spikes"
else pass "another seed gives other spikes"; fi
# the 200 ms run is the start of the 1 s run (the input depends on (seed, step, neuron) only)
awk -F, 'NR == 1 || $1 <= 200' "$WORK/a/spikes.csv" > "$WORK/a200"
if cmp -s "$WORK/a200" "$WORK/b/spikes.csv"; then pass "a shorter run is a prefix of the longer one"
else fail "a shorter run is a prefix of the longer one"; fi
finish
