// Launched tasks from JavaScript: C or JavaScript tasks that run once a list
// of prerequisite handles has completed, events that the main thread (or a
// task) triggers, and pipes; the weft core's src/task.c through
// src/wasm/host_task.c.
//
//   const cfg = pool.event('config');                 // completed by hand
//   const a = pool.launch('load', view, 0, { after: [cfg] });
//   const b = pool.launch('step', view, 1, { after: [a], pipe });
//   fetch(url).then(() => cfg.trigger(), () => cfg.fail(1));
//   const x = await b;                                // b's result (a number)
//   a.release(); b.release(); cfg.release();
//
// Inside a task, ctx.launch / ctx.event / ctx.pipe / ctx.wait do the same on
// the worker (waiting there never blocks it: it runs other tasks).
//
// The launch signature is the one of run() with an optional options object
// last: arguments are numbers and typed array views only, so a trailing
// plain object is never an argument.

import { BLOCK_SIZE, MAX_ARGS, VIEW_TYPES, checkArgs, errorJson, readUtf8, viewTag, writeBlock } from './common.js';

// weft.h codes
const OK = 0, EPENDING = -9, ESTALE = -10, EFAILED = -11, ECANCELED = -20;
const EALREADY = -12, EINVAL = -1;
const CODE_NAMES = { [-1]: 'EINVAL', [-2]: 'E2BIG', [-3]: 'ENOMEM', [-4]: 'EBADPOOL', [-9]: 'EPENDING',
  [-10]: 'ESTALE', [-11]: 'EFAILED', [-12]: 'EALREADY', [-20]: 'ECANCELED' };
// src/task.h: the state word's low byte
const T_DONE = 2, T_FAILED = 3, T_CANCELED = 4;
const LAUNCH_CHILD = 1;   // WEFT_LAUNCH_CHILD
const THREW = 1;          // the status of a JavaScript task that threw
const LABEL = 0x40000000; // a failure note's key: a hand cancel or failed event (host_task.c)
const GATE_EVERY = 256;   // main-thread launches behind one gate (Pool._gateNow)
const MAX_AFTER = 1 << 20;
const ERROR_TYPES = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

const STATES = { [OK]: 'done', [EPENDING]: 'pending', [EFAILED]: 'failed', [ECANCELED]: 'canceled' };

function codeError(rc, message) {
  const e = new Error(`weft: ${message}: ${CODE_NAMES[rc] || rc}`);
  e.code = CODE_NAMES[rc] || `E${rc}`;
  e.errno = rc;
  return e;
}

