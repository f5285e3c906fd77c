// Type declarations for weft's JavaScript package (src/index.js).

/** Arguments a task takes: numbers, or typed array views of the pool's memory (pool.alloc). */
export type TaskArg = number | Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface PoolOptions {
  /** Workers (threads). Default: one per core. 1..1024. */
  workers?: number;
  /** URL or path of an ES module; its exported functions become JavaScript tasks. */
  tasks?: string | URL;
  /** URL of weft.wasm (default: ../dist/weft.wasm next to the package source). */
  wasm?: string | URL;
  /** Bytes of wasm stack per worker (default 256 KiB). */
  stackSize?: number;
  /** Frames per worker deque (default 16384). */
  dequeFrames?: number;
  /** Bytes of scratch arena per worker (default 1 MiB). */
  scratchSize?: number;
  /** Steal attempts before an idle worker sleeps (default 512). */
  spinRounds?: number;
  /**
   * How the main thread learns that a run ended: 'waitAsync' (Atomics.waitAsync on the job's state
   * word), 'message' (the worker that ended the run posts a message), or 'auto' (the default:
   * waitAsync where it exists). 'waitAsync' where it does not exist is a TypeError.
   */
  completion?: 'auto' | 'waitAsync' | 'message';
  /** Browsers without cross-origin isolation: false makes createPool reject instead of falling back to one thread. */
  fallback?: boolean;
  /** Run on the calling thread only (the fallback's mode), even where threads are available. */
  singleThread?: boolean;
}

export interface WorkerStats {
  spawns: number; tasksRun: number; steals: number; stealFailures: number; stolenFrom: number;
  leapfrogs: number; sleeps: number; overflows: number; roots: number;
}

/** What a JavaScript task receives as its first argument. */
export interface TaskContext {
  /** Index of the worker running the task. */
  readonly worker: number;
  /** The pool's shared WebAssembly.Memory. */
  readonly memory: WebAssembly.Memory;
  /** True once another task of this run has failed (the rest is being skipped). */
  readonly cancelled: boolean;
  /** Spawns task `name` (C or JavaScript); join with sync(), LIFO. */
  spawn(name: string, ...args: TaskArg[]): void;
  /** Joins the most recent spawn and returns its result. */
  sync(): number;
  f64(ptr: number, n: number): Float64Array;
  f32(ptr: number, n: number): Float32Array;
  i32(ptr: number, n: number): Int32Array;
  u32(ptr: number, n: number): Uint32Array;
  u8(ptr: number, n: number): Uint8Array;
}

/** A JavaScript task: exported by the task module, synchronous, returns a number. */
export type Task = (ctx: TaskContext, ...args: any[]) => number | void;

export interface Pool {
  readonly workers: number;
  readonly memory: WebAssembly.Memory;
  /** True for the single-thread fallback (no cross-origin isolation). */
  readonly fallback: boolean;
  /** Why the pool fell back to one thread (names the missing headers), or null. */
  readonly fallbackReason: string | null;
  /** How runs report their end: 'waitAsync', 'message', or 'sync' (single thread: inside run()). */
  readonly completion: 'waitAsync' | 'message' | 'sync';
  readonly tasks: { c: string[]; js: string[] };
  /** Runs a task as one root job; throws TypeError at once on bad arguments. */
  run(name: string, ...args: TaskArg[]): Promise<number>;
  /** Runs a task once per argument list, as one job; results in order. */
  map(name: string, argsList: Array<TaskArg | TaskArg[]>, options?: { grain?: number }): Promise<Float64Array>;
  alloc<T extends Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array>(
    type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number }, n: number): T;
  free(view: ArrayBufferView): void;
  stats(index?: number): WorkerStats;
  destroy(): Promise<void>;
}

export function createPool(options?: PoolOptions): Promise<Pool>;
/** Why shared memory is unavailable (browsers without cross-origin isolation), or null. */
export function isolationProblem(): Promise<string | null>;
/** Whether a shared WebAssembly.Memory can be posted to a worker here (tries it; always true in Node). */
export function canShareMemory(): boolean;
export const isNode: boolean;
