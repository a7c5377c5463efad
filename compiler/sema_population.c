/* compiler/sema_population.c — checks of the population models: neural
 * fields (`field NAME on ring(...) { ... }`) and population densities
 * (`density NAME of CELL { grid ...; input ... }`), docs/language.md 5.7.
 *
 * Diagnostics E1001-E1019 (docs/diagnostics.md).  What needs the lowered
 * model (the fixed point, the stability report, the threshold of the
 * density's cell) is checked by compiler/lower_population.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mir.h"
#include "sema.h"

static Unit unit_of(const char *text) {
  Unit u;
  if (!units_parse(text, &u, NULL, 0, NULL)) abort();
  return u;
}

bool sema_population_decl(const Decl *d) { return d->kind == DC_FIELD || d->kind == DC_DENSITY; }

/* The keyword argument name of list (ST_DEF statements), or NULL. */
Stmt *population_kwarg(const PtrVec *list, int from, const char *name) {
  for (int i = from; i < list->n; i++) {
    Stmt *s = list->v[i];
    if (s->kind == ST_DEF && strcmp(s->name, name) == 0) return s;
  }
  return NULL;
}

/* Check keyword arguments against the allowed names (each required), as
 * constants with the given units ("" = any, remembered in *any). */
static bool check_kwargs(Sema *S, Scope *sc, const PtrVec *list, int from, const char *what, Loc at,
                         const char *const *names, const char *const *units, int n, Unit *any) {
  Diag *D = sema_diag(S);
  bool ok = true;
  for (int i = from; i < list->n; i++) {
    Stmt *s = list->v[i];
    int k = -1;
    for (int j = 0; j < n; j++)
      if (strcmp(s->name, names[j]) == 0) k = j;
    if (k < 0) {
      diag_error(D, s->name_loc, "E1005", "%s has no argument '%s'", what, s->name);
      StrBuf b = {0};
      for (int j = 0; j < n; j++) sb_printf(&b, "%s%s", j ? ", " : "", names[j]);
      char *t = sb_take(&b);
      diag_note(D, (Loc){0}, "its arguments are: %s", t);
      free(t);
      ok = false;
      continue;
    }
    for (int j = from; j < i; j++)
      if (strcmp(((Stmt *)list->v[j])->name, s->name) == 0) {
        diag_error(D, s->name_loc, "E1005", "argument '%s' of %s is given twice", s->name, what);
        ok = false;
      }
    Scope *cs = sema_scope_new(S, sc, true);
    if (!sema_check_expr(S, cs, s->e)) { ok = false; continue; }
    char role[128];
    snprintf(role, sizeof role, "argument %s of %s", s->name, what);
    if (units[k][0]) ok &= sema_expect_unit(S, s->e, unit_of(units[k]), role);
    else if (any) {
      if (any->scale == 0) *any = s->e->unit;
      else ok &= sema_expect_unit(S, s->e, *any, role);
    }
    double v;
    if (ok && !sema_const_value(s->e, &v)) {
      diag_error(D, s->e->loc, "E0401", "%s must be a constant", role);
      ok = false;
    }
  }
  for (int j = 0; j < n; j++)
    if (!population_kwarg(list, from, names[j])) {
      diag_error(D, at, "E1005", "%s needs the argument '%s'", what, names[j]);
      ok = false;
    }
  return ok;
}

/* A positive (and, for counts, whole) geometry value. */
static void positive(Sema *S, Stmt *s, bool count) {
  double v;
  if (!s || !sema_const_value(s->e, &v)) return;
  if (!(v > 0) || !isfinite(v) || (count && (v != floor(v) || v < 4 || v > 1 << 24)))
    diag_error(sema_diag(S), s->e->loc, "E1003", count ? "%s must be a whole number of grid points, at least 4"
                                                      : "%s must be positive", s->name);
}

/* ---- fields ---------------------------------------------------------------- */

static const char *const kernel_names[] = {"gaussian", "mexican_hat", "exponential"};

