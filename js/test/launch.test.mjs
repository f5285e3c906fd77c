// node --test: launched tasks from JavaScript (src/tasks.js): pool.launch /
// event / pipe from the main thread, ctx.launch / wait / event / pipe inside
// tasks; random DAGs checked by stamps against their prerequisites, events
// triggered after a promise resolves, pipes, failure and cancel propagation.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, TaskHandle } from '../src/index.js';
import { randomDag, checkStamps, checkPipe } from './browser/launch-oracles.js';

const TASKS = new URL('./launch-tasks.mjs', import.meta.url);
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);

for (const workers of [1, 3]) {
  describe(`launched tasks, ${workers} worker(s)`, () => {
    let pool;
    before(async () => {
      pool = await createPool({ wasm: WASM, workers, tasks: TASKS });
    });
    after(async () => {
      await pool.destroy();
    });

    test('a launch is a handle and a promise for its result', async () => {
      const a = pool.launch('add', 1, 2);
      assert.ok(a instanceof TaskHandle);
      assert.equal(await a, 3);
      assert.equal(await a.done, 3);
      assert.equal(a.status(), 'done');
      assert.equal(a.result(), 3);
      const b = pool.launch('ladd', 5, 6, { after: [a] });
      assert.equal(await b, 11);
      a.release();
      b.release();
      assert.throws(() => a.status(), { code: 'ESTALE' });
      assert.throws(() => pool.launch('add', 1, 1, { after: a }), { code: 'ESTALE' });
    });

    test('random DAGs launched from the main thread (C and JS tasks, events, a pipe)', async () => {
      for (const seed of [1, 2, 3]) {
        const n = 400;
        const dag = randomDag(n, 3, seed);
        const seq = pool.alloc(Int32Array, 1 + 2 * n);
        const counts = pool.alloc(Int32Array, n);
        const pipe = pool.pipe();
        const hs = new Array(n);
        const events = [];
        const pipeNodes = [];
        for (let k = 0; k < n; k++) {
          if (dag.event[k]) {
            hs[k] = pool.event(`e${k}`);
            events.push(k);
            continue;
          }
          const o = { after: dag.preds[k].map((p) => hs[p]) };
          if (k % 7 === 3) {
            o.pipe = pipe;
            pipeNodes.push(k);
          }
          hs[k] = k % 2 ? pool.launch('stamp', seq, k, 300, o) : pool.launch('lstamp', seq, counts, k, 300, o);
        }
        // Events complete after a promise resolves (as a fetch would): the
        // trigger takes a ticket so that successors can be checked.
        await Promise.all(events.map(async (k) => {
          await new Promise((r) => setTimeout(r, k % 5));
          Atomics.store(seq, 1 + 2 * k, Atomics.add(seq, 0, 1) + 1);
          Atomics.store(seq, 2 + 2 * k, Atomics.add(seq, 0, 1) + 1);
          hs[k].trigger();
        }));
        const res = await Promise.all(hs);
        for (let k = 0; k < n; k++) if (!dag.event[k] && k % 2 === 0) assert.equal(res[k], k);
        checkStamps(dag, seq, counts, (k) => !dag.event[k] && k % 2 === 0);
        checkPipe(seq, pipeNodes);
        for (const h of hs) h.release();
        pipe.destroy();
        pool.free(seq);
        pool.free(counts);
      }
    });

    test('a random DAG launched from inside a task (ctx.launch / event / pipe / wait)', async () => {
      const n = 500, per = 3;
      const dag = randomDag(n, per, 7, 0);
      const preds = pool.alloc(Int32Array, n * per).fill(-1);
      dag.preds.forEach((ps, k) => ps.forEach((p, j) => (preds[k * per + j] = p)));
      const seq = pool.alloc(Int32Array, 1 + 2 * n);
      const counts = pool.alloc(Int32Array, n);
      // Three at once: launched concurrently from several workers and the
      // main thread, each over its own memory.
      const runs = [];
      const mem = [];
      for (let r = 0; r < 3; r++) {
        const s = r ? pool.alloc(Int32Array, 1 + 2 * n) : seq;
        const c = r ? pool.alloc(Int32Array, n) : counts;
        mem.push([s, c]);
        runs.push(pool.launch('launch_dag', s, c, preds, per, 200));
      }
      assert.deepEqual(await Promise.all(runs), [n, n, n]);
      for (const [s, c] of mem) {
        checkStamps(dag, s, c, (k) => k % 2 === 0);
        const pipeNodes = [];
        for (let k = 3; k < n; k += 7) pipeNodes.push(k);
        checkPipe(s, pipeNodes);
      }
      for (const h of runs) h.release();
    });

    test('a launch from a task returns its own handle while the throttle runs tasks that launch', async () => {
      const h = pool.launch('relaunch', 2000);
      assert.equal(await h, 2000);
      h.release();
    });

    test('pipes: members never overlap and start in launch order', async () => {
      const n = 200;
      const busy = pool.alloc(Int32Array, 2);
      const order = pool.alloc(Int32Array, n);
      const pipe = pool.pipe();
      const hs = [];
      for (let k = 0; k < n; k++) hs.push(pool.launch('member', busy, order, k, 500, { pipe }));
      await Promise.all(hs);
      for (let k = 0; k < n; k++) assert.equal(order[k], k + 1, `member ${k}`);
      for (const h of hs) h.release();
      pipe.destroy();
    });

    test('failure names the failed task; successors reject as canceled naming it', async () => {
      const a = pool.launch('fail', 7);
      const b = pool.launch('ladd', 1, 1, { after: a });
      const c = pool.launch('ladd', 1, 1, { after: [b, pool.launch('add', 0, 0)] });
      await assert.rejects(a, (e) => e.code === 'EFAILED' && e.task === 'fail' && e.status === 7 &&
        /task 'fail' failed with status 7/.test(e.message));
      for (const h of [b, c])
        await assert.rejects(h, (e) => e.code === 'ECANCELED' && e.task === 'ladd' && e.origin.task === 'fail' &&
          e.origin.status === 7 && /canceled: 'fail' failed with status 7/.test(e.message));
      assert.equal(b.status(), 'canceled');
      assert.throws(() => c.result(), { code: 'ECANCELED' });
      // A long chain and a diamond behind a thrown JavaScript error.
      const t = pool.launch('lthrow', 4);
      let last = t;
      for (let i = 0; i < 100; i++) last = pool.launch('ladd', i, 1, { after: last });
      const l = pool.launch('ladd', 0, 1, { after: t }), r = pool.launch('add', 0, 1, { after: t });
      const d = pool.launch('ladd', 0, 1, { after: [l, r] });
      await assert.rejects(t, (e) => e instanceof RangeError && e.message === "lthrow 4 (in launched task 'lthrow')" &&
        e.code === 'EFAILED');
      for (const h of [last, d])
        await assert.rejects(h, (e) => e.code === 'ECANCELED' && e.origin.task === 'lthrow' &&
          /'lthrow' threw RangeError: lthrow 4/.test(e.message));
      // The pool stays usable.
      assert.equal(await pool.launch('ladd', 2, 2), 4);
      assert.equal(await pool.run('add', 2, 3), 5);
    });

    test('events: triggered after a promise, failed, triggered twice', async () => {
      const ev = pool.event('config');
      const a = pool.launch('ladd', 1, 2, { after: ev });
      assert.equal(a.status(), 'pending');
      const fetched = new Promise((r) => setTimeout(() => r(40), 20));
      fetched.then(() => ev.trigger());
      assert.equal(await a, 3);
      assert.throws(() => ev.trigger(), { code: 'EALREADY' });
      const ev2 = pool.event('net');
      const b = pool.launch('add', 1, 2, { after: [ev2] });
      ev2.fail(42);
      await assert.rejects(b, (e) => e.code === 'ECANCELED' && e.origin.task === 'net' && e.origin.status === 42);
      await assert.rejects(ev2, (e) => e.code === 'EFAILED' && e.status === 42);
      assert.throws(() => ev2.fail(0), TypeError);
    });

    test('cancel before start; a running task finishes', async () => {
      const ev = pool.event('never');
      const a = pool.launch('add', 1, 2, { after: ev });
      const b = pool.launch('add', 1, 2, { after: a });
      assert.equal(a.cancel(), true);
      await assert.rejects(a, (e) => e.code === 'ECANCELED' && e.origin.self === true);
      await assert.rejects(b, (e) => e.code === 'ECANCELED' && e.origin.task === 'add');
      const c = pool.launch('add', 1, 2);
      await c;
      assert.equal(c.cancel(), false);
      ev.cancel();
      for (const h of [ev, a, b, c]) h.release();
    });

    test('waits inside tasks: on a failed task, on a main-thread handle', async () => {
      assert.equal(await pool.launch('waits_for_failure'), 1);
      const ev = pool.event('gate');
      const x = pool.launch('ladd', 20, 1, { after: ev });
      const y = pool.launch('waits_handle', x.lo, x.hi);
      setTimeout(() => ev.trigger(), 10);
      assert.equal(await y, 22);
    });

    test('children: a parent completes after its children', async () => {
      const n = 20;
      const seq = pool.alloc(Int32Array, 1 + 2 * (n + 1));
      const counts = pool.alloc(Int32Array, n + 1);
      const p = pool.launch('parent', seq, counts, 0, n);
      const s = pool.launch('lstamp', seq, counts, n, 0, { after: p });
      await s;
      for (let i = 0; i < n; i++) {
        assert.equal(counts[i], 1);
        assert.ok(seq[2 + 2 * i] < seq[1 + 2 * n], `child ${i} ended before the successor started`);
      }
    });

    test('launched JavaScript tasks spawn; a spawned child that throws fails the task', async () => {
      assert.equal(await pool.launch('lfib', 15), 610);
      await assert.rejects(pool.launch('spawns_thrower'), (e) => e.code === 'EFAILED' && /lthrow 3/.test(e.message));
    });

    test('a wavefront of C tasks launched from a JavaScript task matches the sequential run', async () => {
      const n = 48;
      const grid = pool.alloc(Uint32Array, 2 * n * n);
      const ref = pool.alloc(Uint32Array, 2 * n * n);
      await pool.run('wf_seq', ref, n);
      const want = await pool.run('wf_sum', ref, n);
      const after = pool.alloc(Int32Array, 2 * n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        after[2 * (i * n + j)] = i ? (i - 1) * n + j : -1;
        after[2 * (i * n + j) + 1] = j ? i * n + j - 1 : -1;
      }
      // The cells are the launching task's children: its completion, and
      // so its promise, waits for them.
      const w = pool.launch('wavefront', grid, n, after);
      assert.equal(await pool.launch('wf_sum', grid, n, { after: w }), want);
      assert.equal(await w, n * n);
      grid.fill(0);
      assert.equal(await pool.launch('wavefront_each', grid, n), n * n);
      assert.equal(await pool.run('wf_sum', grid, n), want);
      after[5] = 7; // a prerequisite that is not earlier in the batch
      await assert.rejects(pool.launch('wavefront', grid, n, after), /launchMany 'wf_cell'.*not an earlier task/);
    });

    test('pool.launchMany: a chain of JS tasks in one call, awaited through its last task', async () => {
      const n = 5000;
      const v = pool.alloc(Float64Array, n);
      const after = new Int32Array(n).map((_, i) => i - 1);
      const last = pool.launchMany('jlink', n, after, 1, v);
      assert.equal(await last, n);
      for (let i = 0; i < n; i++) assert.equal(v[i], i + 1);
      last.release();
      assert.throws(() => pool.launchMany('jlink', 3, new Int32Array([-1, 2, 0]), 1, v), /not an earlier task/);
    });

    test('bad input: clear errors, no launch', () => {
      assert.throws(() => pool.launch('nope'), /no task named 'nope'/);
      assert.throws(() => pool.launch('add', 1, { after: [1] }), /options.after\[0\] must be a handle/);
      assert.throws(() => pool.launch('add', 1, { after: 'x' }), /options.after must be a handle or an array/);
      assert.throws(() => pool.launch('add', 1, { pipe: {} }), /options.pipe must be a pipe/);
      assert.throws(() => pool.launch('add', 1, { child: true }), /only ctx.launch/);
      assert.throws(() => pool.launch('add', {}, 1), /must be a number or a typed array view/);
    });
  });
}

