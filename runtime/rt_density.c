/* runtime/rt_density.c — LIF population density (Fokker–Planck) solver.
 * The equations, the scheme and the boundary conditions are described in
 * rt_density.h and docs/density.md. */
#include "rt_density.h"
#include "rt_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MV 1e-3 /* messages print volts in mV, seconds in ms */

/* Bernoulli function B(x) = x / (e^x - 1), B(0) = 1; B(-x) = B(x) + x. */
static double bern(double x) {
  if (fabs(x) < 1e-12) return 1.0 - 0.5 * x;
  if (x > 700.0) return x * exp(-x); /* e^x - 1 would overflow; the value is ~0 */
  return x / expm1(x);
}

bool rt_density_scale_check(double dv, double theta, double v_reset, double sigma, char *buf,
                            size_t buflen) {
  double gap = theta - v_reset;
  if (buf && buflen) buf[0] = '\0';
  if (dv > gap / 10) {
    rt_msg(buf, buflen,
        "density grid too coarse: dV = %g mV > (theta - V_r)/10 = %g mV "
        "(theta - V_r = %g mV needs at least 10 cells)",
        dv / MV, gap / 10 / MV, gap / MV);
    return true;
  }
  if (sigma > 0 && dv > sigma / 4) {
    rt_msg(buf, buflen, "density grid too coarse: dV = %g mV > sigma/4 = %g mV (sigma = %g mV)",
        dv / MV, sigma / 4 / MV, sigma / MV);
    return true;
  }
  return false;
}

void rt_density_free(RtDensity *d) {
  if (!d) return;
  free(d->m);
  free(d->pk_t0);
  free(d->pk_t1);
  free(d->pk_m);
  free(d->pk_left);
  free(d->lo);
  free(d->di);
  free(d->up);
  free(d->rhs);
  free(d->z);
  free(d->y);
  free(d->cp);
  free(d);
}

static bool fin(double x) { return isfinite(x); }

/* Spread mass w at position v over the two cell centres around it
 * (linear), or into the edge cell within half a cell of an end. */
static void deposit(double *m, int32_t n, double v_min, double dv, double v, double w) {
  double s = (v - v_min) / dv - 0.5;
  if (s <= 0) {
    m[0] += w;
    return;
  }
  if (s >= n - 1) {
    m[n - 1] += w;
    return;
  }
  int32_t k = (int32_t)floor(s);
  double f = s - k;
  m[k] += w * (1 - f);
  m[k + 1] += w * f;
}

