/* tests/unit/test_events.c — the runtime core of spiking networks
 * (runtime/rt_events.c, docs/events.md):
 *   - Tsodyks–Markram releases against tests/data/tsodyks_markram.csv (a
 *     copy of the shared validation/tsodyks_markram.csv: exact event-driven
 *     numpy solution, cross-checked with Brian2) to 1e-9 absolute;
 *   - connectivity builders: exact counts, autapse and multapse switches,
 *     fixed probability within 4 standard deviations, seeds, memory;
 *   - ring buffers: delivery exactly `delay` steps later with the summed
 *     weights (bit-exact against a direct sum in the documented order),
 *     delay 0 rejected with a message, wrap-around over many steps.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_events.h"
#include "rt_internal.h"

#ifndef MSN_ABS_SRCDIR
#define MSN_ABS_SRCDIR "."
#endif

static int verbose = 1;

/* ---- Tsodyks–Markram ---------------------------------------------------- */

enum { TM_N = 11 };
typedef struct TmRef {
  double t_ms[TM_N], dep[TM_N], fac[TM_N];
  int n;
} TmRef;

/* columns: spike_index,t_ms,depressing_u_before,depressing_R_before,
 * depressing_u_used,depressing_release_uR_numpy,...,facilitating_release_uR_numpy (10) */
static int read_tm_ref(TmRef *ref) {
  const char *path = MSN_ABS_SRCDIR "/tests/data/tsodyks_markram.csv";
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  char line[2048];
  ref->n = 0;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return -1;
  }
  while (ref->n < TM_N && fgets(line, sizeof line, f)) {
    double v[12];
    int nv = 0;
    char *p = line;
    while (nv < 12) {
      char *end;
      v[nv++] = strtod(p, &end);
      if (*end != ',') break;
      p = end + 1;
    }
    if (nv != 12) break;
    ref->t_ms[ref->n] = v[1];
    ref->dep[ref->n] = v[5];
    ref->fac[ref->n] = v[10];
    ref->n++;
  }
  fclose(f);
  return ref->n == TM_N ? 0 : -1;
}

static double tm_max_err(const TmRef *ref, RtTmParams p, const double *want) {
  double u = 0, R = 1, tl = NAN, worst = 0;
  for (int q = 0; q < ref->n; q++) {
    double rel = rt_tm_spike(&p, &u, &R, &tl, ref->t_ms[q] * 1e-3);
    worst = fmax(worst, fabs(rel - want[q]));
  }
  return worst;
}

static const RtTmParams TM_DEP = {0.5, 0.800, 0.0}, TM_FAC = {0.15, 0.130, 0.530};

