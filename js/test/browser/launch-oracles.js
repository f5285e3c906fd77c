// Oracles of the launched-task tests, shared by the Node suite
// (launch.test.mjs) and the browser suite.

// A random DAG of n nodes: node k lists up to `per` distinct earlier nodes
// (seeded xorshift). With eventEvery, every such node is an event (no
// prerequisites). Returns { preds: [[...]], event: [bool] }.
export function randomDag(n, per, seed, eventEvery = 9) {
  let s = (seed * 2654435761) >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
  const preds = [], event = [];
  for (let k = 0; k < n; k++) {
    const ev = eventEvery > 0 && k % eventEvery === 4;
    event.push(ev);
    const ps = new Set();
    if (!ev && k > 0) {
      const m = rnd() % (per + 1);
      for (let j = 0; j < m; j++) ps.add(rnd() % k);
    }
    preds.push([...ps]);
  }
  return { preds, event };
}

// Every node ran (start > 0, JS nodes exactly once: counts), and after every
// prerequisite had ended: end(p) < start(k). Throws on the first violation.
export function checkStamps(dag, seq, counts, counted) {
  const n = dag.preds.length;
  for (let k = 0; k < n; k++) {
    const start = seq[1 + 2 * k];
    if (!(start > 0)) throw new Error(`node ${k} never ran`);
    if (counted(k) && counts[k] !== 1) throw new Error(`node ${k} ran ${counts[k]} times`);
    for (const p of dag.preds[k])
      if (!(seq[2 + 2 * p] < start)) throw new Error(`node ${k} started (${start}) before its prerequisite ${p} ended (${seq[2 + 2 * p]})`);
  }
}

// Pipe members (node ids in launch order): each started after the previous
// one ended.
export function checkPipe(seq, nodes) {
  for (let i = 1; i < nodes.length; i++) {
    const a = nodes[i - 1], b = nodes[i];
    if (!(seq[2 + 2 * a] < seq[1 + 2 * b])) throw new Error(`pipe members ${a} and ${b} overlap or are out of order`);
  }
}
