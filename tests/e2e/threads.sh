#!/bin/sh
# tests/e2e/threads.sh — a network gives the same spikes on any number of
# threads.  Shortened CUBA (examples/cuba.msn, 300 ms: LIF with reset and
# refractory period, four projections with probability 0.02) and Brunel
# (examples/brunel.msn, 60 ms: voltage jumps, fixed in-degree, Poisson
# input), and CUBA with Tsodyks–Markram synapses (tests/e2e/models/
# cuba_tm.msn, 300 ms) run with --threads 1, 2 and 3; their spikes.csv
# must be equal byte for byte (the parts are split inside the populations,
# so delivery, the drained inputs, the Poisson draws, the plasticity state
# and the jump spikes all cross a part boundary), and run.json must record
# the thread count.  The parts exchange their spikes once per block of
# D steps, D the smallest delay (CUBA: 1 step, Brunel: 15, with voltage
# jumps; tests/e2e/cells_ei.sh: 40, blocks cut every 16 steps by the NaN
# guard), and the summary names the thread count and D.  Also: run.json's
# synapse count and CSR bytes for CUBA follow the CSR layout (row offsets
# 8 bytes per source row of each projection, 2 bytes per synapse: 16-bit
# target indices, and the weight of a projection is shared), and
# --threads 0 is a usage error.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/cuba.msn" -o "$WORK/cuba"
"$MSNC" build "$SRCDIR/examples/brunel.msn" -o "$WORK/brunel"

equal() { # LABEL VALUE WANT
  if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: $2, expected $3"; fi
}

same_on_threads() { # NAME PROGRAM DURATION
  for t in 1 2 3; do
    "$2" --quiet --seed 3 --duration "$3" --threads $t --out "$WORK/$1$t"
    n=$(sed -n 's/^  "threads": \([0-9]*\),$/\1/p' "$WORK/$1$t/run.json")
    equal "$1: run.json threads with --threads $t" "${n:-none}" "$t"
  done
  nspk=$(($(wc -l < "$WORK/${1}1/spikes.csv") - 1))
  check "$1: spikes in $3" "$nspk" ">=" 100
  for t in 2 3; do
    if cmp -s "$WORK/${1}1/spikes.csv" "$WORK/$1$t/spikes.csv"; then
      pass "$1: spikes.csv with --threads $t identical to --threads 1 ($nspk spikes)"
    else fail "$1: spikes.csv with --threads $t differs from --threads 1"; fi
  done
}
same_on_threads cuba "$WORK/cuba" 300ms
same_on_threads brunel "$WORK/brunel" 60ms
"$MSNC" build "$SRCDIR/tests/e2e/models/cuba_tm.msn" -o "$WORK/cuba_tm"
same_on_threads cuba_tm "$WORK/cuba_tm" 300ms

"$WORK/brunel" --duration 1ms --threads 2 --out "$WORK/bsum" 2> "$WORK/bsum.err"
if grep -q "; 2 threads, spikes exchanged every 15 steps" "$WORK/bsum.err"; then
  pass "brunel: the summary names 2 threads and the exchange every 15 steps"
else fail "brunel: summary without threads and exchange: $(cat "$WORK/bsum.err")"; fi

# memory of the connectivity: 2 x (3200 + 1) + 2 x (800 + 1) row offsets
json=$WORK/cuba1/run.json
nsyn=$(sed -n 's/^  "synapses": \([0-9]*\),$/\1/p' "$json")
bytes=$(sed -n 's/^  "synapse_bytes": \([0-9]*\),$/\1/p' "$json")
want=$(( ${nsyn:-0} * 2 + (2 * 3201 + 2 * 801) * 8 ))
check "CUBA synapses (p = 0.02 of 16e6 pairs)" "${nsyn:-0}" ">=" 310000
check "CUBA synapses (p = 0.02 of 16e6 pairs)" "${nsyn:-0}" "<=" 330000
equal "CUBA synapse_bytes = 2 x synapses + 8 x rows" "${bytes:-none}" "$want"

# the NaN guard of a large network (every 16 steps): the message names
# the state, the neuron by population and index, and the interval of 16
# steps in which x went bad, which must meet [702.87, 709.78] ms; the same
# on 2 threads
"$MSNC" build "$SRCDIR/tests/e2e/models/netblow.msn" -o "$WORK/netblow"
for t in 1 2; do
  st=0
  "$WORK/netblow" --quiet --threads $t --out "$WORK/blow$t" 2> "$WORK/blow$t.err" || st=$?
  equal "network blow-up on $t thread(s): exit status" "$st" 2
done
cat "$WORK/blow1.err"
if grep -Eq "^netblow: error: state 'x' of neuron a\[0\] became (\+inf|NaN) between t = [0-9.]+ ms and t = [0-9.]+ ms \(steps [0-9]+ to [0-9]+\); try a smaller --dt" "$WORK/blow1.err"; then
  pass "network blow-up: state, neuron a[0] and interval named"
else fail "network blow-up: unexpected message: $(cat "$WORK/blow1.err")"; fi
ta=$(sed -n 's/.* between t = \([0-9.]*\) ms and .*/\1/p' "$WORK/blow1.err")
tb=$(sed -n 's/.* ms and t = \([0-9.]*\) ms .*/\1/p' "$WORK/blow1.err")
check "network blow-up: interval starts before 709.78 ms" "${ta:-1e9}" "<=" 709.78
check "network blow-up: interval ends after 702.87 ms" "${tb:-0}" ">=" 702.87
width=$(awk -v a="${ta:-0}" -v b="${tb:-1e9}" 'BEGIN { printf "%.6g\n", b - a }')
check "network blow-up: interval of 16 steps (1.6 ms) at most" "$width" "<=" 1.6000001
if cmp -s "$WORK/blow1.err" "$WORK/blow2.err"; then pass "network blow-up: same message on 2 threads"
else fail "network blow-up: other message on 2 threads: $(cat "$WORK/blow2.err")"; fi
if grep -q '"completed": false' "$WORK/blow1/run.json"; then pass "network blow-up: run.json says completed false"
else fail "network blow-up: run.json does not say completed false"; fi

st=0
"$WORK/cuba" --quiet --threads 0 --out "$WORK/z" 2> "$WORK/err" || st=$?
if [ "$st" -eq 1 ] && grep -q "threads expects at least 1" "$WORK/err"; then pass "--threads 0: exit 1, message"
else fail "--threads 0: status $st, $(cat "$WORK/err")"; fi
finish
