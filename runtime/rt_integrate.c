/* runtime/rt_integrate.c — the time loops, spike detection and the NaN guard.
 *
 * Time grid: t_k = k*dt for k = 0 .. nsteps, nsteps = ceil(duration/dt - 1e-9)
 * (the 1e-9 forgives rounding in duration/dt; the last step may end a little
 * after `duration` when dt does not divide it).  Trace rows are written at
 * t = 0 and after every rec_stride-th step.  Times are computed as k*dt,
 * never accumulated, so they do not drift.
 *
 * Every kernel takes an instance range [begin, end).  The loops below work
 * on parts (RtPart): one part covering [0, n) for every model but
 * networks, whose time loop (rt_network_run.c) runs one part per thread
 * through rt_staggered_part.
 *
 * No allocation happens inside a time loop: scratch columns are allocated
 * before it.  The one exception is the spike list, which doubles its
 * capacity when full (amortised, and preallocated generously).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "rt_internal.h"
#include "rt_network.h"

static void rt_integrate_method(RtRun *r);
static void rt_integrate_method_run(RtRun *r);

/* ---- NaN/Inf guard --------------------------------------------------------- */

/* True when every state value is finite.  A double is NaN or Inf exactly
 * when its exponent bits are all ones, and then (bits & EXP) + ONE carries
 * into the sign bit; OR-ing that over all values and testing bit 63 once
 * is branch-free integer work.  GCC vector types (two 16-byte lanes, which
 * every x86-64 has) make it about 0.1 ns per value, ~1% of an HH step;
 * plain loops are not vectorised at -O2 and cost three times as much. */
typedef uint64_t rt_u64x2 __attribute__((vector_size(16)));

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The same test with AVX-512, 16 values per iteration: the guard runs
 * after every step when a trace is recorded every step (examples/cuba.msn),
 * and there the 16-byte loop was 3.4 % of the run, this one 1.1 %. */
__attribute__((target("avx512f"))) static bool states_finite_avx512(const RtRun *r) {
  const __m512i vexp = _mm512_set1_epi64(0x7ff0000000000000LL), vone = _mm512_set1_epi64(0x0010000000000000LL);
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
  uint64_t bad = 0;
  for (int32_t k = 0; k < r->m->nstates; k++) {
    const double *c = r->cols[k];
    int64_t i = 0;
    for (; i + 16 <= r->n; i += 16) {
      a = _mm512_or_si512(a, _mm512_add_epi64(_mm512_and_si512(_mm512_loadu_si512(c + i), vexp), vone));
      b = _mm512_or_si512(b, _mm512_add_epi64(_mm512_and_si512(_mm512_loadu_si512(c + i + 8), vexp), vone));
    }
    for (; i < r->n; i++) {
      uint64_t u;
      memcpy(&u, &c[i], sizeof u);
      bad |= (u & 0x7ff0000000000000ULL) + 0x0010000000000000ULL;
    }
  }
  /* bit 63 of some lane set <=> some value not finite */
  const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000ULL);
  return (bad >> 63) == 0 && _mm512_test_epi64_mask(_mm512_or_si512(a, b), sign) == 0;
}
#endif

static bool states_finite(const RtRun *r) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return states_finite_avx512(r);
#endif
  const uint64_t EXP = 0x7ff0000000000000ULL, ONE = 0x0010000000000000ULL;
  const rt_u64x2 vexp = {EXP, EXP}, vone = {ONE, ONE};
  rt_u64x2 a = {0, 0}, b = {0, 0};
  uint64_t bad = 0;
  for (int32_t k = 0; k < r->m->nstates; k++) {
    const double *c = r->cols[k];
    int64_t i = 0;
    for (; i + 4 <= r->n; i += 4) {
      rt_u64x2 u, w;
      memcpy(&u, &c[i], sizeof u); /* unaligned-safe vector loads */
      memcpy(&w, &c[i + 2], sizeof w);
      a |= (u & vexp) + vone;
      b |= (w & vexp) + vone;
    }
    for (; i < r->n; i++) {
      uint64_t u;
      memcpy(&u, &c[i], sizeof u);
      bad |= (u & EXP) + ONE;
    }
  }
  a |= b;
  bad |= a[0] | a[1];
  return (bad >> 63) == 0;
}

bool rt_find_nonfinite(const RtRun *r, int32_t *state, int64_t *inst) {
  for (int32_t k = 0; k < r->m->nstates; k++)
    for (int64_t i = 0; i < r->n; i++)
      if (!isfinite(r->cols[k][i])) {
        *state = k;
        *inst = i;
        return true;
      }
  return false;
}

/* After a step ending at t (step number `step`): stop the run with a
 * message naming the first bad (state, instance) if anything went
 * non-finite.  last_ok: the step of the previous check (the value went bad
 * after it), or step - 1 when the guard runs every step. */
static bool check_finite_since(RtRun *r, int64_t step, double t, int64_t last_ok) {
  if (states_finite(r)) return true;
  int32_t k = 0;
  int64_t i = 0;
  rt_find_nonfinite(r, &k, &i);
  double v = r->cols[k][i];
  const char *what = isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
  const char *hint = r->opt.method == MSN_RK45 ? "try a smaller --rtol/--atol" : "try a smaller --dt";
  char inst[96] = "";
  if (r->net) {
    char who[80];
    rt_network_neuron_name(r, i, who, sizeof who);
    snprintf(inst, sizeof inst, " of neuron %s", who);
  } else if (r->n > 1) {
    snprintf(inst, sizeof inst, " of instance %lld", (long long)i);
  }
  if (step == 0) { /* a bad initial value is no matter of step size */
    rt_fail(r, RT_EXIT_NUMERIC, "the initial value of state '%s'%s is %s; check the model's parameters and initial values",
            r->m->states[k].name, inst, what);
    return false;
  }
  if (last_ok < step - 1) {
    rt_fail(r, RT_EXIT_NUMERIC,
            "state '%s'%s became %s between t = %.10g ms and t = %.10g ms (steps %lld to %lld); %s or check "
            "the model's equations",
            r->m->states[k].name, inst, what, (double)last_ok * r->opt.dt / RT_MS, t / RT_MS,
            (long long)last_ok + 1, (long long)step, hint);
    return false;
  }
  rt_fail(r, RT_EXIT_NUMERIC,
          "state '%s'%s became %s at t = %.10g ms (step %lld); %s or check the model's equations",
          r->m->states[k].name, inst, what, t / RT_MS, (long long)step, hint);
  return false;
}

static bool check_finite(RtRun *r, int64_t step, double t) {
  return check_finite_since(r, step, t, step - 1);
}

/* The guard costs about 0.1 ns per value, which is most of a step of a
 * LIF network.  Models with more than GUARD_SMALL state values are checked
 * every GUARD_EVERY steps and before every trace row (so a trace never
 * holds a non-finite value), and the message gives the interval of steps
 * in which the value went bad. */
enum { GUARD_SMALL = 4096, GUARD_EVERY = 16 };