function hexId(lo, hi) {
  return `0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

// What one thread (its TaskRuntime) needs to launch: staging room for a
// block, the prerequisite handles and the new handle.
class Launcher {
  constructor(rt, hp) {
    this.rt = rt;
    this.hp = hp; // the pool (main thread), or 0: the calling worker's
    this.cap = 0;
    this.at = 0;
    this.lastName = null; // the last task name resolved, and its entry
    this.lastTask = null;
    this.lastView = null; // the last view argument checked, and its fields
    this.lastTag = 0;
    this.lastOffset = 0;
    this.lastLength = 0;
    this.grow(16);
  }

  grow(nafter) {
    const ex = this.rt.ex;
    if (this.at) ex.weft_wasm_free(this.at);
    this.cap = nafter;
    this.at = ex.weft_wasm_alloc(BLOCK_SIZE + 16 + 8 * nafter, 16);
    if (!this.at) throw new RangeError("weft: no memory in the pool's memory for a launch");
  }

  // Launches task `name` with the first `nargs` entries of `args`; the new
  // handle's halves go to this.lo, this.hi (or it throws).
  // side._own(h, name, k) checks that prerequisite k (-1: the pipe) belongs
  // to this thread's side and gives its handle. No array is made per launch
  // (the per-launch cost on the main thread is what a chain launched from
  // there pays).
  launch(name, args, nargs, o, side, child, gate = null) {
    const rt = this.rt;
    let t = this.lastTask;
    if (name !== this.lastName) {
      t = rt.resolve(name);
      this.lastName = name;
      this.lastTask = t;
    }
    if (nargs > MAX_ARGS) checkArgs(name, Array.prototype.slice.call(args, 0, nargs), rt.isPoolBufferFn);
    let after = o === null ? undefined : o.after;
    let n = 0, one = null;
    if (after === undefined || after === null) n = 0;
    else if (after instanceof TaskBase) {
      one = after;
      n = 1;
    } else if (Array.isArray(after)) n = after.length;
    else throw new TypeError(`weft: launch '${name}': options.after must be a handle or an array of handles, got ${typeof after}`);
    if (n > MAX_AFTER) throw new RangeError(`weft: launch '${name}': at most ${MAX_AFTER} prerequisites`);
    if (n + 1 > this.cap) this.grow(Math.max(n + 1, 2 * this.cap));
    const at = this.at, out = at + BLOCK_SIZE, list = out + 16;
    const dv = rt.view(list + 8 * n);
    for (let k = 0; k < n; k++) {
      const h = side._own(one === null ? after[k] : one, name, k);
      dv.setUint32(list + 8 * k, h._lo, true);
      dv.setUint32(list + 8 * k + 4, h._hi, true);
    }
    let pipe = 0;
    if (o !== null && o.pipe !== undefined && o.pipe !== null) pipe = side._own(o.pipe, name, -1);
    // The block (common.js writeBlock, without an array): numbers and views.
    // Slots past nargs are left as they are: the tags say they are unused.
    // The last view checked is remembered (a wavefront passes the same
    // grid to every cell): a typed array's buffer, offset and length never
    // change.
    let tags = 0;
    for (let i = 0; i < nargs; i++) {
      const off = at + 8 + 8 * i;
      const a = args[i];
      if (typeof a === 'number') {
        tags |= 1 << (3 * i);
        dv.setFloat64(off, a, true);
        continue;
      }
      if (a !== this.lastView) {
        const tag = ArrayBuffer.isView(a) ? viewTag(a) : 0;
        if (!tag || !rt.isPoolBuffer(a.buffer)) checkArgs(name, Array.prototype.slice.call(args, 0, nargs), rt.isPoolBufferFn);
        this.lastView = a;
        this.lastTag = tag;
        this.lastOffset = a.byteOffset;
        this.lastLength = a.length;
      }
      tags |= this.lastTag << (3 * i);
      dv.setUint32(off, this.lastOffset, true);
      dv.setUint32(off + 4, this.lastLength, true);
    }
    dv.setUint32(at, 0, true);
    dv.setUint16(at + 4, t.id, true);
    dv.setUint16(at + 6, tags, true);
    // The main thread's gate (Pool._gate) as one more prerequisite, when it
    // still fits the record's own four slots.
    let na = n;
    if (gate !== null && n + (pipe ? 1 : 0) < 4) {
      dv.setUint32(list + 8 * n, gate._lo, true);
      dv.setUint32(list + 8 * n + 4, gate._hi, true);
      na++;
    }
    const rc = rt.ex.weft_wasm_launch(this.hp, t.js ? 0 : t.fn, at, list, na, pipe, child ? LAUNCH_CHILD : 0, out);
    if (rc !== 0) {
      if (rc === ESTALE) throw codeError(rc, `launch '${name}': a prerequisite was released (or is of another pool)`);
      if (rc === EINVAL && child) throw codeError(rc, `launch '${name}': child: only from inside a launched task`);
      throw codeError(rc, `launch '${name}' failed`);
    }
    this.lo = dv.getUint32(out, true);
    this.hi = dv.getUint32(out + 4, true);
  }
}

// The number of arguments of launch(name, ...rest) and its options object
// (a trailing plain object: arguments are numbers and views, never that).
function splitOptions(rest) {
  const n = rest.length;
  const last = n ? rest[n - 1] : undefined;
  if (n && last !== null && typeof last === 'object' && !ArrayBuffer.isView(last) && !(last instanceof TaskBase)) {
    optionsOut = last;
    return n - 1;
  }
  optionsOut = null;
  return n;
}
let optionsOut = null;

function ownWhat(name, k) {
  return `launch '${name}': options.${k < 0 ? 'pipe' : `after[${k}]`}`;
}

// Rebuilds the error a failed task left (the JSON a throw noted), or says
// what its status was. `note` is [status, key, json|null].
function originText(rt, note, names) {
  const [status, key, json] = note;
  if (key === LABEL) {
    let label = '?';
    try { label = JSON.parse(json).label; } catch { /* kept */ }
    return { task: label, status, text: status === ECANCELED ? 'was canceled' : `failed with status ${status}` };
  }
  const task = key >= 0x80000000 ? rt.jsNames[key - 0x80000000] : names(key);
  if (json) {
    let info;
    try { info = JSON.parse(json); } catch { info = { name: 'Error', message: json }; }
    return { task, status, text: `threw ${info.name}: ${info.message}`, info };
  }
  return { task, status, text: `failed with status ${status}` };
}

// The failure of handle (lo, hi): an Error naming the task that failed first.
function failureError(rt, names, self, state, status, oLo, oHi) {
  const ex = rt.ex;
  const scratch = rt.launcher ? rt.launcher.at + BLOCK_SIZE : 0;
  let origin = null;
  if (scratch && (oLo || oHi) && ex.weft_wasm_task_note(oLo, oHi, scratch)) {
    const dv = rt.view(scratch + 16);
    const p = dv.getUint32(scratch + 8, true);
    const json = p ? readUtf8(rt.memory, p, dv.getUint32(scratch + 12, true)) : null;
    if (p) ex.weft_wasm_free(p);
    origin = originText(rt, [dv.getInt32(scratch, true), dv.getUint32(scratch + 4, true), json], names);
  }
  const isSelf = oLo === self._lo && oHi === self._hi;
  if (!origin) {
    const task = isSelf ? self.name : `task ${hexId(oLo, oHi)}`;
    const text = status === ECANCELED ? 'was canceled' : `failed with status ${status}`;
    origin = { task, status, text };
  }
  if (!origin.task) origin.task = `task ${hexId(oLo, oHi)}`;
  const who = `${self.kind} '${self.name}'`;
  let e;
  if (state === T_FAILED && isSelf && origin.info) {
    const Ctor = ERROR_TYPES[origin.info.name] || Error;
    e = new Ctor(`${origin.info.message} (in launched task '${self.name}')`);
    if (!ERROR_TYPES[origin.info.name]) e.name = origin.info.name;
    e.taskStack = origin.info.stack;
  } else if (state === T_FAILED && isSelf) {
    e = new Error(`weft: ${who} failed with status ${status}`);
  } else if (state === T_FAILED) {
    e = new Error(`weft: ${who} failed: its child '${origin.task}' ${origin.text}`);
  } else if (isSelf) {
    e = new Error(`weft: ${who} was canceled`);
  } else {
    e = new Error(`weft: ${who} was canceled: '${origin.task}' ${origin.text}`);
  }
  e.code = state === T_FAILED ? 'EFAILED' : 'ECANCELED';
  e.task = self.name;
  e.status = status;
  e.origin = { task: origin.task, status, self: isSelf };
  return e;
}

// ------------------------------------------------------------- handles

// Notes (host_task.c's ring) that handle h is failed or canceled by hand,
// with its name, so that successors' errors can name it.
function noteLabel(h, status) {
  const rt = h._o._rt;
  const bytes = new TextEncoder().encode(JSON.stringify({ label: h.name }));
  const at = rt.launcher.at;
  if (bytes.length > BLOCK_SIZE) return;
  new Uint8Array(rt.buffer()).set(bytes, at);
  rt.ex.weft_wasm_task_note_label(h._lo, h._hi, status, at, bytes.length);
}

export class TaskBase {
  constructor(owner, lo, hi, name, kind) {
    this._o = owner;   // the Pool (main thread) or the TaskContext's runtime side
    this._lo = lo;
    this._hi = hi;
    this._released = false;
    this.name = name;
    this.kind = kind;  // 'task' or 'event'
  }

  // The 64-bit handle as a BigInt (for logs; equal handles, equal ids).
  get id() {
    return (BigInt(this._hi >>> 0) << 32n) | BigInt(this._lo >>> 0);
  }

  _ex() {
    if (this._released) throw codeError(ESTALE, `${this.kind} '${this.name}' was released`);
    return this._o._rt.ex;
  }

  // 'pending', 'done', 'failed' or 'canceled'.
  status() {
    const rc = this._ex().weft_wasm_task_status(this._lo, this._hi);
    const s = STATES[rc];
    if (!s) throw codeError(rc, `status of ${this.kind} '${this.name}'`);
    return s;
  }

  // Cancels a task (or event) that has not started: it completes canceled
  // and so do its successors. True if this did it, false if too late.
  cancel() {
    const ex = this._ex();
    noteLabel(this, ECANCELED);
    const rc = ex.weft_wasm_task_cancel(this._lo, this._hi);
    if (rc < 0) throw codeError(rc, `cancel of ${this.kind} '${this.name}'`);
    return rc === 1;
  }

  // The result (slot 0: the number the task returned). Throws if the task
  // has not completed, or (ECANCELED / EFAILED) if it did not succeed.
  result() {
    const ex = this._ex();
    const rt = this._o._rt;
    const at = rt.launcher.at + BLOCK_SIZE;
    const st = ex.weft_wasm_task_status(this._lo, this._hi);
    if (st === EPENDING) throw codeError(st, `${this.kind} '${this.name}' has not completed`);
    if (st !== OK) throw this._failure();
    if (this.kind === 'event') return 0;
    const rc = ex.weft_wasm_task_result(this._lo, this._hi, at);
    if (rc) throw codeError(rc, `result of '${this.name}'`);
    return rt.view(at + 8).getFloat64(at, true);
  }

  // The error for a failed or canceled handle (names the origin).
  _failure() {
    const rt = this._o._rt;
    const at = rt.launcher.at + BLOCK_SIZE;
    const rc = rt.ex.weft_wasm_task_info(this._lo, this._hi, at);
    if (rc) return codeError(rc, `${this.kind} '${this.name}'`);
    const dv = rt.view(at + 16);
    const state = dv.getInt32(at, true) === EFAILED ? T_FAILED : T_CANCELED;
    return failureError(rt, (fn) => rt.cName(fn), this, state,
      dv.getInt32(at + 4, true), dv.getUint32(at + 8, true), dv.getUint32(at + 12, true));
  }

  // Gives the handle back (the task still runs). Further use throws.
  release() {
    if (this._released) return;
    this._released = true;
    this._o._release(this);
  }
}

class EventMixin {
  // Completes the event: tasks launched after it may start.
  trigger() {
    this._trigger(0);
  }

  // Completes the event as failed with `status` (a non-zero integer): the
  // tasks after it complete canceled, naming this event.
  fail(status = 1) {
    if (!Number.isInteger(status) || status === 0 || status < -0x80000000 || status > 0x7fffffff)
      throw new TypeError(`weft: event '${this.name}'.fail(status): status must be a non-zero 32-bit integer, got ${status}`);
    this._trigger(status);
  }

  _trigger(status) {
    const ex = this._ex();
    if (status) noteLabel(this, status);
    const rc = ex.weft_wasm_event_trigger(this._lo, this._hi, status);
    if (rc === EALREADY) throw codeError(rc, `event '${this.name}' was triggered (or canceled) before`);
    if (rc) throw codeError(rc, `trigger of event '${this.name}'`);
    this._o._kick();
  }
}
function mixEvents(C) {
  for (const k of ['trigger', 'fail', '_trigger']) C.prototype[k] = EventMixin.prototype[k];
  return C;
}

// A handle held by the main thread: also a promise for completion.
export class Task extends TaskBase {
  // Resolves with the result once the task completed; rejects with an
  // Error naming the task that failed first (err.code 'EFAILED' or
  // 'ECANCELED', err.task, err.status, err.origin). The handle is kept
  // until it settles, even if released meanwhile.
  get done() {
    if (!this._done) {
      this._ex();
      this._done = this._o._await(this);
      this._done.catch(() => {});
    }
    return this._done;
  }

  // `await handle` is `await handle.done`.
  then(onDone, onFail) {
    return this.done.then(onDone, onFail);
  }

  catch(onFail) {
    return this.done.catch(onFail);
  }
}

export const Event = mixEvents(class Event extends Task {});

// A handle inside a task (ctx.launch, ctx.event): no promise; ctx.wait.
export class TaskRef extends TaskBase {}
export const EventRef = mixEvents(class EventRef extends TaskRef {});

// A pipe: the tasks launched into it start in launch order, never overlap.
export class Pipe {
  constructor(owner, ptr) {
    this._o = owner;
    this._ptr = ptr;
  }

  // The pipe's address: a number a task can turn back into a pipe with
  // ctx.pipeOf(address), to launch into it.
  get address() {
    return this._ptr;
  }

  // Frees the pipe (tasks launched into it keep their order).
  destroy() {
    if (!this._ptr) return;
    this._o._rt.ex.weft_wasm_pipe_destroy(this._ptr);
    this._ptr = 0;
  }
}

// ------------------------------------------------------- the main thread

// Pool methods (installed on Pool.prototype by index.js: installLaunch).
const poolMethods = {
  // Launches task `name` (C or JavaScript) with up to 5 arguments (numbers,
  // views of the pool's memory) and, last, an optional options object:
  // { after: handle | [handles], pipe }. Returns a Task handle at once.
  launch(name, ...rest) {
    this._alive();
    const nargs = splitOptions(rest), o = optionsOut;
    if (o !== null && o.child) throw new TypeError('weft: options.child: only ctx.launch (inside a task) launches children');
    const l = this._launcher();
    l.launch(name, rest, nargs, o, this, false, this._completion === 'sync' ? null : this._gateNow());
    const t = new Task(this, l.lo, l.hi, name, 'task');
    if (this._completion === 'sync') this._kick();
    return t;
  },

  // The gate of this turn of the event loop: an event that every task
  // launched from the main thread waits for too, triggered at the next
  // microtask (or after GATE_EVERY launches). A task ready at its launch
  // would otherwise be pushed to the pool's shared stack at once, waking a
  // sleeping worker each time: a chain launched from here, each task after
  // the previous, which the worker finishes before the next launch, cost a
  // wake-up per task (a third of the main thread's time). Behind the gate
  // the first task becomes ready when it opens and the worker runs the rest
  // of the chain as its own completions make them ready. Tasks start at the
  // end of the current turn at the latest, as loops do (index.js).
  _gateNow() {
    let g = this._gate;
    if (g && g.uses >= GATE_EVERY) {
      this._openGate(g);
      g = null;
    }
    if (g === null || g === undefined) {
      const l = this._launcher();
      const rc = this._ex.weft_wasm_event_create(this._hp, l.at + BLOCK_SIZE);
      if (rc) return null; // no gate: launches push as they go
      const dv = this._rt.view(l.at + BLOCK_SIZE + 8);
      g = this._gate = { _lo: dv.getUint32(l.at + BLOCK_SIZE, true), _hi: dv.getUint32(l.at + BLOCK_SIZE + 4, true), uses: 0 };
      queueMicrotask(() => this._openGate(g));
    }
    g.uses++;
    return g;
  },

  _openGate(g) {
    if (this._gate === g) this._gate = null;
    if (g.open) return;
    g.open = true;
    if (this._state === 'destroyed' || !this._hp) return;
    this._ex.weft_wasm_event_trigger(g._lo, g._hi, 0);
    this._ex.weft_wasm_task_release(g._lo, g._hi);
  },

  // launchMany(name, count, after, per, ...args): `count` launches of one
  // task in one call into wasm, task k getting (...args, k) and waiting for
  // the earlier tasks of the batch listed in after[k * per .. k * per + per)
  // (an Int32Array; -1: none). Returns the handle of the batch's last task;
  // the others have none (each is released once its last successor in the
  // batch is launched).
  launchMany(name, count, after, per, ...args) {
    this._alive();
    const l = this._launcher();
    launchMany(this._rt, this._hp, name, count, after, per, args);
    const t = new Task(this, l.lo, l.hi, name, 'task');
    if (this._completion === 'sync') this._kick();
    return t;
  },

  // Creates an event: a handle that tasks can list in options.after and
  // that completes when you call trigger() (or fail(status)).
  event(label = 'event') {
    this._alive();
    const l = this._launcher();
    const rc = this._ex.weft_wasm_event_create(this._hp, l.at + BLOCK_SIZE);
    if (rc) throw codeError(rc, 'event()');
    const dv = this._rt.view(l.at + BLOCK_SIZE + 8);
    const ev = new Event(this, dv.getUint32(l.at + BLOCK_SIZE, true), dv.getUint32(l.at + BLOCK_SIZE + 4, true),
      String(label), 'event');
    return ev;
  },

  // A pipe for options.pipe. Destroy it when done.
  pipe() {
    this._alive();
    const l = this._launcher();
    const p = this._ex.weft_wasm_pipe_create(this._hp, l.at + BLOCK_SIZE);
    if (!p) throw codeError(this._rt.view(l.at + BLOCK_SIZE + 4).getInt32(l.at + BLOCK_SIZE, true), 'pipe()');
    return new Pipe(this, p);
  },

  _launcher() {
    const rt = this._rt;
    if (!rt.launcher) rt.launcher = new Launcher(rt, this._hp);
    return rt.launcher;
  },

  _own(h, name, k) {
    if (k < 0) {
      const what = ownWhat(name, k);
      if (!(h instanceof Pipe) || h._o !== this) throw new TypeError(`weft: ${what} must be a pipe of this pool (pool.pipe())`);
      if (!h._ptr) throw new Error(`weft: ${what}: the pipe was destroyed`);
      return h._ptr;
    }
    if (!(h instanceof Task) || h._o !== this)
      throw new TypeError(`weft: ${ownWhat(name, k)} must be a handle of this pool (pool.launch / pool.event)`);
    if (h._released) throw codeError(ESTALE, `${ownWhat(name, k)}: ${h.kind} '${h.name}' was released`);
    return h;
  },

  _release(t) {
    if (t._waiting) return; // _await releases it once settled
    this._releaseId(t._lo, t._hi);
  },

  _releaseId(lo, hi) {
    if (this._state === 'destroyed' || !this._hp) return;
    this._ex.weft_wasm_task_release(lo, hi);
  },

  // Single-thread fallback: nothing runs the pool unless we do. After a
  // launch or a trigger, run what is ready (at the next microtask, so that
  // a burst of launches runs together), then settle the waits.
  _kick() {
    if (this._completion !== 'sync' || this._kicked) return;
    this._kicked = true;
    queueMicrotask(() => {
      this._kicked = false;
      if (this._state !== 'ready' && this._state !== 'destroying') return;
      this._ex.weft_wasm_tasks_run_ready(this._hp);
      const ws = this._soloWaits;
      if (ws) for (const w of [...ws]) w();
    });
  },

  // Settles once the pool is destroyed (index.js calls _gone): a wait must
  // not outlive the pool, whose destroy completes or cancels every task it
  // can but frees the records after (a task it could not finish would leave
  // its waiter asleep on freed memory).
  _goneSignal() {
    if (!this._goneP) this._goneP = new Promise((r) => (this._gone = r));
    return this._goneP;
  },

  // A promise for handle t's completion: the record's state word, waited on
  // with Atomics.waitAsync after registering as a waiter
  // (weft_wasm_task_waiter), by polling where there is no waitAsync, or
  // after each drain in the single-thread fallback.
  async _await(t) {
    const ex = this._ex;
    const rt = this._rt;
    const l = this._launcher();
    // Not counted in _pending: destroy() must not wait for tasks that wait
    // on events nobody triggers (destroy cancels those, which settles this).
    this._hold();
    t._waiting = true;
    try {
      const addr = ex.weft_wasm_task_waiter(t._lo, t._hi, l.at + BLOCK_SIZE);
      if (!addr) {
        const rc = rt.view(l.at + BLOCK_SIZE + 4).getInt32(l.at + BLOCK_SIZE, true);
        if (rc) throw codeError(rc, `${t.kind} '${t.name}'`);
      } else {
        const idx = addr >> 2;
        // The word is (generation << 8) | state (src/task.h): the state is
        // its low byte; null once final, else the value to wait on.
        const final = () => {
          const s = Atomics.load(rt.int32(addr + 4), idx);
          const st = s & 0xff;
          return st === T_DONE || st === T_FAILED || st === T_CANCELED ? null : s;
        };
        if (this._completion === 'sync') {
          this._kick();
          await new Promise((resolve, reject) => {
            if (!this._soloWaits) this._soloWaits = new Set();
            const w = () => {
              if (final() !== null) return;
              this._soloWaits.delete(w);
              resolve();
            };
            this._soloWaits.add(w);
            w();
          });
        } else if (typeof Atomics.waitAsync === 'function') {
          for (let s; (s = final()) !== null && this._state !== 'destroyed';) {
            const r = Atomics.waitAsync(rt.int32(addr + 4), idx, s);
            if (r.async) await Promise.race([r.value, this._failed, this._goneSignal()]);
          }
        } else {
          for (let d = 0; final() !== null && this._state !== 'destroyed'; d = Math.min(16, d + 1))
            await Promise.race([new Promise((r) => setTimeout(r, d < 8 ? 0 : 4)), this._failed, this._goneSignal()]);
        }
      }
      if (this._state === 'destroyed' || !this._hp)
        throw new Error(`weft: the pool was destroyed before ${t.kind} '${t.name}' completed`);
      const st = ex.weft_wasm_task_status(t._lo, t._hi);
      if (st === OK) return t.kind === 'event' ? 0 : t._resultNow();
      throw t._failure();
    } finally {
      t._waiting = false;
      if (t._released) this._releaseId(t._lo, t._hi);
      this._unhold();
    }
  },
};

Task.prototype._resultNow = function () {
  const rt = this._o._rt;
  const at = rt.launcher.at + BLOCK_SIZE;
  const rc = rt.ex.weft_wasm_task_result(this._lo, this._hi, at);
  if (rc) throw codeError(rc, `result of '${this.name}'`);
  return rt.view(at + 8).getFloat64(at, true);
};

// hooks: { hold, release } of index.js (Node keep-alive while a promise of
// ours is pending).
export function installLaunch(Pool, hooks) {
  Object.assign(Pool.prototype, poolMethods);
  Pool.prototype._hold = hooks.hold;
  Pool.prototype._unhold = hooks.release;
}

// ----------------------------------------------------------- inside tasks

// What ctx.launch and friends use: the owner of a TaskRef is this object.
class WorkerSide {
  constructor(rt) {
    this._rt = rt;
  }
  _release(t) {
    this._rt.ex.weft_wasm_task_release(t._lo, t._hi);
  }
  _kick() {}
  _own(h, name, k) {
    if (k >= 0 && h instanceof TaskRef && h._o === this && !h._released) return h;
    return ownRef(this, h, ownWhat(name, k), k < 0);
  }
}

function workerSide(rt) {
  if (!rt.workerSide) {
    rt.workerSide = new WorkerSide(rt);
    if (!rt.launcher) rt.launcher = new Launcher(rt, 0);
  }
  return rt.workerSide;
}

function ownRef(side, h, what, pipe) {
  if (pipe) {
    if (typeof h === 'number' && Number.isInteger(h) && h > 0) return h;
    if (h instanceof Pipe && h._ptr) return h._ptr;
    throw new TypeError(`weft: ${what} must be a pipe (ctx.pipe(), or a pool pipe's address)`);
  }
  if (!(h instanceof TaskRef) || h._o !== side)
    throw new TypeError(`weft: ${what} must be a handle made on this thread (ctx.launch / ctx.event / ctx.handle)`);
  if (h._released) throw codeError(ESTALE, `${what}: ${h.kind} '${h.name}' was released`);
  return h;
}

