#!/usr/bin/env python3
"""Checks traces written by weft_trace_write (test/trace_runs.c, js tests).

  check_trace.py DIR            every line of DIR/expect.jsonl
  check_trace.py FILE.json ...  structure only

Structure: the file parses as JSON (Python's own parser); on every track
each "E" closes a "B" of the same track, properly nested, with timestamps
that never go back; every flow end has its start. Against expect.jsonl
(counts from weft_pool_stats and from the scenario itself): root jobs,
steals, sleeps, fork-join tasks (fine level), graph nodes and launched
tasks, drop counts and names.
"""
import json
import os
import sys
from collections import Counter, defaultdict


def fail(msg):
    print("check_trace: FAIL:", msg)
    sys.exit(1)


def structure(path):
    with open(path) as f:
        doc = json.load(f)
    evs = doc.get("traceEvents")
    if not isinstance(evs, list):
        fail(f"{path}: no traceEvents list")
    stacks = defaultdict(list)
    last_ts = {}
    flows_s, flows_f = set(), set()
    for e in evs:
        ph, tid = e.get("ph"), e.get("tid")
        if ph in ("B", "E"):
            ts = e["ts"]
            if ts < last_ts.get(tid, 0):
                fail(f"{path}: track {tid} goes back in time at {e}")
            last_ts[tid] = ts
            if ph == "B":
                stacks[tid].append(e)
            elif not stacks[tid]:
                fail(f"{path}: track {tid}: an end with no begin at ts {ts}")
            else:
                b = stacks[tid].pop()
                if b["ts"] > ts:
                    fail(f"{path}: track {tid}: ends before it begins: {b}")
        elif ph == "s":
            flows_s.add(e["id"])
        elif ph == "f":
            flows_f.add(e["id"])
    for tid, st in stacks.items():
        if st:
            fail(f"{path}: track {tid}: {len(st)} begins never end")
    missing = flows_f - flows_s
    if missing:
        fail(f"{path}: {len(missing)} flow ends without a start")
    return doc, evs


def check(dirpath, exp):
    path = os.path.join(dirpath, exp["file"])
    doc, evs = structure(path)
    other = doc["otherData"]
    if other["level"] != exp["level"]:
        fail(f"{path}: level {other['level']} != {exp['level']}")
    if other["workers"] != exp["workers"]:
        fail(f"{path}: workers {other['workers']} != {exp['workers']}")
    dropped = sum(other["dropped"])
    if dropped != exp["dropped"]:
        fail(f"{path}: dropped {dropped} != weft_trace_counts {exp['dropped']}")
    begins = [e for e in evs if e["ph"] == "B"]
    cats = Counter(e.get("cat") for e in begins)
    steals = sum(1 for e in evs if e["ph"] == "i" and e["name"] == "steal")
    # graph nodes: one slice each, or stretches whose end says how many ran
    nodes = cats["node"] + sum(e.get("args", {}).get("nodes", 0) for e in evs if e["ph"] == "E")
    names = {e["name"] for e in begins}
    for n in exp.get("names", []) if not dropped else []:
        if n not in names:
            fail(f"{path}: no task named {n!r} (names: {sorted(names)[:20]})")
    if exp["file"].startswith("fib_drops"):
        if dropped == 0:
            fail(f"{path}: a 16-event ring dropped nothing")
        print(f"ok {exp['file']}: {len(evs)} events, {dropped} dropped, still nested")
        return
    if dropped:
        fail(f"{path}: {dropped} events dropped; the scenario's ring should hold them all")
    if cats["job"] != exp["roots"]:
        fail(f"{path}: {cats['job']} root jobs traced, stats say {exp['roots']}")
    if steals != exp["steals"]:
        fail(f"{path}: {steals} steals traced, stats say {exp['steals']}")
    if cats["stolen"] > exp["steals"]:
        fail(f"{path}: {cats['stolen']} stolen tasks > {exp['steals']} steals")
    sl = cats["idle"]
    if not exp["sleeps"] - 2 * exp["workers"] <= sl <= exp["sleeps"]:
        fail(f"{path}: {sl} sleeps traced, stats say {exp['sleeps']}")
    if "spawns" in exp and exp["level"] == "fine":
        fj = cats["task"] + cats["stolen"] + cats["overflow"]
        if fj != exp["spawns"]:
            fail(f"{path}: {fj} fork-join tasks traced, stats say {exp['spawns']} spawns")
    if "nodes" in exp and nodes != exp["nodes"]:
        fail(f"{path}: {nodes} graph nodes traced, expected {exp['nodes']}")
    if exp["level"] == "fine" and "nodes" in exp and cats["node"] != exp["nodes"]:
        fail(f"{path}: fine level: {cats['node']} node slices, expected {exp['nodes']}")
    if "launched" in exp and cats["launched"] != exp["launched"]:
        fail(f"{path}: {cats['launched']} launched tasks traced, expected {exp['launched']}")
    print(f"ok {exp['file']}: {len(evs)} events; {dict(cats)}; steals {steals}")


def svg_check(dirpath):
    """scripts/trace_svg.py draws a real trace: well-formed SVG, one lane
    per worker, a box per traced node."""
    import subprocess
    import xml.dom.minidom
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(os.path.dirname(here), "scripts", "trace_svg.py")
    src, out = os.path.join(dirpath, "graph_fine.json"), os.path.join(dirpath, "graph_fine.svg")
    subprocess.run([sys.executable, script, src, out], check=True)
    doc = xml.dom.minidom.parse(out)
    texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
    if "worker 0" not in texts or "worker 1" not in texts:
        fail(f"{out}: no lane per worker ({texts[:8]})")
    with open(src) as f:
        nodes = sum(1 for e in json.load(f)["traceEvents"] if e.get("ph") == "B" and e.get("cat") == "node")
    titled = [t.firstChild.data for t in doc.getElementsByTagName("title") if t.firstChild]
    boxes = sum(1 for t in titled if "(node)" in t)
    if boxes != nodes:
        fail(f"{out}: {boxes} node boxes for {nodes} node slices")
    print(f"ok {out}: {boxes} node boxes, lanes {[t for t in texts if t.startswith('worker')]}")


def main():
    args = sys.argv[1:]
    if len(args) == 1 and os.path.isdir(args[0]):
        with open(os.path.join(args[0], "expect.jsonl")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        if not lines:
            fail("expect.jsonl is empty")
        for exp in lines:
            check(args[0], exp)
        svg_check(args[0])
    else:
        for p in args:
            structure(p)
            print(f"ok {p}")


if __name__ == "__main__":
    main()
