#!/bin/sh
# tests/e2e/record.sh — --record LIST of generated programs (msn-run(1)):
#   examples/hh.msn (records V, m, h, n): --record V gives the V column of
#   the model's own trace byte for byte, --record n,V those two columns in
#   that order, --record none the time column alone; msnc run passes it on;
#   an unknown state is exit 1 with the state list.
#   examples/cuba.msn (records spikes only): --record V gives byte for byte
#   the trace of the same network with `record V` in its simulate block
#   (one column per neuron, V[i]), the spikes unchanged, run.json's columns
#   the header's; a trace of 10001 rows is announced with its size.
#   tests/e2e/models/net_outputs.msn: --record V with --record-every equals
#   `record V every 0.5 ms`; with `record V of exc[0, 5], ...` only the
#   chosen neurons.
#   A cable cell and a neural field refuse the option (exit 1).
. "$SRCDIR/tests/e2e/lib.sh"
MSN_STDLIB="$SRCDIR/stdlib"
export MSN_STDLIB

# same_file NAME A B: A and B are identical
same_file() {
  if cmp -s "$2" "$3"; then pass "$1"; else fail "$1 ($2 and $3 differ)"; fi
}
# refused NAME STATUS ERRFILE TEXT: status 1 and TEXT in the messages
refused() {
  if [ "$2" -eq 1 ] && grep -qF -- "$4" "$3"; then pass "$1"
  else fail "$1: status $2, $(cat "$3")"; fi
}

# ---- a point cell -------------------------------------------------------------
"$MSNC" build "$SRCDIR/examples/hh.msn" -o "$WORK/hh"
"$WORK/hh" --quiet --duration 30ms --out "$WORK/hh_model"
"$WORK/hh" --quiet --duration 30ms --out "$WORK/hh_V" --record V
"$WORK/hh" --quiet --duration 30ms --out "$WORK/hh_nV" --record n,V
"$WORK/hh" --quiet --duration 30ms --out "$WORK/hh_none" --record none
cut -d, -f1,2 "$WORK/hh_model/trace.csv" > "$WORK/want_V"
same_file "hh --record V: the model's V column" "$WORK/want_V" "$WORK/hh_V/trace.csv"
awk -F, -v OFS=, '{ print $1, $5, $2 }' "$WORK/hh_model/trace.csv" > "$WORK/want_nV"
same_file "hh --record n,V: columns n, V" "$WORK/want_nV" "$WORK/hh_nV/trace.csv"
hdr=$(head -1 "$WORK/hh_nV/trace.csv")
if [ "$hdr" = "t [ms],n [1],V [mV]" ]; then pass "header: $hdr"; else fail "header: $hdr"; fi
cut -d, -f1 "$WORK/hh_model/trace.csv" > "$WORK/want_t"
same_file "hh --record none: the time column alone" "$WORK/want_t" "$WORK/hh_none/trace.csv"
same_file "hh --record none: the same spikes" "$WORK/hh_model/spikes.csv" "$WORK/hh_none/spikes.csv"
if grep -qF '"recorded_states": ["n", "V"],' "$WORK/hh_nV/run.json" &&
   grep -qF '"recorded_by": "--record"' "$WORK/hh_nV/run.json"; then pass "run.json: recorded_states n, V"
else fail "run.json of --record n,V: $(grep recorded "$WORK/hh_nV/run.json")"; fi
"$MSNC" run "$SRCDIR/examples/hh.msn" --quiet --duration 30ms --out "$WORK/hh_jit" --record n,V
same_file "msnc run --record n,V" "$WORK/want_nV" "$WORK/hh_jit/trace.csv"
st=0
"$WORK/hh" --out "$WORK/hh_bad" --record V,Na 2> "$WORK/err" || st=$?
refused "hh --record V,Na" "$st" "$WORK/err" "hh: error: --record: model 'HH' has no state 'Na'"
if grep -qF "States: V [mV] m [1] h [1] n [1]; or none" "$WORK/err"; then pass "the states are listed"
else fail "no list of states: $(cat "$WORK/err")"; fi
if [ ! -e "$WORK/hh_bad" ]; then pass "nothing written for a bad --record"; else fail "$WORK/hh_bad exists"; fi

