#!/usr/bin/env python3
"""Draws a weft trace (Chrome Trace Event JSON from weft_trace_write or
pool.trace() in JavaScript) as an SVG timeline, for docs and for machines
without a browser. Standard library only.

  scripts/trace_svg.py TRACE.json OUT.svg [--width 1200] [--title T]
                       [--from US] [--to US]

One lane per track (worker, then threads outside the pool). Tasks are
boxes coloured by name, nested tasks stacked below their parent inside the
lane; sleeps are grey hatched boxes; a steal is a red tick on the thief's
lane with a line from the victim's lane; submits are black ticks. A legend
lists the most frequent names. --from/--to cut a window (microseconds).
"""
import argparse
import colorsys
import hashlib
import json
import sys
from collections import Counter, defaultdict
from xml.sax.saxutils import escape


def colour(name):
    h = int(hashlib.md5(name.encode()).hexdigest()[:6], 16)
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360.0, 0.62, 0.55 + (h >> 9) % 30 / 100.0)
    return "#%02x%02x%02x" % (int(r * 255), int(g * 255), int(b * 255))


def load(path):
    with open(path) as f:
        doc = json.load(f)
    evs = doc["traceEvents"] if isinstance(doc, dict) else doc
    names = {}
    slices = defaultdict(list)   # tid -> (t0, t1, depth, name, cat)
    steals, submits = [], []
    stacks = defaultdict(list)
    for e in evs:
        ph, tid = e.get("ph"), e.get("tid", 0)
        if ph == "M" and e.get("name") == "thread_name":
            names[tid] = e["args"]["name"]
        elif ph == "B":
            stacks[tid].append(e)
        elif ph == "E" and stacks[tid]:
            b = stacks[tid].pop()
            slices[tid].append((b["ts"], e["ts"], len(stacks[tid]), b.get("name", "?"),
                                b.get("cat", "")))
        elif ph == "X":
            slices[tid].append((e["ts"], e["ts"] + e.get("dur", 0), 0, e.get("name", "?"),
                                e.get("cat", "")))
        elif ph == "i" and e.get("name") == "steal":
            steals.append((e["ts"], tid, e.get("args", {}).get("victim")))
        elif ph == "i" and e.get("name") == "submit":
            submits.append((e["ts"], tid))
    return doc, names, slices, steals, submits


