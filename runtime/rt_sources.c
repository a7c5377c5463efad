/* runtime/rt_sources.c — regular and spike-time sources (docs/language.md
 * 5.9).  Unlike Poisson sources, their spikes go through stored
 * projections (rules, weights, delays, Tsodyks–Markram) exactly like the
 * spikes of neurons; this file only says which spikes fall into a step.
 *
 * Stateless: the spikes of step k are a function of (P, k, dt), found in
 * O(1 + spikes) for a regular source and by binary search in the sorted
 * times otherwise, so any step can be asked in any order (threads). */
#include <math.h>
#include <stdlib.h>

#include "rt_sources.h"

int64_t rt_source_grid_step(double t, double dt) {
  double x = t / dt, r = nearbyint(x);
  /* 100 ms / 0.1 ms is 1000.0000000000001 in binary: that is grid 1000 */
  int64_t s = fabs(x - r) <= 1e-9 * fmax(1.0, fabs(x)) ? (int64_t)r : (int64_t)ceil(x);
  return s < 1 ? 1 : s;
}

static bool push(uint32_t **src, double **ts, size_t *cap, size_t *n, uint32_t i, double t) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 64;
    uint32_t *a = realloc(*src, c * sizeof *a);
    if (a) *src = a;
    double *b = realloc(*ts, c * sizeof *b);
    if (b) *ts = b;
    if (!a || !b) return false;
    *cap = c;
  }
  (*src)[*n] = i;
  (*ts)[(*n)++] = t;
  return true;
}

/* every one of the P->n sources spikes at t */
static bool push_all(const MsnPopulation *P, double t, uint32_t **src, double **ts, size_t *cap, size_t *n) {
  for (int64_t i = 0; i < P->n; i++)
    if (!push(src, ts, cap, n, (uint32_t)i, t)) return false;
  return true;
}

/* first index of the sorted times whose grid step is >= s */
static int64_t first_at_or_after(const MsnPopulation *P, int64_t s, double dt) {
  int64_t lo = 0, hi = P->ntimes;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (rt_source_grid_step(P->times[mid], dt) < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

bool rt_source_spikes(const MsnPopulation *P, int64_t k, double dt, uint32_t **src, double **ts, size_t *cap,
                      size_t *n) {
  const int64_t s = k + 1;
  if (P->kind == RT_SOURCE_SPIKES) {
    for (int64_t i = first_at_or_after(P, s, dt); i < P->ntimes; i++) {
      if (rt_source_grid_step(P->times[i], dt) != s) break;
      if (!push_all(P, P->times[i], src, ts, cap, n)) return false;
    }
    return true;
  }
  if (P->kind != RT_SOURCE_REGULAR || !(P->rate > 0)) return true;
  /* spike m at phase + m / rate; start a little before the step's window,
   * since the grid rule may move a spike by one step */
  double m0 = floor(((double)(s - 1) * dt - P->phase) * P->rate) - 1;
  for (int64_t m = m0 > 0 ? (int64_t)m0 : 0;; m++) {
    double t = P->phase + (double)m / P->rate;
    int64_t g = rt_source_grid_step(t, dt);
    if (g > s) break;
    if (g == s && !push_all(P, t, src, ts, cap, n)) return false;
  }
  return true;
}
