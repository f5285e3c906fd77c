#!/usr/bin/env python3
"""Runs weft's benchmark suites and prints their tables and one summary.

Suites (--suite, default all of them, in this order):

  forkjoin  fib, nqueens, tree, sort on seq / weft / weft-struct / weft-cpp
            (include/weft.hpp) / weft-clang / omp / omp-clang / tbb
            (bench/*.c*); opt-in: weft-trace (a coarse timeline trace on
            for the whole run) and weft-base (bench_weft of --base-build,
            another commit's build). Every (bench, impl, workers)
            combination is one process of the matching binary with
            `<bench> <n> <workers> <reps> <budget_seconds>`; the binary prints
            one JSON line per timed repetition; this script takes the median
            and checks every repetition's result against the sequential one.
  graph     task graphs (bench/graph/*.c*): wavefront, chain, tree, random on
            seq / weft / tbb / omp (opt-in: weft-trace); nodes per second for build and for run, at
            each worker count, medians, ratio of all workers to 1 worker and
            to seq.
  dyn       one-shot dependencies (bench/dyn/*.c*): wavefront, chain, tree,
            random DAG created on the fly in every repetition, each task
            after its predecessors, run once: weft launched tasks (variant
            "launch"), weft graph
            built-run-destroyed and reused, oneTBB task_group + atomic join
            counters and flow graph, OpenMP depend (gcc; clang where built);
            M tasks/s, medians, every repetition checked against a
            sequential run inside the binary and the checksums compared
            across implementations here.
  js        weft.wasm under Node (bench/js): builds js/dist/weft.wasm
            (js/build.sh), runs bench/js/fj.mjs (fork-join in wasm beside the
            native bench_weft of the same build directory) and
            bench/js/throughput.mjs (tiny tasks: weft vs a postMessage pool and
            piscina; `npm ci` in bench/js first if needed), chain.mjs,
            loops.mjs, ceiling.mjs (the loop targets beside raw workers over a
            SharedArrayBuffer) and launch.mjs (launched tasks: a wavefront of C tasks
            from a JavaScript task, a chain of JavaScript tasks from the main
            thread vs piscina, at each worker count) and prints the JSON
            lines they emit as tables; then, if Debian's chromium and
            js/test/browser's playwright-core are there (else a loud
            "skipped:" line, not a failure), bench/js/browser_fj.mjs and
            browser_graph.mjs: fib and task graphs in headless Chromium
            beside Node and the native bench_weft / graph_weft.

  mpi       weft as the runtime inside MPI ranks (bench/mpi, run_mpi.py):
            the distributed Jacobi stencil and wavefront under mpirun at
            np = 1, 2, 4 (oversubscribed where the cores are fewer: marked)
            on weft + weft_mpi events, MPI + OpenMP tasks and bulk-synchronous
            MPI, the share of communication each hides, and the latency from
            a message's arrival to its dependent task. Needs Open MPI
            (scripts/setup.sh).

Every row of every suite is written as one JSON line (with a "suite" field)
to --out, and SVG plots of them beside it (bench/plots.py: OUT-forkjoin.svg,
OUT-graph.svg, OUT-js.svg; --no-plots to skip). The run ends with one summary
table of all suites.

Exit status: 0 if every run succeeded and every result matched, 1 otherwise
(mismatch, crash, timeout, failed self-check, missing required binary, a
JavaScript benchmark that failed). Missed performance targets are reported,
not failures.

Standard library only, except the plots (matplotlib). See docs/BENCHMARKS.md.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpi"))
import run_mpi  # noqa: E402  (bench/mpi/run_mpi.py: the mpi suite)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BENCHES = ["fib", "nqueens", "tree", "sort"]
IMPLS = ["seq", "weft", "weft-struct", "weft-cpp", "weft-clang", "omp", "omp-clang", "tbb"]
BINARIES = {
    "seq": "bench_seq",
    "weft": "bench_weft",
    "weft-struct": "bench_weft_struct",
    "weft-cpp": "bench_weft_cpp",
    "weft-clang": "bench_weft_clang",
    "omp": "bench_omp_gcc",
    "omp-clang": "bench_omp_clang",
    "tbb": "bench_tbb",
}
# Opt-in impls (only with an explicit --impl / --graph-impl): weft with a
# timeline trace on at the coarse level for the whole run (docs/TRACES.md),
# and weft from another build directory (--base-build: the same benchmark
# built from another commit, to compare in one run).
OPT_IMPLS = ["weft-trace", "weft-base"]
BINARIES.update({"weft-trace": "bench_weft", "weft-base": "bench_weft"})
IMPL_ENV = {"weft-trace": {"WEFT_BENCH_TRACE": "coarse"}}
REQUIRED = {"seq", "weft"}  # missing these is an error even with the default --impl
DEFAULT_N = {"fib": 35, "nqueens": 13, "tree": 2000, "sort": 10_000_000}
QUICK_N = {"fib": 27, "nqueens": 10, "tree": 200, "sort": 1_000_000}

SUITES = ["forkjoin", "graph", "dyn", "js", "mpi"]
GRAPH_BENCHES = ["wavefront", "chain", "tree", "random", "wavefront-work"]
GRAPH_IMPLS = ["seq", "weft", "tbb", "omp"]
GRAPH_OPT_IMPLS = ["weft-trace"]  # graph_weft with IMPL_ENV's trace on
GRAPH_QUICK_N = {"wavefront": 128, "chain": 50000, "tree": 1 << 14, "random": 50000,
                 "wavefront-work": 64}
# Variants: the same shape with nodes of real size (GB_WORK steps of
# arithmetic per node, ~0.6 us here), where sharing the nodes pays.
GRAPH_VARIANTS = {"wavefront-work": ("wavefront", 500, 256)}  # shape, GB_WORK, default side
DYN_BENCHES = ["wavefront", "chain", "tree", "random"]
# impl -> (binary in bench/dyn, variant argument)
DYN_IMPLS = {
    "launch": ("dyn_weft", "launch"),  # weft launched tasks (docs/TASKS.md)
    "seq": ("dyn_weft", "seq"),  # the launch variant's own loop, no runtime: the floor
    "graph-oneshot": ("dyn_weft", "graph-oneshot"),
    "graph-reused": ("dyn_weft", "graph-reused"),
    "tbb-taskgroup": ("dyn_tbb", "taskgroup"),
    "tbb-flow": ("dyn_tbb", "flow"),
    "omp": ("dyn_omp", "omp"),
    "omp-clang": ("dyn_omp_clang", "omp"),
}
DYN_REQUIRED = {"graph-oneshot", "graph-reused"}
DYN_QUICK_N = {"wavefront": 128, "chain": 50000, "tree": 1 << 14, "random": 50000}
DYN_EXIT_UNAVAILABLE = 4  # bench/dyn/dyn_common.h: variant not in this build
# bench/js/fj.mjs cases for --quick (its own defaults otherwise)
JS_QUICK_CASES = "fib:30,nqueens:10,tree:1000"
JS_TASKS = 200_000
JS_QUICK_TASKS = 20_000

failures = []  # human-readable descriptions of everything that went wrong


def loud(msg, fail=True):
    bar = "!" * 78
    print(f"\n{bar}\n!!! {msg}\n{bar}\n", flush=True)
    if fail:
        failures.append(msg)


def sh(cmd):
    """Output of a command, or '' if it cannot run."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_info():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "nproc": os.cpu_count(),
        "kernel": platform.system() + " " + platform.release(),
        "os": sh(["sh", "-c", ". /etc/os-release 2>/dev/null && echo $PRETTY_NAME"]),
        "gcc": sh(["gcc", "--version"]).splitlines()[0] if sh(["gcc", "--version"]) else "",
        "clang": sh(["clang", "--version"]).splitlines()[0] if sh(["clang", "--version"]) else "",
        "python": platform.python_version(),
        "git": sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg_start": loadavg(),
    }


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def parse_list(s, allowed, what):
    items = [x.strip() for x in s.split(",") if x.strip()]
    for x in items:
        if x not in allowed:
            sys.exit(f"run.py: unknown {what} '{x}' (choose from {', '.join(allowed)})")
    return items


def parse_workers(s):
    out = []
    for x in s.split(","):
        x = x.strip()
        if not x:
            continue
        w = os.cpu_count() if x == "all" else int(x)
        if w < 1:
            sys.exit("run.py: workers must be >= 1 or 'all'")
        if w not in out:
            out.append(w)
    return out


