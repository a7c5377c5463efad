/* compiler/sema.c — name resolution and unit checking of expressions,
 * gates, channels, cells and rates blocks (the simulate block:
 * compiler/sema_simulate.c).
 *
 * Scopes nest as: function arguments | gate | channel or cell | membrane
 * (V, t, celsius) | top level (gates, channels, cells, functions) | unit
 * symbols.  A name is looked up innermost first; a name that is no symbol
 * but a unit (ms, mV) stands for one of that unit. */
#include "sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mir.h"
#include "network.h"
#include "sema_internal.h"

static bool check_expr(Sema *S, Scope *sc, Expr *e);
static bool check_noise(Sema *S, Scope *sc, Expr *e);
static bool has_noise(const Expr *e);
static void noise_terms(Sema *S, Expr *e);

/* ---- units in messages -------------------------------------------------- */

char *sema_unit_text(Unit u, char *buf, size_t len) {
  char tmp[96];
  units_format(u, tmp, sizeof tmp);
  const char *q = units_quantity_name(u);
  if (q && strcmp(q, "dimensionless") != 0) snprintf(buf, len, "%s (%s)", tmp, q);
  else if (units_is_dimensionless(u)) snprintf(buf, len, "a plain number");
  else snprintf(buf, len, "%s", tmp);
  return buf;
}

/* "in mV (voltage)", or "a plain number", to follow "is" or "must be". */
static char *in_unit(Unit u, char *buf, size_t len) {
  if (units_is_dimensionless(u)) return snprintf(buf, len, "a plain number"), buf;
  char tmp[128];
  snprintf(buf, len, "in %s", sema_unit_text(u, tmp, sizeof tmp));
  return buf;
}

/* The value of a number written without a unit (also -65), for hints. */
static bool bare_number(const Expr *e, double *v) {
  if (!e->bare) return false;
  const Expr *x = e;
  double sign = 1;
  while (x->kind == EX_NEG) { sign = -sign; x = x->a; }
  if (x->kind != EX_NUM) return false;
  *v = sign * x->num;
  return true;
}

/* The unit a neuroscientist would write for a dimension (mV rather than V,
 * ms rather than s), for suggestions in messages. */
static const char *usual_unit(Unit u) {
  static const char *usual[] = {"ms", "mV", "uA/cm^2", "mS/cm^2", "uF/cm^2", "1/ms", "ohm*cm", "um",
                                "mM", "nA", "nS", "pF", "Mohm", "um^2", "mV/ms"};
  for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++) {
    Unit w;
    if (units_parse(usual[i], &w, NULL, 0, NULL) && units_same_dim(w, u)) return usual[i];
  }
  return NULL;
}

static void unit_hint(Unit u, char *buf, size_t len) {
  const char *nice = usual_unit(u);
  if (nice) snprintf(buf, len, "%s", nice);
  else units_format(u, buf, len);
}

Unit sema_unit_of(const char *text) {
  Unit u;
  if (!units_parse(text, &u, NULL, 0, NULL)) abort(); /* internal table names only */
  return u;
}

/* ---- scopes --------------------------------------------------------------- */

static Sym *scope_find_local(Scope *sc, const char *name) {
  for (int i = 0; i < sc->syms.n; i++) {
    Sym *s = sc->syms.v[i];
    if (strcmp(s->name, name) == 0) return s;
  }
  return NULL;
}

Sym *sema_scope_find(Scope *sc, const char *name) {
  for (; sc; sc = sc->parent) {
    Sym *s = scope_find_local(sc, name);
    if (s) return s;
  }
  return NULL;
}

const char *sema_kind_word(SymKind k) {
  switch (k) {
  case SYM_PARAM: return "parameter";
  case SYM_STATE: return "state";
  case SYM_LOCAL: return "definition";
  case SYM_GATE: return "gate";
  case SYM_STIM: return "stimulus";
  case SYM_V: case SYM_TIME: case SYM_CELSIUS: return "built-in name";
  case SYM_FUNC: return "function";
  case SYM_ARG: return "argument";
  case SYM_UNIT: return "unit";
  case SYM_CHANNEL: return "channel";
  case SYM_CELL: return "cell";
  case SYM_RATES: return "rates model";
  case SYM_FIELD: return "field";
  case SYM_DENSITY: return "population density";
  case SYM_KERNEL: return "kernel";
  case SYM_MORPHOLOGY: return "morphology";
  }
  return "name";
}

static Sym *new_sym(Sema *S, SymKind kind, const char *name, Loc loc) {
  Sym *s = arena_alloc(S->A, sizeof *s);
  s->kind = kind;
  s->name = name;
  s->loc = loc;
  s->unit = units_one();
  return s;
}

/* Declare in sc; a second declaration of the same name in the same scope is
 * an error that points at the first. */
static Sym *declare(Sema *S, Scope *sc, SymKind kind, const char *name, Loc loc) {
  Sym *old = scope_find_local(sc, name);
  if (old) {
    diag_error(S->diag, loc, "E0202", sc == &S->global ? "'%s' is already defined" : "'%s' is already defined in this block", name);
    if (old->loc.file) diag_note(S->diag, old->loc, "the first definition of '%s' is here", name);
    return old;
  }
  if (sc != &S->global && sc != &S->membrane) {
    Sym *builtin = scope_find_local(&S->membrane, name);
    if (builtin && sc == S->rates_scope && builtin->kind != SYM_TIME) builtin = NULL;
    if (builtin)
      diag_warning(S->diag, loc, "W0203", "'%s' hides the built-in %s", name,
                   builtin->kind == SYM_V ? "membrane potential V" : builtin->name);
  }
  Sym *s = new_sym(S, kind, name, loc);
  vec_push(S->A, &sc->syms, s);
  return s;
}

static const char *closest_name(Scope *sc, const char *name) {
  const char *best = NULL;
  int bestd = 3;
  for (; sc; sc = sc->parent)
    for (int i = 0; i < sc->syms.n; i++) {
      Sym *s = sc->syms.v[i];
      int d = edit_distance(name, s->name);
      if (d < bestd && d < (int)strlen(name)) { bestd = d; best = s->name; }
    }
  return best;
}

/* ---- expressions ---------------------------------------------------------- */

typedef struct Builtin { const char *name; int nargs; MirFn fn; } Builtin;
static const Builtin builtins[] = {
  {"exp", 1, MIR_FN_EXP}, {"log", 1, MIR_FN_LOG}, {"sqrt", 1, MIR_FN_SQRT},
  {"pow", 2, MIR_FN_POW}, {"abs", 1, MIR_FN_ABS}, {"min", 2, MIR_FN_MIN},
  {"max", 2, MIR_FN_MAX}, {"tanh", 1, MIR_FN_TANH}, {"sin", 1, MIR_FN_SIN},
  {"cos", 1, MIR_FN_COS}, {"sigmoid", 1, MIR_FN_SIGMOID}, {"exprelr", 1, MIR_FN_EXPRELR},
};

static const Builtin *find_builtin(const char *name) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
  return NULL;
}

bool sema_is_zero_literal(const Expr *e) { return e->kind == EX_NUM && e->bare && e->num == 0; }

/* a and b must have the same dimension (for + - comparisons min max ?:).
 * A bare 0 takes the other side's unit. */
