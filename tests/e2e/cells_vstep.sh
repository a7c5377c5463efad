#!/bin/sh
# tests/e2e/cells_vstep.sh — a network of several integrate-and-fire cells
# runs the fused step kernel (vstep: one pass per step instead of three,
# compiler/codegen_cells.c) and computes what one cell computes:
#  - examples/cuba.msn with its inhibitory population made of a second,
#    identical cell (CUBB) has a vstep kernel (msnc emit-llvm);
#  - its spikes equal, byte for byte, those of examples/cuba.msn (200 ms,
#    seed 3), on 1 and 2 threads.
. "$SRCDIR/tests/e2e/lib.sh"

# the cell block of CUBA copied as CUBB, and inh made of it
awk '/^cell CUBA \{/ { copy = 1 } copy { block = block $0 "\n" } { print }
     copy && /^\}/ { copy = 0; sub(/cell CUBA/, "cell CUBB", block); printf "%s", block }' \
  "$SRCDIR/examples/cuba.msn" | sed 's/population inh = 800 of CUBA/population inh = 800 of CUBB/' \
  > "$WORK/two.msn"
grep -q 'population inh = 800 of CUBB' "$WORK/two.msn" && grep -q '^cell CUBB' "$WORK/two.msn" \
  || fail "could not make the two-cell model"
"$MSNC" emit-llvm "$WORK/two.msn" -o "$WORK/two.ll" 2>/dev/null || fail "emit-llvm failed"
if grep -q '^define .*@[A-Za-z0-9_]*_vstep(' "$WORK/two.ll"; then pass "the two-cell network has a vstep kernel"
else fail "no vstep kernel in the two-cell network"; fi
"$MSNC" build "$SRCDIR/examples/cuba.msn" -o "$WORK/one" 2>/dev/null || fail "build of cuba.msn failed"
"$MSNC" build "$WORK/two.msn" -o "$WORK/two" 2>/dev/null || fail "build of the two-cell model failed"
"$WORK/one" --quiet --seed 3 --duration 200ms --threads 1 --out "$WORK/a"
for t in 1 2; do
  "$WORK/two" --quiet --seed 3 --duration 200ms --threads $t --out "$WORK/b$t"
  n=$(wc -l < "$WORK/b$t/spikes.csv")
  check "spike lines of the two-cell network, $t thread(s)" "$n" ">=" 100
  if cmp -s "$WORK/a/spikes.csv" "$WORK/b$t/spikes.csv"; then
    pass "two identical cells give the spikes of one ($t thread(s))"
  else
    fail "two identical cells differ from one cell ($t thread(s))"
  fi
done
finish
