/* compiler/codegen_math.c — vectorisable math in LLVM IR.
 *
 * exp, exprelr, sigmoid and tanh are internal `alwaysinline` functions made
 * only of arithmetic, bit operations and selects (no branches, no libm
 * calls), so that after inlining the loop vectoriser can widen them.
 *
 *   reduce:  x = k ln2 + r, k = rint(x log2e) by the 1.5*2^52 trick (k is
 *            also read from the low mantissa bits, no fptosi), ln2 split in
 *            hi/lo (Cody–Waite; k*hi is exact for |k| < 2^21), |r| <~ ln2/2
 *   em1(r):  expm1(r) = r + r^2 q(r), q the Taylor series to r^11/13!
 *            (truncation < 5e-18 on |r| <= 0.35); Estrin's scheme with
 *            llvm.fmuladd, i.e. `contract` only — everything else keeps IEEE
 *            semantics
 *   exp(x):  (1 + em1(r)) * 2^k1 * 2^k2 with k1 = floor(k/2), k2 = k - k1,
 *            both built by integer adds into the exponent bits; the first
 *            product is exact, so results in the subnormal range are rounded
 *            once (no flush to zero).  x is clamped to [-746, 710] first so
 *            overflow to +inf and underflow to 0 happen by IEEE arithmetic.
 *   expm1(z) for |z| <= 40:  2^k em1(r) + (2^k - 1)  (accurate near 0)
 * exprelr(x) = x / expm1(x) (series 1 - x/2 + x^2/12 for |x| < 1e-4,
 * -x below -40, x exp(-x) above 40 with x multiplied in before the scaling,
 * 0 above 800); sigmoid(x) = 1/(1 + exp(-x)) computed as 1/(1 + e) or
 * e/(1 + e), e = exp(-|x|), so that neither tail overflows or underflows early;
 * tanh(x) = sign(x) e/(e + 2), e = expm1(min(2|x|, 40)) — the same function
 * as 1 - 2/(exp(2|x|) + 1) but without its cancellation near 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "codegen_impl.h"

#define ROUND_MAGIC 6755399441055744.0         /* 1.5 * 2^52 */
#define ROUND_MAGIC_BITS 0x4338000000000000LL  /* its bit pattern */
static const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
static const double LN2_LO = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
static const double LOG2E = 1.44269504088896338700e+00;

static LLVMValueRef num(Cg *cg, double v) { return LLVMConstReal(cg->f64, v); }
static LLVMValueRef inum(Cg *cg, long long v) { return LLVMConstInt(cg->i64, (unsigned long long)v, 1); }

/* ---- intrinsics ---------------------------------------------------------- */

static LLVMValueRef intrinsic_at(Cg *cg, LLVMBuilderRef b, const char *name,
                                 LLVMValueRef x, LLVMValueRef y)
{
  char full[64];
  snprintf(full, sizeof full, "llvm.%s", name);
  unsigned id = LLVMLookupIntrinsicID(full, strlen(full));
  if (id == 0) {
    cg_fail(cg, "internal error: no LLVM intrinsic %s", full);
    return num(cg, 0.0);
  }
  LLVMTypeRef over = cg->f64;
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, &over, 1);
  LLVMTypeRef fty = LLVMIntrinsicGetType(cg->ctx, id, &over, 1);
  LLVMValueRef args[2] = { x, y };
  return LLVMBuildCall2(b, fty, fn, args, y ? 2 : 1, "");
}

LLVMValueRef cg_math_intrinsic(Cg *cg, const char *name, LLVMValueRef a, LLVMValueRef b)
{
  return intrinsic_at(cg, cg->b, name, a, b);
}

/* ---- building blocks emitted inside the helper functions ----------------- */

/* Select helpers: NaN compares false, so NaN passes through unchanged. */
static LLVMValueRef clamp_above(Cg *cg, LLVMBuilderRef b, LLVMValueRef x, double hi)
{
  LLVMValueRef c = LLVMBuildFCmp(b, LLVMRealOGT, x, num(cg, hi), "");
  return LLVMBuildSelect(b, c, num(cg, hi), x, "");
}