static void check_kernel(Sema *S, Scope *sc, Stmt *st, int dim) {
  Diag *D = sema_diag(S);
  Sym *k = sema_declare(S, sc, SYM_KERNEL, st->name, st->name_loc);
  k->stmt = st;
  st->sym = k;
  k->unit.scale = 0;
  if (st->names.n) { /* kernel w(r) = expr: per length (ring) or area (torus) */
    IdRef *r = st->names.v[0];
    Scope *ks = sema_scope_new(S, sc, false);
    Sym *rs = sema_declare(S, ks, SYM_LOCAL, r->name, r->loc);
    rs->unit = unit_of("mm");
    if (!sema_check_expr(S, ks, st->e)) { k->bad = true; return; }
    k->unit = units_mul(st->e->unit, units_pow(unit_of("mm"), dim));
    return;
  }
  const char *name = st->e->name;
  int kind = -1;
  for (int i = 0; i < 3; i++)
    if (strcmp(name, kernel_names[i]) == 0) kind = i;
  if (kind < 0) {
    diag_error(D, st->e->loc, "E1004", "unknown kernel '%s'", name);
    const char *best = NULL;
    int bestd = 4;
    for (int i = 0; i < 3; i++) {
      int d = edit_distance(name, kernel_names[i]);
      if (d < bestd) { bestd = d; best = kernel_names[i]; }
    }
    if (best) diag_note(D, (Loc){0}, "did you mean '%s'?", best);
    diag_note(D, (Loc){0}, "the kernels are gaussian(a, s), mexican_hat(a_e, s_e, a_i, s_i), exponential(a, s), "
                           "or your own: kernel %s(r) = EXPR of the distance r", st->name);
    k->bad = true;
    return;
  }
  static const char *const two[] = {"a", "s"}, *const four[] = {"a_e", "s_e", "a_i", "s_i"};
  static const char *const two_u[] = {"", "mm"}, *const four_u[] = {"", "mm", "", "mm"};
  Unit amp = {0};
  char what[96];
  snprintf(what, sizeof what, "kernel %s", name);
  bool ok = kind == 1 ? check_kwargs(S, sc, &st->exprs, 0, what, st->e->loc, four, four_u, 4, &amp)
                      : check_kwargs(S, sc, &st->exprs, 0, what, st->e->loc, two, two_u, 2, &amp);
  for (int i = 0; ok && i < st->exprs.n; i++) positive(S, st->exprs.v[i], false);
  if (!ok) k->bad = true;
  else k->unit = amp; /* a library kernel integrates to its amplitude */
}

/* conv(w, g) calls of e: checked and replaced by the name `conv` that
 * stands for their value (args kept for lowering). */
static int find_convs(Sema *S, Scope *sc, Expr *e, Sym *u, Sym *convsym, int dim) {
  if (!e) return 0;
  Diag *D = sema_diag(S);
  if (e->kind == EX_CALL && strcmp(e->name, "conv") == 0 && !e->sym) {
    if (e->args.n != 2) {
      diag_error(D, e->loc, "E1006", "conv takes a kernel and the rate it spreads: conv(w, f(u))");
      return -100;
    }
    Expr *w = e->args.v[0], *g = e->args.v[1];
    Sym *k = w->kind == EX_NAME ? sema_lookup(S, sc, w->name) : NULL;
    if (!k || k->kind != SYM_KERNEL) {
      diag_error(D, w->loc, "E1006", "the first argument of conv must name a kernel of this field");
      diag_note(D, (Loc){0}, "declare it with `kernel w = mexican_hat(...)` or `kernel w(r) = ...`");
      return -100;
    }
    if (k->bad || !sema_check_expr(S, sc, g)) return -100;
    w->sym = k;
    Unit cu = units_mul(k->unit, g->unit);
    if (!units_same_dim(cu, u->unit)) {
      char a[160], b[160], ku[160];
      diag_error(D, e->loc, "E1009", "conv(%s, ...) is %s, but %s is %s", w->name, sema_unit_text(cu, a, sizeof a),
                 u->name, sema_unit_text(u->unit, b, sizeof b));
      if (k->stmt->names.n)
        diag_note(D, k->stmt->loc, "on a %s a kernel w(r) is per %s: its integral, %s here, times the rate must be "
                  "in the unit of %s", dim == 1 ? "ring" : "torus", dim == 1 ? "length" : "area",
                  sema_unit_text(k->unit, ku, sizeof ku), u->name);
      else
        diag_note(D, k->stmt->loc, "a library kernel integrates to its amplitude (%s here); amplitude times rate "
                  "must be in the unit of %s", sema_unit_text(k->unit, ku, sizeof ku), u->name);
      return -100;
    }
    convsym->unit = cu;
    e->kind = EX_NAME;
    e->name = (char *)convsym->name;
    return 1;
  }
  int n = find_convs(S, sc, e->a, u, convsym, dim) + find_convs(S, sc, e->b, u, convsym, dim) +
          find_convs(S, sc, e->c, u, convsym, dim);
  for (int i = 0; i < e->args.n; i++) n += find_convs(S, sc, e->args.v[i], u, convsym, dim);
  return n;
}

