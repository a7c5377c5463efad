/* compiler/codegen_network.c — the MsnNetwork descriptor (runtime/
 * msnrt_network.h) for MsnModel.network: populations with their initial
 * value distributions, projections with their deliveries (state,
 * coefficient), and the function that computes the coefficients.  Every field is 8 bytes wide, so
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

/* ---- deliveries (version 3) --------------------------------------------- */

/* Every projection's (state, coefficient) pairs: a synapse's increments
 * (compiler/lower_synapse.c), or its target state with the coefficient 1.
 * coefs collects the coefficient expressions in order. */
static int deliveries_of(Cg *cg, const NetProj *q, const NetDeliver ***coefs, int *ncoef, int64_t (*out)[2]) {
  static MirExpr one = {.op = MIR_CONST, .value = 1};
  static NetDeliver target = {.coef = &one};
  int n = q->synapse ? q->deliver.n : 1;
  for (int i = 0; i < n; i++) {
    const NetDeliver *dv = q->synapse ? q->deliver.v[i] : NULL;
    *coefs = realloc(*coefs, sizeof **coefs * (size_t)(*ncoef + 1));
    if (!*coefs) {
      cg_fail(cg, "out of memory");
      return 0;
    }
    (*coefs)[*ncoef] = dv ? dv : &target;
    out[i][0] = dv ? dv->state : q->index;
    out[i][1] = (*ncoef)++;
  }
  return n;
}

/* void NAME_net_coef(const double *P, double dt, double *coef): the
 * coefficients, from the scalar parameters (they use no state, V or time),
 * times e^(b dt/2) for a state half a step ahead with decay rate b. */
static LLVMValueRef emit_coef_fn(Cg *cg, const NetDeliver **coefs, int ncoef) {
  const Mir *m = cg->m;
  LLVMTypeRef args[3] = {cg->ptr, cg->f64, cg->ptr};
  char *name = cg_strfmt("%s_net_coef", m->name);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->void_t, args, 3, 0));
  free(name);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  cg_function_attrs(cg, fn);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMValueRef P = LLVMGetParam(fn, 0), dt = LLVMGetParam(fn, 1), out = LLVMGetParam(fn, 2);
  LLVMValueRef half_dt = LLVMBuildFMul(cg->b, dt, cg_const(cg, 0.5), "half_dt");
  LLVMValueRef *params = calloc((size_t)m->nparams + 1, sizeof *params);
  LLVMValueRef *states = calloc((size_t)m->nstates + 1, sizeof *states);
  LLVMValueRef *derived = calloc((size_t)m->nderived + 1, sizeof *derived);
  for (int j = 0; j < m->nparams; j++) {
    LLVMValueRef idx = LLVMConstInt(cg->i64, (unsigned long long)j, 0);
    params[j] = LLVMBuildLoad2(cg->b, cg->f64, LLVMBuildInBoundsGEP2(cg->b, cg->f64, P, &idx, 1, ""), m->params[j].name);
  }
  CgEnv env = {.states = states, .params = params, .derived = derived, .derived_limit = m->nderived,
               .t = cg_const(cg, 0), .win = CG_WIN_INDICATOR, .what = "coefficient of a synaptic delivery"};
  cg_memo_reset(cg);
  for (int i = 0; i < ncoef; i++) {
    LLVMValueRef idx = LLVMConstInt(cg->i64, (unsigned long long)i, 0);
    LLVMValueRef v = cg_expr(cg, &env, coefs[i]->coef);
    if (coefs[i]->decay)
      v = LLVMBuildFMul(cg->b, v, cg_math_exp(cg, LLVMBuildFMul(cg->b, cg_expr(cg, &env, coefs[i]->decay), half_dt, "")), "");
    LLVMBuildStore(cg->b, v, LLVMBuildInBoundsGEP2(cg->b, cg->f64, out, &idx, 1, ""));
  }
  LLVMBuildRetVoid(cg->b);
  cg_memo_reset(cg);
  free(params);
  free(states);
  free(derived);
  return fn;
}

