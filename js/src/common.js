// Pieces shared by the main-thread side (index.js) and the workers
// (worker.js): the environment, memory sizes, the task block codec and the
// task context handed to JavaScript tasks.

export const isNode =
  typeof process !== 'undefined' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined' && typeof WorkerGlobalScope === 'undefined';

// Must match js/build.sh (--initial-memory / --max-memory), in 64 KiB pages.
export const MEMORY_INITIAL_PAGES = 256;   // 16 MiB
export const MEMORY_MAXIMUM_PAGES = 16384; // 1 GiB

export const BLOCK_SIZE = 48;   // src/wasm/host.c, wasm_block
export const MAX_ARGS = 5;
// JavaScript task id of a root that posts 'done' when it ends (runtime.js,
// noticeRoot); task modules are limited to 65535 names, ids 0..65534.
export const NOTICE_ROOT = 0xffff;

// Loops (src/wasm/host_loop.c): sizeof(wasm_loop), kinds, combines.
export const LOOP_SIZE = 112;
export const LOOP_FOR = 0;
export const LOOP_REDUCE = 1;
export const LOOP_MAP = 2;
export const COMBINES = { sum: 0, min: 1, max: 2 };
export const COMBINE_TASK = 3;

// Argument tags (3 bits each): 0 none, 1 number, 2.. typed array views.
export const VIEW_TYPES = [null, null, Int8Array, Uint8Array, Int32Array, Uint32Array,
  Float32Array, Float64Array];

const TAGS = new Map(VIEW_TYPES.map((T, t) => [T, t]).filter(([T]) => T));

export function viewTag(v) {
  const t = v && TAGS.get(v.constructor);
  if (t) return t;
  for (let t = 2; t < VIEW_TYPES.length; t++) if (v instanceof VIEW_TYPES[t]) return t; // subclasses
  return 0;
}

export function nowMs() {
  return performance.now();
}

export async function coreCount() {
  if (isNode) {
    const os = await import('node:os');
    return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;
}

// Reads a NUL-terminated UTF-8 string from memory.
export function readCString(memory, ptr) {
  const u8 = new Uint8Array(memory.buffer);
  let end = ptr;
  while (u8[end]) end++;
  return new TextDecoder().decode(u8.slice(ptr, end));
}

// Reads `len` bytes of UTF-8 (shared memory cannot be decoded in place).
export function readUtf8(memory, ptr, len) {
  return new TextDecoder().decode(new Uint8Array(memory.buffer).slice(ptr, ptr + len));
}

// Writes a task block at `at`: run, fn id, tags, up to 5 argument slots.
// Arguments were validated by the caller (numbers or views of `memory`).
// `dv`: a DataView of memory's current buffer, if the caller keeps one.
export function writeBlock(memory, at, run, fnId, args, dv = new DataView(memory.buffer)) {
  let tags = 0;
  for (let i = 0; i < MAX_ARGS; i++) {
    const off = at + 8 + 8 * i;
    const a = args[i];
    if (i >= args.length) {
      dv.setFloat64(off, 0, true);
    } else if (typeof a === 'number') {
      tags |= 1 << (3 * i);
      dv.setFloat64(off, a, true);
    } else {
      tags |= viewTag(a) << (3 * i);
      dv.setUint32(off, a.byteOffset, true);
      dv.setUint32(off + 4, a.length, true);
    }
  }
  dv.setUint32(at, run, true);
  dv.setUint16(at + 4, fnId, true);
  dv.setUint16(at + 6, tags, true);
}

// Decodes the arguments of the block at `at` into numbers and views.
export function readArgs(memory, at, buf = memory.buffer, dv = new DataView(buf)) {
  const tags = dv.getUint16(at + 6, true);
  const out = [];
  for (let i = 0; i < MAX_ARGS; i++) {
    const tag = (tags >> (3 * i)) & 7;
    if (tag === 0) break;
    const off = at + 8 + 8 * i;
    if (tag === 1) {
      out.push(dv.getFloat64(off, true));
    } else {
      const T = VIEW_TYPES[tag], p = dv.getUint32(off, true), n = dv.getUint32(off + 4, true);
      if (p + n * T.BYTES_PER_ELEMENT > buf.byteLength) buf = memory.buffer; // grown since
      out.push(new T(buf, p, n));
    }
  }
  return out;
}

// Checks a task's arguments; throws TypeError. `buffers` holds every
// SharedArrayBuffer this pool's memory has had (it changes on growth).
export function checkArgs(name, args, isPoolBuffer) {
  if (args.length > MAX_ARGS)
    throw new TypeError(`weft: task '${name}' takes at most ${MAX_ARGS} arguments, got ${args.length}`);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'number') continue;
    if (ArrayBuffer.isView(a) && viewTag(a) && isPoolBuffer(a.buffer)) continue;
    const what = ArrayBuffer.isView(a) ? `a ${a.constructor.name} outside the pool's memory` : typeof a;
    throw new TypeError(`weft: argument ${i} of task '${name}' must be a number or a typed ` +
      `array view of the pool's memory (pool.alloc), got ${what}`);
  }
}

// Checks a loop's range: integers, 0 <= begin <= end <= 2^32 - 1.
export function checkRange(what, begin, end) {
  for (const [k, v] of [['begin', begin], ['end', end]]) {
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new TypeError(`weft: ${what}: ${k} must be an integer, got ${typeof v === 'number' ? v : typeof v}`);
    if (v < 0 || v > 0xffffffff) throw new RangeError(`weft: ${what}: ${k} must be in 0..2^32-1, got ${v}`);
  }
  if (begin > end) throw new RangeError(`weft: ${what}: begin (${begin}) is after end (${end})`);
}

// A thrown value as the JSON the wasm side keeps for it (name, message,
// stack, plus `extra`'s fields); never throws (a value that cannot be
// printed becomes 'unprintable error').
export function errorJson(err, extra = {}) {
  try {
    return JSON.stringify({
      name: (err && err.name) || 'Error',
      message: err && err.message !== undefined ? String(err.message) : String(err),
      stack: (err && typeof err.stack === 'string' && err.stack) || '',
      ...extra,
    });
  } catch {
    return JSON.stringify({ name: 'Error', message: 'unprintable error', stack: '', ...extra });
  }
}
