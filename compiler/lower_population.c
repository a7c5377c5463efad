/* compiler/lower_population.c — fields and densities to the model IR.
 *
 * A population model becomes a rates-like Mir whose states are the "slots"
 * of runtime/msnrt_population.h: its rhs kernel evaluates the gain f, its
 * symbolic derivative f' (mir_diff), a user kernel w(r), the input term,
 * the initial value and the parameters of the solver, so that every
 * number follows the run's --set.  What is fixed (grid, kernel kind, the
 * density's cell) goes into MirPopulation.conf.  At compile time the
 * field's linear-stability report (runtime/rt_field.c) and the scale
 * checks are computed with the parameter defaults (W1020-W1023). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "population.h"
#ifndef MSN_FUZZ_STDLIB
#include "rt_density.h"
#include "rt_field.h"
#endif


static double kwarg_value(const PtrVec *list, int from, const char *name) {
  Stmt *s = population_kwarg(list, from, name);
  double v = NAN;
  if (s) sema_const_value(s->e, &v);
  return v;
}

/* Bind the field's own names x, y, xi (symbols without a statement). */
static void bind_positions(Lower *L, const Expr *e) {
  if (!e) return;
  if (e->kind == EX_NAME && e->sym && e->sym->kind == SYM_LOCAL && !e->sym->stmt) {
    int slot = strcmp(e->name, "x") == 0 ? 3 : strcmp(e->name, "y") == 0 ? 4 : strcmp(e->name, "xi") == 0 ? 5 : -1;
    if (slot >= 0 && !lower_lookup(L, e->sym)) lower_bind(L, e->sym, mir_ref(L->A, MIR_STATE, slot));
  }
  bind_positions(L, e->a);
  bind_positions(L, e->b);
  bind_positions(L, e->c);
  for (int i = 0; i < e->args.n; i++) bind_positions(L, e->args.v[i]);
}

static Expr *find_conv(Expr *e) {
  if (!e) return NULL;
  if (e->kind == EX_NAME && e->args.n == 2 && e->sym && strcmp(e->sym->name, "conv") == 0) return e;
  Expr *r = find_conv(e->a);
  if (!r) r = find_conv(e->b);
  if (!r) r = find_conv(e->c);
  for (int i = 0; !r && i < e->args.n; i++) r = find_conv(e->args.v[i]);
  return r;
}

static void common_sim(Lower *L) {
  Mir *m = L->m;
  SimSpec *sim = &L->c->sim;
  m->rates = true;
  m->method = MIR_METHOD_RK4;
  m->duration = sim->duration;
  m->dt = sim->dt;
  m->record_every = sim->record_every > 0 ? sim->record_every : sim->dt;
  m->rtol = m->atol = sim->tolerance;
  m->n_instances = 1;
}

static void set_why(Mir *m, const char *why) {
  for (int k = 0; k < m->nstates; k++) m->states[k].why = why;
}

/* ---- fields ------------------------------------------------------------------ */

#ifndef MSN_FUZZ_STDLIB
typedef struct EvalCtx { const Mir *m; int slot; } EvalCtx;
static double slot_fn(double v, void *ctx) {
  EvalCtx *c = ctx;
  double y[MSN_PF_SLOTS] = {0};
  y[0] = y[1] = y[2] = v;
  return mir_eval(c->m, c->m->states[c->slot].rhs, y, 0);
}
static double gain_f(double v, void *ctx) { EvalCtx c = {((EvalCtx *)ctx)->m, 0}; return slot_fn(v, &c); }
static double gain_df(double v, void *ctx) { EvalCtx c = {((EvalCtx *)ctx)->m, 1}; return slot_fn(v, &c); }

