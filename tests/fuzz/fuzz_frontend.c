/* tests/fuzz/fuzz_frontend.c — libFuzzer harness over the front end:
 * lexer, parser, imports, checks, lowering and `msnc info`'s printer.
 *
 * Each input is the text of a main .msn file (an embedded NUL ends it).
 * It is loaded as /nonexistent/msn-fuzz/input.msn, so relative imports
 * fail with E0501, while `import "hh"` resolves against the stdlib of the
 * source tree (MSN_FUZZ_STDLIB, set by Makefile.am; $MSN_STDLIB is
 * overwritten).  The stages run as in `msnc check`/`msnc info`: check only
 * after a clean load, lowering only after a clean check.  Diagnostics go
 * to /dev/null; everything is freed, so LeakSanitizer sees real leaks.
 *
 * Build and run: see tests/fuzz/run.sh and the fuzz block of Makefile.am. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msnc.h"

#ifndef MSN_FUZZ_STDLIB
#error "MSN_FUZZ_STDLIB must name the stdlib directory of the source tree"
#endif

#define FUZZ_PATH "/nonexistent/msn-fuzz/input.msn"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  setenv("MSN_STDLIB", MSN_FUZZ_STDLIB, 1);
  devnull = fopen("/dev/null", "w");
  if (!devnull) {
    perror("fuzz_frontend: /dev/null");
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  Compilation c;
  msnc_init(&c, devnull);
  if (msnc_load_string(&c, FUZZ_PATH, text) && msnc_check(&c)) {
    Mir *m = msnc_lower(&c);
    if (m && c.diag.nerrors == 0) mir_print_info(devnull, m);
  }
  msnc_free(&c);
  free(text);
  return 0;
}
