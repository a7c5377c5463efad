/* compiler/sema_network.c — checks of `population` and `project`
 * declarations (docs/language.md 5.9, diagnostics E0901–E0929).
 *
 * Every population is a range of instances of one model: the populations'
 * cell, or with populations of several cells the union of their models
 * (compiler/lower_cells.c).  Projections name a state of the target
 * population's cell that their events increment, with a weight in that
 * state's unit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msnc.h"
#include "network.h"
#include "rt_edges.h"
#include "rt_sources.h"

typedef struct NetCheck {
  struct Sema *S;
  Arena *A;
  Diag *diag;
  SimSpec *sim;
  NetSpec *net;
} NetCheck;

static Unit unit_named(const char *text) {
  Unit u;
  if (!units_parse(text, &u, NULL, 0, NULL)) u = units_one();
  return u;
}

/* The unit of state `name` of cell (V, a cell state or a state of an
 * inserted channel); false when there is none. */
static bool cell_state_unit(Program *prog, Decl *cell, const char *name, Unit *u) {
  if (strcmp(name, "V") == 0) {
    *u = unit_named("mV");
    return true;
  }
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_STATE && strcmp(st->name, name) == 0) {
      *u = st->sym && st->sym->unit.scale != 0 ? st->sym->unit : units_one();
      return true;
    }
  }
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind != ST_INSERT) continue;
    for (int k = 0; k < st->names.n; k++) {
      Decl *ch = sema_find_decl(prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
      for (int j = 0; ch && j < ch->body.n; j++) {
        Stmt *cs = ch->body.v[j];
        if (cs->kind == ST_STATE && strcmp(cs->name, name) == 0) {
          *u = cs->sym && cs->sym->unit.scale != 0 ? cs->sym->unit : units_one();
          return true;
        }
      }
    }
  }
  return false;
}

static void list_states(NetCheck *N, Program *prog, Decl *cell) {
  StrBuf b = {0};
  sb_puts(&b, "the states of ");
  sb_puts(&b, cell->name);
  sb_puts(&b, " are V");
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_STATE) sb_printf(&b, ", %s", st->name);
    if (st->kind != ST_INSERT) continue;
    for (int k = 0; k < st->names.n; k++) {
      Decl *ch = sema_find_decl(prog, DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
      for (int j = 0; ch && j < ch->body.n; j++) {
        Stmt *cs = ch->body.v[j];
        if (cs->kind == ST_STATE) sb_printf(&b, ", %s", cs->name);
      }
    }
  }
  char *s = sb_take(&b);
  diag_note(N->diag, (Loc){0}, "%s", s);
  free(s);
}

static bool const_of(NetCheck *N, Expr *e, Unit want, const char *what, double *out) {
  if (!sema_net_const(N->S, e, want, what)) return false;
  if (!sema_const_value(e, out) || !isfinite(*out)) {
    diag_error(N->diag, e->loc, "E0401", "%s must be a constant", what);
    return false;
  }
  return true;
}

static NetPop *find_pop(NetCheck *N, const char *name, int *index) {
  for (int i = 0; i < N->net->pops.n; i++) {
    NetPop *p = N->net->pops.v[i];
    if (strcmp(p->name, name) == 0) {
      if (index) *index = i;
      return p;
    }
  }
  return NULL;
}

/* ---- populations ------------------------------------------------------- */

static void check_init(NetCheck *N, Program *prog, NetPop *p, Stmt *st) {
  if (st->kind != ST_INIT) {
    diag_error(N->diag, st->loc, "E0906", "only initial values X(0) = ... are allowed in a population");
    return;
  }
  Unit u;
  if (!cell_state_unit(prog, p->cell, st->name, &u) &&
      !sema_synapse_state_unit(prog, p->cell, st->name, &u)) { /* compiler/sema_synapse.c */
    diag_error(N->diag, st->name_loc, "E0907", "%s has no state '%s' to initialise", p->cell->name, st->name);
    list_states(N, prog, p->cell);
    return;
  }
  NetInit *in = arena_alloc(N->A, sizeof *in);
  in->state = st->name;
  in->loc = st->name_loc;
  Expr *e = st->e;
  bool dist = e->kind == EX_CALL && (strcmp(e->name, "uniform") == 0 || strcmp(e->name, "normal") == 0);
  if (dist) {
    bool uni = e->name[0] == 'u';
    if (e->args.n != 2) {
      diag_error(N->diag, e->loc, "E0908", "%s takes 2 arguments (%s), not %d", e->name,
                 uni ? "low, high" : "mean, standard deviation", e->args.n);
      return;
    }
    char what[96];
    snprintf(what, sizeof what, "the initial value of %s", st->name);
    if (!const_of(N, e->args.v[0], u, what, &in->a) || !const_of(N, e->args.v[1], u, what, &in->b)) return;
    in->kind = uni ? NET_INIT_UNIFORM : NET_INIT_NORMAL;
    if (uni ? !(in->b >= in->a) : !(in->b >= 0)) {
      diag_error(N->diag, e->loc, "E0908", uni ? "uniform(low, high) needs low <= high"
                                               : "normal(mean, sd) needs a standard deviation >= 0");
      return;
    }
  } else {
    char what[96];
    snprintf(what, sizeof what, "the initial value of %s", st->name);
    if (!const_of(N, e, u, what, &in->a)) return;
    in->kind = NET_INIT_CONST;
  }
  vec_push(N->A, &p->inits, in);
}

