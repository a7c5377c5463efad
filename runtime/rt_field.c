/* runtime/rt_field.c — neural fields on a ring or a torus: FFT convolution,
 * RK4 / exponential Euler steps, kernels, gains, linear stability and scale
 * checks (declarations: rt_field.h; equations and numbers: docs/field.md).
 *
 * FFT layout.  Ring: the real field is transformed in place by GSL's
 * mixed-radix real FFT into half-complex order (data[0] = Re c_0,
 * data[2k-1] = Re c_k, data[2k] = Im c_k, data[n-1] = Re c_{n/2} for even
 * n); the kernel's transform is real (the sampled kernel is even), so the
 * convolution is one element-wise product with a precomputed multiplier
 * array in the same order, then the half-complex inverse (which divides by
 * n).  Torus: every row is real-transformed in place, then each of the
 * nx/2+1 column frequencies is gathered (in batches, for the cache) into a
 * contiguous complex buffer, transformed along y (gsl_fft_complex, mixed
 * radix), multiplied by the real kernel transform, transformed back
 * (divides by ny) and scattered; finally the rows go back (divides by nx).
 * The forward transforms are unnormalised and the inverse ones divide by
 * the length, so the result is exactly the periodic discrete convolution
 * sum_j wgrid[i - j] in[j], wgrid being w(distance) * cell.  A torus whose
 * sides are powers of two (nx >= 64) takes its own batched radix-2
 * transforms instead ("power-of-two torus" below): same result, 2x faster. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fft_complex.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "rt_field.h"
#include "rt_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define COL_BATCH 8 /* column frequencies transformed per gather/scatter pass */

struct RtFieldFFT {
  gsl_fft_real_wavetable *rwt;
  gsl_fft_halfcomplex_wavetable *hwt;
  gsl_fft_real_workspace *rws;
  gsl_fft_complex_wavetable *cwt; /* torus only */
  gsl_fft_complex_workspace *cws;
  int32_t ncol;                   /* nx/2 + 1 */
  struct RtFieldP2 *p2;           /* torus with nx, ny powers of two: own FFT */
};

static bool pos_finite(double x) { return isfinite(x) && x > 0; }

/* ---- kernels and gains ---------------------------------------------------- */

static double gauss_norm(double a, double s, int32_t dim, double r) {
  double e = exp(-0.5 * r * r / (s * s));
  return dim == 1 ? a * e / (sqrt(2 * M_PI) * s) : a * e / (2 * M_PI * s * s);
}

double rt_field_kernel_eval(const RtFieldKernel *k, int32_t dim, double r) {
  if (!k || (dim != 1 && dim != 2)) return NAN;
  switch (k->kind) {
  case RT_KERNEL_GAUSSIAN: return gauss_norm(k->a_e, k->s_e, dim, r);
  case RT_KERNEL_DOG: return gauss_norm(k->a_e, k->s_e, dim, r) - gauss_norm(k->a_i, k->s_i, dim, r);
  case RT_KERNEL_EXPONENTIAL:
    return dim == 1 ? k->a_e / (2 * k->s_e) * exp(-r / k->s_e)
                    : k->a_e / (2 * M_PI * k->s_e * k->s_e) * exp(-r / k->s_e);
  case RT_KERNEL_USER: return k->user ? k->user(r, k->ctx) : NAN;
  default: return NAN;
  }
}

double rt_field_what_analytic(const RtFieldKernel *k, int32_t dim, double q) {
  if (!k || (dim != 1 && dim != 2)) return NAN;
  switch (k->kind) {
  case RT_KERNEL_GAUSSIAN: return k->a_e * exp(-0.5 * k->s_e * k->s_e * q * q);
  case RT_KERNEL_DOG:
    return k->a_e * exp(-0.5 * k->s_e * k->s_e * q * q) - k->a_i * exp(-0.5 * k->s_i * k->s_i * q * q);
  case RT_KERNEL_EXPONENTIAL: {
    double d = 1 + k->s_e * k->s_e * q * q;
    return dim == 1 ? k->a_e / d : k->a_e / (d * sqrt(d));
  }
  default: return NAN;
  }
}

double rt_field_dog_kc(double a_e, double s_e, double a_i, double s_i) {
  double den = s_i * s_i - s_e * s_e;
  if (!(a_e > 0) || !(a_i > 0) || den == 0 || !isfinite(den)) return 0;
  double kc2 = 2 * log(a_i * s_i * s_i / (a_e * s_e * s_e)) / den;
  return kc2 > 0 && isfinite(kc2) ? sqrt(kc2) : 0;
}

double rt_field_kernel_W(const RtFieldKernel *k, double a) {
  if (!k || !isfinite(a) || a < 0) return NAN;
  switch (k->kind) {
  case RT_KERNEL_GAUSSIAN: return 0.5 * k->a_e * erf(a / (M_SQRT2 * k->s_e));
  case RT_KERNEL_DOG:
    return 0.5 * k->a_e * erf(a / (M_SQRT2 * k->s_e)) - 0.5 * k->a_i * erf(a / (M_SQRT2 * k->s_i));
  case RT_KERNEL_EXPONENTIAL: return 0.5 * k->a_e * (1 - exp(-a / k->s_e));
  case RT_KERNEL_USER: {
    if (!k->user) return NAN;
    if (a == 0) return 0;
    enum { M = 2000 }; /* Simpson, even number of intervals */
    double h = a / M, s = k->user(0, k->ctx) + k->user(a, k->ctx);
    for (int i = 1; i < M; i++) s += (i % 2 ? 4 : 2) * k->user(i * h, k->ctx);
    return s * h / 3;
  }
  default: return NAN;
  }
}

double rt_field_amari_width(const RtFieldKernel *k, double c, double amax) {
  if (!k || !pos_finite(amax) || !isfinite(c)) return NAN;
  enum { M = 4000 };
  double hi = amax, ghi = rt_field_kernel_W(k, hi) - c;
  for (int i = M - 1; i >= 0; i--) { /* from amax down: the widest root first */
    double lo = amax * i / M, glo = rt_field_kernel_W(k, lo) - c;
    if (!isfinite(glo) || !isfinite(ghi)) return NAN;
    if (glo == 0) return lo;
    if ((glo < 0) != (ghi < 0)) {
      for (int it = 0; it < 200 && hi - lo > 1e-15 * amax; it++) {
        double m = 0.5 * (lo + hi), gm = rt_field_kernel_W(k, m) - c;
        if ((gm < 0) == (glo < 0)) lo = m, glo = gm;
        else hi = m;
      }
      return 0.5 * (lo + hi);
    }
    hi = lo, ghi = glo;
  }
  return NAN;
}

double rt_field_gain_eval(const RtFieldGain *g, double u) {
  switch (g->kind) {
  case RT_GAIN_SIGMOID: return 1 / (1 + exp(-g->gain * (u - g->threshold)));
  case RT_GAIN_HEAVISIDE: return u > g->threshold ? 1.0 : 0.0;
  case RT_GAIN_USER: return g->f ? g->f(u, g->ctx) : NAN;
  default: return NAN;
  }
}

double rt_field_gain_deriv(const RtFieldGain *g, double u) {
  switch (g->kind) {
  case RT_GAIN_SIGMOID: {
    double s = 1 / (1 + exp(-g->gain * (u - g->threshold)));
    return g->gain * s * (1 - s);
  }
  case RT_GAIN_HEAVISIDE: return 0;
  case RT_GAIN_USER: {
    if (!g->f) return NAN;
    if (g->df) return g->df(u, g->ctx);
    double h = 1e-6 * (1 + fabs(u));
    return (g->f(u + h, g->ctx) - g->f(u - h, g->ctx)) / (2 * h);
  }
  default: return NAN;
  }
}

