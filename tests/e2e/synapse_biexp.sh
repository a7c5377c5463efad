#!/bin/sh
# tests/e2e/synapse_biexp.sh — the bi-exponential synapse (stdlib/synapses.msn,
# docs/language.md 5.10) against the analytic difference of exponentials.
#
# tests/e2e/models/syn_biexp.msn: a spike of source 1 (weight w1 = 2 nS,
# delay 1 ms) and one of source 2 (w2 = 3 nS, delay 0.5 ms) reach the BiExp
# synapse (tau_rise 1 ms, tau_decay 5 ms) of two target neurons, through
# two projections.  A spike found in the step (t_k, t_k+1] is delivered at
# t_k+1 + delay (docs/language.md 5.9), so with t_i that time
#   a(t) = sum_i w_i N e^(-(t - t_i)/tau_rise),  b(t) = sum_i w_i N e^(-(t - t_i)/tau_decay)
#   g = b - a,  N = 1 / (e^(-tp/tau_decay) - e^(-tp/tau_rise)),
#   tp = tau_rise tau_decay / (tau_decay - tau_rise) ln(tau_decay / tau_rise).
# a and b are integrated exactly (cnexp: x <- x e^(-dt/tau) per step) half
# a step ahead of V (docs/language.md 6.5): the row of time t holds their
# values at t + dt/2, and an increment at t_i is carried over that half
# step (5.10).  So the only error is rounding: every recorded a, b and g
# (trace.npy, full doubles) must agree with the formula at t + dt/2 to
# 1e-12 of the peak w_i.  Also: the single-event conductance peaks at w1 at
# t1 + tp (the largest sample lies within one step of tp and within 1e-5 of
# w1 below it: the curve is flat there), the two projections sum linearly,
# the coefficient follows --set (tau_rise 2 ms gives another N, checked the
# same way), population initial values reach the states of a synapse that
# only projections insert (also by the qualified name b_BiExp), and a
# weight in a density unit is a unit error.
. "$SRCDIR/tests/e2e/lib.sh"
export MSN_STDLIB="$SRCDIR/stdlib"
PY=${PYTHON:-python3}
command -v "$PY" > /dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

"$MSNC" build "$SRCDIR/tests/e2e/models/syn_biexp.msn" -o "$WORK/biexp" 2> "$WORK/err" &&
  pass "msnc build syn_biexp.msn" || fail "msnc build syn_biexp.msn: $(cat "$WORK/err")"

# compare OUT TAU_RISE TAU_DECAY: max errors, as "err_a err_b err_g peak_rel peak_dt"
compare() {
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import ast, math, struct, sys
out, tr, td = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def npy(path):
    d = open(path, 'rb').read()
    hl = struct.unpack('<H', d[8:10])[0]
    h = ast.literal_eval(d[10:10 + hl].decode())
    rows, cols = h['shape']
    v = struct.unpack('<%dd' % (rows * cols), d[10 + hl:10 + hl + 8 * rows * cols])
    return [v[i * cols:(i + 1) * cols] for i in range(rows)]
tr_, sp = npy(out + '/trace.npy'), npy(out + '/spikes.npy')
dt = 0.01
# sources are populations 0 and 1; delivery at ceil(t/dt) + delay steps
delay = {0: 100, 1: 50}
w = {0: 2.0, 1: 3.0}
events = []
for t, pop, _ in sp:
    if int(pop) in (0, 1):
        events.append((int(math.ceil(t / dt - 1e-9)) + delay[int(pop)], w[int(pop)]))
if len(events) != 2:
    print("events", len(events)); sys.exit(1)
tp = tr * td / (td - tr) * math.log(td / tr)
N = 1 / (math.exp(-tp / td) - math.exp(-tp / tr))
ea = eb = eg = 0.0
peak, peak_t = 0.0, 0.0
first = min(e[0] for e in events)
second = max(e[0] for e in events)
for n, row in enumerate(tr_):
    a = b = 0.0
    for k, wi in events:
        if n >= k:
            a += wi * N * math.exp(-(n - k + 0.5) * dt / tr)
            b += wi * N * math.exp(-(n - k + 0.5) * dt / td)
    # columns: t, a[0..3], b[0..3]; targets are instances 2 and 3
    for j in (2, 3):
        sa, sb = row[1 + j], row[5 + j]
        ea = max(ea, abs(sa - a) / 2.0)
        eb = max(eb, abs(sb - b) / 2.0)
        eg = max(eg, abs((sb - sa) - (b - a)) / 2.0)
    if first <= n < second and row[7] - row[3] > peak:
        peak, peak_t = row[7] - row[3], (n - first + 0.5) * dt
print("%.3g %.3g %.3g %.3g %.3g" % (ea, eb, eg, (peak - 2.0) / 2.0, abs(peak_t - tp)))
PYEOF
}

