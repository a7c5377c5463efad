/* compiler/network.h — populations and projections (docs/language.md 5.9).
 *
 * compiler/sema_network.c checks `population` and `project` declarations
 * into a NetSpec (SimSpec.network); compiler/lower_network.c resolves the
 * state names against the lowered model (Mir.network); codegen emits it as
 * the MsnNetwork descriptor of runtime/msnrt_network.h.
 *
 * One model, many neurons: every population is a range of instances of the
 * simulated model, in declaration order (first, n).  With populations of
 * one cell the model is that cell; with several cells it is the union of
 * their models (compiler/lower_cells.c). */
#ifndef MSN_NETWORK_H
#define MSN_NETWORK_H

#include "sema.h"

/* kinds of sources, numbered as MsnPopulation.kind */
enum { NET_SRC_POISSON = 1, NET_SRC_REGULAR = 2, NET_SRC_SPIKES = 3 };

enum { NET_INIT_CONST = 0, NET_INIT_UNIFORM = 1, NET_INIT_NORMAL = 2 };

typedef struct NetInit {
  const char *state;   /* V or a state of the cell */
  Loc loc;
  int kind;            /* NET_INIT_* */
  double a, b;         /* SI: value | low, high | mean, sd */
  int index;           /* state index in the model (lowering) */
} NetInit;

typedef struct NetPop {
  const char *name;
  Loc loc;
  Decl *cell;
  int64_t first, n;    /* a source: first = -1 (no instances of the model) */
  PtrVec inits;        /* NetInit* */
  bool source;         /* `source NAME = N poisson RATE` */
  int kind;            /* 0 neurons or NET_SRC_* (MsnPopulation.kind) */
  double rate;         /* Hz (SI), each source */
  double phase;        /* NET_SRC_REGULAR: the first spike time, s */
  double *times;       /* NET_SRC_SPIKES: sorted spike times, s */
  int64_t *ids;        /*   from a file: the source of each time; NULL: every source */
  int ntimes;
  /* neurons: `rate = R` in the body, the expected firing rate (Hz, SI) for
   * the balance report (compiler/sema_balance.c) */
  bool has_rate_hint;
  double rate_hint;
  int nproj_declared, nproj_checked; /* projections into it: written, accepted */
  /* neurons, filled by lowering: the index of its cell among the network's
   * cells (compiler/lower_cells.c) and the cell's spike settings (SI) */
  int cell_index;
  bool spikes, has_reset, reset_exact;
  double threshold, reset, refractory;
} NetPop;

/* rules in the runtime's numbering (RtConnRule of runtime/rt_events.h) */
enum { NET_ALL_TO_ALL = 0, NET_ONE_TO_ONE = 1, NET_PROBABILITY = 2, NET_INDEGREE = 3,
       NET_OUTDEGREE = 4, NET_FROM_FILE = 5 /* `connect from "edges.csv"`: runtime/rt_edges.c */ };

typedef struct NetProj {
  int src, tgt;        /* population indices */
  const char *target;  /* the state the events increment */
  Loc loc, target_loc;
  int rule;            /* NET_* */
  double p;            /* NET_PROBABILITY */
  int64_t k;           /* NET_INDEGREE / NET_OUTDEGREE */
  double weight;       /* SI, in the target state's unit */
  double delay;        /* SI */
  bool autapses, multapses;
  bool tm;             /* Tsodyks–Markram: weight scaled by u R */
  double U, tau_rec, tau_fac;
  int index;           /* target state index in the model (lowering) */
  /* NET_FROM_FILE: the edge list (absolute path, read again by the
   * program when it starts), the SI value of one unit of its weight column
   * (the target state's unit), and what the compiler read: edges, sum of
   * the weights and of their squares (SI) */
  const char *edges;
  double edge_wscale;
  int64_t nedges;
  double edge_w1, edge_w2;
  bool scaled;         /* `weight W scale 1/sqrt(K)`: weight = W / sqrt(K) */
  /* `synapse S` instead of `target X` (compiler/sema_synapse.c): a spike
   * adds coef * weight to each state of S's on spike block */
  Decl *synapse;
  PtrVec deliver;      /* NetDeliver*, filled by compiler/lower_synapse.c */
} NetProj;

