/* tests/unit/test_swc.c — SWC morphology files: reading, located errors,
 * and the cable sections they become (compiler/swc.c). */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swc.h"

static char tmpdir[] = "/tmp/msn-swc-XXXXXX";
static char *diag_text;
static size_t diag_len;

static const char *write_swc(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

/* Load text as an SWC file; returns success, diagnostics in diag_text. */
static bool load(const char *text, Arena *A, SwcMorph *m) {
  free(diag_text);
  diag_text = NULL;
  FILE *out = open_memstream(&diag_text, &diag_len);
  Diag d;
  diag_init(&d, out);
  d.color = false;
  bool ok = swc_load(write_swc("t.swc", text), &d, (Loc){0}, A, m);
  fclose(out);
  return ok;
}

static bool has(const char *s) { return diag_text && strstr(diag_text, s); }

static void test_ball_and_stick(void) {
  Arena *A = arena_new();
  SwcMorph m;
  const char *text = "# ball and stick\n1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n3 3 110 0 0 1 2\n"
                     "4 3 210 0 0 1 3\n# trailing comment\n";
  CU_ASSERT_TRUE_FATAL(load(text, A, &m));
  CU_ASSERT_EQUAL(m.n, 4);
  CU_ASSERT_DOUBLE_EQUAL(m.s[1].x, 10e-6, 1e-18);
  RtCableSection *secs;
  int *types;
  int ns = swc_sections(&m, A, &secs, &types);
  CU_ASSERT_EQUAL_FATAL(ns, 3);
  CU_ASSERT_EQUAL(secs[0].shape, RT_CABLE_SPHERE);
  CU_ASSERT_DOUBLE_EQUAL(secs[0].diam, 20e-6, 1e-18);
  double total = 0;
  for (int k = 1; k < ns; k++) {
    total += secs[k].length;
    CU_ASSERT_EQUAL(types[k], SWC_BASAL);
    CU_ASSERT_EQUAL(secs[k].parent, k - 1);
  }
  /* the dendrite starts on the soma (sample 2, 10 um from the centre of a
   * 10 um radius sphere): 100 + 100 um */
  CU_ASSERT_DOUBLE_EQUAL(total, 200e-6, 1e-15);
  char err[256];
  RtCable *c = rt_cable_build(secs, ns, 1.0, 0.01, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL(c);
  if (c) {
    CU_ASSERT_DOUBLE_EQUAL(c->area[0] > 0, 1, 0);
    rt_cable_free(c);
  }
  srcfile_free(m.file);
  arena_free(A);
}

/* NeuroMorpho's three-point soma, a repeated point at a branch, and samples
 * listed before their parents. */
static void test_three_point_soma_and_order(void) {
  Arena *A = arena_new();
  SwcMorph m;
  const char *text = "3 1 0 10 0 10 1\n1 1 0 0 0 10 -1\n2 1 0 -10 0 10 1\n"
                     "5 2 0 -60 0 0.5 4\n4 2 0 -10 0 0.5 2\n"
                     "6 3 50 0 0 1 1\n7 3 50 0 0 1 6\n8 3 90 0 0 1 7\n";
  CU_ASSERT_TRUE_FATAL(load(text, A, &m));
  RtCableSection *secs;
  int *types;
  int ns = swc_sections(&m, A, &secs, &types);
  /* soma: two 10 um segments; axon 50 um (4 is at 2's place); dendrite 50 + 40 */
  CU_ASSERT_EQUAL_FATAL(ns, 5);
  CU_ASSERT_EQUAL(secs[0].shape, RT_CABLE_CYLINDER);
  CU_ASSERT_EQUAL(secs[0].parent, -1);
  double len[8] = {0};
  for (int k = 0; k < ns; k++) len[types[k]] += secs[k].length;
  CU_ASSERT_DOUBLE_EQUAL(len[SWC_SOMA], 20e-6, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(len[SWC_AXON], 50e-6, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(len[SWC_BASAL], 90e-6, 1e-15);
  for (int k = 1; k < ns; k++) CU_ASSERT(secs[k].parent >= 0 && secs[k].parent < k);
  char err[256];
  RtCable *c = rt_cable_build(secs, ns, 1.0, 0.01, err, sizeof err);
  CU_ASSERT_PTR_NOT_NULL(c);
  rt_cable_free(c);
  srcfile_free(m.file);
  arena_free(A);
}

static void test_errors_are_located(void) {
  Arena *A = arena_new();
  SwcMorph m;
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 1\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:2:1: error[E0701]"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 ten 0 0 1 1\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:2:5: error[E0702]: the x of an SWC row must be a number, not 'ten'"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3.5 10 0 0 1 1\n", A, &m));
  CU_ASSERT_TRUE(has("error[E0702]: the type of an SWC row must be a whole number"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 0 1\n3 3 20 0 0 -1 2\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:2:12: error[E0705]"));
  CU_ASSERT_TRUE(has("t.swc:3:12: error[E0705]")); /* several errors in one run */
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n2 3 20 0 0 1 1\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:3:1: error[E0703]: sample id 2 is used twice"));
  CU_ASSERT_TRUE(has("t.swc:2:1: note: first used here"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 1 7\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:2:1: error[E0704]: sample 2 names parent 7"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 1 3\n3 3 20 0 0 1 2\n", A, &m));
  CU_ASSERT_TRUE(has("error[E0706]"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("1 1 0 0 0 10 -1\n2 3 10 0 0 1 -1\n", A, &m));
  CU_ASSERT_TRUE(has("t.swc:2:1: error[E0707]"));
  srcfile_free(m.file);
  CU_ASSERT_FALSE(load("# only comments\n\n", A, &m));
  CU_ASSERT_TRUE(has("error[E0708]"));
  srcfile_free(m.file);
  /* a missing file names the file */
  free(diag_text);
  diag_text = NULL;
  FILE *out = open_memstream(&diag_text, &diag_len);
  Diag d;
  diag_init(&d, out);
  CU_ASSERT_FALSE(swc_load("/nonexistent/x.swc", &d, (Loc){0}, A, &m));
  fclose(out);
  CU_ASSERT_TRUE(has("error[E0700]: cannot read the morphology /nonexistent/x.swc"));
  arena_free(A);
}

/* The shipped example: the geometry the README describes. */
static void test_shipped_example(void) {
  Arena *A = arena_new();
  SwcMorph m;
  Diag d;
  diag_init(&d, stderr);
  CU_ASSERT_TRUE_FATAL(swc_load(MSN_ABS_SRCDIR "/examples/ball_and_stick/ball_and_stick.swc", &d, (Loc){0}, A, &m));
  RtCableSection *secs;
  int *types;
  int ns = swc_sections(&m, A, &secs, &types);
  double dend = 0;
  for (int k = 1; k < ns; k++) dend += secs[k].length;
  CU_ASSERT_EQUAL(secs[0].shape, RT_CABLE_SPHERE);
  CU_ASSERT_DOUBLE_EQUAL(secs[0].diam, 20e-6, 1e-18);
  CU_ASSERT_DOUBLE_EQUAL(dend, 800e-6, 1e-15); /* from the soma surface, as the file says */
  srcfile_free(m.file);
  arena_free(A);
}

int main(void) {
  if (!mkdtemp(tmpdir)) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("swc", NULL, NULL);
  CU_add_test(s, "ball and stick", test_ball_and_stick);
  CU_add_test(s, "three-point soma, repeated points, order", test_three_point_soma_and_order);
  CU_add_test(s, "errors are located", test_errors_are_located);
  CU_add_test(s, "shipped example", test_shipped_example);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  free(diag_text);
  char path[600];
  snprintf(path, sizeof path, "%s/t.swc", tmpdir);
  unlink(path);
  rmdir(tmpdir);
  return failures ? 1 : 0;
}
