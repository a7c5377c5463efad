/* runtime/rt_cable.c — cable discretisation, Hines solver, BE/CN steps and
 * the d_lambda rule (declarations and the scheme: rt_cable.h, docs/cable.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cable.h"
#include "rt_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* "section 3 (dend)" or "section 3" */
static const char *secname(const RtCableSection *secs, int32_t s, char *buf, size_t len) {
  if (secs[s].name && secs[s].name[0])
    snprintf(buf, len, "section %d (%s)", (int)s, secs[s].name);
  else
    snprintf(buf, len, "section %d", (int)s);
  return buf;
}

static bool pos_finite(double x) { return isfinite(x) && x > 0; }

/* Check one section's own numbers and its parent index. */
static bool check_section(const RtCableSection *secs, int32_t nsec, int32_t s, char *err,
                          size_t errlen) {
  char nm[160];
  const RtCableSection *q = &secs[s];
  if (q->shape != RT_CABLE_CYLINDER && q->shape != RT_CABLE_SPHERE) {
    rt_msg(err, errlen, "%s: unknown shape %d", secname(secs, s, nm, sizeof nm), (int)q->shape);
    return false;
  }
  if (q->shape == RT_CABLE_SPHERE && s != 0) {
    rt_msg(err, errlen, "%s: only section 0 (the soma) may be a sphere",
           secname(secs, s, nm, sizeof nm));
    return false;
  }
  if (!pos_finite(q->diam)) {
    rt_msg(err, errlen, "%s: diameter must be positive and finite, got %g m",
           secname(secs, s, nm, sizeof nm), q->diam);
    return false;
  }
  if (q->shape == RT_CABLE_CYLINDER) {
    if (!pos_finite(q->length)) {
      rt_msg(err, errlen, "%s: length must be positive and finite, got %g m",
             secname(secs, s, nm, sizeof nm), q->length);
      return false;
    }
    if (!(q->diam1 == 0 || pos_finite(q->diam1))) {
      rt_msg(err, errlen, "%s: end diameter must be positive and finite (0: cylinder), got %g m",
             secname(secs, s, nm, sizeof nm), q->diam1);
      return false;
    }
    if (q->nseg < 1) {
      rt_msg(err, errlen, "%s: needs at least one segment, got %d",
             secname(secs, s, nm, sizeof nm), (int)q->nseg);
      return false;
    }
  }
  if (s == 0) {
    if (q->parent != -1) {
      rt_msg(err, errlen, "%s: section 0 is the root and must have parent -1, got %d",
             secname(secs, s, nm, sizeof nm), (int)q->parent);
      return false;
    }
    return true;
  }
  if (q->parent < 0 || q->parent >= nsec) {
    rt_msg(err, errlen, "%s: parent %d is not a section (0..%d)%s",
           secname(secs, s, nm, sizeof nm), (int)q->parent, (int)nsec - 1,
           q->parent == -1 ? "; only section 0 may be a root" : "");
    return false;
  }
  if (q->parent == s) {
    rt_msg(err, errlen, "%s: is its own parent", secname(secs, s, nm, sizeof nm));
    return false;
  }
  if (!(isfinite(q->parent_x) && q->parent_x >= 0 && q->parent_x <= 1)) {
    rt_msg(err, errlen, "%s: attachment position on the parent must be in [0, 1], got %g",
           secname(secs, s, nm, sizeof nm), q->parent_x);
    return false;
  }
  return true;
}

/* Depth of every section below section 0 (memoised walk up the parents);
 * false with a message on a cycle.  depth must hold nsec entries. */
