/* compiler/codegen_cable.c — code for a cell with a morphology: the
 * channel kernels of compiler/codegen_kernel.c (one per inserted channel,
 * V an input), a wrapper with a uniform signature around each
 * (runtime/msnrt_cable.h), the MsnCable descriptor `msn_cable_desc`, and
 * msn_model_desc pointing at it (runtime/rt_cable_run.c runs it).
 *
 * As in codegen_desc.c, the LLVM struct types mirror the C structs field
 * by field and check_layout() compares every offset with offsetof(). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cable.h"
#include "codegen_impl.h"
#include "msnrt.h"
#include "msnrt_cable.h"

LLVMValueRef cg_cable_desc(Cg *cg)
{
  LLVMValueRef g = LLVMGetNamedGlobal(cg->mod, "msn_cable_desc");
  return g ? g : LLVMConstPointerNull(cg->ptr);
}

static LLVMValueRef i32c(Cg *cg, long long v) { return LLVMConstInt(cg->i32, (unsigned long long)v, 1); }

static LLVMTypeRef named_struct(Cg *cg, const char *name, LLVMTypeRef *f, unsigned n)
{
  LLVMTypeRef t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static void check_layout(Cg *cg, LLVMTypeRef t, const size_t *off, unsigned n, size_t size, const char *what)
{
  LLVMTargetDataRef td = LLVMGetModuleDataLayout(cg->mod);
  if (LLVMCountStructElementTypes(t) != n || LLVMABISizeOfType(td, t) != size) {
    cg_fail(cg, "internal error: %s layout differs from runtime/msnrt_cable.h (size)", what);
    return;
  }
  for (unsigned k = 0; k < n; k++)
    if (LLVMOffsetOfElement(td, t, k) != off[k]) {
      cg_fail(cg, "internal error: %s layout differs from runtime/msnrt_cable.h (field %u)", what, k);
      return;
    }
}

static LLVMValueRef const_array(Cg *cg, LLVMTypeRef elem, LLVMValueRef *v, int n, const char *name, unsigned align)
{
  if (n <= 0) return LLVMConstPointerNull(cg->ptr);
  return cg_private_const(cg, LLVMConstArray2(elem, v, (uint64_t)n), name, align);
}

/* ---- wrappers: NAME_init(n, V, s1..sK, P1..PM) behind (n, V, S, P, A) ----------- */

static LLVMValueRef load_ptr(Cg *cg, LLVMValueRef base, int i)
{
  LLVMValueRef idx = LLVMConstInt(cg->i64, (unsigned long long)i, 0);
  return LLVMBuildLoad2(cg->b, cg->ptr, LLVMBuildGEP2(cg->b, cg->ptr, base, &idx, 1, ""), "");
}

static LLVMValueRef load_f64(Cg *cg, LLVMValueRef base, int i)
{
  LLVMValueRef idx = LLVMConstInt(cg->i64, (unsigned long long)i, 0);
  return LLVMBuildLoad2(cg->b, cg->f64, LLVMBuildGEP2(cg->b, cg->f64, base, &idx, 1, ""), "");
}

