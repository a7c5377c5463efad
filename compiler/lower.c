/* compiler/lower.c — the checked syntax tree to the model IR.
 *
 * A cell becomes one flat model: the membrane potential V (state 0), then
 * for each inserted channel its gates and states, then the cell's own
 * states.  Parameters are qualified by their channel (gbar_Na), user
 * functions are inlined, every scale is folded into SI constants.  Each
 * state's solver is chosen here from the symbolic derivative of its
 * right-hand side (compiler/deriv.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "cable.h"
#include "network.h"
#include "population.h"


static Unit unit_of(const char *text) {
  Unit u;
  units_parse(text, &u, NULL, 0, NULL);
  return u;
}

/* ---- model building --------------------------------------------------------- */

void lower_bind(Lower *L, const Sym *sym, MirExpr *val) {
  if (L->nenv == L->capenv) L->env = xrealloc(L->env, sizeof(Bind) * (size_t)(L->capenv = L->capenv ? 2 * L->capenv : 64));
  L->env[L->nenv++] = (Bind){sym, val};
}

MirExpr *lower_lookup(Lower *L, const Sym *sym) {
  for (int i = L->nenv - 1; i >= 0; i--)
    if (L->env[i].sym == sym) return L->env[i].val;
  return NULL;
}

/* The display unit of a quantity: as written when the value is a literal
 * with a unit (so results come out in the modeller's units), else SI. */
static const char *display_unit(Lower *L, const Expr *e, Unit u, double *scale) {
  const Expr *x = e;
  while (x && x->kind == EX_NEG) x = x->a;
  if (x && x->kind == EX_NUM && x->unit_text) {
    Unit w;
    if (units_parse(x->unit_text, &w, NULL, 0, NULL)) {
      *scale = w.scale;
      return x->unit_text;
    }
  }
  char buf[96];
  units_format(u, buf, sizeof buf);
  *scale = 1;
  Unit w;
  if (units_parse(buf, &w, NULL, 0, NULL) && units_same_dim(w, u)) *scale = w.scale;
  else units_format_si(u, buf, sizeof buf); /* "1e3 m^-2*kg^-1*s^3*A" is no unit: coherent SI */
  return arena_strdup(L->A, units_is_dimensionless(u) ? "1" : buf);
}

int lower_add_param(Lower *L, const char *name, const char *unit, double scale, double value) {
  Mir *m = L->m;
  if (m->nparams == L->capp) m->params = xrealloc(m->params, sizeof(MirParam) * (size_t)(L->capp = L->capp ? 2 * L->capp : 16));
  m->params[m->nparams] = (MirParam){.name = name, .unit = unit, .scale = scale, .value = value};
  Unit u;
  if (units_parse(unit, &u, NULL, 0, NULL))
    for (int i = 0; i < 6; i++) m->params[m->nparams].dim[i] = u.e[i];
  return m->nparams++;
}

int lower_add_state(Lower *L, const char *name, const char *qual, const char *unit, double scale) {
  Mir *m = L->m;
  if (m->nstates == L->caps) {
    L->caps = L->caps ? 2 * L->caps : 16;
    m->states = xrealloc(m->states, sizeof(MirState) * (size_t)L->caps);
    L->qual = xrealloc(L->qual, sizeof(char *) * (size_t)L->caps);
  }
  m->states[m->nstates] = (MirState){.name = name, .unit = unit, .scale = scale};
  L->qual[m->nstates] = qual;
  return m->nstates++;
}

MirExpr *lower_add_derived(Lower *L, const char *name, MirExpr *e) {
  Mir *m = L->m;
  if (e->op == MIR_CONST || e->op == MIR_PARAM || e->op == MIR_STATE || e->op == MIR_DERIVED) return e;
  if (m->nderived == L->capd) m->derived = xrealloc(m->derived, sizeof(MirDerived) * (size_t)(L->capd = L->capd ? 2 * L->capd : 32));
  m->derived[m->nderived] = (MirDerived){.name = name, .e = e};
  return mir_ref(L->A, MIR_DERIVED, m->nderived++);
}

/* ---- expressions ------------------------------------------------------------ */


static MirFn builtin_fn(const char *name) {
  for (int f = 0; f < MIR_FN_COUNT; f++)
    if (strcmp(mir_fn_name((MirFn)f), name) == 0) return (MirFn)f;
  return MIR_FN_COUNT;
}

/* The placeholder "state" that gauss_mean differentiates with respect to:
 * no real state has a negative index, and -1 means "none" to mir_expand. */
#define GAUSS_MEAN_X (-2)

