#!/bin/sh
# tests/e2e/noise_cells.sh — white noise in cells: x' = f + noise(D) for a
# state of a channel, a synapse or a cell, integrated by the staggered
# method (docs/language.md 5.6).
#
#  1. Ornstein–Uhlenbeck, tests/e2e/models/ou_cell.msn: I' = -I/tau +
#     noise(D) in a channel (tau = 10 ms, D = 0.4 (uA/cm^2)^2/ms, stationary
#     variance D tau = 4) and w' = -w/tau_w + noise(D_w) in the cell itself
#     (tau_w = 20 ms, variance 1).  1000 instances from 0, sampled every
#     Delta = 10 ms from 100 ms (10 tau: the start is forgotten to e^-20) to
#     2100 ms: N = 201000 samples of each.  The second moment m2 of N
#     samples of a stationary Gaussian AR(1) sequence with correlation
#     rho = exp(-Delta/tau) has the relative standard error
#     se = sqrt(2 (1 + rho^2) / ((1 - rho^2) N)) (0.36 % for I, 0.46 % for
#     w).  Both states are linear in themselves, so the step is the exact
#     Ornstein–Uhlenbeck update and m2 = D tau at any dt: we require
#     |m2 / (D tau) - 1| <= 4 se at dt = 0.1 ms and at dt = 1 ms (other
#     seeds).  Euler–Maruyama noise would give D tau / (1 - dt/(2 tau)),
#     +5.3 % for I at dt = 1 ms: 15 standard errors off.  The
#     autocorrelation of I at lag tau (one sample), r = sum I_t I_t+1 /
#     sum I_t^2 over the 200000 pairs, is e^-1 within 4 standard errors,
#     se = sqrt((1 - rho^2) / 200000) = 0.0021 (Bartlett), at both steps.
#  2. Reproducibility: instance 0 of ou_cell.msn gets the same noise with 1
#     and with 1000 instances (the numbers are keyed by seed, step,
#     instance and noisy state); examples/ou_lif.msn (a network of 1000
#     LIF neurons, each with its own OU input current) gives byte-identical
#     spikes with --threads 1, 2 and 3 and the same seed, other spikes with
#     another seed; run.json lists the noisy state.
#  3. D = 0 is the deterministic model: ou_lif.msn with mu raised to
#     0.8 uA/cm^2 (V alone would settle at -49 mV, above threshold, so it
#     fires) and D = 0 gives spikes byte-identical to the same model with
#     its noise term deleted.
#  4. The LIF driven by the OU current: with the default mu (V would
#     settle at -53 mV, below the -50 mV threshold) and D = 0 no neuron
#     fires; with D = 0.004, 0.008, 0.016 (uA/cm^2)^2/ms (seed 1) they
#     fire, and the rate grows strictly with D.
#  5. A synapse block with a noisy state is accepted (msnc check); `msnc
#     kernel` refuses a channel with noise (E0238: the kernel ABI has no
#     random numbers) and compiles the file's other channels when asked for
#     them alone.
#  6. A network of several cells, tests/e2e/models/noise_mixed.msn:
#     population a (noisy OU current I) and b (the same column I, without
#     noise; every b neuron starts at -65 mV).  With --threads 1 and 2 the
#     spikes are the same; a's spikes are those of a network of a alone
#     (a comes first, so its instances keep their indices and their
#     noise); b's are those of b alone, and every b neuron spikes at the
#     same times (no noise reaches b).
#  7. Noise on the reset state, tests/e2e/models/noise_reset.msn: u' = mu +
#     noise(D), reset to 0 at 1, 200 instances for 200 ms at dt 0.01 ms.
#     After every step each instance at or above the threshold has fired
#     and been reset (noise may carry u over it too): no recorded u reaches
#     1.  The mean interval between spikes is the mean first-passage time
#     1/mu = 10 ms within 4 standard errors (from the intervals' own
#     spread, about 0.5 %) plus 0.6 %, the bias of looking at u once a step
#     (the overshoot over the threshold, 0.58 sigma sqrt(dt) = 0.0058).
#  8. Euler-Maruyama, tests/e2e/models/noise_wiener.msn: W' = mu + noise(D)
#     (not linear in itself: solver cn), mu = 0.01/ms, D = 0.1/ms, 20000
#     instances.  W(T) at T = 100 ms has mean mu T = 1 and variance
#     2 D T = 20 at any dt: we require |mean - 1| <= 4 sqrt(20 / 20000) =
#     0.126 and |var / 20 - 1| <= 4 sqrt(2 / 19999) = 0.040 (4 standard
#     errors) at dt 0.1 ms and 1 ms.
#  9. heun and euler integrate a cell with noise too (its noise kernel, as
#     for a rates model): ou_cell.msn with --method heun and euler at dt
#     0.1 ms gives I's variance D tau times the scheme's own factor
#     (heun: (1 - a)/(1 - a + a^2), euler: 1/(1 - a), a = dt/(2 tau) =
#     0.005) within 4 standard errors (0.0145, as in 1); --method rk4 is
#     refused by the generated program.
. "$SRCDIR/tests/e2e/lib.sh"
M=$SRCDIR/tests/e2e/models

same() { # NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then pass "$1"; else fail "$1"; fi
}
differ() {
  if cmp -s "$2" "$3"; then fail "$1"; else pass "$1"; fi
}

# ---- 1. Ornstein-Uhlenbeck: variance D tau and autocorrelation e^-1 at any dt --
"$MSNC" build "$M/ou_cell.msn" -o "$WORK/ou"
# STATS TRACE FIRST LAST: over t >= 100 ms and columns FIRST..LAST, the
# second moment, the sample count and the lag-1 autocorrelation
stats() {
  awk -F, -v c0="$2" -v c1="$3" 'NR > 1 && $1 >= 100 {
      for (c = c0; c <= c1; c++) { q += $c * $c; n++; if (have) { xy += prev[c] * $c; xx += prev[c] * prev[c] } prev[c] = $c }
      have = 1 }
    END { printf "%.9g %d %.9g\n", q / n, n, xy / xx }' "$1"
}
for run in "0.1 1" "1 2"; do
  set -- $run
  dt=$1
  "$WORK/ou" --quiet --out "$WORK/ou_$dt" --dt "${dt}ms" --seed "$2"
  for st in "I 2 1001 4 10" "w 1002 2001 1 20"; do
    set -- $st
    set -- "$@" $(stats "$WORK/ou_$dt/trace.csv" "$2" "$3")
    # $1 state, $4 D tau, $5 tau [ms], $6 m2, $7 N, $8 r
    se=$(awk -v n="$7" -v tau="$5" 'BEGIN { r2 = exp(-2 * 10 / tau); printf "%.4g\n", sqrt(2 * (1 + r2) / ((1 - r2) * n)) }')
    rel=$(awk -v m="$6" -v v="$4" 'BEGIN { d = m / v - 1; printf "%.4g\n", d < 0 ? -d : d }')
    tol=$(awk -v se="$se" 'BEGIN { printf "%.4g\n", 4 * se }')
    echo "$1 at dt $dt ms: <$1^2> = $6 over $7 samples (D tau = $4), relative standard error $se; lag-10 ms autocorrelation $8"
    check "OU variance of $1 at dt $dt ms: |m2 / (D tau) - 1| (4 standard errors)" "$rel" "<=" "$tol"
    if [ "$1" = I ]; then
      dr=$(awk -v r="$8" 'BEGIN { d = r - exp(-1); printf "%.4g\n", d < 0 ? -d : d }')
      tr=$(awk -v n="$7" 'BEGIN { r2 = exp(-2); printf "%.4g\n", 4 * sqrt((1 - r2) / (n - 1000)) }')
      check "OU autocorrelation of I at lag tau, dt $dt ms: |r - e^-1| (4 standard errors)" "$dr" "<=" "$tr"
    fi
  done
done

