/* compiler/lower_kernel.c — channels to model IR for `msnc kernel`.
 *
 * Each chosen channel becomes a Mir of its own, built with the same
 * building blocks as a cell (compiler/lower.h), so its gates get the same
 * equations and the same solvers (choose_solver in lower_finish) as when
 * the channel is inserted into a cell:
 *
 *   params:  celsius (index 0), then the channel's and its gates' own
 *            parameters in declaration order (gbar_Na, E_Na, ...)
 *   states:  V (index 0), an *input* of every kernel: code generation loads
 *            it and never stores it (its rhs is 0); then the gates and
 *            states of the channel
 *   current: the channel's current density (A/m^2, outward positive)
 *   conductance: d current / dV with the states held (S/m^2), by symbolic
 *            differentiation (compiler/deriv.c) — the same expression the
 *            Crank–Nicolson step of a cell uses for its Jacobian
 *
 * V is a state rather than a parameter so that mir_diff and the solver
 * choice work unchanged; no new MIR operation is needed.
 *
 * The ABI (docs/kernel-abi.md) lists a channel's parameters in declaration
 * order without the channel suffix (gbar, E, ...), then celsius when the
 * channel uses it (q10 factors, or `celsius` in an expression).
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* ---- what the kernels of a channel use -------------------------------------- */

typedef struct Walk {
  const Mir *m;
  bool *param;   /* parameter used */
  bool *derived; /* derived quantity already walked */
  bool time;     /* MIR_TIME or a window (needs the time) */
} Walk;

static void walk(Walk *w, const MirExpr *e) {
  if (!e) return;
  switch (e->op) {
  case MIR_PARAM:
    if (e->index >= 0 && e->index < w->m->nparams) w->param[e->index] = true;
    return;
  case MIR_DERIVED:
    if (e->index >= 0 && e->index < w->m->nderived && !w->derived[e->index]) {
      w->derived[e->index] = true;
      walk(w, w->m->derived[e->index].e);
    }
    return;
  case MIR_TIME: w->time = true; return;
  case MIR_WINDOW: w->time = true; break;
  default: break;
  }
  walk(w, e->a);
  walk(w, e->b);
  walk(w, e->c);
}

static void walk_kernel(Walk *w, const MirKernel *k) {
  const Mir *m = k->m;
  for (int s = 1; s < m->nstates; s++) {
    const MirState *st = &m->states[s];
    walk(w, st->init);
    if (st->solver == MIR_SOLVE_CNEXP) {
      walk(w, st->lin_a);
      walk(w, st->lin_b);
    } else {
      walk(w, st->rhs);
      walk(w, st->jac);
    }
  }
  walk(w, k->current);
  walk(w, k->conductance);
}

/* ---- names at the ABI ---------------------------------------------------------- */

/* The parameter's own name: "gbar_Na" -> "gbar", "a_m_Na" -> "a_m". */
static const char *abi_param_name(Arena *A, const char *qual, const char *channel) {
  size_t n = strlen(qual), c = strlen(channel);
  if (n > c + 1 && qual[n - c - 1] == '_' && strcmp(qual + n - c, channel) == 0)
    return arena_strndup(A, qual, n - c - 1);
  return qual;
}

/* ---- choosing channels ---------------------------------------------------------- */

static bool in_main_file(Compilation *c, const Decl *d) {
  return c->prog.files.n > 0 && d->file == c->prog.files.v[0];
}

/* "a, b,c" -> {"a", "b", "c"} (empty items dropped) */
static int split_list(Arena *A, const char *list, const char ***out) {
  int n = 0, cap = 8;
  const char **v = arena_alloc(A, sizeof *v * (size_t)cap);
  for (const char *p = list; p && *p;) {
    while (*p == ',' || *p == ' ') p++;
    const char *q = p;
    while (*q && *q != ',' && *q != ' ') q++;
    if (q > p) {
      if (n == cap) {
        const char **w = arena_alloc(A, sizeof *w * (size_t)(cap *= 2));
        memcpy(w, v, sizeof *v * (size_t)n);
        v = w;
      }
      v[n++] = arena_strndup(A, p, (size_t)(q - p));
    }
    p = q;
  }
  *out = v;
  return n;
}

