/* compiler/mir.c — building model-IR expressions, and printing a model for
 * `msnc info`. */
#include "mir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msnc.h"
#include "cable.h"
#include "util.h"

static MirExpr *node(Arena *a, MirOp op) {
  MirExpr *e = arena_alloc(a, sizeof *e);
  e->op = op;
  return e;
}

MirExpr *mir_const(Arena *a, double v) {
  MirExpr *e = node(a, MIR_CONST);
  e->value = v;
  return e;
}

MirExpr *mir_ref(Arena *a, MirOp op, int index) {
  MirExpr *e = node(a, op);
  e->index = index;
  return e;
}

MirExpr *mir_time(Arena *a) { return node(a, MIR_TIME); }

bool mir_is_const(const MirExpr *e, double v) { return e->op == MIR_CONST && e->value == v; }

MirExpr *mir_neg(Arena *a, MirExpr *x) {
  if (x->op == MIR_CONST) return mir_const(a, -x->value);
  if (x->op == MIR_NEG) return x->a;
  MirExpr *e = node(a, MIR_NEG);
  e->a = x;
  return e;
}

static double fold(MirOp op, double x, double y) {
  switch (op) {
  case MIR_ADD: return x + y;
  case MIR_SUB: return x - y;
  case MIR_MUL: return x * y;
  case MIR_DIV: return x / y;
  case MIR_LT: return x < y;
  case MIR_LE: return x <= y;
  case MIR_GT: return x > y;
  case MIR_GE: return x >= y;
  case MIR_EQ: return x == y;
  case MIR_NE: return x != y;
  case MIR_AND: return x != 0 && y != 0;
  case MIR_OR: return x != 0 || y != 0;
  default: return NAN;
  }
}

/* Made of constants and parameters only.  (A parameter that turns out to
 * vary per instance is still correct here, its reciprocal is just not
 * hoisted out of the loop.) */
static bool invariant(const MirExpr *e) {
  if (!e) return true;
  if (e->op == MIR_CONST || e->op == MIR_PARAM) return true;
  if (e->op == MIR_STATE || e->op == MIR_DERIVED || e->op == MIR_TIME || e->op == MIR_WINDOW) return false;
  return invariant(e->a) && invariant(e->b) && invariant(e->c);
}

MirExpr *mir_bin(Arena *a, MirOp op, MirExpr *x, MirExpr *y) {
  if (x->op == MIR_CONST && y->op == MIR_CONST) return mir_const(a, fold(op, x->value, y->value));
  switch (op) {
  case MIR_ADD:
    if (mir_is_const(x, 0)) return y;
    if (mir_is_const(y, 0)) return x;
    if (y->op == MIR_NEG) return mir_bin(a, MIR_SUB, x, y->a);
    break;
  case MIR_SUB:
    if (mir_is_const(y, 0)) return x;
    if (mir_is_const(x, 0)) return mir_neg(a, y);
    break;
  case MIR_MUL:
    /* x*0 = 0 is safe here: model quantities are finite where used */
    if (mir_is_const(x, 0) || mir_is_const(y, 0)) return mir_const(a, 0);
    if (mir_is_const(x, 1)) return y;
    if (mir_is_const(y, 1)) return x;
    if (mir_is_const(x, -1)) return mir_neg(a, y);
    if (mir_is_const(y, -1)) return mir_neg(a, x);
    break;
  case MIR_DIV:
    if (mir_is_const(x, 0)) return mir_const(a, 0);
    if (mir_is_const(y, 1)) return x;
    /* x / c as x * (1/c): within an ulp, and a multiplication costs a
     * fraction of a division in the vectorised kernels */
    if (y->op == MIR_CONST && y->value != 0 && isfinite(1 / y->value) && isnormal(1 / y->value))
      return mir_bin(a, MIR_MUL, x, mir_const(a, 1 / y->value));
    /* x / p for p made of parameters only: the reciprocal is hoisted out of
     * the loop over instances */
    if (x->op != MIR_CONST && invariant(y)) return mir_bin(a, MIR_MUL, x, mir_bin(a, MIR_DIV, mir_const(a, 1), y));
    break;
  default: break;
  }
  MirExpr *e = node(a, op);
  e->a = x;
  e->b = y;
  return e;
}