static MirExpr *inline_call(Lower *L, const Expr *e, MirExpr *first) {
  MirExpr *argv[64];
  for (int i = 0; i < e->args.n && i < 64; i++) argv[i] = i == 0 ? first : lower_expr(L, e->args.v[i]);
  MirExpr **saved = L->args;
  L->args = argv;
  MirExpr *r = lower_expr(L, e->sym->decl->e);
  L->args = saved;
  return r;
}

/* gauss_mean(f(x, ...), sigma) = f(x) + 1/2 f''(x) sigma^2, the mean of f
 * over Gaussian fluctuations of x to O(sigma^4) (docs/language.md 5.6).
 * f'' is the symbolic second derivative of f's inlined body with respect to
 * a placeholder that stands for x, which then takes x's value.  The
 * correction is a derived quantity of its own, so `msnc info` prints it. */
static MirExpr *lower_gauss_mean(Lower *L, const Expr *e) {
  Arena *A = L->A;
  const Expr *c = e->args.v[0];
  MirExpr *x = lower_expr(L, c->args.v[0]);
  MirExpr *sigma = lower_expr(L, e->args.v[1]);
  MirExpr *ph = mir_ref(A, MIR_STATE, GAUSS_MEAN_X);
  MirExpr *body = inline_call(L, c, ph);
  MirExpr *d2 = mir_diff(A, L->m, mir_diff(A, L->m, body, GAUSS_MEAN_X), GAUSS_MEAN_X);
  MirExpr *corr = mir_bin(A, MIR_MUL, mir_bin(A, MIR_MUL, mir_const(A, 0.5), mir_subst(A, L->m, d2, GAUSS_MEAN_X, x)),
                          mir_powi(A, sigma, 2));
  corr = lower_add_derived(L, arena_printf(A, "gauss_mean_%s_%d", c->name, L->m->nderived), corr);
  return mir_bin(A, MIR_ADD, inline_call(L, c, x), corr);
}

static MirExpr *lower_call(Lower *L, const Expr *e) {
  Arena *A = L->A;
  /* noise(D), a term of a rates equation, is no part of its drift: the
   * terms are collected by noise_intensity (below) */
  if (!e->sym && strcmp(e->name, "noise") == 0) return mir_const(A, 0);
  if (!e->sym && strcmp(e->name, "gauss_mean") == 0) return lower_gauss_mean(L, e);
  MirExpr *x = lower_expr(L, e->args.v[0]);
  MirExpr *y = e->args.n > 1 ? lower_expr(L, e->args.v[1]) : NULL;
  if (e->sym) { /* user function: inline with its arguments */
    MirExpr *argv[64];
    for (int i = 0; i < e->args.n && i < 64; i++) argv[i] = i == 0 ? x : i == 1 ? y : lower_expr(L, e->args.v[i]);
    MirExpr **saved = L->args;
    L->args = argv;
    MirExpr *r = lower_expr(L, e->sym->decl->e);
    L->args = saved;
    return r;
  }
  MirFn fn = builtin_fn(e->name);
  if (fn == MIR_FN_POW) {
    double n;
    if (sema_const_value(e->args.v[1], &n) && n == floor(n) && fabs(n) <= 64) return mir_powi(A, x, (int)n);
  }
  if (x->op == MIR_CONST && (!y || y->op == MIR_CONST)) {
    double v;
    if (sema_const_value(e, &v)) return mir_const(A, v);
  }
  return mir_call(A, fn, x, y);
}

MirExpr *lower_expr(Lower *L, const Expr *e) {
  Arena *A = L->A;
  static const MirOp ops[] = {[OP_ADD] = MIR_ADD, [OP_SUB] = MIR_SUB, [OP_MUL] = MIR_MUL, [OP_DIV] = MIR_DIV,
                              [OP_LT] = MIR_LT, [OP_LE] = MIR_LE, [OP_GT] = MIR_GT, [OP_GE] = MIR_GE,
                              [OP_EQ] = MIR_EQ, [OP_NE] = MIR_NE, [OP_AND] = MIR_AND, [OP_OR] = MIR_OR};
  switch (e->kind) {
  case EX_NUM: {
    double v;
    sema_const_value(e, &v);
    return mir_const(A, v);
  }
  case EX_NAME: {
    const Sym *s = e->sym;
    switch (s->kind) {
    case SYM_UNIT: return mir_const(A, s->value);
    case SYM_ARG: return L->args[s->argi];
    case SYM_TIME: return mir_time(A);
    case SYM_CELSIUS: return mir_ref(A, MIR_PARAM, L->celsius);
    case SYM_V: return L->v;
    default: {
      MirExpr *v = lower_lookup(L, s);
      if (v) return v;
      if (s->kind == SYM_PARAM) return mir_const(A, s->value);
      diag_error(L->diag, e->loc, "E0601", "internal error: '%s' has no value in this model", e->name);
      return mir_const(A, NAN);
    }
    }
  }
  case EX_CALL: return lower_call(L, e);
  case EX_NEG: return mir_neg(A, lower_expr(L, e->a));
  case EX_NOT: {
    MirExpr *x = lower_expr(L, e->a);
    return mir_bin(A, MIR_EQ, x, mir_const(A, 0));
  }
  case EX_COND: return mir_select(A, lower_expr(L, e->a), lower_expr(L, e->b), lower_expr(L, e->c));
  case EX_BINARY: {
    MirExpr *x = lower_expr(L, e->a);
    if (e->op == OP_POW) {
      double n;
      if (sema_const_value(e->b, &n) && n == floor(n) && fabs(n) <= 64) return mir_powi(A, x, (int)n);
      return mir_call(A, MIR_FN_POW, x, lower_expr(L, e->b));
    }
    return mir_bin(A, ops[e->op], x, lower_expr(L, e->b));
  }
  }
  return mir_const(A, NAN);
}

