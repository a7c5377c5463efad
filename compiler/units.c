/* compiler/units.c — dimension algebra, the unit table and the unit parser.
 *
 * A Unit is six integer exponents over the SI base quantities plus a scale,
 * the SI value of one of the unit.  Parsing folds every prefix and derived
 * unit into that form: "mS/cm^2" becomes {L=-4 M=-1 T=3 I=2; scale=10}.
 * Nothing here allocates or keeps mutable state; see docs/units.md.
 */
#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXP_MAX 99     /* largest |exponent| a parsed unit may have */
#define DEPTH_MAX 32   /* deepest parenthesis nesting in a unit */
#define SUGGEST_MAX 63 /* longest name units_suggest looks at */

/*
 * Algebra.  Exponents add, scales multiply.
 */

Unit units_one(void) { return (Unit){.scale = 1.0}; }

bool units_same_dim(Unit a, Unit b) { return memcmp(a.e, b.e, sizeof a.e) == 0; }

bool units_is_dimensionless(Unit u) { return units_same_dim(u, units_one()); }

static bool close_rel(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

bool units_equal(Unit a, Unit b) {
  return units_same_dim(a, b) && close_rel(a.scale, b.scale, 1e-12);
}

Unit units_mul(Unit a, Unit b) {
  Unit r = {.scale = a.scale * b.scale};
  for (int i = 0; i < UNIT_NBASE; i++) r.e[i] = (signed char)(a.e[i] + b.e[i]);
  return r;
}

Unit units_div(Unit a, Unit b) {
  Unit r = {.scale = a.scale / b.scale};
  for (int i = 0; i < UNIT_NBASE; i++) r.e[i] = (signed char)(a.e[i] - b.e[i]);
  return r;
}

Unit units_pow(Unit a, int n) {
  Unit r = {.scale = n == 0 ? 1.0 : pow(a.scale, n)};
  for (int i = 0; i < UNIT_NBASE; i++) r.e[i] = (signed char)(a.e[i] * n);
  return r;
}

bool units_sqrt(Unit a, Unit *out) {
  for (int i = 0; i < UNIT_NBASE; i++)
    if (a.e[i] % 2) return false;
  Unit r = {.scale = sqrt(a.scale)};
  for (int i = 0; i < UNIT_NBASE; i++) r.e[i] = (signed char)(a.e[i] / 2);
  *out = r;
  return true;
}

double units_factor(Unit a, Unit b) { return a.scale / b.scale; }

/*
 * The unit table.  Every symbol may carry one SI prefix; an exact symbol
 * wins over a prefix split, so "mol" is the mole and "mM" is millimolar.
 */

typedef struct UnitDef {
  const char *sym;
  signed char e[UNIT_NBASE];
  double scale;
} UnitDef;

static const UnitDef unit_table[] = {
    /*                  L   M   T   I   K   N */
    {"m",            { 1,  0,  0,  0,  0,  0}, 1},    /* metre */
    {"g",            { 0,  1,  0,  0,  0,  0}, 1e-3}, /* gram (kg is k+g) */
    {"s",            { 0,  0,  1,  0,  0,  0}, 1},    /* second */
    {"A",            { 0,  0,  0,  1,  0,  0}, 1},    /* ampere */
    {"K",            { 0,  0,  0,  0,  1,  0}, 1},    /* kelvin */
    {"mol",          { 0,  0,  0,  0,  0,  1}, 1},    /* mole */
    {"Hz",           { 0,  0, -1,  0,  0,  0}, 1},    /* hertz */
    {"V",            { 2,  1, -3, -1,  0,  0}, 1},    /* volt */
    {"ohm",          { 2,  1, -3, -2,  0,  0}, 1},    /* ohm */
    {"Ohm",          { 2,  1, -3, -2,  0,  0}, 1},
    {"\xce\xa9",     { 2,  1, -3, -2,  0,  0}, 1},    /* Greek capital omega */
    {"\xe2\x84\xa6", { 2,  1, -3, -2,  0,  0}, 1},    /* U+2126 ohm sign */
    {"S",            {-2, -1,  3,  2,  0,  0}, 1},    /* siemens */
    {"F",            {-2, -1,  4,  2,  0,  0}, 1},    /* farad */
    {"C",            { 0,  0,  1,  1,  0,  0}, 1},    /* coulomb */
    {"J",            { 2,  1, -2,  0,  0,  0}, 1},    /* joule */
    {"L",            { 3,  0,  0,  0,  0,  0}, 1e-3}, /* litre */
    {"M",            {-3,  0,  0,  0,  0,  1}, 1e3},  /* molar, mol/L */
};

static const struct { const char *sym; double scale; } prefix_table[] = {
    {"f", 1e-15}, {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6},
    {"\xc2\xb5", 1e-6}, /* micro sign */
    {"\xce\xbc", 1e-6}, /* Greek small mu */
    {"m", 1e-3}, {"c", 1e-2}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool span_is(const char *s, size_t n, const char *sym) {
  return strlen(sym) == n && memcmp(s, sym, n) == 0;
}

static const UnitDef *find_symbol(const char *s, size_t n) {
  for (size_t i = 0; i < COUNT(unit_table); i++)
    if (span_is(s, n, unit_table[i].sym)) return &unit_table[i];
  return NULL;
}

static Unit from_def(const UnitDef *d, double prefix) {
  Unit u = {.scale = prefix * d->scale};
  memcpy(u.e, d->e, sizeof u.e);
  return u;
}

/* Look up the n bytes at s: exact symbol first, then prefix + symbol. */
static bool lookup_span(const char *s, size_t n, Unit *out) {
  const UnitDef *d = find_symbol(s, n);
  double prefix = 1.0;
  for (size_t i = 0; !d && i < COUNT(prefix_table); i++) {
    size_t k = strlen(prefix_table[i].sym);
    if (n > k && memcmp(s, prefix_table[i].sym, k) == 0 && (d = find_symbol(s + k, n - k)))
      prefix = prefix_table[i].scale;
  }
  if (d) *out = from_def(d, prefix);
  return d != NULL;
}

bool units_lookup(const char *name, Unit *out) {
  return name && lookup_span(name, strlen(name), out);
}

/*
 * Suggestions for misspelt units: the closest symbol by edit distance, a
 * case-insensitive match first ("mv" -> "mV", not "MV").
 */

#define PREFIXED(u) "f" u, "p" u, "n" u, "u" u, "m" u, "c" u, "k" u, "M" u, "G" u

static const char *const suggest_table[] = {
    "m", "g", "s", "A", "K", "mol", "Hz", "V", "ohm", "S", "F", "C", "J", "L", "M",
    PREFIXED("m"), PREFIXED("g"), PREFIXED("s"), PREFIXED("A"), PREFIXED("K"),
    PREFIXED("mol"), PREFIXED("Hz"), PREFIXED("V"), PREFIXED("ohm"), PREFIXED("S"),
    PREFIXED("F"), PREFIXED("C"), PREFIXED("J"), PREFIXED("L"), PREFIXED("M"),
};

/* Spelled-out names people write instead of symbols. */
static const struct { const char *word, *sym; } suggest_alias[] = {
    {"sec", "s"},     {"secs", "s"},    {"second", "s"},   {"seconds", "s"},
    {"msec", "ms"},   {"usec", "us"},   {"volt", "V"},     {"volts", "V"},
    {"amp", "A"},     {"ampere", "A"},  {"ohms", "ohm"},   {"siemens", "S"},
    {"farad", "F"},   {"hertz", "Hz"},  {"molar", "M"},    {"litre", "L"},
    {"liter", "L"},   {"micron", "um"}, {"microns", "um"}, {"kelvin", "K"},
    {"celsius", "K"}, {"degC", "K"},    {"metre", "m"},    {"meter", "m"},
};

static int edit_distance(const char *a, const char *b, bool fold) {
  size_t n = strlen(a), m = strlen(b);
  int row[SUGGEST_MAX + 1];
  if (n > SUGGEST_MAX || m > SUGGEST_MAX) return 1000;
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      unsigned char x = (unsigned char)a[i - 1], y = (unsigned char)b[j - 1];
      int same = fold ? tolower(x) == tolower(y) : x == y;
      int best = diag + !same;
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = row[j];
      row[j] = best;
    }
  }
  return row[m];
}

