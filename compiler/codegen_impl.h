/* compiler/codegen_impl.h — internals shared by the code generator files
 * (codegen_expr.c, codegen_math.c, codegen_model.c, codegen_desc.c,
 * target.c).  Not part of the compiler's public interface: see codegen.h.
 */
#ifndef MSN_CODEGEN_IMPL_H
#define MSN_CODEGEN_IMPL_H

#include <stdbool.h>
#include <llvm-c/Core.h>
#include <llvm-c/Orc.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include "codegen.h"
#include "util.h"

/* The handle behind CgModule.  The module lives in the context of a
 * thread-safe context so that it can be handed to LLJIT; once it is, `mod`
 * is NULL and the JIT owns it. */
struct CgModule {
  LLVMOrcThreadSafeContextRef tsc;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMTargetMachineRef tm;
  char *cpu, *features;  /* what tm was created with (function attributes) */
  LLVMOrcLLJITRef jit;   /* NULL until the first JIT request */
  CgOptions opt;
  char *name;            /* model name (symbol prefix) */
  bool optimized;
};

/* Lazily created helper functions (internal, alwaysinline). */
typedef enum CgHelper {
  CG_H_EXP, CG_H_EXPRELR, CG_H_PHI1, CG_H_SIGMOID, CG_H_TANH, CG_H_COUNT
} CgHelper;

/* State of one cg_build: builder, cached types, the first error. */
typedef struct Cg {
  const Mir *m;
  CgModule *cm;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef f64, i64, i32, i8, i1, ptr, void_t;
  LLVMValueRef helper[CG_H_COUNT];
  char *err;             /* first error (malloc'd), NULL while all is well */
  PtrMap memo;           /* MirExpr* -> LLVMValueRef for the current CgEnv:
                            shared subexpressions are emitted once */
  bool vstep_b_each;     /* vstep stores b for every instance, never once
                            (MSN_VSTEP_B_SHARED): a network of several cells */
} Cg;

/* Forget the emitted subexpressions: call whenever an environment is set up
 * (new kernel or new state values). */
void cg_memo_reset(Cg *cg);

/* Updates and constants shared by codegen_model.c and codegen_kernel.c
 * (codegen_expr.c). */
/* Whether v is the same in every iteration of the loop being generated
 * (the loop's body follows the function's entry block). */
bool cg_loop_invariant(Cg *cg, LLVMValueRef v);
LLVMValueRef cg_cnexp_update(Cg *cg, LLVMValueRef x, LLVMValueRef a, LLVMValueRef b, LLVMValueRef dt);
LLVMValueRef cg_implicit_update(Cg *cg, LLVMValueRef x, LLVMValueRef f, LLVMValueRef jac, LLVMValueRef dt);
LLVMValueRef cg_private_const(Cg *cg, LLVMValueRef init, const char *name, unsigned align);
LLVMValueRef cg_cstring(Cg *cg, const char *s);
void cg_init(Cg *cg, const Mir *m, CgModule *cm);
/* The end of every build: the builder and memo released; cm, or NULL with
 * *err set (and cm freed) when code generation failed. */
CgModule *cg_finish(Cg *cg, CgModule *cm, char **err);

/* How MIR_WINDOW is evaluated. */
typedef enum CgWindowMode {
  CG_WIN_INDICATOR, /* a <= t && t < b, with t = CgEnv.t */
  CG_WIN_AVERAGE    /* fraction of [w0, w0 + wdt] inside [a, b) */
} CgWindowMode;

/* What an expression can see while it is emitted.  NULL entries of
 * `states` are states not available yet (init kernel); NULL entries of
 * `derived` are derived quantities not emitted yet: they are emitted on
 * first use and cached, which is valid because a kernel's loop body is a
 * single basic block. */
