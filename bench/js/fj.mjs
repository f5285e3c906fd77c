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
//
// Spawn overhead: the same kernels without weft (plain recursion, the
// algorithm of bench/bench_seq.c) run too: in wasm, exports of weft.wasm
// (js/csrc/tasks.c, weft_wasm_seq_*) called on this thread; natively,
// bench_seq (and bench_seq_clang) beside the native binary. Overhead per
// spawn = (workers x weft median - seq median) / spawns: at 1 worker what
// weft adds per spawn to the plain recursion in the same environment, at N
// workers the worker time beyond the sequential work (idle time and steals
// included). Every side's result must equal the others' (else it throws).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve, dirname, join } from 'node:path';
import { createPool } from '../../js/src/index.js';
import { MEMORY_INITIAL_PAGES, MEMORY_MAXIMUM_PAGES } from '../../js/src/common.js';
import { TEST_WASM, warmUp } from './browser/stats.js';

const nativeBin = process.argv[2] || new URL('../../build-jsbench/bench/bench_weft', import.meta.url).pathname;
const wArg = process.argv[3] || '1,2';
const workerList = [...new Set((wArg.includes(',') ? wArg.split(',') : ['1', wArg]).map(Number))];
const reps = Math.max(5, +(process.argv[4] || 7));
const cases = (process.argv[5] || 'fib:30,fib:34,nqueens:11,tree:2000')
  .split(',').map((c) => { const [b, n] = c.split(':'); return [b, +n]; });
const ROUNDS = Math.max(2, Math.ceil(reps / 2)); // blocks of about 2 runs per side
const clangBin = join(dirname(nativeBin), 'bench_weft_clang');
const haveClang = existsSync(clangBin);
const wasm = process.env.WEFT_WASM ? pathToFileURL(resolve(process.env.WEFT_WASM)) : TEST_WASM;
const seqBin = join(dirname(nativeBin), 'bench_seq');
const seqClangBin = join(dirname(nativeBin), 'bench_seq_clang');
const haveSeqClang = haveClang && existsSync(seqClangBin);

// The sequential kernels of weft.wasm, on an instance of its own (own
// memory) on this thread. null (and a warning) if bench_seq or the exports
// are missing: the overhead columns are left out.
async function seqKernels() {
  const why = !existsSync(seqBin) ? `${seqBin} missing (cmake --build <dir> --target bench_seq)` : null;
  const module = why ? null
    : await WebAssembly.compile(readFileSync(wasm));
  const stub = () => { throw new Error('fj.mjs: a sequential kernel called an import'); };
  // A stub for every function the module imports (read from the module, so
  // an import added to the runtime later does not break this instance).
  const weft = {};
  if (module)
    for (const imp of WebAssembly.Module.imports(module))
      if (imp.module === 'weft' && imp.kind === 'function') weft[imp.name] = stub;
  const ex = module && (await WebAssembly.instantiate(module, {
    env: { memory: new WebAssembly.Memory({ initial: MEMORY_INITIAL_PAGES, maximum: MEMORY_MAXIMUM_PAGES, shared: true }) },
    weft })).exports;
  if (ex && !ex.weft_wasm_seq_fib) return warn('weft.wasm has no weft_wasm_seq_* exports (rebuild: bash js/build.sh)');
  if (why) return warn(why);
  return { fib: ex.weft_wasm_seq_fib, nqueens: ex.weft_wasm_seq_nqueens, tree: ex.weft_wasm_seq_tree,
    treeDepth: ex.weft_wasm_seq_tree_depth };
}
function warn(msg) {
  console.error(`fj.mjs: WARNING: ${msg}: no spawn overhead over seq reported`);
  return null;
}
const seq = await seqKernels();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2; };

