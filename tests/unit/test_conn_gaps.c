/* tests/unit/test_conn_gaps.c — the geometric gaps of the fixed-probability
 * connection rule (rt_gap_block in runtime/rt_events.c, docs/events.md):
 *   - the code paths (generic, AVX2, AVX-512, those the CPU has) give
 *     bit-identical logs and gaps on 300,000 blocks (4.8 million uniforms),
 *     words from a fixed xorshift plus the extremes u = 1 and u = 2^-53;
 *   - the log is within 1 ulp of libm's log over those uniforms, and the
 *     gap is trunc(log(u) / log(1 - p)) of that log;
 *   - a fixed seed builds a fixed network: the synapse count and a hash
 *     of the targets are pinned (the same on every machine and path, and
 *     the same as libm's log per synapse gave);
 *   - narrow projections, built in 16 bits directly, equal the 32-bit
 *     build (fixed probability, fixed out-degree, all-to-all);
 *   - statistics: the synapse count of n x n at probability p is within
 *     5 standard deviations of n^2 p (p from 1e-4 to 0.5, 3 seeds each);
 *     the gaps between successive targets of a row follow the geometric
 *     law p (1 - p)^g by a chi-square test at the 0.1 % level (fixed seed).
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_events.h"

enum { NPATHS = 4 };
static const char *const path_name[NPATHS] = {"auto", "generic", "avx2", "avx512"};

static uint64_t xs_state = 0x9E3779B97F4A7C15ULL;
static uint32_t xorshift32(void) {
  uint64_t x = xs_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  xs_state = x;
  return (uint32_t)(x >> 32);
}

/* the uniform of words (hi, lo), as the runtime forms it */
static double uniform_of(uint32_t hi, uint32_t lo) {
  uint64_t a = ((uint64_t)hi << 32) | lo;
  return (double)((a >> 11) + 1) * 0x1p-53;
}

static double ulp_of(double r) {
  double a = fabs(r);
  return nextafter(a, INFINITY) - a;
}

static void test_paths_and_accuracy(void) {
  const double lq = log1p(-0.02);
  uint32_t w[2 * RT_GAP_BLOCK];
  double gap[NPATHS][RT_GAP_BLOCK], lg[NPATHS][RT_GAP_BLOCK];
  int have[NPATHS];
  long blocks = 300000, mismatches = 0, gap_wrong = 0;
  double worst_ulp = 0;
  for (int p = 0; p < NPATHS; p++) have[p] = 1;
  for (long it = 0; it < blocks; it++) {
    for (int q = 0; q < 2 * RT_GAP_BLOCK; q++) w[q] = xorshift32();
    if (it == 0) { /* u = 1 and u = 2^-53, the ends of the range */
      w[0] = w[1] = UINT32_MAX;
      w[2] = w[3] = 0;
    }
    if (it % 5 == 1) w[4] = 0; /* small uniforms: large negative exponents */
    for (int p = 0; p < NPATHS; p++)
      if (have[p] && rt_gap_block(p, w, lq, gap[p], lg[p]) != 0) {
        CU_ASSERT(p == RT_GAP_AVX2 || p == RT_GAP_AVX512); /* only these may be missing */
        have[p] = 0;
      }
    for (int p = 0; p < NPATHS; p++)
      if (have[p] && (memcmp(gap[p], gap[RT_GAP_GENERIC], sizeof gap[p]) ||
                      memcmp(lg[p], lg[RT_GAP_GENERIC], sizeof lg[p])))
        mismatches++;
    for (int q = 0; q < RT_GAP_BLOCK; q++) {
      double u = uniform_of(w[2 * q], w[2 * q + 1]);
      double ref = log(u), mine = lg[RT_GAP_GENERIC][q];
      double e = ref == 0 ? fabs(mine) / 0x1p-1074 : fabs(mine - ref) / ulp_of(ref);
      if (e > worst_ulp) worst_ulp = e;
      double g = mine / lq;
      double want = g < 0x1p52 ? trunc(g) : g;
      if (want != gap[RT_GAP_GENERIC][q]) gap_wrong++;
    }
  }
  printf("\n    paths:");
  for (int p = 0; p < NPATHS; p++) printf(" %s%s", path_name[p], have[p] ? "" : " (absent)");
  printf("; %ld blocks, %ld mismatches; log within %.3f ulp of libm\n", blocks, mismatches,
         worst_ulp);
  CU_ASSERT(have[RT_GAP_AUTO] && have[RT_GAP_GENERIC]);
  CU_ASSERT(mismatches == 0);
  CU_ASSERT(worst_ulp <= 1.0);
  CU_ASSERT(gap_wrong == 0);
  /* u = 1: log 0, gap 0; u = 2^-53: log -53 ln 2 to 1 ulp */
  rt_gap_block(RT_GAP_GENERIC, (const uint32_t[2 * RT_GAP_BLOCK]){UINT32_MAX, UINT32_MAX, 0, 0},
               lq, gap[0], lg[0]);
  CU_ASSERT(lg[0][0] == 0 && gap[0][0] == 0);
  CU_ASSERT(fabs(lg[0][1] - -53 * M_LN2) <= ulp_of(53 * M_LN2));
}

