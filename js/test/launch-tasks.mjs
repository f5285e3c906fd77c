// JavaScript tasks for the launched-task tests (launch.test.mjs and the
// browser suite): every exported function is a task.

// Tickets from the counter seq[0] at the start (seq[1 + 2 node]) and at the
// end (seq[2 + 2 node]) with `spin` rounds between; counts[node] counts the
// runs (each must run exactly once). The twin of the C task 'stamp'.
export function lstamp(ctx, seq, counts, node, spin) {
  Atomics.add(counts, node, 1);
  const start = Atomics.add(seq, 0, 1) + 1;
  let x = 0;
  for (let i = 0; i < spin; i++) x += i;
  Atomics.store(seq, 1 + 2 * node, start);
  Atomics.store(seq, 2 + 2 * node, Atomics.add(seq, 0, 1) + 1);
  return x >= 0 ? node : -1;
}

// A pipe member: fails loudly if another member runs at the same time
// (busy[0]), and records its start order: order[k] = ticket.
export function member(ctx, busy, order, k, spin) {
  if (Atomics.compareExchange(busy, 0, 0, 1) !== 0) throw new Error(`member ${k} overlaps another`);
  order[k] = Atomics.add(busy, 1, 1) + 1;
  let x = 0;
  for (let i = 0; i < spin; i++) x += i;
  Atomics.store(busy, 0, 0);
  return x >= 0 ? k : -1;
}

export function lthrow(ctx, n) {
  throw new RangeError(`lthrow ${n}`);
}

export function ladd(ctx, a, b) {
  return a + b;
}

// Launches n tasks from inside this task, keeping every handle, while each
// of them launches a task of its own. Past the throttle (a worker 256
// launches ahead of its completions runs ready tasks inside its next
// launch) their launches happen inside this task's, on the same worker's
// launch block: each handle must still name its own task. Returns how many
// results were right.
export function relaunch(ctx, n) {
  const hs = new Array(n);
  for (let k = 0; k < n; k++) hs[k] = ctx.launch('relaunch_inner', k);
  let ok = 0;
  for (let k = 0; k < n; k++) {
    if (ctx.wait(hs[k]) === k) ok++;
    hs[k].release();
  }
  return ok;
}

export function relaunch_inner(ctx, k) {
  ctx.launch('ladd', k, 1).release();
  return k;
}

// Launches the DAG given by preds (per entries per node, n = preds.length / per: indices of earlier
// nodes, -1 none) from inside this task: node k runs C 'stamp' (k odd) or
// 'lstamp'; every 7th node goes into a pipe as well; every 11th waits for an
// event that a later node's launch triggers from here. Waits for every node
// with ctx.wait (never blocking the worker), releases, returns n.
export function launch_dag(ctx, seq, counts, preds, per, spin) {
  const n = preds.length / per;
  const hs = new Array(n);
  const pipe = ctx.pipe();
  const evs = [];
  for (let k = 0; k < n; k++) {
    const after = [];
    for (let j = 0; j < per; j++) {
      const p = preds[k * per + j];
      if (p >= 0) after.push(hs[p]);
    }
    if (k % 11 === 5) {
      const ev = ctx.event(`ev${k}`);
      after.push(ev);
      evs.push(ev);
    }
    const o = { after };
    if (k % 7 === 3) o.pipe = pipe;
    hs[k] = k % 2 ? ctx.launch('stamp', seq, k, spin, o) : ctx.launch('lstamp', seq, counts, k, spin, o);
    if (k % 13 === 12 && evs.length) evs.shift().trigger();
  }
  for (const ev of evs) ev.trigger();
  let s = 0;
  for (let k = n - 1; k >= 0; k--) {
    const r = ctx.wait(hs[k]);
    if (k % 2 === 0 && r !== k) throw new Error(`node ${k}: result ${r}`);
    s++;
  }
  for (const h of hs) h.release();
  pipe.destroy();
  return s;
}

// Launches `n` children (lstamp over seq nodes base..base+n-1) with
// options.child: this task completes only when they have.
export function parent(ctx, seq, counts, base, n) {
  for (let i = 0; i < n; i++) ctx.launch('lstamp', seq, counts, base + i, 2000, { child: true }).release();
  return n;
}

// Launches a task that fails and waits for it: ctx.wait throws an error
// naming it, which this task reports as its result (1 if right).
export function waits_for_failure(ctx) {
  const a = ctx.launch('fail', 9);
  const b = ctx.launch('ladd', 1, 2, { after: a });
  let ok = 0;
  try {
    ctx.wait(b);
  } catch (e) {
    if (e.code === 'ECANCELED' && e.origin.task === 'fail' && e.origin.status === 9) ok = 1;
  }
  a.release();
  b.release();
  return ok;
}

// A launched task that spawns: jfib-like recursion, spawns joined by sync.
export function lfib(ctx, n) {
  if (n < 2) return n;
  ctx.spawn('lfib', n - 1);
  const b = lfib(ctx, n - 2);
  return ctx.sync() + b;
}

// Spawns a child that throws and never syncs it: the launched task fails
// with the child's error.
export function spawns_thrower(ctx) {
  ctx.spawn('lthrow', 3);
  return 1;
}

// Waits for a main-thread handle passed as (lo, hi): returns its result + 1.
export function waits_handle(ctx, lo, hi) {
  return ctx.wait(ctx.handle(lo, hi)) + 1;
}

// A wavefront of C cells (n x n) launched in bulk (ctx.launchMany): cell k
// = (i, j) after (i-1, j) and (i, j-1); 'wf_cell' computes its hash. The
// cells are this task's children: it completes after the last one.
export function wavefront(ctx, grid, n, after) {
  ctx.launchMany('wf_cell', n * n, after, 2, grid, n).release();
  return n * n;
}

// The same launched one ctx.launch at a time, as children (handles released
// once both successors are launched).
export function wavefront_each(ctx, grid, n) {
  let prev = new Array(n);
  let cur = new Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const after = [];
      if (i > 0) after.push(prev[j]);
      if (j > 0) after.push(cur[j - 1]);
      cur[j] = ctx.launch('wf_cell', grid, n, i * n + j, { after, child: true });
      if (i > 0) prev[j].release();
    }
    [prev, cur] = [cur, prev];
  }
  for (let j = 0; j < n; j++) prev[j].release();
  return n * n;
}

// One link of the main-thread chain benchmark: the previous result + 1.
export function lstep(ctx, x) {
  return x + 1;
}

// v[i] = v[i - 1] + 1 (v[0] = 1): a link of a chain; a link that ran before
// its predecessor leaves a wrong value.
export function jlink(ctx, v, i) {
  v[i] = (i ? v[i - 1] : 0) + 1;
  return v[i];
}
