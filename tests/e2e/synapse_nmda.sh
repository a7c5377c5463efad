#!/bin/sh
# tests/e2e/synapse_nmda.sh — the NMDA synapse of stdlib/synapses.msn: its
# steady-state current-voltage relation with the Jahr–Stevens magnesium
# block, through the compiled code.
#
# `msnc kernel stdlib/synapses.msn --channel NMDA` compiles the synapse
# (docs/kernel-abi.md; a point synapse: I_out in A, g_out in S).  A C driver
# holds the conductance g = b - a fixed (a = 0, b = g: the open state a
# clamped synapse settles to under a constant conductance) and the voltage
# clamped at 10 values from -97 mV to +38 mV, and compares NMDA_current with
#   I = g (V - E) / (1 + [Mg] / 3.57 mM * exp(-0.062 V / mV))
# and its derivative g_out = dI/dV = g B + g (V - E) B^2 [Mg]/3.57 mM
# 0.062/mV e^(-0.062 V/mV): both to 1e-9 relative, for [Mg] = 1 mM (the
# default) and 2 mM (a parameter of the kernel), at 1 nS and 5 nS.  The
# header says that the current is a current, not a density.
. "$SRCDIR/tests/e2e/lib.sh"
export MSN_STDLIB="$SRCDIR/stdlib"
CC=${CC:-cc}

"$MSNC" kernel "$SRCDIR/stdlib/synapses.msn" --channel NMDA -o "$WORK/libnmda.so" 2> "$WORK/err" &&
  pass "msnc kernel stdlib/synapses.msn --channel NMDA" || fail "msnc kernel --channel NMDA: $(cat "$WORK/err")"
if grep -q "current I_out \[A\] (a point synapse" "$WORK/nmda.h"; then pass "nmda.h: I_out is a current in A"
else fail "nmda.h does not say that I_out is a current"; fi

cat > "$WORK/iv.c" <<'CEOF'
#include <math.h>
#include <stdio.h>
#include "nmda.h"
/* prints the largest relative errors of I and dI/dV over the I-V curve */
int main(void) {
  enum { N = 10 };
  double V[N], a[N], b[N], I[N], G[N], ei = 0, eg = 0;
  const double mM = 1.0, E = 0.0; /* SI: 1 mM = 1 mol/m^3 */
  const double Mgs[2] = {1 * mM, 2 * mM}, gs[2] = {1e-9, 5e-9};
  for (int m = 0; m < 2; m++)
    for (int q = 0; q < 2; q++) {
      for (int i = 0; i < N; i++) {
        V[i] = (-97.0 + 15.0 * i) * 1e-3;
        a[i] = 0;
        b[i] = gs[q];
      }
      NMDA_current(N, V, a, b, NMDA_tau_rise_DEFAULT, NMDA_tau_decay_DEFAULT, E, Mgs[m], I, G);
      for (int i = 0; i < N; i++) {
        double x = Mgs[m] / (3.57 * mM) * exp(-0.062 * V[i] / 1e-3), B = 1 / (1 + x);
        double want = gs[q] * (V[i] - E) * B;
        double dwant = gs[q] * B + gs[q] * (V[i] - E) * B * B * x * 0.062 / 1e-3;
        double ri = fabs(I[i] - want) / fabs(want), rg = fabs(G[i] - dwant) / fabs(dwant);
        if (!(ri <= ei)) ei = isnan(ri) ? INFINITY : ri; /* NaN: a failure */
        if (!(rg <= eg)) eg = isnan(rg) ? INFINITY : rg;
        if (m == 0 && q == 0) printf("# V %+7.2f mV  I %+.12e A  formula %+.12e A\n", V[i] * 1e3, I[i], want);
      }
    }
  printf("%.3g %.3g\n", ei, eg);
  return 0;
}
CEOF
# 10 voltages, -97 mV to 38 mV in steps of 15 mV, avoid V = E = 0 (no relative error there)
$CC -std=c99 -O2 -Wall -Wextra -Werror -I"$WORK" "$WORK/iv.c" "$WORK/libnmda.so" -Wl,-rpath,"$WORK" -lm -o "$WORK/iv" &&
  pass "the I-V driver compiles against nmda.h" || fail "the I-V driver compiles against nmda.h"
"$WORK/iv" > "$WORK/iv.out"
grep '^#' "$WORK/iv.out"
set -- $(grep -v '^#' "$WORK/iv.out")
echo "NMDA I-V at 10 voltages, [Mg] 1 and 2 mM, g 1 and 5 nS: max relative error of I $1, of dI/dV $2"
check "NMDA current against g (V - E) / (1 + [Mg]/3.57 mM e^(-0.062 V/mV)), relative" "$1" "<=" 1e-9
check "NMDA dI/dV against the derivative of the formula, relative" "$2" "<=" 1e-9
n=$(grep -c '^#' "$WORK/iv.out")
check "voltages compared" "$n" ">=" 10
finish