/* ---- blocks ------------------------------------------------------------------ */

int lower_param_from_stmt(Lower *L, Stmt *st, const char *name) {
  double scale;
  const char *unit = display_unit(L, st->e, st->sym->unit, &scale);
  int k = lower_add_param(L, name, unit, scale, st->sym->value);
  lower_bind(L, st->sym, mir_ref(L->A, MIR_PARAM, k));
  return k;
}

/* the Q10 factor of a gate: q10^((celsius - T0)/10), or NULL */
static MirExpr *q10_factor(Lower *L, Decl *g) {
  for (int i = 0; i < g->body.n; i++) {
    Stmt *st = g->body.v[i];
    if (st->kind != ST_Q10) continue;
    Arena *A = L->A;
    MirExpr *q = lower_expr(L, st->e), *t0 = lower_expr(L, st->e2);
    MirExpr *x = mir_bin(A, MIR_DIV, mir_bin(A, MIR_SUB, mir_ref(A, MIR_PARAM, L->celsius), t0), mir_const(A, 10));
    return mir_call(A, MIR_FN_EXP, mir_bin(A, MIR_MUL, mir_call(A, MIR_FN_LOG, q, NULL), x), NULL);
  }
  return NULL;
}

static void lower_gate(Lower *L, Decl *g, int k, const char *owner) {
  Arena *A = L->A;
  MirExpr *alpha = NULL, *beta = NULL, *inf = NULL, *tau = NULL, *init = NULL;
  for (int i = 0; i < g->body.n; i++) {
    Stmt *st = g->body.v[i];
    if (st->kind == ST_PARAM) lower_param_from_stmt(L, st, arena_printf(A, "%s_%s_%s", st->name, g->name, owner));
    if (st->kind == ST_INIT) init = lower_expr(L, st->e);
    if (st->kind != ST_DEF) continue;
    MirExpr *v = lower_add_derived(L, arena_printf(A, "%s_%s_%s", st->name, g->name, owner), lower_expr(L, st->e));
    lower_bind(L, st->sym, v);
    if (strcmp(st->name, "alpha") == 0) alpha = v;
    if (strcmp(st->name, "beta") == 0) beta = v;
    if (strcmp(st->name, "inf") == 0) inf = v;
    if (strcmp(st->name, "tau") == 0) tau = v;
  }
  MirExpr *phi = q10_factor(L, g);
  MirExpr *x = mir_ref(A, MIR_STATE, k), *one = mir_const(A, 1);
  MirState *s = &L->m->states[k];
  if (alpha) {
    if (phi) {
      alpha = lower_add_derived(L, arena_printf(A, "alpha_%s_%s_T", g->name, owner), mir_bin(A, MIR_MUL, alpha, phi));
      beta = lower_add_derived(L, arena_printf(A, "beta_%s_%s_T", g->name, owner), mir_bin(A, MIR_MUL, beta, phi));
    }
    s->rhs = mir_bin(A, MIR_SUB, mir_bin(A, MIR_MUL, alpha, mir_bin(A, MIR_SUB, one, x)), mir_bin(A, MIR_MUL, beta, x));
    if (!init) init = mir_bin(A, MIR_DIV, alpha, mir_bin(A, MIR_ADD, alpha, beta));
  } else {
    if (phi) tau = lower_add_derived(L, arena_printf(A, "tau_%s_%s_T", g->name, owner), mir_bin(A, MIR_DIV, tau, phi));
    s->rhs = mir_bin(A, MIR_DIV, mir_bin(A, MIR_SUB, inf, x), tau);
    if (!init) init = inf;
  }
  s->init = init; /* expanded once the model is complete */
}

