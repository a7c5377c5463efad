/* compiler/sema.h — name resolution and checks (units, arity, settings).
 *
 * sema_check walks the whole program: every declaration is checked once,
 * channels and gates as templates (V, t and celsius have fixed units), the
 * simulated cell with its inserted channels, and the simulate block.  Each
 * name is resolved to a Sym and each expression gets its dimension
 * (Expr.sym, Expr.unit).  Lowering (compiler/lower.c) relies on a program
 * that passed these checks. */
#ifndef MSN_SEMA_H
#define MSN_SEMA_H

#include "ast.h"

typedef enum SymKind {
  SYM_PARAM,    /* param x = ...        (decl: owner, stmt: the param) */
  SYM_STATE,    /* state x / gate state */
  SYM_LOCAL,    /* x = expr */
  SYM_GATE,     /* a gate: its name is its state */
  SYM_STIM,     /* stimulus amplitude */
  SYM_V,        /* the membrane potential */
  SYM_TIME,     /* t */
  SYM_CELSIUS,  /* celsius: temperature in degrees Celsius (number) */
  SYM_FUNC,     /* user function */
  SYM_ARG,      /* user function argument */
  SYM_UNIT,     /* a unit symbol used as a value: 1/ms */
  SYM_CHANNEL,
  SYM_CELL,
  SYM_RATES,    /* a rates block (rate model) */
  SYM_FIELD,    /* a field block (neural field) */
  SYM_DENSITY,  /* a density block (population density) */
  SYM_KERNEL,   /* a field's kernel (used only by conv(w, ...)) */
  SYM_MORPHOLOGY, /* a morphology block (compiler/sema_cable.c) */
} SymKind;

typedef struct Sym {
  SymKind kind;
  const char *name;
  Loc loc;
  Unit unit;
  Decl *decl;    /* declaring block (gate, channel, cell, func) or the decl itself */
  Stmt *stmt;    /* declaring statement, when there is one */
  double value;  /* SYM_PARAM: default (SI); SYM_UNIT: scale */
  int argi;      /* SYM_ARG: position */
  bool bad;      /* its definition had errors: uses are not checked again */
  bool recursive;/* SYM_FUNC: calls itself (reported once) */
} Sym;

/* What the simulate block asks for, with defaults filled in (SI). */
typedef struct VarySpec {
  const char *name; /* parameter name as in the model (gbar_Na, I_ext) */
  Loc loc;
  Unit unit;        /* of the values given */
  double *values;   /* n_instances values (SI) */
} VarySpec;

/* `record rates` without `every`: bins of 1 ms (docs/language.md 5.9) */
#define SIM_DEFAULT_RATE_BIN 1e-3

typedef struct SimSpec {
  Decl *cell;       /* the simulated model: a cell, or a rates block (DC_RATES) */
  Decl *simulate;   /* NULL when the file has none: defaults apply */
  double duration, dt, record_every, tolerance, celsius;
  Loc every_loc;    /* where the recording interval was set */
  int method;       /* MirMethod */
  bool method_given;/* method set in simulate; else lowering picks it (rates: rk4/heun) */
  long instances;
  PtrVec records;   /* IdRef* naming states */
  bool record_spikes;
  double rate_bin;  /* record rates every W: W (SI), 0 without (networks) */
  bool rate_bin_default; /* `record rates` without `every`: SIM_DEFAULT_RATE_BIN */
  Loc rate_loc;
  Loc spikes_per_pop_loc; /* `record spikes per population` (file set when given) */
  PtrVec record_of; /* Stmt* SIM_RECORD_OF: record X of exc[0, 5] (networks) */
  PtrVec vary;      /* VarySpec* */
  struct NetSpec *network; /* populations and projections (compiler/network.h), or NULL */
} SimSpec;

typedef struct Sema Sema;

/* Check the program; reports through diag.  The SimSpec is filled when
 * there is a model to simulate (cell != NULL). */
