"""The mpi suite of bench/run.py (--suite mpi): the distributed stencil and
wavefront of bench/mpi under mpirun, and the message-to-task latency probe.

  stencil    Jacobi, N x N doubles, T iterations, rows split over the ranks,
             tiles of TR x TC, at two sizes: "stencil" (N = 1024: a rank's two
             buffers, 8 MB at np = 2, fit the 32 MB L3 with room to spare)
             and "stencil-big" (N = 2048: 32 MB per rank at np = 2, past
             L3, where the order tiles run in decides what the caches hold):
             weft+mpi (stencil_weft_mpi), mpi+omp-tasks
             (stencil_omp_mpi), mpi-bsp (stencil_bsp_mpi), and plain weft
             without MPI (stencil_weft, np = 1 only). Every variant also runs
             with --nocomm (halos not exchanged: compute and scheduling only),
             which gives each variant's exposed communication (its time minus
             its --nocomm time) and the share of the bulk-synchronous exposed
             communication it hides: 1 - exposed(variant) / exposed(bsp).
  wavefront  Smith-Waterman-like DP, N x N cells, columns split over the
             ranks, tiles TR x TC: weft+mpi, mpi+omp-tasks, mpi-bsp (waves).
  latency    2 ranks: message stamp to the start of the task that depends on
             it, workers idle and busy, against a spinning MPI_Recv.

np = 1, 2, and 4 (oversubscribed on fewer than 4 cores: marked), 1 and 2
workers (threads) per rank; at np = 4 only 1 (8 spinning OpenMP threads on 2
cores measure the kernel's scheduler, not the program). np = 1 x 2 runs
unbound (--bind-to none): Open MPI's default binds a rank to one core. Every
run's median of its repetitions (the binaries time between barriers); the
matrix runs in rounds (3, quick 1) and each figure is the median over rounds.
"""

import json
import os
import subprocess

STENCIL = {"weft+mpi": "stencil_weft_mpi", "mpi+omp-tasks": "stencil_omp_mpi",
           "mpi-bsp": "stencil_bsp_mpi"}
WAVEFRONT = {"weft+mpi": "wavefront_weft_mpi", "mpi+omp-tasks": "wavefront_omp_mpi",
             "mpi-bsp": "wavefront_bsp_mpi"}
TARGETS = sorted(set(STENCIL.values()) | set(WAVEFRONT.values()) | {"stencil_weft", "mpi_latency"})


def mpirun():
    for p in ("/usr/bin/mpirun", "/usr/local/bin/mpirun"):
        if os.path.exists(p):
            return p
    return "mpirun"


