/* grammar/parser.y — the msn grammar (pure, with locations, no conflicts).
 *
 * Actions only build syntax-tree nodes (compiler/ast.h); names, units and
 * everything else are checked later in compiler/sema.c.  The productions
 * are documented in docs/language.md. */
%code requires {
#include "ast.h"
typedef struct LexState LexState;
typedef struct ParseCtx {
  Arena *arena;
  Diag *diag;
  PtrVec *decls;
  void *scanner;
} ParseCtx;
#define YYLTYPE Loc
#define YYLTYPE_IS_DECLARED 1
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
  do {                                                                       \
    if (N) (Cur) = loc_span(YYRHSLOC(Rhs, 1), YYRHSLOC(Rhs, N));             \
    else { (Cur) = YYRHSLOC(Rhs, 0); (Cur).col = (Cur).end_col; }            \
  } while (0)
}


%code {
#include <string.h>
#include "parse.h"
#include "lexer.h"
static void yyerror(Loc *loc, ParseCtx *ctx, const char *msg);
#define A (ctx->arena)
#define scanner (ctx->scanner)
}

%define api.pure full
%define parse.error custom
%locations
%expect 0
%parse-param { ParseCtx *ctx }
%lex-param { void *scanner }

%union {
  struct { double v; char *unit; Loc uloc; int ustart; } qty;
  char *str;
  Expr *expr;
  Stmt *stmt;
  Decl *decl;
  PtrVec vec;
}

%token <qty> NUMBER "number"
%token <str> IDENT "name" STRING "string"
%token NL "end of line"
%token PRIME "'"
%token LE "<=" GE ">=" EQ "==" NE "!=" AND "&&" OR "||"
%token IMPORT "import" GATE "gate" CHANNEL "channel" CELL "cell" FUNC "func"
%token PARAM "param" STATE "state" CURRENT "current" INSERT "insert"
%token STIMULUS "stimulus" DURING "during" FROM "from" TO "to" SPIKE "spike"
%token WHEN "when" CROSSES "crosses" Q10 "q10" AT "at" SIMULATE "simulate"
%token RECORD "record" EVERY "every" VARY "vary" IN "in"
%token RATES "rates"
%token RESET "reset" REFRACTORY "refractory"
%token POPULATION "population" PROJECT "project" CONNECT "connect" ARROW "->"
%token SOURCE "source"
%token FIELD "field" DENSITY "density" KERNEL "kernel" GRID "grid" INPUT "input"
%token MORPHOLOGY "morphology" DISCRETIZE "discretize" EVERYWHERE "everywhere"
%token SYNAPSE "synapse" PLUSEQ "+="

%type <expr> expr primary
%type <stmt> stmt sim_stmt
%type <decl> decl synapse_decl
%type <stmt> synapse_stmt
%type <vec> stmts sim_stmts args arglist idlist exprlist params
%type <vec> pop_body proj_stmts
%type <stmt> proj_stmt
%type <vec> kwargs kwlist
%type <vec> sections locrefs netrefs netidxs
%type <stmt> section
%type <expr> where locref netref netidx

%right '?' ':'
%left OR
%left AND
%nonassoc '<' '>' LE GE EQ NE
%left '+' '-'
%left '*' '/'
%precedence UMINUS '!'
%right '^'

%%

file: %empty
    | file sep
    | file decl               { vec_push(A, ctx->decls, $2); }
    | file error sep          { yyerrok; }
    | file error '}'          { yyerrok; }
    ;

/* a separator ends error recovery: the next statement starts afresh */
sep: NL                       { yyerrok; }
   | ';'                      { yyerrok; }
   ;

