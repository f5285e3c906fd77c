// Type declarations for weft's JavaScript package (src/index.js).

/** Arguments a task takes: numbers, or typed array views of the pool's memory (pool.alloc). */
export type TaskArg = number | Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** A typed array of numbers: pool.map's argsList (one number per task) and edges()' node ids. */
export type NumberArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array |
  Uint32Array | Float32Array | Float64Array;

export interface PoolOptions {
  /** Workers (threads). Default: one per core. 1..1024. */
  workers?: number | undefined;
  /** URL or path of an ES module; its exported functions become JavaScript tasks. */
  tasks?: string | URL | undefined;
  /** URL of weft.wasm (default: ../dist/weft.wasm next to the package source). */
  wasm?: string | URL | undefined;
  /** Bytes of wasm stack per worker (default 256 KiB). */
  stackSize?: number | undefined;
  /** Frames per worker deque (default 16384). */
  dequeFrames?: number | undefined;
  /** Bytes of scratch arena per worker (default 1 MiB). */
  scratchSize?: number | undefined;
  /** Steal attempts before an idle worker sleeps (default 512). */
  spinRounds?: number | undefined;
  /**
   * How the main thread learns that a run ended: 'waitAsync' (Atomics.waitAsync on the job's state
   * word), 'message' (the worker that ended the run posts a message), or 'auto' (the default:
   * waitAsync where it exists). 'waitAsync' where it does not exist is a TypeError.
   */
  completion?: 'auto' | 'waitAsync' | 'message' | undefined;
  /** Browsers without cross-origin isolation: false makes createPool reject instead of falling back to one thread. */
  fallback?: boolean | undefined;
  /** Run on the calling thread only (the fallback's mode), even where threads are available. */
  singleThread?: boolean | undefined;
}

export interface WorkerStats {
  spawns: number; tasksRun: number; steals: number; stealFailures: number; stolenFrom: number;
  leapfrogs: number; sleeps: number; overflows: number; roots: number;
}

/** Options of for / reduce (pool and ctx). */
export interface LoopOptions {
  /** Items per chunk: chunks are [begin + k grain, begin + (k + 1) grain). 0 or undefined: adaptive. */
  grain?: number | undefined;
}

/** Options of reduce (pool and ctx). */
export interface ReduceOptions extends LoopOptions {
  /** How chunks' numbers combine: 'sum' (default), 'min', 'max', or the name of a task (ctx, a, b) => number. */
  combine?: 'sum' | 'min' | 'max' | (string & {}) | undefined;
  /** The result of an empty range (default 0; Infinity for 'min', -Infinity for 'max'). */
  identity?: number | undefined;
}

/** Options of mapColumns (and map over one column). */
export interface MapOptions<O extends NumberArray = Float64Array> {
  /** Where the results go (at least as long as the columns). Default: a new Float64Array. */
  out?: O | undefined;
  /** Items per chunk (default: adaptive). */
  grain?: number | undefined;
}

/** A loop's chunk task: called once per chunk [lo, hi) with the loop's arguments. */
export type ChunkTask = (ctx: TaskContext, lo: number, hi: number, ...args: any[]) => number | void;

/** The error a run rejects with when a task threw: the task's error, its type kept. */
export interface TaskError extends Error {
  /** The task that threw. */
  task: string;
  /** A loop's chunk that threw: [lo, hi). */
  range?: [number, number];
  /** The stack on the worker. */
  taskStack: string;
}

/** launch's last argument (optional): what the task waits for, and its pipe. */
export interface LaunchOptions<H> {
  /** Prerequisites: the task runs once all completed; it never runs (completes canceled) if one failed or was canceled. */
  after?: H | readonly H[] | undefined;
  /** Tasks launched into one pipe start in launch order and never overlap. Inside a task, also a pool pipe's address. */
  pipe?: Pipe | number | undefined;
}

/** ctx.launch's options: also `child` (this launched task's completion waits for the new one). */
export interface CtxLaunchOptions extends LaunchOptions<TaskRef> {
  child?: boolean | undefined;
}

