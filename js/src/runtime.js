// The JavaScript side of one wasm instance that runs tasks: it resolves task
// names, implements the `js_call` import through which weft's trampoline
// (src/wasm/host.c, js_task) calls a JavaScript task, and gives tasks their
// context (spawn, sync, memory views). Used by every worker, and by the main
// thread in the single-thread fallback.

import { BLOCK_SIZE, NOTICE_ROOT, checkArgs, readArgs, readCString, writeBlock } from './common.js';
import { TaskGraph } from './graph.js';

const NODE_TAG = 0x8000; // src/wasm/host.h, WASM_TAG_NODE

export class TaskRuntime {
  constructor(memory) {
    this.memory = memory;
    this.ex = null;
    this.buffers = new WeakSet();
    this.jsNames = [];
    this.jsFns = [];
    this.tasks = new Map(); // name -> { fn: table index, id, js }
    this._buf = null; // memory.buffer when _dv was made (it changes on growth)
    this._dv = null;
    this.isPoolBufferFn = (b) => this.isPoolBuffer(b);
  }

  // Called once the instance has its own stack and TLS.
  attach(ex) {
    this.ex = ex;
    this.staging = ex.weft_wasm_alloc(BLOCK_SIZE, 8);
    this.jsTask = ex.weft_wasm_js_task();
    const L = new Uint32Array(this.memory.buffer, ex.weft_wasm_layout(), 8);
    this.L = { state: L[0], cancel: L[1], error: L[2], errPtr: L[3], errLen: L[4], block: L[5],
      runSize: L[6], statsSize: L[7] };
    // C tasks: {const char *name, weft_fn fn} pairs, ended by {0, 0}
    // (csrc/tasks.c, and csrc/graph_tasks.c: nodes for graphs).
    for (const list of [ex.weft_wasm_ctasks, ex.weft_wasm_graph_ctasks]) {
      if (!list) continue;
      const dv = new DataView(this.memory.buffer);
      for (let p = list(); ; p += 8) {
        const name = dv.getUint32(p, true);
        if (!name) break;
        this.tasks.set(readCString(this.memory, name), { fn: dv.getUint32(p + 4, true), id: 0, js: false });
      }
    }
  }

  // Registers the functions a task module exports, in sorted name order so
  // that every instance gives a name the same id. They shadow C tasks.
  setTasks(mod) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function').sort();
    if (names.length > 65535) throw new Error('weft: too many JavaScript tasks');
    this.jsNames = names;
    this.jsFns = names.map((n) => mod[n]);
    names.forEach((n, id) => this.tasks.set(n, { fn: this.jsTask, id, js: true }));
  }

  // The memory's current buffer. Every buffer it has had is remembered
  // (views made before a growth stay valid arguments) and one DataView of the
  // latest one is kept for the task path (view()).
  buffer() {
    const b = this.memory.buffer;
    if (b !== this._buf) {
      this._buf = b;
      this._dv = new DataView(b);
      this.buffers.add(b);
    }
    return b;
  }

  // A DataView of the memory that reaches at least byte `end` (exclusive).
  // The getter memory.buffer is slow on a shared memory (a quarter of a
  // JavaScript task's time when it was read per task), and not needed: a
  // shared memory never shrinks or moves, so a view made before a growth
  // still shows the same bytes, and only one that is too short (a block
  // allocated after another thread grew the memory) is made anew.
  view(end) {
    if (!this._dv || end > this._dv.byteLength) this.buffer();
    return this._dv;
  }

  isPoolBuffer(b) {
    return b === this._buf || this.buffers.has(b) || b === this.buffer();
  }

  resolve(name) {
    if (typeof name !== 'string')
      throw new TypeError(`weft: a task is named by a string, got ${typeof name}`);
    const t = this.tasks.get(name);
    if (!t) throw new TypeError(`weft: no task named '${name}' (C tasks: ${[...this.tasks].filter(([, v]) => !v.js).map(([k]) => k).join(', ')}; JavaScript tasks: ${this.jsNames.join(', ') || 'none'})`);
    return t;
  }

  i32() {
    return new Int32Array(this.buffer());
  }

  // The first failure of a run: cancel the rest, keep the error.
  recordError(run, err, taskName) {
    const i32 = this.i32();
    Atomics.store(i32, (run + this.L.cancel) >> 2, 1);
    if (Atomics.compareExchange(i32, (run + this.L.error) >> 2, 0, 1) !== 0) return;
    let info;
    try {
      info = JSON.stringify({
        name: (err && err.name) || 'Error',
        message: err && err.message !== undefined ? String(err.message) : String(err),
        stack: (err && typeof err.stack === 'string' && err.stack) || '',
        task: taskName,
      });
    } catch {
      info = JSON.stringify({ name: 'Error', message: 'unprintable error', stack: '', task: taskName });
    }
    const bytes = new TextEncoder().encode(info);
    const p = this.ex.weft_wasm_alloc(bytes.length, 1);
    const dv = new DataView(this.buffer());
    if (p) {
      new Uint8Array(this.buffer()).set(bytes, p);
      dv.setUint32(run + this.L.errPtr, p, true);
      dv.setUint32(run + this.L.errLen, bytes.length, true);
    }
    Atomics.store(this.i32(), (run + this.L.error) >> 2, 2);
  }

  // The js_call import: runs the JavaScript task of the block at `block` on
  // worker `w`. Never lets an exception into wasm.
  jsCall(w, block) {
    const dv = this.view(block + BLOCK_SIZE);
    const run = dv.getUint32(block, true);
    const id = dv.getUint16(block + 4, true);
    if (id === NOTICE_ROOT) return this.noticeRoot(w, block, run);
    const fn = this.jsFns[id];
    const name = this.jsNames[id];
    const ctx = new TaskContext(this, w, run);
    const tags = dv.getUint16(block + 6, true) & ~NODE_TAG;
    let result = 0;
    try {
      // No arguments, or one or two numbers (tags 1 and 1 | 1 << 3): called
      // directly; anything else through readArgs.
      if (tags === 0) result = fn(ctx);
      else if (tags === 1) result = fn(ctx, dv.getFloat64(block + 8, true));
      else if (tags === 9) result = fn(ctx, dv.getFloat64(block + 8, true), dv.getFloat64(block + 16, true));
      else result = fn(ctx, ...readArgs(this.memory, block, this._buf, dv));
      if (result && typeof result.then === 'function')
        throw new TypeError(`weft: task '${name}' returned a promise; tasks must be synchronous`);
    } catch (e) {
      this.recordError(run, e, name);
      // A graph node's own task (tag bit 15): the throw fails its node.
      if (dv.getUint16(block + 6, true) & NODE_TAG) this.ex.weft_wasm_fail(1);
      result = 0;
    }
    // Join what the task left unsynced (it threw, or forgot).
    while (ctx._pending > 0) {
      try {
        ctx.sync();
      } catch (e) {
        this.recordError(run, e, name);
        break;
      }
    }
    const out = typeof result === 'number' ? result : typeof result === 'bigint' ? Number(result)
      : typeof result === 'boolean' ? +result : 0;
    dv.setFloat64(block + 8, out, true);
  }
}

