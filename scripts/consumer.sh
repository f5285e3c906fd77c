#!/usr/bin/env bash
# Installs weft from a build directory into a temporary prefix and builds a
# consumer project (test/consumer, copied outside the tree) against it:
#   1. CMake: find_package(weft 0.2 CONFIG REQUIRED), static and shared
#      (weft::weft, weft::weft_shared), C and C++ (weft.hpp);
#   2. pkg-config: plain cc / c++ compile lines from weft.pc;
#   3. FetchContent from the source tree (same target names).
# Each program computes fib in parallel and checks it against a sequential
# run and its header's version against the package's.
#   bash scripts/consumer.sh [build-dir]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build/release}" && pwd)
work=$(mktemp -d /tmp/weft-consumer.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
jobs=$(nproc)

cmake --install "$build" --prefix "$prefix" >/dev/null
cp -r test/consumer "$work/src"
echo "installed into $prefix:"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^\.\//  /')

echo "-- find_package"
cmake -S "$work/src" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" -j"$jobs" >/dev/null
for exe in consumer_c consumer_c_shared consumer_cpp; do "$work/cmake/$exe"; done
# the shared build really loads the installed libweft.so.MAJOR.MINOR
ldd "$work/cmake/consumer_c_shared" | grep -q "$prefix/.*libweft\.so\.[0-9]*\.[0-9]*" ||
  { echo "consumer_c_shared does not load the installed libweft.so"; exit 1; }

echo "-- pkg-config"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name weft.pc)")
version=$(pkg-config --modversion weft)
[ "$version" = "$(cat VERSION)" ] || { echo "weft.pc says $version, VERSION $(cat VERSION)"; exit 1; }
libdir=$(pkg-config --variable=libdir weft)
# shellcheck disable=SC2046  # the flags are meant to split
cc -std=c11 -O2 "$work/src/main.c" -DWEFT_EXPECT_VERSION="\"$version\"" $(pkg-config --cflags weft) \
  -o "$work/pc_c" $(pkg-config --libs weft)
# shellcheck disable=SC2046
c++ -std=c++17 -O2 "$work/src/main.cpp" -DWEFT_EXPECT_VERSION="\"$version\"" \
  $(pkg-config --cflags weft) -o "$work/pc_cpp" $(pkg-config --libs weft)
# static: the archive itself, with the private libraries weft needs
# shellcheck disable=SC2046
cc -std=c11 -O2 "$work/src/main.c" $(pkg-config --cflags weft) -o "$work/pc_c_static" \
  "$libdir/libweft.a" $(pkg-config --libs-only-other --static weft)
LD_LIBRARY_PATH=$libdir "$work/pc_c"
LD_LIBRARY_PATH=$libdir "$work/pc_cpp"
"$work/pc_c_static"

echo "-- FetchContent (SOURCE_DIR: this tree)"
cmake -S "$work/src" -B "$work/fetch" -DWEFT_CONSUMER_MODE=fetch -DWEFT_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/fetch" -j"$jobs" >/dev/null
for exe in consumer_c consumer_c_shared consumer_cpp; do "$work/fetch/$exe"; done
echo "consumer: find_package, pkg-config and FetchContent builds ran and checked"
