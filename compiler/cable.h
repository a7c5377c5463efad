/* compiler/cable.h — a cell with a morphology, lowered (compiler/lower_cable.c)
 * for code generation (compiler/codegen_cable.c) and `msnc info`.
 *
 * Everything is SI.  The sections are those of runtime/rt_cable.h with
 * their segment counts chosen; each inserted channel is a kernel
 * (docs/kernel-abi.md) with V as an input, evaluated on the compartments
 * of the sections where it is inserted.  Locations are (section, x) with x
 * on that section (a location on an SWC region is mapped onto the
 * section of the region's chain it falls on). */
#ifndef MSN_CABLE_H
#define MSN_CABLE_H

#include "msnc.h"
#include "rt_cable.h"

typedef struct MirCableStim {
  const char *name;
  int sec;
  double x;
  double amp;      /* A, positive inward (into the cell) */
  double t0, t1;   /* s; t1 = INFINITY when the stimulus does not end */
  const double *amp_inst; /* `vary NAME`: one amplitude per instance (A), else NULL */
} MirCableStim;

typedef struct MirCableRec {
  const char *label; /* "V@dend(0.5)": the trace column without its unit */
  int sec;
  double x;
} MirCableRec;

typedef struct MirCable {
  RtCableSection *secs; int nsec;
  const char **region;  /* nsec: the region (block: the section's name) */
  double *lambda;       /* nsec: AC length constant at 100 Hz, m (0 for a sphere) */
  double *gm;           /* nsec: membrane slope conductance at rest, S/m^2 (msnc info) */
  double *lambda_dc;    /* nsec: DC length constant sqrt(d / (4 Ra gm)), m (0: none) */
  double Ra, Cm, V0;    /* ohm*m, F/m^2, V */
  const char *rule;     /* "d_lambda", "segments" or "max_length" */
  double rule_value;
  MirKernel *k; int nk; /* one kernel per inserted channel */
  unsigned char **on;   /* nk x nsec: channel k is inserted on section s */
  double **P;           /* nk: the kernel's nabi scalar parameters (SI) */
  int ncomp;            /* compartments (nodes of rt_cable_build, Hines order) */
  double *dist;         /* ncomp: path distance of each node from the root node, m */
  int *node_sec;        /* ncomp: the section each node belongs to */
  double ***pnode;      /* nk x nabi: a parameter set in the cell that differs
                           between compartments: ncomp SI values (those where the
                           channel is not inserted unused), else NULL; the
                           kernel takes it as an array (MirParam.per_instance) */
  MirCableStim *stims; int nstim;
  MirCableRec *recs; int nrec;
} MirCable;

/* A cell with `morphology NAME` (c->sim.cell); NULL after errors. */
Mir *lower_cable(Compilation *c);
/* `msnc info` for such a model. */
void cable_print_info(FILE *out, const Mir *m);
/* codegen (compiler/codegen_cable.c): the channel kernels, uniform
 * wrappers, the MsnCable descriptor (runtime/msnrt_cable.h) and
 * msn_model_desc pointing at it. */
struct CgModule;
struct CgOptions;
struct CgModule *cg_build_cable(const Mir *m, const struct CgOptions *opt, char **err);

#endif