RtDensity *rt_density_init(const RtDensityParams *p, char *err, size_t errlen, char *warn,
                           size_t warnlen) {
  if (warn && warnlen) warn[0] = '\0';
  if (!p) {
    rt_msg(err, errlen, "density: no parameters");
    return NULL;
  }
  if (!fin(p->v_min) || !fin(p->dv) || !fin(p->tau) || !fin(p->theta) || !fin(p->v_reset) ||
      !fin(p->t_ref) || !fin(p->v0) || !fin(p->v0_sd) || !fin(p->sigma_min)) {
    rt_msg(err, errlen, "density: a parameter is not a finite number");
    return NULL;
  }
  if (p->tau <= 0) {
    rt_msg(err, errlen, "density: tau = %g ms must be positive", p->tau * 1e3);
    return NULL;
  }
  if (p->t_ref < 0) {
    rt_msg(err, errlen, "density: refractory period %g ms must not be negative", p->t_ref * 1e3);
    return NULL;
  }
  if (p->dv <= 0) {
    rt_msg(err, errlen, "density: grid step dV = %g mV must be positive", p->dv / MV);
    return NULL;
  }
  if (!(p->v_min < p->v_reset && p->v_reset < p->theta)) {
    rt_msg(err, errlen,
        "density: need V_min < V_r < theta, got V_min = %g mV, V_r = %g mV, theta = %g mV",
        p->v_min / MV, p->v_reset / MV, p->theta / MV);
    return NULL;
  }
  double cells = (p->theta - p->v_min) / p->dv;
  if (cells > 1e8) {
    rt_msg(err, errlen, "density: %.3g cells (theta - V_min = %g mV, dV = %g mV) is too many",
        cells, (p->theta - p->v_min) / MV, p->dv / MV);
    return NULL;
  }
  int32_t n = (int32_t)lround(cells);
  if (fabs(cells - n) > 1e-6) {
    rt_msg(err, errlen,
        "density: dV = %g mV does not divide theta - V_min = %g mV (%.6g cells); "
        "choose V_min or dV so that the grid ends at theta",
        p->dv / MV, (p->theta - p->v_min) / MV, cells);
    return NULL;
  }
  if (p->theta - p->v_reset < p->dv || p->v_reset - p->v_min < p->dv) {
    rt_msg(err, errlen,
        "density: V_r = %g mV must lie at least one cell (dV = %g mV) inside "
        "[V_min, theta] = [%g, %g] mV",
        p->v_reset / MV, p->dv / MV, p->v_min / MV, p->theta / MV);
    return NULL;
  }
  if (n < 4) {
    rt_msg(err, errlen, "density: %d cells are too few", (int)n);
    return NULL;
  }
  if (p->method != RT_DENSITY_BE && p->method != RT_DENSITY_CN) {
    rt_msg(err, errlen, "density: unknown time-stepping method %d", (int)p->method);
    return NULL;
  }
  if (p->init != RT_DENSITY_DELTA && p->init != RT_DENSITY_GAUSSIAN) {
    rt_msg(err, errlen, "density: unknown initial condition %d", (int)p->init);
    return NULL;
  }
  if (p->init == RT_DENSITY_DELTA && !(p->v0 >= p->v_min && p->v0 <= p->theta)) {
    rt_msg(err, errlen, "density: initial V0 = %g mV lies outside the grid [%g, %g] mV",
        p->v0 / MV, p->v_min / MV, p->theta / MV);
    return NULL;
  }
  if (p->init == RT_DENSITY_GAUSSIAN && p->v0_sd <= 0) {
    rt_msg(err, errlen, "density: initial Gaussian needs sd > 0, got %g mV", p->v0_sd / MV);
    return NULL;
  }
  if (p->sigma_min < 0) {
    rt_msg(err, errlen, "density: sigma_min = %g mV must not be negative", p->sigma_min / MV);
    return NULL;
  }

  RtDensity *d = calloc(1, sizeof *d);
  if (!d) {
    rt_msg(err, errlen, "density: out of memory");
    return NULL;
  }
  d->n = n;
  d->v_min = p->v_min;
  d->dv = p->dv;
  d->tau = p->tau;
  d->theta = p->theta;
  d->v_reset = p->v_reset;
  d->t_ref = p->t_ref;
  d->method = p->method;
  d->pk_cap = 64;
  size_t nn = (size_t)n, pc = (size_t)d->pk_cap;
  d->m = calloc(nn, sizeof *d->m);
  d->lo = calloc(nn, sizeof *d->lo);
  d->di = calloc(nn, sizeof *d->di);
  d->up = calloc(nn, sizeof *d->up);
  d->rhs = calloc(nn, sizeof *d->rhs);
  d->z = calloc(nn, sizeof *d->z);
  d->y = calloc(nn, sizeof *d->y);
  d->cp = calloc(nn, sizeof *d->cp);
  d->pk_t0 = calloc(pc, sizeof *d->pk_t0);
  d->pk_t1 = calloc(pc, sizeof *d->pk_t1);
  d->pk_m = calloc(pc, sizeof *d->pk_m);
  d->pk_left = calloc(pc, sizeof *d->pk_left);
  if (!d->m || !d->lo || !d->di || !d->up || !d->rhs || !d->z || !d->y || !d->cp || !d->pk_t0 ||
      !d->pk_t1 || !d->pk_m || !d->pk_left) {
    rt_density_free(d);
    rt_msg(err, errlen, "density: out of memory (%d cells)", (int)n);
    return NULL;
  }
  /* re-injection weights: linear between the centres around V_r */
  double s = (p->v_reset - p->v_min) / p->dv - 0.5;
  d->k_reset = (int32_t)floor(s);
  if (d->k_reset > n - 2) d->k_reset = n - 2;
  d->w_reset = s - d->k_reset;

  if (p->init == RT_DENSITY_DELTA) {
    deposit(d->m, n, p->v_min, p->dv, p->v0, 1.0);
  } else {
    double tot = 0, c = sqrt(2.0) * p->v0_sd;
    for (int32_t i = 0; i < n; i++) {
      double a = p->v_min + i * p->dv, b = a + p->dv;
      /* erfc on the far side of the mean keeps the tails accurate */
      double w = (a >= p->v0) ? 0.5 * (erfc((a - p->v0) / c) - erfc((b - p->v0) / c))
                              : 0.5 * (erf((b - p->v0) / c) - erf((a - p->v0) / c));
      d->m[i] = w;
      tot += w;
    }
    if (!(tot > 1e-300)) {
      rt_density_free(d);
      rt_msg(err, errlen, "density: the initial Gaussian (%g mV, sd %g mV) misses the grid",
          p->v0 / MV, p->v0_sd / MV);
      return NULL;
    }
    for (int32_t i = 0; i < n; i++) d->m[i] /= tot;
  }
  rt_density_scale_check(p->dv, p->theta, p->v_reset, p->sigma_min, warn, warnlen);
  return d;
}

