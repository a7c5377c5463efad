/* compiler/ast.c — constructors and printing of syntax-tree nodes. */
#include "ast.h"

#include <stdio.h>

Expr *ast_num(Arena *a, Loc loc, double v, const char *unit, Loc unit_loc) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = EX_NUM;
  e->depth = 1;
  e->loc = loc;
  e->num = v;
  e->unit_text = unit ? arena_strdup(a, unit) : NULL;
  e->unit_loc = unit_loc;
  return e;
}

Expr *ast_name(Arena *a, Loc loc, const char *name) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = EX_NAME;
  e->depth = 1;
  e->loc = loc;
  e->name = arena_strdup(a, name);
  return e;
}

Expr *ast_unary(Arena *a, Loc loc, ExprKind k, Expr *x) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = k;
  e->loc = loc_span(loc, x->loc);
  e->a = x;
  e->depth = x->depth + 1;
  return e;
}

Expr *ast_binary(Arena *a, Loc loc, BinOp op, Expr *x, Expr *y) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = EX_BINARY;
  e->loc = loc_span(x->loc, y->loc);
  (void)loc;
  e->op = op;
  e->a = x;
  e->b = y;
  e->depth = 1 + (x->depth > y->depth ? x->depth : y->depth);
  return e;
}

Expr *ast_cond(Arena *a, Loc loc, Expr *c, Expr *x, Expr *y) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = EX_COND;
  e->loc = loc_span(c->loc, y->loc);
  (void)loc;
  e->a = c;
  e->b = x;
  e->c = y;
  int d = c->depth > x->depth ? c->depth : x->depth;
  e->depth = 1 + (d > y->depth ? d : y->depth);
  return e;
}

Expr *ast_call(Arena *a, Loc loc, const char *name, PtrVec args) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = EX_CALL;
  e->loc = loc;
  e->name = arena_strdup(a, name);
  e->args = args;
  e->depth = 1;
  for (int i = 0; i < args.n; i++)
    if (((Expr *)args.v[i])->depth >= e->depth) e->depth = ((Expr *)args.v[i])->depth + 1;
  return e;
}

Stmt *ast_stmt(Arena *a, StmtKind k, Loc loc) {
  Stmt *s = arena_alloc(a, sizeof *s);
  s->kind = k;
  s->loc = loc;
  return s;
}

Decl *ast_decl(Arena *a, DeclKind k, Loc loc) {
  Decl *d = arena_alloc(a, sizeof *d);
  d->kind = k;
  d->loc = loc;
  d->file = loc.file;
  return d;
}

IdRef *ast_idref(Arena *a, const char *name, Loc loc) {
  IdRef *r = arena_alloc(a, sizeof *r);
  r->name = arena_strdup(a, name);
  r->loc = loc;
  return r;
}

Loc loc_span(Loc a, Loc b) {
  if (a.file == b.file && a.line == b.line && b.end_col > a.col) a.end_col = b.end_col;
  return a;
}

const char *binop_text(BinOp op) {
  static const char *t[] = {"+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "&&", "||"};
  return t[op];
}

static int prec(const Expr *e) {
  if (e->kind == EX_COND) return 0;
  if (e->kind != EX_BINARY) return 9;
  switch (e->op) {
  case OP_OR: return 1;
  case OP_AND: return 2;
  case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE: return 3;
  case OP_ADD: case OP_SUB: return 4;
  case OP_MUL: case OP_DIV: return 5;
  case OP_POW: return 7;
  }
  return 9;
}

static void print_sub(StrBuf *b, const Expr *e, int min) {
  if (prec(e) < min) {
    sb_putc(b, '(');
    ast_print_expr(b, e);
    sb_putc(b, ')');
  } else {
    ast_print_expr(b, e);
  }
}

void ast_print_expr(StrBuf *b, const Expr *e) {
  switch (e->kind) {
  case EX_NUM:
    sb_printf(b, "%g", e->num);
    if (e->unit_text) sb_printf(b, " %s", e->unit_text);
    break;
  case EX_NAME: sb_puts(b, e->name); break;
  case EX_CALL:
    sb_printf(b, "%s(", e->name);
    for (int i = 0; i < e->args.n; i++) {
      if (i) sb_puts(b, ", ");
      ast_print_expr(b, e->args.v[i]);
    }
    sb_putc(b, ')');
    break;
  case EX_NEG: sb_putc(b, '-'); print_sub(b, e->a, 6); break;
  case EX_NOT: sb_putc(b, '!'); print_sub(b, e->a, 6); break;
  case EX_BINARY: {
    int p = prec(e);
    print_sub(b, e->a, e->op == OP_POW ? p + 1 : p);
    sb_printf(b, e->op == OP_POW ? "%s" : " %s ", binop_text(e->op));
    print_sub(b, e->b, e->op == OP_POW ? p : p + 1);
    break;
  }
  case EX_COND:
    print_sub(b, e->a, 1);
    sb_puts(b, " ? ");
    print_sub(b, e->b, 1);
    sb_puts(b, " : ");
    print_sub(b, e->c, 0);
    break;
  }
}
