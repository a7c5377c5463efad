/* runtime/rt_field.h — neural-field solver (the population scale): an
 * Amari / Wilson–Cowan field on a ring or a torus,
 *
 *     tau du/dt = -u + (w * f(u)) + I (+ I_ext(x)),
 *
 * with the spatial convolution done by FFT each step (GSL mixed-radix
 * transforms, the kernel's transform computed once), a kernel library
 * (Gaussian, difference of Gaussians, exponential, user callback), gain
 * functions (sigmoid, Heaviside, user callback), a linear-stability report
 * (homogeneous fixed point, growth rates, most unstable mode, Turing
 * threshold) and the scale checks of DESIGN.md (grid spacing against kernel
 * width, domain against the predicted wavelength).  See docs/field.md.
 *
 * Everything is SI: lengths in m, wavenumbers in rad/m, tau in s; u and I
 * share one (arbitrary) unit, f is dimensionless, a kernel amplitude
 * (its integral over the line / the plane) carries unit(u).
 *
 * Grid: a ring of length L has N points x_j = j dx, dx = L/N; a torus
 * Lx x Ly has nx x ny points, stored row-major u[iy*nx + ix].  The kernel
 * is sampled at the periodic (minimum-image) distance and multiplied by the
 * cell size (dx, or dx dy), so the discrete periodic convolution
 * approximates the integral.  A step allocates nothing (its scratch lives
 * in RtField: one RtField must not be stepped from two threads at once).
 * No function aborts: bad input gives false / NULL / NaN and a message.
 */
#ifndef MSN_RT_FIELD_H
#define MSN_RT_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RT_FIELD_RING = 1, RT_FIELD_TORUS = 2 };

/* Kernels w(r), r >= 0 the distance (m).  Library kernels are normalised
 * so that they integrate (over the line for a ring, the plane for a torus)
 * to their amplitude:
 *   GAUSSIAN     a_e G(r; s_e)                 G the normalised Gaussian
 *   DOG          a_e G(r; s_e) - a_i G(r; s_i) "Mexican hat" (populations.md)
 *   EXPONENTIAL  ring: a_e/(2 s_e) e^{-r/s_e};  torus: a_e/(2 pi s_e^2) e^{-r/s_e}
 *   USER         user(r, ctx), taken as is (no normalisation). */
enum { RT_KERNEL_GAUSSIAN = 0, RT_KERNEL_DOG = 1, RT_KERNEL_EXPONENTIAL = 2,
       RT_KERNEL_USER = 3 };
typedef double (*RtFieldKernelFn)(double r, void *ctx);
typedef struct RtFieldKernel {
  int32_t kind;
  double a_e, s_e;      /* amplitude [u], width [m] */
  double a_i, s_i;      /* DOG only: the inhibitory Gaussian */
  RtFieldKernelFn user; /* USER: w(r) */
  void *ctx;
  double user_width;    /* USER: smallest length scale (m) for the scale check; 0 = unknown */
} RtFieldKernel;

/* Gains f(u):
 *   SIGMOID    1 / (1 + exp(-gain (u - threshold)))
 *   HEAVISIDE  1 if u > threshold else 0   (f' = 0 away from the threshold)
 *   USER       f(u, ctx); df(u, ctx) if given, else a central difference;
 *              fv(u, out, n, ctx), if given, computes out[i] = f(u[i]) for a
 *              whole array at once (the time steps use it: one call per
 *              evaluation of the field instead of one per point). */
enum { RT_GAIN_SIGMOID = 0, RT_GAIN_HEAVISIDE = 1, RT_GAIN_USER = 2 };
typedef double (*RtFieldGainFn)(double u, void *ctx);
typedef void (*RtFieldGainVecFn)(const double *u, double *out, int64_t n, void *ctx);
typedef struct RtFieldGain {
  int32_t kind;
  double gain;          /* SIGMOID: slope parameter beta (1/[u]) */
  double threshold;     /* SIGMOID, HEAVISIDE: [u] */
  RtFieldGainFn f, df;  /* USER (df may be NULL) */
  void *ctx;
  RtFieldGainVecFn fv;  /* USER, optional: f over an array (same ctx) */
} RtFieldGain;

/* Time stepping.  RK4: classical Runge–Kutta on the whole right-hand side
 * (4 convolutions a step, 4th order; the default).  EXPEULER: exponential
 * Euler, exact for the linear part -u/tau with (w * f(u)) + I frozen over
 * the step: u' = E u + (1 - E)(w * f(u) + I), E = exp(-dt/tau)
 * (1 convolution a step, 1st order, unconditionally stable leak). */