def build(build_dir, targets, optional=()):
    """Configures (if needed) and builds each target on its own, so that one
    target that does not build (e.g. weft while src/ is in flux) does not stop
    the others. Returns the set of targets that failed. A target in
    `optional` that fails (e.g. the clang twins when clang is missing) gets
    one line, not the build log."""
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        print(f"configuring {build_dir} ...", flush=True)
        r = subprocess.run(["cmake", "-S", REPO, "-B", build_dir, "-DWEFT_BUILD_TESTS=OFF",
                            "-DWEFT_BUILD_BENCH=ON"], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-3000:])
            loud("cmake configure failed")
            return set(targets)
    failed = set()
    jobs = str(os.cpu_count() or 1)
    for t in list(targets) + [t for t in optional if t not in targets]:
        r = subprocess.run(["cmake", "--build", build_dir, "--target", t, "-j", jobs],
                           capture_output=True, text=True)
        if r.returncode != 0 and t in optional and t not in targets:
            print(f"(optional target {t} not built: its columns are left out)", flush=True)
            continue
        if r.returncode != 0:
            failed.add(t)
            tail = "\n".join((r.stdout + r.stderr).splitlines()[-15:])
            print(f"build of {t} failed:\n{tail}\n", flush=True)
    return failed



def json_records(p, cmd):
    """The JSON records (one per line starting with '{') of a finished
    benchmark process; (records, None), or (records so far, what went wrong)."""
    recs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                return recs, f"unparsable output line: {line!r}"
    if p.returncode != 0:
        sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
        err = p.stderr.strip().splitlines()[-5:]
        return recs, (f"exit status {p.returncode}{sig}: {' '.join(cmd)}\n    stderr: "
                      + "\n    ".join(err))
    if not recs:
        return recs, f"no output: {' '.join(cmd)}"
    return recs, None

def fj_binary(args, impl):
    base = args.base_build if impl == "weft-base" else args.build_dir
    return os.path.join(base or "", "bench", BINARIES[impl])


def run_one(binary, bench, n, workers, reps, budget, timeout, extra_env=None):
    """Runs one combination; returns (records, error-or-None)."""
    cmd = [binary, bench, str(n), str(workers), str(reps), str(budget)]
    env = dict(os.environ)
    env.update(extra_env or {})
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        return recs, f"timed out after {timeout} s ({len(recs)} reps done): {' '.join(cmd)}"
    wall = time.monotonic() - t0
    recs, err = json_records(p, cmd)
    if err:
        return recs, err
    for r in recs:
        r["_wall_s"] = wall
    return recs, None


def run_idle(build_dir, seconds, timeout):
    binary = os.path.join(build_dir, "bench", "bench_idle")
    if not os.path.exists(binary):
        return None, "bench_idle not built"
    try:
        p = subprocess.run([binary, str(seconds)], capture_output=True, text=True,
                           timeout=seconds + timeout)
    except subprocess.TimeoutExpired:
        return None, f"bench_idle timed out (pool_destroy hang?)"
    if p.returncode != 0:
        return None, f"bench_idle exit status {p.returncode}: {p.stderr.strip()}"
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line), None
    return None, "bench_idle printed nothing"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def print_table(hdr, lines, left=2):
    """A markdown table; the first `left` columns are left-aligned."""
    widths = [max([len(h)] + [len(l[i]) for l in lines]) for i, h in enumerate(hdr)]

    def fmt_row(cells):
        return "| " + " | ".join(c.ljust(widths[i]) if i < left else c.rjust(widths[i])
                                 for i, c in enumerate(cells)) + " |"

    print(fmt_row(hdr))
    print("|" + "|".join("-" * (w + 2) if i < left else "-" * (w + 1) + ":"
                         for i, w in enumerate(widths)) + "|")
    for l in lines:
        print(fmt_row(l))


def section(title):
    print(f"\n=== {title}\n", flush=True)


# --------------------------------------------------------------------------
# fork-join suite

def forkjoin_suite(args, cfg, available, mach):
    """Returns (rows for --out, summary info)."""
    reps, budget, workers, benches, sizes = (cfg["reps"], cfg["budget"], cfg["workers"],
                                             cfg["benches"], cfg["sizes"])
    bindir = os.path.join(args.build_dir, "bench")
    section("fork-join: " + ", ".join(f"{b} n={sizes[b]}" for b in benches)
            + f"; {reps} reps (median), budget {budget:g} s per combination, workers {workers}")

    idle = None
    if not args.no_idle and "weft" in available:
        print(f"idle: weft pool with all cores, {args.idle_seconds:g} s without work ...", flush=True)
        idle, err = run_idle(args.build_dir, args.idle_seconds, 60)
        if err:
            loud(f"idle measurement failed: {err}")
        else:
            flag = "" if idle["cpu_pct_one_core"] < 1.0 else "   <-- ABOVE the 1% target"
            print(f"idle: {idle['workers']} workers, {idle['seconds']:.2f} s: "
                  f"{idle['cpu_ms']:.2f} ms CPU = {idle['cpu_pct_one_core']:.3f}% of one core{flag}\n",
                  flush=True)

    results = {}  # (bench, impl, workers) -> dict
    combos = [("seq", 1)] + [(i, w) for i in available if i != "seq" for w in workers]
    total, done = len(benches) * len(combos), 0
    for bench in benches:
        n = sizes[bench]
        ref = None
        for impl, w in combos:
            binary = fj_binary(args, impl)
            la = loadavg()
            done += 1
            print(f"  [fork-join {done}/{total}] {bench:8s} {impl:10s} workers={w:<3d} n={n} ...",
                  end="", flush=True)
            recs, err = run_one(binary, bench, n, w, reps, budget, args.timeout,
                                IMPL_ENV.get(impl))
            if err:
                print(" FAILED")
                loud(f"{bench}/{impl}/{w}: {err}")
                results[(bench, impl, w)] = {"bench": bench, "impl": impl, "workers": w, "n": n,
                                             "median_ms": None, "result": None, "error": err}
                continue
            times = [r["ms"] for r in recs]
            med = statistics.median(times)
            res = recs[0]["result"]
            row = {
                "bench": bench, "impl": impl, "workers": w, "n": n,
                "median_ms": round(med, 3), "result": res,
                "reps": len(recs), "reps_requested": reps,
                "min_ms": min(times), "max_ms": max(times), "rep_ms": times,
                "runtime": recs[0].get("runtime"), "cc": recs[0].get("cc"),
                "loadavg1": la,
            }
            for k in ("depth", "spawns", "steals", "steal_failures", "leapfrogs", "sleeps",
                      "overflows"):
                if k in recs[0]:
                    row[k] = recs[0][k]
            # checks
            problems = []
            if any(r.get("self_check") is not True for r in recs):
                problems.append("self-check failed")
            if len({r["result"] for r in recs}) != 1:
                problems.append("result differs between reps: " + str([r["result"] for r in recs]))
            if impl == "seq":
                ref = (res, recs[0].get("depth"))
            elif ref is None:
                problems.append("no sequential reference result to check against")
            else:
                if res != ref[0]:
                    problems.append(f"result {res} != seq result {ref[0]}")
                if ref[1] is not None and recs[0].get("depth") != ref[1]:
                    problems.append(f"tree depth {recs[0].get('depth')} != seq depth {ref[1]}")
            if problems:
                row["error"] = "; ".join(problems)
                print(" MISMATCH")
                loud(f"RESULT CHECK FAILED: {bench}/{impl}/{w} n={n}: {row['error']}")
            else:
                note = "" if len(recs) == reps else f" ({len(recs)} of {reps} reps: slow)"
                print(f" {med:10.2f} ms{note}", flush=True)
            results[(bench, impl, w)] = row

    # derived columns
    for (bench, impl, w), row in results.items():
        if row["median_ms"] is None:
            continue
        seq = results.get((bench, "seq", 1), {}).get("median_ms")
        wf = results.get((bench, "weft", w), {}).get("median_ms")
        one = results.get((bench, impl, 1), {}).get("median_ms")
        row["vs_seq"] = round(row["median_ms"] / seq, 4) if seq else None
        row["vs_weft"] = round(row["median_ms"] / wf, 4) if wf and impl != "weft" else None
        row["speedup_1w"] = round(one / row["median_ms"], 4) if one and impl != "seq" else None

    # per-spawn overhead
    # per-spawn overhead over seq: weft (WEFT_TASK_1) and weft-cpp (weft.hpp)
    overheads = {}
    for impl in ("weft", "weft-cpp"):
        if ("fib", "seq", 1) not in results or ("fib", impl, 1) not in results:
            continue
        s = results[("fib", "seq", 1)]["median_ms"]
        wrow = results[("fib", impl, 1)]
        if s is not None and wrow["median_ms"] is not None:
            n = sizes["fib"]
            spawns = fib(n + 1) - 1
            overheads[impl] = (wrow["median_ms"] - s) * 1e6 / spawns
            wrow["per_spawn_overhead_ns"] = round(overheads[impl], 3)
            wrow["expected_spawns"] = spawns
            if "spawns" in wrow and wrow["spawns"] != spawns:
                print(f"NOTE: {impl} reported {wrow['spawns']} spawns for fib({n}), expected "
                      f"fib({n + 1})-1 = {spawns}")
    overhead = overheads.get("weft")

    # table
    print()
    hdr = ["bench", "impl", "workers", "n", "reps", "median ms", "vs seq", "vs weft",
           "speedup vs 1w"]
    lines = []
    for bench in benches:
        for impl in ["seq"] + [i for i in available if i != "seq"]:
            for w in ([1] if impl == "seq" else workers):
                row = results.get((bench, impl, w))
                if row is None:
                    continue
                if row["median_ms"] is None or "error" in row:
                    med = "FAILED" if row["median_ms"] is None else f"{row['median_ms']:.2f} WRONG"
                    lines.append([bench, impl, str(w), str(row["n"]), "-", med, "-", "-", "-"])
                    continue
                r = str(row["reps"]) + ("*" if row["reps"] < reps else "")
                lines.append([bench, impl, str(w), str(row["n"]), r, f"{row['median_ms']:.2f}",
                              fmt_ratio(row["vs_seq"]), fmt_ratio(row["vs_weft"]),
                              fmt_ratio(row["speedup_1w"])])
    print_table(hdr, lines)
    print()
    print("vs seq = time / seq time (lower is better); vs weft = time / weft time at the same "
          "worker count (>1: slower than weft); speedup vs 1w = own 1-worker time / time.")
    if any(r.get("reps", reps) < reps for r in results.values() if r.get("median_ms") is not None):
        print(f"* fewer than {reps} reps: a rep took long enough to hit the "
              f"{budget:g} s per-combination budget (--budget)")
    for impl, ovh in overheads.items():
        n = sizes["fib"]
        print(f"per-spawn overhead ({impl} 1 worker vs seq, fib({n}), {fib(n + 1) - 1} spawns): "
              f"{ovh:.2f} ns")
    if idle is not None:
        print(f"idle pool ({idle['workers']} workers, {idle['seconds']:.2f} s): "
              f"{idle['cpu_pct_one_core']:.3f}% of one core (target < 1%)")
    runtimes = {}
    for row in results.values():
        if row.get("runtime") and row["impl"] not in runtimes:
            runtimes[row["impl"]] = f"{row['runtime']}, built by {row.get('cc')}"
    for impl in runtimes:
        print(f"  {impl:10s} {runtimes[impl]}")

    out = []
    for key in sorted(results, key=lambda k: (benches.index(k[0]), (IMPLS + OPT_IMPLS).index(k[1]), k[2])):
        out.append(dict(results[key], suite="forkjoin"))
    if idle is not None:
        row = {"suite": "forkjoin", "bench": "idle", "impl": "weft", "workers": idle["workers"],
               "n": None, "median_ms": None, "result": None}
        row.update({k: v for k, v in idle.items() if k not in row})
        out.append(row)
    return out, {"results": results, "idle": idle, "overhead": overhead,
                 "overheads": overheads}


