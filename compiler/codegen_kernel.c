/* compiler/codegen_kernel.c — channel kernels with a stable C ABI
 * (`msnc kernel`; the ABI is docs/kernel-abi.md).
 *
 * For each channel NAME (a MirKernel, compiler/lower_kernel.c: states[0] is
 * V, an input) the module exports
 *
 *   int32_t NAME_abi_version(void)
 *   const MsnKernelInfo *NAME_info(void)
 *   void NAME_init(n, V, states..., params...)
 *   void NAME_state_update(n, dt, V, states..., params...)
 *   void NAME_current(n, V, states..., params..., I_out, g_out)
 *
 * States and outputs are `double *`; a parameter is a `double` or, when
 * per-compartment (MirParam.per_instance), a `const double *`.  Every
 * pointer argument is `noalias nocapture` (C `restrict`), inputs are
 * `readonly`, so each function is one loop over [0, n) whose body is a
 * single basic block (codegen_expr.c) and which the loop vectoriser widens
 * without runtime alias checks; the math (exp, exprelr) is our own
 * vectorisable IR (codegen_math.c).  The updates are those of the cell
 * kernels (codegen_model.c, body_step), with V held:
 *   CN/Euler states: x + dt f / (1 - dt/2 jac) resp. x + dt f, first, from
 *   the old values; then CNEXP states x + dt (a + b x) phi1(b dt) with the
 *   new values of the others.
 * The arithmetic is kept operation for operation the same as there, so a
 * point neuron driven through these kernels reproduces `msnc build` to the
 * last bit (tests/e2e/kernel.sh).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codegen_impl.h"
#include "msnc.h"
#include "units.h"

#ifndef MSN_VERSION
#define MSN_VERSION "0.1.0"
#endif

#define KERNEL_ABI_VERSION 1

/* ---- the descriptor: C mirror of the structs in the generated header ----- */

typedef struct KState {
  const char *name, *unit;
  double scale;
  const char *solver, *why;
} KState;
typedef struct KParam {
  const char *name, *unit;
  double scale, value;
  int32_t per_compartment, reserved;
} KParam;
typedef struct KInfo {
  int32_t abi_version, nstates, nparams, reserved;
  const char *name, *msn_version, *source;
  const KState *states;
  const KParam *params;
} KInfo;

static const char header_common[] =
    "#ifndef MSN_KERNEL_ABI_VERSION\n"
    "#define MSN_KERNEL_ABI_VERSION 1\n"
    "\n"
    "/* One state of a channel, in argument order (V is an input, not a state). */\n"
    "typedef struct MsnKernelState {\n"
    "  const char *name;         /* \"m\" */\n"
    "  const char *unit;         /* display unit, \"1\" when dimensionless */\n"
    "  double scale;             /* SI value of one display unit */\n"
    "  const char *solver;       /* \"cnexp\", \"cn\" or \"euler\" (state_update) */\n"
    "  const char *why;          /* why the compiler chose that solver */\n"
    "} MsnKernelState;\n"
    "\n"
    "/* One parameter, in argument order. */\n"
    "typedef struct MsnKernelParam {\n"
    "  const char *name;         /* \"gbar\" */\n"
    "  const char *unit;         /* display unit as written in the source, \"mS/cm^2\" */\n"
    "  double scale;             /* SI value of one display unit: 10 for mS/cm^2 */\n"
    "  double value;             /* default value, SI: pass this to keep the default */\n"
    "  int32_t per_compartment;  /* 1: passed as an array of n values, 0: as a double */\n"
    "  int32_t reserved;         /* 0 */\n"
    "} MsnKernelParam;\n"
    "\n"
    "/* What NAME_info() returns: everything needed to call the kernels. */\n"
    "typedef struct MsnKernelInfo {\n"
    "  int32_t abi_version;      /* MSN_KERNEL_ABI_VERSION */\n"
    "  int32_t nstates;\n"
    "  int32_t nparams;\n"
    "  int32_t reserved;         /* 0 */\n"
    "  const char *name;         /* the channel: the prefix of its symbols */\n"
    "  const char *msn_version;  /* of the msnc that generated it */\n"
    "  const char *source;       /* the .msn file as given to msnc */\n"
    "  const MsnKernelState *states;\n"
    "  const MsnKernelParam *params;\n"
    "} MsnKernelInfo;\n"
    "#elif MSN_KERNEL_ABI_VERSION != 1\n"
    "#error \"channel kernel headers of different ABI versions included together\"\n"
    "#endif\n"
    "\n"
    "#ifndef MSN_KERNEL_RESTRICT\n"
    "#if defined(__cplusplus)\n"
    "#define MSN_KERNEL_RESTRICT __restrict\n"
    "#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L\n"
    "#define MSN_KERNEL_RESTRICT restrict\n"
    "#else\n"
    "#define MSN_KERNEL_RESTRICT\n"
    "#endif\n"
    "#endif\n";

