/* runtime/rt_edges.c — edge-list files (runtime/rt_edges.h).
 *
 * The whole file is read into memory and parsed in one pass; a row is
 * rejected with its line (CSV) or row (.npy) so that the user can find it.
 * The same code serves the compiler (compile-time errors, E0951) and the
 * generated program (run-time errors, exit status 3), so both say the same
 * thing about the same row. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_edges.h"

typedef struct Reader {
  RtEdges *e;
  const char *shown;
  uint32_t n_src, n_tgt;
  double dt_ms;
  char *err;
  size_t errlen;
  size_t cap;
} Reader;

static int fail(Reader *R, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(R->err, R->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* "SHOWN:LINE: " or "SHOWN: row R: " */
static void where(Reader *R, int npy, size_t at, char *buf, size_t len) {
  if (npy) snprintf(buf, len, "%s: row %zu", R->shown, at);
  else snprintf(buf, len, "%s:%zu", R->shown, at);
}

static int check_index(Reader *R, const char *at, const char *what, double v, uint32_t n, uint32_t *out) {
  if (!(v >= 0 && v == floor(v)))
    return fail(R, "%s: the %s index %.17g is not a whole number >= 0", at, what, v);
  if (v >= (double)n)
    return fail(R, "%s: the %s index %.17g is out of range (the %s population has %u, indices 0 to %u)", at, what, v,
                what, n, n - 1);
  *out = (uint32_t)v;
  return 0;
}

/* check one row (source, target, weight, delay [ms]) and append it */
static int add_row(Reader *R, int npy, size_t at, const double v[4]) {
  char loc[512];
  where(R, npy, at, loc, sizeof loc);
  uint32_t s, t;
  if (check_index(R, loc, "source", v[0], R->n_src, &s) || check_index(R, loc, "target", v[1], R->n_tgt, &t)) return -1;
  if (!isfinite(v[2])) return fail(R, "%s: the weight %g is not finite", loc, v[2]);
  if (!isfinite(v[3]) || v[3] < 0) return fail(R, "%s: the delay %g ms is negative or not finite", loc, v[3]);
  if (R->dt_ms > 0 && v[3] / R->dt_ms < 1 - 1e-9)
    return fail(R, "%s: the delay %g ms is shorter than the time step dt = %g ms", loc, v[3], R->dt_ms);
  if (R->dt_ms > 0 && v[3] / R->dt_ms > RT_DELAY_MAX + 0.5)
    return fail(R, "%s: the delay %g ms is longer than %u steps of dt = %g ms", loc, v[3], RT_DELAY_MAX, R->dt_ms);
  RtEdges *e = R->e;
  if (e->m == R->cap) {
    size_t c = R->cap ? 2 * R->cap : 256;
    uint32_t *a = realloc(e->src, c * sizeof *a);
    if (a) e->src = a;
    uint32_t *b = realloc(e->tgt, c * sizeof *b);
    if (b) e->tgt = b;
    double *w = realloc(e->w, c * sizeof *w);
    if (w) e->w = w;
    double *d = realloc(e->delay, c * sizeof *d);
    if (d) e->delay = d;
    if (!a || !b || !w || !d) return fail(R, "%s: out of memory for the edges", loc);
    R->cap = c;
  }
  e->src[e->m] = s;
  e->tgt[e->m] = t;
  e->w[e->m] = v[2];
  e->delay[e->m++] = v[3];
  return 0;
}

/* a number filling the whole field (blanks around it allowed) */
static int parse_field(const char *f, double *out) {
  while (*f == ' ' || *f == '\t') f++;
  if (!*f) return -1;
  char *end;
  errno = 0;
  *out = strtod(f, &end);
  while (*end == ' ' || *end == '\t' || *end == '\r') end++;
  return *end ? -1 : 0;
}

static int read_csv(Reader *R, char *text) {
  size_t line = 0;
  int data_seen = 0;
  for (char *p = text, *next; p && *p; p = next) {
    line++;
    next = strchr(p, '\n');
    if (next) *next++ = 0;
    char *hash = strchr(p, '#');
    if (hash) *hash = 0;
    char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\r') q++;
    if (!*q) continue;
    char *field[5];
    int nf = 0;
    for (char *f = q; f && nf < 5; nf++) {
      field[nf] = f;
      f = strchr(f, ',');
      if (f) *f++ = 0;
    }
    double v[4];
    int numeric = nf == 4;
    for (int i = 0; numeric && i < 4; i++) numeric = parse_field(field[i], &v[i]) == 0;
    if (!numeric && !data_seen && nf == 4) { /* the header */
      data_seen = 1;
      continue;
    }
    data_seen = 1;
    if (nf != 4)
      return fail(R, "%s:%zu: expected 4 columns (source, target, weight, delay), found %s%d", R->shown, line,
                  nf > 4 ? "more than " : "", nf > 4 ? 4 : nf);
    for (int i = 0; i < 4; i++)
      if (parse_field(field[i], &v[i]))
        return fail(R, "%s:%zu: column %d (%s) is not a number", R->shown, line, i + 1,
                    (const char *[]){"source", "target", "weight", "delay"}[i]);
    if (add_row(R, 0, line, v)) return -1;
  }
  return 0;
}