def run(cmd, timeout):
    """Rows (JSON lines) a command printed, or (None, error)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s: {' '.join(cmd)}"
    rows = []
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass
    if p.returncode != 0 or not rows:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return None, f"exit {p.returncode}: {' '.join(cmd)}: {' | '.join(tail)}"
    return rows, None


def mpi_suite(build_dir, quick, timeout, loud, section, print_table, required=True):
    """required: the suite was asked for by name (a build without MPI is then
    a failure; in the default set of suites it is a loud skip)."""
    bindir = os.path.join(build_dir, "bench", "mpi")
    ncpu = os.cpu_count() or 1
    missing = [t for t in TARGETS if not os.path.exists(os.path.join(bindir, t))]
    if missing:
        loud(("" if required else "skipped: ") + "mpi suite: missing binaries (no MPI or OpenMP "
             "found by CMake? bash scripts/setup.sh installs Open MPI): " + ", ".join(missing),
             fail=required)
        return [], None
    # Full-width tile rows: every variant's best or equal best at np = 2 (bulk-
    # synchronous and OpenMP tasks 5-25% slower with 128 x 256, weft + MPI 10%;
    # docs/MPI.md, "Tile shape"). At np = 4 a 256-row strip is then two edge rows.
    # The big size's 32-row tiles are weft's best there (its order keeps tiles
    # in cache across iterations); the row-major loops run the same at any height.
    sizes = [("stencil", {"n": 512 if quick else 1024, "iters": 20 if quick else 100,
                          "tile": "128x1024", "reps": 3 if quick else 5}),
             ("stencil-big", {"n": 2048, "iters": 10 if quick else 40, "tile": "32x2048",
                              "reps": 3 if quick else 5})]
    wf = {"n": 1000 if quick else 3000, "tile": "100x100", "reps": 3 if quick else 5}
    configs = [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1)]
    section("MPI: " + "; ".join(f"{b} {c['n']}^2 x {c['iters']} iterations, tiles {c['tile']}"
                                for b, c in sizes) + "; wavefront "
            f"{wf['n']}^2, tiles {wf['tile']}; medians of {sizes[0][1]['reps']}; np x workers {configs}"
            + (f"; np = 4 oversubscribed on {ncpu} cores" if ncpu < 4 else ""))
    def base_for(np_, w):
        # Open MPI binds each rank to one core when np <= 2 (--bind-to core):
        # at np = 1 x 2 both workers then shared one core (2x slower than
        # the same binary unbound, and than plain weft, which mpirun does not
        # start). Ranks whose threads fit the cores run unbound; an
        # oversubscribed configuration keeps the binding (one core per rank:
        # unbound, 2 x 2 OpenMP threads spinning on 2 cores ran 30x slower).
        return [mpirun(), "--allow-run-as-root", "--oversubscribe"] + \
            (["--bind-to", "none"] if 1 < w and np_ * w <= ncpu else []) + ["-np"]
    rounds = 1 if quick else 3
    samples = {}  # (bench, variant, np, workers, nocomm) -> [row of each round]

    def go(label, cmd, key_extra=None):
        print(f"  {label} ...", end="", flush=True)
        got, err = run(cmd, timeout)
        if err:
            print(" FAILED")
            loud("mpi " + label + ": " + err)
            return
        r = dict(got[0], **(key_extra or {}))
        if r.get("check") == "FAILED":
            loud("mpi " + label + ": result differs from the sequential oracle")
        print(f" {r['us_per_iter']:.1f} us", flush=True)
        key = (r["bench"], r["variant"], r["np"], r["workers"], r.get("nocomm", 0))
        samples.setdefault(key, []).append(r)

    # Rounds over the whole matrix, so that a burst of load from elsewhere
    # lands on every variant alike; each configuration's figure is the
    # median over rounds of its binary's median.
    for rnd in range(rounds):
        print(f"  -- round {rnd + 1} of {rounds}", flush=True)
        for np_, w in configs:
            for sb, st in sizes:
                for variant, binary in STENCIL.items():
                    for nocomm in (0, 1):
                        if np_ == 1 and nocomm:
                            continue  # no messages at np = 1 anyway
                        cmd = base_for(np_, w) + [
                            str(np_), os.path.join(bindir, binary), "--n", str(st["n"]),
                            "--iters", str(st["iters"]), "--tile", st["tile"], "--reps",
                            str(st["reps"]), "--workers", str(w)] + \
                            (["--nocomm"] if nocomm else [])
                        go(f"{sb} {variant:14s} np={np_} w={w}{' nocomm' if nocomm else ''}",
                           cmd, {"bench": sb, "nocomm": nocomm})
                if np_ == 1:
                    cmd = [os.path.join(bindir, "stencil_weft"), "--n", str(st["n"]), "--iters",
                           str(st["iters"]), "--tile", st["tile"], "--reps", str(st["reps"]),
                           "--workers", str(w)]
                    go(f"{sb} {'weft (no MPI)':14s} np=1 w={w}", cmd,
                       {"bench": sb, "variant": "weft-nompi", "nocomm": 0})
            for variant, binary in WAVEFRONT.items():
                cmd = base_for(np_, w) + [
                    str(np_), os.path.join(bindir, binary), "--n", str(wf["n"]),
                    "--tile", wf["tile"], "--reps", str(wf["reps"]), "--workers", str(w)]
                go(f"wavefront {variant:12s} np={np_} w={w}", cmd, {"nocomm": 0})
    rows = []
    for key, rs in samples.items():
        vals = sorted(r["us_per_iter"] for r in rs)
        med = vals[len(vals) // 2] if len(vals) % 2 else 0.5 * (vals[len(vals) // 2 - 1] +
                                                                 vals[len(vals) // 2])
        rows.append(dict(rs[0], suite="mpi", us_per_iter=round(med, 2), rounds=len(vals),
                         us_min=round(vals[0], 2), us_max=round(vals[-1], 2),
                         oversubscribed=key[2] * key[3] > ncpu))
    for w in (1, 2):
        cmd = base_for(2, w) + ["2", os.path.join(bindir, "mpi_latency"), "--workers", str(w),
                             "--reps", "100" if quick else "300"]
        got, err = run(cmd, timeout)
        if err:
            loud("mpi latency: " + err)
            continue
        for r in got:
            rows.append(dict(r, suite="mpi", oversubscribed=2 * w > ncpu))
            print("  " + ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("np",)),
                  flush=True)

    def find(bench, variant, np_, w, nocomm=0):
        for r in rows:
            if (r["bench"], r["variant"], r["np"], r["workers"], r.get("nocomm", 0)) == \
                    (bench, variant, np_, w, nocomm):
                return r
        return None

    # hidden share of communication (stencil)
    for r in rows:
        if not r["bench"].startswith("stencil") or r.get("nocomm") or r["np"] == 1:
            continue
        own = find(r["bench"], r["variant"], r["np"], r["workers"], 1)
        bsp, bspn = (find(r["bench"], "mpi-bsp", r["np"], r["workers"], k) for k in (0, 1))
        if own and bsp and bspn:
            exp_bsp = bsp["us_per_iter"] - bspn["us_per_iter"]
            exp_own = r["us_per_iter"] - own["us_per_iter"]
            r["exposed_us"] = round(exp_own, 2)
            if exp_bsp > 0:
                r["hidden_share"] = round(max(0.0, min(1.0, 1 - exp_own / exp_bsp)), 3)
    hdr = ["bench", "variant", "np", "workers", "us/iter (wavefront: us)", "min..max of rounds",
           "exposed comm us", "hidden"]
    lines = []
    for r in rows:
        if r["bench"] not in ("stencil", "stencil-big", "wavefront") or r.get("nocomm"):
            continue
        lines.append([r["bench"], r["variant"], f"{r['np']}{'*' if r['oversubscribed'] else ''}",
                      str(r["workers"]), f"{r['us_per_iter']:.1f}",
                      f"{r['us_min']:.0f}..{r['us_max']:.0f}",
                      f"{r['exposed_us']:.1f}" if "exposed_us" in r else "-",
                      f"{100 * r['hidden_share']:.0f}%" if "hidden_share" in r else "-"])
    print()
    print_table(hdr, lines, left=2)
    lat = [r for r in rows if r["bench"] == "latency"]
    extra = [r for r in rows if r["bench"] in ("poll-cost", "idle-cpu", "request-memory")]
    if extra:
        print()
        for r in extra:
            print("  " + ", ".join(f"{k} {v}" for k, v in r.items()
                                   if k not in ("suite", "np", "oversubscribed")))
    if lat:
        print()
        print_table(["latency (2 ranks)", "workers", "median us", "p90 us"],
                    [[r["variant"], str(r["workers"]), f"{r['median_us']:.1f}",
                      f"{r['p90_us']:.1f}"] for r in lat], left=2)
    print("\n* oversubscribed (more threads than cores). exposed comm = time - the same variant's "
          "--nocomm time; hidden = 1 - exposed / exposed of mpi-bsp at the same np and workers.")
    print("targets (issue 13; reported, not failures):")
    for sb, _ in sizes:
        for w in (1, 2):
            wm, om, bs = (find(sb, v, 2, w) for v in ("weft+mpi", "mpi+omp-tasks", "mpi-bsp"))
            if wm and om:
                print(f"  {'ok  ' if wm['us_per_iter'] <= om['us_per_iter'] else 'MISS'} {sb} "
                      f"np=2 w={w}: weft+mpi <= mpi+omp-tasks: {wm['us_per_iter']:.1f} vs "
                      f"{om['us_per_iter']:.1f} us/iter")
            if wm and bs:
                print(f"  {'ok  ' if wm['us_per_iter'] < bs['us_per_iter'] else 'MISS'} {sb} "
                      f"np=2 w={w}: weft+mpi < mpi-bsp: {wm['us_per_iter']:.1f} vs "
                      f"{bs['us_per_iter']:.1f}")
            p1, pl = find(sb, "weft+mpi", 1, w), find(sb, "weft-nompi", 1, w)
            if p1 and pl:
                ratio = p1["us_per_iter"] / pl["us_per_iter"]
                print(f"  {'ok  ' if ratio <= 1.10 else 'MISS'} {sb} np=1 w={w}: weft+mpi within "
                      f"10% of weft without MPI: {ratio:.3f}x")
    return rows, {"rows": rows}


def summary_lines(mp, line, workers):
    """Rows for run.py's summary table: time per iteration at np = 2."""
    rows = mp["rows"]

    def get(bench, variant, np_, w):
        for r in rows:
            if (r["bench"], r["variant"], r["np"], r["workers"], r.get("nocomm", 0)) == \
                    (bench, variant, np_, w, 0):
                return r
        return None
    for bench, unit in (("stencil", "us/iteration"), ("stencil-big", "us/iteration"),
                        ("wavefront", "us")):
        for np_ in (1, 2):
            def cell(variant):
                vals = [get(bench, variant, np_, w) for w in (1, 2)]
                return " / ".join(f"{v['us_per_iter']:.0f}" if v else "-" for v in vals)
            bsp = cell("mpi-bsp")
            hid = [get(bench, "weft+mpi", np_, w) for w in (1, 2)]
            note = f"bulk-synchronous {bsp}"
            if any(h and "hidden_share" in h for h in hid):
                note += "; weft hides " + " / ".join(
                    f"{100 * h['hidden_share']:.0f}%" if h and "hidden_share" in h else "-"
                    for h in hid) + " of its communication"
            line("mpi", f"{bench} np={np_} (1 / 2 workers per rank)", unit,
                 weft=cell("weft+mpi"), omp=cell("mpi+omp-tasks"), note=note)
    for r in rows:
        if r["bench"] == "latency" and r["variant"] != "mpi-recv":
            line("mpi", f"message to task ({r['variant']}, {r['workers']} w)", "us median",
                 weft=f"{r['median_us']:.0f}", note=f"p90 {r['p90_us']:.0f} us")
