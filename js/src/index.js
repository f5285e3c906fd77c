// weft for JavaScript: the weft work-stealing scheduler, compiled to
// WebAssembly, on Node worker_threads or Web Workers sharing one memory.
//
//   import { createPool } from 'weft';
//   const pool = await createPool({ workers: 4, tasks: new URL('./tasks.js', import.meta.url) });
//   await pool.run('fib', 30);          // a C task compiled into weft.wasm
//   await pool.run('myTask', 1, 2);     // a function exported by the task module
//   await pool.destroy();
//
// The main thread never waits: every run is a promise that settles when the
// job's state word changes (Atomics.waitAsync). See js/README.md.

import {
  BLOCK_SIZE, NOTICE_ROOT, LOOP_SIZE, LOOP_FOR, LOOP_REDUCE, LOOP_MAP, MEMORY_INITIAL_PAGES, MEMORY_MAXIMUM_PAGES, checkArgs, coreCount, isNode, nowMs,
  readUtf8, writeBlock, readCString, viewTag,
} from './common.js';
import { TaskRuntime } from './runtime.js';
import { Graph } from './graph.js';
import { installLaunch, Task, Event, TaskRef, EventRef, Pipe } from './tasks.js';

export { isNode, Graph, Task as TaskHandle, Event as EventHandle, TaskRef, EventRef, Pipe };

const WORKER_URL = new URL('./worker.js', import.meta.url);
const WASM_URL = new URL('../dist/weft.wasm', import.meta.url);

const CONTROL_STACK = 64 * 1024;  // the control thread's stack (it only destroys)
const LOOPS_PER_JOB = 256;       // loops queued before they are sent without waiting for the microtask
const COPY_BYTES_PER_JOB = 512 << 10; // or bytes of columns copied for them (the workers start while this thread copies on)
const THREADS_HOST = 2;          // WEFT_THREADS_HOST
const THREADS_CALLER = 1;        // WEFT_THREADS_CALLER

const ERROR_TYPES = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

// ------------------------------------------------------------ helpers

const modules = new Map();

async function compileModule(url) {
  const key = String(url);
  if (!modules.has(key)) {
    modules.set(key, (async () => {
      if (isNode) {
        const fs = await import('node:fs/promises');
        return WebAssembly.compile(await fs.readFile(url instanceof URL ? url : new URL(url)));
      }
      const resp = await fetch(url);
      if (!resp.ok) throw new Error(`weft: cannot fetch ${url}: HTTP ${resp.status}`);
      return WebAssembly.compile(await resp.arrayBuffer());
    })());
    modules.get(key).catch(() => modules.delete(key));
  }
  return modules.get(key);
}

async function toModuleUrl(x) {
  if (x === undefined || x === null) return null;
  if (x instanceof URL) return x.href;
  if (typeof x !== 'string') throw new TypeError('weft: options.tasks must be a URL or a string');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(x)) return x;
  if (isNode) {
    const { pathToFileURL } = await import('node:url');
    const path = await import('node:path');
    return pathToFileURL(path.resolve(x)).href;
  }
  return new URL(x, globalThis.location ? location.href : undefined).href;
}

// Keeps Node alive while a promise of ours is pending: a pending
// Atomics.waitAsync does not, and the workers are unref'd.
let holds = 0;
let holdTimer = null;
function hold() {
  if (holds++ === 0 && isNode) holdTimer = setInterval(() => {}, 1 << 30);
}
function release() {
  if (--holds === 0 && holdTimer) {
    clearInterval(holdTimer);
    holdTimer = null;
  }
}

// Resolves once i32[idx] !== value. Never blocks the calling thread. rt: the
// main thread's TaskRuntime (its kept views spare the slow memory.buffer).
async function waitWhile(rt, idx, value) {
  for (;;) {
    const i32 = rt.int32(4 * idx + 4);
    if (Atomics.load(i32, idx) !== value) return;
    const r = Atomics.waitAsync(i32, idx, value);
    if (r.async) await r.value;
  }
}

// Resolves once i32[idx] !== value, looking again after each macrotask:
// for the few instructions between a root's 'done' message and weft marking
// its job done, where there is no Atomics.waitAsync.
async function pollWhile(memory, idx, value) {
  while (Atomics.load(new Int32Array(memory.buffer), idx) === value) await new Promise((r) => setTimeout(r, 0));
}

function hasWaitAsync() {
  return typeof Atomics.waitAsync === 'function';
}