/* Thomas algorithm: lo[i] (i >= 1), di[i], up[i] (i <= n-2); b -> x.
 * cp is scratch.  false on a zero or non-finite pivot. */
static bool thomas(int32_t n, const double *lo, const double *di, const double *up,
                   const double *b, double *x, double *cp) {
  double piv = di[0];
  if (piv == 0 || !isfinite(piv)) return false;
  cp[0] = up[0] / piv;
  x[0] = b[0] / piv;
  for (int32_t i = 1; i < n; i++) {
    piv = di[i] - lo[i] * cp[i - 1];
    if (piv == 0 || !isfinite(piv)) return false;
    cp[i] = (i < n - 1) ? up[i] / piv : 0;
    x[i] = (b[i] - lo[i] * x[i - 1]) / piv;
  }
  for (int32_t i = n - 2; i >= 0; i--) x[i] -= cp[i] * x[i + 1];
  return true;
}

/* Mass re-entering from the pool during [t, t + dt]; with commit, take it
 * out of the pool (and drop emptied packets). */
static double pool_release(RtDensity *d, double dt, bool commit) {
  double t = d->t, te = t + dt, tol = 1e-9 * dt, out = 0;
  int32_t popped = 0;
  for (int32_t j = 0; j < d->pk_len; j++) {
    int32_t q = (d->pk_head + j) % d->pk_cap;
    double a = d->pk_t0[q] + d->t_ref, b = d->pk_t1[q] + d->t_ref;
    if (a >= te - tol) break; /* this and later packets re-enter later */
    double r;
    if (b <= te + tol) {
      r = d->pk_left[q]; /* the whole rest: nothing is left behind by rounding */
      if (commit && j == popped) popped++;
    } else {
      double from = a > t ? a : t;
      r = d->pk_m[q] * (te - from) / (d->pk_t1[q] - d->pk_t0[q]);
      if (fabs(r) > fabs(d->pk_left[q])) r = d->pk_left[q]; /* never past the packet */
    }
    out += r;
    if (commit) d->pk_left[q] -= r;
  }
  if (commit) {
    d->pk_head = (d->pk_head + popped) % d->pk_cap;
    d->pk_len -= popped;
  }
  return out;
}

