/* tests/unit/test_rng.c — the random numbers of the noise (runtime/rt_rng.c):
 * Philox4x32-10 against Random123's published known-answer vectors, and the
 * normal numbers drawn from it: reproducible, keyed by every field of the
 * counter, and with the moments of N(0, 1) within their sampling errors. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rt_internal.h"

static void test_philox_kat(void) {
  /* Random123 tests/kat_vectors: philox4x32 10 */
  static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (size_t k = 0; k < sizeof kat / sizeof kat[0]; k++) {
    uint32_t out[4];
    rt_philox4x32_10(kat[k].ctr, kat[k].key, out);
    CU_ASSERT_EQUAL(memcmp(out, kat[k].out, sizeof out), 0);
  }
}

static void test_keyed(void) {
  double a0, a1, b0, b1;
  rt_normal_pair(1, 2, 3, 4, &a0, &a1);
  rt_normal_pair(1, 2, 3, 4, &b0, &b1);
  CU_ASSERT(a0 == b0 && a1 == b1); /* a pure function of its arguments */
  CU_ASSERT(a0 != a1);
  rt_normal_pair(2, 2, 3, 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* the seed */
  rt_normal_pair(1, 3, 3, 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* the step */
  rt_normal_pair(1, 2, 4, 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* the instance */
  rt_normal_pair(1, 2, 3, 5, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* the pair of noise terms */
  rt_normal_pair(1, 2, 3 + (1ULL << 32), 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* high bits of the instance */
  rt_normal_pair(1, 2 + (1ULL << 32), 3, 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* high bits of the step */
  rt_normal_pair(1 + (1ULL << 32), 2, 3, 4, &b0, &b1);
  CU_ASSERT(a0 != b0);             /* high bits of the seed */
}

/* N = 2e5 pairs: mean 0 and variance 1 of each member, no correlation
 * between the two members of a pair or between consecutive steps, and the
 * tail P(|z| > 1.959964) = 0.05, each within 5 standard errors. */
static void test_moments(void) {
  enum { N = 200000 };
  double s0 = 0, s1 = 0, q0 = 0, q1 = 0, c01 = 0, cstep = 0, tail = 0, prev = 0;
  for (uint64_t k = 0; k < N; k++) {
    double z0, z1;
    rt_normal_pair(42, k, 7, 0, &z0, &z1);
    s0 += z0;
    s1 += z1;
    q0 += z0 * z0;
    q1 += z1 * z1;
    c01 += z0 * z1;
    if (k) cstep += prev * z0;
    prev = z0;
    tail += (fabs(z0) > 1.959964) + (fabs(z1) > 1.959964);
  }
  double se_mean = 1 / sqrt(N), se_var = sqrt(2.0 / N), se_tail = sqrt(0.05 * 0.95 / (2.0 * N));
  CU_ASSERT(fabs(s0 / N) < 5 * se_mean);
  CU_ASSERT(fabs(s1 / N) < 5 * se_mean);
  CU_ASSERT(fabs(q0 / N - 1) < 5 * se_var);
  CU_ASSERT(fabs(q1 / N - 1) < 5 * se_var);
  CU_ASSERT(fabs(c01 / N) < 5 * se_mean);
  CU_ASSERT(fabs(cstep / (N - 1)) < 5 * se_mean);
  CU_ASSERT(fabs(tail / (2.0 * N) - 0.05) < 5 * se_tail);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("rng", NULL, NULL);
  if (!s) return 2;
  if (!CU_add_test(s, "philox known answers", test_philox_kat) ||
      !CU_add_test(s, "keyed by seed, step, instance, pair", test_keyed) ||
      !CU_add_test(s, "normal moments", test_moments))
    return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