/* out[i] = f(u[i]); the switch outside the loop so that it vectorises */
static void apply_gain(const RtFieldGain *g, const double *u, double *out, int64_t n) {
  switch (g->kind) {
  case RT_GAIN_SIGMOID: {
    double b = g->gain, th = g->threshold;
    for (int64_t i = 0; i < n; i++) out[i] = 1 / (1 + exp(-b * (u[i] - th)));
    break;
  }
  case RT_GAIN_HEAVISIDE: {
    double th = g->threshold;
    for (int64_t i = 0; i < n; i++) out[i] = u[i] > th ? 1.0 : 0.0;
    break;
  }
  default:
    if (g->fv) g->fv(u, out, n, g->ctx);
    else
      for (int64_t i = 0; i < n; i++) out[i] = g->f(u[i], g->ctx);
  }
}

/* ---- construction ------------------------------------------------------------ */

static bool check_spec(const RtFieldSpec *s, char *err, size_t errlen) {
  if (!s) {
    rt_msg(err, errlen, "field: no specification");
    return false;
  }
  if (s->geometry != RT_FIELD_RING && s->geometry != RT_FIELD_TORUS) {
    rt_msg(err, errlen, "field: geometry must be ring (1) or torus (2), got %d", (int)s->geometry);
    return false;
  }
  bool torus = s->geometry == RT_FIELD_TORUS;
  if (s->nx < 4 || (torus && s->ny < 4)) {
    if (torus)
      rt_msg(err, errlen, "field torus: needs at least 4 points per dimension, got nx = %d, "
             "ny = %d", (int)s->nx, (int)s->ny);
    else
      rt_msg(err, errlen, "field ring: needs at least 4 points, got N = %d", (int)s->nx);
    return false;
  }
  if ((int64_t)s->nx * (torus ? s->ny : 1) > ((int64_t)1 << 30)) {
    rt_msg(err, errlen, "field: too many points (%d x %d)", (int)s->nx, torus ? (int)s->ny : 1);
    return false;
  }
  if (!pos_finite(s->Lx) || (torus && !pos_finite(s->Ly))) {
    if (torus)
      rt_msg(err, errlen, "field torus: lengths must be positive and finite, got Lx = %g m, Ly = %g m",
             s->Lx, s->Ly);
    else
      rt_msg(err, errlen, "field ring: length must be positive and finite, got L = %g m", s->Lx);
    return false;
  }
  if (!pos_finite(s->tau)) {
    rt_msg(err, errlen, "field: time constant tau must be positive and finite, got %g s", s->tau);
    return false;
  }
  if (!isfinite(s->I)) {
    rt_msg(err, errlen, "field: input I must be finite, got %g", s->I);
    return false;
  }
  const RtFieldKernel *k = &s->kernel;
  switch (k->kind) {
  case RT_KERNEL_DOG:
    if (!isfinite(k->a_i) || !pos_finite(k->s_i)) {
      rt_msg(err, errlen, "field kernel (difference of Gaussians): a_i must be finite and s_i "
             "positive, got a_i = %g, s_i = %g m", k->a_i, k->s_i);
      return false;
    }
    /* fall through */
  case RT_KERNEL_GAUSSIAN:
  case RT_KERNEL_EXPONENTIAL:
    if (!isfinite(k->a_e) || !pos_finite(k->s_e)) {
      rt_msg(err, errlen, "field kernel: amplitude must be finite and width positive, got "
             "a_e = %g, s_e = %g m", k->a_e, k->s_e);
      return false;
    }
    break;
  case RT_KERNEL_USER:
    if (!k->user) {
      rt_msg(err, errlen, "field kernel: a user kernel needs a callback w(r)");
      return false;
    }
    if (!(isfinite(k->user_width) && k->user_width >= 0)) {
      rt_msg(err, errlen, "field kernel: user_width must be >= 0 (0: unknown), got %g m",
             k->user_width);
      return false;
    }
    break;
  default:
    rt_msg(err, errlen, "field kernel: unknown kind %d", (int)k->kind);
    return false;
  }
  const RtFieldGain *g = &s->gain;
  switch (g->kind) {
  case RT_GAIN_SIGMOID:
    if (!pos_finite(g->gain) || !isfinite(g->threshold)) {
      rt_msg(err, errlen, "field gain (sigmoid): gain must be positive and threshold finite, "
             "got gain = %g, threshold = %g", g->gain, g->threshold);
      return false;
    }
    break;
  case RT_GAIN_HEAVISIDE:
    if (!isfinite(g->threshold)) {
      rt_msg(err, errlen, "field gain (Heaviside): threshold must be finite, got %g", g->threshold);
      return false;
    }
    break;
  case RT_GAIN_USER:
    if (!g->f) {
      rt_msg(err, errlen, "field gain: a user gain needs a callback f(u)");
      return false;
    }
    break;
  default:
    rt_msg(err, errlen, "field gain: unknown kind %d", (int)g->kind);
    return false;
  }
  if (s->method != RT_FIELD_RK4 && s->method != RT_FIELD_EXPEULER) {
    rt_msg(err, errlen, "field: unknown time-stepping method %d", (int)s->method);
    return false;
  }
  return true;
}

static inline int32_t re_idx(int32_t kx) { return kx == 0 ? 0 : 2 * kx - 1; }
static inline int32_t im_idx(int32_t nx, int32_t kx) {
  return (kx == 0 || 2 * kx == nx) ? -1 : 2 * kx;
}

static void rows_forward(RtField *f, double *data) {
  for (int32_t y = 0; y < f->ny; y++)
    gsl_fft_real_transform(data + (int64_t)y * f->nx, 1, (size_t)f->nx, f->fft->rwt, f->fft->rws);
}
static void rows_inverse(RtField *f, double *data) {
  for (int32_t y = 0; y < f->ny; y++)
    gsl_fft_halfcomplex_inverse(data + (int64_t)y * f->nx, 1, (size_t)f->nx, f->fft->hwt,
                                f->fft->rws);
}

/* gather column frequencies kx0 .. kx0+nb-1 of row-transformed data into cbuf */
static void gather(RtField *f, const double *data, int32_t kx0, int32_t nb) {
  int32_t nx = f->nx, ny = f->ny;
  for (int32_t y = 0; y < ny; y++) {
    const double *row = data + (int64_t)y * nx;
    for (int32_t b = 0; b < nb; b++) {
      int32_t kx = kx0 + b, ii = im_idx(nx, kx);
      double *c = f->cbuf + (size_t)b * 2 * ny + 2 * (size_t)y;
      c[0] = row[re_idx(kx)];
      c[1] = ii < 0 ? 0 : row[ii];
    }
  }
}
static void scatter(RtField *f, double *data, int32_t kx0, int32_t nb) {
  int32_t nx = f->nx, ny = f->ny;
  for (int32_t y = 0; y < ny; y++) {
    double *row = data + (int64_t)y * nx;
    for (int32_t b = 0; b < nb; b++) {
      int32_t kx = kx0 + b, ii = im_idx(nx, kx);
      const double *c = f->cbuf + (size_t)b * 2 * ny + 2 * (size_t)y;
      row[re_idx(kx)] = c[0];
      if (ii >= 0) row[ii] = c[1];
    }
  }
}

