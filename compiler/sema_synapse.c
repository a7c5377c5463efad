/* compiler/sema_synapse.c — checks of `synapse` blocks (docs/language.md
 * 5.10, diagnostics E0940–E0948).
 *
 * A synapse is a channel (parsed as DC_CHANNEL with Decl.synapse set) with
 * one `on spike(w) { X += EXPR; ... }` block that says what a spike of
 * weight w does to its states.  The runtime delivers the weights of all
 * spikes that reach a neuron in one time step at once, through the ring
 * buffers of the projection (runtime/rt_network_run.c).  That is exact only
 * when a spike's effect is linear in w and independent of the neuron's
 * state, so every statement must be an increment of a state of the synapse
 * by an expression proportional to w that uses nothing but w, numbers,
 * units and the synapse's parameters.  The expression at w = 1 is then a
 * coefficient that lowering turns into one (state, coefficient) pair of
 * the projection (compiler/lower_synapse.c).
 *
 * The unit of w follows from the increments: for X += c * w it is
 * unit(X) / unit(c).  A synapse's current is a current density, as for a
 * channel, or a current (a point synapse, states in nS): a point synapse
 * needs the membrane area of the cell it is inserted in, `param area`. */
#include <string.h>

#include "msnc.h"
#include "network.h"

/* ---- linearity in w ------------------------------------------------------ */

enum { LIN_FREE = 0, LIN_W = 1, LIN_BAD = -1 };

typedef struct Lin {
  Sema *S;
  Scope *sc;
  const char *w;
  bool reported;
} Lin;

static const char *dependency_word(SymKind k) {
  switch (k) {
  case SYM_STATE: case SYM_GATE: return "state";
  case SYM_V: return "membrane potential";
  case SYM_TIME: return "time";
  case SYM_CELSIUS: return "temperature";
  case SYM_LOCAL: return "definition";
  default: return NULL;
  }
}

static int nonlinear(Lin *L, const Expr *e) {
  if (!L->reported) {
    diag_error(sema_diag(L->S), e->loc, "E0945", "the effect of a spike must be proportional to its weight %s", L->w);
    diag_note(sema_diag(L->S), (Loc){0}, "write X += c * %s with c free of %s: the weights that reach a neuron in one "
              "time step are summed and delivered at once", L->w, L->w);
    L->reported = true;
  }
  return LIN_BAD;
}

/* LIN_W when e is c * w with c free of w, LIN_FREE when e does not use w;
 * a name other than w, a parameter or a unit is an error (E0944). */
static int lin_class(Lin *L, const Expr *e) {
  switch (e->kind) {
  case EX_NUM: return LIN_FREE;
  case EX_NAME: {
    if (strcmp(e->name, L->w) == 0) return LIN_W;
    Sym *s = sema_lookup(L->S, L->sc, e->name);
    const char *what = s ? dependency_word(s->kind) : NULL;
    if (what && !L->reported) {
      diag_error(sema_diag(L->S), e->loc, "E0944", "the effect of a spike cannot depend on the %s %s", what, e->name);
      diag_note(sema_diag(L->S), (Loc){0}, "on spike uses the weight %s, numbers and the synapse's parameters "
                "only: the increment must be the same for every neuron and every moment", L->w);
      L->reported = true;
    }
    return what ? LIN_BAD : LIN_FREE;
  }
  case EX_CALL:
    for (int i = 0; i < e->args.n; i++) {
      int c = lin_class(L, e->args.v[i]);
      if (c == LIN_BAD) return LIN_BAD;
      if (c == LIN_W) return nonlinear(L, e);
    }
    return LIN_FREE;
  case EX_NEG: return lin_class(L, e->a);
  case EX_NOT: {
    int c = lin_class(L, e->a);
    return c == LIN_W ? nonlinear(L, e) : c;
  }
  case EX_COND: {
    int c = lin_class(L, e->a), a = lin_class(L, e->b), b = lin_class(L, e->c);
    if (c == LIN_BAD || a == LIN_BAD || b == LIN_BAD) return LIN_BAD;
    if (c == LIN_W || a != b) return nonlinear(L, e);
    return a;
  }
  case EX_BINARY: {
    int a = lin_class(L, e->a), b = lin_class(L, e->b);
    if (a == LIN_BAD || b == LIN_BAD) return LIN_BAD;
    switch (e->op) {
    case OP_ADD: case OP_SUB: return a == b ? a : nonlinear(L, e);
    case OP_MUL: return a == LIN_W && b == LIN_W ? nonlinear(L, e) : a + b;
    case OP_DIV: return b == LIN_W ? nonlinear(L, e) : a;
    default: return a == LIN_W || b == LIN_W ? nonlinear(L, e) : LIN_FREE;
    }
  }
  }
  return LIN_BAD;
}