/* The stability report and the scale checks at the parameter defaults. */
static void field_report(Lower *L, Decl *d, MirPopulation *P) {
  Mir *m = L->m;
  double y[MSN_PF_SLOTS] = {0};
  double sl[MSN_PF_SLOTS];
  for (int k = 0; k < MSN_PF_SLOTS; k++) sl[k] = mir_eval(m, m->states[k].rhs, y, 0);
  EvalCtx cf = {m, 0}, cw = {m, 2};
  (void)cw.slot;
  RtFieldSpec spec = {.geometry = (int)P->conf[MSN_PF_GEOMETRY], .nx = (int)P->conf[MSN_PF_NX],
                      .ny = (int)P->conf[MSN_PF_NY], .Lx = P->conf[MSN_PF_LX], .Ly = P->conf[MSN_PF_LY],
                      .tau = sl[5], .I = sl[3]};
  int kk = (int)P->conf[MSN_PF_KERNEL];
  spec.kernel = (RtFieldKernel){.kind = kk, .a_e = sl[6], .s_e = sl[7], .a_i = sl[8], .s_i = sl[9],
                                .user = slot_fn, .ctx = &cw};
  spec.gain = (RtFieldGain){.kind = RT_GAIN_USER, .f = gain_f, .df = gain_df, .ctx = &cf};
  char err[256];
  RtField *f = rt_field_new(&spec, err, sizeof err);
  if (!f) {
    diag_error(L->diag, d->loc, "E1014", "field %s: %s", d->name, err);
    return;
  }
  RtFieldStability rep;
  StrBuf b = {0};
  if (!rt_field_stability(f, &rep, err, sizeof err)) {
    sb_printf(&b, "  stability: %s\n", err);
    diag_warning(L->diag, d->name_loc, "W1020", "field %s: %s", d->name, err);
  } else {
    double fp = rep.fprime; /* from the symbolic derivative (gain_df) */
    char *txt = NULL;
    int n = rt_field_stability_format(f, &rep, NULL, 0);
    txt = xmalloc((size_t)n + 1);
    rt_field_stability_format(f, &rep, txt, (size_t)n + 1);
    sb_printf(&b, "%s", txt);
    free(txt);
    sb_printf(&b, "  f'(u0) = %.6g (symbolic: %s' at u0), growth rate of the most unstable mode %.6g 1/s\n", fp,
              "f", rep.lambda_max);
    sb_printf(&b, "  k_max = %.6g rad/mm, w^(k_max) = %.6g, predicted wavelength %.6g mm, Turing threshold "
              "f'(u0) w^(k_c) = 1 at f' = %.6g\n", rep.kmax * 1e-3, rep.wkmax, rep.wavelength * 1e3,
              rep.fprime_turing);
    char msg[2048];
    int nw = rt_field_scale_check(f, &rep, msg, sizeof msg);
    if (nw > 0) {
      char *line = msg;
      while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        if (*line) diag_warning(L->diag, d->name_loc, "W1021", "field %s: %s", d->name, line);
        line = nl ? nl + 1 : NULL;
      }
    }
  }
  P->report = arena_strdup(L->A, b.len ? b.s : "");
  free(sb_take(&b));
  rt_field_free(f);
}
#endif

