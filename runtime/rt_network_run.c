/* runtime/rt_network_run.c — networks of populations and projections on
 * top of rt_events (docs/language.md 5.9, docs/events.md).
 *
 * The model's instances are all the neurons; population p owns instances
 * [first, first + n).  Per projection: a CSR connectivity built from the
 * run's seed (rt_conn_build; Philox streams keyed by the seed and the
 * projection's index), a ring buffer of n_tgt doubles per delay step, and
 * with Tsodyks–Markram plasticity the per-synapse (u, R, t_last).
 *
 * Timing: a spike detected in step k (t_k, t_{k+1}] is stamped t_{k+1};
 * with a delay of d steps its weight is added to the target state at
 * t_{k+1+d}, before the step from there is integrated.  A delay is rounded
 * to whole steps (d >= 1); a delay shorter than dt is an error.  TM
 * synapses are updated at the exact (interpolated) spike times.
 *
 * Only the staggered method runs networks for now. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msnrt_network.h"
#include "rt_events.h"
#include "rt_network.h"

typedef struct RtNetProj {
  const MsnProjection *d;
  RtConn conn;
  RtRing ring;
  RtStp stp;
  int has_stp;
  uint32_t delay_steps;
  double *in;       /* n_tgt: the input taken at a step */
} RtNetProj;

typedef struct RtNet {
  const MsnNetwork *d;
  RtNetProj *proj;
  size_t mark;      /* spikes before this index are delivered */
  uint32_t *src;    /* scratch: sources of one step */
  double *ts;       /* their spike times */
  size_t cap;
} RtNet;

static uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* Two uniforms in [0, 1) with 53 bits, from (seed, instance, init j). */
static void uniforms(uint64_t seed, uint64_t inst, uint32_t j, double *u0, double *u1) {
  uint64_t s = mix64(seed ^ 0x6e6574696e6974ULL); /* "netinit" */
  uint32_t key[2] = {(uint32_t)s, (uint32_t)(s >> 32)};
  uint32_t ctr[4] = {(uint32_t)inst, (uint32_t)(inst >> 32), j, 0x1d1dU};
  uint32_t o[4];
  rt_philox4x32_10(ctr, key, o);
  *u0 = (double)(((uint64_t)o[0] >> 5) * 67108864ULL + (o[1] >> 6)) / 9007199254740992.0;
  *u1 = (double)(((uint64_t)o[2] >> 5) * 67108864ULL + (o[3] >> 6)) / 9007199254740992.0;
}

static void apply_inits(RtRun *r, const MsnNetwork *d) {
  for (int64_t p = 0; p < d->npops; p++) {
    const MsnPopulation *P = &d->pops[p];
    for (int64_t j = 0; j < P->ninit; j++) {
      const MsnNetInit *in = &P->init[j];
      double *x = r->cols[in->state];
      for (int64_t i = P->first; i < P->first + P->n; i++) {
        if (in->kind == 0) {
          x[i] = in->a;
          continue;
        }
        double u0, u1;
        uniforms(r->opt.seed, (uint64_t)i, (uint32_t)in->state, &u0, &u1);
        if (in->kind == 1) x[i] = in->a + (in->b - in->a) * u0;
        else x[i] = in->a + in->b * sqrt(-2.0 * log(1.0 - u0)) * cos(6.283185307179586 * u1);
      }
    }
  }
}