// Settles with p, or after ms (the timer does not keep Node alive).
function withTimeout(p, ms) {
  let t;
  const timeout = new Promise((r) => {
    t = setTimeout(r, ms);
    if (t.unref) t.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

// One JavaScript worker: a thread lent to the pool. Messages are awaited by
// type; an error or an unexpected exit rejects every pending wait.
class HostWorker {
  static async start(url, index) {
    const h = new HostWorker();
    h.index = index;
    h.waiters = [];
    h.failure = null;
    h.exited = false;
    const onMessage = (m) => {
      if (m && m.type === 'error') return h.fail(new Error(`weft: worker ${index}: ${m.message}`));
      if (m && m.type === 'done') return h.onDone && h.onDone(m.run);
      const i = h.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) h.waiters.splice(i, 1)[0].resolve(m);
    };
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      h.w = new Worker(url);
      h.w.on('message', onMessage);
      h.w.on('error', (e) => h.fail(new Error(`weft: worker ${index} failed: ${e && e.message}`)));
      h.w.on('exit', (code) => {
        h.exited = true;
        h.fail(new Error(`weft: worker ${index} exited (code ${code})`));
      });
    } else {
      h.w = new Worker(url, { type: 'module' });
      h.w.onmessage = (e) => onMessage(e.data);
      h.w.onerror = (e) => {
        if (e.preventDefault) e.preventDefault();
        // A module worker that cannot load gets an error event without a
        // message: ask the server what it said.
        const why = e.message ? Promise.resolve(e.message) : loadFailure(url);
        why.then((m) => h.fail(new Error(`weft: worker ${index} failed to load ${url}: ${m}`)));
      };
      h.w.onmessageerror = () => h.fail(new Error(`weft: worker ${index}: a message could not be deserialized`));
    }
    return h;
  }
  fail(err) {
    if (!this.failure) this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    if (this.onFail) this.onFail(err);
  }
  // Resolves with the next message of this type.
  expect(type) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve, reject }));
  }
  post(m) {
    this.w.postMessage(m);
  }
  unref() {
    if (isNode) this.w.unref();
  }
  terminate() {
    this.failure = this.failure || new Error('weft: worker terminated');
    return this.w.terminate();
  }
}

// Why a script did not load, as far as a HEAD request tells.
async function loadFailure(url) {
  try {
    const r = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    if (!r.ok) return `HTTP ${r.status} ${r.statusText}`.trim();
    const type = r.headers.get('content-type') || 'none';
    if (!/javascript/i.test(type)) return `served as '${type}', not JavaScript`;
    return 'it failed to evaluate or import (the browser console has the error)';
  } catch (e) {
    return `it could not be fetched: ${e.message}`;
  }
}

// ------------------------------------------------ cross-origin isolation

// Whether a shared WebAssembly.Memory can go to another thread here: post
// one through a MessageChannel (without cross-origin isolation that throws
// DataCloneError, although creating the memory works).
export function canShareMemory() {
  if (isNode) return true;
  let ch;
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    ch = new MessageChannel();
    ch.port1.postMessage(m);
    return true;
  } catch {
    return false;
  } finally {
    if (ch) {
      ch.port1.close();
      ch.port2.close();
    }
  }
}

// Why shared memory is unavailable here (browsers), or null if it is fine.
export async function isolationProblem() {
  if (isNode || canShareMemory()) return null;
  const want = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const missing = [];
  const check = async (what, url) => {
    try {
      const r = await fetch(url, { method: 'HEAD', cache: 'no-store' });
      for (const [h, v] of Object.entries(want)) {
        const got = r.headers.get(h);
        if (!got || got.toLowerCase().split(';')[0].trim() !== v)
          missing.push(`${what} (${url}) has ${got ? `'${h}: ${got}'` : `no ${h} header`}, needs '${h}: ${v}'`);
      }
    } catch (e) {
      missing.push(`${what} (${url}) could not be checked: ${e.message}`);
    }
  };
  if (globalThis.location) await check('the page', location.href);
  await check('the worker script', WORKER_URL.href);
  return `weft: this page is not cross-origin isolated (crossOriginIsolated is ${globalThis.crossOriginIsolated}), so ` +
    'SharedArrayBuffer is undefined and a shared WebAssembly.Memory cannot be posted to workers. ' +
    'Serve the page and the worker scripts with "Cross-Origin-Opener-Policy: same-origin" and ' +
    '"Cross-Origin-Embedder-Policy: require-corp". ' +
    (missing.length ? `Missing: ${missing.join('; ')}.` : 'The headers look right; a parent frame may not be isolated.');
}

// ------------------------------------------------------------------ pool

function makeError(info) {
  const Ctor = ERROR_TYPES[info.name] || Error;
  const where = info.range ? `in task '${info.task}', chunk [${info.range[0]}, ${info.range[1]})` : `in task '${info.task}'`;
  const e = new Ctor(`${info.message} (${where})`);
  if (!ERROR_TYPES[info.name]) e.name = info.name;
  e.task = info.task;
  if (info.range) e.range = info.range;
  e.taskStack = info.stack;
  return e;
}

