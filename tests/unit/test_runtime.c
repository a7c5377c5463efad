/* tests/unit/test_runtime.c — libmsnrt against hand-made models whose
 * solutions are known in closed form.
 *
 * Models (C kernels standing in for generated code):
 *   decay  x' = -x/tau, 2 instances, per-instance tau (10 ms, 20 ms);
 *          its staggered step is exact, so every method can be checked
 *          against 1000 mV * exp(-t/tau)
 *   osc    x' = v, v' = -w^2 x (50 Hz), x = cos(w t)
 *   ramp   V' = rate, 2 instances (0.7 and 1.3 mV/ms): spikes at known times
 *   quad   V' = 2 a t: V = V0 + a t^2, crossing at sqrt((thr - V0)/a)
 *   nan    instance 1 turns NaN in the step that starts at t = 5 ms
 * msn_main runs in-process with stdout/stderr captured into files, output
 * goes to a mkdtemp directory removed at the end.
 */
#define _GNU_SOURCE
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msnrt_population.h"
#include "rt_internal.h"

static const int8_t DIM_TIME[6] = {0, 0, 1, 0, 0, 0};
static const int8_t DIM_VOLT[6] = {2, 1, -3, -1, 0, 0};
static const int8_t DIM_VPS[6] = {2, 1, -4, -1, 0, 0};  /* V/s */
static const int8_t DIM_VPS2[6] = {2, 1, -5, -1, 0, 0}; /* V/s^2 */
static const int8_t DIM_HZ[6] = {0, 0, -1, 0, 0, 0};
static const int32_t REC0[] = {0}, REC01[] = {0, 1};

/* ---- decay ------------------------------------------------------------------ */

static void decay_init(double *const *c, const double *P, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) c[0][i] = P[1];
}
static void decay_step(double *const *c, const double *P, int64_t b, int64_t e, double t,
                       double dt) {
  for (int64_t i = b; i < e; i++) c[0][i] *= exp(-dt / c[1][i]); /* exact */
}
static void decay_rhs(const double *const *y, double *const *dy, double *const *c,
                      const double *P, int64_t b, int64_t e, double t) {
  for (int64_t i = b; i < e; i++) dy[0][i] = -y[0][i] / c[1][i];
}

static const double TAUS[] = {10e-3, 20e-3};
static const MsnStateDesc DECAY_STATES[] = {{"x", "mV", 1e-3, "cn", "linear"}};
static const MsnParamDesc DECAY_PARAMS[] = {
    {"tau", "ms", 1e-3, 10e-3, 1, TAUS, {0, 0, 1, 0, 0, 0}},
    {"x0", "mV", 1e-3, 1.0, 0, NULL, {2, 1, -3, -1, 0, 0}},
};
static const MsnModel DECAY = {
    .abi_version = MSN_ABI_VERSION, .name = "decay", .msn_version = "test",
    .source = "test_runtime.c", .nstates = 1, .nparams = 2, .states = DECAY_STATES,
    .params = DECAY_PARAMS, .n_instances = 2, .spike_state = -1, .method = MSN_STAGGERED,
    .duration = 10e-3, .dt = 0.1e-3, .nrecords = 1, .records = REC0,
    .init = decay_init, .step = decay_step, .rhs = decay_rhs};

/* ---- osc --------------------------------------------------------------------- */

static void osc_init(double *const *c, const double *P, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) c[0][i] = 1, c[1][i] = 0;
}
static void osc_rhs(const double *const *y, double *const *dy, double *const *c,
                    const double *P, int64_t b, int64_t e, double t) {
  double w = 2 * M_PI * P[0];
  for (int64_t i = b; i < e; i++) dy[0][i] = y[1][i], dy[1][i] = -w * w * y[0][i];
}
static const MsnStateDesc OSC_STATES[] = {{"x", "1", 1, "euler", ""}, {"v", "1/ms", 1e3, "euler", ""}};
static const MsnParamDesc OSC_PARAMS[] = {{"f", "Hz", 1, 50, 0, NULL, {0, 0, -1, 0, 0, 0}}};
static const MsnModel OSC = {
    .abi_version = MSN_ABI_VERSION, .name = "osc", .nstates = 2, .nparams = 1,
    .states = OSC_STATES, .params = OSC_PARAMS, .n_instances = 1, .spike_state = -1,
    .method = MSN_RK4, .duration = 20e-3, .dt = 0.1e-3, .nrecords = 2, .records = REC01,
    .init = osc_init, .rhs = osc_rhs};

/* ---- ramp and quad (spikes) ----------------------------------------------------- */

static void v0_init(double *const *c, const double *P, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) c[0][i] = -65e-3;
}
static void ramp_step(double *const *c, const double *P, int64_t b, int64_t e, double t,
                      double dt) {
  for (int64_t i = b; i < e; i++) c[0][i] += c[1][i] * dt;
}
static void ramp_rhs(const double *const *y, double *const *dy, double *const *c,
                     const double *P, int64_t b, int64_t e, double t) {
  for (int64_t i = b; i < e; i++) dy[0][i] = c[1][i];
}
static const double RATES[] = {0.7, 1.3};
static const MsnStateDesc V_STATE[] = {{"V", "mV", 1e-3, "cn", "membrane"}};
static const MsnParamDesc RAMP_PARAMS[] = {{"rate", "mV/ms", 1, 1, 1, RATES, {2, 1, -4, -1, 0, 0}}};
static const MsnModel RAMP = {
    .abi_version = MSN_ABI_VERSION, .name = "ramp", .nstates = 1, .nparams = 1,
    .states = V_STATE, .params = RAMP_PARAMS, .n_instances = 2, .spike_state = 0,
    .spike_threshold = -50e-3, .method = MSN_STAGGERED, .duration = 30e-3, .dt = 0.1e-3,
    .nrecords = 1, .records = REC0, .record_spikes = 1,
    .init = v0_init, .step = ramp_step, .rhs = ramp_rhs};

