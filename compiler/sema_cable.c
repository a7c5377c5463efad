/* compiler/sema_cable.c — checks of morphologies, cable cells and
 * locations sec(x) (docs/language.md, "Morphologies and cable cells").
 *
 * Names, units and ranges are checked here (E08xx); the geometry (segment
 * counts, the d_lambda check, which node a location falls on) is settled
 * by compiler/lower_cable.c.  A morphology read from an SWC file is loaded
 * here once to report its errors (E07xx, compiler/swc.c) and to learn its
 * regions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema.h"
#include "swc.h"

static Unit unit_of(const char *text) {
  Unit u = {0};
  units_parse(text, &u, NULL, 0, NULL);
  return u;
}

/* A constant of the top level with want's dimension; false after a report. */
static bool const_of(Sema *S, Expr *e, const char *unit, const char *what, double *out) {
  Scope *sc = sema_scope_new(S, NULL, true);
  if (!sema_check_expr(S, sc, e)) return false;
  if (unit && !sema_expect_unit(S, e, unit_of(unit), what)) return false;
  if (!sema_const_value(e, out) || !isfinite(*out)) {
    diag_error(sema_diag(S), e->loc, "E0801", "%s must be a finite constant", what);
    return false;
  }
  return true;
}

bool sema_cable_cell_decl(const Decl *cell) {
  if (!cell || cell->kind != DC_CELL) return false;
  for (int i = 0; i < cell->body.n; i++)
    if (((Stmt *)cell->body.v[i])->kind == ST_MORPH) return true;
  return false;
}

/* ---- regions ---------------------------------------------------------------- */

static const char *const swc_region[] = {"", "soma", "axon", "dend", "apical"};

/* The SWC region name of type t ("custom5" for types beyond 4). */
const char *sema_cable_swc_region(Arena *A, int t);
const char *sema_cable_swc_region(Arena *A, int t) {
  if (t >= 1 && t <= 4) return swc_region[t];
  return arena_printf(A, "custom%d", t);
}

/* Is name a region of morphology m?  Block: a section name; SWC file: the
 * region names sema_cable_morphology stored in params (IdRef*). */
static bool has_region(const Decl *m, const char *name) {
  if (m->path) {
    for (int i = 0; i < m->params.n; i++)
      if (strcmp(((IdRef *)m->params.v[i])->name, name) == 0) return true;
    return false;
  }
  for (int i = 0; i < m->body.n; i++) {
    Stmt *st = m->body.v[i];
    if (st->kind == ST_SECTION && strcmp(st->name, name) == 0) return true;
  }
  return false;
}

static void list_regions(Sema *S, const Decl *m) {
  StrBuf b = {0};
  if (m->path) {
    for (int i = 0; i < m->params.n; i++) sb_printf(&b, "%s%s", i ? ", " : "", ((IdRef *)m->params.v[i])->name);
  } else {
    int k = 0;
    for (int i = 0; i < m->body.n; i++) {
      Stmt *st = m->body.v[i];
      if (st->kind == ST_SECTION) sb_printf(&b, "%s%s", k++ ? ", " : "", st->name);
    }
  }
  char *t = sb_take(&b);
  diag_note(sema_diag(S), (Loc){0}, "morphology %s has: %s", m->name, t && *t ? t : "(nothing)");
  free(t);
}

static bool check_region(Sema *S, const Decl *m, const char *name, Loc loc) {
  if (has_region(m, name)) return true;
  diag_error(sema_diag(S), loc, "E0803", "morphology %s has no section or region '%s'", m->name, name);
  list_regions(S, m);
  return false;
}

