/* runtime/rt_network_output.c — the outputs of a network besides its
 * single spike file (docs/language.md 5.9, "Output"):
 *   OUT/spikes_NAME.csv  "t [ms],id" (`record spikes per population`): the
 *                  spikes of population NAME, in the order of spikes.csv;
 *                  spikes_NAME.npy: the same as an (n, 2) float64 array.
 *   OUT/rates.csv  "t [ms],exc [Hz],inh [Hz],..." (`record rates every W`):
 *                  per population of neurons, its spikes in the bin
 *                  [t, t + W) over (N W), one row per bin stamped at its
 *                  start; rates.npy: the same numbers as a float64 array.
 * The rates come from the run's final (sorted) spike list, after the time
 * loop. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msnrt_network.h"
#include "rt_internal.h"
#include "rt_network.h"

/* The bin width of rates.csv in whole steps of the run's dt (at least one),
 * or 0 when the network records no rates. */
int64_t rt_network_rate_steps(const RtRun *r) {
  const MsnNetwork *d = r->m->network;
  if (!d || !(d->rate_bin > 0)) return 0;
  double k = round(d->rate_bin / r->opt.dt);
  return k < 1 ? 1 : (int64_t)k;
}

bool rt_network_write_rates(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  int64_t bsteps = rt_network_rate_steps(r);
  if (!bsteps) return true;
  int64_t np = 0; /* populations of neurons */
  for (int64_t p = 0; p < d->npops; p++) np += d->pops[p].kind == 0;
  int64_t nbins = (r->steps_done + bsteps - 1) / bsteps;
  double w_ms = (double)bsteps * r->opt.dt / RT_MS, end_ms = (double)r->steps_done * r->opt.dt / RT_MS;
  int64_t *cnt = calloc((size_t)(nbins * np + 1), sizeof *cnt);
  int64_t *pix = calloc((size_t)d->npops + 1, sizeof *pix);
  bool npy = r->opt.format == RT_FORMAT_NPY;
  size_t len = strlen(r->opt.out_dir) + 16;
  char *path = malloc(len);
  if (!cnt || !pix || !path) {
    free(cnt), free(pix), free(path);
    rt_fail(r, RT_EXIT_IO, "out of memory for the rates");
    return false;
  }
  snprintf(path, len, "%s/%s", r->opt.out_dir, npy ? "rates.npy" : "rates.csv");
  for (int64_t p = 0, c = 0; p < d->npops; p++) pix[p] = d->pops[p].kind == 0 ? c++ : -1;
  /* a spike at t is in bin floor(t / W), within 1e-9 of a bin's start in
   * that bin; spikes at the end of the run count in the last bin */
  for (size_t k = 0; nbins && k < r->spikes.n; k++) {
    int64_t id = r->spikes.v[k].id, p = 0;
    while (p < d->npops && !(d->pops[p].kind == 0 && id >= d->pops[p].first && id < d->pops[p].first + d->pops[p].n))
      p++;
    if (p == d->npops) continue;
    double b = floor(r->spikes.v[k].t / RT_MS / w_ms + 1e-9);
    int64_t bi = b < 0 ? 0 : b >= (double)nbins ? nbins - 1 : (int64_t)b;
    cnt[bi * np + pix[p]]++;
  }
  FILE *f = fopen(path, "wb");
  if (!f) {
    rt_fail(r, RT_EXIT_IO, "cannot create '%s': %s", path, strerror(errno));
    free(cnt), free(pix), free(path);
    return false;
  }
  if (npy) {
    rt_npy_header(f, nbins, 1 + np);
  } else {
    fputs("t [ms]", f);
    for (int64_t p = 0; p < d->npops; p++)
      if (d->pops[p].kind == 0) fprintf(f, ",%s [Hz]", d->pops[p].name);
    fputc('\n', f);
  }
  for (int64_t b = 0; b < nbins; b++) {
    double t0 = (double)(b * bsteps) * r->opt.dt / RT_MS;
    double width = b == nbins - 1 ? end_ms - t0 : w_ms; /* the last bin may be shorter */
    char num[40];
    if (npy) {
      fwrite(&t0, sizeof t0, 1, f); /* little-endian hosts, as spikes.npy */
    } else {
      fwrite(num, 1, (size_t)rt_format_g(t0, 10, num), f);
    }
    for (int64_t p = 0; p < d->npops; p++) {
      if (d->pops[p].kind != 0) continue;
      double hz = (double)cnt[b * np + pix[p]] * 1000.0 / ((double)d->pops[p].n * width);
      if (npy) {
        fwrite(&hz, sizeof hz, 1, f);
      } else {
        num[0] = ',';
        fwrite(num, 1, (size_t)rt_format_g(hz, 10, num + 1) + 1, f);
      }
    }
    if (!npy) fputc('\n', f);
  }
  bool ok = !ferror(f);
  if (fclose(f) != 0) ok = false;
  if (!ok) rt_fail(r, RT_EXIT_IO, "cannot write '%s'", path);
  free(cnt), free(pix), free(path);
  return ok;
}