static bool section_depths(const RtCableSection *secs, int32_t nsec, int32_t *depth,
                           int32_t *path, char *err, size_t errlen) {
  enum { UNKNOWN = -1, ON_PATH = -2 };
  for (int32_t s = 0; s < nsec; s++) depth[s] = UNKNOWN;
  depth[0] = 0;
  for (int32_t s = 1; s < nsec; s++) {
    int32_t len = 0, u = s;
    while (depth[u] == UNKNOWN) {
      depth[u] = ON_PATH;
      path[len++] = u;
      u = secs[u].parent;
    }
    if (depth[u] == ON_PATH) {
      char nm[160];
      char chain[256];
      size_t w = 0;
      /* the cycle starts where u first appears on the path */
      int32_t k0 = 0;
      while (path[k0] != u) k0++;
      chain[0] = 0;
      for (int32_t k = k0; k < len && w + 24 < sizeof chain; k++)
        w += (size_t)snprintf(chain + w, sizeof chain - w, "%d -> ", (int)path[k]);
      if (w + 12 < sizeof chain) snprintf(chain + w, sizeof chain - w, "%d", (int)u);
      rt_msg(err, errlen, "%s: its parents form a cycle (%s) that never reaches section 0",
             secname(secs, u, nm, sizeof nm), chain);
      return false;
    }
    int32_t d = depth[u];
    for (int32_t k = len - 1; k >= 0; k--) depth[path[k]] = ++d;
  }
  return true;
}

/* Lateral area of a frustum of length h with end diameters da, db. */
static double frustum_area(double h, double da, double db) {
  double ra = 0.5 * da, rb = 0.5 * db;
  return M_PI * (ra + rb) * sqrt((ra - rb) * (ra - rb) + h * h);
}

void rt_cable_free(RtCable *c) {
  if (!c) return;
  free(c->parent);
  free(c->area);
  free(c->cap);
  free(c->g_axial);
  free(c->sec);
  free(c->pos);
  free(c->sec_nseg);
  free(c->sec_node0);
  free(c->sec_first);
  free(c->diag);
  free(c->rhs);
  free(c);
}

int32_t rt_cable_node(const RtCable *c, int32_t s, double x) {
  if (!c || s < 0 || s >= c->nsec || !(isfinite(x) && x >= 0 && x <= 1)) return -1;
  int32_t nseg = c->sec_nseg[s];
  if (nseg == 0) return c->sec_node0[s]; /* sphere */
  int64_t k = (int64_t)floor(x * nseg + 0.5);
  if (k > nseg) k = nseg;
  return k == 0 ? c->sec_node0[s] : c->sec_first[s] + (int32_t)(k - 1);
}

