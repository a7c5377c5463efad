/* tests/unit/test_normal_block.c — the normal numbers of the noise in the
 * states of cells, a block at a time (rt_normal_words / rt_normal_block in
 * runtime/rt_rng.c):
 *   - the code paths (generic, AVX2, AVX-512, those the CPU has) give
 *     bit-identical normals, logs, cosines and sines on 200,000 blocks
 *     (3.2 million counters) of words from a fixed xorshift, plus the
 *     extremes u1 = 1, u1 = 2^-53 and the angles 0, 1/8, 1/4, ... turn;
 *   - accuracy against long double libm over those counters, in ulps of
 *     the double result: log(u1) within 1, cos and sin of 2 pi u2 (the
 *     reference reduced exactly in quarter turns, as no rounded 2 pi
 *     could) within 2, and the normals within 4;
 *   - a block is a pure function of (seed, step, block, term) and each of
 *     them changes it;
 *   - statistics over 2^20 normals (fixed seed, 2^15 instances x 32
 *     steps): mean, variance, 3rd and 4th moments within 5 standard errors
 *     of 0, 1, 0, 3; a chi-square test of 100 equiprobable bins of the
 *     normal CDF below 148.2 (the 0.1 % point of 99 degrees of freedom);
 *     correlations of neighbouring instances (both members of a pair and
 *     across pairs), of steps k and k + 1, and of terms 0 and 1 within
 *     5 standard errors (1 / sqrt(N)) of 0.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt_internal.h"

enum { B = RT_NORMAL_BLOCK, NPATHS = 4 };
static const char *const path_name[NPATHS] = {"auto", "generic", "avx2", "avx512"};

static uint64_t xs_state = 0x2545F4914F6CDD1DULL;
static uint32_t xorshift32(void) {
  uint64_t x = xs_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  xs_state = x;
  return (uint32_t)(x >> 32);
}

/* error of got against the long double reference, in ulps of the double
 * nearest the reference (the smallest subnormal's for 0) */
static double ulps(double got, long double ref) {
  double r = (double)ref, a = fabs(r);
  double u = a == 0 ? 0x1p-1074 : nextafter(a, INFINITY) - a;
  return (double)fabsl((long double)got - ref) / u;
}

static const long double PI_2L = 1.570796326794896619231321691639751442L;

/* cos and sin of 2 pi u2 for u2 = b 2^-53: 4 u2 = n + r exactly, then the
 * quarter turn n mod 4 */
static void ref_cos_sin(uint64_t b, long double *c, long double *s) {
  uint64_t n = (b + (1ULL << 50)) >> 51;
  long double r = (long double)((int64_t)b - (int64_t)(n << 51)) * 0x1p-51L;
  long double cr = cosl(PI_2L * r), sr = sinl(PI_2L * r);
  switch (n & 3) {
  case 0: *c = cr, *s = sr; break;
  case 1: *c = -sr, *s = cr; break;
  case 2: *c = -cr, *s = -sr; break;
  default: *c = sr, *s = -cr; break;
  }
}

