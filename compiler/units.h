/* compiler/units.h — dimension algebra and the unit table.
 *
 * A dimension is an integer exponent vector over the SI base quantities
 * (length, mass, time, current, temperature, amount) plus a scale: the
 * factor that converts one of the written unit into the coherent SI value.
 * "mV" is {L=2,M=1,T=-3,I=-1; scale=1e-3}.  All quantities are folded into
 * SI at compile time, so generated code never multiplies by a unit factor.
 *
 * This file has no dependency beyond libc and libm: it is compiled into both
 * msnc and libmsnrt (generated programs parse `--set g=120 mS/cm^2`).
 */
#ifndef MSN_UNITS_H
#define MSN_UNITS_H

#include <stdbool.h>
#include <stddef.h>

enum { UNIT_L, UNIT_M, UNIT_T, UNIT_I, UNIT_K, UNIT_N, UNIT_NBASE };

typedef struct Unit {
  signed char e[UNIT_NBASE]; /* exponents over L M T I K N */
  double scale;              /* SI value of one of this unit */
} Unit;

/* The dimensionless unit with scale 1. */
Unit units_one(void);
bool units_is_dimensionless(Unit u);          /* all exponents 0 (any scale) */
bool units_same_dim(Unit a, Unit b);          /* exponents equal, scale ignored */
bool units_equal(Unit a, Unit b);             /* same dim and scale within 1e-12 rel */
Unit units_mul(Unit a, Unit b);
Unit units_div(Unit a, Unit b);
Unit units_pow(Unit a, int n);                /* integer power, n may be negative */
/* sqrt: false (and *out untouched) when an exponent is odd. */
bool units_sqrt(Unit a, Unit *out);

/* Parse a unit expression such as "mV", "mS/cm^2", "ohm*cm", "uF/cm^2",
 * "1/ms", "Hz", "um", "µm", "Ω", "degC" is not supported (use K).
 * Grammar: term (('*'|'/') term)* ; term: primary ('^' ('+'|'-')? INT)? ;
 * primary: NAME | '1' | '(' expr ')'.  Left-associative; blanks around
 * operators; the exponent may be parenthesised ("m^(-2)").  *out is written
 * only on success.
 * Returns true on success.  On failure writes a message into err (at most
 * errlen bytes) naming the offending part, e.g. "unknown unit 'mv' (did you
 * mean 'mV'?)", and *errpos (if non-NULL) gets the byte offset of the problem. */
bool units_parse(const char *text, Unit *out, char *err, size_t errlen, size_t *errpos);

/* Look up one unit symbol with optional SI prefix ("mV", "uS", "Mohm", "mM").
 * Returns false when unknown. */
bool units_lookup(const char *name, Unit *out);

/* Print the dimension (scale ignored) in canonical SI form into buf, base
 * units in the order m kg s A K mol, e.g. "m^2*kg*s^-3*A^-1"; "1" when
 * dimensionless.  Never overflows buf (truncates).  Returns buf. */
char *units_format_si(Unit u, char *buf, size_t len);

/* Print a unit readably for messages: a familiar display unit when u equals
 * one (scale within 1e-9 relative): "mV", "mS/cm^2", "1/ms", "Mohm", ...;
 * otherwise the scale and the coherent SI unit, by name where it has one,
 * else in base units: "1e3 V", "1e-3 m^2*kg", "m^2*kg*s^-1".  A
 * dimensionless unit prints as its scale ("1", "1e-3").  Returns buf. */
char *units_format(Unit u, char *buf, size_t len);

/* Parse a value with an optional unit: "120 mS/cm^2", "-65mV", "0.1",
 * "1e-3 s" (a decimal number, blanks, then a unit expression as accepted by
 * units_parse).  On success *si_out is the value in coherent SI (120 mS/cm^2
 * gives 1200) and *unit the unit as written (units_one() when there is none;
 * the caller checks the dimension).  On failure writes a message into err and
 * leaves the outputs untouched.  Uses strtod: run in the "C" numeric locale. */
bool units_parse_value(const char *text, double *si_out, Unit *unit, char *err,
                       size_t errlen);

/* Print a dimension as the name of a familiar quantity when there is one
 * ("voltage", "time", "conductance density", "current density", ...);
 * NULL otherwise. */
const char *units_quantity_name(Unit u);

/* When a and b have the same dimension but a different scale, the factor
 * f with a = f * b (e.g. mV vs V gives 1e-3).  Only meaningful when
 * units_same_dim(a, b). */
double units_factor(Unit a, Unit b);

/* Suggest the closest known unit symbol to a misspelt one (edit distance
 * <= 2, case-insensitive match preferred).  NULL when nothing is close. */
const char *units_suggest(const char *name);

#endif