/* The size N of a source; `source S = spikes [...]` leaves it out: one. */
static bool source_size(NetCheck *N, Decl *d, double *n) {
  *n = 1;
  if (!d->e) return true;
  if (!const_of(N, d->e, units_one(), "the size of a source", n)) return false;
  if (!(*n >= 1 && *n <= 1e9 && *n == floor(*n))) {
    diag_error(N->diag, d->e->loc, "E0903", "the size of source %s must be a whole number from 1 to 10^9", d->name);
    return false;
  }
  return true;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* `source S = [N] spikes [T1, T2, ...]`: times >= 0, sorted here (the
 * runtime looks them up by binary search). */
static bool check_spike_times(NetCheck *N, Decl *d, Stmt *ts, NetPop *p) {
  p->ntimes = ts->exprs.n;
  p->times = arena_alloc(N->A, sizeof *p->times * (size_t)(p->ntimes + 1));
  for (int i = 0; i < ts->exprs.n; i++) {
    Expr *e = ts->exprs.v[i];
    if (!const_of(N, e, unit_named("ms"), "a spike time", &p->times[i])) return false;
    if (!(p->times[i] >= 0)) {
      diag_error(N->diag, e->loc, "E0950", "the spike times of source %s must be >= 0 ms", d->name);
      return false;
    }
  }
  qsort(p->times, (size_t)p->ntimes, sizeof *p->times, cmp_double);
  return true;
}

/* `source S = [N] spikes from "FILE"`: per-source times (id, t [ms]) read
 * when compiling (runtime/rt_sources.c) and kept in the program; without
 * N, the sources are 0 to the largest index of the file. */
static bool check_spike_file(NetCheck *N, Decl *d, Stmt *fs, NetPop *p) {
  Expr *pe = fs->e;
  const char *from = pe->loc.file && pe->loc.file->path ? pe->loc.file->path : ".";
  char *dir = path_dirname(from), *path = path_join(dir, pe->name);
  free(dir);
  double *t;
  int64_t *id, max_id;
  size_t n;
  char err[1024];
  int rc = rt_spike_file_read(path, pe->name, d->e ? p->n : 0, &t, &id, &n, &max_id, err, sizeof err);
  free(path);
  if (rc) {
    diag_error(N->diag, pe->loc, "E0950", "%s", err);
    return false;
  }
  if (!d->e) {
    if (max_id < 0) {
      diag_error(N->diag, pe->loc, "E0950", "the spike-time file %s of source %s has no spikes (and no size N is "
                 "given)", pe->name, d->name);
      free(t);
      free(id);
      return false;
    }
    p->n = max_id + 1;
  }
  p->ntimes = (int)n;
  p->times = arena_alloc(N->A, sizeof *p->times * (n + 1));
  p->ids = arena_alloc(N->A, sizeof *p->ids * (n + 1));
  memcpy(p->times, t, n * sizeof *t);
  memcpy(p->ids, id, n * sizeof *id);
  free(t);
  free(id);
  return true;
}

/* `source NAME = N regular RATE [phase T]`: each source fires at T, T +
 * 1/RATE, ... (T defaults to 1/RATE). */
static bool check_regular(NetCheck *N, Decl *d, NetPop *p) {
  Stmt *rs = d->body.v[0];
  if (!const_of(N, rs->e, unit_named("Hz"), "the rate of a regular source", &p->rate)) return false;
  if (!(p->rate > 0)) {
    diag_error(N->diag, rs->e->loc, "E0925", "the rate of regular source %s must be > 0 Hz", d->name);
    return false;
  }
  p->phase = 1 / p->rate;
  if (d->body.n < 2) return true;
  Stmt *ph = d->body.v[1];
  if (strcmp(ph->name, "phase") != 0) {
    diag_error(N->diag, ph->name_loc, "E0950", "expected `phase T` after the rate, not '%s'", ph->name);
    return false;
  }
  if (!const_of(N, ph->e, unit_named("ms"), "the phase of a regular source", &p->phase)) return false;
  if (!(p->phase >= 0)) {
    diag_error(N->diag, ph->e->loc, "E0950", "the phase (first spike time) of source %s must be >= 0 ms", d->name);
    return false;
  }
  return true;
}

/* `source NAME = N poisson RATE` (parsed as a DC_POPULATION with one
 * param, the kind, and a `rate` setting): N independent Poisson trains;
 * `regular` and `spikes` sources send their spikes through stored
 * projections like neurons (runtime/rt_sources.c). */
static void check_source(NetCheck *N, Decl *d) {
  IdRef *kind = d->params.v[0];
  static const char *kinds[] = {"poisson", "regular", "spikes"};
  int k = -1;
  for (int i = 0; i < 3; i++)
    if (strcmp(kind->name, kinds[i]) == 0) k = i;
  Stmt *body = d->body.n ? d->body.v[0] : NULL;
  bool file = body && strcmp(body->name, "file") == 0;
  bool times = body && (strcmp(body->name, "times") == 0 || file);
  if (k < 0 || (k == 2) != times || (k == 0 && d->body.n > 1)) {
    diag_error(N->diag, kind->loc, "E0925", k < 0 ? "unknown kind of source '%s'" : "malformed %s source", kind->name);
    diag_note(N->diag, (Loc){0}, "write `source %s = N poisson RATE`, `source %s = N regular RATE [phase T]` "
              "or `source %s = [N] spikes [T1, T2, ...]` (or `from \"FILE\"`)", d->name, d->name, d->name);
    return;
  }
  double n;
  if (!source_size(N, d, &n)) return;
  NetPop *p = arena_alloc(N->A, sizeof *p);
  p->name = d->name;
  p->loc = d->name_loc;
  p->n = (int64_t)n;
  p->first = -1;
  p->source = true;
  p->kind = NET_SRC_POISSON + k;
  if (k == 0) {
    if (!const_of(N, body->e, unit_named("Hz"), "the rate of a Poisson source", &p->rate)) return;
    if (!(p->rate >= 0)) {
      diag_error(N->diag, body->e->loc, "E0925", "the rate of source %s must be >= 0 Hz", d->name);
      return;
    }
  } else if (k == 1 ? !check_regular(N, d, p)
                    : file ? !check_spike_file(N, d, body, p) : !check_spike_times(N, d, body, p)) {
    return;
  }
  vec_push(N->A, &N->net->pops, p);
}

static NetPop *first_neurons(NetCheck *N) {
  for (int i = 0; i < N->net->pops.n; i++)
    if (!((NetPop *)N->net->pops.v[i])->source) return N->net->pops.v[i];
  return NULL;
}

bool sema_net_several_cells(const NetSpec *net) {
  const Decl *cell = NULL;
  for (int i = 0; i < net->pops.n; i++) {
    const NetPop *p = net->pops.v[i];
    if (p->source) continue;
    if (cell && p->cell != cell) return true;
    cell = p->cell;
  }
  return false;
}

static void check_population(NetCheck *N, Program *prog, Decl *d) {
  int dup = -1;
  if (find_pop(N, d->name, &dup)) {
    diag_error(N->diag, d->name_loc, "E0901", "%s %s is declared twice", d->params.n == 1 ? "source" : "population",
               d->name);
    diag_note(N->diag, ((NetPop *)N->net->pops.v[dup])->loc, "first declared here");
    return;
  }
  if (d->params.n == 1) {
    check_source(N, d);
    return;
  }
  IdRef *of = d->params.v[0], *cellname = d->params.v[1];
  if (strcmp(of->name, "of") != 0) {
    diag_error(N->diag, of->loc, "E0902", "expected 'of' in `population %s = N of CELL`", d->name);
    return;
  }
  double n;
  if (!const_of(N, d->e, units_one(), "the size of a population", &n)) return;
  if (!(n >= 1 && n <= 1e9 && n == floor(n))) {
    diag_error(N->diag, d->e->loc, "E0903", "the size of population %s must be a whole number from 1 to 10^9", d->name);
    return;
  }
  Decl *cell = sema_find_decl(prog, DC_CELL, cellname->name);
  if (!cell) {
    diag_error(N->diag, cellname->loc, "E0904", "population %s: '%s' is not a cell", d->name, cellname->name);
    return;
  }
  NetPop *p = arena_alloc(N->A, sizeof *p);
  p->name = d->name;
  p->loc = d->name_loc;
  p->cell = cell;
  p->n = (int64_t)n;
  p->first = N->net->total;
  N->net->total += p->n;
  vec_push(N->A, &N->net->pops, p);
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_DEF && strcmp(st->name, "rate") == 0) { /* the rate hint of the balance report */
      if (!const_of(N, st->e, unit_named("Hz"), "the rate of a population", &p->rate_hint)) continue;
      if (!(p->rate_hint >= 0)) diag_error(N->diag, st->e->loc, "E0953", "the rate of %s must be >= 0 Hz", d->name);
      p->has_rate_hint = true;
      continue;
    }
    check_init(N, prog, p, st);
  }
}