// Bulk launch (pool.launchMany, ctx.launchMany): see their comments. The
// last task's handle halves go to rt.launcher.lo / hi.
function launchMany(rt, hp, name, count, after, per, args) {
  const t = rt.resolve(name);
  checkArgs(name, [...args, 0], rt.isPoolBufferFn);
  if (!Number.isInteger(count) || count < 1) throw new TypeError('weft: launchMany: count must be a positive integer');
  if (!Number.isInteger(per) || per < 0 || per > 64) throw new TypeError('weft: launchMany: per must be an integer in 0..64');
  if (!(after instanceof Int32Array) || after.length < count * per)
    throw new TypeError(`weft: launchMany: after must be an Int32Array of count * per (${count * per}) entries`);
  const ex = rt.ex;
  const inPool = rt.isPoolBuffer(after.buffer);
  const bytes = count * 12 + (inPool ? 0 : 4 * count * per) + BLOCK_SIZE + 16;
  const mem = ex.weft_wasm_alloc(bytes, 16);
  if (!mem) throw new RangeError(`weft: launchMany: no memory for ${count} launches`);
  try {
    let list = after.byteOffset;
    let at = mem + count * 12;
    if (!inPool) {
      new Int32Array(rt.buffer(), at, count * per).set(after.subarray(0, count * per));
      list = at;
      at += 4 * count * per;
    }
    const dv = rt.view(at + BLOCK_SIZE + 16);
    writeBlock(rt.memory, at, 0, t.id, args, dv);
    const rc = ex.weft_wasm_launch_many(hp, t.js ? 0 : t.fn, at, args.length, count, list, per, mem, at + BLOCK_SIZE);
    if (rc) throw codeError(rc, `launchMany '${name}'${rc === EINVAL ? ' (a prerequisite index that is not an earlier task of the batch)' : ''}`);
    rt.launcher.lo = dv.getUint32(at + BLOCK_SIZE, true);
    rt.launcher.hi = dv.getUint32(at + BLOCK_SIZE + 4, true);
  } finally {
    ex.weft_wasm_free(mem);
  }
}

