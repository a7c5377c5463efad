/* compiler/sema_simulate.c — the simulate block: which model runs, for
 * how long, with which method and settings (docs/language.md 5.5), and
 * `vary` over instances.  Called by sema_check after every declaration is
 * checked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mir.h"
#include "sema_internal.h"

/* ---- simulate ------------------------------------------------------------- */

static const char *settings[] = {"model", "duration", "dt", "method", "tolerance", "celsius", "instances"};

static bool setting_time(Sema *S, Scope *sc, Stmt *st, double *out, const char *what) {
  if (!sema_check_expr(S, sc, st->e) || !sema_expect_unit(S, st->e, sema_unit_of("ms"), what)) return false;
  if (!sema_const_value(st->e, out)) {
    diag_error(S->diag, st->e->loc, "E0401", "%s must be a constant", what);
    return false;
  }
  if (!(*out > 0) || !isfinite(*out)) {
    diag_error(S->diag, st->e->loc, "E0402", "%s must be positive", what);
    return false;
  }
  return true;
}


static void check_setting(Sema *S, Scope *sc, Stmt *st, SimSpec *sim, Stmt **seen) {
  if (st->key == SIM_RECORD_RATES) { /* bins checked in compiler/sema_network.c */
    Loc at = st->e ? st->e->loc : st->loc;
    if (sim->rate_loc.file) {
      diag_error(S->diag, at, "E0404", "the bin width of the rates is set twice");
      diag_note(S->diag, sim->rate_loc, "first set here");
      return;
    }
    sim->rate_loc = at;
    if (!st->e) { /* `record rates`: the default bin, rounded in compiler/sema_network.c */
      sim->rate_bin = SIM_DEFAULT_RATE_BIN;
      sim->rate_bin_default = true;
      return;
    }
    setting_time(S, sc, st, &sim->rate_bin, "the bin width of the rates");
    return;
  }
  if (st->key == SIM_RECORD_PER) { /* `record spikes per population`; networks: compiler/sema_network.c */
    if (strcmp(st->name, "per") != 0) {
      diag_error(S->diag, st->name_loc, "E0101", "unexpected name '%s'; expected `per population`", st->name);
      return;
    }
    for (int k = 0; k < st->names.n; k++) {
      IdRef *r = st->names.v[k];
      if (strcmp(r->name, "spikes") != 0) {
        diag_error(S->diag, r->loc, "E0955", "only spikes can be written per population, not '%s'", r->name);
        diag_note(S->diag, (Loc){0}, "write `record spikes per population` and record states in another statement");
        return;
      }
    }
    sim->record_spikes = true;
    sim->spikes_per_pop_loc = st->name_loc;
    return;
  }
  if (st->key == SIM_RECORD_OF) { /* the neurons: compiler/sema_network.c */
    if (strcmp(st->name, "of") != 0) {
      diag_error(S->diag, st->name_loc, "E0101", "unexpected name '%s'; expected `of`", st->name);
      if (strcmp(st->name, "per") == 0) /* `record spikes per populations` */
        diag_note(S->diag, (Loc){0}, "one spike file per population is `record spikes per population`");
      return;
    }
    vec_push(S->A, &sim->record_of, st);
  }
  if (st->key == SIM_RECORD || st->key == SIM_RECORD_AT || st->key == SIM_RECORD_OF) { /* locations: compiler/sema_cable.c */
    for (int k = 0; k < st->names.n; k++) {
      IdRef *r = st->names.v[k];
      if (strcmp(r->name, "spikes") == 0 && st->key == SIM_RECORD_OF) {
        diag_error(S->diag, r->loc, "E0412", "cannot record spikes of chosen neurons: spikes are recorded for all");
        diag_note(S->diag, (Loc){0}, "write `record spikes` in a statement of its own");
      } else if (strcmp(r->name, "spikes") == 0) sim->record_spikes = true;
      else vec_push(S->A, &sim->records, r);
    }
    if (st->e) {
      if (sim->every_loc.file) {
        diag_error(S->diag, st->e->loc, "E0404", "the recording interval is set twice");
        diag_note(S->diag, sim->every_loc, "first set here");
        return;
      }
      sim->every_loc = st->e->loc;
      setting_time(S, sc, st, &sim->record_every, "the recording interval");
    }
    return;
  }
  if (st->key == SIM_VARY_RANGE || st->key == SIM_VARY_LIST) return; /* after the model is known */
  int key = -1;
  for (int i = 0; i < (int)(sizeof settings / sizeof settings[0]); i++)
    if (strcmp(st->name, settings[i]) == 0) key = i;
  if (key < 0) {
    diag_error(S->diag, st->name_loc, "E0403", "unknown setting '%s' in simulate", st->name);
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < (int)(sizeof settings / sizeof settings[0]); i++) {
      int d = edit_distance(st->name, settings[i]);
      if (d < bestd) { bestd = d; best = settings[i]; }
    }
    if (best) diag_note(S->diag, (Loc){0}, "did you mean '%s'?", best);
    else diag_note(S->diag, (Loc){0}, "settings are: model, duration, dt, method, tolerance, celsius, instances, record, vary");
    return;
  }
  if (seen[key]) {
    diag_error(S->diag, st->name_loc, "E0404", "'%s' is set twice", st->name);
    diag_note(S->diag, seen[key]->name_loc, "first set here");
    return;
  }
  seen[key] = st;
  double v;
  switch (key) {
  case 0: { /* model */
    Sym *c = st->e->kind == EX_NAME ? sema_scope_find(&S->global, st->e->name) : NULL;
    if (!c || (c->kind != SYM_CELL && c->kind != SYM_RATES && c->kind != SYM_FIELD && c->kind != SYM_DENSITY)) {
      if (c) {
        diag_error(S->diag, st->e->loc, "E0405", "model must name a cell or a rates model, but '%s' is a %s", c->name,
                   sema_kind_word(c->kind));
      } else {
        diag_error(S->diag, st->e->loc, "E0405", "model must name a cell or a rates model");
        const char *near = NULL;
        int bestd = 3;
        for (int i = 0; st->e->kind == EX_NAME && i < S->global.syms.n; i++) {
          Sym *g = S->global.syms.v[i];
          int dist = edit_distance(st->e->name, g->name);
          if ((g->kind == SYM_CELL || g->kind == SYM_RATES) && dist < bestd) { bestd = dist; near = g->name; }
        }
        if (near) diag_note(S->diag, (Loc){0}, "did you mean '%s'?", near);
      }
      return;
    }
    sim->cell = c->decl;
    return;
  }
  case 1: setting_time(S, sc, st, &sim->duration, "the duration"); return;
  case 2: setting_time(S, sc, st, &sim->dt, "the time step dt"); return;
  case 3: {
    /* in MirMethod order */
    static const char *methods[] = {"staggered", "rk4", "rk45", "euler", "heun", "exp_euler", "backward_euler",
                                    "crank_nicolson"};
    for (int m = 0; m < 8; m++)
      if (st->e->kind == EX_NAME && strcmp(st->e->name, methods[m]) == 0) {
        sim->method = m;
        sim->method_given = true;
        return;
      }
    diag_error(S->diag, st->e->loc, "E0406", "unknown method; choose staggered, rk4, rk45, euler, heun, exp_euler, "
               "backward_euler or crank_nicolson");
    return;
  }
  case 4: case 5: case 6:
    if (!sema_check_expr(S, sc, st->e) || !sema_expect_unit(S, st->e, units_one(), settings[key])) return;
    if (!sema_const_value(st->e, &v)) {
      diag_error(S->diag, st->e->loc, "E0401", "%s must be a constant", settings[key]);
      return;
    }
    if (key == 4) {
      if (!(v > 0 && v < 1)) diag_error(S->diag, st->e->loc, "E0402", "tolerance must lie between 0 and 1");
      else sim->tolerance = v;
    } else if (key == 5) {
      if (!(v > -273.15 && v < 200)) diag_error(S->diag, st->e->loc, "E0402", "celsius must be a temperature in degrees Celsius");
      else sim->celsius = v;
    } else {
      if (!(v >= 1 && v <= 1e9 && v == floor(v)))
        diag_error(S->diag, st->e->loc, "E0402", "instances must be a whole number from 1 to 10^9");
      else sim->instances = (long)v;
    }
    return;
  }
}

