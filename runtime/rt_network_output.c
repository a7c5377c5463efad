/* runtime/rt_network_output.c — the outputs of a network besides its spikes
 * (docs/language.md 5.9, "Output"):
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
