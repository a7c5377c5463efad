/* runtime/rt_population_run.c — msn_main for population models
 * (MsnModel.population, runtime/msnrt_population.h): a neural field on a
 * ring or torus (runtime/rt_field.c), writing OUT/field.csv|npy (rows:
 * recorded times; columns: t [ms], then the grid points), or a
 * Fokker–Planck density (runtime/rt_density.c) writing OUT/rates.csv
 * (t [ms],NAME [Hz]); both with OUT/run.json. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msnrt_population.h"
#include "rt_density.h"
#include "rt_field.h"
#include "rt_internal.h"

enum { GAIN_BLOCK = 256 };
typedef struct PopCtx {
  const MsnModel *m;
  double scratch[2 * (MSN_PF_SLOTS + 2)][GAIN_BLOCK]; /* block calls: the other slots */
  const double *xs, *ys;  /* the field's point coordinates (m), for input_fill */
  const double *P;
  double y[MSN_PF_SLOTS + 2], dy[MSN_PF_SLOTS + 2];
  double *yc[MSN_PF_SLOTS + 2], *dyc[MSN_PF_SLOTS + 2];
  double t;
  int64_t n;              /* points of the field */
} PopCtx;

static void slots(PopCtx *c) {
  c->m->rhs((const double *const *)c->yc, c->dyc, c->yc, c->P, 0, 1, c->t);
}
static double gain_f(double u, void *ctx) {
  PopCtx *c = ctx;
  c->y[0] = c->y[1] = u;
  slots(c);
  return c->dy[0];
}
static double gain_df(double u, void *ctx) {
  PopCtx *c = ctx;
  c->y[0] = c->y[1] = u;
  slots(c);
  return c->dy[1];
}
/* The gain over an array: the rhs kernel called on blocks of GAIN_BLOCK
 * points (vectorised code), u as slots 0 and 1, the other slots' inputs
 * and outputs in small scratch columns that stay in the cache. */
static void gain_fv(const double *u, double *out, int64_t n, void *ctx) {
  PopCtx *c = ctx;
  const double *yv[MSN_PF_SLOTS + 2];
  double *dyv[MSN_PF_SLOTS + 2];
  for (int k = 0; k < MSN_PF_SLOTS + 2; k++) yv[k] = c->scratch[k], dyv[k] = c->scratch[MSN_PF_SLOTS + 2 + k];
  for (int64_t off = 0; off < n; off += GAIN_BLOCK) {
    int64_t len = n - off < GAIN_BLOCK ? n - off : GAIN_BLOCK;
    yv[0] = yv[1] = u + off;
    dyv[0] = out + off;
    c->m->rhs(yv, dyv, dyv, c->P, 0, len, c->t);
  }
}
/* The input term I(x, y, t) at every point (a time-dependent input,
 * RtField.input_at): block calls of the rhs kernel with x and y as slots
 * 3 and 4. */
static void input_fill(double t, double *I, void *ctx) {
  PopCtx *c = ctx;
  const double *yv[MSN_PF_SLOTS + 2];
  double *dyv[MSN_PF_SLOTS + 2];
  for (int k = 0; k < MSN_PF_SLOTS + 2; k++) yv[k] = c->scratch[k], dyv[k] = c->scratch[MSN_PF_SLOTS + 2 + k];
  for (int64_t off = 0; off < c->n; off += GAIN_BLOCK) {
    int64_t len = c->n - off < GAIN_BLOCK ? c->n - off : GAIN_BLOCK;
    yv[3] = c->xs + off;
    yv[4] = c->ys + off;
    dyv[3] = I + off;
    c->m->rhs(yv, dyv, dyv, c->P, 0, len, t);
  }
}
static double kernel_w(double r, void *ctx) {
  PopCtx *c = ctx;
  c->y[2] = r;
  slots(c);
  return c->dy[2];
}

static FILE *open_out(RtRun *r, const char *name) {
  size_t len = strlen(r->opt.out_dir) + strlen(name) + 2;
  char *path = malloc(len);
  snprintf(path, len, "%s/%s", r->opt.out_dir, name);
  FILE *f = fopen(path, "w");
  if (!f) rt_fail(r, RT_EXIT_IO, "cannot create '%s': %s", path, strerror(errno));
  free(path);
  return f;
}