decl: IMPORT STRING           { $$ = ast_decl(A, DC_IMPORT, @1); $$->path = $2; $$->name_loc = @2; }
    | GATE IDENT '{' stmts '}'    { $$ = ast_decl(A, DC_GATE, @1); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | CHANNEL IDENT '{' stmts '}' { $$ = ast_decl(A, DC_CHANNEL, @1); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | CELL IDENT '{' stmts '}'    { $$ = ast_decl(A, DC_CELL, @1); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | RATES IDENT '{' stmts '}'   { $$ = ast_decl(A, DC_RATES, @1); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | SIMULATE '{' sim_stmts '}'  { $$ = ast_decl(A, DC_SIMULATE, @1); $$->body = $3; }
    | FUNC IDENT '(' params ')' '=' expr
                              { $$ = ast_decl(A, DC_FUNC, @1); $$->name = $2; $$->name_loc = @2;
                                $$->params = $4; $$->e = $7; }
    /* cables (compiler/sema_cable.c) */
    | MORPHOLOGY IDENT '{' sections '}'
                              { $$ = ast_decl(A, DC_MORPHOLOGY, @1); $$->name = $2; $$->name_loc = @2; $$->body = $4; }
    | MORPHOLOGY IDENT FROM STRING
                              { $$ = ast_decl(A, DC_MORPHOLOGY, @1); $$->name = $2; $$->name_loc = @2;
                                $$->path = $4; $$->e = ast_name(A, @4, $4); }
    /* population models: `on` and `of` are checked by compiler/sema_population.c */
    | FIELD IDENT IDENT IDENT '(' kwargs ')' '{' stmts '}'
                              { $$ = ast_decl(A, DC_FIELD, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->params, ast_idref(A, $3, @3));
                                $$->path = $4; $$->e = ast_name(A, @4, $4);
                                for (int i = 0; i < $6.n; i++) vec_push(A, &$$->params, $6.v[i]);
                                $$->body = $9; }
    | DENSITY IDENT IDENT IDENT '{' stmts '}'
                              { $$ = ast_decl(A, DC_DENSITY, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->params, ast_idref(A, $3, @3));
                                $$->path = $4; $$->e = ast_name(A, @4, $4); $$->body = $6; }
    /* networks (docs/language.md 5.9): `population NAME = N of CELL { X(0) = ... }`;
     * `of` is a name here (checked in compiler/sema_network.c), not a keyword */
    | POPULATION IDENT '=' expr IDENT IDENT pop_body
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; vec_push(A, &$$->params, ast_idref(A, $5, @5));
                                vec_push(A, &$$->params, ast_idref(A, $6, @6)); $$->body = $7; }
    /* `source NAME = N poisson RATE`: N spike sources, kept as a
     * DC_POPULATION with one param (the kind) and a `rate` setting as its
     * body (compiler/sema_network.c) */
    | SOURCE IDENT '=' expr IDENT expr
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; vec_push(A, &$$->params, ast_idref(A, $5, @5));
                                Stmt *r = ast_stmt(A, ST_SETTING, @6); r->name = "rate"; r->name_loc = @6; r->e = $6;
                                vec_push(A, &$$->body, r); }
    /* regular and spike-time sources (compiler/sema_network.c):
     * `source NAME = N regular RATE phase T` and
     * `source NAME = [N] spikes [T1, T2, ...]`; the times are a `times`
     * setting (exprs), the phase a `phase` setting */
    | SOURCE IDENT '=' expr IDENT expr IDENT expr
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; vec_push(A, &$$->params, ast_idref(A, $5, @5));
                                Stmt *r = ast_stmt(A, ST_SETTING, @6); r->name = "rate"; r->name_loc = @6; r->e = $6;
                                vec_push(A, &$$->body, r);
                                Stmt *ph = ast_stmt(A, ST_SETTING, @7); ph->name = $7; ph->name_loc = @7; ph->e = $8;
                                vec_push(A, &$$->body, ph); }
    | SOURCE IDENT '=' expr IDENT '[' exprlist ']'
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; vec_push(A, &$$->params, ast_idref(A, $5, @5));
                                Stmt *r = ast_stmt(A, ST_SETTING, @6); r->name = "times"; r->name_loc = @6; r->exprs = $7;
                                vec_push(A, &$$->body, r); }
    /* `source NAME = [N] spikes from "times.csv"`: per-source times, the path
     * in a `file` setting */
    | SOURCE IDENT '=' expr IDENT FROM STRING
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; vec_push(A, &$$->params, ast_idref(A, $5, @5));
                                Stmt *r = ast_stmt(A, ST_SETTING, @7); r->name = "file"; r->name_loc = @7;
                                r->e = ast_name(A, @7, $7); vec_push(A, &$$->body, r); }
    | SOURCE IDENT '=' IDENT FROM STRING
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->params, ast_idref(A, $4, @4));
                                Stmt *r = ast_stmt(A, ST_SETTING, @6); r->name = "file"; r->name_loc = @6;
                                r->e = ast_name(A, @6, $6); vec_push(A, &$$->body, r); }
    | SOURCE IDENT '=' IDENT '[' exprlist ']'
                              { $$ = ast_decl(A, DC_POPULATION, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->params, ast_idref(A, $4, @4));
                                Stmt *r = ast_stmt(A, ST_SETTING, @5); r->name = "times"; r->name_loc = @5; r->exprs = $6;
                                vec_push(A, &$$->body, r); }
    | PROJECT IDENT ARROW IDENT '{' proj_stmts '}'
                              { $$ = ast_decl(A, DC_PROJECT, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->params, ast_idref(A, $4, @4)); $$->body = $6; }
    | synapse_decl
    ;

