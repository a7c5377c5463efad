/* runtime/rt_events.h — the runtime core of spiking networks: connectivity
 * in compressed sparse rows, spike delivery through per-delay ring buffers
 * and Tsodyks–Markram short-term plasticity (docs/events.md).
 *
 * These are the building blocks the compiler will target for `project`
 * blocks; nothing here is global or static-mutable.  Every function that
 * can fail returns 0 on success and -1 with a message in err (errlen bytes,
 * may be NULL), never aborts.  Times are SI seconds; delays are integer
 * numbers of time steps.
 */
#ifndef MSN_RT_EVENTS_H
#define MSN_RT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- geometric gaps (the fixed-probability rule) ------------------------ */

/* One block: the 2 RT_GAP_BLOCK random words w (a uniform from each pair)
 * become RT_GAP_BLOCK gaps trunc(log(u) / lq) and, when lg is not NULL,
 * the logs.  The paths give identical bits; RT_GAP_AUTO picks the widest
 * the CPU has, the others are for tests (-1: the CPU lacks it). */
#define RT_GAP_BLOCK 16
enum { RT_GAP_AUTO = 0, RT_GAP_GENERIC = 1, RT_GAP_AVX2 = 2, RT_GAP_AVX512 = 3 };
int rt_gap_block(int path, const uint32_t *w, double lq, double *gap, double *lg);

/* ---- connectivity ------------------------------------------------------ */

/* Width of the per-synapse delays, chosen from their range at build time:
 * all equal (one number, 0 bytes per synapse), uint8 (max <= 255) or
 * uint16 (max <= 65535). */
typedef enum { RT_DELAY_UNIFORM = 0, RT_DELAY_U8 = 1, RT_DELAY_U16 = 2 } RtDelayWidth;

#define RT_DELAY_MAX 65535u

/* A projection from n_src source neurons to n_tgt targets.  The synapses of
 * source i are k in [row[i], row[i+1]): target tgt[k], weight w[k] (or
 * w32[k] when weight_f32), delay d8[k] / d16[k] / delay_uniform steps.
 * Within a row the synapses are sorted by target (stable: an edge list
 * keeps its input order between equal (source, target) pairs). */
typedef struct RtConn {
  uint32_t n_src, n_tgt;
  uint64_t n_syn;
  uint64_t *row;          /* n_src + 1 offsets */
  uint32_t *tgt;          /* n_syn target indices, NULL when narrow */
  uint16_t *tgt16;        /* the same in 16 bits when narrow (n_tgt <= 65536) */
  double *w;              /* n_syn weights, NULL when weight_f32 or shared */
  float *w32;             /* n_syn weights, NULL unless weight_f32 */
  int weight_f32;
  int weight_shared;      /* one weight for every synapse: no per-synapse array */
  double weight;          /* that weight when weight_shared */
  RtDelayWidth delay_width;
  uint8_t *d8;            /* n_syn delays when RT_DELAY_U8 */
  uint16_t *d16;          /* n_syn delays when RT_DELAY_U16 */
  uint32_t delay_uniform; /* the delay when RT_DELAY_UNIFORM */
  uint32_t delay_min, delay_max; /* steps, >= 1 (0, 0 when n_syn == 0) */
} RtConn;

typedef enum {
  RT_CONN_ALL_TO_ALL = 0,
  RT_CONN_ONE_TO_ONE = 1,
  RT_CONN_FIXED_PROB = 2,      /* each (i, j) independently with probability p */
  RT_CONN_FIXED_INDEGREE = 3,  /* every target gets k sources */
  RT_CONN_FIXED_OUTDEGREE = 4, /* every source gets k targets */
} RtConnRule;

/* A generated projection.  autapses: allow i -> i (set it for projections
 * between different populations; it excludes source i -> target i for
 * every rule).  multapses: allow repeated (i, j) pairs (fixed in/out-degree
 * only; all-to-all, one-to-one and fixed probability never repeat a pair).
 * Weights are the constant `weight`; delays are drawn uniformly from the
 * integers [delay_lo, delay_hi] (equal: a constant delay). */
typedef struct RtConnSpec {
  RtConnRule rule;
  uint32_t n_src, n_tgt;
  double p;                 /* RT_CONN_FIXED_PROB */
  uint32_t k;               /* RT_CONN_FIXED_INDEGREE / OUTDEGREE */
  int autapses, multapses;
  uint64_t seed;
  double weight;
  int weight_f32;
  int weight_shared;        /* store the constant weight once, not per synapse */
  int narrow;               /* 16-bit target indices when n_tgt <= 65536 */
  uint32_t delay_lo, delay_hi; /* steps, 1 <= lo <= hi <= RT_DELAY_MAX */
} RtConnSpec;