/* ---- spikes per population ------------------------------------------------ */

/* The population of neuron instance id: a binary search over the
 * populations of neurons, whose instance ranges follow declaration order
 * (sources own no instances).  neur holds their indices; -1 when id is
 * none of theirs. */
static int64_t pop_of_instance(const MsnNetwork *d, const int64_t *neur, int64_t nn, int64_t id) {
  int64_t lo = 0, hi = nn;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    const MsnPopulation *q = &d->pops[neur[mid]];
    if (id < q->first) hi = mid;
    else if (id >= q->first + q->n) lo = mid + 1;
    else return neur[mid];
  }
  return -1;
}

/* A spike file written through a 64 KB stdio buffer, its CSV lines
 * formatted by hand and gathered 16 KB at a time in chunk (one fwrite per
 * line, its locking and bookkeeping, was a quarter of the writing). */
bool rt_spike_file_open(RtRun *r, RtSpikeFile *sf, const char *name) {
  size_t len = strlen(r->opt.out_dir) + strlen(name) + 2;
  sf->used = 0;
  sf->buf = NULL;
  sf->f = NULL;
  sf->path = malloc(len);
  if (!sf->path) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the name of %s", name);
    return false;
  }
  snprintf(sf->path, len, "%s/%s", r->opt.out_dir, name);
  sf->f = fopen(sf->path, "wb");
  if (!sf->f) {
    rt_fail(r, RT_EXIT_IO, "cannot create '%s': %s", sf->path, strerror(errno));
    free(sf->path);
    return false;
  }
  sf->buf = malloc(1 << 16);
  if (sf->buf) setvbuf(sf->f, sf->buf, _IOFBF, 1 << 16);
  return true;
}

/* Room for one more line of at most `need` bytes in the chunk. */
char *rt_spike_file_line(RtSpikeFile *sf, size_t need) {
  if (sf->used > sizeof sf->chunk - need) {
    fwrite(sf->chunk, 1, sf->used, sf->f);
    sf->used = 0;
  }
  return sf->chunk + sf->used;
}

bool rt_spike_file_close(RtRun *r, RtSpikeFile *sf) {
  if (sf->used) fwrite(sf->chunk, 1, sf->used, sf->f);
  bool ok = !ferror(sf->f);
  if (fclose(sf->f) != 0) ok = false;
  if (!ok) rt_fail(r, RT_EXIT_IO, "cannot write '%s'", sf->path);
  free(sf->buf);
  free(sf->path);
  return ok;
}

/* One population's file from the spikes order[0 .. n), written through a
 * 64 KB stdio buffer; CSV lines are formatted by hand and gathered 16 KB at
 * a time, as spikes.csv (runtime/rt_network_run.c), so that the numbers
 * are the same characters. */