static bool same_fold(const char *a, const char *b) {
  while (*a && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
  return *a == *b;
}

/* Length of the common ending, ignoring case: on a tie the unit symbol
 * matters more than the prefix ("mmV" -> "mV", not "mm"). */
static int common_suffix(const char *a, const char *b) {
  size_t i = strlen(a), j = strlen(b);
  int k = 0;
  while (i && j && tolower((unsigned char)a[--i]) == tolower((unsigned char)b[--j])) k++;
  return k;
}

const char *units_suggest(const char *name) {
  if (!name || !*name) return NULL;
  for (size_t i = 0; i < COUNT(suggest_alias); i++)
    if (same_fold(name, suggest_alias[i].word)) return suggest_alias[i].sym;
  const char *best = NULL;
  int best_key = 1 << 30, n = (int)strlen(name);
  for (size_t i = 0; i < COUNT(suggest_table); i++) {
    const char *c = suggest_table[i];
    int ci = edit_distance(name, c, true), cs = edit_distance(name, c, false);
    if (ci != 0 && (cs > 2 || cs >= n)) continue;
    int key = (ci * 100 + cs) * 64 + (SUGGEST_MAX - common_suffix(name, c));
    if (key < best_key) {
      best = c;
      best_key = key;
    }
  }
  return best;
}

/*
 * The unit-expression parser (recursive descent):
 *   expr    = term (('*' | '/') term)*           left-associative
 *   term    = primary ('^' exponent)?
 *   primary = NAME | '1' | '(' expr ')'
 *   exponent = ('+'|'-')? INT | '(' ('+'|'-')? INT ')'
 * Blanks are allowed around operators.  The first error wins; *out is
 * written only on success.
 */

typedef struct Parser {
  const char *s;     /* the text, NUL-terminated */
  size_t pos, errlen;
  int depth;         /* of parentheses */
  char *err;         /* may be NULL */
  size_t *errpos;    /* may be NULL */
} Parser;

static bool parse_expr(Parser *p, Unit *out);

__attribute__((format(printf, 3, 4)))
static bool fail(Parser *p, size_t pos, const char *fmt, ...) {
  if (p->err && p->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
  }
  if (p->errpos) *p->errpos = pos;
  return false;
}

static char peek(Parser *p) { return p->s[p->pos]; }

static void skip_blank(Parser *p) {
  while (peek(p) == ' ' || peek(p) == '\t') p->pos++;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Superscript digits and minus (², ³, ¹, U+2070..U+207F) end a name. */
static bool is_superscript(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] == 0xc2) return u[1] == 0xb2 || u[1] == 0xb3 || u[1] == 0xb9;
  return u[0] == 0xe2 && u[1] == 0x81;
}

