/* compiler/main.c — the msnc driver.
 *
 *   msnc build model.msn [-o prog]   native executable
 *   msnc run model.msn [args...]     JIT-compile and run, no files left
 *   msnc check model.msn             diagnostics only
 *   msnc info model.msn              states, parameters, solvers, equations
 *   msnc emit-llvm model.msn         optimised LLVM IR
 *   msnc kernel chan.msn [-o libchan.so]  channel kernels + C header (docs/kernel-abi.md)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codegen.h"
#include "msnc.h"
#include "network.h"
#include "population.h"

#ifndef MSN_SAN_FLAGS
#define MSN_SAN_FLAGS ""
#endif
#ifndef MSN_GSL_LIBS
#define MSN_GSL_LIBS "-lgsl -lgslcblas"
#endif

static const char *usage =
    "usage: msnc COMMAND [options] MODEL.msn [program arguments]\n"
    "\n"
    "commands:\n"
    "  build      compile to a native executable (default name: the model file's stem)\n"
    "  run        compile in memory (JIT) and run; arguments after the model go to the program\n"
    "  check      check the model and report errors, produce nothing\n"
    "  info       show states, parameters with units, chosen solvers and equations\n"
    "  emit-llvm  print the optimised LLVM IR of the model's kernels\n"
    "  kernel     compile the file's channels into kernels with a C ABI for other simulators:\n"
    "             -o libNAME.so (default lib<file stem>.so), NAME.o or NAME.ll, plus the header\n"
    "             NAME.h next to it (see docs/kernel-abi.md)\n"
    "\n"
    "options:\n"
    "  -o FILE           output file (build, emit-llvm, kernel)\n"
    "  -O0 .. -O3        optimisation level (default -O3)\n"
    "  --target generic  portable x86-64 code instead of the host CPU's features\n"
    "  -Werror           treat warnings as errors\n"
    "  --channel NAME    kernel: only this channel (repeatable, or NAME,NAME)\n"
    "  --per-compartment P,Q  kernel: pass these parameters as arrays (CHANNEL.P for one channel)\n"
    "  --header FILE     kernel: where to write the C header\n"
    "  -h, --help        this help;  --version  the version\n"
    "\n"
    "Generated programs take --duration --dt --set name=value --out DIR --format csv|npy\n"
    "--seed --method --quiet --help; see msn-run(1).  Language reference: docs/language.md.\n";

typedef struct Options {
  const char *command, *input, *output;
  char *channels, *per_compartment; /* kernel: comma-separated lists (heap) */
  const char *header;               /* kernel: --header */
  int opt_level;
  bool generic, werror;
  int prog_argc;
  char **prog_argv;
} Options;

static int fail_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "msnc: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'msnc --help'.\n");
  return 2;
}

static int parse_args(int argc, char **argv, Options *o) {
  o->opt_level = 3;
  int i = 1;
  if (i < argc && argv[i][0] != '-') o->command = argv[i++];
  for (; i < argc; i++) {
    char *a = argv[i];
    if (!o->input && a[0] != '-') {
      o->input = a;
      if (o->command && strcmp(o->command, "run") == 0) {
        o->prog_argc = argc - i;
        o->prog_argv = argv + i; /* argv[0] of the program is the model path */
        return 0;
      }
    } else if (strcmp(a, "-o") == 0) {
      if (++i >= argc) return fail_usage("-o needs a file name%s", "");
      o->output = argv[i];
    } else if (strncmp(a, "-O", 2) == 0 && a[2] >= '0' && a[2] <= '3' && !a[3]) {
      o->opt_level = a[2] - '0';
    } else if (strcmp(a, "--target") == 0 || strncmp(a, "--target=", 9) == 0) {
      const char *t = a[8] == '=' ? a + 9 : (++i < argc ? argv[i] : "");
      if (strcmp(t, "generic") == 0) o->generic = true;
      else if (strcmp(t, "host") != 0) return fail_usage("unknown target '%s' (use host or generic)", t);
    } else if (strcmp(a, "-Werror") == 0) {
      o->werror = true;
    } else if (strcmp(a, "--channel") == 0 || strncmp(a, "--channel=", 10) == 0 ||
               strcmp(a, "--per-compartment") == 0 || strncmp(a, "--per-compartment=", 18) == 0 ||
               strcmp(a, "--header") == 0 || strncmp(a, "--header=", 9) == 0) {
      const char *eq = strchr(a, '='), *v = eq ? eq + 1 : (++i < argc ? argv[i] : NULL);
      if (!v || !*v) return fail_usage("%s needs a value", a);
      if (a[2] == 'h') {
        o->header = v;
      } else {
        char **list = a[2] == 'c' ? &o->channels : &o->per_compartment;
        char *joined = *list ? xasprintf("%s,%s", *list, v) : xstrdup(v);
        free(*list);
        *list = joined;
      }
    } else {
      return fail_usage("unknown option '%s'", a);
    }
  }
  return 0;
}

