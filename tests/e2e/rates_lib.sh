# tests/e2e/rates_lib.sh — helpers of the rate-model tests (sourced after
# lib.sh): reference numbers, periods and extrema of traces, relative errors.

# ref NAME: the value of NAME in tests/data/rate_models.csv
ref() {
  awk -F, -v q="$1" '$1 == q { print $2; found = 1 } END { if (!found) print "nan" }' \
    "$SRCDIR/tests/data/rate_models.csv"
}

# period TRACE COL [COL2] T0: mean period [ms] of column COL (minus column
# COL2 when given, 0 for none) of a trace.csv after time T0 [ms]: upward
# crossings of its mean level there, each interpolated linearly between two
# rows; (last - first) / (count - 1).  Prints "nan" with fewer than 3.
period() {
  awk -F, -v col="$2" -v col2="$3" -v t0="$4" '
    NR == FNR { if (FNR > 1 && $1 > t0) { s += $col - (col2 ? $col2 : 0); n++ } next }
    FNR > 1 && $1 > t0 {
      v = $col - (col2 ? $col2 : 0) - s / n
      if (have && pv < 0 && v >= 0) c[nc++] = pt + ($1 - pt) * (-pv) / (v - pv)
      pv = v; pt = $1; have = 1
    }
    END { if (nc < 3) print "nan"; else printf "%.9g\n", (c[nc - 1] - c[0]) / (nc - 1) }' "$1" "$1"
}

# extremum TRACE COL [COL2] T0 min|max: smallest or largest value of column
# COL (minus COL2 when not 0) after time T0 [ms]
extremum() {
  awk -F, -v col="$2" -v col2="$3" -v t0="$4" -v which="$5" '
    FNR > 1 && $1 > t0 { v = $col - (col2 ? $col2 : 0)
      if (!have || (which == "max" ? v > m : v < m)) m = v; have = 1 }
    END { if (!have) print "nan"; else printf "%.9g\n", m }' "$1"
}

# value TRACE T COL: column COL of the row at time T [ms]
value() {
  awk -F, -v t="$2" -v col="$3" 'FNR > 1 && $1 == t { print $col; found = 1 }
    END { if (!found) print "nan" }' "$1"
}

# relerr X REF: |X - REF| / |REF|;  abserr X REF: |X - REF|
relerr() { awk -v x="$1" -v r="$2" 'BEGIN { d = (x - r) / r; printf "%.3g\n", d < 0 ? -d : d }'; }
abserr() { awk -v x="$1" -v r="$2" 'BEGIN { d = x - r; printf "%.3g\n", d < 0 ? -d : d }'; }
# ratio A B: A / B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4g\n", a / b }'; }