/* The values of `vary`: constants of one dimension.  Which parameter they
 * go to (and whether the dimension is its own) is settled by lowering,
 * which knows every parameter of the model. */
static void check_vary(Sema *S, Scope *sc, Stmt *st, SimSpec *sim) {
  for (int i = 0; i < sim->vary.n; i++)
    if (strcmp(((VarySpec *)sim->vary.v[i])->name, st->name) == 0) {
      diag_error(S->diag, st->name_loc, "E0404", "parameter %s is varied twice", st->name);
      diag_note(S->diag, ((VarySpec *)sim->vary.v[i])->loc, "first varied here");
      return;
    }
  VarySpec *v = arena_alloc(S->A, sizeof *v);
  v->name = st->name;
  v->loc = st->name_loc;
  v->values = arena_alloc(S->A, sizeof(double) * (size_t)sim->instances);
  Expr *first = st->key == SIM_VARY_RANGE ? st->e : st->exprs.n ? st->exprs.v[0] : NULL;
  if (!first || !sema_check_expr(S, sc, first)) return;
  v->unit = first->unit;
  if (st->key == SIM_VARY_RANGE) {
    double a, b;
    if (!sema_check_expr(S, sc, st->e2)) return;
    if (sema_is_zero_literal(first)) v->unit = first->unit = st->e2->unit; /* from 0 to 20 nA */
    if (!sema_expect_unit(S, st->e2, v->unit, "the end of the range")) return;
    if (!sema_const_value(st->e, &a) || !sema_const_value(st->e2, &b)) {
      diag_error(S->diag, st->e->loc, "E0401", "the range of vary must be constant");
      return;
    }
    for (long i = 0; i < sim->instances; i++)
      v->values[i] = sim->instances == 1 ? a : a + (b - a) * (double)i / (double)(sim->instances - 1);
  } else {
    if (st->exprs.n != sim->instances) {
      diag_error(S->diag, st->name_loc, "E0408", "vary %s lists %d value%s, but there %s %ld instance%s", st->name,
                 st->exprs.n, st->exprs.n == 1 ? "" : "s", sim->instances == 1 ? "is" : "are", sim->instances,
                 sim->instances == 1 ? "" : "s");
      diag_note(S->diag, (Loc){0}, "set the count with `instances N` before vary");
      return;
    }
    for (int i = 0; i < st->exprs.n; i++) {
      Expr *e = st->exprs.v[i];
      if ((i && (!sema_check_expr(S, sc, e) || !sema_expect_unit(S, e, v->unit, "every value of vary"))) ||
          !sema_const_value(e, &v->values[i])) {
        if (!i) diag_error(S->diag, e->loc, "E0401", "the values of vary must be constants");
        return;
      }
    }
  }
  vec_push(S->A, &sim->vary, v);
}