/* ---- projections --------------------------------------------------------- */

static void unknown_pop(NetCheck *N, const char *name, Loc loc) {
  diag_error(N->diag, loc, "E0910", "unknown population '%s'", name);
  const char *best = NULL;
  int bestd = 3;
  for (int i = 0; i < N->net->pops.n; i++) {
    NetPop *p = N->net->pops.v[i];
    int dd = edit_distance(name, p->name);
    if (dd < bestd) { bestd = dd; best = p->name; }
  }
  if (best) diag_note(N->diag, (Loc){0}, "did you mean '%s'?", best);
  else if (!N->net->pops.n) diag_note(N->diag, (Loc){0}, "declare it with `population %s = N of CELL`", name);
}

static const char *proj_settings[] = {"target", "weight", "delay", "autapses", "multapses",
                                      "U", "tau_rec", "tau_fac", "synapse"};
enum { PS_TARGET, PS_WEIGHT, PS_DELAY, PS_AUTAPSES, PS_MULTAPSES, PS_U, PS_TAU_REC, PS_TAU_FAC, PS_SYNAPSE, PS_N };

static bool yes_no(NetCheck *N, Expr *e, bool *out) {
  if (e->kind == EX_NAME && (strcmp(e->name, "yes") == 0 || strcmp(e->name, "no") == 0)) {
    *out = e->name[0] == 'y';
    return true;
  }
  diag_error(N->diag, e->loc, "E0918", "write yes or no");
  return false;
}

