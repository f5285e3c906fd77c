// The loop and column measurements of bench/js/browser_loops.mjs, shared by
// the browser page (index.html) and Node so both measure the same way: weft's
// pool.mapColumns over batches of tiny items and pool.for / pool.reduce over
// a large Float64Array, against a plain message pool (pm_worker.js) given the
// same work, and a sequential loop on the calling thread. Each figure: the
// median of `reps` timed runs after warm-up runs (stats.js warmUp).
import { TEST_WASM, median, warmUp } from './stats.js';
import { C, doneAt } from '../raw_ctl.mjs';

const LOOP_TASKS = new URL('../loop_tasks.mjs', import.meta.url);
const PM_WORKER = new URL('./pm_worker.js', import.meta.url);
const RAW_WORKER = new URL('./raw_worker.js', import.meta.url);

async function startWorker(url = PM_WORKER) {
  if (typeof Worker === 'function' && typeof window !== 'undefined') {
    const w = new Worker(url, { type: 'module' });
    return { post: (m, t) => w.postMessage(m, t || []), on: (f) => (w.onmessage = (e) => f(e.data)), end: () => w.terminate() };
  }
  const { Worker: NodeWorker } = await import('node:worker_threads');
  const w = new NodeWorker(url);
  return { post: (m, t) => w.postMessage(m, t || []), on: (f) => w.on('message', f), end: () => w.terminate() };
}

// A plain message pool: round robin, one promise per message.
async function messagePool(n) {
  const ws = [];
  for (let i = 0; i < n; i++) ws.push(await startWorker());
  let next = 0, id = 0;
  const pending = new Map();
  for (const w of ws) w.on((m) => { const p = pending.get(m.id); pending.delete(m.id); p(m); });
  const send = (msg, transfer, w = ws[next++ % ws.length]) => new Promise((r) => {
    const i = id++;
    pending.set(i, r);
    w.post({ id: i, ...msg }, transfer);
  });
  return { ws, send, close: () => Promise.all(ws.map((w) => w.end())) };
}

