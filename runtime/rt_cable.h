/* runtime/rt_cable.h — the numerical core of cable (branched neuron)
 * simulation: tree discretisation, Hines' O(N) solver, backward Euler and
 * Crank–Nicolson steps, and NEURON's d_lambda rule.  See docs/cable.md.
 *
 * Everything is SI: m, m^2, F, S, A, V, s, ohm*m (Ra), F/m^2 (Cm).
 *
 * Discretisation (vertex-centred finite volumes): a cylindrical section of
 * length L cut into nseg segments of length h = L/nseg has nodes at
 * x = k/nseg, k = 0..nseg.  Node 0 of a child section IS the node of its
 * parent nearest to the attachment point (so a branch point is one node
 * whose control volume collects the half segments of every section that
 * meets there: Kirchhoff's current law holds by construction).  The control
 * volume of a node is the half segments on either side of it; an end node
 * (x = 0 of the root, x = 1 of any section) has a half segment only, which
 * gives a sealed end with second-order accuracy at the nodes.  A point
 * current at a node enters exactly there (e.g. at x = 0 of the root).
 * A spherical soma (section 0 only) is one isopotential node of area
 * pi d^2 to which children attach whatever their attachment position.
 *
 * Compartments (nodes) are numbered in Hines order: parent[i] < i,
 * parent[0] = -1.  Arrays are flat (structure of arrays); a step allocates
 * nothing (its scratch lives in RtCable, so one RtCable must not be stepped
 * from two threads at once).  No function aborts: bad input gives false /
 * NULL / a negative value and a message.
 */
#ifndef MSN_RT_CABLE_H
#define MSN_RT_CABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RT_CABLE_CYLINDER = 0, RT_CABLE_SPHERE = 1 };
enum { RT_CABLE_BE = 0, RT_CABLE_CN = 1 };

/* One unbranched piece of the morphology. */
typedef struct RtCableSection {
  const char *name;  /* used in messages; NULL: "section K" */
  int32_t shape;     /* RT_CABLE_CYLINDER, or RT_CABLE_SPHERE (section 0 only) */
  double length;     /* m (ignored for a sphere) */
  double diam;       /* m: diameter at x = 0 (of the sphere for a sphere) */
  double diam1;      /* m: diameter at x = 1 (frustum); 0 means diam (cylinder) */
  int32_t parent;    /* parent section index; -1 for section 0, the root */
  double parent_x;   /* attachment position on the parent, 0..1 */
  int32_t nseg;      /* segments (>= 1; ignored for a sphere) */
} RtCableSection;

/* The discretised tree.  Built by rt_cable_build, freed by rt_cable_free. */
typedef struct RtCable {
  int32_t n;          /* compartments (nodes) */
  int32_t *parent;    /* n: parent node, parent[0] = -1, parent[i] < i */
  double *area;       /* n: membrane area, m^2 */
  double *cap;        /* n: capacitance, F (Cm * area) */
  double *g_axial;    /* n: axial conductance to parent[i], S; g_axial[0] = 0 */
  int32_t *sec;       /* n: section a node belongs to (a branch node: its parent's) */
  double *pos;        /* n: position of the node on that section, 0..1 */
  int32_t nsec;
  int32_t *sec_nseg;  /* nsec: segments (0 for a sphere) */
  int32_t *sec_node0; /* nsec: node at x = 0 (for a child: the parent's node) */
  int32_t *sec_first; /* nsec: node at x = 1/nseg; node k >= 1 is sec_first + k - 1 */
  double Ra, Cm;      /* ohm*m, F/m^2 */
  /* scratch of the solvers (n each) */
  double *diag, *rhs;
} RtCable;

/* Discretise nsec sections (section 0 the root, any order otherwise).
 * Returns NULL and a message naming the section in err (bad length,
 * diameter, segment count, parent, attachment, or a parent cycle). */
