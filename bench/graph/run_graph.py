#!/usr/bin/env python3
"""Thin alias: the task-graph benchmarks live in bench/run.py (--suite graph).

    python3 bench/graph/run_graph.py [options]
  = python3 bench/run.py --suite graph [options]

with this script's old option names mapped onto the runner's: --bench ->
--graph-bench, --impl -> --graph-impl, --n -> --graph-n; the default output
stays bench/results/graph.jsonl and the default build directory
build-graph-bench. Every other option (--quick, --reps, --workers,
--runs-per-build, --budget, --timeout, --build-dir, --no-build, --out) is
passed as it is. See docs/BENCHMARKS.md.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RENAME = {"--bench": "--graph-bench", "--impl": "--graph-impl", "--n": "--graph-n"}

args = []
for a in sys.argv[1:]:
    name, eq, val = a.partition("=")
    args.append(RENAME[name] + eq + val if name in RENAME else a)
names = {a.partition("=")[0] for a in args}
if "--out" not in names:
    args += ["--out", os.path.join(REPO, "bench", "results", "graph.jsonl")]
if "--build-dir" not in names:
    args += ["--build-dir", os.path.join(REPO, "build-graph-bench")]
runner = os.path.join(REPO, "bench", "run.py")
os.execv(sys.executable, [sys.executable, runner, "--suite", "graph"] + args)