static RtConnSpec prob_spec(uint32_t n, double p, uint64_t seed) {
  RtConnSpec s;
  memset(&s, 0, sizeof s);
  s.rule = RT_CONN_FIXED_PROB;
  s.n_src = s.n_tgt = n;
  s.p = p;
  s.autapses = 1;
  s.seed = seed;
  s.weight = 1;
  s.delay_lo = s.delay_hi = 1;
  return s;
}

/* FNV-1a over the row offsets and targets */
static uint64_t conn_hash(const RtConn *c) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint32_t i = 0; i <= c->n_src; i++) h = (h ^ c->row[i]) * 0x100000001b3ULL;
  for (uint64_t k = 0; k < c->n_syn; k++) h = (h ^ c->tgt[k]) * 0x100000001b3ULL;
  return h;
}

static void test_pinned_network(void) {
  char err[256];
  RtConnSpec s = prob_spec(1000, 0.05, 42);
  RtConn c;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  uint64_t h = conn_hash(&c);
  printf("\n    1000 x 1000, p 0.05, seed 42: %llu synapses, hash %016llx\n",
         (unsigned long long)c.n_syn, (unsigned long long)h);
  /* the values libm's log per synapse gave before the block log: the
   * logs differ by at most 1 ulp, which moves a truncation only when the
   * quotient is within an ulp or so of an integer */
  CU_ASSERT(c.n_syn == 49791);
  CU_ASSERT(h == 0x48ac4218cb6b585eULL);
  rt_conn_free(&c);
}

static void test_count(void) {
  char err[256];
  const uint32_t n = 2000;
  const double ps[] = {1e-4, 0.003, 0.02, 0.1, 0.5};
  double worst = 0;
  for (size_t a = 0; a < sizeof ps / sizeof ps[0]; a++)
    for (uint64_t seed = 7; seed < 10; seed++) {
      RtConnSpec s = prob_spec(n, ps[a], seed);
      RtConn c;
      CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
      double pairs = (double)n * n, mean = pairs * ps[a], sd = sqrt(pairs * ps[a] * (1 - ps[a]));
      double z = fabs((double)c.n_syn - mean) / sd;
      if (z > worst) worst = z;
      CU_ASSERT(z < 5);
      for (uint32_t i = 0; i < n; i++) /* ascending, in range */
        for (uint64_t k = c.row[i]; k < c.row[i + 1]; k++)
          CU_ASSERT_FATAL(c.tgt[k] < n && (k == c.row[i] || c.tgt[k] > c.tgt[k - 1]));
      rt_conn_free(&c);
    }
  printf("\n    synapse counts: worst |n_syn - n^2 p| = %.2f sd (bound 5)\n", worst);
}

/* Narrow projections (n_tgt <= 65536) are built in 16 bits directly: the
 * same rows and targets as the 32-bit build, for the row-wise rules, with
 * and without autapses. */