/* ---- power-of-two torus: batched split-complex FFTs ------------------------------
 *
 * GSL transforms one row or column at a time through a mixed-radix
 * library call; on a 512 x 512 torus that is most of a step.  When nx and
 * ny are powers of two the convolution uses its own radix-2 transforms
 * instead, written so that the innermost loop always runs over many
 * independent transforms at once (a "batch": contiguous, so it
 * vectorises) with one twiddle factor per butterfly, in strips that fit
 * the cache.  No bit reversal: the forward transforms are decimation in
 * frequency (natural order in, bit-reversed out), the inverse ones
 * decimation in time (bit-reversed in, natural out), and the kernel's
 * spectrum is stored in the bit-reversed order in between.
 *
 * The real field g (ny rows of nx) is transformed along y as nx/2 complex
 * columns z_j = g(., j) + i g(., j + nx/2): a row of g is its own split
 * complex storage (real parts first, imaginary parts second), so this
 * needs no copy.  With G the y-transform of g, G(-ky) = conj G(ky), hence
 * G(ky, j) = (Z(ky) + conj Z(-ky))/2 and G(ky, j + nx/2) =
 * (Z(ky) - conj Z(-ky))/(2i).  The rows ky = 0 .. ny/2 of G are unpacked
 * into a transposed buffer (x-major), transformed along x, multiplied by
 * w^(kx, ky) / (nx ny), transformed back and packed the same way
 * (H(-ky) = conj H(ky) because the result is real), and the y-transform
 * is undone in place. */

#define P2_STRIP 32 /* transforms per strip: 32 x 512 complex = 256 KiB */

/* Four doubles as one value (GCC/clang vector extensions): the butterflies
 * below are written on these so that they vectorise whatever the
 * optimisation level, and are compiled for AVX-512, AVX2 and the baseline
 * with the best chosen when the program starts (target_clones). */
typedef double v4d __attribute__((vector_size(32), aligned(8)));
#define P2_V (P2_STRIP / 4)
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && !defined(__SANITIZE_ADDRESS__)
#define P2_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef P2_CLONES
#define P2_CLONES
#endif

typedef struct RtFieldP2 {
  int32_t nx, ny, h2, m, mp;     /* h2 = nx/2; m = ny/2 + 1 rows of G, mp = m padded to P2_STRIP */
  double *twx_r, *twx_i;         /* e^{-2 pi i k/nx}, k < nx/2 */
  double *twy_r, *twy_i;         /* e^{-2 pi i k/ny}, k < ny/2 */
  int32_t *posy;                 /* storage row of frequency ky after the y transform */
  double *tre, *tim;             /* nx x mp: G transposed, [x][ky] */
  double *wt;                    /* nx x mp: w^(rev(q), ky) / (nx ny) at [q][ky] */
} RtFieldP2;

static bool is_pow2(int32_t n) { return n >= 2 && (n & (n - 1)) == 0; }

static int32_t bit_reverse(int32_t i, int32_t n) {
  int32_t r = 0;
  for (int32_t b = 1; b < n; b <<= 1) r = (r << 1) | (i & 1), i >>= 1;
  return r;
}

/* Complex (split) times a scalar complex w = (wr, wi). */
#define CMUL(yr, yi, xr, xi, wr, wi)                  \
  do {                                                \
    v4d xr_ = (xr), xi_ = (xi);                       \
    (yr) = xr_ * (wr) - xi_ * (wi);                   \
    (yi) = xr_ * (wi) + xi_ * (wr);                   \
  } while (0)

/* Rows r of a strip as vectors: re, im at row r, lane block v. */
#define ROWR(r) ((v4d *)(re + (int64_t)(r) * stride + e0))
#define ROWI(r) ((v4d *)(im + (int64_t)(r) * stride + e0))

/* The twiddle-free radix-2 stage of the strip at column e0: rows b0 and
 * b0 + 1 of every pair become their sum and difference (first stage of
 * the inverse, last of the forward transform). */
static inline __attribute__((always_inline)) void p2_pairs(double *re, double *im, int64_t stride, int32_t n,
                                                           int32_t e0) {
  for (int32_t b0 = 0; b0 < n; b0 += 2) {
    v4d *ar = ROWR(b0), *ai = ROWI(b0), *cr = ROWR(b0 + 1), *ci = ROWI(b0 + 1);
    for (int v = 0; v < P2_V; v++) {
      v4d xr = ar[v] - cr[v], xi = ai[v] - ci[v];
      ar[v] += cr[v], ai[v] += ci[v];
      cr[v] = xr, ci[v] = xi;
    }
  }
}

/* nb transforms (nb a multiple of P2_STRIP) of length n: element j of
 * transform e at re[j*stride + e] (im likewise).  Forward, decimation in
 * frequency, bit-reversed out.  Two radix-2 stages (halves 2q and q) are
 * done per pass over the strip, so a 512-point transform reads the data
 * five times instead of nine; the arithmetic is that of radix 2. */
P2_CLONES static void p2_dif(double *re, double *im, int64_t stride, int32_t n, int32_t nb,
                             const double *twr, const double *twi) {
  for (int32_t e0 = 0; e0 < nb; e0 += P2_STRIP) {
    int32_t h = n / 2;
    for (; h >= 2; h /= 4) {
      int32_t q = h / 2, ts1 = n / (4 * q), ts2 = 2 * ts1;
      for (int32_t b0 = 0; b0 < n; b0 += 4 * q)
        for (int32_t j = 0; j < q; j++) {
          double w1r = twr[j * ts1], w1i = twi[j * ts1], w3r = twr[(j + q) * ts1], w3i = twi[(j + q) * ts1];
          double w2r = twr[j * ts2], w2i = twi[j * ts2];
          int32_t r0 = b0 + j;
          v4d *x0r = ROWR(r0), *x0i = ROWI(r0), *x1r = ROWR(r0 + q), *x1i = ROWI(r0 + q);
          v4d *x2r = ROWR(r0 + 2 * q), *x2i = ROWI(r0 + 2 * q), *x3r = ROWR(r0 + 3 * q), *x3i = ROWI(r0 + 3 * q);
          for (int v = 0; v < P2_V; v++) {
            v4d a0r = x0r[v] + x2r[v], a0i = x0i[v] + x2i[v], a1r = x1r[v] + x3r[v], a1i = x1i[v] + x3i[v];
            v4d a2r, a2i, a3r, a3i;
            CMUL(a2r, a2i, x0r[v] - x2r[v], x0i[v] - x2i[v], w1r, w1i);
            CMUL(a3r, a3i, x1r[v] - x3r[v], x1i[v] - x3i[v], w3r, w3i);
            x0r[v] = a0r + a1r, x0i[v] = a0i + a1i;
            CMUL(x1r[v], x1i[v], a0r - a1r, a0i - a1i, w2r, w2i);
            x2r[v] = a2r + a3r, x2i[v] = a2i + a3i;
            CMUL(x3r[v], x3i[v], a2r - a3r, a2i - a3i, w2r, w2i);
          }
        }
    }
    if (h == 1) /* an odd number of stages: the last, twiddle-free one */
      p2_pairs(re, im, stride, n, e0);
  }
}

/* Inverse (unnormalised, conjugate twiddles), decimation in time:
 * bit-reversed in, natural out; stages paired as in p2_dif. */
