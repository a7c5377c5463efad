/* compiler/codegen_model.c — cg_build and the four kernels.
 *
 * Every kernel NAME_{init,gates,step,rhs} is an exported wrapper with the
 * runtime/msnrt.h signature.  It loads the column pointers it needs from
 * `cols` (and `y`/`dy` for rhs) and calls an internal alwaysinline worker
 * that takes each column as its own `noalias` pointer argument, P as
 * noalias readonly, then begin, end, t, dt.  Once inlined, the noalias
 * arguments become scoped alias metadata, so the loop vectoriser needs no
 * runtime alias checks.  The worker is one loop over [begin, end) whose
 * body is a single basic block (see codegen_expr.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <llvm-c/DebugInfo.h>  /* LLVMTemporaryMDNode (loop metadata) */
#include "codegen_impl.h"
#include "cable.h"
#include "msnrt.h"     /* MSN_VSTEP_B_SHARED */

/* ---- small utilities ----------------------------------------------------- */

char *cg_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static char *vstrfmt(const char *fmt, va_list ap)
{
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  char *s = malloc(n < 0 ? 1 : (size_t)n + 1);
  if (!s) return NULL;
  if (n < 0) s[0] = 0;
  else vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *cg_strfmt(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = vstrfmt(fmt, ap);
  va_end(ap);
  return s;
}

void cg_fail(Cg *cg, const char *fmt, ...)
{
  if (cg->err) return;
  va_list ap;
  va_start(ap, fmt);
  cg->err = vstrfmt(fmt, ap);
  va_end(ap);
}

void cg_add_enum_attr(Cg *cg, LLVMValueRef fn, unsigned idx, const char *name)
{
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

static void add_string_attr(Cg *cg, LLVMValueRef fn, const char *k, const char *v)
{
  LLVMAttributeRef a = LLVMCreateStringAttribute(cg->ctx, k, strlen(k), v, strlen(v));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
}

void cg_function_attrs(Cg *cg, LLVMValueRef fn)
{
  cg_add_enum_attr(cg, fn, LLVMAttributeFunctionIndex, "nounwind");
  add_string_attr(cg, fn, "target-cpu", cg->cm->cpu);
  if (cg->cm->features[0]) add_string_attr(cg, fn, "target-features", cg->cm->features);
}

static const char *nz(const char *s) { return s ? s : "?"; }

/* ---- validation of what expressions cannot check themselves -------------- */

static bool valid_symbol(const char *s)
{
  if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static char *validate_state(const Mir *m, int k)
{
  const MirState *s = &m->states[k];
  if (!s->name) return cg_strfmt("state %d has no name", k);
  if (!s->init || !s->rhs)
    return cg_strfmt("state '%s' lacks its %s expression", s->name, s->init ? "rhs" : "init");
  switch (s->solver) {
  case MIR_SOLVE_CNEXP:
    if (!s->lin_a || !s->lin_b)
      return cg_strfmt("state '%s' (cnexp) lacks lin_a/lin_b", s->name);
    break;
  case MIR_SOLVE_CN:
    if (!s->jac) return cg_strfmt("state '%s' (cn) lacks its Jacobian", s->name);
    break;
  case MIR_SOLVE_EXP:
    if (!s->lin_a || !s->lin_b)
      return cg_strfmt("state '%s' (exp) lacks lin_a/lin_b", s->name);
    break;
  case MIR_SOLVE_EULER: break;
  default: return cg_strfmt("state '%s' has unknown solver %d", s->name, (int)s->solver);
  }
  return NULL;
}

static char *validate(const Mir *m)
{
  if (!m) return cg_strdup("no model");
  if (!valid_symbol(m->name))
    return cg_strfmt("model name '%s' is not a valid symbol prefix", m->name ? m->name : "");
  if (m->nstates < 0 || m->nparams < 0 || m->nderived < 0 || m->nrecords < 0 ||
      m->n_instances < 0)
    return cg_strdup("negative count in model");
  if ((m->nstates && !m->states) || (m->nparams && !m->params) ||
      (m->nderived && !m->derived) || (m->nrecords && !m->records))
    return cg_strdup("model array missing");
  for (int k = 0; k < m->nstates; k++) {
    char *e = validate_state(m, k);
    if (e) return e;
  }
  for (int j = 0; j < m->nparams; j++) {
    if (!m->params[j].name) return cg_strfmt("parameter %d has no name", j);
    if (m->params[j].per_instance && m->n_instances > 0 && !m->params[j].inst_values)
      return cg_strfmt("per-instance parameter '%s' has no values", m->params[j].name);
  }
  for (int d = 0; d < m->nderived; d++)
    if (!m->derived[d].e) return cg_strfmt("derived '%s' has no expression", nz(m->derived[d].name));
  if (m->spike_state >= m->nstates) return cg_strdup("spike state index out of range");
  if (m->has_reset && (m->spike_state < 0 || !m->reset_lin_a || !m->reset_lin_b))
    return cg_strdup("reset without a spike state or its linear coefficients");
  for (int r = 0; r < m->nrecords; r++)
    if (m->records[r].state < 0 || m->records[r].state >= m->nstates)
      return cg_strfmt("record %d: state index %d out of range", r, m->records[r].state);
  if ((unsigned)m->method > MIR_METHOD_HEUN) return cg_strdup("unknown integration method");
  return NULL;
}

/* ---- which columns a kernel touches -------------------------------------- */

typedef struct Uses {
  bool *state, *param, *derived;
} Uses;

/* Number of operands (a, b, c) an expression uses. */
static int operand_count(const MirExpr *e)
{
  switch (e->op) {
  case MIR_CONST: case MIR_PARAM: case MIR_STATE: case MIR_DERIVED: case MIR_TIME: return 0;
  case MIR_NEG: case MIR_NOT: case MIR_POWI: return 1;
  case MIR_CALL: return e->nargs < 0 ? 0 : e->nargs > 2 ? 2 : e->nargs;
  case MIR_SELECT: return 3;
  default: return 2;
  }
}

static void mark(const Mir *m, const MirExpr *e, Uses *u)
{
  if (!e) return;
  int i = e->index;
  if (e->op == MIR_STATE && i >= 0 && i < m->nstates) u->state[i] = true;
  if (e->op == MIR_PARAM && i >= 0 && i < m->nparams) u->param[i] = true;
  if (e->op == MIR_DERIVED && i >= 0 && i < m->nderived && !u->derived[i]) {
    u->derived[i] = true;
    mark(m, m->derived[i].e, u);
  }
  int n = operand_count(e);
  if (n >= 1) mark(m, e->a, u);
  if (n >= 2) mark(m, e->b, u);
  if (n >= 3) mark(m, e->c, u);
}

/* K_NOISE: the white-noise amplitudes of the noisy states (euler, heun);
 * K_VLIN: the reset state's x' = a + b x coefficients (integrate-and-fire);
 * K_VSTEP: vlin and step fused into one pass (integrate-and-fire);
 * K_SNOISE: the standard deviations of the noise increments over a step of
 * the staggered scheme (cells with noise) */
typedef enum KernelKind { K_INIT, K_GATES, K_STEP, K_RHS, K_NOISE, K_VLIN, K_VSTEP, K_SNOISE } KernelKind;
static const char *const kernel_suffix[] = { "init", "gates", "step", "rhs", "noise", "vlin", "vstep", "noise_step" };

/* Does the staggered step advance state s exactly (x' = a + b x)?  Then its
 * noise gets the exact Ornstein-Uhlenbeck variance. */
static bool exact_linear(const MirState *s)
{
  return s->solver == MIR_SOLVE_CNEXP || s->solver == MIR_SOLVE_EXP;
}

static void mark_roots(const Mir *m, KernelKind kind, Uses *u)
{
  if (kind == K_VLIN || kind == K_VSTEP) {
    mark(m, m->reset_lin_a, u);
    mark(m, m->reset_lin_b, u);
    if (kind == K_VLIN) return;
    kind = K_STEP; /* and everything the step uses */
  }
  for (int k = 0; k < m->nstates; k++) {
    const MirState *s = &m->states[k];
    bool cnexp = s->solver == MIR_SOLVE_CNEXP;
    if (kind == K_INIT) mark(m, s->init, u);
    if (kind == K_RHS) mark(m, s->rhs, u);
    if (kind == K_NOISE || kind == K_SNOISE) mark(m, s->noise, u);
    if (kind == K_SNOISE && s->noise && exact_linear(s)) mark(m, s->lin_b, u);
    if ((kind == K_GATES || kind == K_STEP) && cnexp) {
      mark(m, s->lin_a, u);
      mark(m, s->lin_b, u);
    }
    if (kind == K_STEP && s->solver == MIR_SOLVE_EXP) {
      mark(m, s->lin_a, u);
      mark(m, s->lin_b, u);
    } else if (kind == K_STEP && !cnexp) {
      mark(m, s->rhs, u);
      if (s->solver == MIR_SOLVE_CN) mark(m, s->jac, u);
    }
  }
}

/* ---- kernel construction ------------------------------------------------- */

/* COL_AB: vstep's ab[index] (0: a, 1: b, 2: the spike state before the step) */
typedef enum ColKind { COL_STATE, COL_Y, COL_DY, COL_PARAM, COL_AB } ColKind;
typedef struct Col { ColKind kind; int index; } Col;

typedef struct Kernel {
  KernelKind kind;
  Col *cols; int ncols;
  int *pcol;                 /* per parameter: per-instance ordinal or -1 */
  LLVMValueRef *in, *out;    /* per state: column to load from / store to */
  LLVMValueRef ab[3];        /* vstep: a, b and the old spike state */
  int vstep_flags;           /* vstep: MSN_VSTEP_* of runtime/msnrt.h, in its return value */
  LLVMValueRef above;        /* vstep: i1, the spike state at or above threshold after the step */
  LLVMValueRef *pcolumn;     /* per parameter: its column, or NULL */
  LLVMValueRef P, begin, end, t, dt, i;
  LLVMValueRef *params;      /* per parameter: value for this instance */
  LLVMValueRef *x;           /* per state: current values */
  LLVMValueRef *derived;     /* per derived: cache */
  char what[200];
} Kernel;

static void add_col(Kernel *K, ColKind kind, int index)
{
  K->cols[K->ncols].kind = kind;
  K->cols[K->ncols].index = index;
  K->ncols++;
}

/* Decide the worker's columns from the kernel's uses. */
static void plan_columns(const Mir *m, Kernel *K)
{
  Uses u = { calloc(m->nstates + 1, 1), calloc(m->nparams + 1, 1), calloc(m->nderived + 1, 1) };
  mark_roots(m, K->kind, &u);
  K->cols = calloc(2 * m->nstates + m->nparams + 1, sizeof *K->cols);
  for (int k = 0; k < m->nstates; k++) {
    bool cnexp = m->states[k].solver == MIR_SOLVE_CNEXP;
    if (K->kind == K_RHS && u.state[k]) add_col(K, COL_Y, k);
    if (K->kind == K_RHS) add_col(K, COL_DY, k);
    bool noise = K->kind == K_NOISE || K->kind == K_SNOISE;
    if ((noise || K->kind == K_VLIN) && u.state[k]) add_col(K, COL_Y, k);
    if (noise && m->states[k].noise) add_col(K, COL_DY, k); /* g (or sd) column of state k */
    if (K->kind == K_INIT || K->kind == K_STEP || K->kind == K_VSTEP || (K->kind == K_GATES && (u.state[k] || cnexp)))
      add_col(K, COL_STATE, k);
  }
  if (K->kind == K_VLIN) { /* ab[0] = a, ab[1] = b */
    add_col(K, COL_DY, 0);
    add_col(K, COL_DY, 1);
  }
  if (K->kind == K_VSTEP)
    for (int c = 0; c < 3; c++) add_col(K, COL_AB, c);
  int ord = 0;
  for (int j = 0; j < m->nparams; j++) {
    K->pcol[j] = m->params[j].per_instance ? ord++ : -1;
    if (K->pcol[j] >= 0 && u.param[j]) add_col(K, COL_PARAM, j);
  }
  free(u.state);
  free(u.param);
  free(u.derived);
}

static LLVMValueRef elem_ptr(Cg *cg, LLVMTypeRef ty, LLVMValueRef base, LLVMValueRef idx)
{
  return LLVMBuildInBoundsGEP2(cg->b, ty, base, &idx, 1, "");
}

static LLVMValueRef load_at(Cg *cg, LLVMValueRef col, LLVMValueRef i, const char *name)
{
  return LLVMBuildLoad2(cg->b, cg->f64, elem_ptr(cg, cg->f64, col, i), name);
}

static void store_at(Cg *cg, LLVMValueRef col, LLVMValueRef i, LLVMValueRef v)
{
  LLVMBuildStore(cg->b, v, elem_ptr(cg, cg->f64, col, i));
}

static LLVMValueRef add_function(Cg *cg, const char *name, LLVMTypeRef ret,
                                 LLVMTypeRef *args, unsigned n, bool exported)
{
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(ret, args, n, 0));
  LLVMSetLinkage(fn, exported ? LLVMExternalLinkage : LLVMInternalLinkage);
  cg_function_attrs(cg, fn);
  return fn;
}

/* Worker: (col..., P, begin, end, t, dt). */
static LLVMValueRef worker_decl(Cg *cg, Kernel *K)
{
  unsigned n = (unsigned)K->ncols + 5;
  LLVMTypeRef *tys = malloc(n * sizeof *tys);
  for (int c = 0; c <= K->ncols; c++) tys[c] = cg->ptr; /* columns, P */
  tys[K->ncols + 1] = tys[K->ncols + 2] = cg->i64;       /* begin, end */
  tys[K->ncols + 3] = tys[K->ncols + 4] = cg->f64;       /* t, dt */
  char *name = cg_strfmt("%s.%s.worker", cg->m->name, kernel_suffix[K->kind]);
  LLVMValueRef fn = add_function(cg, name, K->kind == K_VSTEP ? cg->i64 : cg->void_t, tys, n, false);
  free(name);
  free(tys);
  cg_add_enum_attr(cg, fn, LLVMAttributeFunctionIndex, "alwaysinline");
  for (int c = 0; c <= K->ncols; c++) {
    cg_add_enum_attr(cg, fn, (unsigned)c + 1, "noalias");
    cg_add_enum_attr(cg, fn, (unsigned)c + 1, "nocapture");
  }
  cg_add_enum_attr(cg, fn, (unsigned)K->ncols + 1, "readonly");
  return fn;
}

/* Bind the worker's arguments to the per-state/per-parameter tables. */
static void bind_args(Cg *cg, Kernel *K, LLVMValueRef fn)
{
  for (int c = 0; c < K->ncols; c++) {
    LLVMValueRef a = LLVMGetParam(fn, (unsigned)c);
    const Col *col = &K->cols[c];
    if (col->kind == COL_PARAM) K->pcolumn[col->index] = a;
    if (col->kind == COL_STATE || col->kind == COL_Y) K->in[col->index] = a;
    if (col->kind == COL_STATE || col->kind == COL_DY) K->out[col->index] = a;
    if (col->kind == COL_AB) K->ab[col->index] = a;
  }
  K->P = LLVMGetParam(fn, (unsigned)K->ncols);
  K->begin = LLVMGetParam(fn, (unsigned)K->ncols + 1);
  K->end = LLVMGetParam(fn, (unsigned)K->ncols + 2);
  K->t = LLVMGetParam(fn, (unsigned)K->ncols + 3);
  K->dt = LLVMGetParam(fn, (unsigned)K->ncols + 4);
  LLVMSetValueName2(K->P, "P", 1);
  LLVMSetValueName2(K->t, "t", 1);
  LLVMSetValueName2(K->dt, "dt", 2);
}

static void env_setup(Cg *cg, Kernel *K, CgEnv *env, LLVMValueRef *states)
{
  memset(K->derived, 0, (cg->m->nderived + 1) * sizeof *K->derived);
  memset(env, 0, sizeof *env);
  cg_memo_reset(cg);
  env->states = states;
  env->params = K->params;
  env->derived = K->derived;
  env->derived_limit = cg->m->nderived;
  env->t = K->t;
  env->win = CG_WIN_INDICATOR;
  env->what = K->what;
}

static LLVMValueRef state_expr(Cg *cg, Kernel *K, CgEnv *env, int k, const char *role,
                               const MirExpr *e)
{
  snprintf(K->what, sizeof K->what, "%s of state '%s'", role, nz(cg->m->states[k].name));
  return cg_expr(cg, env, e);
}

/* Advance every CNEXP state by h in env; new values go to out (if given)
 * and are stored. */
static void cnexp_all(Cg *cg, Kernel *K, CgEnv *env, LLVMValueRef h)
{
  const Mir *m = cg->m;
  for (int k = 0; k < m->nstates; k++) {
    const MirState *s = &m->states[k];
    if (s->solver != MIR_SOLVE_CNEXP) continue;
    LLVMValueRef a = state_expr(cg, K, env, k, "lin_a", s->lin_a);
    LLVMValueRef b = state_expr(cg, K, env, k, "lin_b", s->lin_b);
    store_at(cg, K->out[k], K->i, cg_cnexp_update(cg, env->states[k], a, b, h));
  }
}

static void load_states(Cg *cg, Kernel *K)
{
  for (int k = 0; k < cg->m->nstates; k++)
    K->x[k] = K->in[k] ? load_at(cg, K->in[k], K->i, nz(cg->m->states[k].name)) : NULL;
}

static void body_init(Cg *cg, Kernel *K)
{
  CgEnv env;
  for (int k = 0; k < cg->m->nstates; k++) K->x[k] = NULL;
  env_setup(cg, K, &env, K->x);
  env.t = cg_const(cg, 0.0);
  for (int k = 0; k < cg->m->nstates; k++) {
    LLVMValueRef v = state_expr(cg, K, &env, k, "initial value", cg->m->states[k].init);
    store_at(cg, K->out[k], K->i, v);
    K->x[k] = v;
  }
}

static void body_gates(Cg *cg, Kernel *K)
{
  CgEnv env;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  cnexp_all(cg, K, &env, K->dt);
}

static void body_rhs(Cg *cg, Kernel *K)
{
  CgEnv env;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  for (int k = 0; k < cg->m->nstates; k++)
    store_at(cg, K->out[k], K->i, state_expr(cg, K, &env, k, "rhs", cg->m->states[k].rhs));
}

/* g = sqrt(2 D) of every noisy state, into its column of g. */
static void body_noise(Cg *cg, Kernel *K)
{
  CgEnv env;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  for (int k = 0; k < cg->m->nstates; k++)
    if (cg->m->states[k].noise)
      store_at(cg, K->out[k], K->i, state_expr(cg, K, &env, k, "noise", cg->m->states[k].noise));
}

/* sd = g sqrt(dt) of every noisy state (Euler-Maruyama), or for a state
 * the step advances exactly, x' = a + b x + noise(D) with g = sqrt(2 D),
 * the Ornstein-Uhlenbeck sd = sqrt(D (1 - e^{2 b dt}) / (-b))
 * = g sqrt(dt phi1(2 b dt)), phi1(z) = (e^z - 1)/z: exact for any b and
 * dt, and g sqrt(dt) at b = 0.  Windows averaged over [t, t+dt] as in the
 * step. */
static void body_snoise(Cg *cg, Kernel *K)
{
  CgEnv env;
  LLVMBuilderRef B = cg->b;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  env.win = CG_WIN_AVERAGE;
  env.w0 = K->t;
  env.wdt = K->dt;
  for (int k = 0; k < cg->m->nstates; k++) {
    const MirState *s = &cg->m->states[k];
    if (!s->noise) continue;
    LLVMValueRef g = state_expr(cg, K, &env, k, "noise", s->noise), var_g2 = K->dt; /* variance / g^2 */
    if (exact_linear(s)) {
      LLVMValueRef b = state_expr(cg, K, &env, k, "lin_b", s->lin_b);
      LLVMValueRef z = LLVMBuildFMul(B, LLVMBuildFMul(B, cg_const(cg, 2.0), b, ""), K->dt, "2bh");
      var_g2 = LLVMBuildFMul(B, K->dt, cg_math_phi1(cg, z), "");
    }
    store_at(cg, K->out[k], K->i, LLVMBuildFMul(B, g, cg_math_intrinsic(cg, "sqrt", var_g2, NULL), "sd"));
  }
}

/* a and b of the reset state's x' = a + b x, windows averaged over
 * [t, t+dt]: ab[0] and ab[1]. */
static void body_vlin(Cg *cg, Kernel *K)
{
  CgEnv env;
  const Mir *m = cg->m;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  env.win = CG_WIN_AVERAGE;
  env.w0 = K->t;
  env.wdt = K->dt;
  store_at(cg, K->out[0], K->i, state_expr(cg, K, &env, m->spike_state, "reset lin_a", m->reset_lin_a));
  store_at(cg, K->out[1], K->i, state_expr(cg, K, &env, m->spike_state, "reset lin_b", m->reset_lin_b));
}

/* CN: x + dt f / (1 - dt/2 jac); Euler: x + dt f; EXP: exact for
 * x' = lin_a + lin_b x. */
static LLVMValueRef implicit_update(Cg *cg, Kernel *K, CgEnv *env, int k)
{
  const MirState *s = &cg->m->states[k];
  if (s->solver == MIR_SOLVE_EXP) {
    LLVMValueRef a = state_expr(cg, K, env, k, "lin_a", s->lin_a);
    LLVMValueRef b = state_expr(cg, K, env, k, "lin_b", s->lin_b);
    return cg_cnexp_update(cg, env->states[k], a, b, K->dt);
  }
  LLVMValueRef f = state_expr(cg, K, env, k, "rhs", s->rhs);
  LLVMValueRef j = s->solver == MIR_SOLVE_CN ? state_expr(cg, K, env, k, "Jacobian", s->jac) : NULL;
  return cg_implicit_update(cg, env->states[k], f, j, K->dt);
}

/* Staggered step: CN/Euler states over [t, t+dt] with windows averaged
 * there; then CNEXP states over [t+dt/2, t+3dt/2] with the new values,
 * MIR_TIME = t+dt and windows averaged over that interval. */
static void body_step(Cg *cg, Kernel *K)
{
  const Mir *m = cg->m;
  LLVMBuilderRef B = cg->b;
  CgEnv env;
  load_states(cg, K);
  env_setup(cg, K, &env, K->x);
  env.win = CG_WIN_AVERAGE;
  env.w0 = K->t;
  env.wdt = K->dt;
  LLVMValueRef *xn = calloc(m->nstates + 1, sizeof *xn);
  for (int k = 0; k < m->nstates; k++)
    xn[k] = m->states[k].solver == MIR_SOLVE_CNEXP ? K->x[k] : implicit_update(cg, K, &env, k);
  for (int k = 0; k < m->nstates; k++)
    if (m->states[k].solver != MIR_SOLVE_CNEXP) store_at(cg, K->out[k], K->i, xn[k]);
  env_setup(cg, K, &env, xn);
  env.t = LLVMBuildFAdd(B, K->t, K->dt, "t1");
  env.win = CG_WIN_AVERAGE;
  env.w0 = LLVMBuildFAdd(B, K->t, LLVMBuildFMul(B, cg_const(cg, 0.5), K->dt, ""), "");
  env.wdt = K->dt;
  cnexp_all(cg, K, &env, K->dt);
  free(xn);
}

/* vlin and step in one pass: the old spike state into ab[2], a and b
 * into ab[0] and ab[1] (as body_vlin), then the step (as body_step).  The
 * values are those of the two kernels run one after the other: vlin
 * writes nothing the step reads.  A b that is the same for every instance
 * (a leak with fixed conductance: CUBA's -1/tau) is stored once, at
 * ab[1][begin], and the kernel says so (MSN_VSTEP_B_SHARED): the kernel
 * is bound by its stores when the cell is simple, one fewer in six
 * counts. */
static void body_vstep(Cg *cg, Kernel *K)
{
  const Mir *m = cg->m;
  CgEnv env;
  load_states(cg, K);
  store_at(cg, K->ab[2], K->i, K->x[m->spike_state]);
  env_setup(cg, K, &env, K->x);
  env.win = CG_WIN_AVERAGE;
  env.w0 = K->t;
  env.wdt = K->dt;
  store_at(cg, K->ab[0], K->i, state_expr(cg, K, &env, m->spike_state, "reset lin_a", m->reset_lin_a));
  LLVMValueRef b = state_expr(cg, K, &env, m->spike_state, "reset lin_b", m->reset_lin_b);
  bool shared = !cg->vstep_b_each && cg_loop_invariant(cg, b);
  store_at(cg, K->ab[1], shared ? K->begin : K->i, b);
  K->vstep_flags = shared ? MSN_VSTEP_B_SHARED : 0;
  body_step(cg, K);
  LLVMValueRef x1 = load_at(cg, K->out[m->spike_state], K->i, "spike.new");
  K->above = LLVMBuildFCmp(cg->b, LLVMRealOGE, x1, cg_const(cg, m->spike_threshold), "above");
}

static void emit_body(Cg *cg, Kernel *K)
{
  switch (K->kind) {
  case K_INIT: body_init(cg, K); break;
  case K_GATES: body_gates(cg, K); break;
  case K_STEP: body_step(cg, K); break;
  case K_RHS: body_rhs(cg, K); break;
  case K_NOISE: body_noise(cg, K); break;
  case K_VLIN: body_vlin(cg, K); break;
  case K_VSTEP: body_vstep(cg, K); break;
  case K_SNOISE: body_snoise(cg, K); break;
  }
}

/* Vector iterations the step loop runs side by side.  The step of a
 * conductance-based cell is one long dependency chain per iteration (V, then
 * the rates and their exps and divisions, then the gate updates and their
 * exps), several hundred instructions long: too long for the processor to
 * overlap consecutive iterations, so the kernel ran at the latency of the
 * chain.  The vectoriser's cost model does not interleave a body this
 * large by itself.  4 measured best on COBAHH and the HH benchmark
 * (AVX-512: 32 neurons per iteration; 2 and 4 gain, 3 loses); the few
 * neurons left over at the end of a range run the scalar loop. */
enum { STEP_INTERLEAVE = 4 };

/* Attach loop metadata {"llvm.loop.interleave.count", n} to the latch br.
 * A loop ID is a node whose first operand is itself: built around a
 * temporary node that is then replaced by the result. */
static void set_interleave(Cg *cg, LLVMValueRef br, unsigned n)
{
  static const char key[] = "llvm.loop.interleave.count";
  LLVMMetadataRef tmp = LLVMTemporaryMDNode(cg->ctx, NULL, 0);
  LLVMTypeRef i32 = LLVMInt32TypeInContext(cg->ctx);
  LLVMMetadataRef kv[2] = { LLVMMDStringInContext2(cg->ctx, key, sizeof key - 1),
                            LLVMValueAsMetadata(LLVMConstInt(i32, n, 0)) };
  LLVMMetadataRef ops[2] = { tmp, LLVMMDNodeInContext2(cg->ctx, kv, 2) };
  LLVMMetadataRef id = LLVMMDNodeInContext2(cg->ctx, ops, 2);
  LLVMMetadataReplaceAllUsesWith(tmp, id);  /* also frees tmp */
  unsigned kind = LLVMGetMDKindIDInContext(cg->ctx, "llvm.loop", 9);
  LLVMSetMetadata(br, kind, LLVMMetadataAsValue(cg->ctx, id));
}

/* entry: scalar parameters from P; loop over [begin, end). */
static void emit_worker_body(Cg *cg, Kernel *K, LLVMValueRef fn)
{
  const Mir *m = cg->m;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(cg->ctx, fn, "loop");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->ctx, fn, "done");
  LLVMPositionBuilderAtEnd(cg->b, entry);
  LLVMValueRef *scalar = calloc(m->nparams + 1, sizeof *scalar);
  for (int j = 0; j < m->nparams; j++) {
    LLVMValueRef idx = LLVMConstInt(cg->i64, (unsigned long long)j, 0);
    if (!K->pcolumn[j])
      scalar[j] = LLVMBuildLoad2(cg->b, cg->f64, elem_ptr(cg, cg->f64, K->P, idx), m->params[j].name);
  }
  LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, K->begin, K->end, ""), loop, done);

  LLVMPositionBuilderAtEnd(cg->b, loop);
  K->i = LLVMBuildPhi(cg->b, cg->i64, "i");
  /* vstep: the count of instances at or above threshold after the step */
  bool vstep = K->kind == K_VSTEP;
  LLVMValueRef count = vstep ? LLVMBuildPhi(cg->b, cg->i64, "count") : NULL;
  for (int j = 0; j < m->nparams; j++)
    K->params[j] = K->pcolumn[j] ? load_at(cg, K->pcolumn[j], K->i, m->params[j].name) : scalar[j];
  emit_body(cg, K);
  LLVMValueRef count_next = vstep ? LLVMBuildAdd(cg->b, count, LLVMBuildZExt(cg->b, K->above, cg->i64, ""), "count.next") : NULL;
  LLVMValueRef next = LLVMBuildNSWAdd(cg->b, K->i, LLVMConstInt(cg->i64, 1, 0), "i.next");
  LLVMValueRef br = LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, next, K->end, ""), loop, done);
  if (K->kind == K_STEP || K->kind == K_VSTEP) set_interleave(cg, br, STEP_INTERLEAVE);
  LLVMValueRef in_vals[2] = { K->begin, next };
  LLVMBasicBlockRef in_bbs[2] = { entry, LLVMGetInsertBlock(cg->b) };
  LLVMAddIncoming(K->i, in_vals, in_bbs, 2);
  LLVMValueRef zero = LLVMConstInt(cg->i64, 0, 0);
  if (vstep) {
    LLVMValueRef c_vals[2] = { zero, count_next };
    LLVMAddIncoming(count, c_vals, in_bbs, 2);
  }

  LLVMPositionBuilderAtEnd(cg->b, done);
  if (vstep) {
    LLVMValueRef total = LLVMBuildPhi(cg->b, cg->i64, "count.total");
    LLVMValueRef t_vals[2] = { zero, count_next };
    LLVMAddIncoming(total, t_vals, in_bbs, 2);
    LLVMBuildRet(cg->b, total);
  } else {
    LLVMBuildRetVoid(cg->b);
  }
  free(scalar);
}

