/* runtime/rt_network.h — running a network model (MsnModel.network,
 * runtime/msnrt_network.h) inside libmsnrt's time loop: see
 * runtime/rt_network_run.c. */
#ifndef MSN_RT_NETWORK_H
#define MSN_RT_NETWORK_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_internal.h"

/* After the model's init at t = 0: check the method, apply the
 * populations' initial values, build the projections and ring buffers.
 * False (with r->status set) on failure. */
bool rt_network_start(RtRun *r);
/* After step k (t_k -> t_{k+1}) and its spike detection: deliver that
 * step's spikes (stamped t_{k+1}; they arrive delay steps later) and add
 * the input arriving at t_{k+1} to the target states. */
bool rt_network_step(RtRun *r, int64_t k);
/* spikes.csv as `t [ms],population,id` (id within the population), or
 * spikes.npy with the columns t, population index, id. */
bool rt_network_write_spikes(RtRun *r);
void rt_network_free(RtRun *r);
/* The stored synapses of all projections and the bytes of their CSR
 * arrays (Poisson sources store none). */
void rt_network_synapses(const RtRun *r, uint64_t *n, uint64_t *bytes);
/* "exc[12]": instance i as population and index within it. */
void rt_network_neuron_name(const RtRun *r, int64_t i, char *buf, size_t len);

#endif