static void quad_step(double *const *c, const double *P, int64_t b, int64_t e, double t,
                      double dt) {
  for (int64_t i = b; i < e; i++) c[0][i] += P[0] * ((t + dt) * (t + dt) - t * t);
}
static void quad_rhs(const double *const *y, double *const *dy, double *const *c,
                     const double *P, int64_t b, int64_t e, double t) {
  for (int64_t i = b; i < e; i++) dy[0][i] = 2 * P[0] * t;
}
static const MsnParamDesc QUAD_PARAMS[] = {{"a", "mV/ms^2", 1e3, 100, 0, NULL, {2, 1, -5, -1, 0, 0}}};
static const MsnModel QUAD = {
    .abi_version = MSN_ABI_VERSION, .name = "quad", .nstates = 1, .nparams = 1,
    .states = V_STATE, .params = QUAD_PARAMS, .n_instances = 1, .spike_state = 0,
    .spike_threshold = -50e-3, .method = MSN_RK4, .duration = 20e-3, .dt = 0.1e-3,
    .nrecords = 1, .records = REC0, .init = v0_init, .step = quad_step, .rhs = quad_rhs};
/* V = -65 mV + a t^2 with a = 100 V/s^2 reaches -50 mV at sqrt(1.5e-4) s */
#define QUAD_T_MS (sqrt(1.5e-4) * 1e3)

/* ---- nan -------------------------------------------------------------------------- */

static void nan_step(double *const *c, const double *P, int64_t b, int64_t e, double t,
                     double dt) {
  for (int64_t i = b; i < e; i++)
    c[0][i] = (i == 1 && t >= 5e-3 - 1e-12) ? NAN : c[0][i] + dt;
}
static void nan_rhs(const double *const *y, double *const *dy, double *const *c,
                    const double *P, int64_t b, int64_t e, double t) {
  for (int64_t i = b; i < e; i++) dy[0][i] = (i == 1 && t >= 5e-3) ? NAN : 1.0;
}
static const MsnStateDesc X_STATE[] = {{"x", "mV", 1e-3, "euler", ""}};
static const MsnModel NANM = {
    .abi_version = MSN_ABI_VERSION, .name = "nan", .nstates = 1, .nparams = 0,
    .states = X_STATE, .n_instances = 2, .spike_state = -1, .method = MSN_STAGGERED,
    .duration = 10e-3, .dt = 0.1e-3, .nrecords = 1, .records = REC0,
    .init = v0_init, .step = nan_step, .rhs = nan_rhs};

/* ---- harness ------------------------------------------------------------------------ */

static char tmpdir[64];
static int dircount;
static char captured_err[16384], captured_out[16384];

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  if (len) *len = got;
  return s;
}

/* A fresh output directory name under tmpdir (not created). */
static const char *new_out(void) {
  static char buf[128];
  snprintf(buf, sizeof buf, "%s/out%d", tmpdir, ++dircount);
  return buf;
}

static char *path_in(const char *dir, const char *file) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, file);
  return buf[k];
}

/* Run msn_main with stdout and stderr going to captured_out / captured_err. */
static int run_raw(const MsnModel *m, int argc, char **argv) {
  char outp[128], errp[128];
  snprintf(outp, sizeof outp, "%s/stdout.txt", tmpdir);
  snprintf(errp, sizeof errp, "%s/stderr.txt", tmpdir);
  fflush(stdout);
  fflush(stderr);
  int so = dup(1), se = dup(2);
  int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fo, 1);
  dup2(fe, 2);
  close(fo);
  close(fe);
  int st = msn_main(m, argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  char *s = slurp(outp, NULL);
  snprintf(captured_out, sizeof captured_out, "%s", s ? s : "");
  free(s);
  s = slurp(errp, NULL);
  snprintf(captured_err, sizeof captured_err, "%s", s ? s : "");
  free(s);
  return st;
}

/* Run msn_main with argv {prog, args..., NULL}. */
static int run_argv(const MsnModel *m, const char **args) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "/some/dir/prog";
  for (; args[argc - 1] && argc < 63; argc++) argv[argc] = (char *)args[argc - 1];
  argv[argc] = NULL;
  return run_raw(m, argc, argv);
}

#define RUN(m, ...) run_argv(m, (const char *[]){__VA_ARGS__, NULL})

/* Minimal .npy reader: checks the v1.0 header and returns the data. */
static double *read_npy(const char *path, long *rows, long *cols) {
  size_t len;
  char *s = slurp(path, &len);
  if (!s || len < 10 || memcmp(s, "\x93NUMPY\x01\x00", 8) != 0) {
    free(s);
    return NULL;
  }
  size_t hl = (unsigned char)s[8] | (size_t)(unsigned char)s[9] << 8;
  char *shape = strstr(s + 10, "'shape': (");
  if (!shape || sscanf(shape, "'shape': (%ld, %ld)", rows, cols) != 2 ||
      len != 10 + hl + (size_t)(*rows * *cols) * 8) {
    free(s);
    return NULL;
  }
  double *d = malloc((size_t)(*rows * *cols + 1) * sizeof *d);
  memcpy(d, s + 10 + hl, (size_t)(*rows * *cols) * 8);
  free(s);
  return d;
}

/* ---- a small JSON validator ---------------------------------------------------- */

