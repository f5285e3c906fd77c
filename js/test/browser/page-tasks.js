// JavaScript tasks of the browser suite: those of the Node suite
// (js/test/tasks.mjs, re-exported) and the responsiveness check's.
export * from '../tasks.mjs';
export * from '../launch-tasks.mjs'; // launched tasks (launch.test.mjs)

// Keeps the pool busy -- C fib(n) tasks spawned two at a time, each result
// checked -- until the page's main thread has ticked `want` times (it
// increments ticks[0] from a setInterval) or `maxRounds` rounds have run.
// Returns the ticks seen, or -1 if a fib result was wrong. If the main thread
// were blocked by the pool, the count could never reach `want`.
export function busy_until_ticks(ctx, ticks, want, n, expect, maxRounds) {
  for (let round = 0; round < maxRounds; round++) {
    if (Atomics.load(ticks, 0) >= want) break;
    ctx.spawn('fib', n);
    ctx.spawn('fib', n);
    const a = ctx.sync();
    const b = ctx.sync();
    if (a !== expect || b !== expect) return -1;
  }
  return Atomics.load(ticks, 0);
}