static void lower_field(Lower *L, Decl *d) {
  Arena *A = L->A;
  Mir *m = L->m;
  MirPopulation *P = arena_alloc(A, sizeof *P);
  P->kind = MSN_POP_FIELD;
  m->population = P;
  int dim = strcmp(d->path, "ring") == 0 ? 1 : 2;
  P->conf[MSN_PF_KIND] = MSN_POP_FIELD;
  P->conf[MSN_PF_GEOMETRY] = dim;
  if (dim == 1) {
    P->conf[MSN_PF_NX] = kwarg_value(&d->params, 1, "points");
    P->conf[MSN_PF_NY] = 1;
    P->conf[MSN_PF_LX] = kwarg_value(&d->params, 1, "length");
    P->conf[MSN_PF_LY] = P->conf[MSN_PF_LX] / P->conf[MSN_PF_NX];
  } else {
    P->conf[MSN_PF_NX] = kwarg_value(&d->params, 1, "nx");
    P->conf[MSN_PF_NY] = kwarg_value(&d->params, 1, "ny");
    P->conf[MSN_PF_LX] = kwarg_value(&d->params, 1, "Lx");
    P->conf[MSN_PF_LY] = kwarg_value(&d->params, 1, "Ly");
  }
  Stmt *ode = d->sym->stmt, *ust = NULL, *init = NULL, *kst = NULL;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_PARAM) lower_param_from_stmt(L, st, st->name);
    if (st->kind == ST_STATE) ust = st;
    if (st->kind == ST_INIT) init = st;
  }
  static const char *const names[MSN_PF_SLOTS] = {"u", "fprime", "r", "x", "y", "xi", "a_e", "s_e", "a_i", "s_i"};
  for (int k = 0; k < MSN_PF_SLOTS; k++) {
    const char *nm = k == 0 ? ust->name : names[k];
    lower_add_state(L, nm, nm, "1", 1);
    m->states[k].rhs = mir_const(A, 0);
  }
  /* u's display unit */
  if (ust->e && ust->e->unit.scale > 0 && !units_is_dimensionless(ust->sym->unit)) {
    char ub[64];
    m->states[0].unit = arena_strdup(A, units_format(ust->sym->unit, ub, sizeof ub));
    m->states[0].scale = ust->sym->unit.scale;
  }
  lower_bind(L, ust->sym, mir_ref(A, MIR_STATE, 0));
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_DEF) {
      bind_positions(L, st->e);
      lower_bind(L, st->sym, lower_add_derived(L, st->name, lower_expr(L, st->e)));
    }
    if (st->kind == ST_KERNEL) kst = st;
  }
  Expr *conv = find_conv(ode->e);
  Expr *w = conv->args.v[0], *g = conv->args.v[1];
  for (int i = 0; i < d->body.n; i++)
    if (((Stmt *)d->body.v[i])->sym == w->sym) kst = d->body.v[i];
  /* the gain and its derivative */
  bind_positions(L, g);
  MirExpr *G = mir_expand(A, m, lower_expr(L, g));
  m->states[0].rhs = G;
  m->states[1].rhs = mir_subst(A, m, mir_diff(A, m, G, 0), 1, mir_const(A, 0));
  /* the equation: R(u, C) with C (= conv) standing in slot 1 for now */
  lower_bind(L, conv->sym, mir_ref(A, MIR_STATE, 1));
  bind_positions(L, ode->e);
  MirExpr *R = mir_expand(A, m, lower_expr(L, ode->e));
  MirExpr *b = mir_diff(A, m, R, 1), *a = mir_diff(A, m, R, 0);
  bool linear = true;
  for (int s = 0; s < MSN_PF_SLOTS; s++) linear &= !mir_depends_on(m, b, s) && !mir_depends_on(m, a, s);
  double bv = mir_eval(m, b, NULL, 0), av = mir_eval(m, a, NULL, 0);
  if (!linear || !(bv > 0) || fabs(av / bv + 1) > 1e-9) {
    diag_error(L->diag, ode->e->loc, "E1012", "the equation of field %s must read %s' = (-%s + conv(w, f(%s)) + I) / tau",
               d->name, ust->name, ust->name, ust->name);
    diag_note(L->diag, (Loc){0}, "tau > 0 and I may depend on parameters, x%s and t, but not on %s or the convolution",
              dim == 2 ? ", y" : "", ust->name);
    return;
  }
  MirExpr *I = mir_bin(A, MIR_DIV, mir_subst(A, m, mir_subst(A, m, R, 0, mir_const(A, 0)), 1, mir_const(A, 0)), b);
  if (mir_depends_on(m, I, 0) || mir_depends_on(m, I, 1)) {
    diag_error(L->diag, ode->e->loc, "E1012", "the input of field %s depends on %s", d->name, ust->name);
    return;
  }
  m->states[3].rhs = I;
  m->states[5].rhs = mir_bin(A, MIR_DIV, mir_const(A, 1), b);
  P->conf[MSN_PF_I_OF_T] = 0;
  {
    /* does I depend on t? evaluate at two times */
    double y0[MSN_PF_SLOTS] = {0};
    double i0 = mir_eval(m, I, y0, 0), i1 = mir_eval(m, I, y0, 0.0123);
    P->conf[MSN_PF_I_OF_T] = i0 != i1;
  }
  /* initial value */
  Expr *ie = init ? init->e : ust->e;
  if (ie) {
    bind_positions(L, ie);
    m->states[4].rhs = mir_expand(A, m, lower_expr(L, ie));
  }
  /* the kernel */
  if (kst->names.n) {
    P->conf[MSN_PF_KERNEL] = 3; /* RT_KERNEL_USER */
    IdRef *r = kst->names.v[0];
    (void)r;
    /* the r symbol is the only SYM_LOCAL with a statement-less binding in e: bind by walking */
    PtrVec stack = {0};
    vec_push(A, &stack, kst->e);
    while (stack.n) {
      Expr *e = stack.v[--stack.n];
      if (!e) continue;
      if (e->kind == EX_NAME && e->sym && e->sym->kind == SYM_LOCAL && !e->sym->stmt &&
          strcmp(e->name, r->name) == 0)
        lower_bind(L, e->sym, mir_ref(A, MIR_STATE, 2));
      vec_push(A, &stack, e->a);
      vec_push(A, &stack, e->b);
      vec_push(A, &stack, e->c);
      for (int i = 0; i < e->args.n; i++) vec_push(A, &stack, e->args.v[i]);
    }
    m->states[2].rhs = mir_expand(A, m, lower_expr(L, kst->e));
  } else {
    const char *kn = kst->e->name;
    int kind = strcmp(kn, "gaussian") == 0 ? 0 : strcmp(kn, "mexican_hat") == 0 ? 1 : 2;
    P->conf[MSN_PF_KERNEL] = kind;
    static const char *const two[] = {"a", "s"}, *const four[] = {"a_e", "s_e", "a_i", "s_i"};
    for (int j = 0; j < (kind == 1 ? 4 : 2); j++) {
      Stmt *s = population_kwarg(&kst->exprs, 0, kind == 1 ? four[j] : two[j]);
      m->states[6 + j].rhs = mir_expand(A, m, lower_expr(L, s->e));
    }
  }
  common_sim(L);
  bool ee = L->c->sim.method == MIR_METHOD_EXP_EULER;
  P->conf[MSN_PF_METHOD] = ee; /* RT_FIELD_EXPEULER : RT_FIELD_RK4 */
  P->why = ee ? "neural field: FFT convolution each step, exponential Euler (the leak exact, w * f(u) + I frozen "
                "over the step; 1st order) (runtime/rt_field.c)"
              : "neural field: FFT convolution each step, RK4 on the whole field (runtime/rt_field.c)";
  set_why(m, P->why);
  /* record the field */
  m->records = arena_alloc(A, sizeof(MirRecord));
  m->records[0].state = 0;
  m->nrecords = 1;