enum { RT_FIELD_RK4 = 0, RT_FIELD_EXPEULER = 1 };

typedef struct RtFieldSpec {
  int32_t geometry;     /* RT_FIELD_RING or RT_FIELD_TORUS */
  int32_t nx, ny;       /* points (ring: nx = N, ny ignored); each >= 4 */
  double Lx, Ly;        /* m (ring: Lx = L, Ly ignored) */
  double tau;           /* s */
  double I;             /* homogeneous input [u] */
  RtFieldKernel kernel;
  RtFieldGain gain;
  int32_t method;       /* RT_FIELD_RK4 or RT_FIELD_EXPEULER */
} RtFieldSpec;

struct RtFieldFFT;      /* GSL tables and workspaces (rt_field.c) */

/* A time-dependent I_ext(x, t): fill I (n values, index as u) at time t. */
typedef void (*RtFieldInputFn)(double t, double *I, void *ctx);

typedef struct RtField {
  RtFieldSpec spec;     /* a copy; spec.ny = 1, spec.Ly = dx on a ring */
  int32_t dim;          /* 1 (ring) or 2 (torus) */
  int32_t nx, ny;       /* ny = 1 on a ring */
  int64_t n;            /* nx * ny */
  double dx, dy, cell;  /* spacing (m) and cell size (m or m^2) */
  double *wgrid;        /* n: w(periodic distance) * cell, index as u */
  double *what;         /* ring: n multipliers in GSL half-complex order;
                           torus: ny*(nx/2+1) real DFT of wgrid, [ky][kx] */
  const double *input;  /* optional I_ext (n values, caller-owned), NULL: none */
  RtFieldInputFn input_at; /* optional I_ext(x, t) instead (rt_field_set_input_fn) */
  void *input_ctx;
  double *ibuf, ibuf_t; /* its values and the time they are for */
  /* scratch (steps and transforms) */
  double *fu, *k, *acc, *ut, *cbuf;
  double ee_dt, ee_E;   /* cached exponential-Euler factor */
  struct RtFieldFFT *fft;
} RtField;

/* Check spec and build the field (kernel sampled and transformed once).
 * NULL and a message on bad input (fewer than 4 points, non-positive or
 * non-finite lengths / tau / widths, missing callbacks, ...). */
RtField *rt_field_new(const RtFieldSpec *spec, char *err, size_t errlen);
void rt_field_free(RtField *f);

/* out = w * in (periodic, discrete: sum_j wgrid[i - j] in[j]) by FFT.
 * in and out may be the same array; allocation-free. */
void rt_field_convolve(RtField *f, const double *in, double *out);
/* The same sum done directly, O(n^2) (a reference for tests). */
void rt_field_convolve_direct(const RtField *f, const double *in, double *out);

/* dudt = (-u + w * f(u) + I + I_ext) / tau. */
void rt_field_rhs(RtField *f, const double *u, double *dudt);
/* Advance u (n values) by dt with spec.method.  false for dt <= 0 / NaN,
 * or when a time-dependent input is set (use rt_field_step_at). */
bool rt_field_step(RtField *f, double *u, double dt);
/* The same from time t: a time-dependent input is evaluated at the stage
 * times (RK4: t, t + dt/2, t + dt, so the method keeps its 4th order;
 * exponential Euler: t, frozen over the step like the convolution). */
bool rt_field_step_at(RtField *f, double *u, double t, double dt);
/* Use fn(t, I, ctx) for I_ext instead of `input` (NULL: back to `input`);
 * allocates its buffer here, not in the steps.  false (and a message) when
 * out of memory. */
bool rt_field_set_input_fn(RtField *f, RtFieldInputFn fn, void *ctx, char *err, size_t errlen);

/* Kernel value w(r) (unnormalised by the cell). */
double rt_field_kernel_eval(const RtFieldKernel *k, int32_t dim, double r);
/* Analytic transform w^(k) = integral w(x) e^{-i k.x} dx of a library
 * kernel (|k| = kmag, rad/m) on the line (dim 1) or plane (dim 2);
 * NaN for a USER kernel. */
double rt_field_what_analytic(const RtFieldKernel *k, int32_t dim, double kmag);
/* Discrete transform of the sampled kernel at mode (mx, my) (my = 0 on a
 * ring), i.e. sum_j wgrid_j e^{-i k.x_j}: approximates w^(k) at
 * k = 2 pi (mx/Lx, my/Ly).  Any integer modes (taken modulo the grid). */
