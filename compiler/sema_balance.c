/* compiler/sema_balance.c — the scale-coupling check of spiking networks
 * (docs/language.md 5.9, "Balance report"; W0954).
 *
 * For every population of neurons, the diffusion approximation of its
 * input (Brunel 2000; van Vreeswijk & Sompolinsky 1996): a projection j
 * with mean in-degree K_j, weight J_j (a jump of V) and presynaptic rate
 * nu_j adds
 *     mu_j = tau K_j J_j nu_j        sigma_j^2 = tau K_j J_j^2 nu_j
 * to the mean and the variance of the free membrane potential, tau being
 * the membrane time constant of the cell.  Only voltage jumps (`target
 * V`) fit this form; projections into other states (synaptic currents or
 * conductances with their own dynamics) are listed as not covered.
 *
 * Balance: with weights declared `scale 1/sqrt(K)` each mu_j grows like
 * sqrt(K), and only the difference of excitation and inhibition may stay
 * of the order of the distance from rest to threshold.  A population with
 * such inputs whose net mean exceeds twice that distance (from the leak
 * reversal potential E_L to the threshold) gets W0954.
 *
 * The rates: a source's own (a spike-time source: its spikes per
 * simulated time), and for neurons the population's hint `rate = R`, else
 * 10 Hz (said in the report). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msnc.h"
#include "network.h"

enum { BALANCE_DEFAULT_RATE = 10 }; /* Hz, for populations without a hint */

/* The passive membrane of a cell: Cm / sum g and the rest E_L + I / sum g
 * from the currents g * (V - E) of its channels and its constant stimuli. */
typedef struct Membrane {
  double tau, rest, leak, theta; /* rest: with the constant stimuli; leak: E_L */
  bool ok;
} Membrane;

static bool param_value(Decl *owner, const char *name, double *out) {
  for (int i = 0; i < owner->body.n; i++) {
    Stmt *st = owner->body.v[i];
    if (st->kind == ST_PARAM && strcmp(st->name, name) == 0) return st->e && sema_const_value(st->e, out);
  }
  return false;
}

/* a constant: a number or a parameter of the channel */
static bool leaf_value(Decl *ch, Expr *e, double *out) {
  if (e->kind == EX_NAME) return param_value(ch, e->name, out);
  return e->kind == EX_NUM && sema_const_value(e, out);
}

/* current g * (V - E) or (V - E) * g: true with g and E */
static bool linear_current(Decl *ch, Expr *e, double *g, double *E) {
  if (e->kind != EX_BINARY || e->op != OP_MUL) return false;
  for (int side = 0; side < 2; side++) {
    Expr *k = side ? e->b : e->a, *d = side ? e->a : e->b;
    if (d->kind == EX_BINARY && d->op == OP_SUB && d->a->kind == EX_NAME && strcmp(d->a->name, "V") == 0 &&
        leaf_value(ch, k, g) && leaf_value(ch, d->b, E))
      return true;
  }
  return false;
}

static Membrane membrane_of(Program *prog, Decl *cell) {
  Membrane m = {.theta = NAN};
  double cm = 0, g = 0, gE = 0, I = 0;
  if (!param_value(cell, "Cm", &cm)) return m;
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_SPIKE && strcmp(st->name, "V") == 0 && st->e) sema_const_value(st->e, &m.theta);
    if (st->kind == ST_STIMULUS && !st->e2 && !st->e3 && st->e) {
      double v;
      if (sema_const_value(st->e, &v)) I += v;
    }
    if (st->kind != ST_INSERT) continue;
    for (int k = 0; k < st->names.n; k++) {
      Decl *ch = sema_find_decl(prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
      for (int j = 0; ch && j < ch->body.n; j++) {
        Stmt *cs = ch->body.v[j];
        double gj, Ej;
        if (cs->kind == ST_CURRENT && cs->e && linear_current(ch, cs->e, &gj, &Ej)) {
          g += gj;
          gE += gj * Ej;
        }
      }
    }
  }
  if (!(cm > 0) || !(g > 0) || !isfinite(m.theta)) return m;
  m.tau = cm / g;
  m.leak = gE / g;
  m.rest = m.leak + I / g;
  m.ok = true;
  return m;
}

