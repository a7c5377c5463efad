/* tests/unit/test_kernel.c — channel kernels (msnc kernel): lowering of
 * channels (compiler/lower_kernel.c), the generated functions run through
 * the JIT (compiler/codegen_kernel.c) against the Hodgkin–Huxley equations
 * written out in C, per-compartment parameters, a channel with a nonlinear
 * state (Crank–Nicolson) and an inf/tau gate, the descriptor NAME_info, the
 * generated header, and the errors E0610–E0613.
 *
 * The end-to-end side (shared object, C point neuron against `msnc build`
 * and SciPy, header with cc/g++, vectorised IR) is tests/e2e/kernel.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen.h"
#include "msnc.h"

#ifndef MSN_ABS_SRCDIR
#define MSN_ABS_SRCDIR "."
#endif

/* The descriptor as the generated header declares it (docs/kernel-abi.md). */
typedef struct MsnKernelState {
  const char *name, *unit;
  double scale;
  const char *solver, *why;
} MsnKernelState;
typedef struct MsnKernelParam {
  const char *name, *unit;
  double scale, value;
  int32_t per_compartment, reserved;
} MsnKernelParam;
typedef struct MsnKernelInfo {
  int32_t abi_version, nstates, nparams, reserved;
  const char *name, *msn_version, *source;
  const MsnKernelState *states;
  const MsnKernelParam *params;
} MsnKernelInfo;

typedef int32_t AbiFn(void);
typedef const MsnKernelInfo *InfoFn(void);

/* ---- building ---------------------------------------------------------------- */

typedef struct Built {
  Compilation c;
  char *diag_text;
  size_t diag_len;
  FILE *diag;
  MirKernel *k;
  int n;
  CgModule *cm;
} Built;

/* Load (a file when text is NULL), check and lower; diagnostics are kept
 * in b->diag_text.  True when kernels came out. */
static bool lower(Built *b, const char *path, const char *text, const char *chans, const char *per)
{
  memset(b, 0, sizeof *b);
  b->diag = open_memstream(&b->diag_text, &b->diag_len);
  msnc_init(&b->c, b->diag);
  b->c.diag.color = false;
  bool ok = text ? msnc_load_string(&b->c, path, text) : msnc_load(&b->c, path);
  if (ok && msnc_check(&b->c)) b->k = msnc_lower_kernels(&b->c, chans, per, &b->n);
  fflush(b->diag);
  return b->k != NULL;
}

static bool build(Built *b, const char *path, const char *text, const char *chans, const char *per)
{
  if (!lower(b, path, text, chans, per)) return false;
  CgOptions opt = { .opt_level = 3 };
  char *err = NULL;
  b->cm = cg_build_kernels(b->k, b->n, &opt, &err);
  if (b->cm && !cg_optimize(b->cm, &err)) {
    cg_free(b->cm);
    b->cm = NULL;
  }
  if (err) fprintf(stderr, "kernel build: %s\n", err);
  free(err);
  return b->cm != NULL;
}

static void *sym(Built *b, const char *name)
{
  char *err = NULL;
  void *p = cg_jit_symbol(b->cm, name, &err);
  if (!p) fprintf(stderr, "%s: %s\n", name, err ? err : "?");
  free(err);
  return p;
}

static void done(Built *b)
{
  cg_free(b->cm);
  msnc_free(&b->c);
  fclose(b->diag);
  free(b->diag_text);
}

/* ---- the HH equations in C (SI) ---------------------------------------------------- */

static double exprelr(double x) { return fabs(x) < 1e-12 ? 1 - x / 2 : x / expm1(x); }
static double phi_of(double celsius) { return pow(3, (celsius - 6.3) / 10); }
static double am(double v) { return 1000 * exprelr(-(v + 0.04) / 0.01); }
static double bm(double v) { return 4000 * exp(-(v + 0.065) / 0.018); }
static double ah(double v) { return 70 * exp(-(v + 0.065) / 0.02); }
static double bh(double v) { return 1000 / (1 + exp(-(v + 0.035) / 0.01)); }
static double an(double v) { return 100 * exprelr(-(v + 0.055) / 0.01); }
static double bn(double v) { return 125 * exp(-(v + 0.065) / 0.08); }

