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
  /* from a Poisson source: no ring; each step target j gets weight *
   * Poisson(lam_j), lam_j = in-degree * rate * dt (lam: NULL when all equal
   * lam0), drawn from Philox keyed by (key, step, j) */
  int poisson;
  double lam0, *lam;
  uint32_t key[2];
} RtNetProj;

typedef struct RtNet {
  const MsnNetwork *d;
  double *coef;     /* the deliveries' coefficients, from the run's parameters */
  int jumps;        /* some projection adds to the spike state (voltage jumps) */
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

static double u53(uint32_t hi, uint32_t lo) {
  return (double)(((uint64_t)hi >> 5) * 67108864ULL + (lo >> 6)) / 9007199254740992.0;
}

/* A Poisson(lam) count for (step, target j) of a projection: inversion
 * for lam < 10, else Hörmann's PTRS (1993) transformed rejection; both
 * from Philox counters (j, step, draw), so the count depends only on the
 * seed, the projection, the step and the target. */
static uint32_t poisson_count(const uint32_t key[2], int64_t step, uint32_t j, double lam, double emlam) {
  uint32_t ctr[4] = {j, (uint32_t)step, (uint32_t)((uint64_t)step >> 32), 0}, o[4];
  if (lam <= 0) return 0;
  if (lam < 10) {
    rt_philox4x32_10(ctr, key, o);
    double u = u53(o[0], o[1]), p = emlam, F = p;
    uint32_t n = 0;
    while (u > F && n < 10000) {
      n++;
      p *= lam / n;
      F += p;
      if (p < 1e-300 && F < u) break; /* rounding: u above the summed mass */
    }
    return n;
  }
  double slam = sqrt(lam), loglam = log(lam), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (uint32_t draw = 0;; draw++) {
    ctr[3] = draw;
    rt_philox4x32_10(ctr, key, o);
    double U = u53(o[0], o[1]) - 0.5, V = u53(o[2], o[3]), us = 0.5 - fabs(U);
    double k = floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return (uint32_t)k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) return (uint32_t)k;
  }
}

static void apply_inits(RtRun *r, const MsnNetwork *d) {
  for (int64_t p = 0; p < d->npops; p++) {
    const MsnPopulation *P = &d->pops[p];
    if (P->kind != 0) continue;
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
  if (!(N->coef = calloc((size_t)d->ncoef + 1, sizeof *N->coef))) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the network");
    return false;
  }
  if (d->ncoef) d->coef(r->P, r->opt.dt, N->coef);
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
    if (tgt->kind != 0) {
      rt_fail(r, RT_EXIT_USAGE, "projection %s -> %s: %s is a source", src->name, tgt->name, tgt->name);
      return false;
    }
    for (int64_t e = 0; e < j->ndeliver; e++)
      if (j->deliver[e].state == r->m->spike_state) N->jumps = 1;
    RtConnSpec s = {.rule = (RtConnRule)j->rule, .n_src = (uint32_t)src->n, .n_tgt = (uint32_t)tgt->n,
                    .p = j->p, .k = (uint32_t)j->k, .autapses = (int)j->autapses, .multapses = (int)j->multapses,
                    .seed = mix64(r->opt.seed * 0x100000001b3ULL + (uint64_t)q + 1), .weight = j->weight,
                    .delay_lo = P->delay_steps, .delay_hi = P->delay_steps};
    if (src->kind == 1) { /* Poisson source: independent trains per synapse, not stored (nor counted) */
      uint64_t ks = mix64(s.seed ^ 0x706f6973736f6eULL); /* "poisson" */
      P->key[0] = (uint32_t)ks;
      P->key[1] = (uint32_t)(ks >> 32);
      P->poisson = 1;
      double per = src->rate * dt;
      if (j->rule == RT_CONN_FIXED_INDEGREE || j->rule == RT_CONN_ALL_TO_ALL) {
        P->lam0 = per * (double)(j->rule == RT_CONN_ALL_TO_ALL ? src->n : j->k);
        continue;
      }
      if (rt_conn_build(&P->conn, &s, err, sizeof err) || !(P->lam = calloc((size_t)tgt->n + 1, sizeof *P->lam))) {
        rt_fail(r, RT_EXIT_IO, "projection %s -> %s: %s", src->name, tgt->name, P->lam ? err : "out of memory");
        return false;
      }
      for (uint64_t e = 0; e < P->conn.n_syn; e++) P->lam[P->conn.tgt[e]] += per;
      rt_conn_free(&P->conn);
      memset(&P->conn, 0, sizeof P->conn);
      continue;
    }
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
    if (P->poisson) {
      double w = P->d->weight;
      double em0 = P->lam0 < 10 ? exp(-P->lam0) : 0;
      for (int64_t i = 0; i < tgt->n; i++) {
        double lam = P->lam ? P->lam[i] : P->lam0;
        uint32_t c = poisson_count(P->key, k, (uint32_t)i, lam, P->lam ? (lam < 10 ? exp(-lam) : 0) : em0);
        for (int64_t e = 0; c && e < P->d->ndeliver; e++)
          r->cols[P->d->deliver[e].state][tgt->first + i] += N->coef[P->d->deliver[e].coef] * (w * (double)c);
      }
      continue;
    }
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
    const double *in = P->in;
    for (int64_t e = 0; e < P->d->ndeliver; e++) { /* a synapse: c * (summed weights) into each of its states */
      double *x = r->cols[P->d->deliver[e].state] + tgt->first, c = N->coef[P->d->deliver[e].coef];
      for (int64_t i = 0; i < tgt->n; i++) x[i] += c * in[i];
    }
  }
  /* Voltage jumps (target V of an integrate-and-fire cell): a jump at
   * t_{k+1} that lifts V to the threshold or above is a spike at t_{k+1}
   * (reset, refractory period; delivered with the next step's spikes).
   * Jumps into a refractory neuron are lost: it is held at the reset. */
  if (N->jumps && r->m->has_reset && r->ref_until) {
    const double thr = r->m->spike_threshold, vr = r->m->reset_value, t1 = (double)(k + 1) * r->opt.dt;
    double *x = r->cols[r->m->spike_state];
    for (int64_t i = 0; i < r->n; i++) {
      if (x[i] < thr || r->ref_until[i] > t1) continue;
      if (!rt_spikes_push(&r->spikes, t1, i)) {
        rt_fail(r, RT_EXIT_IO, "out of memory after %zu spikes", r->spikes.n);
        return false;
      }
      x[i] = vr;
      r->ref_until[i] = t1 + r->m->refractory;
    }
  }
  return true;
}

static int pop_of(const MsnNetwork *d, int64_t id) {
  for (int64_t p = 0; p < d->npops; p++)
    if (d->pops[p].kind == 0 && id >= d->pops[p].first && id < d->pops[p].first + d->pops[p].n) return (int)p;
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
    free(P->lam);
    if (P->has_stp) rt_stp_free(&P->stp);
    free(P->in);
  }
  free(N->proj);
  free(N->coef);
  free(N->src);
  free(N->ts);
  free(N);
  r->net = NULL;
}
