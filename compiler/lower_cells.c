/* compiler/lower_cells.c — a network whose populations are of different
 * cells (docs/language.md 5.9, "Populations of different cells").
 *
 * Each cell is lowered alone, into a model of its own with its own
 * equations, solvers and spike settings.  The network's model is their
 * union: one state column per state name (V and every state that several
 * cells share keep one column, since an instance belongs to one cell only),
 * one parameter per name when every cell that has it gives it the same
 * value and unit, else one per cell named CELL.NAME.  It has no equations
 * of its own: code generation (compiler/codegen_cells.c) makes its kernels
 * call each cell's kernels on the instances of that cell's populations, so
 * no instance does the work of another cell.  Initial values, projection
 * targets and synapses resolve against the population's own cell and are
 * then mapped into the union. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "network.h"

typedef struct Cells {
  Compilation *c;
  Arena *A;
  Diag *diag;
  NetSpec *net;
  Mir *m;            /* the union */
  MirCells *mc;
  Decl **decl;       /* the cells, in order of their first population */
  int caps, capp;
  int *owner;        /* the cell that brought each state of the union */
} Cells;

static NetPop *first_pop_of(const NetSpec *net, const Decl *cell) {
  for (int i = 0; i < net->pops.n; i++) {
    NetPop *p = net->pops.v[i];
    if (!p->source && p->cell == cell) return p;
  }
  return NULL;
}

/* The cells in order of their first population; each population learns
 * its cell's index.  Only point cells can share a model (E0905). */
static bool collect_cells(Cells *C) {
  bool ok = true;
  C->decl = arena_alloc(C->A, sizeof *C->decl * (size_t)(C->net->pops.n + 1));
  for (int i = 0; i < C->net->pops.n; i++) {
    NetPop *p = C->net->pops.v[i];
    if (p->source) continue;
    int k = 0;
    while (k < C->mc->n && C->decl[k] != p->cell) k++;
    if (k == C->mc->n) {
      if (sema_cable_cell_decl(p->cell)) {
        diag_error(C->diag, p->loc, "E0905", "population %s is of cell %s, which has a morphology: only point cells "
                   "can be mixed in a network", p->name, p->cell->name);
        diag_note(C->diag, (Loc){0}, "a network of several cells takes cells without `morphology`");
        ok = false;
      }
      C->decl[C->mc->n++] = p->cell;
    }
    p->cell_index = k;
  }
  return ok;
}

/* ---- the union of states and parameters ------------------------------------ */

static int union_state(Cells *C, int c, int k) {
  Mir *m = C->m;
  const MirState *s = &C->mc->cell[c]->states[k];
  for (int u = 0; u < m->nstates; u++) {
    if (strcmp(m->states[u].name, s->name) != 0) continue;
    if (strcmp(m->states[u].unit, s->unit) == 0 && m->states[u].scale == s->scale) {
      if (s->noise) m->states[u].noise = mir_const(C->A, 1); /* noisy in some cell: see below */
      return u;
    }
    NetPop *a = first_pop_of(C->net, C->decl[c]);
    diag_error(C->diag, a->loc, "E0905", "state %s of cell %s is in %s, but state %s of cell %s is in %s", s->name,
               C->decl[c]->name, s->unit, s->name, C->decl[C->owner[u]]->name, m->states[u].unit);
    diag_note(C->diag, (Loc){0}, "states of the same name share one column of the network: rename one of them");
    return -1;
  }
  if (m->nstates == C->caps) {
    C->caps = C->caps ? 2 * C->caps : 16;
    MirState *v = arena_alloc(C->A, sizeof *v * (size_t)C->caps);
    int *o = arena_alloc(C->A, sizeof *o * (size_t)C->caps);
    if (m->nstates) {
      memcpy(v, m->states, sizeof *v * (size_t)m->nstates);
      memcpy(o, C->owner, sizeof *o * (size_t)m->nstates);
    }
    m->states = v;
    C->owner = o;
  }
  C->owner[m->nstates] = c;
  MirState *n = &m->states[m->nstates];
  *n = *s;
  /* the equations stay with the cells: the network's model has none */
  n->init = n->rhs = mir_const(C->A, 0);
  n->lin_a = n->lin_b = n->jac = NULL;
  /* the network's noise kernels dispatch to the cells' (compiler/
   * codegen_cells.c): for the network only whether a column is noisy in
   * some cell counts, and that puts it among MsnModel.noise_states */
  n->noise = s->noise ? mir_const(C->A, 1) : NULL;
  return m->nstates++;
}

/* Does another cell have a parameter `name` with another value or unit? */
static bool param_differs(Cells *C, int c, const MirParam *p) {
  for (int o = 0; o < C->mc->n; o++) {
    const Mir *x = C->mc->cell[o];
    for (int j = 0; o != c && j < x->nparams; j++)
      if (strcmp(x->params[j].name, p->name) == 0 &&
          (x->params[j].value != p->value || x->params[j].scale != p->scale || strcmp(x->params[j].unit, p->unit) != 0))
        return true;
  }
  return false;
}

