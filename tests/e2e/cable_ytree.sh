#!/bin/sh
# tests/e2e/cable_ytree.sh — a Y-shaped passive tree through the language
# against the analytic steady state (docs/cable.md, "Validation"): a parent
# cylinder (L0, d0) with 0.1 nA injected at its x = 0, two daughters
# (L1, d1), (L2, d2) from its x = 1, all ends sealed; Ra 100 ohm*cm,
# Rm 20 kohm*cm^2 (g = 0.05 mS/cm^2), Cm 1 uF/cm^2, EL -70 mV; run to
# steady state (600 ms = 30 tau), segments of at most 2 um.
#
# Analytic steady state, v = V - EL, in every branch v'' = v / lambda^2 with
#   lambda_i = sqrt(d_i / (4 Ra g)),  R_i = 4 Ra lambda_i / (pi d_i^2)
#   (input resistance of a semi-infinite cylinder):
#   daughter i (y from its start): v = v(L0) cosh((L_i - y)/lambda_i) / cosh(L_i/lambda_i),
#     so it loads the branch point with G_i = tanh(L_i/lambda_i) / R_i;
#   parent: v = A cosh(x/lambda0) + B sinh(x/lambda0), B = -I0 R0 (the current
#     at x = 0), and current conservation at the branch point,
#     -v'(L0) / r_a0 = (G1 + G2) v(L0), gives
#     A = I0 R0 (G0 c + GL s) / (G0 s + GL c), c, s = cosh, sinh(L0/lambda0),
#     G0 = 1/R0, GL = G1 + G2.
# Case 1 obeys Rall's 3/2 rule (d1 = d2 = d0 / 2^(2/3), L1/lambda1 =
# L2/lambda2): the tree is also the equivalent cylinder of electrotonic
# length X = L0/lambda0 + L1/lambda1, v(x) = I0 R0 cosh(X - x/lambda0) / sinh(X)
# on the parent, checked as well.  Case 2 violates it (asymmetric daughters,
# d1^1.5 + d2^1.5 != d0^1.5); the equivalent cylinder is then wrong by
# more than 1 %, which the test also shows.
# Tolerance: 1e-3 of the deflection at parent(0), parent(0.5), parent(1),
# d1(0.5), d1(1), d2(0.5), d2(1).
. "$SRCDIR/tests/e2e/lib.sh"

# model L0 d0 L1 d1 L2 d2 (um)
model() {
  cat <<EOM
channel Pas {
  param g = 0.05 mS/cm^2
  param E = -70 mV
  current g * (V - E)
}
morphology y {
  parent cylinder(length = $1 um, diam = $2 um)
  d1 cylinder(length = $3 um, diam = $4 um) from parent(1)
  d2 cylinder(length = $5 um, diam = $6 um) from parent(1)
}
cell Y {
  morphology y
  Ra = 100 ohm*cm
  Cm = 1 uF/cm^2
  V(0) = -70 mV
  insert Pas everywhere
  discretize max_length 2 um
  stimulus I0 = 0.1 nA at parent(0)
}
simulate {
  model Y
  duration 600 ms
  dt 0.1 ms
  record V@parent(0), V@parent(0.5), V@parent(1), V@d1(0.5), V@d1(1), V@d2(0.5), V@d2(1) every 100 ms
}
EOM
}