/* kind 0 init, 1 state_update, 2 current */
static LLVMValueRef wrapper(Cg *cg, const MirKernel *k, int kind)
{
  static const char *suffix[] = {"init", "state_update", "current"};
  const Mir *m = k->m;
  int K = m->nstates - 1, M = k->nabi;
  char *kname = cg_strfmt("%s_%s", m->name, suffix[kind]);
  LLVMValueRef kfn = LLVMGetNamedFunction(cg->mod, kname);
  free(kname);
  if (!kfn) {
    cg_fail(cg, "internal error: kernel of channel %s missing", m->name);
    return LLVMConstPointerNull(cg->ptr);
  }
  LLVMTypeRef kty = LLVMGlobalGetValueType(kfn);
  LLVMTypeRef wargs[7];
  unsigned nw = 0;
  wargs[nw++] = cg->i64;
  if (kind == 1) wargs[nw++] = cg->f64;
  wargs[nw++] = cg->ptr; /* V */
  wargs[nw++] = cg->ptr; /* S */
  wargs[nw++] = cg->ptr; /* P */
  wargs[nw++] = cg->ptr; /* A */
  if (kind == 2) wargs[nw++] = cg->ptr, wargs[nw++] = cg->ptr;
  char *wname = cg_strfmt("msn_cable_%s_%s", m->name, suffix[kind]);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, wname, LLVMFunctionType(cg->void_t, wargs, nw, 0));
  free(wname);
  LLVMSetLinkage(fn, LLVMPrivateLinkage);
  cg_function_attrs(cg, fn);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  unsigned a = 0, n = 0;
  LLVMValueRef *args = malloc(sizeof *args * (size_t)(K + M + 6));
  args[n++] = LLVMGetParam(fn, a++);
  if (kind == 1) args[n++] = LLVMGetParam(fn, a++);
  args[n++] = LLVMGetParam(fn, a++);
  LLVMValueRef S = LLVMGetParam(fn, a++), P = LLVMGetParam(fn, a++), Arr = LLVMGetParam(fn, a++);
  for (int s = 0; s < K; s++) args[n++] = load_ptr(cg, S, s);
  int q = 0; /* arrays: the parameters that vary between compartments */
  for (int p = 0; p < M; p++)
    args[n++] = m->params[k->abi_param[p]].per_instance ? load_ptr(cg, Arr, q++) : load_f64(cg, P, p);
  if (kind == 2) {
    args[n++] = LLVMGetParam(fn, a++);
    args[n++] = LLVMGetParam(fn, a++);
  }
  LLVMBuildCall2(cg->b, kty, kfn, args, n, "");
  LLVMBuildRetVoid(cg->b);
  free(args);
  return fn;
}

/* ---- the descriptor ------------------------------------------------------------------ */

