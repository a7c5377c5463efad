/* compiler/lower_cable.c — a cell with a morphology to a MirCable
 * (compiler/cable.h): sections and their segment counts (d_lambda,
 * segments, max_length, with the scale-resolution warning W0813),
 * locations, stimuli, records, and one kernel per inserted channel.
 * Names and units were checked by compiler/sema_cable.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cable.h"
#include "swc.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

const char *sema_cable_swc_region(Arena *A, int t); /* sema_cable.c */

static double cval(const Expr *e) {
  double v = 0;
  sema_const_value(e, &v);
  return v;
}

static Stmt *kwarg(Stmt *sec, const char *name) {
  for (int i = 0; i < sec->exprs.n; i++) {
    Stmt *k = sec->exprs.v[i];
    if (strcmp(k->name, name) == 0) return k;
  }
  return NULL;
}

static int find_sec(const MirCable *cb, const char *name) {
  for (int s = 0; s < cb->nsec; s++)
    if (cb->secs[s].name && strcmp(cb->secs[s].name, name) == 0) return s;
  return -1;
}

/* Sections of a morphology block. */
static void block_sections(Arena *A, Decl *m, MirCable *cb) {
  cb->secs = arena_alloc(A, sizeof *cb->secs * (size_t)(m->body.n + 1));
  cb->region = arena_alloc(A, sizeof *cb->region * (size_t)(m->body.n + 1));
  for (int i = 0; i < m->body.n; i++) {
    Stmt *st = m->body.v[i];
    RtCableSection *s = &cb->secs[cb->nsec];
    IdRef *shape = st->names.v[0];
    s->name = st->name;
    s->shape = strcmp(shape->name, "sphere") == 0 ? RT_CABLE_SPHERE : RT_CABLE_CYLINDER;
    s->diam = cval(kwarg(st, "diam")->e);
    Stmt *k;
    if ((k = kwarg(st, "diam1"))) s->diam1 = cval(k->e);
    if ((k = kwarg(st, "length"))) s->length = cval(k->e);
    s->parent = -1;
    s->nseg = 1;
    if (st->at) {
      s->parent = find_sec(cb, st->at->name);
      s->parent_x = st->at->kind == EX_CALL ? cval(st->at->args.v[0]) : 1;
    }
    cb->region[cb->nsec++] = st->name;
  }
}

/* Sections of an SWC file (checked by sema: no errors expected). */
static bool swc_sections_of(Compilation *c, Decl *m, MirCable *cb) {
  char *dir = path_dirname(m->file && m->file->path ? m->file->path : ".");
  char *path = m->path[0] == '/' ? xstrdup(m->path) : path_join(dir, m->path);
  free(dir);
  SwcMorph sm;
  bool ok = swc_load(path, &c->diag, m->e ? m->e->loc : m->name_loc, c->arena, &sm);
  free(path);
  if (!ok) return false;
  int *types;
  cb->nsec = swc_sections(&sm, c->arena, &cb->secs, &types);
  cb->region = arena_alloc(c->arena, sizeof *cb->region * (size_t)(cb->nsec + 1));
  for (int s = 0; s < cb->nsec; s++) {
    cb->region[s] = sema_cable_swc_region(c->arena, types[s]);
    if (!cb->secs[s].name) cb->secs[s].name = arena_printf(c->arena, "%s[%d]", cb->region[s], s);
  }
  srcfile_free(sm.file);
  return true;
}

/* Location region(x) -> (section, x on it).  A region of several sections
 * (SWC) must be one unbranched chain; x runs along it by length. */
