#!/bin/sh
# bench/networks/run.sh — msn against Brian2 on spiking networks
# (`make bench-networks`; never part of `make check`).
#
#   MSNC=build/msnc SRCDIR=. BUILDDIR=build sh bench/networks/run.sh
#
# Three parts (BENCH_PARTS, default "compare scaling memory"):
#
# compare  examples/cobahh.msn, cuba.msn and brunel.msn (1 s, dt 0.1 ms,
#          seed 12345) against the Brian2 C++ standalone peers
#          bench/networks/*_brian2.py, both on one thread (msn --threads 1).  First both sides run
#          once and bench/networks/stats.py checks that their statistics
#          fall in the acceptance ranges of the validation references;
#          otherwise the script stops.  Then BENCH_ROUNDS rounds (default
#          5; BENCH_BRUNEL_ROUNDS for Brunel, default the same): per round
#          and per model, back to back: msnc build, the msn run, a rerun of
#          the compiled Brian2 binary, and a fresh Brian2 build (code
#          generation and make -j2, not run).
# scaling  a CUBA network of N = 1k, 4k, 16k, 64k neurons with 80
#          connections per neuron (p = 80/N): msn with --threads 1 and 2,
#          and Brian2; BENCH_SCALING_ROUNDS rounds (default 3).
# memory   peak RSS (/usr/bin/time) of msn for the Brunel network at 12,500
#          and 125,000 neurons (in-degrees 1000 and 250: 15.6 M and 156 M
#          synapses), 50 ms of biological time, and of the same populations
#          without projections; bytes per synapse from the difference.
#          Skipped (with a message) when less than 6 GiB of memory is free.
#
# Times: msn's own wall_time_s of run.json (allocation, connectivity,
# the loop, output); Brian2's own timing of the loop (last_run_info.txt,
# CPU time of the process); whole binaries as wall time of the process;
# msnc build and Brian2's make as wall time.  Ratios are computed per
# round and their median reported.  The table goes to stdout and to
# $BUILDDIR/bench-networks-results.txt.  BENCH_PYTHON (default
# /usr/bin/python3) runs Brian2 and stats.py; BENCH_KEEP=1 keeps the work
# directory.
set -eu
: "${MSNC:?MSNC must name the msnc binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${BUILDDIR:?BUILDDIR must name the build tree}"
ROUNDS=${BENCH_ROUNDS:-5}
BRUNEL_ROUNDS=${BENCH_BRUNEL_ROUNDS:-$ROUNDS}
SCALING_ROUNDS=${BENCH_SCALING_ROUNDS:-3}
PARTS=${BENCH_PARTS:-compare scaling memory}
PY=${BENCH_PYTHON:-/usr/bin/python3}
SEED=12345
ND="$SRCDIR/bench/networks"
OUT="$BUILDDIR/bench-networks-results.txt"
MSN_STDLIB=${MSN_STDLIB:-$SRCDIR/stdlib}
export MSN_STDLIB

die() { echo "bench-networks: $*" >&2; exit 1; }
say() { echo "bench-networks: $*" >&2; }

# ---- prerequisites ---------------------------------------------------------------
[ -x "$MSNC" ] || die "no msnc at $MSNC (build it first: make)"
[ -x "$PY" ] || die "no Python at $PY: apt-get install python3 (or set BENCH_PYTHON)"
"$PY" -c 'import numpy' 2>/dev/null || die "numpy is missing for $PY: apt-get install python3-numpy"
"$PY" -c 'import brian2' 2>/dev/null ||
  die "Brian2 is not installed for $PY: apt-get install python3-brian (Brian2 2.5, the peer of this benchmark)"
