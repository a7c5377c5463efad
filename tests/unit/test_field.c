/* tests/unit/test_field.c — the neural-field solver (runtime/rt_field.c).
 *
 * Reference: /work/shared/validation/populations.md, section "Neural field,
 * linear stability (homogeneous state u0)":
 *   lambda(k) = (-1 + f'(u0) w^(k)) / tau;
 *   difference of normalised Gaussians: w^(k) = a_e e^{-s_e^2 k^2/2} - a_i e^{-s_i^2 k^2/2};
 *   k_c^2 = 2 ln(a_i s_i^2 / (a_e s_e^2)) / (s_i^2 - s_e^2);
 *   Turing instability when f' w^(k_c) > 1 while f' w^(0) < 1; the pattern's
 *   wavelength is 2 pi / k_c (on a ring, the nearest allowed mode).
 * Amari bump (derived in docs/field.md): a stationary bump u > h on an
 * interval of width a, Heaviside gain, input I, satisfies u(x) = W(x) - W(x - a) + I
 * with W(x) = int_0^x w, so the threshold condition at its edges is
 * W(a) = h - I; it is stable where w(a) < 0 (the wider root).
 *
 * Tolerances (each test prints what it measured beside its tolerance):
 *   FFT vs direct periodic convolution          1e-12 (absolute, O(1) data; GSL's
 *                                                 mixed radix and the power-of-two path)
 *   FFT kernel transform vs analytic DoG          1e-6  (dx <= s_e/12, L >= 20 s_i)
 *   k_c formula vs argmax of w^                   1e-6 relative (continuous), one
 *                                                 mode spacing (FFT spectrum)
 *   ring pattern wavelength vs 2 pi / k_max      one grid step dx
 *   decay rate of a single mode vs lambda(k)     2 %
 *   Amari bump width vs W(a) = h - I              2 grid cells
 *   torus pattern |k| vs k_max                     one grid step 2 pi / L in k
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_field.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define MM 1e-3

/* deterministic uniform numbers in [-1, 1) */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0; /* 2^52 */
}

/* Mexican hat of the tests: balanced (w^(0) = 0), so u0 = I for any gain */
static RtFieldKernel hat(void) {
  return (RtFieldKernel){.kind = RT_KERNEL_DOG, .a_e = 1, .s_e = 0.5 * MM, .a_i = 1,
                         .s_i = 1.0 * MM};
}

static RtFieldSpec ring_spec(double L, int32_t N, double beta) {
  return (RtFieldSpec){.geometry = RT_FIELD_RING, .nx = N, .Lx = L, .tau = 10e-3, .I = 0,
                       .kernel = hat(),
                       .gain = {.kind = RT_GAIN_SIGMOID, .gain = beta, .threshold = 0},
                       .method = RT_FIELD_RK4};
}

static RtField *make(const RtFieldSpec *s) {
  char err[256];
  RtField *f = rt_field_new(s, err, sizeof err);
  if (!f) fprintf(stderr, "rt_field_new: %s\n", err);
  return f;
}

/* ---- FFT convolution = direct periodic sum ---------------------------------- */

static double conv_err(RtField *f) {
  size_t n = (size_t)f->n;
  double *in = calloc(n, sizeof *in), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  for (size_t i = 0; i < n; i++) in[i] = urand();
  rt_field_convolve_direct(f, in, b);
  rt_field_convolve(f, in, a);
  double e = 0;
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
  rt_field_convolve(f, in, in); /* in place */
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(in[i] - b[i]));
  free(in), free(a), free(b);
  return e;
}

