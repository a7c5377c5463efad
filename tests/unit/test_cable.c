/* tests/unit/test_cable.c — the cable core (runtime/rt_cable.c): tree
 * discretisation, Hines solver, backward Euler / Crank–Nicolson, d_lambda.
 *
 * Reference data: the shared validation set's sealed passive cable,
 * (/work/shared/validation/), the two csv files copied unchanged into tests/data/:
 *   passive_cable_steady.csv    analytic V(x) (column V_analytic_mV) at x = 1, 3, .. 999 um
 *   passive_cable_charging.csv  analytic series V(0, t) (column V_analytic_x0_mV)
 *   passive_cable.json          R_in = 1013.4297033713049 MOhm, lambda = 707.1067811865476 um
 * Parameters (passive_cable.json): L 1 mm, d 1 um, Ri 100 ohm*cm, Rm 20 kohm*cm^2,
 * Cm 1 uF/cm^2, EL -70 mV, I0 = 0.1 nA into x = 0.
 *
 * Scheme: vertex-centred nodes at x = k h, sealed ends with half control
 * volumes, so the current enters exactly at x = 0 and h = 1 um puts nodes on
 * the csv's points.  Every test prints what it measured beside its tolerance.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cable.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#ifndef MSN_ABS_SRCDIR
#define MSN_ABS_SRCDIR "."
#endif

#define UM 1e-6
/* passive_cable.json in SI */
static const double L_CAB = 1000 * UM, D_CAB = 1 * UM;
static const double RA = 1.0;    /* 100 ohm*cm */
static const double GM = 0.5;    /* 1 / (20 kohm*cm^2 = 2 ohm*m^2) */
static const double CM = 0.01;   /* 1 uF/cm^2 */
static const double EL = -0.070;
static const double I0 = 1e-10;
static const double RIN_JSON = 1013.4297033713049e6; /* derived.R_in_Mohm */

static double lambda_dc(double d) { return sqrt(d / (4 * RA * GM)); }
static double rinf(double d) { return 4 * RA / (M_PI * d * d) * lambda_dc(d); }

/* ---- helpers ------------------------------------------------------------- */

/* A one-section cable of nseg segments and diameter d. */
static RtCable *unbranched(double L, double d, int32_t nseg) {
  RtCableSection s = {.name = "cable", .length = L, .diam = d, .parent = -1, .nseg = nseg};
  char err[256];
  RtCable *c = rt_cable_build(&s, 1, RA, CM, err, sizeof err);
  if (!c) fprintf(stderr, "build: %s\n", err);
  return c;
}

/* Passive steady state with I0 into node `at`; V (c->n) filled. */
static bool steady(RtCable *c, int32_t at, double *V) {
  double *g = malloc(sizeof *g * (size_t)c->n), *im = malloc(sizeof *im * (size_t)c->n);
  double *inj = calloc((size_t)c->n, sizeof *inj);
  for (int32_t i = 0; i < c->n; i++) V[i] = EL;
  rt_cable_passive(c, GM, EL, V, g, im);
  inj[at] = I0;
  bool ok = rt_cable_steady(c, V, g, im, inj);
  free(g);
  free(im);
  free(inj);
  return ok;
}

/* Rows of a csv: column col (0-based) of every data row into v (max cap). */
static int read_column(const char *file, int col, double *x, double *v, int cap) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s", MSN_ABS_SRCDIR, file);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  char line[1024];
  int n = 0;
  if (!fgets(line, sizeof line, f)) n = -1; /* header */
  while (n >= 0 && n < cap && fgets(line, sizeof line, f)) {
    char *p = line;
    x[n] = strtod(p, &p);
    for (int k = 0; k < col; k++) {
      p = strchr(p, ',');
      if (!p) break;
      p++;
    }
    if (!p) continue;
    v[n] = strtod(p, NULL);
    n++;
  }
  fclose(f);
  return n;
}

/* ---- Hines solver ---------------------------------------------------------- */

/* A random tree (parent[i] < i) and a diagonally dominant symmetric matrix:
 * Hines against dense Gaussian elimination, to 1e-12 relative. */
