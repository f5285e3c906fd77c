// Task graphs from JavaScript: a reusable DAG whose nodes are C or
// JavaScript tasks (by name, with up to 4 numeric or view arguments), built
// once and run many times by the weft core's graph scheduler (src/graph.c,
// through src/wasm/host_graph.c).
//
//   const g = pool.graph();               // main thread: runs are promises
//   const a = g.add('load', view, 0);     // node ids are 0, 1, 2, ...
//   const b = g.add('step', view, 1);
//   g.edge(a, b);                          // a precedes b
//   await g.run();  await g.runN(100);
//   g.destroy();
//
// Inside a JavaScript task, ctx.graph() makes a TaskGraph whose runs are
// synchronous: the calling worker drives the run and works on it.
//
// Errors carry `code` ('ECYCLE', 'ENODE_FAILED', 'ECANCELED', 'EBUSY', ...).

import { checkArgs, readCString, readUtf8, writeBlock } from './common.js';

// weft.h error codes by name.
const CODES = {
  EINVAL: -1, E2BIG: -2, ENOMEM: -3, EBADPOOL: -4, ELIMIT: -5, ETHREAD: -6, EDEADLK: -7,
  ENOTASK: -8, EPENDING: -9, ECYCLE: -16, EFOREIGN: -17, EBUSY: -18, ENODE_FAILED: -19,
  ECANCELED: -20,
};
const NAMES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k]));
const ERROR_TYPES = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

export const NODE_ARGS = 4;       // src/wasm/host_graph.c: a node block has four slots
const UNTIL_ARGS = NODE_ARGS - 1; // the predicate also gets the count of runs done
const ERROR_NODES = 16;           // WEFT_GRAPH_ERROR_NODES
const FLAT_ERROR_SIZE = 16 + 4 * ERROR_NODES + 256; // host_graph.c, flat_error

export function graphError(rc, message, props = {}) {
  const e = new Error(`weft: ${message}`);
  e.code = NAMES[rc] || `E${rc}`;
  e.errno = rc;
  return Object.assign(e, props);
}

// The first JavaScript error of a run, rebuilt on this thread.
function taskError(info, where) {
  const Ctor = ERROR_TYPES[info.name] || Error;
  const e = new Ctor(`${info.message} (in task '${info.task}'${where ? `, ${where}` : ''})`);
  if (!ERROR_TYPES[info.name]) e.name = info.name;
  e.task = info.task;
  e.taskStack = info.stack;
  return e;
}

// What graphs share, built on one thread's TaskRuntime (rt) and instance.
class GraphBase {
  _init(rt, alive) {
    this._rt = rt;
    this._ex = rt.ex;
    this._memory = rt.memory;
    this._alive = alive;
    this._tasks = [];  // node id -> task name
    this._names = [];  // node id -> name or undefined
    this._edges = 0;
    this._ran = 0;     // nodes the results array covers (the last run's)
    this._running = false;
    this._destroyed = false;
    this._hg = this._ex.weft_wasm_graph_create();
    if (!this._hg) throw new RangeError("weft: no memory for a graph in the pool's memory");
  }

  // Number of nodes / edges added (edges() is the method that adds them).
  get nodeCount() { return this._tasks.length; }
  get edgeCount() { return this._edges; }
  // True while a run (series) is in flight.
  get running() { return this._running; }

  _usable() {
    this._alive();
    if (this._destroyed) throw new Error('weft: the graph is destroyed');
    if (this._running) throw graphError(CODES.EBUSY, 'the graph is running');
  }

  _id(x, what) {
    if (!Number.isInteger(x) || x < 0 || x >= this._tasks.length)
      throw new TypeError(`weft: ${what} must be a node id of this graph (0..${this._tasks.length - 1}), got ${
        typeof x === 'number' ? x : typeof x}`);
    return x;
  }

  // "'name' (#3, task 'stamp')" for messages.
  _label(id) {
    const n = this._names[id];
    return `${n !== undefined ? `node '${n}'` : `node n${id}`} (#${id}, task '${this._tasks[id]}')`;
  }

