"""Shared driver of the Brian2 peer scripts of bench/networks.

A peer script (cuba_brian2.py, cobahh_brian2.py, brunel_brian2.py) defines
its network in a function net(b2, args) and calls main().  Two modes:

  --mode build   generate the Brian2 C++ standalone project in --dir
                 (one thread, dt 0.1 ms), compile it with make and run it
                 once.  Times: import of brian2, code generation (network
                 construction and the writing of the project), make, the
                 binary, and the simulation loop.
  --mode compile the same without running the binary: only the build
                 times are printed (no spikes are written)
  --mode run     run the compiled binary of --dir again, without Python
                 code generation or make, so that the rounds of
                 bench/networks/run.sh are not dominated by g++.  Brian2 is
                 not even imported.

Both modes write the spikes to --spikes as CSV with the columns of msn's
spikes.csv (t [ms],population,id) and print one line of JSON on stdout:

  loop_s         the simulation loop: Brian2's own timing of the run
                 (results/last_run_info.txt, read by Brian2 2.5 as
                 device._last_run_time; std::clock() of the process, i.e.
                 CPU time, when there is no OpenMP)
  binary_s       wall time of the whole binary (allocation, connectivity,
                 the loop, writing results)
  binary_cpu_s   user + system CPU time of the binary (run mode only)
  make_s         wall time of make (build mode only)
  codegen_s      Python: network construction and project generation
                 (build mode only; without import_s, make_s and binary_s)
  import_s       import brian2 (build mode only)
  max_rss_kb     peak RSS of the binary (run mode only)
  spikes, synapses, neurons
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

META = "msn_bench_meta.json"


def parse_args(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--dir", required=True, help="the Brian2 project directory")
    ap.add_argument("--mode", choices=("build", "compile", "run"), default="build",
                    help="build: generate, compile and run; compile: generate and "
                    "compile; run: rerun the compiled binary")
    ap.add_argument("--spikes",
                    help="output file: spikes as CSV (t [ms],population,id)")
    ap.add_argument("--duration", type=float, default=1000.0,
                    help="simulated time in ms (default 1000)")
    ap.add_argument("--seed", type=int, default=12345, help="random seed (default 12345)")
    ap.add_argument("--make-jobs", type=int, default=2,
                    help="parallel jobs of make (default 2)")
    if extra is not None:
        extra(ap)
    return ap.parse_args()


def _fail(msg):
    sys.stderr.write("%s: %s\n" % (os.path.basename(sys.argv[0]), msg))
    sys.exit(1)


def _write_spikes(path, t_s, idx, populations):
    """t in seconds, idx the neuron index; populations [(name, first, n)]."""
    order = sorted(populations, key=lambda p: p[1])
    with open(path, "w") as f:
        f.write("t [ms],population,id\n")
        lines = []
        for t, i in zip(t_s, idx):
            i = int(i)
            for name, first, n in order:
                if first <= i < first + n:
                    lines.append("%.10g,%s,%d\n" % (t * 1e3, name, i - first))
                    break
            if len(lines) >= 65536:
                f.writelines(lines)
                lines = []
        f.writelines(lines)


def _read_results(directory, meta):
    import numpy as np
    res = {}
    t = np.fromfile(os.path.join(directory, meta["spike_t"]), dtype=np.float64)
    i = np.fromfile(os.path.join(directory, meta["spike_i"]), dtype=np.int32)
    if len(t) != len(i):
        _fail("spike arrays of different lengths in %s" % directory)
    res["t"], res["i"] = t, i
    res["synapses"] = sum(os.path.getsize(os.path.join(directory, f)) // 4
                          for f in meta["synapse_files"])
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        run_time, fraction = f.read().split()
    if float(fraction) < 1.0:
        _fail("the run in %s did not complete (fraction %s)" % (directory, fraction))
    res["loop_s"] = float(run_time)
    return res


def _build(args, net, run=True):
    t0 = time.perf_counter()
    try:
        import brian2 as b2
    except ImportError:
        _fail("Brian2 is not installed for %s: apt-get install python3-brian" % sys.executable)
    import_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    directory = os.path.abspath(args.dir)
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread, no OpenMP
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j%d" % args.make_jobs]
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(args.seed)
    model = net(b2, args)   # {"name", "objects", "monitor", "synapses", "populations"}
    network = b2.Network(*model["objects"])
    network.run(args.duration * b2.ms)
    dev = b2.get_device()
    dev.build(directory=directory, compile=True, run=run, clean=True, with_output=False)
    total = time.perf_counter() - t1
    make_s = dev.timers["compile"]["make"]
    binary_s = dev.timers["run_binary"] if run else 0.0
    mon = model["monitor"]
    meta = {
        "model": model["name"],
        "populations": model["populations"],
        "spike_t": dev.get_array_filename(mon.variables["t"]),
        "spike_i": dev.get_array_filename(mon.variables["i"]),
        "synapse_files": [dev.get_array_filename(s.variables["_synaptic_pre"])
                          for s in model["synapses"]],
        "duration_ms": args.duration,
        "seed": args.seed,
    }
    with open(os.path.join(directory, META), "w") as f:
        json.dump(meta, f)
    res = _read_results(directory, meta) if run else None
    out = {"model": meta["model"], "mode": "build" if run else "compile",
           "loop_s": res["loop_s"] if run else None,
           "binary_s": binary_s if run else None, "binary_cpu_s": None, "make_s": make_s,
           "codegen_s": total - make_s - binary_s, "import_s": import_s,
           "max_rss_kb": None}
    return meta, res, out


def _run(args):
    directory = os.path.abspath(args.dir)
    try:
        with open(os.path.join(directory, META)) as f:
            meta = json.load(f)
    except OSError:
        _fail("no compiled project in %s: run with --mode build first" % directory)
    if meta["duration_ms"] != args.duration or meta["seed"] != args.seed:
        _fail("the project in %s was built for another duration or seed" % directory)
    with open(os.devnull, "w") as null:
        t0 = time.perf_counter()
        rc = subprocess.call(["./main"], cwd=directory, stdout=null)
        binary_s = time.perf_counter() - t0
    if rc != 0:
        _fail("%s/main failed (exit status %d)" % (directory, rc))
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss, cpu = ru.ru_maxrss, ru.ru_utime + ru.ru_stime
    res = _read_results(directory, meta)
    out = {"model": meta["model"], "mode": "run", "loop_s": res["loop_s"],
           "binary_s": binary_s, "binary_cpu_s": cpu, "make_s": None,
           "codegen_s": None, "import_s": None, "max_rss_kb": rss}
    return meta, res, out


def main(description, net, extra=None):
    args = parse_args(description, extra)
    if args.mode == "compile":
        meta, res, out = _build(args, net, run=False)
        sys.stdout.write(json.dumps(out) + "\n")
        return
    if args.spikes is None:
        _fail("--spikes FILE is needed with --mode %s" % args.mode)
    if args.mode == "build":
        meta, res, out = _build(args, net)
    else:
        meta, res, out = _run(args)
    _write_spikes(args.spikes, res["t"], res["i"], meta["populations"])
    out["spikes"] = int(len(res["t"]))
    out["synapses"] = int(res["synapses"])
    out["neurons"] = int(sum(p[2] for p in meta["populations"]))
    out["spike_file"] = os.path.abspath(args.spikes)
    sys.stdout.write(json.dumps(out) + "\n")