static void check_field(Sema *S, Decl *d) {
  Diag *D = sema_diag(S);
  IdRef *on = d->params.v[0];
  if (strcmp(on->name, "on") != 0) {
    diag_error(D, on->loc, "E1001", "expected 'on' after the field's name: field %s on ring(...)", d->name);
    return;
  }
  int dim = strcmp(d->path, "ring") == 0 ? 1 : strcmp(d->path, "torus") == 0 ? 2 : 0;
  if (!dim) {
    diag_error(D, d->e->loc, "E1002", "unknown geometry '%s'", d->path);
    diag_note(D, (Loc){0}, "a field lives on ring(length = L, points = N) or torus(Lx = L, Ly = L, nx = N, ny = N)");
    return;
  }
  Scope *sc = sema_scope_new(S, NULL, false);
  sema_scope_enter_rates(S, d, sc);
  static const char *const ring[] = {"length", "points"}, *const ring_u[] = {"mm", "1"};
  static const char *const torus[] = {"Lx", "Ly", "nx", "ny"}, *const torus_u[] = {"mm", "mm", "1", "1"};
  char what[64];
  snprintf(what, sizeof what, "geometry %s", d->path);
  if (check_kwargs(S, sc, &d->params, 1, what, d->e->loc, dim == 1 ? ring : torus, dim == 1 ? ring_u : torus_u,
                   dim == 1 ? 2 : 4, NULL))
    for (int i = 1; i < d->params.n; i++) {
      Stmt *s = d->params.v[i];
      positive(S, s, s->name[0] == 'p' || s->name[0] == 'n');
    }
  /* position(s) and a per-point random number for initial values */
  Sym *x = sema_declare(S, sc, SYM_LOCAL, "x", d->loc);
  x->unit = unit_of("mm");
  if (dim == 2) sema_declare(S, sc, SYM_LOCAL, "y", d->loc)->unit = unit_of("mm");
  sema_declare(S, sc, SYM_LOCAL, "xi", d->loc);
  Sym *u = NULL;
  Stmt *ode = NULL;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind != ST_STATE) continue;
    if (u) {
      diag_error(D, st->name_loc, "E1007", "a field has one state (its activity), but %s declares a second one, %s",
                 d->name, st->name);
      continue;
    }
    u = sema_declare(S, sc, SYM_STATE, st->name, st->name_loc);
    u->stmt = st;
    st->sym = u;
  }
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    switch (st->kind) {
    case ST_PARAM: sema_check_param(S, sc, st); break;
    case ST_DEF: sema_check_def(S, sc, st); break;
    case ST_KERNEL: check_kernel(S, sc, st, dim); break;
    case ST_STATE:
      if (st->sym == u && st->e) {
        Scope *cs = sema_scope_new(S, sc, true);
        if (sema_check_expr(S, cs, st->e)) u->unit = st->e->unit;
        else u->bad = true;
      }
      break;
    case ST_INIT: {
      double t0;
      if (!sema_const_value(st->e2, &t0) || t0 != 0 || !u || strcmp(st->name, u->name) != 0) {
        diag_error(D, st->name_loc, "E0217", "a field's initial value is written %s(0) = ... (may use x%s and xi)",
                   u ? u->name : "u", dim == 2 ? ", y" : "");
        break;
      }
      if (sema_check_expr(S, sc, st->e)) sema_expect_unit(S, st->e, u->unit, "the initial value");
      break;
    }
    case ST_ODE: {
      if (!u || strcmp(st->name, u->name) != 0) {
        diag_error(D, st->name_loc, "E0211", "%s' = ... needs '%s' to be the state of this field", st->name,
                   st->name);
        break;
      }
      if (ode) {
        diag_error(D, st->name_loc, "E0224", "%s' is given twice", st->name);
        break;
      }
      ode = st;
      st->sym = u;
      Scope *cs = sema_scope_new(S, sc, false);
      Sym *conv = sema_declare(S, cs, SYM_LOCAL, "conv", st->loc);
      int n = find_convs(S, sc, st->e, u, conv, dim);
      if (n < 0) break;
      if (n != 1) {
        diag_error(D, st->e->loc, "E1008", "the equation of field %s must contain conv(w, f(%s)) exactly once",
                   d->name, u->name);
        diag_note(D, (Loc){0}, "write %s' = (-%s + conv(w, f(%s)) + I) / tau", u->name, u->name, u->name);
        break;
      }
      d->sym->stmt = st;
      if (sema_check_expr(S, cs, st->e)) {
        char w[96];
        snprintf(w, sizeof w, "the right-hand side of %s'", u->name);
        sema_expect_unit(S, st->e, units_div(u->unit, unit_of("ms")), w);
      }
      break;
    }
    default:
      sema_not_allowed(S, st, "field",
                       "a field holds param, one state, kernels, definitions, u(0) = ... and the equation u' = ...");
    }
  }
  if (!u) {
    diag_error(D, d->name_loc, "E1008", "field %s has no state", d->name);
    diag_note(D, (Loc){0}, "declare its activity, `state u = 0`, and its equation u' = (-u + conv(w, f(u)) + I) / tau");
  } else if (!ode) {
    diag_error(D, d->name_loc, "E1008", "field %s has no equation %s' = ...", d->name, u->name);
    diag_note(D, (Loc){0}, "write %s' = (-%s + conv(w, f(%s)) + I) / tau", u->name, u->name, u->name);
  }
  sema_scope_enter_rates(S, NULL, NULL);
}

