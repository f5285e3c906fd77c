// The browser suite's checks, run inside the page (index.html) and called
// one at a time by browser.test.mjs through playwright-core. Each returns a
// summary for the log or throws; every pool is destroyed before it returns.

import { createPool, isolationProblem, canShareMemory } from '../../src/index.js';
import { fibSeq, nqueensSeq, treeSeq, reduceTreeOracle } from './oracles.js';
import { randomDag, checkStamps, checkPipe } from './launch-oracles.js';
import { checkTrace } from './trace-check.js';

const TASKS = new URL('./page-tasks.js', import.meta.url);
// The test build of weft.wasm (js/build.sh): the test and benchmark C tasks.
const WASM = new URL('../../dist/weft-test.wasm', import.meta.url);
const BROKEN = new URL('../broken-tasks.mjs', import.meta.url);
const MISSING = new URL('../missing-tasks.mjs', import.meta.url);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}
function eq(got, want, what) {
  if (!Object.is(got, want)) throw new Error(`${what}: got ${got}, want ${want}`);
}
async function rejects(p, test, what) {
  let err = null;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`${what}: did not reject`);
  if (!test(err)) throw new Error(`${what}: rejected with the wrong error: ${err && err.name}: ${err && err.message}`);
  return err;
}
function throwsSync(f, Type, what) {
  try {
    f();
  } catch (e) {
    if (!(e instanceof Type)) throw new Error(`${what}: threw ${e && e.name} (${e && e.message}), want ${Type.name}`);
    return;
  }
  throw new Error(`${what}: did not throw`);
}

async function withPool(options, f) {
  const pool = await createPool({ wasm: WASM, ...options });
  try {
    return await f(pool);
  } finally {
    await pool.destroy();
  }
}

// C and JavaScript tasks of one pool, against the oracles.
async function coreChecks(pool) {
  for (const n of [0, 1, 2, 10, 20, 25]) eq(await pool.run('fib', n), fibSeq(n), `fib(${n})`);
  eq(await pool.run('nqueens', 8), nqueensSeq(8), 'nqueens(8)');
  eq(await pool.run('nqueens', 10), nqueensSeq(10), 'nqueens(10)');
  eq(await pool.run('tree', 30), treeSeq(30), 'tree(30)');
  eq(await pool.run('jfib', 16), fibSeq(16), 'jfib(16), a JavaScript task tree');
  let s = 0;
  for (let i = 0; i < 22; i++) s += fibSeq(i);
  eq(await pool.run('sumfib', 22), s, 'sumfib: a JavaScript task spawning C tasks');
  const v = pool.alloc(Float64Array, 5000);
  eq(await pool.run('fill', v, 0.25), 5000, 'fill count');
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    eq(v[i], 0.25 * i, `fill[${i}]`);
    sum += v[i];
  }
  eq(await pool.run('vsum', v), sum, 'vsum: a C task reads what JavaScript tasks wrote');
  pool.free(v);
  const args = Array.from({ length: 600 }, (_, i) => [i, 3 * i]);
  const c = await pool.map('add', args);
  const js = await pool.map('jadd', args);
  for (let i = 0; i < args.length; i++) {
    eq(c[i], 4 * i, `map add[${i}]`);
    eq(js[i], 4 * i, `map jadd[${i}]`);
  }
  const ns = [18, 19, 20, 21];
  const rs = await Promise.all(ns.map((n) => pool.run('fib', n)));
  ns.forEach((n, i) => eq(rs[i], fibSeq(n), `fib(${n}) in flight with others`));
}

async function errorChecks(pool) {
  const e = await rejects(pool.run('boom', 7), (x) => x instanceof RangeError, "'boom' rejects with its RangeError");
  check(/boom 7/.test(e.message) && /in task 'boom'/.test(e.message), `message names the task: ${e.message}`);
  eq(e.task, 'boom', 'err.task');
  await rejects(pool.run('tree_with_error', 64, 37), (x) => /leaf 37 failed.*tree_with_error/.test(x.message),
    'a throwing leaf deep in a tree');
  await rejects(pool.run('returns_promise'), (x) => /synchronous/.test(x.message), 'a task returning a promise');
  // The pool stays usable.
  eq(await pool.run('fib', 20), fibSeq(20), 'fib(20) after errors');
  eq(await pool.run('jfib', 12), fibSeq(12), 'jfib(12) after errors');
  throwsSync(() => pool.run('no_such_task'), TypeError, 'unknown task');
  throwsSync(() => pool.run('fib', 'x'), TypeError, 'a string argument');
  throwsSync(() => pool.run('vsum', new Float64Array(4)), TypeError, 'a view outside the pool');
  throwsSync(() => pool.run('fib', 1, 2, 3, 4, 5, 6), TypeError, 'six arguments');
}