/* ---- small helpers --------------------------------------------------------- */

static LLVMValueRef cstring(Cg *cg, const char *s) { return cg_cstring(cg, s ? s : ""); }

static LLVMValueRef i32c(Cg *cg, long long v) { return LLVMConstInt(cg->i32, (unsigned long long)v, 1); }

static const char *solver_name(MirSolver s)
{
  return s == MIR_SOLVE_CNEXP ? "cnexp" : s == MIR_SOLVE_CN ? "cn" : "euler";
}

static const char *nz(const char *s) { return s ? s : "?"; }

/* ---- descriptor globals ----------------------------------------------------- */

typedef struct InfoTypes { LLVMTypeRef state, param, info; } InfoTypes;

static LLVMTypeRef named_struct(Cg *cg, const char *name, LLVMTypeRef *f, unsigned n)
{
  LLVMTypeRef t = LLVMGetTypeByName2(cg->ctx, name);
  if (t) return t;
  t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static void check_layout(Cg *cg, LLVMTypeRef t, const size_t *off, unsigned n, size_t size,
                         const char *what)
{
  LLVMTargetDataRef td = LLVMGetModuleDataLayout(cg->mod);
  bool ok = LLVMCountStructElementTypes(t) == n && LLVMABISizeOfType(td, t) == size;
  for (unsigned k = 0; ok && k < n; k++) ok = LLVMOffsetOfElement(td, t, k) == off[k];
  if (!ok) cg_fail(cg, "internal error: the layout of %s differs from the generated header", what);
}

static InfoTypes info_types(Cg *cg)
{
  LLVMTypeRef p = cg->ptr, d = cg->f64, i = cg->i32;
  LLVMTypeRef st[] = { p, p, d, p, p };
  LLVMTypeRef pa[] = { p, p, d, d, i, i };
  LLVMTypeRef in[] = { i, i, i, i, p, p, p, p, p };
  InfoTypes t = { named_struct(cg, "MsnKernelState", st, 5), named_struct(cg, "MsnKernelParam", pa, 6),
                  named_struct(cg, "MsnKernelInfo", in, 9) };
  static const size_t st_off[] = { offsetof(KState, name), offsetof(KState, unit), offsetof(KState, scale),
                                    offsetof(KState, solver), offsetof(KState, why) };
  static const size_t pa_off[] = { offsetof(KParam, name), offsetof(KParam, unit), offsetof(KParam, scale),
                                    offsetof(KParam, value), offsetof(KParam, per_compartment),
                                    offsetof(KParam, reserved) };
  static const size_t in_off[] = { offsetof(KInfo, abi_version), offsetof(KInfo, nstates),
                                    offsetof(KInfo, nparams), offsetof(KInfo, reserved),
                                    offsetof(KInfo, name), offsetof(KInfo, msn_version),
                                    offsetof(KInfo, source), offsetof(KInfo, states),
                                    offsetof(KInfo, params) };
  check_layout(cg, t.state, st_off, 5, sizeof(KState), "MsnKernelState");
  check_layout(cg, t.param, pa_off, 6, sizeof(KParam), "MsnKernelParam");
  check_layout(cg, t.info, in_off, 9, sizeof(KInfo), "MsnKernelInfo");
  return t;
}

static LLVMValueRef info_global(Cg *cg, const MirKernel *k)
{
  const Mir *m = k->m;
  InfoTypes t = info_types(cg);
  int ns = m->nstates - 1;
  LLVMValueRef *sv = calloc((size_t)ns + 1, sizeof *sv), *pv = calloc((size_t)k->nabi + 1, sizeof *pv);
  for (int s = 1; s < m->nstates; s++) {
    const MirState *st = &m->states[s];
    LLVMValueRef f[] = { cstring(cg, st->name), cstring(cg, st->unit ? st->unit : "1"), cg_const(cg, st->scale),
                         cstring(cg, solver_name(st->solver)), cstring(cg, st->why) };
    sv[s - 1] = LLVMConstNamedStruct(t.state, f, 5);
  }
  for (int a = 0; a < k->nabi; a++) {
    const MirParam *p = &m->params[k->abi_param[a]];
    LLVMValueRef f[] = { cstring(cg, k->abi_param_name[a]), cstring(cg, p->unit ? p->unit : "1"),
                         cg_const(cg, p->scale), cg_const(cg, p->value), i32c(cg, p->per_instance ? 1 : 0),
                         i32c(cg, 0) };
    pv[a] = LLVMConstNamedStruct(t.param, f, 6);
  }
  LLVMValueRef states = ns ? cg_private_const(cg, LLVMConstArray2(t.state, sv, (uint64_t)ns), "msnk.states", 8)
                           : LLVMConstPointerNull(cg->ptr);
  LLVMValueRef params = k->nabi ? cg_private_const(cg, LLVMConstArray2(t.param, pv, (uint64_t)k->nabi), "msnk.params", 8)
                                : LLVMConstPointerNull(cg->ptr);
  free(sv);
  free(pv);
  LLVMValueRef f[] = { i32c(cg, KERNEL_ABI_VERSION), i32c(cg, ns), i32c(cg, k->nabi), i32c(cg, 0),
                       cstring(cg, m->name), cstring(cg, MSN_VERSION), cstring(cg, m->source),
                       states, params };
  char *name = cg_strfmt("%s.info", m->name);
  LLVMValueRef g = cg_private_const(cg, LLVMConstNamedStruct(t.info, f, 9), name, 8);
  free(name);
  return g;
}

static LLVMValueRef add_function(Cg *cg, const char *name, LLVMTypeRef ret, LLVMTypeRef *args, unsigned n)
{
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(ret, args, n, 0));
  LLVMSetLinkage(fn, LLVMExternalLinkage);
  cg_function_attrs(cg, fn);
  return fn;
}