/* Names are ASCII letters and any non-ASCII bytes (µ, μ, Ω, °). */
static bool is_name_byte(const char *s) {
  unsigned char c = (unsigned char)*s;
  return (c < 0x80 && isalpha(c)) || (c >= 0x80 && !is_superscript(s));
}

static bool starts_primary(const char *s) {
  return *s == '(' || is_digit(*s) || *s == '.' || is_name_byte(s);
}

/* Keep exponents within EXP_MAX so the signed char fields never wrap:
 * checks a * b^k before it is computed. */
static bool guard(Parser *p, size_t pos, Unit a, Unit b, int k) {
  for (int i = 0; i < UNIT_NBASE; i++)
    if (abs(a.e[i] + k * b.e[i]) > EXP_MAX)
      return fail(p, pos, "unit exponent out of range (at most %d)", EXP_MAX);
  return true;
}

static bool check_scale(Parser *p, size_t pos, double scale) {
  if (isfinite(scale) && scale > 0) return true;
  return fail(p, pos, "unit scale out of range");
}

static bool is_celsius(const char *s, size_t n) {
  return span_is(s, n, "degC") || span_is(s, n, "\xc2\xb0" "C") || span_is(s, n, "degF") ||
         span_is(s, n, "\xc2\xb0" "F") || span_is(s, n, "celsius");
}

