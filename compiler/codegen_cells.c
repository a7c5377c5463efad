/* compiler/codegen_cells.c — code for a network of several cells
 * (Mir.cells, compiler/lower_cells.c).
 *
 * Every cell gets its own kernels NAME_cellC_{init,gates,step,vlin} (and
 * vstep with a reset, noise and noise_step when it has noise; no rhs, and
 * no step where vstep runs: see cg_build_cells), generated from its own
 * model as for a cell run alone (except that vstep stores b for every
 * instance).  The
 * network's kernels NAME_{init,...} have the ABI signatures of
 * runtime/msnrt.h and dispatch: for each cell they pick the cell's state
 * columns and parameters out of the union (smap, pmap) into small arrays
 * on the stack, then call the cell's kernel on the part of [begin, end)
 * that each of its populations owns.  So an instance only ever runs its
 * own cell's equations, and a cell run in a network computes what it
 * computes alone.  The init kernel also zeroes, on each cell's instances,
 * the columns of states the cell does not have (they stay 0: recorded as
 * 0, and finite for the runtime's NaN guard). */
#include <stdlib.h>
#include <string.h>

#include "codegen_impl.h"
#include "network.h"

enum { KI_INIT, KI_GATES, KI_STEP, KI_RHS, KI_NOISE, KI_VLIN, KI_VSTEP, KI_NOISE_STEP }; /* cg_model_kernel's kinds */
static const char *const suffix[] = {"init", "gates", "step", "rhs", "noise", "vlin", "vstep", "noise_step"};

static LLVMValueRef i64c(Cg *cg, long long v) { return LLVMConstInt(cg->i64, (unsigned long long)v, 1); }

static LLVMTypeRef kernel_type(Cg *cg, int kind) {
  LLVMTypeRef p = cg->ptr, i = cg->i64, d = cg->f64;
  LLVMTypeRef init[] = {p, p, i, i}, step[] = {p, p, i, i, d, d}, rhs[] = {p, p, p, p, i, i, d},
              vlin[] = {p, p, p, p, i, i, d, d};
  if (kind == KI_INIT) return LLVMFunctionType(cg->void_t, init, 4, 0);
  if (kind == KI_RHS) return LLVMFunctionType(cg->void_t, rhs, 7, 0);
  if (kind == KI_VLIN) return LLVMFunctionType(cg->void_t, vlin, 8, 0);
  if (kind == KI_VSTEP) { /* (cols, ab, P, begin, end, t, dt) -> count << 8 | flags */
    LLVMTypeRef vstep[] = {p, p, p, i, i, d, d};
    return LLVMFunctionType(cg->i64, vstep, 7, 0);
  }
  return LLVMFunctionType(cg->void_t, step, 6, 0);
}

/* A copy of the pointers base[map[k]], k < n, in a stack array. */
static LLVMValueRef pick(Cg *cg, LLVMTypeRef elem, LLVMValueRef base, const int *map, int n, const char *name) {
  LLVMValueRef a = LLVMBuildAlloca(cg->b, LLVMArrayType2(elem, (uint64_t)(n > 0 ? n : 1)), name);
  for (int k = 0; k < n; k++) {
    LLVMValueRef from = i64c(cg, map[k]), to = i64c(cg, k);
    LLVMValueRef v = LLVMBuildLoad2(cg->b, elem, LLVMBuildInBoundsGEP2(cg->b, elem, base, &from, 1, ""), "");
    LLVMBuildStore(cg->b, v, LLVMBuildInBoundsGEP2(cg->b, elem, a, &to, 1, ""));
  }
  return a;
}

static LLVMValueRef smax(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, a, b, ""), a, b, "");
}

static LLVMValueRef smin(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* The share [lo, hi) of population p in [begin, end); the builder goes
 * on in a block that runs only when it is not empty.  pop_share_end
 * closes that block: returns to the code after it. */
static LLVMBasicBlockRef pop_share(Cg *cg, LLVMValueRef fn, const NetPop *p, LLVMValueRef begin,
                                   LLVMValueRef end, LLVMValueRef *lo, LLVMValueRef *hi) {
  *lo = smax(cg, begin, i64c(cg, p->first));
  *hi = smin(cg, end, i64c(cg, p->first + p->n));
  LLVMBasicBlockRef run = LLVMAppendBasicBlockInContext(cg->ctx, fn, "run");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
  LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, *lo, *hi, ""), run, next);
  LLVMPositionBuilderAtEnd(cg->b, run);
  return next;
}