RtCable *rt_cable_build(const RtCableSection *secs, int32_t nsec, double Ra, double Cm,
                        char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!secs || nsec < 1) {
    rt_msg(err, errlen, "a cable needs at least one section");
    return NULL;
  }
  if (!pos_finite(Ra)) {
    rt_msg(err, errlen, "axial resistivity Ra must be positive and finite, got %g ohm*m", Ra);
    return NULL;
  }
  if (!pos_finite(Cm)) {
    rt_msg(err, errlen, "specific capacitance Cm must be positive and finite, got %g F/m^2", Cm);
    return NULL;
  }
  int64_t total = 0;
  for (int32_t s = 0; s < nsec; s++) {
    if (!check_section(secs, nsec, s, err, errlen)) return NULL;
    if (secs[s].shape == RT_CABLE_CYLINDER) total += secs[s].nseg;
  }
  total += 1; /* the root node: x = 0 of section 0, or the sphere */
  if (total > INT32_MAX / 2) {
    rt_msg(err, errlen, "too many compartments (%lld)", (long long)total);
    return NULL;
  }

  RtCable *c = NULL;
  int32_t *depth = malloc(sizeof *depth * (size_t)nsec);
  int32_t *tmp = malloc(sizeof *tmp * (size_t)nsec);
  int32_t *order = malloc(sizeof *order * (size_t)nsec);
  int32_t *count = calloc((size_t)nsec + 1, sizeof *count);
  if (!depth || !tmp || !order || !count) {
    rt_msg(err, errlen, "out of memory");
    goto done;
  }
  if (!section_depths(secs, nsec, depth, tmp, err, errlen)) goto done;
  /* sections by depth (counting sort, stable): a parent comes before its
   * children, so every node's parent gets the smaller number */
  for (int32_t s = 0; s < nsec; s++) count[depth[s] + 1]++;
  for (int32_t d = 1; d <= nsec; d++) count[d] += count[d - 1];
  for (int32_t s = 0; s < nsec; s++) order[count[depth[s]]++] = s;

  int32_t n = (int32_t)total;
  c = calloc(1, sizeof *c);
  if (!c) {
    rt_msg(err, errlen, "out of memory");
    goto done;
  }
  c->n = n;
  c->nsec = nsec;
  c->Ra = Ra;
  c->Cm = Cm;
  c->parent = malloc(sizeof *c->parent * (size_t)n);
  c->sec = malloc(sizeof *c->sec * (size_t)n);
  c->area = calloc((size_t)n, sizeof *c->area);
  c->cap = calloc((size_t)n, sizeof *c->cap);
  c->g_axial = calloc((size_t)n, sizeof *c->g_axial);
  c->pos = calloc((size_t)n, sizeof *c->pos);
  c->diag = calloc((size_t)n, sizeof *c->diag);
  c->rhs = calloc((size_t)n, sizeof *c->rhs);
  c->sec_nseg = calloc((size_t)nsec, sizeof *c->sec_nseg);
  c->sec_node0 = calloc((size_t)nsec, sizeof *c->sec_node0);
  c->sec_first = calloc((size_t)nsec, sizeof *c->sec_first);
  if (!c->parent || !c->sec || !c->area || !c->cap || !c->g_axial || !c->pos || !c->diag ||
      !c->rhs || !c->sec_nseg || !c->sec_node0 || !c->sec_first) {
    rt_msg(err, errlen, "out of memory");
    rt_cable_free(c);
    c = NULL;
    goto done;
  }

  int32_t next = 0;
  for (int32_t o = 0; o < nsec; o++) {
    int32_t s = order[o];
    const RtCableSection *q = &secs[s];
    if (s == 0) { /* the root node: x = 0 of section 0, or the sphere */
      c->parent[0] = -1;
      c->sec[0] = 0;
      c->pos[0] = 0;
      c->sec_node0[0] = 0;
      next = 1;
      if (q->shape == RT_CABLE_SPHERE) {
        c->area[0] += M_PI * q->diam * q->diam;
        c->sec_nseg[0] = 0;
        c->sec_first[0] = 1;
        continue;
      }
    } else {
      c->sec_node0[s] = rt_cable_node(c, q->parent, q->parent_x);
    }
    int32_t nseg = q->nseg;
    double d0 = q->diam, d1 = q->diam1 > 0 ? q->diam1 : q->diam;
    double h = q->length / nseg;
    c->sec_nseg[s] = nseg;
    c->sec_first[s] = next;
    int32_t prev = c->sec_node0[s];
    for (int32_t k = 1; k <= nseg; k++) {
      int32_t i = next++;
      double xa = (double)(k - 1) / nseg, xb = (double)k / nseg;
      double da = d0 + (d1 - d0) * xa, db = d0 + (d1 - d0) * xb, dm = 0.5 * (da + db);
      c->parent[i] = prev;
      c->sec[i] = s;
      c->pos[i] = xb;
      /* the segment [xa, xb]: half its area to each end node; its axial
       * resistance 4 Ra h / (pi da db) (exact for a frustum) */
      c->area[prev] += frustum_area(0.5 * h, da, dm);
      c->area[i] += frustum_area(0.5 * h, dm, db);
      c->g_axial[i] = M_PI * da * db / (4 * Ra * h);
      prev = i;
    }
  }
  for (int32_t i = 0; i < n; i++) c->cap[i] = Cm * c->area[i];

done:
  free(depth);
  free(tmp);
  free(order);
  free(count);
  return c;
}

