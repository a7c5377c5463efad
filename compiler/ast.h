/* compiler/ast.h — the syntax tree built by grammar/parser.y.
 *
 * Grammar actions only build these nodes; every check happens in
 * compiler/sema.c.  All nodes live in the compilation's arena. */
#ifndef MSN_AST_H
#define MSN_AST_H

#include "diag.h"
#include "units.h"
#include "util.h"

/* ---- expressions ------------------------------------------------------ */

typedef enum ExprKind {
  EX_NUM,     /* num, with unit_text when written as a quantity: 10 mV */
  EX_NAME,    /* name */
  EX_CALL,    /* name(args) */
  EX_NEG,     /* -a */
  EX_NOT,     /* !a */
  EX_BINARY,  /* a op b */
  EX_COND,    /* a ? b : c */
} ExprKind;

typedef enum BinOp {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW,
  OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR
} BinOp;

typedef struct Expr Expr;
struct Expr {
  ExprKind kind;
  Loc loc;           /* whole expression */
  double num;
  char *unit_text;   /* EX_NUM: the unit as written, or NULL */
  Loc unit_loc;
  char *name;        /* EX_NAME, EX_CALL */
  BinOp op;
  Expr *a, *b, *c;
  PtrVec args;       /* EX_CALL: Expr* */
  int depth;         /* 1 for a leaf; checked before any recursive walk */
  /* filled in by compiler/sema.c */
  struct Sym *sym;   /* EX_NAME: what the name means; EX_CALL: user function */
  Unit unit;         /* dimension of the value */
  bool bare;         /* a number written without a unit (takes any unit if 0) */
};

/* ---- statements inside blocks ----------------------------------------- */

typedef enum StmtKind {
  ST_PARAM,     /* param name = expr */
  ST_DEF,       /* name = expr                (local definition; gate alpha/beta/inf/tau) */
  ST_STATE,     /* state name = expr | state name */
  ST_INIT,      /* name(0) = expr */
  ST_ODE,       /* name' = expr */
  ST_CURRENT,   /* current expr */
  ST_INSERT,    /* insert A, B, C */
  ST_STIMULUS,  /* stimulus name = expr [during [a, b] | from a] */
  ST_SPIKE,     /* spike when name crosses expr */
  ST_Q10,       /* q10 expr at expr */
  ST_GATE,      /* nested gate declaration (decl) */
  ST_SETTING,   /* simulate setting: key value... (see SimKey) */
  ST_RESET,     /* reset name = expr          (after a spike) */
  ST_REFRACTORY,/* refractory expr            (time V is held at the reset) */
} StmtKind;

typedef enum SimKey {
  SIM_MODEL, SIM_DURATION, SIM_DT, SIM_METHOD, SIM_RECORD, SIM_RECORD_SPIKES,
  SIM_INSTANCES, SIM_VARY_RANGE, SIM_VARY_LIST, SIM_CELSIUS, SIM_TOLERANCE
} SimKey;

typedef struct Decl Decl;
typedef struct Stmt Stmt;
typedef struct IdRef { char *name; Loc loc; } IdRef;
struct Stmt {
  StmtKind kind;
  Loc loc;           /* the whole statement's first token */
  char *name;        /* declared or referenced name */
  Loc name_loc;
  Expr *e, *e2, *e3; /* values: ST_STIMULUS: amplitude, start, stop */
  PtrVec names;      /* ST_INSERT / SIM_RECORD: IdRef* */
  PtrVec exprs;      /* SIM_VARY_LIST */
  SimKey key;        /* ST_SETTING */
  Decl *decl;        /* ST_GATE */
  struct Sym *sym;   /* set by sema: what the statement declares */
};

/* ---- top-level declarations ------------------------------------------- */

typedef enum DeclKind {
  DC_IMPORT, DC_GATE, DC_CHANNEL, DC_CELL, DC_FUNC, DC_SIMULATE,
  DC_RATES   /* rates NAME { ... }: a rate (mean-field) model, no membrane */
} DeclKind;

struct Decl {
  DeclKind kind;
  Loc loc;           /* keyword */
  char *name;        /* NULL for simulate */
  Loc name_loc;
  PtrVec body;       /* Stmt* */
  PtrVec params;     /* DC_FUNC: IdRef* parameter names */
  Expr *e;           /* DC_FUNC body */
  char *path;        /* DC_IMPORT */
  SrcFile *file;     /* file the declaration came from */
  struct Sym *sym;   /* set by sema: the top-level symbol */
};

typedef struct Program {
  PtrVec decls;      /* Decl*, in order, imported files first */
  PtrVec files;      /* SrcFile* loaded for this compilation */
} Program;

/* Deepest expression the checker accepts: every later stage recurses over
 * expressions, so deeper ones are an error rather than a stack overflow. */
#define AST_MAX_DEPTH 1000

/* Node constructors used by the parser. */
Expr *ast_num(Arena *a, Loc loc, double v, const char *unit, Loc unit_loc);
Expr *ast_name(Arena *a, Loc loc, const char *name);
Expr *ast_unary(Arena *a, Loc loc, ExprKind k, Expr *x);
Expr *ast_binary(Arena *a, Loc loc, BinOp op, Expr *x, Expr *y);
Expr *ast_cond(Arena *a, Loc loc, Expr *c, Expr *x, Expr *y);
Expr *ast_call(Arena *a, Loc loc, const char *name, PtrVec args);
Stmt *ast_stmt(Arena *a, StmtKind k, Loc loc);
Decl *ast_decl(Arena *a, DeclKind k, Loc loc);
IdRef *ast_idref(Arena *a, const char *name, Loc loc);
/* Loc spanning from a's start to b's end when on one line. */
Loc loc_span(Loc a, Loc b);

const char *binop_text(BinOp op);
/* Print an expression back as source (for messages and msnc info). */
void ast_print_expr(StrBuf *b, const Expr *e);

#endif
