// The fib fork-join measurement of bench/js/browser_fj.mjs, shared by the
// browser page (index.html) and Node so both measure the same way: a pool of
// `workers`, warm-up runs until the optimizing tier is in (stats.js
// warmUp), then `reps` runs of the C task fib(n) (one spawn per call with
// n >= 2: fib(n+1) - 1 spawns), each checked against a loop. Wall time is submit to promise, as an application sees it.
import { TEST_WASM, median, warmUp } from './stats.js';

function fibSeq(n) {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}


export async function measureFib(createPool, { workers, n = 30, reps = 9, completion } = {}) {
  const pool = await createPool({ wasm: TEST_WASM, workers, completion });
  try {
    const want = fibSeq(n);
    const spawns = fibSeq(n + 1) - 1;
    await warmUp(() => pool.run('fib', n));
    const s0 = pool.stats().spawns;
    const times = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const got = await pool.run('fib', n);
      times.push(performance.now() - t0);
      if (got !== want) throw new Error(`fib(${n}) = ${got}, want ${want}`);
    }
    const counted = (pool.stats().spawns - s0) / reps;
    const ms = median(times);
    return {
      workers: pool.workers, n, reps, spawns, spawns_counted: counted, completion: pool.completion,
      fallback: pool.fallback, median_ms: +ms.toFixed(3), min_ms: +Math.min(...times).toFixed(3),
      ns_per_spawn: +(ms * 1e6 / spawns).toFixed(2),
    };
  } finally {
    await pool.destroy();
  }
}
