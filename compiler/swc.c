/* compiler/swc.c — see swc.h. */
#include "swc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *field_names[] = {"id", "type", "x", "y", "z", "radius", "parent"};

static Loc at(SrcFile *f, int line, int col, int len) {
  return (Loc){.file = f, .line = line, .col = col, .end_col = col + (len > 0 ? len : 1)};
}

/* Split one row into at most 8 fields; returns the count (8 = too many). */
static int split(const char *row, int rowlen, const char **start, int *len) {
  int n = 0, i = 0;
  while (i < rowlen && n < 8) {
    while (i < rowlen && (row[i] == ' ' || row[i] == '\t' || row[i] == ',')) i++;
    if (i >= rowlen || row[i] == '#') break;
    start[n] = row + i;
    int j = i;
    while (j < rowlen && row[j] != ' ' && row[j] != '\t' && row[j] != ',' && row[j] != '#') j++;
    len[n++] = j - i;
    i = j;
  }
  return n;
}

static bool number(const char *s, int len, double *v) {
  char buf[64];
  if (len <= 0 || len >= (int)sizeof buf) return false;
  memcpy(buf, s, (size_t)len);
  buf[len] = 0;
  char *end;
  errno = 0;
  *v = strtod(buf, &end);
  return *end == 0 && errno == 0 && isfinite(*v);
}

static bool parse_rows(SwcMorph *m, Diag *d, Arena *A, PtrVec *rows) {
  SrcFile *f = m->file;
  bool ok = true;
  for (int ln = 1; ln <= f->nlines; ln++) {
    const char *row = f->text + f->line_start[ln - 1];
    int rowlen = 0;
    while (row[rowlen] && row[rowlen] != '\n' && row[rowlen] != '\r') rowlen++;
    const char *st[8];
    int len[8];
    int n = split(row, rowlen, st, len);
    if (n == 0) continue;
    if (n != 7) {
      diag_error(d, at(f, ln, (int)(st[0] - row) + 1, rowlen - (int)(st[0] - row)), "E0701",
                 "an SWC row has 7 fields (id type x y z radius parent), this one has %s%d", n == 8 ? "more than " : "",
                 n == 8 ? 7 : n);
      ok = false;
      continue;
    }
    double v[7];
    bool row_ok = true;
    for (int k = 0; k < 7; k++) {
      bool integer = k == 0 || k == 1 || k == 6;
      if (!number(st[k], len[k], &v[k]) || (integer && v[k] != floor(v[k]))) {
        diag_error(d, at(f, ln, (int)(st[k] - row) + 1, len[k]), "E0702", "the %s of an SWC row must be %s, not '%.*s'",
                   field_names[k], integer ? "a whole number" : "a number", len[k], st[k]);
        row_ok = ok = false;
        break;
      }
    }
    if (!row_ok) continue;
    if (!(v[5] > 0)) {
      diag_error(d, at(f, ln, (int)(st[5] - row) + 1, len[5]), "E0705", "the radius of sample %ld must be positive, not %g um",
                 (long)v[0], v[5]);
      ok = false;
      continue;
    }
    SwcSample *s = arena_alloc(A, sizeof *s);
    *s = (SwcSample){.id = (long)v[0], .type = (int)v[1], .x = v[2] * 1e-6, .y = v[3] * 1e-6, .z = v[4] * 1e-6,
                     .r = v[5] * 1e-6, .parent = (long)v[6], .line = ln, .pidx = -1};
    vec_push(A, rows, s);
  }
  return ok;
}

static Loc row_loc(const SwcMorph *m, int i) { return at(m->file, m->s[i].line, 1, 1); }

/* Parents exist, ids are unique, one root, no cycles. */
static bool link_tree(SwcMorph *m, Diag *d) {
  bool ok = true;
  PtrMap byid = {0};
  for (int i = 0; i < m->n; i++) {
    bool found;
    void *prev = ptrmap_get(&byid, (void *)(intptr_t)(m->s[i].id * 2 + 1), &found);
    if (found) {
      int j = (int)(intptr_t)prev;
      diag_error(d, row_loc(m, i), "E0703", "sample id %ld is used twice", m->s[i].id);
      diag_note(d, row_loc(m, j), "first used here");
      ok = false;
      continue;
    }
    ptrmap_put(&byid, (void *)(intptr_t)(m->s[i].id * 2 + 1), (void *)(intptr_t)i);
  }
  m->root = -1;
  for (int i = 0; i < m->n; i++) {
    SwcSample *s = &m->s[i];
    if (s->parent == -1) {
      if (m->root >= 0) {
        diag_error(d, row_loc(m, i), "E0707", "sample %ld is a second root (parent -1): the morphology must be one tree", s->id);
        diag_note(d, row_loc(m, m->root), "the first root is here");
        ok = false;
      } else {
        m->root = i;
      }
      continue;
    }
    bool found;
    void *p = ptrmap_get(&byid, (void *)(intptr_t)(s->parent * 2 + 1), &found);
    if (!found) {
      diag_error(d, row_loc(m, i), "E0704", "sample %ld names parent %ld, which is not in the file", s->id, s->parent);
      ok = false;
      continue;
    }
    s->pidx = (int)(intptr_t)p;
  }
  ptrmap_clear(&byid);
  if (m->n && m->root < 0 && ok) {
    diag_error(d, row_loc(m, 0), "E0707", "no sample has parent -1: the morphology has no root");
    ok = false;
  }
  if (!ok) return false;
  /* cycles: walk up from each sample; a walk longer than n revisits one */
  char *state = xcalloc((size_t)m->n, 1); /* 0 unknown, 1 reaches the root */
  state[m->root] = 1;
  for (int i = 0; i < m->n && ok; i++) {
    int steps = 0, k = i;
    while (k >= 0 && !state[k] && steps <= m->n) { k = m->s[k].pidx; steps++; }
    if (k < 0 || steps > m->n) {
      diag_error(d, row_loc(m, i), "E0706", "the parents of sample %ld form a cycle that never reaches the root",
                 m->s[i].id);
      ok = false;
      break;
    }
    for (k = i; !state[k]; k = m->s[k].pidx) state[k] = 1;
  }
  free(state);
  return ok;
}

