/* bench/kernel/bench_kernel.c — times the HH channel kernels of a library
 * with the ABI of docs/kernel-abi.md (the one `msnc kernel stdlib/hh.msn`
 * writes, or bench/kernel/hh_scalar_kernel.c compiled with gcc).
 *
 *   bench_kernel LIB.so [COMPARTMENTS [STEPS]]      (default 100000 1000)
 *
 * COMPARTMENTS independent HH point neurons with stimuli spread over 0 ..
 * 20 uA/cm^2, dt 0.025 ms, the staggered scheme of examples/kernels/
 * hh_neuron.c.  Timed: the five kernel calls of each step (Na, K, Leak
 * current; Na, K state_update) with clock_gettime around them; the V update
 * of the driver (the same code for every library) is not.  Prints
 *   ns_per_compartment_step, V_sum_mV (after the last step), spikes
 * one "key value" a line, for bench/kernel/run.sh. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void NaInit(int64_t, const double *, double *, double *, double, double, double);
typedef void NaUpdate(int64_t, double, const double *, double *, double *, double, double, double);
typedef void NaCurrent(int64_t, const double *, const double *, const double *, double, double, double,
                       double *, double *);
typedef void KInit(int64_t, const double *, double *, double, double, double);
typedef void KUpdate(int64_t, double, const double *, double *, double, double, double);
typedef void KCurrent(int64_t, const double *, const double *, double, double, double, double *, double *);
typedef void LeakCurrent(int64_t, const double *, double, double, double *, double *);

static void *lib;
static void load(void *fp, size_t size, const char *name) {
  void *p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "bench_kernel: %s\n", dlerror());
    exit(1);
  }
  memcpy(fp, &p, size);
}
#define LOAD(v, name) load(&(v), sizeof(v), name)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double *column(int64_t n) {
  double *c = aligned_alloc(64, (size_t)((n * 8 + 63) / 64 * 64));
  if (!c) {
    fprintf(stderr, "bench_kernel: out of memory\n");
    exit(1);
  }
  return c;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_kernel LIB.so [COMPARTMENTS [STEPS]]\n");
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "bench_kernel: %s\n", dlerror());
    return 1;
  }
  int64_t n = argc > 2 ? atoll(argv[2]) : 100000;
  long steps = argc > 3 ? atol(argv[3]) : 1000;
  NaInit *na_init;
  NaUpdate *na_update;
  NaCurrent *na_current;
  KInit *k_init;
  KUpdate *k_update;
  KCurrent *k_current;
  LeakCurrent *leak_current;
  LOAD(na_init, "Na_init");
  LOAD(na_update, "Na_state_update");
  LOAD(na_current, "Na_current");
  LOAD(k_init, "K_init");
  LOAD(k_update, "K_state_update");
  LOAD(k_current, "K_current");
  LOAD(leak_current, "Leak_current");

  const double gna = 1200, ena = 0.05, gk = 360, ek = -0.077, gl = 3, el = -0.054387, celsius = 6.3;
  const double dt = 25e-6, cm = 0.01;
  double *V = column(n), *m = column(n), *h = column(n), *ng = column(n), *stim = column(n);
  double *I1 = column(n), *g1 = column(n), *I2 = column(n), *g2 = column(n), *I3 = column(n), *g3 = column(n);
  double *vold = column(n);
  for (int64_t i = 0; i < n; i++) {
    V[i] = -0.065;
    stim[i] = 0.2 * (double)i / (double)(n > 1 ? n - 1 : 1); /* 0 .. 20 uA/cm^2 in A/m^2 */
  }
  na_init(n, V, m, h, gna, ena, celsius);
  k_init(n, V, ng, gk, ek, celsius);
  na_update(n, 0.5 * dt, V, m, h, gna, ena, celsius);
  k_update(n, 0.5 * dt, V, ng, gk, ek, celsius);
  double timed = 0;
  long spikes = 0;
  for (long k = 0; k < steps; k++) {
    double t0 = now();
    na_current(n, V, m, h, gna, ena, celsius, I1, g1);
    k_current(n, V, ng, gk, ek, celsius, I2, g2);
    leak_current(n, V, gl, el, I3, g3);
    timed += now() - t0;
    memcpy(vold, V, (size_t)n * sizeof *V);
    for (int64_t i = 0; i < n; i++) {
      double f = (stim[i] - (I1[i] + I2[i] + I3[i])) / cm, jac = -(g1[i] + g2[i] + g3[i]) / cm;
      V[i] += dt * f / (1.0 - 0.5 * dt * jac);
    }
    for (int64_t i = 0; i < n; i++) spikes += vold[i] < 0 && V[i] >= 0;
    t0 = now();
    na_update(n, dt, V, m, h, gna, ena, celsius);
    k_update(n, dt, V, ng, gk, ek, celsius);
    timed += now() - t0;
  }
  double vsum = 0;
  for (int64_t i = 0; i < n; i++) vsum += V[i];
  printf("ns_per_compartment_step %.4f\n", timed / ((double)n * (double)steps) * 1e9);
  printf("V_sum_mV %.12g\n", vsum * 1e3);
  printf("spikes %ld\n", spikes);
  return 0;
}