test('the single-thread fallback runs launched tasks and events', async () => {
  const pool = await createPool({ wasm: WASM, singleThread: true, tasks: TASKS });
  try {
    const ev = pool.event('e');
    const a = pool.launch('ladd', 1, 2, { after: ev });
    const b = pool.launch('add', 3, 4, { after: a });
    setTimeout(() => ev.trigger(), 5);
    assert.equal(await b, 7);
    assert.equal(await pool.launch('launch_dag', pool.alloc(Int32Array, 41), pool.alloc(Int32Array, 20),
      pool.alloc(Int32Array, 20).fill(-1), 1, 0), 20);
    await assert.rejects(pool.launch('add', 1, 1, { after: pool.launch('lthrow', 1) }), { code: 'ECANCELED' });
  } finally {
    await pool.destroy();
  }
});

test('destroy cancels tasks behind events nobody triggered', async () => {
  const pool = await createPool({ wasm: WASM, workers: 1, tasks: TASKS });
  // createPool resolves when the worker was told to enter, maybe before it
  // did; a pool destroyed before its worker entered can leave the task
  // pending (reported): make sure it runs first.
  assert.equal(await pool.run('add', 1, 1), 2);
  const ev = pool.event('never');
  const a = pool.launch('ladd', 1, 2, { after: ev });
  const settled = a.done.then(() => 'resolved', (e) => e.message);
  await pool.destroy();
  assert.match(await settled, /canceled|destroyed/);
});

