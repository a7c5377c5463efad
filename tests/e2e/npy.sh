# tests/e2e/npy.sh — reading the NumPy output of generated programs in sh
# (sourced after lib.sh).  --format npy writes float64 values exactly, where
# trace.csv and spikes.csv keep 10 significant digits (1e-7 ms at t >= 100
# ms), so comparisons finer than that read the .npy files.  od prints each
# double so that it reads back exactly (shortest round-trip form).

# npy_offset FILE: byte offset of the data (10 + the header length, v1.0)
npy_offset() {
  set -- $(od -A n -t u1 -j 8 -N 2 "$1")
  echo $((10 + $1 + 256 * $2))
}

# npy_header FILE: the header dictionary, without its padding
npy_header() {
  dd if="$1" bs=1 skip=10 count=$(($(npy_offset "$1") - 10)) 2>/dev/null | tr -d '\n' | sed 's/ *$//'
}

# npy_shape FILE: "ROWS COLS" of a 2-D array
npy_shape() {
  npy_header "$1" | sed -n "s/.*'shape': *(\([0-9]*\), *\([0-9]*\)).*/\1 \2/p"
}

# npy_values FILE: every value, row by row, one per line
npy_values() {
  od -A n -t f8 -v -j "$(npy_offset "$1")" "$1" | tr -s ' \t' '\n\n' | sed '/^$/d'
}

# npy_col FILE COL: column COL (1-based) of a 2-D array, one value per line
npy_col() {
  ncols=$(npy_shape "$1" | awk '{ print $2 }')
  npy_values "$1" | awk -v n="$ncols" -v c="$2" '(NR - 1) % n == c - 1'
}

# npy_spikes DIR [ID]: spike times of instance ID (default 0) from DIR/spikes.npy
npy_spikes() {
  npy_values "$1/spikes.npy" | awk -v id="${2:-0}" 'NR % 2 == 1 { t = $1 } NR % 2 == 0 && $1 == id { print t }'
}

# max_rel_diff FILE FILE: max |a - b| / max(|b|, 1e-300) over two lists (1e9 when
# the counts differ)
max_rel_diff() {
  awk 'NR == FNR { a[FNR] = $1; na = FNR; next }
       { b[FNR] = $1; nb = FNR }
       END { if (na != nb) { print 1e9; exit }
             m = 0; for (i = 1; i <= na; i++) { d = a[i] - b[i]; if (d < 0) d = -d
               s = b[i] < 0 ? -b[i] : b[i]; if (s < 1e-300) s = 1e-300; if (d / s > m) m = d / s }
             printf "%.6g\n", m }' "$1" "$2"
}

# same_files NAME A B: passes when the two files are byte for byte the same
same_files() {
  if cmp -s "$2" "$3"; then pass "$1: identical"; else fail "$1: $2 and $3 differ"; fi
}

# expect_in NAME FILE TEXT: passes when FILE contains TEXT (fixed string)
expect_in() {
  if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1: '$3' not in: $(sed -n 1,5p "$2")"; fi
}
