#!/bin/sh
# tests/e2e/passive_cable.sh — examples/passive_cable.msn against the shared
# validation set (validation/passive_cable.json; tests/data/passive_cable_*.csv
# are its copies): a sealed 1 mm cable, 1 um, Ra 100 ohm*cm, Rm 20 kohm*cm^2,
# Cm 1 uF/cm^2, EL -70 mV, 0.1 nA at x = 0.
#   steady state V(x) at x = 0, 0.25, 0.5, 0.75, 1 vs the analytic cosh
#   solution: within 0.1 % of the deflection; input resistance within 0.1 %;
#   charging curve V(0, t) vs the analytic series (V_analytic_x0_mV), t <= 50 ms:
#   within 0.5 % of V - EL for t >= 0.1 ms and of the final deflection for all t.
# A coarse `discretize segments 5` must warn with lambda and the segment length.
. "$SRCDIR/tests/e2e/lib.sh"
EX="$SRCDIR/examples/passive_cable.msn"

# steady state: 400 ms = 20 tau
"$MSNC" run "$EX" --duration 400ms --out "$WORK/steady" --quiet
tail -1 "$WORK/steady/trace.csv" | awk -F, '{ for (i = 2; i <= 6; i++) print $i }' > "$WORK/v_end"
# V(x) - EL = I0 R_inf cosh((L - x)/lambda) / sinh(L/lambda)
awk 'BEGIN { lam = 707.1067811865476; L = 1000; Rinf = 900.316316157106; I0 = 0.1
             for (k = 0; k <= 4; k++) { x = k * 250
               c = (exp((L - x) / lam) + exp(-(L - x) / lam)) / 2; s = (exp(L / lam) - exp(-L / lam)) / 2
               printf "%.12g\n", -70 + I0 * Rinf * c / s } }' > "$WORK/v_ana"
err=$(paste "$WORK/v_end" "$WORK/v_ana" | awk '{ d = ($1 - $2) / ($2 + 70); if (d < 0) d = -d; if (d > m) m = d }
                                                  END { printf "%.3g", m }')
check "steady V(x) at 0, 0.25, 0.5, 0.75, 1, rel. to the deflection" "$err" "<=" 1e-3
rin=$(head -1 "$WORK/v_end" | awk '{ printf "%.6f", ($1 + 70) / 0.1 }')
rerr=$(awk -v r="$rin" 'BEGIN { d = (r - 1013.4297033713049) / 1013.4297033713049; if (d < 0) d = -d; printf "%.3g", d }')
echo "R_in = $rin MOhm (analytic 1013.4297)"
check "input resistance, relative error" "$rerr" "<=" 1e-3

# charging curve at x = 0, dt 0.01 ms, 50 ms
"$MSNC" run "$EX" --duration 50ms --out "$WORK/charge" --quiet
awk -F, 'NR == FNR { if (FNR > 1) va[FNR] = $8; next }
         FNR > 1 && (FNR in va) { d = $2 - va[FNR]; if (d < 0) d = -d
                   if (d / 101.34297 > ma) ma = d / 101.34297
                   if ($1 >= 0.1 - 1e-9) { r = d / (va[FNR] + 70); if (r > mb) mb = r } }
         END { printf "%.3g %.3g\n", mb, ma }' "$SRCDIR/tests/data/passive_cable_charging.csv" \
  "$WORK/charge/trace.csv" > "$WORK/cerr"
read -r cb ca < "$WORK/cerr"
echo "charging errors: $cb (t >= 0.1 ms, rel. to V - EL), $ca (rel. to the final deflection)"
check "charging V(0,t) rel. to V - EL, t >= 0.1 ms" "$cb" "<=" 5e-3
check "charging V(0,t) rel. to the final deflection" "$ca" "<=" 5e-3
rows=$(wc -l < "$WORK/charge/trace.csv")
check "charging trace rows (t = 0 .. 50 ms every 0.01 ms, + header)" "$rows" ">=" 5002
head -1 "$WORK/charge/trace.csv" | grep -q '^t \[ms\],V@cable(0) \[mV\],V@cable(0.25) \[mV\]' &&
  pass "output columns V@cable(x) [mV]" || fail "output columns: $(head -1 "$WORK/charge/trace.csv")"

# an explicit segment count below the d_lambda rule warns with the numbers
sed 's/discretize max_length 1 um.*/discretize segments 5/' "$EX" > "$WORK/coarse.msn"
"$MSNC" check "$WORK/coarse.msn" 2> "$WORK/warn" || true
grep -q 'W0813.*200 um long.*28.21 um (lambda_100 = 282.1 um)' "$WORK/warn" &&
  pass "W0813 shows lambda and the segment length" || { cat "$WORK/warn"; fail "W0813 missing"; }
finish
