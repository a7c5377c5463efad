/* tests/unit/test_codegen.c — code generation: kernels of a hand-built
 * Hodgkin–Huxley model run through the JIT against a reference spike train,
 * vectorisation of the step loop, accuracy of the IR math (exp, exprelr,
 * sigmoid, tanh), expression operations, solver updates, the descriptor
 * constant, object emission and error reporting.
 *
 * msn_main is stubbed here: the test links no runtime and checks that
 * cg_jit_run hands it the JIT'd descriptor.
 */
#include <CUnit/Basic.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "codegen.h"
#include "msnrt.h"

/* ---- msn_main stub ------------------------------------------------------- */

static int stub_calls, stub_argc, stub_nstates;
static char stub_name[32], stub_arg1[32];
static double stub_v0;

/* Copies what it needs: cg_jit_run frees the code and data afterwards. */
int msn_main(const MsnModel *m, int argc, char **argv)
{
  stub_calls++;
  stub_argc = argc;
  stub_nstates = m->nstates;
  snprintf(stub_name, sizeof stub_name, "%s", m->name);
  snprintf(stub_arg1, sizeof stub_arg1, "%s", argc > 1 ? argv[1] : "");
  double v[1], g[1] = { 1200 }, mm[1], h[1], n[1];
  double *cols[] = { v, mm, h, n, g }, P[16];
  for (int j = 0; j < m->nparams && j < 16; j++) P[j] = m->params[j].value;
  m->init(cols, P, 0, 1);
  stub_v0 = v[0];
  return 42;
}

/* ---- expression pool ----------------------------------------------------- */

typedef struct Pool { void **v; size_t n, cap; } Pool;
static Pool pool;

static void *pool_alloc(size_t size)
{
  if (pool.n == pool.cap) {
    pool.cap = pool.cap ? 2 * pool.cap : 256;
    pool.v = realloc(pool.v, pool.cap * sizeof *pool.v);
  }
  return pool.v[pool.n++] = calloc(1, size);
}

static void pool_free(void)
{
  for (size_t i = 0; i < pool.n; i++) free(pool.v[i]);
  free(pool.v);
  memset(&pool, 0, sizeof pool);
}

static MirExpr *E(MirOp op, MirExpr *a, MirExpr *b)
{
  MirExpr *e = pool_alloc(sizeof *e);
  e->op = op;
  e->a = a;
  e->b = b;
  return e;
}
static MirExpr *K(double v) { MirExpr *e = E(MIR_CONST, NULL, NULL); e->value = v; return e; }
static MirExpr *Pr(int j) { MirExpr *e = E(MIR_PARAM, NULL, NULL); e->index = j; return e; }
static MirExpr *St(int k) { MirExpr *e = E(MIR_STATE, NULL, NULL); e->index = k; return e; }
static MirExpr *Dv(int d) { MirExpr *e = E(MIR_DERIVED, NULL, NULL); e->index = d; return e; }
static MirExpr *add(MirExpr *a, MirExpr *b) { return E(MIR_ADD, a, b); }
static MirExpr *sub(MirExpr *a, MirExpr *b) { return E(MIR_SUB, a, b); }
static MirExpr *mul(MirExpr *a, MirExpr *b) { return E(MIR_MUL, a, b); }
static MirExpr *dvd(MirExpr *a, MirExpr *b) { return E(MIR_DIV, a, b); }
static MirExpr *neg(MirExpr *a) { return E(MIR_NEG, a, NULL); }
static MirExpr *powi(MirExpr *a, int n) { MirExpr *e = E(MIR_POWI, a, NULL); e->ival = n; return e; }
static MirExpr *call1(MirFn fn, MirExpr *a)
{
  MirExpr *e = E(MIR_CALL, a, NULL);
  e->fn = fn;
  e->nargs = 1;
  return e;
}
static MirExpr *call2(MirFn fn, MirExpr *a, MirExpr *b)
{
  MirExpr *e = E(MIR_CALL, a, b);
  e->fn = fn;
  e->nargs = 2;
  return e;
}
static MirExpr *sel(MirExpr *c, MirExpr *a, MirExpr *b)
{
  MirExpr *e = E(MIR_SELECT, c, a);
  e->c = b;
  return e;
}

/* A Mir whose arrays come from the pool. */
static Mir *new_mir(const char *name, int nstates, int nparams, int nderived, int64_t n)
{
  Mir *m = pool_alloc(sizeof *m);
  m->name = name;
  m->source = "test.msn";
  m->nstates = nstates;
  m->nparams = nparams;
  m->nderived = nderived;
  m->states = pool_alloc((size_t)(nstates + 1) * sizeof *m->states);
  m->params = pool_alloc((size_t)(nparams + 1) * sizeof *m->params);
  m->derived = pool_alloc((size_t)(nderived + 1) * sizeof *m->derived);
  m->n_instances = n;
  m->spike_state = -1;
  m->duration = 1;
  m->dt = 1e-3;
  return m;
}

static void set_param(Mir *m, int j, const char *name, const char *unit, double scale, double v)
{
  MirParam *p = &m->params[j];
  p->name = name;
  p->unit = unit;
  p->scale = scale;
  p->value = v;
}

static void set_per_instance(Mir *m, int j, const double *values)
{
  MirParam *p = &m->params[j];
  p->per_instance = true;
  p->inst_values = pool_alloc((size_t)m->n_instances * sizeof(double));
  memcpy(p->inst_values, values, (size_t)m->n_instances * sizeof(double));
}

/* A state that only has an initial value (Euler, rhs 0). */
static void init_only(Mir *m, int k, const char *name, MirExpr *init)
{
  MirState *s = &m->states[k];
  s->name = name;
  s->unit = "1";
  s->scale = 1;
  s->init = init;
  s->rhs = K(0);
  s->solver = MIR_SOLVE_EULER;
}

/* Columns for m: states then per-instance parameters (from inst_values). */
typedef struct Cols { double **c; int n; double *P; } Cols;

static Cols make_cols(const Mir *m)
{
  Cols c = { calloc((size_t)m->nstates + (size_t)m->nparams + 1, sizeof(double *)), 0,
             calloc((size_t)m->nparams + 1, sizeof(double)) };
  for (int k = 0; k < m->nstates; k++) c.c[c.n++] = calloc((size_t)m->n_instances, sizeof(double));
  for (int j = 0; j < m->nparams; j++) {
    c.P[j] = m->params[j].value;
    if (!m->params[j].per_instance) continue;
    c.c[c.n] = malloc((size_t)m->n_instances * sizeof(double));
    memcpy(c.c[c.n++], m->params[j].inst_values, (size_t)m->n_instances * sizeof(double));
  }
  return c;
}