/* ---- the front end --------------------------------------------------------- */

static Mir *front_end(Compilation *c, const Options *o, bool *library) {
  c->diag.werror = o->werror;
  if (!msnc_load(c, o->input) || !msnc_check(c)) return NULL;
  /* a file of channels and gates has nothing to simulate: check it alone */
  *library = !c->sim.cell && strcmp(o->command, "check") == 0;
  if (*library) return NULL;
  Mir *m = msnc_lower(c);
  if (c->diag.nerrors) return NULL;
  return m;
}

static void report_failure(Compilation *c) {
  if (c->diag.nerrors)
    fprintf(stderr, "msnc: %d error%s, %d warning%s\n", c->diag.nerrors, c->diag.nerrors == 1 ? "" : "s",
            c->diag.nwarnings, c->diag.nwarnings == 1 ? "" : "s");
}

/* ---- build ------------------------------------------------------------------ */

static char *runtime_library(void) {
  const char *env = getenv("MSN_RUNTIME_LIB");
  if (env && *env) return xstrdup(env);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    char *dir = path_dirname(exe), *build = path_real(MSN_ABS_BUILDDIR);
    bool in_build = build && strcmp(dir, build) == 0;
    free(dir);
    free(build);
    if (in_build) return xstrdup(MSN_ABS_BUILDDIR "/.libs/libmsnrt.a");
  }
  return xstrdup(MSN_LIBDIR "/libmsnrt.a");
}

static char *default_output(const char *input) {
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  char *out = xstrdup(base);
  char *dot = strrchr(out, '.');
  if (dot && dot != out) *dot = 0;
  if (strcmp(out, base) == 0) { /* no extension: do not overwrite the source */
    free(out);
    out = xasprintf("%s.out", base);
  }
  return out;
}

/* Run argv; returns its exit status or -1 when it could not run.  quiet:
 * its stderr goes to /dev/null. */
static int run_command(char **argv, bool quiet) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (quiet && !freopen("/dev/null", "w", stderr)) _exit(127);
    execvp(argv[0], argv);
    fprintf(stderr, "msnc: error: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is there an executable name in a directory of $PATH? */
static bool on_path(const char *name) {
  const char *path = getenv("PATH");
  if (!path) return false;
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, ":");
    char *f = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);
    bool ok = access(f, X_OK) == 0;
    free(f);
    if (ok) return true;
    p += n + (p[n] == ':');
  }
  return false;
}

/* $CC [sanitizer flags] -o out obj libmsnrt.a $GSL_LIBS -lm.  gold links
 * a program in about half the time of the default linker (bfd; ~15 of 32
 * ms), so when ld.gold is on the PATH it is asked for first, right after
 * the driver's name so that a -fuse-ld in $CC still wins.  A driver that
 * refuses it is not an error: the link is repeated with its default
 * linker, whose messages are the ones shown if that fails too. */