double rt_field_what_mode(const RtField *f, int32_t mx, int32_t my);
/* |k| of mode (mx, my), rad/m. */
double rt_field_mode_k(const RtField *f, int32_t mx, int32_t my);
/* Critical wavenumber of a difference of normalised Gaussians
 * (populations.md): k_c^2 = 2 ln(a_i s_i^2 / (a_e s_e^2)) / (s_i^2 - s_e^2);
 * 0 when the argument gives no positive k_c. */
double rt_field_dog_kc(double a_e, double s_e, double a_i, double s_i);
/* W(a) = integral_0^a w(x) dx on the line (library kernels analytic, user
 * kernels by Simpson's rule); NaN for bad input. */
double rt_field_kernel_W(const RtFieldKernel *k, double a);
/* Amari bump width on the line: the widest a with W(a) = h - I (h the
 * Heaviside threshold) among a in (0, amax] (the stable branch, w(a) < 0);
 * NaN if none. */
double rt_field_amari_width(const RtFieldKernel *k, double h_minus_I, double amax);

double rt_field_gain_eval(const RtFieldGain *g, double u);
double rt_field_gain_deriv(const RtFieldGain *g, double u);

/* Mode amplitude |u^(mx,my)| * 2/n (the amplitude A of A cos(k.x + phi);
 * k = 0: the mean) and the dominant mode over k != 0.  Use the scratch. */
double rt_field_mode_amplitude(RtField *f, const double *u, int32_t mx, int32_t my);
void rt_field_dominant_mode(RtField *f, const double *u, int32_t *mx, int32_t *my,
                            double *kmag, double *amp);

/* Linear stability of the homogeneous state. */
#define RT_FIELD_MAXFP 8
typedef struct RtFieldStability {
  int32_t nfp;                    /* homogeneous fixed points found */
  double fp[RT_FIELD_MAXFP];      /* u0 = w^(0) f(u0) + I, ascending */
  double u0;                      /* the one analysed (first with f' w^(0) < 1) */
  double fprime;                  /* f'(u0) */
  double w0;                      /* w^(0) (kernel integral) */
  double lambda0;                 /* growth rate of the homogeneous mode, 1/s */
  double kc;                      /* continuous argmax of w^(k) (rad/m); 0 if at k = 0 */
  double wkc;                     /* w^(kc) */
  bool kc_analytic;               /* kc from the DOG formula / analytic w^ */
  int32_t mx, my;                 /* most unstable allowed mode (k != 0) */
  double kmax;                    /* its |k|, rad/m */
  double wkmax;                   /* w^(kmax) (analytic, or the FFT's for USER) */
  double lambda_max;              /* (-1 + f' w^(kmax)) / tau, 1/s */
  double wavelength;              /* 2 pi / kmax, m */
  double wavelength_c;            /* 2 pi / kc (inf if kc = 0), m */
  double fprime_turing;           /* 1 / w^(kc) (NaN if w^(kc) <= 0) */
  double fprime_turing_grid;      /* 1 / w^(kmax) */
  double gain_turing;             /* SIGMOID: gain with f'(u0(gain)) w^(kc) = 1; else NaN */
  int32_t state;                  /* RT_FIELD_STABLE / _TURING / _HOMOGENEOUS */
} RtFieldStability;
enum { RT_FIELD_STABLE = 0, RT_FIELD_TURING = 1, RT_FIELD_HOMOGENEOUS = 2 };

/* Fill rep (fixed points by scanning and bisection, then the analysis at
 * the first homogeneously stable one).  false and a message if no fixed
 * point is found. */
bool rt_field_stability(const RtField *f, RtFieldStability *rep, char *err, size_t errlen);
/* The same analysis at a given u0 (fp/nfp left as found by the caller). */
void rt_field_stability_at(const RtField *f, double u0, RtFieldStability *rep);
/* Growth rate (-1 + f'(u0) w^(k)) / tau of allowed mode (mx, my). */
double rt_field_mode_growth(const RtField *f, const RtFieldStability *rep, int32_t mx,
                            int32_t my);
/* Text report (like snprintf: returns the length it wanted). */
int rt_field_stability_format(const RtField *f, const RtFieldStability *rep, char *buf,
                              size_t len);

/* Scale checks: dx (and dy) against half the smallest kernel width, and the
 * domain against two predicted wavelengths (rep may be NULL: computed).
 * Writes the warnings, one a line, into msg; returns how many. */
int rt_field_scale_check(const RtField *f, const RtFieldStability *rep, char *msg,
                         size_t len);

#ifdef __cplusplus
}
#endif

#endif
