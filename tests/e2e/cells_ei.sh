#!/bin/sh
# tests/e2e/cells_ei.sh — an E/I network of two cell types
# (tests/e2e/models/cells_ei.msn: 200 HH excitatory neurons with AMPA and
# GABA_A synapses, 200 integrate-and-fire inhibitory neurons with voltage
# jumps and a 1 ms refractory period, Poisson input), 500 ms, statistics
# over 100-500 ms.  Required:
#  - both populations fire asynchronously at sane rates: every neuron
#    active, mean rate 10-80 Hz (exc) and 5-80 Hz (inh), mean CV of the
#    ISIs 0.2-1.5;
#  - no inhibitory ISI shorter than its cell's refractory period (1 ms);
#  - the same --seed gives the same spikes on 1, 2 and 3 threads (the
#    parts then split the excitatory or the inhibitory population), another
#    seed other spikes.
. "$SRCDIR/tests/e2e/lib.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/cells_ei.msn" -o "$WORK/ei" 2>/dev/null
"$WORK/ei" --quiet --seed 7 --threads 1 --out "$WORK/a"
for pop in exc inh; do
  set -- $(network_stats "$WORK/a/spikes.csv" 200 100 500 "$pop")
  lo=10; [ "$pop" = inh ] && lo=5
  check "$pop: mean rate [Hz]" "$1" ">=" "$lo"
  check "$pop: mean rate [Hz]" "$1" "<=" 80
  check "$pop: mean CV of the ISIs" "$2" ">=" 0.2
  check "$pop: mean CV of the ISIs" "$2" "<=" 1.5
  check "$pop: active neurons" "$4" ">=" 200
  [ "$pop" = inh ] && check "inh: shortest ISI [ms] (refractory 1 ms)" "$5" ">=" 1
done
"$WORK/ei" --quiet --seed 7 --threads 2 --out "$WORK/b"
"$WORK/ei" --quiet --seed 7 --threads 3 --out "$WORK/c"
if cmp -s "$WORK/a/spikes.csv" "$WORK/b/spikes.csv" && cmp -s "$WORK/a/spikes.csv" "$WORK/c/spikes.csv"; then
  pass "the same spikes on 1, 2 and 3 threads"
else
  fail "the spikes depend on the number of threads"
fi
"$WORK/ei" --quiet --seed 8 --out "$WORK/d"
if cmp -s "$WORK/a/spikes.csv" "$WORK/d/spikes.csv"; then fail "another seed gives the same spikes"
else pass "another seed gives other spikes"; fi
finish
