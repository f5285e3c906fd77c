// What the two loop targets of issue 11 can reach on this machine, measured
// beside weft and the message pool in one process, in interleaved rounds
// (each round times every configuration; a figure is the median over all
// rounds, so load from other processes hits all of them alike):
//
//  * tiny items from the main thread (a + b per item, batches of 256 and
//    10,000, all batches of a run started in one turn and awaited together):
//    weft pool.mapColumns (columns copied in, or views of the pool's
//    memory read in place); the postMessage pool (pairs transferred, column
//    copies transferred, or the columns on a SharedArrayBuffer and only
//    {lo, hi} in the message); and the ceiling: raw workers over a
//    SharedArrayBuffer, no pool, one Atomics.notify per batch.
//  * axpy and a sum over n doubles: the main thread's loop over constant
//    arrays, weft pool.for / pool.reduce, the message pool over shared
//    buffers, and the ceiling: raw workers, one Atomics.notify per run, the
//    loop over module-level constant arrays (V8's best code) or as a
//    function of its arrays; 1 raw worker and `workers` of them.
//
//   node bench/js/ceiling.mjs [workers] [n] [rounds]
// One JSON line per row, then a markdown table and the targets as ratios of
// this run's medians.
import { Worker } from 'node:worker_threads';
import { createPool } from '../../js/src/index.js';
import { TEST_WASM, median } from './browser/stats.js';
import { C, doneAt } from './raw_ctl.mjs';

const workers = +(process.argv[2] || 2);
const N = +(process.argv[3] || 1e7);
const ROUNDS = +(process.argv[4] || 7);
const ITEMS = 200000; // about: each batch size runs round(ITEMS / batch) whole batches
const nbOf = (batch) => Math.round(ITEMS / batch);
const BATCHES = [256, 10000];

// ------------------------------------------------------------ raw workers
const sab = (bytes) => new SharedArrayBuffer(bytes);
const ctlBuf = sab(4 * C.WORDS), resBuf = sab(8 * 64);
const ctl = new Int32Array(ctlBuf), res = new Float64Array(resBuf);
const rawA = sab(8 * ITEMS), rawB = sab(8 * ITEMS), rawOut = sab(8 * ITEMS);
const xs = sab(8 * N), ys = sab(8 * N);
const RA = new Float64Array(rawA), RB = new Float64Array(rawB), ROUT = new Float64Array(rawOut);
const RX = new Float64Array(xs), RY = new Float64Array(ys);
for (let i = 0; i < N; i++) RX[i] = (i % 1000) / 2;
let want = 0;
for (let i = 0; i < N; i++) want += (i % 1000) / 2;
const raw = Array.from({ length: workers }, (_, index) => new Worker(new URL('./raw_worker.mjs', import.meta.url), {
  workerData: { index, ctl: ctlBuf, res: resBuf, a: rawA, b: rawB, out: rawOut, xs, ys },
}));
await Promise.all(raw.map((w) => new Promise((r) => w.once('online', r))));
const ring = () => {
  Atomics.add(ctl, C.BELL, 1);
  Atomics.notify(ctl, C.BELL);
};
// A run of ITEMS items in batches: every batch published (one notify each),
// then one wait for all. copy: the columns are ordinary arrays given by the
// caller, copied in per batch, and the results copied out to the caller's
// arrays (what weft does for columns that are not views of its memory).
function rawItemsRun(batch, copy) {
  const nb = nbOf(batch);
  const a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
  const outs = Array.from({ length: nb }, () => new Float64Array(batch));
  if (!copy) for (let k = 0; k < nb; k++) { RA.set(a, k * batch); RB.set(one, k * batch); }
  return async () => {
    ctl[C.BATCH] = batch;
    ctl[C.NB] = nb;
    Atomics.store(ctl, C.OP, C.ITEMS);
    const start = Atomics.load(ctl, C.DONE);
    Atomics.store(ctl, C.TARGET, start + nb);
    const base = Atomics.load(ctl, C.PUB);
    for (let j = 0; j < nb; j++) {
      const k = (base + j) % nb;
      if (copy) { RA.set(a, k * batch); RB.set(one, k * batch); }
      Atomics.add(ctl, C.PUB, 1);
      Atomics.add(ctl, C.BELL, 1);
      Atomics.notify(ctl, C.BELL, 1);
    }
    await doneAt(ctl, start + nb);
    if (copy) for (let j = 0; j < nb; j++) { const k = (base + j) % nb; outs[k].set(ROUT.subarray(k * batch, (k + 1) * batch)); }
    if (ROUT[batch - 1] !== batch) throw new Error(`raw items: ${ROUT[batch - 1]}`);
  };
}
// One run of op over [0, N) in `parts` equal parts, one per raw worker.
function rawLoop(op, parts) {
  return async () => {
    ctl[C.PARTS] = parts;
    Atomics.store(ctl, C.OP, op);
    const start = Atomics.load(ctl, C.DONE);
    Atomics.store(ctl, C.TARGET, start + workers);
    Atomics.add(ctl, C.GEN, 1);
    ring();
    await doneAt(ctl, start + workers);
    if (op === C.SUM_CONST || op === C.SUM_ARGS) {
      let s = 0;
      for (let i = 0; i < parts; i++) s += res[i];
      if (s !== want) throw new Error(`raw sum ${s}`);
    }
  };
}