/* Top-level gates a channel refers to by name. */
static void used_gates(const Expr *e, PtrVec *out, Arena *A) {
  if (!e) return;
  if (e->kind == EX_NAME && e->sym && e->sym->kind == SYM_GATE && e->sym->decl && e->sym->decl->kind == DC_GATE &&
      !e->sym->stmt) {
    for (int i = 0; i < out->n; i++)
      if (out->v[i] == e->sym) return;
    vec_push(A, out, (void *)e->sym);
  }
  used_gates(e->a, out, A);
  used_gates(e->b, out, A);
  used_gates(e->c, out, A);
  for (int i = 0; i < e->args.n; i++) used_gates(e->args.v[i], out, A);
}

static int add_gate_state(Lower *L, const Sym *g, const char *owner) {
  int k = lower_add_state(L, g->name, arena_printf(L->A, "%s_%s", g->name, owner), "1", 1);
  lower_bind(L, g, mir_ref(L->A, MIR_STATE, k));
  return k;
}

static void lower_state_decl(Lower *L, Stmt *st, const char *owner) {
  double scale = 1;
  const char *unit = st->e ? display_unit(L, st->e, st->sym->unit, &scale) : "1";
  const char *qual = owner ? arena_printf(L->A, "%s_%s", st->name, owner) : st->name;
  int k = lower_add_state(L, st->name, qual, unit, scale);
  L->m->states[k].init = st->e ? lower_expr(L, st->e) : mir_const(L->A, 0);
  lower_bind(L, st->sym, mir_ref(L->A, MIR_STATE, k));
}

/* The summed intensities D (SI) of the noise(D) terms of an equation (sema
 * allows noise only as a term: through +, - and unary minus), or sum
 * unchanged when there is none.  Independent white noises add in variance,
 * so noise(D1) + noise(D2) is noise(D1 + D2). */
static MirExpr *noise_intensity(Lower *L, const Expr *e, MirExpr *sum) {
  if (e->kind == EX_BINARY && (e->op == OP_ADD || e->op == OP_SUB))
    return noise_intensity(L, e->b, noise_intensity(L, e->a, sum));
  if (e->kind == EX_NEG) return noise_intensity(L, e->a, sum);
  if (e->kind == EX_CALL && !e->sym && strcmp(e->name, "noise") == 0) {
    MirExpr *d = lower_expr(L, e->args.v[0]);
    return sum ? mir_bin(L->A, MIR_ADD, sum, d) : d;
  }
  return sum;
}

/* x' = f + noise(D): the drift f into rhs (noise lowers to 0 there) and
 * the amplitude sqrt(2 D) of the noise terms, if any, into noise. */
static void lower_ode(Lower *L, Stmt *st) {
  Arena *A = L->A;
  MirExpr *x = st->sym ? lower_lookup(L, st->sym) : NULL;
  if (!x || x->op != MIR_STATE) return;
  MirState *s = &L->m->states[x->index];
  s->rhs = lower_expr(L, st->e);
  MirExpr *D = noise_intensity(L, st->e, NULL);
  if (!D) return;
  MirExpr *two_d = mir_bin(A, MIR_MUL, mir_const(A, 2), D);
  s->noise = two_d->op == MIR_CONST ? mir_const(A, sqrt(two_d->value)) : mir_call(A, MIR_FN_SQRT, two_d, NULL);
}

/* Lower one inserted channel; returns its current density (SI). */
MirExpr *lower_channel(Lower *L, Decl *ch) {
  Arena *A = L->A;
  int mark = L->nenv;
  PtrVec tops = {0};
  MirExpr *current = NULL;
  for (int i = 0; i < ch->body.n; i++) {
    Stmt *st = ch->body.v[i];
    if (st->kind == ST_PARAM) lower_param_from_stmt(L, st, arena_printf(A, "%s_%s", st->name, ch->name));
    if (st->kind == ST_STATE) lower_state_decl(L, st, ch->name);
    if (st->kind == ST_GATE) add_gate_state(L, st->sym, ch->name);
    used_gates(st->e, &tops, A);
    if (st->kind == ST_GATE)
      for (int j = 0; j < st->decl->body.n; j++) used_gates(((Stmt *)st->decl->body.v[j])->e, &tops, A);
  }
  for (int i = 0; i < tops.n; i++) add_gate_state(L, tops.v[i], ch->name);
  for (int i = 0; i < ch->body.n; i++) {
    Stmt *st = ch->body.v[i];
    switch (st->kind) {
    case ST_DEF:
      lower_bind(L, st->sym, lower_add_derived(L, arena_printf(A, "%s_%s", st->name, ch->name), lower_expr(L, st->e)));
      break;
    case ST_GATE: lower_gate(L, st->decl, lower_lookup(L, st->sym)->index, ch->name); break;
    case ST_ODE: lower_ode(L, st); break;
    case ST_CURRENT:
      current = lower_add_derived(L, arena_printf(A, "I_%s", ch->name), lower_expr(L, st->e));
      break;
    default: break;
    }
  }
  for (int i = 0; i < tops.n; i++) {
    const Sym *g = tops.v[i];
    lower_gate(L, g->decl, lower_lookup(L, g)->index, ch->name);
  }
  L->nenv = mark;
  return current ? current : mir_const(A, 0);
}

