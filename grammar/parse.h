/* grammar/parse.h — state shared by the scanner and the parser. */
#ifndef MSN_PARSE_H
#define MSN_PARSE_H

#include "ast.h"

typedef struct LexState {
  Arena *arena;
  Diag *diag;
  SrcFile *file;
  int line, col;
  int depth;    /* ( and [ nesting: newlines inside do not end statements */
  int can_end;  /* the last token may end a statement */
} LexState;

/* Parse one file, appending its declarations to *decls.  Returns false
 * when there were syntax errors (already reported). */
bool parse_file(Arena *arena, Diag *diag, SrcFile *file, PtrVec *decls);

#endif