# --------------------------------------------------------------------------
# graph suite

def graph_run_one(binary, bench, n, workers, reps, budget, timeout, runs_per_build=None,
                  extra_env=None):
    env = dict(os.environ)
    env.update(extra_env or {})
    if bench in GRAPH_VARIANTS:
        shape, work, side = GRAPH_VARIANTS[bench]
        bench, n = shape, n or side
        env["GB_WORK"] = str(work)
    cmd = [binary, bench, str(n), str(workers), str(reps), str(budget)]
    if runs_per_build:
        env["GB_RUNS"] = str(runs_per_build)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout} s: {' '.join(cmd)}"
    return json_records(p, cmd)


def graph_suite(args, cfg, available):
    """Task-graph benchmarks. Each binary builds the graph `reps` times and
    runs each build GB_RUNS (default 3) times, printing one JSON line per timed
    phase: "build" (create + add nodes + add edges (+ validate for weft)) and
    "run" (one execution of the built graph). Returns (rows, summary info)."""
    reps, budget, workers, benches, sizes = (cfg["reps"], cfg["budget"], cfg["workers"],
                                             cfg["benches"], cfg["sizes"])
    bindir = os.path.join(args.build_dir, "bench", "graph")
    section("task graphs: " + ", ".join(f"{b} n={sizes[b] or 'default'}" for b in benches)
            + f"; {reps} builds x {args.runs_per_build or 3} runs (median), budget {budget:g} s "
            f"per combination, workers {workers}")
    rows = []  # dicts per (bench, impl, workers, phase)
    total = len(benches) * sum(len(workers) if i != "seq" else 1 for i in available)
    done = 0
    for bench in benches:
        for impl in available:
            binary = os.path.join(bindir, "graph_weft" if impl == "weft-trace" else f"graph_{impl}")
            for w in (workers if impl != "seq" else [1]):
                t0 = time.monotonic()
                done += 1
                print(f"  [graph {done}/{total}] {bench:9s} {impl:5s} workers={w:<3d} ...", end="",
                      flush=True)
                recs, err = graph_run_one(binary, bench, sizes[bench], w, reps, budget,
                                          cfg["timeout"], args.runs_per_build,
                                          IMPL_ENV.get(impl))
                if err:
                    print(" FAILED")
                    loud(f"graph {bench}/{impl}/{w}: {err}")
                    continue
                cells = []
                for phase in ("build", "run"):
                    rs = [r for r in recs if r.get("phase") == phase]
                    if not rs:
                        continue
                    med = statistics.median(r["ms"] for r in rs)
                    n = rs[0]["n"]
                    row = {"suite": "graph", "bench": bench, "impl": impl,
                           "workers": rs[0]["workers"], "n": n, "edges": rs[0]["edges"],
                           "phase": phase, "median_ms": round(med, 4),
                           "nodes_per_s": round(n / (med / 1e3)) if med > 0 else None,
                           "result": rs[0]["result"], "reps": len(rs),
                           "min_ms": round(min(r["ms"] for r in rs), 4)}
                    bad = [r for r in rs if r["result"] != n]
                    if bad:
                        row["error"] = f"result {bad[0]['result']} != {n}"
                        loud(f"graph {bench}/{impl}/{w}: {row['error']}")
                    rows.append(row)
                    if row["nodes_per_s"]:
                        cells.append(f"{phase} {row['nodes_per_s'] / 1e6:.1f}M nodes/s")
                print(f" {', '.join(cells)}  ({len(recs)} records, "
                      f"{time.monotonic() - t0:.1f} s)", flush=True)

    def find(bench, impl, w, phase):
        for r in rows:
            if (r["bench"], r["impl"], r["workers"], r["phase"]) == (bench, impl, w, phase):
                return r
        return None

    allw = max(workers)
    hdr = ["bench", "impl", "workers", "phase", "nodes", "edges", "reps", "median ms",
           "M nodes/s", "best M/s", "vs seq run", f"{allw}w / 1w"]
    lines = []
    for r in rows:
        seq = find(r["bench"], "seq", 1, "run")
        r["vs_seq"] = (round(seq["median_ms"] / r["median_ms"], 4)
                       if seq and r["phase"] == "run" and r["median_ms"] > 0 else None)
        one = find(r["bench"], r["impl"], 1, r["phase"])
        r["scaling_vs_1"] = (round(one["median_ms"] / r["median_ms"], 4)
                             if one and r["workers"] == allw and allw != 1 and r["impl"] != "seq"
                             and r["median_ms"] > 0 else None)
        best = r["n"] / (r["min_ms"] / 1e3) / 1e6 if r["min_ms"] > 0 else 0
        lines.append([r["bench"], r["impl"], str(r["workers"]), r["phase"], str(r["n"]),
                      str(r["edges"]), str(r["reps"]), f"{r['median_ms']:.2f}",
                      f"{r['nodes_per_s'] / 1e6:.1f}" if r["nodes_per_s"] else "-",
                      f"{best:.1f}", fmt_ratio(r["vs_seq"]), fmt_ratio(r["scaling_vs_1"])])
    print()
    print_table(hdr, lines, left=2)
    print()
    print("nodes/s = nodes / median time of one phase; best = nodes / fastest rep; "
          "vs seq run = seq run time / this time (> 1: faster than seq);"
          f" {allw}w / 1w = 1-worker time / {allw}-worker time of the same impl and phase "
          "(> 1: faster with more workers). omp has no separate build phase (task creation "
          "is part of every run).")

    # The targets, for an already built graph (weft run phase).
    print("targets (weft, run of a built graph; reported, not failures):")

    def tgt(label, ok, detail):
        print(f"  {'ok  ' if ok else 'MISS'} {label}: {detail}")
    for b, need in (("wavefront", 40e6), ("chain", 40e6), ("tree", 300e6)):
        r = find(b, "weft", 1, "run")
        if r and r["nodes_per_s"]:
            tgt(f"{b} at 1 worker >= {need / 1e6:.0f}M nodes/s", r["nodes_per_s"] >= need,
                f"{r['nodes_per_s'] / 1e6:.1f}M nodes/s")
    if allw != 1:
        for b in benches:
            r1, rn = find(b, "weft", 1, "run"), find(b, "weft", allw, "run")
            if r1 and rn and r1["nodes_per_s"] and rn["nodes_per_s"]:
                tgt(f"{b}: {allw} workers >= 1 worker", rn["nodes_per_s"] >= r1["nodes_per_s"],
                    f"{rn['nodes_per_s'] / 1e6:.1f}M vs {r1['nodes_per_s'] / 1e6:.1f}M nodes/s")
    return rows, {"find": find}


