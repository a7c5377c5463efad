#!/usr/bin/python3
"""COBAHH (Brette et al. 2007, benchmark 3) in Brian2 C++ standalone: the
peer of examples/cobahh.msn in bench/networks/run.sh.

4000 Hodgkin-Huxley neurons with Traub-Miles kinetics (3200 excitatory, 800
inhibitory), conductance-based exponential synapses, each pair connected
with probability 0.02, no autapses, no delay, exponential Euler:

  Cm dv/dt = gl (El - v) + ge (Ee - v) + gi (Ei - v)
             - g_na m^3 h (v - ENa) - g_kd n^4 (v - EK)
  dx/dt = alpha_x (1 - x) - beta_x x  (x = m, h, n; rates with u = v - VT in mV)
  dge/dt = -ge / tau_e,  dgi/dt = -gi / tau_i
  threshold v > -20 mV, refractory 3 ms (no reset)
  area 20,000 um^2; conductances are densities times the area
  v(0) = El + (5 randn - 5) mV, ge(0) = (1.5 randn + 4) 10 nS,
  gi(0) = (12 randn + 20) 10 nS, m = h = n = 0

  /usr/bin/python3 bench/networks/cobahh_brian2.py --dir DIR --spikes FILE
See brian2_peer.py for the modes and the JSON printed.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_peer  # noqa: E402


def net(b2, args):
    ms, mV, nS, cm, um = b2.ms, b2.mV, b2.nS, b2.cm, b2.um
    n, ne = 4000, 3200
    area = 20000 * um ** 2
    ns = {"Cm": 1 * b2.ufarad / cm ** 2 * area, "gl": 5e-5 * b2.siemens / cm ** 2 * area,
          "El": -60 * mV, "EK": -90 * mV, "ENa": 50 * mV,
          "g_na": 100 * b2.msiemens / cm ** 2 * area,
          "g_kd": 30 * b2.msiemens / cm ** 2 * area, "VT": -63 * mV,
          "taue": 5 * ms, "taui": 10 * ms, "Ee": 0 * mV, "Ei": -80 * mV,
          "we": 6 * nS, "wi": 67 * nS, "NE": ne}
    eqs = """
    dv/dt = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v)
             - g_na * m * m * m * h * (v - ENa) - g_kd * n * n * n * n * (v - EK)) / Cm : volt
    dm/dt = alpha_m * (1 - m) - beta_m * m : 1
    dh/dt = alpha_h * (1 - h) - beta_h * h : 1
    dn/dt = alpha_n * (1 - n) - beta_n * n : 1
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    u = (v - VT) / mV : 1
    alpha_m = 0.32 * (13 - u) / (exp((13 - u) / 4) - 1) / ms : Hz
    beta_m = 0.28 * (u - 40) / (exp((u - 40) / 5) - 1) / ms : Hz
    alpha_h = 0.128 * exp((17 - u) / 18) / ms : Hz
    beta_h = 4 / (1 + exp((40 - u) / 5)) / ms : Hz
    alpha_n = 0.032 * (15 - u) / (exp((15 - u) / 5) - 1) / ms : Hz
    beta_n = 0.5 * exp((10 - u) / 40) / ms : Hz
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > -20 * mV", refractory=3 * ms,
                       method="exponential_euler", namespace=ns, name="cobahh")
    P.v = "El + (randn() * 5 - 5) * mV"
    P.ge = "(randn() * 1.5 + 4) * 10 * nS"
    P.gi = "(randn() * 12 + 20) * 10 * nS"
    Pe, Pi = P[:ne], P[ne:]
    # source indices are those of the subgroup: neuron i of Pi is P's NE + i
    Ce = b2.Synapses(Pe, P, on_pre="ge += we", namespace=ns, name="cobahh_e")
    Ce.connect("i != j", p=0.02)
    Ci = b2.Synapses(Pi, P, on_pre="gi += wi", namespace=ns, name="cobahh_i")
    Ci.connect("i + NE != j", p=0.02)
    mon = b2.SpikeMonitor(P, name="cobahh_spikes")
    return {"name": "COBAHH", "objects": [P, Ce, Ci, mon], "monitor": mon,
            "synapses": [Ce, Ci], "populations": [["exc", 0, ne], ["inh", ne, n - ne]]}


if __name__ == "__main__":
    brian2_peer.main("COBAHH in Brian2 C++ standalone (bench/networks)", net)