/* A location sec(x): sec a region of m, x a plain number in [0, 1]. */
static bool check_location(Sema *S, const Decl *m, Expr *at) {
  if (at->kind == EX_NAME) return check_region(S, m, at->name, at->loc);
  bool ok = check_region(S, m, at->name, at->loc);
  Expr *x = at->args.v[0];
  double v;
  if (!const_of(S, x, "1", "a position on a section", &v)) return false;
  if (!(v >= 0 && v <= 1)) {
    diag_error(sema_diag(S), x->loc, "E0804", "a position on a section runs from 0 to 1, not %g", v);
    diag_note(sema_diag(S), (Loc){0}, "%s(0) is where %s starts and %s(1) its far end", at->name, at->name, at->name);
    return false;
  }
  return ok;
}

/* ---- morphology blocks --------------------------------------------------------- */

static Stmt *kwarg(Stmt *sec, const char *name) {
  for (int i = 0; i < sec->exprs.n; i++) {
    Stmt *k = sec->exprs.v[i];
    if (strcmp(k->name, name) == 0) return k;
  }
  return NULL;
}

static void check_section(Sema *S, Decl *m, Stmt *sec, int index) {
  Diag *d = sema_diag(S);
  IdRef *shape = sec->names.v[0];
  bool sphere = strcmp(shape->name, "sphere") == 0, cyl = strcmp(shape->name, "cylinder") == 0;
  if (!sphere && !cyl) {
    diag_error(d, shape->loc, "E0805", "unknown shape '%s'; a section is a sphere(diam = D) or a "
               "cylinder(length = L, diam = D)", shape->name);
    return;
  }
  if (sphere && index != 0) {
    diag_error(d, shape->loc, "E0805", "only the first section (the root, usually the soma) can be a sphere");
    return;
  }
  for (int i = 0; i < sec->exprs.n; i++) {
    Stmt *k = sec->exprs.v[i];
    bool known = strcmp(k->name, "diam") == 0 || (cyl && (strcmp(k->name, "length") == 0 || strcmp(k->name, "diam1") == 0));
    if (!known) {
      diag_error(d, k->name_loc, "E0805", "a %s has no '%s'; it takes %s", shape->name, k->name,
                 cyl ? "length, diam and (for a frustum) diam1" : "diam");
      continue;
    }
    double v;
    if (const_of(S, k->e, "um", k->name, &v) && !(v > 0))
      diag_error(d, k->e->loc, "E0805", "%s must be positive, not %g um", k->name, v * 1e6);
  }
  if (!kwarg(sec, "diam"))
    diag_error(d, shape->loc, "E0805", "section %s needs its diameter: %s(..., diam = D)", sec->name, shape->name);
  if (cyl && !kwarg(sec, "length"))
    diag_error(d, shape->loc, "E0805", "section %s needs its length: cylinder(length = L, ...)", sec->name);
  if (index == 0 && sec->at)
    diag_error(d, sec->at->loc, "E0806", "the first section is the root of the tree: it cannot come from another");
  if (index > 0 && !sec->at)
    diag_error(d, sec->name_loc, "E0806", "section %s must say where it attaches: ... from PARENT(x)", sec->name);
  if (index > 0 && sec->at) {
    /* the parent must come earlier, so the tree has no cycles */
    bool earlier = false;
    for (int i = 0; i < m->body.n && m->body.v[i] != sec; i++) {
      Stmt *o = m->body.v[i];
      if (o->kind == ST_SECTION && strcmp(o->name, sec->at->name) == 0) earlier = true;
    }
    if (!earlier) {
      if (has_region(m, sec->at->name))
        diag_error(d, sec->at->loc, "E0806", "section %s attaches to %s, which comes later: declare a parent before "
                   "its children", sec->name, sec->at->name);
      else
        check_region(S, m, sec->at->name, sec->at->loc);
    } else {
      check_location(S, m, sec->at);
    }
  }
}

