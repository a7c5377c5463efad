#!/usr/bin/env python3
"""tests/e2e/population_check.py — measurements for tests/e2e/population.sh
(pure Python: no NumPy needed).

  turing FIELD.csv LENGTH_MM PREDICTED_MM   dominant wavelength of the last row
  bump FIELD.csv H AMARI_WIDTH_MM           width of {u > h} at the last row
  rate RATES.csv T0_MS SIEGERT_HZ           mean rate after T0 vs Siegert
Prints the numbers; exits 1 when outside the tolerance."""
import cmath, math, sys

def last_row(path):
    with open(path) as f:
        head = f.readline().split(',')
        rows = [l for l in f if l.strip()]
    return head, [float(v) for v in rows[-1].split(',')]

kind = sys.argv[1]
if kind == 'turing':
    _, row = last_row(sys.argv[2])
    u = row[1:]; n = len(u); L = float(sys.argv[3]); pred = float(sys.argv[4])
    mean = sum(u) / n
    amp = [abs(sum((u[j] - mean) * cmath.exp(-2j * math.pi * m * j / n) for j in range(n))) for m in range(1, 40)]
    m = 1 + max(range(len(amp)), key=lambda i: amp[i])
    lam = L / m; dx = L / n
    print(f"dominant mode {m}: wavelength {lam:.6g} mm, predicted {pred:.6g} mm, |diff| {abs(lam - pred):.3g} mm "
          f"(tolerance one grid step {dx:.6g} mm); pattern amplitude {max(u) - min(u):.4g}")
    sys.exit(0 if abs(lam - pred) <= dx and max(u) - min(u) > 0.1 else 1)
if kind == 'bump':
    _, row = last_row(sys.argv[2])
    u = row[1:]; n = len(u); h = float(sys.argv[3]); want = float(sys.argv[4]); L = 10.0; dx = L / n
    width = sum(1 for v in u if v > h) * dx
    print(f"bump width {width:.6g} mm at the end, Amari W(a) = h gives a = {want:.6g} mm "
          f"(tolerance 3 grid steps {3 * dx:.4g} mm); max u {max(u):.4g}")
    sys.exit(0 if abs(width - want) <= 3 * dx else 1)
if kind == 'rate':
    t0 = float(sys.argv[3]); want = float(sys.argv[4])
    with open(sys.argv[2]) as f:
        f.readline()
        rows = [[float(v) for v in l.split(',')] for l in f if l.strip()]
    sel = [r[1] for r in rows if r[0] > t0]
    nu = sum(sel) / len(sel)
    err = abs(nu - want) / want
    print(f"stationary rate {nu:.6g} Hz, Siegert {want:.6g} Hz, relative error {100 * err:.3g} % (tolerance 1 %)")
    sys.exit(0 if err <= 0.01 else 1)
sys.exit(2)
