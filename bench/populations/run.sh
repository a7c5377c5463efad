#!/bin/sh
# bench/populations/run.sh — the population-scale benchmarks
# (`make bench-populations`; never part of `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/populations/run.sh
#
# (a) field_torus.msn, a neural field on a 512 x 512 torus, against
#     field_numpy.py, the same model with NumPy FFTs: steps per second of
#     each and their ratio, per round (the two run back to back), with RK4
#     (the default) and with exponential Euler (the same model built with
#     `method exp_euler`);
# (b) density_2000.msn: Fokker–Planck density, 2,000 grid cells;
# (c) rate_nodes.msn: 10,000 rate nodes coupled through a kernel (a field
#     on a ring of 10,000 points), RK4.
# Before timing, msn's field after FIELD_CHECK_STEPS steps of each method is
# compared with NumPy's from the same initial field (tolerance 1e-12
# absolute, |u| ~ 1e-2).
# BENCH_ROUNDS (default 5) rounds; medians, minima and maxima; a copy of
# the table goes to $BUILDDIR/bench-populations-results.txt.
#
# Timing: msn's "wall_s" of run.json (kernel set-up, initial field, the
# time loop and the two recorded rows; not process start), NumPy's own
# perf_counter around kernel set-up and loop (not Python start-up or the
# import).  Steps per second = steps / that time.
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
ROUNDS=${BENCH_ROUNDS:-5}
PY=${BENCH_PYTHON:-/usr/bin/python3}
B="$SRCDIR/bench/populations"
FIELD_STEPS=100          # dt 0.5 ms, RK4
EE_STEPS=400             # dt 0.5 ms, exponential Euler
FIELD_CHECK_STEPS=20
DENS_STEPS=20000         # dt 0.05 ms
NODE_STEPS=2000          # dt 0.1 ms

WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-bench-pop.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$BUILDDIR/bench-populations-results.txt"

die() { echo "bench-populations: $*" >&2; exit 1; }
json() { sed -n "s/^ *\"$1\": *\([-0-9.eE+]*\),*\$/\1/p" "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s\n", lo, hi }'; }
val() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"; }
"$PY" -c 'import numpy' 2> /dev/null || die "$PY cannot import numpy (install python3-numpy)"

# ---- build ---------------------------------------------------------------------
echo "bench-populations: building in $WORK" >&2
for m in field_torus density_2000 rate_nodes; do
  "$MSNC" build "$B/$m.msn" -o "$WORK/$m" || die "msnc build $m.msn failed"
done
sed 's/^  dt 0.5 ms$/  method exp_euler\
  dt 0.5 ms/' "$B/field_torus.msn" > "$WORK/field_ee.msn"
grep -q 'method exp_euler' "$WORK/field_ee.msn" || die "cannot make the exp_euler model"
"$MSNC" build "$WORK/field_ee.msn" -o "$WORK/field_ee" || die "msnc build of the exp_euler model failed"

# ---- the same field? ----------------------------------------------------------------
echo "bench-populations: checking msn's field against NumPy's" >&2
check_lines=""
for meth in rk4 exp_euler; do
  prog=field_torus
  [ $meth = rk4 ] || prog=field_ee
  rm -rf "$WORK/check"
  "$WORK/$prog" --quiet --format npy --duration "$((FIELD_CHECK_STEPS / 2))ms" \
    --record-every "$((FIELD_CHECK_STEPS / 2))ms" --out "$WORK/check" || die "$prog failed"
  "$PY" "$B/field_numpy.py" check 512 $FIELD_CHECK_STEPS $meth "$WORK/check/field.npy" > "$WORK/check.txt" ||
    die "field_numpy.py check failed"
  diff=$(val max_abs_diff "$WORK/check.txt")
  umax=$(val max_abs_u "$WORK/check.txt")
  ok=$(awk -v d="$diff" 'BEGIN { print (d <= 1e-12) ? "yes" : "no" }')
  line="field after $FIELD_CHECK_STEPS $meth steps: max |u_msn - u_numpy| = $diff (max |u| = $umax; tolerance 1e-12)"
  [ "$ok" = yes ] || die "$line: the comparison would be meaningless"
  check_lines="$check_lines  $line
"
done

