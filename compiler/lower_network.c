/* compiler/lower_network.c — populations and projections on the lowered
 * model: the state names of initial values and projection targets become
 * state indices (docs/language.md 5.9).  The model itself is the
 * populations' cell with one instance per neuron (compiler/network.h). */
#include <stdio.h>
#include <string.h>

#include "msnc.h"
#include "network.h"

/* Index of the state named `name`: its model name or its qualified name
 * NAME_CHANNEL, or the first qualified one when two states share the short
 * name. */
int lower_network_state(const Mir *m, const char *name) {
  size_t n = strlen(name);
  for (int k = 0; k < m->nstates; k++)
    if (strcmp(m->states[k].name, name) == 0 || (m->states[k].qual && strcmp(m->states[k].qual, name) == 0)) return k;
  for (int k = 0; k < m->nstates; k++)
    if (strncmp(m->states[k].name, name, n) == 0 && m->states[k].name[n] == '_') return k;
  return -1;
}

void lower_network_spike_settings(NetPop *p, const Mir *cell) {
  if (p->source) return;
  p->spikes = cell->spike_state >= 0;
  p->threshold = cell->spike_threshold;
  p->has_reset = cell->has_reset;
  p->reset_exact = cell->reset_exact;
  p->reset = cell->reset_value;
  p->refractory = cell->refractory;
}

bool lower_network(Diag *diag, const SimSpec *sim, Mir *m) {
  NetSpec *net = sim->network;
  if (!net) return true;
  bool ok = true;
  for (int i = 0; i < net->pops.n; i++) {
    NetPop *p = net->pops.v[i];
    lower_network_spike_settings(p, m);
    for (int j = 0; j < p->inits.n; j++) {
      NetInit *in = p->inits.v[j];
      in->index = lower_network_state(m, in->state);
      if (in->index < 0) {
        diag_error(diag, in->loc, "E0907", "the model has no state '%s'", in->state);
        ok = false;
      }
    }
  }
  for (int i = 0; i < net->projs.n; i++) {
    NetProj *pr = net->projs.v[i];
    if (pr->synapse) { /* its states: compiler/lower_synapse.c */
      pr->index = -1;
      continue;
    }
    pr->index = lower_network_state(m, pr->target);
    if (pr->index < 0) {
      diag_error(diag, pr->target_loc, "E0911", "the model has no state '%s'", pr->target);
      ok = false;
    } else if (m->has_reset && pr->index == m->spike_state) {
      /* allowed: a voltage jump (delta synapse) */
    }
  }
  if (m->spike_state < 0 && net->projs.n) {
    diag_error(diag, ((NetProj *)net->projs.v[0])->loc, "E0924", "the neurons of a projection must spike: %s has no "
               "`spike when` statement", sim->cell->name);
    ok = false;
  }
  m->network = net;
  return ok;
}