static bool guard_due(const RtRun *r, int64_t step) {
  return (int64_t)r->m->nstates * r->n <= GUARD_SMALL || step % GUARD_EVERY == 0 ||
         (r->m->nrecords > 0 && step % r->rec_stride == 0) || step == r->nsteps;
}

bool rt_end_due(const RtRun *r, int64_t step) { return guard_due(r, step); }

/* ---- spike detection --------------------------------------------------------- */

double rt_linear_crossing(double v0, double v1, double h, double thr) {
  double s = (thr - v0) / (v1 - v0);
  if (!(s >= 0)) s = 0;
  if (s > 1) s = 1;
  return s * h;
}

/* Cubic Hermite on s in [0,1]: p(s) = v0 H00 + h f0 H10 + v1 H01 + h f1 H11.
 * The root of p - thr is kept bracketed ([a,b] with p(a) < thr <= p(b));
 * Newton steps that leave the bracket fall back to bisection, so the
 * iteration always converges and is exact for linear trajectories at the
 * first guess. */
double rt_hermite_crossing(double v0, double v1, double f0, double f1,
                           double h, double thr) {
  double m0 = h * f0, m1 = h * f1;
  /* p(s) - thr = c0 + c1 s + c2 s^2 + c3 s^3 */
  double c0 = v0 - thr, c1 = m0;
  double c2 = -3 * v0 - 2 * m0 + 3 * v1 - m1;
  double c3 = 2 * v0 + m0 - 2 * v1 + m1;
  double a = 0, b = 1;
  double s = (thr - v0) / (v1 - v0);
  if (!(s > 0 && s < 1)) s = 0.5;
  for (int it = 0; it < 100; it++) {
    double g = c0 + s * (c1 + s * (c2 + s * c3));
    if (g == 0) break;
    if (g < 0) a = s;
    else b = s;
    double dg = c1 + s * (2 * c2 + s * 3 * c3);
    double next = dg != 0 ? s - g / dg : 0.5 * (a + b);
    if (!(next > a && next < b)) next = 0.5 * (a + b);
    if (fabs(next - s) <= 1e-16 * (1 + fabs(s)) || b - a <= 1e-16) {
      s = next;
      break;
    }
    s = next;
  }
  return s * h;
}

static bool spikes_on(const RtRun *r) { return r->m->spike_state >= 0; }

static bool push_spike(RtRun *r, double t, int64_t id) {
  if (rt_spikes_push(&r->spikes, t, id)) return true;
  rt_fail(r, RT_EXIT_IO, "out of memory after %zu spikes", r->spikes.n);
  return false;
}

/* A spike into out: the run's list (one part) or a part's own list (a
 * network's threads, which must not call rt_fail). */
static bool spike_to(RtRun *r, RtPart *p, RtSpikes *out, double t, int64_t id) {
  if (out == &r->spikes) return push_spike(r, t, id);
  if (rt_spikes_push(out, t, id)) return true;
  p->oom = true;
  return false;
}

static void save_spike_state_part(RtRun *r, const RtPart *p) {
  if (spikes_on(r))
    memcpy(r->spike_old + p->begin, r->cols[r->m->spike_state] + p->begin,
           (size_t)(p->end - p->begin) * sizeof(double));
}

static void save_spike_state(RtRun *r) { save_spike_state_part(r, &r->parts[0]); }

/* The model's spike settings for all of [begin, end) */
static RtSeg model_seg(const RtRun *r, const RtPart *p) {
  const MsnModel *m = r->m;
  return (RtSeg){.begin = p->begin, .end = p->end, .spikes = m->spike_state >= 0, .has_reset = m->has_reset,
                 .reset_exact = m->reset_exact, .thr = m->spike_threshold, .reset = m->reset_value,
                 .refractory = m->refractory};
}

/* Staggered: the spike state is a CN/Euler state living on whole steps. */
static void detect_linear_part(RtRun *r, RtPart *p, RtSpikes *out, double thr, double t0, double h) {
  if (!spikes_on(r)) return;
  const double *v0 = r->spike_old, *v1 = r->cols[r->m->spike_state];
  for (int64_t i = p->begin; i < p->end; i++)
    if (v0[i] < thr && v1[i] >= thr)
      if (!spike_to(r, p, out, t0 + rt_linear_crossing(v0[i], v1[i], h, thr), i)) return;
}

static void detect_linear(RtRun *r, double t0, double h) {
  detect_linear_part(r, &r->parts[0], &r->spikes, r->m->spike_threshold, t0, h);
}

/* ---- integrate-and-fire: reset and refractory period -------------------------------- */

/* A model with reset (docs/language.md 5.3).  Every method works the same
 * way around its own step from t0 to t1 = t0 + h:
 *   before the step, vlin gives a and b of the spike state's x' = a + b x
 *   (exact for a linear membrane: the LIF; else linearised at the step's
 *   start) and save_spike_state keeps x(t0);
 *   after it, apply_resets finds each upward crossing of the threshold (for
 *   a linear x exactly, from the exponential solution; else by linear
 *   interpolation), records the spike at t*, sets x = reset until
 *   t* + refractory and, when that ends inside the step, advances x exactly
 *   from the reset value over the rest of the step (where it may cross
 *   again).  Instances in their refractory period keep x at the reset value;
 *   the other states integrate normally, seeing x = reset. */
static bool resets_on(const RtRun *r) { return r->m->has_reset && r->m->spike_state >= 0 && r->ref_until; }

static void reset_coeffs_part(RtRun *r, const RtPart *p, const double *const *y, double t, double h) {
  if (resets_on(r)) r->m->vlin(y, r->lin_ab, r->cols, r->P, p->begin, p->end, t, h);
}

static void reset_coeffs(RtRun *r, const double *const *y, double t, double h) {
  reset_coeffs_part(r, &r->parts[0], y, t, h);
}

/* x(h) of x' = a + b x from x(0) = x0: x0 + h (a + b x0) (e^{bh} - 1)/(bh) */
static double lin_advance(double x0, double a, double b, double h) {
  double z = b * h;
  double phi = z == 0 ? 1.0 : expm1(z) / z;
  return x0 + h * (a + b * x0) * phi;
}

/* Offset in [0, h] at which x, from x0 at 0 to x1 at h, reaches thr
 * (x0 < thr <= x1).  exact: from x(s) = x_inf + (x0 - x_inf) e^{bs},
 * x_inf = -a/b, i.e. s = ln((thr - x_inf)/(x0 - x_inf))/b (s = (thr - x0)/a
 * for b = 0); guarded, with linear interpolation as the fallback. */
double rt_lif_crossing(double x0, double x1, double a, double b, double h, double thr, int exact) {
  if (exact) {
    double s = NAN;
    if (b != 0) {
      double q = (thr - x0) / (x0 + a / b); /* (thr - x_inf)/(x0 - x_inf) - 1 */
      if (q > -1 && isfinite(q)) s = log1p(q) / b;
    } else if (a > 0) {
      s = (thr - x0) / a;
    }
    if (s >= 0 && s <= h) return s;
    if (s > h && s <= h * (1 + 1e-9)) return h;
  }
  return rt_linear_crossing(x0, x1, h, thr);
}

