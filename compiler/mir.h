/* compiler/mir.h — the model IR: what the checked AST is lowered to, and
 * what code generation consumes.
 *
 * Everything here is already in coherent SI units (seconds, volts, siemens
 * per square metre, ...): the lowering folded every unit scale into the
 * constants.  A model is a flat list of states and parameters, an ordered
 * list of derived quantities (evaluated top to bottom, each may use the ones
 * before it), and for each state its right-hand side and the data its solver
 * needs.  The model is evaluated for N independent instances stored as
 * structure of arrays (see runtime/msnrt.h for the kernel ABI).
 */
#ifndef MSN_MIR_H
#define MSN_MIR_H

#include <stdbool.h>
#include <stdint.h>

typedef enum MirOp {
  MIR_CONST,   /* value */
  MIR_PARAM,   /* index into Mir.params */
  MIR_STATE,   /* index into Mir.states */
  MIR_DERIVED, /* index into Mir.derived (must be < the user's own index) */
  MIR_TIME,    /* current time t (s) */
  MIR_NEG,     /* -a */
  MIR_ADD, MIR_SUB, MIR_MUL, MIR_DIV, /* a op b */
  MIR_POWI,    /* a ^ ival (integer, may be negative or 0) */
  MIR_LT, MIR_LE, MIR_GT, MIR_GE, MIR_EQ, MIR_NE, /* 1.0 or 0.0 */
  MIR_AND, MIR_OR, MIR_NOT,                        /* on 0/1 values */
  MIR_SELECT,  /* a != 0 ? b : c */
  MIR_CALL,    /* builtin fn with nargs args (args[]) */
  MIR_WINDOW   /* stimulus window [a, b): in the staggered step kernel the
                  fraction of the step [t, t+dt] that lies inside [a, b)
                  (the exact time average of the indicator); in rhs and
                  init kernels the indicator (a <= t && t < b) */
} MirOp;

typedef enum MirFn {
  MIR_FN_EXP, MIR_FN_LOG, MIR_FN_SQRT, MIR_FN_POW, MIR_FN_ABS,
  MIR_FN_MIN, MIR_FN_MAX, MIR_FN_TANH, MIR_FN_SIN, MIR_FN_COS,
  MIR_FN_SIGMOID, /* 1/(1+exp(-x)) */
  MIR_FN_EXPRELR, /* x/(exp(x)-1), 1 at x == 0, accurate near 0 */
  MIR_FN_COUNT
} MirFn;

typedef struct MirExpr MirExpr;
struct MirExpr {
  MirOp op;
  double value;      /* MIR_CONST */
  int index;         /* MIR_PARAM / MIR_STATE / MIR_DERIVED */
  int ival;          /* MIR_POWI exponent */
  MirFn fn;          /* MIR_CALL */
  int nargs;         /* MIR_CALL: 1 or 2 */
  MirExpr *a, *b, *c;/* operands; MIR_CALL uses a (and b) */
};

typedef enum MirSolver {
  MIR_SOLVE_CNEXP, /* x' = lin_a + lin_b * x with lin_a, lin_b free of x:
                      exact update x <- x_inf + (x - x_inf) * exp(lin_b*dt),
                      x_inf = -lin_a/lin_b (staggered half a step from the
                      voltage-like states) */
  MIR_SOLVE_CN,    /* linearised Crank–Nicolson:
                      x <- x + dt * f / (1 - dt/2 * jac), with f = rhs and
                      jac = d rhs / d x evaluated at the step's start */
  MIR_SOLVE_EULER, /* fallback: x <- x + dt * rhs */
  MIR_SOLVE_EXP    /* x' = lin_a + lin_b * x like CNEXP, but on whole steps
                      with the CN states (the reset state of an
                      integrate-and-fire cell): exact over [t, t+dt] */
} MirSolver;

typedef struct MirParam {
  const char *name;     /* qualified: "gbar_Na", "C", "I_amp" */
  const char *unit;     /* display unit as written, "mS/cm^2"; "1" if none */
  double scale;         /* SI value of one display unit */
  double value;         /* default, SI */
  bool per_instance;    /* has its own column: values differ per instance */
  double *inst_values;  /* per_instance: n_instances SI values */
  signed char dim[6];   /* dimension exponents L M T I K N (units.h order),
                           copied to MsnParamDesc.dim for --set checks */
} MirParam;

typedef struct MirState {
  const char *name;     /* "V", "m_Na" */
  const char *qual;     /* qualified NAME_CHANNEL ("m_Na") even when name is
                           short; initial values of populations accept it */
  const char *unit;     /* display unit */
  double scale;
  MirExpr *init;        /* initial value; may use params, MIR_TIME (= 0) and
                           states with a smaller index (already initialised) */
  MirExpr *rhs;         /* dx/dt in SI */
  MirSolver solver;
  MirExpr *lin_a, *lin_b; /* CNEXP */
  MirExpr *jac;           /* CN: d rhs / d x */
  const char *why;      /* human-readable reason for the solver choice */
  MirExpr *noise;       /* amplitude g of the white noise in dx = rhs dt + g dW,
                           i.e. sqrt(2 D) for x' = f + noise(D) (SI: x's unit per
                           sqrt(s)); NULL without noise.  Rates models and point
                           cells (states of cells, channels and synapses) */
} MirState;

