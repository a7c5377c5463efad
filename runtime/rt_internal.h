/* runtime/rt_internal.h — shared declarations of libmsnrt's parts.
 *
 * libmsnrt is split by concern:
 *   rt_main.c       msn_main: the driver (validate, parse, allocate, run, write)
 *   rt_cli.c        command line, quantities with units, --help, --version
 *   rt_integrate.c  time loops (staggered, rk4, rk45, euler, heun), spikes, NaN guard
 *   rt_rng.c        counter-based random numbers (Philox) for the noise
 *   rt_output.c     trace (csv/npy), spikes, run.json, mkdir -p
 *   rt_util.c       aligned memory, clocks, JSON strings, progress bar
 *
 * Nothing here is global or static-mutable: everything one run needs lives
 * in an RtRun, so two models can run one after the other (or, later, side by
 * side) in one process — the compiler calls msn_main in-process via its JIT.
 * Non-static names start with rt_.
 */
#ifndef MSN_RT_INTERNAL_H
#define MSN_RT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msnrt.h"

#ifndef MSN_VERSION
#define MSN_VERSION "unknown"
#endif

/* Exit statuses of msn_main (documented in msn-run(1)). */
enum { RT_EXIT_OK = 0, RT_EXIT_USAGE = 1, RT_EXIT_NUMERIC = 2, RT_EXIT_IO = 3 };

enum { RT_FORMAT_CSV = 0, RT_FORMAT_NPY = 1 };

/* A bare number given for a time option is in this unit. */
#define RT_MS 1e-3

/* One --set: parameter index, instance (-1: all) and the SI value. */
typedef struct RtSet {
  int32_t param;
  int64_t inst;
  double si;
} RtSet;

/* The run's settings: model defaults overridden by the command line.
 * Times are SI seconds. */
typedef struct RtOptions {
  const char *prog; /* name used in messages: basename of argv[0] */
  double duration, dt, record_every, rtol, atol;
  int method;       /* MsnMethod */
  int format;       /* RT_FORMAT_* */
  int threads;
  unsigned long long seed;
  bool quiet;
  char *out_dir;    /* heap */
  RtSet *sets;      /* heap, nsets entries, applied in order */
  size_t nsets;
  /* --record: the states of the trace, in column order (heap, nrecords
   * entries); they replace the model's records when records_given */
  int32_t *records;
  int32_t nrecords;
  bool records_given;
} RtOptions;

/* Growable list of spikes, sorted once at the end. */
typedef struct RtSpike {
  double t; /* SI */
  int64_t id;
} RtSpike;

typedef struct RtSpikes {
  RtSpike *v;
  size_t n, cap;
} RtSpikes;

/* One thread's share of the instances, [begin, end): its refractory list
 * and the spikes it finds (networks split a run into parts; every other
 * model has one part covering all instances). */
typedef struct RtPart {
  int64_t begin, end;
  int64_t *refr;      /* instances with ref_until > the current step's start */
  size_t nrefr;       /* (room for 3 (end - begin) + 1: the list, then scratch,
                         then a copy of the list for networks of several cells) */
  RtSpikes spikes;    /* networks: this part's spikes of the current step */
  RtSpikes pend;      /* networks: spikes of voltage jumps, for the next step */
  bool oom;           /* a spike could not be stored */
  bool b_shared;      /* this step's b of x' = a + b x is lin_b for every
                         instance of the part (MSN_VSTEP_B_SHARED), not lin_ab[1] */
  double lin_b;
  bool above_ok;      /* above holds the number of instances at or above the */
  int64_t above;      /* threshold after this step's kernel (MsnVstepFn) */
} RtPart;

/* The trace writer: CSV text or a .npy file whose header is patched with
 * the final row count when the file is closed. */
typedef struct RtTrace {
  FILE *f;
  char *path;      /* heap */
  char *iobuf;     /* heap, handed to setvbuf */
  int format;
  int64_t ncols;   /* including t */
  int64_t rows;
  double *row;     /* heap, ncols values (npy only) */
  int err;         /* errno of the first failed write, 0 if none */
} RtTrace;

/* Progress bar on a terminal; clock read only every few hundred steps. */
typedef struct RtProgress {
  bool enabled;
  double start;       /* monotonic seconds */
  double last_draw;
  uint64_t countdown; /* work units until the clock is read again */
  bool drawn;
} RtProgress;

