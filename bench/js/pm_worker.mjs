// Worker of the plain postMessage pool (pm_pool.mjs): receives {id, a, b}
// or a batch {id, batch: Float64Array of pairs}, answers with the sums.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.batch) {
    const n = m.batch.length >> 1;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = m.batch[2 * i] + m.batch[2 * i + 1];
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } else {
    parentPort.postMessage({ id: m.id, r: m.a + m.b });
  }
});
