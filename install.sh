#!/bin/sh
# install.sh — set up msn on a fresh Debian/Ubuntu machine: install the
# packages that are missing, build in build/, and run the default example.
set -eu
cd "$(dirname "$0")"

pkgs="gcc make flex bison autoconf automake libtool pkg-config libgsl-dev libcunit1-dev llvm-19-dev"
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install.sh: installing$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y $missing
fi

[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure
make -j"$(nproc)"

echo
echo "install.sh: compiling and running examples/hh.msn"
./msnc build ../examples/hh.msn -o hh
./hh --out hh_out
echo "install.sh: output of the default example is in $(pwd)/hh_out/ (trace.csv, spikes.csv, run.json)"