static bool same_dim(Sema *S, Expr *whole, Expr *a, Expr *b, const char *what) {
  if (units_same_dim(a->unit, b->unit)) return true;
  if (sema_is_zero_literal(a)) { a->unit = b->unit; return true; }
  if (sema_is_zero_literal(b)) { b->unit = a->unit; return true; }
  char ua[128], ub[128];
  sema_unit_text(a->unit, ua, sizeof ua);
  sema_unit_text(b->unit, ub, sizeof ub);
  diag_error(S->diag, whole->loc, "E0301", "cannot %s %s and %s", what, ua, ub);
  double v;
  Expr *bare = bare_number(a, &v) ? a : bare_number(b, &v) ? b : NULL;
  Expr *other = bare == a ? b : a;
  if (bare && !units_is_dimensionless(other->unit)) {
    char uo[96];
    unit_hint(other->unit, uo, sizeof uo);
    diag_note(S->diag, bare->loc, "this number has no unit; write it with one, e.g. %g %s", v, uo);
  }
  return false;
}

/* The literal quantity in e (also under a minus sign), or NULL. */
static const Expr *literal_quantity(const Expr *e) {
  while (e->kind == EX_NEG) e = e->a;
  return e->kind == EX_NUM && e->unit_text ? e : NULL;
}

/* Same dimension, very different scales, one side a literal: `V + 65 V`
 * is legal (values are converted) but is most often a slip for 65 mV.
 * Say so, with the factor. */
static void scale_hint(Sema *S, Expr *whole, Expr *a, Expr *b, const char *what) {
  const Expr *lit = literal_quantity(b) ? b : literal_quantity(a) ? a : NULL;
  if (!lit || (literal_quantity(a) && literal_quantity(b)) || !units_same_dim(a->unit, b->unit)) return;
  const Expr *other = lit == b ? a : b;
  if (other->bare || units_is_dimensionless(other->unit)) return;
  double f = units_factor(lit->unit, other->unit);
  if (!(f >= 100 || f <= 0.01)) return;
  char ul[96], uo[96];
  units_format(lit->unit, ul, sizeof ul);
  units_format(other->unit, uo, sizeof uo);
  const Expr *num = literal_quantity(lit);
  diag_warning(S->diag, lit->loc, "W0302", "%s %s and %s: 1 %s is %g %s", what, uo, ul, ul, f, uo);
  diag_note(S->diag, (Loc){0}, "the values are converted; if you meant %s, write %g %s", uo, num->num, uo);
}

/* arg must be a plain number; role says what it is ("the argument of
 * exp", "an exponent"); fn, when given, is the function for the hint. */
static bool need_dimensionless(Sema *S, Expr *arg, const char *role, const char *fn) {
  if (units_is_dimensionless(arg->unit)) return true;
  char u[128];
  diag_error(S->diag, arg->loc, "E0303", "%s must be a plain number, but it is %s", role,
             in_unit(arg->unit, u, sizeof u));
  char us[96];
  unit_hint(arg->unit, us, sizeof us);
  if (fn) diag_note(S->diag, (Loc){0}, "divide by a reference quantity, e.g. %s(x / (1 %s))", fn, us);
  else diag_note(S->diag, (Loc){0}, "divide by a reference quantity, e.g. x / (1 %s)", us);
  return false;
}

static bool check_call_builtin(Sema *S, Scope *sc, Expr *e, const Builtin *b) {
  if (e->args.n != b->nargs) {
    diag_error(S->diag, e->loc, "E0204", "%s takes %d argument%s, but %d %s given", b->name, b->nargs,
               b->nargs == 1 ? "" : "s", e->args.n, e->args.n == 1 ? "was" : "were");
    return false;
  }
  bool ok = true;
  for (int i = 0; i < e->args.n; i++) ok &= check_expr(S, sc, e->args.v[i]);
  if (!ok) return false;
  Expr *x = e->args.v[0], *y = e->args.n > 1 ? e->args.v[1] : NULL;
  switch (b->fn) {
  case MIR_FN_ABS: e->unit = x->unit; return true;
  case MIR_FN_MIN: case MIR_FN_MAX:
    if (!same_dim(S, e, x, y, b->fn == MIR_FN_MIN ? "take the minimum of" : "take the maximum of")) return false;
    e->unit = x->unit;
    return true;
  case MIR_FN_SQRT:
    if (!units_sqrt(x->unit, &e->unit)) {
      char u[128];
      sema_unit_text(x->unit, u, sizeof u);
      diag_error(S->diag, x->loc, "E0306", "sqrt needs even unit exponents, but its argument is in %s", u);
      return false;
    }
    return true;
  case MIR_FN_POW: {
    double n;
    if (units_is_dimensionless(x->unit)) {
      if (!need_dimensionless(S, y, "the exponent of pow", NULL)) return false;
      e->unit = units_one();
      return true;
    }
    if (!sema_const_value(y, &n) || n != floor(n) || fabs(n) > 64) {
      diag_error(S->diag, y->loc, "E0305", "a quantity with units can only be raised to a constant integer power");
      return false;
    }
    e->unit = units_pow(x->unit, (int)n);
    return true;
  }
  default:
    e->unit = units_one();
    char role[64];
    snprintf(role, sizeof role, "the argument of %s", b->name);
    return need_dimensionless(S, x, role, b->name);
  }
}

/* Does expression e call function target, directly or through others? */
static bool reaches(Sema *S, const Expr *e, const Decl *target, int depth) {
  if (!e || depth > 64) return depth > 64;
  if (e->kind == EX_CALL) {
    Sym *f = scope_find_local(&S->global, e->name);
    if (f && f->kind == SYM_FUNC && (f->decl == target || reaches(S, f->decl->e, target, depth + 1))) return true;
  }
  for (int i = 0; i < e->args.n; i++)
    if (reaches(S, e->args.v[i], target, depth)) return true;
  return reaches(S, e->a, target, depth) || reaches(S, e->b, target, depth) || reaches(S, e->c, target, depth);
}

static bool check_call_user(Sema *S, Scope *sc, Expr *e, Sym *f) {
  Decl *d = f->decl;
  if (f->recursive) return false; /* reported at its definition */
  if (e->args.n != d->params.n) {
    diag_error(S->diag, e->loc, "E0204", "%s takes %d argument%s, but %d %s given", f->name, d->params.n,
               d->params.n == 1 ? "" : "s", e->args.n, e->args.n == 1 ? "was" : "were");
    diag_note(S->diag, d->name_loc, "%s is defined here", f->name);
    return false;
  }
  bool ok = true;
  for (int i = 0; i < e->args.n; i++) ok &= check_expr(S, sc, e->args.v[i]);
  if (!ok) return false;
  if (S->func_depth > 64) return false; /* cannot happen without recursion */
  /* functions are unit-polymorphic: check the body with these argument units */
  Scope args = {.parent = &S->global};
  for (int i = 0; i < d->params.n; i++) {
    IdRef *p = d->params.v[i];
    Sym *a = declare(S, &args, SYM_ARG, p->name, p->loc);
    a->unit = ((Expr *)e->args.v[i])->unit;
    a->argi = i;
  }
  S->func_depth++;
  ok = check_expr(S, &args, d->e);
  S->func_depth--;
  if (!ok) {
    diag_note(S->diag, e->loc, "in this call of %s", f->name);
    return false;
  }
  e->sym = f;
  e->unit = d->e->unit;
  return true;
}

/* ---- gauss_mean(f(x, ...), sigma): renormalised mean field ----------------
 * The mean of f over Gaussian fluctuations of its first argument, to second
 * order: f(x) + 1/2 f''(x) sigma^2 (compiler/lower.c derives f'').  The first
 * argument must be a call of a function of your own (E0235); sigma is in the
 * unit of x (E0236). */