bool rt_hines_solve(int32_t n, const int32_t *parent, double *diag, const double *off,
                    double *b) {
  /* forward elimination, leaves to root: row i removes its coupling to
   * parent[i] from the parent's row */
  for (int32_t i = n - 1; i >= 1; i--) {
    if (diag[i] == 0 || !isfinite(diag[i])) return false;
    int32_t p = parent[i];
    double f = off[i] / diag[i];
    diag[p] -= f * off[i];
    b[p] -= f * b[i];
  }
  if (n < 1) return true;
  if (diag[0] == 0 || !isfinite(diag[0])) return false;
  b[0] /= diag[0];
  /* back substitution, root to leaves */
  for (int32_t i = 1; i < n; i++) b[i] = (b[i] - off[i] * b[parent[i]]) / diag[i];
  return true;
}

/* Assemble and solve (cdt C + A g - L) dV = -A im + L V + iinj, where L is
 * the axial conductance (graph Laplacian) matrix; the correction ends in
 * c->rhs.  The coupling of i to parent[i] is -g_axial[i]. */
static bool solve_delta(RtCable *c, const double *V, const double *g, const double *im,
                        const double *iinj, double cdt) {
  int32_t n = c->n;
  const int32_t *restrict par = c->parent;
  const double *restrict ga = c->g_axial, *restrict A = c->area, *restrict C = c->cap;
  double *restrict d = c->diag, *restrict b = c->rhs;
  double scale = 0;
  for (int32_t i = 0; i < n; i++) {
    d[i] = cdt * C[i] + (g ? g[i] * A[i] : 0);
    b[i] = (im ? -im[i] * A[i] : 0) + (iinj ? iinj[i] : 0);
  }
  for (int32_t i = 1; i < n; i++) {
    int32_t p = par[i];
    double G = ga[i], flux = G * (V[p] - V[i]); /* axial current into i */
    d[i] += G;
    d[p] += G;
    b[i] += flux;
    b[p] -= flux;
  }
  for (int32_t i = 0; i < n; i++)
    if (fabs(d[i]) > scale) scale = fabs(d[i]);
  for (int32_t i = n - 1; i >= 1; i--) {
    int32_t p = par[i];
    double f = -ga[i] / d[i];
    d[p] += f * ga[i];
    b[p] -= f * b[i];
  }
  /* with no membrane and no capacitance term the root pivot cancels to
   * rounding: the system is singular (potential defined up to a constant) */
  if (!(fabs(d[0]) > 1e-12 * scale) || !isfinite(d[0])) return false;
  b[0] /= d[0];
  for (int32_t i = 1; i < n; i++) b[i] = (b[i] + ga[i] * b[par[i]]) / d[i];
  return true;
}

bool rt_cable_step(RtCable *c, double *V, const double *g, const double *im,
                   const double *iinj, double dt, int method) {
  if (!c || !V || !(isfinite(dt) && dt > 0)) return false;
  if (method != RT_CABLE_BE && method != RT_CABLE_CN) return false;
  /* BE: (C/dt) (V'-V) = f(V');  CN: (C/dt) (V'-V) = f((V+V')/2), solved for
   * the half-step correction D = (V'-V)/2 with (2C/dt) D = f(V + D) */
  double k = method == RT_CABLE_BE ? 1.0 : 2.0;
  if (!solve_delta(c, V, g, im, iinj, k / dt)) return false;
  const double *restrict b = c->rhs;
  for (int32_t i = 0; i < c->n; i++) V[i] += k * b[i];
  return true;
}

/* ---- many cells on one tree: lanes ------------------------------------------------------ */

/* Row i of the elimination for all lanes: finish the row (its own
 * capacitance, membrane and axial terms; the children have already added
 * theirs), then fold it into the parent's row.  The row keeps the
 * reciprocal of its pivot, so that back substitution multiplies (one
 * division per node and step instead of two).  One function with restrict
 * rows so that the lane loop vectorises (rows i and p never overlap). */
static inline void lanes_eliminate(int32_t L, double cc, double a, double G,
                                   const double *restrict Vi, const double *restrict Vp,
                                   const double *restrict gi, const double *restrict imi,
                                   double *restrict di, double *restrict bi,
                                   double *restrict dp, double *restrict bp) {
  for (int32_t l = 0; l < L; l++) {
    double flux = G * (Vp[l] - Vi[l]); /* axial current into i */
    double dd = di[l] + cc + a * gi[l] + G;
    double bb = bi[l] - a * imi[l] + flux;
    double inv = 1.0 / dd, f = G * inv;
    di[l] = inv;
    bi[l] = bb;
    dp[l] += G - f * G;
    bp[l] += f * bb - flux;
  }
}

