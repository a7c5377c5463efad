/* runtime/rt_cable_run.c — running a cell with a morphology
 * (MsnModel.cable, runtime/msnrt_cable.h), one copy or many
 * (MsnModel.n_instances: `simulate { instances N }`).
 *
 * The tree is discretised once by rt_cable_build (docs/cable.md); N copies
 * share it.  The copies are cut into groups of up to LANES cells whose
 * values are interleaved node-major (node i of lane l at i * LANES + l), so
 * the solver's and the kernels' inner loops run over cells and vectorise,
 * and one group's working set stays in cache for a whole step.  Each step
 * t -> t + dt, group by group:
 *   1. every channel gives its current density I and dI/dV = g on the
 *      compartments where it is inserted (its kernel, V gathered into a
 *      compact array unless it is inserted everywhere), summed per
 *      compartment;
 *   2. rt_cable_step_lanes solves the tree for the new V: Crank–Nicolson,
 *      but backward Euler for the step in which a stimulus switches on or
 *      off and the step after it (CN alone rings after a discontinuity; see
 *      docs/cable.md); point stimuli are averaged over the step;
 *   3. the channel states advance by dt with the new V (they live half a
 *      step after V, as in the point cell's staggered scheme: after init
 *      they are advanced by dt/2 once).
 * Phases 1 + 3 (channels) and 2 (Hines) are timed separately with the
 * monotonic clock, a few reads per group and step, and reported in
 * run.json.  Output: OUT/trace.csv with `t [ms]` and one `V@sec(x) [mV]`
 * column per recorded location (`V@sec(x)[i] [mV]` per cell i when there
 * are several), OUT/run.json.  Nothing is allocated inside the loop. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msnrt_cable.h"
#include "rt_internal.h"

/* Cells per group: 8 doubles are one AVX-512 vector; 16 keeps a group of
 * 200 compartments with HH channels (~20 arrays of 200 x 16 doubles) in
 * L2 and halves the loop overhead per cell (bench/cable/README.md). */
#ifndef RT_CABLE_LANES
#define RT_CABLE_LANES 16
#endif
enum { LANES = RT_CABLE_LANES };

typedef struct Chan {
  const MsnCableChannel *d;
  int64_t n;        /* compartments where it is inserted (per cell) */
  bool all;         /* inserted on every compartment: V needs no gather */
  int32_t *node;    /* n node indices */
  double *V, *I, *g;/* n * L scratch of one group */
  double **S;       /* nstates columns of ngroups * n * L (group-major) */
  double **Sg;      /* nstates pointers into S for the current group */
  double **A;       /* d->narrays parameter columns of n * L (the same for every group) */
} Chan;

typedef struct CableRun {
  const MsnCable *cd;
  RtCable *c;
  int64_t ncell;    /* cells (instances) */
  int32_t L;        /* lanes per group */
  int64_t ngroup;   /* ceil(ncell / L); lanes past ncell compute copies no one reads */
  Chan *ch;
  int32_t direct;   /* channel whose current goes straight into im/g (-1: none) */
  double *V;        /* ngroup * n * L */
  double *g, *im, *diag, *rhs; /* n * L scratch of one group */
  int32_t *stim_node, *rec_node;
  double *stim_amp; /* nstim * L: each stimulus's mean current over the step, per lane */
  double *stim_frac;/* nstim: the fraction of the step each stimulus is on */
  double t_chan, t_hines; /* seconds spent in the phases */
} CableRun;

static void *zalloc(size_t count, size_t size) {
  return rt_aligned_alloc((count ? count : 1) * size);
}

/* V of a channel's compartments in one group, lanes kept together. */
static const double *chan_V(const Chan *k, const double *V, int32_t L) {
  if (k->all) return V;
  for (int64_t q = 0; q < k->n; q++) {
    const double *src = V + (size_t)k->node[q] * (size_t)L;
    double *dst = k->V + (size_t)q * (size_t)L;
    for (int32_t l = 0; l < L; l++) dst[l] = src[l];
  }
  return k->V;
}

