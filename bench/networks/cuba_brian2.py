#!/usr/bin/python3
"""CUBA (Brette et al. 2007, benchmark 2) in Brian2 C++ standalone: the peer
of examples/cuba.msn in bench/networks/run.sh.

N leaky integrate-and-fire neurons, 80 % excitatory, current-based
exponential synapses, each pair connected with probability p (default 0.02,
i.e. 80 connections per neuron at N = 4000; --connections K gives
p = K / N), no autapses, no delay, exact (linear) integration:

  tau_m dv/dt = (ge + gi) - (v - El)          tau_m 20 ms, El -49 mV
  dge/dt = -ge / tau_e,  dgi/dt = -gi / tau_i  tau_e 5 ms, tau_i 10 ms
  threshold v > -50 mV, reset v = -60 mV, refractory 5 ms
  we = 1.62 mV, wi = -9 mV;  v(0) = Vr + rand (Vt - Vr), ge = gi = 0

  /usr/bin/python3 bench/networks/cuba_brian2.py --dir DIR --spikes FILE
See brian2_peer.py for the modes and the JSON printed.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_peer  # noqa: E402


def extra(ap):
    ap.add_argument("--neurons", type=int, default=4000, help="N (default 4000)")
    ap.add_argument("--connections", type=float, default=None,
                    help="mean connections per neuron K: p = K / N (default p = 0.02)")


def net(b2, args):
    ms, mV = b2.ms, b2.mV
    n = args.neurons
    ne = n * 4 // 5
    p = 0.02 if args.connections is None else args.connections / n
    if not 0 < p <= 1:
        brian2_peer._fail("connection probability %g out of (0, 1]" % p)
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "El": -49 * mV,
          "Vt": -50 * mV, "Vr": -60 * mV, "we": 1.62 * mV, "wi": -9 * mV, "NE": ne}
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", namespace=ns, name="cuba")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Pe, Pi = P[:ne], P[ne:]
    # source indices are those of the subgroup: neuron i of Pi is P's NE + i
    Ce = b2.Synapses(Pe, P, on_pre="ge += we", namespace=ns, name="cuba_e")
    Ce.connect("i != j", p=p)
    Ci = b2.Synapses(Pi, P, on_pre="gi += wi", namespace=ns, name="cuba_i")
    Ci.connect("i + NE != j", p=p)
    mon = b2.SpikeMonitor(P, name="cuba_spikes")
    return {"name": "CUBA", "objects": [P, Ce, Ci, mon], "monitor": mon, "synapses": [Ce, Ci],
            "populations": [["exc", 0, ne], ["inh", ne, n - ne]]}


if __name__ == "__main__":
    brian2_peer.main("CUBA in Brian2 C++ standalone (bench/networks)", net, extra)