LLVMValueRef cg_emit_network(Cg *cg) {
  const NetSpec *net = cg->m->network;
  if (!net) return LLVMConstPointerNull(cg->ptr);
  LLVMTypeRef ti = flat_struct(cg, "MsnNetInit", "lldd");
  LLVMTypeRef tp = flat_struct(cg, "MsnPopulation", "plllplddlpplldlddl");
  LLVMTypeRef tj = flat_struct(cg, "MsnProjection", "lllldlllddldddppdlp");
  LLVMTypeRef tn = flat_struct(cg, "MsnNetwork", "llplplpdlpl");
  LLVMTypeRef td = flat_struct(cg, "MsnDeliver", "ll");
  check_size(cg, td, sizeof(MsnDeliver), "MsnDeliver");
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
                        cg_const(cg, p->rate), cg_const(cg, p->phase), i64c(cg, p->ntimes), times, ids,
                        i64c(cg, p->cell_index), i64c(cg, p->spikes), cg_const(cg, p->threshold),
                        i64c(cg, p->has_reset), cg_const(cg, p->reset), cg_const(cg, p->refractory),
                        i64c(cg, p->reset_exact)};
    pops[i] = LLVMConstNamedStruct(tp, f, 18);
    free(iv);
  }
  LLVMValueRef *projs = calloc((size_t)net->projs.n + 1, sizeof *projs);
  const NetDeliver **coefs = NULL;
  int ncoef = 0;
  for (int i = 0; i < net->projs.n; i++) {
    const NetProj *q = net->projs.v[i];
    int64_t (*dl)[2] = calloc((size_t)(q->synapse ? q->deliver.n : 1) + 1, sizeof *dl);
    int nd = deliveries_of(cg, q, &coefs, &ncoef, dl);
    LLVMValueRef *dv = calloc((size_t)nd + 1, sizeof *dv);
    for (int j = 0; j < nd; j++) {
      LLVMValueRef g[] = {i64c(cg, dl[j][0]), i64c(cg, dl[j][1])};
      dv[j] = LLVMConstNamedStruct(td, g, 2);
    }
    LLVMValueRef f[] = {i64c(cg, q->src), i64c(cg, q->tgt), i64c(cg, q->synapse ? -1 : q->index), i64c(cg, q->rule),
                        cg_const(cg, q->p), i64c(cg, q->k), i64c(cg, q->autapses), i64c(cg, q->multapses),
                        cg_const(cg, q->weight), cg_const(cg, q->delay), i64c(cg, q->tm),
                        cg_const(cg, q->U), cg_const(cg, q->tau_rec), cg_const(cg, q->tau_fac),
                        cg_cstring(cg, q->target),
                        q->edges ? cg_cstring(cg, q->edges) : LLVMConstPointerNull(cg->ptr), cg_const(cg, q->edge_wscale),
                        i64c(cg, nd), array_of(cg, td, dv, nd, "msn.net.deliver")};
    projs[i] = LLVMConstNamedStruct(tj, f, 19);
    free(dv);
    free(dl);
  }
  LLVMValueRef coef_fn = emit_coef_fn(cg, coefs, ncoef);
  free(coefs);
  LLVMValueRef *rv = calloc((size_t)net->nrec + 1, sizeof *rv);
  for (int i = 0; i < net->nrec; i++) rv[i] = i64c(cg, net->rec[i]);
  LLVMValueRef rec = net->nrec ? array_of(cg, cg->i64, rv, net->nrec, "msn.net.rec") : LLVMConstPointerNull(cg->ptr);
  free(rv);
  LLVMValueRef f[] = {i64c(cg, MSN_NETWORK_VERSION), i64c(cg, net->pops.n),
                      array_of(cg, tp, pops, net->pops.n, "msn.net.pops"), i64c(cg, net->projs.n),
                      array_of(cg, tj, projs, net->projs.n, "msn.net.projs"), i64c(cg, ncoef), coef_fn,
                      cg_const(cg, net->rate_bin), i64c(cg, net->nrec), rec, i64c(cg, net->spikes_per_pop)};
  free(pops);
  free(projs);
  return cg_private_const(cg, LLVMConstNamedStruct(tn, f, 11), "msn.network", 8);
}
