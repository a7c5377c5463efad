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

#endif