double sema_balance_indegree(const NetProj *pr, const NetPop *src, const NetPop *tgt) {
  double ns = (double)src->n - (src == tgt && !pr->autapses ? 1 : 0);
  switch (pr->rule) {
  case NET_ALL_TO_ALL: return ns;
  case NET_ONE_TO_ONE: return 1;
  case NET_PROBABILITY: return pr->p * ns;
  case NET_INDEGREE: return (double)pr->k;
  case NET_OUTDEGREE: return (double)pr->k * (double)src->n / (double)tgt->n;
  case NET_FROM_FILE: return (double)pr->nedges / (double)tgt->n;
  default: return 0;
  }
}

/* spikes per second of one presynaptic neuron or source */
static double rate_of(const NetPop *p, const SimSpec *sim, bool *assumed) {
  if (p->kind == NET_SRC_SPIKES) {
    int n = 0;
    for (int i = 0; i < p->ntimes; i++) n += p->times[i] <= sim->duration;
    return sim->duration > 0 ? n / sim->duration : 0;
  }
  if (p->source) return p->rate;
  if (p->has_rate_hint) return p->rate_hint;
  *assumed = true;
  return BALANCE_DEFAULT_RATE;
}

/* The report of one target population; false when it has no voltage
 * jumps.  Warns (W0954) for a declared-balanced population whose E and I
 * do not cancel. */
static bool report_population(Diag *diag, StrBuf *b, const SimSpec *sim, NetSpec *net, NetPop *tgt, int ti,
                              Membrane mem) {
  double muE = 0, muI = 0, var = 0, mu4 = 0; /* mu4: the net mean at four times every in-degree */
  bool any = false, scaled = false, assumed = false;
  StrBuf rows = {0}, skipped = {0};
  for (int i = 0; i < net->projs.n; i++) {
    NetProj *pr = net->projs.v[i];
    if (pr->tgt != ti) continue;
    NetPop *src = net->pops.v[pr->src];
    if (strcmp(pr->target, "V") != 0) {
      sb_printf(&skipped, "    %s -> %s targets %s: not covered (only voltage jumps, `target V`)\n", src->name,
                tgt->name, pr->target);
      continue;
    }
    any = true;
    double K = sema_balance_indegree(pr, src, tgt), nu = rate_of(src, sim, &assumed);
    double KJ = pr->rule == NET_FROM_FILE ? pr->edge_w1 / (double)tgt->n : K * pr->weight;
    double KJ2 = pr->rule == NET_FROM_FILE ? pr->edge_w2 / (double)tgt->n : K * pr->weight * pr->weight;
    double mu = mem.tau * KJ * nu, v = mem.tau * KJ2 * nu;
    if (mu >= 0) muE += mu;
    else muI += mu;
    var += v;
    scaled |= pr->scaled;
    mu4 += mu * (pr->scaled ? 2 : 4); /* K J grows like sqrt(K) when scaled, like K otherwise */
    sb_printf(&rows, "    %-8s K %-8.6g J %+.4g mV%s  nu %.4g Hz  mu %+.4g mV  sigma^2 %.4g mV^2\n", src->name, K,
              K > 0 ? KJ / K * 1e3 : 0.0, pr->scaled ? " (1/sqrt(K))" : "", nu, mu * 1e3, v * 1e6);
  }
  if (!any) {
    char *s = sb_take(&skipped);
    if (s && *s) sb_printf(b, "  %s: no voltage jumps\n%s", tgt->name, s);
    free(s);
    free(sb_take(&rows));
    return false;
  }
  double mu = muE + muI, sigma = sqrt(var), gap = mem.theta - mem.leak;
  char *r = sb_take(&rows), *s = sb_take(&skipped);
  sb_printf(b, "  %s (rate %.4g Hz%s):\n%s%s", tgt->name, rate_of(tgt, sim, &(bool){0}),
            tgt->has_rate_hint ? "" : ", assumed: no `rate = R` hint", r ? r : "", s ? s : "");
  sb_printf(b, "    mu = %+.6g mV (E %+.6g mV, I %+.6g mV), sigma = %.6g mV: free mean V %.6g mV, threshold %.6g mV\n",
            mu * 1e3, muE * 1e3, muI * 1e3, sigma * 1e3, (mem.rest + mu) * 1e3, mem.theta * 1e3);
  free(r);
  free(s);
  if (scaled && gap > 0 && fabs(mu) > 2 * gap) {
    diag_warning(diag, tgt->loc, "W0954", "the inputs of %s are scaled 1/sqrt(K), but excitation and inhibition do "
                 "not cancel: the net mean input %+.4g mV (E %+.4g mV, I %+.4g mV) is %.3g times the distance from the "
                 "leak reversal to the threshold (%.4g mV)", tgt->name, mu * 1e3, muE * 1e3, muI * 1e3, fabs(mu) / gap, gap * 1e3);
    diag_note(diag, (Loc){0}, "each part grows like sqrt(K): at four times the in-degrees the net mean would be %+.4g "
              "mV; balance needs sum_j sqrt(K_j) J_j nu_j = O(1) (rates: %s)", mu4 * 1e3,
              assumed ? "some assumed, declare `rate = R` in the populations" : "as declared");
  }
  return true;
}

