// node --test suite for task graphs from JavaScript (js/src/graph.js).
// Oracles are independent of the scheduler: every node takes a start and an
// end ticket from one shared counter, so each edge can be checked (the
// predecessor ended before its successor started), and counts come from the
// graph as built here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../src/index.js';

const TASKS = new URL('./graph-tasks.mjs', import.meta.url);
// The test build of weft.wasm (js/build.sh): the test and benchmark C tasks.
const WASM = new URL('../dist/weft-test.wasm', import.meta.url);
const T = { timeout: 120000 };

// xorshift32: the DAGs are the same on every run of the suite.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

// A random DAG on ids 0..n-1 whose topological order is a random
// permutation (so ids are not in order): each node gets up to maxPreds
// edges from nodes earlier in the permutation (duplicates allowed).
function randomDag(rand, n, maxPreds) {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const edges = [];
  for (let k = 1; k < n; k++) {
    const np = Math.floor(rand() * (maxPreds + 1));
    for (let q = 0; q < np; q++) edges.push([perm[Math.floor(rand() * k)], perm[k]]);
  }
  return edges;
}

// Builds the DAG with stamp nodes, C or JavaScript at random; half the
// edges one by one, half in one batch.
function buildStampGraph(pool, rand, n, edges, seq, spin = 20) {
  const g = pool.graph();
  const kinds = [];
  for (let i = 0; i < n; i++) {
    const k = rand() < 0.5 ? 'stamp' : 'jstamp';
    kinds.push(k);
    assert.equal(g.add(k, seq, i, spin), i);
  }
  const half = edges.length >> 1;
  for (const [a, b] of edges.slice(0, half)) g.edge(a, b);
  g.edges(edges.slice(half).map((e) => e[0]), Uint32Array.from(edges.slice(half), (e) => e[1]));
  assert.equal(g.nodeCount, n);
  assert.equal(g.edgeCount, edges.length);
  return { g, kinds };
}

// Every node ran once (two tickets each, start before end) and every edge
// was respected.
function checkStamps(seq, n, edges, label) {
  assert.equal(seq[0], 2 * n, `${label}: tickets taken`);
  for (let i = 0; i < n; i++) {
    const s = seq[1 + 2 * i], e = seq[2 + 2 * i];
    assert.ok(s > 0 && e > s, `${label}: node ${i} ran once (start ${s}, end ${e})`);
  }
  for (const [a, b] of edges)
    assert.ok(seq[2 + 2 * a] < seq[1 + 2 * b], `${label}: edge ${a} -> ${b} (end ${seq[2 + 2 * a]}, start ${seq[1 + 2 * b]})`);
}

