#!/bin/sh
# tests/e2e/brunel_regimes.sh — the four states of Brunel (2000) model A
# (Fig. 8) by parameter change from examples/brunel.msn (examples/brunel.md):
# the relative inhibition g sets the inhibitory weight -g J (J = 0.1 mV) and
# eta = nu_ext / nu_thr the Poisson rate eta * 10 Hz; everything else,
# including the size (12,500 neurons, in-degrees 1000/250/1000), is the
# example's.  Seed 12345, statistics after a 100 ms transient.
#
# Synchrony: S = sqrt(var(n) - mean(n)) / mean(n) for the population spike
# count n in 0.1 ms bins, the CV of the population rate with the Poisson
# (independent-neuron) variance mean(n) removed: 0 for independent neurons,
# large when the population fires in volleys.  Regularity: the mean CV of
# the ISIs of the neurons with >= 3 spikes (tests/e2e/lib.sh network_stats).
# Measured (this seed): AI S 0.77, rate 38.0 Hz, CV 0.37; SR S 3.9, 310 Hz,
# CV 0.001; SI-fast S 1.15, 59 Hz, CV 0.75; SI-slow S 2.2, 5.8 Hz, CV 0.53.
# Required:
#   AI       (g 5,   eta 2,   300 ms):  S <= 0.9, rate 34-41 Hz, CV 0.3-0.5
#   SR       (g 3,   eta 2,   200 ms):  S >= 2,   rate >= 200 Hz, CV <= 0.1
#   SI fast  (g 6,   eta 4,   300 ms):  S >= 1,   CV >= 0.5
#   SI slow  (g 4.5, eta 0.9, 1000 ms): S >= 1.5, rate <= 15 Hz, CV >= 0.45
# (SI slow runs longer: at 5.8 Hz few neurons fire 3 times in 200 ms, and
# those that do are the regular ones.)  About 20 s on an idle core.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

# synchrony SPIKES T0 T1: S in 0.1 ms bins over (T0, T1] ms
synchrony() {
  awk -F, -v t0="$2" -v t1="$3" -v b=0.1 '
    NR > 1 && $1 > t0 && $1 <= t1 { c[int(($1 - t0 - 1e-9) / b)]++ }
    END { nb = int((t1 - t0) / b + 0.5)
          for (i = 0; i < nb; i++) { s += c[i]; ss += c[i] * c[i] }
          m = s / nb; v = ss / nb - m * m - m; if (v < 0) v = 0
          printf "%.4g\n", (m > 0 ? sqrt(v) / m : 0) }' "$1"
}

# regime NAME G ETA DURATION_MS: build and run a variant; sets S RATE CV
regime() {
  wi=$(awk -v g="$2" 'BEGIN { printf "%g", -g * 0.1 }')
  nu=$(awk -v e="$3" 'BEGIN { printf "%g", e * 10 }')
  sed -e "s/weight -0.5 mV/weight $wi mV/" -e "s/poisson 20 Hz/poisson $nu Hz/" \
    "$SRCDIR/examples/brunel.msn" > "$WORK/$1.msn"
  n=$(grep -c -e "weight $wi mV" -e "poisson $nu Hz" "$WORK/$1.msn")
  check "$1: inhibitory weights and external rate changed (lines)" "$n" ">=" 3
  "$MSNC" build "$WORK/$1.msn" -o "$WORK/$1"
  "$WORK/$1" --quiet --seed 12345 --duration "$4ms" --out "$WORK/o_$1"
  S=$(synchrony "$WORK/o_$1/spikes.csv" 100 "$4")
  set -- $(network_stats "$WORK/o_$1/spikes.csv" 12500 100 "$4")
  RATE=$1 CV=$2
}

regime AI 5 2 300
echo "AI: synchrony $S, rate $RATE Hz, CV of ISIs $CV"
check "AI synchrony" "$S" "<=" 0.9
check "AI rate [Hz] >= 34" "$RATE" ">=" 34
check "AI rate [Hz] <= 41" "$RATE" "<=" 41
check "AI CV of ISIs >= 0.3" "$CV" ">=" 0.3
check "AI CV of ISIs <= 0.5" "$CV" "<=" 0.5

regime SR 3 2 200
echo "SR: synchrony $S, rate $RATE Hz, CV of ISIs $CV"
check "SR synchrony" "$S" ">=" 2
check "SR rate [Hz]" "$RATE" ">=" 200
check "SR CV of ISIs (regular)" "$CV" "<=" 0.1

regime SIfast 6 4 300
echo "SI fast: synchrony $S, rate $RATE Hz, CV of ISIs $CV"
check "SI fast synchrony" "$S" ">=" 1
check "SI fast CV of ISIs (irregular)" "$CV" ">=" 0.5

regime SIslow 4.5 0.9 1000
echo "SI slow: synchrony $S, rate $RATE Hz, CV of ISIs $CV"
check "SI slow synchrony" "$S" ">=" 1.5
check "SI slow rate [Hz]" "$RATE" "<=" 15
check "SI slow CV of ISIs (irregular)" "$CV" ">=" 0.45
finish
