#!/bin/sh
# tests/e2e/kernel.sh — `msnc kernel`: channel kernels with a C ABI for
# other simulators (docs/kernel-abi.md).
#  - msnc kernel stdlib/hh.msn -o libhh.so writes libhh.so and hh.h, exporting
#    exactly NAME_{abi_version,info,init,state_update,current} for Na, K, Leak;
#  - examples/kernels/hh_neuron.c (dlopen) drives them as a point neuron with
#    the staggered scheme of `msnc build` for the 10 uA/cm^2 step of
#    examples/hh.msn: its spike times must agree with the compiled model's
#    within 1e-6 ms (same scheme and same operations in the same order: the
#    agreement observed is exact, 0 ms) and with the SciPy reference
#    tests/data/hh_single_spikes.csv within 0.05 ms; again at dt 0.01 ms;
#  - the header compiles with cc -std=c99 -Wall -Wextra -Werror -pedantic and
#    as C++ (g++ -x c++, when g++ exists), two headers together too;
#  - an object file (-o hh.o) links statically with a C program that reads
#    NAME_info through the real header (the descriptor's layout);
#  - the optimised IR (-o hh.ll) of every kernel loop is vectorised, 4 or 8
#    doubles wide on a host with AVX2 (2 with --target generic), with no call
#    to a scalar exp;
#  - per-compartment parameters, --header, a channel library with a unit
#    state and a nonlinear state;
#  - errors (no channel, unknown --channel, unknown --per-compartment name,
#    unwritable output, unknown output kind) exit 1 with a clear message.
. "$SRCDIR/tests/e2e/lib.sh"

CC=${CC:-cc}
export MSN_STDLIB="$SRCDIR/stdlib"

# expect_in NAME FILE TEXT: FILE contains TEXT
expect_in() {
  if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1: '$3' not in $(cat "$2")"; fi
}
# status NAME EXPECTED CMD...: exit status of CMD
status() {
  name=$1 want=$2
  shift 2
  set +e
  "$@" > "$WORK/out" 2> "$WORK/err"
  got=$?
  set -e
  if [ "$got" -eq "$want" ]; then pass "$name: exit $got"; else fail "$name: exit $got, wanted $want ($(cat "$WORK/err"))"; fi
}

# ---- the shared object and its header ---------------------------------------------
mkdir "$WORK/lib"
status "msnc kernel stdlib/hh.msn -o libhh.so" 0 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/lib/libhh.so"
[ -f "$WORK/lib/libhh.so" ] && pass "libhh.so written" || fail "libhh.so written"
[ -f "$WORK/lib/hh.h" ] && pass "hh.h written next to it" || fail "hh.h written next to it"
if command -v nm > /dev/null 2>&1; then
  nm -D --defined-only "$WORK/lib/libhh.so" | awk '$2 == "T" { print $3 }' | sort > "$WORK/syms"
  for ch in Na K Leak; do for f in abi_version info init state_update current; do echo "${ch}_$f"; done; done |
    sort > "$WORK/syms.want"
  if cmp -s "$WORK/syms" "$WORK/syms.want"; then pass "exported symbols: exactly the 15 of the ABI"
  else fail "exported symbols: $(tr '\n' ' ' < "$WORK/syms")"; fi
else
  echo "SKIP: no nm: the exported symbols were not listed"
fi

# ---- the point neuron against msnc build and SciPy ----------------------------------
$CC -std=c99 -O2 -Wall -Wextra -Werror -pedantic -ffp-contract=off -I"$WORK/lib" \
  "$SRCDIR/examples/kernels/hh_neuron.c" -o "$WORK/hh_neuron" -ldl &&
  pass "examples/kernels/hh_neuron.c compiles (-std=c99 -Wall -Wextra -Werror -pedantic)" ||
  fail "examples/kernels/hh_neuron.c compiles"
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"
awk -F, 'NR > 1 { print $2 }' "$SRCDIR/tests/data/hh_single_spikes.csv" > "$WORK/ref"
for dt in 0.025 0.01; do
  "$WORK/hh_neuron" "$WORK/lib/libhh.so" 10 $dt 150 > "$WORK/kernel$dt.t"
  "$WORK/hh" --quiet --dt ${dt}ms --out "$WORK/full$dt"
  spikes_of "$WORK/full$dt" > "$WORK/full$dt.t"
  n=$(wc -l < "$WORK/kernel$dt.t")
  check "spikes of the kernel neuron at dt $dt ms" "$n" ">=" 7
  check "spikes of the kernel neuron at dt $dt ms" "$n" "<=" 7
  d=$(max_abs_diff "$WORK/kernel$dt.t" "$WORK/full$dt.t")
  check "kernels vs msnc build at dt $dt ms: max spike-time difference [ms]" "$d" "<=" 1e-6
  echo "dt $dt ms: kernels vs msnc build: max spike-time difference $d ms"
