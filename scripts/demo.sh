#!/usr/bin/env bash
# Builds weft and its benchmark peers (sequential, OpenMP with gcc's libgomp
# and clang's libomp, oneTBB) and runs the benchmark workloads, printing a
# table of medians and ratios. Extra arguments go to bench/run.py
# (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j"$(nproc)" >/dev/null
python3 bench/run.py --build build/bench "$@"