  // The name given with name(), or undefined.
  nodeName(id) {
    return this._names[this._id(id, 'node')];
  }

  // The task (C or JavaScript) a node runs.
  nodeTask(id) {
    return this._tasks[this._id(id, 'node')];
  }

  // Adds a node running task `task` with up to 4 arguments (numbers or views
  // of the pool's memory, kept with the graph: the same on every run).
  // Returns its id.
  add(task, ...args) {
    this._usable();
    const rt = this._rt;
    const t = rt.resolve(task);
    if (args.length > NODE_ARGS)
      throw new TypeError(`weft: a graph node takes at most ${NODE_ARGS} arguments, got ${args.length} (task '${task}')`);
    checkArgs(task, args, rt.isPoolBufferFn);
    writeBlock(this._memory, rt.staging, 0, t.id, args);
    const id = this._ex.weft_wasm_graph_add(this._hg, t.fn, rt.staging);
    if (id < 0) throw this._buildError(id, `add('${task}')`);
    this._tasks.push(task);
    this._names.push(undefined);
    return id;
  }

  // Names a node (for errors and dot()); null removes the name.
  name(id, label) {
    this._usable();
    this._id(id, 'node');
    if (label !== null && typeof label !== 'string')
      throw new TypeError(`weft: a node name is a string or null, got ${typeof label}`);
    let p = 0;
    if (label !== null) {
      const bytes = new TextEncoder().encode(label);
      if (bytes.includes(0)) throw new TypeError('weft: a node name cannot contain NUL');
      p = this._ex.weft_wasm_alloc(bytes.length + 1, 1);
      if (!p) throw new RangeError("weft: no memory for the name in the pool's memory");
      const u8 = new Uint8Array(this._rt.buffer());
      u8.set(bytes, p);
      u8[p + bytes.length] = 0;
    }
    const rc = this._ex.weft_wasm_graph_name(this._hg, id, p);
    if (p) this._ex.weft_wasm_free(p);
    if (rc) throw this._buildError(rc, 'name()');
    this._names[id] = label === null ? undefined : label;
    return this;
  }

  // Adds the edge "from precedes to". A self-edge is a cycle: it throws
  // (code 'ECYCLE') and, as in C, leaves the graph broken until clear().
  edge(from, to) {
    this._usable();
    this._id(from, 'edge(from)');
    this._id(to, 'edge(to)');
    const rc = this._ex.weft_wasm_graph_edge(this._hg, from, to);
    if (rc) throw this._buildError(rc, 'edge()');
    this._edges++;
    return this;
  }

