/* runtime/rt_main.c — msn_main, the driver of a generated simulation
 * program: check the model description, parse the command line, allocate
 * the columns, run the time loop, write the output, report.
 *
 * msn_main never calls exit() or abort(): it returns the exit status, frees
 * what it allocated and keeps no state between calls, because msnc also
 * runs models in-process through its JIT.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"
#include "msnrt_cable.h"
#include "rt_network.h"
#include "msnrt_population.h"

/* A description comes from msnc, but a bad one (a mismatched runtime, a
 * hand-written model) must give a message, not a crash.  NULL when fine. */
static const char *check_model(const MsnModel *m, char *buf, size_t len) {
  if (m->abi_version != MSN_ABI_VERSION) {
    snprintf(buf, len, "model built for runtime ABI %d, this libmsnrt implements ABI %d; "
             "rebuild the model with a matching msnc", (int)m->abi_version, MSN_ABI_VERSION);
    return buf;
  }
  if (!m->name || m->nstates < 0 || m->nparams < 0 || m->nrecords < 0)
    return "model name or counts missing";
  if ((m->nstates && !m->states) || (m->nparams && !m->params) || (m->nrecords && !m->records))
    return "model tables missing";
  if (m->n_instances < 1) return "n_instances must be at least 1";
  if (!m->init) return "model has no init kernel";
  if (m->spike_state < -1 || m->spike_state >= m->nstates) return "spike_state out of range";
  for (int32_t k = 0; k < m->nrecords; k++)
    if (m->records[k] < 0 || m->records[k] >= m->nstates) return "recorded state out of range";
  /* noise needs its amplitudes for euler and heun (noise) or its spread
   * per staggered step (noise_step): a network has the second only */
  if (m->nnoise < 0 || m->nnoise > m->nstates || (m->nnoise && (!(m->noise || m->noise_step) || !m->noise_states)))
    return "noise count or kernel missing";
  for (int32_t j = 0; j < m->nnoise; j++)
    if (m->noise_states[j] < 0 || m->noise_states[j] >= m->nstates) return "noisy state out of range";
  for (int32_t k = 0; k < m->nstates; k++)
    if (!m->states[k].name || !(m->states[k].scale > 0)) return "state without name or scale";
  for (int32_t j = 0; j < m->nparams; j++)
    if (!m->params[j].name || !m->params[j].unit || !(m->params[j].scale > 0))
      return "parameter without name, unit or scale";
  return NULL;
}

/* ---- columns and parameters ------------------------------------------------ */

static int32_t count_per_instance(const MsnModel *m) {
  int32_t c = 0;
  for (int32_t j = 0; j < m->nparams; j++) c += m->params[j].per_instance != 0;
  return c;
}

/* Column of per-instance parameter j (cols after the states, parameter
 * order), NULL when j is a plain scalar. */
static double *param_col(RtRun *r, int32_t j) {
  const MsnModel *m = r->m;
  if (!m->params[j].per_instance) return NULL;
  int32_t c = m->nstates;
  for (int32_t k = 0; k < j; k++) c += m->params[k].per_instance != 0;
  return r->cols[c];
}

/* P from the defaults, per-instance columns from inst_values, then every
 * --set in command-line order (a later one wins). */
static void fill_params(RtRun *r) {
  const MsnModel *m = r->m;
  for (int32_t j = 0; j < m->nparams; j++) {
    const MsnParamDesc *p = &m->params[j];
    r->P[j] = p->value;
    double *col = param_col(r, j);
    if (col)
      for (int64_t i = 0; i < r->n; i++) col[i] = p->inst_values ? p->inst_values[i] : p->value;
  }
  for (size_t k = 0; k < r->opt.nsets; k++) {
    const RtSet *s = &r->opt.sets[k];
    double *col = param_col(r, s->param);
    if (s->inst >= 0) {
      col[s->inst] = s->si;
      continue;
    }
    r->P[s->param] = s->si;
    if (col)
      for (int64_t i = 0; i < r->n; i++) col[i] = s->si;
  }
}

/* Everything the loop needs, allocated once.  rk45 hands the state columns
 * to GSL as one vector, so there they are packed (stride n); otherwise
 * each column is padded to a whole number of 64-byte lines. */
static bool allocate(RtRun *r) {
  const MsnModel *m = r->m;
  r->ncols = m->nstates + count_per_instance(m);
  r->stride = r->opt.method == MSN_RK45 ? r->n : (r->n + 7) / 8 * 8;
  size_t ncols = (size_t)r->ncols;
  if ((uint64_t)r->stride > SIZE_MAX / sizeof(double) / (ncols + 5 * (size_t)m->nstates + 1)) {
    rt_fail(r, RT_EXIT_IO, "%lld instances do not fit in memory", (long long)r->n);
    return false;
  }
  r->block = rt_aligned_alloc(ncols * (size_t)r->stride * sizeof(double));
  r->cols = calloc(ncols + 1, sizeof *r->cols);
  r->P = calloc((size_t)m->nparams + 1, sizeof *r->P);
  bool ok = r->block && r->cols && r->P;
  if (ok && m->spike_state >= 0) {
    r->spike_old = rt_aligned_alloc((size_t)r->n * sizeof(double));
    r->deriv_old = rt_aligned_alloc((size_t)r->n * sizeof(double));
    r->spikes.cap = 4096 + (size_t)r->n;
    r->spikes.v = malloc(r->spikes.cap * sizeof *r->spikes.v);
    ok = r->spike_old && r->deriv_old && r->spikes.v;
    if (!r->spikes.v) r->spikes.cap = 0;
  }
  if (!ok) {
    rt_fail(r, RT_EXIT_IO, "out of memory for %lld instances", (long long)r->n);
    return false;
  }
  for (size_t c = 0; c < ncols; c++) r->cols[c] = r->block + c * (size_t)r->stride;
  fill_params(r);
  return true;
}

