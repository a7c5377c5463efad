/* runtime/rt_edges.h — edge-list files of projections (`connect from
 * "edges.csv"`, docs/language.md 5.9): CSV or .npy tables of (source,
 * target, weight, delay), read and checked row by row.  The compiler reads
 * a file once to report bad rows at compile time; a generated program
 * reads it again when it starts, so a changed file takes effect without
 * recompiling. */
#ifndef MSN_RT_EDGES_H
#define MSN_RT_EDGES_H

#include <stddef.h>
#include <stdint.h>

#include "rt_events.h"

typedef struct RtEdges {
  size_t m;            /* edges */
  uint32_t *src, *tgt; /* indices within the populations */
  double *w;           /* as written: in the unit of the target state */
  double *delay;       /* as written: ms */
} RtEdges;

/* Read an edge list: `.npy` (an N x 4 float64 array, C order) by the
 * file name's ending, else CSV (4 columns; an optional header line;
 * blank lines and `#` comments ignored).  Every row is checked: indices
 * whole and below n_src / n_tgt, a finite weight, a finite delay >= dt_ms
 * (dt_ms <= 0: only >= 0) and at most RT_DELAY_MAX steps.  On error returns
 * -1 with "SHOWN:LINE: message" (CSV) or "SHOWN: row R: message" (.npy, R
 * from 0) in err; SHOWN is how the file is named in messages. */
int rt_edges_read(RtEdges *e, const char *path, const char *shown, uint32_t n_src, uint32_t n_tgt, double dt_ms,
                  char *err, size_t errlen);
void rt_edges_free(RtEdges *e);

/* Read the file and build the projection: weights times w_scale (to SI),
 * delays rounded to steps of dt (s).  *max_delay receives the longest
 * delay in steps (at least 1), *max_rel (may be NULL) the largest relative
 * rounding error of a delay. */
int rt_edges_conn(RtConn *c, const char *path, uint32_t n_src, uint32_t n_tgt, double w_scale, double dt,
                  uint32_t *max_delay, double *max_rel, char *err, size_t errlen);

#endif
