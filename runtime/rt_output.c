/* runtime/rt_output.c — the output contract of a simulation run:
 *   OUT/trace.csv   "t [ms],V [mV],..." then one row per record point (a
 *                   network's chosen neurons: "V@exc[0] [mV]", ...)
 *   OUT/trace.npy   the same numbers as a (rows, cols) float64 array
 *   OUT/spikes.csv  "t [ms],id", one line per spike sorted by time (or .npy)
 *   OUT/run.json    settings, parameters, states, counts, column names and
 *                   "completed" (written at the end of every run that got as
 *                   far as creating OUT, failed ones included)
 * All values are display values: SI / scale.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "msnrt_network.h"
#include "rt_internal.h"
#include "rt_network.h"

/* Large stdio buffer: the trace is written value by value, never flushed
 * until the end, so its cost is the formatting alone. */
#define RT_IOBUF (1 << 20)

int rt_mkdir_p(const char *path) {
  size_t len = strlen(path);
  char *p = malloc(len + 1);
  if (!p) return ENOMEM;
  memcpy(p, path, len + 1);
  int rc = 0;
  for (size_t i = 1; i <= len && rc == 0; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char keep = p[i];
    p[i] = '\0';
    struct stat st;
    if (mkdir(p, 0777) != 0) {
      if (errno != EEXIST) rc = errno;
      else if (stat(p, &st) != 0) rc = errno;
      else if (!S_ISDIR(st.st_mode)) rc = ENOTDIR;
    }
    p[i] = keep;
  }
  free(p);
  return rc;
}

static char *out_path(const RtRun *r, const char *file) {
  size_t n = strlen(r->opt.out_dir) + strlen(file) + 2;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s/%s", r->opt.out_dir, file);
  return s;
}

/* ---- NumPy .npy ----------------------------------------------------------- */

static bool host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* .npy data is declared '<f8': swap on big-endian hosts. */
static size_t write_le_doubles(FILE *f, const double *v, size_t n) {
  if (host_is_little_endian()) return fwrite(v, sizeof(double), n, f);
  for (size_t i = 0; i < n; i++) {
    unsigned char b[8], s[8];
    memcpy(b, &v[i], 8);
    for (int k = 0; k < 8; k++) s[k] = b[7 - k];
    if (fwrite(s, 1, 8, f) != 8) return i;
  }
  return n;
}

/* Format version 1.0: magic, version, little-endian uint16 header length,
 * then a Python dict literal padded with spaces and ended by '\n' so that
 * the data starts at a multiple of 64 bytes. */
bool rt_npy_header(FILE *f, int64_t rows, int64_t cols) {
  unsigned char h[RT_NPY_HEADER];
  const size_t pre = 10, dictlen = RT_NPY_HEADER - pre;
  memcpy(h, "\x93NUMPY\x01\x00", 8);
  h[8] = (unsigned char)(dictlen & 0xff);
  h[9] = (unsigned char)(dictlen >> 8);
  char dict[RT_NPY_HEADER];
  int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (%lld, %lld), }",
                   (long long)rows, (long long)cols);
  if (n < 0 || (size_t)n >= dictlen) return false;
  memset(h + pre, ' ', dictlen);
  memcpy(h + pre, dict, (size_t)n);
  h[RT_NPY_HEADER - 1] = '\n';
  return fwrite(h, 1, sizeof h, f) == sizeof h;
}

/* ---- trace ---------------------------------------------------------------- */

static char *column_name(const MsnStateDesc *s, int64_t inst, bool many) {
  const char *unit = s->unit ? s->unit : "1";
  size_t n = strlen(s->name) + strlen(unit) + 32;
  char *c = malloc(n);
  if (!c) return NULL;
  if (many) snprintf(c, n, "%s[%lld] [%s]", s->name, (long long)inst, unit);
  else snprintf(c, n, "%s [%s]", s->name, unit);
  return c;
}

/* The instances in the trace: a network's neurons of `record X of
 * exc[0, 5]` (*list), or all r->n instances (*list NULL). */
static int64_t trace_instances(const RtRun *r, const int64_t **list) {
  const MsnNetwork *d = r->m->network; /* checked by rt_network_start after the trace is opened */
  *list = d && d->version == MSN_NETWORK_VERSION && d->nrec > 0 ? d->rec : NULL;
  return *list ? d->nrec : r->n;
}

