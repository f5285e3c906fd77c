// Launched tasks from JavaScript (issue 10's JavaScript targets):
//   node bench/js/launch.mjs [workers] [reps] [--quick]
// (a) a 1024 x 1024 wavefront of C tasks (one hash over the north and west
//     cells, bench/dyn's body) launched from a JavaScript task, in one bulk
//     ctx.launchMany and one ctx.launch per cell; checked against the
//     sequential run (wf_seq); target >= 10 M tasks/s;
// (b) a chain of JavaScript tasks launched from the main thread, each after
//     the previous (pool.launch(..., { after: prev })), awaiting the last;
//     checked (v[i] = i + 1); against piscina resolving one run() after the
//     other (the next run is posted when the previous result came back);
//     target >= 100x; also the same chain launched in one pool.launchMany.
//     The three are timed in turn within each repetition (both pools alive,
//     the idle one asleep) and the ratio is the median of the repetitions'
//     ratios, so that load on a shared machine hits them alike.
// One JSON line per row (median of `reps`), then a markdown table.
import { createPool } from '../../js/src/index.js';
import Piscina from 'piscina';
import { TEST_WASM } from './browser/stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const pos = argv.filter((a) => !a.startsWith('--'));
const workersList = (pos[0] || '1,2').split(',').map(Number);
const reps = +(pos[1] || (quick ? 3 : 5));
const N = quick ? 512 : 1024;
const CHAIN = quick ? 50_000 : 200_000;
const PISCINA_CHAIN = quick ? 1000 : 3000;
const TASKS = new URL('./launch_tasks.mjs', import.meta.url);

const rows = [];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
async function measure(name, workers, tasks, fn, extra = {}) {
  await fn(); // warm-up (checked inside)
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const m = median(ms);
  const row = { bench: 'launch', name, workers, tasks, reps, median_ms: +m.toFixed(3),
    best_ms: +Math.min(...ms).toFixed(3), tasks_per_s: Math.round(tasks / (m / 1000)), ...extra };
  rows.push(row);
  console.log(JSON.stringify(row));
  return row;
}