P2_CLONES static void p2_dit_inv(double *re, double *im, int64_t stride, int32_t n, int32_t nb,
                                 const double *twr, const double *twi) {
  int32_t stages = 0;
  for (int32_t k = n; k > 1; k /= 2) stages++;
  for (int32_t e0 = 0; e0 < nb; e0 += P2_STRIP) {
    int32_t h = 1;
    if (stages % 2) { /* the first, twiddle-free stage on its own */
      p2_pairs(re, im, stride, n, e0);
      h = 2;
    }
    for (; h < n; h *= 4) {
      int32_t q = h, ts1 = n / (4 * q), ts2 = 2 * ts1;
      for (int32_t b0 = 0; b0 < n; b0 += 4 * q)
        for (int32_t j = 0; j < q; j++) {
          double w1r = twr[j * ts1], w1i = -twi[j * ts1], w3r = twr[(j + q) * ts1], w3i = -twi[(j + q) * ts1];
          double w2r = twr[j * ts2], w2i = -twi[j * ts2];
          int32_t r0 = b0 + j;
          v4d *x0r = ROWR(r0), *x0i = ROWI(r0), *x1r = ROWR(r0 + q), *x1i = ROWI(r0 + q);
          v4d *x2r = ROWR(r0 + 2 * q), *x2i = ROWI(r0 + 2 * q), *x3r = ROWR(r0 + 3 * q), *x3i = ROWI(r0 + 3 * q);
          for (int v = 0; v < P2_V; v++) {
            v4d tr, ti, ur, ui;
            CMUL(tr, ti, x1r[v], x1i[v], w2r, w2i);
            CMUL(ur, ui, x3r[v], x3i[v], w2r, w2i);
            v4d a0r = x0r[v] + tr, a0i = x0i[v] + ti, a1r = x0r[v] - tr, a1i = x0i[v] - ti;
            v4d a2r = x2r[v] + ur, a2i = x2i[v] + ui, a3r = x2r[v] - ur, a3i = x2i[v] - ui;
            CMUL(tr, ti, a2r, a2i, w1r, w1i);
            CMUL(ur, ui, a3r, a3i, w3r, w3i);
            x0r[v] = a0r + tr, x0i[v] = a0i + ti;
            x2r[v] = a0r - tr, x2i[v] = a0i - ti;
            x1r[v] = a1r + ur, x1i[v] = a1i + ui;
            x3r[v] = a1r - ur, x3i[v] = a1i - ui;
          }
        }
    }
  }
}
#undef ROWR
#undef ROWI
#undef CMUL

static void p2_free(RtFieldP2 *p) {
  if (!p) return;
  free(p->twx_r), free(p->twx_i), free(p->twy_r), free(p->twy_i);
  free(p->posy), free(p->tre), free(p->tim), free(p->wt);
  free(p);
}

static void twiddles(int32_t n, double *re, double *im) {
  for (int32_t k = 0; k < n / 2; k++) re[k] = cos(2 * M_PI * k / n), im[k] = -sin(2 * M_PI * k / n);
}

/* The plan, with the kernel's spectrum from f->what; NULL when it does
 * not apply (or out of memory: GSL then does the work). */
static RtFieldP2 *p2_new(const RtField *f) {
  if (f->dim != 2 || !is_pow2(f->nx) || !is_pow2(f->ny) || f->nx < 2 * P2_STRIP) return NULL;
  RtFieldP2 *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nx = f->nx, p->ny = f->ny, p->h2 = f->nx / 2, p->m = f->ny / 2 + 1;
  p->mp = (p->m + P2_STRIP - 1) / P2_STRIP * P2_STRIP;
  size_t t = (size_t)p->nx * (size_t)p->mp;
  p->twx_r = malloc(sizeof(double) * (size_t)p->h2), p->twx_i = malloc(sizeof(double) * (size_t)p->h2);
  p->twy_r = malloc(sizeof(double) * (size_t)(p->ny / 2)), p->twy_i = malloc(sizeof(double) * (size_t)(p->ny / 2));
  p->posy = malloc(sizeof(int32_t) * (size_t)p->ny);
  p->tre = calloc(t, sizeof(double)), p->tim = calloc(t, sizeof(double)), p->wt = calloc(t, sizeof(double));
  if (!p->twx_r || !p->twx_i || !p->twy_r || !p->twy_i || !p->posy || !p->tre || !p->tim || !p->wt) {
    p2_free(p);
    return NULL;
  }
  twiddles(p->nx, p->twx_r, p->twx_i);
  twiddles(p->ny, p->twy_r, p->twy_i);
  for (int32_t ky = 0; ky < p->ny; ky++) p->posy[ky] = bit_reverse(ky, p->ny);
  double norm = 1.0 / ((double)p->nx * p->ny);
  for (int32_t q = 0; q < p->nx; q++)
    for (int32_t ky = 0; ky < p->m; ky++)
      p->wt[(size_t)q * p->mp + ky] = rt_field_what_mode(f, bit_reverse(q, p->nx), ky) * norm;
  return p;
}

/* G rows ky = 0 .. ny/2 from the y-transformed packed field, transposed,
 * in 8 x 8 tiles (each tile reads and writes whole cache lines). */
static void p2_unpack(RtFieldP2 *p, const double *g) {
  int32_t nx = p->nx, h2 = p->h2, mp = p->mp;
  for (int32_t k0 = 0; k0 < p->m; k0 += 8) {
    int32_t k1 = k0 + 8 < p->m ? k0 + 8 : p->m;
    for (int32_t j0 = 0; j0 < h2; j0 += 8)
      for (int32_t ky = k0; ky < k1; ky++) {
        const double *zp = g + (int64_t)p->posy[ky] * nx, *zq = g + (int64_t)p->posy[(p->ny - ky) & (p->ny - 1)] * nx;
        double *tr = p->tre + ky, *ti = p->tim + ky;
        for (int32_t j = j0; j < j0 + 8; j++) {
          double pr = zp[j], pi = zp[h2 + j], qr = zq[j], qi = zq[h2 + j];
          tr[(int64_t)j * mp] = 0.5 * (pr + qr);
          ti[(int64_t)j * mp] = 0.5 * (pi - qi);
          tr[(int64_t)(j + h2) * mp] = 0.5 * (pi + qi);
          ti[(int64_t)(j + h2) * mp] = -0.5 * (pr - qr);
        }
      }
  }
}

/* The inverse of p2_unpack for a real result: rows ky and -ky of Z
 * (tiled likewise). */
static void p2_pack(const RtFieldP2 *p, double *g) {
  int32_t nx = p->nx, h2 = p->h2, mp = p->mp;
  for (int32_t k0 = 0; k0 < p->m; k0 += 8) {
    int32_t k1 = k0 + 8 < p->m ? k0 + 8 : p->m;
    for (int32_t j0 = 0; j0 < h2; j0 += 8)
      for (int32_t ky = k0; ky < k1; ky++) {
        int32_t rp = p->posy[ky], rq = p->posy[(p->ny - ky) & (p->ny - 1)];
        double *zp = g + (int64_t)rp * nx, *zq = g + (int64_t)rq * nx;
        const double *tr = p->tre + ky, *ti = p->tim + ky;
        for (int32_t j = j0; j < j0 + 8; j++) {
          double ar = tr[(int64_t)j * mp], ai = ti[(int64_t)j * mp];
          double br = tr[(int64_t)(j + h2) * mp], bi = ti[(int64_t)(j + h2) * mp];
          zp[j] = ar - bi;
          zp[h2 + j] = ai + br;
          if (rq != rp) {
            zq[j] = ar + bi;
            zq[h2 + j] = br - ai;
          }
        }
      }
  }
}

/* data = w * data (in place) on a power-of-two torus */
static void p2_convolve(RtFieldP2 *p, double *g) {
  int64_t n = (int64_t)p->nx * p->mp;
  p2_dif(g, g + p->h2, p->nx, p->ny, p->h2, p->twy_r, p->twy_i);
  p2_unpack(p, g);
  p2_dif(p->tre, p->tim, p->mp, p->nx, p->mp, p->twx_r, p->twx_i);
  double *restrict tr = p->tre, *restrict ti = p->tim;
  const double *restrict wt = p->wt;
  for (int64_t i = 0; i < n; i++) tr[i] *= wt[i], ti[i] *= wt[i];
  p2_dit_inv(p->tre, p->tim, p->mp, p->nx, p->mp, p->twx_r, p->twx_i);
  p2_pack(p, g);
  p2_dit_inv(g, g + p->h2, p->nx, p->ny, p->h2, p->twy_r, p->twy_i);
}

