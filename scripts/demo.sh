#!/usr/bin/env bash
# Builds weft and its benchmark peers (sequential, OpenMP with gcc's libgomp
# and clang's libomp, oneTBB) and js/dist/weft.wasm, and runs every benchmark
# suite of bench/run.py: the native fork-join workloads, the task graphs, and
# weft.wasm under Node beside the native build and against postMessage
# worker pools. Each suite prints its table; the run ends with one summary
# table (see docs/BENCHMARKS.md). About 10 minutes on 2 cores. Extra
# arguments go to bench/run.py, e.g. --quick for a two-minute version, or
# --suite forkjoin,graph for the native suites only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 bench/run.py --build-dir build/bench "$@"
