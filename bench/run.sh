#!/bin/sh
# bench/run.sh — the msn benchmarks (`make bench`; never part of `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/run.sh
#
# Builds bench/hh_bench.msn with msnc and bench/hh_scalar.c with gcc (-O3,
# and -O3 -march=native), checks that both compute the same V, then runs
#   msn, scalar -O3, scalar -O3 -march=native, msnc build examples/hh.msn
# in turn, BENCH_ROUNDS times (default 5), so that the noise of a shared
# machine hits every contestant alike.  Prints a table of medians and
# ratios and writes a copy to $BUILDDIR/bench-results.txt.
#
# Timing: the msn program's own "wall_time_s" in run.json (allocation,
# initial values, time loop, spike output; not process start or linking);
# hh_scalar times allocation, initial values and its loop with
# clock_gettime; msnc build is timed as a whole process.
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
ROUNDS=${BENCH_ROUNDS:-5}
BENCH_CC=${BENCH_CC:-gcc}
N=100000
STEPS=1000

WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$BUILDDIR/bench-results.txt"

die() { echo "bench: $*" >&2; exit 1; }
now() { date +%s.%N; }
# key FILE: the value of "key value" lines written by hh_scalar
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# json KEY FILE: a number from run.json
json() { sed -n "s/^ *\"$1\": *\([-0-9.eE+]*\),*\$/\1/p" "$2"; }
# median of the numbers on stdin (mean of the middle two for an even count)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s\n", lo, hi }'; }

# ---- build -------------------------------------------------------------------
echo "bench: building in $WORK" >&2
"$MSNC" build "$SRCDIR/bench/hh_bench.msn" -o "$WORK/hh_bench" || die "msnc build hh_bench.msn failed"
$BENCH_CC -O3 -o "$WORK/hh_scalar" "$SRCDIR/bench/hh_scalar.c" -lm || die "$BENCH_CC hh_scalar.c failed"
$BENCH_CC -O3 -march=native -o "$WORK/hh_scalar_native" "$SRCDIR/bench/hh_scalar.c" -lm ||
  die "$BENCH_CC -march=native hh_scalar.c failed"
# the same model recording V at 0 and 25 ms: the final V of every instance
sed 's/^\( *\)record spikes$/\1record V every 25 ms\
\1record spikes/' "$SRCDIR/bench/hh_bench.msn" > "$WORK/hh_check.msn"
grep -q 'record V every' "$WORK/hh_check.msn" || die "cannot make the check model"
"$MSNC" build "$WORK/hh_check.msn" -o "$WORK/hh_check" || die "msnc build of the check model failed"

# ---- the same numbers? -------------------------------------------------------
echo "bench: checking that msn and hh_scalar agree" >&2
"$WORK/hh_check" --quiet --out "$WORK/check" || die "hh_check failed"
"$WORK/hh_scalar" $N $STEPS > "$WORK/scalar.check" || die "hh_scalar failed"
"$WORK/hh_scalar_native" $N $STEPS > "$WORK/native.check" || die "hh_scalar_native failed"
msn_v0=$(awk -F, 'END { print $2 }' "$WORK/check/trace.csv")
msn_t=$(awk -F, 'END { print $1 }' "$WORK/check/trace.csv")
msn_sp=$(($(wc -l < "$WORK/check/spikes.csv") - 1))
msn_sp0=$(awk -F, 'NR > 1 && $2 == 0 { print $1; exit }' "$WORK/check/spikes.csv")
# reld A B: |A - B| / max(|A|, |B|)
reld() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
  n = b < 0 ? -b : b; if (n > m) m = n; printf "%.2g\n", (m > 0) ? d / m : 0 }'; }
ok=yes
check_lines=""
for s in scalar native; do
  f="$WORK/$s.check"
  dv=$(reld "$msn_v0" "$(val V0_mV "$f")")
  dsp=$(reld "$msn_sp0" "$(val first_spike_ms "$f")")
  good=$(awk -v a="$dv" -v b="$dsp" 'BEGIN { print (a <= 1e-6 && b <= 1e-6) ? "yes" : "no" }')
  [ "$(val spikes "$f")" = "$msn_sp" ] || good=no
  [ "$good" = yes ] || ok=no
  check_lines="$check_lines$(printf '  %-7s V[0](%s ms) %s mV vs msn %s mV: rel. diff %s; first spike %s vs %s ms: %s; spikes %s vs %s  %s' \
    "$s" "$msn_t" "$(val V0_mV "$f")" "$msn_v0" "$dv" "$(val first_spike_ms "$f")" "$msn_sp0" "$dsp" \
    "$(val spikes "$f")" "$msn_sp" "$([ "$good" = yes ] && echo OK || echo MISMATCH)")