static int union_param(Cells *C, int c, int j) {
  Mir *m = C->m;
  const MirParam *p = &C->mc->cell[c]->params[j];
  const char *name = param_differs(C, c, p) ? arena_printf(C->A, "%s.%s", C->decl[c]->name, p->name) : p->name;
  for (int u = 0; u < m->nparams; u++)
    if (strcmp(m->params[u].name, name) == 0) return u;
  if (m->nparams == C->capp) {
    C->capp = C->capp ? 2 * C->capp : 32;
    MirParam *v = arena_alloc(C->A, sizeof *v * (size_t)C->capp);
    if (m->nparams) memcpy(v, m->params, sizeof *v * (size_t)m->nparams);
    m->params = v;
  }
  m->params[m->nparams] = *p;
  m->params[m->nparams].name = name;
  return m->nparams++;
}

/* e of cell c (parameters and constants) in the union's indices */
static MirExpr *remap(Cells *C, int c, const MirExpr *e) {
  if (!e) return NULL;
  MirExpr *x = arena_alloc(C->A, sizeof *x);
  *x = *e;
  if (e->op == MIR_PARAM) x->index = C->mc->pmap[c][e->index];
  if (e->op == MIR_STATE) x->index = C->mc->smap[c][e->index];
  x->a = remap(C, c, e->a);
  x->b = remap(C, c, e->b);
  x->c = remap(C, c, e->c);
  return x;
}

/* The spike state: one column for all cells that spike (E0905). */
static bool merge_spikes(Cells *C) {
  Mir *m = C->m;
  int first = -1;
  for (int c = 0; c < C->mc->n; c++) {
    const Mir *x = C->mc->cell[c];
    if (x->spike_state < 0) continue;
    int u = C->mc->smap[c][x->spike_state];
    if (first >= 0 && u != m->spike_state) {
      diag_error(C->diag, first_pop_of(C->net, C->decl[c])->loc, "E0905", "cell %s spikes when %s crosses its "
                 "threshold, but cell %s when %s does", C->decl[c]->name, x->states[x->spike_state].name,
                 C->decl[first]->name, m->states[m->spike_state].name);
      diag_note(C->diag, (Loc){0}, "the cells of a network spike on one state: write `spike when V crosses ...` in each");
      return false;
    }
    if (first < 0) {
      first = c;
      m->spike_state = u;
      m->spike_threshold = x->spike_threshold;
    }
    if (x->has_reset && !m->has_reset) {
      m->has_reset = true;
      m->reset_exact = x->reset_exact;
      m->reset_value = x->reset_value;
      m->refractory = x->refractory;
    }
  }
  return true;
}

/* `record X`: a state of one of the cells (E0412); instances of cells
 * without it record 0. */
static bool merge_records(Cells *C) {
  Mir *m = C->m;
  SimSpec *sim = &C->c->sim;
  m->record_spikes = sim->record_spikes || (!sim->records.n && m->spike_state >= 0);
  m->records = arena_alloc(C->A, sizeof *m->records * (size_t)(sim->records.n + 1));
  if (!sim->records.n && !sim->record_spikes) {
    m->records[m->nrecords++].state = lower_network_state(m, "V");
    return m->records[0].state >= 0;
  }
  bool ok = true;
  for (int i = 0; i < sim->records.n; i++) {
    IdRef *r = sim->records.v[i];
    int u = lower_network_state(m, r->name);
    if (u < 0) {
      diag_error(C->diag, r->loc, "E0412", "cannot record '%s': it is not a state of the network's cells", r->name);
      StrBuf b = {0};
      for (int k = 0; k < m->nstates; k++) sb_printf(&b, "%s%s", k ? ", " : "", m->states[k].name);
      char *names = sb_take(&b);
      diag_note(C->diag, (Loc){0}, "the states are: %s (and `spikes`)", names);
      free(names);
      ok = false;
      continue;
    }
    m->records[m->nrecords++].state = u;
  }
  return ok;
}

/* ---- the network on the union --------------------------------------------- */