/** The error a launched task's promise (or ctx.wait) throws when it did not succeed. */
export interface LaunchError extends Error {
  /** 'EFAILED': the task (or event) failed itself; 'ECANCELED': canceled, or a prerequisite failed. */
  code: 'EFAILED' | 'ECANCELED';
  /** The task's name (or the event's label). */
  task: string;
  /** The origin's status: a C task's weft_wasm_fail status, 1 for a JavaScript throw, an event's fail(status), -20 (ECANCELED) for a hand cancel. */
  status: number;
  /** The task that failed (or was canceled) first, which caused this. */
  origin: { task: string; status: number; self: boolean };
  /** The worker's stack, when the task itself threw. */
  taskStack?: string;
}

export type LaunchState = 'pending' | 'done' | 'failed' | 'canceled';

/** What main-thread and in-task handles share. */
export interface LaunchHandle {
  /** The task's name, or the event's label. */
  readonly name: string;
  readonly kind: 'task' | 'event';
  /** The 64-bit handle (for logs). */
  readonly id: bigint;
  /** The two 32-bit halves: pass them to a task, which rebuilds the handle with ctx.handle(lo, hi). */
  readonly lo: number;
  readonly hi: number;
  status(): LaunchState;
  /** The task's result once done; throws (EPENDING, or the LaunchError) otherwise. */
  result(): number;
  /** Cancels it if it has not started (true), else false. */
  cancel(): boolean;
  /** Gives the handle back (the task still runs). Un-released handles keep their record until pool.destroy(). */
  release(): void;
}

/** A handle launched from the main thread: also a promise for its result (`await handle`). */
export interface TaskHandle extends LaunchHandle, PromiseLike<number> {
  /** Resolves with the result; rejects with a LaunchError naming the task that failed first. */
  readonly done: Promise<number>;
  catch(onFail: (e: LaunchError) => unknown): Promise<unknown>;
}

/** An event made by pool.event(): complete it by hand (e.g. when a fetch resolves). */
export interface EventHandle extends TaskHandle {
  trigger(): void;
  /** Completes it failed: tasks after it complete canceled, naming it. status: a non-zero integer. */
  fail(status?: number): void;
}

/** A handle made inside a task (ctx.launch / ctx.event / ctx.handle): wait for it with ctx.wait. */
export interface TaskRef extends LaunchHandle {}
export interface EventRef extends TaskRef {
  trigger(): void;
  fail(status?: number): void;
}

