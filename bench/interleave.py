#!/usr/bin/env python3
"""Runs benchmark binaries in turn, round after round (A B C A B C ...), and
prints each one's median, its minimum and the median over rounds of its
ratio to the first run of the same round: on a shared machine whose load
drifts, alternating keeps the comparison fair where run.py's one
combination after another cannot. Standard library only.

  bench/interleave.py [--rounds 9] LABEL=CMD [LABEL=CMD ...]

CMD is a shell command (environment assignments allowed) that prints the JSON
lines of bench_weft / graph_weft; the first "ms" of a line whose "phase" is
absent or "run" is one sample, and a round takes the median of its samples.
Example (docs/BENCHMARKS.md, "Timeline traces"):

  bench/interleave.py --rounds 9 \\
    'main=build/base/bench/bench_weft fib 35 1 5 10' \\
    'trace-off=build-bench/bench/bench_weft fib 35 1 5 10' \\
    'trace-coarse=WEFT_BENCH_TRACE=coarse build-bench/bench/bench_weft fib 35 1 5 10'
"""
import argparse
import json
import statistics
import subprocess
import sys


def sample(cmd):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"interleave: {cmd}: exit {p.returncode}: {p.stderr.strip()[-500:]}")
    ms = []
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("phase", "run") == "run" and "ms" in r:
                ms.append(r["ms"])
    if not ms:
        sys.exit(f"interleave: {cmd}: no samples")
    return statistics.median(ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("runs", nargs="+", metavar="LABEL=CMD")
    a = ap.parse_args()
    runs = [r.split("=", 1) for r in a.runs]
    got = {label: [] for label, _ in runs}
    for k in range(a.rounds):
        for label, cmd in runs:
            got[label].append(sample(cmd))
        print(f"round {k + 1}/{a.rounds}: " +
              ", ".join(f"{l} {got[l][-1]:.2f}" for l, _ in runs), flush=True)
    # The ratio to the first run of the same round, then its median: the
    # load drifts between rounds far more than within one.
    first = runs[0][0]
    print(f"\n| run | median ms | min ms | median of per-round ratios to {first} |")
    print("|---|---:|---:|---:|")
    for label, _ in runs:
        ratios = [x / y for x, y in zip(got[label], got[first])]
        print(f"| {label} | {statistics.median(got[label]):.3f} | {min(got[label]):.3f} | "
              f"{statistics.median(ratios):.3f} |")


if __name__ == "__main__":
    main()
