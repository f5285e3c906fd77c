// node --test suite for weft's JavaScript package (js/src).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/index.js';
import { fibSeq, treeSeq } from './browser/oracles.js'; // the browser suite's oracles

const TASKS = new URL('./tasks.mjs', import.meta.url);
// The test build of weft.wasm (js/build.sh): the test and benchmark C tasks.
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);


describe('a pool of 2 workers', () => {
  let pool;
  before(async () => {
    pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS });
  });
  after(async () => {
    await pool.destroy();
  });

  test('lists C and JavaScript tasks', () => {
    assert.equal(pool.workers, 2);
    assert.equal(pool.fallback, false);
    for (const t of ['fib', 'nqueens', 'tree', 'vsum', 'add']) assert.ok(pool.tasks.c.includes(t), t);
    for (const t of ['jfib', 'sumfib', 'fill', 'boom']) assert.ok(pool.tasks.js.includes(t), t);
  });

  test('fib in C tasks matches the sequential oracle', async () => {
    for (const n of [0, 1, 2, 10, 20, 27]) assert.equal(await pool.run('fib', n), fibSeq(n), `fib(${n})`);
  });

  test('nqueens and the benchmark tree in C tasks', async () => {
    assert.equal(await pool.run('nqueens', 8), 92);
    assert.equal(await pool.run('nqueens', 10), 724);
    assert.equal(await pool.run('tree', 30), treeSeq(30));
  });

  test('a JavaScript task tree (fib) matches the oracle', async () => {
    assert.equal(await pool.run('jfib', 18), fibSeq(18));
  });

  test('JavaScript tasks spawn C tasks', async () => {
    let s = 0;
    for (let i = 0; i < 25; i++) s += fibSeq(i);
    assert.equal(await pool.run('sumfib', 25), s);
  });

  test('views of shared memory: JS tasks write, a C task reads', async () => {
    const v = pool.alloc(Float64Array, 10000);
    assert.equal(await pool.run('fill', v, 0.5), 10000);
    let s = 0;
    for (let i = 0; i < v.length; i++) {
      assert.equal(v[i], 0.5 * i);
      s += v[i];
    }
    assert.equal(await pool.run('vsum', v), s);
    pool.free(v);
  });

  test('both workers run tasks of one run', async () => {
    // On a loaded machine one worker may lack a core for a whole short run:
    // retry (bounded) until one run shows both; every run must be complete.
    const v = pool.alloc(Int32Array, 4096);
    let seen = new Set();
    for (let attempt = 0; attempt < 50 && !(seen.has(1) && seen.has(2)); attempt++) {
      v.fill(0);
      await pool.run('who', v, 0, v.length);
      seen = new Set(v);
      assert.ok(!seen.has(0), 'every leaf ran');
    }
    assert.ok(seen.has(1) && seen.has(2), `workers seen: ${[...seen]}`);
    pool.free(v);
  });

  test('map runs a batch as one job, results in order', async () => {
    const args = Array.from({ length: 1000 }, (_, i) => [i, 2 * i]);
    const c = await pool.map('add', args);
    const js = await pool.map('jadd', args);
    for (let i = 0; i < 1000; i++) assert.equal(c[i], 3 * i);
    assert.deepEqual(Array.from(js), Array.from(c));
    const f = await pool.map('fib', [10, 11, 12]);
    assert.deepEqual(Array.from(f), [55, 89, 144]);
    // entries: numbers and argument arrays mixed, a bare view; argsList may
    // be a typed array
    assert.deepEqual([...(await pool.map('fib', [7, [8], 9]))], [13, 21, 34]);
    assert.deepEqual([...(await pool.map('fib', Float64Array.of(5, 6)))], [5, 8]);
    const v = pool.alloc(Float64Array, 4);
    v.set([1, 2, 3, 4]);
    assert.deepEqual([...(await pool.map('vsum', [v, [v]]))], [10, 10]);
    pool.free(v);
    assert.throws(() => pool.map('fib', [1, 'x']), TypeError);
    assert.throws(() => pool.map('vsum', [new Float64Array(4)]), /pool's memory/);
  });

  test('runs in flight at once', async () => {
    const ns = [20, 21, 22, 23, 24, 25];
    const rs = await Promise.all(ns.map((n) => pool.run('fib', n)));
    assert.deepEqual(rs, ns.map(fibSeq));
  });

  test('a throwing JavaScript task rejects with its error and name', async () => {
    await assert.rejects(pool.run('boom', 7), (e) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /boom 7/);
      assert.match(e.message, /in task 'boom'/);
      assert.equal(e.task, 'boom');
      return true;
    });
    await assert.rejects(pool.run('tree_with_error', 64, 37), /leaf 37 failed.*tree_with_error/);
    await assert.rejects(pool.run('returns_promise'), /synchronous/);
    await assert.rejects(pool.run('bad_spawn'), (e) => e instanceof TypeError && /no_such_task/.test(e.message));
    // The pool stays usable.
    assert.equal(await pool.run('fib', 20), fibSeq(20));
    assert.equal(await pool.run('jfib', 12), fibSeq(12));
  });

  test('wrong arguments throw TypeError before anything runs', () => {
    assert.throws(() => pool.run('no_such_task'), TypeError);
    assert.throws(() => pool.run(42), TypeError);
    assert.throws(() => pool.run('fib', 'x'), TypeError);
    assert.throws(() => pool.run('fib', {}), TypeError);
    assert.throws(() => pool.run('fib', 1, 2, 3, 4, 5, 6), TypeError);
    assert.throws(() => pool.run('vsum', new Float64Array(4)), /pool's memory/);
    assert.throws(() => pool.map('fib', 3), TypeError);
    assert.throws(() => pool.alloc(Array, 3), TypeError);
  });

  test('after the memory grows, tasks still read their blocks and views', async () => {
    // Warm every worker's kept view of the memory (runtime.js, view()) ...
    assert.equal(await pool.run('jfib', 15), fibSeq(15));
    const before = pool.memory.buffer.byteLength;
    // ... then take nearly all of the initial memory and more, so that the
    // memory grows and later blocks (runs, views) lie beyond those views.
    const filler = pool.alloc(Uint8Array, before - (2 << 20));
    const big = pool.alloc(Float64Array, 4 << 20);
    assert.ok(pool.memory.buffer.byteLength > before, 'the memory grew');
    assert.equal(await pool.run('fill', big, 2), big.length);
    assert.equal(big[0], 0);
    assert.equal(big[big.length - 1], 2 * (big.length - 1));
    for (let i = 0; i < 20; i++) assert.equal(await pool.run('jadd', i, 0.5), i + 0.5);
    assert.equal(await pool.run('jfib', 18), fibSeq(18));
    assert.deepEqual([...(await pool.map('jadd', [[1, 2], [3, 4], [5, 6]]))], [3, 7, 11]);
    pool.free(big);
    pool.free(filler);
  });

  test('each worker runs on the stack weft keeps in its slice of the pool region', async () => {
    const ex = pool._ex;
    const tmp = ex.weft_wasm_alloc(4, 4);
    const stacks = [];
    for (let i = 0; i < pool.workers; i++) {
      const base = ex.weft_wasm_worker_stack(pool._hp, i, tmp);
      const size = new Uint32Array(pool.memory.buffer)[tmp >> 2];
      assert.ok(base > 0 && size >= 256 * 1024, `worker ${i}: stack ${base}, ${size} bytes`);
      for (const o of stacks) assert.ok(base >= o.base + o.size || base + size <= o.base, 'stacks overlap');
      stacks.push({ base, size });
    }
    ex.weft_wasm_free(tmp);
    const seen = new Set();
    for (let attempt = 0; attempt < 20 && seen.size < pool.workers; attempt++) {
      for (const r of await pool.map('stack_probe', Array.from({ length: 64 }, () => []))) {
        const w = r % 1024, sp = Math.floor(r / 1024);
        assert.ok(w < pool.workers, `worker index ${w}`);
        const { base, size } = stacks[w];
        assert.ok(sp > base && sp < base + size, `worker ${w}: stack pointer ${sp} outside [${base}, ${base + size})`);
        seen.add(w);
      }
    }
    assert.equal(seen.size, pool.workers, 'every worker ran a probe');
  });

  test('stats count spawns and roots', async () => {
    const before = pool.stats();
    await pool.run('fib', 22);
    const s = pool.stats();
    assert.ok(s.spawns > before.spawns + 10000);
    assert.equal(s.roots, before.roots + 1);
    assert.ok(pool.stats(0).tasksRun >= 0);
    assert.throws(() => pool.stats(5), RangeError);
  });
});

