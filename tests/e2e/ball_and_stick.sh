#!/bin/sh
# tests/e2e/ball_and_stick.sh — examples/ball_and_stick/: the cell read from
# ball_and_stick.swc (HH soma, passive dendrite) fires when a 0.5 nA, 1 ms
# pulse enters the soma (V crosses 0 mV upward exactly once, peak >= 20 mV),
# a 0.1 nA pulse does not (peak < 0 mV), and the back-propagating action
# potential attenuates along the dendrite: the peak V at the soma and at
# dend(0.25), dend(0.5), dend(0.75), dend(1) falls strictly, the peak comes
# later with distance, and at dend(1) the peak deflection from -65 mV is at
# most half the soma's.  `msnc info` shows the d_lambda segment counts.
. "$SRCDIR/tests/e2e/lib.sh"
EX="$SRCDIR/examples/ball_and_stick/ball_and_stick.msn"

"$MSNC" run "$EX" --out "$WORK/fire" --quiet
head -1 "$WORK/fire/trace.csv" | grep -q '^t \[ms\],V@soma(0.5) \[mV\],V@dend(0.25) \[mV\],V@dend(0.5) \[mV\],V@dend(0.75) \[mV\],V@dend(1) \[mV\]$' &&
  pass "output columns" || fail "output columns: $(head -1 "$WORK/fire/trace.csv")"
# per column: peak V and its time; upward 0 mV crossings at the soma
awk -F, 'NR == 2 { for (c = 2; c <= 6; c++) { m[c] = $c; tm[c] = $1 } }
         NR > 2 { for (c = 2; c <= 6; c++) if ($c > m[c]) { m[c] = $c; tm[c] = $1 }
                  if (p < 0 && $2 >= 0) { nx++; tx = $1 } }
         NR > 1 { p = $2 }
         END { printf "%d %s", nx, tx; for (c = 2; c <= 6; c++) printf " %.4f %s", m[c], tm[c]; printf "\n" }' \
  "$WORK/fire/trace.csv" > "$WORK/peaks"
read -r nx tx p0 t0 p1 t1 p2 t2 p3 t3 p4 t4 < "$WORK/peaks"
echo "soma: $nx upward 0 mV crossing(s), at t = $tx ms"
echo "peak V [mV] (time [ms]): soma $p0 ($t0), dend(0.25) $p1 ($t1), dend(0.5) $p2 ($t2), dend(0.75) $p3 ($t3), dend(1) $p4 ($t4)"
check "soma: upward 0 mV crossings" "$nx" ">=" 1
check "soma: upward 0 mV crossings" "$nx" "<=" 1
check "soma: peak V, mV" "$p0" ">=" 20
awk -v a="$p0" -v b="$p1" -v c="$p2" -v d="$p3" -v e="$p4" 'BEGIN { exit !(a > b && b > c && c > d && d > e) }' &&
  pass "peak V falls monotonically along the dendrite" || fail "peak V not monotonic: $p0 $p1 $p2 $p3 $p4"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" 'BEGIN { exit !(a <= b && b <= c && c <= d && d <= e && a < e) }' &&
  pass "the peak comes later with distance" || fail "peak times: $t0 $t1 $t2 $t3 $t4"
att=$(awk -v a="$p0" -v e="$p4" 'BEGIN { printf "%.4f", (e + 65) / (a + 65) }')
echo "attenuation of the peak deflection from -65 mV, dend(1) / soma: $att"
check "attenuation dend(1) / soma" "$att" "<=" 0.5

# a weak pulse stays below threshold
sed 's/I0 = 0.5 nA/I0 = 0.1 nA/' "$EX" > "$WORK/weak.msn"
cp "$SRCDIR/examples/ball_and_stick/ball_and_stick.swc" "$WORK/"
"$MSNC" run "$WORK/weak.msn" --out "$WORK/weak" --quiet
pw=$(awk -F, 'NR == 2 { m = $2 } NR > 2 && $2 > m { m = $2 } END { printf "%.4f", m }' "$WORK/weak/trace.csv")
echo "0.1 nA: soma peak $pw mV"
check "0.1 nA: soma stays below 0 mV, -(peak V) in mV" "$(awk -v v="$pw" 'BEGIN { printf "%.4f", -v }')" ">=" 0

# msnc info: the d_lambda 0.1 segment counts, lambda (DC: sqrt(d Rm / 4 Ra) =
# 707.1 um with the 0.1 mS/cm^2 leak of the dendrite) and lambda_100
"$MSNC" info "$EX" > "$WORK/info"
grep -q '^  sample 3 *dend *cylinder *100 *2 *3 *33.3 *707.1 *398.9 *0.1$' "$WORK/info" &&
  pass "msnc info: dendrite 3 segments of 33.3 um per 100 um, lambda 707.1 um, lambda_100 398.9 um" ||
  { cat "$WORK/info"; fail "msnc info lines"; }
grep -q '^  compartments: 25$' "$WORK/info" && pass "msnc info: 25 compartments" || fail "msnc info: compartments"
finish