static int link_program(const char *obj, const char *out) {
  char *rt = runtime_library();
  if (!file_exists(rt)) {
    fprintf(stderr, "msnc: error: the runtime library %s is missing (set MSN_RUNTIME_LIB, or run make install)\n", rt);
    free(rt);
    return 1;
  }
  const char *cc = getenv("CC");
  char *cmd = xasprintf("%s %s -o %s %s %s %s -lm", cc && *cc ? cc : "cc", MSN_SAN_FLAGS, out, obj, rt, MSN_GSL_LIBS);
  /* split on blanks: every piece here comes from us or from $CC */
  char *argv[64], *gold[65];
  int n = 0;
  for (char *tok = strtok(cmd, " \t"); tok && n < 63; tok = strtok(NULL, " \t")) argv[n++] = tok;
  argv[n] = NULL;
  int rc = -1;
  if (on_path("ld.gold")) {
    gold[0] = argv[0];
    gold[1] = "-fuse-ld=gold";
    memcpy(gold + 2, argv + 1, (size_t)n * sizeof *argv); /* with the NULL */
    rc = run_command(gold, true);
  }
  if (rc != 0) rc = run_command(argv, false);
  free(cmd);
  free(rt);
  if (rc != 0) {
    fprintf(stderr, "msnc: error: linking %s failed\n", out);
    return 1;
  }
  return 0;
}

/* Generate and optimise the model's module; NULL after saying why. */
static CgModule *generate(Mir *m, const Options *o, bool generic, bool with_main) {
  CgOptions cg = {.generic_target = generic, .opt_level = o->opt_level, .with_main = with_main};
  char *err = NULL;
  CgModule *cm = cg_build(m, &cg, &err);
  if (!cm || !cg_optimize(cm, &err)) {
    fprintf(stderr, "msnc: error: code generation failed: %s\n", err ? err : "?");
    free(err);
    cg_free(cm);
    return NULL;
  }
  return cm;
}

static int cmd_build(Compilation *c, const Options *o, Mir *m) {
  CgModule *cm = generate(m, o, o->generic, true);
  if (!cm) return 1;
  char *err = NULL;
  char *out = o->output ? xstrdup(o->output) : default_output(o->input);
  const char *tmpdir = getenv("TMPDIR");
  char *obj = xasprintf("%s/msnc-XXXXXX.o", tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd = mkstemps(obj, 2);
  if (fd < 0) {
    fprintf(stderr, "msnc: error: cannot create a temporary file %s: %s\n", obj, strerror(errno));
    free(obj);
    free(out);
    cg_free(cm);
    return 1;
  }
  close(fd);
  int rc = 0;
  if (!cg_emit_object(cm, obj, &err)) {
    fprintf(stderr, "msnc: error: cannot write the object file: %s\n", err ? err : "?");
    free(err);
    rc = 1;
  } else {
    rc = link_program(obj, out);
  }
  unlink(obj);
  free(obj);
  cg_free(cm);
  free(out);
  (void)c;
  return rc;
}

static int cmd_run(const Options *o, Mir *m) {
  CgModule *cm = generate(m, o, false, false);
  if (!cm) return 1;
  char *err = NULL;
  int rc = cg_jit_run(cm, o->prog_argc, o->prog_argv, &err);
  if (rc < 0) {
    fprintf(stderr, "msnc: error: JIT failed: %s\n", err ? err : "?");
    free(err);
    return 1;
  }
  return rc;
}

static int cmd_emit_llvm(const Options *o, Mir *m) {
  CgModule *cm = generate(m, o, o->generic, false);
  if (!cm) return 1;
  char *ir = cg_print_ir(cm);
  FILE *f = o->output ? fopen(o->output, "w") : stdout;
  int rc = 0;
  if (!f) {
    fprintf(stderr, "msnc: error: cannot write %s: %s\n", o->output, strerror(errno));
    rc = 1;
  } else {
    fputs(ir, f);
    if (f != stdout && fclose(f) != 0) rc = 1;
  }
  free(ir);
  cg_free(cm);
  return rc;
}

/* ---- kernel: channels for other simulators (docs/kernel-abi.md) ----------------- */

/* The header next to the output: "dir/libhh.so" and "dir/hh.o" -> "dir/hh.h". */
static char *kernel_header_path(const char *out) {
  const char *base = strrchr(out, '/');
  base = base ? base + 1 : out;
  char *stem = xstrdup(base);
  char *dot = strrchr(stem, '.');
  if (dot && dot != stem) *dot = 0;
  const char *s = strncmp(stem, "lib", 3) == 0 && stem[3] ? stem + 3 : stem;
  char *h = xasprintf("%.*s%s.h", (int)(base - out), out, s);
  free(stem);
  return h;
}

/* Can path be created or overwritten?  Reports why not. */
static bool kernel_writable(const char *path) {
  char *dir = path_dirname(path);
  bool exists = access(path, F_OK) == 0;
  bool ok = exists ? access(path, W_OK) == 0 : access(dir, W_OK) == 0;
  if (ok && exists && !file_exists(path)) errno = EISDIR, ok = false; /* a directory or a device */
  if (!ok) fprintf(stderr, "msnc: error: cannot write %s: %s\n", path, strerror(errno));
  free(dir);
  return ok;
}

static bool ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n > t && strcmp(s + n - t, tail) == 0;
}