  // Adds many edges, all or none: edges([[from, to], ...]) or
  // edges(fromIds, toIds) (arrays or typed arrays of equal length).
  edges(a, b) {
    this._usable();
    let from, to;
    if (b === undefined) {
      if (!Array.isArray(a)) throw new TypeError('weft: edges(pairs): pairs must be an array of [from, to]');
      from = new Uint32Array(a.length);
      to = new Uint32Array(a.length);
      a.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`weft: edges(pairs): pair ${i} is not [from, to]`);
        from[i] = this._id(p[0], `edges: pair ${i} from`);
        to[i] = this._id(p[1], `edges: pair ${i} to`);
      });
    } else {
      const ok = (x) => Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
      if (!ok(a) || !ok(b) || a.length !== b.length)
        throw new TypeError('weft: edges(from, to): two arrays of node ids of equal length');
      from = new Uint32Array(a.length);
      to = new Uint32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        from[i] = this._id(a[i], `edges: from[${i}]`);
        to[i] = this._id(b[i], `edges: to[${i}]`);
      }
    }
    const n = from.length;
    if (n === 0) return this;
    const ex = this._ex;
    const pf = ex.weft_wasm_alloc(4 * n, 4);
    const pt = pf && ex.weft_wasm_alloc(4 * n, 4);
    if (!pt) {
      ex.weft_wasm_free(pf);
      throw new RangeError(`weft: no memory for ${n} edges in the pool's memory`);
    }
    new Uint32Array(this._rt.buffer(), pf, n).set(from);
    new Uint32Array(this._rt.buffer(), pt, n).set(to);
    const rc = ex.weft_wasm_graph_edges(this._hg, pf, pt, n);
    ex.weft_wasm_free(pf);
    ex.weft_wasm_free(pt);
    if (rc) throw this._buildError(rc, 'edges()');
    this._edges += n;
    return this;
  }

  // Checks the graph (and prepares it to run). Returns true, or throws the
  // problem: code 'ECYCLE' with err.cycle (node ids in edge order) and
  // err.cycleNames, or the first error of a broken graph.
  validate() {
    this._usable();
    const err = this._validation();
    if (err) throw err;
    return true;
  }

  // The validation error as an Error, or null if the graph is valid.
  _validation() {
    const ex = this._ex;
    const p = ex.weft_wasm_alloc(FLAT_ERROR_SIZE, 4);
    if (!p) return graphError(CODES.ENOMEM, "no memory to validate in the pool's memory");
    try {
      const rc = ex.weft_wasm_graph_validate(this._hg, p);
      if (rc === 0) return null;
      const dv = new DataView(this._rt.buffer());
      const count = dv.getUint32(p + 4, true);
      const ids = [];
      for (let i = 0; i < count && i < ERROR_NODES; i++) ids.push(dv.getUint32(p + 16 + 4 * i, true));
      const message = readCString(this._memory, p + 16 + 4 * ERROR_NODES);
      const props = {};
      if (rc === CODES.ECYCLE) {
        props.cycle = ids;
        props.cycleNames = ids.map((i) => this._names[i] ?? null);
        props.cycleTasks = ids.map((i) => this._tasks[i]);
        props.cycleLength = dv.getUint32(p + 8, true);
        props.truncated = dv.getUint32(p + 12, true) !== 0;
      } else if (ids.length) {
        props.nodes = ids;
      }
      return graphError(rc, message, props);
    } finally {
      ex.weft_wasm_free(p);
    }
  }

  _buildError(rc, what) {
    // A build call that fails leaves the graph broken (weft.h): validation
    // describes the damage (a self-edge names its node).
    if (rc === CODES.ECYCLE) {
      const e = this._validation();
      if (e) return e;
    }
    if (rc === CODES.EBUSY) return graphError(rc, `${what}: the graph is running`);
    const why = readCString(this._memory, this._ex.weft_wasm_strerror(rc));
    return graphError(rc, `${what} failed: ${why}${rc === CODES.EINVAL ? '' : ' (the graph is broken until clear())'}`);
  }

  // Graphviz DOT of the graph (names as labels).
  dot() {
    this._alive();
    if (this._destroyed) throw new Error('weft: the graph is destroyed');
    const ex = this._ex;
    const np = ex.weft_wasm_alloc(4, 4);
    if (!np) throw new RangeError("weft: no memory in the pool's memory");
    try {
      ex.weft_wasm_graph_dot(this._hg, 0, 0, np);
      const need = new Uint32Array(this._rt.buffer(), np, 1)[0];
      const buf = ex.weft_wasm_alloc(need, 1);
      if (!buf) throw new RangeError(`weft: no memory for ${need} bytes of DOT`);
      ex.weft_wasm_graph_dot(this._hg, buf, need, np);
      const s = readUtf8(this._memory, buf, need - 1);
      ex.weft_wasm_free(buf);
      return s;
    } finally {
      ex.weft_wasm_free(np);
    }
  }

  // Stops the run in flight: nodes not started are skipped, the run rejects
  // with code 'ECANCELED'; JavaScript nodes that are running see
  // ctx.cancelled. Returns true if a run was in flight.
  cancel() {
    if (this._destroyed) return false;
    this._alive();
    return this._ex.weft_wasm_graph_cancel(this._hg) === 1;
  }

  // Removes every node and edge (ids start again at 0).
  clear() {
    this._usable();
    const rc = this._ex.weft_wasm_graph_clear(this._hg);
    if (rc) throw this._buildError(rc, 'clear()');
    this._tasks = [];
    this._names = [];
    this._edges = 0;
    this._ran = 0;
    return this;
  }

  // Frees the graph (not while it runs). Twice is fine.
  destroy() {
    if (this._destroyed) return;
    this._alive();
    if (this._running) throw graphError(CODES.EBUSY, 'destroy(): the graph is running');
    const rc = this._ex.weft_wasm_graph_destroy(this._hg);
    if (rc) throw graphError(rc, 'destroy() failed');
    this._destroyed = true;
    this._hg = 0;
  }

  // Node `id`'s result (its task's return value) in the last run; 0 for a
  // node that did not run.
  result(id) {
    this._id(id, 'node');
    if (this._destroyed || id >= this._ran) return 0;
    const p = this._ex.weft_wasm_graph_results(this._hg);
    return new Float64Array(this._rt.buffer(), p + 8 * id, 1)[0];
  }

  // Every node's result of the last run, as a new Float64Array.
  results() {
    const out = new Float64Array(this._tasks.length);
    if (this._destroyed || this._ran === 0) return out;
    const p = this._ex.weft_wasm_graph_results(this._hg);
    out.set(new Float64Array(this._rt.buffer(), p, Math.min(this._ran, out.length)));
    return out;
  }

  // The three ways to run, for both kinds of graph: _go(n, predicate, args)
  // is Graph's promise run or TaskGraph's synchronous one (n 0: until).
  run() {
    return this._go(1, null, []);
  }

  // n runs in a row as one job, stopping at the first that fails.
  runN(n) {
    this._checkCount(n);
    return this._go(n, null, []);
  }

  // Runs until task(...args, completed) returns non-zero; it is called on a
  // worker before each run, completed = runs done so far.
  runUntil(task, ...args) {
    const t = this._predicate(task, args);
    return this._go(0, t, args);
  }

  _checkCount(n) {
    if (!Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER)
      throw new TypeError(`weft: runN(n): n must be a non-negative integer, got ${typeof n === 'number' ? n : typeof n}`);
  }

  // Resolves runUntil's predicate: a task name and up to 3 arguments.
  _predicate(task, args) {
    if (typeof task === 'function')
      throw new TypeError('weft: runUntil(task, ...args) takes the name of a task (it runs on a worker), not a function');
    const t = this._rt.resolve(task);
    if (args.length > UNTIL_ARGS)
      throw new TypeError(`weft: runUntil's task takes at most ${UNTIL_ARGS} arguments (then the count of runs done), got ${args.length}`);
    checkArgs(task, args, this._rt.isPoolBufferFn);
    return t;
  }

  // Claims the graph for a run and sets the predicate. Throws EBUSY.
  _begin(t, args) {
    const ex = this._ex;
    const rc = ex.weft_wasm_graph_begin(this._hg);
    if (rc) throw graphError(rc, rc === CODES.EBUSY ? 'the graph is running' : 'cannot start the run');
    if (t) {
      writeBlock(this._memory, this._rt.staging, 0, t.id, args);
      ex.weft_wasm_graph_set_until(this._hg, t.fn, this._rt.staging, args.length);
    }
    this._ran = this._tasks.length;
    this._running = true;
  }

  _end() {
    this._ex.weft_wasm_graph_end(this._hg);
    this._running = false;
  }

  // Reads what the run did: a result, or throws its error.
  _finish() {
    const ex = this._ex;
    const L = this._rt.L;
    const dv = new DataView(this._rt.buffer());
    const o = ex.weft_wasm_graph_outcome(this._hg);
    const rc = dv.getInt32(o, true);
    const status = dv.getInt32(o + 4, true);
    const node = dv.getUint32(o + 8, true);
    const result = { iterations: dv.getFloat64(o + 32, true), nodesRun: dv.getFloat64(o + 16, true),
      nodesSkipped: dv.getFloat64(o + 24, true) };
    const rec = ex.weft_wasm_graph_record(this._hg);
    let info = null;
    if (Atomics.load(new Int32Array(this._rt.buffer()), (rec + L.error) >> 2) !== 0) {
      const p = dv.getUint32(rec + L.errPtr, true);
      info = p ? JSON.parse(readUtf8(this._memory, p, dv.getUint32(rec + L.errLen, true)))
        : { name: 'Error', message: 'a task failed (no memory for its error)', task: '?', stack: '' };
    }
    if (rc === 0 && !info) return result;
    let err;
    if (rc === CODES.ENODE_FAILED) {
      const label = this._label(node);
      // The node's own JavaScript task threw (status 1) or its C task failed.
      if (info && status === 1 && info.task === this._tasks[node]) {
        err = taskError(info, label);
        err.message = `weft: ${label} failed: ${err.message}`;
      } else {
        err = new Error(`weft: ${label} failed with status ${status}`);
        if (info) err.cause = taskError(info);
      }
      Object.assign(err, { code: 'ENODE_FAILED', errno: rc, node, nodeName: this._names[node],
        nodeTask: this._tasks[node], status });
    } else if (info) {
      // A task that is not a node itself (a node's child, or runUntil's
      // predicate) threw.
      err = taskError(info);
      Object.assign(err, { code: rc ? NAMES[rc] : 'ETASK', errno: rc });
    } else if (rc === CODES.ECANCELED) {
      err = graphError(rc, 'the graph run was cancelled');
    } else {
      err = this._validation() || graphError(rc, readCString(this._memory, ex.weft_wasm_strerror(rc)));
    }
    err.result = result;
    throw err;
  }
}