#ifndef MSN_FUZZ_STDLIB
  if (L->diag->nerrors == 0) field_report(L, d, P);
#endif
}

/* ---- densities ----------------------------------------------------------------- */

static void lower_density(Lower *L, Decl *d) {
  Arena *A = L->A;
  Mir *m = L->m;
  Compilation *c = L->c;
  MirPopulation *P = arena_alloc(A, sizeof *P);
  P->kind = MSN_POP_DENSITY;
  m->population = P;
  P->conf[MSN_PD_KIND] = MSN_POP_DENSITY;
  /* the cell: lowered on its own for its threshold, reset, refractory
   * period and membrane time constant */
  SimSpec saved = c->sim;
  memset(&c->sim.records, 0, sizeof c->sim.records);
  memset(&c->sim.vary, 0, sizeof c->sim.vary);
  c->sim.record_spikes = false;
  c->sim.instances = 1;
  c->sim.cell = sema_find_decl(&c->prog, DC_CELL, d->path);
  Mir *cm = c->sim.cell ? msnc_lower(c) : NULL;
  c->sim = saved;
  if (!cm) return;
  for (int k = 0; k < cm->nstates; k++)
    if (cm->states[k].noise) { /* the density's input is its only noise (runtime/rt_density.c) */
      diag_error(L->diag, d->e->loc, "E0238", "density %s of %s: %s has noise, which a population density cannot "
                 "have", d->name, d->path, d->path);
      diag_note(L->diag, (Loc){0}, "the density's `input mu = ..., sigma = ...` gives the fluctuations of its input");
      return;
    }
  if (!cm->has_reset || cm->spike_state < 0 || !cm->reset_exact) {
    diag_error(L->diag, d->e->loc, "E1010", "density %s of %s: %s is not a leaky integrate-and-fire cell", d->name,
               d->path, d->path);
    diag_note(L->diag, (Loc){0}, "the cell needs `spike when V crosses ...`, `reset V = ...` and a membrane linear in V");
    return;
  }
  double b = mir_eval(cm, cm->reset_lin_b, NULL, 0);
  double tau = -1 / b, theta = cm->spike_threshold, vr = cm->reset_value, tref = cm->refractory;
  /* the population starts at rest where the cell starts: all mass at V(0) */
  const MirExpr *v0e = cm->states[cm->spike_state].init;
  double v0 = v0e ? mir_eval(cm, v0e, NULL, 0) : vr;
  Stmt *grid = NULL, *input = NULL;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_PARAM) lower_param_from_stmt(L, st, st->name);
    if (st->kind == ST_GRID) grid = st;
    if (st->kind == ST_INPUT) input = st;
  }
  double vmin, vmax, dv;
  sema_const_value(grid->e, &vmin);
  sema_const_value(grid->e2, &vmax);
  sema_const_value(grid->e3, &dv);
  if (!(vmin < vr && theta <= vmax + 1e-12 * fabs(vmax) + 1e-15)) {
    diag_error(L->diag, grid->loc, "E1013", "the grid [%g mV, %g mV] of density %s misses %s's %s (%g mV)",
               vmin * 1e3, vmax * 1e3, d->name, d->path, vmin < vr ? "threshold" : "reset", (vmin < vr ? theta : vr) * 1e3);
    diag_note(L->diag, (Loc){0}, "the grid must run from below the reset (%g mV) up to the threshold (%g mV)", vr * 1e3,
              theta * 1e3);
    return;
  }
  if (!(v0 > vmin && v0 < theta)) {
    diag_error(L->diag, grid->loc, "E1013", "the grid [%g mV, %g mV] of density %s misses %s's V(0) = %g mV", vmin * 1e3,
               vmax * 1e3, d->name, d->path, v0 * 1e3);
    diag_note(L->diag, (Loc){0}, "the density starts with all its mass at the cell's V(0), which must lie inside the grid "
              "and below the threshold (%g mV)", theta * 1e3);
    return;
  }
  double cells = (theta - vmin) / dv;
  if (fabs(cells - floor(cells + 0.5)) > 1e-6 * fmax(1, cells)) {
    diag_error(L->diag, grid->e3->loc, "E1013", "the grid step %g mV does not divide the distance from %g mV to the "
               "threshold %g mV", dv * 1e3, vmin * 1e3, theta * 1e3);
    diag_note(L->diag, (Loc){0}, "the last cell of the grid must end at the threshold (%.6g cells here)", cells);
    return;
  }
  P->conf[MSN_PD_VMIN] = vmin;
  P->conf[MSN_PD_DV] = dv;
  P->conf[MSN_PD_THETA] = theta;
  P->conf[MSN_PD_VRESET] = vr;
  P->conf[MSN_PD_TAU] = tau;
  P->conf[MSN_PD_TREF] = tref;
  bool cn = c->sim.method == MIR_METHOD_CRANK_NICOLSON;
  P->conf[MSN_PD_METHOD] = cn; /* RT_DENSITY_CN : RT_DENSITY_BE */
  P->conf[MSN_PD_VMAX] = vmax;
  P->conf[MSN_PD_V0] = v0;
  lower_add_state(L, d->name, d->name, "Hz", 1);
  lower_add_state(L, "sigma", "sigma", "mV", 1e-3);
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_DEF) lower_bind(L, st->sym, lower_add_derived(L, st->name, lower_expr(L, st->e)));
  }
  Stmt *mu = population_kwarg(&input->exprs, 0, "mu"), *sg = population_kwarg(&input->exprs, 0, "sigma");
  m->states[0].rhs = mir_expand(A, m, lower_expr(L, mu->e));
  m->states[1].rhs = sg ? mir_expand(A, m, lower_expr(L, sg->e)) : mir_const(A, 0);
  common_sim(L);
  P->why = cn ? "population density: Fokker-Planck, finite volumes (Scharfetter-Gummel), Crank-Nicolson "
                "(2nd order; 4 backward Euler steps first) (runtime/rt_density.c)"
              : "population density: Fokker-Planck, finite volumes (Scharfetter-Gummel), backward Euler "
                "(runtime/rt_density.c)";
  set_why(m, P->why);
  m->records = arena_alloc(A, sizeof(MirRecord));
  m->records[0].state = 0;
  m->nrecords = 1;
  /* scale check with the smallest sigma at t = 0 */
  double sigma0 = mir_eval(m, m->states[1].rhs, NULL, 0);
  StrBuf b2 = {0};
  sb_printf(&b2, "  cell %s: tau_m = %.6g ms, threshold %.6g mV, reset %.6g mV, refractory %.6g ms\n", d->path,
            tau * 1e3, theta * 1e3, vr * 1e3, tref * 1e3);
  sb_printf(&b2, "  initial density: all mass at V(0) = %.6g mV\n", v0 * 1e3);
  sb_printf(&b2, "  grid: %d cells of %.6g mV from %.6g mV to the threshold\n", (int)floor(cells + 0.5), dv * 1e3,
            vmin * 1e3);