static bool check_gauss_mean(Sema *S, Scope *sc, Expr *e) {
  if (e->args.n != 2) {
    diag_error(S->diag, e->loc, "E0204", "gauss_mean takes 2 arguments, but %d %s given", e->args.n,
               e->args.n == 1 ? "was" : "were");
    return false;
  }
  Expr *c = e->args.v[0], *sigma = e->args.v[1];
  Sym *f = c->kind == EX_CALL ? sema_scope_find(&S->global, c->name) : NULL;
  if (!f || f->kind != SYM_FUNC || c->args.n < 1) {
    diag_error(S->diag, c->loc, "E0235", "the first argument of gauss_mean must be a call of a function of your own");
    diag_note(S->diag, (Loc){0}, "write gauss_mean(f(x, ...), sigma) with func f(x, ...) = ...: x fluctuates "
                                 "with standard deviation sigma");
    return false;
  }
  bool ok = check_expr(S, sc, c);
  ok &= check_expr(S, sc, sigma);
  if (!ok) return false;
  Expr *x = c->args.v[0];
  if (!units_same_dim(sigma->unit, x->unit) && !sema_is_zero_literal(sigma)) {
    char got[160], need[160];
    diag_error(S->diag, sigma->loc, "E0236", "sigma of gauss_mean must be %s (the unit of the fluctuating argument "
               "of %s), but it is %s", in_unit(x->unit, need, sizeof need), c->name,
               in_unit(sigma->unit, got, sizeof got));
    diag_note(S->diag, x->loc, "the fluctuating argument is the first argument of %s", c->name);
    return false;
  }
  e->unit = c->unit;
  return true;
}

static bool check_name(Sema *S, Scope *sc, Expr *e) {
  Sym *s = sema_scope_find(sc, e->name);
  Sym *builtin = scope_find_local(&S->membrane, e->name);
  if (builtin && s != builtin && (!s || s->kind == SYM_GATE || s->kind == SYM_CHANNEL || s->kind == SYM_CELL ||
                                  s->kind == SYM_FUNC)) {
    /* V, t or celsius where there is no membrane: a function body or the
     * simulate block */
    diag_error(S->diag, e->loc, "E0222", "'%s' is not available here", e->name);
    if (S->rates && !S->func_depth)
      diag_note(S->diag, (Loc){0}, "a rates block has no membrane: of V, t and celsius only t exists there");
    else
      diag_note(S->diag, (Loc){0}, S->func_depth ? "a function sees only its arguments: pass %s as an argument"
                                                 : "%s exists inside gates, channels and cells", e->name);
    return false;
  }
  if (s && S->func_depth && s->kind != SYM_ARG && s->kind != SYM_UNIT) {
    diag_error(S->diag, e->loc, "E0222", "'%s' is not available in a function", e->name);
    diag_note(S->diag, (Loc){0}, "a function sees only its arguments: pass %s as an argument", e->name);
    return false;
  }
  if (s && s->kind == SYM_GATE && !s->stmt && !S->channel) {
    diag_error(S->diag, e->loc, "E0223", "gate %s can only be used inside a channel", e->name);
    diag_note(S->diag, s->loc, "a gate is a gating variable of the channel whose current uses it");
    return false;
  }
  if (s && s->bad) return false; /* its definition was already reported */
  if (!s) {
    Unit u;
    if (units_lookup(e->name, &u)) {
      s = new_sym(S, SYM_UNIT, e->name, e->loc);
      s->unit = u;
      s->value = u.scale;
      e->sym = s;
      e->unit = u;
      return true;
    }
    diag_error(S->diag, e->loc, "E0201", "unknown name '%s'", e->name);
    if (strcmp(e->name, "distance") == 0) {
      sema_cable_note_distance(S); /* compiler/sema_cable.c */
      return false;
    }
    const char *near = closest_name(sc, e->name);
    const char *unit = units_suggest(e->name);
    if (near) diag_note(S->diag, (Loc){0}, "did you mean '%s'?", near);
    else if (unit) diag_note(S->diag, (Loc){0}, "did you mean the unit '%s'?", unit);
    return false;
  }
  if (s->kind == SYM_FUNC || s->kind == SYM_CHANNEL || s->kind == SYM_CELL) {
    diag_error(S->diag, e->loc, "E0205", "'%s' is a %s, not a value", e->name, sema_kind_word(s->kind));
    return false;
  }
  if (sc->constant || (sc->parent && sc->parent->constant)) {
    bool is_const = s->kind == SYM_UNIT || s->kind == SYM_PARAM;
    if (!is_const) {
      diag_error(S->diag, e->loc, "E0207", "a parameter's value must be a constant, but '%s' is a %s",
                 e->name, sema_kind_word(s->kind));
      return false;
    }
  }
  e->sym = s;
  e->unit = s->unit;
  return true;
}

static bool check_binary(Sema *S, Scope *sc, Expr *e) {
  bool ok = check_expr(S, sc, e->a);
  ok &= check_expr(S, sc, e->b);
  if (!ok) return false;
  Expr *a = e->a, *b = e->b;
  switch (e->op) {
  case OP_ADD:
    if (!same_dim(S, e, a, b, "add")) return false;
    scale_hint(S, e, a, b, "adding");
    e->unit = a->unit;
    break;
  case OP_SUB:
    if (!same_dim(S, e, a, b, "subtract")) return false;
    scale_hint(S, e, a, b, "subtracting");
    e->unit = a->unit;
    break;
  case OP_MUL: e->unit = units_mul(a->unit, b->unit); break;
  case OP_DIV: e->unit = units_div(a->unit, b->unit); break;
  case OP_POW: {
    double n;
    if (!units_is_dimensionless(b->unit)) return need_dimensionless(S, b, "an exponent", NULL);
    if (units_is_dimensionless(a->unit)) { e->unit = units_one(); break; }
    if (!sema_const_value(b, &n) || n != floor(n) || fabs(n) > 64) {
      char u[128];
      sema_unit_text(a->unit, u, sizeof u);
      diag_error(S->diag, b->loc, "E0305", "%s can only be raised to a constant integer power", u);
      return false;
    }
    e->unit = units_pow(a->unit, (int)n);
    break;
  }
  case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
    if (!same_dim(S, e, a, b, "compare")) return false;
    scale_hint(S, e, a, b, "comparing");
    e->unit = units_one();
    break;
  case OP_AND: case OP_OR:
    if (!need_dimensionless(S, a, "a condition", NULL) || !need_dimensionless(S, b, "a condition", NULL))
      return false;
    e->unit = units_one();
    break;
  }
  return true;
}

