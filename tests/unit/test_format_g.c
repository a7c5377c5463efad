/* tests/unit/test_format_g.c — rt_format_g and rt_format_g17
 * (runtime/rt_output.c) print byte for byte what snprintf's "%.*g" prints,
 * for 1 to 17 digits, on:
 *   - 2·10^6 random bit patterns (every magnitude, sign, subnormals, inf, nan);
 *   - 2·10^6 random values log-uniform over [1e-6, 1e17] of both signs;
 *   - the time columns the runtime writes, k dt / 1 ms for dt = 0.1 ms,
 *     0.025 ms and 0.01 ms, k up to 10^6, and k / 10 directly;
 *   - integers up to 10^16 and around the powers of ten, ties that round to
 *     even (k + 1/2, k / 8), the powers of ten from 1e-6 to 1e17 and their
 *     neighbours one ulp away, 0, -0, +-inf, nan.
 * Any difference fails, naming the value and the digits.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt_internal.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static long checked, failures;

static void check(double v, int digits) {
  char mine[64], ref[64];
  memset(mine, 'x', sizeof mine);
  int n = digits == 17 && (checked & 1) ? rt_format_g17(v, mine) : rt_format_g(v, digits, mine);
  int rn = snprintf(ref, sizeof ref, "%.*g", digits, v);
  checked++;
  if (n != rn || strcmp(mine, ref) != 0) {
    if (failures++ < 10)
      printf("\n    %.17g (%a), %d digits: \"%s\" (%d), printf \"%s\" (%d)", v, v, digits, mine, n,
             ref, rn);
  }
}

static void check_all_digits(double v) {
  for (int digits = 1; digits <= 17; digits++) check(v, digits);
}

static void test_random_bits(void) {
  failures = checked = 0;
  for (long i = 0; i < 2000000; i++) {
    uint64_t b = next64();
    double v;
    memcpy(&v, &b, sizeof v);
    check(v, 1 + (int)(i % 17));
  }
  printf("\n    %ld values, %ld differences\n", checked, failures);
  CU_ASSERT(failures == 0);
}

static void test_random_magnitudes(void) {
  failures = checked = 0;
  for (long i = 0; i < 2000000; i++) {
    double x = (double)(next64() >> 11) * 0x1p-53; /* [0, 1) */
    double v = pow(10, -6 + 23 * x);
    if (i & 1) v = -v;
    check(v, 1 + (int)((i >> 1) % 17));
  }
  printf("\n    %ld values, %ld differences\n", checked, failures);
  CU_ASSERT(failures == 0);
}

static void test_time_columns(void) {
  failures = checked = 0;
  const double dts[] = {0.1e-3, 0.025e-3, 0.01e-3};
  for (int a = 0; a < 3; a++)
    for (long k = 0; k <= 1000000; k++) {
      double t = (double)k * dts[a] / 1e-3; /* as the trace writes t_si / RT_MS */
      check(t, 10);
      if (k % 16 == 0) check(t, 17);
    }
  for (long k = 0; k <= 1000000; k++) check((double)k / 10, 10);
  printf("\n    %ld values, %ld differences\n", checked, failures);
  CU_ASSERT(failures == 0);
}

static void test_special_values(void) {
  failures = checked = 0;
  const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1e-4, 1e15, 9.9999999995e-5,
                       99999.999995, 0.5, 1.5, 2.5, 9.5, 0.05, 0.25, 0.125, 5e-5, 1e-300,
                       4.9e-324, 1.7976931348623157e308};
  for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
    check_all_digits(sp[i]);
    check_all_digits(-sp[i]);
  }
  for (int e = -6; e <= 17; e++) {
    double p = pow(10, e);
    check_all_digits(p);
    check_all_digits(nextafter(p, 0));
    check_all_digits(nextafter(p, INFINITY));
    check_all_digits(-p);
  }
  for (long k = 0; k < 200000; k++) { /* integers, and ties k + 1/2 and k / 8 */
    check((double)k, 1 + (int)(k % 17));
    check((double)k + 0.5, 1 + (int)(k % 17));
    check((double)k / 8, 1 + (int)(k % 17));
    check(-(double)k / 8, 1 + (int)((k + 5) % 17));
  }
  for (int e = 1; e <= 16; e++) /* integers around the powers of ten */
    for (int64_t k = -50; k <= 50; k++) check_all_digits((double)((int64_t)pow(10, e) + k));
  printf("\n    %ld values, %ld differences\n", checked, failures);
  CU_ASSERT(failures == 0);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("%.*g by hand", NULL, NULL);
  if (!s || !CU_add_test(s, "random bit patterns", test_random_bits) ||
      !CU_add_test(s, "random magnitudes, both signs", test_random_magnitudes) ||
      !CU_add_test(s, "time columns", test_time_columns) ||
      !CU_add_test(s, "zeros, infinities, nan, ties, powers of ten", test_special_values)) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
