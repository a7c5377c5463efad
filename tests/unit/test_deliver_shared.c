/* tests/unit/test_deliver_shared.c — delivery of a projection with one
 * shared weight and 16-bit targets (CUBA's case, where rt_deliver_cut adds
 * and lists the targets in one pass; runtime/rt_events.c, docs/events.md):
 * random spikes for 3000 steps through a 400 x 400 fixed-probability
 * projection; what rt_drain adds each step equals, bit for bit, the direct
 * sum in the documented order (by step, then spike, then row), with the
 * slots sparse (listed targets) in some steps and dense (a slot's list
 * full) in others, for a uniform delay of 1 and of 3 steps and a part
 * [lo, hi) of the targets.
 */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_events.h"

static uint64_t rng = 0x853C49E6748FEA9BULL;
static uint32_t next32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 32);
}

static void run_case(uint32_t delay, uint32_t lo, uint32_t hi) {
  char err[256];
  const uint32_t N = 400;
  const int64_t NSTEPS = 3000;
  RtConnSpec s;
  memset(&s, 0, sizeof s);
  s.rule = RT_CONN_FIXED_PROB;
  s.n_src = s.n_tgt = N;
  s.p = 0.02;
  s.seed = 5 + delay;
  s.weight = 0.3; /* not a power of two: the order of the sums shows */
  s.weight_shared = 1;
  s.narrow = 1;
  s.delay_lo = s.delay_hi = delay;
  RtConn c;
  CU_ASSERT_FATAL(rt_conn_build(&c, &s, err, sizeof err) == 0);
  CU_ASSERT_FATAL(c.tgt16 != NULL && c.weight_shared);
  RtRing r;
  CU_ASSERT_FATAL(rt_ring_init(&r, hi - lo, delay, err, sizeof err) == 0);
  double *direct = calloc((size_t)(NSTEPS + delay + 1) * N, sizeof(double));
  double x[400] = {0}, xd[400] = {0};
  uint32_t src[400];
  int ok = 1;
  long sparse = 0, dense = 0;
  for (int64_t st = 0; st < NSTEPS; st++) {
    uint32_t nl = r.nlist[st % r.nslots];
    if (nl == RT_RING_DENSE) dense++;
    else if (nl) sparse++;
    rt_drain(&r, st, x);
    for (uint32_t j = lo; j < hi; j++) ok &= x[j - lo] == (xd[j] += direct[st * N + j]);
    /* mostly a few spikes (sparse slots), every 7th step many (dense) */
    size_t n = 0;
    uint32_t below = st % 7 == 0 ? 60 : 2; /* spike with probability below / 256 */
    for (uint32_t i = 0; i < N; i++)
      if ((next32() & 255) < below) src[n++] = i;
    CU_ASSERT_FATAL(rt_deliver_part(&r, &c, st, src, n, lo, hi) == 0);
    for (size_t q = 0; q < n; q++)
      for (uint64_t k = c.row[src[q]]; k < c.row[src[q] + 1]; k++) {
        uint32_t j = c.tgt16[k];
        if (j >= lo && j < hi) direct[(st + delay) * N + j] += c.weight;
      }
  }
  printf("\n    delay %u, targets [%u, %u): %ld sparse and %ld dense slots drained, %s", delay,
         lo, hi, sparse, dense, ok ? "bit-identical" : "DIFFERENT");
  CU_ASSERT(ok);
  CU_ASSERT(sparse > 100 && dense > 100);
  free(direct);
  rt_ring_free(&r);
  rt_conn_free(&c);
}

static void test_shared_narrow(void) {
  run_case(1, 0, 400);
  run_case(3, 0, 400);
  run_case(2, 130, 290);
  printf("\n");
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("shared-weight delivery", NULL, NULL);
  if (!s || !CU_add_test(s, "ring equals the direct sum", test_shared_narrow)) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
