// Parallel loops: pool.for / pool.reduce from the main thread, ctx.for /
// ctx.reduce inside tasks, against sequential oracles, in each completion
// mode and in the single-thread fallback; their errors.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPool } from '../src/index.js';
import { reduceTreeOracle } from './browser/oracles.js'; // shared with the browser suite

const TASKS = new URL('./tasks.mjs', import.meta.url);
// The test build of weft.wasm (js/build.sh): the test and benchmark C tasks.
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);

const GRAIN = 1000;
// Sizes: empty, one item, around the grain, odd, and 10^7.
const SIZES = [0, 1, GRAIN - 1, GRAIN, GRAIN + 1, 12345, 1e7];

const treeOracle = reduceTreeOracle;

// tasks.mjs odd_result's item as weft stores it (a task's result converted
// to a number: booleans 0/1, bigints by Number, anything else 0).
function oddResult(a, b) {
  const k = (a + b) % 4;
  const v = k === 0 ? a > b : k === 1 ? undefined : k === 2 ? BigInt(a) : a * b;
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? +v : 0;
}

for (const mode of ['waitAsync', 'message', 'single thread']) {
  describe(`loops (${mode})`, () => {
    let pool, x, y, seen;
    const N = 1e7;
    before(async () => {
      pool = await createPool(mode === 'single thread' ? { wasm: WASM, singleThread: true, tasks: TASKS }
        : { wasm: WASM, workers: 2, tasks: TASKS, completion: mode });
      x = pool.alloc(Float64Array, N + 8);
      y = pool.alloc(Float64Array, N + 8);
      seen = pool.alloc(Uint8Array, N + 8);
      for (let i = 0; i < N; i++) x[i] = (i % 1000) * 0.5;
    });
    after(async () => {
      await pool.destroy();
    });

    test('for calls every item exactly once (adaptive and with a grain)', { timeout: 120000 }, async () => {
      for (const n of SIZES) {
        for (const grain of [undefined, GRAIN]) {
          const begin = n > 10 ? 3 : 0; // also a range that does not start at 0
          seen.fill(0, 0, n + 3);
          assert.equal(await pool.for('mark', begin, begin + n, { grain }, seen), undefined);
          for (let i = 0; i < n + 3; i++) {
            if (seen[i] !== (i >= begin && i < begin + n ? 1 : 0))
              assert.fail(`n ${n} grain ${grain}: item ${i} ran ${seen[i]} times`);
          }
        }
      }
    });

    test('axpy over 10^7 doubles matches the sequential loop', { timeout: 120000 }, async () => {
      y.fill(1);
      await pool.for('axpy', 0, N, undefined, 2.5, x, y);
      for (let i = 0; i < N; i++) if (y[i] !== 1 + 2.5 * x[i]) assert.fail(`y[${i}] = ${y[i]}`);
    });

    test('with a grain, chunks are [k grain, (k + 1) grain)', async () => {
      const log = pool.alloc(Int32Array, 1 + 2 * 200);
      try {
        for (const grain of [1, 7, 64]) {
          log.fill(0);
          await pool.for('log_chunk', 0, 100, { grain }, log);
          const k = log[0];
          let covered = 0;
          for (let c = 0; c < k; c++) {
            const lo = log[1 + 2 * c], hi = log[2 + 2 * c];
            assert.ok(hi > lo && lo % grain === 0 && hi === Math.min(100, lo + grain), `chunk [${lo}, ${hi}) for grain ${grain}`);
            covered += hi - lo;
          }
          assert.equal(covered, 100);
        }
      } finally {
        pool.free(log);
      }
    });

    test('reduce: sum, min, max over sizes 0..10^7 equal the oracle exactly', { timeout: 120000 }, async () => {
      const seqSum = (lo, hi) => {
        let s = 0;
        for (let i = lo; i < hi; i++) s += x[i];
        return s;
      };
      for (const n of SIZES) {
        for (const grain of [undefined, GRAIN]) {
          const want = treeOracle(0, n, grain, seqSum, (a, b) => a + b);
          assert.equal(await pool.reduce('sum_range', 0, n, { grain }, x), want, `sum n ${n} grain ${grain}`);
          // min/max over the chunks' sums
          assert.equal(await pool.reduce('sum_range', 0, n, { grain, combine: 'min' }, x),
            n ? treeOracle(0, n, grain, seqSum, Math.min) : Infinity);
          assert.equal(await pool.reduce('sum_range', 0, n, { grain, combine: 'max' }, x),
            n ? treeOracle(0, n, grain, seqSum, Math.max) : -Infinity);
        }
      }
      // the plain sequential sum: equal up to rounding
      let s = 0;
      for (let i = 0; i < N; i++) s += x[i];
      const got = await pool.reduce('sum_range', 0, N, undefined, x);
      assert.ok(Math.abs(got - s) <= 1e-9 * Math.abs(s), `${got} vs ${s}`);
      assert.equal(await pool.reduce('sum_range', 5, 5, { identity: 42 }, x), 42);
    });

    test('reduce with a named combine task follows the fixed tree, run after run', async () => {
      for (const [n, grain] of [[1, undefined], [2, undefined], [1000, undefined], [1001, 7], [100000, undefined]]) {
        const want = treeOracle(10, 10 + n, grain, (lo, hi) => lo * 3 + hi, (a, b) => (a * 7 + b) % 1000003);
        for (let r = 0; r < 5; r++)
          assert.equal(await pool.reduce('lohi', 10, 10 + n, { grain, combine: 'mix' }), want, `n ${n} run ${r}`);
      }
      assert.equal(await pool.reduce('lohi', 0, 0, { combine: 'mix', identity: -1 }), -1);
    });

    test('loops nested inside a task (ctx.for, ctx.reduce)', { timeout: 60000 }, async () => {
      for (const n of [1, GRAIN + 1, 100000]) {
        for (const grain of [undefined, GRAIN]) {
          const v = pool.alloc(Float64Array, n);
          const want = treeOracle(0, n, grain, (lo, hi) => {
            let s = 0;
            for (let i = lo; i < hi; i++) s += 3 * i;
            return s;
          }, (a, b) => a + b);
          assert.equal(await pool.run('nested_loops', v, 3, grain ?? 0), want);
          for (let i = 0; i < n; i++) if (v[i] !== 3 * i) assert.fail(`v[${i}] = ${v[i]}`);
          pool.free(v);
        }
      }
    });

    test('loops inside graph nodes: results, and a throwing chunk fails its node', async () => {
      const v = pool.alloc(Float64Array, 3001);
      const g = pool.graph();
      try {
        const a = g.add('nested_loops', v, 2, 0);
        const b = g.add('nested_throw', 1000, 5);
        g.edge(a, b);
        await assert.rejects(g.run(), (e) => e.code === 'ENODE_FAILED' && e.nodeTask === 'nested_throw');
        assert.equal(g.result(a), 3000 * 3001);
        for (let i = 0; i < v.length; i++) if (v[i] !== 2 * i) assert.fail(`v[${i}] = ${v[i]}`);
        g.clear();
        const c = g.add('nested_loops', v, 3, 100);
        await g.run();
        assert.equal(g.result(c), reduceTreeOracle(0, 3001, 100, (lo, hi) => 1.5 * (lo + hi - 1) * (hi - lo), (x, y) => x + y));
      } finally {
        g.destroy();
        pool.free(v);
      }
    });

    test('a C task as the chunk task', async () => {
      // 'add' gets (lo, hi): a chunk's result is lo + hi
      const want = treeOracle(0, 5000, 100, (lo, hi) => lo + hi, (a, b) => a + b);
      assert.equal(await pool.reduce('add', 0, 5000, { grain: 100 }), want);
    });

    test('a chunk that throws rejects naming the task and the chunk; the pool stays usable', async () => {
      await assert.rejects(pool.for('throws_at', 0, 1000, { grain: 100 }, 517), (e) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.task, 'throws_at');
        assert.deepEqual(e.range, [500, 600]);
        assert.match(e.message, /item 517 is bad \(in task 'throws_at', chunk \[500, 600\)\)/);
        return true;
      });
      await assert.rejects(pool.reduce('throws_at', 0, 1000, undefined, 999), /chunk \[/);
      await assert.rejects(pool.run('nested_throw', 1000, 3), (e) => e.task === 'throws_at' && e.range[0] <= 3);
      assert.equal(await pool.reduce('mark', 0, 1000, undefined, seen), 1000);
    });

    test('loops started together (one job) each get their own result or error', async () => {
      const ps = [];
      for (let k = 0; k < 40; k++) {
        if (k === 17) ps.push(pool.reduce('throws_at', 0, 500, { grain: 50 }, 123));
        else if (k % 3 === 0) ps.push(pool.mapColumns('sq', [Float64Array.from({ length: 300 }, (_, i) => i + k)]));
        else ps.push(pool.reduce('lohi', k, k + 1000, { grain: 7 + k, combine: 'mix' }));
      }
      const rs = await Promise.allSettled(ps);
      for (let k = 0; k < 40; k++) {
        const r = rs[k];
        if (k === 17) {
          assert.equal(r.status, 'rejected');
          assert.deepEqual(r.reason.range, [100, 150]);
        } else if (k % 3 === 0) {
          assert.equal(r.status, 'fulfilled');
          for (let i = 0; i < 300; i++) assert.equal(r.value[i], (i + k) * (i + k));
        } else {
          assert.equal(r.value, treeOracle(k, k + 1000, 7 + k, (lo, hi) => lo * 3 + hi, (a, b) => (a * 7 + b) % 1000003), `loop ${k}`);
        }
      }
    });

    test('bad ranges, options and arguments are refused at once', () => {
      const bad = [[5, 4, RangeError], [-1, 3, RangeError], [0, 2 ** 32, RangeError], [0.5, 3, TypeError],
        [0, NaN, TypeError], ['0', 3, TypeError], [0, undefined, TypeError]];
      for (const [b, e, E] of bad) {
        assert.throws(() => pool.for('mark', b, e, undefined, seen), E, `for(${b}, ${e})`);
        assert.throws(() => pool.reduce('mark', b, e, undefined, seen), E, `reduce(${b}, ${e})`);
      }
      assert.throws(() => pool.for('mark', 0, 10, undefined, new Float64Array(10)), /outside the pool's memory/);
      assert.throws(() => pool.for('mark', 0, 10, { grain: -1 }, seen), TypeError);
      assert.throws(() => pool.for('mark', 0, 10, 5, seen), TypeError);
      assert.throws(() => pool.for('nope', 0, 10), /no task named 'nope'/);
      assert.throws(() => pool.reduce('mark', 0, 10, { combine: 'avg' }, seen), /no task named 'avg'/);
      assert.throws(() => pool.reduce('add', 0, 10, undefined, 1, 2, 3, 4), /at most 3 arguments/);
    });
  });
}

