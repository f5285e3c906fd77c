#!/usr/bin/env python3
"""SVG plots of bench/run.py's JSON lines (matplotlib, Debian's
python3-matplotlib; scripts/setup.sh installs it).

  PREFIX-forkjoin.svg  fork-join: median ms per workload, every runtime at
                       each worker count (log scale: the peers span 1000x)
  PREFIX-graph.svg     task graphs: million nodes per second running a built
                       graph, per graph and runtime (log scale)
  PREFIX-js.svg        JavaScript: tasks per second of weft.wasm against
                       piscina and a postMessage pool (log scale)

run.py calls write_plots(rows, PREFIX) after writing its JSON lines (PREFIX =
the --out file without .jsonl); by hand:

  python3 bench/plots.py bench/results/latest.jsonl [PREFIX]

A plot whose suite has no rows is not written. Returns / prints the files.
"""

import json
import os
import sys

# one colour per runtime, the same in every plot
COLORS = {"seq": "#7f7f7f", "weft": "#1f77b4", "weft-struct": "#6baed6", "weft-cpp": "#08519c",
          "weft-clang": "#9ecae1", "omp": "#d62728", "omp-clang": "#ff9896", "tbb": "#2ca02c"}
LABELS = {"seq": "sequential", "weft": "weft (C, WEFT_TASK_n)", "weft-struct": "weft (WEFT_SPAWN)",
          "weft-cpp": "weft (C++ weft.hpp)", "weft-clang": "weft (clang)",
          "omp": "OpenMP (gcc)", "omp-clang": "OpenMP (clang)", "tbb": "oneTBB"}
ORDER = list(COLORS)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def _grouped(ax, groups, series, value, label_of):
    """Bars: one group per entry of `groups`, one bar per series in it."""
    width = 0.8 / max(1, len(series))
    for i, s in enumerate(series):
        xs, ys = [], []
        for g, name in enumerate(groups):
            v = value(name, s)
            if v:
                xs.append(g - 0.4 + width * (i + 0.5))
                ys.append(v)
        if xs:
            color, hatch = label_of(s)
            ax.bar(xs, ys, width, label=s[2], color=color, hatch=hatch, edgecolor="white",
                   linewidth=0.5)
    ax.set_xticks(range(len(groups)))


def _series(rows, impl_key="impl"):
    """(impl, workers, label) for every runtime and worker count present."""
    found = {(r[impl_key], r["workers"]) for r in rows}
    out = []
    for impl in ORDER + sorted({i for i, _ in found} - set(ORDER)):
        for w in sorted(w for i, w in found if i == impl):
            wl = "" if impl == "seq" else f", {w} worker{'s' if w > 1 else ''}"
            out.append((impl, w, LABELS.get(impl, impl) + wl))
    return out


def _style(series):
    """Colour by runtime; hatching marks the larger worker counts."""
    ws = sorted({s[1] for s in series})

    def style(s):
        return COLORS.get(s[0], "#bcbd22"), ("" if s[1] == ws[0] else "//")
    return style


