// Tiny-task throughput: "add two numbers" tasks per second.
//   node bench/js/throughput.mjs [workers] [tasks]
// weft (wasm): spawned from tasks (C task 'adds': a task tree spawning one
// task per addition), and submitted from the main thread in batches
// (pool.map: one job per batch; pool.mapColumns: the batch as typed-array
// columns); the plain postMessage pool of pm_pool.mjs (one message per task,
// and 256 or 10,000 tasks per message); piscina (one run() per task).
import { createPool } from '../../js/src/index.js';
import { PmPool } from './pm_pool.mjs';
import Piscina from 'piscina';
import { TEST_WASM, median, warmUp } from './browser/stats.js';

const workers = +(process.argv[2] || 2);
const N = +(process.argv[3] || 200000);
const results = [];
function report(name, tasks, ms) {
  const r = { name, workers, tasks, ms: +ms.toFixed(1), tasks_per_s: Math.round(tasks / (ms / 1000)) };
  results.push(r);
  console.log(JSON.stringify(r));
}
// Median ms of `reps` runs after warming up until the times are stable
// (stats.js warmUp: at least 0.3 s and 3 runs): the per-task loops of
// mapColumns and the message pool's worker are compiled by V8 on first use,
// and one warm-up run left either side still partly in V8's baseline tiers.
// A median, not the best: the message pool's times vary much more from run
// to run than weft's, and a best-of-3 favours the one that varies.
async function medianMs(fn, reps = 7) {
  await warmUp(fn, { minMs: 300, minRuns: 3, maxMs: 3000 });
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

// ---- weft
const pool = await createPool({ wasm: TEST_WASM, workers, tasks: new URL('./loop_tasks.mjs', import.meta.url) });
const expect = (N * (N - 1)) / 2 + N;
const spawnedN = N * 20;
const expectSpawned = (spawnedN * (spawnedN - 1)) / 2 + spawnedN;
await pool.run('adds', 1000);
report('weft: spawned from tasks (C)', spawnedN, await medianMs(async () => {
  const s = await pool.run('adds', spawnedN);
  if (s !== expectSpawned) throw new Error(`adds: ${s}`);
}));
for (const batch of [256, 10000]) {
  const lists = Array.from({ length: batch }, (_, i) => [i, 1]);
  report(`weft: batches of ${batch} from the main thread (pool.map)`, N, await medianMs(async () => {
    const ps = [];
    for (let done = 0; done < N; done += batch) ps.push(pool.map('add', lists));
    await Promise.all(ps);
  }));
}
// Batches as typed-array columns (pool.mapColumns): the same items, no
// per-item encoding on this thread; a JavaScript task ('jadd', looped over
// each chunk on the worker) and the C task 'add' (one call per item in wasm).
for (const batch of [256, 10000]) {
  const a = Float64Array.from({ length: batch }, (_, i) => i), one = new Float64Array(batch).fill(1);
  const outs = Array.from({ length: Math.ceil(N / batch) }, () => new Float64Array(batch));
  for (const [task, what] of [['jadd', 'JavaScript task'], ['add', 'C task']]) {
    const r = await pool.mapColumns(task, [a, one]);
    for (let i = 0; i < batch; i++) if (r[i] !== i + 1) throw new Error(`${task}: ${r[i]}`);
    report(`weft: batches of ${batch} as typed-array columns (pool.mapColumns, ${what})`, N, await medianMs(async () => {
      const ps = [];
      for (let k = 0, done = 0; done < N; done += batch, k++) ps.push(pool.mapColumns(task, [a, one], { out: outs[k] }));
      await Promise.all(ps);
    }));
  }
}
await pool.destroy();

// ---- plain postMessage pool (pm_pool.mjs)
const pm = new PmPool(workers);
await pm.send({ a: 1, b: 2 });
report('postMessage pool: one task per message', N, await medianMs(async () => {
  const ps = [];
  for (let i = 0; i < N; i++) ps.push(pm.send({ a: i, b: 1 }));
  const r = await Promise.all(ps);
  let s = 0;
  for (const x of r) s += x;
  if (s !== expect) throw new Error('pm sum');
}, 3));
for (const batch of [256, 10000]) {
  report(`postMessage pool: ${batch} tasks per message`, N, await medianMs(async () => {
    const ps = [];
    for (let i = 0; i < N; i += batch) {
      const b = new Float64Array(2 * batch);
      for (let k = 0; k < batch; k++) { b[2 * k] = i + k; b[2 * k + 1] = 1; }
      ps.push(pm.send({ batch: b }, [b.buffer]));
    }
    await Promise.all(ps);
  }));
}
await pm.close();

// ---- piscina
const pis = new Piscina({ filename: new URL('./piscina_add.mjs', import.meta.url).href, minThreads: workers, maxThreads: workers });
await pis.run({ a: 1, b: 2 });
const PN = Math.min(N, 50000);
report('piscina: one run() per task', PN, await medianMs(async () => {
  const ps = [];
  for (let i = 0; i < PN; i++) ps.push(pis.run({ a: i, b: 1 }));
  await Promise.all(ps);
}, 3));
await pis.destroy();

const get = (p) => results.find((r) => r.name.startsWith(p)).tasks_per_s;
const pisc = get('piscina');
console.log('\n| pool | tasks | median ms | tasks/s | vs piscina |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) console.log(`| ${r.name} | ${r.tasks} | ${r.ms} | ${r.tasks_per_s.toLocaleString('en-US')} | ${(r.tasks_per_s / pisc).toFixed(1)}x |`);
