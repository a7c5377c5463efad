#!/bin/sh
# tests/e2e/rates_drive.sh — a rates block driven through t, against its
# exact solution (tests/e2e/models/drive.msn: tau x' = sin(2 pi f t) - x,
# tau = 5 ms, f = 40 Hz, x(0) = 0).  Without a simulate block a rates model
# runs with rk4 (at the default dt 0.025 ms) and records all its states.
# We require the largest error over 0..100 ms (every 0.1 ms; the trace has
# 10 significant digits) to be at most 1e-9 with the defaults and with rk45,
# 5e-9 with rk4 at dt 0.1 ms, 1e-4 with heun at dt 0.1 ms, and heun's error
# to shrink by 3.5..4.5 when dt halves (second order).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/rates_lib.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/drive.msn" -o "$WORK/drive"
maxerr() { # TRACE: max |x - exact| over the rows
  awk -F, 'NR > 1 { t = $1 / 1000; tau = 0.005; w = 2 * 3.141592653589793 * 40; wt = w * tau
             x = (sin(w * t) - wt * cos(w * t) + wt * exp(-t / tau)) / (1 + wt * wt)
             d = $2 - x; if (d < 0) d = -d; if (d > m) m = d }
           END { printf "%.3g\n", m }' "$1"
}
for run in "rk4 0.1" "rk45 0.1" "heun 0.1" "heun 0.05"; do
  set -- $run
  "$WORK/drive" --quiet --out "$WORK/$1_$2" --method "$1" --dt "$2ms" --record-every 0.1ms
done
"$WORK/drive" --quiet --out "$WORK/default" --record-every 0.1ms
if grep -q '"method": "rk4"' "$WORK/default/run.json"; then pass "default method of a rates model: rk4"
else fail "default method of a rates model: rk4"; fi
if head -1 "$WORK/default/trace.csv" | grep -q '^t \[ms\],x \[1\]$'; then pass "default record: every state"
else fail "default record: $(head -1 "$WORK/default/trace.csv")"; fi
check "rk4 (default) at dt 0.025 ms: max error" "$(maxerr "$WORK/default/trace.csv")" "<=" 1e-9
check "rk4 at dt 0.1 ms: max error" "$(maxerr "$WORK/rk4_0.1/trace.csv")" "<=" 5e-9
check "rk45: max error" "$(maxerr "$WORK/rk45_0.1/trace.csv")" "<=" 1e-9
e1=$(maxerr "$WORK/heun_0.1/trace.csv")
e2=$(maxerr "$WORK/heun_0.05/trace.csv")
check "heun at dt 0.1 ms: max error" "$e1" "<=" 1e-4
r=$(ratio "$e1" "$e2")
check "heun: error ratio dt 0.1 -> 0.05 ms" "$r" ">=" 3.5
check "heun: error ratio dt 0.1 -> 0.05 ms" "$r" "<=" 4.5

finish