void sema_cable_morphology(Sema *S, Decl *m) {
  Diag *d = sema_diag(S);
  if (m->path) {
    char *dir = path_dirname(m->file && m->file->path ? m->file->path : ".");
    char *path = m->path[0] == '/' ? xstrdup(m->path) : path_join(dir, m->path);
    free(dir);
    SwcMorph sm;
    Arena *A = sema_arena(S);
    if (!swc_load(path, d, m->e ? m->e->loc : m->name_loc, A, &sm)) {
      free(path);
      return; /* the file stays loaded: the messages point into it */
    }
    RtCableSection *secs;
    int *types;
    int n = swc_sections(&sm, A, &secs, &types);
    for (int k = 0; k < n; k++) {
      const char *r = sema_cable_swc_region(A, types[k]);
      if (!has_region(m, r)) vec_push(A, &m->params, ast_idref(A, (char *)r, m->name_loc));
    }
    srcfile_free(sm.file);
    free(path);
    return;
  }
  int index = 0;
  for (int i = 0; i < m->body.n; i++) {
    Stmt *st = m->body.v[i];
    for (int j = 0; j < i; j++) {
      Stmt *o = m->body.v[j];
      if (strcmp(o->name, st->name) == 0) {
        diag_error(d, st->name_loc, "E0202", "section '%s' is already defined in this morphology", st->name);
        diag_note(d, o->name_loc, "first defined here");
      }
    }
    check_section(S, m, st, index++);
  }
  if (index == 0) diag_error(d, m->name_loc, "E0805", "morphology %s has no sections", m->name);
}

/* ---- channel parameters set in the cell, `distance` -------------------------------- */

void sema_cable_note_distance(Sema *S) {
  diag_note(sema_diag(S), (Loc){0}, "'distance' (the path distance from the root of the morphology) exists only "
            "in a channel parameter set in a cell with a morphology, e.g. gbar_K = 36 mS/cm^2 * "
            "exp(-distance / 200 um) in dend");
}

static bool inserts(const Stmt *st, const char *channel) {
  if (st->kind != ST_INSERT) return false;
  for (int k = 0; k < st->names.n; k++)
    if (strcmp(((IdRef *)st->names.v[k])->name, channel) == 0) return true;
  return false;
}

/* `param P` of block d whose name is the first len characters of x. */
static Stmt *find_param(const Decl *d, const char *x, size_t len) {
  for (int j = 0; d && j < d->body.n; j++) {
    Stmt *p = d->body.v[j];
    if (p->kind == ST_PARAM && strlen(p->name) == len && strncmp(p->name, x, len) == 0) return p;
  }
  return NULL;
}

/* x (len characters) = P_GATE: parameter P of gate GATE, declared in
 * channel ch or at the top level (lowering checks that ch uses it). */
static Stmt *gate_param(Program *prog, const Decl *ch, const char *x, size_t len) {
  for (size_t u = 1; u + 1 < len; u++) {
    if (x[u] != '_') continue;
    char gate[128];
    if (len - u - 1 >= sizeof gate) continue;
    memcpy(gate, x + u + 1, len - u - 1);
    gate[len - u - 1] = 0;
    const Decl *g = NULL;
    for (int j = 0; j < ch->body.n && !g; j++) {
      Stmt *st = ch->body.v[j];
      if (st->kind == ST_GATE && st->decl && strcmp(st->decl->name, gate) == 0) g = st->decl;
    }
    if (!g) g = sema_find_decl(prog, DC_GATE, gate);
    Stmt *p = find_param(g, x, u);
    if (p) return p;
  }
  return NULL;
}

Decl *sema_cable_param_target(Program *prog, const Decl *cell, const char *name, Stmt **param) {
  size_t len = strlen(name);
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind != ST_INSERT) continue;
    for (int k = 0; k < st->names.n; k++) {
      const char *ch = ((IdRef *)st->names.v[k])->name;
      size_t cl = strlen(ch);
      /* NAME_CHANNEL: the qualified name of docs/language.md 6.3 */
      if (len < cl + 2 || name[len - cl - 1] != '_' || strcmp(name + len - cl, ch) != 0) continue;
      Decl *d = sema_find_decl(prog, DC_CHANNEL, ch);
      if (!d) continue;
      size_t xl = len - cl - 1; /* X of X_CHANNEL: P, or P_GATE for a gate's parameter */
      Stmt *p = find_param(d, name, xl);
      if (!p) p = gate_param(prog, d, name, xl);
      if (p) {
        *param = p;
        return d;
      }
    }
  }
  return NULL;
}

