#!/bin/sh
# tests/e2e/build_kernels.sh — what `msnc build` leaves out to build fast
# (docs/codegen.md, "Build time"):
#  - kernels the runtime can never call are not generated: with a reset the
#    staggered method runs NAME_vstep, so there is no NAME_step; a network
#    runs with the staggered method only, so it has no NAME_rhs.  A single
#    cell with a reset keeps rhs (--method rk4 runs), a cell without one
#    keeps step; a network asked for another method says why it cannot; a
#    network of several cells has each cell's vstep (reset) or step (none);
#    a network with noise has noise_step and no noise kernel (euler, heun);
#  - NAME_init and NAME_gates, run once, are compiled without optimisation
#    (optnone), the step kernels with it;
#  - the link uses gold when ld.gold is on the PATH, and falls back to the
#    driver's default linker when the driver refuses -fuse-ld=gold; a link
#    that fails with both shows the linker's message.
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

# the kernels NAME_KERNEL a program FILE defines, sorted, blank-separated
kernels() { nm "$1" | awk -v p="$2_" '$2 == "T" && index($3, p) == 1 { print substr($3, length(p) + 1) }' | sort | tr '\n' ' '; }
same() { # NAME GOT WANT
  if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: got '$2', want '$3'"; fi
}

# ---- kernels left out ----------------------------------------------------------
"$MSNC" build "$SRCDIR/examples/cobahh.msn" -o "$WORK/cobahh" 2> /dev/null
same "COBAHH (network, reset) kernels" "$(kernels "$WORK/cobahh" COBAHH)" "gates init vlin vstep "
"$MSNC" build "$SRCDIR/examples/cuba.msn" -o "$WORK/cuba" 2> /dev/null
same "CUBA (network, reset) kernels" "$(kernels "$WORK/cuba" CUBA)" "gates init vlin vstep "
"$MSNC" build "$SRCDIR/examples/lif.msn" -o "$WORK/lif"
same "LIF (one cell, reset) kernels" "$(kernels "$WORK/lif" LIF)" "gates init rhs vlin vstep "
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"
same "HH (one cell, no reset) kernels" "$(kernels "$WORK/hh" HH)" "gates init rhs step "
# a network of an HH cell (no reset) and an integrate-and-fire cell: the
# network's vstep runs cell 1's vstep and cell 0's step
"$MSNC" build "$SRCDIR/tests/e2e/models/cells_ei.msn" -o "$WORK/ei" 2> /dev/null
same "HH + LIF network kernels" "$(kernels "$WORK/ei" Pyr_FS)" \
  "cell0_gates cell0_init cell0_step cell1_gates cell1_init cell1_vlin cell1_vstep gates init vlin vstep "
# a network with noise (examples/ou_lif.msn): noise_step for the staggered
# method, no noise kernel (for euler and heun, which a network cannot run)
"$MSNC" build "$SRCDIR/examples/ou_lif.msn" -o "$WORK/ou" 2> /dev/null
same "noisy network kernels" "$(kernels "$WORK/ou" LIF)" "gates init noise_step vlin vstep "
if "$WORK/ou" --quiet --method euler --out "$WORK/ou_euler" 2> "$WORK/ou_euler.err"; then
  fail "a noisy network ran with --method euler"
elif grep -q "use --method staggered (a network runs with the staggered method only)" "$WORK/ou_euler.err"; then
  pass "a noisy network asked for euler says it runs staggered only"
else fail "a noisy network asked for euler: $(cat "$WORK/ou_euler.err")"; fi

# the programs still run what they have
if "$WORK/cobahh" --quiet --seed 1 --duration 20ms --out "$WORK/cob" && [ -s "$WORK/cob/spikes.csv" ]; then
  pass "COBAHH runs staggered (vstep) without a step kernel"
else fail "COBAHH runs staggered (vstep) without a step kernel"; fi
for m in staggered rk4; do
  if "$WORK/lif" --quiet --method $m --out "$WORK/lif_$m"; then
    n=$(($(wc -l < "$WORK/lif_$m/spikes.csv") - 1))
    same "LIF --method $m: spikes in 200 ms (period 12.986 ms)" "$n" 15
  else fail "LIF --method $m runs"; fi