/* Exported wrapper with the ABI signature. */
static LLVMValueRef emit_wrapper(Cg *cg, Kernel *K, LLVMValueRef worker)
{
  LLVMTypeRef p = cg->ptr, i = cg->i64, d = cg->f64;
  LLVMTypeRef sig_init[] = { p, p, i, i };
  LLVMTypeRef sig_step[] = { p, p, i, i, d, d };
  LLVMTypeRef sig_rhs[] = { p, p, p, p, i, i, d };
  LLVMTypeRef sig_vlin[] = { p, p, p, p, i, i, d, d };
  LLVMTypeRef sig_vstep[] = { p, p, p, i, i, d, d };
  bool vlin = K->kind == K_VLIN; /* (y, ab, cols, P, begin, end, t, dt) */
  bool vstep = K->kind == K_VSTEP; /* (cols, ab, P, begin, end, t, dt) */
  bool snoise = K->kind == K_SNOISE; /* (cols, sd, P, begin, end, t, dt) */
  bool like_rhs = K->kind == K_RHS || K->kind == K_NOISE || vlin; /* (y, dy or g, cols, P, ...) */
  LLVMTypeRef *sig = K->kind == K_INIT ? sig_init : vlin ? sig_vlin : like_rhs ? sig_rhs
                    : vstep || snoise ? sig_vstep : sig_step;
  unsigned n = K->kind == K_INIT ? 4 : vlin ? 8 : like_rhs ? 7 : vstep || snoise ? 7 : 6;
  char *name = cg_strfmt("%s_%s", cg->m->name, kernel_suffix[K->kind]);
  LLVMValueRef fn = add_function(cg, name, vstep ? cg->i64 : cg->void_t, sig, n, true);
  free(name);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  /* rhs: (y, dy, cols, P, ...); vstep: (cols, ab, P, ...); noise_step: (cols, sd, P, ...) with y = cols */
  unsigned o = like_rhs ? 2 : vstep || snoise ? 1 : 0;
  LLVMValueRef cols = LLVMGetParam(fn, vstep || snoise ? 0 : o), y = LLVMGetParam(fn, 0), dy = LLVMGetParam(fn, 1);
  LLVMValueRef *args = calloc(K->ncols + 5, sizeof *args);
  for (int c = 0; c < K->ncols; c++) {
    const Col *col = &K->cols[c];
    LLVMValueRef base = col->kind == COL_Y ? y : col->kind == COL_DY || col->kind == COL_AB ? dy : cols;
    int idx = col->kind == COL_PARAM ? cg->m->nstates + K->pcol[col->index] : col->index;
    if ((K->kind == K_NOISE || snoise) && col->kind == COL_DY) { /* g or sd: one column per noisy state */
      idx = 0;
      for (int k = 0; k < col->index; k++) idx += cg->m->states[k].noise != NULL;
    }
    LLVMValueRef at = elem_ptr(cg, cg->ptr, base, LLVMConstInt(cg->i64, (unsigned long long)idx, 0));
    args[c] = LLVMBuildLoad2(cg->b, cg->ptr, at, "");
  }
  args[K->ncols] = LLVMGetParam(fn, o + 1);
  args[K->ncols + 1] = LLVMGetParam(fn, o + 2);
  args[K->ncols + 2] = LLVMGetParam(fn, o + 3);
  args[K->ncols + 3] = K->kind == K_INIT ? cg_const(cg, 0.0) : LLVMGetParam(fn, o + 4);
  args[K->ncols + 4] = vlin || vstep || snoise ? LLVMGetParam(fn, o + 5)
                       : K->kind == K_INIT || like_rhs ? cg_const(cg, 0.0) : LLVMGetParam(fn, o + 5);
  LLVMValueRef count = LLVMBuildCall2(cg->b, LLVMGlobalGetValueType(worker), worker, args,
                                      (unsigned)K->ncols + 5, "");
  if (vstep) /* the count above the flags' byte (runtime/msnrt.h) */
    LLVMBuildRet(cg->b, LLVMBuildOr(cg->b, LLVMBuildShl(cg->b, count, LLVMConstInt(cg->i64, 8, 0), ""),
                                    LLVMConstInt(cg->i64, (unsigned long long)K->vstep_flags, 0), ""));
  else
    LLVMBuildRetVoid(cg->b);
  free(args);
  return fn;
}

