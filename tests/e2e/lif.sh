#!/bin/sh
# tests/e2e/lif.sh — leaky integrate-and-fire cells (stdlib/lif.msn):
# threshold, reset and refractory period, integrated exactly.
#   tau_m = Cm/g = 10 ms, E = -70 mV, theta = -50 mV, V_r = -60 mV,
#   tau_ref = 2 ms; with R I > theta - E the period is (V - E frame)
#     T = tau_ref + tau_m ln((R I - (V_r - E)) / (R I - (theta - E)))
# Required:
#   dt 0.1 ms: mean ISI over ~150 spikes within 1e-6 relative of T;
#   f–I curve (6 instances, vary I): every rate within 1e-6 relative,
#     none at or below the rheobase R I = theta - E (2 uA/cm^2);
#   V == V_r exactly in every trace row inside a refractory period, and
#     never at or above theta;
#   spike times independent of dt (0.1 vs 0.37 ms, where crossings and
#     refractory ends fall inside steps) to 1e-9 ms;
#   rk4: ISI within 1e-5 relative; HH with reset still fires, resets and
#     holds V_r; an exponential integrate-and-fire cell (not linear in V:
#     crossings interpolated) fires with its dt -> 0 mean ISI to 1e-3.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

"$MSNC" build "$SRCDIR/examples/lif.msn" -o "$WORK/lif"
"$MSNC" info "$SRCDIR/examples/lif.msn" > "$WORK/info"
if grep -q "solver exp" "$WORK/info" && grep -q "crossing times exact" "$WORK/info"; then
  pass "msnc info: V has the exact exponential solver and exact crossings"
else
  fail "msnc info: V has the exact exponential solver and exact crossings"
fi

# analytic period [ms] for I in uA/cm^2 (R = 10 mV per uA/cm^2)
period() {
  awk -v I="$1" 'BEGIN { RI = 10 * I; if (RI <= 20) print "inf";
                         else printf "%.15g\n", 2 + 10 * log((RI - 10) / (RI - 20)) }'
}
# mean ISI [ms] of instance ID in spikes.csv of OUT
mean_isi() {
  spikes_of "$1" "${2:-0}" | awk '{ if (NR == 1) f = $1; l = $1; n = NR }
    END { if (n >= 2) printf "%.15g\n", (l - f) / (n - 1); else print "nan" }'
}
relerr() { awk -v a="$1" -v b="$2" 'BEGIN { e = (a - b) / b; if (e < 0) e = -e; printf "%.3g\n", e }'; }

# ---- single LIF, constant current, dt 0.1 ms ----
"$WORK/lif" --quiet --duration 2000ms --dt 0.1ms --out "$WORK/d01"
n=$(spikes_of "$WORK/d01" | wc -l)
T=$(period 2.5)
isi=$(mean_isi "$WORK/d01")
e=$(relerr "$isi" "$T")
echo "I = 2.5 uA/cm^2: $n spikes, mean ISI $isi ms, analytic $T ms, relative error $e"
check "spike count over 2 s" "$n" ">=" 150
check "mean ISI relative error at dt 0.1 ms" "$e" "<=" 1e-6

