#!/usr/bin/env bash
# Builds the package's modules with tools/build-c.sh (the weft core + the wasm
# host, freestanding, Debian's clang and wasm-ld):
#   dist/weft.wasm       what the package ships: the runtime and the
#                        documented C tasks of csrc/builtin.c
#   dist/weft-test.wasm  the same + the test and benchmark tasks of
#                        csrc/tasks.c, csrc/graph_tasks.c,
#                        csrc/launch_tasks.c and csrc/loop_tasks.c (fib, nqueens,
#                        tree, adds, nop, fail, stamp, chain_step, ...), for
#                        js/test, js/test/browser, bench/js and the demo
# Usage: js/build.sh [--shipped]    env: CC (clang), WASM_LD (wasm-ld), OPT (-O2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/tools/build-c.sh" -o "$here/dist/weft.wasm"
[ "${1:-}" = "--shipped" ] && exit 0
bash "$here/tools/build-c.sh" -o "$here/dist/weft-test.wasm" "$here/csrc/tasks.c" "$here/csrc/graph_tasks.c" "$here/csrc/launch_tasks.c" "$here/csrc/loop_tasks.c"