MirExpr *mir_powi(Arena *a, MirExpr *x, int n) {
  if (n == 0) return mir_const(a, 1);
  if (n == 1) return x;
  if (x->op == MIR_CONST) return mir_const(a, pow(x->value, n));
  MirExpr *e = node(a, MIR_POWI);
  e->a = x;
  e->ival = n;
  return e;
}

MirExpr *mir_call(Arena *a, MirFn fn, MirExpr *x, MirExpr *y) {
  MirExpr *e = node(a, MIR_CALL);
  e->fn = fn;
  e->a = x;
  e->b = y;
  e->nargs = y ? 2 : 1;
  return e;
}

MirExpr *mir_select(Arena *a, MirExpr *c, MirExpr *x, MirExpr *y) {
  if (c->op == MIR_CONST) return c->value != 0 ? x : y;
  MirExpr *e = node(a, MIR_SELECT);
  e->a = c;
  e->b = x;
  e->c = y;
  return e;
}

MirExpr *mir_window(Arena *a, MirExpr *from, MirExpr *to) {
  MirExpr *e = node(a, MIR_WINDOW);
  e->a = from;
  e->b = to;
  return e;
}

const char *mir_fn_name(MirFn fn) {
  static const char *names[] = {"exp", "log", "sqrt", "pow", "abs", "min", "max",
                                "tanh", "sin", "cos", "sigmoid", "exprelr"};
  return fn < MIR_FN_COUNT ? names[fn] : "?";
}

/* ---- evaluation ------------------------------------------------------------ */

/* The value of e with parameters at their defaults, states y (0 when y is
 * NULL) and time t: compile-time analyses (stability reports, solver
 * checks) and tests use it; generated code never does. */
double mir_eval(const Mir *m, const MirExpr *e, const double *y, double t) {
  double a = 0, b = 0;
  if (e->a) a = mir_eval(m, e->a, y, t);
  if (e->b && e->op != MIR_SELECT) b = mir_eval(m, e->b, y, t);
  switch (e->op) {
  case MIR_CONST: return e->value;
  case MIR_PARAM: return m->params[e->index].value;
  case MIR_STATE: return y ? y[e->index] : 0;
  case MIR_DERIVED: return mir_eval(m, m->derived[e->index].e, y, t);
  case MIR_TIME: return t;
  case MIR_NEG: return -a;
  case MIR_ADD: return a + b;
  case MIR_SUB: return a - b;
  case MIR_MUL: return a * b;
  case MIR_DIV: return a / b;
  case MIR_POWI: return pow(a, e->ival);
  case MIR_LT: return a < b;
  case MIR_LE: return a <= b;
  case MIR_GT: return a > b;
  case MIR_GE: return a >= b;
  case MIR_EQ: return a == b;
  case MIR_NE: return a != b;
  case MIR_AND: return a != 0 && b != 0;
  case MIR_OR: return a != 0 || b != 0;
  case MIR_NOT: return a == 0;
  case MIR_SELECT: return a != 0 ? mir_eval(m, e->b, y, t) : mir_eval(m, e->c, y, t);
  case MIR_WINDOW: return a <= t && t < b;
  case MIR_CALL:
    switch (e->fn) {
    case MIR_FN_EXP: return exp(a);
    case MIR_FN_LOG: return log(a);
    case MIR_FN_SQRT: return sqrt(a);
    case MIR_FN_POW: return pow(a, b);
    case MIR_FN_ABS: return fabs(a);
    case MIR_FN_MIN: return fmin(a, b);
    case MIR_FN_MAX: return fmax(a, b);
    case MIR_FN_TANH: return tanh(a);
    case MIR_FN_SIN: return sin(a);
    case MIR_FN_COS: return cos(a);
    case MIR_FN_SIGMOID: return 1 / (1 + exp(-a));
    case MIR_FN_EXPRELR: return a == 0 ? 1 : a / expm1(a);
    default: return NAN;
    }
  }
  return NAN;
}

/* ---- printing ------------------------------------------------------------- */