/* ---- densities --------------------------------------------------------------- */

/* The grid must run from below the cell's reset up to its threshold (both
 * read from the cell when they are checked constants; lowering checks the
 * rest). */
static void grid_covers(Sema *S, Decl *d, Decl *cell, Stmt *grid, const double *v) {
  double theta = NAN, vr = NAN;
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_SPIKE && st->e->unit.scale != 0) sema_const_value(st->e, &theta);
    if (st->kind == ST_RESET && st->e->unit.scale != 0) sema_const_value(st->e, &vr);
  }
  bool miss_t = isfinite(theta) && !(theta > v[0] && theta <= v[1] + 1e-12 * fabs(v[1]) + 1e-15);
  bool miss_r = isfinite(vr) && !(vr > v[0]);
  if (!miss_t && !miss_r) return;
  diag_error(sema_diag(S), grid->loc, "E1013", "the grid [%g mV, %g mV] of density %s misses %s's %s (%g mV)",
             v[0] * 1e3, v[1] * 1e3, d->name, cell->name, miss_t ? "threshold" : "reset", (miss_t ? theta : vr) * 1e3);
  diag_note(sema_diag(S), (Loc){0}, "the grid must run from below the reset (%g mV) up to the threshold (%g mV)",
            vr * 1e3, theta * 1e3);
}