/* "V@exc[0] [mV]": state, neuron, unit. */
static char *neuron_column_name(const RtRun *r, const MsnStateDesc *s, int64_t inst) {
  char who[160];
  rt_network_neuron_name(r, inst, who, sizeof who);
  const char *unit = s->unit ? s->unit : "1";
  size_t n = strlen(s->name) + strlen(who) + strlen(unit) + 8;
  char *c = malloc(n);
  if (c) snprintf(c, n, "%s@%s [%s]", s->name, who, unit);
  return c;
}

static bool make_colnames(RtRun *r) {
  const MsnModel *m = r->m;
  const int64_t *list;
  int64_t ni = trace_instances(r, &list);
  int64_t ncols = 1 + (int64_t)m->nrecords * ni;
  r->colnames = calloc((size_t)ncols, sizeof *r->colnames);
  if (!r->colnames) return false;
  r->trace.ncols = ncols;
  r->colnames[0] = strdup("t [ms]");
  if (!r->colnames[0]) return false;
  int64_t c = 1;
  for (int32_t k = 0; k < m->nrecords; k++)
    for (int64_t i = 0; i < ni; i++)
      if (!(r->colnames[c++] = list ? neuron_column_name(r, &m->states[m->records[k]], list[i])
                                    : column_name(&m->states[m->records[k]], i, r->n > 1)))
        return false;
  return true;
}

static void io_fail(RtRun *r, const char *what, const char *path, int err) {
  rt_fail(r, RT_EXIT_IO, "cannot %s '%s': %s", what, path, strerror(err));
}

/* CSV trace rows are kept as numbers and formatted csv_batch rows at a
 * time (up to 4096 values, 64 rows): formatting one row between two steps
 * found the formatter's code and tables cold every time, which cost more
 * than the formatting itself (10,001 rows of CUBA's time column).  The
 * rows recorded are rows[0 .. rows % batch) of t->row; rt_trace_close
 * writes what is left. */
static int64_t csv_batch(const RtTrace *t) {
  int64_t b = 4096 / (t->ncols > 0 ? t->ncols : 1);
  return b < 1 ? 1 : b > 64 ? 64 : b;
}

/* Format n rows of t->row ("%.10g" each) and write them, 8 KB at a time. */
static void csv_write_rows(RtRun *r, int64_t n) {
  RtTrace *t = &r->trace;
  char out[8192];
  size_t used = 0;
  const double *v = t->row;
  for (int64_t q = 0; q < n; q++)
    for (int64_t c = 0; c < t->ncols; c++) {
      if (used > sizeof out - 40) { /* a number takes at most 30 bytes */
        fwrite(out, 1, used, t->f);
        used = 0;
      }
      if (c) out[used++] = ',';
      used += (size_t)rt_format_g(*v++, 10, out + used);
      if (c == t->ncols - 1) out[used++] = '\n';
    }
  fwrite(out, 1, used, t->f);
  /* ferror is a flag test; it stops a run on a full disk without waiting
   * for the end. */
  if (ferror(t->f)) {
    t->err = errno ? errno : EIO;
    io_fail(r, "write", t->path, t->err);
  }
}

bool rt_trace_open(RtRun *r) {
  RtTrace *t = &r->trace;
  t->format = r->opt.format;
  const int64_t *list;
  int64_t ni = trace_instances(r, &list);
  for (int64_t i = 0; list && i < ni; i++)
    if (list[i] < 0 || list[i] >= r->n) {
      rt_fail(r, RT_EXIT_USAGE, "invalid model description: recorded neuron %lld of %lld", (long long)list[i],
              (long long)r->n);
      return false;
    }
  if (!make_colnames(r)) {
    rt_fail(r, RT_EXIT_IO, "out of memory for %lld trace columns", (long long)t->ncols);
    return false;
  }
  t->path = out_path(r, t->format == RT_FORMAT_NPY ? "trace.npy" : "trace.csv");
  t->iobuf = malloc(RT_IOBUF);
  /* npy: one row; CSV: a batch of rows (csv_batch) */
  t->row = malloc((size_t)(t->format == RT_FORMAT_NPY ? 1 : csv_batch(t)) * (size_t)t->ncols *
                  sizeof(double));
  if (!t->path || !t->iobuf || !t->row) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the trace writer");
    return false;
  }
  t->f = fopen(t->path, "wb");
  if (!t->f) {
    io_fail(r, "create", t->path, errno);
    return false;
  }
  setvbuf(t->f, t->iobuf, _IOFBF, RT_IOBUF);
  bool ok;
  if (t->format == RT_FORMAT_NPY) {
    ok = rt_npy_header(t->f, 0, t->ncols); /* patched in rt_trace_close */
  } else {
    for (int64_t c = 0; c < t->ncols; c++) fprintf(t->f, c ? ",%s" : "%s", r->colnames[c]);
    ok = fputc('\n', t->f) != EOF;
  }
  if (!ok) {
    t->err = errno ? errno : EIO;
    io_fail(r, "write", t->path, t->err);
  }
  return ok;
}

