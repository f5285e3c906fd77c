// Worker of the message-pool baselines of loops.mjs: axpy and sum over a
// chunk, either on shared arrays (SharedArrayBuffers sent once, 'init') or
// on chunk copies transferred with the message (and y transferred back).
import { parentPort } from 'node:worker_threads';
let x = null, y = null;
parentPort.on('message', (m) => {
  if (m.op === 'init') {
    x = new Float64Array(m.xs);
    y = new Float64Array(m.ys);
    parentPort.postMessage({ id: m.id, r: 0 });
  } else if (m.op === 'axpy') {
    const a = m.a;
    for (let i = m.lo; i < m.hi; i++) y[i] += a * x[i];
    parentPort.postMessage({ id: m.id, r: 0 });
  } else if (m.op === 'sum') {
    let s = 0;
    for (let i = m.lo; i < m.hi; i++) s += x[i];
    parentPort.postMessage({ id: m.id, r: s });
  } else if (m.op === 'axpy-t') {
    const xs = m.x, ys = m.y, a = m.a;
    for (let i = 0; i < ys.length; i++) ys[i] += a * xs[i];
    parentPort.postMessage({ id: m.id, y: ys }, [ys.buffer]);
  } else if (m.op === 'sum-t') {
    const xs = m.x;
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i];
    parentPort.postMessage({ id: m.id, r: s });
  }
});