// A typed array of numbers (not BigInt, not a DataView).
function isNumberArray(v) {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

function describe(v) {
  return v === null ? 'null' : ArrayBuffer.isView(v) ? v.constructor.name : Array.isArray(v) ? 'an Array' : typeof v;
}

function checkInt(name, v, lo, hi) {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TypeError(`weft: options.${name} must be an integer, got ${typeof v === 'number' ? v : typeof v}`);
  if (v < lo || v > hi) throw new RangeError(`weft: options.${name} must be in ${lo}..${hi}, got ${v}`);
}

export class Pool {
  constructor() {
    throw new TypeError('weft: use createPool(options)');
  }

  // Number of workers.
  get workers() {
    return this._n;
  }

  // How the main thread learns that a run ended: 'waitAsync' (on the job's
  // state word), 'message' (the worker that ended it posts one) or 'sync'
  // (the single-thread fallback: a run ends inside run()).
  get completion() {
    return this._completion;
  }

  // The pool's shared WebAssembly.Memory.
  get memory() {
    return this._memory;
  }

  // Names of the tasks this pool can run: { c: [...], js: [...] }.
  get tasks() {
    const c = [];
    const js = [];
    for (const [k, v] of this._rt.tasks) (v.js ? js : c).push(k);
    return { c, js };
  }

  _alive() {
    if (this._state !== 'ready') throw new Error(`weft: the pool is ${this._state}`);
  }

  // A new, empty task graph on this pool (src/graph.js).
  graph() {
    this._alive();
    return new Graph(this);
  }

  // Runs task `name` (C or JavaScript) as a root job. Throws TypeError at
  // once for bad arguments; the promise gives the task's result (a number)
  // or rejects with the error of the first task of the run that threw.
  run(name, ...args) {
    this._alive();
    const t = this._rt.resolve(name);
    checkArgs(name, args, this._rt.isPoolBufferFn);
    const ex = this._ex;
    const L = this._rt.L;
    const r = ex.weft_wasm_run_new();
    if (!r) throw new Error('weft: out of memory');
    writeBlock(this._memory, r + L.block, 0, t.id, args);
    return this._submit(r, t.fn, (dv) => dv.getFloat64(r + L.block + 8, true));
  }

  // Runs task `name` once per entry of argsList (each an array of
  // arguments, or a single number) as ONE job: the blocks go to wasm in one
  // array, a parallel-for spreads them over the workers. Resolves to a
  // Float64Array of the results, in order. A typed array as argsList is one
  // column: as mapColumns(name, [argsList], options).
  map(name, argsList, options = {}) {
    if (ArrayBuffer.isView(argsList) && !(argsList instanceof DataView)) return this.mapColumns(name, [argsList], options);
    const { grain = 0 } = options || {};
    this._alive();
    const t = this._rt.resolve(name);
    if (!Array.isArray(argsList) && !ArrayBuffer.isView(argsList))
      throw new TypeError('weft: map(name, argsList): argsList must be an array');
    const n = argsList.length;
    // Checked before anything is allocated; an entry that is a number needs
    // no check and no array of its own.
    const isPool = this._rt.isPoolBufferFn;
    for (let i = 0; i < n; i++) {
      const a = argsList[i];
      if (typeof a !== 'number') checkArgs(name, Array.isArray(a) ? a : [a], isPool);
    }
    const ex = this._ex;
    const L = this._rt.L;
    const r = ex.weft_wasm_run_new();
    const blocks = ex.weft_wasm_alloc(Math.max(1, n) * BLOCK_SIZE, 16);
    if (!r || !blocks) {
      ex.weft_wasm_free(blocks);
      ex.weft_wasm_run_free(r);
      throw new Error('weft: out of memory');
    }
    // One view for the whole batch (after the allocations, which may have
    // grown the memory): memory.buffer is slow to read on a shared memory.
    const dv = this._rt.view(blocks + n * BLOCK_SIZE);
    for (let i = 0; i < n; i++) {
      const a = argsList[i], at = blocks + i * BLOCK_SIZE;
      if (typeof a === 'number') {
        dv.setUint32(at, r, true);
        dv.setUint16(at + 4, t.id, true);
        dv.setUint16(at + 6, 1, true); // one number argument
        dv.setFloat64(at + 8, a, true);
        for (let k = 16; k < BLOCK_SIZE; k += 8) dv.setFloat64(at + k, 0, true);
      } else {
        writeBlock(this._memory, at, r, t.id, Array.isArray(a) ? a : [a], dv);
      }
    }
    const b = r + L.block;
    for (let i = 0; i < 6; i++) dv.setUint32(b + 4 * i, 0, true);
    dv.setUint32(b + 8, t.fn, true);
    dv.setUint32(b + 16, blocks, true);
    dv.setUint32(b + 24, n, true);
    const g = grain || Math.max(1, Math.min(256, Math.floor(n / (8 * this._n))));
    dv.setUint32(b + 32, g, true);
    return this._submit(r, this._batchTask, (v) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(blocks + i * BLOCK_SIZE + 8, true);
      return out;
    }, () => ex.weft_wasm_free(blocks));
  }

  // Runs task `name` once per chunk of [begin, end) on the workers, as
  // (ctx, lo, hi, ...args): the loop over the items is the task's own.
  // Arguments (numbers, views of the pool's memory) are passed once for the
  // whole loop. options.grain: the largest chunk; without it chunks are
  // adaptive (split further only where workers are idle). Resolves once
  // every chunk ran; rejects with the first chunk's error (its range in
  // err.range).
  for(name, begin, end, options, ...args) {
    return this._loop(LOOP_FOR, name, begin, end, options, args).then(() => undefined);
  }

  // As for(), each chunk returning a number, combined by options.combine
  // ('sum' (default), 'min', 'max', or the name of a task (ctx, a, b) => c)
  // over chunks that depend only on the range and options.grain (without a
  // grain: min(n, 256) equal chunks) in a fixed tree: the result does not
  // depend on the schedule. An empty range gives options.identity (default:
  // 0, Infinity for 'min', -Infinity for 'max').
  reduce(name, begin, end, options, ...args) {
    return this._loop(LOOP_REDUCE, name, begin, end, options, args);
  }

  _loop(kind, name, begin, end, options, args, read = null, extra = 0) {
    this._alive();
    const { loop, run: r, value } = this._rt.newLoop(kind, name, begin, end, options, args, 0, extra);
    if (!loop) return Promise.resolve(read ? read() : value);
    // Loops started in one turn of the event loop go to the workers as one
    // job (_flushLoops, at the next microtask): one submission and one
    // wake-up of this thread for all of them.
    this._pending++;
    hold();
    return new Promise((resolve, reject) => {
      this._loops.push({ r, loop, read, resolve, reject });
      this._loopBytes += extra;
      // Many loops at once, or loops whose columns this thread copies: send
      // these now, so that the workers start on them while this thread goes
      // on (copying the next batch's columns, say). Loops over the pool's
      // memory cost this thread next to nothing: one job for all is best.
      if (this._loops.length >= LOOPS_PER_JOB || this._loopBytes >= COPY_BYTES_PER_JOB) this._flushLoops();
      else if (this._loops.length === 1) queueMicrotask(() => this._flushLoops());
    });
  }

  // Submits the loops queued by _loop: one alone as its own root
  // (loop_root), several as one job whose root spreads them over the workers
  // (loops_root, src/wasm/host_loop.c). Each loop keeps its own run record,
  // so each promise gets its own result or error.
  async _flushLoops() {
    const q = this._loops;
    if (q.length === 0) return;
    this._loops = [];
    this._loopBytes = 0;
    const ex = this._ex;
    const L = this._rt.L;
    let job = 0, list = 0;
    let failure = null;
    try {
      if (q.length === 1) {
        job = q[0].r;
        this._rt.view(job + L.runSize).setUint32(job + L.block + 8, q[0].loop, true); // loop_root's slot 0
        await this._job(job, this._loopTask);
      } else {
        job = ex.weft_wasm_run_new();
        list = ex.weft_wasm_alloc(4 * q.length, 4);
        if (!job || !list) throw new Error('weft: out of memory');
        const dv = this._rt.view(Math.max(list + 4 * q.length, job + L.runSize));
        for (let i = 0; i < q.length; i++) dv.setUint32(list + 4 * i, q[i].loop, true);
        dv.setUint32(job + L.block + 8, list, true);  // loops_root's slot 0: the loops
        dv.setUint32(job + L.block + 16, q.length, true); // slot 1: how many
        await this._job(job, this._loopsTask);
      }
    } catch (e) {
      failure = e;
    }
    const broken = this._broken;
    if (q.length > 1 && !broken) {
      ex.weft_wasm_run_free(job);
      ex.weft_wasm_free(list);
    }
    for (const it of q) {
      try {
        if (failure) throw failure;
        const err = this._runError(it.r);
        if (err) throw err;
        it.resolve(it.read ? it.read() : this._rt.view(it.loop + LOOP_SIZE).getFloat64(it.loop + 104, true));
      } catch (e) {
        it.reject(e);
      } finally {
        // A failed worker leaves its run unfinished: its memory stays put.
        if (!broken) ex.weft_wasm_loop_free(it.loop); // its run record and copies too
        release();
        if (--this._pending === 0 && this._idle) this._idle();
      }
    }
  }

  // Runs task `name` once per item i of the columns (typed arrays of equal
  // length, one per argument, up to 5) as (ctx, col0[i], col1[i], ...), as
  // one job, and stores the results in options.out (a typed array of at
  // least that length; default a new Float64Array), which it resolves to.
  // No per-item work on this thread: columns that are views of the pool's
  // memory are read in place, others copied in once; a JavaScript task is
  // called in a loop over each chunk on the worker.
  mapColumns(name, columns, options = {}) {
    this._alive();
    const t = this._rt.resolve(name);
    if (!Array.isArray(columns) || columns.length < 1 || columns.length > 5)
      throw new TypeError('weft: mapColumns(name, columns): columns must be an array of 1 to 5 typed arrays');
    const o = options || {};
    const n = columns[0] && columns[0].length;
    columns.forEach((c, k) => {
      if (!isNumberArray(c)) throw new TypeError(`weft: map '${name}': column ${k} must be a typed array of numbers, got ${describe(c)}`);
      if (c.length !== n) throw new RangeError(`weft: map '${name}': column ${k} has ${c.length} items, column 0 has ${n}`);
    });
    let out = o.out;
    if (out === undefined || out === null) out = new Float64Array(n);
    else if (!isNumberArray(out)) throw new TypeError(`weft: map '${name}': options.out must be a typed array of numbers, got ${describe(out)}`);
    else if (out.length < n) throw new RangeError(`weft: map '${name}': options.out has ${out.length} items, needs ${n}`);
    // What is not a view of the pool's memory is given a copy there, in the
    // loop's own block (freed with it), of the same type where tasks take it
    // (Float64Array otherwise: those values convert exactly).
    const isPool = this._rt.isPoolBufferFn;
    const k = columns.length;
    const types = new Array(k + 1);
    let bytes = 0;
    for (let i = 0; i <= k; i++) {
      const v = i < k ? columns[i] : out;
      const tag = viewTag(v);
      types[i] = tag && isPool(v.buffer) ? null : tag ? v.constructor : Float64Array;
      if (types[i]) bytes += Math.ceil((n * types[i].BYTES_PER_ELEMENT) / 16) * 16;
    }
    let outView = out;
    const place = (at, dv) => {
      const cols = new Array(k);
      for (let i = 0; i <= k; i++) {
        const v = i < k ? columns[i] : out;
        const T = types[i];
        let c = v;
        if (T) {
          c = new T(dv.buffer, at, n);
          at += Math.ceil((n * T.BYTES_PER_ELEMENT) / 16) * 16;
          if (i < k) c.set(v.length === n ? v : v.subarray(0, n));
        }
        if (i < k) cols[i] = c;
        else outView = c;
      }
      return { args: cols, out: outView };
    };
    return this._loop(LOOP_MAP, name, 0, n, o.grain === undefined ? undefined : { grain: o.grain }, place, () => {
      if (outView !== out) out.set(outView.subarray(0, n));
      return out;
    }, bytes);
  }

  // Completion 'message': moves the run's root block to a block of its own
  // and puts in its place a notice root that runs it and then posts 'done'
  // (runtime.js, noticeRoot). Returns the new block, or 0 (no memory).
  _wrapNotice(r, fn) {
    const L = this._rt.L;
    const inner = this._ex.weft_wasm_alloc(BLOCK_SIZE, 16);
    if (!inner) return 0;
    const dv = this._rt.view(Math.max(inner + BLOCK_SIZE, r + L.runSize));
    new Uint8Array(dv.buffer).copyWithin(inner, r + L.block, r + L.block + BLOCK_SIZE);
    const b = r + L.block;
    dv.setUint32(inner, r, true);
    dv.setUint32(b, r, true);
    dv.setUint16(b + 4, NOTICE_ROOT, true);
    dv.setUint16(b + 6, 0, true);
    dv.setUint32(b + 8, fn, true);
    dv.setUint32(b + 16, inner, true);
    return inner;
  }

  // A promise for the 'done' message of run r (completion 'message').
  _notice(r) {
    return new Promise((resolve, reject) => this._notices.set(r, { resolve, reject }));
  }

  // A worker posted 'done' for run r.
  _runDone(r) {
    const n = this._notices.get(r);
    if (n) {
      this._notices.delete(r);
      n.resolve();
    }
  }

  // A worker failed (trapped, exited) while the pool was in use: the runs in
  // flight cannot end; reject them rather than wait forever.
  _hostFailed(err) {
    if (this._state !== 'ready' && this._pending === 0) return;
    if (this._pending > 0) this._broken = true;
    this._failReject(err);
    for (const n of this._notices.values()) n.reject(err);
    this._notices.clear();
  }

  async _submit(r, fn, read, cleanup) {
    this._pending++;
    hold();
    try {
      await this._job(r, fn);
      const err = this._runError(r);
      if (err) throw err;
      // Every block a read looks at was allocated by this thread, which
      // keeps its view reaching them (rt.view after each allocation).
      return read(this._rt.view(r + this._rt.L.runSize));
    } finally {
      // A failed worker leaves its run unfinished: its memory stays put.
      if (!this._broken) {
        this._ex.weft_wasm_run_free(r);
        if (cleanup) cleanup();
      }
      release();
      if (--this._pending === 0 && this._idle) this._idle();
    }
  }

  // Submits fn on run r's block and resolves once the job has ended (or
  // rejects: no memory, submit refused, a worker failed). The caller frees
  // r; the message completion's extra block is freed here. Not an async
  // function on the waitAsync path: one promise less per run.
  _job(r, fn) {
    const ex = this._ex;
    const L = this._rt.L;
    if (this._completion === 'message') return this._jobNotice(r, fn);
    const rc = ex.weft_wasm_submit(this._hp, r, fn);
    if (rc !== 0) return Promise.reject(new Error(`weft: submit failed: ${readCString(this._memory, ex.weft_wasm_strerror(rc))}`));
    return Promise.race([waitWhile(this._rt, (r + L.state) >> 2, 2), this._failed]);
  }

  async _jobNotice(r, fn) {
    const ex = this._ex;
    const L = this._rt.L;
    const inner = this._wrapNotice(r, fn);
    if (!inner) throw new Error('weft: out of memory');
    const rc = ex.weft_wasm_submit(this._hp, r, this._rt.jsTask);
    if (rc !== 0) {
      ex.weft_wasm_free(inner);
      throw new Error(`weft: submit failed: ${readCString(this._memory, ex.weft_wasm_strerror(rc))}`);
    }
    try {
      // Registered before anything can deliver the message.
      await Promise.race([this._notice(r), this._failed]);
      await pollWhile(this._memory, (r + L.state) >> 2, 2);
    } finally {
      if (!this._broken) ex.weft_wasm_free(inner);
    }
  }

  // The error of the first task of run r that failed, or null.
  _runError(r) {
    const L = this._rt.L;
    if (Atomics.load(this._rt.int32(r + L.runSize), (r + L.error) >> 2) === 0) return null;
    const dv = new DataView(this._memory.buffer);
    const p = dv.getUint32(r + L.errPtr, true);
    const info = p ? JSON.parse(readUtf8(this._memory, p, dv.getUint32(r + L.errLen, true)))
      : { name: 'Error', message: 'a task failed (no memory for its error)', task: '?' };
    return makeError(info);
  }

  // Allocates a typed array of n elements in the pool's memory (zeroed).
  // Pass it to tasks; free it with pool.free(view).
  alloc(Type, n) {
    this._alive();
    if (typeof Type !== 'function' || !Type.BYTES_PER_ELEMENT)
      throw new TypeError('weft: alloc(Type, n): Type must be a typed array constructor');
    checkInt('alloc length', n, 0, 0x3fffffff);
    const bytes = n * Type.BYTES_PER_ELEMENT;
    const p = this._ex.weft_wasm_alloc(bytes, Math.max(16, Type.BYTES_PER_ELEMENT));
    if (!p) throw new RangeError(`weft: cannot allocate ${bytes} bytes in the pool's memory`);
    const v = new Type(this._rt.buffer(), p, n);
    v.fill(0);
    return v;
  }

  free(view) {
    if (!ArrayBuffer.isView(view) || !this._rt.isPoolBuffer(view.buffer))
      throw new TypeError('weft: free(view): not a view allocated by this pool');
    if (this._state === 'destroyed') return;
    this._ex.weft_wasm_free(view.byteOffset);
  }

  // Timeline traces (docs/TRACES.md): the same Chrome Trace Event JSON as
  // weft_trace_write, tasks named by the task module's export names (and C
  // tasks by theirs). traceStart({ level: 'coarse' | 'fine', events }) and
  // traceStop() bracket a recording; trace() returns the JSON text of the
  // last one; trace(async () => {...}, options) records around the
  // function and resolves to the JSON text.
  traceStart(options = {}) {
    this._alive();
    const { level = 'coarse', events = 0 } = options || {};
    const lv = { coarse: 1, fine: 2 }[level];
    if (!lv) throw new TypeError(`weft: traceStart: level must be 'coarse' or 'fine', got ${describe(level)}`);
    checkInt('events', events, 0, 1 << 26);
    const ex = this._ex;
    if (!this._traceNamed) {
      const enc = new TextEncoder();
      for (const [name, t] of this._rt.tasks) {
        const b = enc.encode(name + '\0');
        const p = ex.weft_wasm_alloc(b.length, 1);
        if (!p) throw new Error('weft: out of memory');
        new Uint8Array(this._rt.buffer(), p, b.length).set(b);
        ex.weft_wasm_trace_name(this._hp, t.js ? t.id : t.fn, t.js ? 1 : 0, p);
        ex.weft_wasm_free(p);
      }
      this._traceNamed = true;
    }
    const rc = ex.weft_wasm_trace_start(this._hp, lv, events);
    if (rc !== 0) throw new Error(`weft: traceStart: ${readCString(this._memory, ex.weft_wasm_strerror(rc))}`);
  }

  traceStop() {
    this._alive();
    this._ex.weft_wasm_trace_stop(this._hp);
  }

  trace(fn, options) {
    if (typeof fn === 'function') {
      this.traceStart(options);
      const stop = () => this.traceStop();
      return Promise.resolve().then(fn).then(
        () => { stop(); return this.trace(); },
        (e) => { stop(); throw e; });
    }
    this._alive();
    const ex = this._ex;
    const out = ex.weft_wasm_alloc(8, 4);
    if (!out) throw new Error('weft: out of memory');
    const p = ex.weft_wasm_trace_write(this._hp, out, out + 4);
    const dv = new DataView(this._memory.buffer);
    const len = dv.getUint32(out, true), rc = dv.getInt32(out + 4, true);
    ex.weft_wasm_free(out);
    if (!p) throw new Error(`weft: trace: ${rc === -1 ? 'no trace was recorded (traceStart first)' : readCString(this._memory, ex.weft_wasm_strerror(rc))}`);
    const text = readUtf8(this._memory, p, len);
    ex.weft_wasm_free(p);
    return text;
  }

  // Counters summed over the workers (index < 0) or of one worker.
  stats(index = -1) {
    this._alive();
    const names = ['spawns', 'tasksRun', 'steals', 'stealFailures', 'stolenFrom', 'leapfrogs',
      'sleeps', 'overflows', 'roots'];
    const out = this._ex.weft_wasm_alloc(this._rt.L.statsSize, 8);
    const rc = this._ex.weft_wasm_pool_stats(this._hp, index, out);
    const dv = new DataView(this._memory.buffer);
    const s = {};
    names.forEach((k, i) => (s[k] = Number(dv.getBigUint64(out + 8 * i, true))));
    this._ex.weft_wasm_free(out);
    if (rc !== 0) throw new RangeError(`weft: stats(${index}): ${readCString(this._memory, this._ex.weft_wasm_strerror(rc))}`);
    return s;
  }

  // Waits for the runs in flight, stops the workers, ends the threads.
  async destroy() {
    if (this._state === 'destroyed' || this._state === 'destroying') return this._destroying;
    this._state = 'destroying';
    if (this._gate) this._openGate(this._gate); // launched tasks behind this turn's gate (src/tasks.js)
    this._destroying = (async () => {
      hold();
      try {
        if (this._pending > 0) await new Promise((r) => (this._idle = r));
        await this._shutdown();
      } finally {
        this._state = 'destroyed';
        if (this._gone) this._gone(); // launched tasks' waits settle (src/tasks.js)
        release();
      }
    })();
    return this._destroying;
  }

  // Destroys the weft pool on the control thread (it waits for the workers
  // to leave), then ends every JavaScript worker.
  async _shutdown() {
    const hosts = this._hosts;
    if (this.fallback) {
      if (this._hp) this._ex.weft_wasm_pool_destroy(this._hp); // no job in flight: no wait
      this._hp = 0;
      return;
    }
    if (this._hp) {
      const ctl = hosts[hosts.length - 1];
      const left = hosts.slice(0, this._n).map((h) => (h.entered ? h.expect('left') : null));
      const done = ctl.expect('destroyed');
      ctl.post({ type: 'destroy', pool: this._hp });
      this._hp = 0;
      await withTimeout(Promise.all([done, ...left]), 10000).catch(() => {});
    }
    await Promise.all(hosts.map((h) => h.terminate()));
  }
}