void rt_trace_record(RtRun *r, double t_si) {
  RtTrace *t = &r->trace;
  const MsnModel *m = r->m;
  if (!t->f || t->err) return;
  const int64_t *list;
  int64_t ni = trace_instances(r, &list);
  bool npy = t->format == RT_FORMAT_NPY;
  int64_t batch = npy ? 1 : csv_batch(t);
  double *row = t->row + (t->rows % batch) * t->ncols;
  *row++ = t_si / RT_MS;
  for (int32_t k = 0; k < m->nrecords; k++) {
    const double *col = r->cols[m->records[k]];
    double scale = m->states[m->records[k]].scale;
    for (int64_t i = 0; i < ni; i++) *row++ = col[list ? list[i] : i] / scale;
  }
  t->rows++;
  if (npy) {
    write_le_doubles(t->f, t->row, (size_t)t->ncols);
    /* ferror is a flag test; it stops a run on a full disk without
     * waiting for the end. */
    if (ferror(t->f)) {
      t->err = errno ? errno : EIO;
      io_fail(r, "write", t->path, t->err);
    }
  } else if (t->rows % batch == 0) {
    csv_write_rows(r, batch);
  }
}

bool rt_trace_close(RtRun *r) {
  RtTrace *t = &r->trace;
  if (!t->f) return t->err == 0;
  if (t->err == 0 && t->format != RT_FORMAT_NPY && t->rows % csv_batch(t))
    csv_write_rows(r, t->rows % csv_batch(t)); /* the last rows of the batch */
  bool ok = t->err == 0;
  if (ok && t->format == RT_FORMAT_NPY) {
    ok = fflush(t->f) == 0 && fseek(t->f, 0, SEEK_SET) == 0 &&
         rt_npy_header(t->f, t->rows, t->ncols);
    if (!ok) t->err = errno ? errno : EIO;
  }
  errno = 0;
  if (fclose(t->f) != 0 && ok) t->err = errno ? errno : EIO;
  t->f = NULL;
  if (t->err) {
    io_fail(r, "write", t->path, t->err);
    return false;
  }
  return true;
}

/* ---- numbers as text ------------------------------------------------------- */

static const uint64_t p10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
                                 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
                                 10000000000ULL, 100000000000ULL, 1000000000000ULL,
                                 10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
                                 10000000000000000ULL, 100000000000000000ULL,
                                 1000000000000000000ULL, 10000000000000000000ULL};

/* N = round-half-even(m 2^-sh 10^P) (m < 2^53, 3 <= sh <= 66,
 * 0 <= P <= 20: the product is below 2^120), exactly, in 128-bit
 * integers: one multiplication up to 10^19, two above. */
static uint64_t scaled_round(uint64_t m, int sh, int P) {
  unsigned __int128 x = (unsigned __int128)m * p10[P < 19 ? P : 19];
  if (P > 19) x *= p10[P - 19];
  unsigned __int128 qt = x >> sh, rem = x - (qt << sh), half = (unsigned __int128)1 << (sh - 1);
  if (rem > half || (rem == half && (qt & 1))) qt++;
  return (uint64_t)qt;
}

/* 10^k for k = -4 .. 15 as doubles (exact from 10^0 up, nearest below):
 * where the nearest is off, the decimal exponent taken from it is
 * corrected by the rounding check in rt_format_g */
static const double p10d[20] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
                                1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* x < 10^8 as its 8 decimal digits, one per byte, the first in the low
 * byte: the two halves of 4 digits in 32-bit lanes, then each lane split
 * by 100 and each of those 16-bit lanes by 10, the divisions as
 * multiplications by 10486 / 2^20 and 103 / 2^10 (exact for lanes below
 * 10^4 and 100, no carry between lanes) */