static bool check_expr(Sema *S, Scope *sc, Expr *e) {
  if (e->depth > AST_MAX_DEPTH) {
    diag_error(S->diag, e->loc, "E0104", "this expression is nested %d levels deep; at most %d are allowed",
               e->depth, AST_MAX_DEPTH);
    diag_note(S->diag, (Loc){0}, "split it into definitions (x1 = ...; x2 = x1 + ...)");
    return false;
  }
  switch (e->kind) {
  case EX_NUM: {
    if (!e->unit_text) {
      e->unit = units_one();
      e->bare = true;
      return true;
    }
    char err[200];
    size_t pos = 0;
    if (!units_parse(e->unit_text, &e->unit, err, sizeof err, &pos)) {
      Loc l = e->unit_loc;
      l.end_col = l.col + (int)strlen(e->unit_text);
      diag_error(S->diag, l, "E0310", "%s", err);
      return false;
    }
    return true;
  }
  case EX_NAME: return check_name(S, sc, e);
  case EX_CALL: {
    Sym *f = sema_scope_find(&S->global, e->name);
    if (f && f->kind == SYM_FUNC) return check_call_user(S, sc, e, f);
    if (strcmp(e->name, "noise") == 0) return check_noise(S, sc, e);
    if (strcmp(e->name, "gauss_mean") == 0) return check_gauss_mean(S, sc, e);
    const Builtin *b = find_builtin(e->name);
    if (b) return check_call_builtin(S, sc, e, b);
    Sym *other = sema_scope_find(sc, e->name);
    if (other) diag_error(S->diag, e->loc, "E0206", "'%s' is a %s, not a function", e->name, sema_kind_word(other->kind));
    else diag_error(S->diag, e->loc, "E0201", "unknown function '%s'", e->name);
    return false;
  }
  case EX_NEG:
    if (!check_expr(S, sc, e->a)) return false;
    e->unit = e->a->unit;
    e->bare = e->a->bare;
    if (e->a->kind == EX_NUM && e->a->bare) e->bare = true;
    return true;
  case EX_NOT:
    if (!check_expr(S, sc, e->a)) return false;
    e->unit = units_one();
    return need_dimensionless(S, e->a, "a condition", NULL);
  case EX_BINARY: return check_binary(S, sc, e);
  case EX_COND: {
    bool ok = check_expr(S, sc, e->a);
    ok &= check_expr(S, sc, e->b);
    ok &= check_expr(S, sc, e->c);
    if (!ok) return false;
    if (!need_dimensionless(S, e->a, "a condition", NULL)) return false;
    if (!same_dim(S, e, e->b, e->c, "choose between")) return false;
    e->unit = e->b->unit;
    return true;
  }
  }
  return false;
}

/* Did checking give e a unit?  (Nodes that failed keep a zero scale.) */
static bool checked(const Expr *e) { return e->unit.scale != 0; }

/* e must have the dimension of want; what names the role for messages. */
static bool expect_unit(Sema *S, Expr *e, Unit want, const char *what) {
  if (units_same_dim(e->unit, want)) return true;
  if (sema_is_zero_literal(e)) { e->unit = want; return true; }
  char got[160], need[160];
  diag_error(S->diag, e->loc, "E0304", "%s must be %s, but it is %s", what, in_unit(want, need, sizeof need),
             in_unit(e->unit, got, sizeof got));
  double v;
  if (bare_number(e, &v)) {
    char us[96];
    unit_hint(want, us, sizeof us);
    diag_note(S->diag, (Loc){0}, "write the number with its unit, e.g. %g %s", v, us);
  }
  return false;
}

/* For compiler/sema_network.c: check e as a constant expression of the top
 * level; with want.scale != 0 it must have want's dimension (E0304). */
bool sema_net_const(Sema *S, Expr *e, Unit want, const char *what) {
  Scope sc = {.parent = &S->global, .constant = true};
  if (!check_expr(S, &sc, e)) return false;
  return want.scale == 0 || expect_unit(S, e, want, what);
}

/* ---- constant evaluation --------------------------------------------------- */

bool sema_const_value(const Expr *e, double *out) {
  double a, b, c;
  switch (e->kind) {
  case EX_NUM: {
    double scale = 1;
    if (e->unit_text) {
      Unit u;
      if (!units_parse(e->unit_text, &u, NULL, 0, NULL)) return false;
      scale = u.scale;
    }
    *out = e->num * scale;
    return true;
  }
  case EX_NAME:
    if (!e->sym) {
      Unit u;
      if (!units_lookup(e->name, &u)) return false;
      *out = u.scale;
      return true;
    }
    if (e->sym->kind == SYM_UNIT || e->sym->kind == SYM_PARAM) { *out = e->sym->value; return true; }
    return false;
  case EX_NEG: if (!sema_const_value(e->a, &a)) return false; *out = -a; return true;
  case EX_NOT: if (!sema_const_value(e->a, &a)) return false; *out = !a; return true;
  case EX_COND:
    if (!sema_const_value(e->a, &a) || !sema_const_value(e->b, &b) || !sema_const_value(e->c, &c)) return false;
    *out = a != 0 ? b : c;
    return true;
  case EX_BINARY:
    if (!sema_const_value(e->a, &a) || !sema_const_value(e->b, &b)) return false;
    switch (e->op) {
    case OP_ADD: *out = a + b; break;
    case OP_SUB: *out = a - b; break;
    case OP_MUL: *out = a * b; break;
    case OP_DIV: *out = a / b; break;
    case OP_POW: *out = pow(a, b); break;
    case OP_LT: *out = a < b; break;
    case OP_LE: *out = a <= b; break;
    case OP_GT: *out = a > b; break;
    case OP_GE: *out = a >= b; break;
    case OP_EQ: *out = a == b; break;
    case OP_NE: *out = a != b; break;
    case OP_AND: *out = a != 0 && b != 0; break;
    case OP_OR: *out = a != 0 || b != 0; break;
    }
    return true;
  case EX_CALL: {
    const Builtin *f = find_builtin(e->name);
    if (!f || e->sym) return false;
    double x, y = 0;
    if (!sema_const_value(e->args.v[0], &x)) return false;
    if (f->nargs == 2 && !sema_const_value(e->args.v[1], &y)) return false;
    switch (f->fn) {
    case MIR_FN_EXP: *out = exp(x); break;
    case MIR_FN_LOG: *out = log(x); break;
    case MIR_FN_SQRT: *out = sqrt(x); break;
    case MIR_FN_POW: *out = pow(x, y); break;
    case MIR_FN_ABS: *out = fabs(x); break;
    case MIR_FN_MIN: *out = fmin(x, y); break;
    case MIR_FN_MAX: *out = fmax(x, y); break;
    case MIR_FN_TANH: *out = tanh(x); break;
    case MIR_FN_SIN: *out = sin(x); break;
    case MIR_FN_COS: *out = cos(x); break;
    case MIR_FN_SIGMOID: *out = 1 / (1 + exp(-x)); break;
    case MIR_FN_EXPRELR: *out = x == 0 ? 1 : x / expm1(x); break;
    default: return false;
    }
    return true;
  }
  }
  return false;
}

/* ---- blocks --------------------------------------------------------------- */

static const char *stmt_word(StmtKind k) {
  switch (k) {
  case ST_PARAM: return "param";
  case ST_DEF: return "a definition";
  case ST_STATE: return "state";
  case ST_INIT: return "an initial value";
  case ST_ODE: return "a differential equation";
  case ST_CURRENT: return "current";
  case ST_INSERT: return "insert";
  case ST_STIMULUS: return "stimulus";
  case ST_SPIKE: return "spike";
  case ST_Q10: return "q10";
  case ST_GATE: return "gate";
  case ST_SETTING: return "a setting";
  case ST_RESET: return "reset";
  case ST_REFRACTORY: return "refractory";
  case ST_KERNEL: return "kernel";
  case ST_GRID: return "grid";
  case ST_INPUT: return "input";
  case ST_CONNECT: return "connect";
  case ST_MORPH: return "morphology";
  case ST_SECTION: return "a section";
  case ST_DISCRETIZE: return "discretize";
  case ST_ON_SPIKE: return "on spike";
  case ST_INCR: return "an increment X += ...";
  }
  return "statement";
}

static void not_allowed(Sema *S, Stmt *st, const char *where, const char *hint) {
  diag_error(S->diag, st->loc, "E0209", "%s is not allowed in a %s", stmt_word(st->kind), where);
  if (hint) diag_note(S->diag, (Loc){0}, "%s", hint);
}