static const char *json_value(const char *p);
static const char *json_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
  return p;
}
static const char *json_string(const char *p) {
  if (*p++ != '"') return NULL;
  for (; *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int k = 1; k <= 4; k++)
          if (!strchr("0123456789abcdefABCDEF", p[k]) || !p[k]) return NULL;
        p += 4;
      } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
        return NULL;
      }
    }
  }
  return p + 1;
}
static const char *json_list(const char *p, char close, bool object) {
  p = json_ws(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    if (object) {
      if (!(p = json_string(json_ws(p)))) return NULL;
      p = json_ws(p);
      if (*p++ != ':') return NULL;
    }
    if (!(p = json_value(p))) return NULL;
    p = json_ws(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
  }
}
static const char *json_value(const char *p) {
  p = json_ws(p);
  if (*p == '{') return json_list(p, '}', true);
  if (*p == '[') return json_list(p, ']', false);
  if (*p == '"') return json_string(p);
  if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) return p + 4;
  if (!strncmp(p, "false", 5)) return p + 5;
  char *end;
  strtod(p, &end);
  return end == p ? NULL : end;
}
static bool json_valid(const char *s) {
  const char *p = s ? json_value(s) : NULL;
  return p && *json_ws(p) == '\0';
}

/* ---- tests: pieces ------------------------------------------------------------------- */

