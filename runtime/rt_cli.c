/* runtime/rt_cli.c — the command line of a generated simulation program.
 *
 * Hand-written instead of getopt_long: getopt keeps its position in
 * globals (optind), and msn_main must be callable several times in one
 * process (the compiler runs models in-process through its JIT).
 * Every option accepts both "--opt value" and "--opt=value".
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msnrt_network.h"
#include "rt_internal.h"
#include "units.h"

enum OptId {
  O_DURATION, O_DT, O_SET, O_OUT, O_FORMAT, O_SEED, O_METHOD, O_RECORD, O_RECORD_EVERY,
  O_RTOL, O_ATOL, O_THREADS, O_QUIET, O_HELP, O_VERSION
};

typedef struct OptDef {
  const char *name;
  enum OptId id;
  const char *arg; /* NULL: a flag without value */
  const char *help;
} OptDef;

static const OptDef OPTS[] = {
  {"duration", O_DURATION, "T", "simulated time"},
  {"dt", O_DT, "T", "time step (rk45: largest step)"},
  {"set", O_SET, "NAME=VALUE", "set a parameter, e.g. --set gNa=120mS/cm^2 (repeatable)"},
  {"out", O_OUT, "DIR", "output directory, created if needed"},
  {"format", O_FORMAT, "csv|npy", "format of trace and spikes"},
  {"seed", O_SEED, "N", "random seed of the noise (default 1), recorded in run.json"},
  {"method", O_METHOD, "M", "staggered, rk4, rk45, euler or heun"},
  {"record", O_RECORD, "LIST", "states in the trace, e.g. --record V,m (none: no states); replaces the model's record"},
  {"record-every", O_RECORD_EVERY, "T", "trace interval, rounded to whole steps (0: every step)"},
  {"rtol", O_RTOL, "X", "relative tolerance of rk45"},
  {"atol", O_ATOL, "X", "absolute tolerance of rk45 (SI units of each state)"},
  {"threads", O_THREADS, "N", "threads, networks only (default: the online cores, at most one per 4096 neurons; the same results for any N); other models run on one thread"},
  {"quiet", O_QUIET, NULL, "no progress bar and no summary"},
  {"help", O_HELP, NULL, "show this help and exit"},
  {"version", O_VERSION, NULL, "show versions and exit"},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

/* ---- messages ---------------------------------------------------------- */

static void usage_error(const RtRun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void usage_error(const RtRun *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", r->opt.prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage_hint(const RtRun *r) {
  fprintf(stderr, "Try '%s --help' for the list of options and parameters.\n", r->opt.prog);
}

/* ---- quantities ---------------------------------------------------------- */

static Unit unit_of_dim(const int8_t dim[6]) {
  Unit u = units_one();
  for (int k = 0; k < UNIT_NBASE; k++) u.e[k] = dim[k];
  return u;
}

/* "a voltage", or the SI form when the dimension has no familiar name. */
static void describe_dim(Unit u, char *buf, size_t len) {
  const char *q = units_quantity_name(u);
  if (units_is_dimensionless(u)) {
    snprintf(buf, len, "a plain number (dimensionless)");
  } else if (q) {
    snprintf(buf, len, "%s %s", strchr("aeiou", q[0]) ? "an" : "a", q);
  } else {
    char si[96];
    snprintf(buf, len, "of dimension %s", units_format_si(u, si, sizeof si));
  }
}

/* True when text is a plain decimal number without a unit, following the
 * number syntax of units_parse_value (sign, digits, '.', exponent). */
static bool is_bare_number(const char *s) {
  while (isspace((unsigned char)*s)) s++;
  if (*s == '+' || *s == '-') s++;
  while (isdigit((unsigned char)*s) || *s == '.') s++;
  if (*s == 'e' || *s == 'E') {
    const char *e = s + 1;
    if (*e == '+' || *e == '-') e++;
    if (isdigit((unsigned char)*e)) {
      while (isdigit((unsigned char)*e)) e++;
      s = e;
    }
  }
  while (isspace((unsigned char)*s)) s++;
  return *s == '\0';
}

bool rt_parse_quantity(const char *text, const int8_t dim[6], double bare_scale,
                       const char *bare_unit, double *si, char *err, size_t errlen) {
  double v;
  Unit u, want = unit_of_dim(dim);
  char uerr[256];
  if (!units_parse_value(text, &v, &u, uerr, sizeof uerr)) {
    snprintf(err, errlen, "%s", uerr);
    return false;
  }
  if (is_bare_number(text)) { /* a bare number is in the display unit */
    v *= bare_scale;
  } else if (!units_same_dim(u, want)) {
    char got[128], exp[128];
    describe_dim(u, got, sizeof got);
    describe_dim(want, exp, sizeof exp);
    snprintf(err, errlen, "'%s' is %s, but %s is expected (unit %s)", text, got, exp,
             bare_unit ? bare_unit : "?");
    return false;
  }
  if (!isfinite(v)) {
    snprintf(err, errlen, "'%s' is out of range", text);
    return false;
  }
  *si = v;
  return true;
}

static const int8_t DIM_TIME[6] = {0, 0, 1, 0, 0, 0};

static bool parse_time(RtRun *r, const char *opt, const char *text, double *si) {
  char err[512];
  if (rt_parse_quantity(text, DIM_TIME, RT_MS, "ms", si, err, sizeof err)) return true;
  usage_error(r, "--%s: %s", opt, err);
  fprintf(stderr, "A time is a number with a unit (0.01ms, '1 s', 20us); a bare number is in ms.\n");
  return false;
}

static bool parse_positive(RtRun *r, const char *opt, const char *text, double *x) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || v <= 0) {
    usage_error(r, "--%s expects a positive number, got '%s'", opt, text);
    return false;
  }
  *x = v;
  return true;
}