installLaunch(Pool, { hold, release }); // pool.launch, pool.event, pool.pipe (src/tasks.js)

// Creates a pool: options.workers (default: one per core), options.tasks
// (URL or path of an ES module whose exported functions become JavaScript
// tasks), options.wasm (URL of weft.wasm), options.stackSize (bytes of wasm
// stack per worker, default 256 KiB), options.dequeFrames (16384),
// options.scratchSize (1 MiB), options.spinRounds (512).
// Resolves once every worker runs; rejects with the reason if one fails.
export async function createPool(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('weft: options must be an object');
  checkInt('workers', options.workers, 1, 1024);
  checkInt('stackSize', options.stackSize, 65536, 1 << 28);
  checkInt('dequeFrames', options.dequeFrames, 16, 1 << 22);
  checkInt('scratchSize', options.scratchSize, 0, 1 << 28);
  checkInt('spinRounds', options.spinRounds, 0, 1 << 24);
  const completion = options.completion ?? 'auto';
  if (!['auto', 'waitAsync', 'message'].includes(completion))
    throw new TypeError(`weft: options.completion must be 'auto', 'waitAsync' or 'message', got ${String(completion)}`);
  if (completion === 'waitAsync' && !hasWaitAsync())
    throw new TypeError("weft: options.completion 'waitAsync': Atomics.waitAsync does not exist here");
  const problem = await isolationProblem();
  if (problem && options.fallback === false) throw new Error(problem);
  if (problem || options.singleThread) return createSolo(options, problem);

  const cores = await coreCount();
  const n = options.workers || cores;
  const tasksUrl = await toModuleUrl(options.tasks);
  const module = await compileModule(options.wasm || WASM_URL);
  const memory = new WebAssembly.Memory({ initial: MEMORY_INITIAL_PAGES, maximum: MEMORY_MAXIMUM_PAGES, shared: true });

  const pool = Object.create(Pool.prototype);
  Object.assign(pool, { _n: n, _memory: memory, _state: 'starting', _pending: 0, _idle: null, _hosts: [], _hp: 0,
    fallback: false, fallbackReason: null, _notices: new Map(), _broken: false, _loops: [], _loopBytes: 0,
    _completion: completion === 'auto' ? (hasWaitAsync() ? 'waitAsync' : 'message') : completion });
  pool._failed = new Promise((_, reject) => (pool._failReject = reject));
  pool._failed.catch(() => {});
  const rt = new TaskRuntime(memory);
  pool._rt = rt;
  const inst = await WebAssembly.instantiate(module, {
    env: { memory },
    weft: {
      now_ms: nowMs,
      core_count: () => cores,
      js_call: () => {
        throw new Error('weft: a task ran on the main thread');
      },
      js_chunk: () => {
        throw new Error('weft: a task ran on the main thread');
      },
      js_launch: () => {
        throw new Error('weft: a task ran on the main thread');
      },
    },
  });
  const ex = inst.exports;
  pool._ex = ex;
  // The main thread keeps the module's default stack (it is the first
  // instance on this memory); it gets its own TLS and never waits.
  ex.__wasm_init_tls(ex.weft_wasm_alloc(Math.max(1, ex.__tls_size.value), Math.max(16, ex.__tls_align.value)));
  ex.weft_wasm_set_no_wait(1);
  rt.attach(ex);
  pool._batchTask = ex.weft_wasm_batch_task();
  pool._loopTask = ex.weft_wasm_loop_task();
  pool._loopsTask = ex.weft_wasm_loops_task();

  // The weft pool first. HOST mode starts and waits for nothing, and with
  // host stacks (WEFT__HOST_STACKS, src/internal.h) each worker's stack is
  // kept in its slice of the pool's region, so the n JavaScript workers
  // start on the stacks weft carved for them. The extra control thread (destroy runs there: it waits) is no
  // weft worker; its small stack comes from the heap.
  const stackSize = options.stackSize || 256 * 1024;
  const tlsRoom = ex.__tls_size.value + ex.__tls_align.value + 16;
  const scratch = ex.weft_wasm_alloc(8, 4); // [rc, stack size]
  if (!scratch) throw new Error('weft: out of memory');
  const hp = ex.weft_wasm_pool_create(THREADS_HOST, 1, n, stackSize, options.dequeFrames || 16384,
    options.scratchSize ?? 1 << 20, options.spinRounds ?? 512, scratch);
  if (!hp) {
    const rc = new Int32Array(memory.buffer)[scratch >> 2];
    ex.weft_wasm_free(scratch);
    throw new Error(`weft: pool creation failed: ${readCString(memory, ex.weft_wasm_strerror(rc))}`);
  }
  pool._hp = hp;
  const readyP = [];
  try {
    for (let i = 0; i <= n; i++) {
      const h = await HostWorker.start(WORKER_URL, i);
      h.onDone = (r) => pool._runDone(r);
      h.onFail = (e) => pool._hostFailed(e);
      pool._hosts.push(h);
      let block, stack;
      if (i < n) {
        // [base, base + size) in worker i's slice: the stack below, its
        // TLS block on top.
        block = ex.weft_wasm_worker_stack(hp, i, scratch + 4);
        const size = new Uint32Array(memory.buffer)[(scratch + 4) >> 2];
        stack = Math.floor((size - tlsRoom) / 16) * 16;
        if (!block || stack < 16384) throw new Error(`weft: no stack in worker ${i}'s slice`);
      } else {
        stack = CONTROL_STACK;
        block = ex.weft_wasm_alloc(stack + tlsRoom, 16);
        if (!block) throw new Error('weft: out of memory for the control thread\'s stack');
      }
      const p = h.expect('ready');
      p.catch(() => {});
      readyP.push(p);
      h.post({ type: 'init', module, memory, block, stackSize: stack, tasksUrl, cores });
    }
    const ready = await Promise.all(readyP);
    rt.setTasks(Object.fromEntries(ready[0].names.map((k) => [k, () => {}])));

    const entered = [];
    for (let i = 0; i < n; i++) {
      const h = pool._hosts[i];
      entered.push(h.expect('entered'));
      h.post({ type: 'enter', pool: hp, index: i });
      h.entered = true;
    }
    await Promise.all(entered);
    for (const h of pool._hosts) h.unref();
  } catch (e) {
    pool._state = 'destroying';
    if (!pool._hosts.some((h) => h.entered)) {
      // No worker entered, so nothing runs in the pool. Stop the JavaScript
      // workers first (one may still be starting on its stack in the pool's
      // region), then destroy the pool here: with no worker and no job it
      // waits for nothing.
      await Promise.all(pool._hosts.map((h) => h.terminate())).catch(() => {});
      ex.weft_wasm_pool_destroy(pool._hp);
      pool._hp = 0;
    } else {
      await withTimeout(pool._shutdown(), 10000).catch(() => {});
    }
    pool._state = 'destroyed';
    throw e;
  } finally {
    ex.weft_wasm_free(scratch);
  }
  pool._state = 'ready';
  return pool;
}

