#!/usr/bin/python3
"""Brunel (2000), model A, asynchronous irregular state (g = 5,
nu_ext/nu_thr = 2) in Brian2 C++ standalone: the peer of examples/brunel.msn
in bench/networks/run.sh.

NE excitatory and NI inhibitory leaky integrate-and-fire neurons (default
10,000 and 2,500) with delta synapses, fixed in-degrees CE = NE / 10 and
CI = NI / 10 (1000, 250; every target draws its sources without
repetition), J 0.1 mV, inhibitory -g J, delay D 1.5 ms, exact integration:

  tau dv/dt = -v   tau 20 ms, threshold v > 20 mV, reset 10 mV, refractory 2 ms
  external input: 1000 independent Poisson trains per neuron at
  nu_ext = 2 theta / (J CE tau) = 20 Hz, weight J (Brian2's PoissonInput)
  v(0) = rand theta

As in examples/brunel.msn, input arriving during the refractory period is
lost (v is held at the reset value).

  /usr/bin/python3 bench/networks/brunel_brian2.py --dir DIR --spikes FILE
See brian2_peer.py for the modes and the JSON printed.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_peer  # noqa: E402


def extra(ap):
    ap.add_argument("--ne", type=int, default=10000, help="excitatory neurons (default 10000)")


def net(b2, args):
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    ne = args.ne
    ni = ne // 4
    n = ne + ni
    ce, ci = ne // 10, ni // 10
    ns = {"tau": 20 * ms, "theta": 20 * mV, "Vr": 10 * mV, "J": 0.1 * mV, "g": 5.0,
          "CE": ce, "CI": ci, "NE": ne, "NI": ni}
    nu_ext = 2 * 20.0 / (0.1 * ce * 20e-3) * Hz   # 2 theta / (J CE tau), 20 Hz at CE 1000
    P = b2.NeuronGroup(n, "dv/dt = -v / tau : volt (unless refractory)",
                       threshold="v > theta", reset="v = Vr", refractory=2 * ms,
                       method="exact", namespace=ns, name="brunel")
    P.v = "rand() * theta"
    Pe, Pi = P[:ne], P[ne:]
    Ce = b2.Synapses(Pe, P, on_pre="v += J * int(not_refractory_post)",
                     delay=1.5 * ms, namespace=ns, name="brunel_e")
    Ce.connect(i="k for k in sample(NE, size=CE)")
    Ci = b2.Synapses(Pi, P, on_pre="v += -g * J * int(not_refractory_post)",
                     delay=1.5 * ms, namespace=ns, name="brunel_i")
    Ci.connect(i="k for k in sample(NI, size=CI)")
    ext = b2.PoissonInput(P, "v", N=1000, rate=nu_ext, weight="J * int(not_refractory)")
    mon = b2.SpikeMonitor(P, name="brunel_spikes")
    return {"name": "Brunel", "objects": [P, Ce, Ci, ext, mon], "monitor": mon,
            "synapses": [Ce, Ci], "populations": [["exc", 0, ne], ["inh", ne, ni]]}


if __name__ == "__main__":
    brian2_peer.main("Brunel (2000) model A in Brian2 C++ standalone (bench/networks)",
                     net, extra)
