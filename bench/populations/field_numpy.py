#!/usr/bin/python3
"""bench/populations/field_numpy.py — the NumPy peer of bench/populations/field_torus.msn.

The same neural field as the msn model, written as a NumPy user would:

    tau du/dt = -u + (w * f(u)) + I,   f(u) = 1 / (1 + exp(-beta u)),

on a torus Lx x Ly with nx x ny points, w a difference of normalised 2-D
Gaussians (a_e 1, s_e 0.5 mm, a_i 0.5, s_i 1 mm) sampled at the periodic
minimum-image distance and multiplied by the cell area dx dy (as
runtime/rt_field.c does), its spectrum rfft2 computed once, and the
convolution rfft2 -> multiply -> irfft2 each evaluation.  Time stepping:
classical RK4 (4 convolutions a step, msn's default for fields) or
exponential Euler u <- E u + (1 - E)(w * f(u) + I), E = exp(-dt/tau).

    field_numpy.py time  N STEPS METHOD           steps per second (one line)
    field_numpy.py check N STEPS METHOD IN.npy    compare with msn's field.npy

`time` starts from a reproducible random field and prints
"steps_per_s S wall_s W" where W covers the kernel set-up and the loop
(not the Python start-up or the import of NumPy).  `check` takes row 0 of
msn's field.npy (t, then the n values of u) as the initial field, takes
STEPS steps of dt and prints the largest absolute difference to the last
row, and the largest |u| for scale.
"""
import sys
import time

import numpy as np

L = 40e-3          # m, both sides
TAU = 10e-3        # s
I_EXT = -0.25
BETA = 7.6
A_E, S_E, A_I, S_I = 1.0, 0.5e-3, 0.5, 1.0e-3
DT = 0.5e-3        # s


def kernel_spectrum(n):
    """rfft2 of the sampled kernel (real: the kernel is even)."""
    d = L / n
    m = np.arange(n)
    m = np.minimum(m, n - m) * d
    r2 = m[:, None] ** 2 + m[None, :] ** 2
    g = lambda a, s: a * np.exp(-0.5 * r2 / (s * s)) / (2 * np.pi * s * s)
    w = (g(A_E, S_E) - g(A_I, S_I)) * d * d
    return np.fft.rfft2(w).real.copy()


def make_stepper(n, method):
    what = kernel_spectrum(n)
    shape = (n, n)

    def conv_gain(u):
        fu = 1.0 / (1.0 + np.exp(-BETA * u))
        return np.fft.irfft2(what * np.fft.rfft2(fu), s=shape)

    if method == "exp_euler":
        E = np.exp(-DT / TAU)
        G = -np.expm1(-DT / TAU)

        def step(u):
            return E * u + G * (conv_gain(u) + I_EXT)
        return step

    def rhs(u):
        return (-u + conv_gain(u) + I_EXT) / TAU

    def step(u):
        k1 = rhs(u)
        k2 = rhs(u + 0.5 * DT * k1)
        k3 = rhs(u + 0.5 * DT * k2)
        k4 = rhs(u + DT * k3)
        return u + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return step


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("time", "check"):
        sys.exit(__doc__)
    n, steps, method = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if method not in ("rk4", "exp_euler"):
        sys.exit("field_numpy.py: method must be rk4 or exp_euler")
    if sys.argv[1] == "time":
        u = 0.01 * (2 * np.random.default_rng(1).random((n, n)) - 1)
        t0 = time.perf_counter()
        step = make_stepper(n, method)
        for _ in range(steps):
            u = step(u)
        wall = time.perf_counter() - t0
        if not np.all(np.isfinite(u)):
            sys.exit("field_numpy.py: the field is not finite")
        print("steps_per_s %.6g wall_s %.6g" % (steps / wall, wall))
        return
    rows = np.load(sys.argv[5])
    if rows.shape[1] != n * n + 1:
        sys.exit("field_numpy.py: %s has %d columns, expected %d" % (sys.argv[5], rows.shape[1], n * n + 1))
    u = rows[0, 1:].reshape(n, n).copy()
    step = make_stepper(n, method)
    for _ in range(steps):
        u = step(u)
    ref = rows[-1, 1:].reshape(n, n)
    print("max_abs_diff %.6g max_abs_u %.6g t_ms %.6g" % (np.max(np.abs(u - ref)), np.max(np.abs(ref)),
                                                          rows[-1, 0]))


if __name__ == "__main__":
    main()