static bool unknown_unit(Parser *p, size_t pos, const char *name, size_t n) {
  int w = n > 40 ? 40 : (int)n;
  if (is_celsius(name, n))
    return fail(p, pos, "unknown unit '%.*s': temperatures with a unit are written in "
                "kelvin ('K'; 6.3 degC is 279.45 K)", w, name);
  char buf[SUGGEST_MAX + 1];
  const char *hint = NULL;
  if (n <= SUGGEST_MAX) {
    memcpy(buf, name, n);
    buf[n] = '\0';
    hint = units_suggest(buf);
  }
  if (hint) return fail(p, pos, "unknown unit '%.*s' (did you mean '%s'?)", w, name, hint);
  return fail(p, pos, "unknown unit '%.*s'", w, name);
}

/* NAME: a unit symbol with optional prefix.  "cm2" and "cm²" get a hint. */
static bool parse_name(Parser *p, Unit *out) {
  size_t start = p->pos;
  while (is_name_byte(p->s + p->pos)) p->pos++;
  const char *name = p->s + start;
  int n = (int)(p->pos - start);
  if (!lookup_span(name, (size_t)n, out)) return unknown_unit(p, start, name, (size_t)n);
  if (is_digit(peek(p))) {
    size_t d = p->pos;
    while (is_digit(p->s[d])) d++;
    return fail(p, p->pos, "missing '^' before the exponent (write '%.*s^%.*s')", n, name,
                (int)(d - p->pos), p->s + p->pos);
  }
  if (is_superscript(p->s + p->pos))
    return fail(p, p->pos, "write exponents with '^' (as in '%.*s^2')", n, name);
  return true;
}

/* The only number allowed in a unit is 1, as in "1/ms". */
static bool parse_one(Parser *p, Unit *out) {
  size_t start = p->pos, end = start;
  while (is_digit(p->s[end]) || p->s[end] == '.') end++;
  if (end - start != 1 || p->s[start] != '1')
    return fail(p, start, "the only number allowed in a unit is 1 (as in '1/ms'); "
                "put other numbers in the value");
  p->pos = end;
  *out = units_one();
  return true;
}

static bool parse_primary(Parser *p, Unit *out) {
  skip_blank(p);
  size_t start = p->pos;
  char c = peek(p);
  if (c == '(') {
    if (++p->depth > DEPTH_MAX) return fail(p, start, "unit expression nested too deeply");
    p->pos++;
    if (!parse_expr(p, out)) return false;
    skip_blank(p);
    if (peek(p) != ')') return fail(p, p->pos, "missing ')' in unit expression");
    p->pos++;
    p->depth--;
    return true;
  }
  if (is_digit(c) || c == '.') return parse_one(p, out);
  if (is_name_byte(p->s + start)) return parse_name(p, out);
  if (c == '\0') return fail(p, start, "expected a unit at the end");
  if (isprint((unsigned char)c)) return fail(p, start, "expected a unit before '%c'", c);
  return fail(p, start, "expected a unit");
}

