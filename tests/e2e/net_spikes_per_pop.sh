#!/bin/sh
# tests/e2e/net_spikes_per_pop.sh — `record spikes per population`
# (docs/language.md 5.9, "Output"): tests/e2e/models/net_outputs.msn with a
# third population that gets no input (quiet, 3 neurons at rest) is run
# twice with the same seed, once writing spikes.csv and once the files
# spikes_exc.csv, spikes_inh.csv, spikes_quiet.csv.  spikes.csv split by
# population with awk must equal the three files byte for byte (the same
# spikes in the same order); spikes_quiet.csv is the header alone; with
# --format npy the files are (n, 2) float64 arrays of the same numbers
# ((0, 2) for quiet); run.json lists the files; no spikes.csv is written.
. "$SRCDIR/tests/e2e/lib.sh"

cp "$SRCDIR/tests/e2e/models/step_lif.msn" "$WORK/"
sed 's/^source ext/population quiet = 3 of LIF20\nsource ext/' \
  "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/one.msn"
sed 's/^  record spikes$/  record spikes per population/' "$WORK/one.msn" > "$WORK/per.msn"
if cmp -s "$WORK/one.msn" "$WORK/per.msn"; then fail "the sed edit of the model did nothing"; fi
"$MSNC" build "$WORK/one.msn" -o "$WORK/one" 2> "$WORK/build.err"
"$MSNC" build "$WORK/per.msn" -o "$WORK/per" 2>> "$WORK/build.err"
"$WORK/one" --quiet --out "$WORK/a" --seed 7
"$WORK/per" --quiet --out "$WORK/p" --seed 7
"$WORK/per" --quiet --out "$WORK/n" --seed 7 --format npy

mkdir "$WORK/split"
for pop in exc inh quiet; do echo "t [ms],id" > "$WORK/split/spikes_$pop.csv"; done
awk -F, -v d="$WORK/split" 'NR > 1 { print $1 "," $3 >> (d "/spikes_" $2 ".csv") }' "$WORK/a/spikes.csv"
for pop in exc inh quiet; do
  if cmp "$WORK/split/spikes_$pop.csv" "$WORK/p/spikes_$pop.csv"; then
    pass "spikes_$pop.csv equals the $pop lines of spikes.csv, byte for byte"
  else
    fail "spikes_$pop.csv differs from the $pop lines of spikes.csv"
  fi
done
n_exc=$(($(wc -l < "$WORK/p/spikes_exc.csv") - 1))
n_inh=$(($(wc -l < "$WORK/p/spikes_inh.csv") - 1))
check "spikes of exc (the network must fire)" "$n_exc" ">=" 100
check "spikes of inh (the network must fire)" "$n_inh" ">=" 20
if [ "$(cat "$WORK/p/spikes_quiet.csv")" = "t [ms],id" ]; then pass "spikes_quiet.csv: the header alone"
else fail "spikes_quiet.csv is not the header alone"; fi
if [ -e "$WORK/p/spikes.csv" ] || [ -e "$WORK/n/spikes.npy" ]; then fail "a single spike file was written too"
else pass "no single spike file"; fi
if [ -e "$WORK/p/spikes_ext.csv" ]; then fail "a file for the Poisson source ext"; else pass "no file for the source ext"; fi
files='"spikes_per_population": {"exc": "spikes_exc.csv", "inh": "spikes_inh.csv", "quiet": "spikes_quiet.csv"}'
if grep -qF "$files" "$WORK/p/run.json"; then pass "run.json lists the files"; else fail "run.json lacks $files"; fi
files='"spikes_per_population": {"exc": "spikes_exc.npy", "inh": "spikes_inh.npy", "quiet": "spikes_quiet.npy"}'
if grep -qF "$files" "$WORK/n/run.json"; then pass "run.json lists the .npy files"; else fail "run.json lacks $files"; fi

# the .npy files: shape (n, 2), float64, the numbers of the CSV files
# (printed with 17 digits, so they parse back to the same doubles)
res=$(python3 - "$WORK/p" "$WORK/n" <<'PY'
import struct, sys
p, n = sys.argv[1], sys.argv[2]
bad = 0
for pop in ("exc", "inh", "quiet"):
    rows = [tuple(float(x) for x in l.split(",")) for l in open("%s/spikes_%s.csv" % (p, pop)).readlines()[1:]]
    raw = open("%s/spikes_%s.npy" % (n, pop), "rb").read()
    hlen = struct.unpack("<H", raw[8:10])[0]
    hdr = raw[10:10 + hlen].decode()
    body = raw[10 + hlen:]
    vals = struct.unpack("<%dd" % (len(body) // 8), body)
    got = list(zip(vals[0::2], vals[1::2]))
    if "'descr': '<f8'" not in hdr or "(%d, 2)" % len(rows) not in hdr or got != rows or len(body) != 16 * len(rows):
        print("bad", pop, hdr.strip(), len(rows), len(got), file=sys.stderr)
        bad += 1
print(bad)
PY
)
check ".npy files that differ from the CSV files (shape, dtype, values)" "$res" "<=" 0
finish