// TaskContext methods (installed by runtime.js: installContext).
const ctxMethods = {
  // As pool.launch, from inside a task; returns a TaskRef. options.child:
  // this task's completion waits for the new one (launched tasks only).
  launch(name, ...rest) {
    const side = workerSide(this._rt);
    const nargs = splitOptions(rest), o = optionsOut;
    const l = this._rt.launcher;
    l.launch(name, rest, nargs, o, side, o !== null && !!o.child);
    return new TaskRef(side, l.lo, l.hi, name, 'task');
  },

  // launchMany(name, count, after, per, ...args): `count` launches of one
  // task, task k getting (...args, k); `after` an Int32Array of `per`
  // entries per task, each the index of an earlier task of this batch it
  // must wait for, or -1. Returns the last task's handle; the others stay
  // inside: each is released once its last successor is launched. Called
  // from a launched task, the batch is
  // its children: the task completes (and its promise settles) once every
  // task of the batch has. For wavefronts and other regular shapes launched
  // in bulk (one call into wasm for the whole batch).
  launchMany(name, count, after, per, ...args) {
    const side = workerSide(this._rt);
    const l = this._rt.launcher;
    launchMany(this._rt, 0, name, count, after, per, args);
    return new TaskRef(side, l.lo, l.hi, name, 'task');
  },

  // An event of this pool, made inside a task.
  event(label = 'event') {
    const side = workerSide(this._rt);
    const at = this._rt.launcher.at + BLOCK_SIZE;
    const rc = this._rt.ex.weft_wasm_event_create(0, at);
    if (rc) throw codeError(rc, 'event()');
    const dv = this._rt.view(at + 8);
    return new EventRef(side, dv.getUint32(at, true), dv.getUint32(at + 4, true), String(label), 'event');
  },

  // A pipe made inside a task (destroy it when done).
  pipe() {
    const side = workerSide(this._rt);
    const at = this._rt.launcher.at + BLOCK_SIZE;
    const p = this._rt.ex.weft_wasm_pipe_create(0, at);
    if (!p) throw codeError(this._rt.view(at + 4).getInt32(at, true), 'pipe()');
    return new Pipe(side, p);
  },

  // Waits for a handle without blocking the worker (it runs the task, its
  // prerequisites or other work meanwhile). Returns the result; throws the
  // error naming the origin if it failed or was canceled.
  wait(h) {
    const side = workerSide(this._rt);
    ownRef(side, h, 'wait(handle)');
    const rc = this._rt.ex.weft_wasm_task_wait(h._lo, h._hi);
    if (rc === OK) return h.kind === 'event' ? 0 : h.result();
    if (rc === EFAILED || rc === ECANCELED) throw h._failure();
    throw codeError(rc, `wait for ${h.kind} '${h.name}'`);
  },

  // Makes this launched task's completion wait for h too (a child).
  attach(h) {
    const side = workerSide(this._rt);
    ownRef(side, h, 'attach(handle)');
    const rc = this._rt.ex.weft_wasm_task_attach(this._w, h._lo, h._hi);
    if (rc) throw codeError(rc, `attach of ${h.kind} '${h.name}'${rc === EINVAL ? ' (only inside a launched task)' : ''}`);
  },

  // A TaskRef for a handle given as two numbers (handle.lo, handle.hi of
  // a main-thread handle passed as arguments): it is borrowed, not owned
  // (release() gives nothing back).
  handle(lo, hi, name = 'task') {
    const side = workerSide(this._rt);
    const r = new TaskRef(side, lo >>> 0, hi >>> 0, name, 'task');
    r._borrowed = true;
    return r;
  },
};

