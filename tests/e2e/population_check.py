#!/usr/bin/env python3
"""tests/e2e/population_check.py — measurements for tests/e2e/population.sh
(pure Python: no NumPy needed).

  turing FIELD.csv LENGTH_MM PREDICTED_MM   dominant wavelength of the last row
  bump FIELD.csv H AMARI_WIDTH_MM           width of {u > h} at the last row
  rate RATES.csv T0_MS SIEGERT_HZ           mean rate after T0 vs Siegert
  decay FIELD.csv NX NY MX MY T1_MS T2_MS LAMBDA REL_TOL
                                            decay rate of cos(kx x) cos(ky y) on a torus
                                            between T1 and T2 vs LAMBDA (1/s)
  pattern2d FIELD.csv NX NY L_MM KMAX_RAD_PER_MM
                                            dominant |k| of the last row on a square
                                            torus vs k_max, within 2 pi / L
  transient SPIKES.csv RATES.csv N DT_MS BIN_MS MAX_FRAC MAX_MEAN_Z2
                                            a network's spike counts per bin vs the
                                            density's rate (see density_network.sh)
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
if kind == 'transient':
    # Bin b covers the steps k*dt with k in (b*per, (b+1)*per]: a spike found
    # in the step (t, t + dt] is stamped t + dt, and the density's rates.csv
    # row at time T is its mean flux over the recording interval ending at T.
    spikes, rates = sys.argv[2], sys.argv[3]
    N, dt, width = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    max_frac, max_z2 = float(sys.argv[7]), float(sys.argv[8])
    with open(rates) as f:
        f.readline()
        rt = [[float(v) for v in l.split(',')] for l in f if l.strip()]
    rec = rt[1][0] - rt[0][0]
    per, m = int(round(width / dt)), int(round(width / rec))
    nb = int(round(rt[-1][0] / width))
    if abs(per * dt - width) > 1e-9 or abs(m * rec - width) > 1e-9 or abs(rt[0][0] - rec) > 1e-9:
        print(f"bin {width} ms is not a whole number of steps ({dt} ms) and recordings ({rec} ms)")
        sys.exit(1)
    count = [0] * nb
    with open(spikes) as f:
        f.readline()
        for l in f:
            if l.strip():
                b = (int(round(float(l.split(',')[0]) / dt)) - 1) // per
                if 0 <= b < nb: count[b] += 1
    expect = [N * width * 1e-3 * sum(r[1] for r in rt[b * m:(b + 1) * m]) / m for b in range(nb)]
    # z = (observed - expected) / sqrt(expected): the Poisson standard error
    # of a count (floored at one spike for the empty bins before the first volley)
    z = [(c - e) / math.sqrt(max(e, 1.0)) for c, e in zip(count, expect)]
    out = sum(1 for v in z if abs(v) > 3)
    z2 = sum(v * v for v in z) / nb
    worst = max(range(nb), key=lambda b: abs(z[b]))
    peak = max(range(nb), key=lambda b: expect[b])
    late = nb // 3
    rn = sum(count[late:]) / (N * (nb - late) * width * 1e-3)
    rd = sum(expect[late:]) / (N * (nb - late) * width * 1e-3)
    print(f"{nb} bins of {width:g} ms: {out} with |z| > 3 (allowed {max_frac:.0%} = {int(max_frac * nb)}), "
          f"mean z^2 {z2:.3f} (allowed {max_z2:g}; 1 for sampling error alone); largest |z| {abs(z[worst]):.2f} "
          f"at {worst * width:g}-{(worst + 1) * width:g} ms ({count[worst]} spikes, expected {expect[worst]:.1f}); "
          f"first volley peak {peak * width:g}-{(peak + 1) * width:g} ms: {count[peak]} vs {expect[peak]:.1f}; "
          f"mean rate after {late * width:g} ms: network {rn:.4g} Hz, density {rd:.4g} Hz")
    sys.exit(0 if out <= max_frac * nb and z2 <= max_z2 and sum(count) > 0 else 1)
if kind == 'decay':
    nx, ny, mx, my = (int(v) for v in sys.argv[3:7])
    t1, t2, want, tol = (float(v) for v in sys.argv[7:11])
    cx = [math.cos(2 * math.pi * mx * i / nx) for i in range(nx)]
    cy = [math.cos(2 * math.pi * my * i / ny) for i in range(ny)]
    amp = {}
    with open(sys.argv[2]) as f:
        f.readline()
        for l in f:
            if not l.strip(): continue
            row = [float(v) for v in l.split(',')]
            if min(abs(row[0] - t1), abs(row[0] - t2)) < 1e-6:
                u = row[1:]
                amp[round(row[0], 6)] = 4.0 / (nx * ny) * sum(u[iy * nx + ix] * cx[ix] * cy[iy]
                                                              for iy in range(ny) for ix in range(nx))
    a1, a2 = amp.get(round(t1, 6)), amp.get(round(t2, 6))
    if not a1 or not a2 or a1 * a2 <= 0:
        print(f"no amplitudes at {t1} and {t2} ms: {amp}")
        sys.exit(1)
    lam = math.log(a2 / a1) / ((t2 - t1) * 1e-3)
    err = abs(lam - want) / abs(want)
    print(f"mode ({mx}, {my}): amplitude {a1:.6g} at {t1:g} ms, {a2:.6g} at {t2:g} ms; decay rate "
          f"{lam:.8g} 1/s vs {want:.8g} 1/s, relative difference {err:.3g} (tolerance {tol:g})")
    sys.exit(0 if err <= tol else 1)
if kind == 'pattern2d':
    _, row = last_row(sys.argv[2])
    nx, ny = int(sys.argv[3]), int(sys.argv[4]); L, kmax = float(sys.argv[5]), float(sys.argv[6])
    u = row[1:]; mean = sum(u) / len(u)
    M = 16                                   # modes |m| <= 16: k up to 4 rad/mm here
    # separable DFT: along x for each row, then along y
    ex = [[cmath.exp(-2j * math.pi * m * i / nx) for i in range(nx)] for m in range(M + 1)]
    ey = [[cmath.exp(-2j * math.pi * m * i / ny) for i in range(ny)] for m in range(-M, M + 1)]
    rows = [[sum((u[iy * nx + ix] - mean) * ex[m][ix] for ix in range(nx)) for m in range(M + 1)] for iy in range(ny)]
    best, bm = -1.0, (0, 0)
    for j, my in enumerate(range(-M, M + 1)):
        for mx in range(M + 1):
            if mx == 0 and my <= 0: continue
            p = abs(sum(rows[iy][mx] * ey[j][iy] for iy in range(ny)))
            if p > best: best, bm = p, (mx, my)
    k = 2 * math.pi * math.hypot(*bm) / L; dk = 2 * math.pi / L
    print(f"dominant mode {bm}: |k| = {k:.6g} rad/mm, predicted k_max {kmax:.6g} rad/mm, |diff| {abs(k - kmax):.3g} "
          f"(tolerance one mode spacing 2 pi/L = {dk:.4g} rad/mm); pattern amplitude {max(u) - min(u):.4g}")
    sys.exit(0 if abs(k - kmax) <= dk and max(u) - min(u) > 0.1 else 1)
sys.exit(2)