/* the report lives in the arena, with the rest of the checked network */
static void keep_report(Arena *A, NetSpec *net, StrBuf *b) {
  char *s = sb_take(b);
  net->balance = arena_strdup(A, s ? s : "");
  free(s);
}

/* Populations of different cells: each with its own cell's membrane. */
static void balance_cells(Arena *A, Diag *diag, Program *prog, SimSpec *sim, NetSpec *net) {
  StrBuf b = {0};
  sb_printf(&b, "balance report (diffusion approximation of voltage jumps), each population with its cell's "
                "membrane:\n");
  for (int i = 0; i < net->pops.n; i++) {
    NetPop *p = net->pops.v[i];
    if (p->source || p->nproj_declared != p->nproj_checked) continue;
    Membrane mem = membrane_of(prog, p->cell);
    if (!mem.ok) {
      sb_printf(&b, "  %s: none: %s has no passive membrane (param Cm, currents g * (V - E), `spike when V "
                    "crosses`)\n", p->name, p->cell->name);
      continue;
    }
    sb_printf(&b, "  %s is of %s: tau %.4g ms, rest %.4g mV, threshold %.4g mV\n", p->name, p->cell->name,
              mem.tau * 1e3, mem.rest * 1e3, mem.theta * 1e3);
    report_population(diag, &b, sim, net, p, i, mem);
  }
  keep_report(A, net, &b);
}

void sema_balance(Arena *A, Diag *diag, Program *prog, SimSpec *sim, NetSpec *net) {
  NetPop *p0 = NULL;
  for (int i = 0; i < net->pops.n && !p0; i++)
    if (!((NetPop *)net->pops.v[i])->source) p0 = net->pops.v[i];
  if (!p0 || !net->projs.n) return;
  if (sema_net_several_cells(net)) { /* compiler/sema_network.c */
    balance_cells(A, diag, prog, sim, net);
    return;
  }
  Membrane mem = membrane_of(prog, p0->cell);
  StrBuf b = {0};
  if (!mem.ok) {
    sb_printf(&b, "balance report: none: %s has no passive membrane (param Cm, currents g * (V - E), `spike when V "
                  "crosses`) to take tau, rest and threshold from\n", p0->cell->name);
    keep_report(A, net, &b);
    return;
  }
  sb_printf(&b, "balance report (diffusion approximation of voltage jumps): tau %.4g ms, rest %.4g mV, threshold "
                "%.4g mV\n", mem.tau * 1e3, mem.rest * 1e3, mem.theta * 1e3);
  for (int i = 0; i < net->pops.n; i++) {
    NetPop *p = net->pops.v[i];
    if (p->source || p->nproj_declared != p->nproj_checked) continue; /* its bad projections have errors */
    report_population(diag, &b, sim, net, p, i, mem);
  }
  keep_report(A, net, &b);
}

void sema_balance_print(FILE *out, const NetSpec *net, bool brief) {
  if (!net || !net->balance) return;
  if (!brief) {
    fprintf(out, "\n%s", net->balance);
    return;
  }
  /* one line per population: its "mu = ..." line */
  const char *s = net->balance, *name = NULL;
  size_t nlen = 0;
  for (const char *line = s; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    if (len > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
      name = line + 2;
      nlen = strcspn(name, " :");
    }
    if (len > 9 && strncmp(line, "    mu = ", 9) == 0 && name)
      fprintf(out, "msnc: note: balance of %.*s: %.*s\n", (int)nlen, name, (int)(len - 4), line + 4);
    line += len + (end ? 1 : 0);
  }
}