function native(bench, n, workers, k, bin = nativeBin) {
  const out = execFileSync(bin, [bench, String(n), String(workers), String(k)], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

const rows = [];
for (const workers of workerList) {
  const pool = await createPool({ workers, wasm });
  for (const [bench, n] of cases) {
    await warmUp(() => pool.run(bench, n)); // until TurboFan code runs (stats.js)
    if (seq) await warmUp(async () => seq[bench](n)); // the sequential kernel too (this thread)
    const wms = [], nms = [], cms = [], sw = [], sn = [], sc = [];
    let spawns = 0, result = 0, nspawns = 0, nresult = 0, ndepth, cspawns = 0;
    const same = (what, x, depth) => {
      if (x !== nresult) throw new Error(`${bench} ${n}: ${what} result ${x} != native weft ${nresult}`);
      if (depth !== undefined && depth !== ndepth) throw new Error(`${bench} ${n}: ${what} depth ${depth} != native weft ${ndepth}`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const k = Math.ceil(reps / ROUNDS);
      // each weft block next to its seq block
      for (const r of native(bench, n, workers, k)) { nms.push(r.ms); nspawns = r.spawns; nresult = r.result; ndepth = r.depth; }
      if (seq) for (const r of native(bench, n, 1, k, seqBin)) { sn.push(r.ms); same('native seq', r.result, r.depth); }
      if (haveClang) for (const r of native(bench, n, workers, k, clangBin)) { cms.push(r.ms); cspawns = r.spawns; same('native clang weft', r.result, r.depth); }
      if (seq && haveSeqClang) for (const r of native(bench, n, 1, k, seqClangBin)) { sc.push(r.ms); same('native clang seq', r.result, r.depth); }
      for (let r = 0; r < k; r++) {
        const s0 = pool.stats().spawns;
        const t0 = performance.now();
        result = await pool.run(bench, n);
        wms.push(performance.now() - t0);
        spawns = pool.stats().spawns - s0;
      }
      if (seq) for (let r = 0; r < k; r++) {
        const t0 = performance.now();
        const x = seq[bench](n);
        sw.push(performance.now() - t0);
        same('wasm seq', x, bench === 'tree' ? seq.treeDepth() : undefined);
      }
    }
    if (nresult !== result) throw new Error(`${bench}: wasm ${result} != native ${nresult}`);
    const wm = median(wms), nm = median(nms);
    rows.push({ bench, n, workers, spawns, reps: wms.length,
      wasm_ms: +wm.toFixed(3), wasm_best_ms: +Math.min(...wms).toFixed(3),
      native_ms: +nm.toFixed(3), native_best_ms: +Math.min(...nms).toFixed(3),
      wasm_ns_per_spawn: +(wm * 1e6 / spawns).toFixed(2), native_ns_per_spawn: +(nm * 1e6 / nspawns).toFixed(2),
      ratio: +(wm / nm).toFixed(2),
      ...(haveClang ? { clang_ms: +median(cms).toFixed(3), ratio_clang: +(wm / median(cms)).toFixed(2) } : {}),
      ...(seq ? overhead(workers, spawns, nspawns, cspawns, wm, nm, median(sw), median(sn), haveClang ? median(cms) : null,
        haveSeqClang ? median(sc) : null) : {}) });
  }
  await pool.destroy();
}
// Overhead per spawn (ns) of each side over its own sequential time, and
// the ratios; a ratio is null where the native overhead is not above zero.
function overhead(workers, spawns, nspawns, cspawns, wm, nm, swm, snm, cm, scm) {
  const ns = (ms, seqMs, sp) => +((workers * ms - seqMs) * 1e6 / sp).toFixed(2);
  const ratio = (a, b) => (b > 0 ? +(a / b).toFixed(2) : null);
  const wo = ns(wm, swm, spawns), no = ns(nm, snm, nspawns);
  const o = { seq_wasm_ms: +swm.toFixed(3), seq_native_ms: +snm.toFixed(3), seq_ratio: +(swm / snm).toFixed(2),
    wasm_overhead_ns_per_spawn: wo, native_overhead_ns_per_spawn: no, overhead_ratio: ratio(wo, no) };
  if (cm !== null && scm !== null) {
    const co = ns(cm, scm, cspawns);
    Object.assign(o, { seq_clang_ms: +scm.toFixed(3), seq_ratio_clang: +(swm / scm).toFixed(2),
      clang_overhead_ns_per_spawn: co, overhead_ratio_clang: ratio(wo, co) });
  }
  return o;
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
if (seq) {
  const sc = rows.some((r) => 'seq_clang_ms' in r);
  const c2 = (x) => (sc ? x : '');
  const f = (x) => (x === null || x === undefined ? '-' : x);
  console.log('\nspawn overhead over seq: (workers x weft ms - seq ms) / spawns; wall = weft ms / spawns');
  console.log('| bench | n | workers | wasm wall ns/spawn | native wall ns/spawn | wall wasm/native | seq wasm ms | ' +
    'seq native ms | seq wasm/native | wasm overhead ns/spawn | native overhead ns/spawn | overhead wasm/native |' +
    c2(' seq clang ms | clang overhead ns/spawn | overhead wasm/clang |'));
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |' + c2(' --- | --- | --- |'));
  for (const r of rows)
    console.log(`| ${r.bench} | ${r.n} | ${r.workers} | ${r.wasm_ns_per_spawn} | ${r.native_ns_per_spawn} | ${r.ratio} | ` +
      `${r.seq_wasm_ms} | ${r.seq_native_ms} | ${r.seq_ratio} | ${r.wasm_overhead_ns_per_spawn} | ` +
      `${r.native_overhead_ns_per_spawn} | ${f(r.overhead_ratio)} |` +
      c2(` ${f(r.seq_clang_ms)} | ${f(r.clang_overhead_ns_per_spawn)} | ${f(r.overhead_ratio_clang)} |`));
}
for (const r of rows) console.log(JSON.stringify(r));