/* The indices of a block of 8 at or above thr (the block has one). */
static size_t above_block(const double *x, int64_t i, double thr, int64_t *out) {
  size_t n = 0;
  for (int64_t j = i; j < i + 8; j++)
    if (x[j] >= thr) out[n++] = j;
  return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* rt_above with AVX2: two 4-wide compares and one movemask per block. */
__attribute__((target("avx2"))) static size_t above_avx2(const double *x, int64_t begin, int64_t end,
                                                         double thr, int64_t *out, size_t limit) {
  const __m256d vt = _mm256_set1_pd(thr);
  size_t n = 0;
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    __m256d a = _mm256_loadu_pd(x + i), b = _mm256_loadu_pd(x + i + 4);
    __m256d m = _mm256_or_pd(_mm256_cmp_pd(a, vt, _CMP_GE_OQ), _mm256_cmp_pd(b, vt, _CMP_GE_OQ));
    if (_mm256_movemask_pd(m) && (n += above_block(x, i, thr, out + n)) >= limit) return n;
  }
  for (; i < end && n < limit; i++)
    if (x[i] >= thr) out[n++] = i;
  return n;
}

/* rt_above with AVX-512: blocks of 32, four 8-wide compares into mask
 * registers joined and tested there.  The scan runs after every step over
 * the whole spike column; it is bound by its compares, so fewer
 * instructions per value is what counts (CUBA, 4000 neurons: from 12 % of
 * the run with AVX2 to 8.6 %).  Scanning each block of a few hundred
 * neurons right after the step of that block, while it is in L1, was
 * slower: the step kernel lost more than the scan gained.  A block with a
 * neuron at or above threshold is looked at in blocks of 8, so the
 * candidates come out in index order as before. */
__attribute__((target("avx512f"))) static size_t above_avx512(const double *x, int64_t begin, int64_t end,
                                                             double thr, int64_t *out, size_t limit) {
  const __m512d vt = _mm512_set1_pd(thr);
  size_t n = 0;
  int64_t i = begin;
  for (; i + 32 <= end; i += 32) {
    __mmask8 a = _mm512_cmp_pd_mask(_mm512_loadu_pd(x + i), vt, _CMP_GE_OQ);
    __mmask8 b = _mm512_cmp_pd_mask(_mm512_loadu_pd(x + i + 8), vt, _CMP_GE_OQ);
    __mmask8 c = _mm512_cmp_pd_mask(_mm512_loadu_pd(x + i + 16), vt, _CMP_GE_OQ);
    __mmask8 d = _mm512_cmp_pd_mask(_mm512_loadu_pd(x + i + 24), vt, _CMP_GE_OQ);
    /* the four masks joined and tested in mask registers (kunpck, kortest):
     * no move of each to a general register */
    if (__builtin_expect(!_kortestz_mask16_u8(_mm512_kunpackb(a, b), _mm512_kunpackb(c, d)), 0)) {
      if (a) n += above_block(x, i, thr, out + n);
      if (b) n += above_block(x, i + 8, thr, out + n);
      if (c) n += above_block(x, i + 16, thr, out + n);
      if (d) n += above_block(x, i + 24, thr, out + n);
      if (n >= limit) return n;
    }
  }
  for (; i + 8 <= end; i += 8)
    if (_mm512_cmp_pd_mask(_mm512_loadu_pd(x + i), vt, _CMP_GE_OQ) && (n += above_block(x, i, thr, out + n)) >= limit)
      return n;
  for (; i < end && n < limit; i++)
    if (x[i] >= thr) out[n++] = i;
  return n;
}
#endif

size_t rt_above_limit(const double *x, int64_t begin, int64_t end, double thr, int64_t *out, size_t limit) {
  if (limit == 0) return 0;
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return above_avx512(x, begin, end, thr, out, limit);
  if (__builtin_cpu_supports("avx2")) return above_avx2(x, begin, end, thr, out, limit);
#endif
  /* 16-byte vectors: native on every x86-64 (SSE2) and aarch64 */
  typedef double v2d __attribute__((vector_size(16)));
  typedef int64_t v2l __attribute__((vector_size(16)));
  const v2d vt = {thr, thr};
  size_t n = 0;
  int64_t i = begin;
  /* blocks of 8: one test of the OR of the comparisons, then a look at
   * the (rare) block that has a neuron at or above threshold */
  for (; i + 8 <= end; i += 8) {
    v2d a, b, c, d;
    memcpy(&a, x + i, sizeof a);
    memcpy(&b, x + i + 2, sizeof b);
    memcpy(&c, x + i + 4, sizeof c);
    memcpy(&d, x + i + 6, sizeof d);
    v2l m = (a >= vt) | (b >= vt) | (c >= vt) | (d >= vt);
    if (!(m[0] | m[1])) continue;
    if ((n += above_block(x, i, thr, out + n)) >= limit) return n;
  }
  for (; i < end && n < limit; i++)
    if (x[i] >= thr) out[n++] = i;
  return n;
}

/* b of the spike state's x' = a + b x over this step for instance i */
static double lin_b(const RtRun *r, const RtPart *p, int64_t i) { return p->b_shared ? p->lin_b : r->lin_ab[1][i]; }

size_t rt_above(const double *x, int64_t begin, int64_t end, double thr, int64_t *out) {
  return rt_above_limit(x, begin, end, thr, out, SIZE_MAX);
}

/* The crossings of instance i from v at tc to v1 at t1 = t0 + h (at most
 * 1000 in one step): a spike at each, then the reset value until the end
 * of the refractory period, then exact advance from the reset value.
 * *x1 receives the value at t1; false on failure. */
static bool fire(RtRun *r, RtPart *p, const RtSeg *s, RtSpikes *out, int64_t i, double tc, double v, double v1,
                 double t1, double *x1, bool *changed) {
  const double thr = s->thr, vr = s->reset;
  const double a = r->lin_ab[0][i], b = lin_b(r, p, i);
  for (int guard = 0; v < thr && v1 >= thr && guard < 1000; guard++) {
    double ts = tc + rt_lif_crossing(v, v1, a, b, t1 - tc, thr, s->reset_exact);
    if (!spike_to(r, p, out, ts, i)) return false;
    *changed = true;
    double until = r->ref_until[i] = ts + s->refractory;
    if (until >= t1) {
      v1 = vr;
      break;
    }
    tc = until;
    v = vr;
    v1 = lin_advance(vr, a, b, t1 - tc);
  }
  *x1 = v1;
  return true;
}

/* After every instance's step from t0 to t0 + h; true when some state
 * was changed (a reset or a refractory clamp), false also on failure
 * (then r->status says so).  Only two kinds of instance need work: those
 * refractory at t0 (the list p->refr) and those at or above threshold
 * after the step (rt_above); every other one has not crossed.  The result
 * is the same as looking at every instance. */
