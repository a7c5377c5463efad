#!/bin/sh
# tests/e2e/nan_guard.sh — a run that blows up stops cleanly.
# tests/e2e/models/blowup.msn: x' = k x^2 / (1 ms), x(0) = 1, k = 0, 1, 0.5
# per instance, so x = 1 / (1 - k t/ms) with a pole at t = 1 ms for
# instance 1.  With its method, rk4 at dt 0.025 ms:
#  - the program exits 2 and stderr names the state, the instance (1) and
#    the time, which lies past the pole and within 0.1 ms (4 steps) of it
#    (observed 1.075 ms);
#  - run.json says completed false with the same error, t_reached is that
#    time, and the trace is written up to the step before it: its last row
#    is at t - dt, all of its values are finite, and the row counts of
#    trace.csv, trace.npy (its header rewritten at the failure) and run.json
#    agree;
#  - before the pole the numbers are right: x[0] stays exactly 1; up to
#    t = 0.5 ms x[1] and x[2] match 1 / (1 - k t) within 1e-6 relative
#    (RK4 observed 7.6e-8), and halving dt shrinks the error of x[1] by
#    >= 12 (fourth order: 16; observed 16).
# The staggered method solves x' = k x^2 / tau by linearised Crank–Nicolson,
# x1 = x0 / (1 - k dt x0 / tau), which is the exact flow of this Riccati
# equation: up to 0.9 ms it must match 1 / (1 - k t) within 1e-12 relative
# (rounding only; observed 2e-15).  (Past the pole that map jumps to
# negative values without ever being infinite, so the guard has nothing to
# catch there: that is why the blow-up part uses rk4.)
# The Hodgkin–Huxley neuron given 1e6 uA/cm^2 at dt 0.5 ms (staggered) must
# also stop with exit 2 and a message naming a state and a time after the
# stimulus starts (10 ms), with the trace up to there.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/npy.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/blowup.msn" -o "$WORK/blow"

# ---- rk4: the blow-up ------------------------------------------------------
st=0
"$WORK/blow" --out "$WORK/rk4" 2> "$WORK/rk4.err" || st=$?
cat "$WORK/rk4.err"
check "blow-up: exit status" "$st" ">=" 2
check "blow-up: exit status" "$st" "<=" 2
expect_in "blow-up: stderr names state x and instance 1" "$WORK/rk4.err" \
  "blow: error: state 'x' of instance 1 became +inf at t = "
expect_in "blow-up: stderr points at the partial output" "$WORK/rk4.err" \
  "partial output and run.json in $WORK/rk4/"
tfail=$(sed -n "s/.* became +inf at t = \([-0-9.e+]*\) ms .*/\1/p" "$WORK/rk4.err")
: "${tfail:=-1}"
check "blow-up: time of the failure, past the pole [ms]" "$tfail" ">=" 1
check "blow-up: time of the failure, near the pole [ms]" "$tfail" "<=" 1.1

json=$WORK/rk4/run.json
expect_in "blow-up: run.json says completed false" "$json" '"completed": false'
expect_in "blow-up: run.json has the error" "$json" \
  "\"error\": \"state 'x' of instance 1 became +inf at t = $tfail ms"
expect_in "blow-up: run.json t_reached is the time of the failure" "$json" \
  "\"t_reached\": {\"value\": $tfail, \"unit\": \"ms\"}"
rows=$(sed -n 's/^  "rows": \([0-9]*\),$/\1/p' "$json")
lines=$(($(wc -l < "$WORK/rk4/trace.csv") - 1))
want=$(awk -v t="$tfail" 'BEGIN { printf "%d\n", t / 0.025 + 0.5 }')
check "blow-up: trace.csv rows = run.json rows" "$lines" ">=" "$rows"
check "blow-up: trace.csv rows = run.json rows" "$lines" "<=" "$rows"
check "blow-up: trace rows t = 0 .. t_fail - dt" "$rows" ">=" "$want"
check "blow-up: trace rows t = 0 .. t_fail - dt" "$rows" "<=" "$want"
last=$(tail -n 1 "$WORK/rk4/trace.csv" | cut -d, -f1)
gap=$(awk -v a="$last" -v t="$tfail" 'BEGIN { d = t - 0.025 - a; printf "%.3g\n", d < 0 ? -d : d }')
check "blow-up: last trace row at t_fail - dt [ms]" "$gap" "<=" 1e-9
nonfinite=$(tail -n +2 "$WORK/rk4/trace.csv" | grep -ci 'nan\|inf' || true)
check "blow-up: non-finite values in the trace" "$nonfinite" "<=" 0