static bool parse_count(RtRun *r, const char *opt, const char *text,
                        unsigned long long max, unsigned long long *x) {
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (!isdigit((unsigned char)*p) || *end != '\0' || errno == ERANGE || v > max) {
    usage_error(r, "--%s expects a whole number between 0 and %llu, got '%s'", opt, max, text);
    return false;
  }
  *x = v;
  return true;
}

/* ---- --set --------------------------------------------------------------- */

static int find_param(const MsnModel *m, const char *name, size_t len) {
  for (int j = 0; j < m->nparams; j++)
    if (strlen(m->params[j].name) == len && strncmp(m->params[j].name, name, len) == 0)
      return j;
  return -1;
}

static bool close_name(const char *a, const char *b) {
  if (strcasecmp(a, b) == 0) return true;
  size_t la = strlen(a), lb = strlen(b);
  int limit = (la < 4 || lb < 4) ? 1 : 2;
  return rt_edit_distance(a, b) <= limit;
}

static void unknown_param(const RtRun *r, const char *name) {
  const MsnModel *m = r->m;
  usage_error(r, "--set: model '%s' has no parameter '%s'", m->name, name);
  int close = 0;
  for (int j = 0; j < m->nparams; j++) {
    if (!close_name(name, m->params[j].name)) continue;
    fprintf(stderr, close++ ? ", '%s'" : "Did you mean '%s'", m->params[j].name);
  }
  if (close) {
    fputs("?\n", stderr);
    return;
  }
  if (m->nparams == 0) {
    fputs("This model has no parameters.\n", stderr);
    return;
  }
  fputs("Parameters:", stderr);
  for (int j = 0; j < m->nparams; j++)
    fprintf(stderr, " %s [%s]", m->params[j].name, m->params[j].unit);
  fputc('\n', stderr);
}