/* int32_t NAME_abi_version(void); const MsnKernelInfo *NAME_info(void) */
static void emit_info_functions(Cg *cg, const MirKernel *k)
{
  char *name = cg_strfmt("%s_abi_version", k->m->name);
  LLVMValueRef fn = add_function(cg, name, cg->i32, NULL, 0);
  free(name);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMBuildRet(cg->b, i32c(cg, KERNEL_ABI_VERSION));
  LLVMValueRef info = info_global(cg, k);
  name = cg_strfmt("%s_info", k->m->name);
  fn = add_function(cg, name, cg->ptr, NULL, 0);
  free(name);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMBuildRet(cg->b, info);
}

/* ---- the three kernels ------------------------------------------------------ */

typedef enum KFun { KF_INIT, KF_UPDATE, KF_CURRENT } KFun;
static const char *const kfun_suffix[] = { "init", "state_update", "current" };

typedef struct KFn {
  const MirKernel *k;
  KFun kind;
  LLVMValueRef fn;
  LLVMValueRef n, dt, I_out, g_out;
  LLVMValueRef *col;      /* per state: its array (states[0]: V) */
  LLVMValueRef *parg;     /* per Mir parameter: its argument, NULL when not at the ABI */
  LLVMValueRef i;         /* loop index */
  LLVMValueRef *x;        /* per state: value in this iteration */
  LLVMValueRef *params;   /* per Mir parameter: value in this iteration */
  LLVMValueRef *derived;  /* cache */
  char what[200];
} KFn;

static LLVMValueRef elem_ptr(Cg *cg, LLVMValueRef base, LLVMValueRef idx)
{
  return LLVMBuildInBoundsGEP2(cg->b, cg->f64, base, &idx, 1, "");
}

static LLVMValueRef load_at(Cg *cg, LLVMValueRef col, LLVMValueRef i, const char *name)
{
  return LLVMBuildLoad2(cg->b, cg->f64, elem_ptr(cg, col, i), name);
}

static void store_at(Cg *cg, LLVMValueRef col, LLVMValueRef i, LLVMValueRef v)
{
  LLVMBuildStore(cg->b, v, elem_ptr(cg, col, i));
}

static void set_name(LLVMValueRef v, const char *s) { LLVMSetValueName2(v, s, strlen(s)); }

