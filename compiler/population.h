/* compiler/population.h — population models (fields, densities) in the
 * compiler: checks (sema_population.c), lowering (lower_population.c),
 * descriptor (codegen_population.c).  Slot layout: runtime/msnrt_population.h. */
#ifndef MSN_POPULATION_H
#define MSN_POPULATION_H

#include <stdio.h>

#include "msnc.h"
#include "msnrt_population.h"

typedef struct MirPopulation {
  int kind;                     /* MSN_POP_FIELD / MSN_POP_DENSITY */
  double conf[MSN_POP_NCONF];
  char *report;                 /* stability / scale report for msnc info */
  const char *why;              /* the solver, for run.json and msnc info */
} MirPopulation;

Stmt *population_kwarg(const PtrVec *list, int from, const char *name);
Mir *lower_population(Compilation *c);
void population_print_info(FILE *out, const Mir *m);

#endif
