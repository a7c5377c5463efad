/* runtime/rt_vlog.h — log of 16 uniforms at once, the same bits on every
 * machine: shared by the geometric gaps of fixed-probability connectivity
 * (runtime/rt_events.c) and the Box–Muller normals of noise in cells
 * (runtime/rt_rng.c).
 *
 * Written as GCC vector arithmetic, which compiles to AVX-512, AVX2 or
 * SSE2 alike.  Only +, -, *, / and integer bit operations are used, each
 * correctly rounded by IEEE 754, and the including file turns contraction
 * into FMA off for the functions that inline these (RT_V_NO_CONTRACT: the
 * AVX-512 variants would otherwise fuse), so every path gives the same
 * bits, which libm's log (different code with and without FMA) did not
 * promise.
 *
 * log(u), u = x 2^-53 for x in 1 .. 2^53: u = 2^k m with m in
 * [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f);
 * log(m) = 2 atanh(s) = 2 s + s R(s^2) with
 * R(z) = sum_{i=1..10} 2 z^i / (2 i + 1) (|s| <= 0.1716: the next term is
 * below 2^-55 of the result), and 2 s = f - s f, so
 * log(m) = f - s (f - R), where the rounding of s only touches the small
 * correction.  k ln 2 is added as k ln2_hi (ln2_hi has 42 significant
 * bits: exact for |k| < 2^11) plus k ln2_lo.  Within 1 ulp of the
 * correctly rounded log (tests/unit/test_conn_gaps.c,
 * tests/unit/test_normal_block.c). */
#ifndef MSN_RT_VLOG_H
#define MSN_RT_VLOG_H

#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__)
#define RT_V_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#pragma STDC FP_CONTRACT OFF
#define RT_V_NO_CONTRACT
#endif

enum { RT_V_LANES = 16 };
typedef double RtVD __attribute__((vector_size(RT_V_LANES * sizeof(double))));
typedef uint64_t RtVU __attribute__((vector_size(RT_V_LANES * sizeof(double))));
#define RT_V_SPLAT(x) {x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}
/* mask ? a : b lane by lane (mask lanes all ones or all zeros) */
#define RT_V_SELECT(mask, a, b) ((RtVD)(((RtVU)(mask) & (RtVU)(a)) | (~(RtVU)(mask) & (RtVU)(b))))

/* Vectors go in and out through pointers: by value, a 16-lane vector's
 * passing depends on the target (clang's -Wpsabi), though these are
 * always inlined. */

/* the 53-bit integer *xp < 2^53 as a double, without 64-bit conversions
 * (none before AVX-512DQ): two 26/27-bit halves through the exponent of
 * 2^52, each exact */
static inline __attribute__((always_inline)) void rt_v_u53_to_double(const RtVU *xp, RtVD *out) {
  const RtVU x = *xp;
  const RtVU magic = RT_V_SPLAT(0x4330000000000000ULL), low26 = RT_V_SPLAT(0x3ffffffULL);
  const RtVD two52 = RT_V_SPLAT(0x1p52), two26 = RT_V_SPLAT(0x1p26);
  *out = ((RtVD)(magic | (x >> 26)) - two52) * two26 + ((RtVD)(magic | (x & low26)) - two52);
}

/* log(x 2^-53) for x = *xp in 1 .. 2^53 (above) */
static inline __attribute__((always_inline)) void rt_v_log_u53(const RtVU *xp, RtVD *out) {
  const RtVU magic = RT_V_SPLAT(0x4330000000000000ULL), bias = RT_V_SPLAT(0x3ffULL);
  /* adding it carries into the exponent field exactly when m >= sqrt(2) */
  const RtVU shift = RT_V_SPLAT(0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL);
  const RtVD ulp53 = RT_V_SPLAT(0x1p-53), kbias = RT_V_SPLAT(0x1p52 + 1023), d1 = RT_V_SPLAT(1.0),
             d2 = RT_V_SPLAT(2.0);
  const RtVD ln2_hi = RT_V_SPLAT(0x1.62e42fefa3800p-1), ln2_lo = RT_V_SPLAT(0x1.ef35793c76730p-45);
  RtVD xd;
  rt_v_u53_to_double(xp, &xd);
  RtVU b = (RtVU)(xd * ulp53); /* u, a power-of-two scaling: exact */
  RtVU ef = (b + shift) >> 52;                    /* biased exponent k + 1023 of u = 2^k m */
  RtVD m = (RtVD)(b - ((ef - bias) << 52));
  RtVD k = (RtVD)(magic | ef) - kbias;
  RtVD f = m - d1;
  RtVD s = f / (d2 + f), z = s * s;
  /* R by Estrin's scheme: a short dependency chain */
  RtVD z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  RtVD p01 = (RtVD)RT_V_SPLAT(2.0 / 3) + (RtVD)RT_V_SPLAT(2.0 / 5) * z;
  RtVD p23 = (RtVD)RT_V_SPLAT(2.0 / 7) + (RtVD)RT_V_SPLAT(2.0 / 9) * z;
  RtVD p45 = (RtVD)RT_V_SPLAT(2.0 / 11) + (RtVD)RT_V_SPLAT(2.0 / 13) * z;
  RtVD p67 = (RtVD)RT_V_SPLAT(2.0 / 15) + (RtVD)RT_V_SPLAT(2.0 / 17) * z;
  RtVD p89 = (RtVD)RT_V_SPLAT(2.0 / 19) + (RtVD)RT_V_SPLAT(2.0 / 21) * z;
  RtVD R = z * (((p01 + p23 * z2) + (p45 + p67 * z2) * z4) + p89 * z8);
  *out = k * ln2_hi + (f - (s * (f - R) - k * ln2_lo));
}

#endif