#ifndef MSN_FUZZ_STDLIB
  char warn[512];
  if (rt_density_scale_check(dv, theta, vr, sigma0, warn, sizeof warn))
    diag_warning(L->diag, grid->e3->loc, "W1022", "density %s: %s", d->name, warn);
#endif
  P->report = arena_strdup(A, b2.s ? b2.s : "");
  free(sb_take(&b2));
}

Mir *lower_population(Compilation *c) {
  Lower L;
  Decl *d = c->sim.cell;
  lower_init(&L, c, d->name);
  int before = c->diag.nerrors;
  if (d->kind == DC_FIELD) lower_field(&L, d);
  else lower_density(&L, d);
  Mir *m = lower_finish(&L, before);
  /* lower_finish chose a solver per slot; the population's own scheme is what runs */
  if (m) set_why(m, m->population && m->population->why ? m->population->why : "population model");
  return m;
}

void population_print_info(FILE *out, const Mir *m) {
  const MirPopulation *P = m->population;
  if (P->kind == MSN_POP_FIELD) {
    if (P->conf[MSN_PF_GEOMETRY] == 1)
      fprintf(out, "\nneural field on a ring: %d points, %.6g mm\n", (int)P->conf[MSN_PF_NX], P->conf[MSN_PF_LX] * 1e3);
    else
      fprintf(out, "\nneural field on a torus: %d x %d points, %.6g mm x %.6g mm\n", (int)P->conf[MSN_PF_NX],
              (int)P->conf[MSN_PF_NY], P->conf[MSN_PF_LX] * 1e3, P->conf[MSN_PF_LY] * 1e3);
    fprintf(out, "  gain f(u) = ");
    StrBuf b = {0};
    mir_print_expr(&b, m, m->states[0].rhs);
    sb_puts(&b, "\n  f'(u) = ");
    mir_print_expr(&b, m, m->states[1].rhs);
    char *t = sb_take(&b);
    fprintf(out, "%s\n  time stepping: %s\nlinear stability (at the parameter defaults):\n%s", t,
            P->why ? P->why : "?", P->report ? P->report : "");
    free(t);
  } else {
    fprintf(out, "\npopulation density (Fokker-Planck) of an integrate-and-fire cell:\n  time stepping: %s\n%s",
            P->why ? P->why : "?", P->report ? P->report : "");
  }
}