static void free_cols(Cols *c)
{
  for (int i = 0; i < c->n; i++) free(c->c[i]);
  free(c->c);
  free(c->P);
}

/* Build, optimise (O opt), check for errors. */
static CgModule *build(const Mir *m, int opt, bool generic, bool with_main)
{
  CgOptions o = { .generic_target = generic, .opt_level = opt, .with_main = with_main };
  char *err = NULL;
  CgModule *cm = cg_build(m, &o, &err);
  if (!cm) {
    fprintf(stderr, "cg_build: %s\n", err);
    free(err);
    return NULL;
  }
  if (!cg_optimize(cm, &err)) {
    fprintf(stderr, "cg_optimize: %s\n", err);
    free(err);
    cg_free(cm);
    return NULL;
  }
  return cm;
}

static void *sym(CgModule *cm, const char *name)
{
  char *err = NULL;
  void *p = cg_jit_symbol(cm, name, &err);
  if (!p) {
    fprintf(stderr, "cg_jit_symbol(%s): %s\n", name, err);
    free(err);
  }
  return p;
}

/* ---- the Hodgkin–Huxley squid axon (SI, -65 mV convention) --------------- */

enum { P_GNA, P_GK, P_GL, P_ENA, P_EK, P_EL, P_C, P_IAMP, P_TON, P_TOFF, HH_NP };
enum { S_V, S_M, S_H, S_N, HH_NS };
enum { D_VM, D_AM, D_BM, D_AH, D_BH, D_AN, D_BN, D_INA, D_IK, D_IL, D_ISTIM, HH_ND };
#define HH_N 16

static MirExpr *vm_plus(double c) { return add(Dv(D_VM), K(c)); }

static void hh_derived(Mir *m)
{
  static const char *const names[HH_ND] = {
    "Vm", "alpha_m", "beta_m", "alpha_h", "beta_h", "alpha_n", "beta_n", "I_Na", "I_K", "I_L", "I_stim"
  };
  MirExpr *e[HH_ND];
  e[D_VM] = mul(St(S_V), K(1e3));
  e[D_AM] = mul(K(1e3), call1(MIR_FN_EXPRELR, dvd(neg(vm_plus(40)), K(10))));
  e[D_BM] = mul(K(4e3), call1(MIR_FN_EXP, dvd(neg(vm_plus(65)), K(18))));
  e[D_AH] = mul(K(70), call1(MIR_FN_EXP, dvd(neg(vm_plus(65)), K(20))));
  e[D_BH] = mul(K(1e3), call1(MIR_FN_SIGMOID, dvd(vm_plus(35), K(10))));
  e[D_AN] = mul(K(100), call1(MIR_FN_EXPRELR, dvd(neg(vm_plus(55)), K(10))));
  e[D_BN] = mul(K(125), call1(MIR_FN_EXP, dvd(neg(vm_plus(65)), K(80))));
  e[D_INA] = mul(mul(mul(Pr(P_GNA), powi(St(S_M), 3)), St(S_H)), sub(St(S_V), Pr(P_ENA)));
  e[D_IK] = mul(mul(Pr(P_GK), powi(St(S_N), 4)), sub(St(S_V), Pr(P_EK)));
  e[D_IL] = mul(Pr(P_GL), sub(St(S_V), Pr(P_EL)));
  e[D_ISTIM] = mul(Pr(P_IAMP), E(MIR_WINDOW, Pr(P_TON), Pr(P_TOFF)));
  for (int d = 0; d < HH_ND; d++) {
    m->derived[d].name = names[d];
    m->derived[d].e = e[d];
  }
}

static void hh_gate(Mir *m, int k, const char *name, int da, int db)
{
  MirState *s = &m->states[k];
  s->name = name;
  s->unit = "1";
  s->scale = 1;
  s->init = dvd(Dv(da), add(Dv(da), Dv(db)));
  s->rhs = sub(mul(Dv(da), sub(K(1), St(k))), mul(Dv(db), St(k)));
  s->solver = MIR_SOLVE_CNEXP;
  s->lin_a = Dv(da);
  s->lin_b = neg(add(Dv(da), Dv(db)));
  s->why = "linear in the state";
}

static Mir *hh_mir(void)
{
  Mir *m = new_mir("hh", HH_NS, HH_NP, HH_ND, HH_N);
  set_param(m, P_GNA, "gNa", "mS/cm^2", 10, 1200);
  set_param(m, P_GK, "gK", "mS/cm^2", 10, 360);
  set_param(m, P_GL, "gL", "mS/cm^2", 10, 3);
  set_param(m, P_ENA, "ENa", "mV", 1e-3, 0.05);
  set_param(m, P_EK, "EK", "mV", 1e-3, -0.077);
  set_param(m, P_EL, "EL", "mV", 1e-3, -0.054387);
  set_param(m, P_C, "C", "uF/cm^2", 1e-2, 0.01);
  set_param(m, P_IAMP, "I_amp", "uA/cm^2", 1e-2, 0.1);
  set_param(m, P_TON, "t_on", "ms", 1e-3, 0.010);
  set_param(m, P_TOFF, "t_off", "ms", 1e-3, 0.110);
  double g[HH_N];
  for (int i = 0; i < HH_N; i++) g[i] = 1200;
  set_per_instance(m, P_GNA, g);
  m->params[P_GNA].dim[0] = -4; m->params[P_GNA].dim[1] = -1;   /* S/m^2 */
  m->params[P_GNA].dim[2] = 3; m->params[P_GNA].dim[3] = 2;
  hh_derived(m);
  MirState *v = &m->states[S_V];
  v->name = "V";
  v->unit = "mV";
  v->scale = 1e-3;
  v->init = K(-0.065);
  v->rhs = dvd(sub(sub(sub(Dv(D_ISTIM), Dv(D_INA)), Dv(D_IK)), Dv(D_IL)), Pr(P_C));
  MirExpr *gsum = add(add(mul(mul(Pr(P_GNA), powi(St(S_M), 3)), St(S_H)),
                          mul(Pr(P_GK), powi(St(S_N), 4))), Pr(P_GL));
  v->jac = neg(dvd(gsum, Pr(P_C)));
  v->solver = MIR_SOLVE_CN;
  v->why = "nonlinear";
  hh_gate(m, S_M, "m", D_AM, D_BM);
  hh_gate(m, S_H, "h", D_AH, D_BH);
  hh_gate(m, S_N, "n", D_AN, D_BN);
  m->spike_state = S_V;
  m->spike_threshold = 0;
  m->duration = 0.150;
  m->dt = 2.5e-5;
  m->record_every = 1e-4;
  m->rtol = 1e-6;
  m->atol = 1e-9;
  m->records = pool_alloc(2 * sizeof *m->records);
  m->records[0].state = S_V;
  m->records[1].state = S_M;
  m->nrecords = 2;
  m->record_spikes = true;
  return m;
}