# --------------------------------------------------------------------------
# dyn suite

def dyn_suite(args, cfg, available):
    """One-shot dependency benchmarks (bench/dyn): each binary creates the
    shape's tasks and runs them once per repetition, printing one JSON line
    per repetition after checking every task's value against a sequential
    run. Returns the rows."""
    reps, budget, workers, benches, sizes = (cfg["reps"], cfg["budget"], cfg["workers"],
                                             cfg["benches"], cfg["sizes"])
    bindir = os.path.join(args.build_dir, "bench", "dyn")
    section("one-shot dependencies: " + ", ".join(f"{b} n={sizes[b] or 'default'}"
                                                  for b in benches)
            + f"; {reps} reps (median), budget {budget:g} s per combination, workers {workers}")
    rows, skipped = [], set()
    checksum = {}  # bench -> (impl, result) of the first implementation
    for bench in benches:
        for impl in available:
            binary, variant = DYN_IMPLS[impl]
            for w in (workers[:1] if impl == "seq" else workers):  # seq has no workers
                t0 = time.monotonic()
                print(f"  {bench:9s} {impl:13s} workers={w:<3d} ...", end="", flush=True)
                cmd = [os.path.join(bindir, binary), variant, bench, str(sizes[bench]), str(w),
                       str(reps), str(budget)]
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True, timeout=cfg["timeout"])
                except subprocess.TimeoutExpired:
                    print(" FAILED")
                    loud(f"dyn {bench}/{impl}/{w}: timed out after {cfg['timeout']} s")
                    continue
                if p.returncode == DYN_EXIT_UNAVAILABLE:
                    print(f" skipped: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
                    skipped.add(impl)
                    continue
                recs, err = json_records(p, cmd)
                if err:
                    print(" FAILED")
                    loud(f"dyn {bench}/{impl}/{w}: {err}")
                    continue
                med = statistics.median(r["ms"] for r in recs)
                n = recs[0]["n"]
                row = {"suite": "dyn", "bench": bench, "impl": impl, "workers": recs[0]["workers"],
                       "n": n, "edges": recs[0]["edges"], "median_ms": round(med, 4),
                       "tasks_per_s": round(n / (med / 1e3)) if med > 0 else None,
                       "min_ms": round(min(r["ms"] for r in recs), 4), "reps": len(recs),
                       "result": recs[0]["result"]}
                first = checksum.setdefault(bench, (impl, recs[0]["result"]))
                bad = [r for r in recs if r["result"] != first[1]]
                if bad:
                    row["error"] = (f"checksum {bad[0]['result']} != {first[1]} of {first[0]}")
                    loud(f"dyn {bench}/{impl}/{w}: {row['error']}")
                rows.append(row)
                print(f" {row['tasks_per_s'] / 1e6:.1f}M tasks/s ({len(recs)} reps, "
                      f"{time.monotonic() - t0:.1f} s)", flush=True)

    def find(bench, impl, w):
        for r in rows:
            if (r["bench"], r["impl"], r["workers"]) == (bench, impl, w):
                return r
        return None

    allw = max(workers)
    hdr = ["bench", "impl", "workers", "tasks", "edges", "reps", "median ms", "M tasks/s",
           "best M/s", "vs tbb-taskgroup", f"{allw}w / 1w"]
    lines = []
    for r in rows:
        tg = find(r["bench"], "tbb-taskgroup", r["workers"])
        r["vs_tbb_taskgroup"] = (round(tg["median_ms"] / r["median_ms"], 4)
                                 if tg and r["median_ms"] > 0 else None)
        one = find(r["bench"], r["impl"], 1)
        r["scaling_vs_1"] = (round(one["median_ms"] / r["median_ms"], 4)
                             if one and r["workers"] == allw and allw != 1 and r["median_ms"] > 0
                             else None)
        best = r["n"] / (r["min_ms"] / 1e3) / 1e6 if r["min_ms"] > 0 else 0
        lines.append([r["bench"], r["impl"], str(r["workers"]), str(r["n"]), str(r["edges"]),
                      str(r["reps"]), f"{r['median_ms']:.2f}",
                      f"{r['tasks_per_s'] / 1e6:.1f}" if r["tasks_per_s"] else "-",
                      f"{best:.1f}", fmt_ratio(r["vs_tbb_taskgroup"]),
                      fmt_ratio(r["scaling_vs_1"])])
    print()
    print_table(hdr, lines, left=2)
    print()
    print("M tasks/s = tasks / median time of one repetition (creating the tasks, running them, "
          "and tearing down; graph-reused: one run of a graph built once); vs tbb-taskgroup = its "
          f"time / this time at the same worker count (> 1: faster); {allw}w / 1w = 1-worker "
          f"time / {allw}-worker time (> 1: faster with more workers).")
    if skipped:
        print(f"skipped (not in this build): {', '.join(sorted(skipped))}")
    print("targets (issue 10; reported, not failures):")

    def tgt(label, ok, detail):
        print(f"  {'ok  ' if ok else 'MISS'} {label}: {detail}")
    r = find("wavefront", "graph-oneshot", 1)
    if r and r["tasks_per_s"] and r["n"] == 1024 * 1024:  # (the size only)
        tgt("weft graph one-shot, wavefront, 1 worker >= 20M nodes/s", r["tasks_per_s"] >= 20e6,
            f"{r['tasks_per_s'] / 1e6:.1f}M nodes/s")
    for b in benches:
        r, tg = find(b, "launch", 1), find(b, "tbb-taskgroup", 1)
        if r and tg and r["median_ms"] > 0:
            ratio = tg["median_ms"] / r["median_ms"]
            sq = find(b, "seq", 1)
            room = ""
            if sq:
                # What 2x would leave the runtime per task, after the program's own loop.
                left_ns = (tg["median_ms"] / 2 - sq["median_ms"]) * 1e6 / r["n"]
                room = (f"; 2x = {tg['median_ms'] / 2:.1f} ms, the loop alone (seq) takes "
                        f"{sq['median_ms']:.1f} ms: {left_ns:.1f} ns a task left for the runtime, "
                        f"launched uses {(r['median_ms'] - sq['median_ms']) * 1e6 / r['n']:.1f}")
            tgt(f"{b}: launched >= 2x tbb-taskgroup at 1 worker", ratio >= 2, f"{ratio:.2f}x{room}")
        r1, rn = find(b, "launch", 1), find(b, "launch", allw)
        if r1 and rn and allw != 1:
            tgt(f"{b}: launched, {allw} workers not slower than 1",
                rn["median_ms"] <= r1["median_ms"],
                f"{rn['median_ms']:.1f} vs {r1['median_ms']:.1f} ms")
    r = find("wavefront", "launch", 1)
    if r and r["tasks_per_s"] and r["n"] == 1024 * 1024:
        tgt("launched, wavefront, 1 worker >= 40M tasks/s", r["tasks_per_s"] >= 40e6,
            f"{r['tasks_per_s'] / 1e6:.1f}M tasks/s")
    return rows, skipped


# --------------------------------------------------------------------------
# js suite

def js_run_script(label, cmd, timeout):
    """Runs one bench/js script, echoing its output; returns (JSON rows, error)."""
    print(f"$ {' '.join(os.path.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd)}",
          flush=True)
    rows = []
    try:
        p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    except OSError as e:
        return rows, f"{label}: cannot start: {e}"
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return rows, f"{label}: timed out after {timeout:g} s"
    text = []
    for line in out.splitlines():
        t = line.strip()
        if t.startswith("{"):
            try:
                rows.append(json.loads(t))
                continue
            except json.JSONDecodeError:
                pass
        if t:
            text.append(line)
    # The script's own text, without its markdown table when it also printed
    # JSON rows (those are printed as a table by the caller).
    for line in text:
        if not (rows and line.lstrip().startswith("|")):
            print("  " + line)
    if p.returncode != 0:
        tail = "\n    ".join(err.strip().splitlines()[-8:])
        return rows, f"{label}: exit status {p.returncode}: {' '.join(cmd)}\n    {tail}"
    if not rows:
        return rows, f"{label}: printed no JSON lines"
    return rows, None


def js_script_rows(script, cmd, timeout):
    """Runs bench/js/<script> (js_run_script), reports a failure loudly and
    prints its JSON rows as a table. Returns the rows."""
    print()
    rows, err = js_run_script("bench/js/" + script, cmd, timeout)
    if err:
        loud(err)
    if rows:
        print()
        print_generic_rows(rows)
    return rows


def fmt_cell(v, commas=False):
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1e6:
            return f"{v:,.0f}"
        return f"{v:,.2f}" if commas else f"{v:.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if commas else str(v)
    if v is None:
        return "-"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def print_generic_rows(rows):
    """Prints JSON rows as tables: one table per distinct set of keys, columns
    in first-seen order."""
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r.keys()), []).append(r)
    for keys, rs in groups.items():
        cols = [k for k in keys if not k.startswith("_")]
        left = 0
        for k in cols:
            if all(isinstance(r.get(k), str) for r in rs):
                left += 1
            else:
                break
        # thousands separators in a column whose numbers reach 100,000
        commas = {k: any(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)
                         and abs(r.get(k)) >= 1e5 for r in rs) for k in cols}
        floaty = {k: any(isinstance(r.get(k), float) for r in rs) for k in cols}
        lines = [[fmt_cell(float(r[k]) if floaty[k] and isinstance(r.get(k), int)
                           and not isinstance(r.get(k), bool) else r.get(k), commas[k])
                  for k in cols] for r in rs]
        print_table(cols, lines, left=max(left, 1))
        print()