/* The signature, with attributes and argument names. */
static void declare_kernel(Cg *cg, KFn *F)
{
  const Mir *m = F->k->m;
  const MirKernel *k = F->k;
  unsigned cap = (unsigned)(m->nstates + k->nabi + 4), n = 0;
  LLVMTypeRef *tys = malloc(cap * sizeof *tys);
  tys[n++] = cg->i64;                              /* n */
  if (F->kind == KF_UPDATE) tys[n++] = cg->f64;    /* dt */
  for (int s = 0; s < m->nstates; s++) tys[n++] = cg->ptr; /* V, states */
  for (int a = 0; a < k->nabi; a++) tys[n++] = m->params[k->abi_param[a]].per_instance ? cg->ptr : cg->f64;
  if (F->kind == KF_CURRENT) tys[n++] = cg->ptr, tys[n++] = cg->ptr;
  char *name = cg_strfmt("%s_%s", m->name, kfun_suffix[F->kind]);
  F->fn = add_function(cg, name, cg->void_t, tys, n);
  free(name);
  free(tys);

  unsigned a = 0;
  F->n = LLVMGetParam(F->fn, a++);
  set_name(F->n, "ncomp");
  if (F->kind == KF_UPDATE) {
    F->dt = LLVMGetParam(F->fn, a++);
    set_name(F->dt, "dt");
  }
  for (int s = 0; s < m->nstates; s++) {
    F->col[s] = LLVMGetParam(F->fn, a);
    set_name(F->col[s], m->states[s].name);
    cg_add_enum_attr(cg, F->fn, a + 1, "noalias");
    cg_add_enum_attr(cg, F->fn, a + 1, "nocapture");
    if (s == 0 || F->kind == KF_CURRENT) cg_add_enum_attr(cg, F->fn, a + 1, "readonly");
    a++;
  }
  for (int p = 0; p < k->nabi; p++) {
    int j = k->abi_param[p];
    F->parg[j] = LLVMGetParam(F->fn, a);
    set_name(F->parg[j], k->abi_param_name[p]);
    if (m->params[j].per_instance) {
      cg_add_enum_attr(cg, F->fn, a + 1, "noalias");
      cg_add_enum_attr(cg, F->fn, a + 1, "nocapture");
      cg_add_enum_attr(cg, F->fn, a + 1, "readonly");
    }
    a++;
  }
  if (F->kind == KF_CURRENT) {
    F->I_out = LLVMGetParam(F->fn, a);
    F->g_out = LLVMGetParam(F->fn, a + 1);
    set_name(F->I_out, "I_out");
    set_name(F->g_out, "g_out");
    for (unsigned q = a; q < a + 2; q++) {
      cg_add_enum_attr(cg, F->fn, q + 1, "noalias");
      cg_add_enum_attr(cg, F->fn, q + 1, "nocapture");
      cg_add_enum_attr(cg, F->fn, q + 1, "writeonly");
    }
  }
}

static void env_setup(Cg *cg, KFn *F, CgEnv *env, LLVMValueRef *states)
{
  const Mir *m = F->k->m;
  memset(F->derived, 0, ((size_t)m->nderived + 1) * sizeof *F->derived);
  memset(env, 0, sizeof *env);
  cg_memo_reset(cg);
  env->states = states;
  env->params = F->params;
  env->derived = F->derived;
  env->derived_limit = m->nderived;
  env->t = cg_const(cg, 0.0); /* channels using t are rejected by lower_kernel.c */
  env->win = CG_WIN_INDICATOR;
  env->what = F->what;
}

static LLVMValueRef expr_for(Cg *cg, KFn *F, CgEnv *env, const char *role, const char *of, const MirExpr *e)
{
  snprintf(F->what, sizeof F->what, "channel %s: %s%s%s", F->k->m->name, role, of ? " of state " : "",
           of ? of : "");
  return cg_expr(cg, env, e);
}

/* CN: x + dt f / (1 - dt/2 jac); Euler: x + dt f */
static LLVMValueRef implicit_update(Cg *cg, KFn *F, CgEnv *env, int s)
{
  const MirState *st = &F->k->m->states[s];
  LLVMValueRef f = expr_for(cg, F, env, "rhs", st->name, st->rhs);
  LLVMValueRef j = st->solver == MIR_SOLVE_CN ? expr_for(cg, F, env, "Jacobian", st->name, st->jac) : NULL;
  return cg_implicit_update(cg, env->states[s], f, j, F->dt);
}

static void load_states(Cg *cg, KFn *F)
{
  const Mir *m = F->k->m;
  for (int s = 0; s < m->nstates; s++) F->x[s] = load_at(cg, F->col[s], F->i, m->states[s].name);
}

static void body_init(Cg *cg, KFn *F)
{
  const Mir *m = F->k->m;
  CgEnv env;
  for (int s = 0; s < m->nstates; s++) F->x[s] = NULL;
  F->x[0] = load_at(cg, F->col[0], F->i, "V");
  env_setup(cg, F, &env, F->x);
  for (int s = 1; s < m->nstates; s++) {
    LLVMValueRef v = expr_for(cg, F, &env, "initial value", m->states[s].name, m->states[s].init);
    store_at(cg, F->col[s], F->i, v);
    F->x[s] = v;
  }
}

