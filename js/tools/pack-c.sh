#!/usr/bin/env bash
# Copies the C sources that tools/build-c.sh needs into js/c/ (src/*.c and
# *.h, src/wasm/, include/weft.h), so that the npm package can build users'
# C tasks without the repository (npm's prepack runs this; c/ is not in git).
# It checks that dist/weft.wasm is built.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
# The package ships the built module: build it first (./build.sh), not here,
# so that packing never rewrites a weft.wasm that tests may be loading.
[ -f "$here/dist/weft.wasm" ] || { echo "pack: dist/weft.wasm missing: run ./build.sh first" >&2; exit 1; }
rm -rf "$here/c"
mkdir -p "$here/c/src/wasm/include" "$here/c/include"
cp "$root"/src/*.c "$root"/src/*.h "$here/c/src/"
cp "$root"/src/wasm/*.c "$root"/src/wasm/*.h "$here/c/src/wasm/"
cp "$root"/src/wasm/include/*.h "$here/c/src/wasm/include/"
cp "$root/include/weft.h" "$here/c/include/"