// pool.for / pool.reduce / ctx.for / mapColumns against sequential oracles,
// over sizes 0, 1, the grain +- 1, odd and large; a throwing chunk.
async function loopChecks(pool, large = 1e6) {
  const G = 100;
  const sizes = [0, 1, G - 1, G, G + 1, 1235, large];
  const x = pool.alloc(Float64Array, large + 8), seen = pool.alloc(Uint8Array, large + 8);
  for (let i = 0; i < x.length; i++) x[i] = (i % 1000) / 2;
  const seqSum = (lo, hi) => {
    let s = 0;
    for (let i = lo; i < hi; i++) s += x[i];
    return s;
  };
  for (const n of sizes) {
    for (const grain of [undefined, G]) {
      seen.fill(0);
      await pool.for('mark', 2, 2 + n, { grain }, seen);
      for (let i = 0; i < n + 4; i++) {
        if (seen[i] !== (i >= 2 && i < 2 + n ? 1 : 0)) throw new Error(`for n ${n} grain ${grain}: item ${i} ran ${seen[i]} times`);
      }
      eq(await pool.reduce('sum_range', 0, n, { grain }, x), reduceTreeOracle(0, n, grain, seqSum, (a, b) => a + b),
        `reduce sum n ${n} grain ${grain}`);
      eq(await pool.reduce('sum_range', 0, n, { grain, combine: 'max' }, x),
        n ? reduceTreeOracle(0, n, grain, seqSum, Math.max) : -Infinity, `reduce max n ${n}`);
    }
  }
  eq(await pool.reduce('lohi', 3, 1003, { combine: 'mix' }),
    reduceTreeOracle(3, 1003, undefined, (lo, hi) => lo * 3 + hi, (a, b) => (a * 7 + b) % 1000003), 'a named combine');
  const v = pool.alloc(Float64Array, 5001);
  eq(await pool.run('nested_loops', v, 3, 0),
    reduceTreeOracle(0, 5001, undefined, (lo, hi) => 1.5 * (hi - 1 + lo) * (hi - lo), (a, b) => a + b), 'ctx.for + ctx.reduce');
  const col = Float32Array.from({ length: 777 }, (_, i) => i / 4);
  const sq = await pool.map('sq', col);
  for (let i = 0; i < col.length; i++) eq(sq[i], col[i] * col[i], `map sq[${i}]`);
  const out = new Int32Array(777);
  await pool.mapColumns('add', [col, new Uint8Array(777).fill(3)], { out });
  for (let i = 0; i < col.length; i++) eq(out[i], Math.trunc(col[i] + 3), `mapColumns add[${i}]`);
  // Columns that come back (pool.alloc'ed, mapped again and again): the
  // workers then run them through closures made over them (runtime.js,
  // fixedMapper); same results, windows of the same columns too.
  const rn = 20000, ra = pool.alloc(Float64Array, rn), rb = pool.alloc(Float64Array, rn), ro = pool.alloc(Float64Array, rn);
  for (let i = 0; i < rn; i++) { ra[i] = i; rb[i] = (3 * i) % 1001; }
  for (let rep = 0; rep < 5; rep++) {
    const [lo, hi] = rep === 4 ? [5000, 17000] : [0, rn];
    ro.fill(-1);
    await pool.mapColumns('mix', [ra.subarray(lo, hi), rb.subarray(lo, hi)], { out: ro.subarray(lo, hi) });
    for (let i = 0; i < rn; i++) {
      if (ro[i] !== (i >= lo && i < hi ? (ra[i] * 7 + rb[i]) % 1000003 : -1)) throw new Error(`repeated columns rep ${rep}: [${i}] = ${ro[i]}`);
    }
  }
  pool.free(ra);
  pool.free(rb);
  pool.free(ro);
  const e = await rejects(pool.for('throws_at', 0, 1000, { grain: 100 }, 517), (x) => x instanceof RangeError,
    'a throwing chunk');
  check(/chunk \[500, 600\)/.test(e.message) && e.task === 'throws_at', `names the chunk: ${e.message}`);
  throwsSync(() => pool.for('mark', 5, 4, undefined, seen), RangeError, 'begin > end');
  throwsSync(() => pool.for('mark', 0, 2 ** 32, undefined, seen), RangeError, 'end beyond 2^32 - 1');
  throwsSync(() => pool.for('mark', 0, 1.5, undefined, seen), TypeError, 'a non-integer end');
  throwsSync(() => pool.for('mark', 0, 4, undefined, new Uint8Array(4)), TypeError, 'a view outside the pool');
  eq(await pool.reduce('mark', 0, 1000, undefined, seen), 1000, 'usable after the errors');
  pool.free(x);
  pool.free(seen);
  pool.free(v);
  return { sizes };
}

