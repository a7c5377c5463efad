#!/usr/bin/env python3
"""examples/kernels/hh_kernel.py — the Hodgkin–Huxley channel kernels of
`msnc kernel stdlib/hh.msn` called from Python with ctypes (standard library
only; no NumPy needed).

    msnc kernel stdlib/hh.msn -o libhh.so
    python3 examples/kernels/hh_kernel.py ./libhh.so

Four independent point neurons, one per compartment of the structure-of-
arrays kernels, get a 10 ms .. 110 ms current step of 0, 5, 10 and 20 uA/cm^2;
the script prints each channel's description (read from NAME_info(), the
self-describing part of the ABI) and then each neuron's spike count and
first spike time.  The time loop is the staggered scheme of `msnc build`
(see hh_neuron.c next to this file), so the 10 uA/cm^2 neuron fires at the
same times as examples/hh.msn.

Everything at the ABI is in SI units: V in volts, dt in seconds, currents in
A/m^2, conductances in S/m^2 (docs/kernel-abi.md).  With NumPy, pass arrays
as `a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))` instead of the ctypes
arrays used here.
"""
import ctypes
import sys

ABI_VERSION = 1


class KernelState(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("unit", ctypes.c_char_p), ("scale", ctypes.c_double),
                ("solver", ctypes.c_char_p), ("why", ctypes.c_char_p)]


class KernelParam(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("unit", ctypes.c_char_p), ("scale", ctypes.c_double),
                ("value", ctypes.c_double), ("per_compartment", ctypes.c_int32), ("reserved", ctypes.c_int32)]


class KernelInfo(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_int32), ("nstates", ctypes.c_int32), ("nparams", ctypes.c_int32),
                ("reserved", ctypes.c_int32), ("name", ctypes.c_char_p), ("msn_version", ctypes.c_char_p),
                ("source", ctypes.c_char_p), ("states", ctypes.POINTER(KernelState)),
                ("params", ctypes.POINTER(KernelParam))]


DOUBLES = ctypes.POINTER(ctypes.c_double)


class Channel:
    """One channel of the library: its descriptor, its three kernels with
    argument types set from the descriptor, and arrays for n compartments."""

    def __init__(self, lib, name, n):
        abi = getattr(lib, name + "_abi_version")
        abi.restype = ctypes.c_int32
        if abi() != ABI_VERSION:
            sys.exit("%s: kernel ABI %d, this script knows %d" % (name, abi(), ABI_VERSION))
        info_fn = getattr(lib, name + "_info")
        info_fn.restype = ctypes.POINTER(KernelInfo)
        self.info = info_fn().contents
        self.name, self.n = name, n
        self.states = [self.info.states[i] for i in range(self.info.nstates)]
        self.params = [self.info.params[i] for i in range(self.info.nparams)]
        # states: one array each; parameters: their defaults (SI)
        self.x = [(ctypes.c_double * n)() for _ in self.states]
        self.p = []
        for q in self.params:
            if q.per_compartment:
                self.p.append((ctypes.c_double * n)(*([q.value] * n)))
            else:
                self.p.append(ctypes.c_double(q.value))
        ptypes = [DOUBLES if q.per_compartment else ctypes.c_double for q in self.params]
        xtypes = [DOUBLES] * len(self.states)
        self.init = getattr(lib, name + "_init")
        self.init.argtypes = [ctypes.c_int64, DOUBLES] + xtypes + ptypes
        self.update = getattr(lib, name + "_state_update")
        self.update.argtypes = [ctypes.c_int64, ctypes.c_double, DOUBLES] + xtypes + ptypes
        self.current = getattr(lib, name + "_current")
        self.current.argtypes = [ctypes.c_int64, DOUBLES] + xtypes + ptypes + [DOUBLES, DOUBLES]
        for f in (self.init, self.update, self.current):
            f.restype = None
        self.I = (ctypes.c_double * n)()
        self.g = (ctypes.c_double * n)()

    def describe(self):
        print("channel %s (msnc %s, %s)" % (self.name, self.info.msn_version.decode(), self.info.source.decode()))
        for s in self.states:
            print("  state %-8s [%s] %s" % (s.name.decode(), s.unit.decode(), s.solver.decode()))
        for q in self.params:
            unit = q.unit.decode()
            shown = "%g" % q.value if unit == "1" else "%g %s (%g SI)" % (q.value / q.scale, unit, q.value)
            print("  param %-8s = %s%s" % (q.name.decode(), shown, ", per compartment" if q.per_compartment else ""))

    def do_init(self, V):
        self.init(self.n, V, *self.x, *self.p)

    def do_update(self, dt, V):
        self.update(self.n, dt, V, *self.x, *self.p)

    def do_current(self, V):
        self.current(self.n, V, *self.x, *self.p, self.I, self.g)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "./libhh.so"
    lib = ctypes.CDLL(path)
    amps = [0.0, 5.0, 10.0, 20.0]             # uA/cm^2, one neuron each
    n = len(amps)
    chans = [Channel(lib, name, n) for name in ("Na", "K", "Leak")]
    for c in chans:
        c.describe()

    uA_cm2 = 1e-6 / 1e-4                      # SI, folded as msnc folds units
    ms = 1e-3
    dt, duration = 0.025 * ms, 150 * ms
    t_on, t_off = 10 * ms, 110 * ms
    Cm = 1 * (1e-6 / 1e-4)                     # 1 uF/cm^2 in F/m^2
    inv_cm = 1.0 / Cm
    V = (ctypes.c_double * n)(*([-65 * 1e-3] * n))
    for c in chans:
        c.do_init(V)
    for c in chans:                            # the gates live half a step ahead
        c.do_update(0.5 * dt, V)
    spikes = [[] for _ in range(n)]
    nsteps = int(round(duration / dt))
    for k in range(nsteps):
        t = k * dt
        for c in chans:
            c.do_current(V)
        lo, hi = max(t, t_on), min(t + dt, t_off)
        frac = max(hi - lo, 0.0) / dt          # stimulus averaged over the step
        for i in range(n):
            stim = amps[i] * uA_cm2 * frac
            I = chans[0].I[i] + chans[1].I[i] + chans[2].I[i]
            g = chans[0].g[i] + chans[1].g[i] + chans[2].g[i]
            f, jac = (stim - I) * inv_cm, -g * inv_cm
            v0 = V[i]
            V[i] = v0 + dt * f / (1.0 - 0.5 * dt * jac)   # Crank-Nicolson in V
            if v0 < 0.0 <= V[i]:
                s = min(max((0.0 - v0) / (V[i] - v0), 0.0), 1.0)
                spikes[i].append((t + s * dt) / ms)
        for c in chans:
            c.do_update(dt, V)
    for i in range(n):
        first = ", first at %.6f ms" % spikes[i][0] if spikes[i] else ""
        print("I_ext = %g uA/cm^2: %d spikes%s" % (amps[i], len(spikes[i]), first))


if __name__ == "__main__":
    main()
