# tests/e2e/lib.sh — shared helpers of the end-to-end tests (sourced).
# MSNC, SRCDIR come from the test environment (Makefile.am).
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
npass=0
nfail=0

pass() { npass=$((npass + 1)); echo "PASS: $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL: $*"; }
finish() {
  echo "$npass passed, $nfail failed"
  [ "$nfail" -eq 0 ]
}

# check NAME VALUE OP LIMIT: passes when VALUE OP LIMIT holds (OP: <= or >=);
# a VALUE that is not a number (empty, "nan") fails
check() {
  if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
       if (v !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) exit 1
       ok = (op == "<=") ? (v <= l) : (v >= l); exit !ok }'; then
    pass "$1: $2 $3 $4"
  else
    fail "$1: $2 not $3 $4"
  fi
}

# spike times of instance ID (default 0) from OUT/spikes.csv, one per line
spikes_of() {
  awk -F, -v id="${2:-0}" 'NR > 1 && $2 == id { print $1 }' "$1/spikes.csv"
}

# max |a_i - b_i| over two files of numbers (same count required, else 1e9)
max_abs_diff() {
  awk 'NR == FNR { a[FNR] = $1; na = FNR; next }
       { b[FNR] = $1; nb = FNR }
       END { if (na != nb) { print 1e9; exit }
             m = 0; for (i = 1; i <= na; i++) { d = a[i] - b[i]; if (d < 0) d = -d; if (d > m) m = d }
             printf "%.6g\n", m }' "$1" "$2"
}

# network_stats SPIKES N T0 T1 [POP]: statistics of a network's spikes.csv
# (t [ms],population,id) over T0 <= t <= T1 ms, for N neurons (of
# population POP when given).  Prints: mean rate [Hz], mean CV of the ISIs
# of neurons with at least 3 spikes, spike count, active neurons, shortest
# ISI [ms] (0 when there is none).
network_stats() {
  awk -F, -v n="$2" -v t0="$3" -v t1="$4" -v pop="${5:-}" '
    NR > 1 && $1 >= t0 && $1 <= t1 && (pop == "" || $2 == pop) {
      k = $2 ":" $3; c[k]++
      if (c[k] > 1) { isi = $1 - last[k]; s[k] += isi; ss[k] += isi * isi; if (mn == "" || isi < mn) mn = isi }
      last[k] = $1; total++ }
    END { for (k in c) { active++
                         if (c[k] >= 3) { m = s[k] / (c[k] - 1); v = ss[k] / (c[k] - 1) - m * m
                                          if (v < 0) v = 0; cv += sqrt(v) / m; ncv++ } }
          printf "%.6g %.6g %d %d %.6g\n", total / n / ((t1 - t0) / 1000), ncv ? cv / ncv : 0, total, active, mn + 0 }' "$1"
}