TaskRef.prototype.release = function () {
  if (this._released) return;
  this._released = true;
  if (!this._borrowed) this._o._release(this);
};

// The two halves of a handle (to pass it to a task as two numbers: ctx.handle).
Object.defineProperty(TaskBase.prototype, 'lo', { get() { return this._lo; } });
Object.defineProperty(TaskBase.prototype, 'hi', { get() { return this._hi; } });

export function installContext(TaskContext) {
  Object.assign(TaskContext.prototype, ctxMethods);
}

// The js_launch import: runs the launched JavaScript task of the block at
// `block` on worker w; returns 0, or THREW after noting the error.
export function jsLaunch(rt, TaskContext, w, block) {
  const dv = rt.view(block + BLOCK_SIZE);
  const id = dv.getUint16(block + 4, true);
  const fn = rt.jsFns[id];
  const ctx = new TaskContext(rt, w, 0);
  let failed = null;
  let result = 0;
  try {
    const tags = dv.getUint16(block + 6, true);
    if (tags === 0) result = fn(ctx);
    else if (tags === 1) result = fn(ctx, dv.getFloat64(block + 8, true));
    else if (tags === 9) result = fn(ctx, dv.getFloat64(block + 8, true), dv.getFloat64(block + 16, true));
    else if (tags < 1 << 3) result = fn(ctx, launchArg(rt, block, tags, dv, 0));
    else if (tags < 1 << 6) result = fn(ctx, launchArg(rt, block, tags, dv, 0), launchArg(rt, block, tags, dv, 1));
    else if (tags < 1 << 9) {
      result = fn(ctx, launchArg(rt, block, tags, dv, 0), launchArg(rt, block, tags, dv, 1),
        launchArg(rt, block, tags, dv, 2));
    } else result = fn(ctx, ...launchArgs(rt, block, tags, dv));
    if (result && typeof result.then === 'function')
      throw new TypeError(`weft: task '${rt.jsNames[id]}' returned a promise; tasks must be synchronous`);
  } catch (e) {
    failed = e;
  }
  // Join what it left unsynced; a spawned child's error is the task's.
  while (ctx._pending > 0) {
    try {
      ctx.sync();
    } catch (e) {
      failed = failed || e;
      break;
    }
  }
  if (!failed && ctx._ownRun) failed = runError(rt, ctx._run);
  if (ctx._ownRun) rt.ex.weft_wasm_run_free(ctx._run);
  if (failed) {
    noteThrow(rt, w, id, failed);
    return THREW;
  }
  const out = typeof result === 'number' ? result : typeof result === 'bigint' ? Number(result)
    : typeof result === 'boolean' ? +result : 0;
  rt.view(block + 16).setFloat64(block + 8, out, true);
  return 0;
}

