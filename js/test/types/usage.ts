// The main thread's side of weft's public API, as a TypeScript user calls it,
// checked against js/index.d.ts: '../../index.js' resolves to js/index.d.ts
// (the declarations the package's "types" names), not to js/src/index.js.
// Never run: tsc only type-checks it (noEmit). Every `@ts-expect-error` marks
// misuse the declarations must reject; tsc fails if one is accepted.

import {
  canShareMemory, createPool, Graph, isNode, isolationProblem, Pool,
  type ChunkTask, type GraphBuilder, type GraphError, type TaskError, type GraphResult, type PoolOptions, type Task, type TaskArg,
  type WorkerStats, type EventHandle, type TaskHandle, type Pipe, type LaunchState, type LaunchError,
} from '../../index.js';
import * as taskModule from './tasks.js';
import { assertType, type Equal } from './check.js';

// The task module's exports are Tasks.
const tasks: Record<string, Task> = { ...taskModule };
// Chunk tasks are ChunkTasks.
export const chunkTasks: ChunkTask[] = [taskModule.axpy, taskModule.sum_range];

export async function usage(): Promise<void> {
  // ------------------------------------------------------------ the module
  const node: boolean = isNode;
  const shareable: boolean = canShareMemory();
  const problem = await isolationProblem();
  assertType<Equal<typeof problem, string | null>>();

  // ------------------------------------------------------------ createPool
  const options: Required<PoolOptions> = {
    workers: 4,
    tasks: new URL('./tasks.js', import.meta.url),
    wasm: new URL('../../dist/weft.wasm', import.meta.url),
    stackSize: 256 * 1024,
    dequeFrames: 16384,
    scratchSize: 1 << 20,
    spinRounds: 512,
    completion: 'auto',
    fallback: false,
    singleThread: false,
  };
  const pool = await createPool(options);
  assertType<Equal<typeof pool, Pool>>();
  await createPool();
  await createPool({});
  await createPool({ tasks: './tasks.js', wasm: 'file:///weft.wasm', completion: 'waitAsync' });
  await createPool({ completion: 'message', singleThread: true });
  // an option left undefined means its default (exactOptionalPropertyTypes is on)
  await createPool({ workers: undefined, tasks: undefined, completion: undefined, fallback: undefined });
  // @ts-expect-error completion is 'auto', 'waitAsync' or 'message'
  await createPool({ completion: 'poll' });
  // @ts-expect-error workers is a number
  await createPool({ workers: '4' });
  // @ts-expect-error no such option
  await createPool({ threads: 4 });

  // ------------------------------------------------------------ the pool
  const workers: number = pool.workers;
  const memory: WebAssembly.Memory = pool.memory;
  const fellBack: boolean = pool.fallback;
  const reason: string | null = pool.fallbackReason;
  const completion = pool.completion;
  assertType<Equal<typeof completion, 'waitAsync' | 'message' | 'sync'>>();
  const names: { c: string[]; js: string[] } = pool.tasks;
  // @ts-expect-error workers is read-only
  pool.workers = 2;
  // Pool and Graph are classes at run time: instanceof narrows to them.
  const something: unknown = pool;
  if (!(something instanceof Pool)) throw new Error('not a Pool');
  assertType<Equal<typeof something, Pool>>();
  // @ts-expect-error pools come from createPool
  new Pool();

  // run: a C or JavaScript task with numbers and views of the pool's memory.
  const r = await pool.run('fib', 30);
  assertType<Equal<typeof pool.run, (name: string, ...args: TaskArg[]) => Promise<number>>>();
  const runs: number[] = await Promise.all([20, 21].map((n) => pool.run('jfib', n)));
  // @ts-expect-error a task is named by a string
  pool.run(42);
  // @ts-expect-error task arguments are numbers or views, not strings
  pool.run('fib', 'x');
  // @ts-expect-error task arguments are numbers or views, not objects
  pool.run('fib', {});
  // @ts-expect-error run's result is a number
  const rs: string = await pool.run('fib', 1);

  // alloc / free: typed arrays of the pool's memory.
  const f64 = pool.alloc(Float64Array, 1000);
  const f32 = pool.alloc(Float32Array, 10);
  const i32 = pool.alloc(Int32Array, 10);
  const u32 = pool.alloc(Uint32Array, 10);
  const i8 = pool.alloc(Int8Array, 10);
  const u8 = pool.alloc(Uint8Array, 10);
  const asF64: Float64Array = f64;
  const asI32: Int32Array = i32;
  // @ts-expect-error alloc(Float64Array) gives a Float64Array
  const wrong: Int32Array = f64;
  // @ts-expect-error alloc takes a typed array constructor
  pool.alloc(Array, 3);
  // @ts-expect-error a view type tasks cannot take
  pool.alloc(BigInt64Array, 3);
  await pool.run('fill', f64, 0.5);
  await pool.run('vsum', f64, f32, i32, u32, i8);
  await pool.run('inspect', u8.byteOffset, 10);

  // for / reduce: a chunk task over [begin, end), arguments once per loop.
  const done: void = await pool.for('axpy', 0, f64.length, undefined, 2, f64, f64);
  await pool.for('axpy', 0, 10, { grain: 4 }, 2, f64, f64);
  await pool.for('axpy', 0, 10, null);
  const total: number = await pool.reduce('sum_range', 0, f64.length, { combine: 'max', grain: undefined }, f64);
  await pool.reduce('sum_range', 0, 10, { combine: 'mix', identity: 0 }, f64);
  try {
    await pool.for('axpy', 0, 10);
  } catch (e) {
    const te = e as TaskError;
    const range: [number, number] | undefined = te.range;
    void [range, te.task];
  }
  // @ts-expect-error options is an object, not a grain
  await pool.for('axpy', 0, 10, 4);
  // @ts-expect-error begin is a number
  await pool.for('axpy', '0', 10);
  // @ts-expect-error identity is a number
  await pool.reduce('sum_range', 0, 10, { identity: '0' });
  void [done, total];

  // map over typed-array columns
  const sq: Float64Array = await pool.map('sq', new Float64Array(10));
  const cols: Int32Array = await pool.mapColumns('add', [new Float64Array(4), new Uint8Array(4)], { out: new Int32Array(4) });
  const cols2: Float64Array = await pool.mapColumns('add', [f64, i32], { grain: 64 });
  // @ts-expect-error columns are typed arrays
  await pool.mapColumns('add', [[1, 2]]);
  // @ts-expect-error the result has out's type
  const cols3: Float32Array = await pool.mapColumns('add', [f64], { out: new Int32Array(4) });
  void [sq, cols, cols2, cols3];
  // @ts-expect-error a DataView is not a task argument
  await pool.run('vsum', new DataView(f64.buffer));

  // map: one job; entries are argument lists, single numbers or single views,
  // and argsList may be a typed array of numbers.
  const pairs = Array.from({ length: 1000 }, (_, i) => [i, 2 * i]);
  const sums = await pool.map('add', pairs);
  assertType<Equal<typeof sums, Float64Array>>();
  await pool.map('fib', [10, 11, 12]);
  await pool.map('fib', [7, [8], 9]);
  await pool.map('fib', Float64Array.of(5, 6));
  await pool.map('fib', Int32Array.of(5, 6), { grain: 1 });
  await pool.map('fib', [5], { grain: undefined });
  await pool.map('fib', Uint8Array.of(5, 6));
  await pool.map('vsum', [f64, [f64], [f64, 3]]);
  const constPairs = [[1, 2], [3, 4]] as const;
  await pool.map('jadd', constPairs);
  const readonlyList: ReadonlyArray<readonly TaskArg[]> = [[1, 2]];
  await pool.map('jadd', readonlyList);
  await pool.map('fib', [], {});
  // @ts-expect-error argsList is an array (or typed array), not a number
  pool.map('fib', 3);
  // @ts-expect-error argsList is an array, not a string
  pool.map('fib', '123');
  // @ts-expect-error entries are numbers, views or argument lists
  pool.map('fib', [1, 'x']);
  // @ts-expect-error a BigInt64Array holds bigints, not task arguments
  pool.map('fib', BigInt64Array.of(1n));
  // @ts-expect-error grain is a number
  pool.map('fib', [1], { grain: '4' });

  pool.free(f64);
  pool.free(f32);
  pool.free(i32);
  pool.free(u32);
  pool.free(i8);
  pool.free(u8);
  // @ts-expect-error free takes a view
  pool.free(12);

  // stats: summed, or one worker's.
  const all: WorkerStats = pool.stats();
  const w0 = pool.stats(0);
  const counters: number[] = [all.spawns, all.tasksRun, all.steals, all.stealFailures, all.stolenFrom,
    all.leapfrogs, all.sleeps, all.overflows, all.roots, w0.tasksRun];

  // timeline traces: JSON text, around a function or between start and stop.
  const traced = pool.trace(() => pool.run('jfib', 10), { level: 'fine', events: 1 << 16 });
  assertType<Equal<typeof traced, Promise<string>>>();
  pool.traceStart({ level: 'coarse' });
  pool.traceStop();
  const text = pool.trace();
  assertType<Equal<typeof text, string>>();
  // @ts-expect-error the level is 'coarse' or 'fine'
  pool.traceStart({ level: 'all' });

  // ------------------------------------------------------------ graphs
  const g = pool.graph();
  assertType<Equal<typeof g, Graph>>();
  const maybeGraph: unknown = g;
  if (!(maybeGraph instanceof Graph)) throw new Error('not a Graph');
  assertType<Equal<typeof maybeGraph, Graph>>();
  const builder: GraphBuilder = g;
  const seq = pool.alloc(Int32Array, 64);
  const a: number = g.add('stamp', seq, 0, 100);
  const b = g.add('jstamp', seq, 1, 100);
  const c = g.add('fib', 20);
  const d = builder.add('subgraph', seq, 4, 2);
  // chaining: name, edge, edges and clear return the graph itself
  const chained: Graph = g.name(a, 'load').name(b, null).edge(a, b).edges([[b, c]]).edges([c], [d]);
  g.edges(Uint32Array.of(a), Int32Array.of(d));
  const constEdges = [[a, c], [a, d]] as const;
  g.edges(constEdges);
  const constIds = [a, b] as const;
  g.edges(constIds, constIds);
  // @ts-expect-error pairs are [from, to]
  g.edges([[a, b, c]]);
  // @ts-expect-error ids are numbers
  g.edges(['a'], ['b']);
  // @ts-expect-error a name is a string or null
  g.name(a, 3);
  // @ts-expect-error a node's arguments are task arguments
  g.add('fib', 'x');
  const counts: [number, number, boolean] = [g.nodeCount, g.edgeCount, g.running];
  // @ts-expect-error nodeCount is read-only
  g.nodeCount = 0;
  const valid: true = g.validate();
  const dot: string = g.dot();
  const one = await g.run();
  assertType<Equal<typeof one, GraphResult>>();
  const series: GraphResult = await g.runN(100);
  const until: GraphResult = await g.runUntil('untilK', 10);
  const inFlight = g.run();
  const cancelled: boolean = g.cancel();
  await inFlight.catch((e: unknown) => {
    const err = e as GraphError;
    const code: string = err.code;
    const errno: number = err.errno;
    const done: GraphResult | undefined = err.result;
    if (code === 'ENODE_FAILED') {
      const node: number | undefined = err.node;
      const nodeName: string | undefined = err.nodeName;
      const nodeTask: string | undefined = err.nodeTask;
      const status: number | undefined = err.status;
      const task: string | undefined = err.task;
      const stack: string | undefined = err.taskStack;
      void [node, nodeName, nodeTask, status, task, stack, err.cause];
    } else if (code === 'ECYCLE') {
      const cycle: number[] | undefined = err.cycle;
      const cycleNames: Array<string | null> | undefined = err.cycleNames;
      const cycleTasks: string[] | undefined = err.cycleTasks;
      const length: number | undefined = err.cycleLength;
      const truncated: boolean | undefined = err.truncated;
      void [cycle, cycleNames, cycleTasks, length, truncated];
    } else {
      const nodes: number[] | undefined = err.nodes;
      void nodes;
    }
    void [errno, done, err.message, err.stack];
  });
  // @ts-expect-error a main-thread graph's runs are promises
  const syncResult: GraphResult = g.run();
  // @ts-expect-error runUntil takes a task's name, not a function
  g.runUntil((n: number) => n > 3);
  const nodeName: string | undefined = g.nodeName(a);
  const nodeTask: string = g.nodeTask(a);
  const result: number = g.result(c);
  const results: Float64Array = g.results();
  const cleared: Graph = g.clear();
  g.destroy();
  pool.free(seq);

  // ------------------------------------------------------------ launched tasks
  const ev: EventHandle = pool.event('fetch');
  const lpipe: Pipe = pool.pipe();
  const la: TaskHandle = pool.launch('add', 1, 2);
  const lb = pool.launch('add', 1, 2, { after: [la, ev], pipe: lpipe });
  const lc = pool.launch('add', 3, 4, { after: lb });
  ev.trigger();
  const lr: number = await lc;
  const ld: number = await lc.done;
  const lstate: LaunchState = lc.status();
  const lres: number = lc.result();
  const lcancel: boolean = lc.cancel();
  const lmany: TaskHandle = pool.launchMany('add', 3, new Int32Array([-1, 0, 1]), 1, 5);
  const lid: bigint = lmany.id;
  await lmany.catch((e: LaunchError) => e.origin.task);
  // @ts-expect-error: options go last
  pool.launch('add', { after: la }, 1);
  for (const h of [la, lb, lc, lmany, ev]) h.release();
  lpipe.destroy();
  void [lr, ld, lstate, lres, lcancel, lid];

  // ------------------------------------------------------------ the end
  const destroyed = pool.destroy();
  assertType<Equal<typeof destroyed, Promise<void>>>();
  await destroyed;

  void [node, shareable, workers, memory, fellBack, reason, names, r, runs, rs, asF64, asI32, wrong, counters,
    chained, counts, valid, dot, series, until, cancelled, syncResult, nodeName, nodeTask, result, results,
    cleared, tasks];
}
