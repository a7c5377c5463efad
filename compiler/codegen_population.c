/* compiler/codegen_population.c — MsnModel.population for fields and
 * densities: a constant MsnPopulation (runtime/msnrt_population.h) with
 * the compile-time configuration; the slots are the model's rhs kernel. */
#include <stddef.h>

#include "codegen_impl.h"
#include "population.h"

LLVMValueRef cg_population_desc(Cg *cg) {
  const MirPopulation *P = cg->m->population;
  if (!P) return LLVMConstPointerNull(cg->ptr);
  LLVMValueRef conf[MSN_POP_NCONF];
  for (int i = 0; i < MSN_POP_NCONF; i++) conf[i] = LLVMConstReal(cg->f64, P->conf[i]);
  LLVMValueRef arr = cg_private_const(cg, LLVMConstArray2(cg->f64, conf, MSN_POP_NCONF), "msn_population_conf", 8);
  _Static_assert(offsetof(MsnPopulation, conf) == 16, "MsnPopulation layout");
  LLVMValueRef v[] = {LLVMConstInt(cg->i32, MSN_POPULATION_VERSION, 0), LLVMConstInt(cg->i32, (unsigned)P->kind, 0),
                      LLVMConstInt(cg->i32, MSN_POP_NCONF, 0), arr};
  return cg_private_const(cg, LLVMConstStructInContext(cg->ctx, v, 4, 0), "msn_population_desc", 8);
}
