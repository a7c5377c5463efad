#!/bin/sh
# tests/e2e/wilson_cowan.sh — the Wilson–Cowan model (stdlib/wilson_cowan.msn,
# run through examples/wilson_cowan.msn) against SciPy.
# Reference: tests/data/rate_models.csv, copied from the shared validation set
# (validation/wilson_cowan.json, validation/wilson_cowan_limit_cycle.csv and
# validation/populations.md; DOP853 at rtol 1e-11).  tau = 10 ms, so the
# limit cycle's period is 4.99589 tau = 49.9589 ms.  We require:
#   limit cycle (P = 1.25) with rk4 and heun at dt 0.05 ms and with rk45:
#     the period (upward crossings of the mean level of E after 300 ms,
#     interpolated) and the extrema of E and I within 0.5 %;
#   rk4 at dt 0.05 ms: E and I at t = 10 tau within 1e-8 of the reference
#     trajectory (the trace has 10 significant digits);
#   heun is second order and euler first: when dt halves (0.1 -> 0.05 ms)
#     their errors at t = 10 tau shrink by 3.5..4.5 and 1.7..2.6;
#   P = 1.5 (--set P=1.5), rk4: the period 3.31989 tau (after 1 s) within 0.5 %;
#   P = 1.0 (--set P=1): E settles on the stable fixed point 0.0282548
#     within 1e-6 (the reference's own rounding is 5e-8), I stays put;
#   the second parameter set of wilson_cowan.json (all set with --set): the
#     fixed point (0.466652, 0.244404) within 1e-8.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/rates_lib.sh"

"$MSNC" build "$SRCDIR/examples/wilson_cowan.msn" -o "$WORK/wc"
run() { # NAME ARGS...
  name=$1
  shift
  "$WORK/wc" --quiet --out "$WORK/$name" "$@"
}

T=$(awk -v p="$(ref wc_period_tau)" 'BEGIN { printf "%.9g\n", 10 * p }')
for m in rk4 heun rk45; do
  run "lc_$m" --method "$m" --dt 0.05ms --duration 1000ms --record-every 0.1ms
  tr=$WORK/lc_$m/trace.csv
  p=$(period "$tr" 2 0 300)
  echo "$m: period $p ms (reference $T ms)"
  check "$m: period, relative error" "$(relerr "$p" "$T")" "<=" 0.005
  check "$m: max E, relative error" "$(relerr "$(extremum "$tr" 2 0 300 max)" "$(ref wc_E_max)")" "<=" 0.005
  check "$m: min E, relative error" "$(relerr "$(extremum "$tr" 2 0 300 min)" "$(ref wc_E_min)")" "<=" 0.005
  check "$m: max I, relative error" "$(relerr "$(extremum "$tr" 3 0 300 max)" "$(ref wc_I_max)")" "<=" 0.005
  check "$m: min I, relative error" "$(relerr "$(extremum "$tr" 3 0 300 min)" "$(ref wc_I_min)")" "<=" 0.005
done
check "rk4: E at 10 tau" "$(abserr "$(value "$WORK/lc_rk4/trace.csv" 100 2)" "$(ref wc_t10tau_E)")" "<=" 1e-8
check "rk4: I at 10 tau" "$(abserr "$(value "$WORK/lc_rk4/trace.csv" 100 3)" "$(ref wc_t10tau_I)")" "<=" 1e-8

# order of convergence: error of E at t = 100 ms
for m in heun euler; do
  for dt in 0.1 0.05; do
    run "o_${m}_$dt" --method "$m" --dt "${dt}ms" --duration 100ms --record-every 100ms
  done
  e1=$(abserr "$(value "$WORK/o_${m}_0.1/trace.csv" 100 2)" "$(ref wc_t10tau_E)")
  e2=$(abserr "$(value "$WORK/o_${m}_0.05/trace.csv" 100 2)" "$(ref wc_t10tau_E)")
  echo "$m: error of E at 10 tau: $e1 (dt 0.1 ms), $e2 (dt 0.05 ms)"
  r=$(ratio "$e1" "$e2")
  if [ "$m" = heun ]; then lo=3.5 hi=4.5; else lo=1.7 hi=2.6; fi
  check "$m: error ratio dt 0.1 -> 0.05 ms" "$r" ">=" "$lo"
  check "$m: error ratio dt 0.1 -> 0.05 ms" "$r" "<=" "$hi"
done

# P = 1.5: a faster cycle
# (it settles on its cycle more slowly: measure after 1 s)
run p15 --set P=1.5 --dt 0.05ms --duration 2000ms --record-every 0.1ms
T15=$(awk -v p="$(ref wc_P15_period_tau)" 'BEGIN { printf "%.9g\n", 10 * p }')
p=$(period "$WORK/p15/trace.csv" 2 0 1000)
echo "P = 1.5: period $p ms (reference $T15 ms)"
check "P = 1.5: period, relative error" "$(relerr "$p" "$T15")" "<=" 0.005

# P = 1.0: the stable fixed point
run p1 --set P=1 --duration 1000ms --record-every 10ms
e=$(value "$WORK/p1/trace.csv" 1000 2)
echo "P = 1: E(1000 ms) = $e (reference $(ref wc_P1_E_fixed))"
check "P = 1: E at the fixed point" "$(abserr "$e" "$(ref wc_P1_E_fixed)")" "<=" 1e-6
check "P = 1: E at rest (900 -> 1000 ms)" "$(abserr "$e" "$(value "$WORK/p1/trace.csv" 900 2)")" "<=" 1e-9
check "P = 1: I at rest (900 -> 1000 ms)" \
  "$(abserr "$(value "$WORK/p1/trace.csv" 1000 3)" "$(value "$WORK/p1/trace.csv" 900 3)")" "<=" 1e-9

# the second parameter set of wilson_cowan.json, all through --set
run fp --set c1=12 --set c2=4 --set c3=13 --set c4=11 --set a_e=1.2 --set theta_e=2.8 \
  --set a_i=1 --set theta_i=4 --set P=1 --duration 1000ms --record-every 10ms
check "fixed-point set: E" "$(abserr "$(value "$WORK/fp/trace.csv" 1000 2)" "$(ref wc_fp_E)")" "<=" 1e-8
check "fixed-point set: I" "$(abserr "$(value "$WORK/fp/trace.csv" 1000 3)" "$(ref wc_fp_I)")" "<=" 1e-8

# a rates model has no staggered scheme; run.json names the method
if run stag --method staggered 2> "$WORK/stag.err"; then
  fail "--method staggered for a rates model was accepted"
else
  pass "--method staggered for a rates model is refused"
fi
if grep -q '"method": "rk4"' "$WORK/lc_rk4/run.json"; then pass "run.json: method rk4"; else fail "run.json: method rk4"; fi

finish