# ---- 2. reproducibility ---------------------------------------------------------
sed 's/instances 1000/instances 1/' "$M/ou_cell.msn" > "$WORK/ou1.msn"
"$MSNC" build "$WORK/ou1.msn" -o "$WORK/ou1"
"$WORK/ou1" --quiet --out "$WORK/ou1_run" --duration 200ms
"$WORK/ou" --quiet --out "$WORK/ou1000_run" --duration 200ms
tail -n +2 "$WORK/ou1_run/trace.csv" | cut -d, -f1,2 > "$WORK/ou1.txt"
tail -n +2 "$WORK/ou1000_run/trace.csv" | cut -d, -f1,2 > "$WORK/ou1000.txt"
same "instance 0 gets the same noise with 1 and with 1000 instances" "$WORK/ou1.txt" "$WORK/ou1000.txt"
if grep -q '"noise": \["w", "I"\],' "$WORK/ou1000_run/run.json"; then
  pass "run.json lists the noisy states w and I (state order)"
else
  fail "run.json lists the noisy states: $(grep '"noise"' "$WORK/ou1000_run/run.json")"
fi

"$MSNC" build "$SRCDIR/examples/ou_lif.msn" -o "$WORK/lif"
for th in 1 2 3; do "$WORK/lif" --quiet --out "$WORK/lif_t$th" --seed 7 --threads "$th"; done
"$WORK/lif" --quiet --out "$WORK/lif_s8" --seed 8 --threads 2
n7=$(($(wc -l < "$WORK/lif_t1/spikes.csv") - 1))
check "ou_lif.msn, seed 7: spikes" "$n7" ">=" 100
same "same seed, --threads 1 and 2: the same spikes" "$WORK/lif_t1/spikes.csv" "$WORK/lif_t2/spikes.csv"
same "same seed, --threads 1 and 3: the same spikes" "$WORK/lif_t1/spikes.csv" "$WORK/lif_t3/spikes.csv"
differ "another seed, other spikes" "$WORK/lif_t1/spikes.csv" "$WORK/lif_s8/spikes.csv"
if grep -q '"noise": \["I"\],' "$WORK/lif_t2/run.json" && grep -q '"threads": 2,' "$WORK/lif_t2/run.json"; then
  pass "run.json of the network lists the noisy state (and 2 threads)"
else
  fail "run.json of the network: $(grep '"noise"\|"threads"' "$WORK/lif_t2/run.json")"
fi

# ---- 3. D = 0 is the deterministic model ------------------------------------------
sed 's/ + noise(D)//' "$SRCDIR/examples/ou_lif.msn" > "$WORK/det.msn"
if grep -q 'noise(' "$WORK/det.msn"; then fail "the noise term was not deleted"; fi
"$MSNC" build "$WORK/det.msn" -o "$WORK/det"
"$WORK/det" --quiet --out "$WORK/det_run" --seed 3 --set mu_OUCurrent=0.8
"$WORK/lif" --quiet --out "$WORK/zero_run" --seed 3 --set mu_OUCurrent=0.8 --set D_OUCurrent=0
nd=$(($(wc -l < "$WORK/det_run/spikes.csv") - 1))
check "mu = 0.8 uA/cm^2 without noise: spikes" "$nd" ">=" 1000
same "D = 0: the spikes of the model without its noise term" "$WORK/det_run/spikes.csv" "$WORK/zero_run/spikes.csv"

# ---- 4. the rate grows with D ----------------------------------------------------------
"$WORK/lif" --quiet --out "$WORK/d0" --seed 1 --set D_OUCurrent=0
n0=$(($(wc -l < "$WORK/d0/spikes.csv") - 1))
check "D = 0, mean input below threshold: no spikes" "$n0" "<=" 0
prev=0
for D in 0.004 0.008 0.016; do
  "$WORK/lif" --quiet --out "$WORK/d_$D" --seed 1 --set D_OUCurrent=$D
  n=$(($(wc -l < "$WORK/d_$D/spikes.csv") - 1))
  echo "D = $D (uA/cm^2)^2/ms: $n spikes of 1000 neurons in 1 s"
  check "D = $D: more spikes than at the smaller D before it ($prev)" "$n" ">=" $((prev + 1))
  prev=$n
