#!/bin/sh
# tests/e2e/population.sh — population models (docs/language.md 5.7):
#   examples/turing_ring.msn: from a noisy homogeneous start a periodic
#     pattern whose wavelength equals the predicted 2 pi/k_max (msnc info)
#     within one grid step;
#   examples/bump.msn: an Amari bump persists 500 ms, its width equals the
#     a with W(a) = h (stable branch) within 3 grid steps;
#   examples/lif_density.msn: the stationary rate (mean over 200-400 ms)
#     equals the Siegert rate of populations.md (mu 15 mV, sigma 5 mV:
#     9.46080 Hz) within 1 %; OUT/run.json written, run completed; the same
#     program with --set mu0, sigma0 at (20, 2) and (25, 1) mV: 18.5123 and
#     42.0168 Hz within 1 % (mean over 500-1000 ms);
#   tests/e2e/models/field_drive.msn: a homogeneous field with an input
#     I(t) equals its mode's rates model (rates_drive_ref.msn) to 1e-9.
. "$SRCDIR/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
if ! command -v "$PY" > /dev/null 2>&1; then echo "SKIP: no python3"; exit 77; fi
CHECK="$SRCDIR/tests/e2e/population_check.py"

"$MSNC" info "$SRCDIR/examples/turing_ring.msn" > "$WORK/ring.info" 2>&1
pred=$(sed -n 's/.*predicted wavelength \([0-9.e+-]*\) mm.*/\1/p' "$WORK/ring.info" | head -1)
if grep -q "Turing-unstable" "$WORK/ring.info" && [ -n "$pred" ]; then
  pass "msnc info: turing_ring is Turing-unstable, predicted wavelength $pred mm"
else
  fail "msnc info: stability report of turing_ring"; cat "$WORK/ring.info"
fi
"$MSNC" build "$SRCDIR/examples/turing_ring.msn" -o "$WORK/ring" && (cd "$WORK" && ./ring --quiet --out ring_out)
if out=$("$PY" "$CHECK" turing "$WORK/ring_out/field.csv" 10 "${pred:-0}"); then pass "turing ring: $out"
else fail "turing ring: $out"; fi
if grep -q '"completed": true' "$WORK/ring_out/run.json"; then pass "field run.json"; else fail "field run.json"; fi

"$MSNC" build "$SRCDIR/examples/bump.msn" -o "$WORK/bump" && (cd "$WORK" && ./bump --quiet --out bump_out)
a=$("$PY" -c "
import math
W = lambda a: 0.5 * math.erf(a / (0.5 * math.sqrt(2))) - 0.5 * math.erf(a / math.sqrt(2))
lo, hi = 0.68, 5.0
for _ in range(100):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if W(mid) > 0.1 else (lo, mid)
print(lo)")
if out=$("$PY" "$CHECK" bump "$WORK/bump_out/field.csv" 0.1 "$a"); then pass "Amari bump: $out"
else fail "Amari bump: $out"; fi

"$MSNC" build "$SRCDIR/examples/lif_density.msn" -o "$WORK/dens" && (cd "$WORK" && ./dens --quiet --out dens_out)
if head -1 "$WORK/dens_out/rates.csv" | grep -q '^t \[ms\],pop \[Hz\]$'; then pass "rates.csv header"
else fail "rates.csv header"; fi
if out=$("$PY" "$CHECK" rate "$WORK/dens_out/rates.csv" 200 9.46080); then pass "LIF density: $out"
else fail "LIF density: $out"; fi
# the other two Siegert points of populations.md through the same program
# (--set); the density starts at V(0) = 0 mV and rings at mu = 25 mV, so
# these run 1 s and average over 500-1000 ms
for pt in "20 2 18.5123" "25 1 42.0168"; do
  set -- $pt
  (cd "$WORK" && ./dens --quiet --set "mu0=$1mV" --set "sigma0=$2mV" --duration 1000ms --out "dens_$1")
  if out=$("$PY" "$CHECK" rate "$WORK/dens_$1/rates.csv" 500 "$3"); then pass "LIF density (mu $1 mV, sigma $2 mV): $out"
  else fail "LIF density (mu $1 mV, sigma $2 mV): $out"; fi
done

# a time-dependent input, evaluated at RK4's stage times: a homogeneous
# field follows its mode, the same equation as a rates model (same RK4)
"$MSNC" build "$SRCDIR/tests/e2e/models/field_drive.msn" -o "$WORK/fdrive" &&
  "$MSNC" build "$SRCDIR/tests/e2e/models/rates_drive_ref.msn" -o "$WORK/rdrive" &&
  (cd "$WORK" && ./fdrive --quiet --out fdrive_out && ./rdrive --quiet --out rdrive_out)
if out=$("$PY" -c "
import sys
f = [l.split(',') for l in open(sys.argv[1]).read().splitlines()[1:]]
r = [l.split(',') for l in open(sys.argv[2]).read().splitlines()[1:]]
d = max(abs(float(v) - float(b[1])) for a, b in zip(f, r) for v in a[1:])
print('%d rows, max |u_field(x) - u_rates| = %.3g (tolerance 1e-9; the input frozen over each step gave 1.2e-3)'
      % (len(f), d))
sys.exit(0 if len(f) == len(r) == 11 and d <= 1e-9 else 1)" "$WORK/fdrive_out/field.csv" "$WORK/rdrive_out/trace.csv"); then
  pass "field with I(t) = its rates model: $out"
else fail "field with I(t) = its rates model: $out"; fi
finish