/* ---- solvers --------------------------------------------------------------- */

static void choose_solver(Lower *L, int k) {
  Arena *A = L->A;
  Mir *m = L->m;
  MirState *s = &m->states[k];
  StrBuf b = {0};
  if (m->has_reset && k == m->spike_state) {
    /* reset state: on whole steps (the runtime resets it between steps) */
    MirExpr *d = mir_diff(A, m, s->rhs, k);
    if (!mir_depends_on(m, d, k)) {
      s->solver = MIR_SOLVE_EXP;
      s->lin_b = d;
      s->lin_a = mir_subst(A, m, s->rhs, k, mir_const(A, 0));
      s->why = arena_printf(A, "integrate-and-fire: linear in itself (%s' = a + b*%s): exact exponential update "
                               "on whole steps, exact threshold crossings, reset and refractory period",
                            s->name, s->name);
    } else {
      s->solver = MIR_SOLVE_CN;
      s->jac = d;
      s->why = arena_printf(A, "reset state, not linear in itself: linearised Crank-Nicolson on whole steps, "
                               "threshold crossings interpolated");
    }
    return;
  }
  if (k == L->v_state) {
    s->solver = MIR_SOLVE_CN;
    s->jac = mir_diff(A, m, s->rhs, 0);
    s->why = "membrane potential: Crank-Nicolson on the membrane current linearised in V, "
             "half a step apart from the gates (second order)";
    return;
  }
  MirExpr *d = mir_diff(A, m, s->rhs, k);
  if (mir_depends_on(m, d, k)) {
    s->solver = MIR_SOLVE_CN;
    s->jac = d;
    mir_print_expr(&b, m, d);
    char *text = sb_take(&b);
    s->why = arena_printf(A, "not linear in itself (d%s'/d%s = %s depends on %s): linearised Crank-Nicolson",
                          s->name, s->name, text, s->name);
    free(text);
  } else if (mir_is_const(d, 0)) {
    s->solver = MIR_SOLVE_CN;
    s->jac = d;
    s->why = arena_printf(A, "%s' does not depend on %s: explicit update, exact while its inputs are fixed", s->name, s->name);
  } else {
    s->solver = MIR_SOLVE_CNEXP;
    s->lin_b = d;
    s->lin_a = mir_subst(A, m, s->rhs, k, mir_const(A, 0));
    s->why = arena_printf(A, "linear in itself (%s' = a + b*%s with a, b free of %s): exact exponential update (cnexp)",
                          s->name, s->name, s->name);
  }
}

/* ---- cell ---------------------------------------------------------------------- */

static Stmt *find_stmt(Decl *d, StmtKind kind, const char *name) {
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == kind && (!name || (st->name && strcmp(st->name, name) == 0))) return st;
  }
  return NULL;
}

