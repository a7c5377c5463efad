/* bench/kernel/hh_scalar_kernel.c — the peer of `msnc kernel stdlib/hh.msn`:
 * the same Hodgkin–Huxley channel kernels with the same C ABI
 * (docs/kernel-abi.md), written as a C programmer would: one plain scalar
 * loop per function, libm exp/expm1, no intrinsics, no pragmas.
 *
 *   gcc -O3 -shared -fPIC -o libhh_scalar.so bench/kernel/hh_scalar_kernel.c -lm
 *
 * bench/kernel/bench_kernel.c loads either library with dlopen and times
 * the same calls.  The gates use the exact exponential update
 *   x <- x_inf + (x - x_inf) exp(-(alpha + beta) dt),
 * the msnc kernels the algebraically equal x + dt (a + b x) phi1(b dt); both
 * in SI units, so they compute the same numbers up to rounding.
 * Only what the benchmark calls is defined (Leak has no states). */
#include <math.h>
#include <stdint.h>

/* x / (exp(x) - 1), finite at x = 0 */
static double exprelr(double x) { return x == 0.0 ? 1.0 : x / expm1(x); }
static double q10(double celsius) { return pow(3.0, (celsius - 6.3) / 10.0); }

static double am(double v) { return 1000.0 * exprelr(-(v + 0.040) / 0.010); }
static double bm(double v) { return 4000.0 * exp(-(v + 0.065) / 0.018); }
static double ah(double v) { return 70.0 * exp(-(v + 0.065) / 0.020); }
static double bh(double v) { return 1000.0 / (1.0 + exp(-(v + 0.035) / 0.010)); }
static double an(double v) { return 100.0 * exprelr(-(v + 0.055) / 0.010); }
static double bn(double v) { return 125.0 * exp(-(v + 0.065) / 0.080); }

static double step(double x, double a, double b, double dt) {
  double inf = a / (a + b);
  return inf + (x - inf) * exp(-(a + b) * dt);
}

void Na_init(int64_t n, const double *restrict V, double *restrict m, double *restrict h,
             double gbar, double E, double celsius) {
  (void)gbar, (void)E, (void)celsius;
  for (int64_t i = 0; i < n; i++) {
    double v = V[i];
    m[i] = am(v) / (am(v) + bm(v));
    h[i] = ah(v) / (ah(v) + bh(v));
  }
}

void Na_state_update(int64_t n, double dt, const double *restrict V, double *restrict m,
                     double *restrict h, double gbar, double E, double celsius) {
  (void)gbar, (void)E;
  double phi = q10(celsius);
  for (int64_t i = 0; i < n; i++) {
    double v = V[i];
    m[i] = step(m[i], phi * am(v), phi * bm(v), dt);
    h[i] = step(h[i], phi * ah(v), phi * bh(v), dt);
  }
}

void Na_current(int64_t n, const double *restrict V, const double *restrict m, const double *restrict h,
                double gbar, double E, double celsius, double *restrict I, double *restrict g) {
  (void)celsius;
  for (int64_t i = 0; i < n; i++) {
    double gna = gbar * m[i] * m[i] * m[i] * h[i];
    I[i] = gna * (V[i] - E);
    g[i] = gna;
  }
}

void K_init(int64_t n, const double *restrict V, double *restrict ng, double gbar, double E, double celsius) {
  (void)gbar, (void)E, (void)celsius;
  for (int64_t i = 0; i < n; i++) ng[i] = an(V[i]) / (an(V[i]) + bn(V[i]));
}

void K_state_update(int64_t n, double dt, const double *restrict V, double *restrict ng, double gbar,
                    double E, double celsius) {
  (void)gbar, (void)E;
  double phi = q10(celsius);
  for (int64_t i = 0; i < n; i++) ng[i] = step(ng[i], phi * an(V[i]), phi * bn(V[i]), dt);
}

void K_current(int64_t n, const double *restrict V, const double *restrict ng, double gbar, double E,
               double celsius, double *restrict I, double *restrict g) {
  (void)celsius;
  for (int64_t i = 0; i < n; i++) {
    double n2 = ng[i] * ng[i], gk = gbar * n2 * n2;
    I[i] = gk * (V[i] - E);
    g[i] = gk;
  }
}

void Leak_current(int64_t n, const double *restrict V, double gl, double E, double *restrict I,
                  double *restrict g) {
  for (int64_t i = 0; i < n; i++) {
    I[i] = gl * (V[i] - E);
    g[i] = gl;
  }
}
