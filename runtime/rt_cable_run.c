/* runtime/rt_cable_run.c — running a cell with a morphology
 * (MsnModel.cable, runtime/msnrt_cable.h).
 *
 * The tree is discretised by rt_cable_build (docs/cable.md).  Each step
 * t -> t + dt:
 *   1. every channel gives its current density I and dI/dV = g on the
 *      compartments where it is inserted (its kernel, V gathered into a
 *      compact array), summed per compartment;
 *   2. rt_cable_step solves the tree for the new V: Crank–Nicolson, but
 *      backward Euler for the step in which a stimulus switches on or off
 *      and the step after it (CN alone rings after a discontinuity; see
 *      docs/cable.md); point stimuli are averaged over the step;
 *   3. the channel states advance by dt with the new V (they live half a
 *      step after V, as in the point cell's staggered scheme: after init
 *      they are advanced by dt/2 once).
 * Output: OUT/trace.csv with `t [ms]` and one `V@sec(x) [mV]` column per
 * recorded location, OUT/run.json.  Nothing is allocated inside the loop. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msnrt_cable.h"
#include "rt_internal.h"

typedef struct Chan {
  const MsnCableChannel *d;
  int64_t n;        /* compartments where it is inserted */
  int32_t *node;    /* n node indices */
  double *V, *I, *g;/* n each */
  double **S;       /* nstates columns of n */
} Chan;

typedef struct CableRun {
  const MsnCable *cd;
  RtCable *c;
  Chan *ch;
  double *V, *g, *im, *iinj;
  int32_t *stim_node, *rec_node;
} CableRun;

static void gather(const Chan *k, const double *V) {
  for (int64_t i = 0; i < k->n; i++) k->V[i] = V[k->node[i]];
}

static void cable_free(CableRun *cr) {
  if (cr->ch)
    for (int32_t j = 0; j < cr->cd->nchan; j++) {
      Chan *k = &cr->ch[j];
      free(k->node);
      free(k->V);
      free(k->I);
      free(k->g);
      if (k->S)
        for (int32_t s = 0; s < k->d->nstates; s++) free(k->S[s]);
      free(k->S);
    }
  free(cr->ch);
  free(cr->V);
  free(cr->g);
  free(cr->im);
  free(cr->iinj);
  free(cr->stim_node);
  free(cr->rec_node);
  rt_cable_free(cr->c);
}

static bool cable_alloc(RtRun *r, CableRun *cr) {
  const MsnCable *cd = cr->cd;
  char err[512];
  cr->c = rt_cable_build(cd->secs, cd->nsec, cd->Ra, cd->Cm, err, sizeof err);
  if (!cr->c) {
    rt_fail(r, RT_EXIT_USAGE, "invalid morphology: %s", err);
    return false;
  }
  int32_t n = cr->c->n;
  cr->V = calloc((size_t)n, sizeof(double));
  cr->g = calloc((size_t)n, sizeof(double));
  cr->im = calloc((size_t)n, sizeof(double));
  cr->iinj = calloc((size_t)n, sizeof(double));
  cr->stim_node = calloc((size_t)cd->nstim + 1, sizeof(int32_t));
  cr->rec_node = calloc((size_t)cd->nrec + 1, sizeof(int32_t));
  cr->ch = calloc((size_t)cd->nchan + 1, sizeof(Chan));
  if (!cr->V || !cr->g || !cr->im || !cr->iinj || !cr->stim_node || !cr->rec_node || !cr->ch) goto oom;
  for (int32_t j = 0; j < cd->nchan; j++) {
    Chan *k = &cr->ch[j];
    k->d = &cd->chans[j];
    for (int32_t i = 0; i < n; i++) k->n += k->d->on[cr->c->sec[i]] != 0;
    size_t m = (size_t)k->n + 1;
    k->node = malloc(m * sizeof(int32_t));
    k->V = calloc(m, sizeof(double));
    k->I = calloc(m, sizeof(double));
    k->g = calloc(m, sizeof(double));
    k->S = calloc((size_t)k->d->nstates + 1, sizeof(double *));
    if (!k->node || !k->V || !k->I || !k->g || !k->S) goto oom;
    for (int32_t s = 0; s < k->d->nstates; s++)
      if (!(k->S[s] = calloc(m, sizeof(double)))) goto oom;
    int64_t q = 0;
    for (int32_t i = 0; i < n; i++)
      if (k->d->on[cr->c->sec[i]]) k->node[q++] = i;
  }
  for (int32_t s = 0; s < cd->nstim; s++)
    cr->stim_node[s] = rt_cable_node(cr->c, cd->stims[s].sec, cd->stims[s].x);
  for (int32_t s = 0; s < cd->nrec; s++)
    cr->rec_node[s] = rt_cable_node(cr->c, cd->recs[s].sec, cd->recs[s].x);
  return true;
oom:
  rt_fail(r, RT_EXIT_IO, "out of memory for the cable");
  return false;
}