static void check_connect(NetCheck *N, NetProj *pr, Stmt *st, NetPop *src, NetPop *tgt) {
  static const char *rules[] = {"all_to_all", "one_to_one", "probability", "indegree", "outdegree"};
  if (strcmp(st->name, "from") == 0 && st->e2) { /* the file is read in check_edges */
    pr->rule = NET_FROM_FILE;
    return;
  }
  int r = -1;
  for (int i = 0; i < 5; i++)
    if (strcmp(st->name, rules[i]) == 0) r = i;
  if (r < 0) {
    diag_error(N->diag, st->name_loc, "E0914", "unknown connection rule '%s'", st->name);
    diag_note(N->diag, (Loc){0}, "rules are: all_to_all, one_to_one, probability P, indegree K, outdegree K, "
                                 "from \"FILE\"");
    return;
  }
  pr->rule = r;
  if (r <= NET_ONE_TO_ONE) {
    if (st->e) diag_error(N->diag, st->e->loc, "E0914", "connect %s takes no value", rules[r]);
    if (r == NET_ONE_TO_ONE && src && tgt && src->n != tgt->n)
      diag_error(N->diag, st->name_loc, "E0916", "one_to_one needs populations of equal size, but %s has %lld and %s %lld",
                 src->name, (long long)src->n, tgt->name, (long long)tgt->n);
    return;
  }
  if (!st->e) {
    diag_error(N->diag, st->name_loc, "E0914", "connect %s needs a value: connect %s %s", rules[r], rules[r],
               r == NET_PROBABILITY ? "P" : "K");
    return;
  }
  double v;
  if (!const_of(N, st->e, units_one(), r == NET_PROBABILITY ? "a connection probability" : "a degree", &v)) return;
  if (r == NET_PROBABILITY) {
    if (!(v >= 0 && v <= 1)) {
      diag_error(N->diag, st->e->loc, "E0915", "the connection probability %g lies outside [0, 1]", v);
      return;
    }
    pr->p = v;
    return;
  }
  NetPop *other = r == NET_INDEGREE ? src : tgt;
  if (!(v >= 0 && v == floor(v) && v <= 4294967295.0)) {
    diag_error(N->diag, st->e->loc, "E0916", "the %s must be a whole number >= 0", rules[r]);
    return;
  }
  if (other && !pr->multapses && v > (double)other->n) {
    diag_error(N->diag, st->e->loc, "E0916", "%s %g exceeds the %lld neurons of %s (without multapses)", rules[r], v,
               (long long)other->n, other->name);
    return;
  }
  pr->k = (int64_t)v;
}

/* `weight W scale 1/sqrt(K)`: the weight is W / sqrt(K), K the mean
 * in-degree of the projection (compiler/sema_balance.c) */
static bool check_scale(NetCheck *N, NetProj *pr, Stmt *st) {
  Expr *w = st->e3, *e = st->e2;
  bool form = e->kind == EX_BINARY && e->op == OP_DIV && e->a->kind == EX_NUM && e->a->num == 1 && !e->a->unit_text &&
              e->b->kind == EX_CALL && strcmp(e->b->name, "sqrt") == 0 && e->b->args.n == 1 &&
              ((Expr *)e->b->args.v[0])->kind == EX_NAME && strcmp(((Expr *)e->b->args.v[0])->name, "K") == 0;
  if (strcmp(w->name, "scale") != 0 || !form) {
    diag_error(N->diag, strcmp(w->name, "scale") != 0 ? w->loc : e->loc, "E0953",
               strcmp(w->name, "scale") != 0 ? "expected `scale` after the weight, not '%s'"
                                              : "the only scale is 1/sqrt(K)%s",
               strcmp(w->name, "scale") != 0 ? w->name : " (K: the in-degree of the projection)");
    return false;
  }
  NetPop *src = N->net->pops.v[pr->src], *tgt = N->net->pops.v[pr->tgt];
  double K = sema_balance_indegree(pr, src, tgt);
  if (!(K > 0)) {
    diag_error(N->diag, e->loc, "E0953", "the in-degree K of %s -> %s is %g: 1/sqrt(K) needs K > 0", src->name,
               tgt->name, K);
    return false;
  }
  pr->weight /= sqrt(K);
  pr->scaled = true;
  return true;
}

