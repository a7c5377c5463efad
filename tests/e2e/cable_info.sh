#!/bin/sh
# tests/e2e/cable_info.sh — `msnc info` on cable cells: the section table's
# DC length constant lambda = sqrt(d / (4 Ra gm)), gm the membrane's
# small-signal (steady-state slope) conductance at V(0), against numbers
# computed here independently:
#   examples/passive_cable.msn: gm = 1/Rm = 0.05 mS/cm^2, lambda = 707.107 um
#     (validation/passive_cable.json), lambda_100 = 282.1 um, 1000 segments;
#   examples/hh_axon.msn: stdlib HH at -65 mV, gm = dI_ss/dV by a central
#     difference of the steady-state Hodgkin-Huxley currents written out in
#     awk below (1.16622 mS/cm^2), d = 476 um, Ra = 35.4 ohm*cm:
#     lambda = 5369 um;
#   a frustum shows as "frustum" with both diameters; the instance count of
#   cable_bench.msn is shown.
# Tolerance: the table's 4 significant digits (relative 1e-3).
. "$SRCDIR/tests/e2e/lib.sh"

# col FILE SECTION N: field N of the section's row
col() { awk -v s="$2" -v n="$3" '$1 == s && NF >= 10 { print $n; exit }' "$1"; }
rel() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == 0) { print "nan"; exit } d = (a - b) / b; if (d < 0) d = -d; printf "%.3g", d }'; }

"$MSNC" info "$SRCDIR/examples/passive_cable.msn" > "$WORK/p"
check "passive cable: lambda vs 707.107 um" "$(rel "$(col "$WORK/p" cable 8)" 707.1067811865476)" "<=" 1e-3
check "passive cable: gm vs 0.05 mS/cm^2" "$(rel "$(col "$WORK/p" cable 10)" 0.05)" "<=" 1e-3
check "passive cable: lambda_100 vs 282.095 um" "$(rel "$(col "$WORK/p" cable 9)" 282.0948)" "<=" 1e-3
check "passive cable: segments" "$(col "$WORK/p" cable 6)" ">=" 1000

# steady-state HH currents (mA/cm^2 for V in mV; stdlib/hh.msn)
gm_hh=$(awk 'function exprelr(x) { return x == 0 ? 1 : x / (exp(x) - 1) }
  function I(V,  am, bm, ah, bh, an, bn, m, h, n) {
    am = exprelr(-(V + 40) / 10); bm = 4 * exp(-(V + 65) / 18)
    ah = 0.07 * exp(-(V + 65) / 20); bh = 1 / (1 + exp(-(V + 35) / 10))
    an = 0.1 * exprelr(-(V + 55) / 10); bn = 0.125 * exp(-(V + 65) / 80)
    m = am / (am + bm); h = ah / (ah + bh); n = an / (an + bn)
    return 120 * m^3 * h * (V - 50) + 36 * n^4 * (V + 77) + 0.3 * (V + 54.387) }
  BEGIN { d = 1e-3; printf "%.8g", (I(-65 + d) - I(-65 - d)) / (2 * d) }')
lam_hh=$(awk -v g="$gm_hh" 'BEGIN { printf "%.8g", sqrt(476e-4 / (4 * 35.4 * g * 1e-3)) * 1e4 }')
echo "HH at -65 mV: gm = $gm_hh mS/cm^2, lambda = $lam_hh um (d 476 um, Ra 35.4 ohm*cm)"
"$MSNC" info "$SRCDIR/examples/hh_axon.msn" > "$WORK/h"
check "HH axon: gm vs the steady-state slope conductance" "$(rel "$(col "$WORK/h" axon 10)" "$gm_hh")" "<=" 1e-3
check "HH axon: lambda vs sqrt(d / (4 Ra gm))" "$(rel "$(col "$WORK/h" axon 8)" "$lam_hh")" "<=" 1e-3

cat > "$WORK/f.msn" <<'EOM'
channel Pas {
  param g = 0.1 mS/cm^2
  param E = -65 mV
  current g * (V - E)
}
morphology taper { trunk cylinder(length = 300 um, diam = 3 um, diam1 = 1 um) }
cell T { morphology taper; Ra = 100 ohm*cm; Cm = 1 uF/cm^2; insert Pas everywhere }
EOM
"$MSNC" info "$WORK/f.msn" > "$WORK/f"
# mean diameter 2 um: lambda = sqrt(2e-4 cm / (4 * 100 * 1e-4)) = 707.1 um
grep -q '^  trunk  *trunk  *frustum  *300  *3-1 ' "$WORK/f" && pass "frustum row shows both diameters" ||
  { cat "$WORK/f"; fail "frustum row"; }
check "frustum: lambda from the mean diameter vs 707.107 um" "$(rel "$(col "$WORK/f" trunk 8)" 707.1067811865476)" "<=" 1e-3
"$MSNC" info "$SRCDIR/bench/cable/cable_bench.msn" > "$WORK/b"
grep -q 'instances: 1000 cells on one tree' "$WORK/b" && pass "instances shown" || { cat "$WORK/b"; fail "instances"; }
finish