static void check_density(Sema *S, Decl *d) {
  Diag *D = sema_diag(S);
  IdRef *of = d->params.v[0];
  if (strcmp(of->name, "of") != 0) {
    diag_error(D, of->loc, "E1001", "expected 'of' after the density's name: density %s of LIF { ... }", d->name);
    return;
  }
  Sym *cell = sema_lookup(S, NULL, d->path);
  if (!cell || cell->kind != SYM_CELL) {
    diag_error(D, d->e->loc, "E1010", "density %s of %s: '%s' %s", d->name, d->path, d->path,
               cell ? "is not a cell" : "is not defined");
    diag_note(D, (Loc){0}, "name an integrate-and-fire cell (spike, reset and refractory), e.g. import \"lif\" and "
                           "write `of LIF`");
    return;
  }
  Scope *sc = sema_scope_new(S, NULL, false);
  sema_scope_enter_rates(S, d, sc);
  Stmt *grid = NULL, *input = NULL;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    switch (st->kind) {
    case ST_PARAM: sema_check_param(S, sc, st); break;
    case ST_DEF: sema_check_def(S, sc, st); break;
    case ST_GRID: {
      if (grid) { diag_error(D, st->loc, "E0404", "the grid is given twice"); break; }
      grid = st;
      IdRef *step = st->names.v[0];
      if (strcmp(st->name, "V") != 0)
        diag_error(D, st->name_loc, "E1011", "a density's grid is over the membrane potential: grid V in [...]");
      if (strcmp(step->name, "step") != 0) {
        diag_error(D, step->loc, "E1011", "expected 'step' after the grid's range: grid V in [a, b] step dV");
        break;
      }
      Expr *es[3] = {st->e, st->e2, st->e3};
      double v[3];
      bool ok = true;
      for (int k = 0; k < 3; k++) {
        Scope *cs = sema_scope_new(S, sc, true);
        ok = ok && sema_check_expr(S, cs, es[k]) &&
             sema_expect_unit(S, es[k], unit_of("mV"), k == 2 ? "the grid step" : "the grid's range") &&
             sema_const_value(es[k], &v[k]);
      }
      if (!ok) break;
      if (!(v[2] > 0)) diag_error(D, st->e3->loc, "E1003", "the grid step must be positive");
      else if (!(v[1] > v[0])) diag_error(D, st->e2->loc, "E1003", "the grid's range [%g mV, %g mV] is empty",
                                          v[0] * 1e3, v[1] * 1e3);
      else grid_covers(S, d, cell->decl, st, v);
      break;
    }
    case ST_INPUT: {
      if (input) { diag_error(D, st->loc, "E0404", "the input is given twice"); break; }
      input = st;
      for (int k = 0; k < st->exprs.n; k++) {
        Stmt *a = st->exprs.v[k];
        if (strcmp(a->name, "mu") != 0 && strcmp(a->name, "sigma") != 0) {
          diag_error(D, a->name_loc, "E1005", "a density's input is mu (the mean drive, in mV) and sigma (its "
                                              "fluctuations, in mV), not '%s'", a->name);
          continue;
        }
        for (int j = 0; j < k; j++)
          if (strcmp(((Stmt *)st->exprs.v[j])->name, a->name) == 0)
            diag_error(D, a->name_loc, "E1005", "input %s is given twice", a->name);
        if (sema_check_expr(S, sc, a->e)) sema_expect_unit(S, a->e, unit_of("mV"), a->name[0] == 'm' ?
                                                           "the mean input mu" : "the input fluctuation sigma");
      }
      if (!population_kwarg(&st->exprs, 0, "mu"))
        diag_error(D, st->loc, "E1005", "input needs mu (the mean drive, in mV)");
      break;
    }
    default:
      sema_not_allowed(S, st, "density", "a density holds param, definitions, one grid and one input");
    }
  }
  if (!grid) {
    diag_error(D, d->name_loc, "E1011", "density %s has no grid", d->name);
    diag_note(D, (Loc){0}, "add `grid V in [-70 mV, -50 mV] step 0.1 mV` (up to the threshold)");
  }
  if (!input) {
    diag_error(D, d->name_loc, "E1005", "density %s has no input", d->name);
    diag_note(D, (Loc){0}, "add `input mu = 15 mV, sigma = 5 mV` (constants or expressions of t)");
  }
  sema_scope_enter_rates(S, NULL, NULL);
}

void sema_check_population(Sema *S, Decl *d) {
  if (d->kind == DC_FIELD) check_field(S, d);
  else check_density(S, d);
}

/* ---- the simulate block's method ------------------------------------------------ */

void sema_population_method(Sema *S, const Decl *model, int method, Loc at) {
  Diag *D = sema_diag(S);
  bool field = model && model->kind == DC_FIELD, density = model && model->kind == DC_DENSITY;
  bool field_m = method == MIR_METHOD_RK4 || method == MIR_METHOD_EXP_EULER;
  bool dens_m = method == MIR_METHOD_BACKWARD_EULER || method == MIR_METHOD_CRANK_NICOLSON;
  if (field && !field_m) {
    diag_error(D, at, "E1015", "field %s is integrated by rk4 or exp_euler", model->name);
    diag_note(D, (Loc){0}, "rk4 (the default): 4 convolutions a step, 4th order; exp_euler: 1 convolution a step, "
              "1st order, the leak exact");
  } else if (density && !dens_m) {
    diag_error(D, at, "E1015", "density %s is integrated by backward_euler or crank_nicolson", model->name);
    diag_note(D, (Loc){0}, "backward_euler (the default): 1st order, keeps the density non-negative; "
              "crank_nicolson: 2nd order");
  } else if (!field && !density && (method == MIR_METHOD_EXP_EULER || dens_m)) {
    diag_error(D, at, "E1015", "%s is a method of %s; %s is not one", method == MIR_METHOD_EXP_EULER ? "exp_euler"
               : method == MIR_METHOD_BACKWARD_EULER ? "backward_euler" : "crank_nicolson",
               dens_m ? "population densities" : "neural fields", model ? model->name : "a network");
    diag_note(D, (Loc){0}, "cells use staggered, rk4, rk45, euler or heun; rates models rk4, rk45, euler or heun");
  }
}