/* NAME=VALUE or NAME[i]=VALUE (one instance of a per-instance parameter). */
static bool parse_set(RtRun *r, const char *text) {
  const MsnModel *m = r->m;
  const char *eq = strchr(text, '=');
  if (!eq || eq == text) {
    usage_error(r, "--set expects NAME=VALUE, got '%s'", text);
    fprintf(stderr, "Example: --set %s=1.5\n", m->nparams ? m->params[0].name : "g");
    return false;
  }
  size_t len = (size_t)(eq - text);
  int64_t inst = -1;
  const char *br = memchr(text, '[', len);
  if (br) {
    char *end;
    errno = 0;
    long long i = strtoll(br + 1, &end, 10);
    if (end == br + 1 || *end != ']' || end + 1 != eq || i < 0 || i >= r->n || errno) {
      usage_error(r, "--set: bad instance index in '%.*s' (instances are 0 to %lld)",
                  (int)len, text, (long long)r->n - 1);
      return false;
    }
    inst = i;
    len = (size_t)(br - text);
  }
  int j = find_param(m, text, len);
  if (j < 0) {
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(len < 120 ? len : 120), text);
    unknown_param(r, name);
    return false;
  }
  const MsnParamDesc *pd = &m->params[j];
  if (inst >= 0 && !pd->per_instance) {
    usage_error(r, "--set: parameter '%s' is shared by all instances; drop the [index]",
                pd->name);
    return false;
  }
  double si;
  char err[512];
  if (!rt_parse_quantity(eq + 1, pd->dim, pd->scale, pd->unit, &si, err, sizeof err)) {
    usage_error(r, "--set %s: %s", pd->name, err);
    fprintf(stderr, "Parameter '%s' is in %s; a bare number is taken in %s.\n", pd->name,
            pd->unit, pd->unit);
    return false;
  }
  RtSet *sets = realloc(r->opt.sets, (r->opt.nsets + 1) * sizeof *sets);
  if (!sets) {
    usage_error(r, "out of memory");
    return false;
  }
  sets[r->opt.nsets++] = (RtSet){.param = j, .inst = inst, .si = si};
  r->opt.sets = sets;
  return true;
}

/* ---- --record ------------------------------------------------------------ */

/* Cables and population models do not write state columns: a cable's
 * trace holds the locations its model's record statement names, a field
 * writes its whole grid and a density its rate.  --record would be
 * silently ignored there, so it is refused. */
static bool record_applies(const RtRun *r) {
  const MsnModel *m = r->m;
  if (m->cable) {
    usage_error(r, "--record does not apply to cable cell '%s': its trace holds the locations that "
                "the model's record statement names (record V@SECTION(x)); change them there and "
                "rebuild", m->name);
    return false;
  }
  if (m->population) { /* (msnrt_population.h's names clash with msnrt_network.h's) */
    usage_error(r, "--record does not apply to population model '%s': a neural field writes its "
                "whole grid (field.csv|npy) and a density its rate (rates.csv|npy), not chosen states",
                m->name);
    return false;
  }
  return true;
}

static int find_state(const MsnModel *m, const char *name, size_t len) {
  for (int k = 0; k < m->nstates; k++)
    if (strlen(m->states[k].name) == len && strncmp(m->states[k].name, name, len) == 0) return k;
  return -1;
}

/* The descriptor carries each state's name as msnc info shows it (short,
 * or NAME_CHANNEL where two short names clash), not the qualified form
 * that the record statement also accepts: "m_Na" for a unique "m" is
 * pointed to its short name. */
