#!/bin/sh
# bench/populations/run.sh — the population-scale benchmarks
# (`make bench-populations`; never part of `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/populations/run.sh
#
# (a) field_torus.msn, a neural field on a 512 x 512 torus (RK4), against
#     field_numpy.py, the same model with NumPy FFTs: steps per second of
#     each and their ratio, per round (the two run back to back);
# (b) density_2000.msn: Fokker–Planck density, 2,000 grid cells;
# (c) rate_nodes.msn: 10,000 rate nodes coupled through a kernel (a field
#     on a ring of 10,000 points), RK4.
# Before timing, msn's field after FIELD_CHECK_STEPS steps is compared with
# NumPy's from the same initial field (tolerance 1e-12 absolute, |u| ~ 1e-2).
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
FIELD_STEPS=100          # dt 0.5 ms
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

# ---- the same field? ----------------------------------------------------------------
echo "bench-populations: checking msn's field against NumPy's" >&2
"$WORK/field_torus" --quiet --format npy --duration "$((FIELD_CHECK_STEPS / 2))ms" \
  --record-every "$((FIELD_CHECK_STEPS / 2))ms" --out "$WORK/check" || die "field_torus failed"
"$PY" "$B/field_numpy.py" check 512 $FIELD_CHECK_STEPS rk4 "$WORK/check/field.npy" > "$WORK/check.txt" ||
  die "field_numpy.py check failed"
diff=$(val max_abs_diff "$WORK/check.txt")
umax=$(val max_abs_u "$WORK/check.txt")
ok=$(awk -v d="$diff" 'BEGIN { print (d <= 1e-12) ? "yes" : "no" }')
check_line="field after $FIELD_CHECK_STEPS RK4 steps: max |u_msn - u_numpy| = $diff (max |u| = $umax; tolerance 1e-12)"
[ "$ok" = yes ] || die "$check_line: the comparison would be meaningless"

# ---- interleaved rounds -------------------------------------------------------------
for f in msn np ratio dens nodes; do : > "$WORK/$f.t"; done
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
  row "density, 2,000 cells, backward Euler" "$WORK/dens.t" "steps/s" "" 0
  row "10,000 coupled rate nodes (ring field), RK4" "$WORK/nodes.t" "steps/s" "" 1
  echo
  echo "same result: $check_line"
  echo "field: $FIELD_STEPS steps of 0.5 ms; density: $DENS_STEPS steps of 0.05 ms; nodes: $NODE_STEPS steps of 0.1 ms"
} | tee "$OUT"
echo "bench-populations: results also in $OUT" >&2
