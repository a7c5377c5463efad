#!/bin/sh
# tests/e2e/imports.sh — imports (compiler/load.c).
#  - relative imports: examples/hh.msn rebuilt in a temporary project whose
#    channels come from lib/na.msn and lib/k.msn, which both import
#    lib/leak.msn, and na.msn is imported a second time under another
#    spelling (./lib/../lib/na.msn; and by its absolute path in a second
#    model).  Each file must load once (no "already defined" errors), paths
#    resolve against the importing file whatever the working directory, and
#    the program must produce exactly the output of examples/hh.msn
#    (byte-identical trace.csv and spikes.csv: same channels, same code);
#  - two different files that define the same channel are an error pointing
#    at both definitions (so "loads once" is not "ignores duplicates");
#  - MSN_STDLIB replaces the standard library: with a copy of hh.msn whose
#    gbar of Na is 100 mS/cm^2, examples/hh.msn must give exactly what
#    `--set gbar_Na=100mS/cm^2` gives with the real one; a module that only
#    the override has resolves with it and is an error without it;
#  - a missing import, an import cycle (a -> b -> a) and a file importing
#    itself are errors (exit 1, E0501/E0503) that name the files.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/npy.sh"

STD=$SRCDIR/stdlib/hh.msn
P=$WORK/proj
mkdir -p "$P/lib"
block() { # NAME: the channel NAME of stdlib/hh.msn
  awk -v h="channel $1 {" '$0 == h { p = 1 } p { print } p && /^}/ { exit }' "$STD"
}
{ echo 'import "leak.msn"'; block Na; } > "$P/lib/na.msn"
{ echo 'import "leak.msn"'; block K; } > "$P/lib/k.msn"
block Leak > "$P/lib/leak.msn"
for f in na k leak; do
  check "lib/$f.msn: lines copied from stdlib/hh.msn" "$(grep -c . "$P/lib/$f.msn")" ">=" 5
done
sed 's|^import "hh"$|import "lib/na.msn"\
import "lib/k.msn"\
import "./lib/../lib/na.msn"|' "$SRCDIR/examples/hh.msn" > "$P/model.msn"
check "model.msn imports" "$(grep -c '^import "' "$P/model.msn")" ">=" 3

expect_status() { # NAME WANT CMD...: stdout in $WORK/out, stderr in $WORK/err
  name=$1 want=$2
  shift 2
  st=0
  "$@" > "$WORK/out" 2> "$WORK/err" || st=$?
  if [ "$st" -eq "$want" ]; then pass "$name: exit status $st"
  else fail "$name: exit status $st, expected $want; stderr: $(sed -n 1,4p "$WORK/err")"; fi
}

# relative imports, each file once, from another working directory
expect_status "msnc check model.msn (run from /)" 0 sh -c 'cd / && exec "$0" check "$1"' "$MSNC" "$P/model.msn"
if [ -s "$WORK/err" ]; then fail "msnc check model.msn: $(cat "$WORK/err")"
else pass "msnc check model.msn: no diagnostics"; fi
"$MSNC" info "$P/model.msn" > "$WORK/info"
for p in gbar_Na gbar_K g_Leak; do
  check "msnc info: parameter $p listed once" "$(grep -c "^  $p " "$WORK/info")" "<=" 1
done
(cd "$P/lib" && "$MSNC" build ../model.msn -o "$WORK/model")
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"
"$WORK/model" --quiet --out "$WORK/out_model"
"$WORK/hh" --quiet --out "$WORK/out_hh"
same_files "imported channels = stdlib channels: trace.csv" "$WORK/out_model/trace.csv" "$WORK/out_hh/trace.csv"
same_files "imported channels = stdlib channels: spikes.csv" "$WORK/out_model/spikes.csv" "$WORK/out_hh/spikes.csv"
check "imported channels: spike count" "$(spikes_of "$WORK/out_model" | wc -l)" ">=" 7

# one file by an absolute and a relative path is still one file
printf 'import "%s/lib/na.msn"\nimport "lib/na.msn"\ncell C {\n  insert Na, Leak\n}\n' "$P" > "$P/abs.msn"
expect_status "one file imported by absolute and relative path" 0 "$MSNC" check "$P/abs.msn"