static void test_quantity(void) {
  double a = 0, b = 0, c = 0, d = 0;
  char err[512];
  CU_ASSERT_TRUE(rt_parse_quantity("20ms", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_TRUE(rt_parse_quantity("0.02 s", DIM_TIME, 1e-3, "ms", &b, err, sizeof err));
  CU_ASSERT_TRUE(rt_parse_quantity("20", DIM_TIME, 1e-3, "ms", &c, err, sizeof err));
  CU_ASSERT_TRUE(rt_parse_quantity("20000 us", DIM_TIME, 1e-3, "ms", &d, err, sizeof err));
  CU_ASSERT_DOUBLE_EQUAL(a, 0.02, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(b, 0.02, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(c, 0.02, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(d, 0.02, 1e-15);
  CU_ASSERT_TRUE(rt_parse_quantity("-65mV", DIM_VOLT, 1e-3, "mV", &a, err, sizeof err));
  CU_ASSERT_DOUBLE_EQUAL(a, -0.065, 1e-15);
  CU_ASSERT_FALSE(rt_parse_quantity("5mV", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "ms"));
  CU_ASSERT_FALSE(rt_parse_quantity("abc", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_FALSE(rt_parse_quantity("1e", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_FALSE(rt_parse_quantity("", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_FALSE(rt_parse_quantity("nan", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  CU_ASSERT_FALSE(rt_parse_quantity("1e999", DIM_TIME, 1e-3, "ms", &a, err, sizeof err));
  (void)DIM_VPS, (void)DIM_VPS2, (void)DIM_HZ;
}

static void test_crossings(void) {
  /* linear: exact up to rounding */
  CU_ASSERT_DOUBLE_EQUAL(rt_linear_crossing(-1, 3, 2.0, 0), 0.5, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(rt_linear_crossing(0.25, 0.75, 1e-4, 0.5), 0.5e-4, 1e-19);
  /* Hermite of a linear trajectory is the line */
  CU_ASSERT_DOUBLE_EQUAL(rt_hermite_crossing(-1, 3, 2, 2, 2.0, 0), 0.5, 1e-15);
  /* cubic p(t) = -1 + t + 3 t^3 on [0, 0.6]: the Hermite interpolant is p
   * itself; its root solves 3t^3 + t - 1 = 0 */
  double h = 0.6, v0 = -1, v1 = -1 + h + 3 * h * h * h, f0 = 1, f1 = 1 + 9 * h * h;
  double root = rt_hermite_crossing(v0, v1, f0, f1, h, 0);
  CU_ASSERT_DOUBLE_EQUAL(-1 + root + 3 * root * root * root, 0, 1e-14);
  CU_ASSERT_TRUE(root > 0 && root < h);
  /* quadratic with a flat start: V = t^2 crossing 0.3 on [0, 1] */
  root = rt_hermite_crossing(0, 1, 0, 2, 1, 0.3);
  CU_ASSERT_DOUBLE_EQUAL(root, sqrt(0.3), 1e-14);
}

/* ---- tests: whole runs --------------------------------------------------------------- */

/* Checks every row of a decay trace against 1000 mV exp(-t/tau). */
static double decay_max_relerr(const double *d, long rows, const double tau_ms[2]) {
  double worst = 0;
  for (long r = 0; r < rows; r++)
    for (int i = 0; i < 2; i++) {
      double want = 1000 * exp(-d[r * 3] / tau_ms[i]);
      double e = fabs(d[r * 3 + 1 + i] - want) / want;
      if (e > worst) worst = e;
    }
  return worst;
}

static void test_staggered_csv(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet"), 0);
  CU_ASSERT_STRING_EQUAL(captured_err, "");
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  CU_ASSERT_EQUAL(strncmp(csv, "t [ms],x[0] [mV],x[1] [mV]\n0,1000,1000\n", 39), 0);
  /* 10 ms / 0.1 ms = 100 steps, plus the row at t = 0 */
  long rows = 0;
  double worst = 0;
  char *line = strchr(csv, '\n') + 1;
  for (; *line; line = strchr(line, '\n') + 1) {
    double t, x0, x1;
    CU_ASSERT_EQUAL_FATAL(sscanf(line, "%lf,%lf,%lf", &t, &x0, &x1), 3);
    double e0 = fabs(x0 / (1000 * exp(-t / 10)) - 1), e1 = fabs(x1 / (1000 * exp(-t / 20)) - 1);
    worst = fmax(worst, fmax(e0, e1));
    rows++;
  }
  CU_ASSERT_EQUAL(rows, 101);
  CU_ASSERT(worst < 2e-9); /* %.10g output */
  free(csv);
  char *sp = slurp(path_in(out, "spikes.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL(sp);
  if (sp) CU_ASSERT_STRING_EQUAL(sp, "t [ms],id\n");
  free(sp);
}

static void test_run_json(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--seed", "42"), 0);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(js);
  CU_ASSERT_TRUE(json_valid(js));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"completed\": true"));
  CU_ASSERT_PTR_NULL(strstr(js, "\"error\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"columns\": [\"t [ms]\", \"x[0] [mV]\", \"x[1] [mV]\"]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"per_instance\": [10, 20]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"seed\": 42"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"steps\": 100"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"dt\": {\"value\": 0.1, \"unit\": \"ms\"}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"method\": \"staggered\""));
  free(js);
}

static void test_npy(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--format", "npy"), 0);
  size_t len;
  char *raw = slurp(path_in(out, "trace.npy"), &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
  CU_ASSERT_EQUAL(memcmp(raw, "\x93NUMPY\x01\x00", 8), 0);
  size_t hl = (unsigned char)raw[8] | (size_t)(unsigned char)raw[9] << 8;
  CU_ASSERT_EQUAL((10 + hl) % 64, 0);
  CU_ASSERT_EQUAL(raw[10 + hl - 1], '\n');
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (101, 3), }";
  CU_ASSERT_EQUAL(strncmp(raw + 10, dict, strlen(dict)), 0);
  CU_ASSERT_EQUAL(len, 10 + hl + 101 * 3 * 8);
  free(raw);
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 101);
  CU_ASSERT_EQUAL(cols, 3);
  CU_ASSERT_DOUBLE_EQUAL(d[0], 0, 0);
  CU_ASSERT_DOUBLE_EQUAL(d[1], 1000, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(d[100 * 3], 10, 1e-12);
  CU_ASSERT(decay_max_relerr(d, rows, (double[]){10, 20}) < 1e-13); /* exact step */
  free(d);
  d = read_npy(path_in(out, "spikes.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL(d);
  CU_ASSERT_EQUAL(rows, 0);
  CU_ASSERT_EQUAL(cols, 2);
  free(d);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_TRUE(json_valid(js));
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"trace\": \"trace.npy\"") : NULL);
  free(js);
}

/* Error at t = 10 ms of instance 0 (tau = 10 ms) with rk4 and step dt. */
static double rk4_decay_error(const char *dt) {
  const char *out = new_out();
  if (RUN(&DECAY, "--out", out, "--quiet", "--format=npy", "--method=rk4", "--dt", dt) != 0)
    return NAN;
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  if (!d) return NAN;
  double e = fabs(d[(rows - 1) * 3 + 1] - 1000 * exp(-1.0)) / (1000 * exp(-1.0));
  free(d);
  return e;
}

static void test_rk4(void) {
  double e1 = rk4_decay_error("1ms"), e2 = rk4_decay_error("0.5 ms");
  /* global error ~ C dt^4: halving dt divides it by ~16 */
  CU_ASSERT(e2 < 2e-6);
  CU_ASSERT(e1 / e2 > 14 && e1 / e2 < 18);
  /* oscillator over one period, dt = 0.1 ms (w dt = 0.031): error ~ 1e-7 */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&OSC, "--out", out, "--quiet", "--format", "npy"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 201);
  double worst = 0, w = 2 * M_PI * 50;
  for (long r = 0; r < rows; r++) {
    double t = d[r * 3] * 1e-3;
    worst = fmax(worst, fabs(d[r * 3 + 1] - cos(w * t)));
    worst = fmax(worst, fabs(d[r * 3 + 2] * 1e3 / w + sin(w * t))); /* v in 1/ms */
  }
  CU_ASSERT(worst < 1e-6);
  free(d);
}

static void test_rk45(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--format", "npy", "--method", "rk45",
                      "--rtol", "1e-10", "--atol", "1e-12"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 101);
  CU_ASSERT(decay_max_relerr(d, rows, (double[]){10, 20}) < 1e-7);
  free(d);
  out = new_out();
  CU_ASSERT_EQUAL(RUN(&OSC, "--out", out, "--quiet", "--format", "npy", "--method", "rk45",
                      "--dt", "1ms", "--rtol", "1e-10", "--atol", "1e-12"), 0);
  d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 21);
  double worst = 0, w = 2 * M_PI * 50;
  for (long r = 0; r < rows; r++) worst = fmax(worst, fabs(d[r * 3 + 1] - cos(w * d[r * 3] * 1e-3)));
  CU_ASSERT(worst < 1e-7);
  free(d);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"rk45_steps\"") : NULL);
  free(js);
}

static void test_spikes_linear(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&RAMP, "--out", out, "--quiet", "--format", "npy"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "spikes.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL_FATAL(rows, 2);
  CU_ASSERT_EQUAL(cols, 2);
  /* sorted by time: instance 1 (1.3 mV/ms) first; 15 mV / rate */
  CU_ASSERT_DOUBLE_EQUAL(d[0], 15 / 1.3, 1e-12 * 15 / 1.3);
  CU_ASSERT_DOUBLE_EQUAL(d[1], 1, 0);
  CU_ASSERT_DOUBLE_EQUAL(d[2], 15 / 0.7, 1e-12 * 15 / 0.7);
  CU_ASSERT_DOUBLE_EQUAL(d[3], 0, 0);
  free(d);
  out = new_out();
  CU_ASSERT_EQUAL(RUN(&RAMP, "--out", out), 0);
  char *csv = slurp(path_in(out, "spikes.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  /* spike times are written with full precision (17 digits) */
  double t0 = 0, t1 = 0;
  int id0 = -1, id1 = -1;
  CU_ASSERT_EQUAL(sscanf(csv, "t [ms],id\n%lf,%d\n%lf,%d\n", &t0, &id0, &t1, &id1), 4);
  CU_ASSERT_DOUBLE_EQUAL(t0, 15 / 1.3, 1e-12 * 15 / 1.3);
  CU_ASSERT_EQUAL(id0, 1);
  CU_ASSERT_DOUBLE_EQUAL(t1, 15 / 0.7, 1e-12 * 15 / 0.7);
  CU_ASSERT_EQUAL(id1, 0);
  free(csv);
  /* the summary line */
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "ramp: 30 ms simulated in "));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "(300 steps, 2 spikes); output in "));
}

static void quad_spike(const char *method) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&QUAD, "--out", out, "--quiet", "--format", "npy", "--method", method), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "spikes.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL_FATAL(rows, 1);
  CU_ASSERT_DOUBLE_EQUAL(d[0], QUAD_T_MS, 1e-12 * QUAD_T_MS);
  free(d);
}

static void test_spikes_hermite_rk4(void) { quad_spike("rk4"); }
static void test_spikes_hermite_rk45(void) { quad_spike("rk45"); }

static void test_spikes_staggered_quad(void) {
  /* linear interpolation of a parabola: error <= a dt^2 / 8 / slope */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&QUAD, "--out", out, "--quiet", "--format", "npy", "--method", "staggered"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "spikes.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL_FATAL(rows, 1);
  CU_ASSERT_DOUBLE_EQUAL(d[0], QUAD_T_MS, 1e-3);
  free(d);
}

static char *trace_with(const char *set_a, const char *set_b) {
  const char *out = new_out();
  int st = set_b ? RUN(&DECAY, "--out", out, "--quiet", set_a, set_b)
                 : RUN(&DECAY, "--out", out, "--quiet", set_a);
  return st == 0 ? slurp(path_in(out, "trace.csv"), NULL) : NULL;
}

static void test_set_units(void) {
  char *a = trace_with("--set", "tau=20ms");
  char *b = trace_with("--set", "tau=0.02 s");
  char *c = trace_with("--set=tau=20", NULL);
  char *d = trace_with("--set", "tau = 20000 us");
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_PTR_NULL(d); /* "tau " is not a parameter name */
  CU_ASSERT_STRING_EQUAL(a, b);
  CU_ASSERT_STRING_EQUAL(a, c);
  /* both instances now decay with 20 ms: last row t = 10 -> 1000 e^-0.5 */
  char *last = a + strlen(a) - 1;
  while (last > a && last[-1] != '\n') last--;
  double t, x0, x1;
  CU_ASSERT_EQUAL(sscanf(last, "%lf,%lf,%lf", &t, &x0, &x1), 3);
  CU_ASSERT_DOUBLE_EQUAL(x0, 1000 * exp(-0.5), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(x1, 1000 * exp(-0.5), 1e-6);
  free(a), free(b), free(c), free(d);
  /* one instance, and a scalar parameter with a unit */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--set", "tau[1]=5ms", "--set", "x0=0.5V",
                      "--format", "npy"), 0);
  long rows, cols;
  double *v = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_DOUBLE_EQUAL(v[1], 500, 1e-12);
  CU_ASSERT(decay_max_relerr(v, rows, (double[]){10, 5}) > 0.4); /* x0 changed */
  for (long r = 0; r < rows; r++) v[r * 3 + 1] *= 2, v[r * 3 + 2] *= 2;
  CU_ASSERT(decay_max_relerr(v, rows, (double[]){10, 5}) < 1e-13);
  free(v);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"per_instance\": [10, 5]") : NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"name\": \"x0\", \"value\": 500, \"unit\": \"mV\", \"set\": true") : NULL);
  free(js);
}

/* Every bad command line returns 1 with "prog: error:" and creates nothing. */
static void expect_usage(const char **args, const char *needle1, const char *needle2) {
  int st = run_argv(&DECAY, args);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "prog: error: "));
  if (needle1) CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, needle1));
  if (needle2) CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, needle2));
  if (st != 1 || (needle1 && !strstr(captured_err, needle1)))
    fprintf(stderr, "\n  unexpected (%d): %s", st, captured_err);
}
#define USAGE(n1, n2, ...) expect_usage((const char *[]){__VA_ARGS__, NULL}, n1, n2)