static void test_tm_reference(void) {
  TmRef ref;
  CU_ASSERT_FATAL(read_tm_ref(&ref) == 0);
  double e_dep = tm_max_err(&ref, TM_DEP, ref.dep);
  double e_fac = tm_max_err(&ref, TM_FAC, ref.fac);
  if (verbose)
    printf("\n  Tsodyks-Markram max |release - reference|: depressing %.3g, facilitating %.3g\n",
           e_dep, e_fac);
  CU_ASSERT(e_dep <= 1e-9);
  CU_ASSERT(e_fac <= 1e-9);
  /* the first release is U; a spike after a very long pause again U */
  double u = 0, R = 1, tl = NAN;
  CU_ASSERT_DOUBLE_EQUAL(rt_tm_spike(&TM_FAC, &u, &R, &tl, 0.1), 0.15, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(rt_tm_spike(&TM_FAC, &u, &R, &tl, 1e4), 0.15, 1e-15);
}

/* The same train through a projection with plasticity and the ring
 * buffer: the input arriving `delay` steps after each spike is w u R. */
static void test_tm_through_ring(void) {
  TmRef ref;
  CU_ASSERT_FATAL(read_tm_ref(&ref) == 0);
  const double dt = 1e-4, w = 2.5;
  const uint32_t src[2] = {0, 1}, tgt[2] = {0, 1}, delay[2] = {3, 7};
  const double wts[2] = {w, w};
  char err[256];
  RtConn c;
  CU_ASSERT_FATAL(rt_conn_from_edges(&c, 2, 2, 2, src, tgt, wts, delay, 0, err, sizeof err) == 0);
  RtStp sd, sf;
  RtRing rd, rf;
  CU_ASSERT_FATAL(rt_stp_init(&sd, &c, TM_DEP, err, sizeof err) == 0);
  CU_ASSERT_FATAL(rt_stp_init(&sf, &c, TM_FAC, err, sizeof err) == 0);
  CU_ASSERT_FATAL(rt_ring_init(&rd, 2, c.delay_max, err, sizeof err) == 0);
  CU_ASSERT_FATAL(rt_ring_init(&rf, 2, c.delay_max, err, sizeof err) == 0);
  int64_t nsteps = (int64_t)llround(1.1 / dt);
  int next = 0, got_d[2] = {0, 0};
  double worst = 0, in_d[2], in_f[2];
  for (int64_t s = 0; s < nsteps; s++) {
    rt_take(&rd, s, in_d);
    rt_take(&rf, s, in_f);
    for (int i = 0; i < 2; i++) {
      if (in_d[i] != 0) {
        /* spike q arrives delay[i] steps after its step */
        int q = got_d[i]++;
        CU_ASSERT(q < ref.n && s == llround(ref.t_ms[q] * 1e-3 / dt) + delay[i]);
        if (q < ref.n) {
          worst = fmax(worst, fabs(in_d[i] - w * ref.dep[q]));
          worst = fmax(worst, fabs(in_f[i] - w * ref.fac[q]));
        }
      } else {
        CU_ASSERT(in_f[i] == 0);
      }
    }
    if (next < ref.n && s == llround(ref.t_ms[next] * 1e-3 / dt)) {
      double t2[2] = {ref.t_ms[next] * 1e-3, ref.t_ms[next] * 1e-3};
      CU_ASSERT(rt_deliver_stp(&rd, &c, &sd, s, src, t2, 2) == 0);
      CU_ASSERT(rt_deliver_stp(&rf, &c, &sf, s, src, t2, 2) == 0);
      next++;
    }
  }
  CU_ASSERT(got_d[0] == ref.n && got_d[1] == ref.n);
  CU_ASSERT(worst <= 2.5e-9);
  /* spikes out of time order are refused */
  double early = 0.5;
  CU_ASSERT(rt_deliver_stp(&rd, &c, &sd, nsteps, src, &early, 1) == -1);
  CU_ASSERT(strstr(rd.err, "precedes") != NULL);
  rt_ring_free(&rd);
  rt_ring_free(&rf);
  rt_stp_free(&sd);
  rt_stp_free(&sf);
  rt_conn_free(&c);
}

/* ---- connectivity ------------------------------------------------------- */

static RtConnSpec spec(RtConnRule rule, uint32_t ns, uint32_t nt) {
  RtConnSpec s;
  memset(&s, 0, sizeof s);
  s.rule = rule;
  s.n_src = ns;
  s.n_tgt = nt;
  s.autapses = 1;
  s.multapses = 0;
  s.seed = 12345;
  s.weight = 0.5;
  s.delay_lo = s.delay_hi = 1;
  return s;
}

/* Structural invariants: offsets monotone, targets in range, rows sorted;
 * counts autapses (i -> i) and repeated pairs. */
static void check_csr(const RtConn *c, uint64_t *autapses, uint64_t *multapses) {
  *autapses = *multapses = 0;
  CU_ASSERT(c->row[0] == 0 && c->row[c->n_src] == c->n_syn);
  for (uint32_t i = 0; i < c->n_src; i++) {
    CU_ASSERT(c->row[i] <= c->row[i + 1]);
    for (uint64_t k = c->row[i]; k < c->row[i + 1]; k++) {
      CU_ASSERT(c->tgt[k] < c->n_tgt);
      if (c->tgt[k] == i) (*autapses)++;
      if (k > c->row[i]) {
        CU_ASSERT(c->tgt[k - 1] <= c->tgt[k]);
        if (c->tgt[k - 1] == c->tgt[k]) (*multapses)++;
      }
    }
  }
}

static void in_degrees(const RtConn *c, uint32_t *deg) {
  memset(deg, 0, c->n_tgt * sizeof *deg);
  for (uint64_t k = 0; k < c->n_syn; k++) deg[c->tgt[k]]++;
}

static void test_all_to_all_one_to_one(void) {
  char err[256];
  RtConn c;
  uint64_t a, m;
  RtConnSpec s = spec(RT_CONN_ALL_TO_ALL, 50, 50);
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 2500);
  check_csr(&c, &a, &m);
  CU_ASSERT(a == 50 && m == 0);
  rt_conn_free(&c);
  s.autapses = 0;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 2450);
  check_csr(&c, &a, &m);
  CU_ASSERT(a == 0 && m == 0);
  rt_conn_free(&c);
  s = spec(RT_CONN_ALL_TO_ALL, 30, 70); /* rectangular: j == i excluded for i < 70 */
  s.autapses = 0;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 30 * 70 - 30);
  rt_conn_free(&c);

  s = spec(RT_CONN_ONE_TO_ONE, 40, 40);
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 40);
  for (uint32_t i = 0; i < 40; i++)
    CU_ASSERT(c.row[i] == i && c.tgt[i] == i && c.w[i] == 0.5 && rt_conn_delay(&c, i) == 1);
  rt_conn_free(&c);
  s.autapses = 0;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "one-to-one") != NULL);
  s = spec(RT_CONN_ONE_TO_ONE, 40, 41);
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
}

/* fixed in- and out-degree, all four autapse/multapse combinations, both
 * sampling paths (k small: rejection; k large: selection sampling) */
static void test_fixed_degree(void) {
  char err[256];
  const uint32_t NS = 200, NT = 150;
  uint32_t *deg = malloc(NS * sizeof *deg);
  const uint32_t ks[] = {20, 150, 199};
  for (int in = 0; in <= 1; in++)
    for (int aut = 0; aut <= 1; aut++)
      for (int mul = 0; mul <= 1; mul++)
        for (int q = 0; q < 3; q++) {
          uint32_t k = ks[q];
          RtConnSpec s = spec(in ? RT_CONN_FIXED_INDEGREE : RT_CONN_FIXED_OUTDEGREE,
                              in ? NS : NT, in ? NT : NS);
          s.autapses = aut;
          s.multapses = mul;
          s.k = k;
          RtConn c;
          CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
          uint64_t a, m;
          check_csr(&c, &a, &m);
          if (!aut) CU_ASSERT(a == 0);
          if (!mul) CU_ASSERT(m == 0);
          if (mul && k >= 150) CU_ASSERT(m > 0); /* repeats do occur */
          CU_ASSERT(c.n_syn == (uint64_t)k * 150); /* 150 targets (in) or sources (out) */
          if (in) {
            in_degrees(&c, deg);
            for (uint32_t j = 0; j < c.n_tgt; j++) CU_ASSERT(deg[j] == k);
          } else {
            for (uint32_t i = 0; i < c.n_src; i++) CU_ASSERT(c.row[i + 1] - c.row[i] == k);
          }
          rt_conn_free(&c);
        }
  /* without multapses and autapses the pool is one short */
  RtConnSpec s = spec(RT_CONN_FIXED_INDEGREE, 100, 100);
  s.autapses = 0;
  s.k = 99;
  RtConn c;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == 0);
  in_degrees(&c, deg);
  for (uint32_t j = 0; j < 100; j++) CU_ASSERT(deg[j] == 99);
  rt_conn_free(&c);
  s.k = 100;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "in-degree 100") != NULL);
  s.multapses = 1; /* then any k */
  s.k = 300;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 30000);
  rt_conn_free(&c);
  free(deg);
}