describe('loops and sleeping workers', () => {
  test('a loop started while the workers sleep runs on both (its halves are offered and a sleeper woken)', async () => {
    const pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS });
    try {
      const seen = pool.alloc(Int32Array, 64);
      for (const [what, run] of [['reduce', () => pool.reduce('mark_worker', 0, 64, { grain: 1 }, seen, 2)],
        ['for', () => pool.for('mark_worker', 0, 64, undefined, seen, 2)]]) {
        for (let round = 0; round < 3; round++) {
          await new Promise((r) => setTimeout(r, 30)); // both workers asleep by now
          seen.fill(0);
          const r = await run();
          if (what === 'reduce') assert.equal(r, 64);
          const ran = new Set(seen);
          assert.ok(!ran.has(0), `${what}: every item ran`);
          assert.deepEqual([...ran].sort(), [1, 2], `${what} round ${round}: chunks ran on workers ${[...ran]}`);
        }
      }
    } finally {
      await pool.destroy();
    }
  });
});

describe('map over typed-array columns', () => {
  let pool;
  before(async () => {
    pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS });
  });
  after(async () => {
    await pool.destroy();
  });

  test('one column, sizes 0, 1, odd, large: JavaScript and C tasks against the oracle', { timeout: 60000 }, async () => {
    for (const n of [0, 1, 255, 256, 257, 10001, 1e6]) {
      const a = new Float64Array(n).map((_, i) => i * 0.5 - 3);
      const got = await pool.map('sq', a);
      assert.ok(got instanceof Float64Array && got.length === n);
      for (let i = 0; i < n; i++) if (got[i] !== a[i] * a[i]) assert.fail(`sq n ${n}: [${i}] = ${got[i]}`);
      const c = await pool.mapColumns('add', [a, a], { grain: 100 });
      for (let i = 0; i < n; i++) if (c[i] !== 2 * a[i]) assert.fail(`add n ${n}: [${i}] = ${c[i]}`);
    }
  });

  test('mixed column types, in-pool and ordinary arrays, results into a typed array of any type', async () => {
    const n = 1001;
    const a = new Float32Array(n).map((_, i) => i / 4);
    const b = new Int16Array(n).map((_, i) => -i);       // a type tasks do not take: converted
    const c = new Uint8Array(n).map((_, i) => i & 255);
    const cIn = pool.alloc(Uint8Array, n);
    cIn.set(c);
    const oracle = (i) => a[i] * 100 + b[i] * 10 + cIn[i];
    for (const task of ['lin3']) {
      const f64 = await pool.mapColumns(task, [a, b, cIn]);
      for (let i = 0; i < n; i++) assert.equal(f64[i], oracle(i));
      const out = new Int32Array(n + 5).fill(7);
      assert.equal(await pool.mapColumns(task, [a, b, cIn], { out }), out);
      for (let i = 0; i < n; i++) assert.equal(out[i], Math.trunc(oracle(i)) | 0);
      assert.equal(out[n], 7, 'beyond n untouched');
      const pout = pool.alloc(Float32Array, n);
      await pool.mapColumns(task, [a, b, cIn], { out: pout });
      for (let i = 0; i < n; i++) assert.equal(pout[i], Math.fround(oracle(i)));
      pool.free(pout);
    }
    // a C task: columns converted to numbers, results stored as JavaScript would
    const u8 = new Uint8Array(n);
    await pool.mapColumns('add', [a, b], { out: u8 });
    for (let i = 0; i < n; i++) assert.equal(u8[i], new Uint8Array([a[i] + b[i]])[0]);
    const i8 = pool.alloc(Int8Array, n);
    await pool.mapColumns('add', [a, b], { out: i8 });
    for (let i = 0; i < n; i++) assert.equal(i8[i], new Int8Array([a[i] + b[i]])[0], `i8[${i}]`);
    pool.free(i8);
    pool.free(cIn);
  });

  test('every chunk size (the loop runs 4 items at a time), several tasks, 1 to 5 columns, non-number results', async () => {
    // mix, odd_result, col5, sq and lin3 run in the same workers: each has
    // its own loop, the results must not depend on which ran before.
    const n = 37;
    const a = Float64Array.from({ length: n }, (_, i) => i), b = Float64Array.from({ length: n }, (_, i) => 3 * i + 1);
    for (let len = 0; len <= n; len++) {
      const as = a.subarray(0, len), bs = b.subarray(0, len);
      for (const grain of [1, 2, 3, 5, 7, undefined]) {
        const got = await pool.mapColumns('mix', [as, bs], { grain });
        for (let i = 0; i < len; i++) assert.equal(got[i], (a[i] * 7 + b[i]) % 1000003, `mix len ${len} grain ${grain} [${i}]`);
        const odd = await pool.mapColumns('odd_result', [as, bs], { grain });
        for (let i = 0; i < len; i++) assert.equal(odd[i], oddResult(a[i], b[i]), `odd_result len ${len} grain ${grain} [${i}]`);
        const five = await pool.mapColumns('col5', [as, bs, as, bs, as], { grain });
        for (let i = 0; i < len; i++) assert.equal(five[i], a[i] + 2 * b[i] + 3 * a[i] + 4 * b[i] + 5 * a[i]);
      }
    }
  });

  test('an item that throws: the error names the chunk holding it, items before it in the chunk are stored', async () => {
    const n = 23;
    const a = Float64Array.from({ length: n }, (_, i) => i);
    for (const bad of [0, 1, 2, 3, 4, 5, 6, 21, 22]) {
      const out = new Float64Array(n).fill(-1);
      await assert.rejects(pool.mapColumns('throws_item', [a, new Float64Array(n).fill(bad)], { out, grain: 100 }),
        (e) => e instanceof RangeError && e.task === 'throws_item' && e.range[0] === 0 && e.range[1] === n &&
          e.message.startsWith(`item ${bad}`));
      const pout = pool.alloc(Float64Array, n);
      pout.fill(-1);
      await assert.rejects(pool.mapColumns('throws_item', [a, new Float64Array(n).fill(bad)], { out: pout, grain: 100 }));
      for (let i = 0; i < bad; i++) assert.equal(pout[i], i + 1, `bad ${bad}: item ${i} stored`);
      assert.equal(pout[bad], -1, `bad ${bad}: its own item not stored`);
      pool.free(pout);
    }
  });

  test('repeated columns (a closure per task and columns on each worker): same task over different columns, windows, grains', { timeout: 60000 }, async () => {
    // Columns of 20,000 items mapped 4 times each: past the items after
    // which a worker makes a closure over them (runtime.js, FIXED), so the
    // later calls run through those closures; every result against the oracle.
    const n = 20000;
    const cols = [0, 1, 2].map((k) => {
      const a = pool.alloc(Float64Array, n), b = pool.alloc(Float64Array, n);
      for (let i = 0; i < n; i++) { a[i] = i * (k + 1); b[i] = (3 * i + k) % 1001; }
      return [a, b];
    });
    const outs = [pool.alloc(Float64Array, n), pool.alloc(Float64Array, n)];
    const mixOf = (a, b) => (a * 7 + b) % 1000003;
    for (let rep = 0; rep < 4; rep++) {
      for (const [k, [a, b]] of cols.entries()) {
        for (const out of outs) {
          out.fill(-1);
          await pool.mapColumns('mix', [a, b], { out, grain: rep % 2 ? 3000 : undefined });
          for (let i = 0; i < n; i++) if (out[i] !== mixOf(a[i], b[i])) assert.fail(`mix cols ${k} rep ${rep} [${i}] = ${out[i]}`);
        }
        // another task over the same columns, results into a new array
        const got = await pool.mapColumns('col5', [a, b, a, b, a]);
        for (let i = 0; i < n; i++) if (got[i] !== 9 * a[i] + 6 * b[i]) assert.fail(`col5 cols ${k} rep ${rep} [${i}]`);
      }
      // windows of the same columns (other offsets and lengths), into windows of a result
      for (const [lo, hi] of [[0, 10000], [5000, 17000], [2, 20000]]) {
        const [a, b] = cols[1];
        const out = outs[0].subarray(lo, hi);
        outs[0].fill(-1);
        await pool.mapColumns('mix', [a.subarray(lo, hi), b.subarray(lo, hi)], { out });
        for (let i = 0; i < n; i++) {
          const want = i >= lo && i < hi ? mixOf(a[i], b[i]) : -1;
          if (outs[0][i] !== want) assert.fail(`window [${lo}, ${hi}) rep ${rep}: [${i}] = ${outs[0][i]}`);
        }
      }
    }
    // a throw in a repeated loop still names the task and the chunk
    const a = cols[0][0];
    const bad = pool.alloc(Float64Array, n);
    for (let rep = 0; rep < 3; rep++) {
      bad.fill(-1);
      await pool.mapColumns('throws_item', [a, bad], { out: outs[1] });
    }
    bad[12345] = a[12345];
    await assert.rejects(pool.mapColumns('throws_item', [a, bad], { out: outs[1], grain: 1000 }),
      (e) => e instanceof RangeError && e.task === 'throws_item' && e.range[0] === 12000 && e.range[1] === 13000);
    for (const [x, y] of cols) { pool.free(x); pool.free(y); }
    for (const o of outs) pool.free(o);
    pool.free(bad);
  });

  test('repeated columns in the single-thread fallback: closures made, the cache bounded, results right when full', async () => {
    const solo = await createPool({ wasm: WASM, singleThread: true, tasks: TASKS });
    try {
      const rt = solo._rt;
      // Small limits, so that a few calls fill the cache.
      rt.fixedLimits = { ...rt.fixedLimits, minItems: 16, hotItems: 32, max: 3, keys: 5, tokens: 1000, step: 7 };
      rt._fixedTokens = 1000;
      const n = 50;
      const sets = Array.from({ length: 8 }, (_, k) => {
        const a = solo.alloc(Float64Array, n), b = solo.alloc(Int32Array, n), out = solo.alloc(Float32Array, n);
        for (let i = 0; i < n; i++) { a[i] = i + k / 4; b[i] = k - i; }
        return { a, b, out };
      });
      let made = 0;
      for (let rep = 0; rep < 6; rep++) {
        for (const [k, { a, b, out }] of sets.entries()) {
          for (const task of ['mix', 'odd_result']) {
            for (const grain of [undefined, 9]) {
              out.fill(-1);
              await solo.mapColumns(task, [a, b], { out, grain });
              for (let i = 0; i < n; i++) {
                const want = task === 'mix' ? (a[i] * 7 + b[i]) % 1000003 : oddResult(a[i], b[i]);
                assert.equal(out[i], Math.fround(want), `${task} set ${k} rep ${rep} grain ${grain} [${i}]`);
              }
              assert.ok(rt._fixedHot.size <= 3 && rt._fixedSeen.size <= 5, `cache bounded: ${rt._fixedHot.size} closures, ${rt._fixedSeen.size} keys`);
              made = Math.max(made, rt._fixedHot.size);
            }
          }
        }
        // one set again and again: it gets (or keeps) its closure
        for (let j = 0; j < 3; j++) await solo.mapColumns('mix', [sets[0].a, sets[0].b], { out: sets[0].out });
      }
      assert.ok(made > 0, 'closures were made');
      // (a map that runs through a closure, or makes one, advances the clock)
      const viaClosure = async (...a) => {
        const c = rt._fixedClock;
        await solo.mapColumns(...a);
        return rt._fixedClock > c;
      };
      assert.ok(await viaClosure('mix', [sets[0].a, sets[0].b], { out: sets[0].out }), 'the set mapped again and again has its closure');
      // a throw inside a closure: the chunk's range, the pool usable after
      const { a, b, out } = sets[0];
      const bad = solo.alloc(Float64Array, n).fill(-1);
      for (let j = 0; j < 4; j++) await solo.mapColumns('throws_item', [a, bad], { out, grain: 10 });
      assert.ok(await viaClosure('throws_item', [a, bad], { out, grain: 10 }), 'throws_item over these columns has its closure');
      bad[3] = a[3];
      await assert.rejects(solo.mapColumns('throws_item', [a, bad], { out, grain: 10 }),
        (e) => e instanceof RangeError && e.task === 'throws_item' && e.range[0] === 0 && e.range[1] === 10);
      await solo.mapColumns('mix', [a, b], { out });
      for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround((a[i] * 7 + b[i]) % 1000003));
      // no tokens left: no new closures, same results
      rt.fixedLimits = { ...rt.fixedLimits, tokens: 0, refillMs: 1e9 };
      rt._fixedTokens = 0;
      rt._fixedHot.clear();
      for (let j = 0; j < 5; j++) {
        await solo.mapColumns('mix', [a, b], { out });
        for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround((a[i] * 7 + b[i]) % 1000003));
      }
      assert.equal(rt._fixedHot.size, 0, 'no closure without a token');
    } finally {
      await solo.destroy();
    }
  });

  test('where eval is refused (CSP), map tasks share one loop: same results', () => {
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings',
      fileURLToPath(new URL('./no-eval-map.mjs', import.meta.url))], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  test('map over columns: errors', async () => {
    const a = new Float64Array(10);
    assert.throws(() => pool.mapColumns('sq', [a, new Float64Array(9)]), RangeError);
    assert.throws(() => pool.mapColumns('sq', [a], { out: new Float64Array(9) }), RangeError);
    assert.throws(() => pool.mapColumns('sq', [[1, 2]]), TypeError);
    assert.throws(() => pool.mapColumns('sq', []), TypeError);
    assert.throws(() => pool.mapColumns('sq', [new BigInt64Array(2)]), TypeError);
    assert.throws(() => pool.mapColumns('sq', [a], { out: [] }), TypeError);
    await assert.rejects(pool.mapColumns('boom', [new Float64Array([0, 1, 2, 3])]), (e) => e.task === 'boom' && e instanceof RangeError && Array.isArray(e.range));
    assert.equal((await pool.map('sq', new Int32Array([3])))[0], 9);
  });
});