static void emit_cable_desc(Cg *cg, const MirCable *cb)
{
  LLVMTypeRef p = cg->ptr, d = cg->f64, i = cg->i32;
  LLVMTypeRef sec_f[] = {p, i, d, d, d, i, d, i};
  LLVMTypeRef ch_f[] = {p, i, i, p, p, p, p, p, p, i, p};
  LLVMTypeRef st_f[] = {p, i, d, d, d, d, p};
  LLVMTypeRef re_f[] = {p, i, d};
  LLVMTypeRef ca_f[] = {i, i, p, d, d, d, i, p, i, p, i, p, i};
  LLVMTypeRef tsec = named_struct(cg, "RtCableSection", sec_f, 8);
  LLVMTypeRef tch = named_struct(cg, "MsnCableChannel", ch_f, 11);
  LLVMTypeRef tst = named_struct(cg, "MsnCableStim", st_f, 7);
  LLVMTypeRef tre = named_struct(cg, "MsnCableRecord", re_f, 3);
  LLVMTypeRef tca = named_struct(cg, "MsnCable", ca_f, 13);
  static const size_t sec_off[] = {offsetof(RtCableSection, name), offsetof(RtCableSection, shape),
    offsetof(RtCableSection, length), offsetof(RtCableSection, diam), offsetof(RtCableSection, diam1),
    offsetof(RtCableSection, parent), offsetof(RtCableSection, parent_x), offsetof(RtCableSection, nseg)};
  static const size_t ch_off[] = {offsetof(MsnCableChannel, name), offsetof(MsnCableChannel, nstates),
    offsetof(MsnCableChannel, nparams), offsetof(MsnCableChannel, param_names), offsetof(MsnCableChannel, params),
    offsetof(MsnCableChannel, on), offsetof(MsnCableChannel, init), offsetof(MsnCableChannel, update),
    offsetof(MsnCableChannel, current), offsetof(MsnCableChannel, narrays), offsetof(MsnCableChannel, arrays)};
  static const size_t st_off[] = {offsetof(MsnCableStim, name), offsetof(MsnCableStim, sec),
    offsetof(MsnCableStim, x), offsetof(MsnCableStim, amp), offsetof(MsnCableStim, t0), offsetof(MsnCableStim, t1),
    offsetof(MsnCableStim, amp_inst)};
  static const size_t re_off[] = {offsetof(MsnCableRecord, label), offsetof(MsnCableRecord, sec),
    offsetof(MsnCableRecord, x)};
  static const size_t ca_off[] = {offsetof(MsnCable, version), offsetof(MsnCable, nsec), offsetof(MsnCable, secs),
    offsetof(MsnCable, Ra), offsetof(MsnCable, Cm), offsetof(MsnCable, V0), offsetof(MsnCable, nchan),
    offsetof(MsnCable, chans), offsetof(MsnCable, nstim), offsetof(MsnCable, stims), offsetof(MsnCable, nrec),
    offsetof(MsnCable, recs), offsetof(MsnCable, ncomp)};
  check_layout(cg, tsec, sec_off, 8, sizeof(RtCableSection), "RtCableSection");
  check_layout(cg, tch, ch_off, 11, sizeof(MsnCableChannel), "MsnCableChannel");
  check_layout(cg, tst, st_off, 7, sizeof(MsnCableStim), "MsnCableStim");
  check_layout(cg, tre, re_off, 3, sizeof(MsnCableRecord), "MsnCableRecord");
  check_layout(cg, tca, ca_off, 13, sizeof(MsnCable), "MsnCable");

  int cap = cb->nsec + cb->nk + cb->nstim + cb->nrec + 1;
  LLVMValueRef *v = calloc((size_t)cap, sizeof *v);
  for (int s = 0; s < cb->nsec; s++) {
    const RtCableSection *q = &cb->secs[s];
    LLVMValueRef f[] = {cg_cstring(cg, q->name ? q->name : ""), i32c(cg, q->shape), cg_const(cg, q->length),
                        cg_const(cg, q->diam), cg_const(cg, q->diam1), i32c(cg, q->parent),
                        cg_const(cg, q->parent_x), i32c(cg, q->nseg)};
    v[s] = LLVMConstNamedStruct(tsec, f, 8);
  }
  LLVMValueRef secs = const_array(cg, tsec, v, cb->nsec, "msn.cable.secs", 8);
  for (int j = 0; j < cb->nk; j++) {
    const MirKernel *k = &cb->k[j];
    LLVMValueRef *pv = calloc((size_t)k->nabi + 1, sizeof *pv), *pn = calloc((size_t)k->nabi + 1, sizeof *pn);
    for (int a = 0; a < k->nabi; a++) {
      bool cel = a == k->nabi - 1 && strcmp(k->abi_param_name[a], "celsius") == 0;
      pv[a] = cg_const(cg, cel ? k->m->params[k->celsius_param].value : cb->P[j][a]);
      pn[a] = cg_cstring(cg, k->abi_param_name[a]);
    }
    LLVMValueRef *on = calloc((size_t)cb->nsec + 1, sizeof *on);
    for (int s = 0; s < cb->nsec; s++) on[s] = LLVMConstInt(cg->i8, cb->on[j][s], 0);
    LLVMValueRef w0 = wrapper(cg, k, 0), w1 = wrapper(cg, k, 1), w2 = wrapper(cg, k, 2);
    /* the per-node values of the parameters that vary, in ABI order */
    LLVMValueRef *arr = calloc((size_t)k->nabi + 1, sizeof *arr);
    LLVMValueRef *nv = calloc((size_t)cb->ncomp + 1, sizeof *nv);
    int narr = 0;
    for (int a = 0; a < k->nabi; a++) {
      if (!k->m->params[k->abi_param[a]].per_instance) continue;
      for (int q = 0; q < cb->ncomp; q++) nv[q] = cg_const(cg, cb->pnode[j][a][q]);
      arr[narr++] = const_array(cg, cg->f64, nv, cb->ncomp, "msn.cable.pnode", 8);
    }
    LLVMValueRef f[] = {cg_cstring(cg, k->m->name), i32c(cg, k->m->nstates - 1), i32c(cg, k->nabi),
                        const_array(cg, cg->ptr, pn, k->nabi, "msn.cable.pnames", 8),
                        const_array(cg, cg->f64, pv, k->nabi, "msn.cable.params", 8),
                        const_array(cg, cg->i8, on, cb->nsec, "msn.cable.on", 1), w0, w1, w2,
                        i32c(cg, narr), const_array(cg, cg->ptr, arr, narr, "msn.cable.arrays", 8)};
    v[j] = LLVMConstNamedStruct(tch, f, 11);
    free(arr);
    free(nv);
    free(pv);
    free(pn);
    free(on);
  }
  LLVMValueRef chans = const_array(cg, tch, v, cb->nk, "msn.cable.chans", 8);
  for (int s = 0; s < cb->nstim; s++) {
    const MirCableStim *q = &cb->stims[s];
    LLVMValueRef inst = LLVMConstPointerNull(cg->ptr);
    if (q->amp_inst) {
      int64_t ni = cg->m->n_instances;
      LLVMValueRef *a = calloc((size_t)ni + 1, sizeof *a);
      for (int64_t k = 0; k < ni; k++) a[k] = cg_const(cg, q->amp_inst[k]);
      inst = const_array(cg, cg->f64, a, (int)ni, "msn.cable.stim_inst", 8);
      free(a);
    }
    LLVMValueRef f[] = {cg_cstring(cg, q->name), i32c(cg, q->sec), cg_const(cg, q->x), cg_const(cg, q->amp),
                        cg_const(cg, q->t0), cg_const(cg, q->t1), inst};
    v[s] = LLVMConstNamedStruct(tst, f, 7);
  }
  LLVMValueRef stims = const_array(cg, tst, v, cb->nstim, "msn.cable.stims", 8);
  for (int r = 0; r < cb->nrec; r++) {
    const MirCableRec *q = &cb->recs[r];
    LLVMValueRef f[] = {cg_cstring(cg, q->label), i32c(cg, q->sec), cg_const(cg, q->x)};
    v[r] = LLVMConstNamedStruct(tre, f, 3);
  }
  LLVMValueRef recs = const_array(cg, tre, v, cb->nrec, "msn.cable.recs", 8);
  free(v);
  LLVMValueRef f[] = {i32c(cg, MSN_CABLE_VERSION), i32c(cg, cb->nsec), secs, cg_const(cg, cb->Ra),
                      cg_const(cg, cb->Cm), cg_const(cg, cb->V0), i32c(cg, cb->nk), chans,
                      i32c(cg, cb->nstim), stims, i32c(cg, cb->nrec), recs, i32c(cg, cb->ncomp)};
  LLVMValueRef g = LLVMAddGlobal(cg->mod, tca, "msn_cable_desc");
  LLVMSetInitializer(g, LLVMConstNamedStruct(tca, f, 13));
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetAlignment(g, 8);
}

CgModule *cg_build_cable(const Mir *m, const CgOptions *opt, char **err)
{
  const MirCable *cb = m->cable;
  CgOptions o = opt ? *opt : (CgOptions){.opt_level = 3};
  CgModule *cm;
  if (cb->nk > 0) {
    cm = cg_build_kernels(cb->k, cb->nk, &o, err);
    if (!cm) return NULL;
    cm->opt = o;
  } else {
    cm = calloc(1, sizeof *cm);
    if (!cm) { *err = cg_strdup("out of memory"); return NULL; }
    cm->opt = o;
    cm->name = cg_strdup(m->name);
    if (!cg_target_setup(cm, m->name, err)) { cg_free(cm); return NULL; }
  }
  Cg cg;
  cg_init(&cg, m, cm);
  emit_cable_desc(&cg, cb);
  LLVMValueRef kernels[6];
  for (int k = 0; k < 6; k++) kernels[k] = LLVMConstPointerNull(cg.ptr);
  cg_emit_desc(&cg, kernels);
  if (o.with_main) cg_emit_main(&cg);
  return cg_finish(&cg, cm, err);
}
