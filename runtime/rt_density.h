/* runtime/rt_density.h — population density (Fokker–Planck) solver for a
 * population of leaky integrate-and-fire neurons in the diffusion
 * approximation.  See docs/density.md.
 *
 *   tau dp/dt = -d/dV[(mu - V) p] + (sigma^2/2) d2p/dV2      on [v_min, theta]
 *   i.e. dp/dt = -dJ/dV,  J = (mu - V) p / tau - (sigma^2 / (2 tau)) dp/dV
 *
 * Boundary conditions: reflecting (J = 0) at v_min, absorbing (p = 0) at
 * theta; the outflux J(theta) is the firing rate r(t) (per neuron, Hz).
 * The mass that leaves through theta waits in a refractory pool for t_ref
 * and is then re-injected at v_reset.  Total probability (grid + pool) is
 * conserved by construction.
 *
 * Everything is SI: V, s, Hz; p is in 1/V.  mu and sigma are given per step
 * (they are the network's input, may change every step); dt may change too.
 *
 * Scheme: cell-centred finite volumes (n cells of width dv, cell i covers
 * [v_min + i dv, v_min + (i+1) dv], the last face is theta), Scharfetter–
 * Gummel fluxes (exact for a drift constant between two nodes, positive),
 * backward Euler or Crank–Nicolson in time, one tridiagonal (Thomas) solve
 * per step (plus a second one, Sherman–Morrison, only when t_ref < dt so that
 * part of this step's outflux re-enters within the same step).  A step
 * allocates nothing unless dt shrank below every earlier dt (the pool's ring
 * buffer then grows).  No function aborts: bad input gives NULL / false /
 * a negative rate and a message.
 */
#ifndef MSN_RT_DENSITY_H
#define MSN_RT_DENSITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RT_DENSITY_BE = 0, RT_DENSITY_CN = 1 };          /* time stepping */
/* Crank–Nicolson's first steps are backward Euler (Rannacher start) */
enum { RT_DENSITY_CN_START = 4 };
enum { RT_DENSITY_DELTA = 0, RT_DENSITY_GAUSSIAN = 1 }; /* initial condition */

typedef struct RtDensityParams {
  /* grid: cells of width dv from v_min up to theta; (theta - v_min) / dv
   * must be an integer (to 1e-6) */
  double v_min, dv;                 /* V */
  double tau;                       /* s: membrane time constant */
  double theta, v_reset;            /* V: threshold, reset (v_min < v_reset < theta) */
  double t_ref;                     /* s: refractory period (>= 0) */
  int32_t method;                   /* RT_DENSITY_BE or RT_DENSITY_CN */
  int32_t init;                     /* RT_DENSITY_DELTA (at v0) or RT_DENSITY_GAUSSIAN */
  double v0, v0_sd;                 /* V: initial position / mean, sd (Gaussian) */
  /* smallest sigma the caller expects (V), for the scale check; 0: unknown,
   * only the threshold-reset part of the check is done */
  double sigma_min;
} RtDensityParams;

/* The solver state.  Fields are read-only for callers. */
typedef struct RtDensity {
  int32_t n;            /* cells */
  double v_min, dv, tau, theta, v_reset, t_ref;
  int32_t method;
  double *m;            /* n: probability mass of each cell (density = m / dv) */
  double t;             /* s: time reached */
  double rate;          /* Hz: mean rate over the last step */
  int64_t steps;
  /* re-injection at v_reset, linear between the two nearest cell centres */
  int32_t k_reset;      /* cells k_reset and k_reset + 1 */
  double w_reset;       /* weight of k_reset + 1 */
  /* refractory pool: ring buffer of outflux packets, one per step:
   * emitted over [t0, t1], re-enters uniformly over [t0 + t_ref, t1 + t_ref] */
  double *pk_t0, *pk_t1, *pk_m, *pk_left;
  int32_t pk_cap, pk_head, pk_len;
  /* scratch (n each) */
  double *lo, *di, *up, *rhs, *y, *z, *cp;
  char err[256];        /* message of the last failed call */
} RtDensity;

/* Build the grid and the initial condition (mass 1 on the grid, empty pool).
 * NULL and a message in err on bad arguments.  warn (may be NULL) receives
 * the scale check's warning, or "" when the grid resolves the scales. */
RtDensity *rt_density_init(const RtDensityParams *p, char *err, size_t errlen, char *warn,
                           size_t warnlen);
void rt_density_free(RtDensity *d);

/* Scale check, also for the compiler: true (and a message with the numbers
 * in buf) when dv > (theta - v_reset)/10 or, for sigma > 0, dv > sigma/4. */
bool rt_density_scale_check(double dv, double theta, double v_reset, double sigma, char *buf,
                            size_t buflen);

/* Advance by dt with drift target mu (V) and noise sigma (V, >= 0) held
 * over the step.  Returns the mean firing rate over the step (Hz; the
 * outflux through theta over the step divided by dt), or NaN with a
 * message in d->err (rt_density_error) for bad arguments or a singular
 * system (the state is then unchanged).  Backward Euler keeps every cell
 * and the rate non-negative; Crank–Nicolson is second order in dt but not
 * positivity preserving (for large D dt / dV^2 a sharp density can give
 * small negative cells, and then rates, that mass conservation accounts). */
double rt_density_step(RtDensity *d, double mu, double sigma, double dt);

/* Total probability: grid + refractory pool (1 up to rounding). */
double rt_density_mass(const RtDensity *d);
/* Mass in the refractory pool only. */
double rt_density_pool(const RtDensity *d);
/* Density p(V) at the n cell centres (1/V) into out. */
void rt_density_p(const RtDensity *d, double *out);
/* Centre of cell i (V). */
double rt_density_v(const RtDensity *d, int32_t i);
/* Message of the last failed call ("" if none). */
const char *rt_density_error(const RtDensity *d);

#ifdef __cplusplus
}
#endif

#endif