test('a pool destroyed at once (its worker maybe not entered yet) still settles the waits', async () => {
  for (let i = 0; i < 3; i++) {
    const pool = await createPool({ wasm: WASM, workers: 1, tasks: TASKS });
    const ev = pool.event('never');
    const a = pool.launch('ladd', 1, 2, { after: ev });
    const settled = a.done.then(() => 'resolved', (e) => e.message);
    await pool.destroy();
    assert.match(await settled, /canceled|destroyed/);
  }
});

test("completion 'message' (no Atomics.waitAsync): launched tasks' promises settle by polling", async () => {
  const pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS, completion: 'message' });
  try {
    const ev = pool.event('e');
    const v = pool.alloc(Float64Array, 1000);
    let prev = pool.launch('jlink', v, 0, { after: ev });
    for (let i = 1; i < 1000; i++) {
      const h = pool.launch('jlink', v, i, { after: prev });
      prev.release();
      prev = h;
    }
    setTimeout(() => ev.trigger(), 5);
    assert.equal(await prev, 1000);
    await assert.rejects(pool.launch('add', 1, 1, { after: pool.launch('fail', 3) }),
      (e) => e.code === 'ECANCELED' && e.origin.task === 'fail' && e.origin.status === 3);
  } finally {
    await pool.destroy();
  }
});
