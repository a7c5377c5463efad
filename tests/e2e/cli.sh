#!/bin/sh
# tests/e2e/cli.sh — the command lines: generated programs (msn-run(1),
# runtime/rt_cli.c) and the msnc driver (compiler/main.c).
# Program:
#  - --help (exit 0) lists every parameter with its value and unit;
#    --version names the model and msnc;
#  - one value in several units (100mS/cm^2, bare 100 in the display unit,
#    "0.1 S/cm^2" as two words, 1000S/m^2, 1e5uS/cm^2, --set=... 1mS/mm^2)
#    gives the same run: the SI values agree to an ulp or two (unit scales
#    are products of rounded powers of ten), so spike times must agree
#    within 1e-9 ms and V within 1e-9 mV (observed: spikes bit-identical,
#    V within ~1e-12 mV); the same for times (--duration 0.1s, 100, 1e5us);
#  - --set gbar_Na=100mS/cm^2 changes the spikes (7 at 120 mS/cm^2);
#  - each bad argument exits 1, names the problem, and creates no output;
#  - --format npy: trace.npy and spikes.npy are NumPy v1.0 float64 arrays
#    with the data 64-byte aligned, shapes matching run.json, sizes matching
#    the shapes, and values equal to the CSV ones to its 10 digits (1e-9
#    relative); run.json says completed true.
# Driver:
#  - --help (also after a command), --version exit 0; an unknown command
#    or option exits 2 with a message; a missing model file, or a
#    directory, exits 1 with a message naming the problem, no crash;
#  - msnc info lists every state with its solver and the reason;
#  - msnc check on a good model is silent and exits 0;
#  - msnc build --target generic: the program spikes as the host build
#    within 1e-9 ms.  The two differ only in FP contraction: on an FMA host
#    llvm.fmuladd (used by exp's polynomial) becomes one fused operation,
#    on generic x86-64 a multiply and an add, i.e. at most an ulp per
#    operation; observed on AVX-512: spikes bit-identical, states within
#    ~1e-12, so the states are held to 1e-9.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/npy.sh"

HH=$SRCDIR/examples/hh.msn
"$MSNC" build "$HH" -o "$WORK/hh"

# expect_status NAME WANT CMD...: CMD's exit status must be WANT; its stderr
# is left in $WORK/err, stdout in $WORK/out
expect_status() {
  name=$1 want=$2
  shift 2
  st=0
  "$@" > "$WORK/out" 2> "$WORK/err" || st=$?
  if [ "$st" -eq "$want" ]; then pass "$name: exit status $st"
  else fail "$name: exit status $st, expected $want; stderr: $(sed -n 1,3p "$WORK/err")"; fi
}

# ---- program: help and version ---------------------------------------------
expect_status "hh --help" 0 "$WORK/hh" --help
for p in "celsius *= *6.3 *1" "Cm *= *1 *uF/cm^2" "gbar_Na *= *120 *mS/cm^2" "E_Na *= *50 *mV" \
         "gbar_K *= *36 *mS/cm^2" "E_K *= *-77 *mV" "g_Leak *= *0.3 *mS/cm^2" \
         "E_Leak *= *-54.387 *mV" "I_ext *= *10 *uA/cm^2" "I_ext_start *= *10 *ms" \
         "I_ext_stop *= *110 *ms"; do
  if grep -q "^  $(echo "$p" | sed 's/\^/\\^/g')\$" "$WORK/out"; then pass "hh --help lists '$p'"
  else fail "hh --help does not list '$p'"; fi
done
expect_in "hh --help lists --set" "$WORK/out" "--set NAME=VALUE"
expect_in "hh --help lists --format" "$WORK/out" "--format csv|npy"
expect_status "hh --version" 0 "$WORK/hh" --version
expect_in "hh --version names the model" "$WORK/out" "msn model 'HH'"
expect_in "hh --version names msnc" "$WORK/out" "compiled by msnc"

