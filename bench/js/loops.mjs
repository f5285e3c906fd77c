// Loops over a large Float64Array from the main thread: axpy (y += a x) and
// a sum, by weft's pool.for / pool.reduce (a JavaScript task called once per
// chunk on the workers), against a sequential loop on the main thread, a
// plain postMessage pool given the same work in chunks (over shared
// buffers, and with transferred chunk copies; the best chunk count of
// several) and piscina (shared buffers, the best chunk count). Then the cost
// of one JavaScript call from wasm: per chunk (pool.for with grain 1, an
// empty task) and per item (mapColumns with an empty JavaScript task).
//   node bench/js/loops.mjs [workers] [n] [reps]
// Prints one JSON line per row, then a markdown table.
import { createPool } from '../../js/src/index.js';
import { Worker } from 'node:worker_threads';
import Piscina from 'piscina';
import { TEST_WASM, median } from './browser/stats.js';
import * as tasks from './loop_tasks.mjs';

const workers = +(process.argv[2] || 2);
const N = +(process.argv[3] || 1e7);
const REPS = +(process.argv[4] || 9);
const A = 0.5;
const rows = [];
let seqMs = {};

function report(bench, name, items, ms, extra = {}) {
  const r = { bench, name, workers, items, median_ms: +ms.toFixed(3), tasks_per_s: Math.round(items / (ms / 1000)),
    vs_seq: seqMs[bench] ? +(seqMs[bench] / ms).toFixed(2) : null, ...extra };
  rows.push(r);
  console.log(JSON.stringify(r));
  return r;
}

// Median ms of `reps` runs after `warm` untimed ones.
async function time(fn, reps = REPS, warm = 3) {
  for (let i = 0; i < warm; i++) await fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

// x[i] = (i % 1000) / 2: every partial sum is exact, so every way of summing
// gives the same number.
const fillX = (x) => { for (let i = 0; i < x.length; i++) x[i] = (i % 1000) / 2; };
let want = 0;
for (let i = 0; i < N; i++) want += (i % 1000) / 2;
function checkSum(what, s) {
  if (s !== want) throw new Error(`${what}: sum ${s}, want ${want}`);
}
function checkAxpy(what, y) {
  for (let i = 0; i < N; i++) if (y[i] !== 1 + A * ((i % 1000) / 2)) throw new Error(`${what}: y[${i}] = ${y[i]}`);
}

// ------------------------------------------------------------ weft
const pool = await createPool({ workers, wasm: TEST_WASM, tasks: new URL('./loop_tasks.mjs', import.meta.url) });
const x = pool.alloc(Float64Array, N), y = pool.alloc(Float64Array, N);
fillX(x);

// sequential, on the main thread, the same arrays
const seqAxpy = () => { for (let i = 0; i < N; i++) y[i] += A * x[i]; };
const seqSum = () => { let s = 0; for (let i = 0; i < N; i++) s += x[i]; return s; };
y.fill(1);
seqAxpy();
checkAxpy('seq', y);
checkSum('seq', seqSum());
seqMs.axpy = await time(seqAxpy);
seqMs.sum = await time(seqSum);
report('axpy', 'sequential loop on the main thread (arrays in constants)', N, seqMs.axpy);
report('sum', 'sequential loop on the main thread (arrays in constants)', N, seqMs.sum);
// The same loop as a function of its arrays (the chunk task's own code,
// called once over the whole range): V8 (Node 20) compiles a loop over
// typed arrays held in constants 2-3x faster than over arrays passed as
// arguments, which every chunk task, and every worker of a pool, gets.
report('axpy', 'sequential: the chunk task over the whole range, on the main thread', N,
  await time(() => tasks.axpy(null, 0, N, A, x, y)));
checkSum('seq fn', tasks.sum(null, 0, N, x));
report('sum', 'sequential: the chunk task over the whole range, on the main thread', N,
  await time(() => tasks.sum(null, 0, N, x)));

y.fill(1);
await pool.for('axpy', 0, N, undefined, A, x, y);
checkAxpy('weft', y);
checkSum('weft', await pool.reduce('sum', 0, N, undefined, x));
report('axpy', 'weft: pool.for (adaptive chunks)', N, await time(() => pool.for('axpy', 0, N, undefined, A, x, y)));
report('sum', 'weft: pool.reduce (256 chunks, fixed order)', N, await time(() => pool.reduce('sum', 0, N, undefined, x)));
// The same loops as C chunk tasks (js/csrc/loop_tasks.c, compiled to wasm).
y.fill(1);
await pool.for('caxpy', 0, N, undefined, A, x, y);
checkAxpy('weft C', y);
checkSum('weft C', await pool.reduce('csum', 0, N, undefined, x));
report('axpy', 'weft: pool.for, a C chunk task (wasm)', N, await time(() => pool.for('caxpy', 0, N, undefined, A, x, y)));
report('sum', 'weft: pool.reduce, a C chunk task (wasm)', N, await time(() => pool.reduce('csum', 0, N, undefined, x)));

// ------------------------------------------------ postMessage pool
class LoopPool {
  constructor(n) {
    this.ws = Array.from({ length: n }, () => new Worker(new URL('./pm_loop_worker.mjs', import.meta.url)));
    this.id = 0;
    this.next = 0;
    this.pending = new Map();
    for (const w of this.ws) w.on('message', (m) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p(m);
    });
  }
  send(msg, transfer, w = this.ws[this.next++ % this.ws.length]) {
    const id = this.id++;
    return new Promise((r) => {
      this.pending.set(id, r);
      w.postMessage({ id, ...msg }, transfer || []);
    });
  }
  close() {
    return Promise.all(this.ws.map((w) => w.terminate()));
  }
}
const bounds = (chunks) => Array.from({ length: chunks }, (_, k) => [Math.floor((k * N) / chunks), Math.floor(((k + 1) * N) / chunks)]);
const CHUNKS = [workers, 4 * workers, 16 * workers, 64 * workers];

