// Fork-join in wasm under Node vs the native build, in the same run:
//   node bench/js/fj.mjs [native bench_weft path] [workers] [reps]
// For fib, nqueens and tree (the kernels of bench/bench_weft.c, compiled into
// weft.wasm from js/csrc/tasks.c) it prints the best time of each, the
// per-spawn cost (time / spawns) and the wasm/native ratio.
import { execFileSync } from 'node:child_process';
import { createPool } from '../../js/src/index.js';

const nativeBin = process.argv[2] || new URL('../../build-jsbench/bench/bench_weft', import.meta.url).pathname;
const workers = +(process.argv[3] || 2);
const reps = +(process.argv[4] || 5);
const cases = [['fib', 30], ['nqueens', 11], ['tree', 2000]];

function native(bench, n) {
  const out = execFileSync(nativeBin, [bench, String(n), String(workers), String(reps)], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  return { ms: Math.min(...rows.map((r) => r.ms)), spawns: rows[0].spawns, result: rows[0].result };
}

const pool = await createPool({ workers });
const rows = [];
for (const [bench, n] of cases) {
  await pool.run(bench, n); // warm-up (tier-up)
  let best = Infinity, spawns = 0, result = 0;
  for (let r = 0; r < reps; r++) {
    const s0 = pool.stats().spawns;
    const t0 = performance.now();
    result = await pool.run(bench, n);
    const ms = performance.now() - t0;
    spawns = pool.stats().spawns - s0;
    best = Math.min(best, ms);
  }
  const nat = native(bench, n);
  if (nat.result !== result) throw new Error(`${bench}: wasm ${result} != native ${nat.result}`);
  rows.push({ bench, n, workers, wasm_ms: +best.toFixed(3), native_ms: nat.ms, spawns,
    wasm_ns_per_spawn: +(best * 1e6 / spawns).toFixed(2), native_ns_per_spawn: +(nat.ms * 1e6 / nat.spawns).toFixed(2),
    ratio: +(best / nat.ms).toFixed(2) });
}
await pool.destroy();
console.log('| bench | n | workers | spawns | wasm ms | native ms | wasm ns/spawn | native ns/spawn | wasm/native |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(`| ${r.bench} | ${r.n} | ${r.workers} | ${r.spawns} | ${r.wasm_ms} | ${r.native_ms} | ${r.wasm_ns_per_spawn} | ${r.native_ns_per_spawn} | ${r.ratio} |`);
for (const r of rows) console.log(JSON.stringify(r));
