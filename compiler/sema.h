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
  PtrVec vary;      /* VarySpec* */
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

/* Formatting of a unit for messages: "mV (voltage)". */
char *sema_unit_text(Unit u, char *buf, size_t len);

#endif