/* $CC (default cc) -shared -o out obj -lm */
static int link_shared(const char *obj, const char *out) {
  const char *cc = getenv("CC");
  char *ccs = xstrdup(cc && *cc ? cc : "cc");
  char *argv[40];
  int n = 0;
  for (char *tok = strtok(ccs, " \t"); tok && n < 32; tok = strtok(NULL, " \t")) argv[n++] = tok;
  argv[n++] = "-shared";
  argv[n++] = "-o";
  argv[n++] = (char *)out;
  argv[n++] = (char *)obj;
  argv[n++] = "-lm";
  argv[n] = NULL;
  int rc = run_command(argv, false);
  free(ccs);
  if (rc != 0) {
    fprintf(stderr, "msnc: error: linking the shared library %s failed\n", out);
    return 1;
  }
  return 0;
}

static int cmd_kernel(Compilation *c, const Options *o) {
  c->diag.werror = o->werror;
  int n = 0;
  MirKernel *k = NULL;
  if (msnc_load(c, o->input) && msnc_check(c)) k = msnc_lower_kernels(c, o->channels, o->per_compartment, &n);
  if (!k) {
    report_failure(c);
    return 1;
  }
  char *out = NULL;
  if (o->output) {
    out = xstrdup(o->output);
  } else {
    char *stem = default_output(o->input);
    out = xasprintf("lib%s.so", stem);
    free(stem);
  }
  bool so = ends_with(out, ".so"), obj = ends_with(out, ".o"), ll = ends_with(out, ".ll");
  char *header = o->header ? xstrdup(o->header) : so || obj ? kernel_header_path(out) : NULL;
  int rc = 1;
  CgModule *cm = NULL;
  char *err = NULL, tmp[] = "/tmp/msnc-XXXXXX.o";
  if (!so && !obj && !ll) {
    fprintf(stderr, "msnc: error: -o %s: a kernel is written as a shared library (.so), an object file (.o) "
                    "or LLVM IR (.ll)\n", out);
    goto done;
  }
  if (header && strcmp(header, out) == 0) {
    fprintf(stderr, "msnc: error: the header would overwrite the output %s; name it with --header\n", out);
    goto done;
  }
  if (!kernel_writable(out) || (header && !kernel_writable(header))) goto done;
  CgOptions opt = {.generic_target = o->generic, .opt_level = o->opt_level, .with_main = false};
  cm = cg_build_kernels(k, n, &opt, &err);
  if (!cm || !cg_optimize(cm, &err)) {
    fprintf(stderr, "msnc: error: code generation failed: %s\n", err ? err : "?");
    goto done;
  }
  if (ll) {
    char *ir = cg_print_ir(cm);
    FILE *f = fopen(out, "w");
    bool ok = f && fputs(ir, f) >= 0;
    if (f && fclose(f) != 0) ok = false;
    free(ir);
    if (!ok) {
      fprintf(stderr, "msnc: error: cannot write %s: %s\n", out, strerror(errno));
      goto done;
    }
  } else if (obj) {
    if (!cg_emit_object(cm, out, &err)) {
      fprintf(stderr, "msnc: error: %s\n", err ? err : "cannot write the object file");
      goto done;
    }
  } else {
    int fd = mkstemps(tmp, 2);
    if (fd < 0) {
      fprintf(stderr, "msnc: error: cannot create a temporary file: %s\n", strerror(errno));
      goto done;
    }
    close(fd);
    bool ok = cg_emit_object(cm, tmp, &err);
    if (!ok) fprintf(stderr, "msnc: error: %s\n", err ? err : "cannot write the object file");
    else ok = link_shared(tmp, out) == 0;
    unlink(tmp);
    if (!ok) goto done;
  }
  if (header && !cg_write_kernel_header(k, n, header, &err)) {
    fprintf(stderr, "msnc: error: %s\n", err);
    goto done;
  }
  rc = 0;
done:
  free(err);
  cg_free(cm);
  free(header);
  free(out);
  return rc;
}