// A launched task's arguments. Views are kept in a small direct-mapped
// cache by (type, offset, length): a chain or a wavefront of JavaScript
// tasks passes the same view to every task, and making a typed array per
// call was most of a small task's cost. (A shared memory never moves or
// shrinks, so a view made once stays valid.)
function launchArgs(rt, block, tags, dv) {
  const out = [];
  for (let i = 0; i < MAX_ARGS && ((tags >> (3 * i)) & 7) !== 0; i++) out.push(launchArg(rt, block, tags, dv, i));
  return out;
}

// Argument i (its tag is not 0).
function launchArg(rt, block, tags, dv, i) {
  const tag = (tags >> (3 * i)) & 7;
  const off = block + 8 + 8 * i;
  if (tag === 1) return dv.getFloat64(off, true);
  const p = dv.getUint32(off, true), n = dv.getUint32(off + 4, true);
  let cache = rt._viewCache;
  if (!cache) cache = rt._viewCache = new Array(32).fill(null);
  const slot = ((p >>> 3) ^ tag ^ (n << 2)) & 31;
  const c = cache[slot];
  if (c !== null && c.p === p && c.n === n && c.tag === tag) return c.view;
  const T = VIEW_TYPES[tag];
  let buf = rt._buf;
  if (!buf || p + n * T.BYTES_PER_ELEMENT > buf.byteLength) buf = rt.buffer();
  const view = new T(buf, p, n);
  cache[slot] = { p, n, tag, view };
  return view;
}