static void test_cli_errors(void) {
  const char *out = new_out();
  USAGE("'tua'", "Did you mean 'tau'", "--out", out, "--set", "tua=3ms");
  USAGE("Parameters: tau [ms] x0 [mV]", NULL, "--out", out, "--set", "gNa=3");
  USAGE("tau", "time is expected (unit ms)", "--out", out, "--set", "tau=5mV");
  USAGE("a voltage", NULL, "--out", out, "--set", "tau=5mV");
  USAGE("x0", "unit mV", "--out", out, "--set", "x0=5ms");
  USAGE("'5 mV/mV' is a plain number (dimensionless), but a time", NULL, "--out", out, "--set",
        "tau=5 mV/mV");
  USAGE("--set expects NAME=VALUE", NULL, "--out", out, "--set", "tau");
  USAGE("bad instance index", NULL, "--out", out, "--set", "tau[2]=3");
  USAGE("shared by all instances", NULL, "--out", out, "--set", "x0[0]=3");
  USAGE("unknown unit", NULL, "--out", out, "--set", "tau=3 parsecs");
  USAGE("--dt must be positive", NULL, "--out", out, "--dt", "-0.01ms");
  USAGE("--dt must be positive", NULL, "--out", out, "--dt=0");
  USAGE("longer than --duration", NULL, "--out", out, "--dt", "20ms");
  USAGE("--duration must be positive", NULL, "--out", out, "--duration", "-5");
  USAGE("unknown option '--dtt'", "Did you mean '--dt'?", "--out", out, "--dtt", "1");
  USAGE("unknown option '--bogus'", "--help", "--out", out, "--bogus");
  USAGE("--dt needs a value", NULL, "--out", out, "--dt");
  USAGE("expected a number", NULL, "--out", out, "--dt", "fast");
  USAGE("--dt: ", NULL, "--out", out, "--dt=1 ms x");
  USAGE("--format must be csv or npy", NULL, "--out", out, "--format", "xml");
  USAGE("--method must be", NULL, "--out", out, "--method", "leapfrog");
  USAGE("--seed expects a whole number", NULL, "--out", out, "--seed", "-3");
  USAGE("--threads expects at least 1", NULL, "--out", out, "--threads", "0");
  USAGE("--quiet takes no value", NULL, "--out", out, "--quiet=yes");
  USAGE("unexpected argument 'parsecs'", NULL, "--out", out, "--duration", "1", "parsecs");
  USAGE("unexpected argument '5'", NULL, "--out", out, "--duration", "1", "5");
  USAGE("--set needs a value", NULL, "--set", "--out", out);
  USAGE("--rtol expects a positive number", NULL, "--out", out, "--rtol", "0");
  USAGE("--record-every must not be negative", NULL, "--out", out, "--record-every", "-1");
  USAGE("--out expects a directory", NULL, "--out", "");
  struct stat st;
  CU_ASSERT_NOT_EQUAL(stat(out, &st), 0); /* no output for a rejected command line */
  /* a model without staggered kernels, and a mismatched ABI */
  MsnModel m = OSC;
  CU_ASSERT_EQUAL(RUN(&m, "--method", "staggered"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "no staggered kernels"));
  m.abi_version = 99;
  CU_ASSERT_EQUAL(RUN(&m, "--quiet"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "ABI 99"));
  CU_ASSERT_EQUAL(run_raw(NULL, 0, NULL), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "no model description"));
}

