#!/bin/sh
# tests/e2e/cable_convergence.sh — spatial convergence of the cable
# discretisation through the language: examples/passive_cable.msn (sealed
# 1 mm cable, 1 um, Ra 100 ohm*cm, Rm 20 kohm*cm^2, EL -70 mV, 0.1 nA at
# x = 0) with `discretize segments N`, N = 8, 16, 32, 64 (segment length
# halved three times; every N puts nodes on x = 0, 0.25, .., 1), run to
# steady state (400 ms = 20 tau, dt 0.1 ms).
#   error(N) = max over x = 0, 0.25, 0.5, 0.75, 1 of |V - V_analytic| / (V_analytic - EL),
#   V_analytic - EL = I0 R_inf cosh((L - x)/lambda) / sinh(L/lambda)
#   (lambda = 707.107 um, R_inf = 900.316 MOhm: validation/passive_cable.json);
#   observed order log2(error(N) / error(2N)) in [1.8, 2.2] for each of the
#   three refinements (the scheme is second order in h: docs/cable.md).
. "$SRCDIR/tests/e2e/lib.sh"
EX="$SRCDIR/examples/passive_cable.msn"

awk 'BEGIN { lam = 707.1067811865476; L = 1000; Rinf = 900.316316157106; I0 = 0.1
             for (k = 0; k <= 4; k++) { x = k * 250
               c = (exp((L - x) / lam) + exp(-(L - x) / lam)) / 2; s = (exp(L / lam) - exp(-L / lam)) / 2
               printf "%.12g\n", -70 + I0 * Rinf * c / s } }' > "$WORK/v_ana"
for n in 8 16 32 64; do
  sed -e "s/discretize max_length 1 um.*/discretize segments $n/" -e 's/^  dt 0.01 ms/  dt 0.1 ms/' \
      -e 's/every 0.01 ms/every 100 ms/' "$EX" > "$WORK/m$n.msn"
  grep -q "segments $n" "$WORK/m$n.msn" || { fail "cannot make the model with $n segments"; finish; }
  "$MSNC" run "$WORK/m$n.msn" --duration 400ms --out "$WORK/o$n" --quiet 2> /dev/null
  tail -1 "$WORK/o$n/trace.csv" | tr , '\n' | tail -n +2 > "$WORK/v$n"
  paste "$WORK/v$n" "$WORK/v_ana" | awk '{ d = ($1 - $2) / ($2 + 70); if (d < 0) d = -d; if (d > m) m = d }
                                         END { if (NR != 5) m = "nan"; printf "%.6g\n", m }' > "$WORK/e$n"
done
e8=$(cat "$WORK/e8"); e16=$(cat "$WORK/e16"); e32=$(cat "$WORK/e32"); e64=$(cat "$WORK/e64")
echo "errors (rel. to the deflection), 8/16/32/64 segments: $e8 $e16 $e32 $e64"
for pair in "$e8 $e16 8-16" "$e16 $e32 16-32" "$e32 $e64 32-64"; do
  set -- $pair
  p=$(awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.4f", log(a / b) / log(2); else print "nan" }')
  check "observed order, segments $3" "$p" ">=" 1.8
  check "observed order, segments $3" "$p" "<=" 2.2
done
check "error at 64 segments (h = 15.6 um), rel. to the deflection" "$e64" "<=" 1e-3
finish