typedef struct NetDeliver {
  int state;              /* state index in the model */
  struct MirExpr *coef;   /* of the parameters only: the increment at w = 1 (SI) */
  struct MirExpr *decay;  /* a state that lives half a step ahead (cnexp) with
                             x' = a + b x, b of the parameters only: b, and the
                             increment is carried over that half step,
                             coef * e^(b dt/2); else NULL */
} NetDeliver;

typedef struct NetSpec {
  PtrVec pops;         /* NetPop* */
  PtrVec projs;        /* NetProj* */
  int64_t total;       /* neurons in all populations */
  char *balance;       /* the balance report (compiler/sema_balance.c), or NULL */
  PtrVec implicit;     /* Decl*: synapses of projections the cell does not insert */
  double rate_bin;     /* `record rates every W`: W in whole steps of dt (SI), or 0 */
  int64_t *rec;        /* `record X of exc[0, 5]`: the recorded neurons (instances), */
  int nrec;            /*   in the order written; none: every neuron */
  bool spikes_per_pop; /* `record spikes per population`: spikes_NAME.csv files */
} NetSpec;

struct Sema;
/* Check the populations and projections of the program (E09xx); when there
 * are any, fill sim->network and make sim->cell the populations' cell with
 * sim->instances = the total number of neurons. */
void sema_network(struct Sema *S, Arena *A, Diag *diag, Program *prog, SimSpec *sim);
/* Are the populations of neurons of net of more than one cell?  (Then the
 * network's model is the union of the cells', compiler/lower_cells.c.) */
bool sema_net_several_cells(const NetSpec *net);
/* In compiler/sema.c: check e as a top-level constant; with want.scale != 0
 * it must have want's dimension. */
bool sema_net_const(struct Sema *S, Expr *e, Unit want, const char *what);

/* compiler/sema_balance.c: the balance report of the checked network
 * (net->balance; W0954 where E and I do not cancel), the mean in-degree of
 * a projection, and printing the report (brief: one note per population). */
void sema_balance(Arena *A, Diag *diag, Program *prog, SimSpec *sim, NetSpec *net);
double sema_balance_indegree(const NetProj *pr, const NetPop *src, const NetPop *tgt);
void sema_balance_print(FILE *out, const NetSpec *net, bool brief);

struct Mir;
/* Resolve state names to indices in m; false (with diagnostics) on error. */
bool lower_network(Diag *diag, const SimSpec *sim, struct Mir *m);
/* The spike settings of population p's cell, lowered as cell. */
void lower_network_spike_settings(NetPop *p, const struct Mir *cell);

/* compiler/sema_synapse.c: `synapse S` of a projection into tgt_cell: S
 * must be a synapse; its weight unit goes to *wunit; S is inserted
 * implicitly when the cell does not insert it. */
bool sema_net_synapse(struct Sema *S, NetSpec *net, Program *prog, Decl *tgt_cell, Expr *name, Decl **syn,
                      Unit *wunit);
/* compiler/sema_synapse.c: the unit of state `name` (X or X_SYNAPSE) of a
 * synapse that cell inserts or that a projection names (then inserted
 * implicitly); false when there is none. */
bool sema_synapse_state_unit(Program *prog, Decl *cell, const char *name, Unit *u);
/* compiler/sema_synapse.c: the weight `we` of a projection into synapse
 * syn, whose weights are in wunit (E0912, with the factor that fixes it) */
bool sema_net_synapse_weight(struct Sema *S, Decl *tgt_cell, Decl *syn, Expr *we, Unit wunit);
/* compiler/lower_synapse.c: the (state, coefficient) pairs of projections
 * with a synapse; false (with diagnostics) on error. */
struct Compilation;
bool lower_synapse_deliveries(struct Compilation *c, struct Mir *m);
/* The same for one projection, whose target population's cell is m. */
bool lower_synapse_projection(struct Compilation *c, struct Mir *m, NetProj *pr);
/* compiler/lower_network.c: the state of model m named `name` (its name,
 * its qualified name, or the first qualified one with that short name), or -1 */
int lower_network_state(const struct Mir *m, const char *name);

#endif