static int prec(const MirExpr *e) {
  switch (e->op) {
  case MIR_SELECT: return 0;
  case MIR_OR: return 1;
  case MIR_AND: return 2;
  case MIR_LT: case MIR_LE: case MIR_GT: case MIR_GE: case MIR_EQ: case MIR_NE: return 3;
  case MIR_ADD: case MIR_SUB: return 4;
  case MIR_MUL: case MIR_DIV: return 5;
  case MIR_NEG: case MIR_NOT: return 6;
  case MIR_POWI: return 7;
  default: return 9;
  }
}

static void sub(StrBuf *b, const Mir *m, const MirExpr *e, int min) {
  bool paren = prec(e) < min;
  if (paren) sb_putc(b, '(');
  mir_print_expr(b, m, e);
  if (paren) sb_putc(b, ')');
}

void mir_print_expr(StrBuf *b, const Mir *m, const MirExpr *e) {
  /* a DAG can unfold to an enormous text: stop at a few thousand characters */
  enum { LIMIT = 4000 };
  if (b->len > LIMIT) {
    if (b->len < LIMIT + 4) sb_puts(b, "...");
    return;
  }
  static const char *ops[] = {[MIR_ADD] = " + ", [MIR_SUB] = " - ", [MIR_MUL] = "*", [MIR_DIV] = "/",
                              [MIR_LT] = " < ", [MIR_LE] = " <= ", [MIR_GT] = " > ", [MIR_GE] = " >= ",
                              [MIR_EQ] = " == ", [MIR_NE] = " != ", [MIR_AND] = " && ", [MIR_OR] = " || "};
  switch (e->op) {
  case MIR_CONST: sb_printf(b, "%.6g", e->value); break;
  case MIR_PARAM: sb_puts(b, m->params[e->index].name); break;
  case MIR_STATE: sb_puts(b, m->states[e->index].name); break;
  case MIR_DERIVED: sb_puts(b, m->derived[e->index].name); break;
  case MIR_TIME: sb_putc(b, 't'); break;
  case MIR_NEG: sb_putc(b, '-'); sub(b, m, e->a, 7); break;
  case MIR_NOT: sb_putc(b, '!'); sub(b, m, e->a, 7); break;
  case MIR_POWI: sub(b, m, e->a, 8); sb_printf(b, "^%d", e->ival); break;
  case MIR_CALL:
    sb_printf(b, "%s(", mir_fn_name(e->fn));
    mir_print_expr(b, m, e->a);
    if (e->nargs > 1) { sb_puts(b, ", "); mir_print_expr(b, m, e->b); }
    sb_putc(b, ')');
    break;
  case MIR_SELECT:
    sub(b, m, e->a, 1); sb_puts(b, " ? "); sub(b, m, e->b, 1); sb_puts(b, " : "); sub(b, m, e->c, 0);
    break;
  case MIR_WINDOW:
    sb_puts(b, "window(");
    mir_print_expr(b, m, e->a);
    sb_puts(b, ", ");
    mir_print_expr(b, m, e->b);
    sb_putc(b, ')');
    break;
  default: {
    int p = prec(e);
    sub(b, m, e->a, p);
    sb_puts(b, ops[e->op]);
    sub(b, m, e->b, p + 1);
  }
  }
}

static const char *solver_name(MirSolver s) {
  return s == MIR_SOLVE_CNEXP ? "cnexp" : s == MIR_SOLVE_CN ? "cn" : s == MIR_SOLVE_EXP ? "exp" : "euler";
}

/* A network of several cells: its columns and parameters, then each cell
 * as its own model. */
static void cells_print_info(FILE *out, const Mir *m) {
  fprintf(out, "network %s (%s): %d cells, %lld neurons\n", m->name, m->source, m->cells->n,
          (long long)m->n_instances);
  fprintf(out, "  states (%d):", m->nstates);
  for (int i = 0; i < m->nstates; i++) fprintf(out, " %s", m->states[i].name);
  fprintf(out, "\n  parameters (%d):", m->nparams);
  for (int i = 0; i < m->nparams; i++) fprintf(out, " %s", m->params[i].name);
  fputc('\n', out);
  for (int c = 0; c < m->cells->n; c++) {
    fprintf(out, "\ncell %d: ", c);
    mir_print_info(out, m->cells->cell[c]);
  }
  synapse_print_info(out, m); /* compiler/lower_synapse.c */
}

