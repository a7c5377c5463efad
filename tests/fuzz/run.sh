#!/bin/sh
# tests/fuzz/run.sh — libFuzzer smoke test of the front end (`make check`).
#
# 1. replays every seed one by one: examples/*.msn, stdlib/*.msn,
#    tests/diag/*.msn, tests/e2e/models/*.msn and tests/fuzz/regressions/*
#    (inputs that once crashed msnc; each must now pass);
# 2. fuzzes for FUZZ_TIME seconds (default 20) from those seeds.
# Inputs in tests/fuzz/regressions/open/ still crash (bugs not fixed yet):
# they are replayed, as tests that must pass, only with FUZZ_OPEN=1; once
# one passes, move it up to tests/fuzz/regressions/.
# Prints "N passed, M failed"; fails on any crash, leak, timeout or
# out-of-memory.  Exits 77 (automake's SKIP) when the harness was not built
# (no clang, or clang without libFuzzer).  A crashing input is kept in
# $BUILDDIR/tests/fuzz/artifacts/ and shown in the log.
#
# By hand, e.g. ten minutes:
#   BUILDDIR=build SRCDIR=. FUZZ_TIME=600 sh tests/fuzz/run.sh
set -u
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
FUZZER="$BUILDDIR/tests/fuzz/fuzz_frontend"
if [ ! -x "$FUZZER" ]; then
  echo "SKIP: $FUZZER was not built (needs clang with -fsanitize=fuzzer)"
  exit 77
fi
TIME=${FUZZ_TIME:-20}
LIMITS="-timeout=5 -rss_limit_mb=2048"
ART="$BUILDDIR/tests/fuzz/artifacts"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/seeds" "$WORK/corpus" "$ART" || exit 1
# leaks are failures here (the test environment turns them off for msnc)
ASAN_OPTIONS=detect_leaks=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "PASS: $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL: $*"; }

OPEN=
[ "${FUZZ_OPEN:-0}" = 1 ] && OPEN="$SRCDIR/tests/fuzz/regressions/open/*"
for f in "$SRCDIR"/examples/*.msn "$SRCDIR"/stdlib/*.msn "$SRCDIR"/tests/diag/*.msn \
         "$SRCDIR"/tests/e2e/models/*.msn "$SRCDIR"/tests/fuzz/regressions/* $OPEN; do
  [ -f "$f" ] || continue
  case $f in */README*) continue ;; esac
  rel=${f#"$SRCDIR"/}
  # open (still crashing) inputs cannot seed the fuzzer
  case $rel in */open/*) ;; *) cp "$f" "$WORK/seeds/$(echo "$rel" | tr / _)" || exit 1 ;; esac
  if "$FUZZER" $LIMITS "$f" > "$WORK/replay.log" 2>&1; then
    pass "replay $rel"
  else
    head -n 60 "$WORK/replay.log"
    fail "replay $rel"
  fi
done

nopen=$(ls "$SRCDIR"/tests/fuzz/regressions/open/ 2>/dev/null | grep -c -v README)
[ -n "$OPEN" ] || [ "$nopen" -eq 0 ] ||
  echo "note: $nopen known crashing inputs in tests/fuzz/regressions/open/ not replayed (FUZZ_OPEN=1 replays them)"
echo "fuzzing for $TIME s from $(ls "$WORK/seeds" | wc -l) seeds"
DICT=
[ -f "$SRCDIR/tests/fuzz/msn.dict" ] && DICT="-dict=$SRCDIR/tests/fuzz/msn.dict"
# libFuzzer's own exit codes (77 for a leak among them) all mean failure here
if "$FUZZER" $LIMITS $DICT -max_total_time="$TIME" -print_final_stats=1 \
     -artifact_prefix="$ART/" "$WORK/corpus" "$WORK/seeds" > "$WORK/fuzz.log" 2>&1; then
  tail -n 12 "$WORK/fuzz.log"
  pass "fuzzing for $TIME s"
else
  tail -n 150 "$WORK/fuzz.log"
  for a in "$ART"/*; do
    [ -f "$a" ] || continue
    echo "input $a:"
    od -c "$a" | head -n 40
  done
  fail "fuzzing for $TIME s (crashing input in $ART/; add it to tests/fuzz/regressions/ once fixed)"
fi
rmdir "$ART" 2>/dev/null

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
