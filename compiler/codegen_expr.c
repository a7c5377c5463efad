/* compiler/codegen_expr.c — MirExpr to LLVM values.
 *
 * Expressions are emitted at the builder's position as straight-line code:
 * comparisons give 1.0/0.0 through selects, MIR_SELECT evaluates both arms
 * (expressions have no side effects), so a kernel's loop body stays a single
 * basic block the loop vectoriser can widen.  Malformed expressions record
 * an error through cg_fail and yield 0.0 so that emission can go on.
 */
#include <math.h>
#include <string.h>
#include "codegen_impl.h"

LLVMValueRef cg_const(Cg *cg, double v) { return LLVMConstReal(cg->f64, v); }

static LLVMValueRef bool_to_f64(Cg *cg, LLVMValueRef c)
{
  return LLVMBuildSelect(cg->b, c, cg_const(cg, 1.0), cg_const(cg, 0.0), "");
}

/* a != 0 (true for NaN, as in C) */
static LLVMValueRef truth(Cg *cg, LLVMValueRef a)
{
  return LLVMBuildFCmp(cg->b, LLVMRealUNE, a, cg_const(cg, 0.0), "");
}

LLVMValueRef cg_derived(Cg *cg, CgEnv *env, int d)
{
  const Mir *m = cg->m;
  if (d < 0 || d >= m->nderived) {
    cg_fail(cg, "%s: derived index %d out of range (%d derived)", env->what, d, m->nderived);
    return cg_const(cg, 0.0);
  }
  if (d >= env->derived_limit) {
    cg_fail(cg, "%s: derived '%s' used before it is defined", env->what,
            m->derived[d].name ? m->derived[d].name : "?");
    return cg_const(cg, 0.0);
  }
  if (env->derived[d]) return env->derived[d];
  int saved = env->derived_limit;
  env->derived_limit = d;
  LLVMValueRef v = cg_expr(cg, env, m->derived[d].e);
  env->derived_limit = saved;
  if (m->derived[d].name && !LLVMIsConstant(v))
    LLVMSetValueName2(v, m->derived[d].name, strlen(m->derived[d].name));
  env->derived[d] = v;
  return v;
}

static LLVMValueRef state_value(Cg *cg, CgEnv *env, int k)
{
  const Mir *m = cg->m;
  if (k < 0 || k >= m->nstates) {
    cg_fail(cg, "%s: state index %d out of range (%d states)", env->what, k, m->nstates);
    return cg_const(cg, 0.0);
  }
  if (!env->states[k]) {
    cg_fail(cg, "%s: uses state '%s' before it is initialised", env->what,
            m->states[k].name ? m->states[k].name : "?");
    return cg_const(cg, 0.0);
  }
  return env->states[k];
}

static LLVMValueRef param_value(Cg *cg, CgEnv *env, int j)
{
  if (j < 0 || j >= cg->m->nparams) {
    cg_fail(cg, "%s: parameter index %d out of range (%d parameters)", env->what, j,
            cg->m->nparams);
    return cg_const(cg, 0.0);
  }
  return env->params[j];
}

/* MIR_WINDOW [a, b): indicator at env->t or the covered fraction of
 * [w0, w0 + wdt] (0 when wdt <= 0 would divide by zero: indicator then). */
static LLVMValueRef window(Cg *cg, CgEnv *env, LLVMValueRef a, LLVMValueRef b)
{
  LLVMBuilderRef B = cg->b;
  if (env->win == CG_WIN_INDICATOR) {
    LLVMValueRef c1 = LLVMBuildFCmp(B, LLVMRealOLE, a, env->t, "");
    LLVMValueRef c2 = LLVMBuildFCmp(B, LLVMRealOLT, env->t, b, "");
    return bool_to_f64(cg, LLVMBuildAnd(B, c1, c2, ""));
  }
  LLVMValueRef w1 = LLVMBuildFAdd(B, env->w0, env->wdt, "");
  LLVMValueRef lo = cg_math_intrinsic(cg, "maxnum", env->w0, a);
  LLVMValueRef hi = cg_math_intrinsic(cg, "minnum", w1, b);
  LLVMValueRef len = cg_math_intrinsic(cg, "maxnum", LLVMBuildFSub(B, hi, lo, ""),
                                       cg_const(cg, 0.0));
  LLVMValueRef frac = LLVMBuildFDiv(B, len, env->wdt, "");
  LLVMValueRef c1 = LLVMBuildFCmp(B, LLVMRealOLE, a, env->w0, "");
  LLVMValueRef c2 = LLVMBuildFCmp(B, LLVMRealOLT, env->w0, b, "");
  LLVMValueRef ind = bool_to_f64(cg, LLVMBuildAnd(B, c1, c2, ""));
  LLVMValueRef pos = LLVMBuildFCmp(B, LLVMRealOGT, env->wdt, cg_const(cg, 0.0), "");
  return LLVMBuildSelect(B, pos, frac, ind, "window");
}