// Launched tasks on Web Workers: a random DAG from the main thread whose
// events are triggered when a fetch resolves, a DAG launched inside a task,
// failure naming its origin, and a pipe; stamps checked against the DAG.
async function launchChecks(pool) {
  const n = 300;
  const dag = randomDag(n, 3, 11);
  const seq = pool.alloc(Int32Array, 1 + 2 * n);
  const counts = pool.alloc(Int32Array, n);
  const pipe = pool.pipe();
  const hs = [], events = [], pipeNodes = [];
  for (let k = 0; k < n; k++) {
    if (dag.event[k]) {
      hs.push(pool.event(`e${k}`));
      events.push(k);
      continue;
    }
    const o = { after: dag.preds[k].map((p) => hs[p]) };
    if (k % 7 === 3) {
      o.pipe = pipe;
      pipeNodes.push(k);
    }
    hs.push(k % 2 ? pool.launch('stamp', seq, k, 300, o) : pool.launch('lstamp', seq, counts, k, 300, o));
  }
  await Promise.all(events.map(async (k) => {
    await (await fetch(location.href, { cache: 'no-store' })).text();
    Atomics.store(seq, 1 + 2 * k, Atomics.add(seq, 0, 1) + 1);
    Atomics.store(seq, 2 + 2 * k, Atomics.add(seq, 0, 1) + 1);
    hs[k].trigger();
  }));
  await Promise.all(hs);
  checkStamps(dag, seq, counts, (k) => !dag.event[k] && k % 2 === 0);
  checkPipe(seq, pipeNodes);
  for (const h of hs) h.release();
  pipe.destroy();
  // Inside a task.
  const per = 3, m = 200;
  const d2 = randomDag(m, per, 5, 0);
  const preds = pool.alloc(Int32Array, m * per).fill(-1);
  d2.preds.forEach((ps, k) => ps.forEach((p, j) => (preds[k * per + j] = p)));
  const s2 = pool.alloc(Int32Array, 1 + 2 * m), c2 = pool.alloc(Int32Array, m);
  eq(await pool.launch('launch_dag', s2, c2, preds, per, 100), m, 'launch_dag');
  checkStamps(d2, s2, c2, (k) => k % 2 === 0);
  // Failure names its origin; the pool stays usable.
  const t = pool.launch('lthrow', 4);
  const after = pool.launch('ladd', 1, 1, { after: t });
  await rejects(t, (e) => e instanceof RangeError && e.code === 'EFAILED' && /lthrow 4/.test(e.message), 'a throwing launched task');
  await rejects(after, (e) => e.code === 'ECANCELED' && e.origin.task === 'lthrow' && /'lthrow' threw RangeError/.test(e.message),
    'its successor');
  eq(await pool.launch('ladd', 2, 3), 5, 'usable after a failure');
  eq(await pool.launch('waits_for_failure'), 1, 'ctx.wait on a canceled task names the origin');
  return { nodes: n + m };
}

