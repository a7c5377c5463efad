/* tests/unit/test_sources.c — regular and spike-time sources and edge-list
 * files in-process (runtime/rt_sources.c, runtime/rt_edges.c):
 *   - the grid step of a spike time (ties within 1e-9, t = 0 -> dt);
 *   - a regular source asked step by step yields every spike phase + m/rate
 *     exactly once, at its grid step, also with several spikes per step;
 *   - spike-time lists (every source) and files (own source per spike);
 *   - edge lists: CSV with header, comments, CRLF and blanks; .npy; each
 *     kind of bad row rejected with its line or row;
 *   - spike-time files: sorted by time then source; bad rows named.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_edges.h"
#include "rt_sources.h"

static char tmpdir[] = "/tmp/msn-test-sources.XXXXXX";

/* write text to a file in tmpdir; returns its path (static buffer per call site) */
static const char *write_file(const char *name, const void *data, size_t n) {
  static char path[8][512];
  static int k;
  char *p = path[k++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  FILE *f = fopen(p, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fwrite(data, 1, n, f);
  fclose(f);
  return p;
}
static const char *write_text(const char *name, const char *text) { return write_file(name, text, strlen(text)); }

static void test_grid_step(void) {
  const double dt = 1e-4;
  CU_ASSERT_EQUAL(rt_source_grid_step(0.1, dt), 1000);     /* 1000.0000000000001 in binary */
  CU_ASSERT_EQUAL(rt_source_grid_step(0.0, dt), 1);        /* a spike at 0 goes with the first step */
  CU_ASSERT_EQUAL(rt_source_grid_step(0.5e-4, dt), 1);
  CU_ASSERT_EQUAL(rt_source_grid_step(1.5e-4, dt), 2);
  CU_ASSERT_EQUAL(rt_source_grid_step(3 * 0.1e-3, dt), 3); /* 2.9999999999999996 */
  CU_ASSERT_EQUAL(rt_source_grid_step(2.55e-3, dt), 26);
}

/* Ask every step of [0, steps) and compare with the spikes listed directly. */
static void regular_case(double rate, double phase, double dt, int64_t steps, int64_t nsrc) {
  MsnPopulation P = {.name = "r", .first = -1, .n = nsrc, .kind = RT_SOURCE_REGULAR, .rate = rate, .phase = phase};
  uint32_t *src = NULL;
  double *ts = NULL;
  size_t cap = 0, total = 0;
  int64_t m = 0; /* the next expected spike */
  int bad = 0;
  for (int64_t k = 0; k < steps; k++) {
    size_t n = 0;
    CU_ASSERT_TRUE_FATAL(rt_source_spikes(&P, k, dt, &src, &ts, &cap, &n));
    for (size_t i = 0; i < n; i += (size_t)nsrc) {
      double want = phase + (double)m / rate;
      if (ts[i] != want || rt_source_grid_step(want, dt) != k + 1) bad++;
      for (int64_t j = 0; j < nsrc; j++)
        if (src[i + (size_t)j] != (uint32_t)j || ts[i + (size_t)j] != ts[i]) bad++;
      m++;
    }
    total += n;
  }
  /* every spike up to the last grid time was seen */
  int64_t expect = 0;
  while (rt_source_grid_step(phase + (double)expect / rate, dt) <= steps) expect++;
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(m, expect);
  CU_ASSERT_EQUAL(total, (size_t)(expect * nsrc));
  free(src);
  free(ts);
}

static void test_regular(void) {
  regular_case(10, 0.1, 1e-4, 5000, 3);       /* first spike at 1/rate: 100 ms */
  regular_case(33.3, 7e-5, 1e-4, 20000, 1);   /* spikes between grid times */
  regular_case(40, 0, 1e-4, 3000, 2);         /* phase 0: stamped dt */
  regular_case(25000, 1e-5, 1e-4, 200, 1);    /* 2.5 spikes per step */
}

static void test_spike_lists(void) {
  double times[] = {0, 1e-3, 1.04e-3, 5e-3};
  int64_t ids[] = {1, 0, 2, 1};
  MsnPopulation all = {.n = 2, .kind = RT_SOURCE_SPIKES, .ntimes = 4, .times = times};
  MsnPopulation own = {.n = 3, .kind = RT_SOURCE_SPIKES, .ntimes = 4, .times = times, .ids = ids};
  uint32_t *src = NULL;
  double *ts = NULL;
  size_t cap = 0, n = 0;
  /* step 0 ends at 0.1 ms: the spike at 0 */
  CU_ASSERT_TRUE(rt_source_spikes(&all, 0, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT(src[0] == 0 && src[1] == 1 && ts[0] == 0 && ts[1] == 0);
  /* step 9 ends at 1 ms (grid 10): 1 ms; step 10 (grid 11): 1.04 ms */
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&all, 9, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT(n == 2 && ts[0] == 1e-3 && ts[1] == 1e-3 && src[0] == 0 && src[1] == 1);
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&all, 10, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT(n == 2 && ts[0] == 1.04e-3 && src[1] == 1);
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&own, 9, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT(n == 1 && src[0] == 0);
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&own, 10, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT(n == 1 && src[0] == 2);
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&own, 49, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT(n == 1 && src[0] == 1 && ts[0] == 5e-3);
  n = 0;
  CU_ASSERT_TRUE(rt_source_spikes(&own, 48, 1e-4, &src, &ts, &cap, &n));
  CU_ASSERT_EQUAL(n, 0);
  free(src);
  free(ts);
}

static void test_edges_csv(void) {
  RtEdges e;
  char err[512];
  const char *p = write_text("ok.csv", "# comment\r\nsource, target, weight, delay\r\n\r\n 0 , 2 , 0.5 , 1.5 \r\n"
                                       "1,0,-2e-1,0.1 # trailing\n1,0,3,0.1\n");
  CU_ASSERT_EQUAL_FATAL(rt_edges_read(&e, p, "ok.csv", 2, 3, 0.1, err, sizeof err), 0);
  CU_ASSERT_EQUAL(e.m, 3);
  CU_ASSERT(e.src[0] == 0 && e.tgt[0] == 2 && e.w[0] == 0.5 && e.delay[0] == 1.5);
  CU_ASSERT(e.src[1] == 1 && e.tgt[1] == 0 && e.w[1] == -0.2 && e.delay[1] == 0.1);
  CU_ASSERT(e.w[2] == 3); /* a repeated pair stays */
  rt_edges_free(&e);
  p = write_text("empty.csv", "source,target,weight,delay\n");
  CU_ASSERT_EQUAL(rt_edges_read(&e, p, "empty.csv", 2, 3, 0.1, err, sizeof err), 0);
  CU_ASSERT_EQUAL(e.m, 0);
  rt_edges_free(&e);
  struct { const char *text, *msg; } bad[] = {
    {"0,0,1,1\nsource,target,weight,delay\n", "x.csv:2: column 1 (source) is not a number"},
    {"0,0,1,1,5\n", "x.csv:1: expected 4 columns (source, target, weight, delay), found more than 4"},
    {"0.5,0,1,1\n", "x.csv:1: the source index 0.5 is not a whole number >= 0"},
    {"-1,0,1,1\n", "x.csv:1: the source index -1 is not a whole number >= 0"},
    {"#\n0,3,1,1\n", "x.csv:2: the target index 3 is out of range (the target population has 3, indices 0 to 2)"},
    {"0,0,inf,1\n", "x.csv:1: the weight inf is not finite"},
    {"0,0,1,0.05\n", "x.csv:1: the delay 0.05 ms is shorter than the time step dt = 0.1 ms"},
    {"0,0,1,nan\n", "x.csv:1: the delay nan ms is negative or not finite"},
    {"0,0,1,7000\n", "x.csv:1: the delay 7000 ms is longer than 65535 steps of dt = 0.1 ms"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = write_text("x.csv", bad[i].text);
    err[0] = 0;
    CU_ASSERT_EQUAL(rt_edges_read(&e, p, "x.csv", 2, 3, 0.1, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
    if (strcmp(err, bad[i].msg) != 0) printf("\n  got: %s\n  want: %s\n", err, bad[i].msg);
  }
  CU_ASSERT_EQUAL(rt_edges_read(&e, "/nonexistent/e.csv", "e.csv", 2, 3, 0.1, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open the edge list 'e.csv'"));
}

/* a .npy file, format 1.0, whose header says rows x cols; it holds the
 * first `have` rows of v */
static const char *write_npy(const char *name, const double *v, int rows, int have, int cols, const char *descr) {
  char head[128];
  int n = snprintf(head, sizeof head, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols);
  while ((10 + n + 1) % 64) head[n++] = ' ';
  head[n++] = '\n';
  size_t len = 10 + (size_t)n + sizeof(double) * (size_t)(have * cols);
  unsigned char *b = malloc(len);
  memcpy(b, "\x93NUMPY\x01\x00", 8);
  b[8] = (unsigned char)(n & 0xff);
  b[9] = (unsigned char)(n >> 8);
  memcpy(b + 10, head, (size_t)n);
  memcpy(b + 10 + n, v, sizeof(double) * (size_t)(have * cols));
  const char *p = write_file(name, b, len);
  free(b);
  return p;
}

static void test_edges_npy(void) {
  RtEdges e;
  char err[512];
  double ok[] = {0, 2, 0.5, 1.5, 1, 0, -0.25, 0.1};
  const char *p = write_npy("ok.npy", ok, 2, 2, 4, "<f8");
  CU_ASSERT_EQUAL_FATAL(rt_edges_read(&e, p, "ok.npy", 2, 3, 0.1, err, sizeof err), 0);
  CU_ASSERT(e.m == 2 && e.tgt[0] == 2 && e.w[1] == -0.25 && e.delay[1] == 0.1);
  rt_edges_free(&e);
  double badrow[] = {0, 2, 0.5, 1.5, 1, 0, NAN, 0.1};
  p = write_npy("bad.npy", badrow, 2, 2, 4, "<f8");
  CU_ASSERT_EQUAL(rt_edges_read(&e, p, "bad.npy", 2, 3, 0.1, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "bad.npy: row 1: the weight nan is not finite");
  p = write_npy("f4.npy", ok, 2, 2, 4, "<f4");
  CU_ASSERT_EQUAL(rt_edges_read(&e, p, "f4.npy", 2, 3, 0.1, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "f4.npy: expected a float64 array of shape (N, 4)"));
  p = write_npy("short.npy", ok, 3, 2, 4, "<f8"); /* says 3 rows, holds 2 */
  CU_ASSERT_EQUAL(rt_edges_read(&e, p, "short.npy", 2, 3, 0.1, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "short.npy: the data of 3 rows is truncated");
  p = write_text("text.npy", "0,0,1,1\n");
  CU_ASSERT_EQUAL(rt_edges_read(&e, p, "text.npy", 2, 3, 0.1, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "text.npy: not a NumPy .npy file");
}

static void test_spike_file(void) {
  double *t;
  int64_t *id, max_id;
  size_t n;
  char err[512];
  const char *p = write_text("s.csv", "source,time\n2, 4\n0,1.5 # c\n\n1,1.5\n0,3\n");
  CU_ASSERT_EQUAL_FATAL(rt_spike_file_read(p, "s.csv", 0, &t, &id, &n, &max_id, err, sizeof err), 0);
  CU_ASSERT(n == 4 && max_id == 2);
  CU_ASSERT(id[0] == 0 && id[1] == 1 && id[2] == 0 && id[3] == 2); /* by time, then source */
  CU_ASSERT(t[0] == 1.5e-3 && t[1] == 1.5e-3 && t[2] == 3e-3 && t[3] == 4e-3);
  free(t);
  free(id);
  CU_ASSERT_EQUAL(rt_spike_file_read(p, "s.csv", 2, &t, &id, &n, &max_id, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "s.csv:2: the source index 2 is out of range (2 sources, indices 0 to 1)");
  p = write_text("s2.csv", "0,1\n0,-1\n");
  CU_ASSERT_EQUAL(rt_spike_file_read(p, "s2.csv", 0, &t, &id, &n, &max_id, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "s2.csv:2: the spike time -1 ms is negative or not finite");
  p = write_text("s3.csv", "0,1,2\n");
  CU_ASSERT_EQUAL(rt_spike_file_read(p, "s3.csv", 0, &t, &id, &n, &max_id, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "s3.csv:1: expected 2 numbers (source, time [ms])");
}

int main(void) {
  if (!mkdtemp(tmpdir)) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("sources and edge files", NULL, NULL);
  if (!s || !CU_add_test(s, "grid step of a spike time", test_grid_step) ||
      !CU_add_test(s, "regular sources, step by step", test_regular) ||
      !CU_add_test(s, "spike-time lists and ids", test_spike_lists) ||
      !CU_add_test(s, "edge lists: CSV", test_edges_csv) ||
      !CU_add_test(s, "edge lists: .npy", test_edges_npy) ||
      !CU_add_test(s, "spike-time files", test_spike_file)) {
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return failed ? 1 : 0;
}