static void body_update(Cg *cg, KFn *F)
{
  const Mir *m = F->k->m;
  CgEnv env;
  load_states(cg, F);
  env_setup(cg, F, &env, F->x);
  LLVMValueRef *xn = calloc((size_t)m->nstates + 1, sizeof *xn);
  xn[0] = F->x[0];
  for (int s = 1; s < m->nstates; s++)
    xn[s] = m->states[s].solver == MIR_SOLVE_CNEXP ? F->x[s] : implicit_update(cg, F, &env, s);
  for (int s = 1; s < m->nstates; s++)
    if (m->states[s].solver != MIR_SOLVE_CNEXP) store_at(cg, F->col[s], F->i, xn[s]);
  env_setup(cg, F, &env, xn);
  for (int s = 1; s < m->nstates; s++) {
    const MirState *st = &m->states[s];
    if (st->solver != MIR_SOLVE_CNEXP) continue;
    LLVMValueRef a = expr_for(cg, F, &env, "lin_a", st->name, st->lin_a);
    LLVMValueRef b = expr_for(cg, F, &env, "lin_b", st->name, st->lin_b);
    store_at(cg, F->col[s], F->i, cg_cnexp_update(cg, xn[s], a, b, F->dt));
  }
  free(xn);
}

static void body_current(Cg *cg, KFn *F)
{
  CgEnv env;
  load_states(cg, F);
  env_setup(cg, F, &env, F->x);
  LLVMValueRef I = expr_for(cg, F, &env, "current", NULL, F->k->current);
  LLVMValueRef g = expr_for(cg, F, &env, "conductance dI/dV", NULL, F->k->conductance);
  store_at(cg, F->I_out, F->i, I);
  store_at(cg, F->g_out, F->i, g);
}

/* entry: n > 0 ? loop : done; loop over i in [0, n), one basic block */
static void emit_loop(Cg *cg, KFn *F)
{
  const Mir *m = F->k->m;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, F->fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, entry);
  if (F->kind != KF_CURRENT && m->nstates <= 1) { /* no states: nothing to do */
    LLVMBuildRetVoid(cg->b);
    return;
  }
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(cg->ctx, F->fn, "loop");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->ctx, F->fn, "done");
  LLVMValueRef zero = LLVMConstInt(cg->i64, 0, 0);
  LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, F->n, zero, ""), loop, done);

  LLVMPositionBuilderAtEnd(cg->b, loop);
  F->i = LLVMBuildPhi(cg->b, cg->i64, "i");
  for (int j = 0; j < m->nparams; j++) {
    LLVMValueRef a = F->parg[j];
    if (!a) F->params[j] = cg_const(cg, m->params[j].value);
    else if (m->params[j].per_instance) F->params[j] = load_at(cg, a, F->i, m->params[j].name);
    else F->params[j] = a;
  }
  switch (F->kind) {
  case KF_INIT: body_init(cg, F); break;
  case KF_UPDATE: body_update(cg, F); break;
  case KF_CURRENT: body_current(cg, F); break;
  }
  LLVMValueRef next = LLVMBuildNSWAdd(cg->b, F->i, LLVMConstInt(cg->i64, 1, 0), "i.next");
  LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, next, F->n, ""), loop, done);
  LLVMValueRef in_vals[2] = { zero, next };
  LLVMBasicBlockRef in_bbs[2] = { entry, LLVMGetInsertBlock(cg->b) };
  LLVMAddIncoming(F->i, in_vals, in_bbs, 2);

  LLVMPositionBuilderAtEnd(cg->b, done);
  LLVMBuildRetVoid(cg->b);
}

static void emit_kernel(Cg *cg, const MirKernel *k, KFun kind)
{
  const Mir *m = k->m;
  size_t ns = (size_t)m->nstates + 1, np = (size_t)m->nparams + 1;
  KFn F = { .k = k, .kind = kind };
  F.col = calloc(ns, sizeof *F.col);
  F.x = calloc(ns, sizeof *F.x);
  F.parg = calloc(np, sizeof *F.parg);
  F.params = calloc(np, sizeof *F.params);
  F.derived = calloc((size_t)m->nderived + 1, sizeof *F.derived);
  declare_kernel(cg, &F);
  emit_loop(cg, &F);
  free(F.col);
  free(F.x);
  free(F.parg);
  free(F.params);
  free(F.derived);
}

/* ---- cg_build_kernels -------------------------------------------------------- */