static void pop_share_end(Cg *cg, LLVMBasicBlockRef next) {
  LLVMBuildBr(cg->b, next);
  LLVMPositionBuilderAtEnd(cg->b, next);
}

/* Init: the columns of states cell c lacks are 0 on [lo, hi). */
static void zero_missing(Cg *cg, int c, LLVMValueRef cols, LLVMValueRef lo, LLVMValueRef hi) {
  const Mir *m = cg->m, *x = m->cells->cell[c];
  for (int u = 0; u < m->nstates; u++) {
    bool has = false;
    for (int k = 0; k < x->nstates; k++) has |= m->cells->smap[c][k] == u;
    if (has) continue;
    LLVMValueRef idx = i64c(cg, u);
    LLVMValueRef col = LLVMBuildLoad2(cg->b, cg->ptr, LLVMBuildInBoundsGEP2(cg->b, cg->ptr, cols, &idx, 1, ""), "");
    LLVMValueRef at = LLVMBuildInBoundsGEP2(cg->b, cg->f64, col, &lo, 1, "");
    LLVMValueRef len = LLVMBuildMul(cg->b, LLVMBuildSub(cg->b, hi, lo, ""), i64c(cg, 8), "");
    LLVMBuildMemSet(cg->b, at, LLVMConstInt(cg->i8, 0, 0), len, 8);
  }
}

/* The network's kernel of this kind over the cells' kernels sub[c]
 * (a null pointer: the cell has none, e.g. no vlin without a reset). */
static LLVMValueRef dispatcher(Cg *cg, int kind, LLVMValueRef *sub) {
  const Mir *m = cg->m;
  const MirCells *mc = m->cells;
  const NetSpec *net = m->network;
  LLVMTypeRef ft = kernel_type(cg, kind);
  char *name = cg_strfmt("%s_%s", m->name, suffix[kind]);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, ft);
  free(name);
  cg_function_attrs(cg, fn);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  bool like_rhs = kind == KI_RHS || kind == KI_VLIN;
  unsigned o = like_rhs ? 2 : 0, nargs = LLVMCountParams(fn);
  LLVMValueRef cols = LLVMGetParam(fn, o), P = LLVMGetParam(fn, o + 1);
  LLVMValueRef begin = LLVMGetParam(fn, o + 2), end = LLVMGetParam(fn, o + 3);
  for (int c = 0; c < mc->n; c++) {
    if (LLVMIsNull(sub[c])) continue;
    const Mir *x = mc->cell[c];
    LLVMValueRef args[8];
    for (unsigned a = 0; a < nargs; a++) args[a] = LLVMGetParam(fn, a);
    args[o] = pick(cg, cg->ptr, cols, mc->smap[c], x->nstates, "cols");
    args[o + 1] = pick(cg, cg->f64, P, mc->pmap[c], x->nparams, "P");
    if (like_rhs) args[0] = pick(cg, cg->ptr, LLVMGetParam(fn, 0), mc->smap[c], x->nstates, "y");
    if (kind == KI_RHS) args[1] = pick(cg, cg->ptr, LLVMGetParam(fn, 1), mc->smap[c], x->nstates, "dy");
    for (int i = 0; i < net->pops.n; i++) {
      const NetPop *p = net->pops.v[i];
      if (p->source || p->cell_index != c) continue;
      LLVMValueRef lo, hi;
      LLVMBasicBlockRef next = pop_share(cg, fn, p, begin, end, &lo, &hi);
      args[o + 2] = lo;
      args[o + 3] = hi;
      LLVMBuildCall2(cg->b, ft, sub[c], args, nargs, "");
      if (kind == KI_INIT) zero_missing(cg, c, cols, lo, hi);
      pop_share_end(cg, next);
    }
  }
  LLVMBuildRetVoid(cg->b);
  return fn;
}