static bool apply_resets_part(RtRun *r, RtPart *p, const RtSeg *s, RtSpikes *out, double t0, double h) {
  const double thr = s->thr, vr = s->reset, t1 = t0 + h;
  double *x = r->cols[r->m->spike_state];
  const double *x0 = r->spike_old;
  bool changed = false;
  size_t keep = 0, nrefr = p->nrefr;
  /* the number of instances at or above thr, when the step kernel counted
   * them (p->above): an upper bound after the refractory ones' changes
   * below (a clamp to the reset, or a spike and a value below thr unless
   * the crossings ran out), so that the scan can stop once it has found
   * them all */
  int64_t above = p->above_ok ? p->above : -1;
  for (size_t q = 0; q < nrefr; q++) { /* refractory at the start of the step */
    int64_t i = p->refr[q];
    double until = r->ref_until[i];
    changed = true;
    if (until >= t1) {
      x[i] = vr;
      p->refr[keep++] = i;
      above += above >= 0 && vr >= thr;
      continue;
    }
    double v1 = lin_advance(vr, r->lin_ab[0][i], lin_b(r, p, i), t1 - until);
    if (!fire(r, p, s, out, i, until, vr, v1, t1, &x[i], &changed)) return false;
    if (r->ref_until[i] > t1) p->refr[keep++] = i;
    above += above >= 0 && x[i] >= thr;
  }
  p->nrefr = keep;
  /* the others: refractory ones are at the reset value now, and skipped */
  int64_t *cand = p->refr + keep; /* scratch after the list */
  size_t nc = rt_above_limit(x, p->begin, p->end, thr, cand, above >= 0 ? (size_t)above : SIZE_MAX);
  size_t nnew = 0;
  for (size_t q = 0; q < nc; q++) {
    int64_t i = cand[q];
    if (r->ref_until[i] > t0 || !(x0[i] < thr)) continue;
    if (!fire(r, p, s, out, i, t0, x0[i], x[i], t1, &x[i], &changed)) return false;
    if (r->ref_until[i] > t1) cand[nnew++] = i; /* joins the list, in place */
  }
  p->nrefr = keep + nnew;
  return changed;
}

static bool apply_resets(RtRun *r, double t0, double h) {
  RtSeg s = model_seg(r, &r->parts[0]);
  return apply_resets_part(r, &r->parts[0], &s, &r->spikes, t0, h);
}

/* A network of several cells: spikes, resets and refractory periods of
 * part p segment by segment, each with its cell's settings.  The part's
 * refractory list is copied aside (after the scratch) and handed to each
 * segment in turn, whose list (and scratch) then follows the lists of the
 * segments before it. */
static void spikes_by_segment(RtRun *r, RtPart *p, RtSpikes *out, double t0, double h) {
  int64_t *old = p->refr + 2 * (p->end - p->begin) + 1;
  size_t nold = p->nrefr, off = 0;
  memcpy(old, p->refr, nold * sizeof *old);
  for (int g = 0; g < r->nsegs; g++) {
    const RtSeg *s = &r->segs[g];
    int64_t lo = s->begin > p->begin ? s->begin : p->begin, hi = s->end < p->end ? s->end : p->end;
    if (lo >= hi || !s->spikes) continue;
    RtPart sub = *p;
    sub.above_ok = false; /* the count is of the whole part */
    sub.begin = lo;
    sub.end = hi;
    sub.refr = p->refr + off;
    sub.nrefr = 0;
    for (size_t q = 0; q < nold; q++)
      if (old[q] >= lo && old[q] < hi) sub.refr[sub.nrefr++] = old[q];
    if (s->has_reset && resets_on(r)) apply_resets_part(r, &sub, s, out, t0, h);
    else detect_linear_part(r, &sub, out, s->thr, t0, h);
    off += sub.nrefr;
    p->oom |= sub.oom;
  }
  p->nrefr = off;
}

/* ---- common end of a step ------------------------------------------------------ */

/* Step k (0-based) has ended at t_next: NaN guard, trace row, progress.
 * False when the run must stop. */
bool rt_end_step(RtRun *r, int64_t k, double t_next) {
  r->steps_done = k + 1;
  r->t_done = t_next;
  if (guard_due(r, k + 1)) {
    if (!check_finite_since(r, k + 1, t_next, r->guard_ok)) return false;
    r->guard_ok = k + 1;
  }
  if ((k + 1) % r->rec_stride == 0) rt_trace_record(r, t_next);
  rt_progress_tick(r, (uint64_t)r->n);
  return r->status == RT_EXIT_OK;
}

/* Initial values at t = 0; the first trace row shows them. */
bool rt_start(RtRun *r) {
  r->m->init(r->cols, r->P, 0, r->n);
  if (r->m->network && !rt_network_start(r)) return false; /* runtime/rt_network_run.c */
  if (!check_finite(r, 0, 0.0)) return false;
  rt_trace_record(r, 0.0);
  return r->status == RT_EXIT_OK;
}

/* ---- staggered ------------------------------------------------------------------- */

/* Noise of cells (docs/language.md 5.6): before the step, noise_step gives
 * each noisy state's standard deviation sd over the step (exact
 * Ornstein-Uhlenbeck for a state the step advances exactly, else
 * Euler-Maruyama); after it the state moves by sd N(0, 1).  The normal of
 * noisy state j, instance i and step k depends on (seed, k, i, j) only, so
 * a run gives the same numbers on any number of threads and parts.  The
 * Philox key is the seed XOR a constant, so that these numbers are not
 * those of the run's other streams keyed by the seed itself
 * (connectivity).  The half step after init (the gates' dt/2) is step
 * UINT64_MAX. */
static const uint64_t CELL_NOISE_KEY = 0x63656c6c6e6f6973ULL; /* "cellnois" */

static bool noise_on(const RtRun *r) { return r->noise_sd != NULL; }

static void noise_sd_part(const RtRun *r, const RtPart *p, double t, double h) {
  r->m->noise_step(r->cols, r->noise_sd, r->P, p->begin, p->end, t, h);
}

/* The normals come a block of 2 RT_NORMAL_BLOCK instances at a time
 * (rt_normal_block, vectorised): instance i takes number i mod 2B of block
 * i / 2B, B = RT_NORMAL_BLOCK, so each number still depends on
 * (seed, k, i, j) only, and a part that begins or ends inside a block
 * computes the whole block and uses its own instances. */
static void noise_add_part(const RtRun *r, const RtPart *p, uint64_t k) {
  enum { W = 2 * RT_NORMAL_BLOCK };
  const uint64_t seed = r->opt.seed ^ CELL_NOISE_KEY;
  for (int32_t j = 0; j < r->m->nnoise; j++) {
    double *x = r->cols[r->m->noise_states[j]];
    const double *sd = r->noise_sd[j];
    for (int64_t b = p->begin / W * W; b < p->end; b += W) {
      double z[W];
      rt_normal_block(seed, k, (uint64_t)b / W, (uint32_t)j, z);
      int64_t lo = b < p->begin ? p->begin : b, hi = b + W < p->end ? b + W : p->end;
      for (int64_t i = lo; i < hi; i++) x[i] += sd[i] * z[i - b];
    }
  }
}