// ------------------------------------------------------------ message pool
// pm_worker.js (bench/js/browser): pairs transferred; column copies
// transferred; columns on shared buffers with {lo, hi}; axpy / sum over
// shared arrays.
const pmWs = Array.from({ length: workers }, () => new Worker(new URL('./browser/pm_worker.js', import.meta.url)));
let pmNext = 0, pmId = 0;
const pmPending = new Map();
for (const w of pmWs) w.on('message', (m) => { const p = pmPending.get(m.id); pmPending.delete(m.id); p(m); });
const pmSend = (msg, transfer, w = pmWs[pmNext++ % pmWs.length]) => new Promise((r) => {
  const id = pmId++;
  pmPending.set(id, r);
  w.postMessage({ id, ...msg }, transfer || []);
});
const pmA = sab(8 * ITEMS), pmB = sab(8 * ITEMS), pmOut = sab(8 * ITEMS);
await Promise.all(pmWs.map((w) => pmSend({ op: 'init', xs, ys, ca: pmA, cb: pmB, cout: pmOut }, null, w)));
function pmPairs(batch) {
  return async () => {
    const ps = [];
    for (let i = 0; i < nbOf(batch) * batch; i += batch) {
      const b = new Float64Array(2 * batch);
      for (let k = 0; k < batch; k++) { b[2 * k] = i + k; b[2 * k + 1] = 1; }
      ps.push(pmSend({ op: 'pairs', batch: b }, [b.buffer]));
    }
    const rs = await Promise.all(ps);
    if (rs[0].out[batch - 1] !== batch) throw new Error('pm pairs');
  };
}
function pmColumns(batch) {
  const a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
  return async () => {
    const ps = [];
    for (let i = 0; i < nbOf(batch) * batch; i += batch) {
      const ca = a.slice(), cb = one.slice();
      ps.push(pmSend({ op: 'cols-t', a: ca, b: cb }, [ca.buffer, cb.buffer]));
    }
    const rs = await Promise.all(ps);
    if (rs[0].out[batch - 1] !== batch) throw new Error('pm columns');
  };
}
function pmShared(batch, op = 'cols') {
  const a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
  const A = new Float64Array(pmA), B = new Float64Array(pmB), OUT = new Float64Array(pmOut);
  for (let i = 0; i < nbOf(batch) * batch; i += batch) { A.set(a, i); B.set(one, i); }
  return async () => {
    const ps = [];
    for (let i = 0; i < nbOf(batch) * batch; i += batch) ps.push(pmSend({ op, lo: i, hi: i + batch }));
    await Promise.all(ps);
    if (OUT[batch - 1] !== batch) throw new Error('pm shared');
  };
}
const bounds = (c) => Array.from({ length: c }, (_, k) => [Math.floor((k * N) / c), Math.floor(((k + 1) * N) / c)]);
const pmLoop = (op, c) => async () => {
  const rs = await Promise.all(bounds(c).map(([lo, hi]) => pmSend({ op, lo, hi, a: 0.5 })));
  if (op === 'sum' && rs.reduce((s, m) => s + m.r, 0) !== want) throw new Error('pm sum');
};