/* vstep of the network (MsnVstepFn), when a cell has a reset: each cell
 * with a reset runs its own vstep on its instances (storing b for each
 * one: cg->vstep_b_each), a cell without runs its step after the copy of
 * its spike state into ab[2], which the runtime's detection reads.  One
 * pass over the integrate-and-fire cells instead of three (save the spike
 * state, vlin, step).  Returns the sum of the cells' counts, each against
 * its own threshold (the runtime uses its own scan with several cells),
 * and no flags. */
static LLVMValueRef vstep_dispatcher(Cg *cg, LLVMValueRef *vstep, LLVMValueRef *step) {
  const Mir *m = cg->m;
  const MirCells *mc = m->cells;
  const NetSpec *net = m->network;
  LLVMTypeRef ft = kernel_type(cg, KI_VSTEP), st = kernel_type(cg, KI_STEP);
  char *name = cg_strfmt("%s_vstep", m->name);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, ft);
  free(name);
  cg_function_attrs(cg, fn);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, entry);
  LLVMValueRef cols = LLVMGetParam(fn, 0), ab = LLVMGetParam(fn, 1), P = LLVMGetParam(fn, 2);
  LLVMValueRef begin = LLVMGetParam(fn, 3), end = LLVMGetParam(fn, 4);
  LLVMValueRef t = LLVMGetParam(fn, 5), dt = LLVMGetParam(fn, 6);
  LLVMValueRef count = LLVMBuildAlloca(cg->b, cg->i64, "count");
  LLVMBuildStore(cg->b, i64c(cg, 0), count);
  LLVMValueRef two = i64c(cg, 2), sidx = i64c(cg, m->spike_state);
  LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->ptr, LLVMBuildInBoundsGEP2(cg->b, cg->ptr, ab, &two, 1, ""), "old");
  LLVMValueRef spike = m->spike_state < 0 ? NULL
                       : LLVMBuildLoad2(cg->b, cg->ptr, LLVMBuildInBoundsGEP2(cg->b, cg->ptr, cols, &sidx, 1, ""), "spike");
  for (int c = 0; c < mc->n; c++) {
    const Mir *x = mc->cell[c];
    bool fused = !LLVMIsNull(vstep[c]);
    LLVMValueRef ccols = pick(cg, cg->ptr, cols, mc->smap[c], x->nstates, "cols");
    LLVMValueRef cP = pick(cg, cg->f64, P, mc->pmap[c], x->nparams, "P");
    for (int i = 0; i < net->pops.n; i++) {
      const NetPop *p = net->pops.v[i];
      if (p->source || p->cell_index != c) continue;
      LLVMValueRef lo, hi;
      LLVMBasicBlockRef next = pop_share(cg, fn, p, begin, end, &lo, &hi);
      if (fused) {
        LLVMValueRef args[7] = {ccols, ab, cP, lo, hi, t, dt};
        LLVMValueRef ret = LLVMBuildCall2(cg->b, ft, vstep[c], args, 7, "");
        LLVMValueRef sum = LLVMBuildAdd(cg->b, LLVMBuildLoad2(cg->b, cg->i64, count, ""),
                                        LLVMBuildAShr(cg->b, ret, i64c(cg, 8), ""), "");
        LLVMBuildStore(cg->b, sum, count);
      } else {
        if (x->spike_state >= 0 && spike) {
          LLVMValueRef to = LLVMBuildInBoundsGEP2(cg->b, cg->f64, old, &lo, 1, "");
          LLVMValueRef from = LLVMBuildInBoundsGEP2(cg->b, cg->f64, spike, &lo, 1, "");
          LLVMBuildMemCpy(cg->b, to, 8, from, 8, LLVMBuildMul(cg->b, LLVMBuildSub(cg->b, hi, lo, ""), i64c(cg, 8), ""));
        }
        LLVMValueRef args[6] = {ccols, cP, lo, hi, t, dt};
        LLVMBuildCall2(cg->b, st, step[c], args, 6, "");
      }
      pop_share_end(cg, next);
    }
  }
  LLVMBuildRet(cg->b, LLVMBuildShl(cg->b, LLVMBuildLoad2(cg->b, cg->i64, count, ""), i64c(cg, 8), ""));
  return fn;
}

