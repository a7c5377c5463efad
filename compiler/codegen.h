/* compiler/codegen.h — model IR (compiler/mir.h) to LLVM IR through the
 * LLVM C API, optimisation with the new pass manager, object emission and
 * in-process JIT execution.
 *
 * The generated module holds, for a Mir named NAME:
 *   NAME_init, NAME_gates, NAME_step, NAME_rhs  kernels (runtime/msnrt.h ABI)
 *   msn_model_desc                              MsnModel constant
 *   main (only with CgOptions.with_main)        return msn_main(&msn_model_desc, argc, argv)
 */
#ifndef MSN_CODEGEN_H
#define MSN_CODEGEN_H

#include <stdbool.h>
#include "mir.h"

typedef struct CgOptions {
  bool generic_target; /* --target generic: portable x86-64 code, no host features */
  int opt_level;       /* 0..3; 3 runs "default<O3>" */
  bool with_main;      /* define main() (msnc build); not for JIT or kernels */
} CgOptions;

typedef struct CgModule CgModule;

/* Build the LLVM module for m.  On failure returns NULL and sets *err to a
 * malloc'd message. */
CgModule *cg_build(const Mir *m, const CgOptions *opt, char **err);
/* Verify (LLVMVerifyModule) then run the pass pipeline for opt_level. */
bool cg_optimize(CgModule *cm, char **err);
/* Textual IR (malloc'd; free with free()). */
char *cg_print_ir(CgModule *cm);
/* Write a relocatable object file for the module's target. */
bool cg_emit_object(CgModule *cm, const char *path, char **err);
/* JIT the module (LLJIT), look up msn_model_desc and call msn_main with
 * argc/argv.  Returns msn_main's status; -1 with *err set when JIT fails.
 * Takes ownership of the module: cm is freed before returning, on success
 * and on failure (do not call cg_free on it afterwards). */
int cg_jit_run(CgModule *cm, int argc, char **argv, char **err);
/* JIT the module (first call only; the LLVM module then belongs to the JIT,
 * so cg_print_ir/cg_optimize/cg_emit_object no longer work) and return the
 * address of an exported symbol ("msn_model_desc", "NAME_step", ...).
 * NULL with *err set on failure.  The code stays valid until cg_free, which
 * the caller still calls (unlike cg_jit_run, this does not consume cm). */
void *cg_jit_symbol(CgModule *cm, const char *name, char **err);
void cg_free(CgModule *cm);

/* ---- channel kernels (msnc kernel; compiler/codegen_kernel.c) -------------
 * For each MirKernel (compiler/msnc.h) NAME: NAME_abi_version, NAME_info,
 * NAME_init, NAME_state_update, NAME_current with the C ABI of
 * docs/kernel-abi.md; every pointer argument noalias, one loop over
 * [0, n) that the loop vectoriser widens. */
struct MirKernel;
CgModule *cg_build_kernels(const struct MirKernel *k, int n, const CgOptions *opt, char **err);
/* The C header declaring those functions; false with *err (malloc'd). */
bool cg_write_kernel_header(const struct MirKernel *k, int n, const char *path, char **err);

#endif