static bool write_pop_file(RtRun *r, const MsnPopulation *q, const size_t *order, size_t n) {
  const RtSpikes *s = &r->spikes;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  size_t len = strlen(q->name) + 16;
  char *name = malloc(len);
  if (!name) {
    rt_fail(r, RT_EXIT_IO, "out of memory for the spikes of %s", q->name);
    return false;
  }
  snprintf(name, len, "spikes_%s.%s", q->name, npy ? "npy" : "csv");
  RtSpikeFile *sf = malloc(sizeof *sf);
  bool opened = sf && rt_spike_file_open(r, sf, name);
  if (!sf) rt_fail(r, RT_EXIT_IO, "out of memory for the spikes of %s", q->name);
  free(name);
  if (!opened) {
    free(sf);
    return false;
  }
  if (npy) rt_npy_header(sf->f, (int64_t)n, 2);
  else fputs("t [ms],id\n", sf->f);
  for (size_t k = 0; k < n; k++) {
    const RtSpike *sp = &s->v[order[k]];
    int64_t id = sp->id - q->first;
    if (npy) {
      double row[2] = {sp->t / RT_MS, (double)id};
      fwrite(row, sizeof row, 1, sf->f); /* little-endian hosts, as spikes.npy */
      continue;
    }
    char *o = rt_spike_file_line(sf, 64), *o0 = o;
    o += rt_format_g17(sp->t / RT_MS, o);
    *o++ = ',';
    o += rt_format_i64(id, o);
    *o++ = '\n';
    sf->used += (size_t)(o - o0);
  }
  bool ok = rt_spike_file_close(r, sf);
  free(sf);
  return ok;
}

bool rt_network_write_pop_spikes(RtRun *r) {
  const MsnNetwork *d = r->m->network;
  RtSpikes *s = &r->spikes;
  rt_spikes_sort(s);
  int64_t *neur = malloc(sizeof *neur * (size_t)(d->npops + 1));
  size_t *start = calloc((size_t)d->npops + 2, sizeof *start);
  size_t *order = malloc(sizeof *order * (s->n + 1));
  int64_t *pop = malloc(sizeof *pop * (s->n + 1));
  if (!neur || !start || !order || !pop) {
    free(neur), free(start), free(order), free(pop);
    rt_fail(r, RT_EXIT_IO, "out of memory for the spikes per population");
    return false;
  }
  int64_t nn = 0;
  for (int64_t p = 0; p < d->npops; p++)
    if (d->pops[p].kind == 0) neur[nn++] = p;
  /* a stable counting sort by population keeps each population's spikes
   * in the order of the sorted list (time, then neuron) */
  for (size_t k = 0; k < s->n; k++) {
    pop[k] = pop_of_instance(d, neur, nn, s->v[k].id);
    if (pop[k] >= 0) start[pop[k] + 1]++;
  }
  for (int64_t p = 0; p < d->npops; p++) start[p + 1] += start[p];
  size_t *fill = calloc((size_t)d->npops + 1, sizeof *fill);
  bool ok = fill != NULL;
  if (!ok) rt_fail(r, RT_EXIT_IO, "out of memory for the spikes per population");
  for (size_t k = 0; ok && k < s->n; k++)
    if (pop[k] >= 0) order[start[pop[k]] + fill[pop[k]]++] = k;
  for (int64_t i = 0; ok && i < nn; i++) {
    int64_t p = neur[i];
    ok = write_pop_file(r, &d->pops[p], order + start[p], start[p + 1] - start[p]);
  }
  free(fill), free(neur), free(start), free(order), free(pop);
  return ok;
}

/* "files" of run.json for the spikes: "spikes": "spikes.csv", or with
 * spikes per population "spikes_per_population": {"exc": "spikes_exc.csv", ...}. */
void rt_network_json_spike_files(const RtRun *r, FILE *f) {
  const MsnNetwork *d = r->m->network;
  bool npy = r->opt.format == RT_FORMAT_NPY;
  if (!d->spikes_per_pop) {
    fprintf(f, "\"spikes\": \"%s\"", npy ? "spikes.npy" : "spikes.csv");
    return;
  }
  fputs("\"spikes_per_population\": {", f);
  for (int64_t p = 0, c = 0; p < d->npops; p++) {
    if (d->pops[p].kind != 0) continue;
    if (c++) fputs(", ", f);
    rt_json_string(f, d->pops[p].name);
    fprintf(f, ": \"spikes_%s.%s\"", d->pops[p].name, npy ? "npy" : "csv");
  }
  fputc('}', f);
}