const pm = new LoopPool(workers);
const xs = new SharedArrayBuffer(8 * N), ys = new SharedArrayBuffer(8 * N);
const sx = new Float64Array(xs), sy = new Float64Array(ys);
fillX(sx);
await Promise.all(pm.ws.map((w) => pm.send({ op: 'init', xs, ys }, null, w)));
const pmAxpy = (chunks) => Promise.all(bounds(chunks).map(([lo, hi]) => pm.send({ op: 'axpy', lo, hi, a: A })));
const pmSum = async (chunks) => (await Promise.all(bounds(chunks).map(([lo, hi]) => pm.send({ op: 'sum', lo, hi }))))
  .reduce((s, m) => s + m.r, 0);
// transferred: a copy of each chunk goes out, y's comes back
const px = new Float64Array(N), py = new Float64Array(N);
fillX(px);
const pmAxpyT = (chunks) => Promise.all(bounds(chunks).map(async ([lo, hi]) => {
  const cx = px.slice(lo, hi), cy = py.slice(lo, hi);
  const m = await pm.send({ op: 'axpy-t', x: cx, y: cy, a: A }, [cx.buffer, cy.buffer]);
  py.set(m.y, lo);
}));
const pmSumT = async (chunks) => (await Promise.all(bounds(chunks).map(([lo, hi]) => {
  const cx = px.slice(lo, hi);
  return pm.send({ op: 'sum-t', x: cx }, [cx.buffer]);
}))).reduce((s, m) => s + m.r, 0);

sy.fill(1);
await pmAxpy(8);
checkAxpy('pm shared', sy);
checkSum('pm shared', await pmSum(8));
py.fill(1);
await pmAxpyT(8);
checkAxpy('pm transferred', py);
checkSum('pm transferred', await pmSumT(8));

async function bestOf(bench, name, f) {
  let best = null;
  for (const c of CHUNKS) {
    const ms = await time(() => f(c), Math.max(3, REPS >> 1), 1);
    if (!best || ms < best.ms) best = { c, ms };
  }
  return report(bench, `${name}, best of ${CHUNKS.join('/')} chunks: ${best.c}`, N, best.ms, { chunks: best.c });
}
await bestOf('axpy', 'postMessage pool, shared buffers', pmAxpy);
await bestOf('sum', 'postMessage pool, shared buffers', pmSum);
await bestOf('axpy', 'postMessage pool, transferred chunk copies', pmAxpyT);
await bestOf('sum', 'postMessage pool, transferred chunk copies', pmSumT);
await pm.close();

// ------------------------------------------------------------ piscina
const pis = new Piscina({ filename: new URL('./piscina_loop.mjs', import.meta.url).href, minThreads: workers, maxThreads: workers });
const pisAxpy = (chunks) => Promise.all(bounds(chunks).map(([lo, hi]) => pis.run({ op: 'axpy', xs, ys, lo, hi, a: A })));
const pisSum = async (chunks) => (await Promise.all(bounds(chunks).map(([lo, hi]) => pis.run({ op: 'sum', xs, lo, hi }))))
  .reduce((s, r) => s + r, 0);
sy.fill(1);
await pisAxpy(8);
checkAxpy('piscina', sy);
checkSum('piscina', await pisSum(8));
await bestOf('axpy', 'piscina, shared buffers', pisAxpy);
await bestOf('sum', 'piscina, shared buffers', pisSum);
await pis.destroy();

// ------------------------------------- one JavaScript call from wasm
const CALLS = 200000;
const perChunk = await time(() => pool.for('nop_chunk', 0, CALLS, { grain: 1 }), 5, 2);
report('call', 'weft: a JavaScript chunk call from wasm (pool.for, grain 1, empty task): ns per chunk', CALLS, perChunk,
  { ns_per_call: +((perChunk * 1e6) / CALLS).toFixed(1) });
const list = Array.from({ length: CALLS }, () => [0]);
const perBlock = await time(() => pool.map('jnop', list), 5, 2);
report('call', 'weft: pool.map over a list (a block encoded on the main thread and a wasm->JavaScript call per item): ns per item',
  CALLS, perBlock, { ns_per_call: +((perBlock * 1e6) / CALLS).toFixed(1) });
const col = pool.alloc(Float64Array, CALLS), out = pool.alloc(Float64Array, CALLS);
const perItem = await time(() => pool.mapColumns('jnop', [col], { out }), 5, 2);
report('call', 'weft: a JavaScript task call per item inside a chunk (mapColumns, empty task): ns per item', CALLS, perItem,
  { ns_per_call: +((perItem * 1e6) / CALLS).toFixed(1) });
await pool.destroy();

console.log('\n| loop | implementation | items | median ms | M items/s | vs sequential |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.bench} | ${r.name} | ${r.items.toLocaleString('en-US')} | ${r.median_ms} | ${(r.tasks_per_s / 1e6).toFixed(1)} | ${r.vs_seq ?? '-'}${r.ns_per_call ? ` (${r.ns_per_call} ns per call)` : ''} |`);
}