# ---- program: values in units ----------------------------------------------
run() { # NAME ARGS...: npy run, spike times and V column extracted
  name=$1
  shift
  "$WORK/hh" --quiet --format npy --out "$WORK/out_$name" "$@"
  npy_spikes "$WORK/out_$name" > "$WORK/$name.t"
  npy_col "$WORK/out_$name/trace.npy" 2 > "$WORK/$name.V"
}
same_run() { # NAME REF WHAT
  check "$3: spike count" "$(wc -l < "$WORK/$1.t")" ">=" "$(wc -l < "$WORK/$2.t")"
  check "$3: spike count" "$(wc -l < "$WORK/$1.t")" "<=" "$(wc -l < "$WORK/$2.t")"
  check "$3: max spike-time difference [ms]" "$(max_abs_diff "$WORK/$1.t" "$WORK/$2.t")" "<=" 1e-9
  check "$3: max |dV| [mV]" "$(max_abs_diff "$WORK/$1.V" "$WORK/$2.V")" "<=" 1e-9
}
run default
check "default: spike count" "$(wc -l < "$WORK/default.t")" ">=" 7
check "default: spike count" "$(wc -l < "$WORK/default.t")" "<=" 7
run g100 --set gbar_Na=100mS/cm^2
n100=$(wc -l < "$WORK/g100.t")
echo "spikes with gbar_Na = 100 mS/cm^2: $n100"
if [ "$n100" -ne 7 ]; then pass "--set gbar_Na=100mS/cm^2 changes the spike count (7 -> $n100)"
else fail "--set gbar_Na=100mS/cm^2 did not change the spike count"; fi
run g100bare --set gbar_Na=100
same_run g100bare g100 "gbar_Na=100 (bare, mS/cm^2) vs 100mS/cm^2"
run g100S --set gbar_Na=0.1 S/cm^2
same_run g100S g100 "gbar_Na=0.1 S/cm^2 (two words) vs 100mS/cm^2"
run g100SI --set "gbar_Na=1000 S/m^2"
same_run g100SI g100 "gbar_Na='1000 S/m^2' vs 100mS/cm^2"
run g100uS --set gbar_Na=1e5uS/cm^2
same_run g100uS g100 "gbar_Na=1e5uS/cm^2 vs 100mS/cm^2"
run g100mm --set=gbar_Na=1mS/mm^2
same_run g100mm g100 "--set=gbar_Na=1mS/mm^2 vs 100mS/cm^2"
run g120 --set gbar_Na=0.12S/cm^2
same_run g120 default "gbar_Na=0.12S/cm^2 vs the default 120 mS/cm^2"
run i10 --set I_ext=0.01 mA/cm^2 --set I_ext=0.1A/m^2
same_run i10 default "I_ext=0.1A/m^2 (the last --set wins) vs the default"
run d100s --duration 0.1s
run d100 --duration 100
run d100us --duration 1e5us
same_run d100 d100s "--duration 100 (bare, ms) vs 0.1s"
same_run d100us d100s "--duration 1e5us vs 0.1s"
rows=$(npy_shape "$WORK/out_d100s/trace.npy" | awk '{ print $1 }')
check "--duration 0.1s: trace rows (0 .. 100 ms every 0.1 ms)" "$rows" ">=" 1001
check "--duration 0.1s: trace rows (0 .. 100 ms every 0.1 ms)" "$rows" "<=" 1001
run dt25us --dt 25us
same_run dt25us default "--dt 25us vs the default 0.025 ms"

# ---- program: bad arguments ------------------------------------------------
bad() { # MESSAGE ARGS...: exit 1, MESSAGE on stderr, no output directory
  msg=$1
  shift
  rm -rf "$WORK/badout"
  expect_status "hh $*" 1 "$WORK/hh" --quiet --out "$WORK/badout" "$@"
  expect_in "hh $*: message" "$WORK/err" "$msg"
  if [ -e "$WORK/badout" ]; then fail "hh $*: created its output directory"; fi
}
bad "model 'HH' has no parameter 'gbar_Nb'" --set gbar_Nb=100
expect_in "unknown parameter: suggestion" "$WORK/err" "Did you mean 'gbar_Na'"
bad "has no parameter 'nonsense'" --set nonsense=1
expect_in "unknown parameter without a near name: list of parameters" "$WORK/err" "gbar_Na [mS/cm^2]"
bad "'100mV' is a voltage, but a conductance density is expected (unit mS/cm^2)" --set gbar_Na=100mV
bad "'5uA' is a current, but a current density is expected" --set I_ext=5uA
bad "--set expects NAME=VALUE, got 'gbar_Na'" --set gbar_Na
bad "expected a number in 'abc'" --set gbar_Na=abc
bad "--dt must be positive, got -1 ms" --dt -1ms
bad "--dt must be positive, got 0 ms" --dt 0
bad "--dt (200 ms) is longer than --duration (150 ms)" --dt 200ms
bad "--dt (2 ms) is longer than --duration (1 ms)" --duration 1ms --dt 2ms
bad "--dt: '5mV' is a voltage, but a time is expected" --dt 5mV
bad "unknown option '--bogus'" --bogus
bad "Did you mean '--duration'?" --duraton 5ms
bad "--dt needs a value" --dt
bad "--format must be csv or npy, not 'xml'" --format xml
bad "--method must be staggered, rk4, rk45, euler or heun, not 'leapfrog'" --method leapfrog
bad "parameter 'gbar_Na' is shared by all instances" --set "gbar_Na[0]=1"
bad "unexpected argument 'extra'" extra