for (const workers of [1, 2]) {
  describe(`graphs on ${workers} worker(s)`, T, () => {
    let pool;
    before(async () => {
      pool = await createPool({ wasm: WASM, workers, tasks: TASKS });
    });
    after(async () => {
      await pool.destroy();
    });

    test('random DAGs of C and JavaScript nodes respect every edge, run after run', T, async () => {
      for (const [seed, n, maxPreds] of [[1, 1, 0], [2, 40, 1], [3, 200, 3], [4, 500, 2], [5, 300, 6]]) {
        const rand = rng(seed * 7919 + workers);
        const edges = randomDag(rand, n, maxPreds);
        const seq = pool.alloc(Int32Array, 1 + 2 * n);
        const { g, kinds } = buildStampGraph(pool, rand, n, edges, seq);
        g.validate();
        for (let rep = 0; rep < 4; rep++) {
          seq.fill(0);
          const r = await g.run();
          assert.deepEqual(r, { iterations: 1, nodesRun: n, nodesSkipped: 0 });
          checkStamps(seq, n, edges, `seed ${seed} run ${rep}`);
          // Results: each node returned its start ticket.
          for (let i = 0; i < n; i++) assert.equal(g.result(i), seq[1 + 2 * i]);
        }
        // runN: the tickets keep counting; the last run's stamps are checked.
        seq.fill(0);
        const r = await g.runN(5);
        assert.equal(r.iterations, 5);
        assert.equal(r.nodesRun, 5 * n);
        assert.equal(seq[0], 10 * n);
        for (const [a, b] of edges) assert.ok(seq[2 + 2 * a] < seq[1 + 2 * b]);
        assert.ok(kinds.includes('stamp') || n < 10);
        g.destroy();
        pool.free(seq);
      }
    });

    test('node results, names and DOT', T, async () => {
      const g = pool.graph();
      const a = g.add('fib', 20);           // a C task of tasks.c
      const b = g.add('jsquare', 12);        // a JavaScript task
      const c = g.add('jfib', 15);           // a JavaScript task that spawns
      g.name(a, 'fib20').name(c, 'jfib "15"');
      g.edges([[a, b], [b, c]]);
      assert.equal(g.nodeName(a), 'fib20');
      assert.equal(g.nodeName(b), undefined);
      assert.equal(g.nodeTask(c), 'jfib');
      await g.run();
      assert.deepEqual(Array.from(g.results()), [6765, 144, 610]);
      assert.equal(g.result(b), 144);
      const dot = g.dot();
      assert.match(dot, /^digraph weft \{/);
      assert.match(dot, /fib20/);
      assert.equal((dot.match(/->/g) || []).length, 2);
      g.name(a, null);
      assert.equal(g.nodeName(a), undefined);
      g.destroy();
      g.destroy(); // twice is fine
      assert.throws(() => g.add('nop'), /destroyed/);
    });

    test('a cycle is rejected with its nodes, and nothing runs', T, async () => {
      const n = 12;
      const seq = pool.alloc(Int32Array, 1 + 2 * n);
      const g = pool.graph();
      for (let i = 0; i < n; i++) g.add(i % 2 ? 'jstamp' : 'stamp', seq, i, 0);
      // A valid part: 0 -> 1 -> 2, 0 -> 3; the cycle 9 -> 5 -> 7 -> 9 and
      // an edge into it from 2.
      g.edges([[0, 1], [1, 2], [0, 3], [2, 9], [9, 5], [5, 7], [7, 9], [7, 10]]);
      g.name(5, 'five').name(7, 'seven');
      let err;
      assert.throws(() => g.validate(), (e) => (err = e) && true);
      assert.equal(err.code, 'ECYCLE');
      assert.deepEqual(err.cycle, [5, 7, 9]); // edge order, lowest id first
      assert.deepEqual(err.cycleNames, ['five', 'seven', null]);
      assert.equal(err.cycleLength, 3);
      assert.equal(err.truncated, false);
      assert.match(err.message, /cycle of 3 nodes: five -> seven -> n9 -> five/);
      await assert.rejects(g.run(), (e) => e.code === 'ECYCLE' && e.cycle.join() === '5,7,9');
      await assert.rejects(g.runN(3), (e) => e.code === 'ECYCLE');
      assert.equal(seq[0], 0, 'no node ran');
      // A self-edge is refused at once and breaks the graph until clear().
      assert.throws(() => g.edge(4, 4), (e) => e.code === 'ECYCLE' && e.cycle.join() === '4');
      g.clear();
      assert.equal(g.nodeCount, 0);
      const x = g.add('stamp', seq, 0, 0);
      const y = g.add('jstamp', seq, 1, 0);
      g.edge(x, y);
      await g.run();
      assert.equal(seq[0], 4);
      assert.ok(seq[2] < seq[3]);
      g.destroy();
      pool.free(seq);
    });

    test('a long cycle is reported truncated', T, () => {
      const g = pool.graph();
      for (let i = 0; i < 40; i++) g.add('nop');
      for (let i = 0; i < 40; i++) g.edge(i, (i + 1) % 40);
      assert.throws(() => g.validate(), (e) => e.code === 'ECYCLE' && e.cycleLength === 40 && e.truncated &&
        e.cycle.length === 16 && e.cycle[0] === 0 && e.cycle[15] === 15);
      g.destroy();
    });

    test('a failing C node rejects with its name and status; later nodes are skipped; the graph stays usable', T, async () => {
      const n = 6;
      const seq = pool.alloc(Int32Array, 1 + 2 * n);
      const g = pool.graph();
      // 0 -> 1 -> bad -> 2 -> 3, and 4 -> 5 independent of bad.
      for (let i = 0; i < n; i++) g.add(i % 2 ? 'jstamp' : 'stamp', seq, i, 0);
      const bad = g.add('fail', 42);
      g.name(bad, 'the-bad-one');
      g.edges([[0, 1], [1, bad], [bad, 2], [2, 3], [4, 5]]);
      for (let rep = 0; rep < 3; rep++) {
        seq.fill(0);
        await assert.rejects(g.run(), (e) => {
          assert.equal(e.code, 'ENODE_FAILED');
          assert.equal(e.node, bad);
          assert.equal(e.nodeName, 'the-bad-one');
          assert.equal(e.status, 42);
          assert.match(e.message, /the-bad-one.*status 42/);
          assert.equal(e.result.iterations, 0);
          return true;
        });
        assert.ok(seq[1 + 2 * 0] && seq[1 + 2 * 1], 'predecessors of the failing node ran');
        assert.equal(seq[1 + 2 * 2], 0, 'a successor did not run');
        assert.equal(seq[1 + 2 * 3], 0, 'a successor did not run');
      }
      // runN stops at the first failing run.
      await assert.rejects(g.runN(10), (e) => e.code === 'ENODE_FAILED' && e.result.iterations === 0);
      g.destroy();
      pool.free(seq);
    });

    test('a throwing JavaScript node rejects with its error and node; the next run succeeds', T, async () => {
      const n = 5;
      const seq = pool.alloc(Int32Array, 1 + 2 * n);
      const flag = pool.alloc(Int32Array, 1);
      const g = pool.graph();
      const a = g.add('stamp', seq, 0, 0);
      const f = g.add('jflaky', flag, seq, 1);
      const c = g.add('jstamp', seq, 2, 0);
      const d = g.add('stamp', seq, 3, 0);
      const e2 = g.add('jstamp', seq, 4, 0);
      g.name(f, 'flaky');
      g.edges([[a, f], [f, c], [c, d], [a, e2]]);
      flag[0] = 1;
      await assert.rejects(g.run(), (e) => {
        assert.ok(e instanceof RangeError, 'the task\'s error class');
        assert.equal(e.code, 'ENODE_FAILED');
        assert.equal(e.node, f);
        assert.equal(e.nodeName, 'flaky');
        assert.equal(e.task, 'jflaky');
        assert.match(e.message, /node 'flaky'.*flaky node 1/);
        return true;
      });
      assert.equal(seq[1 + 2 * 2], 0);
      assert.equal(seq[1 + 2 * 3], 0);
      flag[0] = 0;
      seq.fill(0);
      const r = await g.run();
      assert.equal(r.nodesRun, n);
      checkStamps(seq, n, [[a, f], [f, c], [c, d], [a, e2]], 'after the failure');
      g.destroy();
      pool.free(seq);
      pool.free(flag);
    });

    test('runUntil with a predicate task; runN(0)', T, async () => {
      const seq = pool.alloc(Int32Array, 1 + 2 * 3);
      const g = pool.graph();
      g.add('stamp', seq, 0, 0);
      g.add('jstamp', seq, 1, 0);
      g.add('stamp', seq, 2, 0);
      g.edges([0, 1], [1, 2]);
      let r = await g.runUntil('untilK', 7);
      assert.equal(r.iterations, 7);
      assert.equal(r.nodesRun, 21);
      assert.equal(seq[0], 42);
      r = await g.runN(0);
      assert.deepEqual(r, { iterations: 0, nodesRun: 0, nodesSkipped: 0 });
      await assert.rejects(g.runUntil('untilThrows'), (e) => e instanceof TypeError && /predicate gave up/.test(e.message) &&
        e.task === 'untilThrows' && e.result.iterations === 2);
      r = await g.run();
      assert.equal(r.iterations, 1);
      g.destroy();
      pool.free(seq);
    });

    test('cancel stops a run: running JavaScript nodes see ctx.cancelled, the rest is skipped', T, async () => {
      const seq = pool.alloc(Int32Array, 1 + 2 * 2);
      const flag = pool.alloc(Int32Array, 1);
      const g = pool.graph();
      const s = g.add('jspin', flag, 20000);
      const b = g.add('stamp', seq, 0, 0);
      const c = g.add('jstamp', seq, 1, 0);
      g.edges([[s, b], [b, c]]);
      assert.equal(g.cancel(), false, 'nothing to cancel');
      const t0 = performance.now();
      const p = g.run();
      assert.equal(g.running, true);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(g.cancel(), true);
      await assert.rejects(p, (e) => e.code === 'ECANCELED');
      assert.ok(performance.now() - t0 < 10000, 'the spinning node saw the cancel');
      assert.equal(g.result(s), 1, 'jspin returned because of ctx.cancelled');
      assert.equal(seq[0], 0, 'nodes after it were skipped');
      // A cancel before the run starts is not lost either.
      const q = g.runN(1000);
      g.cancel();
      await assert.rejects(q, (e) => e.code === 'ECANCELED');
      // The next run is not affected.
      Atomics.store(flag, 0, 1);
      const r = await g.run();
      assert.equal(r.nodesRun, 3);
      assert.equal(seq[0], 4);
      g.destroy();
      pool.free(seq);
      pool.free(flag);
    });

    test('a graph is busy while it runs', T, async () => {
      const flag = pool.alloc(Int32Array, 1);
      const g = pool.graph();
      g.add('jspin', flag, 20000);
      const p = g.run();
      await assert.rejects(g.run(), (e) => e.code === 'EBUSY');
      assert.throws(() => g.add('nop'), (e) => e.code === 'EBUSY');
      assert.throws(() => g.destroy(), (e) => e.code === 'EBUSY');
      Atomics.store(flag, 0, 1);
      await p;
      g.destroy();
      pool.free(flag);
    });

    test('JavaScript tasks build and run graphs inside a task', T, async () => {
      const n = 30;
      const seq = pool.alloc(Int32Array, 1 + 2 * n);
      assert.equal(await pool.run('subgraph', seq, n, 3), 3 * n);
      assert.equal(seq[0], 2 * n * 3);
      assert.equal(await pool.run('subgraphFails', 9), 1000 * 1 + 9);
      await assert.rejects(pool.run('subgraphThrows'), /jboom 3/);
      assert.equal(await pool.run('subgraphMisuse'), 3);
      // Subgraphs as nodes of a graph: four nodes, each runs its own chain.
      const m = 12;
      const big = pool.alloc(Int32Array, 4 * (1 + 2 * m));
      const views = [0, 1, 2, 3].map((k) => big.subarray(k * (1 + 2 * m), (k + 1) * (1 + 2 * m)));
      const g = pool.graph();
      const ids = views.map((v) => g.add('subgraph', v, m, 2));
      g.edges([[ids[0], ids[1]], [ids[0], ids[2]], [ids[1], ids[3]], [ids[2], ids[3]]]);
      for (let rep = 0; rep < 3; rep++) {
        big.fill(0);
        await g.run();
        for (const v of views) assert.equal(v[0], 2 * m * 2);
        assert.deepEqual(Array.from(g.results()), [2 * m, 2 * m, 2 * m, 2 * m]);
      }
      g.destroy();
      pool.free(seq);
      pool.free(big);
    });

    test('wrong arguments throw TypeError before anything reaches wasm', T, async () => {
      const g = pool.graph();
      const a = g.add('nop');
      assert.throws(() => g.add('no_such_task'), TypeError);
      assert.throws(() => g.add(42), TypeError);
      assert.throws(() => g.add('fib', 'x'), TypeError);
      assert.throws(() => g.add('fib', 1, 2, 3, 4, 5), TypeError);
      assert.throws(() => g.add('vsum', new Float64Array(4)), /pool's memory/);
      assert.throws(() => g.edge(a, 7), TypeError);
      assert.throws(() => g.edge(-1, a), TypeError);
      assert.throws(() => g.edge(0.5, a), TypeError);
      assert.throws(() => g.edge('0', a), TypeError);
      assert.throws(() => g.edges('x'), TypeError);
      assert.throws(() => g.edges([[0, 1, 2]]), TypeError);
      assert.throws(() => g.edges([0], [0, 0]), TypeError);
      assert.throws(() => g.edges([a], [9]), TypeError);
      assert.throws(() => g.name(a, 5), TypeError);
      assert.throws(() => g.name(3, 'x'), TypeError);
      assert.throws(() => g.runN(-1), TypeError);
      assert.throws(() => g.runN(1.5), TypeError);
      assert.throws(() => g.runN('3'), TypeError);
      assert.throws(() => g.runUntil(() => true), TypeError);
      assert.throws(() => g.runUntil('untilK', 1, 2, 3, 4), TypeError);
      assert.throws(() => g.runUntil('nope'), TypeError);
      assert.throws(() => g.result(5), TypeError);
      // Nothing above broke the graph.
      assert.equal(g.nodeCount, 1);
      assert.equal(g.edgeCount, 0);
      assert.equal(g.validate(), true);
      assert.equal((await g.run()).nodesRun, 1);
      g.destroy();
    });
  });
}

// Three runs of a seeded random stamp graph on `pool`, each checked edge by
// edge; returns the stamp array (the graph is destroyed).
async function stampRuns(pool, seed, n, what) {
  const rand = rng(seed);
  const edges = randomDag(rand, n, 3);
  const seq = pool.alloc(Int32Array, 1 + 2 * n);
  const { g } = buildStampGraph(pool, rand, n, edges, seq);
  for (let rep = 0; rep < 3; rep++) {
    seq.fill(0);
    await g.run();
    checkStamps(seq, n, edges, `${what} run ${rep}`);
  }
  g.destroy();
  return seq;
}

test('graphs in the single-thread fallback give the same results', T, async () => {
  const pool = await createPool({ wasm: WASM, singleThread: true, tasks: TASKS });
  const seq = await stampRuns(pool, 99, 150, 'single thread');
  assert.equal(await pool.run('subgraph', seq, 20, 2), 40);
  await pool.destroy();
});

test('graph methods after pool.destroy() throw', T, async () => {
  const pool = await createPool({ wasm: WASM, workers: 1, tasks: TASKS });
  const g = pool.graph();
  g.add('nop');
  await g.run();
  await pool.destroy();
  assert.throws(() => g.add('nop'), /destroyed/);
  await assert.rejects(g.run(), /destroyed/);
  assert.throws(() => pool.graph(), /destroyed/);
});

test('a node\'s spawned child that throws rejects the run with its error', T, async () => {
  const pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS });
  const g = pool.graph();
  const a = g.add('spawnsBoom', 11);
  const b = g.add('nop');
  g.edge(a, b);
  await assert.rejects(g.run(), (e) => /jboom 11/.test(e.message) && e.task === 'jboom' && e.code === 'ETASK');
  const ok = pool.graph();
  ok.add('jsquare', 3);
  assert.equal((await ok.run()).nodesRun, 1);
  assert.equal(ok.result(0), 9);
  ok.destroy();
  g.destroy();
  await pool.destroy();
});

test('graph runs complete by message too (no Atomics.waitAsync path)', T, async () => {
  const pool = await createPool({ wasm: WASM, workers: 2, tasks: TASKS, completion: 'message' });
  assert.equal(pool.completion, 'message');
  await stampRuns(pool, 1234, 100, 'message completion');
  await pool.destroy();
});
