/* runtime/rt_sources.c — regular and spike-time sources (docs/language.md
 * 5.9).  Unlike Poisson sources, their spikes go through stored
 * projections (rules, weights, delays, Tsodyks–Markram) exactly like the
 * spikes of neurons; this file only says which spikes fall into a step.
 *
 * Stateless: the spikes of step k are a function of (P, k, dt), found in
 * O(1 + spikes) for a regular source and by binary search in the sorted
 * times otherwise, so any step can be asked in any order (threads). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
      /* from a file, spike i is source ids[i]'s; from a list, every source's */
      if (P->ids ? !push(src, ts, cap, n, (uint32_t)P->ids[i], P->times[i]) : !push_all(P, P->times[i], src, ts, cap, n))
        return false;
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

/* ---- spike-time files ------------------------------------------------------ */

typedef struct Spike { double t; int64_t id; } Spike;

static int by_time_then_id(const void *a, const void *b) {
  const Spike *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static int failf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* a number filling the field (blanks around it allowed) */
static int number(const char *f, double *out) {
  while (*f == ' ' || *f == '\t') f++;
  if (!*f) return -1;
  char *end;
  *out = strtod(f, &end);
  while (*end == ' ' || *end == '\t' || *end == '\r') end++;
  return *end ? -1 : 0;
}

/* parse one line (NUL-terminated, comment removed): 1 a spike, 0 blank or
 * the header, -1 an error (in err) */
static int spike_line(char *p, const char *shown, size_t line, int64_t n_src, int *seen_data, Spike *sp, char *err,
                      size_t errlen) {
  while (*p == ' ' || *p == '\t' || *p == '\r') p++;
  if (!*p) return 0;
  char *comma = strchr(p, ',');
  double v[2];
  int ok = comma && !strchr(comma + 1, ',');
  if (comma) *comma = 0;
  ok = ok && number(p, &v[0]) == 0 && number(comma + 1, &v[1]) == 0;
  if (!ok && !*seen_data && comma && !strchr(comma + 1, ',')) { /* the header */
    *seen_data = 1;
    return 0;
  }
  *seen_data = 1;
  if (!ok) return failf(err, errlen, "%s:%zu: expected 2 numbers (source, time [ms])", shown, line);
  if (!(v[0] >= 0 && v[0] == floor(v[0]) && v[0] < 4294967296.0))
    return failf(err, errlen, "%s:%zu: the source index %.17g is not a whole number >= 0", shown, line, v[0]);
  if (n_src > 0 && v[0] >= (double)n_src)
    return failf(err, errlen, "%s:%zu: the source index %.17g is out of range (%lld sources, indices 0 to %lld)", shown,
                 line, v[0], (long long)n_src, (long long)n_src - 1);
  if (!isfinite(v[1]) || v[1] < 0)
    return failf(err, errlen, "%s:%zu: the spike time %g ms is negative or not finite", shown, line, v[1]);
  sp->id = (int64_t)v[0];
  sp->t = v[1] * 1e-3;
  return 1;
}

int rt_spike_file_read(const char *path, const char *shown, int64_t n_src, double **t, int64_t **id, size_t *n,
                       int64_t *max_id, char *err, size_t errlen) {
  *t = NULL;
  *id = NULL;
  *n = 0;
  *max_id = -1;
  FILE *f = fopen(path, "r");
  if (!f) return failf(err, errlen, "cannot open the spike-time file '%s': %s", shown, strerror(errno));
  Spike *sp = NULL;
  size_t m = 0, cap = 0, line = 0;
  int seen = 0, rc = 0;
  char *buf = NULL;
  size_t blen = 0;
  while (getline(&buf, &blen, f) > 0) {
    line++;
    buf[strcspn(buf, "#\n")] = 0;
    if (m == cap) {
      cap = cap ? 2 * cap : 256;
      Spike *ns = realloc(sp, cap * sizeof *ns);
      if (!ns) {
        rc = failf(err, errlen, "out of memory reading '%s'", shown);
        break;
      }
      sp = ns;
    }
    int r = spike_line(buf, shown, line, n_src, &seen, &sp[m], err, errlen);
    if (r < 0) {
      rc = -1;
      break;
    }
    m += (size_t)r;
  }
  if (!rc && ferror(f)) rc = failf(err, errlen, "cannot read the spike-time file '%s'", shown);
  free(buf);
  fclose(f);
  if (!rc) {
    qsort(sp, m, sizeof *sp, by_time_then_id);
    *t = malloc((m + 1) * sizeof **t);
    *id = malloc((m + 1) * sizeof **id);
    if (!*t || !*id) rc = failf(err, errlen, "out of memory reading '%s'", shown);
    for (size_t i = 0; !rc && i < m; i++) {
      (*t)[i] = sp[i].t;
      (*id)[i] = sp[i].id;
      if (sp[i].id > *max_id) *max_id = sp[i].id;
    }
    *n = m;
  }
  free(sp);
  if (rc) {
    free(*t);
    free(*id);
    *t = NULL;
    *id = NULL;
    *n = 0;
  }
  return rc;
}
