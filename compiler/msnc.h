/* compiler/msnc.h — the compiler library: load, check, lower, generate.
 *
 *   Compilation c;  msnc_init(&c, stderr);
 *   msnc_load(&c, "model.msn")          parse the file and its imports
 *   msnc_check(&c)                      names, units, simulate settings
 *   Mir *m = msnc_lower(&c)             model IR (compiler/mir.h)
 *   cg_build / cg_optimize / ...        code generation (compiler/codegen.h)
 *   msnc_free(&c);
 */
#ifndef MSNC_H
#define MSNC_H

#include "ast.h"
#include "diag.h"
#include "mir.h"
#include "sema.h"

typedef struct Compilation {
  Arena *arena;
  Diag diag;
  Program prog;
  SimSpec sim;
  const char *main_path;
  char *stdlib_dir;     /* where `import "hh"` looks */
} Compilation;

void msnc_init(Compilation *c, FILE *diag_out);
void msnc_free(Compilation *c);
/* Directory of the standard library: $MSN_STDLIB, the source tree when
 * msnc runs from its build tree, else the installed one. */
char *msnc_stdlib_dir(void);
bool msnc_load(Compilation *c, const char *path);
/* The main file from memory, as if read from path (imports resolve from
 * there); for the fuzz harness. */
bool msnc_load_string(Compilation *c, const char *path, const char *text);
bool msnc_check(Compilation *c);
Mir *msnc_lower(Compilation *c);

/* Print the model IR for `msnc info`. */
void mir_print_info(FILE *out, const Mir *m);
/* Expression to text, in SI. */
void mir_print_expr(StrBuf *b, const Mir *m, const MirExpr *e);
/* compiler/lower_synapse.c: the deliveries of a network's projections. */
void synapse_print_info(FILE *out, const Mir *m);

/* ---- channel kernels for other simulators (msnc kernel) -------------------
 * compiler/lower_kernel.c: each channel becomes a Mir of its own whose
 * states[0] is V, an input of the kernels (never stored); see
 * docs/kernel-abi.md for the C ABI generated from it (compiler/codegen_kernel.c). */
typedef struct MirKernel {
  Mir *m;                /* m->name is the channel: the symbol prefix */
  Decl *decl;            /* the channel */
  MirExpr *current;      /* current density, A/m^2, outward positive */
  MirExpr *conductance;  /* d current / dV with the states held, S/m^2 */
  int nabi;              /* parameters at the ABI, in ABI order: */
  int *abi_param;        /*   their indices into m->params */
  const char **abi_param_name; /* their names there ("gbar", "celsius") */
  int celsius_param;     /* index of celsius in m->params */
} MirKernel;
/* Lower the channels named in the comma-separated list `channels` (NULL or
 * empty: every channel of the main file); parameters named in
 * `per_compartment` ("gbar,E" or "Na.gbar") become per-instance (arrays at
 * the ABI).  NULL with diagnostics on error (E0610-E0613). */
MirKernel *msnc_lower_kernels(Compilation *c, const char *channels, const char *per_compartment, int *count);

#endif