static char *channel_names(Compilation *c, bool main_only) {
  StrBuf b = {0};
  int n = 0;
  for (int i = 0; i < c->prog.decls.n; i++) {
    Decl *d = c->prog.decls.v[i];
    if (d->kind == DC_CHANNEL && (!main_only || in_main_file(c, d))) sb_printf(&b, "%s%s", n++ ? ", " : "", d->name);
  }
  return sb_take(&b);
}

static void unknown_channel(Compilation *c, const char *name) {
  diag_error(&c->diag, (Loc){0}, "E0611", "--channel %s: there is no channel %s in %s or its imports", name, name,
             c->main_path);
  const char *best = NULL;
  int bestd = 3;
  for (int i = 0; i < c->prog.decls.n; i++) {
    Decl *d = c->prog.decls.v[i];
    if (d->kind != DC_CHANNEL) continue;
    int dist = edit_distance(name, d->name);
    if (dist < bestd) bestd = dist, best = d->name;
  }
  if (best) diag_note(&c->diag, (Loc){0}, "did you mean '%s'?", best);
  char *all = channel_names(c, false);
  if (*all) diag_note(&c->diag, (Loc){0}, "the channels are: %s", all);
  free(all);
}

/* The channels asked for (NULL list: those of the main file), in order,
 * without repetitions; 0 after an error. */
static int choose_channels(Compilation *c, const char *list, Decl ***out) {
  Arena *A = c->arena;
  const char **names;
  int nn = split_list(A, list, &names);
  Decl **v = arena_alloc(A, sizeof *v * (size_t)(c->prog.decls.n + nn + 1));
  int n = 0;
  if (nn == 0) {
    for (int i = 0; i < c->prog.decls.n; i++) {
      Decl *d = c->prog.decls.v[i];
      if (d->kind == DC_CHANNEL && in_main_file(c, d)) v[n++] = d;
    }
    if (n == 0) {
      diag_error(&c->diag, (Loc){0}, "E0610", "%s defines no channel: there is nothing to compile into a kernel",
                 c->main_path);
      char *all = channel_names(c, false);
      if (*all) diag_note(&c->diag, (Loc){0}, "it imports the channels %s; pick them with --channel NAME", all);
      else diag_note(&c->diag, (Loc){0}, "a kernel is made from a `channel` block (see docs/kernel-abi.md)");
      free(all);
    }
  }
  for (int i = 0; i < nn; i++) {
    Decl *d = sema_find_decl(&c->prog, DC_CHANNEL, names[i]);
    if (!d) {
      unknown_channel(c, names[i]);
      continue;
    }
    bool dup = false;
    for (int j = 0; j < n; j++) dup |= v[j] == d;
    if (!dup) v[n++] = d;
  }
  *out = v;
  return n;
}

/* ---- one channel ------------------------------------------------------------------ */