static void lower_cell(Lower *L, Decl *cell) {
  Arena *A = L->A;
  Mir *m = L->m;
  SimSpec *sim = &L->c->sim;
  L->celsius = lower_add_param(L, "celsius", "1", 1, sim->celsius);
  Stmt *cm = find_stmt(cell, ST_PARAM, "Cm");
  int cm_k = cm ? lower_param_from_stmt(L, cm, "Cm") : lower_add_param(L, "Cm", "uF/cm^2", 1e-2, 1e-2);
  int v = lower_add_state(L, "V", "V", "mV", 1e-3);
  L->v_state = v;
  L->v = mir_ref(A, MIR_STATE, v);
  Stmt *v0 = find_stmt(cell, ST_INIT, "V");
  m->states[v].init = v0 ? lower_expr(L, v0->e) : mir_const(A, -65e-3);

  MirExpr *ionic = mir_const(A, 0), *stim = mir_const(A, 0);
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_PARAM && st != cm) lower_param_from_stmt(L, st, st->name);
    if (st->kind == ST_STATE) lower_state_decl(L, st, NULL);
  }
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    switch (st->kind) {
    case ST_INSERT:
      for (int k = 0; k < st->names.n; k++) {
        Decl *ch = sema_find_decl(&L->c->prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
        ionic = mir_bin(A, MIR_ADD, ionic, lower_synapse_inserted(L, ch)); /* compiler/lower_synapse.c */
      }
      break;
    case ST_DEF: lower_bind(L, st->sym, lower_add_derived(L, st->name, lower_expr(L, st->e))); break;
    case ST_ODE: lower_ode(L, st); break;
    case ST_INIT:
      if (strcmp(st->name, "V") != 0)
        for (int k = 0; k < m->nstates; k++)
          if (strcmp(m->states[k].name, st->name) == 0) m->states[k].init = lower_expr(L, st->e);
      break;
    case ST_STIMULUS: {
      int amp = lower_param_from_stmt(L, st, st->name);
      MirExpr *on = mir_ref(A, MIR_PARAM, amp);
      if (st->e2) {
        double s0 = 0, s1 = INFINITY;
        sema_const_value(st->e2, &s0);
        int k0 = lower_add_param(L, arena_printf(A, "%s_start", st->name), "ms", 1e-3, s0);
        MirExpr *stop = mir_const(A, INFINITY);
        if (st->e3) {
          sema_const_value(st->e3, &s1);
          stop = mir_ref(A, MIR_PARAM, lower_add_param(L, arena_printf(A, "%s_stop", st->name), "ms", 1e-3, s1));
        }
        on = mir_bin(A, MIR_MUL, on, mir_window(A, mir_ref(A, MIR_PARAM, k0), stop));
      }
      stim = mir_bin(A, MIR_ADD, stim, lower_add_derived(L, arena_printf(A, "%s_now", st->name), on));
      break;
    }
    case ST_SPIKE: {
      int k = 0;
      for (int j = 0; j < m->nstates; j++)
        if (strcmp(m->states[j].name, st->name) == 0) k = j;
      m->spike_state = k;
      sema_const_value(st->e, &m->spike_threshold);
      break;
    }
    case ST_RESET:
      m->has_reset = true;
      sema_const_value(st->e, &m->reset_value);
      break;
    case ST_REFRACTORY: sema_const_value(st->e, &m->refractory); break;
    default: break;
    }
  }
  ionic = lower_synapse_implicit(L, ionic); /* synapses of projections the cell does not insert */
  MirExpr *iion = lower_add_derived(L, "I_ion", ionic);
  m->states[v].rhs = mir_bin(A, MIR_DIV, mir_bin(A, MIR_SUB, stim, iion), mir_ref(A, MIR_PARAM, cm_k));
}

/* Gate names are short (m) unless two states share one (then m_Na). */
static void name_states(Lower *L) {
  Mir *m = L->m;
  bool *clash = xcalloc((size_t)m->nstates + 1, sizeof(bool));
  for (int i = 0; i < m->nstates; i++)
    for (int j = 0; j < m->nstates; j++)
      if (i != j && strcmp(m->states[i].name, m->states[j].name) == 0) clash[i] = true;
  for (int i = 0; i < m->nstates; i++) {
    if (clash[i]) m->states[i].name = L->qual[i];
    m->states[i].qual = L->qual[i];
  }
  free(clash);
}

static void apply_simulate(Lower *L) {
  Mir *m = L->m;
  SimSpec *sim = &L->c->sim;
  m->n_instances = sim->instances;
  m->method = (MirMethod)sim->method;
  m->duration = sim->duration;
  m->dt = sim->dt;
  m->record_every = sim->record_every;
  m->rtol = m->atol = sim->tolerance;
  m->record_spikes = sim->record_spikes || (!sim->records.n && m->spike_state >= 0);
  for (int i = 0; i < sim->vary.n; i++) {
    VarySpec *v = sim->vary.v[i];
    MirParam *p = NULL;
    for (int k = 0; k < m->nparams; k++)
      if (strcmp(m->params[k].name, v->name) == 0) p = &m->params[k];
    if (!p) {
      diag_error(L->diag, v->loc, "E0407", "cannot vary '%s': the model has no such parameter", v->name);
      StrBuf b = {0};
      for (int k = 0; k < m->nparams; k++) sb_printf(&b, "%s%s", k ? ", " : "", m->params[k].name);
      char *names = sb_take(&b);
      diag_note(L->diag, (Loc){0}, "the parameters are: %s", names);
      free(names);
      continue;
    }
    Unit pu = units_one();
    for (int d = 0; d < 6; d++) pu.e[d] = p->dim[d];
    if (!units_same_dim(pu, v->unit)) {
      char b[96];
      diag_error(L->diag, v->loc, "E0304", "the values of vary %s must be in %s like the parameter, but they are in %s",
                 v->name, p->unit, units_format(v->unit, b, sizeof b));
      continue;
    }
    p->per_instance = true;
    p->inst_values = v->values;
  }
  int n = sim->records.n ? sim->records.n : 1;
  m->records = arena_alloc(L->A, sizeof(MirRecord) * (size_t)n);
  if (!sim->records.n && !sim->record_spikes) {
    m->records[m->nrecords++].state = 0;
    return;
  }
  for (int i = 0; i < sim->records.n; i++) {
    IdRef *r = sim->records.v[i];
    int found = -1;
    for (int k = 0; k < m->nstates; k++)
      if (strcmp(m->states[k].name, r->name) == 0 || strcmp(L->qual[k], r->name) == 0) found = k;
    if (found < 0) {
      diag_error(L->diag, r->loc, "E0412", "cannot record '%s': it is not a state of %s %s", r->name,
                 m->rates ? "rates model" : "cell", m->name);
      StrBuf b = {0};
      for (int k = 0; k < m->nstates; k++) sb_printf(&b, "%s%s", k ? ", " : "", m->states[k].name);
      char *names = sb_take(&b);
      diag_note(L->diag, (Loc){0}, m->rates ? "the states are: %s" : "the states are: %s (and `spikes`)", names);
      free(names);
      continue;
    }
    m->records[m->nrecords++].state = found;
  }
}