static void cable_free(CableRun *cr) {
  if (cr->ch)
    for (int32_t j = 0; j < cr->cd->nchan; j++) {
      Chan *k = &cr->ch[j];
      free(k->node);
      rt_aligned_free(k->V);
      rt_aligned_free(k->I);
      rt_aligned_free(k->g);
      if (k->S)
        for (int32_t s = 0; s < k->d->nstates; s++) rt_aligned_free(k->S[s]);
      free(k->S);
      free(k->Sg);
      if (k->A)
        for (int32_t a = 0; a < k->d->narrays; a++) rt_aligned_free(k->A[a]);
      free(k->A);
    }
  free(cr->ch);
  rt_aligned_free(cr->V);
  rt_aligned_free(cr->g);
  rt_aligned_free(cr->im);
  rt_aligned_free(cr->diag);
  rt_aligned_free(cr->rhs);
  free(cr->stim_node);
  free(cr->stim_amp);
  free(cr->stim_frac);
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
  if (cd->ncomp != n) {
    rt_fail(r, RT_EXIT_USAGE, "invalid cable description: %d compartments, but the sections give %d",
            (int)cd->ncomp, (int)n);
    return false;
  }
  cr->ncell = r->n;
  cr->L = cr->ncell < LANES ? (int32_t)cr->ncell : LANES;
  cr->ngroup = (cr->ncell + cr->L - 1) / cr->L;
  size_t row = (size_t)n * (size_t)cr->L; /* one group's values of one quantity */
  cr->V = zalloc(row * (size_t)cr->ngroup, sizeof(double));
  cr->g = zalloc(row, sizeof(double));
  cr->im = zalloc(row, sizeof(double));
  cr->diag = zalloc(row, sizeof(double));
  cr->rhs = zalloc(row, sizeof(double));
  cr->stim_node = calloc((size_t)cd->nstim + 1, sizeof(int32_t));
  cr->stim_amp = calloc((size_t)cd->nstim * (size_t)cr->L + 1, sizeof(double));
  cr->stim_frac = calloc((size_t)cd->nstim + 1, sizeof(double));
  cr->rec_node = calloc((size_t)cd->nrec + 1, sizeof(int32_t));
  cr->ch = calloc((size_t)cd->nchan + 1, sizeof(Chan));
  if (!cr->V || !cr->g || !cr->im || !cr->diag || !cr->rhs || !cr->stim_node || !cr->stim_amp || !cr->stim_frac ||
      !cr->rec_node || !cr->ch)
    goto oom;
  cr->direct = -1;
  for (int32_t j = 0; j < cd->nchan; j++) {
    Chan *k = &cr->ch[j];
    k->d = &cd->chans[j];
    for (int32_t i = 0; i < n; i++) k->n += k->d->on[cr->c->sec[i]] != 0;
    k->all = k->n == n;
    if (k->all && cr->direct < 0) cr->direct = j;
    size_t m = (size_t)k->n * (size_t)cr->L;
    k->node = malloc(((size_t)k->n + 1) * sizeof(int32_t));
    k->V = k->all ? NULL : zalloc(m, sizeof(double));
    k->I = zalloc(m, sizeof(double));
    k->g = zalloc(m, sizeof(double));
    k->S = calloc((size_t)k->d->nstates + 1, sizeof(double *));
    k->Sg = calloc((size_t)k->d->nstates + 1, sizeof(double *));
    if (!k->node || (!k->all && !k->V) || !k->I || !k->g || !k->S || !k->Sg) goto oom;
    for (int32_t s = 0; s < k->d->nstates; s++)
      if (!(k->S[s] = zalloc(m * (size_t)cr->ngroup, sizeof(double)))) goto oom;
    int64_t q = 0;
    for (int32_t i = 0; i < n; i++)
      if (k->d->on[cr->c->sec[i]]) k->node[q++] = i;
    /* parameters per compartment: the node's value in every lane */
    k->A = calloc((size_t)k->d->narrays + 1, sizeof(double *));
    if (!k->A) goto oom;
    for (int32_t a = 0; a < k->d->narrays; a++) {
      if (!(k->A[a] = zalloc(m, sizeof(double)))) goto oom;
      for (int64_t e = 0; e < k->n; e++)
        for (int32_t l = 0; l < cr->L; l++) k->A[a][(size_t)e * (size_t)cr->L + (size_t)l] = k->d->arrays[a][k->node[e]];
    }
  }
  for (int32_t s = 0; s < cd->nstim; s++)
    cr->stim_node[s] = rt_cable_node(cr->c, cd->stims[s].sec, cd->stims[s].x);
  for (int32_t s = 0; s < cd->nrec; s++)
    cr->rec_node[s] = rt_cable_node(cr->c, cd->recs[s].sec, cd->recs[s].x);
  return true;
oom:
  rt_fail(r, RT_EXIT_IO, "out of memory for the cable (%lld cells of %d compartments)",
          (long long)cr->ncell, (int)n);
  return false;
}

/* Point the channels' group state pointers at group G. */
static void select_group(CableRun *cr, int64_t G) {
  for (int32_t j = 0; j < cr->cd->nchan; j++) {
    Chan *k = &cr->ch[j];
    size_t off = (size_t)G * (size_t)k->n * (size_t)cr->L;
    for (int32_t s = 0; s < k->d->nstates; s++) k->Sg[s] = k->S[s] + off;
  }
}