# msnc info lists the deliveries: N = 1.86919 for tau_rise 1 ms, tau_decay 5 ms
"$MSNC" info "$SRCDIR/tests/e2e/models/syn_biexp.msn" > "$WORK/info" 2>&1
if grep -q "src1 -> tgt  synapse BiExp, w = 2e-09: a += 1.86919 \* w (\*), b += 1.86919 \* w (\*)" "$WORK/info"
then pass "msnc info: the deliveries of src1 -> tgt"
else fail "msnc info: $(grep -A3 projections "$WORK/info")"; fi

"$WORK/biexp" --quiet --format npy --out "$WORK/o1"
set -- $(compare "$WORK/o1" 1 5)
echo "default BiExp: max |a - exact|/w $1, |b - exact|/w $2, |g - exact|/w $3; peak (g_max - w)/w $4 at |t - tp| $5 ms"
check "a against the exact solution (relative to the weight)" "$1" "<=" 1e-12
check "b against the exact solution (relative to the weight)" "$2" "<=" 1e-12
check "g = b - a against the exact solution, two projections summed" "$3" "<=" 1e-12
check "largest sample of g after one event, (g - w)/w" "$4" "<=" 1e-12
check "largest sample of g after one event, (g - w)/w" "$4" ">=" -1e-5
check "its time against t_peak [ms]" "$5" "<=" 0.01

"$WORK/biexp" --quiet --format npy --out "$WORK/o2" --set tau_rise_BiExp=2ms
set -- $(compare "$WORK/o2" 2 5)
echo "tau_rise 2 ms by --set: errors $1 $2 $3; peak $4 at $5 ms"
check "--set tau_rise_BiExp=2ms: g against the exact solution with the new normalisation" "$3" "<=" 1e-12
check "--set tau_rise_BiExp=2ms: peak (g - w)/w" "$4" "<=" 1e-12
check "--set tau_rise_BiExp=2ms: peak (g - w)/w" "$4" ">=" -1e-5

# initial values of the implicitly inserted synapse's states, by short
# (a) and qualified (b_BiExp) name: row t = 0 of the trace holds them
sed 's/^population tgt = 2 of Ramp$/population tgt = 2 of Ramp { b_BiExp(0) = 1 nS; a(0) = 0.5 nS }/' \
  "$SRCDIR/tests/e2e/models/syn_biexp.msn" > "$WORK/init.msn"
if "$MSNC" run "$WORK/init.msn" --quiet --out "$WORK/init" 2> "$WORK/init.err"; then
  row=$(awk -F, 'NR == 2 { print $2, $4, $5, $8, $9 }' "$WORK/init/trace.csv")
  if [ "$row" = "0 0.5 0.5 1 1" ]; then pass "population initial values a(0), b_BiExp(0) of an implicit synapse: $row"
  else fail "initial values a[0] a[2] a[3] b[2] b[3]: $row, wanted 0 0.5 0.5 1 1"; fi
else
  fail "initial values of synapse states: $(cat "$WORK/init.err")"
fi

# a weight per membrane area into a point synapse: E0912 with the factor
sed 's/weight 2 nS/weight 0.2 mS\/cm^2/' "$SRCDIR/tests/e2e/models/syn_biexp.msn" > "$WORK/bad.msn"
if "$MSNC" check "$WORK/bad.msn" 2> "$WORK/bad.err"; then fail "density weight into a point synapse accepted"
elif grep -q "E0912" "$WORK/bad.err" && grep -q "multiply by the membrane area of Ramp (1000 um^2): the weight is 2 nS" "$WORK/bad.err"
then pass "density weight into a point synapse: E0912 with the area factor"
else fail "density weight: $(cat "$WORK/bad.err")"; fi
finish