command -v g++ > /dev/null 2>&1 || die "g++ not found (Brian2 compiles C++): apt-get install g++"
command -v make > /dev/null 2>&1 || die "make not found (Brian2 builds with make): apt-get install make"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (peak RSS): apt-get install time"
case "$ROUNDS$BRUNEL_ROUNDS$SCALING_ROUNDS" in *[!0-9]*) die "BENCH_*ROUNDS must be whole numbers" ;; esac
[ "$ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/msn-bench-networks.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then say "work directory $WORK is kept"
else trap 'rm -rf "$WORK"' EXIT; fi

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.4f\n", b - a }'; }
# jget KEY FILE: a number (or null) of a JSON file, first occurrence
jget() { sed -n "s/^.*\"$1\": *\([-0-9.eE+]*\|null\|true\|false\)[,}].*\$/\1/p" "$2" | head -n 1; }
# json KEY FILE: a number from run.json ("key": value, one per line)
json() { sed -n "s/^ *\"$1\": *\([-0-9.eE+]*\),*\$/\1/p" "$2" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR == 0) print "nan nan"; else printf "%s %s\n", lo, hi }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.4f\n", a / b }'; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }

# the models: NAME FILE PEER POPULATIONS T0 ACCEPT GOAL_RATIO
models() {
  echo "COBAHH cobahh cobahh_brian2.py exc=3200,inh=800 0 rate=33:42,cv=1.6:2.3 5"
  echo "CUBA cuba cuba_brian2.py exc=3200,inh=800 0 rate=5.0:6.4,cv=0.4:0.65 2"
  echo "Brunel brunel brunel_brian2.py exc=10000,inh=2500 100 rate=34:41,cv=0.3:0.5,active=1:1 3"
}
# stats SPIKES POPS T0 ACCEPT: stats.py's JSON line
stats() {
  set -- "$1" "$(echo "$2" | sed 's/\([^,][^,]*\)/--pop \1/g; s/,/ /g')" "$3" \
    "$(echo "$4" | sed 's/\([^,][^,]*\)/--accept \1/g; s/,/ /g')"
  # shellcheck disable=SC2086
  "$PY" "$ND/stats.py" --spikes "$1" $2 --t0 "$3" --t1 1000 $4 < /dev/null
}
# brian2 PEER ARGS...: run a peer script; its stderr goes to $WORK/brian2.log
brian2() {
  peer=$1; shift
  if ! "$PY" "$ND/$peer" "$@" < /dev/null 2> "$WORK/brian2.log"; then
    tail -n 20 "$WORK/brian2.log" >&2
    die "Brian2 peer $peer failed (log above)"
  fi
}
# statline LABEL STATSFILE
statline() {
  f=$2
  printf '  %-8s %8s spikes  rate %6.2f Hz  CV %5.3f  Fano %6.3f  active %5.3f  pop. CV (1 ms) %5.3f\n' \
    "$1" "$(jget spikes "$f")" "$(jget rate "$f")" "$(jget cv "$f")" "$(jget fano "$f")" \
    "$(jget active "$f")" "$(jget pop_cv "$f")"
}
# row LABEL FILE DECIMALS [GOAL] [MET]
row() {
  set -- "$1" "$2" "$3" "${4:-}" "${5:-}" "$(median < "$2")" $(minmax < "$2")
  printf '  %-40s %9.*f  [%.*f, %.*f]  %-8s %s\n' "$1" "$3" "$6" "$3" "$7" "$3" "$8" "$4" "$5"
}
# met VALUE OP LIMIT
met() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; print (v == "nan") ? "n/a" : ok ? "met" : "NOT MET" }'; }