static bool locate(Compilation *c, MirCable *cb, const char *region, double x, Loc loc, int *sec, double *sx) {
  int list[4096], n = 0;
  for (int s = 0; s < cb->nsec; s++)
    if (strcmp(cb->region[s], region) == 0) {
      if (n == (int)(sizeof list / sizeof list[0])) break;
      list[n++] = s;
    }
  if (n == 1) {
    *sec = list[0];
    *sx = x;
    return true;
  }
  double total = 0;
  for (int j = 0; j < n; j++) {
    if (j > 0 && cb->secs[list[j]].parent != list[j - 1]) {
      diag_error(&c->diag, loc, "E0813", "region %s branches (or has more than one piece): a location on it is "
                 "ambiguous", region);
      diag_note(&c->diag, (Loc){0}, "locations need an unbranched region such as a single dendrite");
      return false;
    }
    total += cb->secs[list[j]].length;
  }
  double target = x * total, acc = 0;
  for (int j = 0; j < n; j++) {
    double L = cb->secs[list[j]].length;
    if (target <= acc + L || j == n - 1) {
      *sec = list[j];
      *sx = L > 0 ? fmin(1, fmax(0, (target - acc) / L)) : 1;
      return true;
    }
    acc += L;
  }
  return false;
}

static bool locate_expr(Compilation *c, MirCable *cb, Expr *at, int *sec, double *sx) {
  double x = at->kind == EX_CALL ? cval(at->args.v[0]) : 0.5;
  return locate(c, cb, at->name, x, at->loc, sec, sx);
}

/* Segment counts by the rule, and the d_lambda check for explicit counts. */
static void discretise(Compilation *c, MirCable *cb, Stmt *rule) {
  cb->rule = rule ? rule->name : "d_lambda";
  cb->rule_value = rule ? cval(rule->e) : 0.1;
  cb->lambda = arena_alloc(c->arena, sizeof(double) * (size_t)(cb->nsec + 1));
  int worst = -1;
  double worst_ratio = 1;
  for (int s = 0; s < cb->nsec; s++) {
    RtCableSection *q = &cb->secs[s];
    if (q->shape == RT_CABLE_SPHERE) continue;
    double dmean = q->diam1 > 0 ? 0.5 * (q->diam + q->diam1) : q->diam;
    cb->lambda[s] = rt_cable_lambda_f(dmean, cb->Ra, cb->Cm, 100.0);
    int32_t need = rt_cable_nseg_d_lambda(q->length, dmean, cb->Ra, cb->Cm, 0.1);
    if (strcmp(cb->rule, "d_lambda") == 0)
      q->nseg = rt_cable_nseg_d_lambda(q->length, dmean, cb->Ra, cb->Cm, cb->rule_value);
    else if (strcmp(cb->rule, "segments") == 0)
      q->nseg = (int32_t)cb->rule_value;
    else
      q->nseg = (int32_t)fmax(1, ceil(q->length / cb->rule_value - 1e-9));
    if (q->nseg < 1) q->nseg = 1;
    /* NEURON's rule: a segment no longer than 0.1 lambda_100 */
    double ratio = (q->length / q->nseg) / (0.1 * cb->lambda[s]);
    if (strcmp(cb->rule, "d_lambda") != 0 && q->nseg < need && ratio > worst_ratio) {
      worst = s;
      worst_ratio = ratio;
    }
  }
  if (worst >= 0) {
    RtCableSection *q = &cb->secs[worst];
    diag_warning(&c->diag, rule->loc, "W0813",
                 "segments of %s are %.4g um long, but the d_lambda rule asks for at most 0.1 lambda_100 = %.4g um "
                 "(lambda_100 = %.4g um)", q->name, q->length / q->nseg * 1e6, 0.1 * cb->lambda[worst] * 1e6,
                 cb->lambda[worst] * 1e6);
    diag_note(&c->diag, (Loc){0}, "use discretize d_lambda 0.1, or at least %d segments there",
              (int)rt_cable_nseg_d_lambda(q->length, q->diam1 > 0 ? 0.5 * (q->diam + q->diam1) : q->diam,
                                          cb->Ra, cb->Cm, 0.1));
  }
}

/* ---- channel parameters set in the cell (functions of distance) -------------- */

/* Distance from the root node to x = 0 of section s (memo: start[], NAN
 * while unknown): a child of a spherical root starts on the sphere's
 * surface, a radius from its centre. */