static bool parse_exponent(Parser *p, int *n) {
  skip_blank(p);
  bool paren = peek(p) == '(';
  if (paren) {
    p->pos++;
    skip_blank(p);
  }
  size_t start = p->pos;
  int sign = 1;
  if (peek(p) == '+' || peek(p) == '-') sign = p->s[p->pos++] == '-' ? -1 : 1;
  if (!is_digit(peek(p))) {
    if (peek(p) == '.') return fail(p, start, "unit exponents must be integers");
    return fail(p, start, "missing exponent after '^'");
  }
  int v = 0;
  while (is_digit(peek(p))) {
    if (v <= EXP_MAX) v = v * 10 + (p->s[p->pos] - '0');
    p->pos++;
  }
  if (peek(p) == '.' || (paren && peek(p) == '/'))
    return fail(p, start, "unit exponents must be integers");
  if (v > EXP_MAX) return fail(p, start, "unit exponent too large (at most %d)", EXP_MAX);
  if (paren) {
    skip_blank(p);
    if (peek(p) != ')') return fail(p, p->pos, "missing ')' after the exponent");
    p->pos++;
  }
  *n = sign * v;
  return true;
}

static bool parse_term(Parser *p, Unit *out) {
  Unit u;
  if (!parse_primary(p, &u)) return false;
  skip_blank(p);
  if (peek(p) == '^') {
    size_t at = p->pos++;
    int n = 0;
    if (!parse_exponent(p, &n) || !guard(p, at, units_one(), u, n)) return false;
    u = units_pow(u, n);
    if (!check_scale(p, at, u.scale)) return false;
  }
  *out = u;
  return true;
}

static bool parse_expr(Parser *p, Unit *out) {
  Unit acc;
  if (!parse_term(p, &acc)) return false;
  for (;;) {
    skip_blank(p);
    char op = peek(p);
    if (op != '*' && op != '/') break;
    size_t at = p->pos++;
    skip_blank(p);
    if (op == '*' && peek(p) == '*') return fail(p, at, "write powers with '^' (as in 'm^2')");
    if (!starts_primary(p->s + p->pos))
      return fail(p, p->pos, "expected a unit after '%c'", op);
    Unit rhs;
    if (!parse_term(p, &rhs) || !guard(p, at, acc, rhs, op == '*' ? 1 : -1)) return false;
    acc = op == '*' ? units_mul(acc, rhs) : units_div(acc, rhs);
    if (!check_scale(p, at, acc.scale)) return false;
  }
  *out = acc;
  return true;
}

/* What is left after a complete expression. */
static bool trailing(Parser *p) {
  char c = peek(p);
  if (c == ')') return fail(p, p->pos, "unmatched ')' in unit expression");
  if (starts_primary(p->s + p->pos))
    return fail(p, p->pos, "expected '*' or '/' between units");
  if (c == '^') return fail(p, p->pos, "misplaced '^' in unit expression");
  if (isprint((unsigned char)c)) return fail(p, p->pos, "unexpected '%c' in unit expression", c);
  return fail(p, p->pos, "unexpected character in unit expression");
}

bool units_parse(const char *text, Unit *out, char *err, size_t errlen, size_t *errpos) {
  Parser p = {.s = text ? text : "", .err = err, .errlen = errlen, .errpos = errpos};
  if (err && errlen) err[0] = '\0';
  skip_blank(&p);
  if (peek(&p) == '\0') return fail(&p, p.pos, "empty unit");
  if (peek(&p) == '/')
    return fail(&p, p.pos, "a unit cannot start with '/' (write '1%.40s')", p.s + p.pos);
  Unit u;
  if (!parse_expr(&p, &u)) return false;
  skip_blank(&p);
  if (peek(&p) != '\0') return trailing(&p);
  *out = u;
  return true;
}

/*
 * Values with units: "120 mS/cm^2", "-65mV", "0.1", "1e-3 s".
 */

