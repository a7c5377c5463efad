/* examples/kernels/hh_neuron.c — a Hodgkin–Huxley point neuron driven
 * through the channel kernels of `msnc kernel stdlib/hh.msn`, loaded at run
 * time with dlopen() the way a simulator loads a plug-in.
 *
 *   msnc kernel stdlib/hh.msn -o libhh.so       # writes libhh.so and hh.h
 *   cc -std=c99 -O2 -ffp-contract=off -I. examples/kernels/hh_neuron.c -o hh_neuron -ldl
 *   ./hh_neuron ./libhh.so [I_ext [dt [duration]]]    # uA/cm^2, ms, ms
 *
 * Defaults: 10 uA/cm^2 from 10 ms to 110 ms, dt 0.025 ms, 150 ms, i.e. the
 * run of examples/hh.msn.  Prints the spike times in ms, one per line.
 *
 * The time loop is the staggered scheme of `msnc build` (runtime/
 * rt_integrate.c): the gates live half a step after V.  Each step
 *   1. I, g = sum over channels of NAME_current(V, gates)
 *   2. V <- V + dt f / (1 - dt/2 df/dV),  f = (I_stim - I)/Cm, df/dV = -g/Cm
 *      (Crank–Nicolson linearised in V; I_stim averaged over the step)
 *   3. NAME_state_update(dt, V_new): the gates advance a full step with V
 *      held at the new value, the midpoint of their step.
 * With the same operations in the same order as the code of `msnc build`
 * the spike times agree to the last bit.  (-ffp-contract=off keeps the C
 * compiler from fusing a*b+c into one FMA, which would round differently.)
 *
 * Everything at the kernels' ABI is in SI units (docs/kernel-abi.md).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hh.h" /* generated next to libhh.so: prototypes, typedefs, MsnKernelInfo */

static void *lib;

/* dlsym's void * to a function pointer without a cast ISO C forbids */
static void load(void *fnptr, size_t size, const char *name) {
  void *p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "hh_neuron: %s\n", dlerror());
    exit(1);
  }
  memcpy(fnptr, &p, size);
}
#define LOAD(var, name) load(&(var), sizeof(var), name)

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: hh_neuron LIBHH.so [I_ext uA/cm^2 [dt ms [duration ms]]]\n");
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "hh_neuron: %s\n", dlerror());
    return 1;
  }
  Na_abi_version_fn *na_abi;
  Na_info_fn *na_info;
  Na_init_fn *na_init;
  Na_state_update_fn *na_update;
  Na_current_fn *na_current;
  K_init_fn *k_init;
  K_state_update_fn *k_update;
  K_current_fn *k_current;
  Leak_current_fn *leak_current;
  LOAD(na_abi, "Na_abi_version");
  LOAD(na_info, "Na_info");
  LOAD(na_init, "Na_init");
  LOAD(na_update, "Na_state_update");
  LOAD(na_current, "Na_current");
  LOAD(k_init, "K_init");
  LOAD(k_update, "K_state_update");
  LOAD(k_current, "K_current");
  LOAD(leak_current, "Leak_current");
  if (na_abi() != MSN_KERNEL_ABI_VERSION || na_info()->nstates != 2) {
    fprintf(stderr, "hh_neuron: %s was built for another kernel ABI\n", argv[1]);
    return 1;
  }

  /* SI units: A/m^2, s, F/m^2, V.  The scales are computed as msnc folds
   * them (1 uA/cm^2 = 1e-6 A / 1e-4 m^2), so that the constants are the
   * same doubles as in the compiled model. */
  const double uA_cm2 = 1e-6 / 1e-4, uF_cm2 = 1e-6 / 1e-4, ms = 1e-3;
  const double I_amp = (argc > 2 ? atof(argv[2]) : 10) * uA_cm2;
  const double dt = (argc > 3 ? atof(argv[3]) : 0.025) * ms;
  const double duration = (argc > 4 ? atof(argv[4]) : 150) * ms;
  const double t_on = 10 * ms, t_off = 110 * ms;
  const double Cm = 1 * uF_cm2;
  const double thr = 0.0;     /* spike: V crosses 0 mV upwards */

  /* one compartment: arrays of length 1 (structure of arrays) */
  const int64_t n = 1;
  double V[1] = {-65 * 1e-3}, m[1], h[1], ng[1];
  double I_na[1], g_na[1], I_k[1], g_k[1], I_l[1], g_l[1];
  const double naG = Na_gbar_DEFAULT, naE = Na_E_DEFAULT, kG = K_gbar_DEFAULT, kE = K_E_DEFAULT;
  const double lG = Leak_g_DEFAULT, lE = Leak_E_DEFAULT, celsius = 6.3;

  na_init(n, V, m, h, naG, naE, celsius);
  k_init(n, V, ng, kG, kE, celsius);
  /* the gates start half a step ahead of V */
  na_update(n, 0.5 * dt, V, m, h, naG, naE, celsius);
  k_update(n, 0.5 * dt, V, ng, kG, kE, celsius);

  const double inv_cm = 1.0 / Cm;
  long nsteps = (long)(duration / dt - 1e-9);
  if ((double)nsteps < duration / dt - 1e-9) nsteps++; /* ceil, as the runtime */
  for (long k = 0; k < nsteps; k++) {
    double t = (double)k * dt;
    na_current(n, V, m, h, naG, naE, celsius, I_na, g_na);
    k_current(n, V, ng, kG, kE, celsius, I_k, g_k);
    leak_current(n, V, lG, lE, I_l, g_l);
    /* the stimulus averaged over [t, t + dt] */
    double lo = t > t_on ? t : t_on, hi = t + dt < t_off ? t + dt : t_off;
    double stim = I_amp * ((hi - lo > 0 ? hi - lo : 0) / dt);
    double I = I_na[0] + I_k[0] + I_l[0], g = g_na[0] + g_k[0] + g_l[0];
    double f = (stim - I) * inv_cm, jac = -g * inv_cm;
    double v0 = V[0];
    V[0] = v0 + dt * f / (1.0 - 0.5 * dt * jac);
    if (v0 < thr && V[0] >= thr) { /* linear interpolation, as the runtime */
      double s = (thr - v0) / (V[0] - v0);
      if (!(s >= 0)) s = 0;
      if (s > 1) s = 1;
      printf("%.17g\n", (t + s * dt) / ms);
    }
    na_update(n, dt, V, m, h, naG, naE, celsius);
    k_update(n, dt, V, ng, kG, kE, celsius);
  }
  dlclose(lib);
  return 0;
}