# a channel defined in two files is a duplicate
block Leak > "$P/lib/leak2.msn"
printf 'import "lib/k.msn"\nimport "lib/leak2.msn"\ncell C {\n  insert K, Leak\n}\n' > "$P/dup.msn"
expect_status "a channel defined in two files" 1 "$MSNC" check "$P/dup.msn"
expect_in "a channel defined in two files: the error" "$WORK/err" "'Leak' is already defined"
expect_in "a channel defined in two files: the error is in leak2.msn" "$WORK/err" "leak2.msn:1:"
expect_in "a channel defined in two files: the note names leak.msn" "$WORK/err" "leak.msn:1:"

# MSN_STDLIB
mkdir "$WORK/std"
sed 's|^  param gbar = 120 mS/cm^2$|  param gbar = 100 mS/cm^2|' "$STD" > "$WORK/std/hh.msn"
if cmp -s "$STD" "$WORK/std/hh.msn"; then fail "could not edit gbar of Na in the stdlib copy"; fi
MSN_STDLIB=$WORK/std "$MSNC" info "$SRCDIR/examples/hh.msn" > "$WORK/info_std"
if grep -Eq '^  gbar_Na += 100 mS/cm\^2' "$WORK/info_std"; then pass "MSN_STDLIB: msnc info shows gbar_Na = 100 mS/cm^2"
else fail "MSN_STDLIB: gbar_Na is not 100 mS/cm^2 in: $(grep gbar_Na "$WORK/info_std")"; fi
MSN_STDLIB=$WORK/std "$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh_std"
"$WORK/hh_std" --quiet --format npy --out "$WORK/out_std"
"$WORK/hh" --quiet --format npy --out "$WORK/out_set" --set gbar_Na=100mS/cm^2
same_files "MSN_STDLIB with gbar 100 = --set gbar_Na=100mS/cm^2: spikes.npy" \
  "$WORK/out_std/spikes.npy" "$WORK/out_set/spikes.npy"
same_files "MSN_STDLIB with gbar 100 = --set gbar_Na=100mS/cm^2: trace.npy" \
  "$WORK/out_std/trace.npy" "$WORK/out_set/trace.npy"
block Leak | sed 's/^channel Leak /channel Leak2 /' > "$WORK/std/mychan.msn"
printf 'import "mychan"\ncell C {\n  insert Leak2\n}\n' > "$P/usestd.msn"
expect_status "import \"mychan\" with MSN_STDLIB" 0 env MSN_STDLIB="$WORK/std" "$MSNC" check "$P/usestd.msn"
expect_status "import \"mychan\" without MSN_STDLIB" 1 "$MSNC" check "$P/usestd.msn"
expect_in "import \"mychan\" without MSN_STDLIB: E0501" "$WORK/err" "error[E0501]: cannot find the import \"mychan\""
expect_in "import \"mychan\" without MSN_STDLIB: where it looked" "$WORK/err" "looked for mychan.msn in the standard library"

# missing files and cycles
printf 'import "lib/nope.msn"\ncell C {\n}\n' > "$P/missing.msn"
expect_status "missing relative import" 1 "$MSNC" check "$P/missing.msn"
expect_in "missing relative import: E0501 with the place" "$WORK/err" "missing.msn:1:8: error[E0501]: cannot find the import \"lib/nope.msn\""
expect_in "missing relative import: hint" "$WORK/err" "paths are relative to the importing file"
printf 'import "b.msn"\ncell A {\n}\n' > "$P/a.msn"
printf 'import "a.msn"\n' > "$P/b.msn"
expect_status "import cycle a -> b -> a" 1 "$MSNC" check "$P/a.msn"
expect_in "import cycle: E0503 at the import in b.msn" "$WORK/err" "b.msn:1:8: error[E0503]: import cycle"
expect_in "import cycle: the chain names a.msn" "$WORK/err" "imported from $P/a.msn"
printf 'import "self.msn"\ncell S {\n}\n' > "$P/self.msn"
expect_status "a file importing itself" 1 "$MSNC" check "$P/self.msn"
expect_in "a file importing itself: E0503" "$WORK/err" "error[E0503]: import cycle"

finish