/* NumPy format 1.0-3.0: magic, version, header length, a Python dict */
static int read_npy(Reader *R, const unsigned char *b, size_t n) {
  if (n < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return fail(R, "%s: not a NumPy .npy file", R->shown);
  size_t hl = b[6] == 1 ? (size_t)b[8] | (size_t)b[9] << 8 : 0, off = 10;
  if (b[6] >= 2) {
    if (n < 12) return fail(R, "%s: truncated .npy header", R->shown);
    hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    off = 12;
  }
  if (off + hl > n) return fail(R, "%s: truncated .npy header", R->shown);
  char head[1024];
  size_t len = hl < sizeof head - 1 ? hl : sizeof head - 1;
  memcpy(head, b + off, len);
  head[len] = 0;
  while (len && (head[len - 1] == ' ' || head[len - 1] == '\n')) head[--len] = 0; /* the header's padding */
  char *d = strstr(head, "'descr'"), *fo = strstr(head, "'fortran_order'"), *sh = strstr(head, "'shape'");
  unsigned long long rows = 0, cols = 0;
  int ok = d && fo && sh && strstr(d, "'<f8'") == strchr(d + 7, '\'') && strstr(fo, "False") &&
           sscanf(strchr(sh, '('), "(%llu, %llu)", &rows, &cols) == 2 && cols == 4;
  if (!ok)
    return fail(R, "%s: expected a float64 array of shape (N, 4) in C order (descr '<f8'), found %s", R->shown, head);
  off += hl;
  if ((n - off) / 32 < rows) return fail(R, "%s: the data of %llu rows is truncated", R->shown, rows);
  for (size_t i = 0; i < rows; i++) {
    double v[4];
    memcpy(v, b + off + 32 * i, sizeof v); /* little-endian hosts (x86-64, aarch64) */
    if (add_row(R, 1, i, v)) return -1;
  }
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

int rt_edges_read(RtEdges *e, const char *path, const char *shown, uint32_t n_src, uint32_t n_tgt, double dt_ms,
                  char *err, size_t errlen) {
  memset(e, 0, sizeof *e);
  Reader R = {.e = e, .shown = shown, .n_src = n_src, .n_tgt = n_tgt, .dt_ms = dt_ms, .err = err, .errlen = errlen};
  FILE *f = fopen(path, "rb");
  if (!f) return fail(&R, "cannot open the edge list '%s': %s", shown, strerror(errno));
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 65536 + 1 > cap) {
      cap = 2 * cap + 65536 + 1;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return fail(&R, "out of memory reading '%s'", shown);
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return fail(&R, "cannot read the edge list '%s'", shown);
  }
  buf[n] = 0;
  int rc = ends_with(path, ".npy") ? read_npy(&R, (unsigned char *)buf, n) : read_csv(&R, buf);
  free(buf);
  if (rc) rt_edges_free(e);
  return rc;
}

void rt_edges_free(RtEdges *e) {
  free(e->src);
  free(e->tgt);
  free(e->w);
  free(e->delay);
  memset(e, 0, sizeof *e);
}

int rt_edges_conn(RtConn *c, const char *path, uint32_t n_src, uint32_t n_tgt, double w_scale, double dt,
                  uint32_t *max_delay, double *max_rel, char *err, size_t errlen) {
  RtEdges e;
  if (rt_edges_read(&e, path, path, n_src, n_tgt, dt * 1e3, err, errlen)) return -1;
  uint32_t *steps = malloc((e.m + 1) * sizeof *steps);
  int rc = -1;
  if (!steps) {
    snprintf(err, errlen, "out of memory for the edges of '%s'", path);
    goto done;
  }
  for (size_t k = 0; k < e.m; k++) {
    e.w[k] *= w_scale;
    e.delay[k] *= 1e-3; /* ms -> s */
  }
  if (rt_delays_to_steps(e.m, e.delay, dt, steps, max_rel, err, errlen) ||
      rt_conn_from_edges(c, n_src, n_tgt, e.m, e.src, e.tgt, e.w, steps, 0, err, errlen))
    goto done;
  *max_delay = 1;
  for (size_t k = 0; k < e.m; k++)
    if (steps[k] > *max_delay) *max_delay = steps[k];
  rc = 0;
done:
  free(steps);
  rt_edges_free(&e);
  return rc;
}