void rt_field_convolve(RtField *f, const double *in, double *out) {
  int64_t n = f->n;
  if (out != in) memcpy(out, in, sizeof *out * (size_t)n);
  if (f->dim == 1) {
    gsl_fft_real_transform(out, 1, (size_t)n, f->fft->rwt, f->fft->rws);
    const double *m = f->what;
    for (int64_t i = 0; i < n; i++) out[i] *= m[i];
    gsl_fft_halfcomplex_inverse(out, 1, (size_t)n, f->fft->hwt, f->fft->rws);
    return;
  }
  if (f->fft->p2) {
    p2_convolve(f->fft->p2, out);
    return;
  }
  int32_t ny = f->ny, ncol = f->fft->ncol;
  rows_forward(f, out);
  for (int32_t kx0 = 0; kx0 < ncol; kx0 += COL_BATCH) {
    int32_t nb = ncol - kx0 < COL_BATCH ? ncol - kx0 : COL_BATCH;
    gather(f, out, kx0, nb);
    for (int32_t b = 0; b < nb; b++) {
      double *c = f->cbuf + (size_t)b * 2 * ny;
      gsl_fft_complex_forward(c, 1, (size_t)ny, f->fft->cwt, f->fft->cws);
      const double *w = f->what + (kx0 + b);
      for (int32_t ky = 0; ky < ny; ky++) {
        double m = w[(int64_t)ky * ncol];
        c[2 * ky] *= m;
        c[2 * ky + 1] *= m;
      }
      gsl_fft_complex_inverse(c, 1, (size_t)ny, f->fft->cwt, f->fft->cws);
    }
    scatter(f, out, kx0, nb);
  }
  rows_inverse(f, out);
}

void rt_field_convolve_direct(const RtField *f, const double *in, double *out) {
  int32_t nx = f->nx, ny = f->ny;
  for (int32_t iy = 0; iy < ny; iy++)
    for (int32_t ix = 0; ix < nx; ix++) {
      double s = 0;
      for (int32_t jy = 0; jy < ny; jy++) {
        const double *wr = f->wgrid + (int64_t)((iy - jy + ny) % ny) * nx;
        const double *ir = in + (int64_t)jy * nx;
        for (int32_t jx = 0; jx < nx; jx++) s += wr[(ix - jx + nx) % nx] * ir[jx];
      }
      out[(int64_t)iy * nx + ix] = s;
    }
}

void rt_field_free(RtField *f) {
  if (!f) return;
  if (f->fft) {
    if (f->fft->rwt) gsl_fft_real_wavetable_free(f->fft->rwt);
    if (f->fft->hwt) gsl_fft_halfcomplex_wavetable_free(f->fft->hwt);
    if (f->fft->rws) gsl_fft_real_workspace_free(f->fft->rws);
    if (f->fft->cwt) gsl_fft_complex_wavetable_free(f->fft->cwt);
    if (f->fft->cws) gsl_fft_complex_workspace_free(f->fft->cws);
    p2_free(f->fft->p2);
    free(f->fft);
  }
  free(f->wgrid);
  free(f->what);
  free(f->fu);
  free(f->k);
  free(f->acc);
  free(f->ut);
  free(f->cbuf);
  free(f->ibuf);
  free(f);
}

RtField *rt_field_new(const RtFieldSpec *spec, char *err, size_t errlen) {
  if (!check_spec(spec, err, errlen)) return NULL;
  RtField *f = calloc(1, sizeof *f);
  if (!f) goto oom;
  f->spec = *spec;
  f->dim = spec->geometry == RT_FIELD_TORUS ? 2 : 1;
  f->nx = spec->nx;
  f->ny = f->dim == 2 ? spec->ny : 1;
  f->n = (int64_t)f->nx * f->ny;
  f->dx = spec->Lx / f->nx;
  f->dy = f->dim == 2 ? spec->Ly / f->ny : f->dx;
  if (f->dim == 1) f->spec.ny = 1, f->spec.Ly = f->dx;
  f->cell = f->dim == 2 ? f->dx * f->dy : f->dx;
  size_t n = (size_t)f->n, ncol = (size_t)f->nx / 2 + 1;
  f->wgrid = malloc(sizeof(double) * n);
  f->what = malloc(sizeof(double) * (f->dim == 1 ? n : ncol * (size_t)f->ny));
  f->fu = malloc(sizeof(double) * n);
  f->k = malloc(sizeof(double) * n);
  f->acc = malloc(sizeof(double) * n);
  f->ut = malloc(sizeof(double) * n);
  f->cbuf = malloc(sizeof(double) * 2 * (size_t)f->ny * COL_BATCH);
  f->fft = calloc(1, sizeof *f->fft);
  if (!f->wgrid || !f->what || !f->fu || !f->k || !f->acc || !f->ut || !f->cbuf || !f->fft)
    goto oom;
  f->fft->ncol = (int32_t)ncol;
  f->fft->rwt = gsl_fft_real_wavetable_alloc((size_t)f->nx);
  f->fft->hwt = gsl_fft_halfcomplex_wavetable_alloc((size_t)f->nx);
  f->fft->rws = gsl_fft_real_workspace_alloc((size_t)f->nx);
  if (!f->fft->rwt || !f->fft->hwt || !f->fft->rws) goto oom;
  if (f->dim == 2) {
    f->fft->cwt = gsl_fft_complex_wavetable_alloc((size_t)f->ny);
    f->fft->cws = gsl_fft_complex_workspace_alloc((size_t)f->ny);
    if (!f->fft->cwt || !f->fft->cws) goto oom;
  }
  /* sample the kernel at the minimum-image distance, times the cell */
  for (int32_t iy = 0; iy < f->ny; iy++) {
    int32_t my = iy <= f->ny / 2 ? iy : f->ny - iy;
    double ry = f->dim == 2 ? my * f->dy : 0;
    for (int32_t ix = 0; ix < f->nx; ix++) {
      int32_t mx = ix <= f->nx / 2 ? ix : f->nx - ix;
      double rx = mx * f->dx, r = sqrt(rx * rx + ry * ry);
      double w = rt_field_kernel_eval(&spec->kernel, f->dim, r);
      if (!isfinite(w)) {
        rt_msg(err, errlen, "field kernel: w(r) is not finite at r = %g m (got %g)", r, w);
        rt_field_free(f);
        return NULL;
      }
      f->wgrid[(int64_t)iy * f->nx + ix] = w * f->cell;
    }
  }
  /* its transform, once: real because the sampled kernel is even */
  memcpy(f->fu, f->wgrid, sizeof(double) * n);
  if (f->dim == 1) {
    gsl_fft_real_transform(f->fu, 1, n, f->fft->rwt, f->fft->rws);
    f->what[0] = f->fu[0];
    for (int32_t kx = 1; kx <= f->nx / 2; kx++) {
      double re = f->fu[re_idx(kx)];
      f->what[re_idx(kx)] = re;
      int32_t ii = im_idx(f->nx, kx);
      if (ii >= 0) f->what[ii] = re;
    }
  } else {
    rows_forward(f, f->fu);
    for (int32_t kx0 = 0; kx0 < (int32_t)ncol; kx0 += COL_BATCH) {
      int32_t nb = (int32_t)ncol - kx0 < COL_BATCH ? (int32_t)ncol - kx0 : COL_BATCH;
      gather(f, f->fu, kx0, nb);
      for (int32_t b = 0; b < nb; b++) {
        double *c = f->cbuf + (size_t)b * 2 * f->ny;
        gsl_fft_complex_forward(c, 1, (size_t)f->ny, f->fft->cwt, f->fft->cws);
        for (int32_t ky = 0; ky < f->ny; ky++) f->what[(size_t)ky * ncol + kx0 + b] = c[2 * ky];
      }
    }
    f->fft->p2 = p2_new(f);
  }
  return f;
oom:
  rt_msg(err, errlen, "field: out of memory");
  rt_field_free(f);
  return NULL;
}