static void test_hines_dense(void) {
  enum { N = 40 };
  int32_t par[N];
  double d[N], off[N], b[N], A[N][N], x[N];
  unsigned s = 12345;
  memset(A, 0, sizeof A);
  par[0] = -1;
  off[0] = 0;
  for (int i = 0; i < N; i++) {
    s = s * 1103515245u + 12345u;
    if (i > 0) par[i] = (int32_t)((s >> 8) % (unsigned)i);
    d[i] = 1 + (double)((s >> 4) % 100) / 10;
    b[i] = (double)((s >> 12) % 1000) / 100 - 5;
  }
  for (int i = 1; i < N; i++) {
    off[i] = -0.3 - (double)(i % 7) / 10;
    d[i] += fabs(off[i]);
    d[par[i]] += fabs(off[i]);
  }
  for (int i = 0; i < N; i++) A[i][i] = d[i];
  for (int i = 1; i < N; i++) A[i][par[i]] = A[par[i]][i] = off[i];
  double M[N][N + 1];
  for (int i = 0; i < N; i++) {
    memcpy(M[i], A[i], sizeof A[i]);
    M[i][N] = b[i];
  }
  for (int k = 0; k < N; k++) /* no pivoting: diagonally dominant */
    for (int i = k + 1; i < N; i++) {
      double f = M[i][k] / M[k][k];
      for (int j = k; j <= N; j++) M[i][j] -= f * M[k][j];
    }
  for (int i = N - 1; i >= 0; i--) {
    double r = M[i][N];
    for (int j = i + 1; j < N; j++) r -= M[i][j] * x[j];
    x[i] = r / M[i][i];
  }
  CU_ASSERT_FATAL(rt_hines_solve(N, par, d, off, b));
  double err = 0, nx = 0;
  for (int i = 0; i < N; i++) {
    err = fmax(err, fabs(b[i] - x[i]));
    nx = fmax(nx, fabs(x[i]));
  }
  printf("\n  hines vs dense: max rel err %.2e (tol 1e-12)\n", err / nx);
  CU_ASSERT(err <= 1e-12 * nx);
  /* a zero pivot is reported, not divided by */
  int32_t p2[2] = {-1, 0};
  double d2[2] = {1, 0}, o2[2] = {0, 1}, b2[2] = {1, 1};
  CU_ASSERT(!rt_hines_solve(2, p2, d2, o2, b2));
}

/* ---- discretisation -------------------------------------------------------- */

static void test_build_geometry(void) {
  /* soma sphere 20 um; dend A 100 um x 2 um (4 seg) from soma; dend B a
   * frustum 3 -> 1 um, 60 um (3 seg), attached at 0.5 of A; listed with B
   * before A so that the builder has to order them */
  RtCableSection s[3] = {
      {.name = "soma", .shape = RT_CABLE_SPHERE, .diam = 20 * UM, .parent = -1},
      {.name = "B", .length = 60 * UM, .diam = 3 * UM, .diam1 = 1 * UM, .parent = 2,
       .parent_x = 0.5, .nseg = 3},
      {.name = "A", .length = 100 * UM, .diam = 2 * UM, .parent = 0, .parent_x = 1, .nseg = 4},
  };
  char err[256];
  RtCable *c = rt_cable_build(s, 3, RA, CM, err, sizeof err);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(c->n, 1 + 4 + 3);
  CU_ASSERT_EQUAL(c->parent[0], -1);
  for (int32_t i = 1; i < c->n; i++) CU_ASSERT(c->parent[i] >= 0 && c->parent[i] < i);
  /* A's nodes 1..4, B hangs on A's node at x = 0.5 (k = 2) */
  CU_ASSERT_EQUAL(c->sec_node0[2], 0);
  CU_ASSERT_EQUAL(rt_cable_node(c, 2, 0.5), c->sec_first[2] + 1);
  CU_ASSERT_EQUAL(c->sec_node0[1], rt_cable_node(c, 2, 0.5));
  CU_ASSERT_EQUAL(c->parent[c->sec_first[1]], c->sec_node0[1]);
  CU_ASSERT_EQUAL(rt_cable_node(c, 0, 0.3), 0);
  CU_ASSERT_EQUAL(rt_cable_node(c, 2, 1.0), c->sec_first[2] + 3);
  CU_ASSERT_EQUAL(rt_cable_node(c, 2, 1.5), -1);
  CU_ASSERT_EQUAL(rt_cable_node(c, 7, 0.5), -1);
  /* total area = sphere + cylinder + frustum lateral areas (exact: a
   * frustum cut into frusta) */
  double tot = 0, want = M_PI * 400e-12 + M_PI * 2 * UM * 100 * UM +
                         M_PI * (1.5 * UM + 0.5 * UM) * sqrt(1e-12 + 3600e-12);
  for (int32_t i = 0; i < c->n; i++) {
    tot += c->area[i];
    CU_ASSERT(fabs(c->cap[i] - CM * c->area[i]) <= 1e-15 * c->cap[i]);
  }
  CU_ASSERT(fabs(tot - want) <= 1e-12 * want);
  /* a tip node of A (x = 1) has half a segment: pi d h / 2 */
  CU_ASSERT(fabs(c->area[c->sec_first[2] + 3] - M_PI * 2 * UM * 12.5 * UM) < 1e-12 * 1e-9);
  /* axial resistances of the frustum in series = 4 Ra L / (pi d0 d1) */
  double r = 0;
  for (int k = 0; k < 3; k++) r += 1 / c->g_axial[c->sec_first[1] + k];
  double rw = 4 * RA * 60 * UM / (M_PI * 3 * UM * 1 * UM);
  CU_ASSERT(fabs(r - rw) <= 1e-12 * rw);
  CU_ASSERT(fabs(c->g_axial[1] - M_PI * 4e-12 / (4 * RA * 25 * UM)) <= 1e-12 * c->g_axial[1]);
  rt_cable_free(c);
}

/* ---- passive cable vs the validation set ---------------------------------- */

