#!/usr/bin/env python3
"""Checks bench/plots.py on rows shaped like run.py's: every plot is written,
parses as SVG, and shows each row's value and each runtime's legend entry;
a suite without rows gives no file. Run by scripts/test.sh:

  python3 bench/test_plots.py
"""

import os
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plots  # noqa: E402

FJ = [("seq", 1, 10.0), ("weft", 1, 23.7), ("weft", 2, 12.4), ("weft-cpp", 1, 24.1),
      ("omp", 1, 948.0), ("omp", 2, 3198.0), ("tbb", 2, 2278.0)]
GRAPH = [("seq", 1, 685e6), ("weft", 1, 370e6), ("weft", 2, 408e6), ("omp", 2, 1.27e6)]
JS = [("weft: spawned from tasks (C)", 22.7e6), ("piscina: one run() per task", 28.2e3),
      ("postMessage pool: one task per message", 206e3)]


def rows():
    out = []
    for impl, w, ms in FJ:
        out.append({"suite": "forkjoin", "bench": "fib", "impl": impl, "workers": w, "n": 35,
                    "median_ms": ms, "result": 9227465})
    out.append({"suite": "forkjoin", "bench": "idle", "impl": "weft", "workers": 2,
                "median_ms": None})
    out.append({"suite": "forkjoin", "bench": "fib", "impl": "tbb", "workers": 1, "n": 35,
                "median_ms": 7.77, "error": "result 1 != seq result 9227465"})  # not drawn
    for impl, w, nps in GRAPH:
        for phase in ("run", "build"):
            out.append({"suite": "graph", "bench": "wavefront", "impl": impl, "workers": w,
                        "n": 1048576, "phase": phase, "nodes_per_s": nps})
    for name, tps in JS:
        out.append({"suite": "js", "script": "throughput.mjs", "name": name, "workers": 2,
                    "tasks_per_s": tps})
    return out


def svg_texts(path):
    """The text of an SVG (svg.fonttype none keeps labels as <text>)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path}: root is {root.tag}"
    return " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))


def main():
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as d:
        prefix = os.path.join(d, "r")
        paths = plots.write_plots(rows(), prefix)
        check(sorted(os.path.basename(p) for p in paths) ==
              ["r-forkjoin.svg", "r-graph.svg", "r-js.svg"], f"files: {paths}")
        fj = svg_texts(prefix + "-forkjoin.svg")
        for impl, w, ms in FJ:
            check(plots._num(ms) in fj, f"fork-join: value {ms} of {impl}/{w} not shown")
            check(plots.LABELS[impl] in fj, f"fork-join: no legend for {impl}")
        check("7.77" not in fj, "fork-join: a row with an error was drawn")
        check("fib(35)" in fj, "fork-join: no title fib(35)")
        gr = svg_texts(prefix + "-graph.svg")
        check("wavefront" in gr and "1048576 nodes" in gr, "graph: no group label")
        for impl, _, _ in GRAPH:
            check(plots.LABELS[impl] in gr, f"graph: no legend for {impl}")
        js = svg_texts(prefix + "-js.svg")
        for name, tps in JS:
            check(name in js, f"js: no bar for {name}")
            check(plots._num(tps) in js, f"js: value {tps} not shown")
        # one suite only: the others are not written
        only = plots.write_plots([r for r in rows() if r["suite"] == "graph"], prefix + "2")
        check([os.path.basename(p) for p in only] == ["r2-graph.svg"], f"graph only: {only}")
    check(plots._num(22.7e6) == "22.7M" and plots._num(28.2e3) == "28.2k" and
          plots._num(948.0) == "948" and plots._num(2278.0) == "2278", "short labels")
    for f in failures:
        print("FAIL", f)
    print("plots: ok" if not failures else f"plots: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