static double sec_start(const MirCable *cb, int s, double *start) {
  if (!isnan(start[s])) return start[s];
  const RtCableSection *q = &cb->secs[s];
  double v = 0;
  if (q->parent >= 0) {
    const RtCableSection *p = &cb->secs[q->parent];
    v = p->shape == RT_CABLE_SPHERE ? 0.5 * p->diam : sec_start(cb, q->parent, start) + q->parent_x * p->length;
  }
  return start[s] = v;
}

static double frustum_area(double h, double da, double db) {
  double ra = 0.5 * da, rb = 0.5 * db;
  return M_PI * (ra + rb) * sqrt((ra - rb) * (ra - rb) + h * h);
}

/* The control volume of a node is made of pieces: the sphere, or half
 * segments of the sections that meet there (rt_cable_build's scheme).  A
 * parameter set in the cell is evaluated per piece (its section's region,
 * its own distance) and averaged over the node's pieces weighted by area,
 * so that a node where a soma and a dendrite meet gets the mean density of
 * its membrane, as a finite-volume scheme integrates it. */
typedef struct Piece { int32_t node; int sec; double dist, area; } Piece;

static void node_distances(Arena *A, MirCable *cb, const RtCable *rc, Piece **pieces, int *npieces) {
  double *start = malloc(sizeof *start * (size_t)cb->nsec);
  for (int s = 0; s < cb->nsec; s++) start[s] = NAN;
  cb->ncomp = rc->n;
  cb->dist = arena_alloc(A, sizeof *cb->dist * (size_t)rc->n);
  cb->node_sec = arena_alloc(A, sizeof *cb->node_sec * (size_t)rc->n);
  for (int32_t i = 0; i < rc->n; i++) cb->node_sec[i] = rc->sec[i];
  for (int32_t i = 0; i < rc->n; i++) {
    const RtCableSection *q = &cb->secs[rc->sec[i]];
    cb->dist[i] = q->shape == RT_CABLE_SPHERE ? 0 : sec_start(cb, rc->sec[i], start) + rc->pos[i] * q->length;
  }
  int np = 0;
  Piece *p = arena_alloc(A, sizeof *p * (size_t)(2 * rc->n + 2));
  for (int s = 0; s < cb->nsec; s++) {
    const RtCableSection *q = &cb->secs[s];
    if (q->shape == RT_CABLE_SPHERE) {
      p[np++] = (Piece){rc->sec_node0[s], s, 0, M_PI * q->diam * q->diam};
      continue;
    }
    int32_t nseg = rc->sec_nseg[s];
    double d0 = q->diam, d1 = q->diam1 > 0 ? q->diam1 : q->diam, h = q->length / nseg, x0 = sec_start(cb, s, start);
    for (int32_t k = 1; k <= nseg; k++) {
      double xa = (double)(k - 1) / nseg, xb = (double)k / nseg;
      double da = d0 + (d1 - d0) * xa, db = d0 + (d1 - d0) * xb, dm = 0.5 * (da + db);
      int32_t na = k == 1 ? rc->sec_node0[s] : rc->sec_first[s] + k - 2, nb = rc->sec_first[s] + k - 1;
      p[np++] = (Piece){na, s, x0 + xa * q->length, frustum_area(0.5 * h, da, dm)};
      p[np++] = (Piece){nb, s, x0 + xb * q->length, frustum_area(0.5 * h, dm, db)};
    }
  }
  free(start);
  *pieces = p;
  *npieces = np;
}

/* The Sym of `distance` in a checked expression (NULL: not used). */
static Sym *distance_sym(const Expr *e) {
  if (!e) return NULL;
  if (e->kind == EX_NAME) return e->sym && e->sym->kind == SYM_PARAM && strcmp(e->sym->name, "distance") == 0
                                     ? e->sym : NULL;
  Sym *s = distance_sym(e->a);
  if (!s) s = distance_sym(e->b);
  if (!s) s = distance_sym(e->c);
  for (int i = 0; !s && i < e->args.n; i++) s = distance_sym(e->args.v[i]);
  return s;
}