async function time(fn, reps) {
  await warmUp(fn, { minMs: 300, minRuns: 3, maxMs: 3000 });
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

// The ceiling of the tiny items: raw workers over SharedArrayBuffers (the
// columns in place), one Atomics.notify per batch, one wait for the run.
async function rawWorkers(n, items) {
  const ctlBuf = new SharedArrayBuffer(4 * C.WORDS);
  const ctl = new Int32Array(ctlBuf);
  const a = new SharedArrayBuffer(8 * items), b = new SharedArrayBuffer(8 * items), out = new SharedArrayBuffer(8 * items);
  const ws = [];
  for (let i = 0; i < n; i++) {
    const w = await startWorker(RAW_WORKER);
    w.post({ ctl: ctlBuf, a, b, out });
    ws.push(w);
  }
  const A = new Float64Array(a), B = new Float64Array(b), OUT = new Float64Array(out);
  // A run of nb batches: each published with one notify, then one wait.
  const run = (batch, nb) => async () => {
    ctl[C.BATCH] = batch;
    ctl[C.NB] = nb;
    Atomics.store(ctl, C.OP, C.ITEMS);
    const start = Atomics.load(ctl, C.DONE);
    Atomics.store(ctl, C.TARGET, start + nb);
    for (let j = 0; j < nb; j++) {
      Atomics.add(ctl, C.PUB, 1);
      Atomics.add(ctl, C.BELL, 1);
      Atomics.notify(ctl, C.BELL, 1);
    }
    await doneAt(ctl, start + nb);
    if (OUT[batch - 1] !== batch) throw new Error(`raw items: ${OUT[batch - 1]}`);
  };
  const fill = (batch, nb) => {
    for (let i = 0; i < nb * batch; i++) { A[i] = i % batch; B[i] = 1; }
  };
  const close = () => {
    Atomics.store(ctl, C.OP, C.EXIT);
    Atomics.add(ctl, C.BELL, 1);
    Atomics.notify(ctl, C.BELL);
    return Promise.all(ws.map((w) => w.end()));
  };
  return { run, fill, close };
}

let measureRuns = 0;

// Rows { bench, name, items, median_ms, items_per_s }.
export async function measureLoops(createPool, { workers = 2, n = 1e7, items = 200000, reps = 7 } = {}) {
  const rows = [];
  const row = (bench, name, count, ms, extra = {}) => rows.push({ bench, name, workers, items: count,
    median_ms: +ms.toFixed(3), items_per_s: Math.round(count / (ms / 1000)), ...extra });
  const pool = await createPool({ wasm: TEST_WASM, workers, tasks: LOOP_TASKS });
  const pm = await messagePool(workers);
  const raw = await rawWorkers(workers, items + 10000);
  try {
    if (pool.fallback || pool.workers !== workers) throw new Error(`pool of ${pool.workers} workers (fallback ${pool.fallback})`);
    // ---- loops over n doubles, first: the message pool's transfers below
    // detach ArrayBuffers, and once a thread has detached one, V8 compiles
    // its loops over constant typed arrays with checks again (the
    // sequential loop's axpy 3.5x slower in Node 20).
    const x = pool.alloc(Float64Array, n), y = pool.alloc(Float64Array, n);
    for (let i = 0; i < n; i++) x[i] = (i % 1000) / 2;
    let want = 0;
    for (let i = 0; i < n; i++) want += x[i];
    // The sequential loops over constant arrays, made afresh for each call
    // (new Function, a source of their own: the engine caches the code and
    // its feedback by source): V8 treats x and y as constants only in the
    // first closure made from one function literal, and Node calls this
    // once per run in one process.
    const tag = `// run ${++measureRuns}`;
    const seqAxpy = new Function('x', 'y', 'n', `return () => { for (let i = 0; i < n; i++) y[i] += 0.5 * x[i]; }; ${tag}`)(x, y, n); // eslint-disable-line no-new-func
    const seqSum = new Function('x', 'n', `return () => { let s = 0; for (let i = 0; i < n; i++) s += x[i]; return s; }; ${tag}`)(x, n); // eslint-disable-line no-new-func
    row('axpy', 'sequential loop (arrays in constants)', n, await time(seqAxpy, reps));
    row('sum', 'sequential loop (arrays in constants)', n, await time(seqSum, reps));
    if ((await pool.reduce('sum', 0, n, undefined, x)) !== want) throw new Error('weft sum');
    row('axpy', 'weft: pool.for', n, await time(() => pool.for('axpy', 0, n, undefined, 0.5, x, y), reps));
    row('sum', 'weft: pool.reduce', n, await time(() => pool.reduce('sum', 0, n, undefined, x), reps));
    const xs = new SharedArrayBuffer(8 * n), ys = new SharedArrayBuffer(8 * n);
    new Float64Array(xs).set(x);
    await Promise.all(pm.ws.map((w) => pm.send({ op: 'init', xs, ys }, null, w)));
    const bounds = (c) => Array.from({ length: c }, (_, k) => [Math.floor((k * n) / c), Math.floor(((k + 1) * n) / c)]);
    for (const [bench, op] of [['axpy', 'axpy'], ['sum', 'sum']]) {
      let best = null;
      for (const c of [workers, 4 * workers, 16 * workers, 64 * workers]) {
        const ms = await time(async () => {
          const rs = await Promise.all(bounds(c).map(([lo, hi]) => pm.send({ op, lo, hi, a: 0.5 })));
          if (op === 'sum' && rs.reduce((s, m) => s + m.r, 0) !== want) throw new Error('pm sum');
        }, Math.max(3, reps >> 1));
        if (!best || ms < best.ms) best = { c, ms };
      }
      row(bench, `postMessage pool, shared buffers (the best of ${workers}/${4 * workers}/${16 * workers}/${64 * workers} chunks)`,
        n, best.ms, { chunks: best.c });
    }
    // ---- tiny items: a + b, in batches. weft's columns copied in (ordinary
    // arrays) or read in place (views of the pool's memory); the message
    // pool's pairs built and transferred, or its columns on a
    // SharedArrayBuffer with {lo, hi} per message (its best configuration).
    const ca = new SharedArrayBuffer(8 * items + 8 * 10000), cb = new SharedArrayBuffer(8 * items + 8 * 10000);
    const cout = new SharedArrayBuffer(8 * items + 8 * 10000);
    await Promise.all(pm.ws.map((w) => pm.send({ op: 'init', ca, cb, cout }, null, w)));
    for (const batch of [256, 10000]) {
      const nb = Math.ceil(items / batch);
      const a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
      const outs = Array.from({ length: nb }, () => new Float64Array(batch));
      const check = await pool.mapColumns('jadd', [a, one]);
      for (let i = 0; i < batch; i++) if (check[i] !== i + 1) throw new Error(`jadd[${i}] = ${check[i]}`);
      row('tiny items', `weft: batches of ${batch} as typed-array columns (mapColumns, JavaScript task), columns copied`, items,
        await time(async () => {
          const ps = [];
          for (let k = 0, done = 0; done < items; done += batch, k++) ps.push(pool.mapColumns('jadd', [a, one], { out: outs[k] }));
          await Promise.all(ps);
        }, reps));
      const pa = pool.alloc(Float64Array, batch), pb = pool.alloc(Float64Array, batch);
      pa.set(a);
      pb.set(one);
      const pouts = outs.map(() => pool.alloc(Float64Array, batch));
      row('tiny items', `weft: batches of ${batch} as typed-array columns, columns in the pool's memory`, items,
        await time(async () => {
          const ps = [];
          for (let k = 0; k < nb; k++) ps.push(pool.mapColumns('jadd', [pa, pb], { out: pouts[k] }));
          await Promise.all(ps);
          if (pouts[nb - 1][batch - 1] !== batch) throw new Error('weft in-pool columns');
        }, reps));
      for (const v of [pa, pb, ...pouts]) pool.free(v);
      row('tiny items', `postMessage pool: ${batch} items per message`, items, await time(async () => {
        const ps = [];
        for (let i = 0; i < items; i += batch) {
          const b = new Float64Array(2 * batch);
          for (let k = 0; k < batch; k++) { b[2 * k] = i + k; b[2 * k + 1] = 1; }
          ps.push(pm.send({ op: 'pairs', batch: b }, [b.buffer]));
        }
        await Promise.all(ps);
      }, reps));
      const A = new Float64Array(ca), B = new Float64Array(cb), OUT = new Float64Array(cout);
      for (let i = 0; i < nb * batch; i += batch) { A.set(a, i); B.set(one, i); }
      row('tiny items', `postMessage pool: ${batch} items per message, columns on a SharedArrayBuffer`, items, await time(async () => {
        const ps = [];
        for (let i = 0; i < nb * batch; i += batch) ps.push(pm.send({ op: 'cols', lo: i, hi: i + batch }));
        await Promise.all(ps);
        if (OUT[nb * batch - 1] !== batch) throw new Error('pm shared columns');
      }, reps));
      // The same, the worker's loop a closure made once over the columns
      // (pm_worker.js, constLoop: V8 compiles it over constant arrays).
      OUT.fill(0);
      row('tiny items', `postMessage pool: ${batch} items per message, columns on a SharedArrayBuffer, loop over constant arrays`, items, await time(async () => {
        const ps = [];
        for (let i = 0; i < nb * batch; i += batch) ps.push(pm.send({ op: 'cols-c', lo: i, hi: i + batch }));
        await Promise.all(ps);
        if (OUT[nb * batch - 1] !== batch) throw new Error('pm shared columns, constant loop');
      }, reps));
      raw.fill(batch, nb);
      row('tiny items', `raw workers over a SharedArrayBuffer, ${batch} items per batch, columns in place (ceiling)`, items,
        await time(raw.run(batch, nb), reps));
    }
  } finally {
    await pm.close();
    await raw.close();
    await pool.destroy();
  }
  return rows;
}