RtCable *rt_cable_build(const RtCableSection *secs, int32_t nsec, double Ra, double Cm,
                        char *err, size_t errlen);
void rt_cable_free(RtCable *c);

/* Node nearest to position x (0..1) of section s; -1 if s or x is invalid. */
int32_t rt_cable_node(const RtCable *c, int32_t s, double x);

/* Solve the symmetric tree system in place, O(n): diag[i] on the diagonal,
 * off[i] (i >= 1) in rows/columns i and parent[i], b the right-hand side.
 * On return b holds the solution; diag is overwritten.  Requires
 * parent[i] < i.  Returns false (b unspecified) on a zero pivot. */
bool rt_hines_solve(int32_t n, const int32_t *parent, double *diag, const double *off,
                    double *b);

/* One time step of dt for  C dV/dt = -I_m + I_axial + I_inj  with the
 * membrane current density linearised about the V at the start of the
 * step, I_m(V') ~ A (im + g (V' - V)):
 *   g[i]    S/m^2   dI_m/dV at node i (>= 0 for stability), may be NULL (0)
 *   im[i]   A/m^2   outward membrane current density at V, may be NULL (0)
 *   iinj[i] A       point current injected into node i (positive inward,
 *                   for CN its value at t + dt/2), may be NULL
 * method RT_CABLE_BE (backward Euler, first order, L-stable) or
 * RT_CABLE_CN (Crank–Nicolson, second order).  V (n volts) is updated in
 * place.  Returns false only for a bad method/dt or a singular system. */
bool rt_cable_step(RtCable *c, double *V, const double *g, const double *im,
                   const double *iinj, double dt, int method);

/* rt_cable_step for L identical trees side by side ("lanes"): every array
 * holds n * L values, node-major (the value of node i in lane l is at
 * i * L + l), so the solver's inner loops run over lanes and vectorise.
 * g and im are required; point currents are sparse: inj_amp[s * L + l]
 * (A) enters node inj_node[s] of lane l.  diag and rhs are n * L scratch values
 * (rhs ends as the correction).  Returns false for bad arguments, a zero
 * pivot, or a V that is no longer finite (the caller finds where). */
bool rt_cable_step_lanes(const RtCable *c, int32_t L, double *V, const double *g,
                         const double *im, int32_t ninj, const int32_t *inj_node,
                         const double *inj_amp, double dt, int method, double *diag,
                         double *rhs);

/* Steady state of the linearised system (one Newton step; exact for a
 * passive membrane): 0 = -A (im + g (V' - V)) + I_axial(V') + iinj.
 * Needs some g > 0 (else the system is singular: returns false). */
bool rt_cable_steady(RtCable *c, double *V, const double *g, const double *im,
                     const double *iinj);

/* Passive membrane gm (S/m^2) with reversal E (V): g[i] = gm,
 * im[i] = gm (V[i] - E). */
void rt_cable_passive(const RtCable *c, double gm, double E, const double *V, double *g,
                      double *im);

/* AC length constant at frequency f (Hz):
 * lambda_f = 0.5 sqrt(d / (pi f Ra Cm)), m (NEURON's lambda_f in SI). */
double rt_cable_lambda_f(double diam, double Ra, double Cm, double f);

/* NEURON's d_lambda rule for one section at 100 Hz:
 * nseg = int((L / (d_lambda lambda_100) + 0.9) / 2) * 2 + 1 (odd).
 * A frustum uses the mean diameter (as NEURON's lambda_f for two 3-D
 * points).  Returns -1 for non-positive or non-finite arguments or a count
 * beyond INT32_MAX. */
int32_t rt_cable_nseg_d_lambda(double L, double diam, double Ra, double Cm,
                               double d_lambda);

/* Apply the rule to every cylinder of secs (nseg is overwritten; a sphere
 * is left alone).  false and a message naming the section on bad input. */
bool rt_cable_d_lambda(RtCableSection *secs, int32_t nsec, double Ra, double Cm,
                       double d_lambda, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