static LLVMValueRef clamp_below(Cg *cg, LLVMBuilderRef b, LLVMValueRef x, double lo)
{
  LLVMValueRef c = LLVMBuildFCmp(b, LLVMRealOLT, x, num(cg, lo), "");
  return LLVMBuildSelect(b, c, num(cg, lo), x, "");
}

/* a*x + c, fused when the target has FMA (the only `contract` we allow). */
static LLVMValueRef fmuladd(Cg *cg, LLVMBuilderRef b, LLVMValueRef a, LLVMValueRef x,
                            LLVMValueRef c)
{
  LLVMTypeRef over = cg->f64;
  unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", strlen("llvm.fmuladd"));
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, &over, 1);
  LLVMValueRef args[3] = { a, x, c };
  return LLVMBuildCall2(b, LLVMIntrinsicGetType(cg->ctx, id, &over, 1), fn, args, 3, "");
}

/* x = k ln2 + r.  *k is an i64, exact for |x log2e| < 2^51.  The three
 * products are fused with the following addition where the target has FMA:
 * k*ln2_hi is exact (|k| < 2^21) and x - k*ln2_hi is exact either way; the
 * fused x log2e + 1.5*2^52 still gives an integer k with |r| <~ ln2/2; the
 * last step only gets more accurate.  Each fused step shortens the
 * dependency chain every exp starts with by one rounding. */
static LLVMValueRef reduce(Cg *cg, LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef *k)
{
  LLVMValueRef s = fmuladd(cg, b, x, num(cg, LOG2E), num(cg, ROUND_MAGIC));
  LLVMValueRef kd = LLVMBuildFSub(b, s, num(cg, ROUND_MAGIC), "k");
  LLVMValueRef bits = LLVMBuildBitCast(b, s, cg->i64, "");
  *k = LLVMBuildSub(b, bits, inum(cg, ROUND_MAGIC_BITS), "ki");
  LLVMValueRef hi = fmuladd(cg, b, kd, num(cg, -LN2_HI), x);
  return fmuladd(cg, b, kd, num(cg, -LN2_LO), hi);
}

/* expm1(r) for |r| <~ 0.35: r + r^2 q(r), q(r) = 1/2! + r/3! + ... + r^11/13!.
 * q by Estrin's scheme, not Horner's: pairs c0 + c1 r, then pairs of those
 * with r^2, then with r^4 and r^8.  Two more multiplications (r^4, r^8), but
 * the dependency chain is 5 fused multiply-adds instead of 12, and the exp
 * of a rate feeds the exp of the gate update in the same step, so the
 * latency of the polynomial is what bounds a kernel too big for the
 * processor to overlap two iterations. */
static LLVMValueRef em1_poly(Cg *cg, LLVMBuilderRef b, LLVMValueRef r)
{
  double c[14];
  c[0] = 1.0;
  for (int n = 1; n < 14; n++) c[n] = c[n - 1] / n;  /* 1/n!, correctly rounded enough */
  LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "r2");
  LLVMValueRef r4 = LLVMBuildFMul(b, r2, r2, "r4");
  LLVMValueRef r8 = LLVMBuildFMul(b, r4, r4, "r8");
  LLVMValueRef p[6], s[3];
  for (int i = 0; i < 6; i++)                  /* c[2i+2] + c[2i+3] r */
    p[i] = fmuladd(cg, b, num(cg, c[2 * i + 3]), r, num(cg, c[2 * i + 2]));
  for (int i = 0; i < 3; i++) s[i] = fmuladd(cg, b, p[2 * i + 1], r2, p[2 * i]);
  LLVMValueRef q = fmuladd(cg, b, s[2], r8, fmuladd(cg, b, s[1], r4, s[0]));
  return fmuladd(cg, b, r2, q, r);
}