/* The gates' half step after init (MsnGatesFn with h = dt/2) with its
 * noise: the noisy gate-like (cnexp) states start the run at t = dt/2 with
 * the spread of that half step.  The other noisy states stay at t = 0, so
 * their sd is set to 0 for it. */
void rt_staggered_gates(RtRun *r, double dt) {
  const MsnModel *m = r->m;
  RtPart all = {.begin = 0, .end = r->n};
  if (noise_on(r)) {
    noise_sd_part(r, &all, 0.0, 0.5 * dt);
    for (int32_t j = 0; j < m->nnoise; j++)
      if (strcmp(m->states[m->noise_states[j]].solver, "cnexp") != 0)
        memset(r->noise_sd[j], 0, (size_t)r->n * sizeof(double));
  }
  if (m->gates) m->gates(r->cols, r->P, 0, r->n, 0.0, 0.5 * dt);
  if (noise_on(r)) noise_add_part(r, &all, UINT64_MAX);
}

/* CNEXP (gate) states are advanced by dt/2 once after init, so they live at
 * half steps t + dt/2 while every other state lives at whole steps; each
 * step then advances the CN/Euler states with gates at the midpoint and the
 * gates by a full dt with the new values (second order overall). */
bool rt_staggered_part(RtRun *r, RtPart *p, int64_t k) {
  const double dt = r->opt.dt, t = (double)k * dt;
  RtSpikes *out = r->net ? &p->spikes : &r->spikes;
  if (noise_on(r)) noise_sd_part(r, p, t, dt); /* at the states before the step */
  if (r->m->vstep && resets_on(r)) { /* the three passes below in one */
    double *ab[3] = {r->lin_ab[0], r->lin_ab[1], r->spike_old};
    int64_t ret = r->m->vstep(r->cols, ab, r->P, p->begin, p->end, t, dt);
    p->b_shared = (ret & MSN_VSTEP_B_SHARED) && p->begin < p->end;
    if (p->b_shared) p->lin_b = r->lin_ab[1][p->begin];
    p->above = ret >> 8; /* at or above the model's threshold, which is s's below */
    p->above_ok = !r->nsegs;
  } else {
    p->b_shared = p->above_ok = false;
    save_spike_state_part(r, p);
    reset_coeffs_part(r, p, (const double *const *)r->cols, t, dt);
    r->m->step(r->cols, r->P, p->begin, p->end, t, dt);
  }
  if (noise_on(r)) {
    noise_add_part(r, p, (uint64_t)k);
    /* noise on the spike state may lift it over the threshold: vstep's
     * count of instances above it is no longer an upper bound */
    for (int32_t j = 0; j < r->m->nnoise; j++) p->above_ok &= r->m->noise_states[j] != r->m->spike_state;
  }
  RtSeg s = model_seg(r, p);
  if (r->nsegs) spikes_by_segment(r, p, out, t, dt);
  else if (resets_on(r)) apply_resets_part(r, p, &s, out, t, dt);
  else detect_linear_part(r, p, out, s.thr, t, dt);
  return !p->oom && r->status == RT_EXIT_OK;
}

static void run_staggered(RtRun *r) {
  const double dt = r->opt.dt;
  if (r->m->network) { /* parts on threads: runtime/rt_network_run.c */
    rt_network_run(r);
    return;
  }
  if (!rt_start(r)) return;
  rt_staggered_gates(r, dt);
  for (int64_t k = 0; k < r->nsteps; k++) {
    if (!rt_staggered_part(r, &r->parts[0], k)) return;
    if (!rt_end_step(r, k, (double)(k + 1) * dt)) return;
  }
}

/* ---- explicit methods: shared scratch ------------------------------------------------ */

/* SoA scratch columns for the stages, allocated before the loop. */
typedef struct Scratch {
  double *block;
  const double **yc; /* column pointers handed to rhs as y */
  double **dc;       /* column pointers handed to rhs as dy */
} Scratch;

static bool scratch_alloc(RtRun *r, Scratch *s, int ncols) {
  size_t ns = (size_t)(r->m->nstates ? r->m->nstates : 1);
  s->block = rt_aligned_alloc((size_t)ncols * (size_t)r->stride * sizeof(double));
  s->yc = malloc(ns * sizeof *s->yc);
  s->dc = malloc(ns * sizeof *s->dc);
  if (s->block && s->yc && s->dc) return true;
  rt_fail(r, RT_EXIT_IO, "out of memory for %d scratch columns of %lld values", ncols,
          (long long)r->n);
  return false;
}

static void scratch_free(Scratch *s) {
  rt_aligned_free(s->block);
  free(s->yc);
  free(s->dc);
}

/* Derivative of the spike state of instance i alone, at the state held in
 * columns y (stride n or r->stride).  Called only for instances that cross
 * the threshold, so its cost does not matter. */
static double spike_deriv(RtRun *r, Scratch *s, const double *const *y, int64_t i, double t) {
  const int32_t ns = r->m->nstates;
  for (int32_t k = 0; k < ns; k++) s->dc[k] = s->block + (size_t)k * (size_t)r->stride;
  r->m->rhs(y, s->dc, r->cols, r->P, i, i + 1, t);
  return s->dc[r->m->spike_state][i];
}

/* Hermite spike detection for one step of an explicit method: f0 holds the
 * spike state's derivative at t0 for every instance, or is NULL (then
 * computed from yold for crossing instances); f1 likewise at t1. */
static void detect_hermite(RtRun *r, Scratch *s, const double *f0, const double *const *yold,
                           const double *f1, double t0, double t1) {
  if (!spikes_on(r)) return;
  const int32_t sp = r->m->spike_state;
  const double thr = r->m->spike_threshold;
  const double *v0 = r->spike_old, *v1 = r->cols[sp];
  for (int64_t i = 0; i < r->n; i++) {
    if (!(v0[i] < thr && v1[i] >= thr)) continue;
    double d0 = f0 ? f0[i] : spike_deriv(r, s, yold, i, t0);
    double d1 = f1 ? f1[i] : spike_deriv(r, s, (const double *const *)r->cols, i, t1);
    double off = rt_hermite_crossing(v0[i], v1[i], d0, d1, t1 - t0, thr);
    if (!push_spike(r, t0 + off, i)) return;
  }
}

/* ---- classic RK4 ------------------------------------------------------------------------ */

/* y + c*k into tmp, column by column. */
static void axpy_cols(int32_t ns, int64_t n, double *const *tmp, double *const *y, double c,
                      double *const *k) {
  for (int32_t j = 0; j < ns; j++) {
    double *t = tmp[j];
    const double *a = y[j], *b = k[j];
    for (int64_t i = 0; i < n; i++) t[i] = a[i] + c * b[i];
  }
}

