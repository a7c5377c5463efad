/* compiler/swc.h — reading SWC morphology files (the NeuroMorpho format)
 * and turning them into cable sections for runtime/rt_cable.h.
 *
 * A row is `id type x y z radius parent`, coordinates and radius in µm,
 * parent -1 for the root; `#` starts a comment.  Types: 1 soma, 2 axon,
 * 3 basal dendrite, 4 apical dendrite, others custom.  Every problem is
 * reported at its place in the SWC file (E07xx), several per run. */
#ifndef MSN_SWC_H
#define MSN_SWC_H

#include "diag.h"
#include "rt_cable.h"
#include "util.h"

enum { SWC_SOMA = 1, SWC_AXON = 2, SWC_BASAL = 3, SWC_APICAL = 4 };

typedef struct SwcSample {
  long id, parent;   /* as written; parent -1 for the root */
  int type;
  double x, y, z, r; /* SI (m) */
  int line;
  int pidx;          /* index of the parent sample, -1 for the root */
} SwcSample;

typedef struct SwcMorph {
  SrcFile *file;     /* owned: free with srcfile_free */
  SwcSample *s;      /* arena */
  int n;
  int root;          /* index of the root sample */
} SwcMorph;

/* Read and check path.  from locates the statement that names the file
 * (for "cannot read"); errors go to d.  Returns false on any error. */
bool swc_load(const char *path, Diag *d, Loc from, Arena *A, SwcMorph *out);

/* Cable sections of a checked morphology: a one-point soma becomes a
 * sphere (section 0) and the first sample of each neurite on it lies on
 * the sphere (the segment from the centre is inside it); every other
 * segment from a sample to its parent is a frustum with nseg 1;
 * zero-length segments are merged into their parent.
 * types[k] is the SWC type of section k.  Returns the number of sections;
 * arrays in A. */
int swc_sections(const SwcMorph *m, Arena *A, RtCableSection **secs, int **types);

#endif