static void test_steady_reference(void) {
  enum { NSEG = 1000 }; /* h = 1 um: nodes at every um, the csv's x = 1, 3, .. */
  RtCable *c = unbranched(L_CAB, D_CAB, NSEG);
  CU_ASSERT_FATAL(c != NULL);
  double *V = malloc(sizeof *V * (size_t)c->n);
  CU_ASSERT_FATAL(steady(c, 0, V));
  static double x[600], va[600];
  int n = read_column("passive_cable_steady.csv", 2, x, va, 600);
  CU_ASSERT_FATAL(n == 500);
  double worst = 0;
  for (int k = 0; k < n; k++) {
    int32_t i = rt_cable_node(c, 0, x[k] / 1000.0);
    CU_ASSERT_FATAL(i >= 0);
    CU_ASSERT(fabs(c->pos[i] * 1000 - x[k]) < 1e-9);
    double ref = va[k] * 1e-3 - EL, got = V[i] - EL;
    worst = fmax(worst, fabs(got - ref) / ref);
  }
  double rin = (V[0] - EL) / I0, erin = fabs(rin - RIN_JSON) / RIN_JSON;
  /* the analytic formula too, for x = L (not in the csv) */
  double lam = lambda_dc(D_CAB), vl = I0 * rinf(D_CAB) / sinh(L_CAB / lam);
  double el = fabs((V[c->n - 1] - EL) - vl) / vl;
  printf("\n  steady, h = 1 um: max rel err of V-EL at 500 csv points %.2e, at x=L %.2e, "
         "R_in %.4f MOhm vs %.4f: rel err %.2e (tol 1e-3 each)\n",
         worst, el, rin * 1e-6, RIN_JSON * 1e-6, erin);
  CU_ASSERT(worst < 1e-3);
  CU_ASSERT(el < 1e-3);
  CU_ASSERT(erin < 1e-3);
  /* a coarse grid does it too: 100 segments (h = 10 um) */
  RtCable *c2 = unbranched(L_CAB, D_CAB, 100);
  double *V2 = malloc(sizeof *V2 * (size_t)c2->n);
  CU_ASSERT_FATAL(steady(c2, 0, V2));
  double e2 = fabs((V2[0] - EL) / I0 - RIN_JSON) / RIN_JSON;
  printf("  steady, h = 10 um: R_in rel err %.2e (tol 1e-3)\n", e2);
  CU_ASSERT(e2 < 1e-3);
  free(V);
  free(V2);
  rt_cable_free(c);
  rt_cable_free(c2);
}

/* Charging V(0, t) with the current switched on at t = 0, every 0.01 ms to
 * 50 ms, against the analytic series.  The error is measured relative to
 * the deflection V - EL at each time t >= 0.1 ms, and relative to the
 * final deflection over all t. */
static void charging_error(int method, int32_t nseg, double dt, int be_start, double *e_rel,
                           double *e_all) {
  static double t[6000], va[6000];
  int n = read_column("passive_cable_charging.csv", 7, t, va, 6000);
  CU_ASSERT_FATAL(n == 5000); /* t = 0 .. 49.99 ms */
  RtCable *c = unbranched(L_CAB, D_CAB, nseg);
  size_t sz = sizeof(double) * (size_t)c->n;
  double *V = malloc(sz), *g = malloc(sz), *im = malloc(sz), *inj = calloc(1, sz);
  for (int32_t i = 0; i < c->n; i++) V[i] = EL;
  inj[0] = I0;
  double emax_rel = 0, emax = 0, vfin = va[n - 1] * 1e-3 - EL;
  int sub = (int)lround(1e-5 / dt), step = 0;
  for (int k = 1; k < n; k++) {
    for (int j = 0; j < sub; j++, step++) {
      rt_cable_passive(c, GM, EL, V, g, im);
      rt_cable_step(c, V, g, im, inj, dt, step < be_start ? RT_CABLE_BE : method);
    }
    double ref = va[k] * 1e-3 - EL, got = V[0] - EL;
    emax = fmax(emax, fabs(got - ref));
    if (t[k] >= 0.1 - 1e-9) emax_rel = fmax(emax_rel, fabs(got - ref) / ref);
  }
  *e_rel = emax_rel;
  *e_all = emax / vfin;
  free(V);
  free(g);
  free(im);
  free(inj);
  rt_cable_free(c);
}

static void test_charging_reference(void) {
  double er, ea;
  charging_error(RT_CABLE_CN, 1000, 1e-6, 2, &er, &ea);
  printf("\n  charging, CN dt 1 us (2 BE starting steps), h 1 um: max rel err of V(0,t)-EL "
         "for t >= 0.1 ms %.2e, max err / final deflection %.2e (tol 5e-3 each)\n", er, ea);
  CU_ASSERT(er < 5e-3);
  CU_ASSERT(ea < 5e-3);
  charging_error(RT_CABLE_CN, 1000, 1e-5, 2, &er, &ea);
  printf("  charging, CN dt 10 us (2 BE starting steps), h 1 um: %.2e, %.2e (tol 5e-3 each)\n",
         er, ea);
  CU_ASSERT(er < 5e-3);
  CU_ASSERT(ea < 5e-3);
  charging_error(RT_CABLE_BE, 1000, 1e-6, 0, &er, &ea);
  printf("  charging, BE dt 1 us, h 1 um: %.2e, %.2e (tol 5e-3 each)\n", er, ea);
  CU_ASSERT(er < 5e-3);
  CU_ASSERT(ea < 5e-3);
}