/* Stage columns: K1..K4 and the stage state, ns columns each. */
enum { RK_K1, RK_K2, RK_K3, RK_K4, RK_TMP, RK_NBUF };

typedef struct Rk4 {
  Scratch s;
  double **ptr;        /* RK_NBUF * ns column pointers */
  double **K[RK_NBUF]; /* K[b][j]: column j of buffer b */
} Rk4;

static void rk4_loop(RtRun *r, Rk4 *g) {
  const MsnModel *m = r->m;
  const int32_t ns = m->nstates, sp = m->spike_state;
  const int64_t n = r->n;
  const double dt = r->opt.dt;
  double **K1 = g->K[RK_K1], **K2 = g->K[RK_K2], **K3 = g->K[RK_K3], **K4 = g->K[RK_K4];
  double **tmp = g->K[RK_TMP];
  double *const *y = r->cols;
  const double *const *yc = (const double *const *)r->cols;
  const double *const *tc = (const double *const *)tmp;
  /* Stimulus windows switch on and off at step boundaries.  The stages at
   * a step's ends are evaluated a hair inside the step (eps = 1e-9 dt), so
   * k1 sees a window that opens at t and k4 does not see one that opens at
   * t + dt: otherwise a whole 1/6 of a step of current would leak across
   * the edge and make the scheme first order there. */
  const double eps = 1e-9 * dt;
  m->rhs(yc, K1, r->cols, r->P, 0, n, eps);
  for (int64_t k = 0; k < r->nsteps; k++) {
    double t = (double)k * dt, t1 = (double)(k + 1) * dt;
    save_spike_state(r);
    reset_coeffs(r, yc, t, dt);
    if (spikes_on(r)) memcpy(r->deriv_old, K1[sp], (size_t)n * sizeof(double));
    axpy_cols(ns, n, tmp, y, 0.5 * dt, K1);
    m->rhs(tc, K2, r->cols, r->P, 0, n, t + 0.5 * dt);
    axpy_cols(ns, n, tmp, y, 0.5 * dt, K2);
    m->rhs(tc, K3, r->cols, r->P, 0, n, t + 0.5 * dt);
    axpy_cols(ns, n, tmp, y, dt, K3);
    m->rhs(tc, K4, r->cols, r->P, 0, n, t1 - eps);
    for (int32_t j = 0; j < ns; j++) {
      double *yj = y[j];
      const double *k1 = K1[j], *k2 = K2[j], *k3 = K3[j], *k4 = K4[j];
      for (int64_t i = 0; i < n; i++) yj[i] += dt / 6 * (k1[i] + 2 * (k2[i] + k3[i]) + k4[i]);
    }
    /* k1 of the next step is the derivative at the end of this one, so the
     * Hermite interpolant of the spike state costs no extra rhs call. */
    if (resets_on(r)) apply_resets(r, t, dt); /* before K1: it must see the reset */
    m->rhs(yc, K1, r->cols, r->P, 0, n, t1 + eps);
    if (!resets_on(r)) detect_hermite(r, NULL, r->deriv_old, NULL, spikes_on(r) ? K1[sp] : NULL, t, t1);
    if (!rt_end_step(r, k, t1)) return;
  }
}

static void run_rk4(RtRun *r) {
  const int32_t ns = r->m->nstates;
  Rk4 g = {0};
  g.ptr = malloc((size_t)(RK_NBUF * ns + 1) * sizeof *g.ptr);
  if (g.ptr && scratch_alloc(r, &g.s, RK_NBUF * ns)) {
    for (int b = 0; b < RK_NBUF; b++) {
      g.K[b] = g.ptr + (size_t)b * ns;
      for (int32_t j = 0; j < ns; j++)
        g.K[b][j] = g.s.block + ((size_t)b * ns + j) * (size_t)r->stride;
    }
    if (rt_start(r)) rk4_loop(r, &g);
  } else {
    rt_fail(r, RT_EXIT_IO, "out of memory for the rk4 stages");
  }
  scratch_free(&g.s);
  free(g.ptr);
}

/* ---- euler and heun, with or without white noise ------------------------------------------ */

/* A noisy state obeys dx = f(t, x) dt + g(t, x) dW, W a Wiener process, so
 * its increment over a step is f dt + g dW with dW = sqrt(dt) N(0, 1): the
 * noise's effect on a path scales with sqrt(dt), and statistics such as a
 * stationary variance do not depend on dt.
 *
 *   euler (Euler-Maruyama, Ito):  y1 = y + f(t, y) dt + g(t, y) dW
 *   heun (stochastic Heun, Stratonovich):
 *     p  = y + f(t, y) dt + g(t, y) dW
 *     y1 = y + (f(t, y) + f(t1, p)) dt/2 + (g(t, y) + g(t1, p)) dW/2
 *
 * Without noise these are forward Euler and the explicit trapezoid (second
 * order).  The two agree for additive noise (g free of the states); for
 * multiplicative noise they solve different equations (Ito vs
 * Stratonovich).  As in rk4, the stages at a step's ends are evaluated a
 * hair inside the step so that stimulus windows switch at step edges. */

/* dW = sqrt(dt) N(0, 1) of step k for every noisy state j and instance i.
 * Each number depends on (seed, k, i, j) only (rt_normal_pair). */
static void wiener_increments(const RtRun *r, int64_t k, double sqdt, double *const *dw) {
  const int32_t nn = r->m->nnoise;
  for (int32_t j = 0; j < nn; j += 2) {
    double *a = dw[j], *b = j + 1 < nn ? dw[j + 1] : NULL;
    for (int64_t i = 0; i < r->n; i++) {
      double z0, z1;
      rt_normal_pair(r->opt.seed, (uint64_t)k, (uint64_t)i, (uint32_t)(j / 2), &z0, &z1);
      a[i] = sqdt * z0;
      if (b) b[i] = sqdt * z1;
    }
  }
}

/* x[noisy state q] += c * (G[q] (+ G2[q])) * dW[q] */
static void add_noise(const RtRun *r, double *const *x, double c, double *const *G, double *const *G2,
                      double *const *dW) {
  for (int32_t q = 0; q < r->m->nnoise; q++) {
    double *xq = x[r->m->noise_states[q]];
    const double *g = G[q], *w = dW[q], *g2 = G2 ? G2[q] : NULL;
    if (g2)
      for (int64_t i = 0; i < r->n; i++) xq[i] += c * (g[i] + g2[i]) * w[i];
    else
      for (int64_t i = 0; i < r->n; i++) xq[i] += c * g[i] * w[i];
  }
}

typedef struct Heun {
  Scratch s;
  double **ptr;
  double **K1, **K2, **tmp; /* nstates columns each */
  double **G1, **G2, **dW;  /* nnoise columns each */
} Heun;

