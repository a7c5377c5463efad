/* tests/unit/test_frontend.c — the front end from source text to model IR:
 * quantities and unit folding, diagnostics codes, solver selection, and the
 * symbolic derivatives of compiler/deriv.c against finite differences. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msnc.h"

/* ---- helpers ---------------------------------------------------------------- */

static Compilation comp;
static char *diag_text;
static size_t diag_len;
static FILE *diag_out;

/* Compile src as the main file; NULL on errors (diag_text holds them). */
static Mir *compile(const char *src) {
  msnc_free(&comp);
  free(diag_text);
  diag_text = NULL;
  diag_out = open_memstream(&diag_text, &diag_len);
  msnc_init(&comp, diag_out);
  comp.diag.color = false;
  Mir *m = NULL;
  if (msnc_load_string(&comp, "test.msn", src) && msnc_check(&comp)) m = msnc_lower(&comp);
  fflush(diag_out);
  fclose(diag_out);
  return m;
}

static bool diag_has(const char *s) { return diag_text && strstr(diag_text, s); }

static const MirParam *param(const Mir *m, const char *name) {
  for (int i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
  return NULL;
}

static const MirState *state(const Mir *m, const char *name) {
  for (int i = 0; i < m->nstates; i++)
    if (strcmp(m->states[i].name, name) == 0) return &m->states[i];
  return NULL;
}

/* Model-IR expressions evaluated by mir_eval (compiler/mir.c), which is
 * independent of the code generator: for checking derivatives and
 * substitutions. */
static double eval(const Mir *m, const MirExpr *e, const double *x, double t) { return mir_eval(m, e, x, t); }

static const char *hh_cell =
    "import \"hh\"\n"
    "cell HH {\n"
    "  param Cm = 1 uF/cm^2\n"
    "  V(0) = -65 mV\n"
    "  insert Na, K, Leak\n"
    "  stimulus I_ext = 10 uA/cm^2 during [10 ms, 110 ms]\n"
    "  spike when V crosses 0 mV\n"
    "}\n";

/* ---- quantities and folding --------------------------------------------- */

static void test_quantities_fold_to_si(void) {
  Mir *m = compile("cell C {\n"
                   "  param g = 120 mS/cm^2\n"
                   "  param ra = 100 ohm*cm\n"
                   "  param k = 0.1/ms\n"
                   "  param c = 2 mM\n"
                   "  param d = 5 um\n"
                   "  param q = -65mV\n"
                   "}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "g")->value, 1200.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "ra")->value, 1.0, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "k")->value, 100.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "c")->value, 2.0, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "d")->value, 5e-6, 1e-18);
  CU_ASSERT_DOUBLE_EQUAL(param(m, "q")->value, -0.065, 1e-15);
  /* display units are kept as written, with their SI scale */
  CU_ASSERT_STRING_EQUAL(param(m, "g")->unit, "mS/cm^2");
  CU_ASSERT_DOUBLE_EQUAL(param(m, "g")->scale, 10.0, 1e-12);
  CU_ASSERT_STRING_EQUAL(param(m, "q")->unit, "mV");
}

/* A unit after a number needs no '*'; after an operator with blanks, a name
 * is a name again (m is the gate here, not the metre). */
static void test_unit_juxtaposition_rules(void) {
  Mir *m = compile("gate m { inf = 0.5; tau = 1 ms }\n"
                   "channel X { param g = 1 mS/cm^2\n  current g * m * 2 * (V - 0 mV) }\n"
                   "cell C { insert X }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_PTR_NOT_NULL(state(m, "m"));
  /* a keyword after a number is not a unit: `from 0 uA/cm^2 to 20 uA/cm^2` */
  m = compile("cell C { stimulus I = 1 uA/cm^2 }\n"
              "simulate { model C; instances 3; vary I from 0 uA/cm^2 to 20 uA/cm^2 }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const MirParam *p = param(m, "I");
  CU_ASSERT_TRUE_FATAL(p && p->per_instance);
  CU_ASSERT_DOUBLE_EQUAL(p->inst_values[1], 0.1, 1e-12); /* 10 uA/cm^2 = 0.1 A/m^2 */
  CU_ASSERT_DOUBLE_EQUAL(p->inst_values[2], 0.2, 1e-12);
}

/* ---- diagnostics ------------------------------------------------------------ */

static void test_diagnostics(void) {
  CU_ASSERT_PTR_NULL(compile("cell C { x = exp(V) }\n"));
  CU_ASSERT_TRUE(diag_has("test.msn:1:18: error[E0303]")); /* at the argument */
  CU_ASSERT_TRUE(diag_has("mV") || diag_has("V (voltage)"));
  CU_ASSERT_PTR_NULL(compile("cell C { param g = 1 mS/cm^2; x = V + g }\n"));
  CU_ASSERT_TRUE(diag_has("error[E0301]: cannot add"));
  CU_ASSERT_PTR_NULL(compile("cell C { param g = 1 mv }\n"));
  CU_ASSERT_TRUE(diag_has("error[E0310]"));
  CU_ASSERT_TRUE(diag_has("mV"));
  CU_ASSERT_PTR_NULL(compile("cell C { x = V +* 2 }\n"));
  CU_ASSERT_TRUE(diag_has("error[E0101]"));
  /* several errors in one run */
  CU_ASSERT_PTR_NULL(compile("cell C {\n  a = exp(V)\n  b = log(t)\n  c = undefined_name\n}\n"));
  CU_ASSERT_EQUAL(comp.diag.nerrors, 3);
  CU_ASSERT_PTR_NULL(compile("channel K { param g = 1 mS/cm^2; current g }\ncell C { insert K }\n"));
  CU_ASSERT_TRUE(diag_has("error[E0304]"));
  CU_ASSERT_PTR_NULL(compile("import \"no_such_module\"\n"));
  CU_ASSERT_TRUE(diag_has("error[E0501]"));
}

/* ---- solvers ------------------------------------------------------------------ */

static void test_solver_selection(void) {
  Mir *m = compile("cell C {\n"
                   "  state a = 1\n  state b = 1\n  state c = 0\n"
                   "  a' = -a / (10 ms)\n"
                   "  b' = -b^2 / (10 ms)\n"
                   "  c' = 1/ms\n"
                   "}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(state(m, "V")->solver, MIR_SOLVE_CN);
  CU_ASSERT_EQUAL(state(m, "a")->solver, MIR_SOLVE_CNEXP);
  CU_ASSERT_EQUAL(state(m, "b")->solver, MIR_SOLVE_CN);
  CU_ASSERT_PTR_NOT_NULL(strstr(state(m, "b")->why, "not linear"));
  CU_ASSERT_EQUAL(state(m, "c")->solver, MIR_SOLVE_CN);
  CU_ASSERT_PTR_NOT_NULL(strstr(state(m, "c")->why, "does not depend"));
  /* the gates of HH are provably linear in themselves */
  m = compile(hh_cell);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(state(m, "m")->solver, MIR_SOLVE_CNEXP);
  CU_ASSERT_EQUAL(state(m, "h")->solver, MIR_SOLVE_CNEXP);
  CU_ASSERT_EQUAL(state(m, "n")->solver, MIR_SOLVE_CNEXP);
}

/* integrate-and-fire: the reset variable gets the exact exp solver when
 * linear in itself, and the reset, refractory period and exactness flag
 * reach the model in SI units. */
static void test_reset_solver(void) {
  Mir *m = compile("channel L { param g = 0.1 mS/cm^2; param E = -70 mV; current g * (V - E) }\n"
                   "cell C { insert L; spike when V crosses -50 mV; reset V = -60 mV; refractory 2 ms }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(state(m, "V")->solver, MIR_SOLVE_EXP);
  CU_ASSERT_TRUE(m->has_reset);
  CU_ASSERT_TRUE(m->reset_exact);
  CU_ASSERT_DOUBLE_EQUAL(m->reset_value, -60e-3, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(m->refractory, 2e-3, 1e-15);
  m = compile("channel X { current 0.1 mS/cm^2 * (V + 70 mV) - 0.2 mS/cm^2 * 2 mV * exp((V + 55 mV) / 2 mV) }\n"
              "cell C { insert X; spike when V crosses -45 mV; reset V = -60 mV }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(state(m, "V")->solver, MIR_SOLVE_CN);
  CU_ASSERT_FALSE(m->reset_exact);
  CU_ASSERT_DOUBLE_EQUAL(m->refractory, 0, 0);
  /* without reset, V keeps Crank-Nicolson */
  m = compile("channel L { current 0.1 mS/cm^2 * (V + 70 mV) }\ncell C { insert L; spike when V crosses -50 mV }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(state(m, "V")->solver, MIR_SOLVE_CN);
  CU_ASSERT_FALSE(m->has_reset);
}

/* lin_a + lin_b x reproduces the gate's right-hand side at any x and V, and
 * the initial value is the steady state alpha/(alpha+beta) at V(0). */
static void test_linear_form_matches_rhs(void) {
  Mir *m = compile(hh_cell);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  double x[4] = {0};
  double worst = 0;
  for (int k = 1; k < 4; k++) {
    const MirState *s = &m->states[k];
    for (double v = -0.09; v <= 0.05; v += 0.007)
      for (double g = 0; g <= 1; g += 0.25) {
        x[0] = v;
        x[k] = g;
        double rhs = eval(m, s->rhs, x, 0);
        double lin = eval(m, s->lin_a, x, 0) + eval(m, s->lin_b, x, 0) * g;
        double err = fabs(rhs - lin) / (fabs(rhs) + 1);
        if (err > worst) worst = err;
      }
  }
  CU_ASSERT(worst < 1e-12);
  /* steady state at -65 mV: m_inf = 0.0529..., h_inf = 0.5961..., n_inf = 0.3177... */
  x[0] = -0.065;
  CU_ASSERT_DOUBLE_EQUAL(eval(m, state(m, "m")->init, x, 0), 0.052932, 1e-5);
  CU_ASSERT_DOUBLE_EQUAL(eval(m, state(m, "h")->init, x, 0), 0.596121, 1e-5);
  CU_ASSERT_DOUBLE_EQUAL(eval(m, state(m, "n")->init, x, 0), 0.317677, 1e-5);
}

/* ---- derivatives ---------------------------------------------------------- */

/* d/dx of rhs by central differences vs mir_diff, at many points */
static double worst_diff_error(const Mir *m, const MirExpr *e, int s, double lo, double hi) {
  Arena *A = comp.arena;
  MirExpr *d = mir_diff(A, m, e, s);
  double x[8] = {0}, worst = 0;
  for (int i = 0; i <= 40; i++) {
    double v = lo + (hi - lo) * i / 40.0, h = 1e-6 * (fabs(v) + 1e-3);
    x[s] = v + h;
    double fp = eval(m, e, x, 0);
    x[s] = v - h;
    double fm = eval(m, e, x, 0);
    x[s] = v;
    double num = (fp - fm) / (2 * h), sym = eval(m, d, x, 0);
    double err = fabs(num - sym) / (fabs(sym) + fabs(num) + 1e-3);
    if (err > worst) worst = err;
  }
  return worst;
}

static void test_symbolic_derivatives(void) {
  Mir *m = compile("cell C {\n"
                   "  state y = 1\n"
                   "  y' = (exp(y) * sigmoid(2*y) + tanh(y)^3 - exprelr(y - 0.3) + sqrt(y*y + 1)"
                   " + pow(abs(y) + 1, 1.5) + min(y, 0.2) * max(y, -0.1) + sin(y) * cos(2*y)"
                   " + log(y*y + 2) + 1 / (1 + y^2) + (y > 0.5 ? y^2 : -y)) / (1 ms)\n"
                   "}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const MirState *y = state(m, "y");
  /* the grid avoids the kinks of abs, min, max and ?: at 0, 0.2, -0.1, 0.5 */
  double w = worst_diff_error(m, y->rhs, (int)(y - m->states), -1.973, 2.011);
  CU_ASSERT(w < 1e-5);
  /* the membrane jacobian dV'/dV of HH at every V */
  m = compile(hh_cell);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  double x[4] = {0, 0.3, 0.4, 0.5}, worst = 0;
  for (double v = -0.09; v <= 0.05; v += 0.005) {
    x[0] = v;
    double h = 1e-7;
    x[0] = v + h;
    double fp = eval(m, m->states[0].rhs, x, 0.05);
    x[0] = v - h;
    double fm = eval(m, m->states[0].rhs, x, 0.05);
    x[0] = v;
    double num = (fp - fm) / (2 * h), sym = eval(m, m->states[0].jac, x, 0.05);
    double err = fabs(num - sym) / fabs(sym);
    if (err > worst) worst = err;
  }
  CU_ASSERT(worst < 1e-6);
}

int main(void) {
  setenv("MSN_STDLIB", MSN_ABS_SRCDIR "/stdlib", 1);
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("frontend", NULL, NULL);
  CU_add_test(s, "quantities fold to SI", test_quantities_fold_to_si);
  CU_add_test(s, "unit juxtaposition rules", test_unit_juxtaposition_rules);
  CU_add_test(s, "diagnostics", test_diagnostics);
  CU_add_test(s, "solver selection", test_solver_selection);
  CU_add_test(s, "integrate-and-fire reset solver", test_reset_solver);
  CU_add_test(s, "linear form matches rhs", test_linear_form_matches_rhs);
  CU_add_test(s, "symbolic derivatives", test_symbolic_derivatives);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  msnc_free(&comp);
  free(diag_text);
  return failures ? 1 : 0;
}