static LLVMValueRef emit_kernel(Cg *cg, KernelKind kind)
{
  const Mir *m = cg->m;
  size_t ns = (size_t)m->nstates + 1, np = (size_t)m->nparams + 1;
  Kernel K = { .kind = kind };
  K.pcol = calloc(np, sizeof *K.pcol);
  K.in = calloc(ns, sizeof *K.in);
  K.out = calloc(ns, sizeof *K.out);
  K.x = calloc(ns, sizeof *K.x);
  K.pcolumn = calloc(np, sizeof *K.pcolumn);
  K.params = calloc(np, sizeof *K.params);
  K.derived = calloc((size_t)m->nderived + 1, sizeof *K.derived);
  plan_columns(m, &K);
  LLVMValueRef worker = worker_decl(cg, &K);
  bind_args(cg, &K, worker);
  emit_worker_body(cg, &K, worker);
  LLVMValueRef fn = emit_wrapper(cg, &K, worker);
  free(K.cols); free(K.pcol); free(K.in); free(K.out); free(K.x);
  free(K.pcolumn); free(K.params); free(K.derived);
  return fn;
}

LLVMValueRef cg_model_kernel(Cg *cg, int kind) { return emit_kernel(cg, (KernelKind)kind); }

char *cg_validate(const Mir *m) { return validate(m); }