static bool need(Cg *cg, CgEnv *env, const MirExpr *e, int n)
{
  if ((n >= 1 && !e->a) || (n >= 2 && !e->b) || (n >= 3 && !e->c)) {
    cg_fail(cg, "%s: malformed expression (operation %d lacks an operand)", env->what,
            (int)e->op);
    return false;
  }
  return true;
}

static LLVMValueRef compare(Cg *cg, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
  return bool_to_f64(cg, LLVMBuildFCmp(cg->b, p, a, b, ""));
}

static LLVMValueRef call(Cg *cg, CgEnv *env, const MirExpr *e)
{
  if ((unsigned)e->fn >= MIR_FN_COUNT) {
    cg_fail(cg, "%s: unknown builtin function %d", env->what, (int)e->fn);
    return cg_const(cg, 0.0);
  }
  int arity = cg_math_arity(e->fn);
  if (e->nargs != arity) {
    cg_fail(cg, "%s: %s takes %d argument%s, got %d", env->what, cg_math_name(e->fn), arity,
            arity == 1 ? "" : "s", e->nargs);
    return cg_const(cg, 0.0);
  }
  if (!need(cg, env, e, arity)) return cg_const(cg, 0.0);
  LLVMValueRef args[2] = { cg_expr(cg, env, e->a), arity > 1 ? cg_expr(cg, env, e->b) : NULL };
  return cg_math_call(cg, e->fn, args);
}

static LLVMValueRef binary(Cg *cg, CgEnv *env, const MirExpr *e)
{
  LLVMBuilderRef B = cg->b;
  LLVMValueRef a = cg_expr(cg, env, e->a), b = cg_expr(cg, env, e->b);
  switch (e->op) {
  case MIR_ADD: return LLVMBuildFAdd(B, a, b, "");
  case MIR_SUB: return LLVMBuildFSub(B, a, b, "");
  case MIR_MUL: return LLVMBuildFMul(B, a, b, "");
  case MIR_DIV: return LLVMBuildFDiv(B, a, b, "");
  case MIR_LT: return compare(cg, LLVMRealOLT, a, b);
  case MIR_LE: return compare(cg, LLVMRealOLE, a, b);
  case MIR_GT: return compare(cg, LLVMRealOGT, a, b);
  case MIR_GE: return compare(cg, LLVMRealOGE, a, b);
  case MIR_EQ: return compare(cg, LLVMRealOEQ, a, b);
  case MIR_NE: return compare(cg, LLVMRealUNE, a, b);
  case MIR_AND: return bool_to_f64(cg, LLVMBuildAnd(B, truth(cg, a), truth(cg, b), ""));
  case MIR_OR: return bool_to_f64(cg, LLVMBuildOr(B, truth(cg, a), truth(cg, b), ""));
  case MIR_WINDOW: return window(cg, env, a, b);
  default: return cg_const(cg, 0.0); /* not reached */
  }
}

void cg_memo_reset(Cg *cg) { ptrmap_clear(&cg->memo); }

static LLVMValueRef emit(Cg *cg, CgEnv *env, const MirExpr *e);

/* Leaves are cheap; compound nodes are emitted once per environment, so
 * that a DAG (an inlined function's argument used twice, a derivative
 * sharing its operands) costs its size and not its unfolded size. */
LLVMValueRef cg_expr(Cg *cg, CgEnv *env, const MirExpr *e)
{
  if (!e || e->op == MIR_CONST || e->op == MIR_PARAM || e->op == MIR_STATE || e->op == MIR_DERIVED ||
      e->op == MIR_TIME)
    return emit(cg, env, e);
  bool found;
  LLVMValueRef v = ptrmap_get(&cg->memo, e, &found);
  if (found) return v;
  v = emit(cg, env, e);
  ptrmap_put(&cg->memo, e, v);
  return v;
}