/* ---- on spike(w) { X += EXPR } --------------------------------------------- */

static bool is_own_state(Decl *syn, Sym *x) {
  return x && x->kind == SYM_STATE && x->decl == syn;
}

/* One increment X += EXPR; *wunit is the unit of w found so far (scale 0:
 * none yet), *first the increment that fixed it. */
static void check_incr(Sema *S, Scope *wsc, Decl *syn, Sym *w, Stmt *st, Unit *wunit, Stmt **first) {
  Diag *diag = sema_diag(S);
  Sym *x = sema_lookup(S, wsc, st->name);
  if (!is_own_state(syn, x)) {
    diag_error(diag, st->name_loc, "E0943", "on spike can only increment a state of synapse %s, and '%s' is not one",
               syn->name, st->name);
    if (x && x->kind == SYM_V)
      diag_note(diag, (Loc){0}, "for a jump of the membrane potential, project with `target V` instead");
    else
      diag_note(diag, (Loc){0}, "declare it in the synapse with `state %s = VALUE`", st->name);
    return;
  }
  st->sym = x;
  Lin L = {.S = S, .sc = wsc, .w = w->name};
  int c = lin_class(&L, st->e);
  if (c == LIN_BAD) return;
  if (c == LIN_FREE) {
    diag_error(diag, st->e->loc, "E0945", "the increment of %s does not use the weight %s", st->name, w->name);
    diag_note(diag, (Loc){0}, "a spike of weight %s changes %s by c * %s: write %s += c * %s", w->name, st->name,
              w->name, st->name, w->name);
    return;
  }
  /* checked with w a plain number, e has the unit of the coefficient c */
  w->unit = units_one();
  if (!sema_check_expr(S, wsc, st->e) || x->unit.scale == 0) return;
  Unit u = units_div(x->unit, st->e->unit);
  if (!*first) {
    *wunit = u;
    *first = st;
    return;
  }
  if (!units_same_dim(u, *wunit)) {
    char a[160], b[160];
    diag_error(diag, st->loc, "E0946", "here the weight %s would be %s, but it is %s in the increment of %s", w->name,
               sema_unit_text(u, a, sizeof a), sema_unit_text(*wunit, b, sizeof b), (*first)->name);
    diag_note(diag, (*first)->loc, "the first increment is here; every increment takes the same weight");
  }
}

void sema_synapse_on_spike(Sema *S, Scope *sc, Decl *syn, Stmt *st) {
  Diag *diag = sema_diag(S);
  IdRef *on = st->names.v[0];
  if (strcmp(on->name, "on") != 0) {
    diag_error(diag, on->loc, "E0940", "expected `on spike(%s) { ... }`, not `%s spike`", st->name, on->name);
    return;
  }
  Scope *wsc = sema_scope_new(S, sc, false);
  Sym *w = sema_declare(S, wsc, SYM_LOCAL, st->name, st->name_loc);
  w->stmt = st;
  w->decl = syn;
  st->sym = w;
  Unit wunit = {0};
  Stmt *first = NULL;
  for (int i = 0; i < st->body.n; i++) {
    Stmt *in = st->body.v[i];
    if (in->kind != ST_INCR) {
      diag_error(diag, in->loc, "E0942", "only increments X += EXPR are allowed in on spike");
      diag_note(diag, (Loc){0}, "the weights that reach a neuron in one time step are summed and delivered at once, "
                                "so a spike can only add c * %s to states of the synapse", st->name);
      continue;
    }
    check_incr(S, wsc, syn, w, in, &wunit, &first);
  }
  /* from here on w has the unit of a weight (sema_synapse_weight_unit) */
  w->unit = first ? wunit : units_one();
  if (!st->body.n) diag_error(diag, st->loc, "E0942", "on spike of synapse %s changes nothing", syn->name);
}

/* ---- the block --------------------------------------------------------------- */

Stmt *sema_synapse_event(const Decl *syn) {
  for (int i = 0; syn && i < syn->body.n; i++) {
    Stmt *st = syn->body.v[i];
    if (st->kind == ST_ON_SPIKE) return st;
  }
  return NULL;
}

bool sema_synapse_weight_unit(const Decl *syn, Unit *u) {
  Stmt *ev = sema_synapse_event(syn);
  if (!ev || !ev->sym || ev->sym->unit.scale == 0) return false;
  *u = ev->sym->unit;
  return true;
}

static Unit unit_named(const char *text) {
  Unit u;
  if (!units_parse(text, &u, NULL, 0, NULL)) u = units_one();
  return u;
}

bool sema_synapse_is_point(const Decl *syn) {
  if (!syn || !syn->synapse) return false;
  for (int i = 0; i < syn->body.n; i++) {
    Stmt *st = syn->body.v[i];
    if (st->kind == ST_CURRENT && st->e->unit.scale != 0) return units_same_dim(st->e->unit, unit_named("nA"));
  }
  return false;
}

