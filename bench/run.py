#!/usr/bin/env python3
"""Runs the weft benchmark suite and prints a comparison table.

Every (bench, impl, workers) combination is run as one process of the
matching binary (bench_seq, bench_weft, bench_omp_gcc, bench_omp_clang,
bench_tbb) with `<bench> <n> <workers> <reps> <budget_seconds>`. The binary
prints one JSON line per timed repetition; this script takes the median,
checks every repetition's result against the sequential result, prints a
table and writes one JSON line per combination to --out.

Exit status: 0 if every run succeeded and every result matched, 1 otherwise
(mismatch, crash, timeout, failed self-check, missing required binary).

Standard library only. See docs/BENCHMARKS.md.
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BENCHES = ["fib", "nqueens", "tree", "sort"]
IMPLS = ["seq", "weft", "weft-struct", "weft-clang", "omp", "omp-clang", "tbb"]
BINARIES = {
    "seq": "bench_seq",
    "weft": "bench_weft",
    "weft-struct": "bench_weft_struct",
    "weft-clang": "bench_weft_clang",
    "omp": "bench_omp_gcc",
    "omp-clang": "bench_omp_clang",
    "tbb": "bench_tbb",
}
REQUIRED = {"seq", "weft"}  # missing these is an error even with the default --impl
DEFAULT_N = {"fib": 35, "nqueens": 13, "tree": 2000, "sort": 10_000_000}
QUICK_N = {"fib": 27, "nqueens": 10, "tree": 200, "sort": 1_000_000}

failures = []  # human-readable descriptions of everything that went wrong


def loud(msg):
    bar = "!" * 78
    print(f"\n{bar}\n!!! {msg}\n{bar}\n", flush=True)
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


def build(build_dir, targets):
    """Configures (if needed) and builds each target on its own, so that one
    target that does not build (e.g. weft while src/ is in flux) does not stop
    the others. Returns the set of targets that failed."""
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
    for t in targets:
        r = subprocess.run(["cmake", "--build", build_dir, "--target", t, "-j", jobs],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failed.add(t)
            tail = "\n".join((r.stdout + r.stderr).splitlines()[-15:])
            print(f"build of {t} failed:\n{tail}\n", flush=True)
    return failed


def run_one(binary, bench, n, workers, reps, budget, timeout):
    """Runs one combination; returns (records, error-or-None)."""
    cmd = [binary, bench, str(n), str(workers), str(reps), str(budget)]
    env = dict(os.environ)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        return recs, f"timed out after {timeout} s ({len(recs)} reps done): {' '.join(cmd)}"
    wall = time.monotonic() - t0
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


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes, 3 reps (CI smoke test)")
    ap.add_argument("--reps", type=int, default=None, help="timed repetitions (default 5, quick 3)")
    ap.add_argument("--workers", default="1,all", help="comma list; 'all' = nproc (default 1,all)")
    ap.add_argument("--bench", default=",".join(BENCHES), help="comma list of " + ",".join(BENCHES))
    ap.add_argument("--impl", default=None, help="comma list of " + ",".join(IMPLS) + " (default all)")
    ap.add_argument("--n", action="append", default=[], metavar="BENCH=N",
                    help="override a problem size, e.g. --n fib=30 (repeatable)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results", "latest.jsonl"),
                    help="JSON lines output (default bench/results/latest.jsonl)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                    help="CMake build directory (default build-bench)")
    ap.add_argument("--no-build", action="store_true", help="do not (re)build the binaries")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds per combination: a binary stops repeating once the next "
                         "rep would exceed it (default 15, quick 5); at least one rep runs")
    ap.add_argument("--timeout", type=float, default=300,
                    help="kill a combination after this many seconds (default 300)")
    ap.add_argument("--idle-seconds", type=float, default=3.0)
    ap.add_argument("--no-idle", action="store_true", help="skip the idle-pool CPU measurement")
    args = ap.parse_args()

    reps = args.reps or (3 if args.quick else 5)
    budget = args.budget if args.budget is not None else (5.0 if args.quick else 15.0)
    benches = parse_list(args.bench, BENCHES, "bench")
    explicit_impls = args.impl is not None
    impls = parse_list(args.impl or ",".join(IMPLS), IMPLS, "impl")
    if "seq" not in impls:
        impls.insert(0, "seq")  # the reference result and the 'vs seq' column
    workers = parse_workers(args.workers)
    sizes = dict(QUICK_N if args.quick else DEFAULT_N)
    for spec in args.n:
        b, _, v = spec.partition("=")
        if b not in BENCHES or not v.isdigit():
            sys.exit(f"run.py: bad --n '{spec}'")
        sizes[b] = int(v)

    bindir = os.path.join(args.build_dir, "bench")
    targets = [BINARIES[i] for i in impls] + (["bench_idle"] if not args.no_idle else [])
    if not args.no_build:
        build(args.build_dir, targets)
    available = []
    for i in impls:
        path = os.path.join(bindir, BINARIES[i])
        if os.path.exists(path):
            available.append(i)
        elif explicit_impls or i in REQUIRED:
            loud(f"binary {path} for impl '{i}' is missing (build failed?)")
        else:
            print(f"WARNING: {path} missing: impl '{i}' skipped", flush=True)
    if "seq" not in available:
        sys.exit(1)

    mach = machine_info()
    print("weft benchmarks")
    print(f"  cpu:     {mach['cpu']}")
    print(f"  nproc:   {mach['nproc']}")
    print(f"  kernel:  {mach['kernel']}  ({mach['os']})")
    print(f"  gcc:     {mach['gcc']}")
    print(f"  clang:   {mach['clang']}")
    print(f"  git:     {mach['git']}   date: {mach['date']}   load avg at start: {mach['loadavg_start']}")
    print(f"  sizes:   " + ", ".join(f"{b} n={sizes[b]}" for b in benches))
    print(f"  reps:    {reps} (median), budget {budget:g} s per combination, workers {workers}")
    la = mach["loadavg_start"]
    if la is not None and la > 0.5:
        print(f"  WARNING: the machine is busy (1-min load average {la} on {mach['nproc']} cores):"
              " timings, especially with several workers, will be noisy")
    print(flush=True)

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
    for bench in benches:
        n = sizes[bench]
        combos = [("seq", 1)] + [(i, w) for i in available if i != "seq" for w in workers]
        ref = None
        for impl, w in combos:
            binary = os.path.join(bindir, BINARIES[impl])
            la = loadavg()
            print(f"  {bench:8s} {impl:10s} workers={w:<3d} n={n} ...", end="", flush=True)
            recs, err = run_one(binary, bench, n, w, reps, budget, args.timeout)
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
    overhead = None
    if ("fib", "seq", 1) in results and ("fib", "weft", 1) in results:
        s = results[("fib", "seq", 1)]["median_ms"]
        wrow = results[("fib", "weft", 1)]
        if s is not None and wrow["median_ms"] is not None:
            n = sizes["fib"]
            spawns = fib(n + 1) - 1
            overhead = (wrow["median_ms"] - s) * 1e6 / spawns
            wrow["per_spawn_overhead_ns"] = round(overhead, 3)
            wrow["expected_spawns"] = spawns
            if "spawns" in wrow and wrow["spawns"] != spawns:
                print(f"NOTE: weft reported {wrow['spawns']} spawns for fib({n}), expected "
                      f"fib({n + 1})-1 = {spawns}")

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
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h)
              for i, h in enumerate(hdr)]

    def fmt_row(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]))
        return "| " + " | ".join(out) + " |"

    print(fmt_row(hdr))
    print("|" + "|".join("-" * (w + 2) if i < 2 else "-" * (w + 1) + ":"
                         for i, w in enumerate(widths)) + "|")
    for l in lines:
        print(fmt_row(l))
    print()
    print("vs seq = time / seq time (lower is better); vs weft = time / weft time at the same "
          "worker count (>1: slower than weft); speedup vs 1w = own 1-worker time / time.")
    if any(r.get("reps", reps) < reps for r in results.values() if r.get("median_ms") is not None):
        print(f"* fewer than {reps} reps: a rep took long enough to hit the "
              f"{budget:g} s per-combination budget (--budget)")
    if overhead is not None:
        n = sizes["fib"]
        print(f"per-spawn overhead (weft 1 worker vs seq, fib({n}), {fib(n + 1) - 1} spawns): "
              f"{overhead:.2f} ns")
    if idle is not None:
        print(f"idle pool ({idle['workers']} workers, {idle['seconds']:.2f} s): "
              f"{idle['cpu_pct_one_core']:.3f}% of one core (target < 1%)")
    runtimes = {}
    for row in results.values():
        if row.get("runtime") and row["impl"] not in runtimes:
            runtimes[row["impl"]] = f"{row['runtime']}, built by {row.get('cc')}"
    for impl in runtimes:
        print(f"  {impl:10s} {runtimes[impl]}")
    print(f"load average: start {mach['loadavg_start']}, end {loadavg()} "
          f"(includes this run's own load)")

    # JSON lines
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            for key in sorted(results, key=lambda k: (benches.index(k[0]), IMPLS.index(k[1]), k[2])):
                row = dict(results[key])
                row["machine"] = mach
                f.write(json.dumps(row) + "\n")
            if idle is not None:
                row = {"bench": "idle", "impl": "weft", "workers": idle["workers"], "n": None,
                       "median_ms": None, "result": None, "machine": mach}
                row.update({k: v for k, v in idle.items() if k not in row})
                f.write(json.dumps(row) + "\n")
        print(f"wrote {args.out}")

    if failures:
        print(f"\n{len(failures)} FAILURE(S):")
        for fmsg in failures:
            print("  - " + fmsg.splitlines()[0])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
