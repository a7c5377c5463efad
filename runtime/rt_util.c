/* runtime/rt_util.c — small helpers of libmsnrt: aligned memory, clocks,
 * error recording, JSON strings, the spike list and the progress bar. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_internal.h"

/* Columns are 64-byte aligned so that every column starts on a cache line
 * and vector loads of a column never split one.  Kernels may not rely on
 * it (GSL hands rk45 its own buffers), it is only for speed. */
void *rt_aligned_alloc(size_t bytes) {
  void *p = NULL;
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded < bytes) return NULL; /* overflow */
  if (rounded == 0) rounded = 64;
  if (posix_memalign(&p, 64, rounded) != 0) return NULL;
  memset(p, 0, rounded);
  return p;
}

void rt_aligned_free(void *p) { free(p); }

double rt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Record the first error of the run; later ones are consequences. */
void rt_fail(RtRun *r, int status, const char *fmt, ...) {
  if (r->status != RT_EXIT_OK) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, sizeof r->err, fmt, ap);
  va_end(ap);
  r->status = status;
}

void rt_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    case '\b': fputs("\\b", f); break;
    case '\f': fputs("\\f", f); break;
    default:
      if (*p < 0x20) fprintf(f, "\\u%04x", *p);
      else fputc(*p, f); /* UTF-8 passes through unchanged */
    }
  }
  fputc('"', f);
}

/* JSON has no NaN or Infinity. */
void rt_json_number(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.15g", x);
  else fputs("null", f);
}

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of neighbours ("tua" -> "tau") cost 1 each. */
int rt_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99; /* names that long are never "close" */
  int d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *rt_method_name(int method) {
  switch (method) {
  case MSN_STAGGERED: return "staggered";
  case MSN_RK4: return "rk4";
  case MSN_RK45: return "rk45";
  case MSN_EULER: return "euler";
  case MSN_HEUN: return "heun";
  default: return "unknown";
  }
}

/* Amortised doubling: the list is preallocated before the loop, so this
 * only reallocates in runs that spike more than that. */
bool rt_spikes_push(RtSpikes *s, double t, int64_t id) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    RtSpike *v = realloc(s->v, cap * sizeof *v);
    if (!v) return false;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n].t = t;
  s->v[s->n].id = id;
  s->n++;
  return true;
}

static int spike_cmp(const void *a, const void *b) {
  const RtSpike *x = a, *y = b;
  if (x->t < y->t) return -1;
  if (x->t > y->t) return 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* The spikes come almost sorted: step after step, and within a step by
 * neuron, with times anywhere in the step.  Insertion sort moves each
 * spike only past the earlier ones of its own step, O(n) in practice,
 * where qsort (a merge sort through a comparison callback) was 2 % of a
 * CUBA run.  (t, id) is a total order on distinct spikes, so the result
 * is the one qsort gives; should the input be far from sorted, after a
 * budget of moves qsort finishes the job. */
void rt_spikes_sort(RtSpikes *s) {
  size_t budget = 8 * s->n + 1024;
  for (size_t k = 1; k < s->n; k++) {
    RtSpike x = s->v[k];
    size_t j = k;
    while (j > 0 && spike_cmp(&x, &s->v[j - 1]) < 0) {
      s->v[j] = s->v[j - 1];
      j--;
      if (--budget == 0) {
        s->v[j] = x;
        qsort(s->v, s->n, sizeof *s->v, spike_cmp);
        return;
      }
    }
    s->v[j] = x;
  }
}

/* ---- progress bar ------------------------------------------------------ */

/* Work is counted in instance-steps; the clock is read once every
 * PROGRESS_WORK of them (every few thousand steps of one neuron, every step
 * of a large population) so the check costs nothing measurable; the bar is
 * redrawn at most every PROGRESS_PERIOD seconds. */
#define PROGRESS_WORK 32768
#define PROGRESS_PERIOD 0.1

void rt_progress_start(RtProgress *p, bool enabled) {
  memset(p, 0, sizeof *p);
  p->enabled = enabled;
  p->start = rt_now();
  p->last_draw = p->start;
  p->countdown = PROGRESS_WORK;
}

static void progress_draw(RtRun *r, double now) {
  const RtOptions *o = &r->opt;
  double total = (double)r->nsteps * o->dt;
  double frac = total > 0 ? r->t_done / total : 1.0;
  if (frac > 1) frac = 1;
  double elapsed = now - r->progress.start;
  double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  int width = 30, filled = (int)(frac * width);
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  fprintf(stderr, "\r\033[K%s: [%s] %5.1f%%  t = %.6g ms  elapsed %.1f s  ETA %.1f s",
          o->prog, bar, 100 * frac, r->t_done / RT_MS, elapsed, eta);
  fflush(stderr);
  r->progress.drawn = true;
}

void rt_progress_tick(RtRun *r, uint64_t work) {
  RtProgress *p = &r->progress;
  if (!p->enabled) return;
  if (p->countdown > work) {
    p->countdown -= work;
    return;
  }
  p->countdown = PROGRESS_WORK;
  double now = rt_now();
  if (now - p->last_draw < PROGRESS_PERIOD) return;
  p->last_draw = now;
  progress_draw(r, now);
}

void rt_progress_end(RtProgress *p) {
  if (p->enabled && p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  p->drawn = false;
}

void rt_msg(char *buf, size_t len, const char *fmt, ...) {
  if (!buf || len == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