/* Make room for one more packet (the ring buffer doubles when full). */
static bool pool_reserve(RtDensity *d) {
  if (d->pk_len < d->pk_cap) return true;
  int32_t cap = d->pk_cap * 2;
  double *a[4] = {d->pk_t0, d->pk_t1, d->pk_m, d->pk_left};
  double *b[4];
  for (int k = 0; k < 4; k++) {
    b[k] = malloc(sizeof(double) * (size_t)cap);
    if (!b[k]) {
      for (int l = 0; l < k; l++) free(b[l]);
      return false;
    }
  }
  for (int k = 0; k < 4; k++) {
    for (int32_t j = 0; j < d->pk_len; j++) b[k][j] = a[k][(d->pk_head + j) % d->pk_cap];
    free(a[k]);
  }
  d->pk_t0 = b[0];
  d->pk_t1 = b[1];
  d->pk_m = b[2];
  d->pk_left = b[3];
  d->pk_cap = cap;
  d->pk_head = 0;
  return true;
}

static void pool_push(RtDensity *d, double t0, double t1, double m, double left) {
  int32_t q = (d->pk_head + d->pk_len) % d->pk_cap;
  d->pk_t0[q] = t0;
  d->pk_t1[q] = t1;
  d->pk_m[q] = m;
  d->pk_left[q] = left;
  d->pk_len++;
}

double rt_density_step(RtDensity *d, double mu, double sigma, double dt) {
  if (!d) return NAN;
  if (!isfinite(mu) || !isfinite(sigma) || !isfinite(dt)) {
    rt_msg(d->err, sizeof d->err, "density step %lld: mu, sigma and dt must be finite",
        (long long)d->steps);
    return NAN;
  }
  if (sigma < 0 || dt <= 0) {
    rt_msg(d->err, sizeof d->err,
        "density step %lld: need sigma >= 0 and dt > 0, got sigma = %g mV, dt = %g ms",
        (long long)d->steps, sigma / MV, dt * 1e3);
    return NAN;
  }
  const int32_t n = d->n;
  const double h = d->dv, D = sigma * sigma / (2 * d->tau);
  /* implicit weight; Crank–Nicolson starts with RT_DENSITY_CN_START backward
   * Euler steps (Rannacher) so that the stiff modes of a delta initial
   * condition are damped instead of ringing with alternating sign */
  const bool cn = d->method == RT_DENSITY_CN && d->steps >= RT_DENSITY_CN_START;
  const double th = cn ? 0.5 : 1.0;
  double *lo = d->lo, *di = d->di, *up = d->up, *rhs = d->rhs, *m = d->m;

  /* K m = dm/dt: row i gets alpha_{i-1}/h m_{i-1} - (beta_{i-1} + alpha_i)/h m_i
   * + beta_i/h m_{i+1}, where the flux through the face above cell i is
   * F_i = (alpha_i m_i - beta_i m_{i+1}) / h (Scharfetter–Gummel with the
   * drift at the face), and F_{n-1} = gamma m_{n-1} / h through theta. */
  double beta_prev = 0, alpha_prev = 0, gamma = 0;
  for (int32_t i = 0; i < n; i++) {
    double alpha, beta;
    if (i < n - 1) {
      double a = (mu - (d->v_min + (i + 1) * h)) / d->tau;
      if (D > 0) {
        double P = a * h / D;
        alpha = D / h * bern(-P);
        beta = D / h * bern(P);
      } else {
        alpha = a > 0 ? a : 0;
        beta = a < 0 ? -a : 0;
      }
    } else {
      /* half a cell from the last centre to theta (p = 0 there), drift
       * taken at the middle of that half cell */
      double a = (mu - (d->theta - 0.25 * h)) / d->tau;
      if (D > 0)
        gamma = 2 * D / h * bern(-a * 0.5 * h / D);
      else
        gamma = a > 0 ? a : 0;
      alpha = gamma;
      beta = 0;
    }
    double kl = alpha_prev / h, kd = -(beta_prev + alpha) / h, ku = beta / h;
    lo[i] = -th * dt * kl;
    di[i] = 1 - th * dt * kd;
    up[i] = -th * dt * ku;
    double ex = (1 - th) * dt;
    rhs[i] = m[i] + ex * (kd * m[i] + (i > 0 ? kl * m[i - 1] : 0) + (i < n - 1 ? ku * m[i + 1] : 0));
    alpha_prev = alpha;
    beta_prev = beta;
  }
  const double g = gamma / h; /* outflux rate of the last cell's mass, 1/s */

  /* re-injection: from the pool, plus the fraction f of this step's own
   * outflux that re-enters within the step when t_ref < dt */
  double R = pool_release(d, dt, false);
  double f = (dt > d->t_ref) ? (dt - d->t_ref) / dt : 0;
  double src = R + f * (1 - th) * dt * g * m[n - 1];
  int32_t k = d->k_reset;
  rhs[k] += src * (1 - d->w_reset);
  rhs[k + 1] += src * d->w_reset;

  /* the solution goes to y first: the state stays intact on failure */
  double *y = d->y, *z = d->z;
  if (!pool_reserve(d)) {
    rt_msg(d->err, sizeof d->err, "density step %lld: out of memory for the refractory pool",
        (long long)d->steps);
    return NAN;
  }
  if (!thomas(n, lo, di, up, rhs, y, d->cp)) {
    rt_msg(d->err, sizeof d->err, "density step %lld: singular system (dt = %g ms)",
        (long long)d->steps, dt * 1e3);
    return NAN;
  }
  double c = f * th * dt * g;
  if (c > 0) {
    /* Sherman–Morrison for the rank-one coupling c u e_{n-1}^T (this step's
     * own outflux re-entering at V_r): with A z = u (u the two weights),
     * m = y + z c y_{n-1} / (1 - c z_{n-1}) */
    for (int32_t i = 0; i < n; i++) rhs[i] = 0;
    rhs[k] = 1 - d->w_reset;
    rhs[k + 1] = d->w_reset;
    double den = 0;
    if (thomas(n, lo, di, up, rhs, z, d->cp)) den = 1 - c * z[n - 1];
    if (!(den > 0)) {
      rt_msg(d->err, sizeof d->err, "density step %lld: re-injection coupling is singular",
          (long long)d->steps);
      return NAN;
    }
    double s = c * y[n - 1] / den;
    for (int32_t i = 0; i < n; i++) y[i] += s * z[i];
  }
  double Q = dt * g * (th * y[n - 1] + (1 - th) * m[n - 1]); /* outflux over the step */
  pool_release(d, dt, true);
  double left = (1 - f) * Q;
  if (left != 0) pool_push(d, d->t, d->t + dt, Q, left); /* room was reserved */
  memcpy(m, y, sizeof *m * (size_t)n);
  d->t += dt;
  d->steps++;
  d->rate = Q / dt;
  d->err[0] = '\0';
  return d->rate;
}