def npm_ci_if_needed(jsdir):
    """`npm ci` in bench/js unless node_modules is already newer than the lock file."""
    lock = os.path.join(jsdir, "package-lock.json")
    hidden = os.path.join(jsdir, "node_modules", ".package-lock.json")
    if not os.path.exists(lock):
        return None
    if os.path.exists(hidden) and os.path.getmtime(hidden) >= os.path.getmtime(lock):
        return None
    print("npm ci in bench/js ...", flush=True)
    try:
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=jsdir,
                           capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        return f"npm ci in bench/js failed: {e}"
    if r.returncode != 0:
        return "npm ci in bench/js failed:\n" + "\n".join((r.stdout + r.stderr).splitlines()[-10:])
    return None


def js_suite(args, cfg):
    """weft.wasm under Node beside the native build. Returns (rows, summary info)."""
    workers = cfg["workers"]
    section(f"JavaScript (Node {sh(['node', '--version']) or '?'}): weft.wasm beside the native "
            f"build, workers {workers}")
    rows = []
    info = {"fj": [], "tasks": []}  # tasks: [(script, rows)]
    if not sh(["node", "--version"]):
        loud("js suite: node not found (bash scripts/setup.sh installs it)")
        return rows, info
    if not args.no_build:
        print("bash js/build.sh ...", flush=True)
        r = subprocess.run(["bash", os.path.join(REPO, "js", "build.sh")], cwd=REPO,
                           capture_output=True, text=True)
        if r.returncode != 0:
            loud("js suite: js/build.sh failed:\n" + "\n".join(
                (r.stdout + r.stderr).splitlines()[-15:]))
            return rows, info
        print("  " + (r.stdout.strip().splitlines() or [""])[-1], flush=True)
    if not os.path.exists(os.path.join(REPO, "js", "dist", "weft-test.wasm")):
        # the benchmarks' C tasks (fib, nop, adds, ...) are in the test build
        loud("js suite: js/dist/weft-test.wasm missing (run bash js/build.sh)")
        return rows, info

    native = os.path.join(args.build_dir, "bench", "bench_weft")
    jsdir = os.path.join(REPO, "bench", "js")
    if not os.path.exists(native):
        loud(f"js suite: native {native} missing (build failed?): fj.mjs skipped")
    else:
        # fj.mjs takes a worker list ("1,2") or one number N meaning "1 and N"
        # (an older fj.mjs: N workers only): one number where that will do.
        wl = (str(max(workers)) if set(workers) <= {1, max(workers)}
              else ",".join(map(str, workers)))
        cmd = ["node", os.path.join(jsdir, "fj.mjs"), native, wl]
        if args.reps or args.quick:
            cmd.append(str(max(5, args.reps or 5)))
            if args.quick:
                cmd.append(JS_QUICK_CASES)
        fj_rows = js_script_rows("fj.mjs", cmd, cfg["timeout"])
        info["fj"] = fj_rows
        rows += [dict(r, suite="js", script="fj.mjs") for r in fj_rows]

    err = npm_ci_if_needed(jsdir)
    if err:
        loud("js suite: " + err + "\n    throughput.mjs skipped")
        return rows, info
    tasks = JS_QUICK_TASKS if args.quick else JS_TASKS
    scripts = [("throughput.mjs", [str(max(workers)), str(tasks)])]
    # chain of dependent tiny tasks: `chain.mjs [workers] [reps]`
    if os.path.exists(os.path.join(jsdir, "chain.mjs")):
        chain_args = [str(max(workers))]
        if args.reps or args.quick:
            chain_args.append(str(args.reps or 3))
        scripts.append(("chain.mjs", chain_args))
    # launched tasks (issue 10): `launch.mjs [workers,list] [reps] [--quick]`
    if os.path.exists(os.path.join(jsdir, "launch.mjs")):
        launch_args = [",".join(str(w) for w in workers)]
        if args.reps or args.quick:
            launch_args.append(str(args.reps or 3))
        if args.quick:
            launch_args.append("--quick")
        scripts.append(("launch.mjs", launch_args))
    # loops over a large Float64Array: `loops.mjs [workers] [n] [reps]`
    if os.path.exists(os.path.join(jsdir, "loops.mjs")):
        loop_args = [str(max(workers)), str(10**6 if args.quick else 10**7)]
        if args.reps or args.quick:
            loop_args.append(str(args.reps or 3))
        scripts.append(("loops.mjs", loop_args))
    # the same loops and tiny items beside their ceiling (raw workers over a
    # SharedArrayBuffer) and the message pool's configurations, interleaved:
    # `ceiling.mjs [workers] [n] [rounds]`
    if os.path.exists(os.path.join(jsdir, "ceiling.mjs")):
        scripts.append(("ceiling.mjs", [str(max(workers)), str(10**6 if args.quick else 10**7),
                                        str(2 if args.quick else 7)]))
    for script, sargs in scripts:
        srows = js_script_rows(script, ["node", os.path.join(jsdir, script)] + sargs,
                               cfg["timeout"])
        info["tasks"].append((script, srows))
        rows += [dict(r, suite="js", script=script) for r in srows]
    info["browser"] = js_browser(args, cfg)
    rows += info["browser"]
    return rows, info


CHROMIUM = "/usr/bin/chromium"
JS_BROWSER_QUICK = {"browser_fj.mjs": ["--n", "25", "--reps", "5", "--runs", "1"],
                    "browser_graph.mjs": ["--quick", "--reps", "5", "--runs", "1"],
                    "browser_loops.mjs": ["--n", "1000000", "--reps", "5", "--runs", "1"]}


def js_browser(args, cfg):
    """fib and task graphs in headless Chromium (bench/js/browser_fj.mjs,
    browser_graph.mjs), each beside Node and the native build of
    --build-dir. Without chromium or playwright-core: a loud "skipped" line,
    not a failure. Returns the rows."""
    need = [CHROMIUM, os.path.join(REPO, "js", "test", "browser", "node_modules", "playwright-core")]
    missing = [p for p in need if not os.path.exists(p)]
    if missing:
        loud("skipped: the Chromium benchmarks (bench/js/browser_fj.mjs, browser_graph.mjs): "
             + ", ".join(missing) + " missing (bash scripts/setup.sh installs them)", fail=False)
        return []
    rows = []
    bindir = os.path.join(args.build_dir, "bench")
    for script, native in (("browser_fj.mjs", os.path.join(bindir, "bench_weft")),
                           ("browser_graph.mjs", os.path.join(bindir, "graph", "graph_weft"))):
        cmd = ["node", os.path.join(REPO, "bench", "js", script),
               "--workers", str(max(cfg["workers"])), "--native", native]
        cmd += JS_BROWSER_QUICK[script] if args.quick else []
        if os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR):
            # under chrt these once spun for minutes at SCHED_FIFO, starving
            # the VM (docs/JS.md, "Task graphs in headless Chromium")
            cmd = ["chrt", "-o", "0"] + cmd
        if args.reps and not args.quick:
            cmd += ["--reps", str(args.reps)]
        srows = js_script_rows(script, cmd, cfg["timeout"])
        rows += [dict(r, suite="js", script=script) for r in srows]
    # loops and typed-array columns (no native side)
    if os.path.exists(os.path.join(REPO, "bench", "js", "browser_loops.mjs")):
        script = "browser_loops.mjs"
        cmd = ["node", os.path.join(REPO, "bench", "js", script), "--workers", str(max(cfg["workers"]))]
        cmd += JS_BROWSER_QUICK[script] if args.quick else []
        if os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR):
            cmd = ["chrt", "-o", "0"] + cmd
        srows = js_script_rows(script, cmd, cfg["timeout"])
        rows += [dict(r, suite="js", script=script) for r in srows]
    return rows


# --------------------------------------------------------------------------
# summary