static void unknown_state(const RtRun *r, const char *name) {
  const MsnModel *m = r->m;
  usage_error(r, "--record: model '%s' has no state '%s'", m->name, name);
  int nclose = 0;
  for (int k = 0; k < m->nstates; k++) {
    const char *s = m->states[k].name;
    size_t l = strlen(s);
    bool qualified = strncmp(name, s, l) == 0 && name[l] == '_' && name[l + 1];
    /* one-letter names (V, m, h, n) are all one edit apart: no guesses there */
    bool close = strlen(name) > 1 && l > 1 ? close_name(name, s) : strcasecmp(name, s) == 0;
    if (!qualified && !close) continue;
    fprintf(stderr, nclose++ ? ", '%s'" : "Did you mean '%s'", s);
  }
  if (nclose) fputs("? (states are named as msnc info and run.json list them)\n", stderr);
  fputs("States:", stderr);
  for (int k = 0; k < m->nstates; k++)
    fprintf(stderr, " %s [%s]", m->states[k].name, m->states[k].unit ? m->states[k].unit : "1");
  fputs("; or none (no states).\n", stderr);
}

/* NAME,NAME,... in the order of the trace's columns, or none.  "spikes",
 * which the record statement accepts too, adds no column: every run
 * writes its spikes.  A later --record replaces an earlier one. */
static bool parse_record(RtRun *r, const char *text) {
  const MsnModel *m = r->m;
  RtOptions *o = &r->opt;
  if (!record_applies(r)) return false;
  int32_t *list = malloc(((size_t)m->nstates + 1) * sizeof *list);
  if (!list) {
    usage_error(r, "out of memory");
    return false;
  }
  int32_t n = 0;
  bool none = false, any = false;
  for (const char *p = text;; p++) {
    while (isspace((unsigned char)*p)) p++;
    const char *end = p + strcspn(p, ",");
    size_t len = (size_t)(end - p);
    while (len && isspace((unsigned char)p[len - 1])) len--;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(len < 120 ? len : 120), p);
    int k = find_state(m, p, len);
    bool dup = false;
    for (int32_t q = 0; k >= 0 && q < n; q++) dup |= list[q] == k;
    const char *bad = len == 0 ? "an empty name" : dup ? "a state named twice" : NULL;
    if (bad) {
      usage_error(r, "--record: %s in '%s'", bad, text);
      if (m->nstates > 1)
        fprintf(stderr, "Example: --record %s,%s (names separated by commas)\n", m->states[0].name,
                m->states[1].name);
      free(list);
      return false;
    }
    if (strcmp(name, "none") == 0) none = true;
    else if (strcmp(name, "spikes") == 0) any = true;
    else if (k < 0) {
      unknown_state(r, name);
      free(list);
      return false;
    } else list[n++] = k, any = true;
    if (!*end) break;
    p = end;
  }
  if (none && any) {
    usage_error(r, "--record: none cannot be listed with other names ('%s')", text);
    free(list);
    return false;
  }
  free(o->records);
  o->records = list;
  o->nrecords = n;
  o->records_given = true;
  return true;
}

/* ---- help and version ---------------------------------------------------- */