# ---- a network that records no states -------------------------------------------
"$MSNC" build "$SRCDIR/examples/cuba.msn" -o "$WORK/cuba"
sed 's/^  record spikes$/  record V\n  record spikes/' "$SRCDIR/examples/cuba.msn" > "$WORK/cuba_V.msn"
grep -q '^  record V$' "$WORK/cuba_V.msn" || fail "sed did not add record V"
"$MSNC" build "$WORK/cuba_V.msn" -o "$WORK/cuba_V"
"$WORK/cuba" --quiet --duration 20ms --out "$WORK/c_rec" --record V
"$WORK/cuba_V" --quiet --duration 20ms --out "$WORK/c_model"
"$WORK/cuba" --quiet --duration 20ms --out "$WORK/c_none"
same_file "cuba --record V: the trace of record V" "$WORK/c_model/trace.csv" "$WORK/c_rec/trace.csv"
same_file "cuba --record V: the same spikes" "$WORK/c_none/spikes.csv" "$WORK/c_rec/spikes.csv"
ncols=$(head -1 "$WORK/c_rec/trace.csv" | awk -F, '{ print NF }')
check "columns of cuba --record V (t and 4000 neurons)" "$ncols" ">=" 4001
check "columns of cuba --record V (t and 4000 neurons)" "$ncols" "<=" 4001
last=$(head -1 "$WORK/c_rec/trace.csv" | awk -F, '{ print $NF }')
if [ "$last" = "V[3999] [mV]" ]; then pass "last column: $last"; else fail "last column: $last"; fi
jcols=$(sed -n 's/^  "columns": \[\(.*\)\],$/\1/p' "$WORK/c_rec/run.json" | sed 's/", "/,/g; s/"//g')
if [ "$jcols" = "$(head -1 "$WORK/c_rec/trace.csv")" ]; then pass "run.json columns = trace header"
else fail "run.json columns differ from the trace header"; fi
: > "$WORK/file"
st=0
"$WORK/cuba" --record V --out "$WORK/file/sub" 2> "$WORK/err" || st=$?
note="cuba: note: --record: the trace will hold 4001 columns x 10001 rows (4e+07 values, about 480 MB as CSV)"
if grep -qF "$note" "$WORK/err"; then pass "size note: $note"; else fail "no size note: $(cat "$WORK/err")"; fi

# ---- a network with and without chosen neurons ------------------------------------
cp "$SRCDIR/tests/e2e/models/step_lif.msn" "$WORK/"
cp "$SRCDIR/tests/e2e/models/net_outputs.msn" "$WORK/none.msn"
sed 's/^  record rates every 2 ms$/  record V every 0.5 ms/' "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/all.msn"
sed 's/^  record rates every 2 ms$/  record V of exc[0, 5], inh[0, 9] every 0.5 ms/' \
  "$SRCDIR/tests/e2e/models/net_outputs.msn" > "$WORK/some.msn"
for m in none all some; do "$MSNC" build "$WORK/$m.msn" -o "$WORK/$m" 2>> "$WORK/build.err"; done
"$WORK/all" --quiet --out "$WORK/n_all"
"$WORK/none" --quiet --out "$WORK/n_rec" --record V --record-every 0.5ms
same_file "net_outputs --record V --record-every 0.5ms: record V every 0.5 ms" \
  "$WORK/n_all/trace.csv" "$WORK/n_rec/trace.csv"
"$WORK/some" --quiet --out "$WORK/s_model"
"$WORK/some" --quiet --out "$WORK/s_rec" --record none --record V
same_file "chosen neurons: --record V keeps them" "$WORK/s_model/trace.csv" "$WORK/s_rec/trace.csv"
"$WORK/some" --quiet --out "$WORK/s_none" --record none
hdr=$(head -1 "$WORK/s_none/trace.csv")
if [ "$hdr" = "t [ms]" ]; then pass "chosen neurons, --record none: $hdr"; else fail "--record none: $hdr"; fi

# ---- models without state columns refuse it ----------------------------------------
st=0
"$MSNC" run "$SRCDIR/examples/passive_cable.msn" --out "$WORK/cable" --record V 2> "$WORK/err" || st=$?
refused "cable --record V" "$st" "$WORK/err" "--record does not apply to cable cell"
st=0
"$MSNC" run "$SRCDIR/tests/e2e/models/field_drive.msn" --out "$WORK/field" --record u 2> "$WORK/err" || st=$?
refused "field --record u" "$st" "$WORK/err" "--record does not apply to population model"
finish