/** A pipe (pool.pipe(), ctx.pipe()). */
export interface Pipe {
  /** A number a task can pass as options.pipe to launch into this pipe. */
  readonly address: number;
  destroy(): void;
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
  /** A task graph built and run inside this task (synchronous runs). Destroy it when done. */
  graph(): TaskGraph;
  /**
   * Calls task `name` once per chunk of [begin, end) as (ctx, lo, hi, ...args), on this and idle
   * workers; returns when all ran. Throws if a chunk threw or the run was cancelled.
   */
  for(name: string, begin: number, end: number, options?: LoopOptions | null, ...args: TaskArg[]): void;
  /** As for(), combining the chunks' numbers in a fixed order (independent of the schedule). */
  reduce(name: string, begin: number, end: number, options?: ReduceOptions | null, ...args: TaskArg[]): number;
  f64(ptr: number, n: number): Float64Array;
  f32(ptr: number, n: number): Float32Array;
  i32(ptr: number, n: number): Int32Array;
  u32(ptr: number, n: number): Uint32Array;
  u8(ptr: number, n: number): Uint8Array;
  /** Launches task `name` after options.after (handles of this thread); returns at once. */
  launch(name: string, ...args: TaskArg[] | [...TaskArg[], CtxLaunchOptions]): TaskRef;
  /** `count` launches of one task in one call, task k getting (...args, k) and waiting for the batch's earlier tasks in after[k*per .. k*per+per) (-1: none). Inside a launched task they are its children. Returns the last task's handle. */
  launchMany(name: string, count: number, after: Int32Array, per: number, ...args: TaskArg[]): TaskRef;
  /** An event of the pool, triggered by hand. */
  event(label?: string): EventRef;
  pipe(): Pipe;
  /** Waits without blocking the worker (it runs other tasks); returns the result or throws the LaunchError. */
  wait(handle: TaskRef): number;
  /** Inside a launched task: its completion also waits for `handle`. */
  attach(handle: TaskRef): void;
  /** A borrowed handle from the halves of a main-thread handle (release() gives nothing back). */
  handle(lo: number, hi: number, name?: string): TaskRef;
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
  /** A new, empty task graph on this pool; its runs are promises. */
  graph(): Graph;
  /**
   * Runs a task once per entry of argsList, as one job; results in order. An entry is an argument
   * list, or a single argument (a number or a view); argsList may be a typed array of numbers.
   */
  map(name: string, argsList: ReadonlyArray<TaskArg | readonly TaskArg[]>,
    options?: { grain?: number | undefined }): Promise<Float64Array>;
  /** A typed array as argsList is one column: as mapColumns(name, [column], options). */
  map<O extends NumberArray = Float64Array>(name: string, column: NumberArray, options?: MapOptions<O>): Promise<O>;
  /**
   * Calls task `name` once per item i as (ctx, columns[0][i], columns[1][i], ...) (1 to 5 columns of
   * equal length), as one job; results go to options.out (default: a new Float64Array), which the
   * promise gives. Columns in the pool's memory are read in place, others copied in once.
   */
  mapColumns<O extends NumberArray = Float64Array>(name: string, columns: readonly NumberArray[],
    options?: MapOptions<O>): Promise<O>;
  /**
   * Calls task `name` once per chunk of [begin, end) as (ctx, lo, hi, ...args) on the workers (one
   * call per chunk; the loop over the items is the task's). Arguments are passed once for the loop.
   * Rejects with the first chunk's error (a TaskError with its range). Bad ranges throw at once.
   */
  for(name: string, begin: number, end: number, options?: LoopOptions | null, ...args: TaskArg[]): Promise<void>;
  /** As for(), combining the chunks' numbers in a fixed order: the result does not depend on the schedule. */
  reduce(name: string, begin: number, end: number, options?: ReduceOptions | null, ...args: TaskArg[]): Promise<number>;
  alloc<T extends Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array>(
    type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number }, n: number): T;
  free(view: ArrayBufferView): void;
  stats(index?: number): WorkerStats;
  /**
   * Launches task `name` (C or JavaScript) with up to 5 arguments and, last, optional options
   * ({ after, pipe }); returns a handle at once, which is also a promise for the result.
   */
  launch(name: string, ...args: TaskArg[] | [...TaskArg[], LaunchOptions<TaskHandle>]): TaskHandle;
  /** `count` launches of one task in one call (see TaskContext.launchMany); returns the last task's handle. */
  launchMany(name: string, count: number, after: Int32Array, per: number, ...args: TaskArg[]): TaskHandle;
  /** An event: tasks list it in options.after; trigger() or fail(status) completes it. */
  event(label?: string): EventHandle;
  /** A pipe for options.pipe. */
  pipe(): Pipe;
  /** Starts a timeline trace (docs/TRACES.md). events: ring size per worker (0: 65536). */
  traceStart(options?: { level?: 'coarse' | 'fine'; events?: number }): void;
  traceStop(): void;
  /** The last trace as Chrome Trace Event JSON text; with a function: records around it. */
  trace(): string;
  trace(fn: () => unknown, options?: { level?: 'coarse' | 'fine'; events?: number }): Promise<string>;
  destroy(): Promise<void>;
}

/** The class of createPool's pools (for instanceof); its constructor throws: use createPool. */
export declare class Pool {
  private constructor();
}
export function createPool(options?: PoolOptions): Promise<Pool>;
/** Why shared memory is unavailable (browsers without cross-origin isolation), or null. */
export function isolationProblem(): Promise<string | null>;
/** Whether a shared WebAssembly.Memory can be posted to a worker here (tries it; always true in Node). */
export function canShareMemory(): boolean;
export const isNode: boolean;

// ------------------------------------------------------------ task graphs

