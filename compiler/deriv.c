/* compiler/deriv.c — symbolic differentiation and substitution on model-IR
 * expressions.  Used to prove that a state is linear in itself (so its
 * exact exponential update applies), and to linearise the membrane
 * current for Crank–Nicolson (dI/dV). */
#include <math.h>

#include "mir.h"
#include "util.h"

bool mir_depends_on(const Mir *m, const MirExpr *e, int s) {
  if (!e) return false;
  switch (e->op) {
  case MIR_STATE: return e->index == s;
  case MIR_DERIVED: return mir_depends_on(m, m->derived[e->index].e, s);
  case MIR_CONST: case MIR_PARAM: case MIR_TIME: return false;
  default:
    return mir_depends_on(m, e->a, s) || mir_depends_on(m, e->b, s) || mir_depends_on(m, e->c, s);
  }
}

static MirExpr *rebuild(Arena *A, const MirExpr *e, MirExpr *a, MirExpr *b, MirExpr *c) {
  switch (e->op) {
  case MIR_NEG: return mir_neg(A, a);
  case MIR_POWI: return mir_powi(A, a, e->ival);
  case MIR_CALL: return mir_call(A, e->fn, a, b);
  case MIR_SELECT: return mir_select(A, a, b, c);
  case MIR_WINDOW: return mir_window(A, a, b);
  case MIR_NOT: {
    MirExpr *n = arena_alloc(A, sizeof *n);
    *n = *e;
    n->a = a;
    return n;
  }
  default: return mir_bin(A, e->op, a, b);
  }
}

static MirExpr *subst(Arena *A, const Mir *m, const MirExpr *e, int s, MirExpr *v, bool all) {
  if (!e) return NULL;
  switch (e->op) {
  case MIR_STATE: return e->index == s ? v : (MirExpr *)e;
  case MIR_DERIVED:
    if (all || mir_depends_on(m, e, s)) return subst(A, m, m->derived[e->index].e, s, v, all);
    return (MirExpr *)e;
  case MIR_CONST: case MIR_PARAM: case MIR_TIME: return (MirExpr *)e;
  default:
    return rebuild(A, e, subst(A, m, e->a, s, v, all), subst(A, m, e->b, s, v, all),
                   subst(A, m, e->c, s, v, all));
  }
}

MirExpr *mir_subst(Arena *A, const Mir *m, const MirExpr *e, int s, MirExpr *v) {
  return subst(A, m, e, s, v, false);
}

MirExpr *mir_expand(Arena *A, const Mir *m, const MirExpr *e) { return subst(A, m, e, -1, NULL, true); }