// The first error of a run record (a launched task's spawns and loops), or null.
function runError(rt, run) {
  const L = rt.L;
  if (Atomics.load(rt.int32(run + L.runSize), (run + L.error) >> 2) === 0) return null;
  const dv = rt.view(run + L.runSize);
  const p = dv.getUint32(run + L.errPtr, true);
  let info = { name: 'Error', message: 'a task failed (no memory for its error)', task: '?' };
  if (p) try { info = JSON.parse(readUtf8(rt.memory, p, dv.getUint32(run + L.errLen, true))); } catch { /* kept */ }
  const Ctor = ERROR_TYPES[info.name] || Error;
  const e = new Ctor(`${info.message} (in task '${info.task}'${info.range ? `, chunk [${info.range[0]}, ${info.range[1]})` : ''})`);
  if (!ERROR_TYPES[info.name]) e.name = info.name;
  e.taskStack = info.stack;
  return e;
}

function noteThrow(rt, w, id, err) {
  const bytes = new TextEncoder().encode(errorJson(err));
  const p = rt.ex.weft_wasm_alloc(bytes.length || 1, 1);
  if (p) new Uint8Array(rt.buffer()).set(bytes, p);
  rt.ex.weft_wasm_task_threw(w, id, THREW, p, p ? bytes.length : 0);
  if (p) rt.ex.weft_wasm_free(p);
}