/* 2^k as a double for k in [-1022, 1023]. */
static LLVMValueRef pow2i(Cg *cg, LLVMBuilderRef b, LLVMValueRef k)
{
  LLVMValueRef e = LLVMBuildAdd(b, k, inum(cg, 1023), "");
  e = LLVMBuildShl(b, e, inum(cg, 52), "");
  return LLVMBuildBitCast(b, e, cg->f64, "");
}

/* expm1(z) = 2^k em1(r) + (2^k - 1) from the reduced z = k ln2 + r and
 * e = em1(r); valid for |k| <= 1022 (|z| <= 40 in practice). */
static LLVMValueRef expm1_from(Cg *cg, LLVMBuilderRef b, LLVMValueRef e, LLVMValueRef k)
{
  LLVMValueRef s = pow2i(cg, b, k);
  LLVMValueRef sm1 = LLVMBuildFSub(b, s, num(cg, 1.0), "");
  /* s e is exact (a power of two times e), so fusing changes no result
   * and removes one step from the chain */
  return fmuladd(cg, b, s, e, sm1);
}

/* expm1(z) for |z| <= 40 (caller clamps). */
static LLVMValueRef expm1_core(Cg *cg, LLVMBuilderRef b, LLVMValueRef z)
{
  LLVMValueRef k;
  LLVMValueRef r = reduce(cg, b, z, &k);
  return expm1_from(cg, b, em1_poly(cg, b, r), k);
}

/* ---- helper functions ---------------------------------------------------- */

/* Start an internal alwaysinline double(double) function; *b is a new
 * builder positioned in its entry block. */
static LLVMValueRef helper_begin(Cg *cg, const char *name, LLVMBuilderRef *b, LLVMValueRef *x)
{
  LLVMTypeRef fty = LLVMFunctionType(cg->f64, &cg->f64, 1, 0);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fty);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  cg_function_attrs(cg, fn);
  cg_add_enum_attr(cg, fn, LLVMAttributeFunctionIndex, "alwaysinline");
  *b = LLVMCreateBuilderInContext(cg->ctx);
  LLVMPositionBuilderAtEnd(*b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  *x = LLVMGetParam(fn, 0);
  LLVMSetValueName2(*x, "x", 1);
  return fn;
}

static void helper_end(LLVMBuilderRef b, LLVMValueRef result)
{
  LLVMBuildRet(b, result);
  LLVMDisposeBuilder(b);
}

static LLVMValueRef call_helper(Cg *cg, LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef x)
{
  return LLVMBuildCall2(b, LLVMGlobalGetValueType(fn), fn, &x, 1, "");
}

/* m * exp(z) from the reduced z = k ln2 + r and e = em1(r), for z in
 * [-800, 710]: ((m p) 2^k1) 2^k2 with p = 1 + e, k1 = floor(k/2), k2 = k - k1
 * (both give normal powers of two).  Only m p and the last product round, so
 * subnormal results are rounded once.  m may be NULL (1). */
static LLVMValueRef exp_from(Cg *cg, LLVMBuilderRef b, LLVMValueRef e, LLVMValueRef k,
                             LLVMValueRef m)
{
  LLVMValueRef p = LLVMBuildFAdd(b, num(cg, 1.0), e, "p");
  if (m) p = LLVMBuildFMul(b, m, p, "");
  /* k in [-1155, 1024]: floor(k/2) by a logical shift of k + 2048 */
  LLVMValueRef k1 = LLVMBuildLShr(b, LLVMBuildAdd(b, k, inum(cg, 2048), ""), inum(cg, 1), "");
  k1 = LLVMBuildSub(b, k1, inum(cg, 1024), "k1");
  LLVMValueRef k2 = LLVMBuildSub(b, k, k1, "k2");
  LLVMValueRef y = LLVMBuildFMul(b, p, pow2i(cg, b, k1), "");
  return LLVMBuildFMul(b, y, pow2i(cg, b, k2), "");
}

/* m * exp(x) for x in [-800, 710] (caller clamps); m may be NULL (1). */
static LLVMValueRef exp_times(Cg *cg, LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef m)
{
  LLVMValueRef k;
  LLVMValueRef r = reduce(cg, b, x, &k);
  return exp_from(cg, b, em1_poly(cg, b, r), k, m);
}

