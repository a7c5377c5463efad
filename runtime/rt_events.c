/* runtime/rt_events.c — connectivity (CSR), spike delivery through per-delay
 * ring buffers, Tsodyks–Markram short-term plasticity.  The layout, the
 * summation order and the memory per synapse are in docs/events.md.
 *
 * Random connectivity comes from Philox4x32-10 (rt_rng.c) used as a pure
 * function: the k-th random word of a stream is word k mod 4 of
 * philox(counter = (k / 4, index, purpose), key = seed), where index is the
 * source (or, for fixed in-degree, the target) and purpose names what is
 * drawn.  No generator state is shared between rows, so rows can be built
 * in any order, on any number of threads, with identical results.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt_events.h"
#include "rt_vlog.h"
#include "rt_internal.h"

/* rt_msg, then -1: `return fail(err, errlen, ...);` */
#define fail(err, errlen, ...) (rt_msg((err), (errlen), __VA_ARGS__), -1)

/* ---- counter-based streams ------------------------------------------------ */

enum {
  PURPOSE_ROW = 0xE7C50001u,    /* targets of a source row */
  PURPOSE_COLUMN = 0xE7C50002u, /* sources of a target (fixed in-degree) */
  PURPOSE_DELAY = 0xE7C50003u,  /* delays of a source row */
};

/* Words are made RT_PHILOX_LANES blocks at a time (rt_philox4x32_10_batch,
 * vectorised): buf holds blocks block .. block + 7, word w of block q at
 * buf[4 q + w], the same sequence as one block after the other. */
#define STREAM_WORDS (4 * RT_PHILOX_LANES)

typedef struct Stream {
  uint32_t key[2];
  uint32_t index, purpose;
  uint64_t block;  /* next Philox block */
  uint32_t buf[STREAM_WORDS];
  int pos;         /* next unused word of buf; STREAM_WORDS: empty */
} Stream;

static void stream_init(Stream *s, uint64_t seed, uint32_t purpose, uint32_t index) {
  s->key[0] = (uint32_t)seed;
  s->key[1] = (uint32_t)(seed >> 32);
  s->index = index;
  s->purpose = purpose;
  s->block = 0;
  s->pos = STREAM_WORDS;
}

static void stream_refill(Stream *s) {
  if ((uint32_t)s->block <= UINT32_MAX - RT_PHILOX_LANES) {
    uint32_t o[4][RT_PHILOX_LANES];
    rt_philox4x32_10_batch((uint32_t)s->block, (uint32_t)(s->block >> 32), s->index, s->purpose,
                           s->key, o);
    for (int q = 0; q < RT_PHILOX_LANES; q++)
      for (int w = 0; w < 4; w++) s->buf[4 * q + w] = o[w][q];
  } else { /* the low counter word wraps inside the batch: one by one */
    for (int q = 0; q < RT_PHILOX_LANES; q++) {
      uint64_t b = s->block + (uint64_t)q;
      const uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), s->index, s->purpose};
      rt_philox4x32_10(ctr, s->key, s->buf + 4 * q);
    }
  }
  s->block += RT_PHILOX_LANES;
  s->pos = 0;
}

static inline uint32_t stream_u32(Stream *s) {
  if (s->pos == STREAM_WORDS) stream_refill(s);
  return s->buf[s->pos++];
}

/* Uniform integer in [0, n), n >= 1, unbiased (Lemire's multiply and
 * reject). */
