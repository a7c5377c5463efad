/* runtime/rt_network_run.c — networks of populations and projections on
 * top of rt_events (docs/language.md 5.9, docs/events.md).
 *
 * The model's instances are all the neurons; population p owns instances
 * [first, first + n).  Per projection: a CSR connectivity built from the
 * run's seed (rt_conn_build; Philox streams keyed by the seed and the
 * projection's index), a ring buffer of n_tgt doubles per delay step, and
 * with Tsodyks–Markram plasticity the per-synapse (u, R, t_last).
 *
 * Timing: a spike detected in step k (t_k, t_{k+1}] is stamped t_{k+1};
 * with a delay of d steps its weight is added to the target state at
 * t_{k+1+d}, before the step from there is integrated.  A delay is rounded
 * to whole steps (d >= 1); a delay shorter than dt is an error.  TM
 * synapses are updated at the exact (interpolated) spike times.
 *
 * Only the staggered method runs networks for now.  With --threads N the
 * neurons are split into N parts, one per thread, that exchange their
 * spikes once per block of D steps, D the smallest delay of the stored
 * projections (a spike cannot reach a target sooner); results do not
 * depend on N (docs/events.md). */
#define _GNU_SOURCE /* sched_yield, sysconf(_SC_NPROCESSORS_ONLN) */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "msnrt_network.h"
#include "rt_events.h"
#include "rt_network.h"
#include "rt_edges.h"
#include "rt_sources.h"

typedef struct RtNetProj {
  const MsnProjection *d;
  const MsnNetwork *net;
  RtConn conn;
  RtRing *ring;     /* one per part: the targets of that part's instances */
  uint32_t *lo, *hi; /* per part: its targets [lo, hi) within the population */
  uint32_t **cut;   /* per part that holds some of the targets: rt_conn_cuts */
  RtStp stp;
  int has_stp;
  uint32_t delay_steps;
  /* from a Poisson source: no ring; each step target j gets weight *
   * Poisson(lam_j), lam_j = in-degree * rate * dt (lam: NULL when all equal
   * lam0), drawn from Philox keyed by (key, step, j) */
  int poisson;
  double lam0, *lam;
  uint32_t key[2];
  RtPoissonTable tab; /* inversion table for lam0 (tab.T NULL: none) */
} RtNetProj;

/* ---- thread pool ------------------------------------------------------------ */

/* nthreads - 1 worker threads plus the calling thread, which is thread 0.
 * pool_run hands fn(arg, t) to every thread t and returns when all are
 * done; inside fn, pool_barrier synchronises them.  The barrier spins a
 * little (a step's phases are microseconds apart), then sleeps on a futex:
 * the machine may run more threads than cores, and a spinning or yielding
 * waiter would take the CPU from the thread it waits for. */
typedef struct RtBarrier {
  atomic_uint count, gen, sleepers;
  atomic_uint spin_ns; /* the waiters' current spin budget (see barrier_wait) */
  unsigned n;
} RtBarrier;

typedef struct RtPool RtPool;
struct RtPool {
  int n;
  pthread_t *th;
  int nstarted;
  RtBarrier start, done, mid;
  void (*fn)(void *, int);
  void *arg;
  atomic_int stop;
};

typedef struct RtWorkerArg {
  RtPool *pool;
  int t;
} RtWorkerArg;