// A root submitted with completion 'message' (no Atomics.waitAsync on the
// submitting thread, or forced): its block names the real root task (slot 0:
// function-table index, slot 1: the real block). Runs it here, through the
// table, copies its block back (the result is in slot 0) and posts 'done'
// from this worker, which finished the run: every spawn of a root is joined
// before the root returns. weft marks the job done a few instructions later
// (src/submit.c, finish_job); the submitter checks the state word.
TaskRuntime.prototype.noticeRoot = function noticeRoot(w, block, run) {
  const dv = new DataView(this.buffer());
  const fn = dv.getUint32(block + 8, true);
  const inner = dv.getUint32(block + 16, true);
  if (!this.table) this.table = this.ex.__indirect_function_table;
  this.table.get(fn)(w, inner);
  new Uint8Array(this.buffer()).copyWithin(block, inner, inner + BLOCK_SIZE);
  if (this.onRootDone) this.onRootDone(run);
};

// What a JavaScript task receives as its first argument.
export class TaskContext {
  constructor(rt, w, run) {
    this._rt = rt;
    this._w = w;
    this._run = run;
    this._pending = 0;
  }

  // Index of the worker running this task (0..workers-1).
  get worker() {
    return this._rt.ex.weft_wasm_worker_index(this._w);
  }

  // The pool's WebAssembly.Memory (views must be made afresh after growth).
  get memory() {
    return this._rt.memory;
  }

  // True once another task of this run failed: the rest is being skipped.
  get cancelled() {
    return Atomics.load(this._rt.i32(), (this._run + this._rt.L.cancel) >> 2) !== 0;
  }

  // Spawns task `name` (C or JavaScript) with up to 5 arguments: numbers or
  // typed array views of the pool's memory. Join it with sync(), in LIFO order.
  spawn(name, ...args) {
    const rt = this._rt;
    const t = rt.resolve(name);
    checkArgs(name, args, rt.isPoolBufferFn);
    writeBlock(rt.memory, rt.staging, this._run, t.id, args, rt.view(rt.staging + BLOCK_SIZE));
    const rc = rt.ex.weft_wasm_spawn(this._w, t.fn, rt.staging);
    if (rc !== 0) throw new Error(`weft: spawn of '${name}' failed (${rc})`);
    this._pending++;
  }

  // A task graph built and run inside this task (synchronous runs; see
  // src/graph.js). Destroy it when done.
  graph() {
    return new TaskGraph(this._rt);
  }

  // Joins the most recent spawn; returns its result (a number).
  sync() {
    if (this._pending === 0) throw new Error('weft: sync() without an outstanding spawn');
    this._pending--;
    const r = this._rt.ex.weft_wasm_sync(this._w);
    const rc = this._rt.ex.weft_wasm_last_rc();
    if (rc !== 0) throw new Error(`weft: sync failed (${rc})`);
    return r;
  }

  // Views of the pool's memory at a byte offset.
  f64(ptr, n) { return new Float64Array(this._rt.buffer(), ptr, n); }
  f32(ptr, n) { return new Float32Array(this._rt.buffer(), ptr, n); }
  i32(ptr, n) { return new Int32Array(this._rt.buffer(), ptr, n); }
  u32(ptr, n) { return new Uint32Array(this._rt.buffer(), ptr, n); }
  u8(ptr, n) { return new Uint8Array(this._rt.buffer(), ptr, n); }
}