static void test_help_version(void) {
  CU_ASSERT_EQUAL(RUN(&DECAY, "--help"), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "Usage: prog [OPTION]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "bare number is in ms"));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "tau"));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "one thread"));
  CU_ASSERT_EQUAL(RUN(&DECAY, "-h"), 0);
  CU_ASSERT_EQUAL(RUN(&DECAY, "--version"), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "model 'decay'"));
  char abi[32];
  snprintf(abi, sizeof abi, "ABI %d", MSN_ABI_VERSION);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, abi));
  /* no argv at all: every default, output in ./msn_out_decay */
  char cwd[4096];
  CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
  CU_ASSERT_EQUAL_FATAL(chdir(tmpdir), 0);
  char *argv[] = {NULL};
  CU_ASSERT_EQUAL(run_raw(&DECAY, 0, argv), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "decay: 10 ms simulated in "));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "output in msn_out_decay/"));
  struct stat st;
  CU_ASSERT_EQUAL(stat("msn_out_decay/run.json", &st), 0);
  CU_ASSERT_EQUAL(chdir(cwd), 0);
}

static void test_nan(void) {
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&NANM, "--out", out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err,
      "prog: error: state 'x' of instance 1 became NaN at t = 5.1 ms (step 51); try a smaller --dt"));
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(js);
  CU_ASSERT_TRUE(json_valid(js));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"completed\": false"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"error\": \"state 'x' of instance 1 became NaN"));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"steps\": 51"));
  free(js);
  /* the trace holds the rows before the failure: t = 0 .. 5.0 ms */
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
  int lines = 0;
  for (char *p = csv; *p; p++) lines += *p == '\n';
  CU_ASSERT_EQUAL(lines, 1 + 51);
  free(csv);
  /* rk4 and rk45 stop as well */
  CU_ASSERT_EQUAL(RUN(&NANM, "--out", new_out(), "--quiet", "--method", "rk4"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "instance 1 became NaN"));
  CU_ASSERT_EQUAL(RUN(&NANM, "--out", new_out(), "--quiet", "--method", "rk45"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "instance 1 became NaN"));
}

static void test_io_error(void) {
  char file[128];
  snprintf(file, sizeof file, "%s/plainfile", tmpdir);
  FILE *f = fopen(file, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fclose(f);
  char out[160];
  snprintf(out, sizeof out, "%s/sub", file);
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, out));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "Not a directory"));
  /* a trace file that cannot be created: exit 3, run.json still written */
  const char *o2 = new_out();
  CU_ASSERT_EQUAL_FATAL(rt_mkdir_p(path_in(o2, "trace.csv")), 0);
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", o2, "--quiet"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "cannot create '"));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "trace.csv': Is a directory"));
  char *js = slurp(path_in(o2, "run.json"), NULL);
  CU_ASSERT_TRUE(json_valid(js));
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"completed\": false") : NULL);
  free(js);
  /* nested directories are created like mkdir -p */
  snprintf(out, sizeof out, "%s/a/b/c/", tmpdir);
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet"), 0);
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL(csv ? strstr(csv, "t [ms]") : NULL);
  free(csv);
}

static void test_grid(void) {
  /* record every 1 ms at dt 0.1 ms: t = 0, 1, ..., 10 */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--record-every", "1ms", "--format", "npy"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 11);
  CU_ASSERT_DOUBLE_EQUAL(d[10 * 3], 10, 1e-12);
  free(d);
  /* dt that does not divide the duration: ceil(1/0.3) = 4 steps, to 1.2 ms */
  out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--duration", "1", "--dt", "0.3",
                      "--format", "npy"), 0);
  d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 5);
  CU_ASSERT_DOUBLE_EQUAL(d[4 * 3], 1.2, 1e-12);
  free(d);
  /* 1 s at 0.1 ms is 10000 steps although 1/1e-4 is not exactly 10000 */
  out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--duration=1 s", "--dt=0.1ms",
                      "--record-every", "1 s"), 0);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"steps\": 10000") : NULL);
  free(js);
}