def _num(v):
    """1.5, 20, 300, 4k, 5.6M: short labels for ticks and bars."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div * 10 or (v >= div and suffix != "k"):
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}" if v < 1000 else f"{v:.0f}"


def _log_axis(ax, which, lo, hi):
    """Log scale on ax's `which` axis ("x" or "y") from lo to hi, with short
    plain labels: 1-2-5 ticks over a few decades, decades only beyond."""
    import math
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    (ax.set_xlim if which == "x" else ax.set_ylim)(lo, hi)
    axis = ax.xaxis if which == "x" else ax.yaxis
    subs = (1.0, 2.0, 5.0) if math.log10(hi / lo) <= 4 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: _num(v)))
    axis.set_minor_formatter(NullFormatter())


def _legend_below(fig, axes, series):
    """One legend under the plots, as many columns as the width allows;
    returns its number of rows."""
    ncol = max(1, int(fig.get_figwidth() / 2.7))
    handles = {}
    for ax in axes:
        for h, l in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(l, h)
    labels = [s[2] for s in series if s[2] in handles]
    fig.legend([handles[l] for l in labels], labels, loc="lower center", ncol=ncol,
               frameon=False, fontsize=8)
    return (len(labels) + ncol - 1) // ncol


def forkjoin_plot(rows, path, plt):
    rows = [r for r in rows if r.get("suite") == "forkjoin" and r.get("median_ms")
            and r.get("bench") != "idle" and "error" not in r]
    if not rows:
        return None
    benches = list(dict.fromkeys(r["bench"] for r in rows))
    series = _series(rows)
    style = _style(series)
    width = max(6.0, 2.6 * len(benches) + 0.8)
    legend_rows = -(-len(series) // max(1, int(width / 2.7)))
    fig, axes = plt.subplots(1, len(benches), figsize=(width, 3.4 + 0.22 * legend_rows),
                             squeeze=False)
    for ax, bench in zip(axes[0], benches):
        br = [r for r in rows if r["bench"] == bench]
        by = {(r["impl"], r["workers"]): r["median_ms"] for r in br}
        vals = [v for v in by.values() if v]
        for i, s in enumerate(series):
            v = by.get((s[0], s[1]))
            if v:
                color, hatch = style(s)
                ax.bar(i, v, 0.8, color=color, hatch=hatch, edgecolor="white", linewidth=0.5,
                       label=s[2])
                ax.text(i, v, _num(v), ha="center", va="bottom", fontsize=6, rotation=90)
        seq = by.get(("seq", 1))
        if seq:
            ax.axhline(seq, color=COLORS["seq"], linestyle=":", linewidth=0.8)
        _log_axis(ax, "y", min(vals) / 2, max(vals) * 4)
        ax.set_xticks([])
        ax.set_title(f"{bench}({br[0]['n']})")
        ax.grid(axis="y", which="major", alpha=0.3)
    axes[0][0].set_ylabel("median ms (log scale, lower is better)")
    n = _legend_below(fig, axes[0], series)
    fig.suptitle("Fork-join: a spawn per recursive call; dotted: sequential; hatched: "
                 f"{max(s[1] for s in series)} workers", fontsize=10)
    fig.tight_layout(rect=(0, (0.2 * n + 0.1) / fig.get_figheight(), 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def graph_plot(rows, path, plt):
    rows = [r for r in rows if r.get("suite") == "graph" and r.get("phase") == "run"
            and r.get("nodes_per_s") and "error" not in r]
    if not rows:
        return None
    benches = list(dict.fromkeys(r["bench"] for r in rows))
    series = _series(rows)
    by = {(r["bench"], r["impl"], r["workers"]): r["nodes_per_s"] / 1e6 for r in rows}
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(benches) + 1), 4.2))
    _grouped(ax, benches, series, lambda b, s: by.get((b, s[0], s[1])), _style(series))
    ax.set_xticklabels([f"{b}\n({next(r['n'] for r in rows if r['bench'] == b)} nodes)"
                        for b in benches])
    vals = [v for v in by.values() if v]
    _log_axis(ax, "y", min(vals) / 2, max(vals) * 2)
    ax.set_ylabel("million nodes / s (log, higher is better)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Task graphs: running an already built graph; hatched: "
                 f"{max(s[1] for s in series)} workers", fontsize=10)
    n = _legend_below(fig, [ax], series)
    fig.tight_layout(rect=(0, (0.2 * n + 0.1) / fig.get_figheight(), 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def js_plot(rows, path, plt):
    rows = [r for r in rows if r.get("suite") == "js" and isinstance(r.get("tasks_per_s"),
                                                                      (int, float))
            and r.get("name")]
    if not rows:
        return None
    scripts = list(dict.fromkeys(r.get("script", "") for r in rows))
    titles = {"throughput.mjs": "independent tiny tasks", "chain.mjs": "chains of dependent tasks"}
    fig, axes = plt.subplots(len(scripts), 1, figsize=(7.5, 1.0 + 0.42 * len(rows)),
                             squeeze=False)
    for ax, script in zip(axes[:, 0], scripts):
        sr = [r for r in rows if r.get("script", "") == script]
        names = [str(r["name"]) for r in sr]
        vals = [r["tasks_per_s"] for r in sr]
        colors = [COLORS["weft"] if n.startswith("weft") else
                  "#ff7f0e" if n.startswith("piscina") else "#9467bd" for n in names]
        ax.barh(range(len(sr)), vals, color=colors)
        ax.set_yticks(range(len(sr)))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        _log_axis(ax, "x", min(vals) / 2, max(vals) * 8)
        for i, v in enumerate(vals):
            ax.text(v, i, " " + _num(v), va="center", fontsize=7)
        w = sr[0].get("workers")
        ax.set_title(f"{titles.get(script, script)} ({w} workers)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[-1][0].set_xlabel("tasks per second (log scale, higher is better)")
    fig.suptitle("JavaScript in Node: weft.wasm vs piscina and a postMessage pool")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_plots(rows, prefix):
    """Writes PREFIX-{forkjoin,graph,js}.svg for the suites present in rows.
    Returns the paths written; raises ImportError without matplotlib."""
    plt = _pyplot()
    out = []
    for name, fn in (("forkjoin", forkjoin_plot), ("graph", graph_plot), ("js", js_plot)):
        p = fn(rows, f"{prefix}-{name}.svg", plt)
        if p:
            out.append(p)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) == 3 else os.path.splitext(src)[0]
    with open(src) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for p in write_plots(rows, prefix):
        print(p)


if __name__ == "__main__":
    main()