/* `weight W` in the unit of the target state, `delay D` >= dt */
static bool check_weight_delay(NetCheck *N, NetProj *pr, NetPop *tgt, Stmt **seen, Expr *te, Unit tu) {
  Expr *we = seen[PS_WEIGHT]->e;
  if (!sema_net_const(N->S, we, (Unit){0}, "the weight")) return false;
  if (pr->synapse) { /* compiler/sema_synapse.c */
    if (!sema_net_synapse_weight(N->S, tgt->cell, pr->synapse, we, tu)) return false;
  } else if (!units_same_dim(we->unit, tu)) {
    char got[160], need[160];
    diag_error(N->diag, we->loc, "E0912", "the weight is %s, but the target %s is %s", sema_unit_text(we->unit, got, sizeof got),
               te->name, sema_unit_text(tu, need, sizeof need));
    diag_note(N->diag, (Loc){0}, "a spike adds the weight to %s: give it in the unit of %s", te->name, te->name);
    return false;
  }
  if (!sema_const_value(we, &pr->weight)) {
    diag_error(N->diag, we->loc, "E0401", "the weight must be a constant");
    return false;
  }
  if (seen[PS_WEIGHT]->e3 && !check_scale(N, pr, seen[PS_WEIGHT])) return false;
  double dt = N->sim->dt;
  pr->delay = dt;
  if (seen[PS_DELAY]) {
    Expr *de = seen[PS_DELAY]->e;
    if (!const_of(N, de, unit_named("ms"), "the delay", &pr->delay)) return false;
    double steps = pr->delay / dt;
    if (steps < 1 - 1e-9) {
      diag_error(N->diag, de->loc, "E0913", "the delay %g ms is shorter than the time step dt = %g ms", pr->delay * 1e3,
                 dt * 1e3);
      diag_note(N->diag, (Loc){0}, "spikes are delivered after at least one step: use a delay >= dt or a smaller dt");
      return false;
    }
    double r = floor(steps + 0.5);
    if (fabs(r - steps) > 1e-9 * steps)
      diag_warning(N->diag, de->loc, "W0921", "the delay %g ms is rounded to %g ms (%g steps of dt = %g ms): error %.3g %%",
                   pr->delay * 1e3, r * dt * 1e3, r, dt * 1e3, 100 * fabs(r - steps) / steps);
  }
  return true;
}

/* `connect from "FILE"`: the path is relative to the .msn file; the
 * compiler reads the edges once to report bad rows now (E0951), and keeps
 * the absolute path for the program, which reads the file when it starts. */
static bool check_edges(NetCheck *N, NetProj *pr, Stmt *connect, NetPop *src, NetPop *tgt, Unit tu) {
  Expr *pe = connect->e2;
  const char *from = pe->loc.file && pe->loc.file->path ? pe->loc.file->path : ".";
  char *dir = path_dirname(from);
  char *path = path_join(dir, pe->name);
  free(dir);
  RtEdges e;
  char err[1024];
  if (rt_edges_read(&e, path, pe->name, (uint32_t)src->n, (uint32_t)tgt->n, N->sim->dt * 1e3, err, sizeof err)) {
    diag_error(N->diag, pe->loc, "E0951", "%s", err);
    if (strstr(err, "delay")) diag_note(N->diag, (Loc){0}, "the delay column is in ms; delays must be >= dt");
    free(path);
    return false;
  }
  char *real = path_real(path);
  free(path);
  pr->edges = arena_strdup(N->A, real ? real : pe->name);
  pr->delay = N->sim->dt;
  free(real);
  pr->edge_wscale = tu.scale;
  pr->nedges = (int64_t)e.m;
  for (size_t k = 0; k < e.m; k++) {
    double w = e.w[k] * tu.scale;
    pr->edge_w1 += w;
    pr->edge_w2 += w * w;
  }
  rt_edges_free(&e);
  return true;
}