static LLVMValueRef build_exp(Cg *cg)
{
  LLVMBuilderRef b;
  LLVMValueRef x;
  LLVMValueRef fn = helper_begin(cg, "msn.exp", &b, &x);
  LLVMValueRef xc = clamp_below(cg, b, clamp_above(cg, b, x, 710.0), -746.0);
  LLVMValueRef y = exp_times(cg, b, xc, NULL);
  LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
  helper_end(b, LLVMBuildSelect(b, nan, x, y, "exp"));
  return fn;
}

static LLVMValueRef build_exprelr(Cg *cg)
{
  LLVMBuilderRef b;
  LLVMValueRef x;
  LLVMValueRef fn = helper_begin(cg, "msn.exprelr", &b, &x);
  /* One reduction and one polynomial serve both the main branch (z = x in
   * [-40, 40]) and the tail x > 40 (z = -min(x, 800)): the selects below
   * evaluate every branch, and the polynomial is most of the cost. */
  LLVMValueRef xb = clamp_above(cg, b, x, 800.0);
  LLVMValueRef tail = LLVMBuildFCmp(b, LLVMRealOGT, x, num(cg, 40.0), "");
  LLVMValueRef z = LLVMBuildSelect(b, tail, LLVMBuildFNeg(b, xb, ""),
                                   clamp_below(cg, b, x, -40.0), "z");
  LLVMValueRef k;
  LLVMValueRef e = em1_poly(cg, b, reduce(cg, b, z, &k));
  LLVMValueRef main = LLVMBuildFDiv(b, x, expm1_from(cg, b, e, k), "");
  /* 1 - x/2 + x^2/12 */
  LLVMValueRef series = LLVMBuildFMul(b, x, num(cg, 1.0 / 12.0), "");
  series = LLVMBuildFAdd(b, series, num(cg, -0.5), "");
  series = LLVMBuildFAdd(b, LLVMBuildFMul(b, series, x, ""), num(cg, 1.0), "");
  /* x > 40: x exp(-x), x folded in before the scaling by 2^k */
  LLVMValueRef big = exp_from(cg, b, e, k, xb);
  LLVMValueRef ax = intrinsic_at(cg, b, "fabs", x, NULL);
  LLVMValueRef y = main;
  LLVMValueRef c = LLVMBuildFCmp(b, LLVMRealOLT, ax, num(cg, 1e-4), "");
  y = LLVMBuildSelect(b, c, series, y, "");
  c = LLVMBuildFCmp(b, LLVMRealOGT, x, num(cg, 40.0), "");
  y = LLVMBuildSelect(b, c, big, y, "");
  c = LLVMBuildFCmp(b, LLVMRealOLT, x, num(cg, -40.0), "");
  y = LLVMBuildSelect(b, c, LLVMBuildFNeg(b, x, ""), y, "");
  c = LLVMBuildFCmp(b, LLVMRealOGT, x, num(cg, 800.0), "");
  y = LLVMBuildSelect(b, c, num(cg, 0.0), y, "");
  c = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
  helper_end(b, LLVMBuildSelect(b, c, x, y, "exprelr"));
  return fn;
}

/* phi1(x) = expm1(x)/x: the exact-exponential update x + h (a + b x) phi1(b h)
 * needs it, and it costs one division where 1/exprelr costs two. */
