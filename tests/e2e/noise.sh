#!/bin/sh
# tests/e2e/noise.sh — white noise in rates blocks: x' = f + noise(D) adds
# sqrt(2 D) dW to x over each step, dW ~ N(0, dt) (docs/language.md 5.6).
#
#  1. sigma = 0 is exact: tests/e2e/models/wc_noisy.msn (stdlib Wilson–Cowan
#     plus noise(D_E), noise(D_I), both 0 by default) gives a trace.csv
#     byte-identical to examples/wilson_cowan.msn, with heun and with euler.
#  2. Seeds: the same --seed gives the same trace (also with --threads 2),
#     another seed another trace; rk4, rk45 and staggered are refused with
#     noise; instance 0 of ou.msn gets the same noise with 1 and with 1000
#     instances (the generator is keyed by seed, step, instance, term).
#  3. Ornstein–Uhlenbeck, tests/e2e/models/ou.msn: x' = -x/tau + noise(D),
#     tau = 10 ms, D = 0.5/ms, so the stationary variance is D tau = 5.
#     1000 instances from x = 0, sampled every Delta = 10 ms from 100 ms
#     (10 tau: the start is forgotten to e^-20) to 2100 ms: N = 201000
#     samples.  The second moment m2 of N samples of a stationary Gaussian
#     AR(1) sequence with correlation rho = exp(-Delta/tau) has the relative
#     standard error se = sqrt(2 (1 + rho^2) / ((1 - rho^2) N)) = 0.36 %.
#     Each scheme's own stationary variance at step h differs from D tau by
#     a known factor (heun: (1 - h/2tau)/(1 - h/2tau + h^2/4tau^2), 1 - 2.5e-5
#     at h = 0.1 ms; euler: 1/(1 - h/2tau), 1 + 2.5e-3 at h = 0.05 ms).  We
#     require |m2 / V_scheme - 1| <= 4 se for heun at dt 0.1 ms (seed 1),
#     heun at dt 0.05 ms (seed 2) and euler at dt 0.05 ms (seed 3), and that
#     halving dt leaves m2 unchanged: |m2(0.1) - m2(0.05)| / (D tau)
#     <= 4 sqrt(2) se.  A noise scaled with dt instead of sqrt(dt) would be
#     off by a factor 2 there.
#  4. Multiplicative noise, tests/e2e/models/gbm.msn: x' = noise(D x^2),
#     D = 0.01/ms, x(0) = 1, 10000 instances to T = 10 ms.  heun solves it
#     as a Stratonovich equation, x = exp(sqrt(2D) W): E[log x] = 0; euler
#     as an Ito equation, x = exp(sqrt(2D) W - D t): E[log x] = -D T = -0.1.
#     Standard error of the mean of log x: sqrt(2 D T / 10000) = 0.0045; we
#     require each within 5 standard errors, and, since both runs use the
#     same Wiener paths (same seed), their difference within 0.005 of D T.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/rates_lib.sh"
M=$SRCDIR/tests/e2e/models

same() { # NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then pass "$1"; else fail "$1"; fi
}
differ() {
  if cmp -s "$2" "$3"; then fail "$1"; else pass "$1"; fi
}

# ---- 1. sigma = 0 reproduces the deterministic run exactly ----------------
"$MSNC" build "$SRCDIR/examples/wilson_cowan.msn" -o "$WORK/wc"
"$MSNC" build "$M/wc_noisy.msn" -o "$WORK/wcn"
for m in heun euler; do
  "$WORK/wc" --quiet --out "$WORK/det_$m" --method "$m" --duration 300ms --dt 0.05ms --record-every 0.5ms
  "$WORK/wcn" --quiet --out "$WORK/zero_$m" --method "$m" --duration 300ms --dt 0.05ms --record-every 0.5ms
  same "D = 0 with $m: trace.csv equals the deterministic run's" "$WORK/det_$m/trace.csv" "$WORK/zero_$m/trace.csv"
done

# ---- 2. seeds -----------------------------------------------------------------
noisy() { # NAME ARGS...
  name=$1
  shift
  "$WORK/wcn" --quiet --out "$WORK/$name" --set D_E=1e-4 --set D_I=1e-4 "$@"
}
noisy s5 --seed 5
noisy s5again --seed 5
noisy s5threads --seed 5 --threads 2
noisy s6 --seed 6
same "same seed, same trace" "$WORK/s5/trace.csv" "$WORK/s5again/trace.csv"
same "same seed with --threads 2, same trace" "$WORK/s5/trace.csv" "$WORK/s5threads/trace.csv"
differ "another seed, another trace" "$WORK/s5/trace.csv" "$WORK/s6/trace.csv"
differ "noise on: the trace leaves the deterministic one" "$WORK/s5/trace.csv" "$WORK/det_heun/trace.csv"
if grep -q '"seed": 5,' "$WORK/s5/run.json" && grep -q '"noise": \["E", "I"\],' "$WORK/s5/run.json"; then
  pass "run.json records the seed and the noisy states"