/* ---- convergence ----------------------------------------------------------- */

/* Steady R_in and V(L) errors for h = L/20 .. L/320: second order. */
static void test_spatial_order(void) {
  double lam = lambda_dc(D_CAB), rin_a = rinf(D_CAB) / tanh(L_CAB / lam);
  double vl_a = I0 * rinf(D_CAB) / sinh(L_CAB / lam);
  double e_in[5], e_l[5];
  for (int k = 0; k < 5; k++) {
    RtCable *c = unbranched(L_CAB, D_CAB, 20 << k);
    double *V = malloc(sizeof *V * (size_t)c->n);
    CU_ASSERT_FATAL(steady(c, 0, V));
    e_in[k] = fabs((V[0] - EL) / I0 - rin_a) / rin_a;
    e_l[k] = fabs(V[c->n - 1] - EL - vl_a) / vl_a;
    free(V);
    rt_cable_free(c);
  }
  printf("\n  spatial order (h halved 20..320 seg): R_in errors");
  for (int k = 0; k < 5; k++) printf(" %.2e", e_in[k]);
  printf("\n   observed orders:");
  for (int k = 0; k < 4; k++) {
    double p = log2(e_in[k] / e_in[k + 1]), q = log2(e_l[k] / e_l[k + 1]);
    printf(" %.3f/%.3f", p, q);
    CU_ASSERT(p >= 1.8 && p <= 2.2);
    CU_ASSERT(q >= 1.8 && q <= 2.2);
  }
  printf(" (R_in/V(L); tol >= 1.8)\n");
}

/* Temporal order on a fixed grid (20 segments): initial V = EL + 10 mV
 * cos(pi x / L) plus the current step, to T = 5 ms; error = max over nodes
 * against CN at dt/512 on the same grid. */
static void run_to(RtCable *c, double *V, double dt, int nsteps, int method) {
  size_t sz = sizeof(double) * (size_t)c->n;
  double *g = malloc(sz), *im = malloc(sz), *inj = calloc(1, sz);
  for (int32_t i = 0; i < c->n; i++) V[i] = EL + 0.010 * cos(M_PI * c->pos[i]);
  inj[0] = I0;
  for (int k = 0; k < nsteps; k++) {
    rt_cable_passive(c, GM, EL, V, g, im);
    CU_ASSERT_FATAL(rt_cable_step(c, V, g, im, inj, dt, method));
  }
  free(g);
  free(im);
  free(inj);
}

static void test_time_order(void) {
  RtCable *c = unbranched(L_CAB, D_CAB, 20);
  size_t sz = sizeof(double) * (size_t)c->n;
  double *ref = malloc(sz), *V = malloc(sz);
  const double T = 5e-3, dt0 = 0.2e-3;
  run_to(c, ref, dt0 / 512, 25 * 512, RT_CABLE_CN);
  for (int m = 0; m < 2; m++) {
    double e[4];
    for (int k = 0; k < 4; k++) {
      double dt = dt0 / (1 << k);
      run_to(c, V, dt, (int)lround(T / dt), m);
      e[k] = 0;
      for (int32_t i = 0; i < c->n; i++) e[k] = fmax(e[k], fabs(V[i] - ref[i]));
    }
    printf("%s  %s: max errors at dt 0.2..0.025 ms (mV)", m ? "" : "\n",
           m ? "CN" : "BE");
    for (int k = 0; k < 4; k++) printf(" %.2e", e[k] * 1e3);
    printf("; orders");
    for (int k = 0; k < 3; k++) {
      double p = log2(e[k] / e[k + 1]);
      printf(" %.3f", p);
      if (m == RT_CABLE_BE) CU_ASSERT(p >= 0.9 && p <= 1.1);
      if (m == RT_CABLE_CN) CU_ASSERT(p >= 1.9 && p <= 2.1);
    }
    printf(" (tol %s)\n", m ? "[1.9, 2.1]" : "[0.9, 1.1]");
  }
  free(ref);
  free(V);
  rt_cable_free(c);
}

/* ---- branched trees -------------------------------------------------------- */

/* Analytic steady state of a Y: parent (L0, d0) with I0 into x = 0, two
 * daughters (Li, di) from its end, all ends sealed.  In each branch
 * V - EL solves v'' = v / lambda^2.  A sealed daughter loads the branch point
 * with G_i = tanh(Li/lambda_i) / R_inf,i; in the parent
 * v(x) = A cosh(x/l0) + B sinh(x/l0) with B = -I0 R0 (the current at x = 0)
 * and -v'(L0)/r_a0 = (G1 + G2) v(L0) (current conservation at the branch
 * point):  A = I0 R0 (G0 c + GL s) / (G0 s + GL c), c, s = cosh, sinh(L0/l0),
 * G0 = 1/R0.  Daughter i: v = v(L0) cosh((Li - y)/li) / cosh(Li/li). */