# ---- program: --format npy -------------------------------------------------
"$WORK/hh" --quiet --format npy --out "$WORK/npy"
"$WORK/hh" --quiet --out "$WORK/csv"
for f in trace spikes; do
  file=$WORK/npy/$f.npy
  if [ "$(od -A n -t x1 -N 8 "$file" | tr -d ' ')" = "934e554d50590100" ]; then
    pass "$f.npy: magic \\x93NUMPY, version 1.0"
  else fail "$f.npy: bad magic or version: $(od -A n -t x1 -N 8 "$file")"; fi
  off=$(npy_offset "$file")
  check "$f.npy: data offset is a multiple of 64" "$((off % 64))" "<=" 0
  hdr=$(npy_header "$file")
  case $hdr in
    "{'descr': '<f8', 'fortran_order': False, 'shape': ("*"), }") pass "$f.npy: header $hdr" ;;
    *) fail "$f.npy: unexpected header '$hdr'" ;;
  esac
  if [ "$(dd if="$file" bs=1 skip=$((off - 1)) count=1 2>/dev/null | od -A n -t x1 | tr -d ' ')" = 0a ]; then
    pass "$f.npy: header ends with a newline"
  else fail "$f.npy: header does not end with a newline"; fi
  set -- $(npy_shape "$file")
  size=$(wc -c < "$file")
  check "$f.npy: file size = header + 8 * rows * cols" "$size" ">=" $((off + 8 * $1 * $2))
  check "$f.npy: file size = header + 8 * rows * cols" "$size" "<=" $((off + 8 * $1 * $2))
  echo "$f.npy: shape ($1, $2)"
done
set -- $(npy_shape "$WORK/npy/trace.npy")
jrows=$(sed -n 's/^  "rows": \([0-9]*\),$/\1/p' "$WORK/npy/run.json")
jcols=$(sed -n 's/^  "columns": \[\(.*\)\],$/\1/p' "$WORK/npy/run.json" | awk -F', ' '{ print NF }')
check "trace.npy rows = run.json rows" "$1" ">=" "$jrows"
check "trace.npy rows = run.json rows" "$1" "<=" "$jrows"
check "trace.npy columns = run.json columns (t, V, m, h, n)" "$2" ">=" "$jcols"
check "trace.npy columns = run.json columns (t, V, m, h, n)" "$2" "<=" 5
set -- $(npy_shape "$WORK/npy/spikes.npy")
check "spikes.npy: one row per spike" "$1" ">=" 7
check "spikes.npy: one row per spike" "$1" "<=" 7
check "spikes.npy: columns t, id" "$2" "<=" 2
npy_values "$WORK/npy/trace.npy" > "$WORK/trace.npyv"
tail -n +2 "$WORK/csv/trace.csv" | tr ',' '\n' > "$WORK/trace.csvv"
check "trace.npy = trace.csv to 10 digits (max relative difference)" \
  "$(max_rel_diff "$WORK/trace.csvv" "$WORK/trace.npyv")" "<=" 1e-9
npy_values "$WORK/npy/spikes.npy" > "$WORK/spikes.npyv"
tail -n +2 "$WORK/csv/spikes.csv" | tr ',' '\n' > "$WORK/spikes.csvv"
check "spikes.npy = spikes.csv to 10 digits (max relative difference)" \
  "$(max_rel_diff "$WORK/spikes.csvv" "$WORK/spikes.npyv")" "<=" 1e-9
expect_in "run.json (npy): completed" "$WORK/npy/run.json" '"completed": true'
expect_in "run.json (npy): files" "$WORK/npy/run.json" '"files": {"trace": "trace.npy", "spikes": "spikes.npy"}'
expect_in "run.json (csv): completed" "$WORK/csv/run.json" '"completed": true'

