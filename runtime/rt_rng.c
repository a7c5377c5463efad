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
 * c3), its words go to out[w][q].  On x86-64 with AVX2 (chosen at run
 * time) each 32-bit word lives in a 64-bit lane, so a round is two
 * vpmuludq (32 x 32 -> 64 on four lanes), shifts and xors, with no
 * shuffling; with AVX-512 one register holds all eight lanes; elsewhere
 * the lanes are computed one by one.  Same numbers
 * as rt_philox4x32_10 lane by lane. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static void
philox_batch_avx2(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, const uint32_t key[2],
                  uint32_t out[4][RT_PHILOX_LANES]) {
  const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFFLL);
  const __m256i M0 = _mm256_set1_epi64x(0xD2511F53LL), M1 = _mm256_set1_epi64x(0xCD9E8D57LL);
  for (int h = 0; h < RT_PHILOX_LANES; h += 4) {
    __m256i x0 = _mm256_set_epi64x((uint32_t)(c0 + h + 3), (uint32_t)(c0 + h + 2),
                                   (uint32_t)(c0 + h + 1), (uint32_t)(c0 + h));
    __m256i x1 = _mm256_set1_epi64x(c1), x2 = _mm256_set1_epi64x(c2), x3 = _mm256_set1_epi64x(c3);
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
      if (round) {
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      __m256i p0 = _mm256_mul_epu32(x0, M0), p1 = _mm256_mul_epu32(x2, M1);
      x0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1), _mm256_set1_epi64x(k0));
      x1 = _mm256_and_si256(p1, lo32);
      x2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3), _mm256_set1_epi64x(k1));
      x3 = _mm256_and_si256(p0, lo32);
    }
    uint64_t w[4][4];
    _mm256_storeu_si256((__m256i *)w[0], x0);
    _mm256_storeu_si256((__m256i *)w[1], x1);
    _mm256_storeu_si256((__m256i *)w[2], x2);
    _mm256_storeu_si256((__m256i *)w[3], x3);
    for (int j = 0; j < 4; j++)
      for (int q = 0; q < 4; q++) out[j][h + q] = (uint32_t)w[j][q];
  }
}

/* The same with AVX-512: all eight lanes in one register. */
__attribute__((target("avx512f"))) static void
philox_batch_avx512(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, const uint32_t key[2],
                    uint32_t out[4][RT_PHILOX_LANES]) {
  const __m512i lo32 = _mm512_set1_epi64(0xFFFFFFFFLL);
  const __m512i M0 = _mm512_set1_epi64(0xD2511F53LL), M1 = _mm512_set1_epi64(0xCD9E8D57LL);
  __m512i x0 = _mm512_set_epi64((uint32_t)(c0 + 7), (uint32_t)(c0 + 6), (uint32_t)(c0 + 5),
                                (uint32_t)(c0 + 4), (uint32_t)(c0 + 3), (uint32_t)(c0 + 2),
                                (uint32_t)(c0 + 1), c0);
  __m512i x1 = _mm512_set1_epi64(c1), x2 = _mm512_set1_epi64(c2), x3 = _mm512_set1_epi64(c3);
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    if (round) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    __m512i p0 = _mm512_mul_epu32(x0, M0), p1 = _mm512_mul_epu32(x2, M1);
    x0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1), _mm512_set1_epi64(k0));
    x1 = _mm512_and_si512(p1, lo32);
    x2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3), _mm512_set1_epi64(k1));
    x3 = _mm512_and_si512(p0, lo32);
  }
  /* the low halves of the lanes are the words */
  _mm256_storeu_si256((__m256i *)out[0], _mm512_cvtepi64_epi32(x0));
  _mm256_storeu_si256((__m256i *)out[1], _mm512_cvtepi64_epi32(x1));
  _mm256_storeu_si256((__m256i *)out[2], _mm512_cvtepi64_epi32(x2));
  _mm256_storeu_si256((__m256i *)out[3], _mm512_cvtepi64_epi32(x3));
}
#endif

void rt_philox4x32_10_batch(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                            const uint32_t key[2], uint32_t out[4][RT_PHILOX_LANES]) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) {
    philox_batch_avx512(c0, c1, c2, c3, key, out);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    philox_batch_avx2(c0, c1, c2, c3, key, out);
    return;
  }
#endif
  for (int q = 0; q < RT_PHILOX_LANES; q++) {
    const uint32_t ctr[4] = {c0 + (uint32_t)q, c1, c2, c3};
    uint32_t w[4];
    rt_philox4x32_10(ctr, key, w);
    for (int j = 0; j < 4; j++) out[j][q] = w[j];
  }
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