/* ---- time stepping -------------------------------------------------------------- */

/* dudt = (-u + w * f(u) + I + ext) / tau, ext may be NULL */
static void rhs_ext(RtField *f, const double *u, double *dudt, const double *ext) {
  int64_t n = f->n;
  apply_gain(&f->spec.gain, u, f->fu, n);
  rt_field_convolve(f, f->fu, f->fu);
  double I = f->spec.I, r = 1 / f->spec.tau;
  const double *fu = f->fu;
  if (ext)
    for (int64_t i = 0; i < n; i++) dudt[i] = (-u[i] + fu[i] + I + ext[i]) * r;
  else
    for (int64_t i = 0; i < n; i++) dudt[i] = (-u[i] + fu[i] + I) * r;
}

void rt_field_rhs(RtField *f, const double *u, double *dudt) { rhs_ext(f, u, dudt, f->input); }

bool rt_field_set_input_fn(RtField *f, RtFieldInputFn fn, void *ctx, char *err, size_t errlen) {
  if (!f) return false;
  if (fn && !f->ibuf && !(f->ibuf = malloc(sizeof(double) * (size_t)f->n))) {
    rt_msg(err, errlen, "field: out of memory for the input");
    return false;
  }
  f->input_at = fn;
  f->input_ctx = ctx;
  f->ibuf_t = NAN;
  return true;
}

/* I_ext at time t: the time-dependent input (evaluated once per distinct
 * t: RK4's two middle stages share theirs), else the fixed array */
static const double *ext_at(RtField *f, double t) {
  if (!f->input_at) return f->input;
  if (!(t == f->ibuf_t)) {
    f->input_at(t, f->ibuf, f->input_ctx);
    f->ibuf_t = t;
  }
  return f->ibuf;
}

bool rt_field_step_at(RtField *f, double *u, double t, double dt) {
  if (!f || !u || !pos_finite(dt) || (f->input_at && !isfinite(t))) return false;
  int64_t n = f->n;
  if (f->spec.method == RT_FIELD_EXPEULER) {
    if (dt != f->ee_dt) f->ee_dt = dt, f->ee_E = exp(-dt / f->spec.tau);
    double E = f->ee_E, G = -expm1(-dt / f->spec.tau), I = f->spec.I;
    const double *ext = ext_at(f, t);
    apply_gain(&f->spec.gain, u, f->fu, n);
    rt_field_convolve(f, f->fu, f->fu);
    const double *fu = f->fu;
    if (ext)
      for (int64_t i = 0; i < n; i++) u[i] = E * u[i] + G * (fu[i] + I + ext[i]);
    else
      for (int64_t i = 0; i < n; i++) u[i] = E * u[i] + G * (fu[i] + I);
    return true;
  }
  double *k = f->k, *acc = f->acc, *ut = f->ut, h2 = 0.5 * dt;
  rhs_ext(f, u, k, ext_at(f, t));
  for (int64_t i = 0; i < n; i++) acc[i] = k[i], ut[i] = u[i] + h2 * k[i];
  rhs_ext(f, ut, k, ext_at(f, t + h2));
  for (int64_t i = 0; i < n; i++) acc[i] += 2 * k[i], ut[i] = u[i] + h2 * k[i];
  rhs_ext(f, ut, k, ext_at(f, t + h2));
  for (int64_t i = 0; i < n; i++) acc[i] += 2 * k[i], ut[i] = u[i] + dt * k[i];
  rhs_ext(f, ut, k, ext_at(f, t + dt));
  double h6 = dt / 6;
  for (int64_t i = 0; i < n; i++) u[i] += h6 * (acc[i] + k[i]);
  return true;
}

bool rt_field_step(RtField *f, double *u, double dt) { return rt_field_step_at(f, u, NAN, dt); }

/* ---- modes ---------------------------------------------------------------------------- */

static int32_t wrap(int32_t m, int32_t n) { /* to -n/2 .. n/2 */
  m %= n;
  if (m < 0) m += n;
  return m > n / 2 ? m - n : m;
}

double rt_field_mode_k(const RtField *f, int32_t mx, int32_t my) {
  double qx = 2 * M_PI * wrap(mx, f->nx) / f->spec.Lx;
  double qy = f->dim == 2 ? 2 * M_PI * wrap(my, f->ny) / f->spec.Ly : 0;
  return sqrt(qx * qx + qy * qy);
}

double rt_field_what_mode(const RtField *f, int32_t mx, int32_t my) {
  int32_t x = wrap(mx, f->nx), y = f->dim == 2 ? wrap(my, f->ny) : 0;
  if (x < 0) x = -x, y = -y; /* even kernel: w^(-k) = w^(k) */
  if (f->dim == 1) return f->what[re_idx(x)];
  if (y < 0) y += f->ny;
  return f->what[(size_t)y * f->fft->ncol + x];
}

/* |c(mx, my)|^2 of u (unnormalised DFT); uses fu and cbuf */
static double mode_power(RtField *f, const double *u, int32_t mx, int32_t my) {
  int32_t x = wrap(mx, f->nx), y = f->dim == 2 ? wrap(my, f->ny) : 0;
  if (x < 0) x = -x, y = -y;
  memcpy(f->fu, u, sizeof(double) * (size_t)f->n);
  if (f->dim == 1) {
    gsl_fft_real_transform(f->fu, 1, (size_t)f->n, f->fft->rwt, f->fft->rws);
    int32_t ii = im_idx(f->nx, x);
    double re = f->fu[re_idx(x)], im = ii < 0 ? 0 : f->fu[ii];
    return re * re + im * im;
  }
  rows_forward(f, f->fu);
  gather(f, f->fu, x, 1);
  gsl_fft_complex_forward(f->cbuf, 1, (size_t)f->ny, f->fft->cwt, f->fft->cws);
  if (y < 0) y += f->ny;
  return f->cbuf[2 * y] * f->cbuf[2 * y] + f->cbuf[2 * y + 1] * f->cbuf[2 * y + 1];
}

double rt_field_mode_amplitude(RtField *f, const double *u, int32_t mx, int32_t my) {
  double a = sqrt(mode_power(f, u, mx, my)) / (double)f->n;
  return rt_field_mode_k(f, mx, my) == 0 ? a : 2 * a;
}

void rt_field_dominant_mode(RtField *f, const double *u, int32_t *mx, int32_t *my,
                            double *kmag, double *amp) {
  double best = -1;
  int32_t bx = 0, by = 0;
  memcpy(f->fu, u, sizeof(double) * (size_t)f->n);
  if (f->dim == 1) {
    gsl_fft_real_transform(f->fu, 1, (size_t)f->n, f->fft->rwt, f->fft->rws);
    for (int32_t x = 1; x <= f->nx / 2; x++) {
      int32_t ii = im_idx(f->nx, x);
      double re = f->fu[re_idx(x)], im = ii < 0 ? 0 : f->fu[ii], p = re * re + im * im;
      if (p > best) best = p, bx = x;
    }
  } else {
    rows_forward(f, f->fu);
    for (int32_t x = 0; x < f->fft->ncol; x++) {
      gather(f, f->fu, x, 1);
      gsl_fft_complex_forward(f->cbuf, 1, (size_t)f->ny, f->fft->cwt, f->fft->cws);
      for (int32_t y = 0; y < f->ny; y++) {
        if (x == 0 && y == 0) continue;
        double p = f->cbuf[2 * y] * f->cbuf[2 * y] + f->cbuf[2 * y + 1] * f->cbuf[2 * y + 1];
        if (p > best) best = p, bx = x, by = wrap(y, f->ny);
      }
    }
  }
  if (mx) *mx = bx;
  if (my) *my = by;
  if (kmag) *kmag = rt_field_mode_k(f, bx, by);
  if (amp) *amp = 2 * sqrt(best > 0 ? best : 0) / (double)f->n;
}