static void test_narrow_same(void) {
  char err[256];
  const RtConnRule rules[] = {RT_CONN_FIXED_PROB, RT_CONN_FIXED_OUTDEGREE, RT_CONN_ALL_TO_ALL};
  int same = 1;
  for (size_t a = 0; a < 3; a++)
    for (int aut = 0; aut <= 1; aut++) {
      RtConnSpec s = prob_spec(3000, 0.03, 77);
      s.rule = rules[a];
      s.k = 90;
      s.n_tgt = rules[a] == RT_CONN_ALL_TO_ALL ? 300 : 3000;
      s.autapses = aut;
      RtConn wide, nar;
      CU_ASSERT_FATAL(rt_conn_build(&wide, &s, err, sizeof err) == 0);
      s.narrow = 1;
      CU_ASSERT_FATAL(rt_conn_build(&nar, &s, err, sizeof err) == 0);
      CU_ASSERT(wide.tgt != NULL && nar.tgt == NULL && nar.tgt16 != NULL);
      same &= wide.n_syn == nar.n_syn && wide.n_syn > 0;
      for (uint32_t i = 0; same && i <= s.n_src; i++) same &= wide.row[i] == nar.row[i];
      for (uint64_t k = 0; same && k < wide.n_syn; k++) same &= wide.tgt[k] == nar.tgt16[k];
      rt_conn_free(&wide);
      rt_conn_free(&nar);
    }
  CU_ASSERT(same);
}

/* The upper 0.1 % point of chi-square with df degrees of freedom
 * (Wilson-Hilferty: within 1 % of the exact point for df >= 30). */
static double chi2_crit_001(int df) {
  double h = 2.0 / (9.0 * df), z = 3.0902;
  return df * pow(1 - h + z * sqrt(h), 3);
}

static void test_gap_law(double p, uint32_t n, uint64_t seed) {
  char err[256];
  RtConnSpec s = prob_spec(n, p, seed);
  RtConn c;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  /* a gap g after position j0 (-1 for the first) is seen only when
   * j0 + 1 + g < n: counting only gaps that start before n - 1 - M with
   * (1 - p)^M < 1e-12 makes the censoring negligible */
  double M = ceil(log(1e-12) / log1p(-p));
  enum { BINS = 64 };
  long obs[BINS + 1] = {0}, total = 0;
  for (uint32_t i = 0; i < n; i++) {
    double j0 = -1;
    for (uint64_t k = c.row[i]; k < c.row[i + 1]; k++) {
      if (j0 >= n - 1 - M) break;
      double g = c.tgt[k] - j0 - 1;
      obs[g < BINS ? (int)g : BINS]++;
      total++;
      j0 = c.tgt[k];
    }
  }
  /* geometric bins 0 .. BINS-1 and the tail, merged from the back until
   * each expects at least 5 */
  double chi2 = 0, tail_e = 0;
  long tail_o = 0;
  int df = -1;
  for (int g = BINS; g >= 0; g--) {
    double e = g == BINS ? total * pow(1 - p, BINS) : total * p * pow(1 - p, g);
    tail_e += e;
    tail_o += obs[g];
    if (tail_e >= 5 || g == 0) {
      chi2 += (tail_o - tail_e) * (tail_o - tail_e) / tail_e;
      tail_e = 0;
      tail_o = 0;
      df++;
    }
  }
  double crit = chi2_crit_001(df);
  printf("\n    gaps at p %g: %ld gaps, chi-square %.1f on %d df (0.1 %% point %.1f)", p, total,
         chi2, df, crit);
  CU_ASSERT(df >= 30);
  CU_ASSERT(chi2 < crit);
  rt_conn_free(&c);
}

static void test_gaps_geometric(void) {
  test_gap_law(0.1, 3000, 11);
  test_gap_law(0.02, 20000, 12);
  test_gap_law(0.05, 8000, 13);
  printf("\n");
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("fixed-probability gaps", NULL, NULL);
  if (!s || !CU_add_test(s, "paths bit-identical, log within 1 ulp", test_paths_and_accuracy) ||
      !CU_add_test(s, "a seed pins the network", test_pinned_network) ||
      !CU_add_test(s, "synapse count within 5 sd", test_count) ||
      !CU_add_test(s, "16-bit build equals the 32-bit one", test_narrow_same) ||
      !CU_add_test(s, "gaps geometric (chi-square)", test_gaps_geometric)) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