static void test_fixed_probability(void) {
  char err[256];
  const uint32_t N = 3000;
  const double p = 0.05;
  for (int aut = 1; aut >= 0; aut--) {
    RtConnSpec s = spec(RT_CONN_FIXED_PROB, N, N);
    s.p = p;
    s.autapses = aut;
    double pairs = aut ? (double)N * N : (double)N * (N - 1);
    double mean = pairs * p, sd = sqrt(pairs * p * (1 - p));
    double worst = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
      s.seed = seed;
      RtConn c;
      CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
      uint64_t a, m;
      check_csr(&c, &a, &m);
      CU_ASSERT(m == 0);
      if (!aut) CU_ASSERT(a == 0);
      double z = ((double)c.n_syn - mean) / sd;
      worst = fmax(worst, fabs(z));
      CU_ASSERT(fabs(z) < 4);
      rt_conn_free(&c);
    }
    if (verbose)
      printf("  fixed probability N=%u p=%g autapses=%d: largest |count - mean| = %.2f sd\n", N,
             p, aut, worst);
  }
  /* p = 0 and p = 1 */
  RtConnSpec s = spec(RT_CONN_FIXED_PROB, 20, 30);
  RtConn c;
  s.p = 0;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == 0 && c.n_syn == 0);
  rt_conn_free(&c);
  s.p = 1;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == 0 && c.n_syn == 600);
  rt_conn_free(&c);
  s.p = 1.5;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
  s.p = NAN;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
}

static int conn_equal(const RtConn *a, const RtConn *b) {
  if (a->n_src != b->n_src || a->n_syn != b->n_syn || a->delay_width != b->delay_width)
    return 0;
  for (uint32_t i = 0; i <= a->n_src; i++)
    if (a->row[i] != b->row[i]) return 0;
  for (uint64_t k = 0; k < a->n_syn; k++)
    if (a->tgt[k] != b->tgt[k] || rt_conn_delay(a, k) != rt_conn_delay(b, k)) return 0;
  return 1;
}

/* Same seed: identical; another seed: different; a source's row does not
 * depend on how many rows are built (so not on order or partition). */
static void test_seeds(void) {
  char err[256];
  const RtConnRule rules[] = {RT_CONN_FIXED_PROB, RT_CONN_FIXED_INDEGREE,
                              RT_CONN_FIXED_OUTDEGREE};
  for (int r = 0; r < 3; r++) {
    RtConnSpec s = spec(rules[r], 400, 300);
    s.p = 0.1;
    s.k = 25;
    s.autapses = 0;
    s.delay_lo = 1;
    s.delay_hi = 40;
    RtConn a, b, c;
    CU_ASSERT_FATAL(rt_conn_build(&a, &s, err, sizeof err) == 0);
    CU_ASSERT_FATAL(rt_conn_build(&b, &s, err, sizeof err) == 0);
    CU_ASSERT(conn_equal(&a, &b));
    s.seed++;
    CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
    CU_ASSERT(!conn_equal(&a, &c));
    rt_conn_free(&b);
    rt_conn_free(&c);
    if (rules[r] != RT_CONN_FIXED_INDEGREE) {
      s.seed--;
      s.n_src = 150; /* rows 0..149 as in the larger build */
      CU_ASSERT_FATAL(rt_conn_build(&b, &s, err, sizeof err) == 0);
      int same = 1;
      for (uint32_t i = 0; i < 150; i++) {
        if (a.row[i + 1] - a.row[i] != b.row[i + 1] - b.row[i]) {
          same = 0;
          break;
        }
        for (uint64_t q = 0; q < a.row[i + 1] - a.row[i]; q++)
          if (a.tgt[a.row[i] + q] != b.tgt[b.row[i] + q] ||
              rt_conn_delay(&a, a.row[i] + q) != rt_conn_delay(&b, b.row[i] + q))
            same = 0;
      }
      CU_ASSERT(same);
      rt_conn_free(&b);
    }
    rt_conn_free(&a);
  }
}