static void release(RtRun *r) {
  rt_network_free(r); /* runtime/rt_network_run.c */
  rt_output_free(r);
  rt_aligned_free(r->block);
  rt_aligned_free(r->spike_old);
  rt_aligned_free(r->deriv_old);
  free(r->cols);
  free(r->P);
  rt_options_free(&r->opt);
}

/* ---- the run ------------------------------------------------------------------ */

static void report(const RtRun *r, bool have_dir) {
  const RtOptions *o = &r->opt;
  if (r->status != RT_EXIT_OK) {
    fprintf(stderr, "%s: error: %s\n", o->prog, r->err);
    if (have_dir && !o->quiet)
      fprintf(stderr, "%s: partial output and run.json in %s/\n", o->prog, o->out_dir);
    return;
  }
  if (o->quiet) return;
  char extra[160] = "";
  if (o->method == MSN_RK45)
    snprintf(extra, sizeof extra, ", %llu rk45 steps", (unsigned long long)r->solver_steps);
  if (r->net) { /* runtime/rt_network_run.c */
    uint64_t nsyn, bytes;
    rt_network_synapses(r, &nsyn, &bytes);
    size_t len = strlen(extra);
    snprintf(extra + len, sizeof extra - len, ", %llu synapses in %.1f MB, %.2f B each",
             (unsigned long long)nsyn, (double)bytes / 1e6, nsyn ? (double)bytes / (double)nsyn : 0.0);
  }
  fprintf(stderr, "%s: %g ms simulated in %.3g s (%lld steps%s, %zu spike%s); output in %s/\n",
          r->m->name, r->t_done / RT_MS, r->wall, (long long)r->steps_done, extra,
          r->spikes.n, r->spikes.n == 1 ? "" : "s", o->out_dir);
}

/* Returns whether the output directory exists (so run.json can be written). */
static bool simulate(RtRun *r) {
  r->wall_start = rt_now();
  if (!allocate(r)) return false;
  int err = rt_mkdir_p(r->opt.out_dir);
  if (err) {
    rt_fail(r, RT_EXIT_IO, "cannot create directory '%s': %s", r->opt.out_dir, strerror(err));
    return false;
  }
  if (rt_trace_open(r)) {
    rt_progress_start(&r->progress, !r->opt.quiet && isatty(STDERR_FILENO));
    rt_integrate(r);
    rt_progress_end(&r->progress);
  }
  /* Whatever happened, flush what was computed: a failed run's trace up to
   * the failure is what one needs to debug it. */
  rt_trace_close(r);
  rt_write_spikes(r);
  if (r->net) rt_network_write_rates(r); /* runtime/rt_network_output.c */
  r->wall = rt_now() - r->wall_start;
  rt_write_run_json(r);
  return true;
}

int msn_main(const MsnModel *m, int argc, char **argv) {
  if (!m) {
    fprintf(stderr, "msn_main: error: no model description\n");
    return RT_EXIT_USAGE;
  }
  if (m->abi_version == MSN_ABI_VERSION && m->cable) return rt_cable_main(m, argc, argv); /* rt_cable_run.c */
  if (m->abi_version == MSN_ABI_VERSION && m->population)
    return msn_population_main(m, argc, argv); /* rt_population_run.c */
  RtRun r;
  memset(&r, 0, sizeof r);
  r.m = m;
  char buf[256];
  const char *bad = check_model(m, buf, sizeof buf);
  if (bad) {
    const char *prog = argc > 0 && argv && argv[0] ? argv[0] : "msn-run";
    if (strrchr(prog, '/')) prog = strrchr(prog, '/') + 1;
    fprintf(stderr, "%s: error: invalid model description: %s\n", prog, bad);
    return RT_EXIT_USAGE;
  }
  r.n = m->n_instances;
  r.spikes = (RtSpikes){0};
  int st = rt_parse_args(&r, argc, argv);
  if (st != RT_EXIT_OK) {
    rt_options_free(&r.opt);
    return st < 0 ? RT_EXIT_OK : st;
  }
  /* --record: the run simulates a copy of the description whose records
   * are the command line's, so that the trace, run.json and the steps at
   * which the loop stops for a trace row all follow one list */
  MsnModel as_run = *m;
  if (r.opt.records_given) {
    as_run.nrecords = r.opt.nrecords;
    as_run.records = r.opt.records;
    r.m = &as_run;
  }
  bool have_dir = simulate(&r);
  report(&r, have_dir);
  st = r.status;
  release(&r);
  return st;
}