// ------------------------------------------------------------ weft
const pool = await createPool({ workers, wasm: TEST_WASM, tasks: new URL('./loop_tasks.mjs', import.meta.url) });
const px = pool.alloc(Float64Array, N), py = pool.alloc(Float64Array, N);
px.set(RX);
// The same batches as pool.for over a chunk task that loops by hand
// (add_cols), the columns in the pool's memory: what weft's loop API gives
// a message pool's hand-written batch loop to compare with.
function weftForColumns(batch) {
  const nb = nbOf(batch);
  const pa = pool.alloc(Float64Array, batch), pb = pool.alloc(Float64Array, batch);
  for (let i = 0; i < batch; i++) { pa[i] = i; pb[i] = 1; }
  const outs = Array.from({ length: nb }, () => pool.alloc(Float64Array, batch));
  return async () => {
    const ps = [];
    for (let k = 0; k < nb; k++) ps.push(pool.for('add_cols', 0, batch, undefined, pa, pb, outs[k]));
    await Promise.all(ps);
    if (outs[nb - 1][batch - 1] !== batch) throw new Error('weft for columns');
  };
}
function weftColumns(batch, inPool) {
  const nb = nbOf(batch);
  let a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
  let outs = Array.from({ length: nb }, () => new Float64Array(batch));
  if (inPool) {
    const pa = pool.alloc(Float64Array, batch), pb = pool.alloc(Float64Array, batch);
    pa.set(a);
    pb.set(one);
    a = pa;
    one = pb;
    outs = outs.map(() => pool.alloc(Float64Array, batch));
  }
  return async () => {
    const ps = [];
    for (let k = 0; k < nb; k++) ps.push(pool.mapColumns('jadd', [a, one], { out: outs[k] }));
    await Promise.all(ps);
    if (outs[nb - 1][batch - 1] !== batch) throw new Error('weft columns');
  };
}
const seqAxpy = () => { for (let i = 0; i < N; i++) RY[i] += 0.5 * RX[i]; };
const seqSum = () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += RX[i];
  if (s !== want) throw new Error('seq sum');
};

// ------------------------------------------------------------ the table
// role: what the verdict below compares.
const configs = [];
const add = (bench, role, name, fn, items) => configs.push({ bench, role, name, fn, items, ts: [] });
for (const b of BATCHES) {
  const bench = `tiny items, batches of ${b}`;
  const items = nbOf(b) * b;
  add(bench, 'weft-copy', 'weft mapColumns, columns copied in/out', weftColumns(b, false), items);
  add(bench, 'weft-pool', 'weft mapColumns, columns in the pool\'s memory', weftColumns(b, true), items);
  add(bench, 'weft-pool', 'weft pool.for per batch, a chunk task looping over the columns (in the pool\'s memory)', weftForColumns(b), items);
  add(bench, 'pm-copy', 'postMessage pool, pairs built and transferred', pmPairs(b), items);
  add(bench, 'pm-copy', 'postMessage pool, column copies transferred', pmColumns(b), items);
  add(bench, 'pm-shared', 'postMessage pool, columns on a SharedArrayBuffer, {lo, hi} per message', pmShared(b), items);
  add(bench, 'pm-shared', 'postMessage pool, the same, its loop over constant arrays', pmShared(b, 'cols-c'), items);
  add(bench, 'raw-copy', 'raw workers, columns copied in/out (ceiling with copies)', rawItemsRun(b, true), items);
  add(bench, 'raw-pool', 'raw workers, columns in place on the SharedArrayBuffer (ceiling)', rawItemsRun(b, false), items);
}
const CHUNKS = [workers, 4 * workers, 16 * workers];
for (const [bench, ops] of [['axpy', [C.AXPY_CONST, C.AXPY_ARGS]], ['sum', [C.SUM_CONST, C.SUM_ARGS]]]) {
  add(bench, 'seq', 'sequential loop on the main thread (constant arrays)', bench === 'axpy' ? seqAxpy : seqSum, N);
  if (bench === 'axpy') {
    add(bench, 'weft-js', 'weft pool.for (JavaScript chunk task)', () => pool.for('axpy', 0, N, undefined, 0.5, px, py), N);
    add(bench, 'weft-c', 'weft pool.for (C chunk task)', () => pool.for('caxpy', 0, N, undefined, 0.5, px, py), N);
  } else {
    add(bench, 'weft-js', 'weft pool.reduce (JavaScript chunk task)', async () => {
      if ((await pool.reduce('sum', 0, N, undefined, px)) !== want) throw new Error('weft sum');
    }, N);
    add(bench, 'weft-c', 'weft pool.reduce (C chunk task)', async () => {
      if ((await pool.reduce('csum', 0, N, undefined, px)) !== want) throw new Error('weft csum');
    }, N);
  }
  for (const c of CHUNKS) add(bench, 'pm', `postMessage pool, shared buffers, ${c} chunks`, pmLoop(bench, c), N);
  add(bench, 'raw-const-1', 'raw: 1 worker, constant arrays', rawLoop(ops[0], 1), N);
  add(bench, 'raw-const', `raw: ${workers} workers, constant arrays (ceiling)`, rawLoop(ops[0], workers), N);
  add(bench, 'raw-args-1', 'raw: 1 worker, arrays as arguments', rawLoop(ops[1], 1), N);
  add(bench, 'raw-args', `raw: ${workers} workers, arrays as arguments (ceiling for a function of its arrays)`, rawLoop(ops[1], workers), N);
}