static void test_fft_vs_direct(void) {
  int32_t Ns[] = {64, 60, 81, 7}; /* radix 2, mixed 2^2*3*5, 3^4, prime (general radix) */
  for (int i = 0; i < 4; i++) {
    RtFieldSpec s = ring_spec(8 * MM, Ns[i] < 8 ? 8 : Ns[i], 5);
    s.nx = Ns[i];
    RtField *f = make(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    double e = conv_err(f);
    printf("\n    ring N = %d: max |FFT - direct| = %.2e (tol 1e-12)", (int)Ns[i], e);
    CU_ASSERT(e < 1e-12);
    rt_field_free(f);
  }
  /* GSL's mixed radix; then powers of two with nx >= 64, which take the
   * batched radix-2 path of rt_field.c (even and odd numbers of stages) */
  int32_t dims[][2] = {{32, 24}, {20, 36}, {16, 16}, {64, 16}, {128, 32}, {64, 128}, {256, 4}};
  for (int i = 0; i < 7; i++) {
    RtFieldSpec s = ring_spec(6 * MM, dims[i][0], 5);
    s.geometry = RT_FIELD_TORUS, s.ny = dims[i][1], s.Ly = 5 * MM;
    RtField *f = make(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    double e = conv_err(f);
    printf("\n    torus %d x %d: max |FFT - direct| = %.2e (tol 1e-12)", (int)dims[i][0],
           (int)dims[i][1], e);
    CU_ASSERT(e < 1e-12);
    rt_field_free(f);
  }
}

/* ---- kernel transform and k_c ------------------------------------------------ */

static double user_dog(double r, void *ctx) {
  (void)ctx;
  RtFieldKernel k = hat();
  return rt_field_kernel_eval(&k, 1, r);
}

static void test_transform_kc(void) {
  RtFieldKernel k = hat();
  /* analytic w^ vs the FFT of the sampled kernel, ring and torus */
  RtFieldSpec s = ring_spec(20 * MM, 512, 5);
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  double e = 0;
  for (int32_t m = 0; m <= 256; m++)
    e = fmax(e, fabs(rt_field_what_mode(f, m, 0) -
                     rt_field_what_analytic(&k, 1, rt_field_mode_k(f, m, 0))));
  printf("\n    ring: max |w^_FFT - w^_DoG| over all modes = %.2e (tol 1e-6)", e);
  CU_ASSERT(e < 1e-6);
  rt_field_free(f);

  RtFieldSpec t = ring_spec(20 * MM, 256, 5);
  t.geometry = RT_FIELD_TORUS, t.ny = 240, t.Ly = 18 * MM;
  f = make(&t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  e = 0;
  for (int32_t mx = -128; mx <= 128; mx += 3)
    for (int32_t my = -120; my <= 120; my += 5)
      e = fmax(e, fabs(rt_field_what_mode(f, mx, my) -
                       rt_field_what_analytic(&k, 2, rt_field_mode_k(f, mx, my))));
  printf("\n    torus: max |w^_FFT - w^_DoG (2-D)| = %.2e (tol 1e-6)", e);
  CU_ASSERT(e < 1e-6);
  rt_field_free(f);

  /* k_c (populations.md) vs the argmax of the analytic w^ (golden section) */
  double kc = rt_field_dog_kc(k.a_e, k.s_e, k.a_i, k.s_i);
  double a = 0, b = 10 / k.s_e, gr = 0.5 * (sqrt(5.0) - 1);
  for (int it = 0; it < 200; it++) {
    double c = b - gr * (b - a), d = a + gr * (b - a);
    if (rt_field_what_analytic(&k, 1, c) > rt_field_what_analytic(&k, 1, d)) b = d;
    else a = c;
  }
  double kc_num = 0.5 * (a + b);
  printf("\n    k_c formula %.10g rad/m, argmax of w^ %.10g rad/m (rel. tol 1e-6)", kc, kc_num);
  CU_ASSERT(fabs(kc - kc_num) < 1e-6 * kc);
  /* and vs the argmax of the FFT spectrum on a long, fine ring */
  s = ring_spec(400 * MM, 8192, 5);
  f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  int32_t best = 1;
  for (int32_t m = 1; m <= 4096; m++)
    if (rt_field_what_mode(f, m, 0) > rt_field_what_mode(f, best, 0)) best = m;
  double dk = 2 * M_PI / s.Lx, kb = rt_field_mode_k(f, best, 0);
  printf("\n    FFT argmax mode n = %d, k = %.6g, |k - k_c| = %.3g (tol dk = %.3g)", (int)best, kb,
         fabs(kb - kc), dk);
  CU_ASSERT(fabs(kb - kc) <= dk);
  RtFieldStability rep;
  CU_ASSERT_FATAL(rt_field_stability(f, &rep, NULL, 0));
  CU_ASSERT(rep.kc == kc && rep.kc_analytic);
  CU_ASSERT(rep.mx == best);
  rt_field_free(f);

  /* a user kernel (the same DoG through a callback): the report's numbers
   * come from the FFT and agree with the analytic ones */
  s = ring_spec(20 * MM, 512, 10);
  f = make(&s);
  RtFieldSpec su = s;
  su.kernel = (RtFieldKernel){.kind = RT_KERNEL_USER, .user = user_dog, .user_width = 0.5 * MM};
  RtField *fu = make(&su);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fu);
  RtFieldStability r1, r2;
  CU_ASSERT_FATAL(rt_field_stability(f, &r1, NULL, 0));
  CU_ASSERT_FATAL(rt_field_stability(fu, &r2, NULL, 0));
  printf("\n    user kernel: k_max %g vs %g, lambda_max %.10g vs %.10g", r2.kmax, r1.kmax,
         r2.lambda_max, r1.lambda_max);
  CU_ASSERT(r1.mx == r2.mx && !r2.kc_analytic);
  CU_ASSERT(fabs(r1.lambda_max - r2.lambda_max) < 1e-6 * fabs(r1.lambda_max));
  CU_ASSERT(fabs(r1.u0 - r2.u0) < 1e-9);
  rt_field_free(f);
  rt_field_free(fu);
}

/* ---- the stability report -------------------------------------------------------- */

static double user_sig(double u, void *ctx) { return 1 / (1 + exp(-*(double *)ctx * (u - 0.3))); }

static void test_report(void) {
  /* balanced hat, I = threshold: u0 = I, f' = beta/4, Turing gain 4 / w^(k_c) */
  RtFieldSpec s = ring_spec(20 * MM, 256, 5);
  s.I = 0.3, s.gain.threshold = 0.3;
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  RtFieldStability rep;
  char err[256], buf[2048];
  CU_ASSERT_FATAL(rt_field_stability(f, &rep, err, sizeof err));
  RtFieldKernel k = hat();
  double kc = rt_field_dog_kc(k.a_e, k.s_e, k.a_i, k.s_i);
  double gt = 4 / rt_field_what_analytic(&k, 1, kc);
  rt_field_stability_format(f, &rep, buf, sizeof buf);
  printf("\n%s", buf);
  printf("    u0 = %.12g (expect 0.3), f' = %.12g (expect 1.25), Turing gain %.10g (expect %.10g)",
         rep.u0, rep.fprime, rep.gain_turing, gt);
  CU_ASSERT(rep.nfp == 1 && fabs(rep.u0 - 0.3) < 1e-12);
  CU_ASSERT(fabs(rep.fprime - 1.25) < 1e-12);
  CU_ASSERT(fabs(rep.gain_turing - gt) < 1e-9 * gt);
  CU_ASSERT(fabs(rep.lambda0 + 1 / s.tau) < 1e-9 / s.tau);
  CU_ASSERT(rep.state == RT_FIELD_STABLE);
  CU_ASSERT(strstr(buf, "k_max") && strstr(buf, "Turing threshold"));
  /* an unbalanced kernel with a user sigmoid: u0 solves u0 = w0 f(u0) + I */
  double beta = 4;
  RtFieldSpec s2 = s;
  s2.kernel.a_e = 2;
  s2.gain = (RtFieldGain){.kind = RT_GAIN_USER, .f = user_sig, .ctx = &beta};
  RtField *f2 = make(&s2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f2);
  CU_ASSERT_FATAL(rt_field_stability(f2, &rep, NULL, 0));
  double res = rep.u0 - 1.0 * user_sig(rep.u0, &beta) - 0.3;
  printf("\n    user gain: u0 = %.12g, residual %.2e, f' = %.10g (sigmoid: %.10g)", rep.u0, res,
         rep.fprime, beta * user_sig(rep.u0, &beta) * (1 - user_sig(rep.u0, &beta)));
  CU_ASSERT(fabs(res) < 1e-9);
  CU_ASSERT(fabs(rep.fprime - beta * user_sig(rep.u0, &beta) * (1 - user_sig(rep.u0, &beta))) <
            1e-8);
  rt_field_free(f2);
  /* scale checks: a coarse grid, a short domain */
  CU_ASSERT(rt_field_scale_check(f, NULL, buf, sizeof buf) == 0);
  rt_field_free(f);
  s.nx = 32, s.Lx = 5 * MM; /* dx = 0.156 mm < 0.25: fine; L < 2 x 3.27 mm */
  f = make(&s);
  int nw = rt_field_scale_check(f, NULL, buf, sizeof buf);
  printf("\n    %d warning(s):\n%s", nw, buf);
  CU_ASSERT(nw == 1 && strstr(buf, "field domain") && strstr(buf, "0.00326789 m"));
  rt_field_free(f);
  s.nx = 16, s.Lx = 20 * MM; /* dx = 1.25 mm > 0.25 mm */
  f = make(&s);
  nw = rt_field_scale_check(f, NULL, buf, sizeof buf);
  printf("    %d warning(s):\n%s", nw, buf);
  CU_ASSERT(nw == 1 && strstr(buf, "dx = 0.00125 m") && strstr(buf, "0.00025"));
  rt_field_free(f);
}

/* ---- ring: pattern above threshold, decay below ---------------------------------- */

static void test_ring_pattern(void) {
  RtFieldSpec s = ring_spec(20 * MM, 256, 1);
  RtField *f0 = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f0);
  RtFieldStability rep;
  CU_ASSERT_FATAL(rt_field_stability(f0, &rep, NULL, 0));
  double beta = 1.1 * 4 * rep.fprime_turing_grid; /* f' w^(k_max) = 1.1 */
  rt_field_free(f0);
  s.gain.gain = beta;
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_FATAL(rt_field_stability(f, &rep, NULL, 0));
  CU_ASSERT(rep.state == RT_FIELD_TURING);
  double *u = malloc(sizeof *u * (size_t)f->n);
  for (int64_t i = 0; i < f->n; i++) u[i] = rep.u0 + 1e-3 * urand();
  double dt = 0.1 * s.tau;
  for (int i = 0; i < 4000; i++) rt_field_step(f, u, dt);
  int32_t mx, my;
  double kd, amp;
  rt_field_dominant_mode(f, u, &mx, &my, &kd, &amp);
  double wl = 2 * M_PI / kd, wl_pred = 2 * M_PI / rep.kmax;
  printf("\n    gain %.4g: dominant mode n = %d (predicted %d), amplitude %.3g, wavelength "
         "%.6g m vs 2pi/k_max = %.6g m (tol dx = %.3g m)",
         beta, (int)mx, (int)rep.mx, amp, wl, wl_pred, f->dx);
  CU_ASSERT(fabs(wl - wl_pred) <= f->dx);
  CU_ASSERT(amp > 0.1);
  free(u);
  rt_field_free(f);
}

/* fit ln A(t) = c + lambda t by least squares */
static double decay_rate(RtField *f, double u0, int32_t m, double dt, int nsteps, int every) {
  double *u = malloc(sizeof *u * (size_t)f->n);
  for (int64_t i = 0; i < f->n; i++)
    u[i] = u0 + 1e-3 * cos(2 * M_PI * m * (double)i / (double)f->nx);
  double st = 0, sy = 0, stt = 0, sty = 0;
  int np = 0;
  for (int i = 0; i <= nsteps; i++) {
    if (i % every == 0) {
      double t = i * dt, y = log(rt_field_mode_amplitude(f, u, m, 0));
      st += t, sy += y, stt += t * t, sty += t * y, np++;
    }
    if (i < nsteps) rt_field_step(f, u, dt);
  }
  free(u);
  return (np * sty - st * sy) / (np * stt - st * st);
}

static void test_ring_decay(void) {
  RtFieldSpec s = ring_spec(20 * MM, 256, 1);
  s.I = 0.2, s.gain.threshold = 0.2;
  for (int meth = 0; meth < 2; meth++) {
    s.method = meth ? RT_FIELD_EXPEULER : RT_FIELD_RK4;
    RtField *f0 = make(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f0);
    RtFieldStability rep;
    CU_ASSERT_FATAL(rt_field_stability(f0, &rep, NULL, 0));
    double beta = 0.5 * 4 * rep.fprime_turing_grid; /* half the Turing gain */
    rt_field_free(f0);
    s.gain.gain = beta;
    RtField *f = make(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_FATAL(rt_field_stability(f, &rep, NULL, 0));
    CU_ASSERT(rep.state == RT_FIELD_STABLE);
    int32_t modes[] = {rep.mx, 2, 15};
    for (int j = 0; j < 3; j++) {
      double lam = rt_field_mode_growth(f, &rep, modes[j], 0);
      double fit = decay_rate(f, rep.u0, modes[j], 0.01 * s.tau, 500, 10);
      printf("\n    %s, mode n = %d: fitted rate %.6g 1/s, lambda(k) = %.6g 1/s, rel. err %.2e "
             "(tol 2e-2)",
             meth ? "exp. Euler" : "RK4", (int)modes[j], fit, lam, fabs(fit / lam - 1));
      CU_ASSERT(fabs(fit / lam - 1) < 0.02);
    }
    rt_field_free(f);
  }
}

/* ---- Amari bump --------------------------------------------------------------------- */

/* Run a box of half-width `half` (m) to steady state; return the number of
 * points above h and the interpolated width. */
static int32_t run_bump(RtField *f, double h, double half, double *width, double *width_mid) {
  double *u = malloc(sizeof *u * (size_t)f->n), xc = 0.5 * f->spec.Lx;
  for (int64_t i = 0; i < f->n; i++) u[i] = fabs(i * f->dx - xc) < half ? 1.0 : 0.0;
  int32_t cnt = 0;
  for (int phase = 0; phase < 2; phase++) {
    for (int i = 0; i < 1000; i++) rt_field_step(f, u, 0.1 * f->spec.tau);
    double xl = NAN, xr = NAN;
    cnt = 0;
    for (int64_t i = 0; i + 1 < f->n; i++) {
      cnt += u[i] > h;
      if (u[i] <= h && u[i + 1] > h) xl = (i + (h - u[i]) / (u[i + 1] - u[i])) * f->dx;
      if (u[i] > h && u[i + 1] <= h) xr = (i + (u[i] - h) / (u[i] - u[i + 1])) * f->dx;
    }
    *(phase ? width : width_mid) = xr - xl;
  }
  free(u);
  return cnt;
}

static void test_amari_bump(void) {
  /* lateral inhibition: W(inf) = (a_e - a_i)/2 = 0.5, max W = 0.614 at w(a) = 0,
   * so 0.5 < h - I < 0.614 gives a stable bump (the wider root of W(a) = h - I) */
  RtFieldKernel k = {.kind = RT_KERNEL_DOG, .a_e = 2, .s_e = 1 * MM, .a_i = 1, .s_i = 2 * MM};
  double h = 0.55, I = 0;
  RtFieldSpec s = {.geometry = RT_FIELD_RING, .nx = 1024, .Lx = 40 * MM, .tau = 10e-3, .I = I,
                   .kernel = k, .gain = {.kind = RT_GAIN_HEAVISIDE, .threshold = h},
                   .method = RT_FIELD_RK4};
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  double a = rt_field_amari_width(&k, h - I, 10 * MM);
  double wa = rt_field_kernel_eval(&k, 1, a);
  printf("\n    analytic width a = %.6g m (%.2f cells): W(a) = %.12g (h - I = %g), w(a) = %.4g "
         "< 0 (stable)", a, a / f->dx, rt_field_kernel_W(&k, a), h - I, wa);
  CU_ASSERT(isfinite(a) && fabs(rt_field_kernel_W(&k, a) - (h - I)) < 1e-12 && wa < 0);
  /* On the grid a Heaviside front is pinned: a bump of m points is
   * stationary when its outer neighbour stays at or below h and its edge
   * point above, sum_{j=1..m} wgrid_j <= h - I < sum_{j=0..m-1} wgrid_j.
   * The band of such m is about (w(0) - w(a)) / |w(a)| cells wide around
   * a / dx; a wide start stops at its top, a narrow one at its bottom. */
  int32_t mlo = -1, mhi = -1;
  double sin_ = 0, sout = 0;
  for (int32_t m = 1; m < f->nx / 4; m++) {
    sin_ += f->wgrid[m - 1], sout += f->wgrid[m];
    if (sout <= h - I && h - I < sin_) {
      if (mlo < 0) mlo = m;
      mhi = m;
    }
  }
  printf("\n    discrete stationary band: %d .. %d points (%.1f cells predicted from "
         "(w(0) - w(a))/|w(a)|), a/dx = %.2f",
         (int)mlo, (int)mhi, (rt_field_kernel_eval(&k, 1, 0) - wa) / fabs(wa), a / f->dx);
  CU_ASSERT(mlo > 0 && mlo - 1 <= a / f->dx && a / f->dx <= mhi + 1);
  double w1, w1m, w2, w2m, w3, w3m;
  int32_t c_wide = run_bump(f, h, 0.75 * a, &w1, &w1m);
  int32_t c_narrow = run_bump(f, h, 0.40 * a, &w2, &w2m);
  int32_t c_exact = run_bump(f, h, 0.50 * a, &w3, &w3m);
  printf("\n    start 1.5 a: %d points, width %.6g m (%.6g m at 100 tau)"
         "\n    start 0.8 a: %d points, width %.6g m (%.6g m at 100 tau)"
         "\n    start a:     %d points, width %.6g m (%.6g m at 100 tau); analytic %.6g m "
         "(tol 2 dx = %.3g m)",
         (int)c_wide, w1, w1m, (int)c_narrow, w2, w2m, (int)c_exact, w3, w3m, a, 2 * f->dx);
  /* Pinning: a front stops anywhere in a band of (w(0) - w(a))/|w(a)| cells
   * around the edge condition, so a start away from a ends within half
   * that band of a (6.6 cells here); a start at a stays within 2 cells. */
  double half_band = 0.5 * (rt_field_kernel_eval(&k, 1, 0) - wa) / fabs(wa) * f->dx;
  printf("\n    half pinning band %.3g m (%.2f cells)", half_band, half_band / f->dx);
  CU_ASSERT(c_wide >= mlo && c_wide <= mhi && c_narrow >= mlo && c_narrow <= mhi);
  CU_ASSERT(w2 - f->dx <= a && a <= w1 + f->dx); /* the two ends bracket the analytic width */
  CU_ASSERT(fabs(w1 - a) <= half_band && fabs(w2 - a) <= half_band);
  CU_ASSERT(fabs(w3 - a) <= 2 * f->dx);          /* a bump of width a persists */
  CU_ASSERT(fabs(w1 - w1m) <= f->dx && fabs(w2 - w2m) <= f->dx && fabs(w3 - w3m) <= f->dx);
  rt_field_free(f);
}

/* ---- torus pattern ------------------------------------------------------------------ */

static void test_torus_pattern(void) {
  RtFieldSpec s = ring_spec(12 * MM, 64, 1);
  s.geometry = RT_FIELD_TORUS, s.ny = 64, s.Ly = 12 * MM;
  RtField *f0 = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f0);
  RtFieldStability rep;
  CU_ASSERT_FATAL(rt_field_stability(f0, &rep, NULL, 0));
  double beta = 1.3 * 4 * rep.fprime_turing_grid;
  rt_field_free(f0);
  s.gain.gain = beta;
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_FATAL(rt_field_stability(f, &rep, NULL, 0));
  char buf[2048];
  rt_field_stability_format(f, &rep, buf, sizeof buf);
  printf("\n%s", buf);
  CU_ASSERT(rep.state == RT_FIELD_TURING);
  double *u = malloc(sizeof *u * (size_t)f->n);
  for (int64_t i = 0; i < f->n; i++) u[i] = rep.u0 + 1e-3 * urand();
  for (int i = 0; i < 2000; i++) rt_field_step(f, u, 0.1 * s.tau);
  int32_t mx, my;
  double kd, amp;
  rt_field_dominant_mode(f, u, &mx, &my, &kd, &amp);
  double dk = 2 * M_PI / s.Lx;
  printf("    dominant mode (%d, %d), |k| = %.6g rad/m, amplitude %.3g; k_max = %.6g rad/m "
         "(tol dk = %.4g rad/m)",
         (int)mx, (int)my, kd, amp, rep.kmax, dk);
  CU_ASSERT(fabs(kd - rep.kmax) <= dk);
  CU_ASSERT(amp > 0.02); /* saturated (spots share the power of several modes) */
  free(u);
  rt_field_free(f);
}

/* ---- bad arguments ----------------------------------------------------------------- */

static void bad(const RtFieldSpec *s, const char *want) {
  char err[256] = "";
  RtField *f = rt_field_new(s, err, sizeof err);
  printf("\n    -> %s", err);
  CU_ASSERT(f == NULL);
  CU_ASSERT(strstr(err, want) != NULL);
  rt_field_free(f);
}

static double nan_kernel(double r, void *ctx) { return r > 1e-3 ? NAN : 1; }

static void test_errors(void) {
  RtFieldSpec s = ring_spec(10 * MM, 3, 5);
  bad(&s, "at least 4 points, got N = 3");
  s.nx = 0;
  bad(&s, "got N = 0");
  s.nx = -5;
  bad(&s, "got N = -5");
  s = ring_spec(0, 64, 5);
  bad(&s, "length must be positive");
  s.Lx = -1;
  bad(&s, "L = -1");
  s.Lx = NAN;
  bad(&s, "L = nan");
  s = ring_spec(10 * MM, 64, 5);
  s.geometry = RT_FIELD_TORUS, s.ny = 2, s.Ly = 1;
  bad(&s, "ny = 2");
  s.ny = 64, s.Ly = 0;
  bad(&s, "Ly = 0");
  s.geometry = 7;
  bad(&s, "geometry");
  s = ring_spec(10 * MM, 64, 5);
  s.tau = 0;
  bad(&s, "tau");
  s = ring_spec(10 * MM, 64, 5);
  s.kernel.s_i = -1;
  bad(&s, "s_i");
  s = ring_spec(10 * MM, 64, 5);
  s.kernel = (RtFieldKernel){.kind = RT_KERNEL_USER};
  bad(&s, "callback w(r)");
  s.kernel.user = nan_kernel;
  bad(&s, "not finite");
  s = ring_spec(10 * MM, 64, -2);
  bad(&s, "gain must be positive");
  s = ring_spec(10 * MM, 64, 5);
  s.gain = (RtFieldGain){.kind = RT_GAIN_USER};
  bad(&s, "callback f(u)");
  s = ring_spec(10 * MM, 64, 5);
  s.method = 9;
  bad(&s, "method");
  CU_ASSERT(rt_field_new(NULL, NULL, 0) == NULL);
  s = ring_spec(10 * MM, 64, 5);
  RtField *f = make(&s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  double u[64] = {0};
  CU_ASSERT(!rt_field_step(f, u, 0));
  CU_ASSERT(!rt_field_step(f, u, NAN));
  CU_ASSERT(!rt_field_step(f, NULL, 1e-3));
  rt_field_free(f);
  rt_field_free(NULL);
}

/* ---- time-dependent input at the stage times -------------------------------------- */

static double drive(double t) { return 0.2 + 0.3 * sin(2 * M_PI * 20 * t); }
static void drive_fill(double t, double *I, void *ctx) {
  int64_t n = *(const int64_t *)ctx;
  for (int64_t i = 0; i < n; i++) I[i] = drive(t);
}
static double sig4(double u) { return 1 / (1 + exp(-4 * u)); }
/* the homogeneous mode: tau u' = -u + w0 f(u) + I(t) */
static double mode_rhs(double u, double t, double w0) { return (-u + w0 * sig4(u) + drive(t)) / 10e-3; }

/* A homogeneous field with I_ext(t) follows the scalar ODE of its mode
 * computed with the same scheme: RK4 with the input at t, t + dt/2, t + dt
 * (4th order kept), exponential Euler with the input at t. */
static void test_input_fn(void) {
  for (int meth = 0; meth < 2; meth++) {
    RtFieldSpec s = {.geometry = RT_FIELD_RING, .nx = 64, .Lx = 10 * MM, .tau = 10e-3,
                     .kernel = {.kind = RT_KERNEL_GAUSSIAN, .a_e = 0.5, .s_e = 0.5 * MM},
                     .gain = {.kind = RT_GAIN_SIGMOID, .gain = 4, .threshold = 0},
                     .method = meth ? RT_FIELD_EXPEULER : RT_FIELD_RK4};
    RtField *f = make(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int64_t n = f->n;
    CU_ASSERT_FATAL(rt_field_set_input_fn(f, drive_fill, &n, NULL, 0));
    double u[64] = {0}, v = 0, dt = 1e-4, w0 = rt_field_what_mode(f, 0, 0), e = 0;
    CU_ASSERT(!rt_field_step(f, u, dt)); /* needs the time */
    for (int k = 0; k < 1000; k++) {
      double t = k * dt;
      CU_ASSERT(rt_field_step_at(f, u, t, dt));
      if (meth) {
        double E = exp(-dt / 10e-3);
        v = E * v + (1 - E) * (w0 * sig4(v) + drive(t));
      } else {
        double k1 = mode_rhs(v, t, w0), k2 = mode_rhs(v + dt / 2 * k1, t + dt / 2, w0);
        double k3 = mode_rhs(v + dt / 2 * k2, t + dt / 2, w0), k4 = mode_rhs(v + dt * k3, t + dt, w0);
        v += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
      }
      for (int i = 0; i < 64; i++) e = fmax(e, fabs(u[i] - v));
    }
    printf("\n    %s, I_ext(t) = 0.2 + 0.3 sin(2 pi 20 Hz t): max |u_field - u_mode| = %.2e (tol 1e-12)",
           meth ? "exponential Euler" : "RK4", e);
    CU_ASSERT(e < 1e-12);
    rt_field_free(f);
  }
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("field", NULL, NULL);
  if (!s) return 2;
  if (!CU_add_test(s, "FFT convolution = direct periodic sum", test_fft_vs_direct) ||
      !CU_add_test(s, "kernel transform, k_c (populations.md)", test_transform_kc) ||
      !CU_add_test(s, "stability report and scale checks", test_report) ||
      !CU_add_test(s, "ring: Turing pattern at 2 pi / k_max", test_ring_pattern) ||
      !CU_add_test(s, "ring: single-mode decay at lambda(k)", test_ring_decay) ||
      !CU_add_test(s, "Amari bump width", test_amari_bump) ||
      !CU_add_test(s, "torus: pattern |k| = k_max", test_torus_pattern) ||
      !CU_add_test(s, "time-dependent input at the stage times", test_input_fn) ||
      !CU_add_test(s, "bad arguments give messages", test_errors))
    return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