typedef struct {
  double L[3], d[3];
} Y;

static double y_analytic(const Y *y, int br, double xs) {
  double l0 = lambda_dc(y->d[0]), R0 = rinf(y->d[0]), G0 = 1 / R0;
  double GL = 0;
  for (int i = 1; i <= 2; i++) GL += tanh(y->L[i] / lambda_dc(y->d[i])) / rinf(y->d[i]);
  double X = y->L[0] / l0, c = cosh(X), s = sinh(X);
  double A = I0 * R0 * (G0 * c + GL * s) / (G0 * s + GL * c), B = -I0 * R0;
  if (br == 0) return A * cosh(xs / l0) + B * sinh(xs / l0);
  double vb = A * c + B * s, li = lambda_dc(y->d[br]);
  return vb * cosh((y->L[br] - xs) / li) / cosh(y->L[br] / li);
}

/* Largest relative error of the simulated Y (h about 2 um) against
 * y_analytic at every node, and the deflection at x = 0. */
static double y_error(const Y *y, double *v0) {
  RtCableSection s[3];
  for (int i = 0; i < 3; i++)
    s[i] = (RtCableSection){.length = y->L[i], .diam = y->d[i], .parent = i ? 0 : -1,
                            .parent_x = 1, .nseg = (int32_t)ceil(y->L[i] / (2 * UM))};
  char err[256];
  RtCable *c = rt_cable_build(s, 3, RA, CM, err, sizeof err);
  CU_ASSERT_FATAL(c != NULL);
  double *V = malloc(sizeof *V * (size_t)c->n);
  CU_ASSERT_FATAL(steady(c, 0, V));
  double worst = 0;
  for (int32_t i = 0; i < c->n; i++) {
    int br = c->sec[i];
    double a = y_analytic(y, br, c->pos[i] * y->L[br]);
    worst = fmax(worst, fabs(V[i] - EL - a) / a);
  }
  *v0 = V[0] - EL;
  free(V);
  rt_cable_free(c);
  return worst;
}

/* Equivalent cylinder of diameter d and electrotonic length X: V(0) - EL. */
static double eqcyl_v0(double d, double X) { return I0 * rinf(d) / tanh(X); }

static void test_rall(void) {
  /* obeys the 3/2 rule: d1 = d2 = d0 / 2^(2/3), equal electrotonic lengths */
  double d0 = 2 * UM, d1 = d0 / cbrt(4.0), l0 = lambda_dc(d0), l1 = lambda_dc(d1);
  Y rall = {{300 * UM, 0.6 * l1, 0.6 * l1}, {d0, d1, d1}};
  double v0, e = y_error(&rall, &v0);
  double X = rall.L[0] / l0 + 0.6, veq = eqcyl_v0(d0, X);
  /* along the parent and daughters too: v = I0 R0 cosh(X - x/l) / sinh(X) */
  double de = fabs(v0 - veq) / veq;
  double ya = fabs(y_analytic(&rall, 0, 0) - veq) / veq;
  printf("\n  Rall Y (3/2 rule): vs equivalent cylinder at x=0 %.2e (tol 1e-3), "
         "analytic Y vs cylinder %.1e, all nodes vs analytic Y %.2e (tol 1e-3)\n",
         de, ya, e);
  CU_ASSERT(de < 1e-3);
  CU_ASSERT(ya < 1e-12);
  CU_ASSERT(e < 1e-3);
  /* points on a daughter lie on the equivalent cylinder at X0 + y/l1 */
  double ym = 0.5 * rall.L[1], vy = y_analytic(&rall, 1, ym);
  double vcyl = I0 * rinf(d0) * cosh(X - (rall.L[0] / l0 + ym / l1)) / sinh(X);
  CU_ASSERT(fabs(vy - vcyl) <= 1e-12 * vcyl);

  /* violates it: daughters as thick as the parent */
  Y fat = {{300 * UM, 0.6 * l0, 0.6 * l0}, {d0, d0, d0}};
  double vf, ef = y_error(&fat, &vf);
  double dev = fabs(vf - eqcyl_v0(d0, fat.L[0] / l0 + 0.6)) / eqcyl_v0(d0, X);
  printf("  non-Rall Y (d1 = d2 = d0): differs from the equivalent cylinder by %.1f %% "
         "(must be > 1 %%), all nodes vs analytic Y %.2e (tol 1e-3)\n",
         100 * dev, ef);
  CU_ASSERT(dev > 1e-2);
  CU_ASSERT(ef < 1e-3);

  /* asymmetric Y */
  Y asym = {{250 * UM, 200 * UM, 400 * UM}, {2 * UM, 1.5 * UM, 0.5 * UM}};
  double va, ea = y_error(&asym, &va);
  printf("  asymmetric Y: all nodes vs analytic Y %.2e (tol 1e-3)\n", ea);
  CU_ASSERT(ea < 1e-3);
}

