#!/bin/sh
# tests/e2e/hh_axon.sh — examples/hh_axon.msn: a propagating action potential
# on the squid giant axon (issue 3's active-cable validation).  5 cm, 476 um,
# Ra 35.4 ohm*cm, Cm 1 uF/cm^2, stdlib HH everywhere at 18.5 C.
#   speed = distance / delay of the upward 0 mV crossings (linear
#   interpolation) between x = 0.3 and x = 0.7 (1.5 and 3.5 cm);
#   constant speed: 1.5-2.5 cm and 2.5-3.5 cm agree within 0.5 %;
#   segment refinement (100, 200, 400 segments at dt 0.005 ms) and dt
#   refinement (0.02, 0.01, 0.005 ms at 400 segments): the change of the
#   speed falls at each level (by >= 2x; second order gives ~4x);
#   the finest speed within 5 % of Hodgkin & Huxley's computed 18.8 m/s.
# Cost: 5 runs of <= 401 compartments x <= 1600 steps, ~1 s in all.
. "$SRCDIR/tests/e2e/lib.sh"
EX="$SRCDIR/examples/hh_axon.msn"

# speed NSEG DT: prints v(1.5-3.5 cm) v(1.5-2.5 cm) v(2.5-3.5 cm) in m/s
speed() {
  sed -e "s/discretize segments 400/discretize segments $1/" -e "s/^  dt 0.005 ms/  dt $2 ms/" \
      -e "s/every 0.005 ms/every $2 ms/" "$EX" > "$WORK/m.msn"
  "$MSNC" run "$WORK/m.msn" --out "$WORK/o_$1_$2" --quiet
  awk -F, 'NR > 2 { for (c = 3; c <= 5; c++)
                      if (!(c in tc) && p[c] < 0 && $c >= 0) tc[c] = pt - p[c] * ($1 - pt) / ($c - p[c]) }
           NR > 1 { pt = $1; for (c = 3; c <= 5; c++) p[c] = $c }
           END { if (!(3 in tc) || !(4 in tc) || !(5 in tc)) { print "nan nan nan"; exit }
                 # cm/ms = 10 m/s
                 printf "%.5f %.5f %.5f\n", 20 / (tc[5] - tc[3]), 10 / (tc[4] - tc[3]), 10 / (tc[5] - tc[4]) }' \
      "$WORK/o_$1_$2/trace.csv"
}

# the example as shipped
set -- $(speed 400 0.005)
v_fine=$1
echo "speed (400 segments, dt 0.005 ms): $1 m/s; 1.5-2.5 cm: $2, 2.5-3.5 cm: $3"
cst=$(awk -v a="$2" -v b="$3" 'BEGIN { d = (a - b) / (a + b) * 2; if (d < 0) d = -d; printf "%.3g", d }')
check "constant speed: relative difference of the two halves" "$cst" "<=" 5e-3

# convergence: three levels each
set -- $(speed 100 0.005); s100=$1
set -- $(speed 200 0.005); s200=$1
set -- $(speed 400 0.02); t020=$1
set -- $(speed 400 0.01); t010=$1
echo "segments 100, 200, 400 (dt 0.005 ms): $s100 $s200 $v_fine m/s"
echo "dt 0.02, 0.01, 0.005 ms (400 segments): $t020 $t010 $v_fine m/s"
awk -v a="$s100" -v b="$s200" -v c="$v_fine" -v x="$t020" -v y="$t010" 'BEGIN {
  d1 = b - a; d2 = c - b; e1 = y - x; e2 = c - y
  if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2; if (e1 < 0) e1 = -e1; if (e2 < 0) e2 = -e2
  printf "%.4g %.4g %.4g %.4g %.4g %.4g\n", d1, d2, (d2 > 0 ? d1 / d2 : 1e9), e1, e2, (e2 > 0 ? e1 / e2 : 1e9) }' > "$WORK/conv"
read -r d1 d2 rs e1 e2 rt < "$WORK/conv"
echo "speed changes: segments $d1 then $d2 m/s (ratio $rs); dt $e1 then $e2 m/s (ratio $rt)"
check "segment refinement: change ratio (falls at each doubling)" "$rs" ">=" 2
check "dt refinement: change ratio (falls at each halving)" "$rt" ">=" 2
check "segment refinement: last change, m/s" "$d2" "<=" 0.05
check "dt refinement: last change, m/s" "$e2" "<=" 0.05
herr=$(awk -v v="$v_fine" 'BEGIN { d = (v - 18.8) / 18.8; if (d < 0) d = -d; printf "%.3g", d }')
echo "speed $v_fine m/s vs Hodgkin & Huxley's computed 18.8 m/s (measured 21.2 m/s)"
check "speed vs 18.8 m/s, relative error" "$herr" "<=" 0.05
finish