/* exact update of x' = phi (a (1 - x) - b x) over dt */
static double gate_step(double x, double a, double b, double phi, double dt)
{
  double inf = a / (a + b);
  return inf + (x - inf) * exp(-phi * (a + b) * dt);
}

#define NV 37 /* -100 mV .. 80 mV: a vector body and a remainder */

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-300); }

/* ---- tests ------------------------------------------------------------------------- */

static const char *hh_path(void) { return MSN_ABS_SRCDIR "/stdlib/hh.msn"; }

static void test_hh_lowering(void)
{
  Built b;
  CU_ASSERT_FATAL(lower(&b, hh_path(), NULL, NULL, NULL));
  CU_ASSERT_EQUAL(b.n, 3);
  const char *names[] = { "Na", "K", "Leak" };
  int nstates[] = { 3, 2, 1 }, nabi[] = { 3, 3, 2 };
  for (int i = 0; i < 3 && i < b.n; i++) {
    CU_ASSERT_STRING_EQUAL(b.k[i].m->name, names[i]);
    CU_ASSERT_EQUAL(b.k[i].m->nstates, nstates[i]);
    CU_ASSERT_EQUAL(b.k[i].nabi, nabi[i]);
    CU_ASSERT_STRING_EQUAL(b.k[i].m->states[0].name, "V");
    for (int s = 1; s < b.k[i].m->nstates; s++) CU_ASSERT_EQUAL(b.k[i].m->states[s].solver, MIR_SOLVE_CNEXP);
  }
  CU_ASSERT_STRING_EQUAL(b.k[0].abi_param_name[0], "gbar");
  CU_ASSERT_STRING_EQUAL(b.k[0].abi_param_name[1], "E");
  CU_ASSERT_STRING_EQUAL(b.k[0].abi_param_name[2], "celsius"); /* q10 uses it */
  CU_ASSERT_STRING_EQUAL(b.k[2].abi_param_name[0], "g");      /* Leak: no celsius */
  CU_ASSERT_STRING_EQUAL(b.k[2].abi_param_name[1], "E");
  CU_ASSERT_STRING_EQUAL(b.k[1].m->states[1].name, "n");
  done(&b);
}

typedef void NaInit(int64_t, const double *, double *, double *, double, double, double);
typedef void NaUpdate(int64_t, double, const double *, double *, double *, double, double, double);
typedef void NaCurrent(int64_t, const double *, const double *, const double *, double, double, double,
                       double *, double *);
typedef void KInit(int64_t, const double *, double *, double, double, double);
typedef void KUpdate(int64_t, double, const double *, double *, double, double, double);
typedef void KCurrent(int64_t, const double *, const double *, double, double, double, double *, double *);
typedef void LeakCurrent(int64_t, const double *, double, double, double *, double *);
typedef void LeakInit(int64_t, const double *, double, double);