/* Ball and stick: R_in = 1 / (gm A_soma + tanh(L/lambda) / R_inf). */
static void test_ball_and_stick(void) {
  RtCableSection s[2] = {
      {.name = "soma", .shape = RT_CABLE_SPHERE, .diam = 20 * UM, .parent = -1},
      {.name = "dend", .length = 800 * UM, .diam = 2 * UM, .parent = 0, .parent_x = 0.5,
       .nseg = 400},
  };
  char err[256];
  RtCable *c = rt_cable_build(s, 2, RA, CM, err, sizeof err);
  CU_ASSERT_FATAL(c != NULL);
  double *V = malloc(sizeof *V * (size_t)c->n);
  CU_ASSERT_FATAL(steady(c, 0, V));
  double rin = (V[0] - EL) / I0;
  double want = 1 / (GM * M_PI * 400e-12 + tanh(800 * UM / lambda_dc(2 * UM)) / rinf(2 * UM));
  printf("\n  ball and stick: R_in %.4f MOhm vs %.4f, rel err %.2e (tol 1e-3)\n", rin * 1e-6,
         want * 1e-6, fabs(rin - want) / want);
  CU_ASSERT(fabs(rin - want) < 1e-3 * want);
  free(V);
  rt_cable_free(c);
}

/* ---- d_lambda -------------------------------------------------------------- */

/* By hand (NEURON: lambda_f = 1e5 sqrt(diam / (4 pi f Ra cm)) um):
 *   d 1 um, Ra 100 ohm*cm, cm 1 uF/cm^2: lambda_100 = 1e5 sqrt(1/(4 pi 1e4))
 *     = 282.0948 um; L 1000 um, d_lambda 0.1: L/(0.1 lambda) = 35.449,
 *     int((35.449 + 0.9)/2) = 18 -> nseg 37;  d_lambda 0.3: 11.816 -> 13
 *   L 200 um, d 2 um, Ra 150, cm 1: lambda = 325.735 um, ratio 6.140 -> 7
 *   L 10 um (d 1, Ra 100): ratio 0.354 -> 1
 *   L 5000 um, d 0.2 um, Ra 200, cm 2, d_lambda 0.05: lambda = 63.0783 um,
 *     ratio 1585.33 -> 1587 */
static void test_d_lambda(void) {
  double lam = rt_cable_lambda_f(1 * UM, RA, CM, 100);
  printf("\n  lambda_100(1 um, 100 ohm cm, 1 uF/cm2) = %.4f um (hand 282.0948)\n", lam / UM);
  CU_ASSERT(fabs(lam - 282.09479177387817 * UM) < 1e-12 * lam);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1000 * UM, 1 * UM, RA, CM, 0.1), 37);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1000 * UM, 1 * UM, RA, CM, 0.3), 13);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(200 * UM, 2 * UM, 1.5, CM, 0.1), 7);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(10 * UM, 1 * UM, RA, CM, 0.1), 1);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(5000 * UM, 0.2 * UM, 2.0, 0.02, 0.05), 1587);
  /* NEURON's rounding: a ratio up to 1.1 still gives 1, 1.1 and above 3 */
  double l = rt_cable_lambda_f(1 * UM, RA, CM, 100);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1.09 * 0.1 * l, 1 * UM, RA, CM, 0.1), 1);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1.11 * 0.1 * l, 1 * UM, RA, CM, 0.1), 3);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(-1, 1 * UM, RA, CM, 0.1), -1);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1e-3, 1 * UM, RA, CM, 0), -1);
  CU_ASSERT_EQUAL(rt_cable_nseg_d_lambda(1e30, 1 * UM, RA, CM, 0.1), -1);
  /* over sections: the soma is left alone, a frustum uses its mean diameter */
  RtCableSection s[3] = {
      {.shape = RT_CABLE_SPHERE, .diam = 20 * UM, .parent = -1, .nseg = 5},
      {.length = 1000 * UM, .diam = 1 * UM, .parent = 0},
      {.length = 1000 * UM, .diam = 1.5 * UM, .diam1 = 0.5 * UM, .parent = 1, .parent_x = 1},
  };
  char err[256];
  CU_ASSERT(rt_cable_d_lambda(s, 3, RA, CM, 0.1, err, sizeof err));
  CU_ASSERT_EQUAL(s[0].nseg, 5);
  CU_ASSERT_EQUAL(s[1].nseg, 37);
  CU_ASSERT_EQUAL(s[2].nseg, 37);
  s[2].length = 0;
  CU_ASSERT(!rt_cable_d_lambda(s, 3, RA, CM, 0.1, err, sizeof err));
  CU_ASSERT(strstr(err, "section 2") != NULL);
}

/* ---- errors ---------------------------------------------------------------- */

static void expect_error(RtCableSection *s, int32_t n, const char *want) {
  char err[256] = "";
  RtCable *c = rt_cable_build(s, n, RA, CM, err, sizeof err);
  CU_ASSERT(c == NULL);
  if (!strstr(err, want)) {
    printf("\n  expected \"%s\" in \"%s\"\n", want, err);
    CU_FAIL("wrong message");
  }
  rt_cable_free(c);
}