# ---- interleaved rounds -------------------------------------------------------------
for f in msn np ratio msn_ee np_ee ratio_ee dens nodes; do : > "$WORK/$f.t"; done
r=1
while [ "$r" -le "$ROUNDS" ]; do
  echo "bench-populations: round $r of $ROUNDS" >&2
  rm -rf "$WORK/o"
  "$WORK/field_torus" --quiet --duration "$((FIELD_STEPS / 2))ms" --record-every "$((FIELD_STEPS / 2))ms" \
    --format npy --out "$WORK/o" || die "field_torus failed"
  msn=$(awk -v w="$(json wall_s "$WORK/o/run.json")" -v s=$FIELD_STEPS 'BEGIN { printf "%.4f\n", s / w }')
  "$PY" "$B/field_numpy.py" time 512 $FIELD_STEPS rk4 > "$WORK/np.out" || die "field_numpy.py failed"
  np=$(val steps_per_s "$WORK/np.out")
  echo "$msn" >> "$WORK/msn.t"
  echo "$np" >> "$WORK/np.t"
  awk -v a="$msn" -v b="$np" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio.t"
  rm -rf "$WORK/o"
  "$WORK/field_ee" --quiet --duration "$((EE_STEPS / 2))ms" --record-every "$((EE_STEPS / 2))ms" \
    --format npy --out "$WORK/o" || die "field_ee failed"
  msn=$(awk -v w="$(json wall_s "$WORK/o/run.json")" -v s=$EE_STEPS 'BEGIN { printf "%.4f\n", s / w }')
  "$PY" "$B/field_numpy.py" time 512 $EE_STEPS exp_euler > "$WORK/np.out" || die "field_numpy.py failed"
  np=$(val steps_per_s "$WORK/np.out")
  echo "$msn" >> "$WORK/msn_ee.t"
  echo "$np" >> "$WORK/np_ee.t"
  awk -v a="$msn" -v b="$np" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio_ee.t"
  rm -rf "$WORK/o"
  "$WORK/density_2000" --quiet --duration "$((DENS_STEPS / 20))ms" --out "$WORK/o" || die "density_2000 failed"
  awk -v w="$(json wall_s "$WORK/o/run.json")" -v s=$DENS_STEPS 'BEGIN { printf "%.1f\n", s / w }' >> "$WORK/dens.t"
  rm -rf "$WORK/o"
  "$WORK/rate_nodes" --quiet --duration "$((NODE_STEPS / 10))ms" --record-every "$((NODE_STEPS / 10))ms" \
    --out "$WORK/o" || die "rate_nodes failed"
  awk -v w="$(json wall_s "$WORK/o/run.json")" -v s=$NODE_STEPS 'BEGIN { printf "%.1f\n", s / w }' >> "$WORK/nodes.t"
  r=$((r + 1))
done

# ---- table --------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
row() { # NAME FILE UNIT GOAL DECIMALS
  printf '%-44s %10.*f %10.*f %10.*f  %-8s %s\n' "$1" "$5" "$(median < "$2")" \
    $(minmax < "$2" | awk -v d="$5" '{ print d, $1, d, $2 }') "$3" "$4"
}
{
  echo "msn population benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU} ($ncpu CPUs online)"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  echo "$("$MSNC" --version 2>/dev/null | head -n 1); NumPy $("$PY" -c 'import numpy; print(numpy.__version__)')"
  echo "$ROUNDS rounds interleaved, one thread each"
  echo
  printf '%-44s %10s %10s %10s  %-8s %s\n' "" median min max unit goal
  row "field 512x512 torus, RK4: msn" "$WORK/msn.t" "steps/s" "" 2
  row "field 512x512 torus, RK4: NumPy FFTs" "$WORK/np.t" "steps/s" "" 2
  row "ratio msn / NumPy (per round)" "$WORK/ratio.t" "x" ">= 3" 2
  row "field 512x512 torus, exp. Euler: msn" "$WORK/msn_ee.t" "steps/s" "" 1
  row "field 512x512 torus, exp. Euler: NumPy FFTs" "$WORK/np_ee.t" "steps/s" "" 1
  row "ratio msn / NumPy (per round)" "$WORK/ratio_ee.t" "x" ">= 3" 2
  row "density, 2,000 cells, backward Euler" "$WORK/dens.t" "steps/s" "" 0
  row "10,000 coupled rate nodes (ring field), RK4" "$WORK/nodes.t" "steps/s" "" 1
  echo
  echo "same result:"
  printf '%s' "$check_lines"
  echo "field: $FIELD_STEPS RK4 / $EE_STEPS exp. Euler steps of 0.5 ms; density: $DENS_STEPS steps of 0.05 ms; nodes: $NODE_STEPS steps of 0.1 ms"
} | tee "$OUT"
echo "bench-populations: results also in $OUT" >&2