/* synapses (compiler/sema_synapse.c): a channel that spikes of projections
 * drive through its `on spike(w) { X += EXPR }` block */
synapse_decl: SYNAPSE IDENT '{' stmts '}'
                              { $$ = ast_decl(A, DC_CHANNEL, @1); $$->name = $2; $$->name_loc = @2;
                                $$->body = $4; $$->synapse = true; }
    ;

/* `on` is a name (fields use it too), checked in compiler/sema_synapse.c */
synapse_stmt: IDENT SPIKE '(' IDENT ')' '{' stmts '}'
                              { $$ = ast_stmt(A, ST_ON_SPIKE, @1); $$->name = $4; $$->name_loc = @4;
                                vec_push(A, &$$->names, ast_idref(A, $1, @1)); $$->body = $7; }
    | IDENT PLUSEQ expr       { $$ = ast_stmt(A, ST_INCR, @1); $$->name = $1; $$->name_loc = @1; $$->e = $3; }
    ;

pop_body: %empty              { $$ = (PtrVec){0}; }
        | '{' stmts '}'       { $$ = $2; }
        ;

/* `IDENT expr` settings of a projection are told apart by name in
 * compiler/sema_network.c, like those of simulate */
proj_stmts: %empty            { $$ = (PtrVec){0}; }
     | proj_stmt              { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
     | proj_stmts sep         { $$ = $1; }
     | proj_stmts sep proj_stmt { $$ = $1; vec_push(A, &$$, $3); }
     | error                  { $$ = (PtrVec){0}; }
     | proj_stmts sep error   { $$ = $1; }
     ;

proj_stmt: IDENT expr         { $$ = ast_stmt(A, ST_SETTING, @1); $$->name = $1; $$->name_loc = @1; $$->e = $2; }
     | CONNECT IDENT          { $$ = ast_stmt(A, ST_CONNECT, @1); $$->name = $2; $$->name_loc = @2; }
     | CONNECT IDENT expr     { $$ = ast_stmt(A, ST_CONNECT, @1); $$->name = $2; $$->name_loc = @2; $$->e = $3; }
     /* `weight W scale 1/sqrt(K)` (compiler/sema_balance.c): the word in e3, the scale in e2 */
     | IDENT expr IDENT expr  { $$ = ast_stmt(A, ST_SETTING, @1); $$->name = $1; $$->name_loc = @1; $$->e = $2;
                                $$->e2 = $4; $$->e3 = ast_name(A, @3, $3); }
     /* edge-list files: `connect from "edges.csv"` (the path in e2) */
     | CONNECT FROM STRING    { $$ = ast_stmt(A, ST_CONNECT, @1); $$->name = "from"; $$->name_loc = @2;
                                $$->e2 = ast_name(A, @3, $3); }
     | SYNAPSE IDENT          { $$ = ast_stmt(A, ST_SETTING, @1); $$->name = "synapse"; $$->name_loc = @1;
                                $$->e = ast_name(A, @2, $2); }
     ;

/* keyword arguments name = value (geometry, kernels, inputs): ST_DEF statements */
kwargs: %empty                { $$ = (PtrVec){0}; }
      | kwlist                { $$ = $1; }
      ;
kwlist: IDENT '=' expr        { $$ = (PtrVec){0}; Stmt *s = ast_stmt(A, ST_DEF, @1); s->name = $1; s->name_loc = @1;
                                s->e = $3; vec_push(A, &$$, s); }
      | kwlist ',' IDENT '=' expr
                              { $$ = $1; Stmt *s = ast_stmt(A, ST_DEF, @3); s->name = $3; s->name_loc = @3;
                                s->e = $5; vec_push(A, &$$, s); }
      ;

/* cables: the sections of a morphology block, and locations sec(x) */
sections: %empty              { $$ = (PtrVec){0}; }
     | section                { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
     | sections sep           { $$ = $1; }
     | sections sep section   { $$ = $1; vec_push(A, &$$, $3); }
     | error                  { $$ = (PtrVec){0}; }
     | sections sep error     { $$ = $1; }
     ;

section: IDENT IDENT '(' kwargs ')'
                              { $$ = ast_stmt(A, ST_SECTION, @1); $$->name = $1; $$->name_loc = @1;
                                vec_push(A, &$$->names, ast_idref(A, $2, @2)); $$->exprs = $4; }
    | IDENT IDENT '(' kwargs ')' FROM where
                              { $$ = ast_stmt(A, ST_SECTION, @1); $$->name = $1; $$->name_loc = @1;
                                vec_push(A, &$$->names, ast_idref(A, $2, @2)); $$->exprs = $4; $$->at = $7; }
    | IDENT IDENT '(' kwargs ')' FROM IDENT
                              { $$ = ast_stmt(A, ST_SECTION, @1); $$->name = $1; $$->name_loc = @1;
                                vec_push(A, &$$->names, ast_idref(A, $2, @2)); $$->exprs = $4;
                                $$->at = ast_name(A, @7, $7); }
    ;

where: IDENT '(' expr ')'     { PtrVec a = {0}; vec_push(A, &a, $3); $$ = ast_call(A, loc_span(@1, @4), $1, a); }
     ;

locref: IDENT '@' where       { $$ = $3; $$->a = ast_name(A, @1, $1); }
      ;

locrefs: locref               { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
       | locrefs ',' locref   { $$ = $1; vec_push(A, &$$, $3); }
       ;

params: %empty                { $$ = (PtrVec){0}; }
      | idlist                { $$ = $1; }
      ;

/* statements separated by newlines or ';' (empty ones allowed) */
stmts: %empty                 { $$ = (PtrVec){0}; }
     | stmt                   { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
     | stmts sep              { $$ = $1; }
     | stmts sep stmt         { $$ = $1; vec_push(A, &$$, $3); }
     | error                  { $$ = (PtrVec){0}; }
     | stmts sep error        { $$ = $1; }
     ;

stmt: PARAM IDENT '=' expr    { $$ = ast_stmt(A, ST_PARAM, @1); $$->name = $2; $$->name_loc = @2; $$->e = $4; }
    | STATE IDENT '=' expr    { $$ = ast_stmt(A, ST_STATE, @1); $$->name = $2; $$->name_loc = @2; $$->e = $4; }
    | STATE IDENT             { $$ = ast_stmt(A, ST_STATE, @1); $$->name = $2; $$->name_loc = @2; }
    | IDENT '=' expr          { $$ = ast_stmt(A, ST_DEF, @1); $$->name = $1; $$->name_loc = @1; $$->e = $3; }
    | IDENT '(' NUMBER ')' '=' expr
                              { $$ = ast_stmt(A, ST_INIT, @1); $$->name = $1; $$->name_loc = @1; $$->e = $6;
                                $$->e2 = ast_num(A, @3, $3.v, $3.unit, $3.uloc); }
    | IDENT PRIME '=' expr    { $$ = ast_stmt(A, ST_ODE, @1); $$->name = $1; $$->name_loc = @1; $$->e = $4; }
    | CURRENT expr            { $$ = ast_stmt(A, ST_CURRENT, @1); $$->e = $2; }
    | INSERT idlist           { $$ = ast_stmt(A, ST_INSERT, @1); $$->names = $2; }
    | STIMULUS IDENT '=' expr { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2; $$->e = $4; }
    | STIMULUS IDENT '=' expr DURING '[' expr ',' expr ']'
                              { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; $$->e2 = $7; $$->e3 = $9; }
    | STIMULUS IDENT '=' expr FROM expr
                              { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; $$->e2 = $6; }
    | SPIKE WHEN IDENT CROSSES expr
                              { $$ = ast_stmt(A, ST_SPIKE, @1); $$->name = $3; $$->name_loc = @3; $$->e = $5; }
    | RESET IDENT '=' expr    { $$ = ast_stmt(A, ST_RESET, @1); $$->name = $2; $$->name_loc = @2; $$->e = $4; }
    | REFRACTORY expr         { $$ = ast_stmt(A, ST_REFRACTORY, @1); $$->e = $2; }
    | Q10 expr AT expr        { $$ = ast_stmt(A, ST_Q10, @1); $$->e = $2; $$->e2 = $4; }
    | GATE IDENT '{' stmts '}'
                              { $$ = ast_stmt(A, ST_GATE, @1);
                                $$->decl = ast_decl(A, DC_GATE, @1); $$->decl->name = $2;
                                $$->decl->name_loc = @2; $$->decl->body = $4;
                                $$->name = $2; $$->name_loc = @2; }
    /* cables (compiler/sema_cable.c) */
    | MORPHOLOGY IDENT        { $$ = ast_stmt(A, ST_MORPH, @1); $$->name = $2; $$->name_loc = @2; }
    | INSERT idlist EVERYWHERE
                              { $$ = ast_stmt(A, ST_INSERT, @1); $$->names = $2; $$->everywhere = true; }
    | INSERT idlist IN idlist { $$ = ast_stmt(A, ST_INSERT, @1); $$->names = $2; $$->regions = $4; }
    | IDENT '=' expr IN idlist
                              { $$ = ast_stmt(A, ST_DEF, @1); $$->name = $1; $$->name_loc = @1; $$->e = $3;
                                $$->regions = $5; }
    | DISCRETIZE IDENT expr   { $$ = ast_stmt(A, ST_DISCRETIZE, @1); $$->name = $2; $$->name_loc = @2; $$->e = $3; }
    | STIMULUS IDENT '=' expr AT where
                              { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; $$->at = $6; }
    | STIMULUS IDENT '=' expr DURING '[' expr ',' expr ']' AT where
                              { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; $$->e2 = $7; $$->e3 = $9; $$->at = $12; }
    | STIMULUS IDENT '=' expr FROM expr AT where
                              { $$ = ast_stmt(A, ST_STIMULUS, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $4; $$->e2 = $6; $$->at = $8; }
    /* population models (compiler/sema_population.c) */
    | KERNEL IDENT '=' IDENT '(' kwargs ')'
                              { $$ = ast_stmt(A, ST_KERNEL, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = ast_call(A, loc_span(@4, @7), $4, (PtrVec){0}); $$->exprs = $6; }
    | KERNEL IDENT '(' IDENT ')' '=' expr
                              { $$ = ast_stmt(A, ST_KERNEL, @1); $$->name = $2; $$->name_loc = @2;
                                vec_push(A, &$$->names, ast_idref(A, $4, @4)); $$->e = $7; }
    | GRID IDENT IN '[' expr ',' expr ']' IDENT expr
                              { $$ = ast_stmt(A, ST_GRID, @1); $$->name = $2; $$->name_loc = @2;
                                $$->e = $5; $$->e2 = $7; $$->e3 = $10;
                                vec_push(A, &$$->names, ast_idref(A, $9, @9)); }
    | INPUT kwlist            { $$ = ast_stmt(A, ST_INPUT, @1); $$->exprs = $2; }
    | synapse_stmt
    ;

sim_stmts: %empty             { $$ = (PtrVec){0}; }
     | sim_stmt               { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
     | sim_stmts sep          { $$ = $1; }
     | sim_stmts sep sim_stmt { $$ = $1; vec_push(A, &$$, $3); }
     | error                  { $$ = (PtrVec){0}; }
     | sim_stmts sep error    { $$ = $1; }
     ;

/* `IDENT expr` settings are told apart by name in compiler/sema.c, so that
 * a misspelt setting gets a "did you mean" rather than a syntax error. */
sim_stmt: IDENT expr          { $$ = ast_stmt(A, ST_SETTING, @1); $$->name = $1; $$->name_loc = @1; $$->e = $2; }
    | RECORD idlist           { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD; $$->names = $2; }
    | RECORD idlist EVERY expr
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD; $$->names = $2; $$->e = $4; }
    | RECORD RATES EVERY expr { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_RATES; $$->e = $4; }
    /* the default bin (compiler/sema_simulate.c): e is NULL */
    | RECORD RATES            { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_RATES; }
    /* `record spikes per population`: `per` is a name here, checked in
     * compiler/sema_simulate.c like `of` */
    | RECORD idlist IDENT POPULATION
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_PER; $$->names = $2;
                                $$->name = $3; $$->name_loc = @3; }
    | RECORD idlist IDENT netrefs
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_OF; $$->names = $2;
                                $$->name = $3; $$->name_loc = @3; $$->exprs = $4; }
    | RECORD idlist IDENT netrefs EVERY expr
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_OF; $$->names = $2;
                                $$->name = $3; $$->name_loc = @3; $$->exprs = $4; $$->e = $6; }
    | RECORD locrefs          { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_AT; $$->exprs = $2; }
    | RECORD locrefs EVERY expr
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_RECORD_AT; $$->exprs = $2; $$->e = $4; }
    | VARY IDENT FROM expr TO expr
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_VARY_RANGE;
                                $$->name = $2; $$->name_loc = @2; $$->e = $4; $$->e2 = $6; }
    | VARY IDENT IN '[' exprlist ']'
                              { $$ = ast_stmt(A, ST_SETTING, @1); $$->key = SIM_VARY_LIST;
                                $$->name = $2; $$->name_loc = @2; $$->exprs = $5; }
    ;

/* neurons of a network: exc[0, 5], exc[0:10, 12] or a whole population;
 * a range lo:hi (half-open) is a call of ":" (compiler/sema_network.c) */
netref: IDENT '[' netidxs ']' { $$ = ast_call(A, @1, $1, $3); }
      | IDENT                 { $$ = ast_name(A, @1, $1); }
      ;

netidx: expr                  { $$ = $1; }
      | expr ':' expr         { PtrVec a = {0}; vec_push(A, &a, $1); vec_push(A, &a, $3);
                                $$ = ast_call(A, loc_span($1->loc, $3->loc), ":", a); }
      ;

netidxs: netidx               { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
       | netidxs ',' netidx   { $$ = $1; vec_push(A, &$$, $3); }
       ;

netrefs: netref               { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
       | netrefs ',' netref   { $$ = $1; vec_push(A, &$$, $3); }
       ;

idlist: IDENT                 { $$ = (PtrVec){0}; vec_push(A, &$$, ast_idref(A, $1, @1)); }
      | idlist ',' IDENT      { $$ = $1; vec_push(A, &$$, ast_idref(A, $3, @3)); }
      ;

exprlist: expr                { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
        | exprlist ',' expr   { $$ = $1; vec_push(A, &$$, $3); }
        ;

expr: primary
    | '-' expr %prec UMINUS   { $$ = ast_unary(A, @1, EX_NEG, $2); }
    | '+' expr %prec UMINUS   { $$ = $2; }
    | '!' expr                { $$ = ast_unary(A, @1, EX_NOT, $2); }
    | expr '+' expr           { $$ = ast_binary(A, @2, OP_ADD, $1, $3); }
    | expr '-' expr           { $$ = ast_binary(A, @2, OP_SUB, $1, $3); }
    | expr '*' expr           { $$ = ast_binary(A, @2, OP_MUL, $1, $3); }
    | expr '/' expr           { $$ = ast_binary(A, @2, OP_DIV, $1, $3); }
    | expr '^' expr           { $$ = ast_binary(A, @2, OP_POW, $1, $3); }
    | expr '<' expr           { $$ = ast_binary(A, @2, OP_LT, $1, $3); }
    | expr '>' expr           { $$ = ast_binary(A, @2, OP_GT, $1, $3); }
    | expr LE expr            { $$ = ast_binary(A, @2, OP_LE, $1, $3); }
    | expr GE expr            { $$ = ast_binary(A, @2, OP_GE, $1, $3); }
    | expr EQ expr            { $$ = ast_binary(A, @2, OP_EQ, $1, $3); }
    | expr NE expr            { $$ = ast_binary(A, @2, OP_NE, $1, $3); }
    | expr AND expr           { $$ = ast_binary(A, @2, OP_AND, $1, $3); }
    | expr OR expr            { $$ = ast_binary(A, @2, OP_OR, $1, $3); }
    | expr '?' expr ':' expr  { $$ = ast_cond(A, @2, $1, $3, $5); }
    ;

primary: NUMBER               { $$ = ast_num(A, @1, $1.v, $1.unit, $1.uloc); }
    | IDENT                   { $$ = ast_name(A, @1, $1); }
    | IDENT '(' args ')'      { $$ = ast_call(A, loc_span(@1, @4), $1, $3); }
    | '(' expr ')'            { $$ = $2; $$->loc = loc_span(@1, @3); }
    ;

args: %empty                  { $$ = (PtrVec){0}; }
    | arglist
    ;

arglist: expr                 { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
       | arglist ',' expr     { $$ = $1; vec_push(A, &$$, $3); }
       ;

%%

static void yyerror(Loc *loc, ParseCtx *ctx, const char *msg) {
  if (strcmp(msg, "memory exhausted") == 0)
    diag_error(ctx->diag, *loc, "E0104", "this expression is nested too deeply for the parser");
  else
    diag_error(ctx->diag, *loc, "E0101", "%s", msg);
}

/* Keywords print quoted ('current'); token classes as words (name). */
static const char *token_text(yysymbol_kind_t k) {
  static char buf[32];
  const char *s = yysymbol_name(k);
  /* a keyword is one lowercase word; the token classes are "name",
   * "number", "string" and "end of line" */
  bool word = s[0] >= 'a' && s[0] <= 'z' && strlen(s) < sizeof buf - 2;
  for (const char *p = s; word && *p; p++) word = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
  if (word && strcmp(s, "name") != 0 && strcmp(s, "number") != 0 && strcmp(s, "string") != 0) {
    snprintf(buf, sizeof buf, "'%s'", s);
    return buf;
  }
  return s;
}

/* "unexpected X; expected Y or Z" in words a modeller reads easily. */
static int yyreport_syntax_error(const yypcontext_t *pctx, ParseCtx *ctx) {
  enum { MAX = 6 };
  yysymbol_kind_t expected[MAX];
  int n = yypcontext_expected_tokens(pctx, expected, MAX);
  yysymbol_kind_t got = yypcontext_token(pctx);
  StrBuf b = {0};
  if (got == YYSYMBOL_YYEOF) sb_puts(&b, "unexpected end of file");
  else sb_printf(&b, "unexpected %s", token_text(got));
  if (n > 0 && n < MAX) {
    sb_puts(&b, "; expected ");
    for (int i = 0; i < n; i++) {
      if (i) sb_puts(&b, i == n - 1 ? " or " : ", ");
      sb_puts(&b, token_text(expected[i]));
    }
  }
  char *msg = sb_take(&b);
  diag_error(ctx->diag, *yypcontext_location(pctx), "E0101", "%s", msg);
  free(msg);
  return 0;
}

#undef scanner
bool parse_file(Arena *arena, Diag *diag, SrcFile *file, PtrVec *decls) {
  LexState st = {.arena = arena, .diag = diag, .file = file, .line = 1, .col = 1};
  ParseCtx ctx = {.arena = arena, .diag = diag, .decls = decls};
  int before = diag->nerrors;
  if (yylex_init_extra(&st, &ctx.scanner)) return false;
  YY_BUFFER_STATE buf = yy_scan_string(file->text, ctx.scanner);
  int rc = yyparse(&ctx);
  yy_delete_buffer(buf, ctx.scanner);
  yylex_destroy(ctx.scanner);
  return rc == 0 && diag->nerrors == before;
}