static bool valid_symbol(const char *s)
{
  if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static char *validate(const MirKernel *k, int n)
{
  if (!k || n <= 0) return cg_strdup("no channel to compile");
  for (int c = 0; c < n; c++) {
    const Mir *m = k[c].m;
    if (!m || !valid_symbol(m->name)) return cg_strfmt("channel name '%s' is not a valid C symbol prefix", m ? nz(m->name) : "");
    for (int d = 0; d < c; d++)
      if (strcmp(k[d].m->name, m->name) == 0) return cg_strfmt("channel %s is listed twice", m->name);
    if (m->nstates < 1 || strcmp(nz(m->states[0].name), "V") != 0)
      return cg_strfmt("channel %s: states[0] must be the input V", m->name);
    if (!k[c].current || !k[c].conductance) return cg_strfmt("channel %s lacks its current", m->name);
    for (int s = 1; s < m->nstates; s++) {
      const MirState *st = &m->states[s];
      if (!st->name || !st->init || !st->rhs) return cg_strfmt("channel %s: state %d is incomplete", m->name, s);
      if (st->solver == MIR_SOLVE_CNEXP && (!st->lin_a || !st->lin_b))
        return cg_strfmt("channel %s: state '%s' (cnexp) lacks lin_a/lin_b", m->name, st->name);
      if (st->solver == MIR_SOLVE_CN && !st->jac)
        return cg_strfmt("channel %s: state '%s' (cn) lacks its Jacobian", m->name, st->name);
    }
    for (int a = 0; a < k[c].nabi; a++)
      if (k[c].abi_param[a] < 0 || k[c].abi_param[a] >= m->nparams || !k[c].abi_param_name[a])
        return cg_strfmt("channel %s: parameter %d at the ABI is out of range", m->name, a);
  }
  return NULL;
}

CgModule *cg_build_kernels(const MirKernel *k, int n, const CgOptions *opt, char **err)
{
  *err = validate(k, n);
  if (*err) return NULL;
  CgModule *cm = calloc(1, sizeof *cm);
  if (!cm) {
    *err = cg_strdup("out of memory");
    return NULL;
  }
  if (opt) cm->opt = *opt;
  else cm->opt.opt_level = 3;
  cm->opt.with_main = false;
  cm->name = cg_strdup(k[0].m->name);
  if (!cg_target_setup(cm, "msn_kernels", err)) {
    cg_free(cm);
    return NULL;
  }
  Cg cg;
  cg_init(&cg, k[0].m, cm);
  for (int c = 0; c < n && !cg.err; c++) {
    cg.m = k[c].m; /* the math helpers are shared by all channels */
    emit_info_functions(&cg, &k[c]);
    for (int f = KF_INIT; f <= KF_CURRENT; f++) emit_kernel(&cg, &k[c], (KFun)f);
  }
  return cg_finish(&cg, cm, err);
}

/* ---- the header ---------------------------------------------------------------- */

static const char *const reserved_words[] = {
  /* fixed argument names of the ABI */
  "ncomp", "dt", "V", "I_out", "g_out",
  /* C11 and C++20 keywords, and names <complex.h>, <stddef.h> or <errno.h> define as macros */
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
  "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
  "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
  "volatile", "while", "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool",
  "catch", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "consteval", "constexpr",
  "constinit", "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete", "dynamic_cast",
  "explicit", "export", "false", "friend", "module", "import", "mutable", "namespace", "new", "noexcept",
  "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
  "reinterpret_cast", "requires", "static_assert", "static_cast", "template", "this", "thread_local",
  "throw", "true", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
  "I", "complex", "imaginary", "NULL", "errno", "offsetof", "int64_t", "int32_t", NULL
};

/* A state's or parameter's name as an argument name in the prototypes:
 * the msn name, with '_' appended while it is a reserved word or clashes
 * with an earlier argument. */
static char *arg_name(const char *name, char **earlier, int nearlier)
{
  char *s = cg_strdup(name);
  for (;;) {
    bool clash = false;
    for (int r = 0; reserved_words[r] && !clash; r++) clash = strcmp(s, reserved_words[r]) == 0;
    for (int e = 0; e < nearlier && !clash; e++) clash = strcmp(s, earlier[e]) == 0;
    if (!clash) return s;
    char *t = cg_strfmt("%s_", s);
    free(s);
    s = t;
  }
}

/* The shortest %.Ng that reads back as v. */
static void shortest(char *b, size_t len, double v)
{
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(b, len, "%.*g", prec, v);
    if (strtod(b, NULL) == v) return;
  }
}

/* v as a C double literal that reads back exactly */
static void put_double(FILE *f, double v)
{
  char b[40];
  shortest(b, sizeof b, v);
  fputs(b, f);
  if (!strpbrk(b, ".eEn")) fputs(".0", f);
}