static void check_project(NetCheck *N, Program *prog, Decl *d) {
  NetProj *pr = arena_alloc(N->A, sizeof *pr);
  pr->loc = d->loc;
  pr->rule = -1;
  pr->tau_fac = 0;
  IdRef *tname = d->params.v[0];
  NetPop *src = find_pop(N, d->name, &pr->src), *tgt = find_pop(N, tname->name, &pr->tgt);
  if (!src) unknown_pop(N, d->name, d->name_loc);
  if (!tgt) unknown_pop(N, tname->name, tname->loc);
  else tgt->nproj_declared++;
  Stmt *seen[PS_N] = {0}, *connect = NULL;
  /* autapses/multapses first: the degree check depends on them */
  pr->autapses = src != tgt;
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind != ST_SETTING) continue;
    if (strcmp(st->name, "autapses") == 0 && st->e) yes_no(N, st->e, &pr->autapses);
    if (strcmp(st->name, "multapses") == 0 && st->e) yes_no(N, st->e, &pr->multapses);
  }
  for (int i = 0; i < d->body.n; i++) {
    Stmt *st = d->body.v[i];
    if (st->kind == ST_CONNECT) {
      if (connect) {
        diag_error(N->diag, st->loc, "E0919", "the connection rule is given twice");
        diag_note(N->diag, connect->loc, "first given here");
        continue;
      }
      connect = st;
      check_connect(N, pr, st, src, tgt);
      continue;
    }
    int key = -1;
    for (int k = 0; k < PS_N; k++)
      if (strcmp(st->name, proj_settings[k]) == 0) key = k;
    if (key < 0) {
      diag_error(N->diag, st->name_loc, "E0918", "unknown setting '%s' in project", st->name);
      const char *best = NULL;
      int bestd = 3;
      for (int k = 0; k < PS_N; k++) {
        int dd = edit_distance(st->name, proj_settings[k]);
        if (dd < bestd) { bestd = dd; best = proj_settings[k]; }
      }
      if (best) diag_note(N->diag, (Loc){0}, "did you mean '%s'?", best);
      else diag_note(N->diag, (Loc){0}, "settings are: connect, synapse, target, weight, delay, autapses, multapses, U, "
                                        "tau_rec, tau_fac");
      continue;
    }
    if (st->e3 && key != PS_WEIGHT) {
      diag_error(N->diag, ((Expr *)st->e3)->loc, "E0953", "only a weight takes a scale (`weight W scale 1/sqrt(K)`)");
      continue;
    }
    if (seen[key]) {
      diag_error(N->diag, st->name_loc, "E0919", "'%s' is set twice", st->name);
      diag_note(N->diag, seen[key]->name_loc, "first set here");
      continue;
    }
    seen[key] = st;
  }
  if (!connect) diag_error(N->diag, d->loc, "E0920", "project %s -> %s needs a rule: connect all_to_all, one_to_one, "
                                                     "probability P, indegree K or outdegree K", d->name, tname->name);
  if (pr->rule == NET_FROM_FILE) {
    /* the file gives weights and delays, and is taken as it is */
    for (int k = PS_WEIGHT; k <= PS_MULTAPSES; k++) {
      if (!seen[k]) continue;
      diag_error(N->diag, seen[k]->name_loc, "E0952", "'%s' cannot be set with `connect from`: %s", seen[k]->name,
                 k <= PS_DELAY ? "the edge list gives every synapse's weight and delay"
                               : "the edge list is taken as it is");
      return;
    }
    if (src && src->kind == NET_SRC_POISSON) {
      diag_error(N->diag, connect->loc, "E0952", "a projection from Poisson source %s cannot come from a file",
                 src->name);
      diag_note(N->diag, (Loc){0}, "its synapses are not stored: use a rule, or a regular or spike-time source");
      return;
    }
  }
  if ((!seen[PS_TARGET] && !seen[PS_SYNAPSE]) || (!seen[PS_WEIGHT] && pr->rule != NET_FROM_FILE)) {
    diag_error(N->diag, d->loc, "E0920", "project %s -> %s needs %s", d->name, tname->name,
               !seen[PS_TARGET] && !seen[PS_SYNAPSE]
                   ? "a synapse (`synapse NAME`) or a target: the state its spikes increment (`target NAME`)"
                   : "a weight: the increment of the target state (`weight W`)");
    return;
  }
  if (seen[PS_TARGET] && seen[PS_SYNAPSE]) {
    diag_error(N->diag, seen[PS_TARGET]->name_loc, "E0948", "a projection has a synapse or a target, not both");
    diag_note(N->diag, seen[PS_SYNAPSE]->name_loc, "the synapse is given here");
    return;
  }
  if (!src || !tgt) return;
  if (tgt->source) {
    diag_error(N->diag, d->params.n ? ((IdRef *)d->params.v[0])->loc : d->loc, "E0926",
               "%s is a source: it sends spikes but cannot receive them", tgt->name);
    return;
  }
  if (src->kind == NET_SRC_POISSON && (seen[PS_U] || seen[PS_TAU_REC] || seen[PS_TAU_FAC])) {
    diag_error(N->diag, d->loc, "E0926", "a projection from Poisson source %s cannot have Tsodyks-Markram plasticity",
               src->name);
    diag_note(N->diag, (Loc){0}, "its synapses are not stored; regular and spike-time sources can have it");
    return;
  }
  Expr *te = seen[PS_TARGET] ? seen[PS_TARGET]->e : seen[PS_SYNAPSE]->e;
  Unit tu;
  if (te->kind != EX_NAME) {
    diag_error(N->diag, te->loc, "E0911", "target must name a state of %s", tgt->cell->name);
    return;
  }
  pr->target = te->name;
  pr->target_loc = te->loc;
  if (seen[PS_SYNAPSE]) { /* compiler/sema_synapse.c */
    if (!sema_net_synapse(N->S, N->net, prog, tgt->cell, te, &pr->synapse, &tu)) return;
  } else if (!cell_state_unit(prog, tgt->cell, te->name, &tu)) {
    diag_error(N->diag, te->loc, "E0911", "%s has no state '%s' for the spikes of %s to increment", tgt->cell->name,
               te->name, d->name);
    list_states(N, prog, tgt->cell);
    return;
  }
  if (pr->rule == NET_FROM_FILE ? !check_edges(N, pr, connect, src, tgt, tu)
                                : !check_weight_delay(N, pr, tgt, seen, te, tu))
    return;
  if (seen[PS_U] || seen[PS_TAU_REC] || seen[PS_TAU_FAC]) {
    pr->tm = true;
    if (!seen[PS_U] || !seen[PS_TAU_REC]) {
      diag_error(N->diag, d->loc, "E0917", "Tsodyks-Markram plasticity needs U and tau_rec (tau_fac defaults to 0 ms)");
      return;
    }
    if (!const_of(N, seen[PS_U]->e, units_one(), "U", &pr->U)) return;
    if (!(pr->U > 0 && pr->U <= 1)) {
      diag_error(N->diag, seen[PS_U]->e->loc, "E0917", "U must lie in (0, 1]");
      return;
    }
    if (!const_of(N, seen[PS_TAU_REC]->e, unit_named("ms"), "tau_rec", &pr->tau_rec)) return;
    if (seen[PS_TAU_FAC] && !const_of(N, seen[PS_TAU_FAC]->e, unit_named("ms"), "tau_fac", &pr->tau_fac)) return;
    if (!(pr->tau_rec > 0) || !(pr->tau_fac >= 0)) {
      diag_error(N->diag, seen[pr->tau_rec > 0 ? PS_TAU_FAC : PS_TAU_REC]->e->loc, "E0917",
                 "tau_rec must be positive and tau_fac >= 0");
      return;
    }
  }
  vec_push(N->A, &N->net->projs, pr);
  tgt->nproj_checked++;
}