done

# ---- 5. a noisy synapse state -----------------------------------------------------------
cat > "$WORK/syn.msn" <<'MSN'
synapse NoisyExp {
  param tau = 5 ms
  param D = 0.1 nS^2/ms
  param E = 0 mV
  state g = 0 nS
  g' = -g / tau + noise(D)
  on spike(w) { g += w }
  current g * (V - E)
}
MSN
if "$MSNC" check "$WORK/syn.msn" 2> "$WORK/syn.err"; then
  pass "a synapse's state may carry noise"
else
  fail "a synapse's state may carry noise: $(cat "$WORK/syn.err")"
fi
if "$MSNC" kernel "$M/ou_cell.msn" -o "$WORK/k_all.o" 2> "$WORK/k.err"; then
  fail "msnc kernel accepted a channel with noise"
elif grep -q "E0238.*channel OUInput has noise" "$WORK/k.err"; then
  pass "msnc kernel refuses a channel with noise (E0238)"
else
  fail "msnc kernel on a channel with noise: $(cat "$WORK/k.err")"
fi
if "$MSNC" kernel "$M/ou_cell.msn" --channel Leak -o "$WORK/k_leak.o" 2> "$WORK/k.err"; then
  pass "msnc kernel --channel Leak compiles the channel without noise"
else
  fail "msnc kernel --channel Leak: $(cat "$WORK/k.err")"
fi

# ---- 6. a network of several cells, one of them noisy --------------------------------
sed '/^population b/d' "$M/noise_mixed.msn" > "$WORK/mixed_a.msn"
sed '/^population a/d' "$M/noise_mixed.msn" > "$WORK/mixed_b.msn"
for f in "$M/noise_mixed.msn" "$WORK/mixed_a.msn" "$WORK/mixed_b.msn"; do
  "$MSNC" build "$f" -o "$WORK/$(basename "$f" .msn)"
done
"$WORK/noise_mixed" --quiet --out "$WORK/mx1" --seed 4
"$WORK/noise_mixed" --quiet --out "$WORK/mx2" --seed 4 --threads 2
"$WORK/mixed_a" --quiet --out "$WORK/mxa" --seed 4
"$WORK/mixed_b" --quiet --out "$WORK/mxb" --seed 4
same "several cells: the same spikes with --threads 1 and 2" "$WORK/mx1/spikes.csv" "$WORK/mx2/spikes.csv"
grep ',a,' "$WORK/mx1/spikes.csv" > "$WORK/mx_a.txt" || true
grep ',a,' "$WORK/mxa/spikes.csv" > "$WORK/alone_a.txt" || true
grep ',b,' "$WORK/mx1/spikes.csv" > "$WORK/mx_b.txt" || true
grep ',b,' "$WORK/mxb/spikes.csv" > "$WORK/alone_b.txt" || true
check "several cells: spikes of the noisy population a" "$(wc -l < "$WORK/mx_a.txt")" ">=" 100
same "several cells: a's spikes are those of a alone" "$WORK/mx_a.txt" "$WORK/alone_a.txt"
check "several cells: spikes of the quiet population b" "$(wc -l < "$WORK/mx_b.txt")" ">=" 100
same "several cells: b's spikes are those of b alone" "$WORK/mx_b.txt" "$WORK/alone_b.txt"
check "several cells: distinct spike times in b (no noise reaches it; 100 neurons)" \
  "$(cut -d, -f1 "$WORK/mx_b.txt" | sort -u | wc -l)" "<=" "$(($(wc -l < "$WORK/mx_b.txt") / 100))"