static uint32_t stream_below(Stream *s, uint32_t n) {
  uint64_t m = (uint64_t)stream_u32(s) * n;
  uint32_t lo = (uint32_t)m;
  if (lo < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (lo < t) {
      m = (uint64_t)stream_u32(s) * n;
      lo = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

/* ---- geometric gaps, a block at a time ------------------------------------ */

/* The fixed-probability rule draws the gap before the next target of a row
 * as floor(log(u) / log(1 - p)) for a uniform u in (0, 1]: a log per
 * synapse, which from libm was a call each and half the cost of building
 * CUBA's 320k synapses.  Here the 16 uniforms of one stream refill (words
 * 2q, 2q + 1 make a, 64 bits, and uniform q is u = ((a >> 11) + 1) 2^-53,
 * 53 bits) are turned into gaps together by the vector log of
 * runtime/rt_vlog.h, the same bits on every path: a seed makes the same
 * network on every machine. */
_Static_assert(RT_GAP_BLOCK == RT_V_LANES, "a block is one vector of the log");

static inline __attribute__((always_inline)) void
gap_block_body(const uint32_t *w, double lq, double *gap, double *lg_out) {
  const RtVU one = RT_V_SPLAT(1ULL);
  const RtVD two52 = RT_V_SPLAT(0x1p52), d1 = RT_V_SPLAT(1.0), vlq = RT_V_SPLAT(lq);
  RtVU a;
  memcpy(&a, w, sizeof a);
  a = (a << 32) | (a >> 32); /* little-endian pairs: word 2q high, 2q + 1 low */
  RtVU x = (a >> 11) + one; /* 1 .. 2^53 */
  RtVD lg;
  rt_v_log_u53(&x, &lg);
  /* gap = trunc(lg / lq) (>= 0, or -0 for u = 1) below 2^52, where
   * adding and removing 2^52 rounds to an integer, one too high when it
   * rounded up; from 2^52 on (and +inf) the quotient is whole already */
  RtVD g = lg / vlq;
  RtVD t = (g + two52) - two52;
  RtVD tr = RT_V_SELECT(t > g, t - d1, t);
  RtVD out = RT_V_SELECT(g < two52, tr, g);
  memcpy(gap, &out, sizeof out);
  if (lg_out) memcpy(lg_out, &lg, sizeof lg);
}

static void RT_V_NO_CONTRACT gap_block_generic(const uint32_t *w, double lq, double *gap, double *lg) {
  gap_block_body(w, lq, gap, lg);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) RT_V_NO_CONTRACT static void
gap_block_avx2(const uint32_t *w, double lq, double *gap, double *lg) {
  gap_block_body(w, lq, gap, lg);
}

__attribute__((target("avx512f"))) RT_V_NO_CONTRACT static void
gap_block_avx512(const uint32_t *w, double lq, double *gap, double *lg) {
  gap_block_body(w, lq, gap, lg);
}
#endif

int rt_gap_block(int path, const uint32_t *w, double lq, double *gap, double *lg) {
  switch (path) {
  case RT_GAP_AUTO:
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f")) gap_block_avx512(w, lq, gap, lg);
    else if (__builtin_cpu_supports("avx2")) gap_block_avx2(w, lq, gap, lg);
    else
#endif
      gap_block_generic(w, lq, gap, lg);
    return 0;
  case RT_GAP_GENERIC: gap_block_generic(w, lq, gap, lg); return 0;
#if defined(__x86_64__) && defined(__GNUC__)
  case RT_GAP_AVX2:
    if (!__builtin_cpu_supports("avx2")) return -1;
    gap_block_avx2(w, lq, gap, lg);
    return 0;
  case RT_GAP_AVX512:
    if (!__builtin_cpu_supports("avx512f")) return -1;
    gap_block_avx512(w, lq, gap, lg);
    return 0;
#endif
  default: return -1;
  }
}

/* The next RT_GAP_BLOCK gaps of a fixed-probability row: one refill of the
 * stream, all of it. */
_Static_assert(STREAM_WORDS == 2 * RT_GAP_BLOCK, "a refill is one block of uniforms");
static void stream_gaps(Stream *s, double lq, double *gap) {
  stream_refill(s);
  rt_gap_block(RT_GAP_AUTO, s->buf, lq, gap, NULL);
  s->pos = STREAM_WORDS;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* k indices from [0, navail) into out (ascending when sort is set; the
 * fixed in-degree rule sorts by transposing instead).  With multapses k draws
 * with replacement; without, k distinct ones (k <= navail): rejection
 * against the marks when k is at most half the pool, else selection
 * sampling (Knuth's algorithm S).  mark has navail zero bytes and is left
 * zero. */
static void choose(Stream *s, uint32_t navail, uint32_t k, int multapses, int sort,
                   uint32_t *out, uint8_t *mark) {
  if (multapses) {
    for (uint32_t q = 0; q < k; q++) out[q] = stream_below(s, navail);
    if (sort) qsort(out, k, sizeof *out, cmp_u32);
  } else if ((uint64_t)2 * k <= navail) {
    for (uint32_t q = 0; q < k;) {
      uint32_t x = stream_below(s, navail);
      if (!mark[x]) {
        mark[x] = 1;
        out[q++] = x;
      }
    }
    for (uint32_t q = 0; q < k; q++) mark[out[q]] = 0;
    if (sort) qsort(out, k, sizeof *out, cmp_u32);
  } else {
    uint32_t q = 0;
    for (uint32_t x = 0; x < navail && q < k; x++) {
      /* take x with probability (k - q) / (navail - x) */
      if ((uint64_t)stream_below(s, navail - x) < (uint64_t)(k - q)) out[q++] = x;
    }
  }
}

/* ---- connectivity ---------------------------------------------------------- */

void rt_conn_free(RtConn *c) {
  if (!c) return;
  free(c->row);
  free(c->tgt);
  free(c->tgt16);
  free(c->w);
  free(c->w32);
  free(c->d8);
  free(c->d16);
  memset(c, 0, sizeof *c);
}

size_t rt_conn_syn_bytes(const RtConn *c) {
  size_t d = c->delay_width == RT_DELAY_U8 ? 1 : c->delay_width == RT_DELAY_U16 ? 2 : 0;
  size_t w = c->weight_shared ? 0 : c->weight_f32 ? sizeof(float) : sizeof(double);
  return (c->tgt16 ? sizeof(uint16_t) : sizeof(uint32_t)) + w + d;
}

size_t rt_conn_bytes(const RtConn *c) {
  return sizeof(RtConn) + ((size_t)c->n_src + 1) * sizeof(uint64_t) +
         (size_t)c->n_syn * rt_conn_syn_bytes(c);
}

size_t rt_conn_array_bytes(const RtConn *c) { return rt_conn_bytes(c) - sizeof(RtConn); }

/* Weights (constant) and delays for a built row structure. */
static int fill_weights_delays(RtConn *c, double weight, int weight_f32, int shared,
                               uint32_t lo, uint32_t hi, uint64_t seed, char *err,
                               size_t errlen) {
  uint64_t n = c->n_syn;
  size_t cnt = n ? (size_t)n : 1;
  c->weight_f32 = weight_f32 && !shared;
  c->weight_shared = shared;
  c->weight = weight;
  if (shared) {
    /* one number for the projection */
  } else if (weight_f32) {
    if (!(c->w32 = malloc(cnt * sizeof(float)))) goto oom;
    for (uint64_t k = 0; k < n; k++) c->w32[k] = (float)weight;
  } else {
    if (!(c->w = malloc(cnt * sizeof(double)))) goto oom;
    for (uint64_t k = 0; k < n; k++) c->w[k] = weight;
  }
  if (n == 0) {
    c->delay_width = RT_DELAY_UNIFORM;
    c->delay_uniform = lo;
    c->delay_min = c->delay_max = 0;
    return 0;
  }
  c->delay_min = lo;
  c->delay_max = hi;
  if (lo == hi) {
    c->delay_width = RT_DELAY_UNIFORM;
    c->delay_uniform = lo;
    return 0;
  }
  c->delay_width = hi <= UINT8_MAX ? RT_DELAY_U8 : RT_DELAY_U16;
  if (c->delay_width == RT_DELAY_U8 ? !(c->d8 = malloc(cnt)) : !(c->d16 = malloc(cnt * 2)))
    goto oom;
  uint32_t span = hi - lo + 1;
  uint32_t dmin = hi, dmax = lo;
  for (uint32_t i = 0; i < c->n_src; i++) {
    Stream s;
    stream_init(&s, seed, PURPOSE_DELAY, i);
    for (uint64_t k = c->row[i]; k < c->row[i + 1]; k++) {
      uint32_t d = lo + stream_below(&s, span);
      if (c->d8) c->d8[k] = (uint8_t)d;
      else c->d16[k] = (uint16_t)d;
      if (d < dmin) dmin = d;
      if (d > dmax) dmax = d;
    }
  }
  c->delay_min = dmin; /* the drawn range, which the ring needs */
  c->delay_max = dmax;
  return 0;
oom:
  return fail(err, errlen, "out of memory for the weights and delays of %llu synapses",
              (unsigned long long)n);
}

/* The targets in 16 bits (n_tgt <= 65536): half the index bytes and
 * half the memory traffic of delivery. */
static int narrow_targets(RtConn *c) {
  uint16_t *t = malloc((c->n_syn ? (size_t)c->n_syn : 1) * sizeof *t);
  if (!t) return -1;
  for (uint64_t k = 0; k < c->n_syn; k++) t[k] = (uint16_t)c->tgt[k];
  free(c->tgt);
  c->tgt = NULL;
  c->tgt16 = t;
  return 0;
}

/* Double the capacity of the target array: the 16-bit one when the build
 * started it (c->tgt16 set), else the 32-bit one. */
static int grow_tgt(RtConn *c, uint64_t *cap) {
  uint64_t nc = *cap ? *cap * 2 : 1024;
  if (nc > SIZE_MAX / sizeof(uint32_t)) return -1;
  if (c->tgt16) {
    uint16_t *t = realloc(c->tgt16, (size_t)nc * sizeof(uint16_t));
    if (!t) return -1;
    c->tgt16 = t;
  } else {
    uint32_t *t = realloc(c->tgt, (size_t)nc * sizeof(uint32_t));
    if (!t) return -1;
    c->tgt = t;
  }
  *cap = nc;
  return 0;
}

/* Append to a growable target array.  Inline, with the growth out of
 * line: once per synapse, the call was 2 % of a CUBA run.  Narrow
 * projections are built in 16 bits directly: a 32-bit array first (its
 * pages faulted in) and a copy were a fifth of building CUBA's. */
static inline int push_tgt(RtConn *c, uint64_t *cap, uint32_t j) {
  if (__builtin_expect(c->n_syn == *cap, 0) && grow_tgt(c, cap)) return -1;
  if (c->tgt16) c->tgt16[c->n_syn++] = (uint16_t)j;
  else c->tgt[c->n_syn++] = j;
  return 0;
}

/* The targets of source i for the row-wise rules, appended to c->tgt. */
static int build_row(RtConn *c, const RtConnSpec *sp, uint32_t i, uint64_t *cap,
                     uint32_t *scratch, uint8_t *mark, double lq) {
  uint32_t n = sp->n_tgt;
  int skip_self = !sp->autapses && i < n;
  Stream s;
  stream_init(&s, sp->seed, PURPOSE_ROW, i);
  switch (sp->rule) {
  case RT_CONN_ALL_TO_ALL:
    for (uint32_t j = 0; j < n; j++)
      if (!(skip_self && j == i) && push_tgt(c, cap, j)) return -1;
    return 0;
  case RT_CONN_ONE_TO_ONE:
    return push_tgt(c, cap, i);
  case RT_CONN_FIXED_PROB: {
    if (sp->p <= 0) return 0;
    if (sp->p >= 1) {
      for (uint32_t j = 0; j < n; j++)
        if (!(skip_self && j == i) && push_tgt(c, cap, j)) return -1;
      return 0;
    }
    /* geometric gaps between successes: O(number of synapses) draws,
     * RT_GAP_BLOCK at a time (the rest of the last block is unused) */
    double gap[RT_GAP_BLOCK];
    double j = -1;
    for (;;) {
      stream_gaps(&s, lq, gap);
      for (int q = 0; q < RT_GAP_BLOCK; q++) {
        j += 1 + gap[q];
        if (!(j < n)) return 0;
        uint32_t jj = (uint32_t)j;
        if (!(skip_self && jj == i) && push_tgt(c, cap, jj)) return -1;
      }
    }
  }
  case RT_CONN_FIXED_OUTDEGREE: {
    uint32_t navail = n - (skip_self ? 1 : 0);
    choose(&s, navail, sp->k, sp->multapses, 1, scratch, mark);
    for (uint32_t q = 0; q < sp->k; q++) {
      uint32_t j = scratch[q] + (skip_self && scratch[q] >= i ? 1 : 0);
      if (push_tgt(c, cap, j)) return -1;
    }
    return 0;
  }
  default:
    return -1;
  }
}

static int check_spec(const RtConnSpec *sp, char *err, size_t errlen) {
  if (sp->n_src == 0 || sp->n_tgt == 0)
    return fail(err, errlen, "a projection needs at least one source and one target (%u -> %u)",
                sp->n_src, sp->n_tgt);
  if (sp->delay_lo < 1)
    return fail(err, errlen,
                "delay of 0 steps is shorter than one time step (dt); the minimum delay is 1 step");
  if (sp->delay_hi < sp->delay_lo || sp->delay_hi > RT_DELAY_MAX)
    return fail(err, errlen, "delay range [%u, %u] steps is invalid (1 <= lo <= hi <= %u)",
                sp->delay_lo, sp->delay_hi, RT_DELAY_MAX);
  if (!isfinite(sp->weight)) return fail(err, errlen, "the weight is not finite");
  int self = !sp->autapses;
  switch (sp->rule) {
  case RT_CONN_ALL_TO_ALL: return 0;
  case RT_CONN_ONE_TO_ONE:
    if (sp->n_src != sp->n_tgt)
      return fail(err, errlen, "one-to-one needs as many sources as targets (%u != %u)",
                  sp->n_src, sp->n_tgt);
    if (self)
      return fail(err, errlen,
                  "one-to-one with autapses excluded connects nothing (i -> i only)");
    return 0;
  case RT_CONN_FIXED_PROB:
    if (!(sp->p >= 0 && sp->p <= 1))
      return fail(err, errlen, "connection probability %g is not in [0, 1]", sp->p);
    return 0;
  case RT_CONN_FIXED_INDEGREE:
  case RT_CONN_FIXED_OUTDEGREE: {
    int in = sp->rule == RT_CONN_FIXED_INDEGREE;
    uint32_t pool = in ? sp->n_src : sp->n_tgt;
    uint32_t other = in ? sp->n_tgt : sp->n_src;
    /* the pool of every row, worst case (an autapse is excluded only for
     * indices present on both sides) */
    uint32_t navail = pool - (self && other > 0 && pool > 0 ? 1 : 0);
    if (sp->multapses ? navail == 0 && sp->k > 0 : sp->k > navail)
      return fail(err, errlen,
                  "fixed %s-degree %u exceeds the %u distinct %s available without multapses%s",
                  in ? "in" : "out", sp->k, navail, in ? "sources" : "targets",
                  self ? " and autapses" : "");
    return 0;
  }
  }
  return fail(err, errlen, "unknown connection rule %d", (int)sp->rule);
}

int rt_conn_build(RtConn *c, const RtConnSpec *sp, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  if (check_spec(sp, err, errlen)) return -1;
  c->n_src = sp->n_src;
  c->n_tgt = sp->n_tgt;
  uint32_t *scratch = NULL;
  uint8_t *mark = NULL;
  if (!(c->row = calloc((size_t)sp->n_src + 1, sizeof(uint64_t)))) goto oom;
  if (sp->rule == RT_CONN_FIXED_INDEGREE) {
    /* sources per target from the target's stream, then transposed: each
     * source row comes out sorted by target */
    uint64_t total = (uint64_t)sp->n_tgt * sp->k;
    if (total > SIZE_MAX / sizeof(uint32_t)) goto oom;
    size_t tn = total ? (size_t)total : 1;
    /* 16-bit targets are written directly: no second array and pass */
    int narrow = sp->narrow && sp->n_tgt <= 65536;
    if (!(scratch = malloc(tn * sizeof(uint32_t))) || !(mark = calloc(sp->n_src, 1)) ||
        !(narrow ? (void *)(c->tgt16 = malloc(tn * sizeof(uint16_t)))
                 : (void *)(c->tgt = malloc(tn * sizeof(uint32_t)))))
      goto oom;
    for (uint32_t j = 0; j < sp->n_tgt; j++) {
      Stream s;
      stream_init(&s, sp->seed, PURPOSE_COLUMN, j);
      int skip_self = !sp->autapses && j < sp->n_src;
      uint32_t *col = scratch + (size_t)j * sp->k;
      choose(&s, sp->n_src - (skip_self ? 1 : 0), sp->k, sp->multapses, 0, col, mark);
      for (uint32_t q = 0; q < sp->k; q++) {
        if (skip_self && col[q] >= j) col[q]++;
        c->row[col[q] + 1]++;
      }
    }
    for (uint32_t i = 0; i < sp->n_src; i++) c->row[i + 1] += c->row[i];
    uint64_t *fillp = malloc(((size_t)sp->n_src + 1) * sizeof(uint64_t));
    if (!fillp) goto oom;
    memcpy(fillp, c->row, ((size_t)sp->n_src + 1) * sizeof(uint64_t));
    for (uint32_t j = 0; j < sp->n_tgt; j++)
      for (uint32_t q = 0; q < sp->k; q++) {
        uint64_t k = fillp[scratch[(size_t)j * sp->k + q]]++;
        if (narrow) c->tgt16[k] = (uint16_t)j;
        else c->tgt[k] = j;
      }
    free(fillp);
    c->n_syn = total;
  } else {
    uint64_t cap = 0;
    if (sp->narrow && sp->n_tgt <= 65536) { /* 16-bit targets from the start */
      if (!(c->tgt16 = malloc(1024 * sizeof(uint16_t)))) goto oom;
      cap = 1024;
    }
    if (sp->rule == RT_CONN_FIXED_OUTDEGREE &&
        (!(scratch = malloc(((size_t)sp->k + 1) * sizeof(uint32_t))) ||
         !(mark = calloc(sp->n_tgt, 1))))
      goto oom;
    /* log(1 - p) of the fixed-probability rule, once per projection */
    double lq = sp->rule == RT_CONN_FIXED_PROB && sp->p > 0 && sp->p < 1 ? log1p(-sp->p) : 0;
    for (uint32_t i = 0; i < sp->n_src; i++) {
      if (build_row(c, sp, i, &cap, scratch, mark, lq)) goto oom;
      c->row[i + 1] = c->n_syn;
    }
    if (c->n_syn && c->n_syn < cap) { /* give back the slack of the doubling */
      if (c->tgt16) {
        uint16_t *t = realloc(c->tgt16, (size_t)c->n_syn * sizeof(uint16_t));
        if (t) c->tgt16 = t;
      } else {
        uint32_t *t = realloc(c->tgt, (size_t)c->n_syn * sizeof(uint32_t));
        if (t) c->tgt = t;
      }
    }
    if (!c->tgt && !c->tgt16 && !(c->tgt = malloc(sizeof(uint32_t)))) goto oom;
  }
  free(scratch);
  free(mark);
  scratch = NULL;
  mark = NULL;
  if (fill_weights_delays(c, sp->weight, sp->weight_f32, sp->weight_shared, sp->delay_lo,
                          sp->delay_hi, sp->seed, err, errlen)) {
    rt_conn_free(c);
    return -1;
  }
  if (sp->narrow && c->n_tgt <= 65536 && !c->tgt16 && narrow_targets(c)) goto oom;
  return 0;
oom:
  free(scratch);
  free(mark);
  rt_conn_free(c);
  return fail(err, errlen, "out of memory building a projection of %u -> %u neurons",
              sp->n_src, sp->n_tgt);
}

int rt_conn_from_edges(RtConn *c, uint32_t n_src, uint32_t n_tgt, size_t m,
                       const uint32_t *src, const uint32_t *tgt, const double *w,
                       const uint32_t *delay, int weight_f32, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  if (n_src == 0 || n_tgt == 0)
    return fail(err, errlen, "a projection needs at least one source and one target (%u -> %u)",
                n_src, n_tgt);
  uint32_t dmin = UINT32_MAX, dmax = 0;
  for (size_t e = 0; e < m; e++) {
    if (src[e] >= n_src || tgt[e] >= n_tgt)
      return fail(err, errlen, "synapse %zu (source %u -> target %u): index out of range "
                  "(%u sources, %u targets)", e, src[e], tgt[e], n_src, n_tgt);
    if (!isfinite(w[e]))
      return fail(err, errlen, "synapse %zu (source %u -> target %u): weight is not finite",
                  e, src[e], tgt[e]);
    uint32_t d = delay ? delay[e] : 1;
    if (d < 1)
      return fail(err, errlen,
                  "synapse %zu (source %u -> target %u): delay of 0 steps is shorter than one "
                  "time step (dt); the minimum delay is 1 step", e, src[e], tgt[e]);
    if (d > RT_DELAY_MAX)
      return fail(err, errlen,
                  "synapse %zu (source %u -> target %u): delay of %u steps exceeds the "
                  "maximum of %u steps", e, src[e], tgt[e], d, RT_DELAY_MAX);
    if (d < dmin) dmin = d;
    if (d > dmax) dmax = d;
  }
  size_t cnt = m ? m : 1;
  size_t *by_tgt = NULL, *tcount = NULL;
  c->n_src = n_src;
  c->n_tgt = n_tgt;
  c->n_syn = m;
  c->weight_f32 = weight_f32;
  if (!(c->row = calloc((size_t)n_src + 1, sizeof(uint64_t))) ||
      !(c->tgt = malloc(cnt * sizeof(uint32_t))) ||
      !(weight_f32 ? (void *)(c->w32 = malloc(cnt * sizeof(float)))
                   : (void *)(c->w = malloc(cnt * sizeof(double)))) ||
      !(by_tgt = malloc(cnt * sizeof(size_t))) ||
      !(tcount = calloc((size_t)n_tgt + 1, sizeof(size_t))))
    goto oom;
  if (m == 0) dmin = dmax = 1;
  c->delay_min = m ? dmin : 0;
  c->delay_max = m ? dmax : 0;
  if (dmin == dmax) {
    c->delay_width = RT_DELAY_UNIFORM;
    c->delay_uniform = dmin;
  } else if (dmax <= UINT8_MAX) {
    c->delay_width = RT_DELAY_U8;
    if (!(c->d8 = malloc(cnt))) goto oom;
  } else {
    c->delay_width = RT_DELAY_U16;
    if (!(c->d16 = malloc(cnt * 2))) goto oom;
  }
  /* two stable counting sorts, by target then by source: rows sorted by
   * target, equal (source, target) pairs in input order */
  for (size_t e = 0; e < m; e++) tcount[tgt[e] + 1]++;
  for (uint32_t j = 0; j < n_tgt; j++) tcount[j + 1] += tcount[j];
  for (size_t e = 0; e < m; e++) by_tgt[tcount[tgt[e]]++] = e;
  for (size_t e = 0; e < m; e++) c->row[src[e] + 1]++;
  for (uint32_t i = 0; i < n_src; i++) c->row[i + 1] += c->row[i];
  free(tcount);
  tcount = NULL;
  uint64_t *fillp = malloc(((size_t)n_src + 1) * sizeof(uint64_t));
  if (!fillp) goto oom;
  memcpy(fillp, c->row, ((size_t)n_src + 1) * sizeof(uint64_t));
  for (size_t q = 0; q < m; q++) {
    size_t e = by_tgt[q];
    uint64_t k = fillp[src[e]]++;
    c->tgt[k] = tgt[e];
    if (weight_f32) c->w32[k] = (float)w[e];
    else c->w[k] = w[e];
    if (c->d8) c->d8[k] = (uint8_t)delay[e];
    else if (c->d16) c->d16[k] = (uint16_t)delay[e];
  }
  free(fillp);
  free(by_tgt);
  return 0;
oom:
  free(by_tgt);
  free(tcount);
  rt_conn_free(c);
  return fail(err, errlen, "out of memory for an edge list of %zu synapses", m);
}

int rt_delays_to_steps(size_t m, const double *delay, double dt, uint32_t *steps,
                       double *max_rel_err, char *err, size_t errlen) {
  double worst = 0;
  if (!(dt > 0) || !isfinite(dt)) return fail(err, errlen, "time step %g s is not positive", dt);
  for (size_t e = 0; e < m; e++) {
    double d = delay[e];
    if (!(d >= dt * (1 - 1e-12)))
      return fail(err, errlen,
                  "synapse %zu: delay %g ms is shorter than the time step dt = %g ms; the "
                  "minimum delay is one step", e, d * 1e3, dt * 1e3);
    double s = nearbyint(d / dt);
    if (!(s <= RT_DELAY_MAX))
      return fail(err, errlen, "synapse %zu: delay %g ms is more than %u steps of dt = %g ms",
                  e, d * 1e3, RT_DELAY_MAX, dt * 1e3);
    steps[e] = (uint32_t)s;
    double rel = fabs(s * dt - d) / d;
    if (rel > worst) worst = rel;
  }
  if (max_rel_err) *max_rel_err = worst;
  return 0;
}

/* ---- ring buffers ----------------------------------------------------------- */

int rt_ring_init(RtRing *r, uint32_t n_tgt, uint32_t max_delay, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (max_delay < 1 || max_delay > RT_DELAY_MAX)
    return fail(err, errlen, "ring buffer: maximum delay %u steps is not in [1, %u]", max_delay,
                RT_DELAY_MAX);
  r->n_tgt = n_tgt;
  r->max_delay = max_delay;
  r->nslots = max_delay + 1;
  r->stride = ((size_t)n_tgt + 7) / 8 * 8; /* each slot on a cache line */
  if (r->stride && r->nslots > SIZE_MAX / sizeof(double) / r->stride)
    return fail(err, errlen, "ring buffer of %u slots x %u targets is too large", r->nslots,
                n_tgt);
  r->buf = rt_aligned_alloc((size_t)r->nslots * r->stride * sizeof(double));
  /* a listed target costs two reads and a write at the drain, a dense slot
   * one per target: past n_tgt / 4 listed entries the dense pass wins */
  r->list_cap = n_tgt / 4;
  r->list = malloc(((size_t)r->nslots * r->list_cap + 1) * sizeof *r->list);
  r->nlist = calloc(r->nslots, sizeof *r->nlist);
  if (!r->buf || !r->list || !r->nlist) {
    rt_ring_free(r);
    return fail(err, errlen, "out of memory for a ring buffer of %u slots x %u targets",
                r->nslots, n_tgt);
  }
  return 0;
}

void rt_ring_free(RtRing *r) {
  if (!r) return;
  rt_aligned_free(r->buf);
  free(r->list);
  free(r->nlist);
  r->buf = NULL;
  r->list = r->nlist = NULL;
}

/* Slot `slot` receives the n targets t[0..n): list them while it is sparse. */
static inline void ring_note(RtRing *r, uint32_t slot, const uint32_t *t, uint64_t n) {
  uint32_t have = r->nlist[slot];
  if (have == RT_RING_DENSE) return;
  if (n > r->list_cap - have) {
    r->nlist[slot] = RT_RING_DENSE;
    return;
  }
  memcpy(r->list + (size_t)slot * r->list_cap + have, t, (size_t)n * sizeof *t);
  r->nlist[slot] = have + (uint32_t)n;
}

static int ring_check(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n,
                      uint32_t lo, uint32_t hi) {
  if (hi > c->n_tgt || lo > hi || hi - lo != r->n_tgt) {
    snprintf(r->err, sizeof r->err, "projection targets [%u, %u) of %u do not match the ring buffer's %u",
             lo, hi, c->n_tgt, r->n_tgt);
    return -1;
  }
  if (c->delay_max > r->max_delay) {
    snprintf(r->err, sizeof r->err,
             "projection has delays up to %u steps but the ring buffer holds %u", c->delay_max,
             r->max_delay);
    return -1;
  }
  if (step < 0) {
    snprintf(r->err, sizeof r->err, "negative step %lld", (long long)step);
    return -1;
  }
  for (size_t q = 0; q < n; q++)
    if (src[q] >= c->n_src) {
      snprintf(r->err, sizeof r->err, "spike of source %u at step %lld: only %u sources",
               src[q], (long long)step, c->n_src);
      return -1;
    }
  return 0;
}

/* The synapses of row i whose targets lie in [lo, hi): rows are sorted by
 * target, so a binary search finds the first. */
static inline void row_range(const RtConn *c, uint32_t i, uint32_t lo, uint32_t hi, uint64_t *k0,
                             uint64_t *k1) {
  uint64_t a = c->row[i], b = c->row[i + 1];
  if (lo == 0 && hi == c->n_tgt) {
    *k0 = a;
    *k1 = b;
    return;
  }
  uint64_t x = a, y = b;
  while (x < y) { /* first k with tgt[k] >= lo */
    uint64_t m = x + (y - x) / 2;
    if (rt_conn_target(c, m) < lo) x = m + 1;
    else y = m;
  }
  *k0 = x;
  for (y = b; x < y;) { /* first k with tgt[k] >= hi */
    uint64_t m = x + (y - x) / 2;
    if (rt_conn_target(c, m) < hi) x = m + 1;
    else y = m;
  }
  *k1 = x;
}

/* Slot `slot` receives the targets tgt[k0..k1) - lo: list them while it
 * is sparse. */
static inline void ring_note_range(RtRing *r, uint32_t slot, const uint32_t *t, uint64_t n,
                                   uint32_t lo) {
  if (lo == 0) {
    ring_note(r, slot, t, n);
    return;
  }
  uint32_t have = r->nlist[slot];
  if (have == RT_RING_DENSE) return;
  if (n > r->list_cap - have) {
    r->nlist[slot] = RT_RING_DENSE;
    return;
  }
  uint32_t *l = r->list + (size_t)slot * r->list_cap + have;
  for (uint64_t q = 0; q < n; q++) l[q] = t[q] - lo;
  r->nlist[slot] = have + (uint32_t)n;
}

static inline void ring_note_range16(RtRing *r, uint32_t slot, const uint16_t *t, uint64_t n,
                                     uint32_t lo) {
  uint32_t have = r->nlist[slot];
  if (have == RT_RING_DENSE) return;
  if (n > r->list_cap - have) {
    r->nlist[slot] = RT_RING_DENSE;
    return;
  }
  uint32_t *l = r->list + (size_t)slot * r->list_cap + have;
  for (uint64_t q = 0; q < n; q++) l[q] = (uint32_t)t[q] - lo;
  r->nlist[slot] = have + (uint32_t)n;
}

/* One row's synapses [k0, k1) into the slot `in` (targets - lo), for a
 * uniform delay: the hot loop of delivery, one version per storage. */
static void deliver_row(RtRing *r, const RtConn *c, uint32_t slot, double *restrict in, uint64_t k0,
                        uint64_t k1, uint32_t lo) {
  if (c->tgt16) {
    const uint16_t *restrict tg = c->tgt16;
    uint32_t have = r->nlist[slot];
    if (c->weight_shared && have != RT_RING_DENSE && k1 - k0 <= r->list_cap - have) {
      /* the common case (CUBA): add and note the targets in one pass */
      const double w = c->weight;
      uint32_t *restrict l = r->list + (size_t)slot * r->list_cap + have;
      for (uint64_t k = k0; k < k1; k++) {
        uint32_t j = (uint32_t)tg[k] - lo;
        in[j] += w;
        *l++ = j;
      }
      r->nlist[slot] = have + (uint32_t)(k1 - k0);
      return;
    }
    if (c->weight_shared) {
      const double w = c->weight;
      for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += w;
    } else if (c->weight_f32) {
      for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += (double)c->w32[k];
    } else {
      for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += c->w[k];
    }
    ring_note_range16(r, slot, tg + k0, k1 - k0, lo);
    return;
  }
  const uint32_t *restrict tg = c->tgt;
  if (c->weight_shared) {
    const double w = c->weight;
    for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += w;
  } else if (c->weight_f32) {
    for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += (double)c->w32[k];
  } else {
    for (uint64_t k = k0; k < k1; k++) in[tg[k] - lo] += c->w[k];
  }
  ring_note_range(r, slot, tg + k0, k1 - k0, lo);
}

/* One synapse k into its slot (per-synapse delays, plasticity). */
static inline void deliver_one(RtRing *r, const RtConn *c, uint32_t slot, uint64_t k, uint32_t lo,
                               double w) {
  uint32_t j = rt_conn_target(c, k);
  r->buf[(size_t)slot * r->stride + (j - lo)] += w;
  uint32_t local = j; /* ring_note_range subtracts lo */
  ring_note_range(r, slot, &local, 1, lo);
}

int rt_deliver(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n) {
  return rt_deliver_part(r, c, step, src, n, 0, c->n_tgt);
}

uint32_t *rt_conn_cuts(const RtConn *c, uint32_t lo, uint32_t hi) {
  uint32_t *cut = malloc(2 * ((size_t)c->n_src + 1) * sizeof *cut);
  if (!cut) return NULL;
  for (uint32_t i = 0; i < c->n_src; i++) {
    uint64_t k0, k1;
    if (c->row[i + 1] - c->row[i] > UINT32_MAX) { /* offsets within a row do not fit */
      free(cut);
      return NULL;
    }
    row_range(c, i, lo, hi, &k0, &k1);
    cut[2 * (size_t)i] = (uint32_t)(k0 - c->row[i]);
    cut[2 * (size_t)i + 1] = (uint32_t)(k1 - c->row[i]);
  }
  return cut;
}

int rt_deliver_part(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n,
                    uint32_t lo, uint32_t hi) {
  return rt_deliver_cut(r, c, step, src, n, lo, hi, NULL);
}

int rt_deliver_cut(RtRing *r, const RtConn *c, int64_t step, const uint32_t *src, size_t n, uint32_t lo,
                   uint32_t hi, const uint32_t *cut) {
  if (ring_check(r, c, step, src, n, lo, hi)) return -1;
  const uint32_t base = (uint32_t)((uint64_t)step % r->nslots);
  const size_t stride = r->stride;
  double *const buf = r->buf; /* holds targets [lo, hi) at index target - lo */
  for (size_t q = 0; q < n; q++) {
    /* the rows of the next spikes start at random places: fetch their
     * offsets two spikes ahead and their first targets one ahead */
    if (q + 2 < n) __builtin_prefetch(&c->row[src[q + 2]]);
    if (q + 1 < n) {
      uint64_t nk = c->row[src[q + 1]];
      if (c->tgt16) __builtin_prefetch(&c->tgt16[nk]);
      else __builtin_prefetch(&c->tgt[nk]);
    }
    uint64_t k0, k1;
    if (cut) {
      k0 = c->row[src[q]] + cut[2 * (size_t)src[q]];
      k1 = c->row[src[q]] + cut[2 * (size_t)src[q] + 1];
    } else
      row_range(c, src[q], lo, hi, &k0, &k1);
    if (c->delay_width == RT_DELAY_UNIFORM) {
      uint32_t slot = base + c->delay_uniform;
      if (slot >= r->nslots) slot -= r->nslots;
      deliver_row(r, c, slot, buf + (size_t)slot * stride, k0, k1, lo);
    } else {
      for (uint64_t k = k0; k < k1; k++) {
        uint32_t slot = base + rt_conn_delay(c, k);
        if (slot >= r->nslots) slot -= r->nslots;
        deliver_one(r, c, slot, k, lo, rt_conn_weight(c, k));
      }
    }
  }
  return 0;
}

void rt_take(RtRing *r, int64_t step, double *out) {
  uint32_t slot = (uint32_t)((uint64_t)step % r->nslots);
  double *in = r->buf + (size_t)slot * r->stride;
  memcpy(out, in, (size_t)r->n_tgt * sizeof(double));
  memset(in, 0, (size_t)r->n_tgt * sizeof(double));
  r->nlist[slot] = 0;
}

/* The dense drain is a plain streaming loop: let the compiler vectorise it
 * (gcc -O2's cost model leaves loops with a remainder scalar; clang
 * vectorises at -O2 and knows no `optimize` attribute). */
#if defined(__GNUC__) && !defined(__clang__)
#define RT_VECTORISE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define RT_VECTORISE
#endif
RT_VECTORISE void
rt_drain(RtRing *r, int64_t step, double *restrict x) {
  uint32_t slot = (uint32_t)((uint64_t)step % r->nslots);
  double *restrict in = r->buf + (size_t)slot * r->stride;
  uint32_t nl = r->nlist[slot];
  if (nl == RT_RING_DENSE) {
    for (uint32_t j = 0; j < r->n_tgt; j++) {
      x[j] += in[j];
      in[j] = 0;
    }
  } else {
    /* a repeated target finds its entry already cleared: x += 0 */
    const uint32_t *l = r->list + (size_t)slot * r->list_cap;
    for (uint32_t q = 0; q < nl; q++) {
      uint32_t j = l[q];
      x[j] += in[j];
      in[j] = 0;
    }
  }
  r->nlist[slot] = 0;
}

void rt_drain_into(RtRing *r, int64_t step, double *const *x, const double *c, int n) {
  if (n == 1 && c[0] == 1) { /* target X: the common case */
    rt_drain(r, step, x[0]);
    return;
  }
  uint32_t slot = (uint32_t)((uint64_t)step % r->nslots);
  double *restrict in = r->buf + (size_t)slot * r->stride;
  uint32_t nl = r->nlist[slot];
  const uint32_t *l = nl == RT_RING_DENSE ? NULL : r->list + (size_t)slot * r->list_cap;
  uint32_t m = l ? nl : r->n_tgt;
  for (uint32_t q = 0; q < m; q++) {
    uint32_t j = l ? l[q] : q;
    double v = in[j];
    in[j] = 0; /* a repeated target finds its entry cleared: adds 0 */
    for (int e = 0; e < n; e++) x[e][j] += c[e] * v;
  }
  r->nlist[slot] = 0;
}

/* ---- Tsodyks–Markram ------------------------------------------------------- */

double rt_tm_spike(const RtTmParams *p, double *u, double *R, double *t_last, double t) {
  double uu = *u, RR = *R;
  if (!isnan(*t_last)) {
    double D = t - *t_last;
    uu = p->tau_fac > 0 ? uu * exp(-D / p->tau_fac) : 0;
    RR = p->tau_rec > 0 ? 1 - (1 - RR) * exp(-D / p->tau_rec) : 1;
  }
  if (!(p->tau_fac > 0)) uu = 0; /* no facilitation: u = U at every spike */
  uu += p->U * (1 - uu);
  double release = uu * RR;
  *u = uu;
  *R = RR - release;
  *t_last = t;
  return release;
}

int rt_stp_init(RtStp *s, const RtConn *c, RtTmParams p, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  if (!(p.U > 0 && p.U <= 1) || !(p.tau_rec >= 0) || !(p.tau_fac >= 0) || !isfinite(p.tau_rec) ||
      !isfinite(p.tau_fac))
    return fail(err, errlen,
                "Tsodyks-Markram parameters U = %g, tau_rec = %g s, tau_fac = %g s: need "
                "0 < U <= 1 and finite time constants >= 0", p.U, p.tau_rec, p.tau_fac);
  size_t n = c->n_syn ? (size_t)c->n_syn : 1;
  s->p = p;
  s->n_syn = c->n_syn;
  s->u = malloc(n * sizeof(double));
  s->R = malloc(n * sizeof(double));
  s->t_last = malloc(n * sizeof(double));
  if (!s->u || !s->R || !s->t_last) {
    rt_stp_free(s);
    return fail(err, errlen, "out of memory for the plasticity state of %llu synapses",
                (unsigned long long)c->n_syn);
  }
  for (uint64_t k = 0; k < c->n_syn; k++) {
    s->u[k] = 0;
    s->R[k] = 1;
    s->t_last[k] = NAN;
  }
  return 0;
}

void rt_stp_free(RtStp *s) {
  if (!s) return;
  free(s->u);
  free(s->R);
  free(s->t_last);
  s->u = s->R = s->t_last = NULL;
}

int rt_deliver_stp(RtRing *r, const RtConn *c, RtStp *s, int64_t step, const uint32_t *src,
                   const double *t, size_t n) {
  return rt_deliver_stp_part(r, c, s, step, src, t, n, 0, c->n_tgt);
}

int rt_deliver_stp_part(RtRing *r, const RtConn *c, RtStp *s, int64_t step, const uint32_t *src,
                        const double *t, size_t n, uint32_t lo, uint32_t hi) {
  if (ring_check(r, c, step, src, n, lo, hi)) return -1;
  if (s->n_syn != c->n_syn) {
    snprintf(r->err, sizeof r->err, "plasticity state has %llu synapses, the projection %llu",
             (unsigned long long)s->n_syn, (unsigned long long)c->n_syn);
    return -1;
  }
  for (size_t q = 0; q < n; q++) {
    uint64_t k0, k1;
    row_range(c, src[q], lo, hi, &k0, &k1);
    if (k0 < k1 && !(isnan(s->t_last[k0]) || t[q] >= s->t_last[k0])) {
      snprintf(r->err, sizeof r->err,
               "spike of source %u at t = %g ms precedes its previous spike at %g ms",
               src[q], t[q] * 1e3, s->t_last[k0] * 1e3);
      return -1;
    }
  }
  const uint32_t base = (uint32_t)((uint64_t)step % r->nslots);
  for (size_t q = 0; q < n; q++) {
    uint64_t k0, k1;
    row_range(c, src[q], lo, hi, &k0, &k1);
    for (uint64_t k = k0; k < k1; k++) {
      double rel = rt_tm_spike(&s->p, &s->u[k], &s->R[k], &s->t_last[k], t[q]);
      uint32_t slot = base + rt_conn_delay(c, k);
      if (slot >= r->nslots) slot -= r->nslots;
      deliver_one(r, c, slot, k, lo, rt_conn_weight(c, k) * rel);
    }
  }
  return 0;
}

/* ---- Poisson input ----------------------------------------------------------- */

int rt_poisson_table_init(RtPoissonTable *t, double lam) {
  memset(t, 0, sizeof *t);
  uint32_t cap = (uint32_t)(lam + 13 * sqrt(lam) + 40);
  if (!(t->T = malloc((size_t)cap * sizeof *t->T))) return -1;
  /* log-space terms: e^-lam underflows for lam > 745 */
  const double two32 = 4294967296.0, ll = log(lam);
  double F = 0;
  uint32_t n = 0;
  for (; n + 1 < cap; n++) {
    F += lam > 0 ? exp(-lam + n * ll - lgamma(n + 1.0)) : (n == 0);
    double v = floor(F * two32);
    if (v >= two32 || (n > lam && (1 - F) * two32 < 0.5)) break;
    t->T[n] = (uint64_t)v;
  }
  t->T[n] = (uint64_t)1 << 32;
  t->len = n + 1;
  uint32_t j = 0;
  for (uint32_t b = 0; b <= 256; b++) {
    while (j + 1 < t->len && t->T[j] <= ((uint64_t)b << 24)) j++;
    t->guide[b] = j;
  }
  return 0;
}

