#!/usr/bin/env python3
"""Runs the task-graph benchmarks and prints a comparison table.

Shapes (see graph_common.h): wavefront (1024 x 1024), chain (1,000,000),
tree (binary, 2^20 nodes), random (1,000,000 nodes, ~4,000,000 edges).
Implementations: seq (nodes in topological order), weft (task graphs), tbb
(oneTBB flow graph), omp (gcc OpenMP tasks with depend clauses).

Every (bench, impl, workers) combination is one process of
build/bench/graph/graph_<impl> with `<bench> <n> <workers> <reps> <budget>`.
A binary builds the graph `reps` times and runs each build 3 times, printing
one JSON line per timed phase ("build": create + add nodes + add edges (+
validate for weft); "run": one execution of the built graph). This script
takes the median of each phase, prints a table (nodes per second, ratio to
seq, ratio of all workers to 1 worker in the same invocation) and writes one
JSON line per (bench, impl, workers, phase) to --out with the fields bench,
impl, workers, n, edges, phase, median_ms, nodes_per_s, result, reps.

Exit status: 0 if every run succeeded and self-checked, 1 otherwise. Missed
performance targets are reported, not failures. Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BENCHES = ["wavefront", "chain", "tree", "random"]
IMPLS = ["seq", "weft", "tbb", "omp"]
QUICK_N = {"wavefront": 128, "chain": 50000, "tree": 1 << 14, "random": 50000}

failures = []


def loud(msg):
    print(f"\n!!! {msg}\n", flush=True)
    failures.append(msg)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_rev():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def build(build_dir, targets):
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        print(f"configuring {build_dir} ...", flush=True)
        r = subprocess.run(["cmake", "-S", REPO, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                            "-DWEFT_BUILD_TESTS=OFF", "-DWEFT_BUILD_BENCH=ON"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-2000:])
            loud("cmake configure failed")
            return
    for t in targets:
        r = subprocess.run(["cmake", "--build", build_dir, "--target", t, "-j",
                            str(os.cpu_count() or 1)], capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).splitlines()[-12:])
            print(f"build of {t} failed:\n{tail}\n", flush=True)


def run_one(binary, bench, n, workers, reps, budget, timeout, runs_per_build=None):
    cmd = [binary, bench, str(n), str(workers), str(reps), str(budget)]
    env = dict(os.environ)
    if runs_per_build:
        env["GB_RUNS"] = str(runs_per_build)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout} s: {' '.join(cmd)}"
    recs = []
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                return recs, f"unparsable line {line!r}"
    if p.returncode != 0:
        err = " | ".join(p.stderr.strip().splitlines()[-3:])
        return recs, f"exit status {p.returncode}: {' '.join(cmd)}: {err}"
    if not recs:
        return recs, f"no output: {' '.join(cmd)}"
    return recs, None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small graphs, 2 builds (smoke test)")
    ap.add_argument("--reps", type=int, default=None, help="builds per combination (default 5)")
    ap.add_argument("--workers", default="1,all", help="comma list, 'all' = nproc")
    ap.add_argument("--bench", default=",".join(BENCHES))
    ap.add_argument("--impl", default=",".join(IMPLS))
    ap.add_argument("--n", action="append", default=[], metavar="BENCH=N",
                    help="size override (wavefront: the side N)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results", "graph.jsonl"))
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-graph-bench"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds per combination before a binary stops repeating (default 20)")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--runs-per-build", type=int, default=None,
                    help="timed runs of each built graph (default 3; sets GB_RUNS)")
    args = ap.parse_args()

    reps = args.reps or (2 if args.quick else 5)
    budget = args.budget if args.budget is not None else (5.0 if args.quick else 20.0)
    benches = [b for b in args.bench.split(",") if b]
    impls = [i for i in args.impl.split(",") if i]
    for b in benches:
        if b not in BENCHES:
            sys.exit(f"unknown bench {b}")
    for i in impls:
        if i not in IMPLS:
            sys.exit(f"unknown impl {i}")
    if "seq" not in impls:
        impls.insert(0, "seq")
    workers = []
    for x in args.workers.split(","):
        w = os.cpu_count() if x.strip() == "all" else int(x)
        if w not in workers:
            workers.append(w)
    sizes = dict(QUICK_N) if args.quick else {b: 0 for b in BENCHES}
    for spec in args.n:
        b, _, v = spec.partition("=")
        sizes[b] = int(v)

    if not args.no_build:
        build(args.build_dir, [f"graph_{i}" for i in impls] + ["weft"])
    bindir = os.path.join(args.build_dir, "bench", "graph")

    machine = {"cpu": cpu_model(), "nproc": os.cpu_count(), "kernel": platform.release(),
               "git": git_rev(), "date": datetime.datetime.now().astimezone().isoformat(
                   timespec="seconds"), "loadavg_start": loadavg()}
    print(f"machine: {machine['cpu']}, {machine['nproc']} cores, git {machine['git']}, "
          f"load average {machine['loadavg_start']}")
    if machine["loadavg_start"] is not None and machine["loadavg_start"] > 0.5 * (os.cpu_count() or 1):
        print("WARNING: the machine is busy (load average above half the cores): "
              "timings are noisy; medians still reported")

    rows = []  # dicts per (bench, impl, workers, phase)
    for bench in benches:
        for impl in impls:
            binary = os.path.join(bindir, f"graph_{impl}")
            if not os.path.exists(binary):
                loud(f"{binary} missing (build failed?)")
                continue
            for w in (workers if impl != "seq" else [1]):
                t0 = time.monotonic()
                recs, err = run_one(binary, bench, sizes[bench], w, reps, budget, args.timeout,
                                    args.runs_per_build)
                if err:
                    loud(f"{bench}/{impl}/{w}: {err}")
                    continue
                for phase in ("build", "run"):
                    rs = [r for r in recs if r["phase"] == phase]
                    if not rs:
                        continue
                    med = statistics.median(r["ms"] for r in rs)
                    n = rs[0]["n"]
                    bad = [r for r in rs if r["result"] != n]
                    if bad:
                        loud(f"{bench}/{impl}/{w}: result {bad[0]['result']} != {n}")
                    rows.append({"bench": bench, "impl": impl, "workers": rs[0]["workers"],
                                 "n": n, "edges": rs[0]["edges"], "phase": phase,
                                 "median_ms": round(med, 4),
                                 "nodes_per_s": round(n / (med / 1e3)) if med > 0 else None,
                                 "result": rs[0]["result"], "reps": len(rs),
                                 "min_ms": round(min(r["ms"] for r in rs), 4)})
                print(f"  {bench:9} {impl:5} w={w}: {len(recs)} records, "
                      f"{time.monotonic() - t0:.1f} s", flush=True)
    machine["loadavg_end"] = loadavg()

    def find(bench, impl, w, phase):
        for r in rows:
            if (r["bench"], r["impl"], r["workers"], r["phase"]) == (bench, impl, w, phase):
                return r
        return None

    allw = max(workers)
    print()
    print(f"| bench     | impl | workers | phase | nodes     | edges     | reps | median ms | "
          f"M nodes/s | best M/s | vs seq run | {allw}w / 1w |")
    print("|-----------|------|--------:|-------|----------:|----------:|-----:|----------:|"
          "----------:|---------:|-----------:|--------:|")
    for r in rows:
        seq = find(r["bench"], "seq", 1, "run")
        vs = (f"{seq['median_ms'] / r['median_ms']:.2f}" if seq and r["phase"] == "run"
              and r["median_ms"] > 0 else "-")
        one = find(r["bench"], r["impl"], 1, r["phase"])
        scale = (f"{one['median_ms'] / r['median_ms']:.2f}"
                 if one and r["workers"] == allw and allw != 1 and r["impl"] != "seq" else "-")
        r["vs_seq"] = None if vs == "-" else float(vs)
        r["scaling_vs_1"] = None if scale == "-" else float(scale)
        best = r["n"] / (r["min_ms"] / 1e3) / 1e6 if r["min_ms"] > 0 else 0
        print(f"| {r['bench']:9} | {r['impl']:4} | {r['workers']:7} | {r['phase']:5} | "
              f"{r['n']:9} | {r['edges']:9} | {r['reps']:4} | {r['median_ms']:9.2f} | "
              f"{r['nodes_per_s'] / 1e6:9.1f} | {best:8.1f} | {vs:>10} | {scale:>7} |")
    print()
    print("(nodes/s = nodes / median time of one phase; 'best' = nodes / fastest rep; "
          "'vs seq run' = seq run time / this time;"
          f" '{allw}w / 1w' = 1-worker time / {allw}-worker time of the same impl and phase, "
          "> 1 means faster with more workers)")

    # The targets, for an already built graph (weft run phase).
    print()
    print("targets (weft, run of a built graph):")
    def tgt(label, ok, detail):
        print(f"  {'ok  ' if ok else 'MISS'} {label}: {detail}")
    for b, need in (("wavefront", 40e6), ("chain", 40e6), ("tree", 300e6)):
        r = find(b, "weft", 1, "run")
        if r:
            tgt(f"{b} at 1 worker >= {need / 1e6:.0f}M nodes/s", r["nodes_per_s"] >= need,
                f"{r['nodes_per_s'] / 1e6:.1f}M nodes/s")
    if allw != 1:
        for b in benches:
            r1, rn = find(b, "weft", 1, "run"), find(b, "weft", allw, "run")
            if r1 and rn:
                tgt(f"{b}: {allw} workers >= 1 worker", rn["nodes_per_s"] >= r1["nodes_per_s"],
                    f"{rn['nodes_per_s'] / 1e6:.1f}M vs {r1['nodes_per_s'] / 1e6:.1f}M nodes/s")
    print(f"load average: {machine['loadavg_start']} at start, {machine['loadavg_end']} at end")

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        for r in rows:
            f.write(json.dumps(dict(r, machine=machine)) + "\n")
    print(f"wrote {len(rows)} lines to {args.out}")
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for m in failures:
            print("  - " + m)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