/* Shared by the HH tests: built and optimised once, JIT'd in test_hh_spikes. */
static Mir *hh;
static CgModule *hh_cm;
static char *hh_ir;

static int hh_suite_init(void)
{
  hh = hh_mir();
  hh_cm = build(hh, 3, false, false);
  if (!hh_cm) return 1;
  hh_ir = cg_print_ir(hh_cm);
  return hh_ir ? 0 : 1;
}

static int hh_suite_clean(void)
{
  cg_free(hh_cm);
  free(hh_ir);
  pool_free();
  return 0;
}

/* Widest <N x double> operand of an fmul/fadd/fdiv in the body of
 * function `fn` in the IR text; 0 when there is none. */
static int vector_width(const char *ir, const char *fn)
{
  char head[128];
  snprintf(head, sizeof head, "@%s(", fn);
  const char *p = ir;
  for (;;) {
    p = strstr(p, "\ndefine ");
    if (!p) return 0;
    const char *eol = strchr(p + 1, '\n');
    const char *h = strstr(p + 1, head);
    if (h && (!eol || h < eol)) break;
    p++;
  }
  const char *end = strstr(p, "\n}\n");
  int widest = 0;
  for (const char *l = strchr(p + 1, '\n'); l && (!end || l < end); l = strchr(l + 1, '\n')) {
    const char *nl = strchr(l + 1, '\n');
    int len = nl ? (int)(nl - l) : (int)strlen(l);
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", len < 511 ? len : 511, l);
    if (!strstr(buf, " fmul ") && !strstr(buf, " fadd ") && !strstr(buf, " fdiv ")) continue;
    const char *v = strchr(buf, '<');
    int w;
    if (v && sscanf(v, "<%d x double>", &w) == 1 && w > widest) widest = w;
  }
  return widest;
}

static void test_hh_ir(void)
{
  CU_ASSERT_PTR_NOT_NULL_FATAL(hh_ir);
  const char *dump = getenv("CG_DUMP_IR");   /* CG_DUMP_IR=file: keep the IR */
  FILE *f = dump ? fopen(dump, "w") : NULL;
  if (f) {
    fputs(hh_ir, f);
    fclose(f);
  }
  int w = vector_width(hh_ir, "hh_step");
  printf("\n    hh_step vector width: <%d x double>, gates <%d x double>, rhs <%d x double>\n",
         w, vector_width(hh_ir, "hh_gates"), vector_width(hh_ir, "hh_rhs"));
  CU_ASSERT(w >= 4);
  CU_ASSERT(vector_width(hh_ir, "hh_rhs") >= 2);
  CU_ASSERT(vector_width(hh_ir, "hh_gates") == 0); /* run once: optnone (docs/codegen.md) */
  CU_ASSERT_PTR_NULL(strstr(hh_ir, "@exp("));      /* exp is our own inlined IR */
  CU_ASSERT_PTR_NULL(strstr(hh_ir, "@llvm.exp."));
  CU_ASSERT_PTR_NOT_NULL(strstr(hh_ir, "constant %MsnModel {"));
  CU_ASSERT_PTR_NULL(strstr(hh_ir, "define i32 @main"));
}

static const double hh_ref[] = { 11.90133986, 26.8228, 41.4720, 56.1092, 70.7454, 85.3817, 100.0179 };

static void test_hh_spikes(void)
{
  MsnInitFn init = (MsnInitFn)sym(hh_cm, "hh_init");
  MsnGatesFn gates = (MsnGatesFn)sym(hh_cm, "hh_gates");
  MsnStepFn step = (MsnStepFn)sym(hh_cm, "hh_step");
  CU_ASSERT_FATAL(init && gates && step);
  Cols c = make_cols(hh);
  const double dt = 2.5e-5;
  const int nsteps = (int)lround(0.150 / dt), split = 7;
  double spikes[HH_N][16];
  int nspk[HH_N] = { 0 };
  init(c.c, c.P, 0, HH_N);
  CU_ASSERT_DOUBLE_EQUAL(c.c[S_V][3], -0.065, 1e-15);
  gates(c.c, c.P, 0, HH_N, 0.0, dt / 2);
  double vprev[HH_N];
  for (int s = 0; s < nsteps; s++) {
    double t = s * dt;
    memcpy(vprev, c.c[S_V], sizeof vprev);
    step(c.c, c.P, 0, split, t, dt);     /* two ranges: vector body + remainder */
    step(c.c, c.P, split, HH_N, t, dt);
    for (int i = 0; i < HH_N; i++) {
      double v = c.c[S_V][i];
      if (vprev[i] < 0 && v >= 0 && nspk[i] < 16)
        spikes[i][nspk[i]++] = 1e3 * (t + dt * (0 - vprev[i]) / (v - vprev[i]));
    }
  }
  double maxerr = 0;
  CU_ASSERT_EQUAL(nspk[0], 7);
  for (int k = 0; k < nspk[0] && k < 7; k++) {
    double e = fabs(spikes[0][k] - hh_ref[k]);
    if (e > maxerr) maxerr = e;
    CU_ASSERT(e < 0.05);
  }
  printf("\n    first spike %.5f ms (error %.5f ms), max error over %d spikes %.5f ms\n",
         spikes[0][0], spikes[0][0] - hh_ref[0], nspk[0], maxerr);
  bool same = true;
  for (int i = 1; i < HH_N; i++) {
    same = same && nspk[i] == nspk[0];
    for (int k = 0; k < nspk[0] && same; k++) same = spikes[i][k] == spikes[0][k];
    for (int s = 0; s < HH_NS; s++) same = same && c.c[s][i] == c.c[s][0];
  }
  CU_ASSERT(same);
  free_cols(&c);
}

