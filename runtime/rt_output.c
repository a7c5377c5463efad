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
  if (t->format == RT_FORMAT_NPY) t->row = malloc((size_t)t->ncols * sizeof(double));
  if (!t->path || !t->iobuf || (t->format == RT_FORMAT_NPY && !t->row)) {
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
  if (t->format == RT_FORMAT_NPY) {
    double *row = t->row;
    *row++ = t_si / RT_MS;
    for (int32_t k = 0; k < m->nrecords; k++) {
      const double *col = r->cols[m->records[k]];
      double scale = m->states[m->records[k]].scale;
      for (int64_t i = 0; i < ni; i++) *row++ = col[list ? list[i] : i] / scale;
    }
    write_le_doubles(t->f, t->row, (size_t)t->ncols);
  } else {
    /* "%.10g" per value, formatted by hand (rt_format_g) */
    char num[40];
    fwrite(num, 1, (size_t)rt_format_g(t_si / RT_MS, 10, num), t->f);
    for (int32_t k = 0; k < m->nrecords; k++) {
      const double *col = r->cols[m->records[k]];
      double scale = m->states[m->records[k]].scale;
      for (int64_t i = 0; i < ni; i++) {
        num[0] = ',';
        fwrite(num, 1, (size_t)rt_format_g(col[list ? list[i] : i] / scale, 10, num + 1) + 1, t->f);
      }
    }
    fputc('\n', t->f);
  }
  t->rows++;
  /* ferror is a flag test; it stops a run on a full disk without waiting
   * for the end. */
  if (ferror(t->f)) {
    t->err = errno ? errno : EIO;
    io_fail(r, "write", t->path, t->err);
  }
}

bool rt_trace_close(RtRun *r) {
  RtTrace *t = &r->trace;
  if (!t->f) return t->err == 0;
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

/* N = round-half-even(v * 10^P) for v = m 2^e (m < 2^53, -127 < e < 0,
 * 0 <= P <= 22), exactly, in 128-bit integers. */
static uint64_t scaled_round(uint64_t m, int e, int P) {
  unsigned __int128 x = m;
  for (int q = P; q > 0; q -= 11) {
    static const uint64_t pow10[12] = {1,        10,        100,        1000,
                                       10000,    100000,    1000000,    10000000,
                                       100000000, 1000000000, 10000000000ULL, 100000000000ULL};
    x *= pow10[q < 11 ? q : 11];
  }
  int sh = -e;
  unsigned __int128 qt = x >> sh, rem = x - (qt << sh), half = (unsigned __int128)1 << (sh - 1);
  if (rem > half || (rem == half && (qt & 1))) qt++;
  return (uint64_t)qt;
}

int rt_format_g(double v, int digits, char *buf) {
  /* the fast path covers positive values in [1e-4, 1e15) and 1 to 17
   * digits, where %g prints fixed notation: times in ms, ids, most state
   * values; printf does the rest */
  if (!(v >= 1e-4 && v < 1e15) || digits < 1 || digits > 17) return sprintf(buf, "%.*g", digits, v);
  static const uint64_t p10[18] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
                                   1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
                                   10000000000ULL, 100000000000ULL, 1000000000000ULL,
                                   10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
                                   10000000000000000ULL, 100000000000000000ULL};
  /* v = m 2^e from its bits (v is normal here): frexp, ldexp and log10
   * were library calls, a third of the time of a spike time's 17 digits.
   * d starts at floor((E - 1) log10 2) <= floor(log10 v) (v >= 2^(E-1)),
   * low by at most one; the loop below only raises it then, to the least
   * d whose rounding has at most `digits` digits: the exponent of %g. */
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  int E = (int)(bits >> 52) - 1022; /* v in [2^(E-1), 2^E) */
  uint64_t m = (bits & 0x000fffffffffffffULL) | 0x0010000000000000ULL;
  int e = E - 53;
  int d = (int)floor((E - 1) * 0.30102999566398120); /* decimal exponent, corrected below */
  uint64_t N = 0;
  for (int tries = 0; tries < 4; tries++) { /* at most 3: d low, then rounded up */
    N = scaled_round(m, e, digits - 1 - d);
    if (N >= p10[digits]) d++;        /* d low, or rounded up to 10^digits */
    else if (N < p10[digits - 1]) d--; /* (not reached: d never starts high) */
    else break;
  }
  /* two digits per division by 100 (a multiplication by the compiler):
   * half the dependent steps of the 17 digits of a spike time */
  static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";
  char dig[18];
  int q = digits;
  for (; q >= 2; q -= 2) {
    memcpy(dig + q - 2, pairs + 2 * (N % 100), 2);
    N /= 100;
  }
  if (q) dig[0] = (char)('0' + N);
  int nd = digits;
  while (nd > 1 && dig[nd - 1] == '0') nd--; /* %g drops trailing zeros */
  if (d >= digits) return sprintf(buf, "%.*g", digits, v); /* %g: exponent notation */
  char *o = buf;
  if (d >= 0) {
    for (int q = 0; q <= d; q++) *o++ = q < nd ? dig[q] : '0';
    if (nd > d + 1) {
      *o++ = '.';
      for (int q = d + 1; q < nd; q++) *o++ = dig[q];
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int q = 0; q < -d - 1; q++) *o++ = '0';
    for (int q = 0; q < nd; q++) *o++ = dig[q];
  }
  *o = '\0';
  return (int)(o - buf);
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