static void test_delays_and_memory(void) {
  char err[256];
  RtConn c;
  RtConnSpec s = spec(RT_CONN_ALL_TO_ALL, 100, 100);
  const size_t rows = sizeof(RtConn) + 101 * sizeof(uint64_t);
  struct { uint32_t lo, hi; int f32; RtDelayWidth wd; size_t syn; } cases[] = {
      {2, 2, 0, RT_DELAY_UNIFORM, 12}, {1, 20, 0, RT_DELAY_U8, 13},
      {1, 255, 0, RT_DELAY_U8, 13},    {10, 300, 0, RT_DELAY_U16, 14},
      {1, 20, 1, RT_DELAY_U8, 9},      {3, 3, 1, RT_DELAY_UNIFORM, 8},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    s.delay_lo = cases[q].lo;
    s.delay_hi = cases[q].hi;
    s.weight_f32 = cases[q].f32;
    CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
    CU_ASSERT(c.delay_width == cases[q].wd);
    CU_ASSERT(rt_conn_syn_bytes(&c) == cases[q].syn);
    CU_ASSERT(rt_conn_bytes(&c) == rows + 10000 * cases[q].syn);
    CU_ASSERT(rt_conn_array_bytes(&c) == 101 * sizeof(uint64_t) + 10000 * cases[q].syn);
    /* the drawn delays cover their range and no more */
    uint32_t dmin = UINT32_MAX, dmax = 0;
    for (uint64_t k = 0; k < c.n_syn; k++) {
      uint32_t d = rt_conn_delay(&c, k);
      dmin = d < dmin ? d : dmin;
      dmax = d > dmax ? d : dmax;
    }
    CU_ASSERT(dmin == cases[q].lo && dmax == cases[q].hi);
    CU_ASSERT(c.delay_min == dmin && c.delay_max == dmax);
    CU_ASSERT(rt_conn_weight(&c, 17) == 0.5);
    if (verbose && q < 5)
      printf("  bytes/synapse (%s weights, %s delays): %zu own, %.3f with row offsets\n",
             cases[q].f32 ? "f32" : "f64",
             cases[q].wd == RT_DELAY_UNIFORM ? "uniform" : cases[q].wd == RT_DELAY_U8 ? "u8" : "u16",
             rt_conn_syn_bytes(&c), (double)rt_conn_bytes(&c) / (double)c.n_syn);
    rt_conn_free(&c);
  }
  s.delay_lo = 0;
  s.delay_hi = 3;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "shorter than one time step") != NULL);
  s.delay_lo = 1;
  s.delay_hi = RT_DELAY_MAX + 1;
  CU_ASSERT(rt_conn_build(&c, &s, err, sizeof err) == -1);

  /* delays in seconds to steps */
  const double dly[3] = {1e-3, 1.01e-3, 0.01e-3};
  uint32_t st[3];
  double rel = -1;
  CU_ASSERT(rt_delays_to_steps(2, dly, 0.025e-3, st, &rel, err, sizeof err) == 0);
  CU_ASSERT(st[0] == 40 && st[1] == 40);
  CU_ASSERT(fabs(rel - 0.01 / 1.01) < 1e-9);
  CU_ASSERT(rt_delays_to_steps(3, dly, 0.025e-3, st, &rel, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "synapse 2") && strstr(err, "shorter than the time step"));
  if (verbose) printf("  message: %s\n", err);
}

static void test_edge_list(void) {
  char err[256];
  RtConn c;
  /* unsorted, with a repeated pair whose input order must be kept */
  const uint32_t src[6] = {2, 0, 2, 1, 0, 2}, tgt[6] = {1, 3, 0, 2, 3, 1};
  const double w[6] = {1, 2, 3, 4, 5, 6};
  const uint32_t d[6] = {1, 2, 3, 1, 2, 300};
  CU_ASSERT_FATAL(rt_conn_from_edges(&c, 3, 4, 6, src, tgt, w, d, 0, err, sizeof err) == 0);
  const uint64_t row[4] = {0, 2, 3, 6};
  const uint32_t t_want[6] = {3, 3, 2, 0, 1, 1};
  const double w_want[6] = {2, 5, 4, 3, 1, 6};
  const uint32_t d_want[6] = {2, 2, 1, 3, 1, 300};
  CU_ASSERT(memcmp(c.row, row, sizeof row) == 0);
  for (int k = 0; k < 6; k++)
    CU_ASSERT(c.tgt[k] == t_want[k] && c.w[k] == w_want[k] && rt_conn_delay(&c, k) == d_want[k]);
  CU_ASSERT(c.delay_width == RT_DELAY_U16 && c.delay_min == 1 && c.delay_max == 300);
  rt_conn_free(&c);
  /* delay 0 is refused, naming the synapse */
  const uint32_t d0[6] = {1, 2, 0, 1, 2, 3};
  CU_ASSERT(rt_conn_from_edges(&c, 3, 4, 6, src, tgt, w, d0, 0, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "synapse 2 (source 2 -> target 0)") != NULL);
  CU_ASSERT(strstr(err, "shorter than one time step") != NULL);
  if (verbose) printf("\n  message: %s\n", err);
  /* an index out of range */
  const uint32_t bad[6] = {1, 3, 0, 2, 4, 1};
  CU_ASSERT(rt_conn_from_edges(&c, 3, 4, 6, src, bad, w, d, 0, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "synapse 4") != NULL);
  /* f32 weights, no delays given (1 step), empty list */
  CU_ASSERT_FATAL(rt_conn_from_edges(&c, 3, 4, 6, src, tgt, w, NULL, 1, err, sizeof err) == 0);
  CU_ASSERT(c.w == NULL && c.w32[5] == 6.0f && c.delay_width == RT_DELAY_UNIFORM &&
            rt_conn_delay(&c, 0) == 1 && rt_conn_syn_bytes(&c) == 8);
  rt_conn_free(&c);
  CU_ASSERT_FATAL(rt_conn_from_edges(&c, 3, 4, 0, src, tgt, w, d, 0, err, sizeof err) == 0);
  CU_ASSERT(c.n_syn == 0 && c.row[3] == 0);
  rt_conn_free(&c);
}

/* ---- ring buffers ---------------------------------------------------------- */

