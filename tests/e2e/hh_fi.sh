#!/bin/sh
# tests/e2e/hh_fi.sh — the f–I curve of examples/fi_curve.msn (21 instances,
# 0..20 uA/cm^2 from 10 ms on) against SciPy's mean-ISI rates of the spikes
# in [100, 150) ms.  Reference: tests/data/hh_single_fI.csv (copied from the
# shared validation set, validation/hh_single_fI.csv).  Tolerance: 1 %.
. "$SRCDIR/tests/e2e/lib.sh"

"$MSNC" build "$SRCDIR/examples/fi_curve.msn" -o "$WORK/fi"
"$WORK/fi" --quiet --out "$WORK/out"
# mean-ISI rate per instance from spikes in [100, 150) ms
awk -F, 'NR > 1 && $1 >= 100 && $1 < 150 { n[$2]++; if (!($2 in first)) first[$2] = $1; last[$2] = $1 }
         END { for (i = 0; i < 21; i++)
                 print i, (n[i] >= 2 ? 1000 * (n[i] - 1) / (last[i] - first[i]) : 0) }' \
  "$WORK/out/spikes.csv" | sort -n > "$WORK/rates"
awk -F, 'NR > 1 { print $1, $4 }' "$SRCDIR/tests/data/hh_single_fI.csv" > "$WORK/ref"
worst=$(awk 'NR == FNR { r[$1] = $2; next }
             { ref = $2; got = r[FNR - 1];
               if (ref == 0) e = (got == 0) ? 0 : 1; else { e = (got - ref) / ref; if (e < 0) e = -e }
               if (e > m) m = e }
             END { printf "%.6f\n", m }' "$WORK/rates" "$WORK/ref")
paste -d' ' "$WORK/rates" "$WORK/ref" | awk '{ printf "  I = %2d uA/cm^2: %8.3f Hz (SciPy %8.3f Hz)\n", $3, $2, $4 }'
check "worst relative error of the mean-ISI rate" "$worst" "<=" 0.01
finish