def launch_summary(line, srows):
    """bench/js/launch.mjs rows (launched tasks from JavaScript): the last
    row of each (name, workers), tasks/s with the issue's targets (wavefront
    >= 10 M tasks/s; the main-thread chain >= 100x piscina, measured in the
    same run at the same worker count)."""
    last = {}
    for r in srows:
        if isinstance(r.get("tasks_per_s"), (int, float)) and r.get("bench") == "launch":
            last[(r["name"], r.get("workers"))] = r
    for (name, w), r in last.items():
        t = r["tasks_per_s"]
        v = f"{t / 1e6:.3g}M" if t >= 1e6 else f"{t / 1e3:.3g}k"
        note = ""
        if "target_tasks_per_s" in r:
            note = f"target >= {r['target_tasks_per_s'] / 1e6:.0f}M: {'met' if t >= r['target_tasks_per_s'] else 'NOT met'}"
        if "vs_piscina" in r:
            note = (f"{r['vs_piscina']}x piscina (target >= {r.get('target_vs_piscina', 100)}x: "
                    f"{'met' if r['vs_piscina'] >= r.get('target_vs_piscina', 100) else 'NOT met'})")
        is_pis = str(name).startswith("piscina")
        line("node", f"launch: {name}", f"tasks/s ({w} w)", node="-" if is_pis else v,
             note=f"{v} tasks/s" if is_pis else note)


def summary(workers, fj, gr, js, dy=None, mp=None):
    """One table over all suites: a row per workload, seq and every runtime at
    each worker count side by side."""
    ws = " / ".join(map(str, workers))
    hdr = ["suite", "workload", "unit", "seq", f"weft {ws}", f"OpenMP {ws}", f"oneTBB {ws}",
           f"weft.wasm in Node {ws}", f"weft.wasm in Chromium {ws}", "note"]
    lines = []

    def line(suite, workload, unit, seq="-", weft="-", omp="-", tbb="-", node="-", chromium="-",
             note=""):
        lines.append([suite, workload, unit, seq, weft, omp, tbb, node, chromium, note])

    def per_w(get):
        vals = [get(w) for w in workers]
        return "-" if all(v is None for v in vals) else " / ".join(
            "-" if v is None else v for v in vals)

    def num(x):
        return f"{x:.3g}" if x < 100 else f"{x:.0f}"

    if fj:
        res = fj["results"]
        for bench in dict.fromkeys(k[0] for k in res):
            def ms(impl, w, bench=bench):
                r = res.get((bench, impl, w))
                if r is None:
                    return None
                if r.get("median_ms") is None or "error" in r:
                    return "FAILED"
                return num(r["median_ms"])
            n = next(r["n"] for k, r in res.items() if k[0] == bench)
            note = ""
            if bench == "fib" and fj.get("overhead") is not None:
                note = f"{fj['overhead']:.2f} ns per spawn over seq (WEFT_TASK_1)"
            line("fork-join", f"{bench}({n})", "ms", ms("seq", 1) or "-",
                 per_w(lambda w: ms("weft", w)), per_w(lambda w: ms("omp", w)),
                 per_w(lambda w: ms("tbb", w)), note=note)
            cpp = fj.get("overheads", {}).get("weft-cpp")
            if bench == "fib" and any(k[1] == "weft-cpp" for k in res):
                line("fork-join", f"fib({n}) in C++ (weft.hpp lambdas)", "ms", ms("seq", 1) or "-",
                     per_w(lambda w: ms("weft-cpp", w)),
                     note="" if cpp is None else f"{cpp:.2f} ns per spawn over seq")
        if fj.get("idle") is not None:
            line("fork-join", "idle pool", "% of a core",
                 weft=f"{fj['idle']['cpu_pct_one_core']:.3f}", note="target < 1%")
    if gr:
        rows = gr["rows"]
        for bench in dict.fromkeys(r["bench"] for r in rows):
            n = next(r["n"] for r in rows if r["bench"] == bench)
            for phase in ("run", "build"):
                def mps(impl, w, bench=bench, phase=phase):
                    for r in rows:
                        if (r["bench"], r["impl"], r["workers"], r["phase"]) == (bench, impl, w,
                                                                                  phase):
                            return num(r["nodes_per_s"] / 1e6) if r["nodes_per_s"] else "-"
                    return None
                if not any(r["bench"] == bench and r["phase"] == phase for r in rows):
                    continue
                note = ("omp: task creation is part of every run"
                        if phase == "run" and any(r["impl"] == "omp" and r["bench"] == bench
                                                  for r in rows) else "")
                line("graph", f"{bench} ({n} nodes) {phase}", "M nodes/s",
                     mps("seq", 1) or "-", per_w(lambda w: mps("weft", w)),
                     per_w(lambda w: mps("omp", w)), per_w(lambda w: mps("tbb", w)), note=note)
    if dy:
        drows = dy["rows"]

        def dmps(bench, impl, w):
            for r in drows:
                if (r["bench"], r["impl"], r["workers"]) == (bench, impl, w):
                    return num(r["tasks_per_s"] / 1e6) if r["tasks_per_s"] else "-"
            return None
        for bench in dict.fromkeys(r["bench"] for r in drows):
            n = next(r["n"] for r in drows if r["bench"] == bench)
            extra = []
            for impl, label in (("tbb-flow", "oneTBB flow graph"), ("omp-clang", "omp clang")):
                v = per_w(lambda w: dmps(bench, impl, w))
                if v != "-":
                    extra.append(f"{label} {v}")
            line("dyn", f"{bench} ({n} tasks) one-shot graph", "M tasks/s",
                 weft=per_w(lambda w: dmps(bench, "graph-oneshot", w)),
                 omp=per_w(lambda w: dmps(bench, "omp", w)),
                 tbb=per_w(lambda w: dmps(bench, "tbb-taskgroup", w)),
                 note="tbb: task_group + join counters; " + "; ".join(extra))
            launch = per_w(lambda w: dmps(bench, "launch", w))
            line("dyn", f"{bench} ({n} tasks) launched tasks", "M tasks/s",
                 dmps(bench, "seq", 1) or "-", weft=launch,
                 tbb=per_w(lambda w: dmps(bench, "tbb-taskgroup", w)),
                 note="not run" if launch == "-" else
                 "seq: the launch loop with each task run in place of its launch (no runtime)")
            line("dyn", f"{bench} ({n} tasks) graph reused", "M tasks/s",
                 weft=per_w(lambda w: dmps(bench, "graph-reused", w)),
                 note="built once, one run per rep")
    if js:
        # fj.mjs rows: {bench, n, workers, wasm_ms, native_ms, ...}: the native
        # build's time goes in the weft column, wasm beside it.
        fjr = [r for r in js["fj"] if {"bench", "n", "workers", "wasm_ms", "native_ms"} <= r.keys()]
        for key in dict.fromkeys((r["bench"], r["n"]) for r in fjr):
            def get(w, field, key=key):
                for r in fjr:
                    if (r["bench"], r["n"], r["workers"]) == (*key, w):
                        return num(r[field]) if isinstance(r[field], (int, float)) else str(r[field])
                return None
            ratios = per_w(lambda w: get(w, "ratio")) if any("ratio" in r for r in fjr) else "-"
            # spawn overhead over seq, wasm/native (null: native overhead <= 0)
            ovh = (per_w(lambda w: (lambda v: "-" if v == "None" else v)(get(w, "overhead_ratio")))
                   if all("overhead_ratio" in r for r in fjr) else None)
            line("node", f"{key[0]}({key[1]}) wasm vs native", "ms",
                 weft=per_w(lambda w: get(w, "native_ms")), node=per_w(lambda w: get(w, "wasm_ms")),
                 note=f"wasm/native {ratios}"
                 + (f" (clang {per_w(lambda w: get(w, 'ratio_clang'))})"
                    if all("ratio_clang" in r for r in fjr) else "")
                 + (f"; overhead over seq {ovh}" if ovh else ""))
        # rows with {name, tasks_per_s} (throughput.mjs, chain.mjs): weft's in
        # the wasm column, the pools' in the note, ratios to piscina.
        for script, srows in js["tasks"]:
            if script == "launch.mjs":
                launch_summary(line, srows)
                continue
            tpr = [r for r in srows if {"name", "tasks_per_s"} <= r.keys()
                   and isinstance(r["tasks_per_s"], (int, float))]
            if script == "ceiling.mjs":  # weft, the message pool over shared memory, the ceilings
                tpr = [r for r in tpr if r.get("role") in
                       ("weft-pool", "weft-copy", "pm-shared", "raw-pool", "seq", "weft-js", "weft-c",
                        "raw-const", "raw-args")]
            base = next((r["tasks_per_s"] for r in tpr
                         if str(r["name"]).startswith("piscina")), None)
            for r in tpr:
                t = r["tasks_per_s"]
                v = f"{t / 1e6:.3g}M" if t >= 1e6 else f"{t / 1e3:.3g}k"
                vs = f"{r['tasks_per_s'] / base:.1f}x piscina" if base else ""
                is_weft = str(r["name"]).startswith("weft")
                what = r.get("bench") or script.rsplit(".", 1)[0]
                if what == "throughput":
                    what = "tiny tasks"
                line("node", f"{what}: {r['name']}", f"tasks/s ({r.get('workers', '?')} w)",
                     node=v if is_weft else "-",
                     note=vs if is_weft else (f"{v} tasks/s" + (f", {vs}" if vs else "")))
    if js and js.get("browser"):
        # browser_fj.mjs / browser_graph.mjs rows: {where: chromium|node|native,
        # workers, ...}: each workload with its native and Node figures beside.
        br = js["browser"]

        def where_w(rs, where, w, field):
            for r in rs:
                if r.get("where") == where and r.get("workers") == w and isinstance(r.get(field),
                                                                                    (int, float)):
                    return num(r[field])
            return None
        bfib = [r for r in br if r.get("script") == "browser_fj.mjs" and "median_ms" in r]
        for n in dict.fromkeys(r["n"] for r in bfib):
            rs = [r for r in bfib if r["n"] == n]
            line("chromium", f"fib({n})", "ms", weft=per_w(lambda w: where_w(rs, "native", w, "median_ms")),
                 node=per_w(lambda w: where_w(rs, "node", w, "median_ms")),
                 chromium=per_w(lambda w: where_w(rs, "chromium", w, "median_ms")),
                 note=f"chromium/native {per_w(lambda w: where_w(rs, 'chromium', w, 'vs_native'))}")
        bgr = [r for r in br if r.get("script") == "browser_graph.mjs" and r.get("phase") == "run"
               and "mnodes_per_s" in r]
        # node tasks: "nop" (a C task in weft.wasm; natively "counter") or a
        # JavaScript task ("jnop"; no native figure)
        def js_task(r):
            return r["task"] not in ("nop", "counter")
        for bench, n, js_nodes in dict.fromkeys((r["bench"], r["n"], js_task(r)) for r in bgr):
            rs = [r for r in bgr if (r["bench"], r["n"], js_task(r)) == (bench, n, js_nodes)]
            line("chromium", f"graph {bench} ({n} nodes) run" + (", JS nodes" if js_nodes else ""),
                 "M nodes/s", weft=per_w(lambda w: where_w(rs, "native", w, "mnodes_per_s")),
                 node=per_w(lambda w: where_w(rs, "node", w, "mnodes_per_s")),
                 chromium=per_w(lambda w: where_w(rs, "chromium", w, "mnodes_per_s")),
                 note="" if js_nodes else
                 f"chromium/native time {per_w(lambda w: where_w(rs, 'chromium', w, 'vs_native'))}")
        # browser_loops.mjs rows: {where, bench, name, tasks_per_s}
        blp = [r for r in br if r.get("script") == "browser_loops.mjs" and "tasks_per_s" in r]
        for bench, name in dict.fromkeys((r["bench"], r["name"]) for r in blp):
            def mips(where, bench=bench, name=name):
                v = next((r["tasks_per_s"] for r in blp if (r["where"], r["bench"], r["name"])
                          == (where, bench, name)), None)
                return "-" if v is None else f"{v / 1e6:.3g}M"
            line("chromium", f"{bench}: {name}", f"items/s ({max(workers)} w)",
                 node=mips("node"), chromium=mips("chromium"))
    if mp:
        run_mpi.summary_lines(mp, line, workers)
    # drop the columns no suite filled
    keep = [i for i in range(len(hdr)) if i < 3 or any(l[i] not in ("-", "") for l in lines)]
    hdr = [hdr[i] for i in keep]
    lines = [[l[i] for i in keep] for l in lines]
    section("SUMMARY")
    if not lines:
        print("(no results)")
        return
    print_table(hdr, lines, left=3)
    print()
    notes = []
    if fj:
        notes.append("fork-join: median ms (lower is better)")
    if gr:
        notes.append("graph: million nodes per second, median (higher is better; run = one "
                     "execution of an already built graph, build = create + add nodes and edges)")
    if dy:
        notes.append("dyn: one-shot dependencies, million tasks per second, median (tasks created "
                     "and run once per repetition, every value checked)")
    if js:
        notes.append("node: fork-join in weft.wasm under Node with the native bench_weft of the "
                     "same build in the weft column, and tasks per second for tiny independent "
                     "tasks and for chains of dependent ones (weft vs a postMessage pool and "
                     "piscina)")
    if mp:
        notes.append("mpi: weft + weft_mpi in the weft column, MPI + OpenMP tasks in the OpenMP "
                     "column, at 1 / 2 workers (threads) per rank (bench/mpi)")
    if js and js.get("browser"):
        notes.append("chromium: fib and task graphs in headless Chromium (bench/js/browser_fj.mjs, "
                     "browser_graph.mjs) beside the same measurement in Node and the native build "
                     "(weft column); loops and typed-array columns (browser_loops.mjs) beside Node")
    print("; ".join(notes) + ". Full tables above; every row is in the JSON lines file.")