/* Everything one simulation needs.  Owned by msn_main. */
typedef struct RtRun {
  const MsnModel *m;  /* the model as run: msn_main's copy of the description
                         with the records of --record, when given */
  RtOptions opt;
  int64_t n;          /* instances */
  int64_t stride;     /* doubles between two columns */
  int32_t ncols;      /* nstates + per-instance parameters */
  double *block;      /* all columns, 64-byte aligned */
  double **cols;      /* ncols column pointers into block */
  double *P;          /* nparams SI values */
  int64_t nsteps;     /* time-grid steps: ceil(duration/dt - 1e-9) */
  int64_t rec_stride; /* record every rec_stride steps */
  /* progress of the loop */
  int64_t steps_done;
  int64_t guard_ok;   /* last step at which the NaN guard found all states finite */
  double t_done;      /* SI */
  uint64_t solver_steps, solver_rejected; /* rk45 */
  double wall_start, wall;
  /* spike detection scratch (allocated before the loop) */
  double *spike_old;  /* spike state at the start of the step, n values */
  double *deriv_old;  /* its derivative there (rk4/rk45), n values */
  /* integrate-and-fire (m->has_reset), allocated by rt_integrate */
  double *ref_until;  /* end of each instance's refractory period (-inf: none) */
  RtPart *parts;      /* nparts parts of [0, n) (allocated by rt_integrate) */
  int nparts;
  double *lin_ab[2];  /* the spike state's a and b (MsnVlinFn) for the step */
  double **noise_sd;  /* staggered with noise: nnoise columns of the step's
                         standard deviations (MsnNoiseStepFn), or NULL */
  RtSpikes spikes;
  char **colnames;    /* trace column names, trace.ncols entries */
  RtTrace trace;
  RtProgress progress;
  int status;         /* RT_EXIT_* */
  char err[1024];     /* message when status != 0 */
  void *net;          /* network state (runtime/rt_network_run.c), or NULL */
  /* a network of several cells: the instance ranges of its populations of
   * neurons with their own spike settings (runtime/rt_network_run.c), in
   * ascending order; none (nsegs 0) when the model's settings hold for all */
  struct RtSeg *segs;
  int nsegs;
} RtRun;

/* Spike detection settings of instances [begin, end) (MsnPopulation,
 * network version 5): does the cell detect spikes, its threshold, and for
 * an integrate-and-fire cell its reset value and refractory period. */
typedef struct RtSeg {
  int64_t begin, end;
  int spikes, has_reset, reset_exact;
  double thr, reset, refractory;
} RtSeg;