static LLVMValueRef emit(Cg *cg, CgEnv *env, const MirExpr *e)
{
  if (!e) {
    cg_fail(cg, "%s: missing expression", env->what);
    return cg_const(cg, 0.0);
  }
  switch (e->op) {
  case MIR_CONST: return cg_const(cg, e->value);
  case MIR_PARAM: return param_value(cg, env, e->index);
  case MIR_STATE: return state_value(cg, env, e->index);
  case MIR_DERIVED: return cg_derived(cg, env, e->index);
  case MIR_TIME: return env->t;
  case MIR_NEG:
    if (!need(cg, env, e, 1)) break;
    return LLVMBuildFNeg(cg->b, cg_expr(cg, env, e->a), "");
  case MIR_NOT:
    if (!need(cg, env, e, 1)) break;
    return bool_to_f64(cg, LLVMBuildFCmp(cg->b, LLVMRealOEQ, cg_expr(cg, env, e->a),
                                         cg_const(cg, 0.0), ""));
  case MIR_POWI:
    if (!need(cg, env, e, 1)) break;
    return cg_math_powi(cg, cg_expr(cg, env, e->a), e->ival);
  case MIR_ADD: case MIR_SUB: case MIR_MUL: case MIR_DIV:
  case MIR_LT: case MIR_LE: case MIR_GT: case MIR_GE: case MIR_EQ: case MIR_NE:
  case MIR_AND: case MIR_OR: case MIR_WINDOW:
    if (!need(cg, env, e, 2)) break;
    return binary(cg, env, e);
  case MIR_SELECT: {
    if (!need(cg, env, e, 3)) break;
    LLVMValueRef c = truth(cg, cg_expr(cg, env, e->a));
    LLVMValueRef x = cg_expr(cg, env, e->b), y = cg_expr(cg, env, e->c);
    return LLVMBuildSelect(cg->b, c, x, y, "");
  }
  case MIR_CALL: return call(cg, env, e);
  default:
    cg_fail(cg, "%s: unknown expression operation %d", env->what, (int)e->op);
    break;
  }
  return cg_const(cg, 0.0);
}

/* ---- helpers shared by the model and kernel generators -------------------- */

/* Whether v has the same value in every iteration of the loop being
 * generated: a constant, an argument, a value of the function's entry
 * block (where the scalar parameters are loaded), or arithmetic and pure
 * helper calls on such values.  Loads and phis in the loop are not. */
static bool invariant_in(LLVMValueRef v, LLVMBasicBlockRef entry, int depth)
{
  if (LLVMIsAConstant(v) || LLVMIsAArgument(v)) return true;
  if (!LLVMIsAInstruction(v) || depth > 24) return false;
  if (LLVMGetInstructionParent(v) == entry) return true;
  switch (LLVMGetInstructionOpcode(v)) {
  case LLVMFAdd: case LLVMFSub: case LLVMFMul: case LLVMFDiv: case LLVMFNeg:
  case LLVMFCmp: case LLVMSelect:
    break;
  case LLVMCall: { /* the math helpers (internal) and intrinsics are pure */
    LLVMValueRef fn = LLVMGetCalledValue(v);
    size_t len = 0;
    const char *name = LLVMIsAFunction(fn) ? LLVMGetValueName2(fn, &len) : "";
    if (!LLVMIsAFunction(fn) ||
        !(LLVMGetLinkage(fn) == LLVMInternalLinkage || strncmp(name, "llvm.", 5) == 0))
      return false;
    break;
  }
  default:
    return false;
  }
  int n = LLVMGetNumOperands(v);
  for (int k = 0; k < n; k++) {
    LLVMValueRef o = LLVMGetOperand(v, (unsigned)k);
    if (LLVMIsAFunction(o)) continue;
    if (!invariant_in(o, entry, depth + 1)) return false;
  }
  return true;
}

bool cg_loop_invariant(Cg *cg, LLVMValueRef v)
{
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(cg->b));
  return invariant_in(v, LLVMGetEntryBasicBlock(fn), 0);
}

static bool is_zero_constant(LLVMValueRef v)
{
  LLVMBool lossy = 0;
  return LLVMIsAConstantFP(v) && LLVMConstRealGetDouble(v, &lossy) == 0.0;
}