/* "120 mS/cm^2 = 1200 S/m^2", "6.3" */
static void put_default(FILE *f, const MirParam *p)
{
  char b[40], u[64];
  Unit si = units_one();
  for (int d = 0; d < UNIT_NBASE && d < 6; d++) si.e[d] = p->dim[d];
  bool plain = units_is_dimensionless(si) && p->scale == 1;
  shortest(b, sizeof b, plain || !p->scale ? p->value : p->value / p->scale);
  fprintf(f, "%s", b);
  if (plain) return;
  fprintf(f, " %s", nz(p->unit));
  shortest(b, sizeof b, p->value);
  fprintf(f, " = %s %s", b, units_is_dimensionless(si) ? "" : units_format(si, u, sizeof u));
}

static void put_comment_text(FILE *f, const char *s)
{
  for (; s && *s; s++) {
    if (s[0] == '*' && s[1] == '/') fputs("* /", f), s++;
    else fputc(*s, f);
  }
}

typedef struct ArgNames { char **state, **param; int ns, np; } ArgNames;

static ArgNames arg_names(const MirKernel *k)
{
  const Mir *m = k->m;
  ArgNames a = { calloc((size_t)m->nstates + 1, sizeof(char *)), calloc((size_t)k->nabi + 1, sizeof(char *)),
                 m->nstates - 1, k->nabi };
  char **all = calloc((size_t)(m->nstates + k->nabi) + 1, sizeof(char *));
  int n = 0;
  for (int s = 1; s < m->nstates; s++) {
    a.state[s - 1] = arg_name(m->states[s].name, all, n);
    all[n++] = a.state[s - 1];
  }
  for (int p = 0; p < k->nabi; p++) {
    a.param[p] = arg_name(k->abi_param_name[p], all, n);
    all[n++] = a.param[p];
  }
  free(all);
  return a;
}

static void free_arg_names(ArgNames *a)
{
  for (int s = 0; s < a->ns; s++) free(a->state[s]);
  for (int p = 0; p < a->np; p++) free(a->param[p]);
  free(a->state);
  free(a->param);
}

/* The argument list; names NULL for the typedefs (types only). */
static void put_args(FILE *f, const MirKernel *k, const ArgNames *an, KFun kind, bool names)
{
  const Mir *m = k->m;
  const char *R = names ? "MSN_KERNEL_RESTRICT " : "";
#define NM(x) (names ? (x) : "")
  fprintf(f, "int64_t%s%s", names ? " " : "", NM("ncomp"));
  if (kind == KF_UPDATE) fprintf(f, ", double%s%s", names ? " " : "", NM("dt"));
  fprintf(f, ",\n    const double *%s%s", R, NM("V"));
  for (int s = 1; s < m->nstates; s++)
    fprintf(f, ", %sdouble *%s%s", kind == KF_CURRENT ? "const " : "", R, NM(an->state[s - 1]));
  if (k->nabi) fputs(",\n   ", f);
  for (int p = 0; p < k->nabi; p++) {
    bool arr = m->params[k->abi_param[p]].per_instance;
    fprintf(f, " %s%s%s%s", arr ? "const double *" : "double", arr ? R : (names ? " " : ""), NM(an->param[p]),
            p + 1 < k->nabi ? "," : "");
  }
  if (kind == KF_CURRENT) fprintf(f, ",\n    double *%s%s, double *%s%s", R, NM("I_out"), R, NM("g_out"));
#undef NM
}