/* Back substitution of row i for all lanes (inv: the reciprocal pivots),
 * with the voltage update; acc[l] becomes NaN as soon as a V of lane l is
 * not finite (one accumulator per lane: no reduction in the loop, so it
 * vectorises without reassociating). */
static inline void lanes_substitute(int32_t L, double G, double k, const double *restrict inv,
                                    const double *restrict xp, double *restrict xi,
                                    double *restrict Vi, double *restrict acc) {
  for (int32_t l = 0; l < L; l++) {
    double x = (xi[l] + G * xp[l]) * inv[l];
    xi[l] = x;
    Vi[l] += k * x;
    acc[l] += Vi[l] * 0.0;
  }
}

/* The step for L lanes; inlined into a copy for L = RT_CABLE_LANES_FAST,
 * whose loops have a constant trip count and vectorise. */
static inline __attribute__((always_inline)) bool
step_lanes(const RtCable *c, int32_t L, double *V, const double *g, const double *im, int32_t ninj,
           const int32_t *inj_node, const double *inj_amp, double dt, int method, double *diag,
           double *rhs) {
  double k = method == RT_CABLE_BE ? 1.0 : 2.0, cdt = k / dt;
  int32_t n = c->n;
  size_t row = (size_t)L;
  const int32_t *par = c->parent;
  const double *ga = c->g_axial, *A = c->area, *C = c->cap;
  memset(diag, 0, (size_t)n * row * sizeof *diag);
  memset(rhs, 0, (size_t)n * row * sizeof *rhs);
  for (int32_t s = 0; s < ninj; s++) {
    if (inj_node[s] < 0 || inj_node[s] >= n) continue;
    double *b = rhs + (size_t)inj_node[s] * row;
    for (int32_t l = 0; l < L; l++) b[l] += inj_amp[(size_t)s * (size_t)L + (size_t)l];
  }
  /* one pass from the leaves to the root assembles and eliminates */
  for (int32_t i = n - 1; i >= 1; i--) {
    size_t oi = (size_t)i * row, op = (size_t)par[i] * row;
    lanes_eliminate(L, cdt * C[i], A[i], ga[i], V + oi, V + op, g + oi, im + oi, diag + oi, rhs + oi,
                    diag + op, rhs + op);
  }
  /* the root; its pivot row is then free and holds the lanes' NaN checks */
  double *acc = diag;
  for (int32_t l = 0; l < L; l++) {
    double dd = diag[l] + cdt * C[0] + A[0] * g[l];
    if (!(dd != 0) || !isfinite(dd)) return false;
    double x = (rhs[l] - A[0] * im[l]) / dd;
    rhs[l] = x;
    V[l] += k * x;
    acc[l] = V[l] * 0.0;
  }
  for (int32_t i = 1; i < n; i++) {
    size_t oi = (size_t)i * row;
    lanes_substitute(L, ga[i], k, diag + oi, rhs + (size_t)par[i] * row, rhs + oi, V + oi, acc);
  }
  double sum = 0;
  for (int32_t l = 0; l < L; l++) sum += acc[l];
  return sum == 0;
}

/* x86-64 with GCC or clang: also compiled for AVX2 and AVX-512 hosts,
 * chosen when the library loads (the runtime itself is built for the
 * baseline ISA): the lanes' loops then run 4 or 8 wide, which halves the
 * solve's time (bench/cable/README.md).  Not under AddressSanitizer, whose
 * start-up the loader's ifunc resolution can precede. */
#if defined(__SANITIZE_ADDRESS__)
#define RT_LANES_NO_CLONES
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_LANES_NO_CLONES
#endif
#endif
#if defined(__x86_64__) && defined(__has_attribute) && !defined(RT_LANES_NO_CLONES)
#if __has_attribute(target_clones)
#define RT_LANES_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
#endif
#ifndef RT_LANES_CLONES
#define RT_LANES_CLONES
#endif
#define RT_CABLE_LANES_FAST 16