: > "$WORK/table"
section() { printf '\n%s\n' "$*" >> "$WORK/table"; }
line() { printf '%s\n' "$*" >> "$WORK/table"; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
b2ver=$("$PY" -c 'import brian2; print(brian2.__version__)' 2> /dev/null)
line "msn vs Brian2 on spiking networks, $(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU} ($ncpu CPUs online)"
line "$("$MSNC" --version 2> /dev/null | head -n 1); Brian2 $b2ver (C++ standalone, one thread, make -j2); $(g++ --version | head -n 1)"
line "load average at the start: $(load)"

# ==== part 1: the three models =====================================================
compare() {
  models > "$WORK/models"
  # ---- the same statistics? ----
  while read -r name file peer pops t0 accept goal; do
    d="$WORK/$file"; mkdir -p "$d"
    say "$name: msnc build, msn run, Brian2 build and run (seed $SEED), statistics"
    "$MSNC" build "$SRCDIR/examples/$file.msn" -o "$d/msn" < /dev/null || die "msnc build examples/$file.msn failed"
    "$d/msn" --quiet --threads 1 --seed $SEED --out "$d/out" < /dev/null || die "$file (msn) failed"
    stats "$d/out/spikes.csv" "$pops" "$t0" "$accept" > "$d/msn.stats"
    brian2 "$peer" --mode build --dir "$d/b2" --spikes "$d/b2.csv" --seed $SEED > "$d/b2.build"
    stats "$d/b2.csv" "$pops" "$t0" "$accept" > "$d/b2.stats"
    for s in msn b2; do
      if [ "$(jget ok "$d/$s.stats")" != true ]; then
        statline msn "$d/msn.stats" >&2; statline Brian2 "$d/b2.stats" >&2
        die "$name: $( [ $s = msn ] && echo msn || echo Brian2 ) outside the acceptance ranges ($(sed -n 's/.*"failed": \[\(.*\)\].*/\1/p' "$d/$s.stats")): the comparison would be meaningless"
      fi
    done
    json spikes "$d/out/run.json" > "$d/msn.nspikes"
    jget spikes "$d/b2.build" > "$d/b2.nspikes"
    for f in msn_loop b2_loop ratio msn_bin b2_bin ratio_bin msn_cpu b2_cpu ratio_cpu ratio_loop_cpu msnc_build b2_make b2_total ratio_build ratio_build_total msn_rss b2_rss; do
      : > "$d/$f.t"
    done
  done < "$WORK/models"

  # ---- interleaved rounds ----
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    while read -r name file peer pops t0 accept goal; do
      if [ "$file" = brunel ] && [ "$r" -gt "$BRUNEL_ROUNDS" ]; then continue; fi
      say "round $r of $ROUNDS: $name (load $(load))"
      d="$WORK/$file"
      t=$(now)
      "$MSNC" build "$SRCDIR/examples/$file.msn" -o "$d/msn_r" < /dev/null || die "msnc build examples/$file.msn failed"
      since "$t" >> "$d/msnc_build.t"
      rm -rf "$d/out_r"
      t=$(now)
      /usr/bin/time -f '%M %U %S' -o "$d/rss" "$d/msn_r" --quiet --threads 1 --seed $SEED --out "$d/out_r" < /dev/null || die "$file (msn) failed"
      msn_bin=$(since "$t")
      [ "$(json spikes "$d/out_r/run.json")" = "$(cat "$d/msn.nspikes")" ] ||
        die "$name: msn gave $(json spikes "$d/out_r/run.json") spikes, $(cat "$d/msn.nspikes") before"
      msn_loop=$(json wall_time_s "$d/out_r/run.json")
      tail -n 1 "$d/rss" | awk '{ print $1 }' >> "$d/msn_rss.t"
      msn_cpu=$(tail -n 1 "$d/rss" | awk '{ printf "%.3f\n", $2 + $3 }')
      brian2 "$peer" --mode run --dir "$d/b2" --spikes "$d/b2_r.csv" --seed $SEED > "$d/b2.run"
      [ "$(jget spikes "$d/b2.run")" = "$(cat "$d/b2.nspikes")" ] ||
        die "$name: Brian2 gave $(jget spikes "$d/b2.run") spikes, $(cat "$d/b2.nspikes") before"
      b2_loop=$(jget loop_s "$d/b2.run"); b2_bin=$(jget binary_s "$d/b2.run")
      b2_cpu=$(jget binary_cpu_s "$d/b2.run")
      jget max_rss_kb "$d/b2.run" >> "$d/b2_rss.t"
      rm -rf "$d/b2c"
      brian2 "$peer" --mode compile --dir "$d/b2c" --seed $SEED > "$d/b2.compile"
      b2_make=$(jget make_s "$d/b2.compile")
      b2_total=$(awk -v a="$b2_make" -v b="$(jget codegen_s "$d/b2.compile")" -v c="$(jget import_s "$d/b2.compile")" \
        'BEGIN { printf "%.4f\n", a + b + c }')
      msnc=$(tail -n 1 "$d/msnc_build.t")
      echo "$msn_loop" >> "$d/msn_loop.t"; echo "$b2_loop" >> "$d/b2_loop.t"
      echo "$msn_bin" >> "$d/msn_bin.t"; echo "$b2_bin" >> "$d/b2_bin.t"
      echo "$b2_make" >> "$d/b2_make.t"; echo "$b2_total" >> "$d/b2_total.t"
      div "$b2_loop" "$msn_loop" >> "$d/ratio.t"
      div "$b2_bin" "$msn_bin" >> "$d/ratio_bin.t"
      echo "$msn_cpu" >> "$d/msn_cpu.t"; echo "$b2_cpu" >> "$d/b2_cpu.t"
      div "$b2_cpu" "$msn_cpu" >> "$d/ratio_cpu.t"
      div "$b2_loop" "$msn_cpu" >> "$d/ratio_loop_cpu.t"
      div "$b2_make" "$msnc" >> "$d/ratio_build.t"
      div "$b2_total" "$msnc" >> "$d/ratio_build_total.t"
    done < "$WORK/models"
    r=$((r + 1))
  done

  # ---- table ----
  section "== 1. msn vs Brian2: 1 s of biological time, dt 0.1 ms, seed $SEED, one thread"
  line "   $ROUNDS rounds (Brunel: $BRUNEL_ROUNDS), each running msnc build, msn, Brian2's binary and a Brian2 build back to back;"
  line "   Brian2's build is timed in every round (fresh project: code generation + make -j2); its loop and"
  line "   binary times come from one compiled project rerun in every round.  Seconds, median [min, max]."
  while read -r name file peer pops t0 accept goal; do
    d="$WORK/$file"
    section "$name ($(jget synapses "$d/b2.build") synapses in Brian2; statistics over $t0-1000 ms)"
    {
      statline msn "$d/msn.stats"
      statline Brian2 "$d/b2.stats"
      rmed=$(median < "$d/ratio.t")
      row "msn run (wall_time_s of run.json)" "$d/msn_loop.t" 3
      row "Brian2 loop (own timing, CPU)" "$d/b2_loop.t" 3
      row "Brian2 loop / msn run, per round" "$d/ratio.t" 2 ">= $goal" "$(met "$rmed" ">=" "$goal")"
      row "msn whole binary (wall)" "$d/msn_bin.t" 3
      row "Brian2 whole binary (wall)" "$d/b2_bin.t" 3
      row "Brian2 / msn whole binary, per round" "$d/ratio_bin.t" 2
      row "msn whole binary, CPU (user + sys)" "$d/msn_cpu.t" 3
      row "Brian2 whole binary, CPU (user + sys)" "$d/b2_cpu.t" 3
      row "Brian2 / msn whole binary CPU, per round" "$d/ratio_cpu.t" 2
      row "Brian2 loop / msn whole binary, both CPU" "$d/ratio_loop_cpu.t" 2 ">= $goal" \
        "$(met "$(median < "$d/ratio_loop_cpu.t")" ">=" "$goal")"
      bmed=$(median < "$d/msnc_build.t")
      row "msnc build" "$d/msnc_build.t" 3 "<= 0.5" "$(met "$bmed" "<=" 0.5)"
      row "Brian2 make -j2" "$d/b2_make.t" 3
      row "Brian2 import + code generation + make" "$d/b2_total.t" 3
      row "Brian2 make / msnc build, per round" "$d/ratio_build.t" 1 ">= 10" \
        "$(met "$(median < "$d/ratio_build.t")" ">=" 10)"
      row "Brian2 whole build / msnc build" "$d/ratio_build_total.t" 1
      awk '{ print $1 / 1024 }' "$d/b2_rss.t" > "$d/b2_rss_mb.t"
      awk '{ print $1 / 1024 }' "$d/msn_rss.t" > "$d/msn_rss_mb.t"
      row "peak RSS msn, MB" "$d/msn_rss_mb.t" 1
      row "peak RSS Brian2 binary, MB" "$d/b2_rss_mb.t" 1
    } >> "$WORK/table"
  done < "$WORK/models"
  line ""
  line "   msn run: allocation, connectivity, the loop, writing the output (wall time); Brian2 loop: the"
  line "   loop only (std::clock, i.e. CPU time of the process: time lost to other jobs is not counted)."
  line "   On a loaded machine the wall-time ratio is distorted against msn; the CPU-time row (msn's whole"
  line "   process, including connectivity, output and start-up, against Brian2's loop) is not."
}

# ==== part 2: scaling ==============================================================
scaling() {
  d="$WORK/scaling"; mkdir -p "$d"
  : > "$d/rows"
  for n in 1000 4000 16000 64000; do
    ne=$((n * 4 / 5)); ni=$((n - ne))
    p=$(awk -v n="$n" 'BEGIN { printf "%.10g\n", 80 / n }')
    sed -e "s/^population exc = 3200 /population exc = $ne /" -e "s/^population inh = 800 /population inh = $ni /" \
      -e "s/connect probability 0\.02;/connect probability $p;/" "$SRCDIR/examples/cuba.msn" > "$d/cuba_$n.msn"
    [ "$(grep -c "exc = $ne \|inh = $ni \|probability $p;" "$d/cuba_$n.msn")" -eq 6 ] ||
      die "cannot make the CUBA model of $n neurons from examples/cuba.msn"
    say "scaling: CUBA N = $n (p = $p): builds"
    "$MSNC" build "$d/cuba_$n.msn" -o "$d/cuba_$n" || die "msnc build of the CUBA model of $n neurons failed"
    brian2 cuba_brian2.py --mode build --dir "$d/b2_$n" --spikes "$d/b2_$n.csv" --seed $SEED \
      --neurons "$n" --connections 80 > "$d/b2_$n.build"
    : > "$d/t1"; : > "$d/t2"; : > "$d/c1"; : > "$d/b2"; : > "$d/ratio"; : > "$d/ratio_cpu"; : > "$d/speedup"
    r=1
    while [ "$r" -le "$SCALING_ROUNDS" ]; do
      say "scaling: N = $n, round $r of $SCALING_ROUNDS (load $(load))"
      for th in 1 2; do
        rm -rf "$d/out"
        /usr/bin/time -f '%U %S' -o "$d/cpu" "$d/cuba_$n" --quiet --seed $SEED --threads $th --out "$d/out" < /dev/null ||
          die "CUBA $n (msn, --threads $th) failed"
        json wall_time_s "$d/out/run.json" >> "$d/t$th"
        if [ "$th" = 1 ]; then tail -n 1 "$d/cpu" | awk '{ printf "%.3f\n", $1 + $2 }' >> "$d/c1"; fi
        json threads "$d/out/run.json" > "$d/threads$th"
        [ -s "$d/threads$th" ] || echo "not recorded" > "$d/threads$th"
        if [ "$th" = 1 ]; then cp "$d/out/spikes.csv" "$d/msn_$n.csv"; fi
      done
      brian2 cuba_brian2.py --mode run --dir "$d/b2_$n" --spikes "$d/b2_$n.csv" --seed $SEED \
        --neurons "$n" --connections 80 > "$d/b2.run"
      jget loop_s "$d/b2.run" >> "$d/b2"
      div "$(tail -n 1 "$d/b2")" "$(tail -n 1 "$d/t1")" >> "$d/ratio"
      div "$(tail -n 1 "$d/b2")" "$(tail -n 1 "$d/c1")" >> "$d/ratio_cpu"
      div "$(tail -n 1 "$d/t1")" "$(tail -n 1 "$d/t2")" >> "$d/speedup"
      r=$((r + 1))
    done
    stats "$d/msn_$n.csv" "exc=$ne,inh=$ni" 0 "" > "$d/msn_$n.stats"
    stats "$d/b2_$n.csv" "exc=$ne,inh=$ni" 0 "" > "$d/b2_$n.stats"
    printf '  %6d %9d %8.3f %8.3f %8.3f  %-4s %8.3f %7.2f %7.2f %7.2f   %5.2f %5.2f   %5.3f %5.3f\n' "$n" \
      "$(jget synapses "$d/b2_$n.build")" "$(median < "$d/t1")" "$(median < "$d/c1")" "$(median < "$d/t2")" \
      "$(cat "$d/threads2")" "$(median < "$d/b2")" "$(median < "$d/ratio")" "$(median < "$d/ratio_cpu")" \
      "$(median < "$d/speedup")" \
      "$(jget rate "$d/msn_$n.stats")" "$(jget rate "$d/b2_$n.stats")" \
      "$(jget cv "$d/msn_$n.stats")" "$(jget cv "$d/b2_$n.stats")" >> "$d/rows"
  done
  section "== 2. scaling: CUBA with 80 connections per neuron (p = 80/N), 1 s, medians of $SCALING_ROUNDS rounds, seconds"
  line "   msn: wall_time_s with --threads 1 (t=1) and 2 (t=2), CPU time of the process with --threads 1"
  line "   (cpu1); thr.: the threads run.json records for --threads 2; Brian2: its loop (CPU), one thread;"
  line "   B2/t1 and B2/cpu1: Brian2 / msn per round; synapses: Brian2's count (msn draws its own, same p)"
  printf '  %6s %9s %8s %8s %8s  %-4s %8s %7s %7s %7s   %11s   %11s\n' N synapses "msn t1" "msn cpu1" "msn t2" \
    thr. Brian2 B2/t1 B2/cpu1 t1/t2 "rate msn/B2" "CV msn/B2" >> "$WORK/table"
  cat "$d/rows" >> "$WORK/table"
}

# ==== part 3: memory ===============================================================
memory() {
  d="$WORK/memory"; mkdir -p "$d"
  avail=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
  section "== 3. memory: msn, Brunel network, 50 ms of biological time (peak RSS of the process)"
  if [ "${avail:-0}" -lt 6 ]; then
    line "   skipped: ${avail:-?} GiB of memory available, 6 GiB needed for 156 M synapses"
    return 0
  fi
  line "   in-degrees CE 1000 and CI 250 at both sizes; 'no projections' is the same file without the"
  line "   project lines between populations (the Poisson input stays: it stores no synapses)"
  line "        N   synapses  RSS MB  RSS no proj. MB  B/synapse  run s  run.json synapses / synapse_bytes"
  for ne in 10000 100000; do
    ni=$((ne / 4)); n=$((ne + ni)); syn=$((n * 1250))
    sed -e "s/^population exc = 10000 /population exc = $ne /" -e "s/^population inh = 2500 /population inh = $ni /" \
      "$SRCDIR/examples/brunel.msn" > "$d/brunel_$n.msn"
    grep -v '^project \(exc\|inh\) ->' "$d/brunel_$n.msn" > "$d/brunel_${n}_noproj.msn"
    for v in "" _noproj; do
      say "memory: Brunel N = $n$v (load $(load))"
      "$MSNC" build "$d/brunel_$n$v.msn" -o "$d/b$v" || die "msnc build of the Brunel model of $n neurons failed"
      rm -rf "$d/out$v"
      /usr/bin/time -f '%M' -o "$d/rss$v" "$d/b$v" --quiet --threads 1 --seed $SEED --duration 50ms --out "$d/out$v" < /dev/null ||
        die "Brunel $n$v (msn) failed"
    done
    rss=$(tail -n 1 "$d/rss"); rss0=$(tail -n 1 "$d/rss_noproj")
    rsyn=$(json synapses "$d/out/run.json"); rbytes=$(json synapse_bytes "$d/out/run.json")
    printf '  %7d %10d %7.1f %16.1f %10.2f %6.2f  %s\n' "$n" "$syn" "$(div "$rss" 1024)" "$(div "$rss0" 1024)" \
      "$(awk -v a="$rss" -v b="$rss0" -v s="$syn" 'BEGIN { printf "%.2f", (a - b) * 1024 / s }')" \
      "$(json wall_time_s "$d/out/run.json")" "${rsyn:-not recorded} / ${rbytes:-not recorded}" >> "$WORK/table"
    echo "$syn $rss" >> "$d/fit"
  done
  line "   fit between the two sizes: $(awk 'NR == 1 { s0 = $1; r0 = $2 } NR == 2 { printf "%.2f", ($2 - r0) * 1024 / ($1 - s0) }' "$d/fit") bytes per synapse (RSS difference / synapse difference)"
}

for part in $PARTS; do
  case $part in
    compare|scaling|memory) $part ;;
    *) die "unknown part '$part' in BENCH_PARTS (compare, scaling, memory)" ;;
  esac
done
line ""
line "load average at the end: $(load)"
tee "$OUT" < "$WORK/table"
say "results also in $OUT"