static void check_param(Sema *S, Scope *sc, Stmt *st) {
  Sym *p = declare(S, sc, SYM_PARAM, st->name, st->name_loc);
  p->stmt = st;
  st->sym = p;
  Scope cs = {.parent = sc, .constant = true};
  if (!check_expr(S, &cs, st->e)) {
    p->bad = true;
    return;
  }
  p->unit = st->e->unit;
  if (!sema_const_value(st->e, &p->value)) {
    diag_error(S->diag, st->e->loc, "E0207", "the value of parameter '%s' must be a constant", st->name);
    return;
  }
  if (!isfinite(p->value))
    diag_error(S->diag, st->e->loc, "E0208", "the value of parameter '%s' is not a finite number", st->name);
}

/* Declarations visible in the whole block (params, states, gates); locals
 * become visible where they are defined. */
static void declare_block(Sema *S, Scope *sc, Decl *d) {
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_STATE) {
      Sym *s = declare(S, sc, SYM_STATE, st->name, st->name_loc);
      s->stmt = st;
      s->decl = d;
      st->sym = s;
    } else if (st->kind == ST_GATE) {
      Sym *s = declare(S, sc, SYM_GATE, st->name, st->name_loc);
      s->stmt = st;
      s->decl = st->decl;
      st->sym = s;
      st->decl->sym = s;
    }
  }
}

static Sym *find_state(Scope *sc, const char *name) {
  Sym *s = scope_find_local(sc, name);
  return s && (s->kind == SYM_STATE || s->kind == SYM_V) ? s : NULL;
}

static void check_state_stmt(Sema *S, Scope *sc, Stmt *st) {
  Sym *s = scope_find_local(sc, st->name);
  if (!st->e || !s) return;
  Scope cs = {.parent = sc, .constant = true};
  if (check_expr(S, &cs, st->e)) s->unit = st->e->unit;
  else s->bad = true;
}

static void check_ode(Sema *S, Scope *sc, Stmt *st, PtrVec *seen) {
  if (strcmp(st->name, "V") == 0 && !scope_find_local(sc, "V")) {
    if (has_noise(st->e)) { /* V has no equation of its own to add the noise to */
      diag_error(S->diag, st->name_loc, "E0237", "V cannot carry noise: V' is given by the membrane equation");
      diag_note(S->diag, (Loc){0}, "drive V with a noisy current instead, a state of a channel: state I = 0 uA/cm^2; "
                                   "I' = -I / tau + noise(D); current -I");
      return;
    }
    diag_error(S->diag, st->name_loc, "E0212", "V' is given by the membrane equation; add channels or stimuli instead");
    return;
  }
  Sym *x = find_state(sc, st->name);
  for (int i = 0; x && i < seen->n; i++)
    if (((Stmt *)seen->v[i])->sym == x) {
      diag_error(S->diag, st->name_loc, "E0224", "%s' is given twice", st->name);
      diag_note(S->diag, ((Stmt *)seen->v[i])->name_loc, "the first equation for %s is here", st->name);
      return;
    }
  if (!x) {
    Sym *other = sema_scope_find(sc, st->name);
    diag_error(S->diag, st->name_loc, "E0211", "%s' = ... needs '%s' to be a state of this block%s", st->name,
               st->name, other ? "" : " (declare it with `state`)");
    return;
  }
  st->sym = x;
  vec_push(S->A, seen, st);
  /* noise(D) may stand as a term of the equation of any state (V aside) */
  S->noise_ok.n = 0;
  noise_terms(S, st->e);
  S->noise_state = x;
  bool ok = check_expr(S, sc, st->e);
  S->noise_state = NULL;
  S->noise_ok.n = 0;
  if (!ok) return;
  Unit want = units_div(x->unit, sema_unit_of("ms"));
  char what[96];
  snprintf(what, sizeof what, "the right-hand side of %s'", st->name);
  expect_unit(S, st->e, want, what);
}

static void check_def(Sema *S, Scope *sc, Stmt *st) {
  if (st->regions.n) /* `x = ... in REGION`: cable cells only (sema_cable.c) */
    diag_error(S->diag, ((IdRef *)st->regions.v[0])->loc, "E0816", "'%s = ... in REGION' sets a channel parameter "
               "per region, which only a cell with a morphology has", st->name);
  bool ok = check_expr(S, sc, st->e);
  Sym *s = declare(S, sc, SYM_LOCAL, st->name, st->name_loc);
  s->stmt = st;
  st->sym = s;
  if (ok) s->unit = st->e->unit;
  else s->bad = true;
}

static void check_gate(Sema *S, Scope *parent, Decl *g) {
  Scope sc = {.parent = parent};
  Stmt *alpha = NULL, *beta = NULL, *inf = NULL, *tau = NULL, *q10 = NULL;
  for (int i = 0; i < g->body.n; i++) {
    Stmt *st = g->body.v[i];
    switch (st->kind) {
    case ST_DEF:
      check_def(S, &sc, st);
      if (strcmp(st->name, "alpha") == 0) alpha = st;
      if (strcmp(st->name, "beta") == 0) beta = st;
      if (strcmp(st->name, "inf") == 0) inf = st;
      if (strcmp(st->name, "tau") == 0) tau = st;
      break;
    case ST_PARAM: check_param(S, &sc, st); break;
    case ST_Q10: {
      if (q10) {
        diag_error(S->diag, st->loc, "E0226", "gate %s has two q10 factors", g->name);
        diag_note(S->diag, q10->loc, "the first one is here");
        break;
      }
      q10 = st;
      Scope cs = {.parent = &sc, .constant = true};
      if (check_expr(S, &cs, st->e)) expect_unit(S, st->e, units_one(), "a q10 factor");
      if (check_expr(S, &cs, st->e2)) expect_unit(S, st->e2, units_one(), "the reference temperature (degrees Celsius)");
      break;
    }
    case ST_INIT:
      if (strcmp(st->name, g->name) != 0) {
        diag_error(S->diag, st->name_loc, "E0211", "a gate may only set its own initial value, %s(0)", g->name);
        break;
      }
      if (check_expr(S, &sc, st->e)) expect_unit(S, st->e, units_one(), "a gate's initial value");
      break;
    default: not_allowed(S, st, "gate", "a gate holds alpha/beta or inf/tau, local definitions, q10 and param");
    }
  }
  Unit rate = sema_unit_of("1/ms"), time = sema_unit_of("ms");
  if (alpha && beta && !inf && !tau) {
    if (checked(alpha->e)) expect_unit(S, alpha->e, rate, "alpha (an opening rate)");
    if (checked(beta->e)) expect_unit(S, beta->e, rate, "beta (a closing rate)");
  } else if (inf && tau && !alpha && !beta) {
    if (checked(inf->e)) expect_unit(S, inf->e, units_one(), "inf (the steady-state open fraction)");
    if (checked(tau->e)) expect_unit(S, tau->e, time, "tau (the time constant)");
  } else {
    diag_error(S->diag, g->name_loc, "E0214", "gate %s needs either alpha and beta, or inf and tau", g->name);
    if ((alpha || beta) && (inf || tau))
      diag_note(S->diag, (Loc){0}, "it defines some of both forms; keep one");
  }
}