/* ---- noise ---------------------------------------------------------------------- */

static bool has_noise(const Mir *x) {
  for (int k = 0; k < x->nstates; k++)
    if (x->states[k].noise) return true;
  return false;
}

/* map[j]: the network's noisy index (MsnModel.noise_states order) of cell
 * c's j-th noisy state; *n of them. */
static int *noise_map(Cg *cg, int c, int *n) {
  const Mir *m = cg->m, *x = m->cells->cell[c];
  int *map = calloc((size_t)x->nstates + 1, sizeof *map);
  *n = 0;
  for (int k = 0; k < x->nstates; k++) {
    if (!x->states[k].noise) continue;
    int u = m->cells->smap[c][k], q = 0;
    for (int v = 0; v < u; v++) q += m->states[v].noise != NULL;
    map[(*n)++] = q;
  }
  return map;
}

/* The noise columns g of the network that cell c does not drive (a state
 * it lacks, or has without noise) are 0 on [lo, hi): its instances get no
 * noise there. */
static void zero_quiet(Cg *cg, const int *map, int n, LLVMValueRef g, LLVMValueRef lo, LLVMValueRef hi) {
  int nnoise = 0;
  for (int u = 0; u < cg->m->nstates; u++) nnoise += cg->m->states[u].noise != NULL;
  for (int q = 0; q < nnoise; q++) {
    bool driven = false;
    for (int j = 0; j < n; j++) driven |= map[j] == q;
    if (driven) continue;
    LLVMValueRef idx = i64c(cg, q);
    LLVMValueRef col = LLVMBuildLoad2(cg->b, cg->ptr, LLVMBuildInBoundsGEP2(cg->b, cg->ptr, g, &idx, 1, ""), "");
    LLVMValueRef at = LLVMBuildInBoundsGEP2(cg->b, cg->f64, col, &lo, 1, "");
    LLVMValueRef len = LLVMBuildMul(cg->b, LLVMBuildSub(cg->b, hi, lo, ""), i64c(cg, 8), "");
    LLVMBuildMemSet(cg->b, at, LLVMConstInt(cg->i8, 0, 0), len, 8);
  }
}

/* The network's noise_step (cols, sd, P, begin, end, t, dt) over the
 * cells' kernels sub[c] (null: the cell has no noise): each cell's kernel
 * writes the columns of its noisy states on its populations' instances,
 * and the other columns of sd are 0 there.  (A network runs staggered
 * only: it has no noise kernel for euler and heun.) */
static LLVMValueRef noise_step_dispatcher(Cg *cg, LLVMValueRef *sub) {
  const Mir *m = cg->m;
  const MirCells *mc = m->cells;
  const NetSpec *net = m->network;
  LLVMTypeRef p = cg->ptr, i = cg->i64, d = cg->f64;
  LLVMTypeRef sig[] = {p, p, p, i, i, d, d};
  LLVMTypeRef ft = LLVMFunctionType(cg->void_t, sig, 7, 0);
  char *name = cg_strfmt("%s_%s", m->name, suffix[KI_NOISE_STEP]);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, ft);
  free(name);
  cg_function_attrs(cg, fn);
  LLVMPositionBuilderAtEnd(cg->b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMValueRef sd = LLVMGetParam(fn, 1), begin = LLVMGetParam(fn, 3), end = LLVMGetParam(fn, 4);
  for (int c = 0; c < mc->n; c++) {
    const Mir *x = mc->cell[c];
    int n;
    int *map = noise_map(cg, c, &n);
    LLVMValueRef args[7];
    for (unsigned a = 0; a < 7; a++) args[a] = LLVMGetParam(fn, a);
    if (!LLVMIsNull(sub[c])) {
      args[0] = pick(cg, cg->ptr, LLVMGetParam(fn, 0), mc->smap[c], x->nstates, "cols");
      args[1] = pick(cg, cg->ptr, sd, map, n, "sd");
      args[2] = pick(cg, cg->f64, LLVMGetParam(fn, 2), mc->pmap[c], x->nparams, "P");
    }
    for (int k = 0; k < net->pops.n; k++) {
      const NetPop *pop = net->pops.v[k];
      if (pop->source || pop->cell_index != c) continue;
      LLVMValueRef lo, hi;
      LLVMBasicBlockRef next = pop_share(cg, fn, pop, begin, end, &lo, &hi);
      if (!LLVMIsNull(sub[c])) {
        args[3] = lo;
        args[4] = hi;
        LLVMBuildCall2(cg->b, ft, sub[c], args, 7, "");
      }
      zero_quiet(cg, map, n, sd, lo, hi);
      pop_share_end(cg, next);
    }
    free(map);
  }
  LLVMBuildRetVoid(cg->b);
  return fn;
}