# analytic L0 d0 L1 d1 L2 d2 (um): V (mV) at the seven recorded points, then
# the equivalent cylinder's V at parent(0), parent(0.5), parent(1)
analytic() {
  awk -v L0="$1" -v d0="$2" -v L1="$3" -v d1="$4" -v L2="$5" -v d2="$6" '
    function ch(x) { return (exp(x) + exp(-x)) / 2 }
    function sh(x) { return (exp(x) - exp(-x)) / 2 }
    function lam(d) { return sqrt(d / (4 * Ra * g)) }
    function Rinf(d) { return 4 * Ra * lam(d) / (pi * d * d) }
    BEGIN { Ra = 1; g = 0.5; I0 = 1e-10; E = -70; pi = atan2(0, -1)
      L0 *= 1e-6; d0 *= 1e-6; L1 *= 1e-6; d1 *= 1e-6; L2 *= 1e-6; d2 *= 1e-6
      l0 = lam(d0); l1 = lam(d1); l2 = lam(d2); R0 = Rinf(d0)
      G0 = 1 / R0; GL = sh(L1 / l1) / ch(L1 / l1) / Rinf(d1) + sh(L2 / l2) / ch(L2 / l2) / Rinf(d2)
      c = ch(L0 / l0); s = sh(L0 / l0)
      A = I0 * R0 * (G0 * c + GL * s) / (G0 * s + GL * c); B = -I0 * R0
      for (k = 0; k <= 2; k++) { x = k * L0 / 2; v[k] = A * ch(x / l0) + B * sh(x / l0) }
      vb = v[2]
      v[3] = vb * ch(L1 / 2 / l1) / ch(L1 / l1); v[4] = vb / ch(L1 / l1)
      v[5] = vb * ch(L2 / 2 / l2) / ch(L2 / l2); v[6] = vb / ch(L2 / l2)
      for (k = 0; k <= 6; k++) printf "%.12g\n", E + 1e3 * v[k]
      X = L0 / l0 + L1 / l1
      for (k = 0; k <= 2; k++) printf "%.12g\n", E + 1e3 * I0 * R0 * ch(X - k * L0 / 2 / l0) / sh(X) }'
}

# maxrel FILE_A FILE_B: max |a - b| / |b - EL| over the lines both have
maxrel() {
  paste "$1" "$2" | awk 'NF == 2 { d = ($1 - $2) / ($2 + 70); if (d < 0) d = -d; if (d > m) m = d; n++ }
                         END { if (!n) m = "nan"; printf "%.3g", m }'
}

run_case() { # NAME L0 d0 L1 d1 L2 d2
  name=$1; shift
  model "$@" > "$WORK/$name.msn"
  "$MSNC" run "$WORK/$name.msn" --out "$WORK/$name" --quiet 2> /dev/null
  tail -1 "$WORK/$name/trace.csv" | tr , '\n' | tail -n +2 > "$WORK/$name.v"
  tail -2 "$WORK/$name/trace.csv" | head -1 | tr , '\n' | tail -n +2 > "$WORK/$name.prev"
  analytic "$@" > "$WORK/$name.all"
  head -7 "$WORK/$name.all" > "$WORK/$name.ana"
  tail -3 "$WORK/$name.all" > "$WORK/$name.eqc"
  head -3 "$WORK/$name.v" > "$WORK/$name.v3"
  echo "$name msn:      $(tr '\n' ' ' < "$WORK/$name.v")"
  echo "$name analytic: $(tr '\n' ' ' < "$WORK/$name.ana")"
  check "$name: steady state reached (last two records)" "$(maxrel "$WORK/$name.v" "$WORK/$name.prev")" "<=" 1e-6
  n=$(wc -l < "$WORK/$name.v")
  check "$name: seven recorded locations" "$n" ">=" 7
  check "$name: V at 7 points vs the analytic tree, rel. to the deflection" \
    "$(maxrel "$WORK/$name.v" "$WORK/$name.ana")" "<=" 1e-3
}

# Rall: d1 = d2 = 2 um / 2^(2/3) = 1.259921 um, equal lengths
run_case rall 200 2 300 1.259921 300 1.259921
check "rall: the analytic tree equals the equivalent cylinder (parent)" \
  "$(maxrel "$WORK/rall.ana" "$WORK/rall.eqc")" "<=" 1e-6
check "rall: msn vs the equivalent cylinder on the parent" "$(maxrel "$WORK/rall.v3" "$WORK/rall.eqc")" "<=" 1e-3
# not Rall: d1^1.5 + d2^1.5 = 1 + 2.83 against d0^1.5 = 2.83, unequal daughters
run_case asym 200 2 300 1 160 2
check "asym: the equivalent cylinder is wrong here (parent), rel. difference" \
  "$(maxrel "$WORK/asym.ana" "$WORK/asym.eqc")" ">=" 1e-2
finish