static bool resolve_network(Cells *C) {
  NetSpec *net = C->net;
  bool ok = true;
  for (int i = 0; i < net->pops.n; i++) {
    NetPop *p = net->pops.v[i];
    if (p->source) continue;
    const Mir *x = C->mc->cell[p->cell_index];
    lower_network_spike_settings(p, x);
    for (int j = 0; j < p->inits.n; j++) {
      NetInit *in = p->inits.v[j];
      int k = lower_network_state(x, in->state);
      if (k < 0) {
        diag_error(C->diag, in->loc, "E0907", "cell %s has no state '%s'", p->cell->name, in->state);
        ok = false;
        continue;
      }
      in->index = C->mc->smap[p->cell_index][k];
    }
  }
  for (int i = 0; i < net->projs.n; i++) {
    NetProj *pr = net->projs.v[i];
    NetPop *src = net->pops.v[pr->src], *tgt = net->pops.v[pr->tgt];
    int c = tgt->cell_index;
    Mir *x = C->mc->cell[c];
    if (!src->source && !src->spikes) {
      diag_error(C->diag, pr->loc, "E0924", "the neurons of a projection must spike: %s has no `spike when` "
                 "statement", src->cell->name);
      ok = false;
      continue;
    }
    if (!pr->synapse) {
      int k = lower_network_state(x, pr->target);
      if (k < 0) {
        diag_error(C->diag, pr->target_loc, "E0911", "cell %s has no state '%s'", tgt->cell->name, pr->target);
        ok = false;
      } else {
        pr->index = C->mc->smap[c][k];
      }
      continue;
    }
    pr->index = -1;
    if (!lower_synapse_projection(C->c, x, pr)) { /* compiler/lower_synapse.c */
      ok = false;
      continue;
    }
    for (int j = 0; j < pr->deliver.n; j++) {
      NetDeliver *dv = pr->deliver.v[j];
      dv->state = C->mc->smap[c][dv->state];
      dv->coef = remap(C, c, mir_expand(C->A, x, dv->coef));
      dv->decay = dv->decay ? remap(C, c, mir_expand(C->A, x, dv->decay)) : NULL;
    }
  }
  return ok;
}

/* The union's name: the cells' names joined by '_' */
static const char *union_name(Cells *C) {
  StrBuf b = {0};
  for (int c = 0; c < C->mc->n; c++) sb_printf(&b, "%s%s", c ? "_" : "", C->decl[c]->name);
  char *s = sb_take(&b);
  const char *name = arena_strdup(C->A, s);
  free(s);
  return name;
}

Mir *lower_cells(Compilation *c) {
  Cells C = {.c = c, .A = c->arena, .diag = &c->diag, .net = c->sim.network};
  int before = c->diag.nerrors;
  C.mc = arena_alloc(C.A, sizeof *C.mc);
  if (!collect_cells(&C)) return NULL;
  MirCells *mc = C.mc;
  mc->cell = arena_alloc(C.A, sizeof *mc->cell * (size_t)mc->n);
  mc->smap = arena_alloc(C.A, sizeof *mc->smap * (size_t)mc->n);
  mc->pmap = arena_alloc(C.A, sizeof *mc->pmap * (size_t)mc->n);
  const char *name = union_name(&C);
  /* each cell alone: its own implicit synapses (sim.cell), no records */
  SimSpec *sim = &c->sim;
  Decl *cell0 = sim->cell;
  PtrVec records = sim->records;
  sim->records.n = 0;
  bool ok = true;
  for (int k = 0; k < mc->n; k++) {
    sim->cell = C.decl[k];
    mc->cell[k] = lower_point_cell(c, C.decl[k], arena_printf(C.A, "%s_cell%d", name, k)); /* compiler/lower.c */
    ok &= mc->cell[k] != NULL;
  }
  sim->cell = cell0;
  sim->records = records;
  if (!ok) return NULL;
  Mir *m = C.m = arena_alloc(C.A, sizeof *m);
  const Mir *x0 = mc->cell[0];
  m->name = name;
  m->source = x0->source;
  m->n_instances = C.net->total;
  m->spike_state = -1;
  m->method = x0->method;
  m->duration = x0->duration;
  m->dt = x0->dt;
  m->record_every = x0->record_every;
  m->rtol = x0->rtol;
  m->atol = x0->atol;
  m->cells = mc;
  for (int k = 0; k < mc->n; k++) { /* V first: every cell has it */
    const Mir *x = mc->cell[k];
    mc->smap[k] = arena_alloc(C.A, sizeof(int) * (size_t)(x->nstates + 1));
    mc->pmap[k] = arena_alloc(C.A, sizeof(int) * (size_t)(x->nparams + 1));
    for (int s = 0; s < x->nstates; s++)
      if ((mc->smap[k][s] = union_state(&C, k, s)) < 0) ok = false;
    for (int j = 0; j < x->nparams; j++) {
      mc->pmap[k][j] = union_param(&C, k, j);
      if (x->params[j].per_instance) { /* vary is not allowed with populations (E0922) */
        diag_error(C.diag, (Loc){0}, "E0601", "internal error: per-instance parameter %s in a network",
                   x->params[j].name);
        ok = false;
      }
    }
  }
  if (!ok || !merge_spikes(&C) || !merge_records(&C) || !resolve_network(&C)) return NULL;
  m->network = C.net;
  return c->diag.nerrors == before ? m : NULL;
}