void sema_synapse_current(Sema *S, Decl *syn, Stmt *st) {
  Unit u = st->e->unit;
  if (units_same_dim(u, unit_named("uA/cm^2")) || units_same_dim(u, unit_named("nA"))) return;
  char got[160];
  diag_error(sema_diag(S), st->e->loc, "E0304", "the current of synapse %s must be a current density (uA/cm^2) or a "
             "current (nA), but it is %s", syn->name, sema_unit_text(u, got, sizeof got));
  diag_note(sema_diag(S), (Loc){0}, "with a conductance g in nS, write current g * (V - E) (a point synapse); with g "
                                    "in mS/cm^2 the same gives a current density");
}

/* Every synapse needs its on spike block (projections deliver through it). */
void sema_synapse_finish(Sema *S, Decl *syn, int nevents) {
  if (nevents == 0) {
    diag_error(sema_diag(S), syn->name_loc, "E0941", "synapse %s has no on spike(w) { ... } block", syn->name);
    diag_note(sema_diag(S), (Loc){0}, "say what a spike of weight w does, e.g. on spike(w) { g += w }");
  }
}

/* The membrane area of a cell, `param area`, or NULL. */
Stmt *sema_synapse_area(const Decl *cell) {
  for (int i = 0; cell && i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_PARAM && strcmp(st->name, "area") == 0) return st;
  }
  return NULL;
}

/* A point synapse in `cell` (inserted at `where`) needs the cell's area. */
bool sema_synapse_needs_area(Sema *S, const Decl *cell, const Decl *syn, Loc where) {
  if (!sema_synapse_is_point(syn)) return true;
  Diag *diag = sema_diag(S);
  Stmt *area = sema_synapse_area(cell);
  if (!area) {
    diag_error(diag, where, "E0947", "synapse %s is a point synapse (its current is in nA), but cell %s has no "
               "membrane area", syn->name, cell->name);
    diag_note(diag, (Loc){0}, "give the cell its area, e.g. `param area = 20000 um^2`: the current of the synapse is "
                              "divided by it in the membrane equation");
    return false;
  }
  if (area->sym && area->sym->unit.scale != 0 && !units_same_dim(area->sym->unit, unit_named("um^2"))) {
    char got[160];
    diag_error(diag, area->e->loc, "E0947", "the membrane area of cell %s must be an area (um^2), but it is %s",
               cell->name, sema_unit_text(area->sym->unit, got, sizeof got));
    return false;
  }
  return true;
}

/* After every block is checked: synapses inserted into cells.  A point
 * synapse needs the cell's area; cells with a morphology take no synapses
 * yet. */
void sema_synapse_cells(Sema *S, Program *prog) {
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *cell = prog->decls.v[i];
    if (cell->kind != DC_CELL) continue;
    for (int j = 0; j < cell->body.n; j++) {
      Stmt *st = cell->body.v[j];
      if (st->kind != ST_INSERT) continue;
      for (int k = 0; k < st->names.n; k++) {
        IdRef *r = st->names.v[k];
        Decl *syn = sema_find_decl(prog, DC_CHANNEL, r->name);
        if (!syn || !syn->synapse) continue;
        if (sema_cable_cell_decl(cell)) {
          diag_error(sema_diag(S), r->loc, "E0947", "synapse %s cannot be inserted in cell %s: cells with a "
                     "morphology take no synapses yet", syn->name, cell->name);
          continue;
        }
        sema_synapse_needs_area(S, cell, syn, r->loc);
      }
    }
  }
}

/* ---- projections into synapses ---------------------------------------------- */

static bool cell_inserts(const Decl *cell, const char *name) {
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    for (int k = 0; st->kind == ST_INSERT && k < st->names.n; k++)
      if (strcmp(((IdRef *)st->names.v[k])->name, name) == 0) return true;
  }
  return false;
}

