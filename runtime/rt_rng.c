/* runtime/rt_rng.c — random numbers for the stochastic methods.
 *
 * Counter-based: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011) maps a 128-bit counter and
 * a 64-bit key to 128 random bits with no state in between.  The key is the
 * run's --seed and the counter (time step, instance, pair of noise terms),
 * so every number is a pure function of those four: a run is reproducible
 * from its seed, and the numbers of an instance do not depend on how many
 * instances there are or on how they are split across threads.
 *
 * Normal numbers come from the Box–Muller transform, two per counter.
 */
#include <math.h>

#include "rt_internal.h"

static inline void mulhilo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  *lo = (uint32_t)p;
}

void rt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    if (round) {
      k0 += 0x9E3779B9u; /* the golden ratio and sqrt(3) - 1, as in Random123 */
      k1 += 0xBB67AE85u;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, c0, &hi0, &lo0);
    mulhilo32(0xCD9E8D57u, c2, &hi1, &lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* RT_PHILOX_LANES blocks at once: lane q has the counter (c0 + q, c1, c2,
 * c3), its words go to out[w][q].  The lanes are independent, so the
 * loops over them vectorise (8 lanes of 32-bit multiplies); an AVX2 clone
 * is chosen at run time where the CPU has it.  Same numbers as
 * rt_philox4x32_10 lane by lane. */
#define PHILOX_BATCH_BODY                                                                  \
  uint32_t x0[RT_PHILOX_LANES], x1[RT_PHILOX_LANES], x2[RT_PHILOX_LANES], x3[RT_PHILOX_LANES]; \
  for (int q = 0; q < RT_PHILOX_LANES; q++) {                                               \
    x0[q] = c0 + (uint32_t)q;                                                               \
    x1[q] = c1;                                                                             \
    x2[q] = c2;                                                                             \
    x3[q] = c3;                                                                             \
  }                                                                                         \
  uint32_t k0 = key[0], k1 = key[1];                                                        \
  for (int round = 0; round < 10; round++) {                                                \
    if (round) {                                                                            \
      k0 += 0x9E3779B9u;                                                                    \
      k1 += 0xBB67AE85u;                                                                    \
    }                                                                                       \
    for (int q = 0; q < RT_PHILOX_LANES; q++) {                                             \
      uint64_t p0 = (uint64_t)0xD2511F53u * x0[q], p1 = (uint64_t)0xCD9E8D57u * x2[q];     \
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[q] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ x3[q] ^ k1; \
      x0[q] = n0;                                                                           \
      x1[q] = (uint32_t)p1;                                                                 \
      x2[q] = n2;                                                                           \
      x3[q] = (uint32_t)p0;                                                                 \
    }                                                                                       \
  }                                                                                         \
  for (int q = 0; q < RT_PHILOX_LANES; q++) {                                               \
    out[0][q] = x0[q];                                                                      \
    out[1][q] = x1[q];                                                                      \
    out[2][q] = x2[q];                                                                      \
    out[3][q] = x3[q];                                                                      \
  }

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"), optimize("tree-vectorize"))) static void
philox_batch_avx2(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, const uint32_t key[2],
                  uint32_t out[4][RT_PHILOX_LANES]) {
  PHILOX_BATCH_BODY
}
#endif

__attribute__((optimize("tree-vectorize"))) static void
philox_batch_generic(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, const uint32_t key[2],
                     uint32_t out[4][RT_PHILOX_LANES]) {
  PHILOX_BATCH_BODY
}

void rt_philox4x32_10_batch(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                            const uint32_t key[2], uint32_t out[4][RT_PHILOX_LANES]) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) {
    philox_batch_avx2(c0, c1, c2, c3, key, out);
    return;
  }
#endif
  philox_batch_generic(c0, c1, c2, c3, key, out);
}

void rt_normal_pair(uint64_t seed, uint64_t step, uint64_t inst, uint32_t pair, double *z0,
                    double *z1) {
  const uint32_t ctr[4] = {(uint32_t)step, (uint32_t)(step >> 32), (uint32_t)inst,
                           pair ^ ((uint32_t)(inst >> 32) << 24)};
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t w[4];
  rt_philox4x32_10(ctr, key, w);
  /* 53-bit uniforms: u1 in (0, 1] (log(u1) finite), u2 in [0, 1) */
  uint64_t a = (((uint64_t)w[0] << 32) | w[1]) >> 11, b = (((uint64_t)w[2] << 32) | w[3]) >> 11;
  double u1 = (double)(a + 1) * 0x1p-53, u2 = (double)b * 0x1p-53;
  double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
  *z0 = rad * cos(th);
  *z1 = rad * sin(th);
}
