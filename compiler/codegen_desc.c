/* compiler/codegen_desc.c — the `msn_model_desc` constant and main().
 *
 * The LLVM struct types below mirror MsnModel, MsnStateDesc and
 * MsnParamDesc of runtime/msnrt.h field by field; natural alignment under
 * the module's data layout then reproduces the C layout.  check_layout()
 * compares sizes and every field offset with offsetof() so that a change to
 * the header cannot silently break the ABI.  Strings, descriptor arrays,
 * per-instance parameter values and the records array are private constant
 * globals.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "codegen_impl.h"
#include "msnrt.h"

#ifndef MSN_VERSION
#define MSN_VERSION "0.1.0"
#endif

static LLVMValueRef const_array(Cg *cg, LLVMTypeRef elem, LLVMValueRef *v, int n,
                                const char *name, unsigned align)
{
  if (n <= 0) return LLVMConstPointerNull(cg->ptr);
  return cg_private_const(cg, LLVMConstArray2(elem, v, (uint64_t)n), name, align);
}

static LLVMValueRef i32c(Cg *cg, long long v) { return LLVMConstInt(cg->i32, (unsigned long long)v, 1); }

/* ---- types and their layout check ---------------------------------------- */

typedef struct DescTypes { LLVMTypeRef state, param, model; } DescTypes;