static void gen_sleep(atomic_uint *gen, unsigned g) {
#ifdef __linux__
  syscall(SYS_futex, (unsigned *)gen, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
#else
  (void)gen;
  (void)g;
  sched_yield();
#endif
}

static void gen_wake(atomic_uint *gen) {
#ifdef __linux__
  syscall(SYS_futex, (unsigned *)gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
  (void)gen;
#endif
}

/* How long a thread spins at a barrier before it sleeps: adaptive, from
 * SPIN_MIN_NS to SPIN_MAX_NS.  A step of a network with one-step delays
 * is a few microseconds of work per thread, and thread 0 does the serial
 * part (collecting spikes, the trace row) while the others wait: with a
 * fixed 2,000 bare loads (a microsecond or two) nearly every wait ended
 * in a futex sleep and a wake-up, tens of microseconds each on this VM
 * (CUBA, 4,000 neurons, 2 threads on an idle 2-core machine: 0.35-0.46 s
 * against 0.020 s on one thread; 64,000 neurons 0.78 against 0.52 s).  A
 * wait that the spin ends doubles the budget, one that ends asleep halves
 * it: when the cores are free the threads meet spinning (0.04-0.09 s and
 * 0.31 s), and when the machine runs more threads than cores, where the
 * thread waited for is often descheduled, the budget falls back to about
 * the short spin of before and a waiter does not take the CPU from it. */
enum { SPIN_CHECK = 64, SPIN_MIN_NS = 2000, SPIN_MAX_NS = 50000 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void barrier_wait(RtBarrier *b) {
  unsigned g = atomic_load(&b->gen);
  if (atomic_fetch_add(&b->count, 1) + 1 == b->n) { /* the last one releases */
    atomic_store(&b->count, 0);
    atomic_fetch_add(&b->gen, 1);
    if (atomic_load(&b->sleepers)) gen_wake(&b->gen);
    return;
  }
  /* spin with a pause between looks (it frees the core's resources for
   * a sibling thread and eases the traffic on the cache line) */
  unsigned budget = atomic_load_explicit(&b->spin_ns, memory_order_relaxed);
  if (budget < SPIN_MIN_NS) budget = SPIN_MIN_NS;
  double t0 = rt_now(), limit = budget * 1e-9;
  for (unsigned spin = 1;; spin++) {
    if (atomic_load_explicit(&b->gen, memory_order_acquire) != g) {
      if (budget < SPIN_MAX_NS) atomic_store_explicit(&b->spin_ns, 2 * budget, memory_order_relaxed);
      return;
    }
    cpu_relax();
    if (spin % SPIN_CHECK == 0 && rt_now() - t0 > limit) break;
  }
  atomic_store_explicit(&b->spin_ns, budget / 2, memory_order_relaxed);
  /* a sleeper announces itself before it looks at gen again, and the
   * releaser bumps gen before it looks at the sleepers (both sequentially
   * consistent): one of them sees the other, so no wake-up is lost, and
   * FUTEX_WAIT returns at once when gen has already moved */
  atomic_fetch_add(&b->sleepers, 1);
  while (atomic_load(&b->gen) == g) gen_sleep(&b->gen, g);
  atomic_fetch_sub(&b->sleepers, 1);
}

static void *pool_worker(void *p) {
  RtWorkerArg *a = p;
  RtPool *pool = a->pool;
  for (;;) {
    barrier_wait(&pool->start);
    if (atomic_load(&pool->stop)) return NULL;
    pool->fn(pool->arg, a->t);
    barrier_wait(&pool->done);
  }
}

static void pool_run(RtPool *pool, void (*fn)(void *, int), void *arg) {
  pool->fn = fn;
  pool->arg = arg;
  barrier_wait(&pool->start);
  fn(arg, 0);
  barrier_wait(&pool->done);
}

static void pool_barrier(RtPool *pool) { barrier_wait(&pool->mid); }

static void pool_free(RtPool *pool) {
  if (!pool) return;
  if (pool->nstarted) {
    atomic_store(&pool->stop, 1);
    barrier_wait(&pool->start);
    for (int t = 0; t < pool->nstarted; t++) pthread_join(pool->th[t], NULL);
  }
  free(pool->th);
  free(pool);
}

static RtWorkerArg *pool_args(RtPool *pool) { return (RtWorkerArg *)(pool->th + pool->n); }

/* NULL when out of memory or a thread cannot be started. */
static RtPool *pool_new(int n) {
  RtPool *pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->n = n;
  /* the thread handles, then their arguments */
  pool->th = calloc((size_t)n, sizeof(pthread_t) + sizeof(RtWorkerArg));
  if (!pool->th) {
    free(pool);
    return NULL;
  }
  pool->start.n = pool->done.n = pool->mid.n = (unsigned)n;
  for (int t = 1; t < n; t++) {
    RtWorkerArg *a = &pool_args(pool)[t];
    a->pool = pool;
    a->t = t;
    if (pthread_create(&pool->th[t - 1], NULL, pool_worker, a) != 0) {
      /* the barriers count n threads: let the started ones finish */
      pool->start.n = pool->done.n = pool->mid.n = (unsigned)t;
      pool_free(pool);
      return NULL;
    }
    pool->nstarted = t;
  }
  return pool;
}

/* A thread's scratch: the sources (and spike times) of one step's spikes
 * in one projection's source population, and where each step of the
 * block starts in its part's spike list. */
typedef struct RtNetScratch {
  uint32_t *src;
  double *ts;
  size_t cap;
  size_t *off;      /* block step j: the part's spikes.v[off[j] .. off[j + 1]) */
  char err[300];    /* why this part's delivery failed */
} RtNetScratch;

typedef struct RtNet {
  const MsnNetwork *d;
  double *coef;     /* the deliveries' coefficients, from the run's parameters */
  int jumps;        /* some projection adds to the spike state (voltage jumps) */
  RtNetProj *proj;
  uint64_t nsyn, syn_bytes; /* stored synapses, bytes of their CSR arrays */
  RtNetScratch *scr; /* one per part */
  RtPool *pool;     /* NULL with one thread */
  int nparts;       /* r->nparts when the network was built */
  int64_t dmin;     /* steps per block: spikes are exchanged once per block */
  atomic_int stop;  /* the calling thread found the run must stop (collect) */
} RtNet;

/* The longest block, when the delays allow more: a part's spikes of a
 * block are kept until its end. */
enum { NET_BLOCK_MAX = 64 };

static uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* Two uniforms in [0, 1) with 53 bits, from (seed, instance, init j). */
static void uniforms(uint64_t seed, uint64_t inst, uint32_t j, double *u0, double *u1) {
  uint64_t s = mix64(seed ^ 0x6e6574696e6974ULL); /* "netinit" */
  uint32_t key[2] = {(uint32_t)s, (uint32_t)(s >> 32)};
  uint32_t ctr[4] = {(uint32_t)inst, (uint32_t)(inst >> 32), j, 0x1d1dU};
  uint32_t o[4];
  rt_philox4x32_10(ctr, key, o);
  *u0 = (double)(((uint64_t)o[0] >> 5) * 67108864ULL + (o[1] >> 6)) / 9007199254740992.0;
  *u1 = (double)(((uint64_t)o[2] >> 5) * 67108864ULL + (o[3] >> 6)) / 9007199254740992.0;
}

static double u53(uint32_t hi, uint32_t lo) {
  return (double)(((uint64_t)hi >> 5) * 67108864ULL + (lo >> 6)) / 9007199254740992.0;
}

/* A Poisson(lam) count for (step, target j) of a projection: inversion
 * for lam < 10, else Hörmann's PTRS (1993) transformed rejection; both
 * from Philox counters (j, step, draw), so the count depends only on the
 * seed, the projection, the step and the target. */
static uint32_t poisson_count(const uint32_t key[2], int64_t step, uint32_t j, double lam, double emlam) {
  uint32_t ctr[4] = {j, (uint32_t)step, (uint32_t)((uint64_t)step >> 32), 0}, o[4];
  if (lam <= 0) return 0;
  if (lam < 10) {
    rt_philox4x32_10(ctr, key, o);
    double u = u53(o[0], o[1]), p = emlam, F = p;
    uint32_t n = 0;
    while (u > F && n < 10000) {
      n++;
      p *= lam / n;
      F += p;
      if (p < 1e-300 && F < u) break; /* rounding: u above the summed mass */
    }
    return n;
  }
  double slam = sqrt(lam), loglam = log(lam), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (uint32_t draw = 0;; draw++) {
    ctr[3] = draw;
    rt_philox4x32_10(ctr, key, o);
    double U = u53(o[0], o[1]) - 0.5, V = u53(o[2], o[3]), us = 0.5 - fabs(U);
    double k = floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return (uint32_t)k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) return (uint32_t)k;
  }
}

/* Counter of the Philox block that gives the uniforms of targets 4b ..
 * 4b + 3 at a step (one word each). */
#define POISSON_PURPOSE 0x504f4953u /* "POIS" */

/* The Poisson input of step k to targets [begin, end) of projection P
 * (docs/language.md 5.9): target j gets weight * n_j, n_j ~ Poisson(lam_j),
 * from Philox keyed by the projection with counter (j / 4, k, purpose),
 * word j mod 4, through the inversion table of the constant mean; or,
 * when the means differ per target, from poisson_count.  Either way n_j
 * depends on (seed, projection, step, target) only. */
/* Input v to neuron i through the deliveries of a projection: coef x v
 * into each state (one state with coefficient 1 for `target X`). */
static inline void add_input(RtRun *r, const RtNet *N, const MsnDeliver *dl, int64_t nd, int64_t i, double v) {
  for (int64_t e = 0; e < nd; e++) r->cols[dl[e].state][i] += N->coef[dl[e].coef] * v;
}

static void poisson_input(RtRun *r, RtNetProj *P, int64_t k, int64_t begin, int64_t end) {
  const MsnPopulation *tgt = &P->net->pops[P->d->tgt];
  const RtNet *N = r->net;
  const double wt = P->d->weight;
  const int64_t nd = P->d->ndeliver;
  const MsnDeliver *dl = P->d->deliver;
  if (!P->tab.T) {
    for (int64_t i = begin; i < end; i++) {
      double lam = P->lam ? P->lam[i] : P->lam0;
      uint32_t c = poisson_count(P->key, k, (uint32_t)i, lam, lam < 10 ? exp(-lam) : 0);
      if (c) add_input(r, N, dl, nd, tgt->first + i, wt * (double)c);
    }
    return;
  }
  const RtPoissonTable *t = &P->tab;
  const int64_t b1 = (end + 3) / 4;
  for (int64_t b = begin / 4; b < b1; b += RT_PHILOX_LANES) { /* 8 blocks, 32 targets at once */
    uint32_t o[4][RT_PHILOX_LANES];
    rt_philox4x32_10_batch((uint32_t)b, (uint32_t)k, (uint32_t)((uint64_t)k >> 32), POISSON_PURPOSE,
                           P->key, o);
    for (int64_t q = 0; q < RT_PHILOX_LANES && b + q < b1; q++)
      for (int64_t w = 0; w < 4; w++) {
        int64_t i = (b + q) * 4 + w;
        if (i < begin || i >= end) continue;
        uint32_t c = rt_poisson_table_draw(t, o[w][q]);
        if (c) add_input(r, N, dl, nd, tgt->first + i, wt * (double)c);
      }
  }
}

static void apply_inits(RtRun *r, const MsnNetwork *d) {
  for (int64_t p = 0; p < d->npops; p++) {
    const MsnPopulation *P = &d->pops[p];
    if (P->kind != 0) continue;
    for (int64_t j = 0; j < P->ninit; j++) {
      const MsnNetInit *in = &P->init[j];
      double *x = r->cols[in->state];
      for (int64_t i = P->first; i < P->first + P->n; i++) {
        if (in->kind == 0) {
          x[i] = in->a;
          continue;
        }
        double u0, u1;
        uniforms(r->opt.seed, (uint64_t)i, (uint32_t)in->state, &u0, &u1);
        if (in->kind == 1) x[i] = in->a + (in->b - in->a) * u0;
        else x[i] = in->a + in->b * sqrt(-2.0 * log(1.0 - u0)) * cos(6.283185307179586 * u1);
      }
    }
  }
}

/* Threads for this run: --threads N, or by default one per online core
 * but no more than one per 4096 neurons (a thread costs two barriers
 * per block of steps, with blocks of one step about as much as stepping
 * a few thousand LIF neurons; the blocks are known only once the
 * projections are built, after the split); never
 * more than one per 64 neurons (the split is on multiples of 64). */
static int network_threads(const RtRun *r) {
  int64_t most = r->n / 64 > 0 ? r->n / 64 : 1;
  int64_t t = r->opt.threads;
  if (t <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    t = cores > 0 ? cores : 1;
    if (t > r->n / 4096) t = r->n / 4096 > 0 ? r->n / 4096 : 1;
  }
  if (t > most) t = most;
  return (int)t;
}

/* Projection P's targets per part (the part's instances within the
 * target population) and one ring for each. */
static int proj_parts(RtRun *r, RtNetProj *P, char *err, size_t errlen) {
  const MsnPopulation *tgt = &P->net->pops[P->d->tgt];
  int T = r->nparts;
  P->ring = calloc((size_t)T, sizeof *P->ring);
  P->lo = calloc((size_t)T, sizeof *P->lo);
  P->hi = calloc((size_t)T, sizeof *P->hi);
  P->cut = calloc((size_t)T, sizeof *P->cut);
  if (!P->ring || !P->lo || !P->hi || !P->cut) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (int t = 0; t < T; t++) {
    int64_t lo = r->parts[t].begin - tgt->first, hi = r->parts[t].end - tgt->first;
    if (lo < 0) lo = 0;
    if (hi > tgt->n) hi = tgt->n;
    if (hi < lo) hi = lo;
    P->lo[t] = (uint32_t)lo;
    P->hi[t] = (uint32_t)hi;
    if (rt_ring_init(&P->ring[t], (uint32_t)(hi - lo), P->delay_steps, err, errlen)) return -1;
    /* without cuts (out of memory) delivery searches the rows instead */
    if (!P->d->tm && hi > lo && hi - lo < tgt->n) P->cut[t] = rt_conn_cuts(&P->conn, (uint32_t)lo, (uint32_t)hi);
  }
  return 0;
}

/* Populations of different cells (version 5: MsnPopulation.cell): one
 * segment per population of neurons with its cell's spike settings.  With
 * one cell the model's settings hold for every neuron: no segments. */
static bool cell_segments(RtRun *r, const MsnNetwork *d) {
  int64_t cell = -1;
  bool several = false;
  for (int64_t p = 0; p < d->npops; p++) {
    if (d->pops[p].kind != 0) continue;
    several |= cell >= 0 && d->pops[p].cell != cell;
    cell = d->pops[p].cell;
  }
  if (!several) return true;
  if (!(r->segs = calloc((size_t)d->npops, sizeof *r->segs))) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  for (int64_t p = 0; p < d->npops; p++) {
    const MsnPopulation *q = &d->pops[p];
    if (q->kind != 0) continue;
    r->segs[r->nsegs++] = (RtSeg){.begin = q->first, .end = q->first + q->n, .spikes = q->spikes != 0,
                                  .has_reset = q->has_reset != 0, .reset_exact = q->reset_exact != 0,
                                  .thr = q->threshold, .reset = q->reset, .refractory = q->refractory};
  }
  return true;
}

bool rt_network_start(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  if (d->version != MSN_NETWORK_VERSION) {
    rt_fail(r, RT_EXIT_USAGE, "the network descriptor has version %lld, this runtime reads %d", (long long)d->version,
            MSN_NETWORK_VERSION);
    return false;
  }
  if (r->opt.method != MSN_STAGGERED) {
    rt_fail(r, RT_EXIT_USAGE, "a network runs with the staggered method only (not %s)", rt_method_name(r->opt.method));
    return false;
  }
  if (r->m->spike_state < 0 && d->nprojs) {
    rt_fail(r, RT_EXIT_USAGE, "the neurons of the network do not spike");
    return false;
  }
  if (!cell_segments(r, d)) return false;
  RtNet *N = calloc(1, sizeof *N);
  if (!N || !(N->proj = calloc((size_t)d->nprojs + 1, sizeof *N->proj))) {
    free(N);
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  N->d = d;
  r->net = N;
  apply_inits(r, d);
  int nthreads = network_threads(r);
  N->nparts = nthreads;
  if (!rt_parts_init(r, nthreads, 64) || !(N->scr = calloc((size_t)nthreads, sizeof *N->scr))) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  if (!(N->coef = calloc((size_t)d->ncoef + 1, sizeof *N->coef))) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  if (d->ncoef) d->coef(r->P, r->opt.dt, N->coef);
  const double dt = r->opt.dt;
  uint64_t nsyn = 0;
  size_t bytes = 0;
  double worst = 0;
  for (int64_t q = 0; q < d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    const MsnProjection *j = &d->projs[q];
    const MsnPopulation *src = &d->pops[j->src], *tgt = &d->pops[j->tgt];
    P->d = j;
    P->net = d;
    if (j->ndeliver < 1 || j->ndeliver > RT_DRAIN_MAX) {
      rt_fail(r, RT_EXIT_USAGE, "projection %s -> %s: a spike increments %lld states (at most %d)", src->name,
              tgt->name, (long long)j->ndeliver, RT_DRAIN_MAX);
      return false;
    }
    char err[256];
    double rel = 0;
    if (!j->edges &&
        (rt_delays_to_steps(1, &j->delay, dt, &P->delay_steps, &rel, err, sizeof err) || P->delay_steps > RT_DELAY_MAX)) {
      rt_fail(r, RT_EXIT_USAGE, "projection %s -> %s: the delay %g ms is shorter than dt = %g ms (or longer than %u steps)",
              src->name, tgt->name, j->delay / RT_MS, dt / RT_MS, RT_DELAY_MAX);
      return false;
    }
    if (rel > worst) worst = rel;
    if (tgt->kind != 0) {
      rt_fail(r, RT_EXIT_USAGE, "projection %s -> %s: %s is a source", src->name, tgt->name, tgt->name);
      return false;
    }
    for (int64_t e = 0; e < j->ndeliver; e++)
      if (j->deliver[e].state == r->m->spike_state) N->jumps = 1;
    RtConnSpec s = {.rule = (RtConnRule)j->rule, .n_src = (uint32_t)src->n, .n_tgt = (uint32_t)tgt->n,
                    .p = j->p, .k = (uint32_t)j->k, .autapses = (int)j->autapses, .multapses = (int)j->multapses,
                    .seed = mix64(r->opt.seed * 0x100000001b3ULL + (uint64_t)q + 1), .weight = j->weight,
                    .weight_shared = 1, .narrow = 1, .delay_lo = P->delay_steps, .delay_hi = P->delay_steps};
    if (src->kind == 1) { /* Poisson source: independent trains per synapse, not stored (nor counted) */
      uint64_t ks = mix64(s.seed ^ 0x706f6973736f6eULL); /* "poisson" */
      P->key[0] = (uint32_t)ks;
      P->key[1] = (uint32_t)(ks >> 32);
      P->poisson = 1;
      double per = src->rate * dt;
      if (j->rule == RT_CONN_FIXED_INDEGREE || j->rule == RT_CONN_ALL_TO_ALL) {
        P->lam0 = per * (double)(j->rule == RT_CONN_ALL_TO_ALL ? src->n : j->k);
        if (P->lam0 <= RT_POISSON_TABLE_MAX && rt_poisson_table_init(&P->tab, P->lam0)) {
          rt_fail(r, RT_EXIT_IO, "out of memory for the Poisson input %s -> %s", src->name, tgt->name);
          return false;
        }
        continue;
      }
      if (rt_conn_build(&P->conn, &s, err, sizeof err) || !(P->lam = calloc((size_t)tgt->n + 1, sizeof *P->lam))) {
        rt_fail(r, RT_EXIT_IO, "projection %s -> %s: %s", src->name, tgt->name, P->lam ? err : "out of memory");
        return false;
      }
      for (uint64_t e = 0; e < P->conn.n_syn; e++) P->lam[rt_conn_target(&P->conn, e)] += per;
      rt_conn_free(&P->conn);
      memset(&P->conn, 0, sizeof P->conn);
      continue;
    }
    if ((j->edges ? rt_edges_conn(&P->conn, j->edges, s.n_src, s.n_tgt, j->edge_wscale, dt, &P->delay_steps, &rel, err,
                                  sizeof err) /* runtime/rt_edges.c */
                  : rt_conn_build(&P->conn, &s, err, sizeof err)) ||
        proj_parts(r, P, err, sizeof err) ||
        (j->tm && rt_stp_init(&P->stp, &P->conn, (RtTmParams){j->U, j->tau_rec, j->tau_fac}, err, sizeof err))) {
      rt_fail(r, RT_EXIT_IO, "projection %s -> %s: %s", src->name, tgt->name, err);
      return false;
    }
    if (rel > worst) worst = rel;
    P->has_stp = (int)j->tm;
    nsyn += P->conn.n_syn;
    bytes += rt_conn_array_bytes(&P->conn);
  }
  N->nsyn = nsyn;
  N->syn_bytes = bytes;
  /* a spike of step k lands at k + 1 + d with d >= dmin, after the block
   * of dmin steps that holds step k has drained its last slot (k0 + dmin):
   * the parts integrate dmin steps before they must see each other's
   * spikes.  Poisson inputs are per target and step, not exchanged. */
  N->dmin = NET_BLOCK_MAX;
  for (int64_t q = 0; q < d->nprojs; q++)
    if (!N->proj[q].poisson && N->proj[q].conn.n_syn && N->proj[q].conn.delay_min < N->dmin)
      N->dmin = N->proj[q].conn.delay_min;
  for (int t = 0; t < nthreads; t++)
    if (!(N->scr[t].off = calloc((size_t)N->dmin + 1, sizeof *N->scr[t].off))) {
      rt_fail(r, RT_EXIT_IO, "out of memory for the network");
      return false;
    }
  if (nthreads > 1 && !(N->pool = pool_new(nthreads))) {
    rt_fail(r, RT_EXIT_IO, "cannot start %d threads", nthreads);
    return false;
  }
  if (!r->opt.quiet)
    fprintf(stderr,
            "%s: network of %lld neurons in %lld populations, %lld projections, %llu synapses (%.1f B each); "
            "%d thread%s, spikes exchanged every %lld step%s%s",
            r->opt.prog, (long long)r->n, (long long)d->npops, (long long)d->nprojs, (unsigned long long)nsyn,
            nsyn ? (double)bytes / (double)nsyn : 0.0, nthreads, nthreads == 1 ? "" : "s", (long long)N->dmin,
            N->dmin == 1 ? "" : "s", worst > 1e-9 ? "" : "\n");
  if (!r->opt.quiet && worst > 1e-9) fprintf(stderr, "; delays rounded to dt, largest error %.3g %%\n", 100 * worst);
  return true;
}

/* The input that projection P's ring holds for step `step` goes into the
 * states of its deliveries (MsnProjection.deliver): coef x (the summed
 * weights) into each, for part t's targets. */
static void deliver_to_states(RtRun *r, RtNetProj *P, int t, int64_t step) {
  const MsnPopulation *tgt = &P->net->pops[P->d->tgt];
  const RtNet *N = r->net;
  double *x[RT_DRAIN_MAX];
  double c[RT_DRAIN_MAX];
  int64_t n = P->d->ndeliver < RT_DRAIN_MAX ? P->d->ndeliver : RT_DRAIN_MAX;
  for (int64_t e = 0; e < n; e++) {
    x[e] = r->cols[P->d->deliver[e].state] + tgt->first + P->lo[t];
    c[e] = N->coef[P->d->deliver[e].coef];
  }
  rt_drain_into(&P->ring[t], step, x, c, (int)n);
}

static int by_id(const void *a, const void *b) {
  const RtSpike *x = a, *y = b;
  if (x->id != y->id) return (x->id > y->id) - (x->id < y->id);
  return (x->t > y->t) - (x->t < y->t);
}

/* The spikes of one step in ascending neuron order (docs/events.md,
 * summation order): the reset pass finds the refractory neurons first. */
static void order_step_spikes(RtSpike *v, size_t n) {
  for (size_t s = 1; s < n; s++)
    if (by_id(&v[s - 1], &v[s]) > 0) {
      qsort(v, n, sizeof *v, by_id);
      return;
    }
}

/* The sources of projection P among the spikes of block step j of all
 * parts, in part order (ascending neuron order: each part's list of a
 * step is sorted and the parts are ascending ranges), into the thread's
 * scratch. */
static bool gather_sources(RtRun *r, RtNetProj *P, RtNetScratch *sc, int64_t j, size_t *ns) {
  const MsnPopulation *src = &P->net->pops[P->d->src];
  const RtNet *N = r->net;
  size_t n = 0;
  for (int u = 0; u < r->nparts; u++) {
    const RtSpikes *sp = &r->parts[u].spikes;
    const RtPart *pu = &r->parts[u];
    if (pu->end <= src->first || pu->begin >= src->first + src->n) continue;
    for (size_t s = N->scr[u].off[j]; s < N->scr[u].off[j + 1]; s++) {
      int64_t id = sp->v[s].id;
      if (id < src->first || id >= src->first + src->n) continue;
      if (n == sc->cap) { /* several spikes of a neuron in one step */
        size_t cap = sc->cap ? 2 * sc->cap : 1024;
        uint32_t *a = realloc(sc->src, cap * sizeof *a);
        if (a) sc->src = a;
        double *b = realloc(sc->ts, cap * sizeof *b);
        if (b) sc->ts = b;
        if (!a || !b) return false;
        sc->cap = cap;
      }
      sc->src[n] = (uint32_t)(id - src->first);
      sc->ts[n++] = sp->v[s].t;
    }
  }
  *ns = n;
  return true;
}

/* Voltage jumps (target V of an integrate-and-fire cell): a jump at
 * t_{k+1} that lifts V to the threshold or above is a spike at t_{k+1}
 * (reset, refractory period; delivered with the next step's spikes, so
 * kept in part->pend).  Jumps into a refractory neuron are lost: it is
 * held at the reset. */
static bool jump_range(RtRun *r, RtPart *part, const RtSeg *s, int64_t k) {
  const double thr = s->thr, vr = s->reset, t1 = (double)(k + 1) * r->opt.dt;
  double *x = r->cols[r->m->spike_state];
  int64_t *cand = part->refr + part->nrefr; /* scratch after the refractory list */
  size_t nc = rt_above(x, s->begin, s->end, thr, cand), nnew = 0;
  for (size_t q = 0; q < nc; q++) {
    int64_t i = cand[q];
    if (r->ref_until[i] > t1) continue;
    if (!rt_spikes_push(&part->pend, t1, i)) {
      part->oom = true;
      return false;
    }
    x[i] = vr;
    r->ref_until[i] = t1 + s->refractory;
    if (r->ref_until[i] > t1) cand[nnew++] = i;
  }
  part->nrefr += nnew;
  return true;
}

/* Over the part, or in a network of several cells over the part's share
 * of each integrate-and-fire population, with its own settings. */
static bool jump_spikes(RtRun *r, RtPart *part, int64_t k) {
  if (!r->m->has_reset || !r->ref_until) return true;
  if (!r->nsegs) {
    RtSeg s = {.begin = part->begin, .end = part->end, .thr = r->m->spike_threshold, .reset = r->m->reset_value,
               .refractory = r->m->refractory};
    return jump_range(r, part, &s, k);
  }
  for (int g = 0; g < r->nsegs; g++) {
    RtSeg s = r->segs[g];
    if (!s.has_reset) continue;
    if (s.begin < part->begin) s.begin = part->begin;
    if (s.end > part->end) s.end = part->end;
    if (s.begin < s.end && !jump_range(r, part, &s, k)) return false;
  }
  return true;
}

/* Part t's network work of step k, which touches its own targets only:
 * the input arriving at t_{k+1} (drained from its rings) and the Poisson
 * input, in projection order, then its voltage-jump spikes.  Every spike
 * drained here was delivered at the end of an earlier block. */
static bool net_inputs_part(RtRun *r, int t, int64_t k) {
  RtNet *N = r->net;
  const MsnNetwork *d = N->d;
  RtPart *part = &r->parts[t];
  for (int64_t q = 0; q < d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    if (P->poisson) {
      const MsnPopulation *tgt = &d->pops[P->d->tgt];
      int64_t lo = part->begin - tgt->first, hi = part->end - tgt->first;
      if (lo < 0) lo = 0;
      if (hi > tgt->n) hi = tgt->n;
      if (lo < hi) poisson_input(r, P, k, lo, hi);
      continue;
    }
    if (P->lo[t] < P->hi[t]) deliver_to_states(r, P, t, k + 1);
  }
  return N->jumps ? jump_spikes(r, part, k) : true;
}

/* Part t's delivery, once every part's spikes of the block are known: the
 * spikes of each step k0 + j (stamped k0 + j + 1) into the rings of the
 * part's targets, step by step, so each ring slot sums its terms in the
 * order of the summation contract (by step, then by source). */
static bool net_deliver_part(RtRun *r, int t, int64_t k0, int64_t nblk) {
  RtNet *N = r->net;
  const MsnNetwork *d = N->d;
  RtNetScratch *sc = &N->scr[t];
  for (int64_t q = 0; q < d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    if (P->poisson || P->lo[t] == P->hi[t]) continue;
    const MsnPopulation *src = &d->pops[P->d->src];
    for (int64_t j = 0; j < nblk; j++) {
      int64_t k = k0 + j;
      size_t ns = 0;
      if (src->kind >= RT_SOURCE_REGULAR) { /* runtime/rt_sources.c */
        if (!rt_source_spikes(src, k, r->opt.dt, &sc->src, &sc->ts, &sc->cap, &ns)) {
          snprintf(sc->err, sizeof sc->err, "out of memory for the spikes of source %s", src->name);
          return false;
        }
      } else if (!gather_sources(r, P, sc, j, &ns)) {
        snprintf(sc->err, sizeof sc->err, "out of memory for the spikes of one step");
        return false;
      }
      if (!ns) continue;
      int rc = P->has_stp ? rt_deliver_stp_part(&P->ring[t], &P->conn, &P->stp, k + 1, sc->src, sc->ts, ns,
                                                P->lo[t], P->hi[t])
                          : rt_deliver_cut(&P->ring[t], &P->conn, k + 1, sc->src, ns, P->lo[t], P->hi[t],
                                           P->cut[t]);
      if (rc) {
        snprintf(sc->err, sizeof sc->err, "spike delivery: %s", P->ring[t].err);
        return false;
      }
    }
  }
  return true;
}

/* Steps of the block from k0: dmin, but it ends where the NaN guard or a
 * trace row is due, which must see the states of that step. */
static int64_t block_steps(const RtRun *r, int64_t k0) {
  const RtNet *N = r->net;
  int64_t nb = N->dmin < r->nsteps - k0 ? N->dmin : r->nsteps - k0;
  for (int64_t j = 1; j < nb; j++)
    if (rt_end_due(r, k0 + j)) return j;
  return nb;
}

/* Part t's neurons and inputs for the nblk steps from k0 in a row, its
 * spikes kept per step.  A failure is kept in the part (oom) or its
 * scratch (err). */
static bool integrate_part(RtRun *r, int t, int64_t k0, int64_t nblk) {
  RtNet *N = r->net;
  RtPart *part = &r->parts[t];
  RtNetScratch *sc = &N->scr[t];
  bool ok = true;
  part->spikes.n = 0;
  for (int64_t j = 0; j < nblk; j++) {
    sc->off[j] = part->spikes.n;
    if (!ok) continue; /* the offsets stay valid for the other parts */
    int64_t k = k0 + j;
    /* this step's spike list starts with the jump spikes of the last one */
    for (size_t s = 0; s < part->pend.n && ok; s++)
      if (!rt_spikes_push(&part->spikes, part->pend.v[s].t, part->pend.v[s].id)) {
        part->oom = true;
        ok = false;
      }
    part->pend.n = 0;
    if (ok) ok = rt_staggered_part(r, part, k);
    order_step_spikes(part->spikes.v + sc->off[j], part->spikes.n - sc->off[j]);
    if (ok) ok = net_inputs_part(r, t, k);
    if (!ok && !part->oom && !sc->err[0])
      snprintf(sc->err, sizeof sc->err, "step %lld of neurons %lld to %lld failed", (long long)k,
               (long long)part->begin, (long long)part->end - 1);
  }
  sc->off[nblk] = part->spikes.n;
  return ok;
}

/* Any part's failure into r->status (false then). */
static bool parts_ok(RtRun *r) {
  RtNet *N = r->net;
  for (int t = 0; t < r->nparts; t++) {
    if (r->parts[t].oom) {
      if (r->status == RT_EXIT_OK) rt_fail(r, RT_EXIT_IO, "out of memory after %zu spikes", r->spikes.n);
      return false;
    }
    if (N->scr[t].err[0]) {
      if (r->status == RT_EXIT_OK) rt_fail(r, RT_EXIT_IO, "%s", N->scr[t].err);
      return false;
    }
  }
  return true;
}

/* Once every part has integrated the block: step by step, the parts'
 * spikes into the run's list (the output) and the end of the step (NaN
 * guard, trace, progress).  It reads the spike lists and the states,
 * which delivery does not write, so it runs beside the others' delivery. */
static bool collect(RtRun *r, int64_t k0, int64_t nblk) {
  RtNet *N = r->net;
  if (!parts_ok(r)) return false;
  for (int64_t j = 0; j < nblk; j++) {
    for (int t = 0; t < r->nparts; t++) {
      const RtSpike *v = r->parts[t].spikes.v;
      for (size_t s = N->scr[t].off[j]; s < N->scr[t].off[j + 1]; s++)
        if (!rt_spikes_push(&r->spikes, v[s].t, v[s].id)) {
          rt_fail(r, RT_EXIT_IO, "out of memory after %zu spikes", r->spikes.n);
          return false;
        }
    }
    int64_t k = k0 + j;
    if (!rt_end_step(r, k, (double)(k + 1) * r->opt.dt)) return false;
  }
  return true;
}

/* The whole run of part t, block after block, with two barriers per
 * block: after the parts' integration (every spike of the block known),
 * and after their delivery (every ring ready for the next block).  The
 * calling thread (t = 0) collects the block between them, before its own
 * delivery; every thread then sees the same failures and stops at the
 * same block. */
static void run_part(void *arg, int t) {
  RtRun *r = arg;
  RtNet *N = r->net;
  for (int64_t k0 = 0, nblk; k0 < r->nsteps; k0 += nblk) {
    nblk = block_steps(r, k0);
    bool ok = integrate_part(r, t, k0, nblk);
    if (N->pool) pool_barrier(N->pool); /* every part's spikes of the block are known */
    if (t == 0 && !collect(r, k0, nblk)) atomic_store(&N->stop, 1);
    if (ok && !net_deliver_part(r, t, k0, nblk) && !N->scr[t].err[0])
      snprintf(N->scr[t].err, sizeof N->scr[t].err, "delivery of steps %lld to %lld failed", (long long)k0,
               (long long)(k0 + nblk - 1));
    if (N->pool) pool_barrier(N->pool); /* every ring is ready */
    if (atomic_load(&N->stop)) return;
    for (int u = 0; u < r->nparts; u++)
      if (r->parts[u].oom || N->scr[u].err[0]) return;
  }
}

void rt_network_run(RtRun *r) {
  const double dt = r->opt.dt;
  if (!rt_start(r)) return; /* builds the network: rt_network_start */
  RtNet *N = r->net;
  rt_staggered_gates(r, dt); /* with the noise of that half step (runtime/rt_integrate.c) */
  if (N->pool) pool_run(N->pool, run_part, r);
  else run_part(r, 0);
  parts_ok(r); /* a delivery that failed after its block was collected */
  pool_free(N->pool); /* waiting threads would spin while the output is written */
  N->pool = NULL;
  if (r->status != RT_EXIT_OK) return;
  /* the jump spikes of the last step belong to the output too */
  for (int t = 0; t < r->nparts; t++)
    for (size_t s = 0; s < r->parts[t].pend.n; s++)
      if (!rt_spikes_push(&r->spikes, r->parts[t].pend.v[s].t, r->parts[t].pend.v[s].id)) {
        rt_fail(r, RT_EXIT_IO, "out of memory after %zu spikes", r->spikes.n);
        return;
      }
}

static int pop_of(const MsnNetwork *d, int64_t id) {
  for (int64_t p = 0; p < d->npops; p++)
    if (d->pops[p].kind == 0 && id >= d->pops[p].first && id < d->pops[p].first + d->pops[p].n) return (int)p;
  return 0;
}

int rt_network_threads_used(const RtRun *r) { return r->net ? ((const RtNet *)r->net)->nparts : 1; }

void rt_network_synapses(const RtRun *r, uint64_t *n, uint64_t *bytes) {
  const RtNet *N = r->net;
  *n = N ? N->nsyn : 0;
  *bytes = N ? N->syn_bytes : 0;
}

void rt_network_neuron_name(const RtRun *r, int64_t i, char *buf, size_t len) {
  const MsnNetwork *d = r->m->network;
  int p = pop_of(d, i);
  snprintf(buf, len, "%s[%lld]", d->pops[p].name, (long long)(i - d->pops[p].first));
}

bool rt_network_write_spikes(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  if (d->spikes_per_pop) return rt_network_write_pop_spikes(r); /* runtime/rt_network_output.c */
  RtSpikes *s = &r->spikes;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  rt_spikes_sort(s);
  RtSpikeFile *sf = malloc(sizeof *sf);
  if (!sf) {
    rt_fail(r, RT_EXIT_IO, "out of memory for writing the spikes");
    return false;
  }
  if (!rt_spike_file_open(r, sf, npy ? "spikes.npy" : "spikes.csv")) {
    free(sf);
    return false;
  }
  if (npy) rt_npy_header(sf->f, (int64_t)s->n, 3);
  else fputs("t [ms],population,id\n", sf->f);
  for (size_t k = 0; k < s->n; k++) {
    int p = pop_of(d, s->v[k].id);
    int64_t id = s->v[k].id - d->pops[p].first;
    if (npy) {
      double row[3] = {s->v[k].t / RT_MS, (double)p, (double)id};
      fwrite(row, sizeof row, 1, sf->f); /* little-endian hosts (x86-64, aarch64) */
      continue;
    }
    /* "%.17g,%s,%lld\n", hand-formatted: printf was most of the writing */
    char *o = rt_spike_file_line(sf, 128), *o0 = o;
    o += rt_format_g17(s->v[k].t / RT_MS, o);
    *o++ = ',';
    size_t nl = strlen(d->pops[p].name);
    if (nl > 64) { /* a long name goes to the file directly */
      sf->used += (size_t)(o - o0);
      fwrite(sf->chunk, 1, sf->used, sf->f);
      fputs(d->pops[p].name, sf->f);
      sf->used = 0;
      o = o0 = sf->chunk;
    } else {
      memcpy(o, d->pops[p].name, nl);
      o += nl;
    }
    *o++ = ',';
    o += rt_format_i64(id, o);
    *o++ = '\n';
    sf->used += (size_t)(o - o0);
  }
  bool ok = rt_spike_file_close(r, sf);
  free(sf);
  return ok;
}

void rt_network_free(RtRun *r) {
  free(r->segs);
  r->segs = NULL;
  r->nsegs = 0;
  RtNet *N = r->net;
  if (!N) return;
  for (int64_t q = 0; N->proj && q < N->d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    rt_conn_free(&P->conn);
    for (int t = 0; P->ring && t < N->nparts; t++) rt_ring_free(&P->ring[t]);
    free(P->ring);
    free(P->lo);
    free(P->hi);
    for (int t = 0; P->cut && t < N->nparts; t++) free(P->cut[t]);
    free(P->cut);
    free(P->lam);
    free(P->tab.T);
    if (P->has_stp) rt_stp_free(&P->stp);
  }
  free(N->proj);
  free(N->coef);
  pool_free(N->pool);
  for (int t = 0; N->scr && t < N->nparts; t++) {
    free(N->scr[t].src);
    free(N->scr[t].ts);
    free(N->scr[t].off);
  }
  free(N->scr);
  free(N);
  r->net = NULL;
}