else
  fail "run.json records the seed and the noisy states"
fi
for m in rk4 rk45 staggered; do
  if "$WORK/wcn" --quiet --out "$WORK/refused" --method "$m" 2> "$WORK/refused.err"; then
    fail "--method $m with noise was accepted"
  elif grep -q "heun" "$WORK/refused.err"; then
    pass "--method $m with noise is refused (and heun suggested)"
  else
    fail "--method $m with noise: $(cat "$WORK/refused.err")"
  fi
done

# ---- 3. Ornstein-Uhlenbeck: stationary variance D tau, whatever dt ----------
"$MSNC" build "$M/ou.msn" -o "$WORK/ou"
# the noise of an instance does not depend on how many instances run
sed 's/instances 1000/instances 1/' "$M/ou.msn" > "$WORK/ou1.msn"
"$MSNC" build "$WORK/ou1.msn" -o "$WORK/ou1"
"$WORK/ou1" --quiet --out "$WORK/ou1_run" --duration 200ms
"$WORK/ou" --quiet --out "$WORK/ou1000_run" --duration 200ms
tail -n +2 "$WORK/ou1_run/trace.csv" > "$WORK/ou1.txt"
tail -n +2 "$WORK/ou1000_run/trace.csv" | cut -d, -f1,2 > "$WORK/ou1000.txt"
same "instance 0 gets the same noise with 1 and with 1000 instances" "$WORK/ou1.txt" "$WORK/ou1000.txt"
m2() { # TRACE: second moment of every instance's x over t >= 100 ms, and N
  awk -F, 'NR > 1 && $1 >= 100 { for (c = 2; c <= NF; c++) { q += $c * $c; n++ } }
           END { printf "%.9g %d\n", q / n, n }' "$1"
}
VAR=5                                   # D tau = 0.5/ms * 10 ms
for run in "heun 0.1 1" "heun 0.05 2" "euler 0.05 3"; do
  set -- $run
  "$WORK/ou" --quiet --out "$WORK/ou_$1_$2" --method "$1" --dt "$2ms" --seed "$3"
  set -- $run $(m2 "$WORK/ou_$1_$2/trace.csv")
  # the scheme's own stationary variance and the standard error
  vs=$(awk -v m="$1" -v h="$2" 'BEGIN { a = h / 20; # h / (2 tau), tau = 10 ms
         f = m == "heun" ? (1 - a) / (1 - a + a * a) : 1 / (1 - a); printf "%.9g\n", 5 * f }')
  se=$(awk -v n="$5" 'BEGIN { r2 = exp(-2); printf "%.4g\n", sqrt(2 * (1 + r2) / ((1 - r2) * n)) }')
  tol=$(awk -v se="$se" 'BEGIN { printf "%.4g\n", 4 * se }')
  echo "$1 at dt $2 ms: <x^2> = $4 over $5 samples; expected $vs (D tau = $VAR); relative standard error $se"
  check "OU variance, $1 at dt $2 ms: relative error (4 standard errors)" "$(relerr "$4" "$vs")" "<=" "$tol"
  eval "m2_$1_$(echo "$2" | tr . _)=$4"
done
d=$(awk -v a="$m2_heun_0_1" -v b="$m2_heun_0_05" -v v="$VAR" 'BEGIN { d = (a - b) / v; printf "%.3g\n", d < 0 ? -d : d }')
tol=$(awk -v se="$se" 'BEGIN { printf "%.4g\n", 4 * sqrt(2) * se }')
check "OU variance unchanged when dt halves (heun 0.1 -> 0.05 ms): |difference| / (D tau)" "$d" "<=" "$tol"

# ---- 4. multiplicative noise: Stratonovich (heun) and Ito (euler) -----------
"$MSNC" build "$M/gbm.msn" -o "$WORK/gbm"
meanlog() { # TRACE: mean of log x at the last row (t = T)
  awk -F, 'END { for (c = 2; c <= NF; c++) { s += log($c); n++ } printf "%.6g\n", s / n }' "$1"
}
for m in heun euler; do
  "$WORK/gbm" --quiet --out "$WORK/gbm_$m" --method "$m"
done
lh=$(meanlog "$WORK/gbm_heun/trace.csv")
le=$(meanlog "$WORK/gbm_euler/trace.csv")
echo "E[log x(10 ms)]: heun $lh (Stratonovich: 0), euler $le (Ito: -0.1); standard error 0.0045"
check "heun (Stratonovich): |E[log x]| (5 standard errors)" "$(abserr "$lh" 0)" "<=" 0.0224
check "euler (Ito): |E[log x] + D T| (5 standard errors)" "$(abserr "$le" -0.1)" "<=" 0.0224
check "Stratonovich - Ito on the same paths: |difference - D T|" \
  "$(abserr "$(awk -v a="$lh" -v b="$le" 'BEGIN { print a - b }')" 0.1)" "<=" 0.005

finish
