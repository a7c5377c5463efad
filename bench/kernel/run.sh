#!/bin/sh
# bench/kernel/run.sh — the channel kernels of `msnc kernel` against the same
# kernels in plain scalar C (`make bench-kernel`; never part of `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/kernel/run.sh
#
# Builds libhh.so with `msnc kernel stdlib/hh.msn` (host CPU, -O3) and
# bench/kernel/hh_scalar_kernel.c, the same ABI in scalar C with libm, with
# $BENCH_CC -O3 (and -O3 -march=native); bench/kernel/bench_kernel.c loads
# each with dlopen and times the kernel calls of BENCH_STEPS (1000) steps of
# BENCH_N (100000) compartments.  First checks that all compute the same
# (sum of V after the last step within 1e-6 relative, same spike count),
# then runs them in turn BENCH_ROUNDS (5) times, so that the noise of a
# shared machine hits each alike, and prints medians and the speed ratio
# (per round, and of the medians).  A copy goes to
# $BUILDDIR/bench-kernel-results.txt.
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
ROUNDS=${BENCH_ROUNDS:-5}
N=${BENCH_N:-100000}
STEPS=${BENCH_STEPS:-1000}
BENCH_CC=${BENCH_CC:-gcc}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-bench-kernel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT="$BUILDDIR/bench-kernel-results.txt"
export MSN_STDLIB="$SRCDIR/stdlib"

die() { echo "bench-kernel: $*" >&2; exit 1; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s\n", lo, hi }'; }

echo "bench-kernel: building in $WORK" >&2
"$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/libhh.so" || die "msnc kernel failed"
"$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/hh.ll" || die "msnc kernel -o hh.ll failed"
width=$(grep -o '<[0-9]* x double>' "$WORK/hh.ll" | sort | uniq -c | sort -n | tail -n 1 | sed 's/.*<\([0-9]*\) x.*/\1/')
$BENCH_CC -O3 -shared -fPIC -o "$WORK/libscalar.so" "$SRCDIR/bench/kernel/hh_scalar_kernel.c" -lm ||
  die "$BENCH_CC hh_scalar_kernel.c failed"
$BENCH_CC -O3 -march=native -shared -fPIC -o "$WORK/libnative.so" "$SRCDIR/bench/kernel/hh_scalar_kernel.c" -lm ||
  die "$BENCH_CC -march=native hh_scalar_kernel.c failed"
$BENCH_CC -O2 -o "$WORK/bench_kernel" "$SRCDIR/bench/kernel/bench_kernel.c" -ldl || die "bench_kernel.c failed"

echo "bench-kernel: checking that the libraries agree" >&2
"$WORK/bench_kernel" "$WORK/libhh.so" "$N" "$STEPS" > "$WORK/msn.check" || die "bench_kernel libhh.so failed"
check_lines=""
for s in scalar native; do
  "$WORK/bench_kernel" "$WORK/lib$s.so" "$N" "$STEPS" > "$WORK/$s.check" || die "bench_kernel lib$s.so failed"
  d=$(awk -v a="$(val V_sum_mV "$WORK/msn.check")" -v b="$(val V_sum_mV "$WORK/$s.check")" \
    'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; printf "%.2g\n", (m > 0) ? d / m : d }')
  sp_msn=$(val spikes "$WORK/msn.check")
  sp=$(val spikes "$WORK/$s.check")
  ok=$(awk -v d="$d" -v a="$sp_msn" -v b="$sp" 'BEGIN { print (d != "" && d + 0 <= 1e-6 && a == b) ? "OK" : "MISMATCH" }')
  check_lines="$check_lines  $s: sum of V rel. diff $d, spikes $sp vs msn $sp_msn  $ok
"
  [ "$ok" = OK ] || { printf '%s' "$check_lines" >&2; die "the libraries disagree: the comparison would be meaningless"; }
done

: > "$WORK/msn.t"; : > "$WORK/scalar.t"; : > "$WORK/native.t"; : > "$WORK/ratio.t"; : > "$WORK/ratio_native.t"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  echo "bench-kernel: round $r of $ROUNDS" >&2
  for s in hh scalar native; do
    "$WORK/bench_kernel" "$WORK/lib$s.so" "$N" "$STEPS" > "$WORK/r.out" || die "bench_kernel lib$s.so failed"
    val ns_per_compartment_step "$WORK/r.out" >> "$WORK/$([ $s = hh ] && echo msn || echo $s).t"
  done
  msn=$(tail -n 1 "$WORK/msn.t")
  awk -v a="$(tail -n 1 "$WORK/scalar.t")" -v b="$msn" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio.t"
  awk -v a="$(tail -n 1 "$WORK/native.t")" -v b="$msn" 'BEGIN { printf "%.3f\n", a / b }' >> "$WORK/ratio_native.t"
  r=$((r + 1))
done

m_msn=$(median < "$WORK/msn.t"); m_sc=$(median < "$WORK/scalar.t"); m_nat=$(median < "$WORK/native.t")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
row() { # NAME MEDIAN FILE UNIT
  printf '%-44s %9.2f %9.2f %9.2f  %s\n' "$1" "$2" $(minmax < "$3") "$4"
}
{
  echo "msn channel kernels, $(date '+%Y-%m-%d %H:%M'), ${cpu:-unknown CPU} ($ncpu CPUs online)"
  echo "$("$MSNC" --version 2>/dev/null | head -n 1); $($BENCH_CC --version | head -n 1)"
  echo "HH kernels (Na, K, Leak current + Na, K state_update per step): $N compartments x $STEPS steps,"
  echo "dt 0.025 ms, f64, one thread; $ROUNDS rounds interleaved; msn kernels $width doubles per vector"
  echo
  printf '%-44s %9s %9s %9s  %s\n' "" median min max unit
  row "msnc kernel (-O3, host CPU)" "$m_msn" "$WORK/msn.t" "ns/compartment-step"
  row "scalar C, $BENCH_CC -O3" "$m_sc" "$WORK/scalar.t" "ns/compartment-step"
  row "scalar C, $BENCH_CC -O3 -march=native" "$m_nat" "$WORK/native.t" "ns/compartment-step"
  row "ratio scalar -O3 / msn (per round)" "$(median < "$WORK/ratio.t")" "$WORK/ratio.t" "x"
  row "ratio scalar -march=native / msn" "$(median < "$WORK/ratio_native.t")" "$WORK/ratio_native.t" "x"
  echo
  echo "ratio of the medians: scalar -O3 / msn = $(awk -v a="$m_sc" -v b="$m_msn" 'BEGIN { printf "%.2f", a / b }'), -march=native / msn = $(awk -v a="$m_nat" -v b="$m_msn" 'BEGIN { printf "%.2f", a / b }')"
  echo "same result (sum of V after the last step, 1e-6 relative; spike count):"
  printf '%s' "$check_lines"
  echo "timed: the kernel calls only (clock_gettime around them), not the driver's V update"
} | tee "$OUT"
echo "bench-kernel: results also in $OUT" >&2