static size_t scan_number(const char *s, size_t i) {
  size_t start = i, digits = 0;
  if (s[i] == '+' || s[i] == '-') i++;
  for (; is_digit(s[i]); i++) digits++;
  if (s[i] == '.')
    for (i++; is_digit(s[i]); i++) digits++;
  if (!digits) return start;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-') j++;
    if (is_digit(s[j])) {
      while (is_digit(s[j])) j++;
      i = j;
    }
  }
  return i;
}

bool units_parse_value(const char *text, double *si_out, Unit *unit, char *err,
                       size_t errlen) {
  Parser p = {.s = text ? text : "", .err = err, .errlen = errlen};
  if (err && errlen) err[0] = '\0';
  skip_blank(&p);
  size_t start = p.pos, end = scan_number(p.s, start);
  char num[64];
  if (end == start) return fail(&p, start, "expected a number in '%.40s'", p.s);
  if (end - start >= sizeof num) return fail(&p, start, "number too long");
  memcpy(num, p.s + start, end - start);
  num[end - start] = '\0';
  double v = strtod(num, NULL);
  if (!isfinite(v)) return fail(&p, start, "number out of range: '%s'", num);
  p.pos = end;
  skip_blank(&p);
  Unit u = units_one();
  if (peek(&p) && !units_parse(p.s + p.pos, &u, err, errlen, NULL)) return false;
  if (!isfinite(v * u.scale)) return fail(&p, start, "value out of range: '%.40s'", p.s);
  *si_out = v * u.scale;
  *unit = u;
  return true;
}

/*
 * Printing.  Out appends to a caller's buffer and never overflows it.
 */

typedef struct Out { char *buf; size_t len, n; } Out;

__attribute__((format(printf, 2, 3)))
static void out_printf(Out *o, const char *fmt, ...) {
  if (o->n >= o->len) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
  va_end(ap);
  if (k > 0) o->n += (size_t)k;
}

static Out out_start(char *buf, size_t len) {
  if (buf && len) buf[0] = '\0';
  return (Out){.buf = buf, .len = buf ? len : 0};
}

static void put_si(Out *o, Unit u) {
  static const char *const base[UNIT_NBASE] = {"m", "kg", "s", "A", "K", "mol"};
  bool first = true;
  for (int i = 0; i < UNIT_NBASE; i++) {
    if (!u.e[i]) continue;
    out_printf(o, "%s%s", first ? "" : "*", base[i]);
    if (u.e[i] != 1) out_printf(o, "^%d", u.e[i]);
    first = false;
  }
  if (first) out_printf(o, "1");
}

char *units_format_si(Unit u, char *buf, size_t len) {
  Out o = out_start(buf, len);
  put_si(&o, u);
  return buf;
}

/* Scales as "1e-3" when a power of ten, else "%g". */
static void put_scale(Out *o, double s) {
  double l = log10(s), r = round(l);
  if (fabs(l - r) < 1e-9 && fabs(r) < 400) out_printf(o, "1e%d", (int)r);
  else out_printf(o, "%.6g", s);
}

/* Familiar display units, tried in order; the first with the same dimension
 * and scale wins ("mV/ms" over the equal "V/s", "1/s" over "Hz"). */
static const char *const display_table[] = {
    "1", "mV", "V", "uV", "ms", "s", "us", "1/ms", "1/s",
    "mS/cm^2", "S/m^2", "mA/cm^2", "uA/cm^2", "A/m^2", "uF/cm^2", "F/m^2",
    "nA", "pA", "uA", "mA", "A", "nS", "pS", "uS", "mS", "S",
    "ohm", "kohm", "Mohm", "Gohm", "ohm*cm", "ohm*m", "kohm*cm^2", "ohm*cm^2", "ohm*m^2",
    "um", "mm", "cm", "m", "um^2", "cm^2", "m^2", "um^3", "L", "m^3",
    "mM", "uM", "nM", "M", "mol", "mmol", "K", "C", "pC", "nC", "C/mol",
    "pF", "nF", "uF", "F", "mV/ms", "m/s", "um/ms", "mM/ms", "1/(mM*ms)",
    "J", "J/(mol*K)", "kg", "g",
};