void mir_print_info(FILE *out, const Mir *m) {
  if (m->cable) { cable_print_info(out, m); return; } /* compiler/lower_cable.c */
  if (m->cells) { cells_print_info(out, m); return; }
  static const char *methods[] = {"staggered (gates half a step apart from V; second order)",
                                  "rk4 (classic Runge-Kutta, fixed step)",
                                  "rk45 (adaptive Runge-Kutta-Fehlberg, GSL odeiv2)",
                                  "euler (forward Euler; with noise Euler-Maruyama, Ito)",
                                  "heun (explicit trapezoid, second order; with noise stochastic Heun, Stratonovich)"};
  static const char *short_names[] = {"staggered", "rk4", "rk45", "euler", "heun"};
  fprintf(out, "model %s (%s)\n", m->name, m->source);
  fprintf(out, "  instances: %lld\n", (long long)m->n_instances);
  fprintf(out, "  method:    %s\n", methods[m->method]);
  fprintf(out, "  duration:  %g ms, dt %g ms\n", m->duration * 1e3, m->dt * 1e3);
  fprintf(out, "\nstates (%d):\n", m->nstates);
  for (int i = 0; i < m->nstates; i++) {
    const MirState *s = &m->states[i];
    if (m->method == MIR_METHOD_STAGGERED)
      fprintf(out, "  %-10s [%s]  solver %-6s %s\n", s->name, s->unit, solver_name(s->solver), s->why ? s->why : "");
    else
      fprintf(out, "  %-10s [%s]  solver %s (all states advance together)%s\n", s->name, s->unit,
              short_names[m->method], s->noise ? ", with white noise" : "");
  }
  fprintf(out, "\nparameters (%d):\n", m->nparams);
  for (int i = 0; i < m->nparams; i++) {
    const MirParam *p = &m->params[i];
    fprintf(out, "  %-12s = %g %s%s\n", p->name, p->value / p->scale, strcmp(p->unit, "1") ? p->unit : "",
            p->per_instance ? "  (varies per instance)" : "");
  }
  StrBuf b = {0};
  fprintf(out, "\nequations (SI units):\n");
  for (int i = 0; i < m->nderived; i++) {
    mir_print_expr(&b, m, m->derived[i].e);
    char *s = sb_take(&b);
    fprintf(out, "  %s = %s\n", m->derived[i].name, s);
    free(s);
  }
  for (int i = 0; i < m->nstates; i++) {
    mir_print_expr(&b, m, m->states[i].rhs);
    char *s = sb_take(&b);
    fprintf(out, "  %s' = %s\n", m->states[i].name, s);
    free(s);
  }
  bool noise_header = false;
  for (int i = 0; i < m->nstates; i++) {
    if (!m->states[i].noise) continue;
    if (!noise_header)
      fprintf(out, "\nnoise (dx = x' dt + g dW, W a Wiener process; g = sqrt(2 D) for noise(D)):\n");
    noise_header = true;
    mir_print_expr(&b, m, m->states[i].noise);
    char *s = sb_take(&b);
    fprintf(out, "  g_%s = %s\n", m->states[i].name, s);
    free(s);
  }
  if (m->spike_state >= 0) {
    const MirState *s = &m->states[m->spike_state];
    fprintf(out, "\nspikes: %s crosses %g%s%s upwards\n", s->name, m->spike_threshold / s->scale,
            strcmp(s->unit, "1") ? " " : "", strcmp(s->unit, "1") ? s->unit : "");
    if (m->has_reset)
      fprintf(out, "reset:  %s = %g%s%s, refractory %g ms; crossing times %s\n", s->name, m->reset_value / s->scale,
              strcmp(s->unit, "1") ? " " : "", strcmp(s->unit, "1") ? s->unit : "", m->refractory * 1e3,
              m->reset_exact ? "exact (linear in itself: from the step's exponential solution)" : "by linear interpolation");
  }
  synapse_print_info(out, m); /* compiler/lower_synapse.c: the projections' deliveries */
}