/* ---- linear stability ------------------------------------------------------------------ */

static bool library_kernel(const RtFieldKernel *k) { return k->kind != RT_KERNEL_USER; }

/* w^ at |k| = q for a library kernel, or at allowed mode (mx, my) otherwise */
static double what_at(const RtField *f, double q, int32_t mx, int32_t my) {
  return library_kernel(&f->spec.kernel) ? rt_field_what_analytic(&f->spec.kernel, f->dim, q)
                                         : rt_field_what_mode(f, mx, my);
}

static double w_zero(const RtField *f) { return what_at(f, 0, 0, 0); }

/* Roots of u - w0 g(u) - I by scanning a bracket and bisection; ascending. */
static int32_t find_fps(const RtFieldGain *g, double w0, double I, double *fp, int32_t maxfp) {
  int32_t nfp = 0;
  double R = 1;
  for (int attempt = 0; attempt < 14 && nfp == 0; attempt++, R *= 4) {
    double lo, hi;
    if (g->kind == RT_GAIN_USER) {
      lo = I - R * (1 + fabs(w0)), hi = I + R * (1 + fabs(w0));
    } else { /* f in [0, 1]: u0 lies between I and I + w0 */
      double d = 1e-6 * (1 + fabs(I) + fabs(w0));
      lo = I + fmin(0, w0) - d, hi = I + fmax(0, w0) + d;
      attempt = 99;
    }
    enum { M = 2000 };
    double tol = 1e-9 * (1 + fabs(I) + fabs(w0));
    double a = lo, ga = a - w0 * rt_field_gain_eval(g, a) - I;
    for (int i = 1; i <= M && nfp < maxfp; i++) {
      double b = lo + (hi - lo) * i / M, gb = b - w0 * rt_field_gain_eval(g, b) - I;
      if (!isfinite(gb)) {
        a = b, ga = gb;
        continue;
      }
      double root = NAN;
      if (gb == 0) root = b;
      else if (isfinite(ga) && ga != 0 && (ga < 0) != (gb < 0)) {
        double x0 = a, x1 = b, g0 = ga;
        for (int it = 0; it < 200; it++) {
          double m = 0.5 * (x0 + x1);
          if (m <= x0 || m >= x1) break;
          double gm = m - w0 * rt_field_gain_eval(g, m) - I;
          if (gm == 0) {
            x0 = x1 = m;
            break;
          }
          if ((gm < 0) == (g0 < 0)) x0 = m, g0 = gm;
          else x1 = m;
        }
        root = 0.5 * (x0 + x1);
        /* a jump of a discontinuous gain is no root */
        if (!(fabs(root - w0 * rt_field_gain_eval(g, root) - I) <= tol)) root = NAN;
      }
      if (isfinite(root) && (nfp == 0 || fabs(root - fp[nfp - 1]) > tol)) fp[nfp++] = root;
      a = b, ga = gb;
    }
  }
  return nfp;
}

static int32_t pick_fp(const RtFieldGain *g, double w0, const double *fp, int32_t nfp) {
  for (int32_t i = 0; i < nfp; i++)
    if (rt_field_gain_deriv(g, fp[i]) * w0 < 1) return i;
  return 0;
}

/* continuous argmax of the analytic w^ (library kernels) on [0, Nyquist] */
static double argmax_what(const RtField *f) {
  const RtFieldKernel *k = &f->spec.kernel;
  double kmax = M_PI / fmin(f->dx, f->dy);
  enum { M = 4096 };
  double best = -INFINITY;
  int ib = 0;
  for (int i = 0; i <= M; i++) {
    double w = rt_field_what_analytic(k, f->dim, kmax * i / M);
    if (w > best) best = w, ib = i;
  }
  double a = kmax * (ib > 0 ? ib - 1 : 0) / M, b = kmax * (ib < M ? ib + 1 : M) / M;
  const double gr = 0.5 * (sqrt(5.0) - 1);
  for (int it = 0; it < 200 && b - a > 1e-14 * kmax; it++) { /* golden section */
    double c = b - gr * (b - a), d = a + gr * (b - a);
    if (rt_field_what_analytic(k, f->dim, c) >= rt_field_what_analytic(k, f->dim, d)) b = d;
    else a = c;
  }
  double q = 0.5 * (a + b);
  return rt_field_what_analytic(k, f->dim, 0) >= rt_field_what_analytic(k, f->dim, q) ? 0 : q;
}

void rt_field_stability_at(const RtField *f, double u0, RtFieldStability *rep) {
  const RtFieldGain *g = &f->spec.gain;
  double tau = f->spec.tau;
  rep->u0 = u0;
  rep->fprime = rt_field_gain_deriv(g, u0);
  rep->w0 = w_zero(f);
  rep->lambda0 = (-1 + rep->fprime * rep->w0) / tau;
  /* most unstable allowed mode, k != 0 */
  double best = -INFINITY;
  rep->mx = rep->my = 0;
  int32_t ylo = f->dim == 2 ? -((f->ny - 1) / 2) : 0, yhi = f->dim == 2 ? f->ny / 2 : 0;
  for (int32_t x = 0; x <= f->nx / 2; x++)
    for (int32_t y = ylo; y <= yhi; y++) {
      if (x == 0 && y <= 0) continue; /* (0,0), and (0,-y) duplicates (0,y) */
      double q = rt_field_mode_k(f, x, y), w = what_at(f, q, x, y);
      double lam = (-1 + rep->fprime * w) / tau;
      if (!isfinite(best) || lam > best + 1e-14 * fabs(best)) best = lam, rep->mx = x, rep->my = y;
    }
  rep->kmax = rt_field_mode_k(f, rep->mx, rep->my);
  rep->wkmax = what_at(f, rep->kmax, rep->mx, rep->my);
  rep->lambda_max = (-1 + rep->fprime * rep->wkmax) / tau;
  rep->wavelength = 2 * M_PI / rep->kmax;
  /* the continuous critical wavenumber */
  const RtFieldKernel *k = &f->spec.kernel;
  if (k->kind == RT_KERNEL_DOG) {
    rep->kc = rt_field_dog_kc(k->a_e, k->s_e, k->a_i, k->s_i);
    rep->kc_analytic = true;
  } else if (library_kernel(k)) {
    rep->kc = argmax_what(f);
    rep->kc_analytic = true;
  } else {
    double w0 = rep->w0;
    rep->kc = rep->wkmax > w0 ? rep->kmax : 0;
    rep->kc_analytic = false;
  }
  rep->wkc = rep->kc_analytic ? rt_field_what_analytic(k, f->dim, rep->kc)
                              : (rep->kc > 0 ? rep->wkmax : rep->w0);
  rep->wavelength_c = rep->kc > 0 ? 2 * M_PI / rep->kc : INFINITY;
  rep->fprime_turing = rep->wkc > 0 ? 1 / rep->wkc : NAN;
  rep->fprime_turing_grid = rep->wkmax > 0 ? 1 / rep->wkmax : NAN;
  /* Turing gain of a sigmoid: beta with f'_beta(u0(beta)) w^(kc) = 1, the
   * fixed point followed as beta changes (first sign change on a
   * geometric scan, then bisection) */
  rep->gain_turing = NAN;
  if (g->kind == RT_GAIN_SIGMOID && rep->wkc > 0) {
    RtFieldGain gb = *g;
    double fp[RT_FIELD_MAXFP], I = f->spec.I, w0 = rep->w0;
    enum { S = 240 };
    double blo = g->gain * 1e-4, bhi = g->gain * 1e4, prevb = NAN, prevh = NAN;
    for (int i = 0; i <= S; i++) {
      double b = blo * pow(bhi / blo, (double)i / S);
      gb.gain = b;
      int32_t nfp = find_fps(&gb, w0, I, fp, RT_FIELD_MAXFP);
      if (nfp == 0) continue;
      double h = rt_field_gain_deriv(&gb, fp[pick_fp(&gb, w0, fp, nfp)]) * rep->wkc - 1;
      if (isfinite(prevh) && prevh < 0 && h >= 0) {
        double a = prevb, c = b;
        for (int it = 0; it < 100 && c - a > 1e-13 * c; it++) {
          double m = 0.5 * (a + c);
          gb.gain = m;
          nfp = find_fps(&gb, w0, I, fp, RT_FIELD_MAXFP);
          double hm = nfp ? rt_field_gain_deriv(&gb, fp[pick_fp(&gb, w0, fp, nfp)]) * rep->wkc - 1
                          : NAN;
          if (!isfinite(hm)) break;
          if (hm < 0) a = m;
          else c = m;
        }
        rep->gain_turing = 0.5 * (a + c);
        break;
      }
      prevb = b, prevh = h;
    }
  }
  rep->state = rep->lambda0 > 0      ? RT_FIELD_HOMOGENEOUS
               : rep->lambda_max > 0 ? RT_FIELD_TURING
                                     : RT_FIELD_STABLE;
}