/* ---- cg_build ------------------------------------------------------------ */

CgModule *cg_build(const Mir *m, const CgOptions *opt, char **err)
{
  if (m->cable) return cg_build_cable(m, opt, err); /* compiler/codegen_cable.c */
  if (m->cells) return cg_build_cells(m, opt, err); /* compiler/codegen_cells.c */
  *err = validate(m);
  if (*err) return NULL;
  CgModule *cm = calloc(1, sizeof *cm);
  if (!cm) { *err = cg_strdup("out of memory"); return NULL; }
  if (opt) cm->opt = *opt;
  else cm->opt.opt_level = 3;
  cm->name = cg_strdup(m->name);
  if (!cg_target_setup(cm, m->name, err)) { cg_free(cm); return NULL; }
  Cg cg;
  cg_init(&cg, m, cm);
  /* Kernels the runtime can never call are not generated (null in the
   * descriptor): optimising and compiling the HH step is most of a build.
   * A rates model has no staggered kernels, a model without noise no noise
   * kernel.  With a reset the staggered method always takes vstep (vlin
   * and step fused; runtime/rt_integrate.c), so step is dead; and a
   * network runs with the staggered method only, so rhs and noise (the
   * amplitudes for euler and heun) are dead there. */
  bool noisy = false;
  for (int k = 0; k < m->nstates; k++) noisy |= m->states[k].noise != NULL;
  bool vstep = m->has_reset && !m->rates && m->spike_state >= 0;
  LLVMValueRef kernels[6];
  for (int k = K_INIT; k <= K_VLIN; k++) {
    bool skip = (m->rates && (k == K_GATES || k == K_STEP)) || (k == K_NOISE && (!noisy || m->network)) ||
                (k == K_VLIN && !m->has_reset) || (k == K_STEP && vstep) ||
                (k == K_RHS && m->network);
    kernels[k] = skip ? LLVMConstPointerNull(cg.ptr) : emit_kernel(&cg, (KernelKind)k);
    if (!skip && (k == K_INIT || k == K_GATES)) { /* run once: not worth optimising */
      cg_add_enum_attr(&cg, kernels[k], LLVMAttributeFunctionIndex, "optnone");
      cg_add_enum_attr(&cg, kernels[k], LLVMAttributeFunctionIndex, "noinline");
    }
  }
  /* found by cg_emit_desc under their names, NAME_vstep and NAME_noise_step */
  if (vstep) emit_kernel(&cg, K_VSTEP);
  if (noisy && !m->rates) emit_kernel(&cg, K_SNOISE);
  cg_emit_desc(&cg, kernels);
  if (cm->opt.with_main) cg_emit_main(&cg);
  return cg_finish(&cg, cm, err);
}
