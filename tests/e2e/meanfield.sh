#!/bin/sh
# tests/e2e/meanfield.sh — the renormalised mean field gauss_mean(f(x), sigma)
# (docs/language.md 5.6) of a sigmoid population, tests/e2e/models/meanfield.msn:
# f(v) = rmax / (1 + exp(-(v - vh)/k)), rmax = 100 Hz, vh = -50 mV, k = 4 mV,
# at mu = -53 mV.  r relaxes to gauss_mean(f(mu), s) = f(mu) + 1/2 f''(mu) s^2,
# r0 to f(mu) (tau = 1 ms, read at 60 ms: exp(-60) is far below the trace's
# 10 significant digits).
# Reference: <f(mu + s z)>, z standard normal, by the trapezoid rule on
# z in [-12, 12] with step 0.01 (exponentially convergent for this smooth
# Gaussian integrand; checked against step 0.02).  We require, as s halves
# 2 -> 1 -> 0.5 -> 0.25 mV:
#   the error of r divided by s^4 stays within a factor 1.3 (O(s^4));
#   the error of r0 divided by s^2 stays within a factor 1.3 (O(s^2));
#   r is at least 8 times closer than r0 at every s (10 at 2 mV, 640 at 0.25 mV);
#   `msnc info` prints the derived correction (a named equation with s^2).
. "$SRCDIR/tests/e2e/lib.sh"

MODEL=$SRCDIR/tests/e2e/models/meanfield.msn
"$MSNC" build "$MODEL" -o "$WORK/mf"
"$MSNC" info "$MODEL" > "$WORK/info.txt"
if grep -q '^  gauss_mean_rate_[0-9]* = .*s^2' "$WORK/info.txt"; then
  pass "msnc info prints the correction 1/2 f''(mu) s^2"
  grep '^  gauss_mean_rate_' "$WORK/info.txt"
else
  fail "msnc info prints the correction 1/2 f''(mu) s^2"
fi

# exact <f(mu + s z)> in Hz (mu, s, k, vh in mV), trapezoid with step h
exact() { # S H
  awk -v s="$1" -v h="$2" 'BEGIN {
    mu = -53; vh = -50; k = 4; rmax = 100; pi = atan2(0, -1); sum = 0
    for (i = -int(12 / h); i <= int(12 / h); i++) {
      z = i * h
      sum += exp(-z * z / 2) * rmax / (1 + exp(-(mu + s * z - vh) / k))
    }
    printf "%.15g\n", sum * h / sqrt(2 * pi) }'
}

rows=""
for s in 2 1 0.5 0.25; do
  "$WORK/mf" --quiet --set s="${s}mV" --out "$WORK/s$s"
  line=$(awk -F, 'NR > 1 && $1 + 0 == 60 { print $2, $3 }' "$WORK/s$s/trace.csv")
  ref=$(exact "$s" 0.01)
  ref2=$(exact "$s" 0.02)
  check "s = $s mV: reference, step 0.01 vs 0.02" "$(awk -v a="$ref" -v b="$ref2" 'BEGIN { d = a - b; print (d < 0 ? -d : d) }')" "<=" 1e-11
  row=$(echo "$line" | awk -v s="$s" -v ref="$ref" '{
    ec = $1 - ref; if (ec < 0) ec = -ec; eu = $2 - ref; if (eu < 0) eu = -eu
    printf "%s %.10g %.10g %.10g %.4g %.4g %.6g %.6g\n", s, ref, $1, $2, ec, eu, ec / s^4, eu / s^2 }')
  rows="$rows$row
"
done
echo "s [mV]  exact [Hz]  corrected  uncorrected  err_corr  err_uncorr  err_corr/s^4  err_uncorr/s^2"
printf "%s" "$rows"
spread() { # COLUMN: max / min of a column of rows
  printf "%s" "$rows" | awk -v c="$1" 'NR == 1 { lo = hi = $c } { if ($c < lo) lo = $c; if ($c > hi) hi = $c }
    END { if (lo <= 0) print "nan"; else printf "%.4g\n", hi / lo }'
}
check "corrected error / s^4: spread (max/min) over s = 2..0.25 mV" "$(spread 7)" "<=" 1.3
check "uncorrected error / s^2: spread (max/min) over s = 2..0.25 mV" "$(spread 8)" "<=" 1.3
check "uncorrected / corrected error, worst s" \
  "$(printf "%s" "$rows" | awk 'NR == 1 { m = $6 / $5 } { if ($6 / $5 < m) m = $6 / $5 } END { printf "%.4g\n", m }')" ">=" 8
finish