static void test_paths_and_accuracy(void) {
  uint32_t w[4][B];
  double z[NPATHS][2 * B], lg[NPATHS][B], trig[NPATHS][2 * B];
  int have[NPATHS];
  long blocks = 200000, mismatches = 0;
  double worst_log = 0, worst_trig = 0, worst_z = 0;
  for (int p = 0; p < NPATHS; p++) have[p] = 1;
  for (long it = 0; it < blocks; it++) {
    for (int x = 0; x < 4; x++)
      for (int q = 0; q < B; q++) w[x][q] = xorshift32();
    if (it == 0) { /* u1 = 1 and u1 = 2^-53; angles q / 8 turn */
      w[0][0] = w[1][0] = UINT32_MAX;
      w[0][1] = w[1][1] = 0;
      for (int q = 0; q < B; q++) w[2][q] = (uint32_t)q << 28, w[3][q] = 0;
    }
    if (it % 7 == 1) w[0][2] = 0; /* small u1: the far tail */
    for (int p = 0; p < NPATHS; p++)
      if (have[p] && rt_normal_words(p, (const uint32_t(*)[B])w, z[p], lg[p], trig[p]) != 0) {
        CU_ASSERT(p == RT_NORMAL_AVX2 || p == RT_NORMAL_AVX512); /* only these may be missing */
        have[p] = 0;
      }
    for (int p = 0; p < NPATHS; p++)
      if (have[p] && (memcmp(z[p], z[RT_NORMAL_GENERIC], sizeof z[p]) ||
                      memcmp(lg[p], lg[RT_NORMAL_GENERIC], sizeof lg[p]) ||
                      memcmp(trig[p], trig[RT_NORMAL_GENERIC], sizeof trig[p])))
        mismatches++;
    const int g = RT_NORMAL_GENERIC;
    for (int q = 0; q < B; q++) {
      uint64_t a = ((((uint64_t)w[0][q] << 32) | w[1][q]) >> 11) + 1;
      uint64_t b = (((uint64_t)w[2][q] << 32) | w[3][q]) >> 11;
      long double l = logl((long double)a * 0x1p-53L), c, s;
      ref_cos_sin(b, &c, &s);
      long double rad = sqrtl(-2 * l);
      double e[] = {ulps(lg[g][q], l), ulps(trig[g][q], c), ulps(trig[g][B + q], s),
                    ulps(z[g][2 * q], rad * c), ulps(z[g][2 * q + 1], rad * s)};
      if (e[0] > worst_log) worst_log = e[0];
      if (e[1] > worst_trig) worst_trig = e[1];
      if (e[2] > worst_trig) worst_trig = e[2];
      if (e[3] > worst_z) worst_z = e[3];
      if (e[4] > worst_z) worst_z = e[4];
    }
  }
  printf("\n    paths:");
  for (int p = 0; p < NPATHS; p++) printf(" %s%s", path_name[p], have[p] ? "" : " (absent)");
  printf("; %ld blocks, %ld mismatches\n    max error in ulps: log %.3f, cos/sin %.3f, normal %.3f\n",
         blocks, mismatches, worst_log, worst_trig, worst_z);
  CU_ASSERT(have[RT_NORMAL_AUTO] && have[RT_NORMAL_GENERIC]);
  CU_ASSERT(mismatches == 0);
  CU_ASSERT(worst_log <= 1.0);
  CU_ASSERT(worst_trig <= 2.0);
  CU_ASSERT(worst_z <= 4.0);
}

/* the exact values at the ends: u1 = 1 gives radius 0, u1 = 2^-53 the
 * largest, sqrt(106 ln 2); whole quarter turns give exact 0 and +-1 */
static void test_extremes(void) {
  uint32_t w[4][B];
  double z[2 * B], trig[2 * B];
  memset(w, 0, sizeof w);
  w[0][0] = w[1][0] = UINT32_MAX; /* u1 = 1, u2 = 0 */
  for (int q = 1; q < B; q++) w[2][q] = (uint32_t)(q % 4) << 30; /* u2 = (q mod 4) / 4 */
  CU_ASSERT(rt_normal_words(RT_NORMAL_GENERIC, (const uint32_t(*)[B])w, z, NULL, trig) == 0);
  CU_ASSERT(z[0] == 0 && z[1] == 0);
  static const double c4[4] = {1, 0, -1, 0}, s4[4] = {0, 1, 0, -1};
  for (int q = 1; q < B; q++) {
    CU_ASSERT(trig[q] == c4[q % 4] && trig[B + q] == s4[q % 4]);
  }
  double zmax = sqrt(106 * M_LN2);
  CU_ASSERT(fabs(z[2 * 4] - zmax) <= 4 * (nextafter(zmax, 9) - zmax)); /* q = 4: u2 = 0 */
}

static void test_keyed(void) {
  double a[2 * B], b[2 * B];
  rt_normal_block(1, 2, 3, 4, a);
  rt_normal_block(1, 2, 3, 4, b);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0); /* a pure function of its arguments */
  const uint64_t args[][4] = {{2, 2, 3, 4},
                              {1, 3, 3, 4},
                              {1, 2, 4, 4},
                              {1, 2, 3, 5},
                              {1 + (1ULL << 32), 2, 3, 4},
                              {1, 2 + (1ULL << 32), 3, 4},
                              {1, 2, 3 + (1ULL << 28), 4}}; /* the pair's high word */
  for (size_t t = 0; t < sizeof args / sizeof args[0]; t++) {
    rt_normal_block(args[t][0], args[t][1], args[t][2], (uint32_t)args[t][3], b);
    int same = 0;
    for (int q = 0; q < 2 * B; q++) same += a[q] == b[q];
    CU_ASSERT(same == 0);
  }
  /* the same words as one scalar Philox call per counter */
  const uint64_t seed = 0x1234567890ULL, step = 77, block = 5;
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t w[4][B];
  for (int q = 0; q < B; q++) {
    const uint32_t ctr[4] = {(uint32_t)(block * B + q), (uint32_t)step, 0, 9};
    uint32_t o[4];
    rt_philox4x32_10(ctr, key, o);
    for (int x = 0; x < 4; x++) w[x][q] = o[x];
  }
  rt_normal_words(RT_NORMAL_GENERIC, (const uint32_t(*)[B])w, a, NULL, NULL);
  rt_normal_block(seed, step, block, 9, b);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
}