/* ---- rates models ------------------------------------------------------------- */

/* A rates block: its parameters and states in order, definitions, the
 * equations (drift in rhs, sqrt(2 D) of the noise terms in noise), initial
 * values.  No V, no celsius (sema rejects both there). */
static void lower_rates(Lower *L, Decl *d) {
  Mir *m = L->m;
  m->rates = true;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_PARAM) lower_param_from_stmt(L, st, st->name);
    if (st->kind == ST_STATE) lower_state_decl(L, st, NULL);
  }
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    switch (st->kind) {
    case ST_DEF: lower_bind(L, st->sym, lower_add_derived(L, st->name, lower_expr(L, st->e))); break;
    case ST_ODE: lower_ode(L, st); break;
    case ST_INIT:
      for (int k = 0; k < m->nstates; k++)
        if (strcmp(m->states[k].name, st->name) == 0) m->states[k].init = lower_expr(L, st->e);
      break;
    default: break;
    }
  }
}

/* What the simulate block means for a rates model: the method when none was
 * given (rk4, or heun with noise), every state recorded by default, and no
 * spikes. */
static void rates_simulate(Lower *L) {
  Mir *m = L->m;
  SimSpec *sim = &L->c->sim;
  bool noisy = false;
  for (int k = 0; k < m->nstates; k++) noisy |= m->states[k].noise != NULL;
  if (!sim->method_given) m->method = noisy ? MIR_METHOD_HEUN : MIR_METHOD_RK4;
  if (!sim->records.n && m->nstates > 0) {
    m->records = arena_alloc(L->A, sizeof(MirRecord) * (size_t)m->nstates);
    for (int k = 0; k < m->nstates; k++) m->records[k].state = k;
    m->nrecords = m->nstates;
  }
  if (!sim->record_spikes) return;
  m->record_spikes = false;
  Loc at = sim->simulate ? sim->simulate->loc : (Loc){0};
  for (int i = 0; sim->simulate && i < sim->simulate->body.n; i++) {
    Stmt *st = sim->simulate->body.v[i];
    for (int k = 0; st->key == SIM_RECORD && k < st->names.n; k++)
      if (strcmp(((IdRef *)st->names.v[k])->name, "spikes") == 0) at = ((IdRef *)st->names.v[k])->loc;
  }
  diag_error(L->diag, at, "E0412", "cannot record spikes: rates model %s has none", m->name);
  diag_note(L->diag, (Loc){0}, "record its states by name; spikes belong to cells");
}

static void rates_why(Mir *m) {
  for (int k = 0; k < m->nstates; k++)
    m->states[k].why = m->states[k].noise
                           ? "rates model: all states advance together by the run's method; white noise by "
                             "Euler-Maruyama (euler, Ito) or stochastic Heun (heun, Stratonovich)"
                           : "rates model: all states advance together by the run's method (rk4, heun, euler or rk45)";
}

Mir *lower_point_cell(Compilation *c, Decl *cell, const char *name) {
  Lower L;
  lower_init(&L, c, name);
  int before = c->diag.nerrors;
  lower_cell(&L, cell);
  apply_simulate(&L);
  return lower_finish(&L, before);
}

