// A chain of dependent tiny tasks: each adds one to the previous task's
// result, so the next task can only start once the previous one is done.
//   node bench/js/chain.mjs [workers] [reps]
// weft (wasm): (a) C tasks spawned from a C task (spawn, sync, next), (b) a
// weft graph chain of C nodes run from the main thread (built once), (c) a
// chain of JavaScript tasks spawned from a JavaScript task; also a chain of
// C tasks spawned from JavaScript and a graph chain of JavaScript nodes.
// Against the plain postMessage pool (pm_pool.mjs) and piscina, where each
// next task is posted only after the previous result came back.
// Prints one JSON line per row (median of `reps` timed repetitions), then a
// markdown table with tasks/s and the ratio to piscina.
import { createPool } from '../../js/src/index.js';
import { PmPool } from './pm_pool.mjs';
import Piscina from 'piscina';
import { TEST_WASM } from './browser/stats.js';

const workers = +(process.argv[2] || 2);
const reps = +(process.argv[3] || 7);
const TASKS = new URL('./chain_tasks.mjs', import.meta.url);

const rows = [];
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
// Times fn() `reps` times after one warm-up; fn returns the chain's result,
// which must be `tasks`.
async function measure(name, tasks, fn, n = reps) {
  const check = (r) => {
    if (r !== tasks) throw new Error(`${name}: result ${r}, expected ${tasks}`);
  };
  check(await fn());
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fn();
    ms.push(performance.now() - t0);
    check(r);
  }
  const m = median(ms);
  const row = { bench: 'chain', name, workers, tasks, reps: n, median_ms: +m.toFixed(3),
    best_ms: +Math.min(...ms).toFixed(3), tasks_per_s: Math.round(tasks / (m / 1000)) };
  rows.push(row);
  console.log(JSON.stringify(row));
}

// ---- weft
const pool = await createPool({ wasm: TEST_WASM, workers, tasks: TASKS });

const NC = 2_000_000;
await measure('weft: C tasks spawned from a C task (spawn, sync)', NC, () => pool.run('chain', NC));

const NG = 200_000;
for (const [task, label] of [['chain_step', 'C'], ['jchain_step', 'JavaScript']]) {
  const v = pool.alloc(Float64Array, NG);
  const g = pool.graph();
  for (let i = 0; i < NG; i++) g.add(task, v, i);
  const from = new Uint32Array(NG - 1).map((_, i) => i);
  g.edges(from, from.map((i) => i + 1));
  g.validate();
  await measure(`weft: graph chain of ${label} nodes from the main thread (run)`, NG, async () => {
    v.fill(0);
    await g.run();
    return v[NG - 1];
  });
  g.destroy();
  pool.free(v);
}

const NJ = 300_000;
await measure('weft: JavaScript tasks spawned from a JavaScript task', NJ, () => pool.run('jchain', NJ));
await measure('weft: C tasks spawned from a JavaScript task', NJ, () => pool.run('jcchain', NJ));
await pool.destroy();

// A chain of n additions through a message-passing pool: each message is
// posted only when the previous answer came back.
const messageChain = (send, n) => async () => {
  let x = 0;
  for (let i = 0; i < n; i++) x = await send({ a: x, b: 1 });
  return x;
};

// ---- plain postMessage pool: the next message after the previous answer
const pm = new PmPool(workers);
const NP = 20_000;
await measure('postMessage pool: next task after the previous result', NP, messageChain((m) => pm.send(m), NP),
  Math.min(reps, 5));
await pm.close();

// ---- piscina
const pis = new Piscina({ filename: new URL('./piscina_add.mjs', import.meta.url).href, minThreads: workers, maxThreads: workers });
const NPI = 5_000;
await measure('piscina: next run() after the previous result', NPI, messageChain((m) => pis.run(m), NPI),
  Math.min(reps, 5));
await pis.destroy();

const pisc = rows.find((r) => r.name.startsWith('piscina')).tasks_per_s;
console.log(`\nChain of dependent tasks, ${workers} workers, median of ${reps} (pools: ${Math.min(reps, 5)})\n`);
console.log('| implementation | tasks | median ms | tasks/s | vs piscina |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(`| ${r.name} | ${r.tasks} | ${r.median_ms} | ${r.tasks_per_s.toLocaleString('en-US')} | ${(r.tasks_per_s / pisc).toFixed(1)}x |`);