# ---- the refractory period in the trace: V == V_r exactly ----
spikes_of "$WORK/d01" > "$WORK/d01.t"
bad=$(awk -F, 'NR == FNR { s[++ns] = $1; next }
  FNR > 1 { t = $1 + 0; v = $2 + 0; inside = 0
            for (k = 1; k <= ns; k++) if (t > s[k] + 1e-9 && t < s[k] + 2 - 1e-9) inside = 1
            if (inside) { nin++; if (v != -60) nbad++ }
            if (v >= -50) nbad++ }
  END { printf "%d %d\n", nbad + 0, nin + 0 }' "$WORK/d01.t" "$WORK/d01/trace.csv")
set -- $bad
echo "trace rows inside refractory periods: $2, rows with V != V_r there or V >= theta: $1"
check "trace rows inside refractory periods" "$2" ">=" 1000
check "rows with V != V_r inside a refractory period (or V >= theta)" "$1" "<=" 0

# ---- independent of dt: crossings and refractory ends inside steps ----
"$WORK/lif" --quiet --duration 2000ms --dt 0.37ms --out "$WORK/d37"
spikes_of "$WORK/d37" > "$WORK/d37.t"
d=$(max_abs_diff "$WORK/d01.t" "$WORK/d37.t")
check "max spike-time difference dt 0.1 vs 0.37 ms [ms]" "$d" "<=" 1e-9

# ---- rk4 (crossing from the exponential solution of each step) ----
"$WORK/lif" --quiet --duration 2000ms --dt 0.1ms --method rk4 --out "$WORK/rk4"
e4=$(relerr "$(mean_isi "$WORK/rk4")" "$T")
check "mean ISI relative error with rk4 at dt 0.1 ms" "$e4" "<=" 1e-5

# ---- f–I curve: 6 instances, two at or below the rheobase ----
cat > "$WORK/fi.msn" <<'MSN'
import "lif"
simulate {
  model LIF
  instances 6
  vary I in [1 uA/cm^2, 2 uA/cm^2, 2.2 uA/cm^2, 2.5 uA/cm^2, 4 uA/cm^2, 8 uA/cm^2]
  duration 2000 ms
  dt 0.1 ms
  record spikes
}
MSN
"$MSNC" build "$WORK/fi.msn" -o "$WORK/fi"
"$WORK/fi" --quiet --out "$WORK/fi_out"
worst=0
i=0
for I in 1 2 2.2 2.5 4 8; do
  T=$(period "$I")
  c=$(spikes_of "$WORK/fi_out" "$i" | wc -l)
  if [ "$T" = inf ]; then
    echo "  I = $I uA/cm^2: $c spikes (at or below the rheobase)"
    check "spikes at I = $I uA/cm^2 (at or below the rheobase)" "$c" "<=" 0
  else
    isi=$(mean_isi "$WORK/fi_out" "$i")
    e=$(relerr "$isi" "$T")
    echo "  I = $I uA/cm^2: $c spikes, $(awk -v x="$isi" 'BEGIN { printf "%.6f", 1000 / x }') Hz, analytic $(awk -v x="$T" 'BEGIN { printf "%.6f", 1000 / x }') Hz, relative error $e"
    worst=$(awk -v a="$worst" -v b="$e" 'BEGIN { print (b > a) ? b : a }')
  fi
  i=$((i + 1))
done
check "worst relative rate error of the f-I curve" "$worst" "<=" 1e-6

# ---- HH with reset: not linear in V, crossings interpolated ----
cat > "$WORK/hhr.msn" <<'MSN'
import "hh"
cell HHR {
  param Cm = 1 uF/cm^2
  V(0) = -65 mV
  insert Na, K, Leak
  stimulus I_ext = 10 uA/cm^2 during [10 ms, 110 ms]
  spike when V crosses 0 mV
  reset V = -70 mV
  refractory 1 ms
}
simulate {
  model HHR
  duration 150 ms
  dt 0.025 ms
  record V every 0.025 ms
  record spikes
}
MSN
"$MSNC" build "$WORK/hhr.msn" -o "$WORK/hhr"
"$MSNC" info "$WORK/hhr.msn" > "$WORK/hhr.info"
# with its gates frozen over a step, V is linear in itself: solver exp
if grep -q "V .*solver exp" "$WORK/hhr.info"; then pass "HH + reset: V has the exp solver (gates frozen over a step)"
else fail "HH + reset: V has the exp solver (gates frozen over a step)"; fi
for meth in staggered rk4; do
  "$WORK/hhr" --quiet --method "$meth" --out "$WORK/hhr_$meth"
  n=$(spikes_of "$WORK/hhr_$meth" | wc -l)
  check "HH + reset ($meth): spikes during the stimulus" "$n" ">=" 3
  vmax=$(awk -F, 'NR > 1 && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }' "$WORK/hhr_$meth/trace.csv")
  check "HH + reset ($meth): V never above the threshold on the grid [mV]" "$vmax" "<=" 0
  spikes_of "$WORK/hhr_$meth" > "$WORK/hhr.t"
  bad=$(awk -F, 'NR == FNR { s[++ns] = $1; next }
    FNR > 1 { t = $1 + 0; for (k = 1; k <= ns; k++) if (t > s[k] + 1e-9 && t < s[k] + 1 - 1e-9 && $2 + 0 != -70) nbad++ }
    END { print nbad + 0 }' "$WORK/hhr.t" "$WORK/hhr_$meth/trace.csv")
  check "HH + reset ($meth): rows with V != V_r inside a refractory period" "$bad" "<=" 0
done

# ---- exponential integrate-and-fire: not linear in V, crossings interpolated ----
cat > "$WORK/eif.msn" <<'MSN'
channel EIFLeak {
  param g = 0.1 mS/cm^2
  param E = -70 mV
  param DT = 2 mV
  param VT = -55 mV
  current g * (V - E) - g * DT * exp((V - VT) / DT)
}
cell EIF {
  param Cm = 1 uF/cm^2
  V(0) = -70 mV
  insert EIFLeak
  stimulus I = 2 uA/cm^2
  spike when V crosses -45 mV
  reset V = -60 mV
  refractory 2 ms
}
simulate {
  model EIF
  duration 500 ms
  dt 0.025 ms
  record V every 0.025 ms
  record spikes
}
MSN
"$MSNC" build "$WORK/eif.msn" -o "$WORK/eif"
"$MSNC" info "$WORK/eif.msn" > "$WORK/eif.info"
if grep -q "V .*solver cn" "$WORK/eif.info" && grep -q "by linear interpolation" "$WORK/eif.info"; then
  pass "EIF: V not linear in itself, Crank-Nicolson and interpolated crossings"
else
  fail "EIF: V not linear in itself, Crank-Nicolson and interpolated crossings"
fi
"$WORK/eif" --quiet --out "$WORK/eif_025"
"$WORK/eif" --quiet --dt 0.0025ms --out "$WORK/eif_ref"
n=$(spikes_of "$WORK/eif_025" | wc -l)
check "EIF: spikes in 500 ms" "$n" ">=" 30
e=$(relerr "$(mean_isi "$WORK/eif_025")" "$(mean_isi "$WORK/eif_ref")")
check "EIF: mean ISI at dt 0.025 ms vs dt 0.0025 ms (relative)" "$e" "<=" 1e-3
spikes_of "$WORK/eif_025" > "$WORK/eif.t"
bad=$(awk -F, 'NR == FNR { s[++ns] = $1; next }
  FNR > 1 { t = $1 + 0; for (k = 1; k <= ns; k++) if (t > s[k] + 1e-9 && t < s[k] + 2 - 1e-9 && $2 + 0 != -60) nbad++ }
  END { print nbad + 0 }' "$WORK/eif.t" "$WORK/eif_025/trace.csv")
check "EIF: rows with V != V_r inside a refractory period" "$bad" "<=" 0

finish