static void test_hh_rhs(void)
{
  MsnInitFn init = (MsnInitFn)sym(hh_cm, "hh_init");
  MsnRhsFn rhs = (MsnRhsFn)sym(hh_cm, "hh_rhs");
  CU_ASSERT_FATAL(init && rhs);
  Cols c = make_cols(hh);
  double *y[HH_NS], *dy[HH_NS];
  for (int s = 0; s < HH_NS; s++) {
    y[s] = calloc(HH_N, sizeof(double));
    dy[s] = calloc(HH_N, sizeof(double));
  }
  init(c.c, c.P, 0, HH_N);
  for (int s = 0; s < HH_NS; s++) memcpy(y[s], c.c[s], HH_N * sizeof(double));
  y[S_V][1] = -0.050;                       /* instance 1 depolarised */
  rhs((const double *const *)y, dy, c.c, c.P, 0, HH_N, 0.0);
  printf("\n    rest: dV/dt = %.3e V/s, dm/dt = %.3e /s\n", dy[S_V][0], dy[S_M][0]);
  CU_ASSERT(fabs(dy[S_V][0]) < 0.05);      /* 0.05 mV/ms */
  CU_ASSERT(fabs(dy[S_M][0]) < 1e-9);
  CU_ASSERT(fabs(dy[S_N][0]) < 1e-9);
  CU_ASSERT(dy[S_M][1] > 0);                /* depolarisation opens m, n, closes h */
  CU_ASSERT(dy[S_N][1] > 0);
  CU_ASSERT(dy[S_H][1] < 0);
  double rest = dy[S_V][0];
  rhs((const double *const *)y, dy, c.c, c.P, 0, HH_N, 0.05);
  CU_ASSERT_DOUBLE_EQUAL(dy[S_V][0] - rest, 0.1 / 0.01, 1e-9);  /* I_amp / C */
  for (int s = 0; s < HH_NS; s++) {
    free(y[s]);
    free(dy[s]);
  }
  free_cols(&c);
}

static void test_hh_desc(void)
{
  const MsnModel *d = sym(hh_cm, "msn_model_desc");
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(d->abi_version, MSN_ABI_VERSION);
  CU_ASSERT_STRING_EQUAL(d->name, "hh");
  CU_ASSERT_STRING_EQUAL(d->source, "test.msn");
  CU_ASSERT_PTR_NOT_NULL(d->msn_version);
  CU_ASSERT_EQUAL(d->nstates, 4);
  CU_ASSERT_EQUAL(d->nparams, HH_NP);
  CU_ASSERT_EQUAL(d->n_instances, HH_N);
  CU_ASSERT_STRING_EQUAL(d->states[0].name, "V");
  CU_ASSERT_STRING_EQUAL(d->states[0].unit, "mV");
  CU_ASSERT_DOUBLE_EQUAL(d->states[0].scale, 1e-3, 0);
  CU_ASSERT_STRING_EQUAL(d->states[0].solver, "cn");
  CU_ASSERT_STRING_EQUAL(d->states[0].why, "nonlinear");
  CU_ASSERT_STRING_EQUAL(d->states[3].name, "n");
  CU_ASSERT_STRING_EQUAL(d->states[3].solver, "cnexp");
  CU_ASSERT_STRING_EQUAL(d->params[P_GNA].name, "gNa");
  CU_ASSERT_STRING_EQUAL(d->params[P_GNA].unit, "mS/cm^2");
  CU_ASSERT_EQUAL(d->params[P_GNA].per_instance, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d->params[P_GNA].inst_values);
  CU_ASSERT_DOUBLE_EQUAL(d->params[P_GNA].inst_values[HH_N - 1], 1200, 0);
  CU_ASSERT_EQUAL(d->params[P_GNA].dim[0], -4);
  CU_ASSERT_EQUAL(d->params[P_GNA].dim[3], 2);
  CU_ASSERT_EQUAL(d->params[P_GK].per_instance, 0);
  CU_ASSERT_PTR_NULL(d->params[P_GK].inst_values);
  CU_ASSERT_DOUBLE_EQUAL(d->params[P_EL].value, -0.054387, 0);
  CU_ASSERT_EQUAL(d->spike_state, 0);
  CU_ASSERT_EQUAL(d->method, MSN_STAGGERED);
  CU_ASSERT_DOUBLE_EQUAL(d->dt, 2.5e-5, 0);
  CU_ASSERT_DOUBLE_EQUAL(d->atol, 1e-9, 0);
  CU_ASSERT_EQUAL(d->nrecords, 2);
  CU_ASSERT_EQUAL(d->records[1], S_M);
  CU_ASSERT_EQUAL(d->record_spikes, 1);
  CU_ASSERT(d->init == (MsnInitFn)sym(hh_cm, "hh_init"));
  CU_ASSERT(d->gates == (MsnGatesFn)sym(hh_cm, "hh_gates"));
  CU_ASSERT(d->step == (MsnStepFn)sym(hh_cm, "hh_step"));
  CU_ASSERT(d->rhs == (MsnRhsFn)sym(hh_cm, "hh_rhs"));
}