# ---- 7. noise on the reset state ------------------------------------------------------
"$MSNC" build "$M/noise_reset.msn" -o "$WORK/drift"
"$WORK/drift" --quiet --out "$WORK/drift_run" --seed 5
umax=$(awk -F, 'NR > 1 { for (c = 2; c <= NF; c++) if (!have || $c > m) { m = $c; have = 1 } } END { printf "%.9g\n", m }' \
  "$WORK/drift_run/trace.csv")
check "noise on the reset state: the largest recorded u stays below the threshold 1" "$umax" "<=" 0.999999999
set -- $(awk -F, 'NR > 1 { if ($2 in last) { d = $1 - last[$2]; s += d; q += d * d; n++ } last[$2] = $1 }
  END { m = s / n; printf "%.9g %d %.4g\n", m, n, sqrt((q / n - m * m) / n) / m }' "$WORK/drift_run/spikes.csv")
echo "noise on the reset state: mean interval $1 ms over $2 intervals (relative standard error $3); Wald: 10 ms"
rel=$(awk -v m="$1" 'BEGIN { d = m / 10 - 1; printf "%.4g\n", d < 0 ? -d : d }')
check "noise on the reset state: |mean interval / (1/mu) - 1| (4 standard errors + 0.006)" "$rel" "<=" \
  "$(awk -v se="$3" 'BEGIN { printf "%.4g\n", 4 * se + 0.006 }')"

# ---- 8. Euler-Maruyama on a state that is not linear in itself ------------------------
"$MSNC" build "$M/noise_wiener.msn" -o "$WORK/walk"
for run in "0.1 6" "1 7"; do
  set -- $run
  "$WORK/walk" --quiet --out "$WORK/walk_$1" --dt "$1ms" --seed "$2"
  set -- "$1" $(awk -F, 'END { for (c = 2; c <= NF; c++) { s += $c; q += $c * $c; n++ }
                              m = s / n; printf "%.6g %.6g\n", m, (q - n * m * m) / (n - 1) }' "$WORK/walk_$1/trace.csv")
  echo "W(100 ms) at dt $1 ms: mean $2 (mu T = 1), variance $3 (2 D T = 20)"
  check "Euler-Maruyama, dt $1 ms: |mean of W(T) - mu T| (4 standard errors)" \
    "$(awk -v m="$2" 'BEGIN { d = m - 1; printf "%.4g\n", d < 0 ? -d : d }')" "<=" 0.126
  check "Euler-Maruyama, dt $1 ms: |var of W(T) / (2 D T) - 1| (4 standard errors)" \
    "$(awk -v v="$3" 'BEGIN { d = v / 20 - 1; printf "%.4g\n", d < 0 ? -d : d }')" "<=" 0.040
done

# ---- 9. heun and euler on a cell with noise ---------------------------------------------
for run in "heun 8" "euler 9"; do
  set -- $run
  "$WORK/ou" --quiet --out "$WORK/ou_$1" --method "$1" --seed "$2"
  set -- "$1" $(stats "$WORK/ou_$1/trace.csv" 2 1001)
  want=$(awk -v m="$1" 'BEGIN { a = 0.005; printf "%.9g\n", 4 * (m == "heun" ? (1 - a) / (1 - a + a * a) : 1 / (1 - a)) }')
  echo "$1 at dt 0.1 ms: <I^2> = $2 over $3 samples; the scheme's stationary variance $want"
  check "$1 on a cell with noise: |m2 / variance - 1| (4 standard errors)" \
    "$(awk -v m="$2" -v v="$want" 'BEGIN { d = m / v - 1; printf "%.4g\n", d < 0 ? -d : d }')" "<=" 0.0145
done
if "$WORK/ou" --quiet --out "$WORK/ou_rk4" --method rk4 2> "$WORK/rk4.err"; then
  fail "--method rk4 on a cell with noise was accepted"
elif grep -q "has noise, which --method rk4 cannot integrate" "$WORK/rk4.err"; then
  pass "--method rk4 on a cell with noise is refused"
else
  fail "--method rk4 on a cell with noise: $(cat "$WORK/rk4.err")"
fi
finish