static void print_help(const RtRun *r) {
  const MsnModel *m = r->m;
  const RtOptions *o = &r->opt;
  printf("Usage: %s [OPTION]...\n", o->prog);
  printf("Simulate the msn model '%s'%s%s%s.\n\n", m->name, m->source ? " (from " : "",
         m->source ? m->source : "", m->source ? ")" : "");
  printf("Options (--opt VALUE and --opt=VALUE are the same):\n");
  for (size_t k = 0; k < NOPTS; k++) {
    char head[64];
    snprintf(head, sizeof head, "--%s%s%s", OPTS[k].name, OPTS[k].arg ? " " : "",
             OPTS[k].arg ? OPTS[k].arg : "");
    printf("  %-24s %s\n", head, OPTS[k].help);
  }
  printf("\nTimes T take a unit (0.01ms, '1 s', 250us); a bare number is in ms.\n");
  printf("Defaults: --duration %g ms --dt %g ms --method %s", o->duration / RT_MS,
         o->dt / RT_MS, rt_method_name(o->method));
  if (o->record_every > 0) printf(" --record-every %g ms\n", o->record_every / RT_MS);
  else printf(" (trace: every step)\n");
  printf("          --rtol %g --atol %g --format csv --out %s\n", o->rtol, o->atol, o->out_dir);
  if (m->nparams) {
    printf("\nParameters (--set NAME=VALUE; a bare VALUE is in the unit shown;\n"
           "NAME[i]=VALUE sets instance i of a per-instance parameter):\n");
    for (int j = 0; j < m->nparams; j++) {
      const MsnParamDesc *p = &m->params[j];
      if (p->per_instance && p->inst_values) {
        double lo = p->inst_values[0], hi = lo;
        for (int64_t i = 1; i < r->n; i++) {
          lo = p->inst_values[i] < lo ? p->inst_values[i] : lo;
          hi = p->inst_values[i] > hi ? p->inst_values[i] : hi;
        }
        printf("  %-16s = %g .. %g %s (per instance)\n", p->name, lo / p->scale, hi / p->scale,
               p->unit);
      } else if (p->per_instance)
        printf("  %-16s = %-12g %-12s (per instance)\n", p->name, p->value / p->scale, p->unit);
      else
        printf("  %-16s = %-12g %s\n", p->name, p->value / p->scale, p->unit);
    }
  }
  if (!m->cable && !m->population && m->nstates) {
    printf("\nStates (--record NAME,... chooses the trace's columns; the model records ");
    for (int32_t k = 0; k < m->nrecords; k++)
      printf("%s%s", k ? ", " : "", m->states[m->records[k]].name);
    printf("%s):\n ", m->nrecords ? "" : "none");
    for (int32_t k = 0; k < m->nstates; k++)
      printf(" %s [%s]", m->states[k].name, m->states[k].unit ? m->states[k].unit : "1");
    printf("\n");
  }
  printf("\nOutput: OUT/trace.csv|npy, OUT/spikes.csv|npy (networks: or OUT/spikes_POP.csv|npy\n"
         "with 'record spikes per population'; OUT/rates.csv|npy), OUT/run.json.\n");
  printf("Exit status: 0 success, 1 bad arguments, 2 numerical failure, 3 I/O error.\n");
  printf("See msn-run(1).\n");
}

static void print_version(const RtRun *r) {
  const MsnModel *m = r->m;
  printf("%s: msn model '%s'", r->opt.prog, m->name);
  if (m->source) printf(" from %s", m->source);
  printf(", compiled by msnc %s\n", m->msn_version ? m->msn_version : "unknown");
  printf("libmsnrt %s (ABI %d)\n", MSN_VERSION, MSN_ABI_VERSION);
}

/* ---- the parser ---------------------------------------------------------- */

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static char *default_out_dir(const char *model) {
  size_t len = strlen(model);
  char *s = malloc(len + 9);
  if (!s) return NULL;
  memcpy(s, "msn_out_", 8);
  for (size_t i = 0; i <= len; i++) {
    char c = model[i];
    /* keep the name a single safe path component */
    s[8 + i] = (c == '\0' || isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.')
                   ? c : '_';
  }
  return s;
}

static void set_defaults(RtRun *r, const char *prog) {
  const MsnModel *m = r->m;
  RtOptions *o = &r->opt;
  o->prog = prog;
  /* A model always carries its simulate-block values; the fallbacks only
   * matter for hand-written descriptions. */
  o->duration = m->duration > 0 ? m->duration : 100 * RT_MS;
  o->dt = m->dt > 0 ? m->dt : 0.025 * RT_MS;
  o->record_every = m->record_every > 0 ? m->record_every : 0;
  o->rtol = m->rtol > 0 ? m->rtol : 1e-9;
  o->atol = m->atol > 0 ? m->atol : 1e-9;
  o->method = (m->method >= MSN_STAGGERED && m->method <= MSN_HEUN) ? m->method : MSN_STAGGERED;
  o->format = RT_FORMAT_CSV;
  o->threads = 0; /* automatic */
  o->seed = 1;
  o->out_dir = default_out_dir(m->name ? m->name : "model");
}

static void unknown_option(const RtRun *r, const char *arg, size_t len) {
  usage_error(r, "unknown option '%.*s'", (int)len, arg);
  /* "--duraton" or "-duration": compare the name without its dashes */
  size_t skip = (len > 1 && arg[1] == '-') ? 2 : 1;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(len - skip < 60 ? len - skip : 60), arg + skip);
  if (strlen(name) < 2) return;
  for (size_t k = 0; k < NOPTS; k++)
    if (close_name(name, OPTS[k].name)) {
      fprintf(stderr, "Did you mean '--%s'?\n", OPTS[k].name);
      return;
    }
}