typedef struct MirDerived {
  const char *name;
  MirExpr *e;
} MirDerived;

typedef enum MirMethod {
  MIR_METHOD_STAGGERED, MIR_METHOD_RK4, MIR_METHOD_RK45,
  MIR_METHOD_EULER,  /* forward Euler; with noise Euler-Maruyama (Ito) */
  MIR_METHOD_HEUN,   /* explicit trapezoid; with noise stochastic Heun (Stratonovich) */
  MIR_METHOD_EXP_EULER, /* neural fields only: exponential Euler (runtime/rt_field.c) */
  MIR_METHOD_BACKWARD_EULER, MIR_METHOD_CRANK_NICOLSON /* densities only (runtime/rt_density.c) */
} MirMethod;

typedef struct MirRecord {
  int state;            /* index into states */
} MirRecord;

typedef struct Mir {
  const char *name;     /* model name, also the symbol prefix */
  const char *source;   /* path of the main .msn file */
  MirParam *params; int nparams;
  MirState *states; int nstates;
  MirDerived *derived; int nderived;
  int64_t n_instances;
  /* spike detection: upward crossing of states[spike_state] through
     spike_threshold (SI); spike_state < 0 when the model has none */
  int spike_state; double spike_threshold;
  /* integrate-and-fire (reset/refractory statements): after a spike the
     spike state is set to reset_value and held there for refractory (s).
     reset_lin_a/b: its equation as x' = a + b x (exactly when reset_exact,
     else linearised at the current state: b = d rhs/dx, a = rhs - b x) */
  bool has_reset, reset_exact;
  double reset_value, refractory;
  MirExpr *reset_lin_a, *reset_lin_b;
  /* simulate block (SI) */
  MirMethod method;
  double duration, dt, record_every, rtol, atol;
  MirRecord *records; int nrecords;
  bool record_spikes;
  bool rates;           /* a rates block: no membrane, no staggered kernels */
  const struct MirPopulation *population; /* field / density (compiler/population.h), or NULL */
  const struct NetSpec *network; /* populations and projections (compiler/network.h), or NULL */
  const struct MirCable *cable; /* a cell with a morphology (compiler/cable.h), or NULL */
  const struct MirCells *cells; /* a network of several cells (below), or NULL */
} Mir;

/* A network whose populations are of different cells (compiler/
 * lower_cells.c).  Each cell is lowered alone into its own model; the
 * network's model holds the union of their states and parameters (no
 * equations of its own), and its kernels run each cell's kernels on the
 * instances of that cell's populations, with the cell's columns and
 * parameters picked out of the union by smap and pmap. */
typedef struct MirCells {
  int n;
  Mir **cell;           /* n models, named NETWORK_cellI (symbol prefixes) */
  int **smap;           /* smap[c][k]: the network's state for state k of cell c */
  int **pmap;           /* pmap[c][j]: the network's parameter for parameter j */
} MirCells;


/* ---- construction (compiler/mir.c): nodes are allocated in an arena and
 * simplified as they are built (constant folding, x*1, x+0, x*0). ---- */
struct Arena;
MirExpr *mir_const(struct Arena *a, double v);
MirExpr *mir_ref(struct Arena *a, MirOp op, int index); /* PARAM/STATE/DERIVED */
MirExpr *mir_time(struct Arena *a);
MirExpr *mir_neg(struct Arena *a, MirExpr *x);
MirExpr *mir_bin(struct Arena *a, MirOp op, MirExpr *x, MirExpr *y);
MirExpr *mir_powi(struct Arena *a, MirExpr *x, int n);
MirExpr *mir_call(struct Arena *a, MirFn fn, MirExpr *x, MirExpr *y);
MirExpr *mir_select(struct Arena *a, MirExpr *c, MirExpr *x, MirExpr *y);
MirExpr *mir_window(struct Arena *a, MirExpr *from, MirExpr *to);
bool mir_is_const(const MirExpr *e, double v);
const char *mir_fn_name(MirFn fn);
/* e evaluated with parameter defaults, states y (NULL: all 0) and time t. */
double mir_eval(const Mir *m, const MirExpr *e, const double *y, double t);

/* ---- symbolic analysis (compiler/deriv.c) ---- */
/* Does e depend on state s (through derived quantities too)? */
bool mir_depends_on(const Mir *m, const MirExpr *e, int s);
/* d e / d state s, derived quantities expanded; simplified. */
MirExpr *mir_diff(struct Arena *a, const Mir *m, const MirExpr *e, int s);
/* e with state s replaced by v and derived quantities that depend on s
 * expanded. */
MirExpr *mir_subst(struct Arena *a, const Mir *m, const MirExpr *e, int s, MirExpr *v);
/* e with every derived quantity expanded (for init expressions). */
MirExpr *mir_expand(struct Arena *a, const Mir *m, const MirExpr *e);

#endif