static LLVMValueRef build_phi1(Cg *cg)
{
  LLVMBuilderRef b;
  LLVMValueRef x;
  LLVMValueRef fn = helper_begin(cg, "msn.phi1", &b, &x);
  /* One reduction and one polynomial for the main branch (|x| <= 40) and
   * the tail x > 40 (exp(x), x clamped at 710 as in exp): the selects below
   * evaluate every branch, and the polynomial is most of the cost. */
  LLVMValueRef z = clamp_below(cg, b, clamp_above(cg, b, x, 710.0), -40.0);
  LLVMValueRef k;
  LLVMValueRef e = em1_poly(cg, b, reduce(cg, b, z, &k));
  /* one division shared by every branch */
  LLVMValueRef rx = LLVMBuildFDiv(b, num(cg, 1.0), x, "");
  LLVMValueRef main = LLVMBuildFMul(b, expm1_from(cg, b, e, k), rx, "");
  /* 1 + x/2 + x^2/6 */
  LLVMValueRef series = LLVMBuildFMul(b, x, num(cg, 1.0 / 6.0), "");
  series = LLVMBuildFAdd(b, series, num(cg, 0.5), "");
  series = LLVMBuildFAdd(b, LLVMBuildFMul(b, series, x, ""), num(cg, 1.0), "");
  /* x > 40: exp(x)/x (inf beyond the range of exp); x < -40: -1/x to double precision */
  LLVMValueRef big = LLVMBuildFMul(b, exp_from(cg, b, e, k, NULL), rx, "");
  LLVMValueRef small = LLVMBuildFNeg(b, rx, "");
  LLVMValueRef ax = intrinsic_at(cg, b, "fabs", x, NULL);
  LLVMValueRef y = main;
  LLVMValueRef c = LLVMBuildFCmp(b, LLVMRealOLT, ax, num(cg, 1e-5), "");
  y = LLVMBuildSelect(b, c, series, y, "");
  c = LLVMBuildFCmp(b, LLVMRealOGT, x, num(cg, 40.0), "");
  y = LLVMBuildSelect(b, c, big, y, "");
  c = LLVMBuildFCmp(b, LLVMRealOLT, x, num(cg, -40.0), "");
  y = LLVMBuildSelect(b, c, small, y, "");
  c = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
  helper_end(b, LLVMBuildSelect(b, c, x, y, "phi1"));
  return fn;
}

/* e = exp(-|x|): 1/(1 + e) for x >= 0, e/(1 + e) below (no overflow, and
 * accurate in the far negative tail). */
static LLVMValueRef build_sigmoid(Cg *cg)
{
  LLVMBuilderRef b;
  LLVMValueRef x;
  LLVMValueRef fn = helper_begin(cg, "msn.sigmoid", &b, &x);
  LLVMValueRef ax = intrinsic_at(cg, b, "fabs", x, NULL);
  LLVMValueRef e = call_helper(cg, b, cg->helper[CG_H_EXP], LLVMBuildFNeg(b, ax, ""));
  LLVMValueRef d = LLVMBuildFAdd(b, num(cg, 1.0), e, "");
  LLVMValueRef pos = LLVMBuildFDiv(b, num(cg, 1.0), d, "");
  LLVMValueRef negv = LLVMBuildFDiv(b, e, d, "");
  LLVMValueRef c = LLVMBuildFCmp(b, LLVMRealOLT, x, num(cg, 0.0), "");
  helper_end(b, LLVMBuildSelect(b, c, negv, pos, "sigmoid"));
  return fn;
}

static LLVMValueRef build_tanh(Cg *cg)
{
  LLVMBuilderRef b;
  LLVMValueRef x;
  LLVMValueRef fn = helper_begin(cg, "msn.tanh", &b, &x);
  LLVMValueRef z = LLVMBuildFMul(b, num(cg, 2.0), intrinsic_at(cg, b, "fabs", x, NULL), "");
  LLVMValueRef e = expm1_core(cg, b, clamp_above(cg, b, z, 40.0));
  LLVMValueRef t = LLVMBuildFDiv(b, e, LLVMBuildFAdd(b, e, num(cg, 2.0), ""), "");
  helper_end(b, intrinsic_at(cg, b, "copysign", t, x));
  return fn;
}

static LLVMValueRef helper(Cg *cg, CgHelper h)
{
  if (cg->helper[h]) return cg->helper[h];
  if (h != CG_H_EXP) helper(cg, CG_H_EXP); /* the others call it */
  switch (h) {
  case CG_H_EXP: cg->helper[h] = build_exp(cg); break;
  case CG_H_EXPRELR: cg->helper[h] = build_exprelr(cg); break;
  case CG_H_PHI1: cg->helper[h] = build_phi1(cg); break;
  case CG_H_SIGMOID: cg->helper[h] = build_sigmoid(cg); break;
  case CG_H_TANH: cg->helper[h] = build_tanh(cg); break;
  default: break;
  }
  return cg->helper[h];
}