/* ---- network outputs ------------------------------------------------------ */

/* `record rates every W`: W in whole steps of dt, at least one (E0955, W0956).
 * The default bin of `record rates` is rounded the same way, silently, and
 * is one step when dt is longer. */
static void check_rate_bin(NetCheck *N) {
  SimSpec *sim = N->sim;
  if (!(sim->rate_bin > 0)) return;
  double steps = sim->rate_bin / sim->dt;
  if (sim->rate_bin_default) {
    N->net->rate_bin = fmax(1, round(steps)) * sim->dt;
    return;
  }
  if (steps < 1 - 1e-9) {
    diag_error(N->diag, sim->rate_loc, "E0955", "a rate bin of %g ms is shorter than dt = %g ms", sim->rate_bin * 1e3,
               sim->dt * 1e3);
    return;
  }
  double k = round(steps);
  if (fabs(steps - k) > 1e-9 * steps)
    diag_warning(N->diag, sim->rate_loc, "W0956", "a rate bin of %g ms is not a whole number of steps of dt = %g ms; "
                 "binning every %g ms", sim->rate_bin * 1e3, sim->dt * 1e3, k * sim->dt * 1e3);
  N->net->rate_bin = k * sim->dt;
}

/* Whether e is the range lo:hi of POP[...] (grammar/parser.y). */
static bool is_range(const Expr *e) { return e->kind == EX_CALL && strcmp(e->name, ":") == 0; }

/* One item of POP[...]: an index i, the neurons [i, i + 1), or a range
 * lo:hi, the neurons [lo, hi) (half-open, as in Python).  Whole numbers,
 * an index within the population, an end up to its size, a range that is
 * neither empty nor reversed (E0955, as for a single index). */
static bool index_item(NetCheck *N, const NetPop *p, Expr *ie, int64_t *lo, int64_t *hi) {
  Expr *a = is_range(ie) ? ie->args.v[0] : ie, *b = is_range(ie) ? ie->args.v[1] : NULL;
  double v, w = 0;
  if (!const_of(N, a, units_one(), "a neuron index", &v)) return false;
  if (b && !const_of(N, b, units_one(), "the end of a range of neurons", &w)) return false;
  if (b && v == floor(v) && w == floor(w) && w <= v) {
    diag_error(N->diag, ie->loc, "E0955", "the range %g:%g of population %s is %s", v, w, p->name,
               w == v ? "empty" : "reversed");
    diag_note(N->diag, (Loc){0}, "lo:hi is the neurons lo to hi - 1: %s[0:3] is %s[0], %s[1], %s[2]", p->name, p->name,
              p->name, p->name);
    return false;
  }
  if (v != floor(v) || v < 0 || v >= (double)p->n) {
    diag_error(N->diag, a->loc, "E0955", "neuron index %g of population %s is not a whole number from 0 to %lld", v,
               p->name, (long long)p->n - 1);
    return false;
  }
  if (b && (w != floor(w) || w > (double)p->n)) {
    diag_error(N->diag, b->loc, "E0955", "the end %g of a range of population %s is not a whole number from 1 to %lld",
               w, p->name, (long long)p->n);
    diag_note(N->diag, (Loc){0}, "ranges are half-open: %s[0:%lld] is every neuron of %s", p->name, (long long)p->n,
              p->name);
    return false;
  }
  *lo = (int64_t)v;
  *hi = b ? (int64_t)w : *lo + 1;
  return true;
}

/* Append the neurons [lo, hi) of p to the recorded ones, each once (E0955
 * at the item that repeats one, once per item). */
static void record_neurons(NetCheck *N, const NetPop *p, int64_t lo, int64_t hi, Loc at, unsigned char *seen) {
  NetSpec *net = N->net;
  int64_t *grown = arena_alloc(N->A, (size_t)(net->nrec + (hi - lo)) * sizeof *grown);
  if (net->nrec) memcpy(grown, net->rec, (size_t)net->nrec * sizeof *grown);
  net->rec = grown;
  for (int64_t id = lo; id < hi; id++) {
    if (seen[p->first + id]) {
      diag_error(N->diag, at, "E0955", "neuron %s[%lld] is recorded twice", p->name, (long long)id);
      return;
    }
    seen[p->first + id] = 1;
    net->rec[net->nrec++] = p->first + id;
  }
}