/* ---- rt_util.c -------------------------------------------------------- */
void *rt_aligned_alloc(size_t bytes);   /* 64-byte aligned, zeroed; NULL on failure */
void rt_aligned_free(void *p);
double rt_now(void);                    /* monotonic seconds */
void rt_fail(RtRun *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Format a message into buf (len bytes) when buf is non-NULL: the error
 * strings of the runtime components (cable, field, density, events). */
void rt_msg(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rt_json_string(FILE *f, const char *s);
void rt_json_number(FILE *f, double x);  /* null for NaN/Inf */
int rt_edit_distance(const char *a, const char *b);
const char *rt_method_name(int method);
bool rt_spikes_push(RtSpikes *s, double t, int64_t id);
void rt_spikes_sort(RtSpikes *s);
void rt_progress_start(RtProgress *p, bool enabled);
void rt_progress_tick(RtRun *r, uint64_t work);
void rt_progress_end(RtProgress *p);

/* ---- rt_cli.c --------------------------------------------------------- */
/* Parse the command line into r->opt (model defaults first).  Returns
 * RT_EXIT_OK to run, RT_EXIT_USAGE after printing an error, or -1 after
 * --help/--version was printed (the caller returns 0). */
int rt_parse_args(RtRun *r, int argc, char **argv);
void rt_options_free(RtOptions *o);
/* Parse "20ms", "0.02 s", "-65mV", "120 mS/cm^2" or a bare number (then in
 * the unit whose SI value is bare_scale) and check the dimension against
 * dim (L M T I K N).  Writes the SI value; on failure a message without the
 * program name into err. */
bool rt_parse_quantity(const char *text, const int8_t dim[6], double bare_scale,
                       const char *bare_unit, double *si, char *err, size_t errlen);

/* ---- rt_integrate.c ---------------------------------------------------- */
void rt_integrate(RtRun *r);
/* Crossing of thr by the linear interpolant of (0,v0)-(h,v1), as an offset
 * in [0,h].  Requires v0 < thr <= v1. */
double rt_linear_crossing(double v0, double v1, double h, double thr);
/* Crossing of thr by the cubic Hermite interpolant with values v0, v1 and
 * derivatives f0, f1 at offsets 0 and h; offset in [0,h].  Requires
 * v0 < thr <= v1. */
double rt_hermite_crossing(double v0, double v1, double f0, double f1,
                           double h, double thr);
/* Integrate-and-fire crossing of thr by x' = a + b x from x0 at 0 (x1 at h)
 * as an offset in [0, h]: exact from the exponential solution when exact,
 * else (or when that fails) by linear interpolation.  Requires x0 < thr <= x1. */
double rt_lif_crossing(double x0, double x1, double a, double b, double h, double thr, int exact);
/* The time loop of networks (rt_network_run.c) uses these pieces: */
bool rt_start(RtRun *r);                         /* init, network, guard, row 0 */
/* One staggered step of part p's instances from t_k: spike state saved,
 * vlin, the step kernel, then resets or detection.  Spikes go to
 * p->spikes (false and p->oom when one could not be stored). */
bool rt_staggered_part(RtRun *r, RtPart *p, int64_t k);
/* The staggered scheme's half step of the gates after init (with its noise). */
void rt_staggered_gates(RtRun *r, double dt);
bool rt_end_step(RtRun *r, int64_t k, double t_next); /* guard, trace, progress */
/* the NaN guard or a trace row is due after `step` steps (which must then
 * see the states of that step: a network's block of steps ends there) */
bool rt_end_due(const RtRun *r, int64_t step);
bool rt_parts_init(RtRun *r, int nparts, int64_t align); /* split [0, n) */
void rt_parts_free(RtRun *r);
/* Indices i in [begin, end) with x[i] >= thr, ascending, into out (room
 * for end - begin); returns their number.  Vectorised: most neurons are
 * below threshold in most steps. */
size_t rt_above(const double *x, int64_t begin, int64_t end, double thr, int64_t *out);
/* The same result, for a caller that knows their number is at most
 * `limit`: the scan stops once it has found that many. */
size_t rt_above_limit(const double *x, int64_t begin, int64_t end, double thr, int64_t *out, size_t limit);
/* First non-finite state value as (state, instance); false when all finite. */
bool rt_find_nonfinite(const RtRun *r, int32_t *state, int64_t *inst);

/* ---- rt_rng.c ----------------------------------------------------------- */
/* Philox4x32-10 (Random123's reference algorithm): 4 random words from a
 * counter and a key. */
void rt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* RT_PHILOX_LANES consecutive blocks at once, vectorised: lane q is
 * rt_philox4x32_10 of the counter (c0 + q, c1, c2, c3), word w in
 * out[w][q]. */
#define RT_PHILOX_LANES 8
void rt_philox4x32_10_batch(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                            const uint32_t key[2], uint32_t out[4][RT_PHILOX_LANES]);
/* Two independent N(0,1) numbers that depend on (seed, step, instance,
 * pair) only: the pair-th pair of noise terms of instance inst at time step
 * step.  Box–Muller on 53-bit uniforms. */
void rt_normal_pair(uint64_t seed, uint64_t step, uint64_t inst, uint32_t pair, double *z0,
                    double *z1);
/* Normals a block at a time, for the noise in the states of cells: the
 * 2 RT_NORMAL_BLOCK numbers of pairs [block B, block B + B) (B =
 * RT_NORMAL_BLOCK) of noise term j at time step step, z[2q] and z[2q + 1]
 * from pair block B + q; each depends on (seed, step, pair, j) only.
 * rt_normal_words is the transform alone: Box–Muller on the Philox words
 * w[word][q] of RT_NORMAL_BLOCK counters; the paths (RT_NORMAL_GENERIC,
 * _AVX2, _AVX512, or _AUTO for the widest the CPU has) give identical
 * bits, -1 when the CPU lacks one.  lg (log u1) and trig (cos, then sin)
 * may be NULL; they are for the tests. */
#define RT_NORMAL_BLOCK 16
enum { RT_NORMAL_AUTO = 0, RT_NORMAL_GENERIC = 1, RT_NORMAL_AVX2 = 2, RT_NORMAL_AVX512 = 3 };
int rt_normal_words(int path, const uint32_t w[4][RT_NORMAL_BLOCK], double *z, double *lg,
                    double *trig);
void rt_normal_block(uint64_t seed, uint64_t step, uint64_t block, uint32_t j, double *z);

/* ---- rt_output.c ------------------------------------------------------- */
int rt_mkdir_p(const char *path);                /* 0 or errno */
bool rt_trace_open(RtRun *r);                    /* column names + file */
void rt_trace_record(RtRun *r, double t);        /* one row at time t (SI) */
bool rt_trace_close(RtRun *r);                   /* flush, patch npy header */
bool rt_write_spikes(RtRun *r);
/* v as printf's "%.17g" would print it (which round-trips), into buf (32
 * bytes), without printf for |v| in [1e-4, 1e15) and 0; returns the
 * length.  rt_format_g likewise for "%.*g" with 1 to 17 digits,
 * rt_format_i64 for "%lld". */
int rt_format_g17(double v, char *buf);
int rt_format_g(double v, int digits, char *buf);
int rt_format_i64(int64_t v, char *buf);
bool rt_write_run_json(RtRun *r);
void rt_output_free(RtRun *r);
/* Write the NumPy v1.0 header for a (rows, cols) float64 array: always
 * RT_NPY_HEADER bytes so that it can be rewritten in place. */
#define RT_NPY_HEADER 128
bool rt_npy_header(FILE *f, int64_t rows, int64_t cols);

#endif