static double *group_V(const CableRun *cr, int64_t G) {
  return cr->V + (size_t)G * (size_t)cr->c->n * (size_t)cr->L;
}

/* The stimuli of group G over this step, lane by lane (a lane past the
 * last cell copies the last cell). */
static void stimuli_of_group(CableRun *cr, int64_t G) {
  for (int32_t s = 0; s < cr->cd->nstim; s++) {
    const MsnCableStim *q = &cr->cd->stims[s];
    double *a = cr->stim_amp + (size_t)s * (size_t)cr->L;
    for (int32_t l = 0; l < cr->L; l++) {
      int64_t cell = G * cr->L + l;
      if (cell >= cr->ncell) cell = cr->ncell - 1;
      a[l] = (q->amp_inst ? q->amp_inst[cell] : q->amp) * cr->stim_frac[s];
    }
  }
}

/* Fraction of [t, t+dt) inside [t0, t1). */
static double overlap(double t, double dt, double t0, double t1) {
  double a = fmax(t, t0), b = fmin(t + dt, t1);
  return b > a ? (b - a) / dt : 0;
}

static void write_row(FILE *f, double t, const CableRun *cr) {
  fprintf(f, "%.10g", t / RT_MS);
  for (int32_t s = 0; s < cr->cd->nrec; s++)
    for (int64_t cell = 0; cell < cr->ncell; cell++)
      fprintf(f, ",%.10g", group_V(cr, cell / cr->L)[(size_t)cr->rec_node[s] * (size_t)cr->L +
                                                     (size_t)(cell % cr->L)] * 1e3);
  fputc('\n', f);
}

/* Phase 1: the summed membrane current density and its derivative of one
 * group in cr->im and cr->g. */
static void membrane_current(CableRun *cr, const double *V) {
  const MsnCable *cd = cr->cd;
  int32_t L = cr->L;
  size_t row = (size_t)cr->c->n * (size_t)L;
  if (cr->direct < 0) {
    memset(cr->im, 0, row * sizeof(double));
    memset(cr->g, 0, row * sizeof(double));
  } else {
    const Chan *k = &cr->ch[cr->direct];
    k->d->current(k->n * L, V, k->Sg, k->d->params, (const double *const *)k->A, cr->im, cr->g);
  }
  for (int32_t j = 0; j < cd->nchan; j++) {
    if (j == cr->direct) continue;
    Chan *k = &cr->ch[j];
    int64_t m = k->n * L;
    k->d->current(m, chan_V(k, V, L), k->Sg, k->d->params, (const double *const *)k->A, k->I, k->g);
    if (k->all) {
      for (int64_t i = 0; i < m; i++) {
        cr->im[i] += k->I[i];
        cr->g[i] += k->g[i];
      }
      continue;
    }
    for (int64_t q = 0; q < k->n; q++) {
      double *im = cr->im + (size_t)k->node[q] * (size_t)L, *g = cr->g + (size_t)k->node[q] * (size_t)L;
      const double *I = k->I + (size_t)q * (size_t)L, *gq = k->g + (size_t)q * (size_t)L;
      for (int32_t l = 0; l < L; l++) {
        im[l] += I[l];
        g[l] += gq[l];
      }
    }
  }
}

/* The compartment and cell of the first V that is not finite. */
static void report_nonfinite(RtRun *r, const CableRun *cr, double t) {
  const MsnCable *cd = cr->cd;
  const RtCable *c = cr->c;
  for (int64_t cell = 0; cell < cr->ncell; cell++) {
    const double *V = group_V(cr, cell / cr->L);
    for (int32_t i = 0; i < c->n; i++) {
      double v = V[(size_t)i * (size_t)cr->L + (size_t)(cell % cr->L)];
      if (isfinite(v)) continue;
      if (cr->ncell > 1)
        rt_fail(r, RT_EXIT_NUMERIC, "V became %g at t = %g ms in cell %lld, section %s (x = %g); try a smaller dt",
                v, t / RT_MS, (long long)cell, cd->secs[c->sec[i]].name, c->pos[i]);
      else
        rt_fail(r, RT_EXIT_NUMERIC, "V became %g at t = %g ms in section %s (x = %g); try a smaller dt", v,
                t / RT_MS, cd->secs[c->sec[i]].name, c->pos[i]);
      return;
    }
  }
  rt_fail(r, RT_EXIT_NUMERIC, "the cable solver failed at t = %g ms", t / RT_MS);
}