static void test_hh_numerics(void)
{
  Built b;
  CU_ASSERT_FATAL(build(&b, hh_path(), NULL, NULL, NULL));
  NaInit *na_init = (NaInit *)sym(&b, "Na_init");
  NaUpdate *na_update = (NaUpdate *)sym(&b, "Na_state_update");
  NaCurrent *na_current = (NaCurrent *)sym(&b, "Na_current");
  KInit *k_init = (KInit *)sym(&b, "K_init");
  KUpdate *k_update = (KUpdate *)sym(&b, "K_state_update");
  KCurrent *k_current = (KCurrent *)sym(&b, "K_current");
  LeakCurrent *leak_current = (LeakCurrent *)sym(&b, "Leak_current");
  LeakInit *leak_init = (LeakInit *)sym(&b, "Leak_init");
  CU_ASSERT_FATAL(na_init && na_update && na_current && k_init && k_update && k_current && leak_current &&
                  leak_init);

  const double celsius = 18.5, phi = phi_of(celsius), dt = 25e-6;
  double V[NV], m[NV], h[NV], n[NV], I[NV], g[NV], Ip[NV], gp[NV], Im[NV], gm[NV];
  for (int i = 0; i < NV; i++) V[i] = (-100 + 5 * i) * 1e-3;
  na_init(NV, V, m, h, 1200, 0.05, celsius);
  k_init(NV, V, n, 360, -0.077, celsius);
  leak_init(NV, V, 3, -0.054387); /* no states: must do nothing (and not crash) */
  double e_init = 0, e_cur = 0, e_g = 0, e_fd = 0, e_upd = 0;
  for (int i = 0; i < NV; i++) {
    e_init = fmax(e_init, fabs(m[i] - am(V[i]) / (am(V[i]) + bm(V[i]))));
    e_init = fmax(e_init, fabs(h[i] - ah(V[i]) / (ah(V[i]) + bh(V[i]))));
    e_init = fmax(e_init, fabs(n[i] - an(V[i]) / (an(V[i]) + bn(V[i]))));
  }
  CU_ASSERT(e_init < 1e-14);

  /* off steady state, so that the update does something */
  for (int i = 0; i < NV; i++) m[i] = 0.3 + 0.01 * i, h[i] = 0.9 - 0.02 * i, n[i] = 0.1 + 0.02 * i;
  na_current(NV, V, m, h, 1200, 0.05, celsius, I, g);
  for (int i = 0; i < NV; i++) {
    double gref = 1200 * m[i] * m[i] * m[i] * h[i];
    e_cur = fmax(e_cur, rel(I[i], gref * (V[i] - 0.05)));
    e_g = fmax(e_g, rel(g[i], gref));
  }
  k_current(NV, V, n, 360, -0.077, celsius, I, g);
  for (int i = 0; i < NV; i++) {
    double gref = 360 * pow(n[i], 4);
    e_cur = fmax(e_cur, rel(I[i], gref * (V[i] + 0.077)));
    e_g = fmax(e_g, rel(g[i], gref));
  }
  leak_current(NV, V, 3, -0.054387, I, g);
  for (int i = 0; i < NV; i++) {
    e_cur = fmax(e_cur, fabs(I[i] - 3 * (V[i] + 0.054387)));
    e_g = fmax(e_g, rel(g[i], 3));
  }
  CU_ASSERT(e_cur < 1e-13);
  CU_ASSERT(e_g < 1e-15);

  /* g_out is dI/dV with the gates held: central differences */
  double Vp[NV], Vm[NV];
  for (int i = 0; i < NV; i++) Vp[i] = V[i] + 1e-6, Vm[i] = V[i] - 1e-6;
  na_current(NV, V, m, h, 1200, 0.05, celsius, I, g);
  na_current(NV, Vp, m, h, 1200, 0.05, celsius, Ip, gp);
  na_current(NV, Vm, m, h, 1200, 0.05, celsius, Im, gm);
  for (int i = 0; i < NV; i++) e_fd = fmax(e_fd, fabs((Ip[i] - Im[i]) / 2e-6 - g[i]) / fmax(g[i], 1e-3));
  CU_ASSERT(e_fd < 1e-6);

  double m0[NV], h0[NV], n0[NV];
  memcpy(m0, m, sizeof m);
  memcpy(h0, h, sizeof h);
  memcpy(n0, n, sizeof n);
  na_update(NV, dt, V, m, h, 1200, 0.05, celsius);
  k_update(NV, dt, V, n, 360, -0.077, celsius);
  for (int i = 0; i < NV; i++) {
    e_upd = fmax(e_upd, fabs(m[i] - gate_step(m0[i], am(V[i]), bm(V[i]), phi, dt)));
    e_upd = fmax(e_upd, fabs(h[i] - gate_step(h0[i], ah(V[i]), bh(V[i]), phi, dt)));
    e_upd = fmax(e_upd, fabs(n[i] - gate_step(n0[i], an(V[i]), bn(V[i]), phi, dt)));
  }
  CU_ASSERT(e_upd < 1e-14);
  /* a long step lands on the steady state: the update is exact, not Euler */
  na_update(NV, 1.0, V, m, h, 1200, 0.05, celsius);
  double e_inf = 0;
  for (int i = 0; i < NV; i++) e_inf = fmax(e_inf, fabs(m[i] - am(V[i]) / (am(V[i]) + bm(V[i]))));
  CU_ASSERT(e_inf < 1e-14);
  printf("\n  HH kernels vs C: init %.2g, current %.2g (rel), g %.2g (rel), dI/dV by differences %.2g, "
         "update %.2g ", e_init, e_cur, e_g, e_fd, e_upd);

  /* n <= 0 writes nothing */
  double s1[1] = { -1 }, s2[1] = { -1 };
  na_init(0, V, s1, s2, 1200, 0.05, celsius);
  na_init(-5, V, s1, s2, 1200, 0.05, celsius);
  CU_ASSERT(s1[0] == -1 && s2[0] == -1);
  done(&b);
}