/* Fraction of [t, t+dt) inside [t0, t1). */
static double overlap(double t, double dt, double t0, double t1) {
  double a = fmax(t, t0), b = fmin(t + dt, t1);
  return b > a ? (b - a) / dt : 0;
}

static void write_row(FILE *f, double t, const CableRun *cr) {
  fprintf(f, "%.10g", t / RT_MS);
  for (int32_t s = 0; s < cr->cd->nrec; s++) fprintf(f, ",%.10g", cr->V[cr->rec_node[s]] * 1e3);
  fputc('\n', f);
}

static void run_loop(RtRun *r, CableRun *cr, FILE *trace) {
  const MsnCable *cd = cr->cd;
  RtCable *c = cr->c;
  double dt = r->opt.dt;
  int32_t n = c->n;
  for (int32_t i = 0; i < n; i++) cr->V[i] = cd->V0;
  for (int32_t j = 0; j < cd->nchan; j++) {
    Chan *k = &cr->ch[j];
    gather(k, cr->V);
    k->d->init(k->n, k->V, k->S, k->d->params);
    k->d->update(k->n, 0.5 * dt, k->V, k->S, k->d->params);
  }
  write_row(trace, 0, cr);
  int be_left = 0;
  for (int64_t step = 0; step < r->nsteps; step++) {
    double t = (double)step * dt;
    memset(cr->g, 0, (size_t)n * sizeof(double));
    memset(cr->im, 0, (size_t)n * sizeof(double));
    memset(cr->iinj, 0, (size_t)n * sizeof(double));
    for (int32_t j = 0; j < cd->nchan; j++) {
      Chan *k = &cr->ch[j];
      gather(k, cr->V);
      k->d->current(k->n, k->V, k->S, k->d->params, k->I, k->g);
      for (int64_t i = 0; i < k->n; i++) {
        cr->im[k->node[i]] += k->I[i];
        cr->g[k->node[i]] += k->g[i];
      }
    }
    for (int32_t s = 0; s < cd->nstim; s++) {
      const MsnCableStim *q = &cd->stims[s];
      if (cr->stim_node[s] < 0) continue;
      cr->iinj[cr->stim_node[s]] += q->amp * overlap(t, dt, q->t0, q->t1);
      if ((q->t0 >= t && q->t0 < t + dt) || (q->t1 >= t && q->t1 < t + dt)) be_left = 2;
    }
    int method = be_left > 0 ? RT_CABLE_BE : RT_CABLE_CN;
    if (be_left > 0) be_left--;
    if (!rt_cable_step(c, cr->V, cr->g, cr->im, cr->iinj, dt, method)) {
      rt_fail(r, RT_EXIT_NUMERIC, "the cable solver failed at t = %g ms", t / RT_MS);
      return;
    }
    for (int32_t i = 0; i < n; i++)
      if (!isfinite(cr->V[i])) {
        rt_fail(r, RT_EXIT_NUMERIC, "V became %g at t = %g ms in section %s (x = %g); try a smaller dt",
                cr->V[i], (t + dt) / RT_MS, cd->secs[c->sec[i]].name, c->pos[i]);
        return;
      }
    for (int32_t j = 0; j < cd->nchan; j++) {
      Chan *k = &cr->ch[j];
      gather(k, cr->V);
      k->d->update(k->n, dt, k->V, k->S, k->d->params);
    }
    r->steps_done = step + 1;
    r->t_done = t + dt;
    if ((step + 1) % r->rec_stride == 0) write_row(trace, t + dt, cr);
  }
}

