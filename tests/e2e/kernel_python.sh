#!/bin/sh
# tests/e2e/kernel_python.sh — examples/kernels/hh_kernel.py (ctypes, no
# NumPy) loads the HH kernels of `msnc kernel stdlib/hh.msn` and runs four
# point neurons for 150 ms.  Checks its printed result: no spike without
# input, 7 spikes at 10 uA/cm^2 with the first within 0.05 ms of the SciPy
# reference (tests/data/hh_single_spikes.csv), more spikes at 20 uA/cm^2.
# Skipped (exit 77) without python3 (/usr/bin/python3, else the one on PATH).
. "$SRCDIR/tests/e2e/lib.sh"

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3
  else PYTHON=$(command -v python3 || true); fi
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import ctypes' > /dev/null 2>&1; then
  echo "SKIP: no python3 with ctypes"
  exit 77
fi
export MSN_STDLIB="$SRCDIR/stdlib"

"$MSNC" kernel "$SRCDIR/stdlib/hh.msn" -o "$WORK/libhh.so"
PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$SRCDIR/examples/kernels/hh_kernel.py" "$WORK/libhh.so" > "$WORK/out"
cat "$WORK/out"
line() { awk -v a="I_ext = $1 uA/cm^2:" 'index($0, a) == 1' "$WORK/out"; }
count() { line "$1" | awk '{ print $5 }'; }
first=$(line 10 | sed -n 's/.*first at \([0-9.]*\) ms.*/\1/p')
ref=$(awk -F, 'NR == 2 { print $2 }' "$SRCDIR/tests/data/hh_single_spikes.csv")
err=$(awk -v a="$first" -v b="$ref" 'BEGIN { if (a == "") { print "none"; exit } d = a - b; if (d < 0) d = -d; printf "%.6g\n", d }')

check "spikes at 0 uA/cm^2" "$(count 0)" "<=" 0
check "spikes at 10 uA/cm^2" "$(count 10)" ">=" 7
check "spikes at 10 uA/cm^2" "$(count 10)" "<=" 7
check "first spike at 10 uA/cm^2 vs SciPy [ms]" "$err" "<=" 0.05
check "spikes at 20 uA/cm^2" "$(count 20)" ">=" 8
grep -q "param gbar     = 120 mS/cm^2 (1200 SI)" "$WORK/out" && pass "descriptor read: Na gbar 120 mS/cm^2" ||
  fail "descriptor read: Na gbar 120 mS/cm^2"
finish