static bool in_regions(const Stmt *st, const char *region) {
  if (!st->regions.n) return true;
  for (int r = 0; r < st->regions.n; r++)
    if (strcmp(((IdRef *)st->regions.v[r])->name, region) == 0) return true;
  return false;
}

/* One `P_CH = EXPR [in REGION, ...]` of kernel j on every piece whose
 * region it names (a piece of a section without the channel counts as
 * its node's own section: the kernel's density covers the whole node). */
static void apply_setting(Compilation *c, MirCable *cb, const RtCable *rc, const Piece *pc, int np,
                          double *pv, int j, Stmt *st) {
  Sym *dist = distance_sym(st->e);
  for (int q = 0; q < np; q++) {
    int s = cb->on[j][pc[q].sec] ? pc[q].sec : rc->sec[pc[q].node];
    if (!cb->on[j][rc->sec[pc[q].node]] || !in_regions(st, cb->region[s])) continue;
    if (dist) dist->value = pc[q].dist;
    double x = NAN;
    if (!sema_const_value(st->e, &x) || !isfinite(x)) {
      diag_error(&c->diag, st->e->loc, "E0817", "%s is %g on %s, %.4g um from the root: a parameter must be "
                 "finite everywhere", st->name, x, cb->secs[s].name, pc[q].dist * 1e6);
      return;
    }
    pv[q] = x;
  }
}

/* The kernel's ABI parameter that `X_CHANNEL` names (X), or -1. */
static int abi_index(const MirKernel *k, const char *name) {
  size_t n = strlen(name), c = strlen(k->m->name);
  if (n < c + 2) return -1;
  for (int a = 0; a < k->nabi; a++)
    if (strlen(k->abi_param_name[a]) == n - c - 1 && strncmp(k->abi_param_name[a], name, n - c - 1) == 0) return a;
  return -1;
}

/* Parameters set in the cell: per-node values (area-weighted over the
 * node's pieces); those that differ between the channel's nodes become
 * arrays of the kernel, the others stay scalars. */
static void channel_settings(Compilation *c, Decl *cell, MirCable *cb, const RtCable *rc, const Piece *pc,
                             int np) {
  Arena *A = c->arena;
  cb->pnode = arena_alloc(A, sizeof *cb->pnode * (size_t)(cb->nk + 1));
  double *pv = malloc(sizeof *pv * (size_t)(np + 1)), *wsum = malloc(sizeof *wsum * (size_t)(rc->n + 1));
  for (int j = 0; j < cb->nk; j++) {
    MirKernel *k = &cb->k[j];
    cb->pnode[j] = arena_alloc(A, sizeof **cb->pnode * (size_t)(k->nabi + 1));
    /* a setting X_CHANNEL names the kernel's ABI parameter X (P, or P_GATE) */
    for (int i = 0; i < cell->body.n; i++) {
      Stmt *st = cell->body.v[i], *param = NULL;
      if (st->kind != ST_DEF && st->kind != ST_PARAM) continue;
      Decl *ch = sema_cable_param_target(&c->prog, cell, st->name, &param);
      if (!ch || strcmp(ch->name, k->m->name) != 0 || abi_index(k, st->name) >= 0) continue;
      diag_error(&c->diag, st->name_loc, "E0807", "channel %s does not use the gate of %s", ch->name, st->name);
    }
    for (int a = 0; a < k->nabi; a++) {
      bool set = false;
      for (int q = 0; q < np; q++) pv[q] = cb->P[j][a];
      for (int i = 0; i < cell->body.n; i++) {
        Stmt *st = cell->body.v[i], *param = NULL;
        if (st->kind != ST_DEF && st->kind != ST_PARAM) continue;
        Decl *ch = sema_cable_param_target(&c->prog, cell, st->name, &param);
        if (!ch || strcmp(ch->name, k->m->name) != 0 || abi_index(k, st->name) != a) continue;
        apply_setting(c, cb, rc, pc, np, pv, j, st);
        set = true;
      }
      if (!set) continue;
      double *v = arena_alloc(A, sizeof(double) * (size_t)rc->n);
      for (int32_t i = 0; i < rc->n; i++) v[i] = wsum[i] = 0;
      for (int q = 0; q < np; q++) {
        v[pc[q].node] += pc[q].area * pv[q];
        wsum[pc[q].node] += pc[q].area;
      }
      double first = NAN;
      bool same = true;
      for (int32_t i = 0; i < rc->n; i++) {
        v[i] = wsum[i] > 0 ? v[i] / wsum[i] : cb->P[j][a];
        if (!cb->on[j][rc->sec[i]]) continue;
        if (isnan(first)) first = v[i];
        same &= v[i] == first;
      }
      if (same) {
        if (!isnan(first)) cb->P[j][a] = first;
      } else {
        cb->pnode[j][a] = v;
        k->m->params[k->abi_param[a]].per_instance = true;
      }
    }
  }
  free(pv);
  free(wsum);
}