/* Apply one option with its value (NULL for flags).  Returns RT_EXIT_OK,
 * RT_EXIT_USAGE or -1 for help/version. */
static int apply_option(RtRun *r, const OptDef *d, const char *val) {
  RtOptions *o = &r->opt;
  unsigned long long u;
  switch (d->id) {
  case O_DURATION: return parse_time(r, d->name, val, &o->duration) ? 0 : 1;
  case O_DT: return parse_time(r, d->name, val, &o->dt) ? 0 : 1;
  case O_RECORD: return parse_record(r, val) ? 0 : 1;
  case O_RECORD_EVERY: return parse_time(r, d->name, val, &o->record_every) ? 0 : 1;
  case O_SET: return parse_set(r, val) ? 0 : 1;
  case O_RTOL: return parse_positive(r, d->name, val, &o->rtol) ? 0 : 1;
  case O_ATOL: return parse_positive(r, d->name, val, &o->atol) ? 0 : 1;
  case O_SEED:
    if (!parse_count(r, d->name, val, ~0ULL, &u)) return 1;
    o->seed = u;
    return 0;
  case O_THREADS:
    if (!parse_count(r, d->name, val, 4096, &u)) return 1;
    if (u == 0) {
      usage_error(r, "--threads expects at least 1");
      return 1;
    }
    o->threads = (int)u;
    return 0;
  case O_OUT: {
    if (!*val) {
      usage_error(r, "--out expects a directory name");
      return 1;
    }
    char *s = strdup(val);
    if (!s) {
      usage_error(r, "out of memory");
      return 1;
    }
    /* "out/" and "out" name the same directory; messages show "out/" */
    for (size_t l = strlen(s); l > 1 && s[l - 1] == '/'; l--) s[l - 1] = '\0';
    free(o->out_dir);
    o->out_dir = s;
    return 0;
  }
  case O_FORMAT:
    if (strcmp(val, "csv") == 0) o->format = RT_FORMAT_CSV;
    else if (strcmp(val, "npy") == 0) o->format = RT_FORMAT_NPY;
    else {
      usage_error(r, "--format must be csv or npy, not '%s'", val);
      return 1;
    }
    return 0;
  case O_METHOD:
    for (int k = MSN_STAGGERED; k <= MSN_HEUN; k++)
      if (strcmp(val, rt_method_name(k)) == 0) {
        o->method = k;
        return 0;
      }
    usage_error(r, "--method must be staggered, rk4, rk45, euler or heun, not '%s'", val);
    return 1;
  case O_QUIET: o->quiet = true; return 0;
  case O_HELP: print_help(r); return -1;
  case O_VERSION: print_version(r); return -1;
  }
  return 1;
}

