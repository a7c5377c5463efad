#!/bin/sh
# tests/e2e/cobahh.sh — examples/cobahh.msn, the COBAHH network of Brette et
# al. (2007): 4000 Hodgkin–Huxley (Traub–Miles) neurons, conductance-based
# exponential synapses, p = 0.02, 1 s at dt 0.1 ms.  Required (shared
# validation/networks.md): mean rate 33-42 Hz and mean CV of the ISIs
# (neurons with >= 3 spikes) 1.6-2.3; no ISI below the 3 ms dead time;
# the same --seed gives the same spikes, another seed other ones.  The run
# time of one simulation is reported (Brian2: 2.27 s simulation loop).
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/cobahh.msn" -o "$WORK/cobahh"
t0=$(date +%s.%N)
"$WORK/cobahh" --quiet --seed 12345 --out "$WORK/a"
t1=$(date +%s.%N)
"$WORK/cobahh" --quiet --seed 12345 --out "$WORK/b"
"$WORK/cobahh" --quiet --seed 7 --out "$WORK/c"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "COBAHH run time (4000 neurons, 1 s at dt 0.1 ms, whole program): $secs s"
check "COBAHH run time [s] <= 60" "$secs" "<=" 60

head -1 "$WORK/a/spikes.csv" > "$WORK/hdr"
if [ "$(cat "$WORK/hdr")" = "t [ms],population,id" ]; then pass "spikes.csv header: t [ms],population,id"
else fail "spikes.csv header: $(cat "$WORK/hdr")"; fi

# rate over all 4000 neurons; CV of ISIs per neuron with >= 3 spikes;
# number of firing neurons; shortest ISI
set -- $(network_stats "$WORK/a/spikes.csv" 4000 0 1000)
rate=$1 cv=$2 nspk=$3 nfire=$4 minisi=$5
echo "COBAHH seed 12345: $nspk spikes, $nfire neurons fire, mean rate $rate Hz, mean CV of ISIs $cv, shortest ISI $minisi ms (Brian2: 148,000-150,000 spikes, 86-87 % fire, 37.1-37.4 Hz, CV 1.92-1.96)"
check "COBAHH mean rate [Hz] >= 33" "$rate" ">=" 33
check "COBAHH mean rate [Hz] <= 42" "$rate" "<=" 42
check "COBAHH mean CV of ISIs >= 1.6" "$cv" ">=" 1.6
check "COBAHH mean CV of ISIs <= 2.3" "$cv" "<=" 2.3
check "COBAHH shortest ISI [ms] >= 3 (dead time)" "$minisi" ">=" 3
ninh=$(awk -F, '$2 == "inh"' "$WORK/a/spikes.csv" | wc -l)
check "spikes of population inh" "$ninh" ">=" 1000
set -- $(network_stats "$WORK/c/spikes.csv" 4000 0 1000)
echo "COBAHH seed 7: $3 spikes, mean rate $1 Hz, mean CV of ISIs $2"
check "COBAHH (seed 7) mean rate [Hz] >= 33" "$1" ">=" 33
check "COBAHH (seed 7) mean rate [Hz] <= 42" "$1" "<=" 42
check "COBAHH (seed 7) mean CV of ISIs >= 1.6" "$2" ">=" 1.6
check "COBAHH (seed 7) mean CV of ISIs <= 2.3" "$2" "<=" 2.3
if cmp -s "$WORK/a/spikes.csv" "$WORK/b/spikes.csv"; then pass "same seed, identical spikes.csv"
else fail "same seed, identical spikes.csv"; fi
if cmp -s "$WORK/a/spikes.csv" "$WORK/c/spikes.csv"; then fail "another seed gives other spikes"
else pass "another seed gives other spikes"; fi
finish
