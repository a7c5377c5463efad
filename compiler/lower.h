/* compiler/lower.h — shared by the lowerings of compiler/lower.c (a cell
 * with its simulate block) and of other targets (channel kernels): the
 * model being built, the environment of names, and the building blocks. */
#ifndef MSN_LOWER_H
#define MSN_LOWER_H

#include "msnc.h"

typedef struct Bind { const Sym *sym; MirExpr *val; } Bind;

typedef struct Lower {
  Compilation *c;
  Arena *A;
  Diag *diag;
  Mir *m;
  int capp, caps, capd;
  Bind *env;
  int nenv, capenv;
  MirExpr **args; /* arguments of the user function being inlined */
  const char **qual; /* qualified state names, parallel to m->states */
  int celsius;     /* index of the celsius parameter */
  int v_state;     /* index of the state V, or -1 (kernels: V is an input) */
  MirExpr *v;      /* what V means in expressions */
} Lower;

/* Start a model named name; V is state 0 only once the caller adds it. */
void lower_init(Lower *L, Compilation *c, const char *name);
/* Choose each state's solver, name states, move everything into the
 * arena; NULL when lowering reported errors since lower_init. */
Mir *lower_finish(Lower *L, int errors_before);

void lower_bind(Lower *L, const Sym *sym, MirExpr *val);
MirExpr *lower_lookup(Lower *L, const Sym *sym);
int lower_add_param(Lower *L, const char *name, const char *unit, double scale, double value);
int lower_add_state(Lower *L, const char *name, const char *qual, const char *unit, double scale);
MirExpr *lower_add_derived(Lower *L, const char *name, MirExpr *e);
MirExpr *lower_expr(Lower *L, const Expr *e);
int lower_param_from_stmt(Lower *L, Stmt *st, const char *name);
/* Lower one channel (its parameters, gates, states, definitions); returns
 * its current density (SI) as an expression. */
MirExpr *lower_channel(Lower *L, Decl *ch);
/* A point cell lowered alone as model `name`, with the simulate block's
 * settings; NULL on errors. */
Mir *lower_point_cell(Compilation *c, Decl *cell, const char *name);
/* compiler/lower_cells.c: a network whose populations are of several
 * cells (sema_net_several_cells); NULL on errors. */
Mir *lower_cells(Compilation *c);
/* compiler/lower_synapse.c: an inserted channel or synapse (a point
 * synapse's current divided by the cell's area), and the synapses that
 * projections insert implicitly, added to ionic. */
MirExpr *lower_synapse_inserted(Lower *L, Decl *ch);
MirExpr *lower_synapse_implicit(Lower *L, MirExpr *ionic);

#endif