/** What a graph run (series) did. */
export interface GraphResult {
  /** Runs that completed with every node done. */
  iterations: number;
  /** Node tasks called, over all runs. */
  nodesRun: number;
  /** Nodes of the last (stopped) run that never ran; 0 when every run completed. */
  nodesSkipped: number;
}

/** Errors of graph calls and runs carry a code (weft.h's WEFT_E* without the prefix). */
export interface GraphError extends Error {
  code: 'ECYCLE' | 'ENODE_FAILED' | 'ECANCELED' | 'EBUSY' | 'EFOREIGN' | 'EINVAL' | 'E2BIG' | 'ENOMEM' | 'ETASK' | string;
  errno: number;
  /** ECYCLE: the node ids of one cycle in edge order, starting at the lowest id (at most 16). */
  cycle?: number[];
  cycleNames?: Array<string | null>;
  cycleTasks?: string[];
  /** ECYCLE: the whole cycle's length, and whether `cycle` was cut. */
  cycleLength?: number;
  truncated?: boolean;
  /** Other validation errors that name nodes (EFOREIGN: the rejected edge's from and to): their ids. */
  nodes?: number[];
  /** ENODE_FAILED: the first failing node, its name, task and status (1 for a JavaScript throw). */
  node?: number;
  nodeName?: string;
  nodeTask?: string;
  status?: number;
  /** A JavaScript error: the task that threw and its stack. */
  task?: string;
  taskStack?: string;
  /** Run errors: what the run (series) did before it stopped. */
  result?: GraphResult;
}

/** The building half of a graph, the same on the main thread and in tasks. */
export interface GraphBuilder {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly running: boolean;
  /** Adds a node running task `task` (C or JavaScript) with up to 4 arguments; returns its id (0, 1, ...). */
  add(task: string, ...args: TaskArg[]): number;
  /** Names a node for errors and dot(); null removes the name. */
  name(id: number, label: string | null): this;
  /** `from` precedes `to`. A self-edge throws ECYCLE and breaks the graph until clear(). */
  edge(from: number, to: number): this;
  /** Many edges, all or none: pairs, or two equal-length arrays of ids. */
  edges(pairs: ReadonlyArray<readonly [number, number]>): this;
  edges(from: readonly number[] | NumberArray, to: readonly number[] | NumberArray): this;
  /** Returns true, or throws a GraphError (ECYCLE with the cycle's ids and names). */
  validate(): true;
  /** Graphviz DOT. */
  dot(): string;
  /** Stops the run in flight (ECANCELED); returns whether one was in flight. */
  cancel(): boolean;
  /** Removes every node and edge; ids start again at 0. */
  clear(): this;
  /** Frees the graph (not while it runs). */
  destroy(): void;
  nodeName(id: number): string | undefined;
  nodeTask(id: number): string;
  /** A node's result (its task's return value) in the last run. */
  result(id: number): number;
  results(): Float64Array;
}

/** A graph made on the main thread by pool.graph(): runs never block the thread. */
export interface Graph extends GraphBuilder {
  run(): Promise<GraphResult>;
  /** n runs in a row as one job, stopping at the first that fails. */
  runN(n: number): Promise<GraphResult>;
  /** Runs until task(...args, completed) returns non-zero (called on a worker before each run; up to 3 args). */
  runUntil(task: string, ...args: TaskArg[]): Promise<GraphResult>;
}

/** A graph made inside a task by ctx.graph(): runs are synchronous, driven by the calling worker. */
export interface TaskGraph extends GraphBuilder {
  run(): GraphResult;
  runN(n: number): GraphResult;
  runUntil(task: string, ...args: TaskArg[]): GraphResult;
}
/** The class of pool.graph()'s graphs (for instanceof). */
export declare class Graph {
  private constructor();
}
/** The classes of launch handles (for instanceof); their constructors are not public. */
export declare class TaskHandle { private constructor(); }
export declare class EventHandle { private constructor(); }
export declare class TaskRef { private constructor(); }
export declare class EventRef { private constructor(); }
export declare class Pipe { private constructor(); }