# the same with npy output: the header's row count is rewritten at the end
st=0
"$WORK/blow" --quiet --format npy --out "$WORK/rk4n" 2> /dev/null || st=$?
check "blow-up (npy): exit status" "$st" ">=" 2
nrows=$(npy_shape "$WORK/rk4n/trace.npy" | awk '{ print $1 }')
check "blow-up (npy): trace.npy rows = run.json rows" "$nrows" ">=" "$rows"
check "blow-up (npy): trace.npy rows = run.json rows" "$nrows" "<=" "$rows"
expect_in "blow-up (npy): run.json says completed false" "$WORK/rk4n/run.json" '"completed": false'

# accuracy before the pole: columns t, x[0], x[1], x[2]
acc() { # DIR TMAX: max relative errors "e0 e1 e2" of x[i] against 1/(1 - k_i t)
  npy_values "$1/trace.npy" | awk -v tmax="$2" '
    { v[(NR - 1) % 4] = $1 }
    (NR % 4 == 0) && v[0] <= tmax {
      for (i = 1; i <= 3; i++) {
        k = (i == 1) ? 0 : (i == 2) ? 1 : 0.5
        e = v[i] * (1 - k * v[0]) - 1; if (e < 0) e = -e
        if (e > m[i]) m[i] = e
      }
    }
    END { printf "%.3g %.3g %.3g\n", m[1], m[2], m[3] }'
}
set -- $(acc "$WORK/rk4n" 0.5)
check "rk4: x[0] (k = 0) stays 1: max relative change" "$1" "<=" 0
check "rk4 dt 0.025 ms: x[1] against 1/(1 - t) up to 0.5 ms (relative)" "$2" "<=" 1e-6
check "rk4 dt 0.025 ms: x[2] against 1/(1 - t/2) up to 0.5 ms (relative)" "$3" "<=" 1e-6
e025=$2
"$WORK/blow" --quiet --format npy --dt 0.0125ms --out "$WORK/rk4h" 2> /dev/null || true
set -- $(acc "$WORK/rk4h" 0.5)
ratio=$(awk -v a="$e025" -v b="$2" 'BEGIN { printf "%.3g\n", (b > 0) ? a / b : 1e9 }')
echo "rk4 errors of x[1] up to 0.5 ms: dt 0.025 ms -> $e025, dt 0.0125 ms -> $2 (ratio $ratio)"
check "rk4: error ratio when dt is halved (fourth order: 16)" "$ratio" ">=" 12

# ---- staggered: exact flow up to the pole ---------------------------------
"$WORK/blow" --quiet --format npy --method staggered --duration 0.9ms --out "$WORK/stag"
set -- $(acc "$WORK/stag" 0.9)
check "staggered: x[0] (k = 0) stays 1: max relative change" "$1" "<=" 0
check "staggered: x[1] against 1/(1 - t) up to 0.9 ms (relative)" "$2" "<=" 1e-12
check "staggered: x[2] against 1/(1 - t/2) up to 0.9 ms (relative)" "$3" "<=" 1e-12
expect_in "staggered up to 0.9 ms: completed" "$WORK/stag/run.json" '"completed": true'

# ---- Hodgkin–Huxley: a huge stimulus at a large dt --------------------------
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"
st=0
"$WORK/hh" --quiet --out "$WORK/hh_out" --set I_ext=1e6uA/cm^2 --dt 0.5ms 2> "$WORK/hh.err" || st=$?
cat "$WORK/hh.err"
check "HH with 1e6 uA/cm^2 at dt 0.5 ms: exit status" "$st" ">=" 2
check "HH with 1e6 uA/cm^2 at dt 0.5 ms: exit status" "$st" "<=" 2
if grep -Eq "^hh: error: state '(V|m|h|n)' became (NaN|\+inf|-inf) at t = [0-9.]+ ms" "$WORK/hh.err"; then
  pass "HH blow-up: stderr names the state and the time"
else fail "HH blow-up: unexpected message: $(cat "$WORK/hh.err")"; fi
thh=$(sed -n "s/.* at t = \([0-9.]*\) ms .*/\1/p" "$WORK/hh.err")
: "${thh:=-1}"
check "HH blow-up: after the stimulus starts [ms]" "$thh" ">=" 10.5
expect_in "HH blow-up: run.json says completed false" "$WORK/hh_out/run.json" '"completed": false'
last=$(tail -n 1 "$WORK/hh_out/trace.csv" | cut -d, -f1)
check "HH blow-up: trace written up to the step before [ms]" "$last" ">=" "$(awk -v t="$thh" 'BEGIN { print t - 0.5 }')"
check "HH blow-up: trace written up to the step before [ms]" "$last" "<=" "$(awk -v t="$thh" 'BEGIN { print t - 0.5 }')"

finish