static LLVMTypeRef named_struct(Cg *cg, const char *name, LLVMTypeRef *f, unsigned n)
{
  LLVMTypeRef t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static DescTypes desc_types(Cg *cg)
{
  LLVMTypeRef p = cg->ptr, d = cg->f64, i = cg->i32, l = cg->i64;
  LLVMTypeRef st[] = { p, p, d, p, p };
  LLVMTypeRef pa[] = { p, p, d, d, i, p, LLVMArrayType2(cg->i8, 6) };
  LLVMTypeRef mo[] = { i, p, p, p, i, i, p, p, l, i, d, i, d, d, d, d, d, i, p, i, p, p, p, p,
                       i, p, p, i, d, d, i, p, p, p, p, p, p };
  DescTypes t;
  t.state = named_struct(cg, "MsnStateDesc", st, 5);
  t.param = named_struct(cg, "MsnParamDesc", pa, 7);
  t.model = named_struct(cg, "MsnModel", mo, 37);
  return t;
}

static const size_t state_off[] = {
  offsetof(MsnStateDesc, name), offsetof(MsnStateDesc, unit), offsetof(MsnStateDesc, scale),
  offsetof(MsnStateDesc, solver), offsetof(MsnStateDesc, why)
};
static const size_t param_off[] = {
  offsetof(MsnParamDesc, name), offsetof(MsnParamDesc, unit), offsetof(MsnParamDesc, scale),
  offsetof(MsnParamDesc, value), offsetof(MsnParamDesc, per_instance),
  offsetof(MsnParamDesc, inst_values), offsetof(MsnParamDesc, dim)
};
static const size_t model_off[] = {
  offsetof(MsnModel, abi_version), offsetof(MsnModel, name), offsetof(MsnModel, msn_version),
  offsetof(MsnModel, source), offsetof(MsnModel, nstates), offsetof(MsnModel, nparams),
  offsetof(MsnModel, states), offsetof(MsnModel, params), offsetof(MsnModel, n_instances),
  offsetof(MsnModel, spike_state), offsetof(MsnModel, spike_threshold),
  offsetof(MsnModel, method), offsetof(MsnModel, duration), offsetof(MsnModel, dt),
  offsetof(MsnModel, record_every), offsetof(MsnModel, rtol), offsetof(MsnModel, atol),
  offsetof(MsnModel, nrecords), offsetof(MsnModel, records), offsetof(MsnModel, record_spikes),
  offsetof(MsnModel, init), offsetof(MsnModel, gates), offsetof(MsnModel, step),
  offsetof(MsnModel, rhs), offsetof(MsnModel, nnoise), offsetof(MsnModel, noise_states),
  offsetof(MsnModel, noise), offsetof(MsnModel, has_reset), offsetof(MsnModel, reset_value),
  offsetof(MsnModel, refractory), offsetof(MsnModel, reset_exact), offsetof(MsnModel, vlin),
  offsetof(MsnModel, cable), offsetof(MsnModel, network), offsetof(MsnModel, population),
  offsetof(MsnModel, vstep), offsetof(MsnModel, noise_step)
};

static void check_layout(Cg *cg, LLVMTypeRef t, const size_t *off, unsigned n, size_t size,
                         const char *what)
{
  LLVMTargetDataRef td = LLVMGetModuleDataLayout(cg->mod);
  if (LLVMCountStructElementTypes(t) != n || LLVMABISizeOfType(td, t) != size) {
    cg_fail(cg, "internal error: %s layout differs from runtime/msnrt.h (size)", what);
    return;
  }
  for (unsigned k = 0; k < n; k++)
    if (LLVMOffsetOfElement(td, t, k) != off[k]) {
      cg_fail(cg, "internal error: %s layout differs from runtime/msnrt.h (field %u)", what, k);
      return;
    }
}

/* ---- descriptor contents ------------------------------------------------- */

static const char *solver_name(MirSolver s)
{
  return s == MIR_SOLVE_CNEXP ? "cnexp" : s == MIR_SOLVE_CN ? "cn" : s == MIR_SOLVE_EXP ? "exp" : "euler";
}

static LLVMValueRef state_array(Cg *cg, LLVMTypeRef ty)
{
  const Mir *m = cg->m;
  LLVMValueRef *v = calloc((size_t)m->nstates + 1, sizeof *v);
  for (int k = 0; k < m->nstates; k++) {
    const MirState *s = &m->states[k];
    LLVMValueRef f[] = {
      cg_cstring(cg, s->name), cg_cstring(cg, s->unit ? s->unit : "1"),
      cg_const(cg, s->scale), cg_cstring(cg, m->rates ? "explicit" : solver_name(s->solver)),
      cg_cstring(cg, s->why ? s->why : "")
    };
    v[k] = LLVMConstNamedStruct(ty, f, 5);
  }
  LLVMValueRef g = const_array(cg, ty, v, m->nstates, "msn.states", 8);
  free(v);
  return g;
}

static LLVMValueRef param_desc(Cg *cg, LLVMTypeRef ty, const MirParam *p)
{
  const Mir *m = cg->m;
  LLVMValueRef values = LLVMConstPointerNull(cg->ptr);
  if (p->per_instance && m->n_instances > 0) {
    LLVMValueRef *iv = malloc((size_t)m->n_instances * sizeof *iv);
    for (int64_t i = 0; i < m->n_instances; i++) iv[i] = cg_const(cg, p->inst_values[i]);
    values = cg_private_const(cg, LLVMConstArray2(cg->f64, iv, (uint64_t)m->n_instances),
                           "msn.inst_values", 8);
    free(iv);
  }
  LLVMValueRef dim[6];
  for (int d = 0; d < 6; d++) dim[d] = LLVMConstInt(cg->i8, (unsigned long long)p->dim[d], 1);
  LLVMValueRef f[] = {
    cg_cstring(cg, p->name), cg_cstring(cg, p->unit ? p->unit : "1"), cg_const(cg, p->scale),
    cg_const(cg, p->value), i32c(cg, p->per_instance ? 1 : 0), values,
    LLVMConstArray2(cg->i8, dim, 6)
  };
  return LLVMConstNamedStruct(ty, f, 7);
}

static LLVMValueRef param_array(Cg *cg, LLVMTypeRef ty)
{
  const Mir *m = cg->m;
  LLVMValueRef *v = calloc((size_t)m->nparams + 1, sizeof *v);
  for (int j = 0; j < m->nparams; j++) v[j] = param_desc(cg, ty, &m->params[j]);
  LLVMValueRef g = const_array(cg, ty, v, m->nparams, "msn.params", 8);
  free(v);
  return g;
}

static LLVMValueRef record_array(Cg *cg)
{
  const Mir *m = cg->m;
  LLVMValueRef *v = calloc((size_t)m->nrecords + 1, sizeof *v);
  for (int r = 0; r < m->nrecords; r++) v[r] = i32c(cg, m->records[r].state);
  LLVMValueRef g = const_array(cg, cg->i32, v, m->nrecords, "msn.records", 4);
  free(v);
  return g;
}

static int32_t method_of(MirMethod mm)
{
  switch (mm) {
  case MIR_METHOD_RK4: return MSN_RK4;
  case MIR_METHOD_RK45: return MSN_RK45;
  case MIR_METHOD_EULER: return MSN_EULER;
  case MIR_METHOD_HEUN: return MSN_HEUN;
  default: return MSN_STAGGERED;
  }
}

/* Indices of the noisy states, in state order (the noise kernel's order). */
static LLVMValueRef noise_array(Cg *cg, int *count)
{
  const Mir *m = cg->m;
  LLVMValueRef *v = calloc((size_t)m->nstates + 1, sizeof *v);
  int n = 0;
  for (int k = 0; k < m->nstates; k++)
    if (m->states[k].noise) v[n++] = i32c(cg, k);
  LLVMValueRef g = const_array(cg, cg->i32, v, n, "msn.noise_states", 4);
  free(v);
  *count = n;
  return g;
}

void cg_emit_desc(Cg *cg, LLVMValueRef kernels[6])
{
  const Mir *m = cg->m;
  DescTypes t = desc_types(cg);
  check_layout(cg, t.state, state_off, 5, sizeof(MsnStateDesc), "MsnStateDesc");
  check_layout(cg, t.param, param_off, 7, sizeof(MsnParamDesc), "MsnParamDesc");
  check_layout(cg, t.model, model_off, 37, sizeof(MsnModel), "MsnModel");
  int nnoise = 0;
  LLVMValueRef noise_states = noise_array(cg, &nnoise);
  /* emitted by cg_build for a single integrate-and-fire cell only */
  char *vname = cg_strfmt("%s_vstep", m->name);
  LLVMValueRef vstep = LLVMGetNamedFunction(cg->mod, vname);
  free(vname);
  /* emitted by cg_build for a cell with noise */
  char *nname = cg_strfmt("%s_noise_step", m->name);
  LLVMValueRef noise_step = LLVMGetNamedFunction(cg->mod, nname);
  free(nname);
  LLVMValueRef f[] = {
    i32c(cg, MSN_ABI_VERSION), cg_cstring(cg, m->name), cg_cstring(cg, MSN_VERSION),
    cg_cstring(cg, m->source ? m->source : ""), i32c(cg, m->nstates), i32c(cg, m->nparams),
    state_array(cg, t.state), param_array(cg, t.param),
    LLVMConstInt(cg->i64, (unsigned long long)m->n_instances, 1),
    i32c(cg, m->spike_state < 0 ? -1 : m->spike_state), cg_const(cg, m->spike_threshold),
    i32c(cg, method_of(m->method)), cg_const(cg, m->duration), cg_const(cg, m->dt),
    cg_const(cg, m->record_every), cg_const(cg, m->rtol), cg_const(cg, m->atol),
    i32c(cg, m->nrecords), record_array(cg), i32c(cg, m->record_spikes ? 1 : 0),
    kernels[0], kernels[1], kernels[2], kernels[3],
    i32c(cg, nnoise), noise_states, kernels[4],
    i32c(cg, m->has_reset ? 1 : 0), cg_const(cg, m->has_reset ? m->reset_value : 0),
    cg_const(cg, m->has_reset ? m->refractory : 0), i32c(cg, m->has_reset && m->reset_exact ? 1 : 0), kernels[5],
    /* extensions for cables, networks and population models: each kind
     * fills its own pointer with a descriptor of its own */
    cg_cable_desc(cg) /* compiler/codegen_cable.c */, cg_emit_network(cg) /* compiler/codegen_network.c */,
    cg_population_desc(cg) /* compiler/codegen_population.c */,
    vstep ? vstep : LLVMConstPointerNull(cg->ptr), noise_step ? noise_step : LLVMConstPointerNull(cg->ptr)
  };
  LLVMValueRef g = LLVMAddGlobal(cg->mod, t.model, "msn_model_desc");
  LLVMSetInitializer(g, LLVMConstNamedStruct(t.model, f, 37));
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMExternalLinkage);
  LLVMSetAlignment(g, 8);
}

/* int main(int argc, char **argv) { return msn_main(&msn_model_desc, argc, argv); } */
void cg_emit_main(Cg *cg)
{
  LLVMTypeRef rt_args[] = { cg->ptr, cg->i32, cg->ptr };
  LLVMTypeRef rt_ty = LLVMFunctionType(cg->i32, rt_args, 3, 0);
  LLVMValueRef rt = LLVMGetNamedFunction(cg->mod, "msn_main");
  if (!rt) rt = LLVMAddFunction(cg->mod, "msn_main", rt_ty);
  LLVMTypeRef main_args[] = { cg->i32, cg->ptr };
  LLVMValueRef fn = LLVMAddFunction(cg->mod, "main", LLVMFunctionType(cg->i32, main_args, 2, 0));
  cg_function_attrs(cg, fn);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMValueRef args[] = { LLVMGetNamedGlobal(cg->mod, "msn_model_desc"), LLVMGetParam(fn, 0),
                          LLVMGetParam(fn, 1) };
  LLVMBuildRet(cg->b, LLVMBuildCall2(cg->b, rt_ty, rt, args, 3, ""));
}
