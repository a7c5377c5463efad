/* tests/unit/test_units.c — CUnit tests for compiler/units.c. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* Report a failed check at the caller's line. */
#define CHECK_AT(cond, line, what) \
  CU_assertImplementation((cond) ? CU_TRUE : CU_FALSE, (line), (what), __FILE__, "", CU_FALSE)

static bool close_rel(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

static Unit parse_at(const char *text, int line) {
  Unit u = units_one();
  char err[200];
  bool ok = units_parse(text, &u, err, sizeof err, NULL);
  if (!ok) fprintf(stderr, "\n  line %d: parse '%s' failed: %s\n", line, text, err);
  CHECK_AT(ok, line, text);
  return u;
}
#define PARSE(text) parse_at((text), __LINE__)

/* text parses to exponents {L,M,T,I,K,N} and the given scale (1e-12 rel). */
static void check_unit(const char *text, const int *e, double scale, int line) {
  Unit u = parse_at(text, line);
  bool ok = close_rel(u.scale, scale, 1e-12);
  for (int i = 0; i < UNIT_NBASE; i++) ok = ok && u.e[i] == e[i];
  if (!ok)
    fprintf(stderr, "\n  line %d: '%s' = {%d %d %d %d %d %d; %.17g}\n", line, text, u.e[0],
            u.e[1], u.e[2], u.e[3], u.e[4], u.e[5], u.scale);
  CHECK_AT(ok, line, text);
}
#define CHECK_UNIT(text, L, M, T, I, K, N, scale) \
  check_unit((text), (const int[]){L, M, T, I, K, N}, (scale), __LINE__)

/* text fails to parse with a message containing `want` at byte `pos`. */
static void check_error(const char *text, const char *want, size_t pos, int line) {
  Unit u = units_one();
  u.scale = 42;
  char err[200] = "";
  size_t at = 9999;
  bool ok = units_parse(text, &u, err, sizeof err, &at);
  bool good = !ok && strstr(err, want) && at == pos && u.scale == 42;
  if (!good)
    fprintf(stderr, "\n  line %d: '%s' -> ok=%d err='%s' pos=%zu (want '%s' at %zu)\n", line,
            text, ok, err, at, want, pos);
  CHECK_AT(good, line, text);
}
#define CHECK_ERROR(text, want, pos) check_error((text), (want), (pos), __LINE__)

static void check_format(const char *text, const char *want, int line) {
  char buf[96];
  units_format(parse_at(text, line), buf, sizeof buf);
  if (strcmp(buf, want))
    fprintf(stderr, "\n  line %d: format('%s') = '%s', want '%s'\n", line, text, buf, want);
  CHECK_AT(strcmp(buf, want) == 0, line, text);
}
#define CHECK_FORMAT(text, want) check_format((text), (want), __LINE__)

static void check_format_si(const char *text, const char *want, int line) {
  char buf[96];
  units_format_si(parse_at(text, line), buf, sizeof buf);
  if (strcmp(buf, want))
    fprintf(stderr, "\n  line %d: format_si('%s') = '%s', want '%s'\n", line, text, buf, want);
  CHECK_AT(strcmp(buf, want) == 0, line, text);
}
#define CHECK_FORMAT_SI(text, want) check_format_si((text), (want), __LINE__)

static void check_name(const char *text, const char *want, int line) {
  const char *got = units_quantity_name(parse_at(text, line));
  bool ok = want ? got && strcmp(got, want) == 0 : got == NULL;
  if (!ok) fprintf(stderr, "\n  line %d: name('%s') = '%s'\n", line, text, got ? got : "NULL");
  CHECK_AT(ok, line, text);
}
#define CHECK_NAME(text, want) check_name((text), (want), __LINE__)

static void check_value(const char *text, double si, const char *unit, int line) {
  double v = 0;
  Unit u = units_one();
  char err[200] = "";
  bool ok = units_parse_value(text, &v, &u, err, sizeof err);
  bool good = ok && close_rel(v, si, 1e-12) && units_equal(u, parse_at(unit, line));
  if (!good)
    fprintf(stderr, "\n  line %d: value('%s') ok=%d v=%.17g err='%s'\n", line, text, ok, v, err);
  CHECK_AT(good, line, text);
}
#define CHECK_VALUE(text, si, unit) check_value((text), (si), (unit), __LINE__)

/* ---- algebra --------------------------------------------------------------- */

static void test_algebra(void) {
  Unit one = units_one(), m = PARSE("m"), s = PARSE("s"), mV = PARSE("mV"), V = PARSE("V");
  CU_ASSERT_TRUE(units_is_dimensionless(one));
  CU_ASSERT_DOUBLE_EQUAL(one.scale, 1.0, 0);
  CU_ASSERT_FALSE(units_is_dimensionless(m));
  CU_ASSERT_TRUE(units_is_dimensionless(PARSE("Hz*ms")));
  CU_ASSERT_TRUE(units_same_dim(mV, V));
  CU_ASSERT_FALSE(units_equal(mV, V));
  CU_ASSERT_FALSE(units_same_dim(m, s));
  CU_ASSERT_FALSE(units_equal(m, s)); /* same scale, other dimension */
  CU_ASSERT_TRUE(units_equal(units_div(m, s), PARSE("m/s")));
  CU_ASSERT_TRUE(units_equal(units_mul(m, m), PARSE("m^2")));
  CU_ASSERT_TRUE(units_equal(units_pow(PARSE("ms"), -1), PARSE("kHz")));
  CU_ASSERT_TRUE(units_equal(units_pow(PARSE("cm"), 3), PARSE("mL")));
  Unit z = units_pow(mV, 0);
  CU_ASSERT_TRUE(units_is_dimensionless(z) && z.scale == 1.0);
  CU_ASSERT_TRUE(units_equal(units_mul(units_pow(s, -2), units_pow(s, 2)), one));
  /* equality is relative: 1e-12 apart is equal, 1e-9 apart is not */
  Unit a = mV, b = mV;
  b.scale = a.scale * (1 + 1e-13);
  CU_ASSERT_TRUE(units_equal(a, b));
  b.scale = a.scale * (1 + 1e-9);
  CU_ASSERT_FALSE(units_equal(a, b));
  CU_ASSERT_DOUBLE_EQUAL(units_factor(mV, V), 1e-3, 1e-18);
  CU_ASSERT_DOUBLE_EQUAL(units_factor(V, mV), 1e3, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(units_factor(PARSE("mS/cm^2"), PARSE("S/m^2")), 10.0, 1e-12);
}

static void test_sqrt(void) {
  Unit r = units_one();
  CU_ASSERT_TRUE(units_sqrt(PARSE("m^2"), &r));
  CU_ASSERT_TRUE(units_equal(r, PARSE("m")));
  CU_ASSERT_TRUE(units_sqrt(PARSE("cm^2"), &r));
  CU_ASSERT_TRUE(units_equal(r, PARSE("cm")));
  CU_ASSERT_TRUE(units_sqrt(PARSE("m^4/s^2"), &r));
  CU_ASSERT_TRUE(units_equal(r, PARSE("m^2/s")));
  CU_ASSERT_TRUE(units_sqrt(units_one(), &r));
  CU_ASSERT_TRUE(units_equal(r, units_one()));
  Unit keep = PARSE("K");
  r = keep;
  CU_ASSERT_FALSE(units_sqrt(PARSE("m^3"), &r));
  CU_ASSERT_FALSE(units_sqrt(PARSE("mV"), &r));
  CU_ASSERT_FALSE(units_sqrt(PARSE("m^2/s"), &r));
  CU_ASSERT_TRUE(units_equal(r, keep)); /* untouched on failure */
}

/* ---- the unit table ---------------------------------------------------------- */

static void test_families(void) {
  /*          text          L   M   T   I   K   N  scale */
  CHECK_UNIT("V",           2,  1, -3, -1,  0,  0, 1);
  CHECK_UNIT("A",           0,  0,  0,  1,  0,  0, 1);
  CHECK_UNIT("S",          -2, -1,  3,  2,  0,  0, 1);
  CHECK_UNIT("ohm",         2,  1, -3, -2,  0,  0, 1);
  CHECK_UNIT("Ohm",         2,  1, -3, -2,  0,  0, 1);
  CHECK_UNIT("\xce\xa9",    2,  1, -3, -2,  0,  0, 1);
  CHECK_UNIT("\xe2\x84\xa6", 2, 1, -3, -2,  0,  0, 1);
  CHECK_UNIT("F",          -2, -1,  4,  2,  0,  0, 1);
  CHECK_UNIT("s",           0,  0,  1,  0,  0,  0, 1);
  CHECK_UNIT("Hz",          0,  0, -1,  0,  0,  0, 1);
  CHECK_UNIT("m",           1,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("g",           0,  1,  0,  0,  0,  0, 1e-3);
  CHECK_UNIT("kg",          0,  1,  0,  0,  0,  0, 1);
  CHECK_UNIT("mol",         0,  0,  0,  0,  0,  1, 1);
  CHECK_UNIT("M",          -3,  0,  0,  0,  0,  1, 1e3);
  CHECK_UNIT("L",           3,  0,  0,  0,  0,  0, 1e-3);
  CHECK_UNIT("C",           0,  0,  1,  1,  0,  0, 1);
  CHECK_UNIT("K",           0,  0,  0,  0,  1,  0, 1);
  CHECK_UNIT("J",           2,  1, -2,  0,  0,  0, 1);
  CHECK_UNIT("1",           0,  0,  0,  0,  0,  0, 1);
}

static void test_prefixes(void) {
  CHECK_UNIT("fA",          0,  0,  0,  1,  0,  0, 1e-15);
  CHECK_UNIT("pA",          0,  0,  0,  1,  0,  0, 1e-12);
  CHECK_UNIT("nS",         -2, -1,  3,  2,  0,  0, 1e-9);
  CHECK_UNIT("uS",         -2, -1,  3,  2,  0,  0, 1e-6);
  CHECK_UNIT("\xc2\xb5m",   1,  0,  0,  0,  0,  0, 1e-6); /* micro sign */
  CHECK_UNIT("\xce\xbcm",   1,  0,  0,  0,  0,  0, 1e-6); /* Greek mu */
  CHECK_UNIT("um",          1,  0,  0,  0,  0,  0, 1e-6);
  CHECK_UNIT("mV",          2,  1, -3, -1,  0,  0, 1e-3);
  CHECK_UNIT("cm",          1,  0,  0,  0,  0,  0, 1e-2);
  CHECK_UNIT("kHz",         0,  0, -1,  0,  0,  0, 1e3);
  CHECK_UNIT("MΩ",          2,  1, -3, -2,  0,  0, 1e6);
  CHECK_UNIT("Mohm",        2,  1, -3, -2,  0,  0, 1e6);
  CHECK_UNIT("GΩ",          2,  1, -3, -2,  0,  0, 1e9);
  CHECK_UNIT("kOhm",        2,  1, -3, -2,  0,  0, 1e3);
  CHECK_UNIT("pF",         -2, -1,  4,  2,  0,  0, 1e-12);
  CHECK_UNIT("nC",          0,  0,  1,  1,  0,  0, 1e-9);
  CHECK_UNIT("mg",          0,  1,  0,  0,  0,  0, 1e-6);
  CHECK_UNIT("uL",          3,  0,  0,  0,  0,  0, 1e-9);
  CHECK_UNIT("mK",          0,  0,  0,  0,  1,  0, 1e-3);
  CHECK_UNIT("\xc2\xb5M",  -3,  0,  0,  0,  0,  1, 1e-3);
}

static void test_ambiguities(void) {
  CHECK_UNIT("m",           1,  0,  0,  0,  0,  0, 1);     /* metre, not milli- */
  CHECK_UNIT("mm",          1,  0,  0,  0,  0,  0, 1e-3);
  CHECK_UNIT("ms",          0,  0,  1,  0,  0,  0, 1e-3);  /* milli, not mega */
  CHECK_UNIT("Ms",          0,  0,  1,  0,  0,  0, 1e6);
  CHECK_UNIT("mS",         -2, -1,  3,  2,  0,  0, 1e-3);
  CHECK_UNIT("mol",         0,  0,  0,  0,  0,  1, 1);     /* not m + "ol" */
  CHECK_UNIT("mmol",        0,  0,  0,  0,  0,  1, 1e-3);
  CHECK_UNIT("mM",         -3,  0,  0,  0,  0,  1, 1);     /* millimolar */
  CHECK_UNIT("mHz",         0,  0, -1,  0,  0,  0, 1e-3);
  CHECK_UNIT("MHz",         0,  0, -1,  0,  0,  0, 1e6);
  CHECK_UNIT("mohm",        2,  1, -3, -2,  0,  0, 1e-3);
  Unit u;
  CU_ASSERT_TRUE(units_lookup("mM", &u) && u.e[UNIT_N] == 1 && u.e[UNIT_L] == -3);
  CU_ASSERT_FALSE(units_lookup("xyz", &u));
  CU_ASSERT_FALSE(units_lookup("mmV", &u)); /* one prefix only */
  CU_ASSERT_FALSE(units_lookup("m/s", &u)); /* symbols, not expressions */
  CU_ASSERT_FALSE(units_lookup("", &u));
  CU_ASSERT_FALSE(units_lookup("degC", &u));
}

/* ---- expressions ------------------------------------------------------------- */

static void test_compound(void) {
  CHECK_UNIT("mS/cm^2",    -4, -1,  3,  2,  0,  0, 10);
  CHECK_UNIT("mS / cm ^ 2", -4, -1, 3,  2,  0,  0, 10);
  CHECK_UNIT(" mS/cm^2 ",  -4, -1,  3,  2,  0,  0, 10);
  CHECK_UNIT("ohm*cm",      3,  1, -3, -2,  0,  0, 1e-2);
  CHECK_UNIT("uF/cm^2",    -4, -1,  4,  2,  0,  0, 1e-2);
  CHECK_UNIT("mol/L",      -3,  0,  0,  0,  0,  1, 1e3);
  CHECK_UNIT("m/s",         1,  0, -1,  0,  0,  0, 1);
  CHECK_UNIT("1/ms",        0,  0, -1,  0,  0,  0, 1e3);
  CHECK_UNIT("1/(mM*ms)",   3,  0, -1,  0,  0, -1, 1e3);
  CHECK_UNIT("m/s/s",       1,  0, -2,  0,  0,  0, 1);   /* left-associative */
  CHECK_UNIT("m/s*s",       1,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("m^-2",       -2,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("cm^-2",      -2,  0,  0,  0,  0,  0, 1e4);
  CHECK_UNIT("m^(-2)",     -2,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("m^+3",        3,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("mV^0",        0,  0,  0,  0,  0,  0, 1);
  CHECK_UNIT("(m/s)^2",     2,  0, -2,  0,  0,  0, 1);
  CHECK_UNIT("((mV))",      2,  1, -3, -1,  0,  0, 1e-3);
  CHECK_UNIT("1/ms^2",      0,  0, -2,  0,  0,  0, 1e6);
  CHECK_UNIT("J/(mol*K)",   2,  1, -2,  0, -1, -1, 1);
  CHECK_UNIT("kg*m^2*s^-3*A^-1", 2, 1, -3, -1, 0,  0, 1);
}

static void test_folding(void) {
  Unit mS_cm2 = PARSE("mS/cm^2"), S_m2 = PARSE("S/m^2");
  CU_ASSERT_TRUE(units_same_dim(mS_cm2, S_m2));
  CU_ASSERT_DOUBLE_EQUAL(mS_cm2.scale, 10.0, 10 * 1e-12); /* 1 mS/cm^2 = 10 S/m^2 */
  CU_ASSERT_DOUBLE_EQUAL(PARSE("uF/cm^2").scale, 0.01, 0.01 * 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(units_factor(PARSE("ohm*cm"), PARSE("ohm*m")), 0.01, 0.01 * 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(PARSE("mA/cm^2").scale, 10.0, 10 * 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(PARSE("kohm*cm^2").scale, 0.1, 0.1 * 1e-12);
  CU_ASSERT_TRUE(units_equal(PARSE("mM"), PARSE("mol/m^3")));
  CU_ASSERT_TRUE(units_equal(PARSE("M"), PARSE("mol/L")));
  CU_ASSERT_TRUE(units_equal(PARSE("mV/ms"), PARSE("V/s")));
  CU_ASSERT_TRUE(units_equal(PARSE("um^3"), PARSE("fL")));
  Unit hzms = PARSE("Hz*ms");
  CU_ASSERT_TRUE(units_is_dimensionless(hzms));
  CU_ASSERT_DOUBLE_EQUAL(hzms.scale, 1e-3, 1e-3 * 1e-12);
  /* I = g (V - E): mS/cm^2 * mV is uA/cm^2;  C dV/dt: uF/cm^2 * mV/ms too */
  CU_ASSERT_TRUE(units_equal(PARSE("mS/cm^2*mV"), PARSE("uA/cm^2")));
  CU_ASSERT_TRUE(units_equal(PARSE("uF/cm^2*mV/ms"), PARSE("uA/cm^2")));
  CU_ASSERT_FALSE(units_equal(PARSE("uF/cm^2*mV/ms"), PARSE("mA/cm^2")));
  /* a rate times a time is dimensionless, with the scales folded */
  Unit x = units_mul(PARSE("1/ms"), PARSE("us"));
  CU_ASSERT_TRUE(units_is_dimensionless(x));
  CU_ASSERT_DOUBLE_EQUAL(x.scale, 1e-3, 1e-3 * 1e-12);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_errors(void) {
  CHECK_ERROR("mv", "unknown unit 'mv' (did you mean 'mV'?)", 0);
  CHECK_ERROR("1/mv", "unknown unit 'mv' (did you mean 'mV'?)", 2);
  CHECK_ERROR("mS/cm^2/Mv", "did you mean 'MV'?", 8);
  CHECK_ERROR("ohms", "did you mean 'ohm'?", 0);
  CHECK_ERROR("xyzzy", "unknown unit 'xyzzy'", 0);
  CHECK_ERROR("degC", "kelvin", 0);
  CHECK_ERROR("\xc2\xb0" "C", "kelvin", 0);
  CHECK_ERROR("cm^2.5", "unit exponents must be integers", 3);
  CHECK_ERROR("m^(1/2)", "unit exponents must be integers", 3);
  CHECK_ERROR("m^.5", "unit exponents must be integers", 2);
  CHECK_ERROR("", "empty unit", 0);
  CHECK_ERROR("   ", "empty unit", 3);
  CHECK_ERROR("mV)", "unmatched ')'", 2);
  CHECK_ERROR("(mV", "missing ')'", 3);
  CHECK_ERROR("cm^", "missing exponent after '^'", 3);
  CHECK_ERROR("cm^x", "missing exponent after '^'", 3);
  CHECK_ERROR("cm^-", "missing exponent after '^'", 3);
  CHECK_ERROR("mS/", "expected a unit after '/'", 3);
  CHECK_ERROR("mS*/cm", "expected a unit after '*'", 3);
  CHECK_ERROR("mV ms", "expected '*' or '/'", 3);
  CHECK_ERROR("cm2", "write 'cm^2'", 2);
  CHECK_ERROR("cm\xc2\xb2", "'^'", 2);
  CHECK_ERROR("/ms", "write '1/ms'", 0);
  CHECK_ERROR("10/ms", "only number allowed", 0);
  CHECK_ERROR("m**2", "'^'", 1);
  CHECK_ERROR("m^200", "too large", 2);
  CHECK_ERROR("m^99*m", "out of range", 4);
  CHECK_ERROR("Gm^99", "scale out of range", 2);
  CHECK_ERROR("mV#", "unexpected '#'", 2);
  /* deep nesting and very long names are errors, not crashes */
  char deep[200] = "", longname[200];
  for (int i = 0; i < 40; i++) strcat(deep, "(");
  strcat(deep, "m");
  for (int i = 0; i < 40; i++) strcat(deep, ")");
  CHECK_ERROR(deep, "nested too deeply", 32);
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  CHECK_ERROR(longname, "unknown unit 'xxxx", 0);
  /* NULL err buffer is allowed */
  Unit u;
  CU_ASSERT_FALSE(units_parse("mv", &u, NULL, 0, NULL));
  CU_ASSERT_FALSE(units_parse(NULL, &u, NULL, 0, NULL));
  /* a tiny buffer truncates but stays terminated */
  char small[8];
  CU_ASSERT_FALSE(units_parse("xyzzy", &u, small, sizeof small, NULL));
  CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
}

static void test_suggest(void) {
  CU_ASSERT_STRING_EQUAL(units_suggest("mv"), "mV");
  CU_ASSERT_STRING_EQUAL(units_suggest("MV"), "MV");
  CU_ASSERT_STRING_EQUAL(units_suggest("Kg"), "kg");
  CU_ASSERT_STRING_EQUAL(units_suggest("msec"), "ms");
  CU_ASSERT_STRING_EQUAL(units_suggest("volt"), "V");
  CU_ASSERT_STRING_EQUAL(units_suggest("MOHM"), "Mohm");
  CU_ASSERT_STRING_EQUAL(units_suggest("mmV"), "mV");
  CU_ASSERT_STRING_EQUAL(units_suggest("hz"), "Hz");
  CU_ASSERT_PTR_NULL(units_suggest("xyzzy"));
  CU_ASSERT_PTR_NULL(units_suggest("q"));
  CU_ASSERT_PTR_NULL(units_suggest(""));
  CU_ASSERT_PTR_NULL(units_suggest(NULL));
}

/* ---- printing ---------------------------------------------------------------- */

static void test_format_si(void) {
  CHECK_FORMAT_SI("V", "m^2*kg*s^-3*A^-1");
  CHECK_FORMAT_SI("mV", "m^2*kg*s^-3*A^-1"); /* scale ignored */
  CHECK_FORMAT_SI("1", "1");
  CHECK_FORMAT_SI("Hz*ms", "1");
  CHECK_FORMAT_SI("mM", "m^-3*mol");
  CHECK_FORMAT_SI("mS/cm^2", "m^-4*kg^-1*s^3*A^2");
  CHECK_FORMAT_SI("K", "K");
  CHECK_FORMAT_SI("1/ms", "s^-1");
  char buf[6];
  CU_ASSERT_PTR_EQUAL(units_format_si(PARSE("V"), buf, sizeof buf), buf);
  CU_ASSERT_STRING_EQUAL(buf, "m^2*k");
}

static void test_format(void) {
  CHECK_FORMAT("mV", "mV");
  CHECK_FORMAT("V", "V");
  CHECK_FORMAT("kg*m^2*s^-3*A^-1", "V");
  CHECK_FORMAT("mS/cm^2", "mS/cm^2");
  CHECK_FORMAT("S/m^2", "S/m^2");
  CHECK_FORMAT("uA/cm^2", "uA/cm^2");
  CHECK_FORMAT("uF/cm^2", "uF/cm^2");
  CHECK_FORMAT("MΩ", "Mohm");
  CHECK_FORMAT("ohm*cm", "ohm*cm");
  CHECK_FORMAT("µm", "um");
  CHECK_FORMAT("mol/m^3", "mM");
  CHECK_FORMAT("kHz", "1/ms");
  CHECK_FORMAT("Hz", "1/s");
  CHECK_FORMAT("V/s", "mV/ms");
  CHECK_FORMAT("1", "1");
  CHECK_FORMAT("Hz*ms", "1e-3");
  CHECK_FORMAT("kV", "1e3 V");
  CHECK_FORMAT("g*m^2", "1e-3 m^2*kg");
  CHECK_FORMAT("m^2*kg/s", "m^2*kg*s^-1");
  CHECK_FORMAT("mV^2", "1e-6 m^4*kg^2*s^-6*A^-2");
  CHECK_FORMAT("mS/cm^2*mV", "uA/cm^2");
  CHECK_FORMAT("S/cm^2*mV", "mA/cm^2");
  char buf[4];
  units_format(PARSE("mS/cm^2"), buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "mS/");
}

static void test_quantity_names(void) {
  CHECK_NAME("1", "dimensionless");
  CHECK_NAME("ms", "time");
  CHECK_NAME("1/ms", "rate");
  CHECK_NAME("Hz", "rate");
  CHECK_NAME("um", "length");
  CHECK_NAME("cm^2", "area");
  CHECK_NAME("L", "volume");
  CHECK_NAME("mV", "voltage");
  CHECK_NAME("nA", "current");
  CHECK_NAME("uA/cm^2", "current density");
  CHECK_NAME("nS", "conductance");
  CHECK_NAME("mS/cm^2", "conductance density");
  CHECK_NAME("pF", "capacitance");
  CHECK_NAME("uF/cm^2", "specific capacitance");
  CHECK_NAME("Mohm", "resistance");
  CHECK_NAME("ohm*cm^2", "specific membrane resistance");
  CHECK_NAME("ohm*cm", "axial resistivity");
  CHECK_NAME("C", "charge");
  CHECK_NAME("mM", "concentration");
  CHECK_NAME("K", "temperature");
  CHECK_NAME("mol", "amount of substance");
  CHECK_NAME("kg", "mass");
  CHECK_NAME("m/s", "speed");
  CHECK_NAME("mV/ms", "voltage per time");
  CHECK_NAME("mM/ms", "concentration per time");
  CHECK_NAME("C/mol", "charge per amount");
  CHECK_NAME("m^2*kg/s", NULL);
}

static void test_parse_value(void) {
  CHECK_VALUE("120 mS/cm^2", 1200, "mS/cm^2");
  CHECK_VALUE("-65mV", -0.065, "mV");
  CHECK_VALUE("0.1", 0.1, "1");
  CHECK_VALUE("1e-3 s", 1e-3, "s");
  CHECK_VALUE("1e-3s", 1e-3, "s");
  CHECK_VALUE("  2.5E2 ms  ", 0.25, "ms");
  CHECK_VALUE(".5 um", 5e-7, "um");
  CHECK_VALUE("+3 nA", 3e-9, "nA");
  CHECK_VALUE("1 uF/cm^2", 0.01, "uF/cm^2");
  CHECK_VALUE("35.4 ohm*cm", 0.354, "ohm*cm");
  CHECK_VALUE("6.3 K", 6.3, "K");
  CHECK_VALUE("2 1/ms", 2000, "1/ms");
  double v = 7;
  Unit u = units_one();
  char err[200];
  CU_ASSERT_FALSE(units_parse_value("abc", &v, &u, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected a number"));
  CU_ASSERT_FALSE(units_parse_value("5 mv", &v, &u, err, sizeof err));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "did you mean 'mV'"));
  CU_ASSERT_FALSE(units_parse_value("", &v, &u, err, sizeof err));
  CU_ASSERT_FALSE(units_parse_value("-", &v, &u, err, sizeof err));
  CU_ASSERT_FALSE(units_parse_value("1e999 V", &v, &u, err, sizeof err));
  CU_ASSERT_FALSE(units_parse_value("1e300 GV^9", &v, &u, err, sizeof err));
  CU_ASSERT_FALSE(units_parse_value("nan", &v, &u, err, sizeof err));
  CU_ASSERT_FALSE(units_parse_value("3 mV)", &v, &u, err, sizeof err));
  CU_ASSERT_DOUBLE_EQUAL(v, 7, 0); /* untouched on failure */
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("units", NULL, NULL);
  if (!s) return 2;
  struct { const char *name; CU_TestFunc fn; } tests[] = {
      {"algebra", test_algebra},         {"sqrt", test_sqrt},
      {"unit families", test_families},  {"prefixes", test_prefixes},
      {"ambiguities", test_ambiguities}, {"compound units", test_compound},
      {"scale folding", test_folding},   {"parse errors", test_errors},
      {"suggestions", test_suggest},     {"format_si", test_format_si},
      {"format", test_format},           {"quantity names", test_quantity_names},
      {"parse_value", test_parse_value},
  };
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
    if (!CU_add_test(s, tests[i].name, tests[i].fn)) return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
