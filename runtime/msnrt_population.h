/* runtime/msnrt_population.h — the population-model extension of the ABI
 * (MsnModel.population, ABI 4): neural fields and population densities.
 *
 * Such a model's MsnModel is a rates-like model whose states are "slots":
 * the rhs kernel, called for one instance, maps inputs y[k] to outputs
 * dy[k] (all SI, with the run's parameters P and time t):
 *
 *   field:   slot  input          output
 *            0     u              f(u)              the gain
 *            1     u              f'(u)             (derived symbolically)
 *            2     r (m)          w(r)              user kernel (0 otherwise)
 *            3     x (m)          I(x, y, t)        the input term
 *            4     y (m)          u(0)(x, y, xi)    initial value
 *            5     xi in [-1, 1]  tau (s)
 *            6..9  -              a_e, s_e, a_i, s_i   kernel arguments
 *   density: 0     -              mu(t) (V)
 *            1     -              sigma(t) (V)
 *
 * conf holds what is fixed at compile time (MSN_PF_* / MSN_PD_*); a
 * density starts with all its mass at conf[MSN_PD_V0], the cell's V(0). */
#ifndef MSNRT_POPULATION_H
#define MSNRT_POPULATION_H

#include <stdint.h>

#define MSN_POPULATION_VERSION 2 /* 2: conf[MSN_PD_V0], conf[MSN_PF_METHOD] used */
enum { MSN_POP_FIELD = 1, MSN_POP_DENSITY = 2 };
enum { MSN_PF_SLOTS = 10 };
enum { MSN_PF_KIND = 0, MSN_PF_GEOMETRY, MSN_PF_NX, MSN_PF_NY, MSN_PF_LX, MSN_PF_LY, MSN_PF_KERNEL,
       MSN_PF_I_OF_T, MSN_PF_METHOD, MSN_PF_NCONF };
enum { MSN_PD_KIND = 0, MSN_PD_VMIN, MSN_PD_DV, MSN_PD_THETA, MSN_PD_VRESET, MSN_PD_TAU, MSN_PD_TREF,
       MSN_PD_METHOD, MSN_PD_VMAX, MSN_PD_V0, MSN_PD_NCONF };
#define MSN_POP_NCONF 16

typedef struct MsnPopulation {
  int32_t version;      /* MSN_POPULATION_VERSION */
  int32_t kind;         /* MSN_POP_FIELD or MSN_POP_DENSITY */
  int32_t nconf;
  const double *conf;   /* MSN_POP_NCONF values */
} MsnPopulation;

/* runtime/rt_population_run.c: msn_main for a model with population set. */
struct MsnModel;
int msn_population_main(const struct MsnModel *m, int argc, char **argv);

#endif