def write_plots(jsonl, prefix):
    """PREFIX-*.svg beside the JSON lines, by bench/plots.py: with this Python,
    or Debian's (python3-matplotlib) when this one has no matplotlib (a
    pyenv or venv python3 first on PATH). Without matplotlib: a loud line,
    not a failure."""
    script = os.path.join(REPO, "bench", "plots.py")
    err = ""
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if not os.path.exists(py):
            continue
        r = subprocess.run([py, script, jsonl, prefix], capture_output=True, text=True)
        if r.returncode == 0:
            for p in r.stdout.split():
                print(f"wrote {os.path.relpath(p)}")
            return
        err = (r.stderr.strip().splitlines() or ["?"])[-1]
        if "No module named 'matplotlib'" not in err:
            break
    loud(f"plots not written: {err} (bash scripts/setup.sh installs python3-matplotlib)",
         fail="matplotlib" not in err)


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default=",".join(SUITES),
                    help="comma list of " + ",".join(SUITES) + " (default all)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes and few reps in every suite (smoke test)")
    ap.add_argument("--reps", type=int, default=None,
                    help="timed repetitions (fork-join default 5, quick 3; graph: builds, "
                         "default 5, quick 2; js: passed to fj.mjs)")
    ap.add_argument("--workers", default="1,all", help="comma list; 'all' = nproc (default 1,all)")
    ap.add_argument("--bench", default=",".join(BENCHES),
                    help="fork-join: comma list of " + ",".join(BENCHES))
    ap.add_argument("--impl", default=None,
                    help="fork-join: comma list of " + ",".join(IMPLS) + " (default all), "
                         "and the opt-in " + ",".join(OPT_IMPLS))
    ap.add_argument("--n", action="append", default=[], metavar="BENCH=N",
                    help="fork-join: override a problem size, e.g. --n fib=30 (repeatable)")
    ap.add_argument("--graph-bench", default=",".join(GRAPH_BENCHES),
                    help="graph: comma list of " + ",".join(GRAPH_BENCHES))
    ap.add_argument("--graph-impl", default=",".join(GRAPH_IMPLS),
                    help="graph: comma list of " + ",".join(GRAPH_IMPLS) + ", and the opt-in "
                         + ",".join(GRAPH_OPT_IMPLS))
    ap.add_argument("--graph-n", action="append", default=[], metavar="BENCH=N",
                    help="graph: size override (wavefront: the side N) (repeatable)")
    ap.add_argument("--runs-per-build", type=int, default=None,
                    help="graph: timed runs of each built graph (default 3; sets GB_RUNS)")
    ap.add_argument("--dyn-bench", default=",".join(DYN_BENCHES),
                    help="dyn: comma list of " + ",".join(DYN_BENCHES))
    ap.add_argument("--dyn-impl", default=",".join(DYN_IMPLS),
                    help="dyn: comma list of " + ",".join(DYN_IMPLS))
    ap.add_argument("--dyn-n", action="append", default=[], metavar="BENCH=N",
                    help="dyn: size override (wavefront: the side N) (repeatable)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results", "latest.jsonl"),
                    help="JSON lines output (default bench/results/latest.jsonl)")
    ap.add_argument("--no-plots", action="store_true",
                    help="do not write the SVG plots beside --out (bench/plots.py)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                    help="CMake build directory (default build-bench)")
    ap.add_argument("--base-build", default=None, metavar="DIR",
                    help="build directory of another commit whose bench/bench_weft is impl "
                         "'weft-base' (build it yourself; not built here)")
    ap.add_argument("--no-build", action="store_true",
                    help="do not (re)build the binaries or js/dist/weft.wasm")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds per combination: a binary stops repeating once the next "
                         "rep would exceed it (fork-join default 15, graph 20; quick 5); "
                         "at least one rep runs")
    ap.add_argument("--timeout", type=float, default=None,
                    help="kill a combination after this many seconds (default 300; "
                         "graph and js 600)")
    ap.add_argument("--idle-seconds", type=float, default=3.0)
    ap.add_argument("--no-idle", action="store_true", help="skip the idle-pool CPU measurement")
    args = ap.parse_args()

    suites = parse_list(args.suite, SUITES, "suite")
    args.build_dir = os.path.abspath(args.build_dir)
    workers = parse_workers(args.workers)
    t_start = time.monotonic()

    # fork-join configuration
    fcfg = {"workers": workers,
            "reps": args.reps or (3 if args.quick else 5),
            "budget": args.budget if args.budget is not None else (5.0 if args.quick else 15.0),
            "benches": parse_list(args.bench, BENCHES, "bench")}
    fcfg["sizes"] = dict(QUICK_N if args.quick else DEFAULT_N)
    for spec in args.n:
        b, _, v = spec.partition("=")
        if b not in BENCHES or not v.isdigit():
            sys.exit(f"run.py: bad --n '{spec}'")
        fcfg["sizes"][b] = int(v)
    explicit_impls = args.impl is not None
    impls = parse_list(args.impl or ",".join(IMPLS), IMPLS + OPT_IMPLS, "impl")
    if "weft-base" in impls and not args.base_build:
        sys.exit("run.py: impl 'weft-base' needs --base-build DIR")
    if "seq" not in impls:
        impls.insert(0, "seq")  # the reference result and the 'vs seq' column

    # graph configuration
    gcfg = {"workers": workers,
            "reps": args.reps or (2 if args.quick else 5),
            "budget": args.budget if args.budget is not None else (5.0 if args.quick else 20.0),
            "benches": parse_list(args.graph_bench, GRAPH_BENCHES, "graph bench"),
            "timeout": args.timeout or 600}
    gimpls = parse_list(args.graph_impl, GRAPH_IMPLS + GRAPH_OPT_IMPLS, "graph impl")
    if "seq" not in gimpls:
        gimpls.insert(0, "seq")
    gcfg["sizes"] = dict(GRAPH_QUICK_N) if args.quick else {b: 0 for b in GRAPH_BENCHES}
    if not args.runs_per_build:
        # Runs of an already built graph, the measure: weft times its
        # first run (shared) and the next (in order) to choose how to run a
        # graph (docs/GRAPHS.md), so 10 runs a build keep those two from
        # moving the median (both are in the samples all the same).
        args.runs_per_build = 3 if args.quick else 10
    for spec in args.graph_n:
        b, _, v = spec.partition("=")
        if b not in GRAPH_BENCHES or not v.isdigit():
            sys.exit(f"run.py: bad --graph-n '{spec}'")
        gcfg["sizes"][b] = int(v)
    # dyn configuration
    dcfg = {"workers": workers,
            "reps": args.reps or (3 if args.quick else 7),
            "budget": args.budget if args.budget is not None else (5.0 if args.quick else 20.0),
            "benches": parse_list(args.dyn_bench, DYN_BENCHES, "dyn bench"),
            "timeout": args.timeout or 600,
            "sizes": dict(DYN_QUICK_N) if args.quick else {b: 0 for b in DYN_BENCHES}}
    dimpls = parse_list(args.dyn_impl, list(DYN_IMPLS), "dyn impl")
    for spec in args.dyn_n:
        b, _, v = spec.partition("=")
        if b not in DYN_BENCHES or not v.isdigit():
            sys.exit(f"run.py: bad --dyn-n '{spec}'")
        dcfg["sizes"][b] = int(v)
    jcfg = {"workers": workers, "timeout": args.timeout or (300 if args.quick else 600)}
    if args.timeout is None:
        args.timeout = 300

    # build everything the chosen suites need in one go
    targets = []
    if "forkjoin" in suites:
        targets += list(dict.fromkeys(BINARIES[i] for i in impls if i != "weft-base"))
        targets += ["bench_idle"] if not args.no_idle else []
    if "graph" in suites:
        targets += list(dict.fromkeys("graph_weft" if i == "weft-trace" else f"graph_{i}"
                                      for i in gimpls))
    dyn_optional = ()
    if "dyn" in suites:  # dyn_weft must build; the peers only where their libraries are
        targets += [t for t in dict.fromkeys(DYN_IMPLS[i][0] for i in dimpls) if t == "dyn_weft"]
        dyn_optional = tuple(t for t in dict.fromkeys(DYN_IMPLS[i][0] for i in dimpls)
                             if t != "dyn_weft")
    if "js" in suites:  # fj.mjs: bench_seq for the spawn overhead over seq
        targets += [t for t in ("bench_weft", "bench_seq") if t not in targets]
    if "js" in suites and "graph_weft" not in targets:  # browser_graph.mjs: native figures
        targets.append("graph_weft")
    # fj.mjs: the same benchmarks built by clang, the wasm build's compiler
    # (wasm/clang columns), where clang is installed
    optional = (("bench_weft_clang", "bench_seq_clang") if "js" in suites else ()) + dyn_optional
    if "mpi" in suites:  # built only where CMake finds MPI (and OpenMP for the peers)
        optional += tuple(run_mpi.TARGETS)
    if not args.no_build:
        print(f"building {len(targets)} targets in {args.build_dir} ...", flush=True)
        build(args.build_dir, targets, optional)

    fj_avail, g_avail = [], []
    if "forkjoin" in suites:
        bindir = os.path.join(args.build_dir, "bench")
        for i in impls:
            path = fj_binary(args, i)
            if os.path.exists(path):
                fj_avail.append(i)
            elif explicit_impls or i in REQUIRED:
                loud(f"binary {path} for impl '{i}' is missing (build failed?)")
            else:
                print(f"WARNING: {path} missing: impl '{i}' skipped", flush=True)
    if "graph" in suites:
        gdir = os.path.join(args.build_dir, "bench", "graph")
        for i in gimpls:
            path = os.path.join(gdir, "graph_weft" if i == "weft-trace" else f"graph_{i}")
            if os.path.exists(path):
                g_avail.append(i)
            elif i in ("seq", "weft") or args.graph_impl != ",".join(GRAPH_IMPLS):
                loud(f"binary {path} for graph impl '{i}' is missing (build failed?)")
            else:
                print(f"WARNING: {path} missing: graph impl '{i}' skipped", flush=True)

    d_avail = []
    if "dyn" in suites:
        ddir = os.path.join(args.build_dir, "bench", "dyn")
        for i in dimpls:
            path = os.path.join(ddir, DYN_IMPLS[i][0])
            if os.path.exists(path):
                d_avail.append(i)
            elif i in DYN_REQUIRED or args.dyn_impl != ",".join(DYN_IMPLS):
                loud(f"binary {path} for dyn impl '{i}' is missing (build failed?)")
            else:
                print(f"WARNING: {path} missing: dyn impl '{i}' skipped", flush=True)

    mach = machine_info()
    print("weft benchmarks: " + ", ".join(suites))
    print(f"  cpu:     {mach['cpu']}")
    print(f"  nproc:   {mach['nproc']}")
    print(f"  kernel:  {mach['kernel']}  ({mach['os']})")
    print(f"  gcc:     {mach['gcc']}")
    print(f"  clang:   {mach['clang']}")
    print(f"  git:     {mach['git']}   date: {mach['date']}   load avg at start: {mach['loadavg_start']}")
    la = mach["loadavg_start"]
    if la is not None and la > 0.5:
        print(f"  WARNING: the machine is busy (1-min load average {la} on {mach['nproc']} cores):"
              " timings, especially with several workers, will be noisy")
    sys.stdout.flush()

    out_rows = []
    fj = gr = js = None
    if "forkjoin" in suites and "seq" in fj_avail:
        rows, fj = forkjoin_suite(args, fcfg, fj_avail, mach)
        out_rows += rows
    if "graph" in suites and "seq" in g_avail:
        rows, _ = graph_suite(args, gcfg, g_avail)
        gr = {"rows": rows}
        out_rows += rows
    dy = None
    if "dyn" in suites and d_avail:
        rows, _ = dyn_suite(args, dcfg, d_avail)
        dy = {"rows": rows}
        out_rows += rows
    if "js" in suites:
        rows, js = js_suite(args, jcfg)
        out_rows += rows

    mp = None
    if "mpi" in suites:
        rows, mp = run_mpi.mpi_suite(args.build_dir, args.quick, args.timeout, loud, section,
                                     print_table, required=args.suite != ",".join(SUITES))
        out_rows += rows

    summary(workers, fj, gr, js, dy, mp)
    mach["loadavg_end"] = loadavg()
    print(f"load average: start {mach['loadavg_start']}, end {mach['loadavg_end']} "
          f"(includes this run's own load); {time.monotonic() - t_start:.0f} s in all")

    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            for row in out_rows:
                f.write(json.dumps(dict(row, machine=mach)) + "\n")
        print(f"wrote {len(out_rows)} lines to {args.out}")
        if not args.no_plots:
            write_plots(args.out, os.path.splitext(os.path.abspath(args.out))[0])

    if failures:
        print(f"\n{len(failures)} FAILURE(S):")
        for fmsg in failures:
            print("  - " + fmsg.splitlines()[0])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