/* The settings must make sense together; also fixes the step count. */
static bool check_settings(RtRun *r) {
  const MsnModel *m = r->m;
  RtOptions *o = &r->opt;
  if (!(o->dt > 0)) {
    usage_error(r, "--dt must be positive, got %g ms", o->dt / RT_MS);
    return false;
  }
  if (!(o->duration > 0)) {
    usage_error(r, "--duration must be positive, got %g ms", o->duration / RT_MS);
    return false;
  }
  if (o->dt > o->duration) {
    usage_error(r, "--dt (%g ms) is longer than --duration (%g ms)", o->dt / RT_MS,
                o->duration / RT_MS);
    return false;
  }
  if (o->record_every < 0) {
    usage_error(r, "--record-every must not be negative");
    return false;
  }
  double steps = ceil(o->duration / o->dt - 1e-9);
  if (steps > 1e15) {
    usage_error(r, "%g steps are too many; use a larger --dt", steps);
    return false;
  }
  r->nsteps = (int64_t)steps;
  double rs = o->record_every > 0 ? round(o->record_every / o->dt) : 1;
  r->rec_stride = rs < 1 ? 1 : rs > steps ? (int64_t)steps : (int64_t)rs;
  /* with a reset the staggered method runs vstep, and msnc leaves step out */
  bool staggered = m->step || (m->vstep && m->has_reset && m->spike_state >= 0);
  if (o->method == MSN_STAGGERED && !staggered && !m->cable) { /* a cable: runtime/rt_cable_run.c */
    usage_error(r, "model '%s' has no staggered kernels; use --method %s", m->name,
                m->nnoise > 0 ? "heun or euler" : "rk4, rk45, heun or euler");
    return false;
  }
  /* noise: euler and heun, and the staggered method of cells (noise_step) */
  bool noise_ok = ((o->method == MSN_EULER || o->method == MSN_HEUN) && m->noise) ||
                  (o->method == MSN_STAGGERED && m->noise_step);
  if (m->nnoise > 0 && !noise_ok) {
    const char *use = !m->noise ? "staggered (a network runs with the staggered method only)"
                      : m->noise_step ? "staggered (exact for states linear in themselves), heun or euler"
                                      : "heun (stochastic Heun) or euler (Euler-Maruyama)";
    usage_error(r, "model '%s' has noise, which --method %s cannot integrate; use --method %s", m->name,
                rt_method_name(o->method), use);
    return false;
  }
  if (o->method != MSN_STAGGERED && !m->rhs) { /* a network has none: it runs staggered only */
    if (m->network)
      usage_error(r, "a network runs with the staggered method only (not %s)", rt_method_name(o->method));
    else
      usage_error(r, "model '%s' has no right-hand side kernel; use --method staggered", m->name);
    return false;
  }
  return true;
}

/* A trace of many neurons at every step easily takes gigabytes.  When
 * --record chose the states (a model's own record statement is its
 * author's choice), a trace of more than RT_BIG_TRACE values is announced
 * before the run, with its size, so that it can be stopped or thinned. */
#define RT_BIG_TRACE 1e7

static void record_size_note(const RtRun *r) {
  const RtOptions *o = &r->opt;
  if (!o->records_given || o->quiet) return;
  const MsnNetwork *d = r->m->network;
  int64_t ni = d && d->version == MSN_NETWORK_VERSION && d->nrec > 0 ? d->nrec : r->n;
  double cols = 1 + (double)o->nrecords * (double)ni;
  double rows = (double)(r->nsteps / r->rec_stride) + 1, values = cols * rows;
  if (values <= RT_BIG_TRACE) return;
  /* CSV: "%.10g" and a separator, about 12 bytes a value */
  double bytes = values * (o->format == RT_FORMAT_NPY ? 8 : 12);
  fprintf(stderr, "%s: note: --record: the trace will hold %.0f columns x %.0f rows (%.3g values, %s%.3g %s "
          "as %s); --record-every T keeps fewer rows\n", o->prog, cols, rows, values,
          o->format == RT_FORMAT_NPY ? "" : "about ", bytes >= 1e9 ? bytes / 1e9 : bytes / 1e6,
          bytes >= 1e9 ? "GB" : "MB", o->format == RT_FORMAT_NPY ? "npy" : "CSV");
}

