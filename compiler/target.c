/* compiler/target.c — target machine, pass pipeline, object emission and
 * LLJIT execution; lifetime of the LLVM objects behind CgModule.
 *
 * Only the native target is initialised.  The target machine uses the host
 * CPU and its features, or the generic x86-64 CPU without extra features for
 * --target generic, PIC relocations (so executables link as PIE), and the
 * same CPU/features are put on every function as attributes so that JIT
 * and object code agree.  The module's triple and data layout are set at
 * creation, before any optimisation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include "codegen_impl.h"
#include "msnrt.h"

static bool native_ready(void)
{
  static int state; /* 0 not tried, 1 ready, -1 unavailable */
  if (state == 0)
    state = LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter() ? -1 : 1;
  return state > 0;
}

char *cg_take_error(LLVMErrorRef e, const char *what)
{
  char *msg = LLVMGetErrorMessage(e);
  char *s = cg_strfmt("%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return s;
}

/* Copy an LLVM-allocated message into malloc'd memory. */
static char *take_message(char *msg)
{
  char *s = cg_strdup(msg ? msg : "");
  if (msg) LLVMDisposeMessage(msg);
  return s;
}

static LLVMCodeGenOptLevel codegen_level(int opt)
{
  return opt <= 0 ? LLVMCodeGenLevelNone : opt == 1 ? LLVMCodeGenLevelLess
       : opt == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
}

static void choose_cpu(CgModule *cm, const char *triple)
{
  if (cm->opt.generic_target) {
    bool x86 = strncmp(triple, "x86_64", 6) == 0;
    cm->cpu = cg_strdup(x86 ? "x86-64" : "generic");
    cm->features = cg_strdup("");
  } else {
    cm->cpu = take_message(LLVMGetHostCPUName());
    cm->features = take_message(LLVMGetHostCPUFeatures());
  }
}

static bool make_target_machine(CgModule *cm, const char *triple, char **err)
{
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    char *m = take_message(msg);
    *err = cg_strfmt("no LLVM target for '%s': %s", triple, m);
    free(m);
    return false;
  }
  if (msg) LLVMDisposeMessage(msg);
  choose_cpu(cm, triple);
  cm->tm = LLVMCreateTargetMachine(target, triple, cm->cpu, cm->features,
                                   codegen_level(cm->opt.opt_level), LLVMRelocPIC,
                                   LLVMCodeModelDefault);
  if (!cm->tm) {
    *err = cg_strfmt("cannot create a target machine for %s (cpu %s)", triple, cm->cpu);
    return false;
  }
  return true;
}