/* ---- the DC length constant (msnc info) --------------------------------------- */

/* Channel k's current density at V with its states at their initial
 * values for V (gates at steady state); y holds nstates values. */
static double resting_current(const MirKernel *k, double V, double *y) {
  const Mir *m = k->m;
  y[0] = V;
  for (int s = 1; s < m->nstates; s++) y[s] = m->states[s].init ? mir_eval(m, m->states[s].init, y, 0) : 0;
  return mir_eval(m, k->current, y, 0);
}

/* Per section, the membrane's small-signal conductance at V(0): the slope
 * dI/dV of the summed steady-state channel currents (central difference
 * of 0.01 mV; the leak for a passive membrane), with the parameter values
 * set in the cell (the mean over the section's compartments where they
 * vary); and lambda_DC = sqrt(d / (4 Ra gm)), the length constant of the
 * linearised cable. */
static void dc_length_constants(Arena *A, MirCable *cb) {
  cb->gm = arena_alloc(A, sizeof *cb->gm * (size_t)(cb->nsec + 1));
  cb->lambda_dc = arena_alloc(A, sizeof *cb->lambda_dc * (size_t)(cb->nsec + 1));
  const double dV = 1e-5;
  for (int s = 0; s < cb->nsec; s++) {
    for (int j = 0; j < cb->nk; j++) {
      if (!cb->on[j][s]) continue;
      MirKernel *k = &cb->k[j];
      double *saved = malloc(sizeof *saved * (size_t)(k->nabi + 1));
      double *y = malloc(sizeof *y * (size_t)(k->m->nstates + 1));
      for (int a = 0; a < k->nabi; a++) {
        MirParam *p = &k->m->params[k->abi_param[a]];
        saved[a] = p->value;
        if (a == k->nabi - 1 && strcmp(k->abi_param_name[a], "celsius") == 0) continue;
        double v = cb->P[j][a];
        if (cb->pnode && cb->pnode[j][a]) {
          double sum = 0;
          int cnt = 0;
          for (int i = 0; i < cb->ncomp; i++)
            if (cb->node_sec[i] == s) sum += cb->pnode[j][a][i], cnt++;
          if (cnt) v = sum / cnt;
        }
        p->value = v;
      }
      cb->gm[s] += (resting_current(k, cb->V0 + dV, y) - resting_current(k, cb->V0 - dV, y)) / (2 * dV);
      for (int a = 0; a < k->nabi; a++) k->m->params[k->abi_param[a]].value = saved[a];
      free(saved);
      free(y);
    }
    const RtCableSection *q = &cb->secs[s];
    double dmean = q->diam1 > 0 ? 0.5 * (q->diam + q->diam1) : q->diam;
    if (q->shape != RT_CABLE_SPHERE && cb->gm[s] > 0 && isfinite(cb->gm[s]))
      cb->lambda_dc[s] = sqrt(dmean / (4 * cb->Ra * cb->gm[s]));
  }
}