/* The names a cable cell can set, for the note of E0807. */
static void list_settable(Sema *S, const Decl *cell) {
  StrBuf b = {0};
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind != ST_INSERT) continue;
    for (int k = 0; k < st->names.n; k++) {
      Decl *d = sema_find_decl(sema_program(S), DC_CHANNEL, ((IdRef *)st->names.v[k])->name);
      for (int j = 0; d && j < d->body.n; j++) {
        Stmt *p = d->body.v[j];
        if (p->kind == ST_PARAM) sb_printf(&b, "%s%s_%s", b.len ? ", " : "", p->name, d->name);
        for (int q = 0; p->kind == ST_GATE && p->decl && q < p->decl->body.n; q++) {
          Stmt *gp = p->decl->body.v[q];
          if (gp->kind == ST_PARAM) sb_printf(&b, "%s%s_%s_%s", b.len ? ", " : "", gp->name, p->decl->name, d->name);
        }
      }
    }
  }
  char *t = sb_take(&b);
  diag_note(sema_diag(S), (Loc){0}, "a cell with a morphology sets Ra, Cm and the parameters of its channels "
            "as NAME_CHANNEL: %s", t && *t ? t : "(no channel inserted)");
  free(t);
}

/* `P_CH = EXPR [in REGION, ...]`: EXPR has P's unit and is a constant or a
 * function of `distance`; CH is inserted in every REGION named. */
static void check_param_setting(Sema *S, Decl *cell, Decl *m, Stmt *st, Decl *ch, Stmt *param) {
  Diag *d = sema_diag(S);
  Scope *sc = sema_scope_new(S, NULL, true);
  Sym *dist = sema_declare(S, sc, SYM_PARAM, "distance", st->name_loc);
  dist->unit = unit_of("um");
  dist->value = 1e-4;
  if (!param->sym) {
    Scope *top = sema_scope_new(S, NULL, true);
    if (!sema_check_expr(S, top, param->e)) return;
  }
  Unit want = param->sym ? param->sym->unit : param->e->unit;
  char what[160];
  snprintf(what, sizeof what, "parameter %s", st->name);
  if (!sema_check_expr(S, sc, st->e) || !sema_expect_unit(S, st->e, want, what)) return;
  double v;
  if (!sema_const_value(st->e, &v)) {
    diag_error(d, st->e->loc, "E0801", "%s must be a constant or a function of distance", st->name);
    return;
  }
  for (int k = 0; m && k < st->regions.n; k++) {
    IdRef *r = st->regions.v[k];
    if (!check_region(S, m, r->name, r->loc)) continue;
    bool in = false;
    for (int i = 0; i < cell->body.n && !in; i++) {
      Stmt *ins = cell->body.v[i];
      if (!inserts(ins, ch->name)) continue;
      in = ins->everywhere;
      for (int q = 0; q < ins->regions.n; q++) in |= strcmp(((IdRef *)ins->regions.v[q])->name, r->name) == 0;
    }
    if (!in) {
      diag_error(d, r->loc, "E0816", "%s is set in %s, but channel %s is not inserted there", st->name, r->name,
                 ch->name);
      diag_note(d, (Loc){0}, "insert %s in %s, or set the parameter where %s is inserted", ch->name, r->name,
                ch->name);
    }
  }
}

/* ---- cells with a morphology ------------------------------------------------------ */

static Decl *cell_morphology(Sema *S, Decl *cell, bool report) {
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    if (st->kind != ST_MORPH) continue;
    Decl *m = sema_find_decl(sema_program(S), DC_MORPHOLOGY, st->name);
    if (!m && report) {
      diag_error(sema_diag(S), st->name_loc, "E0802", "unknown morphology '%s'", st->name);
      diag_note(sema_diag(S), (Loc){0}, "declare it with morphology %s { ... } or morphology %s from \"FILE.swc\"",
                st->name, st->name);
    }
    return m;
  }
  return NULL;
}