/* Hand-made network: every input checked against a hand-computed value. */
static void test_ring_small(void) {
  char err[256];
  /* 0 -> 1 (w 0.5, d 1), 0 -> 2 (w 0.25, d 3), 1 -> 2 (w 1, d 3),
   * 2 -> 1 (w -2, d 2), 2 -> 2 (w 4, d 1) */
  const uint32_t src[5] = {0, 0, 1, 2, 2}, tgt[5] = {1, 2, 2, 1, 2}, d[5] = {1, 3, 3, 2, 1};
  const double w[5] = {0.5, 0.25, 1, -2, 4};
  RtConn c;
  RtRing r;
  CU_ASSERT_FATAL(rt_conn_from_edges(&c, 3, 3, 5, src, tgt, w, d, 0, err, sizeof err) == 0);
  CU_ASSERT_FATAL(rt_ring_init(&r, 3, 3, err, sizeof err) == 0);
  /* spikes: step 0 {0, 1}, step 1 {2}, step 2 {0, 2} */
  const uint32_t s0[2] = {0, 1}, s1[1] = {2}, s2[2] = {0, 2};
  double want[8][3] = {{0}};
  want[1][1] += 0.5;   /* 0@0 -> 1, d1 */
  want[3][2] += 0.25;  /* 0@0 -> 2, d3 */
  want[3][2] += 1;     /* 1@0 -> 2, d3 */
  want[3][1] += -2;    /* 2@1 -> 1, d2 */
  want[2][2] += 4;     /* 2@1 -> 2, d1 */
  want[3][1] += 0.5;   /* 0@2 -> 1, d1 */
  want[5][2] += 0.25;  /* 0@2 -> 2, d3 */
  want[4][1] += -2;    /* 2@2 -> 1, d2 */
  want[3][2] += 4;     /* 2@2 -> 2, d1 */
  for (int64_t s = 0; s < 8; s++) {
    double in[3];
    rt_take(&r, s, in);
    for (int j = 0; j < 3; j++) CU_ASSERT(in[j] == want[s][j]);
    if (s == 0) CU_ASSERT(rt_deliver(&r, &c, s, s0, 2) == 0);
    if (s == 1) CU_ASSERT(rt_deliver(&r, &c, s, s1, 1) == 0);
    if (s == 2) CU_ASSERT(rt_deliver(&r, &c, s, s2, 2) == 0);
  }
  /* errors: bad source, too small a ring, max delay 0 */
  const uint32_t bad = 3;
  CU_ASSERT(rt_deliver(&r, &c, 9, &bad, 1) == -1);
  CU_ASSERT(strstr(r.err, "source 3") != NULL);
  rt_ring_free(&r);
  CU_ASSERT_FATAL(rt_ring_init(&r, 3, 2, err, sizeof err) == 0);
  CU_ASSERT(rt_deliver(&r, &c, 0, s0, 2) == -1);
  CU_ASSERT(strstr(r.err, "delays up to 3 steps") != NULL);
  rt_ring_free(&r);
  CU_ASSERT(rt_ring_init(&r, 3, 0, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "maximum delay 0") != NULL);
  rt_conn_free(&c);
}

/* Random spikes through random networks for many times the ring length:
 * the ring must give, bit for bit, the direct sum in the documented order
 * (step, then spike order, then row order) kept in a table indexed by
 * absolute step.  Both call orders (take before / after deliver). */
static void ring_vs_direct_mode(uint32_t lo, uint32_t hi, int f32, int take_first, int drain,
                                uint32_t spike_below, int narrow) {
  char err[256];
  const uint32_t N = 60;
  const int64_t NSTEPS = 2000;
  RtConnSpec s = spec(RT_CONN_FIXED_PROB, N, N);
  s.p = 0.2;
  s.delay_lo = lo;
  s.delay_hi = hi;
  s.weight_f32 = f32;
  s.narrow = narrow;
  s.seed = 99 + lo + hi;
  RtConn c;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  for (uint64_t k = 0; k < c.n_syn; k++) { /* varied weights */
    double wk = sin(0.37 * (double)k) * 3.1;
    if (f32) c.w32[k] = (float)wk;
    else c.w[k] = wk;
  }
  RtRing r;
  CU_ASSERT_FATAL(rt_ring_init(&r, N, c.delay_max, err, sizeof err) == 0);
  double *direct = calloc((size_t)(NSTEPS + hi + 1) * N, sizeof(double));
  uint32_t spikes[60];
  double in[60], x[60] = {0}, xd[60] = {0};
  int ok = 1;
  uint64_t delivered = 0, sparse = 0, dense = 0;
  for (int64_t st = 0; st < NSTEPS; st++) {
    if (take_first && drain) {
      /* rt_drain adds only the listed targets; the direct way adds every
       * slot entry (zeros included): the same sums bit for bit */
      uint32_t nl = r.nlist[st % r.nslots];
      if (nl == RT_RING_DENSE) dense++;
      else if (nl) sparse++;
      rt_drain(&r, st, x);
      for (uint32_t j = 0; j < N; j++) ok &= x[j] == (xd[j] += direct[st * N + j]);
    } else if (take_first) {
      rt_take(&r, st, in);
      for (uint32_t j = 0; j < N; j++) ok &= in[j] == direct[st * N + j];
    }
    size_t n = 0;
    for (uint32_t i = 0; i < N; i++) {
      uint32_t w[4];
      const uint32_t ctr[4] = {(uint32_t)st, i, 7, 7}, key[2] = {1, 2};
      rt_philox4x32_10(ctr, key, w);
      if (w[0] < spike_below) spikes[n++] = i;
    }
    for (size_t q = 0; q < n; q++)
      for (uint64_t k = c.row[spikes[q]]; k < c.row[spikes[q] + 1]; k++) {
        direct[(st + rt_conn_delay(&c, k)) * N + rt_conn_target(&c, k)] += rt_conn_weight(&c, k);
        delivered++;
      }
    CU_ASSERT(rt_deliver(&r, &c, st, spikes, n) == 0);
    if (!take_first) {
      rt_take(&r, st, in);
      for (uint32_t j = 0; j < N; j++) ok &= in[j] == direct[st * N + j];
    }
  }
  CU_ASSERT(ok);
  CU_ASSERT(delivered > 1000);
  if (drain && verbose)
    printf("  drain (delays %u-%u, %s): %llu sparse and %llu dense slots\n", lo, hi,
           spike_below < 0x08000000u ? "sparse activity" : "dense activity",
           (unsigned long long)sparse, (unsigned long long)dense);
  if (drain && spike_below < 0x08000000u) CU_ASSERT(sparse > 100); /* both paths are taken */
  if (drain && spike_below >= 0x20000000u) CU_ASSERT(dense > 100);
  free(direct);
  rt_ring_free(&r);
  rt_conn_free(&c);
}

