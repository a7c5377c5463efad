#!/bin/sh
# tests/e2e/net_rates.sh — `record rates every W` (docs/language.md 5.9,
# "Output"): rates.csv of tests/e2e/models/net_outputs.msn (40 exc, 10 inh
# neurons, bins of 2 ms over 101 ms: the last bin [100, 101) is 1 ms wide)
# equals the rates computed here from spikes.csv, to every printed digit;
# rates.npy holds the same numbers; a --dt that does not divide the bin
# (0.075 ms) rounds it to whole steps (run.json rate_bin).
. "$SRCDIR/tests/e2e/lib.sh"

"$MSNC" build "$SRCDIR/tests/e2e/models/net_outputs.msn" -o "$WORK/net" 2> "$WORK/build.err"
"$WORK/net" --quiet --out "$WORK/o"
"$WORK/net" --quiet --out "$WORK/n" --format npy
hdr=$(head -1 "$WORK/o/rates.csv")
if [ "$hdr" = "t [ms],exc [Hz],inh [Hz]" ]; then pass "rates.csv header: $hdr"; else fail "rates.csv header: $hdr"; fi
res=$(python3 - "$WORK/o" "$WORK/n" <<'PY'
import math, struct, sys
o, n = sys.argv[1], sys.argv[2]
size, w, end = {"exc": 40, "inh": 10}, 2.0, 101.0
nb = math.ceil(end / w)
cnt = {p: [0] * nb for p in size}
for line in open(o + "/spikes.csv").readlines()[1:]:
    t, p, _ = line.split(",")
    cnt[p][min(nb - 1, int(math.floor(float(t) / w + 1e-9)))] += 1
want = []
for b in range(nb):
    width = min(w, end - b * w)
    want.append("%.10g,%s" % (b * w, ",".join("%.10g" % (cnt[p][b] * 1000.0 / (size[p] * width)) for p in ("exc", "inh"))))
got = [l.rstrip("\n") for l in open(o + "/rates.csv").readlines()[1:]]
bad = sum(1 for a, b in zip(want, got) if a != b) + abs(len(want) - len(got))
raw = open(n + "/rates.npy", "rb").read()
hlen = struct.unpack("<H", raw[8:10])[0]
vals = struct.unpack("<%dd" % ((len(raw) - 10 - hlen) // 8), raw[10 + hlen:])
csv = [float(x) for l in got for x in l.split(",")]
npy_bad = "(%d, 3)" % nb not in raw[10:10 + hlen].decode() or len(vals) != len(csv) or \
    any(abs(a - b) > 1e-9 * abs(b) for a, b in zip(vals, csv))
print(bad, len(got), sum(cnt["exc"]) + sum(cnt["inh"]), int(npy_bad))
PY
)
set -- $res
check "rows of rates.csv that differ from the rates of spikes.csv" "$1" "<=" 0
check "bins (101 ms in bins of 2 ms)" "$2" ">=" 51
check "bins (101 ms in bins of 2 ms)" "$2" "<=" 51
check "spikes binned (the network must fire)" "$3" ">=" 100
check "rates.npy differs from rates.csv (beyond 1e-9 relative)" "$4" "<=" 0
"$WORK/net" --quiet --out "$WORK/d" --dt 0.075ms --duration 30ms
bin=$(grep -o '"rate_bin": {"value": [0-9.e+-]*' "$WORK/d/run.json" | sed 's/.*: //')
check "rate bin with --dt 0.075 ms: 2 ms rounded to 27 steps [ms]" "$bin" ">=" 2.0249999
check "rate bin with --dt 0.075 ms: 2 ms rounded to 27 steps [ms]" "$bin" "<=" 2.0250001
rows=$(($(wc -l < "$WORK/d/rates.csv") - 1))
check "bins of 30 ms (400 steps of 0.075 ms) in bins of 27 steps" "$rows" ">=" 15
check "bins of 30 ms (400 steps of 0.075 ms) in bins of 27 steps" "$rows" "<=" 15
finish