bool sema_check(Arena *arena, Diag *diag, Program *prog, SimSpec *sim);

/* Evaluate a checked constant expression (numbers, units, arithmetic,
 * builtins; no states, parameters or time) to its SI value. */
bool sema_const_value(const Expr *e, double *out);

/* Channel, gate, cell, function lookups for lowering. */
Decl *sema_find_decl(Program *prog, DeclKind kind, const char *name);
/* Has a cell noise(D) in its own equations or in those of a channel or
 * synapse it inserts? */
bool sema_cell_has_noise(Program *prog, const Decl *cell);

/* Formatting of a unit for messages: "mV (voltage)". */
char *sema_unit_text(Unit u, char *buf, size_t len);

/* ---- population models (compiler/sema_population.c) ----------------------
 * field and density blocks are checked there with these pieces of the
 * checker (sema.c); Scope is opaque. */
typedef struct Scope Scope;
bool sema_population_decl(const Decl *d);   /* DC_FIELD or DC_DENSITY */
void sema_check_population(Sema *S, Decl *d);
/* `method` of simulate against the simulated model: a field takes rk4 or
 * exp_euler, a density backward_euler or crank_nicolson, and those three
 * fit nothing else (E1015). */
void sema_population_method(Sema *S, const Decl *model, int method, Loc at);
Diag *sema_diag(Sema *S);
Arena *sema_arena(Sema *S);
Program *sema_program(Sema *S);
/* a new scope inside parent (NULL: t, then the top level) */
Scope *sema_scope_new(Sema *S, Scope *parent, bool constant);
void sema_scope_enter_rates(Sema *S, Decl *d, Scope *sc);
Sym *sema_declare(Sema *S, Scope *sc, SymKind kind, const char *name, Loc loc);
Sym *sema_lookup(Sema *S, Scope *sc, const char *name);
bool sema_check_expr(Sema *S, Scope *sc, Expr *e);
bool sema_expect_unit(Sema *S, Expr *e, Unit want, const char *what);
void sema_check_param(Sema *S, Scope *sc, Stmt *st);
void sema_check_def(Sema *S, Scope *sc, Stmt *st);
void sema_not_allowed(Sema *S, Stmt *st, const char *where, const char *hint);

/* ---- cables (compiler/sema_cable.c): morphologies, cells with one, and
 * locations sec(x) in stimuli and records (E08xx) */
bool sema_cable_cell_decl(const Decl *cell);  /* a cell with `morphology NAME` */
void sema_cable_morphology(Sema *S, Decl *d);
void sema_cable_cell(Sema *S, Decl *cell);
void sema_cable_simulate(Sema *S, Decl *simulate, SimSpec *sim);
/* the note for `distance` where it does not exist */
void sema_cable_note_distance(Sema *S);
/* `P_CHANNEL = ... [in REGION, ...]` in a cable cell: the channel and
 * its `param P` statement, or NULL (lowering uses it too) */
Decl *sema_cable_param_target(Program *prog, const Decl *cell, const char *name, Stmt **param);

/* ---- synapses (compiler/sema_synapse.c): `synapse` blocks are channels
 * (Decl.synapse) with an `on spike(w) { X += EXPR }` block (E094x) */
void sema_synapse_on_spike(Sema *S, Scope *sc, Decl *syn, Stmt *st);
void sema_synapse_current(Sema *S, Decl *syn, Stmt *st);
void sema_synapse_finish(Sema *S, Decl *syn, int nevents);
void sema_synapse_cells(Sema *S, Program *prog);
bool sema_synapse_needs_area(Sema *S, const Decl *cell, const Decl *syn, Loc where);
Stmt *sema_synapse_event(const Decl *syn);          /* its on spike statement, or NULL */
bool sema_synapse_weight_unit(const Decl *syn, Unit *u);
bool sema_synapse_is_point(const Decl *syn);        /* current in A, not A/m^2 */
Stmt *sema_synapse_area(const Decl *cell);          /* `param area` of a cell, or NULL */

#endif