static void ring_vs_direct(uint32_t lo, uint32_t hi, int f32, int take_first) {
  ring_vs_direct_mode(lo, hi, f32, take_first, 0, 0x20000000u, 0); /* p = 1/8 per step */
}

static void test_ring_wraparound(void) {
  for (int tf = 0; tf <= 1; tf++) {
    ring_vs_direct(1, 1, 0, tf);     /* uniform, ring of 2 slots */
    ring_vs_direct(5, 5, 0, tf);     /* uniform, max delay only */
    ring_vs_direct(1, 7, 0, tf);     /* u8 */
    ring_vs_direct(1, 7, 1, tf);     /* u8, f32 weights */
    ring_vs_direct(200, 300, 0, tf); /* u16, the ring wraps ~7 times */
  }
}

/* rt_drain against the direct sum, with sparse (p = 1/128 per step) and
 * dense (1/8) activity, so that both the listed and the full pass run. */
static void test_ring_drain(void) {
  const uint32_t rates[2] = {0x02000000u, 0x20000000u};
  for (int q = 0; q < 2; q++) {
    uint32_t below = rates[q];
    ring_vs_direct_mode(1, 1, 0, 1, 1, below, 0);
    ring_vs_direct_mode(1, 7, 0, 1, 1, below, 0);
    ring_vs_direct_mode(1, 7, 1, 1, 1, below, 0);
    ring_vs_direct_mode(200, 300, 0, 1, 1, below, 0);
    ring_vs_direct_mode(1, 1, 0, 1, 1, below, 1); /* 16-bit targets */
    ring_vs_direct_mode(1, 7, 0, 1, 1, below, 1);
  }
}

/* A projection whose synapses share one weight stores none: 4 bytes per
 * synapse with a uniform delay, and delivers that weight. */
static void test_shared_weight(void) {
  char err[256];
  RtConn c;
  RtConnSpec s = spec(RT_CONN_ALL_TO_ALL, 100, 100);
  s.weight_shared = 1;
  s.delay_lo = s.delay_hi = 2;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.w == NULL && c.w32 == NULL);
  CU_ASSERT(rt_conn_syn_bytes(&c) == 4);
  CU_ASSERT(rt_conn_bytes(&c) == sizeof(RtConn) + 101 * sizeof(uint64_t) + 10000 * 4);
  /* run.json's synapse_bytes: the CSR arrays, row offsets + 4-byte targets */
  CU_ASSERT(rt_conn_array_bytes(&c) == 101 * sizeof(uint64_t) + 10000 * sizeof(uint32_t));
  CU_ASSERT(rt_conn_weight(&c, 17) == 0.5);
  RtRing r;
  CU_ASSERT_FATAL(rt_ring_init(&r, 100, 2, err, sizeof err) == 0);
  uint32_t src[2] = {3, 40};
  double x[100] = {0};
  CU_ASSERT(rt_deliver(&r, &c, 0, src, 2) == 0);
  rt_drain(&r, 2, x);
  int ok = 1;
  for (uint32_t j = 0; j < 100; j++) ok &= x[j] == 1.0; /* 0.5 from each source */
  CU_ASSERT(ok);
  s.delay_hi = 9; /* u8 delays: 5 bytes */
  rt_conn_free(&c);
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(rt_conn_syn_bytes(&c) == 5);
  /* 16-bit targets: 2 bytes (+ 1 for u8 delays), the same synapses */
  uint32_t *t32 = malloc(c.n_syn * sizeof *t32);
  for (uint64_t k = 0; k < c.n_syn; k++) t32[k] = c.tgt[k];
  uint64_t n32 = c.n_syn;
  rt_conn_free(&c);
  s.narrow = 1;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.tgt == NULL && c.tgt16 != NULL && c.n_syn == n32);
  CU_ASSERT(rt_conn_syn_bytes(&c) == 3);
  CU_ASSERT(rt_conn_array_bytes(&c) == 101 * sizeof(uint64_t) + 10000 * 3);
  int same = 1;
  for (uint64_t k = 0; k < c.n_syn; k++) same &= rt_conn_target(&c, k) == t32[k];
  CU_ASSERT(same);
  free(t32);
  rt_conn_free(&c);
  s.delay_hi = 2;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(rt_conn_syn_bytes(&c) == 2);
  s.n_tgt = 70000; /* too many targets for 16 bits: stays 32-bit */
  rt_conn_free(&c);
  s.rule = RT_CONN_FIXED_PROB;
  s.p = 0.001;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT(c.tgt != NULL && c.tgt16 == NULL && rt_conn_syn_bytes(&c) == 4);
  rt_conn_free(&c);
  /* fixed in-degree writes the 16-bit targets directly: the same synapses */
  RtConnSpec si = spec(RT_CONN_FIXED_INDEGREE, 300, 200);
  si.k = 40;
  si.autapses = 0;
  RtConn wide;
  CU_ASSERT_FATAL(rt_conn_build(&wide, &si, err, sizeof err) == 0);
  si.narrow = 1;
  CU_ASSERT_FATAL(rt_conn_build(&c, &si, err, sizeof err) == 0);
  CU_ASSERT(c.tgt16 != NULL && c.n_syn == wide.n_syn && c.n_syn == 200 * 40);
  same = 1;
  for (uint64_t k = 0; k < c.n_syn; k++) same &= rt_conn_target(&c, k) == wide.tgt[k];
  for (uint32_t i = 0; i <= 300; i++) same &= c.row[i] == wide.row[i];
  CU_ASSERT(same);
  rt_conn_free(&wide);
  rt_ring_free(&r);
  rt_conn_free(&c);
}

