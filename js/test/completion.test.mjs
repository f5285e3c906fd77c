// The 'message' completion path: what a browser without Atomics.waitAsync
// uses (the worker that ends a run posts 'done'). Forced here with
// options.completion; the results must match the waitAsync path's oracles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/index.js';

const TASKS = new URL('./tasks.mjs', import.meta.url);
// The test build of weft.wasm (js/build.sh): the test and benchmark C tasks.
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);


function fibSeq(n) {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

test('completion: message gives the same results as waitAsync', { timeout: 60000 }, async () => {
  const pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS, completion: 'message' });
  try {
    assert.equal(pool.completion, 'message');
    assert.equal(await pool.run('fib', 25), fibSeq(25));                // a C root
    assert.equal(await pool.run('jfib', 16), fibSeq(16));               // a JavaScript root
    const rs = await Promise.all([20, 21, 22, 23].map((n) => pool.run('fib', n)));
    assert.deepEqual(rs, [20, 21, 22, 23].map(fibSeq));                 // runs in flight at once
    const args = Array.from({ length: 500 }, (_, i) => [i, i + 1]);
    const sums = await pool.map('add', args);                           // a batch
    for (let i = 0; i < 500; i++) assert.equal(sums[i], 2 * i + 1);
    const v = pool.alloc(Float64Array, 4096);
    assert.equal(await pool.run('fill', v, 2), 4096);
    for (let i = 0; i < v.length; i++) assert.equal(v[i], 2 * i);
    await assert.rejects(pool.run('boom', 3), (e) => e instanceof RangeError && e.task === 'boom');
    assert.equal(await pool.run('fib', 20), fibSeq(20));                // still usable
  } finally {
    await pool.destroy();
  }
});

test('completion: bad values are a TypeError', async () => {
  await assert.rejects(createPool({ wasm: WASM, completion: 'poll' }), TypeError);
  await assert.rejects(createPool({ wasm: WASM, completion: 1 }), TypeError);
});

test('completion: auto picks waitAsync where it exists', { timeout: 30000 }, async () => {
  const pool = await createPool({ wasm: WASM, workers: 1 });
  try {
    assert.equal(pool.completion, 'waitAsync');
    assert.equal(await pool.run('fib', 15), fibSeq(15));
  } finally {
    await pool.destroy();
  }
});

test('a worker that dies during a run rejects the run (completion: message)', { timeout: 60000 }, async () => {
  const pool = await createPool({ wasm: WASM, workers: 1, tasks: new URL('./dying-tasks.mjs', import.meta.url), completion: 'message' });
  try {
    await assert.rejects(pool.run('die'), /worker 0 exited/);
    // The pool is broken now: later runs reject too instead of waiting.
    await assert.rejects(pool.run('fib', 10), /worker 0 exited/);
  } finally {
    await pool.destroy(); // the dead run never ends: destroy gives up after its 10 s bound
  }
});
