// node --test: timeline traces from JavaScript (pool.trace, docs/TRACES.md).
// Checked against the pool's own counters (pool.stats) on a fresh pool, and
// for structure: every end closes a begin on its track, properly nested.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/index.js';
import { fibSeq } from './browser/oracles.js';
import { checkTrace } from './browser/trace-check.js';

const TASKS = new URL('./tasks.mjs', import.meta.url);
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);

describe('pool.trace', () => {
  let pool;
  before(async () => {
    pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS });
  });
  after(async () => {
    await pool.destroy();
  });

  test('before any recording, trace() says so', () => {
    assert.throws(() => pool.trace(), /no trace was recorded/);
  });

  test('bad options are TypeErrors', () => {
    assert.throws(() => pool.traceStart({ level: 'loud' }), TypeError);
    assert.throws(() => pool.traceStart({ events: -1 }), RangeError);
  });

  test('a JavaScript task tree: one slice per task, named by its export', async () => {
    const before = pool.stats();
    let result;
    const text = await pool.trace(async () => { result = await pool.run('jfib', 16); });
    assert.equal(result, fibSeq(16));
    const after = pool.stats();
    const doc = JSON.parse(text);
    const { begins, dropped } = checkTrace(doc);
    assert.equal(dropped, 0);
    assert.equal(doc.otherData.level, 'coarse');
    assert.equal(doc.otherData.workers, 2);
    const js = begins.filter((e) => e.cat === 'js');
    // every JavaScript task ran through the trampoline once: the root and
    // every spawn
    const spawns = after.spawns - before.spawns, roots = after.roots - before.roots;
    assert.equal(roots, 1);
    assert.equal(js.length, spawns + roots);
    assert.ok(js.every((e) => e.name === 'jfib'), 'named by the export');
    assert.equal(begins.filter((e) => e.cat === 'job').length, 1);
    const steals = doc.traceEvents.filter((e) => e.ph === 'i' && e.name === 'steal').length;
    assert.equal(steals, after.steals - before.steals);
    // the same recording, read again
    assert.equal(pool.trace(), text);
  });

  test('launched JavaScript tasks are named by their export too', async () => {
    const text = await pool.trace(async () => {
      const a = pool.launch('jfib', 12);
      const b = pool.launch('jfib', 11, { after: [a] });
      assert.equal(await b, fibSeq(11));
      assert.equal(await a, fibSeq(12));
      a.release();
      b.release();
    });
    const doc = JSON.parse(text);
    const { begins, dropped } = checkTrace(doc);
    assert.equal(dropped, 0);
    assert.equal(begins.filter((e) => e.cat === 'launched').length, 2);
    const js = begins.filter((e) => e.cat === 'js');
    assert.ok(js.every((e) => e.name === 'jfib'));
    // the two bodies and every task they spawned: jfib(n) spawns
    // fib(n + 1) - 1 times (the stats would lag: a launched task's spawns
    // are published at the next task boundary)
    assert.equal(js.length, 2 + (fibSeq(13) - 1) + (fibSeq(12) - 1));
  });

  test('fine level: a C fork-join tree has one task per spawn', async () => {
    const text = await pool.trace(() => pool.run('fib', 15), { level: 'fine', events: 1 << 16 });
    const doc = JSON.parse(text);
    const { begins, dropped } = checkTrace(doc);
    assert.equal(dropped, 0);
    const fj = begins.filter((e) => e.cat === 'task' || e.cat === 'stolen' || e.cat === 'overflow');
    assert.equal(fj.length, fibSeq(16) - 1); // fib(n) spawns fib(n + 1) - 1 times
    assert.ok(begins.some((e) => e.name === 'fib'), 'C tasks named too');
  });

  test('a ring too small drops the oldest events and says so', async () => {
    const text = await pool.trace(() => pool.run('jfib', 14), { events: 16 });
    const doc = JSON.parse(text);
    const { dropped } = checkTrace(doc);
    assert.ok(dropped > 0, 'dropped');
  });

  test('starting twice is refused', () => {
    pool.traceStart();
    try {
      assert.throws(() => pool.traceStart(), /busy|running/);
    } finally {
      pool.traceStop();
    }
  });
});