/* The neurons of `record X, ... of exc[0, 5], exc[10:20], inh`: known
 * populations of neurons (E0910, E0955), indices and ranges in range, each
 * neuron once (E0955). */
static void check_record_of(NetCheck *N, Stmt *st, unsigned char *seen) {
  for (int j = 0; j < st->exprs.n; j++) {
    Expr *e = st->exprs.v[j];
    NetPop *p = find_pop(N, e->name, NULL);
    if (!p) {
      unknown_pop(N, e->name, e->loc);
      continue;
    }
    if (p->source) {
      diag_error(N->diag, e->loc, "E0955", "cannot record states of %s: it is a source, not a population of neurons",
                 p->name);
      continue;
    }
    if (e->kind != EX_CALL) {
      record_neurons(N, p, 0, p->n, e->loc, seen);
      continue;
    }
    for (int k = 0; k < e->args.n; k++) {
      Expr *ie = e->args.v[k];
      int64_t lo, hi;
      if (index_item(N, p, ie, &lo, &hi)) record_neurons(N, p, lo, hi, ie->loc, seen);
    }
  }
}

/* `record rates`, `record X of POP[...]` and `record spikes per population`
 * in a file without populations. */
static void outputs_without_network(Diag *diag, SimSpec *sim) {
  if (sim->rate_loc.file)
    diag_error(diag, sim->rate_loc, "E0955", "record rates needs populations of neurons");
  if (sim->spikes_per_pop_loc.file) {
    diag_error(diag, sim->spikes_per_pop_loc, "E0955", "record spikes per population needs populations of neurons");
    diag_note(diag, (Loc){0}, "a single cell writes its spikes to spikes.csv: write `record spikes`");
  }
  for (int i = 0; i < sim->record_of.n; i++) {
    Stmt *st = sim->record_of.v[i];
    diag_error(diag, st->name_loc, "E0955", "record ... of chosen neurons needs populations of neurons");
  }
}

void sema_network(struct Sema *S, Arena *A, Diag *diag, Program *prog, SimSpec *sim) {
  bool any = false;
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    any |= d->kind == DC_POPULATION || d->kind == DC_PROJECT;
  }
  if (!any) {
    outputs_without_network(diag, sim);
    return;
  }
  NetCheck N = {.S = S, .A = A, .diag = diag, .sim = sim};
  N.net = arena_alloc(A, sizeof *N.net);
  int before = diag->nerrors;
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    if (d->kind == DC_POPULATION) check_population(&N, prog, d);
  }
  for (int i = 0; i < prog->decls.n; i++) {
    Decl *d = prog->decls.v[i];
    if (d->kind == DC_PROJECT) check_project(&N, prog, d);
  }
  if (N.net->pops.n) sema_balance(A, diag, prog, sim, N.net); /* compiler/sema_balance.c */
  if (diag->nerrors != before || !N.net->pops.n) return;
  NetPop *p0 = first_neurons(&N);
  if (!p0) {
    diag_error(diag, ((NetPop *)N.net->pops.v[0])->loc, "E0926", "a network needs a population of neurons, "
               "not only sources");
    return;
  }
  if (sim->simulate) {
    for (int i = 0; i < sim->simulate->body.n; i++) {
      Stmt *st = sim->simulate->body.v[i];
      if (st->kind != ST_SETTING) continue;
      if (st->key == SIM_VARY_RANGE || st->key == SIM_VARY_LIST || (st->name && strcmp(st->name, "instances") == 0)) {
        diag_error(diag, st->name_loc.file ? st->name_loc : st->loc, "E0922",
                   "%s cannot be used with populations: their sizes give the number of neurons",
                   st->key == SIM_VARY_RANGE || st->key == SIM_VARY_LIST ? "vary" : "instances");
        return;
      }
      if (st->name && strcmp(st->name, "model") == 0 && sim->cell && sema_net_several_cells(N.net)) {
        diag_error(diag, st->e->loc, "E0923", "model %s: the populations are of several cells", sim->cell->name);
        diag_note(diag, (Loc){0}, "with populations, leave `model` out: the network is simulated");
        return;
      }
      if (st->name && strcmp(st->name, "model") == 0 && sim->cell && sim->cell != p0->cell) {
        diag_error(diag, st->e->loc, "E0923", "model %s is not the cell of the populations (%s)", sim->cell->name,
                   p0->cell->name);
        diag_note(diag, (Loc){0}, "with populations, leave `model` out: the network is simulated");
        return;
      }
    }
  }
  check_rate_bin(&N);
  N.net->spikes_per_pop = sim->spikes_per_pop_loc.file != NULL;
  unsigned char *seen = sim->record_of.n ? arena_alloc(A, (size_t)N.net->total) : NULL;
  for (int i = 0; i < sim->record_of.n; i++) check_record_of(&N, sim->record_of.v[i], seen);
  if (diag->nerrors != before) return;
  sim->cell = p0->cell;
  sim->instances = (long)N.net->total;
  sim->network = N.net;
}