# ---- msnc driver -----------------------------------------------------------
expect_status "msnc --help" 0 "$MSNC" --help
for c in build run check info emit-llvm; do expect_in "msnc --help lists $c" "$WORK/out" "  $c "; done
expect_status "msnc --version" 0 "$MSNC" --version
if grep -Eq '^msnc [0-9]+\.[0-9]+' "$WORK/out"; then pass "msnc --version: $(cat "$WORK/out")"
else fail "msnc --version printed '$(cat "$WORK/out")'"; fi
# regression (fixed in 233a87b): main() stopped looking for --help at
# "run", so that the program's own options pass through, which also
# swallowed `msnc run --help` before any model ("unknown option '--help'",
# exit 2, while `msnc build --help` printed the usage).
expect_status "regression: msnc run --help (no model)" 0 "$MSNC" run --help
expect_in "regression: msnc run --help prints the usage" "$WORK/out" "usage: msnc COMMAND"
expect_status "msnc frobnicate" 2 "$MSNC" frobnicate "$HH"
expect_in "msnc frobnicate: message" "$WORK/err" "unknown command 'frobnicate'"
expect_status "msnc build --frob" 2 "$MSNC" build --frob "$HH"
expect_in "msnc build --frob: message" "$WORK/err" "unknown option '--frob'"
expect_status "msnc (no command)" 2 "$MSNC"
expect_in "msnc (no command): message" "$WORK/err" "no command given"
expect_status "msnc check (no file)" 2 "$MSNC" check
expect_in "msnc check (no file): message" "$WORK/err" "no model file given"
for c in check info build run emit-llvm; do
  expect_status "msnc $c on a missing file" 1 "$MSNC" "$c" "$WORK/missing.msn"
  expect_in "msnc $c on a missing file: message" "$WORK/err" \
    "cannot read $WORK/missing.msn: No such file or directory"
done
if [ -e "$WORK/missing" ]; then fail "msnc build on a missing file wrote a program"; fi
mkdir "$WORK/dir.msn"
expect_status "msnc check on a directory" 1 "$MSNC" check "$WORK/dir.msn"
# regression (fixed in 233a87b): fopen succeeds on a directory, fread
# fails with EISDIR, and read_file replaced errno by EIO, so the message
# read "cannot read DIR: Input/output error".
expect_in "regression: msnc check on a directory says it is a directory" "$WORK/err" \
  "cannot read $WORK/dir.msn: Is a directory"

# msnc info: every state, its solver and why
"$MSNC" info "$HH" > "$WORK/info"
for s in "V cn Crank-Nicolson" "m cnexp linear in itself" "h cnexp linear in itself" \
         "n cnexp linear in itself"; do
  set -- $s
  if grep -Eq "^  $1 +\[[^]]*\] +solver $2 +.*$3" "$WORK/info"; then pass "msnc info: state $1, solver $2, reason"
  else fail "msnc info: no line for state $1 with solver $2 and reason '$3'"; fi
done
nstates=$(sed -n 's/^states (\([0-9]*\)):$/\1/p' "$WORK/info")
check "msnc info: states of HH" "$nstates" ">=" 4
check "msnc info: states of HH" "$nstates" "<=" 4

# msnc check: silent on a good model
expect_status "msnc check examples/hh.msn" 0 "$MSNC" check "$HH"
if [ -s "$WORK/out" ] || [ -s "$WORK/err" ]; then fail "msnc check examples/hh.msn printed something"
else pass "msnc check examples/hh.msn is silent"; fi

# msnc build: default output name, then --target generic against the host build
mkdir "$WORK/b"
(cd "$WORK/b" && "$MSNC" build "$HH")
if [ -x "$WORK/b/hh" ]; then pass "msnc build MODEL writes ./hh"; else fail "msnc build MODEL: no ./hh"; fi
"$MSNC" build --target generic "$HH" -o "$WORK/hhg"
"$WORK/hhg" --quiet --format npy --out "$WORK/out_generic"
npy_spikes "$WORK/out_generic" > "$WORK/generic.t"
check "generic vs host: spike count" "$(wc -l < "$WORK/generic.t")" ">=" 7
check "generic vs host: spike count" "$(wc -l < "$WORK/generic.t")" "<=" 7
check "generic vs host: max spike-time difference [ms]" \
  "$(max_abs_diff "$WORK/generic.t" "$WORK/default.t")" "<=" 1e-9
npy_values "$WORK/out_generic/trace.npy" > "$WORK/generic.all"
npy_values "$WORK/out_default/trace.npy" > "$WORK/default.all"
check "generic vs host: max state difference over the trace" \
  "$(max_abs_diff "$WORK/generic.all" "$WORK/default.all")" "<=" 1e-9
expect_status "msnc build --target arm" 2 "$MSNC" build --target arm "$HH" -o "$WORK/arm"
expect_in "msnc build --target arm: message" "$WORK/err" "unknown target 'arm'"

finish
