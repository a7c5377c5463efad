/* bench/hh_scalar.c — the peer of bench/hh_bench.msn: the same
 * Hodgkin–Huxley computation written as a C programmer would, one scalar
 * loop over structure-of-arrays columns, libm exp/expm1, no intrinsics.
 *
 *   gcc -O3 -o hh_scalar bench/hh_scalar.c -lm
 *   ./hh_scalar [INSTANCES [STEPS]]        (default 100000 1000)
 *
 * The scheme is the one msnc generates for the model (see docs/codegen.md,
 * "step"): gates m, h, n live half a step after V.  After the initial
 * values (gates at their steady state for V(0)) the gates are advanced by
 * dt/2; then each step
 *   1. V: Crank–Nicolson on the membrane current linearised in V,
 *        V += dt f / (1 + dt/2 g/Cm),  f = (I_ext - I_ion)/Cm,
 *        g = gNa m^3 h + gK n^4 + gL  (= -Cm dI/dV with m, h, n fixed),
 *      I_ext averaged over [t, t+dt];
 *   2. spike when V crosses 0 upwards (time by linear interpolation);
 *   3. m, h, n: exact exponential update over dt with rates at the new V,
 *        x = x_inf + (x - x_inf) exp(-(alpha + beta) dt).
 * Everything is in SI units (V, s, S/m^2, F/m^2, A/m^2) like the generated
 * code, so that both compute the same numbers up to rounding.
 *
 * Output (one "key value" per line, read by bench/run.sh):
 *   wall_s, ns_per_neuron_step, V0_mV (final V of instance 0), V_sum_mV,
 *   spikes, first_spike_ms (first spike of instance 0).
 * The timed region is allocation, initial values and the time loop, like
 * "wall_time_s" of the generated program's run.json. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* stdlib/hh.msn and examples/hh.msn in SI */
#define CM 0.01          /* 1 uF/cm^2 in F/m^2 */
#define G_NA 1200.0      /* 120 mS/cm^2 in S/m^2 */
#define E_NA 0.050
#define G_K 360.0
#define E_K (-0.077)
#define G_L 3.0
#define E_L (-0.054387)
#define I_EXT 0.1        /* 10 uA/cm^2 in A/m^2 */
#define I_START 0.010    /* stimulus during [10 ms, 110 ms] */
#define I_STOP 0.110
#define V_INIT (-0.065)
#define CELSIUS 6.3
#define THRESHOLD 0.0

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* x / (exp(x) - 1), finite at x = 0 */
static double exprelr(double x) { return x == 0.0 ? 1.0 : x / expm1(x); }

/* Rates in 1/s at V in volts, scaled by the temperature factor phi. */
typedef struct Rates { double am, bm, ah, bh, an, bn; } Rates;

static Rates rates(double v, double phi) {
  Rates r;
  r.am = phi * 1000.0 * exprelr(-(v + 0.040) / 0.010);
  r.bm = phi * 4000.0 * exp(-(v + 0.065) / 0.018);
  r.ah = phi * 70.0 * exp(-(v + 0.065) / 0.020);
  r.bh = phi * 1000.0 / (1.0 + exp(-(v + 0.035) / 0.010));
  r.an = phi * 100.0 * exprelr(-(v + 0.055) / 0.010);
  r.bn = phi * 125.0 * exp(-(v + 0.065) / 0.080);
  return r;
}

static double gate(double x, double a, double b, double h) {
  double inf = a / (a + b);
  return inf + (x - inf) * exp(-(a + b) * h);
}

static void *column(long n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, (size_t)n * sizeof(double)) != 0) {
    fprintf(stderr, "hh_scalar: out of memory\n");
    exit(1);
  }
  return p;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  long steps = argc > 2 ? atol(argv[2]) : 1000;
  if (n < 1 || steps < 1) {
    fprintf(stderr, "usage: hh_scalar [INSTANCES [STEPS]]\n");
    return 2;
  }
  const double dt = 0.025e-3;
  const double phi = pow(3.0, (CELSIUS - 6.3) / 10.0);

  double t0 = now();
  double *V = column(n), *m = column(n), *h = column(n), *nn = column(n);
  long nspikes = 0;
  double first_spike = -1;

  /* initial values, then the gates half a step ahead */
  for (long i = 0; i < n; i++) {
    Rates r = rates(V_INIT, phi);
    V[i] = V_INIT;
    m[i] = r.am / (r.am + r.bm);
    h[i] = r.ah / (r.ah + r.bh);
    nn[i] = r.an / (r.an + r.bn);
    m[i] = gate(m[i], r.am, r.bm, 0.5 * dt);
    h[i] = gate(h[i], r.ah, r.bh, 0.5 * dt);
    nn[i] = gate(nn[i], r.an, r.bn, 0.5 * dt);
  }

  for (long k = 0; k < steps; k++) {
    double t = (double)k * dt;
    /* the stimulus averaged over [t, t + dt] */
    double lo = t > I_START ? t : I_START, hi = t + dt < I_STOP ? t + dt : I_STOP;
    double iext = I_EXT * (hi > lo ? (hi - lo) / dt : 0.0);
    for (long i = 0; i < n; i++) {
      double v = V[i], mi = m[i], hi_ = h[i], ni = nn[i];
      double gna = G_NA * mi * mi * mi * hi_, gk = G_K * ni * ni * ni * ni;
      double iion = gna * (v - E_NA) + gk * (v - E_K) + G_L * (v - E_L);
      double f = (iext - iion) / CM;
      double vn = v + dt * f / (1.0 + 0.5 * dt * (gna + gk + G_L) / CM);
      V[i] = vn;
      if (v < THRESHOLD && vn >= THRESHOLD) {
        nspikes++;
        if (i == 0 && first_spike < 0) first_spike = t + (THRESHOLD - v) / (vn - v) * dt;
      }
      Rates r = rates(vn, phi);
      m[i] = gate(mi, r.am, r.bm, dt);
      h[i] = gate(hi_, r.ah, r.bh, dt);
      nn[i] = gate(ni, r.an, r.bn, dt);
    }
  }
  double wall = now() - t0;

  double sum = 0;
  for (long i = 0; i < n; i++) sum += V[i];
  printf("instances %ld\nsteps %ld\nwall_s %.6f\nns_per_neuron_step %.3f\n", n, steps, wall,
         wall / ((double)n * (double)steps) * 1e9);
  printf("V0_mV %.12g\nV_sum_mV %.12g\nspikes %ld\nfirst_spike_ms %.10g\n", V[0] * 1e3,
         sum * 1e3, nspikes, first_spike * 1e3);
  free(V);
  free(m);
  free(h);
  free(nn);
  return 0;
}