done
if "$WORK/cobahh" --quiet --method rk4 --out "$WORK/cob_rk4" 2> "$WORK/rk4.err"; then
  fail "COBAHH --method rk4 is refused"
else
  st=$?
  same "COBAHH --method rk4: exit status (usage)" "$st" 1
  if grep -q "a network runs with the staggered method only (not rk4)" "$WORK/rk4.err"; then
    pass "COBAHH --method rk4: $(head -1 "$WORK/rk4.err")"
  else fail "COBAHH --method rk4: $(cat "$WORK/rk4.err")"; fi
fi

# ---- init and gates without optimisation, the step kernels with it -----------------------
"$MSNC" emit-llvm "$SRCDIR/examples/cobahh.msn" -o "$WORK/cobahh.ll" 2> /dev/null
attrs() { # FILE FUNCTION: the attribute group line of FUNCTION's definition
  g=$(awk -v f="@$2(" 'index($0, "define") == 1 && index($0, f) { print $NF == "{" ? $(NF - 1) : $NF; exit }' "$1")
  grep "^attributes $g = " "$1" || echo "none"
}
case $(attrs "$WORK/cobahh.ll" COBAHH_init) in
*optnone*) pass "COBAHH_init is optnone" ;;
*) fail "COBAHH_init is optnone: $(attrs "$WORK/cobahh.ll" COBAHH_init)" ;;
esac
case $(attrs "$WORK/cobahh.ll" COBAHH_gates) in
*optnone*) pass "COBAHH_gates is optnone" ;;
*) fail "COBAHH_gates is optnone: $(attrs "$WORK/cobahh.ll" COBAHH_gates)" ;;
esac
case $(attrs "$WORK/cobahh.ll" COBAHH_vstep) in
*optnone*|none) fail "COBAHH_vstep is optimised: $(attrs "$WORK/cobahh.ll" COBAHH_vstep)" ;;
*) pass "COBAHH_vstep is optimised" ;;
esac

# ---- the link ------------------------------------------------------------------
if command -v ld.gold > /dev/null 2>&1; then
  if readelf -n "$WORK/hh" | grep -q "NT_GNU_GOLD_VERSION"; then pass "linked by gold"
  else fail "linked by gold (ld.gold is on the PATH)"; fi
fi
# a driver that refuses -fuse-ld=gold
cat > "$WORK/nogold" <<'EOF'
#!/bin/sh
for a in "$@"; do
  case $a in -fuse-ld=gold) echo "nogold: gold refused" >&2; exit 1 ;; esac
done
exec cc "$@"
EOF
chmod +x "$WORK/nogold"
if CC="$WORK/nogold" "$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh_bfd" 2> "$WORK/nogold.err" &&
   "$WORK/hh_bfd" --quiet --duration 20ms --out "$WORK/hh_bfd_out"; then
  pass "a driver without gold links with its default linker"
else fail "a driver without gold links with its default linker: $(cat "$WORK/nogold.err")"; fi
if grep -q "gold refused" "$WORK/nogold.err"; then fail "the refused gold attempt is silent: $(cat "$WORK/nogold.err")"
else pass "the refused gold attempt is silent"; fi
if readelf -n "$WORK/hh_bfd" | grep -q "NT_GNU_GOLD_VERSION"; then fail "the fallback link is not gold"
else pass "the fallback link is not gold"; fi
# a link that fails with any linker: the linker's message, then msnc's
if CC="cc -Wl,--no-such-linker-option" "$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh_bad" 2> "$WORK/bad.err"; then
  fail "a failing link fails"
else
  if grep -q "no-such-linker-option" "$WORK/bad.err" && grep -q "msnc: error: linking $WORK/hh_bad failed" "$WORK/bad.err"; then
    pass "a failing link shows the linker's message: $(grep -c . "$WORK/bad.err") lines"
  else fail "a failing link shows the linker's message: $(cat "$WORK/bad.err")"; fi
fi
finish