static inline uint64_t digits8(uint32_t x) {
  uint64_t v = (uint64_t)(x / 10000) | ((uint64_t)(x % 10000) << 32);
  uint64_t q = ((v * 10486) >> 20) & 0x0000007F0000007FULL;
  v = q | ((v - q * 100) << 16);
  q = ((v * 103) >> 10) & 0x000F000F000F000FULL;
  return q | ((v - q * 10) << 8);
}

/* n bytes, n >= 0, in 8-byte pieces: up to 7 more read and written */
static inline void copy8s(char *dst, const char *src, int n) {
  for (int q = 0; q < n; q += 8) memcpy(dst + q, src + q, 8);
}

/* The fixed notation of N (`digits` digits, the first not 0) with
 * decimal exponent d, -4 <= d < digits: integer digits (at least one),
 * then '.' and the rest without its trailing zeros, into o; returns the
 * length.  Writes at most 29 bytes (pieces of 16 or 8 bytes run past the
 * text). */
static int fixed_notation(uint64_t N, int digits, int d, char *o) {
  const uint64_t ascii = 0x3030303030303030ULL;
  uint64_t top = N / 10000000000000000ULL, rest = N % 10000000000000000ULL;
  uint64_t w1 = digits8((uint32_t)(rest / 100000000)), w2 = digits8((uint32_t)(rest % 100000000));
  /* the 16 low digits, the first in byte 0, then moved so that the first
   * of the `digits` is in byte 0 */
  unsigned __int128 x = ((unsigned __int128)w2 << 64 | w1) >> (8 * (16 - (digits < 16 ? digits : 16)));
  /* significant digits: up to the last byte that is not 0 */
  uint64_t xh = (uint64_t)(x >> 64), xl = (uint64_t)x;
  int nd = xh ? 8 + (71 - __builtin_clzll(xh)) / 8 : xl ? (71 - __builtin_clzll(xl)) / 8 : 0;
  if (digits == 17) nd = nd ? nd + 1 : 1; /* the 17th digit, `top`, comes first */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* the text from registers, no stores and reloads of parts: the digit
   * before x (17 digits), then x's with the '.' let in (the byte it
   * pushes out of the 128 bits stored after them) */
  const unsigned __int128 A = (unsigned __int128)ascii << 64 | ascii;
  int lead = digits == 17;
  if (d >= 0) {
    char *p = o;
    if (lead) *p++ = (char)('0' + top);
    int di = d + 1 - lead;                          /* integer digits from x */
    int len = (nd > d + 1 ? nd : d + 1) - lead;     /* digits from x, <= 16 */
    unsigned __int128 t = len ? x + (A >> (8 * (16 - len))) : 0;
    if (nd > d + 1) { /* di <= 15 here */
      unsigned __int128 ip = ((unsigned __int128)1 << (8 * di)) - 1, fr = t & ~ip;
      p[16] = (char)(fr >> 120);
      t = (t & ip) | ((unsigned __int128)'.' << (8 * di)) | (fr << 8);
      len++;
    }
    memcpy(p, &t, 16);
    p[len] = '\0';
    return (int)(p - o) + len;
  }
  int pre = 1 - d; /* "0." and -d - 1 zeros */
  if (!lead && pre + nd <= 16) {
    unsigned __int128 t = (x + (A >> (8 * (16 - nd)))) << (8 * pre);
    t |= (unsigned __int128)(0x303030302E30ULL & ((1ULL << (8 * pre)) - 1)); /* "0.000" */
    memcpy(o, &t, 16);
    o[pre + nd] = '\0';
    return pre + nd;
  }
#endif
  char d17[32];
  d17[0] = (char)('0' + top);
  w1 += ascii;
  w2 += ascii;
  memcpy(d17 + 1, &w1, 8); /* little-endian: the first digit in byte 0 */
  memcpy(d17 + 9, &w2, 8);
  memset(d17 + 17, 0, 8); /* what the last 8-byte copy may read past the digits */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  for (int q = 0; q < 8; q++) d17[1 + q] = (char)('0' + ((w1 - ascii) >> (8 * q) & 15)), d17[9 + q] = (char)('0' + ((w2 - ascii) >> (8 * q) & 15));
