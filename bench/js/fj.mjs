// Fork-join in wasm under Node vs the native build, in the same run:
//   node bench/js/fj.mjs [native bench_weft path] [workers] [reps] [cases]
// workers: a list ("1,2"), or one number N meaning "1 and N" (default 1,2).
// reps: timed repetitions per case and side (default 7, at least 5).
// cases: bench:n list (default fib:30,fib:34,nqueens:11,tree:2000).
// Env WEFT_WASM=path runs another build of weft.wasm (A/B experiments).
// If bench_weft_clang (the same benchmark built by clang, the compiler of the
// wasm build: cmake --build <dir> --target bench_weft_clang) sits beside the
// native binary, its times are reported too, with the ratio wasm/clang: that
// separates what wasm + V8 cost from what gcc does better than clang.
//
// For fib, nqueens and tree (the kernels of bench/bench_weft.c, compiled into
// weft.wasm from js/csrc/tasks.c) it prints, per worker count, the median
// and best wall time of each side, the per-spawn cost (median time / spawns:
// at 1 worker the whole cost of a spawn and its share of the work, at N
// workers wall time per spawn) and the ratio of the medians. Each case
// alternates native and wasm blocks (ROUNDS of them) so that load from other
// processes on a shared machine hits both sides alike.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve, dirname, join } from 'node:path';
import { createPool } from '../../js/src/index.js';

const nativeBin = process.argv[2] || new URL('../../build-jsbench/bench/bench_weft', import.meta.url).pathname;
const wArg = process.argv[3] || '1,2';
const workerList = [...new Set((wArg.includes(',') ? wArg.split(',') : ['1', wArg]).map(Number))];
const reps = Math.max(5, +(process.argv[4] || 7));
const cases = (process.argv[5] || 'fib:30,fib:34,nqueens:11,tree:2000')
  .split(',').map((c) => { const [b, n] = c.split(':'); return [b, +n]; });
const ROUNDS = 2;
const clangBin = join(dirname(nativeBin), 'bench_weft_clang');
const haveClang = existsSync(clangBin);
const wasm = process.env.WEFT_WASM ? pathToFileURL(resolve(process.env.WEFT_WASM)) : undefined;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2; };

function native(bench, n, workers, k, bin = nativeBin) {
  const out = execFileSync(bin, [bench, String(n), String(workers), String(k)], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

const rows = [];
for (const workers of workerList) {
  const pool = await createPool({ workers, ...(wasm ? { wasm } : {}) });
  for (const [bench, n] of cases) {
    await pool.run(bench, n); // warm-up (tier-up)
    const wms = [], nms = [], cms = [];
    let spawns = 0, result = 0, nspawns = 0, nresult = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const k = Math.ceil(reps / ROUNDS);
      for (const r of native(bench, n, workers, k)) { nms.push(r.ms); nspawns = r.spawns; nresult = r.result; }
      if (haveClang) for (const r of native(bench, n, workers, k, clangBin)) cms.push(r.ms);
      for (let r = 0; r < k; r++) {
        const s0 = pool.stats().spawns;
        const t0 = performance.now();
        result = await pool.run(bench, n);
        wms.push(performance.now() - t0);
        spawns = pool.stats().spawns - s0;
      }
    }
    if (nresult !== result) throw new Error(`${bench}: wasm ${result} != native ${nresult}`);
    const wm = median(wms), nm = median(nms);
    rows.push({ bench, n, workers, spawns, reps: wms.length,
      wasm_ms: +wm.toFixed(3), wasm_best_ms: +Math.min(...wms).toFixed(3),
      native_ms: +nm.toFixed(3), native_best_ms: +Math.min(...nms).toFixed(3),
      wasm_ns_per_spawn: +(wm * 1e6 / spawns).toFixed(2), native_ns_per_spawn: +(nm * 1e6 / nspawns).toFixed(2),
      ratio: +(wm / nm).toFixed(2),
      ...(haveClang ? { clang_ms: +median(cms).toFixed(3), ratio_clang: +(wm / median(cms)).toFixed(2) } : {}) });
  }
  await pool.destroy();
}
console.log(`medians of ${rows[0].reps} runs per side (best in brackets)`);
const cl = (r, x) => (haveClang ? x : '');
console.log('| bench | n | workers | spawns | wasm ms | native ms | wasm ns/spawn | native ns/spawn | wasm/native |' +
  cl(0, ' native clang ms | wasm/clang |'));
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |' + cl(0, ' --- | --- |'));
for (const r of rows)
  console.log(`| ${r.bench} | ${r.n} | ${r.workers} | ${r.spawns} | ${r.wasm_ms} (${r.wasm_best_ms}) | ` +
    `${r.native_ms} (${r.native_best_ms}) | ${r.wasm_ns_per_spawn} | ${r.native_ns_per_spawn} | ${r.ratio} |` +
    cl(r, ` ${r.clang_ms} | ${r.ratio_clang} |`));
for (const r of rows) console.log(JSON.stringify(r));