static void check_channel(Sema *S, Decl *ch) {
  Scope sc = {.parent = &S->membrane};
  declare_block(S, &sc, ch);
  int ncurrent = 0;
  PtrVec odes = {0}, events = {0};
  S->channel = ch;
  const char *word = ch->synapse ? "synapse" : "channel";
  for (int i = 0; i < ch->body.n; i++) {
    Stmt *st = ch->body.v[i];
    switch (st->kind) {
    case ST_PARAM: check_param(S, &sc, st); break;
    case ST_DEF: check_def(S, &sc, st); break;
    case ST_STATE: check_state_stmt(S, &sc, st); break;
    case ST_ODE: check_ode(S, &sc, st, &odes); break;
    case ST_GATE: check_gate(S, &sc, st->decl); break;
    case ST_CURRENT:
      if (ncurrent++) {
        diag_error(S->diag, st->loc, "E0215", "%s %s has more than one current", word, ch->name);
        break;
      }
      if (check_expr(S, &sc, st->e)) {
        if (ch->synapse) sema_synapse_current(S, ch, st); /* compiler/sema_synapse.c */
        else expect_unit(S, st->e, sema_unit_of("uA/cm^2"), "a channel's current (a current density)");
      }
      break;
    case ST_ON_SPIKE:
      if (!ch->synapse) {
        not_allowed(S, st, "channel", "write a `synapse` block for on spike(w) { ... }");
        break;
      }
      if (events.n) {
        diag_error(S->diag, st->loc, "E0940", "synapse %s has more than one on spike block", ch->name);
        diag_note(S->diag, ((Stmt *)events.v[0])->loc, "the first one is here");
        break;
      }
      vec_push(S->A, &events, st); /* checked last: it may use any parameter */
      break;
    default:
      not_allowed(S, st, word, st->kind == ST_INCR ? "increments X += EXPR belong in the on spike(w) block of a synapse"
                                                   : NULL);
    }
  }
  for (int i = 0; i < events.n; i++) sema_synapse_on_spike(S, &sc, ch, events.v[i]);
  if (ch->synapse) sema_synapse_finish(S, ch, events.n);
  if (!ncurrent)
    diag_error(S->diag, ch->name_loc, "E0216", "%s %s has no current", word, ch->name);
  S->channel = NULL;
}

/* ---- integrate-and-fire: reset and refractory (docs/language.md 5.3) ---- */

/* reset X = VALUE (X is V or a state, VALUE a constant in X's unit) or
 * refractory TIME (a constant time >= 0); *seen is the first such
 * statement of the cell. */
static void check_reset_stmt(Sema *S, Scope *sc, Stmt *st, Stmt **seen) {
  bool is_reset = st->kind == ST_RESET;
  if (*seen) {
    diag_error(S->diag, st->loc, "E0246", "a cell has one %s", is_reset ? "reset" : "refractory period");
    diag_note(S->diag, (*seen)->loc, "the first one is here");
    return;
  }
  *seen = st;
  Scope cs = {.parent = sc, .constant = true};
  if (is_reset) {
    Sym *x = sema_scope_find(sc, st->name);
    if (!x || (x->kind != SYM_V && x->kind != SYM_STATE)) {
      diag_error(S->diag, st->name_loc, "E0243", "only V or a state can be reset, not '%s'%s%s", st->name,
                 x ? ", which is a " : "", x ? sema_kind_word(x->kind) : "");
      diag_note(S->diag, (Loc){0}, "reset names the variable the spike condition watches: reset V = -60 mV");
      return;
    }
    st->sym = x;
    if (check_expr(S, &cs, st->e)) expect_unit(S, st->e, x->unit, "the reset value");
    return;
  }
  if (!check_expr(S, &cs, st->e) || !expect_unit(S, st->e, sema_unit_of("ms"), "the refractory period")) return;
  double v;
  if (sema_const_value(st->e, &v) && !(v >= 0))
    diag_error(S->diag, st->e->loc, "E0242", "the refractory period cannot be negative (it is %g ms)", v * 1e3);
}

/* reset needs a spike condition on the same variable and a value below its
 * threshold; refractory needs a reset. */
static void check_reset_fits(Sema *S, Stmt *spike, Stmt *reset, Stmt *refractory) {
  if (reset && !spike) {
    diag_error(S->diag, reset->loc, "E0240", "reset without a spike condition: nothing says when to reset %s",
               reset->name);
    diag_note(S->diag, (Loc){0}, "add `spike when %s crosses THRESHOLD`", reset->name);
  }
  if (refractory && !reset) {
    diag_error(S->diag, refractory->loc, "E0241", "refractory without reset: the refractory period holds the "
               "reset value");
    diag_note(S->diag, (Loc){0}, "add `reset V = VALUE` (and a spike condition on V)");
  }
  if (!reset || !spike || !reset->sym) return;
  if (strcmp(reset->name, spike->name) != 0) {
    diag_error(S->diag, reset->name_loc, "E0244", "reset %s, but spikes are detected on %s", reset->name,
               spike->name);
    diag_note(S->diag, spike->loc, "reset the variable of the spike condition");
    return;
  }
  double r, thr;
  if (checked(reset->e) && checked(spike->e) && units_same_dim(reset->e->unit, spike->e->unit) &&
      units_same_dim(reset->e->unit, reset->sym->unit) && sema_const_value(reset->e, &r) &&
      sema_const_value(spike->e, &thr) && !(r < thr)) {
    diag_error(S->diag, reset->e->loc, "E0245", "the reset value must lie below the spike threshold");
    diag_note(S->diag, spike->e->loc, "the threshold is here; a reset at or above it would fire again at once");
  }
}

static void check_cell(Sema *S, Decl *cell) {
  if (sema_cable_cell_decl(cell)) { sema_cable_cell(S, cell); return; } /* compiler/sema_cable.c */
  Scope sc = {.parent = &S->membrane};
  declare_block(S, &sc, cell);
  PtrVec inserted = {0}, odes = {0};
  Stmt *spike = NULL, *reset = NULL, *refractory = NULL;
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    switch (st->kind) {
    case ST_PARAM:
      check_param(S, &sc, st);
      if (strcmp(st->name, "Cm") == 0 && checked(st->e))
        expect_unit(S, st->e, sema_unit_of("uF/cm^2"), "the membrane capacitance Cm");
      break;
    case ST_DEF: check_def(S, &sc, st); break;
    case ST_STATE: check_state_stmt(S, &sc, st); break;
    case ST_ODE: check_ode(S, &sc, st, &odes); break;
    case ST_INIT: {
      Sym *x = find_state(&sc, st->name);
      if (!x) x = find_state(&S->membrane, st->name);
      double t0;
      if (!sema_const_value(st->e2, &t0) || t0 != 0) {
        diag_error(S->diag, st->e2->loc, "E0217", "initial values are written %s(0) = ...", st->name);
        break;
      }
      if (!x) {
        diag_error(S->diag, st->name_loc, "E0211", "%s(0) = ... needs '%s' to be V or a state of this cell",
                   st->name, st->name);
        break;
      }
      Scope cs = {.parent = &sc, .constant = true};
      if (check_expr(S, &cs, st->e)) {
        char what[64];
        snprintf(what, sizeof what, "the initial value of %s", st->name);
        expect_unit(S, st->e, x->unit, what);
      }
      break;
    }
    case ST_INSERT:
      for (int k = 0; k < st->names.n; k++) {
        IdRef *r = st->names.v[k];
        Sym *ch = sema_scope_find(&S->global, r->name);
        if (!ch) {
          diag_error(S->diag, r->loc, "E0201", "unknown channel '%s'", r->name);
          const char *near = closest_name(&S->global, r->name);
          if (near) diag_note(S->diag, (Loc){0}, "did you mean '%s'?", near);
          continue;
        }
        if (ch->kind != SYM_CHANNEL) {
          diag_error(S->diag, r->loc, "E0218", "only channels can be inserted, but '%s' is a %s", r->name,
                     sema_kind_word(ch->kind));
          continue;
        }
        for (int j = 0; j < inserted.n; j++)
          if (inserted.v[j] == ch) diag_error(S->diag, r->loc, "E0219", "channel %s is inserted twice", r->name);
        vec_push(S->A, &inserted, ch);
      }
      break;
    case ST_STIMULUS: {
      Sym *s = declare(S, &sc, SYM_STIM, st->name, st->name_loc);
      s->stmt = st;
      st->sym = s;
      Scope cs = {.parent = &sc, .constant = true};
      if (check_expr(S, &cs, st->e) &&
          expect_unit(S, st->e, sema_unit_of("uA/cm^2"), "a stimulus"))
        s->unit = st->e->unit;
      sema_const_value(st->e, &s->value);
      Expr *w[2] = {st->e2, st->e3};
      double tw[2] = {0, INFINITY};
      for (int k = 0; k < 2; k++)
        if (w[k] && check_expr(S, &cs, w[k]) && expect_unit(S, w[k], sema_unit_of("ms"), "a stimulus time"))
          sema_const_value(w[k], &tw[k]);
      if (tw[0] < 0) diag_error(S->diag, st->e2->loc, "E0220", "a stimulus cannot start before t = 0");
      if (st->e3 && tw[1] < tw[0])
        diag_error(S->diag, st->e3->loc, "E0220", "the stimulus window ends before it starts");
      break;
    }
    case ST_SPIKE: {
      if (spike) {
        diag_error(S->diag, st->loc, "E0225", "a cell detects spikes on one condition only");
        diag_note(S->diag, spike->loc, "the first spike condition is here");
        break;
      }
      spike = st;
      Sym *x = sema_scope_find(&sc, st->name);
      if (!x || (x->kind != SYM_V && x->kind != SYM_STATE)) {
        diag_error(S->diag, st->name_loc, "E0221", "spikes are detected on V or a state, not '%s'", st->name);
        break;
      }
      Scope cs = {.parent = &sc, .constant = true};
      if (check_expr(S, &cs, st->e)) expect_unit(S, st->e, x->unit, "the spike threshold");
      break;
    }
    case ST_RESET:
    case ST_REFRACTORY:
      check_reset_stmt(S, &sc, st, st->kind == ST_RESET ? &reset : &refractory);
      break;
    default: not_allowed(S, st, "cell", NULL);
    }
  }
  check_reset_fits(S, spike, reset, refractory);
}