static void write_run_json(RtRun *r, const char *kind, const char *output, bool done) {
  FILE *f = open_out(r, "run.json");
  if (!f) return;
  const MsnModel *m = r->m;
  fputs("{\n  \"model\": ", f);
  rt_json_string(f, m->name);
  fputs(",\n  \"source\": ", f);
  rt_json_string(f, m->source);
  fprintf(f, ",\n  \"kind\": \"%s\",\n  \"output\": \"%s\",\n", kind, output);
  fprintf(f, "  \"msn_version\": \"%s\",\n  \"abi_version\": %d,\n", m->msn_version, MSN_ABI_VERSION);
  fputs("  \"dt_ms\": ", f);
  rt_json_number(f, r->opt.dt * 1e3);
  fputs(",\n  \"duration_ms\": ", f);
  rt_json_number(f, r->opt.duration * 1e3);
  fprintf(f, ",\n  \"seed\": %llu,\n  \"parameters\": {", r->opt.seed);
  for (int32_t j = 0; j < m->nparams; j++) {
    fprintf(f, "%s\n    ", j ? "," : "");
    rt_json_string(f, m->params[j].name);
    fputs(": {\"value\": ", f);
    rt_json_number(f, r->P[j] / m->params[j].scale);
    fputs(", \"unit\": ", f);
    rt_json_string(f, m->params[j].unit);
    fputs("}", f);
  }
  fputs("\n  },\n  \"solver\": ", f);
  rt_json_string(f, m->nstates ? m->states[0].why : "");
  fputs(",\n  \"wall_s\": ", f);
  rt_json_number(f, r->wall);
  fprintf(f, ",\n  \"completed\": %s\n}\n", done ? "true" : "false");
  fclose(f);
}

static int64_t steps_of(double a, double dt) { return (int64_t)ceil(a / dt - 1e-9); }

/* ---- field ------------------------------------------------------------------ */

