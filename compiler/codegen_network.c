/* compiler/codegen_network.c — the MsnNetwork descriptor (runtime/
 * msnrt_network.h) for MsnModel.network: populations with their initial
 * value distributions and projections.  Every field is 8 bytes wide, so
 * LLVM's struct layout equals C's; the sizes are checked anyway. */
#include <stdlib.h>

#include "codegen_impl.h"
#include "msnrt_network.h"
#include "network.h"

static LLVMValueRef i64c(Cg *cg, long long v) { return LLVMConstInt(cg->i64, (unsigned long long)v, 1); }

static LLVMTypeRef flat_struct(Cg *cg, const char *name, const char *fields) {
  LLVMTypeRef f[32];
  unsigned n = 0;
  for (const char *c = fields; *c && n < 32; c++)
    f[n++] = *c == 'l' ? cg->i64 : *c == 'd' ? cg->f64 : cg->ptr;
  LLVMTypeRef t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static LLVMValueRef array_of(Cg *cg, LLVMTypeRef t, LLVMValueRef *v, int n, const char *name) {
  if (n <= 0) return LLVMConstPointerNull(cg->ptr);
  return cg_private_const(cg, LLVMConstArray2(t, v, (uint64_t)n), name, 8);
}

static void check_size(Cg *cg, LLVMTypeRef t, size_t size, const char *what) {
  LLVMTargetDataRef td = LLVMGetModuleDataLayout(cg->mod);
  if (LLVMABISizeOfType(td, t) != size)
    cg_fail(cg, "internal error: %s layout differs from runtime/msnrt_network.h", what);
}

LLVMValueRef cg_emit_network(Cg *cg) {
  const NetSpec *net = cg->m->network;
  if (!net) return LLVMConstPointerNull(cg->ptr);
  LLVMTypeRef ti = flat_struct(cg, "MsnNetInit", "lldd");
  LLVMTypeRef tp = flat_struct(cg, "MsnPopulation", "plllplddlpp");
  LLVMTypeRef tj = flat_struct(cg, "MsnProjection", "lllldlllddldddppd");
  LLVMTypeRef tn = flat_struct(cg, "MsnNetwork", "llplp");
  check_size(cg, ti, sizeof(MsnNetInit), "MsnNetInit");
  check_size(cg, tp, sizeof(MsnPopulation), "MsnPopulation");
  check_size(cg, tj, sizeof(MsnProjection), "MsnProjection");
  check_size(cg, tn, sizeof(MsnNetwork), "MsnNetwork");
  LLVMValueRef *pops = calloc((size_t)net->pops.n + 1, sizeof *pops);
  for (int i = 0; i < net->pops.n; i++) {
    const NetPop *p = net->pops.v[i];
    LLVMValueRef *iv = calloc((size_t)p->inits.n + 1, sizeof *iv);
    for (int j = 0; j < p->inits.n; j++) {
      const NetInit *in = p->inits.v[j];
      LLVMValueRef f[] = {i64c(cg, in->index), i64c(cg, in->kind), cg_const(cg, in->a), cg_const(cg, in->b)};
      iv[j] = LLVMConstNamedStruct(ti, f, 4);
    }
    LLVMValueRef *tv = calloc((size_t)p->ntimes + 1, sizeof *tv);
    for (int j = 0; j < p->ntimes; j++) tv[j] = cg_const(cg, p->times[j]);
    LLVMValueRef times = array_of(cg, cg->f64, tv, p->ntimes, "msn.net.times");
    for (int j = 0; p->ids && j < p->ntimes; j++) tv[j] = i64c(cg, p->ids[j]);
    LLVMValueRef ids = p->ids ? array_of(cg, cg->i64, tv, p->ntimes, "msn.net.ids") : LLVMConstPointerNull(cg->ptr);
    free(tv);
    LLVMValueRef f[] = {cg_cstring(cg, p->name), i64c(cg, p->first), i64c(cg, p->n), i64c(cg, p->inits.n),
                        array_of(cg, ti, iv, p->inits.n, "msn.net.init"), i64c(cg, p->kind),
                        cg_const(cg, p->rate), cg_const(cg, p->phase), i64c(cg, p->ntimes), times, ids};
    pops[i] = LLVMConstNamedStruct(tp, f, 11);
    free(iv);
  }
  LLVMValueRef *projs = calloc((size_t)net->projs.n + 1, sizeof *projs);
  for (int i = 0; i < net->projs.n; i++) {
    const NetProj *q = net->projs.v[i];
    LLVMValueRef f[] = {i64c(cg, q->src), i64c(cg, q->tgt), i64c(cg, q->index), i64c(cg, q->rule),
                        cg_const(cg, q->p), i64c(cg, q->k), i64c(cg, q->autapses), i64c(cg, q->multapses),
                        cg_const(cg, q->weight), cg_const(cg, q->delay), i64c(cg, q->tm),
                        cg_const(cg, q->U), cg_const(cg, q->tau_rec), cg_const(cg, q->tau_fac),
                        cg_cstring(cg, q->target),
                        q->edges ? cg_cstring(cg, q->edges) : LLVMConstPointerNull(cg->ptr), cg_const(cg, q->edge_wscale)};
    projs[i] = LLVMConstNamedStruct(tj, f, 17);
  }
  LLVMValueRef f[] = {i64c(cg, MSN_NETWORK_VERSION), i64c(cg, net->pops.n),
                      array_of(cg, tp, pops, net->pops.n, "msn.net.pops"), i64c(cg, net->projs.n),
                      array_of(cg, tj, projs, net->projs.n, "msn.net.projs")};
  free(pops);
  free(projs);
  return cg_private_const(cg, LLVMConstNamedStruct(tn, f, 5), "msn.network", 8);
}