void sema_cable_cell(Sema *S, Decl *cell) {
  Diag *d = sema_diag(S);
  Decl *m = cell_morphology(S, cell, true);
  Stmt *morph = NULL, *ra = NULL, *cm = NULL;
  for (int i = 0; i < cell->body.n; i++) {
    Stmt *st = cell->body.v[i];
    double v;
    switch (st->kind) {
    case ST_MORPH:
      if (morph) {
        diag_error(d, st->loc, "E0802", "a cell has one morphology");
        diag_note(d, morph->loc, "the first one is here");
      }
      morph = st;
      break;
    case ST_PARAM: case ST_DEF:
      if (strcmp(st->name, "Ra") == 0) {
        if (const_of(S, st->e, "ohm*cm", "the axial resistivity Ra", &v) && !(v > 0))
          diag_error(d, st->e->loc, "E0801", "Ra must be positive");
        ra = st;
      } else if (strcmp(st->name, "Cm") == 0) {
        if (const_of(S, st->e, "uF/cm^2", "the membrane capacitance Cm", &v) && !(v > 0))
          diag_error(d, st->e->loc, "E0801", "Cm must be positive");
        cm = st;
      } else {
        Stmt *param = NULL;
        Decl *ch = sema_cable_param_target(sema_program(S), cell, st->name, &param);
        if (ch) {
          check_param_setting(S, cell, m, st, ch, param);
          break;
        }
        diag_error(d, st->name_loc, "E0807", "a cell with a morphology takes Ra, Cm, channel parameters, V(0), "
                   "insert, discretize and stimulus; '%s' is not one of them", st->name);
        list_settable(S, cell);
        break;
      }
      if (st->regions.n)
        diag_error(d, ((IdRef *)st->regions.v[0])->loc, "E0816", "%s applies to the whole cell: it cannot be set "
                   "per region", st->name);
      break;
    case ST_INIT:
      if (strcmp(st->name, "V") != 0) {
        diag_error(d, st->name_loc, "E0807", "in a cell with a morphology only V(0) can be given");
        break;
      }
      const_of(S, st->e, "mV", "the initial membrane potential", &v);
      break;
    case ST_INSERT:
      for (int k = 0; k < st->names.n; k++) {
        IdRef *r = st->names.v[k];
        Decl *ch = sema_find_decl(sema_program(S), DC_CHANNEL, r->name);
        if (!ch) diag_error(d, r->loc, "E0201", "unknown channel '%s'", r->name);
      }
      if (!st->everywhere && !st->regions.n) {
        diag_error(d, st->loc, "E0808", "in a cell with a morphology, say where: insert ... everywhere, "
                   "or insert ... in REGION, ...");
      }
      if (m)
        for (int k = 0; k < st->regions.n; k++) {
          IdRef *r = st->regions.v[k];
          check_region(S, m, r->name, r->loc);
        }
      break;
    case ST_DISCRETIZE: {
      const char *unit = strcmp(st->name, "max_length") == 0 ? "um" : "1";
      if (strcmp(st->name, "d_lambda") != 0 && strcmp(st->name, "segments") != 0 &&
          strcmp(st->name, "max_length") != 0) {
        diag_error(d, st->name_loc, "E0809", "unknown discretisation '%s'; use d_lambda F, segments N or "
                   "max_length L", st->name);
        break;
      }
      if (!const_of(S, st->e, unit, st->name, &v)) break;
      if (!(v > 0) || (strcmp(st->name, "segments") == 0 && (v != floor(v) || v > 1e6)))
        diag_error(d, st->e->loc, "E0809", "%s must be %s", st->name,
                   strcmp(st->name, "segments") == 0 ? "a whole number from 1 to 10^6" : "positive");
      break;
    }
    case ST_STIMULUS: {
      if (!st->at) {
        diag_error(d, st->loc, "E0810", "a stimulus of a cell with a morphology is a point current: "
                   "stimulus %s = AMPLITUDE at SECTION(x)", st->name);
        break;
      }
      const_of(S, st->e, "nA", "a point stimulus", &v);
      double a = 0, b = 0;
      if (st->e2 && const_of(S, st->e2, "ms", "the start of the stimulus", &a) && a < 0)
        diag_error(d, st->e2->loc, "E0220", "a stimulus cannot start before t = 0");
      if (st->e3 && const_of(S, st->e3, "ms", "the end of the stimulus", &b) && b < a)
        diag_error(d, st->e3->loc, "E0220", "the stimulus window ends before it starts");
      if (m) check_location(S, m, st->at);
      break;
    }
    default:
      sema_not_allowed(S, st, "cell with a morphology", NULL);
      break;
    }
  }
  if (!m) return;
  if (!ra || !cm) {
    diag_error(d, cell->name_loc, "E0811", "cell %s has a morphology but no %s", cell->name,
               !ra && !cm ? "Ra and Cm" : !ra ? "Ra" : "Cm");
    diag_note(d, (Loc){0}, "a cable needs its axial resistivity and membrane capacitance, "
              "e.g. Ra = 100 ohm*cm; Cm = 1 uF/cm^2");
  }
}