static void test_unit_as_own_word(void) {
  /* "--duration 1 s" and "--set tau=20 ms" without quotes */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--duration", "2", "ms", "--dt", "0.5",
                      "ms", "--set", "tau=20", "ms"), 0);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"steps\": 4") : NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"per_instance\": [20, 20]") : NULL);
  free(js);
}

/* ---- --record ---------------------------------------------------------------------- */

/* Run OSC (states x, v; both recorded by the model) with the given
 * --record options; the trace's header line, or NULL when the run failed. */
static char *osc_header(const char **rec, char out_dir[128]) {
  const char *out = new_out();
  const char *args[16] = {"--out", out, "--quiet", "--duration", "1ms"};
  int n = 5;
  for (; *rec && n < 15; rec++) args[n++] = *rec;
  args[n] = NULL;
  if (out_dir) snprintf(out_dir, 128, "%s", out);
  if (run_argv(&OSC, args) != 0) return NULL;
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  if (csv && strchr(csv, '\n')) strchr(csv, '\n')[1] = '\0';
  return csv;
}
#define OSC_HEADER(dir, ...) osc_header((const char *[]){__VA_ARGS__, NULL}, dir)

static void expect_header(char *got, const char *want) {
  CU_ASSERT_PTR_NOT_NULL(got);
  if (got) CU_ASSERT_STRING_EQUAL(got, want);
  if (got && strcmp(got, want)) fprintf(stderr, "\n  header %s, want %s", got, want);
  free(got);
}

static void test_record_order(void) {
  char dflt[128], swapped[128];
  expect_header(OSC_HEADER(dflt, "--quiet"), "t [ms],x [1],v [1/ms]\n");
  expect_header(OSC_HEADER(swapped, "--record", "v,x"), "t [ms],v [1/ms],x [1]\n");
  /* the same numbers, columns swapped */
  char *a = slurp(path_in(dflt, "trace.csv"), NULL), *b = slurp(path_in(swapped, "trace.csv"), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  long rows = 0;
  for (char *p = strchr(a, '\n') + 1, *q = strchr(b, '\n') + 1; *p && *q;
       p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1, rows++) {
    char t1[32], x1[32], v1[32], t2[32], x2[32], v2[32];
    CU_ASSERT_EQUAL_FATAL(sscanf(p, "%31[^,],%31[^,],%31[^\n]", t1, x1, v1), 3);
    CU_ASSERT_EQUAL_FATAL(sscanf(q, "%31[^,],%31[^,],%31[^\n]", t2, v2, x2), 3);
    CU_ASSERT(strcmp(t1, t2) == 0 && strcmp(x1, x2) == 0 && strcmp(v1, v2) == 0);
  }
  CU_ASSERT_EQUAL(rows, 11);
  free(a), free(b);
  char *js = slurp(path_in(swapped, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"columns\": [\"t [ms]\", \"v [1/ms]\", \"x [1]\"]") : NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"recorded_states\": [\"v\", \"x\"],\n  \"recorded_by\": \"--record\"") : NULL);
  CU_ASSERT_TRUE(js && json_valid(js));
  free(js);
  js = slurp(path_in(dflt, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"recorded_states\": [\"x\", \"v\"],\n  \"recorded_by\": \"model\"") : NULL);
  free(js);
  /* one state; spaces around names; the = form; spikes adds no column */
  expect_header(OSC_HEADER(NULL, "--record", "v"), "t [ms],v [1/ms]\n");
  expect_header(OSC_HEADER(NULL, "--record= x , v"), "t [ms],x [1],v [1/ms]\n");
  expect_header(OSC_HEADER(NULL, "--record", "v,spikes"), "t [ms],v [1/ms]\n");
  /* repeated: the last one holds */
  expect_header(OSC_HEADER(NULL, "--record", "x", "--record", "v"), "t [ms],v [1/ms]\n");
  expect_header(OSC_HEADER(NULL, "--record", "none", "--record", "v,x"), "t [ms],v [1/ms],x [1]\n");
  /* several instances: the columns of every instance, as for the model's record */
  const char *out = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--quiet", "--record", "x"), 0);
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  const char *o2 = new_out();
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", o2, "--quiet"), 0);
  char *ref = slurp(path_in(o2, "trace.csv"), NULL);
  CU_ASSERT_TRUE(csv && ref && strcmp(csv, ref) == 0);
  free(csv), free(ref);
}

static void test_record_none(void) {
  char none[128];
  expect_header(OSC_HEADER(none, "--record", "none"), "t [ms]\n");
  const char *out = none;
  char *csv = slurp(path_in(out, "trace.csv"), NULL);
  CU_ASSERT_TRUE(csv && strcmp(csv, "t [ms]\n0\n0.1\n0.2\n0.3\n0.4\n0.5\n0.6\n0.7\n0.8\n0.9\n1\n") == 0);
  free(csv);
  char *js = slurp(path_in(out, "run.json"), NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"columns\": [\"t [ms]\"]") : NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"recorded_states\": []") : NULL);
  CU_ASSERT_PTR_NOT_NULL(js ? strstr(js, "\"rows\": 11") : NULL);
  free(js);
  expect_header(OSC_HEADER(NULL, "--record", "spikes"), "t [ms]\n");
  /* npy: a (rows, 1) array */
  out = new_out();
  CU_ASSERT_EQUAL(RUN(&OSC, "--out", out, "--quiet", "--record", "none", "--format", "npy",
                      "--duration", "1ms"), 0);
  long rows, cols;
  double *d = read_npy(path_in(out, "trace.npy"), &rows, &cols);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_EQUAL(rows, 11);
  CU_ASSERT_EQUAL(cols, 1);
  CU_ASSERT_DOUBLE_EQUAL(d[10], 1, 1e-12);
  free(d);
}

