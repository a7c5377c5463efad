#!/bin/sh
# tests/e2e/synapse_current.sh — a point synapse acts on the membrane
# through the cell's area (docs/language.md 5.10): one spike of weight
# w = 0.01 nA into CurrExp (tau_s 5 ms) of a passive neuron (tau_m = Cm/g =
# 20 ms, area A = 1000 um^2, Cm = 1 uF/cm^2; tests/e2e/models/syn_currexp.msn).
# With k = w / (A Cm) = 1 mV/ms and t0 the delivery time (spike step end +
# delay), the depolarisation is
#   V - E = k tau_m tau_s / (tau_s - tau_m) (e^(-(t-t0)/tau_s) - e^(-(t-t0)/tau_m)),
# peak 3.15 mV.  V is integrated with Crank-Nicolson and the synaptic
# current at half steps (the staggered scheme, second order), so the error
# must fall as dt^2: the observed order between dt 0.1, 0.05 and 0.025 ms
# lies in [1.8, 2.2], and the error at 0.025 ms is below 1e-6 of the peak
# (measured: 6.9e-6, 1.7e-6, 4.3e-7 of the peak).  A wrong area or unit
# factor would be an O(1) error at every dt; an event that acts half a step
# late (a synaptic state that lives half a step ahead of V and is not
# carried over that half step) an O(dt) one.
. "$SRCDIR/tests/e2e/lib.sh"
export MSN_STDLIB="$SRCDIR/stdlib"

"$MSNC" build "$SRCDIR/tests/e2e/models/syn_currexp.msn" -o "$WORK/cur" 2> "$WORK/err" &&
  pass "msnc build syn_currexp.msn" || fail "msnc build syn_currexp.msn: $(cat "$WORK/err")"

# err DT: max |V - exact| / peak over the run (column V[1] of the target)
err() {
  "$WORK/cur" --quiet --dt "$1ms" --out "$WORK/o$1"
  ts=$(awk -F, 'NR == 2 { print $1 }' "$WORK/o$1/spikes.csv")
  awk -F, -v dt="$1" -v ts="$ts" 'BEGIN {
      n0 = int(ts / dt); if (n0 * dt < ts) n0++          # the step (t_k, t_k+1] of the spike ends at n0 dt
      t0 = n0 * dt + 1; k = 1; tm = 20; tsy = 5; E = -65
      tp = tm * tsy / (tm - tsy) * log(tm / tsy)
      peak = k * tm * tsy / (tsy - tm) * (exp(-tp / tsy) - exp(-tp / tm)) }
    NR > 1 { t = $1; v = E
             if (t >= t0 - 1e-9) { u = t - t0; v = E + k * tm * tsy / (tsy - tm) * (exp(-u / tsy) - exp(-u / tm)) }
             d = $3 - v; if (d < 0) d = -d; if (d > m) m = d }
    END { printf "%.6g %.6g\n", m / peak, peak }' "$WORK/o$1/trace.csv"
}
set -- $(err 0.1); e1=$1; peak=$2
set -- $(err 0.05); e2=$1
set -- $(err 0.025); e3=$1
o1=$(awk -v a="$e1" -v b="$e2" 'BEGIN { printf "%.4g", log(a / b) / log(2) }')
o2=$(awk -v a="$e2" -v b="$e3" 'BEGIN { printf "%.4g", log(a / b) / log(2) }')
echo "CurrExp into a passive cell (peak $peak mV): max error / peak $e1 (dt 0.1 ms), $e2 (0.05), $e3 (0.025); order $o1, $o2"
check "peak depolarisation of the analytic solution [mV]" "$peak" ">=" 3
check "order of convergence, dt 0.1 -> 0.05 ms" "$o1" ">=" 1.8
check "order of convergence, dt 0.1 -> 0.05 ms" "$o1" "<=" 2.2
check "order of convergence, dt 0.05 -> 0.025 ms" "$o2" ">=" 1.8
check "order of convergence, dt 0.05 -> 0.025 ms" "$o2" "<=" 2.2
check "max |V - exact| / peak at dt 0.025 ms" "$e3" "<=" 1e-6
finish