bool sema_net_synapse(Sema *S, NetSpec *net, Program *prog, Decl *tgt_cell, Expr *name, Decl **syn, Unit *wunit) {
  Diag *diag = sema_diag(S);
  Decl *d = sema_find_decl(prog, DC_CHANNEL, name->name);
  if (!d || !d->synapse) {
    diag_error(diag, name->loc, "E0948", "'%s' is not a synapse", name->name);
    if (d) diag_note(diag, d->name_loc, "%s is a channel; a projection drives a `synapse` block", d->name);
    else {
      const char *best = NULL;
      int bestd = 3;
      for (int i = 0; i < prog->decls.n; i++) {
        Decl *x = prog->decls.v[i];
        int dd = x->kind == DC_CHANNEL && x->synapse ? edit_distance(name->name, x->name) : 99;
        if (dd < bestd) { bestd = dd; best = x->name; }
      }
      if (best) diag_note(diag, (Loc){0}, "did you mean '%s'?", best);
      else diag_note(diag, (Loc){0}, "stdlib/synapses.msn has Exp, BiExp, AMPA, GABA_A, NMDA and CurrExp: "
                                     "import \"synapses\"");
    }
    return false;
  }
  if (!sema_synapse_weight_unit(d, wunit)) return false; /* its block has errors, reported there */
  if (sema_cable_cell_decl(tgt_cell)) {
    diag_error(diag, name->loc, "E0947", "synapse %s cannot drive cell %s: cells with a morphology take no synapses "
               "yet", d->name, tgt_cell->name);
    return false;
  }
  if (!cell_inserts(tgt_cell, d->name)) {
    if (!sema_synapse_needs_area(S, tgt_cell, d, name->loc)) return false;
    bool have = false;
    for (int i = 0; i < net->implicit.n; i++) have |= net->implicit.v[i] == d;
    if (!have) vec_push(sema_arena(S), &net->implicit, d);
  }
  *syn = d;
  return true;
}

/* w in one unit, the weight in another: say which factor fixes it.  With
 * the cell's membrane area A a conductance and a conductance density (or a
 * current and a current density) differ by A. */
bool sema_net_synapse_weight(Sema *S, Decl *tgt_cell, Decl *syn, Expr *we, Unit wunit) {
  if (units_same_dim(we->unit, wunit)) return true;
  Diag *diag = sema_diag(S);
  char got[160], need[160];
  diag_error(diag, we->loc, "E0912", "the weight is %s, but synapse %s takes a weight in %s",
             sema_unit_text(we->unit, got, sizeof got), syn->name, sema_unit_text(wunit, need, sizeof need));
  Unit area = unit_named("um^2");
  Stmt *a = sema_synapse_area(tgt_cell);
  double av = 0, wv = 0;
  bool values = a && a->sym && sema_const_value(a->e, &av) && sema_const_value(we, &wv) && av > 0;
  char hint[64];
  units_format(wunit, hint, sizeof hint);
  if (units_same_dim(units_mul(we->unit, area), wunit)) {
    if (values)
      diag_note(diag, (Loc){0}, "multiply by the membrane area of %s (%g um^2): the weight is %g %s", tgt_cell->name,
                av * 1e12, wv * av / wunit.scale, hint);
    else
      diag_note(diag, (Loc){0}, "%s is a point synapse: give the weight per synapse, not per membrane area "
                                "(multiply by the cell's area)", syn->name);
  } else if (units_same_dim(units_div(we->unit, area), wunit)) {
    if (values)
      diag_note(diag, (Loc){0}, "divide by the membrane area of %s (%g um^2): the weight is %g %s", tgt_cell->name,
                av * 1e12, wv / av / wunit.scale, hint);
    else
      diag_note(diag, (Loc){0}, "%s works per unit of membrane area: give the weight as a density (divide by the "
                                "cell's area)", syn->name);
  } else {
    Stmt *ev = sema_synapse_event(syn);
    diag_note(diag, ev ? ev->loc : (Loc){0}, "the unit of the weight follows from the increments of %s's on spike block",
              syn->name);
  }
  return false;
}

/* A state X of synapse syn named `name` (X or X_SYN): its unit. */
static bool synapse_state(const Decl *syn, const char *name, Unit *u) {
  size_t ns = strlen(syn->name);
  for (int i = 0; i < syn->body.n; i++) {
    Stmt *st = syn->body.v[i];
    if (st->kind != ST_STATE) continue;
    size_t n = strlen(st->name);
    bool qual = strncmp(name, st->name, n) == 0 && name[n] == '_' && strlen(name + n + 1) == ns &&
                strcmp(name + n + 1, syn->name) == 0;
    if (strcmp(name, st->name) == 0 || qual) {
      *u = st->sym && st->sym->unit.scale != 0 ? st->sym->unit : units_one();
      return true;
    }
  }
  return false;
}

bool sema_synapse_state_unit(Program *prog, Decl *cell, const char *name, Unit *u) {
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    for (int j = 0; j < d->body.n && (d->kind == DC_PROJECT || d == cell); j++) {
      Stmt *st = d->body.v[j];
      if (d->kind == DC_PROJECT && st->kind == ST_SETTING && strcmp(st->name, "synapse") == 0 && st->e &&
          st->e->kind == EX_NAME) {
        Decl *syn = sema_find_decl(prog, DC_CHANNEL, st->e->name);
        if (syn && syn->synapse && synapse_state(syn, name, u)) return true;
      }
      for (int k = 0; d == cell && st->kind == ST_INSERT && k < st->names.n; k++) {
        Decl *syn = sema_find_decl(prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
        if (syn && syn->synapse && synapse_state(syn, name, u)) return true;
      }
    }
  }
  return false;
}
