// A task module as a TypeScript user writes one: every exported function is a
// task, called as (ctx, ...args) on a worker. Checked against js/index.d.ts
// (the TaskContext and TaskGraph APIs); usage.ts checks that these functions
// are Tasks and passes this module to createPool.

import type { EventRef, GraphError, GraphResult, LaunchError, LaunchState, Task, TaskContext, TaskGraph, TaskRef } from '../../index.js';
import { assertType, type Equal } from './check.js';

// spawn / sync: fork-join recursion.
export function jfib(ctx: TaskContext, n: number): number {
  if (n < 2) return n;
  ctx.spawn('jfib', n - 1);
  const b = jfib(ctx, n - 2);
  return ctx.sync() + b;
}

// Views travel as arguments; spawn passes them on with numbers.
export function fill(ctx: TaskContext, view: Float64Array, value: number, lo = 0, hi = view.length): number {
  if (hi - lo <= 64) {
    for (let i = lo; i < hi; i++) view[i] = value * i;
    return hi - lo;
  }
  const mid = (lo + hi) >>> 1;
  ctx.spawn('fill', view, value, mid, hi);
  const a = fill(ctx, view, value, lo, mid);
  return a + ctx.sync();
}

// worker, cancelled, memory and the views of it at a byte offset.
export function inspect(ctx: TaskContext, ptr: number, n: number): number {
  const w: number = ctx.worker;
  if (ctx.cancelled) return -1;
  const bytes: number = ctx.memory.buffer.byteLength;
  const f64: Float64Array = ctx.f64(ptr, n);
  const f32: Float32Array = ctx.f32(ptr, n);
  const i32: Int32Array = ctx.i32(ptr, n);
  const u32: Uint32Array = ctx.u32(ptr, n);
  const u8: Uint8Array = ctx.u8(ptr, n);
  Atomics.add(i32, 0, 1);
  ctx.spawn('vsum', f64);
  ctx.spawn('jadd', f32[0] ?? 0, u32[0] ?? 0);
  ctx.spawn('fib', u8.length);
  return ctx.sync() + ctx.sync() + ctx.sync() + w + bytes;
}

// A task returning nothing is allowed (its result is 0).
export function touch(_ctx: TaskContext, flags: Int32Array): void {
  Atomics.store(flags, 0, 1);
}

export function jadd(_ctx: TaskContext, a: number, b: number): number {
  return a + b;
}

// runUntil's predicate: the count of runs done comes last.
export function untilK(_ctx: TaskContext, limit: number, completed: number): number {
  return completed >= limit ? 1 : 0;
}

// A task graph built and run inside a task: every TaskGraph member; runs
// return their GraphResult synchronously.
export function subgraph(ctx: TaskContext, seq: Int32Array, n: number, runs: number): number {
  const g: TaskGraph = ctx.graph();
  try {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(g.add(i % 2 ? 'stamp' : 'jstamp', seq, i, 0));
    const a = g.add('fib', 10);
    g.name(a, 'fib10').name(a, null).name(a, 'fib10');
    for (let i = 1; i < ids.length; i++) g.edge(ids[i - 1]!, ids[i]!);
    g.edges([[a, ids[0]!]]);
    g.edges([a], Uint32Array.of(ids[ids.length - 1]!));
    const counts: [number, number, boolean] = [g.nodeCount, g.edgeCount, g.running];
    const ok: true = g.validate();
    const dot: string = g.dot();
    const one = g.run();
    assertType<Equal<typeof one, GraphResult>>();
    const many: GraphResult = g.runN(runs);
    const until: GraphResult = g.runUntil('untilK', 3);
    // @ts-expect-error a TaskGraph's runs are synchronous, not promises
    g.run().then(() => {});
    const last: number = g.result(a);
    const all: Float64Array = g.results();
    const name: string | undefined = g.nodeName(a);
    const task: string = g.nodeTask(a);
    const wasRunning: boolean = g.cancel();
    g.clear().add('fib', 1);
    void [counts, ok, dot, until, last, all, name, task, wasRunning];
    return one.nodesRun + many.iterations * 0 + many.nodesSkipped;
  } catch (e) {
    const err = e as GraphError;
    if (err.code === 'ECYCLE') return -(err.cycle?.length ?? 0);
    throw e;
  } finally {
    g.destroy();
  }
}

// Misuse that the declarations must reject.
export function misuse(ctx: TaskContext): number {
  // @ts-expect-error task arguments are numbers or typed-array views, not strings
  ctx.spawn('jfib', '10');
  // @ts-expect-error a task is named by a string
  ctx.spawn(jfib, 10);
  // @ts-expect-error sync() gives a number
  const s: string = ctx.sync();
  // @ts-expect-error worker is read-only
  ctx.worker = 2;
  // @ts-expect-error a graph node takes task arguments, not objects
  ctx.graph().add('fib', { n: 1 });
  void s;
  return 0;
}

// The function type the declarations give a task.
export const viaTaskType: Task = (ctx, n: number) => ctx.sync() + n;

// Loop chunk tasks: (ctx, lo, hi, ...args), and loops inside tasks.
export function axpy(ctx: TaskContext, lo: number, hi: number, a: number, x: Float64Array, y: Float64Array): void {
  void ctx;
  for (let i = lo; i < hi; i++) y[i] = (y[i] ?? 0) + a * (x[i] ?? 0);
}
export function sum_range(_ctx: TaskContext, lo: number, hi: number, x: Float64Array): number {
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i] ?? 0;
  return s;
}
export function loops(ctx: TaskContext, x: Float64Array): number {
  ctx.for('axpy', 0, x.length, { grain: 100 }, 2, x, x);
  const s: number = ctx.reduce('sum_range', 0, x.length, { combine: 'sum' }, x);
  // @ts-expect-error ctx.for returns nothing
  const bad: number = ctx.for('axpy', 0, 1);
  void bad;
  return s;
}

// Launched tasks inside a task: ctx.launch / launchMany / event / pipe / wait / attach / handle.
export function launches(ctx: TaskContext, v: Float64Array, lo: number, hi: number): number {
  const ev: EventRef = ctx.event('ready');
  const pipe = ctx.pipe();
  const a: TaskRef = ctx.launch('jfib', 10);
  const b = ctx.launch('fill', v, 1, { after: [a, ev], pipe, child: true });
  const c = ctx.launch('fill', v, 2, { after: b, pipe: pipe.address });
  ev.trigger();
  const st: LaunchState = c.status();
  const r: number = ctx.wait(c);
  ctx.attach(a);
  const m: TaskRef = ctx.launchMany('jfib', 4, new Int32Array([-1, 0, 1, 2]), 1);
  const h = ctx.handle(lo, hi, 'from main');
  for (const x of [a, b, c, m, h, ev]) x.release();
  pipe.destroy();
  try {
    ctx.wait(h);
  } catch (e) {
    const le = e as LaunchError;
    assertType<Equal<typeof le.code, 'EFAILED' | 'ECANCELED'>>();
    return le.origin.status;
  }
  return st === 'done' ? r : 0;
}