int main(int argc, char **argv) {
  Options o = {0};
  bool run = argc > 1 && strcmp(argv[1], "run") == 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (run && i > 1 && argv[i][0] != '-') break; /* the model: the program's own options follow */
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("msnc %s (LLVM 19)\n", MSN_VERSION);
      return 0;
    }
  }
  int rc = parse_args(argc, argv, &o);
  if (rc) return rc;
  if (!o.command) return fail_usage("no command given%s", "");
  static const char *commands[] = {"build", "run", "check", "info", "emit-llvm", "kernel"};
  bool known = false;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) known |= strcmp(o.command, commands[i]) == 0;
  if (!known) return fail_usage("unknown command '%s' (build, run, check, info, emit-llvm or kernel)", o.command);
  if (!o.input) return fail_usage("no model file given to '%s'", o.command);

  if (strcmp(o.command, "kernel") != 0 && (o.channels || o.per_compartment || o.header))
    return fail_usage("--channel, --per-compartment and --header are options of 'msnc kernel'%s", "");
  Compilation c;
  msnc_init(&c, stderr);
  if (strcmp(o.command, "kernel") == 0) {
    rc = cmd_kernel(&c, &o);
    msnc_free(&c);
    free(o.channels);
    free(o.per_compartment);
    return rc;
  }
  bool library = false;
  Mir *m = front_end(&c, &o, &library);
  if (!m) {
    rc = library && !c.diag.nerrors ? 0 : 1;
    if (rc) report_failure(&c);
    msnc_free(&c);
    return rc;
  }
  if (strcmp(o.command, "check") == 0) {
    rc = 0;
    sema_balance_print(stdout, m->network, false); /* compiler/sema_balance.c */
  } else if (strcmp(o.command, "info") == 0) {
    mir_print_info(stdout, m);
    if (m->population) population_print_info(stdout, m); /* compiler/lower_population.c */
    sema_balance_print(stdout, m->network, false);
  } else if (strcmp(o.command, "build") == 0) {
    sema_balance_print(stderr, m->network, true);
    rc = cmd_build(&c, &o, m);
  } else if (strcmp(o.command, "run") == 0) rc = cmd_run(&o, m);
  else rc = cmd_emit_llvm(&o, m);
  msnc_free(&c);
  return rc;
}