/* The Poisson inversion table: each count's probability (T[n] - T[n-1]) /
 * 2^32 equals the Poisson pmf to 2^-32 (the last count also holds the
 * tail, below 2^-32), the mean is lam to 1e-8 relative, and the guided
 * search gives the least n with u < T[n] at every boundary and on a grid
 * of u. */
static void test_poisson_table(void) {
  const double lams[] = {0, 0.3, 2, 37.5, 800, 20000};
  for (size_t q = 0; q < sizeof lams / sizeof lams[0]; q++) {
    double lam = lams[q], worst = 0, mean = 0;
    RtPoissonTable t;
    CU_ASSERT_FATAL(rt_poisson_table_init(&t, lam) == 0);
    CU_ASSERT(t.T[t.len - 1] == (uint64_t)1 << 32);
    for (uint32_t n = 0; n < t.len; n++) {
      double pt = (double)(t.T[n] - (n ? t.T[n - 1] : 0)) * 0x1p-32;
      double pmf = lam > 0 ? exp(-lam + n * log(lam) - lgamma(n + 1.0)) : (n == 0);
      if (n + 1 < t.len && fabs(pt - pmf) > worst) worst = fabs(pt - pmf);
      mean += n * pt;
      if (t.T[n] > (n ? t.T[n - 1] : 0)) /* counts of zero width are never drawn */
        CU_ASSERT(rt_poisson_table_draw(&t, (uint32_t)(t.T[n] - 1)) == n);
      if (n + 1 < t.len) CU_ASSERT(rt_poisson_table_draw(&t, (uint32_t)t.T[n]) > n);
    }
    CU_ASSERT(worst <= 0x1p-32 * 1.0001);
    CU_ASSERT(lam == 0 ? mean == 0 : fabs(mean - lam) <= 1e-8 * lam);
    int ok = 1;
    for (uint64_t u = 0; u < ((uint64_t)1 << 32); u += 0x10001) {
      uint32_t n = 0;
      while (u >= t.T[n]) n++;
      ok &= rt_poisson_table_draw(&t, (uint32_t)u) == n;
    }
    CU_ASSERT(ok);
    if (verbose)
      printf("  Poisson table lam %g: %u entries, largest probability error %.3g (2^-32 = %.3g), mean %.12g\n",
             lam, t.len, worst, 0x1p-32, mean);
    free(t.T);
  }
}

/* rt_format_g17 prints exactly what "%.17g" prints: on a million random
 * doubles spread over [1e-5, 1e16) (both sides of the fast path's range),
 * on grid times k * dt / 1e-3 as spike times are, and on powers of ten and
 * their neighbours; rt_format_i64 likewise "%lld". */
static void test_format(void) {
  char a[64], b[64];
  long bad = 0, n = 0;
  for (uint32_t q = 0; q < 1000000; q++) {
    uint32_t w[4];
    const uint32_t ctr[4] = {q, 0, 0, 0xF0F0}, key[2] = {3, 4};
    rt_philox4x32_10(ctr, key, w);
    double u = (double)(((uint64_t)w[0] << 21) ^ w[1]) * 0x1p-53;
    double v = pow(10.0, -5 + 21 * u) * (1 + (double)w[2] * 0x1p-32);
    int la = rt_format_g17(v, a), lb = snprintf(b, sizeof b, "%.17g", v);
    bad += la != lb || strcmp(a, b) != 0;
    n++;
  }
  for (int64_t k = 0; k < 200000; k++) {
    double v = (double)k * 1e-4 / 1e-3, v2 = (double)k * 0.025e-3 / 1e-3 + 1e-9 * (double)(k % 7);
    rt_format_g17(v, a);
    snprintf(b, sizeof b, "%.17g", v);
    bad += strcmp(a, b) != 0;
    rt_format_g17(v2, a);
    snprintf(b, sizeof b, "%.17g", v2);
    bad += strcmp(a, b) != 0;
    n += 2;
  }
  for (int p = -6; p <= 16; p++) {
    double v = pow(10.0, p);
    double vs[3] = {nextafter(v, 0), v, nextafter(v, INFINITY)};
    for (int q = 0; q < 3; q++) {
      rt_format_g17(vs[q], a);
      snprintf(b, sizeof b, "%.17g", vs[q]);
      bad += strcmp(a, b) != 0;
      n++;
    }
  }
  if (verbose) printf("  %ld of %ld numbers differ from %%.17g\n", bad, n);
  CU_ASSERT(bad == 0);
  /* "%.*g" with fewer digits (the trace uses 10), negative values too */
  long bad2 = 0;
  for (uint32_t q = 0; q < 300000; q++) {
    uint32_t w[4];
    const uint32_t ctr[4] = {q, 1, 0, 0xF0F1}, key[2] = {3, 4};
    rt_philox4x32_10(ctr, key, w);
    double u = (double)(((uint64_t)w[0] << 21) ^ w[1]) * 0x1p-53;
    double v = pow(10.0, -6 + 24 * u) * (1 + (double)w[2] * 0x1p-32) * (w[3] & 1 ? -1 : 1);
    if (w[3] % 50 == 0) v = round(v); /* whole numbers: trailing zeros */
    int digits = 1 + (int)(w[3] >> 8) % 17;
    rt_format_g(v, digits, a);
    snprintf(b, sizeof b, "%.*g", digits, v);
    bad2 += strcmp(a, b) != 0;
  }
  if (verbose) printf("  %ld of 300000 numbers differ from %%.*g\n", bad2);
  CU_ASSERT(bad2 == 0);
  const int64_t ints[] = {0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN};
  for (size_t q = 0; q < sizeof ints / sizeof ints[0]; q++) {
    rt_format_i64(ints[q], a);
    snprintf(b, sizeof b, "%lld", (long long)ints[q]);
    CU_ASSERT_STRING_EQUAL(a, b);
  }
}