static void test_errors(void) {
  RtCableSection ok[4] = {
      {.name = "soma", .length = 20 * UM, .diam = 20 * UM, .parent = -1, .nseg = 1},
      {.name = "a", .length = 100 * UM, .diam = 1 * UM, .parent = 0, .parent_x = 1, .nseg = 5},
      {.name = "b", .length = 100 * UM, .diam = 1 * UM, .parent = 1, .parent_x = 1, .nseg = 5},
      {.name = "c", .length = 100 * UM, .diam = 1 * UM, .parent = 2, .parent_x = 1, .nseg = 5},
  };
  RtCableSection s[4];
  char err[256];
  RtCable *c = rt_cable_build(ok, 4, RA, CM, err, sizeof err);
  CU_ASSERT(c != NULL);
  rt_cable_free(c);
#define CASE(field, value, msg)          \
  do {                                   \
    memcpy(s, ok, sizeof ok);            \
    s[2].field = value;                  \
    expect_error(s, 4, msg);             \
  } while (0)
  CASE(length, 0, "section 2 (b): length must be positive");
  CASE(length, -1e-6, "section 2 (b): length must be positive");
  CASE(length, NAN, "section 2 (b): length");
  CASE(diam, 0, "section 2 (b): diameter must be positive");
  CASE(diam, INFINITY, "section 2 (b): diameter");
  CASE(diam1, -1e-6, "section 2 (b): end diameter");
  CASE(nseg, 0, "section 2 (b): needs at least one segment");
  CASE(parent, 7, "section 2 (b): parent 7 is not a section");
  CASE(parent, -1, "only section 0 may be a root");
  CASE(parent, 2, "section 2 (b): is its own parent");
  CASE(parent_x, 1.5, "section 2 (b): attachment position");
  CASE(shape, RT_CABLE_SPHERE, "section 2 (b): only section 0");
  CASE(shape, 9, "section 2 (b): unknown shape");
#undef CASE
  memcpy(s, ok, sizeof ok);
  s[2].name = NULL;
  s[2].length = 0;
  expect_error(s, 4, "section 2: length");
  /* a cycle 1 -> 3 -> 2 -> 1 that never reaches the root */
  memcpy(s, ok, sizeof ok);
  s[1].parent = 3;
  expect_error(s, 4, "form a cycle");
  memcpy(s, ok, sizeof ok);
  s[0].parent = 1;
  expect_error(s, 4, "section 0 (soma): section 0 is the root");
  expect_error(ok, 0, "at least one section");
  expect_error(NULL, 3, "at least one section");
  CU_ASSERT(rt_cable_build(ok, 4, 0, CM, err, sizeof err) == NULL);
  CU_ASSERT(strstr(err, "Ra") != NULL);
  CU_ASSERT(rt_cable_build(ok, 4, RA, NAN, err, sizeof err) == NULL);
  CU_ASSERT(strstr(err, "Cm") != NULL);
  rt_cable_free(rt_cable_build(ok, 1, RA, CM, NULL, 0));
  CU_ASSERT(rt_cable_build(s, 4, RA, CM, NULL, 0) == NULL);
  /* steps with bad arguments and a singular steady state fail cleanly */
  c = unbranched(L_CAB, D_CAB, 10);
  double V[11];
  for (int i = 0; i < 11; i++) V[i] = EL;
  CU_ASSERT(!rt_cable_step(c, V, NULL, NULL, NULL, 0, RT_CABLE_BE));
  CU_ASSERT(!rt_cable_step(c, V, NULL, NULL, NULL, NAN, RT_CABLE_CN));
  CU_ASSERT(!rt_cable_step(c, V, NULL, NULL, NULL, 1e-5, 7));
  CU_ASSERT(!rt_cable_steady(c, V, NULL, NULL, NULL)); /* no membrane: singular */
  CU_ASSERT(rt_cable_step(c, V, NULL, NULL, NULL, 1e-5, RT_CABLE_CN));
  for (int i = 0; i < 11; i++) CU_ASSERT(V[i] == EL); /* nothing moves */
  rt_cable_free(c);
  rt_cable_free(NULL);
}

/* ---- lanes: many identical trees side by side -------------------------------- */

/* rt_cable_step_lanes on L lanes of a branched tree (soma sphere, three
 * sections, a stimulus at a branch point) with different V, g, im and
 * stimulus per lane equals rt_cable_step lane by lane, BE and CN, to 1e-13
 * of the step (the largest difference over the largest step); a lane whose V is not finite makes it return false.  L = 5
 * takes the generic path, L = 16 the one compiled for the host's vector
 * width (rt_cable.c).  Returns the worst relative difference. */