static void test_info(void)
{
  Built b;
  CU_ASSERT_FATAL(build(&b, hh_path(), NULL, NULL, "Na.gbar"));
  AbiFn *abi = (AbiFn *)sym(&b, "Na_abi_version");
  InfoFn *info = (InfoFn *)sym(&b, "Na_info");
  InfoFn *kinfo = (InfoFn *)sym(&b, "K_info");
  CU_ASSERT_FATAL(abi && info && kinfo);
  CU_ASSERT_EQUAL(abi(), 1);
  const MsnKernelInfo *in = info();
  CU_ASSERT_EQUAL(in->abi_version, 1);
  CU_ASSERT_EQUAL(in->nstates, 2);
  CU_ASSERT_EQUAL(in->nparams, 3);
  CU_ASSERT_EQUAL(in->reserved, 0);
  CU_ASSERT_STRING_EQUAL(in->name, "Na");
  CU_ASSERT(strstr(in->source, "hh.msn") != NULL);
  CU_ASSERT_STRING_EQUAL(in->states[0].name, "m");
  CU_ASSERT_STRING_EQUAL(in->states[1].name, "h");
  CU_ASSERT_STRING_EQUAL(in->states[1].unit, "1");
  CU_ASSERT_STRING_EQUAL(in->states[1].solver, "cnexp");
  CU_ASSERT_STRING_EQUAL(in->params[0].name, "gbar");
  CU_ASSERT_STRING_EQUAL(in->params[0].unit, "mS/cm^2");
  CU_ASSERT_DOUBLE_EQUAL(in->params[0].scale, 10, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(in->params[0].value, 1200, 1e-9);
  CU_ASSERT_EQUAL(in->params[0].per_compartment, 1);
  CU_ASSERT_STRING_EQUAL(in->params[1].name, "E");
  CU_ASSERT_DOUBLE_EQUAL(in->params[1].value, 0.05, 1e-15);
  CU_ASSERT_EQUAL(in->params[1].per_compartment, 0);
  CU_ASSERT_STRING_EQUAL(in->params[2].name, "celsius");
  CU_ASSERT_DOUBLE_EQUAL(in->params[2].value, 6.3, 1e-15);
  CU_ASSERT_EQUAL(kinfo()->params[0].per_compartment, 0); /* Na.gbar: only Na's */
  done(&b);
}

typedef void NaCurrentPC(int64_t, const double *, const double *, const double *, const double *, const double *,
                         double, double *, double *);

static void test_per_compartment(void)
{
  Built b;
  CU_ASSERT_FATAL(build(&b, hh_path(), NULL, "Na", "gbar,E"));
  CU_ASSERT_EQUAL(b.n, 1);
  NaCurrentPC *cur = (NaCurrentPC *)sym(&b, "Na_current");
  CU_ASSERT_FATAL(cur != NULL);
  double V[NV], m[NV], h[NV], gbar[NV], E[NV], I[NV], g[NV];
  for (int i = 0; i < NV; i++) {
    V[i] = (-80 + 4 * i) * 1e-3;
    m[i] = 0.5, h[i] = 0.5;
    gbar[i] = 100.0 * (i + 1);
    E[i] = (i % 2 ? 0.05 : 0.06);
  }
  cur(NV, V, m, h, gbar, E, 6.3, I, g);
  double e = 0;
  for (int i = 0; i < NV; i++) {
    e = fmax(e, rel(g[i], gbar[i] * 0.0625));
    e = fmax(e, fabs(I[i] - gbar[i] * 0.0625 * (V[i] - E[i])));
  }
  CU_ASSERT(e < 1e-13);
  done(&b);
}

static const char *dec_src =
    "channel Dec {\n"
    "  param k = 2 /ms\n"
    "  state c = 0.5\n"
    "  c' = -k * c^2\n"
    "  gate s {\n"
    "    inf = sigmoid((V + 20 mV) / 5 mV)\n"
    "    tau = 2 ms\n"
    "  }\n"
    "  param gbar = 1 mS/cm^2\n"
    "  param E = 0 mV\n"
    "  current gbar * s * c * (V - E)\n"
    "}\n";

typedef void DecInit(int64_t, const double *, double *, double *, double, double, double);
typedef void DecUpdate(int64_t, double, const double *, double *, double *, double, double, double);
typedef void DecCurrent(int64_t, const double *, const double *, const double *, double, double, double, double *,
                        double *);

/* A nonlinear state (linearised Crank–Nicolson) next to an inf/tau gate. */
static void test_nonlinear_state(void)
{
  Built b;
  CU_ASSERT_FATAL(build(&b, "dec.msn", dec_src, NULL, NULL));
  const Mir *m = b.k[0].m;
  CU_ASSERT_EQUAL_FATAL(m->nstates, 3);
  CU_ASSERT_STRING_EQUAL(m->states[1].name, "c");
  CU_ASSERT_EQUAL(m->states[1].solver, MIR_SOLVE_CN);
  CU_ASSERT_STRING_EQUAL(m->states[2].name, "s");
  CU_ASSERT_EQUAL(m->states[2].solver, MIR_SOLVE_CNEXP);
  CU_ASSERT_EQUAL(b.k[0].nabi, 3); /* k, gbar, E; no celsius */
  DecInit *init = (DecInit *)sym(&b, "Dec_init");
  DecUpdate *update = (DecUpdate *)sym(&b, "Dec_state_update");
  DecCurrent *cur = (DecCurrent *)sym(&b, "Dec_current");
  CU_ASSERT_FATAL(init && update && cur);
  double V[NV], c[NV], s[NV], I[NV], g[NV];
  for (int i = 0; i < NV; i++) V[i] = (-60 + 2 * i) * 1e-3;
  init(NV, V, c, s, 2000, 10, 0);
  double e = 0;
  for (int i = 0; i < NV; i++) {
    e = fmax(e, fabs(c[i] - 0.5));
    e = fmax(e, fabs(s[i] - 1 / (1 + exp(-(V[i] + 0.02) / 0.005))));
  }
  CU_ASSERT(e < 1e-15);
  double c0[NV], s0[NV], dt = 1e-4;
  for (int i = 0; i < NV; i++) s[i] = 0.1, c[i] = 0.2 + 0.01 * i;
  memcpy(c0, c, sizeof c);
  memcpy(s0, s, sizeof s);
  update(NV, dt, V, c, s, 2000, 10, 0);
  e = 0;
  for (int i = 0; i < NV; i++) {
    double f = -2000 * c0[i] * c0[i], jac = -2 * 2000 * c0[i];
    e = fmax(e, fabs(c[i] - (c0[i] + dt * f / (1 - dt / 2 * jac))));
    double inf = 1 / (1 + exp(-(V[i] + 0.02) / 0.005));
    e = fmax(e, fabs(s[i] - (inf + (s0[i] - inf) * exp(-dt / 2e-3))));
  }
  CU_ASSERT(e < 1e-14);
  cur(NV, V, c, s, 2000, 10, 0, I, g);
  e = 0;
  for (int i = 0; i < NV; i++) {
    e = fmax(e, rel(g[i], 10 * s[i] * c[i]));
    e = fmax(e, fabs(I[i] - 10 * s[i] * c[i] * V[i]));
  }
  CU_ASSERT(e < 1e-14);
  done(&b);
}

/* A channel inside a cell file, by name; imported channels are not taken
 * by default. */
static void test_channel_from_cell_file(void)
{
  Built b;
  CU_ASSERT_FATAL(lower(&b, MSN_ABS_SRCDIR "/examples/hh.msn", NULL, "K, Leak,K", NULL));
  CU_ASSERT_EQUAL(b.n, 2); /* repetitions dropped */
  CU_ASSERT_STRING_EQUAL(b.k[0].m->name, "K");
  CU_ASSERT_STRING_EQUAL(b.k[1].m->name, "Leak");
  done(&b);
}

static void expect_error(const char *path, const char *text, const char *chans, const char *per, const char *code,
                         const char *words)
{
  Built b;
  CU_ASSERT(!lower(&b, path, text, chans, per));
  CU_ASSERT(b.c.diag.nerrors >= 1);
  CU_ASSERT(b.diag_text && strstr(b.diag_text, code) != NULL);
  CU_ASSERT(b.diag_text && strstr(b.diag_text, words) != NULL);
  if (!b.diag_text || !strstr(b.diag_text, words)) fprintf(stderr, "\n[%s]\n", b.diag_text ? b.diag_text : "");
  done(&b);
}

static void test_errors(void)
{
  expect_error(MSN_ABS_SRCDIR "/examples/hh.msn", NULL, NULL, NULL, "E0610",
               "it imports the channels Na, K, Leak; pick them with --channel NAME");
  expect_error("empty.msn", "# nothing here\n", NULL, NULL, "E0610", "defines no channel");
  expect_error(hh_path(), NULL, "Kv", NULL, "E0611", "did you mean 'K'?");
  expect_error(hh_path(), NULL, "Na,Kdr", NULL, "E0611", "the channels are: Na, K, Leak");
  expect_error(hh_path(), NULL, NULL, "gmax", "E0612", "the parameters are: Na: gbar E celsius; K: gbar E celsius; Leak: g E");
  expect_error(hh_path(), NULL, "Na", "K.gbar", "E0612", "K is not one of the channels compiled");
  expect_error(hh_path(), NULL, "Leak", "celsius", "E0612", "no channel compiled has a parameter celsius");
  expect_error("t.msn",
               "channel Tdep {\n  param g = 1 mS/cm^2\n  current g * (V - 0 mV) * (1 + t / 1 s)\n}\n",
               NULL, NULL, "E0613", "t.msn:1:9: error[E0613]: channel Tdep uses the time t");
}

/* Argument names that would clash with the fixed ones or with C/C++ get a '_'. */
static void test_header_names(void)
{
  const char *src =
      "channel Odd {\n"
      "  param g_out = 1 mS/cm^2\n"
      "  param class = 2\n"
      "  state ncomp = 0.5\n"
      "  ncomp' = -ncomp / 1 ms\n"
      "  current g_out * class * ncomp * (V - 10 mV)\n"
      "}\n";
  Built b;
  CU_ASSERT_FATAL(lower(&b, "odd.msn", src, NULL, NULL));
  char path[] = "/tmp/msn-kernel-XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  char *err = NULL;
  CU_ASSERT(cg_write_kernel_header(b.k, b.n, path, &err));
  free(err);
  size_t len = 0;
  char *text = read_file(path, &len);
  CU_ASSERT_FATAL(text != NULL);
  CU_ASSERT(strstr(text, "void Odd_current(int64_t ncomp,") != NULL);
  CU_ASSERT(strstr(text, "double *MSN_KERNEL_RESTRICT ncomp_") != NULL);
  CU_ASSERT(strstr(text, "double g_out_, double class_,") != NULL);
  CU_ASSERT(strstr(text, "double *MSN_KERNEL_RESTRICT I_out, double *MSN_KERNEL_RESTRICT g_out);") != NULL);
  CU_ASSERT(strstr(text, "#define Odd_g_out_DEFAULT 10.0") != NULL);
  CU_ASSERT(strstr(text, "#define Odd_class_DEFAULT 2.0") != NULL);
  CU_ASSERT(strstr(text, "#ifndef MSN_KERNEL_MSN_KERNEL_") != NULL);
  free(text);
  unlink(path);
  CU_ASSERT(!cg_write_kernel_header(b.k, b.n, "/nonexistent-dir/x.h", &err));
  CU_ASSERT(err && strstr(err, "cannot write /nonexistent-dir/x.h"));
  free(err);
  done(&b);
}

int main(void)
{
  setenv("MSN_STDLIB", MSN_ABS_SRCDIR "/stdlib", 1); /* import "hh" from the source tree */
  if (CU_initialize_registry() != CUE_SUCCESS) return CU_get_error();
  CU_pSuite s = CU_add_suite("kernel", NULL, NULL);
  CU_add_test(s, "HH channels lowered", test_hh_lowering);
  CU_add_test(s, "HH kernels against the equations in C", test_hh_numerics);
  CU_add_test(s, "NAME_abi_version and NAME_info", test_info);
  CU_add_test(s, "per-compartment parameters", test_per_compartment);
  CU_add_test(s, "nonlinear state (CN) and an inf/tau gate", test_nonlinear_state);
  CU_add_test(s, "--channel in a cell file", test_channel_from_cell_file);
  CU_add_test(s, "errors E0610-E0613", test_errors);
  CU_add_test(s, "header argument names", test_header_names);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