/* The first display unit with u's dimension and a scale within tol of
 * `scale`; NULL when none. */
static const char *display_name(Unit u, double scale, double tol) {
  for (size_t i = 0; i < COUNT(display_table); i++) {
    Unit d;
    if (units_parse(display_table[i], &d, NULL, 0, NULL) && units_same_dim(u, d) &&
        close_rel(d.scale, scale, tol))
      return display_table[i];
  }
  return NULL;
}

/* "mS/cm^2" when familiar; otherwise the scale and the coherent SI unit,
 * by name when it has one ("1e3 V"), else in base units ("1e-3 m^2*kg"). */
char *units_format(Unit u, char *buf, size_t len) {
  Out o = out_start(buf, len);
  const char *name = display_name(u, u.scale, 1e-9);
  if (name) {
    out_printf(&o, "%s", name);
    return buf;
  }
  if (units_is_dimensionless(u)) {
    put_scale(&o, u.scale);
    return buf;
  }
  if (!close_rel(u.scale, 1.0, 1e-9)) {
    put_scale(&o, u.scale);
    out_printf(&o, " ");
  }
  const char *coherent = display_name(u, 1.0, 1e-9);
  if (coherent) out_printf(&o, "%s", coherent);
  else put_si(&o, u);
  return buf;
}

/*
 * Names of familiar quantities, for messages like "expected a voltage".
 */

static const struct { signed char e[UNIT_NBASE]; const char *name; } quantity_table[] = {
    /* L   M   T   I   K   N */
    {{ 0,  0,  0,  0,  0,  0}, "dimensionless"},
    {{ 0,  0,  1,  0,  0,  0}, "time"},
    {{ 0,  0, -1,  0,  0,  0}, "rate"},
    {{ 1,  0,  0,  0,  0,  0}, "length"},
    {{ 2,  0,  0,  0,  0,  0}, "area"},
    {{ 3,  0,  0,  0,  0,  0}, "volume"},
    {{ 0,  1,  0,  0,  0,  0}, "mass"},
    {{ 0,  0,  0,  0,  1,  0}, "temperature"},
    {{ 0,  0,  0,  0,  0,  1}, "amount of substance"},
    {{ 1,  0, -1,  0,  0,  0}, "speed"},
    {{ 2,  1, -3, -1,  0,  0}, "voltage"},
    {{ 2,  1, -4, -1,  0,  0}, "voltage per time"},
    {{ 0,  0,  0,  1,  0,  0}, "current"},
    {{-2,  0,  0,  1,  0,  0}, "current density"},
    {{-2, -1,  3,  2,  0,  0}, "conductance"},
    {{-4, -1,  3,  2,  0,  0}, "conductance density"},
    {{-2, -1,  4,  2,  0,  0}, "capacitance"},
    {{-4, -1,  4,  2,  0,  0}, "specific capacitance"},
    {{ 2,  1, -3, -2,  0,  0}, "resistance"},
    {{ 4,  1, -3, -2,  0,  0}, "specific membrane resistance"},
    {{ 3,  1, -3, -2,  0,  0}, "axial resistivity"},
    {{ 0,  0,  1,  1,  0,  0}, "charge"},
    {{ 0,  0,  1,  1,  0, -1}, "charge per amount"},
    {{-3,  0,  0,  0,  0,  1}, "concentration"},
    {{-3,  0, -1,  0,  0,  1}, "concentration per time"},
    {{-2,  0, -1,  0,  0,  1}, "molar flux"},
    {{ 2,  1, -2,  0,  0,  0}, "energy"},
};

const char *units_quantity_name(Unit u) {
  for (size_t i = 0; i < COUNT(quantity_table); i++)
    if (memcmp(u.e, quantity_table[i].e, sizeof u.e) == 0) return quantity_table[i].name;
  return NULL;
}