/* The vectorised batch gives rt_philox4x32_10's words lane by lane, also
 * when the first counter word wraps around. */
static void test_philox_batch(void) {
  const uint32_t key[2] = {0xDEADBEEFu, 0x12345678u};
  const uint32_t starts[3] = {0, 12345, 0xFFFFFFFCu};
  int ok = 1;
  for (int s0 = 0; s0 < 3; s0++) {
    uint32_t o[4][RT_PHILOX_LANES];
    rt_philox4x32_10_batch(starts[s0], 7, 8, 9, key, o);
    for (int q = 0; q < RT_PHILOX_LANES; q++) {
      const uint32_t ctr[4] = {starts[s0] + (uint32_t)q, 7, 8, 9};
      uint32_t w[4];
      rt_philox4x32_10(ctr, key, w);
      for (int j = 0; j < 4; j++) ok &= o[j][q] == w[j];
    }
  }
  CU_ASSERT(ok);
}

/* rt_above (the reset pass's scan) finds exactly the indices at or above
 * the threshold, for ranges that do and do not start or end on blocks of
 * 8, with sparse and dense crossings and NaN (never above); so does
 * rt_above_limit, told their number or more. */
static void test_above(void) {
  double x[203];
  int64_t got[203], want[203];
  int ok = 1;
  for (int rep = 0; rep < 200; rep++) {
    for (int i = 0; i < 203; i++) {
      uint32_t w[4];
      const uint32_t ctr[4] = {(uint32_t)rep, (uint32_t)i, 5, 5}, key[2] = {9, 9};
      rt_philox4x32_10(ctr, key, w);
      x[i] = (w[0] % 1000 < (rep % 2 ? 5u : 400u)) ? 1.0 + w[1] % 3 : -1.0 * (w[1] % 5);
      if (w[2] % 97 == 0) x[i] = NAN;
      if (w[2] % 89 == 0) x[i] = 0.5; /* exactly the threshold */
    }
    int64_t b = rep % 11, e = 203 - rep % 13;
    size_t n = rt_above(x, b, e, 0.5, got), m = 0;
    for (int64_t i = b; i < e; i++)
      if (x[i] >= 0.5) want[m++] = i;
    ok &= n == m;
    for (size_t q = 0; q < n && q < m; q++) ok &= got[q] == want[q];
    /* told their number (or more), the scan that may stop early finds the
     * same */
    for (size_t extra = 0; extra < 3; extra += 2) {
      n = rt_above_limit(x, b, e, 0.5, got, m + extra);
      ok &= n == m;
      for (size_t q = 0; q < n && q < m; q++) ok &= got[q] == want[q];
    }
  }
  CU_ASSERT(ok);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-q") == 0) verbose = 0;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("events", NULL, NULL);
  if (!s || !CU_add_test(s, "Tsodyks-Markram vs reference", test_tm_reference) ||
      !CU_add_test(s, "Tsodyks-Markram through a ring", test_tm_through_ring) ||
      !CU_add_test(s, "all-to-all, one-to-one", test_all_to_all_one_to_one) ||
      !CU_add_test(s, "fixed in/out-degree", test_fixed_degree) ||
      !CU_add_test(s, "fixed probability", test_fixed_probability) ||
      !CU_add_test(s, "seeds and row independence", test_seeds) ||
      !CU_add_test(s, "delays and bytes per synapse", test_delays_and_memory) ||
      !CU_add_test(s, "edge list", test_edge_list) ||
      !CU_add_test(s, "ring: hand-made network", test_ring_small) ||
      !CU_add_test(s, "ring: wrap-around", test_ring_wraparound) ||
      !CU_add_test(s, "ring: drain, sparse and dense", test_ring_drain) ||
      !CU_add_test(s, "shared weight", test_shared_weight) ||
      !CU_add_test(s, "Poisson inversion table", test_poisson_table) ||
      !CU_add_test(s, "%.17g by hand", test_format) ||
      !CU_add_test(s, "Philox in batches", test_philox_batch) ||
      !CU_add_test(s, "scan for the threshold", test_above)) {
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
