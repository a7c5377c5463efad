/* compiler/lower_synapse.c — synapses on the lowered model
 * (docs/language.md 5.10).
 *
 * A synapse inserted in a cell is lowered like a channel; a point synapse
 * (current in A) enters the membrane equation divided by the cell's
 * membrane area, `param area`, so that all terms stay current densities.
 * Synapses that projections drive but the cell does not insert are
 * inserted after the cell's own channels.
 *
 * Each projection into a synapse gets its (state, coefficient) pairs: the
 * increments of the on spike(w) block at w = 1, functions of the
 * parameters only (compiler/sema_synapse.c checks that), so that a spike
 * of weight W adds coefficient * W to the state.  Code generation emits
 * the coefficients as a function of the parameters
 * (compiler/codegen_network.c), evaluated once at the start of a run. */
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "network.h"

static int param_index(const Mir *m, const char *name) {
  for (int k = 0; k < m->nparams; k++)
    if (strcmp(m->params[k].name, name) == 0) return k;
  return -1;
}

MirExpr *lower_synapse_inserted(Lower *L, Decl *ch) {
  MirExpr *current = lower_channel(L, ch);
  if (!sema_synapse_is_point(ch)) return current;
  int area = param_index(L->m, "area"); /* a cell parameter: lowered before the inserts */
  if (area < 0) {
    diag_error(L->diag, ch->name_loc, "E0601", "internal error: point synapse %s in a cell without area", ch->name);
    return current;
  }
  return mir_bin(L->A, MIR_DIV, current, mir_ref(L->A, MIR_PARAM, area));
}

MirExpr *lower_synapse_implicit(Lower *L, MirExpr *ionic) {
  const NetSpec *net = L->c->sim.network;
  for (int i = 0; net && i < net->implicit.n; i++)
    ionic = mir_bin(L->A, MIR_ADD, ionic, lower_synapse_inserted(L, net->implicit.v[i]));
  return ionic;
}

/* The state X of synapse syn: named X, or X_SYN when another state shares
 * the short name (compiler/lower.c, name_states). */
static int synapse_state(const Mir *m, const char *x, const char *syn) {
  size_t n = strlen(x);
  for (int k = 0; k < m->nstates; k++) {
    const char *name = m->states[k].name;
    if (strncmp(name, x, n) == 0 && name[n] == '_' && strcmp(name + n + 1, syn) == 0) return k;
  }
  for (int k = 0; k < m->nstates; k++)
    if (strcmp(m->states[k].name, x) == 0) return k;
  return -1;
}

/* The deliveries of one projection into synapse syn. */
static bool deliveries(Lower *L, NetProj *pr) {
  Decl *syn = pr->synapse;
  Stmt *ev = sema_synapse_event(syn);
  int mark = L->nenv;
  for (int i = 0; i < syn->body.n; i++) {
    Stmt *st = syn->body.v[i];
    if (st->kind != ST_PARAM) continue;
    int k = param_index(L->m, arena_printf(L->A, "%s_%s", st->name, syn->name));
    if (k >= 0) lower_bind(L, st->sym, mir_ref(L->A, MIR_PARAM, k));
  }
  lower_bind(L, ev->sym, mir_const(L->A, 1)); /* the increment at w = 1 is the coefficient */
  bool ok = true;
  for (int i = 0; i < ev->body.n; i++) {
    Stmt *in = ev->body.v[i];
    NetDeliver *dv = arena_alloc(L->A, sizeof *dv);
    dv->state = synapse_state(L->m, in->name, syn->name);
    dv->coef = lower_expr(L, in->e);
    if (dv->state < 0) {
      diag_error(L->diag, in->name_loc, "E0601", "internal error: state %s of synapse %s is not in the model",
                 in->name, syn->name);
      ok = false;
    }
    vec_push(L->A, &pr->deliver, dv);
  }
  L->nenv = mark;
  return ok;
}

bool lower_synapse_deliveries(Compilation *c, Mir *m) {
  NetSpec *net = c->sim.network;
  Lower L;
  memset(&L, 0, sizeof L);
  L.c = c;
  L.A = c->arena;
  L.diag = &c->diag;
  L.m = m;
  L.v_state = -1;
  bool ok = true;
  for (int i = 0; net && i < net->projs.n; i++) {
    NetProj *pr = net->projs.v[i];
    if (pr->synapse) ok &= deliveries(&L, pr);
  }
  free(L.env);
  return ok;
}