static bool lower_one(Compilation *c, Decl *ch, MirKernel *k) {
  Lower L;
  lower_init(&L, c, ch->name);
  int before = c->diag.nerrors;
  Arena *A = L.A;
  L.celsius = lower_add_param(&L, "celsius", "1", 1, c->sim.celsius);
  int v = lower_add_state(&L, "V", "V", "mV", 1e-3);
  L.v_state = v;
  L.v = mir_ref(A, MIR_STATE, v);
  L.m->states[v].init = mir_const(A, 0);
  L.m->states[v].rhs = mir_const(A, 0);
  MirExpr *current = lower_channel(&L, ch);
  Mir *m = lower_finish(&L, before);
  if (!m) return false;
  for (int j = 0; j < m->nstates; j++)
    if (m->states[j].noise) { /* the kernel ABI (docs/kernel-abi.md) has no random numbers */
      diag_error(&c->diag, ch->name_loc, "E0238", "channel %s has noise, which a kernel for another simulator "
                 "cannot carry", ch->name);
      diag_note(&c->diag, (Loc){0}, "state_update has no random input; leave the channel out with --channel");
      return false;
    }
  m->states[v].why = "membrane potential: an input of the kernels, held during state_update";
  k->m = m;
  k->current = current;
  k->conductance = mir_diff(A, m, current, v);

  Walk w = {m, arena_alloc(A, (size_t)m->nparams + 1), arena_alloc(A, (size_t)m->nderived + 1), false};
  walk_kernel(&w, k);
  if (w.time) {
    diag_error(&c->diag, ch->name_loc, "E0613",
               "channel %s uses the time t, but a kernel has no time input", ch->name);
    diag_note(&c->diag, (Loc){0}, "make the time-dependent quantity a parameter of the channel");
    return false;
  }
  k->abi_param = arena_alloc(A, sizeof(int) * (size_t)(m->nparams + 1));
  k->abi_param_name = arena_alloc(A, sizeof(char *) * (size_t)(m->nparams + 1));
  for (int j = 0; j < m->nparams; j++) {
    if (j == L.celsius) continue;
    k->abi_param[k->nabi] = j;
    k->abi_param_name[k->nabi++] = abi_param_name(A, m->params[j].name, ch->name);
  }
  if (w.param[L.celsius]) {
    k->abi_param[k->nabi] = L.celsius;
    k->abi_param_name[k->nabi++] = "celsius";
  }
  k->celsius_param = L.celsius;
  k->decl = ch;
  return true;
}

/* --per-compartment: NAME (every chosen channel that has it) or CHANNEL.NAME */
static void mark_per_compartment(Compilation *c, MirKernel *k, int n, const char *list) {
  const char **names;
  int nn = split_list(c->arena, list, &names);
  for (int i = 0; i < nn; i++) {
    const char *dot = strchr(names[i], '.');
    const char *pname = dot ? dot + 1 : names[i];
    size_t chlen = dot ? (size_t)(dot - names[i]) : 0;
    int hits = 0, chans = 0;
    for (int j = 0; j < n; j++) {
      if (dot && (strlen(k[j].m->name) != chlen || strncmp(k[j].m->name, names[i], chlen) != 0)) continue;
      chans++;
      for (int a = 0; a < k[j].nabi; a++)
        if (strcmp(k[j].abi_param_name[a], pname) == 0) {
          k[j].m->params[k[j].abi_param[a]].per_instance = true;
          hits++;
        }
    }
    if (hits) continue;
    if (dot && !chans) {
      diag_error(&c->diag, (Loc){0}, "E0612", "--per-compartment %s: %.*s is not one of the channels compiled",
                 names[i], (int)chlen, names[i]);
      continue;
    }
    diag_error(&c->diag, (Loc){0}, "E0612", "--per-compartment %s: no channel compiled has a parameter %s",
               names[i], pname);
    StrBuf b = {0};
    for (int j = 0; j < n; j++) {
      if (dot && (strlen(k[j].m->name) != chlen || strncmp(k[j].m->name, names[i], chlen) != 0)) continue;
      sb_printf(&b, "%s%s:", b.len ? "; " : "", k[j].m->name);
      for (int a = 0; a < k[j].nabi; a++) sb_printf(&b, " %s", k[j].abi_param_name[a]);
      if (!k[j].nabi) sb_puts(&b, " (none)");
    }
    char *list_text = sb_take(&b);
    diag_note(&c->diag, (Loc){0}, "the parameters are: %s", list_text);
    free(list_text);
  }
}

MirKernel *msnc_lower_kernels(Compilation *c, const char *channels, const char *per_compartment, int *count) {
  *count = 0;
  int before = c->diag.nerrors;
  Decl **chosen;
  int n = choose_channels(c, channels, &chosen);
  if (c->diag.nerrors != before || n == 0) return NULL;
  MirKernel *k = arena_alloc(c->arena, sizeof *k * (size_t)n);
  for (int i = 0; i < n; i++) lower_one(c, chosen[i], &k[i]);
  if (c->diag.nerrors != before) return NULL;
  mark_per_compartment(c, k, n, per_compartment);
  if (c->diag.nerrors != before) return NULL;
  *count = n;
  return k;
}