/* Find the option named by arg ("--name" or "--name=value"). */
static const OptDef *lookup_option(const char *arg, size_t namelen) {
  if (namelen == 2 && strncmp(arg, "-h", 2) == 0) arg = "--help", namelen = 6;
  if (namelen < 3 || arg[0] != '-' || arg[1] != '-') return NULL;
  for (size_t k = 0; k < NOPTS; k++)
    if (strlen(OPTS[k].name) == namelen - 2 && strncmp(arg + 2, OPTS[k].name, namelen - 2) == 0)
      return &OPTS[k];
  return NULL;
}

static bool takes_unit(const OptDef *d) {
  return d->id == O_DURATION || d->id == O_DT || d->id == O_RECORD_EVERY || d->id == O_SET;
}

/* The value ends in a bare number ("1", "gNa=120") and the next word is
 * nothing but a unit ("s", "mS/cm^2").  No option takes a positional
 * argument, so joining the two cannot change the meaning of a command line
 * that would otherwise be valid. */
static bool is_unit_word(const char *val, const char *next) {
  const char *num = strchr(val, '=');
  num = num ? num + 1 : val;
  if (!next || !*next || next[0] == '-' || !*num || !is_bare_number(num)) return false;
  Unit u;
  char err[128];
  return units_parse(next, &u, err, sizeof err, NULL);
}

static char *join_words(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 2);
  if (!s) return NULL;
  memcpy(s, a, la);
  s[la] = ' ';
  memcpy(s + la + 1, b, lb + 1);
  return s;
}

int rt_parse_args(RtRun *r, int argc, char **argv) {
  const char *prog = (argc > 0 && argv && argv[0] && *argv[0]) ? base_name(argv[0]) : NULL;
  set_defaults(r, prog ? prog : (r->m->name ? r->m->name : "msn-run"));
  if (!r->opt.out_dir) {
    usage_error(r, "out of memory");
    return RT_EXIT_USAGE;
  }
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (!arg) break;
    const char *eq = strchr(arg, '=');
    size_t namelen = (arg[0] == '-' && eq) ? (size_t)(eq - arg) : strlen(arg);
    const OptDef *d = lookup_option(arg, namelen);
    if (!d) {
      if (arg[0] == '-') unknown_option(r, arg, namelen);
      else {
        usage_error(r, "unexpected argument '%s'", arg);
        fprintf(stderr, "Options start with '--'; write a value and its unit as one "
                        "argument: --duration 1s or --duration '1 s'.\n");
      }
      usage_hint(r);
      return RT_EXIT_USAGE;
    }
    const char *val = NULL;
    char *joined = NULL;
    if (d->arg) {
      if (eq && arg[0] == '-') val = eq + 1;
      else if (a + 1 < argc && argv[a + 1] && strncmp(argv[a + 1], "--", 2) != 0)
        val = argv[++a];
      else {
        usage_error(r, "--%s needs a value (%s)", d->name, d->arg);
        usage_hint(r);
        return RT_EXIT_USAGE;
      }
      /* "--duration 1 s" unquoted: the unit arrives as its own word */
      if (a + 1 < argc && takes_unit(d) && is_unit_word(val, argv[a + 1])) {
        joined = join_words(val, argv[++a]);
        if (joined) val = joined;
      }
    } else if (eq && arg[0] == '-') {
      usage_error(r, "--%s takes no value", d->name);
      usage_hint(r);
      return RT_EXIT_USAGE;
    }
    int st = apply_option(r, d, val);
    free(joined);
    if (st < 0) return -1;
    if (st != 0) {
      usage_hint(r);
      return RT_EXIT_USAGE;
    }
  }
  if (!check_settings(r)) {
    usage_hint(r);
    return RT_EXIT_USAGE;
  }
  record_size_note(r);
  return RT_EXIT_OK;
}

void rt_options_free(RtOptions *o) {
  free(o->out_dir);
  free(o->sets);
  free(o->records);
  o->out_dir = NULL;
  o->sets = NULL;
  o->records = NULL;
  o->nrecords = 0;
  o->nsets = 0;
}