static double lanes_case(int L) {
  RtCableSection secs[4] = {
      {.name = "soma", .shape = RT_CABLE_SPHERE, .diam = 20 * UM, .parent = -1},
      {.name = "a", .length = 200 * UM, .diam = 2 * UM, .parent = 0, .parent_x = 1, .nseg = 7},
      {.name = "b", .length = 150 * UM, .diam = 1 * UM, .parent = 1, .parent_x = 1, .nseg = 5},
      {.name = "c", .length = 100 * UM, .diam = 1.5 * UM, .diam1 = 0.5 * UM, .parent = 1, .parent_x = 0.4, .nseg = 4},
  };
  char err[256];
  RtCable *c = rt_cable_build(secs, 4, RA, CM, err, sizeof err);
  CU_ASSERT_FATAL(c != NULL);
  int32_t n = c->n, at = rt_cable_node(c, 1, 1.0);
  size_t nl = (size_t)n * (size_t)L;
  double *V = malloc(sizeof *V * nl), *g = malloc(sizeof *g * nl), *im = malloc(sizeof *im * nl);
  double *d = malloc(sizeof *d * nl), *b = malloc(sizeof *b * nl), *Vref = malloc(sizeof *Vref * nl);
  double *V0 = malloc(sizeof *V0 * nl), *amps = malloc(sizeof *amps * (size_t)L);
  double *V1 = malloc(sizeof *V1 * (size_t)n), *g1 = malloc(sizeof *g1 * (size_t)n);
  double *im1 = malloc(sizeof *im1 * (size_t)n), *inj = calloc((size_t)n, sizeof *inj);
  double worst = 0;
  for (int l = 0; l < L; l++) amps[l] = 3e-11 * (1 + l); /* a different current per lane */
  for (int method = RT_CABLE_BE; method <= RT_CABLE_CN; method++) {
    srand(7);
    for (size_t i = 0; i < nl; i++) {
      V[i] = EL + 0.02 * rand() / RAND_MAX;
      g[i] = GM * (1 + 10.0 * rand() / RAND_MAX);
      im[i] = 0.05 * (rand() / (double)RAND_MAX - 0.5);
    }
    for (int l = 0; l < L; l++) {
      for (int32_t i = 0; i < n; i++) {
        V1[i] = V[i * L + l];
        g1[i] = g[i * L + l];
        im1[i] = im[i * L + l];
      }
      inj[at] = amps[l];
      CU_ASSERT_FATAL(rt_cable_step(c, V1, g1, im1, inj, 2.5e-5, method));
      for (int32_t i = 0; i < n; i++) Vref[i * L + l] = V1[i];
    }
    memcpy(V0, V, sizeof *V0 * nl);
    CU_ASSERT_FATAL(rt_cable_step_lanes(c, L, V, g, im, 1, &at, amps, 2.5e-5, method, d, b));
    /* normwise: the largest difference over the largest step */
    double dmax = 0, smax = 0;
    for (size_t i = 0; i < nl; i++) {
      dmax = fmax(dmax, fabs(V[i] - Vref[i]));
      smax = fmax(smax, fabs(Vref[i] - V0[i]));
    }
    worst = fmax(worst, dmax / smax);
  }
  V[3 * L + 2] = NAN;
  CU_ASSERT(!rt_cable_step_lanes(c, L, V, g, im, 0, NULL, NULL, 2.5e-5, RT_CABLE_CN, d, b));
  CU_ASSERT(!rt_cable_step_lanes(c, L, V, g, im, 0, NULL, NULL, 0, RT_CABLE_CN, d, b));
  CU_ASSERT(!rt_cable_step_lanes(c, 0, V, g, im, 0, NULL, NULL, 2.5e-5, RT_CABLE_CN, d, b));
  free(V); free(g); free(im); free(d); free(b); free(Vref); free(V0); free(amps);
  free(V1); free(g1); free(im1); free(inj);
  rt_cable_free(c);
  return worst;
}

static void test_lanes(void) {
  double w5 = lanes_case(5), w16 = lanes_case(16);
  printf("\n  lanes vs one tree at a time: %.2g (5 lanes), %.2g (16) of the step (tolerance 1e-13)\n", w5, w16);
  CU_ASSERT(w5 <= 1e-13);
  CU_ASSERT(w16 <= 1e-13);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("cable", NULL, NULL);
  if (!s) return 2;
  if (!CU_add_test(s, "hines solver vs dense elimination", test_hines_dense) ||
      !CU_add_test(s, "tree geometry, Hines order, frustum", test_build_geometry) ||
      !CU_add_test(s, "steady state vs validation set", test_steady_reference) ||
      !CU_add_test(s, "charging curve vs validation set", test_charging_reference) ||
      !CU_add_test(s, "spatial order 2", test_spatial_order) ||
      !CU_add_test(s, "BE order 1, CN order 2", test_time_order) ||
      !CU_add_test(s, "Y trees: Rall's 3/2 rule, analytic tree", test_rall) ||
      !CU_add_test(s, "ball and stick", test_ball_and_stick) ||
      !CU_add_test(s, "d_lambda rule", test_d_lambda) ||
      !CU_add_test(s, "bad sections give messages", test_errors) ||
      !CU_add_test(s, "lanes: identical trees side by side", test_lanes))
    return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