static void heun_loop(RtRun *r, Heun *g, bool heun) {
  const MsnModel *m = r->m;
  const int32_t ns = m->nstates, nn = m->nnoise;
  const int64_t n = r->n;
  const double dt = r->opt.dt, sqdt = sqrt(dt), eps = 1e-9 * dt;
  double *const *y = r->cols;
  const double *const *yc = (const double *const *)r->cols;
  const double *const *tc = (const double *const *)g->tmp;
  for (int64_t k = 0; k < r->nsteps; k++) {
    double t = (double)k * dt, t1 = (double)(k + 1) * dt;
    save_spike_state(r);
    reset_coeffs(r, yc, t, dt);
    m->rhs(yc, g->K1, r->cols, r->P, 0, n, t + eps);
    if (nn) {
      m->noise(yc, g->G1, r->cols, r->P, 0, n, t + eps);
      wiener_increments(r, k, sqdt, g->dW);
    }
    if (heun) {
      axpy_cols(ns, n, g->tmp, y, dt, g->K1);
      if (nn) add_noise(r, g->tmp, 1.0, g->G1, NULL, g->dW);
      m->rhs(tc, g->K2, r->cols, r->P, 0, n, t1 - eps);
      if (nn) m->noise(tc, g->G2, r->cols, r->P, 0, n, t1 - eps);
      for (int32_t j = 0; j < ns; j++) {
        double *yj = y[j];
        const double *k1 = g->K1[j], *k2 = g->K2[j];
        for (int64_t i = 0; i < n; i++) yj[i] += 0.5 * dt * (k1[i] + k2[i]);
      }
      if (nn) add_noise(r, y, 0.5, g->G1, g->G2, g->dW);
    } else {
      for (int32_t j = 0; j < ns; j++) {
        double *yj = y[j];
        const double *k1 = g->K1[j];
        for (int64_t i = 0; i < n; i++) yj[i] += dt * k1[i];
      }
      if (nn) add_noise(r, y, 1.0, g->G1, NULL, g->dW);
    }
    if (resets_on(r)) apply_resets(r, t, dt);
    else detect_linear(r, t, dt);
    if (!rt_end_step(r, k, t1)) return;
  }
}

static void run_heun(RtRun *r, bool heun) {
  const int32_t ns = r->m->nstates, nn = r->m->nnoise;
  const int ncols = 3 * ns + 3 * nn;
  Heun g = {0};
  g.ptr = malloc((size_t)(ncols + 1) * sizeof *g.ptr);
  if (g.ptr && scratch_alloc(r, &g.s, ncols ? ncols : 1)) {
    for (int c = 0; c < ncols; c++) g.ptr[c] = g.s.block + (size_t)c * (size_t)r->stride;
    g.K1 = g.ptr;
    g.K2 = g.K1 + ns;
    g.tmp = g.K2 + ns;
    g.G1 = g.tmp + ns;
    g.G2 = g.G1 + nn;
    g.dW = g.G2 + nn;
    if (rt_start(r)) heun_loop(r, &g, heun);
  } else {
    rt_fail(r, RT_EXIT_IO, "out of memory for the %s stages", heun ? "heun" : "euler");
  }
  scratch_free(&g.s);
  free(g.ptr);
}

/* ---- adaptive RK45 (GSL) ---------------------------------------------------------------- */

/* The whole population is one ODE system of dimension nstates*n with
 * y[k*n + i] = state k of instance i, i.e. exactly the runtime's state
 * columns (rk45 runs use column stride n), so GSL updates the columns in
 * place. */
typedef struct GslCtx {
  RtRun *r;
  const double **yc;
  double **dc;
} GslCtx;

static int gsl_rhs(double t, const double y[], double dydt[], void *params) {
  GslCtx *c = params;
  const RtRun *r = c->r;
  for (int32_t k = 0; k < r->m->nstates; k++) {
    c->yc[k] = y + (size_t)k * (size_t)r->n;
    c->dc[k] = dydt + (size_t)k * (size_t)r->n;
  }
  r->m->rhs(c->yc, c->dc, r->cols, r->P, 0, r->n, t);
  return GSL_SUCCESS;
}

typedef struct Rk45 {
  gsl_odeiv2_step *step;
  gsl_odeiv2_control *control;
  gsl_odeiv2_evolve *evolve;
  GslCtx ctx;
  Scratch deriv;    /* spike_deriv scratch */
  double *yold;     /* state before the last accepted step (spikes only) */
  const double **yoldc;
} Rk45;

static void rk45_free(Rk45 *g) {
  if (g->evolve) gsl_odeiv2_evolve_free(g->evolve);
  if (g->control) gsl_odeiv2_control_free(g->control);
  if (g->step) gsl_odeiv2_step_free(g->step);
  free(g->ctx.yc);
  free(g->ctx.dc);
  scratch_free(&g->deriv);
  rt_aligned_free(g->yold);
  free(g->yoldc);
}

static bool rk45_alloc(RtRun *r, Rk45 *g, size_t dim) {
  size_t ns = (size_t)(r->m->nstates ? r->m->nstates : 1);
  g->step = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rkf45, dim);
  g->control = gsl_odeiv2_control_y_new(r->opt.atol, r->opt.rtol);
  g->evolve = gsl_odeiv2_evolve_alloc(dim);
  g->ctx = (GslCtx){.r = r, .yc = malloc(ns * sizeof(double *)), .dc = malloc(ns * sizeof(double *))};
  if (!g->step || !g->control || !g->evolve || !g->ctx.yc || !g->ctx.dc) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the rk45 solver (%zu unknowns)", dim);
    return false;
  }
  if (!spikes_on(r)) return true;
  /* spike detection needs the state before each step, for the derivative
   * at the start of the step of instances that cross */
  g->yold = rt_aligned_alloc(dim * sizeof(double));
  g->yoldc = malloc(ns * sizeof *g->yoldc);
  if (!g->yold || !g->yoldc) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the rk45 solver (%zu unknowns)", dim);
    return false;
  }
  for (int32_t k = 0; k < r->m->nstates; k++) g->yoldc[k] = g->yold + (size_t)k * (size_t)r->n;
  return scratch_alloc(r, &g->deriv, r->m->nstates);
}

/* Integrate from the grid point t to t1 = t + dt in accepted steps of at
 * most dt (evolve_apply never steps past t1), detecting spikes after every
 * accepted step so that their times come from that step's own ends. */
