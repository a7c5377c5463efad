#!/usr/bin/python3
"""Statistics of a network's spikes, the same for msn and Brian2.

  stats.py --spikes FILE --pop exc=3200 --pop inh=800 [--t0 MS] [--t1 MS]
           [--accept rate=33:42 --accept cv=1.6:2.3 --accept active=1:1]

FILE is CSV with the columns of msn's spikes.csv (t [ms],population,id; the
Brian2 peers write the same) or msn's spikes.npy (t, population index, id;
populations in the order of --pop).  Only spikes with t0 <= t <= t1 count.
Prints one line of JSON:

  spikes    number of spikes in the window
  rate      mean rate over all neurons [Hz] (and rate_POP per population)
  cv        mean coefficient of variation of the inter-spike intervals over
            the neurons with at least 3 spikes (the ISIs' standard deviation
            with denominator n, over their mean)
  fano      Fano factor of single neurons: variance over mean of a neuron's
            spike counts in consecutive 100 ms windows, averaged over the
            neurons that fire
  active    fraction of the neurons with at least one spike
  pop_cv    CV of the population spike count in 1 ms bins (synchrony)
  ok        whether every --accept range holds; "failed" lists the others

The exit status is 0 even when a range fails (the caller decides), 1 on
bad input.
"""
import argparse
import json
import math
import sys

import numpy as np


def fail(msg):
    sys.stderr.write("stats.py: %s\n" % msg)
    sys.exit(1)


def read_spikes(path, pops):
    names = [p[0] for p in pops]
    if path.endswith(".npy"):
        a = np.load(path)
        if a.ndim != 2 or a.shape[1] != 3:
            fail("%s: expected an n x 3 array (t, population, id)" % path)
        return a[:, 0].astype(float), a[:, 1].astype(int), a[:, 2].astype(int)
    index = {n: k for k, n in enumerate(names)}
    t, p, i = [], [], []
    with open(path) as f:
        head = f.readline()
        if not head.startswith("t [ms],population,id"):
            fail("%s: expected the header 't [ms],population,id'" % path)
        for line_no, line in enumerate(f, 2):
            parts = line.split(",")
            if len(parts) != 3:
                fail("%s:%d: expected 3 columns" % (path, line_no))
            k = index.get(parts[1])
            if k is None:
                fail("%s:%d: unknown population '%s' (give it with --pop)"
                     % (path, line_no, parts[1]))
            t.append(float(parts[0]))
            p.append(k)
            i.append(int(parts[2]))
    return np.array(t), np.array(p, dtype=int), np.array(i, dtype=int)


def statistics(t, pop, idx, pops, t0, t1):
    sizes = np.array([p[1] for p in pops], dtype=np.int64)
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    n = int(sizes.sum())
    if np.any(idx < 0) or np.any(idx >= sizes[pop]):
        fail("a neuron index out of its population's range")
    keep = (t >= t0) & (t <= t1)
    t, pop, idx = t[keep], pop[keep], idx[keep]
    g = first[pop] + idx                     # global neuron index
    T = (t1 - t0) / 1000.0
    out = {"spikes": int(len(t)), "neurons": n, "window_ms": [t0, t1],
           "rate": len(t) / (n * T)}
    for k, (name, size) in enumerate(pops):
        out["rate_" + name] = int(np.sum(pop == k)) / (size * T)
    counts = np.bincount(g, minlength=n)
    out["active"] = float(np.mean(counts > 0))
    # ISIs: sort by (neuron, time)
    order = np.lexsort((t, g))
    gs, ts = g[order], t[order]
    cvs = []
    starts = np.searchsorted(gs, np.arange(n))
    ends = np.searchsorted(gs, np.arange(n), side="right")
    for a, b in zip(starts, ends):
        if b - a >= 3:
            isi = np.diff(ts[a:b])
            m = isi.mean()
            if m > 0:
                cvs.append(isi.std() / m)
    out["cv"] = float(np.mean(cvs)) if cvs else 0.0
    out["cv_neurons"] = len(cvs)
    # Fano factor of single neurons in 100 ms windows
    nwin = int(math.floor((t1 - t0) / 100.0 + 1e-9))
    if nwin >= 2:
        w = np.minimum(((t - t0) / 100.0).astype(int), nwin - 1)
        c = np.zeros((n, nwin))
        np.add.at(c, (g, w), 1)
        mean = c.mean(axis=1)
        firing = mean > 0
        out["fano"] = float(np.mean(c[firing].var(axis=1) / mean[firing])) if firing.any() else 0.0
    else:
        out["fano"] = None
    # population spike count in 1 ms bins
    nb = max(1, int(round(t1 - t0)))
    h = np.bincount(np.minimum(((t - t0)).astype(int), nb - 1), minlength=nb)
    out["pop_cv"] = float(h.std() / h.mean()) if h.mean() > 0 else 0.0
    return out


def main():
    ap = argparse.ArgumentParser(description="statistics of a network's spikes")
    ap.add_argument("--spikes", required=True)
    ap.add_argument("--pop", action="append", required=True, metavar="NAME=N",
                    help="a population and its size, in order")
    ap.add_argument("--t0", type=float, default=0.0, help="window start, ms")
    ap.add_argument("--t1", type=float, default=1000.0, help="window end, ms")
    ap.add_argument("--accept", action="append", default=[], metavar="STAT=LO:HI",
                    help="an acceptance range, e.g. rate=33:42")
    a = ap.parse_args()
    pops = []
    for p in a.pop:
        name, _, size = p.partition("=")
        if not name or not size.isdigit():
            fail("--pop %s: expected NAME=N" % p)
        pops.append((name, int(size)))
    try:
        t, pop, idx = read_spikes(a.spikes, pops)
    except OSError as e:
        fail(str(e))
    out = statistics(t, pop, idx, pops, a.t0, a.t1)
    failed = []
    for acc in a.accept:
        key, _, rng = acc.partition("=")
        lo, _, hi = rng.partition(":")
        if key not in out or out[key] is None:
            fail("--accept %s: no statistic '%s'" % (acc, key))
        if not float(lo) <= out[key] <= float(hi):
            failed.append("%s %.4g not in [%s, %s]" % (key, out[key], lo, hi))
    out["ok"] = not failed
    out["failed"] = failed
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