const only = process.env.CEILING_ONLY ? new RegExp(process.env.CEILING_ONLY) : null;
const run = only ? configs.filter((c) => only.test(c.bench)) : configs;
// Two phases, the loops first: the message pool's transfers detach
// ArrayBuffers, and once any ArrayBuffer of a thread has been detached, V8
// (Node 20) compiles that thread's loops over constant typed arrays with
// checks again (the main thread's axpy 4.2 -> 14.6 ms): the sequential
// loop is timed before any transfer. In each phase every round runs every
// configuration in turn: a block of back-to-back runs, of which the first
// are not kept (the previous configuration's workers may still be settling,
// this one's asleep).
const BLOCK = (c) => (c.items === N ? 4 : 12), WARM = (c) => (c.items === N ? 1 : 4);
for (const phase of [run.filter((c) => c.items === N), run.filter((c) => c.items !== N)]) {
  for (const c of phase) for (let i = 0; i < 5; i++) await c.fn(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of phase) {
      for (let i = 0; i < BLOCK(c); i++) {
        const t0 = performance.now();
        await c.fn();
        if (i >= WARM(c)) c.ts.push(performance.now() - t0);
      }
    }
  }
}
const rows = run.map((c) => {
  const ms = median(c.ts);
  return { bench: c.bench, role: c.role, name: c.name, workers, items: c.items, median_ms: +ms.toFixed(3),
    tasks_per_s: Math.round(c.items / (ms / 1000)) };
});
for (const r of rows) console.log(JSON.stringify(r));
console.log(`\n${workers} workers, n = ${N}, about ${ITEMS} tiny items per run, medians over ${ROUNDS} interleaved rounds`);
console.log('| bench | implementation | median ms | M items/s |');
console.log('| --- | --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.bench} | ${r.name} | ${r.median_ms} | ${(r.tasks_per_s / 1e6).toFixed(1)} |`);
// The targets of issue 11, as ratios of this run's medians (time ratios).
const best = (bench, role) => {
  const rs = rows.filter((r) => r.bench === bench && r.role === role);
  return rs.length ? Math.min(...rs.map((r) => r.median_ms)) : NaN;
};
const x = (a, b) => `${(a / b).toFixed(2)}x`;
console.log('\n| bench | comparison | ratio |');
console.log('| --- | --- | ---: |');
for (const bench of [...new Set(rows.map((r) => r.bench))]) {
  const lines = bench.startsWith('tiny') ? [
    ['weft (columns in the pool\'s memory) vs message pool over a SharedArrayBuffer', best(bench, 'pm-shared'), best(bench, 'weft-pool')],
    ['weft (columns copied) vs the best copying message pool', best(bench, 'pm-copy'), best(bench, 'weft-copy')],
    ['weft (columns copied) vs message pool over a SharedArrayBuffer', best(bench, 'pm-shared'), best(bench, 'weft-copy')],
    ['raw ceiling (in place) vs message pool over a SharedArrayBuffer', best(bench, 'pm-shared'), best(bench, 'raw-pool')],
    ['weft (in the pool\'s memory) / raw ceiling (in place), speed', best(bench, 'raw-pool'), best(bench, 'weft-pool')],
    ['weft (copied) / raw ceiling with copies, speed', best(bench, 'raw-copy'), best(bench, 'weft-copy')],
  ] : [
    ['weft, JavaScript chunk task, vs the sequential loop', best(bench, 'seq'), best(bench, 'weft-js')],
    ['weft, C chunk task, vs the sequential loop', best(bench, 'seq'), best(bench, 'weft-c')],
    ['weft, JavaScript chunk task, vs the best message pool', best(bench, 'pm'), best(bench, 'weft-js')],
    [`ceiling: ${workers} raw workers, constant arrays, vs the sequential loop`, best(bench, 'seq'), best(bench, 'raw-const')],
    [`ceiling: ${workers} raw workers, arrays as arguments, vs the sequential loop`, best(bench, 'seq'), best(bench, 'raw-args')],
    [`${workers} raw workers vs 1, constant arrays (what a second thread adds)`, best(bench, 'raw-const-1'), best(bench, 'raw-const')],
  ];
  for (const [what, base, t] of lines) if (!Number.isNaN(base / t)) console.log(`| ${bench} | ${what} | ${x(base, t)} |`);
}

Atomics.store(ctl, C.OP, C.EXIT);
ring();
await Promise.all(pmWs.map((w) => w.terminate()));
await pool.destroy();