"
done
[ "$ok" = yes ] || { printf '%s' "$check_lines" >&2; die "msn and hh_scalar disagree: the comparison would be meaningless"; }

# ---- interleaved rounds ----------------------------------------------------------
: > "$WORK/msn.t"; : > "$WORK/scalar.t"; : > "$WORK/native.t"; : > "$WORK/build.t"
: > "$WORK/ratio.t"; : > "$WORK/ratio_native.t"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  echo "bench: round $r of $ROUNDS" >&2
  rm -rf "$WORK/out"
  "$WORK/hh_bench" --quiet --out "$WORK/out" || die "hh_bench failed"
  steps=$(json steps "$WORK/out/run.json")
  [ "$steps" = "$STEPS" ] || die "hh_bench ran $steps steps, expected $STEPS"
  msn=$(awk -v w="$(json wall_time_s "$WORK/out/run.json")" -v n=$N -v s="$steps" \
    'BEGIN { printf "%.4f\n", w / (n * s) * 1e9 }')
  "$WORK/hh_scalar" $N $STEPS > "$WORK/s.out" || die "hh_scalar failed"
  sc=$(val ns_per_neuron_step "$WORK/s.out")
  "$WORK/hh_scalar_native" $N $STEPS > "$WORK/s.out" || die "hh_scalar_native failed"
  nat=$(val ns_per_neuron_step "$WORK/s.out")
  t0=$(now)
  "$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh" || die "msnc build examples/hh.msn failed"
  t1=$(now)
  echo "$msn" >> "$WORK/msn.t"
  echo "$sc" >> "$WORK/scalar.t"
  echo "$nat" >> "$WORK/native.t"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >> "$WORK/build.t"
  awk -v a="$sc" -v b="$msn" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio.t"
  awk -v a="$nat" -v b="$msn" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio_native.t"
  r=$((r + 1))
done

# ---- table ------------------------------------------------------------------
m_msn=$(median < "$WORK/msn.t"); m_sc=$(median < "$WORK/scalar.t"); m_nat=$(median < "$WORK/native.t")
m_build=$(median < "$WORK/build.t")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
row() { # NAME MEDIAN FILE UNIT GOAL DECIMALS
  printf '%-40s %9.*f %9.*f %9.*f  %-14s %s\n' "$1" "$6" "$2" \
    $(minmax < "$3" | awk -v d="$6" '{ print d, $1, d, $2 }') "$4" "$5"
}
{
  echo "msn benchmarks, $(date '+%Y-%m-%d %H:%M'), ${cpu:-unknown CPU} ($ncpu CPUs online)"
  echo "$("$MSNC" --version 2>/dev/null | head -n 1); $($BENCH_CC --version | head -n 1)"
  echo "HH: $N instances x $STEPS steps (dt 0.025 ms), f64, one thread; $ROUNDS rounds interleaved"
  echo
  printf '%-40s %9s %9s %9s  %-14s %s\n' "" median min max unit goal
  row "msn (msnc -O3, host CPU)" "$m_msn" "$WORK/msn.t" "ns/neuron-step" "<= 15" 2
  row "scalar C, gcc -O3" "$m_sc" "$WORK/scalar.t" "ns/neuron-step" "" 2
  row "scalar C, gcc -O3 -march=native" "$m_nat" "$WORK/native.t" "ns/neuron-step" "" 2
  row "ratio scalar -O3 / msn (per round)" "$(median < "$WORK/ratio.t")" "$WORK/ratio.t" "x" ">= 4" 2
  row "ratio scalar -march=native / msn" "$(median < "$WORK/ratio_native.t")" "$WORK/ratio_native.t" "x" "" 2
  row "msnc build examples/hh.msn" "$m_build" "$WORK/build.t" "s" "<= 0.3" 3
  echo
  echo "ratio of the medians: scalar -O3 / msn = $(awk -v a="$m_sc" -v b="$m_msn" 'BEGIN { printf "%.2f", a / b }'), -march=native / msn = $(awk -v a="$m_nat" -v b="$m_msn" 'BEGIN { printf "%.2f", a / b }')"
  echo "same result (final V of instance 0, first spike, spike count; tolerance 1e-6 relative):"
  printf '%s' "$check_lines"
  echo "msn time: wall_time_s of run.json (allocation, init, loop, NaN guard, spikes.csv);"
  echo "scalar: its own clock_gettime (allocation, init, loop); msnc build: whole process"
} | tee "$OUT"
echo "bench: results also in $OUT" >&2