RT_LANES_CLONES static bool step_lanes_fast(const RtCable *c, double *V, const double *g, const double *im,
                                            int32_t ninj, const int32_t *inj_node, const double *inj_amp,
                                            double dt, int method, double *diag, double *rhs) {
  return step_lanes(c, RT_CABLE_LANES_FAST, V, g, im, ninj, inj_node, inj_amp, dt, method, diag, rhs);
}

bool rt_cable_step_lanes(const RtCable *c, int32_t L, double *V, const double *g,
                         const double *im, int32_t ninj, const int32_t *inj_node,
                         const double *inj_amp, double dt, int method, double *diag,
                         double *rhs) {
  if (!c || L < 1 || !V || !g || !im || !diag || !rhs || !(isfinite(dt) && dt > 0)) return false;
  if (method != RT_CABLE_BE && method != RT_CABLE_CN) return false;
  if (L == RT_CABLE_LANES_FAST)
    return step_lanes_fast(c, V, g, im, ninj, inj_node, inj_amp, dt, method, diag, rhs);
  return step_lanes(c, L, V, g, im, ninj, inj_node, inj_amp, dt, method, diag, rhs);
}

bool rt_cable_steady(RtCable *c, double *V, const double *g, const double *im,
                     const double *iinj) {
  if (!c || !V) return false;
  if (!solve_delta(c, V, g, im, iinj, 0.0)) return false;
  for (int32_t i = 0; i < c->n; i++) V[i] += c->rhs[i];
  return true;
}

void rt_cable_passive(const RtCable *c, double gm, double E, const double *V, double *g,
                      double *im) {
  for (int32_t i = 0; i < c->n; i++) {
    g[i] = gm;
    im[i] = gm * (V[i] - E);
  }
}

double rt_cable_lambda_f(double diam, double Ra, double Cm, double f) {
  return 0.5 * sqrt(diam / (M_PI * f * Ra * Cm));
}

int32_t rt_cable_nseg_d_lambda(double L, double diam, double Ra, double Cm, double d_lambda) {
  if (!pos_finite(L) || !pos_finite(diam) || !pos_finite(Ra) || !pos_finite(Cm) ||
      !pos_finite(d_lambda))
    return -1;
  double lam = rt_cable_lambda_f(diam, Ra, Cm, 100.0);
  double q = floor((L / (d_lambda * lam) + 0.9) / 2);
  if (!(q < (INT32_MAX - 1) / 2)) return -1;
  return (int32_t)q * 2 + 1;
}

bool rt_cable_d_lambda(RtCableSection *secs, int32_t nsec, double Ra, double Cm,
                       double d_lambda, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!secs || nsec < 1) {
    rt_msg(err, errlen, "no sections");
    return false;
  }
  if (!pos_finite(Ra) || !pos_finite(Cm) || !pos_finite(d_lambda)) {
    rt_msg(err, errlen, "d_lambda rule: Ra (%g ohm*m), Cm (%g F/m^2) and d_lambda (%g) must be "
           "positive and finite", Ra, Cm, d_lambda);
    return false;
  }
  for (int32_t s = 0; s < nsec; s++) {
    if (secs[s].shape == RT_CABLE_SPHERE) continue;
    double dmean = secs[s].diam1 > 0 ? 0.5 * (secs[s].diam + secs[s].diam1) : secs[s].diam;
    int32_t nseg = rt_cable_nseg_d_lambda(secs[s].length, dmean, Ra, Cm, d_lambda);
    if (nseg < 1) {
      char nm[160];
      rt_msg(err, errlen, "%s: d_lambda rule needs a positive finite length and diameter "
             "(got %g m, %g m) and a segment count that fits",
             secname(secs, s, nm, sizeof nm), secs[s].length, dmean);
      return false;
    }
    secs[s].nseg = nseg;
  }
  return true;
}
