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
 * Normal numbers come from the Box–Muller transform, two per counter: one
 * pair at a time through libm (rt_normal_pair, the noise of rates models)
 * or a block at a time, vectorised (rt_normal_block, the noise in the
 * states of cells; below).
 */
#include <math.h>
#include <string.h>

#include "rt_internal.h"
#include "rt_vlog.h"

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

/* ---- normal numbers a block at a time ------------------------------------ */

/* The noise in the states of cells draws a normal per instance per step,
 * which through rt_normal_pair (libm's log, sqrt, cos and sin, one call
 * each) was ~24 ns a number and nearly the whole cost of a noisy run.
 * Here RT_NORMAL_BLOCK counters are turned into 2 RT_NORMAL_BLOCK normals
 * together: vectorised Philox, then Box–Muller written as GCC vector
 * arithmetic that compiles to AVX-512, AVX2 or SSE2 alike.  As for the
 * gaps of the connection rules (runtime/rt_events.c), only +, -, *, /,
 * sqrt and integer bit operations are used, each correctly rounded by
 * IEEE 754, and contraction into FMA is off, so every path gives the same
 * bits (tests/unit/test_normal_block.c).
 *
 * Counter q of the block holds words 0, 1 (a, 53 bits: u1 = (a + 1) 2^-53
 * in (0, 1]) and words 2, 3 (b, 53 bits: u2 = b 2^-53 in [0, 1)), as in
 * rt_normal_pair; z[2q] = sqrt(-2 log u1) cos(2 pi u2) and z[2q + 1] the
 * same with sin.
 *
 * log(u1) is the vector log of runtime/rt_vlog.h (within 1 ulp).  The angle
 * is reduced exactly in quarter turns: 4 u2 = n + r with n an integer and
 * |r| <= 1/2 (both exact, u2 being a 53-bit fraction), so
 * 2 pi u2 = (pi / 2)(n + r); sin and cos of (pi / 2) r are Taylor
 * polynomials in r (|(pi / 2) r| <= pi / 4, the first omitted terms below
 * 2^-59 of the result) and n mod 4 swaps and negates them.  No argument
 * is ever rounded to a multiple of a rounded pi, which is where libm's
 * cos(2 pi u2) loses accuracy near the zeros. */
#define NB RT_NORMAL_BLOCK
_Static_assert(NB == RT_V_LANES, "a block is one vector of the log (runtime/rt_vlog.h)");
typedef uint32_t NrmW __attribute__((vector_size(NB * sizeof(uint32_t))));