Mir *lower_cable(Compilation *c) {
  Arena *A = c->arena;
  Decl *cell = c->sim.cell;
  int before = c->diag.nerrors;
  MirCable *cb = arena_alloc(A, sizeof *cb);
  cb->V0 = -65e-3;
  Decl *morph = NULL;
  Stmt *rule = NULL;
  StrBuf names = {0};
  PtrVec chans = {0}; /* channel names, first insertion order */
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind == ST_MORPH) morph = sema_find_decl(&c->prog, DC_MORPHOLOGY, st->name);
    else if ((st->kind == ST_DEF || st->kind == ST_PARAM) && strcmp(st->name, "Ra") == 0) cb->Ra = cval(st->e);
    else if ((st->kind == ST_DEF || st->kind == ST_PARAM) && strcmp(st->name, "Cm") == 0) cb->Cm = cval(st->e);
    else if (st->kind == ST_INIT) cb->V0 = cval(st->e);
    else if (st->kind == ST_DISCRETIZE) rule = st;
    else if (st->kind == ST_INSERT)
      for (int k = 0; k < st->names.n; k++) {
        IdRef *r = st->names.v[k];
        bool seen = false;
        for (int j = 0; j < chans.n; j++) seen |= strcmp(chans.v[j], r->name) == 0;
        if (!seen) {
          vec_push(A, &chans, r->name);
          sb_printf(&names, "%s%s", names.len ? "," : "", r->name);
        }
      }
  }
  if (!morph) return NULL;
  if (sema_cell_has_noise(&c->prog, cell)) { /* the cable runtime has no noise (docs/language.md 9) */
    diag_error(&c->diag, cell->name_loc, "E0238", "cell %s has noise, which a cell with a morphology cannot have yet",
               cell->name);
    diag_note(&c->diag, (Loc){0}, "noise drives the states of point cells and rates models");
    free(sb_take(&names));
    return NULL;
  }
  if (morph->path ? !swc_sections_of(c, morph, cb) : (block_sections(A, morph, cb), false)) {
    free(sb_take(&names));
    return NULL;
  }
  discretise(c, cb, rule);
  char err[256];
  RtCable *probe = rt_cable_build(cb->secs, cb->nsec, cb->Ra, cb->Cm, err, sizeof err);
  if (!probe) {
    diag_error(&c->diag, morph->name_loc, "E0814", "morphology %s: %s", morph->name, err);
    free(sb_take(&names));
    return NULL;
  }
  Piece *pieces;
  int npieces;
  node_distances(A, cb, probe, &pieces, &npieces);

  /* channels: one kernel each, inserted per section */
  char *list = sb_take(&names);
  if (chans.n) {
    cb->k = msnc_lower_kernels(c, list, NULL, &cb->nk);
    if (!cb->k) cb->nk = 0;
  }
  free(list);
  cb->on = arena_alloc(A, sizeof *cb->on * (size_t)(cb->nk + 1));
  cb->P = arena_alloc(A, sizeof *cb->P * (size_t)(cb->nk + 1));
  for (int j = 0; j < cb->nk; j++) {
    MirKernel *k = &cb->k[j];
    cb->on[j] = arena_alloc(A, (size_t)cb->nsec + 1);
    cb->P[j] = arena_alloc(A, sizeof(double) * (size_t)(k->nabi + 1));
    for (int a = 0; a < k->nabi; a++) cb->P[j][a] = k->m->params[k->abi_param[a]].value;
    for (int i = 0; i < cell->body.n; i++) {
      Stmt *st = cell->body.v[i];
      if (st->kind != ST_INSERT) continue;
      bool here = false;
      for (int q = 0; q < st->names.n; q++) here |= strcmp(((IdRef *)st->names.v[q])->name, k->m->name) == 0;
      if (!here) continue;
      for (int s = 0; s < cb->nsec; s++) {
        bool in = st->everywhere;
        for (int r = 0; r < st->regions.n; r++) in |= strcmp(((IdRef *)st->regions.v[r])->name, cb->region[s]) == 0;
        if (in) cb->on[j][s] = 1;
      }
    }
  }

  channel_settings(c, cell, cb, probe, pieces, npieces);
  dc_length_constants(A, cb);
  rt_cable_free(probe);

  /* stimuli */
  cb->stims = arena_alloc(A, sizeof *cb->stims * (size_t)(cell->body.n + 1));
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind != ST_STIMULUS || !st->at) continue;
    MirCableStim *s = &cb->stims[cb->nstim];
    if (!locate_expr(c, cb, st->at, &s->sec, &s->x)) continue;
    s->name = st->name;
    s->amp = cval(st->e);
    s->t0 = st->e2 ? cval(st->e2) : 0;
    s->t1 = st->e3 ? cval(st->e3) : INFINITY;
    for (int v = 0; v < c->sim.vary.n; v++) { /* sema allows only stimuli here */
      VarySpec *vs = c->sim.vary.v[v];
      if (strcmp(vs->name, st->name) == 0) s->amp_inst = vs->values;
    }
    cb->nstim++;
  }
  /* records */
  Decl *simd = c->sim.simulate;
  int nrec = 0;
  for (int i = 0; simd && i < simd->body.n; i++) {
    Stmt *st = simd->body.v[i];
    if (st->kind == ST_SETTING && st->key == SIM_RECORD_AT) nrec += st->exprs.n;
  }
  cb->recs = arena_alloc(A, sizeof *cb->recs * (size_t)(nrec + 1));
  for (int i = 0; simd && i < simd->body.n; i++) {
    Stmt *st = simd->body.v[i];
    if (st->kind != ST_SETTING || st->key != SIM_RECORD_AT) continue;
    for (int k = 0; k < st->exprs.n; k++) {
      Expr *at = st->exprs.v[k];
      MirCableRec *r = &cb->recs[cb->nrec];
      if (!locate_expr(c, cb, at, &r->sec, &r->x)) continue;
      r->label = arena_printf(A, "%s@%s(%g)", at->a->name, at->name, cval(at->args.v[0]));
      cb->nrec++;
    }
  }
  if (c->diag.nerrors != before) return NULL;

  Mir *m = arena_alloc(A, sizeof *m);
  m->name = cell->name;
  m->source = c->main_path;
  m->spike_state = -1;
  m->n_instances = c->sim.instances > 1 ? c->sim.instances : 1;
  m->method = MIR_METHOD_STAGGERED;
  m->duration = c->sim.duration;
  m->dt = c->sim.dt;
  m->record_every = c->sim.record_every;
  m->rtol = m->atol = c->sim.tolerance;
  m->cable = cb;
  return m;
}