bool cg_target_setup(CgModule *cm, const char *module_name, char **err)
{
  if (!native_ready()) {
    *err = cg_strdup("LLVM has no native target for this host");
    return false;
  }
  char *host = LLVMGetDefaultTargetTriple();
  char *triple = LLVMNormalizeTargetTriple(host);
  LLVMDisposeMessage(host);
  bool ok = make_target_machine(cm, triple, err);
  if (ok) {
    cm->tsc = LLVMOrcCreateNewThreadSafeContext();
    cm->ctx = LLVMOrcThreadSafeContextGetContext(cm->tsc);
    cm->mod = LLVMModuleCreateWithNameInContext(module_name, cm->ctx);
    LLVMSetTarget(cm->mod, triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(cm->tm);
    LLVMSetModuleDataLayout(cm->mod, td);
    LLVMDisposeTargetData(td);
  }
  LLVMDisposeMessage(triple);
  return ok;
}

/* ---- verification and optimisation --------------------------------------- */

static bool have_module(CgModule *cm, char **err)
{
  if (cm->mod) return true;
  *err = cg_strdup("the module has been handed to the JIT");
  return false;
}

static bool verify(CgModule *cm, char **err)
{
  char *msg = NULL;
  if (!LLVMVerifyModule(cm->mod, LLVMReturnStatusAction, &msg)) {
    if (msg) LLVMDisposeMessage(msg);
    return true;
  }
  char *m = take_message(msg);
  *err = cg_strfmt("internal error: generated LLVM IR is invalid: %s", m);
  free(m);
  return false;
}

bool cg_optimize(CgModule *cm, char **err)
{
  *err = NULL;
  if (!have_module(cm, err) || !verify(cm, err)) return false;
  int level = cm->opt.opt_level < 0 ? 0 : cm->opt.opt_level > 3 ? 3 : cm->opt.opt_level;
  char pipeline[32];
  snprintf(pipeline, sizeof pipeline, "default<O%d>", level);
  LLVMPassBuilderOptionsRef o = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(o, level >= 2);
  LLVMPassBuilderOptionsSetSLPVectorization(o, level >= 2);
  LLVMPassBuilderOptionsSetLoopInterleaving(o, level >= 2);
  LLVMPassBuilderOptionsSetLoopUnrolling(o, level >= 2);
  LLVMErrorRef e = LLVMRunPasses(cm->mod, pipeline, cm->tm, o);
  LLVMDisposePassBuilderOptions(o);
  if (e) {
    *err = cg_take_error(e, "optimisation failed");
    return false;
  }
  cm->optimized = true;
  return verify(cm, err); /* cheap; catches a broken pipeline early */
}

char *cg_print_ir(CgModule *cm)
{
  if (!cm || !cm->mod) return NULL;
  return take_message(LLVMPrintModuleToString(cm->mod));
}

/* Code generation rewrites the IR it is given (CodeGenPrepare), so the
 * object is produced from a clone: the module stays usable (JIT, IR). */
bool cg_emit_object(CgModule *cm, const char *path, char **err)
{
  *err = NULL;
  if (!have_module(cm, err) || !verify(cm, err)) return false;
  LLVMModuleRef clone = LLVMCloneModule(cm->mod);
  char *msg = NULL;
  bool failed = LLVMTargetMachineEmitToFile(cm->tm, clone, path, LLVMObjectFile, &msg);
  LLVMDisposeModule(clone);
  if (failed) {
    char *m = take_message(msg);
    *err = cg_strfmt("cannot write object file '%s': %s", path, m);
    free(m);
    return false;
  }
  if (msg) LLVMDisposeMessage(msg);
  return true;
}

/* ---- JIT ----------------------------------------------------------------- */

static LLVMErrorRef create_jit(CgModule *cm)
{
  LLVMOrcJITTargetMachineBuilderRef jtmb;
  LLVMErrorRef e = LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb);
  if (e) return e;
  LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
  e = LLVMOrcCreateLLJIT(&cm->jit, builder);
  if (e) {
    cm->jit = NULL;
    return e;
  }
  /* symbols of the running process: msn_main (msnc is linked -rdynamic
     with libmsnrt) and libm */
  LLVMOrcDefinitionGeneratorRef gen;
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, LLVMOrcLLJITGetGlobalPrefix(cm->jit), NULL, NULL);
  if (e) return e;
  LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(cm->jit), gen);
  return NULL;
}

static bool jit_start(CgModule *cm, char **err)
{
  if (cm->jit) return true;
  if (!have_module(cm, err) || !verify(cm, err)) return false;
  if (!native_ready()) {
    *err = cg_strdup("LLVM has no native target for this host");
    return false;
  }
  LLVMErrorRef e = create_jit(cm);
  if (!e) {
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(cm->mod, cm->tsc);
    cm->mod = NULL; /* owned by tsm, then by the JIT */
    e = LLVMOrcLLJITAddLLVMIRModule(cm->jit, LLVMOrcLLJITGetMainJITDylib(cm->jit), tsm);
  }
  if (e) {
    *err = cg_take_error(e, "JIT");
    return false;
  }
  return true;
}

void *cg_jit_symbol(CgModule *cm, const char *name, char **err)
{
  *err = NULL;
  if (!jit_start(cm, err)) return NULL;
  LLVMOrcExecutorAddress addr = 0;
  LLVMErrorRef e = LLVMOrcLLJITLookup(cm->jit, &addr, name);
  if (e) {
    char *what = cg_strfmt("JIT lookup of '%s'", name);
    *err = cg_take_error(e, what);
    free(what);
    return NULL;
  }
  return (void *)(uintptr_t)addr;
}

int cg_jit_run(CgModule *cm, int argc, char **argv, char **err)
{
  const MsnModel *desc = cg_jit_symbol(cm, "msn_model_desc", err);
  int status = desc ? msn_main(desc, argc, argv) : -1;
  cg_free(cm);
  return status;
}

void cg_free(CgModule *cm)
{
  if (!cm) return;
  if (cm->jit) {
    LLVMErrorRef e = LLVMOrcDisposeLLJIT(cm->jit);
    if (e) LLVMConsumeError(e);
  }
  if (cm->mod) LLVMDisposeModule(cm->mod);
  if (cm->tsc) LLVMOrcDisposeThreadSafeContext(cm->tsc);
  if (cm->tm) LLVMDisposeTargetMachine(cm->tm);
  free(cm->cpu);
  free(cm->features);
  free(cm->name);
  free(cm);
}
