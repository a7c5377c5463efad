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
 * (compiler/codegen_network.c), evaluated once at the start of a run;
 * `msnc info` lists them (synapse_print_info). */
#include <stdio.h>
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

static bool inserts(const Decl *cell, const char *name) {
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    for (int k = 0; st->kind == ST_INSERT && k < st->names.n; k++)
      if (strcmp(((IdRef *)st->names.v[k])->name, name) == 0) return true;
  }
  return false;
}

/* Does a projection drive synapse syn of a population of cell? */
static bool driven(const NetSpec *net, const Decl *cell, const Decl *syn) {
  for (int i = 0; i < net->projs.n; i++) {
    const NetProj *pr = net->projs.v[i];
    if (pr->synapse == syn && ((const NetPop *)net->pops.v[pr->tgt])->cell == cell) return true;
  }
  return false;
}

/* The synapses that projections drive in the cell being lowered (sim.cell)
 * but that it does not insert itself: in a network of several cells, each
 * cell gets only those of the projections into its own populations. */
MirExpr *lower_synapse_implicit(Lower *L, MirExpr *ionic) {
  const NetSpec *net = L->c->sim.network;
  const Decl *cell = L->c->sim.cell;
  for (int i = 0; net && i < net->implicit.n; i++) {
    Decl *syn = net->implicit.v[i];
    if (cell && (inserts(cell, syn->name) || !driven(net, cell, syn))) continue;
    ionic = mir_bin(L->A, MIR_ADD, ionic, lower_synapse_inserted(L, syn));
  }
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

/* Does e use a state, the time or a window (anything but parameters and
 * constants)? */
static bool varies(const Mir *m, const MirExpr *e) {
  if (!e) return false;
  if (e->op == MIR_STATE || e->op == MIR_TIME || e->op == MIR_WINDOW) return true;
  if (e->op == MIR_DERIVED) return e->index >= 0 && e->index < m->nderived && varies(m, m->derived[e->index].e);
  return varies(m, e->a) || varies(m, e->b) || varies(m, e->c);
}

/* With the staggered scheme a cnexp state lives half a step ahead of V:
 * when a spike arrives at t, the state's column holds its value at
 * t + dt/2.  An increment c w at t has grown (decayed) to c w e^(b dt/2)
 * by then when x' = a + b x, exactly when b is a constant of the run: then
 * b is returned, and the coefficient function applies the factor.  Else
 * (b depends on V or states) NULL: the increment lands half a step late. */
static MirExpr *half_step_decay(const Mir *m, int k) {
  const MirState *s = &m->states[k];
  if (m->method != MIR_METHOD_STAGGERED || s->solver != MIR_SOLVE_CNEXP || varies(m, s->lin_b)) return NULL;
  return s->lin_b;
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
    } else {
      dv->decay = half_step_decay(L->m, dv->state);
    }
    vec_push(L->A, &pr->deliver, dv);
  }
  L->nenv = mark;
  return ok;
}

bool lower_synapse_projection(Compilation *c, Mir *m, NetProj *pr) {
  Lower L;
  memset(&L, 0, sizeof L);
  L.c = c;
  L.A = c->arena;
  L.diag = &c->diag;
  L.m = m;
  L.v_state = -1;
  bool ok = deliveries(&L, pr);
  free(L.env);
  return ok;
}

bool lower_synapse_deliveries(Compilation *c, Mir *m) {
  NetSpec *net = c->sim.network;
  bool ok = true;
  for (int i = 0; net && i < net->projs.n; i++) {
    NetProj *pr = net->projs.v[i];
    if (pr->synapse) ok &= lower_synapse_projection(c, m, pr);
  }
  return ok;
}

/* ---- msnc info --------------------------------------------------------------- */

/* One line per projection: its states and coefficients at the parameters'
 * defaults ("a += 1.86919 * w"). */
void synapse_print_info(FILE *out, const Mir *m) {
  const NetSpec *net = m->network;
  if (!net || !net->projs.n) return;
  fprintf(out, "\nprojections (a spike of weight w adds coefficient * w, SI, parameters at their defaults):\n");
  bool carried = false;
  for (int i = 0; i < net->projs.n; i++) {
    const NetProj *pr = net->projs.v[i];
    const NetPop *src = net->pops.v[pr->src], *tgt = net->pops.v[pr->tgt];
    fprintf(out, "  %s -> %s  %s %s, w = %g:", src->name, tgt->name, pr->synapse ? "synapse" : "target", pr->target,
            pr->weight);
    if (!pr->synapse) fprintf(out, " %s += w", m->states[pr->index].name);
    for (int j = 0; j < pr->deliver.n; j++) {
      const NetDeliver *dv = pr->deliver.v[j];
      fprintf(out, "%s %s += %.6g * w%s", j ? "," : "", m->states[dv->state].name, mir_eval(m, dv->coef, NULL, 0),
              dv->decay ? " (*)" : "");
      carried |= dv->decay != NULL;
    }
    fputc('\n', out);
  }
  if (carried)
    fprintf(out, "  (*) a state half a step ahead of V: the increment is carried over that half step, "
                 "times e^(b dt/2) for x' = a + b x\n");
}
