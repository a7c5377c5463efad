#!/bin/sh
# tests/e2e/jit_run.sh — `msnc run` (LLJIT, in-process) against `msnc build`.
# Both compile the same IR for the host CPU with the same pipeline and run
# the same libmsnrt loop, so the outputs must be byte-identical: trace.csv,
# spikes.csv, trace.npy, spikes.npy (run.json differs in wall_time_s only).
# Also: arguments after the model reach the program (--set, --duration,
# --method, --format, --help, bad values with exit status 1), the run leaves
# nothing behind but its --out directory (working directory and TMPDIR are
# checked), and a model with an error stops before running with exit
# status 1 and the diagnostic on stderr.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/npy.sh"

HH=$SRCDIR/examples/hh.msn
"$MSNC" build "$HH" -o "$WORK/hh"
mkdir "$WORK/cwd" "$WORK/tmp"

jit() { # NAME ARGS...: msnc run in an empty directory, output in cwd/NAME
  name=$1
  shift
  (cd "$WORK/cwd" && TMPDIR="$WORK/tmp" "$MSNC" run "$HH" --out "$name" --quiet "$@")
}
native() { # NAME ARGS...
  name=$1
  shift
  "$WORK/hh" --out "$WORK/native_$name" --quiet "$@"
}
same_output() { # NAME EXT: JIT and native outputs of NAME
  for f in trace spikes; do
    same_files "msnc run = msnc build, $1: $f.$2" "$WORK/cwd/$1/$f.$2" "$WORK/native_$1/$f.$2"
  done
}

jit plain
native plain
same_output plain csv
n=$(spikes_of "$WORK/cwd/plain" | wc -l)
check "msnc run: spike count of examples/hh.msn" "$n" ">=" 7
check "msnc run: spike count of examples/hh.msn" "$n" "<=" 7
grep -v wall_time_s "$WORK/cwd/plain/run.json" > "$WORK/jit.json"
grep -v wall_time_s "$WORK/native_plain/run.json" > "$WORK/native.json"
same_files "msnc run = msnc build: run.json but for the wall time" "$WORK/jit.json" "$WORK/native.json"
expect_in "msnc run: run.json says completed" "$WORK/cwd/plain/run.json" '"completed": true'

# program arguments pass through
jit args --set I_ext=5uA/cm^2 --duration 60ms --method rk4 --dt 0.02ms
native args --set I_ext=5uA/cm^2 --duration 60ms --method rk4 --dt 0.02ms
same_output args csv
expect_in "msnc run: --set reached the program" "$WORK/cwd/args/run.json" \
  '{"name": "I_ext", "value": 5, "unit": "uA/cm^2", "set": true}'
expect_in "msnc run: --duration reached the program" "$WORK/cwd/args/run.json" \
  '"duration": {"value": 60, "unit": "ms"}'
expect_in "msnc run: --method reached the program" "$WORK/cwd/args/run.json" '"method": "rk4"'
last=$(tail -n 1 "$WORK/cwd/args/trace.csv" | cut -d, -f1)
check "msnc run: trace ends at --duration [ms]" "$last" ">=" 60
check "msnc run: trace ends at --duration [ms]" "$last" "<=" 60
if cmp -s "$WORK/cwd/plain/spikes.csv" "$WORK/cwd/args/spikes.csv"; then
  fail "msnc run: --set I_ext=5uA/cm^2 changed nothing"
else
  pass "msnc run: --set I_ext=5uA/cm^2 changed the spikes"
fi

jit npy --format npy --method rk45
native npy --format npy --method rk45
same_output npy npy

# nothing left behind but the output directories
left=$(cd "$WORK/cwd" && ls -A | tr '\n' ' ')
if [ "$left" = "args npy plain " ]; then pass "msnc run leaves only its --out directories"
else fail "msnc run left behind: $left"; fi
left=$(ls -A "$WORK/tmp" | tr '\n' ' ')
if [ -z "$left" ]; then pass "msnc run leaves nothing in TMPDIR"
else fail "msnc run left in TMPDIR: $left"; fi

# --help and bad arguments belong to the program
(cd "$WORK/cwd" && "$MSNC" run "$HH" --help) > "$WORK/help.out"
expect_in "msnc run MODEL --help is the program's help" "$WORK/help.out" "Simulate the msn model 'HH'"
expect_in "msnc run MODEL --help lists the parameters" "$WORK/help.out" "gbar_Na"
st=0
(cd "$WORK/cwd" && "$MSNC" run "$HH" --dt -1ms) 2> "$WORK/neg.err" || st=$?
check "msnc run with --dt -1ms: exit status" "$st" ">=" 1
check "msnc run with --dt -1ms: exit status" "$st" "<=" 1
expect_in "msnc run with --dt -1ms: message" "$WORK/neg.err" "--dt must be positive"

# a model error stops msnc run before anything runs
cat > "$WORK/bad.msn" <<'EOF'
import "hh"

cell Bad {
  V(0) = -65 mV
  insert Na, K, Leak
  stimulus I_ext = 10 uA/cm^2 during [10 ms, 110 ms]
  state w = 0
  w' = exp(V / 10) / ms
}
EOF
st=0
(cd "$WORK/cwd" && "$MSNC" run "$WORK/bad.msn" --out bad --quiet) > "$WORK/bad.out" 2> "$WORK/bad.err" || st=$?
check "msnc run with a unit error: exit status" "$st" ">=" 1
check "msnc run with a unit error: exit status" "$st" "<=" 1
expect_in "msnc run with a unit error: diagnostic with place and code" "$WORK/bad.err" "bad.msn:8:12: error[E0303]"
expect_in "msnc run with a unit error: the unit problem" "$WORK/bad.err" \
  "the argument of exp must be a plain number, but it is in"
if [ -e "$WORK/cwd/bad" ]; then fail "msnc run with a unit error created its output"
else pass "msnc run with a unit error ran nothing"; fi

finish