/* ---- simulate: record V@sec(x) ------------------------------------------------------ */

void sema_cable_simulate(Sema *S, Decl *simulate, SimSpec *sim) {
  Diag *d = sema_diag(S);
  bool cable = sema_cable_cell_decl(sim->cell);
  Decl *m = cable ? cell_morphology(S, sim->cell, false) : NULL;
  for (int i = 0; i < simulate->body.n; i++) {
    Stmt *st = simulate->body.v[i];
    if (st->kind != ST_SETTING || st->key != SIM_RECORD_AT) continue;
    for (int k = 0; k < st->exprs.n; k++) {
      Expr *at = st->exprs.v[k];
      if (!cable) {
        diag_error(d, at->a->loc, "E0812", "%s@%s(...) records at a location, but %s has no morphology",
                   at->a->name, at->name, sim->cell ? sim->cell->name : "the model");
        return;
      }
      if (strcmp(at->a->name, "V") != 0) {
        diag_error(d, at->a->loc, "E0812", "only V can be recorded at a location, not '%s'", at->a->name);
        continue;
      }
      if (m) check_location(S, m, at);
    }
  }
  if (!cable) return;
  /* the copies share one discretised tree and one set of channel
   * parameters (runtime/rt_cable_run.c): only a stimulus's amplitude
   * (a current per lane) can differ between them */
  for (int i = 0; i < sim->vary.n; i++) {
    VarySpec *v = sim->vary.v[i];
    Stmt *stim = NULL;
    for (int k = 0; k < sim->cell->body.n; k++) {
      Stmt *st = sim->cell->body.v[k];
      if (st->kind == ST_STIMULUS && st->at && strcmp(st->name, v->name) == 0) stim = st;
    }
    if (!stim) {
      diag_error(d, v->loc, "E0815", "the instances of cell %s (a cell with a morphology) share everything but "
                 "their stimuli: '%s' cannot vary", sim->cell->name, v->name);
      diag_note(d, (Loc){0}, "vary the amplitude of a stimulus, or declare one cell per parameter value");
      continue;
    }
    if (!units_same_dim(v->unit, unit_of("nA"))) {
      char got[160];
      diag_error(d, v->loc, "E0304", "the values of vary %s must be currents (nA) like the stimulus, but they "
                 "are in %s", v->name, sema_unit_text(v->unit, got, sizeof got));
    }
  }
  for (int i = 0; i < sim->records.n; i++) {
    IdRef *r = sim->records.v[i];
    diag_error(d, r->loc, "E0812", "cell %s has a morphology: record %s at a location, e.g. %s@soma(0.5)",
               sim->cell->name, r->name, r->name);
  }
}
