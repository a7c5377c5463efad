#!/bin/sh
# tests/e2e/synapse_poisson.sh — Poisson input into a synapse
# (tests/e2e/models/syn_poisson.msn; docs/language.md 5.9, 5.10): K = 100
# independent trains of nu = 20 Hz with weight w = 0.5 nS into the
# exponential synapse (tau = 5 ms) of 200 neurons.  By Campbell's theorem
# the stationary conductance has
#   mean K nu w tau = 5 nS,   variance K nu w^2 tau / 2 = 1.25 nS^2
# (the time grid changes both by less than 1e-4 at dt 0.1 ms: the input of
# a step arrives at its end and is carried half a step).  Over 50-1050 ms
# and the 200 neurons, the standard error of the mean is
# sqrt(1.25 nS^2 * 2 tau / T / 200) = 0.0079 nS and that of the variance
# about 1 %: the test requires the mean within 0.04 nS (5 standard errors)
# and the variance within 6 %.
. "$SRCDIR/tests/e2e/lib.sh"
export MSN_STDLIB="$SRCDIR/stdlib"

"$MSNC" build "$SRCDIR/tests/e2e/models/syn_poisson.msn" -o "$WORK/pois" 2> "$WORK/err" &&
  pass "msnc build syn_poisson.msn" || fail "msnc build syn_poisson.msn: $(cat "$WORK/err")"
"$WORK/pois" --quiet --seed 3 --out "$WORK/o"
set -- $(awk -F, 'NR > 1 && $1 >= 50 { for (i = 2; i <= NF; i++) { s += $i; ss += $i * $i; n++ } }
                  END { m = s / n; printf "%.6g %.6g %d\n", m, ss / n - m * m, n }' "$WORK/o/trace.csv")
mean=$1 var=$2 n=$3
echo "Poisson drive of Exp: mean conductance $mean nS (Campbell: 5), variance $var nS^2 (1.25), $n samples"
check "samples" "$n" ">=" 200000
check "mean conductance [nS] >= 5 - 0.04" "$mean" ">=" 4.96
check "mean conductance [nS] <= 5 + 0.04" "$mean" "<=" 5.04
check "variance [nS^2] >= 1.25 * 0.94" "$var" ">=" 1.175
check "variance [nS^2] <= 1.25 * 1.06" "$var" "<=" 1.325
finish