static void run_field(RtRun *r, const MsnPopulation *pop, PopCtx *c) {
  const double *conf = pop->conf;
  for (int k = 0; k < MSN_PF_SLOTS; k++) c->y[k] = 0;
  slots(c);
  double sl[MSN_PF_SLOTS];
  memcpy(sl, c->dy, sizeof sl);
  RtFieldSpec spec = {.geometry = (int)conf[MSN_PF_GEOMETRY], .nx = (int)conf[MSN_PF_NX], .ny = (int)conf[MSN_PF_NY],
                      .Lx = conf[MSN_PF_LX], .Ly = conf[MSN_PF_LY], .tau = sl[5], .I = 0,
                      .method = conf[MSN_PF_METHOD] != 0 ? RT_FIELD_EXPEULER : RT_FIELD_RK4};
  spec.kernel = (RtFieldKernel){.kind = (int)conf[MSN_PF_KERNEL], .a_e = sl[6], .s_e = sl[7], .a_i = sl[8],
                                .s_i = sl[9], .user = kernel_w, .ctx = c};
  spec.gain = (RtFieldGain){.kind = RT_GAIN_USER, .f = gain_f, .df = gain_df, .fv = gain_fv, .ctx = c};
  RtField *f = rt_field_new(&spec, r->err, sizeof r->err);
  if (!f) {
    r->status = RT_EXIT_USAGE;
    return;
  }
  int64_t n = f->n;
  double *u = malloc(sizeof(double) * (size_t)n), *I = malloc(sizeof(double) * (size_t)n);
  double *xy = malloc(sizeof(double) * 3 * (size_t)n); /* x, y, xi */
  FILE *out = NULL;
  if (!u || !I || !xy) {
    rt_fail(r, RT_EXIT_NUMERIC, "out of memory for a field of %lld points", (long long)n);
    goto done;
  }
  /* coordinates, and xi uniform in [-1, 1] from the seed */
  for (int64_t i = 0; i < n; i++) {
    uint32_t ctr[4] = {(uint32_t)i, (uint32_t)(i >> 32), 0x51ed, 0}, key[2] = {(uint32_t)r->opt.seed,
                                                                               (uint32_t)(r->opt.seed >> 32)}, o[4];
    rt_philox4x32_10(ctr, key, o);
    xy[i] = (i % f->nx) * f->dx;
    xy[n + i] = f->dim == 2 ? (i / f->nx) * f->dy : 0;
    xy[2 * n + i] = 2.0 * (o[0] / 4294967296.0) - 1.0;
  }
  c->xs = xy, c->ys = xy + n, c->n = n;
  /* the initial value u(0)(x, y, xi) and the input at t = 0, by blocks */
  {
    const double *yv[MSN_PF_SLOTS + 2];
    double *dyv[MSN_PF_SLOTS + 2];
    for (int k = 0; k < MSN_PF_SLOTS + 2; k++) yv[k] = c->scratch[k], dyv[k] = c->scratch[MSN_PF_SLOTS + 2 + k];
    for (int64_t off = 0; off < n; off += GAIN_BLOCK) {
      int64_t len = n - off < GAIN_BLOCK ? n - off : GAIN_BLOCK;
      yv[3] = xy + off, yv[4] = xy + n + off, yv[5] = xy + 2 * n + off;
      dyv[3] = I + off, dyv[4] = u + off;
      c->m->rhs(yv, dyv, dyv, c->P, 0, len, 0);
    }
  }
  /* a time-dependent input is evaluated by the steps at their stage times */
  if (conf[MSN_PF_I_OF_T] != 0) {
    if (!rt_field_set_input_fn(f, input_fill, c, r->err, sizeof r->err)) {
      r->status = RT_EXIT_NUMERIC;
      goto done;
    }
  } else f->input = I;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  out = open_out(r, npy ? "field.npy" : "field.csv");
  if (!out) goto done;
  int64_t nsteps = steps_of(r->opt.duration, r->opt.dt);
  int64_t every = r->opt.record_every > 0 ? (int64_t)llround(r->opt.record_every / r->opt.dt) : 1;
  if (every < 1) every = 1;
  int64_t rows = nsteps / every + 1;
  double scale = r->m->states[0].scale;
  if (npy) rt_npy_header(out, rows, n + 1);
  else {
    fprintf(out, "t [ms]");
    for (int64_t i = 0; i < n; i++) {
      if (f->dim == 1) fprintf(out, ",%s(%.6g mm) [%s]", r->m->states[0].name, i * f->dx * 1e3, r->m->states[0].unit);
      else fprintf(out, ",%s(%.6g mm;%.6g mm) [%s]", r->m->states[0].name, (i % f->nx) * f->dx * 1e3,
                   (i / f->nx) * f->dy * 1e3, r->m->states[0].unit);
    }
    fputc('\n', out);
  }
  for (int64_t s = 0; s <= nsteps; s++) {
    double t = s * r->opt.dt;
    if (s % every == 0) {
      if (npy) {
        double tm = t * 1e3;
        fwrite(&tm, sizeof tm, 1, out);
        for (int64_t i = 0; i < n; i++) {
          double v = u[i] / scale;
          fwrite(&v, sizeof v, 1, out);
        }
      } else {
        fprintf(out, "%.10g", t * 1e3);
        for (int64_t i = 0; i < n; i++) fprintf(out, ",%.10g", u[i] / scale);
        fputc('\n', out);
      }
    }
    if (s == nsteps) break;
    if (!rt_field_step_at(f, u, t, r->opt.dt)) {
      rt_fail(r, RT_EXIT_NUMERIC, "field step failed at t = %g ms", t * 1e3);
      break;
    }
    for (int64_t i = 0; i < n; i++)
      if (!isfinite(u[i])) {
        rt_fail(r, RT_EXIT_NUMERIC, "%s is not finite at point %lld at t = %g ms (reduce dt)",
                r->m->states[0].name, (long long)i, (t + r->opt.dt) * 1e3);
        s = nsteps;
        break;
      }
    r->t_done = t + r->opt.dt;
  }
  if (fclose(out) != 0) rt_fail(r, RT_EXIT_IO, "cannot write the field");
done:
  free(u);
  free(I);
  free(xy);
  rt_field_free(f);
}

/* ---- density ----------------------------------------------------------------- */