done
e=$(max_abs_diff "$WORK/kernel0.025.t" "$WORK/ref")
check "kernels vs SciPy at dt 0.025 ms: max spike-time error [ms]" "$e" "<=" 0.05
e=$(max_abs_diff "$WORK/kernel0.01.t" "$WORK/ref")
check "kernels vs SciPy at dt 0.01 ms: max spike-time error [ms]" "$e" "<=" 0.02

# ---- the header: C99 pedantic, C++, two headers together --------------------------------
status "msnc kernel kernel_chans.msn --per-compartment gbar,CaDecay.E,k" 0 \
  "$MSNC" kernel "$SRCDIR/tests/e2e/models/kernel_chans.msn" --per-compartment gbar,CaDecay.E,k \
  -o "$WORK/lib/libchans.so"
[ -f "$WORK/lib/chans.h" ] && pass "chans.h written" || fail "chans.h written"
cat > "$WORK/use.c" <<'EOF'
#include "hh.h"
#include "hh.h"
#include "chans.h"
static Na_current_fn *cur = Na_current;
int use(void);
int use(void) {
  double V[2] = {-0.065, 0}, m[2], h[2], I[2], g[2], gbar[2] = {1, 2}, E[2] = {0.1, 0.1}, ca[2], s[2];
  Na_init(2, V, m, h, Na_gbar_DEFAULT, Na_E_DEFAULT, Na_celsius_DEFAULT);
  cur(2, V, m, h, Na_gbar_DEFAULT, Na_E_DEFAULT, Na_celsius_DEFAULT, I, g);
  CaDecay_init(2, V, ca, s, gbar, E, CaDecay_tau_ca_DEFAULT, 6.3);
  return Na_abi_version() == MSN_KERNEL_ABI_VERSION && Na_info()->nstates == 2 && I[0] < 0;
}
EOF
$CC -std=c99 -Wall -Wextra -Werror -pedantic -I"$WORK/lib" -c "$WORK/use.c" -o "$WORK/use.o" &&
  pass "headers compile: cc -std=c99 -Wall -Wextra -Werror -pedantic" || fail "headers compile as C99"
$CC -std=c11 -Wall -Wextra -Werror -pedantic -I"$WORK/lib" -c "$WORK/use.c" -o "$WORK/use11.o" &&
  pass "headers compile: cc -std=c11 -pedantic" || fail "headers compile as C11"
if command -v g++ > /dev/null 2>&1; then
  g++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$WORK/lib" -c "$WORK/use.c" -o "$WORK/usepp.o" &&
    pass "headers compile: g++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic" || fail "headers compile as C++"
else
  echo "SKIP: no g++: the C++ check of the header did not run"
fi

# ---- an object file, linked statically; NAME_info through the real header --------------
mkdir "$WORK/obj"
status "msnc kernel -o hh.o --channel Na" 0 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" --channel Na -o "$WORK/obj/hh.o"
[ -f "$WORK/obj/hh.h" ] && pass "hh.h written next to hh.o" || fail "hh.h written next to hh.o"
cat > "$WORK/info.c" <<'EOF'
#include <stdio.h>
#include "hh.h"
int main(void) {
  const MsnKernelInfo *in = Na_info();
  double V[3] = {-0.065, -0.04, 0.0}, m[3], h[3], I[3], g[3];
  Na_init(3, V, m, h, in->params[0].value, in->params[1].value, in->params[2].value);
  Na_current(3, V, m, h, in->params[0].value, in->params[1].value, in->params[2].value, I, g);
  printf("abi %d %d name %s nstates %d nparams %d reserved %d\n", (int)Na_abi_version(), (int)in->abi_version,
         in->name, (int)in->nstates, (int)in->nparams, (int)in->reserved);
  for (int s = 0; s < in->nstates; s++)
    printf("state %s %s %g %s\n", in->states[s].name, in->states[s].unit, in->states[s].scale, in->states[s].solver);
  for (int p = 0; p < in->nparams; p++)
    printf("param %s %s %g %g %d\n", in->params[p].name, in->params[p].unit, in->params[p].scale,
           in->params[p].value, (int)in->params[p].per_compartment);
  printf("m(-65 mV) %.6f h %.6f I %.6g g %.6g\n", m[0], h[0], I[0], g[0]);
  return 0;
}
EOF
if $CC -std=c99 -Wall -Werror -I"$WORK/obj" "$WORK/info.c" "$WORK/obj/hh.o" -o "$WORK/info" -lm; then
  pass "a C program links with hh.o"
  "$WORK/info" > "$WORK/info.out"
  expect_in "NAME_info: version, name, counts" "$WORK/info.out" "abi 1 1 name Na nstates 2 nparams 3 reserved 0"
  expect_in "NAME_info: states" "$WORK/info.out" "state h 1 1 cnexp"
  expect_in "NAME_info: parameters with units and SI defaults" "$WORK/info.out" "param gbar mS/cm^2 10 1200 0"
  expect_in "NAME_info: celsius" "$WORK/info.out" "param celsius 1 1 6.3 0"
  expect_in "Na at -65 mV: steady state, current in A/m^2" "$WORK/info.out" "m(-65 mV) 0.052932 h 0.596121 I -0.0122006 g 0.106092"