LLVMValueRef cg_math_exp(Cg *cg, LLVMValueRef x) { return call_helper(cg, cg->b, helper(cg, CG_H_EXP), x); }
LLVMValueRef cg_math_exprelr(Cg *cg, LLVMValueRef x) { return call_helper(cg, cg->b, helper(cg, CG_H_EXPRELR), x); }
LLVMValueRef cg_math_phi1(Cg *cg, LLVMValueRef x) { return call_helper(cg, cg->b, helper(cg, CG_H_PHI1), x); }
LLVMValueRef cg_math_sigmoid(Cg *cg, LLVMValueRef x) { return call_helper(cg, cg->b, helper(cg, CG_H_SIGMOID), x); }
LLVMValueRef cg_math_tanh(Cg *cg, LLVMValueRef x) { return call_helper(cg, cg->b, helper(cg, CG_H_TANH), x); }

/* x^n by binary exponentiation: at most 2 log2|n| multiplications, no
 * llvm.powi (it lowers to __powidf2, which a JIT may not find). */
LLVMValueRef cg_math_powi(Cg *cg, LLVMValueRef x, int n)
{
  unsigned long long u = n < 0 ? -(long long)n : (long long)n;
  if (u == 0) return num(cg, 1.0);
  LLVMValueRef acc = NULL, base = x;
  for (;;) {
    if (u & 1) acc = acc ? LLVMBuildFMul(cg->b, acc, base, "") : base;
    u >>= 1;
    if (!u) break;
    base = LLVMBuildFMul(cg->b, base, base, "");
  }
  return n < 0 ? LLVMBuildFDiv(cg->b, num(cg, 1.0), acc, "") : acc;
}

/* ---- MIR_CALL ------------------------------------------------------------ */

int cg_math_arity(MirFn fn)
{
  return fn == MIR_FN_POW || fn == MIR_FN_MIN || fn == MIR_FN_MAX ? 2 : 1;
}

const char *cg_math_name(MirFn fn)
{
  static const char *const names[MIR_FN_COUNT] = {
    "exp", "log", "sqrt", "pow", "abs", "min", "max", "tanh", "sin", "cos",
    "sigmoid", "exprelr"
  };
  return (unsigned)fn < MIR_FN_COUNT ? names[fn] : "?";
}

LLVMValueRef cg_math_call(Cg *cg, MirFn fn, LLVMValueRef *a)
{
  switch (fn) {
  case MIR_FN_EXP: return cg_math_exp(cg, a[0]);
  case MIR_FN_LOG: return cg_math_intrinsic(cg, "log", a[0], NULL);
  case MIR_FN_SQRT: return cg_math_intrinsic(cg, "sqrt", a[0], NULL);
  case MIR_FN_POW: return cg_math_intrinsic(cg, "pow", a[0], a[1]);
  case MIR_FN_ABS: return cg_math_intrinsic(cg, "fabs", a[0], NULL);
  case MIR_FN_MIN: return cg_math_intrinsic(cg, "minnum", a[0], a[1]);
  case MIR_FN_MAX: return cg_math_intrinsic(cg, "maxnum", a[0], a[1]);
  case MIR_FN_TANH: return cg_math_tanh(cg, a[0]);
  case MIR_FN_SIN: return cg_math_intrinsic(cg, "sin", a[0], NULL);
  case MIR_FN_COS: return cg_math_intrinsic(cg, "cos", a[0], NULL);
  case MIR_FN_SIGMOID: return cg_math_sigmoid(cg, a[0]);
  case MIR_FN_EXPRELR: return cg_math_exprelr(cg, a[0]);
  default:
    cg_fail(cg, "unknown builtin function %d", (int)fn);
    return num(cg, 0.0);
  }
}