Mir *msnc_lower(Compilation *c) {
  if (!c->sim.cell) {
    int ncells = 0;
    for (int i = 0; i < c->prog.decls.n; i++) {
      Decl *d = c->prog.decls.v[i];
      ncells += (d->kind == DC_CELL || d->kind == DC_RATES) && d->file == c->prog.files.v[0];
    }
    if (ncells == 0) {
      diag_error(&c->diag, (Loc){0}, "E0600", "%s has nothing to simulate: it defines no cell", c->main_path);
      diag_note(&c->diag, (Loc){0}, "add a cell or a rates model; a file of channels is a library to import "
                                    "(msnc check accepts it)");
    } else {
      diag_error(&c->diag, (Loc){0}, "E0600", "%s defines %d models (cells or rates models); say which one to simulate",
                 c->main_path, ncells);
      diag_note(&c->diag, (Loc){0}, "add simulate { model NAME }");
    }
    return NULL;
  }
  if (c->sim.network && sema_net_several_cells(c->sim.network)) return lower_cells(c); /* compiler/lower_cells.c */
  if (sema_cable_cell_decl(c->sim.cell)) return lower_cable(c); /* compiler/lower_cable.c */
  if (sema_population_decl(c->sim.cell)) return lower_population(c); /* compiler/lower_population.c */
  Lower L;
  lower_init(&L, c, c->sim.cell->name);
  int before = c->diag.nerrors;
  if (c->sim.cell->kind == DC_RATES) lower_rates(&L, c->sim.cell);
  else lower_cell(&L, c->sim.cell);
  for (int k = 0; k < L.m->nstates; k++) {
    MirState *s = &L.m->states[k];
    if (!s->rhs) s->rhs = mir_const(L.A, 0);
  }
  apply_simulate(&L);
  if (L.m->rates) rates_simulate(&L);
  Mir *m = lower_finish(&L, before);
  if (m && m->rates) rates_why(m);
  if (m && c->sim.network && !lower_network(&c->diag, &c->sim, m)) m = NULL; /* compiler/lower_network.c */
  if (m && c->sim.network && !lower_synapse_deliveries(c, m)) m = NULL; /* compiler/lower_synapse.c */
  return m;
}

void lower_init(Lower *L, Compilation *c, const char *name) {
  memset(L, 0, sizeof *L);
  L->c = c;
  L->A = c->arena;
  L->diag = &c->diag;
  L->m = arena_alloc(c->arena, sizeof(Mir));
  L->m->name = name;
  L->m->source = c->main_path;
  L->m->spike_state = -1;
  L->m->n_instances = 1;
  L->v_state = -1;
  L->v = mir_const(L->A, NAN);
}

Mir *lower_finish(Lower *L, int errors_before) {
  Mir *m = L->m;
  for (int k = 0; k < m->nstates; k++) {
    MirState *s = &m->states[k];
    if (!s->rhs) s->rhs = mir_const(L->A, 0);
    s->init = mir_expand(L->A, m, s->init ? s->init : mir_const(L->A, 0));
    choose_solver(L, k);
    if (s->noise && !m->rates) /* how the staggered step adds the noise (runtime/rt_integrate.c) */
      s->why = arena_printf(L->A, "%s; white noise: %s", s->why,
                            s->solver == MIR_SOLVE_CNEXP || s->solver == MIR_SOLVE_EXP
                                ? "exact Ornstein-Uhlenbeck increment"
                                : "Euler-Maruyama increment after the update");
  }
  if (m->has_reset && m->spike_state >= 0) {
    int k = m->spike_state;
    MirState *s = &m->states[k];
    MirExpr *d = mir_diff(L->A, m, s->rhs, k);
    m->reset_exact = !mir_depends_on(m, d, k);
    m->reset_lin_b = d;
    m->reset_lin_a = m->reset_exact ? mir_subst(L->A, m, s->rhs, k, mir_const(L->A, 0))
                                    : mir_bin(L->A, MIR_SUB, s->rhs, mir_bin(L->A, MIR_MUL, d, mir_ref(L->A, MIR_STATE, k)));
  } else {
    m->has_reset = false;
  }
  name_states(L);
  /* the growable arrays move into the arena so that one arena_free frees all */
  MirParam *p = arena_alloc(L->A, sizeof(MirParam) * (size_t)(m->nparams + 1));
  if (m->nparams) memcpy(p, m->params, sizeof(MirParam) * (size_t)m->nparams);
  free(m->params);
  m->params = p;
  MirState *s = arena_alloc(L->A, sizeof(MirState) * (size_t)(m->nstates + 1));
  if (m->nstates) memcpy(s, m->states, sizeof(MirState) * (size_t)m->nstates);
  free(m->states);
  m->states = s;
  MirDerived *d = arena_alloc(L->A, sizeof(MirDerived) * (size_t)(m->nderived + 1));
  if (m->nderived) memcpy(d, m->derived, sizeof(MirDerived) * (size_t)m->nderived);
  free(m->derived);
  m->derived = d;
  free(L->env);
  free(L->qual);
  L->env = NULL;
  L->qual = NULL;
  return L->diag->nerrors == errors_before ? m : NULL;
}