static void put_channel(FILE *f, const MirKernel *k)
{
  const Mir *m = k->m;
  const char *N = m->name;
  ArgNames an = arg_names(k);
  fprintf(f, "\n/* ---- channel %s ", N);
  for (int i = (int)strlen(N); i < 62; i++) fputc('-', f);
  fputs("\n *\n", f);
  if (m->nstates > 1) {
    fputs(" * states, in argument order, in SI (initial values from NAME_init; solver of NAME_state_update):\n", f);
    for (int s = 1; s < m->nstates; s++) {
      const MirState *st = &m->states[s];
      const char *u = st->unit ? st->unit : "1";
      fprintf(f, " *   %-10s ", an.state[s - 1]);
      if (strcmp(u, "1") == 0 && st->scale == 1) {
        fputs("dimensionless; ", f);
      } else {
        Unit w;
        char si[64] = "SI";
        if (units_parse(u, &w, NULL, 0, NULL)) {
          w.scale = 1;
          units_format(w, si, sizeof si);
        }
        fprintf(f, "in %s (1 %s = %.10g %s); ", si, u, st->scale, si);
      }
      fprintf(f, "%s: ", solver_name(st->solver));
      put_comment_text(f, st->why);
      fputs("\n", f);
    }
  } else {
    fputs(" * no states: NAME_init and NAME_state_update do nothing.\n", f);
  }
  if (k->nabi) {
    fputs(" * parameters, in argument order (a scalar is a double, an array has ncomp values;\n"
          " * SI at the ABI: NAME_P_DEFAULT is the default in SI):\n", f);
    for (int p = 0; p < k->nabi; p++) {
      const MirParam *pp = &m->params[k->abi_param[p]];
      fprintf(f, " *   %-10s %-7s default ", an.param[p], pp->per_instance ? "array" : "scalar");
      put_default(f, pp);
      fputs(k->abi_param[p] == k->celsius_param ? " (degrees Celsius)\n" : "\n", f);
    }
  } else {
    fputs(" * no parameters.\n", f);
  }
  if (sema_synapse_is_point(k->decl)) /* a point synapse: a current, not a density */
    fputs(" * current I_out [A] (a point synapse; outward positive) and g_out = dI/dV [S].\n */\n", f);
  else
    fputs(" * current density I_out [A/m^2] (outward positive) and g_out = dI/dV [S/m^2].\n */\n", f);
  for (int p = 0; p < k->nabi; p++) {
    fprintf(f, "#define %s_%s_DEFAULT ", N, k->abi_param_name[p]);
    put_double(f, m->params[k->abi_param[p]].value);
    fputs("\n", f);
  }
  fprintf(f, "int32_t %s_abi_version(void);\n", N);
  fprintf(f, "const MsnKernelInfo *%s_info(void);\n", N);
  for (int kind = KF_INIT; kind <= KF_CURRENT; kind++) {
    fprintf(f, "void %s_%s(", N, kfun_suffix[kind]);
    put_args(f, k, &an, (KFun)kind, true);
    fputs(");\n", f);
  }
  fputs("/* function types, for dlsym */\n", f);
  fprintf(f, "typedef int32_t %s_abi_version_fn(void);\n", N);
  fprintf(f, "typedef const MsnKernelInfo *%s_info_fn(void);\n", N);
  for (int kind = KF_INIT; kind <= KF_CURRENT; kind++) {
    fprintf(f, "typedef void %s_%s_fn(", N, kfun_suffix[kind]);
    put_args(f, k, &an, (KFun)kind, false);
    fputs(");\n", f);
  }
  free_arg_names(&an);
}

static char *guard_of(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char *g = cg_strfmt("MSN_KERNEL_%s_", base);
  for (char *p = g; *p; p++) {
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) *p = '_';
  }
  return g;
}

bool cg_write_kernel_header(const MirKernel *k, int n, const char *path, char **err)
{
  *err = validate(k, n);
  if (*err) return false;
  FILE *f = fopen(path, "w");
  if (!f) {
    *err = cg_strfmt("cannot write %s: %s", path, strerror(errno));
    return false;
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char *guard = guard_of(path);
  fprintf(f, "/* %s — channel kernels generated by msnc %s from ", base, MSN_VERSION);
  put_comment_text(f, k[0].m->source);
  fputs(":\n *   ", f);
  for (int c = 0; c < n; c++) fprintf(f, "%s%s", c ? ", " : "", k[c].m->name);
  fputs(".  Do not edit: regenerate with `msnc kernel`.\n"
        " *\n"
        " * The ABI is described in docs/kernel-abi.md (MSN_KERNEL_ABI_VERSION 1).  In short:\n"
        " *  - every quantity is in SI units: V in volts, dt in seconds, current densities\n"
        " *    in A/m^2, conductances in S/m^2, parameters in SI (MsnKernelParam.scale\n"
        " *    converts from the display unit).  From NEURON's units: V = v[mV] * 1e-3,\n"
        " *    dt = dt[ms] * 1e-3; back: i[mA/cm^2] = I_out * 0.1, g[S/cm^2] = g_out * 1e-4;\n"
        " *  - arrays hold one value per compartment (structure of arrays), ncomp of them;\n"
        " *    arrays written by a function (states, I_out, g_out) must not overlap any\n"
        " *    other argument (they are `restrict`);\n"
        " *  - NAME_init sets the states to their initial values at V (gates: their\n"
        " *    steady state); NAME_state_update advances them by dt with V held;\n"
        " *    NAME_current writes (does not add) the current density and dI/dV.\n"
        " */\n", f);
  fprintf(f, "#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", guard,
          guard);
  fputs(header_common, f);
  for (int c = 0; c < n; c++) put_channel(f, &k[c]);
  fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", guard);
  free(guard);
  if (ferror(f) | (fclose(f) != 0)) {
    *err = cg_strfmt("cannot write %s: %s", path, strerror(errno));
    return false;
  }
  return true;
}