/* cos and sin of 2 pi u for u = b 2^-53, b < 2^53 */
static inline __attribute__((always_inline)) void cos_sin_turn(const RtVU *bp, RtVD *c, RtVD *s) {
  const RtVU b = *bp;
  const RtVU half = RT_V_SPLAT(1ULL << 50), low51 = RT_V_SPLAT((1ULL << 51) - 1), one = RT_V_SPLAT(1ULL);
  const RtVU two = RT_V_SPLAT(2ULL), magic = RT_V_SPLAT(0x4330000000000000ULL);
  const RtVD two52 = RT_V_SPLAT(0x1p52), two50 = RT_V_SPLAT(0x1p50), ulp51 = RT_V_SPLAT(0x1p-51);
  /* 4 u = b 2^-51: n = round(4 u), r = 4 u - n in [-1/2, 1/2) */
  RtVU bh = b + half, n = bh >> 51;
  RtVD r = (((RtVD)(magic | (bh & low51)) - two52) - two50) * ulp51;
  RtVD z = r * r;
  /* sin((pi / 2) r) = r S(r^2), cos((pi / 2) r) = C(r^2): Taylor, Horner */
  RtVD S = (RtVD)RT_V_SPLAT(0x1.aaec32af93359p-38) * z + (RtVD)RT_V_SPLAT(-0x1.6fadb9f155744p-31);
  S = S * z + (RtVD)RT_V_SPLAT(0x1.e8f434d018d63p-25);
  S = S * z + (RtVD)RT_V_SPLAT(-0x1.e3074fde8871fp-19);
  S = S * z + (RtVD)RT_V_SPLAT(0x1.50783487ee782p-13);
  S = S * z + (RtVD)RT_V_SPLAT(-0x1.32d2cce62bd86p-8);
  S = S * z + (RtVD)RT_V_SPLAT(0x1.466bc6775aae2p-4);
  S = S * z + (RtVD)RT_V_SPLAT(-0x1.4abbce625be53p-1);
  S = r * (S * z + (RtVD)RT_V_SPLAT(0x1.921fb54442d18p+0));
  RtVD C = (RtVD)RT_V_SPLAT(0x1.20c62c2f2d7f5p-34) * z + (RtVD)RT_V_SPLAT(-0x1.b6e24f44b128fp-28);
  C = C * z + (RtVD)RT_V_SPLAT(0x1.f9d38a3763cc3p-22);
  C = C * z + (RtVD)RT_V_SPLAT(-0x1.a6d1f2a204a8cp-16);
  C = C * z + (RtVD)RT_V_SPLAT(0x1.e1f506891babbp-11);
  C = C * z + (RtVD)RT_V_SPLAT(-0x1.55d3c7e3cbffap-6);
  C = C * z + (RtVD)RT_V_SPLAT(0x1.03c1f081b5ac4p-2);
  C = C * z + (RtVD)RT_V_SPLAT(-0x1.3bd3cc9be45dep+0);
  C = C * z + (RtVD)RT_V_SPLAT(1.0);
  /* quarter turn n: (cos, sin) -> (-sin, cos); odd n swaps, and the sign
   * bits flip for sin when n & 2 and for cos when (n + 1) & 2 */
  RtVU odd = -(n & one);
  RtVD sn = RT_V_SELECT(odd, C, S), cs = RT_V_SELECT(odd, S, C);
  *s = (RtVD)((RtVU)sn ^ ((n & two) << 62));
  *c = (RtVD)((RtVU)cs ^ (((n + one) & two) << 62));
}

/* Everything but the square root, which GCC's vector arithmetic lacks:
 * rad2 = -2 log u1 (exact doubling), and cos, sin of the angle. */
static inline __attribute__((always_inline)) void
normal_parts(const uint32_t w[4][NB], RtVD *rad2, RtVD *c, RtVD *s, double *lg) {
  NrmW w0, w1, w2, w3;
  memcpy(&w0, w[0], sizeof w0);
  memcpy(&w1, w[1], sizeof w1);
  memcpy(&w2, w[2], sizeof w2);
  memcpy(&w3, w[3], sizeof w3);
  const RtVU one = RT_V_SPLAT(1ULL);
  RtVU a = ((__builtin_convertvector(w0, RtVU) << 32) | __builtin_convertvector(w1, RtVU)) >> 11;
  RtVU b = ((__builtin_convertvector(w2, RtVU) << 32) | __builtin_convertvector(w3, RtVU)) >> 11;
  RtVU a1 = a + one;
  RtVD l;
  rt_v_log_u53(&a1, &l);
  if (lg) memcpy(lg, &l, sizeof l);
  *rad2 = l * (RtVD)RT_V_SPLAT(-2.0);
  cos_sin_turn(&b, c, s);
}

/* z[2q] = rad[q] cos, z[2q + 1] = rad[q] sin; trig (when not NULL) gets
 * cos in [0, NB) and sin in [NB, 2 NB) */
static inline __attribute__((always_inline)) void
normal_out(const double *rad, const RtVD *c, const RtVD *s, double *z, double *trig) {
  RtVD r, zc, zs;
  memcpy(&r, rad, sizeof r);
  zc = r * *c;
  zs = r * *s;
  for (int q = 0; q < NB; q++) {
    z[2 * q] = zc[q];
    z[2 * q + 1] = zs[q];
  }
  if (trig) {
    memcpy(trig, c, sizeof *c);
    memcpy(trig + NB, s, sizeof *s);
  }
}

