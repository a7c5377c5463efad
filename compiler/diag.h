/* compiler/diag.h — source files and diagnostics.
 *
 *   hh.msn:12:7: error[E0301]: cannot add mV and mS/cm^2
 *      12 |   x = V + gbar
 *         |       ^~~~~~~~
 *   note: ...
 *
 * Diagnostics are printed as they are reported, and compilation goes on
 * so that one run shows several errors.  Codes are listed in
 * docs/diagnostics.md. */
#ifndef MSN_DIAG_H
#define MSN_DIAG_H

#include <stdbool.h>
#include <stdio.h>

typedef struct SrcFile {
  char *path;     /* as given or as resolved from an import */
  char *real;     /* canonical path, for import cycles and duplicates */
  char *text;     /* NUL-terminated contents */
  int nlines;
  int *line_start; /* byte offset of each line (1-based lines: [line-1]) */
} SrcFile;

/* A source span: 1-based line and column, and the end column on the same
 * line (exclusive) for the caret underline. */
typedef struct Loc {
  SrcFile *file;
  int line, col, end_col;
} Loc;

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
  FILE *out;          /* stderr by default */
  int nerrors, nwarnings;
  bool color;
  bool werror;        /* warnings count as errors */
} Diag;

void diag_init(Diag *d, FILE *out);
SrcFile *srcfile_load(const char *path);          /* NULL, errno set on failure */
SrcFile *srcfile_from_string(const char *path, const char *text);
void srcfile_free(SrcFile *f);

/* Report at loc (loc.file may be NULL for errors without a place). */
void diag_error(Diag *d, Loc loc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_warning(Diag *d, Loc loc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A note attached to the previous diagnostic; with a place when loc.file. */
void diag_note(Diag *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