#endif
  const char *dig = d17 + 17 - digits;
  int len;
  if (d >= 0) {
    copy8s(o, dig, d + 1);
    len = d + 1;
    if (nd > d + 1) {
      o[d + 1] = '.';
      copy8s(o + d + 2, dig + d + 1, nd - d - 1);
      len = nd + 1;
    }
  } else { /* 0.000ddd: at most 3 zeros after the point (d >= -4) */
    memcpy(o, "0.000000", 8);
    copy8s(o + 1 - d, dig, nd);
    len = 1 - d + nd;
  }
  o[len] = '\0';
  return len;
}

int rt_format_g(double v, int digits, char *buf) {
  /* the fast path covers |v| in [1e-4, 1e15), 0 and -0, with 1 to 17
   * digits, where %g prints fixed notation: times in ms, ids, state
   * values, rates; printf does the rest (exponent notation, inf, nan) */
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  char *o = buf;
  uint64_t abits = bits & 0x7fffffffffffffffULL;
  double a;
  memcpy(&a, &abits, sizeof a);
  if (!(a >= 1e-4 && a < 1e15) || digits < 1 || digits > 17) {
    if (abits == 0 && digits >= 1 && digits <= 17) { /* "0", "-0" */
      if (bits >> 63) *o++ = '-';
      *o++ = '0';
      *o = '\0';
      return (int)(o - buf);
    }
    return sprintf(buf, "%.*g", digits, v);
  }
  if (bits >> 63) *o++ = '-';
  /* a = m 2^(E - 53) from its bits (a is normal here).  The decimal
   * exponent d of %g is floor(log10 a) unless rounding to `digits` digits
   * carries into the next power of ten: floor((E - 1) log10 2) (in fixed
   * point, 78913 / 2^18) is floor(log10 a) or one less, which a
   * comparison with 10^(d + 1) settles; the loop below only corrects d
   * for a rounding carry (or an inexact 10^(d + 1) below 1). */
  int E = (int)(abits >> 52) - 1022; /* a in [2^(E-1), 2^E), E in [-13, 50] */
  uint64_t m = (abits & 0x000fffffffffffffULL) | 0x0010000000000000ULL;
  int d = ((E - 1) * 78913) >> 18; /* >> of a negative: floor with gcc and clang */
  d += a >= p10d[d + 5];
  uint64_t N = 0;
  for (int tries = 0; tries < 3; tries++) {
    int P = digits - 1 - d;
    if (P < 0) return sprintf(buf, "%.*g", digits, v); /* exponent notation */
    N = scaled_round(m, 53 - E, P);
    if (N >= p10[digits]) d++;         /* rounded up to 10^digits */
    else if (N < p10[digits - 1]) d--; /* 10^(d + 1) below 1 was inexact */
    else break;
  }
  if (d >= digits) return sprintf(buf, "%.*g", digits, v); /* %g: exponent notation */
  return (int)(o - buf) + fixed_notation(N, digits, d, o);
}

int rt_format_g17(double v, char *buf) { return rt_format_g(v, 17, buf); }

int rt_format_i64(int64_t v, char *buf) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  char *o = buf;
  if (v < 0) *o++ = '-';
  while (n) *o++ = tmp[--n];
  *o = '\0';
  return (int)(o - buf);
}

/* ---- spikes ----------------------------------------------------------------- */

/* Close f and turn any error of the file into a message naming path. */
static bool close_checked(RtRun *r, FILE *f, const char *path) {
  bool bad = ferror(f) != 0;
  int err = errno;
  errno = 0;
  if (fclose(f) != 0) {
    bad = true;
    err = errno;
  }
  if (bad) io_fail(r, "write", path, err ? err : EIO);
  return !bad;
}

bool rt_write_spikes(RtRun *r) {
  if (r->net) return rt_network_write_spikes(r); /* runtime/rt_network_run.c */
  RtSpikes *s = &r->spikes;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  char *path = out_path(r, npy ? "spikes.npy" : "spikes.csv");
  if (!path) return false;
  rt_spikes_sort(s);
  FILE *f = fopen(path, "wb");
  if (!f) {
    io_fail(r, "create", path, errno);
    free(path);
    return false;
  }
  char *buf = malloc(RT_IOBUF);
  if (buf) setvbuf(f, buf, _IOFBF, RT_IOBUF);
  if (npy) {
    rt_npy_header(f, (int64_t)s->n, 2);
    for (size_t k = 0; k < s->n; k++) {
      double row[2] = {s->v[k].t / RT_MS, (double)s->v[k].id};
      write_le_doubles(f, row, 2);
    }
  } else {
    fputs("t [ms],id\n", f);
    for (size_t k = 0; k < s->n; k++) {
      /* full precision: spike times are compared across runs and tools;
       * "%.17g,%lld\n" formatted by hand (printf was most of the writing) */
      char line[64], *o = line;
      o += rt_format_g17(s->v[k].t / RT_MS, o);
      *o++ = ',';
      o += rt_format_i64(s->v[k].id, o);
      *o++ = '\n';
      fwrite(line, 1, (size_t)(o - line), f);
    }
  }
  bool ok = close_checked(r, f, path);
  free(buf);
  free(path);
  return ok;
}

