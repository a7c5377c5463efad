#!/bin/sh
# tests/e2e/cuba.sh — examples/cuba.msn, the CUBA network of Brette et al.
# (2007): 4000 LIF neurons in two populations, four projections with
# probability 0.02, 1 s at dt 0.1 ms.  Required (shared
# validation/networks.md): mean rate 5.0-6.4 Hz and mean CV of the ISIs
# (neurons with >= 3 spikes) 0.4-0.65; spikes.csv with `t [ms],population,id`;
# the same --seed gives the same spikes, another seed other ones.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/cuba.msn" -o "$WORK/cuba"
"$WORK/cuba" --quiet --seed 12345 --out "$WORK/a"
"$WORK/cuba" --quiet --seed 12345 --out "$WORK/b"
"$WORK/cuba" --quiet --seed 7 --out "$WORK/c"

head -1 "$WORK/a/spikes.csv" > "$WORK/hdr"
if [ "$(cat "$WORK/hdr")" = "t [ms],population,id" ]; then pass "spikes.csv header: t [ms],population,id"
else fail "spikes.csv header: $(cat "$WORK/hdr")"; fi

# statistics: rate over all 4000 neurons; CV of ISIs per neuron with >= 3 spikes
set -- $(network_stats "$WORK/a/spikes.csv" 4000 0 1000)
rate=$1 cv=$2 nspk=$3
echo "CUBA seed 12345: $nspk spikes, mean rate $rate Hz, mean CV of ISIs $cv (Brian2: 5.68 Hz, 0.52)"
check "CUBA mean rate [Hz] >= 5.0" "$rate" ">=" 5.0
check "CUBA mean rate [Hz] <= 6.4" "$rate" "<=" 6.4
check "CUBA mean CV of ISIs >= 0.4" "$cv" ">=" 0.4
check "CUBA mean CV of ISIs <= 0.65" "$cv" "<=" 0.65
ninh=$(awk -F, '$2 == "inh"' "$WORK/a/spikes.csv" | wc -l)
check "spikes of population inh" "$ninh" ">=" 100
set -- $(network_stats "$WORK/c/spikes.csv" 4000 0 1000)
echo "CUBA seed 7: $3 spikes, mean rate $1 Hz, mean CV of ISIs $2"
check "CUBA (seed 7) mean rate [Hz] >= 5.0" "$1" ">=" 5.0
check "CUBA (seed 7) mean rate [Hz] <= 6.4" "$1" "<=" 6.4
if cmp -s "$WORK/a/spikes.csv" "$WORK/b/spikes.csv"; then pass "same seed, identical spikes.csv"
else fail "same seed, identical spikes.csv"; fi
if cmp -s "$WORK/a/spikes.csv" "$WORK/c/spikes.csv"; then fail "another seed gives other spikes"
else pass "another seed gives other spikes"; fi

# a delay shorter than dt at run time is an error
st=0
"$WORK/cuba" --quiet --dt 0.2ms --out "$WORK/d" 2> "$WORK/err" || st=$?
if [ "$st" -eq 1 ] && grep -q "shorter than dt" "$WORK/err"; then pass "--dt longer than a delay: exit 1, message"
else fail "--dt longer than a delay: status $st, $(cat "$WORK/err")"; fi
finish