static void run_loop(RtRun *r, CableRun *cr, FILE *trace) {
  const MsnCable *cd = cr->cd;
  RtCable *c = cr->c;
  double dt = r->opt.dt;
  int32_t L = cr->L;
  size_t row = (size_t)c->n * (size_t)L;
  for (size_t i = 0; i < row * (size_t)cr->ngroup; i++) cr->V[i] = cd->V0;
  for (int64_t G = 0; G < cr->ngroup; G++) {
    select_group(cr, G);
    const double *V = group_V(cr, G);
    for (int32_t j = 0; j < cd->nchan; j++) {
      Chan *k = &cr->ch[j];
      const double *kV = chan_V(k, V, L);
      k->d->init(k->n * L, kV, k->Sg, k->d->params, (const double *const *)k->A);
      k->d->update(k->n * L, 0.5 * dt, kV, k->Sg, k->d->params, (const double *const *)k->A);
    }
  }
  write_row(trace, 0, cr);
  int be_left = 0;
  for (int64_t step = 0; step < r->nsteps; step++) {
    double t = (double)step * dt;
    for (int32_t s = 0; s < cd->nstim; s++) {
      const MsnCableStim *q = &cd->stims[s];
      cr->stim_frac[s] = overlap(t, dt, q->t0, q->t1);
      if ((q->t0 >= t && q->t0 < t + dt) || (q->t1 >= t && q->t1 < t + dt)) be_left = 2;
    }
    int method = be_left > 0 ? RT_CABLE_BE : RT_CABLE_CN;
    if (be_left > 0) be_left--;
    for (int64_t G = 0; G < cr->ngroup; G++) {
      double *V = group_V(cr, G);
      select_group(cr, G);
      stimuli_of_group(cr, G);
      double t0 = rt_now();
      membrane_current(cr, V);
      double t1 = rt_now();
      bool ok = rt_cable_step_lanes(c, L, V, cr->g, cr->im, cd->nstim, cr->stim_node, cr->stim_amp, dt, method,
                                    cr->diag, cr->rhs);
      double t2 = rt_now();
      if (!ok) {
        report_nonfinite(r, cr, t + dt);
        return;
      }
      for (int32_t j = 0; j < cd->nchan; j++) {
        Chan *k = &cr->ch[j];
        k->d->update(k->n * L, dt, chan_V(k, V, L), k->Sg, k->d->params, (const double *const *)k->A);
      }
      double t3 = rt_now();
      cr->t_chan += (t1 - t0) + (t3 - t2);
      cr->t_hines += t2 - t1;
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
  fprintf(f, ",\n  \"instances\": %lld", (long long)cr->ncell);
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
    for (int64_t cell = 0; cell < cr->ncell; cell++) {
      if (cr->ncell > 1)
        snprintf(buf, sizeof buf, "%s[%lld] [mV]", cd->recs[s].label, (long long)cell);
      else
        snprintf(buf, sizeof buf, "%s [mV]", cd->recs[s].label);
      fprintf(f, ", ");
      rt_json_string(f, buf);
    }
  }
  fprintf(f, "],\n  \"wall_time_s\": ");
  rt_json_number(f, r->wall);
  /* the two phases of the time loop, summed over steps and groups */
  double work = cr->c ? (double)cr->c->n * (double)cr->ncell * (double)r->steps_done : 0;
  fprintf(f, ",\n  \"time_channels_s\": ");
  rt_json_number(f, cr->t_chan);
  fprintf(f, ",\n  \"time_hines_s\": ");
  rt_json_number(f, cr->t_hines);
  fprintf(f, ",\n  \"ns_per_compartment_step\": {\"channels\": ");
  rt_json_number(f, work > 0 ? cr->t_chan / work * 1e9 : NAN);
  fprintf(f, ", \"hines\": ");
  rt_json_number(f, work > 0 ? cr->t_hines / work * 1e9 : NAN);
  fprintf(f, ", \"loop\": ");
  rt_json_number(f, work > 0 ? (cr->t_chan + cr->t_hines) / work * 1e9 : NAN);
  fprintf(f, "}");
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
  r.n = m->n_instances > 1 ? m->n_instances : 1;
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
        for (int32_t s = 0; s < cd->nrec; s++)
          for (int64_t cell = 0; cell < r.n; cell++) {
            if (r.n > 1) fprintf(f, ",%s[%lld] [mV]", cd->recs[s].label, (long long)cell);
            else fprintf(f, ",%s [mV]", cd->recs[s].label);
          }
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
    fprintf(stderr, "%s: %g ms simulated in %.3g s (%lld steps, %lld x %d compartments); output in %s/\n", m->name,
            r.t_done / RT_MS, r.wall, (long long)r.steps_done, (long long)r.n, cr.c ? (int)cr.c->n : 0,
            r.opt.out_dir);
  st = r.status;
  cable_free(&cr);
  rt_options_free(&r.opt);
  return st;
}