typedef struct CgEnv {
  LLVMValueRef *states;  /* m->nstates */
  LLVMValueRef *params;  /* m->nparams: scalar from P or this instance's column */
  LLVMValueRef *derived; /* m->nderived cache */
  int derived_limit;     /* only derived indices < limit may be used */
  LLVMValueRef t;        /* MIR_TIME */
  CgWindowMode win;
  LLVMValueRef w0, wdt;  /* CG_WIN_AVERAGE interval */
  const char *what;      /* for messages: "rhs of state 'V'" */
} CgEnv;

/* ---- codegen_model.c ---------------------------------------------------- */
/* Record the first error (printf-style); later ones are dropped. */
void cg_fail(Cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strings owned by the caller, malloc'd copies. */
char *cg_strdup(const char *s);
char *cg_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Common attributes of every function we define (nounwind, target cpu and
 * features so that JIT and object code agree and inlining is legal). */
void cg_function_attrs(Cg *cg, LLVMValueRef fn);
void cg_add_enum_attr(Cg *cg, LLVMValueRef fn, unsigned idx, const char *name);

/* The exported kernel NAME_KIND of cg->m (kind: 0 init, 1 gates, 2 step,
 * 3 rhs, 4 noise, 5 vlin, 7 noise_step), and the checks of a model before code
 * generation (an error message, or NULL). */
LLVMValueRef cg_model_kernel(Cg *cg, int kind);
char *cg_validate(const Mir *m);
/* compiler/codegen_cells.c: a network of several cells (Mir.cells) */
CgModule *cg_build_cells(const Mir *m, const CgOptions *opt, char **err);

/* ---- codegen_expr.c ----------------------------------------------------- */
LLVMValueRef cg_expr(Cg *cg, CgEnv *env, const MirExpr *e);
LLVMValueRef cg_const(Cg *cg, double v);
/* Evaluate (and cache) derived quantity d in env. */
LLVMValueRef cg_derived(Cg *cg, CgEnv *env, int d);

/* ---- codegen_math.c ----------------------------------------------------- */
LLVMValueRef cg_math_exp(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_math_exprelr(Cg *cg, LLVMValueRef x);
/* phi1(x) = (exp(x) - 1)/x = 1/exprelr(x), 1 at x == 0 (one division). */
LLVMValueRef cg_math_phi1(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_math_sigmoid(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_math_tanh(Cg *cg, LLVMValueRef x);
/* llvm.<name>.f64 with one or two double arguments ("sqrt", "fabs",
 * "minnum", "maxnum", "log", "sin", "cos", "pow", "copysign"). */
LLVMValueRef cg_math_intrinsic(Cg *cg, const char *name, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_math_powi(Cg *cg, LLVMValueRef x, int n);
/* MIR_CALL dispatch; args has fn's arity. */
LLVMValueRef cg_math_call(Cg *cg, MirFn fn, LLVMValueRef *args);
int cg_math_arity(MirFn fn);
const char *cg_math_name(MirFn fn);

/* ---- codegen_desc.c ----------------------------------------------------- */
/* msn_model_desc, pointing at the kernels init, gates, step, rhs and noise
 * (a null pointer for a kernel the model does not have); main when asked. */
void cg_emit_desc(Cg *cg, LLVMValueRef kernels[6]); /* init gates step rhs noise vlin */
void cg_emit_main(Cg *cg);
/* compiler/codegen_cable.c: the global msn_cable_desc when the module has
 * one (a cell with a morphology), else a null pointer */
LLVMValueRef cg_cable_desc(Cg *cg);
/* compiler/codegen_network.c: the MsnNetwork descriptor, or a null pointer */
LLVMValueRef cg_emit_network(Cg *cg);
/* compiler/codegen_population.c: MsnModel.population (fields, densities), or null */
LLVMValueRef cg_population_desc(Cg *cg);

/* ---- target.c ----------------------------------------------------------- */
/* Create cm->tsc/ctx/mod/tm, set the module's triple and data layout. */
bool cg_target_setup(CgModule *cm, const char *module_name, char **err);
/* Turn an LLVMErrorRef (consumed) into a malloc'd "what: message". */
char *cg_take_error(LLVMErrorRef e, const char *what);

#endif
