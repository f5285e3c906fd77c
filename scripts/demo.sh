#!/usr/bin/env bash
# Builds weft and its benchmark peers (sequential, OpenMP with gcc's libgomp
# and clang's libomp, oneTBB) and runs the benchmark workloads, printing a
# table of medians and ratios (bench/run.py; see docs/BENCHMARKS.md). Extra
# arguments go to bench/run.py, e.g. --quick for a one-minute version.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 bench/run.py --build-dir build/bench "$@"