/* The exact solution of x' = a + b x over dt with a and b held:
 * x + dt (a + b x) phi1(b dt), phi1(y) = (e^y - 1)/y, the same as
 * x_inf + (x - x_inf) exp(b dt) but finite when b = 0.  When b dt is
 * the same for every instance of the loop (a decay or leak with fixed
 * time constant), the equal form x e^(b dt) + a (dt phi1(b dt)) leaves two
 * multiplications and an addition in the loop (its factors are hoisted),
 * and x e^(b dt) alone when a is 0: integrate-and-fire neurons and their
 * exponential synapses spend most of their step here. */
LLVMValueRef cg_cnexp_update(Cg *cg, LLVMValueRef x, LLVMValueRef a, LLVMValueRef b, LLVMValueRef dt)
{
  LLVMBuilderRef B = cg->b;
  LLVMValueRef z = LLVMBuildFMul(B, b, dt, "");
  if (cg_loop_invariant(cg, z)) {
    LLVMValueRef xe = LLVMBuildFMul(B, x, cg_math_exp(cg, z), "");
    if (is_zero_constant(a)) return xe;
    LLVMValueRef q = LLVMBuildFMul(B, dt, cg_math_phi1(cg, z), "");
    return LLVMBuildFAdd(B, xe, LLVMBuildFMul(B, a, q, ""), "");
  }
  LLVMValueRef f = LLVMBuildFAdd(B, a, LLVMBuildFMul(B, b, x, ""), "");
  LLVMValueRef g = cg_math_phi1(cg, z);
  LLVMValueRef d = LLVMBuildFMul(B, LLVMBuildFMul(B, dt, f, ""), g, "");
  return LLVMBuildFAdd(B, x, d, "");
}

/* Linearised Crank-Nicolson x + dt f / (1 - dt/2 jac), or explicit Euler
 * x + dt f when jac is NULL. */
LLVMValueRef cg_implicit_update(Cg *cg, LLVMValueRef x, LLVMValueRef f, LLVMValueRef jac, LLVMValueRef dt)
{
  LLVMBuilderRef B = cg->b;
  LLVMValueRef d = LLVMBuildFMul(B, dt, f, "");
  if (jac) {
    LLVMValueRef hdt = LLVMBuildFMul(B, cg_const(cg, 0.5), dt, "");
    LLVMValueRef den = LLVMBuildFSub(B, cg_const(cg, 1.0), LLVMBuildFMul(B, hdt, jac, ""), "");
    d = LLVMBuildFDiv(B, d, den, "");
  }
  return LLVMBuildFAdd(B, x, d, "");
}

/* A private constant global (descriptors, strings). */
LLVMValueRef cg_private_const(Cg *cg, LLVMValueRef init, const char *name, unsigned align)
{
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, align);
  return g;
}

/* Pointer to a NUL-terminated private copy of s; a null pointer for NULL. */
LLVMValueRef cg_cstring(Cg *cg, const char *s)
{
  if (!s) return LLVMConstPointerNull(cg->ptr);
  return cg_private_const(cg, LLVMConstStringInContext2(cg->ctx, s, strlen(s), 0), ".str", 1);
}

/* A code-generation context for module cm with the usual types and a
 * builder; the caller disposes of cg->b and clears cg->memo. */
void cg_init(Cg *cg, const Mir *m, CgModule *cm)
{
  memset(cg, 0, sizeof *cg);
  cg->m = m;
  cg->cm = cm;
  cg->ctx = cm->ctx;
  cg->mod = cm->mod;
  cg->f64 = LLVMDoubleTypeInContext(cg->ctx);
  cg->i64 = LLVMInt64TypeInContext(cg->ctx);
  cg->i32 = LLVMInt32TypeInContext(cg->ctx);
  cg->i8 = LLVMInt8TypeInContext(cg->ctx);
  cg->i1 = LLVMInt1TypeInContext(cg->ctx);
  cg->ptr = LLVMPointerTypeInContext(cg->ctx, 0);
  cg->void_t = LLVMVoidTypeInContext(cg->ctx);
  cg->b = LLVMCreateBuilderInContext(cg->ctx);
}

CgModule *cg_finish(Cg *cg, CgModule *cm, char **err)
{
  LLVMDisposeBuilder(cg->b);
  ptrmap_clear(&cg->memo);
  if (cg->err) {
    *err = cg->err;
    cg_free(cm);
    return NULL;
  }
  return cm;
}