/* The only cell of the main file, when there is exactly one. */
static Decl *only_cell(Program *prog) {
  Decl *only = NULL;
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    if ((d->kind == DC_CELL || d->kind == DC_RATES || sema_population_decl(d)) && d->file == prog->files.v[0]) {
      if (only) return NULL;
      only = d;
    }
  }
  return only;
}

void sema_check_simulate(Sema *S, Decl *d, SimSpec *sim) {
  Scope sc = {.parent = &S->global};
  Stmt *seen[sizeof settings / sizeof settings[0]] = {0};
  for (int i = 0; i < d->body.n; i++) check_setting(S, &sc, d->body.v[i], sim, seen);
  if (!sim->cell && !seen[0]) sim->cell = only_cell(S->prog);
  if (seen[3]) sema_population_method(S, sim->cell, sim->method, seen[3]->e->loc);
  if (!sim->cell) {
    bool network = false; /* populations give the model (compiler/sema_network.c) */
    for (int i = 0; i < S->prog->decls.n; i++) network |= ((Decl *)S->prog->decls.v[i])->kind == DC_POPULATION;
    if (!seen[0] && !network)
      diag_error(S->diag, d->loc, "E0409", "simulate needs a model: add `model NAME` naming a cell or a rates model");
    return;
  }
  if (sim->cell->kind == DC_RATES && seen[3] && sim->method <= MIR_METHOD_HEUN) {
    if (sim->method == MIR_METHOD_STAGGERED) {
      diag_error(S->diag, seen[3]->e->loc, "E0231", "rates model %s has no membrane: the staggered method does not apply",
                 sim->cell->name);
      diag_note(S->diag, (Loc){0}, "use rk4 (the default), heun, euler or rk45");
    } else if ((sim->method == MIR_METHOD_RK4 || sim->method == MIR_METHOD_RK45) && sema_rates_has_noise(sim->cell)) {
      diag_error(S->diag, seen[3]->e->loc, "E0233", "rates model %s has noise, which %s cannot integrate",
                 sim->cell->name, sim->method == MIR_METHOD_RK4 ? "rk4" : "rk45");
      diag_note(S->diag, (Loc){0}, "use heun (stochastic Heun, the default with noise) or euler (Euler-Maruyama)");
    }
  }
  if (sim->cell->kind == DC_CELL && seen[3] && (sim->method == MIR_METHOD_RK4 || sim->method == MIR_METHOD_RK45) &&
      sema_cell_has_noise(S->prog, sim->cell)) {
    diag_error(S->diag, seen[3]->e->loc, "E0233", "cell %s has noise, which %s cannot integrate", sim->cell->name,
               sim->method == MIR_METHOD_RK4 ? "rk4" : "rk45");
    diag_note(S->diag, (Loc){0}, "use staggered (the default for cells: an exact Ornstein-Uhlenbeck update for a "
                                 "state linear in itself), heun or euler");
  }
  if (sim->dt > sim->duration) {
    Loc at = seen[2] ? seen[2]->e->loc : seen[1] ? seen[1]->e->loc : d->loc;
    diag_error(S->diag, at, "E0410", "dt (%g ms) is longer than the duration (%g ms)", sim->dt * 1e3,
               sim->duration * 1e3);
  }
  if (sim->record_every > 0 && sim->record_every < sim->dt * (1 - 1e-9))
    diag_warning(S->diag, sim->every_loc, "W0411",
                 "recording every %g ms is finer than dt = %g ms; recording every step", sim->record_every * 1e3,
                 sim->dt * 1e3);
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->key == SIM_VARY_RANGE || st->key == SIM_VARY_LIST) check_vary(S, &sc, st, sim);
  }
  sema_cable_simulate(S, d, sim); /* locations V@sec(x): compiler/sema_cable.c */
}

/* ---- model-wide lookups ------------------------------------------------- */

Decl *sema_find_decl(Program *prog, DeclKind kind, const char *name) {
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    if (d->kind == kind && d->name && strcmp(d->name, name) == 0) return d;
  }
  return NULL;
}