/* ---- rates blocks and noise ------------------------------------------------ */

/* The noise(...) calls that are terms of e (e = a + b - c ..., through
 * parentheses and unary minus): the only places where noise may stand. */
static void noise_terms(Sema *S, Expr *e) {
  if (e->kind == EX_BINARY && (e->op == OP_ADD || e->op == OP_SUB)) {
    noise_terms(S, e->a);
    noise_terms(S, e->b);
  } else if (e->kind == EX_NEG) {
    noise_terms(S, e->a);
  } else if (e->kind == EX_CALL && strcmp(e->name, "noise") == 0) {
    vec_push(S->A, &S->noise_ok, e);
  }
}

/* noise(D): sqrt(2 D) times unit white noise, a term of the equation of a
 * state x' = f + noise(D) (of a rates block, a channel, a synapse or a
 * cell).  D is in x's unit squared per time, so the term is in x's unit per
 * time like the rest of the equation (docs/language.md 5.6). */
static bool check_noise(Sema *S, Scope *sc, Expr *e) {
  bool allowed = false;
  for (int i = 0; i < S->noise_ok.n; i++) allowed |= S->noise_ok.v[i] == e;
  if (!allowed || !S->noise_state) {
    diag_error(S->diag, e->loc, "E0232", "noise(...) can only be a term of the equation of a state");
    if ((S->noise_state || S->rates) && !S->func_depth)
      diag_note(S->diag, (Loc){0}, "write it as a term of its own, x' = f + noise(D); to scale it, scale D: "
                                   "noise(4 * D) is twice noise(D)");
    else
      diag_note(S->diag, (Loc){0}, "noise drives states, x' = f + noise(D); to drive V, give a channel a noisy "
                                   "current state: I' = -I / tau + noise(D) with current -I");
    return false;
  }
  if (e->args.n != 1) {
    diag_error(S->diag, e->loc, "E0204", "noise takes 1 argument, but %d %s given", e->args.n,
               e->args.n == 1 ? "was" : "were");
    return false;
  }
  Expr *d = e->args.v[0];
  if (!check_expr(S, sc, d)) return false;
  Sym *x = S->noise_state;
  Unit per_time = units_div(x->unit, sema_unit_of("ms"));
  e->unit = per_time;
  if (units_same_dim(d->unit, units_mul(x->unit, per_time))) return true;
  if (sema_is_zero_literal(d)) { d->unit = units_mul(x->unit, per_time); return true; }
  /* the unit D needs, in the state's usual unit: "mV^2/ms", "1/ms" */
  char xu[64], want[96], got[160];
  unit_hint(x->unit, xu, sizeof xu);
  if (units_is_dimensionless(x->unit)) snprintf(want, sizeof want, "1/ms");
  else snprintf(want, sizeof want, strpbrk(xu, "*/ ") ? "(%s)^2/ms" : "%s^2/ms", xu);
  diag_error(S->diag, d->loc, "E0304", "the intensity D of noise(D) in %s' must be in %s (the unit of %s squared "
             "per time), but it is %s", x->name, want, x->name, in_unit(d->unit, got, sizeof got));
  diag_note(S->diag, (Loc){0}, "noise(D) adds sqrt(2 D) times unit white noise; with it, %s' = -%s/tau + noise(D) "
            "fluctuates with variance D tau", x->name, x->name);
  return false;
}

/* Does e contain a call of the built-in noise? */
static bool has_noise(const Expr *e) {
  if (!e) return false;
  if (e->kind == EX_CALL && !e->sym && strcmp(e->name, "noise") == 0) return true;
  for (int i = 0; i < e->args.n; i++)
    if (has_noise(e->args.v[i])) return true;
  return has_noise(e->a) || has_noise(e->b) || has_noise(e->c);
}

bool sema_rates_has_noise(const Decl *d) {
  for (int i = 0; i < d->body.n; i++) {
    const Stmt *st = d->body.v[i];
    if (st->kind == ST_ODE && has_noise(st->e)) return true;
  }
  return false;
}

/* Has a cell noise in its own equations or in those of a channel or
 * synapse it inserts? */
