#!/bin/sh
# tests/diag/run.sh — golden tests of the compiler's diagnostics.
#
# For each tests/diag/NAME.msn, run `$MSNC check NAME.msn` from inside
# tests/diag (so that messages name the file as NAME.msn:LINE:COL), with
# NO_COLOR=1, and compare its standard error with NAME.err.  Every case is
# a program with at least one error, so the exit status must be non-zero
# (and not a crash).  Prints PASS/FAIL per case, a `diff -u` (expected,
# actual) for each mismatch, and `N passed, M failed` at the end; exits
# non-zero when a case failed.
#
#   MSNC=/path/to/msnc SRCDIR=/path/to/source/tree sh tests/diag/run.sh [NAME...]
#
# MSNC and SRCDIR come from the environment (make check sets both).  With
# NAME arguments only those cases run.  Nothing is written under SRCDIR:
# temporary files go to ${TMPDIR:-/tmp}.
#
# Two things are fixed so that the expected output does not depend on the
# machine:
#  - MSN_STDLIB=../../stdlib, so `import "x"` looks in the source tree's
#    stdlib/ and the message that names the standard library prints the
#    same relative path everywhere;
#  - messages that print absolute paths (the chain of an import cycle) have
#    the absolute path of tests/diag replaced by `<tests/diag>`.
#
# To add a case: write NAME.msn (a first comment line says which code it
# shows), run `cd tests/diag && NO_COLOR=1 MSN_STDLIB=../../stdlib msnc
# check NAME.msn 2> NAME.err`, and read NAME.err: it must be the message
# a user should see.  Files in subdirectories (cycle/) are imported by the
# cases, not cases themselves.

if [ -z "${MSNC:-}" ] || [ -z "${SRCDIR:-}" ]; then
  echo "run.sh: set MSNC (the msnc binary) and SRCDIR (the source tree)" >&2
  exit 99
fi
case $MSNC in
  /*) ;;
  */*) MSNC=$(pwd)/$MSNC ;; # relative to where we started: make it absolute before cd
esac
cd "$SRCDIR/tests/diag" || exit 99

NO_COLOR=1
MSN_STDLIB=../../stdlib
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export NO_COLOR MSN_STDLIB ASAN_OPTIONS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/msn-diag.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# replace the absolute path of this directory (as realpath(3) prints it)
HERE=$(pwd -P)/
export HERE
normalise() {
  awk 'BEGIN { d = ENVIRON["HERE"]; n = length(d) }
       { out = ""; s = $0
         while ((i = index(s, d)) > 0) { out = out substr(s, 1, i - 1) "<tests/diag>/"; s = substr(s, i + n) }
         print out s }'
}

if [ $# -eq 0 ]; then
  for err in *.err; do
    [ -e "$err" ] || continue
    [ -e "${err%.err}.msn" ] || echo "warning: $err has no ${err%.err}.msn" >&2
  done
  set -- *.msn
  [ -e "$1" ] || shift # no case at all
fi

npass=0
nfail=0
for arg in "$@"; do
  name=${arg%.msn}
  src=$name.msn
  if [ ! -f "$src" ]; then
    echo "FAIL: $name: no $src"
    nfail=$((nfail + 1))
    continue
  fi
  if [ ! -f "$name.err" ]; then
    echo "FAIL: $name: no $name.err (expected output)"
    nfail=$((nfail + 1))
    continue
  fi
  st=0
  "$MSNC" check "$src" > "$tmp/stdout" 2> "$tmp/raw" || st=$?
  normalise < "$tmp/raw" > "$tmp/stderr"
  ok=1
  if [ "$st" -eq 0 ]; then
    echo "FAIL: $name: exit status 0, but the program has errors"
    ok=0
  elif [ "$st" -gt 125 ]; then
    echo "FAIL: $name: msnc crashed (exit status $st)"
    ok=0
  fi
  if ! cmp -s "$name.err" "$tmp/stderr"; then
    echo "FAIL: $name: standard error differs from $name.err"
    diff -u "$name.err" "$tmp/stderr"
    ok=0
  fi
  if [ "$ok" -eq 1 ]; then
    echo "PASS: $name"
    npass=$((npass + 1))
  else
    nfail=$((nfail + 1))
  fi
done

echo "$npass passed, $nfail failed"
if [ $((npass + nfail)) -eq 0 ]; then
  echo "run.sh: no test cases found in $SRCDIR/tests/diag" >&2
  exit 1
fi
[ "$nfail" -eq 0 ]