/* ---- run.json ----------------------------------------------------------------- */

static void json_time(FILE *f, const char *key, double si) {
  fprintf(f, "  \"%s\": {\"value\": ", key);
  rt_json_number(f, si / RT_MS);
  fputs(", \"unit\": \"ms\"},\n", f);
}

static void json_kv_string(FILE *f, const char *key, const char *val) {
  fprintf(f, "  \"%s\": ", key);
  rt_json_string(f, val);
  fputs(",\n", f);
}

/* Column of parameter j, or NULL when it is not per-instance. */
static const double *param_column(const RtRun *r, int32_t j) {
  if (!r->m->params[j].per_instance || !r->cols) return NULL;
  int32_t c = r->m->nstates;
  for (int32_t k = 0; k < j; k++) c += r->m->params[k].per_instance != 0;
  return r->cols[c];
}

static bool param_was_set(const RtRun *r, int32_t j) {
  for (size_t k = 0; k < r->opt.nsets; k++)
    if (r->opt.sets[k].param == j) return true;
  return false;
}

static void json_params(FILE *f, const RtRun *r) {
  const MsnModel *m = r->m;
  fputs("  \"parameters\": [", f);
  for (int32_t j = 0; j < m->nparams; j++) {
    const MsnParamDesc *p = &m->params[j];
    fputs(j ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
    rt_json_string(f, p->name);
    fputs(", \"value\": ", f);
    rt_json_number(f, (r->P ? r->P[j] : p->value) / p->scale);
    fputs(", \"unit\": ", f);
    rt_json_string(f, p->unit);
    fprintf(f, ", \"set\": %s", param_was_set(r, j) ? "true" : "false");
    const double *col = param_column(r, j);
    if (col) {
      fputs(", \"per_instance\": [", f);
      for (int64_t i = 0; i < r->n; i++) {
        if (i) fputs(", ", f);
        rt_json_number(f, col[i] / p->scale);
      }
      fputc(']', f);
    }
    fputc('}', f);
  }
  fputs(m->nparams ? "\n  ],\n" : "],\n", f);
}

static void json_states(FILE *f, const MsnModel *m) {
  fputs("  \"states\": [", f);
  for (int32_t k = 0; k < m->nstates; k++) {
    const MsnStateDesc *s = &m->states[k];
    fputs(k ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
    rt_json_string(f, s->name);
    fputs(", \"unit\": ", f);
    rt_json_string(f, s->unit);
    fputs(", \"solver\": ", f);
    rt_json_string(f, s->solver);
    fputs(", \"why\": ", f);
    rt_json_string(f, s->why);
    fputc('}', f);
  }
  fputs(m->nstates ? "\n  ],\n" : "],\n", f);
}

static void json_columns(FILE *f, const RtRun *r) {
  fputs("  \"columns\": [", f);
  for (int64_t c = 0; r->colnames && c < r->trace.ncols; c++) {
    if (c) fputs(", ", f);
    rt_json_string(f, r->colnames[c] ? r->colnames[c] : "");
  }
  fputs("],\n  \"spike_columns\": [\"t [ms]\", \"id\"],\n", f);
  /* the states of the columns, and whether --record chose them */
  fputs("  \"recorded_states\": [", f);
  for (int32_t k = 0; k < r->m->nrecords; k++) {
    if (k) fputs(", ", f);
    rt_json_string(f, r->m->states[r->m->records[k]].name);
  }
  fprintf(f, "],\n  \"recorded_by\": \"%s\",\n", r->opt.records_given ? "--record" : "model");
}

bool rt_write_run_json(RtRun *r) {
  const MsnModel *m = r->m;
  const RtOptions *o = &r->opt;
  char *path = out_path(r, "run.json");
  if (!path) return false;
  FILE *f = fopen(path, "w");
  if (!f) {
    io_fail(r, "create", path, errno);
    free(path);
    return false;
  }
  bool npy = o->format == RT_FORMAT_NPY;
  fputs("{\n", f);
  json_kv_string(f, "model", m->name);
  json_kv_string(f, "source", m->source);
  json_kv_string(f, "msn_version", m->msn_version);
  json_kv_string(f, "runtime_version", MSN_VERSION);
  fprintf(f, "  \"abi_version\": %d,\n", MSN_ABI_VERSION);
  json_kv_string(f, "method", rt_method_name(o->method));
  json_time(f, "dt", o->dt);
  json_time(f, "duration", o->duration);
  json_time(f, "t_end", (double)r->nsteps * o->dt);
  json_time(f, "record_every", (double)r->rec_stride * o->dt);
  fputs("  \"rtol\": ", f);
  rt_json_number(f, o->rtol);
  fputs(",\n  \"atol\": ", f);
  rt_json_number(f, o->atol);
  /* networks run on threads (runtime/rt_network_run.c); threads_requested
   * is 0 when --threads was not given */
  fprintf(f, ",\n  \"seed\": %llu,\n  \"threads\": %d,\n  \"threads_requested\": %d,\n",
          o->seed, r->net ? rt_network_threads_used(r) : 1, o->threads);
  fprintf(f, "  \"n_instances\": %lld,\n", (long long)r->n);
  /* states driven by white noise (their paths depend on the seed) */
  fputs("  \"noise\": [", f);
  for (int32_t j = 0; j < m->nnoise; j++) {
    if (j) fputs(", ", f);
    rt_json_string(f, m->states[m->noise_states[j]].name);
  }
  fputs("],\n", f);
  json_kv_string(f, "format", npy ? "npy" : "csv");
  json_params(f, r);
  json_states(f, m);
  fputs("  \"wall_time_s\": ", f);
  rt_json_number(f, r->wall);
  fprintf(f, ",\n  \"steps\": %lld,\n", (long long)r->steps_done);
  if (o->method == MSN_RK45)
    fprintf(f, "  \"rk45_steps\": %llu,\n  \"rk45_rejected\": %llu,\n",
            (unsigned long long)r->solver_steps, (unsigned long long)r->solver_rejected);
  json_time(f, "t_reached", r->t_done);
  fprintf(f, "  \"rows\": %lld,\n", (long long)r->trace.rows);
  fprintf(f, "  \"spikes\": %llu,\n", (unsigned long long)r->spikes.n);
  if (r->net) { /* memory of the connectivity (docs/events.md) */
    uint64_t nsyn, bytes;
    rt_network_synapses(r, &nsyn, &bytes);
    fprintf(f, "  \"synapses\": %llu,\n  \"synapse_bytes\": %llu,\n", (unsigned long long)nsyn,
            (unsigned long long)bytes);
  }
  int64_t rate_steps = r->net ? rt_network_rate_steps(r) : 0; /* runtime/rt_network_output.c */
  if (rate_steps) json_time(f, "rate_bin", (double)rate_steps * o->dt);
  fprintf(f, "  \"files\": {\"trace\": \"%s\", ", npy ? "trace.npy" : "trace.csv");
  if (r->net) rt_network_json_spike_files(r, f); /* runtime/rt_network_output.c */
  else fprintf(f, "\"spikes\": \"%s\"", npy ? "spikes.npy" : "spikes.csv");
  fprintf(f, "%s%s%s},\n", rate_steps ? ", \"rates\": \"" : "", rate_steps ? (npy ? "rates.npy" : "rates.csv") : "",
          rate_steps ? "\"" : "");
  json_columns(f, r);
  if (r->status != RT_EXIT_OK) {
    fputs("  \"error\": ", f);
    rt_json_string(f, r->err);
    fputs(",\n", f);
  }
  fprintf(f, "  \"completed\": %s\n}\n", r->status == RT_EXIT_OK ? "true" : "false");
  bool ok = close_checked(r, f, path);
  free(path);
  return ok;
}

void rt_output_free(RtRun *r) {
  RtTrace *t = &r->trace;
  if (t->f) fclose(t->f);
  free(t->iobuf);
  free(t->row);
  free(t->path);
  if (r->colnames)
    for (int64_t c = 0; c < t->ncols; c++) free(r->colnames[c]);
  free(r->colnames);
  free(r->spikes.v);
  memset(t, 0, sizeof *t);
  r->colnames = NULL;
  r->spikes = (RtSpikes){0};
}