// A graph built on the main thread (pool.graph()): runs are promises; the
// main thread never waits (the run is a root job, awaited like pool.run).
export class Graph extends GraphBase {
  constructor(pool) {
    super();
    pool._alive();
    this._pool = pool;
    this._init(pool._rt, () => pool._alive());
  }

  // A run resolves to { iterations, nodesRun, nodesSkipped }; it rejects
  // with the first failing node's error (err.code 'ENODE_FAILED', err.node,
  // err.nodeName, err.status), 'ECANCELED', or a validation error.
  _go(n, t, args) {
    try {
      this._usable();
    } catch (e) {
      return Promise.reject(e);
    }
    const pool = this._pool;
    const ex = this._ex;
    const L = this._rt.L;
    const r = ex.weft_wasm_run_new();
    if (!r) throw new RangeError("weft: no memory for a run in the pool's memory");
    try {
      this._begin(t, args);
    } catch (e) {
      ex.weft_wasm_run_free(r);
      return Promise.reject(e);
    }
    const dv = new DataView(this._rt.buffer());
    const b = r + L.block;
    for (let i = 0; i < 12; i++) dv.setUint32(b + 4 * i, 0, true);
    dv.setUint32(b + 8, this._hg, true);
    dv.setUint32(b + 16, t ? 1 : 0, true);
    dv.setFloat64(b + 24, n, true);
    if (!pool._graphRoot) pool._graphRoot = ex.weft_wasm_graph_root();
    return pool._submit(r, pool._graphRoot, () => this._finish(), () => this._end());
  }
}

// A graph built inside a JavaScript task (ctx.graph()): runs are
// synchronous; the worker running the calling task drives them and works on
// them. Destroy it before the task returns (or keep it for later tasks on
// the same worker thread).
export class TaskGraph extends GraphBase {
  constructor(rt) {
    super();
    this._init(rt, () => {});
  }

  // Runs synchronously: returns the result or throws the error a Graph's
  // promise would reject with.
  _go(n, t, args) {
    this._usable();
    if (!this._ex.weft_wasm_current_worker())
      throw new Error('weft: a TaskGraph runs inside a task (the worker running it drives the run)');
    this._begin(t, args);
    try {
      this._ex.weft_wasm_graph_run_in(this._hg, t ? 1 : 0, n);
      return this._finish();
    } finally {
      this._end();
    }
  }
}