/* Build a projection.  Deterministic: the synapses of source i (targets,
 * then delays) come from Philox streams keyed by the seed with counters
 * (purpose, i, draw); for the fixed in-degree rule the sources of target j
 * from (purpose, j, draw).  The result is the same whatever order or thread
 * count the rows are built in, and a row does not depend on n_src. */
int rt_conn_build(RtConn *c, const RtConnSpec *spec, char *err, size_t errlen);

/* Build a projection from an edge list: m synapses src[e] -> tgt[e] with
 * weight w[e] and delay delay[e] steps (delay NULL: all 1 step).  Every
 * delay must be >= 1 step; a bad synapse is named in the message by its
 * index e, source and target.  Edge lists are taken as given: the autapse
 * and multapse switches do not apply. */
int rt_conn_from_edges(RtConn *c, uint32_t n_src, uint32_t n_tgt, size_t m,
                       const uint32_t *src, const uint32_t *tgt, const double *w,
                       const uint32_t *delay, int weight_f32, char *err, size_t errlen);

/* Round delays given in seconds to steps of dt: steps[e] = round(delay[e]/dt).
 * A delay shorter than dt (less than one step before rounding) is an error
 * naming synapse e.  *max_rel_err (may be NULL) receives the largest
 * |rounded - delay| / delay. */
int rt_delays_to_steps(size_t m, const double *delay, double dt, uint32_t *steps,
                       double *max_rel_err, char *err, size_t errlen);

void rt_conn_free(RtConn *c);

static inline uint32_t rt_conn_delay(const RtConn *c, uint64_t k) {
  return c->delay_width == RT_DELAY_U8    ? c->d8[k]
         : c->delay_width == RT_DELAY_U16 ? c->d16[k]
                                          : c->delay_uniform;
}
static inline uint32_t rt_conn_target(const RtConn *c, uint64_t k) {
  return c->tgt16 ? c->tgt16[k] : c->tgt[k];
}
static inline double rt_conn_weight(const RtConn *c, uint64_t k) {
  return c->weight_shared ? c->weight : c->weight_f32 ? (double)c->w32[k] : c->w[k];
}

/* Memory: bytes of one synapse's own fields (index + weight + delay), and
 * all bytes of the projection including the row offsets. */
size_t rt_conn_syn_bytes(const RtConn *c);
size_t rt_conn_bytes(const RtConn *c);
/* Bytes of the CSR arrays alone: row offsets, targets, weights, delays
 * (rt_conn_bytes without the struct): what run.json reports. */
size_t rt_conn_array_bytes(const RtConn *c);

/* ---- spike delivery: per-delay ring buffers ----------------------------- */

/* max_delay + 1 slots of n_tgt doubles: the input each target receives at
 * a future step s lives in slot s mod (max_delay + 1).  Slots are 64-byte
 * aligned.  Each slot also lists the targets written to it (with repeats)
 * while they are few, up to list_cap; past that the slot is marked dense
 * (RT_RING_DENSE) and read in full.  Sparse activity then costs time in
 * proportion to the synaptic events, not to the number of targets. */
#define RT_RING_DENSE UINT32_MAX
typedef struct RtRing {
  uint32_t n_tgt;
  uint32_t max_delay;
  uint32_t nslots;        /* max_delay + 1 */
  size_t stride;          /* doubles between two slots */
  double *buf;            /* nslots * stride doubles */
  uint32_t list_cap;      /* targets listed per slot before it turns dense */
  uint32_t *list;         /* nslots * list_cap target indices */
  uint32_t *nlist;        /* per slot: listed targets, or RT_RING_DENSE */
  char err[256];          /* why the last rt_deliver* failed */
} RtRing;

int rt_ring_init(RtRing *r, uint32_t n_tgt, uint32_t max_delay, char *err, size_t errlen);
void rt_ring_free(RtRing *r);

/* Spikes of step `step` from the sources src[0..n): for each spike in the
 * given order and each synapse of its row in row order, add the weight to
 * slot (step + delay) of the target.  Returns 0, or -1 with r->err set
 * (projection and ring do not match, or a source index out of range) and
 * nothing delivered.  Give the spikes of one step in ascending source order
 * for results that do not depend on the detection order. */
int rt_deliver(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n);
/* The same for the targets [lo, hi) of the projection only, into a ring of
 * hi - lo targets (ring index = target - lo): one thread's share.  Every
 * target's sum keeps the order of rt_deliver, so a split gives the same
 * numbers bit for bit. */
int rt_deliver_part(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n,
                    uint32_t lo, uint32_t hi);