static bool rk45_interval(RtRun *r, Rk45 *g, gsl_odeiv2_system *sys, int64_t k, double *t,
                          double t1, double *h) {
  double *y = r->cols[0];
  size_t dim = sys->dimension;
  while (*t < t1) {
    double t0 = *t;
    if (spikes_on(r)) {
      memcpy(g->yold, y, dim * sizeof(double));
      save_spike_state(r);
    }
    if (*h > r->opt.dt) *h = r->opt.dt;
    unsigned long failed = g->evolve->failed_steps;
    int st = gsl_odeiv2_evolve_apply(g->evolve, g->control, g->step, sys, t, t1, h, y);
    r->solver_rejected += g->evolve->failed_steps - failed;
    if (st != GSL_SUCCESS) {
      rt_fail(r, RT_EXIT_NUMERIC,
              "rk45 failed at t = %.10g ms (step %lld): %s; try a smaller --dt, looser "
              "--rtol/--atol or --method staggered",
              *t / RT_MS, (long long)k + 1, gsl_strerror(st));
      return false;
    }
    r->solver_steps++;
    r->t_done = *t;
    if (resets_on(r)) {
      reset_coeffs(r, g->yoldc, t0, *t - t0);
      if (apply_resets(r, t0, *t - t0)) gsl_odeiv2_evolve_reset(g->evolve);
    } else {
      detect_hermite(r, &g->deriv, NULL, g->yoldc, NULL, t0, *t);
    }
    if (!check_finite(r, k + 1, *t) || r->status != RT_EXIT_OK) return false;
    rt_progress_tick(r, (uint64_t)r->n);
  }
  return true;
}

static void run_rk45(RtRun *r) {
  size_t dim = (size_t)r->m->nstates * (size_t)r->n;
  if (dim == 0) { /* nothing to integrate; keep the time grid and the trace */
    if (!rt_start(r)) return;
    for (int64_t k = 0; k < r->nsteps; k++)
      if (!rt_end_step(r, k, (double)(k + 1) * r->opt.dt)) return;
    return;
  }
  Rk45 g = {0};
  /* GSL's default handler calls abort(); a library must report instead.
   * The handler is process-wide, so the caller's one is restored. */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  if (rk45_alloc(r, &g, dim) && rt_start(r)) {
    gsl_odeiv2_system sys = {gsl_rhs, NULL, dim, &g.ctx};
    double t = 0, h = r->opt.dt;
    for (int64_t k = 0; k < r->nsteps; k++) {
      double t1 = (double)(k + 1) * r->opt.dt;
      if (!rk45_interval(r, &g, &sys, k, &t, t1, &h)) break;
      t = t1; /* evolve_apply lands on t1 exactly; this only removes doubt */
      r->steps_done = k + 1;
      if ((k + 1) % r->rec_stride == 0) rt_trace_record(r, t1);
      if (r->status != RT_EXIT_OK) break;
    }
  }
  rk45_free(&g);
  gsl_set_error_handler(old);
}

bool rt_parts_init(RtRun *r, int nparts, int64_t align) {
  rt_parts_free(r);
  if (nparts < 1) nparts = 1;
  r->parts = calloc((size_t)nparts, sizeof *r->parts);
  if (!r->parts) return false;
  r->nparts = nparts;
  int64_t b = 0;
  for (int t = 0; t < nparts; t++) {
    RtPart *p = &r->parts[t];
    /* boundaries on multiples of align, so a vectorised kernel runs the
     * same vector and remainder code on every instance whatever the split */
    int64_t e = t + 1 == nparts ? r->n : (r->n * (t + 1) / nparts) / align * align;
    if (e < b) e = b;
    p->begin = b;
    p->end = e;
    p->refr = malloc((3 * (size_t)(e - b) + 1) * sizeof *p->refr);
    if (!p->refr) return false;
    b = e;
  }
  return true;
}

void rt_parts_free(RtRun *r) {
  for (int t = 0; r->parts && t < r->nparts; t++) {
    free(r->parts[t].refr);
    free(r->parts[t].spikes.v);
    free(r->parts[t].pend.v);
  }
  free(r->parts);
  r->parts = NULL;
  r->nparts = 0;
}

void rt_integrate(RtRun *r) {
  const MsnModel *m = r->m;
  if (!rt_parts_init(r, 1, 1)) {
    rt_fail(r, RT_EXIT_IO, "out of memory for %lld instances", (long long)r->n);
    rt_parts_free(r);
    return;
  }
  if (m->has_reset && m->spike_state >= 0) {
    if (!m->vlin) {
      rt_fail(r, RT_EXIT_USAGE, "model %s has a reset but no vlin kernel; rebuild it with a matching msnc", m->name);
      rt_parts_free(r);
      return;
    }
    size_t n = (size_t)(r->n ? r->n : 1);
    r->ref_until = rt_aligned_alloc(n * sizeof(double));
    r->lin_ab[0] = rt_aligned_alloc(n * sizeof(double));
    r->lin_ab[1] = rt_aligned_alloc(n * sizeof(double));
    if (!r->ref_until || !r->lin_ab[0] || !r->lin_ab[1]) {
      rt_fail(r, RT_EXIT_IO, "out of memory for the refractory periods of %lld instances", (long long)r->n);
    } else {
      for (int64_t i = 0; i < r->n; i++) r->ref_until[i] = -INFINITY;
      rt_integrate_method(r);
    }
    rt_aligned_free(r->ref_until);
    rt_aligned_free(r->lin_ab[0]);
    rt_aligned_free(r->lin_ab[1]);
    r->ref_until = r->lin_ab[0] = r->lin_ab[1] = NULL;
    rt_parts_free(r);
    return;
  }
  rt_integrate_method(r);
  rt_parts_free(r);
}

/* The staggered method's noise columns for a model with noise (cells);
 * noise_sd stays NULL without.  False when out of memory (reported). */
static bool noise_alloc(RtRun *r) {
  const MsnModel *m = r->m;
  r->noise_sd = NULL;
  if (r->opt.method != MSN_STAGGERED || m->nnoise <= 0) return true;
  if (!m->noise_step) {
    rt_fail(r, RT_EXIT_USAGE, "model %s has noise but no noise_step kernel; rebuild it with a matching msnc", m->name);
    return false;
  }
  r->noise_sd = calloc((size_t)m->nnoise, sizeof *r->noise_sd);
  bool ok = r->noise_sd != NULL;
  for (int32_t j = 0; ok && j < m->nnoise; j++)
    ok = (r->noise_sd[j] = rt_aligned_alloc((size_t)(r->n ? r->n : 1) * sizeof(double))) != NULL;
  if (!ok) rt_fail(r, RT_EXIT_IO, "out of memory for the noise of %lld instances", (long long)r->n);
  return ok;
}

static void noise_free(RtRun *r) {
  for (int32_t j = 0; r->noise_sd && j < r->m->nnoise; j++) rt_aligned_free(r->noise_sd[j]);
  free(r->noise_sd);
  r->noise_sd = NULL;
}

static void rt_integrate_method(RtRun *r) {
  if (!noise_alloc(r)) {
    noise_free(r);
    return;
  }
  rt_integrate_method_run(r);
  noise_free(r);
}

static void rt_integrate_method_run(RtRun *r) {
  switch (r->opt.method) {
  case MSN_STAGGERED: run_staggered(r); break;
  case MSN_RK4: run_rk4(r); break;
  case MSN_RK45: run_rk45(r); break;
  case MSN_EULER: run_heun(r, false); break;
  case MSN_HEUN: run_heun(r, true); break;
  default: rt_fail(r, RT_EXIT_USAGE, "unknown method %d", r->opt.method);
  }
}