static void write_json(RtRun *r, const CableRun *cr) {
  char *path = malloc(strlen(r->opt.out_dir) + 16);
  if (!path) return;
  sprintf(path, "%s/run.json", r->opt.out_dir);
  FILE *f = fopen(path, "w");
  free(path);
  if (!f) return;
  const MsnCable *cd = cr->cd;
  fprintf(f, "{\n  \"model\": ");
  rt_json_string(f, r->m->name);
  fprintf(f, ",\n  \"msn_version\": ");
  rt_json_string(f, MSN_VERSION);
  fprintf(f, ",\n  \"kind\": \"cable\",\n  \"method\": \"crank-nicolson (backward euler after stimulus switches)\",\n");
  fprintf(f, "  \"dt_ms\": ");
  rt_json_number(f, r->opt.dt / RT_MS);
  fprintf(f, ",\n  \"duration_ms\": ");
  rt_json_number(f, r->opt.duration / RT_MS);
  fprintf(f, ",\n  \"compartments\": %d,\n  \"Ra_ohm_cm\": ", cr->c ? (int)cr->c->n : 0);
  rt_json_number(f, cd->Ra * 100);
  fprintf(f, ",\n  \"Cm_uF_per_cm2\": ");
  rt_json_number(f, cd->Cm * 100);
  fprintf(f, ",\n  \"sections\": [");
  for (int32_t s = 0; s < cd->nsec; s++) {
    fprintf(f, "%s\n    {\"name\": ", s ? "," : "");
    rt_json_string(f, cd->secs[s].name);
    fprintf(f, ", \"nseg\": %d}", (int)cd->secs[s].nseg);
  }
  fprintf(f, "\n  ],\n  \"columns\": [\"t [ms]\"");
  for (int32_t s = 0; s < cd->nrec; s++) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s [mV]", cd->recs[s].label);
    fprintf(f, ", ");
    rt_json_string(f, buf);
  }
  fprintf(f, "],\n  \"wall_time_s\": ");
  rt_json_number(f, r->wall);
  fprintf(f, ",\n  \"completed\": %s\n}\n", r->status == RT_EXIT_OK ? "true" : "false");
  fclose(f);
}

int rt_cable_main(const MsnModel *m, int argc, char **argv) {
  const MsnCable *cd = m->cable;
  const char *prog = argc > 0 && argv && argv[0] ? argv[0] : "msn-run";
  if (strrchr(prog, '/')) prog = strrchr(prog, '/') + 1;
  if (cd->version != MSN_CABLE_VERSION || cd->nsec < 1 || !cd->secs || (cd->nchan && !cd->chans)) {
    fprintf(stderr, "%s: error: invalid cable description (version %d, this libmsnrt implements %d)\n", prog,
            (int)cd->version, MSN_CABLE_VERSION);
    return RT_EXIT_USAGE;
  }
  RtRun r;
  memset(&r, 0, sizeof r);
  r.m = m;
  r.n = 1;
  int st = rt_parse_args(&r, argc, argv);
  if (st != RT_EXIT_OK) {
    rt_options_free(&r.opt);
    return st < 0 ? RT_EXIT_OK : st;
  }
  CableRun cr = {.cd = cd};
  r.wall_start = rt_now();
  bool have_dir = false;
  if (cable_alloc(&r, &cr)) {
    int e = rt_mkdir_p(r.opt.out_dir);
    if (e) {
      rt_fail(&r, RT_EXIT_IO, "cannot create directory '%s': %s", r.opt.out_dir, strerror(e));
    } else {
      have_dir = true;
      char *path = malloc(strlen(r.opt.out_dir) + 16);
      sprintf(path, "%s/trace.csv", r.opt.out_dir);
      FILE *f = fopen(path, "w");
      if (!f) {
        rt_fail(&r, RT_EXIT_IO, "cannot write %s: %s", path, strerror(errno));
      } else {
        fprintf(f, "t [ms]");
        for (int32_t s = 0; s < cd->nrec; s++) fprintf(f, ",%s [mV]", cd->recs[s].label);
        fputc('\n', f);
        run_loop(&r, &cr, f);
        if (fclose(f) != 0 && r.status == RT_EXIT_OK) rt_fail(&r, RT_EXIT_IO, "cannot write %s", path);
      }
      free(path);
    }
  }
  r.wall = rt_now() - r.wall_start;
  if (have_dir) write_json(&r, &cr);
  if (r.status != RT_EXIT_OK) fprintf(stderr, "%s: error: %s\n", r.opt.prog ? r.opt.prog : prog, r.err);
  else if (!r.opt.quiet)
    fprintf(stderr, "%s: %g ms simulated in %.3g s (%lld steps, %d compartments); output in %s/\n", m->name,
            r.t_done / RT_MS, r.wall, (long long)r.steps_done, cr.c ? (int)cr.c->n : 0, r.opt.out_dir);
  st = r.status;
  cable_free(&cr);
  rt_options_free(&r.opt);
  return st;
}
