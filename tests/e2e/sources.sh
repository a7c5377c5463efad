#!/bin/sh
# tests/e2e/sources.sh — regular and spike-time sources (docs/language.md
# 5.9) through ordinary projections.
#
# tests/e2e/models/src_regular.msn, dt 0.1 ms, a cell without dynamics, so
# each change of a recorded state is one step's input.  Required, exactly
# (times to 1e-9 ms, increments to 1e-12):
#  - 3 regular sources at 10 Hz (first spike at 1/rate = 100 ms), all to
#    all, weight 0.5, delay 1 ms: x of both neurons jumps by 3 x 0.5 = 1.5
#    at 101, 201 and 301 ms and nowhere else;
#  - 1 regular source at 40 Hz with phase 2.55 ms (spikes at 2.55 + 25 m
#    ms, stamped at the next grid time 2.6 + 25 m), delay 0.5 ms: y jumps
#    by 0.25 at 3.1 + 25 m ms (14 jumps up to 350 ms);
#  - 2 spike-time sources [7.5, 1, 5] ms (given out of order), one to one,
#    weight 2, delay 0.2 ms: z of each neuron jumps by 2 at 1.2, 5.2, 7.7 ms.
# tests/e2e/models/src_file.msn: per-source times from src_times.csv
# (header, comments, out of order), one to one, delay 0.5 ms: x[0] jumps by
# 1 at 2 and 3.5 ms, x[1] at 2 ms, x[2] at 4.5 ms.
# tests/e2e/models/src_tm.msn: Tsodyks–Markram releases u R (weight 1) from
# the reference train as a spike-time source (11 releases) and from a
# regular 20 Hz source with phase 100 ms (its first 10 releases) against
# tests/data/tsodyks_markram.csv to 1e-9.
. "$SRCDIR/tests/e2e/lib.sh"

# the jumps of a trace: "t column increment" for every change
jumps() {
  awk -F, 'NR > 2 { for (c = 2; c <= NF; c++) if ($c != last[c]) printf "%s %d %.12g\n", $1, c, $c - last[c] }
           NR > 1 { for (c = 2; c <= NF; c++) last[c] = $c }' "$1"
}
# compare "t col inc" lists: same count, t to 1e-9 ms, inc to 1e-12
same_jumps() {
  awk 'NR == FNR { t[FNR] = $1; c[FNR] = $2; v[FNR] = $3; n = FNR; next }
       { m = FNR; d = $1 - t[FNR]; e = $3 - v[FNR]
         if (d < 0) d = -d; if (e < 0) e = -e
         if ($2 != c[FNR] || d > 1e-9 || e > 1e-12) bad++ }
       END { print (m == n && !bad) ? "ok" : "differ (" m " vs " n " jumps, " bad + 0 " mismatches)" }' "$1" "$2"
}

"$MSNC" build "$SRCDIR/tests/e2e/models/src_regular.msn" -o "$WORK/reg"
"$WORK/reg" --quiet --out "$WORK/r"
jumps "$WORK/r/trace.csv" > "$WORK/got"
: > "$WORK/want"
for t in 101 201 301; do printf '%s 2 1.5\n%s 3 1.5\n' "$t" "$t" >> "$WORK/want"; done
awk 'BEGIN { for (m = 0; m < 14; m++) { t = 3.1 + 25 * m; printf "%.10g 4 0.25\n%.10g 5 0.25\n", t, t } }' >> "$WORK/want"
for t in 1.2 5.2 7.7; do printf '%s 6 2\n%s 7 2\n' "$t" "$t" >> "$WORK/want"; done
sort -n -k1,1 -k2,2 "$WORK/want" > "$WORK/want.s"
sort -n -k1,1 -k2,2 "$WORK/got" > "$WORK/got.s"
r=$(same_jumps "$WORK/got.s" "$WORK/want.s")
if [ "$r" = ok ]; then pass "regular and spike-time inputs at the expected steps by the expected amounts"
else fail "regular and spike-time inputs: $r"; diff "$WORK/want.s" "$WORK/got.s" | head -20; fi
# sources record no spikes: the cell never spikes
n=$(awk 'END { print NR - 1 }' "$WORK/r/spikes.csv")
check "spikes recorded (sources are not neurons)" "$n" "<=" 0

"$MSNC" build "$SRCDIR/tests/e2e/models/src_file.msn" -o "$WORK/file"
"$WORK/file" --quiet --out "$WORK/f"
jumps "$WORK/f/trace.csv" | sort -n -k1,1 -k2,2 > "$WORK/got.f"
printf '2 2 1\n2 3 1\n3.5 2 1\n4.5 4 1\n' > "$WORK/want.f"
r=$(same_jumps "$WORK/got.f" "$WORK/want.f")
if [ "$r" = ok ]; then pass "spike times from a file: each source at its own times"
else fail "spike times from a file: $r"; cat "$WORK/got.f"; fi

"$MSNC" build "$SRCDIR/tests/e2e/models/src_tm.msn" -o "$WORK/tm"
# trace.npy for all 17 digits (trace.csv prints 10)
"$WORK/tm" --quiet --format npy --out "$WORK/t"
hl=$(od -A n -j 8 -N 2 -t u2 "$WORK/t/trace.npy")
od -A n -v -j $((10 + hl)) -t f8 -w40 "$WORK/t/trace.npy" | awk '{ $1 = $1; gsub(/ /, ","); print }' > "$WORK/t/trace.txt"
for set in x:2:5:11 y:3:10:11 z:4:5:10 w:5:10:10; do
  IFS=: read -r name col ref cnt <<EOT
$set
EOT
  awk -F, -v c="$col" -v n="$cnt" '{ if (NR > 1 && $c != last && k < n) { printf "%.17g\n", $c - last; k++ } last = $c }' \
    "$WORK/t/trace.txt" > "$WORK/$name.inc"
  awk -F, -v c="$((ref + 1))" -v n="$cnt" 'NR > 1 && NR <= n + 1 { print $c }' "$SRCDIR/tests/data/tsodyks_markram.csv" > "$WORK/$name.ref"
  k=$(wc -l < "$WORK/$name.inc")
  check "releases into $name" "$k" ">=" "$cnt"
  e=$(max_abs_diff "$WORK/$name.inc" "$WORK/$name.ref")
  check "max |u R - reference| into $name ($cnt releases, reference column $((ref + 1)))" "$e" "<=" 1e-9
done
finish