/* cg_jit_run hands the JIT'd descriptor and argv to msn_main and frees cm. */
static void test_jit_run(void)
{
  CgModule *cm = build(hh, 1, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  char *argv[] = { "hh", "--quiet", NULL };
  char *err = NULL;
  CU_ASSERT_EQUAL(cg_jit_run(cm, 2, argv, &err), 42);
  CU_ASSERT_PTR_NULL(err);
  CU_ASSERT(stub_calls == 1 && stub_argc == 2 && stub_nstates == 4);
  CU_ASSERT_STRING_EQUAL(stub_name, "hh");
  CU_ASSERT_STRING_EQUAL(stub_arg1, "--quiet");
  CU_ASSERT_DOUBLE_EQUAL(stub_v0, -0.065, 1e-15);
  free(err);
}

/* ---- math accuracy ------------------------------------------------------- */

enum { M_EXP, M_EXPRELR, M_SIGMOID, M_TANH, M_NS };

static double ulps(double got, long double ref)
{
  if (isnan(got) || isnan((double)ref)) return isnan(got) && isnan((double)ref) ? 0 : INFINITY;
  double r = (double)ref;
  if (isinf(r) || isinf(got)) return got == r ? 0 : INFINITY;
  double a = fabs(r);
  double ulp = nextafter(a, INFINITY) - a;
  if (a == 0) ulp = nextafter(0.0, 1.0);
  return (double)(fabsl((long double)got - ref) / ulp);
}

static long double ref_of(int f, double x)
{
  long double lx = x;
  switch (f) {
  case M_EXP: return expl(lx);
  case M_EXPRELR: return x == 0 ? 1.0L : isinf(x) ? (x > 0 ? 0.0L : INFINITY) : lx / expm1l(lx);
  case M_SIGMOID: return 1.0L / (1.0L + expl(-lx));
  default: return tanhl(lx);
  }
}

static double *math_points(int64_t *n)
{
  static const double edge[] = { 0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-10, -1e-10, 1e-5,
                                 -1e-5, 1e-4, -1e-4, 0.3465, -0.3466, 709.7, 709.78, 709.79,
                                 710.0, -708.4, -740.0, -745.0, -745.2, -746.0, 40.0, -40.0,
                                 40.5, -40.5, 800, -800, INFINITY, -INFINITY, NAN };
  const int ne = (int)(sizeof edge / sizeof edge[0]), nlin = 100001, nsmall = 20000, nsub = 5000;
  double *x = malloc((size_t)(ne + nlin + nsmall + nsub) * sizeof *x);
  int64_t k = 0;
  for (int i = 0; i < ne; i++) x[k++] = edge[i];
  for (int i = 0; i < nlin; i++) x[k++] = -700.0 + 1400.0 * i / (nlin - 1);
  for (int i = 0; i < nsub; i++) x[k++] = -745.2 + 45.2 * i / nsub;  /* subnormal exp */
  srand(12345);
  for (int i = 0; i < nsmall; i++) {   /* log-uniform magnitudes 1e-12 .. 50 */
    double u = (double)rand() / RAND_MAX, s = rand() & 1 ? 1 : -1;
    x[k++] = s * pow(10.0, -12.0 + 13.7 * u);
  }
  *n = k;
  return x;
}

static void test_math(void)
{
  int64_t n;
  double *x = math_points(&n);
  Mir *m = new_mir("mt", M_NS, 1, 0, n);
  set_param(m, 0, "x", "1", 1, 0);
  set_per_instance(m, 0, x);
  init_only(m, M_EXP, "e", call1(MIR_FN_EXP, Pr(0)));
  init_only(m, M_EXPRELR, "r", call1(MIR_FN_EXPRELR, Pr(0)));
  init_only(m, M_SIGMOID, "s", call1(MIR_FN_SIGMOID, Pr(0)));
  init_only(m, M_TANH, "t", call1(MIR_FN_TANH, Pr(0)));
  CgModule *cm = build(m, 3, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  MsnInitFn init = (MsnInitFn)sym(cm, "mt_init");
  CU_ASSERT_PTR_NOT_NULL_FATAL(init);
  Cols c = make_cols(m);
  init(c.c, c.P, 0, n);
  static const char *const names[M_NS] = { "exp", "exprelr", "sigmoid", "tanh" };
  static const double limit[M_NS] = { 2, 2, 3, 3 };
  double worst[M_NS] = { 0 }, where[M_NS] = { 0 }, vs_libm = 0;
  for (int64_t i = 0; i < n; i++)
    for (int f = 0; f < M_NS; f++) {
      double u = ulps(c.c[f][i], ref_of(f, x[i]));
      if (u > worst[f]) { worst[f] = u; where[f] = x[i]; }
    }
  for (int64_t i = 0; i < n; i++) {
    double u = ulps(c.c[M_EXP][i], (long double)exp(x[i]));
    if (u > vs_libm) vs_libm = u;
  }
  printf("\n");
  for (int f = 0; f < M_NS; f++) {
    printf("    %-8s max %.3f ulp (at x = %.17g) over %lld points\n", names[f], worst[f],
           where[f], (long long)n);
    CU_ASSERT(worst[f] <= limit[f]);
  }
  printf("    exp vs libm exp: max %.3f ulp\n", vs_libm);
  CU_ASSERT(vs_libm <= 2);
  /* exact edge values (points 0.., see math_points) */
  CU_ASSERT(c.c[M_EXP][0] == 1.0 && c.c[M_EXP][2] == 1.0 && c.c[M_EXP][3] == 1.0);
  CU_ASSERT(isfinite(c.c[M_EXP][13]) && isinf(c.c[M_EXP][16]) && c.c[M_EXP][21] == 0.0);
  CU_ASSERT(isinf(c.c[M_EXP][28]) && c.c[M_EXP][29] == 0.0 && isnan(c.c[M_EXP][30]));
  CU_ASSERT(c.c[M_EXPRELR][0] == 1.0 && c.c[M_EXPRELR][2] == 1.0);
  CU_ASSERT(c.c[M_EXPRELR][28] == 0.0 && isinf(c.c[M_EXPRELR][29]) && isnan(c.c[M_EXPRELR][30]));
  CU_ASSERT(c.c[M_TANH][28] == 1.0 && c.c[M_TANH][29] == -1.0 && signbit(c.c[M_TANH][1]));
  CU_ASSERT(c.c[M_SIGMOID][28] == 1.0 && c.c[M_SIGMOID][29] == 0.0);
  free_cols(&c);
  cg_free(cm);
  free(x);
}

/* ---- expression operations ---------------------------------------------- */

enum { O_POW, O_LOG, O_SQRT, O_SIN, O_COS, O_ABS, O_MIN, O_MAX, O_P0, O_P3, O_PM2, O_P7,
       O_LT, O_GE, O_EQ, O_NE, O_AND, O_OR, O_NOT, O_SEL, O_WIN, O_TIME, O_PREV, O_DER, O_NS };
#define OPS_N 37

static double ops_ref(int k, double x, double y, double prev)
{
  switch (k) {
  case O_POW: return pow(x, y);
  case O_LOG: return log(x);
  case O_SQRT: return sqrt(x);
  case O_SIN: return sin(x);
  case O_COS: return cos(x);
  case O_ABS: return fabs(x - 2);
  case O_MIN: return fmin(x, y);
  case O_MAX: return fmax(x, y);
  case O_P0: return 1;
  case O_P3: return x * x * x;
  case O_PM2: return 1 / (x * x);
  case O_P7: return x * x * x * x * x * x * x;
  case O_LT: return x < y;
  case O_GE: return x >= y;
  case O_EQ: return x == 1.0;
  case O_NE: return x != 1.0;
  case O_AND: return x < 2 && y < 2;
  case O_OR: return x < 2 || y < 2;
  case O_NOT: return !(x < y);
  case O_SEL: return x < y ? x : y * 10;
  case O_WIN: return 0 <= 0.0 && 0.0 < 1.0;
  case O_TIME: return 0;
  case O_PREV: return prev + 1;
  default: return 2 * x + y;
  }
}

static void test_ops(void)
{
  double xs[OPS_N], ys[OPS_N];
  for (int i = 0; i < OPS_N; i++) {
    xs[i] = 0.25 + 0.125 * i;
    ys[i] = 3.0 - 0.0625 * i;
  }
  xs[5] = 1.0;
  Mir *m = new_mir("ops", O_NS, 2, 2, OPS_N);
  set_param(m, 0, "x", "1", 1, 0);
  set_param(m, 1, "y", "1", 1, 0);
  set_per_instance(m, 0, xs);
  set_per_instance(m, 1, ys);
  MirExpr *x = Pr(0), *y = Pr(1);
  m->derived[0].name = "twox";
  m->derived[0].e = mul(K(2), x);
  m->derived[1].name = "sum";
  m->derived[1].e = add(Dv(0), y);
  MirExpr *e[O_NS];
  e[O_POW] = call2(MIR_FN_POW, x, y);
  e[O_LOG] = call1(MIR_FN_LOG, x);
  e[O_SQRT] = call1(MIR_FN_SQRT, x);
  e[O_SIN] = call1(MIR_FN_SIN, x);
  e[O_COS] = call1(MIR_FN_COS, x);
  e[O_ABS] = call1(MIR_FN_ABS, sub(x, K(2)));
  e[O_MIN] = call2(MIR_FN_MIN, x, y);
  e[O_MAX] = call2(MIR_FN_MAX, x, y);
  e[O_P0] = powi(x, 0);
  e[O_P3] = powi(x, 3);
  e[O_PM2] = powi(x, -2);
  e[O_P7] = powi(x, 7);
  e[O_LT] = E(MIR_LT, x, y);
  e[O_GE] = E(MIR_GE, x, y);
  e[O_EQ] = E(MIR_EQ, x, K(1));
  e[O_NE] = E(MIR_NE, x, K(1));
  e[O_AND] = E(MIR_AND, E(MIR_LT, x, K(2)), E(MIR_LT, y, K(2)));
  e[O_OR] = E(MIR_OR, E(MIR_LT, x, K(2)), E(MIR_LT, y, K(2)));
  e[O_NOT] = E(MIR_NOT, E(MIR_LT, x, y), NULL);
  e[O_SEL] = sel(E(MIR_LT, x, y), x, mul(y, K(10)));
  e[O_WIN] = E(MIR_WINDOW, K(0), K(1));
  e[O_TIME] = E(MIR_TIME, NULL, NULL);
  e[O_PREV] = add(St(O_SEL), K(1)); /* an earlier state */
  e[O_DER] = Dv(1);
  static const char *const names[O_NS] = { "pow", "log", "sqrt", "sin", "cos", "abs", "min",
    "max", "p0", "p3", "pm2", "p7", "lt", "ge", "eq", "ne", "and", "or", "not", "sel", "win",
    "time", "prev", "der" };
  for (int k = 0; k < O_NS; k++) init_only(m, k, names[k], e[k]);
  CgModule *cm = build(m, 3, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  MsnInitFn init = (MsnInitFn)sym(cm, "ops_init");
  CU_ASSERT_PTR_NOT_NULL_FATAL(init);
  Cols c = make_cols(m);
  init(c.c, c.P, 0, OPS_N);
  int bad = 0;
  for (int i = 0; i < OPS_N; i++)
    for (int k = 0; k < O_NS; k++) {
      double want = ops_ref(k, xs[i], ys[i], ops_ref(O_SEL, xs[i], ys[i], 0));
      double got = c.c[k][i];
      if (!(fabs(got - want) <= 4 * DBL_EPSILON * fabs(want))) {
        if (bad++ < 5) printf("\n    %s(%g, %g) = %.17g, want %.17g", names[k], xs[i], ys[i], got, want);
      }
    }
  CU_ASSERT_EQUAL(bad, 0);
  free_cols(&c);
  cg_free(cm);
}

/* ---- solver updates, windows, staggering --------------------------------- */

enum { W_EULER, W_CN, W_CNEXP, W_DRIVEN, W_NS };
enum { W_A, W_B, W_LA, W_LB, W_K, W_NP };
#define W_N 6

static void test_solvers(void)
{
  /* windows [a, b) against the step [0, 1] */
  static const double a[W_N] = { 0.25, -1, 0.5, 2, -1, 0 }, b[W_N] = { 0.5, 2, 3, 3, 0.1, 1 };
  static const double la[W_N] = { 1, 2, -1, 0.5, 0, 3 }, lb[W_N] = { -1, 0, -2, 0.5, -3, -10 };
  Mir *m = new_mir("sv", W_NS, W_NP, 1, W_N);
  set_param(m, W_A, "a", "s", 1, 0);
  set_param(m, W_B, "b", "s", 1, 0);
  set_param(m, W_LA, "la", "1", 1, 0);
  set_param(m, W_LB, "lb", "1", 1, 0);
  set_param(m, W_K, "k", "1", 1, 4);
  set_per_instance(m, W_A, a);
  set_per_instance(m, W_B, b);
  set_per_instance(m, W_LA, la);
  set_per_instance(m, W_LB, lb);
  m->derived[0].name = "twice_cn";
  m->derived[0].e = mul(K(2), St(W_CN));
  init_only(m, W_EULER, "w", K(0));
  m->states[W_EULER].rhs = E(MIR_WINDOW, Pr(W_A), Pr(W_B));
  MirState *cn = &m->states[W_CN];
  init_only(m, W_CN, "c", K(1));
  cn->rhs = neg(mul(Pr(W_K), St(W_CN)));
  cn->jac = neg(Pr(W_K));
  cn->solver = MIR_SOLVE_CN;
  MirState *g = &m->states[W_CNEXP];
  init_only(m, W_CNEXP, "g", K(0.5));
  g->solver = MIR_SOLVE_CNEXP;
  g->lin_a = Pr(W_LA);
  g->lin_b = Pr(W_LB);
  MirState *d = &m->states[W_DRIVEN];   /* d' = 2 c: must see c after the step */
  init_only(m, W_DRIVEN, "d", K(0));
  d->solver = MIR_SOLVE_CNEXP;
  d->lin_a = Dv(0);
  d->lin_b = K(0);
  CgModule *cm = build(m, 3, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  MsnInitFn init = (MsnInitFn)sym(cm, "sv_init");
  MsnStepFn step = (MsnStepFn)sym(cm, "sv_step");
  MsnGatesFn gates = (MsnGatesFn)sym(cm, "sv_gates");
  CU_ASSERT_FATAL(init && step && gates);
  Cols c = make_cols(m);
  init(c.c, c.P, 0, W_N);
  step(c.c, c.P, 0, W_N, 0.0, 1.0);
  double cn1 = 1 + (-4.0) / (1 + 0.5 * 4);   /* CN with k = 4, dt = 1 */
  static const double frac[W_N] = { 0.25, 1, 0.5, 0, 0.1, 1 };
  for (int i = 0; i < W_N; i++) {
    CU_ASSERT_DOUBLE_EQUAL(c.c[W_EULER][i], frac[i], 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(c.c[W_CN][i], cn1, 1e-15);
    double xinf = lb[i] ? -la[i] / lb[i] : 0;
    double want = lb[i] ? xinf + (0.5 - xinf) * exp(lb[i]) : 0.5 + la[i];
    CU_ASSERT_DOUBLE_EQUAL(c.c[W_CNEXP][i], want, 1e-14 * fmax(1, fabs(want)));
    CU_ASSERT_DOUBLE_EQUAL(c.c[W_DRIVEN][i], 2 * cn1, 1e-15);
  }
  /* gates: only CNEXP states move, by h */
  double before_cn = c.c[W_CN][0], g0 = c.c[W_CNEXP][1];
  gates(c.c, c.P, 0, W_N, 0.0, 0.5);
  CU_ASSERT_DOUBLE_EQUAL(c.c[W_CN][0], before_cn, 0);
  CU_ASSERT_DOUBLE_EQUAL(c.c[W_CNEXP][1], g0 + 0.5 * la[1], 1e-15);  /* lb = 0: linear */
  free_cols(&c);
  cg_free(cm);
}

/* ---- the fused integrate-and-fire kernel (vstep) ------------------------- */

/* V' = a + b V (exact update, spike state, reset) driven by a decaying g
 * (cnexp).  Leak only: b = -k is the same for every instance
 * (MSN_VSTEP_B_SHARED); with g as a conductance b = -(k + g) is not.
 * vstep must leave the states as the step kernel does (of the same cell
 * without a reset: msnc leaves step out when there is a vstep), give a, b
 * and the old V as vlin does (b at ab[1][begin] when shared), and count
 * the instances at or above threshold after the step. */
enum { VS_V, VS_G, VS_NS };
enum { VS_K, VS_TAU, VS_NP };
enum { VS_N = 37 };

static Mir *vstep_mir(bool conductance, bool reset)
{
  Mir *m = new_mir(reset ? "vs" : "vsref", VS_NS, VS_NP, 0, VS_N);
  set_param(m, VS_K, "k", "1/s", 1, 50);
  set_param(m, VS_TAU, "tau", "s", 1, 5e-3);
  MirState *v = &m->states[VS_V], *g = &m->states[VS_G];
  init_only(m, VS_V, "V", K(0));
  init_only(m, VS_G, "g", K(0));
  v->solver = MIR_SOLVE_EXP;
  v->lin_b = conductance ? neg(add(Pr(VS_K), St(VS_G))) : neg(Pr(VS_K));
  v->lin_a = conductance ? add(mul(Pr(VS_K), K(0.2)), mul(St(VS_G), K(3))) : add(mul(Pr(VS_K), K(0.2)), St(VS_G));
  v->rhs = add(v->lin_a, mul(v->lin_b, St(VS_V)));
  g->solver = MIR_SOLVE_CNEXP;
  g->lin_a = K(0);
  g->lin_b = neg(dvd(K(1), Pr(VS_TAU)));
  g->rhs = mul(g->lin_b, St(VS_G));
  m->spike_state = VS_V;
  m->spike_threshold = 1.0;
  m->has_reset = reset;
  m->reset_exact = true;
  m->reset_value = 0;
  m->refractory = 2e-3;
  m->reset_lin_a = v->lin_a;
  m->reset_lin_b = v->lin_b;
  return m;
}

static void vstep_case(bool conductance)
{
  Mir *m = vstep_mir(conductance, true);
  CgModule *cm = build(m, 3, false, false), *cmref = build(vstep_mir(conductance, false), 3, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cmref);
  MsnVstepFn vstep = (MsnVstepFn)sym(cm, "vs_vstep");
  MsnVlinFn vlin = (MsnVlinFn)sym(cm, "vs_vlin");
  MsnStepFn step = (MsnStepFn)sym(cmref, "vsref_step");
  CU_ASSERT_FATAL(vstep && vlin && step);
  Cols c = make_cols(m), ref = make_cols(m);
  for (int i = 0; i < VS_N; i++) {
    ref.c[VS_V][i] = c.c[VS_V][i] = 0.3 + 0.025 * i;  /* 0.3 .. 1.2 */
    ref.c[VS_G][i] = c.c[VS_G][i] = 40.0 * (i % 5);
  }
  double a_ref[VS_N], b_ref[VS_N], a[VS_N], b[VS_N], x0[VS_N];
  for (int i = 0; i < VS_N; i++) a[i] = b[i] = x0[i] = NAN;
  double *ab_ref[2] = { a_ref, b_ref }, *ab[3] = { a, b, x0 };
  const int64_t lo = 3, hi = VS_N; /* a range that does not start at 0 */
  const double t = 0.01, dt = 1e-4;
  vlin((const double *const *)ref.c, ab_ref, ref.c, ref.P, lo, hi, t, dt);
  step(ref.c, ref.P, lo, hi, t, dt);
  int64_t ret = vstep(c.c, ab, c.P, lo, hi, t, dt);
  bool shared = (ret & 0xff) == MSN_VSTEP_B_SHARED;
  CU_ASSERT_EQUAL(shared, !conductance);
  CU_ASSERT_EQUAL(ret & 0xff & ~MSN_VSTEP_B_SHARED, 0);
  int64_t above = 0;
  bool same = true;
  for (int64_t i = lo; i < hi; i++) {
    above += c.c[VS_V][i] >= 1.0;
    same &= c.c[VS_V][i] == ref.c[VS_V][i] && c.c[VS_G][i] == ref.c[VS_G][i];
    same &= a[i] == a_ref[i] && x0[i] == 0.3 + 0.025 * (double)i;
    same &= shared ? b_ref[i] == b[lo] : b[i] == b_ref[i];
  }
  CU_ASSERT(same);
  CU_ASSERT(above > 2 && above < hi - lo); /* some crossed, not all */
  CU_ASSERT_EQUAL(ret >> 8, above);
  /* the decay g' = -g/tau over dt is g e^(-dt/tau) (the form for a fixed
   * time constant) */
  for (int64_t i = lo; i < hi; i++)
    CU_ASSERT_DOUBLE_EQUAL(c.c[VS_G][i], 40.0 * (double)(i % 5) * exp(-dt / 5e-3), 1e-15 * 160);
  /* an empty range counts nothing */
  CU_ASSERT_EQUAL(vstep(c.c, ab, c.P, 5, 5, t, dt) >> 8, 0);
  free_cols(&c);
  free_cols(&ref);
  cg_free(cm);
  cg_free(cmref);
}

static void test_vstep(void)
{
  vstep_case(false);
  vstep_case(true);
}

/* ---- object emission, generic target, main ------------------------------- */

static void test_object(void)
{
  Mir *m = hh_mir();
  CgModule *cm = build(m, 2, true, true);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  char *ir = cg_print_ir(cm);
  CU_ASSERT_PTR_NOT_NULL(ir);
  if (ir) {
    CU_ASSERT_PTR_NOT_NULL(strstr(ir, "define i32 @main("));
    CU_ASSERT_PTR_NOT_NULL(strstr(ir, "@msn_main(ptr"));
    CU_ASSERT_PTR_NOT_NULL(strstr(ir, "\"target-cpu\"=\"x86-64\""));
    int w = vector_width(ir, "hh_step");
    printf("\n    generic x86-64 hh_step vector width: <%d x double>\n", w);
    CU_ASSERT(w >= 2);
    free(ir);
  }
  char path[] = "/tmp/test_codegen_XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  char *err = NULL;
  CU_ASSERT(cg_emit_object(cm, path, &err));
  if (err) fprintf(stderr, "%s\n", err);
  free(err);
  FILE *f = fopen(path, "rb");
  unsigned char magic[4] = { 0 };
  CU_ASSERT(f && fread(magic, 1, 4, f) == 4);
  if (f) fclose(f);
  CU_ASSERT(memcmp(magic, "\177ELF", 4) == 0);
  unlink(path);
  err = NULL;
  CU_ASSERT_FALSE(cg_emit_object(cm, "/nonexistent-dir/x.o", &err));
  CU_ASSERT_PTR_NOT_NULL(err);
  free(err);
  cg_free(cm);
}

/* O0 code computes the same trajectory as O3 code (up to FMA contraction). */
static void test_o0(void)
{
  Mir *m = hh_mir();
  CgModule *cm = build(m, 0, false, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cm);
  MsnInitFn init = (MsnInitFn)sym(cm, "hh_init");
  MsnGatesFn gates = (MsnGatesFn)sym(cm, "hh_gates");
  MsnStepFn step = (MsnStepFn)sym(cm, "hh_step");
  MsnStepFn step3 = (MsnStepFn)sym(hh_cm, "hh_step");
  MsnInitFn init3 = (MsnInitFn)sym(hh_cm, "hh_init");
  MsnGatesFn gates3 = (MsnGatesFn)sym(hh_cm, "hh_gates");
  CU_ASSERT_FATAL(init && gates && step && step3 && init3 && gates3);
  Cols a = make_cols(m), b = make_cols(m);
  init(a.c, a.P, 0, HH_N);
  init3(b.c, b.P, 0, HH_N);
  gates(a.c, a.P, 0, HH_N, 0, 1.25e-5);
  gates3(b.c, b.P, 0, HH_N, 0, 1.25e-5);
  for (int s = 0; s < 600; s++) {
    step(a.c, a.P, 0, HH_N, s * 2.5e-5, 2.5e-5);
    step3(b.c, b.P, 0, HH_N, s * 2.5e-5, 2.5e-5);
  }
  CU_ASSERT_DOUBLE_EQUAL(a.c[S_V][0], b.c[S_V][0], 1e-9);
  free_cols(&a);
  free_cols(&b);
  cg_free(cm);
}

/* ---- errors -------------------------------------------------------------- */

static void expect_error(Mir *m, const char *fragment)
{
  char *err = NULL;
  CgOptions o = { .opt_level = 1 };
  CgModule *cm = cg_build(m, &o, &err);
  CU_ASSERT_PTR_NULL(cm);
  CU_ASSERT_PTR_NOT_NULL(err);
  if (err && !strstr(err, fragment)) {
    printf("\n    error '%s' lacks '%s'", err, fragment);
    CU_FAIL("wrong message");
  }
  free(err);
  cg_free(cm);
}

static void test_errors(void)
{
  Mir *m = new_mir("bad", 2, 0, 2, 4);
  m->derived[0].name = "d0";
  m->derived[0].e = Dv(1);                     /* forward reference */
  m->derived[1].name = "d1";
  m->derived[1].e = K(1);
  init_only(m, 0, "x", K(0));
  init_only(m, 1, "y", K(0));
  m->states[0].rhs = Dv(0);
  expect_error(m, "derived 'd1' used before it is defined");
  m->states[0].rhs = K(0);
  m->states[0].init = St(1);                   /* y is initialised after x */
  expect_error(m, "before it is initialised");
  m->states[0].init = call2(MIR_FN_EXP, K(1), K(2));
  expect_error(m, "exp takes 1 argument");
  m->states[0].init = St(7);
  expect_error(m, "out of range");
  m->states[0].init = K(0);
  m->states[1].solver = MIR_SOLVE_CN;
  expect_error(m, "lacks its Jacobian");
  m->states[1].solver = MIR_SOLVE_EULER;
  m->name = "no good";
  expect_error(m, "not a valid symbol");
  m->name = "ok";
  char *err = NULL;
  CgModule *cm = cg_build(m, NULL, &err);
  CU_ASSERT_PTR_NOT_NULL(cm);
  CU_ASSERT_PTR_NULL(err);
  cg_free(cm);
  Mir *empty = new_mir("empty", 0, 0, 0, 0);   /* degenerate but valid */
  cm = build(empty, 3, false, false);
  CU_ASSERT_PTR_NOT_NULL(cm);
  const MsnModel *d = cm ? sym(cm, "msn_model_desc") : NULL;
  CU_ASSERT(d && d->nstates == 0 && d->states == NULL && d->step != NULL);
  if (d) d->step(NULL, NULL, 0, 0, 0.0, 1.0);
  cg_free(cm);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite hh_suite = CU_add_suite("hodgkin-huxley", hh_suite_init, hh_suite_clean);
  CU_pSuite other = CU_add_suite("codegen", NULL, NULL);
  if (!hh_suite || !other) return 2;
  CU_add_test(hh_suite, "optimised step kernel is vectorised", test_hh_ir);
  CU_add_test(hh_suite, "spike train matches LSODA reference", test_hh_spikes);
  CU_add_test(hh_suite, "rhs kernel at rest and depolarised", test_hh_rhs);
  CU_add_test(hh_suite, "descriptor constant read through the JIT", test_hh_desc);
  CU_add_test(hh_suite, "O0 and O3 agree", test_o0);
  CU_add_test(hh_suite, "cg_jit_run calls msn_main", test_jit_run);
  CU_add_test(other, "exp/exprelr/sigmoid/tanh accuracy", test_math);
  CU_add_test(other, "expression operations", test_ops);
  CU_add_test(other, "solver updates, windows, staggering", test_solvers);
  CU_add_test(other, "fused integrate-and-fire kernel (vstep)", test_vstep);
  CU_add_test(other, "object emission, generic target, main", test_object);
  CU_add_test(other, "errors", test_errors);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  pool_free();
  return failed ? 1 : 0;
}