bool rt_field_stability(const RtField *f, RtFieldStability *rep, char *err, size_t errlen) {
  if (!f || !rep) {
    rt_msg(err, errlen, "field stability: no field");
    return false;
  }
  memset(rep, 0, sizeof *rep);
  double w0 = w_zero(f);
  rep->nfp = find_fps(&f->spec.gain, w0, f->spec.I, rep->fp, RT_FIELD_MAXFP);
  if (rep->nfp == 0) {
    rt_msg(err, errlen, "field stability: no homogeneous fixed point u0 = w^(0) f(u0) + I found "
           "(w^(0) = %g, I = %g)", w0, f->spec.I);
    return false;
  }
  rt_field_stability_at(f, rep->fp[pick_fp(&f->spec.gain, w0, rep->fp, rep->nfp)], rep);
  return true;
}

double rt_field_mode_growth(const RtField *f, const RtFieldStability *rep, int32_t mx,
                            int32_t my) {
  double q = rt_field_mode_k(f, mx, my);
  return (-1 + rep->fprime * what_at(f, q, mx, my)) / f->spec.tau;
}

int rt_field_stability_format(const RtField *f, const RtFieldStability *rep, char *buf,
                              size_t len) {
  static const char *states[] = {"stable", "Turing-unstable (pattern forming)",
                                 "homogeneously unstable"};
  size_t o = 0;
  int total = 0;
#define PUT(...)                                                                   \
  do {                                                                             \
    int w_ = snprintf(buf && o < len ? buf + o : NULL, buf && o < len ? len - o : 0, \
                      __VA_ARGS__);                                                \
    if (w_ > 0) total += w_, o += (size_t)w_;                                      \
  } while (0)
  if (f->dim == 2)
    PUT("neural field on a torus %g x %g m, %d x %d points, tau = %g s\n", f->spec.Lx,
        f->spec.Ly, (int)f->nx, (int)f->ny, f->spec.tau);
  else
    PUT("neural field on a ring of %g m, %d points, tau = %g s\n", f->spec.Lx, (int)f->nx,
        f->spec.tau);
  PUT("  homogeneous fixed points u0 = w^(0) f(u0) + I:");
  for (int32_t i = 0; i < rep->nfp; i++) PUT("%s %.10g", i ? "," : "", rep->fp[i]);
  PUT("; analysed u0 = %.10g\n", rep->u0);
  PUT("  f'(u0) = %.10g, w^(0) = %.10g, lambda(0) = %.6g 1/s\n", rep->fprime, rep->w0,
      rep->lambda0);
  PUT("  critical wavenumber k_c = %.10g rad/m (%s), w^(k_c) = %.10g, 2 pi/k_c = %.6g m\n",
      rep->kc, rep->kc_analytic ? "analytic" : "from the FFT", rep->wkc, rep->wavelength_c);
  if (f->dim == 2) PUT("  most unstable allowed mode (%d, %d)", (int)rep->mx, (int)rep->my);
  else PUT("  most unstable allowed mode n = %d", (int)rep->mx);
  PUT(": k_max = %.10g rad/m, w^(k_max) = %.10g%s\n", rep->kmax, rep->wkmax,
      library_kernel(&f->spec.kernel) ? "" : " (from the FFT)");
  PUT("    growth rate lambda(k_max) = %.6g 1/s, predicted wavelength 2 pi/k_max = %.6g m\n",
      rep->lambda_max, rep->wavelength);
  PUT("  Turing threshold: f'(u0) = %.10g (at k_c), %.10g (at k_max)", rep->fprime_turing,
      rep->fprime_turing_grid);
  if (f->spec.gain.kind == RT_GAIN_SIGMOID) {
    if (isfinite(rep->gain_turing)) PUT("; sigmoid gain %.10g", rep->gain_turing);
    else PUT("; no sigmoid gain reaches it");
  }
  PUT("\n  state: %s\n", states[rep->state]);
#undef PUT
  return total;
}

/* ---- scale checks ---------------------------------------------------------------------- */

int rt_field_scale_check(const RtField *f, const RtFieldStability *rep_in, char *msg,
                         size_t len) {
  if (msg && len) msg[0] = 0;
  if (!f) return 0;
  size_t o = 0;
  int nw = 0;
#define ADD(...)                                                                   \
  do {                                                                             \
    nw++;                                                                          \
    if (msg && o < len) o += (size_t)snprintf(msg + o, len - o, __VA_ARGS__);      \
  } while (0)
  const RtFieldKernel *k = &f->spec.kernel;
  double smin = k->kind == RT_KERNEL_DOG    ? fmin(k->s_e, k->s_i)
                : k->kind == RT_KERNEL_USER ? k->user_width
                                            : k->s_e;
  if (smin > 0) {
    const char *nm[2] = {f->dim == 2 ? "dx" : "dx", "dy"};
    double d[2] = {f->dx, f->dy}, L[2] = {f->spec.Lx, f->spec.Ly};
    for (int i = 0; i < f->dim; i++)
      if (d[i] > smin / 2)
        ADD("field grid: %s = %g m exceeds half the smallest kernel width (sigma_min/2 = %g m, "
            "sigma_min = %g m): use at least %.0f points along %s\n",
            nm[i], d[i], smin / 2, smin, ceil(2 * L[i] / smin), i ? "y" : "x");
  }
  RtFieldStability tmp;
  const RtFieldStability *rep = rep_in;
  if (!rep && rt_field_stability(f, &tmp, NULL, 0)) rep = &tmp;
  if (rep && rep->kc > 0 && isfinite(rep->wavelength_c)) {
    double L[2] = {f->spec.Lx, f->spec.Ly};
    for (int i = 0; i < f->dim; i++)
      if (L[i] < 2 * rep->wavelength_c)
        ADD("field domain: %s = %g m is shorter than two predicted pattern wavelengths "
            "(2 x 2pi/k_c = 2 x %g m = %g m)\n",
            f->dim == 2 ? (i ? "Ly" : "Lx") : "L", L[i], rep->wavelength_c,
            2 * rep->wavelength_c);
  }
#undef ADD
  return nw;
}
