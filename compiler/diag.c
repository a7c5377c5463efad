/* compiler/diag.c — see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void diag_init(Diag *d, FILE *out) {
  memset(d, 0, sizeof *d);
  d->out = out ? out : stderr;
  d->color = isatty(fileno(d->out)) && !getenv("NO_COLOR");
}

static void index_lines(SrcFile *f) {
  int cap = 64;
  f->line_start = xmalloc(sizeof(int) * (size_t)cap);
  f->nlines = 0;
  f->line_start[f->nlines++] = 0;
  for (int i = 0; f->text[i]; i++)
    if (f->text[i] == '\n') {
      if (f->nlines == cap) f->line_start = xrealloc(f->line_start, sizeof(int) * (size_t)(cap *= 2));
      f->line_start[f->nlines++] = i + 1;
    }
}

SrcFile *srcfile_from_string(const char *path, const char *text) {
  SrcFile *f = xcalloc(1, sizeof *f);
  f->path = xstrdup(path);
  f->real = path_real(path);
  if (!f->real) f->real = xstrdup(path);
  f->text = xstrdup(text);
  index_lines(f);
  return f;
}

SrcFile *srcfile_load(const char *path) {
  char *text = read_file(path, NULL);
  if (!text) return NULL;
  SrcFile *f = srcfile_from_string(path, text);
  free(text);
  return f;
}

void srcfile_free(SrcFile *f) {
  if (!f) return;
  free(f->path);
  free(f->real);
  free(f->text);
  free(f->line_start);
  free(f);
}

static const char *color(Diag *d, const char *code) { return d->color ? code : ""; }

/* Print the source line and a caret under [col, end_col). Tabs are kept so
 * that the caret lines up in a terminal. */
static void show_line(Diag *d, Loc loc) {
  SrcFile *f = loc.file;
  if (!f || loc.line < 1 || loc.line > f->nlines) return;
  const char *s = f->text + f->line_start[loc.line - 1];
  int len = 0;
  while (s[len] && s[len] != '\n' && s[len] != '\r') len++;
  int col = loc.col < 1 ? 1 : loc.col;
  int width = loc.end_col > col ? loc.end_col - col : 1;
  /* a very long line is shown as a window around the column
   * (columns count characters; the window is cut on bytes, which only
   * misplaces the caret on lines with non-ASCII characters) */
  enum { BEFORE = 60, SHOWN = 160 };
  int from = 0;
  if (len > SHOWN && col - 1 > BEFORE) from = col - 1 - BEFORE;
  if (from > len) from = len;
  int shown = len - from > SHOWN ? SHOWN : len - from;
  const char *dots = from > 0 ? "..." : "";
  fprintf(d->out, "%5d | %s%.*s%s\n      | %s", loc.line, dots, shown, s + from, from + shown < len ? "..." : "",
          from > 0 ? "   " : "");
  for (int i = from; i < col - 1 && i < len; i++) fputc(s[i] == '\t' ? '\t' : ' ', d->out);
  int room = from + shown - (col - 1) + 1;
  if (width > room) width = room > 1 ? room : 1;
  fputs(color(d, "\033[1;32m"), d->out);
  fputc('^', d->out);
  for (int i = 1; i < width; i++) fputc('~', d->out);
  fputs(color(d, "\033[0m"), d->out);
  fputc('\n', d->out);
}

static void vreport(Diag *d, DiagLevel level, Loc loc, const char *code, const char *fmt,
                    va_list ap) {
  static const char *names[] = {"error", "warning", "note"};
  static const char *colors[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};
  if (level == DIAG_WARNING && d->werror) level = DIAG_ERROR;
  if (level == DIAG_ERROR) d->nerrors++;
  if (level == DIAG_WARNING) d->nwarnings++;
  fputs(color(d, "\033[1m"), d->out);
  if (loc.file) fprintf(d->out, "%s:%d:%d: ", loc.file->path, loc.line, loc.col);
  fprintf(d->out, "%s%s", color(d, colors[level]), names[level]);
  if (code) fprintf(d->out, "[%s]", code);
  fprintf(d->out, ":%s ", color(d, "\033[0;1m"));
  vfprintf(d->out, fmt, ap);
  fprintf(d->out, "%s\n", color(d, "\033[0m"));
  show_line(d, loc);
}

void diag_error(Diag *d, Loc loc, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(d, DIAG_ERROR, loc, code, fmt, ap);
  va_end(ap);
}

void diag_warning(Diag *d, Loc loc, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(d, DIAG_WARNING, loc, code, fmt, ap);
  va_end(ap);
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(d, DIAG_NOTE, loc, NULL, fmt, ap);
  va_end(ap);
}