def render(path, out, width, title, t_from, t_to):
    doc, names, slices, steals, submits = load(path)
    tids = sorted(set(names) | set(slices) | {t for _, t, _ in steals} | {t for _, t in submits})
    # Only tracks with something on them (the outside track often is empty).
    tids = [t for t in tids if slices.get(t) or any(s[1] == t for s in submits)
            or any(s[1] == t for s in steals)] or tids
    allts = [s[0] for v in slices.values() for s in v] + [s[1] for v in slices.values() for s in v]
    allts += [s[0] for s in steals] + [s[0] for s in submits]
    if not allts:
        sys.exit(f"{path}: no events to draw")
    lo = t_from if t_from is not None else min(allts)
    hi = t_to if t_to is not None else max(allts)
    if hi <= lo:
        hi = lo + 1
    maxdepth = {t: max((s[2] for s in slices.get(t, [])), default=0) for t in tids}
    row_h = 14
    label_w = 150
    plot_w = width - label_w - 20
    lane_h = {t: row_h * (min(maxdepth[t], 7) + 1) + 8 for t in tids}
    top = 40
    y0 = {}
    y = top
    for t in tids:
        y0[t] = y
        y += lane_h[t] + 6
    counts = Counter(s[3] for v in slices.values() for s in v if s[4] != "idle")
    legend = counts.most_common(12)
    height = y + 30 + 18 * ((len(legend) + 3) // 4)

    def X(ts):
        return label_w + (min(max(ts, lo), hi) - lo) / (hi - lo) * plot_w

    o = []
    o.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">')
    o.append('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern></defs>')
    o.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    other = doc.get("otherData", {}) if isinstance(doc, dict) else {}
    dropped = sum(other.get("dropped", []) or [0])
    head = title or f"weft trace: {path.split('/')[-1]}"
    sub = f"{(hi - lo) / 1000:.3f} ms shown; level {other.get('level', '?')}"
    if dropped:
        sub += f"; {dropped} events dropped (ring full)"
    o.append(f'<text x="10" y="16" font-size="13" font-weight="bold">{escape(head)}</text>')
    o.append(f'<text x="10" y="31" fill="#555">{escape(sub)}</text>')
    # time axis ticks
    for k in range(11):
        tx = label_w + plot_w * k / 10
        o.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{y}" stroke="#f0f0f0"/>')
        o.append(f'<text x="{tx:.1f}" y="{y + 12}" text-anchor="middle" fill="#777">'
                 f'{(hi - lo) * k / 10 / 1000:.2f} ms</text>')
    for t in tids:
        yy = y0[t]
        o.append(f'<rect x="{label_w}" y="{yy}" width="{plot_w}" height="{lane_h[t]}" '
                 f'fill="#fafafa" stroke="#ddd"/>')
        o.append(f'<text x="8" y="{yy + lane_h[t] / 2 + 4}">{escape(names.get(t, f"track {t}"))}</text>')
        # Sleeps first (behind), then tasks, shallow before deep.
        for (a, b, d, n, c) in sorted(slices.get(t, []), key=lambda s: (s[4] != "idle", s[2])):
            if b < lo or a > hi:
                continue
            x1, x2 = X(a), X(b)
            w = max(x2 - x1, 0.6)
            dd = min(d, 7)
            ry = yy + 4 + dd * row_h
            if c == "idle":
                o.append(f'<rect x="{x1:.2f}" y="{yy + 2}" width="{w:.2f}" height="{lane_h[t] - 4}" '
                         f'fill="url(#hatch)"><title>sleep {(b - a):.1f} us</title></rect>')
                continue
            o.append(f'<rect x="{x1:.2f}" y="{ry}" width="{w:.2f}" height="{row_h - 2}" '
                     f'fill="{colour(n)}" stroke="#0003" stroke-width="0.3">'
                     f'<title>{escape(n)} ({escape(c)}) {(b - a):.3f} us</title></rect>')
            if w > 7 * len(n) and w > 30:
                o.append(f'<text x="{x1 + 2:.2f}" y="{ry + row_h - 5}" font-size="9">{escape(n)}</text>')
    for (ts, thief, victim) in steals:
        if ts < lo or ts > hi or thief not in y0:
            continue
        x = X(ts)
        yt = y0[thief]
        o.append(f'<line x1="{x:.2f}" y1="{yt}" x2="{x:.2f}" y2="{yt + lane_h[thief]}" '
                 f'stroke="#d00" stroke-width="1"/>')
        if victim in y0:
            yv = y0[victim] + lane_h[victim] / 2
            o.append(f'<line x1="{x:.2f}" y1="{yv:.1f}" x2="{x:.2f}" y2="{yt + lane_h[thief] / 2:.1f}" '
                     f'stroke="#d00" stroke-width="0.8" stroke-dasharray="2,2" opacity="0.7"/>')
    for (ts, tid) in submits:
        if ts < lo or ts > hi or tid not in y0:
            continue
        x = X(ts)
        o.append(f'<path d="M{x - 4:.2f},{y0[tid]} L{x + 4:.2f},{y0[tid]} L{x:.2f},{y0[tid] + 7} Z" '
                 f'fill="black"><title>submit</title></path>')
    ly = y + 28
    items = [(n, colour(n)) for n, _ in legend] + [("sleep", "url(#hatch)"), ("steal", "#d00")]
    for i, (n, c) in enumerate(items):
        lx = 10 + (i % 4) * (width - 20) / 4
        yy = ly + 18 * (i // 4)
        o.append(f'<rect x="{lx:.1f}" y="{yy - 9}" width="12" height="10" fill="{c}" stroke="#0003"/>')
        o.append(f'<text x="{lx + 16:.1f}" y="{yy}">{escape(n)}</text>')
    o.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--title", default=None)
    ap.add_argument("--from", dest="t_from", type=float, default=None, help="window start, us")
    ap.add_argument("--to", dest="t_to", type=float, default=None, help="window end, us")
    a = ap.parse_args()
    render(a.trace, a.out, a.width, a.title, a.t_from, a.t_to)


if __name__ == "__main__":
    main()