CgModule *cg_build_cells(const Mir *m, const CgOptions *opt, char **err) {
  const MirCells *mc = m->cells;
  for (int c = 0; c < mc->n; c++)
    if ((*err = cg_validate(mc->cell[c]))) return NULL;
  CgModule *cm = calloc(1, sizeof *cm);
  if (!cm) {
    *err = cg_strdup("out of memory");
    return NULL;
  }
  if (opt) cm->opt = *opt;
  else cm->opt.opt_level = 3;
  cm->name = cg_strdup(m->name);
  if (!cg_target_setup(cm, m->name, err)) {
    cg_free(cm);
    return NULL;
  }
  Cg cg;
  cg_init(&cg, m, cm);
  /* Only the kernels the runtime can call (docs/codegen.md, Build time):
   * a network runs with the staggered method only, so no rhs and no noise
   * (for euler and heun; noise_step serves the staggered method); with a
   * reset it runs vstep, which runs each cell's vstep, or its step when
   * the cell has no reset, so no step for the cells with one and no step
   * of the network. */
  bool fused = m->has_reset && m->spike_state >= 0;
  LLVMValueRef **sub = calloc((size_t)mc->n, sizeof *sub);
  cg.vstep_b_each = true;
  for (int c = 0; c < mc->n; c++) {
    sub[c] = calloc(KI_NOISE_STEP + 1, sizeof **sub);
    cg.m = mc->cell[c];
    bool reset = mc->cell[c]->has_reset && mc->cell[c]->spike_state >= 0, noisy = has_noise(mc->cell[c]);
    for (int k = KI_INIT; k <= KI_NOISE_STEP; k++) {
      bool none = k == KI_RHS || k == KI_NOISE || ((k == KI_VLIN || k == KI_VSTEP) && !reset) ||
                  (k == KI_STEP && fused && reset) || (k == KI_NOISE_STEP && !noisy);
      sub[c][k] = none ? LLVMConstPointerNull(cg.ptr) : cg_model_kernel(&cg, k);
    }
  }
  cg.m = m;
  bool noisy = has_noise(m);
  LLVMValueRef kernels[6], per[64], *col = mc->n <= 64 ? per : calloc((size_t)mc->n, sizeof *col);
  for (int k = KI_INIT; k <= KI_VLIN; k++) {
    for (int c = 0; c < mc->n; c++) col[c] = sub[c][k];
    bool none = k == KI_RHS || k == KI_NOISE || (k == KI_VLIN && !m->has_reset) || (k == KI_STEP && fused);
    kernels[k] = none ? LLVMConstPointerNull(cg.ptr) : dispatcher(&cg, k, col);
  }
  if (fused) { /* found by cg_emit_desc under NAME_vstep */
    LLVMValueRef *vs = calloc((size_t)mc->n, sizeof *vs), *st = calloc((size_t)mc->n, sizeof *st);
    for (int c = 0; c < mc->n; c++) vs[c] = sub[c][KI_VSTEP], st[c] = sub[c][KI_STEP];
    vstep_dispatcher(&cg, vs, st);
    free(vs);
    free(st);
  }
  if (noisy) { /* found by cg_emit_desc under its name, NAME_noise_step */
    for (int c = 0; c < mc->n; c++) col[c] = sub[c][KI_NOISE_STEP];
    noise_step_dispatcher(&cg, col);
  }
  if (col != per) free(col);
  for (int c = 0; c < mc->n; c++) free(sub[c]);
  free(sub);
  cg_emit_desc(&cg, kernels);
  if (cm->opt.with_main) cg_emit_main(&cg);
  return cg_finish(&cg, cm, err);
}