test('createPool checks its options', async () => {
  await assert.rejects(createPool({ wasm: WASM, workers: 0 }), RangeError);
  await assert.rejects(createPool({ wasm: WASM, workers: 'two' }), TypeError);
  await assert.rejects(createPool({ wasm: WASM, stackSize: 1.5 }), TypeError);
  await assert.rejects(createPool(null), TypeError);
});

test('a worker that fails to load fails pool creation with the reason', async () => {
  await assert.rejects(createPool({ wasm: WASM, workers: 2, tasks: new URL('./broken-tasks.mjs', import.meta.url) }),
    /broken on purpose/);
  await assert.rejects(createPool({ wasm: WASM, workers: 1, tasks: new URL('./missing-tasks.mjs', import.meta.url) }),
    /cannot import task module/);
});

test('repeated create/destroy', async () => {
  for (let i = 0; i < 8; i++) {
    const pool = await createPool({ wasm: WASM, workers: 1 + (i % 3), tasks: TASKS });
    assert.equal(await pool.run('fib', 15 + i), fibSeq(15 + i));
    assert.equal(await pool.run('jfib', 10), fibSeq(10));
    await pool.destroy();
    assert.throws(() => pool.run('fib', 1), /destroyed/);
    await pool.destroy(); // twice is fine
  }
});

test('destroy waits for runs in flight', async () => {
  const pool = await createPool({ wasm: WASM, workers: 2 });
  const p = pool.run('fib', 27);
  const d = pool.destroy();
  assert.equal(await p, fibSeq(27));
  await d;
});

test('single-thread mode gives the same results', async () => {
  const pool = await createPool({ wasm: WASM, singleThread: true, tasks: TASKS });
  assert.equal(pool.fallback, true);
  assert.equal(pool.workers, 1);
  assert.equal(await pool.run('fib', 20), fibSeq(20));
  assert.equal(await pool.run('jfib', 15), fibSeq(15));
  assert.equal(await pool.run('tree', 20), treeSeq(20));
  await assert.rejects(pool.run('boom', 1), /boom 1/);
  assert.equal(await pool.run('nqueens', 8), 92);
  await pool.destroy();
});