bool sema_cell_has_noise(Program *prog, const Decl *cell) {
  if (sema_rates_has_noise(cell)) return true;
  for (int i = 0; i < cell->body.n; i++) {
    const Stmt *st = cell->body.v[i];
    for (int k = 0; st->kind == ST_INSERT && k < st->names.n; k++) {
      const Decl *ch = sema_find_decl(prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
      if (ch && sema_rates_has_noise(ch)) return true;
    }
  }
  return false;
}

static void check_rates_ode(Sema *S, Scope *sc, Stmt *st, PtrVec *odes) {
  Sym *x = find_state(sc, st->name);
  if (!x) { /* also V: a rates block has no membrane equation */
    diag_error(S->diag, st->name_loc, "E0211", "%s' = ... needs '%s' to be a state of this block%s", st->name,
               st->name, sema_scope_find(sc, st->name) ? "" : " (declare it with `state`)");
    return;
  }
  check_ode(S, sc, st, odes);
}

static void check_rates(Sema *S, Decl *d) {
  Scope sc = {.parent = &S->rates_env};
  S->rates = d;
  S->rates_scope = &sc;
  declare_block(S, &sc, d);
  PtrVec odes = {0};
  int nstates = 0;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    switch (st->kind) {
    case ST_PARAM: check_param(S, &sc, st); break;
    case ST_DEF: check_def(S, &sc, st); break;
    case ST_STATE: check_state_stmt(S, &sc, st); nstates++; break;
    case ST_ODE: check_rates_ode(S, &sc, st, &odes); break;
    case ST_INIT: {
      Sym *x = find_state(&sc, st->name);
      double t0;
      if (!sema_const_value(st->e2, &t0) || t0 != 0) {
        diag_error(S->diag, st->e2->loc, "E0217", "initial values are written %s(0) = ...", st->name);
        break;
      }
      if (!x) {
        diag_error(S->diag, st->name_loc, "E0211", "%s(0) = ... needs '%s' to be a state of this block", st->name,
                   st->name);
        break;
      }
      Scope cs = {.parent = &sc, .constant = true};
      if (check_expr(S, &cs, st->e)) {
        char what[64];
        snprintf(what, sizeof what, "the initial value of %s", st->name);
        expect_unit(S, st->e, x->unit, what);
      }
      break;
    }
    default:
      not_allowed(S, st, "rates block",
                  "a rates block holds param, state, equations x' = ..., definitions and initial values x(0) = ...");
    }
  }
  if (!nstates) {
    diag_error(S->diag, d->name_loc, "E0234", "rates %s has no state", d->name);
    diag_note(S->diag, (Loc){0}, "declare each state with `state x = VALUE` and give it an equation x' = ...");
  }
  S->rates = NULL;
  S->rates_scope = NULL;
}

/* ---- program -------------------------------------------------------------- */

static void declare_globals(Sema *S, Program *prog) {
  static const SymKind kinds[] = {[DC_GATE] = SYM_GATE, [DC_CHANNEL] = SYM_CHANNEL,
                                  [DC_CELL] = SYM_CELL, [DC_FUNC] = SYM_FUNC, [DC_RATES] = SYM_RATES,
                                  [DC_FIELD] = SYM_FIELD, [DC_DENSITY] = SYM_DENSITY,
                                  [DC_MORPHOLOGY] = SYM_MORPHOLOGY};
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    if (d->kind == DC_IMPORT || d->kind == DC_SIMULATE) continue;
    if (d->kind == DC_POPULATION || d->kind == DC_PROJECT) continue; /* compiler/sema_network.c */
    if (d->kind == DC_FUNC && (find_builtin(d->name) || strcmp(d->name, "noise") == 0 ||
                               strcmp(d->name, "gauss_mean") == 0))
      diag_warning(S->diag, d->name_loc, "W0203", "'%s' hides the built-in function of the same name", d->name);
    Sym *s = declare(S, &S->global, kinds[d->kind], d->name, d->name_loc);
    s->decl = d;
    d->sym = s;
  }
  /* the scales only shape messages ("mV", not "V"): values fold to SI */
  Sym *v = declare(S, &S->membrane, SYM_V, "V", (Loc){0});
  v->unit = sema_unit_of("mV");
  Sym *t = declare(S, &S->membrane, SYM_TIME, "t", (Loc){0});
  t->unit = sema_unit_of("ms");
  declare(S, &S->membrane, SYM_CELSIUS, "celsius", (Loc){0});
  vec_push(S->A, &S->rates_env.syms, t); /* a rates block sees t only */
}

bool sema_check(Arena *arena, Diag *diag, Program *prog, SimSpec *sim) {
  Sema S = {.A = arena, .diag = diag, .prog = prog};
  S.membrane.parent = &S.global;
  S.rates_env.parent = &S.global;
  int before = diag->nerrors;
  memset(sim, 0, sizeof *sim);
  sim->duration = 0.1;
  sim->dt = 25e-6;
  sim->tolerance = 1e-9;
  sim->celsius = 6.3;
  sim->instances = 1;
  sim->method = MIR_METHOD_STAGGERED;

  declare_globals(&S, prog);
  Decl *simulate = NULL;
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    switch (d->kind) {
    case DC_GATE: {
      Scope sc = {.parent = &S.membrane};
      check_gate(&S, &sc, d);
      break;
    }
    case DC_CHANNEL: check_channel(&S, d); break;
    case DC_CELL: check_cell(&S, d); break;
    case DC_RATES: check_rates(&S, d); break;
    case DC_FIELD: case DC_DENSITY: sema_check_population(&S, d); break;
    case DC_MORPHOLOGY: sema_cable_morphology(&S, d); break;
    case DC_FUNC: {
      /* checked at each call with the argument units; here only the names
       * and whether it calls itself */
      if (reaches(&S, d->e, d, 0)) {
        diag_error(diag, d->name_loc, "E0213", "function %s calls itself (recursion is not allowed)", d->name);
        d->sym->recursive = true;
      }
      for (int k = 0; k < d->params.n; k++)
        for (int j = 0; j < k; j++)
          if (strcmp(((IdRef *)d->params.v[k])->name, ((IdRef *)d->params.v[j])->name) == 0)
            diag_error(diag, ((IdRef *)d->params.v[k])->loc, "E0202", "argument '%s' is listed twice",
                       ((IdRef *)d->params.v[k])->name);
      break;
    }
    case DC_SIMULATE:
      if (d->file != prog->files.v[0]) break; /* an imported file's own simulation */
      if (simulate) {
        diag_error(diag, d->loc, "E0413", "only one simulate block is allowed");
        diag_note(diag, simulate->loc, "the first one is here");
        break;
      }
      simulate = d;
      break;
    case DC_IMPORT: break;
    case DC_POPULATION: case DC_PROJECT: break; /* below: sema_network */
    }
  }
  sema_synapse_cells(&S, prog); /* compiler/sema_synapse.c: synapses inserted into cells */
  if (simulate && diag->nerrors == before) {
    sim->simulate = simulate;
    sema_check_simulate(&S, simulate, sim);
  }
  if (diag->nerrors == before) sema_network(&S, arena, diag, prog, sim); /* compiler/sema_network.c */
  return diag->nerrors == before;
}

/* ---- population models: the checker's pieces for compiler/sema_population.c */

Diag *sema_diag(Sema *S) { return S->diag; }
Arena *sema_arena(Sema *S) { return S->A; }
Program *sema_program(Sema *S) { return S->prog; }
Scope *sema_scope_new(Sema *S, Scope *parent, bool constant) {
  Scope *sc = arena_alloc(S->A, sizeof *sc);
  sc->parent = parent ? parent : &S->rates_env; /* t, then the top level */
  sc->constant = constant;
  return sc;
}
void sema_scope_enter_rates(Sema *S, Decl *d, Scope *sc) { S->rates = d; S->rates_scope = sc; }
Sym *sema_declare(Sema *S, Scope *sc, SymKind kind, const char *name, Loc loc) {
  return declare(S, sc, kind, name, loc);
}
Sym *sema_lookup(Sema *S, Scope *sc, const char *name) { return sema_scope_find(sc ? sc : &S->global, name); }
bool sema_check_expr(Sema *S, Scope *sc, Expr *e) { return check_expr(S, sc, e); }
bool sema_expect_unit(Sema *S, Expr *e, Unit want, const char *what) { return expect_unit(S, e, want, what); }
void sema_check_param(Sema *S, Scope *sc, Stmt *st) { check_param(S, sc, st); }
void sema_check_def(Sema *S, Scope *sc, Stmt *st) { check_def(S, sc, st); }
void sema_not_allowed(Sema *S, Stmt *st, const char *where, const char *hint) { not_allowed(S, st, where, hint); }
/* ---- end of population models -------------------------------------------- */