bool swc_load(const char *path, Diag *d, Loc from, Arena *A, SwcMorph *out) {
  memset(out, 0, sizeof *out);
  out->file = srcfile_load(path);
  if (!out->file) {
    diag_error(d, from, "E0700", "cannot read the morphology %s: %s", path, strerror(errno));
    return false;
  }
  PtrVec rows = {0};
  bool ok = parse_rows(out, d, A, &rows);
  out->n = rows.n;
  out->s = arena_alloc(A, sizeof(SwcSample) * (size_t)(rows.n + 1));
  for (int i = 0; i < rows.n; i++) out->s[i] = *(SwcSample *)rows.v[i];
  if (ok && out->n == 0) {
    diag_error(d, at(out->file, 1, 1, 1), "E0708", "%s has no samples", path);
    return false;
  }
  return link_tree(out, d) && ok;
}

static double dist(const SwcSample *a, const SwcSample *b) {
  double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
  return sqrt(dx * dx + dy * dy + dz * dz);
}

int swc_sections(const SwcMorph *m, Arena *A, RtCableSection **secs_out, int **types_out) {
  /* samples come in any order: visit parents before children (BFS) */
  int *order = xcalloc((size_t)m->n, sizeof(int)), *head = xcalloc((size_t)m->n, sizeof(int));
  int *next = xcalloc((size_t)m->n, sizeof(int)), *sec_of = xcalloc((size_t)m->n, sizeof(int));
  for (int i = 0; i < m->n; i++) head[i] = next[i] = -1;
  for (int i = m->n - 1; i >= 0; i--)
    if (m->s[i].pidx >= 0) {
      next[i] = head[m->s[i].pidx];
      head[m->s[i].pidx] = i;
    }
  int no = 0;
  order[no++] = m->root;
  for (int q = 0; q < no; q++)
    for (int c = head[order[q]]; c >= 0; c = next[c]) order[no++] = c;

  RtCableSection *secs = arena_alloc(A, sizeof *secs * (size_t)(m->n + 1));
  int *types = arena_alloc(A, sizeof *types * (size_t)(m->n + 1));
  int ns = 0;
  const SwcSample *root = &m->s[m->root];
  /* the root is a point: a sphere when it is a one-point soma, otherwise
   * section 0 is its first segment and the other children attach at x = 0 */
  bool sphere = root->type == SWC_SOMA;
  for (int c = head[m->root]; c >= 0 && sphere; c = next[c])
    if (m->s[c].type == SWC_SOMA) sphere = false;
  if (sphere) {
    secs[ns] = (RtCableSection){.name = arena_printf(A, "soma (sample %ld)", root->id), .shape = RT_CABLE_SPHERE,
                                .diam = 2 * root->r, .parent = -1};
    types[ns++] = root->type;
  }
  sec_of[m->root] = sphere ? 0 : -1;
  for (int q = 1; q < no; q++) {
    int i = order[q], p = m->s[i].pidx;
    const SwcSample *s = &m->s[i], *ps = &m->s[p];
    double len = dist(s, ps);
    if (len < 1e-12) { /* a repeated point: the same place as its parent */
      sec_of[i] = sec_of[p];
      continue;
    }
    if (sphere && p == m->root) {
      /* the first sample of a neurite on a one-point soma: the segment from
       * the soma's centre lies inside the sphere, so the neurite starts
       * here, on the soma (as NEURON's import of one-point somata does) */
      sec_of[i] = 0;
      continue;
    }
    int parent_sec = sec_of[p];
    double px = 1;
    if (parent_sec < 0) { /* the first segment out of a point root becomes section 0 */
      if (ns == 0) {
        parent_sec = -1;
      } else {
        parent_sec = 0;
        px = 0;
      }
    }
    secs[ns] = (RtCableSection){.name = arena_printf(A, "sample %ld", s->id), .shape = RT_CABLE_CYLINDER,
                                .length = len, .diam = 2 * ps->r, .diam1 = 2 * s->r, .parent = parent_sec,
                                .parent_x = px, .nseg = 1};
    types[ns] = s->type;
    sec_of[i] = ns++;
    if (sec_of[p] < 0) sec_of[p] = -1; /* root stays a point; its other children go to section 0 at x = 0 */
  }
  free(order);
  free(head);
  free(next);
  free(sec_of);
  *secs_out = secs;
  *types_out = types;
  return ns;
}