/* Neumaier's compensated sum: the mass check is at the 1e-12 level. */
typedef struct {
  double s, c;
} KSum;
static void kadd(KSum *k, double x) {
  double t = k->s + x;
  if (fabs(k->s) >= fabs(x))
    k->c += (k->s - t) + x;
  else
    k->c += (x - t) + k->s;
  k->s = t;
}

double rt_density_pool(const RtDensity *d) {
  if (!d) return 0;
  KSum k = {0, 0};
  for (int32_t j = 0; j < d->pk_len; j++) kadd(&k, d->pk_left[(d->pk_head + j) % d->pk_cap]);
  return k.s + k.c;
}

double rt_density_mass(const RtDensity *d) {
  if (!d) return 0;
  KSum k = {0, 0};
  for (int32_t i = 0; i < d->n; i++) kadd(&k, d->m[i]);
  for (int32_t j = 0; j < d->pk_len; j++) kadd(&k, d->pk_left[(d->pk_head + j) % d->pk_cap]);
  return k.s + k.c;
}

void rt_density_p(const RtDensity *d, double *out) {
  if (!d || !out) return;
  for (int32_t i = 0; i < d->n; i++) out[i] = d->m[i] / d->dv;
}

double rt_density_v(const RtDensity *d, int32_t i) {
  if (!d || i < 0 || i >= d->n) return NAN;
  return d->v_min + (i + 0.5) * d->dv;
}

const char *rt_density_error(const RtDensity *d) { return d ? d->err : "density: no solver"; }
