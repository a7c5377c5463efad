/* runtime/msnrt_network.h — the network descriptor behind MsnModel.network
 * (ABI 4 extension; docs/language.md 5.9, docs/events.md).
 *
 * A network is one model whose instances are all its neurons: population
 * p owns instances [first, first + n).  Every field is 8 bytes wide (int64,
 * double or pointer), so the layout has no padding; the compiler checks
 * the sizes against this header (compiler/codegen_network.c).  Values are
 * SI. */
#ifndef MSNRT_NETWORK_H
#define MSNRT_NETWORK_H

#include <stdint.h>

/* 3: regular and spike-time sources, edge-list files; 4: deliveries into
 * several states (synapses); 5: populations of different cells, each with
 * its own spike settings; 6: outputs: binned rates, recorded neurons;
 * 7: spikes written per population */
#define MSN_NETWORK_VERSION 7

/* kind: 0 constant a; 1 uniform in [a, b); 2 normal, mean a, sd b */
typedef struct MsnNetInit {
  int64_t state, kind;
  double a, b;
} MsnNetInit;

/* kind 0: neurons, instances [first, first + n) of the model; kind 1: n
 * Poisson sources of `rate` Hz each (first = -1, not instances; version 2).
 * A projection from a Poisson source gives every synapse an independent
 * train: each step, a target with in-degree K gets weight * Poisson(K rate
 * dt) (runtime/rt_network_run.c).  Version 3: kind 2, n regular sources
 * firing at phase + m / rate (m = 0, 1, ...); kind 3, n sources firing at
 * the sorted `times`; both through stored projections like neurons
 * (runtime/rt_sources.c); with `ids`, spike i is source ids[i]'s. */
typedef struct MsnPopulation {
  const char *name;
  int64_t first, n;
  int64_t ninit;
  const MsnNetInit *init;   /* applied after the model's init, in order */
  int64_t kind;
  double rate;
  double phase;             /* kind 2: the first spike time, s */
  int64_t ntimes;           /* kind 3: the spike times, s, ascending */
  const double *times;
  const int64_t *ids;       /* kind 3: the source of each time (a file), or NULL: every source */
  /* version 5, kind 0: the population's cell (an index; populations of one
   * cell share it) and that cell's spike settings, which replace the
   * model's when the network has several cells: does it detect spikes
   * (upward crossings of MsnModel.spike_state through threshold), and for
   * an integrate-and-fire cell its reset value and refractory period */
  int64_t cell;
  int64_t spikes;
  double threshold;
  int64_t has_reset;
  double reset, refractory;
  int64_t reset_exact;
} MsnPopulation;

/* A spike of weight w adds coef[coef] * w to state `state` (version 4):
 * the increments of a synapse's on spike block, or (state = target_state,
 * a coefficient of 1) for `target X`. */
typedef struct MsnDeliver {
  int64_t state;
  int64_t coef;             /* index into the network's coefficients */
} MsnDeliver;

/* The coefficients of all deliveries from the parameters P (SI) and the
 * time step dt (s), computed once at the start of a run.  A synapse state
 * that the staggered scheme keeps half a step ahead of V gets its increment
 * carried over that half step (docs/language.md 5.10). */
typedef void (*MsnNetCoefFn)(const double *P, double dt, double *coef);

/* rule: RtConnRule of runtime/rt_events.h */
typedef struct MsnProjection {
  int64_t src, tgt;         /* population indices */
  int64_t target_state;     /* the state a spike increments by weight (target X), or -1 */
  int64_t rule;
  double p;
  int64_t k;
  int64_t autapses, multapses;
  double weight;            /* SI, in the target state's unit */
  double delay;             /* s; rounded to whole steps of dt at run time */
  int64_t tm;               /* Tsodyks–Markram: weight * u R */
  double U, tau_rec, tau_fac;
  const char *target_name;   /* the target state, or the synapse */
  /* rule 5 (version 3): the synapses come from this edge list (CSV or
   * .npy: source, target, weight, delay [ms]; runtime/rt_edges.c), read
   * when the program starts; a weight w of the file is w * edge_wscale (SI) */
  const char *edges;
  double edge_wscale;
  int64_t ndeliver;         /* >= 1 (version 4) */
  const MsnDeliver *deliver;
} MsnProjection;

typedef struct MsnNetwork {
  int64_t version;          /* MSN_NETWORK_VERSION */
  int64_t npops;
  const MsnPopulation *pops;
  int64_t nprojs;
  const MsnProjection *projs;
  int64_t ncoef;            /* version 4: coefficients of the deliveries */
  MsnNetCoefFn coef;
  /* version 6: `record rates every W`: the bin width W (s; rounded to whole
   * steps of the run's dt), 0 for none (rates.csv, runtime/rt_network_output.c);
   * `record X of exc[0, 5]`: the nrec recorded neurons (instances), in the
   * order written, the only ones in the trace; nrec 0: every neuron */
  double rate_bin;
  int64_t nrec;
  const int64_t *rec;
  /* version 7: `record spikes per population`: 1 to write spikes_NAME.csv
   * (t [ms],id) for each population of neurons instead of spikes.csv */
  int64_t spikes_per_pop;
} MsnNetwork;

#endif