void cable_print_info(FILE *out, const Mir *m) {
  const MirCable *cb = m->cable;
  fprintf(out, "model %s (%s): a cell with a morphology\n", m->name, m->source);
  fprintf(out, "  method:    Crank-Nicolson voltage (Hines tree solver; backward Euler for the two steps\n"
               "             after a stimulus switches), channel states staggered half a step (cnexp)\n");
  fprintf(out, "  duration:  %g ms, dt %g ms\n", m->duration * 1e3, m->dt * 1e3);
  fprintf(out, "  Ra %g ohm*cm, Cm %g uF/cm^2, V(0) %g mV\n", cb->Ra * 100, cb->Cm * 100, cb->V0 * 1e3);
  fprintf(out, "  discretize %s %g%s\n", cb->rule, strcmp(cb->rule, "max_length") == 0 ? cb->rule_value * 1e6 : cb->rule_value,
          strcmp(cb->rule, "max_length") == 0 ? " um" : "");
  if (m->n_instances > 1) fprintf(out, "  instances: %lld cells on one tree (interleaved in groups of 16)\n",
                                   (long long)m->n_instances);
  int w = 7; /* the section column fits the longest name */
  for (int s = 0; s < cb->nsec; s++)
    if ((int)strlen(cb->secs[s].name) > w) w = (int)strlen(cb->secs[s].name);
  fprintf(out, "\nsections (%d):\n", cb->nsec);
  fprintf(out, "  %-*s %-8s %-8s %10s %11s %5s %8s %9s %12s %12s\n", w, "section", "region", "shape", "length/um",
          "diam/um", "nseg", "seg/um", "lambda/um", "lambda100/um", "gm/(mS/cm2)");
  for (int s = 0; s < cb->nsec; s++) {
    const RtCableSection *q = &cb->secs[s];
    char diam[32], gm[32], lam[32];
    snprintf(gm, sizeof gm, "%.4g", cb->gm[s] / 10); /* S/m^2 -> mS/cm^2 */
    if (q->shape == RT_CABLE_SPHERE) {
      fprintf(out, "  %-*s %-8s %-8s %10s %11.4g %5s %8s %9s %12s %12s\n", w, q->name, cb->region[s], "sphere", "-",
              q->diam * 1e6, "-", "-", "-", "-", gm);
      continue;
    }
    if (q->diam1 > 0 && q->diam1 != q->diam) snprintf(diam, sizeof diam, "%.4g-%.4g", q->diam * 1e6, q->diam1 * 1e6);
    else snprintf(diam, sizeof diam, "%.4g", q->diam * 1e6);
    if (cb->lambda_dc[s] > 0) snprintf(lam, sizeof lam, "%.4g", cb->lambda_dc[s] * 1e6);
    else snprintf(lam, sizeof lam, "-");
    fprintf(out, "  %-*s %-8s %-8s %10.4g %11s %5d %8.3g %9s %12.4g %12s\n", w, q->name, cb->region[s],
            q->diam1 > 0 && q->diam1 != q->diam ? "frustum" : "cylinder", q->length * 1e6, diam, (int)q->nseg,
            q->length / q->nseg * 1e6, lam, cb->lambda[s] * 1e6, gm);
  }
  fprintf(out, "  compartments: %d\n", cb->ncomp);
  fprintf(out, "  lambda: DC length constant sqrt(d / (4 Ra gm)), gm the membrane's slope conductance at V(0)\n"
               "  with the channels' states at steady state (the leak of a passive membrane; '-' when gm <= 0);\n"
               "  lambda100: the AC length constant at 100 Hz of the d_lambda rule\n");
  fprintf(out, "\nchannels (%d):\n", cb->nk);
  for (int j = 0; j < cb->nk; j++) {
    fprintf(out, "  %-8s in", cb->k[j].m->name);
    for (int s = 0; s < cb->nsec; s++)
      if (cb->on[j][s]) fprintf(out, " %s", cb->secs[s].name);
    fprintf(out, "\n");
    const MirKernel *k = &cb->k[j];
    for (int a = 0; cb->pnode && a < k->nabi; a++) {
      const double *v = cb->pnode[j][a];
      if (!v) continue;
      const MirParam *p = &k->m->params[k->abi_param[a]];
      double lo = INFINITY, hi = -INFINITY;
      for (int i = 0; i < cb->ncomp; i++)
        if (cb->on[j][cb->node_sec[i]]) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
      fprintf(out, "    %s_%s varies per compartment: %.4g to %.4g %s\n", k->abi_param_name[a], k->m->name,
              lo / p->scale, hi / p->scale, p->unit);
    }
  }
  fprintf(out, "\nstimuli (%d):\n", cb->nstim);
  for (int i = 0; i < cb->nstim; i++) {
    const MirCableStim *q = &cb->stims[i];
    fprintf(out, "  %s = %g nA at %s(%g) from %g ms to %g ms\n", q->name, q->amp * 1e9, cb->secs[q->sec].name, q->x,
            q->t0 * 1e3, q->t1 * 1e3);
    if (q->amp_inst)
      fprintf(out, "    varied: instance 0 gets %g nA, instance %lld %g nA\n", q->amp_inst[0] * 1e9,
              (long long)m->n_instances - 1, q->amp_inst[m->n_instances - 1] * 1e9);
  }
  fprintf(out, "\nrecorded (%d):\n", cb->nrec);
  for (int i = 0; i < cb->nrec; i++)
    fprintf(out, "  %s [mV]  (section %s at x = %g)\n", cb->recs[i].label, cb->secs[cb->recs[i].sec].name, cb->recs[i].x);
}
