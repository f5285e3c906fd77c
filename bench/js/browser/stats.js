// The test build of weft.wasm (js/build.sh), which holds the benchmark C
// tasks (fib, nop, adds, chain, ...); the same URL in the page and in Node.
export const TEST_WASM = new URL('../../../js/dist/weft-test.wasm', import.meta.url);

// Median of a list of numbers (the mean of the two middle ones for an even
// count); shared by the browser benchmarks in the page and in Node.
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Runs `once` (async) until the engine's optimizing tier has taken over:
// V8 first runs wasm from its baseline compiler (Liftoff) and swaps in
// TurboFan code once a function is hot, compiled on a background thread.
// That swap cannot be observed from here, only timed, and a busy machine
// can delay it (docs/JS.md, "Warm-up, and this VM's phases": the slow
// phases seen here came from the VM, but one warm-up run is no margin).
// So warm up for a span of time, not a count: at least `minMs` and
// `minRuns`, and on until the last run is within 10 % of the best so far
// (a swap in the middle of the span leaves the last runs at the new speed),
// capped at `maxMs`. Returns { runs, ms }.
export async function warmUp(once, { minMs = 1500, minRuns = 3, maxMs = 6000 } = {}) {
  const t0 = performance.now();
  let runs = 0, best = Infinity, last = Infinity;
  for (;;) {
    const s = performance.now();
    await once();
    last = performance.now() - s;
    best = Math.min(best, last);
    runs++;
    const spent = performance.now() - t0;
    if (spent >= maxMs || (spent >= minMs && runs >= minRuns && last <= 1.1 * best)) return { runs, ms: spent };
  }
}