bool rt_network_start(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  if (d->version != MSN_NETWORK_VERSION) {
    rt_fail(r, RT_EXIT_USAGE, "the network descriptor has version %lld, this runtime reads %d", (long long)d->version,
            MSN_NETWORK_VERSION);
    return false;
  }
  if (r->opt.method != MSN_STAGGERED) {
    rt_fail(r, RT_EXIT_USAGE, "a network runs with the staggered method only (not %s)", rt_method_name(r->opt.method));
    return false;
  }
  if (r->m->spike_state < 0 && d->nprojs) {
    rt_fail(r, RT_EXIT_USAGE, "the neurons of the network do not spike");
    return false;
  }
  RtNet *N = calloc(1, sizeof *N);
  if (!N || !(N->proj = calloc((size_t)d->nprojs + 1, sizeof *N->proj))) {
    free(N);
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  N->d = d;
  r->net = N;
  apply_inits(r, d);
  const double dt = r->opt.dt;
  uint64_t nsyn = 0;
  size_t bytes = 0;
  double worst = 0;
  for (int64_t q = 0; q < d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    const MsnProjection *j = &d->projs[q];
    const MsnPopulation *src = &d->pops[j->src], *tgt = &d->pops[j->tgt];
    P->d = j;
    char err[256];
    double rel = 0;
    if (rt_delays_to_steps(1, &j->delay, dt, &P->delay_steps, &rel, err, sizeof err) || P->delay_steps > RT_DELAY_MAX) {
      rt_fail(r, RT_EXIT_USAGE, "projection %s -> %s: the delay %g ms is shorter than dt = %g ms (or longer than %u steps)",
              src->name, tgt->name, j->delay / RT_MS, dt / RT_MS, RT_DELAY_MAX);
      return false;
    }
    if (rel > worst) worst = rel;
    RtConnSpec s = {.rule = (RtConnRule)j->rule, .n_src = (uint32_t)src->n, .n_tgt = (uint32_t)tgt->n,
                    .p = j->p, .k = (uint32_t)j->k, .autapses = (int)j->autapses, .multapses = (int)j->multapses,
                    .seed = mix64(r->opt.seed * 0x100000001b3ULL + (uint64_t)q + 1), .weight = j->weight,
                    .delay_lo = P->delay_steps, .delay_hi = P->delay_steps};
    if (rt_conn_build(&P->conn, &s, err, sizeof err) ||
        rt_ring_init(&P->ring, (uint32_t)tgt->n, P->delay_steps, err, sizeof err) ||
        (j->tm && rt_stp_init(&P->stp, &P->conn, (RtTmParams){j->U, j->tau_rec, j->tau_fac}, err, sizeof err))) {
      rt_fail(r, RT_EXIT_IO, "projection %s -> %s: %s", src->name, tgt->name, err);
      return false;
    }
    P->has_stp = (int)j->tm;
    P->in = malloc(((size_t)tgt->n + 1) * sizeof *P->in);
    if (!P->in) {
      rt_fail(r, RT_EXIT_IO, "out of memory for the network");
      return false;
    }
    nsyn += P->conn.n_syn;
    bytes += rt_conn_bytes(&P->conn);
  }
  N->cap = (size_t)r->n + 1;
  N->src = malloc(N->cap * sizeof *N->src);
  N->ts = malloc(N->cap * sizeof *N->ts);
  if (!N->src || !N->ts) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  if (!r->opt.quiet)
    fprintf(stderr, "%s: network of %lld neurons in %lld populations, %lld projections, %llu synapses (%.1f B each)%s",
            r->opt.prog, (long long)r->n, (long long)d->npops, (long long)d->nprojs, (unsigned long long)nsyn,
            nsyn ? (double)bytes / (double)nsyn : 0.0, worst > 1e-9 ? "" : "\n");
  if (!r->opt.quiet && worst > 1e-9) fprintf(stderr, "; delays rounded to dt, largest error %.3g %%\n", 100 * worst);
  return true;
}

bool rt_network_step(RtRun *r, int64_t k) {
  RtNet *N = r->net;
  const MsnNetwork *d = N->d;
  size_t from = N->mark, to = r->spikes.n;
  N->mark = to;
  for (int64_t q = 0; q < d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    const MsnPopulation *src = &d->pops[P->d->src], *tgt = &d->pops[P->d->tgt];
    size_t ns = 0;
    for (size_t s = from; s < to; s++) {
      int64_t id = r->spikes.v[s].id;
      if (id < src->first || id >= src->first + src->n) continue;
      if (ns == N->cap) { /* several spikes of a neuron in one step */
        size_t cap = 2 * N->cap;
        uint32_t *a = realloc(N->src, cap * sizeof *a);
        if (a) N->src = a;
        double *b = realloc(N->ts, cap * sizeof *b);
        if (b) N->ts = b;
        if (!a || !b) {
          rt_fail(r, RT_EXIT_IO, "out of memory for the spikes of one step");
          return false;
        }
        N->cap = cap;
      }
      N->src[ns] = (uint32_t)(id - src->first);
      N->ts[ns++] = r->spikes.v[s].t;
    }
    if (ns) {
      int rc = P->has_stp ? rt_deliver_stp(&P->ring, &P->conn, &P->stp, k + 1, N->src, N->ts, ns)
                          : rt_deliver(&P->ring, &P->conn, k + 1, N->src, ns);
      if (rc) {
        rt_fail(r, RT_EXIT_IO, "spike delivery: %s", P->ring.err);
        return false;
      }
    }
    rt_take(&P->ring, k + 1, P->in);
    double *x = r->cols[P->d->target_state] + tgt->first;
    const double *in = P->in;
    for (int64_t i = 0; i < tgt->n; i++) x[i] += in[i];
  }
  return true;
}

static int pop_of(const MsnNetwork *d, int64_t id) {
  for (int64_t p = 0; p < d->npops; p++)
    if (id >= d->pops[p].first && id < d->pops[p].first + d->pops[p].n) return (int)p;
  return 0;
}

bool rt_network_write_spikes(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  RtSpikes *s = &r->spikes;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  size_t len = strlen(r->opt.out_dir) + 16;
  char *path = malloc(len);
  if (!path) return false;
  snprintf(path, len, "%s/%s", r->opt.out_dir, npy ? "spikes.npy" : "spikes.csv");
  rt_spikes_sort(s);
  FILE *f = fopen(path, "wb");
  if (!f) {
    rt_fail(r, RT_EXIT_IO, "cannot create '%s': %s", path, strerror(errno));
    free(path);
    return false;
  }
  char *buf = malloc(1 << 16);
  if (buf) setvbuf(f, buf, _IOFBF, 1 << 16);
  if (npy) rt_npy_header(f, (int64_t)s->n, 3);
  else fputs("t [ms],population,id\n", f);
  for (size_t k = 0; k < s->n; k++) {
    int p = pop_of(d, s->v[k].id);
    int64_t id = s->v[k].id - d->pops[p].first;
    if (npy) {
      double row[3] = {s->v[k].t / RT_MS, (double)p, (double)id};
      fwrite(row, sizeof row, 1, f); /* little-endian hosts (x86-64, aarch64) */
    } else {
      fprintf(f, "%.17g,%s,%lld\n", s->v[k].t / RT_MS, d->pops[p].name, (long long)id);
    }
  }
  bool ok = !ferror(f);
  if (fclose(f) != 0) ok = false;
  if (!ok) rt_fail(r, RT_EXIT_IO, "cannot write '%s'", path);
  free(buf);
  free(path);
  return ok;
}

void rt_network_free(RtRun *r) {
  RtNet *N = r->net;
  if (!N) return;
  for (int64_t q = 0; N->proj && q < N->d->nprojs; q++) {
    RtNetProj *P = &N->proj[q];
    rt_conn_free(&P->conn);
    rt_ring_free(&P->ring);
    if (P->has_stp) rt_stp_free(&P->stp);
    free(P->in);
  }
  free(N->proj);
  free(N->src);
  free(N->ts);
  free(N);
  r->net = NULL;
}
