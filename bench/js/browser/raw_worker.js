// A raw worker of the tiny-item ceiling in bench/js/browser/loops.js (a Web
// Worker in the page, a worker_thread in Node): no pool, no messages after
// the first. It gets the control words and the columns (SharedArrayBuffers)
// once, then takes batches as ceiling.mjs's raw workers do (raw_ctl.mjs):
// batch k of size BATCH covers items [(k % NB) BATCH, ...), out = a + b.
import { C } from '../raw_ctl.mjs';

function start(d) {
  const ctl = new Int32Array(d.ctl);
  const A = new Float64Array(d.a), B = new Float64Array(d.b), OUT = new Float64Array(d.out);
  // One closure over constant arrays: V8 compiles its loop without checks.
  const items = (k) => {
    const batch = ctl[C.BATCH], nb = ctl[C.NB];
    const lo = (k % nb) * batch, hi = lo + batch;
    for (let i = lo; i < hi; i++) OUT[i] = A[i] + B[i];
  };
  for (;;) {
    const bell = Atomics.load(ctl, C.BELL);
    const op = Atomics.load(ctl, C.OP);
    if (op === C.EXIT) return;
    if (op === C.ITEMS) {
      const k = Atomics.load(ctl, C.NEXT);
      if (k < Atomics.load(ctl, C.PUB)) {
        if (Atomics.compareExchange(ctl, C.NEXT, k, k + 1) === k) {
          items(k);
          if (Atomics.add(ctl, C.DONE, 1) + 1 === Atomics.load(ctl, C.TARGET)) Atomics.notify(ctl, C.DONE);
        }
        continue;
      }
    }
    Atomics.wait(ctl, C.BELL, bell);
  }
}

if (typeof WorkerGlobalScope !== 'undefined') {
  self.onmessage = (e) => start(e.data);
} else {
  const { parentPort } = await import('node:worker_threads');
  parentPort.once('message', start);
}
