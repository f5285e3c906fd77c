// The JavaScript side of one wasm instance that runs tasks: it resolves task
// names, implements the `js_call` import through which weft's trampoline
// (src/wasm/host.c, js_task) calls a JavaScript task, and gives tasks their
// context (spawn, sync, memory views). Used by every worker, and by the main
// thread in the single-thread fallback.

import {
  BLOCK_SIZE, MAX_ARGS, NOTICE_ROOT, VIEW_TYPES, LOOP_SIZE, LOOP_FOR, LOOP_REDUCE, LOOP_MAP, COMBINES, COMBINE_TASK,
  checkArgs, checkRange, errorJson, viewTag, readArgs, readCString, writeBlock,
} from './common.js';
import { TaskGraph } from './graph.js';
import { installContext, jsLaunch } from './tasks.js';

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
    this._loopSerial = 0; // the loop whose call list _loopCall holds (jsChunk)
    this._loopCall = null;
    this._loopMapper = null;
    this._mappers = new Map(); // task id * 8 + columns -> its map loop (mapper)
    this._loopFixed = null; // the map loop's closure over its columns (fixedMapper), or null
    this._loopCount = null; // else its entry in _fixedSeen (it counts the items), or null
    this._fixedHot = new Map(); // map key hash -> entry with a closure over its columns (fixedMapper)
    this._fixedSeen = new Map(); // map key hash -> entry counting its items, oldest first
    this._fixedKey = new Int32Array(4 + 2 * MAX_ARGS); // scratch for fixedKey
    this._fixedClock = 0; // entries' `used`
    this._fixedCall = [null, 0, 0]; // the call list of a closure (jsChunk)
    this._fixedTokens = FIXED.tokens; // closures this instance may still make now (refilled over time)
    this._fixedAt = 0; // when _fixedTokens was last refilled (ms)
    this.fixedLimits = FIXED; // tests shrink these (loops.test.mjs)
  }

  // Called once the instance has its own stack and TLS.
  attach(ex) {
    this.ex = ex;
    this.staging = ex.weft_wasm_alloc(BLOCK_SIZE, 8);
    this.jsTask = ex.weft_wasm_js_task();
    const L = new Uint32Array(this.memory.buffer, ex.weft_wasm_layout(), 8);
    this.L = { state: L[0], cancel: L[1], error: L[2], errPtr: L[3], errLen: L[4], block: L[5],
      runSize: L[6], statsSize: L[7] };
    // C tasks: every export weft_task_NAME (WEFT_JS_TASK(NAME) of
    // include/weft_task.h) gives task NAME's weft_fn; and the test build's
    // tables of {const char *name, weft_fn fn} pairs, ended by {0, 0}
    // (csrc/tasks.c, csrc/graph_tasks.c).
    for (const k of Object.keys(ex)) {
      if (k.startsWith('weft_task_') && typeof ex[k] === 'function')
        this.tasks.set(k.slice(10), { fn: ex[k](), id: 0, js: false });
    }
    for (const list of [ex.weft_wasm_ctasks, ex.weft_wasm_graph_ctasks, ex.weft_wasm_launch_ctasks]) {
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

  // An Int32Array of the memory that reaches at least byte `end` (as view()).
  int32(end) {
    if (!this._i32 || this._i32.buffer !== this._buf || end > this._i32.byteLength) {
      this.view(end);
      this._i32 = new Int32Array(this._buf);
    }
    return this._i32;
  }

  isPoolBuffer(b) {
    if (b === this._buf || this.buffers.has(b)) return true;
    // A buffer of the memory made since _buf is longer (a shared memory
    // only grows): anything else is not the pool's, without reading
    // memory.buffer (slow on a shared memory; mapColumns asks per column).
    return (!this._buf || b.byteLength > this._buf.byteLength) && b === this.buffer();
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
  recordError(run, err, taskName, range) {
    const i32 = this.i32();
    Atomics.store(i32, (run + this.L.cancel) >> 2, 1);
    if (Atomics.compareExchange(i32, (run + this.L.error) >> 2, 0, 1) !== 0) return;
    const bytes = new TextEncoder().encode(errorJson(err, { task: taskName, range }));
    const p = this.ex.weft_wasm_alloc(bytes.length, 1);
    const dv = new DataView(this.buffer());
    if (p) {
      new Uint8Array(this.buffer()).set(bytes, p);
      dv.setUint32(run + this.L.errPtr, p, true);
      dv.setUint32(run + this.L.errLen, bytes.length, true);
    }
    Atomics.store(this.i32(), (run + this.L.error) >> 2, 2);
  }

  // Checks a loop's range, options and arguments, and builds it in memory
  // (src/wasm/host_loop.c): its block's run word is `run`, or the loop's own
  // run record if run is 0. Throws TypeError / RangeError. Returns
  // { loop: 0, value } for an empty range (nothing to run: value is a
  // reduction's identity), else { loop, run }. map: `args` is a function
  // (at, view) => ({ args, out }) called once the loop is allocated, with
  // `extra` bytes for it at `at`; it gives the columns and the results
  // column (views of the memory).
  newLoop(kind, name, begin, end, options, args, run, extra = 0) {
    const what = kind === LOOP_REDUCE ? 'reduce' : kind === LOOP_MAP ? 'map' : 'for';
    const t = this.resolve(name);
    checkRange(what, begin, end);
    if (options !== undefined && options !== null && typeof options !== 'object')
      throw new TypeError(`weft: ${what}(name, begin, end, options, ...args): options must be an object or undefined, got ${typeof options}`);
    const o = options || {};
    const grain = o.grain ?? 0;
    if (typeof grain !== 'number' || !Number.isInteger(grain) || grain < 0 || grain > 0xffffffff)
      throw new TypeError(`weft: ${what}: options.grain must be an integer in 0..2^32-1 (0: adaptive), got ${String(grain)}`);
    if (kind !== LOOP_MAP) {
      checkArgs(name, args, this.isPoolBufferFn);
      if (!t.js && args.length > 3)
        throw new TypeError(`weft: ${what}: C task '${name}' gets (lo, hi) and at most 3 arguments, got ${args.length}`);
    }
    let comb = 0, combFn = 0, combId = 0, identity = 0;
    if (kind === LOOP_REDUCE) {
      const c = o.combine ?? 'sum';
      if (typeof c !== 'string') throw new TypeError(`weft: reduce: options.combine must be 'sum', 'min', 'max' or a task name, got ${typeof c}`);
      if (c in COMBINES) {
        comb = COMBINES[c];
        identity = c === 'min' ? Infinity : c === 'max' ? -Infinity : 0;
      } else {
        const ct = this.resolve(c);
        comb = COMBINE_TASK;
        combFn = ct.fn;
        combId = ct.id;
      }
      if (o.identity !== undefined) {
        if (typeof o.identity !== 'number') throw new TypeError('weft: reduce: options.identity must be a number');
        identity = o.identity;
      }
    }
    if (begin === end) return { loop: 0, value: identity };
    const loop = this.ex.weft_wasm_loop_new(kind, t.fn, t.js ? 1 : 0, begin, end, grain, 0, comb, combFn, combId,
      0, 0, extra);
    if (!loop) throw new Error('weft: out of memory');
    const dv = this.view(loop + LOOP_SIZE + extra);
    if (!run) run = dv.getUint32(loop, true);
    if (kind === LOOP_MAP) {
      const m = args(loop + LOOP_SIZE, dv);
      args = m.args;
      dv.setUint32(loop + 56, m.out.byteOffset, true); // out_ptr
      dv.setUint32(loop + 60, viewTag(m.out), true);   // out_tag
    }
    writeBlock(this.memory, loop, run, t.id, args, dv);
    return { loop, run };
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

// The js_chunk import: runs items [lo, hi) of the loop at `loop`
// (src/wasm/host_loop.c) on worker `w`: for and reduce call the task once,
// (ctx, lo, hi, ...args); map calls it per item with one number per column
// and stores the results. Returns the chunk's number (reduce) or 0. The
// loop's arguments are decoded once per loop and worker, not per chunk.
TaskRuntime.prototype.jsChunk = function jsChunk(w, loop, lo, hi) {
  const dv = this.view(loop + LOOP_SIZE);
  const run = dv.getUint32(loop, true);
  const id = dv.getUint16(loop + 4, true);
  const kind = dv.getUint32(loop + 48, true);
  const serial = dv.getUint32(loop + 52, true);
  if (serial !== this._loopSerial) {
    const args = readArgs(this.memory, loop, this._buf, dv);
    if (kind === LOOP_MAP) {
      const T = VIEW_TYPES[dv.getUint32(loop + 60, true)], at = dv.getUint32(loop + 56, true);
      const n = dv.getUint32(loop + 76, true);
      const out = new T(this.view(at + n * T.BYTES_PER_ELEMENT).buffer, at, n);
      this._loopCall = [this.jsFns[id], null, out, 0, 0, ...args];
      this._loopMapper = this.mapper(id, args.length);
      this._loopFixed = null;
      this._loopCount = null;
      if (n >= this.fixedLimits.minItems && !evalRefused) this.fixedMapper(id, loop, dv, n, out, args);
    } else {
      this._loopCall = [null, 0, 0, ...args];
    }
    this._loopSerial = serial;
  }
  const call = this._loopCall;
  const fn = this.jsFns[id];
  const ctx = new TaskContext(this, w, run);
  let result = 0;
  try {
    // Through apply, with the argument list kept per loop: a call that
    // TurboFan does not inline here. Inlined into this function, the task's
    // loop ran inside the try block, which V8 (Node 20) compiled 1.5-2x
    // slower (docs/JS.md, "Loops over 10^7 doubles").
    if (kind !== LOOP_MAP) {
      call[0] = ctx;
      call[1] = lo;
      call[2] = hi;
      result = fn.apply(undefined, call);
      if (result && typeof result.then === 'function')
        throw new TypeError(`weft: task '${this.jsNames[id]}' returned a promise; tasks must be synchronous`);
      result = kind === LOOP_REDUCE ? toNumber(result) : 0;
    } else if (this._loopFixed) {
      // At most FIXED.step items per call (see fixedMapper: a closure
      // called over long ranges could stay in on-stack-replaced code).
      const m = this._loopFixed, step = this.fixedLimits.step, fc = this._fixedCall;
      fc[0] = ctx;
      for (let a = lo; a < hi; a = fc[2]) {
        fc[1] = a;
        fc[2] = hi - a > step ? a + step : hi;
        m.apply(undefined, fc);
      }
    } else {
      call[1] = ctx;
      call[3] = lo;
      call[4] = hi;
      if (this._loopCount) this._loopCount.items += hi - lo;
      this._loopMapper.apply(undefined, call);
    }
  } catch (e) {
    this.recordError(run, e, this.jsNames[id], [lo, hi]);
    result = 0;
  }
  while (ctx._pending > 0) {
    try {
      ctx.sync();
    } catch (e) {
      this.recordError(run, e, this.jsNames[id], [lo, hi]);
      break;
    }
  }
  return result;
};

// A task's result as the number weft stores.
function toNumber(r) {
  return typeof r === 'number' ? r : typeof r === 'bigint' ? Number(r) : typeof r === 'boolean' ? +r : 0;
}

// map over columns: the loop of a chunk, out[i] = fn(ctx, c0[i], c1[i], ...)
// for i in [lo, hi), called (fn, ctx, out, lo, hi, c0, c1, ...).
//
// Each task gets loops of its own (TaskRuntime.mapper): V8 inlines fn into
// the loop only while the call site has seen a single function; a loop
// shared by two map tasks calls them without inlining, and the result of
// each call (a double) is then boxed: 6.5 instead of 1.3 ns per item here
// (docs/JS.md). Functions made by one literal share their call feedback, so
// a loop of its own needs code of its own: new Function. Where that is
// refused (a page whose Content-Security-Policy forbids eval), every task
// shares mapLoop.
//
// The loop is unrolled 4 times: V8 (Node 20) checks each typed array's map
// and reloads its length and data pointer at every iteration of a loop over
// arrays that are not constants, and shares those loads only within an
// iteration (1.7 -> 0.8 ns per item for a + b over two columns here). Each
// item is still stored before the next is computed.
function mapSource(cols) {
  const cs = Array.from({ length: cols }, (_, k) => `c${k}`);
  const item = (at) => `r = fn(ctx, ${cs.map((c) => `${c}[${at}]`).join(', ')});
      out[${at}] = typeof r === 'number' ? r : check(r);`;
  return `return function weftMap${cols}(fn, ctx, out, lo, hi, ${cs.join(', ')}) {
    let i = lo, r;
    for (const e = hi - 3; i < e; i += 4) {
      ${[0, 1, 2, 3].map((k) => item(k ? `i + ${k}` : 'i')).join('\n      ')}
    }
    for (; i < hi; i++) {
      ${item('i')}
    }
  };`;
}

function mapLoop(fn, ctx, out, lo, hi, ...cols) {
  const xs = new Array(cols.length);
  for (let i = lo; i < hi; i++) {
    for (let k = 0; k < cols.length; k++) xs[k] = cols[k][i];
    const r = fn(ctx, ...xs);
    out[i] = typeof r === 'number' ? r : checkItem(r);
  }
}

let evalRefused = false;

// The loop of task `id` over `cols` columns (mapSource), made once per task
// and column count in each instance.
TaskRuntime.prototype.mapper = function mapper(id, cols) {
  const key = id * 8 + cols;
  let m = this._mappers.get(key);
  if (m) return m;
  m = mapLoop;
  if (!evalRefused) {
    try {
      m = new Function('check', mapSource(cols))(checkItem); // eslint-disable-line no-new-func
    } catch {
      evalRefused = true; // m is still mapLoop
    }
  }
  this._mappers.set(key, m);
  return m;
};

// A map loop of its own per task and set of columns (issue 11, docs/JS.md
// "Map loops over fixed columns"). The task's loop above gets its columns
// as arguments, and V8 (Node 20) then checks each typed array's map and
// reloads its length and data pointer at every iteration (0.75 ns per item
// for a + b in a worker). A closure made once over the views themselves, as
// const bindings, and the only closure of its function literal, is
// compiled with its context as a constant (TurboFan's function context
// specialization): the views, their lengths and data pointers become
// constants, one bounds check serves every column of the same length, and
// the task (a constant too) is inlined: 0.45 ns per item, the code of a
// message pool worker's loop made once over fixed shared columns. (With
// the results through a view of the whole memory at the batch's offset,
// so that batches into different results could share a closure: 0.59.)
//
// It only pays when the same columns come back (pool.alloc'ed arrays mapped
// again and again), and making one costs ~1-2 ms on its worker (new code,
// run unoptimized for its first ~10,000 items, then compiled), so:
//  * a key (task; the columns' and the results' types, offsets and
//    lengths) gets its closure once `hotItems` of its items have run
//    through the task's loop on this instance (loops of fewer than
//    `minItems` items never do);
//  * at most `max` closures are kept (least recently used dropped), at most
//    `keys` keys counted;
//  * closures are made from a token bucket (`tokens`, one back every
//    `refillMs`): columns that change faster than that cost at most one
//    closure per refillMs.
// Each closure is called over at most `step` items at a time: called over
// 10,000 items at once, a new closure was compiled on-stack-replaced inside
// its loop and then, in about half of the trials, ran on in that code (no
// context specialization: 1.8 ns per item) instead of being compiled as a
// function; called in steps, it was compiled as a function within its
// first ~10,000 items every time. Where eval is refused, none of this (the
// shared mapLoop).
const FIXED = Object.freeze({ minItems: 1024, hotItems: 16384, max: 64, keys: 256, tokens: 64, refillMs: 100, step: 1024 });
let fixedSerial = 0;

// The loop's key into the Int32Array `f` (task id and argument tags, the
// results' type and offset, n, the columns' offsets and lengths); returns
// its length. (A string key cost ~300 ns per loop, as much as 400 items of
// the loop itself; this and the look-up ~80.)
function fixedKey(id, loop, dv, cols, n, f) {
  f[0] = id | (dv.getUint16(loop + 6, true) << 16);
  f[1] = dv.getUint32(loop + 60, true);
  f[2] = dv.getUint32(loop + 56, true);
  f[3] = n;
  for (let k = 0; k < cols; k++) {
    f[4 + 2 * k] = dv.getUint32(loop + 8 + 8 * k, true);
    f[5 + 2 * k] = dv.getUint32(loop + 12 + 8 * k, true);
  }
  return 4 + 2 * cols;
}

// A hash of f[0, len) that stays a small integer (a fast Map key).
function keyHash(f, len) {
  let h = 0x811c9dc5 ^ len;
  for (let k = 0; k < len; k++) h = Math.imul(h ^ f[k], 0x01000193) ^ (h >>> 15);
  return h & 0x3fffffff;
}

function sameKey(a, f, len) {
  if (a.length !== len) return false;
  for (let k = 0; k < len; k++) if (a[k] !== f[k]) return false;
  return true;
}

// The source of a closure over fixed columns: (ctx, lo, hi), out[i] =
// fn(ctx, c0[i], ...). The serial in a comment keeps V8's cache of compiled
// sources from handing back a function made before (whose literal would
// then have two closures: no specialization).
function fixedSource(cols) {
  const cs = Array.from({ length: cols }, (_, k) => `c${k}`);
  return `// weft map loop ${++fixedSerial}
  const fn = v[0], check = v[1], out = v[2]${cs.map((c, k) => `, ${c} = v[${k + 3}]`).join('')};
  return function weftFixed(ctx, lo, hi) {
    for (let i = lo; i < hi; i++) {
      const r = fn(ctx, ${cs.map((c) => `${c}[i]`).join(', ')});
      out[i] = typeof r === 'number' ? r : check(r);
    }
  };`;
}

// Sets _loopFixed to the closure for this map loop if it has one (or gets
// one now), else _loopCount to its entry (whose items the chunks count).
// Entries { f: the key, items, m: the closure, used }: _fixedHot holds
// those with a closure (at most `max`; the least recently used goes),
// _fixedSeen the others (at most `keys`, the oldest goes), by keyHash.
TaskRuntime.prototype.fixedMapper = function fixedMapper(id, loop, dv, n, out, args) {
  const lim = this.fixedLimits, f = this._fixedKey;
  const len = fixedKey(id, loop, dv, args.length, n, f);
  const h = keyHash(f, len);
  let e = this._fixedHot.get(h);
  if (e && sameKey(e.f, f, len)) {
    e.used = ++this._fixedClock;
    this._loopFixed = e.m;
    return;
  }
  const seen = this._fixedSeen;
  e = seen.get(h);
  if (!e || !sameKey(e.f, f, len)) {
    if (e) seen.delete(h); // another key with the same hash: this one takes its place
    else if (seen.size >= lim.keys) seen.delete(seen.keys().next().value);
    e = { f: f.slice(0, len), items: 0, m: null, used: 0 };
    seen.set(h, e);
  }
  if (e.items < lim.hotItems || !this.fixedToken()) {
    this._loopCount = e;
    return;
  }
  try {
    e.m = new Function('v', fixedSource(args.length))([this.jsFns[id], checkItem, out, ...args]); // eslint-disable-line no-new-func
  } catch {
    evalRefused = true;
    return;
  }
  seen.delete(h);
  const hot = this._fixedHot;
  // Full: the least recently used closure goes (one for another key with
  // this hash is replaced by the set below).
  if (hot.size >= lim.max && !hot.has(h)) {
    let oh, least = Infinity;
    for (const [k, o] of hot) if (o.used < least) { least = o.used; oh = k; }
    hot.delete(oh);
  }
  e.used = ++this._fixedClock;
  hot.set(h, e);
  this._loopFixed = e.m;
};

// Takes a token to make a closure; false if none is left.
TaskRuntime.prototype.fixedToken = function fixedToken() {
  const lim = this.fixedLimits, now = performance.now();
  if (this._fixedTokens < lim.tokens) {
    const back = Math.floor((now - this._fixedAt) / lim.refillMs);
    if (back > 0) {
      this._fixedTokens = Math.min(lim.tokens, this._fixedTokens + back);
      this._fixedAt = now;
    }
  } else {
    this._fixedAt = now;
  }
  if (this._fixedTokens < 1) return false;
  this._fixedTokens--;
  return true;
};

function checkItem(r) {
  if (r && typeof r.then === 'function') throw new TypeError('weft: a map task returned a promise; tasks must be synchronous');
  return toNumber(r);
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
    return this._run !== 0 && Atomics.load(this._rt.i32(), (this._run + this._rt.L.cancel) >> 2) !== 0;
  }

  // Spawns task `name` (C or JavaScript) with up to 5 arguments: numbers or
  // typed array views of the pool's memory. Join it with sync(), in LIFO order.
  spawn(name, ...args) {
    const rt = this._rt;
    const t = rt.resolve(name);
    checkArgs(name, args, rt.isPoolBufferFn);
    writeBlock(rt.memory, rt.staging, this._run || this._ensureRun(), t.id, args, rt.view(rt.staging + BLOCK_SIZE));
    const rc = rt.ex.weft_wasm_spawn(this._w, t.fn, rt.staging);
    if (rc !== 0) throw new Error(`weft: spawn of '${name}' failed (${rc})`);
    this._pending++;
  }

  // Runs task `name` once per chunk of [begin, end), as (ctx, lo, hi,
  // ...args), on this and the other workers, and returns when every chunk
  // ran. options.grain: the largest chunk (default: adaptive). Throws if a
  // chunk threw (the run's error is that chunk's) or the run was cancelled.
  for(name, begin, end, options, ...args) {
    this._loop(LOOP_FOR, name, begin, end, options, args);
  }

  // As for(), each chunk returning a number; returns them combined
  // (options.combine: 'sum' (default), 'min', 'max' or a task (ctx, a, b))
  // in an order that depends only on the range and options.grain.
  reduce(name, begin, end, options, ...args) {
    return this._loop(LOOP_REDUCE, name, begin, end, options, args);
  }

  _loop(kind, name, begin, end, options, args) {
    const rt = this._rt;
    const { loop, value } = rt.newLoop(kind, name, begin, end, options, args, this._run || this._ensureRun());
    if (!loop) return value;
    const v = rt.ex.weft_wasm_loop_run(this._w, loop);
    rt.ex.weft_wasm_loop_free(loop);
    if (this.cancelled)
      throw new Error(`weft: ${kind === LOOP_REDUCE ? 'reduce' : 'for'} of '${name}' over [${begin}, ${end}) did not complete: a task of this run failed`);
    return v;
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

  // A launched task has no run record until it spawns or loops: then it
  // gets one of its own (its children's errors become the task's).
  _ensureRun() {
    const r = this._rt.ex.weft_wasm_run_new();
    if (!r) throw new Error('weft: out of memory');
    this._run = r;
    this._ownRun = true;
    return r;
  }

  // Views of the pool's memory at a byte offset.
  f64(ptr, n) { return new Float64Array(this._rt.buffer(), ptr, n); }
  f32(ptr, n) { return new Float32Array(this._rt.buffer(), ptr, n); }
  i32(ptr, n) { return new Int32Array(this._rt.buffer(), ptr, n); }
  u32(ptr, n) { return new Uint32Array(this._rt.buffer(), ptr, n); }
  u8(ptr, n) { return new Uint8Array(this._rt.buffer(), ptr, n); }
}

installContext(TaskContext);

// The js_launch import: a launched JavaScript task (src/tasks.js).
TaskRuntime.prototype.jsLaunch = function (w, block) {
  return jsLaunch(this, TaskContext, w, block);
};

// The name of the C task whose weft_fn is table index fn.
TaskRuntime.prototype.cName = function (fn) {
  for (const [k, v] of this.tasks) if (!v.js && v.fn === fn) return k;
  return `C function #${fn}`;
};