static void test_record_errors(void) {
  const char *out = new_out();
  USAGE("--record: model 'decay' has no state 'y'", "States: x [mV]; or none", "--out", out,
        "--record", "y");
  USAGE("no state 'X'", "Did you mean 'x'?", "--out", out, "--record", "X");
  USAGE("no state 'x_Na'", "Did you mean 'x'?", "--out", out, "--record", "x_Na");
  USAGE("no state 'y'", NULL, "--out", out, "--record", "x", "--record", "y");
  USAGE("--record: an empty name in 'x,'", NULL, "--out", out, "--record", "x,");
  USAGE("--record: an empty name in ''", NULL, "--out", out, "--record=");
  USAGE("--record: a state named twice in 'x,x'", NULL, "--out", out, "--record", "x,x");
  USAGE("none cannot be listed with other names", NULL, "--out", out, "--record", "none,x");
  USAGE("--record needs a value", NULL, "--out", out, "--record");
  CU_ASSERT_EQUAL(RUN(&OSC, "--out", out, "--record", "v,,x"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "prog: error: --record: an empty name in 'v,,x'\n"
                                              "Example: --record x,v (names separated by commas)\n"));
  struct stat st;
  CU_ASSERT_NOT_EQUAL(stat(out, &st), 0); /* nothing written */
  /* a population model writes no state columns: refused, not ignored */
  static const double conf[MSN_POP_NCONF] = {MSN_POP_FIELD};
  static const MsnPopulation pop = {.version = MSN_POPULATION_VERSION, .kind = MSN_POP_FIELD,
                                    .nconf = MSN_POP_NCONF, .conf = conf};
  MsnModel m = OSC;
  m.population = &pop;
  CU_ASSERT_EQUAL(RUN(&m, "--out", out, "--record", "x"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "prog: error: --record does not apply to population model 'osc'"));
  CU_ASSERT_NOT_EQUAL(stat(out, &st), 0);
}

/* A big trace is announced before the run (the output directory cannot be
 * created here, so nothing runs): 3 columns x 10^7 + 1 rows. */
static void test_record_size_note(void) {
  char file[128], out[160];
  snprintf(file, sizeof file, "%s/notdir", tmpdir);
  FILE *f = fopen(file, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fclose(f);
  snprintf(out, sizeof out, "%s/sub", file);
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--duration", "1000s", "--record", "x"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "prog: note: --record: the trace will hold 3 columns x "
                                              "10000001 rows (3e+07 values, about 360 MB as CSV)"));
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--duration", "1000s", "--record", "x", "--format", "npy"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_err, "(3e+07 values, 240 MB as npy)"));
  /* not with --quiet, not without --record, not for a small trace */
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--duration", "1000s", "--record", "x", "--quiet"), 3);
  CU_ASSERT_PTR_NULL(strstr(captured_err, "note:"));
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--duration", "1000s"), 3);
  CU_ASSERT_PTR_NULL(strstr(captured_err, "note:"));
  CU_ASSERT_EQUAL(RUN(&DECAY, "--out", out, "--duration", "1000s", "--record", "x", "--record-every", "1ms"), 3);
  CU_ASSERT_PTR_NULL(strstr(captured_err, "note:"));
}

static void test_record_help(void) {
  CU_ASSERT_EQUAL(RUN(&OSC, "--help"), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "--record LIST"));
  CU_ASSERT_PTR_NOT_NULL(strstr(captured_out, "the model records x, v):\n  x [1] v [1/ms]\n"));
}

/* ---- main ------------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  return remove(path);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/msnrt_test_XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("runtime", NULL, NULL);
  CU_add_test(s, "quantities with units", test_quantity);
  CU_add_test(s, "linear and Hermite crossings", test_crossings);
  CU_add_test(s, "staggered decay, csv trace", test_staggered_csv);
  CU_add_test(s, "run.json", test_run_json);
  CU_add_test(s, "npy output", test_npy);
  CU_add_test(s, "rk4 order and oscillator", test_rk4);
  CU_add_test(s, "rk45 accuracy", test_rk45);
  CU_add_test(s, "spikes: linear ramp (staggered)", test_spikes_linear);
  CU_add_test(s, "spikes: Hermite, rk4", test_spikes_hermite_rk4);
  CU_add_test(s, "spikes: Hermite, rk45", test_spikes_hermite_rk45);
  CU_add_test(s, "spikes: staggered parabola", test_spikes_staggered_quad);
  CU_add_test(s, "--set with units", test_set_units);
  CU_add_test(s, "bad command lines", test_cli_errors);
  CU_add_test(s, "unit as a separate word", test_unit_as_own_word);
  CU_add_test(s, "--help and --version", test_help_version);
  CU_add_test(s, "NaN guard", test_nan);
  CU_add_test(s, "I/O errors and mkdir -p", test_io_error);
  CU_add_test(s, "time grid and record interval", test_grid);
  CU_add_test(s, "--record: order, repeated, instances", test_record_order);
  CU_add_test(s, "--record none", test_record_none);
  CU_add_test(s, "--record: errors", test_record_errors);
  CU_add_test(s, "--record: size note", test_record_size_note);
  CU_add_test(s, "--record in --help", test_record_help);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  int failures = (int)CU_get_number_of_failures();
  CU_cleanup_registry();
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return failures ? 1 : 0;
}
