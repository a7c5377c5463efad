#!/bin/sh
# tests/e2e/vectorised.sh — the kernels are vectorised and call no libm exp.
# `msnc emit-llvm` prints the optimised IR.  In the step kernel HH_step (the
# worker is inlined into it) we require:
#  - vector double fmul and fadd (and the fused llvm.fmuladd of the own exp)
#    of width >= 4 when the CPU has AVX (x86-64 hosts only; LLVM picks 8
#    with AVX-512 on some CPUs, 4 on others), >= 2 otherwise;
#  - no call but LLVM intrinsics: the own exp/exprelr are inlined
#    arithmetic, so there is no call (nor declaration) of the scalar @exp
#    or of @llvm.exp, which the vectoriser would scalarise into libm calls;
# with --target generic (baseline x86-64: SSE2, 128-bit vectors) the same
# loop vectorises at width exactly 2: <2 x double> and nothing wider, and
# the functions carry "target-cpu"="x86-64".  At -O0 nothing is vectorised
# (the vectors come from the optimiser).  The model with per-instance
# parameters (examples/fi_curve.msn) must vectorise as well, and -o FILE
# writes the IR that stdout shows.
. "$SRCDIR/tests/e2e/lib.sh"

HH=$SRCDIR/examples/hh.msn
"$MSNC" emit-llvm "$HH" > "$WORK/host.ll"
"$MSNC" emit-llvm --target generic "$HH" > "$WORK/generic.ll"

body() { # FILE FUNCTION: the body of FUNCTION in FILE
  awk -v f="@$2(" 'index($0, "define") == 1 && index($0, f) { p = 1 } p { print } p && /^}/ { exit }' "$1"
}
widest() { # FILE: the widest <N x double> in FILE (0 if none)
  { grep -o '<[0-9]* x double>' "$1" || true; } | tr -d '<' | awk '$1 > m { m = $1 } END { print m + 0 }'
}
count() { # FILE PATTERN: number of lines of FILE matching the extended regexp
  grep -Ec "$2" "$1" || true
}

want=2
if [ "$(uname -m)" = x86_64 ] && grep -qw avx /proc/cpuinfo 2>/dev/null; then want=4; fi

for t in host generic; do
  body "$WORK/$t.ll" HH_step > "$WORK/$t.step"
  check "$t: HH_step found in the IR (lines)" "$(wc -l < "$WORK/$t.step")" ">=" 10
  w=$(widest "$WORK/$t.step")
  echo "$t: widest vector in HH_step: <$w x double>"
  nmul=$(count "$WORK/$t.step" "fmul( [a-z]+)* <$w x double>")
  nadd=$(count "$WORK/$t.step" "fadd( [a-z]+)* <$w x double>")
  nfma=$(count "$WORK/$t.step" "@llvm\.fmuladd\.v${w}f64")
  echo "$t: <$w x double> in HH_step: $nmul fmul, $nadd fadd, $nfma llvm.fmuladd"
  check "$t: vector fmul in HH_step" "$nmul" ">=" 10
  check "$t: vector fadd in HH_step" "$nadd" ">=" 10
  check "$t: vector llvm.fmuladd in HH_step (exp's polynomial)" "$nfma" ">=" 10
  check "$t: calls of the scalar @exp" "$(count "$WORK/$t.ll" '@exp\(')" "<=" 0
  check "$t: uses of @llvm.exp" "$(count "$WORK/$t.ll" '@llvm\.exp\.')" "<=" 0
  other=$(grep -o 'call [^@]*@[A-Za-z0-9_.]*' "$WORK/$t.step" | sed 's/.*@//' | grep -v '^llvm\.' | sort -u | tr '\n' ' ')
  if [ -z "$other" ]; then pass "$t: HH_step calls nothing but LLVM intrinsics"
  else fail "$t: HH_step calls $other"; fi
done
check "host: vector width in HH_step" "$(widest "$WORK/host.step")" ">=" "$want"
check "generic: vector width in HH_step" "$(widest "$WORK/generic.step")" ">=" 2
check "generic: vector width anywhere in the module" "$(widest "$WORK/generic.ll")" "<=" 2
if grep -q '"target-cpu"="x86-64"' "$WORK/generic.ll"; then pass "generic: target-cpu x86-64"
else fail "generic: no \"target-cpu\"=\"x86-64\" attribute"; fi

# the rhs kernel (every stage of the explicit methods) is vectorised as
# well; gates, run once per run, is not optimised (docs/codegen.md)
body "$WORK/host.ll" HH_rhs > "$WORK/host.rhs"
check "host: vector width in HH_rhs" "$(widest "$WORK/host.rhs")" ">=" "$want"
body "$WORK/host.ll" HH_gates > "$WORK/host.gates"
check "host: HH_gates found in the IR (lines)" "$(wc -l < "$WORK/host.gates")" ">=" 10
check "host: vector width in HH_gates (optnone)" "$(widest "$WORK/host.gates")" "<=" 0

# -O0: no vectors
"$MSNC" emit-llvm -O0 "$HH" > "$WORK/o0.ll"
check "-O0: vector width" "$(widest "$WORK/o0.ll")" "<=" 0

# per-instance parameters (columns) do not stop the vectoriser
"$MSNC" emit-llvm "$SRCDIR/examples/fi_curve.msn" > "$WORK/fi.ll"
body "$WORK/fi.ll" HH_step > "$WORK/fi.step"
check "fi_curve (per-instance I_ext): vector width in HH_step" "$(widest "$WORK/fi.step")" ">=" "$want"

# -o FILE
"$MSNC" emit-llvm "$HH" -o "$WORK/file.ll"
same_ir=$(cmp -s "$WORK/file.ll" "$WORK/host.ll" && echo yes || echo no)
if [ "$same_ir" = yes ]; then pass "emit-llvm -o FILE writes the IR of stdout"
else fail "emit-llvm -o FILE differs from stdout"; fi

finish
