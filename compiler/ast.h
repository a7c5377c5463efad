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
  ST_CONNECT,   /* connect RULE [expr]        (a projection's rule) */
  /* population models (fields, densities; compiler/sema_population.c) */
  ST_KERNEL,    /* kernel w = lib(k = v, ...): e a call (no args), exprs the
                   ST_DEF keyword arguments; kernel w(r) = expr: names [r], e */
  ST_GRID,      /* grid V in [e, e2] step e3 (name: the variable; key word in exprs[0]) */
  ST_INPUT,     /* input mu = e, sigma = e2 ...: exprs the ST_DEF assignments */
  /* cables (compiler/sema_cable.c) */
  ST_MORPH,     /* morphology NAME            (in a cell: its morphology) */
  ST_SECTION,   /* NAME SHAPE(k = v, ...) [from sec(x)]: names [SHAPE], exprs the
                   ST_DEF keyword arguments, at the attachment (EX_CALL sec(x) or
                   a name: x = 1) */
  ST_DISCRETIZE,/* discretize RULE expr       (name: d_lambda, segments, max_length) */
  /* synapses (compiler/sema_synapse.c) */
  ST_ON_SPIKE,  /* on spike(w) { body }      (name: w; names: [the word `on`]) */
  ST_INCR,      /* name += expr              (in an on spike block) */
} StmtKind;

typedef enum SimKey {
  SIM_MODEL, SIM_DURATION, SIM_DT, SIM_METHOD, SIM_RECORD, SIM_RECORD_SPIKES,
  SIM_INSTANCES, SIM_VARY_RANGE, SIM_VARY_LIST, SIM_CELSIUS, SIM_TOLERANCE,
  SIM_RECORD_AT, /* record V@sec(x), ...: exprs EX_CALL sec(x) with a the variable */
  SIM_RECORD_RATES, /* record rates every W: e the bin width (networks) */
  SIM_RECORD_OF, /* record X, ... of exc[0, 5], inh: names the states, name the word
                   `of`, exprs EX_CALL pop(indices) or EX_NAME pop (networks) */
  SIM_RECORD_PER /* record spikes per population: names what is recorded, name
                    the word `per` (networks) */
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
  /* cables: ST_INSERT `in r1, r2` (regions: IdRef*) or `everywhere`;
     ST_DEF `P_CHANNEL = expr in r1, r2` (a channel parameter per region);
     ST_STIMULUS `at sec(x)` (at: EX_CALL with one argument) */
  PtrVec regions;
  bool everywhere;
  Expr *at;
  PtrVec body;       /* ST_ON_SPIKE: its statements (Stmt*) */
};

/* ---- top-level declarations ------------------------------------------- */

typedef enum DeclKind {
  DC_IMPORT, DC_GATE, DC_CHANNEL, DC_CELL, DC_FUNC, DC_SIMULATE,
  DC_RATES,  /* rates NAME { ... }: a rate (mean-field) model, no membrane */
  /* population models (compiler/sema_population.c): path holds the
     geometry (field: "ring"/"torus") or the neuron model (density), the
     word in between ("on", "of") is in params as an IdRef* first, then
     the geometry's ST_DEF keyword arguments */
  DC_FIELD,  /* field NAME on ring(length = L, points = N) { ... } */
  DC_DENSITY /* density NAME of CELL { grid ...; input ... } */
,
  DC_MORPHOLOGY /* morphology NAME { sections } | morphology NAME from "file.swc" (path) */
  ,
  DC_POPULATION, /* population NAME = N of CELL { X(0) = ... }: params [of, CELL] */
  DC_PROJECT     /* project NAME -> TARGET { ... }: name = source, params [TARGET] */
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
  bool synapse;      /* DC_CHANNEL written `synapse NAME { ... }` */
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