static void run_density(RtRun *r, const MsnPopulation *pop, PopCtx *c) {
  const double *conf = pop->conf;
  RtDensityParams p = {.v_min = conf[MSN_PD_VMIN], .dv = conf[MSN_PD_DV], .tau = conf[MSN_PD_TAU],
                       .theta = conf[MSN_PD_THETA], .v_reset = conf[MSN_PD_VRESET], .t_ref = conf[MSN_PD_TREF],
                       .method = conf[MSN_PD_METHOD] != 0 ? RT_DENSITY_CN : RT_DENSITY_BE,
                       .init = RT_DENSITY_DELTA, .v0 = conf[MSN_PD_V0]};
  char warn[512];
  RtDensity *d = rt_density_init(&p, r->err, sizeof r->err, warn, sizeof warn);
  if (!d) {
    r->status = RT_EXIT_USAGE;
    return;
  }
  bool npy = r->opt.format == RT_FORMAT_NPY;
  FILE *out = open_out(r, npy ? "rates.npy" : "rates.csv");
  if (!out) {
    rt_density_free(d);
    return;
  }
  int64_t nsteps = steps_of(r->opt.duration, r->opt.dt);
  int64_t every = r->opt.record_every > 0 ? (int64_t)llround(r->opt.record_every / r->opt.dt) : 1;
  if (every < 1) every = 1;
  if (npy) rt_npy_header(out, nsteps / every, 2);
  else fprintf(out, "t [ms],%s [Hz]\n", r->m->name);
  double acc = 0;
  for (int64_t s = 0; s < nsteps; s++) {
    double t = s * r->opt.dt;
    c->t = t + 0.5 * r->opt.dt;
    slots(c);
    double rate = rt_density_step(d, c->dy[0], c->dy[1], r->opt.dt);
    if (!isfinite(rate)) {
      rt_fail(r, RT_EXIT_NUMERIC, "density step failed at t = %g ms: %s", t * 1e3, rt_density_error(d));
      break;
    }
    acc += rate;
    r->t_done = t + r->opt.dt;
    if ((s + 1) % every == 0) {
      double row[2] = {r->t_done * 1e3, acc / (double)every};
      if (npy) fwrite(row, sizeof row, 1, out);
      else fprintf(out, "%.10g,%.10g\n", row[0], row[1]);
      acc = 0;
    }
  }
  if (fclose(out) != 0) rt_fail(r, RT_EXIT_IO, "cannot write the rates");
  if (!r->opt.quiet)
    fprintf(stderr, "%s: mass %.15g at the end (grid + refractory pool)\n", r->m->name, rt_density_mass(d));
  rt_density_free(d);
}

int msn_population_main(const MsnModel *m, int argc, char **argv) {
  const MsnPopulation *pop = m->population;
  RtRun r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.n = 1;
  if (pop->version != MSN_POPULATION_VERSION || !m->rhs || pop->nconf < MSN_POP_NCONF) {
    fprintf(stderr, "msn-run: error: population model built for another runtime; rebuild it\n");
    return RT_EXIT_USAGE;
  }
  int rc = rt_parse_args(&r, argc, argv);
  if (rc != RT_EXIT_OK) {
    rt_options_free(&r.opt);
    return rc < 0 ? RT_EXIT_OK : rc;
  }
  /* the scheme is fixed when the model is compiled (simulate's method) */
  if (r.opt.method != MSN_RK4) {
    fprintf(stderr, "%s: error: --method %s does not apply to a %s; its scheme is chosen when it is compiled "
            "(%s)\n", r.opt.prog, rt_method_name(r.opt.method), pop->kind == MSN_POP_FIELD ? "neural field" : "density",
            pop->kind == MSN_POP_FIELD ? "simulate { method rk4 } or { method exp_euler }"
                                       : "simulate { method backward_euler } or { method crank_nicolson }");
    rt_options_free(&r.opt);
    return RT_EXIT_USAGE;
  }
  r.wall_start = rt_now();
  r.P = calloc((size_t)m->nparams + 1, sizeof *r.P);
  for (int32_t j = 0; j < m->nparams; j++) r.P[j] = m->params[j].value;
  for (size_t k = 0; k < r.opt.nsets; k++) r.P[r.opt.sets[k].param] = r.opt.sets[k].si;
  PopCtx c = {.m = m, .P = r.P};
  for (int k = 0; k < MSN_PF_SLOTS + 2; k++) {
    c.yc[k] = &c.y[k];
    c.dyc[k] = &c.dy[k];
  }
  int err = rt_mkdir_p(r.opt.out_dir);
  if (err) {
    fprintf(stderr, "%s: error: cannot create directory '%s': %s\n", r.opt.prog, r.opt.out_dir, strerror(err));
    rc = RT_EXIT_IO;
  } else {
    bool field = pop->kind == MSN_POP_FIELD;
    if (field) run_field(&r, pop, &c);
    else run_density(&r, pop, &c);
    r.wall = rt_now() - r.wall_start;
    const char *fmt = r.opt.format == RT_FORMAT_NPY ? "npy" : "csv";
    char output[32];
    snprintf(output, sizeof output, "%s.%s", field ? "field" : "rates", fmt);
    write_run_json(&r, field ? "field" : "density", output, r.status == RT_EXIT_OK);
    if (r.status != RT_EXIT_OK) fprintf(stderr, "%s: error: %s\n", r.opt.prog, r.err);
    else if (!r.opt.quiet)
      fprintf(stderr, "%s: %g ms simulated in %.3g s; output in %s/\n", m->name, r.t_done * 1e3, r.wall,
              r.opt.out_dir);
    rc = r.status;
  }
  free(r.P);
  rt_options_free(&r.opt);
  return rc;
}