export const tests = {
  async launch({ single = false } = {}) {
    return withPool(single ? { singleThread: true, tasks: TASKS } : { workers: 2, tasks: TASKS }, launchChecks);
  },

  // A timeline trace from Web Workers (docs/TRACES.md): structure, and one
  // JavaScript slice per task of the run (its root and every spawn).
  async trace() {
    return withPool({ workers: 2, tasks: TASKS }, async (pool) => {
      const s0 = pool.stats();
      let r;
      const text = await pool.trace(async () => { r = await pool.run('jfib', 15); });
      eq(r, fibSeq(15), 'jfib(15)');
      const s1 = pool.stats();
      const doc = JSON.parse(text);
      const { begins, dropped } = checkTrace(doc);
      eq(dropped, 0, 'dropped');
      const js = begins.filter((e) => e.cat === 'js');
      eq(js.length, s1.spawns - s0.spawns + s1.roots - s0.roots, 'one slice per JavaScript task');
      check(js.every((e) => e.name === 'jfib'), 'named by the export');
      return { events: doc.traceEvents.length, js: js.length };
    });
  },

  async loops({ completion = 'auto' } = {}) {
    return withPool({ workers: 2, tasks: TASKS, completion }, loopChecks);
  },

  async isolated() {
    eq(globalThis.crossOriginIsolated, true, 'crossOriginIsolated');
    eq(typeof SharedArrayBuffer, 'function', 'typeof SharedArrayBuffer');
    eq(canShareMemory(), true, 'canShareMemory()');
    eq(await isolationProblem(), null, 'isolationProblem()');
    return { crossOriginIsolated, cores: navigator.hardwareConcurrency };
  },

  async forkJoin() {
    return withPool({ workers: 2, tasks: TASKS }, async (pool) => {
      eq(pool.workers, 2, 'workers');
      eq(pool.fallback, false, 'fallback');
      eq(pool.completion, 'waitAsync', 'completion');
      await coreChecks(pool);
      // Both workers ran leaves of one run (each leaf does some work). On a
      // loaded machine one worker's thread may not get a core during a
      // whole run: up to 3 tries.
      const who = pool.alloc(Int32Array, 1024);
      let seen;
      for (let i = 0; i < 3; i++) {
        who.fill(0);
        eq(await pool.run('who', who, 0, who.length), who.length, 'who: leaves counted');
        seen = new Set(who);
        check(!seen.has(0), 'every leaf ran');
        if (seen.has(1) && seen.has(2)) break;
      }
      check(seen.has(1) && seen.has(2), `both workers ran leaves: ${[...seen]}`);
      const st = pool.stats();
      check(st.spawns > 10000 && st.roots > 10, `stats: ${JSON.stringify(st)}`);
      return { stats: st };
    });
  },

  async errors() {
    return withPool({ workers: 2, tasks: TASKS }, errorChecks);
  },

  async createDestroy() {
    for (let i = 0; i < 6; i++) {
      const pool = await createPool({ wasm: WASM, workers: 1 + (i % 3), tasks: TASKS });
      eq(await pool.run('fib', 15 + i), fibSeq(15 + i), `cycle ${i}: fib`);
      eq(await pool.run('jfib', 10), fibSeq(10), `cycle ${i}: jfib`);
      await pool.destroy();
      throwsSync(() => pool.run('fib', 1), Error, `cycle ${i}: run after destroy`);
      await pool.destroy();
    }
    // destroy waits for a run in flight
    const pool = await createPool({ wasm: WASM, workers: 2 });
    const p = pool.run('fib', 25);
    const d = pool.destroy();
    eq(await p, fibSeq(25), 'a run in flight at destroy');
    await d;
    return { cycles: 6 };
  },

  async workerLoadFailure() {
    const a = await rejects(createPool({ wasm: WASM, workers: 2, tasks: BROKEN }), (e) => /broken on purpose/.test(e.message),
      'a task module that throws');
    const b = await rejects(createPool({ wasm: WASM, workers: 1, tasks: MISSING }), (e) => /cannot import task module/.test(e.message),
      'a task module that does not exist');
    const c = await rejects(createPool({ workers: 1, wasm: new URL('./page-tasks.js', import.meta.url) }),
      (e) => e instanceof WebAssembly.CompileError, 'a wasm URL that is not wasm');
    await rejects(createPool({ wasm: WASM, workers: 0 }), (e) => e instanceof RangeError, 'workers: 0');
    await rejects(createPool({ wasm: WASM, workers: 'two' }), (e) => e instanceof TypeError, "workers: 'two'");
    await rejects(createPool({ wasm: WASM, completion: 'poll' }), (e) => e instanceof TypeError, "completion: 'poll'");
    // Still fine afterwards.
    await withPool({ workers: 2 }, async (pool) => eq(await pool.run('fib', 20), fibSeq(20), 'fib(20)'));
    return { messages: [a.message, b.message, c.message] };
  },

  // The path for browsers without Atomics.waitAsync, forced.
  async messageCompletion() {
    return withPool({ workers: 2, tasks: TASKS, completion: 'message' }, async (pool) => {
      eq(pool.completion, 'message', 'completion');
      await coreChecks(pool);
      await errorChecks(pool);
      return { completion: pool.completion };
    });
  },

  // ... and chosen by 'auto' when Atomics.waitAsync is really missing.
  async noWaitAsync() {
    const saved = Object.getOwnPropertyDescriptor(Atomics, 'waitAsync');
    delete Atomics.waitAsync;
    try {
      eq(typeof Atomics.waitAsync, 'undefined', 'Atomics.waitAsync removed');
      return await withPool({ workers: 2, tasks: TASKS }, async (pool) => {
        eq(pool.completion, 'message', 'completion chosen without waitAsync');
        eq(await pool.run('fib', 24), fibSeq(24), 'fib(24)');
        eq(await pool.run('jfib', 14), fibSeq(14), 'jfib(14)');
        return { completion: pool.completion };
      });
    } finally {
      Object.defineProperty(Atomics, 'waitAsync', saved);
    }
  },

  // A timer on the main thread keeps firing while the pool runs: the run
  // lasts until the workers have seen `want` ticks of the page's timer.
  async responsive({ completion = 'auto' } = {}) {
    return withPool({ workers: 2, tasks: TASKS, completion }, async (pool) => {
      const ticks = pool.alloc(Int32Array, 1);
      const want = 25;
      let mainTicks = 0;
      const timer = setInterval(() => {
        mainTicks++;
        Atomics.add(ticks, 0, 1);
      }, 4);
      let seen;
      try {
        seen = await pool.run('busy_until_ticks', ticks, want, 18, fibSeq(18), 300000);
      } finally {
        clearInterval(timer);
      }
      check(seen !== -1, 'every fib(18) of the busy run was right');
      check(seen >= want, `the workers saw ${seen} ticks of the main thread's timer, want >= ${want}`);
      check(mainTicks >= want, `the timer fired ${mainTicks} times during the run, want >= ${want}`);
      const st = pool.stats();
      return { seen, mainTicks, spawns: st.spawns, completion: pool.completion };
    });
  },

  // Served from /noiso/ (no COOP/COEP): the error names the headers, and
  // the single-thread fallback gives the same results.
  async noIsolation() {
    eq(globalThis.crossOriginIsolated, false, 'crossOriginIsolated');
    eq(typeof SharedArrayBuffer, 'undefined', 'typeof SharedArrayBuffer');
    // The fact the package relies on: a shared memory can be made, not sent.
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    let cloneError = null;
    const w = new Worker(URL.createObjectURL(new Blob([''], { type: 'text/javascript' })));
    try {
      w.postMessage(mem);
    } catch (e) {
      cloneError = e;
    } finally {
      w.terminate();
    }
    check(cloneError && cloneError.name === 'DataCloneError', `posting a shared memory to a worker: ${cloneError}`);
    eq(canShareMemory(), false, 'canShareMemory()');
    const problem = await isolationProblem();
    check(typeof problem === 'string', 'isolationProblem() explains');
    for (const h of ['Cross-Origin-Opener-Policy: same-origin', 'Cross-Origin-Embedder-Policy: require-corp'])
      check(problem.includes(h), `the message names '${h}': ${problem}`);
    check(/the page .* no cross-origin-opener-policy header/.test(problem), `the page's missing COOP: ${problem}`);
    check(/the worker script .* no cross-origin-embedder-policy header/.test(problem), `the worker's missing COEP: ${problem}`);
    const e = await rejects(createPool({ wasm: WASM, workers: 2, fallback: false }), (x) => x.message === problem,
      'fallback: false rejects with the explanation');
    return withPool({ workers: 2, tasks: TASKS }, async (pool) => {
      eq(pool.fallback, true, 'fallback');
      eq(pool.workers, 1, 'workers');
      eq(pool.fallbackReason, problem, 'fallbackReason');
      await coreChecks(pool);
      await errorChecks(pool);
      await loopChecks(pool, 100000);
      return { problem: e.message };
    });
  },
};