/* Where each row's synapses into targets [lo, hi) start and end (the
 * rows are sorted by target): row i's are row[i] + cut[2i] .. row[i] +
 * cut[2i + 1].  8 bytes per source; NULL when out of memory or a row is
 * longer than 2^32 synapses.  rt_deliver_cut is rt_deliver_part with
 * them: without, every spike costs two binary searches in its row, each
 * step a dependent load (the CPU that a second thread adds to delivery). */
uint32_t *rt_conn_cuts(const RtConn *c, uint32_t lo, uint32_t hi);
int rt_deliver_cut(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n, uint32_t lo,
                   uint32_t hi, const uint32_t *cut);

/* The input of step `step`: out[j] = slot[j] for every target, then the
 * slot is cleared.  Call it once per step, before or after that step's
 * rt_deliver (delays are >= 1, so step's own slot is never written then). */
void rt_take(RtRing *r, int64_t step, double *out);

/* The input of step `step` added to x (x[j] += slot[j] for every target
 * written to, in any order: each target's sum is the same), then the slot
 * is cleared.  Costs the number of listed targets while the slot is
 * sparse. */
void rt_drain(RtRing *r, int64_t step, double *x);

/* The most states one projection delivers into (a synapse's increments). */
#define RT_DRAIN_MAX 8

/* As rt_drain, into n <= RT_DRAIN_MAX states: x[e][j] += c[e] * slot[j]. */
void rt_drain_into(RtRing *r, int64_t step, double *const *x, const double *c, int n);

/* ---- Tsodyks–Markram short-term plasticity ------------------------------ */

/* Parameters of a projection (seconds).  tau_fac = 0: no facilitation,
 * u = U at every spike. */
typedef struct RtTmParams {
  double U, tau_rec, tau_fac;
} RtTmParams;

/* One synapse's state (u, R) after its last spike at t_last (NaN: none
 * yet, u = 0 and R = 1).  At a spike at t >= t_last: decay exactly over
 * D = t - t_last (u <- u e^{-D/tau_fac}, R <- 1 - (1 - R) e^{-D/tau_rec}),
 * then u <- u + U (1 - u), release = u R, R <- R - u R.  Returns the
 * release; the delivered weight is w * release. */
double rt_tm_spike(const RtTmParams *p, double *u, double *R, double *t_last, double t);

/* Per-synapse state for one projection: 24 bytes per synapse. */
typedef struct RtStp {
  RtTmParams p;
  uint64_t n_syn;
  double *u, *R, *t_last;
} RtStp;

int rt_stp_init(RtStp *s, const RtConn *c, RtTmParams p, char *err, size_t errlen);
void rt_stp_free(RtStp *s);

/* rt_deliver with every synapse's weight scaled by its release u R; the
 * spike of src[i] happened at t[i] seconds (interpolated spike times, not
 * necessarily on the grid). */
int rt_deliver_stp(RtRing *r, const RtConn *c, RtStp *s, int64_t step, const uint32_t *src,
                   const double *t, size_t n);
/* rt_deliver_stp for the targets [lo, hi) only (see rt_deliver_part): each
 * synapse's (u, R) is updated by the part that owns its target. */
int rt_deliver_stp_part(RtRing *r, const RtConn *c, RtStp *s, int64_t step, const uint32_t *src,
                        const double *t, size_t n, uint32_t lo, uint32_t hi);

/* ---- Poisson input --------------------------------------------------------- */

/* Inversion of Poisson(lam) for one constant lam on 32-bit uniforms u:
 * the count is the least n with u < T[n], T[n] = floor(2^32 F(n)) with F
 * the distribution function, and T[len - 1] = 2^32 (the tail beyond,
 * of mass below 2^-32, is folded into the last count).  Every probability
 * is exact to 2^-32.  guide[b] is the least n with T[n] > b 2^24, where the
 * search for a u in bucket b starts: about one comparison per draw. */
typedef struct RtPoissonTable {
  uint64_t *T;
  uint32_t len;
  uint32_t guide[257];
} RtPoissonTable;

/* Largest mean that gets a table (about lam + 13 sqrt(lam) + 30 entries). */
#define RT_POISSON_TABLE_MAX 1e5

/* The table for mean lam (0 <= lam <= RT_POISSON_TABLE_MAX): 0, or -1 when
 * out of memory.  Free t->T with free(). */
int rt_poisson_table_init(RtPoissonTable *t, double lam);

static inline uint32_t rt_poisson_table_draw(const RtPoissonTable *t, uint32_t u) {
  uint32_t n = t->guide[u >> 24];
  while (u >= t->T[n]) n++;
  return n;
}


#ifdef __cplusplus
}
#endif

#endif
