/* runtime/rt_sources.h — regular and spike-time sources of a network
 * (MsnPopulation kinds 2 and 3, runtime/msnrt_network.h; docs/language.md
 * 5.9): which of their spikes fall into a time step. */
#ifndef MSN_RT_SOURCES_H
#define MSN_RT_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msnrt_network.h"

enum { RT_SOURCE_POISSON = 1, RT_SOURCE_REGULAR = 2, RT_SOURCE_SPIKES = 3 };

/* The grid index s >= 1 at which a spike at time t (s) is stamped: the
 * first grid time s dt >= t, where a t within 1e-9 (relative) of a grid
 * time counts as that grid time.  A spike at t = 0 is stamped dt. */
int64_t rt_source_grid_step(double t, double dt);

/* Append the spikes of source population P (kind 2 or 3) stamped at grid
 * index k + 1, the end of step k, to (*src, *ts) from index *n on: the
 * source index within P and the exact spike time (s), in order of time,
 * then source.  The buffers grow as needed (*cap entries).  False when out
 * of memory. */
bool rt_source_spikes(const MsnPopulation *P, int64_t k, double dt, uint32_t **src, double **ts, size_t *cap,
                      size_t *n);

/* Read a spike-time file (`source S = [N] spikes from "FILE"`): CSV with
 * two columns, the source index (from 0) and the time [ms]; an optional
 * header line, blank lines and `#` comments.  Indices must be whole,
 * >= 0 and, with n_src > 0, below n_src; times finite and >= 0.  On
 * success *t (s) and *id hold the *n spikes sorted by time, then index,
 * and *max_id the largest index (-1 when empty); the caller frees both.
 * On error -1 with "SHOWN:LINE: message" in err. */
int rt_spike_file_read(const char *path, const char *shown, int64_t n_src, double **t, int64_t **id, size_t *n,
                       int64_t *max_id, char *err, size_t errlen);

#endif
