#!/bin/sh
# tests/e2e/edges.sh — projections from edge-list files (`connect from
# "FILE"`, docs/language.md 5.9): tests/e2e/models/edges.msn with
# edges.csv (header, comments, blank line) and edges_v.csv (weights in mV).
# Required:
#  - exactly the jumps of the file (times to 1e-9 ms, amounts to 1e-12):
#    three sources spiking at 10 ms (stamped 10 ms), so an edge with delay
#    D ms changes its target at 10 + D ms by its weight; the V weights are
#    mV (2.5 + 0.75 mV on V[1] at 14 ms);
#  - the same edges as an N x 4 float64 .npy give the same trace;
#  - the program reads the file when it starts: a changed file changes the
#    run without recompiling;
#  - run-time errors name the file and the line (CSV) or row (.npy) and
#    exit with status 3: a target out of range, a non-finite weight, a
#    delay shorter than --dt, a negative delay, a missing file, a .npy of
#    the wrong shape.
. "$SRCDIR/tests/e2e/lib.sh"
M="$SRCDIR/tests/e2e/models"
cp "$M/edges.msn" "$M/edges.csv" "$M/edges_v.csv" "$M/edges.npy" "$M/edges_3col.npy" "$WORK/"

jumps() {
  awk -F, 'NR > 2 { for (c = 2; c <= NF; c++) if ($c != last[c]) printf "%s %d %.12g\n", $1, c, $c - last[c] }
           NR > 1 { for (c = 2; c <= NF; c++) last[c] = $c }' "$1"
}
same_jumps() { # NAME GOT WANT
  if awk 'NR == FNR { t[FNR] = $1; c[FNR] = $2; v[FNR] = $3; n = FNR; next }
          { m = FNR; d = $1 - t[FNR]; e = $3 - v[FNR]; if (d < 0) d = -d; if (e < 0) e = -e
            if ($2 != c[FNR] || d > 1e-9 || e > 1e-12) bad++ }
          END { exit !(m == n && !bad) }' "$2" "$3"; then pass "$1"
  else fail "$1"; echo "want:"; cat "$3"; echo "got:"; cat "$2"; fi
}
# expect_error NAME PATTERN ARGS...: the program fails with status 3 and
# a message matching PATTERN
expect_error() {
  name=$1 pat=$2
  shift 2
  set +e
  "$WORK/e" --quiet --out "$WORK/err" "$@" 2> "$WORK/stderr"
  rc=$?
  set -e
  if [ "$rc" -eq 3 ] && grep -q -- "$pat" "$WORK/stderr"; then pass "$name: status 3, $(cat "$WORK/stderr")"
  else fail "$name: status $rc, message: $(cat "$WORK/stderr") (wanted /$pat/)"; fi
}

"$MSNC" build "$WORK/edges.msn" -o "$WORK/e"
"$WORK/e" --quiet --out "$WORK/a"
jumps "$WORK/a/trace.csv" > "$WORK/got"
printf '10.1 4 -1.5\n10.3 3 2\n11 2 0.5\n12.5 2 0.25\n14 6 3.25\n' > "$WORK/want"
same_jumps "CSV edges: one jump per edge at 10 ms + delay by its weight (V in mV)" "$WORK/got" "$WORK/want"

sed 's/"edges.csv"/"edges.npy"/' "$WORK/edges.msn" > "$WORK/edges_npy.msn"
"$MSNC" build "$WORK/edges_npy.msn" -o "$WORK/n"
"$WORK/n" --quiet --out "$WORK/b"
if cmp -s "$WORK/a/trace.csv" "$WORK/b/trace.csv"; then pass ".npy edges give the same trace as CSV"
else fail ".npy edges give the same trace as CSV"; fi

# read at run time: another weight and delay without recompiling
cp "$WORK/edges.csv" "$WORK/edges.orig"
printf '0,0,0.125,5\n' > "$WORK/edges.csv"
"$WORK/e" --quiet --out "$WORK/c"
jumps "$WORK/c/trace.csv" > "$WORK/got"
printf '14 6 3.25\n15 2 0.125\n' > "$WORK/want"
same_jumps "a changed edges.csv takes effect without recompiling" "$WORK/got" "$WORK/want"

printf 'source,target,weight,delay\n0,0,1,1\n\n1,3,1,1\n' > "$WORK/edges.csv"
expect_error "target out of range" "edges.csv:4: the target index 3 is out of range"
printf '0,0,nan,1\n' > "$WORK/edges.csv"
expect_error "non-finite weight" "edges.csv:1: the weight nan is not finite"
cp "$WORK/edges.orig" "$WORK/edges.csv"
expect_error "delay shorter than --dt" "edges.csv:7: the delay 0.1 ms is shorter than the time step dt = 0.2 ms" --dt 0.2ms
printf '# negative\n0,0,1,-1\n' > "$WORK/edges.csv"
expect_error "negative delay" "edges.csv:2: the delay -1 ms is negative"
printf '0,0,1\n' > "$WORK/edges.csv"
expect_error "three columns" "edges.csv:1: expected 4 columns"
rm "$WORK/edges.csv"
expect_error "missing file" "cannot open the edge list .*edges.csv.*No such file"
cp "$WORK/edges_3col.npy" "$WORK/edges.npy"
set +e
"$WORK/n" --quiet --out "$WORK/err" 2> "$WORK/stderr"
rc=$?
set -e
if [ "$rc" -eq 3 ] && grep -q "edges.npy: expected a float64 array of shape (N, 4)" "$WORK/stderr"; then
  pass ".npy of shape (4, 3): status 3, $(cat "$WORK/stderr")"
else fail ".npy of shape (4, 3): status $rc, $(cat "$WORK/stderr")"; fi
finish
