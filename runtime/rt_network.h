/* runtime/rt_network.h — running a network model (MsnModel.network,
 * runtime/msnrt_network.h) inside libmsnrt's time loop: see
 * runtime/rt_network_run.c. */
#ifndef MSN_RT_NETWORK_H
#define MSN_RT_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_internal.h"

/* After the model's init at t = 0: check the method, apply the
 * populations' initial values, build the projections and ring buffers.
 * False (with r->status set) on failure. */
bool rt_network_start(RtRun *r);
/* The staggered time loop of a network: the instances split into parts,
 * one per thread (--threads); each step every part integrates its
 * neurons, then, once all spikes of the step are known, delivers them
 * (stamped t_{k+1}; they arrive delay steps later) to its own targets and
 * adds the input arriving at t_{k+1}.  Results do not depend on the
 * number of threads. */
void rt_network_run(RtRun *r);
/* spikes.csv as `t [ms],population,id` (id within the population), or
 * spikes.npy with the columns t, population index, id. */
bool rt_network_write_spikes(RtRun *r);
void rt_network_free(RtRun *r);
/* runtime/rt_network_output.c: rates.csv (or .npy) from the final spike
 * list when the network records rates (true when it does not), and the
 * bin width in whole steps of dt (0: no rates). */
bool rt_network_write_rates(RtRun *r);
/* runtime/rt_network_output.c, `record spikes per population`:
 * spikes_NAME.csv (t [ms],id) or .npy (n, 2) for every population of
 * neurons, in the order of spikes.csv; and the spike files as run.json's
 * "files" entries. */
bool rt_network_write_pop_spikes(RtRun *r);
/* A spike file (runtime/rt_network_output.c): OUT/name through a 64 KB
 * stdio buffer, CSV lines formatted into chunk and written 16 KB at a
 * time.  rt_spike_file_line gives room for a line of at most need bytes
 * at chunk + used (the caller adds the line's length to used); close
 * reports a failed write (exit status 3) and frees the file's memory. */
typedef struct RtSpikeFile {
  FILE *f;
  char *buf, *path;
  char chunk[1 << 14];
  size_t used;
} RtSpikeFile;
bool rt_spike_file_open(RtRun *r, RtSpikeFile *sf, const char *name);
char *rt_spike_file_line(RtSpikeFile *sf, size_t need);
bool rt_spike_file_close(RtRun *r, RtSpikeFile *sf);
void rt_network_json_spike_files(const RtRun *r, FILE *f);
int64_t rt_network_rate_steps(const RtRun *r);
/* The stored synapses of all projections and the bytes of their CSR
 * arrays (Poisson sources store none). */
void rt_network_synapses(const RtRun *r, uint64_t *n, uint64_t *bytes);
/* The number of threads the network ran on. */
int rt_network_threads_used(const RtRun *r);
/* "exc[12]": instance i as population and index within it. */
void rt_network_neuron_name(const RtRun *r, int64_t i, char *buf, size_t len);

#endif