/* d/dx of f(u) given u and du */
static MirExpr *diff_call(Arena *A, const Mir *m, const MirExpr *e, int s) {
  MirExpr *u = e->a, *du = mir_diff(A, m, e->a, s);
  MirExpr *one = mir_const(A, 1);
  if (e->nargs == 2) {
    MirExpr *v = e->b, *dv = mir_diff(A, m, e->b, s);
    switch (e->fn) {
    case MIR_FN_MIN: return mir_select(A, mir_bin(A, MIR_LE, u, v), du, dv);
    case MIR_FN_MAX: return mir_select(A, mir_bin(A, MIR_GE, u, v), du, dv);
    default: { /* pow(u, v) = exp(v log u): d = pow(u,v) (dv log u + v du / u) */
      MirExpr *t1 = mir_bin(A, MIR_MUL, dv, mir_call(A, MIR_FN_LOG, u, NULL));
      MirExpr *t2 = mir_bin(A, MIR_DIV, mir_bin(A, MIR_MUL, v, du), u);
      return mir_bin(A, MIR_MUL, (MirExpr *)e, mir_bin(A, MIR_ADD, t1, t2));
    }
    }
  }
  if (mir_is_const(du, 0)) return du;
  MirExpr *d;
  switch (e->fn) {
  case MIR_FN_EXP: d = (MirExpr *)e; break;
  case MIR_FN_LOG: d = mir_bin(A, MIR_DIV, one, u); break;
  case MIR_FN_SQRT: d = mir_bin(A, MIR_DIV, mir_const(A, 0.5), (MirExpr *)e); break;
  case MIR_FN_ABS: d = mir_select(A, mir_bin(A, MIR_LT, u, mir_const(A, 0)), mir_const(A, -1), one); break;
  case MIR_FN_TANH: d = mir_bin(A, MIR_SUB, one, mir_powi(A, (MirExpr *)e, 2)); break;
  case MIR_FN_SIN: d = mir_call(A, MIR_FN_COS, u, NULL); break;
  case MIR_FN_COS: d = mir_neg(A, mir_call(A, MIR_FN_SIN, u, NULL)); break;
  case MIR_FN_SIGMOID: d = mir_bin(A, MIR_MUL, (MirExpr *)e, mir_bin(A, MIR_SUB, one, (MirExpr *)e)); break;
  case MIR_FN_EXPRELR: {
    /* r = u/(e^u - 1); r' = (1 - r (1 + u)) / u... written without the 0/0:
     * r' = r (1/u - e^u/(e^u-1)) = (r - r^2 e^u) / u; near 0 use -1/2 + u/6 */
    MirExpr *r = (MirExpr *)e;
    MirExpr *far = mir_bin(A, MIR_DIV,
                           mir_bin(A, MIR_SUB, r, mir_bin(A, MIR_MUL, mir_powi(A, r, 2), mir_call(A, MIR_FN_EXP, u, NULL))), u);
    MirExpr *near = mir_bin(A, MIR_ADD, mir_const(A, -0.5), mir_bin(A, MIR_DIV, u, mir_const(A, 6)));
    MirExpr *small = mir_bin(A, MIR_LT, mir_call(A, MIR_FN_ABS, u, NULL), mir_const(A, 1e-4));
    d = mir_select(A, small, near, far);
    break;
  }
  default: d = mir_const(A, NAN);
  }
  return mir_bin(A, MIR_MUL, d, du);
}

MirExpr *mir_diff(Arena *A, const Mir *m, const MirExpr *e, int s) {
  if (!mir_depends_on(m, e, s)) return mir_const(A, 0);
  switch (e->op) {
  case MIR_STATE: return mir_const(A, 1);
  case MIR_DERIVED: return mir_diff(A, m, m->derived[e->index].e, s);
  case MIR_NEG: return mir_neg(A, mir_diff(A, m, e->a, s));
  case MIR_ADD: case MIR_SUB:
    return mir_bin(A, e->op, mir_diff(A, m, e->a, s), mir_diff(A, m, e->b, s));
  case MIR_MUL:
    return mir_bin(A, MIR_ADD, mir_bin(A, MIR_MUL, mir_diff(A, m, e->a, s), e->b),
                   mir_bin(A, MIR_MUL, e->a, mir_diff(A, m, e->b, s)));
  case MIR_DIV: {
    MirExpr *da = mir_diff(A, m, e->a, s), *db = mir_diff(A, m, e->b, s);
    MirExpr *t1 = mir_bin(A, MIR_DIV, da, e->b);
    if (mir_is_const(db, 0)) return t1;
    MirExpr *t2 = mir_bin(A, MIR_DIV, mir_bin(A, MIR_MUL, e->a, db), mir_powi(A, e->b, 2));
    return mir_bin(A, MIR_SUB, t1, t2);
  }
  case MIR_POWI:
    return mir_bin(A, MIR_MUL, mir_bin(A, MIR_MUL, mir_const(A, e->ival), mir_powi(A, e->a, e->ival - 1)),
                   mir_diff(A, m, e->a, s));
  case MIR_CALL: return diff_call(A, m, e, s);
  case MIR_SELECT: return mir_select(A, e->a, mir_diff(A, m, e->b, s), mir_diff(A, m, e->c, s));
  default:
    /* comparisons, logic and windows are piecewise constant */
    return mir_const(A, 0);
  }
}
