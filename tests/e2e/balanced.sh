#!/bin/sh
# tests/e2e/balanced.sh — the balance report (compiler/sema_balance.c,
# docs/language.md 5.9) and `weight W scale 1/sqrt(K)`.
# Required:
#  - `msnc info examples/brunel.msn` reports for exc and inh Brunel's (2000)
#    diffusion approximation with nu = 38 Hz (the populations' rate hint):
#      mu    = C_E J tau (nu_ext + nu (1 - g gamma))                 = 21 mV
#      sigma = J sqrt(C_E tau (nu_ext + nu (1 + g^2 gamma)))        = 7.68765 mV
#    (C_E 1000, J 0.1 mV, tau 20 ms, nu_ext 20 Hz, g 5, gamma 1/4), to 1e-5
#    relative (the report prints 6 digits); `msnc build` prints the same as
#    one note per population;
#  - examples/balanced.msn (weights j / sqrt(K) with j = J sqrt(K)) gives
#    the same report, no W0954, and the same spikes as brunel.msn (30 ms);
#  - with g = 3 (inhibition too weak) the scaled network gets W0954 for both
#    populations (net mean 59 mV, 2.95 times threshold - rest), the
#    unscaled one none (only declared-balanced inputs are judged);
#  - CUBA's synaptic-current inputs are listed as not covered.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

# MU SIGMA of population POP from a report on stdin
mu_sigma() {
  awk -v pop="$1" '$1 == pop || $1 == pop ":" { cur = ($1 == pop) }
                   cur && /mu = / { for (i = 1; i <= NF; i++) { if ($i == "mu") mu = $(i + 2); if ($i == "sigma") s = $(i + 2) }
                                    print mu + 0, s + 0; exit }'
}
rel() { awk -v a="$1" -v b="$2" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; printf "%.3g\n", d }'; }
ana=$(awk 'BEGIN { C = 1000; J = 0.1; tau = 0.02; ne = 20; nu = 38; g = 5; gm = 0.25
                   printf "%.10g %.10g\n", C * J * tau * (ne + nu * (1 - g * gm)), J * sqrt(C * tau * (ne + nu * (1 + g * g * gm))) }')
set -- $ana
MU=$1 SIG=$2
echo "analytic: mu $MU mV, sigma $SIG mV"

"$MSNC" info "$SRCDIR/examples/brunel.msn" > "$WORK/info"
sed -n '/^balance report/,$p' "$WORK/info"
for pop in exc inh; do
  set -- $(mu_sigma "$pop" < "$WORK/info")
  check "brunel.msn $pop: |mu - analytic| / analytic ($1 mV)" "$(rel "$1" "$MU")" "<=" 1e-5
  check "brunel.msn $pop: |sigma - analytic| / analytic ($2 mV)" "$(rel "$2" "$SIG")" "<=" 1e-5
done
"$MSNC" build "$SRCDIR/examples/brunel.msn" -o "$WORK/brunel" 2> "$WORK/build.err"
n=$(grep -c '^msnc: note: balance of \(exc\|inh\): mu = +21 mV' "$WORK/build.err" || true)
check "msnc build notes (one per population)" "$n" ">=" 2

"$MSNC" check "$SRCDIR/examples/balanced.msn" > "$WORK/bal" 2> "$WORK/bal.err"
for pop in exc inh; do
  set -- $(mu_sigma "$pop" < "$WORK/bal")
  check "balanced.msn $pop: |mu - analytic| / analytic" "$(rel "$1" "$MU")" "<=" 1e-5
  check "balanced.msn $pop: |sigma - analytic| / analytic" "$(rel "$2" "$SIG")" "<=" 1e-5
done
n=$(grep -c '(1/sqrt(K))' "$WORK/bal" || true)
check "scaled projections marked in the report" "$n" ">=" 6
if grep -q W0954 "$WORK/bal.err"; then fail "balanced.msn: no W0954"; else pass "balanced.msn: no W0954"; fi
"$MSNC" build "$SRCDIR/examples/balanced.msn" -o "$WORK/balanced" 2> /dev/null
"$WORK/brunel" --quiet --seed 3 --duration 30ms --out "$WORK/a"
"$WORK/balanced" --quiet --seed 3 --duration 30ms --out "$WORK/b"
if cmp -s "$WORK/a/spikes.csv" "$WORK/b/spikes.csv"; then pass "j / sqrt(K) weights give brunel.msn's spikes"
else fail "j / sqrt(K) weights give brunel.msn's spikes"; fi

sed 's/-0.5 mV \* sqrt(250)/-0.3 mV * sqrt(250)/' "$SRCDIR/examples/balanced.msn" > "$WORK/weak.msn"
"$MSNC" check "$WORK/weak.msn" > /dev/null 2> "$WORK/weak.err"
cat "$WORK/weak.err"
n=$(grep -c 'warning\[W0954\]: the inputs of \(exc\|inh\) are scaled 1/sqrt(K), but excitation and inhibition do not cancel: the net mean input +59 mV' "$WORK/weak.err" || true)
check "g = 3, scaled: W0954 for exc and inh" "$n" ">=" 2
sed 's/weight -0.5 mV/weight -0.3 mV/' "$SRCDIR/examples/brunel.msn" > "$WORK/weak_plain.msn"
"$MSNC" check "$WORK/weak_plain.msn" > "$WORK/plain" 2> "$WORK/plain.err"
if grep -q W0954 "$WORK/plain.err"; then fail "g = 3, not scaled: no W0954"; else pass "g = 3, not scaled: no W0954"; fi
set -- $(mu_sigma exc < "$WORK/plain")
check "g = 3, not scaled: mu reported (59 mV)" "$(rel "$1" 59)" "<=" 1e-5

"$MSNC" check "$SRCDIR/examples/cuba.msn" > "$WORK/cuba"
n=$(grep -c 'targets g[ei]: not covered' "$WORK/cuba" || true)
check "CUBA: synaptic-current projections listed as not covered" "$n" ">=" 4
finish
