#!/bin/sh
# tests/e2e/synapse_tm.sh — Tsodyks–Markram plasticity on projections into
# synapse blocks (tests/e2e/models/syn_tm.msn; docs/language.md 5.10): the
# train of tests/e2e/network_tm.sh (20 Hz, 10 spikes, a recovery spike
# 500 ms later), depressing and facilitating sets.  Each spike adds 2 u R
# and -u R to two states of the synapse; every increment must equal 2 and
# -1 times the release of tests/data/tsodyks_markram.csv to 1e-9.
. "$SRCDIR/tests/e2e/lib.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/syn_tm.msn" -o "$WORK/tm" 2> "$WORK/err" &&
  pass "msnc build syn_tm.msn" || fail "msnc build syn_tm.msn: $(cat "$WORK/err")"
PY=${PYTHON:-python3}
command -v "$PY" > /dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
# full doubles (trace.npy): the recorded sums reach 4, where the 10 digits
# of trace.csv would leave 1e-9 of rounding in each increment
"$WORK/tm" --quiet --format npy --out "$WORK/o"
"$PY" - "$WORK/o" "$SRCDIR/tests/data/tsodyks_markram.csv" > "$WORK/res" <<'PYEOF'
import ast, json, struct, sys
out, ref = sys.argv[1], sys.argv[2]
d = open(out + '/trace.npy', 'rb').read()
hl = struct.unpack('<H', d[8:10])[0]
h = ast.literal_eval(d[10:10 + hl].decode())
rows, cols = h['shape']
v = struct.unpack('<%dd' % (rows * cols), d[10 + hl:10 + hl + 8 * rows * cols])
names = json.load(open(out + '/run.json'))['columns']
refrows = [l.strip().split(',') for l in open(ref)][1:]
for name, rc, f in (('x', 5, 2), ('x2', 5, -1), ('y', 10, 2), ('y2', 10, -1)):
    c = [i for i, n in enumerate(names) if n.startswith(name + '[1] ')][0]
    col = [v[r * cols + c] for r in range(rows)]
    inc = [col[r] - col[r - 1] for r in range(1, rows) if col[r] != col[r - 1]]
    want = [f * float(r[rc]) for r in refrows]
    err = max(abs(a - b) for a, b in zip(inc, want)) if len(inc) == len(want) else 1e9
    print(name, f, len(inc), '%.3g' % err)
PYEOF
while read -r name f n e; do
  check "increments of $name" "$n" ">=" 11
  check "increments of $name" "$n" "<=" 11
  check "max |increment of $name - ($f) u R|" "$e" "<=" 1e-9
done < "$WORK/res"
n=$(wc -l < "$WORK/res")
check "states compared" "$n" ">=" 4
finish