static RT_V_NO_CONTRACT void normal_generic(const uint32_t w[4][NB], double *z, double *lg,
                                              double *trig) {
  RtVD rad2, c, s;
  normal_parts(w, &rad2, &c, &s, lg);
  double rad[NB];
  for (int q = 0; q < NB; q++) rad[q] = sqrt(rad2[q]); /* >= 0: no errno */
  normal_out(rad, &c, &s, z, trig);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) RT_V_NO_CONTRACT static void
normal_avx2(const uint32_t w[4][NB], double *z, double *lg, double *trig) {
  RtVD rad2, c, s;
  normal_parts(w, &rad2, &c, &s, lg);
  double rad[NB];
  memcpy(rad, &rad2, sizeof rad);
  for (int q = 0; q < NB; q += 4) _mm256_storeu_pd(rad + q, _mm256_sqrt_pd(_mm256_loadu_pd(rad + q)));
  normal_out(rad, &c, &s, z, trig);
}

__attribute__((target("avx512f"))) RT_V_NO_CONTRACT static void
normal_avx512(const uint32_t w[4][NB], double *z, double *lg, double *trig) {
  RtVD rad2, c, s;
  normal_parts(w, &rad2, &c, &s, lg);
  double rad[NB];
  memcpy(rad, &rad2, sizeof rad);
  for (int q = 0; q < NB; q += 8) _mm512_storeu_pd(rad + q, _mm512_sqrt_pd(_mm512_loadu_pd(rad + q)));
  normal_out(rad, &c, &s, z, trig);
}
#endif

int rt_normal_words(int path, const uint32_t w[4][RT_NORMAL_BLOCK], double *z, double *lg,
                    double *trig) {
  switch (path) {
  case RT_NORMAL_AUTO:
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f")) normal_avx512(w, z, lg, trig);
    else if (__builtin_cpu_supports("avx2")) normal_avx2(w, z, lg, trig);
    else
#endif
      normal_generic(w, z, lg, trig);
    return 0;
  case RT_NORMAL_GENERIC: normal_generic(w, z, lg, trig); return 0;
#if defined(__x86_64__) && defined(__GNUC__)
  case RT_NORMAL_AVX2:
    if (!__builtin_cpu_supports("avx2")) return -1;
    normal_avx2(w, z, lg, trig);
    return 0;
  case RT_NORMAL_AVX512:
    if (!__builtin_cpu_supports("avx512f")) return -1;
    normal_avx512(w, z, lg, trig);
    return 0;
#endif
  default: return -1;
  }
}

_Static_assert(RT_NORMAL_BLOCK % RT_PHILOX_LANES == 0, "a block is whole Philox batches");
void rt_normal_block(uint64_t seed, uint64_t step, uint64_t block, uint32_t j, double *z) {
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  const uint64_t pair0 = block * RT_NORMAL_BLOCK;
  /* pair0 is a multiple of the block: c0 + q never wraps */
  const uint32_t c0 = (uint32_t)pair0, c1 = (uint32_t)step, c2 = (uint32_t)(step >> 32),
                 c3 = j ^ ((uint32_t)(pair0 >> 32) << 24);
  uint32_t w[4][RT_NORMAL_BLOCK], part[4][RT_PHILOX_LANES];
  for (int h = 0; h < RT_NORMAL_BLOCK; h += RT_PHILOX_LANES) {
    rt_philox4x32_10_batch(c0 + (uint32_t)h, c1, c2, c3, key, part);
    for (int x = 0; x < 4; x++) memcpy(&w[x][h], part[x], sizeof part[x]);
  }
  rt_normal_words(RT_NORMAL_AUTO, (const uint32_t(*)[RT_NORMAL_BLOCK])w, z, NULL, NULL);
}
