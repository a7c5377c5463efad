/* compiler/sema_internal.h — what compiler/sema.c shares with
 * compiler/sema_simulate.c: the checker's state and a few helpers.  The
 * other checkers (sema_cable.c, sema_network.c, ...) use the accessors of
 * sema.h instead. */
#ifndef MSN_SEMA_INTERNAL_H
#define MSN_SEMA_INTERNAL_H

#include "sema.h"

typedef struct Scope Scope;
struct Scope {
  Scope *parent;
  PtrVec syms; /* Sym* */
  bool constant; /* only constants may be used (parameter defaults) */
};

struct Sema {
  Arena *A;
  Diag *diag;
  Program *prog;
  Scope global, membrane;
  int func_depth;
  Decl *channel; /* the channel being checked (its gates may be used) */
  /* rates blocks (rate models): they see t but neither V nor celsius */
  Scope rates_env;     /* t, then the top level */
  Decl *rates;         /* the rates block being checked */
  Scope *rates_scope;  /* its own scope */
  PtrVec noise_ok;     /* noise(...) calls that are terms of the equation being checked */
  Sym *noise_state;    /* the state of that equation */
};

Unit sema_unit_of(const char *text);                 /* a unit of the internal tables */
Sym *sema_scope_find(Scope *sc, const char *name);    /* innermost first */
const char *sema_kind_word(SymKind k);                /* "gate", "channel", ... */
bool sema_is_zero_literal(const Expr *e);             /* a bare 0 */
bool sema_rates_has_noise(const Decl *d);             /* noise in an equation of block d */
/* The simulate block: model, duration, dt, method, ... into sim. */
void sema_check_simulate(Sema *S, Decl *d, SimSpec *sim);

#endif
