/* compiler/deriv.c — symbolic differentiation and substitution on model-IR
 * expressions.  Used to prove that a state is linear in itself (so its
 * exact exponential update applies), and to linearise the membrane
 * current for Crank–Nicolson (dI/dV).
 *
 * Expressions are DAGs: inlined function arguments and derived quantities
 * are shared, so every walk here is memoised by node (a PtrMap per call);
 * without that a chain of n definitions x_i = x_{i-1} * x_{i-1} costs 2^n. */
#include <math.h>

#include "mir.h"
#include "util.h"

#define YES ((void *)2)
#define NO ((void *)1)

static bool depends(const Mir *m, const MirExpr *e, int s, PtrMap *memo) {
  if (!e) return false;
  switch (e->op) {
  case MIR_STATE: return e->index == s;
  case MIR_CONST: case MIR_PARAM: case MIR_TIME: return false;
  default: break;
  }
  bool found;
  void *v = ptrmap_get(memo, e, &found);
  if (found) return v == YES;
  bool r = e->op == MIR_DERIVED ? depends(m, m->derived[e->index].e, s, memo)
                                : depends(m, e->a, s, memo) || depends(m, e->b, s, memo) || depends(m, e->c, s, memo);
  ptrmap_put(memo, e, r ? YES : NO);
  return r;
}

bool mir_depends_on(const Mir *m, const MirExpr *e, int s) {
  PtrMap memo = {0};
  bool r = depends(m, e, s, &memo);
  ptrmap_clear(&memo);
  return r;
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

typedef struct Subst {
  Arena *A;
  const Mir *m;
  int s;
  MirExpr *v;
  bool all;
  PtrMap memo, deps;
} Subst;

static MirExpr *subst(Subst *S, const MirExpr *e) {
  if (!e) return NULL;
  switch (e->op) {
  case MIR_STATE: return e->index == S->s ? S->v : (MirExpr *)e;
  case MIR_CONST: case MIR_PARAM: case MIR_TIME: return (MirExpr *)e;
  default: break;
  }
  bool found;
  MirExpr *r = ptrmap_get(&S->memo, e, &found);
  if (found) return r;
  if (e->op == MIR_DERIVED)
    r = S->all || depends(S->m, e, S->s, &S->deps) ? subst(S, S->m->derived[e->index].e) : (MirExpr *)e;
  else
    r = rebuild(S->A, e, subst(S, e->a), subst(S, e->b), subst(S, e->c));
  ptrmap_put(&S->memo, e, r);
  return r;
}

static MirExpr *subst_run(Arena *A, const Mir *m, const MirExpr *e, int s, MirExpr *v, bool all) {
  Subst S = {.A = A, .m = m, .s = s, .v = v, .all = all};
  MirExpr *r = subst(&S, e);
  ptrmap_clear(&S.memo);
  ptrmap_clear(&S.deps);
  return r;
}

MirExpr *mir_subst(Arena *A, const Mir *m, const MirExpr *e, int s, MirExpr *v) {
  return subst_run(A, m, e, s, v, false);
}

MirExpr *mir_expand(Arena *A, const Mir *m, const MirExpr *e) { return subst_run(A, m, e, -1, NULL, true); }

typedef struct Diff {
  Arena *A;
  const Mir *m;
  int s;
  PtrMap memo, deps;
} Diff;

static MirExpr *diff(Diff *D, const MirExpr *e);

/* d/dx of f(u) given u and du */
static MirExpr *diff_call(Diff *D, const MirExpr *e) {
  Arena *A = D->A;
  MirExpr *u = e->a, *du = diff(D, e->a);
  MirExpr *one = mir_const(A, 1);
  if (e->nargs == 2) {
    MirExpr *v = e->b, *dv = diff(D, e->b);
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

static MirExpr *diff_node(Diff *D, const MirExpr *e) {
  Arena *A = D->A;
  switch (e->op) {
  case MIR_STATE: return mir_const(A, 1);
  case MIR_DERIVED: return diff(D, D->m->derived[e->index].e);
  case MIR_NEG: return mir_neg(A, diff(D, e->a));
  case MIR_ADD: case MIR_SUB:
    return mir_bin(A, e->op, diff(D, e->a), diff(D, e->b));
  case MIR_MUL:
    return mir_bin(A, MIR_ADD, mir_bin(A, MIR_MUL, diff(D, e->a), e->b),
                   mir_bin(A, MIR_MUL, e->a, diff(D, e->b)));
  case MIR_DIV: {
    MirExpr *da = diff(D, e->a), *db = diff(D, e->b);
    MirExpr *t1 = mir_bin(A, MIR_DIV, da, e->b);
    if (mir_is_const(db, 0)) return t1;
    MirExpr *t2 = mir_bin(A, MIR_DIV, mir_bin(A, MIR_MUL, e->a, db), mir_powi(A, e->b, 2));
    return mir_bin(A, MIR_SUB, t1, t2);
  }
  case MIR_POWI:
    return mir_bin(A, MIR_MUL, mir_bin(A, MIR_MUL, mir_const(A, e->ival), mir_powi(A, e->a, e->ival - 1)),
                   diff(D, e->a));
  case MIR_CALL: return diff_call(D, e);
  case MIR_SELECT: return mir_select(A, e->a, diff(D, e->b), diff(D, e->c));
  default:
    /* comparisons, logic and windows are piecewise constant */
    return mir_const(A, 0);
  }
}

/* d e / d state, each shared node differentiated once */
static MirExpr *diff(Diff *D, const MirExpr *e) {
  if (!depends(D->m, e, D->s, &D->deps)) return mir_const(D->A, 0);
  bool found;
  MirExpr *r = ptrmap_get(&D->memo, e, &found);
  if (found) return r;
  r = diff_node(D, e);
  ptrmap_put(&D->memo, e, r);
  return r;
}

MirExpr *mir_diff(Arena *A, const Mir *m, const MirExpr *e, int s) {
  Diff D = {.A = A, .m = m, .s = s};
  MirExpr *r = diff(&D, e);
  ptrmap_clear(&D.memo);
  ptrmap_clear(&D.deps);
  return r;
}