// The single-thread fallback: no workers, no cross-thread memory. The pool
// runs in WEFT_THREADS_CALLER mode on this thread: a run executes to the
// end inside run() (the page is busy meanwhile), with the same results.
async function createSolo(options, reason) {
  const cores = 1;
  const tasksUrl = await toModuleUrl(options.tasks);
  const module = await compileModule(options.wasm || WASM_URL);
  // Shared, because the module imports a shared memory; it never leaves
  // this thread.
  const memory = new WebAssembly.Memory({ initial: MEMORY_INITIAL_PAGES, maximum: MEMORY_MAXIMUM_PAGES, shared: true });
  const pool = Object.create(Pool.prototype);
  Object.assign(pool, { _n: 1, _memory: memory, _state: 'starting', _pending: 0, _idle: null, _hosts: [], _hp: 0,
    fallback: true, fallbackReason: reason || 'single thread requested', _completion: 'sync',
    _notices: new Map(), _broken: false, _loops: [], _loopBytes: 0, _failed: new Promise(() => {}) });
  const rt = new TaskRuntime(memory);
  pool._rt = rt;
  const inst = await WebAssembly.instantiate(module, {
    env: { memory },
    weft: { now_ms: nowMs, core_count: () => cores, js_call: (w, b) => rt.jsCall(w, b),
      js_chunk: (w, l, lo, hi) => rt.jsChunk(w, l, lo, hi), js_launch: (w, b) => rt.jsLaunch(w, b) },
  });
  const ex = inst.exports;
  pool._ex = ex;
  ex.__wasm_init_tls(ex.weft_wasm_alloc(Math.max(1, ex.__tls_size.value), Math.max(16, ex.__tls_align.value)));
  ex.weft_wasm_set_no_wait(1);
  rt.attach(ex);
  if (tasksUrl) rt.setTasks(await import(tasksUrl));
  pool._batchTask = ex.weft_wasm_batch_task();
  pool._loopTask = ex.weft_wasm_loop_task();
  pool._loopsTask = ex.weft_wasm_loops_task();
  const rcp = ex.weft_wasm_alloc(4, 4);
  const hp = ex.weft_wasm_pool_create(THREADS_CALLER, 0, 1, options.stackSize || 1 << 20,
    options.dequeFrames || 16384, options.scratchSize ?? 1 << 20, 0, rcp);
  const rc = new Int32Array(memory.buffer)[rcp >> 2];
  ex.weft_wasm_free(rcp);
  if (!hp) throw new Error(`weft: pool creation failed: ${readCString(memory, ex.weft_wasm_strerror(rc))}`);
  pool._hp = hp;
  pool._state = 'ready';
  return pool;
}
