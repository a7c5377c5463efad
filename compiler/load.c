/* compiler/load.c — reading the main file and its imports.
 *
 * `import "hh"` names stdlib/hh.msn; `import "lib/x.msn"` or
 * `import "./x.msn"` is relative to the importing file.  Each file is loaded once; a file that imports itself through a
 * chain is an error that lists the chain. */
#include "msnc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

void msnc_init(Compilation *c, FILE *diag_out) {
  memset(c, 0, sizeof *c);
  c->arena = arena_new();
  diag_init(&c->diag, diag_out);
  c->stdlib_dir = msnc_stdlib_dir();
}

void msnc_free(Compilation *c) {
  for (int i = 0; i < c->prog.files.n; i++) srcfile_free(c->prog.files.v[i]);
  arena_free(c->arena);
  free(c->stdlib_dir);
  memset(c, 0, sizeof *c);
}

char *msnc_stdlib_dir(void) {
  const char *env = getenv("MSN_STDLIB");
  if (env && *env) return xstrdup(env);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    char *dir = path_dirname(exe);
    char *build = path_real(MSN_ABS_BUILDDIR);
    bool in_build = build && strcmp(dir, build) == 0;
    free(dir);
    free(build);
    if (in_build) return xstrdup(MSN_ABS_SRCDIR "/stdlib");
  }
  return xstrdup(MSN_PKGDATADIR "/stdlib");
}

typedef struct Loading {
  const char *real;
  struct Loading *up;
} Loading;

static bool load_file(Compilation *c, const char *path, Loc from, Loading *chain);

/* A bare name (`import "hh"`) is a standard-library module; a path with a
 * '/' or ending in .msn is relative to the importing file. */
static char *resolve_import(Compilation *c, Decl *imp) {
  const char *name = imp->path;
  size_t n = strlen(name);
  bool is_path = strchr(name, '/') || (n > 4 && strcmp(name + n - 4, ".msn") == 0);
  char *path;
  if (is_path) {
    char *dir = path_dirname(imp->file->path);
    path = path_join(dir, name);
    free(dir);
  } else {
    char *file = xasprintf("%s.msn", name);
    path = path_join(c->stdlib_dir, file);
    free(file);
  }
  if (file_exists(path)) return path;
  free(path);
  return NULL;
}

static bool load_imports(Compilation *c, PtrVec *decls, int first, Loading *chain) {
  bool ok = true;
  for (int i = first; i < decls->n; i++) {
    Decl *d = decls->v[i];
    if (d->kind != DC_IMPORT) continue;
    char *path = resolve_import(c, d);
    if (!path) {
      diag_error(&c->diag, d->name_loc, "E0501", "cannot find the import \"%s\"", d->path);
      if (strchr(d->path, '/') || strstr(d->path, ".msn"))
        diag_note(&c->diag, (Loc){0}, "paths are relative to the importing file, %s", d->file->path);
      else
        diag_note(&c->diag, (Loc){0}, "looked for %s.msn in the standard library %s", d->path, c->stdlib_dir);
      ok = false;
      continue;
    }
    ok &= load_file(c, path, d->name_loc, chain);
    free(path);
  }
  return ok;
}

static bool load_file(Compilation *c, const char *path, Loc from, Loading *chain) {
  char *real = path_real(path);
  if (!real) {
    if (from.file) diag_error(&c->diag, from, "E0501", "cannot read %s: %s", path, strerror(errno));
    else diag_error(&c->diag, from, "E0502", "cannot read %s: %s", path, strerror(errno));
    return false;
  }
  for (Loading *l = chain; l; l = l->up)
    if (strcmp(l->real, real) == 0) {
      diag_error(&c->diag, from, "E0503", "import cycle: %s imports itself", path);
      for (Loading *k = chain; k; k = k->up) diag_note(&c->diag, (Loc){0}, "imported from %s", k->real);
      free(real);
      return false;
    }
  for (int i = 0; i < c->prog.files.n; i++)
    if (strcmp(((SrcFile *)c->prog.files.v[i])->real, real) == 0) {
      free(real);
      return true; /* already loaded: imports are idempotent */
    }
  SrcFile *f = srcfile_load(path);
  if (!f) {
    diag_error(&c->diag, from, "E0502", "cannot read %s: %s", path, strerror(errno));
    free(real);
    return false;
  }
  vec_push(c->arena, &c->prog.files, f);
  Loading me = {real, chain};
  PtrVec decls = {0};
  bool ok = parse_file(c->arena, &c->diag, f, &decls);
  ok &= load_imports(c, &decls, 0, &me);
  for (int i = 0; i < decls.n; i++) vec_push(c->arena, &c->prog.decls, decls.v[i]);
  free(real);
  return ok;
}

bool msnc_load(Compilation *c, const char *path) {
  c->main_path = path;
  return load_file(c, path, (Loc){0}, NULL);
}

/* The main file from memory (the fuzz harness): text is parsed as if it
 * were the file `path`, which is not read; its imports resolve as usual. */
bool msnc_load_string(Compilation *c, const char *path, const char *text) {
  c->main_path = path;
  SrcFile *f = srcfile_from_string(path, text);
  vec_push(c->arena, &c->prog.files, f);
  Loading me = {f->real, NULL};
  PtrVec decls = {0};
  bool ok = parse_file(c->arena, &c->diag, f, &decls);
  ok &= load_imports(c, &decls, 0, &me);
  for (int i = 0; i < decls.n; i++) vec_push(c->arena, &c->prog.decls, decls.v[i]);
  return ok;
}

bool msnc_check(Compilation *c) {
  bool ok = sema_check(c->arena, &c->diag, &c->prog, &c->sim);
  if (ok && !c->sim.cell) {
    /* no simulate block: simulate the only cell (or rates model) of the main file */
    Decl *only = NULL;
    int n = 0;
    for (int i = 0; i < c->prog.decls.n; i++) {
      Decl *d = c->prog.decls.v[i];
      if ((d->kind == DC_CELL || d->kind == DC_RATES) && d->file == c->prog.files.v[0]) { only = d; n++; }
    }
    if (n == 1) c->sim.cell = only;
  }
  return ok;
}