/* standard normal CDF */
static double phi(double x) { return 0.5 * erfc(-x / M_SQRT2); }

static void test_statistics(void) {
  enum { NI = 1 << 15, NK = 32, NBIN = 100 };
  static double z[NK][NI], z1[NI];
  const uint64_t seed = 20261126;
  for (int k = 0; k < NK; k++)
    for (int i = 0; i < NI; i += 2 * B) rt_normal_block(seed, (uint64_t)k, (uint64_t)i / (2 * B), 0, &z[k][i]);
  for (int i = 0; i < NI; i += 2 * B) rt_normal_block(seed, 0, (uint64_t)i / (2 * B), 1, &z1[i]);
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0, cpair = 0, cnext = 0, cstep = 0, cterm = 0;
  long bins[NBIN] = {0};
  for (int k = 0; k < NK; k++)
    for (int i = 0; i < NI; i++) {
      double x = z[k][i], x2 = x * x;
      m1 += x;
      m2 += x2;
      m3 += x2 * x;
      m4 += x2 * x2;
      if (i % 2 == 0) cpair += x * z[k][i + 1];          /* the two of a pair */
      else if (i + 1 < NI) cnext += x * z[k][i + 1];     /* across pairs */
      if (k + 1 < NK) cstep += x * z[k + 1][i];
      int bin = (int)(phi(x) * NBIN);
      bins[bin < NBIN ? bin : NBIN - 1]++;
    }
  for (int i = 0; i < NI; i++) cterm += z[0][i] * z1[i];
  const double n = (double)NI * NK;
  m1 /= n, m2 /= n, m3 /= n, m4 /= n;
  cpair /= n / 2, cnext /= n / 2 - NK, cstep /= n - NI, cterm /= NI;
  double chi2 = 0, e = n / NBIN;
  for (int b = 0; b < NBIN; b++) chi2 += (bins[b] - e) * (bins[b] - e) / e;
  /* standard errors: Var z^p = E z^2p - (E z^p)^2 = 1, 2, 15, 96 */
  double se1 = 1 / sqrt(n), se2 = sqrt(2 / n), se3 = sqrt(15 / n), se4 = sqrt(96 / n);
  printf("\n    N = %.0f: mean %.2f se, var-1 %.2f se, m3 %.2f se, m4-3 %.2f se, chi2(99) %.1f\n"
         "    correlations in se: pair %.2f, next instance %.2f, next step %.2f, next term %.2f\n",
         n, m1 / se1, (m2 - 1) / se2, m3 / se3, (m4 - 3) / se4, chi2, cpair * sqrt(n / 2),
         cnext * sqrt(n / 2 - NK), cstep * sqrt(n - NI), cterm * sqrt((double)NI));
  CU_ASSERT(fabs(m1) < 5 * se1);
  CU_ASSERT(fabs(m2 - 1) < 5 * se2);
  CU_ASSERT(fabs(m3) < 5 * se3);
  CU_ASSERT(fabs(m4 - 3) < 5 * se4);
  CU_ASSERT(chi2 < 148.2);
  CU_ASSERT(fabs(cpair) < 5 / sqrt(n / 2));
  CU_ASSERT(fabs(cnext) < 5 / sqrt(n / 2 - NK));
  CU_ASSERT(fabs(cstep) < 5 / sqrt(n - NI));
  CU_ASSERT(fabs(cterm) < 5 / sqrt((double)NI));
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("normal_block", NULL, NULL);
  if (!s) return 2;
  if (!CU_add_test(s, "paths bit-identical, accuracy against libm", test_paths_and_accuracy) ||
      !CU_add_test(s, "exact values at the ends", test_extremes) ||
      !CU_add_test(s, "keyed by seed, step, block, term", test_keyed) ||
      !CU_add_test(s, "moments, chi-square, correlations", test_statistics))
    return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