else
  fail "a C program links with hh.o"
fi
status "--header PATH" 0 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" --channel K -o "$WORK/obj/k.o" --header "$WORK/kdr.h"
expect_in "--header PATH: the header is there" "$WORK/kdr.h" "void K_state_update(int64_t ncomp, double dt,"

# ---- vectorised IR -------------------------------------------------------------------
status "msnc kernel -o hh.ll" 0 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/hh.ll"
[ ! -f "$WORK/hh.h" ] && pass "no header for .ll" || fail "no header for .ll"
# widest vector of doubles in each defined function
widths() {
  awk '/^define/ { f = $0; sub(/\(.*/, "", f); sub(/.*@/, "", f); w[f] = 0 }
       /^define/, /^}/ { while (match($0, /<[0-9]+ x double>/)) {
           n = substr($0, RSTART + 1, RLENGTH - 1) + 0; if (n > w[f]) w[f] = n
           $0 = substr($0, RSTART + RLENGTH) } }
       END { for (f in w) print f, w[f] }' "$1" | sort
}
widths "$WORK/hh.ll" > "$WORK/widths"
if grep -q avx2 /proc/cpuinfo 2> /dev/null; then want=4; else want=2; fi
for f in Na_init Na_state_update Na_current K_init K_state_update K_current Leak_current; do
  w=$(awk -v f="$f" '$1 == f { print $2 }' "$WORK/widths")
  check "$f vectorised: doubles per vector" "${w:-0}" ">=" $want
done
echo "vector widths (host): $(tr '\n' ' ' < "$WORK/widths")"
if grep -E 'call[^@]*@(exp|llvm\.exp)[.(]' "$WORK/hh.ll" > /dev/null; then
  fail "no call to a scalar exp in the optimised IR"
else
  pass "no call to a scalar exp in the optimised IR"
fi
status "msnc kernel --target generic -o hhg.ll" 0 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" --target generic -o "$WORK/hhg.ll"
w=$(widths "$WORK/hhg.ll" | awk '$1 == "Na_state_update" { print $2 }')
check "--target generic: Na_state_update vectorised (SSE2)" "${w:-0}" ">=" 2

# ---- errors ---------------------------------------------------------------------------
status "a file without channels" 1 "$MSNC" kernel "$SRCDIR/examples/hh.msn" -o "$WORK/x.so"
expect_in "a file without channels: E0610" "$WORK/err" "error[E0610]: $SRCDIR/examples/hh.msn defines no channel"
expect_in "a file without channels: what to do" "$WORK/err" "pick them with --channel NAME"
status "unknown --channel" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" --channel Kdr -o "$WORK/x.so"
expect_in "unknown --channel: E0611" "$WORK/err" "error[E0611]: --channel Kdr: there is no channel Kdr"
expect_in "unknown --channel: the channels" "$WORK/err" "the channels are: Na, K, Leak"
status "unknown --per-compartment" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" --per-compartment gmax -o "$WORK/x.so"
expect_in "unknown --per-compartment: E0612" "$WORK/err" "error[E0612]: --per-compartment gmax: no channel compiled has a parameter gmax"
status "unwritable output" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/no/such/dir/libhh.so"
expect_in "unwritable output: message" "$WORK/err" "msnc: error: cannot write $WORK/no/such/dir/libhh.so: No such file or directory"
status "unwritable header" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/y.so" --header /proc/nonexistent/y.h
expect_in "unwritable header: message" "$WORK/err" "msnc: error: cannot write /proc/nonexistent/y.h"
[ ! -f "$WORK/y.so" ] && pass "nothing written when the header cannot be" || fail "nothing written when the header cannot be"
mkdir "$WORK/dir.so"
status "output is a directory" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/dir.so"
expect_in "output is a directory: message" "$WORK/err" "msnc: error: cannot write $WORK/dir.so: Is a directory"
status "unknown output kind" 1 "$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/x.dylib"
expect_in "unknown output kind: message" "$WORK/err" "a kernel is written as a shared library (.so), an object file (.o) or LLVM IR (.ll)"
status "a unit error in the channel file" 1 sh -c "printf 'channel Bad {\n  param g = 1 mS/cm^2\n  current g * (V - 1 ms)\n}\n' > '$WORK/bad.msn' && '$MSNC' kernel '$WORK/bad.msn' -o '$WORK/bad.so'"
expect_in "a unit error in the channel file: diagnostic" "$WORK/err" "bad.msn:3:"
status "--channel with another command" 2 "$MSNC" build "$SRCDIR/examples/hh.msn" --channel Na

finish
