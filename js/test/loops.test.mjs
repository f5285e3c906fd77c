// Parallel loops: pool.for / pool.reduce from the main thread, ctx.for /
// ctx.reduce inside tasks, against sequential oracles, in each completion
// mode and in the single-thread fallback; their errors.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/index.js';

const TASKS = new URL('./tasks.mjs', import.meta.url);
const GRAIN = 1000;
// Sizes: empty, one item, around the grain, odd, and 10^7.
const SIZES = [0, 1, GRAIN - 1, GRAIN, GRAIN + 1, 12345, 1e7];

// The documented reduction tree (src/wasm/host_loop.c): leaves of `grain`
// items (or min(n, 256) equal leaves), node [a, b) = combine([a, mid), [mid, b)).
function treeOracle(begin, end, grain, leafValue, combine) {
  const n = end - begin;
  if (n === 0) return 0;
  const m = grain ? Math.ceil(n / grain) : Math.min(n, 256);
  const start = (i) => begin + (grain ? Math.min(i * grain, n) : Math.floor((i * n) / m));
  const node = (a, b) => {
    if (b - a === 1) return leafValue(start(a), start(b));
    const mid = a + ((b - a) >>> 1);
    return combine(node(a, mid), node(mid, b));
  };
  return node(0, m);
}

for (const mode of ['waitAsync', 'message', 'single thread']) {
  describe(`loops (${mode})`, () => {
    let pool, x, y, seen;
    const N = 1e7;
    before(async () => {
      pool = await createPool(mode === 'single thread' ? { singleThread: true, tasks: TASKS }
        : { workers: 2, tasks: TASKS, completion: mode });
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