for (const workers of workersList) {
  const pool = await createPool({ wasm: TEST_WASM, workers, tasks: TASKS });
  // ---- (a) wavefront
  const grid = pool.alloc(Uint32Array, 2 * N * N);
  const ref = pool.alloc(Uint32Array, 2 * N * N);
  const after = pool.alloc(Int32Array, 2 * N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    after[2 * (i * N + j)] = i ? (i - 1) * N + j : -1;
    after[2 * (i * N + j) + 1] = j ? i * N + j - 1 : -1;
  }
  await pool.run('wf_seq', ref, N);
  const want = await pool.run('wf_sum', ref, N);
  const checkGrid = async (what) => {
    const got = await pool.run('wf_sum', grid, N);
    if (got !== want) throw new Error(`${what}: checksum ${got}, sequential ${want}`);
    grid.fill(0);
  };
  await measure(`wavefront ${N}x${N} of C tasks, sequential (one task)`, workers, N * N, async () => {
    grid.fill(0);
    await pool.run('wf_seq', grid, N);
    await checkGrid('sequential');
  });
  await measure(`wavefront ${N}x${N} of C tasks launched from a C task (weft_launch in wasm, no JS)`, workers, N * N,
    async () => {
      await pool.run('wf_launch_c', grid, N);
      await checkGrid('C launches');
    });
  const wfBulk = await measure(`wavefront ${N}x${N} of C tasks launched from a JS task (ctx.launchMany)`, workers, N * N,
    async () => {
      const h = pool.launch('wavefront', grid, N, after);
      await h;
      h.release();
      await checkGrid('launchMany');
    }, { target_tasks_per_s: 10e6 });
  const wfEach = await measure(`wavefront ${N}x${N} of C tasks launched from a JS task (ctx.launch per cell)`, workers,
    N * N, async () => {
      const h = pool.launch('wavefront_each', grid, N);
      await h;
      h.release();
      await checkGrid('ctx.launch');
    });
  // ---- (b) chain from the main thread, against piscina: the three are
  // timed in turn within each repetition (weft per launch, weft bulk,
  // piscina), so load on this shared machine hits all of them alike; the
  // ratio is the median of the per-repetition ratios.
  const v = pool.alloc(Float64Array, CHAIN);
  const chainAfter = pool.alloc(Int32Array, CHAIN).map((_, i) => i - 1);
  const perLaunch = async () => {
    v.fill(0);
    let prev = pool.launch('jlink', v, 0);
    for (let i = 1; i < CHAIN; i++) {
      const h = pool.launch('jlink', v, i, { after: prev });
      prev.release();
      prev = h;
    }
    const r = await prev;
    prev.release();
    if (r !== CHAIN || v[CHAIN - 1] !== CHAIN) throw new Error(`chain: ${r}`);
  };
  const bulk = async () => {
    v.fill(0);
    const last = pool.launchMany('jlink', CHAIN, chainAfter, 1, v);
    const r = await last;
    last.release();
    if (r !== CHAIN || v[CHAIN - 1] !== CHAIN) throw new Error(`chain (launchMany): ${r}`);
  };
  const pis = new Piscina({ filename: new URL('./piscina_add.mjs', import.meta.url).href, minThreads: workers,
    maxThreads: workers });
  const piscinaChain = async () => {
    let x = 0;
    for (let i = 0; i < PISCINA_CHAIN; i++) x = await pis.run({ a: x, b: 1 });
    if (x !== PISCINA_CHAIN) throw new Error(`piscina chain: ${x}`);
  };
  const cases = [[perLaunch, CHAIN], [bulk, CHAIN], [piscinaChain, PISCINA_CHAIN]];
  const times = cases.map(() => []);
  for (let rep = -1; rep < reps; rep++) {
    for (let c = 0; c < cases.length; c++) {
      const t0 = performance.now();
      await cases[c][0]();
      if (rep >= 0) times[c].push(performance.now() - t0); // rep -1: warm-up
    }
  }
  const rate = (c, i) => cases[c][1] / (times[c][i] / 1000);
  const names = [`chain of ${CHAIN} JS tasks launched from the main thread, each after the previous`,
    `chain of ${CHAIN} JS tasks launched from the main thread in one pool.launchMany`,
    `piscina: chain of ${PISCINA_CHAIN} run() one after the other`];
  const crow = [];
  for (let c = 0; c < cases.length; c++) {
    const m = median(times[c]);
    const row = { bench: 'launch', name: names[c], workers, tasks: cases[c][1], reps, median_ms: +m.toFixed(3),
      best_ms: +Math.min(...times[c]).toFixed(3), tasks_per_s: Math.round(cases[c][1] / (m / 1000)) };
    if (c < 2) {
      row.vs_piscina = +median(times[c].map((_, i) => rate(c, i) / rate(2, i))).toFixed(1);
      row.target_vs_piscina = 100;
    }
    rows.push(row);
    console.log(JSON.stringify(row));
    crow.push(row);
  }
  const [chain, chainBulk, prow] = crow;
  await pis.destroy();
  await pool.destroy();
  console.log(JSON.stringify({ bench: 'launch', name: 'summary', workers,
    wavefront_bulk_mtasks_s: +(wfBulk.tasks_per_s / 1e6).toFixed(2),
    wavefront_each_mtasks_s: +(wfEach.tasks_per_s / 1e6).toFixed(2),
    chain_tasks_per_s: chain.tasks_per_s, chain_bulk_tasks_per_s: chainBulk.tasks_per_s,
    piscina_tasks_per_s: prow.tasks_per_s, chain_vs_piscina: chain.vs_piscina, chain_bulk_vs_piscina: chainBulk.vs_piscina }));
}

console.log('\n| workers | row | tasks | median ms | tasks/s |\n| ---: | --- | ---: | ---: | ---: |');
for (const r of rows)
  console.log(`| ${r.workers} | ${r.name} | ${r.tasks} | ${r.median_ms} | ${(r.tasks_per_s / 1e6).toFixed(2)} M${r.vs_piscina ? ` (${r.vs_piscina}x piscina)` : ''} |`);
